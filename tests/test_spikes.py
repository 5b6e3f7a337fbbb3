"""What a spike is: an upward threshold crossing after the voltage fell below threshold - hysteresis.

One definition for every engine (single runs, SIMD lanes, ngspice samples); noise that jitters
the voltage across the threshold during one upstroke must not make two spikes.
"""

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.analysis.spikes import spike_times
from neuromorph.errors import ModelError


def _state_machine(t, v, threshold, hysteresis):
    """The definition written as the plain loop it describes (an independent reference)."""
    armed = v[0] < threshold
    out = []
    for i in range(len(v) - 1):
        if v[i] < threshold - hysteresis:
            armed = True
        if armed and v[i] < threshold <= v[i + 1]:
            out.append(t[i] + (threshold - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i]))
            armed = False
    return np.array(out)


@pytest.mark.parametrize("hysteresis", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spike_times_is_the_state_machine_of_the_definition(seed, hysteresis):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.01, 0.1, 5000))
    v = 2.0 * np.sin(t) + rng.normal(0.0, 0.4, t.size) + (0.5 if seed == 1 else 0.0)
    expected = _state_machine(t, v, 0.2, hysteresis)
    got = spike_times(t, v, 0.2, hysteresis)
    assert expected.size > 10
    np.testing.assert_array_equal(got, expected)


def _clear_upstrokes(v):
    """Upstrokes told apart by a wide margin: rises through +1 after a fall below -1.5."""
    return _state_machine(np.arange(v.size, dtype=float), v, 1.0, 2.5).size


def test_noise_does_not_split_a_spike_in_a_single_run():
    # The case of the issue: sigma 0.2 used to count 922 spikes, 143 pairs one step apart.
    res = nm.preset("tonic").simulate(20_000, -0.5, noise=nm.WhiteNoise(0.2), seed=3, dt=0.05)
    v = res["v"]
    assert res.spike_times.size == _clear_upstrokes(v)
    assert np.diff(res.spike_times).min() > 5.0  # the deterministic ISI is ~30: nothing one step apart
    # the engine applies exactly the sampled definition (a noisy step is a chord)
    np.testing.assert_array_equal(res.spike_times, spike_times(res.t, v, 0.0, 0.5))


def test_a_run_in_pieces_keeps_the_detector_state():
    run = nm.Integrator(nm.preset("tonic"), i_app=-0.5, solver=nm.get_solver("sra1", dt=0.05),
                        noise=nm.WhiteNoise(0.2), seed=3, record=())
    spikes = []
    for t_stop in 0.05 * np.round(np.linspace(37.3, 5000, 41) / 0.05):  # grid points, some inside upstrokes
        run.advance(t_stop)
        spikes.append(run.take()[2])
    whole = nm.preset("tonic").simulate(5000, -0.5, noise=nm.WhiteNoise(0.2), seed=3, dt=0.05, record=())
    np.testing.assert_array_equal(np.concatenate(spikes), whole.spike_times)


def test_zero_hysteresis_counts_every_crossing():
    neuron = nm.preset("tonic").set("hysteresis", 0.0)
    res = neuron.simulate(5000, -0.5, noise=nm.WhiteNoise(0.2), seed=3, dt=0.05)
    assert res.spike_times.size == spike_times(res.t, res["v"], 0.0, 0.0).size > _clear_upstrokes(res["v"])


def test_lanes_apply_the_same_definition():
    ens = nm.Ensemble("tonic", params={"i_app": [-0.5] * 3, "hysteresis": [0.5, 0.5, 0.0]})
    out = ens.simulate(3000, dt=0.05, noise=nm.WhiteNoise(0.2), seed=3, save_every=1, max_spikes=400)
    counts, times = out.spike_counts, out.spike_times
    for copy, hysteresis in enumerate([0.5, 0.5, 0.0]):
        expected = spike_times(out.t, out.v[copy], 0.0, hysteresis)
        assert counts[copy] == expected.size
        np.testing.assert_allclose(times[copy, : counts[copy]], expected, rtol=0, atol=1e-9)
    assert counts[2] > counts[0]  # noise does split spikes when nothing re-arms
    # the member re-run alone (the same trial) gives the same spikes
    alone = nm.preset("tonic").simulate(3000, -0.5, noise=nm.WhiteNoise(0.2), seed=3, dt=0.05, record=())
    np.testing.assert_allclose(times[0, : counts[0]], alone.spike_times, rtol=0, atol=1e-6)


def test_deterministic_reference_spikes_do_not_change():
    # MODEL.md: the bursting neuron's 7 spikes per burst, with troughs near -2.2 between spikes
    res = nm.preset("bursting").simulate(10_000, -2.0, rtol=1e-8, atol=1e-10)
    counted = res.spike_times
    every = nm.preset("bursting").set("hysteresis", 0.0).simulate(10_000, -2.0, rtol=1e-8, atol=1e-10).spike_times
    np.testing.assert_array_equal(counted, every)
    assert res.summary()["spikes_per_burst"] == 7


def test_spice_applies_the_same_definition():
    # A hysteresis no spike can clear: after the first spike the neuron never re-arms, in both engines.
    neuron = nm.preset("tonic").set("hysteresis", 100.0)
    spice = nm.spice_simulate(neuron, t_end=300, i_app=-0.7)
    numba = neuron.simulate(300, -0.7)
    assert spice.spike_times.size == numba.spike_times.size == 1
    assert nm.spice_simulate(nm.preset("tonic"), t_end=300, i_app=-0.7).spike_times.size > 5


def test_hysteresis_is_a_parameter_with_a_file_key():
    neuron = nm.preset("tonic")
    assert neuron.hysteresis == 0.5 and neuron.get("hysteresis") == 0.5
    with pytest.raises(ModelError, match="hysteresis"):
        neuron.set("hysteresis", -1.0)
    with pytest.raises(ModelError, match="hysteresis"):
        nm.Neuron(hysteresis=float("nan"))
    changed = neuron.copy().set("hysteresis", 0.25)
    assert changed != neuron
    assert nm.loads(nm.dumps(changed)) == changed
    assert "hysteresis" not in nm.dumps(neuron)  # files of the default keep their keys
    net = nm.hco()
    net.set("n1.hysteresis", 0.1)
    assert nm.loads(nm.dumps(net)).get("n1.hysteresis") == 0.1


@pytest.mark.parametrize("args, match", [
    (([1.0, 2.0], 5.0, 1.0), "window is reversed"),
    (([[1.0]], 0.0, 1.0), "1-dimensional"),
    (([3.0, 2.0], 0.0, 5.0), "increasing order"),
    (([1.0], "0", 5.0), "`t_start` must be a real number"),
    (([1.0], 0.0, np.nan), "`t_end` must be finite"),
])
def test_summarize_spikes_names_a_bad_window_or_spike_train(args, match):
    with pytest.raises(nm.ModelError, match=match):
        nm.summarize_spikes(*args)
