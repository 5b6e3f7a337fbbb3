"""Applied currents: pieces, sums, evaluation, compilation to segments and jumps, errors, and use in a run."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neuromorph as nm
from neuromorph.errors import StimulusError
from neuromorph.model.stimulus import compile_stimuli

# -- independent references --------------------------------------------------

def steps_reference(times, values, initial, t):
    """Piecewise-constant value by hand: ``initial`` before times[0], values[i] on [times[i], times[i+1])."""
    out = np.full(np.shape(t), float(initial))
    for start, value in zip(times, values):
        out = np.where(t >= start, value, out)
    return out


def pulse_reference(start, stop, amplitude, t):
    return np.where((t >= start) & (t < stop), amplitude, 0.0)


def sampled_reference(ts, vs, t):
    """Linear interpolation inside [ts[0], ts[-1]), zero outside."""
    ts, vs = np.asarray(ts, float), np.asarray(vs, float)
    return np.where((t >= ts[0]) & (t < ts[-1]), np.interp(t, ts, vs), 0.0)


def segments_value(stim, k, t):
    """Value of neuron ``k``'s compiled stimulus at ``t`` read straight from the segment arrays."""
    lo, hi = stim.ptr[k], stim.ptr[k + 1]
    starts, a, b = stim.t[lo:hi], stim.a[lo:hi], stim.b[lo:hi]
    assert starts[0] == -np.inf and b[0] == 0.0
    i = np.searchsorted(starts, t, side="right") - 1
    offset = np.where(np.isfinite(starts[i]), t - starts[i], 0.0)
    return a[i] + b[i] * offset


# -- single pieces -----------------------------------------------------------

def test_constant_everywhere():
    t = np.array([-1e9, 0.0, 3.5, 1e9])
    np.testing.assert_array_equal(nm.Constant(-2.5)(t), np.full(4, -2.5))
    stim = compile_stimuli([nm.Constant(-2.5)])
    assert stim.jumps.size == 0


def test_steps_values_and_right_continuity():
    s = nm.Steps([1.0, 2.0, 4.0], [3.0, -1.0, 0.5], initial=0.25)
    t = np.array([0.0, 1.0 - 1e-12, 1.0, 1.5, 2.0, 3.999, 4.0, 100.0])
    np.testing.assert_array_equal(s(t), [0.25, 0.25, 3.0, 3.0, -1.0, -1.0, 0.5, 0.5])


def test_pulse_values_and_right_continuity():
    p = nm.Pulse(start=6667, stop=13333, amplitude=-0.5)
    t = np.array([0.0, np.nextafter(6667.0, 0.0), 6667.0, 10000.0, np.nextafter(13333.0, 0.0), 13333.0, 2e4])
    np.testing.assert_array_equal(p(t), [0.0, 0.0, -0.5, -0.5, -0.5, 0.0, 0.0])


def test_sampled_interpolates_and_is_zero_outside():
    s = nm.Sampled([0.0, 1.0, 3.0], [1.0, 2.0, -2.0])
    t = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nextafter(3.0, 0.0), 3.0, 4.0])
    expected = [0.0, 1.0, 1.5, 2.0, 0.0, -2.0, 0.0, 0.0]
    np.testing.assert_allclose(s(t), expected, rtol=0, atol=1e-12)


def test_sampled_uniform_grid():
    s = nm.Sampled.uniform([1.0, 2.0, 4.0], dt=0.5, t0=1.0)
    np.testing.assert_array_equal(s.t, [1.0, 1.5, 2.0])
    np.testing.assert_array_equal(s.values, [1.0, 2.0, 4.0])
    assert s(1.75) == pytest.approx(3.0, abs=1e-14)


def test_scalar_evaluation():
    assert float(nm.Pulse(1.0, 2.0, 3.0)(1.0)) == 3.0
    assert float((nm.Constant(1.0) + nm.Pulse(1.0, 2.0, 3.0))(0.0)) == 1.0


# -- sums --------------------------------------------------------------------

def test_sum_with_numbers_and_subtraction():
    p = nm.Pulse(2.0, 5.0, 1.5)
    st = nm.Steps([4.0], [3.0])
    sa = nm.Sampled([0.0, 10.0], [0.0, 10.0])
    stim = 1.0 + p - st + sa - 0.5
    t = np.linspace(-3.0, 13.0, 401)
    expected = 1.0 + pulse_reference(2.0, 5.0, 1.5, t) - steps_reference([4.0], [3.0], 0.0, t) \
        + sampled_reference([0.0, 10.0], [0.0, 10.0], t) - 0.5
    np.testing.assert_allclose(stim(t), expected, rtol=0, atol=1e-12)


def test_reflected_subtraction_and_negation():
    p = nm.Pulse(0.0, 1.0, 2.0)
    np.testing.assert_array_equal((3 - p)([-1.0, 0.5, 1.0]), [3.0, 1.0, 3.0])
    np.testing.assert_array_equal((-p)([-1.0, 0.5, 1.0]), [0.0, -2.0, 0.0])
    s = nm.Sampled([0.0, 2.0], [0.0, 4.0])
    np.testing.assert_allclose((-(s + 1.0))([1.0, 3.0]), [-3.0, -1.0], atol=1e-14)


def test_nested_sums_are_flattened():
    stim = (nm.Constant(1.0) + nm.Pulse(0, 1, 1)) + (nm.Steps([2.0], [1.0]) + 2.0)
    assert len(stim.terms()) == 4


def test_stimulus_equality():
    assert nm.Pulse(1, 2, 3) == nm.Pulse(1.0, 2.0, 3.0)
    assert nm.Pulse(1, 2, 3) != nm.Pulse(1, 2, 4)
    assert nm.Sampled([0, 1], [1, 2]) == nm.Sampled([0.0, 1.0], [1.0, 2.0])
    assert nm.Constant(1.0) != nm.Constant(2.0)


def test_adding_something_that_is_not_a_stimulus():
    with pytest.raises(StimulusError, match="'x'"):
        nm.Constant(1.0) + "x"
    with pytest.raises(StimulusError, match="Sampled"):
        nm.Pulse(0, 1, 1) + [1.0, 2.0]


# -- compilation: segment values ----------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_compiled_segments_match_direct_evaluation(seed):
    """Segments a + b (t - start) equal the pieces summed with numpy at random times and at every breakpoint."""
    rng = np.random.default_rng(seed)
    st_times = np.sort(rng.uniform(0.0, 20.0, 5))
    st_values = rng.normal(size=5)
    st_initial = rng.normal()
    sa_t = np.sort(rng.uniform(2.0, 18.0, 12))
    sa_v = rng.normal(scale=3.0, size=12)
    sb_t = np.sort(rng.uniform(-5.0, 25.0, 7))
    sb_v = rng.normal(size=7)
    p0, p1 = np.sort(rng.uniform(0.0, 20.0, 2))
    amp, const = rng.normal(), rng.normal()

    stim = (const + nm.Steps(st_times, st_values, initial=st_initial) + nm.Pulse(p0, p1, amp)
            + nm.Sampled(sa_t, sa_v) - nm.Sampled(sb_t, sb_v))
    t = np.concatenate([rng.uniform(-10.0, 30.0, 3000), st_times, sa_t, sb_t, [p0, p1]])
    expected = (const + steps_reference(st_times, st_values, st_initial, t) + pulse_reference(p0, p1, amp, t)
                + sampled_reference(sa_t, sa_v, t) - sampled_reference(sb_t, sb_v, t))

    compiled = compile_stimuli([stim])
    np.testing.assert_array_equal(compiled.ptr, [0, compiled.t.size])
    np.testing.assert_allclose(segments_value(compiled, 0, t), expected, rtol=0, atol=1e-11)
    np.testing.assert_allclose(stim(t), expected, rtol=0, atol=1e-11)

    # Jumps: every step time (random values differ), both pulse edges and the ends of the
    # sampled pieces (random end values are nonzero); never an interior sample point.
    expected_jumps = np.sort(np.concatenate([st_times, [p0, p1], sa_t[[0, -1]], sb_t[[0, -1]]]))
    np.testing.assert_array_equal(compiled.jumps, expected_jumps)


def test_compiled_segment_slopes_of_a_sampled_ramp():
    compiled = compile_stimuli([nm.Sampled([0.0, 2.0, 3.0], [0.0, 4.0, 1.0])])
    np.testing.assert_array_equal(compiled.t, [-np.inf, 0.0, 2.0, 3.0])
    np.testing.assert_allclose(compiled.a, [0.0, 0.0, 4.0, 0.0])
    np.testing.assert_allclose(compiled.b, [0.0, 2.0, -3.0, 0.0])


def test_one_stimulus_per_neuron():
    compiled = compile_stimuli([nm.Pulse(1.0, 2.0, 1.0), 0.5, nm.Pulse(3.0, 4.0, -1.0)])
    np.testing.assert_array_equal(compiled.ptr, [0, 3, 4, 7])
    np.testing.assert_array_equal(compiled.jumps, [1.0, 2.0, 3.0, 4.0])
    t = np.linspace(0.0, 5.0, 101)
    np.testing.assert_array_equal(segments_value(compiled, 0, t), pulse_reference(1.0, 2.0, 1.0, t))
    np.testing.assert_array_equal(segments_value(compiled, 1, t), np.full(t.shape, 0.5))
    np.testing.assert_array_equal(segments_value(compiled, 2, t), pulse_reference(3.0, 4.0, -1.0, t))


# -- compilation: jumps ---------------------------------------------------------

def test_pulse_jumps_are_its_two_edges():
    np.testing.assert_array_equal(compile_stimuli([-2.5 + nm.Pulse(6667, 13333, -0.5)]).jumps, [6667.0, 13333.0])


def test_sampled_jumps_only_at_nonzero_ends():
    s = nm.Sampled([0.0, 1.0, 2.0, 3.0], [1.0, 5.0, -4.0, 2.0])
    np.testing.assert_array_equal(compile_stimuli([s]).jumps, [0.0, 3.0])
    s = nm.Sampled([0.0, 1.0, 2.0, 3.0], [0.0, 5.0, -4.0, 2.0])
    np.testing.assert_array_equal(compile_stimuli([s]).jumps, [3.0])
    s = nm.Sampled([0.0, 1.0, 2.0, 3.0], [0.0, 5.0, -4.0, 0.0])
    assert compile_stimuli([s]).jumps.size == 0


def test_steep_sampled_interior_points_are_not_jumps():
    t = np.linspace(0.0, 1e-3, 50)
    values = 1e6 * np.sin(np.linspace(0.0, np.pi, 50))
    values[[0, -1]] = 0.0  # sin(pi) is 1.2e-16, not 0: make the ends exactly zero
    assert compile_stimuli([nm.Sampled(t, values)]).jumps.size == 0


def test_steps_with_an_unchanged_value_is_not_a_jump():
    s = nm.Steps([1.0, 2.0, 3.0], [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(compile_stimuli([s]).jumps, [1.0, 3.0])


def test_continuous_sums_have_no_jumps():
    tent = nm.Sampled([0.0, 1.0, 2.0], [0.0, 1.0, 0.0])
    assert compile_stimuli([tent + 2.0 + nm.Sampled([1.5, 4.0], [0.0, 0.0])]).jumps.size == 0
    # Jumps that cancel: +1 on [0, 10) from a pulse, -1 on [0, 10) from samples.
    cancel = nm.Pulse(0.0, 10.0, 1.0) + nm.Sampled([0.0, 10.0], [-1.0, -1.0])
    assert compile_stimuli([cancel]).jumps.size == 0
    np.testing.assert_allclose(cancel(np.linspace(-1.0, 11.0, 50)), 0.0, atol=1e-15)


# -- errors ----------------------------------------------------------------------

def test_sampled_lengths_must_match():
    with pytest.raises(StimulusError, match="same length.*3 and 2"):
        nm.Sampled([0.0, 1.0, 2.0], [1.0, 2.0])


@pytest.mark.parametrize("n", [0, 1])
def test_sampled_needs_two_samples(n):
    with pytest.raises(StimulusError, match=f"at least 2 samples, got {n}"):
        nm.Sampled(np.arange(n, dtype=float), np.ones(n))


@pytest.mark.parametrize("t", [[0.0, 1.0, 1.0], [0.0, 2.0, 1.0]])
def test_sampled_times_must_increase(t):
    with pytest.raises(StimulusError, match=r"strictly increasing; t\[1\] = .* >= t\[2\] = "):
        nm.Sampled(t, [0.0, 1.0, 2.0])


def test_sampled_values_must_be_finite():
    with pytest.raises(StimulusError, match="`values` must be finite, got .*nan.* at index 1"):
        nm.Sampled([0.0, 1.0, 2.0], [0.0, np.nan, 1.0])
    with pytest.raises(StimulusError, match="`t` must be finite"):
        nm.Sampled([0.0, np.inf], [0.0, 1.0])


def test_error_messages_show_plain_numbers():
    with pytest.raises(StimulusError) as info:
        nm.Sampled([0.0, 2.0, 1.0], [0.0, 1.0, 2.0])
    assert "t[1] = 2.0 >= t[2] = 1.0" in str(info.value)
    with pytest.raises(StimulusError) as info:
        nm.Sampled([0.0, 1.0, 2.0], [0.0, np.nan, 1.0])
    assert "got nan at index 1" in str(info.value)


def test_sampled_must_be_one_dimensional():
    with pytest.raises(StimulusError, match="1-dimensional"):
        nm.Sampled([[0.0, 1.0]], [[0.0, 1.0]])


def test_sampled_uniform_needs_positive_step():
    with pytest.raises(StimulusError, match="`dt` must be > 0"):
        nm.Sampled.uniform([1.0, 2.0], dt=0.0)


@pytest.mark.parametrize("start, stop", [(5.0, 5.0), (5.0, 4.0)])
def test_pulse_stop_must_follow_start(start, stop):
    with pytest.raises(StimulusError, match="`stop` must be > `start`") as info:
        nm.Pulse(start, stop, 1.0)
    assert f"start={start!r}, stop={stop!r}" in str(info.value)


def test_steps_errors():
    with pytest.raises(StimulusError, match="same length"):
        nm.Steps([1.0, 2.0], [1.0])
    with pytest.raises(StimulusError, match="strictly increasing"):
        nm.Steps([2.0, 1.0], [1.0, 2.0])
    with pytest.raises(StimulusError, match="`initial` must be finite"):
        nm.Steps([1.0], [1.0], initial=np.inf)


def test_constant_rejects_nan_and_bool():
    with pytest.raises(StimulusError, match="nan"):
        nm.Constant(float("nan"))
    with pytest.raises(StimulusError, match="True"):
        nm.Constant(True)


@pytest.fixture(scope="module")
def tonic():
    return nm.preset("tonic_spiking")


@pytest.mark.parametrize("func", [lambda t: -0.7, np.sin])
def test_python_callable_as_i_app_is_refused_with_advice(tonic, func):
    with pytest.raises(StimulusError, match="Python function") as info:
        nm.simulate(tonic, 10.0, i_app=func)
    assert "nm.Sampled(t, f(t))" in str(info.value)


# A list or tuple means one stimulus per neuron, so a bare ndarray is the single-neuron case;
# an array inside the per-neuron list must be refused the same way.
@pytest.mark.parametrize("array", [np.full(5, -0.7), [np.full(5, -0.7)]])
def test_bare_array_as_i_app_is_refused_with_advice(tonic, array):
    with pytest.raises(StimulusError, match="`i_app` given as an array") as info:
        nm.simulate(tonic, 10.0, i_app=array)
    assert "nm.Sampled(t, values)" in str(info.value)


def test_other_i_app_types_are_refused(tonic):
    with pytest.raises(StimulusError, match="number or a Stimulus.*'-0.7'"):
        nm.simulate(tonic, 10.0, i_app="-0.7")


def test_protocol_validation():
    with pytest.raises(StimulusError, match="t_transient"):
        nm.Protocol(t_end=100.0, t_transient=100.0)
    assert nm.Protocol(100.0, -1.0).i_app == nm.Constant(-1.0)


def test_stimulus_error_is_a_value_error():
    assert issubclass(StimulusError, ValueError)


# -- stimuli in a simulation ---------------------------------------------------------

def test_sampled_input_drives_a_leak_like_the_scipy_reference():
    """dV/dt = I(t) - V with a sampled I, against solve_ivp integrated piecewise between samples."""
    n = nm.Neuron(v0=0.3)
    n.add_leak(g=1.0)
    ts = np.array([1.0, 2.0, 2.5, 4.0, 6.0])
    vs = np.array([0.5, -1.0, 2.0, 2.0, 1.0])
    t_eval = np.linspace(0.0, 8.0, 161)
    res = nm.simulate(n, 8.0, i_app=nm.Sampled(ts, vs), rtol=1e-10, atol=1e-12, t_eval=t_eval)

    edges = np.concatenate([[0.0], ts, [8.0]])
    y = [0.3]
    expected = np.empty_like(t_eval)
    for a, b in zip(edges[:-1], edges[1:]):
        mid = 0.5 * (a + b)
        inside = ts[0] <= mid < ts[-1]

        def f(t, y, inside=inside):
            return [(np.interp(t, ts, vs) if inside else 0.0) - y[0]]

        mask = (t_eval >= a) & (t_eval <= b)
        sol = solve_ivp(f, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-13, dense_output=True)
        expected[mask] = sol.sol(t_eval[mask])[0]
        y = sol.y[:, -1]
    np.testing.assert_allclose(res.v, expected, rtol=0, atol=1e-7)


# The bursting elements of MODEL.md: (alpha, delta, index of the voltage they read: 0 V, 1 slow, 2 ultraslow).
_BURSTING = [(-2.0, 0.0, 0), (2.0, 0.0, 1), (-1.5, -1.5, 1), (1.5, -1.5, 2)]
_TAUS = (50.0, 2500.0)


def _mixed_feedback_field(i_app):
    """C dV/dt = I_app - V - sum alpha tanh(V_x - delta); tau dV_x/dt = V - V_x (C = 1, leak g = 1)."""
    def f(t, y):
        i_ion = y[0] + sum(alpha * np.tanh(y[k] - delta) for alpha, delta, k in _BURSTING)
        return [i_app - i_ion, (y[0] - y[1]) / _TAUS[0], (y[0] - y[2]) / _TAUS[1]]
    return f


def _upward_zero(t, y):
    return y[0]


_upward_zero.direction = 1


def test_pulse_stimulus_spike_times_match_piecewise_scipy_reference():
    """Post-inhibitory rebound: I_app -2.5, -3.0 on [6667, 13333); 13 rebound spikes (MODEL.md)."""
    n = nm.preset("post_inhibitory_rebound")
    # The reference below hard-codes the model of MODEL.md: make sure the preset is that model.
    assert n.parameters() == {
        "C": 1.0, "v0": -1.9, "threshold": 0.0, "hysteresis": 0.5, "leak.g": 1.0, "leak.e_rev": 0.0,
        "fast_negative.alpha": -2.0, "fast_negative.delta": 0.0, "fast_negative.tau": 0.0,
        "slow_positive.alpha": 2.0, "slow_positive.delta": 0.0, "slow_positive.tau": 50.0,
        "slow_negative.alpha": -1.5, "slow_negative.delta": -1.5, "slow_negative.tau": 50.0,
        "ultraslow_positive.alpha": 1.5, "ultraslow_positive.delta": -1.5, "ultraslow_positive.tau": 2500.0,
    }
    assert n.initial_values() == {"v": -1.9, "slow": -1.8, "ultraslow": -1.8}

    t1, t2, t_end = 6667.0, 13333.0, 20000.0
    res = nm.simulate(n, t_end, i_app=-2.5 + nm.Pulse(t1, t2, -0.5))

    y = np.array([-1.9, -1.8, -1.8])
    reference = []
    for a, b, i_app in [(0.0, t1, -2.5), (t1, t2, -3.0), (t2, t_end, -2.5)]:
        sol = solve_ivp(_mixed_feedback_field(i_app), (a, b), y, method="DOP853", rtol=1e-10, atol=1e-12,
                        events=_upward_zero)
        assert sol.success
        reference.extend(sol.t_events[0])
        y = sol.y[:, -1]
    reference = np.array(reference)

    assert reference.size == 13  # MODEL.md: one rebound burst of 13 spikes starting at t ~ 13658
    assert abs(reference[0] - 13658) < 5
    assert res.spike_times.size == 13
    np.testing.assert_allclose(res.spike_times, reference, rtol=0, atol=0.05)


def test_adding_an_array_to_a_stimulus_says_so_without_naming_i_app():
    with pytest.raises(StimulusError, match="`a term added to a stimulus` given as an array"):
        nm.Pulse(start=1.0, stop=2.0, amplitude=1.0) + [0.1, 0.2]
