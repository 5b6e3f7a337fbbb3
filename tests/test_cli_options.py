"""Every option of every subcommand changes the answer: a value that differs from the circuit
file's own (or from the default) and an expectation that only holds if the option was used.

Expectations come from shared/MODEL.md, closed forms, the I-V rules, or independent scipy / plain
Python integrations (``reference.py``); never from numbers produced by the code under test.
Each module fixture is one ``python -m neuromorph`` call shared by the tests of several options.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from reference import TONIC, TONIC_Y0, bisect, reference_spikes, tanh_field

import neuromorph as nm

ROOT = Path(__file__).resolve().parents[1]
CIRCUITS = ROOT / "circuits"
BURSTING = CIRCUITS / "bursting.toml"              # file: i_app -2, t_end 10000, t_transient 0
TONIC_FILE = CIRCUITS / "tonic_spiking.toml"       # file: i_app -0.7, t_end 1000, t_transient 200
SWITCH = CIRCUITS / "bistable_switch.toml"         # file: i_app 0 (pulses later)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}

TONIC_ISI = 32.65        # MODEL.md: tonic neuron at I_app = -0.7
TONIC_ISI_I0 = 59.04     # MODEL.md: the bursting elements at I_app = 0
FAST_EDGE = math.acosh(math.sqrt(2.0))   # 1 - 2 sech^2 V < 0  <=>  |V| < acosh(sqrt 2)
SLOW_HALF = math.acosh(math.sqrt(1.5))   # slow curve of the burster: 1 - 1.5 sech^2(V + 1.5) < 0


def run(cwd, *args):
    """``python -m neuromorph ARGS`` in ``cwd`` with this checkout first on the path."""
    return subprocess.run([sys.executable, "-m", "neuromorph", *map(str, args)], check=False, cwd=cwd,
                          capture_output=True, text=True, timeout=600, env=ENV)


def call(tmp_path_factory, name, *args):
    cwd = tmp_path_factory.mktemp(name)
    proc = run(cwd, *args)
    assert proc.returncode == 0, proc.stderr
    return cwd, proc


def count_between(spikes, lo, hi):
    """Spikes in [lo, hi]; none may sit so close to an edge that solver error could move it across."""
    spikes = np.asarray(spikes)
    assert np.all(np.abs(spikes - lo) > 1e-2) and np.all(np.abs(spikes - hi) > 1e-2)
    return int(np.sum((spikes >= lo) & (spikes <= hi)))


@pytest.fixture(scope="module")
def tonic_spikes(reference):
    """DOP853 (rtol 1e-10) spike times of the tonic circuit's protocol, t in [0, 1000]."""
    return reference("tonic", 1000.0, -0.7)[0]


def is_png(path):
    return path.is_file() and path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size > 1000


# == simulate ===============================================================================

@pytest.fixture(scope="module")
def sim_window(tmp_path_factory):
    """--t-end 500 (file 1000), --t-start 300 (file 200), --json, --out, --plot in one call."""
    return call(tmp_path_factory, "sim_window", "simulate", TONIC_FILE, "--t-end", 500, "--t-start", 300,
                "--json", "--out", "r.npz", "--plot", "r.png")


def test_simulate_json_prints_one_json_summary(sim_window):
    _, proc = sim_window
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1  # no table, no "wrote ..." lines
    summary = json.loads(lines[0])
    assert summary["circuit"] == "tonic_spiking" and summary["pattern"] == "tonic"
    assert summary["isi_mean"] == pytest.approx(TONIC_ISI, abs=0.05)
    assert summary["solver"]["n_steps"] > 0


def test_simulate_t_end_ends_the_run_there(sim_window, tonic_spikes):
    cwd, proc = sim_window
    summary = json.loads(proc.stdout)
    assert summary["t_end"] == 500.0
    with np.load(cwd / "r.npz") as data:
        t, spikes = data["t"], data["spike_times"]
    assert t[-1] == 500.0
    # Every reference spike before 500 and none after (the file's t_end would give ~21 more).
    assert spikes.size == count_between(tonic_spikes, 0.0, 500.0)
    assert count_between(tonic_spikes, 0.0, 1000.0) > spikes.size


def test_simulate_t_start_moves_the_metric_window(sim_window, tonic_spikes):
    _, proc = sim_window
    summary = json.loads(proc.stdout)
    assert summary["t_start"] == 300.0
    expected = count_between(tonic_spikes, 300.0, 500.0)
    assert expected != count_between(tonic_spikes, 200.0, 500.0)  # the file's t_transient counts more
    assert summary["n_spikes"] == expected
    assert summary["firing_rate"] == pytest.approx(expected / 200.0)


def test_simulate_t_start_zero_is_a_value_not_a_missing_option(tmp_path, tonic_spikes):
    """--t-start 0 must not fall back to the file's t_transient (200)."""
    proc = run(tmp_path, "simulate", TONIC_FILE, "--t-end", 300, "--t-start", 0, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["t_start"] == 0.0
    assert summary["n_spikes"] == count_between(tonic_spikes, 0.0, 300.0) > count_between(tonic_spikes, 200.0, 300.0)


def test_simulate_out_writes_the_run(sim_window, tonic_spikes):
    cwd, _ = sim_window
    with np.load(cwd / "r.npz") as data:
        t, y, spikes = data["t"], data["y"], data["spike_times"]
        assert data["state_names"].tolist() == ["v", "slow"]
    assert t[0] == 0.0 and np.all(np.diff(t) > 0) and y.shape == (2, t.size)
    np.testing.assert_array_equal(y[:, 0], TONIC_Y0)
    ref = tonic_spikes[tonic_spikes < 500.0]
    assert np.max(np.abs(spikes - ref)) < 0.05


def test_simulate_plot_writes_a_png(sim_window):
    cwd, _ = sim_window
    assert is_png(cwd / "r.png")
    assert sorted(p.name for p in cwd.iterdir()) == ["r.npz", "r.png"]


LEAK_TOML = """\
name = "leak_only"

[neuron]
C = 2.0
v0 = -1.0

[[elements]]
kind = "leak"
name = "leak"
g = 1.0
e_rev = 0.0

[simulation]
t_end = 10.0
i_app = 0.5
t_transient = 0.0
"""


def test_simulate_i_app_replaces_the_file_current(tmp_path):
    """Leak only: C dV/dt = I - g V, so V(t) = I + (V0 - I) exp(-t g / C); the file says I = 0.5."""
    (tmp_path / "leak.toml").write_text(LEAK_TOML, encoding="utf-8")
    proc = run(tmp_path, "simulate", "leak.toml", "--i-app", 2.0, "--out", "r.npz")
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "r.npz") as data:
        t, v = data["t"], data["y"][0]
    exact = 2.0 + (-1.0 - 2.0) * np.exp(-t / 2.0)
    assert t[-1] == 10.0
    assert np.max(np.abs(v - exact)) < 1e-4
    assert v[-1] > 1.9  # with the file's 0.5 it would end below 0.5


@pytest.fixture(scope="module")
def sim_ros(tmp_path_factory):
    return call(tmp_path_factory, "sim_ros", "simulate", TONIC_FILE, "--t-end", 500, "--method", "rosenbrock23",
                "--json")


def test_simulate_method_selects_the_solver(sim_ros):
    summary = json.loads(sim_ros[1].stdout)
    assert summary["method"] == "rosenbrock23"
    stats = summary["solver"]
    # Only the Rosenbrock method evaluates Jacobians and factorises (dopri5 reports 0 of each).
    assert stats["n_jacobian"] > 0 and stats["n_lu"] >= stats["n_steps"] > 0
    assert summary["isi_mean"] == pytest.approx(TONIC_ISI, abs=0.05)


@pytest.fixture(scope="module")
def sim_rk4(tmp_path_factory):
    return call(tmp_path_factory, "sim_rk4", "simulate", TONIC_FILE, "--t-end", 100, "--method", "rk4",
                "--dt", 0.5, "--json")


def test_simulate_dt_sets_the_fixed_step(sim_rk4):
    """t_end / dt steps: 200 at dt = 0.5 (10 000 at the default 0.01); dopri5 would refuse --dt."""
    summary = json.loads(sim_rk4[1].stdout)
    assert summary["method"] == "rk4"
    assert summary["solver"]["n_steps"] == round(100 / 0.5)
    assert summary["solver"]["n_rejected"] == 0


def _steps_in_process(**options):
    neuron = nm.load(TONIC_FILE)
    return nm.simulate(neuron, 300.0, i_app=neuron.protocol.i_app, **options).stats.n_steps


def test_simulate_rtol_changes_the_steps(tmp_path):
    """DP5 steps scale as rtol**(-1/5): 100x tighter -> ~2.5x more steps."""
    proc = run(tmp_path, "simulate", TONIC_FILE, "--t-end", 300, "--rtol", 1e-6, "--method", "dopri5", "--json")
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)["solver"]["n_steps"]
    assert steps == _steps_in_process(rtol=1e-6, method="dopri5")
    ratio = steps / _steps_in_process()  # default rtol 1e-4
    assert 1.8 < ratio < 3.2, ratio


def test_simulate_without_a_method_follows_the_tolerance_as_in_process(tmp_path):
    """No --method: the library's choice, so a tight --rtol runs DOP853 on the command line as in a script."""
    proc = run(tmp_path, "simulate", TONIC_FILE, "--t-end", 300, "--rtol", 1e-7, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["method"] == "dop853" and out["solver"]["n_steps"] == _steps_in_process(rtol=1e-7)


def test_simulate_atol_changes_the_steps(tmp_path):
    """atol 1e-2 dominates rtol |y| (1e-4 x O(1)): a 30-100x looser scale, (30..100)**(1/5) fewer steps."""
    proc = run(tmp_path, "simulate", TONIC_FILE, "--t-end", 300, "--atol", 1e-2, "--json")
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)["solver"]["n_steps"]
    assert steps == _steps_in_process(atol=1e-2)
    ratio = _steps_in_process() / steps  # default atol 1e-7
    assert 1.6 < ratio < 3.2, ratio


# == iv =====================================================================================

@pytest.fixture(scope="module")
def iv_zero(tmp_path_factory):
    """The burster at --i-app 0 (its file says -2)."""
    return call(tmp_path_factory, "iv_zero", "iv", BURSTING, "--i-app", 0, "--json", "--plot", "iv.png")


def test_iv_i_app_moves_the_equilibrium_and_the_prediction(iv_zero):
    """Steady curve I_ss(V) = V (MODEL.md), so V* = I_app = 0: inside the fast negative-conductance range
    |V| < acosh(sqrt 2) only (the slow one is |V + 1.5| < acosh(sqrt 1.5)): tonic (at -2: bursting)."""
    data = json.loads(iv_zero[1].stdout)
    assert data["i_app"] == 0.0
    assert data["predicted"] == "tonic"
    (eq,) = data["equilibria"]
    assert eq["v"] == pytest.approx(0.0, abs=1e-9)
    assert eq["stable"] is False
    (lo, hi), = data["negative_conductance"]["fast"]
    assert (lo, hi) == pytest.approx((-FAST_EDGE, FAST_EDGE), abs=1e-9)
    (lo, hi), = data["negative_conductance"]["slow"]
    assert (lo, hi) == pytest.approx((-1.5 - SLOW_HALF, -1.5 + SLOW_HALF), abs=1e-9)
    assert not lo <= eq["v"] <= hi


def test_iv_json_prints_one_json_document(iv_zero):
    lines = iv_zero[1].stdout.strip().splitlines()
    assert len(lines) == 1
    assert set(json.loads(lines[0])) >= {"circuit", "i_app", "predicted", "equilibria", "negative_conductance"}


def test_iv_plot_writes_a_png(iv_zero):
    cwd, _ = iv_zero
    assert is_png(cwd / "iv.png")


def test_iv_v_range_limits_the_search(tmp_path):
    """The switch at I = 0 has equilibria -1.915, 0, +1.915 in the default -10:10; in 0.5:3 only the upper."""
    proc = run(tmp_path, "iv", SWITCH, "--v-range", "0.5:3", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    upper = bisect(lambda v: v - 2.0 * math.tanh(v), 0.5, 3.0)  # I(V) = V - 2 tanh V = 0
    assert [e["v"] for e in data["equilibria"]] == pytest.approx([upper], abs=1e-9)
    assert data["equilibria"][0]["stable"] is True
    for intervals in data["negative_conductance"].values():
        for lo, hi in intervals:
            assert 0.5 <= lo < hi <= 3.0
    (lo, hi), = data["negative_conductance"]["fast"]
    assert (lo, hi) == pytest.approx((0.5, FAST_EDGE), abs=1e-9)


# == map ====================================================================================

def iv_rule(i_app):
    """MODEL.md's rule for the burster (V* = I_app): bursting in the slow negative-conductance range,
    tonic in the fast one only, rest otherwise."""
    if abs(i_app + 1.5) < SLOW_HALF:
        return "bursting"
    return "tonic" if abs(i_app) < FAST_EDGE else "rest"


@pytest.fixture(scope="module")
def map_grid(tmp_path_factory):
    """3 x 2 cells: i_app on x, the spike threshold on y (0, and 10: above any voltage the model reaches)."""
    return call(tmp_path_factory, "map_grid", "map", BURSTING, "--x", "i_app:-3:0:3", "--y", "threshold:0:10:2",
                "--t-end", 10000, "--out", "m.npz", "--plot", "m.png", "--json")


def _npz(path):
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def test_map_x_sets_the_first_axis(map_grid):
    cwd, _ = map_grid
    data = _npz(cwd / "m.npz")
    assert str(data["x_name"]) == "i_app"
    np.testing.assert_array_equal(data["x"], [-3.0, -1.5, 0.0])
    expected = [iv_rule(i) for i in (-3.0, -1.5, 0.0)]
    assert expected == ["rest", "bursting", "tonic"]
    assert data["pattern"][0].tolist() == expected       # threshold 0: the usual spikes
    assert data["predicted"][0].tolist() == expected


def test_map_y_sets_the_second_axis(map_grid):
    """dV/dt <= I_app - V + sum |alpha|, so V <= max(V0, I_app + 7) <= 7 (I_app <= 0): threshold 10 is never crossed."""
    cwd, _ = map_grid
    data = _npz(cwd / "m.npz")
    assert str(data["y_name"]) == "threshold"
    np.testing.assert_array_equal(data["y"], [0.0, 10.0])
    assert data["pattern"].shape == (2, 3)
    assert data["pattern"][1].tolist() == ["rest"] * 3
    assert np.all(data["metric_n_spikes"][1] == 0)


def test_map_json_prints_counts(map_grid):
    lines = map_grid[1].stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["cells"] == 6
    assert summary["counts"] == {"rest": 4, "tonic": 1, "bursting": 1, "irregular": 0, "diverging": 0}
    assert summary["agreement_with_iv_prediction"] == pytest.approx(4 / 6)  # the threshold-10 row spikes never


def test_map_out_writes_the_map(map_grid):
    cwd, _ = map_grid
    data = _npz(cwd / "m.npz")
    assert float(data["t_end"]) == 10000.0 and float(data["t_transient"]) == 5000.0
    assert data["metric_spikes_per_burst"][0, 1] > 1  # the bursting cell has bursts of several spikes
    assert sorted(p.name for p in cwd.iterdir()) == ["m.npz", "m.png"]


def test_map_plot_writes_a_png(map_grid):
    cwd, _ = map_grid
    assert is_png(cwd / "m.png")


@pytest.fixture(scope="module")
def map_current(tmp_path_factory):
    """The burster at --i-app 0 (file -2) over a threshold axis, without predictions."""
    return call(tmp_path_factory, "map_current", "map", BURSTING, "--x", "threshold:0:10:2", "--i-app", 0,
                "--t-end", 4000, "--t-transient", 2000, "--no-predict", "--out", "m.npz", "--json")


def test_map_i_app_sets_the_current_of_every_cell(map_current):
    """At I_app = 0 the bursting elements spike tonically with ISI 59.04 (MODEL.md); at the file's -2 the
    window [2000, 4000] falls between the bursts at ~1591 and ~4085."""
    cwd, proc = map_current
    assert json.loads(proc.stdout)["counts"] == {"rest": 1, "tonic": 1, "bursting": 0, "irregular": 0, "diverging": 0}
    data = _npz(cwd / "m.npz")
    assert data["pattern"].tolist() == [["tonic", "rest"]]
    # The ultraslow filter (tau 2500) is still settling, hence the loose tolerance (as in test_cli).
    assert data["metric_isi_mean"][0, 0] == pytest.approx(TONIC_ISI_I0, rel=0.05)


def test_map_no_predict_skips_the_iv_prediction(map_current):
    cwd, proc = map_current
    assert "agreement_with_iv_prediction" not in json.loads(proc.stdout)
    assert _npz(cwd / "m.npz")["predicted"].size == 0


@pytest.fixture(scope="module")
def map_window(tmp_path_factory):
    """One tonic cell: --t-end 1000 (default 20000), --t-transient 100 (default t_end / 2), --progress."""
    return call(tmp_path_factory, "map_window", "map", TONIC_FILE, "--x", "i_app:-0.7:-0.7:1", "--t-end", 1000,
                "--t-transient", 100, "--progress", "--out", "m.npz")


def test_map_t_end_sets_the_simulated_time(map_window, tonic_spikes):
    cwd, _ = map_window
    data = _npz(cwd / "m.npz")
    assert float(data["t_end"]) == 1000.0
    assert data["metric_n_spikes"][0, 0] == count_between(tonic_spikes, 100.0, 1000.0)  # ~610 over 20000


def test_map_t_transient_sets_the_metric_window(map_window, tonic_spikes):
    cwd, _ = map_window
    data = _npz(cwd / "m.npz")
    assert float(data["t_transient"]) == 100.0
    expected = count_between(tonic_spikes, 100.0, 1000.0)
    assert expected != count_between(tonic_spikes, 500.0, 1000.0)
    assert data["metric_n_spikes"][0, 0] == expected
    assert data["metric_firing_rate"][0, 0] == pytest.approx(expected / 900.0)


def test_map_progress_shows_a_bar_on_stderr(map_window):
    """stderr is a pipe here, where the automatic bar never shows: only --progress can put it there."""
    _, proc = map_window
    assert "behaviour map:" in proc.stderr and "%|" in proc.stderr
    assert "100.0%" in proc.stderr


def hermite_crossing(v0, v1, s0, s1):
    """theta in [0, 1] where the cubic with values v0, v1 and (step-scaled) slopes s0, s1 crosses 0."""
    dv = v1 - v0
    c1, c2, c3 = s0, 3.0 * dv - 2.0 * s0 - s1, -2.0 * dv + s0 + s1
    return bisect(lambda s: v0 + s * (c1 + s * (c2 + s * c3)), 0.0, 1.0)


def euler_spikes(dt, t_end, i_app=-0.7):
    """Forward Euler of the independent tonic field; crossings on the cubic Hermite through each step
    (values and end derivatives: the dense output the fixed-step kernels document)."""
    f = tanh_field(TONIC, lambda t: i_app)
    y = np.array(TONIC_Y0, dtype=float)
    fy = np.array(f(0.0, y))
    spikes = []
    for k in range(round(t_end / dt)):
        y_new = y + dt * fy
        f_new = np.array(f((k + 1) * dt, y_new))
        if y[0] < 0.0 <= y_new[0]:
            spikes.append(k * dt + dt * hermite_crossing(y[0], y_new[0], dt * fy[0], dt * f_new[0]))
        y, fy = y_new, f_new
    return np.array(spikes)


@pytest.fixture(scope="module")
def map_euler(tmp_path_factory):
    return call(tmp_path_factory, "map_euler", "map", TONIC_FILE, "--x", "i_app:-0.7:-0.7:1", "--method", "euler",
                "--dt", 0.5, "--t-end", 600, "--t-transient", 100, "--out", "m.npz")


def test_map_method_and_dt_choose_the_integrator(map_euler):
    """The ISI is Euler's at dt = 0.5 (0.012 short of the true 32.645; Euler at the default dt = 0.01 is
    within 1e-3 of it). Without --method, dopri5 would refuse --dt (exit 2)."""
    cwd, _ = map_euler
    spikes = euler_spikes(0.5, 600.0)
    spikes = spikes[spikes >= 100.0]
    isi_euler = np.diff(spikes).mean()
    assert abs(isi_euler - TONIC_ISI) > 5e-3      # this test can tell Euler at dt 0.5 from an accurate run
    data = _npz(cwd / "m.npz")
    assert data["metric_n_spikes"][0, 0] == spikes.size
    assert data["metric_isi_mean"][0, 0] == pytest.approx(isi_euler, abs=1e-6)


@pytest.fixture(scope="module")
def map_tight(tmp_path_factory):
    return call(tmp_path_factory, "map_tight", "map", TONIC_FILE, "--x", "i_app:-0.7:-0.7:1", "--rtol", 1e-10,
                "--atol", 1e-13, "--t-end", 600, "--t-transient", 100, "--out", "m.npz")


def test_map_rtol_and_atol_reach_the_reference(map_tight):
    """Mean ISI within 1e-9 of DOP853 at rtol 1e-13 takes both: with the default atol (1e-7) the error is
    ~1e-7, with the default rtol (1e-4) ~1e-4."""
    cwd, _ = map_tight
    ref, _ = reference_spikes(tanh_field(TONIC, lambda t: -0.7), TONIC_Y0, (0.0, 600.0), rtol=1e-13, atol=1e-13)
    ref = ref[ref >= 100.0]
    data = _npz(cwd / "m.npz")
    assert data["metric_n_spikes"][0, 0] == ref.size
    assert abs(data["metric_isi_mean"][0, 0] - np.diff(ref).mean()) < 1e-9


# == demo ===================================================================================

@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    return call(tmp_path_factory, "demo_run", "demo", "--out", "sub/figs", "--no-plots")


def test_demo_out_chooses_the_folder(demo_run):
    cwd, proc = demo_run
    assert [p.name for p in cwd.iterdir()] == ["sub"]  # no default neuromorph-demo/ folder
    summary = json.loads((cwd / "sub" / "figs" / "summary.json").read_text(encoding="utf-8"))
    assert summary["bursting"]["spikes_per_burst"] == 7                                 # MODEL.md
    assert summary["tonic_spiking"]["isi_mean"] == pytest.approx(TONIC_ISI, abs=0.05)   # MODEL.md
    assert "sub/figs" in proc.stdout


def test_demo_no_plots_writes_no_figures(demo_run):
    cwd, _ = demo_run
    assert [p.name for p in (cwd / "sub" / "figs").iterdir()] == ["summary.json"]
    assert not list(cwd.rglob("*.png"))
