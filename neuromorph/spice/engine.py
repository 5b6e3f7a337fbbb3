"""Running ngspice: its shared library through PySpice, or the ``ngspice`` program as a fallback.

ngspice's shared library keeps state between runs and is not re-entrant: one instance per
process, runs one at a time (a lock), every run's plots destroyed afterwards. A run goes on in
ngspice's background thread while this one waits for its end in short sleeps: Ctrl-C (a
``KeyboardInterrupt`` in the waiting thread) halts ngspice within a few milliseconds and is raised,
instead of landing in one of ngspice's callbacks, where Python can only print it. Its informational
messages on stderr ("Unsupported Ngspice version", notes about init files) are collected, not
raised and not printed; a run that really fails (no transient plot, an error line) raises
:class:`~neuromorph.errors.SimulationError` with ngspice's own message.
"""

import ctypes.util
import logging
import os
import shutil
import re
import subprocess
import tempfile
import threading

import numpy as np

from .._parallel import ctrl_c_as_flag, interrupted
from ..errors import Failure, SimulationError
from .netlist import control_path

__all__ = ["run_transient", "run_dc", "ngspice_available", "NgspiceMissing", "quiet_pyspice"]

_LOCK = threading.Lock()
_SHARED = None


class NgspiceMissing(SimulationError):
    """Neither ngspice's shared library nor the ``ngspice`` program is installed (reason ``Failure.SOLVER_FAILED``:
    the class itself says why, for code that skips a run without ngspice)."""


def quiet_pyspice():
    """Silence PySpice's loggers (ngspice's messages are collected, and judged after each run)."""
    for name in ("PySpice", "PySpice.Spice.NgSpice.Shared"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _shared():
    """The process's ngspice shared-library instance (None if the library or PySpice is missing)."""
    global _SHARED
    if _SHARED is not None:
        return _SHARED
    library = ctypes.util.find_library("ngspice")
    if library is None:
        return None
    try:
        quiet_pyspice()
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared
    except ImportError:
        return None

    class Quiet(NgSpiceShared):
        """Collects ngspice's messages; decides about errors after the run, not on every stderr line;
        tells the waiting thread how far a background run got and when it ended."""

        finished = threading.Event()
        percent = 0.0

        def send_char(self, message, ngspice_id):
            return 0

        def send_stat(self, message, ngspice_id):
            found = re.search(r"([0-9.]+)%", message)
            if found:
                self.percent = float(found.group(1))
            return 0

        @staticmethod
        def _background_thread_running(not_running, ngspice_id, user_data):
            # ngspice calls this from its thread with False as a run starts and True as it ends; PySpice's own
            # returns None, which cffi cannot pass back to C
            if not_running:
                Quiet.finished.set()
            return 0

    Quiet.LIBRARY_PATH = library
    try:
        _SHARED = Quiet.new_instance(send_data=False)
    except OSError:
        return None
    return _SHARED


def ngspice_available():
    """``"shared"``, ``"program"`` or None."""
    if _shared() is not None:
        return "shared"
    return "program" if shutil.which("ngspice") else None


def _errors(lines):
    return [ln for ln in lines if "error" in ln.lower() and "no error" not in ln.lower()]


def _in_background(ng, progress=None):
    """Run the loaded circuit in ngspice's background thread and wait for its end; on Ctrl-C (or any
    other exception here) halt it first, then raise. ``progress(fraction)`` is told how far it got."""
    ng.finished.clear()
    ng.percent = 0.0
    ng.exec_command("bg_run")
    try:
        while not ng.finished.wait(0.05):
            if interrupted():  # a Ctrl-C that a C callback swallowed
                raise KeyboardInterrupt
            if progress is not None:
                progress(ng.percent / 100.0)
    except BaseException:
        try:
            ng.exec_command("bg_halt")  # waits for ngspice's thread to stop
        except Exception:  # noqa: BLE001 - PySpice reports ngspice's "interrupted" message as a failure
            pass
        ng.finished.wait(5.0)
        raise
    if ng._error_in_stdout or ng._error_in_stderr:  # what a foreground `run` raised on
        raise RuntimeError("ngspice reported an error")


_CHECK_LOG = "b3v3_1check.log"
"""ngspice's BSIM3v3.1 model (the PTM cards' version) writes its parameter check to this file in the working
folder on every run; a run here removes it again unless it was there before (the deck a user runs keeps it)."""


def _run_shared(deck, kind, progress=None):
    """Load and run a deck in the shared library; return its plot (vectors by lower-case name) as arrays."""
    ng = _shared()
    leaves_log = not os.path.lexists(_CHECK_LOG)
    # Ctrl-C only sets the flag while ngspice works (it calls back into Python, in this thread too, where a
    # KeyboardInterrupt is dropped): _in_background raises it at its next check, within 0.05 s.
    with ctrl_c_as_flag(), _LOCK:
        ng._stderr, ng._stdout = [], []
        ng._error_in_stderr = ng._error_in_stdout = False
        try:
            try:
                ng.load_circuit(deck)
                _in_background(ng, progress)
            except Exception as exc:  # PySpice raises NameError / NgSpiceCommandError on ngspice's failures
                raise SimulationError(f"ngspice failed: {Failure.SOLVER_FAILED.explanation}: {exc}; "
                                      + "; ".join(_errors(ng._stderr + ng._stdout)[:3]),
                                      t=0.0, reason=Failure.SOLVER_FAILED) from None
            plot_name = ng.last_plot
            if not plot_name.startswith(kind):
                raise SimulationError(f"{Failure.SOLVER_FAILED.explanation}: ngspice produced no {kind} result: "
                                      + "; ".join(_errors(ng._stderr + ng._stdout)[:3] or ng._stderr[-3:]), t=0.0,
                                      reason=Failure.SOLVER_FAILED)
            plot = ng.plot(None, plot_name)
            return {name.lower(): np.array(plot[name]._data, dtype=np.float64) for name in plot}
        finally:
            try:
                ng.remove_circuit()
                ng.exec_command("destroy all")
            except Exception:  # noqa: BLE001 - a failed clean-up must not hide the run's error
                pass
            if leaves_log:
                try:
                    os.unlink(_CHECK_LOG)
                except OSError:
                    pass


def run_dc(deck, source, probe):
    """Run a deck holding a ``.dc`` sweep of voltage ``source``; return ``(swept values, current into the
    positive terminal of voltage source ``probe`` from the circuit)``."""
    if _shared() is None:
        raise NgspiceMissing("ngspice's shared library is not installed: install the Debian package libngspice0 "
                             "(bash .ci/bootstrap does)", t=0.0, reason=Failure.SOLVER_FAILED)
    vectors = _run_shared(deck, "dc")
    sweep = vectors.get("v-sweep", vectors.get(source.lower()))
    return sweep, vectors[f"{probe.lower()}#branch"]


def run_transient(deck, nodes, progress=None):
    """Run a deck holding a ``.tran``; return ``(time in s, {node: voltages})``. ``progress(fraction)``,
    if given, is called as the shared library's run goes on."""
    if _shared() is not None:
        vectors = _run_shared(deck, "tran", progress)
        return vectors["time"], {n: vectors[n.lower()] for n in nodes}
    if shutil.which("ngspice") is None:
        raise NgspiceMissing("ngspice is not installed: install the Debian packages ngspice and libngspice0 "
                             "(bash .ci/bootstrap does)", t=0.0, reason=Failure.SOLVER_FAILED)
    return _run_program(deck, nodes)


def _run_program(deck, nodes):
    """``ngspice -b`` on the deck with a control block writing the node voltages as text."""
    folder = tempfile.mkdtemp(prefix="neuromorph_spice_")
    try:
        data = os.path.join(folder, "out.txt")
        control = [".control", "set wr_singlescale", "set wr_vecnames", "option numdgt=15", "run",
                   f"wrdata {control_path(data, 'the temporary folder')} " + " ".join(f"v({n})" for n in nodes),
                   "quit", ".endc"]
        text = deck.replace("\n.end\n", "\n" + "\n".join(control) + "\n.end\n")
        path = os.path.join(folder, "deck.cir")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        proc = subprocess.run(["ngspice", "-b", path], capture_output=True, text=True, timeout=3600, cwd=folder)
        if not os.path.exists(data):
            raise SimulationError(f"ngspice failed: {Failure.SOLVER_FAILED.explanation}: " + "; ".join(
                _errors(proc.stdout.splitlines() + proc.stderr.splitlines())[:3]), t=0.0, reason=Failure.SOLVER_FAILED)
        table = np.loadtxt(data, skiprows=1, ndmin=2)
        return table[:, 0], {n: table[:, i + 1] for i, n in enumerate(nodes)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
