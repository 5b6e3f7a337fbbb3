"""Gains from a trace: batch least squares on the integral form, and the adaptive observer along the trace."""

import math
import warnings

import numpy as np

from .._kernels.estimation import block_moments, filtered_rows
from ..errors import NeuromorphWarning


def split_known(structure, chosen, phi, trace):
    """``(phi of the estimated gains, drive)``: the fixed gains' currents join the applied current (drive).

    ``phi`` is columns x samples x neurons (:func:`.regressor.regressors`), ``drive`` samples x neurons."""
    fixed = [j for j in range(len(structure.columns)) if j not in chosen]
    if not fixed and list(chosen) == list(range(phi.shape[0])):
        return phi, trace.i_app  # every gain estimated: nothing to add, nothing to copy (both are only read)
    drive = trace.i_app.copy()
    for j in fixed:
        drive += structure.columns[j].value * phi[j]
    return phi[chosen], drive


def least_squares(structure, trace, phi_est, drive, t_start, filter_tau, rcond):
    """Weighted least squares of the filtered membrane equation over ``t >= t_start``, neurons stacked.

    Both sides filtered by ``1 / (filter_tau s + 1)`` (zero initial state; ``C (V - F[V]) / filter_tau`` is the
    filtered ``C dV/dt`` exactly), so no derivative of the measured voltage is taken. Rows weighted by their
    share of time (trapezoid weights), so a non-uniform grid (ngspice's) counts time, not samples.

    Returns ``(theta, cov, residual rms, condition number, weak)``: ``weak[j]`` is the share of gain ``j`` in
    directions the trace does not excite (singular values below ``rcond`` of the largest).
    """
    t, v, c = trace.t, trace.v, structure.capacitance
    n, p = v.shape[1], phi_est.shape[0]
    first = int(np.searchsorted(t, t_start, side="left"))  # the first sample at or after t_start
    kept = t.size - first
    # Rows and left-hand side multiplied by the square roots of their weights, from one pass over the trace:
    # the Gram matrix is then rows^T rows, and no (samples x neurons x gains) array is made but the rows kept.
    rows = np.empty((kept, n, p))
    lhs = np.empty((kept, n))
    filtered_rows(t, v, phi_est, drive, c, float(filter_tau), first, np.empty(n * (p + 2)), rows, lhs)
    flat, lhs_flat = rows.reshape(kept * n, p), lhs.reshape(kept * n)  # (samples n) x p: views
    # The normal equations of the column-scaled problem: its singular values are the square roots of the Gram
    # matrix's eigenvalues (the regressor of these models is well conditioned where the trace excites it).
    gram = flat.T @ flat
    rhs = flat.T @ lhs_flat
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
    # Residuals (weighted by the square roots too) and a covariance robust to their correlation in time (the
    # filter correlates them over ~filter_tau): the moment conditions summed over blocks of 10 filter time
    # constants, in a sandwich.
    e = lhs_flat - flat @ theta
    rms = float(np.sqrt(np.dot(e, e) / max(float(t[-1] - t[first]), 1e-300) / n))
    tk = t[first:]
    starts = np.searchsorted(tk, np.arange(tk[0], tk[-1] + 10.0 * filter_tau, 10.0 * filter_tau))
    starts = starts[starts < kept]
    blocks = np.empty((starts.size, p))
    block_moments(rows, e.reshape(kept, n), starts, blocks)
    cov = inv @ (blocks.T @ blocks) @ inv
    return theta, cov, rms, condition, weak


def warn_unidentifiable(paths):
    if paths:
        warnings.warn(f"the trace does not excite {', '.join(paths)}: these gains are not identifiable from it "
                      "(Estimate.identifiable; the fitted model keeps their model values)", NeuromorphWarning,
                      stacklevel=3)
