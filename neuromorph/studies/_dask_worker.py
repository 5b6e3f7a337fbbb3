"""Preloaded into the worker processes of a LocalCluster that a study starts (``preload=[__name__]``).

A Ctrl-C at a terminal goes to the whole process group: the workers would each print a
KeyboardInterrupt traceback while the command that started them stops and closes the cluster
itself. They ignore SIGINT; the cluster's close ends them.
"""

import signal
import threading

if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
