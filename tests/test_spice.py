"""SPICE export, run for real in ngspice (its shared library through PySpice, and the ngspice
program on the written deck), against the numba integration of the same model at a tight
tolerance and against shared/MODEL.md's reference behaviours."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.errors import ModelError, SolverError
from neuromorph.spice import engine
from neuromorph.ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
TIGHT = dict(rtol=1e-9, atol=1e-12)


def test_ngspice_is_installed_both_ways():
    """The set-up installs ngspice and its shared library: nothing here may be skipped."""
    assert engine.ngspice_available() == "shared"
    assert shutil.which("ngspice")


def _bursts(spikes, n):
    """The first ``n`` bursts (groups split at gaps over 500 time units)."""
    groups = np.split(spikes, np.flatnonzero(np.diff(spikes) > 500.0) + 1)
    return groups[:n]


def test_behavioural_bursting_preset_spikes_like_the_numba_run():
    """MODEL.md acceptance: spike times of the first three bursts within 0.5 % of the numba run."""
    n = nm.preset("bursting")
    spice = nm.spice_simulate(n, t_end=8_000, i_app=-2.0)
    ref = n.simulate(8_000, i_app=-2.0, **TIGHT)
    got, want = _bursts(spice.spike_times, 3), _bursts(ref.spike_times, 3)
    assert len(want) == 3 and [b.size for b in got] == [b.size for b in want] == [7, 7, 7]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0.005)
    assert spice.method == "ngspice (behavioural)" and spice.summary()["pattern"] == "bursting"


def test_behavioural_hco_alternates_with_the_numba_period():
    net = nm.hco()
    spice = nm.spice_simulate(net, t_end=12_000).rhythm(t_start=4_000)["neurons"]
    ref = net.simulate(12_000, **TIGHT).rhythm(t_start=4_000)["neurons"]
    assert spice["n2"]["phase"] == pytest.approx(0.5, abs=0.05)  # anti-phase
    assert spice["n1"]["burst_period"] == pytest.approx(ref["n1"]["burst_period"], rel=0.01)
    assert ref["n1"]["burst_period"] == pytest.approx(2269.7, rel=0.01)  # MODEL.md


def test_a_stepped_current_is_a_pwl_source_rebound_burst():
    """MODEL.md: -2.5 stepped to -3.0 on [6667, 13333) gives one rebound burst of 13 spikes at ~13658."""
    stim = -2.5 + nm.Pulse(start=6667, stop=13333, amplitude=-0.5)
    spice = nm.spice_simulate(nm.preset("bursting"), t_end=20_000, i_app=stim)
    s = spice.spike_times[spice.spike_times > 5_000]
    assert s.size == 13
    assert s[0] == pytest.approx(13658, abs=15)


def test_every_interconnection_kind_matches_the_numba_run():
    """Current and conductance synapses and a gap junction in one network."""
    net = nm.Network(name="kinds")
    net.add_neuron("a", "bursting", i_app=-2.0)
    net.add_neuron("b", "bursting", i_app=-2.0, initial={"v": -2.5, "slow": -2.0, "ultraslow": -2.0})
    net.add_neuron("c", "tonic", i_app=-0.8)
    net.add_synapse("a", "b", g=0.2)
    net.add_synapse("b", "a", kind="conductance", g=0.1, e_syn=-3.0, tau=20.0)
    net.add_gap_junction("b", "c", g=0.05)
    spice = nm.spice_simulate(net, t_end=4_000)
    ref = net.simulate(4_000, **TIGHT)
    for name in ("a", "b", "c"):
        got, want = spice.spikes_of(name), ref.spikes_of(name)
        assert want.size > 3 and got.size == want.size
        np.testing.assert_allclose(got, want, rtol=0.005)


def test_the_written_deck_runs_in_ngspice_by_itself(tmp_path):
    path = nm.write_cir("bursting", tmp_path / "bursting.cir", t_end=3_000, i_app=-2.0)
    deck = Path(path).read_text()
    assert ".tran" in deck and ".ic" in deck and deck.rstrip().endswith(".end")
    proc = subprocess.run(["ngspice", "-b", "bursting.cir"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    table = np.loadtxt(tmp_path / "bursting.txt", skiprows=1)
    t, v = table[:, 0] / 1e-3, table[:, 1]
    i = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    crossings = t[i] + (0 - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i])
    ref = nm.preset("bursting").simulate(3_000, i_app=-2.0, **TIGHT).spike_times
    np.testing.assert_allclose(crossings, ref, rtol=0.005)


def test_to_spice_is_a_pyspice_circuit_with_one_source_per_element():
    from PySpice.Spice.Netlist import Circuit

    circuit = nm.to_spice(nm.hco())
    assert isinstance(circuit, Circuit)
    text = str(circuit)
    for name in ("B_n1_slow_negative", "B_n2_ultraslow_positive", "B_n1_to_n2_post", "C_n2_v", "I_app_n1_v"):
        assert name in text
    assert "tanh(" in text


def test_cli_export_and_run(tmp_path, capsys):
    out = tmp_path / "hco.cir"
    assert main(["export-spice", str(ROOT / "circuits" / "hco.toml"), "-o", str(out), "--explain",
                 "--t-end", "500"]) == 0
    text = capsys.readouterr().out
    assert "n1.ultraslow" in text and "2.5" in text and "wrote" in text
    assert "V(n1_v)" in out.read_text()
    assert main(["spice-run", str(ROOT / "circuits" / "tonic_spiking.toml"), "--t-end", "600", "--json",
                 "--out", str(tmp_path / "t.npz"), "--plot", str(tmp_path / "t.png")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pattern"] == "tonic"
    assert summary["isi_mean"] == pytest.approx(32.65, rel=0.01)  # MODEL.md at the file's -0.7
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")
    with np.load(tmp_path / "t.npz") as data:
        assert data["spike_times"].size > 10


@pytest.mark.parametrize("call, error, words", [
    (lambda: nm.spice_simulate("bursting", 100, level="gates"), ModelError, ["level", "gates", "behavioural"]),
    (lambda: nm.spice_simulate("bursting", -5), SolverError, ["t_end"]),
    (lambda: nm.spice_simulate("bursting", 100, max_step=0.0), SolverError, ["max_step"]),
    (lambda: nm.spice_simulate("bursting", 100, record=("nope",)), SolverError, ["nope"]),
    (lambda: nm.to_spice(42), ModelError, ["Neuron or a Network"]),
])
def test_bad_input(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_a_runaway_circuit_diverges_in_ngspice_by_the_numba_engines_rule():
    """leak.g = 0: the numba engine stops with "diverging"; ngspice ran on and was called "rest". Both now
    raise SimulationError(reason="diverging") at the same bound, ngspice at its first sample beyond it
    (the numba engine checks at the end of its larger steps, so a little later)."""
    from neuromorph.errors import SimulationError

    n = nm.preset("bursting")
    n.set("leak.g", 0.0)
    with pytest.raises(SimulationError) as numba:
        n.simulate(3_000, i_app=-2.0)
    with pytest.raises(SimulationError) as spice:
        nm.spice_simulate(n, 3_000, i_app=-2.0)
    assert numba.value.reason == spice.value.reason == "diverging"
    bound = lambda e: str(e.value).split("beyond +-")[1].split(",")[0]  # noqa: E731
    assert bound(spice) == bound(numba) == "109"
    assert 0.0 < spice.value.t <= numba.value.t and f"t = {spice.value.t:.9g}" in str(spice.value)
    assert "grows without bound (diverging)" in str(spice.value)


def _cli(capsys, *args):
    """``neuromorph ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_spice_run_of_a_runaway_circuit_exits_1_with_the_time(capsys):
    code, out, err = _cli(capsys, "spice-run", ROOT / "circuits" / "bursting.toml", "--set", "leak.g=0")
    assert code == 1 and out == ""
    assert err.startswith("neuromorph: simulation failed: ngspice run diverging at t = ") and "diverging" in err


@pytest.mark.parametrize("circuit, extra", [("bursting.toml", ()), ("hco.toml", ("--t-end", "12000",
                                                                                    "--t-start", "4000"))])
def test_spice_run_summarises_exactly_as_simulate(capsys, circuit, extra):
    """The file's t_transient, the same table (a network's phases too) and the same JSON shape: the
    bursting file was "rest" with t_start 3000 in spice-run, "bursting" with t_start 0 in simulate."""
    path = ROOT / "circuits" / circuit
    runs = {cmd: _cli(capsys, cmd, path, *extra) for cmd in ("simulate", "spice-run")}
    tables = {cmd: out.splitlines() for cmd, (code, out, _) in runs.items()}
    assert all(code == 0 for code, _, _ in runs.values())
    assert tables["simulate"][0] == tables["spice-run"][0]  # the header, with phase and relation for a network
    for got, want in zip(tables["spice-run"][1:], tables["simulate"][1:]):
        if not got.strip():
            break
        assert got.split()[:3] == want.split()[:3]  # name, pattern, spikes
        if circuit == "hco.toml":  # phase (to within 0.01) and relation
            assert float(got.split()[-2]) == pytest.approx(float(want.split()[-2]), abs=0.01)
            assert got.split()[-1] == want.split()[-1]
    window = [line.split("metrics over ")[1] for line in tables["spice-run"] if "metrics over" in line]
    assert window == [line.split("metrics over ")[1] for line in tables["simulate"] if "metrics over" in line]
    payloads = {cmd: json.loads(_cli(capsys, cmd, path, "--json", *extra)[1]) for cmd in ("simulate", "spice-run")}
    assert payloads["spice-run"].keys() == payloads["simulate"].keys()
    if circuit == "bursting.toml":
        assert payloads["spice-run"]["pattern"] == "bursting" and payloads["spice-run"]["t_start"] == 0.0
    else:
        assert payloads["spice-run"]["neurons"]["n2"]["phase"] == pytest.approx(0.5, abs=0.05)


def test_the_trace_figures_legend_lies_beside_the_trace(tmp_path):
    """The legend sat in the upper right of the axes, over the spike peaks (spice-run's and simulate's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = nm.spice_simulate("tonic", 200, i_app=-0.7)
    fig, ax = plt.subplots(figsize=(10, 3.4))
    nm.plot_trace(res, ax=ax)
    fig.canvas.draw()
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= axes.x1  # entirely right of the plotting area
    plt.close(fig)


def test_to_spice_circuit_runs_in_ngspice_from_the_models_initial_state(tmp_path):
    """The PySpice circuit's text is a deck ngspice reads (its .ic holds plain numbers, not numpy reprs)."""
    neuron = nm.preset("tonic")
    circuit = nm.to_spice(neuron)
    ic = next(line for line in str(circuit).splitlines() if line.startswith(".ic "))
    values = dict(item.split("=") for item in ic.split()[1:])
    assert [float(x) for x in values.values()] == neuron.initial_state().tolist()  # plain numbers, exactly
    deck = tmp_path / "tonic.cir"
    deck.write_text(str(circuit) + ".tran 1u 20u uic\n.control\nrun\nprint v(v)[0]\n.endc\n.end\n")
    proc = subprocess.run(["ngspice", "-b", deck.name], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert "rror" not in proc.stdout + proc.stderr and "Undefined" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert float(proc.stdout.split("v(v)[0] =")[1].split()[0]) == pytest.approx(neuron.v0)


def test_to_spice_refuses_a_negative_t_end():
    with pytest.raises(nm.SolverError, match="`t_end` must be > 0"):
        nm.to_spice("tonic", t_end=-5.0)
