"""Fixed-step solvers: forward Euler and classical RK4, and for additive noise Euler-Maruyama
and Roessler's SRA1.

Steps end on the grid ``t_grid0 + k dt`` (computed by multiplication, so no
drift) and are split at stimulus discontinuities and at the end of a call.
Dense output is the cubic Hermite polynomial through both ends of the step
(values and derivatives), which locates spikes to third order; a noisy path has
no derivative, so its steps interpolate linearly.

Noise (:class:`.layout.Noise`) is additive: ``dY = F(t, Y) dt + B dW``, ``Y`` the model's
states and the Ornstein-Uhlenbeck states. Euler-Maruyama, ``Y + h F + B dW``, has strong
order 1 for additive noise (0.5 is its order for noise that depends on the state). SRA1
(Roessler, SIAM J. Numer. Anal. 48, 2010) has strong order 1.5 for additive noise with two
evaluations of ``F`` a step:

    H = Y + 3/4 h F(t, Y) + 3/2 B dZ / h,    Y_new = Y + h (F(t, Y) / 3 + 2/3 F(t + 3/4 h, H)) + B dW

with ``dZ`` the time integral of ``W - W(t)`` over the step, drawn jointly with ``dW``:
``dW = sqrt(h) z0``, ``dZ = h**1.5 (z0 + z1 / sqrt 3) / 2`` (``Var dZ = h**3 / 3``,
``Cov(dW, dZ) = h**2 / 2``). The normals of step ``k`` of the grid, piece ``p``, source ``j``
are :func:`.rng.normal_pair` of counter ``(k, trial, chip, tag(INTRINSIC, j, p))``: the
same seed gives the same path whatever the method, the buffers or the thread count.

A source with a path step ``path_dt`` (``Noise.src_path_dt``; the run's ``dt = m path_dt``) follows
instead the path a run at ``dt = path_dt`` draws: a step (or piece) spanning path steps
``i = i0 .. i1 - 1`` (grid ``t0 + i path_dt``; a piece's ends lie on it) takes their increments
``dW_i``, ``dZ_i`` (counter ``(i, trial, chip, tag(INTRINSIC, j, 0))``, scaled by ``path_dt``) and
joins them exactly, ``dW = sum dW_i``, ``dZ = sum [(W_i - W_i0) path_dt + dZ_i]``: the integral of
``W - W(t)`` over the step is that over each path step plus the level ``W`` has reached at its start.
With ``m = 1`` the step draws as without a path step, bit for bit.
"""

import numpy as np
from numba import njit, uint64

from . import common as c
from . import rng
from .config import JIT, JIT_INLINE, JIT_TAKES_KERNEL
from .field import RIGHT, rhs, rhs_threads
from .layout import scratch_size
from .uniform import (rhs_uniform, rhs_uniform_stage_threads, rhs_uniform_threads, rk4_combine_threads,
                      settle_threads)

EULER = 0
RK4 = 1
EULER_MARUYAMA = 2
SRA1 = 3

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
def hermite_dense(h, y, y_new, f0, f1, dense, cols):
    """Cubic Hermite interpolant of the step in power form, for the states ``cols``."""
    for j in range(cols.shape[0]):
        k = uint64(cols[j])
        dy = y_new[k] - y[k]
        dense[0, k] = y[k]
        dense[1, k] = h * f0[k]
        dense[2, k] = 3.0 * dy - h * (2.0 * f0[k] + f1[k])
        dense[3, k] = -2.0 * dy + h * (f0[k] + f1[k])
        dense[4, k] = 0.0


def work_size(model, noise=None):
    """Length of the float work buffer :func:`fixed_run` needs for ``model`` and ``noise`` (arrays; None: no
    noise): 11 rows as long as the states (the OU states included), the vector field's scratch, and
    ``B dW`` and ``B dZ`` of each noise source."""
    n_ou, n_src = (0, 0) if noise is None else (noise.ou_mem.size, noise.src_state.size)
    return 11 * (model.st_kind.size + n_ou) + scratch_size(model) + 2 * n_src


@njit(**JIT_INLINE)
def ou_drift(noise, model, y, dy):
    """Drift of the Ornstein-Uhlenbeck states (after the model's in ``y``) and their currents into ``dy``."""
    ns = model.st_kind.shape[0]
    for i in range(noise.ou_mem.shape[0]):
        k = ns + i
        dy[k] = (noise.ou_mean[i] - y[k]) * noise.ou_rate[i]
        m = noise.ou_mem[i]
        dy[m] += y[k] * model.st_rate[m]


@njit(**JIT_TAKES_KERNEL)
def drift(field, noise, model, stim, t, left, y, dy, tmp):
    """``F(t, y)``: the model's vector field (``field``, :func:`.field.rhs` or
    :func:`.field.rhs_threads`) and the OU states'."""
    field(model, stim, t, left, y, dy, tmp)
    ou_drift(noise, model, y, dy)


@njit(**JIT_INLINE)
def path_steps(path_dt, dt):
    """How many steps of a noise source's path (step ``path_dt``; 0: none) one step ``dt`` spans (0: none)."""
    return np.int64(dt / path_dt + 0.5) if path_dt > 0.0 else np.int64(0)


@njit(**JIT_INLINE)
def path_span(step, piece, on_grid, t, t_new, t0, m, path_dt):
    """The path steps ``[first, last)`` that piece ``piece`` of grid step ``step`` (``t`` to ``t_new``, grid
    ``t0 + k m path_dt``) spans: whole multiples at grid points, rounded from the time at a piece's
    other ends (which the Python layer checked lie on the path's grid)."""
    first = step * m if piece == 0 else np.int64(np.floor((t - t0) / path_dt + 0.5))
    last = (step + 1) * m if on_grid else np.int64(np.floor((t_new - t0) / path_dt + 0.5))
    return first, last


@njit(**JIT_INLINE)
def draw_increments(noise, model, step, piece, h, d_w, d_z, on_grid, t, t_new, t0, dt):
    """``B dW`` and ``B dZ`` of every source for one step from ``t`` to ``t_new`` (``h``), piece ``piece`` of grid
    step ``step`` on the grid ``t0 + k dt`` (``on_grid``: it ends on a grid point); see the module notes."""
    ns = model.st_kind.shape[0]
    ids = noise.ids
    root = np.sqrt(h)
    for j in range(noise.src_state.shape[0]):
        k = noise.src_state[j]
        b = noise.src_sigma[j] * (model.st_rate[k] if k < ns else 1.0)
        path_dt = noise.src_path_dt[j]
        m = path_steps(path_dt, dt)
        if m <= 1:
            z0, z1 = rng.normal_pair(step, ids[2], ids[3], rng.tag(rng.INTRINSIC, j, piece), ids[0], ids[1])
            d_w[j] = b * root * z0
            d_z[j] = b * 0.5 * h * root * (z0 + z1 * _INV_SQRT3)
        else:
            first, last = path_span(step, piece, on_grid, t, t_new, t0, m, path_dt)
            root_p = np.sqrt(path_dt)
            half_p = 0.5 * path_dt * root_p
            w = 0.0  # W_i - W_first
            z = 0.0
            for i in range(first, last):
                z0, z1 = rng.normal_pair(i, ids[2], ids[3], rng.tag(rng.INTRINSIC, j, PATH_PIECE), ids[0], ids[1])
                z += w * path_dt + half_p * (z0 + z1 * _INV_SQRT3)
                w += root_p * z0
            d_w[j] = b * w
            d_z[j] = b * z


_INV_SQRT3 = 1.0 / np.sqrt(3.0)
PATH_PIECE = np.int64(0)  # a path step is one whole step of a run at path_dt: its piece 0


@njit(**JIT_INLINE)
def linear_dense(y, y_new, dense, cols):
    """The straight line through both ends of a step, in the power form of the dense output, for the states
    ``cols``."""
    for j in range(cols.shape[0]):
        k = uint64(cols[j])
        dense[0, k] = y[k]
        dense[1, k] = y_new[k] - y[k]
        dense[2, k] = 0.0
        dense[3, k] = 0.0
        dense[4, k] = 0.0


# RK4 stages 2-4: y_stage = y + _RK4_A[s] h k_s, evaluated at t + _RK4_C[s] h.
_RK4_A = (0.5, 0.5, 1.0)
_RK4_C = (0.5, 0.5, 1.0)


@njit(**JIT_TAKES_KERNEL)
def rk4_stage(field, noise, model, stim, t, left, y, prev, ah, y_stage, dy, tmp):
    """``dy = F(t, y + ah prev)``, an RK4 stage: its state written into ``y_stage``, then ``field`` of it."""
    for k in range(y.shape[0]):
        y_stage[k] = y[k] + ah * prev[k]
    drift(field, noise, model, stim, t, left, y_stage, dy, tmp)


@njit(**JIT_INLINE)
def rk4_stage_uniform_threads(field, noise, model, stim, t, left, y, prev, ah, y_stage, dy, tmp):
    """:func:`rk4_stage` of a network of like neurons on threads: the field reads the stage's state as it
    goes (:func:`.uniform.rhs_uniform_stage_threads`), so no serial pass writes it first (~7 us of 10 000
    neurons' 30 000 states, three times a step). RK4 runs have no OU states (noise takes a stochastic method:
    :func:`neuromorph.solve.solvers.get_solver`), so there is no OU drift to add; ``field`` is unused."""
    rhs_uniform_stage_threads(model, stim, t, left, y, prev, ah, dy, tmp)


@njit(**JIT_INLINE)
def rk4_combine(noise, model, thr, armed, y, f0, K, h, y_new):
    """The end of an RK4 step, ``y_new = y + h/6 (f0 + 2 (k2 + k3) + k4)`` (``K`` holding ``k2..k4``):
    ``(finite, maybe_crossed)``, whether ``y_new`` is finite and whether a neuron may have crossed its threshold
    (always True here: :func:`.common.crossing_due` looks)."""
    for k in range(y.shape[0]):
        y_new[k] = y[k] + h / 6.0 * (f0[k] + 2.0 * (K[0, k] + K[1, k]) + K[2, k])
    return c.all_finite(y_new), True


@njit(**JIT_INLINE)
def rk4_combine_uniform_threads(noise, model, thr, armed, y, f0, K, h, y_new):
    """:func:`rk4_combine` of a network of like neurons on threads (:func:`.uniform.rk4_combine_threads`: each
    thread the states of its own neurons, so they stay in its cache; the threshold crossings found on the way).
    RK4 runs have no OU states (see :func:`rk4_stage_uniform_threads`)."""
    return rk4_combine_threads(model, thr, armed, y, f0, K, h, y_new)


@njit(**JIT_INLINE)
def settle(noise, model, thr, armed, bound, y, y_new, f0, f_new):
    """Make the step current (``y = y_new``, ``f0 = f_new``), re-arm the spike detectors and return True on a
    runaway (:func:`.common.rearm_runaway`)."""
    c.take_step(y, y_new, f0, f_new)
    return c.rearm_runaway(model.mem_state, model.hysteresis, thr, armed, bound, y)


@njit(**JIT_INLINE)
def settle_uniform_threads(noise, model, thr, armed, bound, y, y_new, f0, f_new):
    """:func:`settle` of a network of like neurons on threads, each thread its own neurons
    (:func:`.uniform.settle_threads`); with OU states as :func:`settle`."""
    if noise.ou_mem.shape[0] == 0:
        return settle_threads(model, thr, armed, bound, y, y_new, f0, f_new)
    return settle(noise, model, thr, armed, bound, y, y_new, f0, f_new)


@njit(**JIT)
def fixed_run(method, noise, model, stim, y, f0, ctrl, cnt, work, t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr,
              armed, bound):
    """``method`` (:data:`EULER`, :data:`RK4`, :data:`EULER_MARUYAMA` or :data:`SRA1`) with fixed step
    ``ctrl[C_H]`` until ``ctrl[C_T_STOP]``.

    See :mod:`.common` for the calling protocol. ``y`` holds the model's states, then the
    OU states of ``noise`` (a :class:`.layout.Noise`; empty arrays for a deterministic run);
    ``work`` has :func:`work_size` entries; ``armed`` (int64, per neuron) is the spike detector's state.
    """
    return _fixed_steps(rhs, rk4_stage, rk4_combine, settle, method, noise, model, stim, y, f0, ctrl, cnt, work, t_eval,
                        save_idx, out_t, out_y, spk_t, spk_n, thr, armed, bound)


@njit(**JIT)
def fixed_run_threads(method, noise, model, stim, y, f0, ctrl, cnt, work, t_eval, save_idx, out_t, out_y, spk_t, spk_n,
                      thr, armed, bound):
    """:func:`fixed_run` with the vector field evaluated in ``model.chunks[0]`` pieces on numba's threads
    (:func:`.field.rhs_threads`), for models of :data:`.config.PARALLEL_FROM` neurons or more: the
    same bits. A kernel of its own, so the slow parallel compilation happens only for such models."""
    return _fixed_steps(rhs_threads, rk4_stage, rk4_combine, settle, method, noise, model, stim, y, f0, ctrl, cnt, work,
                        t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr, armed, bound)


@njit(**JIT_TAKES_KERNEL)
def _fixed_steps(field, stage, combine, settle_step, method, noise, model, stim, y, f0, ctrl, cnt, work, t_eval, save_idx,
                 out_t, out_y, spk_t, spk_n, thr, armed, bound):
    """The loop of :func:`fixed_run`, with ``field`` evaluating the model's vector field, ``stage`` an RK4 stage's
    (:func:`rk4_stage`), ``combine`` the end of an RK4 step (:func:`rk4_combine`) and ``settle_step`` making a step
    current (:func:`settle`)."""
    ns = y.shape[0]
    n_src = noise.src_state.shape[0]
    dt = ctrl[c.C_H]
    t_stop = ctrl[c.C_T_STOP]
    K = work[0:3 * ns].reshape((3, ns))
    y_stage = work[3 * ns:4 * ns]
    y_new = work[4 * ns:5 * ns]
    f_end = work[5 * ns:6 * ns]
    dense = work[6 * ns:11 * ns].reshape((5, ns))
    n_tmp = c.scratch_size_of(model)
    tmp = work[11 * ns:11 * ns + n_tmp]
    d_w = work[11 * ns + n_tmp:11 * ns + n_tmp + n_src]
    d_z = work[11 * ns + n_tmp + n_src:11 * ns + n_tmp + 2 * n_src]
    stochastic = method >= EULER_MARUYAMA
    fresh = cnt[c.FSAL_OK] == 0
    t = c.begin(model, stim, y, f0, ctrl, cnt, t_eval, save_idx, out_t, out_y, tmp)
    if fresh:
        ou_drift(noise, model, y, f0)
    status = c.DONE
    while t < t_stop:
        status = c.may_step(model, spk_t, out_t, cnt)
        if status != c.DONE:
            break
        t_new, on_grid, is_jump = next_fixed_time(t, t_stop, dt, ctrl, stim.jumps, cnt)
        h = t_new - t
        finite, maybe_crossed = True, True
        if method == EULER:
            for k in range(ns):
                y_new[k] = y[k] + h * f0[k]
        elif stochastic:
            draw_increments(noise, model, cnt[c.GRID_K], cnt[c.PIECE], h, d_w, d_z, on_grid, t, t_new,
                            ctrl[c.C_T_GRID0], dt)
            if method == EULER_MARUYAMA:
                for k in range(ns):
                    y_new[k] = y[k] + h * f0[k]
            else:
                for k in range(ns):
                    y_stage[k] = y[k] + 0.75 * h * f0[k]
                for j in range(n_src):
                    y_stage[noise.src_state[j]] += 1.5 / h * d_z[j]
                drift(field, noise, model, stim, t + 0.75 * h, RIGHT, y_stage, K[0], tmp)
                for k in range(ns):
                    y_new[k] = y[k] + h * (f0[k] / 3.0 + 2.0 / 3.0 * K[0, k])
                cnt[c.N_FEV] += 1
            for j in range(n_src):
                y_new[noise.src_state[j]] += d_w[j]
        else:
            for s in range(3):
                prev = f0 if s == 0 else K[s - 1]
                at_end = s == 2
                stage(field, noise, model, stim, t_new if at_end else t + _RK4_C[s] * h, is_jump and at_end, y, prev,
                      _RK4_A[s] * h, y_stage, K[s], tmp)
            finite, maybe_crossed = combine(noise, model, thr, armed, y, f0, K, h, y_new)
            cnt[c.N_FEV] += 3
        if method != RK4:
            finite = c.all_finite(y_new)
        if not finite:
            status = c.ERR_NONFINITE
            break
        drift(field, noise, model, stim, t_new, is_jump, y_new, f_end, tmp)
        cnt[c.N_FEV] += 1
        if c.grid_due(t_new, t_eval, cnt) or (maybe_crossed and c.crossing_due(model.mem_state, thr, armed, y, y_new)):
            # Only the states a step's dense output is read for: the membranes (spikes) and, saving on a grid,
            # the recorded ones (all of a large network's 30 000 states took 40 us, its 10 000 membranes 10).
            if stochastic:
                linear_dense(y, y_new, dense, model.mem_state)
                if cnt[c.SAVE_MODE] == c.SAVE_GRID:
                    linear_dense(y, y_new, dense, save_idx)
            else:
                hermite_dense(h, y, y_new, f0, f_end, dense, model.mem_state)
                if cnt[c.SAVE_MODE] == c.SAVE_GRID:
                    hermite_dense(h, y, y_new, f0, f_end, dense, save_idx)
            c.emit_dense(model, thr, armed, y, y_new, dense, t, h, t_new, t_eval, save_idx, out_t, out_y, spk_t, spk_n, cnt)
        c.save_step(t_new, t_stop, y_new, save_idx, out_t, out_y, cnt)
        if on_grid:
            cnt[c.GRID_K] += 1
            cnt[c.PIECE] = 0
        else:
            cnt[c.PIECE] += 1
        runaway = settle_step(noise, model, thr, armed, bound, y, y_new, f0, f_end)
        t = c.committed(model, stim, y, f0, t_new, is_jump, cnt, tmp)
        if is_jump:
            ou_drift(noise, model, y, f0)
        if runaway:
            status = c.ERR_RUNAWAY
            break
    ctrl[c.C_T] = t
    return status


@njit(**JIT)
def fixed_run_uniform(method, noise, model, stim, y, f0, ctrl, cnt, work, t_eval, save_idx, out_t, out_y, spk_t, spk_n,
                      thr, armed, bound):
    """:func:`fixed_run` for a network of like neurons, its vector field with the neurons in vector lanes
    (:func:`.uniform.rhs_uniform`); ``model`` is a :data:`.uniform.UniformModel`."""
    return _fixed_steps(rhs_uniform, rk4_stage, rk4_combine, settle, method, noise, model, stim, y, f0, ctrl, cnt, work,
                        t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr, armed, bound)


@njit(**JIT)
def fixed_run_uniform_threads(method, noise, model, stim, y, f0, ctrl, cnt, work, t_eval, save_idx, out_t, out_y, spk_t,
                              spk_n, thr, armed, bound):
    """:func:`fixed_run_uniform` with the lanes cut into ``model.chunks[0]`` pieces on numba's threads
    (:func:`.uniform.rhs_uniform_threads`): the same bits."""
    return _fixed_steps(rhs_uniform_threads, rk4_stage_uniform_threads, rk4_combine_uniform_threads, settle_uniform_threads,
                        method, noise, model, stim, y, f0, ctrl, cnt, work, t_eval, save_idx, out_t, out_y, spk_t, spk_n, thr,
                        armed, bound)
