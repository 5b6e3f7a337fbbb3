"""What every member of a study is: its grid coordinates, the metrics and failure reasons kept for it, and how a
member that is one simulation (a behaviour-map cell, a study of single runs) is run.

The vocabulary :mod:`.maps`, :mod:`.spec`, :mod:`.runner` and :mod:`.store` share; this module imports none of them.
"""

from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from ..analysis.spikes import spike_summary
from ..errors import Failure, ModelError, SimulationError

__all__ = ["METRICS", "REASONS", "Axis", "parse_axis", "check_cells_memory", "run_cell", "step_limit"]

METRICS = ("burst_period", "spikes_per_burst", "isi_mean", "intra_burst_isi", "duty_cycle", "firing_rate",
           "n_spikes")
"""The per-neuron metrics of a member (:func:`neuromorph.analysis.spikes.summarize_spikes`), in stored order."""
REASONS = tuple(sorted(Failure, key=lambda reason: reason.code))
"""Member status codes: ``REASONS[status]`` is why a member failed (0, ``Failure.OK``: it did not); each
reason's code is its :attr:`~neuromorph.errors.Failure.code`, the same in every store."""
_BLOWS_UP = (Failure.DIVERGING, Failure.NON_FINITE, Failure.STEP_UNDERFLOW)


@dataclass(frozen=True)
class Axis:
    """One map axis: a parameter path and its values."""

    name: str
    values: np.ndarray

    def __len__(self):
        return self.values.size


def parse_axis(spec, label="x"):
    """An :class:`Axis` from ``(PARAM, lo, hi, n)``, ``(PARAM, values)`` or ``"PARAM:lo:hi:n"``.

    Examples
    --------
    >>> parse_axis("i_app:-3:0:4").values.tolist()
    [-3.0, -2.0, -1.0, 0.0]
    """
    if isinstance(spec, Axis):
        return spec
    if isinstance(spec, str):
        parts = spec.split(":")
        if len(parts) != 4:
            raise ModelError(f"`{label}` must look like PARAM:lo:hi:n (e.g. i_app:-3:0:64), got {spec!r}")
        try:
            spec = (parts[0], float(parts[1]), float(parts[2]), int(parts[3]))
        except ValueError:
            raise ModelError(f"`{label}` must look like PARAM:lo:hi:n with numbers, got {spec!r}") from None
    if not isinstance(spec, tuple | list) or len(spec) not in (2, 4) or not isinstance(spec[0], str):
        raise ModelError(f"`{label}` must be (PARAM, lo, hi, n) or (PARAM, values), got {spec!r}")
    name = spec[0]
    if len(spec) == 4:
        lo = v.real(f"{label} low bound", spec[1])
        hi = v.real(f"{label} high bound", spec[2])
        n = v.count(f"{label} number of values", spec[3], 1)
        if n > 1 and not lo < hi:
            raise ModelError(f"`{label}` range must have low < high, got [{lo}, {hi}] for {name}")
        check_cells_memory(n, f"{n}-value {label} axis", label)  # before allocating the axis itself
        values = np.linspace(lo, hi, n)
    else:
        values = v.real_array(f"{label} values", spec[1], 1)
        if values.size == 0:
            raise ModelError(f"`{label}` has no values for {name}")
    return Axis(name=name, values=values)


_BYTES_PER_CELL = 8 * (len(METRICS) + 4) + 64  # metrics, pattern codes, bookkeeping


def check_cells_memory(n_cells, label, name):
    """Refuse a map of ``n_cells`` cells (``label``: its size in words) beyond the memory, naming argument ``name``."""
    v.memory(name, n_cells * _BYTES_PER_CELL, ModelError, what=f"a {label} map of {n_cells:,} cells")


def run_cell(base, values, solver, t_end, t_transient, max_steps, stop=None):
    """One map cell: the compiled model ``base`` with ``values`` ({path: value}) set, integrated to ``t_end``.

    Returns ``(patterns, metrics, reason)``: a pattern per neuron, ``{metric: array per neuron}`` over
    ``[t_transient, t_end]`` (NaN where a metric does not apply), and None or why the run failed (a
    :class:`~neuromorph.errors.Failure`). A cell whose state blows up has pattern ``"diverging"`` (reason
    ``Failure.DIVERGING``, ``NON_FINITE`` or ``STEP_UNDERFLOW``); other solver failures raise.
    """
    from ..lower.problem import prepare
    from ..solve.integrator import Integrator

    nn = base.n_neurons
    metrics = {k: np.full(nn, np.nan) for k in METRICS}
    integ = Integrator(prepare(base, params=values), solver=solver, record=(), stop=stop, max_steps=max_steps)
    try:
        integ.advance(t_end)
    except SimulationError as exc:
        if exc.reason not in _BLOWS_UP:
            raise
        return ["diverging"] * nn, metrics, exc.reason  # a cell that blows up has no settled pattern; the map goes on
    result = integ.result()
    patterns = []
    for m in range(nn):
        s = spike_summary(result.spike_times[result.spike_neurons == m], t_transient, t_end)
        patterns.append(s["pattern"])
        for k in METRICS:
            if s[k] is not None:
                metrics[k][m] = s[k]
    return patterns, metrics, None


def step_limit(base, n_cells, cell, radius):
    """The largest fixed-step stability limit (:func:`neuromorph.solve.stability.stable_step`, stability radius
    ``radius``) over up to 16 of ``n_cells`` cells spread over them, cell ``i`` being the compiled ``base`` with
    the values ``cell(i)`` (``{path: value}``); None if not computed (large models)."""
    from ..solve.stability import MAX_STATES, stable_step

    if base.n_states > MAX_STATES or not n_cells:
        return None
    picks = np.unique(np.linspace(0, n_cells - 1, min(n_cells, 16)).astype(np.int64))
    limits = [stable_step(model.arrays, model.y0, radius) for model in
              (base.with_parameters(cell(int(i))) for i in picks)]
    limits = [x for x in limits if x is not None]
    return max(limits) if limits else None
