"""Reliability of event timing under noise and chip-to-chip variability (Monte Carlo over chips x trials).

The protocol of Kirby, Ribar and Sepulchre (2021), after Mainen and Sejnowski (1995): drive a
neuron (or a network) with the same input in every trial, with intrinsic noise fresh in every
trial and a frozen mismatch per chip, and measure how repeatable its spike times are. A
frozen fluctuating drive (an :class:`~neuromorph.model.stimulus.OUProcess` with a seed) gives
reliable timing; a constant drive of the same mean does not, once the noise acts.

The members are a :class:`~neuromorph.Study` of ``chips x trials``, run by the one runner
(:mod:`neuromorph.studies.runner`, in this process or on Dask): every member (chip ``c``, trial
``k``) runs in the ensemble engine with the noise of trial ``k`` on chip ``c`` and the parameters
of chip ``c``: the same seed gives the same bits at any thread count and chunking, and a member can
be re-run alone (``chips=[c]``, ``trials=[k]``).

Examples
--------
>>> import neuromorph as nm
>>> drive = nm.OUProcess(mean=0.0, sigma=0.5, tau=20, seed=1)
>>> rel = nm.reliability("tonic", drive, trials=4, chips=2, intrinsic=0.02, t_end=800, dt=0.05, seed=3)
>>> len(rel.spike_times), len(rel.spike_times[0])
(2, 4)
"""

import numbers
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import _validate as v
from ..analysis import reliability as metrics_of
from ..errors import Failure, ModelError, SimulationError, SolverError
from ..model.noise import WhiteNoise, as_noise_list
from ..model.variability import as_mismatch
from .runner import execute
from .spec import Study, how_many

__all__ = ["reliability", "ReliabilityResult"]


def _ids(name, value):
    """``trials=`` / ``chips=``: a count n (ids 0..n-1) or explicit ids."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return np.arange(v.count(name, value, 1, SolverError))
    try:
        ids = [v.count(f"{name} id", x, 0, SolverError) for x in value]
    except TypeError:
        raise SolverError(f"`{name}` must be a count or a sequence of ids, got {value!r}") from None
    if not ids or len(set(ids)) != len(ids):
        raise SolverError(f"`{name}` ids must be distinct and not empty, got {value!r}")
    return np.array(ids)


@dataclass(frozen=True, eq=False)
class ReliabilityResult:
    """Spike times of every chip and trial, and the metrics of their timing.

    It holds the members' results as a study's Dataset, :attr:`dataset`; the attributes below
    are views of it.

    Parameters
    ----------
    dataset : xarray.Dataset
        The members' results described under :attr:`dataset` (what :func:`reliability` builds; a
        result is seldom made by hand).
    settings : dict
        What ran (see :attr:`settings`).

    Attributes
    ----------
    dataset : xarray.Dataset
        Dimensions ``chip``, ``trial``, ``neuron`` and ``spike`` (as :func:`neuromorph.run_study`
        gives for the same members): ``spike_times`` (NaN-padded, after ``t_record``),
        ``spike_count``, ``status`` and ``reason`` (``"ok"`` or why the member failed), and ``t_failed``
        (when a member was found diverging; NaN for one that ran to the end).
    spike_times : list
        ``spike_times[c][k]``: spike times (after ``t_record``) of trial ``k`` on chip ``c`` (an
        array; for a network, a tuple with one array per neuron).
    chips, trials : ndarray
        The chip and trial ids of the rows.
    neuron_names : tuple of str
    t_record, t_end : float
    failures : dict
        ``{(chip, trial): reason}`` of members whose state diverged (kept out of the metrics), each a
        :class:`~neuromorph.errors.Failure` (``DIVERGING`` or ``NON_FINITE``).
    settings : dict
        What ran: drive, intrinsic noise, mismatch, dt, method, seed.

    Raises
    ------
    ModelError
        From :meth:`trains`, :meth:`metrics`, :meth:`metrics_json`, :meth:`psth` and :meth:`plot`,
        when ``neuron`` names no neuron of the result, or when ``sigma``, ``window``,
        ``burst_window`` or ``bin_width`` is not > 0.
    OutputError
        From :meth:`save`, when the archive cannot be written at ``path``.

    Examples
    --------
    >>> import neuromorph as nm
    >>> drive = nm.OUProcess(mean=-0.5, sigma=0.5, tau=20, seed=1)
    >>> rel = nm.reliability("tonic", drive, trials=3, chips=2, intrinsic=0.02, t_end=500, dt=0.1, seed=3)
    >>> rel.chips.tolist(), rel.trials.tolist(), rel.neuron_names, rel.t_record, rel.failures
    ([0, 1], [0, 1, 2], ('tonic_spiking',), 50.0, {})
    >>> dict(rel.dataset.sizes)
    {'chip': 2, 'trial': 3, 'neuron': 1, 'spike': 4096}
    >>> m = rel.metrics()
    >>> round(m["schreiber"], 1), round(m["event_reliability"], 1), m["undefined"]
    (0.9, 1.0, {})
    >>> edges, rate = rel.psth(bin_width=50.0)
    >>> edges.size, rate.size
    (10, 9)
    """

    dataset: object
    settings: dict

    @cached_property
    def spike_times(self):
        times, counts = self.dataset["spike_times"].values, self.dataset["spike_count"].values
        nn = times.shape[2]
        out = []
        for c in range(times.shape[0]):
            row = []
            for k in range(times.shape[1]):
                per_neuron = tuple(times[c, k, m, :counts[c, k, m]] for m in range(nn))
                row.append(per_neuron[0] if nn == 1 else per_neuron)
            out.append(row)
        return out

    @property
    def chips(self):
        return self.dataset["chip"].values

    @property
    def trials(self):
        return self.dataset["trial"].values

    @property
    def neuron_names(self):
        return tuple(self.dataset["neuron"].values.tolist())

    @property
    def t_record(self):
        return float(self.dataset.attrs["t_record"])

    @property
    def t_end(self):
        return float(self.dataset.attrs["t_end"])

    @cached_property
    def failures(self):
        reasons = self.dataset["reason"].values
        chips, trials = self.chips, self.trials
        return {(int(chips[c]), int(trials[k])): str(reasons[c, k]) for c, k in zip(*np.nonzero(reasons != "ok"),
                                                                                   strict=True)}

    def __repr__(self):
        n = sum(t.size for chip in self.trains() for t in chip)
        return (f"ReliabilityResult({len(self.chips)} chip(s) x {len(self.trials)} trial(s), t = [{self.t_record:g}, "
                f"{self.t_end:g}], {n} spikes" + (f", {len(self.failures)} failed" if self.failures else "") + ")")

    def trains(self, neuron=0):
        """``[chip][trial]`` spike arrays of one neuron (index or name)."""
        m = v.member(self.neuron_names, neuron)
        if len(self.neuron_names) == 1:
            return self.spike_times
        return [[trial[m] for trial in chip] for chip in self.spike_times]

    def metrics(self, neuron=0, sigma=None, window=None, t_start=None, burst_window=None):
        """Timing metrics within each chip (over its trials, then averaged) and across chips.

        Parameters
        ----------
        neuron : int or str
        sigma : float, optional
            Width of the Gaussian of Schreiber's reliability (default: 5 % of the median ISI).
        window : float, optional
            Largest gap inside one matched event (default ``3 sigma``).
        burst_window : float, optional
            The same for burst onsets (default ``10 window``).
        t_start : float, optional
            Analyse from here (default ``t_record``).

        Returns
        -------
        dict
            ``schreiber``, ``jitter``, ``precision``, ``event_reliability``, ``van_rossum``,
            ``burst_onset_jitter``, ``spikes_per_burst_spread``, ``count_std``: means over chips of
            the within-chip values (``*_per_chip`` arrays hold each chip's); ``schreiber_across_chips``
            and ``jitter_across_chips``: trial ``k`` of every chip compared with each other, averaged
            over ``k`` (the spread the chips add); ``sigma`` and ``window`` used. A metric that
            compares members is undefined, NaN, without two of them to compare (one trial per chip,
            one chip): ``undefined`` maps each such metric to the reason.
        """
        t0 = self.t_record if t_start is None else v.real("t_start", t_start)
        trains = [[t[t >= t0] for k, t in enumerate(chip) if (c, k) not in self._failed_pairs]
                  for c, chip in enumerate(self.trains(neuron))]
        all_isi = [np.diff(t) for chip in trains for t in chip if t.size > 1]
        median_isi = float(np.median(np.concatenate(all_isi))) if all_isi else 20.0
        sigma = 0.05 * median_isi if sigma is None else v.positive("sigma", sigma)
        window = 3.0 * sigma if window is None else v.positive("window", window)
        burst_window = 10.0 * window if burst_window is None else v.positive("burst_window", burst_window)
        per_chip = {key: [] for key in ("schreiber", "jitter", "precision", "event_reliability", "van_rossum",
                                        "burst_onset_jitter", "spikes_per_burst_spread", "count_std")}
        for chip in trains:
            timing = metrics_of.timing(chip, window)
            bursts = metrics_of.burst_timing(chip, t0, self.t_end, burst_window)
            per_chip["schreiber"].append(metrics_of.schreiber(chip, sigma))
            per_chip["van_rossum"].append(metrics_of.van_rossum(chip, 10.0 * sigma))
            for key in ("jitter", "precision", "event_reliability", "count_std"):
                per_chip[key].append(timing[key])
            for key in ("burst_onset_jitter", "spikes_per_burst_spread"):
                per_chip[key].append(bursts[key])
        out = {}
        for key, values in per_chip.items():
            arr = np.array(values, dtype=np.float64)
            out[key] = float(np.nanmean(arr)) if np.isfinite(arr).any() else float("nan")
            out[key + "_per_chip"] = arr
        across_s, across_j = [], []
        if len(trains) > 1:
            for k in range(min(len(chip) for chip in trains)):
                same_trial = [chip[k] for chip in trains]
                across_s.append(metrics_of.schreiber(same_trial, sigma))
                across_j.append(metrics_of.timing(same_trial, window)["jitter"])
        mean = lambda x: float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")  # noqa: E731
        out["schreiber_across_chips"] = mean(np.array(across_s + [np.nan]))
        out["jitter_across_chips"] = mean(np.array(across_j + [np.nan]))
        out["sigma"], out["window"], out["burst_window"] = sigma, window, burst_window
        out["undefined"] = self._undefined(trains, per_chip)
        return out

    def _undefined(self, trains, within):
        """``{metric: reason}`` of the metrics that lack two members to compare."""
        out = {}
        most = max((len(chip) for chip in trains), default=0)
        if most < 2:
            ran = "" if most == len(self.trials) else f" of the {len(self.trials)} that ran to the end"
            why = (f"{most} trial per chip{ran}: across-trial metrics need 2 or more" if most else
                   "no member ran to the end")
            out.update(dict.fromkeys(within, why))
        if len(trains) < 2 or min(len(chip) for chip in trains) == 0:
            out.update(dict.fromkeys(("schreiber_across_chips", "jitter_across_chips"),
                                     f"{len(trains)} chip: across-chip metrics need 2 or more" if len(trains) < 2
                                     else "a chip has no member that ran to the end"))
        return out

    def metrics_json(self, neuron=0, **options):
        """:meth:`metrics` as plain JSON data: arrays as lists, NaN (undefined) as None (``null``)."""
        return _json_safe(self.metrics(neuron=neuron, **options))

    @property
    def _failed_pairs(self):
        return {(int(np.flatnonzero(self.chips == c)[0]), int(np.flatnonzero(self.trials == k)[0]))
                for c, k in self.failures}

    def psth(self, bin_width=None, neuron=0):
        """``(edges, rate)`` over every chip and trial (spikes per unit time per member)."""
        trains = [t for chip in self.trains(neuron) for t in chip]
        bin_width = (self.t_end - self.t_record) / 200 if bin_width is None else v.positive("bin_width", bin_width)
        return metrics_of.psth(trains, self.t_record, self.t_end, bin_width)

    def save(self, path):
        """Write an ``.npz`` archive atomically: every member's spike times (``spikes`` with
        ``member_chip``, ``member_trial``, ``member_neuron`` and ``offsets`` into it), the settings and
        the metrics of each neuron (``metrics_json``). The same study gives the same bytes."""
        import json

        from ..io.files import atomic_write

        chunks, chip_of, trial_of, neuron_of = [], [], [], []
        for c, chip in enumerate(self.spike_times):
            for k, trial in enumerate(chip):
                for m, spikes in enumerate((trial,) if len(self.neuron_names) == 1 else trial):
                    chunks.append(spikes)
                    chip_of.append(self.chips[c])
                    trial_of.append(self.trials[k])
                    neuron_of.append(m)
        offsets = np.concatenate([[0], np.cumsum([x.size for x in chunks])]).astype(np.int64)
        metrics = {name: self.metrics_json(neuron=name) for name in self.neuron_names}
        settings = {k: repr(val) for k, val in self.settings.items()}

        def write(f):
            np.savez(f, spikes=np.concatenate(chunks) if chunks else np.empty(0), offsets=offsets,
                     member_chip=np.array(chip_of, np.int64), member_trial=np.array(trial_of, np.int64),
                     member_neuron=np.array(neuron_of, np.int64), neuron_names=np.array(self.neuron_names),
                     t_record=self.t_record, t_end=self.t_end,
                     failures=np.array([f"{c}:{k}:{r}" for (c, k), r in sorted(self.failures.items())], dtype=str),
                     metrics_json=json.dumps(metrics, sort_keys=True, allow_nan=False), settings_json=json.dumps(settings, sort_keys=True))

        atomic_write(path, write, binary=True)

    def plot(self, neuron=0, ax=None, drive=True):
        """Raster over chips and trials (one colour per chip) above the PSTH; returns the figure."""
        from ..ui.plotting import plot_reliability

        return plot_reliability(self, neuron=neuron, ax=ax, drive=drive)


def _json_safe(value):
    """``value`` with arrays as lists and non-finite floats as None: valid JSON (which has no NaN)."""
    if isinstance(value, dict):
        return {k: _json_safe(val) for k, val in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_safe(x) for x in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def reliability(model, drive, trials=10, chips=1, intrinsic=None, mismatch=None, t_end=5000.0, dt=0.05, seed=0,
                method="sra1", t_record=None, max_spikes=4096, n_threads=None, progress=None, client=None,
                scheduler=None, workers=None, timeout=10.0):
    """Run ``chips x trials`` members under ``drive`` and return their spike times and timing metrics.

    Parameters
    ----------
    model : Neuron, Network or preset name
    drive : float or Stimulus
        Applied current, the same in every trial and on every chip (for frozen input noise an
        ``OUProcess`` with a seed); added to each neuron's own ``i_app``.
    trials : int or sequence of int, default 10
    chips : int or sequence of int, default 1
        How many (ids 0..n-1), or which ids to run (a member re-run alone gives the same bits).
    intrinsic : float, WhiteNoise, OUProcess or list, optional
        Noise fresh in every trial: a number is white current noise of that intensity into every
        membrane (``nm.WhiteNoise(sigma)``). Default None: no intrinsic noise.
    mismatch : Mismatch or dict, optional
        Chip-to-chip variability (:class:`neuromorph.Mismatch`); chip ``c`` is its draw ``c``.
        Default None: every chip nominal.
    t_end : float, default 5000.0
        Duration of each member's run (dimensionless time).
    dt : float, default 0.05
        Fixed step of the stochastic method.
    seed : int, default 0
        One seed for everything random: the intrinsic noise and the chips' draws.
    method : {"sra1", "euler_maruyama"} or an alias, default "sra1"
    t_record : float, optional
        Spikes before it are a transient and not kept (default: ``t_end / 10``).
    max_spikes : int, default 4096
        Spike times kept per member and neuron.
    n_threads : int, optional
        Threads of an in-process run (default: all cores); see :class:`neuromorph.Ensemble`.
    progress : bool, optional
        Progress bar on stderr (default None: automatic for long runs on a terminal).
    client : distributed.Client, optional
    scheduler : str, optional
    workers : int, optional
    timeout : float, default 10.0
        Run the members on Dask: a ``distributed.Client``, a scheduler address (waited for
        ``timeout`` seconds), or a number of local worker processes (:func:`neuromorph.run_study`).
        The result is the same bit for bit. None of the three (the default): in this process.

    Returns
    -------
    ReliabilityResult
        Every member's spike times after ``t_record`` and the settings; its :meth:`~ReliabilityResult.metrics`
        compute the timing metrics.

    Raises
    ------
    SimulationError
        If every member diverged (the message says why when ``dt`` is beyond the stability limit).
    CircuitFileError
        If ``model`` is a string that names no preset or readable circuit file.
    ModelError
        If ``model`` is not a neuron, a network or a name; if ``intrinsic`` or ``mismatch`` is not a
        valid noise or spread (a negative intensity, an unknown spread); or if a member fired more than
        ``max_spikes`` spikes.
    StimulusError
        If ``drive`` is not a number or a Stimulus.
    SolverError
        If ``trials`` or ``chips`` is not a count >= 1 or a non-empty sequence of distinct ids >= 0;
        ``t_end`` or ``dt`` is not > 0; ``t_record`` is negative or not < ``t_end``; ``seed`` is not an
        integer in [0, 2**64); ``max_spikes`` < 1; ``method`` is not a stochastic ensemble method; ``dt``
        is far beyond the method's stability limit; the members' results would not fit in memory; or
        ``client``, ``scheduler``, ``workers`` and ``timeout`` are misused (more than one of the
        first three, a malformed address, ``workers`` < 1).
    ClusterError
        If the Dask scheduler cannot be reached (or has no workers) within ``timeout`` seconds, or the
        cluster loses the study.

    Notes
    -----
    Memory is estimated from the counts before anything is allocated; a ``dt`` far beyond the
    method's stability limit is refused before any work (:mod:`neuromorph.solve.stability`).
    Members that diverged (while others did not) are kept out of the metrics and listed in
    ``failures``, with a ``NeuromorphWarning`` when the step is the cause.

    Examples
    --------
    Three trials on each of two chips that differ by 5 % in their gains, under one frozen
    fluctuating drive: the trials of a chip agree, the chips less so.

    >>> import neuromorph as nm
    >>> drive = nm.OUProcess(mean=-0.5, sigma=0.5, tau=20, seed=1)
    >>> rel = nm.reliability("tonic", drive, trials=3, chips=2, intrinsic=0.02, mismatch={"gain": 0.05},
    ...                      t_end=500, dt=0.1, seed=3, max_spikes=64)
    >>> len(rel.spike_times), len(rel.spike_times[0]), rel.settings["method"]
    (2, 3, 'sra1')
    >>> m = rel.metrics()
    >>> m["schreiber"] > 0.9, m["schreiber_across_chips"] < 0.5
    (True, True)
    """
    from ..lower.compile import as_compiled_model
    from ..solve.ensemble import per_copy_bytes, run_bytes
    from ..solve.solvers import require

    seed = v.seed("seed", seed, SolverError)
    max_spikes = v.count("max_spikes", max_spikes, 1, SolverError)
    n_k, n_c = how_many("trials", trials, SolverError), how_many("chips", chips, SolverError)
    compiled = as_compiled_model(model)
    n = n_c * n_k
    v.memory("trials" if n_k >= n_c else "chips", per_copy_bytes(compiled, n) + run_bytes(compiled, n, max_spikes,
             mismatch=mismatch is not None), SolverError,
             what=f"{n_c} chip(s) x {n_k} trial(s) = {n:.3g} members with {max_spikes} spike times each")
    trial_ids = _ids("trials", trials)
    chip_ids = _ids("chips", chips)
    if isinstance(intrinsic, numbers.Real) and not isinstance(intrinsic, bool):
        intrinsic = WhiteNoise(intrinsic)
    sources = as_noise_list(intrinsic)
    spread = as_mismatch(mismatch)
    t_end = v.positive("t_end", t_end, SolverError)
    t_record = t_end / 10.0 if t_record is None else v.nonnegative("t_record", t_record, SolverError)
    if t_record >= t_end:
        raise SolverError(f"`t_record` ({t_record:g}) must be < `t_end` ({t_end:g})")
    method = require(method, "ensemble", noise=True).name  # (the protocol is one of noise: a stochastic method)
    study = Study(model, chips=chip_ids, trials=trial_ids, drive=drive,
                  noise=sources or None, mismatch=spread, t_end=t_end, t_record=t_record, dt=dt, method=method,
                  seed=seed, spikes=max_spikes)
    ds = execute(study, client=client, scheduler=scheduler, workers=workers, timeout=timeout, progress=progress,
                 n_threads=n_threads, label="ensemble", failure_times=True)
    n_c, n_k = chip_ids.size, trial_ids.size
    reasons = ds["reason"].values
    failures = {(int(chip_ids[c]), int(trial_ids[k])): Failure(str(reasons[c, k]))
                for c, k in zip(*np.nonzero(reasons != Failure.OK), strict=True)}
    cause = study.divergence_cause(np.flatnonzero(ds["status"].values.ravel() > 0)) if failures else None
    if len(failures) == n:
        reasons = ", ".join(sorted(set(failures.values())))
        t_failed = float(np.nanmin(ds["t_failed"].values))
        first = "" if np.isnan(t_failed) else f", the first at t = {t_failed:.6g}"
        raise SimulationError(f"every member ({n_c} chip(s) x {n_k} trial(s)) diverged ({reasons}{first}): "
                              + (cause or "no member stayed bounded: the model (on these chips) lacks a restoring "
                                          "conductance strong enough for its currents"),
                              t=t_failed, reason=Failure.DIVERGING)
    if failures and cause is not None:
        from ..errors import NeuromorphWarning

        v.warn(f"{len(failures)} of {n} members diverged: {cause}", NeuromorphWarning)
    counts = ds["spike_count"].values
    if np.any(counts > max_spikes):
        raise ModelError(f"some members fired more than max_spikes = {max_spikes} spikes: raise max_spikes")
    settings = {"drive": drive, "intrinsic": sources, "mismatch": spread, "dt": dt, "method": method, "seed": seed}
    return ReliabilityResult(dataset=_dataset(ds, settings), settings=settings)


def _dataset(ds, settings):
    """The members' results of the study's Dataset ``ds`` (dimensions ``chip``, ``trial``, ``neuron``, ``spike``)
    that a reliability result holds."""
    out = ds[["spike_times", "spike_count", "status", "reason", "t_failed"]]
    out.attrs = {"t_record": float(ds.attrs["t_record"]), "t_end": float(ds.attrs["t_end"]),
                 "method": settings["method"], "seed": settings["seed"], "dt": settings["dt"]}
    return out
