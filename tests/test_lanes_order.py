"""Convergence order of the ensemble lanes kernel on its own: every copy against a tight DOP853
solution of an independent vector field, not against the single-neuron kernel.

67 copies (a full block of 64 lanes and a partial one) of the tonic neuron, each with its own
I_app, C and slow positive gain, through a spike (t in [0, 60]). A shared current ramp makes the
field time-dependent, so the stage times of the method count too.
"""

import numpy as np
import pytest
from reference import TONIC, TONIC_Y0, tanh_field
from scipy.integrate import solve_ivp

import neuromorph as nm

N = 67
T_END = 60.0
RNG = np.random.default_rng(12345)
ORDER = RNG.permutation(N)  # neighbouring lanes get unrelated parameters
I_APP = np.linspace(-0.8, -0.6, N)[ORDER]
CAP = np.linspace(0.8, 1.2, N)[RNG.permutation(N)]
ALPHA_SLOW = np.linspace(1.8, 2.2, N)[RNG.permutation(N)]
(FAST_ALPHA, _, _), (_, _, TAU_SLOW) = TONIC
RAMP_SLOPE = 0.003  # shared stimulus 0.003 t on [0, 100): continuous at 0, no jump inside the run


def ramp_stimulus():
    return nm.Sampled([0.0, 100.0], [0.0, 100.0 * RAMP_SLOPE])


def stacked_field(t, y):
    """All copies at once: y = (V_1..V_N, S_1..S_N); C V' = I - V - a_f tanh V - a_s tanh S, tau S' = V - S."""
    v, s = y[:N], y[N:]
    current = v + FAST_ALPHA * np.tanh(v) + ALPHA_SLOW * np.tanh(s)
    return np.concatenate([(I_APP + RAMP_SLOPE * t - current) / CAP, (v - s) / TAU_SLOW])


def test_stacked_field_is_the_reference_field():
    y = np.concatenate([np.linspace(-2.5, 2.5, N), np.linspace(2.0, -2.0, N)])
    t = 37.5
    dy = stacked_field(t, y)
    for k in (0, 33, 63, 64, N - 1):
        elements = ((FAST_ALPHA, 0.0, 0.0), (ALPHA_SLOW[k], 0.0, TAU_SLOW))
        f = tanh_field(elements, lambda t, k=k: I_APP[k] + RAMP_SLOPE * t, C=CAP[k])
        np.testing.assert_allclose(f(t, [y[k], y[N + k]]), [dy[k], dy[N + k]], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ramp_stimulus()([0.0, t, 99.0]), RAMP_SLOPE * np.array([0.0, t, 99.0]), rtol=1e-14)


@pytest.fixture(scope="module")
def dop853_solution():
    y0 = np.repeat(np.asarray(TONIC_Y0, dtype=float), N)
    sol = solve_ivp(stacked_field, (0.0, T_END), y0, method="DOP853", rtol=1e-13, atol=1e-13, dense_output=True)
    assert sol.success
    return sol


@pytest.fixture(scope="module")
def ensemble():
    n = nm.preset("tonic")
    assert n.state_names == ("v", "slow") and tuple(n.initial_state()) == TONIC_Y0
    return nm.Ensemble(n, params={"i_app": I_APP, "C": CAP, "slow_positive.alpha": ALPHA_SLOW})


@pytest.mark.parametrize("method, order, steps", [
    ("rk4", 4, (0.2, 0.1, 0.05, 0.025)),
    ("euler", 1, (0.02, 0.01, 0.005, 0.0025)),
])
def test_lanes_converge_with_the_order_of_the_method(ensemble, dop853_solution, method, order, steps):
    final_errors, trace_errors = [], []
    for dt in steps:
        res = ensemble.simulate(T_END, i_app=ramp_stimulus(), dt=dt, method=method, save_every=round(1.0 / dt))
        assert res.size == N and np.all(res.spike_counts >= 1)  # every copy went through a spike
        np.testing.assert_allclose(res.t, np.arange(0.0, T_END + 0.5, 1.0), atol=1e-9)
        y_ref = dop853_solution.sol(T_END)
        final_errors.append(np.maximum(np.abs(res.final_state[:, 0] - y_ref[:N]),
                                       np.abs(res.final_state[:, 1] - y_ref[N:])))  # per copy
        trace_errors.append(np.max(np.abs(res.v - dop853_solution.sol(res.t)[:N])))
    final_errors = np.array(final_errors)  # (len(steps), N)
    halvings = np.log2(steps[0] / steps[-1])
    # Whole ensemble: observed order between successive halvings, and over the whole range.
    worst = final_errors.max(axis=1)
    observed = np.log2(worst[:-1] / worst[1:])
    assert np.all(np.abs(observed - order) < 0.25 * order), observed
    assert abs(np.log2(worst[0] / worst[-1]) / halvings - order) < 0.1 * order
    # Every copy on its own (a lane integrated with another lane's parameters would not converge).
    per_copy = np.log2(final_errors[-2] / final_errors[-1])
    assert np.all(np.abs(per_copy - order) < 0.15 * order), (per_copy.min(), per_copy.max())
    # The sampled voltage converges at the same order.
    trace_errors = np.array(trace_errors)
    assert abs(np.log2(trace_errors[0] / trace_errors[-1]) / halvings - order) < 0.1 * order
