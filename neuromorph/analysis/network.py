"""Rhythms of networks: per-neuron bursts, period, duty cycle, and phases relative to a reference neuron.

The phase of neuron ``j`` relative to neuron ``i`` is, for each burst of ``j``, the time since
the last burst of ``i`` began, divided by ``i``'s period, averaged on the circle (so bursts
near 0 and near 1 average to 0, not to 0.5). A half-centre oscillator alternates in
anti-phase (phase 0.5); neurons that burst together are in phase (phase 0).

Classification of a pair: ``"other period"`` when the burst periods differ by more than
:data:`PERIOD_TOLERANCE` (a 2:1 rhythm, say: the phase is then not reported, see
``period_ratio``); else ``"unlocked"`` when the phase wanders (circular spread above
:data:`LOCK_SPREAD`), ``"anti-phase"`` within ``phase_tolerance`` (default
:data:`PHASE_TOLERANCE`, 0.05) of 0.5, ``"in-phase"`` within it of 0 (or 1), ``"phase-locked"``
otherwise; ``"-"`` when either neuron has fewer than two bursts. The band is an argument of
:func:`rhythm` and is reported with the rows (``phase_tolerance``), so a label never hides
how far from 0.5 or 0 a phase may be: with the default, 0.43 is "phase-locked", not
"anti-phase".
"""

import math

import numpy as np

from .spikes import analyse_spikes, spike_summary

__all__ = ["burst_starts", "phase", "rhythm", "classify_phase", "PHASE_TOLERANCE", "LOCK_SPREAD", "PERIOD_TOLERANCE"]

PHASE_TOLERANCE = 0.05
"""Half-width of the bands around 0.5 ("anti-phase") and 0 ("in-phase"), in cycles."""
LOCK_SPREAD = 0.1
"""Largest circular spread (in cycles) of a pair's phases that still counts as locked."""
PERIOD_TOLERANCE = 0.05


def burst_starts(spike_times, t_start, t_end):
    """Start times of the bursts of one neuron in ``[t_start, t_end]`` (including bursts cut by the window)."""
    a = analyse_spikes(spike_times, t_start, t_end)
    if a.threshold is None:
        return np.empty(0)
    groups = np.split(a.spikes, np.flatnonzero(np.diff(a.spikes) > a.threshold) + 1)
    return np.array([group[0] for group in groups if group.size >= 2])


def phase(starts, reference_starts):
    """Mean phase and its circular spread of bursts ``starts`` relative to ``reference_starts``.

    Returns ``(phase in [0, 1), spread)`` or ``(None, None)`` with fewer than two reference bursts.

    Examples
    --------
    >>> phase([150.0, 250.0, 350.0], [100.0, 200.0, 300.0, 400.0])
    (0.5, 0.0)
    """
    ref = np.asarray(reference_starts, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.float64)
    if ref.size < 2 or starts.size == 0:
        return None, None
    period = float(np.mean(np.diff(ref)))
    index = np.searchsorted(ref, starts, side="right") - 1
    inside = (index >= 0) & (index < ref.size - 1)  # between two reference bursts: a defined phase
    if not np.any(inside):
        return None, None
    phases = (starts[inside] - ref[index[inside]]) / period
    angles = 2 * np.pi * phases
    mean = np.mean(np.exp(1j * angles))
    value = (math.atan2(mean.imag, mean.real) / (2 * np.pi)) % 1.0
    spread = math.sqrt(max(0.0, -2.0 * math.log(max(abs(mean), 1e-300)))) / (2 * np.pi)
    return round(value, 12) % 1.0, round(spread, 12)


def classify_phase(value, spread, tolerance=PHASE_TOLERANCE):
    """``"anti-phase"``, ``"in-phase"``, ``"phase-locked"``, ``"unlocked"`` or ``"-"`` (see the module docs).

    Examples
    --------
    >>> classify_phase(0.47, 0.01), classify_phase(0.42, 0.01), classify_phase(0.42, 0.01, tolerance=0.1)
    ('anti-phase', 'phase-locked', 'anti-phase')
    """
    if value is None:
        return "-"
    if spread > LOCK_SPREAD:
        return "unlocked"
    if abs(value - 0.5) <= tolerance:
        return "anti-phase"
    if min(value, 1.0 - value) <= tolerance:
        return "in-phase"
    return "phase-locked"


def check_phase_tolerance(value):
    """``phase_tolerance`` validated: a number in [0, 0.25] (wider bands around 0 and 0.5 would overlap)."""
    from .. import _validate as check
    from ..errors import ModelError

    value = check.real("phase_tolerance", value)
    if not 0.0 <= value <= 0.25:
        raise ModelError(f"`phase_tolerance` must lie in [0, 0.25] cycles (the bands around 0 and 0.5 must not "
                         f"overlap), got {value!r}")
    return value


def rhythm(result, reference=0, t_start=None, t_end=None, phase_tolerance=PHASE_TOLERANCE):
    """Per-neuron rhythm of a network run, with phases relative to ``reference``.

    Parameters
    ----------
    result : SimulationResult
    reference : int or str, default 0
        The neuron phases are measured against.
    t_start : float, optional
        Start of the window (default: the settled window of :meth:`SimulationResult.summary`).
    t_end : float, optional
        End of the window (default: the end of the run).
    phase_tolerance : float, default 0.05
        Half-width, in cycles, of the bands around 0.5 and 0 that are labelled "anti-phase" and
        "in-phase" (in [0, 0.25]).

    Returns
    -------
    dict
        ``{"reference": name, "t_start": ..., "t_end": ..., "phase_tolerance": ..., "neurons": {name: row}}`` where each
        row is the neuron's :func:`~neuromorph.summarize_spikes` summary plus ``phase``,
        ``phase_spread``, ``period_ratio`` (its burst period over the reference's) and
        ``relation`` (to the reference).
    """
    from .. import _validate as check
    from ..errors import ModelError

    phase_tolerance = check_phase_tolerance(phase_tolerance)
    ref = result.neuron_index(reference)
    t0, t1 = result._window(t_start)
    if t_end is not None:
        t_end = check.real("t_end", t_end)
        if not t0 < t_end <= t1:
            raise ModelError(f"`t_end` must lie in ({t0}, {t1}], got {t_end!r}")
        t1 = t_end
    starts = [burst_starts(result.spikes_of(m), t0, t1) for m in range(len(result.neuron_names))]
    rows = {}
    periods = [float(np.mean(np.diff(s))) if s.size >= 2 else None for s in starts]
    for m, name in enumerate(result.neuron_names):
        row = spike_summary(result.spikes_of(m), t0, t1)
        ratio = periods[m] / periods[ref] if periods[m] and periods[ref] else None
        value, spread = phase(starts[m], starts[ref]) if m != ref else (0.0, 0.0)
        if m == ref and starts[m].size < 2:
            value, spread = None, None
        if m == ref:
            relation = "reference"
        elif ratio is not None and abs(ratio - 1.0) > PERIOD_TOLERANCE:
            relation, value, spread = "other period", None, None  # no 1:1 phase to speak of
        else:
            relation = classify_phase(value, spread, phase_tolerance)
        row.update(phase=value, phase_spread=spread, period_ratio=ratio, relation=relation)
        rows[name] = row
    return {"reference": result.neuron_names[ref], "t_start": t0, "t_end": t1, "phase_tolerance": phase_tolerance,
            "neurons": rows}
