"""The adaptive observer inside the ensemble engine (issue 21): thousands of chips estimated while they run.

Two kinds of truth: the ensemble's observers must give what the observer gives on each copy's recorded voltage
(a separate kernel, :class:`neuromorph.estimation.online.ObserverRun`), and on mismatched chips they must come
back to each chip's own gains, as drawn by :meth:`Mismatch.draw` (the generator the ensemble applies), within
the 2 % of the single-trace acceptance.
"""

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.lower.compile import as_compiled_model


def _chip_gains(model, mismatch, seed, chips, paths):
    """Each chip's true value of each gain path (chips x paths), from the mismatch draw itself."""
    compiled = as_compiled_model(model)
    gains = mismatch.draw(compiled, seed, chips)["el_gain"]
    out = []
    for path in paths:
        slot = compiled.slot(path)[1][0]
        out.append(gains[slot.index] / slot.scale)
    return np.array(out).T


def test_each_copys_observer_is_the_observer_on_its_recorded_voltage():
    """Per-copy design values (a known gain and i_app differing by copy) and mismatch the observer does not
    know: copy i's estimates equal ObserverRun's on copy i's voltage, with copy i's design model."""
    alphas, currents = [1.9, 2.0, 2.1], [-0.7, -0.75, -0.8]
    ens = nm.Ensemble("tonic", params={"slow_positive.alpha": alphas, "i_app": currents})
    observer = nm.AdaptiveObserver(h_max=0.05, record_dt=100.0)
    res = ens.simulate(3000, dt=0.05, save_every=1, mismatch=nm.Mismatch(gain=0.02), seed=5, observer=observer,
                       estimate=["leak.g", "fast_negative.alpha"])
    est = res.estimates
    assert est.params == ("leak.g", "fast_negative.alpha") and est.values.shape == (3, 2)
    for i in range(3):
        design = nm.preset("tonic").copy()
        design.set("slow_positive.alpha", alphas[i])
        alone = observer.start(design, params=list(est.params), i_app=currents[i])
        theta = alone.update(res.t, res.traces[i] if res.traces.ndim == 2 else res.traces[0, i])
        np.testing.assert_allclose(est.values[i], theta, rtol=1e-9)
        t, hist = alone.estimate().history
        np.testing.assert_allclose(est.history[0], t)
        np.testing.assert_allclose(est.history[1][i], hist, rtol=1e-9, atol=1e-12)
    # the estimate of one copy is an Estimate whose model has its gains
    one = est.estimate(2)
    assert one.method == "observer" and one.model.get("leak.g") == pytest.approx(est.values[2, 0])


def test_the_hco_observers_estimate_the_synapses_as_the_single_trace_observer_does():
    ens = nm.Ensemble("hco", size=2, params={"n1.i_app": [-2.0, -2.1]})
    observer = nm.AdaptiveObserver(h_max=0.1, record_dt=500.0)
    res = ens.simulate(2000, dt=0.05, save_every=2, observer=observer)
    est = res.estimates
    assert "n1_to_n2.g" in est.params and "n2.leak.g" in est.params
    for i in range(2):
        hco = nm.hco().copy()
        hco.set("n1.i_app", [-2.0, -2.1][i])
        alone = observer.start(hco)
        theta = alone.update(res.t, res.traces[:, i])
        np.testing.assert_allclose(est.values[i], theta, rtol=1e-8, atol=1e-10)


def test_mismatched_chips_read_back_their_own_gains_within_two_percent():
    """64 bursting chips with 5 % gain mismatch, 20 000 time units, the observers started from every gain at 0:
    each chip that spikes is within 2 % of its own drawn gains by the end and over the last quarter; a chip
    that rests is reported as not identifiable, not with confident numbers."""
    n, seed, mismatch = 64, 7, nm.Mismatch(gain=0.05)
    ens = nm.Ensemble("bursting", params={"i_app": -2.0}, size=n)
    res = ens.simulate(20_000, dt=0.05, mismatch=mismatch, seed=seed, chips=np.arange(n),
                       observer=nm.AdaptiveObserver(h_max=0.1))
    est = res.estimates
    truth = _chip_gains("bursting", mismatch, seed, np.arange(n), est.params)
    spiking = res.spike_counts > 0
    assert spiking.sum() >= 48 and (~spiking).sum() >= 1  # (this seed: both kinds of chip)
    error = np.abs(est.values / truth - 1.0)
    assert error[spiking].max() < 0.02, error[spiking].max(axis=0)
    t, history = est.history
    late = np.abs(history[spiking][:, t >= 15_000] / truth[spiking][:, None, :] - 1.0)
    assert late.max() < 0.02
    assert np.all(history[:, 0] == 0.0)
    assert est.identifiable[spiking].all()
    assert not est.identifiable[~spiking][:, list(est.params).index("fast_negative.alpha")].any()
    assert not est.failed.any()
    rel = est.relative_error({p: truth[:, j] for j, p in enumerate(est.params)})
    assert np.nanmax(np.abs(rel["leak.g"][spiking])) < 0.02


def test_the_observers_change_nothing_of_the_run_and_do_not_depend_on_threads_or_other_copies():
    ens = nm.Ensemble("bursting", params={"i_app": np.linspace(-2.2, -1.8, 70)})
    plain = ens.simulate(1500, dt=0.05, save_every=4)
    one = ens.simulate(1500, dt=0.05, save_every=4, observer=nm.AdaptiveObserver(h_max=0.1), n_threads=1)
    two = ens.simulate(1500, dt=0.05, save_every=4, observer=nm.AdaptiveObserver(h_max=0.1), n_threads=2)
    np.testing.assert_array_equal(plain.traces, one.traces)
    np.testing.assert_array_equal(plain.counts, one.counts)
    np.testing.assert_array_equal(one.estimates.values, two.estimates.values)
    # a copy's observer is its own: among other copies (other lanes, other time slices) it ends the same
    spread, observer = nm.Mismatch(gain=0.03, offset=0.02), nm.AdaptiveObserver(h_max=0.2)
    many, few = (nm.Ensemble("bursting", size=len(ids)).simulate(
        10_000, i_app=-2.0, dt=0.1, mismatch=spread, seed=7, chips=ids, observer=observer).estimates.values
        for ids in (np.arange(20), np.arange(5, 13)))
    np.testing.assert_array_equal(few, many[5:13])
    assert plain.estimates is None
    from neuromorph._kernels.observer_lanes import observer_lanes

    assert len(observer_lanes.signatures) <= 1, observer_lanes.signatures  # one compiled version serves every run


@pytest.mark.parametrize("kwargs, error, words", [
    ({"observer": "observer"}, nm.SolverError, "must be an nm.AdaptiveObserver, got str"),
    ({"estimate": ["leak.g"]}, nm.SolverError, "give `observer="),
    ({"observer": nm.AdaptiveObserver(h_max=0.1), "save_every": 3}, nm.SolverError, "multiple of the observer"),
    ({"observer": nm.AdaptiveObserver(), "estimate": ["leak.tau"]}, nm.ModelError, "leak.tau"),
    ({"observer": nm.AdaptiveObserver(), "estimate": ["threshold"]}, nm.ModelError, "not a gain"),
    ({"observer": nm.AdaptiveObserver(initial={"slow.tau": 1.0})}, nm.ModelError, "slow.tau"),
])
def test_bad_observer_input_is_refused_naming_it(kwargs, error, words):
    with pytest.raises(error, match=words):
        nm.Ensemble("tonic", size=2).simulate(100, dt=0.05, **kwargs)
    with pytest.raises(nm.ModelError, match="copy index"):
        nm.Ensemble("tonic", size=2).simulate(100, dt=0.05, observer=nm.AdaptiveObserver()).estimates.estimate(2)
