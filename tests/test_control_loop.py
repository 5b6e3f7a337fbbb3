"""Holding a rhythm (issue 22): the rhythm controller, judged by a fresh simulation of the tuned chip (our spike
analysis on a run without the controller), never by what the controller reports of itself."""

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.lower.compile import as_compiled_model

BOUNDS = {"slow_negative.alpha": (-2.2, -1.2), "ultraslow_positive.alpha": (1.3, 2.8)}


def _within_bounds(out):
    for path, (lo, hi) in BOUNDS.items():
        _, values = out.gains(path)
        assert np.all((values >= lo) & (values <= hi)), path


def _fresh_period(model, i_app):
    return model.simulate(25_000, i_app=i_app).summary()["burst_period"]


@pytest.mark.parametrize("period", [1500, 2500, 4000])
def test_a_target_period_is_reached_within_two_percent_in_thirty_bursts(period):
    target = nm.Rhythm(period=period, tolerance=0.02)
    out = nm.RhythmController(target, adjust=list(BOUNDS), bounds=BOUNDS).run("bursting", 40 * period, i_app=-2.0)
    assert out.reached and out.reached_at <= 30, str(out)
    _within_bounds(out)
    assert abs(_fresh_period(out.model, -2.0) / period - 1.0) <= 0.02  # the tuned chip, run on its own


def test_the_period_is_held_through_a_step_of_the_applied_current():
    target = nm.Rhythm(period=2500, tolerance=0.02)
    out = nm.RhythmController(target, adjust=list(BOUNDS), bounds=BOUNDS).run(
        "bursting", 100_000, i_app=-2.0, schedule=[(50_000.0, {"i_app": -1.9})])
    t, periods = out.periods
    after = periods[t > 50_000.0]
    assert abs(after[0] / 2500 - 1.0) > 0.02  # the step does move the rhythm ...
    inside = np.abs(after / 2500 - 1.0) <= 0.02
    first = int(np.argmax(inside))
    assert inside[first:].all() and first <= 10  # ... and it is back within 2 % in 10 bursts, and stays
    _within_bounds(out)
    assert abs(_fresh_period(out.model, -1.9) / 2500 - 1.0) <= 0.02


def test_a_mismatched_chip_is_brought_back_to_the_design_period():
    compiled = as_compiled_model("bursting")
    drawn = nm.Mismatch(gain=0.05).draw(compiled, 3, [5])["el_gain"][:, 0]
    chip = nm.preset("bursting").copy()
    for path in ("leak.g", "fast_negative.alpha", "slow_positive.alpha", "slow_negative.alpha",
                 "ultraslow_positive.alpha"):
        slot = compiled.slot(path)[1][0]
        chip.set(path, drawn[slot.index] / slot.scale)
    before = _fresh_period(chip, -2.0)
    assert abs(before / 2494 - 1.0) > 0.05  # this chip is off
    bounds = {p: (v - 0.6, v + 0.6) for p, v in ((p, chip.get(p)) for p in BOUNDS)}
    out = nm.RhythmController(nm.Rhythm(period=2494, tolerance=0.02), adjust=list(BOUNDS), bounds=bounds).run(
        chip, 80_000, i_app=-2.0)
    assert out.reached and abs(_fresh_period(out.model, -2.0) / 2494 - 1.0) <= 0.02


def test_an_unreachable_target_ends_with_a_report_not_a_loop():
    bounds = {"slow_negative.alpha": (-1.7, -1.3)}
    out = nm.RhythmController(nm.Rhythm(period=8000, tolerance=0.02), adjust=["slow_negative.alpha"],
                              bounds=bounds).run("bursting", 150_000, i_app=-2.0)
    assert not out.reached and out.reached_at is None
    assert out.values["slow_negative.alpha"] == -1.7 and "at its bound" in str(out) and "not reached" in str(out)


@pytest.mark.parametrize("kwargs, words", [
    ({"target": {"period": 2500}}, "nm.Rhythm"),
    ({"adjust": []}, "adjust"),
    ({"bounds": {}}, "gives none"),
    ({"bounds": {"slow_negative.alpha": (-1.0, -2.0)}}, "low < high"),
    ({"bounds": {"slow_negative.alpha": (-2.0, -1.0), "leak.g": (0.5, 2)}}, "not adjusted"),
    ({"max_step": 2.0}, "fraction"),
    ({"rate": 0.0}, "rate"),
])
def test_bad_controllers_are_refused_naming_the_field(kwargs, words):
    settings = {"target": nm.Rhythm(period=2500), "adjust": ["slow_negative.alpha"],
                "bounds": {"slow_negative.alpha": (-2.0, -1.0)}, **kwargs}
    with pytest.raises(nm.ModelError, match=words):
        nm.RhythmController(**settings)


def test_bounds_that_exclude_the_start_are_refused():
    ctrl = nm.RhythmController(nm.Rhythm(period=2500), adjust=["slow_negative.alpha"],
                               bounds={"slow_negative.alpha": (-1.4, -1.0)})
    with pytest.raises(nm.ModelError, match="outside its bounds"):
        ctrl.run("bursting", 1000, i_app=-2.0)


@pytest.mark.parametrize("period", [1800, 3000])
def test_the_hcos_period_is_moved_by_one_setting_for_both_neurons_and_anti_phase_is_kept(period):
    """'*.PATH' moves both nodes' gains as one bias line; the tuned HCO, run on its own, bursts at the target
    period with its neurons in anti-phase (MODEL.md: the HCO alternates)."""
    bounds = {"*.slow_negative.alpha": (-2.2, -1.2), "*.ultraslow_positive.alpha": (1.3, 2.8)}
    out = nm.RhythmController(nm.Rhythm(period=period, tolerance=0.02), adjust=list(bounds), bounds=bounds).run(
        "hco", 40 * period)
    assert out.reached and out.reached_at <= 30
    tuned = out.model
    assert tuned.get("n1.slow_negative.alpha") == tuned.get("n2.slow_negative.alpha")  # one setting, both nodes
    assert nm.Rhythm(period=period, tolerance=0.02, phase=0.5, phase_tolerance=0.05).met(tuned.simulate(30_000))
    with pytest.raises(nm.ModelError, match="every node of a network"):
        nm.RhythmController(nm.Rhythm(period=period), adjust=["*.slow_negative.alpha"],
                            bounds={"*.slow_negative.alpha": (-2.2, -1.2)}).run("bursting", 100)


def _warm_period(model, warm):
    run = nm.Integrator(model, i_app=-2.0, record=())
    for path, value in warm.items():
        run.set_parameter(path, value)
    run.advance(30_000)
    return run.result().summary(t_start=10_000)["burst_period"]


def test_a_rhythm_is_held_through_a_temperature_step_it_is_not_told_of():
    """300 K -> 320 K: Mismatch.conditions' values set in a run (filters' tau included) give the period the
    ensemble engine gives with Mismatch(temperature=320) applied to its arrays (an independent path), 25 % above
    MODEL.md's 2493.9; the controller brings it back within 2 %, confirmed on a fresh warm run of the tuned chip."""
    design = nm.preset("bursting")
    warm = nm.Mismatch(temperature=320.0).conditions(design)
    assert {"slow.tau", "ultraslow.tau", "C", "slow_negative.delta"} <= set(warm)
    hot = _warm_period(design, warm)
    engine = nm.Ensemble("bursting", size=1).simulate(30_000, i_app=-2.0, dt=0.05, method="rk4", t_record=10_000,
                                                     mismatch=nm.Mismatch(temperature=320.0), seed=0)
    assert hot == pytest.approx(engine.summary(0)["burst_period"], rel=1e-4)
    assert hot / 2493.9 - 1 > 0.2
    ctrl = nm.RhythmController(nm.Rhythm(period=2494, tolerance=0.02), adjust=list(BOUNDS), bounds=BOUNDS)
    out = ctrl.run(design, 140_000, i_app=-2.0, schedule=[(40_000, warm)])
    _within_bounds(out)
    assert out.reached and abs(_warm_period(out.model, warm) / 2494 - 1) <= 0.02


def _mismatched_hco(drawn, compiled, chip):
    """The HCO with chip ``chip``'s drawn gains (each node's five gains, as the ensemble engine runs them)."""
    net = nm.hco()
    for node in net.node_names:
        for path in ("leak.g", "fast_negative.alpha", "slow_positive.alpha", "slow_negative.alpha",
                     "ultraslow_positive.alpha"):
            slot = compiled.slot(f"{node}.{path}")[1][0]
            net.set(f"{node}.{path}", drawn[slot.index, chip] / slot.scale)
    return net


def test_a_mismatched_hcos_period_and_anti_phase_are_held_together():
    """3 % gain mismatch moves the HCO's phase far from anti-phase (0.27-0.73 over these chips, MODEL.md: 0.50 for
    the design). One setting of both nodes' ultraslow gains (a shared bias line) and the second node's leak,
    started from the design's sensitivities, bring each of the four most displaced chips to the target period
    within 2 % and anti-phase within 0.05, confirmed on a fresh run of each tuned chip without the controller."""
    mismatch, seed, chips = nm.Mismatch(gain=0.03), 3, 24
    compiled = as_compiled_model("hco")
    drawn = mismatch.draw(compiled, seed, np.arange(chips))["el_gain"]
    target = nm.Rhythm(period=2270, phase=0.5, tolerance=0.02, phase_tolerance=0.05)
    before = target.check(nm.yield_of("hco", target, mismatch, chips=chips, seed=seed, t_end=30_000).run)
    phase = np.asarray(before.measured["phase"])
    worst = np.argsort(-np.abs(phase - 0.5))[:4]
    assert np.all(np.abs(phase[worst] - 0.5) >= 0.15)  # a quarter of these chips is that far off, or more
    bounds = {"*.ultraslow_positive.alpha": (1.0, 2.2), "n2.leak.g": (0.6, 1.4)}
    ctrl = nm.RhythmController(target, adjust=list(bounds), bounds=bounds)
    for chip in worst:
        out = ctrl.run(_mismatched_hco(drawn, compiled, chip), 100_000, design="hco")
        assert out.reached, (chip, str(out))
        fresh = target.check(out.model.simulate(40_000))
        assert fresh.met, (chip, fresh.reasons())
        t, phases = out.phases
        assert phases["phase"].size == t.size > 30
    with pytest.raises(nm.ModelError, match="two-neuron network"):
        nm.RhythmController(nm.Rhythm(phase=0.5), adjust=["leak.g"], bounds={"leak.g": (0.5, 2)}).run(
            "bursting", 1000, i_app=-2.0)


def _disturbed():
    """A bursting neuron inhibited (g = 0.5) by a tonic one: MODEL.md's burster at I_app = -2 and tonic neuron."""
    net = nm.Network()
    net.add_neuron("d", nm.preset("tonic"), i_app=-0.7)
    net.add_neuron("b", nm.preset("bursting"), i_app=-2.0)
    net.add_synapse("d", "b", g=0.5, sign=-1, name="d_to_b")
    return net


def test_an_unknown_inhibitory_synapse_is_estimated_and_cancelled():
    """The undisturbed period (the burster alone, MODEL.md 2493.9) comes back within 2 % on a fresh run of the
    controlled circuit, and the synapse's gain is estimated within 10 % of 0.5; without the controller the
    inhibited neuron does not burst at all."""
    net = _disturbed()
    assert net.simulate(30_000).summary(neuron="b")["pattern"] == "rest"
    undisturbed = nm.preset("bursting").simulate(30_000, i_app=-2.0).summary()["burst_period"]
    out = nm.cancel_synapse(net, "d_to_b", 30_000)
    assert abs(out.estimate / 0.5 - 1.0) <= 0.10
    fresh = out.model.simulate(30_000).summary(neuron="b")
    assert fresh["pattern"] == "bursting" and abs(fresh["burst_period"] / undisturbed - 1.0) <= 0.02
    t, residual, gain = out.history
    assert abs(residual[-1]) < 0.01 and np.all(gain >= 0.0)
    assert out.model.get("cancel_d_to_b.g") == pytest.approx(gain[-1])


@pytest.mark.parametrize("call, words", [
    (lambda: nm.cancel_synapse("bursting", "d_to_b", 100), "needs a network"),
    (lambda: nm.cancel_synapse(_disturbed(), "b_to_d", 100), "not a connection"),
    (lambda: nm.cancel_synapse(_disturbed(), "d_to_b", -1), "t_end"),
    (lambda: nm.cancel_synapse(_disturbed(), "d_to_b", 100, update_every=0), "update_every"),
])
def test_bad_cancellation_input_is_refused(call, words):
    with pytest.raises(nm.ModelError, match=words):
        call()


def test_the_control_command_writes_a_tuned_circuit_file_that_holds_the_period(tmp_path, capsys):
    import json
    from pathlib import Path

    from helpers import one_line, run

    from neuromorph.ui.cli import main

    bursting = Path(__file__).resolve().parents[1] / "circuits" / "bursting.toml"  # i_app -2
    adjust = "slow_negative.alpha:-2.2:-1.2,ultraslow_positive.alpha:1.3:2.8"
    proc = run(tmp_path, "control", bursting, "--period", "3500", "--adjust", adjust, "--t-end", "120000",
               "--out", "tuned.toml", "--plot", "control.png", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["reached"] and set(payload["values"]) == {"slow_negative.alpha", "ultraslow_positive.alpha"}
    tuned = nm.load(tmp_path / "tuned.toml")
    assert abs(tuned.simulate(30_000, i_app=-2.0).summary()["burst_period"] / 3500 - 1.0) <= 0.02
    assert (tmp_path / "control.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    code = main(["control", str(bursting), "--period", "9000", "--adjust", "slow_negative.alpha:-1.7:-1.3",
                 "--t-end", "60000"])
    assert code == 1 and "not reached" in capsys.readouterr().out
    for args, words in ((["--period", "3500"], "--adjust is needed"),
                        (["--period", "3500", "--adjust", "slow_negative.alpha:-1"], "PATH:LOW:HIGH"),
                        (["--period", "3500", "--adjust", "slow_negative.alpha:-1.0:-1.2"], "low < high")):
        code = main(["control", str(bursting), *args])
        err = capsys.readouterr().err
        assert code == 2 and words in one_line(err), err
