"""Yield: the fraction of chips whose rhythm meets a specification under mismatch, with its confidence interval.

Each chip is a copy of the model with its own draw of a :class:`~neuromorph.Mismatch` (chip ``i`` draws what
any other run of chip ``i`` with the same seed draws), run in the ensemble engine; its rhythm is measured by the
package's spike analysis (:meth:`Rhythm.check`). Intervals: Wilson's score interval (default) or the exact
Clopper-Pearson interval, as in analog design centering (MODEL.md, "Estimation and control").
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from .rhythm import Rhythm

__all__ = ["yield_of", "YieldResult", "yield_interval", "chips_needed"]

INTERVALS = ("wilson", "clopper-pearson")


def _z(confidence):
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2.0))


def _confidence(confidence):
    confidence = check.real("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise ModelError(f"`confidence` must lie in (0, 1), got {confidence!r}")
    return confidence


def yield_interval(passed, chips, confidence=0.95, method="wilson"):
    """Two-sided confidence interval of a yield of ``passed`` chips out of ``chips``.

    Parameters
    ----------
    passed, chips : int
        Chips that met the specification, and chips tried (>= 1).
    confidence : float, default 0.95
    method : {"wilson", "clopper-pearson"}, default "wilson"
        Wilson's score interval, or the exact (conservative) Clopper-Pearson interval from the beta distribution.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Raises
    ------
    ModelError
        If the counts are not integers with ``0 <= passed <= chips`` and ``chips >= 1``, ``confidence`` is not in
        (0, 1), or ``method`` is unknown.

    Examples
    --------
    >>> import neuromorph as nm
    >>> [round(x, 4) for x in nm.yield_interval(950, 1000)]
    [0.9347, 0.9619]
    """
    chips = check.count("chips", chips, 1)
    passed = check.count("passed", passed, 0)
    if passed > chips:
        raise ModelError(f"`passed` ({passed}) cannot exceed `chips` ({chips})")
    confidence = _confidence(confidence)
    if method not in INTERVALS:
        raise ModelError(f"unknown interval `method` {method!r}; choose one of {', '.join(INTERVALS)}")
    if method == "clopper-pearson":
        from scipy.stats import beta

        a = 1.0 - confidence
        low = 0.0 if passed == 0 else float(beta.ppf(a / 2, passed, chips - passed + 1))
        high = 1.0 if passed == chips else float(beta.ppf(1 - a / 2, passed + 1, chips - passed))
        return low, high
    z = _z(confidence)
    p = passed / chips
    centre = (p + z * z / (2 * chips)) / (1 + z * z / chips)
    half = z / (1 + z * z / chips) * math.sqrt(p * (1 - p) / chips + z * z / (4 * chips * chips))
    return max(0.0, centre - half), min(1.0, centre + half)


def chips_needed(half_width, yield_=0.5, confidence=0.95):
    """Chips a Monte Carlo needs for a yield interval of ``+- half_width`` at ``confidence`` (normal approximation,
    ``z^2 p (1 - p) / half_width^2``).

    Parameters
    ----------
    half_width : float
        Half the width of the interval wanted, in (0, 0.5].
    yield_ : float, default 0.5
        The yield expected (0.5 is the worst case).
    confidence : float, default 0.95

    Returns
    -------
    int

    Raises
    ------
    ModelError
        If ``half_width`` is not in (0, 0.5], ``yield_`` not in [0, 1], or ``confidence`` not in (0, 1).

    Examples
    --------
    MODEL.md's figures: 99 % +- 1 % at 99 % confidence, and 95 % +- 1 % at 95 %:

    >>> import neuromorph as nm
    >>> nm.chips_needed(0.01, 0.99, confidence=0.99), nm.chips_needed(0.01, 0.95)
    (657, 1825)
    """
    half_width = check.real("half_width", half_width)
    if not 0.0 < half_width <= 0.5:
        raise ModelError(f"`half_width` must lie in (0, 0.5], got {half_width!r}")
    p = check.real("yield_", yield_)
    if not 0.0 <= p <= 1.0:
        raise ModelError(f"`yield_` must lie in [0, 1], got {yield_!r}")
    z = _z(_confidence(confidence))
    return max(1, math.ceil(z * z * max(p * (1 - p), 1e-12) / half_width ** 2 - 1e-9))


@dataclass(frozen=True, eq=False)
class YieldResult:
    """What :func:`yield_of` returns: the yield, its interval, and every chip's rhythm.

    Parameters
    ----------
    rhythm : Rhythm
    chips : numpy.ndarray of int
        The chip numbers tried.
    passed : numpy.ndarray of bool
        Which met the rhythm.
    interval : tuple of float
        ``(low, high)`` at ``confidence``.
    confidence : float
    method : str
        The interval's method.
    report : RhythmReport
        Every chip's measured criteria.
    run : EnsembleResult
        The ensemble run (spikes, final states, status of every chip).

    Raises
    ------
    TypeError
        If a field is missing (made by :func:`yield_of`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> y = nm.yield_of("bursting", nm.Rhythm(period=2494, tolerance=0.1), nm.Mismatch(gain=0.02), chips=64,
    ...                 seed=1, i_app=-2.0, t_end=10_000)
    >>> y.passed.size, 0.0 <= y.interval[0] <= y.value <= y.interval[1] <= 1.0
    (64, True)
    """

    rhythm: Rhythm
    chips: np.ndarray
    passed: np.ndarray
    interval: tuple
    confidence: float
    method: str
    report: object = field(repr=False)
    run: object = field(repr=False)

    @property
    def value(self):
        """The fraction of chips that met the rhythm."""
        return float(self.passed.mean())

    @property
    def failures(self):
        """``{chip: [reasons]}`` of every chip that failed."""
        return {int(self.chips[i]): self.report.reasons(i) for i in np.flatnonzero(~self.passed)}

    def __str__(self):
        low, high = self.interval
        lines = [f"yield {100 * self.value:.1f} % ({int(self.passed.sum())} of {self.passed.size} chips), "
                 f"{100 * self.confidence:g} % interval [{100 * low:.1f}, {100 * high:.1f}] % ({self.method})",
                 str(self.report)]
        reasons = {}
        for why in self.failures.values():
            for phrase in why:
                key = phrase.split(" outside")[0].split(" (")[0]
                key = key.rsplit(" ", 1)[0] if "outside" in phrase else key
                reasons[key] = reasons.get(key, 0) + 1
        if reasons:
            lines.append("failing: " + ", ".join(f"{k} ({n} chips)" for k, n in reasons.items()))
        return "\n".join(lines)

    def to_json(self):
        """The yield, its interval, every criterion's bounds and counts, and the failing chips with their reasons,
        as plain JSON values (NaN as None)."""
        targets = self.rhythm.targets()
        ok = self.report.ok
        return {
            "yield": self.value, "passed": int(self.passed.sum()), "chips": int(self.passed.size),
            "interval": list(self.interval), "confidence": self.confidence, "method": self.method,
            "criteria": {k: {"target": t, "low": lo, "high": hi, "met_by": int(np.sum(ok[k]))}
                         for k, (t, lo, hi) in targets.items()},
            "failures": {str(c): why for c, why in self.failures.items()},
        }

    def save(self, path):
        """Write an ``.npz`` archive atomically: ``chips``, ``passed``, each criterion's measured values
        (``measured_<criterion>``, NaN where a chip has none), ``patterns``, ``interval`` and the summary as JSON
        (``summary``)."""
        import json

        from ..io.files import atomic_write

        measured = {f"measured_{k.replace('[', '_').replace(']', '')}": np.asarray(x, dtype=float)
                    for k, x in self.report.measured.items()}

        def write(f):
            np.savez(f, chips=self.chips, passed=self.passed, interval=np.array(self.interval),
                     patterns=np.array(self.report.patterns, dtype=str), summary=json.dumps(self.to_json()),
                     **measured)
        atomic_write(path, write, binary=True)

    def plot(self, ax=None, criterion=None):
        """Histogram of one criterion over the chips (default: the first set), with its bounds.

        Returns
        -------
        matplotlib Axes

        Raises
        ------
        ModelError
            If ``criterion`` is not one of the rhythm's.
        """
        import matplotlib.pyplot as plt

        targets = self.rhythm.targets()
        criterion = criterion or next(iter(targets))
        if criterion not in targets:
            raise ModelError(f"`criterion` must be one of {', '.join(targets)}, got {criterion!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
        x = np.asarray(self.report.measured[criterion], dtype=float)
        finite = x[np.isfinite(x)]
        ax.hist(finite, bins=40, color="0.6")
        _, lo, hi = targets[criterion]
        for bound in (lo, hi):
            ax.axvline(bound, color="C3", lw=1)
        low, high = self.interval
        ax.set(xlabel=criterion.replace("_", " "), ylabel="chips",
               title=f"yield {100 * self.value:.1f} % [{100 * low:.1f}, {100 * high:.1f}] "
                     f"({np.size(x) - finite.size} chips have no {criterion.replace('_', ' ')})")
        return ax


def yield_of(model, rhythm, mismatch, chips=1000, seed=0, t_end=20_000.0, t_record=None, i_app=0.0, dt=0.1,
             method="rk4", confidence=0.95, interval="wilson", n_threads=None, progress=None):
    """The fraction of chips meeting ``rhythm`` under ``mismatch``, with its confidence interval.

    Chips ``0 .. chips - 1`` are drawn from ``mismatch`` with ``seed`` and run in the ensemble engine from
    ``t = 0`` to ``t_end``; each chip's rhythm is measured on its settled window (from ``t_record``, default
    the second half of the run) by :meth:`Rhythm.check`.

    Parameters
    ----------
    model : Neuron, Network or str
    rhythm : Rhythm
    mismatch : Mismatch or dict
        The chip-to-chip spread (:class:`~neuromorph.Mismatch`).
    chips : int, default 1000
    seed : int, default 0
    t_end : float, default 20000
    t_record : float, optional
    i_app : float or Stimulus, default 0.0
        Applied current of every chip, added to each neuron's own (a network node's ``i_app``).
    dt : float, default 0.1
        The step. For the bursting preset RK4 at 0.1 puts every burst period within 4e-7 of a reference
        (DOP853-class, rtol 1e-10), closer than the adaptive solver's defaults do (2e-6), at a quarter of the cost
        of 0.05 (``benchmarks/bench_yield.py``).
    method : str, default "rk4"
        An ensemble method.
    confidence : float, default 0.95
    interval : {"wilson", "clopper-pearson"}, default "wilson"
    n_threads : int, optional
    progress : bool, optional
        A bar over the run.

    Returns
    -------
    YieldResult

    Raises
    ------
    ModelError
        If ``rhythm`` is not a Rhythm, ``chips`` is not an integer >= 1, ``confidence`` or ``interval`` is
        invalid, or the model or the mismatch is.
    SolverError
        If the run's settings are (``t_end``, ``dt``, ``t_record``, ``method``).

    Examples
    --------
    >>> import neuromorph as nm
    >>> y = nm.yield_of("bursting", nm.Rhythm(period=2494, spikes_per_burst=7), nm.Mismatch(gain=0.01), chips=32,
    ...                 seed=2, i_app=-2.0)
    >>> y.passed.size, y.value >= 0.8
    (32, True)
    """
    from ..solve.ensemble import Ensemble

    if not isinstance(rhythm, Rhythm):
        raise ModelError(f"`rhythm` must be an nm.Rhythm, got {type(rhythm).__name__}")
    n = check.count("chips", chips, 1)
    confidence = _confidence(confidence)
    if interval not in INTERVALS:
        raise ModelError(f"unknown `interval` {interval!r}; choose one of {', '.join(INTERVALS)}")
    ids = np.arange(n)
    run = Ensemble(model, size=n).simulate(t_end, i_app=i_app, dt=dt, method=method, t_record=t_record,
                                           mismatch=mismatch, seed=seed, chips=ids, n_threads=n_threads,
                                           progress=progress)
    report = rhythm.check(run)
    passed = np.asarray(report.met, dtype=bool).reshape(n)
    bounds = yield_interval(int(passed.sum()), n, confidence, interval)
    return YieldResult(rhythm, ids, passed, bounds, confidence, interval, report, run)
