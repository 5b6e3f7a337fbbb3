"""Method names: every entry point accepts or refuses a method as the solver registry says, in its words.

For each name and alias of :data:`neuromorph.solve.solvers.SOLVERS` and a few bad values, each
entry point is called on a short tonic run; the outcome must be what
:func:`neuromorph.solve.solvers.require` says for that entry point's engine (the method it
resolves to, or the very message of its refusal).
"""

import pytest

import neuromorph as nm
from neuromorph.errors import SolverError
from neuromorph.solve.solvers import SOLVERS, require

T_END = 5.0


def _simulate(method):
    return nm.simulate("tonic", T_END, method=method).method


def _integrator(method):
    return nm.Integrator("tonic", solver=method).solver.name


def _ensemble(method):
    nm.Ensemble("tonic", size=1).simulate(T_END, method=method, dt=0.05)


def _study(engine):
    return lambda method: nm.Study("tonic", method=method, engine=engine, t_end=T_END).method


def _behaviour_map(method):
    nm.behaviour_map("tonic", x=("i_app", -0.7, -0.7, 1), t_end=T_END, method=method, predict=False, n_threads=1,
                     progress=False)


def _reliability(method):
    return nm.reliability("tonic", -0.7, trials=1, t_end=T_END, dt=0.05, method=method, n_threads=1).settings["method"]


# entry point -> (call, engine, noise) it asks the registry about
ENTRY_POINTS = {
    "simulate": (_simulate, "single", False),
    "Integrator": (_integrator, "single", False),
    "Ensemble": (_ensemble, "ensemble", False),
    "Study": (_study(None), None, False),
    "Study(engine='ensemble')": (_study("ensemble"), "ensemble", False),
    "Study(engine='single')": (_study("single"), "single", False),
    "behaviour_map": (_behaviour_map, "single", False),
    "reliability": (_reliability, "ensemble", True),
}
METHOD_VALUES = sorted(SOLVERS) + ["RK4", "Sra", "garbage", "", None, 3]


def _expected(method, engine, noise):
    """``(canonical name, None)`` if the registry accepts ``method`` there, else ``(None, its message)``."""
    try:
        return require(method, engine, noise).name, None
    except SolverError as exc:
        return None, str(exc)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("method", METHOD_VALUES, ids=repr)
def test_every_entry_point_accepts_and_refuses_a_method_as_the_registry_says(entry, method):
    call, engine, noise = ENTRY_POINTS[entry]
    name, message = _expected(method, engine, noise)
    if message is not None:
        with pytest.raises(SolverError) as info:
            call(method)
        assert str(info.value) == message
    else:
        got = call(method)
        if got is not None:
            assert got == name


def test_the_registry_names_each_method_once_and_every_engine_has_a_default():
    names = [m.name for m in set(SOLVERS.values())]
    assert len(names) == len(set(names))
    for key, method in SOLVERS.items():
        assert key == key.lower() and (key == method.name or key in method.aliases)
    for engine in ("ensemble", "single", "spice"):
        assert engine in require(None, engine).engines
    assert require(None, "single").name == "dopri5" and require(None, "ensemble").name == "rk4"
    assert require(None, "single", noise=True).name == require(None, "ensemble", noise=True).name == "sra1"


def test_a_tight_tolerance_without_a_method_takes_dop853():
    """From TIGHT_RTOL down a single run without a named method is DOP853; a named method is kept, and
    ensembles and noisy runs are not concerned."""
    from neuromorph.solve.solvers import TIGHT_RTOL, get_solver

    assert get_solver(rtol=TIGHT_RTOL * 10).name == "dopri5" and get_solver(rtol=TIGHT_RTOL).name == "dop853"
    assert get_solver("dopri5", rtol=1e-9).name == "dopri5"
    run = nm.preset("tonic").simulate(100, -0.7, rtol=1e-8, atol=1e-10, record=())
    assert run.method == "dop853" and run.spike_times.size == 3
    assert get_solver(engine="ensemble").name == "rk4" and get_solver(noise=True).name == "sra1"
