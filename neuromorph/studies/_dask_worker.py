"""Preloaded into the worker processes of a LocalCluster that a study starts (``preload=[__name__]``).

A Ctrl-C at a terminal goes to the whole process group: the workers would each print a
KeyboardInterrupt traceback while the command that started them stops and closes the cluster
itself. They ignore SIGINT; the cluster's close ends them.

Importing this module changes nothing (pytest's doctest collection imports every module, and an
import that ignored SIGINT made Ctrl-C, and the tests of it, dead in that process): Dask calls the
hooks below in the worker.
"""


def dask_setup(worker):
    """The worker starts: it ignores SIGINT (set in its main thread; the start-up wrapper already did so
    for a worker the study started itself, this covers one that Dask restarts)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_teardown(worker):
    """The worker is closing (its cluster stops, e.g. after a Ctrl-C in the command that started it): the chunk
    it runs stops at its next time slice, as after a Ctrl-C in-process, rather than running to its end."""
    from neuromorph._parallel import stop_long_work

    stop_long_work()
