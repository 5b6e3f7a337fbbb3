"""
A half-centre oscillator switched by pulses, under noise and mismatch
=====================================================================

Switching a half-centre oscillator on and off with input pulses, under noise and chip mismatch.

Two bursting neurons at I_app = -2.4 (each silent alone) inhibit each other strongly (g = 2).
They rest until a hyperpolarising pulse (-1 for 3000 time units) into n1 releases it into a
rebound burst; its end releases n2 in turn, and the anti-phase rhythm sustains itself by
post-inhibitory rebound (on). A depolarising pulse (+1 for 2000) into both neurons stops it:
both fire together, inhibit each other, and settle at rest (off). Over 4 chips x 6 trials with
intrinsic noise the two switches work in every member; the figure shows the raster and how
the burst onsets of n1 spread across members cycle after cycle while the rhythm runs.

Run it as a script (writes examples/figures/reliability_hco.png)::

    python examples/reliability_hco.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neuromorph as nm  # noqa: E402
from neuromorph.analysis.reliability import burst_onsets, events  # noqa: E402

ON, OFF, T_END = (10_000, 13_000), (30_000, 32_000), 42_000
neuron = nm.preset("bursting")
net = nm.Network(name="hco_on_off")
net.add_neuron("n1", neuron, i_app=-2.4, stimulus=nm.Pulse(*ON, amplitude=-1.0))  # on: into n1 only
net.add_neuron("n2", neuron, i_app=-2.4)
for pre, post in (("n1", "n2"), ("n2", "n1")):
    net.add_synapse(pre, post, kind="current", g=2.0)
off = nm.Pulse(*OFF, amplitude=1.0)  # off: the shared drive reaches both neurons

rel = nm.reliability(net, off, trials=6, chips=4, intrinsic=0.02, mismatch=nm.Mismatch(gain=0.03, offset=0.02,
                     tau=0.02), t_end=T_END, dt=0.05, seed=5, t_record=2_000)
members = [trial for chip in rel.spike_times for trial in chip]
count = lambda spikes, a, b: sum(int(((s >= a) & (s < b)).sum()) for s in spikes)  # noqa: E731
silent_before = sum(count(m, 2_000, ON[0]) == 0 for m in members)
on_members = sum(count((m[0],), ON[1] + 2_000, OFF[0]) > 0 and count((m[1],), ON[1] + 2_000, OFF[0]) > 0
                 for m in members)
silent_after = sum(count(m, OFF[1] + 2_000, T_END) == 0 for m in members)
print(f"{len(members)} members: {silent_before} silent before the on pulse, {on_members} with both neurons "
      f"bursting between the pulses, {silent_after} silent after the off pulse")
onsets = [burst_onsets(t, ON[1], OFF[0])[0] for chip in rel.trains("n1") for t in chip]
matched = events(onsets, window=800.0)
spread = np.nanstd(matched, axis=1)
print("n1 burst-onset spread across members, cycle by cycle: " + ", ".join(f"{s:.0f}" for s in spread))

fig, axes = plt.subplots(2, 1, figsize=(11, 6), sharex=True, layout="constrained",
                         gridspec_kw={"height_ratios": [3, 1]})
row = 0
for trial in members:
    for m, spikes in enumerate(trial):
        axes[0].vlines(spikes, row + 0.1, row + 0.9, color=f"C{m}", lw=0.5)
    row += 1
axes[0].axvspan(*ON, color="C0", alpha=0.15)
axes[0].axvspan(*OFF, color="C3", alpha=0.15)
axes[0].set_ylim(row, 0)
axes[0].set_ylabel("chip x trial\n(n1 blue, n2 orange)")
axes[0].set_title("HCO on (pulse into n1, blue band) and off (pulse into both, red band); 4 chips x 6 trials, noise")
axes[1].plot(np.nanmean(matched, axis=1), spread, "o-")
axes[1].set_ylabel("n1 burst-onset\nspread")
axes[1].set_xlabel("time (membrane time constants)")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "reliability_hco.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
