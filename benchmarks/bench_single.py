"""One bursting neuron over 10 000 time units with default tolerances, against the usual baseline.

Baseline: scipy ``solve_ivp`` RK45 (rtol 1e-3, atol 1e-6) on the same vector field written in plain
Python, which is what reference code for these models does. Ours: ``neuromorph.simulate`` with
its defaults (DP5, rtol 1e-6, atol 1e-9: 1000x tighter), the whole call including result building.

    python benchmarks/bench_single.py
"""

import math

from _common import fmt, interleaved_ratio, machine
from scipy.integrate import solve_ivp

import neuromorph as nm


def baseline_field(t, y):
    v, slow, ultraslow = y
    current = v - 2 * math.tanh(v) + 2 * math.tanh(slow) - 1.5 * math.tanh(slow + 1.5) + 1.5 * math.tanh(ultraslow + 1.5)
    return [-2.0 - current, (v - slow) / 50.0, (v - ultraslow) / 2500.0]


def main():
    neuron = nm.preset("bursting")
    y0 = neuron.initial_state()
    base = lambda: solve_ivp(baseline_field, (0, 10_000), y0, method="RK45", rtol=1e-3, atol=1e-6)  # noqa: E731
    ref = base()
    res = neuron.simulate(10_000, -2.0)
    print(f"machine: {machine()}")
    print(f"bursting preset, t = 0..10000, I_app = -2 ({res.spike_times.size} spikes); "
          f"baseline: scipy RK45 rtol 1e-3 on a plain-Python vector field ({ref.t.size - 1} steps)")
    print("ratios are medians of per-round ratios (ours and baseline timed back to back each round)")
    rows = [("defaults", {})] + [(f"rtol {r:.0e}", {"rtol": r, "atol": r * 1e-3}) for r in (1e-6, 1e-5, 1e-4)]
    for label, options in rows:
        run = lambda: neuron.simulate(10_000, -2.0, **options)  # noqa: E731
        steps = run().stats.n_steps
        ratio, t_ours, t_base = interleaved_ratio(run, base)
        print(f"  neuromorph dopri5 {label:10s}: {fmt(t_ours)} ({steps:5d} steps)  baseline {fmt(t_base)}  "
              f"speed-up {ratio:6.1f} x")
    print("target: >= 100 x with default tolerances (<= 1.5 ms per call on the reference machine)")


if __name__ == "__main__":
    main()
