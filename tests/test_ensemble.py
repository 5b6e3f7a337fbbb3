"""Many copies in SIMD lanes: same answers as single runs, independent of threads, parameters per copy."""

import warnings

import numpy as np
import pytest

import neuromorph as nm


def test_lanes_reproduce_the_single_neuron_kernel_bit_for_bit():
    n = nm.preset("bursting")
    single = n.simulate(3000, -2.0, method="rk4", dt=0.05, record=())
    res = nm.Ensemble(n, size=70).simulate(3000, i_app=-2.0, dt=0.05)  # 70: a full block and a partial one
    for i in (0, 63, 64, 69):
        assert np.array_equal(res.spikes(i), single.spike_times)
    final = n.simulate(3000, -2.0, method="rk4", dt=0.05).y[:, -1]
    assert np.array_equal(res.final_state[69], final)


def test_per_copy_parameters_match_individual_simulations():
    n = nm.preset("bursting")
    alphas = np.array([-2.0, -1.5, -1.0, -0.5])
    currents = np.array([-2.0, -1.8, -2.2, -2.0])
    res = nm.Ensemble(n, params={"slow_negative.alpha": alphas, "i_app": currents}).simulate(
        4000, dt=0.05, method="rk4")
    for i, (a, i_app) in enumerate(zip(alphas, currents)):
        m = n.copy().set("slow_negative.alpha", a)
        single = m.simulate(4000, i_app, method="rk4", dt=0.05, record=())
        assert np.array_equal(res.spikes(i), single.spike_times)


def test_results_do_not_depend_on_thread_count():
    n = nm.preset("bursting")
    ens = nm.Ensemble(n, params={"ultraslow_positive.alpha": np.linspace(1.0, 2.0, 300)})
    one = ens.simulate(2000, i_app=-2.0, dt=0.05, n_threads=1)
    two = ens.simulate(2000, i_app=-2.0, dt=0.05, n_threads=2)
    assert np.array_equal(one.spike_times, two.spike_times, equal_nan=True)
    assert np.array_equal(one.final_state, two.final_state)


def test_capacitance_and_stimulus_pulse_in_lanes():
    n = nm.preset("post_inhibitory_rebound")
    res = nm.Ensemble(n, params={"C": [1.0, 1.0]}).simulate(20_000, i_app=n.protocol.i_app, dt=0.05)
    single = n.simulate(20_000, n.protocol.i_app, method="rk4", dt=0.05, record=())
    assert res.spike_counts[0] == single.spike_times.size == 13
    assert np.array_equal(res.spikes(1), single.spike_times)


def test_t_record_and_spike_cap():
    n = nm.preset("tonic_spiking")
    res = nm.Ensemble(n, size=3).simulate(1000, i_app=-0.7, dt=0.05, t_record=500, max_spikes=5)
    single = n.simulate(1000, -0.7, method="rk4", dt=0.05, record=())
    after = single.spike_times[single.spike_times >= 500]
    assert np.all(res.spike_counts == after.size)
    assert np.array_equal(res.spikes(2), after[:5])
    assert res.truncated.all()


def test_voltage_traces_on_request():
    n = nm.preset("tonic_spiking")
    res = nm.Ensemble(n, size=2).simulate(100, i_app=-0.7, dt=0.05, save_every=20)
    single = n.simulate(100, -0.7, method="rk4", dt=0.05, t_eval=np.arange(0, 100.0001, 1.0))
    assert res.t.size == single.t.size == 101
    assert np.allclose(res.v[1], single.v, atol=1e-12)


@pytest.mark.parametrize("t_end", [1.0, 10.1, 100.3])
def test_last_sample_is_the_state_at_t_end_off_the_grid(t_end):
    # t_end not a multiple of dt: the run ends with a shorter step, and the last sample is taken there.
    n = nm.preset("tonic_spiking")
    res = nm.Ensemble(n, size=2).simulate(t_end, i_app=-0.7, dt=0.3, save_every=1)
    assert res.t[-1] == t_end
    assert np.array_equal(res.v[:, -1], res.final_state[:, 0])
    reference = n.simulate(t_end, -0.7, method="rk4", dt=0.05, t_eval=[t_end])  # independent of the 0.3 grid
    assert res.v[0, -1] == pytest.approx(reference.v[-1], abs=0.05)


def test_summaries_classify_each_copy():
    n = nm.preset("bursting")
    res = nm.Ensemble(n, params={"i_app": [-2.0, 0.0, -4.0]}).simulate(20_000, dt=0.05, t_record=10_000)
    patterns = res.summaries()["pattern"]
    assert list(patterns) == ["bursting", "tonic", "rest"]


def test_bad_ensemble_input():
    n = nm.preset("bursting")
    with pytest.raises(nm.ModelError, match="slow_negative.tau"):
        nm.Ensemble(n, params={"slow_negative.tau": [10.0, 20.0]})
    with pytest.raises(nm.ModelError, match="leak.g.* 2 values.* 3 copies"):
        nm.Ensemble(n, params={"i_app": [1, 2, 3], "leak.g": [1, 2]})
    with pytest.raises(nm.ModelError, match="must be finite"):
        nm.Ensemble(n, params={"i_app": [1.0, np.nan]})
    with pytest.raises(nm.SolverError, match="method"):
        nm.Ensemble(n).simulate(10, method="dopri5")
    with pytest.raises(nm.SolverError, match="dt"):
        nm.Ensemble(n).simulate(10, dt=0.0)


def test_a_diverging_copy_is_recorded_and_the_others_run_on():
    """dV/dt = -g V + 1 from V = 0: the copy with g = -1 grows like e^t; the others settle at 1/g."""
    n = nm.Neuron()
    n.add_leak(g=-1.0)
    res = nm.Ensemble(n, params={"leak.g": [-1.0, 1.0, 2.0]}).simulate(50, dt=0.01, i_app=1.0)
    assert res.failures == {0: "diverging"}
    assert res.summary(0)["pattern"] == "diverging"
    assert np.isnan(res.final_state[0]).all()
    assert res.final_state[1:, 0] == pytest.approx([1.0, 0.5], abs=1e-9)


def test_the_result_as_a_dataset_is_in_a_studys_form_and_holds_the_same_arrays():
    res = nm.Ensemble("bursting", params={"i_app": [-2.5, -2.0, 0.0]}).simulate(3000, dt=0.05, t_record=1000,
                                                                               save_every=20)
    ds = res.to_dataset()
    assert ds["pattern"].dims == ("member", "neuron") and ds["spike_times"].dims == ("member", "neuron", "spike")
    assert ds["v"].dims == ("member", "neuron", "time") and ds["reason"].dims == ("member",)
    assert ds["i_app"].values.tolist() == [-2.5, -2.0, 0.0]
    s = res.summaries()
    assert ds["pattern"].values[:, 0].tolist() == s["pattern"].tolist()
    for key in ("burst_period", "spikes_per_burst", "isi_mean", "firing_rate"):
        assert np.array_equal(ds[key].values[:, 0], s[key], equal_nan=True), key
    assert np.array_equal(ds["spike_count"].values[:, 0], res.spike_counts)
    assert np.array_equal(ds["spike_times"].values[:, 0], res.spike_times, equal_nan=True)
    assert np.array_equal(ds["v"].values[:, 0], res.v) and np.array_equal(ds["time"].values, res.t)
    assert np.array_equal(ds["final_state"].values, res.final_state)
    n = nm.Neuron()
    n.add_leak(g=-1.0)
    failing = nm.Ensemble(n, params={"leak.g": [-1.0, 1.0]}).simulate(50, dt=0.01, i_app=1.0).to_dataset()
    assert failing["reason"].values.tolist() == ["diverging", "ok"] and failing["status"].values.tolist() == [2, 0]
    assert failing["pattern"].values[:, 0].tolist() == ["diverging", "rest"]


def test_the_result_holds_one_dataset_and_every_attribute_reads_it():
    """The Dataset is the only store: each attribute equals its variable (or attribute) of ``res.dataset``, and
    a change made in the Dataset, in place, is what the attributes then say."""
    res = nm.Ensemble("hco", params={"n1.i_app": [-2.0, -1.5, -1.0]}).simulate(1500, dt=0.05, t_record=500,
                                                                                save_every=50, max_spikes=8)
    ds = res.dataset
    assert set(ds.data_vars) == {"spike_count", "spike_times", "status", "reason", "t_failed", "final_state", "v"}
    assert np.array_equal(res.counts, ds["spike_count"].values.T) and res.counts.dtype == np.int64
    assert np.array_equal(res.times, ds["spike_times"].values.transpose(1, 0, 2), equal_nan=True)
    assert np.array_equal(res.spike_counts, ds["spike_count"].values)  # (a network: copy, neuron)
    assert np.array_equal(res.traces, ds["v"].values.transpose(1, 0, 2)) and np.array_equal(res.t, ds["time"])
    assert np.array_equal(res.final_state, ds["final_state"].values)
    assert np.array_equal(res.status, ds["status"].values) and np.array_equal(res.t_failed, ds["t_failed"].values,
                                                                              equal_nan=True)
    assert res.state_names == tuple(ds["state"].values.tolist()) and res.neuron_names == ("n1", "n2")
    assert list(res.params) == ["n1.i_app"] and np.array_equal(res.params["n1.i_app"], ds["n1.i_app"].values)
    assert (res.t_record, res.t_end, res.settled_from, res.cause) == (500.0, 1500.0, 500.0, None)
    assert res.size == ds.sizes["member"] == 3
    # in place, in the Dataset: a copy made to diverge, a count beyond the stored spikes, another end
    ds["status"].values[1] = 2
    ds["spike_count"].values[2, 1] = 9
    ds["v"].values[0, 0, 0] = 123.0
    ds.attrs["t_end"] = 1400.0
    assert res.failures == {1: "diverging"} and res.summary(1)["pattern"] == "diverging"
    assert res.truncated.tolist() == [False, False, True] and res.counts[1, 2] == 9
    assert res.v[0, 0, 0] == 123.0 and res.t_end == 1400.0
    assert res.summary(0, neuron="n2")["t_end"] == 1400.0
    # to_dataset adds the summaries to a copy; the held Dataset stays as it was
    full = res.to_dataset()
    assert "pattern" in full and "pattern" not in ds and full["pattern"].values[1].tolist() == ["diverging"] * 2


def test_a_diverging_copy_says_when_as_a_single_run_does():
    """Without a leak the tonic neuron runs away: each copy's t_failed is the time at which the Integrator,
    with the same method and step, stops on the same run (an independent loop over the same bounds)."""
    n = nm.preset("tonic")
    n.set("leak.g", 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nm.NeuromorphWarning)
        res = nm.Ensemble(n, params={"i_app": [-0.5, 0.5, -0.4]}).simulate(t_end=200, dt=0.05, method="rk4")
    assert res.failures == {0: "diverging", 1: "diverging", 2: "diverging"}
    for i, i_app in enumerate([-0.5, 0.5, -0.4]):
        with pytest.raises(nm.SimulationError) as failure:
            n.simulate(200, i_app, method="rk4", dt=0.05)
        assert res.t_failed[i] == pytest.approx(failure.value.t, abs=1e-9)
    ok = nm.Ensemble("tonic", size=2).simulate(t_end=10, dt=0.05)
    assert np.isnan(ok.t_failed).all()


def test_a_run_too_large_for_memory_is_refused_before_anything_is_allocated(monkeypatch):
    """With 40 MiB free (pretended), 100 000 copies fit their per-copy parameters (8 MB) and their 16 spike times
    each (13 MB), but not their states, spikes, counts and bounds together (22 MB, over half the free memory):
    refused from the counts, naming `size`, instead of allocating piece by piece."""
    from neuromorph import _validate

    ens = nm.Ensemble("tonic", size=100_000)
    monkeypatch.setattr(_validate.os, "sysconf", lambda name: {"SC_AVPHYS_PAGES": 10 * 1024,
                                                               "SC_PAGE_SIZE": 4096}[name])
    with pytest.raises(nm.SolverError, match=r"the states, spikes and traces of 100000 copies asked for by `size` "
                                             r"needs [0-9.]+ MiB; 40.0 MiB of memory are free"):
        ens.simulate(100, dt=0.05, max_spikes=16)
