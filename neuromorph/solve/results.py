"""Typed results of a simulation."""

import json
import os
from dataclasses import dataclass

import numpy as np

from .. import _validate as check
from ..analysis.network import PHASE_TOLERANCE
from ..analysis.spikes import analyse_spikes, settled_window, spike_summary
from ..errors import Failure, ModelError
from ..io.files import atomic_write

__all__ = ["SimulationResult", "SolverStats"]


@dataclass(frozen=True)
class SolverStats:
    """Work done by the solver.

    A run's counts, made by the integrator (:attr:`SimulationResult.stats`); a fixed-step
    method rejects no step and only ``"rosenbrock23"`` evaluates Jacobians and factorises.

    Parameters
    ----------
    n_steps, n_rejected : int
        Accepted and rejected steps.
    n_rhs, n_jacobian, n_lu : int
        Evaluations of the vector field and of its Jacobian, LU factorisations.

    Attributes
    ----------
    n_steps, n_rejected : int
        Accepted and rejected steps.
    n_rhs, n_jacobian, n_lu : int
        Evaluations of the vector field and of its Jacobian, LU factorisations.

    Raises
    ------
    TypeError
        If one of the five counts is missing (the counts themselves are not checked).

    Examples
    --------
    >>> import neuromorph as nm
    >>> stats = nm.simulate("tonic", 300, i_app=-0.7, method="rk4", dt=0.05, record=()).stats
    >>> stats.n_steps, stats.n_rejected, stats.n_jacobian
    (6000, 0, 0)
    >>> sorted(stats.as_dict())
    ['n_jacobian', 'n_lu', 'n_rejected', 'n_rhs', 'n_steps']
    """

    n_steps: int
    n_rejected: int
    n_rhs: int
    n_jacobian: int
    n_lu: int

    def as_dict(self):
        """The counts as ``{name: count}`` (how :meth:`SimulationResult.save` writes them, as JSON)."""
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Outcome of :func:`neuromorph.simulate`.

    Made by :func:`neuromorph.simulate` and :meth:`Integrator.result`, rarely by hand.

    Parameters
    ----------
    t : ndarray, shape (n,)
    y : ndarray, shape (n_recorded, n)
    state_names : tuple of str
    spike_times : ndarray
    spike_neurons : ndarray of int
    stats : SolverStats
    method : str
    t_start, t_end : float
        The attributes of the same names.
    message : str, default "success"
        Replaced by the explanation of ``reason`` when ``reason`` is a failure and no message is given.
    neuron_names : tuple of str, default ("neuron",)
        Names of the neurons ``spike_neurons`` indexes.
    reason : Failure or str, default Failure.OK
        A :class:`~neuromorph.errors.Failure` or its value (``"diverging"``, ...).

    Attributes
    ----------
    t : ndarray, shape (n,)
        Output times (dimensionless).
    y : ndarray, shape (n_recorded, n)
        Recorded states, one row per name in ``state_names``.
    state_names : tuple of str
    spike_times : ndarray
        Spikes (upward threshold crossings after re-arming, :func:`neuromorph.analysis.spikes.spike_times`),
        located on the dense output (not the grid).
    spike_neurons : ndarray of int
        Neuron index of each spike (all 0 for a single neuron).
    stats : SolverStats
    method : str
    t_start, t_end : float
        The span the result covers. After a failed or interrupted run (an
        :meth:`~neuromorph.solve.integrator.Integrator.advance` that raised) ``t_end`` is where it stopped.
    message : str
        ``"success"`` when the run reached the time it was asked for; else why not (the error's text).
    reason : Failure
        :attr:`Failure.OK <neuromorph.errors.Failure.OK>` when the run reached its end; else why it stopped
        short (``Failure.DIVERGING``, ``Failure.INTERRUPTED``, ...). :func:`neuromorph.simulate` raises on a
        failure, so its results are always a success; an :class:`~neuromorph.solve.integrator.Integrator`'s
        :meth:`~neuromorph.solve.integrator.Integrator.result` after a failed ``advance`` is not.
    success : bool
        Whether ``reason`` is ``Failure.OK``.

    Raises
    ------
    ValueError
        If ``reason`` is not a :class:`~neuromorph.errors.Failure` or the value of one.
    ModelError
        From ``res[name]`` and :attr:`v` when that state was not recorded; from :meth:`summary` and
        :meth:`bursts` when the ``t_start`` given lies outside the span the result covers; from
        :meth:`spikes_of` for a neuron that is not in ``neuron_names``.

    Examples
    --------
    >>> import neuromorph as nm
    >>> res = nm.simulate("tonic", 300, i_app=-0.7, dt_out=1.0)
    >>> res.state_names, res.t.shape, res.y.shape, res["v"].shape
    (('v', 'slow'), (301,), (2, 301), (301,))
    >>> res.success, res.reason, res.spike_times.size, res.spike_neurons.tolist() == [0] * 9
    (True, <Failure.OK: 'ok'>, 9, True)
    >>> s = res.summary(t_start=100)
    >>> s["pattern"], round(s["isi_mean"], 2)
    ('tonic', 32.65)
    """

    t: np.ndarray
    y: np.ndarray
    state_names: tuple
    spike_times: np.ndarray
    spike_neurons: np.ndarray
    stats: SolverStats
    method: str
    t_start: float
    t_end: float
    message: str = "success"
    neuron_names: tuple = ("neuron",)
    reason: Failure = Failure.OK

    def __post_init__(self):
        object.__setattr__(self, "reason", Failure(self.reason))
        if self.reason is not Failure.OK and self.message == "success":
            object.__setattr__(self, "message", self.reason.explanation)

    @property
    def success(self):
        """True when the run reached the time it was asked for (``reason`` is ``Failure.OK``)."""
        return self.reason is Failure.OK

    def __getitem__(self, name):
        """Trace of a recorded state by name (``"v"``, ``"slow"``, ...)."""
        try:
            return self.y[self.state_names.index(name)]
        except ValueError:
            raise ModelError(f"state {name!r} was not recorded; recorded: {', '.join(self.state_names)}") from None

    @property
    def v(self):
        """Membrane voltage trace (the first neuron's in a network)."""
        for name in ("v", f"{self.neuron_names[0]}.v"):
            if name in self.state_names:
                return self[name]
        raise ModelError(f"the membrane voltage was not recorded; recorded: {', '.join(self.state_names)}")

    def neuron_index(self, neuron):
        """Index of a neuron given by name or index; an error lists the neurons."""
        return check.member(self.neuron_names, neuron)

    def spikes_of(self, neuron=0):
        """Spike times of one neuron (index or name)."""
        return self.spike_times[self.spike_neurons == self.neuron_index(neuron)]

    def _window(self, t_start):
        t0 = None if t_start is None else check.real("t_start", t_start)
        t0, t1 = settled_window(self.t_start, self.t_end, t0)
        if not self.t_start <= t0 < self.t_end:
            raise ModelError(f"`t_start` must lie in [{self.t_start}, {self.t_end}), got {t_start!r}")
        return t0, t1

    def bursts(self, t_start=None, neuron=0):
        """Complete bursts in the settled window (list of spike-time arrays); see :meth:`summary` for the window."""
        return analyse_spikes(self.spikes_of(neuron), *self._window(t_start)).bursts

    def summary(self, t_start=None, neuron=0):
        """Firing pattern and metrics of the settled behaviour, over ``[t_start, t_end]``.

        By default the first half of the run is discarded as a transient (the rule every
        entry point shares: :func:`neuromorph.analysis.spikes.settled_window`); pass
        ``t_start`` to choose where the settled part begins. The window used is reported
        as ``t_start`` and ``t_end`` in the result.

        Returns a dict with ``pattern`` (rest / tonic / bursting / irregular),
        ``n_spikes``, ``firing_rate``, ``isi_mean``, ``isi_cv``, ``n_bursts``,
        ``burst_period``, ``spikes_per_burst``, ``intra_burst_isi``,
        ``duty_cycle`` (``None`` where not applicable), ``t_start``, ``t_end``; see
        :func:`neuromorph.analysis.spikes.summarize_spikes`.
        """
        return spike_summary(self.spikes_of(neuron), *self._window(t_start))

    def rhythm(self, reference=0, t_start=None, t_end=None, phase_tolerance=PHASE_TOLERANCE):
        """Per-neuron bursts, period, duty cycle and phase relative to ``reference`` (networks);
        ``"anti-phase"`` and ``"in-phase"`` label phases within ``phase_tolerance`` cycles of 0.5
        and 0; see :func:`neuromorph.analysis.network.rhythm`.

        Examples
        --------
        >>> import neuromorph as nm
        >>> r = nm.hco("bursting").simulate(30_000, record=()).rhythm(t_start=10_000)
        >>> r["neurons"]["n2"]["relation"], r["neurons"]["n2"]["spikes_per_burst"]
        ('anti-phase', 8)
        """
        from ..analysis.network import rhythm

        return rhythm(self, reference, t_start, t_end, phase_tolerance)

    def save(self, path):
        """Write an ``.npz`` archive atomically (complete file or none): ``t``, ``y``, ``state_names``,
        ``spike_times``, ``spike_neurons`` (indices into ``neuron_names``), ``neuron_names``, ``method``,
        ``stats`` (JSON), ``t_start``, ``t_end``, ``reason`` (``"ok"`` or why the run stopped short) and
        ``message``."""
        if not isinstance(path, str | os.PathLike):
            raise ModelError(f"`path` must be a file name (str or os.PathLike), got {path!r}")

        def write(f):
            np.savez_compressed(
                f, t=self.t, y=self.y, state_names=np.array(self.state_names), spike_times=self.spike_times,
                spike_neurons=self.spike_neurons, neuron_names=np.array(self.neuron_names), method=self.method,
                stats=json.dumps(self.stats.as_dict()), t_start=self.t_start, t_end=self.t_end,
                reason=self.reason.value, message=self.message,
            )

        atomic_write(path, write, binary=True)

    def __repr__(self):
        return (f"SimulationResult(method={self.method!r}, t=[{self.t_start:g}, {self.t_end:g}], "
                f"{self.t.size} samples of {', '.join(self.state_names)}, {self.spike_times.size} spikes, "
                f"{self.stats.n_steps} steps" + ("" if self.success else f", failed: {self.reason}") + ")")
