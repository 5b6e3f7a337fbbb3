"""Networks of like neurons in vector lanes against the general field (issue 23).

The 10 000-neuron network of ``bench_network.py`` (10 inhibitory current synapses each): the vector field
alone (``_kernels.uniform.rhs_uniform`` against ``_kernels.field.rhs``, the best of 9 rounds of 50 calls,
same process), then whole RK4 runs at dt 0.05 (``Integrator.advance`` over ``--t-end``, warm) through the
lanes and through the general field (``UNIFORM_FROM`` raised for the latter), on 1 and on every numba thread,
in neuron-steps/s. Rounds alternate the two, and the ratio is printed per round.

    python benchmarks/bench_uniform.py [--rounds 3] [--t-end 50]
"""

import argparse
import time

import numba
import numpy as np
from _baselines_network import random_network
from _common import machine
from bench_network import build_ours

import neuromorph as nm
from neuromorph._kernels.field import rhs_call
from neuromorph._kernels.layout import scratch_size
from neuromorph._kernels.uniform import rhs_uniform, uniform_model, uniform_structure
from neuromorph.lower.problem import prepare
from neuromorph.solve import integrator


def best_call(fn, rounds=9, calls=50):
    best = np.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


def run_rate(model, lanes, threads, t_end):
    integrator.UNIFORM_FROM = 64 if lanes else 10 ** 9
    numba.set_num_threads(threads)
    integ = nm.Integrator(model, solver=nm.get_solver("rk4", dt=0.05), record=())
    integ.advance(1.0)
    t0 = time.perf_counter()
    integ.advance(1.0 + t_end)
    return model.n_neurons * t_end / 0.05 / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--t-end", type=float, default=50.0)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    model = build_ours(random_network(10_000, 10)).compile()
    problem = prepare(model)
    arrays = problem.arrays
    lanes = uniform_model(arrays, uniform_structure(arrays))
    y = problem.y0.copy()
    dy, tmp = np.zeros_like(y), np.zeros(scratch_size(arrays))
    general = lambda: rhs_call(arrays, problem.stim, 0.0, False, y, dy, tmp)  # noqa: E731
    laned = lambda: rhs_uniform(lanes, problem.stim, 0.0, False, y, dy, tmp)  # noqa: E731
    general(), laned()
    n = model.n_neurons
    for _ in range(args.rounds):
        g, u = best_call(general), best_call(laned)
        print(f"field: general {g / n * 1e9:5.1f} ns/neuron, lanes {u / n * 1e9:5.1f} ns/neuron: {g / u:.2f}x")
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        for lanes_first in (True, False):
            run_rate(model, lanes_first, threads, 1.0)  # (compile, caches)
        for _ in range(args.rounds):
            g, u = run_rate(model, False, threads, args.t_end), run_rate(model, True, threads, args.t_end)
            print(f"RK4 dt 0.05, {threads} thread(s): general {g:.3g}, lanes {u:.3g} neuron-steps/s: {u / g:.2f}x")


if __name__ == "__main__":
    main()
