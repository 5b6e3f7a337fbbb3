"""Solvers against independent scipy references: accuracy, convergence orders, events,
output, resumability, stiffness."""

import numpy as np
import pytest
from reference import BURSTING, TONIC, tanh_field
from scipy.integrate import solve_ivp

import neuromorph as nm


def bursting():
    return nm.preset("bursting")


# -- accuracy against DOP853 (rtol 1e-10) of an independent vector field -----------------

def test_default_tolerances_put_spikes_within_half_a_time_unit(bursting_reference):
    ref, _ = bursting_reference
    res = bursting().simulate(t_end=10_000, i_app=-2.0)
    assert res.spike_times.size == ref.size == 28
    assert np.max(np.abs(res.spike_times - ref)) < 0.5
    # default tolerances do far better than required; keep a record of how much
    assert np.max(np.abs(res.spike_times - ref)) < 0.05


def test_tight_tolerances_converge_to_the_reference(bursting_reference):
    ref, _ = bursting_reference
    errors = [np.max(np.abs(bursting().simulate(10_000, -2.0, rtol=r, atol=r * 1e-3, record=()).spike_times - ref))
              for r in (1e-4, 1e-6, 1e-8)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-5


@pytest.mark.parametrize("method, options, tol", [
    ("rosenbrock23", {"rtol": 1e-6, "atol": 1e-9}, 0.05),
    ("rk4", {"dt": 0.02}, 1e-3),
    ("dop853", {"rtol": 1e-9, "atol": 1e-12}, 1e-6),
])
def test_other_methods_reproduce_reference_spikes(bursting_reference, method, options, tol):
    ref, _ = bursting_reference
    res = bursting().simulate(t_end=10_000, i_app=-2.0, method=method, record=(), **options)
    assert res.spike_times.size == ref.size
    assert np.max(np.abs(res.spike_times - ref)) < tol


def test_final_state_matches_reference(bursting_reference):
    _, y_ref = bursting_reference
    res = bursting().simulate(t_end=10_000, i_app=-2.0, rtol=1e-9, atol=1e-12)
    assert np.allclose(res.y[:, -1], y_ref, atol=1e-5)


def test_spike_time_is_located_between_steps_not_on_the_grid(bursting_reference):
    ref, _ = bursting_reference
    # a coarse output grid must not move the events: they come from the dense output
    res = bursting().simulate(t_end=10_000, i_app=-2.0, dt_out=100.0, rtol=1e-9, atol=1e-12)
    assert np.max(np.abs(res.spike_times - ref)) < 1e-4
    assert not np.any(np.isin(np.round(res.spike_times, 6), res.t))


@pytest.mark.parametrize("method, bound", [("dopri5", 1e-4), ("dop853", 1e-5)])
def test_dense_grid_output_matches_reference_solution(method, bound):
    f = tanh_field(BURSTING, lambda t: -2.0)
    t_eval = np.linspace(0, 3000, 301)
    ref = solve_ivp(f, (0, 3000), [-1.9, -1.8, -1.8], method="DOP853", rtol=1e-11, atol=1e-12, t_eval=t_eval)
    res = bursting().simulate(t_end=3000, i_app=-2.0, t_eval=t_eval, rtol=1e-8, atol=1e-10, method=method)
    assert np.array_equal(res.t, t_eval)
    assert np.max(np.abs(res.y - ref.y)) < bound


# -- convergence orders: forced constant steps, error at t_end against a tight reference --

def _final_error(method, h, t_end=60.0):
    """Tonic neuron over two spikes (a demanding, smooth trajectory)."""
    n = nm.preset("tonic")
    f = tanh_field(TONIC, lambda t: -0.7)
    ref = solve_ivp(f, (0, t_end), n.initial_state(), method="DOP853", rtol=1e-13, atol=1e-14).y[:, -1]
    if method in ("rk4", "euler"):
        res = n.simulate(t_end, -0.7, method=method, dt=h)
    else:  # huge tolerances accept every step; h_max fixes its size
        res = n.simulate(t_end, -0.7, method=method, rtol=1e3, atol=1e3, h_max=h)
        assert res.stats.n_rejected == 0
    assert res.spike_times.size == 2
    return np.max(np.abs(res.y[:, -1] - ref))


@pytest.mark.parametrize("method, order, steps", [
    ("euler", 1, (0.01, 0.005, 0.0025)),
    ("rk4", 4, (0.1, 0.05, 0.025)),
    ("rosenbrock23", 2, (0.1, 0.05, 0.025)),
    ("dopri5", 5, (0.2, 0.1, 0.05)),  # smaller steps reach rounding error (~1e-12)
])
@pytest.mark.filterwarnings("ignore:`[ra]tol` = 1000:neuromorph.errors.NeuromorphWarning")  # on purpose: fixes h
def test_convergence_order(method, order, steps):
    errors = [_final_error(method, h) for h in steps]
    observed = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(observed - order) < 1.0), (errors, observed)
    assert abs(observed[-1] - order) < 0.5, (errors, observed)


@pytest.mark.filterwarnings("ignore:`[ra]tol` = 1000:neuromorph.errors.NeuromorphWarning")
def test_dop853_converges_with_order_eight():
    """Between h = 1 and 0.25 the errors fall 8.3 and 9.1 bits per halving (the pre-asymptotic range of this
    smooth problem; smaller steps meet rounding error): a wrong coefficient would show order 7 or less."""
    errors = [_final_error("dop853", h) for h in (1.0, 0.5, 0.25)]
    observed = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((observed > 7.6) & (observed < 9.6)), (errors, observed)


@pytest.mark.parametrize("rtol", [3.16e-6, 1e-6])
def test_dop853_spike_times_keep_to_the_tolerance(rtol):
    """DOP853's error estimate (its 5th-order estimate shrunk by the 3rd-order one) let through steps into a
    spike whose error was 10-20 times the tolerance, and their dense output put the spike 3.5e-4 (rtol 1e-6) or
    1.0e-3 (rtol 3.16e-6) off on the HCO's first 4000 time units, against 1.7e-5 and 7.8e-5 since such steps
    are taken again (the dense output's defect at mid-step is checked on every step with a spike)."""
    from reference_network import BURSTING_Y0, HCO_I_APP, HCO_Y0_2, hco_synapses, network_field, network_spikes

    ref, _ = network_spikes(network_field(2, hco_synapses(), HCO_I_APP), 2, (*BURSTING_Y0, *HCO_Y0_2), 4000.0,
                            rtol=1e-12, atol=1e-14)
    run = nm.hco().simulate(4000.0, record=(), method="dop853", rtol=rtol, atol=rtol / 100)
    for k in range(2):
        assert run.spikes_of(k).size == ref[k].size == (9, 13)[k]
        assert np.max(np.abs(run.spikes_of(k) - ref[k])) < 50 * rtol


# -- stimulus discontinuities ---------------------------------------------------------

@pytest.mark.parametrize("method, options", [("dopri5", {}), ("rk4", {"dt": 0.05}), ("rosenbrock23", {}), ("dop853", {})])
def test_steps_land_on_stimulus_jumps(method, options):
    n = bursting()
    stim = -2.0 + nm.Pulse(start=123.456, stop=789.0123, amplitude=0.7)
    res = n.simulate(1000, stim, method=method, **options)
    for t_jump in (123.456, 789.0123):
        assert np.any(res.t == t_jump), f"no step ends exactly on the jump at {t_jump}"


# -- resumability and modulation ------------------------------------------------------

@pytest.mark.parametrize("method, options", [("dopri5", {}), ("rosenbrock23", {}), ("rk4", {"dt": 0.05}),
                                             ("dop853", {})])
def test_handing_back_control_changes_no_bit(method, options, monkeypatch):
    """Kernel calls cut short by a tiny step budget and small buffers give the very same run."""
    n = bursting()
    one = n.simulate(5000, -2.0, method=method, **options)
    monkeypatch.setattr(nm.Integrator, "_MIN_BUDGET", 7)
    monkeypatch.setattr(nm.Integrator, "_CALL_SECONDS", 1e-12)  # every call: the minimum budget
    integ = nm.Integrator(n, -2.0, nm.get_solver(method, **options))
    integ._budget = 7
    integ.out_t = integ.out_t[:3].copy()
    integ.out_y = integ.out_y[:3].copy()
    integ.spk_t = integ.spk_t[:2].copy()
    integ.spk_n = integ.spk_n[:2].copy()
    integ.advance(5000.0)
    two = integ.result()
    assert np.array_equal(one.spike_times, two.spike_times)
    assert np.array_equal(one.t, two.t) and np.array_equal(one.y, two.y)


@pytest.mark.parametrize("method, options", [
    ("dopri5", {"rtol": 1e-7, "atol": 1e-10}),
    ("rosenbrock23", {"rtol": 1e-7, "atol": 1e-10}),
    ("rk4", {"dt": 0.05}),
])
def test_advancing_in_pieces_agrees_with_one_run(method, options):
    """Stops land exactly (steps are shortened), so adaptive runs agree to their tolerance."""
    n = bursting()
    one = n.simulate(5000, -2.0, method=method, **options)
    integ = nm.Integrator(n, -2.0, nm.get_solver(method, **options))
    for t_stop in (1234.5, 2000.0, 4321.0, 5000.0):
        integ.advance(t_stop)
        assert integ.t == t_stop
    two = integ.result()
    assert one.spike_times.size == two.spike_times.size
    assert np.max(np.abs(one.spike_times - two.spike_times)) < 2e-3


def test_modulating_a_gain_mid_run_matches_a_two_piece_reference():
    """slow_negative.alpha from -1.5 to -0.5 at t = 3000 (bursting becomes tonic-like)."""
    n = bursting()
    integ = nm.Integrator(n, -2.0, nm.get_solver("dopri5", rtol=1e-9, atol=1e-11))
    integ.advance(3000.0)
    integ.set_parameter("slow_negative.alpha", -0.5)
    integ.advance(6000.0)
    res = integ.result()
    first = tanh_field(BURSTING, lambda t: -2.0)
    second_elements = tuple((-0.5, d, tau) if (a, d, tau) == (-1.5, -1.5, 50.0) else (a, d, tau)
                            for a, d, tau in BURSTING)
    second = tanh_field(second_elements, lambda t: -2.0)
    ev = lambda t, y: y[0]  # noqa: E731
    ev.direction = 1
    s1 = solve_ivp(first, (0, 3000), n.initial_state(), method="DOP853", rtol=1e-11, atol=1e-12, events=ev)
    s2 = solve_ivp(second, (3000, 6000), s1.y[:, -1], method="DOP853", rtol=1e-11, atol=1e-12, events=ev)
    ref = np.concatenate([s1.t_events[0], s2.t_events[0]])
    assert res.spike_times.size == ref.size
    assert np.max(np.abs(res.spike_times - ref)) < 1e-3


def test_modulation_leaves_the_neuron_and_other_runs_alone():
    n = bursting()
    before = n.simulate(3000, -2.0).spike_times
    run = nm.Integrator(n, -2.0)
    run.set_parameter("slow_negative.alpha", -0.3)
    run.set_parameter("C", 2.0)
    run.advance(100.0)
    assert n.get("slow_negative.alpha") == -1.5 and n.C == 1.0
    assert np.array_equal(n.simulate(3000, -2.0).spike_times, before)


def test_modulation_schedule_with_i_app_matches_a_piecewise_reference():
    """I_app -2 -> -1.4 at t = 4000 (longer bursts), gain change at 7000, then back.

    (A switch to I_app = 0 would be a poor test: the first spike after it crosses the
    ghost of a saddle-node after ~1000 time units, which amplifies any error ~1e9-fold.)
    """
    n = bursting()
    schedule = [(4000.0, {"i_app": -1.4}), (7000.0, {"i_app": -2.0, "slow_negative.alpha": -1.2})]
    res = n.simulate(10_000, -2.0, modulation=schedule, rtol=1e-9, atol=1e-11, record=())
    pieces = [(0.0, 4000.0, BURSTING, -2.0), (4000.0, 7000.0, BURSTING, -1.4),
              (7000.0, 10_000.0, tuple((-1.2, d, tau) if (a, d, tau) == (-1.5, -1.5, 50.0) else (a, d, tau)
                                       for a, d, tau in BURSTING), -2.0)]
    ev = lambda t, y: y[0]  # noqa: E731
    ev.direction = 1
    y, ref = n.initial_state(), []
    for t0, t1, elements, i_app in pieces:
        sol = solve_ivp(tanh_field(elements, lambda t, i=i_app: i), (t0, t1), y, method="DOP853",
                        rtol=1e-11, atol=1e-12, events=ev)
        ref.extend(sol.t_events[0])
        y = sol.y[:, -1]
    assert res.spike_times.size == len(ref)
    assert np.max(np.abs(res.spike_times - np.array(ref))) < 1e-3


def test_i_app_modulation_keeps_the_pulses_of_the_stimulus():
    """A leak alone (g = C = 1) settles at V = I_app within a few time units: V reads the current."""
    n = nm.Neuron()
    n.add_leak()
    stim = -2.5 + nm.Pulse(6667, 13333, -0.5)
    run = nm.Integrator(n, stim, solver=nm.get_solver(rtol=1e-9, atol=1e-12))
    run.advance(1000.0)
    assert run.y[0] == pytest.approx(-2.5, abs=1e-7)
    run.set_parameter("i_app", -2.6)  # only the constant part changes
    run.advance(10_000.0)
    assert run.y[0] == pytest.approx(-3.1, abs=1e-7)  # the pulse is still there
    run.advance(20_000.0)
    assert run.y[0] == pytest.approx(-2.6, abs=1e-7)


@pytest.mark.parametrize("modulation, match", [
    ([(5000.0, {"i_app": 1.0}), (3000.0, {"i_app": 0.0})], "increase"),
    ([(20_000.0, {"i_app": 1.0})], "inside"),
    ([(100.0, {})], "non-empty"),
    ([(100.0, {"no_such.alpha": 1.0})], "cannot modulate"),
    ([100.0], r"\(time, \{parameter: value\}\)"),
])
def test_bad_modulation_schedules(modulation, match):
    with pytest.raises(ValueError, match=match):
        bursting().simulate(10_000, -2.0, modulation=modulation)


def test_modulation_rejects_unknown_and_invalid_parameters():
    integ = nm.Integrator(bursting(), -2.0)
    with pytest.raises(nm.ModelError, match="no_such"):
        integ.set_parameter("no_such.alpha", 1.0)
    with pytest.raises(nm.ModelError, match="C"):
        integ.set_parameter("C", 0.0)


@pytest.mark.parametrize("changes, match", [({"slow_negativ.alpha": -1.0}, "slow_negativ"), ({"C": -1.0}, "C"),
                                            ({"i_app": "x"}, "i_app")])
def test_a_bad_late_modulation_fails_before_integrating(changes, match):
    # The change is due at t = 1.999e6 of a 2e6 run: checked up front, the error comes before any step.
    with pytest.raises(nm.NeuromorphError, match=match):
        bursting().simulate(2e6, -2.0, modulation=[(1.999e6, changes)], max_steps=10)


# -- bounded memory -------------------------------------------------------------------

def test_streamed_chunks_add_up_to_the_whole_run():
    n = bursting()
    whole = n.simulate(12_000, -2.0)
    run = nm.Integrator(n, -2.0)
    chunks = []
    for t_stop in (3000.0, 6000.0, 9000.0, 12_000.0):
        run.advance(t_stop)
        chunks.append(run.take())
        assert run.result().t.size == 0  # nothing is kept once handed over
    t = np.concatenate([c[0] for c in chunks])
    spikes = np.concatenate([c[2] for c in chunks])
    # stops at 3000, 6000, ... shorten a step each, so compare against a run with the same stops
    same_stops = nm.Integrator(n, -2.0)
    for t_stop in (3000.0, 6000.0, 9000.0, 12_000.0):
        same_stops.advance(t_stop)
    ref = same_stops.result()
    assert np.array_equal(t, ref.t) and np.array_equal(spikes, ref.spike_times)
    assert np.array_equal(np.concatenate([c[1] for c in chunks], axis=1), ref.y)
    assert spikes.size == whole.spike_times.size


def test_result_after_take_covers_only_what_it_holds():
    run = nm.Integrator(nm.preset("tonic_spiking"), -0.7)
    run.advance(500.0)
    run.take()
    run.advance(1000.0)
    res = run.result()
    assert (res.t_start, res.t_end) == (500.0, 1000.0)
    summary = res.summary(t_start=500.0)
    assert summary["firing_rate"] == pytest.approx(res.spike_times.size / 500.0)
    assert (res.summary()["t_start"], res.summary()["t_end"]) == (750.0, 1000.0)  # default: the second half
    assert summary["firing_rate"] == pytest.approx(1 / 32.65, rel=0.05)  # MODEL.md: tonic ISI 32.65



def test_max_points_bounds_stored_samples_and_keeps_spikes(bursting_reference):
    ref, _ = bursting_reference
    res = bursting().simulate(10_000, -2.0, max_points=500)
    assert 250 <= res.t.size <= 500
    assert res.t[0] == 0.0 and res.t[-1] == 10_000.0 and np.all(np.diff(res.t) > 0)
    assert res.spike_times.size == ref.size  # events are never decimated


def test_record_nothing_keeps_only_spikes(bursting_reference):
    ref, _ = bursting_reference
    res = bursting().simulate(10_000, -2.0, record=())
    assert res.y.shape == (0, 0) or res.t.size == 0
    assert res.spike_times.size == ref.size


def test_save_every_thins_step_output():
    full = bursting().simulate(2000, -2.0)
    thin = bursting().simulate(2000, -2.0, save_every=10)
    assert abs(thin.t.size - full.t.size / 10) <= 2
    assert np.isin(thin.t[1:-1], full.t).all()


# -- stiffness ------------------------------------------------------------------------

def stiff_neuron():
    """The bursting neuron with its fast negative conductance behind a tau = 0.01 filter."""
    n = bursting()
    n.remove("fast_negative")
    n.add_current(alpha=-2.0, delta=0.0, tau=0.01, name="fast_negative")
    return n


def test_rosenbrock_holds_the_stiff_setup_accurately():
    n = stiff_neuron()
    elements = ((-2.0, 0.0, 0.01), (2.0, 0.0, 50.0), (-1.5, -1.5, 50.0), (1.5, -1.5, 2500.0))
    f = tanh_field(elements, lambda t: -2.0)
    ev = lambda t, y: y[0]  # noqa: E731
    ev.direction = 1
    ref = solve_ivp(f, (0, 6000), n.initial_state(), method="Radau", rtol=1e-10, atol=1e-12, events=ev).t_events[0]
    implicit = n.simulate(6000, -2.0, method="rosenbrock23", rtol=1e-6, atol=1e-9, record=())
    explicit = n.simulate(6000, -2.0, method="dopri5", rtol=1e-6, atol=1e-9, record=())
    assert implicit.spike_times.size == ref.size
    assert np.max(np.abs(implicit.spike_times - ref)) < 0.1
    # explicit steps are held by the tau = 0.01 filter (stability), implicit ones only by accuracy
    assert explicit.stats.n_steps > 8 * implicit.stats.n_steps


def test_rosenbrock_needs_a_thousand_times_fewer_steps_away_from_spikes():
    """At rest the explicit step is held to ~3.3 tau = 0.033 by stability whatever the tolerance;
    the implicit one grows with the slow dynamics (compared at the same tolerance)."""
    n = stiff_neuron()
    implicit = n.simulate(10_000, -3.0, method="rosenbrock23", rtol=1e-4, atol=1e-7)
    explicit = n.simulate(10_000, -3.0, method="dopri5", rtol=1e-4, atol=1e-7, save_every=1000)
    assert implicit.spike_times.size == explicit.spike_times.size == 0
    assert explicit.stats.n_steps > 1000 * implicit.stats.n_steps
    assert np.allclose(implicit.y[:, -1], explicit.y[:, -1], atol=1e-3)


@pytest.mark.filterwarnings("ignore:`[ra]tol` = 1000:neuromorph.errors.NeuromorphWarning")  # on purpose: fixes h
def test_rosenbrock_kernel_damps_an_infinitely_stiff_mode_in_one_step():
    """L-stability in the kernel: a filter with tau = 1e-9 started 5 away from V is pulled onto V
    by a single step of h = 1 (an A-stable but not L-stable method would leave it oscillating)."""
    n = nm.Neuron(v0=0.0)
    n.add_leak()
    n.add_current(alpha=1e-3, delta=0.0, tau=1e-9, name="probe")
    n.set_initial(fast=5.0)
    res = n.simulate(1.0, 0.0, method="rosenbrock23", rtol=1e3, atol=1e3, h0=1.0, h_max=1.0)
    assert res.stats.n_steps == 1
    v_end, x_end = res["v"][-1], res["fast"][-1]
    assert abs(x_end - v_end) < 1e-6


# -- gated elements against an independent reference -------------------------------------

def test_conductance_and_inactivating_elements_against_reference():
    n = nm.Neuron(v0=-1.0)
    n.add_leak(g=1.0)
    n.add_current(alpha=-2.0, delta=0.0, tau=0.0)
    n.add_conductance(g_max=0.8, e_rev=-3.0, name="k_like").add_gate(k=2.0, delta=0.0, tau=30.0)
    n.add_conductance(g_max=0.5, e_rev=2.0, name="ca_like").add_gate(k=3.0, delta=-0.5, tau=0.0).add_gate(
        k=-2.0, delta=-1.0, tau=300.0)
    n.add_current(alpha=-1.0, delta=-0.9, tau=30.0, inactivation_delta=-0.6, inactivation_tau=300.0, name="inact")
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731

    def f(t, y):
        v, s, u = y  # filters tau 30, 300
        i = (v + -2.0 * np.tanh(v) + 0.8 * (v + 3.0) * sig(2.0 * s)
             + 0.5 * (v - 2.0) * sig(3.0 * (v + 0.5)) * sig(-2.0 * (u + 1.0))
             + sig(-2.0 * (u + 0.6)) * -1.0 * np.tanh(s + 0.9))
        return [-0.3 - i, (v - s) / 30.0, (v - u) / 300.0]

    t_eval = np.linspace(0, 2000, 201)
    ref = solve_ivp(f, (0, 2000), n.initial_state(), method="DOP853", rtol=1e-11, atol=1e-12, t_eval=t_eval)
    res = n.simulate(2000, -0.3, t_eval=t_eval, rtol=1e-9, atol=1e-11)
    assert np.max(np.abs(res.y - ref.y)) < 1e-5
    res_ros = n.simulate(2000, -0.3, t_eval=t_eval, method="rosenbrock23", rtol=1e-7, atol=1e-9)
    assert np.max(np.abs(res_ros.y - ref.y)) < 2e-3


def test_analytic_jacobian_matches_finite_differences_of_independent_field():
    """The kernel's Jacobian against central differences of a separately written vector field."""
    from neuromorph.lower.compile import dense_jacobian

    n = nm.Neuron(v0=-0.7)
    n.add_leak(g=1.0, e_rev=0.1)
    n.add_current(alpha=-2.0, delta=0.2, tau=0.0)
    n.add_current(alpha=1.3, delta=-0.4, tau=40.0)
    n.add_conductance(g_max=0.8, e_rev=-3.0, name="k").add_gate(k=2.0, delta=0.0, tau=40.0).add_gate(
        k=-1.5, delta=-0.3, tau=0.0)
    n.add_current(alpha=-1.0, delta=-0.9, tau=40.0, inactivation_delta=-0.6, inactivation_tau=700.0, name="inact")
    n.set_initial(slow=-0.2, ultraslow=0.3)
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731

    def f(y):
        v, s, u = y
        i = (1.0 * (v - 0.1) - 2.0 * np.tanh(v - 0.2) + 1.3 * np.tanh(s + 0.4)
             + 0.8 * (v + 3.0) * sig(2.0 * s) * sig(-1.5 * (v + 0.3)) + sig(-2.0 * (u + 0.6)) * -1.0 * np.tanh(s + 0.9))
        return np.array([-i, (v - s) / 40.0, (v - u) / 700.0])

    y = n.initial_state()
    eps = 1e-6
    fd = np.column_stack([(f(y + eps * e) - f(y - eps * e)) / (2 * eps) for e in np.eye(3)])
    jac = dense_jacobian(n.compile(), y)
    assert np.allclose(jac, fd, rtol=1e-7, atol=1e-9)


# -- a preset is read and compiled once per run -------------------------------------------

@pytest.mark.parametrize("run", [
    lambda: nm.simulate("bursting", 10.0, dt_out=1.0),
    lambda: nm.simulate("bursting", 10.0, t_eval=[0.0, 5.0]),
    lambda: nm.preset("bursting").simulate(10.0, dt_out=1.0),
], ids=["simulate(name, dt_out)", "simulate(name, t_eval)", "preset(name).simulate"])
def test_a_preset_passed_to_simulate_is_parsed_and_compiled_once(monkeypatch, run):
    import neuromorph.io.circuits as circuits
    import neuromorph.lower.compile as lower

    calls = {"parse": 0, "compile": 0}

    def counted(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(circuits, "loads", counted("parse", circuits.loads))
    monkeypatch.setattr(lower, "compile_neuron", counted("compile", lower.compile_neuron))
    run()
    assert calls == {"parse": 1, "compile": 1}
