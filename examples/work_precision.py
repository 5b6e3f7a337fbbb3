"""
Choosing a solver by the accuracy you need
==========================================

How long does a run take to put the bursting neuron's spikes within a given error? Each method is
swept over its tolerance (or step), and every run's spikes are compared with a reference: scipy's
DOP853 at ``rtol = 1e-12`` on the vector field written out from the model's equations, independent of
neuromorph's kernels. The plot is a *work-precision diagram*: time against the largest spike-time
error over 10 000 time units (28 spikes).

``dopri5`` (the default) is the fastest down to errors of about 1e-3; from about 1e-4 down ``dop853``,
Dormand & Prince's 8th-order pair, takes fewer steps than it costs in evaluations, and a run given
``rtol`` of 1e-6 or less and no method takes it. Fixed-step ``rk4`` pays for steps small enough for the
spikes everywhere, also where the neuron rests. ``benchmarks/work_precision.py`` draws the same
diagrams with scipy's methods beside ours.

Run it as a script (writes examples/figures/work_precision.png)::

    python examples/work_precision.py
"""

import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import neuromorph as nm  # noqa: E402

T_END, I_APP = 10_000.0, -2.0


def field(t, y):
    """The bursting neuron (MODEL.md): C dV/dt = I - [V - 2 tanh V + 2 tanh Vs - 1.5 tanh(Vs + 1.5)
    + 1.5 tanh(Vus + 1.5)], tau_s = 50, tau_us = 2500."""
    v, s, u = y
    current = v - 2.0 * math.tanh(v) + 2.0 * math.tanh(s) - 1.5 * math.tanh(s + 1.5) + 1.5 * math.tanh(u + 1.5)
    return [I_APP - current, (v - s) / 50.0, (v - u) / 2500.0]


def upward_zero(t, y):
    return y[0]


upward_zero.direction = 1
reference = solve_ivp(field, (0.0, T_END), [-1.9, -1.8, -1.8], method="DOP853", rtol=1e-12, atol=1e-14,
                      events=upward_zero).t_events[0]
print(f"reference: {reference.size} spikes")

neuron = nm.preset("bursting")


def measure(**options):
    """Best of five warm runs, and the largest spike-time error (inf if a spike is missing or extra)."""
    neuron.simulate(T_END, I_APP, record=(), **options)  # (compiles on a first run)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        run = neuron.simulate(T_END, I_APP, record=(), **options)
        best = min(best, time.perf_counter() - start)
    spikes = run.spike_times
    error = np.max(np.abs(spikes - reference)) if spikes.size == reference.size else math.inf
    return best, error


sweeps = {
    "dopri5": [dict(method="dopri5", rtol=r, atol=r / 100) for r in (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)],
    "dop853": [dict(method="dop853", rtol=r, atol=r / 100) for r in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)],
    "rk4": [dict(method="rk4", dt=dt) for dt in (0.2, 0.1, 0.05, 0.025)],
}
fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
for name, runs in sweeps.items():
    points = [measure(**options) for options in runs]
    for options, (seconds, error) in zip(runs, points):
        setting = options.get("rtol", options.get("dt"))
        print(f"{name:7s} {'rtol' if 'rtol' in options else 'dt':4s} {setting:8.2g}: {seconds * 1e3:7.2f} ms, "
              f"error {error:.1e}")
    shown = [(error, seconds) for seconds, error in points if math.isfinite(error)]
    ax.loglog(*zip(*shown), "o-", label=name)
ax.set_xlabel("largest spike-time error (time units)")
ax.set_ylabel("time of a run (s)")
ax.set_title(f"The bursting neuron over {T_END:g} time units: time against accuracy", fontsize=10)
ax.invert_xaxis()
ax.legend()
out = Path(__file__).resolve().parent / "figures" / "work_precision.png"
out.parent.mkdir(exist_ok=True)
fig.savefig(out, dpi=110)
print(f"wrote {out}")
