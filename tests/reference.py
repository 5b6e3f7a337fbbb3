"""Independent references for the tests: a plain-NumPy vector field and scipy solutions.

The reference vector field is written here from the equations of
``shared/MODEL.md``, not taken from the package, so solver tests compare the
kernels against an independent implementation integrated by scipy's DOP853
at tight tolerance.
"""

import functools
import math

import numpy as np
from scipy.integrate import solve_ivp

# Reference parameters of shared/MODEL.md: (alpha, delta, tau), leak g = 1, E = 0, C = 1.
BURSTING = ((-2.0, 0.0, 0.0), (2.0, 0.0, 50.0), (-1.5, -1.5, 50.0), (1.5, -1.5, 2500.0))
BURSTING_Y0 = (-1.9, -1.8, -1.8)  # V, slow, ultraslow
TONIC = ((-2.0, 0.0, 0.0), (2.0, 0.0, 20.0))
TONIC_Y0 = (-1.9, -1.8)


def tanh_field(elements, i_app, g_leak=1.0, e_leak=0.0, C=1.0):
    """Vector field of a neuron with a leak and alpha*tanh elements (one filter per distinct tau > 0).

    State order: V, then the filters by increasing tau. ``i_app(t)`` is a Python function.
    """
    taus = sorted({tau for _, _, tau in elements if tau > 0})
    index = {0.0: 0, **{tau: 1 + i for i, tau in enumerate(taus)}}

    def f(t, y):
        v = y[0]
        current = g_leak * (v - e_leak)
        for alpha, delta, tau in elements:
            current += alpha * math.tanh(y[index[tau]] - delta)
        dy = [(i_app(t) - current) / C]
        for i, tau in enumerate(taus):
            dy.append((v - y[1 + i]) / tau)
        return dy

    return f


def reference_spikes(f, y0, t_span, rtol=1e-10, atol=1e-12, method="DOP853", breaks=()):
    """Upward V = 0 crossings of ``f`` by scipy (integrated piecewise across ``breaks``)."""
    event = lambda t, y: y[0]  # noqa: E731
    event.direction = 1
    edges = [t_span[0], *breaks, t_span[1]]
    y = np.asarray(y0, dtype=float)
    spikes = []
    for a, b in zip(edges[:-1], edges[1:]):
        sol = solve_ivp(f, (a, b), y, method=method, rtol=rtol, atol=atol, events=event)
        spikes.extend(sol.t_events[0])
        y = sol.y[:, -1]
    return np.array(spikes), y


@functools.lru_cache(maxsize=None)
def _cached_reference(name, t_end, i_app):
    elements, y0 = {"bursting": (BURSTING, BURSTING_Y0), "tonic": (TONIC, TONIC_Y0)}[name]
    return reference_spikes(tanh_field(elements, lambda t: i_app), y0, (0.0, t_end))


def bisect(f, lo, hi):
    """Root of ``f`` between ``lo`` and ``hi`` by plain bisection (an independent check of library roots)."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.sign(f(mid)) == np.sign(f(lo)):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
