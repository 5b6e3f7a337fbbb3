"""Transistor-level Monte Carlo over chips: per-transistor Pelgrom mismatch written into the netlist
from a seed, each chip run by ngspice in its own process.

ngspice's shared library keeps state between runs and is not re-entrant, so every chip runs in
a fresh Python process of its own (started as a program, so a user's script needs no
``if __name__ == "__main__"`` guard), a few at a time. A chip whose run fails is recorded with its
reason; it never aborts the study. :func:`spice_monte_carlo`'s docstring has an example (each chip
costs a fresh process: one example runs them for the test suite).
"""

import numbers
import os
import pickle
import subprocess
import sys
from collections.abc import Sized
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from .._parallel import ctrl_c_as_flag, interrupted
from ..errors import Failure, SimulationError, SolverError

__all__ = ["spice_monte_carlo", "SpiceMonteCarlo", "check_chips", "DeviceMismatch"]

CHIP_BYTES = 2048
"""Memory a chip holds while the study runs: its job, summary and result entries (~1.2 kB measured)."""
CHIP_SECONDS = 1.0
"""Fewest seconds a chip takes: a fresh Python process importing neuromorph (~1.5 s measured), then ngspice."""
MAX_DAYS = 7.0
"""Longest study accepted, by that lower bound: beyond it, split the chip ids over several calls."""


@dataclass(frozen=True)
class DeviceMismatch:
    """Mismatch of the transistor cells as a designer states it: Pelgrom coefficients and the size of every
    transistor. The same spread at two levels: :func:`spice_monte_carlo` draws it per transistor in ngspice,
    :meth:`model_level` gives its twin for the ensemble engine, and :func:`~neuromorph.yield_of` takes either
    (``level="transistor"`` or ``"model"``).

    Parameters
    ----------
    a_vt : float, default 5e-3
        Pelgrom coefficient of the threshold voltage (V um).
    a_beta : float, default 0.01
        Pelgrom coefficient of the current factor (relative, um).
    width, length : float, default 4 and 6
        Every cell transistor's size (um).

    Raises
    ------
    ModelError
        If a coefficient is negative, or a size is not a number of micrometres of at least 0.18.

    Examples
    --------
    >>> import neuromorph as nm
    >>> d = nm.DeviceMismatch()           # 4 x 6 um, 5 mV um and 1 % um: typical of 180 nm
    >>> d.area, d.resized(96.0)
    (24.0, DeviceMismatch(a_vt=0.005, a_beta=0.01, width=16.0, length=6.0))
    >>> round(d.model_level().gain, 4), round(d.resized(96.0).model_level().gain, 4)  # 4 x the area: half
    (0.04, 0.02)
    """

    a_vt: float = 5e-3
    a_beta: float = 0.01
    width: float = 4.0
    length: float = 6.0

    def __post_init__(self):
        from .transistor import TransistorMismatch

        checked = TransistorMismatch(a_vt=self.a_vt, a_beta=self.a_beta, width=self.width, length=self.length)
        for name in ("a_vt", "a_beta", "width", "length"):
            object.__setattr__(self, name, getattr(checked, name))

    @property
    def area(self):
        """``W L`` of a transistor (um^2)."""
        return self.width * self.length

    def resized(self, area):
        """The same coefficients with every transistor of ``area`` um^2: wider, at the same length.

        In weak inversion a cell's currents do not depend on the width (its mirrors and its pair are
        sized alike), while a longer channel would move the circuit through the short-channel effects of
        the process: at the default coefficients, 16 x 6 um bursts 2.7 % slower than 4 x 6 um in ngspice,
        and 8 x 12 um 6.8 % slower with one spike fewer.
        """
        return DeviceMismatch(self.a_vt, self.a_beta, v.positive("area", area) / self.length, self.length)

    def model_level(self, kappa=0.715, u_t=0.025865):
        """The model-level :class:`~neuromorph.Mismatch` of these devices (:meth:`Mismatch.from_devices
        <neuromorph.Mismatch.from_devices>`), with the process's slope factor and 27 C by default."""
        from ..model.variability import Mismatch

        return Mismatch.from_devices(self.a_vt, self.width, self.length, self.a_beta, kappa=kappa, u_t=u_t)


def check_chips(n, processes):
    """Refuse ``n`` chips on ``processes`` worker processes, before anything is allocated, if their results
    would take more than half the free memory or the run at least :data:`MAX_DAYS` days."""
    v.memory("chips", float(n) * CHIP_BYTES, SolverError, what=f"the results of {n:,} chips")
    days = n * CHIP_SECONDS / processes / 86_400.0
    if days > MAX_DAYS:
        raise SolverError(f"`chips` = {n:,} would take at least {days:,.0f} days on {processes} process(es) (each chip is "
                          f"a fresh process running ngspice, over {CHIP_SECONDS:g} s); run fewer chips, or chip ids "
                          "in parts (chips=range(a, b))")


def _worker_main():
    """Entry point of a worker process: one pickled job on stdin, its pickled result on stdout."""
    job = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(_run_chip(job)))


class _Children:
    """The worker processes running now, so that a Ctrl-C (or any error) in the caller ends them at once:
    a process that got no signal of its own would otherwise run its chip to the end."""

    def __init__(self):
        import threading

        self.lock = threading.Lock()
        self.running = set()
        self.stopped = False

    def run(self, job):
        """Run one job in a fresh Python process."""
        with self.lock:
            if self.stopped:
                return job[1], None, (Failure.INTERRUPTED.value, "stopped: the Monte Carlo was interrupted"), None
            proc = subprocess.Popen([sys.executable, "-c",
                                     "from neuromorph.spice.montecarlo import _worker_main; _worker_main()"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.running.add(proc)
        try:
            out, err = proc.communicate(pickle.dumps(job), timeout=24 * 3600)
        finally:
            with self.lock:
                self.running.discard(proc)
        if proc.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            return job[1], None, (Failure.SOLVER_FAILED.value,
                                  f"worker failed: {lines[-1] if lines else f'exit code {proc.returncode}'}"), None
        return pickle.loads(out)

    def stop(self):
        with self.lock:
            self.stopped = True
            for proc in self.running:
                proc.kill()


def run_jobs(jobs, processes):
    """``[_run_chip(job) for job in jobs]``, each in a fresh process, ``processes`` at a time; on Ctrl-C every
    running process is killed and the call returns (raising) within a second."""
    from concurrent.futures import FIRST_COMPLETED, wait

    children = _Children()
    pool = ThreadPoolExecutor(max_workers=max(1, min(processes, len(jobs))))
    try:
        with ctrl_c_as_flag():  # (raised below at a check: never inside a callback, where it would be lost)
            futures = [pool.submit(children.run, job) for job in jobs]
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                if interrupted():
                    raise KeyboardInterrupt
            results = [fut.result() for fut in futures]
    except BaseException:
        children.stop()
        pool.shutdown(wait=True, cancel_futures=True)  # each thread returns once its process is killed
        raise
    pool.shutdown()
    return results


def _run_chip(job):
    """One chip (in a worker process): its summary (or its failure) and the worker's pid."""
    from .export import spice_simulate
    from .transistor import TransistorMismatch

    model, chip, seed, a_vt, a_beta, t_end, i_app, max_step, mapping, t_start, neuron, *rest = job
    level = rest[0] if rest else "transistor"
    width, length = rest[1] if len(rest) > 1 else (4.0, 6.0)
    variation = TransistorMismatch(seed=seed, chip=chip, a_vt=a_vt, a_beta=a_beta, width=width,
                                   length=length) if level == "transistor" else None
    try:
        res = spice_simulate(model, t_end, i_app=i_app, level=level, max_step=max_step, mapping=mapping,
                             variation=variation, record=())
        if isinstance(neuron, list):  # every neuron's summary
            return chip, [res.summary(t_start=t_start, neuron=m) for m in neuron], None, os.getpid()
        return chip, res.summary(t_start=t_start, neuron=neuron), None, os.getpid()
    except SimulationError as exc:
        return chip, None, (exc.reason, str(exc)), os.getpid()


@dataclass(frozen=True, eq=False)
class SpiceMonteCarlo:
    """Per-chip summaries of a transistor-level Monte Carlo (see :func:`spice_monte_carlo`).

    Attributes
    ----------
    chips : ndarray
    summaries : list of dict or None
        :meth:`SimulationResult.summary` of each chip (None for a failed one).
    failures : dict
        ``{chip: reason}`` of the chips whose run failed (:class:`~neuromorph.errors.Failure`, e.g.
        ``Failure.DIVERGING``, ``Failure.OUT_OF_RANGE``, ``Failure.SOLVER_FAILED``).
    settings : dict
    workers : set of int
        Process ids that ran chips (never the caller's).
    messages : dict
        ``{chip: the error's text}`` of the same chips.
    """

    chips: np.ndarray
    summaries: list
    failures: dict
    settings: dict
    workers: frozenset
    messages: dict = field(default_factory=dict)

    def metric(self, key):
        """One number of every chip's summary (``"burst_period"``, ``"duty_cycle"``, ...): NaN where a chip has
        none or failed."""
        return np.array([np.nan if s is None or s.get(key) is None else float(s[key]) for s in self.summaries])

    @property
    def burst_period(self):
        return self.metric("burst_period")

    @property
    def spikes_per_burst(self):
        return self.metric("spikes_per_burst")

    @property
    def isi_mean(self):
        return self.metric("isi_mean")

    @property
    def patterns(self):
        return [None if s is None else s["pattern"] for s in self.summaries]

    def spread(self):
        """Mean, standard deviation and relative spread of burst period, spikes per burst and ISI."""
        out = {}
        for key in ("burst_period", "spikes_per_burst", "isi_mean"):
            x = self.metric(key)
            x = x[np.isfinite(x)]
            out[key] = {"mean": float(x.mean()) if x.size else float("nan"),
                        "std": float(x.std()) if x.size else float("nan"),
                        "relative": float(x.std() / x.mean()) if x.size and x.mean() else float("nan")}
        return out

    def plot(self):
        """Histograms of burst period and spikes per burst over chips; returns the figure."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
        for ax, key, label in zip(axes, ("burst_period", "spikes_per_burst"), ("burst period", "spikes per burst")):
            x = self.metric(key)
            x = x[np.isfinite(x)]
            if x.size:
                ax.hist(x, bins=max(5, min(20, x.size // 2)), color="C0", alpha=0.8)
            ax.set_xlabel(label)
            ax.set_ylabel("chips")
        fig.suptitle(f"transistor-level Monte Carlo: {len(self.chips)} chips, A_VT = "
                     f"{self.settings['a_vt'] * 1e3:g} mV um" + (f", {len(self.failures)} failed" if self.failures
                                                                  else ""))
        return fig


def spice_monte_carlo(model, chips=8, seed=0, t_end=10_000.0, i_app=None, a_vt=5e-3, a_beta=0.01, max_step=0.2,
                      t_start=None, processes=None, mapping=None, neuron=0, width=4.0, length=6.0):
    """Run ``chips`` transistor-level chips of ``model`` in ngspice, each with its own Pelgrom draws.

    Parameters
    ----------
    model : Neuron, Network or preset name
    chips : int or sequence of int, default 8
        How many (ids 0..n-1), or which chip ids (chip c is the same whatever the others).
    seed : int, default 0
        Seed of every chip's draws.
    t_end : float, default 10000.0
        End of each chip's run (model units), as for :func:`neuromorph.spice_simulate`.
    i_app : float or Stimulus, optional
        Applied current, as for :func:`neuromorph.spice_simulate` (default: the model's own).
    max_step : float, default 0.2
        Largest time step ngspice may take (model units).
    a_vt : float, default 5e-3
        Pelgrom coefficient of the threshold voltage (V um): see :class:`TransistorMismatch`.
    a_beta : float, default 0.01
        Pelgrom coefficient of the current factor (relative, um).
    t_start : float, optional
        Start of the window the summaries use (default: the second half of the run).
    processes : int, optional
        Worker processes (default: the number of cores).
    mapping : Mapping, optional
        Units of the transistor level (default ``Mapping()``).
    neuron : int or str, default 0
        Which neuron of a network the summaries describe.
    width, length : float, default 4 and 6
        Size of every cell transistor (um): a larger device has smaller spreads (``1 / sqrt(W L)``, Pelgrom's
        law) and the same currents while ``W / L`` is kept.

    Returns
    -------
    SpiceMonteCarlo
        Per-chip summaries (``patterns``, ``isi_mean``, ``burst_period``, ...), the chips that failed
        and why, and :meth:`~SpiceMonteCarlo.spread`.

    Raises
    ------
    SolverError
        If ``seed`` is not an integer in [0, 2**64); ``processes`` < 1; ``chips`` is a count < 1 or
        holds an id that is not an integer >= 0; the chips' results would not fit in memory or their
        runs would take more than a week (``MAX_DAYS``); ``t_end`` is not > 0, ``max_step`` not in (0, t_end],
        ``t_start`` not in [0, t_end); or ``neuron`` names no neuron of the model.
    ModelError
        If ``a_vt`` or ``a_beta`` is negative, or the model (a conductance with no transistor cell, ...) or
        ``mapping`` is refused (as by :func:`spice_simulate`).
    StimulusError
        If ``i_app`` is refused (as by :func:`spice_simulate`).
    CircuitFileError
        If ``model`` names no preset or circuit file.

    Notes
    -----
    The model, ``i_app``, ``max_step``, ``mapping`` and ``neuron`` are checked before any worker starts; a chip
    whose own run fails (it diverges, ngspice stops, its worker process dies) is recorded in ``failures`` (the
    reason) and ``messages`` (why), and the other chips go on.

    Examples
    --------
    Two chips with 20 mV um of threshold mismatch, one process each:

    >>> import neuromorph as nm
    >>> mc = nm.spice_monte_carlo("tonic", chips=2, seed=1, t_end=600, i_app=-0.7, a_vt=0.02, processes=2)
    >>> mc.isi_mean.shape, mc.patterns, mc.failures
    ((2,), ['tonic', 'tonic'], {})
    >>> mc.spread()["isi_mean"]["relative"] > 0.01
    True
    """
    from .transistor import Mapping, TransistorMismatch

    seed = v.seed("seed", seed, SolverError)
    processes = v.count("processes", processes if processes is not None else (os.cpu_count() or 1), 1, SolverError)
    if isinstance(chips, numbers.Integral) and not isinstance(chips, bool):
        check_chips(v.count("chips", chips, 1, SolverError), processes)
        ids = np.arange(int(chips))
    else:
        if isinstance(chips, Sized):
            check_chips(len(chips), processes)
        ids = np.array([v.count("chip", c, 0, SolverError) for c in chips], dtype=np.int64)
        check_chips(ids.size, processes)
    size = TransistorMismatch(seed=seed, a_vt=a_vt, a_beta=a_beta, width=width, length=length)  # checked before
    width, length = size.width, size.length  # any work
    t_end = v.positive("t_end", t_end, SolverError)
    max_step = v.positive("max_step", max_step, SolverError)
    if max_step > t_end:
        raise SolverError(f"`max_step` ({max_step:g}) must not exceed `t_end` ({t_end:g})")
    if t_start is not None and not 0.0 <= v.real("t_start", t_start, SolverError) < t_end:
        raise SolverError(f"`t_start` must lie in [0, {t_end:g}), got {t_start!r}")
    mapping = Mapping() if mapping is None else mapping  # kappa measured once, here
    # The model, its current, the mapping and the neuron(s) are checked here, before any process starts: the same
    # deck every chip builds (without its draws), so what would fail in every chip is an error, not N failures.
    from .export import netlist

    deck = netlist(model, "transistor", i_app, t_end, 1e-3, None, mapping, None)
    for m in neuron if isinstance(neuron, list) else [neuron]:
        v.member(deck.neuron_names, m, error=SolverError)
    jobs = [(model, int(c), seed, a_vt, a_beta, t_end, i_app, max_step, mapping, t_start, neuron, "transistor",
             (width, length)) for c in ids]
    results = {}
    for chip, summary, failure, pid in run_jobs(jobs, processes):
        results[chip] = (summary, failure, pid)
    return SpiceMonteCarlo(
        chips=ids, summaries=[results[int(c)][0] for c in ids],
        failures={int(c): results[int(c)][1][0] for c in ids if results[int(c)][1] is not None},
        settings={"seed": seed, "a_vt": a_vt, "a_beta": a_beta, "t_end": t_end, "i_app": i_app, "max_step": max_step,
                  "width": width, "length": length},
        workers=frozenset(r[2] for r in results.values() if r[2] is not None),
        messages={int(c): results[int(c)][1][1] for c in ids if results[int(c)][1] is not None})
