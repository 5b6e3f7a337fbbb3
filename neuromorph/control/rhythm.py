"""A rhythm specification as data: what a circuit's bursts must look like, and whether a run meets it.

Every criterion is measured by the package's spike analysis (:mod:`neuromorph.analysis.spikes`, and
:mod:`neuromorph.analysis.network` for phases) over a run's settled window, the same numbers
``SimulationResult.summary()`` gives: nothing is read back from a controller.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..analysis.network import burst_starts, phase as phase_of
from ..errors import ModelError

__all__ = ["Rhythm", "RhythmReport"]

CRITERIA = ("period", "spikes_per_burst", "duty_cycle")
_SUMMARY = {"period": "burst_period", "spikes_per_burst": "spikes_per_burst", "duty_cycle": "duty_cycle"}


@dataclass(frozen=True)
class Rhythm:
    """What a rhythm must be: a burst period, spikes per burst, a duty cycle and, in networks, phases, each within
    its tolerance. Criteria left at None are free.

    Parameters
    ----------
    period : float, optional
        Burst period (time units), met within ``tolerance`` (relative).
    spikes_per_burst : int, optional
        Spikes per burst (the median over the window's bursts), met within ``spikes_tolerance`` spikes.
    duty_cycle : float, optional
        Burst duration over period, in (0, 1), met within ``duty_tolerance`` (absolute).
    phase : float or dict, optional
        Networks: the phase (in cycles, [0, 1)) of each neuron's bursts relative to the reference neuron's,
        ``{node: phase}``; a float is the phase of the second neuron of a two-neuron network (0.5: anti-phase).
        Met within ``phase_tolerance`` cycles (circularly).
    tolerance : float, default 0.1
        Relative tolerance of the period, in (0, 1).
    spikes_tolerance : int, default 1
        Spikes per burst may differ from the target by this many.
    duty_tolerance : float, default 0.05
    phase_tolerance : float, default 0.05
    neuron : int or str, default 0
        The reference neuron of a network: the period, spikes per burst and duty cycle are its own, and the
        phases are measured against its bursts.

    Raises
    ------
    ModelError
        If no criterion is given; a value or tolerance is out of range (a period <= 0, a duty cycle outside
        (0, 1), a phase outside [0, 1), a tolerance that is negative or, for the period, >= 1); or the criteria
        contradict each other (a duty cycle for bursts of one spike, which last no time).

    Examples
    --------
    The reference burster's rhythm (MODEL.md: period 2494, 7 spikes per burst):

    >>> import neuromorph as nm
    >>> target = nm.Rhythm(period=2494, spikes_per_burst=7, tolerance=0.1)
    >>> run = nm.preset("bursting").simulate(12_000, i_app=-2.0)
    >>> report = target.check(run)
    >>> report.met, round(report.measured["period"])
    (True, 2494)
    >>> nm.Rhythm(period=1500).met(run)
    False
    """

    period: float = None
    spikes_per_burst: int = None
    duty_cycle: float = None
    phase: object = None
    tolerance: float = 0.1
    spikes_tolerance: int = 1
    duty_tolerance: float = 0.05
    phase_tolerance: float = 0.05
    neuron: object = 0

    def __post_init__(self):
        if self.period is None and self.spikes_per_burst is None and self.duty_cycle is None and self.phase is None:
            raise ModelError("a Rhythm needs at least one criterion: period, spikes_per_burst, duty_cycle or phase")
        tol = check.real("tolerance", self.tolerance)
        if not 0.0 < tol < 1.0:
            raise ModelError(f"`tolerance` (relative, on the period) must lie in (0, 1), got {self.tolerance!r}")
        object.__setattr__(self, "tolerance", tol)
        if self.period is not None:
            object.__setattr__(self, "period", check.positive("period", self.period))
        if self.spikes_per_burst is not None:
            object.__setattr__(self, "spikes_per_burst", check.count("spikes_per_burst", self.spikes_per_burst, 1))
        object.__setattr__(self, "spikes_tolerance", check.count("spikes_tolerance", self.spikes_tolerance, 0))
        for name in ("duty_tolerance", "phase_tolerance"):
            object.__setattr__(self, name, check.nonnegative(name, getattr(self, name)))
        if self.duty_cycle is not None:
            duty = check.real("duty_cycle", self.duty_cycle)
            if not 0.0 < duty < 1.0:
                raise ModelError(f"`duty_cycle` must lie in (0, 1), got {self.duty_cycle!r}")
            object.__setattr__(self, "duty_cycle", duty)
            if self.spikes_per_burst is not None and self.spikes_per_burst + self.spikes_tolerance <= 1:
                raise ModelError(f"`duty_cycle` = {duty:g} contradicts `spikes_per_burst` = 1 (with spikes_tolerance "
                                 "0): a burst of one spike lasts no time")
        if self.phase is not None:
            phases = self.phase if isinstance(self.phase, dict) else {None: self.phase}
            clean = {}
            for node, value in phases.items():
                where = "phase" if node is None else f"phase[{node!r}]"
                value = check.real(where, value)
                if not 0.0 <= value < 1.0:
                    raise ModelError(f"`{where}` must lie in [0, 1) cycles, got {value!r}")
                clean[node] = value
            object.__setattr__(self, "phase", clean if isinstance(self.phase, dict) else clean[None])

    def targets(self):
        """``{criterion: (target, low, high)}`` of the criteria set (phases keyed ``"phase[NODE]"``, or ``"phase"``
        for a float)."""
        out = {}
        if self.period is not None:
            out["period"] = (self.period, self.period * (1 - self.tolerance), self.period * (1 + self.tolerance))
        if self.spikes_per_burst is not None:
            k, d = self.spikes_per_burst, self.spikes_tolerance
            out["spikes_per_burst"] = (float(k), float(k - d), float(k + d))
        if self.duty_cycle is not None:
            d = self.duty_cycle
            out["duty_cycle"] = (d, d - self.duty_tolerance, d + self.duty_tolerance)
        for key, value in self._phases().items():
            out[key] = (value, value - self.phase_tolerance, value + self.phase_tolerance)
        return out

    def _phases(self):
        if self.phase is None:
            return {}
        if isinstance(self.phase, dict):
            return {f"phase[{node}]": value for node, value in self.phase.items()}
        return {"phase": self.phase}

    def _phase_nodes(self, names, reference):
        """``{criterion key: neuron index}`` of the phases, checked against the run's neurons."""
        if self.phase is None:
            return {}
        if not isinstance(self.phase, dict):
            if len(names) != 2:
                raise ModelError(f"`phase` = {self.phase:g} is the second neuron's phase in a two-neuron network; this "
                                 f"run has {len(names)} neuron(s) ({', '.join(names)}): give {{node: phase}}")
            return {"phase": 1 - reference}
        return {f"phase[{node}]": check.member(names, node) for node in self.phase}

    def check(self, result, t_start=None):
        """Measure every criterion on ``result`` (a :class:`~neuromorph.SimulationResult` or an
        :class:`~neuromorph.EnsembleResult`, every copy) over its settled window (from ``t_start`` if given).

        Returns
        -------
        RhythmReport

        Raises
        ------
        ModelError
            If the result is neither, the reference or a phase's neuron is not in it, or ``t_start`` is not in the
            run.
        """
        if hasattr(result, "counts") and hasattr(result, "summary") and hasattr(result, "size"):
            return self._check_copies(result, t_start)
        if not hasattr(result, "spikes_of"):
            raise ModelError(f"Rhythm.check takes a SimulationResult or an EnsembleResult, got {type(result).__name__}")
        names = tuple(result.neuron_names)
        ref = check.member(names, self.neuron)
        summary = result.summary(t_start, neuron=ref)
        measured = {key: summary[_SUMMARY[key]] for key in CRITERIA if getattr(self, key) is not None}
        window = (summary["t_start"], summary["t_end"])
        starts = burst_starts(result.spikes_of(ref), *window)
        for key, k in self._phase_nodes(names, ref).items():
            measured[key] = phase_of(burst_starts(result.spikes_of(k), *window), starts)[0]
        values = {key: math.nan if x is None else float(x) for key, x in measured.items()}
        return RhythmReport(self, values, (summary["pattern"],))

    def _check_copies(self, result, t_start):
        names = tuple(result.neuron_names)
        ref = check.member(names, self.neuron)
        nodes = self._phase_nodes(names, ref)
        n = result.size
        values = {key: np.full(n, np.nan) for key in self.targets()}
        patterns = []
        for i in range(n):
            summary = result.summary(i, t_start, neuron=ref)
            patterns.append(summary["pattern"])
            for key in CRITERIA:
                if key in values and summary[_SUMMARY[key]] is not None:
                    values[key][i] = summary[_SUMMARY[key]]
            if nodes:
                window = (summary["t_start"], summary["t_end"])
                starts = burst_starts(result.spikes(i, ref), *window)
                for key, k in nodes.items():
                    p = phase_of(burst_starts(result.spikes(i, k), *window), starts)[0]
                    values[key][i] = np.nan if p is None else p
        return RhythmReport(self, values, tuple(patterns))

    def met(self, result, t_start=None):
        """Whether ``result`` meets every criterion: a bool, or one per copy of an ensemble (numpy array)."""
        return self.check(result, t_start).met

    def __str__(self):
        parts = []
        for key, (target, lo, hi) in self.targets().items():
            parts.append(f"{key} {target:g} [{lo:g}, {hi:g}]")
        return "Rhythm(" + ", ".join(parts) + ")"


@dataclass(frozen=True, eq=False)
class RhythmReport:
    """Every criterion of a :class:`Rhythm` measured on a run (or on every copy of an ensemble).

    Parameters
    ----------
    rhythm : Rhythm
    measured : dict
        ``{criterion: value}``: a float for a run, an array of one value per copy for an ensemble; NaN where the
        run has no such number (no two complete bursts, no phase).
    patterns : tuple of str
        The firing pattern of the reference neuron (of each copy).

    Attributes
    ----------
    ok : dict
        ``{criterion: bool or bool array}``: within its bounds.
    met : bool or numpy.ndarray of bool
        Every criterion met.

    Raises
    ------
    TypeError
        If a field is missing (made by :meth:`Rhythm.check`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> report = nm.Rhythm(period=2494, spikes_per_burst=7).check(nm.preset("bursting").simulate(12_000, i_app=-2.0))
    >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
    criterion            target     low    high  measured  ok
    period                 2494  2244.6  2743.4    2493.9  yes
    spikes_per_burst          7       6       8         7  yes
    """

    rhythm: Rhythm
    measured: dict
    patterns: tuple = field(default=())

    @property
    def ok(self):
        out = {}
        for key, (target, lo, hi) in self.rhythm.targets().items():
            x = np.asarray(self.measured[key], dtype=float)
            if key.startswith("phase"):  # circular: the distance to the target on the cycle
                distance = np.abs((x - target + 0.5) % 1.0 - 0.5)
                good = np.isfinite(x) & (distance <= self.rhythm.phase_tolerance + 1e-12)
            else:
                good = np.isfinite(x) & (x >= lo - 1e-12 * abs(lo)) & (x <= hi + 1e-12 * abs(hi))
            out[key] = good if good.ndim else bool(good)
        return out

    @property
    def met(self):
        ok = list(self.ok.values())
        every = np.logical_and.reduce([np.asarray(x) for x in ok]) if ok else np.asarray(True)
        return every if np.ndim(every) else bool(every)

    def reasons(self, i=None):
        """Why the run (or copy ``i``) fails the rhythm: one phrase per criterion missed; empty if it is met."""
        out = []
        for key, (target, lo, hi) in self.rhythm.targets().items():
            x = np.asarray(self.measured[key], dtype=float)
            good = np.asarray(self.ok[key])
            if i is not None:
                x, good = x[i], good[i]
            if bool(good):
                continue
            pattern = self.patterns[0 if i is None else i] if self.patterns else "?"
            if not np.isfinite(x):
                out.append(f"no {key.replace('_', ' ')} ({pattern})")
            else:
                out.append(f"{key.replace('_', ' ')} {float(x):.4g} outside [{lo:.4g}, {hi:.4g}]")
        return out

    def __str__(self):
        rows = [f"{'criterion':<16} {'target':>10} {'low':>7} {'high':>7} {'measured':>9}  ok"]
        for key, (target, lo, hi) in self.rhythm.targets().items():
            x = np.asarray(self.measured[key], dtype=float)
            if x.ndim:
                good = np.asarray(self.ok[key])
                rows.append(f"{key:<16} {target:>10.5g} {lo:>7.5g} {hi:>7.5g} {'':>9}  {int(good.sum())} of {good.size}")
            else:
                shown = "-" if not math.isfinite(float(x)) else f"{float(x):.5g}"
                rows.append(f"{key:<16} {target:>10.5g} {lo:>7.5g} {hi:>7.5g} {shown:>9}  "
                            f"{'yes' if self.ok[key] else 'no'}")
        return "\n".join(rows)
