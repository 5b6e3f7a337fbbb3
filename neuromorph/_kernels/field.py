"""The scalar vector field and its Jacobian, for any model in the layout of :mod:`.layout`.

Everything here is inlined into the solver kernels (by LLVM: see :mod:`.config`); the model
arrays are data, so one compiled kernel serves every neuron and network.
"""

import numpy as np
from numba import njit, prange, uint64

from .config import JIT, JIT_INLINE, JIT_INLINE_PYTHON, JIT_PARALLEL, JIT_PIECE
from .layout import CONST, FILTER, INLINE_UPTO, LINEAR, MEMBRANE, TANH, Model, Stim, scratch_size
from .mathfn import sigmoid, tanh

__all__ = ["Model", "Stim", "MEMBRANE", "FILTER", "LINEAR", "TANH", "CONST", "RIGHT", "rhs", "rhs_threads", "rhs_call",
           "jacobian", "stim_value", "stim_slope", "empty_stim", "scratch_size"]

# ``left`` of an evaluation inside a step (the right limit at a stimulus jump). A NumPy bool, not
# ``False``: numba types a literal ``False`` argument as ``Literal[bool](False)``, and would compile
# every field function a second time for it next to the ``bool`` of a step's end.
RIGHT = np.bool_(False)
_BLOCK = 4  # doubles in one AVX2 vector: the tanh and sigmoid passes end in blocks of this many
_UNROLLED = 16  # what one turn of their compiled vector loop takes (4 vectors)
# Models of at most INLINE_UPTO (2) neurons take each TANH term's ``tanh`` in the neuron's own sum instead of
# in the vector pass: a small model's field is a chain of latencies (a DP5 stage waits for the one before), and
# the pass's round trip through memory cost a bursting neuron's field ~15 % (39 -> 34 ns a call); from 4
# neurons on, the pass is faster (a 4-neuron network ran 20 % slower without it).
_PASSED = np.bool_(False)  # ``inline`` of a large model: the values come from the pass (a NumPy bool: see RIGHT)


@njit(**JIT_INLINE)
def _segment(stim, neuron, t, left):
    """Index of the segment holding ``t`` (its left limit when ``left``)."""
    lo = stim.ptr[neuron]
    hi = stim.ptr[neuron + 1] - 1
    # Invariant: stim.t[lo] (= -inf) precedes t; find the last start <= t (< t if left).
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        start = stim.t[mid]
        if start < t or (start == t and not left):
            lo = mid
        else:
            hi = mid - 1
    return lo


@njit(**JIT_INLINE)
def stim_value(stim, neuron, t, left):
    """Applied current of ``neuron`` at time ``t``."""
    i = _segment(stim, neuron, t, left)
    b = stim.b[i]
    if b == 0.0:
        return stim.a[i]
    return stim.a[i] + b * (t - stim.t[i])


@njit(**JIT_INLINE)
def stim_slope(stim, neuron, t, left):
    """Time derivative of the applied current of ``neuron`` at ``t``."""
    return stim.b[_segment(stim, neuron, t, left)]


@njit(**JIT_INLINE)
def _base(model, e, y):
    """The base factor of term ``e``: ``x``, ``tanh x`` or 1, with ``x = y[input] - offset``."""
    base = model.el_base[e]
    if base == CONST:
        return 1.0
    x = y[model.el_in[e]] - model.el_off[e]
    return x if base == LINEAR else tanh(x)


@njit(**JIT_INLINE)
def activations(model, y, act, lo, hi):
    """Activations ``lo:hi``, ``sigma(k (y[input] - offset))``, into ``act``.

    The gather and the sigmoid are separate loops: the contiguous sigmoid loop compiles to
    vector code (a loop that also gathers does not, and runs ~4x slower).
    """
    out, k, inp, off = act[lo:hi], model.act_k[lo:hi], model.act_in[lo:hi], model.act_off[lo:hi]
    for j in range(out.shape[0]):  # indices from 0: no negative-index wrap-around code, so it vectorises
        out[j] = k[j] * (y[uint64(inp[j])] - off[j])
    _sigmoids(out)


@njit(**JIT_INLINE)
def _activations_scalar(model, y, act):
    """:func:`activations` of a small model, in one plain loop: the same bits (the vector code of the passes
    computes what the scalar code does), without the passes' set-up: the HCO's field 67.5 -> 58.2 ns a call."""
    k, inp, off = model.act_k, model.act_in, model.act_off
    for j in range(act.shape[0]):
        act[j] = sigmoid(k[j] * (y[uint64(inp[j])] - off[j]))


@njit(**JIT_INLINE)
def activations_at(model, y, prev, ah, act, lo, hi):
    """:func:`activations` at the state ``y + ah prev`` (an RK stage's, not written out; the same bits as
    the activations of that state computed first)."""
    out, k, inp, off = act[lo:hi], model.act_k[lo:hi], model.act_in[lo:hi], model.act_off[lo:hi]
    for j in range(out.shape[0]):
        i = uint64(inp[j])
        out[j] = k[j] * ((y[i] + ah * prev[i]) - off[j])
    _sigmoids(out)


@njit(**JIT_INLINE)
def _sigmoids(out):
    """``sigmoid`` of every entry of ``out``, in place (vector code: see :func:`_tanh_terms`)."""
    n = out.shape[0]
    long = n - n % _UNROLLED  # (see _tanh_terms)
    for j in range(long):
        out[j] = sigmoid(out[j])
    for b in range(long, n - n % _BLOCK, _BLOCK):
        block = out[b:b + _BLOCK]
        for j in range(_BLOCK):
            block[j] = sigmoid(block[j])
    for j in range(n - n % _BLOCK, n):
        out[j] = sigmoid(out[j])


@njit(**JIT_INLINE)
def _tanh_terms(model, y, th, lo, hi):
    """``tanh`` of the TANH-group terms ``lo:hi`` into ``th`` (gather, then vector code).

    A plain loop compiles to vector code for its multiples of :data:`_UNROLLED` only (four vectors a
    turn), and runs the rest as scalars: a neuron's four terms took 36 ns so, 21 ns as one vector. So the
    loop takes the multiples of 16, then blocks of :data:`_BLOCK` (one vector each), then the last few.
    (Blocks alone were 1.5x slower than the plain loop on 40 000 terms.)
    """
    out, inp, off = th[lo:hi], model.el_in[lo:hi], model.el_off[lo:hi]
    for e in range(out.shape[0]):
        out[e] = y[uint64(inp[e])] - off[e]
    n = out.shape[0]
    long = n - n % _UNROLLED
    for e in range(long):
        out[e] = tanh(out[e])
    for b in range(long, n - n % _BLOCK, _BLOCK):
        block = out[b:b + _BLOCK]
        for e in range(_BLOCK):
            block[e] = tanh(block[e])
    for e in range(n - n % _BLOCK, n):
        out[e] = tanh(out[e])


@njit(**JIT_INLINE)
def _neuron_currents(model, stim, t, left, y, dy, act, th, lo, hi, inline):
    """``dy`` of the membranes of neurons ``lo:hi``, from the activations already computed, and the TANH
    values already computed in ``th`` or (``inline``) computed here, term by term."""
    mem = model.mem_state
    group = model.el_group
    gain = model.el_gain
    for i in range(hi - lo):
        n = uint64(lo + i)  # unsigned indices skip numba's negative-index wrap-around code
        k = uint64(mem[n])
        current = stim_value(stim, n, t, left) + model.i_bias[n]
        if inline:
            for e in range(uint64(group[n, 0]), uint64(group[n, 1])):
                current -= gain[e] * tanh(y[uint64(model.el_in[e])] - model.el_off[e])
        else:
            for e in range(uint64(group[n, 0]), uint64(group[n, 1])):
                current -= gain[e] * th[e]
        for e in range(uint64(group[n, 2]), uint64(group[n, 3])):
            current -= gain[e] * (y[uint64(model.el_in[e])] - model.el_off[e])
        for e in range(uint64(group[n, 4]), uint64(group[n, 5])):  # synaptic inputs: gain * one activation
            current -= gain[e] * act[uint64(model.gate_act[uint64(model.gate_ptr[e])])]
        for e in range(uint64(group[n, 6]), uint64(group[n, 7])):
            g = gain[e] * _base(model, e, y)
            for j in range(uint64(model.gate_ptr[e]), uint64(model.gate_ptr[e + 1])):
                g *= act[uint64(model.gate_act[j])]
            current -= g
        dy[k] = current * model.st_rate[k]


@njit(**JIT_INLINE)
def _filters(model, y, dy, lo, hi):
    for i in range(hi - lo):
        k = uint64(model.filt_state[uint64(lo + i)])
        dy[k] = (y[uint64(model.st_src[k])] - y[k]) * model.st_rate[k]


@njit(**JIT_INLINE)
def rhs(model, stim, t, left, y, dy, tmp):
    """Write ``dy/dt`` at ``(t, y)`` into ``dy``; ``tmp`` is scratch of :func:`.layout.scratch_size` floats.

    Two vectorisable passes (activations, then every TANH term's ``tanh``; a model of 1-2 neurons computes
    its activations in one plain loop and each ``tanh`` where it is summed instead) are followed by
    one pass over neurons, each summing its membrane current in a register and storing it
    once: summing into ``dy`` in memory put a store/load round trip per term on the critical
    path (a DP5 stage waits for the previous one). Indices read from the model arrays are
    cast to unsigned, which skips numba's negative-index wrap-around code. Serial: a large
    model's fixed-step kernel evaluates :func:`rhs_threads` instead (the same bits).
    """
    n_act = model.act_in.shape[0]
    act = tmp[:n_act]
    th = tmp[n_act:]
    n_neurons = model.mem_state.shape[0]
    inline = n_neurons <= INLINE_UPTO
    if inline:
        _activations_scalar(model, y, act)
    else:
        activations(model, y, act, 0, n_act)
        _tanh_terms(model, y, th, 0, th.shape[0])
    _neuron_currents(model, stim, t, left, y, dy, act, th, 0, n_neurons, inline)
    _filters(model, y, dy, 0, model.filt_state.shape[0])


@njit(**JIT_PARALLEL)
def rhs_threads(model, stim, t, left, y, dy, tmp):
    """:func:`rhs` with its passes cut into ``model.chunks[0]`` pieces run on numba's threads (two
    parallel regions, ~5 us each): for models of :data:`.config.PARALLEL_FROM` neurons or more.

    Its own function, compiled with ``parallel=True`` only when a large model needs it: parallel
    compilation is slow, and every other kernel is serial.
    """
    n_act = model.act_in.shape[0]
    act = tmp[:n_act]
    th = tmp[n_act:]
    n_tanh = th.shape[0]
    n_neurons = model.mem_state.shape[0]
    n_filters = model.filt_state.shape[0]
    parts = model.chunks[0]
    for c in prange(parts):
        _passes_piece(model, y, act, th, c * n_act // parts, (c + 1) * n_act // parts, c * n_tanh // parts,
                      (c + 1) * n_tanh // parts)
    for c in prange(parts):
        _currents_piece(model, stim, t, left, y, dy, act, th, c * n_neurons // parts, (c + 1) * n_neurons // parts,
                        c * n_filters // parts, (c + 1) * n_filters // parts)


@njit(**JIT_PIECE)
def _passes_piece(model, y, act, th, a_lo, a_hi, lo, hi):
    """Activations ``a_lo:a_hi`` and TANH terms ``lo:hi``: one thread's piece of :func:`rhs_threads`'s first region."""
    activations(model, y, act, a_lo, a_hi)
    _tanh_terms(model, y, th, lo, hi)


@njit(**JIT_PIECE)
def _currents_piece(model, stim, t, left, y, dy, act, th, lo, hi, f_lo, f_hi):
    """Currents of neurons ``lo:hi`` and filters ``f_lo:f_hi``: one thread's piece of its second region."""
    _neuron_currents(model, stim, t, left, y, dy, act, th, lo, hi, _PASSED)
    _filters(model, y, dy, f_lo, f_hi)


@njit(**JIT)
def rhs_call(model, stim, t, left, y, dy, tmp):
    """Out-of-line :func:`rhs` for rare call sites (keeps kernels small; a call costs ~50 ns)."""
    rhs(model, stim, t, left, y, dy, tmp)


@njit(**JIT_INLINE_PYTHON)
def jacobian(model, stim, t, left, y, vals, dfdt, tmp):
    """The analytic Jacobian ``d(dy/dt)/dy`` as values of the fixed pattern ``(jac_row, jac_col)``
    into ``vals`` (entries of the same place add up), and ``d(dy/dt)/dt`` into ``dfdt``."""
    act = tmp[:model.act_in.shape[0]]
    activations(model, y, act, 0, act.shape[0])
    p = 0
    for e in range(model.el_base.shape[0]):
        scale = -model.st_rate[model.el_tgt[e]] * model.el_gain[e]
        g0 = model.gate_ptr[e]
        g1 = model.gate_ptr[e + 1]
        gates = 1.0
        for i in range(g0, g1):
            gates *= act[model.gate_act[i]]
        base = model.el_base[e]
        if base == CONST:
            value = 1.0
        else:
            x = y[model.el_in[e]] - model.el_off[e]
            if base == LINEAR:
                value = x
                slope = 1.0
            else:
                value = tanh(x)
                slope = 1.0 - value * value
            vals[p] = scale * slope * gates
            p += 1
        for i in range(g0, g1):
            # d/dx sigma(k (x - d)) = k sigma (1 - sigma); the other gates enter as a product
            # (recomputed rather than divided out, so a gate at exactly 0 is harmless).
            a = model.gate_act[i]
            sig = act[a]
            others = 1.0
            for j in range(g0, g1):
                if j != i:
                    others *= act[model.gate_act[j]]
            vals[p] = scale * value * others * model.act_k[a] * sig * (1.0 - sig)
            p += 1
    for i in range(model.filt_state.shape[0]):
        rate = model.st_rate[model.filt_state[i]]
        vals[p] = -rate
        vals[p + 1] = rate
        p += 2
    for k in range(y.shape[0]):
        dfdt[k] = 0.0
    for n in range(model.mem_state.shape[0]):
        k = model.mem_state[n]
        dfdt[k] = stim_slope(stim, uint64(n), t, left) * model.st_rate[k]  # uint64 as in rhs: one _segment


def empty_stim(n_neurons):
    """A stimulus of zero current for ``n_neurons`` neurons (for analysis helpers)."""
    return Stim(
        ptr=np.arange(n_neurons + 1, dtype=np.int64),
        t=np.full(n_neurons, -np.inf),
        a=np.zeros(n_neurons),
        b=np.zeros(n_neurons),
        jumps=np.empty(0),
    )
