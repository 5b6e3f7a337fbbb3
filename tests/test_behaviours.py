"""Reference behaviours of shared/MODEL.md, and what each preset's file says it does."""

import numpy as np
import pytest
from reference import bisect

import neuromorph as nm


def test_bursting_preset_matches_reference_numbers():
    res = nm.preset("bursting").simulate(t_end=10_000, i_app=-2.0)
    s = res.summary()
    assert s["pattern"] == "bursting"
    assert s["spikes_per_burst"] == 7
    assert all(b.size == 7 for b in res.bursts())
    assert s["burst_period"] == pytest.approx(2493.9, rel=0.01)
    assert s["intra_burst_isi"] == pytest.approx(69.6, rel=0.02)
    assert res.spike_times[0] == pytest.approx(1591, rel=0.01)  # first burst at t ~ 1591
    assert res.v.max() == pytest.approx(2.91, abs=0.02)  # first spike peak


def test_tonic_preset_isi():
    res = nm.preset("tonic_spiking").simulate(t_end=1000, i_app=-0.7)
    s = res.summary(t_start=200)
    assert s["pattern"] == "tonic"
    assert s["isi_mean"] == pytest.approx(32.65, rel=0.005)


def test_bursting_elements_spike_tonically_at_zero_current():
    # the ultraslow filter (tau = 2500) settles over ~20 000 time units before the ISI is steady
    res = nm.preset("bursting").simulate(t_end=40_000, i_app=0.0, record=())
    s = res.summary(t_start=30_000)
    assert s["pattern"] == "tonic"
    assert s["isi_mean"] == pytest.approx(59.04, rel=0.005)


def test_post_inhibitory_rebound_gives_exactly_one_burst_of_13():
    n = nm.preset("post_inhibitory_rebound")
    res = n.simulate(n.protocol.t_end, n.protocol.i_app, record=())
    spikes = res.spike_times
    assert spikes.size == 13
    assert spikes[0] == pytest.approx(13658, rel=0.01)
    assert np.all(spikes > 13333)  # silent before and during the hyperpolarising step
    assert spikes[-1] - spikes[0] < 1000  # one burst, then silence to t = 20000
    assert np.all(np.diff(spikes) < 200)


def test_hyperpolarisation_switches_tonic_spiking_to_bursting():
    n = nm.preset("hyperpolarisation_induced_bursting")
    res = n.simulate(n.protocol.t_end, n.protocol.i_app, record=())
    before = nm.summarize_spikes(res.spike_times, 5_000, 15_000)  # depolarised part of the protocol
    after = res.summary(t_start=n.protocol.t_transient)
    assert before["pattern"] == "tonic"
    assert after["pattern"] == "bursting" and after["spikes_per_burst"] >= 3


def test_bistable_switch_flips_on_pulses():
    n = nm.preset("bistable_switch")
    res = n.simulate(n.protocol.t_end, n.protocol.i_app, dt_out=10.0)
    v = dict(zip(res.t, res.v))
    # I(V) = V - 2 tanh V = 0 has stable roots V = +-1.9150 (independent bisection below)
    root = bisect(lambda x: x - 2 * np.tanh(x), 1.0, 3.0)
    assert v[900.0] == pytest.approx(-root, abs=1e-4)
    assert v[2900.0] == pytest.approx(root, abs=1e-4)
    assert v[4900.0] == pytest.approx(-root, abs=1e-4)


def test_rest_and_spiking_coexist_at_the_same_current():
    n = nm.preset("rest_spike_bistability")
    res = n.simulate(n.protocol.t_end, n.protocol.i_app, record=())
    s = res.spike_times
    assert np.sum(s < 2000) == 0  # rest at I_app = -1.5
    assert np.sum((s > 2200) & (s < 6000)) > 20  # spiking at the very same I_app after a pulse
    assert np.sum(s > 6400) == 0  # and rest again after the hyperpolarising pulse
