"""Adaptive solvers: Dormand-Prince 5(4), Dormand & Prince 8(5,3) and the L-stable Rosenbrock 2(3).

One adaptive driver, :func:`_adaptive_steps`, runs all three: the step budget, PI step-size control,
accept and reject, FSAL, output on the grid or at steps, spike events through the dense
polynomial, steps that never cross a stimulus discontinuity, the runaway check and the status
codes (see :mod:`.common`). A method is what the driver is given (as scipy's ``RungeKutta``
serves RK23, RK45 and DOP853):

* ``attempt(model, stim, t, h, t_new, left_end, y, f0, fresh, y_stage, y_new, err, work, iwork,
  cnt, tmp, atol, rtol) -> bool``: one step from ``(t, y)`` (``f0 = f(t, y)``) to ``t_new = t + h``;
  the candidate into ``y_new``, a local error estimate into ``err`` whose RMS norm (scaled by
  ``atol + rtol |y|``) is the method's error norm, ``f(t_new, y_new)`` (left limit if
  ``left_end``) into row ``f_new_row`` of ``work``; counts its evaluations in ``cnt``.
  ``fresh`` is True on the first attempt from ``(t, y)`` (a rejected step retries from the same
  point, so a Rosenbrock method keeps its Jacobian). False: the step cannot be taken (singular
  linear system).
* ``dense_of(model, stim, t, h, y, y_new, work, dense, cnt, tmp)``: the dense polynomial of the
  accepted step, from the stages the attempt left in ``work`` (DOP853 evaluates three more).
* ``order``: the order of the error estimate, which sets the step-size control's exponents.
* ``f_new_row``: the row of ``work`` holding ``f(t_new, y_new)``, the next ``f0``.
* ``dense_rows``: the rows of the dense polynomial (its degree + 1: 5, or 8 for DOP853).
* ``defect_limit``: a step with a spike is taken only if its dense polynomial's defect at mid-step, scaled as
  the error norm is, is at most this (:data:`_DEFECT_LIMIT` for DOP853, :data:`_UNCHECKED` for the others).

The work layout (:func:`work_sizes`) has rows of state length: 0-15 the stages (Dormand-Prince 5
uses ``k1..k7``, ``k7`` being ``f_new``; DOP853 ``k1..k16``, ``k13`` being ``f_new`` and 14-16 its
dense output's; Rosenbrock ``k1, k2, k3, f(t + h/2), f(t_new)``), then ``y_stage``, ``y_new``,
``err``, Rosenbrock's ``df/dt``, the eight rows of the dense polynomial, the vector field's
scratch, and for Rosenbrock the Jacobian's values and the blocks of ``W``.

The driver is one function, compiled into each method's kernel (:func:`dopri5_run`,
:func:`dop853_run`, :func:`rosenbrock23_run`) with that method's attempt
(:data:`.config.JIT_DRIVER`); the kernels are cached, and each serves every model. The helpers
are written out rather than generated from one inlined generic loop: numba's inliner
re-processes nested inline functions, which tripled compile time.
"""

import numpy as np
from numba import njit

from . import common as c
from .config import JIT, JIT_DRIVER, JIT_INLINE, JIT_PIECE
from .field import RIGHT, jacobian, rhs, rhs_call
from .layout import scratch_size
from .mathfn import exp
from .tableaus import (DP5_A_F, DP5_B_F, DP5_C_F, DP5_E_F, DP5_P_F, DP8_A_F, DP8_B_F, DP8_C_F, DP8_D_F, DP8_DENSE_M,
                       DP8_E3_F, DP8_E5_F, ROS23_D, ROS23_E32)

DOPRI5 = 0
ROSENBROCK23 = 1
DOP853 = 2

_SAFETY = 0.9
_FAC_MIN = 0.2
_FAC_MAX = 10.0
_EPS = np.finfo(np.float64).eps
# DOP853 takes a step with a spike only if its dense output's defect at mid-step (:func:`_midpoint_defect`) is
# within this many times the tolerance. Its error estimate (the 5th-order estimate shrunk by the 3rd-order one)
# let through steps into a spike whose error was 10-20x the tolerance, and their dense output put spike times
# 5e-4 off at rtol 1e-6 on the HCO; the defect of those steps was 50-400, that of the others at most ~20 (a
# median of 0.6). DP5 does without: its spike times showed no such outliers, and it would cost it an evaluation
# a spike for nothing.
_DEFECT_LIMIT = 10.0
_UNCHECKED = np.inf  # the defect limit of methods without the check



_C2, _C3, _C4, _C5 = DP5_C_F[1], DP5_C_F[2], DP5_C_F[3], DP5_C_F[4]
_A21 = DP5_A_F[1, 0]
_A31, _A32 = DP5_A_F[2, 0], DP5_A_F[2, 1]
_A41, _A42, _A43 = DP5_A_F[3, 0], DP5_A_F[3, 1], DP5_A_F[3, 2]
_A51, _A52, _A53, _A54 = DP5_A_F[4, 0], DP5_A_F[4, 1], DP5_A_F[4, 2], DP5_A_F[4, 3]
_A61, _A62, _A63, _A64, _A65 = DP5_A_F[5, 0], DP5_A_F[5, 1], DP5_A_F[5, 2], DP5_A_F[5, 3], DP5_A_F[5, 4]
_B1, _B3, _B4, _B5, _B6 = DP5_B_F[0], DP5_B_F[2], DP5_B_F[3], DP5_B_F[4], DP5_B_F[5]
_E1, _E3, _E4, _E5, _E6, _E7 = DP5_E_F[0], DP5_E_F[2], DP5_E_F[3], DP5_E_F[4], DP5_E_F[5], DP5_E_F[6]

_C8, _A8, _B8, _E58, _E38, _D8, _M8 = DP8_C_F, DP8_A_F, DP8_B_F, DP8_E5_F, DP8_E3_F, DP8_D_F, DP8_DENSE_M


# Rows of the work buffer (each of state length), see the module notes.
_K = 0  # the stage derivatives: Dormand-Prince 5 uses 7 (k7 = f_new), DOP853 16 (k13 = f_new, 14-16 dense only)
_DP5_F_NEW = _K + 6  # k7 = f(t_new, y_new) (FSAL)
_DP8_F_NEW = _K + 12  # k13
_R = 0  # Rosenbrock's 5 rows (it has no other stages)
_ROS23_F_NEW = _R + 4
_Y_STAGE = 16
_Y_NEW = 17
_ERR = 18
_DFDT = 19
_DENSE = 20  # up to 8 rows (DOP853's 7th-degree polynomial)
_DENSE_ROWS = 8
_ROWS = _DENSE + _DENSE_ROWS


@njit(**JIT_INLINE)
def _dp5_attempt(model, stim, t, h, t_new, left_end, y, f0, fresh, y_stage, y_new, err, work, iwork, cnt, tmp, atol,
                 rtol):
    """One Dormand-Prince step; stage derivatives in rows ``_K`` of ``work``, local error in ``err``.

    Written out stage by stage (the tableau's zeros skipped): the generic
    tableau-driven loop cost a third of the step in loop overhead.
    """
    ns = y.shape[0]
    o = _K * ns  # (rows as slices: a reshape calls into numba's C helpers at every step)
    k1, k2, k3, k4 = work[o:o + ns], work[o + ns:o + 2 * ns], work[o + 2 * ns:o + 3 * ns], work[o + 3 * ns:o + 4 * ns]
    k5, k6, k7 = work[o + 4 * ns:o + 5 * ns], work[o + 5 * ns:o + 6 * ns], work[o + 6 * ns:o + 7 * ns]
    for k in range(ns):
        k1[k] = f0[k]
        y_stage[k] = y[k] + h * _A21 * k1[k]
    rhs(model, stim, t + _C2 * h, RIGHT, y_stage, k2, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A31 * k1[k] + _A32 * k2[k])
    rhs(model, stim, t + _C3 * h, RIGHT, y_stage, k3, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A41 * k1[k] + _A42 * k2[k] + _A43 * k3[k])
    rhs(model, stim, t + _C4 * h, RIGHT, y_stage, k4, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A51 * k1[k] + _A52 * k2[k] + _A53 * k3[k] + _A54 * k4[k])
    rhs(model, stim, t + _C5 * h, RIGHT, y_stage, k5, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A61 * k1[k] + _A62 * k2[k] + _A63 * k3[k] + _A64 * k4[k] + _A65 * k5[k])
    rhs(model, stim, t_new, left_end, y_stage, k6, tmp)
    for k in range(ns):
        y_new[k] = y[k] + h * (_B1 * k1[k] + _B3 * k3[k] + _B4 * k4[k] + _B5 * k5[k] + _B6 * k6[k])
    rhs(model, stim, t_new, left_end, y_new, k7, tmp)  # FSAL: f at the new point
    for k in range(ns):
        err[k] = h * (_E1 * k1[k] + _E3 * k3[k] + _E4 * k4[k] + _E5 * k5[k] + _E6 * k6[k] + _E7 * k7[k])
    cnt[c.N_FEV] += 6
    return True


@njit(**JIT_INLINE)
def _dp5_dense(model, stim, t, h, y, y_new, work, dense, cnt, tmp):
    """Dormand-Prince's 4th-order continuous extension (Hairer et al.'s ``DP5_P``)."""
    ns = y.shape[0]
    for k in range(ns):
        dense[0, k] = y[k]
        for m in range(4):
            acc = 0.0
            for i in range(7):
                acc += work[(_K + i) * ns + k] * DP5_P_F[i, m]
            dense[m + 1, k] = h * acc


@njit(**JIT_INLINE)
def _dp8_attempt(model, stim, t, h, t_new, left_end, y, f0, fresh, y_stage, y_new, err, work, iwork, cnt, tmp, atol,
                 rtol):
    """One step of Dormand & Prince's 8(5,3) pair (DOP853); stage derivatives in rows ``_K`` of ``work``.

    The error written to ``err`` is the 5th-order estimate scaled by ``sqrt(S5 / (S5 + 0.01 S3))`` (``S5``, ``S3``:
    the sums of squares of the scaled 5th- and 3rd-order estimates), so that its RMS norm is Hairer's error norm
    ``|h| S5 / sqrt(n (S5 + 0.01 S3))``. Written out stage by stage, the tableau's zeros skipped.
    """
    ns = y.shape[0]
    o = _K * ns
    k1, k2, k3, k4 = work[o:o + ns], work[o + ns:o + 2 * ns], work[o + 2 * ns:o + 3 * ns], work[o + 3 * ns:o + 4 * ns]
    k5, k6, k7, k8 = (work[o + 4 * ns:o + 5 * ns], work[o + 5 * ns:o + 6 * ns], work[o + 6 * ns:o + 7 * ns],
                      work[o + 7 * ns:o + 8 * ns])
    k9, k10, k11, k12 = (work[o + 8 * ns:o + 9 * ns], work[o + 9 * ns:o + 10 * ns], work[o + 10 * ns:o + 11 * ns],
                         work[o + 11 * ns:o + 12 * ns])
    k13 = work[o + 12 * ns:o + 13 * ns]
    for k in range(ns):
        k1[k] = f0[k]
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[1, 0] * k1[k])
    rhs(model, stim, t + _C8[1] * h, RIGHT, y_stage, k2, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[2, 0] * k1[k] + _A8[2, 1] * k2[k])
    rhs(model, stim, t + _C8[2] * h, RIGHT, y_stage, k3, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[3, 0] * k1[k] + _A8[3, 2] * k3[k])
    rhs(model, stim, t + _C8[3] * h, RIGHT, y_stage, k4, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[4, 0] * k1[k] + _A8[4, 2] * k3[k] + _A8[4, 3] * k4[k])
    rhs(model, stim, t + _C8[4] * h, RIGHT, y_stage, k5, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[5, 0] * k1[k] + _A8[5, 3] * k4[k] + _A8[5, 4] * k5[k])
    rhs(model, stim, t + _C8[5] * h, RIGHT, y_stage, k6, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[6, 0] * k1[k] + _A8[6, 3] * k4[k] + _A8[6, 4] * k5[k] + _A8[6, 5] * k6[k])
    rhs(model, stim, t + _C8[6] * h, RIGHT, y_stage, k7, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[7, 0] * k1[k] + _A8[7, 3] * k4[k] + _A8[7, 4] * k5[k] + _A8[7, 5] * k6[k]
                                 + _A8[7, 6] * k7[k])
    rhs(model, stim, t + _C8[7] * h, RIGHT, y_stage, k8, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[8, 0] * k1[k] + _A8[8, 3] * k4[k] + _A8[8, 4] * k5[k] + _A8[8, 5] * k6[k]
                                 + _A8[8, 6] * k7[k] + _A8[8, 7] * k8[k])
    rhs(model, stim, t + _C8[8] * h, RIGHT, y_stage, k9, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[9, 0] * k1[k] + _A8[9, 3] * k4[k] + _A8[9, 4] * k5[k] + _A8[9, 5] * k6[k]
                                 + _A8[9, 6] * k7[k] + _A8[9, 7] * k8[k] + _A8[9, 8] * k9[k])
    rhs(model, stim, t + _C8[9] * h, RIGHT, y_stage, k10, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[10, 0] * k1[k] + _A8[10, 3] * k4[k] + _A8[10, 4] * k5[k] + _A8[10, 5] * k6[k]
                                 + _A8[10, 6] * k7[k] + _A8[10, 7] * k8[k] + _A8[10, 8] * k9[k] + _A8[10, 9] * k10[k])
    rhs(model, stim, t + _C8[10] * h, RIGHT, y_stage, k11, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[11, 0] * k1[k] + _A8[11, 3] * k4[k] + _A8[11, 4] * k5[k] + _A8[11, 5] * k6[k]
                                 + _A8[11, 6] * k7[k] + _A8[11, 7] * k8[k] + _A8[11, 8] * k9[k] + _A8[11, 9] * k10[k]
                                 + _A8[11, 10] * k11[k])
    rhs(model, stim, t_new, left_end, y_stage, k12, tmp)
    for k in range(ns):
        y_new[k] = y[k] + h * (_B8[0] * k1[k] + _B8[5] * k6[k] + _B8[6] * k7[k] + _B8[7] * k8[k] + _B8[8] * k9[k]
                               + _B8[9] * k10[k] + _B8[10] * k11[k] + _B8[11] * k12[k])
    rhs(model, stim, t_new, left_end, y_new, k13, tmp)  # FSAL: f at the new point
    s5 = 0.0
    s3 = 0.0
    for k in range(ns):
        e5 = (_E58[0] * k1[k] + _E58[5] * k6[k] + _E58[6] * k7[k] + _E58[7] * k8[k] + _E58[8] * k9[k]
              + _E58[9] * k10[k] + _E58[10] * k11[k] + _E58[11] * k12[k])
        e3 = (_E38[0] * k1[k] + _E38[5] * k6[k] + _E38[6] * k7[k] + _E38[7] * k8[k] + _E38[8] * k9[k]
              + _E38[9] * k10[k] + _E38[10] * k11[k] + _E38[11] * k12[k])
        err[k] = h * e5  # scaled below
        scale = atol[k] + rtol * max(abs(y[k]), abs(y_new[k]))
        s5 += (e5 / scale) ** 2
        s3 += (e3 / scale) ** 2
    denom = s5 + 0.01 * s3
    shrink = np.sqrt(s5 / denom) if denom > 0.0 else 0.0
    for k in range(ns):
        err[k] *= shrink
    cnt[c.N_FEV] += 12
    return True


@njit(**JIT_INLINE)
def _dp8_dense(model, stim, t, h, y, y_new, work, dense, cnt, tmp):
    """DOP853's 7th-order continuous extension (three more stages), as a polynomial in ``theta``."""
    ns = y.shape[0]
    o = _K * ns
    k1, k6, k7, k8 = (work[o:o + ns], work[o + 5 * ns:o + 6 * ns], work[o + 6 * ns:o + 7 * ns],
                      work[o + 7 * ns:o + 8 * ns])
    k9, k10, k11, k12 = (work[o + 8 * ns:o + 9 * ns], work[o + 9 * ns:o + 10 * ns], work[o + 10 * ns:o + 11 * ns],
                         work[o + 11 * ns:o + 12 * ns])
    k13, k14, k15, k16 = (work[o + 12 * ns:o + 13 * ns], work[o + 13 * ns:o + 14 * ns], work[o + 14 * ns:o + 15 * ns],
                          work[o + 15 * ns:o + 16 * ns])
    y_stage = work[_Y_STAGE * ns:(_Y_STAGE + 1) * ns]
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[13, 0] * k1[k] + _A8[13, 6] * k7[k] + _A8[13, 7] * k8[k] + _A8[13, 8] * k9[k]
                                 + _A8[13, 9] * k10[k] + _A8[13, 10] * k11[k] + _A8[13, 11] * k12[k]
                                 + _A8[13, 12] * k13[k])
    rhs(model, stim, t + _C8[13] * h, RIGHT, y_stage, k14, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[14, 0] * k1[k] + _A8[14, 5] * k6[k] + _A8[14, 6] * k7[k] + _A8[14, 7] * k8[k]
                                 + _A8[14, 10] * k11[k] + _A8[14, 11] * k12[k] + _A8[14, 12] * k13[k]
                                 + _A8[14, 13] * k14[k])
    rhs(model, stim, t + _C8[14] * h, RIGHT, y_stage, k15, tmp)
    for k in range(ns):
        y_stage[k] = y[k] + h * (_A8[15, 0] * k1[k] + _A8[15, 5] * k6[k] + _A8[15, 6] * k7[k] + _A8[15, 7] * k8[k]
                                 + _A8[15, 8] * k9[k] + _A8[15, 12] * k13[k] + _A8[15, 13] * k14[k]
                                 + _A8[15, 14] * k15[k])
    rhs(model, stim, t + _C8[15] * h, RIGHT, y_stage, k16, tmp)
    cnt[c.N_FEV] += 3
    for k in range(ns):
        f0 = y_new[k] - y[k]
        f1 = h * k1[k] - f0
        f2 = 2.0 * f0 - h * (k1[k] + k13[k])
        f3 = h * (_D8[0, 0] * k1[k] + _D8[0, 5] * k6[k] + _D8[0, 6] * k7[k] + _D8[0, 7] * k8[k] + _D8[0, 8] * k9[k]
                  + _D8[0, 9] * k10[k] + _D8[0, 10] * k11[k] + _D8[0, 11] * k12[k] + _D8[0, 12] * k13[k]
                  + _D8[0, 13] * k14[k] + _D8[0, 14] * k15[k] + _D8[0, 15] * k16[k])
        f4 = h * (_D8[1, 0] * k1[k] + _D8[1, 5] * k6[k] + _D8[1, 6] * k7[k] + _D8[1, 7] * k8[k] + _D8[1, 8] * k9[k]
                  + _D8[1, 9] * k10[k] + _D8[1, 10] * k11[k] + _D8[1, 11] * k12[k] + _D8[1, 12] * k13[k]
                  + _D8[1, 13] * k14[k] + _D8[1, 14] * k15[k] + _D8[1, 15] * k16[k])
        f5 = h * (_D8[2, 0] * k1[k] + _D8[2, 5] * k6[k] + _D8[2, 6] * k7[k] + _D8[2, 7] * k8[k] + _D8[2, 8] * k9[k]
                  + _D8[2, 9] * k10[k] + _D8[2, 10] * k11[k] + _D8[2, 11] * k12[k] + _D8[2, 12] * k13[k]
                  + _D8[2, 13] * k14[k] + _D8[2, 14] * k15[k] + _D8[2, 15] * k16[k])
        f6 = h * (_D8[3, 0] * k1[k] + _D8[3, 5] * k6[k] + _D8[3, 6] * k7[k] + _D8[3, 7] * k8[k] + _D8[3, 8] * k9[k]
                  + _D8[3, 9] * k10[k] + _D8[3, 10] * k11[k] + _D8[3, 11] * k12[k] + _D8[3, 12] * k13[k]
                  + _D8[3, 13] * k14[k] + _D8[3, 14] * k15[k] + _D8[3, 15] * k16[k])
        dense[0, k] = y[k]
        for m in range(7):
            dense[m + 1, k] = (_M8[0, m] * f0 + _M8[1, m] * f1 + _M8[2, m] * f2 + _M8[3, m] * f3 + _M8[4, m] * f4
                               + _M8[5, m] * f5 + _M8[6, m] * f6)


@njit(**JIT_INLINE)
def _ros23_attempt(model, stim, t, h, t_new, left_end, y, f0, fresh, y_stage, y_new, err, work, iwork, cnt, tmp,
                   atol, rtol):
    """One Rosenbrock 2(3) step; returns False if ``I - h d J`` is singular.

    Rows ``_R`` of ``work``: 0 = k1, 1 = k2, 2 = k3, 3 = f(t + h/2), 4 = f(t_new) (the next f0).
    The Jacobian and ``df/dt`` are evaluated at a ``fresh`` point only (a rejected step retries
    with them). ``W`` is built and factored block by block (see :func:`.common.block_factor`).
    """
    ns = y.shape[0]
    o = _R * ns
    k1, k2, k3, f1, f2 = (work[o:o + ns], work[o + ns:o + 2 * ns], work[o + 2 * ns:o + 3 * ns],
                          work[o + 3 * ns:o + 4 * ns], work[o + 4 * ns:o + 5 * ns])
    dfdt = work[_DFDT * ns:(_DFDT + 1) * ns]
    n_tmp = tmp.shape[0]
    nnz = model.jac_row.shape[0]
    jac = work[_ROWS * ns + n_tmp:_ROWS * ns + n_tmp + nnz]
    w = work[_ROWS * ns + n_tmp + nnz:]
    piv = iwork[0:ns]
    if fresh:
        jacobian(model, stim, t, RIGHT, y, jac, dfdt, tmp)
        cnt[c.N_JEV] += 1
    hd = h * ROS23_D
    cnt[c.N_LU] += 1
    cnt[c.N_FEV] += 2
    if not c.block_factor(model, jac, hd, w, piv):
        return False
    for k in range(ns):
        k1[k] = f0[k] + hd * dfdt[k]
    c.block_solve(model, w, piv, k1)
    for k in range(ns):
        y_stage[k] = y[k] + 0.5 * h * k1[k]
    rhs(model, stim, t + 0.5 * h, RIGHT, y_stage, f1, tmp)
    for k in range(ns):
        k2[k] = f1[k] - k1[k]
    c.block_solve(model, w, piv, k2)
    for k in range(ns):
        k2[k] += k1[k]
        y_new[k] = y[k] + h * k2[k]
    rhs(model, stim, t_new, left_end, y_new, f2, tmp)
    for k in range(ns):
        k3[k] = f2[k] - ROS23_E32 * (k2[k] - f1[k]) - 2.0 * (k1[k] - f0[k]) + hd * dfdt[k]
    c.block_solve(model, w, piv, k3)
    for k in range(ns):
        err[k] = h / 6.0 * (k1[k] - 2.0 * k2[k] + k3[k])
    return True


@njit(**JIT_INLINE)
def _ros23_dense(model, stim, t, h, y, y_new, work, dense, cnt, tmp):
    """Shampine & Reichelt's quadratic interpolant (rows 3 and 4 of ``dense`` zero)."""
    ns = y.shape[0]
    k1, k2 = work[_R * ns:(_R + 1) * ns], work[(_R + 1) * ns:(_R + 2) * ns]
    scale = h / (1.0 - 2.0 * ROS23_D)
    for k in range(ns):
        dense[0, k] = y[k]
        dense[1, k] = scale * (k1[k] - 2.0 * ROS23_D * k2[k])
        dense[2, k] = scale * (k2[k] - k1[k])
        dense[3, k] = 0.0
        dense[4, k] = 0.0


@njit(**JIT)
def _initial_step(model, stim, t, y, f0, atol, rtol, error_order, limit, y_stage, f_stage, cnt, tmp):
    """Hairer, Norsett & Wanner's starting step (Solving ODEs I, II.4)."""
    ns = y.shape[0]
    d0 = 0.0
    d1 = 0.0
    for k in range(ns):
        scale = atol[k] + rtol * abs(y[k])
        d0 += (y[k] / scale) ** 2
        d1 += (f0[k] / scale) ** 2
    d0 = np.sqrt(d0 / ns)
    d1 = np.sqrt(d1 / ns)
    h0 = 0.01 * d0 / d1 if d0 > 1e-5 and d1 > 1e-5 else 1e-6
    h0 = min(h0, limit)
    for k in range(ns):
        y_stage[k] = y[k] + h0 * f0[k]
    rhs_call(model, stim, t + h0, RIGHT, y_stage, f_stage, tmp)
    cnt[c.N_FEV] += 1
    d2 = 0.0
    for k in range(ns):
        scale = atol[k] + rtol * abs(y[k])
        d2 += ((f_stage[k] - f0[k]) / scale) ** 2
    d2 = np.sqrt(d2 / ns) / h0
    dmax = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if dmax <= 1e-15 else (0.01 / dmax) ** (1.0 / error_order)
    return min(100.0 * h0, h1, limit)


def work_sizes(method, model):
    """Lengths of the float and int work buffers the kernel of ``method`` (:data:`DOPRI5` or
    :data:`ROSENBROCK23` or :data:`DOP853`) needs for ``model`` (arrays): 28 state-long rows, the vector field's
    scratch, and for Rosenbrock the Jacobian's values and the neuron blocks of ``W`` (the layout
    is in the module notes); the int buffer holds Rosenbrock's pivots."""
    ns = model.st_kind.size
    base = _ROWS * ns + scratch_size(model)
    if method != ROSENBROCK23:
        return base, 0
    blocks = np.diff(model.blk_ptr)
    return base + model.jac_row.size + int(np.sum(blocks * blocks)), ns


@njit(**JIT_INLINE)
def _plan(t, h, h_max, t_stop, jumps, cnt):
    """The next step: ``(proposal, step, t_new, lands, left_end)``.

    A step that would end within 1 % of the next stop (end of call or stimulus
    jump) is stretched onto it rather than leaving a sliver; ``left_end``
    marks a step ending on a jump, whose last stages use the left limit.
    """
    target, is_jump = c.next_stop(t_stop, jumps, cnt)
    h = min(h, h_max)
    lands = t + 1.01 * h >= target
    h_step = target - t if lands else h
    t_new = target if lands else t + h_step
    return h, h_step, t_new, lands, lands and is_jump


@njit(**JIT_INLINE)
def _underflow(t, h_step):
    return h_step <= 16.0 * _EPS * max(abs(t), 1e-300)


@njit(**JIT_INLINE)
def _accepted(norm, error_order, h, h_step, lands, ctrl, cnt):
    """PI control after an accepted step; returns the next proposal.

    ``fac = 0.9 norm**(-0.7/q) norm_old**(0.4/q)`` (Gustafsson's exponents),
    computed as one exp of logs with ``log(norm_old)`` kept in ``ctrl``.
    """
    log_norm = np.log(max(norm, 1e-4))
    fac = _SAFETY * exp((0.4 * ctrl[c.C_LOG_ERR_OLD] - 0.7 * log_norm) / error_order)
    fac = min(_FAC_MAX, max(_FAC_MIN, fac))
    if cnt[c.LAST_REJECTED] == 1:
        fac = min(fac, 1.0)
    ctrl[c.C_LOG_ERR_OLD] = log_norm
    cnt[c.LAST_REJECTED] = 0
    # After a step cut short by a stop, keep the longer proposal.
    return max(h_step * fac, h) if lands and fac >= 1.0 else h_step * fac


@njit(**JIT_INLINE)
def _rejected(norm, error_order, h_step, cnt):
    """Smaller step after a rejection (a non-finite error quarters it)."""
    cnt[c.N_REJECTED] += 1
    cnt[c.LAST_REJECTED] = 1
    if np.isfinite(norm):
        return h_step * max(_FAC_MIN, _SAFETY * exp(-np.log(norm) / error_order))
    return 0.25 * h_step


@njit(**JIT_INLINE)
def _norm(err, y, y_new, atol, rtol):
    return c.error_norm(err, y, y_new, atol, rtol) if c.all_finite(y_new) else np.inf


@njit(**JIT_PIECE)
def _midpoint_defect(model, stim, t, h, y, y_new, dense, atol, rtol, y_mid, f_mid, cnt, tmp):
    """How far the step's dense polynomial ``p`` is from solving the ODE: the error norm of
    ``h (p'(t + h/2) - f(t + h/2, p(t + h/2)))`` (written over ``f_mid``; inf if not finite).

    Out of line (called once a spike): inlined, its code changed how LLVM laid out the driver's hot loop,
    and W2's DOP853 ran 15-30 % slower for it."""
    ns = y.shape[0]
    for k in range(ns):
        y_mid[k] = c.dense_value(dense, k, 0.5)
    rhs(model, stim, t + 0.5 * h, RIGHT, y_mid, f_mid, tmp)
    cnt[c.N_FEV] += 1
    for k in range(ns):
        f_mid[k] = c.dense_slope(dense, k, 0.5) - h * f_mid[k]
    return c.error_norm(f_mid, y, y_new, atol, rtol)


@njit(**JIT_DRIVER)
def _adaptive_steps(attempt, dense_of, order, f_new_row, dense_rows, defect_limit, model, stim, y, f0, ctrl, cnt, atol,
                    work, iwork, t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr, armed, bound):
    """The loop of every adaptive kernel, with the method's ``attempt``, ``dense_of``, ``order``, ``f_new_row``,
    ``dense_rows`` and ``defect_limit`` (see the module notes), until ``ctrl[C_T_STOP]`` or until control must
    return."""
    ns = y.shape[0]
    y_stage = work[_Y_STAGE * ns:(_Y_STAGE + 1) * ns]
    y_new = work[_Y_NEW * ns:(_Y_NEW + 1) * ns]
    err = work[_ERR * ns:(_ERR + 1) * ns]
    dense = work[_DENSE * ns:(_DENSE + dense_rows) * ns].reshape((dense_rows, ns))
    f_new = work[f_new_row * ns:(f_new_row + 1) * ns]
    tmp = work[_ROWS * ns:_ROWS * ns + c.scratch_size_of(model)]
    rtol = ctrl[c.C_RTOL]
    h_max = ctrl[c.C_H_MAX]
    t_stop = ctrl[c.C_T_STOP]
    t = c.begin(model, stim, y, f0, ctrl, cnt, t_eval, save_idx, out_t, out_y, tmp)
    h = ctrl[c.C_H]
    fresh = np.bool_(True)  # no attempt from (t, y) yet (a bool, not a literal: one compiled attempt)
    status = c.DONE
    while t < t_stop:
        status = c.may_step(model, spk_t, out_t, cnt)
        if status != c.DONE:
            break
        if h <= 0.0:
            h = _initial_step(model, stim, t, y, f0, atol, rtol, order, min(h_max, t_stop - t), y_stage, err, cnt, tmp)
        h, h_step, t_new, lands, left_end = _plan(t, h, h_max, t_stop, stim.jumps, cnt)
        if _underflow(t, h_step):
            status = c.ERR_STEP_UNDERFLOW
            break
        ok = attempt(model, stim, t, h_step, t_new, left_end, y, f0, fresh, y_stage, y_new, err, work, iwork, cnt, tmp,
                     atol, rtol)
        fresh = np.bool_(False)
        if not ok:
            status = c.ERR_SINGULAR
            break
        norm = _norm(err, y, y_new, atol, rtol)
        dense_ready = False
        if norm <= 1.0 and defect_limit < _UNCHECKED and c.crossing_due(model.mem_state, thr, armed, y, y_new):
            dense_of(model, stim, t, h_step, y, y_new, work, dense, cnt, tmp)
            dense_ready = True
            defect = _midpoint_defect(model, stim, t, h_step, y, y_new, dense, atol, rtol, y_stage, err, cnt, tmp)
            if defect > defect_limit:  # taken again, shorter, as if its error were defect / defect_limit
                h = _rejected(defect / defect_limit, order, h_step, cnt)
                continue
        if norm <= 1.0:
            h = _accepted(norm, order, h, h_step, lands, ctrl, cnt)
            if dense_ready or c.needs_dense(model, thr, armed, y, y_new, t_new, t_eval, cnt):
                if not dense_ready:
                    dense_of(model, stim, t, h_step, y, y_new, work, dense, cnt, tmp)
                c.emit_dense(model, thr, armed, y, y_new, dense, t, h_step, t_new, t_eval, save_idx, out_t, out_y,
                             spk_t, spk_n, cnt)
            c.save_step(t_new, t_stop, y_new, save_idx, out_t, out_y, cnt)
            t = c.commit(model, stim, y, y_new, f0, f_new, t_new, left_end, cnt, tmp)
            runaway = c.rearm_runaway(model.mem_state, model.hysteresis, thr, armed, bound, y)
            fresh = np.bool_(True)
            if runaway:
                status = c.ERR_RUNAWAY
                break
        else:
            h = _rejected(norm, order, h_step, cnt)
    ctrl[c.C_T] = t
    ctrl[c.C_H] = h
    return status


@njit(**JIT)
def dopri5_run(model, stim, y, f0, ctrl, cnt, atol, work, iwork, t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr,
               armed, bound):
    """Dormand-Prince 5(4) until ``ctrl[C_T_STOP]`` or until control must return (see :mod:`.common`).

    ``work`` and ``iwork`` are scratch buffers of the lengths :func:`work_sizes` gives; ``armed``
    (int64, per neuron) is the spike detector's state, kept between calls.
    """
    return _adaptive_steps(_dp5_attempt, _dp5_dense, 5.0, _DP5_F_NEW, 5, _UNCHECKED,
                           model, stim, y, f0, ctrl, cnt, atol, work, iwork, t_eval, save_idx, out_t, out_y, spk_t,
                           spk_n, thr, armed, bound)


@njit(**JIT)
def rosenbrock23_run(model, stim, y, f0, ctrl, cnt, atol, work, iwork, t_eval, save_idx, out_t, out_y, spk_t, spk_n,
                     thr, armed, bound):
    """Rosenbrock 2(3) until ``ctrl[C_T_STOP]`` or until control must return (see :func:`dopri5_run`)."""
    return _adaptive_steps(_ros23_attempt, _ros23_dense, 3.0, _ROS23_F_NEW, 5, _UNCHECKED,
                           model, stim, y, f0, ctrl, cnt, atol, work, iwork, t_eval, save_idx, out_t, out_y, spk_t,
                           spk_n, thr, armed, bound)


@njit(**JIT)
def dop853_run(model, stim, y, f0, ctrl, cnt, atol, work, iwork, t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr,
               armed, bound):
    """Dormand & Prince 8(5,3) until ``ctrl[C_T_STOP]`` or until control must return (see :func:`dopri5_run`)."""
    return _adaptive_steps(_dp8_attempt, _dp8_dense, 8.0, _DP8_F_NEW, 8, _DEFECT_LIMIT,
                           model, stim, y, f0, ctrl, cnt, atol, work, iwork, t_eval, save_idx, out_t, out_y, spk_t,
                           spk_n, thr, armed, bound)


KERNELS = {DOPRI5: dopri5_run, ROSENBROCK23: rosenbrock23_run, DOP853: dop853_run}
