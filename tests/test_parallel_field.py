"""The vector field cut into pieces (large models run them on numba's threads) gives the same
bits as in one piece, for any number of pieces, and so does a whole fixed-step run."""

import numba
import numpy as np
import pytest

import neuromorph as nm
from neuromorph._kernels.field import rhs_call, scratch_size
from neuromorph.solve import integrator


def random_network(n=40, k=3, seed=4):
    rng = np.random.default_rng(seed)
    net = nm.Network(name="pieces")
    kinds = [nm.preset("bursting"), nm.preset("tonic")]
    for i in range(n):
        net.add_neuron(f"n{i}", kinds[i % 2], i_app=float(rng.uniform(-2.2, -1.8)),
                       initial={"v": float(rng.uniform(-2.0, 0.5))})
    pre = [f"n{int(p)}" for p in rng.integers(0, n, n * k)]
    post = [f"n{i}" for i in range(n) for _ in range(k)]
    net.add_synapses(pre[: n * k // 2], post[: n * k // 2], g=0.05, tau=50.0)
    net.add_synapses(pre[n * k // 2:], post[n * k // 2:], kind="conductance", g=0.03, e_syn=-2.5, tau=20.0)
    net.add_gap_junction("n0", "n7", g=0.1)
    return net


def test_the_field_in_any_number_of_pieces_is_the_same_bits():
    model = random_network().compile()
    m = model.arrays
    rng = np.random.default_rng(0)
    y = model.y0 + rng.normal(0.0, 0.5, model.y0.size)
    stim = nm.Integrator(model).stim
    results = []
    for parts in (1, 3, 7, 40):
        dy = np.zeros_like(y)
        rhs_call(m._replace(chunks=np.array([parts])), stim, 1.0, False, y, dy, np.zeros(scratch_size(m)))
        results.append(dy)
    assert np.all(np.isfinite(results[0])) and np.any(results[0] != 0.0)
    for dy in results[1:]:
        np.testing.assert_array_equal(dy, results[0])


@pytest.mark.parametrize("method, noise", [("rk4", None), ("euler", None), ("sra1", nm.WhiteNoise(0.05)),
                                           ("euler_maruyama", [nm.WhiteNoise(0.05), nm.OUProcess(0.0, 0.1, 10.0)])])
def test_a_fixed_step_run_on_threads_is_the_same_bits_as_in_one_piece(monkeypatch, method, noise):
    """Noisy runs too: the same seed gives the same bits on one thread and on all of them."""
    model = random_network().compile()
    kw = dict(method=method, dt=0.05, noise=noise, seed=None if noise is None else 12)
    serial = nm.simulate(model, 200.0, **kw)
    monkeypatch.setattr(integrator, "PARALLEL_FROM", 1)  # this small model takes the large-model path
    integ = nm.Integrator(model, solver=nm.get_solver(method, dt=0.05))
    assert integ.arrays.chunks[0] == numba.get_num_threads()  # one piece per thread (2 on CI)
    parallel = nm.simulate(model, 200.0, **kw)
    assert serial.spike_times.size > 0
    np.testing.assert_array_equal(parallel.spike_times, serial.spike_times)
    np.testing.assert_array_equal(parallel.y, serial.y)


def test_a_large_model_without_numba_threads_runs_on_one_with_a_warning(monkeypatch):
    """A machine whose numba has no threading layer that loads (no TBB, no OpenMP) still runs a large model: on
    the serial kernel, the same bits, and says why."""
    model = random_network().compile()
    serial = nm.simulate(model, 100.0, method="rk4", dt=0.05)
    monkeypatch.setattr(integrator, "PARALLEL_FROM", 1)
    monkeypatch.setattr(integrator, "threads_start", lambda: "No threading layer could be loaded.")
    with pytest.warns(nm.NeuromorphWarning, match="threads do not start .No threading layer could be loaded"):
        integ = nm.Integrator(model, solver=nm.get_solver("rk4", dt=0.05))
    assert integ.arrays.chunks[0] == 1
    integ.advance(100.0)
    np.testing.assert_array_equal(integ.result().y[:, -1], serial.y[:, -1])
