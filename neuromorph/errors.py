"""Exception hierarchy of neuromorph.

Every error a user can provoke derives from :class:`NeuromorphError`. The
input errors also derive from :class:`ValueError`, so code that already
catches ``ValueError`` keeps working.
"""

__all__ = [
    "NeuromorphError",
    "ModelError",
    "StimulusError",
    "SolverError",
    "CircuitFileError",
    "SimulationError",
    "OutputError",
    "ClusterError",
    "NeuromorphWarning",
]


class NeuromorphError(Exception):
    """Base class of every neuromorph error."""


class ModelError(NeuromorphError, ValueError):
    """A neuron, element or parameter is invalid (bad value, unknown name)."""


class StimulusError(NeuromorphError, ValueError):
    """An applied-current description is invalid."""


class SolverError(NeuromorphError, ValueError):
    """Solver options are invalid (unknown method, bad tolerance or step)."""


class CircuitFileError(ModelError):
    """A circuit description file cannot be read: syntax, unknown or missing keys, wrong types."""


class OutputError(NeuromorphError, OSError):
    """An output file cannot be written: it is an input, two outputs collide, or its folder refuses it.

    Raised before any work where possible; the message names the user's path.
    """


class ClusterError(NeuromorphError, ConnectionError):
    """A Dask scheduler cannot be reached, or the cluster cannot run the study."""


class NeuromorphWarning(UserWarning):
    """A run or analysis whose result may mislead: loose tolerances, an analysis window adapted, ..."""


class SimulationError(NeuromorphError, RuntimeError):
    """The integration failed: the state became non-finite or the step size underflowed.

    Attributes
    ----------
    t : float
        Simulation time (dimensionless) at which the failure was detected.
    reason : str
        Short machine-readable cause: ``"diverging"`` (a membrane voltage grows without bound),
        ``"non-finite state"``, ``"step size underflow"``, ``"singular iteration matrix"``,
        ``"too many steps"``; in ngspice also ``"spice failed"`` and ``"out of range"`` (a transistor-level
        membrane beyond the range its circuit follows the model in).
    """

    def __init__(self, message, t, reason):
        super().__init__(message)
        self.t = t
        self.reason = reason
