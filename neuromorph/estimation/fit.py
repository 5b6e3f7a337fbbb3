"""Gains from a trace: batch least squares on the integral form, and the adaptive observer along the trace."""

import math
import warnings

import numpy as np

from .._kernels.estimation import foh_filter
from ..errors import NeuromorphWarning


def _filter_columns(t, u, tau, x0=None):
    out = np.empty_like(u)
    foh_filter(t, np.ascontiguousarray(u), float(tau), np.zeros(u.shape[1]) if x0 is None else x0, out)
    return out


def split_known(structure, chosen, phi, trace):
    """``(phi of the estimated gains, drive)``: the fixed gains' currents join the applied current (drive)."""
    fixed = [j for j in range(len(structure.columns)) if j not in chosen]
    drive = trace.i_app.copy()
    for j in fixed:
        drive += structure.columns[j].value * phi[:, :, j]
    return np.ascontiguousarray(phi[:, :, chosen]), drive


def least_squares(structure, trace, phi_est, drive, t_start, filter_tau, rcond):
    """Weighted least squares of the filtered membrane equation over ``t >= t_start``, neurons stacked.

    Both sides filtered by ``1 / (filter_tau s + 1)`` (zero initial state; ``C (V - F[V]) / filter_tau`` is the
    filtered ``C dV/dt`` exactly), so no derivative of the measured voltage is taken. Rows weighted by their
    share of time (trapezoid weights), so a non-uniform grid (ngspice's) counts time, not samples.

    Returns ``(theta, cov, residual rms, condition number, weak)``: ``weak[j]`` is the share of gain ``j`` in
    directions the trace does not excite (singular values below ``rcond`` of the largest).
    """
    t, v, c = trace.t, trace.v, structure.capacitance
    n, p = v.shape[1], phi_est.shape[2]
    keep = t >= t_start
    first = int(np.argmax(keep))
    vf = _filter_columns(t, v, filter_tau, x0=v[0].copy())
    lhs = (c * (v - vf) / filter_tau - _filter_columns(t, drive, filter_tau))[first:].reshape(-1)
    rows = _filter_columns(t, phi_est.reshape(t.size, n * p), filter_tau)[first:].reshape(-1, p)  # (samples n) x p
    tk = t[first:]
    w = np.empty_like(tk)
    w[1:-1] = 0.5 * (tk[2:] - tk[:-2])
    w[0], w[-1] = 0.5 * (tk[1] - tk[0]), 0.5 * (tk[-1] - tk[-2])
    wr = np.repeat(w, n)  # a weight per row (neurons of one sample side by side)
    # The normal equations of the column-scaled problem: its singular values are the square roots of the Gram
    # matrix's eigenvalues (the regressor of these models is well conditioned where the trace excites it).
    weighted = rows * wr[:, None]
    gram = rows.T @ weighted
    rhs = weighted.T @ lhs
    scale = np.sqrt(np.diag(gram)).copy()
    scale[scale == 0.0] = 1.0
    eig, vec = np.linalg.eigh(gram / np.outer(scale, scale))
    eig, vec = eig[::-1], vec[:, ::-1]
    s = np.sqrt(np.clip(eig, 0.0, None))
    strong = s > rcond * s[0] if s[0] > 0 else np.zeros(p, bool)
    inv_scaled = (vec[:, strong] / eig[strong]) @ vec[:, strong].T
    inv = inv_scaled / np.outer(scale, scale)  # the pseudo-inverse of the Gram matrix
    theta = inv @ rhs
    weak = np.sum(vec[:, ~strong] ** 2, axis=1)
    condition = float(s[0] / s[-1]) if s[-1] > 0 else math.inf
    # Residuals and a covariance robust to their correlation in time (the filter correlates them over
    # ~filter_tau): the moment conditions summed over blocks of 10 filter time constants, in a sandwich.
    e = lhs - rows @ theta
    rms = float(np.sqrt(np.sum(wr * e * e) / max(float(np.sum(w)), 1e-300) / n))
    g = (weighted * e[:, None]).reshape(tk.size, n, p).sum(axis=1)
    edges = np.searchsorted(tk, np.arange(tk[0], tk[-1] + 10.0 * filter_tau, 10.0 * filter_tau))
    blocks = np.add.reduceat(g, edges[edges < tk.size])
    cov = inv @ (blocks.T @ blocks) @ inv
    return theta, cov, rms, condition, weak


def warn_unidentifiable(paths):
    if paths:
        warnings.warn(f"the trace does not excite {', '.join(paths)}: these gains are not identifiable from it "
                      "(Estimate.identifiable; the fitted model keeps their model values)", NeuromorphWarning,
                      stacklevel=3)
