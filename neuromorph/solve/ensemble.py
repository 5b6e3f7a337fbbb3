"""Many independent copies of a neuron or a network that differ in parameters, integrated together.

Copies run in SIMD lanes (:mod:`neuromorph._kernels.lanes`) with fixed-step
RK4 or Euler, on all cores: block ranges are handed to threads (the kernel
releases the GIL), so results are bit-identical whatever the thread count.
Only spike times (after ``t_record``) and final states are kept unless voltage
traces are asked for, so memory stays bounded for large parameter studies.
Every neuron of a network is recorded.

Examples
--------
Sweep the applied current of the tonic neuron:

>>> import numpy as np, neuromorph as nm
>>> ens = nm.Ensemble(nm.preset("tonic"), params={"i_app": np.linspace(-1.0, -0.5, 6)})
>>> res = ens.simulate(t_end=1000, dt=0.05, t_record=300)
>>> res.spike_counts.shape
(6,)
"""

import threading
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import _validate as v
from .._kernels import lanes
from .._kernels.notice import ready
from .._parallel import Workers, thread_count
from .._progress import Progress
from ..analysis.spikes import settled_window, spike_summary
from ..errors import ModelError, SolverError
from ..lower.compile import as_compiled_model
from ..lower.problem import copy_ids, prepare_copies, with_mismatch
from ..model.noise import as_noise_list
from .failures import lane_failure
from .noise_path import check_path_grid
from .solvers import get_solver

__all__ = ["Ensemble", "EnsembleResult", "run_bytes", "per_copy_bytes", "LANE_STEPS_PER_SECOND"]

_PER_COPY = ("st_rate", "el_gain", "el_off", "act_k", "act_off", "thresholds", "hysteresis", "i_bias")
_FIELD = ("st_rate", "el_gain", "el_off", "act_k", "act_off")  # the per-copy arrays the Jacobian depends on
_PROBES = 16  # copies whose stability limit is computed before a run (evenly spread over the ensemble)
LANE_STEPS_PER_SECOND = 2e7
"""Neuron-steps per second and core of the lanes kernel (benchmarks/BENCHMARKS.md: ~2.1e7 with RK4): the time
estimate of long runs, an order of magnitude."""
_WARN_SECONDS = 3600.0  # runs estimated to take longer than this say so before they start


def per_copy_bytes(model, size):
    """Bytes of the per-copy parameters of ``size`` copies of the compiled ``model`` (what an :class:`Ensemble` holds)."""
    return 8.0 * size * sum(getattr(model.arrays, name).size for name in _PER_COPY)


def run_bytes(model, size, max_spikes=512, n_samples=0, n_ou=0, mismatch=False):
    """Bytes :meth:`Ensemble.simulate` allocates for ``size`` copies of the compiled ``model``, beside the
    per-copy parameters: trial and chip ids, states (and their OU noise), statuses, spike counts and times,
    runaway bounds, spike detectors' arming, ``n_samples`` voltage samples per neuron (and the result's copy of them), and with
    ``mismatch`` a second set of per-copy parameters (each chip's draw)."""
    nn = model.n_neurons
    words = (4 + 2 * (model.n_states + n_ou) + 5 * nn + nn * max_spikes + 2 * nn * n_samples
             + (per_copy_bytes(model, 1) / 8.0 if mismatch else 0))
    return 8.0 * size * words


def warn_if_long(n_members, n_steps, n_neurons, threads, what):
    """Warn before a run of ``n_members`` x ``n_steps`` fixed steps estimated to take over an hour."""
    seconds = n_members * float(n_steps) * n_neurons / (LANE_STEPS_PER_SECOND * max(1, threads))
    if seconds > _WARN_SECONDS:
        from ..errors import NeuromorphWarning

        hours = seconds / 3600.0
        span = f"{hours:.3g} hours" if hours < 48 else f"{hours / 24:.3g} days"
        v.warn(f"{what} is {n_members:.3g} members x {n_steps:.3g} steps: roughly {span} on {threads} thread(s) "
               f"(at ~{LANE_STEPS_PER_SECOND:.0e} neuron-steps per second per thread)", NeuromorphWarning)
_SLICE_SECONDS = 0.25  # target duration of one time slice over all copies (Ctrl-C latency, progress updates)


_NAMED = {}  # (neuron names, state names) -> their xarray Coordinates, indexes built (kept for the next result)


def _named_coords(neuron_names, state_names):
    """The ``neuron`` and ``state`` coordinates of a result, with their indexes: built once per model's names and
    shared by its results (indexes do not change; building them was half of a 1000-copy result's ~0.6 ms)."""
    import xarray as xr

    key = (neuron_names, state_names)
    if key not in _NAMED:
        if len(_NAMED) >= 64:
            _NAMED.clear()
        _NAMED[key] = xr.Coordinates({"neuron": np.array(neuron_names), "state": np.array(state_names)})
    return _NAMED[key]


def _reasons(status):
    """The failure reason of each lane status, as strings (one conversion per distinct status)."""
    codes, where = np.unique(np.asarray(status), return_inverse=True)
    return np.array([str(lane_failure(code)) for code in codes], dtype=str)[where.reshape(-1)]


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """Outcome of :meth:`Ensemble.simulate`.

    It holds the copies as an xarray Dataset in a study's form, :attr:`dataset`; the attributes below are views
    of it. For a single neuron the arrays have one row per copy; for a network, ``counts`` and ``times`` hold
    every neuron (use ``neuron=`` in :meth:`spikes` and :meth:`summary`).

    Parameters
    ----------
    dataset : xarray.Dataset
        The copies in the layout of :attr:`dataset` (as :meth:`Ensemble.simulate` makes it; a result is
        rarely built by hand).
    estimates : EnsembleEstimates, optional
        Every copy's estimated gains, from a run with ``observer=``
        (:class:`~neuromorph.estimation.lanes.EnsembleEstimates`); None otherwise.

    Attributes
    ----------
    dataset : xarray.Dataset
        Dimensions ``member`` (the copies; each parameter that was set is a coordinate along it), ``neuron``,
        ``state``, ``spike`` and, with traces, ``time``; variables ``spike_count``, ``spike_times``, ``status``
        with ``reason``, ``t_failed``, ``final_state`` and, with traces, ``v``; ``attrs`` ``t_record``,
        ``t_end``, ``cause`` (``""`` if none) and, if the run was given ``t_record``, ``settled_from``.
        :meth:`to_dataset` adds the summaries.
    counts : ndarray of int, shape (n_neurons, n)
        Spikes of each neuron of each copy at or after ``t_record``.
    times : ndarray, shape (n_neurons, n, max_spikes)
        The first ``max_spikes`` of them, NaN-padded.
    final_state : ndarray, shape (n, n_states)
        NaN for a copy that diverged.
    state_names, neuron_names : tuple of str
    t : ndarray or None
        Sample times of the traces.
    traces : ndarray or None, shape (n_neurons, n, len(t))
        Membrane voltage traces (if ``save_every`` was given).
    t_record, t_end : float
    params : dict
        The per-copy parameter values that were set.
    status : ndarray of int, shape (n,)
        Each copy's :attr:`~neuromorph.errors.Failure.code`: 0 (``Failure.OK``) for a copy that ran to the end,
        1 (``NON_FINITE``) or 2 (``DIVERGING``) for one that diverged; :attr:`failures` gives the reasons.
    settled_from : float or None
        Where summaries start (``t_record`` if it was given; else the second half of the run).
    cause : str or None
        Why copies diverged, when known: a ``dt`` beyond the method's stability limit.
    t_failed : ndarray of float, shape (n,)
        When each copy was found diverging (the end of that step); NaN for a copy that ran to the end.

    Raises
    ------
    ModelError
        From :meth:`spikes`, :meth:`summary` and :meth:`summaries`: for a copy index that is not an
        integer in ``[-n, n)``, a neuron not in ``neuron_names``, or a ``t_start`` before ``t_record``
        (the spikes before it were not kept). The constructor checks nothing.

    Examples
    --------
    >>> import neuromorph as nm
    >>> res = nm.Ensemble("tonic", params={"i_app": [-1.0, -0.6]}).simulate(600, dt=0.05, t_record=300)
    >>> res
    EnsembleResult(2 copies of 1 neuron, t = [0, 600], 10 spikes after t_record = 300)
    >>> res.spike_counts.tolist(), res.failed.tolist(), res.dataset["spike_count"].dims
    ([0, 10], [False, False], ('member', 'neuron'))
    >>> s = res.summary(1)
    >>> s["pattern"], round(s["isi_mean"], 1), s["t_start"]
    ('tonic', 30.3, 300.0)
    """

    dataset: object
    estimates: object = None

    @classmethod
    def _of(cls, counts, times, final_state, state_names, t, traces, t_record, t_end, params, status,
            settled_from=None, neuron_names=("neuron",), cause=None, t_failed=None, estimates=None):
        """The result holding these arrays (in the layout of the attributes) as its Dataset, without copying them."""
        import xarray as xr

        members, neurons = ("member",), ("member", "neuron")
        size = counts.shape[1]
        data = {"spike_count": (neurons, counts.T), "spike_times": ((*neurons, "spike"), times.transpose(1, 0, 2)),
                "status": (members, status),
                "reason": (members, _reasons(status)),
                "t_failed": (members, np.full(size, np.nan) if t_failed is None else t_failed),
                "final_state": ((*members, "state"), final_state)}
        named = _named_coords(tuple(neuron_names), tuple(state_names))
        variables, indexes = dict(named.variables), dict(named.xindexes)
        variables.update({path: xr.Variable(members, np.broadcast_to(values, (size,)).copy())
                          for path, values in params.items()})
        if traces is not None:
            data["v"] = ((*neurons, "time"), traces.transpose(1, 0, 2))
            times_of = xr.Coordinates({"time": t})
            variables.update(times_of.variables)
            indexes.update(times_of.xindexes)
        ds = xr.Dataset(data, coords=xr.Coordinates(variables, indexes=indexes))
        ds.attrs.update(t_record=t_record, t_end=t_end, cause=cause or "")
        if settled_from is not None:
            ds.attrs["settled_from"] = settled_from
        return cls(ds, estimates)

    def _values(self, name):
        return self.dataset.variables[name].values

    @cached_property
    def counts(self):
        return self._values("spike_count").T

    @cached_property
    def times(self):
        return self._values("spike_times").transpose(1, 0, 2)

    @cached_property
    def status(self):
        return self._values("status")

    @property
    def final_state(self):
        return self._values("final_state")

    @property
    def t_failed(self):
        return self._values("t_failed")

    @property
    def traces(self):
        return self._values("v").transpose(1, 0, 2) if "v" in self.dataset.data_vars else None

    @property
    def t(self):
        return self._values("time") if "time" in self.dataset.coords else None

    @property
    def state_names(self):
        return tuple(self._values("state").tolist())

    @property
    def neuron_names(self):
        return tuple(self._values("neuron").tolist())

    @property
    def params(self):
        return {str(path): c.values for path, c in self.dataset.coords.items() if c.dims == ("member",)}

    @property
    def t_record(self):
        return self.dataset.attrs["t_record"]

    @property
    def t_end(self):
        return self.dataset.attrs["t_end"]

    @property
    def settled_from(self):
        return self.dataset.attrs.get("settled_from")

    @property
    def cause(self):
        return self.dataset.attrs["cause"] or None

    @property
    def size(self):
        return self.dataset.sizes["member"]

    def __repr__(self):
        failed = int(np.count_nonzero(self.failed))
        return (f"EnsembleResult({self.size} copies of {len(self.neuron_names)} neuron"
                f"{'s' if len(self.neuron_names) > 1 else ''}, t = [0, {self.t_end:g}], "
                f"{int(self.counts.sum())} spikes after t_record = {self.t_record:g}"
                + (f", {failed} diverged" if failed else "") + ")")

    @property
    def spike_counts(self):
        """Spikes per copy, shape (n,) (for a network: (n, n_neurons))."""
        return self.counts[0] if self.counts.shape[0] == 1 else self.counts.T

    @property
    def spike_times(self):
        """Stored spike times, shape (n, max_spikes) (for a network: (n, n_neurons, max_spikes))."""
        return self.times[0] if self.times.shape[0] == 1 else self.times.transpose(1, 0, 2)

    @property
    def v(self):
        """Membrane voltage traces, shape (n, len(t)) (for a network: (n, n_neurons, len(t)))."""
        traces = self.traces
        if traces is None:
            return None
        return traces[0] if traces.shape[0] == 1 else traces.transpose(1, 0, 2)

    @property
    def failed(self):
        """Boolean array: copies whose state diverged (non-finite or growing without bound)."""
        return self.status != lanes.LANE_OK

    @property
    def failures(self):
        """``{copy index: reason}`` of the copies that diverged (:class:`~neuromorph.errors.Failure`:
        ``Failure.DIVERGING``, ``Failure.NON_FINITE``; equal to ``"diverging"``, ``"non-finite state"``)."""
        return {int(i): lane_failure(self.status[i]) for i in np.flatnonzero(self.failed)}

    def _copy(self, i):
        if isinstance(i, bool) or not isinstance(i, int | np.integer) or not -self.size <= i < self.size:
            raise ModelError(f"copy index must be an integer in [0, {self.size}), got {i!r}")
        return int(i) % self.size

    def _neuron(self, neuron):
        return v.member(self.neuron_names, neuron)

    @property
    def truncated(self):
        """Copies (rows) whose spikes did not all fit in the stored times (any neuron)."""
        return np.any(self.counts > self.times.shape[2], axis=0)

    def spikes(self, i, neuron=0):
        """Stored spike times of copy ``i`` (of one neuron of a network, by index or name)."""
        i, m = self._copy(i), self._neuron(neuron)
        return self.times[m, i, : min(self.counts[m, i], self.times.shape[2])]

    def summary(self, i, t_start=None, neuron=0):
        """Firing pattern and metrics of copy ``i`` over its settled window (see :func:`neuromorph.summarize_spikes`).

        The window starts at ``t_start`` if given, else at ``t_record`` if the run was given one,
        else halfway through the run (:func:`neuromorph.analysis.spikes.settled_window`). A copy
        that diverged has pattern ``"diverging"``.
        """
        i, m = self._copy(i), self._neuron(neuron)
        settled = self.settled_from if t_start is None else v.real("t_start", t_start)
        t0, t1 = settled_window(0.0, self.t_end, settled)
        if t0 < self.t_record:
            raise ModelError(f"`t_start` = {t0} precedes t_record = {self.t_record}: spikes before it were not kept")
        if self.status[i] != lanes.LANE_OK:
            out = spike_summary([], t0, t1)
            out["pattern"] = "diverging"
            return out
        spikes = self.spikes(i, m)
        if self.counts[m, i] > self.times.shape[2]:
            # The stored spikes end early: analyse only the window they cover.
            return spike_summary(spikes, t0, float(spikes[-1]))
        return spike_summary(spikes, t0, t1)

    def summaries(self, t_start=None, neuron=0):
        """Metrics of every copy as arrays: ``{"pattern": array of str, "burst_period": array, ...}``."""
        rows = [self.summary(i, t_start, neuron) for i in range(self.size)]
        out = {}
        for key in rows[0] if rows else ():
            values = [r[key] for r in rows]
            if key == "pattern":
                out[key] = np.array(values)
            else:
                out[key] = np.array([np.nan if x is None else x for x in values], dtype=np.float64)
        return out

    def to_dataset(self, t_start=None):
        """The copies as an xarray Dataset, in the form of a study's results (:func:`neuromorph.run_study`).

        :attr:`dataset` (a shallow copy) with the summaries: variables ``pattern`` and every metric of
        :meth:`summaries` (over the same window, ``t_start`` as there) over ``member`` and ``neuron``, beside
        ``spike_count``, ``spike_times``, ``status`` (0 ok, 1 non-finite state, 2 diverging: the codes of a
        study) with ``reason``, ``t_failed``, ``final_state`` (over ``state``) and ``v``. ``attrs``:
        ``t_record``, ``t_end``, ``cause``.

        Examples
        --------
        >>> import neuromorph as nm
        >>> res = nm.Ensemble("tonic", params={"i_app": [-1.0, -0.6]}).simulate(600, dt=0.05)
        >>> ds = res.to_dataset()
        >>> ds["pattern"].dims, ds["pattern"].values.ravel().tolist()
        (('member', 'neuron'), ['rest', 'tonic'])
        """
        neurons = ("member", "neuron")
        per_neuron = [self.summaries(t_start, neuron=m) for m in range(len(self.neuron_names))]
        summaries = {key: (neurons, np.stack([s[key] for s in per_neuron], axis=1)) for key in per_neuron[0]
                     if key not in ("t_start", "t_end")}
        ds = self.dataset.assign(summaries)
        return ds[[*summaries, *self.dataset.data_vars]]


def _keep_samples(out_v, buffer, first, count, every, save_every):
    """Copy the samples of a slice's buffer (sample ``first + r`` in row ``r``, one every ``every`` steps) that
    fall every ``save_every`` steps into the run's traces ``out_v``."""
    k = (first + np.arange(count)) * every
    kept = np.flatnonzero(k % save_every == 0)
    out_v[k[kept] // save_every] = buffer[kept]


def filter_state(model, path):
    """The filter state whose time constant ``path`` names (``"slow.tau"``, or ``"ELEMENT.tau"`` of an
    element with a filter of its own), or None for any other path."""
    from .._kernels.layout import FILTER

    if not isinstance(path, str) or not path.endswith(".tau"):
        return None
    head = path[:-len(".tau")]
    a = model.arrays
    if head in model.state_names:
        k = model.state_names.index(head)
        if a.st_kind[k] != FILTER:
            raise ModelError(f"cannot vary {path!r}: {head!r} is a membrane (vary its 'C' instead)")
        return k
    element = model.elements.get(head + ".")
    if element is None or element.connects:
        return None  # the slot lookup reports it
    taus = [inp.tau for inp in element.inputs() if inp.tau > 0]
    if not taus:
        raise ModelError(f"cannot vary {path!r}: the element reads the membrane itself (tau = 0)")
    node = head.rsplit(".", 1)[0] if "." in head else None
    neuron = 0 if node is None else model.neuron_names.index(node)
    mem = a.mem_state[neuron]
    k = next(k for k in range(a.st_kind.size) if a.st_kind[k] == FILTER and a.st_src[k] == mem
             and abs(1.0 / a.st_rate[k] - taus[0]) <= 1e-12 * taus[0])
    readers = int(np.count_nonzero(a.el_in == k) + np.count_nonzero(a.act_in == k))
    if readers > 1:
        raise ModelError(f"cannot vary {path!r} on its own: its filter {model.state_names[k]!r} is shared by every "
                         f"element with tau = {taus[0]:g} in that neuron; vary '{model.state_names[k]}.tau' "
                         "(the filter's time constant, for all of them)")
    return k


def _checked(checker, path, values):
    """``values`` (an array) checked as :meth:`CompiledModel.check` checks one value."""
    from ..lower.compile import VALUE_CHECKS

    for value in np.unique(values):
        checker_path = path if values.size == 1 else f"{path} (a copy's value)"
        VALUE_CHECKS[checker](checker_path, float(value))
    return values


class Ensemble:
    """Independent copies of one neuron or network with per-copy parameters.

    Parameters
    ----------
    model : Neuron, Network or preset name
    params : dict, optional
        ``{path: values}`` with any parameter path of the model (``"slow_negative.alpha"``,
        ``"C"``, ``"threshold"``, ``"i_app"``; in a network ``"n1.i_app"``, ``"n1_to_n2.g"``, ...).
        Values are scalars or arrays of length ``size``. ``"i_app"`` is each neuron's constant
        applied current, added to the stimulus shared by all copies. Time constants vary per
        copy too: ``"FILTER.tau"`` for a filter state (``"slow.tau"``, ``"n1.ultraslow.tau"``: every
        element reading it follows), or ``"ELEMENT.tau"`` for an element whose filter is its own.
    size : int, optional
        Number of copies (default: the length of the parameter arrays).

    Raises
    ------
    ModelError
        If ``model`` is not a neuron, network, preset name or circuit file; if ``params`` is not a
        dict, names a parameter the model does not have (or a time constant that cannot vary on its
        own), or gives a value the parameter refuses (``C`` <= 0, a non-finite number); if a
        parameter's array length differs from ``size``; if ``size`` is not an integer >= 1, or
        the per-copy parameters would not fit in memory.
    CircuitFileError
        If ``model`` names an unknown preset or a circuit file that cannot be read.

    Examples
    --------
    Two applied currents, one below the tonic range:

    >>> import neuromorph as nm
    >>> ens = nm.Ensemble("tonic", params={"i_app": [-1.0, -0.6]})
    >>> ens.size, ens.params["i_app"].tolist()
    (2, [-1.0, -0.6])
    >>> ens.simulate(600, dt=0.05, t_record=300).summaries()["pattern"].tolist()
    ['rest', 'tonic']
    >>> nm.Ensemble("tonic", params={"C": 1.0}, size=3).size  # a scalar is every copy's value
    3
    """

    def __init__(self, model, params=None, size=None):
        self.neuron = model
        self.model = as_compiled_model(model)
        if params is not None and not isinstance(params, dict):
            raise ModelError(f"`params` must be a dict {{path: values}}, got {params!r}")
        params = dict(params or {})
        lengths = {k: np.size(val) for k, val in params.items() if np.ndim(val) > 0}
        if size is None:
            size = max(lengths.values()) if lengths else 1
        self.size = v.count("size", size, 1)
        for key, n in lengths.items():
            if n != self.size:
                raise ModelError(f"parameter {key!r} has {n} values; the ensemble has {self.size} copies")
        a = self.model.arrays
        n = self.size
        v.memory("size", per_copy_bytes(self.model, n), ModelError, what=f"per-copy parameters of {n} copies")
        self.per_copy = {name: np.repeat(getattr(a, name)[:, None], n, axis=1) for name in _PER_COPY}
        self._limits = {}  # stability limits already computed (:meth:`_stable_step`)
        self.params = {}
        for path, values in params.items():
            arr = np.broadcast_to(v.real_array(path, np.atleast_1d(values), 1), (n,)).astype(np.float64)
            state = filter_state(self.model, path)
            if state is not None:
                for value in np.unique(arr):
                    v.time_constant(f"{path} (a copy's value)" if arr.size > 1 else path, float(value), allow_zero=False)
                self.params[path] = arr.copy()
                self.per_copy["st_rate"][state] = 1.0 / arr
                continue
            checker, slots = self.model.slot(path, "vary across copies")
            self.params[path] = _checked(checker, path, arr).copy()
            for s in slots:
                self.per_copy[s.array][s.index] = s.encode(arr)

    def _ids(self, name, values, default):
        """Per-copy trial or chip numbers: integers in [0, 2**32)."""
        return copy_ids(name, values, default, self.size)

    def _copies(self, spread, seed, chip_ids):
        """The per-copy parameters with each copy's chip drawn from ``spread`` (a Mismatch or None)."""
        return with_mismatch(self.model, self.per_copy, spread, seed, chip_ids)

    def _stable_step(self, radius, pc, y, copies):
        """The largest of the stability limits (:func:`~neuromorph.solve.stability.stable_step`) of ``copies``
        (per-copy parameters ``pc``, states ``y``), or None if none has one."""
        from .stability import stable_step

        a, ns = self.model.arrays, self.model.n_states
        # Copies alike (most ensembles: the same parameters and start) are computed once, and kept for the next
        # call (a study or a sweep calls again with the same copies).
        known = self._limits
        if len(known) > 1024:
            known.clear()
        limits = {}
        for i in copies:
            key = (radius,) + tuple(pc[k][:, i].tobytes() for k in _FIELD) + (y[:ns, i].tobytes(),)
            if key not in limits:
                if key not in known:
                    known[key] = stable_step(a._replace(**{k: pc[k][:, i] for k in _FIELD}), y[:ns, i], radius)
                limits[key] = known[key]
        limits = [x for x in limits.values() if x is not None]
        return max(limits) if limits else None

    def simulate(self, t_end, i_app=0.0, dt=0.01, method=None, t_record=None, max_spikes=512, save_every=0,
                 y0=None, n_threads=None, progress=None, noise=None, seed=None, trials=None, chips=None,
                 mismatch=None, check_step=True, observer=None, estimate=None, _control=None):
        """Integrate every copy from t = 0 to ``t_end`` with fixed steps.

        Parameters
        ----------
        t_end : float
        i_app : float or Stimulus, default 0.0
            Stimulus shared by all copies and all neurons, added to each neuron's own
            ``i_app`` parameter (0 for a Neuron, the node's for a network, or the per-copy values).
        dt : float, default 0.01
        method : {"rk4", "euler", "sra1", "euler_maruyama"} or an alias, optional
            Default ``"rk4"``, ``"sra1"`` with noise (the methods whose engines include
            ``"ensemble"`` in :mod:`neuromorph.solve.solvers`).
        t_record : float, optional
            Spikes before this time (a transient) are not recorded, and summaries start here.
            Default: every spike is recorded and summaries discard the first half of the run
            (:func:`neuromorph.analysis.spikes.settled_window`).
        max_spikes : int, default 512
            Spike times stored per copy and neuron (all are counted).
        save_every : int, default 0
            If > 0, keep every neuron's membrane voltage every ``save_every`` steps.
        y0 : array_like, optional
            Initial state, shape (n_states,) or (n, n_states).
        n_threads : int, optional
            Threads (default: all cores).
        progress : bool or None
            A bar over the run's time (or an object whose ``update(t)`` is called with the time reached, as a
            study's runner passes to follow its chunks).
        noise : WhiteNoise, OUProcess or list of them, optional
            Intrinsic noise (:mod:`neuromorph.model.noise`), fresh for every copy: copy ``i`` is
            trial ``trials[i]`` on chip ``chips[i]``, and draws exactly the noise a single run
            with that seed, trial and chip draws.
        seed : int, optional
            Seed of the noise (needed with ``noise``).
        trials, chips : array_like of int, optional
            Trial and chip number of each copy (default: trial ``i`` for copy ``i``, chip 0).
        mismatch : Mismatch or dict, optional
            Chip-to-chip variability: copy ``i`` gets draw ``chips[i]`` of it (seeded by ``seed``),
            applied to its own parameters, so parameter grids x chips x trials run in one ensemble.
        check_step : bool, default True
            Refuse a ``dt`` so far beyond the method's stability limit that every copy would diverge
            (:mod:`neuromorph.solve.stability`) before the run, and name the limit when copies
            diverge with ``dt`` beyond it. False leaves both to the caller (a study checks its
            whole grid once, not each chunk).
        observer : AdaptiveObserver, optional
            Estimate every copy's gains while it runs: one adaptive observer per copy reads the copy's
            membrane voltage every ``k`` steps (the largest ``k`` with ``k dt <= h_max``, at least 1), its
            applied current and its design values (the parameters above, before ``mismatch``), as it would
            read a chip's; ``EnsembleResult.estimates`` holds the estimates
            (:class:`~neuromorph.estimation.lanes.EnsembleEstimates`). The observers run on the same
            threads, slice by slice, in SIMD lanes as the copies do.
        estimate : list of str, optional
            The gains the observers estimate (default: every gain; the others are taken at their design
            values).

        A copy whose state diverges (non-finite, or a membrane voltage growing without bound)
        does not stop the others: it is frozen, recorded in ``EnsembleResult.status`` and its
        summary pattern is ``"diverging"``; when ``dt`` is beyond the stability limit of the copies
        that diverged, a :class:`~neuromorph.errors.NeuromorphWarning` says so. Memory is
        estimated before anything is allocated; a run estimated to take more than an hour
        warns first. Ctrl-C stops the run within about a second.

        Returns
        -------
        EnsembleResult

        Raises
        ------
        SolverError
            If ``t_end`` or ``dt`` is not a finite number > 0, ``t_record`` is negative or not below
            ``t_end``, ``max_spikes`` < 1 or ``save_every`` < 0; if ``method`` does not run in
            ensembles (or is not stochastic with ``noise``); if ``noise`` or ``mismatch`` comes without
            ``seed``, ``y0``, ``trials`` or ``chips`` has the wrong shape or values; if the run would
            not fit in memory; with ``check_step``, if ``dt`` is so far beyond the method's
            stability limit that every copy would diverge; if ``observer`` is not an
            AdaptiveObserver, ``estimate`` comes without it, or ``save_every`` is not a multiple of the
            observer's sampling (``k`` above).
        StimulusError
            If ``i_app`` is not a valid current.
        ModelError
            If ``mismatch`` is not a valid spread, or ``estimate`` names a path that is not a gain.
        """
        t_end = v.positive("t_end", t_end, SolverError)
        dt = v.positive("dt", dt, SolverError)
        settled_from = None if t_record is None else v.nonnegative("t_record", t_record, SolverError)
        if settled_from is not None and settled_from >= t_end:
            raise SolverError(f"`t_record` ({settled_from:g}) must be < `t_end` ({t_end:g})")
        t_record = 0.0 if settled_from is None else settled_from
        max_spikes = v.count("max_spikes", max_spikes, 1, SolverError)
        save_every = v.count("save_every", save_every, 0, SolverError)
        m = self.model
        n, ns, nn = self.size, m.n_states, m.n_neurons
        n_steps = int(np.ceil(t_end / dt - 1e-9))
        n_samples = n_steps // save_every + 1 if save_every else 0
        v.memory("save_every", 16.0 * n_samples * n * nn, SolverError,
                 what=f"voltage traces of {n} copies x {nn} neurons x {n_samples} samples")
        v.memory("max_spikes", 8.0 * max_spikes * n * nn, SolverError,
                 what=f"spike storage of {n} copies x {nn} neurons x {max_spikes}")
        v.memory("size", run_bytes(m, n, max_spikes, n_samples, mismatch=mismatch is not None), SolverError,
                 what=f"the states, spikes and traces of {n} copies")
        sources = as_noise_list(noise)
        solver = get_solver(method, dt=dt, engine="ensemble", noise=bool(sources))
        run_lanes, kernel_method = solver.kernel("ensemble"), solver.kernel_id
        if sources and t_end / dt >= 2 ** 32 - 1:
            raise SolverError(f"a noisy run counts its steps in 32 bits: t_end / dt = {t_end / dt:.3g} is beyond 2**32")
        copies = prepare_copies(m, self.per_copy, i_app=i_app, noise=noise, seed=seed, trials=trials, chips=chips,
                                y0=y0, mismatch=mismatch, horizon=t_end)
        pc, y, stim, noise_arrays = copies.per_copy, copies.y, copies.stim, copies.noise
        check_path_grid(noise_arrays, dt, 0.0, 0.0, t_end, stim.jumps)
        if observer is not None and not hasattr(observer, "watch"):
            raise SolverError(f"`observer` must be an nm.AdaptiveObserver, got {type(observer).__name__}")
        if estimate is not None and observer is None:
            raise SolverError("`estimate` names gains for an observer: give `observer=nm.AdaptiveObserver(...)` too")
        watch = None if observer is None else observer.watch(self.neuron, estimate, m, self.per_copy, dt, t_end, stim)
        every = save_every
        if watch is not None:
            every = watch.every
            if save_every % every:
                raise SolverError(f"`save_every` ({save_every}) must be a multiple of the observer's sampling, every "
                                  f"{every} steps (h_max / dt)")
        trial_ids, chip_ids, armed, bounds = copies.trials, copies.chips, copies.armed, copies.bounds
        t_spikes = t_record
        if _control is not None:  # every copy's own controller (neuromorph.control): it reads each slice's spikes
            # from t = 0 and may change a copy's parameters between slices; it hands back those at or after
            # t_record at the end
            pc = _control.begin(m, pc, chip_ids, t_record, max_spikes)
            t_spikes = 0.0
        probes = np.unique(np.linspace(0, n - 1, min(n, _PROBES)).astype(np.int64))
        if check_step:
            from .stability import refuse_beyond

            refuse_beyond(dt, solver.name, self._stable_step(solver.stability_radius, pc, y, probes),
                          "every copy" if n > 1 else "the run")
        warn_if_long(n, n_steps, nn, thread_count(n_threads), "this ensemble")
        out_v = np.zeros((max(n_samples, 1), nn, n))
        if watch is not None:  # the kernel writes each slice's samples into a buffer the observers read
            buffer = np.zeros((min(watch.slice_rows(nn), n_steps // every + 1), nn, n))
            if save_every:
                out_v[0] = y[m.arrays.mem_state]
            watch.begin(y[m.arrays.mem_state])
        spk_count = np.zeros((nn, n), dtype=np.int64)
        spk_t = np.full((nn, n, max_spikes), np.nan)
        status = np.zeros(n, dtype=np.int64)
        t_failed = np.full(n, np.nan)
        n_blocks = -(-n // lanes.LANES)
        t_reached = np.zeros(n_blocks)
        initial = y[:ns].copy()  # (the run overwrites y: why copies diverged is asked of where they started)
        local = threading.local()
        clock = {"t": 0.0, "k": 0}

        def run(block_range, stop):
            if stop.is_set():
                return
            work = getattr(local, "work", None)
            if work is None:
                work = local.work = solver.work(m.arrays, noise_arrays, "ensemble")
            b0, b1 = block_range
            if watch is None:
                first, out = 0, out_v
            else:
                first, out = clock["first"], buffer[:clock["samples"].size]
            args = (kernel_method, noise_arrays, b0, b1, m.arrays, stim, dt, 0.0, clock["t"], clock["k"],
                    clock["k_stop"], t_end, t_spikes, pc["st_rate"], pc["el_gain"], pc["el_off"], pc["act_k"],
                    pc["act_off"], pc["thresholds"], pc["hysteresis"], pc["i_bias"], bounds, trial_ids, chip_ids,
                    y, armed, status, t_failed, spk_count, spk_t, every, first, out, t_reached, work)
            ready(run_lanes, args)
            run_lanes(*args)
            if watch is not None:
                watch.run(b0, b1, clock["samples"], out)

        with Workers(n_threads) as workers:
            chunk = max(1, min(8, n_blocks // (4 * workers.n_threads) or 1))
            ranges = [(b, min(b + chunk, n_blocks)) for b in range(0, n_blocks, chunk)]
            own_bar = not hasattr(progress, "update")
            bar = Progress(0.0, t_end, label="ensemble", enabled=progress) if own_bar else progress
            # Time slices of about _SLICE_SECONDS each: Ctrl-C and progress act between them. The
            # slicing never changes the result (each slice resumes the exact steps).
            slice_steps = max(1, min(n_steps, 1000))
            try:
                while clock["k"] < n_steps:
                    started = time.perf_counter()
                    if watch is not None:  # a slice's samples fit the buffer
                        slice_steps = min(slice_steps, buffer.shape[0] * every - clock["k"] % every)
                    if _control is not None:  # controllers act a fraction of a period after a burst, at the
                        # same times whatever the machine's speed or the other chips of the run: fixed slices
                        slice_steps = max(1, int(round(_control.slice_time / dt)))
                    clock["k_stop"] = min(clock["k"] + slice_steps, n_steps)
                    if watch is not None:
                        clock["first"], clock["samples"] = watch.samples(clock["k"], clock["k_stop"])
                    workers.run(run, ranges)
                    if watch is not None:
                        watch.end_slice(clock["samples"])
                        if save_every:
                            _keep_samples(out_v, buffer, clock["first"], clock["samples"].size, every, save_every)
                    clock["t"], clock["k"] = float(t_reached[0]), clock["k_stop"]
                    if _control is not None:
                        _control.end_slice(clock["t"], spk_count, spk_t, status)
                    bar.update(clock["t"])
                    elapsed = time.perf_counter() - started
                    slice_steps = int(min(max(slice_steps * _SLICE_SECONDS / max(elapsed, 1e-6), 1),
                                          4 * slice_steps))
            finally:
                if own_bar:
                    bar.close()
        if _control is not None:
            _control.finish(spk_count, spk_t)
        failed = np.flatnonzero(status != lanes.LANE_OK)
        cause = None
        if failed.size and check_step:
            from ..errors import NeuromorphWarning
            from .stability import beyond_limit

            probes = failed[np.unique(np.linspace(0, failed.size - 1, min(failed.size, _PROBES)).astype(np.int64))]
            cause = beyond_limit(dt, solver.name, self._stable_step(solver.stability_radius, pc, initial, probes))
            if cause is not None:
                v.warn(f"{failed.size} of {n} copies diverged: {cause}", NeuromorphWarning)
        t_samples = dt * save_every * np.arange(n_samples) if save_every else None
        if t_samples is not None:
            t_samples[-1] = min(t_samples[-1], t_end)
        estimates = None if watch is None else watch.report(status != lanes.LANE_OK)
        return EnsembleResult._of(
            estimates=estimates, counts=spk_count, times=spk_t, final_state=y[:ns].T.copy(), state_names=m.state_names,
            t=t_samples, traces=out_v[:n_samples].transpose(2, 1, 0).copy().transpose(1, 0, 2) if save_every else None,
            t_record=t_record, t_end=t_end, params={k: val.copy() for k, val in self.params.items()},
            status=status, settled_from=settled_from, neuron_names=m.neuron_names, cause=cause, t_failed=t_failed,
        )
