"""Spike-train metrics on synthetic trains with known answers, and I-V curve facts of MODEL.md."""

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.analysis.spikes import analyse_spikes, summarize_spikes


def _bursts(n_bursts, per_burst, period, isi, t0=500.0):
    return np.concatenate([t0 + k * period + isi * np.arange(per_burst) for k in range(n_bursts)])


def test_regular_bursts():
    spikes = _bursts(5, 6, 1000.0, 20.0)
    s = summarize_spikes(spikes, 0.0, 5500.0)
    assert s["pattern"] == "bursting"
    assert s["spikes_per_burst"] == 6 and s["n_bursts"] == 5
    assert s["burst_period"] == pytest.approx(1000.0)
    assert s["intra_burst_isi"] == pytest.approx(20.0)
    assert s["duty_cycle"] == pytest.approx(100.0 / 1000.0)


def test_bursts_cut_by_the_window_are_not_counted():
    spikes = _bursts(5, 6, 1000.0, 20.0)
    # window starts inside the first burst and ends inside the last
    a = analyse_spikes(spikes, 550.0, 4550.0)
    assert [b.size for b in a.bursts] == [6, 6, 6]
    s = summarize_spikes(spikes, 550.0, 4550.0)
    assert s["spikes_per_burst"] == 6


def test_tonic_and_its_isi():
    spikes = 5.0 + 32.65 * np.arange(40)
    s = summarize_spikes(spikes, 0.0, 1320.0)
    assert s["pattern"] == "tonic" and s["isi_mean"] == pytest.approx(32.65)
    assert s["isi_cv"] == pytest.approx(0.0, abs=1e-12)


def test_rest_no_spikes_or_stopped_activity():
    assert summarize_spikes([], 0.0, 100.0)["pattern"] == "rest"
    # a transient burst then long silence: the activity stopped
    s = summarize_spikes([10.0, 20.0, 30.0, 40.0], 0.0, 10_000.0)
    assert s["pattern"] == "rest" and s["n_spikes"] == 4


def test_irregular_when_intervals_are_erratic():
    rng = np.random.default_rng(3)
    spikes = np.cumsum(rng.exponential(30.0, 200))
    s = summarize_spikes(spikes, 0.0, spikes[-1] + 1.0)
    assert s["pattern"] == "irregular"


def test_irregular_when_burst_periods_vary():
    starts = [0.0, 700.0, 2500.0, 2900.0, 5000.0]
    spikes = np.concatenate([s + 10 * np.arange(4) for s in starts])
    assert summarize_spikes(spikes, -500.0, 6000.0)["pattern"] == "irregular"


def test_steady_state_curve_of_the_reference_neuron_is_the_identity():
    # MODEL.md: the pairs cancel in steady state, I_ss(V) = V, so V* = I_app
    v = np.linspace(-3, 3, 61)
    iv = nm.iv_curves(nm.preset("bursting"), v=v, i_app=-2.0)
    assert np.allclose(iv["steady"], v, atol=1e-12)
    assert iv.v_rest == pytest.approx(-2.0, abs=1e-9)


def test_fast_curve_negative_slope_interval():
    # fast curve of the bursting neuron: V - 2 tanh V + const -> slope 1 - 2 sech^2 V < 0 for |V| < acosh(sqrt 2)
    v = np.linspace(-2, 2, 400_001)
    iv = nm.iv_curves(nm.preset("bursting"), v=v, i_app=-2.0)
    negative = v[np.gradient(iv["fast"], v) < 0]
    edge = np.arccosh(np.sqrt(2.0))
    assert negative.min() == pytest.approx(-edge, abs=2e-5) and negative.max() == pytest.approx(edge, abs=2e-5)


def test_slow_curve_negative_slope_interval():
    # slow curve: 1 - 2 sech^2(V) + 2 sech^2(V) - 1.5 sech^2(V + 1.5) = 1 - 1.5 sech^2(V + 1.5): [-2.159, -0.841]
    v = np.linspace(-3, 0, 300_001)
    iv = nm.iv_curves(nm.preset("bursting"), v=v, i_app=-2.0)
    negative = v[np.gradient(iv["slow"], v) < 0]
    assert negative.min() == pytest.approx(-2.159, abs=1e-3) and negative.max() == pytest.approx(-0.841, abs=1e-3)


def _network_result(trains):
    """A network run holding only the given spike trains ``{neuron: times}`` over [0, 2000]."""
    from neuromorph.solve.results import SimulationResult, SolverStats

    names = tuple(trains)
    times = np.concatenate([trains[n] for n in names])
    owners = np.concatenate([np.full(len(trains[n]), i) for i, n in enumerate(names)])
    order = np.argsort(times, kind="stable")
    return SimulationResult(t=np.array([0.0, 2000.0]), y=np.zeros((0, 2)), state_names=(),
                            spike_times=times[order], spike_neurons=owners[order].astype(np.int64),
                            stats=SolverStats(0, 0, 0, 0, 0), method="synthetic", t_start=0.0, t_end=2000.0,
                            neuron_names=names)


@pytest.mark.parametrize("lag, label", [(25.0, "phase-locked"), (46.0, "anti-phase"), (96.0, "in-phase")])
def test_phases_other_than_0_and_half_name_the_reference_rightly(lag, label):
    # b bursts `lag` after a (period 100, 4 spikes 2 apart): b's phase is lag / 100 relative to a, and
    # a's is 1 - lag / 100 relative to b (a swapped reference would give the other one)
    a = _bursts(18, 4, 100.0, 2.0, t0=100.0)
    result = _network_result({"a": a, "b": a + lag})
    by_a = result.rhythm(reference="a", t_start=0.0)["neurons"]
    by_b = result.rhythm(reference="b", t_start=0.0)["neurons"]
    assert by_a["b"]["phase"] == pytest.approx(lag / 100.0, abs=1e-9)
    assert by_b["a"]["phase"] == pytest.approx(1.0 - lag / 100.0, abs=1e-9)
    assert by_a["a"]["relation"] == "reference" and by_a["b"]["relation"] == label
    # the band is an argument, reported with the rows
    wide = result.rhythm(reference="a", t_start=0.0, phase_tolerance=0.25)
    assert wide["phase_tolerance"] == 0.25
    assert wide["neurons"]["b"]["relation"] == ("anti-phase" if lag < 75 else "in-phase")


def test_phase_tolerance_outside_its_range_is_refused():
    result = _network_result({"a": _bursts(5, 3, 100.0, 2.0), "b": _bursts(5, 3, 100.0, 2.0, t0=550.0)})
    for bad in (-0.1, 0.3, float("nan")):
        with pytest.raises(nm.ModelError, match="phase_tolerance"):
            result.rhythm(phase_tolerance=bad)
