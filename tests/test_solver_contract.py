"""The solver contract: each method knows its kernel, its work layout, its stability radius and its engines.

Every method of the registry states them (:class:`neuromorph.solve.solvers.Solver`); the work a
method asks for is exactly what its kernel uses (a run in buffers of exactly that size gives the
same bits, writes nothing beyond them and uses their last element);
the engines take their kernel and work from the solver; the two adaptive methods run through one
driver loop.
"""

import inspect

import numpy as np
import pytest
from scipy.optimize import brentq

import neuromorph as nm
from neuromorph._kernels import adaptive, lanes
from neuromorph._kernels.tableaus import DP5_A_F, DP5_B_F, DP8_A_F, DP8_B_F
from neuromorph.errors import SolverError
from neuromorph.solve import solvers
from neuromorph.solve.solvers import ENGINES, METHODS, require

NOISE = [nm.WhiteNoise(0.05), nm.OUProcess(0.0, 0.1, 10.0)]
GUARD = 64
SENTINELS = {np.dtype(np.float64): 1.2345e300, np.dtype(np.int64): -123456789}


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_every_method_states_its_kernel_work_stability_radius_and_engines(method):
    solver = method()
    arrays = nm.hco().compile().arrays
    assert solver.engines and set(solver.engines) <= set(ENGINES)
    assert solver.stability_radius is not None and solver.stability_radius > 0
    for engine in ENGINES:
        if engine not in solver.engines:  # refused with the registry's own words
            with pytest.raises(SolverError) as refused:
                require(method.name, engine)
            with pytest.raises(SolverError, match=f"^{refused.value}$".replace("(", r"\(").replace(")", r"\)")):
                solver.kernel(engine)
            continue
        kernel = solver.kernel(engine)
        if engine == "spice":
            assert kernel is None and solver.work(arrays, engine=engine) == ()
            continue
        assert callable(kernel) and hasattr(kernel, "py_func"), f"{solver.name}: {kernel!r} is not a numba kernel"
        work = solver.work(arrays, engine=engine)
        if engine == "single":
            sizes = solver.work_sizes(arrays)
            assert tuple(buffer.size for buffer in work) + (0,) * (2 - len(work)) == sizes
        else:
            assert isinstance(work, lanes.LaneWork)


def _stability_function(a, b):
    """``R(z) = 1 + z b^T (I - z A)^-1 1`` of the explicit Runge-Kutta method ``(a, b)``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return lambda z: 1.0 + z * b @ np.linalg.solve(np.eye(b.size) - z * a, np.ones(b.size))


EXPLICIT = {  # each method's deterministic step as a Butcher tableau
    "dopri5": (DP5_A_F, DP5_B_F),
    "dop853": (DP8_A_F[:12, :12], DP8_B_F),
    "rk4": ([[0, 0, 0, 0], [0.5, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 1, 0]], [1 / 6, 1 / 3, 1 / 3, 1 / 6]),
    "euler": ([[0]], [1]),
    "euler_maruyama": ([[0]], [1]),
    "sra1": ([[0, 0], [0.75, 0]], [1 / 3, 2 / 3]),
}


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_the_stability_radius_is_where_the_stability_function_leaves_the_unit_disc(method):
    if method.implicit:
        assert method.stability_radius == np.inf
        return
    r = _stability_function(*EXPLICIT[method.name])
    edge = brentq(lambda x: abs(r(-x)) - 1.0, 1.5, 5.0 if method.name != "dop853" else 6.6)
    assert method.stability_radius == pytest.approx(edge, rel=5e-3)


def _guarded_work(monkeypatch):
    """Make every solver's ``work`` hand out views of its buffers at the start of larger ones filled
    with a sentinel; returns the list of ``(larger buffer, size)``."""
    made = []

    def guarded(original):
        def work(self, arrays, noise=None, engine="single"):
            views = []
            for buffer in original(self, arrays, noise, engine):
                big = np.full(buffer.size + GUARD, SENTINELS[buffer.dtype], dtype=buffer.dtype)
                made.append((big, buffer.size))
                views.append(big[:buffer.size])
            return tuple(views)

        return work

    for cls in (solvers._Adaptive, solvers._Fixed):
        monkeypatch.setattr(cls, "work", guarded(cls.work))
    return made


def _run(method):
    options = {"dt": 0.05} if method in ("rk4", "euler", "sra1", "euler_maruyama") else {}
    noise = {"noise": NOISE, "seed": 3} if method in ("sra1", "euler_maruyama") else {}
    return nm.preset("hco").simulate(200, method=method, **options, **noise)


@pytest.mark.parametrize("method", [m.name for m in solvers.methods("single")])
def test_a_single_run_uses_exactly_the_work_its_solver_states(method, monkeypatch):
    plain = _run(method)
    with monkeypatch.context() as patch:
        made = _guarded_work(patch)
        exact = _run(method)
    assert made, "the run did not take its work from the solver"
    np.testing.assert_array_equal(exact.y, plain.y)
    np.testing.assert_array_equal(exact.spike_times, plain.spike_times)
    for big, size in made:
        assert np.all(big[size:] == SENTINELS[big.dtype]), f"{method} wrote past its {big.dtype} work of {size}"
        if size:  # and its last element is used: a buffer one shorter would not do
            assert big[size - 1] != SENTINELS[big.dtype], f"{method}: the last of {size} {big.dtype} is unused"


def test_an_ensemble_takes_its_kernel_and_work_from_the_solver(monkeypatch):
    asked = []
    original_kernel, original_work = solvers._Fixed.kernel, solvers._Fixed.work

    def kernel(self, engine="single", threads=1, uniform=False):
        asked.append(("kernel", engine))
        return original_kernel(self, engine, threads, uniform)

    def work(self, arrays, noise=None, engine="single"):
        asked.append(("work", engine))
        return original_work(self, arrays, noise, engine)

    monkeypatch.setattr(solvers._Fixed, "kernel", kernel)
    monkeypatch.setattr(solvers._Fixed, "work", work)
    nm.Ensemble("hco", size=3).simulate(t_end=20, dt=0.05, noise=NOISE, seed=1, method="sra1", n_threads=1)
    assert ("kernel", "ensemble") in asked and ("work", "ensemble") in asked


def test_the_adaptive_methods_run_through_one_driver():
    """Each adaptive kernel is one call of :func:`adaptive._adaptive_steps` with its own step attempt."""
    attempts = {}
    for method in (solvers.Dopri5, solvers.Dop853, solvers.Rosenbrock23):
        kernel = method().kernel()
        assert kernel is adaptive.KERNELS[method.kernel_id]
        body = [line.strip() for line in inspect.getsource(kernel.py_func).split('"""')[-1].splitlines() if line.strip()]
        assert body[0].startswith("return _adaptive_steps("), body
        names = kernel.py_func.__code__.co_names
        attempts[method.name] = [name for name in names if name.endswith("_attempt")]
        assert "_adaptive_steps" in names
    assert attempts == {"dopri5": ["_dp5_attempt"], "dop853": ["_dp8_attempt"], "rosenbrock23": ["_ros23_attempt"]}
    assert "while" not in inspect.getsource(adaptive.dopri5_run.py_func)
    assert "while" not in inspect.getsource(adaptive.rosenbrock23_run.py_func)
    assert "while" not in inspect.getsource(adaptive.dop853_run.py_func)
