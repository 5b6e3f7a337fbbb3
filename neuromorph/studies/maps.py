"""Behaviour maps: the firing pattern over a grid of one or two parameters.

A map is a :class:`~neuromorph.Study` of single runs (``engine="single"``): its grid is the map's
axes, y outermost, and it runs through the one runner (:func:`neuromorph.studies.runner.execute`),
in this process on a pool of threads (the kernels release the GIL) or on Dask. Each cell is one
adaptive simulation (DP5 by default: for these slow-fast neurons ~4 times cheaper than fixed-step
RK4 at dt = 0.05); only per-cell metrics are kept. Next to the simulated pattern, each cell also
gets the pattern predicted from the I-V curves alone
(:func:`neuromorph.analysis.iv.predict_behaviour`; the cells of a row, which differ only in ``i_app``,
together: :func:`~neuromorph.analysis.iv.predict_behaviours`), worked out by one of the runner's threads
while the others simulate. The result, :class:`BehaviourMap`, is the study's xarray Dataset with the
map's accessors.

Parameters are ``"i_app"`` or ``"ELEMENT.FIELD"`` paths (``"slow_negative.alpha"``,
``"ultraslow_positive.delta"``, ``"C"``).
"""

from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .._parallel import thread_count
from ..analysis.iv import predict_behaviours, steady_curve
from ..analysis.spikes import PATTERNS, settled_window
from ..errors import Failure, ModelError, SimulationError, SolverError
from ..io.files import atomic_write
from .member import METRICS, Axis, check_cells_memory, parse_axis, run_cell, step_limit
from .runner import execute
from .spec import Study

__all__ = ["Axis", "BehaviourMap", "behaviour_map", "parse_axis", "run_cell", "step_limit"]

_MEMBER_DIMS = ("chip", "trial", "neuron")  # the dimensions of a study's Dataset that are not the map's grid


@dataclass(frozen=True, eq=False)
class BehaviourMap:
    """Per-cell firing patterns and metrics on a 1-D or 2-D parameter grid.

    It holds the map's study results, :attr:`dataset`; every other attribute is a view of it.
    Arrays have shape ``(len(y), len(x))`` (``(1, len(x))`` for a 1-D map). For a network,
    every neuron is recorded: ``patterns`` and each metric carry a leading neuron axis, the
    plain attributes (``pattern``, ``burst_period``, ...) are the first neuron's, and
    :meth:`of` gives the map of any neuron.

    Parameters
    ----------
    dataset : xarray.Dataset
        The study results described under :attr:`dataset` (what :func:`behaviour_map` builds; a
        map is seldom made by hand).

    Attributes
    ----------
    dataset : xarray.Dataset
        What :func:`neuromorph.run_study` gives for the map's :class:`~neuromorph.Study`:
        dimensions the y path (if any), the x path, ``chip`` and ``trial`` (one each) and
        ``neuron``; variables ``pattern``, the metrics, ``spike_count``, ``status`` and
        ``reason``; and ``predicted`` over the grid when the map was predicted.
    x, y : Axis (y may be None)
    pattern : ndarray of str
        Simulated pattern (rest / tonic / bursting / irregular / diverging).
    predicted : ndarray of str or None
        Pattern predicted from the I-V curves (rest / tonic / bursting / bistable / diverging /
        unknown); single neurons only.
    burst_period, spikes_per_burst, isi_mean, intra_burst_isi, duty_cycle, firing_rate, n_spikes : ndarray
        Metrics over ``[t_transient, t_end]`` (NaN where they do not apply); ``period`` is
        ``burst_period``.
    metrics : dict
        ``{metric: array}`` of the first neuron.
    t_end, t_transient : float
    patterns : ndarray of str, shape (n_neurons, len(y), len(x))
    neuron_metrics : dict
        ``{metric: array of shape (n_neurons, len(y), len(x))}``.
    neuron_names : tuple of str

    Raises
    ------
    ModelError
        From :meth:`of`, when ``neuron`` names no neuron of the map; from :meth:`agreement`, when
        the map has no predictions (``predict=False``, or a network).
    OutputError
        From :meth:`save`, when the archive cannot be written at ``path`` (no such folder, no
        permission).

    Examples
    --------
    A 2 x 2 map of the tonic neuron, in short runs:

    >>> import neuromorph as nm
    >>> m = nm.behaviour_map("tonic", x=("i_app", -1.0, 0.0, 2), y=("slow_positive.alpha", 1.5, 2.5, 2),
    ...                      t_end=500)
    >>> m
    BehaviourMap(slow_positive.alpha[2] x i_app[2], 1 neuron(s): rest 1, tonic 3)
    >>> m.shape, m.x.name, m.y.values.tolist(), m.t_transient
    ((2, 2), 'i_app', [1.5, 2.5], 250.0)
    >>> m.pattern.tolist()
    [['rest', 'tonic'], ['tonic', 'tonic']]
    >>> m.predicted.tolist() == m.pattern.tolist(), m.agreement()
    (True, 1.0)
    >>> float(m.n_spikes[0, 0]), m.counts()["tonic"]
    (0.0, 3)
    >>> BehaviourMap(m.dataset).pattern.tolist() == m.pattern.tolist()  # the map is a view of its Dataset
    True
    """

    dataset: object

    def __repr__(self):
        axes = " x ".join(f"{a.name}[{len(a)}]" for a in (self.y, self.x) if a is not None)
        found = ", ".join(f"{p} {n}" for p, n in self.counts().items() if n)
        return f"BehaviourMap({axes}, {len(self.neuron_names)} neuron(s): {found})"

    # -- the grid ---------------------------------------------------------------------------------
    @property
    def _grid(self):
        """The grid's dimensions, y (if any) then x."""
        return [d for d in self.dataset["pattern"].dims if d not in _MEMBER_DIMS]

    def _axis(self, name):
        return Axis(name=name, values=self.dataset[name].values)

    @property
    def x(self):
        return self._axis(self._grid[-1])

    @property
    def y(self):
        grid = self._grid
        return self._axis(grid[0]) if len(grid) == 2 else None

    def _cells(self, name):
        """Variable ``name`` as an array of shape (n_neurons, len(y), len(x))."""
        ds = self.dataset
        ny = ds.sizes[self._grid[0]] if len(self._grid) == 2 else 1
        return ds[name].values.reshape(ny, ds.sizes[self._grid[-1]], ds.sizes["neuron"]).transpose(2, 0, 1)

    # -- what the cells hold ----------------------------------------------------------------------
    @property
    def patterns(self):
        return self._cells("pattern")

    @property
    def pattern(self):
        return self.patterns[0]

    @property
    def neuron_metrics(self):
        return {k: self._cells(k) for k in METRICS}

    @property
    def metrics(self):
        """``{metric: array}`` of the first neuron."""
        return {k: self._cells(k)[0] for k in METRICS}

    @property
    def burst_period(self):
        return self._cells("burst_period")[0]

    period = burst_period

    @property
    def spikes_per_burst(self):
        return self._cells("spikes_per_burst")[0]

    @property
    def isi_mean(self):
        return self._cells("isi_mean")[0]

    @property
    def intra_burst_isi(self):
        return self._cells("intra_burst_isi")[0]

    @property
    def duty_cycle(self):
        return self._cells("duty_cycle")[0]

    @property
    def firing_rate(self):
        return self._cells("firing_rate")[0]

    @property
    def n_spikes(self):
        return self._cells("n_spikes")[0]

    @property
    def predicted(self):
        if "predicted" not in self.dataset:
            return None
        return self.dataset["predicted"].values.reshape(self.shape)

    @property
    def t_end(self):
        return float(self.dataset.attrs["t_end"])

    @property
    def t_transient(self):
        return float(self.dataset.attrs["t_record"])

    @property
    def neuron_names(self):
        return tuple(self.dataset["neuron"].values.tolist())

    def of(self, neuron):
        """The map of one neuron of a network (by name or index)."""
        m = v.member(self.neuron_names, neuron)
        one = self.dataset.isel(neuron=[m])
        return BehaviourMap(one if m == 0 else one.drop_vars("predicted", errors="ignore"))

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
    x, y : tuple or str
        ``(PARAM, lo, hi, n)``, ``(PARAM, values)`` or ``"PARAM:lo:hi:n"``; PARAM is
        ``"i_app"`` or ``"ELEMENT.FIELD"``. ``y`` is optional (default None: a 1-D map).
    t_end : float, default 20000
        Duration of each cell's run (dimensionless time, membrane time constants).
    t_transient : float, optional
        Metrics are computed over ``[t_transient, t_end]`` (default ``t_end / 2``: the rule every
        summary follows, :func:`neuromorph.analysis.spikes.settled_window`).
    i_app : float, optional
        Applied current of a neuron where ``i_app`` is not an axis (default 0). A network's
        nodes keep their own (map over ``"NODE.i_app"`` to vary them).
    method : str or Solver, default "dopri5"
        Solver (see :func:`neuromorph.simulate`); a Solver object may carry only ``rtol``, ``atol``
        and ``dt`` (a study is data).
    rtol, atol : float, optional
        Tolerances of an adaptive method (default: the method's own).
    dt : float, optional
        Step of a fixed-step method (default: the method's own).
    predict : bool, default True
        Also predict each cell's pattern from its I-V curves (single neurons only).
    n_threads : int, optional
        Threads (default: all cores).
    progress : bool, optional
        Progress bar on stderr (default None: automatic for long maps on a terminal).
    max_steps : int, default 50_000_000
        Step limit of each cell's simulation.
    client : distributed.Client, optional
    scheduler : str, optional
    workers : int, optional
    timeout : float, default 10.0
        Run the cells on Dask: a ``distributed.Client``, a scheduler address (waited for
        ``timeout`` seconds), or a number of local worker processes (:func:`neuromorph.run_study`).
        The map is the same bit for bit. None of the three (the default): in this process.

    Returns
    -------
    BehaviourMap

    Raises
    ------
    CircuitFileError
        If ``neuron`` is a string that names no preset or readable circuit file.
    ModelError
        If ``neuron`` is not a neuron, a network or a name; if an axis is malformed (not
        ``(PARAM, lo, hi, n)``, ``(PARAM, values)`` or ``"PARAM:lo:hi:n"``, ``lo >= hi``, no values),
        names no parameter of the model, or holds a value the parameter refuses; if ``x`` and ``y``
        vary the same parameter; if ``i_app`` is given for a network; or if the grid's results would
        not fit in memory.
    SolverError
        If ``t_end`` is not > 0, ``t_transient`` is negative or not < ``t_end``, ``method`` is unknown
        or given options it does not take, ``max_steps`` < 1, a fixed step ``dt`` is far beyond the
        method's stability limit (every cell would diverge); if more than one of ``client``,
        ``scheduler`` and ``workers`` is given, ``client`` is not a Dask client, ``scheduler`` is not
        an address, ``workers`` < 1 or ``timeout`` not > 0.
    ClusterError
        If the Dask scheduler cannot be reached (or has no workers) within ``timeout`` seconds, or the
        cluster loses the map's tasks.
    SimulationError
        If a cell needs more than ``max_steps`` steps or its solver fails (reason
        ``Failure.TOO_MANY_STEPS`` or ``Failure.SOLVER_FAILED``); a cell that diverges does not raise.

    Notes
    -----
    A cell whose state diverges gets pattern ``"diverging"`` (the map goes on); Ctrl-C stops
    the map within about a second (queued cells are dropped) and raises ``KeyboardInterrupt``.

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
    groups = _prediction_groups(neuron, cells, cell_values) if predict else None
    predicted = []

    def predictions(stop):  # beside the simulations (the runner's first task), rather than before them
        predicted.append(_predictions(neuron, groups, (ny, nx), stop))

    grid = {a.name: a.values for a in (y_axis, x_axis) if a is not None}  # y outermost: rows are y
    drive = defaults.get("i_app", 0.0) if "i_app" not in grid else 0.0
    study = Study(neuron, grid=grid, t_end=t_end, t_record=t_transient, engine="single", max_steps=max_steps,
                  drive=drive, **_solver_options(method, solver, rtol, atol, dt))
    ds = execute(study, client=client, scheduler=scheduler, workers=workers, progress=progress, timeout=timeout,
                 n_threads=n_threads, label="behaviour map", alongside=predictions if predict else None)
    failed = ds["reason"].values.ravel()
    for reason in (Failure.TOO_MANY_STEPS, Failure.SOLVER_FAILED):  # a cell that cannot be run stops the map
        if np.any(failed == reason.value):  # (not one that diverges)
            cell = np.flatnonzero(failed == reason.value)[0]
            raise SimulationError(f"a map cell failed ({reason}; cell {cell} in row-major order): raise "
                                  f"max_steps or change the method", float("nan"), reason)
    diverged = int(np.count_nonzero(ds["status"].values > 0))
    if diverged and limit is not None:
        from ..errors import NeuromorphWarning
        from ..solve.stability import beyond_limit

        cause = beyond_limit(solver.dt, solver.name, limit)
        if cause is not None:
            v.warn(f"{diverged} of {len(cells)} cells diverged: {cause}", NeuromorphWarning)
    if predicted:
        ds["predicted"] = (list(grid), predicted[0].reshape(tuple(a.size for a in grid.values())))
    return BehaviourMap(ds)


def _prediction_groups(neuron, cells, cell_values):
    """The cells ``(iy, ix)`` of a map (their parameters ``cell_values(iy, ix)``) grouped by their parameters other
    than ``i_app``: ``[(those parameters, cells, currents)]``, each a row of the usual I_app x gain map. Every value
    is set on a copy of ``neuron`` here, so that one the neuron refuses is refused before any simulation runs."""
    groups = {}
    for iy, ix in cells:
        values = cell_values(iy, ix)
        current = values.pop("i_app", 0.0)
        key = tuple(sorted(values.items()))
        groups.setdefault(key, (values, [], []))
        groups[key][1].append((iy, ix))
        groups[key][2].append(current)
    work = neuron.copy()
    for values, _, _ in groups.values():
        for path, value in values.items():
            work.set(path, value)
    return list(groups.values())


def _predictions(neuron, groups, shape, stop):
    """The pattern each cell of ``groups`` (:func:`_prediction_groups`) is predicted from its I-V curves, as an
    array of ``shape``: a group's cells share their steady-state curve and are predicted together
    (:func:`neuromorph.analysis.iv.predict_behaviours`), each as :func:`~neuromorph.analysis.iv.predict_behaviour`
    alone would; ``"unknown"`` where the curves say nothing. ``stop`` (a ``threading.Event``), set, ends the work
    with ``KeyboardInterrupt`` at the next group (the map was stopped)."""
    predicted = np.empty(shape, dtype=object)
    work = neuron.copy()
    for values, members, currents in groups:
        if stop.is_set():
            raise KeyboardInterrupt
        for path, value in values.items():
            work.set(path, value)
        rows, cols = np.array(members).T
        try:
            predicted[rows, cols] = predict_behaviours(work, currents, steady=steady_curve(work), strict=False)
        except ModelError:  # the curves say nothing here (no conductance at all): the map goes on
            predicted[rows, cols] = "unknown"
    return predicted.astype(str)


def _solver_options(method, solver, rtol, atol, dt):
    """The solver of a map as a study's options (a study is data: a method name, ``rtol``, ``atol``, ``dt``)."""
    from ..solve.solvers import Solver

    if not isinstance(method, Solver):
        return {"method": solver.name, "rtol": rtol, "atol": atol, "dt": dt}
    if getattr(solver, "h_max", np.inf) != np.inf or getattr(solver, "h0", None) is not None:
        raise SolverError(f"a behaviour map's solver options are rtol, atol and dt; got {solver!r} (h_max, h0)")
    return {"method": solver.name, "rtol": getattr(solver, "rtol", None), "atol": getattr(solver, "atol", None),
            "dt": getattr(solver, "dt", None)}
