"""Behaviour maps: the firing pattern over a grid of one or two parameters.

Each cell is one adaptive simulation (DP5 by default: for these slow-fast
neurons ~4 times cheaper than fixed-step RK4 at dt = 0.05), run on all cores:
cells go to a thread pool and the kernels release the GIL.
Only per-cell metrics are kept. Next to the simulated pattern, each cell also
gets the pattern predicted from the I-V curves alone
(:func:`neuromorph.analysis.iv.predict_behaviour`).

Parameters are ``"i_app"`` or ``"ELEMENT.FIELD"`` paths (``"slow_negative.alpha"``,
``"ultraslow_positive.delta"``, ``"C"``).
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .._parallel import Workers, thread_count
from .._progress import Progress
from ..analysis.iv import predict_behaviour, steady_curve
from ..analysis.spikes import PATTERNS, settled_window
from ..errors import Failure, ModelError, SimulationError, SolverError
from ..io.files import atomic_write
from .member import METRICS, Axis, check_cells_memory, parse_axis, run_cell, step_limit

__all__ = ["Axis", "BehaviourMap", "behaviour_map", "parse_axis", "run_cell", "step_limit"]

@dataclass(frozen=True, eq=False)
class BehaviourMap:
    """Per-cell firing patterns and metrics on a 1-D or 2-D parameter grid.

    Arrays have shape ``(len(y), len(x))`` (``(1, len(x))`` for a 1-D map). For a network,
    every neuron is recorded: ``patterns`` and each metric carry a leading neuron axis, the
    plain attributes (``pattern``, ``burst_period``, ...) are the first neuron's, and
    :meth:`of` gives the map of any neuron.

    Attributes
    ----------
    x, y : Axis (y may be None)
    pattern : ndarray of str
        Simulated pattern (rest / tonic / bursting / irregular / diverging).
    predicted : ndarray of str or None
        Pattern predicted from the I-V curves (rest / tonic / bursting / bistable / diverging /
        unknown); single neurons only.
    burst_period, spikes_per_burst, isi_mean, intra_burst_isi, duty_cycle, firing_rate, n_spikes : ndarray
        Metrics over ``[t_transient, t_end]`` (NaN where they do not apply).
    t_end, t_transient : float
    patterns : ndarray of str, shape (n_neurons, len(y), len(x))
    neuron_names : tuple of str
    """

    x: Axis
    y: Axis | None
    patterns: np.ndarray
    predicted: np.ndarray | None
    neuron_metrics: dict
    t_end: float
    t_transient: float
    neuron_names: tuple = ("neuron",)

    @property
    def pattern(self):
        return self.patterns[0]

    @property
    def metrics(self):
        """``{metric: array}`` of the first neuron."""
        return {k: val[0] for k, val in self.neuron_metrics.items()}

    def __getattr__(self, name):
        metrics = self.__dict__.get("neuron_metrics", {})
        if name in metrics:
            return metrics[name][0]
        if name == "period":
            return metrics["burst_period"][0]
        raise AttributeError(name)

    def of(self, neuron):
        """The map of one neuron of a network (by name or index)."""
        names = self.neuron_names
        m = v.member(names, neuron)
        return dataclasses.replace(self, patterns=self.patterns[m:m + 1], neuron_names=(names[m],),
                                   neuron_metrics={k: val[m:m + 1] for k, val in self.neuron_metrics.items()},
                                   predicted=self.predicted if m == 0 else None)

    @property
    def shape(self):
        return self.pattern.shape

    def agreement(self):
        """Fraction of cells where the simulated pattern is the predicted one.

        A cell predicted ``"bistable"`` agrees with any regular simulated pattern (rest,
        tonic, bursting): which state the run settles in depends on where it starts.
        """
        if self.predicted is None:
            raise ModelError("this map was computed without predictions (predict=False, or a network)")
        return float(np.mean(self.agrees()))

    def agrees(self):
        """Boolean array: simulated pattern consistent with the I-V prediction."""
        same = self.pattern == self.predicted
        bistable = (self.predicted == "bistable") & np.isin(self.pattern, ("rest", "tonic", "bursting"))
        return same | bistable

    def save(self, path):
        """Write an ``.npz`` archive atomically (first neuron's metrics as ``metric_*``, every neuron's as
        ``neuron_metric_*`` with ``neuron_names``)."""

        def write(f):
            arrays = {f"metric_{k}": val[0] for k, val in self.neuron_metrics.items()}
            arrays.update({f"neuron_metric_{k}": val for k, val in self.neuron_metrics.items()})
            np.savez_compressed(
                f, x_name=self.x.name, x=self.x.values, y_name=self.y.name if self.y else "",
                y=self.y.values if self.y else np.empty(0), pattern=self.pattern, patterns=self.patterns,
                neuron_names=np.array(self.neuron_names),
                predicted=self.predicted if self.predicted is not None else np.empty(0, dtype=str),
                t_end=self.t_end, t_transient=self.t_transient, **arrays,
            )

        atomic_write(path, write, binary=True)

    def counts(self):
        """``{pattern: number of cells}``."""
        return {p: int(np.sum(self.pattern == p)) for p in PATTERNS}


def behaviour_map(neuron, x, y=None, t_end=20_000.0, t_transient=None, i_app=None, method="dopri5", rtol=None,
                  atol=None, dt=None, predict=True, n_threads=None, progress=None, max_steps=50_000_000, client=None,
                  scheduler=None, workers=None, timeout=10.0):
    """Simulate ``neuron`` on a grid of one or two parameters and classify every cell.

    Parameters
    ----------
    neuron : Neuron, Network or preset name
    x, y : axis
        ``(PARAM, lo, hi, n)``, ``(PARAM, values)`` or ``"PARAM:lo:hi:n"``; PARAM is
        ``"i_app"`` or ``"ELEMENT.FIELD"``. ``y`` is optional (1-D map).
    t_end : float, default 20000
    t_transient : float, optional
        Metrics are computed over ``[t_transient, t_end]`` (default ``t_end / 2``: the rule every
        summary follows, :func:`neuromorph.analysis.spikes.settled_window`).
    i_app : float, optional
        Applied current of a neuron where ``i_app`` is not an axis (default 0). A network's
        nodes keep their own (map over ``"NODE.i_app"`` to vary them).
    method, rtol, atol, dt :
        Solver options (see :func:`neuromorph.simulate`).
    predict : bool, default True
        Also predict each cell's pattern from its I-V curves.
    n_threads : int, optional
        Threads (default: all cores).
    progress : bool or None
        Progress bar on stderr (None: automatic for long maps on a terminal).
    max_steps : int, default 50_000_000
        Step limit of each cell's simulation.
    client, scheduler, workers, timeout : optional
        Run the cells on Dask: a ``distributed.Client``, a scheduler address (waited for
        ``timeout`` seconds), or a number of local worker processes (:func:`neuromorph.run_study`).
        The map is the same bit for bit.

    A cell whose state diverges gets pattern ``"diverging"`` (the map goes on); Ctrl-C stops
    the map within about a second (queued cells are dropped) and raises ``KeyboardInterrupt``.

    Returns
    -------
    BehaviourMap

    Examples
    --------
    >>> import neuromorph as nm
    >>> m = nm.behaviour_map(nm.preset("bursting"), x=("i_app", -3.0, 0.0, 4), t_end=10_000)
    >>> m.pattern.tolist()
    [['rest', 'bursting', 'bursting', 'tonic']]
    """
    from ..solve.solvers import get_solver

    x_axis = parse_axis(x, "x")
    y_axis = None if y is None else parse_axis(y, "y")
    t_end = v.positive("t_end", t_end, SolverError)
    t_transient = None if t_transient is None else v.nonnegative("t_transient", t_transient, SolverError)
    t_transient, _ = settled_window(0.0, t_end, t_transient)
    if t_transient >= t_end:
        raise SolverError(f"`t_transient` ({t_transient}) must be < `t_end` ({t_end})")
    solver = get_solver(method, rtol=rtol, atol=atol, dt=dt)
    max_steps = v.count("max_steps", max_steps, 1, SolverError)
    n_threads = thread_count(n_threads)
    if y_axis is not None and y_axis.name == x_axis.name:
        raise ModelError(f"`x` and `y` both vary {x_axis.name!r}: give two different parameters (or only `x`)")
    ny = 1 if y_axis is None else len(y_axis)
    nx = len(x_axis)
    check_cells_memory(nx * ny, f"{nx} x {ny}", "x" if y_axis is None else "x and y")

    from ..model.neuron import Neuron
    from ..lower.compile import as_compiled_model

    from ..io.circuits import as_model

    neuron = as_model(neuron)
    base = as_compiled_model(neuron)
    single = isinstance(neuron, Neuron)
    axes = [a for a in (x_axis, y_axis) if a is not None]
    for axis in axes:
        base.slot(axis.name, "map over")
    defaults = {}
    if i_app is not None:
        if not single:
            raise ModelError("`i_app` of a network map: set each node's current in the network, or map over "
                             "'NODE.i_app'")
        defaults["i_app"] = v.real("i_app", i_app)
    predict = predict and single

    def cell_values(iy, ix):
        values = dict(defaults)
        values[x_axis.name] = float(x_axis.values[ix])
        if y_axis is not None:
            values[y_axis.name] = float(y_axis.values[iy])
        return values

    cells = [(iy, ix) for iy in range(ny) for ix in range(nx)]
    limit = None if solver.adaptive else step_limit(base, len(cells), lambda i: cell_values(*cells[i]),
                                                    solver.stability_radius)
    if limit is not None:
        from ..solve.stability import refuse_beyond

        refuse_beyond(solver.dt, solver.name, limit, "every cell")
    predicted = None
    if predict:
        predicted = np.empty((ny, nx), dtype=object)
        work = neuron.copy()
        steady_cache = {}
        for iy, ix in cells:
            values = cell_values(iy, ix)
            current = values.pop("i_app", 0.0)
            for path, value in values.items():
                work.set(path, value)
            key = tuple(sorted(values.items()))
            try:
                if key not in steady_cache:  # the steady curve does not depend on I_app: one per parameter set
                    steady_cache.clear()
                    steady_cache[key] = steady_curve(work)
                predicted[iy, ix] = predict_behaviour(work, current, steady=steady_cache[key], strict=False)
            except ModelError:  # the curves say nothing here (no conductance at all): the map goes on
                predicted[iy, ix] = "unknown"
        predicted = predicted.astype(str)

    nn = base.n_neurons
    if client is not None or scheduler is not None or workers is not None:
        from .sweep import Study, run_study

        grid = {a.name: a.values for a in (y_axis, x_axis) if a is not None}  # y outermost: rows are y
        drive = defaults.get("i_app", 0.0) if "i_app" not in grid else 0.0
        study = Study(neuron, grid=grid, t_end=t_end, t_record=t_transient, method=method, engine="single", dt=dt,
                      rtol=rtol, atol=atol, max_steps=max_steps, drive=drive)
        ds = run_study(study, client=client, scheduler=scheduler, workers=workers, progress=progress, timeout=timeout)
        failed = ds["reason"].values.ravel()
        for reason in (Failure.TOO_MANY_STEPS, Failure.SOLVER_FAILED):  # as in-process: the cell's error stops the map
            if np.any(failed == reason.value):
                cell = np.flatnonzero(failed == reason.value)[0]
                raise SimulationError(f"a map cell failed ({reason}; cell {cell} in row-major order): raise "
                                      f"max_steps or change the method", float("nan"), reason)
        patterns = ds["pattern"].values.reshape(ny, nx, nn).transpose(2, 0, 1)
        metrics = {k: ds[k].values.reshape(ny, nx, nn).transpose(2, 0, 1).copy() for k in METRICS}
        return BehaviourMap(x=x_axis, y=y_axis, patterns=patterns.astype(str), predicted=predicted,
                            neuron_metrics=metrics, t_end=t_end, t_transient=t_transient,
                            neuron_names=base.neuron_names)
    patterns = np.empty((nn, ny, nx), dtype=object)
    metrics = {k: np.full((nn, ny, nx), np.nan) for k in METRICS}

    def run(iy, ix, stop):
        cell_patterns, cell_metrics, _ = run_cell(base, cell_values(iy, ix), solver, t_end, t_transient, max_steps,
                                                  stop)
        patterns[:, iy, ix] = cell_patterns
        for k in METRICS:
            metrics[k][:, iy, ix] = cell_metrics[k]

    def run_chunk(chunk, stop):
        for iy, ix in chunk:
            if stop.is_set():
                return
            run(iy, ix, stop)

    chunks = [cells[i:i + 8] for i in range(0, len(cells), 8)]
    bar = Progress(0, len(cells), label="behaviour map", enabled=progress)
    try:
        with Workers(n_threads) as workers:
            workers.run(run_chunk, chunks, on_done=lambda k: bar.update(min(8 * k, len(cells))))
    finally:
        bar.close()

    diverged = int(np.count_nonzero(np.any(patterns == "diverging", axis=0)))
    if diverged and limit is not None:
        from ..errors import NeuromorphWarning
        from ..solve.stability import beyond_limit

        cause = beyond_limit(solver.dt, solver.name, limit)
        if cause is not None:
            v.warn(f"{diverged} of {len(cells)} cells diverged: {cause}", NeuromorphWarning)
    return BehaviourMap(x=x_axis, y=y_axis, patterns=patterns.astype(str), predicted=predicted,
                        neuron_metrics=metrics, t_end=t_end, t_transient=t_transient, neuron_names=base.neuron_names)

