"""I-V curves in each timescale: the design tool of these circuits.

The I-V curve in timescale ``tau`` sums the element currents with every
filtered voltage of time constant ``<= tau`` set to ``V`` and the slower ones
held at the resting voltage ``V_rest``:

* ``"fast"``: tau below the membrane time constant (tau = 0 elements);
* ``"slow"``: up to the slowest filter labelled slow (e.g. 50);
* ``"ultraslow"``: up to the slowest filter labelled ultraslow (e.g. 2500);
* ``"steady"``: every filter at ``V`` (the steady-state curve).

``V_rest`` solves ``I_steady(V) = I_app``; where the steady-state curve has
several solutions the lowest one is used unless ``v_rest`` is given.
Negative slopes (negative conductance) of the fast curve make spikes, of the
slow curve bursts.
"""

from dataclasses import dataclass

import numpy as np

from ..elements import Conductance, Current, Leak, timescale_label
from ..errors import ModelError

__all__ = ["IVCurves", "iv_curves", "TIMESCALES"]

TIMESCALES = ("fast", "slow", "ultraslow", "steady")


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _element_current(el, v, x):
    """Current of ``el`` at membrane voltage ``v`` with filtered voltages ``x(tau)``."""
    if isinstance(el, Leak):
        return el.g * (v - el.e_rev)
    if isinstance(el, Current):
        out = el.alpha * np.tanh(x(el.tau) - el.delta)
        if el.inactivating:
            out = out * _sigmoid(el.inactivation_k * (x(el.inactivation_tau) - el.inactivation_delta))
        return out
    if isinstance(el, Conductance):
        out = el.g_max * (v - el.e_rev)
        for gate in el.gates:
            out = out * _sigmoid(gate.k * (x(gate.tau) - gate.delta))
        return out
    raise ModelError(f"unknown element {el!r}")  # pragma: no cover


def _timescale_tau(neuron, timescale):
    """Largest filter time constant that counts as 'fast' in ``timescale``."""
    if not isinstance(timescale, str):
        tau = float(timescale)
        if not tau >= 0.0:
            raise ModelError(f"timescale tau must be >= 0, got {timescale!r}")
        return tau
    if timescale == "steady":
        return np.inf
    if timescale not in TIMESCALES:
        raise ModelError(f"unknown timescale {timescale!r}; use one of {', '.join(TIMESCALES)} or a number")
    order = TIMESCALES.index(timescale)
    taus = [0.0] + [tau for tau in neuron.filter_taus if TIMESCALES.index(timescale_label(tau)) <= order]
    return max(taus)


def total_current(neuron, v, tau, v_rest):
    """Sum of element currents, filters with time constant <= ``tau`` at ``v``, the rest at ``v_rest``."""
    v = np.asarray(v, dtype=np.float64)
    held = np.full(v.shape, float(v_rest))
    x = lambda t: v if t <= tau else held  # noqa: E731
    return sum((_element_current(el, v, x) for el in neuron.elements), np.zeros(v.shape))


def steady_state_equilibria(neuron, i_app, v_range=(-10.0, 10.0), n=4001):
    """Voltages where ``I_steady(V) = i_app`` (sign changes on a grid, refined by Brent's method)."""
    from scipy.optimize import brentq

    grid = np.linspace(*v_range, n)
    f = total_current(neuron, grid, np.inf, 0.0) - i_app
    roots = []
    for i in np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) <= 0):
        if f[i] == 0.0:
            roots.append(float(grid[i]))
        elif f[i + 1] != 0.0:
            roots.append(brentq(lambda u: float(total_current(neuron, np.array([u]), np.inf, 0.0)[0] - i_app),
                                grid[i], grid[i + 1], xtol=1e-13))
    return sorted(set(roots))


@dataclass(frozen=True)
class IVCurves:
    """I-V curves of a neuron on a voltage grid.

    Attributes
    ----------
    v : ndarray
        Voltage grid.
    currents : dict
        ``{timescale: I(V)}`` for ``"fast"``, ``"slow"``, ``"ultraslow"``, ``"steady"``.
    i_app : float
    v_rest : float
        Resting voltage the slower filters are held at.
    """

    v: np.ndarray
    currents: dict
    i_app: float
    v_rest: float

    def __getitem__(self, timescale):
        try:
            return self.currents[timescale]
        except KeyError:
            raise ModelError(f"no I-V curve {timescale!r}; have {', '.join(self.currents)}") from None


def iv_curves(neuron, v=None, i_app=0.0, v_rest=None):
    """I-V curves of ``neuron`` in the fast, slow, ultraslow and steady-state timescales.

    Parameters
    ----------
    neuron : Neuron
    v : array_like, optional
        Voltage grid (default ``linspace(-3, 3, 601)``).
    i_app : float, default 0.0
        Applied current; sets the resting voltage.
    v_rest : float, optional
        Voltage at which slower filters are held (default: lowest steady-state equilibrium).

    Examples
    --------
    With the reference four elements the pairs cancel in steady state, I_ss(V) = V:

    >>> import numpy as np, neuromorph as nm
    >>> iv = nm.iv_curves(nm.preset("bursting"), v=np.linspace(-3, 3, 7), i_app=-2.0)
    >>> bool(np.allclose(iv["steady"], iv.v)), iv.v_rest
    (True, -2.0)
    """
    v = np.linspace(-3.0, 3.0, 601) if v is None else np.asarray(v, dtype=np.float64)
    if v_rest is None:
        roots = steady_state_equilibria(neuron, float(i_app))
        if not roots:
            raise ModelError(f"no steady-state equilibrium for i_app = {i_app} in [-10, 10]; give `v_rest`")
        v_rest = roots[0]
    currents = {ts: total_current(neuron, v, _timescale_tau(neuron, ts), v_rest) for ts in TIMESCALES}
    return IVCurves(v=v, currents=currents, i_app=float(i_app), v_rest=float(v_rest))
