"""Chip-to-chip variability: the draws of a Mismatch, their independence from the study's size,
Pelgrom's law, temperature, and bad input."""

import dataclasses
import warnings

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.errors import ModelError, NeuromorphWarning

MODEL = nm.preset("bursting").compile()


def test_a_chip_is_the_same_whatever_the_other_chips():
    m = nm.Mismatch(gain=0.1, offset=0.05, tau=0.02, C=0.01)
    many = m.draw(MODEL, seed=4, chips=range(6))
    alone = m.draw(MODEL, seed=4, chips=[4])
    for key in many:
        np.testing.assert_array_equal(many[key][:, 4], alone[key][:, 0])
    assert not np.array_equal(many["el_gain"][:, 0], many["el_gain"][:, 1])
    other_seed = m.draw(MODEL, seed=5, chips=[4])
    assert not np.array_equal(other_seed["el_gain"], alone["el_gain"])


def test_spreads_have_their_sizes_and_touch_only_their_own_parameters():
    a = MODEL.arrays
    chips = range(4000)
    gains = nm.Mismatch(gain=0.1).draw(MODEL, seed=1, chips=chips)
    rel = gains["el_gain"] / a.el_gain[:, None] - 1.0
    assert np.all(np.abs(rel.std(axis=1) / 0.1 - 1) < 4 * np.sqrt(0.5 / 4000))
    np.testing.assert_array_equal(gains["el_off"], np.repeat(a.el_off[:, None], 4000, 1))
    np.testing.assert_array_equal(gains["st_rate"], np.repeat(a.st_rate[:, None], 4000, 1))
    taus = nm.Mismatch(tau=0.02).draw(MODEL, seed=1, chips=chips)
    filt = a.st_kind == 1
    tau_rel = (1.0 / taus["st_rate"][filt]) / (1.0 / a.st_rate[filt, None]) - 1.0
    assert np.all(np.abs(tau_rel.std(axis=1) / 0.02 - 1) < 4 * np.sqrt(0.5 / 4000))
    np.testing.assert_array_equal(taus["st_rate"][~filt], np.repeat(a.st_rate[~filt, None], 4000, 1))
    offs = nm.Mismatch(offset=0.05).draw(MODEL, seed=1, chips=chips)
    assert np.all(np.abs((offs["el_off"] - a.el_off[:, None]).std(axis=1) / 0.05 - 1) < 4 * np.sqrt(0.5 / 4000))
    # changing one spread leaves the others' draws alone
    both = nm.Mismatch(gain=0.1, offset=0.05).draw(MODEL, seed=1, chips=chips)
    np.testing.assert_array_equal(both["el_gain"], gains["el_gain"])
    np.testing.assert_array_equal(both["el_off"], offs["el_off"])


def test_corner_and_temperature():
    a = MODEL.arrays
    slow = nm.Mismatch(corner=-0.1).draw(MODEL, seed=1, chips=[0])
    np.testing.assert_allclose(slow["el_gain"][:, 0], 0.9 * a.el_gain)
    hot = nm.Mismatch(temperature=330.0).draw(MODEL, seed=1, chips=[0])
    np.testing.assert_allclose(hot["st_rate"][:, 0], a.st_rate / 1.1)  # every time constant 10 % longer
    np.testing.assert_allclose(hot["el_off"][:, 0], a.el_off / 1.1)  # fixed voltages, a larger voltage unit
    np.testing.assert_allclose(hot["thresholds"][:, 0], a.thresholds / 1.1)
    np.testing.assert_array_equal(hot["el_gain"][:, 0], a.el_gain)


def test_supply_scales_the_bias_voltages():
    a = MODEL.arrays
    low = nm.Mismatch(supply=1.62).draw(MODEL, seed=1, chips=[0])
    np.testing.assert_allclose(low["el_off"][:, 0], 0.9 * a.el_off)
    np.testing.assert_allclose(low["thresholds"][:, 0], 0.9 * a.thresholds)
    np.testing.assert_array_equal(low["st_rate"][:, 0], a.st_rate)


def test_an_ensemble_runs_parameters_x_chips_x_trials_with_each_copys_own_parameters():
    """Copies on one chip share its draw, relative to their own parameters: the chip's gain factor is
    the same whatever the copy's nominal gain."""
    m = nm.Mismatch(gain=0.1, offset=0.05)
    ens = nm.Ensemble("bursting", params={"slow_negative.alpha": [-1.5, -1.5, -1.2, -1.2]})
    res = ens.simulate(3000, i_app=-2.0, dt=0.05, mismatch=m, seed=3, chips=[0, 1, 0, 1], noise=nm.WhiteNoise(0.0),
                       save_every=20)
    drawn = m.apply(ens.model, 3, [0, 1, 0, 1], ens.per_copy)
    row = ens.model.slot("slow_negative.alpha")[1][0].index
    ratio = drawn["el_gain"][row] / ens.per_copy["el_gain"][row]
    assert ratio[0] == pytest.approx(ratio[2], rel=1e-14) and ratio[1] == pytest.approx(ratio[3], rel=1e-14)
    assert ratio[0] != ratio[1]
    # the run used them: each copy equals a single run of that copy's drawn parameters
    for i in range(4):
        chip = dataclasses.replace(MODEL, arrays=MODEL.arrays._replace(**{k: drawn[k][:, i].copy() for k in drawn}))
        run = nm.Integrator(chip, i_app=-2.0, solver=nm.get_solver("sra1", dt=0.05), noise=nm.WhiteNoise(0.0), seed=3,
                            trial=i, save_every=20)
        run.advance(3000)
        np.testing.assert_allclose(res.v[i], run.result().y[0], atol=1e-9)


def test_per_copy_time_constants_match_models_compiled_with_them():
    """'FILTER.tau' varies a filter per copy; the reference is each neuron built with that tau,
    integrated by the adaptive solver at a tight tolerance."""
    taus = [2500.0, 2000.0, 1500.0]
    res = nm.Ensemble("bursting", params={"ultraslow.tau": taus}).simulate(10_000, i_app=-2.0, dt=0.02,
                                                                           t_record=5_000)
    own = nm.Ensemble("bursting", params={"ultraslow_positive.tau": taus}).simulate(10_000, i_app=-2.0, dt=0.02,
                                                                                   t_record=5_000)
    np.testing.assert_array_equal(res.times, own.times)
    for i, tau in enumerate(taus):
        n = nm.preset("bursting")
        n.set("ultraslow_positive.tau", tau)
        ref = n.simulate(10_000, i_app=-2.0, rtol=1e-9, atol=1e-12).spike_times
        ref = ref[ref >= 5_000]
        np.testing.assert_allclose(res.spikes(i), ref, atol=0.05)
    with pytest.raises(ModelError) as info:
        nm.Ensemble("bursting", params={"slow_positive.tau": [40.0, 50.0]})
    assert "slow.tau" in str(info.value)
    with pytest.raises(ModelError):
        nm.Ensemble("bursting", params={"ultraslow.tau": [2500.0, -1.0]})
    with pytest.raises(ModelError) as info:
        nm.Ensemble("bursting", params={"v.tau": [1.0, 2.0]})
    assert "'C'" in str(info.value)


def test_pelgrom_law():
    """sigma(dV_T) = A_VT / sqrt(W L); sigma(dI/I) = kappa sigma(dV_T) / U_T; offsets over 2 U_T / kappa."""
    m = nm.Mismatch.pelgrom(a_vt=4e-3, width=1.0, length=4.0, kappa=0.7, u_t=0.025)
    assert m.gain == pytest.approx(0.7 * 2e-3 / 0.025)
    assert m.offset == pytest.approx(2e-3 / (2 * 0.025 / 0.7))


def test_non_positive_time_constants_refused_or_truncated_with_a_count():
    m = nm.Mismatch(tau=0.6)
    with pytest.raises(ModelError) as info:
        m.draw(MODEL, seed=1, chips=range(200))
    assert "tau" in str(info.value) and "truncate=True" in str(info.value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = nm.Mismatch(tau=0.6, truncate=True).draw(MODEL, seed=1, chips=range(200))
    messages = [str(w.message) for w in caught if issubclass(w.category, NeuromorphWarning)]
    assert messages and "raised to 0.05 of nominal" in messages[0]
    count = int(messages[0].split(":")[1].split()[0])
    assert count > 0
    assert np.all(out["st_rate"] > 0)


@pytest.mark.parametrize("kw, words", [
    (dict(gain=-0.1), ["gain", "-0.1"]),
    (dict(offset=float("nan")), ["offset"]),
    (dict(tau="big"), ["tau", "'big'"]),
    (dict(corner=-1.5), ["corner", "-1.5"]),
    (dict(temperature=0.0), ["temperature"]),
    (dict(truncate="yes"), ["truncate"]),
])
def test_bad_mismatch_input(kw, words):
    with pytest.raises(ModelError) as info:
        nm.Mismatch(**kw)
    for word in words:
        assert word in str(info.value)
