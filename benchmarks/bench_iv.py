"""I-V curves of the bursting neuron on 1000 voltages (issue #3: <= 1 ms; the live tuner redraws
them on every slider move), resting voltage included.

Baseline: what one writes with NumPy and SciPy without the analytic structure: the four curves
evaluated element by element, conductances by central finite differences, the resting voltage
by scipy's brentq on the steady-state curve.

    python benchmarks/bench_iv.py
"""

import math

import numpy as np
from _common import fmt, interleaved_ratio, machine
from scipy.optimize import brentq

import neuromorph as nm

ELEMENTS = [(-2.0, 0.0, 0.0), (2.0, 0.0, 50.0), (-1.5, -1.5, 50.0), (1.5, -1.5, 2500.0)]
CUTS = {"fast": 0.0, "slow": 50.0, "ultraslow": 2500.0, "steady": math.inf}


def baseline(v, i_app):
    steady = lambda u: u + sum(a * math.tanh(u - d) for a, d, _ in ELEMENTS) - i_app  # noqa: E731
    v_rest = brentq(steady, -10.0, 10.0, xtol=1e-13)
    out = {}
    for name, cut in CUTS.items():
        def current(u):
            total = u.copy()
            for a, d, tau in ELEMENTS:
                total += a * np.tanh((u if tau <= cut else v_rest) - d)
            return total
        h = 1e-6
        out[name] = (current(v), (current(v + h) - current(v - h)) / (2 * h))
    return out


def main():
    n = nm.preset("bursting")
    v = np.linspace(-3.0, 3.0, 1000)
    ours = lambda: nm.iv_curves(n, v=v, i_app=-2.0)  # noqa: E731
    base = lambda: baseline(v, -2.0)  # noqa: E731
    ratio, t_ours, t_base = interleaved_ratio(ours, base, rounds=31, ours_per_round=10)
    iv = ours()
    ref = base()
    err = max(np.max(np.abs(iv.conductance(k) - ref[k][1])) for k in CUTS)
    print(f"machine: {machine()}")
    print("I-V curves (fast, slow, ultraslow, steady) + conductances + V_rest, bursting neuron, 1000 voltages")
    print(f"  baseline NumPy + finite differences + brentq : {fmt(t_base)}")
    print(f"  neuromorph iv_curves (analytic slopes)        : {fmt(t_ours)}   (target <= 1 ms)")
    print(f"  speed-up: {ratio:.1f} x; largest difference of the finite-difference slopes: {err:.1e}")


if __name__ == "__main__":
    main()
