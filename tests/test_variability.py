"""Chip-to-chip variability: the draws of a Mismatch, their independence from the study's size,
Pelgrom's law, temperature, and bad input."""

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
