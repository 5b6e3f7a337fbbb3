"""Yield at transistor level in ngspice against the model-level prediction, over device area (issue 22).

Not a speed benchmark: a validation run, recorded in BENCHMARKS.md ("Yield at transistor level"). For each
transistor area (every cell transistor W x 6 um, Pelgrom coefficients 5 mV um and 1 % um):

- ngspice: ``--chips`` chips of the transistor-level bursting neuron (I_app = -2, 20 000 time units), each with
  its own per-transistor draws (``nm.yield_of(..., nm.DeviceMismatch(...), level="transistor")``);
- the model: 1000 fresh chips of the model-level twin of the same devices
  (``DeviceMismatch.model_level()``, ``nm.yield_of`` in the ensemble engine).

The rhythm is stated at each level around that level's own nominal run of the circuit (the transistor-level
circuit bursts at 2238 at 4 x 6 um, the model at 2494; the mapping's approximations): period within 10 % of
it, 7 +- 1 spikes per burst. Each SPICE chip takes about 6 s of a core: ``--chips 50`` over three areas takes
about 15 minutes on 2 cores.

    .venv/bin/python benchmarks/spice_yield.py --chips 50 --areas 6 24 96
"""

import argparse
import time

import numpy as np

import neuromorph as nm


def nominal(devices, level):
    """The burst period and spikes per burst of the circuit without mismatch, at ``level``."""
    if level == "model":
        summary = nm.preset("bursting").simulate(20_000, i_app=-2.0).summary()
    else:
        run = nm.spice_simulate("bursting", 20_000, i_app=-2.0, level="transistor", max_step=0.2,
                                variation=nm.spice.TransistorMismatch(a_vt=0.0, a_beta=0.0, width=devices.width,
                                                                      length=devices.length))
        summary = run.summary()
    return summary["burst_period"], summary["spikes_per_burst"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chips", type=int, default=50)
    parser.add_argument("--areas", type=float, nargs="+", default=[6.0, 24.0, 96.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-chips", type=int, default=1000)
    args = parser.parse_args()
    model_period, _ = nominal(None, "model")
    model_rhythm = nm.Rhythm(period=model_period, spikes_per_burst=7, tolerance=0.1)
    print(f"{'area um^2':>9}  {'W x L':>9}  {'SPICE nominal':>13}  {'SPICE yield (chips)':>26}  "
          f"{'model yield (1000 fresh chips)':>30}  {'SPICE bursting':>14}  {'model bursting':>14}  {'s':>5}")
    for area in args.areas:
        devices = nm.DeviceMismatch().resized(area)
        started = time.perf_counter()
        period, spikes = nominal(devices, "transistor")
        rhythm = nm.Rhythm(period=period, spikes_per_burst=7, tolerance=0.1)
        spice = nm.yield_of("bursting", rhythm, devices, level="transistor", chips=args.chips, seed=args.seed,
                            i_app=-2.0, n_threads=2)
        model = nm.yield_of("bursting", model_rhythm, devices, chips=args.model_chips, seed=args.seed + 1,
                            i_app=-2.0)
        spent = time.perf_counter() - started
        s_lo, s_hi = spice.interval
        m_lo, m_hi = model.interval
        agree = "inside" if s_lo <= model.value <= s_hi else "OUTSIDE"
        bursting = [float(np.mean(np.isfinite(np.asarray(y.report.measured["period"])))) for y in (spice, model)]
        print(f"{area:9.4g}  {devices.width:4.3g} x {devices.length:g}  {period:8.1f} ({spikes:g})  "
              f"{100 * spice.value:5.1f} % [{100 * s_lo:4.1f}, {100 * s_hi:4.1f}] ({args.chips})  "
              f"{100 * model.value:5.1f} % [{100 * m_lo:4.1f}, {100 * m_hi:4.1f}] {agree:>7}  "
              f"{100 * bursting[0]:13.0f}%  {100 * bursting[1]:13.0f}%  {spent:5.0f}")


if __name__ == "__main__":
    main()
