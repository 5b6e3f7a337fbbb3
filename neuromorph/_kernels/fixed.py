"""Fixed-step solvers: forward Euler and classical RK4.

Steps end on the grid ``t_grid0 + k dt`` (computed by multiplication, so no
drift) and are split at stimulus discontinuities and at the end of a call.
Dense output is the cubic Hermite polynomial through both ends of the step
(values and derivatives), which locates spikes to third order.
"""

import numpy as np
from numba import njit

from . import common as c
from .config import JIT_INLINE, JIT_PARALLEL
from .field import rhs
from .layout import scratch_size

EULER = 0
RK4 = 1

_EPS = np.finfo(np.float64).eps


@njit(**JIT_INLINE)
def next_fixed_time(t, t_stop, dt, ctrl, jumps, cnt):
    """End of the next fixed step: ``(t_new, on_grid, is_jump)``.

    A grid point closer than a few ulps to a stop is merged with it, so a
    stop on the grid does not leave a sliver step behind.
    """
    t_grid = ctrl[c.C_T_GRID0] + (cnt[c.GRID_K] + 1) * dt
    target, is_jump = c.next_stop(t_stop, jumps, cnt)
    if abs(t_grid - target) <= 64.0 * _EPS * max(abs(target), 1.0):
        return target, True, is_jump
    if t_grid < target:
        return t_grid, True, False
    return target, False, is_jump


@njit(**JIT_INLINE)
def hermite_dense(h, y, y_new, f0, f1, dense):
    """Cubic Hermite interpolant of the step in power form."""
    for k in range(y.shape[0]):
        dy = y_new[k] - y[k]
        dense[0, k] = y[k]
        dense[1, k] = h * f0[k]
        dense[2, k] = 3.0 * dy - h * (2.0 * f0[k] + f1[k])
        dense[3, k] = -2.0 * dy + h * (f0[k] + f1[k])
        dense[4, k] = 0.0


def work_size(model):
    """Length of the float work buffer :func:`fixed_run` needs for ``model`` (arrays)."""
    return 11 * model.st_kind.size + scratch_size(model)


# RK4 stages 2-4: y_stage = y + _RK4_A[s] h k_s, evaluated at t + _RK4_C[s] h.
_RK4_A = (0.5, 0.5, 1.0)
_RK4_C = (0.5, 0.5, 1.0)


@njit(**JIT_PARALLEL)
def fixed_run(method, model, stim, y, f0, ctrl, cnt, work, t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr, bound):
    """Forward Euler (``method = EULER``) or RK4 with fixed step ``ctrl[C_H]`` until ``ctrl[C_T_STOP]``.

    See :mod:`.common` for the calling protocol. ``work`` has :func:`work_size` entries.
    """
    ns = y.shape[0]
    dt = ctrl[c.C_H]
    t_stop = ctrl[c.C_T_STOP]
    K = work[0:3 * ns].reshape((3, ns))
    y_stage = work[3 * ns:4 * ns]
    y_new = work[4 * ns:5 * ns]
    f_end = work[5 * ns:6 * ns]
    dense = work[6 * ns:11 * ns].reshape((5, ns))
    tmp = work[11 * ns:11 * ns + c.scratch_size_of(model)]
    t = c.begin(model, stim, y, f0, ctrl, cnt, t_eval, save_idx, out_t, out_y, tmp)
    status = c.DONE
    while t < t_stop:
        status = c.may_step(model, spk_t, out_t, cnt)
        if status != c.DONE:
            break
        t_new, on_grid, is_jump = next_fixed_time(t, t_stop, dt, ctrl, stim.jumps, cnt)
        h = t_new - t
        if method == EULER:
            for k in range(ns):
                y_new[k] = y[k] + h * f0[k]
        else:
            for s in range(3):
                prev = f0 if s == 0 else K[s - 1]
                for k in range(ns):
                    y_stage[k] = y[k] + _RK4_A[s] * h * prev[k]
                at_end = s == 2
                rhs(model, stim, t_new if at_end else t + _RK4_C[s] * h, is_jump and at_end, y_stage, K[s], tmp)
            for k in range(ns):
                y_new[k] = y[k] + h / 6.0 * (f0[k] + 2.0 * (K[0, k] + K[1, k]) + K[2, k])
            cnt[c.N_FEV] += 3
        if not c.all_finite(y_new):
            status = c.ERR_NONFINITE
            break
        rhs(model, stim, t_new, is_jump, y_new, f_end, tmp)
        cnt[c.N_FEV] += 1
        if c.needs_dense(model, thr, y, y_new, t_new, t_eval, cnt):
            hermite_dense(h, y, y_new, f0, f_end, dense)
            c.emit_dense(model, thr, y, y_new, dense, t, h, t_new, t_eval, save_idx, out_t, out_y, spk_t, spk_n, cnt)
        c.save_step(t_new, t_stop, y_new, save_idx, out_t, out_y, cnt)
        if on_grid:
            cnt[c.GRID_K] += 1
        t = c.commit(model, stim, y, y_new, f0, f_end, t_new, is_jump, cnt, tmp)
        if c.runaway(model, bound, y):
            status = c.ERR_RUNAWAY
            break
    ctrl[c.C_T] = t
    return status
