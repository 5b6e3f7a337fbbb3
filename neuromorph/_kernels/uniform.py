"""The vector field of a network of like neurons, its neurons side by side in vector lanes.

Most large networks are many copies of one neuron (the same states, the same localized
conductances, each with its own gains, offsets and current) joined by synapses. The general
field (:func:`.field.rhs`) walks neuron by neuron through each one's groups of terms; here the
neurons are the lanes of long vector loops instead, as the copies of an ensemble are
(:mod:`.lanes`), and only the synaptic input is gathered neuron by neuron:

1. the activations of every synapse, ``sigma(k (V_pre - offset))``, one vectorisable pass (as in
   :func:`.field.rhs`);
2. each state of every neuron copied into a row of ``N`` values (``rows[r * N + n]``), so that the
   ``T`` localized conductances become ``T`` rows of ``tanh`` arguments, one vectorisable pass, and
   the leak and the membrane current are loops over ``N`` lanes;
3. each neuron's synaptic input summed from its compressed row of synapses (gain, activation index),
   and ``dV/dt`` and the filters written back into the state's own order.

The model's states keep their order (neuron by neuron), so the solvers' loops, outputs and spike
detection are those of every other model, and the results equal the general field's up to the
rounding of the (differently ordered) sums. A model qualifies (:func:`uniform_structure`) when
every neuron has the same states, the same localized (``tanh``) and linear terms on the same states
of its own, and no gated term; its synapses are free (any number per neuron, from any neuron).

The field reads a :data:`UniformModel`: the model's arrays (:class:`.layout.Model`) and the lane
layout, the gains, offsets and rates copied into rows of ``N`` (:func:`uniform_model`, called again
after a parameter change), and two rows of scratch of its own. A model of :data:`.config.PARALLEL_FROM`
neurons or more runs :func:`rhs_uniform_threads`: the neurons cut into ``chunks[0]`` pieces, with
two parallel regions an evaluation (the synaptic sums need every activation).

On threads, RK4 (:func:`.fixed.fixed_run_uniform_threads`) leaves no pass over every state to one thread
while the other waits: each stage's state ``y + a h k`` is read inside the field as it is needed
(:func:`rhs_uniform_stage_threads`), and the step's end (:func:`rk4_combine_threads`, with its finiteness and
threshold checks) and its commit (:func:`settle_threads`, with the detectors' re-arming and the runaway check)
run piece by piece, each thread over the states of the neurons it evaluates, which so stay in its cache. Those
serial passes took ~65 of a step's ~500 us for 10 000 neurons; the results are the same bits.
"""

from collections import namedtuple

import numpy as np
from numba import njit, prange, uint64

from .config import JIT_INLINE, JIT_INLINE_PYTHON, JIT_PARALLEL_KERNEL, JIT_PIECE, JIT_VIEW
from .common import all_finite, crossing_due, rearm_runaway, take_step
from .field import activations, activations_at, stim_value
from .layout import CONST, LINEAR, TANH, Model
from .mathfn import tanh

__all__ = ["UniformModel", "UniformStructure", "uniform_structure", "uniform_model", "rhs_uniform",
           "rhs_uniform_threads", "rhs_uniform_stage_threads", "rk4_combine_threads", "settle_threads"]

UniformModel = namedtuple("UniformModel", Model._fields + (
    "u_dims",  # N neurons, S states each, T tanh terms each, L linear terms each, F filters each, membrane row
    "u_trow", "u_lrow", "u_frow", "u_fsrc",  # a neuron's state read by each tanh / linear term; filter rows, sources
    "u_tg", "u_to", "u_lg", "u_lo",  # gains and offsets of the tanh and linear terms, T (L) rows of N
    "u_sptr", "u_sidx", "u_sg",  # synapses: each neuron's range, the activation each reads, its gain
    "u_mrate", "u_frate",  # 1/C of each membrane (N), 1/tau of each filter (F rows of N)
    "u_rows",  # scratch: the states as S rows of N, then the membrane currents (N)
    "u_flags",  # scratch: each thread's piece's flags (finite, crossed, runaway), _FLAGS apart
))
UniformModel.__doc__ = """A model's arrays (:class:`.layout.Model`) with its lane layout (see the module notes)."""

UniformStructure = namedtuple("UniformStructure", "dims trow lrow frow fsrc t_idx l_idx s_lo s_hi sptr sidx frate_idx")
UniformStructure.__doc__ = """The lane layout of a model of like neurons (:func:`uniform_structure`): what does not change
with its parameters, and the indices that copy them into rows of ``N`` (:func:`uniform_model`)."""


def _same_rows(table):
    """True when every row of the 2-D array ``table`` equals its first."""
    return table.shape[0] == 0 or bool(np.all(table == table[:1]))


def uniform_structure(model):
    """The lane layout of ``model`` (arrays, :class:`.layout.Model`) if its neurons are alike, else None.

    Alike: every neuron has the same states (kinds and filter sources, in its own block), the same
    number of ``tanh`` and linear terms reading the same states of its own, and no gated term. Synapses
    (one activation times a gain) are free.
    """
    n = int(model.mem_state.size)
    ns = int(model.st_kind.size)
    if n == 0 or ns % n:
        return None
    s = ns // n
    base = np.arange(n, dtype=np.int64) * s
    group = np.asarray(model.el_group, dtype=np.int64)
    kinds = model.st_kind.reshape(n, s)
    mem = model.mem_state - base
    if not _same_rows(kinds) or not np.all(mem == mem[0]) or np.any(group[:, 7] != group[:, 6]):
        return None
    if model.filt_state.size % n:
        return None
    f = model.filt_state.size // n
    filt = model.filt_state.reshape(n, f) - base[:, None]
    src = model.st_src[model.filt_state].reshape(n, f) - base[:, None]
    if not (_same_rows(filt) and _same_rows(src)):
        return None
    t = int(group[0, 1] - group[0, 0])
    lin = int(group[0, 3] - group[0, 2])
    if np.any(group[:, 1] - group[:, 0] != t) or np.any(group[:, 3] - group[:, 2] != lin):
        return None
    t_terms = group[:, 0][:, None] + np.arange(t)  # (n, t): term index of each neuron's k-th tanh term
    l_terms = group[:, 2][:, None] + np.arange(lin)
    t_in = model.el_in[t_terms] - base[:, None]
    l_in = model.el_in[l_terms] - base[:, None]
    if not (_same_rows(t_in) and _same_rows(l_in)) or np.any(t_in < 0) or np.any(t_in >= s) or np.any(l_in < 0) \
            or np.any(l_in >= s):
        return None
    if np.any(model.el_base[t_terms] != TANH) or np.any(model.el_base[l_terms] != LINEAR):
        return None
    s_lo, s_hi = int(group[0, 4]), int(group[-1, 5])
    if np.any(group[1:, 4] != group[:-1, 5]) or np.any(model.el_base[s_lo:s_hi] != CONST):
        return None
    sptr = np.append(group[:, 4] - s_lo, s_hi - s_lo).astype(np.int64)
    sidx = model.gate_act[model.gate_ptr[s_lo:s_hi]].astype(np.int64)
    frow = filt[0].astype(np.int64) if n else np.zeros(0, np.int64)
    return UniformStructure(
        dims=np.array([n, s, t, lin, f, int(mem[0])], dtype=np.int64), trow=t_in[0].astype(np.int64),
        lrow=l_in[0].astype(np.int64), frow=frow, fsrc=src[0].astype(np.int64),
        t_idx=np.ascontiguousarray(t_terms.T).ravel(), l_idx=np.ascontiguousarray(l_terms.T).ravel(), s_lo=s_lo,
        s_hi=s_hi, sptr=sptr, sidx=sidx, frate_idx=np.ascontiguousarray((base[None, :] + frow[:, None])).ravel())


def uniform_model(model, structure):
    """``model`` (arrays) with its lane layout ``structure`` (:func:`uniform_structure`): the
    :data:`UniformModel` the uniform field reads, its parameters copied from ``model`` now (call it
    again after a parameter change)."""
    n, s = int(structure.dims[0]), int(structure.dims[1])
    return UniformModel(
        *model, u_dims=structure.dims, u_trow=structure.trow, u_lrow=structure.lrow, u_frow=structure.frow,
        u_fsrc=structure.fsrc, u_tg=model.el_gain[structure.t_idx], u_to=model.el_off[structure.t_idx],
        u_lg=model.el_gain[structure.l_idx], u_lo=model.el_off[structure.l_idx], u_sptr=structure.sptr,
        u_sidx=structure.sidx, u_sg=model.el_gain[structure.s_lo:structure.s_hi].copy(),
        u_mrate=model.st_rate[model.mem_state], u_frate=model.st_rate[structure.frate_idx],
        u_rows=np.zeros((s + 1) * n), u_flags=np.zeros(_FLAGS * max(1, int(model.chunks[0])), dtype=np.int64))


@njit(**JIT_VIEW)
def _lanes(table, row, n_all, lo, hi):
    """Lanes ``lo:hi`` of row ``row`` of ``table`` (rows of ``n_all``)."""
    return table[row * n_all + lo:row * n_all + hi]


@njit(**JIT_INLINE)
def _local(model, stim, t, left, y, prev, ah, staged, th, lo, hi):
    """Neurons ``lo:hi``: their states (``y``, or ``y + ah prev`` if ``staged``) into rows, their ``tanh``
    terms, and their membrane currents without the synapses (into the last row of ``u_rows``).

    Every loop runs over views of the neurons' ``lo:hi`` span, indexed from 0: an index that starts
    at ``lo`` may be negative for all LLVM knows, and numba's wrap-around code for negative indices
    kept those loops scalar (2.5x slower in the threaded field, where ``lo`` is not 0).
    """
    d = model.u_dims
    n_all, s, n_t, n_l = d[0], d[1], d[2], d[3]
    m = hi - lo
    rows = model.u_rows
    for r in range(s):
        row = _lanes(rows, r, n_all, lo, hi)
        if staged:
            for n in range(m):
                i = uint64((lo + n) * s + r)
                row[n] = y[i] + ah * prev[i]
        else:
            for n in range(m):
                row[n] = y[uint64((lo + n) * s + r)]
    for k in range(n_t):
        arg = _lanes(th, k, n_all, lo, hi)
        x = _lanes(rows, model.u_trow[k], n_all, lo, hi)
        off = _lanes(model.u_to, k, n_all, lo, hi)
        for n in range(m):
            arg[n] = x[n] - off[n]
        for n in range(m):
            arg[n] = tanh(arg[n])
    current = _lanes(rows, s, n_all, lo, hi)
    bias = model.i_bias[lo:hi]
    if stim.t.shape[0] == n_all:  # one segment a neuron (from -inf): a constant current each
        level = stim.a[lo:hi]
        for n in range(m):
            current[n] = level[n] + bias[n]
    else:
        for n in range(m):
            current[n] = stim_value(stim, uint64(lo + n), t, left) + bias[n]
    for k in range(n_t):
        value = _lanes(th, k, n_all, lo, hi)
        gain = _lanes(model.u_tg, k, n_all, lo, hi)
        for n in range(m):
            current[n] -= gain[n] * value[n]
    for k in range(n_l):
        x = _lanes(rows, model.u_lrow[k], n_all, lo, hi)
        gain = _lanes(model.u_lg, k, n_all, lo, hi)
        off = _lanes(model.u_lo, k, n_all, lo, hi)
        for n in range(m):
            current[n] -= gain[n] * (x[n] - off[n])


@njit(**JIT_INLINE)
def _coupled(model, dy, act, lo, hi):
    """Neurons ``lo:hi``: the synaptic input (every activation computed), then ``dy`` of their states
    (loops from 0 over views, as in :func:`_local`)."""
    d = model.u_dims
    n_all, s, n_f, mem = d[0], d[1], d[4], d[5]
    m = hi - lo
    rows = model.u_rows
    current = _lanes(rows, s, n_all, lo, hi)
    rate = model.u_mrate[lo:hi]
    ptr, idx, gain = model.u_sptr, model.u_sidx, model.u_sg
    for n in range(m):
        syn = 0.0
        for i in range(uint64(ptr[uint64(lo + n)]), uint64(ptr[uint64(lo + n + 1)])):
            syn += gain[i] * act[uint64(idx[i])]
        dy[uint64((lo + n) * s + mem)] = (current[n] - syn) * rate[n]
    for f in range(n_f):
        r = model.u_frow[f]
        x = _lanes(rows, r, n_all, lo, hi)
        x_src = _lanes(rows, model.u_fsrc[f], n_all, lo, hi)
        f_rate = _lanes(model.u_frate, f, n_all, lo, hi)
        for n in range(m):
            dy[uint64((lo + n) * s + r)] = (x_src[n] - x[n]) * f_rate[n]


@njit(**JIT_INLINE_PYTHON)
def rhs_uniform(model, stim, t, left, y, dy, tmp):
    """``dy/dt`` at ``(t, y)`` of a :data:`UniformModel`; ``tmp`` is the scratch of :func:`.layout.scratch_size`
    floats (the activations, then the ``tanh`` rows). The same values as :func:`.field.rhs` up to rounding."""
    n_act = model.act_in.shape[0]
    act = tmp[:n_act]
    th = tmp[n_act:]
    n = model.u_dims[0]
    activations(model, y, act, 0, n_act)
    _local(model, stim, t, left, y, y, 0.0, _WHOLE, th, 0, n)
    _coupled(model, dy, act, 0, n)


# ``staged`` of an evaluation at ``y`` itself (a NumPy bool: numba types a literal ``False`` apart, see .field.RIGHT)
_WHOLE = np.bool_(False)
_STAGED = np.bool_(True)


@njit(**JIT_INLINE)
def rhs_uniform_threads(model, stim, t, left, y, dy, tmp):
    """:func:`rhs_uniform` with its neurons cut into ``model.chunks[0]`` pieces on numba's threads (two
    parallel regions: the synaptic sums wait for every activation); the same bits."""
    _threads(model, stim, t, left, y, y, 0.0, _WHOLE, dy, tmp)


@njit(**JIT_INLINE)
def rhs_uniform_stage_threads(model, stim, t, left, y, prev, ah, dy, tmp):
    """:func:`rhs_uniform_threads` at the RK stage ``y + ah prev``, read as it is needed rather than written
    out first: the same bits as the field of that stage's state, without a serial pass over every state (and
    its round trip through memory) before each evaluation."""
    _threads(model, stim, t, left, y, prev, ah, _STAGED, dy, tmp)


@njit(**JIT_PARALLEL_KERNEL)
def _threads(model, stim, t, left, y, prev, ah, staged, dy, tmp):
    """The two parallel regions of :func:`rhs_uniform_threads` (at ``y + ah prev`` if ``staged``)."""
    n_act = model.act_in.shape[0]
    act = tmp[:n_act]
    th = tmp[n_act:]
    n = model.u_dims[0]
    parts = model.chunks[0]
    for c in prange(parts):
        _local_piece(model, stim, t, left, y, prev, ah, staged, act, th, c * n_act // parts,
                     (c + 1) * n_act // parts, c * n // parts, (c + 1) * n // parts)
    for c in prange(parts):
        _coupled_piece(model, dy, act, c * n // parts, (c + 1) * n // parts)


@njit(**JIT_PIECE)
def _local_piece(model, stim, t, left, y, prev, ah, staged, act, th, a_lo, a_hi, lo, hi):
    """Activations ``a_lo:a_hi`` and :func:`_local` of neurons ``lo:hi``: one thread's piece of the first region
    of :func:`rhs_uniform_threads`, compiled on its own (not inlined into the parallel region, where the same
    loops ran ~1.2x slower)."""
    if staged:
        activations_at(model, y, prev, ah, act, a_lo, a_hi)
    else:
        activations(model, y, act, a_lo, a_hi)
    _local(model, stim, t, left, y, prev, ah, staged, th, lo, hi)


@njit(**JIT_PIECE)
def _coupled_piece(model, dy, act, lo, hi):
    """:func:`_coupled` of neurons ``lo:hi``: one thread's piece of the second region of :func:`rhs_uniform_threads`."""
    _coupled(model, dy, act, lo, hi)


_FLAGS = 8  # int64 slots between two threads' flags in u_flags (a cache line: no false sharing)


@njit(**JIT_INLINE)
def rk4_combine_threads(model, thr, armed, y, f0, K, h, y_new):
    """The end of an RK4 step, ``y_new = y + h/6 (f0 + 2 (k2 + k3) + k4)``, in ``model.chunks[0]`` pieces on numba's
    threads, each the states of the neurons whose field it evaluates (so they stay in its cache, as they do for
    the stages); ``(finite, crossed)``: whether ``y_new`` is finite, whether an armed neuron crossed its threshold.
    The same bits as the serial loop (:func:`.fixed.rk4_combine`)."""
    _step_pieces(model, _COMBINE, thr, armed, thr, y, f0, K, h / 6.0, y_new, y_new)  # (thr: an unread bound)
    flags = model.u_flags
    finite, crossed = True, False
    for c in range(model.chunks[0]):
        finite &= flags[c * _FLAGS] != 0
        crossed |= flags[c * _FLAGS + 1] != 0
    return finite, crossed


@njit(**JIT_INLINE)
def settle_threads(model, thr, armed, bound, y, y_new, f0, f_new):
    """``y = y_new``, ``f0 = f_new``, the spike detectors re-armed, in ``model.chunks[0]`` pieces on numba's threads
    (each its own neurons, as :func:`rk4_combine_threads`); True on a runaway (:func:`.common.rearm_runaway`)."""
    _step_pieces(model, _SETTLE, thr, armed, bound, y, f0, f0.reshape((1, -1)), 0.0, y_new, f_new)
    runaway = False
    for c in range(model.chunks[0]):
        runaway |= model.u_flags[c * _FLAGS + 2] != 0
    return runaway


_COMBINE = np.int64(0)
_SETTLE = np.int64(1)


@njit(**JIT_PARALLEL_KERNEL)
def _step_pieces(model, what, thr, armed, bound, y, f0, K, sixth, y_new, f_new):
    """The parallel region of :func:`rk4_combine_threads` (``what`` :data:`_COMBINE`) or :func:`settle_threads`
    (:data:`_SETTLE`): one function, so one parallel compilation for both."""
    n = model.u_dims[0]
    parts = model.chunks[0]
    for c in prange(parts):
        if what == _COMBINE:
            _combine_piece(model, thr, armed, y, f0, K, sixth, y_new, c, c * n // parts, (c + 1) * n // parts)
        else:
            _settle_piece(model, thr, armed, bound, y, y_new, f0, f_new, c, c * n // parts, (c + 1) * n // parts)


@njit(**JIT_PIECE)
def _combine_piece(model, thr, armed, y, f0, K, sixth, y_new, c, lo, hi):
    """Piece ``c`` (neurons ``lo:hi``) of :func:`rk4_combine_threads`, over views indexed from 0 (see :func:`_local`)."""
    s = model.u_dims[1]
    a, b = lo * s, hi * s
    y0, d0, k2, k3, k4, out = y[a:b], f0[a:b], K[0, a:b], K[1, a:b], K[2, a:b], y_new[a:b]
    for k in range(b - a):
        out[k] = y0[k] + sixth * (d0[k] + 2.0 * (k2[k] + k3[k]) + k4[k])
    model.u_flags[c * _FLAGS] = all_finite(out)
    model.u_flags[c * _FLAGS + 1] = crossing_due(model.mem_state[lo:hi], thr[lo:hi], armed[lo:hi], y, y_new)


@njit(**JIT_PIECE)
def _settle_piece(model, thr, armed, bound, y, y_new, f0, f_new, c, lo, hi):
    """Piece ``c`` (neurons ``lo:hi``) of :func:`settle_threads`."""
    s = model.u_dims[1]
    a, b = lo * s, hi * s
    take_step(y[a:b], y_new[a:b], f0[a:b], f_new[a:b])
    model.u_flags[c * _FLAGS + 2] = rearm_runaway(model.mem_state[lo:hi], model.hysteresis[lo:hi], thr[lo:hi],
                                                  armed[lo:hi], bound[lo:hi], y)
