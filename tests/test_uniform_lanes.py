"""A network of like neurons has them in vector lanes (``_kernels.uniform``): the same field as the general
one up to rounding, the same runs, its parameters followed when they change, and the same bits on threads."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neuromorph as nm
from neuromorph._kernels.field import rhs_call, scratch_size
from neuromorph._kernels.uniform import rhs_uniform, uniform_model, uniform_structure
from neuromorph.solve import integrator

ROOT = Path(__file__).resolve().parents[1]


def like_neurons(n=100, k=6, seed=2, gap=False, conductance=False, tonic=False):
    """``n`` bursting neurons (currents and starts spread), each receiving ``k`` inhibitory current synapses."""
    rng = np.random.default_rng(seed)
    net = nm.Network(name="like")
    for i in range(n):
        kind = nm.preset("tonic" if tonic and i == 3 else "bursting")
        net.add_neuron(f"n{i}", kind, i_app=float(rng.uniform(-2.2, -1.8)),
                       initial={"v": float(rng.uniform(-2.0, 0.5)), "slow": float(rng.uniform(-2.0, -1.5))})
    pre = [f"n{int(p)}" for p in rng.integers(0, n, n * k)]
    post = [f"n{i}" for i in range(n) for _ in range(k)]
    net.add_synapses(pre, post, g=rng.uniform(0.01, 0.05, n * k), sign=-1)
    if gap:
        net.add_gap_junction("n0", "n7", g=0.1)
    if conductance:
        net.add_synapse("n1", "n2", kind="conductance", g=0.03, e_syn=-2.5)
    return net


def test_like_neurons_with_current_synapses_have_a_lane_layout_and_others_do_not():
    layout = uniform_structure(like_neurons().compile().arrays)
    assert layout is not None
    n, s, t, lin, f, mem = layout.dims
    assert (n, s, t, lin, f, mem) == (100, 3, 4, 1, 2, 0)  # V, slow, ultraslow; 4 tanh terms, the leak, 2 filters
    assert np.all(np.diff(layout.sptr) == 6)
    for other in (like_neurons(gap=True), like_neurons(conductance=True)):
        assert uniform_structure(other.compile().arrays) is None


def test_the_lane_field_is_the_general_field_up_to_rounding():
    model = like_neurons().compile()
    m = model.arrays
    lanes = uniform_model(m, uniform_structure(m))
    stim = nm.Integrator(model).stim
    rng = np.random.default_rng(0)
    for _ in range(3):
        y = model.y0 + rng.normal(0.0, 0.7, model.y0.size)
        general, laned = np.zeros_like(y), np.zeros_like(y)
        rhs_call(m, stim, 1.0, False, y, general, np.zeros(scratch_size(m)))
        rhs_uniform(lanes, stim, 1.0, False, y, laned, np.zeros(scratch_size(m)))
        assert np.all(np.isfinite(general)) and np.max(np.abs(general)) > 0.1
        np.testing.assert_allclose(laned, general, rtol=0, atol=1e-13)


def _run(model, monkeypatch, lanes, change=None, t_end=300.0, **kw):
    monkeypatch.setattr(integrator, "UNIFORM_FROM", 64 if lanes else 10 ** 9)
    integ = nm.Integrator(model, solver=nm.get_solver(kw.pop("method", "rk4"), dt=0.05), record=("n5.v", "n9.slow"),
                          **kw)
    assert (integ._lanes is not None) == lanes
    integ.advance(t_end / 2)
    if change is not None:
        for path, value in change.items():
            integ.set_parameter(path, value)
    integ.advance(t_end)
    return integ.result()


@pytest.mark.parametrize("change", [None, {"n5.fast_negative.alpha": 2.4, "n9.i_app": -1.5, "n9.slow.tau": 30.0,
                                           "n5.leak.g": 1.2}])
def test_a_run_in_lanes_is_the_general_run(monkeypatch, change):
    """Spikes and traces agree to rounding; parameters changed mid-run (a gain, a current, a time constant,
    the leak) are followed by the lanes too, so the runs still agree, and differ from the unchanged run."""
    model = like_neurons().compile()
    general = _run(model, monkeypatch, False, change)
    laned = _run(model, monkeypatch, True, change)
    assert general.spike_times.size > 25
    assert laned.spike_times.size == general.spike_times.size
    np.testing.assert_allclose(laned.spike_times, general.spike_times, rtol=0, atol=1e-9)
    np.testing.assert_allclose(laned.y, general.y, rtol=0, atol=1e-9)
    if change is not None:
        unchanged = _run(model, monkeypatch, True)
        assert not np.allclose(unchanged.y[:, -1], laned.y[:, -1], atol=1e-3)


def test_a_synapse_changed_mid_run_is_followed_in_lanes(monkeypatch):
    net = like_neurons()
    change = {f"{net.connection_names[0]}.g": 0.4, f"{net.connection_names[-1]}.g": 0.0}
    model = net.compile()
    general = _run(model, monkeypatch, False, change)
    laned = _run(model, monkeypatch, True, change)
    np.testing.assert_allclose(laned.y, general.y, rtol=0, atol=1e-9)


@pytest.mark.parametrize("method, kw", [("sra1", dict(noise=nm.WhiteNoise(0.05), seed=4)), ("rk4", {})])
def test_lanes_on_threads_give_the_same_bits(monkeypatch, method, kw):
    """(RK4 on threads reads each stage's state inside the field, and ends its steps piece by piece.)"""
    model = like_neurons().compile()
    one = _run(model, monkeypatch, True, method=method, **kw)
    monkeypatch.setattr(integrator, "PARALLEL_FROM", 1)  # this network takes the large-model path
    threads = _run(model, monkeypatch, True, method=method, **kw)
    assert one.spike_times.size > 25
    np.testing.assert_array_equal(threads.spike_times, one.spike_times)
    np.testing.assert_array_equal(threads.spike_neurons, one.spike_neurons)
    np.testing.assert_array_equal(threads.y, one.y)


def test_a_runaway_in_lanes_on_threads_stops_where_it_does_on_one(monkeypatch):
    """A neuron left without its leak and driven hard diverges: found at the same step, with the same message."""
    model = like_neurons().compile()
    errors = []
    for parallel_from in (10 ** 9, 1):
        monkeypatch.setattr(integrator, "PARALLEL_FROM", parallel_from)
        integ = nm.Integrator(model, solver=nm.get_solver("rk4", dt=0.05), record=())
        integ.advance(50.0)
        integ.set_parameter("n5.leak.g", 0.0)
        integ.set_parameter("n5.i_app", -5.0)
        with pytest.raises(nm.SimulationError) as info:
            integ.advance(2000.0)
        errors.append(info.value)
    assert "'n5'" in str(errors[0]) and "diverging" in str(errors[0]) and 50.0 < errors[0].t < 2000.0
    assert (errors[1].t, str(errors[1])) == (errors[0].t, str(errors[0]))


def test_ten_thousand_neurons_with_ten_synapses_each_run():
    """Built, compiled and run in a fresh process, whose peak memory (Python objects included) stays
    within a budget linear in the synapses: ~4 kB per synapse over what the loaded kernels take (Python
    objects of the network description and the compile, most of it; the kernels' arrays take ~80 bytes)."""
    code = ("import resource, sys; sys.path.insert(0, 'tests')\n"
            "import neuromorph as nm\n"
            "from test_network import random_net, compiled_bytes\n"
            "random_net(600, 2).simulate(0.05, method='rk4', dt=0.05, record=())  # kernels loaded\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "net = random_net(10_000, 10); model = net.compile()\n"
            "res = net.simulate(5.0, method='rk4', dt=0.05, record=())\n"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(res.stats.n_steps, model.arrays.el_gain.size, compiled_bytes(model), (peak - base) * 1024)\n")
    # Last in this file, on one numba thread: the serial lanes kernel the tests above have compiled and cached (a
    # fresh process would otherwise compile it again, ~20 s, beside them); memory does not depend on threads.
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr
    steps, terms, arrays, grown = (int(x) for x in proc.stdout.split())
    assert steps == 100 and terms == 10_000 * 15
    assert arrays < 150 * 100_000 + 800 * 10_000  # the kernels' arrays: ~80 bytes per synapse
    assert grown < 4000 * 100_000
