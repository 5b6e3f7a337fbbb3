"""The vectorisable exp/tanh/sigmoid/log/cos/sin against NumPy (correctly rounded to within a few ulp)."""

import numpy as np
from numba import njit

from neuromorph._kernels.config import JIT
from neuromorph._kernels.mathfn import cos_sin_turns, exp, log, sigmoid, tanh

EPS = np.finfo(np.float64).eps


@njit(**JIT)
def _apply(kind, x, out):
    for i in range(x.shape[0]):
        if kind == 0:
            out[i] = tanh(x[i])
        elif kind == 1:
            out[i] = exp(x[i])
        else:
            out[i] = sigmoid(x[i])


def _eval(kind, x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _apply(kind, x, out)
    return out


def _grid():
    rng = np.random.default_rng(1)
    return np.concatenate([
        np.linspace(-30, 30, 200_001),
        rng.uniform(-25, 25, 100_000),
        np.geomspace(1e-300, 1.0, 20_000),
        -np.geomspace(1e-300, 1.0, 20_000),
        [0.0, -0.0, 0.5 * np.log(3.0), 19.0, 20.0, 21.0],
    ])


def test_tanh_within_5_ulp_everywhere():
    x = _grid()
    got = _eval(0, x)
    want = np.tanh(x)
    rel = np.abs(got - want) / np.maximum(np.abs(want), np.finfo(float).tiny)
    assert rel.max() <= 5 * EPS
    assert np.abs(got - want).max() <= 2 * EPS


def test_tanh_is_odd_and_saturates_exactly():
    x = np.linspace(0, 40, 4001)
    assert np.array_equal(_eval(0, -x), -_eval(0, x))
    assert np.all(_eval(0, np.array([20.0, 50.0, 1e300, np.inf])) == 1.0)
    assert np.isnan(_eval(0, np.array([np.nan]))[0])


def test_exp_within_4_ulp_on_its_range():
    x = np.concatenate([np.linspace(-700, 700, 300_001), np.linspace(-1, 1, 10_001)])
    got = _eval(1, x)
    want = np.exp(x)
    assert (np.abs(got - want) / want).max() <= 4 * EPS


def test_exp_clamps_instead_of_overflowing():
    got = _eval(1, np.array([800.0, -800.0]))
    assert np.all(np.isfinite(got)) and got[0] > 1e307 and 0.0 < got[1] < 1e-307


def test_sigmoid_matches_logistic():
    x = np.linspace(-40, 40, 80_001)
    want = 1.0 / (1.0 + np.exp(-x))
    got = _eval(2, x)
    assert np.abs(got - want).max() <= 4 * EPS
    assert (np.abs(got - want) / want).max() <= 8 * EPS


@njit(**JIT)
def _log_all(x, out):
    for i in range(x.shape[0]):
        out[i] = log(x[i])


@njit(**JIT)
def _turns_all(u, c, s):
    for i in range(u.shape[0]):
        c[i], s[i] = cos_sin_turns(u[i])


def test_log_within_4_ulp_on_positive_normals():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.random(200_000), 1.0 - EPS * np.arange(1, 500), 1.0 + 2 * EPS * np.arange(500),
                        np.exp(rng.uniform(-700, 700, 200_000)), [np.finfo(float).tiny, 2.0 ** -52, 1.0, 2.0]])
    out = np.empty_like(x)
    _log_all(x, out)
    ref = np.log(x)
    assert np.all(np.abs(out - ref) <= 4 * np.spacing(np.abs(ref)) + 1e-300)
    assert np.all(out[x == 1.0] == 0.0)


def test_cos_sin_turns_on_the_whole_turn():
    """cos/sin of 2 pi u in every quadrant and at its edges, to within 1e-15 of NumPy's of the
    rounded angle (which carries the rounding of 2 pi u itself)."""
    u = np.concatenate([np.linspace(0.0, 1.0, 200_001), np.random.default_rng(4).random(100_000)])
    c = np.empty_like(u)
    s = np.empty_like(u)
    _turns_all(u, c, s)
    assert np.abs(c - np.cos(2 * np.pi * u)).max() < 1e-15
    assert np.abs(s - np.sin(2 * np.pi * u)).max() < 1e-15
    assert (c[0], s[0]) == (1.0, 0.0)
