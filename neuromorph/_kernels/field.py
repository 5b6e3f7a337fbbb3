"""Model structure as arrays, and the scalar vector field and Jacobian.

One state vector holds every membrane voltage and every filtered voltage of
every neuron. The structure is data, so one compiled kernel serves any neuron
or network and a parameter change never recompiles.

States (``n_states``)
    ``st_kind``  MEMBRANE or FILTER
    ``st_rate``  1/C for a membrane, 1/tau for a filter
    ``st_src``   filter: index of the membrane state it follows;
                 membrane: index of its neuron (its stimulus row and threshold)
    ``filt_state`` indices of the filter states
Elements (``n_elements``), membrane current drawn from state ``el_tgt``:
    OHMIC  ``gain * (y[tgt] - off) * G``      (leak, conductance)
    TANH   ``gain * tanh(y[in] - off) * G``   (localized conductance)
    with gate product ``G = prod sigma(gate_k * (y[gate_in] - gate_off))`` over
    ``gate_ptr[e]:gate_ptr[e+1]``. Elements are stored by neuron (the owner of
    ``el_tgt``) and, within a neuron, in groups, so the loops need no
    per-element branches: row ``el_group[n] = [start of ungated TANH, start of
    ungated OHMIC, start of gated (any base), end]``.
Neurons (``n_neurons``)
    ``mem_state`` index of each neuron's membrane state.

The stimulus of neuron ``n`` is piecewise linear on segments
``stim.t[ptr[n]:ptr[n+1]]`` (the first starts at -inf): value
``a + b (t - t_start)``. ``stim.jumps`` lists its discontinuities; solvers
never step across one, and evaluate the left limit at a step's end.
"""

from collections import namedtuple

import numpy as np
from numba import njit, uint64

from .config import JIT, JIT_INLINE
from .mathfn import sigmoid, tanh

__all__ = ["Model", "Stim", "MEMBRANE", "FILTER", "OHMIC", "TANH", "rhs", "rhs_call", "jacobian", "stim_value",
           "stim_slope"]

MEMBRANE = 0
FILTER = 1
OHMIC = 0
TANH = 1

Model = namedtuple(
    "Model",
    [
        "st_kind", "st_rate", "st_src", "filt_state",
        "el_group", "el_base", "el_tgt", "el_in", "el_gain", "el_off",
        "gate_ptr", "gate_in", "gate_k", "gate_off",
        "mem_state",
    ],
)

Stim = namedtuple("Stim", ["ptr", "t", "a", "b", "jumps"])



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
def _base_current(model, e, y):
    """Ungated current of element ``e``."""
    if model.el_base[e] == OHMIC:
        return model.el_gain[e] * (y[model.el_tgt[e]] - model.el_off[e])
    return model.el_gain[e] * tanh(y[model.el_in[e]] - model.el_off[e])


@njit(**JIT_INLINE)
def rhs(model, stim, t, left, y, dy):
    """Write ``dy/dt`` at ``(t, y)`` into ``dy``.

    Each neuron's membrane current is summed in a register and stored once:
    summing into ``dy`` in memory put a store/load round trip per element on the
    critical path (a DP5 stage waits for the previous one), ~25 % of the cost.
    Indices read from the model arrays are cast to unsigned, which skips numba's
    negative-index wrap-around code.
    """
    mem = model.mem_state
    group = model.el_group
    for n in range(mem.shape[0]):
        k = uint64(mem[n])
        current = stim_value(stim, n, t, left)
        for e in range(group[n, 0], group[n, 1]):
            current -= model.el_gain[e] * tanh(y[uint64(model.el_in[e])] - model.el_off[e])
        v = y[k]
        for e in range(group[n, 1], group[n, 2]):
            current -= model.el_gain[e] * (v - model.el_off[e])
        for e in range(group[n, 2], group[n, 3]):
            current -= _base_current(model, e, y) * _gates(model, e, y)
        dy[k] = current * model.st_rate[k]
    for i in range(model.filt_state.shape[0]):
        k = uint64(model.filt_state[i])
        dy[k] = (y[uint64(model.st_src[k])] - y[k]) * model.st_rate[k]


@njit(**JIT)
def rhs_call(model, stim, t, left, y, dy):
    """Out-of-line :func:`rhs` for rare call sites (keeps kernels small; a call costs ~50 ns)."""
    rhs(model, stim, t, left, y, dy)


@njit(**JIT_INLINE)
def jacobian(model, stim, t, left, y, jac, dfdt):
    """Write the analytic Jacobian ``d(dy/dt)/dy`` into ``jac`` and ``d(dy/dt)/dt`` into ``dfdt``."""
    n_states = y.shape[0]
    jac[:, :] = 0.0
    for k in range(n_states):
        if model.st_kind[k] == MEMBRANE:
            dfdt[k] = stim_slope(stim, model.st_src[k], t, left)
        else:
            rate = model.st_rate[k]
            jac[k, k] -= rate
            jac[k, model.st_src[k]] += rate
            dfdt[k] = 0.0
    for e in range(model.el_base.shape[0]):
        tgt = model.el_tgt[e]
        gain = model.el_gain[e]
        g0 = model.gate_ptr[e]
        g1 = model.gate_ptr[e + 1]
        gates = _gates(model, e, y) if g1 > g0 else 1.0
        if model.el_base[e] == OHMIC:
            base = gain * (y[tgt] - model.el_off[e])
            jac[tgt, tgt] -= gain * gates
        else:
            th = tanh(y[model.el_in[e]] - model.el_off[e])
            base = gain * th
            jac[tgt, model.el_in[e]] -= gain * (1.0 - th * th) * gates
        for i in range(g0, g1):
            # d/dx sigma(k (x - d)) = k sigma (1 - sigma); the other gates enter as a product
            # (recomputed rather than divided out, so a gate at exactly 0 is harmless).
            sig = sigmoid(model.gate_k[i] * (y[model.gate_in[i]] - model.gate_off[i]))
            others = 1.0
            for j in range(g0, g1):
                if j != i:
                    others *= sigmoid(model.gate_k[j] * (y[model.gate_in[j]] - model.gate_off[j]))
            jac[tgt, model.gate_in[i]] -= base * others * model.gate_k[i] * sig * (1.0 - sig)
    for k in range(n_states):
        if model.st_kind[k] == MEMBRANE:
            rate = model.st_rate[k]
            dfdt[k] *= rate
            for j in range(n_states):
                jac[k, j] *= rate


def empty_stim(n_neurons):
    """A stimulus of zero current for ``n_neurons`` neurons (for analysis helpers)."""
    return Stim(
        ptr=np.arange(n_neurons + 1, dtype=np.int64),
        t=np.full(n_neurons, -np.inf),
        a=np.zeros(n_neurons),
        b=np.zeros(n_neurons),
        jumps=np.empty(0),
    )
