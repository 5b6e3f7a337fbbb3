"""Pieces shared by the solver kernels: status codes, integrator state layout,
dense output, spike events, output writing, error norm and a small LU.

Every kernel is resumable: its whole state lives in ``y``, ``f0`` (the
derivative at ``y``), the float array ``ctrl`` and the int array ``cnt``. A
call integrates until ``ctrl[T_STOP]`` or until it must hand control back
(output or spike buffer full, step budget spent) and returns a status code;
the Python driver grows buffers, reports progress or changes parameters and
calls again. Re-entering repeats nothing and skips nothing.

Dense output of the step ``[t, t + h]`` is one polynomial per state for every
method, ``y(t + theta h) = y0 + theta (c1 + theta (c2 + ... + theta c_m))``,
stored as rows 0..m of ``dense`` (m = 4, or 7 for DOP853); events and grid output
use it without knowing the method.
"""

import numpy as np
from numba import njit, uint64

from .config import JIT, JIT_INLINE
from .field import RIGHT, rhs_call
from .layout import INLINE_UPTO

# Status codes returned by kernels (>= 0: hand back control; < 0: failure).
DONE = 0
OUT_FULL = 1
SPK_FULL = 2
BUDGET_SPENT = 3
ERR_NONFINITE = -1
ERR_STEP_UNDERFLOW = -2
ERR_SINGULAR = -3
ERR_RUNAWAY = -4  # a membrane voltage left its bound (see neuromorph.lower.compile.runaway_bounds)

# ctrl: float64 integrator state
C_T = 0  # current time
C_H = 1  # next step size to try (adaptive; 0 = choose), or the fixed step dt
C_LOG_ERR_OLD = 2  # log of the last accepted error norm (PI controller memory)
C_T_STOP = 3  # end of this call
C_RTOL = 4
C_H_MAX = 5
C_T_GRID0 = 6  # fixed-step grid origin: steps end at t_grid0 + k dt
N_CTRL = 8

# cnt: int64 integrator state and counters
N_STEPS = 0  # accepted steps
N_REJECTED = 1
N_FEV = 2  # vector field evaluations
N_JEV = 3  # Jacobian evaluations
N_LU = 4  # LU factorisations
N_OUT = 5  # samples written
N_SPK = 6  # spikes written
I_EVAL = 7  # next t_eval index
SAVE_PHASE = 8  # steps since the last saved step
FSAL_OK = 9  # f0 holds f(t, y) (right limit)
LAST_REJECTED = 10
I_JUMP = 11  # next stimulus discontinuity
BUDGET = 12  # steps this call may still take
SAVE_EVERY = 13  # save every k-th step (steps mode)
SAVE_MODE = 14  # SAVE_STEPS, SAVE_GRID or SAVE_NONE
GRID_K = 15  # fixed-step grid index of the current time
PIECE = 16  # steps taken since the last grid point (a grid step split at stimulus jumps has several)
N_CNT = 17

SAVE_STEPS = 0
SAVE_GRID = 1
SAVE_NONE = 2



@njit(**JIT_INLINE)
def dense_value(dense, k, theta):
    """State ``k`` of the dense polynomial at ``theta`` in [0, 1] (Horner's rule over its rows)."""
    m = dense.shape[0] - 1
    acc = dense[m, k]
    for r in range(m - 1, -1, -1):
        acc = dense[r, k] + theta * acc
    return acc


@njit(**JIT_INLINE)
def dense_slope(dense, k, theta):
    """d/dtheta of :func:`dense_value`."""
    m = dense.shape[0] - 1
    acc = m * dense[m, k]
    for r in range(m - 1, 0, -1):
        acc = r * dense[r, k] + theta * acc
    return acc


@njit(**JIT)
def crossing(dense, k, level):
    """``theta`` in (0, 1] where state ``k`` crosses ``level`` upward.

    Requires ``value(0) < level <= value(1)`` (up to rounding at theta = 1).
    Safeguarded Newton on the polynomial, falling back to bisection.
    """
    lo, hi = 0.0, 1.0
    if dense_value(dense, k, 1.0) - level <= 0.0:
        return 1.0
    theta = 0.5
    for _ in range(100):
        g = dense_value(dense, k, theta) - level
        if g < 0.0:
            lo = theta
        else:
            hi = theta
        if hi - lo <= 4e-16:
            break
        dg = dense_slope(dense, k, theta)
        step_ok = dg != 0.0
        nxt = theta - g / dg if step_ok else 0.5 * (lo + hi)
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        if abs(nxt - theta) <= 1e-15:
            theta = nxt
            break
        theta = nxt
    return theta


@njit(**JIT_INLINE)
def record_spikes(model, thr, armed, y, y_new, dense, t, h, spk_t, spk_n, cnt):
    """Append every spike inside the step (what a spike is: :mod:`neuromorph.analysis.spikes`), located
    as the root of the step's dense output (:func:`crossing`); the neuron is disarmed until :func:`rearm_runaway`."""
    for n in range(model.mem_state.shape[0]):
        k = model.mem_state[n]
        if armed[n] != 0 and y[k] < thr[n] <= y_new[k]:
            i = cnt[N_SPK]
            spk_t[i] = t + crossing(dense, k, thr[n]) * h
            spk_n[i] = n
            cnt[N_SPK] = i + 1
            armed[n] = 0


@njit(**JIT_INLINE)
def rearm_runaway(mem, hysteresis, thr, armed, bound, y):
    """After each step: arm every neuron (membrane state ``mem[n]``) whose voltage lies below its threshold minus
    its hysteresis, and return True when a voltage lies beyond its neuron's bound (a state growing without
    limit). One pass over the membranes for both (two passes cost 12 us a step of 10 000 neurons, this one 8).
    The per-neuron arrays may be views of some neurons (``mem`` indexes the whole ``y``)."""
    bad = False
    for n in range(mem.shape[0]):
        v = y[uint64(mem[n])]
        if v < thr[n] - hysteresis[n]:
            armed[n] = 1
        bad |= abs(v) > bound[n]
    return bad


@njit(**JIT_INLINE)
def write_grid(dense, t, h, t_new, t_eval, save_idx, out_t, out_y, cnt):
    """Write the grid points in (t, t_new] by dense interpolation."""
    i = cnt[I_EVAL]
    n_eval = t_eval.shape[0]
    while i < n_eval and t_eval[i] <= t_new:
        theta = (t_eval[i] - t) / h
        j = cnt[N_OUT]
        out_t[j] = t_eval[i]
        for c in range(save_idx.shape[0]):
            out_y[j, c] = dense_value(dense, save_idx[c], theta)
        cnt[N_OUT] = j + 1
        i += 1
    cnt[I_EVAL] = i


@njit(**JIT_INLINE)
def write_point(t, y, save_idx, out_t, out_y, cnt):
    """Write the state ``y`` at ``t`` as one sample."""
    j = cnt[N_OUT]
    out_t[j] = t
    for c in range(save_idx.shape[0]):
        out_y[j, c] = y[save_idx[c]]
    cnt[N_OUT] = j + 1


@njit(**JIT)
def write_initial(t, y, t_eval, save_idx, out_t, out_y, cnt):
    """At the start of a call: grid points at exactly ``t`` (the initial sample)."""
    if cnt[SAVE_MODE] == SAVE_GRID:
        i = cnt[I_EVAL]
        while i < t_eval.shape[0] and t_eval[i] <= t:
            j = cnt[N_OUT]
            out_t[j] = t_eval[i]
            for c in range(save_idx.shape[0]):
                out_y[j, c] = y[save_idx[c]]
            cnt[N_OUT] = j + 1
            i += 1
        cnt[I_EVAL] = i


@njit(**JIT_INLINE)
def room_for_step(model, spk_t, out_t, cnt):
    """Status that forbids the next step for lack of buffer room, else DONE."""
    if cnt[N_SPK] + model.mem_state.shape[0] > spk_t.shape[0]:
        return SPK_FULL
    if cnt[SAVE_MODE] == SAVE_STEPS and cnt[N_OUT] >= out_t.shape[0]:
        return OUT_FULL
    return DONE


@njit(**JIT)
def emit_dense(model, thr, armed, y, y_new, dense, t, h, t_new, t_eval, save_idx, out_t, out_y, spk_t, spk_n, cnt):
    """Spikes and grid samples of an accepted step, from its dense polynomial.

    Out of line on purpose: only steps that :func:`needs_dense` flags call it.
    """
    record_spikes(model, thr, armed, y, y_new, dense, t, h, spk_t, spk_n, cnt)
    if cnt[SAVE_MODE] == SAVE_GRID:
        write_grid(dense, t, h, t_new, t_eval, save_idx, out_t, out_y, cnt)


@njit(**JIT_INLINE)
def save_step(t_new, t_stop, y_new, save_idx, out_t, out_y, cnt):
    """In step mode, save every ``SAVE_EVERY``-th accepted step and the last one of a call."""
    if cnt[SAVE_MODE] == SAVE_STEPS:
        cnt[SAVE_PHASE] += 1
        if cnt[SAVE_PHASE] >= cnt[SAVE_EVERY] or t_new >= t_stop:
            write_point(t_new, y_new, save_idx, out_t, out_y, cnt)
            cnt[SAVE_PHASE] = 0


@njit(**JIT_INLINE)
def needs_dense(model, thr, armed, y, y_new, t_new, t_eval, cnt):
    """True when the step has a spike or a grid point, so the dense polynomial is needed."""
    return grid_due(t_new, t_eval, cnt) or crossing_due(model.mem_state, thr, armed, y, y_new)


@njit(**JIT_INLINE)
def grid_due(t_new, t_eval, cnt):
    """True when a grid point to save lies in the step ending at ``t_new``."""
    return cnt[SAVE_MODE] == SAVE_GRID and cnt[I_EVAL] < t_eval.shape[0] and t_eval[cnt[I_EVAL]] <= t_new


@njit(**JIT_INLINE)
def crossing_due(mem, thr, armed, y, y_new):
    """True when an armed neuron (membrane state ``mem[n]``) crossed its threshold upwards in the step from ``y`` to
    ``y_new``. The per-neuron arrays may be views of some neurons (``mem`` indexes the whole states)."""
    for n in range(mem.shape[0]):
        k = mem[n]
        if armed[n] != 0 and y[k] < thr[n] <= y_new[k]:
            return True
    return False


@njit(**JIT_INLINE)
def error_norm(err, y, y_new, atol, rtol):
    """RMS of ``err_i / (atol_i + rtol max(|y_i|, |y_new_i|))``; inf if anything is non-finite."""
    acc = 0.0
    n = y.shape[0]
    for i in range(n):
        scale = atol[i] + rtol * max(abs(y[i]), abs(y_new[i]))
        r = err[i] / scale
        acc += r * r
    norm = np.sqrt(acc / n)
    if not np.isfinite(norm):
        return np.inf
    return norm


@njit(**JIT_INLINE)
def all_finite(y):
    """True when every entry of ``y`` is finite. ``x - x`` is 0 for a finite ``x`` and NaN for inf or NaN; the
    loop has no early exit, so it compiles to vector code (4x faster over 30 000 states than a test per entry
    that returns at the first)."""
    ok = True
    for i in range(y.shape[0]):
        ok &= (y[i] - y[i]) == 0.0
    return ok


@njit(**JIT_INLINE)
def next_stop(t_stop, jumps, cnt):
    """The nearer of ``t_stop`` and the next stimulus discontinuity, and whether it is a jump."""
    i = cnt[I_JUMP]
    if i < jumps.shape[0] and jumps[i] < t_stop:
        return jumps[i], True
    return t_stop, False


@njit(**JIT)
def skip_passed_jumps(t, jumps, cnt):
    """Advance the jump cursor past discontinuities at or before ``t``."""
    i = cnt[I_JUMP]
    while i < jumps.shape[0] and jumps[i] <= t:
        i += 1
    cnt[I_JUMP] = i


@njit(**JIT_INLINE)
def lu_factor(a, off, n, piv, base):
    """In-place LU with partial pivoting of the ``n x n`` matrix stored row-major at ``a[off:]``,
    pivots into ``piv[base:base + n]``; False if it is singular."""
    for k in range(n):
        p = k
        big = abs(a[off + k * n + k])
        for i in range(k + 1, n):
            if abs(a[off + i * n + k]) > big:
                big = abs(a[off + i * n + k])
                p = i
        if big == 0.0 or not np.isfinite(big):
            return False
        piv[base + k] = p
        if p != k:
            for j in range(n):
                tmp = a[off + k * n + j]
                a[off + k * n + j] = a[off + p * n + j]
                a[off + p * n + j] = tmp
        inv = 1.0 / a[off + k * n + k]
        for i in range(k + 1, n):
            a[off + i * n + k] *= inv
            f = a[off + i * n + k]
            if f != 0.0:
                for j in range(k + 1, n):
                    a[off + i * n + j] -= f * a[off + k * n + j]
    return True


@njit(**JIT_INLINE)
def lu_solve(lu, off, n, piv, base, b):
    """Solve in place ``A x = b[base:base + n]`` given :func:`lu_factor`'s output."""
    for k in range(n):
        p = piv[base + k]
        if p != k:
            tmp = b[base + k]
            b[base + k] = b[base + p]
            b[base + p] = tmp
    for i in range(n):
        acc = b[base + i]
        for j in range(i):
            acc -= lu[off + i * n + j] * b[base + j]
        b[base + i] = acc
    for i in range(n - 1, -1, -1):
        acc = b[base + i]
        for j in range(i + 1, n):
            acc -= lu[off + i * n + j] * b[base + j]
        b[base + i] = acc / lu[off + i * n + i]


@njit(**JIT_INLINE)
def block_factor(model, jac, hd, w, piv):
    """``W = I - hd J`` on the neuron blocks of the Jacobian (entries between neurons left out), factored.

    O(n) for n neurons: each block is one neuron's states. Leaving the coupling out of ``W``
    keeps the Rosenbrock 2(3) step second order (it is a W-method) and every stiff mode inside
    a neuron damped; only strongly coupled neurons then ask for smaller steps.
    """
    for i in range(w.shape[0]):
        w[i] = 0.0
    for p in range(jac.shape[0]):
        s = model.jac_slot[p]
        if s >= 0:
            w[s] -= hd * jac[p]
    blocks = model.blk_ptr
    for b in range(blocks.shape[0] - 1):
        n = blocks[b + 1] - blocks[b]
        off = model.blk_off[b]
        for i in range(n):
            w[off + i * n + i] += 1.0
        if not lu_factor(w, off, n, piv, blocks[b]):
            return False
    return True


@njit(**JIT_INLINE)
def block_solve(model, w, piv, x):
    """Solve ``W z = x`` in place, block by block, with :func:`block_factor`'s output."""
    blocks = model.blk_ptr
    for b in range(blocks.shape[0] - 1):
        lu_solve(w, model.blk_off[b], blocks[b + 1] - blocks[b], piv, blocks[b], x)


@njit(**JIT_INLINE)
def scratch_size_of(model):
    """Floats of scratch the vector field needs (the compiled twin of :func:`.layout.scratch_size`)."""
    n_tanh = model.el_group[model.el_group.shape[0] - 1, 1] if model.mem_state.shape[0] > INLINE_UPTO else 0
    return model.act_in.shape[0] + n_tanh


@njit(**JIT)
def begin(model, stim, y, f0, ctrl, cnt, t_eval, save_idx, out_t, out_y, tmp):
    """Start of every kernel call: jump cursor, ``f0`` if stale, grid samples at the start. Returns t."""
    t = ctrl[C_T]
    skip_passed_jumps(t, stim.jumps, cnt)
    if cnt[FSAL_OK] == 0:
        rhs_call(model, stim, t, RIGHT, y, f0, tmp)
        cnt[N_FEV] += 1
        cnt[FSAL_OK] = 1
    write_initial(t, y, t_eval, save_idx, out_t, out_y, cnt)
    return t


@njit(**JIT_INLINE)
def may_step(model, spk_t, out_t, cnt):
    """DONE if another step may be taken; else the status to return (budget spent, buffer full)."""
    if cnt[BUDGET] <= 0:
        return BUDGET_SPENT
    return room_for_step(model, spk_t, out_t, cnt)


@njit(**JIT_INLINE)
def commit(model, stim, y, y_new, f0, f_new, t_new, left_end, cnt, tmp):
    """Make the accepted step current; after a stimulus jump, re-evaluate ``f0`` on its right side."""
    take_step(y, y_new, f0, f_new)
    return committed(model, stim, y, f0, t_new, left_end, cnt, tmp)


@njit(**JIT_INLINE)
def take_step(y, y_new, f0, f_new):
    """``y = y_new`` and ``f0 = f_new``: the copy of :func:`commit`."""
    for k in range(y.shape[0]):
        y[k] = y_new[k]
        f0[k] = f_new[k]


@njit(**JIT_INLINE)
def committed(model, stim, y, f0, t_new, left_end, cnt, tmp):
    """:func:`commit` after the step's state and derivative were copied into ``y`` and ``f0``."""
    cnt[N_STEPS] += 1
    cnt[BUDGET] -= 1
    if left_end:
        cnt[I_JUMP] += 1
        rhs_call(model, stim, t_new, RIGHT, y, f0, tmp)
        cnt[N_FEV] += 1
    return t_new
