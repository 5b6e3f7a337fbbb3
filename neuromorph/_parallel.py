"""Independent pieces of work on a thread pool that stops when asked.

The numba kernels release the GIL, so threads run them in parallel. Every
task receives the pool's ``stop`` event and checks it between units of work
(map cells, ensemble time slices, solver chunks). Ctrl-C in the main thread,
or an exception in any task, sets ``stop``, cancels the queued tasks, lets the
running ones return at their next check (well under a second), and re-raises
in the main thread: one ``KeyboardInterrupt``, no traceback from the workers.
"""

import contextlib
import os
import threading

from . import _validate as v
from .errors import SolverError

__all__ = ["Workers", "POOL_PREFIX", "thread_count", "interrupted", "catch_interrupts", "ctrl_c_as_flag", "stop_long_work"]

_WAIT = 0.2  # seconds between checks of the main thread while tasks run

_INTERRUPTED = threading.Event()
_ABANDON = 0.5  # seconds a Ctrl-C'd command waits for running tasks before leaving them to the exit


def interrupted():
    """True once Ctrl-C was pressed in a program that called :func:`catch_interrupts`.

    Ctrl-C raises ``KeyboardInterrupt`` where the main thread happens to be, and Python drops an
    exception raised inside a C callback (a ctypes callback while numba loads a cached kernel, a cffi
    callback of ngspice) with an "Exception ignored" line: the work would go on for its whole length.
    Long loops (integrator calls, thread pools, ngspice runs) also check this flag, so the Ctrl-C is
    never lost.
    """
    return _INTERRUPTED.is_set()


def stop_long_work():
    """Make :func:`interrupted` true in this process, as a Ctrl-C would (a Dask worker being closed)."""
    _INTERRUPTED.set()


@contextlib.contextmanager
def ctrl_c_as_flag():
    """``with ctrl_c_as_flag():`` Ctrl-C (in the main thread) only sets :func:`interrupted`, for the loops inside
    to raise ``KeyboardInterrupt`` at a point of their choosing, and is raised on leaving if nothing raised it
    (the flag is cleared again then if it was set here). Raised asynchronously, it lands wherever the main
    thread is: inside a C callback (ngspice's, a ctypes callback of numba, a gc callback) Python prints
    "Exception ignored" and drops it; inside Dask's code it leaves a cluster half-started or half-closed."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    was_set = interrupted()
    pressed = []

    def note(signum, frame):
        pressed.append(signum)
        _INTERRUPTED.set()

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed and not was_set:
            _INTERRUPTED.clear()
    if pressed:
        raise KeyboardInterrupt


class catch_interrupts:
    """``with catch_interrupts():`` Ctrl-C sets :func:`interrupted` as well as raising ``KeyboardInterrupt``
    (the command line wraps each command in it; a library leaves the user's signal handlers alone).
    On leaving, the previous handler is back and the flag is cleared. Only in the main thread."""

    def __enter__(self):
        import signal

        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    @staticmethod
    def _on_sigint(signum, frame):
        _INTERRUPTED.set()
        raise KeyboardInterrupt

    def __exit__(self, kind, exc, tb):
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        _INTERRUPTED.clear()
        return False


def thread_count(n_threads):
    """``n_threads`` validated, or every core when ``None``."""
    return (os.cpu_count() or 1) if n_threads is None else v.count("n_threads", n_threads, 1, SolverError)


class Workers:
    """A pool of ``n_threads`` threads (none for one thread: tasks then run in the caller). The threads are the
    process's, kept for the next ``with``; each ``with`` has its own ``stop``.

    Examples
    --------
    >>> with Workers(2) as pool:
    ...     pool.run(lambda item, stop: item * item, [1, 2, 3])
    [1, 4, 9]
    """

    def __init__(self, n_threads=None):
        self.n_threads = thread_count(n_threads)
        self.stop = threading.Event()
        self._pool = None
        self._own = False

    def __enter__(self):
        if self.n_threads > 1:
            self._pool, self._own = _pool_of(self.n_threads)
        return self

    def run(self, task, items, on_done=None):
        """``[task(item, stop) for item in items]``, in parallel; ``on_done(count)`` after each finishes."""
        items = list(items)
        if self._pool is None or len(items) <= 1:
            out = []
            for item in items:
                if self.stop.is_set() or interrupted():
                    raise KeyboardInterrupt
                out.append(task(item, self.stop))
                if on_done is not None:
                    on_done(len(out))
            return out
        from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, wait

        # Woken at each task's end only to report it: otherwise at the first failure, or every _WAIT seconds
        # to look for a Ctrl-C (a wake-up per task cost ~50 us, a tenth of a short ensemble's call).
        when = FIRST_EXCEPTION if on_done is None else FIRST_COMPLETED
        futures = [self._pool.submit(task, item, self.stop) for item in items]
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=_WAIT, return_when=when)
                if interrupted():
                    raise KeyboardInterrupt
                for fut in finished:
                    fut.result()  # a task's exception surfaces here
                if finished and on_done is not None:
                    on_done(len(futures) - len(pending))
        except BaseException:
            self._cancel(futures)
            raise
        return [fut.result() for fut in futures]

    def _cancel(self, futures):
        """Stop: drop the queued tasks and wait for the running ones, which return at their next check.

        After a Ctrl-C at the command line (:func:`interrupted`) the wait is short: a task may be inside
        a numba compile, which no flag reaches, and the program is about to end anyway."""
        self.stop.set()
        for fut in futures:
            fut.cancel()
        from concurrent.futures import wait

        wait(futures, timeout=_ABANDON if interrupted() else None)

    def __exit__(self, kind, exc, tb):
        if self._own:
            self._pool.shutdown(wait=not interrupted(), cancel_futures=True)
        return False


POOL_PREFIX = "neuromorph-pool"  # the name of the shared pools' threads begins so
_POOLS = {}  # n_threads -> the process's shared ThreadPoolExecutor of that many threads
_POOLS_LOCK = threading.Lock()
_IN_POOL = threading.local()  # .shared is True in a shared pool's threads


def _pool_of(n_threads):
    """``(executor, own)``: the process's pool of ``n_threads`` threads, kept from call to call (a pool of its own
    cost ~0.3 ms of thread starts a call: a quarter of a 1000-copy ensemble's fixed cost), or, inside a task of
    a shared pool, a new one that the caller shuts down (``own``: its tasks could otherwise wait for threads
    that wait for them)."""
    from concurrent.futures import ThreadPoolExecutor  # imported here: it slows every CLI start

    if getattr(_IN_POOL, "shared", False):
        return ThreadPoolExecutor(n_threads), True
    with _POOLS_LOCK:
        pool = _POOLS.get(n_threads)
        if pool is None:
            pool = _POOLS[n_threads] = ThreadPoolExecutor(n_threads, thread_name_prefix=POOL_PREFIX,
                                                          initializer=_mark_shared)
        return pool, False


def _mark_shared():
    _IN_POOL.shared = True
