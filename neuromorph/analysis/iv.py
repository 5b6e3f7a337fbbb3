"""I-V curves in each timescale, their conductances, equilibria and folds: the design tool.

The I-V curve in timescale ``tau`` sums the element currents with every
filtered voltage of time constant ``<= tau`` set to ``V`` and the slower ones
held at the resting voltage ``V_rest``. Named timescales:

* ``"fast"``: only filters faster than the membrane (tau < 1, including tau = 0);
* ``"slow"``: up to the slowest filter labelled slow (e.g. 50);
* ``"ultraslow"``: up to the slowest filter labelled ultraslow (e.g. 2500);
* ``"steady"``: every filter at ``V`` (the steady-state curve).

A number selects that cut-off time constant directly. The slope ``dI/dV`` of a
curve is a conductance; it is computed analytically (``alpha sech^2(V_x - delta)``
for a localized conductance, the product rule through sigmoid gates), never by
finite differences. Negative conductance in the fast curve makes spikes, in
the slow curve bursts (Ribar & Sepulchre 2019).

``V_rest`` solves ``I_steady(V) = I_app``; where several voltages do, the
lowest stable equilibrium is used unless ``v_rest`` is given.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from ..model.elements import timescale_label

__all__ = [
    "TIMESCALES", "IVCurves", "iv_curves", "iv_current", "iv_conductance", "negative_conductance_intervals",
    "Equilibrium", "equilibria", "FoldCurve", "fold_points", "predict_behaviour", "predict_behaviours", "timescale_tau",
    "steady_curve",
]

TIMESCALES = ("fast", "slow", "ultraslow", "steady")
V_RANGE = (-10.0, 10.0)
_GRID = 4001  # sampling of the search range before edges and roots are refined
_BLOCK = 256  # currents whose equilibria are searched together (predict_behaviours)
_V_LIMIT = 1e6  # search ranges beyond this only lose resolution: the dynamics live within a few units


def timescale_tau(neuron, timescale):
    """Cut-off time constant of ``timescale``: filters with ``tau <=`` it follow V in that curve.

    Examples
    --------
    >>> import neuromorph as nm
    >>> n = nm.preset("bursting")
    >>> [timescale_tau(n, ts) for ts in ("fast", "slow", "ultraslow", "steady")]
    [0.0, 50.0, 2500.0, inf]
    """
    if isinstance(timescale, str):
        if timescale == "steady":
            return math.inf
        if timescale not in TIMESCALES:
            raise ModelError(f"unknown timescale {timescale!r}; use one of {', '.join(TIMESCALES)} or a time constant")
        order = TIMESCALES.index(timescale)
        taus = [0.0] + [tau for tau in neuron.filter_taus if TIMESCALES.index(timescale_label(tau)) <= order]
        return max(taus)
    if isinstance(timescale, bool) or not isinstance(timescale, int | float) or not timescale >= 0:
        raise ModelError(f"timescale must be a name ({', '.join(TIMESCALES)}) or a time constant >= 0, "
                         f"got {timescale!r}")
    return float(timescale)


def one_neuron(neuron):
    """``neuron`` if it is a Neuron (a preset name is loaded); a clear error for a network or anything else.

    I-V curves are those of one neuron: in a network, analyse a node's neuron on its own.
    """
    from ..model.neuron import Neuron

    if isinstance(neuron, Neuron):
        return neuron
    if isinstance(neuron, str):
        from ..io.circuits import as_model

        neuron = as_model(neuron)
        if isinstance(neuron, Neuron):
            return neuron
    if hasattr(neuron, "node_names"):
        raise ModelError(f"I-V curves are those of one neuron: pass network.neuron(NAME) for a node's neuron on its "
                         f"own (nodes: {', '.join(neuron.node_names)})")
    raise ModelError(f"expected a Neuron (or a preset name), got {neuron!r}")


def _curve(neuron, v, tau_cut, v_rest):
    """Current and analytic slope dI/dV of the I-V curve with cut-off ``tau_cut`` on voltages ``v``.

    Every element kind supplies its own current and partial derivatives
    (:mod:`neuromorph.model.kinds`); an input whose filter is no slower than ``tau_cut``
    follows ``V`` (and its derivative counts in the slope), a slower one is held at ``v_rest``.
    """
    v = np.asarray(v, dtype=np.float64)
    current = np.zeros(v.shape)
    slope = np.zeros(v.shape)
    for el in neuron.elements:
        values, follows = {}, []
        for inp in el.inputs():
            values[inp.role] = v if inp.tau <= tau_cut else v_rest
            if inp.tau <= tau_cut:
                follows.append(inp.role)
        current += el.current(**values)["self"]
        derivatives = el.derivatives(**values)["self"]
        for role in follows:
            slope += derivatives[role]
    return current, slope


def _voltages(v, v_rest):
    """``v`` as a finite float array of any shape (a scalar too) and ``v_rest`` as a finite number."""
    try:
        ndim = np.ndim(v)
    except ValueError:  # a ragged list: real_array names it
        ndim = 1
    return check.real_array("v", v, ndim=ndim), check.real("v_rest", v_rest)


def iv_current(neuron, v, timescale="steady", v_rest=0.0):
    """Current of the I-V curve in ``timescale`` at voltages ``v`` (slower filters held at ``v_rest``).

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    v : array_like
        Membrane voltages (dimensionless).
    timescale : {"fast", "slow", "ultraslow", "steady"} or float, default "steady"
        A named timescale or a cut-off time constant (>= 0): filters with ``tau`` up to it follow
        ``V``.
    v_rest : float, default 0.0
        Voltage the slower filters are held at.

    Returns
    -------
    ndarray
        The total membrane current of the elements at each voltage, shape of ``v`` (the applied
        current is not included: equilibria lie where it equals ``I_app``).

    Raises
    ------
    ModelError
        If ``neuron`` is not a Neuron or a neuron's preset name (a network is refused: analyse
        ``network.neuron(NAME)``), ``timescale`` is an unknown name or a negative number, ``v`` is
        not an array of finite numbers, or ``v_rest`` is not a finite number.
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Examples
    --------
    The fast curve of the reference neuron, slow filters at rest at 0: ``V - 2 tanh(V)``.

    >>> import neuromorph as nm
    >>> n = nm.preset("bursting")
    >>> nm.iv_current(n, [-1.0, 0.0, 1.0], "fast").round(4).tolist()
    [0.5232, 0.0, -0.5232]
    >>> nm.iv_current(n, [-1.0, 0.0, 1.0]).round(4).tolist()  # steady state: the pairs cancel, I = V
    [-1.0, 0.0, 1.0]
    """
    neuron = one_neuron(neuron)
    v, v_rest = _voltages(v, v_rest)
    return _curve(neuron, v, timescale_tau(neuron, timescale), v_rest)[0]


def iv_conductance(neuron, v, timescale="steady", v_rest=0.0):
    """Analytic slope dI/dV of the I-V curve in ``timescale`` (a conductance).

    Each localized conductance contributes ``alpha sech^2(V_x - delta)``, sigmoid gates by the
    product rule; no finite differences.

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    v : array_like
        Membrane voltages (dimensionless).
    timescale : {"fast", "slow", "ultraslow", "steady"} or float, default "steady"
        A named timescale or a cut-off time constant (>= 0): filters with ``tau`` up to it follow
        ``V``.
    v_rest : float, default 0.0
        Voltage the slower filters are held at.

    Returns
    -------
    ndarray
        The conductance (dimensionless) at each voltage, shape of ``v``; negative values are the
        positive feedback that makes spikes (fast curve) and bursts (slow curve).

    Raises
    ------
    ModelError
        If ``neuron`` is not a Neuron or a neuron's preset name (a network is refused: analyse
        ``network.neuron(NAME)``), ``timescale`` is an unknown name or a negative number, ``v`` is
        not an array of finite numbers, or ``v_rest`` is not a finite number.
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Examples
    --------
    The fast slope of the reference neuron is ``1 - 2 sech^2(V)``, -1 at ``V = 0``:

    >>> import neuromorph as nm
    >>> nm.iv_conductance(nm.preset("bursting"), [-1.0, 0.0, 1.0], "fast").round(4).tolist()
    [0.1601, -1.0, 0.1601]
    """
    neuron = one_neuron(neuron)
    v, v_rest = _voltages(v, v_rest)
    return _curve(neuron, v, timescale_tau(neuron, timescale), v_rest)[1]


def _bisect_all(f, lo, hi, tol):
    """Roots of ``f`` in each bracket ``[lo[i], hi[i]]`` (sign change), all brackets at once, to ``tol``."""
    lo = np.array(lo, dtype=np.float64)
    hi = np.array(hi, dtype=np.float64)
    if lo.size == 0:
        return lo
    f_lo = f(lo)
    while np.max(hi - lo) > tol:
        mid = 0.5 * (lo + hi)
        if np.all((mid == lo) | (mid == hi)):  # every bracket down to adjacent floats: tol was below spacing
            break
        same = (f(mid) < 0) == (f_lo < 0)
        lo = np.where(same, mid, lo)
        f_lo = np.where(same, f(mid), f_lo)
        hi = np.where(same, hi, mid)
    return 0.5 * (lo + hi)


def _newton_all(f_and_slope, lo, hi, tol, group=None):
    """Roots of ``f`` in brackets (sign changes) by Newton on the analytic slope, kept inside the
    bracket (bisection where a Newton step would leave it); all brackets at once.

    ``f_and_slope(x, which)`` gives ``f`` and its slope at ``x`` for the brackets ``which`` (indices).
    ``group`` (an integer per bracket; default: one group) sets which brackets stop together: a group's
    brackets are refined until every one of them has converged, whatever the other groups do, so the
    roots of several problems solved in one pass are those each would get alone.
    """
    lo = np.array(lo, dtype=np.float64)
    hi = np.array(hi, dtype=np.float64)
    if lo.size == 0:
        return lo
    group = np.zeros(lo.size, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    live = np.arange(lo.size)
    f_lo = f_and_slope(lo, live)[0]
    x = 0.5 * (lo + hi)
    for _ in range(100):
        xl, lol, hil, f_lol = x[live], lo[live], hi[live], f_lo[live]
        fx, gx = f_and_slope(xl, live)
        same = (fx < 0) == (f_lol < 0)
        lol = np.where(same, xl, lol)
        f_lo[live] = np.where(same, fx, f_lol)
        hil = np.where(same, hil, xl)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(gx != 0.0, fx / gx, np.inf)
        newton = xl - step
        inside = (newton > lol) & (newton < hil)
        x_new = np.where(inside, newton, 0.5 * (lol + hil))
        done = (np.abs(x_new - xl) <= tol) | (fx == 0.0)
        x[live] = np.where(fx == 0.0, xl, x_new)
        lo[live], hi[live] = lol, hil
        unfinished = np.zeros(group.max() + 1, dtype=bool)
        unfinished[group[live[~done]]] = True
        live = live[unfinished[group[live]]]
        if live.size == 0:
            break
    return x


def _check_range(v_range):
    try:
        lo, hi = (check.real("v_range", x) for x in v_range)
    except (TypeError, ValueError):
        raise ModelError(f"`v_range` must be a pair (low, high), got {v_range!r}") from None
    if not lo < hi or max(abs(lo), abs(hi)) > _V_LIMIT:
        raise ModelError(f"`v_range` must be (low, high) with low < high and both within +-{_V_LIMIT:g} "
                         f"(voltages are dimensionless), got {v_range!r}")
    return lo, hi


def negative_conductance_intervals(neuron, timescale, i_app=0.0, v_rest=None, v_range=V_RANGE, tol=1e-12):
    """Voltage intervals where the I-V curve of ``timescale`` has negative slope.

    Edges are refined by bisection on the analytic conductance to ``tol``
    (default 1e-12). Intervals cut by ``v_range`` end at its bounds.

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    timescale : {"fast", "slow", "ultraslow", "steady"} or float
        A named timescale or a cut-off time constant (>= 0).
    i_app : float, default 0.0
        Applied current; sets the resting voltage the slower filters are held at.
    v_rest : float, optional
        Voltage the slower filters are held at (default: the lowest stable equilibrium at ``i_app``,
        else the lowest one).
    v_range : (float, float), default (-10, 10)
        Voltages searched.
    tol : float, default 1e-12
        Precision of the edges.

    Raises
    ------
    ModelError
        If ``neuron`` is not a Neuron or a neuron's preset name (a network is refused: analyse
        ``network.neuron(NAME)``); if ``timescale`` is unknown or negative, ``v_range`` is not a pair
        ``(low, high)`` with ``low < high`` within +-1e6, ``tol`` is not > 0, ``i_app`` or ``v_rest``
        is not a finite number; or if ``v_rest`` is not given and ``v_range`` holds no equilibrium.
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Returns
    -------
    list of (lo, hi)

    Examples
    --------
    The fast curve of the reference neuron, slope ``1 - 2 sech^2(V)``:

    >>> import neuromorph as nm
    >>> [(round(a, 4), round(b, 4)) for a, b in negative_conductance_intervals(nm.preset("bursting"), "fast", -2.0)]
    [(-0.8814, 0.8814)]

    The slow curve at ``I_app = -2`` (ultraslow filter at rest, ``V* = -2``) has a region that holds
    ``V*``: the neuron bursts.

    >>> [(round(a, 4), round(b, 4)) for a, b in negative_conductance_intervals(nm.preset("bursting"), "slow", -2.0)]
    [(-2.1585, -0.8415)]
    """
    neuron = one_neuron(neuron)
    lo, hi = _check_range(v_range)
    tol = check.positive("tol", tol)
    i_app = check.real("i_app", i_app)
    tau_cut = timescale_tau(neuron, timescale)
    v_rest = resting_voltage(neuron, i_app) if v_rest is None else check.real("v_rest", v_rest)
    g = lambda u: _curve(neuron, u, tau_cut, v_rest)[1]  # noqa: E731
    grid = np.linspace(lo, hi, _GRID)
    negative = g(grid) < 0
    up = np.flatnonzero(~negative[:-1] & negative[1:])  # entering a negative region
    down = np.flatnonzero(negative[:-1] & ~negative[1:])
    starts = list(_bisect_all(g, grid[up], grid[up + 1], tol))
    ends = list(_bisect_all(g, grid[down], grid[down + 1], tol))
    if negative[0]:
        starts.insert(0, lo)
    if negative[-1]:
        ends.append(hi)
    return [(float(a), float(b)) for a, b in zip(starts, ends)]


@dataclass(frozen=True)
class Equilibrium:
    """A rest point: membrane and every filter at ``v``.

    Unpacks as ``(v, stable)``. ``eigenvalues`` are those of the analytic
    Jacobian of the full model there.
    """

    v: float
    stable: bool
    eigenvalues: np.ndarray

    def __iter__(self):
        return iter((self.v, self.stable))

    def __repr__(self):
        return f"Equilibrium(v={self.v:.6g}, stable={self.stable})"


def _roots_on_grid(neuron, grid, f_grid, i_app, tol=1e-13):
    """Roots of ``I_steady - i_app`` bracketed on ``grid`` (where ``f_grid`` holds it), refined by Newton."""
    roots = _roots_of_currents(neuron, grid, np.asarray(f_grid)[None, :], np.array([i_app], dtype=np.float64),
                               tol)[0]
    if isinstance(roots, ModelError):
        raise roots
    return roots


def _roots_of_currents(neuron, grid, f_grid, i_app, tol=1e-13):
    """:func:`_roots_on_grid` for several currents at once: ``f_grid[k]`` holds ``I_steady - i_app[k]`` on ``grid``.

    One list of roots per current, or the ModelError of a current at which the curve is flat; each list is what
    that current alone gives (Newton refines the brackets of all the currents in one pass, each current's
    stopping on its own).
    """

    def f_and_slope(u, which):
        current, slope = _curve(neuron, u, math.inf, 0.0)
        return current - i_app[row[which]], slope

    zero = f_grid == 0.0
    flat = zero[:, :-1] & zero[:, 1:]
    row, col = np.nonzero(f_grid[:, :-1] * f_grid[:, 1:] < 0)  # brackets, current by current, lowest first
    refined = _newton_all(f_and_slope, grid[col], grid[col + 1], tol, group=row)
    ends = np.searchsorted(row, np.arange(len(i_app) + 1))
    out = []
    for k in range(len(i_app)):
        if flat[k].any():
            first = int(np.flatnonzero(flat[k])[0])
            out.append(ModelError(
                f"I_steady(V) = i_app = {i_app[k]:g} on the whole interval [{grid[first]:g}, {grid[first + 1]:g}] "
                f"at least: the neuron has no net conductance there, so every voltage in it is an equilibrium "
                f"(add a leak)"))
            continue
        out.append(sorted(float(x) for x in np.concatenate((grid[zero[k]], refined[ends[k]:ends[k + 1]]))))
    return out


def steady_curve(neuron, v_range=V_RANGE):
    """``(grid, current)``: the steady-state curve sampled on the equilibrium search grid.

    It does not depend on I_app: studies over many currents compute it once and pass it to
    :func:`predict_behaviour` or :func:`predict_behaviours` (``steady=``).
    """
    lo, hi = _check_range(v_range)
    grid = np.linspace(lo, hi, _GRID)
    return grid, _curve(neuron, grid, math.inf, 0.0)[0]


def _steady_roots(neuron, i_app, v_range, steady=None):
    grid, current = steady_curve(neuron, v_range) if steady is None else steady
    return _roots_on_grid(neuron, grid, current - i_app, i_app)


def equilibria(neuron, i_app=0.0, v_range=V_RANGE):
    """Every equilibrium for a constant ``i_app`` in ``v_range``, lowest first, with its stability.

    An equilibrium solves ``I_steady(V) = i_app`` (found on a grid and refined
    by bisection to 1e-13); it is stable when every eigenvalue of the analytic
    Jacobian of the full system (membrane and filters) has negative real part.

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    i_app : float, default 0.0
        Constant applied current.
    v_range : (float, float), default (-10, 10)
        Voltages searched.

    Returns
    -------
    list of Equilibrium
        Each with ``v``, ``stable`` and ``eigenvalues``; it unpacks as ``(v, stable)``. Empty if
        ``v_range`` holds none.

    Raises
    ------
    ModelError
        If ``neuron`` is not a Neuron or a neuron's preset name (a network is refused: analyse
        ``network.neuron(NAME)``); if ``i_app`` is not a finite number, ``v_range`` is not a pair ``(low, high)``
        with ``low < high`` within +-1e6; or if the steady-state current equals ``i_app`` on a whole
        interval (no net conductance: every voltage there is an equilibrium).
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Examples
    --------
    >>> import neuromorph as nm
    >>> [(round(v, 4), s) for v, s in equilibria(nm.preset("bistable_switch"), i_app=0.0)]
    [(-1.915, True), (0.0, False), (1.915, True)]
    """
    return _equilibria(neuron, i_app, v_range)


def _equilibria(neuron, i_app, v_range, steady=None):
    """:func:`equilibria`, reusing ``steady``, the steady-state curve sampled on the search grid
    (``(grid, current)`` from ``steady_curve``), across currents (:func:`predict_behaviour`)."""
    neuron = one_neuron(neuron)
    i_app = check.real("i_app", i_app)
    return _classify(neuron, _steady_roots(neuron, i_app, v_range, steady))


def _classify(neuron, voltages):
    from ..lower.compile import dense_jacobian

    model = neuron.compile()
    n = model.n_states
    out = []
    for v in voltages:
        eig = np.linalg.eigvals(dense_jacobian(model, np.full(n, v)))
        out.append(Equilibrium(v=v, stable=bool(_is_stable(eig)), eigenvalues=eig))
    return out


def _is_stable(eigenvalues):
    """Stable: every eigenvalue (along the last axis) in the open left half-plane."""
    return np.all(eigenvalues.real < 0, axis=-1)


def _stable(neuron, voltages):
    """Whether the equilibrium at each of ``voltages`` is stable, as :func:`_classify` says, all at once."""
    from ..lower.compile import dense_jacobian

    if not len(voltages):
        return np.zeros(0, dtype=bool)
    model = neuron.compile()
    n = model.n_states
    states = np.repeat(np.asarray(voltages, dtype=np.float64)[:, None], n, axis=1)  # membrane and filters at v
    return _is_stable(np.linalg.eigvals(dense_jacobian(model, states)))


def _lowest_stable(eqs):
    stable = [e.v for e in eqs if e.stable]
    return stable[0] if stable else eqs[0].v


def resting_voltage(neuron, i_app=0.0, v_range=V_RANGE):
    """The lowest stable equilibrium voltage (else the lowest equilibrium)."""
    neuron = one_neuron(neuron)
    eqs = equilibria(neuron, i_app, v_range)
    if not eqs:
        raise ModelError(f"no equilibrium for i_app = {i_app} in v_range {v_range}; give `v_rest`")
    return _lowest_stable(eqs)


@dataclass(frozen=True)
class IVCurves:
    """I-V curves of a neuron on a voltage grid.

    Attributes
    ----------
    v : ndarray
        Voltage grid.
    currents, conductances : dict
        ``{timescale: array}`` for ``"fast"``, ``"slow"``, ``"ultraslow"``, ``"steady"``.
    i_app : float
    v_rest : float
        Voltage slower filters are held at.
    """

    v: np.ndarray
    currents: dict
    conductances: dict
    i_app: float
    v_rest: float

    def __getitem__(self, timescale):
        try:
            return self.currents[timescale]
        except KeyError:
            raise ModelError(f"no I-V curve {timescale!r}; have {', '.join(self.currents)}") from None

    def conductance(self, timescale):
        """Analytic slope dI/dV of the curve ``timescale`` on the same grid."""
        try:
            return self.conductances[timescale]
        except KeyError:
            raise ModelError(f"no I-V curve {timescale!r}; have {', '.join(self.conductances)}") from None


def iv_curves(neuron, v=None, i_app=0.0, v_rest=None, timescales=TIMESCALES):
    """I-V curves and analytic conductances of ``neuron`` in several timescales.

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    v : array_like, optional
        Voltage grid (default ``linspace(-3, 3, 601)``).
    i_app : float, default 0.0
        Applied current; sets the resting voltage.
    v_rest : float, optional
        Voltage slower filters are held at. Default: the lowest stable equilibrium
        on the grid ``v`` (else the lowest one), or, if the grid holds none, in [-10, 10].
    timescales : sequence, default ("fast", "slow", "ultraslow", "steady")
        Names or cut-off time constants.

    Returns
    -------
    IVCurves
        ``iv[timescale]`` is a current on the grid ``iv.v``, ``iv.conductance(timescale)`` its
        slope; ``iv.v_rest`` the voltage the slower filters were held at.

    Raises
    ------
    ModelError
        If ``neuron`` is not a Neuron or a neuron's preset name (a network is refused: analyse
        ``network.neuron(NAME)``); if ``v`` is not a 1-D array of finite numbers, ``i_app`` or ``v_rest`` is not a
        finite number, a timescale is unknown or negative; or if ``v_rest`` is not given and no
        equilibrium lies in [-10, 10].
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Examples
    --------
    With the reference four elements the pairs cancel in steady state, I_ss(V) = V:

    >>> import numpy as np, neuromorph as nm
    >>> iv = nm.iv_curves(nm.preset("bursting"), v=np.linspace(-3, 3, 7), i_app=-2.0)
    >>> bool(np.allclose(iv["steady"], iv.v)), round(iv.v_rest, 9)
    (True, -2.0)
    """
    neuron = one_neuron(neuron)
    v = np.linspace(-3.0, 3.0, 601) if v is None else check.real_array("v", v)
    i_app = check.real("i_app", i_app)
    if v_rest is not None:
        v_rest = check.real("v_rest", v_rest)
    if v_rest is None:  # the steady curve on this grid (needed anyway) usually brackets the rest
        steady = _curve(neuron, v, math.inf, 0.0)[0]
        roots = _roots_on_grid(neuron, v, steady - i_app, i_app) if v.size > 1 else []
        v_rest = _lowest_stable(_classify(neuron, roots)) if roots else resting_voltage(neuron, i_app)
    currents, conductances = {}, {}
    for ts in timescales:
        currents[ts], conductances[ts] = _curve(neuron, v, timescale_tau(neuron, ts), v_rest)
    return IVCurves(v=v, currents=currents, conductances=conductances, i_app=float(i_app), v_rest=float(v_rest))


@dataclass(frozen=True)
class FoldCurve:
    """Folds of the steady-state curve along one parameter.

    Attributes
    ----------
    parameter : str
    values : ndarray
        Parameter values.
    v : list of ndarray
        Fold voltages (edges of the steady-state negative-conductance intervals) at each value.
    i_app : list of ndarray
        The applied currents at those folds (saddle-node points: equilibria appear or vanish there).
    """

    parameter: str
    values: np.ndarray
    v: list
    i_app: list


def fold_points(neuron, parameter, values, v_range=V_RANGE):
    """Fold points of the steady-state I-V curve as ``parameter`` takes ``values``.

    A fold is an edge of a negative-conductance interval of the steady-state curve: there
    equilibria appear or vanish as ``I_app`` varies (saddle-node points).

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    parameter : str
        A parameter path of the neuron, ``"ELEMENT.FIELD"`` (``"slow_negative.alpha"``) or ``"C"``, ...
    values : array_like
        The values it takes (the neuron itself is left unchanged).
    v_range : (float, float), default (-10, 10)
        Voltages searched.

    Returns
    -------
    FoldCurve
        ``v[i]`` and ``i_app[i]``: the fold voltages and the applied currents at them for
        ``values[i]`` (empty arrays where the curve does not fold).

    Raises
    ------
    ModelError
        If ``neuron`` is not a Neuron or a neuron's preset name (a network is refused: analyse
        ``network.neuron(NAME)``); if ``values`` is not a 1-D array of finite numbers; if ``parameter`` is not
        a parameter of the neuron or a value is refused by it (out of range); if ``v_range`` is not a pair
        ``(low, high)`` with ``low < high`` within +-1e6.
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Examples
    --------
    The bursting neuron's steady curve is ``V + (alpha + 1.5) tanh(V + 1.5)``: it folds once
    ``alpha < -2.5``.

    >>> import neuromorph as nm
    >>> f = fold_points(nm.preset("bursting"), "slow_negative.alpha", [-2.0, -3.0])
    >>> [len(v) for v in f.v]
    [0, 2]
    >>> f.v[1].round(3).tolist(), f.i_app[1].round(3).tolist()
    ([-2.158, -0.842], [-1.292, -1.708])
    """
    neuron = one_neuron(neuron)
    values = check.real_array("values", values)
    work = neuron.copy()
    fold_v, fold_i = [], []
    for value in values:
        work.set(parameter, float(value))
        edges = [x for interval in negative_conductance_intervals(work, "steady", v_rest=0.0, v_range=v_range)
                 for x in interval if v_range[0] < x < v_range[1]]
        edges = np.array(edges)
        fold_v.append(edges)
        fold_i.append(iv_current(work, edges, "steady") if edges.size else np.empty(0))
    return FoldCurve(parameter=parameter, values=values, v=fold_v, i_app=fold_i)


def predict_behaviour(neuron, i_app=0.0, v_range=V_RANGE, steady=None, strict=True):
    """Firing pattern predicted from the I-V curves alone.

    Rules (``shared/MODEL.md``, refined by stability): several stable
    equilibria, or a stable one next to an unstable one where the fast curve
    has negative slope, make ``"bistable"``; a single equilibrium that is
    stable (every eigenvalue of the analytic Jacobian in the left half-plane)
    makes ``"rest"``: a negative-conductance region around it is then too weak
    to destabilise it. Without a stable equilibrium, a steady-state curve whose
    slope far out is negative (no restoring conductance: the state runs away)
    makes ``"diverging"``, as does a curve with no equilibrium and no positive
    slope far out. Otherwise the equilibrium ``V*`` decides: where the
    slow curve (ultraslow filters held at ``V*``) has negative slope
    ``"bursting"``, where only the fast one does ``"tonic"``, elsewhere ``"rest"``.

    On the I_app x slow-negative-gain map of the bursting neuron the stability
    refinement raises agreement with simulation from 93.9 % to 95.0 %
    (``benchmarks/bench_map.py``).

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    i_app : float, default 0.0
        Constant applied current.
    v_range : (float, float), default (-10, 10)
        Where equilibria are searched.
    steady : tuple, optional
        The steady-state curve from ``steady_curve`` (reused across currents).
    strict : bool, default True
        With False, a range holding no equilibrium gives ``"unknown"`` instead of an error.

    Returns
    -------
    str
        ``"rest"``, ``"tonic"``, ``"bursting"``, ``"bistable"`` or ``"diverging"``; ``"unknown"``
        with ``strict=False`` when ``v_range`` holds no equilibrium.

    Raises
    ------
    ModelError
        If no equilibrium lies in ``v_range`` although the neuron has a restoring
        conductance (the equilibrium is outside the range searched: widen it); also
        if ``neuron`` is not a Neuron or a neuron's preset name (a network is refused: analyse
        ``network.neuron(NAME)``), or ``i_app`` is not a finite number or ``v_range``
        not a pair ``(low, high)`` with ``low < high``.
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Examples
    --------
    >>> import neuromorph as nm
    >>> n = nm.preset("bursting")
    >>> [predict_behaviour(n, i) for i in (-2.0, 0.0, -3.0)]
    ['bursting', 'tonic', 'rest']
    """
    neuron = one_neuron(neuron)
    i_app = check.real("i_app", i_app)
    pattern = _predict_many(neuron, np.array([i_app]), v_range, steady)[0]
    if isinstance(pattern, ModelError):
        raise pattern
    if pattern == "unknown" and strict:
        raise _no_equilibrium(i_app, v_range)
    return pattern


def _no_equilibrium(i_app, v_range):
    return ModelError(f"no equilibrium for i_app = {i_app:g} lies in v_range = {tuple(v_range)}: the prediction "
                      "rests on the equilibrium, widen v_range")


def predict_behaviours(neuron, i_app, v_range=V_RANGE, steady=None, strict=True):
    """Firing patterns predicted from the I-V curves at many applied currents: :func:`predict_behaviour` of each.

    The rules are those of :func:`predict_behaviour` and the patterns the same, current by current; the
    currents share the steady-state curve and are worked out together (equilibria, their stability and
    the slopes at them, each in one pass over every current), many times faster than one call per current.

    Parameters
    ----------
    neuron : Neuron or str
        The neuron, or a preset name of one.
    i_app : array_like
        Constant applied currents (1-D).
    v_range : (float, float), default (-10, 10)
        Where equilibria are searched.
    steady : tuple, optional
        The steady-state curve from ``steady_curve`` (computed once here if not given).
    strict : bool, default True
        With False, a current at which the curves say nothing gives ``"unknown"`` instead of an error:
        ``v_range`` holds no equilibrium, or the steady-state curve equals the current on a whole interval
        (no net conductance).

    Returns
    -------
    ndarray of str
        One pattern per current, as :func:`predict_behaviour` names them.

    Raises
    ------
    ModelError
        If ``neuron`` is not a Neuron or a neuron's preset name (a network is refused), ``i_app`` is not a
        1-D array of finite numbers or ``v_range`` not a pair ``(low, high)`` with ``low < high``; with
        ``strict=True``, for the first current at which the curves say nothing (as
        :func:`predict_behaviour` does).
    CircuitFileError
        If ``neuron`` names an unknown preset.

    Examples
    --------
    >>> import neuromorph as nm
    >>> n = nm.preset("bursting")
    >>> predict_behaviours(n, [-2.0, 0.0, -3.0]).tolist()
    ['bursting', 'tonic', 'rest']
    >>> predict_behaviours(n, [-2.0, 5.0], v_range=(-3.0, 3.0), strict=False).tolist()
    ['bursting', 'unknown']
    """
    neuron = one_neuron(neuron)
    i_app = check.real_array("i_app", i_app)
    patterns = _predict_many(neuron, i_app, v_range, steady)
    for current, pattern in zip(i_app, patterns):
        if strict and isinstance(pattern, ModelError):
            raise pattern
        if strict and pattern == "unknown":
            raise _no_equilibrium(float(current), v_range)
    return np.array(["unknown" if isinstance(p, ModelError) else p for p in patterns], dtype=str)


def _far_slopes(neuron):
    """Slopes of the steady-state curve far below and far above the voltages these circuits use."""
    return _curve(neuron, np.array([-_V_LIMIT, _V_LIMIT]), math.inf, 0.0)[1]


def _predict_many(neuron, i_app, v_range=V_RANGE, steady=None):
    """The pattern predicted at each current of the array ``i_app`` (``steady`` reuses a sampled steady curve).

    ``"unknown"`` where ``v_range`` holds no equilibrium although the state cannot run away; the ModelError
    of a current at which the steady-state curve is flat (every voltage there an equilibrium).
    """
    grid, current = steady_curve(neuron, v_range) if steady is None else steady
    grid, current = np.asarray(grid), np.asarray(current)
    roots = [eqs for k in range(0, len(i_app), _BLOCK)  # in blocks: each holds a steady curve per current
             for eqs in _roots_of_currents(neuron, grid, current[None, :] - i_app[k:k + _BLOCK, None],
                                           i_app[k:k + _BLOCK])]
    voltages = np.array([v for eqs in roots if not isinstance(eqs, ModelError) for v in eqs], dtype=np.float64)
    stable = _stable(neuron, voltages)
    fast = timescale_tau(neuron, "fast")
    fast_negative = _curve(neuron, voltages, fast, voltages)[1] < 0  # at each equilibrium, slower filters there
    out, stars, start, far = [], [], 0, None
    for eqs in roots:
        if isinstance(eqs, ModelError):
            out.append(eqs)
            continue
        end = start + len(eqs)
        is_stable, spiking = stable[start:end], ~stable[start:end] & fast_negative[start:end]
        start = end
        stable_v = [v for v, s in zip(eqs, is_stable) if s]
        if not stable_v:
            far = _far_slopes(neuron) if far is None else far
            if np.min(far) < 0.0 or (not eqs and np.min(far) <= 0.0):
                out.append("diverging")
                continue
        if not eqs:
            out.append("unknown")
            continue
        if len(stable_v) >= 2 or (stable_v and np.any(spiking)):
            out.append("bistable")
        elif len(eqs) == 1 and stable_v:
            out.append("rest")
        else:  # V* decides, by the slopes there (below, for every such current at once)
            stars.append((len(out), eqs[0] if len(eqs) == 1 else (stable_v[0] if stable_v else eqs[len(eqs) // 2])))
            out.append(None)
    if stars:
        star = np.array([v for _, v in stars])
        slow = _curve(neuron, star, timescale_tau(neuron, "slow"), star)[1] < 0
        tonic = _curve(neuron, star, fast, star)[1] < 0
        for (k, _), bursts, spikes in zip(stars, slow, tonic):
            out[k] = "bursting" if bursts else "tonic" if spikes else "rest"
    return out
