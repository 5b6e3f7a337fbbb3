"""The adaptive observer alongside 1000 mismatched chips in the ensemble engine (issue 21: <= 3x the cost of
simulating the chips alone), and how well the chips' gains come back.

1000 bursting chips (``nm.Ensemble("bursting", params={"i_app": -2.0}, size=1000)``, 5 % gain mismatch, chips
0-999, seed 11), 20 000 time units with RK4, simulated alone and with ``observer=nm.AdaptiveObserver(...)``
estimating all five gains from 0, each round both back to back; medians over rounds and the median of the
per-round ratios. Two settings:

* ``dt = 0.05``, ``h_max = 0.1``: the observer reads every 2nd step (the coarsest setting that keeps the
  estimates within the single-trace acceptance, 2 %, on every chip that spikes);
* ``dt = 0.01`` (the ensemble's default step), ``h_max = 0.05`` (the observer's default): every 5th step.

Accuracy, against each chip's own gains as ``Mismatch.draw`` made them: the largest relative error over the
chips that spike (the observer cannot tell a resting chip's spiking gains, and says so: those are counted
apart, with how many of them were flagged not identifiable).

    python benchmarks/bench_ensemble_observer.py [--rounds 3] [--chips 1000] [--settings 0.05:0.1 0.01:0.05]
"""

import argparse
import time

import numpy as np
from _common import machine

import neuromorph as nm
from neuromorph.lower.compile import as_compiled_model

T_END, SEED, MISMATCH = 20_000.0, 11, nm.Mismatch(gain=0.05)


def chip_gains(paths, chips):
    compiled = as_compiled_model("bursting")
    gains = MISMATCH.draw(compiled, SEED, chips)["el_gain"]
    return np.array([gains[compiled.slot(p)[1][0].index] / compiled.slot(p)[1][0].scale for p in paths]).T


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chips", type=int, default=1000)
    parser.add_argument("--settings", nargs="+", default=["0.05:0.1", "0.01:0.05"], help="dt:h_max pairs")
    args = parser.parse_args(argv)
    n = args.chips
    chips = np.arange(n)
    ens = nm.Ensemble("bursting", params={"i_app": -2.0}, size=n)
    print(f"machine: {machine()}")
    print(f"{n} bursting chips, gain mismatch 5 %, t = 0..{T_END:g}, RK4; {args.rounds} rounds, alone and with "
          "the observers back to back in each")
    for setting in args.settings:
        dt, h_max = (float(x) for x in setting.split(":"))
        observer = nm.AdaptiveObserver(h_max=h_max)
        run = dict(t_end=T_END, dt=dt, mismatch=MISMATCH, seed=SEED, chips=chips)
        ens.simulate(**{**run, "t_end": 10.0}, observer=observer)  # kernels loaded
        alone, together, last = [], [], None
        for r in range(args.rounds):
            t0 = time.perf_counter()
            ens.simulate(**run)
            alone.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            last = ens.simulate(**run, observer=observer)
            together.append(time.perf_counter() - t0)
            print(f"  dt {dt:g}, h_max {h_max:g}, round {r + 1}: alone {alone[-1]:.2f} s, with the observers "
                  f"{together[-1]:.2f} s ({together[-1] / alone[-1]:.2f}x)", flush=True)
        est = last.estimates
        truth = chip_gains(est.params, chips)
        spiking = last.spike_counts > 0
        error = np.abs(est.values / truth - 1.0)[spiking]
        flagged = int((~est.identifiable[~spiking].all(axis=1)).sum())
        every = max(1, int(np.floor(h_max / dt + 1e-9)))
        ratio = float(np.median(np.array(together) / np.array(alone)))
        print(f"dt {dt:g}, observer h_max {h_max:g} (reads every {every} steps): alone {np.median(alone):.2f} s, "
              f"with the observers {np.median(together):.2f} s; with / alone {ratio:.2f}x (median of per-round "
              "ratios; target <= 3x)")
        print(f"  {int(spiking.sum())} chips spike: largest gain error {error.max():.2e}, median "
              f"{np.median(error):.1e}, {int((error.max(axis=1) < 0.02).sum())} within 2 %; "
              f"{int((~spiking).sum())} rest, {flagged} of them flagged not identifiable")


if __name__ == "__main__":
    main()
