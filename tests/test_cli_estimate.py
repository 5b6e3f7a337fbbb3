"""``neuromorph estimate``: gains read back from a trace file, and the fitted circuit file run again (issue 21).

The traces are runs of the reference circuits written by ``neuromorph simulate --out`` (or the same samples as
plain arrays); the estimates must come back to MODEL.md's gains (leak 1, fast negative -2, slow positive 2, slow
negative -1.5, ultraslow positive 1.5; the HCO's synapses 0.2), and the fitted files must run with the reference
patterns (bursting with 7 spikes per burst, period 2493.9; the HCO in anti-phase).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import one_line, run

import neuromorph as nm
from neuromorph.ui.cli import main

CIRCUITS = Path(__file__).resolve().parents[1] / "circuits"
BURSTING = CIRCUITS / "bursting.toml"  # file: i_app -2, t_end 10000
HCO = CIRCUITS / "hco.toml"
TRUE = {"leak.g": 1.0, "fast_negative.alpha": -2.0, "slow_positive.alpha": 2.0, "slow_negative.alpha": -1.5,
        "ultraslow_positive.alpha": 1.5}  # MODEL.md, "Public reference behaviours"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def burster_run(tmp_path_factory):
    """``simulate circuits/bursting.toml --out run.npz``: its protocol (10 000 time units at I_app = -2) on the
    solver's own, non-uniform grid (steps from 0.1 to 6)."""
    cwd = tmp_path_factory.mktemp("burster")
    proc = run(cwd, "simulate", BURSTING, "--out", "run.npz")
    assert proc.returncode == 0, proc.stderr
    return cwd / "run.npz"


def test_simulate_estimate_simulate_gives_the_same_bursts(tmp_path, burster_run):
    proc = run(tmp_path, "estimate", BURSTING, burster_run, "--out", "fitted.toml", "--plot", "fitted.png", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["method"] == "least_squares" and list(payload["gains"]) == list(TRUE)
    for path, truth in TRUE.items():
        gain = payload["gains"][path]
        assert gain["identifiable"] and gain["circuit_file"] == truth
        assert abs(gain["estimate"] / truth - 1.0) < 0.01, (path, gain)
        assert 0.0 < gain["stderr"] < 0.01
    assert (tmp_path / "fitted.png").read_bytes()[:8] == PNG_SIGNATURE
    fitted = nm.load(tmp_path / "fitted.toml")  # a circuit file: the model with the estimates set
    assert {p: fitted.get(p) for p in TRUE} == {p: payload["gains"][p]["estimate"] for p in TRUE}
    proc = run(tmp_path, "simulate", "fitted.toml", "--json")  # the file's own protocol, kept
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["pattern"], summary["spikes_per_burst"]) == ("bursting", 7)
    assert summary["burst_period"] == pytest.approx(2493.9, rel=0.02)


def test_observer_on_plain_arrays_with_their_current_prints_the_table(tmp_path, capsys, burster_run):
    with np.load(burster_run) as data:
        t, v = data["t"], data["y"][0]
    np.savez(tmp_path / "plain.npz", t=t, v=v, i_app=np.full(t.size, -2.0))
    code = main(["estimate", str(BURSTING), str(tmp_path / "plain.npz"), "--method", "observer", "--observer",
                 "gamma=1,record_dt=100", "--plot", str(tmp_path / "observer.png")])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["gain", "file", "estimate", "std.", "error", "identifiable"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:1 + len(TRUE)]}
    for path, truth in TRUE.items():
        file_value, estimate, stderr, identifiable = rows[path]
        assert float(file_value) == truth and abs(float(estimate) / truth - 1.0) < 0.02, (path, rows[path])
        assert (stderr, identifiable) == ("-", "yes")  # the observer's estimate is a trajectory: no error bars
    assert f"observer along {t.size} samples" in out and "gamma 1," in out
    assert (tmp_path / "observer.png").read_bytes()[:8] == PNG_SIGNATURE


def test_hco_gains_from_a_network_run_and_the_fitted_network_alternates(tmp_path):
    """12 000 time units of the HCO: neuron 2 starts away from its filters' states (V -2.5, filters -2.0), and the
    estimator starts them at the first voltage, so a shorter trace is biased by the ultraslow filter's start."""
    proc = run(tmp_path, "simulate", HCO, "--t-end", "12000", "--out", "hco.npz")
    assert proc.returncode == 0, proc.stderr
    proc = run(tmp_path, "estimate", HCO, "hco.npz", "--out", "fitted.toml", "--json")
    assert proc.returncode == 0, proc.stderr
    gains = json.loads(proc.stdout)["gains"]
    assert len(gains) == 12
    for syn in ("n1_to_n2.g", "n2_to_n1.g"):
        assert abs(gains[syn]["estimate"] / 0.2 - 1.0) < 0.05, (syn, gains[syn])
    for node in ("n1", "n2"):
        for path, truth in TRUE.items():
            assert abs(gains[f"{node}.{path}"]["estimate"] / truth - 1.0) < 0.05, (node, path)
    proc = run(tmp_path, "simulate", "fitted.toml", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["neurons"]["n2"]["relation"] == "anti-phase"


def _bad_trace(folder, kind, burster_run):
    with np.load(burster_run) as data:
        t, v = data["t"], data["y"][0]
    if kind == "no-t":
        np.savez(folder / "bad.npz", v=v)
    elif kind == "nan":
        np.savez(folder / "bad.npz", t=t, v=np.where(np.arange(t.size) == 5, np.nan, v))
    return str(folder / "bad.npz")


@pytest.mark.parametrize("case, words", [
    (lambda d, run_: ["nosuch.npz"], ["trace file", "nosuch.npz", "does not exist"]),
    (lambda d, run_: [_bad_trace(d, "no-t", run_)], ["bad.npz has no `t`", "`v`"]),
    (lambda d, run_: [_bad_trace(d, "nan", run_)], ["bad.npz: `v` is nan at sample 5 (t ="]),
    (lambda d, run_: [str(run_), "--params", "slow_negative.alpha,nope.g"], ["'nope.g' names no parameter"]),
    (lambda d, run_: [str(run_), "--out", str(run_)], ["--out", "run.npz", "is the input file"]),
    (lambda d, run_: [str(run_), "--out", str(BURSTING)], ["--out", "bursting.toml", "is the input file"]),
    (lambda d, run_: [str(run_), "--out", str(d / "a.png"), "--plot", str(d / "a.png")], ["name the same file"]),
    (lambda d, run_: [str(run_), "--plot", str(d / "a.xyz")], ["--plot", "cannot write 'xyz' figures"]),
    (lambda d, run_: [str(run_), "--out", str(d / "nofolder" / "x.toml")], ["--out", "folder", "does not exist"]),
    (lambda d, run_: [str(run_), "--t-start", "20000"], ["--t-start must lie in the trace", "[0, 10000)"]),
    (lambda d, run_: [str(run_), "--observer", "gamma=2"], ["--observer", "--method observer"]),
])
def test_bad_input_exits_2_with_one_line_naming_it(tmp_path, capsys, burster_run, case, words):
    args = case(tmp_path, burster_run)
    out = [] if "--out" in args else ["--out", str(tmp_path / "fitted.toml")]
    code = main(["estimate", str(BURSTING), *args, *out])
    err = capsys.readouterr().err
    assert code == 2, err
    line = one_line(err)
    assert line.startswith("neuromorph: error: ")
    for word in words:
        assert word in line, line
    assert not (tmp_path / "fitted.toml").exists() and not (tmp_path / "a.png").exists()


def test_a_trace_of_another_circuit_is_refused_naming_its_voltages(tmp_path, capsys, burster_run):
    code = main(["estimate", str(HCO), str(burster_run)])
    err = capsys.readouterr().err
    assert code == 2
    assert "holds no voltage `n1.v`, `n2.v` of the network's neurons" in one_line(err) and "its voltages: `v`" in err


def test_an_observer_whose_state_blows_up_exits_1_like_a_diverging_run(tmp_path, burster_run):
    """Too large an output injection for the step: the observer's state stops being finite. That is a run that
    failed (exit 1, "non-finite state" with the time), not bad input."""
    proc = run(tmp_path, "estimate", BURSTING, burster_run, "--method", "observer", "--observer", "gamma=1e4,h_max=10",
               "--out", "fitted.toml")
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    line = one_line(proc.stderr)
    assert "observer's state stopped being finite at t =" in line and "gamma" in line
    assert not (tmp_path / "fitted.toml").exists()
    with pytest.raises(nm.SimulationError) as info:
        with np.load(burster_run) as data:
            nm.estimate("bursting", (data["t"], data["y"][0]), i_app=-2.0, method="observer",
                        observer_settings=nm.AdaptiveObserver(gamma=1e4, h_max=10.0))
    assert info.value.reason == nm.Failure.NON_FINITE
