"""Running ngspice: its shared library through PySpice, or the ``ngspice`` program as a fallback.

ngspice's shared library keeps state between runs and is not re-entrant: one instance per
process, runs one at a time (a lock), every run's plots destroyed afterwards. Its informational
messages on stderr ("Unsupported Ngspice version", notes about init files) are collected, not
raised and not printed; a run that really fails (no transient plot, an error line) raises
:class:`~neuromorph.errors.SimulationError` with ngspice's own message.
"""

import ctypes.util
import logging
import os
import shutil
import subprocess
import tempfile
import threading

import numpy as np

from ..errors import SimulationError

__all__ = ["run_transient", "run_dc", "ngspice_available", "NgspiceMissing"]

_LOCK = threading.Lock()
_SHARED = None


class NgspiceMissing(SimulationError):
    """Neither ngspice's shared library nor the ``ngspice`` program is installed."""


def _quiet_pyspice():
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
        _quiet_pyspice()
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared
    except ImportError:
        return None

    class Quiet(NgSpiceShared):
        """Collects ngspice's messages; decides about errors after the run, not on every stderr line."""

        def send_char(self, message, ngspice_id):
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


def _run_shared(deck, kind):
    """Load and run a deck in the shared library; return its plot (vectors by lower-case name) as arrays."""
    ng = _shared()
    with _LOCK:
        ng._stderr, ng._stdout = [], []
        ng._error_in_stderr = ng._error_in_stdout = False
        try:
            try:
                ng.load_circuit(deck)
                ng.run()
            except Exception as exc:  # PySpice raises NameError / NgSpiceCommandError on ngspice's failures
                raise SimulationError(f"ngspice failed: {exc}; " + "; ".join(_errors(ng._stderr + ng._stdout)[:3]),
                                      t=0.0, reason="spice failed") from None
            plot_name = ng.last_plot
            if not plot_name.startswith(kind):
                raise SimulationError(f"ngspice produced no {kind} result: " + "; ".join(
                    _errors(ng._stderr + ng._stdout)[:3] or ng._stderr[-3:]), t=0.0, reason="spice failed")
            plot = ng.plot(None, plot_name)
            return {name.lower(): np.array(plot[name]._data, dtype=np.float64) for name in plot}
        finally:
            try:
                ng.remove_circuit()
                ng.exec_command("destroy all")
            except Exception:  # noqa: BLE001 - a failed clean-up must not hide the run's error
                pass


def run_dc(deck, source, probe):
    """Run a deck holding a ``.dc`` sweep of voltage ``source``; return ``(swept values, current into the
    positive terminal of voltage source ``probe`` from the circuit)``."""
    if _shared() is None:
        raise NgspiceMissing("ngspice's shared library is not installed: install the Debian package libngspice0 "
                             "(bash .ci/bootstrap does)", t=0.0, reason="ngspice missing")
    vectors = _run_shared(deck, "dc")
    sweep = vectors.get("v-sweep", vectors.get(source.lower()))
    return sweep, vectors[f"{probe.lower()}#branch"]


def run_transient(deck, nodes):
    """Run a deck holding a ``.tran``; return ``(time in s, {node: voltages})``."""
    if _shared() is not None:
        vectors = _run_shared(deck, "tran")
        return vectors["time"], {n: vectors[n.lower()] for n in nodes}
    if shutil.which("ngspice") is None:
        raise NgspiceMissing("ngspice is not installed: install the Debian packages ngspice and libngspice0 "
                             "(bash .ci/bootstrap does)", t=0.0, reason="ngspice missing")
    return _run_program(deck, nodes)


def _run_program(deck, nodes):
    """``ngspice -b`` on the deck with a control block writing the node voltages as text."""
    folder = tempfile.mkdtemp(prefix="neuromorph_spice_")
    try:
        data = os.path.join(folder, "out.txt")
        control = [".control", "set wr_singlescale", "set wr_vecnames", "option numdgt=15", "run",
                   f"wrdata {data} " + " ".join(f"v({n})" for n in nodes), "quit", ".endc"]
        text = deck.replace("\n.end\n", "\n" + "\n".join(control) + "\n.end\n")
        path = os.path.join(folder, "deck.cir")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        proc = subprocess.run(["ngspice", "-b", path], capture_output=True, text=True, timeout=3600)
        if not os.path.exists(data):
            raise SimulationError("ngspice failed: " + "; ".join(_errors(proc.stdout.splitlines()
                                                                       + proc.stderr.splitlines())[:3]),
                                  t=0.0, reason="spice failed")
        table = np.loadtxt(data, skiprows=1, ndmin=2)
        return table[:, 0], {n: table[:, i + 1] for i, n in enumerate(nodes)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
