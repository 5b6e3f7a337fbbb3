"""Design for yield: the nominal values that make the most chips meet a rhythm under mismatch.

Every candidate design is tried on the same chips (the same mismatch draws, chip by chip: common random numbers),
so two candidates are compared on what differs between them, not on which chips they happened to get; the
search is a grid over the free values, refined around the best, run as one ensemble. The winner is then
confirmed, with the starting design beside it, on fresh chips: a seed the search never used.
"""

import itertools
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from .rhythm import Rhythm
from .yields import yield_of

__all__ = ["design_for_yield", "YieldDesign", "area_for_yield", "AreaDesign"]


@dataclass(frozen=True, eq=False)
class YieldDesign:
    """What :func:`design_for_yield` returns.

    Parameters
    ----------
    free : tuple of str
        The parameters designed.
    values : dict
        The designed nominal values of the free parameters.
    model : Neuron or Network
        The design with them set.
    candidates : numpy.ndarray
        Every candidate tried (candidates x free parameters), in the order of ``free``.
    yields : numpy.ndarray
        Each candidate's yield on the search chips.
    designed, start : YieldResult
        The designed and the starting nominal values on the fresh chips.

    Raises
    ------
    TypeError
        If a field is missing (made by :func:`design_for_yield`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> d = nm.design_for_yield("bursting", nm.Rhythm(period=2494, tolerance=0.1), nm.Mismatch(gain=0.03),
    ...                         free=["ultraslow_positive.alpha"], bounds={"ultraslow_positive.alpha": (1.4, 1.6)},
    ...                         chips=16, grid=3, refine=0, confirm_chips=16, i_app=-2.0, t_end=12_000)
    >>> d.candidates.shape, 0.0 <= d.designed.value <= 1.0
    ((3, 1), True)
    """

    free: tuple
    values: dict
    model: object = field(repr=False)
    candidates: np.ndarray = field(repr=False)
    yields: np.ndarray = field(repr=False)
    designed: object = field(repr=False)
    start: object = field(repr=False)

    @property
    def better(self):
        """Whether the designed values beat the start on the fresh chips with non-overlapping 95 % intervals."""
        return self.designed.interval[0] > self.start.interval[1]

    def __str__(self):
        lo, hi = self.start.interval
        dlo, dhi = self.designed.interval
        values = ", ".join(f"{p} = {x:.4g}" for p, x in self.values.items())
        return (f"designed: {values}\n"
                f"on {self.designed.passed.size} fresh chips: designed {100 * self.designed.value:.1f} % "
                f"[{100 * dlo:.1f}, {100 * dhi:.1f}], start {100 * self.start.value:.1f} % [{100 * lo:.1f}, "
                f"{100 * hi:.1f}]" + (" (intervals apart)" if self.better else " (intervals overlap)"))


def design_for_yield(model, rhythm, mismatch, free, bounds, chips=200, seed=0, grid=5, refine=1, confirm_chips=1000,
                     confirm_seed=None, i_app=0.0, t_end=20_000.0, dt=0.1, n_threads=None, progress=None):
    """Search the nominal values of ``free`` (within ``bounds``) that maximise the yield of ``rhythm`` under
    ``mismatch``, and confirm them on fresh chips beside the starting design.

    The transistors' area is designed by :func:`area_for_yield` (the smallest area for a yield: more area
    always helps, so it is a cost, not a value to maximise).

    Parameters
    ----------
    model : Neuron, Network or str
        The starting design.
    rhythm : Rhythm
    mismatch : Mismatch or dict
    free : list of str
        Parameters to design (gains, offsets: any parameter a per-copy value can set).
    bounds : dict
        ``{path: (low, high)}`` for each free parameter.
    chips : int, default 200
        Chips every candidate is tried on (the same chips for all: common random numbers).
    seed : int, default 0
        The search's mismatch seed.
    grid : int, default 5
        Values per free parameter in each grid (``grid ** len(free)`` candidates).
    refine : int, default 1
        Grids after the first, each around the best so far, one step of the last grid either side.
    confirm_chips : int, default 1000
    confirm_seed : int, optional
        The fresh chips' seed (default ``seed + 1``; it must differ from ``seed``).
    i_app : float or Stimulus, default 0.0
    t_end : float, default 20000
    dt : float, default 0.1
    n_threads : int, optional
    progress : bool, optional

    Returns
    -------
    YieldDesign

    Raises
    ------
    ModelError
        If ``rhythm`` is not a Rhythm, ``free`` is empty or has a path without bounds, the bounds are not
        ``low < high``, ``grid < 2``, or ``confirm_seed`` equals ``seed``.

    Examples
    --------
    Three values of the ultraslow gain, each tried on the same 16 chips:

    >>> import neuromorph as nm
    >>> d = nm.design_for_yield("bursting", nm.Rhythm(period=2494, tolerance=0.1), nm.Mismatch(gain=0.02),
    ...                         free=["ultraslow_positive.alpha"], bounds={"ultraslow_positive.alpha": (1.4, 1.6)},
    ...                         chips=16, grid=3, refine=0, confirm_chips=16, i_app=-2.0, t_end=12_000)
    >>> d.candidates[:, 0].tolist(), len(d.yields)
    ([1.4, 1.5, 1.6], 3)
    """
    from ..io.circuits import as_model
    from ..solve.ensemble import Ensemble

    if not isinstance(rhythm, Rhythm):
        raise ModelError(f"`rhythm` must be an nm.Rhythm, got {type(rhythm).__name__}")
    free = (free,) if isinstance(free, str) else tuple(free)
    if not free:
        raise ModelError("`free` names no parameter to design")
    box = {}
    for path in free:
        if not isinstance(bounds, dict) or path not in bounds:
            raise ModelError(f"`bounds` gives none for {path!r}: every free parameter needs (low, high)")
        lo, hi = (check.real(f"bounds[{path!r}]", x) for x in bounds[path])
        if not lo < hi:
            raise ModelError(f"`bounds[{path!r}]` must be low < high, got ({lo:g}, {hi:g})")
        box[path] = (lo, hi)
    grid = check.count("grid", grid, 2)
    refine = check.count("refine", refine, 0)
    n = check.count("chips", chips, 1)
    confirm_seed = seed + 1 if confirm_seed is None else confirm_seed
    if confirm_seed == seed:
        raise ModelError(f"`confirm_seed` ({confirm_seed}) must differ from `seed`: the confirmation needs fresh chips")
    start = as_model(model)
    for path in free:
        start.get(path)  # (a parameter the model lacks: the error lists them)
    tried, scores = [], []
    spans = {p: box[p] for p in free}
    best = np.array([float(start.get(p)) for p in free])
    for _ in range(refine + 1):
        axes = [np.linspace(*spans[p], grid) for p in free]
        candidates = np.array(list(itertools.product(*axes)))
        params = {p: np.repeat(candidates[:, j], n) for j, p in enumerate(free)}
        ids = np.tile(np.arange(n), len(candidates))
        run = Ensemble(start, params=params).simulate(t_end, i_app=i_app, dt=dt, mismatch=mismatch, seed=seed,
                                                      chips=ids, n_threads=n_threads, progress=progress)
        met = np.asarray(rhythm.check(run).met, dtype=bool).reshape(len(candidates), n)
        tried.append(candidates)
        scores.append(met.mean(axis=1))
        all_tried, all_scores = np.vstack(tried), np.concatenate(scores)
        # the best yield; among ties, the one nearest the start (the least change to the design)
        top = np.flatnonzero(all_scores == all_scores.max())
        best = all_tried[top[np.argmin(np.linalg.norm(all_tried[top] - best, axis=1))]]
        spans = {p: (max(box[p][0], best[j] - (axes[j][1] - axes[j][0])),
                     min(box[p][1], best[j] + (axes[j][1] - axes[j][0]))) for j, p in enumerate(free)}
    values = {p: float(x) for p, x in zip(free, best)}
    designed_model = start.copy()
    for p, x in values.items():
        designed_model.set(p, x)
    common = dict(chips=check.count("confirm_chips", confirm_chips, 1), seed=confirm_seed, i_app=i_app, t_end=t_end,
                  dt=dt, n_threads=n_threads)
    designed = yield_of(designed_model, rhythm, mismatch, **common)
    before = yield_of(start, rhythm, mismatch, **common)
    return YieldDesign(free, values, designed_model, np.vstack(tried), np.concatenate(scores), designed, before)


@dataclass(frozen=True, eq=False)
class AreaDesign:
    """What :func:`area_for_yield` returns.

    Parameters
    ----------
    target : float
        The yield asked for.
    devices : DeviceMismatch
        The designed transistors (the smallest area found to meet ``target``, or the largest tried if none
        did).
    areas : numpy.ndarray
        Every area tried (um^2), in increasing order.
    yields : list of YieldResult
        Each area's yield on the search chips (the same chips at every area).
    designed : YieldResult
        The designed area's yield on fresh chips.
    met : bool
        Whether the designed area met ``target`` (the lower end of its interval) on the search chips.

    Raises
    ------
    TypeError
        If a field is missing (made by :func:`area_for_yield`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> d = nm.area_for_yield("bursting", nm.Rhythm(period=2494, tolerance=0.1), 0.5, areas=(24, 384), grid=3,
    ...                       refine=0, chips=16, confirm_chips=16, i_app=-2.0, t_end=8_000)
    >>> d.areas.tolist(), bool(min(abs(d.areas - d.area)) < 1e-9)
    ([24.0, 96.0, 384.0], True)
    """

    target: float
    devices: object
    areas: np.ndarray
    yields: list = field(repr=False)
    designed: object = field(repr=False)
    met: bool = True

    @property
    def area(self):
        """The designed transistors' area (um^2)."""
        return self.devices.area

    def __str__(self):
        lo, hi = self.designed.interval
        head = (f"smallest area for a yield of {100 * self.target:g} %: {self.area:.4g} um^2 "
                f"({self.devices.width:.3g} x {self.devices.length:.3g} um)" if self.met else
                f"no area up to {self.areas[-1]:.4g} um^2 reaches a yield of {100 * self.target:g} %")
        return (f"{head}\non {self.designed.passed.size} fresh chips: {100 * self.designed.value:.1f} % "
                f"[{100 * lo:.1f}, {100 * hi:.1f}]")

    def plot(self, ax=None, label=None):
        """Yield against area (log scale) with the 95 % intervals, the target and the designed area."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
        values = np.array([y.value for y in self.yields])
        low = np.array([y.interval[0] for y in self.yields])
        high = np.array([y.interval[1] for y in self.yields])
        line, = ax.plot(self.areas, 100 * values, "o-", label=label)
        ax.fill_between(self.areas, 100 * low, 100 * high, color=line.get_color(), alpha=0.2)
        ax.axhline(100 * self.target, color="0.5", ls=":", lw=1)
        ax.axvline(self.area, color=line.get_color(), ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("transistor area W L (um$^2$)")
        ax.set_ylabel("yield (%)")
        ax.set_ylim(0, 100)
        return ax


def area_for_yield(model, rhythm, target, devices=None, areas=(6.0, 384.0), chips=400, seed=0, grid=7, refine=2,
                   closed_loop=None, confirm_chips=1000, confirm_seed=None, i_app=0.0, t_end=20_000.0, dt=0.1,
                   n_threads=None, progress=None):
    """The smallest transistor area whose chips meet ``rhythm`` with a yield of at least ``target``: the device
    area as a design variable, through Pelgrom's law.

    Every area is tried on the model-level twin of the transistors' mismatch
    (:meth:`DeviceMismatch.model_level <neuromorph.DeviceMismatch.model_level>`) on the same chips (each chip's
    draws are the same standard normals at every area, scaled by ``1 / sqrt(W L)``: common random numbers);
    an area meets the target when the lower end of its 95 % interval does. A geometric grid over ``areas``
    is refined by bisection between the largest area that fails and the smallest that meets it; the designed
    area is confirmed on fresh chips. Confirm it at transistor level with
    ``nm.yield_of(..., d.devices, level="transistor")``.

    Parameters
    ----------
    model : Neuron, Network or str
    rhythm : Rhythm
    target : float
        The yield to reach, in (0, 1).
    devices : DeviceMismatch, optional
        The Pelgrom coefficients and the transistors' length (default ``nm.DeviceMismatch()``); the width
        is what changes.
    areas : (float, float), default (6, 384)
        The smallest and largest area tried (um^2).
    chips : int, default 400
    seed : int, default 0
    grid : int, default 7
        Areas in the first (geometric) grid.
    refine : int, default 2
        Bisection steps after it.
    closed_loop : optional
        As :func:`yield_of`'s: the area a closed loop needs (``"retune"``, a controller, or both).
    confirm_chips : int, default 1000
    confirm_seed : int, optional
        Default ``seed + 1`` (it must differ from ``seed``).
    i_app, t_end, dt, n_threads, progress
        As :func:`yield_of`'s.

    Returns
    -------
    AreaDesign

    Raises
    ------
    ModelError
        If ``target`` is not in (0, 1), ``devices`` is not a DeviceMismatch, ``areas`` is not ``0 < low < high``,
        ``grid < 2``, or ``confirm_seed`` equals ``seed``; and as :func:`yield_of`.

    Examples
    --------
    Two areas, 4 x 6 um and 64 x 6 um, on the same 16 chips:

    >>> import neuromorph as nm
    >>> d = nm.area_for_yield("bursting", nm.Rhythm(period=2494, tolerance=0.1), 0.3, areas=(24, 384), grid=2,
    ...                       refine=0, chips=16, confirm_chips=16, i_app=-2.0, t_end=8_000)
    >>> d.areas.tolist(), bool(d.yields[1].value >= d.yields[0].value)
    ([24.0, 384.0], True)
    """
    from ..spice.montecarlo import DeviceMismatch

    target = check.real("target", target)
    if not 0.0 < target < 1.0:
        raise ModelError(f"`target` is a yield, in (0, 1); got {target!r}")
    devices = DeviceMismatch() if devices is None else devices
    if not isinstance(devices, DeviceMismatch):
        raise ModelError(f"`devices` must be an nm.DeviceMismatch, got {devices!r}")
    try:
        lo, hi = (check.positive("areas", a) for a in areas)
    except (TypeError, ValueError):
        raise ModelError(f"`areas` must be (smallest, largest) in um^2, got {areas!r}") from None
    if not lo < hi:
        raise ModelError(f"`areas` must be (smallest, largest) with smallest < largest, got {areas!r}")
    grid = check.count("grid", grid, 2)
    refine = check.count("refine", refine, 0)
    confirm_seed = seed + 1 if confirm_seed is None else confirm_seed
    if confirm_seed == seed:
        raise ModelError(f"`confirm_seed` ({confirm_seed}) must differ from `seed`: the confirmation needs fresh chips")
    common = dict(i_app=i_app, t_end=t_end, dt=dt, n_threads=n_threads, progress=progress, closed_loop=closed_loop)
    tried = {}

    def attempt(area):
        if area not in tried:
            tried[area] = yield_of(model, rhythm, devices.resized(area), chips=chips, seed=seed, **common)
        return tried[area].interval[0] >= target

    for area in np.geomspace(lo, hi, grid):
        attempt(float(area))
    passing = [a for a in sorted(tried) if attempt(a)]
    if passing:
        below = [a for a in sorted(tried) if a < passing[0] and not attempt(a)]
        if below:
            fail, ok = below[-1], passing[0]
            for _ in range(refine):
                middle = float(np.sqrt(fail * ok))
                if attempt(middle):
                    ok = middle
                else:
                    fail = middle
        steady = [a for a in sorted(tried) if attempt(a) and all(attempt(b) for b in tried if b > a)]
        best = steady[0] if steady else passing[0]  # (from where every larger area meets it, if one does)
    else:
        best = max(tried)
    order = sorted(tried)
    designed = yield_of(model, rhythm, devices.resized(best), chips=check.count("confirm_chips", confirm_chips, 1),
                        seed=confirm_seed, **common)
    return AreaDesign(target, devices.resized(best), np.array(order), [tried[a] for a in order], designed,
                      bool(passing))
