"""Every chip its own controller: a :class:`RhythmController` on each copy of an ensemble run.

The copies run in the ensemble engine's SIMD lanes as usual; between two time slices (an eighth of a period
at most) each copy's :class:`~neuromorph.control.loop.ControlLoop` reads the spikes its copy fired in
the slice and, once per burst, moves that copy's settings. A copy's setting acts on its own mismatched
values: a gain runs at ``setting x (1 + its mismatch)``, an offset at ``setting + its mismatch``, as a bias
set on a real chip would. Every loop starts from the same sensitivities, measured once on the design
(``RhythmController.design_jacobian``), and corrects them on its own chip as it runs.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..errors import ModelError, SolverError
from .loop import ControlResult, apply_knob, knobs_of

__all__ = ["ChipsControl"]


def chip_ids(chips):
    """``chips=``: a count n (chips 0 .. n-1) or a sequence of distinct chip ids, as an int64 array."""
    if isinstance(chips, (int, np.integer)) and not isinstance(chips, bool):
        return np.arange(check.count("chips", chips, 1), dtype=np.int64)
    try:
        ids = [check.count("chip id", c, 0) for c in chips]
    except TypeError:
        raise ModelError(f"`chips` must be a count or a sequence of chip ids, got {chips!r}") from None
    if not ids or len(set(ids)) != len(ids):
        raise ModelError(f"`chips` ids must be distinct integers >= 0, and at least one; got {chips!r}")
    return np.array(ids, dtype=np.int64)


class _Chips:
    """What :meth:`Ensemble.simulate` drives between slices (its ``_control``): one ControlLoop per copy."""

    def __init__(self, loops, knobs, start):
        self.loops, self.knobs, self.start = loops, knobs, start
        self.writes = []

    def begin(self, model, pc, chips, t_record, max_spikes):
        """The per-copy arrays the run will use, with private copies of those the loops change."""
        pc = dict(pc)
        copied = set()
        for key, members in self.knobs.items():
            for path, weight in members:
                _, slots = model.slot(path, "adjust in an ensemble")
                for s in slots:
                    if s.array not in copied:  # (the run's arrays may be the Ensemble's own: never changed)
                        pc[s.array] = pc[s.array].copy()
                        copied.add(s.array)
                    nominal = s.encode(weight * self.start[key])
                    self.writes.append((key, s, weight, nominal, pc[s.array][s.index].copy()))
        self.pc, self.t_record, self.cap = pc, t_record, max_spikes
        n = len(self.loops)
        self.kept = [[[] for _ in range(n)] for _ in range(model.n_neurons)]
        self.totals = np.zeros((model.n_neurons, n), dtype=np.int64)
        return pc

    @property
    def slice_time(self):
        """Time between two reads of the spikes: an eighth of the target period (of 2500 if it sets none), the
        same for every chip and every run, so that a chip's controller acts at the same times whatever chips
        run beside it."""
        target = self.loops[0].ctrl.target if self.loops else None
        return ((target.period if target is not None and target.period else 2500.0)) / 8.0

    def _set(self, c, values):
        for key, s, weight, nominal, base in self.writes:
            now = float(s.encode(weight * values[key]))
            row = self.pc[s.array][s.index]
            if s.array == "el_gain" and nominal[c] != 0.0:  # a gain's mismatch scales its setting
                row[c] = base[c] * (now / nominal[c])
            else:  # an offset's (and a current's) adds to it
                row[c] = base[c] + (now - nominal[c])

    def end_slice(self, t, count, times, status):
        """Hand each copy's spikes of the slice to its loop, apply what changed, and empty the spike buffers."""
        cap = times.shape[2]
        if (count > cap).any():
            raise SolverError(f"a copy fired more than {cap} spikes in one slice of {self.slice_time:.4g} time units: "
                              "give the ensemble run a larger `max_spikes`")
        for m in range(count.shape[0]):
            for c in np.flatnonzero(count[m]):
                new = times[m, c, :count[m, c]]
                kept = new[new >= self.t_record]
                self.totals[m, c] += kept.size
                room = self.cap - sum(x.size for x in self.kept[m][c])
                if room > 0 and kept.size:
                    self.kept[m][c].append(kept[:room].copy())
        for c, loop in enumerate(self.loops):
            if status[c] != 0:
                continue
            if loop.feed(t, {k: times[k, c, :count[k, c]] for k in loop.neurons}):
                self._set(c, loop.values)
        count[:] = 0

    def finish(self, count, times):
        """Put back the spikes at or after ``t_record``, as the run would have kept them."""
        times[:] = np.nan
        for m in range(count.shape[0]):
            for c in range(count.shape[1]):
                if self.kept[m][c]:
                    x = np.concatenate(self.kept[m][c])
                    times[m, c, :x.size] = x
        count[:] = self.totals


@dataclass(frozen=True, eq=False)
class ChipsControl:
    """What :meth:`RhythmController.run_chips` returns: every chip's controller, its final settings and the run.

    Parameters
    ----------
    controller : RhythmController
    chips : numpy.ndarray of int
    values : dict
        ``{adjusted key: array}``: each chip's final setting of each adjusted gain.
    settings : dict
        ``{parameter path: array}``: every chip's final settings (the adjusted ones as the paths they set, a
        ``"*.PATH"`` key setting every node's, and any others the chips started with), ready for
        ``nm.Ensemble(model, params=settings)``: the chips at their final settings.
    histories : list
        Each chip's rows, as :attr:`ControlResult.history`.
    run : EnsembleResult
        The controlled run (spikes from ``t_record``, final states).
    design : Neuron or Network
        The design the chips are copies of.

    Raises
    ------
    TypeError
        If a field is missing (made by :meth:`RhythmController.run_chips`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> bounds = {"slow_negative.alpha": (-2.2, -1.2), "ultraslow_positive.alpha": (1.3, 2.8)}
    >>> ctrl = nm.RhythmController(nm.Rhythm(period=2494, tolerance=0.02), adjust=list(bounds), bounds=bounds)
    >>> out = ctrl.run_chips("bursting", 60_000, nm.Mismatch(gain=0.05), chips=4, seed=1, i_app=-2.0)
    >>> out.reached.tolist(), out.settings["slow_negative.alpha"].shape
    ([True, True, True, True], (4,))
    """

    controller: object
    chips: np.ndarray
    values: dict
    settings: dict
    histories: list = field(repr=False)
    run: object = field(repr=False)
    design: object = field(repr=False)

    def result(self, i):
        """Chip ``i``'s :class:`ControlResult` (its ``model``: the design with the chip's final settings, without
        its mismatch)."""
        i = check.count("i", i, 0)
        if i >= self.chips.size:
            raise ModelError(f"chip index {i} is out of range: {self.chips.size} chips were controlled")
        values = {key: float(x[i]) for key, x in self.values.items()}
        tuned = self.design.copy()
        knobs = knobs_of(tuned, list(values))
        for key, value in values.items():
            apply_knob(tuned.set, knobs[key], value)
        return ControlResult(self.controller, tuple(self.histories[i]), values, tuned)

    @property
    def reached(self):
        """Which chips' controllers report the target reached (from their own measurements; confirm on a fresh run,
        e.g. :func:`~neuromorph.yield_of` with ``closed_loop=`` the controller)."""
        return self.reached_at >= 0

    @property
    def reached_at(self):
        """Each chip's burst from which it stayed within the target (-1: never)."""
        out = [ControlResult(self.controller, tuple(h), {}, None).reached_at for h in self.histories]
        return np.array([-1 if x is None else x for x in out], dtype=np.int64)

    def __str__(self):
        reached = self.reached
        return (f"{self.chips.size} chips, each its own controller: {int(reached.sum())} reached "
                f"{self.controller.target}; median updates {np.median([sum(r[5] for r in h) for h in self.histories]):g}")


def _starts(ctrl, knobs, values, params, n):
    """Each chip's start of each knob: its ``params`` (a retuning's settings) where they set the knob's paths,
    else the design's; checked against the bounds."""
    out = {}
    for key, members in knobs.items():
        given = [path in params for path, _ in members]
        if any(given) and not all(given):
            raise ModelError(f"`params` sets some of the paths {key!r} moves and not the others")
        if not any(given):
            out[key] = np.full(n, values[key])
            continue
        weights = np.mean([w for _, w in members])
        out[key] = np.mean([np.broadcast_to(np.asarray(params[path], float), (n,)) for path, _ in members], 0) / weights
        lo, hi = ctrl.bounds[key]
        outside = np.flatnonzero((out[key] < lo) | (out[key] > hi))
        if outside.size:
            raise ModelError(f"{outside.size} chip(s) start {key!r} outside its bounds [{lo:g}, {hi:g}] (chip "
                             f"{int(outside[0])}: {out[key][outside[0]]:g}): widen the bounds")
    return out


def run_chips(ctrl, model, t_end, mismatch=None, chips=100, seed=0, i_app=0.0, dt=0.1, method="rk4", t_record=None,
              n_threads=None, progress=None, params=None):
    """:meth:`RhythmController.run_chips` (see there)."""
    from ..io.circuits import as_model
    from ..solve.ensemble import Ensemble

    design = as_model(model).copy()
    ids = chip_ids(chips)
    n = ids.size
    knobs, values = ctrl.prepare(design)
    for key, members in knobs.items():
        for path, _ in members:
            if path.endswith(".tau"):
                raise ModelError(f"{path!r}: a time constant cannot be adjusted per chip in an ensemble run")
    params = dict(params or {})
    start = _starts(ctrl, knobs, values, params, n)
    operating = float(np.asarray(i_app(0.0))) if callable(i_app) else check.real("i_app", i_app)
    jac = ctrl.design_jacobian(design, knobs, values, _design_current(design, operating))
    loops = [ctrl.loop(design, knobs, {key: float(x[c]) for key, x in start.items()}, jac=jac) for c in range(n)]
    driver = _Chips(loops, knobs, start)
    run = Ensemble(design, params=params or None, size=n).simulate(t_end, i_app=i_app, dt=dt, method=method, t_record=t_record,
                                            mismatch=mismatch, seed=seed, chips=ids, n_threads=n_threads,
                                            progress=progress, _control=driver)
    final = {key: np.array([loop.values[key] for loop in loops]) for key in knobs}
    settings = {path: np.broadcast_to(np.asarray(x, float), (n,)).copy() for path, x in params.items()}
    for key, members in knobs.items():
        for path, weight in members:
            settings[path] = weight * final[key]
    return ChipsControl(ctrl, ids, final, settings, [loop.history for loop in loops], run, design)


def _design_current(design, operating):
    """The ``i_app`` of ``design.simulate`` that runs the design as the ensemble runs it with ``operating``: a
    neuron's applied current (the ensemble's replaces its protocol's), or None for a network, whose nodes carry
    their own (the ensemble's would be added to each)."""
    if not getattr(design, "node_names", None):
        return operating
    if operating != 0.0:
        raise ModelError("a network's chips take their currents from their nodes' own `i_app`: give i_app=0 (or set "
                         "the nodes' currents on the model) when controlling networks in an ensemble")
    return None
