"""Networks: the half-centre oscillator against scipy, and 10 000 neurons x 10 synapses against Brian2.

1. HCO of ``shared/MODEL.md`` over t = 0..20000 with default tolerances (DP5 rtol 1e-4): ours
   (``nm.preset("hco").simulate``, the whole call) against scipy ``solve_ivp`` RK45 (rtol 1e-3,
   atol 1e-6) on the same 6-state vector field written in plain Python, as reference code does
   (``_baselines_network.hco_baseline_field``). Median of per-round ratios, timed back to back.
2. ``random_network(10_000, 10)``: every neuron the bursting neuron, 10 inhibitory current
   synapses each from random others; fixed-step RK4, dt 0.05, t = 0..T. Ours on 1 and on 2
   threads against Brian2 2.9's C++ standalone mode (``_brian2_network.py``, run by the
   benchmark-only venv of ``setup_brian2.sh``) with no OpenMP, 1 and 2 OpenMP threads, rounds
   interleaved. Brian2's figure is its own timing of the run loop (no code generation, compile,
   loading or saving); ours is ``Integrator.advance`` (the network built and compiled before).

    .venv/bin/python benchmarks/bench_network.py [--rounds 3] [--t-end 100] [--skip-brian2]
"""

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

import neuromorph as nm
from _baselines_network import hco_baseline, random_network, save_network
from _common import fmt, interleaved_ratio, machine

ROOT = Path(__file__).resolve().parents[1]
BRIAN2 = ROOT / ".venv-brian2" / "bin" / "python"


def bench_hco():
    hco = nm.preset("hco")
    res = hco.simulate(20_000)
    base = hco_baseline()
    print(f"HCO, t = 0..20000: ours {res.stats.n_steps} DP5 steps, {res.spike_times.size} spikes; "
          f"baseline scipy RK45 rtol 1e-3 {base.t.size - 1} steps")
    ratio, t_ours, t_base = interleaved_ratio(lambda: hco.simulate(20_000), hco_baseline, rounds=9)
    print(f"  neuromorph dopri5 defaults: {fmt(t_ours)}   baseline {fmt(t_base)}   speed-up {ratio:6.1f} x "
          "(target >= 200 x)")


def build_ours(spec):
    net = nm.Network(name="random")
    bursting = nm.preset("bursting")
    for i in range(spec["i_app"].size):
        net.add_neuron(f"n{i}", bursting, i_app=float(spec["i_app"][i]),
                       initial={"v": float(spec["v0"][i]), "slow": float(spec["slow0"][i]),
                                "ultraslow": float(spec["ultraslow0"][i])})
    net.add_synapses([f"n{p}" for p in spec["pre"]], [f"n{q}" for q in spec["post"]], g=spec["g"],
                     sign=spec["sign"].astype(int))
    return net


def run_ours(model, t_end, threads):
    numba.set_num_threads(threads)
    integ = nm.Integrator(model, solver=nm.get_solver("rk4", dt=0.05), record=())
    t0 = time.perf_counter()
    integ.advance(t_end)
    seconds = time.perf_counter() - t0
    return seconds, integ.result().spike_times.size


def run_brian2(path, t_end, threads):
    proc = subprocess.run([str(BRIAN2), str(ROOT / "benchmarks" / "_brian2_network.py"), str(path), "--t-end",
                           str(t_end), "--dt", "0.05", "--threads", str(threads)], capture_output=True, text=True,
                          check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["run_s"], out["n_spikes"]


def bench_big(t_end, rounds, brian2):
    spec = random_network(10_000, 10)
    t0 = time.perf_counter()
    net = build_ours(spec)
    model = net.compile()
    print(f"\n10 000 neurons x 10 synapses, RK4 dt 0.05, t = 0..{t_end:g} ({int(t_end / 0.05)} steps); "
          f"built and compiled in {time.perf_counter() - t0:.1f} s")
    run_ours(model, 0.1, 2)  # kernels loaded, threads up
    steps = 10_000 * round(t_end / 0.05)
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.npz"
        save_network(path, spec)
        for r in range(rounds):
            runs = [("neuromorph, 1 thread", lambda: run_ours(model, t_end, 1)),
                    ("neuromorph, 2 threads", lambda: run_ours(model, t_end, 2))]
            if brian2:
                runs += [("Brian2 C++ standalone, no OpenMP", lambda: run_brian2(path, t_end, 0)),
                         ("Brian2 C++ standalone, 2 OpenMP threads", lambda: run_brian2(path, t_end, 2))]
            for label, run in runs:
                seconds, spikes = run()
                table.setdefault(label, []).append((steps / seconds, spikes))
            print(f"  round {r + 1}: " + ", ".join(f"{k.split(',')[0]}{'' if '1 thread' in k or 'no' in k else ' x2'} "
                                                 f"{v[-1][0]:.3g}" for k, v in table.items()))
    med = {label: float(np.median([x for x, _ in values])) for label, values in table.items()}
    for label, values in table.items():
        print(f"  {label:42s} {med[label]:9.3g} neuron-steps/s  (spikes {values[-1][1]})")
    best_ours = max(v for k, v in med.items() if k.startswith("neuromorph"))
    print(f"  ours, best: {best_ours:.3g} neuron-steps/s (target >= 1e7 on 2 cores)")
    if brian2:
        best_brian = max(v for k, v in med.items() if k.startswith("Brian2"))
        print(f"  speed-up over Brian2's best: {best_ours / best_brian:.1f} x (target >= 5 x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--t-end", type=float, default=100.0)
    parser.add_argument("--skip-brian2", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    bench_hco()
    brian2 = not args.skip_brian2 and BRIAN2.exists()
    if not brian2 and not args.skip_brian2:
        print("\n(Brian2 comparison skipped: run `bash benchmarks/setup_brian2.sh` first)")
    bench_big(args.t_end, args.rounds, brian2)


if __name__ == "__main__":
    main()
