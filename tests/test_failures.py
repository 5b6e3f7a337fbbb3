"""One failure vocabulary (issue 19): every engine reports why a run stopped short as a :class:`Failure`.

Each reason is triggered, through public calls, in each engine where it can occur:

=================  ==========================  ==============  ===================  =====================
reason             single run (simulate,       ensemble lanes  study store          ngspice
                   Integrator)
=================  ==========================  ==============  ===================  =====================
NON_FINITE         fixed step                  yes             ensemble engine      --
DIVERGING          adaptive and fixed          yes             ensemble and single  behavioural
STEP_UNDERFLOW     adaptive                    --              --                   --
TOO_MANY_STEPS     adaptive and fixed          --              single engine        --
SOLVER_FAILED      rosenbrock23                --              --                   ngspice's own failure
INTERRUPTED        Integrator.result()         --              --                   --
OUT_OF_RANGE       --                          --              --                   transistor level
=================  ==========================  ==============  ===================  =====================

Where a reason cannot occur: the adaptive kernels reject a non-finite trial step (its error norm is NaN)
and shrink it, so an adaptive run that blows up ends in STEP_UNDERFLOW or DIVERGING, never NON_FINITE; fixed
steps have no step control to underflow; the lanes run fixed steps whose count is known (no ``max_steps``)
and have no implicit solve; a study's single runs start at t = 0 with a chosen first step, so neither an
underflow (which needs |t| near 1e12) nor Rosenbrock's exactly singular matrix (which needs ``h0``) is
reachable from a Study; an interrupted run, ensemble or study raises ``KeyboardInterrupt`` and leaves no
result to carry a reason (members of a study not run are ``"not run"``, code -1), except an Integrator,
whose ``result()`` is tested here.
"""

import json
import threading
import warnings

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.errors import Failure

OLD_REASONS = ("ok", "non-finite state", "diverging", "step size underflow", "too many steps", "solver failed")
"""The study status codes before the enum (``REASONS`` of commit 21fe705): stored studies keep these codes."""


def fast_filter_neuron():
    """A leak and a current read through a filter of tau = 0.01: a fixed step of 0.5 is far beyond the filter's
    stability limit, so the filter state (which no runaway bound watches) overflows while the membrane stays
    bounded: a non-finite state."""
    n = nm.Neuron()
    n.add_leak(g=1.0)
    n.add_current(alpha=1.0, delta=0.0, tau=0.01)
    return n


def drifting_neuron():
    """No leak: dV/dt = I_app - (bounded currents); with I_app = -5 V drifts down without bound."""
    n = nm.Neuron(v0=-1.0)
    n.add_current(alpha=-2.0, delta=0.0, tau=0.0)
    n.add_current(alpha=1.0, delta=0.0, tau=50.0)
    return n


def unstable_linear_neuron():
    """dV/dt = V + I_app (a negative leak): its Jacobian is exactly 1."""
    n = nm.Neuron()
    n.add_leak(g=-1.0)
    return n


def assert_failed(err, reason):
    """``err`` is a SimulationError of ``reason``, whose message is written from the enum's explanation (a
    diverging membrane's, written by every engine alike, names the voltage and its bound, then the reason)."""
    assert err.reason is reason
    assert err.reason == reason.value  # users' string comparisons keep working
    if reason is Failure.DIVERGING:
        assert f", and grows without bound ({reason.value}): " in str(err)
    else:
        assert reason.explanation in str(err)


# -- the enum --------------------------------------------------------------------------------------

def test_the_reasons_keep_their_old_strings_and_stored_codes():
    from neuromorph.studies.member import REASONS
    from neuromorph.studies.store import _flag_attrs

    assert [r.value for r in REASONS[:len(OLD_REASONS)]] == list(OLD_REASONS)
    assert [r.code for r in REASONS] == list(range(len(REASONS)))
    assert set(REASONS) == set(Failure) and REASONS[0] is Failure.OK
    assert {Failure.INTERRUPTED.value, Failure.OUT_OF_RANGE.value} <= {r.value for r in REASONS[len(OLD_REASONS):]}
    for code, text in enumerate(OLD_REASONS):
        assert Failure.from_code(code) == text and Failure(text).code == code
    attrs = _flag_attrs("status")
    assert attrs["flag_values"] == [r.code for r in Failure]
    assert attrs["flag_meanings"].split() == [r.value.replace(" ", "_") for r in Failure]


def test_a_reason_is_its_string_everywhere():
    reason = Failure.NON_FINITE
    assert str(reason) == f"{reason}" == "non-finite state"
    assert json.dumps({reason: reason}) == '{"non-finite state": "non-finite state"}'
    assert hash(reason) == hash("non-finite state") and reason in {"non-finite state"}
    assert np.array([reason], dtype=object).astype(str).tolist() == ["non-finite state"]
    assert all(r.explanation and r.explanation != r.value for r in Failure)


def test_a_simulation_error_reads_its_reason_as_the_enum():
    err = nm.SimulationError("stopped", t=1.0, reason="too many steps")
    assert err.reason is Failure.TOO_MANY_STEPS
    with pytest.raises(ValueError):
        nm.SimulationError("stopped", t=1.0, reason="no such reason")


def test_every_kernel_status_code_has_a_reason():
    from neuromorph._kernels import common as c
    from neuromorph._kernels import lanes
    from neuromorph.solve.failures import KERNEL, LANE

    codes = {name: getattr(c, name) for name in dir(c) if name.startswith("ERR_")}
    assert set(KERNEL) == set(codes.values())
    lane_codes = {getattr(lanes, name) for name in dir(lanes) if name.startswith("LANE_") and name != "LANES"}
    assert set(LANE) == lane_codes
    assert all(reason.code == code for code, reason in LANE.items())  # an ensemble's status is the stored code


# -- single runs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_a_fixed_step_run_reports_a_non_finite_state(method):
    with pytest.raises(nm.SimulationError) as info:
        nm.simulate(fast_filter_neuron(), 1000, i_app=0.5, method=method, dt=0.5)
    assert_failed(info.value, Failure.NON_FINITE)
    assert 0.0 < info.value.t < 1000


@pytest.mark.parametrize("method, dt", [("dopri5", None), ("rosenbrock23", None), ("rk4", 0.05)])
def test_a_state_without_a_restoring_leak_is_diverging(method, dt):
    with pytest.raises(nm.SimulationError) as info:
        nm.simulate(drifting_neuron(), 10_000, i_app=-5.0, method=method, dt=dt)
    assert_failed(info.value, Failure.DIVERGING)
    assert "(diverging)" in str(info.value)


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock23"])
def test_an_adaptive_step_below_the_resolution_of_time_underflows(method):
    """Near t = 1e12 doubles are 1e-4 apart: the steps a spike needs at tight tolerances cannot be taken."""
    t0 = 1e12 - 2000.0
    with pytest.raises(nm.SimulationError) as info:
        nm.simulate("bursting", t0 + 1000.0, t0=t0, i_app=-2.0, method=method, rtol=1e-12, atol=1e-12)
    assert_failed(info.value, Failure.STEP_UNDERFLOW)


@pytest.mark.parametrize("method, dt", [("dopri5", None), ("rosenbrock23", None), ("rk4", 0.05)])
def test_a_run_beyond_max_steps_is_too_many_steps(method, dt):
    with pytest.raises(nm.SimulationError) as info:
        nm.simulate("bursting", 5000, i_app=-2.0, method=method, dt=dt, max_steps=100)
    assert_failed(info.value, Failure.TOO_MANY_STEPS)
    assert "max_steps = 100" in str(info.value)


def test_a_singular_rosenbrock_matrix_is_a_solver_failure():
    """dV/dt = V has the Jacobian 1: a first step h0 = 1/gamma = 2 + sqrt(2) makes I - h gamma J exactly 0."""
    with pytest.raises(nm.SimulationError) as info:
        nm.simulate(unstable_linear_neuron(), 100, i_app=0.0, method="rosenbrock23", h0=2.0 + np.sqrt(2.0))
    assert_failed(info.value, Failure.SOLVER_FAILED)
    assert "singular" in str(info.value)


def test_a_run_that_reaches_its_end_is_a_success():
    res = nm.simulate("tonic", 200, i_app=-0.7)
    assert res.success and res.reason is Failure.OK and res.message == "success"
    run = nm.Integrator("tonic", i_app=-0.7)
    run.advance(100)
    assert run.result().success


@pytest.mark.parametrize("model, i_app, solver, reason", [
    (fast_filter_neuron(), 0.5, nm.get_solver("rk4", dt=0.5), Failure.NON_FINITE),
    (drifting_neuron(), -5.0, "dopri5", Failure.DIVERGING),
    (drifting_neuron(), -5.0, "rosenbrock23", Failure.DIVERGING),
])
def test_the_result_after_a_failed_advance_says_it_failed(model, i_app, solver, reason):
    run = nm.Integrator(model, i_app=i_app, solver=solver)
    with pytest.raises(nm.SimulationError) as info:
        run.advance(10_000)
    res = run.result()
    assert not res.success and res.reason is reason
    assert_failed(info.value, reason)
    assert res.message == str(info.value)
    assert res.t_end == info.value.t < 10_000
    assert f"failed: {reason.value}" in repr(res)


def test_the_result_after_too_many_steps_says_so_and_a_later_advance_succeeds():
    run = nm.Integrator("bursting", i_app=-2.0, max_steps=200)
    with pytest.raises(nm.SimulationError):
        run.advance(5000)
    assert run.result().reason is Failure.TOO_MANY_STEPS and not run.result().success
    run.max_steps = 50_000_000  # (raised: the run goes on from where it stopped)
    run.advance(5000)
    assert run.result().success and run.result().t_end == 5000


@pytest.mark.parametrize("solver", ["dopri5", nm.get_solver("rk4", dt=0.05)])
def test_the_result_of_an_interrupted_run_says_interrupted(solver):
    stop = threading.Event()
    run = nm.Integrator("bursting", i_app=-2.0, solver=solver, stop=stop)
    run.advance(100)
    stop.set()
    with pytest.raises(KeyboardInterrupt):
        run.advance(1e6)
    res = run.result()
    assert not res.success and res.reason is Failure.INTERRUPTED
    assert Failure.INTERRUPTED.explanation in res.message and res.t_end < 1e6


def test_the_result_of_a_run_stopped_by_ctrl_c_says_interrupted():
    from neuromorph._parallel import catch_interrupts, interrupted, stop_long_work

    run = nm.Integrator("bursting", i_app=-2.0, record=())
    with catch_interrupts():
        stop_long_work()  # as a Ctrl-C at the command line
        with pytest.raises(KeyboardInterrupt):
            run.advance(1e6)
    assert not interrupted()
    assert run.result().reason is Failure.INTERRUPTED and not run.result().success


def test_a_saved_result_keeps_its_reason(tmp_path):
    run = nm.Integrator(drifting_neuron(), i_app=-5.0)
    with pytest.raises(nm.SimulationError):
        run.advance(10_000)
    run.result().save(tmp_path / "r.npz")
    with np.load(tmp_path / "r.npz") as data:
        assert str(data["reason"]) == "diverging" and "grows without bound" in str(data["message"])
    nm.simulate("tonic", 100, i_app=-0.7).save(tmp_path / "ok.npz")
    with np.load(tmp_path / "ok.npz") as data:
        assert str(data["reason"]) == "ok" and str(data["message"]) == "success"


# -- ensemble lanes --------------------------------------------------------------------------------

def test_ensemble_lanes_report_non_finite_and_diverging_copies():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nm.NeuromorphWarning)
        filtered = nm.Ensemble(fast_filter_neuron(), params={"i_app": [0.5, 0.0]}).simulate(
            1000, dt=0.5, method="rk4", check_step=False)
    assert filtered.failures == {0: Failure.NON_FINITE} and filtered.failures[0] is Failure.NON_FINITE
    assert filtered.status.tolist() == [Failure.NON_FINITE.code, Failure.OK.code]
    drifting = nm.Ensemble(drifting_neuron(), params={"i_app": [-5.0, 0.0]}).simulate(2000, dt=0.05, method="rk4")
    assert drifting.failures[0] is Failure.DIVERGING
    assert drifting.status[0] == Failure.DIVERGING.code
    assert drifting.summary(0)["pattern"] == "diverging"


# -- studies ---------------------------------------------------------------------------------------

def _stored(ds):
    """Each member's reason read back from its stored code, checked against the stored text."""
    codes = ds["status"].values.ravel()
    reasons = [Failure.from_code(code) for code in codes]
    assert [r.value for r in reasons] == ds["reason"].values.ravel().tolist()
    return reasons


def test_a_study_of_the_ensemble_engine_stores_non_finite_and_diverging_members(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nm.NeuromorphWarning)
        # (dt = 0.05: within the twice the stability limit a study accepts, and still unstable)
        filtered = nm.run_study(nm.Study(fast_filter_neuron(), grid={"i_app": [0.5, 0.0]}, t_end=1000.0, dt=0.05,
                                         method="rk4"), out=tmp_path / "f.zarr")
    assert _stored(filtered) == [Failure.NON_FINITE, Failure.OK]
    assert nm.open_study(tmp_path / "f.zarr")["status"].values.ravel().tolist() == [1, 0]
    import zarr

    stored = zarr.open_group(str(tmp_path / "f.zarr"), mode="r")["status"].attrs
    assert stored["flag_meanings"].split()[:3] == ["ok", "non-finite_state", "diverging"]
    bursting = nm.preset("bursting")
    ds = nm.run_study(nm.Study(bursting, grid={"leak.g": [0.0, bursting.get("leak.g")]}, drive=-2.0, t_end=1000.0,
                               dt=0.05, method="rk4"))
    assert _stored(ds) == [Failure.DIVERGING, Failure.OK]


def test_a_study_of_single_runs_stores_diverging_and_too_many_steps():
    bursting = nm.preset("bursting")
    ds = nm.run_study(nm.Study(bursting, grid={"leak.g": [0.0, bursting.get("leak.g")]}, drive=-2.0, t_end=1000.0,
                               method="dopri5"))
    assert _stored(ds) == [Failure.DIVERGING, Failure.OK]
    ds = nm.run_study(nm.Study(bursting, grid={"i_app": [-2.0]}, t_end=5000.0, method="dopri5", max_steps=100))
    assert _stored(ds) == [Failure.TOO_MANY_STEPS]


# -- ngspice ---------------------------------------------------------------------------------------

def test_ngspice_reports_a_diverging_membrane():
    n = nm.preset("bursting")
    n.set("leak.g", 0.0)
    with pytest.raises(nm.SimulationError) as info:
        nm.spice_simulate(n, 300, i_app=-2.0)
    assert_failed(info.value, Failure.DIVERGING)
    assert str(info.value).startswith("ngspice run diverging at t = ")


def test_ngspice_failing_is_a_solver_failure():
    """A time unit of 1e-300 s gives ngspice a deck it cannot run."""
    with pytest.raises(nm.SimulationError) as info:
        nm.spice_simulate("bursting", 100, i_app=-2.0, time_unit=1e-300)
    assert_failed(info.value, Failure.SOLVER_FAILED)
    assert "ngspice" in str(info.value)


def test_a_spice_study_stores_the_members_reason():
    """Before the enum a spice member's failure was stored as "solver failed" whatever it was."""
    ds = nm.run_study(nm.Study("bursting", grid={"leak.g": [0.0]}, drive=-2.0, t_end=300.0, method="spice",
                               spice={"level": "behavioural"}))
    assert _stored(ds) == [Failure.DIVERGING]


def test_a_transistor_level_membrane_beyond_its_circuits_range_is_out_of_range():
    with pytest.raises(nm.SimulationError) as info:
        nm.spice_simulate("tonic", 300, i_app=5.0, level="transistor", max_step=0.2)
    assert info.value.reason is Failure.OUT_OF_RANGE and info.value.reason == "out of range"
    assert "beyond +-6" in str(info.value)

