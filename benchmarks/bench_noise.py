"""Monte Carlo trials with additive noise: 1000 bursting neurons x 10 000 time units, Euler-Maruyama
at dt = 0.05, against Brian2 2.9's C++ standalone mode on the same model.

Ours: ``neuromorph.Ensemble(...).simulate(method="euler_maruyama", noise=nm.WhiteNoise(0.05))``
on all cores (compiled before timing). Baseline: ``_brian2_noise.py`` (Brian2's ``xi`` with
method "euler", OpenMP threads), its own simulation timer (no code generation or compilation).
Both are run in alternation in each round, and the ratio is taken per round (this machine's
speed drifts). Also printed: the deterministic Euler and RK4 of the same ensemble, and the
cost of the counter-based normals against the vector field (Euler-Maruyama minus Euler, over
Euler: what drawing the noise adds to a step that evaluates the field once).

    .venv/bin/python benchmarks/bench_noise.py [--rounds 3] [--t-end 10000] [--skip-brian2]
"""

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
from _common import machine

import neuromorph as nm

ROOT = Path(__file__).resolve().parents[1]
BRIAN2 = ROOT / ".venv-brian2" / "bin" / "python"
N, DT, SIGMA = 1000, 0.05, 0.05


def ours(ens, t_end, method, noise, threads):
    t0 = time.perf_counter()
    res = ens.simulate(t_end, i_app=-2.0, dt=DT, method=method, noise=noise, seed=1, n_threads=threads)
    return time.perf_counter() - t0, int(res.counts.sum())


def brian2(t_end, threads):
    proc = subprocess.run([str(BRIAN2), str(ROOT / "benchmarks" / "_brian2_noise.py"), "--n", str(N), "--t-end",
                           str(t_end), "--dt", str(DT), "--sigma", str(SIGMA), "--threads", str(threads)],
                          capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--t-end", type=float, default=10_000.0)
    parser.add_argument("--skip-brian2", action="store_true")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    ens = nm.Ensemble(nm.preset("bursting"), size=N)
    for method, noise in (("euler_maruyama", nm.WhiteNoise(SIGMA)), ("euler", None), ("rk4", None),
                          ("sra1", nm.WhiteNoise(SIGMA))):
        ens.simulate(10.0, i_app=-2.0, dt=DT, method=method, noise=noise, seed=1)  # compile / load
    steps = N * round(args.t_end / DT)
    rows = {k: [] for k in ("em", "em1", "euler", "rk4", "sra1", "b2", "b2_0", "ratio")}
    for _ in range(args.rounds):
        em, spikes = ours(ens, args.t_end, "euler_maruyama", nm.WhiteNoise(SIGMA), cores)
        rows["em"].append(em)
        rows["em1"].append(ours(ens, args.t_end, "euler_maruyama", nm.WhiteNoise(SIGMA), 1)[0])
        rows["euler"].append(ours(ens, args.t_end, "euler", None, cores)[0])
        rows["rk4"].append(ours(ens, args.t_end, "rk4", None, cores)[0])
        rows["sra1"].append(ours(ens, args.t_end, "sra1", nm.WhiteNoise(SIGMA), cores)[0])
        if not args.skip_brian2:
            b = brian2(args.t_end, cores)
            rows["b2"].append(b["run_s"])
            rows["b2_0"].append(brian2(args.t_end, 0)["run_s"])
            rows["ratio"].append(b["run_s"] / em)
    med = {k: float(np.median(v)) if v else float("nan") for k, v in rows.items()}
    rate = lambda s: steps / s  # noqa: E731
    print(f"machine: {machine()}")
    print(f"{N} bursting neurons (I_app = -2), {args.t_end:g} time units, dt = {DT}, white noise sigma = {SIGMA}; "
          f"medians of {args.rounds} rounds ({spikes} spikes in the last Euler-Maruyama run)")
    print(f"  ours, Euler-Maruyama, {cores} threads   {med['em']:8.3f} s   {rate(med['em']):.3g} neuron-steps/s")
    print(f"  ours, Euler-Maruyama, 1 thread     {med['em1']:8.3f} s   {rate(med['em1']):.3g} neuron-steps/s")
    print(f"  ours, SRA1 (order 1.5), {cores} threads {med['sra1']:8.3f} s   {rate(med['sra1']):.3g} neuron-steps/s")
    print(f"  ours, Euler, no noise, {cores} threads {med['euler']:8.3f} s   {rate(med['euler']):.3g} neuron-steps/s")
    print(f"  ours, RK4, no noise, {cores} threads   {med['rk4']:8.3f} s   {rate(med['rk4']):.3g} neuron-steps/s")
    print(f"  normals cost {100 * (med['em'] - med['euler']) / med['euler']:.0f} % of a field-and-update step "
          "(Euler-Maruyama minus Euler, over Euler)")
    if rows["b2"]:
        print(f"  Brian2 C++ standalone, {cores} OpenMP threads {med['b2']:8.3f} s   {rate(med['b2']):.3g} "
              "neuron-steps/s (run time only)")
        print(f"  Brian2 C++ standalone, no OpenMP   {med['b2_0']:8.3f} s   {rate(med['b2_0']):.3g} neuron-steps/s")
        print(f"  ratio Brian2 / ours (Euler-Maruyama, {cores} threads, per round): median {med['ratio']:.2f}x "
              f"(rounds: {', '.join(f'{r:.2f}' for r in rows['ratio'])})")


if __name__ == "__main__":
    main()
