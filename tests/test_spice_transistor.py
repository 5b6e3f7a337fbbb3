"""The transistor level, run for real in ngspice on the PTM 180 nm cards: devices in weak
inversion, each cell against its closed form, whole neurons against the model (MODEL.md's
reference behaviours and the numba integration), and I-V curves from DC sweeps.

Closed forms (shared/MODEL.md, "Transistor circuit"): a differential-pair amplifier gives
``I_b tanh(kappa dV / (2 U_T))``; a follower-integrator has ``tau = C 2 U_T / (kappa I_b)`` for
small steps (here its wide-range amplifier's calibrated conductance G: ``tau = C / G``).
"""

import re

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.spice import engine
from neuromorph.spice.transistor import Mapping, _dc_sweep, iv_sweep, transistor_netlist

U_T = 8.617333262e-5 * 300.15


@pytest.fixture(scope="module")
def mapping():
    return Mapping()


def test_nfet_conducts_exponentially_below_threshold_with_kappa_between_06_and_08():
    from neuromorph.spice.transistor import _library_dir

    folder = _library_dir()
    deck = "\n".join(["* subthreshold", f".include {folder / 'ptm180.lib'}", "Vd d 0 0.9", "Vg g 0 0",
                      "M1 d g 0 0 nfet W=4u L=10u", ".dc Vg 0 0.6 0.002", ".end", ""])
    vg, current = engine.run_dc(deck, "Vg", "Vd")
    i_d = np.abs(current)
    # over three decades, from ~10 pA (this W/L already passes ~5 pA at V_GS = 0) to ~10 nA
    window = (i_d >= 8e-12) & (i_d <= 1.2e-8)
    assert np.log10(i_d[window].max() / i_d[window].min()) >= 3.0 and window.sum() >= 10
    slope, intercept = np.polyfit(vg[window], np.log(i_d[window]), 1)
    kappa = slope * U_T
    assert 0.6 <= kappa <= 0.8, kappa
    residual = np.log(i_d[window]) - (slope * vg[window] + intercept)
    assert np.abs(residual).max() < np.log(1.25)  # a straight line in log scale: within 25 % over the decades


@pytest.mark.parametrize("ib", [10e-9, 20e-9])
def test_amplifier_dc_sweep_follows_ib_tanh_within_5_percent(mapping, ib):
    span = 3.0 * mapping.v_unit  # the input range that matters: +-3 model volts
    dv, current = _dc_sweep(f"X1 inp inn out vdd ota ib={ib!r}", -span, span, span / 60)
    expected = ib * np.tanh(mapping.kappa * dv / (2 * U_T))
    assert np.abs(current - expected).max() <= 0.05 * ib


def test_follower_integrator_small_step_has_the_mapped_tau(mapping):
    """A 0.2-unit step on a tau = 50 follower: fitted exponential within 5 % of tau T_u."""
    n = nm.Neuron(name="f")
    n.add_leak(g=1.0)
    n.add_current(alpha=-0.5, delta=0.0, tau=50.0, name="slow")
    net = transistor_netlist(n, mapping=mapping)
    line = next(ln for ln in net.lines if ln.startswith("X_slow "))
    cap = next(ln for ln in net.lines if ln.startswith("C_slow "))
    step = 0.2 * mapping.v_unit
    deck = "\n".join(["* follower step", net.lines[0], net.lines[1], "V_dd vdd 0 DC 1.8",
                      f"V_in v 0 PWL(0 0.9 1e-9 {0.9 + step!r})", line, cap, ".ic V(slow)=0.9",
                      f".tran {mapping.t_unit!r} {400 * mapping.t_unit!r}", ".end", ""])
    t, volts = engine.run_transient(deck, ["slow"])
    from scipy.optimize import curve_fit

    x = (volts["slow"] - 0.9) / step
    # the amplifier's offset (~1 mV) moves the final value: it is fitted with the time constant
    (final, tau_s), _ = curve_fit(lambda s, a, tau: a * (1.0 - np.exp(-s / tau)), t, x,
                                  p0=(1.0, 50 * mapping.t_unit))
    assert final == pytest.approx(1.0, abs=0.15)
    assert tau_s / mapping.t_unit == pytest.approx(50.0, rel=0.05)


def test_transistor_tonic_neuron_spikes_at_the_model_isi():
    """MODEL.md: the tonic neuron at I_app = -0.7 spikes with ISI 32.65."""
    res = nm.spice_simulate("tonic", 1200, i_app=-0.7, level="transistor", max_step=0.2)
    s = res.summary(t_start=300)
    assert s["pattern"] == "tonic"
    assert s["isi_mean"] == pytest.approx(32.65, rel=0.05)


def test_transistor_bursting_neuron_against_the_model():
    """Same spikes per burst (+-1) and a period within 15 % of the model (MODEL.md: 2493.9, 7 spikes)."""
    res = nm.spice_simulate("bursting", 9000, i_app=-2.0, level="transistor", max_step=0.2)
    s = res.summary(t_start=3000)
    ref = nm.preset("bursting").simulate(9000, i_app=-2.0, rtol=1e-8, atol=1e-10).summary(t_start=3000)
    assert s["pattern"] == "bursting"
    assert abs(s["spikes_per_burst"] - ref["spikes_per_burst"]) <= 1
    assert s["burst_period"] == pytest.approx(ref["burst_period"], rel=0.15)


def test_transistor_hco_alternates_in_anti_phase():
    res = nm.spice_simulate(nm.hco(), 12_000, level="transistor", max_step=0.2)
    rows = res.rhythm(t_start=4_000)["neurons"]
    assert rows["n1"]["pattern"] == rows["n2"]["pattern"] == "bursting"
    assert rows["n2"]["phase"] == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("timescale", ["fast", "slow", "ultraslow"])
def test_iv_curves_of_the_circuit_match_the_model_within_10_percent(mapping, timescale):
    n = nm.preset("bursting")
    v = np.linspace(-3.0, 3.0, 61)
    v_rest = nm.iv_curves(n, v=v, i_app=-2.0).v_rest
    vm, measured = iv_sweep(n, v, timescale, v_rest=v_rest, mapping=mapping)
    model = nm.iv_current(n, vm, timescale, v_rest=v_rest)
    assert np.abs(measured - model).max() <= 0.10 * np.ptp(model)


def test_the_transistor_deck_runs_alone_and_the_cli_explains_the_mapping(tmp_path, capsys):
    """``export-spice --level transistor`` writes a self-contained deck (cards and cells inlined):
    ``ngspice -b`` runs it in an empty folder and the tonic neuron spikes at MODEL.md's ISI."""
    import subprocess
    from pathlib import Path

    from neuromorph.ui.cli import main

    root = Path(__file__).resolve().parents[1]
    deck = tmp_path / "tonic.cir"
    assert main(["export-spice", str(root / "circuits" / "tonic_spiking.toml"), "--level", "transistor", "-o",
                 str(deck), "--t-end", "800", "--explain"]) == 0
    text = capsys.readouterr().out
    assert "kappa (measured on the process)" in text and "follower-integrator" in text and "amplifier" in text
    assert ".include" not in deck.read_text() and ".model nfet nmos" in deck.read_text()
    proc = subprocess.run(["ngspice", "-b", deck.name], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    header = deck.read_text().splitlines()[1]
    offset, scale = (float(x) for x in header.split("node volts = ")[1].split(" x model")[0].split(" + "))
    t_unit = float(header.split("one model time unit = ")[1].split(" s")[0])
    table = np.loadtxt(tmp_path / "tonic.txt", skiprows=1)
    t, v = table[:, 0] / t_unit, (table[:, 1] - offset) / scale
    i = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    spikes = t[i]
    isi = np.diff(spikes[spikes > 200])
    assert isi.size > 10 and np.mean(isi) == pytest.approx(32.65, rel=0.05)


@pytest.mark.parametrize("build, words", [
    (lambda: _with(nm.Conductance(g_max=0.5, e_rev=-1.0, gates=[nm.Gate(k=2.0, delta=-1.0)])),
     ["conductance", "behavioural"]),
    (lambda: _with(nm.Current(alpha=1.0, delta=0.0, tau=50.0, inactivation_delta=-1.0, inactivation_tau=2500.0,
                              name="inact")), ["inact", "behavioural"]),
])
def test_kinds_without_a_transistor_cell_are_refused_by_name(build, words):
    from neuromorph.errors import ModelError

    with pytest.raises(ModelError) as info:
        transistor_netlist(build())
    for word in words:
        assert word in str(info.value)


def _with(element):
    n = nm.preset("tonic")
    n.add(element)
    return n


def test_a_synapse_slope_other_than_a_differential_pairs_is_refused():
    from neuromorph.errors import ModelError

    net = nm.hco(k=3.0)
    with pytest.raises(ModelError) as info:
        transistor_netlist(net)
    assert "k = 3" in str(info.value)
    with pytest.raises(ModelError):
        Mapping(i_unit=-1e-9)
    with pytest.raises(ModelError):
        nm.spice_simulate("tonic", 100, mapping=Mapping(), level="behavioural")


def test_monte_carlo_chips_run_in_their_own_processes_and_reproduce():
    """Pelgrom draws per transistor from (seed, chip): a chip run alone equals the same chip in the
    study; zero mismatch makes every chip the nominal circuit; each chip ran in another process."""
    import os

    kw = dict(seed=3, t_end=700, i_app=-0.7, t_start=200, processes=2)
    mc = nm.spice_monte_carlo("tonic", chips=3, a_vt=0.008, **kw)
    assert not mc.failures and os.getpid() not in mc.workers and len(mc.workers) == 3
    isi = mc.isi_mean
    assert np.all(np.isfinite(isi)) and np.ptp(isi) > 0.0  # chips differ
    alone = nm.spice_monte_carlo("tonic", chips=[1], a_vt=0.008, **kw)
    assert alone.isi_mean[0] == isi[1]
    flat = nm.spice_monte_carlo("tonic", chips=2, a_vt=0.0, a_beta=0.0, **kw)
    nominal = nm.spice_simulate("tonic", 700, i_app=-0.7, level="transistor", max_step=0.2).summary(t_start=200)
    np.testing.assert_allclose(flat.isi_mean, nominal["isi_mean"], rtol=1e-9)
    assert mc.spread()["isi_mean"]["relative"] > 0.0


@pytest.mark.parametrize("kw, words", [(dict(a_vt=-1e-3), ["a_vt"]), (dict(chips=0), ["chips"]),
                                       (dict(seed=-2), ["seed"]), (dict(model="nope"), ["unknown preset", "nope"]),
                                       (dict(max_step=1e6), ["max_step", "t_end"]),
                                       (dict(neuron="n7"), ["no neuron 'n7'"]), (dict(t_start=500), ["t_start"])])
def test_monte_carlo_bad_input_is_refused_before_any_chip_runs(kw, words):
    """Input every chip would fail on is an error before the worker processes start, not N chip failures."""
    from neuromorph.errors import NeuromorphError

    args = dict(model="tonic", chips=2, seed=1, t_end=100, i_app=-0.7)
    args.update(kw)
    with pytest.raises(NeuromorphError) as info:
        nm.spice_monte_carlo(**args)
    for word in words:
        assert word in str(info.value)


def test_a_chip_whose_worker_process_dies_is_a_failure_with_its_reason_and_message():
    from neuromorph.spice.montecarlo import run_jobs

    job = ("no such preset", 3, 1, 5e-3, 0.01, 100.0, -0.7, 0.2, None, None, 0)  # fails inside the worker
    (chip, summary, failure, pid), = run_jobs([job], 1)
    assert (chip, summary, pid) == (3, None, None)
    reason, message = failure
    assert reason == nm.Failure.SOLVER_FAILED and message.startswith("worker failed: ")
    assert "no such preset" in message


def test_wide_range_amplifier_is_linear_within_5_percent_of_its_bias_over_3_units(mapping):
    """The leak's amplifier: I = G dV (G = g I_u / V_u, calibrated at balance) over +-3 model volts."""
    from neuromorph.spice.transistor import _WIDE_RANGE, _wide_resistor

    conductance = 1.0 * mapping.i_unit / mapping.v_unit
    ib = _WIDE_RANGE * mapping.i_unit
    r = _wide_resistor(conductance, ib)
    span = 3.0 * mapping.v_unit
    dv, current = _dc_sweep(f"X1 inp inn out vdd ota_wide ib={float(ib)!r} r={float(r)!r}", -span, span, span / 60)
    assert np.abs(current - conductance * dv).max() <= 0.05 * ib


def test_a_gap_junction_drives_a_resting_neuron_at_transistor_level():
    """b alone rests at -0.9 (MODEL.md's tonic neuron below its onset); coupled to a spiking a by a
    gap junction it fires with it, at the numba run's ISI within 5 %."""
    net = nm.Network(name="gj")
    net.add_neuron("a", "tonic", i_app=-0.6)
    net.add_neuron("b", "tonic", i_app=-0.9)
    net.add_gap_junction("a", "b", g=0.3)
    ref = net.simulate(1500, rtol=1e-8, atol=1e-10)
    res = nm.spice_simulate(net, 1500, level="transistor", max_step=0.2)
    assert nm.preset("tonic").simulate(1500, i_app=-0.9).summary()["pattern"] == "rest"
    for name in ("a", "b"):
        assert res.summary(neuron=name, t_start=300)["isi_mean"] == pytest.approx(
            ref.summary(neuron=name, t_start=300)["isi_mean"], rel=0.05)


def _cell_transistors():
    """``{cell: (transistor count, W L in um^2 of each)}`` read from spice/cells.lib itself (its defaults)."""
    from neuromorph.spice.transistor import _library_dir

    cells, name, defaults = {}, None, {}
    for line in (_library_dir() / "cells.lib").read_text().splitlines():
        if line.startswith(".subckt "):
            name = line.split()[1]
            defaults = {k: float(val.rstrip("u")) for k, val in re.findall(r"\b(w|l|wm|lm)=([0-9.]+u)", line)}
            cells[name] = []
        elif line.startswith(".ends"):
            name = None
        elif name and line.startswith("M"):
            w, l = re.search(r"W=\{(\w+)\*", line).group(1), re.search(r"L=\{(\w+)\}", line).group(1)
            cells[name].append(defaults[w] * defaults[l])
    return cells


def test_pelgrom_spread_of_the_drawn_mismatch_is_a_over_sqrt_wl(mapping):
    """Every transistor of every cell gets a threshold offset with sigma = A_VT / sqrt(W L) and a current-factor
    offset with sigma = A_beta / sqrt(W L) (W L read from cells.lib), independent and of zero mean.

    With n draws, (n - 1) s^2 / sigma^2 follows chi-square(n - 1): accepted within its 1e-6 two-sided
    quantiles (-5.4 % to +5.6 % on sigma for the 4000 draws here: 1 / (W L) instead of 1 / sqrt(W L), a
    factor 4.9, fails, and so does a 10 % slip); the means within 5.3 standard errors, the correlation of
    the two within 5.3 / sqrt(n)."""
    from scipy import stats

    from neuromorph.spice.transistor import TransistorMismatch

    cells = _cell_transistors()
    a_vt, a_beta = 4e-3, 0.02
    dv, db, area = [], [], []
    for chip in range(40):
        net = transistor_netlist(nm.hco(), mapping=mapping,
                                 variation=TransistorMismatch(seed=5, chip=chip, a_vt=a_vt, a_beta=a_beta))
        for line in net.lines:
            if not line.startswith("X_"):
                continue
            kind = line.split()[5]
            v_k = [float(x) for x in re.findall(r" dv\d+=(\S+)", line)]
            b_k = [float(x) for x in re.findall(r" db\d+=(\S+)", line)]
            assert len(v_k) == len(b_k) == len(cells[kind]), line  # one draw of each per transistor
            dv += v_k
            db += b_k
            area += cells[kind]
    dv, db, area = np.array(dv), np.array(db), np.array(area)
    n = dv.size
    assert n == 4000  # 40 chips of 100 transistors
    lo, hi = stats.chi2.ppf([0.5e-6, 1.0 - 0.5e-6], n - 1)
    for draws, a in ((dv, a_vt), (db, a_beta)):
        z = draws / (a / np.sqrt(area))  # standard normals if the law holds
        assert lo < (n - 1) * np.var(z, ddof=1) < hi, np.std(z, ddof=1)
        assert abs(z.mean()) < 5.3 / np.sqrt(n)
    assert abs(np.corrcoef(dv, db)[0, 1]) < 5.3 / np.sqrt(n)


@pytest.mark.parametrize("where", ["leak", "gap junction", "amplifier", "synapse"])
def test_a_zero_conductance_places_no_cell(mapping, where):
    """leak.g = 0 and a gap junction of g = 0 raised ZeroDivisionError: a zero bias passes no current, so no
    cell is placed (the explain rows say so), and the circuit runs as the model without it."""
    net = nm.Network(name="zero")
    net.add_neuron("a", "tonic", i_app=-0.6)
    net.add_neuron("b", "tonic", i_app=-0.9)
    if where == "gap junction":
        net.add_gap_junction("a", "b", g=0.0)
    elif where == "synapse":
        net.add_synapse("a", "b", g=0.0)
    else:
        net.set("a.leak.g" if where == "leak" else "a.fast_negative.alpha", 0.0)
    netlist = transistor_netlist(net, mapping=mapping, t_end=10)
    label = {"leak": "a.leak", "amplifier": "a.fast_negative"}.get(where, net.connection_names[0] if
                                                                   net.connection_names else None)
    assert any(name == label and cell.startswith("no cell") for name, cell, _ in netlist.rows)
    if where == "gap junction":  # uncoupled: b's circuit does what it does alone
        res = nm.spice_simulate(net, 600, level="transistor", max_step=0.2, mapping=mapping)
        alone = nm.spice_simulate("tonic", 600, i_app=-0.9, level="transistor", max_step=0.2, mapping=mapping)
        got, want = res.summary(neuron="b", t_start=200), alone.summary(t_start=200)
        assert got["pattern"] == want["pattern"] and got["n_spikes"] == want["n_spikes"]


def test_a_negative_linear_conductance_is_refused_by_name(mapping):
    n = nm.preset("tonic")
    n.set("leak.g", -0.5)
    with pytest.raises(nm.ModelError, match=r"leak: g = -0.5 < 0 has no transistor-level cell"):
        transistor_netlist(n, mapping=mapping)


def test_leak_g_zero_at_transistor_level_diverges_on_the_command_line(tmp_path):
    """With no leak the model's voltage grows without bound (the numba engine: "diverging" at t ~ 52); the
    circuit's membrane leaves its cells' range within a few time units and is reported the same way."""
    from helpers import CIRCUITS, one_line, run

    proc = run(tmp_path, "spice-run", CIRCUITS / "bursting.toml", "--level", "transistor", "--set", "leak.g=0",
               "--t-end", "200", "--max-step", "0.2", "--out", "r.npz")
    assert proc.returncode == 1
    line = one_line(proc.stderr)
    assert "diverging at t = " in line and "leak amplifier" in line and "restoring conductance" in line
    assert list(tmp_path.iterdir()) == []


def test_a_membrane_beyond_the_circuits_range_stops_the_run(mapping):
    """I_app = 5 on the tonic neuron: the model settles near V = 5, but the circuit's leak amplifier
    saturates at 6 units of current and its membrane runs to the supply rail (~12 units): "out of range"."""
    from neuromorph.errors import SimulationError

    assert nm.preset("tonic").simulate(300, i_app=5.0).summary()["pattern"] == "rest"
    with pytest.raises(SimulationError) as info:
        nm.spice_simulate("tonic", 300, i_app=5.0, level="transistor", max_step=0.2, mapping=mapping)
    assert info.value.reason == "out of range" and "beyond +-6" in str(info.value)
