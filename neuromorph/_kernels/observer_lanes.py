"""The adaptive observer of many copies at once, side by side in SIMD lanes (the layout of :mod:`.lanes`).

An ensemble run (:mod:`.lanes`) records each copy's membrane voltages every few steps into a buffer, one time
slice at a time; this kernel then reads them as a chip's measured trace and advances one observer per copy,
exactly as :func:`.estimation.observer_run` does on one trace: the filtered voltages by the exact first-order
hold (:func:`.estimation.foh_coefficients`, with the copy's design time constants), the regressor of every
estimated gain and the known currents at each sample, the signals linear between samples, and classical RK4
substeps of at most ``h_max``. What the observer knows of a copy are its design values (the per-copy
parameters before mismatch), never the mismatched ones the copy runs with.

Per copy, the observer's state is the model's states as the observer sees them (membranes: the last measured
voltages; filters: their filtered values), then ``[vhat (n), psi (n x p), P (p x p), theta (p)]``, then the
signals at the last sample ``[v (n), drive (n), phi (n x p)]`` (``P`` symmetric, as its packed upper
triangle: :func:`packed_diagonal`): :func:`state_rows` rows of a
``rows x copies`` array the Python layer keeps between slices.
"""

from collections import namedtuple

import numpy as np
from numba import njit, uint64

from .config import JIT, JIT_INLINE
from .estimation import foh_coefficients
from .field import RIGHT, stim_value
from .layout import CONST, LINEAR
from .lanes import LANES, _row, rows
from .mathfn import sigmoid, tanh

__all__ = ["ObserverWork", "make_observer_work", "observer_lanes", "state_rows", "packed_diagonal"]

ObserverWork = namedtuple("ObserverWork", "ym y sp sn sa sm se ks tmp ppsi act u known acc vnew rate gain off "
                                          "ak aoff ioff fa fb0 fb1 fspan")


def state_rows(n_states, n_neurons, p):
    """``(rows, size)``: rows of a copy's kept state, and the size of the observer's own part of it
    (``[vhat (n), psi (n x p), P (its packed upper triangle, p (p + 1) / 2), theta (p)]``)."""
    size = n_neurons + n_neurons * p + (p * (p + 1)) // 2 + p
    return n_states + size + n_neurons * (p + 2), size


def make_observer_work(n_states, n_terms, n_act, n_neurons, p):
    """Scratch rows of one thread (separate arrays: the vectoriser never doubts they are disjoint)."""
    _, size = state_rows(n_states, n_neurons, p)
    n_sig = n_neurons * (p + 2)

    return ObserverWork(
        ym=rows(n_states), y=rows(size), sp=rows(n_sig), sn=rows(n_sig), sa=rows(n_sig), sm=rows(n_sig),
        se=rows(n_sig), ks=rows(4 * size).reshape(4, -1), tmp=rows(size),
        ppsi=rows(n_neurons * p), act=rows(n_act), u=rows(1), known=rows(n_neurons), acc=rows(1),
        vnew=rows(n_neurons), rate=rows(n_states), gain=rows(n_terms), off=rows(n_terms), ak=rows(n_act),
        aoff=rows(n_act), ioff=rows(n_neurons), fa=rows(n_states), fb0=rows(n_states), fb1=rows(n_states),
        fspan=np.zeros(max(n_states, 1)),
    )


@njit(**JIT_INLINE)
def _lane_signals(model, est_col, est_scale, stim, t, p, w, out):
    """The measured signals of every lane at time ``t`` from the observer's model states ``w.ym``:
    ``out = [v (n), drive (n), phi (n x p)]``, ``phi`` the current each estimated gain draws per unit (sign of the
    membrane equation) and ``drive`` the applied current less the known currents (the copy's design gains)."""
    nn = model.mem_state.shape[0]
    for j in range(model.act_in.shape[0]):
        a = _row(w.act, j)
        x = _row(w.ym, model.act_in[j])
        k = _row(w.ak, j)
        off = _row(w.aoff, j)
        for i in range(LANES):
            a[i] = sigmoid(k[i] * (x[i] - off[i]))
    for r in range(nn * p):
        row = _row(out, 2 * nn + r)
        for i in range(LANES):
            row[i] = 0.0
    for m in range(nn):
        row = _row(w.known, m)
        for i in range(LANES):
            row[i] = 0.0
    u = w.u
    for e in range(model.el_base.shape[0]):
        base = model.el_base[e]
        off = _row(w.off, e)
        if base == CONST:
            for i in range(LANES):
                u[i] = 1.0
        else:
            x = _row(w.ym, model.el_in[e])
            if base == LINEAR:
                for i in range(LANES):
                    u[i] = x[i] - off[i]
            else:
                for i in range(LANES):
                    u[i] = tanh(x[i] - off[i])
        for g in range(model.gate_ptr[e], model.gate_ptr[e + 1]):
            a = _row(w.act, model.gate_act[g])
            for i in range(LANES):
                u[i] *= a[i]
        m = model.st_src[model.el_tgt[e]]
        j = est_col[e]
        if j >= 0:
            row = _row(out, 2 * nn + m * p + j)
            s = est_scale[e]
            for i in range(LANES):
                row[i] -= s * u[i]
        else:
            row = _row(w.known, m)
            gain = _row(w.gain, e)
            for i in range(LANES):
                row[i] += gain[i] * u[i]
    for m in range(nn):
        v = _row(out, m)
        mem = _row(w.ym, model.mem_state[m])
        d = _row(out, nn + m)
        extra = _row(w.ioff, m)
        known = _row(w.known, m)
        value = stim_value(stim, uint64(m), t, RIGHT)
        for i in range(LANES):
            v[i] = mem[i]
            d[i] = value + extra[i] - known[i]


def packed_diagonal(p):
    """Rows of ``P``'s diagonal in its packed upper triangle."""
    return [a * p - (a * (a - 1)) // 2 for a in range(p)]


@njit(**JIT_INLINE)
def _packed(a, b, p):
    """Row of ``P[a, b]`` (``a <= b``) in the packed upper triangle of the symmetric ``P``."""
    return a * p - (a * (a - 1)) // 2 + (b - a)


@njit(**JIT_INLINE)
def _lane_observer_rhs(model, y, sig, gamma, alpha, p, w, out):
    """:func:`.estimation._observer_rhs` in every lane: the observer's derivative into ``out``.

    ``P`` is symmetric and kept as its packed upper triangle (:func:`_packed`): fewer rows to integrate, and
    the same numbers as the full matrix (the products of ``dP`` commute). Each loop over the lanes does as
    much work as it can (four products of ``P psi`` at once, ``dP`` started with its first neuron's term):
    at 64 lanes a loop's own cost is not small beside its work.
    """
    nn = model.mem_state.shape[0]
    o_psi = nn
    o_p = nn + nn * p
    o_th = o_p + (p * (p + 1)) // 2
    for k in range(nn):
        for a in range(p):
            acc = _row(w.ppsi, k * p + a)
            b = 0
            while b + 4 <= p:
                p0 = _row(y, o_p + _packed(min(a, b), max(a, b), p))
                p1 = _row(y, o_p + _packed(min(a, b + 1), max(a, b + 1), p))
                p2 = _row(y, o_p + _packed(min(a, b + 2), max(a, b + 2), p))
                p3 = _row(y, o_p + _packed(min(a, b + 3), max(a, b + 3), p))
                s0 = _row(y, o_psi + k * p + b)
                s1 = _row(y, o_psi + k * p + b + 1)
                s2 = _row(y, o_psi + k * p + b + 2)
                s3 = _row(y, o_psi + k * p + b + 3)
                if b == 0:
                    for i in range(LANES):
                        acc[i] = p0[i] * s0[i] + p1[i] * s1[i] + p2[i] * s2[i] + p3[i] * s3[i]
                else:
                    for i in range(LANES):
                        acc[i] += p0[i] * s0[i] + p1[i] * s1[i] + p2[i] * s2[i] + p3[i] * s3[i]
                b += 4
            while b < p:
                p0 = _row(y, o_p + _packed(min(a, b), max(a, b), p))
                s0 = _row(y, o_psi + k * p + b)
                if b == 0:
                    for i in range(LANES):
                        acc[i] = p0[i] * s0[i]
                else:
                    for i in range(LANES):
                        acc[i] += p0[i] * s0[i]
                b += 1
    for a in range(p):
        d = _row(out, o_th + a)
        for k in range(nn):
            pp = _row(w.ppsi, k * p + a)
            s = _row(sig, k)
            vh = _row(y, k)
            if k == 0:
                for i in range(LANES):
                    d[i] = pp[i] * (s[i] - vh[i])
            else:
                for i in range(LANES):
                    d[i] += pp[i] * (s[i] - vh[i])
    for a in range(p):
        for b in range(a, p):
            row = o_p + _packed(a, b, p)
            d = _row(out, row)
            pab = _row(y, row)
            pa = _row(w.ppsi, a)
            pb = _row(w.ppsi, b)
            for i in range(LANES):
                d[i] = alpha * pab[i] - pa[i] * pb[i]
            for k in range(1, nn):
                pa = _row(w.ppsi, k * p + a)
                pb = _row(w.ppsi, k * p + b)
                for i in range(LANES):
                    d[i] -= pa[i] * pb[i]
    for k in range(nn):
        d = _row(out, k)
        dot = w.acc
        drive = _row(sig, nn + k)
        s = _row(sig, k)
        vh = _row(y, k)
        rate = _row(w.rate, model.mem_state[k])
        for i in range(LANES):
            d[i] = drive[i]
            dot[i] = 0.0
        for a in range(p):
            ph = _row(sig, 2 * nn + k * p + a)
            psi = _row(y, o_psi + k * p + a)
            dpsi = _row(out, o_psi + k * p + a)
            th = _row(y, o_th + a)
            dth = _row(out, o_th + a)
            for i in range(LANES):
                dpsi[i] = -gamma * psi[i] + ph[i] * rate[i]
                d[i] += ph[i] * th[i]
                dot[i] += psi[i] * dth[i]
        for i in range(LANES):
            d[i] = d[i] * rate[i] + gamma * (s[i] - vh[i]) + dot[i]


@njit(**JIT_INLINE)
def _interpolate(a, b, w, out):
    for i in range(out.shape[0]):
        out[i] = (1.0 - w) * a[i] + w * b[i]


@njit(**JIT)
def observer_lanes(b0, b1, model, est_col, est_scale, stim, t, v, t_last, first, rate_all, gain_all, off_all, ak_all,
                   aoff_all, ioff_all, gamma, alpha, h_max, h_grid, t_rec, r_first, hist, state, w):
    """Advance the observers of blocks ``[b0, b1)`` of copies along the samples ``t`` of their voltages ``v``
    (samples x neurons x copies); the last sample before them was at ``t_last``. With ``first``, sample 0 is
    the first of the run: it starts the observers (filters and voltage estimates at the measured voltage).

    ``model`` gives the structure; ``est_col[e]`` is the estimated gain (0 to p - 1) term ``e`` draws its
    current with, its gain that gain times ``est_scale[e]``, or -1 for a term whose gain is known. The per-copy
    design values (``rate_all`` ... ``ioff_all``, the layout of :mod:`.lanes`) give the time constants,
    capacitances, known gains, offsets and applied currents; ``stim`` the stimulus. ``state`` (rows x copies,
    :func:`state_rows`) is each copy's observer, read and written back. ``hist[r, :, c]`` gets copy ``c``'s
    estimates at the first sample at or after ``t_rec[r]``, from ``r = r_first``; returns the next ``r``.
    ``h_grid`` is the samples' spacing (the filters' coefficients of a span within 1e-12 of it are its).
    A copy whose observer stops being finite carries NaN on (the caller reports it).
    """
    nn = model.mem_state.shape[0]
    ns = model.st_kind.shape[0]
    ne = model.el_base.shape[0]
    na = model.act_in.shape[0]
    p = hist.shape[1]
    size = nn + nn * p + (p * (p + 1)) // 2 + p
    n_sig = nn * (p + 2)
    n = state.shape[1]
    n_rec = t_rec.shape[0]
    o_th = size - p
    L = LANES
    ym, y, sp, sn, sa, sm, se = w.ym, w.y, w.sp, w.sn, w.sa, w.sm, w.se
    tmp = w.tmp
    r_end = r_first
    for block in range(b0, b1):
        c0 = block * L
        width = min(L, n - c0)
        for j in range(L):  # padding lanes repeat the last copy (and are never written back)
            c = c0 + min(j, width - 1)
            for r in range(ns):
                ym[r * L + j] = state[r, c]
                w.rate[r * L + j] = rate_all[r, c]
            for r in range(size):
                y[r * L + j] = state[ns + r, c]
            for r in range(n_sig):
                sp[r * L + j] = state[ns + size + r, c]
            for r in range(ne):
                w.gain[r * L + j] = gain_all[r, c]
                w.off[r * L + j] = off_all[r, c]
            for r in range(na):
                w.ak[r * L + j] = ak_all[r, c]
                w.aoff[r * L + j] = aoff_all[r, c]
            for r in range(nn):
                w.ioff[r * L + j] = ioff_all[r, c]
        for q in range(ns):
            w.fspan[q] = -1.0  # this block's time constants: the filters' coefficients are computed afresh
        r = r_first
        t_prev = t_last
        for i in range(t.shape[0]):
            starts = first and i == 0  # the run's first sample: filters and voltage estimates start at it
            for m in range(nn):
                vn = _row(w.vnew, m)
                for j in range(L):
                    vn[j] = v[i, m, c0 + min(j, width - 1)]
            span = t[i] - t_prev
            # the filters follow the measured voltage linear between samples, exactly, with each copy's design tau
            for f in range(model.filt_state.shape[0]):
                k = model.filt_state[f]
                x = _row(ym, k)
                new = _row(w.vnew, model.st_src[model.st_src[k]])
                if starts:
                    for j in range(L):
                        x[j] = new[j]
                    continue
                old = _row(ym, model.st_src[k])
                fa = _row(w.fa, k)
                fb0 = _row(w.fb0, k)
                fb1 = _row(w.fb1, k)
                # A uniform grid's spans differ by rounding only (k dt - (k - 1) dt): a span within 1e-12 of the
                # grid's spacing h_grid takes the coefficients of h_grid (a relative change of 1e-12 in them), so
                # exponentials are rare; the rule reads the span alone, never what came before it, so that where
                # the run's slices begin, and so the thread count, changes nothing.
                coef_span = h_grid if abs(span - h_grid) <= 1e-12 * h_grid else span
                if coef_span != w.fspan[k]:
                    rate = _row(w.rate, k)
                    for j in range(L):
                        fa[j], fb0[j], fb1[j] = foh_coefficients(coef_span, 1.0 / rate[j])
                    w.fspan[k] = coef_span
                for j in range(L):
                    x[j] = fa[j] * x[j] + fb0[j] * old[j] + fb1[j] * new[j]
            for m in range(nn):
                mem = _row(ym, model.mem_state[m])
                vn = _row(w.vnew, m)
                for j in range(L):
                    mem[j] = vn[j]
                if starts:
                    vh = _row(y, m)
                    for j in range(L):
                        vh[j] = vn[j]
            _lane_signals(model, est_col, est_scale, stim, t[i], p, w, sn)
            sub = 0 if starts else max(1, int(np.ceil(span / h_max - 1e-9)))
            # (an interval of h_max up to rounding, k dt - (k - 1) dt, is one step, not two)
            h = span / max(sub, 1)
            for s in range(sub):
                _interpolate(sp, sn, s / sub, sa)
                _interpolate(sp, sn, (s + 0.5) / sub, sm)
                _interpolate(sp, sn, (s + 1.0) / sub, se)
                # classical RK4, its stages in one loop (one copy of the observer's derivative to compile)
                for stage in range(4):
                    at = y if stage == 0 else tmp
                    sig = sa if stage == 0 else (se if stage == 3 else sm)
                    ks = w.ks[stage]
                    _lane_observer_rhs(model, at, sig, gamma, alpha, p, w, ks)
                    if stage < 3:
                        step = h if stage == 2 else 0.5 * h
                        for q in range(size * L):
                            tmp[q] = y[q] + step * ks[q]
                k1, k2, k3, k4 = w.ks[0], w.ks[1], w.ks[2], w.ks[3]
                sixth = h / 6.0
                for q in range(size * L):
                    y[q] += sixth * (k1[q] + 2.0 * k2[q] + 2.0 * k3[q] + k4[q])
            for q in range(n_sig * L):
                sp[q] = sn[q]
            t_prev = t[i]
            while r < n_rec and t_rec[r] <= t[i]:
                for a in range(p):
                    for j in range(width):
                        hist[r, a, c0 + j] = y[(o_th + a) * L + j]
                r += 1
        for j in range(width):
            c = c0 + j
            for q in range(ns):
                state[q, c] = ym[q * L + j]
            for q in range(size):
                state[ns + q, c] = y[q * L + j]
            for q in range(n_sig):
                state[ns + size + q, c] = sp[q * L + j]
        r_end = r
    return r_end
