"""The scalar vector field and its Jacobian, for any model in the layout of :mod:`.layout`.

Everything here is inlined into the solver kernels; the model arrays are data, so one
compiled kernel serves every neuron and network.
"""

import numpy as np
from numba import njit, uint64

from .config import JIT, JIT_INLINE
from .layout import CONST, FILTER, LINEAR, MEMBRANE, TANH, Model, Stim
from .mathfn import sigmoid, tanh

__all__ = ["Model", "Stim", "MEMBRANE", "FILTER", "LINEAR", "TANH", "CONST", "rhs", "rhs_call", "jacobian",
           "stim_value", "stim_slope", "empty_stim"]


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
def _gates(model, e, y):
    g = 1.0
    for i in range(model.gate_ptr[e], model.gate_ptr[e + 1]):
        g *= sigmoid(model.gate_k[i] * (y[model.gate_in[i]] - model.gate_off[i]))
    return g


@njit(**JIT_INLINE)
def _base(model, e, y):
    """The base factor of term ``e``: ``x``, ``tanh x`` or 1, with ``x = y[input] - offset``."""
    base = model.el_base[e]
    if base == CONST:
        return 1.0
    x = y[model.el_in[e]] - model.el_off[e]
    return x if base == LINEAR else tanh(x)


@njit(**JIT_INLINE)
def rhs(model, stim, t, left, y, dy):
    """Write ``dy/dt`` at ``(t, y)`` into ``dy``.

    Each neuron's membrane current is summed in a register and stored once:
    summing into ``dy`` in memory put a store/load round trip per term on the
    critical path (a DP5 stage waits for the previous one), ~25 % of the cost.
    Indices read from the model arrays are cast to unsigned, which skips numba's
    negative-index wrap-around code.
    """
    mem = model.mem_state
    group = model.el_group
    for n in range(mem.shape[0]):
        k = uint64(mem[n])
        current = stim_value(stim, n, t, left) + model.i_bias[n]
        for e in range(group[n, 0], group[n, 1]):
            current -= model.el_gain[e] * tanh(y[uint64(model.el_in[e])] - model.el_off[e])
        for e in range(group[n, 1], group[n, 2]):
            current -= model.el_gain[e] * (y[uint64(model.el_in[e])] - model.el_off[e])
        for e in range(group[n, 2], group[n, 3]):
            current -= model.el_gain[e] * _base(model, e, y) * _gates(model, e, y)
        dy[k] = current * model.st_rate[k]
    for i in range(model.filt_state.shape[0]):
        k = uint64(model.filt_state[i])
        dy[k] = (y[uint64(model.st_src[k])] - y[k]) * model.st_rate[k]


@njit(**JIT)
def rhs_call(model, stim, t, left, y, dy):
    """Out-of-line :func:`rhs` for rare call sites (keeps kernels small; a call costs ~50 ns)."""
    rhs(model, stim, t, left, y, dy)


@njit(**JIT_INLINE)
def jacobian(model, stim, t, left, y, vals, dfdt):
    """The analytic Jacobian ``d(dy/dt)/dy`` as values of the fixed pattern ``(jac_row, jac_col)``
    into ``vals`` (entries of the same place add up), and ``d(dy/dt)/dt`` into ``dfdt``."""
    p = 0
    for e in range(model.el_base.shape[0]):
        scale = -model.st_rate[model.el_tgt[e]] * model.el_gain[e]
        g0 = model.gate_ptr[e]
        g1 = model.gate_ptr[e + 1]
        gates = _gates(model, e, y) if g1 > g0 else 1.0
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
            sig = sigmoid(model.gate_k[i] * (y[model.gate_in[i]] - model.gate_off[i]))
            others = 1.0
            for j in range(g0, g1):
                if j != i:
                    others *= sigmoid(model.gate_k[j] * (y[model.gate_in[j]] - model.gate_off[j]))
            vals[p] = scale * value * others * model.gate_k[i] * sig * (1.0 - sig)
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
        dfdt[k] = stim_slope(stim, n, t, left) * model.st_rate[k]


def empty_stim(n_neurons):
    """A stimulus of zero current for ``n_neurons`` neurons (for analysis helpers)."""
    return Stim(
        ptr=np.arange(n_neurons + 1, dtype=np.int64),
        t=np.full(n_neurons, -np.inf),
        a=np.zeros(n_neurons),
        b=np.zeros(n_neurons),
        jumps=np.empty(0),
    )
