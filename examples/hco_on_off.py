"""
Switching a half-centre oscillator on and off
=============================================

Switching a half-centre oscillator on and off (the reference design's HCO tool).

Two neurons with delta_s- = delta_us+ = -0.88 and I_app = -1 inhibit each other strongly (g = 1.5):
started alike, both rest. A pulse of -1 for 500 time units into one neuron releases it into a
rebound burst that inhibits the other, and the anti-phase rhythm takes over (on). Lowering the
synaptic gains to 0 (neuromodulation) decouples them: each bursts at its own, faster period and
merely keeps the phase it had (off as an HCO); raising the gains again brings back the HCO's
slower, locked rhythm.

Run it as a script (writes examples/figures/hco_on_off.png)::

    python examples/hco_on_off.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import neuromorph as nm  # noqa: E402

neuron = nm.preset("bursting")
neuron.set("slow_negative.delta", -0.88).set("ultraslow_positive.delta", -0.88)
net = nm.hco(neuron, g=1.5, i_app=-1.0, symmetric=True)

pulse = nm.Pulse(start=10_000, stop=10_500, amplitude=-1.0)  # into n1: the rhythm starts
gains_off = {"n1_to_n2.g": 0.0, "n2_to_n1.g": 0.0}  # neuromodulation: no inhibition
gains_on = {"n1_to_n2.g": 1.5, "n2_to_n1.g": 1.5}
res = net.simulate(70_000, i_app={"n1": -1.0 + pulse}, dt_out=2.0,
                   modulation=[(35_000.0, gains_off), (50_000.0, gains_on)])

for label, (t0, t1) in {"before the pulse": (2_000, 10_000), "after the pulse": (20_000, 35_000),
                        "gains at 0": (40_000, 50_000), "gains back": (55_000, 70_000)}.items():
    rows = res.rhythm(t_start=t0, t_end=t1)["neurons"]
    n1, n2 = rows["n1"], rows["n2"]
    phase = "" if n2["phase"] is None else (f", period {n1['burst_period']:.0f}, n2 at phase {n2['phase']:.2f} of "
                                             f"n1 ({n2['relation']})")
    print(f"{label:17s} n1 {n1['pattern']:8s} ({n1['n_spikes']:2d} spikes), n2 {n2['pattern']:8s} "
          f"({n2['n_spikes']:2d} spikes){phase}")

axes = nm.plot_network(res, title="HCO on-off: a pulse into n1 at t = 10000 starts it; gains to 0 at 35000, "
                                  "back at 50000")
for ax in axes:
    for t in (10_000, 35_000, 50_000):
        ax.axvline(t, color="k", lw=0.7, ls=":")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "hco_on_off.png"
    axes[0].figure.savefig(out, dpi=100)
    print(f"wrote {out}")
