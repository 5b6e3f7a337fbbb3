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


def least_squares(structure, trace, phi_est, drive, t_start, filter_tau, rcond, covariance=True):
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
    if not covariance:
        return theta, None, rms, condition, weak
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


OBSERVER_INFORMATION = 10.0
"""An observer's gain is identifiable when the trace brought its covariance ``P_jj`` below its start ``p0`` by
this factor. A gain the trace does not excite keeps ``P_jj >= p0`` (with forgetting it grows as
``exp(forgetting t)``): the bursting neuron's spiking gains end near 0.01-0.2 with ``p0 = 10``, a resting
neuron's at 1e4-1e9."""


def observer_identifiable(p_diagonal, p0):
    """Which of an observer's gains its trace excited, from the diagonal of its final ``P`` (any shape)."""
    return np.asarray(p_diagonal) < p0 / OBSERVER_INFORMATION


def _sensitivities(structure, t, filtered, values, slow):
    """``d(phi theta)/d(x_f(t0))`` for each slow filter ``f`` (slow x samples x neurons): how the membrane
    equation moves when filter ``f`` starts higher by one (its effect decays as ``exp(-(t - t0) / tau)``)."""
    n = len(structure.neuron_names)
    out = np.zeros((len(slow), t.size, n))
    index = {f: i for i, f in enumerate(slow)}
    for j, col in enumerate(structure.columns):
        unit = col.element.replace(**{col.element.gain: 1.0})
        inputs = unit.inputs()
        roles = {inp.role: (col.ends[inp.neuron], float(inp.tau)) for inp in inputs}
        if not any(f in index for f in roles.values()):
            continue
        derivatives = unit.derivatives(**{role: filtered[f] for role, f in roles.items()})
        for target, by_role in derivatives.items():
            for role, d in by_role.items():
                f = roles[role]
                if f in index:
                    decay = np.exp(-(t - t[0]) / f[1])
                    out[index[f], :, col.ends[target]] -= values[j] * np.broadcast_to(d, t.shape) * decay
    return out


def identifiable(theta, cov, weak, model_values):
    """Whether each gain is told by the trace: a 95 % interval narrower than +-10 % of the gain (or of its model
    value, whichever is larger), and the gain mostly outside the directions the trace does not excite."""
    stderr = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    scale = np.maximum(np.maximum(np.abs(theta), np.abs(model_values)), 1e-12)
    return (weak < 0.5) & (stderr < 0.05 * scale), stderr


def filter_starts(structure, trace, chosen, filter_tau, rcond, t_late, iterations=3, most_samples=100_000):
    """Where each slow filter started, estimated with the gains (Gauss-Newton on the filters' starting values).

    The filters of the measured voltage start from its first sample; a filter that really started elsewhere
    (a neuron away from rest) differs by ``d exp(-(t - t0) / tau)``. Linearised in ``d`` with the gains of the
    previous pass (the first: from the trace after ``t_late``, where the starting error has decayed), the
    membrane equation gains one column per slow filter: least squares over the whole trace then gives the gains
    and the ``d``'s together, and the filters restart from the corrected values. A pass that does not lower the
    residual ends the search. It runs on every k-th sample (at most ``most_samples`` of them, no coarser than
    0.25 time units): the starting values need no finer grid.

    Returns ``{(neuron, tau): start}``; None without slow filters, or when the later part of the trace does
    not tell every gain (the starting values would then be fitted to noise).
    """
    from .regressor import filtered_voltages, regressors
    from .trace import Trace

    slow = [f for f in structure.filters() if f[1] > 0.0]
    if not slow:
        return None
    step = float(np.median(np.diff(trace.t)))
    stride = max(1, min(int(np.ceil(trace.t.size / most_samples)), int(0.25 / step) if step < 0.25 else 1))
    coarse = Trace(trace.t[::stride].copy(), np.ascontiguousarray(trace.v[::stride]),
                   np.ascontiguousarray(trace.i_app[::stride]))
    t, v = coarse.t, coarse.v
    starts = {f: float(v[0, f[0]]) for f in slow}
    values = np.array([c.value for c in structure.columns])
    filtered = filtered_voltages(structure, t, v, start=starts)
    phi_est, drive = split_known(structure, chosen, regressors(structure, t, v, filtered), coarse)
    theta, cov, _, _, weak = least_squares(structure, coarse, phi_est, drive, t_late, filter_tau, rcond)
    if not identifiable(theta, cov, weak, values[chosen])[0].all():
        return None
    best = least_squares(structure, coarse, phi_est, drive, float(t[0]), filter_tau, rcond, covariance=False)[2]
    span = float(np.ptp(v)) + 1.0
    for _ in range(iterations):
        values[chosen] = theta
        both = np.concatenate((phi_est, _sensitivities(structure, t, filtered, values, slow)))
        solution = least_squares(structure, coarse, both, drive, float(t[0]), filter_tau, rcond, covariance=False)[0]
        shift = np.clip(solution[len(chosen):], -span, span)
        trial = {f: starts[f] + float(d) for f, d in zip(slow, shift)}
        filtered_trial = filtered_voltages(structure, t, v, start=trial)
        phi_trial, drive = split_known(structure, chosen, regressors(structure, t, v, filtered_trial), coarse)
        theta_trial, _, residual, _, _ = least_squares(structure, coarse, phi_trial, drive, float(t[0]), filter_tau,
                                                       rcond, covariance=False)
        if not residual < best:
            break
        starts, filtered, phi_est, theta, best = trial, filtered_trial, phi_trial, theta_trial, residual
        if np.max(np.abs(shift)) < 1e-6:
            break
    return starts
