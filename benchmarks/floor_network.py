"""How fast can any RK4 integrate the 10 000-neuron benchmark network? An RK4 written for it alone.

Issue #8 asks for ``random_network(10_000, 10)`` (bursting neurons, 10 inhibitory current
synapses each), fixed-step RK4 at dt 0.05, to run at >= 1e7 neuron-steps/s on 2 cores and >= 5x
Brian2's C++ standalone mode. This script measures what a kernel specialised by hand to this one
network reaches: states as three arrays (V, slow, ultraslow), every constant of the bursting
neuron inlined, the synapses as a CSR list per postsynaptic neuron, one activation per neuron
and stage, neurons cut into one piece per thread (``prange``), neuromorph's vectorisable
``tanh``/``exp``, no output beyond a spike count. Then, in the same rounds, ``neuromorph``'s
general kernel on the same network (``Integrator.advance``, as ``bench_network.py`` times it).
Nothing here is part of the package.

    .venv/bin/python benchmarks/floor_network.py [--rounds 5] [--t-end 100]
"""

import argparse
import time

import numba
import numpy as np
from numba import njit, prange

import neuromorph as nm
from _baselines_network import random_network
from bench_network import build_ours, run_ours
from _common import machine
from neuromorph._kernels.mathfn import sigmoid, tanh

DT = 0.05


@njit(parallel=True, fastmath={"contract"}, error_model="numpy")
def _field(v, s, u, i_app, ptr, pre, w, act, dv, ds, du, parts):
    n = v.shape[0]
    for c in prange(parts):
        for i in range(c * n // parts, (c + 1) * n // parts):
            act[i] = sigmoid(2.0 * (s[i] + 1.0))
    for c in prange(parts):
        for i in range(c * n // parts, (c + 1) * n // parts):
            syn = 0.0
            for j in range(ptr[i], ptr[i + 1]):
                syn += w[j] * act[pre[j]]
            vi, si, ui = v[i], s[i], u[i]
            dv[i] = i_app[i] + syn - (vi - 2.0 * tanh(vi) + 2.0 * tanh(si) - 1.5 * tanh(si + 1.5)
                                      + 1.5 * tanh(ui + 1.5))
            ds[i] = (vi - si) / 50.0
            du[i] = (vi - ui) / 2500.0


@njit(parallel=True, fastmath={"contract"}, error_model="numpy")
def _stage(x, k, a, out, parts):
    n = x.shape[0]
    for c in prange(parts):
        for i in range(c * n // parts, (c + 1) * n // parts):
            out[i] = x[i] + a * k[i]


@njit(parallel=True, fastmath={"contract"}, error_model="numpy")
def _combine(x, k1, k2, k3, k4, h, parts):
    n = x.shape[0]
    for c in prange(parts):
        for i in range(c * n // parts, (c + 1) * n // parts):
            x[i] += h / 6.0 * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i])


@njit
def rk4_network(v, s, u, i_app, ptr, pre, w, n_steps, h, parts):
    """``n_steps`` RK4 steps in place; returns the number of upward crossings of V = 0."""
    n = v.shape[0]
    k = np.empty((4, 3, n))
    vs, ss, us = np.empty(n), np.empty(n), np.empty(n)
    act = np.empty(n)
    spikes = 0
    for _ in range(n_steps):
        _field(v, s, u, i_app, ptr, pre, w, act, k[0, 0], k[0, 1], k[0, 2], parts)
        for st in range(1, 4):
            a = h if st == 3 else 0.5 * h
            _stage(v, k[st - 1, 0], a, vs, parts)
            _stage(s, k[st - 1, 1], a, ss, parts)
            _stage(u, k[st - 1, 2], a, us, parts)
            _field(vs, ss, us, i_app, ptr, pre, w, act, k[st, 0], k[st, 1], k[st, 2], parts)
        for i in range(n):
            vs[i] = v[i]
        _combine(v, k[0, 0], k[1, 0], k[2, 0], k[3, 0], h, parts)
        _combine(s, k[0, 1], k[1, 1], k[2, 1], k[3, 1], h, parts)
        _combine(u, k[0, 2], k[1, 2], k[2, 2], k[3, 2], h, parts)
        for i in range(n):
            if vs[i] < 0.0 <= v[i]:
                spikes += 1
    return spikes


def run_floor(spec, t_end, threads):
    numba.set_num_threads(threads)
    n = spec["i_app"].size
    ptr = np.searchsorted(spec["post"], np.arange(n + 1)).astype(np.int64)
    w = spec["sign"] * spec["g"]
    v, s, u = spec["v0"].copy(), spec["slow0"].copy(), spec["ultraslow0"].copy()
    t0 = time.perf_counter()
    spikes = rk4_network(v, s, u, spec["i_app"], ptr, spec["pre"], w, round(t_end / DT), DT, threads)
    return time.perf_counter() - t0, spikes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--t-end", type=float, default=100.0)
    args = parser.parse_args()
    print(f"machine: {machine()}, numba threading layer {numba.config.THREADING_LAYER}")
    spec = random_network(10_000, 10)
    model = build_ours(spec).compile()
    run_floor(spec, 0.1, 2)
    run_ours(model, 0.1, 2)
    steps = spec["i_app"].size * round(args.t_end / DT)
    runs = {"hand-written RK4, 1 thread": lambda: run_floor(spec, args.t_end, 1),
            "hand-written RK4, 2 threads": lambda: run_floor(spec, args.t_end, 2),
            "neuromorph, 1 thread": lambda: run_ours(model, args.t_end, 1),
            "neuromorph, 2 threads": lambda: run_ours(model, args.t_end, 2)}
    rates = {label: [] for label in runs}
    spikes = {}
    for _ in range(args.rounds):
        for label, run in runs.items():
            seconds, spikes[label] = run()
            rates[label].append(steps / seconds)
    for label, values in rates.items():
        print(f"  {label:28s} {np.median(values):9.3g} neuron-steps/s  (spikes {spikes[label]})")
    print(f"  neuromorph / hand-written, 2 threads: "
          f"{np.median(rates['neuromorph, 2 threads']) / np.median(rates['hand-written RK4, 2 threads']):.2f}")


if __name__ == "__main__":
    main()
