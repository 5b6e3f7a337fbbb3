"""A user's files are never lost, and long work stops when asked (real processes, real signals)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import one_line, run

import neuromorph as nm
from neuromorph._parallel import POOL_PREFIX, Workers
from neuromorph.io.files import write_together

ROOT = Path(__file__).resolve().parents[1]
CIRCUITS = ROOT / "circuits"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}




@pytest.fixture
def circuit(tmp_path):
    """A hand-written circuit file (with a comment the user would hate to lose)."""
    path = tmp_path / "c.toml"
    path.write_text("# my notes\n" + (CIRCUITS / "tonic_spiking.toml").read_text(), encoding="utf-8")
    return path


# -- an output is never the input -----------------------------------------------------

@pytest.mark.parametrize("how", ["same path", "another path", "symlink", "hard link"])
def test_simulate_refuses_to_write_over_its_input(tmp_path, circuit, how):
    before = circuit.read_bytes()
    (tmp_path / "sub").mkdir()
    out = {"same path": "c.toml", "another path": "sub/../c.toml", "symlink": "link.toml",
           "hard link": "hard.toml"}[how]
    if how == "symlink":
        (tmp_path / "link.toml").symlink_to(circuit)
    if how == "hard link":
        os.link(circuit, tmp_path / "hard.toml")
    proc = run(tmp_path, "simulate", "c.toml", "--t-end", 50, "--out", out)
    assert proc.returncode == 2
    assert "is the input file" in one_line(proc.stderr)
    assert proc.stdout == ""  # refused before any work
    assert circuit.read_bytes() == before


def test_a_network_files_node_files_are_inputs_too(tmp_path):
    # a node file with an unusual name, which an output name can hit
    (tmp_path / "cell.npz").write_text((CIRCUITS / "bursting.toml").read_text(), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "net.toml").write_text(
        'format = "neuromorph-network/1"\nname = "net"\n[simulation]\nt_end = 50\n'
        '[nodes.n1]\nfile = "../cell.npz"\n[nodes.n2]\nneuron = "bursting"\n'
        '[[connections]]\nkind = "current_synapse"\npre = "n1"\npost = "n2"\ng = 0.2\n', encoding="utf-8")
    before = (tmp_path / "cell.npz").read_bytes()
    for args in (["simulate", "sub/net.toml", "--out", "cell.npz", "--plot", "x.png"],
                 ["export-spice", "sub/net.toml", "-o", "./sub/../cell.npz"],
                 ["map", "sub/net.toml", "--x", "n1.i_app:-1:0:2", "--t-end", 50, "--plot", "cell.npz"]):
        proc = run(tmp_path, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "is the input file" in one_line(proc.stderr) and "cell.npz" in proc.stderr
        assert proc.stdout == "" and not (tmp_path / "x.png").exists()
    assert (tmp_path / "cell.npz").read_bytes() == before


def test_every_writing_command_refuses_its_input(tmp_path, circuit):
    before = circuit.read_bytes()
    for args in (["map", "c.toml", "--x", "i_app:-1:0:2", "--t-end", 50, "--out", "c.toml"],
                 ["map", "c.toml", "--x", "i_app:-1:0:2", "--t-end", 50, "--plot", "./c.toml"],
                 ["iv", "c.toml", "--plot", "c.toml"]):
        proc = run(tmp_path, *args)
        assert proc.returncode == 2, args
        assert "is the input file" in one_line(proc.stderr)
    assert circuit.read_bytes() == before


def test_two_outputs_naming_one_file_are_refused(tmp_path, circuit):
    (tmp_path / "x.png").symlink_to(tmp_path / "y.png")
    for out, plot in (("r.png", "r.png"), ("r.png", "./r.png"), ("x.png", "y.png")):
        proc = run(tmp_path, "simulate", "c.toml", "--t-end", 50, "--out", out, "--plot", plot)
        assert proc.returncode == 2
        assert "name the same file" in one_line(proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml", "x.png"]


def test_an_unwritable_output_is_refused_before_a_long_map(tmp_path, circuit):
    """A 64 x 64 map of 20 000 time units takes ~10 s of CPU here; the refusal comes at once (the command's CPU
    time is measured, not the wall clock: a busy machine slows both alike)."""
    import resource

    def children_cpu():
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    cpu0 = children_cpu()
    proc = run(tmp_path, "map", "c.toml", "--x", "i_app:-3:0:64", "--y", "slow_positive.alpha:0:3:64",
               "--out", "/proc/map.npz")
    cpu = children_cpu() - cpu0
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "--out '/proc/map.npz'" in line and "does not accept new files" in line
    assert cpu < 4.0, f"{cpu:.1f} s of CPU before the refusal"


def test_write_errors_name_the_users_path_not_the_temporary_file(tmp_path):
    target = tmp_path / "figure.png"

    def write(tmp):
        open(os.path.join(tmp, "inside"), "w")  # the temporary path is a file: NotADirectoryError

    with pytest.raises(nm.OutputError) as info:
        write_together([(target, write)])
    message = str(info.value)
    assert repr(str(target)) in message
    assert ".figure." not in message and ".png" in message
    assert list(tmp_path.iterdir()) == []


def test_save_onto_a_symlink_writes_through_it(tmp_path):
    target = tmp_path / "real.toml"
    target.write_text("# old\n")
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    nm.save(nm.preset("bursting"), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert nm.load(target) == nm.preset("bursting")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.toml", "real.toml"]


def test_save_documents_that_comments_are_not_kept():
    assert "Comments in an existing file" in nm.save.__doc__


def test_demo_into_an_existing_file_is_a_clear_error(tmp_path):
    (tmp_path / "figs").write_text("mine")
    proc = run(tmp_path, "demo", "--out", "figs", "--no-plots")
    assert proc.returncode == 2
    assert "'figs': it is a file, not a folder" in one_line(proc.stderr)
    assert (tmp_path / "figs").read_text() == "mine"


# -- Ctrl-C ---------------------------------------------------------------------------

def _start(cwd, log, *args):
    return subprocess.Popen([sys.executable, "-m", "neuromorph", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=open(log, "wb"), env=ENV)


def _wait_for(read, text, proc, timeout=300):
    deadline = time.monotonic() + timeout
    while text not in read():
        assert proc.poll() is None, f"finished before {text!r} appeared: {read()}"
        assert time.monotonic() < deadline, f"{text!r} never appeared"
        time.sleep(0.05)


def _interrupt(proc):
    """SIGINT, then the seconds until the process exits."""
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    return time.perf_counter() - t0


@pytest.mark.parametrize("command", [
    ["map", "c.toml", "--x", "i_app:-3:0:64", "--y", "slow_positive.alpha:0:3:64", "--t-end", 50_000,
     "--out", "map.npz", "--plot", "map.png", "--progress"],
    ["simulate", "c.toml", "--t-end", 1e8, "--max-steps", 10**9, "--out", "run.npz", "--plot", "run.png",
     "--progress"],
])
def test_ctrl_c_stops_a_command_within_a_second_and_writes_nothing(tmp_path, circuit, command):
    log = tmp_path.parent / f"{tmp_path.name}.stderr"
    proc = _start(tmp_path, log, *command)
    label = "behaviour map" if command[0] == "map" else "simulating"
    _wait_for(lambda: log.read_text(errors="replace"), label, proc)  # compiled, predicted, now integrating
    time.sleep(0.5)
    elapsed = _interrupt(proc)
    assert proc.returncode == 130
    assert elapsed < 2.0
    assert log.read_text(errors="replace").strip().splitlines()[-1].endswith("interrupted; no output written")
    assert "Traceback" not in log.read_text(errors="replace")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]  # no output, no temporary file


def test_ctrl_c_during_the_demo_leaves_no_partial_set_of_figures(tmp_path):
    log = tmp_path.parent / f"{tmp_path.name}.stderr"
    proc = _start(tmp_path, log, "demo", "--out", "figs")
    line = proc.stdout.readline()
    while b"bursting " not in line:  # the second circuit's row: figures of the first are written by now
        assert line, "the demo ended early"
        line = proc.stdout.readline()
    elapsed = _interrupt(proc)
    assert proc.returncode == 130
    assert elapsed < 2.0
    assert list(tmp_path.iterdir()) == []  # no figs/, no hidden staging folder


def _interrupt_soon(delay):
    timer = threading.Timer(delay, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.parametrize("work", ["map", "ensemble", "reliability"])
def test_an_interrupted_study_raises_keyboardinterrupt_promptly(work):
    """In Python: Ctrl-C during a map, an ensemble or a reliability study on two threads raises at once, and no
    worker lingers."""
    n = nm.preset("bursting")
    if work == "map":
        nm.behaviour_map(n, x=("i_app", -3, 0, 2), t_end=100, predict=False)  # compile first
        job = lambda: nm.behaviour_map(n, x=("i_app", -3, 0, 32), y=("slow_negative.alpha", -3, 0, 32),  # noqa: E731
                                       t_end=200_000, predict=False, n_threads=2)
    elif work == "reliability":
        nm.reliability(n, -2.0, trials=2, intrinsic=0.02, t_end=10)  # compile first
        job = lambda: nm.reliability(n, -2.0, trials=256, intrinsic=0.02, t_end=1e5, n_threads=2)  # noqa: E731
    else:
        nm.Ensemble(n, size=2).simulate(10, dt=0.05)
        job = lambda: nm.Ensemble(n, params={"i_app": np.linspace(-3, 0, 256)}).simulate(  # noqa: E731
            1e5, dt=0.05, n_threads=2)
    # (each job takes about 30 s uninterrupted on an idle 2-core machine: long enough, and bounded if Ctrl-C
    # were lost.) Ctrl-C must reach this process at all: an import that ignored SIGINT made both run to their
    # end here once (the Dask workers' preload, imported by the doctest collection).
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    threads_before = threading.active_count()
    t0 = time.perf_counter()  # (before the timer starts: the job runs at least the timer's second)
    timer = _interrupt_soon(1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            job()
    finally:
        timer.cancel()
    elapsed = time.perf_counter() - t0
    assert 1.0 <= elapsed < 2.5
    # No worker lingers: every thread the job started has ended, but the threads of the process's pool, kept
    # idle for the next call; and those are idle: two tasks that need both at once run at once.
    kept = lambda: sum(t.name.startswith(POOL_PREFIX) for t in threading.enumerate())  # noqa: E731
    deadline = time.monotonic() + 2.0
    while threading.active_count() - kept() > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() - kept() <= threads_before
    both = threading.Barrier(2, timeout=2.0)
    with Workers(2) as pool:
        assert pool.run(lambda item, stop: both.wait() >= 0, [0, 1]) == [True, True]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped KeyboardInterrupt
def test_a_ctrl_c_that_a_c_callback_swallows_still_stops_the_work():
    """Python drops a KeyboardInterrupt raised inside a C callback (numba's cache callbacks while a kernel
    loads, ngspice's cffi callbacks): under the command line's handler the run stops anyway."""
    import ctypes

    from neuromorph._parallel import catch_interrupts, interrupted

    def press_ctrl_c():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)  # the KeyboardInterrupt is raised here, inside the callback, and dropped

    callback = ctypes.CFUNCTYPE(None)(press_ctrl_c)
    run = nm.Integrator("bursting", i_app=-2.0, record=())
    with catch_interrupts():
        callback()  # returns normally: ctypes reported the KeyboardInterrupt as "Exception ignored"
        assert interrupted()
        started = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            run.advance(1e7)  # ~2 s of work: stopped at its first check instead
        assert time.perf_counter() - started < 0.5
    assert not interrupted()  # the flag ends with the command
    run.advance(100.0)  # and runs go on after it
