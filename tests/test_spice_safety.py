"""SPICE decks that no input can subvert, data that never lands on the deck or an input, Ctrl-C and
oversized Monte Carlo studies: all run for real (ngspice, real files, real signals).

A deck is checked line by line (every line a known card, device or control command; one control
block; no ``shell``), then run with ``ngspice -b`` from another folder, where a command injected by a
name would create a file.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import CIRCUITS, ENV, one_line, run

import neuromorph as nm
from neuromorph.errors import ModelError, OutputError
from neuromorph.spice import data_file
from neuromorph.spice import netlist as spice_netlist
from neuromorph.ui.cli import main

NGSPICE_SPECIAL = "'$`;{}!"

HOSTILE = [
    "nl\nshell touch PWNED\n.cir",                      # the issue's example
    "cr\r.control\rshell touch PWNED\r.endc\r.cir",
    "ls\u2028shell touch PWNED.cir",                    # unicode line separator
    "ps\u2029.control.cir",                             # paragraph separator
    "nel\u0085shell touch PWNED.cir",                   # next line
    "vt\vshell touch PWNED.cir",
    "ff\fshell touch PWNED.cir",
    "tab\tshell.cir",
    "semi;shell touch PWNED;.cir",
    "$(touch PWNED).cir",
    "`touch PWNED`.cir",
    "$HOME.cir",
    "it's.cir",
    "{a,b}.cir",
    "bang!1.cir",
    "my deck.cir",                                      # accepted: quoted
    'say "hi".cir',
    "back\\slash\\.cir",
    "*star.cir",
    "+plus.cir",
    ".control.cir",
    "shell touch PWNED.cir",                            # only a file name
    "ünïcødé-名前.cir",
    "x" * 240 + ".cir",                                 # long, but its data file name fits
    "y" * 252 + ".cir",                                 # its data file name would not (255 bytes at most)
    "deck.txt",                                         # its data would be itself
    "plain.cir",
]


def refused(name):
    return (any(ch in NGSPICE_SPECIAL or not ch.isprintable() for ch in name) or len(name.encode()) > 255
            or name.endswith(".txt"))


CONTROL = {"run", "set wr_singlescale", "set wr_vecnames", "option numdgt=12", "quit"}
DEVICE = re.compile(r"[BCIVX][A-Za-z0-9_]* [A-Za-z0-9_]+ [A-Za-z0-9_]+ ")


def check_deck(text, data):
    """Every line of a written deck is a comment, a known card, a device of plain names, a line of the
    inlined cell library, or one of the control commands; the only path is the quoted data file."""
    lines = text.split("\n")
    assert lines[-1] == "" and lines[-2] == ".end"
    assert lines.count(".control") == 1 and lines.count(".endc") == 1
    library = False
    in_control = False
    for line in lines[:-1]:
        assert line.isprintable(), line
        assert not line.lower().lstrip().startswith("shell"), line
        if line.startswith("* --- ") and line.endswith("(included) ---"):
            library = True
        elif line.startswith("* --- end of "):
            library = False
        if line == ".control":
            in_control = True
        elif line == ".endc":
            in_control = False
        elif in_control:
            probes = r"( v\([A-Za-z0-9_]+\))+"
            assert line in CONTROL or re.fullmatch(re.escape(f"wrdata '{data}'") + probes, line), line
        elif library:
            continue  # the package's own cell library, `+` continuations and all
        elif line.startswith("*"):
            assert line.isascii(), line
        elif line.startswith("."):
            assert line.split()[0] in (".ic", ".options", ".save", ".tran", ".end"), line
        else:
            assert DEVICE.match(line), line


def run_deck(deck, tmp_path):
    """``ngspice -b`` on ``deck`` from another folder: an injected command would create PWNED there."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    proc = subprocess.run(["ngspice", "-b", str(deck)], cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-500:] + proc.stderr[-500:]
    assert list(elsewhere.iterdir()) == []  # nothing created where ngspice ran: no injected command, no data
    assert not list(tmp_path.rglob("PWNED"))


@pytest.mark.parametrize("name", HOSTILE, ids=[repr(h)[:20] for h in HOSTILE])
def test_write_cir_refuses_or_quotes_every_hostile_file_name(tmp_path, name):
    deck = tmp_path / "out" / name
    deck.parent.mkdir()
    if refused(name):
        with pytest.raises(OutputError) as info:
            nm.write_cir("tonic", deck, t_end=20, i_app=-0.7)
        message = str(info.value)
        assert "\n" not in message and "`path`" in message and repr(str(deck))[1:30] in message
        assert list(deck.parent.iterdir()) == []
        return
    nm.write_cir("tonic", deck, t_end=20, i_app=-0.7)
    data = data_file(deck)
    assert data.parent == deck.parent and data != deck and data.is_absolute()
    check_deck(deck.read_text(encoding="utf-8"), data)
    run_deck(deck, tmp_path)
    assert sorted(p.name for p in deck.parent.iterdir()) == sorted([deck.name, data.name])
    table = np.loadtxt(data, skiprows=1)
    assert table.shape[1] == 2 and table[-1, 0] == pytest.approx(20e-3)


@pytest.mark.parametrize("name", HOSTILE[:3] + HOSTILE[8:12] + HOSTILE[15:18] + HOSTILE[-4:],
                         ids=[repr(h)[:20] for h in HOSTILE[:3] + HOSTILE[8:12] + HOSTILE[15:18] + HOSTILE[-4:]])
def test_export_spice_refuses_or_quotes_every_hostile_file_name(tmp_path, capsys, name):
    os.chdir(tmp_path)
    code = main(["export-spice", str(CIRCUITS / "bursting.toml"), "-o", name, "--t-end", "20"])
    out, err = capsys.readouterr()
    if refused(name):
        assert code == 2
        assert out == "" and "-o/--output" in err and len(err.strip().splitlines()) == 1
        assert list(tmp_path.iterdir()) == []
        return
    assert code == 0
    data = data_file(tmp_path / name)
    check_deck((tmp_path / name).read_text(encoding="utf-8"), data)
    run_deck(tmp_path / name, tmp_path)
    assert data.exists()


def test_the_issue_example_on_the_command_line_writes_nothing(tmp_path):
    proc = run(tmp_path, "export-spice", CIRCUITS / "bursting.toml", "-o", "nl\nshell touch PWNED\n.cir")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "-o/--output 'nl\\nshell touch PWNED\\n.cir'" in one_line(proc.stderr)
    assert list(tmp_path.iterdir()) == []


# -- names inside the model never break a deck ------------------------------------------------

def hostile_titles():
    return ["x\n.control\nshell touch PWNED\n.endc", "x\u2028shell touch PWNED", "x\rshell", "+continued",
            "ünï\u0085cødé", "a" * 5000]


@pytest.mark.parametrize("title", hostile_titles(), ids=range(len(hostile_titles())))
def test_a_model_name_set_by_hand_stays_one_comment_line(tmp_path, title):
    """Neuron names are identifiers, but the attribute can be reassigned: the title line escapes it."""
    n = nm.preset("tonic")
    n.name = title
    deck = nm.write_cir(n, tmp_path / "t.cir", t_end=20, i_app=-0.7)
    text = Path(deck).read_text(encoding="utf-8")
    check_deck(text, data_file(deck))
    run_deck(deck, tmp_path)
    circuit = nm.to_spice(n, t_end=20)
    assert all(line.isprintable() for line in str(circuit).splitlines())
    assert "\n" not in circuit.title
    res = nm.spice_simulate(n, 50, i_app=-0.7)  # the shared library splits lines at U+2028 too
    assert res.spike_times.size >= 1
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()


def test_a_title_given_to_a_netlist_is_escaped():
    from neuromorph.spice.netlist import behavioural_netlist

    net = behavioural_netlist(nm.preset("tonic"), title="a\nshell touch PWNED\u2029b")
    first = net.text(10, 0.05).splitlines()[0]
    assert first == "* a\\nshell touch PWNED\\u2029b"


def test_an_element_named_like_a_filter_gets_a_device_of_its_own():
    """An element called ``slow`` beside the ``slow`` filter: two devices ``B_slow`` broke the deck (ngspice:
    "device already exists"); the element's is now ``B_slow_2``, at both levels, and runs as the model."""
    n = nm.Neuron(name="clash")
    n.add_leak(g=1.0)
    n.add_current(alpha=-2.0, delta=0.0, tau=0.0)
    n.add_current(alpha=2.0, delta=0.0, tau=20.0, name="slow")
    for level in ("behavioural", "transistor"):
        devices = [line.split()[0].lower() for line in spice_netlist(n, level, i_app=-0.7).lines
                   if line[0] not in ".*"]
        assert len(devices) == len(set(devices))
    spice = nm.spice_simulate(n, 400, i_app=-0.7)
    ref = n.simulate(400, i_app=-0.7, rtol=1e-9, atol=1e-12)
    assert spice.spike_times.size == ref.spike_times.size > 5
    np.testing.assert_allclose(spice.spike_times, ref.spike_times, rtol=0.005)


def test_devices_of_two_neurons_whose_names_meet_are_told_apart():
    """``n1``'s element ``a_b`` and ``n1_a``'s element ``b`` were both ``B_n1_a_b``."""
    inner = nm.preset("tonic")
    other = nm.preset("tonic")
    inner.add_current(alpha=0.0, delta=0.0, tau=0.0, name="a_b")
    other.add_current(alpha=0.0, delta=0.0, tau=0.0, name="b")
    net = nm.Network(name="meet")
    net.add_neuron("n1", inner, i_app=-0.7)
    net.add_neuron("n1_a", other, i_app=-0.6)
    res = nm.spice_simulate(net, 300)
    ref = net.simulate(300, rtol=1e-9, atol=1e-12)
    for name in ("n1", "n1_a"):
        np.testing.assert_allclose(res.spikes_of(name), ref.spikes_of(name), rtol=0.005)


def test_neurons_whose_names_differ_in_case_only_are_refused_by_name():
    """ngspice ignores case: nodes ``A_v`` and ``a_v`` would be one membrane."""
    net = nm.Network(name="case")
    net.add_neuron("A", "tonic", i_app=-0.7)
    net.add_neuron("a", "tonic", i_app=-0.6)
    with pytest.raises(ModelError) as info:
        spice_netlist(net)
    assert "'A.v'" in str(info.value) and "'a.v'" in str(info.value) and "case" in str(info.value)


def _circuit(case, name):
    """A circuit file whose ``case`` (circuit, node, connection or element name) is ``name``."""
    q = json.dumps(name)  # a JSON string is a TOML basic string, escapes and all
    if case == "neuron":
        return (f'format = "neuromorph/1"\nname = {q}\n[neuron]\nC = 1.0\n[[elements]]\nkind = "leak"\n'
                'g = 1.0\n[simulation]\nt_end = 200.0\n')
    if case == "element":
        return (f'format = "neuromorph/1"\nname = "ok"\n[neuron]\nC = 1.0\n[[elements]]\nkind = "leak"\nname = {q}\n'
                'g = 1.0\n[simulation]\nt_end = 200.0\n')
    node = q if case == "node" else "a"
    return (f'format = "neuromorph-network/1"\nname = {q if case == "network" else json.dumps("ok")}\n'
            f'[nodes.{node}]\nneuron = "tonic"\n[nodes.b]\nneuron = "tonic"\n'
            f'[[connections]]\nkind = "gap_junction"\na = {json.dumps(node)}\nb = "b"\ng = 0.1\n'
            + (f"name = {q}\n" if case == "connection" else "") + "[simulation]\nt_end = 200.0\n")


@pytest.mark.parametrize("case", ["neuron", "network", "node", "connection", "element"])
@pytest.mark.parametrize("name", ["x\nshell touch PWNED", "a;touch PWNED", "`touch PWNED`", "$(touch PWNED)",
                                  "x\u2028shell touch PWNED"], ids=range(5))
def test_hostile_names_in_a_circuit_file_are_refused_before_any_deck(tmp_path, case, name):
    (tmp_path / "c.toml").write_text(_circuit(case, name), encoding="utf-8")
    for command in (["export-spice", "c.toml", "-o", "d.cir"], ["spice-run", "c.toml", "--out", "r.npz"]):
        proc = run(tmp_path, *command)
        assert proc.returncode == 2, proc.stderr
        assert "PWNED" in one_line(proc.stderr) and "c.toml" in proc.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_unicode_names_in_a_circuit_file_make_a_deck_that_runs(tmp_path):
    """Identifiers may be any letters: node names keep ASCII (``ünï.v`` is node ``_n__v``), comments escape
    the rest."""
    (tmp_path / "c.toml").write_text(
        'format = "neuromorph-network/1"\nname = "réseau"\n[nodes."ünï"]\nneuron = "tonic"\ni_app = -0.6\n'
        '[nodes."名前"]\nneuron = "tonic"\ni_app = -0.7\n[[connections]]\nkind = "gap_junction"\nname = "jönction"\n'
        'a = "ünï"\nb = "名前"\ng = 0.05\n[simulation]\nt_end = 300.0\n', encoding="utf-8")
    proc = run(tmp_path, "export-spice", "c.toml", "-o", "d.cir")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "d.cir").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "* neuromorph r\\xe9seau (behavioural)"
    check_deck(text, data_file(tmp_path / "d.cir"))
    run_deck(tmp_path / "d.cir", tmp_path)
    assert (tmp_path / "d.txt").exists()
    proc = run(tmp_path, "spice-run", "c.toml", "--json")
    assert proc.returncode == 0, proc.stderr
    assert set(json.loads(proc.stdout)["neurons"]) == {"ünï", "名前"}


# -- the data file: beside the deck, never the deck or an input -------------------------------------

def test_a_deck_named_like_its_data_is_refused(tmp_path):
    """``-o x.txt``, then ``ngspice -b x.txt``: the data went to ``x.txt``, the deck itself, and destroyed it."""
    proc = run(tmp_path, "export-spice", CIRCUITS / "tonic_spiking.toml", "-o", "x.txt", "--t-end", "50")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "-o/--output 'x.txt'" in one_line(proc.stderr) and "the deck" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_data_file_lands_beside_the_deck_whatever_folder_ngspice_runs_in(tmp_path):
    (tmp_path / "decks").mkdir()
    nm.write_cir("tonic", tmp_path / "decks" / "t.cir", t_end=30, i_app=-0.7)
    run_deck(tmp_path / "decks" / "t.cir", tmp_path)
    assert (tmp_path / "decks" / "t.txt").exists()


def test_a_data_file_that_would_hit_the_input_is_refused_before_any_work(tmp_path):
    source = tmp_path / "c.txt"
    shutil.copy(CIRCUITS / "tonic_spiking.toml", source)
    before = source.read_bytes()
    proc = run(tmp_path, "export-spice", "c.txt", "--level", "transistor", "-o", "c.cir")
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "its data file" in line and "c.txt" in line and "input" in line
    assert source.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def test_a_data_file_checks_come_from_the_output_plan(tmp_path):
    from neuromorph.io.files import plan_outputs

    deck = tmp_path / "c.cir"
    data = data_file(deck)
    (tmp_path / "c.txt").mkdir()  # a folder where the data would go
    with pytest.raises(OutputError, match="its data file .* it is a folder"):
        plan_outputs([("-o/--output", deck), ("its data file", data)])
    with pytest.raises(OutputError, match="it is a folder"):
        nm.write_cir("tonic", deck, t_end=10)
    assert not deck.exists()


# -- export-spice --explain alone ---------------------------------------------------------------

@pytest.mark.parametrize("level", ["behavioural", "transistor"])
def test_explain_without_an_output_prints_and_writes_nothing(tmp_path, level):
    proc = run(tmp_path, "export-spice", CIRCUITS / "bursting.toml", "--level", level, "--explain")
    assert proc.returncode == 0, proc.stderr
    assert ("kappa (measured on the process)" if level == "transistor" else "membrane C") in proc.stdout
    assert "wrote" not in proc.stdout
    assert list(tmp_path.iterdir()) == []  # not even ngspice's BSIM3 check log
    proc = run(tmp_path, "export-spice", CIRCUITS / "bursting.toml")
    assert proc.returncode == 2 and "-o/--output" in one_line(proc.stderr)


def test_the_readmes_explain_command_runs_as_written(tmp_path):
    """``neuromorph export-spice --level transistor --explain``, no circuit file: the unit mapping."""
    proc = run(tmp_path, "export-spice", "--level", "transistor", "--explain")
    assert proc.returncode == 0, proc.stderr
    assert "voltage unit 2 U_T / kappa" in proc.stdout and "time unit" in proc.stdout
    assert list(tmp_path.iterdir()) == []
    for args in (["export-spice"], ["export-spice", "-o", "d.cir"]):
        proc = run(tmp_path, *args)
        assert proc.returncode == 2 and "circuit file" in one_line(proc.stderr)
        assert list(tmp_path.iterdir()) == []


# -- Ctrl-C ------------------------------------------------------------------------------------

def test_ctrl_c_stops_spice_run_within_a_second_and_writes_nothing(tmp_path):
    shutil.copy(CIRCUITS / "tonic_spiking.toml", tmp_path / "c.toml")
    log = tmp_path.parent / f"{tmp_path.name}.stderr"
    proc = subprocess.Popen([sys.executable, "-m", "neuromorph", "spice-run", "c.toml", "--t-end", "1e7", "--out",
                             "run.npz", "--plot", "run.png", "--progress"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=open(log, "wb"), env=ENV)
    try:
        deadline = time.monotonic() + 300
        while "simulating in ngspice" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # ngspice is integrating
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        elapsed = time.perf_counter() - t0
    finally:
        if proc.poll() is None:  # it did not stop: do not leave it running
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert proc.returncode == 130, text
    assert elapsed < 1.5, elapsed
    assert text.strip().splitlines()[-1].endswith("interrupted; no output written")
    assert "Traceback" not in text and "cffi callback" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


CTRL_C_IN_PYTHON = """
import os, signal, threading, time
import neuromorph as nm
nm.spice_simulate("tonic", 10, i_app=-0.7)  # the shared library loaded
threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
t0 = time.perf_counter()
try:
    nm.spice_simulate("tonic", 1e7, i_app=-0.7)
    print("finished")
except KeyboardInterrupt:
    print("interrupted after", time.perf_counter() - t0)
print(nm.spice_simulate("tonic", 300, i_app=-0.7).summary(t_start=100)["pattern"])
"""


def test_ctrl_c_in_python_raises_keyboardinterrupt_promptly_and_ngspice_runs_again(tmp_path):
    """In its own process, so that a regression (the interrupt swallowed by a cffi callback while ngspice
    runs on for hours) fails here at the timeout instead of hanging the test session."""
    proc = subprocess.run([sys.executable, "-c", CTRL_C_IN_PYTHON], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=ENV)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.split("\n")[:2]
    assert first.startswith("interrupted after ") and 1.0 <= float(first.split()[-1]) < 1.5, proc.stdout
    assert second == "tonic" and "cffi" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


MONTE_CARLO_CTRL_C = """
import os, signal, sys, threading, time
import neuromorph as nm

def children():
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if entry.isdigit() and int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                    pids.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return pids

def interrupt():
    while len(children()) < 2:  # both chips' processes started
        time.sleep(0.05)
    time.sleep(2.0)  # importing neuromorph and running ngspice
    global t0
    t0 = time.perf_counter()
    os.kill(os.getpid(), signal.SIGINT)

t0 = None
threading.Thread(target=interrupt, daemon=True).start()
try:
    nm.spice_monte_carlo("tonic", chips=4, seed=1, t_end=1e7, i_app=-0.7, processes=2)
    print("finished")
except KeyboardInterrupt:
    print("interrupted after", time.perf_counter() - t0, "children left", len(children()))
"""


def test_ctrl_c_stops_a_transistor_monte_carlo_and_its_chip_processes_within_a_second(tmp_path):
    """The chips' processes get no signal of their own (only the caller is interrupted here, as when the
    study runs under a scheduler): they are killed, not left to run their chips to the end."""
    proc = subprocess.Popen([sys.executable, "-c", MONTE_CARLO_CTRL_C], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # a regression: the chips' processes too, they run for hours
        proc.communicate()
        pytest.fail("the Monte Carlo went on after Ctrl-C")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the run left
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, err
    words = out.split()
    assert words[:2] == ["interrupted", "after"], out
    assert float(words[2]) < 1.5 and words[-1] == "0", out


# -- oversized Monte Carlo studies ---------------------------------------------------------------

HUGE = """
import json, resource, sys, time, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.RLIM_INFINITY))  # a regression fails, never swaps
import neuromorph as nm
import neuromorph.spice.montecarlo, neuromorph.spice.transistor, neuromorph.studies.sweep  # imports are not the study
tracemalloc.start()
t0 = time.perf_counter()
try:
    {call}
    outcome = {{"error": None}}
except Exception as exc:  # noqa: BLE001
    outcome = {{"error": type(exc).__name__, "message": str(exc)}}
outcome.update(seconds=time.perf_counter() - t0, peak=tracemalloc.get_traced_memory()[1])
print(json.dumps(outcome))
"""


def _huge(call):
    """Run ``call`` in a process of at most 3 GiB that must answer within a minute; its outcome."""
    proc = subprocess.run([sys.executable, "-c", HUGE.format(call=call)], capture_output=True, text=True,
                          timeout=60, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("chips, processes", [("10**9", 2), ("range(10**9)", 2), ("10**6", 1)])
def test_a_huge_monte_carlo_is_refused_before_allocating_anything(chips, processes):
    """Memory (2 kB a chip) and, by its lower bound of a second a chip, time: refused at once. (``t_end`` is
    invalid too: were the chip count let through, that error would come instead, and nothing would run.)"""
    out = _huge(f"nm.spice_monte_carlo('tonic', chips={chips}, t_end=-1.0, processes={processes})")
    assert out["error"] == "SolverError" and out["seconds"] < 1.0 and out["peak"] < 8 * 2**20, out
    assert "`chips`" in out["message"] and "\n" not in out["message"]
    assert ("GiB" in out["message"] or "TiB" in out["message"]) if processes == 2 else "days" in out["message"]


def test_a_huge_spice_study_is_refused_before_allocating_its_ids():
    out = _huge("nm.Study('tonic', method='spice', chips=10**12, t_end=100)")
    assert out["error"] == "ModelError" and "`chips`" in out["message"] and out["peak"] < 8 * 2**20, out
