"""Independent pieces of work on a thread pool that stops when asked.

The numba kernels release the GIL, so threads run them in parallel. Every
task receives the pool's ``stop`` event and checks it between units of work
(map cells, ensemble time slices, solver chunks). Ctrl-C in the main thread,
or an exception in any task, sets ``stop``, cancels the queued tasks, lets the
running ones return at their next check (well under a second), and re-raises
in the main thread: one ``KeyboardInterrupt``, no traceback from the workers.
"""

import os
import threading

from . import _validate as v
from .errors import SolverError

__all__ = ["Workers", "thread_count"]

_WAIT = 0.2  # seconds between checks of the main thread while tasks run


def thread_count(n_threads):
    """``n_threads`` validated, or every core when ``None``."""
    return (os.cpu_count() or 1) if n_threads is None else v.count("n_threads", n_threads, 1, SolverError)


class Workers:
    """A pool of ``n_threads`` threads (none for one thread: tasks then run in the caller).

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

    def __enter__(self):
        if self.n_threads > 1:
            from concurrent.futures import (
                ThreadPoolExecutor,  # imported here: it slows every CLI start
            )

            self._pool = ThreadPoolExecutor(self.n_threads)
        return self

    def run(self, task, items, on_done=None):
        """``[task(item, stop) for item in items]``, in parallel; ``on_done(count)`` after each finishes."""
        items = list(items)
        if self._pool is None or len(items) <= 1:
            out = []
            for item in items:
                if self.stop.is_set():
                    raise KeyboardInterrupt
                out.append(task(item, self.stop))
                if on_done is not None:
                    on_done(len(out))
            return out
        from concurrent.futures import FIRST_COMPLETED, wait

        futures = [self._pool.submit(task, item, self.stop) for item in items]
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=_WAIT, return_when=FIRST_COMPLETED)
                for fut in finished:
                    fut.result()  # a task's exception surfaces here
                if finished and on_done is not None:
                    on_done(len(futures) - len(pending))
        except BaseException:
            self._cancel(futures)
            raise
        return [fut.result() for fut in futures]

    def _cancel(self, futures):
        """Stop: drop the queued tasks and wait for the running ones, which return at their next check."""
        self.stop.set()
        for fut in futures:
            fut.cancel()
        from concurrent.futures import wait

        wait(futures)

    def __exit__(self, kind, exc, tb):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        return False
