"""A line on stderr while numba compiles a solver kernel, so a first run is not a silent minute.

A kernel is compiled once, on its first use (or after its sources changed), then loaded from
numba's cache in a fraction of a second. numba reports a compilation through its event API
(``numba:compile``) only on a cache miss, never for a kernel loaded from the cache, so the line
appears exactly when the wait is real; the functions a kernel compiles in turn are nested
events and say nothing.
"""

import os
import sys
import threading

from numba.core import event

__all__ = ["KERNELS", "CompileNotice", "install", "ready", "lock_path"]

# The kernels a command waits for, what to call them, and their compile time with an empty cache
# (CPU seconds on this project's 2-core VM, each alone, from an empty cache; about the wall time on
# an idle machine). Functions outside this table (small helpers called from Python) compile in
# about a second and say nothing.
KERNELS = {
    "dopri5_run": ("dopri5 solver", 15),  # measured: 14.1 s
    "dop853_run": ("dop853 solver", 20),
    "rosenbrock23_run": ("rosenbrock23 solver", 15),  # 15.4 s
    "fixed_run": ("fixed-step solvers", 15),  # 13.9 s
    "fixed_run_threads": ("threaded fixed-step solvers", 15),  # 16.9 s
    "fixed_run_uniform": ("fixed-step solvers for networks of like neurons", 15),
    "fixed_run_uniform_threads": ("threaded fixed-step solvers for networks of like neurons", 30),
    "lanes_run": ("ensemble solvers", 15),  # 17.1 s
    "observer_lanes": ("ensemble observers", 10),  # 9.0 s
}


class CompileNotice(event.Listener):
    """Prints ``neuromorph: compiling the dopri5 solver with numba (first run only, ~15 s)...`` on
    ``stream`` (stderr) when a kernel of :data:`KERNELS` starts compiling."""

    def __init__(self, stream=None):
        self.stream = stream
        self.depth = 0  # nested compilations: the functions a kernel calls

    def on_start(self, ev):
        self.depth += 1
        function = ev.data["dispatcher"].py_func
        known = KERNELS.get(function.__name__)
        if self.depth == 1 and known is not None and function.__module__.startswith(__package__ + "."):
            what, seconds = known
            print(f"neuromorph: compiling the {what} with numba (first run only, ~{seconds} s)...",
                  file=self.stream or sys.stderr, flush=True)

    def on_end(self, ev):
        self.depth -= 1


def install(stream=None):
    """Register a :class:`CompileNotice` for this process; returns it."""
    notice = CompileNotice(stream)
    event.register("numba:compile", notice)
    return notice


_READY = set()  # kernels this process has compiled or loaded (by ready())
_READY_LOCK = threading.Lock()


def ready(kernel, args, on_wait=None):
    """Compile ``kernel`` for ``args`` (or load it from numba's cache) before its first call in this process,
    holding a lock shared by every process on the machine for that kernel: where several processes start
    at once (pytest workers, a Dask LocalCluster's workers, a study's first cells), one compiles and the
    others wait for it and then load its cache, instead of each compiling the same kernel (~15-25 s of CPU
    each). The wait is silent (a process that only loads the cache holds the lock for a moment too, and a
    line for that would mislead); ``on_wait()`` is called when it begins. It stops on Ctrl-C. A later call
    with other argument types compiles as numba always does; where ``fcntl`` is missing (Windows), or the
    lock file (:func:`lock_path`) cannot be written, there is no lock."""
    if kernel in _READY:
        return
    with _READY_LOCK:
        if kernel in _READY:
            return
        signature = tuple(kernel.typeof_pyval(a) for a in args)
        lock = _open_lock(kernel.py_func.__name__)
        if lock is None:  # (no lock: numba compiles as usual)
            kernel.compile(signature)
        else:
            import fcntl

            with lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if on_wait is not None:
                        on_wait()
                    fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    kernel.compile(signature)  # a cache hit if the other process has just compiled it
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        _READY.add(kernel)


def _open_lock(name):
    """The lock file of kernel ``name`` opened, or None where there can be none (no ``fcntl``: Windows; a cache
    folder we cannot write, where numba caches elsewhere)."""
    import importlib.util

    if importlib.util.find_spec("fcntl") is None:
        return None
    try:
        return open(lock_path(name), "a")
    except OSError:
        return None


def lock_path(name):
    """The lock file :func:`ready` holds while kernel ``name`` compiles, in numba's cache folder (``NUMBA_CACHE_DIR``,
    or the ``__pycache__`` beside these sources, where numba keeps the kernels): one per kernel and cache."""
    import numba

    folder = numba.config.CACHE_DIR or os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"neuromorph-{name}.lock")
