"""How repeatable event timing is across trials: metrics on sets of spike trains.

Each function takes ``trains``, a sequence of 1-D arrays of spike times (one per trial),
restricted to a window by the caller.

* :func:`schreiber` the correlation-based reliability of Schreiber, Fellous, Whitmer,
  Tiesinga and Sejnowski (Neurocomputing 2003): trains convolved with a Gaussian of width
  ``sigma``, mean cosine similarity over pairs (1: identical, ~0: unrelated). The inner product
  of two Gaussian-filtered trains is computed exactly, ``sum_ij exp(-(t_i - s_j)^2 / (4 sigma^2))``
  (up to a factor that cancels).
* :func:`van_rossum` mean pairwise van Rossum distance (J. Comput. Neurosci. 2001) with an
  exponential kernel of time constant ``tau``, exactly from the spike times:
  ``D^2 = (sum_ii' + sum_jj' - 2 sum_ij) exp(-|t - s| / tau) / 2``.
* :func:`events` spike times matched across trials (Mainen & Sejnowski 1995): all spikes
  pooled, cut where they are more than ``window`` apart; an event is a group reached by at
  least ``min_fraction`` of the trials. Its *jitter* is the standard deviation of the matched
  times (one per trial: the one nearest the group's median).
* :func:`timing` jitter (median over events), precision (mean jitter, Mainen & Sejnowski's
  measure), event reliability (mean fraction of trials taking part) and spike count spread.
* :func:`burst_timing` the same on burst onsets, and the spread of spikes per matched burst.

Every measure compares trials with each other: with fewer than two trials it is undefined, and
NaN (one train agrees with itself trivially, which says nothing about reliability).
* :func:`psth` peri-stimulus time histogram (spikes per unit time per trial).
"""

import numpy as np

from .spikes import analyse_spikes

__all__ = ["schreiber", "van_rossum", "events", "timing", "burst_timing", "burst_onsets", "psth"]


def _trains(trains):
    return [np.sort(np.asarray(t, dtype=np.float64).ravel()) for t in trains]


def _pair_sum(a, b, kernel, reach):
    """``sum_ij kernel(a_i - b_j)`` over pairs closer than ``reach`` (both sorted)."""
    total = 0.0
    lo = np.searchsorted(b, a - reach, side="left")
    hi = np.searchsorted(b, a + reach, side="right")
    for i in range(a.size):
        if hi[i] > lo[i]:
            total += kernel(a[i] - b[lo[i]:hi[i]]).sum()
    return total


def schreiber(trains, sigma):
    """Schreiber et al.'s correlation-based reliability in [0, 1] (NaN with fewer than two non-empty trains).

    Examples
    --------
    >>> schreiber([[10.0, 50.0], [10.0, 50.0]], sigma=2.0)
    1.0
    """
    trains = [t for t in _trains(trains) if t.size]
    if len(trains) < 2:
        return float("nan")
    kernel = lambda d: np.exp(-d * d / (4.0 * sigma * sigma))  # noqa: E731
    reach = 12.0 * sigma
    norms = np.array([np.sqrt(_pair_sum(t, t, kernel, reach)) for t in trains])
    total, pairs = 0.0, 0
    for i in range(len(trains)):
        for j in range(i + 1, len(trains)):
            total += _pair_sum(trains[i], trains[j], kernel, reach) / (norms[i] * norms[j])
            pairs += 1
    return float(min(total / pairs, 1.0))


def van_rossum(trains, tau):
    """Mean pairwise van Rossum distance (0 for identical trains; ~sqrt(n/2) for n unmatched spikes each).

    Examples
    --------
    >>> van_rossum([[10.0], [10.0]], tau=5.0)
    0.0
    """
    trains = _trains(trains)
    if len(trains) < 2:
        return float("nan")
    kernel = lambda d: np.exp(-np.abs(d) / tau)  # noqa: E731
    reach = 40.0 * tau
    own = [_pair_sum(t, t, kernel, reach) for t in trains]
    total, pairs = 0.0, 0
    for i in range(len(trains)):
        for j in range(i + 1, len(trains)):
            d2 = 0.5 * (own[i] + own[j] - 2.0 * _pair_sum(trains[i], trains[j], kernel, reach))
            total += np.sqrt(max(d2, 0.0))
            pairs += 1
    return float(total / pairs)


def events(trains, window, min_fraction=0.5):
    """Spike times matched across trials: array (n_events, n_trials), NaN where a trial missed the event."""
    trains = _trains(trains)
    n = len(trains)
    if n == 0:
        return np.empty((0, 0))
    times = np.concatenate(trains) if n else np.empty(0)
    if times.size == 0:
        return np.empty((0, n))
    owner = np.concatenate([np.full(t.size, i) for i, t in enumerate(trains)])
    order = np.argsort(times, kind="stable")
    times, owner = times[order], owner[order]
    cuts = np.flatnonzero(np.diff(times) > window) + 1
    rows = []
    for group_t, group_o in zip(np.split(times, cuts), np.split(owner, cuts)):
        if np.unique(group_o).size < min_fraction * n:
            continue
        centre = np.median(group_t)
        row = np.full(n, np.nan)
        for i in np.unique(group_o):
            mine = group_t[group_o == i]
            row[i] = mine[np.argmin(np.abs(mine - centre))]
        rows.append(row)
    return np.array(rows) if rows else np.empty((0, n))


def timing(trains, window, min_fraction=0.5):
    """Jitter, precision, event reliability and spike-count spread of a set of trials.

    Returns a dict: ``jitter`` (median std of matched times over events), ``precision`` (their
    mean), ``event_reliability`` (mean fraction of trials in each event), ``n_events``,
    ``count_mean`` and ``count_std`` (spikes per trial). With fewer than two trials every value
    but ``count_mean`` is NaN (``n_events`` 0): there is nothing to compare.

    Examples
    --------
    >>> timing([[10.0, 50.0]], window=3.0)["jitter"]
    nan
    """
    trains = _trains(trains)
    counts = np.array([t.size for t in trains], dtype=np.float64)
    if len(trains) < 2:
        return {"n_events": 0, "count_mean": float(counts.mean()) if counts.size else float("nan"),
                "count_std": float("nan"), "jitter": float("nan"), "precision": float("nan"),
                "event_reliability": float("nan")}
    matched = events(trains, window, min_fraction)
    out = {"n_events": int(matched.shape[0]), "count_mean": float(counts.mean()), "count_std": float(counts.std())}
    if matched.shape[0] == 0:
        out.update(jitter=float("nan"), precision=float("nan"), event_reliability=0.0)
        return out
    spread = np.nanstd(matched, axis=1)
    out.update(jitter=float(np.median(spread)), precision=float(np.mean(spread)),
               event_reliability=float(np.mean(np.isfinite(matched).mean(axis=1))))
    return out


def burst_onsets(train, t_start, t_end):
    """``(onsets, spikes per burst)`` of the complete bursts of one train in ``[t_start, t_end]``."""
    found = analyse_spikes(train, t_start, t_end)
    onsets = np.array([b[0] for b in found.bursts], dtype=np.float64)
    sizes = np.array([b.size for b in found.bursts], dtype=np.float64)
    return onsets, sizes


def burst_timing(trains, t_start, t_end, window, min_fraction=0.5):
    """Burst-level timing: ``burst_onset_jitter`` (median std of matched onsets), ``n_bursts``
    (matched bursts) and ``spikes_per_burst_spread`` (mean std across trials of the spikes in each
    matched burst); NaN (and 0) with fewer than two trials."""
    per_trial = [burst_onsets(t, t_start, t_end) for t in _trains(trains)]
    matched = events([p[0] for p in per_trial], window, min_fraction)
    if matched.shape[0] == 0 or len(per_trial) < 2:
        return {"burst_onset_jitter": float("nan"), "n_bursts": 0, "spikes_per_burst_spread": float("nan")}
    sizes = np.full(matched.shape, np.nan)
    for i, (onsets, size) in enumerate(per_trial):
        for e in range(matched.shape[0]):
            if np.isfinite(matched[e, i]):
                sizes[e, i] = size[np.searchsorted(onsets, matched[e, i])]
    return {"burst_onset_jitter": float(np.median(np.nanstd(matched, axis=1))), "n_bursts": int(matched.shape[0]),
            "spikes_per_burst_spread": float(np.mean(np.nanstd(sizes, axis=1)))}


def psth(trains, t_start, t_end, bin_width):
    """``(bin edges, rate)``: spikes per unit time per trial in each bin."""
    trains = _trains(trains)
    edges = np.arange(t_start, t_end + bin_width, bin_width)
    counts = sum(np.histogram(t, edges)[0] for t in trains) if trains else np.zeros(edges.size - 1)
    return edges, counts / (bin_width * max(len(trains), 1))
