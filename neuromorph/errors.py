"""Exception hierarchy of neuromorph, and its one vocabulary of failures.

Every error a user can provoke derives from :class:`NeuromorphError`. The
input errors also derive from :class:`ValueError`, so code that already
catches ``ValueError`` keeps working.

Why a run failed is a :class:`Failure`, whatever engine ran it (a single run, the lanes of an
ensemble, a study's member, ngspice) and wherever it is kept (``SimulationError.reason``,
``SimulationResult.reason``, ``EnsembleResult.failures``, a study store's ``status`` codes).
"""

import enum

__all__ = [
    "Failure",
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


class Failure(str, enum.Enum):
    """Why a run stopped short of its end: the one vocabulary of every engine, store and message.

    A member is a string (its value), so ``err.reason == "diverging"``, JSON output and string arrays
    see the text they always saw; :attr:`explanation` is the sentence messages use and :attr:`code` the
    integer a study store keeps (``Failure.from_code(code)`` reads it back). Codes never change: a
    reason added later takes the next one.

    ==================  =========================  ====  =====================================================
    member              value                      code  where it occurs
    ==================  =========================  ====  =====================================================
    ``OK``              ``"ok"``                   0     every engine: the run reached its end
    ``NON_FINITE``      ``"non-finite state"``     1     fixed-step single runs, ensemble lanes, their studies
    ``DIVERGING``       ``"diverging"``            2     single runs, ensemble lanes, studies, ngspice
    ``STEP_UNDERFLOW``  ``"step size underflow"``  3     adaptive single runs (dopri5, rosenbrock23)
    ``TOO_MANY_STEPS``  ``"too many steps"``       4     single runs (``max_steps``), studies of single runs
    ``SOLVER_FAILED``   ``"solver failed"``        5     rosenbrock23 (a singular iteration matrix), ngspice
    ``INTERRUPTED``     ``"interrupted"``          6     Ctrl-C or a ``stop`` event (an Integrator's result)
    ``OUT_OF_RANGE``    ``"out of range"``         7     ngspice at the transistor level
    ==================  =========================  ====  =====================================================

    An adaptive run never reports ``NON_FINITE``: a non-finite trial step is rejected and shrunk, so a
    blow-up ends as ``DIVERGING`` or ``STEP_UNDERFLOW``. An interrupted ensemble, study or ngspice run
    raises ``KeyboardInterrupt`` and leaves no result (a study's members not run read ``"not run"``).

    Examples
    --------
    >>> from neuromorph.errors import Failure
    >>> Failure.DIVERGING == "diverging", Failure.DIVERGING.code, Failure.from_code(2) is Failure.DIVERGING
    (True, 2, True)
    >>> Failure("too many steps").explanation
    'the run needs more steps than max_steps allows'
    """

    def __new__(cls, value, code, explanation):
        member = str.__new__(cls, value)
        member._value_ = value
        member.code = code
        member.explanation = explanation
        return member

    OK = "ok", 0, "the run reached its end"
    NON_FINITE = "non-finite state", 1, "the state became non-finite (the model diverges)"
    DIVERGING = "diverging", 2, "a membrane voltage grows without bound"
    STEP_UNDERFLOW = ("step size underflow", 3, "the step size underflowed: the solution changes faster than "
                      "double precision can follow (a blow-up or a discontinuity)")
    TOO_MANY_STEPS = "too many steps", 4, "the run needs more steps than max_steps allows"
    SOLVER_FAILED = "solver failed", 5, "the solver could not go on"
    INTERRUPTED = "interrupted", 6, "the run was interrupted (Ctrl-C or a stop request)"
    OUT_OF_RANGE = ("out of range", 7, "a transistor-level membrane left the range its circuit follows the "
                    "model in")

    def __str__(self):
        return self.value

    __format__ = str.__format__

    @classmethod
    def from_code(cls, code):
        """The member whose :attr:`code` is ``code`` (a study store's ``status``)."""
        return _BY_CODE[int(code)]


_BY_CODE = {member.code: member for member in Failure}


class SimulationError(NeuromorphError, RuntimeError):
    """A run failed: its state diverged, its step size underflowed, it needed too many steps, its solver failed.

    Attributes
    ----------
    t : float
        Simulation time (dimensionless) at which the failure was detected.
    reason : Failure
        Why (a str enum: it compares equal to its text, e.g. ``"diverging"``, a membrane voltage growing
        without bound); see :class:`Failure` for each reason and the engines it occurs in. A string given
        here is read as the member of that value.
    """

    def __init__(self, message, t, reason):
        super().__init__(message)
        self.t = t
        self.reason = Failure(reason)
