"""Many independent copies of one model, integrated side by side in SIMD lanes.

Copies share the structure arrays of :class:`~.model.Model` (which state feeds
which element) and a stimulus; every numeric parameter is per copy. Copies
are processed in blocks of ``LANES``; inside a block each state, element or
parameter is a contiguous row of ``LANES`` values (``row * LANES + lane``), so
the inner loops run over lanes without branches and compile to vector code
(with the vectorisable :func:`.mathfn.tanh`).

A kernel call integrates blocks ``[b0, b1)`` from ``t0`` to ``t_end`` with
fixed steps on the grid ``t0 + k dt`` (split at stimulus discontinuities).
Blocks are independent: the Python layer runs disjoint block ranges on
threads (``nogil``), and results do not depend on the thread count.

Per-copy parameter arrays (``n_rows x n_copies``): ``st_rate``, ``el_gain``,
``el_off``, ``act_k``, ``act_off``, ``thr``, ``hyst`` (spike thresholds and hysteresis) and
``i_bias`` (each neuron's constant applied current, added to the shared stimulus).

With additive noise (:class:`.layout.Noise`; methods :data:`EULER_MARUYAMA` and :data:`SRA1`,
the schemes of :mod:`.fixed`) each copy is a member of a Monte Carlo study with its own trial
and chip number: its normals are those the single-run kernel draws for that trial and chip
(:func:`.rng.lane_normals`, the same counters; a source's shared Brownian path summed the same way), so
a member re-run alone gives the same path up to the rounding of the (differently ordered) vector
field. The state rows hold the model's states, then the OU states.
"""

from collections import namedtuple

import numpy as np
from numba import njit, uint64

from . import rng
from .config import JIT, JIT_INLINE, JIT_VIEW
from .field import RIGHT, stim_value
from .fixed import EULER, EULER_MARUYAMA, PATH_PIECE, RK4, SRA1, path_span, path_steps
from .layout import CONST, LINEAR, n_tanh
from .mathfn import sigmoid, tanh

__all__ = ["LANES", "EULER", "RK4", "EULER_MARUYAMA", "SRA1", "lanes_run", "make_work", "work_for", "LaneWork"]

LANES = 64  # measured: 1.2e7 neuron-steps/s per core at 32 lanes, 1.7-1.8e7 at 64, no gain beyond

_EPS = np.finfo(np.float64).eps


LaneWork = namedtuple("LaneWork", "y yt k1 ks rate gain off arg ak aoff act ioff thr rearm armed bound v_prev f_prev "
                                   "gate "
                                   "dw dz z0 z1 ab cd trials chips")


def rows(r):
    """``r`` rows of ``LANES`` zeros (at least one), 64-byte aligned and padded by a cache line on each side: two
    threads' scratch rows never share a line, and no vector load straddles two (unaligned rows made the loops of
    :mod:`.observer_lanes` ~1.8x slower)."""
    n = max(r, 1) * LANES
    raw = np.zeros(n + 24)
    start = 8 + (-raw.ctypes.data % 64) // 8
    return raw[start:start + n]


def make_work(n_states, n_terms, n_tanh, n_act, n_neurons, n_sources=0):
    """Scratch buffers of one thread: separate arrays, so the vectoriser never doubts they are disjoint."""
    return LaneWork(
        y=rows(n_states), yt=rows(n_states), k1=rows(n_states), ks=rows(3 * n_states).reshape(3, -1),
        rate=rows(n_states), gain=rows(n_terms), off=rows(n_terms), arg=rows(n_tanh),
        ak=rows(n_act), aoff=rows(n_act), act=rows(n_act), ioff=rows(n_neurons), thr=rows(n_neurons),
        rearm=rows(n_neurons), armed=rows(n_neurons), bound=rows(n_neurons), v_prev=rows(n_neurons), f_prev=rows(n_neurons), gate=rows(1),
        dw=rows(n_sources), dz=rows(n_sources), z0=rows(1), z1=rows(1), ab=rows(1).view(np.uint64),
        cd=rows(1).view(np.uint64), trials=rows(1).view(np.uint64), chips=rows(1).view(np.uint64),
    )


def work_for(model, noise=None):
    """:func:`make_work` for the model ``model`` (arrays) with ``noise`` (a :class:`.layout.Noise`; None: no
    noise): rows for its states and OU states, elements, TANH terms, activations, neurons and noise sources."""
    n_ou, n_src = (0, 0) if noise is None else (noise.ou_mem.size, noise.src_state.size)
    return make_work(model.st_kind.size + n_ou, model.el_gain.size, n_tanh(model), model.act_k.size,
                     model.mem_state.size, n_src)


@njit(**JIT_VIEW)
def _row(a, r):
    """Lanes of row ``r``. Loops index these views by lane only: an index like ``r * LANES + j``
    carries numba's negative-index wrap-around select, which stops LLVM from vectorising.
    Inlined by numba (a function compiled on its own cannot return a view without NRT)."""
    return a[r * LANES:(r + 1) * LANES]


@njit(**JIT_INLINE)
def _lane_rhs(model, stim, t, left, w, y, dy):
    """``dy = f(t, y)`` for one block of lanes (the same terms as :func:`.field.rhs`, per lane)."""
    mem = model.mem_state
    group = model.el_group
    gate = w.gate
    for j in range(model.act_in.shape[0]):
        a = _row(w.act, j)
        x = _row(y, model.act_in[j])
        k = _row(w.ak, j)
        off = _row(w.aoff, j)
        for i in range(LANES):
            a[i] = sigmoid(k[i] * (x[i] - off[i]))
    # Every ungated TANH term: arguments first, then one long tanh loop (more work in flight).
    n_tanh = group[mem.shape[0] - 1, 1]
    for e in range(n_tanh):
        a = _row(w.arg, e)
        x = _row(y, model.el_in[e])
        off = _row(w.off, e)
        for i in range(LANES):
            a[i] = x[i] - off[i]
    args = w.arg[:n_tanh * LANES]
    for i in range(args.shape[0]):
        args[i] = tanh(args[i])
    for n in range(mem.shape[0]):
        value = stim_value(stim, uint64(n), t, left)  # uint64, as in .field: one compiled stim_value
        d = _row(dy, mem[n])
        extra = _row(w.ioff, n)
        for i in range(LANES):
            d[i] = value + extra[i]
        for e in range(group[n, 0], group[n, 1]):
            a = _row(w.arg, e)
            gain = _row(w.gain, e)
            for i in range(LANES):
                d[i] -= gain[i] * a[i]
        for e in range(group[n, 2], group[n, 3]):
            gain = _row(w.gain, e)
            off = _row(w.off, e)
            x = _row(y, model.el_in[e])
            for i in range(LANES):
                d[i] -= gain[i] * (x[i] - off[i])
        for e in range(group[n, 4], group[n, 5]):  # synaptic inputs: gain * one activation
            gain = _row(w.gain, e)
            a = _row(w.act, model.gate_act[model.gate_ptr[e]])
            for i in range(LANES):
                d[i] -= gain[i] * a[i]
        for e in range(group[n, 6], group[n, 7]):
            gain = _row(w.gain, e)
            off = _row(w.off, e)
            base = model.el_base[e]
            if base == CONST:
                for i in range(LANES):
                    gate[i] = gain[i]
            else:
                x = _row(y, model.el_in[e])
                if base == LINEAR:
                    for i in range(LANES):
                        gate[i] = gain[i] * (x[i] - off[i])
                else:
                    for i in range(LANES):
                        gate[i] = gain[i] * tanh(x[i] - off[i])
            for g in range(model.gate_ptr[e], model.gate_ptr[e + 1]):
                a = _row(w.act, model.gate_act[g])
                for i in range(LANES):
                    gate[i] *= a[i]
            for i in range(LANES):
                d[i] -= gate[i]
        rate = _row(w.rate, mem[n])
        for i in range(LANES):
            d[i] *= rate[i]
    for i in range(model.filt_state.shape[0]):
        k = model.filt_state[i]
        d = _row(dy, k)
        x = _row(y, k)
        src = _row(y, model.st_src[k])
        rate = _row(w.rate, k)
        for j in range(LANES):
            d[j] = (src[j] - x[j]) * rate[j]


@njit(**JIT_INLINE)
def _lane_drift(noise, model, stim, t, left, w, y, dy):
    """``F(t, y)``: :func:`_lane_rhs`, then the OU states' drift and their currents into their membranes."""
    _lane_rhs(model, stim, t, left, w, y, dy)
    ns = model.st_kind.shape[0]
    for i in range(noise.ou_mem.shape[0]):
        d = _row(dy, ns + i)
        x = _row(y, ns + i)
        m = noise.ou_mem[i]
        dm = _row(dy, m)
        rate = _row(w.rate, m)
        mean = noise.ou_mean[i]
        ou_rate = noise.ou_rate[i]
        for j in range(LANES):
            d[j] = (mean - x[j]) * ou_rate
            dm[j] += x[j] * rate[j]


@njit(**JIT)
def _lane_rhs_call(noise, model, stim, t, left, w, y, dy):
    """Out-of-line :func:`_lane_drift` for the rare call sites (start, after a stimulus jump)."""
    _lane_drift(noise, model, stim, t, left, w, y, dy)


_INV_SQRT3 = 1.0 / np.sqrt(3.0)


@njit(**JIT_INLINE)
def _lane_increments(noise, model, w, step, piece, h, on_grid, t, t_new, t0, dt):
    """``B dW`` and ``B dZ`` of every source in every lane (the draws of :func:`.fixed.draw_increments`)."""
    ns = model.st_kind.shape[0]
    root = np.sqrt(h)
    half = 0.5 * h * root
    for j in range(noise.src_state.shape[0]):
        k = noise.src_state[j]
        sigma = noise.src_sigma[j]
        dw = _row(w.dw, j)
        dz = _row(w.dz, j)
        z0, z1 = w.z0, w.z1
        path_dt = noise.src_path_dt[j]
        m = path_steps(path_dt, dt)
        if m > 1:
            _lane_path_increments(noise, w, j, path_span(step, piece, on_grid, t, t_new, t0, m, path_dt), path_dt,
                                  dw, dz)
            if k < ns:
                rate = _row(w.rate, k)
                for i in range(LANES):
                    b = sigma * rate[i]
                    dw[i] *= b
                    dz[i] *= b
            else:
                for i in range(LANES):
                    dw[i] *= sigma
                    dz[i] *= sigma
            continue
        rng.lane_normals(step, w.trials, w.chips, rng.tag(rng.INTRINSIC, j, piece), noise.ids[0], noise.ids[1],
                         w.ab, w.cd, w.z0, w.z1)
        if k < ns:
            rate = _row(w.rate, k)
            for i in range(LANES):
                b = sigma * rate[i]
                dw[i] = b * root * z0[i]
                dz[i] = b * half * (z0[i] + z1[i] * _INV_SQRT3)
        else:
            for i in range(LANES):
                dw[i] = sigma * root * z0[i]
                dz[i] = sigma * half * (z0[i] + z1[i] * _INV_SQRT3)


@njit(**JIT_INLINE)
def _lane_path_increments(noise, w, j, span, path_dt, dw, dz):
    """Unscaled ``dW`` and ``dZ`` of source ``j`` in every lane over path steps ``span = (first, last)``: the
    sums of :func:`.fixed.draw_increments` (its module notes), lane by lane."""
    root_p = np.sqrt(path_dt)
    half_p = 0.5 * path_dt * root_p
    z0, z1 = w.z0, w.z1
    for i in range(LANES):
        dw[i] = 0.0
        dz[i] = 0.0
    for step in range(span[0], span[1]):
        rng.lane_normals(step, w.trials, w.chips, rng.tag(rng.INTRINSIC, j, PATH_PIECE), noise.ids[0], noise.ids[1],
                         w.ab, w.cd, z0, z1)
        for i in range(LANES):
            dz[i] += dw[i] * path_dt + half_p * (z0[i] + z1[i] * _INV_SQRT3)
            dw[i] += root_p * z0[i]


# RK4 stages 2-4: yt = y + _RK4_A[s] h k_s at t + _RK4_A[s] h (k_1 = f(t, y)); weights 1, 2, 2, 1 over 6.
_RK4_A = (0.5, 0.5, 1.0)


@njit(**JIT_INLINE)
def _hermite_crossing(v0, v1, f0, f1, h, level):
    """theta in (0, 1] where the cubic Hermite interpolant crosses ``level`` upward (bisection + secant)."""
    dv = v1 - v0
    c1 = h * f0
    c2 = 3.0 * dv - h * (2.0 * f0 + f1)
    c3 = -2.0 * dv + h * (f0 + f1)
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if v0 + mid * (c1 + mid * (c2 + mid * c3)) < level:
            lo = mid
        else:
            hi = mid
    return hi


LANE_OK = 0
LANE_NONFINITE = 1
LANE_RUNAWAY = 2


@njit(**JIT)
def _fail_lanes(model, bound, y, w, width, c0, status, t, t_failed):
    """Mark lanes whose state is non-finite or beyond its bound (at time ``t``, into ``t_failed``), and
    freeze them (state and rates 0).

    A frozen lane stays at 0 and never spikes, so one diverging copy costs the others nothing.
    """
    ns = y.shape[0] // LANES
    for j in range(width):
        code = LANE_OK
        for r in range(ns):
            if not np.isfinite(y[r * LANES + j]):
                code = LANE_NONFINITE
        for n in range(model.mem_state.shape[0]):
            if code == LANE_OK and abs(y[model.mem_state[n] * LANES + j]) > bound[n * LANES + j]:
                code = LANE_RUNAWAY
        if code != LANE_OK:
            if status[c0 + j] == LANE_OK:
                status[c0 + j] = code
                t_failed[c0 + j] = t
            for r in range(ns):
                y[r * LANES + j] = 0.0
                w.rate[r * LANES + j] = 0.0


@njit(**JIT)
def lanes_run(method, noise, b0, b1, model, stim, dt, t0, t_begin, k_begin, k_stop, t_end, t_record, rate_all,
              gain_all, off_all, ak_all, aoff_all, thr_all, hyst_all, ioff_all, bound_all, trial_all, chip_all, y_all,
              armed_all, status, t_failed, spk_count, spk_t, save_every, out_first, out_v, t_reached, w):
    """Integrate blocks ``[b0, b1)`` of lanes from grid step ``k_begin`` (time ``t_begin``) to grid
    step ``k_stop`` or ``t_end``, whichever comes first.

    Steps lie on the grid ``t0 + k dt`` and are split at stimulus discontinuities. A long run is
    a sequence of such calls (time slices), each resuming exactly where the last stopped: the
    steps, and so the results, are bit-identical whatever the slicing and the thread count. The
    time reached is written to ``t_reached[block]`` (the same for every block).

    ``method`` is :data:`EULER`, :data:`RK4`, :data:`EULER_MARUYAMA` or :data:`SRA1`; ``noise``
    a :class:`.layout.Noise` (empty arrays without noise), ``trial_all`` and ``chip_all``
    (uint64) each copy's trial and chip. ``y_all`` (n_states x n, the OU states last) is the
    state on entry and on return, ``armed_all`` (n_neurons x n, 1.0 or 0.0) the spike detector's
    state (thresholds ``thr_all``, hysteresis ``hyst_all``; what a spike is:
    :mod:`neuromorph.analysis.spikes`; here located on the step's cubic Hermite). ``status[c]`` becomes
    :data:`LANE_NONFINITE` or :data:`LANE_RUNAWAY` (``|V| > bound_all``) for a copy that
    diverged, and ``t_failed[c]`` the end of the step where it was found; that copy is frozen and its
    final state is NaN. ``spk_count[m, c]`` counts spikes
    of neuron ``m`` of copy ``c`` at or after ``t_record``; the first ``spk_t.shape[2]`` are
    stored in ``spk_t[m, c]``. With ``save_every > 0``, the membrane voltage of every neuron is
    written to ``out_v[i - out_first, m, c]`` every ``save_every`` grid steps (``i = 0`` at ``t0``;
    ``out_first > 0`` streams a run's samples slice by slice into one buffer, and leaves out the
    sample at ``t0``); a last row left unfilled by the grid (``t_end`` off it) gets the state at
    ``t_end``. ``w`` is a :class:`LaneWork` from :func:`make_work`.
    """
    ns = y_all.shape[0]
    ne = gain_all.shape[0]
    na = ak_all.shape[0]
    nn = thr_all.shape[0]
    n = y_all.shape[1]
    L = LANES
    y, yt, k1, ks = w.y, w.yt, w.k1, w.ks
    v_prev, f_prev = w.v_prev, w.f_prev
    mem = model.mem_state
    jumps = stim.jumps
    cap = spk_t.shape[2]
    n_flat = ns * L

    n_src = noise.src_state.shape[0]
    stochastic = method >= EULER_MARUYAMA
    n_mod = rate_all.shape[0]  # the model's states (the OU states follow in y)
    for block in range(b0, b1):
        c0 = block * L
        width = min(L, n - c0)
        # Gather this block's parameters; padding lanes repeat the last copy (and are never written back).
        for j in range(L):
            c = c0 + min(j, width - 1)
            w.trials[j] = trial_all[c]
            w.chips[j] = chip_all[c]
            for r in range(n_mod):
                w.rate[r * L + j] = rate_all[r, c]
            for r in range(ns):
                y[r * L + j] = y_all[r, c]
            for r in range(ne):
                w.gain[r * L + j] = gain_all[r, c]
                w.off[r * L + j] = off_all[r, c]
            for r in range(na):
                w.ak[r * L + j] = ak_all[r, c]
                w.aoff[r * L + j] = aoff_all[r, c]
            for r in range(nn):
                w.thr[r * L + j] = thr_all[r, c]
                w.rearm[r * L + j] = thr_all[r, c] - hyst_all[r, c]
                w.armed[r * L + j] = armed_all[r, c]
                w.ioff[r * L + j] = ioff_all[r, c]
                w.bound[r * L + j] = bound_all[r, c]
        for j in range(width):
            if status[c0 + j] != LANE_OK:  # failed in an earlier slice: stays frozen
                for r in range(ns):
                    y[r * L + j] = 0.0
                    w.rate[r * L + j] = 0.0
        t = t_begin
        k_grid = k_begin
        i_jump = 0
        while i_jump < jumps.shape[0] and jumps[i_jump] <= t:
            i_jump += 1
        i_out = 0
        if save_every > 0:
            i_out = k_begin // save_every + 1
            if k_begin == 0 and out_first == 0:
                for m in range(nn):
                    v = _row(y, mem[m])
                    for j in range(width):
                        out_v[0, m, c0 + j] = v[j]
        _lane_rhs_call(noise, model, stim, t, RIGHT, w, y, k1)
        piece = np.int64(0)  # not a literal 0, which would compile _lane_increments a second time
        while t < t_end and k_grid < k_stop:
            t_grid = t0 + (k_grid + 1) * dt
            target = t_end
            is_jump = False
            if i_jump < jumps.shape[0] and jumps[i_jump] < target:
                target = jumps[i_jump]
                is_jump = True
            on_grid = False
            if abs(t_grid - target) <= 64.0 * _EPS * max(abs(target), 1.0):
                t_new = target
                on_grid = True
            elif t_grid < target:
                t_new = t_grid
                on_grid = True
                is_jump = False
            else:
                t_new = target
            h = t_new - t
            for m in range(nn):
                v = _row(y, mem[m])
                f = _row(k1, mem[m])
                vp = _row(v_prev, m)
                fp = _row(f_prev, m)
                for j in range(L):
                    vp[j] = v[j]
                    fp[j] = f[j]
            if method == EULER:
                for i in range(n_flat):
                    y[i] += h * k1[i]
            elif stochastic:
                _lane_increments(noise, model, w, k_grid, piece, h, on_grid, t, t_new, t0, dt)
                if method == EULER_MARUYAMA:
                    for i in range(n_flat):
                        y[i] += h * k1[i]
                else:
                    step = 0.75 * h
                    for i in range(n_flat):
                        yt[i] = y[i] + step * k1[i]
                    for j in range(n_src):
                        row = _row(yt, noise.src_state[j])
                        dz = _row(w.dz, j)
                        for i in range(L):
                            row[i] += 1.5 / h * dz[i]
                    k2 = ks[0]
                    _lane_drift(noise, model, stim, t + step, RIGHT, w, yt, k2)
                    third = h / 3.0
                    for i in range(n_flat):
                        y[i] += third * (k1[i] + 2.0 * k2[i])
                for j in range(n_src):
                    row = _row(y, noise.src_state[j])
                    dw = _row(w.dw, j)
                    for i in range(L):
                        row[i] += dw[i]
            else:
                for stage in range(3):
                    prev = k1 if stage == 0 else ks[stage - 1]
                    step = _RK4_A[stage] * h
                    for i in range(n_flat):
                        yt[i] = y[i] + step * prev[i]
                    at_end = stage == 2
                    _lane_drift(noise, model, stim, t_new if at_end else t + step, is_jump and at_end, w, yt, ks[stage])
                sixth = h / 6.0
                k2, k3, k4 = ks[0], ks[1], ks[2]
                for i in range(n_flat):
                    y[i] += sixth * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i])
            # Divergence is rare: a vectorised test over all lanes first (NaN poisons the sum), the
            # scalar search only if something is off.
            poison = 0.0
            for i in range(n_flat):
                poison += y[i] * 0.0
            far = 0
            for nn_i in range(nn):
                vm = _row(y, model.mem_state[nn_i])
                bnd = _row(w.bound, nn_i)
                for j in range(L):
                    far += abs(vm[j]) > bnd[j]
            if far or poison != 0.0 or not np.isfinite(poison):
                _fail_lanes(model, w.bound, y, w, width, c0, status, t_new, t_failed)
            # Derivative at the new point: the Hermite end slope, and (off jumps) the next k1.
            _lane_drift(noise, model, stim, t_new, is_jump, w, y, k1)
            # Spikes are rare: a vectorised test over all lanes first, the scalar search only if one crossed.
            for m in range(nn):
                v = _row(y, mem[m])
                f = _row(k1, mem[m])
                vp = _row(v_prev, m)
                fp = _row(f_prev, m)
                thr = _row(w.thr, m)
                armed = _row(w.armed, m)
                crossed = 0
                for j in range(L):
                    crossed += (armed[j] != 0.0) & (vp[j] < thr[j]) & (thr[j] <= v[j])
                for j in range(width if crossed else 0):
                    if armed[j] != 0.0 and vp[j] < thr[j] <= v[j]:
                        armed[j] = 0.0
                        if stochastic:  # a noisy path has no derivative: the chord
                            ts = t + h * min((thr[j] - vp[j]) / (v[j] - vp[j]), 1.0)
                        else:
                            ts = t + h * _hermite_crossing(vp[j], v[j], fp[j], f[j], h, thr[j])
                        if ts >= t_record:
                            c = c0 + j
                            i = spk_count[m, c]
                            if i < cap:
                                spk_t[m, c, i] = ts
                            spk_count[m, c] = i + 1
                low = _row(w.rearm, m)
                for j in range(L):
                    armed[j] = 1.0 if v[j] < low[j] else armed[j]
            t = t_new
            piece = 0 if on_grid else piece + 1
            if on_grid:
                k_grid += 1
                if save_every > 0 and k_grid % save_every == 0 and i_out - out_first < out_v.shape[0]:
                    for m in range(nn):
                        v = _row(y, mem[m])
                        for j in range(width):
                            out_v[i_out - out_first, m, c0 + j] = v[j]
                    i_out += 1
            if is_jump:
                i_jump += 1
                _lane_rhs_call(noise, model, stim, t, RIGHT, w, y, k1)
        if save_every > 0 and t >= t_end and i_out - out_first == out_v.shape[0] - 1:
            # t_end off the grid: the last sample is the state at t_end (reached by a shorter step).
            for m in range(nn):
                v = _row(y, mem[m])
                for j in range(width):
                    out_v[i_out - out_first, m, c0 + j] = v[j]
        for j in range(width):
            failed = status[c0 + j] != LANE_OK
            for r in range(ns):
                y_all[r, c0 + j] = np.nan if failed else y[r * L + j]
            for r in range(nn):
                armed_all[r, c0 + j] = w.armed[r * L + j]
        t_reached[block] = t
    return 0
