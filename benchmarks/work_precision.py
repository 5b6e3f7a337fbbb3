"""Work-precision: time against spike-time error for every method over its tolerance or step (issue 23).

Workloads (shared/MODEL.md):

- W1: the bursting neuron at I_app = -2, t = 0..10 000;
- W2: the half-centre oscillator (two bursting neurons, mutual inhibition g = 0.2), t = 0..20 000.

Error: the largest spike-time error over every spike of a reference (scipy DOP853, rtol 1e-12, atol 1e-14, on a
plain-NumPy vector field written from MODEL.md, spikes as its located upward V = 0 crossings); a run whose spike
count differs has infinite error. Time: the minimum of ``--repeats`` warm runs (of at least 10 for ours, which take
milliseconds; compile time apart: the first call of each of our methods is not timed).

Ours: ``Neuron.simulate`` / ``Network.simulate`` with the adaptive Dormand-Prince pairs (``dopri5``, ``dop853``)
and the Rosenbrock 2(3) method over rtol, and RK4 over its step. Theirs: scipy ``solve_ivp`` RK45, DOP853, LSODA
and Radau over the same rtol (1e-3 to 1e-10 in half decades; atol = rtol / 100 on both sides) on the same vector
field in plain Python, spikes by its event location. A scipy run slower than ``--budget`` seconds ends that
method's sweep.

For every error level from 1e-1 to 1e-6, the time of the fastest run of each side whose error is at most that
level, and their ratio (the issue's target: at least 100x).

    python benchmarks/work_precision.py [--workloads W1 W2] [--repeats 3] [--budget 20] [--plot DIR]
"""

import argparse
import math
import time

import numpy as np
from _baselines_network import HCO_G, HCO_I_APP, HCO_Y0
from _common import machine
from scipy.integrate import solve_ivp

import neuromorph as nm

BURSTING_Y0 = (-1.9, -1.8, -1.8)  # V, slow, ultraslow (MODEL.md)
RTOLS = tuple(float(f"{10 ** (-k / 2):.3g}") for k in range(6, 21))  # 1e-3, 3.16e-4, ..., 1e-10: both sides alike


def bursting_field(t, y):
    """MODEL.md's bursting neuron: C dV/dt = I_app - [V - 2 tanh V + 2 tanh V_s - 1.5 tanh(V_s + 1.5)
    + 1.5 tanh(V_us + 1.5)], tau_s = 50, tau_us = 2500."""
    v, s, u = y
    current = v - 2.0 * math.tanh(v) + 2.0 * math.tanh(s) - 1.5 * math.tanh(s + 1.5) + 1.5 * math.tanh(u + 1.5)
    return [-2.0 - current, (v - s) / 50.0, (v - u) / 2500.0]


def hco_field(t, y):
    """MODEL.md's HCO: each neuron as above plus -g sigma(2 (V_s,pre + 1))."""
    v1, s1, u1, v2, s2, u2 = y
    syn1 = -HCO_G / (1.0 + math.exp(-2.0 * (s2 + 1.0)))
    syn2 = -HCO_G / (1.0 + math.exp(-2.0 * (s1 + 1.0)))
    c1 = v1 - 2 * math.tanh(v1) + 2 * math.tanh(s1) - 1.5 * math.tanh(s1 + 1.5) + 1.5 * math.tanh(u1 + 1.5)
    c2 = v2 - 2 * math.tanh(v2) + 2 * math.tanh(s2) - 1.5 * math.tanh(s2 + 1.5) + 1.5 * math.tanh(u2 + 1.5)
    return [HCO_I_APP + syn1 - c1, (v1 - s1) / 50.0, (v1 - u1) / 2500.0,
            HCO_I_APP + syn2 - c2, (v2 - s2) / 50.0, (v2 - u2) / 2500.0]


BURSTER, HCO = nm.preset("bursting"), nm.hco()  # built once: what is timed is the run, not reading a preset
WORKLOADS = {
    "W1": dict(field=bursting_field, y0=BURSTING_Y0, t_end=10_000.0, neurons=1,
               ours=lambda **kw: BURSTER.simulate(10_000.0, i_app=-2.0, record=(), **kw)),
    "W2": dict(field=hco_field, y0=HCO_Y0, t_end=20_000.0, neurons=2,
               ours=lambda **kw: HCO.simulate(20_000.0, record=(), **kw)),
}


def scipy_spikes(field, y0, t_end, neurons, method, rtol, atol):
    """Each neuron's upward V = 0 crossings located by solve_ivp's events."""
    events = []
    for k in range(neurons):
        event = (lambda k: lambda t, y: y[3 * k])(k)
        event.direction = 1
        events.append(event)
    sol = solve_ivp(field, (0.0, t_end), y0, method=method, rtol=rtol, atol=atol, events=events)
    if sol.status != 0:
        raise RuntimeError(f"{method} at rtol {rtol:g}: {sol.message}")
    return [np.asarray(x) for x in sol.t_events]


def our_spikes(run, neurons):
    return [np.asarray(run.spikes_of(k)) for k in range(neurons)]


def error(spikes, reference):
    """The largest spike-time error over every reference spike; inf if any neuron's count differs."""
    worst = 0.0
    for got, ref in zip(spikes, reference):
        if got.size != ref.size:
            return math.inf
        if ref.size:
            worst = max(worst, float(np.max(np.abs(got - ref))))
    return worst


def timed(fn, repeats):
    best, out = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def sweep(name, repeats, budget, ours_only=False):
    w = WORKLOADS[name]
    reference = scipy_spikes(w["field"], w["y0"], w["t_end"], w["neurons"], "DOP853", 1e-12, 1e-14)
    rows = []  # (side, method, setting, seconds, error)
    for method in ("dopri5", "dop853", "rosenbrock23"):
        for rtol in RTOLS:
            fn = lambda: w["ours"](method=method, rtol=rtol, atol=rtol / 100)  # noqa: E731
            fn()  # (compile, caches)
            seconds, run = timed(fn, max(10, repeats))  # (milliseconds each: the minimum of many is steadier)
            rows.append(("ours", method, f"rtol {rtol:g}", seconds, error(our_spikes(run, w["neurons"]), reference)))
            print(f"  {name} ours {method:10s} rtol {rtol:8.3g}: {seconds * 1e3:9.2f} ms  error {rows[-1][4]:.2e}",
                  flush=True)
    for dt in (0.4, 0.2, 0.1, 0.05, 0.025, 0.0125):
        fn = lambda: w["ours"](method="rk4", dt=dt)  # noqa: E731
        fn()
        seconds, run = timed(fn, max(10, repeats))
        rows.append(("ours", "rk4", f"dt {dt:g}", seconds, error(our_spikes(run, w["neurons"]), reference)))
        print(f"  {name} ours rk4        dt {dt:6g}: {seconds * 1e3:9.2f} ms  error {rows[-1][4]:.2e}", flush=True)
    for method in () if ours_only else ("RK45", "DOP853", "LSODA", "Radau"):
        for rtol in RTOLS:
            fn = lambda: scipy_spikes(w["field"], w["y0"], w["t_end"], w["neurons"], method, rtol,  # noqa: E731
                                      rtol / 100)
            seconds, spikes = timed(fn, 1 if method == "Radau" else max(1, repeats // 2))
            rows.append(("scipy", method, f"rtol {rtol:g}", seconds, error(spikes, reference)))
            print(f"  {name} scipy {method:7s} rtol {rtol:8.3g}: {seconds * 1e3:9.1f} ms  error {rows[-1][4]:.2e}",
                  flush=True)
            if seconds > budget:
                break
    return rows


def fronts(rows):
    """For each error level, the fastest run of each side within it and the ratio."""
    out = []
    for level in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        best = {}
        for side in ("ours", "scipy"):
            within = [(s, m, k) for sd, m, k, s, e in rows if sd == side and e <= level]
            best[side] = min(within) if within else None
        out.append((level, best["ours"], best["scipy"]))
    return out


def plot(name, rows, folder):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    methods = sorted({(side, m) for side, m, *_ in rows})
    for side, method in methods:
        pts = [(e, s) for sd, m, _, s, e in rows if (sd, m) == (side, method) and math.isfinite(e) and e > 0]
        if pts:
            e, s = zip(*pts)
            ax.loglog(e, s, "o-" if side == "ours" else "s--", label=f"{side}: {method}")
    ax.set_xlabel("largest spike-time error")
    ax.set_ylabel("time (s), best of warm runs")
    ax.set_title(f"{name}: work-precision", fontsize=10)
    ax.legend(fontsize=7)
    path = f"{folder}/work_precision_{name}.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["W1", "W2"], choices=sorted(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds a scipy run may take before its "
                        "method's sweep stops")
    parser.add_argument("--plot", help="folder for the figures")
    parser.add_argument("--ours-only", action="store_true", help="skip scipy's runs (not its reference)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for name in args.workloads:
        rows = sweep(name, args.repeats, args.budget, args.ours_only)
        print(f"\n{name}: the fastest run within each error level")
        print(f"{'error <=':>9}  {'ours':>28}  {'scipy':>28}  {'scipy / ours':>12}")
        for level, ours, theirs in fronts(rows):
            show = lambda b: "-" if b is None else f"{b[0] * 1e3:9.2f} ms {b[1]} {b[2]}"  # noqa: E731
            ratio = f"{theirs[0] / ours[0]:10.0f}x" if ours and theirs else "-"
            print(f"{level:9.0e}  {show(ours):>28}  {show(theirs):>28}  {ratio:>12}")
        if args.plot:
            plot(name, rows, args.plot)


if __name__ == "__main__":
    main()
