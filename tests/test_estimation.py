"""Gains read back from voltage traces (issue 21), against the true gains of MODEL.md, not our own output.

The traces are simulations with known gains (the reference bursting neuron: leak 1, fast negative -2, slow
positive 2, slow negative -1.5, ultraslow positive 1.5; the HCO: two of them with mutual inhibition 0.2) under
white current noise; the estimates must come back to those numbers.
"""

import warnings

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.model.kinds import KINDS

TRUE = {"leak.g": 1.0, "fast_negative.alpha": -2.0, "slow_positive.alpha": 2.0, "slow_negative.alpha": -1.5,
        "ultraslow_positive.alpha": 1.5}  # MODEL.md, "Public reference behaviours"


def relative_errors(values, truth):
    return {p: abs(values[p] / truth[p] - 1.0) for p in truth}


@pytest.fixture(scope="module")
def noisy_burster():
    """20 000 time units of the bursting neuron with white current noise 0.02 (sampled every 0.05)."""
    run = nm.preset("bursting").simulate(20_000, i_app=-2.0, noise=nm.WhiteNoise(0.02), seed=1, dt=0.01,
                                         dt_out=0.05)
    assert run.summary()["pattern"] == "bursting"
    return run


def test_least_squares_recovers_every_gain_within_half_a_percent(noisy_burster):
    est = nm.estimate("bursting", noisy_burster, i_app=-2.0)
    assert est.params == tuple(TRUE)
    errors = relative_errors(est.values, TRUE)
    assert max(errors.values()) < 0.005, errors
    assert all(est.identifiable.values()) and est.condition < 100
    # the standard errors are of the size of the actual errors (not 100x smaller: honest intervals)
    assert all(abs(est.values[p] - TRUE[p]) < 6 * est.stderr[p] for p in TRUE), (est.values, est.stderr)


def test_observer_from_zero_is_within_two_percent_by_the_end_and_stays(noisy_burster):
    est = nm.estimate("bursting", noisy_burster, i_app=-2.0, method="observer")
    t, theta = est.history
    truth = np.array([TRUE[p] for p in est.params])
    assert np.all(theta[0] == 0.0)  # started from every gain at 0
    worst = np.max(np.abs(theta / truth - 1.0), axis=1)
    assert worst[-1] < 0.02
    assert np.all(worst[t >= 10_000] < 0.02)  # and stays there over the second half
    assert max(relative_errors(est.values, TRUE).values()) < 0.02


def test_observer_tracks_a_gain_ramped_by_a_modulation_schedule():
    """slow_negative.alpha from -1.5 to -1.0 over 40 000 time units (steps of 100): error <= 5 % after 5 000.

    The neuron stops bursting near alpha = -1.2 (its slow I-V curve loses its negative-conductance region), so
    the other gains are known here: a resting trace cannot tell five gains apart, but it does tell this one."""
    times = np.arange(100.0, 40_000.0, 100.0)
    schedule = [(float(t), {"slow_negative.alpha": -1.5 + 0.5 * t / 40_000}) for t in times]
    run = nm.preset("bursting").simulate(40_000, i_app=-2.0, noise=nm.WhiteNoise(0.02), seed=2, dt=0.01, dt_out=0.05,
                                         modulation=schedule)
    est = nm.estimate("bursting", run, params=["slow_negative.alpha"], i_app=-2.0, method="observer")
    t, theta = est.history
    truth = -1.5 + 0.5 * np.floor(t / 100.0) * 100.0 / 40_000
    error = np.abs(theta[:, 0] / truth - 1.0)
    assert error[t >= 5_000].max() <= 0.05
    assert theta[0, 0] == 0.0 and abs(theta[-1, 0] - (-1.0)) < 0.05


def test_hco_synaptic_and_neuronal_gains_from_the_two_voltages():
    run = nm.hco().simulate(20_000, noise=nm.WhiteNoise(0.02), seed=3, dt=0.01, dt_out=0.05)
    est = nm.estimate("hco", run)
    for syn in ("n1_to_n2.g", "n2_to_n1.g"):
        assert abs(est.values[syn] / 0.2 - 1.0) < 0.05
    for node in ("n1", "n2"):
        errors = relative_errors({p: est.values[f"{node}.{p}"] for p in TRUE}, TRUE)
        assert max(errors.values()) < 0.02, (node, errors)


def test_a_resting_trace_flags_the_spiking_gains_as_not_identifiable():
    run = nm.preset("bursting").simulate(5_000, i_app=-3.0, noise=nm.WhiteNoise(0.02), seed=4, dt=0.01, dt_out=0.05)
    assert run.summary()["pattern"] == "rest"
    with pytest.warns(nm.NeuromorphWarning, match="not identifiable"):
        est = nm.estimate("bursting", run, i_app=-3.0)
    for path in ("fast_negative.alpha", "slow_positive.alpha", "slow_negative.alpha"):
        assert not est.identifiable[path] and np.isnan(est.stderr[path])
        assert est.model.get(path) == TRUE[path]  # the fitted model keeps what the trace cannot tell
    assert "not identifiable" in str(est)
    # the observer says so too (its covariance of those gains never fell), rather than give confident numbers
    with pytest.warns(nm.NeuromorphWarning, match="not identifiable"):
        seen = nm.estimate("bursting", run, i_app=-3.0, method="observer")
    for path in ("fast_negative.alpha", "slow_positive.alpha", "slow_negative.alpha"):
        assert not seen.identifiable[path] and seen.model.get(path) == TRUE[path]


def test_a_non_uniform_spice_grid_gives_the_gains_too():
    """ngspice's behavioural run of the burster (its own time steps, 1e-3 to 5e-2): gains within 1 %."""
    spice = nm.spice_simulate("bursting", 12_000, i_app=-2.0)
    steps = np.diff(spice.t)
    assert steps.max() > 10 * steps.min()
    est = nm.estimate("bursting", spice, i_app=-2.0)
    assert max(relative_errors(est.values, TRUE).values()) < 0.01


def test_plain_arrays_with_a_sampled_current_and_the_fitted_model_runs(tmp_path, noisy_burster):
    t, v = noisy_burster.t, noisy_burster.v
    est = nm.estimate("bursting", (t, v, np.full(t.size, -2.0)), params=["slow_negative.alpha", "leak.g"])
    assert est.params == ("slow_negative.alpha", "leak.g")
    assert abs(est.values["slow_negative.alpha"] + 1.5) < 0.01
    est.save(tmp_path / "fitted.toml")
    fitted = nm.load(tmp_path / "fitted.toml")
    assert fitted.get("slow_negative.alpha") == est.values["slow_negative.alpha"]
    summary = fitted.simulate(10_000, i_app=-2.0).summary()
    assert summary["pattern"] == "bursting" and summary["spikes_per_burst"] == 7


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_current_is_linear_in_its_gain(kind):
    """What estimation rests on: the current of each element is its gain times a function of voltages."""
    cls = KINDS[kind]
    examples = {"leak": dict(g=0.7, e_rev=0.3), "current": dict(alpha=-1.3, delta=0.2, tau=5.0),
                "conductance": dict(g_max=0.8, e_rev=1.0), "current_synapse": dict(g=0.3, tau=5.0),
                "conductance_synapse": dict(g=0.3, e_syn=-2.0, tau=5.0), "gap_junction": dict(g=0.4)}
    el = cls(**examples[kind])
    rng = np.random.default_rng(0)
    values = {inp.role: rng.uniform(-3, 3, 7) for inp in el.inputs()}
    base = el.replace(**{cls.gain: 1.0}).current(**values)
    for target, current in el.current(**values).items():
        np.testing.assert_allclose(current, getattr(el, cls.gain) * base[target], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("call, words", [
    (lambda t, v: nm.estimate("bursting", (t, v[:-1]), i_app=-2.0), ["samples", "as many"]),
    (lambda t, v: nm.estimate("bursting", (t, np.where(np.arange(t.size) == 5, np.nan, v)), i_app=-2.0),
     ["nan", "sample 5", "t = 2.5"]),
    (lambda t, v: nm.estimate("bursting", (t[::-1], v), i_app=-2.0), ["time grid must increase"]),
    (lambda t, v: nm.estimate("bursting", (t, 1e300 * v), i_app=-2.0), ["beyond +-1e+12", "sample 1"]),
    (lambda t, v: nm.estimate("bursting", (t, v), i_app=-2.0, method="observer",
                              observer_settings=nm.AdaptiveObserver(h_max=1e-300)),
     ["`h_max` = 1e-300", "observer steps"]),
    (lambda t, v: nm.estimate("bursting", (t, v), i_app=-2.0, method="observer",
                              observer_settings=nm.AdaptiveObserver(record_dt=1e-9)), ["`record_dt` = 1e-09", "1e+11"]),
    (lambda t, v: nm.estimate("bursting", (t, v), params=["slow_negative.delta"], i_app=-2.0),
     ["'slow_negative.delta' is a parameter but not a gain", "slow_negative.alpha"]),
    (lambda t, v: nm.estimate("bursting", (t, v), params=["nope.g"], i_app=-2.0), ["'nope.g' names no parameter"]),
    (lambda t, v: nm.estimate("hco", (t, v)), ["one row per neuron", "n1, n2"]),
    (lambda t, v: nm.estimate("hco", {"n1": (t, v), "n3": (t, v)}), ["are not the model's", "n3"]),
    (lambda t, v: nm.estimate("hco", {"n1": (t, v), "n2": (t[:-1], v[:-1])}), ["'n2' is sampled at other times"]),
    (lambda t, v: nm.estimate("bursting", (t, v), method="kalman"), ["unknown estimation `method` 'kalman'"]),
])
def test_bad_input_is_refused_naming_it(call, words):
    t = np.linspace(0.0, 100.0, 201)
    v = np.sin(t)
    with pytest.raises(nm.ModelError) as info:
        call(t, v)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_a_run_of_another_circuit_is_refused():
    run = nm.preset("bursting").simulate(200, i_app=-2.0)
    with pytest.raises(nm.ModelError, match=r"no voltage of the model's neuron\(s\) \['n1.v', 'n2.v'\]"):
        nm.estimate("hco", run)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nm.AdaptiveObserver(gamma=2.0)
    with pytest.raises(nm.ModelError, match="`gamma` must be > 0"):
        nm.AdaptiveObserver(gamma=0.0)


def test_online_observer_fed_stretch_by_stretch_equals_the_observer_on_the_whole_trace(noisy_burster):
    """An Integrator's stream (take() after each advance) gives the observer what the whole trace gives it."""
    t, v = noisy_burster.t, noisy_burster.v
    k = t <= 8_000
    whole = nm.estimate("bursting", (t[k], v[k]), i_app=-2.0, method="observer")
    online = nm.AdaptiveObserver().start("bursting", i_app=-2.0)
    for lo in range(0, 8_000, 1_000):
        part = (t >= lo) & (t <= lo + 1_000) & (t > (lo if lo else -1.0))
        online.update(t[part], v[part])
    est = online.estimate()
    np.testing.assert_allclose(est.history[0], whole.history[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(est.history[1], whole.history[1], rtol=1e-9, atol=1e-12)
    assert [est.values[p] for p in est.params] == pytest.approx([whole.values[p] for p in whole.params], rel=1e-9)


def test_online_observer_alongside_an_integrator_reaches_the_gains():
    online = nm.AdaptiveObserver().start("tonic", i_app=-0.7)
    run = nm.Integrator(nm.preset("tonic"), i_app=-0.7, solver=nm.SRA1(dt=0.05), record=("v",),
                        noise=nm.WhiteNoise(0.02), seed=5)
    for t_stop in range(1_000, 8_001, 1_000):
        run.advance(t_stop)
        t, y, _, _ = run.take()
        online.update(t, y[0])
    truth = {"leak.g": 1.0, "fast_negative.alpha": -2.0, "slow_positive.alpha": 2.0}  # MODEL.md, tonic
    assert max(relative_errors(online.estimate().values, truth).values()) < 0.02
    with pytest.raises(nm.ModelError, match="not after the last one's end"):
        online.update(t, y[0])


def test_a_transistor_level_chip_gives_a_model_that_bursts_like_it():
    """The real-hardware path: ngspice's transistor-level burster (mapped to model units) in, a model of that
    chip out; re-simulated by our solver it has ngspice's burst period within 5 % and its spikes per burst."""
    chip = nm.spice_simulate("bursting", 15_000, i_app=-2.0, level="transistor", max_step=0.2)
    measured = chip.summary(t_start=5_000)
    est = nm.estimate("bursting", chip, i_app=-2.0)
    model = est.model.simulate(30_000, i_app=-2.0).summary(t_start=10_000)
    assert model["pattern"] == measured["pattern"] == "bursting"
    assert abs(model["burst_period"] / measured["burst_period"] - 1.0) < 0.05, (model, measured)
    assert abs(model["spikes_per_burst"] - measured["spikes_per_burst"]) <= 1


def test_filters_that_started_away_from_the_first_voltage_do_not_bias_least_squares():
    """The HCO's second neuron starts at V = -2.5 with its filters at -2.0 (MODEL.md): over a short trace,
    taking the filters to start at the first voltage biases the synaptic gain by ~25 %; estimating where they
    started (the default) brings every gain back within 2 %."""
    run = nm.hco().simulate(6_000, noise=nm.WhiteNoise(0.02), seed=3, dt=0.01, dt_out=0.05)
    naive = nm.estimate("hco", run, filter_start="first")
    assert abs(naive.values["n1_to_n2.g"] / 0.2 - 1.0) > 0.1  # the bias this option exists for
    est = nm.estimate("hco", run)
    truth = {f"{node}.{p}": value for node in ("n1", "n2") for p, value in TRUE.items()}
    truth.update({"n1_to_n2.g": 0.2, "n2_to_n1.g": 0.2})
    assert max(relative_errors(est.values, truth).values()) < 0.02
    with pytest.raises(nm.ModelError, match="`filter_start` must be 'estimate' or 'first'"):
        nm.estimate("hco", run, filter_start="last")


def test_the_fitted_models_prediction_beside_the_data_and_the_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = nm.preset("bursting").simulate(8_000, i_app=-2.0, dt_out=0.05)
    est = nm.estimate("bursting", run, i_app=-2.0)
    predicted = est.prediction()
    assert predicted.t.size == run.t.size
    # the fitted model, started where the trace starts, spikes where the data spikes
    assert predicted.spike_times.size == run.spike_times.size
    assert np.max(np.abs(predicted.spike_times - run.spike_times)) < 0.5
    ax = est.plot()
    assert [line.get_label() for line in ax.get_lines()] == ["v: data", "v: fitted model"]
    plt.close(ax.figure)
    ax = est.plot(what="gains", truth=nm.preset("bursting"))
    assert len(ax.get_xticklabels()) == 5
    plt.close(ax.figure)
    with pytest.raises(nm.ModelError, match="has no history"):
        est.plot(what="history")
    observed = nm.estimate("bursting", run, i_app=-2.0, method="observer")
    ax = observed.plot()
    assert len(ax.get_lines()) == 5
    plt.close(ax.figure)


def test_measurement_noise_on_the_voltage_does_not_move_the_gains(noisy_burster):
    """Noise of the recording itself (0.02 rms on every sample, on top of the circuit's current noise): least
    squares integrates it out (no derivative is taken), the observer's filters too."""
    rng = np.random.default_rng(7)
    measured = noisy_burster.v + 0.02 * rng.standard_normal(noisy_burster.v.size)
    trace = (noisy_burster.t, measured)
    least = nm.estimate("bursting", trace, i_app=-2.0)
    assert max(relative_errors(least.values, TRUE).values()) < 0.005 and all(least.identifiable.values())
    observed = nm.estimate("bursting", trace, i_app=-2.0, method="observer")
    assert max(relative_errors(observed.values, TRUE).values()) < 0.02
