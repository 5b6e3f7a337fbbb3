"""Yield of 1000 mismatched chips over 20 000 time units (issue 22: <= 30 s on 2 cores, open loop), against
what one would write without the ensemble engine: each chip re-built as a Neuron and run on its own.

Ours: ``nm.yield_of("bursting", rhythm, nm.Mismatch(gain=0.02), chips=1000, seed=1, i_app=-2.0)`` (RK4 at
its default dt 0.1 in the ensemble engine on both cores, then every chip's rhythm measured), the whole call.
Baseline: for each chip, its gains set from the same mismatch draw on a copy of the preset, ``simulate`` with
the default adaptive solver (DP5 at rtol 1e-6), ``Rhythm.check``; timed on ``--baseline-chips`` chips and scaled
to 1000 (it runs on one core, as such a loop does; on two threads it would take at best half). Accuracy, on
those chips: each one's burst period against a tight reference (DP5 at rtol 1e-10, atol 1e-12), for ours and
for the baseline, so the comparison is at stated accuracy; and the two verdicts must agree on every chip whose
period is not within 1 % of a bound.

    python benchmarks/bench_yield.py [--rounds 3] [--baseline-chips 40] [--controllers | --only-controllers]
"""

import argparse
import time

import numpy as np
from _common import machine

import neuromorph as nm
from neuromorph.lower.compile import as_compiled_model

RHYTHM = nm.Rhythm(period=2494, tolerance=0.1, spikes_per_burst=7, spikes_tolerance=1)
MISMATCH, SEED, CHIPS, T_END = nm.Mismatch(gain=0.02), 1, 1000, 20_000.0
GAINS = ("leak.g", "fast_negative.alpha", "slow_positive.alpha", "slow_negative.alpha", "ultraslow_positive.alpha")


def baseline(chips, **solver):
    """``(passed, period)`` of chips 0 .. chips - 1, each re-built as a Neuron and run alone."""
    compiled = as_compiled_model("bursting")
    drawn = MISMATCH.draw(compiled, SEED, np.arange(chips))["el_gain"]
    passed, period = [], []
    for chip in range(chips):
        neuron = nm.preset("bursting").copy()
        for path in GAINS:
            slot = compiled.slot(path)[1][0]
            neuron.set(path, drawn[slot.index, chip] / slot.scale)
        report = RHYTHM.check(neuron.simulate(T_END, i_app=-2.0, **solver))
        passed.append(report.met)
        period.append(report.measured["period"])
    return np.array(passed), np.array(period)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-chips", type=int, default=40)
    parser.add_argument("--controllers", action="store_true", help="also time every chip's own controller")
    parser.add_argument("--only-controllers", action="store_true", help="time the controllers alone")
    args = parser.parse_args(argv)
    if args.only_controllers:
        controllers(args.rounds)
        return
    nm.yield_of("bursting", RHYTHM, MISMATCH, chips=8, seed=SEED, i_app=-2.0, t_end=100.0)  # kernels loaded
    baseline(1)
    ours, theirs = [], []
    for r in range(args.rounds):
        t0 = time.perf_counter()
        y = nm.yield_of("bursting", RHYTHM, MISMATCH, chips=CHIPS, seed=SEED, i_app=-2.0, t_end=T_END)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        alone, alone_period = baseline(args.baseline_chips)
        theirs.append((time.perf_counter() - t0) / args.baseline_chips * CHIPS)
        print(f"  round {r + 1}: ours {ours[-1]:.2f} s, baseline {theirs[-1]:.1f} s (scaled)", flush=True)
    period = np.asarray(y.report.measured["period"])[:args.baseline_chips]
    _, reference = baseline(args.baseline_chips, rtol=1e-10, atol=1e-12)
    ok = np.isfinite(reference)
    err_ours = float(np.max(np.abs(period[ok] / reference[ok] - 1)))
    err_base = float(np.max(np.abs(alone_period[ok] / reference[ok] - 1)))
    near = np.isfinite(period) & (np.minimum(np.abs(period / (2494 * 0.9) - 1), np.abs(period / (2494 * 1.1) - 1))
                                  < 0.01)
    agree = int(np.sum((alone == y.passed[:args.baseline_chips]) | near))
    print(f"machine: {machine()}")
    print(f"yield of {CHIPS} bursting chips (gain mismatch 2 %), t = 0..{T_END:g}, period 2494 +- 10 %, 7 +- 1 "
          f"spikes per burst: {100 * y.value:.1f} % [{100 * y.interval[0]:.1f}, {100 * y.interval[1]:.1f}]")
    print(f"ours (RK4 dt 0.1, ensemble engine, 2 cores): median {np.median(ours):.2f} s over {args.rounds} rounds "
          f"(target <= 30 s); largest period error {err_ours:.1e} on the {int(ok.sum())} chips with a period")
    print(f"baseline's largest period error on them: {err_base:.1e} (both against DP5 at rtol 1e-10)")
    print(f"baseline (one Neuron.simulate per chip, DP5, 1 core; {args.baseline_chips} chips scaled to {CHIPS}): "
          f"median {np.median(theirs):.1f} s; baseline / ours {np.median(np.array(theirs) / np.array(ours)):.1f}x")
    print(f"verdicts: {agree} of {args.baseline_chips} chips agree (those within 1 % of a bound counted as agreeing: "
          f"{int(near.sum())})")
    # Closed loop (target <= 3x open loop): every chip retuned from its estimated gains, then confirmed.
    mismatch = nm.Mismatch(gain=0.03)
    opened, closed = [], []
    for r in range(args.rounds):
        t0 = time.perf_counter()
        y_open = nm.yield_of("bursting", RHYTHM, mismatch, chips=CHIPS, seed=SEED, i_app=-2.0, t_end=T_END)
        opened.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        y_closed = nm.yield_of("bursting", RHYTHM, mismatch, chips=CHIPS, seed=SEED, i_app=-2.0, t_end=T_END,
                               closed_loop="retune")
        closed.append(time.perf_counter() - t0)
        print(f"  round {r + 1}: open loop {opened[-1]:.2f} s, closed loop {closed[-1]:.2f} s", flush=True)
    print(f"gain mismatch 3 %: open loop {100 * y_open.value:.1f} % [{100 * y_open.interval[0]:.1f}, "
          f"{100 * y_open.interval[1]:.1f}] in {np.median(opened):.2f} s; closed loop (retuned) "
          f"{100 * y_closed.value:.1f} % [{100 * y_closed.interval[0]:.1f}, {100 * y_closed.interval[1]:.1f}] in "
          f"{np.median(closed):.2f} s: {np.median(np.array(closed) / np.array(opened)):.2f}x open loop (target <= 3x)")
    if args.controllers:
        controllers(args.rounds)


def controllers(rounds):
    """Closed loop with every chip's own rhythm controller (``--controllers``): 1000 chips at gain 3 % and offset
    0.02 mismatch, a period within 2 % of 2494, for each closed loop; the controllers run 40 target periods."""
    tight = nm.Rhythm(period=2494, tolerance=0.02)
    bounds = {"slow_negative.alpha": (-2.2, -1.2), "ultraslow_positive.alpha": (1.3, 2.8)}
    ctrl = nm.RhythmController(tight, adjust=list(bounds), bounds=bounds)
    mismatch = nm.Mismatch(gain=0.03, offset=0.02)
    rows = {}
    for name, loop in (("open loop", None), ("retune", "retune"), ("controller", ctrl),
                       ("retune, then controller", ("retune", ctrl))):
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            y = nm.yield_of("bursting", tight, mismatch, chips=CHIPS, seed=SEED, i_app=-2.0, t_end=T_END,
                            closed_loop=loop)
            times.append(time.perf_counter() - t0)
        rows[name] = (y, float(np.median(times)))
        print(f"  {name}: {100 * y.value:.1f} % [{100 * y.interval[0]:.1f}, {100 * y.interval[1]:.1f}] in "
              f"{rows[name][1]:.1f} s ({', '.join(f'{x:.1f}' for x in times)})", flush=True)
    base = rows["open loop"][1]
    print("closed loops, gain 3 % + offset 0.02, period 2494 +- 2 %, 1000 chips:")
    for name, (y, spent) in rows.items():
        print(f"  {name:<24} yield {100 * y.value:5.1f} % [{100 * y.interval[0]:.1f}, {100 * y.interval[1]:.1f}]"
              f"   {spent:6.1f} s   {spent / base:5.1f}x open loop")


if __name__ == "__main__":
    main()
