"""Work-precision W7: a 10 000-neuron network, time against spike-time error, ours against Brian2 (issue 23).

Workload W7: ``random_network(10_000, 10, seed=0)`` of ``_baselines_network.py`` (the network of
``bench_network.py``): bursting neurons of ``shared/MODEL.md`` at their reference parameters, I_app = -2
+ uniform(+-0.2), initial states spread by +-0.1 around (-1.9, -1.8, -1.8), each neuron receiving 10 inhibitory
current synapses (g = 0.02, read from the presynaptic slow filter) from 10 distinct random others. The first
network spikes come at t ~ 55 (the neurons with the highest I_app), the 1000th at t ~ 257: runs end at
``--t-end`` 300.

Reference: our ``dop853`` at rtol 1e-10, atol 1e-12 on the full network. Cross-checked on the 100-neuron
network of the same construction (``random_network(100, 10, seed=0)``, t = 0..``--check-t-end``) against
scipy ``solve_ivp`` DOP853 (rtol 1e-12, atol 1e-14) on a vectorised NumPy vector field written from
MODEL.md, spikes located by its events; the agreement (largest spike-time difference) is printed.

Error metric: the reference's first ``--spikes`` (1000) spikes by time, and a window ``[0, t_cut]``: t_cut is
the middle of the widest gap between consecutive reference spikes in the 10 time units after the 1000th (so
a spike has to move by half that gap to cross it). For a run, each neuron's spikes in the window are matched
in order to the neuron's reference spikes in the window; a run whose spike count in the window differs for any
neuron (a missed or an extra spike) has infinite error; otherwise its error is the largest |t - t_ref| over
the reference's first 1000 spikes.

Ours (the public API only: ``Network.simulate``, so whichever network kernel the package picks for a large
network is what is timed): RK4 over its step, ``dopri5`` and ``dop853`` over rtol (atol = rtol / 100); every
neuron shares one step in the adaptive runs. Time: the minimum of ``--repeats`` warm runs (fewer once a
configuration has used ``--budget`` seconds) on each of 1 and 2 numba threads (``--our-threads``; the fastest
counts, as Brian2's best thread count does); the first call of each method (numba compile or cache load, on a
run of 1 time unit) is reported apart.

Brian2 2.9 C++ standalone (``_brian2_wp_network.py``, run in ``.venv-brian2``; ``bash setup_brian2.sh``):
``method="rk4"`` over its step and ``method="gsl_rkf45"`` over its absolute error per step (inside a clock
step ``--gsl-dt``), each with 1 and 2 OpenMP threads; a run longer than ``--brian2-budget`` ends its method's
sweep. Its spikes are the same events as ours (threshold 0, re-armed below -0.5), located by the step's cubic
Hermite interpolant as our fixed-step methods do. Time: Brian2's own timing of its run loop (no code
generation, compilation, loading or saving). Brian2 2.9.0's GSL methods fail in C++ standalone mode (its
issue #1686); ``_brian2_wp_network.py`` applies the upstream fix in its own process.

Brian2 computes a ``(summed)`` synaptic current once per clock step and holds it through the RK stages, so
its error is first order in dt whatever the integrator: ~0.8 dt here (on 1000 neurons: 7.9e-2 at dt 0.1, 9.9e-3
at 0.0125; an independent NumPy RK4 with the same once-per-step coupling gives Brian2's spike times to 4e-11,
the same RK4 with the coupling at every stage, as ours, 7.4e-6). ``gsl_rkf45``'s tolerance cannot lower it.
For error levels no Brian2 run reached, the time its RK4 would take is extrapolated from its finest run
(error proportional to dt) and printed apart.

Output: every run, then for every error level 1e-1..1e-5 the fastest run of each side within it and the ratio
Brian2 / ours (the issue's target: >= 4x at 1e-2 and 1e-4), and RK4 at dt 0.05 in neuron-steps/s
(target 2e7 on 2 cores). Progress goes to stderr.

    cd benchmarks && ../.venv/bin/python work_precision_network.py [--neurons 10000] [--t-end 300] [--plot DIR]

Measured once on the 2-core reference machine while others used it (load average 2-5; ~45 min): the
cross-check agrees to 3.4e-8 (236 spikes over t = 0..2000); reference 1243 steps, 9.4 s, 1328 spikes, half-gap
0.37. Fastest within 1e-2: ours RK4 dt 0.4 (1.0 s, error 1.7e-3), Brian2 RK4 dt 0.00625 (238 s; dt 0.0125
gave 1.03e-2 in 86 s): 230x. Within 1e-4: ours dop853 rtol 1e-6 (2.7 s, 358 steps, 5303 field evaluations);
no Brian2 run, ~8900 s extrapolated (~3300x). RK4 dt 0.05: ours 6.4e6 neuron-steps/s, Brian2 2.1e6 (both
on 1 thread: two-thread runs of both sides collapsed 5-25x, GNU OpenMP's spinning barriers on a busy
machine; ``OMP_WAIT_POLICY=passive`` gave ours 4e6 instead of 5e5 on 2 threads at load 3.4).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
from _baselines_network import random_network, save_network
from _common import machine
from bench_network import build_ours
from scipy.integrate import solve_ivp

import neuromorph as nm

ROOT = Path(__file__).resolve().parents[1]
BRIAN2 = ROOT / ".venv-brian2" / "bin" / "python"
REF_RTOL, REF_ATOL = 1e-10, 1e-12
CHECK_NEURONS = 100
CUT_SEARCH = 10.0  # time units after the last spike of the metric in which the window's end is chosen
LEVELS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)

RK4_DTS = (0.8, 0.4, 0.2, 0.1, 0.05, 0.025)  # ours: the error is ~1e-8 at 0.025 already
RTOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)
BRIAN2_RK4_DTS = (0.4, 0.2, 0.1, 0.05, 0.025, 0.0125, 0.00625)  # Brian2's error is ~0.8 dt (its coupling)
GSL_ERRORS = (1e-4, 1e-6, 1e-8)


# -- the network on both sides ----------------------------------------------------------------------------

def numpy_field(spec):
    """MODEL.md's network as a vectorised NumPy field, state ``[V, slow, ultraslow]`` per neuron:

    dV_i/dt = I_app,i + sum_{j -> i} sign g sigma(2 (slow_j + 1)) - [V_i - 2 tanh V_i + 2 tanh slow_i
    - 1.5 tanh(slow_i + 1.5) + 1.5 tanh(ultraslow_i + 1.5)], d slow/dt = (V - slow) / 50,
    d ultraslow/dt = (V - ultraslow) / 2500.
    """
    pre, post = spec["pre"], spec["post"]
    weight = spec["sign"] * spec["g"]
    i_app = spec["i_app"]
    n = i_app.size

    def field(t, y):
        v, slow, ultraslow = y[0::3], y[1::3], y[2::3]
        activation = 1.0 / (1.0 + np.exp(-2.0 * (slow + 1.0)))
        i_syn = np.bincount(post, weights=weight * activation[pre], minlength=n)
        dy = np.empty_like(y)
        dy[0::3] = i_app + i_syn - (v - 2.0 * np.tanh(v) + 2.0 * np.tanh(slow) - 1.5 * np.tanh(slow + 1.5)
                                    + 1.5 * np.tanh(ultraslow + 1.5))
        dy[1::3] = (v - slow) / 50.0
        dy[2::3] = (v - ultraslow) / 2500.0
        return dy

    return field


def scipy_spikes(spec, t_end, rtol=1e-12, atol=1e-14):
    """scipy DOP853 on :func:`numpy_field`; spikes = upward V = 0 crossings located by its events."""
    n = spec["i_app"].size
    y0 = np.stack([spec["v0"], spec["slow0"], spec["ultraslow0"]], axis=1).ravel()
    events = []
    for i in range(n):
        event = (lambda k: lambda t, y: y[3 * k])(i)
        event.direction = 1
        events.append(event)
    sol = solve_ivp(numpy_field(spec), (0.0, t_end), y0, method="DOP853", rtol=rtol, atol=atol, events=events)
    if sol.status != 0:
        raise RuntimeError(f"scipy DOP853: {sol.message}")
    times = np.concatenate(sol.t_events)
    neurons = np.concatenate([np.full(te.size, i) for i, te in enumerate(sol.t_events)])
    return times, neurons, sol.t.size - 1


# -- the error metric ------------------------------------------------------------------------------------

class Metric:
    """The reference's first ``n_spikes`` spikes and the window ``[0, t_cut]`` (see the module notes)."""

    def __init__(self, times, neurons, n_spikes):
        order = np.lexsort((neurons, times))
        times, neurons = times[order], neurons[order]
        if times.size <= n_spikes:
            raise RuntimeError(f"the reference has {times.size} spikes, not more than {n_spikes}: raise --t-end")
        t_last = times[n_spikes - 1]
        after = times[n_spikes - 1:][times[n_spikes - 1:] <= t_last + CUT_SEARCH]
        if after.size < 2:
            raise RuntimeError("no reference spike within CUT_SEARCH after the last one counted: lower it")
        gaps = np.diff(after)
        k = int(np.argmax(gaps))
        self.t_cut = 0.5 * (after[k] + after[k + 1])
        self.half_gap = 0.5 * gaps[k]
        self.t_last = t_last
        self.n_spikes = n_spikes
        self.in_window = self._per_neuron(times, neurons)
        self.first = self._per_neuron(times[:n_spikes], neurons[:n_spikes])

    def _per_neuron(self, times, neurons):
        keep = times <= self.t_cut
        times, neurons = times[keep], neurons[keep]
        order = np.lexsort((times, neurons))  # by neuron, then time
        times, neurons = times[order], neurons[order]
        cuts = np.flatnonzero(np.diff(neurons)) + 1
        return {int(grp[0]): t for grp, t in zip(np.split(neurons, cuts), np.split(times, cuts)) if grp.size}

    def error(self, times, neurons):
        got = self._per_neuron(np.asarray(times, dtype=float), np.asarray(neurons, dtype=np.int64))
        if got.keys() != self.in_window.keys():
            return math.inf
        if any(got[i].size != ref.size for i, ref in self.in_window.items()):
            return math.inf
        return max(float(np.max(np.abs(got[i][:ref.size] - ref))) for i, ref in self.first.items())


# -- runs ------------------------------------------------------------------------------------------------

# -- runs ------------------------------------------------------------------------------------------------

def load():
    """The 1-, 5- and 15-minute load averages: on a shared machine, two-thread timings collapse above ~1."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def log(text):
    """Progress, on stderr: the tables at the end go to stdout."""
    print(text, file=sys.stderr, flush=True)


def time_ours(net, t_end, repeats, budget, thread_counts, **options):
    """First call (compile or cache load, on 1 time unit), then the fastest of up to ``repeats`` warm full runs on
    each numba thread count. Returns (seconds, thread count, first call seconds, result)."""
    t0 = time.perf_counter()
    net.simulate(1.0, record=(), **options)
    first = time.perf_counter() - t0
    best, best_threads, res = math.inf, None, None
    try:
        for threads in thread_counts:
            numba.set_num_threads(threads)
            spent = 0.0
            for _ in range(repeats):
                t0 = time.perf_counter()
                res = net.simulate(t_end, record=(), **options)
                seconds = time.perf_counter() - t0
                if seconds < best:
                    best, best_threads = seconds, threads
                spent += seconds
                if spent > budget:
                    break
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return best, best_threads, first, res


def run_brian2(path, t_end, method, dt, threads, abs_error=None, directory=None):
    cmd = [str(BRIAN2), str(ROOT / "benchmarks" / "_brian2_wp_network.py"), str(path), "--t-end", str(t_end),
           "--method", method, "--dt", str(dt), "--threads", str(threads)]
    if abs_error is not None:
        cmd += ["--abs-error", str(abs_error)]
    if directory is not None:
        cmd += ["--directory", str(directory)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}"}
    return json.loads(lines[-1])


def row(side, method, setting, seconds, err, steps=None, rhs=None, first=None, threads=None, dt=None):
    return dict(side=side, method=method, setting=setting, seconds=seconds, error=err, steps=steps, rhs=rhs,
                first=first, threads=threads, dt=dt)


def label(r):
    return r["method"] if r["threads"] is None else f"{r['method']} x{r['threads']}"


def show(r, n):
    text = (f"  {r['side']:6s} {label(r):14s} {r['setting']:17s} {r['seconds']:9.3f} s  error {r['error']:8.2e}  "
            f"steps {r['steps']:6d}  {n * r['steps'] / r['seconds']:8.3g} neuron-steps/s")
    if r["rhs"]:
        text += f"  rhs {r['rhs']:6d}  {n * r['rhs'] / r['seconds']:8.3g} neuron-rhs/s"
    if r["first"] is not None:
        text += f"  (first call {r['first']:.2f} s)"
    return text


def sweep_ours(net, n, t_end, metric, repeats, budget, thread_counts):
    configs = ([("rk4", f"dt {dt:g}", dict(dt=dt)) for dt in RK4_DTS]
               + [(m, f"rtol {rtol:g}", dict(rtol=rtol, atol=rtol / 100)) for m in ("dopri5", "dop853")
                  for rtol in RTOLS])
    rows, notes = [], []
    for method, setting, options in configs:
        try:
            seconds, threads, first, res = time_ours(net, t_end, repeats, budget, thread_counts, method=method,
                                                     **options)
        except nm.NeuromorphError as exc:  # (a failed run is a result too: say which and why, go on)
            notes.append(f"ours {method} {setting}: {type(exc).__name__}: {exc}")
            log(f"  {notes[-1]}")
            continue
        rows.append(row("ours", method, setting, seconds, metric.error(res.spike_times, res.spike_neurons),
                        res.stats.n_steps, res.stats.n_rhs, first, threads, dt=options.get("dt")))
        log(show(rows[-1], n))
    return rows, notes


def sweep_brian2(path, n, t_end, metric, threads_list, gsl_dt, budget):
    """Brian2's runs; a run longer than ``budget`` seconds ends its method's sweep. Returns rows and notes."""
    rows, notes = [], []
    configs = ([("rk4", dt, None) for dt in BRIAN2_RK4_DTS]
               + [("gsl_rkf45", gsl_dt, e) for e in GSL_ERRORS])
    with tempfile.TemporaryDirectory(prefix="w7_brian2_") as tmp:
        for threads in threads_list:
            stopped = set()
            for method, dt, abs_error in configs:
                if method in stopped:
                    continue
                # One build folder per method and thread count: make recompiles only what a new setting changes.
                out = run_brian2(path, t_end, method, dt, threads, abs_error, Path(tmp) / f"{method}_{threads}")
                if "error" in out:
                    notes.append(f"Brian2 {method}, {threads} thread(s), dt {dt:g}: refused or failed: {out['error']}")
                    log(f"  brian2 {method} x{threads}: {notes[-1]}")
                    stopped.add(method)
                    continue
                setting = f"dt {dt:g}" if abs_error is None else f"dt {dt:g} abs {abs_error:g}"
                rows.append(row("brian2", method, setting, out["run_s"],
                                metric.error(np.asarray(out["spike_times"]), np.asarray(out["spike_neurons"])),
                                out["n_steps"], threads=threads, dt=dt))
                log(show(rows[-1], n) + f"  (build {out['build_s']:.1f} s)")
                if out["run_s"] > budget:
                    stopped.add(method)  # finer settings would only be slower
    return rows, notes


def fronts(rows):
    """For each error level, the fastest run of each side within it."""
    out = []
    for level in LEVELS:
        best = {}
        for side in ("ours", "brian2"):
            within = [r for r in rows if r["side"] == side and r["error"] <= level]
            best[side] = min(within, key=lambda r: r["seconds"]) if within else None
        out.append((level, best["ours"], best["brian2"]))
    return out


def brian2_extrapolation(rows, level, n, t_end):
    """Brian2 RK4's time at ``level``, if its error stays proportional to dt (its coupling is first order).

    The error per unit dt from its finest run with a finite error, the speed (neuron-steps/s) of its fastest
    RK4 run on any thread count; returns (dt needed, seconds, the run giving the speed) or None.
    """
    runs = [r for r in rows if r["side"] == "brian2" and r["method"] == "rk4" and math.isfinite(r["error"])]
    if not runs:
        return None
    finest = min(runs, key=lambda r: r["dt"])
    dt_needed = finest["dt"] * level / finest["error"]
    fastest = max(runs, key=lambda r: r["steps"] / r["seconds"])
    return dt_needed, n * (t_end / dt_needed) / (n * fastest["steps"] / fastest["seconds"]), finest, fastest


def cross_check(t_end):
    """Our reference method against scipy DOP853 on the 100-neuron network of the same construction."""
    spec = random_network(CHECK_NEURONS, 10, seed=0)
    net = build_ours(spec)
    net.simulate(1.0, method="dop853", rtol=REF_RTOL, atol=REF_ATOL, record=())  # (compile or cache load)
    t0 = time.perf_counter()
    res = net.simulate(t_end, method="dop853", rtol=REF_RTOL, atol=REF_ATOL, record=())
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    times, neurons, steps = scipy_spikes(spec, t_end)
    t_scipy = time.perf_counter() - t0
    counts = np.bincount(neurons, minlength=CHECK_NEURONS)
    same = np.array_equal(np.bincount(res.spike_neurons, minlength=CHECK_NEURONS), counts)
    worst = math.inf
    if same:
        worst = max((float(np.max(np.abs(np.sort(res.spikes_of(i)) - np.sort(times[neurons == i]))))
                     for i in range(CHECK_NEURONS) if counts[i]), default=0.0)
    return (f"cross-check of the reference, {CHECK_NEURONS} neurons, t = 0..{t_end:g}: our dop853 rtol {REF_RTOL:g} "
            f"atol {REF_ATOL:g} ({res.stats.n_steps} steps, {t_ours:.1f} s) against scipy DOP853 rtol 1e-12 atol "
            f"1e-14 on a NumPy field ({steps} steps, {t_scipy:.1f} s): {res.spike_times.size} / {times.size} spikes, "
            f"{'the same count for every neuron' if same else 'DIFFERENT counts'}, largest spike-time difference "
            f"{worst:.2e}")


def plot(rows, folder, n, spikes, t_end):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    key = lambda r: (r["side"], r["method"], r["threads"] if r["side"] == "brian2" else None)  # noqa: E731
    for side, method, threads in sorted({key(r) for r in rows}, key=str):
        pts = [(r["error"], r["seconds"]) for r in rows
               if key(r) == (side, method, threads) and math.isfinite(r["error"]) and r["error"] > 0]
        if pts:
            e, s = zip(*pts)
            name = f"{side}: {method}" + ("" if threads is None else f", {threads} thread{'s' * (threads > 1)}")
            ax.loglog(e, s, "o-" if side == "ours" else "s--", label=name)
    ax.set_xlabel(f"largest spike-time error over the first {spikes} spikes")
    ax.set_ylabel("time (s): ours best warm run, Brian2 run loop")
    ax.set_title(f"W7: {n} bursting neurons x 10 inhibitory synapses, t = 0..{t_end:g}", fontsize=10)
    ax.legend(fontsize=7)
    path = Path(folder) / "work_precision_W7.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=10_000)
    parser.add_argument("--t-end", type=float, default=300.0)
    parser.add_argument("--spikes", type=int, default=1000, help="reference spikes the error is taken over")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs of each of our configurations")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds of warm runs after which a configuration of ours stops repeating")
    parser.add_argument("--brian2-budget", type=float, default=150.0,
                        help="a Brian2 run longer than this (run loop, s) ends its method's sweep")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="Brian2's OpenMP thread counts")
    parser.add_argument("--our-threads", type=int, nargs="+", default=[1, 2],
                        help="numba thread counts our runs are timed on (the fastest counts)")
    parser.add_argument("--gsl-dt", type=float, default=0.1, help="Brian2 gsl_rkf45's clock step")
    parser.add_argument("--check-t-end", type=float, default=2000.0, help="cross-check length (100 neurons)")
    parser.add_argument("--skip-check", action="store_true")
    parser.add_argument("--skip-brian2", action="store_true")
    parser.add_argument("--plot", help="folder for work_precision_W7.png")
    parser.add_argument("--json", help="also write every run (and the notes) to this JSON file")
    args = parser.parse_args()
    n = args.neurons
    print(f"machine: {machine()}; load average {load()}")
    if not args.skip_check:
        print(cross_check(args.check_t_end), flush=True)

    spec = random_network(n, 10, seed=0)
    t0 = time.perf_counter()
    net = build_ours(spec)
    net.compile()
    print(f"W7: {n} neurons x 10 synapses, t = 0..{args.t_end:g}; network built and compiled in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    net.simulate(1.0, method="dop853", rtol=REF_RTOL, atol=REF_ATOL, record=())
    t0 = time.perf_counter()
    ref = net.simulate(args.t_end, method="dop853", rtol=REF_RTOL, atol=REF_ATOL, record=())
    metric = Metric(ref.spike_times, ref.spike_neurons, args.spikes)
    print(f"reference: dop853 rtol {REF_RTOL:g} atol {REF_ATOL:g}, {ref.stats.n_steps} steps, "
          f"{time.perf_counter() - t0:.1f} s; {ref.spike_times.size} spikes, the {args.spikes}th at "
          f"t = {metric.t_last:.3f}; window [0, {metric.t_cut:.3f}] (a spike must move by {metric.half_gap:.3f} "
          f"to cross its end)", flush=True)

    rows, notes = sweep_ours(net, n, args.t_end, metric, args.repeats, args.budget, args.our_threads)
    brian2 = not args.skip_brian2 and BRIAN2.exists()
    if not brian2 and not args.skip_brian2:
        notes.append("Brian2 skipped: run `bash benchmarks/setup_brian2.sh` first")
    if brian2:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "net.npz"
            save_network(path, spec)
            more, why = sweep_brian2(path, n, args.t_end, metric, args.threads, args.gsl_dt, args.brian2_budget)
            rows += more
            notes += why
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "notes": notes, "neurons": n, "t_end": args.t_end},
                                              indent=1, default=str))

    print(f"\nW7, every run (time: ours the best of up to {args.repeats} warm runs on each of "
          f"{', '.join(map(str, args.our_threads))} numba threads, Brian2 its run loop; xN: the thread count, for "
          f"ours the fastest one):")
    for r in rows:
        print(show(r, n))
    for note in notes:
        print(f"  note: {note}")
    print("\nW7: the fastest run within each error level")
    print(f"{'error <=':>9}  {'ours':>30}  {'Brian2':>34}  {'Brian2 / ours':>13}")
    for level, mine, theirs in fronts(rows):
        fmt = lambda r: "-" if r is None else f"{r['seconds']:8.3f} s {label(r)} {r['setting']}"  # noqa: E731
        ratio = f"{theirs['seconds'] / mine['seconds']:12.1f}x" if mine and theirs else "-"
        print(f"{level:9.0e}  {fmt(mine):>30}  {fmt(theirs):>34}  {ratio:>13}")
    for level, mine, theirs in fronts(rows):
        guess = brian2_extrapolation(rows, level, n, args.t_end) if mine and not theirs else None
        if guess:
            dt_needed, seconds, finest, fastest = guess
            print(f"  {level:.0e}: Brian2 rk4 extrapolated (error {finest['error']:.2e} at dt {finest['dt']:g}, "
                  f"proportional to dt; speed of rk4 x{fastest['threads']} {fastest['setting']}): dt {dt_needed:.2g}, "
                  f"~{seconds:.3g} s, {seconds / mine['seconds']:.3g}x ours")
    print("\nRK4 at dt 0.05 (target 2e7 neuron-steps/s on 2 cores):")
    for r in rows:
        if r["method"] == "rk4" and r["dt"] == 0.05:
            who = f"{'ours' if r['side'] == 'ours' else 'Brian2'}, {r['threads']} thread{'s' * (r['threads'] > 1)}"
            print(f"  {who:18s} {n * r['steps'] / r['seconds']:9.3g} neuron-steps/s")
    print(f"load average at the end: {load()}")
    if args.plot:
        plot(rows, args.plot, n, args.spikes, args.t_end)


if __name__ == "__main__":
    main()
