"""A measured trace, checked once: sample times, each neuron's membrane voltage and applied current."""

from dataclasses import dataclass

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from ..model.stimulus import Constant


@dataclass(frozen=True)
class Trace:
    """``t`` (N,), increasing; ``v`` and ``i_app`` (N x neurons), in the model's neuron order."""

    t: np.ndarray
    v: np.ndarray
    i_app: np.ndarray


def _array(name, value):
    try:
        return check.real_array(name, value)
    except ModelError as exc:
        raise ModelError(f"trace: {exc}") from None


def check_times(t):
    t = _array("t", t)
    if t.size < 3:
        raise ModelError(f"trace: `t` needs at least 3 samples, got {t.size}")
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ModelError(f"trace: the time grid must increase: t[{i + 1}] = {float(t[i + 1])!r} follows "
                         f"t[{i}] = {float(t[i])!r}")
    return t


def model_current(structure, names, t, i_app):
    """The applied current of each neuron on the grid: ``i_app`` as simulate takes it, or the model's own."""
    from ..lower.compile import as_compiled_model
    from ..lower.problem import applied_currents

    compiled = as_compiled_model(structure.model)
    bias, stimuli = applied_currents(compiled, i_app)
    current = np.empty((t.size, len(names)))
    for k, stimulus in enumerate(stimuli):
        # a constant needs no evaluation on the grid (a stimulus's own call looks every time up in its segments)
        current[:, k] = bias[k] + (stimulus.value if isinstance(stimulus, Constant) else
                                   np.broadcast_to(np.asarray(stimulus(t), dtype=np.float64), t.shape))
    return current


def as_trace(structure, trace, i_app=None):
    """A :class:`Trace` from a ``SimulationResult`` (ours or ngspice's), ``(t, v)`` / ``(t, v, i_app)`` arrays
    (``v`` of one neuron, or neurons x samples), or ``{neuron: (t, v[, i_app])}``. Without a current in the
    trace, ``i_app`` (as :func:`neuromorph.simulate` takes it) or the model's own current is used."""
    from ..solve.results import SimulationResult

    names = structure.neuron_names
    n = len(names)
    current = None
    if isinstance(trace, SimulationResult):
        t = check_times(trace.t)
        if n == 1:
            if "v" not in trace.state_names:
                raise ModelError("trace: the run did not record `v` (simulate with record=None or including 'v')")
            v = trace["v"][:, None]
        else:
            missing = [f"{m}.v" for m in names if f"{m}.v" not in trace.state_names]
            if missing:
                raise ModelError(f"trace: the run has no voltage of the model's neuron(s) {missing}; it recorded "
                                 f"{', '.join(trace.state_names) or 'nothing'} (are model and trace the same circuit?)")
            v = np.stack([trace[f"{m}.v"] for m in names], axis=1)
    elif isinstance(trace, dict):
        unknown = [k for k in trace if k not in names]
        missing = [m for m in names if m not in trace]
        if unknown or missing:
            raise ModelError(f"trace: its neurons {sorted(map(str, trace))} are not the model's {list(names)}")
        parts = [trace[m] for m in names]
        if not all(isinstance(p, tuple | list) and len(p) in (2, 3) for p in parts):
            raise ModelError("trace: give each neuron as (t, v) or (t, v, i_app)")
        t = check_times(parts[0][0])
        vs, cs = [], []
        for m, part in zip(names, parts):
            tm = _array(f"t of {m!r}", part[0])
            if tm.shape != t.shape or not np.array_equal(tm, t):
                raise ModelError(f"trace: neuron {m!r} is sampled at other times than {names[0]!r} ({tm.size} samples "
                                 f"against {t.size}); sample every neuron at the same times")
            vs.append(_array(f"v of {m!r}", part[1]))
            if len(part) == 3:
                cs.append(np.broadcast_to(_array(f"i_app of {m!r}", np.broadcast_to(part[2], t.shape)), t.shape))
        v = np.stack(vs, axis=1)
        if cs:
            if len(cs) != n:
                raise ModelError("trace: give i_app for every neuron or for none")
            current = np.stack(cs, axis=1)
    elif isinstance(trace, tuple | list) and len(trace) in (2, 3):
        t = check_times(trace[0])
        try:
            v = np.array(trace[1], dtype=np.float64)
        except (TypeError, ValueError):
            raise ModelError(f"trace: `v` must be an array of real numbers, got {type(trace[1]).__name__}") from None
        v = v[:, None] if v.ndim == 1 else v.T if v.ndim == 2 else v
        if v.ndim != 2 or v.shape[1] != n:
            raise ModelError(f"trace: `v` must hold one row per neuron of the model ({n}: {', '.join(names)}), got "
                             f"shape {np.shape(trace[1])}")
        if len(trace) == 3:
            c = np.array(trace[2], dtype=np.float64) if not np.isscalar(trace[2]) else np.full(t.shape, trace[2])
            c = c[:, None] if c.ndim == 1 else c.T
            if c.shape != (t.size, n):
                raise ModelError(f"trace: `i_app` must have the shape of `v`, got {np.shape(trace[2])}")
            current = _array("i_app", c.ravel()).reshape(c.shape)
    else:
        raise ModelError("trace: expected a SimulationResult, (t, v), (t, v, i_app) or {neuron: (t, v[, i_app])}, "
                         f"got {type(trace).__name__}")
    if v.shape[0] != t.size:
        raise ModelError(f"trace: `v` has {v.shape[0]} samples and `t` {t.size}: they must be as many")
    bad = ~np.isfinite(v) | (np.abs(v) > check.MAGNITUDE)  # (beyond it the regressor's sums overflow to NaN)
    if bad.any():
        i, k = np.argwhere(bad)[0]
        beyond = "" if not np.isfinite(v[i, k]) else f", beyond +-{check.MAGNITUDE:g}"
        raise ModelError(f"trace: the voltage of {names[k]!r} is {float(v[i, k])!r}{beyond} at sample {i} "
                         f"(t = {float(t[i])!r})")
    if current is None:
        current = model_current(structure, names, t, i_app)
    elif i_app is not None:
        raise ModelError("trace: the trace gives i_app already; leave the `i_app` argument out")
    return Trace(t, np.ascontiguousarray(v), np.ascontiguousarray(current))
