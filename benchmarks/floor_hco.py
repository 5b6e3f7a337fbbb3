"""How fast can any DP5 integrate the HCO? A Dormand-Prince 5(4) written for this one model.

Issue #8 asks for the half-centre oscillator over t = 0..20000 at default tolerances to run
>= 200x faster than scipy's RK45 on the same 6-state vector field. This script measures the floor
that target meets: a DP5 specialised by hand to the HCO (the 6 states in local variables, every
constant inlined, libm's ``tanh``/``exp``, no output, no stimulus, no checks beyond the error
norm), with the same tolerances as ``neuromorph``'s defaults (rtol 1e-4, atol 1e-7, RMS norm) and
a standard controller (safety 0.9, factors 0.2..10). Then, in the same rounds: ``neuromorph``'s
``simulate`` (general kernel, every model from data) and the scipy baseline of
``bench_network.py``. Nothing here is part of the package.

    .venv/bin/python benchmarks/floor_hco.py [--rounds 9]
"""

import argparse
import math
import time

import numpy as np
from _baselines_network import HCO_G, HCO_I_APP, HCO_Y0, hco_baseline
from _common import machine, print_rounds
from numba import njit

import neuromorph as nm
from neuromorph._kernels.mathfn import exp as nm_exp
from neuromorph._kernels.mathfn import tanh as nm_tanh

# Dormand-Prince 5(4) (the HCO is autonomous: no nodes needed): stages, 5th-order weights, and error weights (5th - 4th order).
A21 = 1 / 5
A31, A32 = 3 / 40, 9 / 40
A41, A42, A43 = 44 / 45, -56 / 15, 32 / 9
A51, A52, A53, A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
A61, A62, A63, A64, A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
B1, B3, B4, B5, B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
E1, E3, E4, E5, E6, E7 = 71 / 57600, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40


def make_field(tanh, exp):
    """The HCO of shared/MODEL.md (as ``_baselines_network.hco_baseline_field``) with the given tanh and exp."""

    @njit(inline="always")
    def field(y, out):
        v1, s1, u1, v2, s2, u2 = y[0], y[1], y[2], y[3], y[4], y[5]
        syn1 = -HCO_G / (1.0 + exp(-2.0 * (s2 + 1.0)))
        syn2 = -HCO_G / (1.0 + exp(-2.0 * (s1 + 1.0)))
        out[0] = HCO_I_APP + syn1 - (v1 - 2.0 * tanh(v1) + 2.0 * tanh(s1) - 1.5 * tanh(s1 + 1.5) + 1.5 * tanh(u1 + 1.5))
        out[1] = (v1 - s1) / 50.0
        out[2] = (v1 - u1) / 2500.0
        out[3] = HCO_I_APP + syn2 - (v2 - 2.0 * tanh(v2) + 2.0 * tanh(s2) - 1.5 * tanh(s2 + 1.5) + 1.5 * tanh(u2 + 1.5))
        out[4] = (v2 - s2) / 50.0
        out[5] = (v2 - u2) / 2500.0

    return field


@njit(inline="always")
def _libm_tanh(x):
    return math.tanh(x)


@njit(inline="always")
def _libm_exp(x):
    return math.exp(x)


def make_dp5(field):
    """A DP5 for the HCO with the vector field ``field(y, out)`` inlined."""

    @njit
    def dp5_hco(y0, t_end, rtol, atol):
        """Returns (accepted steps, rejected steps, upward crossings of V = 0)."""
        y = y0.copy()
        k = np.empty((7, 6))
        k1, k2, k3, k4, k5, k6, k7 = k[0], k[1], k[2], k[3], k[4], k[5], k[6]
        ys = np.empty(6)
        yn = np.empty(6)
        field(y, k1)
        t = 0.0
        h = 0.1
        steps = rejected = spikes = 0
        while t < t_end:
            h = min(h, t_end - t)
            for i in range(6):
                ys[i] = y[i] + h * A21 * k1[i]
            field(ys, k2)
            for i in range(6):
                ys[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i])
            field(ys, k3)
            for i in range(6):
                ys[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
            field(ys, k4)
            for i in range(6):
                ys[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
            field(ys, k5)
            for i in range(6):
                ys[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i])
            field(ys, k6)
            for i in range(6):
                yn[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i])
            field(yn, k7)
            acc = 0.0
            for i in range(6):
                e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i])
                sc = atol + rtol * max(abs(y[i]), abs(yn[i]))
                acc += (e / sc) ** 2
            err = math.sqrt(acc / 6.0)
            if err <= 1.0:
                for n in (0, 3):
                    if y[n] < 0.0 <= yn[n]:
                        spikes += 1
                t += h
                for i in range(6):
                    y[i] = yn[i]
                    k1[i] = k7[i]
                steps += 1
                h *= min(10.0, max(0.2, 0.9 * err ** -0.2)) if err > 0.0 else 10.0
            else:
                rejected += 1
                h *= max(0.2, 0.9 * err ** -0.2)
        return steps, rejected, spikes

    return dp5_hco

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    y0 = np.array(HCO_Y0)
    hco = nm.preset("hco")
    dp5_libm = make_dp5(make_field(_libm_tanh, _libm_exp))
    dp5_ours = make_dp5(make_field(nm_tanh, nm_exp))
    steps, rejected, spikes = dp5_libm(y0, 20_000.0, 1e-4, 1e-7)
    assert dp5_ours(y0, 20_000.0, 1e-4, 1e-7)[2] == spikes
    res = hco.simulate(20_000)
    print(f"HCO, t = 0..20000, rtol 1e-4, atol 1e-7: hand-written DP5 {steps} steps ({rejected} rejected), "
          f"{spikes} spikes; neuromorph {res.stats.n_steps} steps ({res.stats.n_rejected} rejected), "
          f"{res.spike_times.size} spikes")
    runs = (("hand-written DP5, libm tanh/exp", lambda: dp5_libm(y0, 20_000.0, 1e-4, 1e-7), 5),
            ("hand-written DP5, neuromorph's tanh/exp", lambda: dp5_ours(y0, 20_000.0, 1e-4, 1e-7), 5),
            ("neuromorph simulate (defaults)", lambda: hco.simulate(20_000), 5),
            ("scipy RK45 baseline", hco_baseline, 1))
    rows = {label: [] for label, _, _ in runs}
    for _ in range(args.rounds):
        for label, run, reps in runs:
            t0 = time.perf_counter()
            for _ in range(reps):
                run()
            rows[label].append((time.perf_counter() - t0) / reps)
    print_rounds(rows, "scipy RK45 baseline")


if __name__ == "__main__":
    main()
