"""lower.problem: one prepared, ready-to-run problem; the engines build it through prepare() (or take one) and do not
go back to lowering while they run."""

import contextlib
import functools
import importlib
import inspect

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.lower import problem as problem_module
from neuromorph.lower.problem import Problem, applied_currents, prepare, prepare_copies

LOWER = ("neuromorph.lower.compile", "neuromorph.lower.noise", "neuromorph.lower.problem")
# Where lower/ functions are looked up at run time: its own modules (in-function imports read these) and the
# modules that hold references bound at import.
NAMESPACES = LOWER + ("neuromorph.solve.integrator", "neuromorph.solve.ensemble", "neuromorph.solve.stability")
PROBLEM_METHODS = ("bounds", "jacobian", "divergence", "extend_stimulus")


@contextlib.contextmanager
def calls_into_lower(monkeypatch):
    """Record every call into a lower/ function made from outside lower/ (a call lower/ makes inside itself is not
    recorded): ``names`` (a list) while the block runs and ``recording`` is set."""
    names, depth, state = [], [0], {"recording": False}

    def counted(fn, name):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if depth[0] == 0 and state["recording"]:
                names.append(name)
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1

        return wrapper

    wrapped = {}
    for module_name in NAMESPACES:
        module = importlib.import_module(module_name)
        for attr, value in list(vars(module).items()):
            if inspect.isfunction(value) and value.__module__ in LOWER:
                wrapper = wrapped.setdefault(value, counted(value, value.__name__))
                monkeypatch.setattr(module, attr, wrapper)
    for method in PROBLEM_METHODS:
        monkeypatch.setattr(Problem, method, counted(getattr(Problem, method), f"Problem.{method}"))
    yield names, state


def test_the_recorder_sees_a_call_into_lower(monkeypatch):
    """(The check below would notice a run that reached into lower/: a direct call is recorded, a nested one not.)"""
    with calls_into_lower(monkeypatch) as (names, state):
        state["recording"] = True
        from neuromorph.lower import noise

        problem = problem_module.prepare("bursting", noise=nm.WhiteNoise(0.1), seed=1)
        noise.noise_scale(problem.model, problem.noise)
    assert names == ["prepare", "noise_scale"]


def test_prepare_gives_the_arrays_and_initial_state_a_run_starts_from():
    noise = [nm.WhiteNoise(0.05), nm.OUProcess(tau=20.0, sigma=0.2)]
    i_app = -2.0 + nm.Pulse(100.0, 200.0, -0.5)
    problem = prepare("bursting", i_app=i_app, noise=noise, seed=3, trial=2, chip=1)
    run = nm.Integrator("bursting", i_app=i_app, solver="sra1", noise=noise, seed=3, trial=2, chip=1)
    assert run.problem is not problem
    for name in problem.arrays._fields:
        assert np.array_equal(getattr(run.arrays, name), getattr(problem.arrays, name)), name
    assert np.array_equal(run.y, problem.y0) and run.y.dtype == problem.y0.dtype and run.y.flags.c_contiguous
    assert run.y.size == run.model.n_states + 1  # the OU state follows the model's
    assert np.array_equal(run.armed, problem.armed) and run.armed.dtype == np.int64
    for name in problem.noise._fields:
        assert np.array_equal(getattr(run.noise, name), getattr(problem.noise, name)), name
    assert problem.arrays.i_bias.tolist() == [-2.0] and problem.model.arrays.i_bias.tolist() == [0.0]
    bias, stimuli = applied_currents(problem.model, i_app)
    assert bias.tolist() == [-2.0] and tuple(stimuli) == problem.stimuli
    assert np.array_equal(run.stim.a, problem.stim.a) and np.array_equal(run.stim.t, problem.stim.t)


def test_prepare_validates_as_the_integrator_did():
    with pytest.raises(nm.SolverError, match="a noisy run needs a `seed`"):
        prepare("bursting", noise=nm.WhiteNoise(0.1))
    with pytest.raises(nm.SolverError, match=r"`y0` must have 3 values \(v, slow, ultraslow\), got 2"):
        prepare("bursting", y0=[0.0, 1.0])
    with pytest.raises(nm.SolverError, match="`trial` and `chip` must be < 2\\*\\*32"):
        prepare("bursting", noise=nm.WhiteNoise(0.1), seed=1, trial=2 ** 32)
    with pytest.raises(nm.StimulusError, match="a sequence of 2 values for a single neuron"):
        prepare("bursting", i_app=[1.0, 2.0])
    assert prepare("bursting", params={"i_app": -1.5}).arrays.i_bias.tolist() == [-1.5]


def _noisy_run(model_or_problem, **given):
    run = nm.Integrator(model_or_problem, solver="sra1", **given)
    run.advance(300.0)
    run.set_parameter("slow_negative.alpha", -1.2)
    run.set_parameter("i_app", -1.8)
    run.advance(700.0)
    return run.result()


def test_an_integrator_given_a_problem_gives_the_bits_of_one_given_the_model():
    setup = dict(i_app=-2.0 + nm.OUProcess(tau=50.0, sigma=0.1, seed=4), noise=nm.WhiteNoise(0.05), seed=7, trial=1)
    by_model = _noisy_run("bursting", **setup)
    problem = prepare("bursting", **setup)
    first = _noisy_run(problem)
    again = _noisy_run(problem)  # a problem starts any number of runs: the first one's changes stay its own
    for res in (first, again):
        assert np.array_equal(res.t, by_model.t) and np.array_equal(res.y, by_model.y)
        assert np.array_equal(res.spike_times, by_model.spike_times)
    assert problem.arrays.i_bias.tolist() == [-2.0]
    assert problem.arrays.el_gain is problem.model.arrays.el_gain


def test_an_integrator_given_a_problem_refuses_what_the_problem_already_holds():
    problem = prepare("bursting", i_app=-2.0)
    with pytest.raises(nm.SolverError, match=r"give i_app, seed, trial to prepare\(\), not to the Integrator"):
        nm.Integrator(problem, i_app=-1.0, seed=2, trial=1)


@pytest.mark.parametrize("method", ["dopri5", "sra1"])
def test_a_run_does_not_go_back_to_lowering_while_it_advances(monkeypatch, method):
    """Between the prepared problem and the result, a run asks only its Problem (bounds after a change, longer
    stimulus tables); nothing is lowered again, whatever changes between advances."""
    noisy = method == "sra1"
    run = nm.Integrator("bursting", i_app=-2.0 + nm.OUProcess(tau=50.0, sigma=0.1, seed=4), solver=method,
                        noise=nm.WhiteNoise(0.05) if noisy else None, seed=1 if noisy else None)
    with calls_into_lower(monkeypatch) as (names, state):
        state["recording"] = True
        run.advance(200.0)
        state["recording"] = False
        run.set_parameter("slow_negative.alpha", -1.2)  # (checked against the model's parameter table, between runs)
        state["recording"] = True
        run.advance(600.0)
    assert set(names) <= {f"Problem.{m}" for m in PROBLEM_METHODS}, names
    assert names.count("Problem.bounds") >= 2  # (at the start, and again after the change)
    assert "Problem.extend_stimulus" in names


def test_an_ensemble_prepares_its_copies_in_one_call(monkeypatch):
    ens = nm.Ensemble("bursting", params={"i_app": [-2.5, -2.0, -1.5]})
    with calls_into_lower(monkeypatch) as (names, state):
        state["recording"] = True
        res = ens.simulate(200.0, dt=0.05, method="sra1", noise=nm.OUProcess(tau=10.0, sigma=0.1), seed=2,
                           mismatch={"gain": 0.05}, chips=[0, 1, 1], check_step=False)
    assert names == ["prepare_copies"]
    assert not res.failed.any()


def test_prepare_copies_matches_a_single_run_per_copy():
    """Copy i starts where a single run with that trial and chip starts (its OU state drawn the same)."""
    ens = nm.Ensemble("bursting", size=3)
    noise = nm.OUProcess(tau=10.0, sigma=0.1)
    copies = prepare_copies(ens.model, ens.per_copy, i_app=-2.0, noise=noise, seed=5, trials=[0, 4, 9], chips=[1, 1, 2],
                            horizon=100.0)
    for i, (trial, chip) in enumerate([(0, 1), (4, 1), (9, 2)]):
        single = prepare("bursting", i_app=-2.0, noise=noise, seed=5, trial=trial, chip=chip)
        assert np.array_equal(copies.y[:, i], single.y0)
        assert copies.armed[:, i].tolist() == single.armed.tolist()
    assert copies.trials.dtype == np.uint64 and copies.bounds.shape == (1, 3)
    with pytest.raises(nm.SolverError, match=r"`chips` must be integers in \[0, 2\*\*32\), one per copy \(3\)"):
        prepare_copies(ens.model, ens.per_copy, chips=[-1, 0, 0])


def test_a_preset_given_to_simulate_is_read_and_compiled_once(monkeypatch):
    from neuromorph.io import circuits

    reads = []
    load = circuits.load
    monkeypatch.setattr(circuits, "load", lambda path: reads.append(path) or load(path))
    nm.simulate("bursting", 50.0, -2.0, dt_out=1.0, record=("v",))
    assert len(reads) == 1


def test_a_circuit_file_is_a_model_wherever_a_preset_name_is():
    path = str(nm.circuits_dir() / "bursting.toml")
    by_file = nm.simulate(path, 300.0, -2.0)
    by_name = nm.simulate("bursting", 300.0, -2.0)
    assert np.array_equal(by_file.y, by_name.y) and np.array_equal(by_file.spike_times, by_name.spike_times)
    assert nm.hco(path).node_names == nm.hco("bursting").node_names


def test_applied_currents_still_imports_from_the_integrator():
    from neuromorph.solve.integrator import applied_currents as old_home

    assert old_home is problem_module.applied_currents
