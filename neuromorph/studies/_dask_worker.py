"""Preloaded into the worker processes of a LocalCluster that a study starts (``preload=[__name__]``).

A Ctrl-C at a terminal goes to the whole process group: the workers would each print a
KeyboardInterrupt traceback while the command that started them stops and closes the cluster
itself. They ignore SIGINT; the cluster's close ends them.
"""

import signal
import threading

if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_teardown(worker):
    """The worker is closing (its cluster stops, e.g. after a Ctrl-C in the command that started it): the chunk
    it runs stops at its next time slice, as after a Ctrl-C in-process, rather than running to its end."""
    from neuromorph._parallel import stop_long_work

    stop_long_work()
