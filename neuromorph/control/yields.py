"""Yield: the fraction of chips whose rhythm meets a specification under mismatch, with its confidence interval.

Each chip is a copy of the model with its own draw of a :class:`~neuromorph.Mismatch` (chip ``i`` draws what
any other run of chip ``i`` with the same seed draws), run in the ensemble engine; its rhythm is measured by the
package's spike analysis (:meth:`Rhythm.check`). Intervals: Wilson's score interval (default) or the exact
Clopper-Pearson interval, as in analog design centering (MODEL.md, "Estimation and control").
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from ..spice.montecarlo import DeviceMismatch
from .chips import chip_ids
from .controller import RhythmController
from .rhythm import Rhythm, RhythmReport

__all__ = ["yield_of", "YieldResult", "yield_interval", "chips_needed", "retune", "Retuning"]

INTERVALS = ("wilson", "clopper-pearson")


def _z(confidence):
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2.0))


def _confidence(confidence):
    confidence = check.real("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise ModelError(f"`confidence` must lie in (0, 1), got {confidence!r}")
    return confidence


def yield_interval(passed, chips, confidence=0.95, method="wilson"):
    """Two-sided confidence interval of a yield of ``passed`` chips out of ``chips``.

    Parameters
    ----------
    passed, chips : int
        Chips that met the specification, and chips tried (>= 1).
    confidence : float, default 0.95
    method : {"wilson", "clopper-pearson"}, default "wilson"
        Wilson's score interval, or the exact (conservative) Clopper-Pearson interval from the beta distribution.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Raises
    ------
    ModelError
        If the counts are not integers with ``0 <= passed <= chips`` and ``chips >= 1``, ``confidence`` is not in
        (0, 1), or ``method`` is unknown.

    Examples
    --------
    >>> import neuromorph as nm
    >>> [round(x, 4) for x in nm.yield_interval(950, 1000)]
    [0.9347, 0.9619]
    """
    chips = check.count("chips", chips, 1)
    passed = check.count("passed", passed, 0)
    if passed > chips:
        raise ModelError(f"`passed` ({passed}) cannot exceed `chips` ({chips})")
    confidence = _confidence(confidence)
    if method not in INTERVALS:
        raise ModelError(f"unknown interval `method` {method!r}; choose one of {', '.join(INTERVALS)}")
    if method == "clopper-pearson":
        from scipy.stats import beta

        a = 1.0 - confidence
        low = 0.0 if passed == 0 else float(beta.ppf(a / 2, passed, chips - passed + 1))
        high = 1.0 if passed == chips else float(beta.ppf(1 - a / 2, passed + 1, chips - passed))
        return low, high
    z = _z(confidence)
    p = passed / chips
    centre = (p + z * z / (2 * chips)) / (1 + z * z / chips)
    half = z / (1 + z * z / chips) * math.sqrt(p * (1 - p) / chips + z * z / (4 * chips * chips))
    return max(0.0, centre - half), min(1.0, centre + half)


def chips_needed(half_width, yield_=0.5, confidence=0.95):
    """Chips a Monte Carlo needs for a yield interval of ``+- half_width`` at ``confidence`` (normal approximation,
    ``z^2 p (1 - p) / half_width^2``).

    Parameters
    ----------
    half_width : float
        Half the width of the interval wanted, in (0, 0.5].
    yield_ : float, default 0.5
        The yield expected (0.5 is the worst case).
    confidence : float, default 0.95

    Returns
    -------
    int

    Raises
    ------
    ModelError
        If ``half_width`` is not in (0, 0.5], ``yield_`` not in [0, 1], or ``confidence`` not in (0, 1).

    Examples
    --------
    MODEL.md's figures: 99 % +- 1 % at 99 % confidence, and 95 % +- 1 % at 95 %:

    >>> import neuromorph as nm
    >>> nm.chips_needed(0.01, 0.99, confidence=0.99), nm.chips_needed(0.01, 0.95)
    (657, 1825)
    """
    half_width = check.real("half_width", half_width)
    if not 0.0 < half_width <= 0.5:
        raise ModelError(f"`half_width` must lie in (0, 0.5], got {half_width!r}")
    p = check.real("yield_", yield_)
    if not 0.0 <= p <= 1.0:
        raise ModelError(f"`yield_` must lie in [0, 1], got {yield_!r}")
    z = _z(_confidence(confidence))
    return max(1, math.ceil(z * z * max(p * (1 - p), 1e-12) / half_width ** 2 - 1e-9))


@dataclass(frozen=True, eq=False)
class YieldResult:
    """What :func:`yield_of` returns: the yield, its interval, and every chip's rhythm.

    Parameters
    ----------
    rhythm : Rhythm
    chips : numpy.ndarray of int
        The chip numbers tried.
    passed : numpy.ndarray of bool
        Which met the rhythm.
    interval : tuple of float
        ``(low, high)`` at ``confidence``.
    confidence : float
    method : str
        The interval's method.
    report : RhythmReport
        Every chip's measured criteria.
    run : EnsembleResult
        The ensemble run (spikes, final states, status of every chip); in closed loop, the confirmation run of
        the retuned chips (their final settings, no controller).
    retuning : Retuning, optional
        In closed loop: every chip's estimates and settings (:func:`retune`).
    control : ChipsControl, optional
        In closed loop with a controller: every chip's controller, its history and final settings.

    Raises
    ------
    TypeError
        If a field is missing (made by :func:`yield_of`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> y = nm.yield_of("bursting", nm.Rhythm(period=2494, tolerance=0.1), nm.Mismatch(gain=0.02), chips=64,
    ...                 seed=1, i_app=-2.0, t_end=10_000)
    >>> y.passed.size, 0.0 <= y.interval[0] <= y.value <= y.interval[1] <= 1.0
    (64, True)
    """

    rhythm: Rhythm
    chips: np.ndarray
    passed: np.ndarray
    interval: tuple
    confidence: float
    method: str
    report: object = field(repr=False)
    run: object = field(repr=False)
    retuning: object = field(default=None, repr=False)
    control: object = field(default=None, repr=False)

    @property
    def value(self):
        """The fraction of chips that met the rhythm."""
        return float(self.passed.mean())

    @property
    def failures(self):
        """``{chip: [reasons]}`` of every chip that failed."""
        return {int(self.chips[i]): self.report.reasons(i) for i in np.flatnonzero(~self.passed)}

    def __str__(self):
        low, high = self.interval
        loop = "" if self.retuning is None else ", closed loop (retuned from each chip's estimated gains)"
        lines = [f"yield {100 * self.value:.1f} % ({int(self.passed.sum())} of {self.passed.size} chips), "
                 f"{100 * self.confidence:g} % interval [{100 * low:.1f}, {100 * high:.1f}] % ({self.method}){loop}",
                 str(self.report)]
        if self.retuning is not None and self.retuning.kept.any():
            lines.append(f"{int(self.retuning.kept.any(axis=1).sum())} chips kept a design setting (a gain their "
                         "trace did not tell)")
        reasons = {}
        for why in self.failures.values():
            for phrase in why:
                key = phrase.split(" outside")[0].split(" (")[0]
                key = key.rsplit(" ", 1)[0] if "outside" in phrase else key
                reasons[key] = reasons.get(key, 0) + 1
        if reasons:
            lines.append("failing: " + ", ".join(f"{k} ({n} chips)" for k, n in reasons.items()))
        return "\n".join(lines)

    def to_json(self):
        """The yield, its interval, every criterion's bounds and counts, and the failing chips with their reasons,
        as plain JSON values (NaN as None)."""
        targets = self.rhythm.targets()
        ok = self.report.ok
        return {
            "yield": self.value, "passed": int(self.passed.sum()), "chips": int(self.passed.size),
            "interval": list(self.interval), "confidence": self.confidence, "method": self.method,
            "criteria": {k: {"target": t, "low": lo, "high": hi, "met_by": int(np.sum(ok[k]))}
                         for k, (t, lo, hi) in targets.items()},
            "failures": {str(c): why for c, why in self.failures.items()},
        }

    def save(self, path):
        """Write an ``.npz`` archive atomically: ``chips``, ``passed``, each criterion's measured values
        (``measured_<criterion>``, NaN where a chip has none), ``patterns``, ``interval`` and the summary as JSON
        (``summary``)."""
        import json

        from ..io.files import atomic_write

        measured = {f"measured_{k.replace('[', '_').replace(']', '')}": np.asarray(x, dtype=float)
                    for k, x in self.report.measured.items()}

        def write(f):
            np.savez(f, chips=self.chips, passed=self.passed, interval=np.array(self.interval),
                     patterns=np.array(self.report.patterns, dtype=str), summary=json.dumps(self.to_json()),
                     **measured)
        atomic_write(path, write, binary=True)

    def plot(self, ax=None, criterion=None):
        """Histogram of one criterion over the chips (default: the first set), with its bounds.

        Returns
        -------
        matplotlib Axes

        Raises
        ------
        ModelError
            If ``criterion`` is not one of the rhythm's.
        """
        import matplotlib.pyplot as plt

        targets = self.rhythm.targets()
        criterion = criterion or next(iter(targets))
        if criterion not in targets:
            raise ModelError(f"`criterion` must be one of {', '.join(targets)}, got {criterion!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
        x = np.asarray(self.report.measured[criterion], dtype=float)
        finite = x[np.isfinite(x)]
        ax.hist(finite, bins=40, color="0.6")
        _, lo, hi = targets[criterion]
        for bound in (lo, hi):
            ax.axvline(bound, color="C3", lw=1)
        low, high = self.interval
        ax.set(xlabel=criterion.replace("_", " "), ylabel="chips",
               title=f"yield {100 * self.value:.1f} % [{100 * low:.1f}, {100 * high:.1f}] "
                     f"({np.size(x) - finite.size} chips have no {criterion.replace('_', ' ')})")
        return ax


@dataclass(frozen=True, eq=False)
class Retuning:
    """What :func:`retune` returns: each chip's estimated gains and the settings that bring them to the design.

    Parameters
    ----------
    settings : dict
        ``{path: array}``: each chip's new setting of each estimated gain.
    estimates : EnsembleEstimates
        The observers' estimates (from the probe run).
    kept : numpy.ndarray of bool, shape (chips, gains)
        Where a chip kept the design setting: its trace did not tell the gain, or the estimate was implausible
        (off the design by more than a factor 2, or of the other sign).
    probe : Stimulus or float
        The current the chips were estimated under.

    Raises
    ------
    TypeError
        If a field is missing (made by :func:`retune`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> r = nm.retune("bursting", nm.Mismatch(gain=0.03), chips=4, seed=1, i_app=-2.0, t_estimate=6000)
    >>> sorted(r.settings)[:2], r.settings["leak.g"].shape
    (['fast_negative.alpha', 'leak.g'], (4,))
    """

    settings: dict
    estimates: object = field(repr=False)
    kept: np.ndarray = field(repr=False)
    probe: object = field(repr=False)


def retune(model, mismatch, chips=1000, seed=0, i_app=0.0, probe=None, t_estimate=10_000.0, dt=0.1,
           observer=None, params=None, n_threads=None, progress=None):
    """Certainty-equivalent retuning: estimate every chip's effective gains from its own voltage, then set its
    bias settings so that its effective gains equal the design.

    The chips run under a probe current (default: ``i_app`` then ``i_app + 0.5`` and ``i_app + 1``, a quarter
    of ``t_estimate`` each, then ``i_app`` again, so that a chip that rests or spikes tonically at ``i_app``
    still shows every gain), each with an adaptive observer in the ensemble engine
    (:meth:`~neuromorph.Ensemble.simulate` with ``observer=``). A chip's gain ``theta`` runs at ``setting x
    (1 + its mismatch)``; the observer reads ``design x (1 + mismatch)`` back, so the new setting is ``design^2 /
    estimate``. Gains the observer could not tell keep their design setting.

    Parameters
    ----------
    model : Neuron, Network or str
    mismatch : Mismatch or dict
    chips : int or sequence of int, default 1000
        How many (chips 0 .. n-1), or which chip ids (chip c is the same draw whatever the others).
    seed : int, default 0
    i_app : float, default 0.0
        The operating current (the probe is built around it).
    probe : float or Stimulus, optional
        The current the chips are estimated under, instead of the default.
    t_estimate : float, default 10000
    dt : float, default 0.1
    observer : AdaptiveObserver, optional
        Default ``AdaptiveObserver(h_max=2 dt)``.
    params : list of str, optional
        The gains to estimate and retune (default: every gain).
    n_threads : int, optional
    progress : bool, optional

    Returns
    -------
    Retuning

    Raises
    ------
    ModelError
        If ``chips`` is not an integer >= 1, ``i_app`` is not a number, or a path of ``params`` is not a gain.

    Examples
    --------
    Eight chips with 3 % gain mismatch: each one's leak setting undoes its own mismatch.

    >>> import neuromorph as nm
    >>> r = nm.retune("bursting", nm.Mismatch(gain=0.03), chips=8, seed=1, i_app=-2.0)
    >>> bool(r.kept.any()), r.settings["leak.g"].round(3).tolist()
    (False, [0.988, 0.952, 1.008, 1.041, 0.955, 1.028, 1.003, 0.959])
    """
    from ..estimation.estimate import AdaptiveObserver
    from ..io.circuits import as_model
    from ..model.stimulus import Steps
    from ..solve.ensemble import Ensemble

    ids = chip_ids(chips)
    n = ids.size
    design_model = as_model(model)
    t_estimate = check.positive("t_estimate", t_estimate)
    if probe is None:
        base = check.real("i_app", i_app)
        quarter = t_estimate / 4.0
        probe = Steps(times=[quarter, 2 * quarter, 3 * quarter], values=[base + 0.5, base + 1.0, base], initial=base)
    observer = observer if observer is not None else AdaptiveObserver(h_max=2.0 * dt)
    run = Ensemble(design_model, size=n).simulate(t_estimate, i_app=probe, dt=dt, mismatch=mismatch, seed=seed,
                                                  chips=ids, observer=observer, estimate=params,
                                                  n_threads=n_threads, progress=progress)
    est = run.estimates
    design = np.array([design_model.get(p) for p in est.params])
    ratio = est.values / design
    plausible = est.identifiable & np.isfinite(ratio) & (ratio > 0.5) & (ratio < 2.0)
    settings = {p: np.where(plausible[:, j], design[j] / np.where(plausible[:, j], ratio[:, j], 1.0), design[j])
                for j, p in enumerate(est.params)}
    return Retuning(settings, est, ~plausible, probe)


def _study_report(rhythm, model, mismatch, n, seed, t_end, t_record, i_app, dt, method, client, scheduler, workers,
                  n_threads, progress, timeout):
    """``(report, dataset)``: the chips run as a :class:`~neuromorph.Study` (in this process or on Dask) and every
    criterion read from the study's per-member metrics (and spike times, for phases) over ``[t_record, t_end]``,
    the window of :meth:`Rhythm.check` on an ensemble."""
    import math

    from ..analysis.network import burst_starts, phase as phase_of
    from ..studies.runner import execute
    from ..studies.spec import Study

    study = Study(model, chips=n, t_end=t_end, t_record=t_record, dt=dt, method=method, drive=i_app,
                  mismatch=mismatch, seed=seed, spikes=512 if rhythm.phase is not None else 0, engine="ensemble")
    ds = execute(study, client=client, scheduler=scheduler, workers=workers, progress=progress, n_threads=n_threads,
                 timeout=timeout, label="yield")
    names = list(study.neuron_names)
    ref = check.member(names, rhythm.neuron)
    one = {"trial": 0} if "trial" in ds.dims else {}
    pick = lambda name: ds[name].isel(neuron=ref, **one).values  # noqa: E731 - chips along the first axis
    measured = {}
    for key, metric in (("period", "burst_period"), ("spikes_per_burst", "spikes_per_burst"),
                        ("duty_cycle", "duty_cycle")):
        if getattr(rhythm, key) is not None:
            measured[key] = np.asarray(pick(metric), dtype=float).reshape(n)
    patterns = tuple(str(k) for k in np.asarray(pick("pattern")).reshape(n))
    nodes = rhythm._phase_nodes(tuple(names), ref)
    if nodes:
        times = ds["spike_times"].isel(**one).values.reshape(n, len(names), -1)
        window = (study.t_record, study.t_end)
        for key, k in nodes.items():
            values = np.full(n, np.nan)
            for i in range(n):
                starts = burst_starts(times[i, ref][np.isfinite(times[i, ref])], *window)
                p = phase_of(burst_starts(times[i, k][np.isfinite(times[i, k])], *window), starts)[0]
                values[i] = math.nan if p is None else p
            measured[key] = values
    return RhythmReport(rhythm, measured, patterns), ds


def _spice_yield(model, rhythm, devices, n, seed, t_end, t_record, i_app, processes, confidence, interval):
    """:func:`yield_of` at transistor level: every chip a :func:`~neuromorph.spice_monte_carlo` run in ngspice."""
    from ..spice.montecarlo import spice_monte_carlo

    if not isinstance(devices, DeviceMismatch):
        raise ModelError("level='transistor' draws each transistor's mismatch: give mismatch=nm.DeviceMismatch(a_vt=..., "
                         f"width=..., length=...), got {devices!r}")
    if rhythm.phase is not None:
        raise ModelError("phases are not measured at transistor level (its Monte Carlo keeps one neuron's summary): "
                         "leave `phase` out of the rhythm")
    mc = spice_monte_carlo(model, chips=n, seed=seed, t_end=t_end, i_app=i_app, a_vt=devices.a_vt,
                           a_beta=devices.a_beta, t_start=t_record, processes=processes, neuron=rhythm.neuron,
                           width=devices.width, length=devices.length)
    measured = {}
    for key, name in (("period", "burst_period"), ("spikes_per_burst", "spikes_per_burst"),
                      ("duty_cycle", "duty_cycle")):
        if getattr(rhythm, key) is not None:
            measured[key] = mc.metric(name)
    patterns = tuple("failed: " + str(mc.failures.get(int(c))) if p is None else p
                     for c, p in zip(mc.chips, mc.patterns))
    report = RhythmReport(rhythm, measured, patterns)
    passed = np.asarray(report.met, dtype=bool).reshape(n)
    bounds = yield_interval(int(passed.sum()), n, confidence, interval)
    return YieldResult(rhythm, np.asarray(mc.chips), passed, bounds, confidence, interval, report, mc)


def _closed_loop_parts(closed_loop):
    """``(first, controller)`` of :func:`yield_of`'s ``closed_loop``: None, ``"retune"`` or a Retuning first, then
    a RhythmController or None."""
    first, controller = closed_loop, None
    if isinstance(closed_loop, (tuple, list)):
        if len(closed_loop) != 2 or not isinstance(closed_loop[1], RhythmController):
            raise ModelError(f"`closed_loop` as a pair is (retuning, controller): ('retune' or a Retuning, an "
                             f"nm.RhythmController), got {closed_loop!r}")
        first, controller = closed_loop
    elif isinstance(closed_loop, RhythmController):
        first, controller = None, closed_loop
    if not (first is None or isinstance(first, Retuning) or (isinstance(first, str) and first == "retune")):
        raise ModelError(f"`closed_loop` must be None, 'retune', a Retuning, an nm.RhythmController or a pair "
                         f"(retuning, controller), got {closed_loop!r}")
    return first, controller


def _closed_loop(model, mismatch, ids, seed, first, controller, t_end, t_record, i_app, dt, method, t_control,
                 n_threads=None, progress=None):
    """Chips ``ids`` retuned (``first``) and controlled (``controller``), then run afresh at their final
    settings: ``(run, retuning, control)``. Each chip's result is its own: the same whatever chips run beside
    it (the draws are per chip id, the lanes and the observers independent, the controllers fed at fixed
    times), so the chips may be split over Dask workers."""
    from ..solve.ensemble import Ensemble

    n = ids.size
    retuning, control, params = None, None, None
    if isinstance(first, Retuning):
        retuning = first
    elif first == "retune":  # the probe is built around the operating current (a stimulus's value at t = 0)
        operating = float(np.asarray(i_app(0.0))) if callable(i_app) else i_app
        retuning = retune(model, mismatch, chips=ids, seed=seed, i_app=operating, dt=dt, n_threads=n_threads,
                          progress=progress)
    if retuning is not None:
        params = retuning.settings
    if controller is not None:  # every chip its own controller (from its retuned settings, if any)
        control = controller.run_chips(model, t_control, mismatch, chips=ids, seed=seed, i_app=i_app, dt=dt,
                                       method=method, n_threads=n_threads, progress=progress, params=params)
        params = control.settings
    run = Ensemble(model, params=params, size=n).simulate(t_end, i_app=i_app, dt=dt, method=method,
                                                          t_record=t_record, mismatch=mismatch, seed=seed, chips=ids,
                                                          n_threads=n_threads, progress=progress)
    return run, retuning, control


def closed_loop_chunk(rhythm, setup, ids):
    """One Dask task of a closed-loop yield: chips ``ids`` through :func:`_closed_loop`, on one thread; returns
    their measured criteria and patterns (:meth:`Rhythm.check`)."""
    model, mismatch, seed, first, controller, t_end, t_record, i_app, dt, method, t_control = setup
    if isinstance(first, Retuning):  # the chunk's own chips' settings (a yield's chips are 0 .. n-1)
        first = Retuning({p: np.asarray(x)[ids] for p, x in first.settings.items()}, None, first.kept[ids],
                         first.probe)
    run, _, _ = _closed_loop(model, mismatch, ids, seed, first, controller, t_end, t_record, i_app, dt, method,
                             t_control, n_threads=1)
    report = rhythm.check(run)
    return {k: np.asarray(x, dtype=float) for k, x in report.measured.items()}, report.patterns


def _closed_loop_on_dask(rhythm, setup, ids, client, scheduler, workers, timeout, progress):
    """:func:`yield_of`'s closed loop with the chips split over Dask workers (:func:`closed_loop_chunk`), its
    report put together in chip order."""
    import time

    from .._parallel import interrupted
    from .._progress import Progress
    from ..studies.cluster import dask_client

    n = ids.size
    size = max(16, -(-n // 16))
    chunks = [ids[a:a + size] for a in range(0, n, size)]
    parts = [None] * len(chunks)
    with dask_client(client, scheduler, workers, timeout) as dclient:
        from distributed import as_completed

        futures = {dclient.submit(closed_loop_chunk, rhythm, setup, chunk, pure=False): k
                   for k, chunk in enumerate(chunks)}
        bar = Progress(0, len(chunks), label="closed-loop yield", enabled=progress)
        try:
            finished = as_completed(list(futures), loop=dclient.loop)
            while not finished.is_empty():
                if interrupted():
                    raise KeyboardInterrupt
                if not finished.has_ready():
                    time.sleep(0.05)
                    continue
                for fut in finished.next_batch(block=False):
                    parts[futures[fut]] = fut.result()
                    bar.update(sum(p is not None for p in parts))
        except BaseException:
            dclient.cancel(list(futures))
            raise
        finally:
            bar.close()
    measured = {key: np.concatenate([p[0][key] for p in parts]) for key in parts[0][0]}
    return RhythmReport(rhythm, measured, tuple(x for p in parts for x in p[1]))


def yield_of(model, rhythm, mismatch, chips=1000, seed=0, t_end=20_000.0, t_record=None, i_app=0.0, dt=0.1,
             method="rk4", confidence=0.95, interval="wilson", n_threads=None, progress=None, closed_loop=None,
             client=None, scheduler=None, workers=None, timeout=10.0, t_control=None, level="model"):
    """The fraction of chips meeting ``rhythm`` under ``mismatch``, with its confidence interval.

    Chips ``0 .. chips - 1`` are drawn from ``mismatch`` with ``seed`` and run in the ensemble engine from
    ``t = 0`` to ``t_end``; each chip's rhythm is measured on its settled window (from ``t_record``, default
    the second half of the run) by :meth:`Rhythm.check`.

    Parameters
    ----------
    model : Neuron, Network or str
    rhythm : Rhythm
    mismatch : Mismatch, DeviceMismatch or dict
        The chip-to-chip spread (:class:`~neuromorph.Mismatch`), or the transistors' (a
        :class:`~neuromorph.DeviceMismatch`: its model-level twin at ``level="model"``, drawn per transistor in
        ngspice at ``level="transistor"``).
    chips : int, default 1000
    seed : int, default 0
    t_end : float, default 20000
    t_record : float, optional
    i_app : float or Stimulus, default 0.0
        Applied current of every chip, added to each neuron's own (a network node's ``i_app``).
    dt : float, default 0.1
        The step. For the bursting preset RK4 at 0.1 puts every burst period within 4e-7 of a reference
        (DOP853-class, rtol 1e-10), closer than the adaptive solver's defaults do (2e-6), at a quarter of the cost
        of 0.05 (``benchmarks/bench_yield.py``).
    method : str, default "rk4"
        An ensemble method.
    confidence : float, default 0.95
    interval : {"wilson", "clopper-pearson"}, default "wilson"
    n_threads : int, optional
    progress : bool, optional
        A bar over the run.
    closed_loop : optional
        None: open loop, every chip at the design settings. ``"retune"``: each chip first retuned from its
        estimated gains (:func:`retune`, under its default probe around ``i_app``, a stimulus's value at t = 0;
        or a :class:`Retuning` made before). A :class:`RhythmController`: every chip runs its own controller for
        ``t_control`` (:meth:`RhythmController.run_chips`). A pair ``("retune", controller)``: retuned, then
        controlled from its retuned settings (the controller takes on what the gains alone did not fix, such
        as offsets). Either way the chips are then run again with their final settings and no controller: the
        yield is that of the tuned chips.
    client, scheduler, workers : optional
        Run the chips on Dask: a ``distributed.Client``, a scheduler's address, or a number of local worker
        processes. Open loop, as a :class:`~neuromorph.Study` (``run`` is then the study's Dataset); in closed
        loop, in chunks of chips, each retuned and controlled on a worker (``run`` is then None: the runs stay
        on the workers, their measures are in ``report``). The chips, their draws and the verdicts are the
        same as in this process.
    timeout : float, default 10.0
        Seconds to wait for ``scheduler``.
    t_control : float, optional
        How long each chip's controller runs, with ``closed_loop`` a controller (default 40 target periods).
    level : {"model", "transistor"}, default "model"
        ``"transistor"``: every chip is the transistor-level netlist with its own Pelgrom draws
        (``mismatch`` a DeviceMismatch), run open loop by ngspice, a process each (``n_threads`` of them at a
        time; about 6 s per chip of the bursting neuron over 20 000 time units): ``run`` is then the
        :class:`~neuromorph.spice.montecarlo.SpiceMonteCarlo`. The transistor-level circuit is not the model to
        the last percent (the bursting preset bursts at 2238 there, 2494 in the model): state its rhythm
        from its own nominal run.

    Returns
    -------
    YieldResult

    Raises
    ------
    ModelError
        If ``rhythm`` is not a Rhythm, ``chips`` is not an integer >= 1, ``confidence`` or ``interval`` is
        invalid, or the model or the mismatch is.
    SolverError
        If the run's settings are (``t_end``, ``dt``, ``t_record``, ``method``).

    Examples
    --------
    >>> import neuromorph as nm
    >>> y = nm.yield_of("bursting", nm.Rhythm(period=2494, spikes_per_burst=7), nm.Mismatch(gain=0.01), chips=32,
    ...                 seed=2, i_app=-2.0)
    >>> y.passed.size, y.value >= 0.8
    (32, True)
    """
    if not isinstance(rhythm, Rhythm):
        raise ModelError(f"`rhythm` must be an nm.Rhythm, got {type(rhythm).__name__}")
    n = check.count("chips", chips, 1)
    confidence = _confidence(confidence)
    if interval not in INTERVALS:
        raise ModelError(f"unknown `interval` {interval!r}; choose one of {', '.join(INTERVALS)}")
    if level not in ("model", "transistor"):
        raise ModelError(f"`level` must be 'model' or 'transistor', got {level!r}")
    if level == "transistor":
        if closed_loop is not None or client is not None or scheduler is not None or workers is not None:
            raise ModelError("level='transistor' runs the chips open loop in ngspice, a process each: leave out "
                             "closed_loop, client, scheduler and workers (n_threads sets the processes)")
        return _spice_yield(model, rhythm, mismatch, n, seed, t_end, t_record, i_app, n_threads, confidence, interval)
    if isinstance(mismatch, DeviceMismatch):
        mismatch = mismatch.model_level()
    first, controller = _closed_loop_parts(closed_loop)
    if isinstance(first, Retuning):
        sizes = {np.size(x) for x in first.settings.values()}
        if sizes != {n}:
            raise ModelError(f"`closed_loop` holds settings of {sorted(sizes)} chips; the yield asks for {n}")
    if controller is not None:
        t_control = 40.0 * (controller.target.period or 2500.0) if t_control is None else \
            check.positive("t_control", t_control)
    ids = np.arange(n)
    if client is not None or scheduler is not None or workers is not None:
        if first is None and controller is None:
            report, ds = _study_report(rhythm, model, mismatch, n, seed, t_end, t_record, i_app, dt, method, client,
                                       scheduler, workers, n_threads, progress, timeout)
        else:
            report, ds = _closed_loop_on_dask(rhythm, (model, mismatch, seed, first, controller, t_end, t_record,
                                                       i_app, dt, method, t_control), ids, client, scheduler, workers,
                                              timeout, progress), None
        passed = np.asarray(report.met, dtype=bool).reshape(n)
        bounds = yield_interval(int(passed.sum()), n, confidence, interval)
        return YieldResult(rhythm, ids, passed, bounds, confidence, interval, report, ds)
    run, retuning, control = _closed_loop(model, mismatch, ids, seed, first, controller, t_end, t_record, i_app, dt,
                                          method, t_control, n_threads, progress)
    report = rhythm.check(run)
    passed = np.asarray(report.met, dtype=bool).reshape(n)
    bounds = yield_interval(int(passed.sum()), n, confidence, interval)
    return YieldResult(rhythm, ids, passed, bounds, confidence, interval, report, run, retuning, control)
