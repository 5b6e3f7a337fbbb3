"""Kernels of the estimation layer: exact first-order filters of sampled signals, and the adaptive observer.

Both run on a measured trace: samples ``t[0] < t[1] < ...`` (any spacing), signals linear between
samples (first-order hold), as a chip's recorded voltage is read.
"""

import math

from numba import njit, uint64

from .config import JIT, JIT_INLINE


@njit(**JIT_INLINE)
def foh_coefficients(h, tau):
    """``(a, b0, b1)`` of the exact step of ``tau dx/dt = u - x`` over ``h`` for ``u`` linear on it:
    ``x+ = a x + b0 u + b1 u+`` with ``a = exp(-h/tau)``, ``b1 = 1 - tau (1 - a) / h``, ``b0 = 1 - a - b1``."""
    r = h / tau
    one_minus_a = -math.expm1(-r)
    # b1 = 1 - (1 - a) / r, without cancellation for small r (series of 1 - (1 - e^-r) / r)
    if r < 1e-4:
        b1 = r * (0.5 - r / 6.0)
    else:
        b1 = 1.0 - one_minus_a / r
    return 1.0 - one_minus_a, one_minus_a - b1, b1


NO_STEP = (-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0)
"""An empty cache for :func:`cached_coefficients`."""


@njit(**JIT_INLINE)
def cached_coefficients(h, tau, cache):
    """``(a, b0, b1, cache)``: :func:`foh_coefficients` through a cache of the last two steps,
    ``cache = (h, a, b0, b1, h', a', b0', b1')`` (start from :data:`NO_STEP`).

    A uniform grid's steps ``t[i + 1] - t[i]`` are not all equal in floating point (1e6 samples at 0.02 give
    22 distinct values, alternating between two for long stretches): the cache computes an exponential ~20
    times instead of once per sample, and returns the very same coefficients.
    """
    if h == cache[0]:
        return cache[1], cache[2], cache[3], cache
    if h == cache[4]:
        return cache[5], cache[6], cache[7], (cache[4], cache[5], cache[6], cache[7], cache[0], cache[1], cache[2],
                                              cache[3])
    a, b0, b1 = foh_coefficients(h, tau)
    return a, b0, b1, (h, a, b0, b1, cache[0], cache[1], cache[2], cache[3])


@njit(**JIT)
def foh_filter(t, u, tau, x0, out):
    """``tau dx/dt = u - x`` on the samples of ``u`` (N x m, linear between samples), exactly; ``x(t[0]) = x0``.

    ``tau = 0`` copies ``u``. Each step is the exact solution for a ramp input over the interval
    (:func:`foh_coefficients`).
    """
    n, m = u.shape
    if tau <= 0.0:
        for i in range(n):
            for j in range(m):
                out[i, j] = u[i, j]
        return
    for j in range(m):
        out[0, j] = x0[j]
    cache = NO_STEP
    for i in range(n - 1):
        a, b0, b1, cache = cached_coefficients(t[i + 1] - t[i], tau, cache)
        for j in range(m):  # the columns of one sample side by side, rows read in order
            out[i + 1, j] = a * out[i, j] + b0 * u[i, j] + b1 * u[i + 1, j]


@njit(**JIT)
def filtered_rows(t, v, phi, drive, c, tau, first, state, rows, lhs):
    """Both sides of the membrane equation filtered by ``1 / (tau s + 1)``, weighted, for samples ``first:``.

    ``phi`` is columns x samples x neurons. Row ``r`` (sample ``i = first + r``, neuron ``k``):
    ``lhs[r, k] = s_i (c_k (v - F[v]) / tau - F[drive])`` and ``rows[r, k] = s_i F[phi]``, with ``F[v]``
    started at ``v[0]``, the others at 0 (:func:`foh_filter`'s step), and ``s_i`` the square root of the
    sample's share of time (trapezoid weights over ``t[first:]``), so that ``rows^T rows`` is the weighted Gram
    matrix. One pass; ``state`` (``n (p + 2)`` floats) holds the filters.
    """
    N, n = v.shape
    p = phi.shape[0]
    o_d = n
    o_phi = 2 * n
    for k in range(n):
        state[k] = v[0, k]
        state[o_d + k] = 0.0
        for a in range(p):
            state[o_phi + k * p + a] = 0.0
    cache = NO_STEP
    for i in range(N):
        if i > 0:
            a_, b0, b1, cache = cached_coefficients(t[i] - t[i - 1], tau, cache)
            for k in range(n):
                state[k] = a_ * state[k] + b0 * v[i - 1, k] + b1 * v[i, k]
                state[o_d + k] = a_ * state[o_d + k] + b0 * drive[i - 1, k] + b1 * drive[i, k]
                for a in range(p):
                    j = o_phi + k * p + a
                    state[j] = a_ * state[j] + b0 * phi[a, i - 1, k] + b1 * phi[a, i, k]
        if i < first:
            continue
        lo = t[i - 1] if i > first else t[i]
        hi = t[i + 1] if i < N - 1 else t[i]
        s = math.sqrt(0.5 * (hi - lo))
        r = i - first
        for k in range(n):
            lhs[r, k] = s * (c[k] * (v[i, k] - state[k]) / tau - state[o_d + k])
            for a in range(p):
                rows[r, k, a] = s * state[o_phi + k * p + a]


@njit(**JIT)
def block_moments(rows, e, starts, out):
    """``out[b] = sum of rows[r, k] e[r, k]`` over the rows ``starts[b]:starts[b + 1]`` (the last block to the
    end) and every neuron ``k``: the moment conditions of least squares summed over blocks of time."""
    n_rows, n, p = rows.shape
    n_blocks = starts.shape[0]
    for b in range(n_blocks):
        end = starts[b + 1] if b + 1 < n_blocks else n_rows
        for a in range(p):  # gain by gain: the sum stays in a register
            acc = 0.0
            for r in range(starts[b], end):
                for k in range(n):
                    acc += rows[r, k, a] * e[r, k]
            out[b, a] = acc


@njit(**JIT_INLINE)
def _signals_at(w, i, v, phi, drive, n, p, out):
    """The measured signals at the point ``w`` in [0, 1] of the interval from sample ``i`` to ``i + 1`` (linear
    between samples): ``out = [v (n), drive (n), phi (n x p)]``."""
    now, nxt = uint64(i), uint64(i + 1)
    for k_ in range(n):
        k = uint64(k_)
        out[k] = (1.0 - w) * v[now, k] + w * v[nxt, k]
        out[uint64(n + k_)] = (1.0 - w) * drive[now, k] + w * drive[nxt, k]
        for a in range(p):
            out[uint64(2 * n + k_ * p + a)] = (1.0 - w) * phi[uint64(a), now, k] + w * phi[uint64(a), nxt, k]


@njit(**JIT_INLINE)
def _observer_rhs(y, sig, c, gamma, alpha, n, p, out, ppsi):
    """Derivative of the observer's state ``y = [vhat (n), psi (n x p), P (p x p), theta (p)]`` with the measured
    signals ``sig`` (:func:`_signals_at`), into ``out`` (``ppsi``: scratch of n x p, ``P psi_k`` of each neuron;
    ``dtheta`` is formed first: the estimate's own rate enters ``dvhat``).

    Indices are unsigned (numba then leaves out its negative-index wrap-around code, which kept these short
    loops from being compiled well: 1.6x on the whole step), and ``P psi`` is summed four rows side by side, so
    that four sums run at once rather than one after the other.
    """
    o_psi = n
    o_p = n + n * p
    o_th = o_p + p * p
    for k in range(n):
        psi = o_psi + k * p
        a = 0
        while a + 4 <= p:
            acc0 = 0.0
            acc1 = 0.0
            acc2 = 0.0
            acc3 = 0.0
            row = o_p + a * p
            for b in range(p):
                x = y[uint64(psi + b)]
                acc0 += y[uint64(row + b)] * x
                acc1 += y[uint64(row + p + b)] * x
                acc2 += y[uint64(row + 2 * p + b)] * x
                acc3 += y[uint64(row + 3 * p + b)] * x
            ppsi[uint64(k * p + a)] = acc0
            ppsi[uint64(k * p + a + 1)] = acc1
            ppsi[uint64(k * p + a + 2)] = acc2
            ppsi[uint64(k * p + a + 3)] = acc3
            a += 4
        while a < p:
            acc = 0.0
            for b in range(p):
                acc += y[uint64(o_p + a * p + b)] * y[uint64(psi + b)]
            ppsi[uint64(k * p + a)] = acc
            a += 1
    # dtheta = sum_k (P psi_k) e_k ; dP = alpha P - sum_k (P psi_k)(P psi_k)^T
    for a in range(p):
        acc = 0.0
        for k in range(n):
            acc += ppsi[uint64(k * p + a)] * (sig[uint64(k)] - y[uint64(k)])
        out[uint64(o_th + a)] = acc
    for a in range(p):
        for b in range(p):
            acc = alpha * y[uint64(o_p + a * p + b)]
            for k in range(n):
                acc -= ppsi[uint64(k * p + a)] * ppsi[uint64(k * p + b)]
            out[uint64(o_p + a * p + b)] = acc
    # dpsi_k = -gamma psi_k + phi_k / C_k ; dvhat_k = (phi_k theta + drive_k) / C_k + gamma e_k + psi_k dtheta
    for k_ in range(n):
        k = uint64(k_)
        e = sig[k] - y[k]
        f = sig[uint64(n + k_)]
        dot = 0.0
        for a in range(p):
            ph = sig[uint64(2 * n + k_ * p + a)]
            j = uint64(o_psi + k_ * p + a)
            out[j] = -gamma * y[j] + ph / c[k]
            f += ph * y[uint64(o_th + a)]
            dot += y[j] * out[uint64(o_th + a)]
        out[k] = f / c[k] + gamma * e + dot


@njit(**JIT)
def observer_run(t, v, phi, drive, c, y, gamma, alpha, h_max, t_record, hist, work):
    """Integrate the adaptive observer along the trace (classical RK4, substeps of at most ``h_max``).

    ``phi`` is columns x samples x neurons. ``y`` holds the initial state and ends with the final one;
    ``hist[r]`` gets ``theta`` at the first sample at or after ``t_record[r]``. Returns the number of samples
    done, ``-1 - i`` if the state stopped being finite at sample ``i``. ``work``: 9 rows of the state's size or
    more (the RK4 stages, a stage's state, ``P psi``, and the signals at a step's start, middle and end).
    """
    n = v.shape[1]
    p = phi.shape[0]
    size = y.shape[0]
    o_th = n + n * p + p * p
    k1 = work[0]
    k2 = work[1]
    k3 = work[2]
    k4 = work[3]
    tmp = work[4]
    ppsi = work[5]
    at_start = work[6]
    at_middle = work[7]
    at_end = work[8]
    r = 0
    n_rec = t_record.shape[0]
    while r < n_rec and t_record[r] <= t[0]:
        for a in range(p):
            hist[r, a] = y[o_th + a]
        r += 1
    _signals_at(0.0, 0, v, phi, drive, n, p, at_end)
    for i in range(t.shape[0] - 1):
        span = t[i + 1] - t[i]
        # (an interval of h_max up to rounding, k dt - (k - 1) dt, is one step, not two)
        sub = max(1, int(math.ceil(span / h_max - 1e-9)))
        h = span / sub
        for s in range(sub):
            # the signals at the three points a step evaluates, once each: a step's start is the previous one's
            # end (the same numbers: w = 1 at the end of a sample, 0 at the start of the next), the middle
            # serves two stages
            at_start, at_end = at_end, at_start
            _signals_at((s + 0.5) / sub, i, v, phi, drive, n, p, at_middle)
            _signals_at((s + 1.0) / sub, i, v, phi, drive, n, p, at_end)
            _observer_rhs(y, at_start, c, gamma, alpha, n, p, k1, ppsi)
            for j in range(size):
                tmp[j] = y[j] + 0.5 * h * k1[j]
            _observer_rhs(tmp, at_middle, c, gamma, alpha, n, p, k2, ppsi)
            for j in range(size):
                tmp[j] = y[j] + 0.5 * h * k2[j]
            _observer_rhs(tmp, at_middle, c, gamma, alpha, n, p, k3, ppsi)
            for j in range(size):
                tmp[j] = y[j] + h * k3[j]
            _observer_rhs(tmp, at_end, c, gamma, alpha, n, p, k4, ppsi)
            for j in range(size):
                y[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
        for j in range(size):
            if not math.isfinite(y[j]):
                return -1 - i
        while r < n_rec and t_record[r] <= t[i + 1]:
            for a in range(p):
                hist[r, a] = y[o_th + a]
            r += 1
    return t.shape[0]
