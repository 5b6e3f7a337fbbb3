"""The console script, run for real in a subprocess: simulate, presets, demo, exit codes and messages."""

import json
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from helpers import one_line, run

CIRCUITS = Path(__file__).resolve().parents[1] / "circuits"
BURSTING = str(CIRCUITS / "bursting.toml")
PRESETS = sorted(p.stem for p in CIRCUITS.glob("*.toml"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"




# -- simulate --------------------------------------------------------------------------

def test_simulate_json_reports_bursting(tmp_path):
    proc = run(tmp_path, "simulate", BURSTING, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["circuit"] == "bursting"
    assert summary["pattern"] == "bursting"
    assert summary["spikes_per_burst"] == 7                      # MODEL.md
    assert summary["burst_period"] == pytest.approx(2493.9, abs=1.0)
    assert summary["intra_burst_isi"] == pytest.approx(69.6, abs=0.1)
    assert summary["t_end"] == 10000.0                            # the file's [simulation] t_end
    assert summary["method"] == "dopri5"
    assert summary["solver"]["n_steps"] > 0
    assert list(tmp_path.iterdir()) == []


def test_simulate_table_output(tmp_path):
    proc = run(tmp_path, "simulate", CIRCUITS / "tonic_spiking.toml")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["circuit", "pattern", "spikes"]
    assert lines[1].split()[:2] == ["tonic_spiking", "tonic"]
    assert float(lines[1].split()[3]) == pytest.approx(32.65, abs=0.05)   # ISI, MODEL.md


def test_simulate_options_override_the_protocol(tmp_path):
    """At I_app = 0 the bursting elements spike tonically with ISI 59.04 (MODEL.md)."""
    proc = run(tmp_path, "simulate", BURSTING, "--t-end", "3000", "--i-app", "0.0", "--t-start", "2000", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["t_end"] == 3000.0 and summary["t_start"] == 2000.0
    assert summary["pattern"] == "tonic"
    # The ultraslow filter (tau 2500) is still settling at t = 3000, hence the loose tolerance.
    assert summary["isi_mean"] == pytest.approx(59.04, rel=0.05)


def test_i_app_option_replaces_the_file_stimulus(tmp_path):
    """Without its hyperpolarising pulse the rebound circuit stays silent at -2.5 (MODEL.md)."""
    # With its protocol the same file gives the 13-spike rebound burst (checked in the demo test).
    proc = run(tmp_path, "simulate", CIRCUITS / "post_inhibitory_rebound.toml", "--i-app", "-2.5", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["t_end"] == 20000.0
    assert summary["n_spikes"] == 0


def test_plot_and_npz_outputs(tmp_path):
    proc = run(tmp_path, "simulate", BURSTING, "--plot", "out.png", "--out", "run.npz", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "run.npz"]
    assert (tmp_path / "out.png").read_bytes()[:8] == PNG_SIGNATURE

    with np.load(tmp_path / "run.npz") as data:
        t, y, names, spikes = data["t"], data["y"], data["state_names"], data["spike_times"]
        assert str(data["method"]) == "dopri5"
    assert names.tolist() == ["v", "slow", "ultraslow"]
    assert y.shape == (3, t.size) and t.size > 100
    assert np.all(np.diff(t) > 0)
    assert t[0] == 0.0 and t[-1] == 10000.0
    np.testing.assert_array_equal(y[:, 0], [-1.9, -1.8, -1.8])    # the file's initial state
    assert np.all(np.isfinite(y))
    assert spikes.size == summary["n_spikes"] == 28              # 4 bursts of 7 in 10000
    assert np.all(np.diff(spikes) > 0) and 0.0 < spikes[0] and spikes[-1] < 10000.0
    # Each spike is an upward zero crossing of the saved voltage between two saved steps.
    i = np.searchsorted(t, spikes)
    assert np.all(y[0, i - 1] < 0.0) and np.all(y[0, i] >= 0.0)


def test_the_t_transient_hint_names_only_options_the_command_has(tmp_path):
    # hco.toml settles from t_transient = 10000: a shorter run falls back to the second half
    proc = run(tmp_path, "simulate", CIRCUITS / "hco.toml", "--t-end", 300, "--json")
    assert proc.returncode == 0 and "give --t-start to choose" in proc.stderr
    # reliability's window is its own --t-record: the file's t_transient is not consulted at all
    proc = run(tmp_path, "reliability", CIRCUITS / "hco.toml", "--t-end", 300, "--trials", 2, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "t_transient" not in proc.stderr and "--t-start" not in proc.stderr


# -- presets and demo ---------------------------------------------------------------------

def test_presets_lists_the_six_neurons_and_the_networks(tmp_path):
    proc = run(tmp_path, "presets")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(PRESETS) == 8
    assert [line.split()[0] for line in lines] == PRESETS
    for line, name in zip(lines, PRESETS):
        doc = tomllib.loads((CIRCUITS / f"{name}.toml").read_text(encoding="utf-8"))
        assert line.rstrip().endswith(doc["description"])
        assert ("network of" in line) == ("nodes" in doc)


def test_demo_writes_figures_and_summary(tmp_path):
    proc = run(tmp_path, "demo", "--out", "demo")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "demo"
    networks = {"hco", "cpg"}
    expected = ({f"{name}_{kind}.png" for name in set(PRESETS) - networks for kind in ("trace", "iv")}
                | {f"{name}_network.png" for name in networks} | {"bursting_map.png", "summary.json"})
    assert {p.name for p in out.iterdir()} == expected
    for name in expected - {"summary.json"}:
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE, name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert sorted(summary) == sorted(PRESETS + ["bursting_map"])
    counts = summary["bursting_map"]["counts"]
    assert sum(counts.values()) == 32 * 32 and counts["bursting"] > 0 and counts["tonic"] > 0
    assert summary["bursting"]["pattern"] == "bursting"
    assert summary["bursting"]["spikes_per_burst"] == 7
    assert summary["tonic_spiking"]["pattern"] == "tonic"
    assert summary["tonic_spiking"]["isi_mean"] == pytest.approx(32.65, abs=0.05)   # MODEL.md
    assert summary["post_inhibitory_rebound"]["n_spikes"] == 13                      # MODEL.md
    hco = summary["hco"]["neurons"]
    assert hco["n2"]["relation"] == "anti-phase" and hco["n1"]["spikes_per_burst"] == 8  # MODEL.md's HCO
    for name in PRESETS:
        assert name in proc.stdout
        description = tomllib.loads((CIRCUITS / f"{name}.toml").read_text(encoding="utf-8"))["description"]
        assert description in proc.stdout  # the table's patterns are read against each protocol


# -- errors ---------------------------------------------------------------------------------

BAD_INPUT = {
    "missing_file": (["simulate", "nowhere.toml"], ["nowhere.toml", "does not exist"]),
    "unknown_method": (["simulate", BURSTING, "--method", "bogus"], ["method", "'bogus'"]),
    "zero_rtol": (["simulate", BURSTING, "--rtol", "0"], ["rtol", "> 0"]),
    "negative_t_end": (["simulate", BURSTING, "--t-end", "-5"], ["t_end", "-5"]),
    "unknown_key": (["simulate", "bad.toml"], ["bad.toml", "unknown key 'colour'"]),
    "t_start_past_end": (["simulate", BURSTING, "--t-end", "100", "--t-start", "500"], ["--t-start", "500"]),
    # argparse's own errors: one line too (it printed the whole usage text first)
    "not_a_number": (["simulate", BURSTING, "--t-end", "ten"], ["simulate", "--t-end", "'ten'"]),
    "unknown_option": (["simulate", BURSTING, "--colour", "red"], ["unrecognized", "--colour"]),
    "bad_choice": (["spice-run", BURSTING, "--level", "gate"], ["spice-run", "--level", "'gate'"]),
    "negative_ou_sigma": (["reliability", BURSTING, "--ou", "-0.3:20"], ["--ou", "-0.3"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, case):
    args, expected = BAD_INPUT[case]
    # bad.toml: the bursting circuit with one unknown top-level key.
    text = Path(BURSTING).read_text(encoding="utf-8")
    (tmp_path / "bad.toml").write_text(text.replace("[neuron]", "colour = 'red'\n\n[neuron]"), encoding="utf-8")
    proc = run(tmp_path, *args, "--out", "x.npz", "--plot", "x.png")
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert line.startswith("neuromorph: error:")
    for fragment in expected:
        assert fragment in line
    assert proc.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


def test_the_demo_refuses_an_empty_folder_name(tmp_path):
    (tmp_path / "here").mkdir()
    proc = run(tmp_path / "here", "demo", "--out", "")
    assert proc.returncode == 2 and "--out must name a folder" in one_line(proc.stderr)
    assert proc.stdout == "" and list(tmp_path.rglob("*")) == [tmp_path / "here"]  # nothing staged, nothing run


def test_no_t_end_anywhere_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[elements]]\nkind = "leak"\n', encoding="utf-8")
    proc = run(tmp_path, "simulate", path)
    assert proc.returncode == 2
    assert "--t-end" in one_line(proc.stderr)


def test_failing_plot_leaves_no_npz(tmp_path):
    proc = run(tmp_path, "simulate", CIRCUITS / "tonic_spiking.toml", "--out", "r.npz", "--plot", "missing/out.png")
    assert proc.returncode == 2
    assert "missing" in one_line(proc.stderr)
    assert list(tmp_path.iterdir()) == []


def test_a_figure_format_matplotlib_lacks_is_refused_before_running(tmp_path):
    (tmp_path / "r.npz").write_text("old run")
    proc = run(tmp_path, "simulate", CIRCUITS / "tonic_spiking.toml", "--t-end", 50, "--out", "r.npz",
               "--plot", "fig.xyz")
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "--plot 'fig.xyz'" in line and "'xyz'" in line and "png" in line
    assert (tmp_path / "r.npz").read_text() == "old run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]  # no temporary file left either


def test_an_output_path_that_is_a_folder_is_refused_before_running(tmp_path):
    (tmp_path / "keep.png").write_text("mine")
    proc = run(tmp_path, "simulate", CIRCUITS / "tonic_spiking.toml", "--plot", "keep.png", "--out", ".")
    assert proc.returncode == 2
    assert "it is a folder" in one_line(proc.stderr)
    assert (tmp_path / "keep.png").read_text() == "mine"


def test_diverging_circuit_exits_1_with_failure_time(tmp_path):
    """dV/dt = V from V = 1: V = e^t leaves the stated bound B at t = ln B (long before the
    overflow near t = 709.78); the run stops there and says when."""
    path = tmp_path / "diverge.toml"
    path.write_text('[neuron]\nv0 = 1.0\n\n[[elements]]\nkind = "leak"\ng = -1.0\n', encoding="utf-8")
    proc = run(tmp_path, "simulate", path, "--t-end", "2000", "--out", "d.npz")
    assert proc.returncode == 1
    line = one_line(proc.stderr)
    assert "simulation failed" in line
    match = re.search(r"t = ([0-9.eE+-]+)", line)
    assert match, line
    t_fail = float(match.group(1))
    bound = float(re.search(r"beyond \+-([0-9.eE+-]+)", line).group(1))
    assert "grows without bound" in line
    assert math.log(bound) <= t_fail < math.log(bound) + 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diverge.toml"]


# -- iv and map ------------------------------------------------------------------------

def test_iv_reports_equilibria_intervals_and_prediction(tmp_path):
    proc = run(tmp_path, "iv", BURSTING, "--json", "--plot", "iv.png")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["predicted"] == "bursting" and data["i_app"] == -2.0
    assert [e["v"] for e in data["equilibria"]] == pytest.approx([-2.0], abs=1e-12)
    (lo, hi), = data["negative_conductance"]["fast"]
    assert hi == pytest.approx(math.acosh(math.sqrt(2.0)), abs=1e-9) and lo == pytest.approx(-hi, abs=1e-9)
    assert (tmp_path / "iv.png").read_bytes()[:8] == PNG_SIGNATURE


def test_iv_table_output_for_the_switch(tmp_path):
    proc = run(tmp_path, "iv", CIRCUITS / "bistable_switch.toml", "--i-app", "0")
    assert proc.returncode == 0, proc.stderr
    assert "predicted bistable" in proc.stdout
    assert proc.stdout.count("stable") >= 3 and "unstable" in proc.stdout


def test_negative_v_range_is_taken_as_a_value(tmp_path):
    # `--v-range -3:3` (not only `--v-range=-3:3`): the default range itself starts with '-'.
    proc = run(tmp_path, "iv", CIRCUITS / "bistable_switch.toml", "--i-app", "0", "--v-range", "-1:3", "--json")
    assert proc.returncode == 0, proc.stderr
    voltages = [e["v"] for e in json.loads(proc.stdout)["equilibria"]]
    assert voltages == pytest.approx([0.0, 1.915], abs=1e-3)  # -1.915 lies outside [-1, 3]


def test_map_writes_npz_and_png_and_reports_agreement(tmp_path):
    proc = run(tmp_path, "map", BURSTING, "--x", "i_app:-3:0:6", "--y", "slow_negative.alpha:-2:-1:3",
               "--t-end", "8000", "--out", "m.npz", "--plot", "m.png", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["cells"] == 18 and sum(summary["counts"].values()) == 18
    assert 0.0 <= summary["agreement_with_iv_prediction"] <= 1.0
    data = np.load(tmp_path / "m.npz")
    assert data["pattern"].shape == (3, 6) and str(data["x_name"]) == "i_app"
    assert (tmp_path / "m.png").read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("args, match", [
    (["--x", "no_such.alpha:0:1:3"], "cannot map over .no_such.alpha."),
    (["--x", "i_app:1:-1:3"], "low < high"),
    (["--x", "i_app:0:1"], "PARAM:lo:hi:n"),
    (["--x", "i_app:0:1:3", "--out", "missing/m.npz"], "does not exist"),
    (["--x", "i_app:-3:0:100000000000"], "GiB"),
    (["--x", "i_app:-3:0:3", "--y", "i_app:-1:0:2"], "both vary 'i_app'"),
])
def test_map_bad_input_exits_2_without_files(tmp_path, args, match):
    proc = run(tmp_path, "map", BURSTING, *args, "--t-end", "100")
    assert proc.returncode == 2
    assert re.search(match, one_line(proc.stderr))
    assert list(tmp_path.iterdir()) == []
