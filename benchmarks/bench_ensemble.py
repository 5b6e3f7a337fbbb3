"""Fixed-step RK4 over many independent bursting neurons: neuron-steps per second.

Ours: ``neuromorph.Ensemble`` (SIMD lanes, threads over blocks), one thread and all cores.
Baseline: the same RK4 vectorised over neurons with NumPy arrays (what one would write without
a compiler). Same dt, same vector field, same number of neurons and steps.

    python benchmarks/bench_ensemble.py
"""

import os

import numpy as np

import neuromorph as nm
from _common import machine, median_time

N = 8192
DT = 0.05
T_END = 500.0


def numpy_rk4(y, i_app, n_steps, dt):
    def f(y):
        v, s, u = y
        current = v - 2 * np.tanh(v) + 2 * np.tanh(s) - 1.5 * np.tanh(s + 1.5) + 1.5 * np.tanh(u + 1.5)
        return np.stack([i_app - current, (v - s) / 50.0, (v - u) / 2500.0])

    for _ in range(n_steps):
        k1 = f(y)
        k2 = f(y + 0.5 * dt * k1)
        k3 = f(y + 0.5 * dt * k2)
        k4 = f(y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def main():
    neuron = nm.preset("bursting")
    ens = nm.Ensemble(neuron, params={"i_app": np.linspace(-2.5, -1.5, N)})
    n_steps = int(round(T_END / DT))
    work = N * n_steps
    y0 = np.repeat(neuron.initial_state()[:, None], N, axis=1)
    i_app = np.linspace(-2.5, -1.5, N)
    ens.simulate(10.0, dt=DT, n_threads=1)  # compile / load
    t_one, _, _ = median_time(lambda: ens.simulate(T_END, dt=DT, n_threads=1), repeats=7)
    cores = os.cpu_count() or 1
    t_all, _, _ = median_time(lambda: ens.simulate(T_END, dt=DT, n_threads=cores), repeats=7)
    base_steps = 200
    t_np, _, _ = median_time(lambda: numpy_rk4(y0, i_app, base_steps, DT), repeats=5)
    base_rate = N * base_steps / t_np
    print(f"machine: {machine()}")
    print(f"RK4, dt = {DT}, {N} bursting neurons (I_app spread over [-2.5, -1.5]), {n_steps} steps")
    print(f"  baseline NumPy-vectorised RK4 : {base_rate:10.3g} neuron-steps/s")
    print(f"  neuromorph, 1 thread          : {work / t_one:10.3g} neuron-steps/s   "
          f"(x{work / t_one / base_rate:5.1f}; target >= 1.5e7 per core)")
    print(f"  neuromorph, {cores} threads         : {work / t_all:10.3g} neuron-steps/s   "
          f"(x{work / t_all / base_rate:5.1f}; scaling x{t_one / t_all:4.2f})")


if __name__ == "__main__":
    main()
