"""Summaries describe what a run really did, and every bad input gets a message instead of a raw error."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import one_line, run

import neuromorph as nm

CIRCUITS = Path(__file__).resolve().parents[1] / "circuits"




# -- one settled-window rule ----------------------------------------------------------

def test_summary_map_and_cli_agree_on_a_late_settling_tonic_spiker(tmp_path):
    """The bursting elements at I_app = 0 fire once, pause ~800, then spike tonically (MODEL.md:
    ISI 59.04). Counted from t = 0 that reads as irregular; every entry point discards the same
    transient by default and says tonic."""
    n = nm.preset("bursting")
    res = n.simulate(20_000, 0.0, record=())
    isi = np.diff(res.spike_times)
    assert isi.max() > 10 * np.median(isi)  # the early pause is really there
    assert res.summary(t_start=0.0)["pattern"] == "irregular"
    s = res.summary()
    assert (s["t_start"], s["t_end"]) == (10_000.0, 20_000.0)
    assert s["pattern"] == "tonic" and s["isi_mean"] == pytest.approx(59.04, abs=0.05)
    m = nm.behaviour_map(n, x=("i_app", [0.0]), t_end=20_000, predict=False)
    assert m.pattern[0, 0] == "tonic" and m.t_transient == 10_000.0
    ens = nm.Ensemble(n, params={"i_app": [0.0]}).simulate(20_000, dt=0.02)
    assert ens.summary(0)["pattern"] == "tonic" and ens.summary(0)["t_start"] == 10_000.0
    path = tmp_path / "late.toml"
    nm.save(n, path)
    text = path.read_text().replace("t_transient = 0.0\n", "")
    path.write_text(text)
    proc = run(tmp_path, "simulate", path, "--i-app", 0, "--t-end", 20_000, "--json")
    assert proc.returncode == 0, proc.stderr
    import json

    cli = json.loads(proc.stdout)
    assert cli["pattern"] == "tonic" and (cli["t_start"], cli["t_end"]) == (10_000.0, 20_000.0)


def test_a_transient_not_shorter_than_the_run_is_adapted_with_a_warning(tmp_path):
    """tonic_spiking.toml has t_transient = 200: with --t-end 150 the window would be empty."""
    proc = run(tmp_path, "simulate", CIRCUITS / "tonic_spiking.toml", "--t-end", 150, "--json")
    assert proc.returncode == 0
    assert "warning: the file's t_transient = 200 is not shorter than t_end = 150" in one_line(proc.stderr)
    import json

    s = json.loads(proc.stdout)
    assert (s["t_start"], s["t_end"]) == (75.0, 150.0)  # a real window, not [150, 150]
    spikes = nm.preset("tonic").simulate(150, -0.7, record=()).spike_times
    assert s["n_spikes"] == np.count_nonzero(spikes >= 75.0)


# -- runaway states ---------------------------------------------------------------------

def drifting_neuron():
    """No leak: dV/dt = I_app - (bounded currents); with I_app = -5 V drifts down at rate >= 2."""
    n = nm.Neuron(v0=-1.0)
    n.add_current(alpha=-2.0, delta=0.0, tau=0.0)
    n.add_current(alpha=1.0, delta=0.0, tau=50.0)
    return n


def test_a_drifting_state_is_diverging_not_rest(tmp_path):
    n = drifting_neuron()
    with pytest.raises(nm.SimulationError, match="grows without bound") as info:
        n.simulate(10_000, -5.0)
    assert info.value.reason == "diverging"
    assert info.value.t < 1000  # at a drift rate of at least 2 per unit, a bound of a few hundred is met early
    assert nm.predict_behaviour(n, -5.0) == "diverging"
    m = nm.behaviour_map(n, x=("i_app", [-5.0, 0.0]), t_end=2000)
    assert m.pattern[0, 0] == "diverging" and m.predicted[0, 0] == "diverging"
    assert m.agrees()[0, 0]


def test_an_unstable_linear_neuron_is_not_called_bursting():
    """dV/dt = V - I: a negative leak has one equilibrium, unstable, and nothing bounds the state."""
    n = nm.Neuron()
    n.add_leak(g=-1.0)
    assert nm.predict_behaviour(n, -1.0) == "diverging"
    n.add_current(alpha=2.0, delta=-1.5, tau=50.0)  # a slow negative-slope region does not change that
    assert nm.predict_behaviour(n, -1.0) == "diverging"


def test_meaningless_tolerances_are_warned_about_and_caught():
    n = nm.preset("bursting")
    with pytest.warns(nm.NeuromorphWarning, match=r"rtol.*meaningful range: rtol in \[1e-14, 0.1\]"):
        with pytest.raises(nm.SimulationError, match="grows without bound"):
            n.simulate(10_000, -2.0, rtol=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n.simulate(100, -2.0, rtol=0.05, atol=1e-3)  # loose but meaningful: no warning


def test_cli_warns_about_loose_tolerances(tmp_path):
    proc = run(tmp_path, "simulate", CIRCUITS / "bursting.toml", "--rtol", 0.5)
    assert "neuromorph: warning: `rtol` = 0.5" in proc.stderr


# -- errors that used to escape raw -----------------------------------------------------

def test_an_output_grid_too_large_for_memory_is_refused_naming_dt_out():
    with pytest.raises(nm.SolverError, match=r"`dt_out` needs [0-9.]+ TiB"):
        nm.preset("bursting").simulate(10_000, -2.0, dt_out=1e-9)


def test_a_recording_too_large_for_memory_is_refused_early_naming_record():
    """A ring of 1000 bursting neurons (3000 states) recorded at every step: over 4e7 time units an adaptive
    run needs ~1e7 samples, hundreds of GiB. It says so after a few hundred steps (before, the output grew until
    a raw MemoryError); a fixed-step run knows its samples and says so before its first step. Nothing large is
    allocated."""
    import time

    net = nm.ring(1000)
    net.compile()
    started = time.perf_counter()
    with pytest.raises(nm.SolverError, match=r"recording 3000 state\(s\) at every step up to t = 4e\+07 \([0-9.e+]+ "
                                             r"samples at the rate so far\) asked for by `record` needs [0-9.]+ [GT]iB"
                                             r".*\(record=\[names\], or \(\) for spikes only\)"):
        net.simulate(4e7)
    assert time.perf_counter() - started < 20.0
    with pytest.raises(nm.SolverError, match=r"\(1e\+07 samples at a fixed step\) asked for by `record` needs"):
        net.simulate(1e5, method="rk4", dt=0.01)
    assert net.simulate(20.0, record=("r0.v",)).y.shape[0] == 1  # a few states: fine


def test_a_run_needing_more_steps_than_allowed_fails_early_and_says_so():
    n = nm.preset("bursting")
    with pytest.raises(nm.SimulationError, match=r"dt = 0.01 takes 1e\+14 steps, more than max_steps") as info:
        n.simulate(1e12, -2.0, method="rk4")
    assert info.value.t == 0.0  # before a single step
    import time

    t0 = time.process_time()  # (CPU time: a busy machine does not make it fail)
    with pytest.raises(nm.SimulationError, match=r"steps per time unit, reaching t = 1e\+12 takes about") as info:
        n.simulate(1e12, -2.0, max_steps=200_000)
    assert time.process_time() - t0 < 5.0
    assert info.value.t < 1e9


def test_the_stiffness_hint_appears_only_when_steps_are_held_by_stability():
    n = nm.preset("tonic")
    with pytest.raises(nm.SimulationError) as info:
        n.simulate(1e6, -0.7, max_steps=1000)
    assert "stiff" not in str(info.value)  # a spiking neuron: the steps follow the spikes
    stiff = nm.Neuron(v0=-1.0)
    stiff.add_leak(g=1.0)
    stiff.add_current(alpha=0.5, delta=0.0, tau=1e-4, name="fast_probe")
    with pytest.raises(nm.SimulationError, match="stiff.*rosenbrock23"):
        stiff.simulate(1e6, -1.0, max_steps=2000)


def test_cli_max_steps_option(tmp_path):
    proc = run(tmp_path, "simulate", CIRCUITS / "bursting.toml", "--max-steps", 100)
    assert proc.returncode == 1
    assert "max_steps = 100" in one_line(proc.stderr)
    proc = run(tmp_path, "simulate", CIRCUITS / "bursting.toml", "--max-steps", 100_000)
    assert proc.returncode == 0


def test_deep_nesting_and_odd_bytes_are_input_errors(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    proc = run(tmp_path, "simulate", deep)
    assert proc.returncode == 2
    assert "nested too deeply" in one_line(proc.stderr)
    odd_in = tmp_path / "c\udcff.toml"  # a file name that is not UTF-8 (surrogate-escaped by Python)
    odd_in.write_bytes((CIRCUITS / "tonic_spiking.toml").read_bytes())
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "simulate", str(odd_in), "--t-end", "100", "--out",
                           "o\udcff.npz"], cwd=tmp_path, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert b"wrote o" in proc.stdout


@pytest.mark.parametrize("args, match", [
    (["--i-app", "nan"], "argument --i-app: must be a finite number, got 'nan'"),
    (["--i-app", "1e300"], "argument --i-app: must lie within"),
    (["--t-end", "inf"], "argument --t-end: must be a finite number"),
])
def test_cli_numbers_are_checked_naming_the_option(tmp_path, args, match):
    proc = run(tmp_path, "simulate", CIRCUITS / "bursting.toml", *args)
    assert proc.returncode == 2
    assert match in proc.stderr


@pytest.mark.parametrize("build, match", [
    (lambda: nm.Current(alpha=1.0, delta=0.0, tau=1e-300), r"`tau` must be >= 1e-09.*use 0"),
    (lambda: nm.Current(alpha=1.0, delta=0.0, tau=5e-324), r"`tau` must be >= 1e-09"),
    (lambda: nm.Neuron(C=1e-300), r"`C` must be >= 1e-09"),
    (lambda: nm.preset("bursting").set("C", 1e-300), r"`C` must be >= 1e-09"),
    (lambda: nm.preset("bursting").simulate(10, 1e300), r"`i_app` must lie within \+-1e\+12"),
    (lambda: nm.Current(alpha=1e300, delta=0.0), r"`alpha` must lie within"),
])
def test_extreme_values_are_refused_with_the_reason(build, match):
    with pytest.raises(nm.NeuromorphError, match=match):
        build()


def test_iv_leaks_no_numpy_warning_on_extreme_inputs(tmp_path):
    code = ("import numpy as np, neuromorph as nm\n"
            "n = nm.preset('bursting')\n"
            "for i in (-1e9, 0.0, 1e11):\n"
            "    for vr in ((-10, 10), (-1e6, 1e6), (-1e-3, 1e-3)):\n"
            "        try: nm.predict_behaviour(n, i, v_range=vr)\n"
            "        except nm.ModelError: pass\n"
            "        try: nm.iv_curves(n, v=np.linspace(*vr, 11), i_app=i)\n"
            "        except nm.ModelError: pass\n")
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    proc = run(tmp_path, "iv", CIRCUITS / "bursting.toml", "--i-app", "1e11", "--v-range", "-1e6:1e6")
    assert proc.returncode == 2 and "Warning" not in proc.stderr
    assert "no equilibrium for i_app = 1e+11" in one_line(proc.stderr)


def test_predict_behaviour_refuses_a_range_without_the_equilibrium():
    """I_ss(V) = V for the bursting neuron, so V* = I_app = -2 lies outside [0, 3]."""
    with pytest.raises(nm.ModelError, match=r"no equilibrium for i_app = -2 lies in v_range = \(0.0, 3.0\)"):
        nm.predict_behaviour(nm.preset("bursting"), -2.0, v_range=(0.0, 3.0))


# -- the rough edges listed in the closing notes ----------------------------------------

def test_rough_edges_get_clear_errors_or_do_the_obvious(tmp_path):
    n = nm.preset("bursting")
    res = n.simulate(100, -2.0)
    with pytest.raises(nm.ModelError, match=r"no neuron 'x'; neurons: 0 \('bursting'\)"):
        res.spikes_of("x")
    with pytest.raises(nm.ModelError, match="`path` must be a file name"):
        res.save(123)
    ens = nm.Ensemble(n, size=2).simulate(10, dt=0.05)
    with pytest.raises(nm.ModelError, match=r"copy index must be an integer in \[0, 2\), got 10"):
        ens.summary(10)
    with pytest.raises(nm.SolverError, match="`y0` must be an array of real numbers"):
        nm.Ensemble(n, size=2).simulate(10, y0="abc")
    by_name = nm.Ensemble("bursting", size=2).simulate(10, dt=0.05, method="RK4")  # preset name, any case
    assert np.array_equal(by_name.final_state, ens.final_state)
    integ = nm.Integrator(n, -2.0, solver="rk4")  # a method name works as a solver
    integ.advance(10.0)
    assert integ.result().method == "rk4"
    assert nm.Conductance(g_max=1.0, e_rev=0.0, gates=None).gates == ()
    with pytest.raises(nm.ModelError, match="`gates` must be a sequence of Gate"):
        nm.Conductance(g_max=1.0, e_rev=0.0, gates=5)
    one = n.simulate(100, -2.0, record="slow")  # one state name, not its letters
    assert one.state_names == ("slow",)
    with pytest.raises(nm.CircuitFileError, match="to read a circuit file use nm.load"):
        nm.preset(str(CIRCUITS / "bursting.toml"))
    with pytest.raises(nm.CircuitFileError, match="unknown preset '../circuits/bursting'"):
        nm.preset("../circuits/bursting")


def test_a_stimulus_error_names_the_file_once(tmp_path):
    path = tmp_path / "bad.toml"
    text = (CIRCUITS / "tonic_spiking.toml").read_text()
    path.write_text(text + '\n[[simulation.stimulus]]\nkind = "pulse"\nstart = 5.0\nstop = 1.0\namplitude = 1.0\n')
    with pytest.raises(nm.CircuitFileError) as info:
        nm.load(path)
    assert str(info.value).count(str(path)) == 1


def test_progress_bars_are_tqdm_and_quiet_unless_asked(capsys):
    n = nm.preset("bursting")
    nm.behaviour_map(n, x=("i_app", -3, 0, 3), t_end=200, predict=False, progress=True)
    shown = capsys.readouterr().err
    assert "behaviour map" in shown and "%|" in shown
    nm.behaviour_map(n, x=("i_app", -3, 0, 3), t_end=200, predict=False)  # stderr is no terminal here
    assert capsys.readouterr().err == ""


def test_a_slow_drift_without_a_leak_is_diverging_not_rest():
    """dV/dt = 0.01 for ever (a leak of g = 0): by t = 10000 V = 100, far beyond where the circuit lives."""
    p = nm.Neuron()
    p.add_leak(g=0.0)
    with pytest.raises(nm.SimulationError) as info:
        p.simulate(10_000, 0.01)
    assert info.value.reason == "diverging" and info.value.t < 2000
    ens = nm.Ensemble(p, params={"i_app": [0.01, 0.0]}).simulate(10_000, dt=0.1)
    assert ens.summaries()["pattern"].tolist() == ["diverging", "rest"]
    m = nm.behaviour_map(p, x=("i_app", [0.0, 0.5]), t_end=5000)  # the I-V analysis has nothing to say here
    assert m.pattern.tolist() == [["rest", "diverging"]] and m.predicted.tolist() == [["unknown", "diverging"]]


def test_a_fixed_step_beyond_stability_is_named_as_the_cause():
    with pytest.raises(nm.SimulationError, match=r"dt = 5 is beyond rk4's stability limit .* \(dt < ~3"):
        nm.preset("bursting").simulate(20_000, -2.0, method="rk4", dt=5.0)


def test_ensemble_record_window_must_lie_in_the_run():
    with pytest.raises(nm.SolverError, match=r"`t_record` \(3000\) must be < `t_end` \(2000\)"):
        nm.Ensemble("bursting", size=2).simulate(2000, dt=0.1, t_record=3000)


def test_a_figure_name_without_an_extension_is_refused_before_running(tmp_path):
    for command in (["simulate", CIRCUITS / "bursting.toml"], ["iv", CIRCUITS / "bursting.toml"],
                    ["map", CIRCUITS / "bursting.toml", "--x", "i_app:-3:0:2", "--t-end", 100]):
        proc = run(tmp_path, *command, "--plot", "noext")
        assert proc.returncode == 2 and "give the figure a file extension" in one_line(proc.stderr)
        assert proc.stdout == ""
    assert list(tmp_path.iterdir()) == []
