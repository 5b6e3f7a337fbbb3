"""Spikes, and firing-pattern metrics from spike times: rest, tonic spiking, bursting, irregular.

What a spike is (one definition for every engine): an upward crossing of the neuron's
``threshold`` by its membrane voltage, counted only when the neuron is *armed*. A neuron starts
armed if its voltage starts below the threshold; a spike disarms it, and it is armed again once
its voltage falls below ``threshold - hysteresis``. Noise that jitters the voltage back and forth
across the threshold during one upstroke therefore makes one spike, not two.

Every engine applies this rule at the end of each step (or sample) and differs only in how it
locates the crossing inside the step:

* single runs (``neuromorph._kernels.common.record_spikes``): the root of the step's dense-output
  polynomial (DP5's 4th-order interpolant, Rosenbrock's, or the fixed-step methods' cubic
  Hermite), by safeguarded Newton;
* ensembles (``neuromorph._kernels.lanes``): the root of the cubic Hermite interpolant between the
  step's ends (voltages and slopes), by bisection and secant;
* SPICE (:func:`spike_times` on ngspice's samples): linear interpolation between samples.

Bursts are found from the inter-spike intervals (ISIs) alone: sorted ISIs
are split at their largest ratio gap; if that gap is at least
:data:`BURST_GAP_RATIO`, intervals above the geometric mean of its two sides
separate groups of spikes. A burst is a group of two or more spikes; a lone
spike between bursts is an *isolated* spike (counted, not a burst: a long
burst alternating with a single spike is regular bursting). A burst counts as
*complete* only if the window shows silence of at least the threshold before
and after it, so a burst cut by the window does not bias spikes per burst,
period or duty cycle.

Classification of a window ``[t_start, t_end]``:

* ``"rest"``: no spikes, or activity that stopped (silence after the last
  spike longer than ``max(3 * longest ISI, window / 4)``);
* ``"bursting"``: most spikes (at least :data:`BURST_COVERAGE`) in bursts, and
  at least two complete bursts with periods varying less than
  :data:`REGULAR_CV`; or, when the window holds fewer than two complete
  bursts, at least two bursts counting those cut by the window (the pattern
  is evident, the period is not measured);
* ``"tonic"``: single-gap-free spiking with ISI coefficient of variation below
  :data:`REGULAR_CV`;
* ``"irregular"``: anything else.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["spike_times", "BurstAnalysis", "analyse_spikes", "summarize_spikes", "settled_window", "PATTERNS", "BURST_GAP_RATIO",
           "REGULAR_CV", "BURST_COVERAGE", "TRANSIENT_FRACTION"]

PATTERNS = ("rest", "tonic", "bursting", "irregular", "diverging")
"""Firing patterns; ``"diverging"`` marks a run whose state grew without bound (it has no settled pattern)."""

TRANSIENT_FRACTION = 0.5
"""Summaries describe the settled behaviour: unless told where it starts, the first half of a run is a transient."""


def settled_window(t_start, t_end, settled_from=None):
    """The window a summary analyses: ``[settled_from, t_end]`` if given, else the second half of the run.

    One rule for every entry point (``SimulationResult.summary``, ``neuromorph simulate``,
    ensembles, behaviour maps): the first :data:`TRANSIENT_FRACTION` of ``[t_start, t_end]``
    is discarded as a transient unless the caller (or a circuit file's ``t_transient``) says
    where the settled part begins.

    Examples
    --------
    >>> settled_window(0.0, 10_000.0)
    (5000.0, 10000.0)
    >>> settled_window(0.0, 10_000.0, settled_from=2000.0)
    (2000.0, 10000.0)
    """
    if settled_from is None:
        settled_from = t_start + TRANSIENT_FRACTION * (t_end - t_start)
    return float(settled_from), float(t_end)


def spike_times(t, v, threshold=0.0, hysteresis=0.5):
    """Spike times of a sampled voltage trace ``v(t)`` (see the module notes for the definition).

    Each counted upward crossing of ``threshold`` between samples ``i`` and ``i + 1`` is located
    by linear interpolation; a crossing counts only if the voltage was below
    ``threshold - hysteresis`` at some sample since the previous crossing (or the trace starts
    below the threshold and this is the first crossing).

    Parameters
    ----------
    t, v : array_like
        Sample times (increasing) and voltages, the same length.
    threshold : float, default 0.0
    hysteresis : float, default 0.5
        ``>= 0``; 0 counts every upward crossing.

    Returns
    -------
    ndarray
        Spike times, increasing.

    Examples
    --------
    A jittery upstroke crosses 0 three times but is one spike; the next one counts because the
    voltage fell below -0.5 in between:

    >>> t = [0, 1, 2, 3, 4, 5, 6, 7]
    >>> v = [-1.0, 0.2, -0.1, 0.3, 1.0, -0.8, 0.5, 1.0]
    >>> spike_times(t, v).tolist()
    [0.8333333333333334, 5.615384615384615]
    >>> spike_times(t, v, hysteresis=0.0).size
    3
    """
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"`t` and `v` must be 1-D arrays of the same length, got shapes {t.shape} and {v.shape}")
    if not hysteresis >= 0.0:
        raise ValueError(f"`hysteresis` must be >= 0, got {hysteresis!r}")
    if v.size < 2:
        return np.empty(0)
    up = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    if up.size == 0:
        return np.empty(0)
    # Re-arming samples, counted cumulatively: crossing k counts iff one lies in (up[k-1], up[k]]
    # (a crossing not counted leaves the neuron disarmed, so "since the last counted spike" and
    # "since the last crossing" agree). The start counts as re-arming when it lies below threshold.
    low = v < threshold - hysteresis
    low[0] |= v[0] < threshold
    seen = np.cumsum(low)
    before = np.concatenate(([0], seen[up[:-1]]))
    keep = up[seen[up] > before]
    return t[keep] + (threshold - v[keep]) / (v[keep + 1] - v[keep]) * (t[keep + 1] - t[keep])


BURST_GAP_RATIO = 2.0
REGULAR_CV = 0.15
BURST_COVERAGE = 0.5


@dataclass(frozen=True)
class BurstAnalysis:
    """Spikes of a window grouped into bursts.

    Attributes
    ----------
    spikes : ndarray
        Spike times inside the window.
    bursts : list of ndarray
        Spike times of each complete burst (two or more spikes, silence on both sides).
    n_groups : int
        Bursts in the window including those cut by its edges.
    n_isolated : int
        Lone spikes between bursts.
    threshold : float or None
        ISI above which a new group starts (None: no burst structure).
    stopped : bool
        True when activity ended inside the window.
    """

    spikes: np.ndarray
    bursts: list
    n_groups: int
    n_isolated: int
    threshold: float | None
    stopped: bool


def analyse_spikes(spike_times, t_start, t_end):
    """Group the spikes of ``[t_start, t_end]`` into bursts (see module docs)."""
    s = np.asarray(spike_times, dtype=np.float64)
    s = s[(s >= t_start) & (s <= t_end)]
    window = t_end - t_start
    if s.size == 0:
        return BurstAnalysis(s, [], 0, 0, None, stopped=True)
    isi = np.diff(s)
    longest = isi.max() if isi.size else 0.0
    stopped = (t_end - s[-1]) > max(3.0 * longest, 0.25 * window)
    if isi.size < 2:
        return BurstAnalysis(s, [], 0, 0, None, stopped)
    ordered = np.sort(isi)
    ratios = ordered[1:] / np.maximum(ordered[:-1], 1e-300)
    gap = int(np.argmax(ratios))
    if ratios[gap] < BURST_GAP_RATIO:
        return BurstAnalysis(s, [], 0, 0, None, stopped)
    threshold = float(np.sqrt(ordered[gap] * ordered[gap + 1]))
    groups = np.split(s, np.flatnonzero(isi > threshold) + 1)
    complete = []
    n_groups = 0
    for i, group in enumerate(groups):
        if group.size < 2:
            continue
        n_groups += 1
        before_ok = (group[0] - t_start) > threshold if i == 0 else True
        after_ok = (t_end - group[-1]) > threshold if i == len(groups) - 1 else True
        if before_ok and after_ok:
            complete.append(group)
    n_isolated = sum(1 for g in groups if g.size == 1)
    return BurstAnalysis(s, complete, n_groups, n_isolated, threshold, stopped)


def _cv(x):
    return float(np.std(x) / np.mean(x)) if x.size >= 2 and np.mean(x) > 0 else 0.0


def summarize_spikes(spike_times, t_start, t_end):
    """Pattern and metrics of the spikes in ``[t_start, t_end]``.

    The classification rules are those of the module notes; spikes outside the window are ignored.

    Parameters
    ----------
    spike_times : array_like
        Spike times (dimensionless), increasing, e.g. ``SimulationResult.spike_times``.
    t_start, t_end : float
        The window analysed, ``t_start <= t_end`` (an empty window gives ``"rest"``).

    Returns
    -------
    dict
        ``pattern`` (one of :data:`PATTERNS`), ``n_spikes``, ``firing_rate``
        (spikes per time unit), ``isi_mean``, ``isi_cv``, ``n_bursts``
        (complete bursts), ``burst_period``, ``spikes_per_burst`` (median
        over complete bursts), ``intra_burst_isi`` (mean ISI inside complete
        bursts), ``duty_cycle`` (burst duration / period), ``n_isolated``
        (lone spikes between bursts), ``t_start``, ``t_end``. Metrics that
        do not apply are ``None``.

    Raises
    ------
    ModelError
        If ``spike_times`` is not a 1-D array of finite numbers in increasing order, ``t_start`` or
        ``t_end`` is not a finite number, or ``t_end < t_start``.

    Examples
    --------
    Three bursts of three spikes, period 100:

    >>> spikes = [10, 12, 14, 110, 112, 114, 210, 212, 214]
    >>> m = summarize_spikes(spikes, 0.0, 300.0)
    >>> m["pattern"], m["spikes_per_burst"], m["burst_period"], m["intra_burst_isi"]
    ('bursting', 3, 100.0, 2.0)

    Regular spiking, and activity that stops early in the window:

    >>> summarize_spikes([10, 20, 30, 40, 50], 0.0, 60.0)["pattern"]
    'tonic'
    >>> summarize_spikes([10, 20, 30, 40, 50], 0.0, 600.0)["pattern"]
    'rest'
    """
    from .. import _validate as check
    from ..errors import ModelError

    spike_times = check.real_array("spike_times", spike_times)
    if np.any(np.diff(spike_times) < 0):
        raise ModelError("`spike_times` must be in increasing order")
    t_start, t_end = check.real("t_start", t_start), check.real("t_end", t_end)
    if t_end < t_start:
        raise ModelError(f"the window is reversed: t_end = {t_end!r} < t_start = {t_start!r}")
    return spike_summary(spike_times, t_start, t_end)


def spike_summary(spike_times, t_start, t_end):
    """:func:`summarize_spikes` without its checks, for the package's own callers (their trains may be padded
    with NaN, which lies outside every window)."""
    a = analyse_spikes(spike_times, t_start, t_end)
    s = a.spikes
    isi = np.diff(s)
    out = {
        "pattern": "rest",
        "n_spikes": int(s.size),
        "firing_rate": float(s.size / (t_end - t_start)) if t_end > t_start else 0.0,
        "isi_mean": float(isi.mean()) if isi.size else None,
        "isi_cv": _cv(isi) if isi.size else None,
        "n_bursts": len(a.bursts),
        "burst_period": None,
        "spikes_per_burst": None,
        "intra_burst_isi": None,
        "duty_cycle": None,
        "n_isolated": 0,
        "t_start": float(t_start),
        "t_end": float(t_end),
    }
    if a.stopped or s.size < 3:
        return out
    if a.threshold is not None and a.n_isolated > (1.0 - BURST_COVERAGE) * s.size:
        out["pattern"] = "irregular"  # a few close pairs among mostly lone spikes are not bursts
        return out
    if a.threshold is None:
        out["pattern"] = "tonic" if _cv(isi) < REGULAR_CV else "irregular"
        return out
    bursts = a.bursts
    counts = np.array([b.size for b in bursts])
    out["n_isolated"] = a.n_isolated
    if len(bursts) >= 1:
        out["spikes_per_burst"] = int(round(float(np.median(counts))))
        inner = np.concatenate([np.diff(b) for b in bursts])
        out["intra_burst_isi"] = float(inner.mean()) if inner.size else None
    if len(bursts) >= 2:
        starts = np.array([b[0] for b in bursts])
        periods = np.diff(starts)
        period = float(periods.mean())
        out["burst_period"] = period
        durations = np.array([b[-1] - b[0] for b in bursts])
        out["duty_cycle"] = float(durations.mean() / period)
        out["pattern"] = "bursting" if _cv(periods) < REGULAR_CV else "irregular"
    else:
        out["pattern"] = "bursting" if a.n_groups >= 2 else "irregular"
    return out
