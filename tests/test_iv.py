"""I-V analysis against closed forms (MODEL.md) and independent computations."""

import numpy as np
import pytest
from reference import bisect

import neuromorph as nm

EDGE = np.arccosh(np.sqrt(2.0))  # |V| < acosh(sqrt 2): where 1 - 2 sech^2 V < 0


@pytest.fixture(scope="module")
def bursting():
    return nm.preset("bursting")


def test_steady_state_curve_is_identity_so_rest_is_i_app(bursting):
    v = np.linspace(-3, 3, 601)
    for i_app in (-2.5, -2.0, -0.3, 1.2):
        iv = nm.iv_curves(bursting, v=v, i_app=i_app)
        assert np.allclose(iv["steady"], v, atol=1e-12)
        eqs = nm.equilibria(bursting, i_app)
        assert len(eqs) == 1 and eqs[0].v == pytest.approx(i_app, abs=1e-12)


def test_fast_negative_conductance_interval_to_1e_9(bursting):
    (lo, hi), = nm.negative_conductance_intervals(bursting, "fast", -2.0)
    assert abs(lo + EDGE) < 1e-9 and abs(hi - EDGE) < 1e-9


def test_slow_negative_conductance_interval(bursting):
    # slope 1 - 1.5 sech^2(V + 1.5) < 0  <=>  |V + 1.5| < acosh(sqrt(1.5))
    (lo, hi), = nm.negative_conductance_intervals(bursting, "slow", -2.0)
    half = np.arccosh(np.sqrt(1.5))
    assert abs(lo - (-1.5 - half)) < 1e-9 and abs(hi - (-1.5 + half)) < 1e-9
    assert lo == pytest.approx(-2.159, abs=1e-3) and hi == pytest.approx(-0.841, abs=1e-3)  # MODEL.md figures


def test_no_negative_conductance_in_slower_curves(bursting):
    assert nm.negative_conductance_intervals(bursting, "ultraslow", -2.0) == []
    assert nm.negative_conductance_intervals(bursting, "steady", -2.0) == []


def test_conductance_is_analytic_and_matches_the_closed_form(bursting):
    v = np.linspace(-3, 3, 2001)
    iv = nm.iv_curves(bursting, v=v, i_app=-2.0)
    assert np.allclose(iv.conductance("fast"), 1 - 2 / np.cosh(v) ** 2, atol=1e-14)
    assert np.allclose(iv.conductance("slow"), 1 - 1.5 / np.cosh(v + 1.5) ** 2, atol=1e-14)
    assert np.allclose(iv.conductance("steady"), 1.0, atol=1e-14)


def test_conductance_of_gated_elements_matches_finite_differences():
    n = nm.Neuron(v0=-1.0)
    n.add_leak(g=0.8, e_rev=-0.2)
    n.add_current(alpha=-2.0, delta=0.1, tau=0.0)
    n.add_conductance(g_max=0.7, e_rev=-3.0, name="k").add_gate(k=2.0, delta=0.0, tau=30.0).add_gate(
        k=-1.5, delta=-0.4, tau=0.0)
    n.add_current(alpha=-1.2, delta=-0.9, tau=30.0, inactivation_delta=-0.6, inactivation_tau=900.0, name="inact")
    v = np.linspace(-3, 3, 301)
    eps = 1e-6
    for ts in ("fast", "slow", "ultraslow", "steady"):
        g = nm.iv_conductance(n, v, ts, v_rest=-1.3)
        fd = (nm.iv_current(n, v + eps, ts, v_rest=-1.3) - nm.iv_current(n, v - eps, ts, v_rest=-1.3)) / (2 * eps)
        assert np.allclose(g, fd, rtol=1e-6, atol=1e-8), ts


def test_timescales_by_time_constant(bursting):
    v = np.linspace(-3, 3, 61)
    assert np.array_equal(nm.iv_current(bursting, v, 50.0, -2.0), nm.iv_current(bursting, v, "slow", -2.0))
    assert np.array_equal(nm.iv_current(bursting, v, 1e9, -2.0), nm.iv_current(bursting, v, "steady", -2.0))
    with pytest.raises(nm.ModelError, match="timescale"):
        nm.iv_current(bursting, v, "medium")
    with pytest.raises(nm.ModelError, match="timescale"):
        nm.iv_current(bursting, v, -1.0)


def test_equilibria_of_the_switch_and_their_stability():
    eqs = nm.equilibria(nm.preset("bistable_switch"), 0.0)
    root = 1.9150080481545  # V = 2 tanh V, from an independent bisection below
    assert abs(bisect(lambda x: x - 2 * np.tanh(x), 1.0, 3.0) - root) < 1e-12
    assert np.allclose([e.v for e in eqs], [-root, 0.0, root], rtol=0, atol=1e-12)
    assert [e.stable for e in eqs] == [True, False, True]
    v, stable = eqs[1]  # unpacks as (v, stable)
    assert v == 0.0 and not stable


def test_stability_agrees_with_simulation():
    """Start next to each equilibrium: stable ones hold, unstable ones are left."""
    n = nm.preset("rest_spike_bistability")
    for eq in nm.equilibria(n, -1.5):
        y0 = np.full(n.compile().n_states, eq.v) + np.array([1e-4] + [0.0] * (n.compile().n_states - 1))
        res = n.simulate(3000, -1.5, y0=y0, rtol=1e-8, atol=1e-11)
        moved = np.max(np.abs(res.v - eq.v))
        assert (moved < 1e-2) == eq.stable, (eq, moved)


def test_fold_points_of_the_steady_curve(bursting):
    # steady curve V + (alpha + 1.5) tanh(V + 1.5): folds where 1 + (alpha + 1.5) sech^2(V + 1.5) = 0
    alphas = np.array([-2.0, -2.6, -3.0, -3.5])
    folds = nm.fold_points(bursting, "slow_negative.alpha", alphas)
    for alpha, vf, i_f in zip(alphas, folds.v, folds.i_app):
        c = alpha + 1.5
        if c >= -1:
            assert vf.size == 0
            continue
        half = np.arccosh(np.sqrt(-c))
        assert np.allclose(vf, [-1.5 - half, -1.5 + half], atol=1e-9)
        assert np.allclose(i_f, vf + c * np.tanh(vf + 1.5), atol=1e-9)


def test_iv_curve_hold_slower_filters_at_rest(bursting):
    v = np.linspace(-3, 3, 61)
    iv = nm.iv_curves(bursting, v=v, i_app=-2.0)
    # slow curve = V - 1.5 tanh(V + 1.5) + 1.5 tanh(V_rest + 1.5) with V_rest = -2
    assert np.allclose(iv["slow"], v - 1.5 * np.tanh(v + 1.5) + 1.5 * np.tanh(-0.5), atol=1e-13)


@pytest.mark.parametrize("name, i_app, expected", [
    ("bursting", -2.0, "bursting"),
    ("bursting", -3.0, "rest"),
    ("bursting", 0.0, "tonic"),
    ("tonic_spiking", -0.7, "tonic"),
    ("bistable_switch", 0.0, "bistable"),
    ("rest_spike_bistability", -1.5, "bistable"),
    ("post_inhibitory_rebound", -2.5, "rest"),
])
def test_predictions_match_simulated_patterns(name, i_app, expected):
    n = nm.preset(name)
    assert nm.predict_behaviour(n, i_app) == expected
    if expected != "bistable":
        res = n.simulate(30_000, i_app, record=())
        assert res.summary(t_start=15_000)["pattern"] == expected


def test_predictions_over_many_currents_are_each_currents_own():
    """predict_behaviours works the currents out together; each pattern is the one predict_behaviour gives alone."""
    from neuromorph.analysis.iv import predict_behaviour, predict_behaviours, steady_curve

    currents = np.linspace(-4.0, 2.0, 121)
    for name, path, value in (("bursting", "slow_negative.alpha", -1.5), ("bursting", "slow_negative.alpha", -2.9),
                              ("bursting", "ultraslow_positive.alpha", -1.0), ("bistable_switch", None, None),
                              ("rest_spike_bistability", None, None)):
        n = nm.preset(name)
        if path is not None:
            n.set(path, value)
        one_by_one = [predict_behaviour(n, float(i)) for i in currents]
        assert predict_behaviours(n, currents).tolist() == one_by_one
        assert predict_behaviours(n, currents, steady=steady_curve(n)).tolist() == one_by_one
    n = nm.preset("bursting")
    narrow = [predict_behaviour(n, float(i), v_range=(-3.0, 1.0), strict=False) for i in currents]
    assert "unknown" in narrow
    assert predict_behaviours(n, currents, v_range=(-3.0, 1.0), strict=False).tolist() == narrow
    first = currents[narrow.index("unknown")]
    with pytest.raises(nm.ModelError, match=f"no equilibrium for i_app = {first:g} "):  # the first, as one by one
        predict_behaviours(n, currents, v_range=(-3.0, 1.0))
    with pytest.raises(nm.ModelError, match="`i_app` must be 1-dimensional"):
        predict_behaviours(n, [[-2.0]])


def test_bad_input():
    n = nm.preset("bursting")
    with pytest.raises(nm.ModelError, match="v_range"):
        nm.equilibria(n, 0.0, v_range=(1.0, -1.0))
    with pytest.raises(nm.ModelError, match="v_range"):
        nm.negative_conductance_intervals(n, "fast", v_range=(np.nan, 1.0))
    with pytest.raises(nm.ModelError, match="i_app"):
        nm.equilibria(n, np.inf)
    with pytest.raises(nm.ModelError, match="no_such"):
        nm.fold_points(n, "no_such.alpha", [1.0])
    with pytest.raises(nm.ModelError, match="v_range"):
        nm.equilibria(n, -2.0, v_range=(-1e200, 1e200))  # a grid that coarse would misplace the root
    with pytest.raises(nm.ModelError, match=r"`i_app` must be a real number, got 'x'"):
        nm.iv_curves(n, i_app="x")
    with pytest.raises(nm.ModelError, match="`v_rest` must be finite"):
        nm.iv_curves(n, v_rest=np.nan, i_app=-2.0)
    with pytest.raises(nm.ModelError, match="`v` must be finite, got nan at index 1"):
        nm.iv_curves(n, v=[0.0, np.nan, 1.0])
    for tol in (0.0, -1.0, np.nan):
        with pytest.raises(nm.ModelError, match="tol"):
            nm.negative_conductance_intervals(n, "slow", i_app=-2.0, tol=tol)


def test_bisection_below_float_spacing_terminates_at_the_edge(bursting):
    # tol below the spacing of doubles near the edges: bisection must stop at adjacent floats, not spin.
    (lo, hi), = nm.negative_conductance_intervals(bursting, "slow", i_app=-2.0, tol=1e-300)
    # Closed form: the slow slope is 1 - 1.5 sech^2(V + 1.5), zero at V = -1.5 -+ acosh(sqrt(1.5)).
    half_width = np.arccosh(np.sqrt(1.5))
    assert lo == pytest.approx(-1.5 - half_width, abs=1e-14)
    assert hi == pytest.approx(-1.5 + half_width, abs=1e-14)


def test_a_neuron_without_conductance_has_no_isolated_equilibria():
    with pytest.raises(nm.ModelError, match="no net conductance"):
        nm.equilibria(nm.Neuron(), 0.0)


@pytest.mark.parametrize("call, match", [
    (lambda n: nm.iv_current(n, "abc"), "`v` must be an array of real numbers"),
    (lambda n: nm.iv_current(n, [0.0, np.nan]), "`v` must be finite, got nan at index 1"),
    (lambda n: nm.iv_conductance(n, [0.0], v_rest="x"), "`v_rest` must be a real number"),
    (lambda n: nm.iv_conductance(n, [0.0], v_rest=np.inf), "`v_rest` must be finite"),
    (lambda n: nm.fold_points(n, "slow_negative.alpha", ["a"]), "`values` must be an array of real numbers"),
])
def test_iv_functions_name_a_bad_voltage_or_value(call, match):
    with pytest.raises(nm.ModelError, match=match):
        call(nm.preset("bursting"))


def test_iv_current_keeps_the_shape_of_v():
    n = nm.preset("bursting")
    assert nm.iv_current(n, 0.5, "fast").shape == ()
    assert nm.iv_current(n, [[0.5, 1.0]], "fast").shape == (1, 2)
