"""The Dask client a study runs on: one given, a scheduler reached by address, or a LocalCluster started for it."""

import contextlib
import logging
import os

from .. import _validate as v
from .._parallel import ctrl_c_as_flag, interrupted
from ..errors import ClusterError, SolverError

__all__ = ["dask_client", "check_address"]


def _distributed():
    try:
        import distributed
    except ImportError:  # pragma: no cover - a core dependency; a broken install
        raise ClusterError("running on Dask needs dask.distributed: pip install 'dask[distributed]'") from None
    return distributed


@contextlib.contextmanager
def dask_client(client=None, scheduler=None, workers=None, timeout=10.0):
    """Yield a ``distributed.Client`` (or None: run in this process).

    While a client is in use, Ctrl-C (in the main thread) only sets :func:`~neuromorph._parallel.interrupted` (:func:`~neuromorph._parallel.ctrl_c_as_flag`):
    the study's loop raises ``KeyboardInterrupt`` at its next check (within 0.05 s), and a Ctrl-C while the
    cluster starts or closes is raised once it has. Raised anywhere inside Dask's own code, it left clusters
    half-started or half-closed (their semaphores reported as leaked, "No clients found" errors).

    Parameters
    ----------
    client : distributed.Client, optional
        Used as is (not closed afterwards).
    scheduler : str, optional
        Address of a running scheduler (``"tcp://host:8786"``); an unreachable one is a
        :class:`~neuromorph.errors.ClusterError` after ``timeout`` seconds.
    workers : int, optional
        Start a LocalCluster of that many worker processes (the cores shared between them),
        closed afterwards.
    """
    if client is None and scheduler is None and workers is None:
        yield None
        return
    with ctrl_c_as_flag(), _dask_client(client, scheduler, workers, timeout) as dclient:
        yield dclient


@contextlib.contextmanager
def _dask_client(client, scheduler, workers, timeout):
    given = [name for name, value in (("client", client), ("scheduler", scheduler), ("workers", workers))
             if value is not None]
    if len(given) > 1:
        raise SolverError(f"give one of `client`, `scheduler` and `workers`, not {' and '.join(given)}")
    if not given:
        yield None
        return
    distributed = _distributed()
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise SolverError(f"`client` must be a dask.distributed Client, got {client!r}")
        yield client
        return
    timeout = v.positive("timeout", timeout, SolverError)
    if scheduler is not None:
        check_address(scheduler)
        try:
            with _quiet():
                dclient = distributed.Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"could not reach the Dask scheduler at {scheduler!r} within {timeout:g} s ({exc}); "
                               "start one (`dask scheduler`, `dask worker ADDRESS`), check the address, or run "
                               "locally with --workers N") from None
        try:
            try:  # a cluster whose workers are still queued (SLURM) is waited for, within the timeout
                dclient.wait_for_workers(1, timeout=timeout)
            except TimeoutError:
                raise ClusterError(f"the Dask scheduler at {scheduler!r} has no workers after {timeout:g} s; start "
                                   "some (`dask worker ADDRESS`) or give a longer timeout") from None
            yield dclient
        finally:
            with _quiet():
                dclient.close()
        return
    n = v.count("workers", workers, 1, SolverError)
    threads = max(1, (os.cpu_count() or 1) // n)
    import tempfile

    # The workers' scratch folder is ours, and goes with the cluster (Dask's default, dask-scratch-space in
    # the temporary folder, stays behind after every run).
    import dask

    with tempfile.TemporaryDirectory(prefix="neuromorph-dask-") as scratch, _quiet(), \
            dask.config.set({"temporary-directory": scratch}), contextlib.ExitStack() as stack:
        with _workers_deaf_to_ctrl_c(scratch):  # (only while the cluster starts)
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n, threads_per_worker=threads, processes=True, dashboard_address=":0",
                silence_logs=logging.ERROR, local_directory=scratch, preload=["neuromorph.studies._dask_worker"]))
            dclient = stack.enter_context(distributed.Client(cluster, set_as_default=False))
            # The scheduler (here, in this process) times every garbage collection through a gc callback: a
            # Ctrl-C landing in it was printed as "Exception ignored" and lost (only its flag said it came).
            # Its figures are for Dask's logs, which we silence anyway.
            from distributed.gc import disable_gc_diagnosis

            disable_gc_diagnosis(force=True)
        try:
            yield dclient
        finally:
            if interrupted():
                _end_workers_now(cluster)


def _end_workers_now(cluster):
    """After Ctrl-C the study is over and its finished chunks are stored: the workers are killed rather than
    closed gracefully (each waited for its chunk to stop and its interpreter to exit, more than a second on a
    busy machine). Their nannies are told first, so that none starts a new worker in place of its dead one;
    the cluster's close then finds the processes gone."""
    import signal

    for nanny in list(getattr(cluster, "workers", {}).values()):
        close_gracefully, pid = getattr(nanny, "close_gracefully", None), getattr(nanny, "pid", None)
        if close_gracefully is None or not pid:
            continue
        close_gracefully(reason="neuromorph: interrupted")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextlib.contextmanager
def _workers_deaf_to_ctrl_c(folder):
    """Worker processes started meanwhile ignore SIGINT from their first instruction: a Ctrl-C at the terminal
    goes to the whole process group, and a worker still importing printed a KeyboardInterrupt traceback (the
    command that started the cluster stops it itself). They are started through a two-line shell script in
    ``folder`` that ignores SIGINT and execs Python, which keeps an inherited "ignore" (multiprocessing's
    ``set_executable``); a signal handler, unlike "ignore", would not survive the exec. The preload
    (``_dask_worker``) covers a worker restarted later."""
    import multiprocessing
    import shlex
    import sys
    from multiprocessing import spawn

    if os.name != "posix":
        yield
        return
    wrapper = os.path.join(folder, "python-ignoring-ctrl-c")
    with open(wrapper, "w", encoding="utf-8") as f:
        f.write(f"#!/bin/sh\ntrap '' INT\nexec {shlex.quote(sys.executable)} \"$@\"\n")
    os.chmod(wrapper, 0o700)
    previous = spawn.get_executable()
    multiprocessing.set_executable(wrapper)
    try:
        yield
    finally:
        multiprocessing.set_executable(previous)


def check_address(scheduler):
    """Refuse an address Dask cannot even parse before a Client is made of it: a Client that fails on its address
    is left half-made, and its finaliser then hangs for twice the timeout at exit and prints a traceback."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    example = "an address such as 'tcp://10.0.0.5:8786'"
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise SolverError(f"`scheduler` must be {example}, got {scheduler!r}")
    try:
        scheme, location = parse_address(scheduler.strip())
        get_backend(scheme)
        if scheme in ("tcp", "tls", "ws", "wss"):  # (other schemes, inproc and ucx, address otherwise)
            host, port = parse_host_port(location)
            if not host:
                raise ValueError("no host")
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is not in 1..65535")
    except ValueError as exc:
        raise SolverError(f"`scheduler` {scheduler!r} is not a Dask scheduler address ({exc}); give "
                          f"{example}") from None


@contextlib.contextmanager
def _quiet():
    """Dask's connection retries and shutdown chatter stay out of the user's terminal."""
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.comm", "distributed.client",
                                                    "distributed.scheduler", "distributed.nanny", "tornado")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
