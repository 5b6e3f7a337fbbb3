"""The runner of studies: chunks, the engines that run them, and the executors that run the chunks.

A :class:`Study` (:mod:`.spec`) describes the whole study (the model, a grid of parameter values, chips of a
mismatch, trials of intrinsic noise, the solver, what to record) as plain data, in Python or in
a TOML file (:func:`load_study`). Its *members* are every combination, in C order over
``(grid axes..., chip, trial)``. A member's result depends only on its own coordinates and the
seed (the noise is counter-based, the chips are seeded draws), so a study cut into chunks gives
the same bits however it is cut and wherever the chunks run.

:func:`run_study` runs the chunks in this process (the numba engines on its threads) or, given a
``dask.distributed`` client, a scheduler address or a number of local workers, on Dask: every
chunk is :func:`run_chunk` ``(study, start, stop)``, a plain function of picklable data, run by
the numba engine (or ngspice) on a worker. Results stream into a Zarr store
(:mod:`neuromorph.studies.store`) chunk by chunk; an interrupted study resumes where it
stopped, a chunk lost with its worker is run again elsewhere, and a member that fails
numerically is recorded with its reason. :func:`execute` is that runner without :func:`run_study`'s
reading of its arguments and its warning; :func:`neuromorph.behaviour_map` runs through it.

Engines, chosen by ``method``:

* fixed-step ensembles (``"rk4"``, ``"euler"``, ``"sra1"``, ``"euler_maruyama"``; the default,
  ``"sra1"`` with noise): grids, chips, trials, noise, mismatch, spike times and traces;
* single runs (``engine="single"``; the default for adaptive methods such as ``"dopri5"``): each
  member one :class:`~neuromorph.Integrator` run with any solver, for grids of deterministic
  members (the engine of behaviour maps, which are studies of single runs): a chunk's members run
  one after another, chunks side by side (on a pool of threads in-process, on the worker threads
  of a cluster);
* ``"spice"``: each member a transistor-level (or behavioural) ngspice run in a fresh process,
  chips being seeded per-transistor mismatch (:class:`neuromorph.spice.TransistorMismatch`).

Examples
--------
>>> import neuromorph as nm
>>> study = nm.Study("tonic", grid={"i_app": [-1.0, -0.6]}, chips=2, mismatch={"gain": 0.05},
...                  t_end=600, dt=0.05, seed=1)
>>> ds = nm.run_study(study)
>>> ds["pattern"].dims
('i_app', 'chip', 'trial', 'neuron')
>>> ds["pattern"].sel(i_app=-0.6).values.ravel().tolist()
['tonic', 'tonic']
"""

import os
import time

import numpy as np

from .. import _validate as v
from .._parallel import interrupted, thread_count
from ..analysis.spikes import PATTERNS
from ..errors import ModelError, SimulationError, SolverError
from .member import METRICS, run_cell
from .spec import Study, default_chunk_size, load_study, member_bytes, n_samples

__all__ = ["run_chunk", "run_study", "execute", "dclient_threads"]



# -- the work of one chunk -------------------------------------------------------------------------

def _empty(study, n):
    nn = len(study.neuron_names)
    out = {"pattern": np.full((n, nn), -1, np.int8), "status": np.zeros(n, np.int8),
           "spike_count": np.zeros((n, nn), np.int64), "t_failed": np.full(n, np.nan)}
    out.update({k: np.full((n, nn), np.nan) for k in METRICS})
    if study.spikes:
        out["spike_times"] = np.full((n, nn, study.spikes), np.nan)
    if study.traces:
        out["v"] = np.full((n, nn, n_samples(study)), np.nan)
    return out


def _record(out, i, m, summary):
    out["pattern"][i, m] = PATTERNS.index(summary["pattern"])
    for k in METRICS:
        if summary.get(k) is not None:
            out[k][i, m] = summary[k]


def run_chunk(study, start, stop, n_threads=None, halt=None, progress=None):
    """Results of members ``[start, stop)`` of ``study``: ``{variable: array with a leading member axis}``.

    A plain function of picklable data (what every Dask task runs). Members that fail are
    recorded in ``status`` (``REASONS[status]``), never raised; ``t_failed`` says when each was found
    diverging where the engine knows it (the ensemble engine; NaN otherwise, and for members that ran to
    the end). ``n_threads``: the threads of an
    ensemble's lanes (the processes of ngspice runs); single runs go one after another, the
    executor running chunks side by side. ``halt`` (a ``threading.Event``): set, a chunk of single
    runs stops within about 0.1 s with ``KeyboardInterrupt``. ``progress``: an object whose ``update(t)`` an
    ensemble chunk calls with the time it has reached (the in-process executor's bar follows it).
    """
    start, stop = int(start), int(stop)
    if not 0 <= start < stop <= study.n_members:
        raise ModelError(f"chunk [{start}, {stop}) is outside the study's {study.n_members} members")
    if study.engine == "single":
        return _chunk_single(study, start, stop, halt)
    if study.engine == "ensemble":
        return _chunk_ensemble(study, start, stop, n_threads, progress)
    return _chunk_spice(study, start, stop, n_threads)


def _chunk_ensemble(study, start, stop, n_threads, progress=None):
    from ..solve.ensemble import Ensemble

    values, chips, trials = study.members(start, stop)
    n = stop - start
    out = _empty(study, n)
    ens = Ensemble(study.model, params=values or None, size=n)
    noisy = bool(study.noise) or study.mismatch is not None
    res = ens.simulate(study.t_end, i_app=study.drive, dt=study.dt, method=study.method, t_record=study.t_record,
                       max_spikes=max(study.spikes, 512), save_every=study.traces, n_threads=n_threads,
                       progress=progress or False, noise=study.noise or None, seed=study.seed if noisy else None,
                       trials=trials, chips=chips, mismatch=study.mismatch, check_step=False)  # the study checked its step
    for i, reason in res.failures.items():
        out["status"][i] = reason.code
    out["t_failed"][:] = res.t_failed
    out["spike_count"][:] = res.counts.T
    for i in range(n):
        for m in range(len(res.neuron_names)):
            _record(out, i, m, res.summary(i, neuron=m))
    if study.spikes:
        out["spike_times"][:] = res.times[:, :, :study.spikes].transpose(1, 0, 2)
    if study.traces:
        out["v"][:] = res.traces.transpose(1, 0, 2)
    return out


def _chunk_single(study, start, stop, halt):
    import threading

    from ..lower.compile import as_compiled_model
    from ..solve.solvers import get_solver

    values, _, _ = study.members(start, stop)
    n = stop - start
    out = _empty(study, n)
    base = as_compiled_model(study.model)
    solver = get_solver(study.method, rtol=study.rtol, atol=study.atol, dt=study.dt)
    drive = float(np.atleast_1d(study.drive(0.0))[0])
    single = base.n_neurons == 1 and hasattr(study.model, "elements")

    def member(i, stop_event):
        cell = {path: float(vals[i]) for path, vals in values.items()}
        if single:
            cell["i_app"] = cell.get("i_app", 0.0) + drive
        try:
            patterns, metrics, reason = run_cell(base, cell, solver, study.t_end, study.t_record, study.max_steps,
                                                 stop_event)
        except SimulationError as exc:
            out["status"][i] = exc.reason.code
            return
        if reason is not None:
            out["status"][i] = reason.code
        for m, p in enumerate(patterns):
            out["pattern"][i, m] = PATTERNS.index(p)
            for k in METRICS:
                out[k][i, m] = metrics[k][m]
            if np.isfinite(metrics["n_spikes"][m]):
                out["spike_count"][i, m] = int(metrics["n_spikes"][m])

    halt = threading.Event() if halt is None else halt
    for i in range(n):
        if halt.is_set() or interrupted():
            raise KeyboardInterrupt
        member(i, halt)
    return out


def _chunk_spice(study, start, stop, n_threads):
    from ..spice.montecarlo import run_jobs

    values, chips, _ = study.members(start, stop)
    n = stop - start
    out = _empty(study, n)
    neurons = list(range(len(study.neuron_names)))
    jobs = []
    for i in range(n):
        model = study.model.copy()
        i_app = study.drive
        for path, vals in values.items():
            if path == "i_app":
                i_app = i_app + float(vals[i])
            else:
                model.set(path, float(vals[i]))
        jobs.append((model, int(chips[i]), study.seed, study.spice["a_vt"], study.spice["a_beta"], study.t_end, i_app,
                     study.spice["max_step"], None, study.t_record, neurons, study.spice["level"]))
    results = run_jobs(jobs, n_threads or 1)
    for i, (_, summaries, failure, _) in enumerate(results):
        if failure is not None:
            out["status"][i] = failure[0].code
            continue
        for m, summary in enumerate(summaries):
            _record(out, i, m, summary)
            out["spike_count"][i, m] = summary["n_spikes"]
    return out


# -- running ---------------------------------------------------------------------------------------

_POLL = 0.05  # seconds between checks for finished chunks and Ctrl-C while a Dask study runs


def run_study(study, out=None, client=None, scheduler=None, workers=None, chunk_size=None, resume=False,
              overwrite=False, progress=None, on_chunk=None, timeout=10.0, n_threads=None):
    """Run every member of ``study`` and return the results as an xarray Dataset.

    Parameters
    ----------
    study : Study, dict or spec file path
        A :class:`Study`, its :meth:`Study.to_dict` data (or a spec file's tables), or a TOML spec
        file (:func:`load_study`).
    out : str or path, optional
        A Zarr store the results stream into, chunk by chunk (per-member metrics; spike times
        and traces if the study asks for them), with the spec and the package version as
        metadata. Without it the results stay in memory.
    client : dask.distributed.Client, optional
        Run the chunks on its cluster. Or ``scheduler`` (an address, e.g.
        ``"tcp://10.0.0.5:8786"``), or ``workers`` (start a LocalCluster with that many worker
        processes for this study). None of them: in this process, on ``n_threads`` threads.
    scheduler : str, optional
        Address of a running Dask scheduler to run the chunks on (waited for ``timeout`` seconds).
    workers : int, optional
        Worker processes of a LocalCluster started for this study and closed after it.
    chunk_size : int, optional
        Members per chunk (default: :func:`default_chunk_size`). A resumed store keeps its own.
    resume : bool, default False
        Continue the study already in ``out`` (same spec): finished chunks are not recomputed.
    overwrite : bool, default False
        Replace a store of a different study at ``out``.
    progress : bool, optional
        A progress bar (Dask's own on a cluster); default None: automatic on a terminal.
    on_chunk : callable, optional
        ``on_chunk(chunk index, chunks done, chunks in all)`` after each chunk is stored.
    timeout : float, default 10.0
        Seconds to wait for the scheduler.
    n_threads : int, optional
        Threads of an in-process study (default: all cores); a cluster runs one chunk per worker thread.

    Returns
    -------
    xarray.Dataset
        Dimensions: the grid paths, ``chip``, ``trial``, ``neuron`` (and ``spike``, ``time``);
        variables ``pattern`` (str), the metrics, ``spike_count``, ``status`` with ``reason``
        (str). ``attrs`` hold the spec, the chunk size, and of this call ``chunks_reused``,
        ``chunks_computed``, ``seconds`` and ``dask_workers`` (0: in-process).

    Raises
    ------
    ModelError
        If ``study`` is not a Study, a dict or a path; a dict is read by :meth:`Study.from_dict`, and
        raises what :class:`Study` raises for its values (``ModelError``, ``StimulusError``,
        ``SolverError``, ``CircuitFileError``).
    CircuitFileError
        If ``study`` is a spec file that does not exist, is not valid TOML or describes a study
        :class:`Study` refuses (:func:`load_study`).
    OutputError
        If ``out`` is a file, a folder that holds no study, in a folder that does not exist or cannot
        be written; if it already holds this study and neither ``resume`` nor ``overwrite`` is given,
        or holds another study without ``overwrite``; or if ``resume`` continues an unfinished store
        written by another version of neuromorph.
    SolverError
        If ``chunk_size`` or ``n_threads`` < 1; if the results kept in memory (no ``out``) or one
        chunk's results would not fit in memory; or if ``client``, ``scheduler``, ``workers`` and
        ``timeout`` are misused (more than one of the first three, a ``client`` that is not a Dask
        client, a malformed address, ``workers`` < 1, ``timeout`` not > 0).
    ClusterError
        If the Dask scheduler cannot be reached (or has no workers) within ``timeout`` seconds, or the
        cluster loses the study (every finished chunk stays stored: run again with ``resume=True``).

    Notes
    -----
    A member that fails (diverging, non-finite, solver failure) is recorded with its reason;
    a chunk whose worker dies is run again on another; Ctrl-C stops the study within about a
    second, keeping every stored chunk for ``resume``. When members diverge because the study's
    fixed step is beyond the stability limit, a ``NeuromorphWarning`` says so.

    Examples
    --------
    In this process, the results in memory:

    >>> import os, tempfile
    >>> import neuromorph as nm
    >>> study = nm.Study("tonic", grid={"i_app": [-1.0, -0.5, 0.0]}, chips=2, mismatch={"gain": 0.05},
    ...                  t_end=600, seed=1)
    >>> ds = nm.run_study(study, n_threads=1)
    >>> ds["pattern"].values.squeeze().tolist()
    [['rest', 'rest'], ['tonic', 'tonic'], ['tonic', 'tonic']]
    >>> ds["reason"].values.ravel().tolist().count("ok"), ds.attrs["chunks_computed"], ds.attrs["dask_workers"]
    (6, 1, 0)

    Streamed into a Zarr store, and resumed (a finished study has nothing left to run):

    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = os.path.join(folder, "tonic.zarr")
    ...     first = nm.run_study(study, out=out)
    ...     again = nm.run_study(study, out=out, resume=True)
    ...     same = bool((again["pattern"] == ds["pattern"]).all())
    ...     print(again.attrs["chunks_reused"], again.attrs["chunks_computed"], same)
    1 0 True
    """
    if isinstance(study, dict):
        study = Study.from_dict(study)
    elif isinstance(study, str | os.PathLike):
        study = load_study(study)
    elif not isinstance(study, Study):
        raise ModelError(f"`study` must be a Study, a spec dict or a spec file, got {study!r}")
    ds = execute(study, out=out, client=client, scheduler=scheduler, workers=workers, chunk_size=chunk_size,
                 resume=resume, overwrite=overwrite, progress=progress, on_chunk=on_chunk, timeout=timeout,
                 n_threads=n_threads)
    cause = ds.attrs.get("diverged_because")
    if cause is not None:
        from ..errors import NeuromorphWarning

        diverged = int(np.count_nonzero(ds["status"].values > 0))
        v.warn(f"{diverged} of {study.n_members} members diverged: {cause}", NeuromorphWarning)
    return ds


def execute(study, out=None, client=None, scheduler=None, workers=None, chunk_size=None, resume=False,
            overwrite=False, progress=None, on_chunk=None, timeout=10.0, n_threads=None, label="study",
            failure_times=False, alongside=None):
    """The one runner: every member of the :class:`Study` ``study`` run chunk by chunk, in this process or on Dask.

    :func:`run_study` (the options are its own) is this and a warning when members diverged; a behaviour map
    and a reliability study run through here too, with their own progress ``label`` and messages.
    ``attrs["diverged_because"]`` says why members diverged when the study's fixed step is the cause.
    ``failure_times``: the Dataset also holds ``t_failed`` (over the member dimensions), when each member was
    found diverging (NaN for one that ran to the end, where the engine does not say, and in chunks reused
    from a store, which does not keep it).
    ``alongside``: a function to run in this process while the chunks run, given a ``threading.Event`` set when the
    study stops (Ctrl-C, an error: it should then return soon); its own exception stops the study. The first task of
    the in-process pool of single runs, its other threads running chunks meanwhile (one thread: before the chunks); on
    Dask, in this thread once the chunks are submitted; before the chunks of other engines. What it makes, it keeps
    itself (a behaviour map's I-V predictions beside its simulations).
    """
    from . import store as zstore
    from .cluster import dask_client

    if chunk_size is not None:
        chunk_size = v.count("chunk_size", chunk_size, 1, SolverError)
    target = None if out is None else zstore.check_target(out, study, resume=resume, overwrite=overwrite)
    if target is None:
        v.memory("out", study.n_members * zstore.stored_bytes(study), SolverError,
                 what=f"the results of {study.n_members} members kept in memory (no `out` store)",
                 advice="give `out`, a Zarr store, and spike times and traces stay on disk")
    local_threads = thread_count(n_threads)  # (checked before a cluster starts)
    with dask_client(client, scheduler, workers, timeout) as dclient:
        threads = local_threads if dclient is None else dclient_threads(dclient)
        if target is not None and target.existing is not None:
            chunk_size = target.existing.chunk_size
        size = chunk_size or default_chunk_size(study, threads)
        v.memory("chunk_size", float(size) * member_bytes(study), SolverError,
                 what=f"the results of a chunk of {size} members")
        n = study.n_members
        bounds = [(a, min(a + size, n)) for a in range(0, n, size)]
        sink = zstore.open_sink(target, study, size, len(bounds)) if target is not None else zstore.MemorySink(study)
        todo = [k for k in range(len(bounds)) if not sink.done(k)]
        reused = len(bounds) - len(todo)
        if study.engine == "ensemble":
            from ..solve.ensemble import warn_if_long

            warn_if_long(sum(bounds[k][1] - bounds[k][0] for k in todo), int(np.ceil(study.t_end / study.dt - 1e-9)),
                         len(study.neuron_names), threads, "this study")

        count = [reused]
        t_failed = np.full(study.n_members, np.nan) if failure_times else None

        def finish(k, result):
            sink.write(k, bounds[k], result)
            if t_failed is not None:
                t_failed[bounds[k][0]:bounds[k][1]] = result["t_failed"]
            count[0] += 1
            if on_chunk is not None:
                on_chunk(k, count[0], len(bounds))

        started = time.perf_counter()
        if dclient is None:
            _run_local(study, bounds, todo, finish, progress, n_threads, label, alongside)
        else:
            _run_dask(dclient, study, bounds, todo, finish, progress, alongside)
        elapsed = time.perf_counter() - started
        n_workers = 0 if dclient is None else len(dclient.nthreads())
    sink.close()
    ds = sink.dataset()
    ds.attrs.update(chunks_reused=reused, chunks_computed=len(todo), chunk_size=size, seconds=elapsed,
                    dask_workers=n_workers)
    if t_failed is not None:
        ds["t_failed"] = (study.dims, t_failed.reshape(study.shape))
    cause = study.divergence_cause() if np.any(ds["status"].values > 0) else None
    if cause is not None:
        ds.attrs["diverged_because"] = cause
    return ds


def dclient_threads(dclient):
    """Threads that run chunks: every core here, or every worker thread of the cluster."""
    if dclient is None:
        return os.cpu_count() or 1
    return max(1, sum(dclient.nthreads().values()))


def _run_local(study, bounds, todo, finish, progress, n_threads, label, alongside=None):
    """The in-process executor, each chunk stored (in this thread) as it finishes: chunks of single runs side by side
    on a pool of ``n_threads`` threads (the kernels release the GIL; Ctrl-C or an error stops every run within about
    0.1 s), ``alongside`` (if given) the pool's first task; the other engines' chunks one after another, each on
    ``n_threads`` threads (an ensemble's lanes) or ngspice processes, after ``alongside``."""
    import queue
    import threading

    from .._parallel import Workers
    from .._progress import Progress

    bar = Progress(0, len(todo), label=label, enabled=progress)
    try:
        if study.engine != "single":
            if alongside is not None:
                alongside(threading.Event())
            for j, k in enumerate(todo):
                a, b = bounds[k]
                within = _ChunkProgress(bar, j, study.t_end) if study.engine == "ensemble" and bar.shown else None
                finish(k, run_chunk(study, a, b, n_threads, progress=within))
                bar.update(j + 1)
            return
        finished = queue.SimpleQueue()
        stored = [0]

        def task(k, stop):
            if k is None:
                alongside(stop)
                return
            a, b = bounds[k]
            finished.put((k, run_chunk(study, a, b, halt=stop)))

        def store(_finished=None):  # (the pool's count of finished tasks: the bar counts the chunks stored)
            while not finished.empty():
                finish(*finished.get())
                stored[0] += 1
            bar.update(stored[0])

        with Workers(n_threads) as workers:
            workers.run(task, ([None] if alongside is not None else []) + list(todo), on_done=store)
        store()
    finally:
        bar.close()


class _ChunkProgress:
    """Chunk ``j``'s time ``t`` of ``t_end`` as the position ``j + t / t_end`` of the bar over chunks."""

    def __init__(self, bar, j, t_end):
        self.bar, self.j, self.t_end = bar, j, t_end

    def update(self, t):
        self.bar.update(self.j + t / self.t_end)


def _run_dask(client, study, bounds, todo, finish, progress, alongside=None):
    import threading
    import uuid

    from distributed import CancelledError, as_completed
    from distributed.scheduler import KilledWorker

    from ..errors import ClusterError

    futures = {}
    run = f"neuromorph-{study.fingerprint()[:12]}-{uuid.uuid4().hex[:8]}"  # never the key of an older run's task
    for k in todo:
        a, b = bounds[k]
        # One thread per task: Dask runs as many tasks at once as each worker has threads.
        futures[client.submit(run_chunk, study, a, b, 1, key=f"{run}-{a}-{b}", pure=False, retries=2)] = k
    if progress:
        _dask_progress(list(futures), client.scheduler.address)
    try:
        if alongside is not None:
            alongside(threading.Event())
        finished = as_completed(list(futures), loop=client.loop)
        while not finished.is_empty():
            # Polled, so that a Ctrl-C (which only sets the flag while a cluster is in use) stops the study.
            if interrupted():
                raise KeyboardInterrupt
            if not finished.has_ready():
                time.sleep(_POLL)
                continue
            for fut in finished.next_batch(block=False):
                finish(futures[fut], fut.result())
    except (KilledWorker, CancelledError, OSError) as exc:
        client.cancel(list(futures))
        raise ClusterError(f"the cluster lost the study ({type(exc).__name__}: {exc}); every finished chunk is "
                           "stored: run it again with resume=True (--resume)") from None
    except BaseException:
        client.cancel(list(futures))
        raise


def _dask_progress(futures, address):
    """Dask's own progress bar (a widget in Jupyter, text on a terminal), beside the collection of results."""
    import threading

    from distributed import progress

    try:
        from IPython import get_ipython

        if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
            progress(futures, scheduler=address)
            return
    except ImportError:
        pass
    threading.Thread(target=progress, args=(futures,), kwargs={"notebook": False, "scheduler": address},
                     daemon=True).start()
