"""
Reading back the gains of 256 mismatched chips at once
======================================================

One adaptive observer per chip, inside the ensemble engine.

256 copies of the bursting neuron, each a chip whose five gains are off by a 5 % Gaussian mismatch
(``nm.Mismatch(gain=0.05)``), run 20 000 time units. Beside each chip runs an adaptive observer that
knows only what a bench would: the design (elements, offsets, time constants), the applied current
and the chip's membrane voltage, read every second step. Started from every gain at 0, each observer
reads its own chip's gains back; they are compared with the gains the mismatch actually drew.

A few chips rest instead of bursting: their voltage says nothing of the spiking gains, and their
observers report those gains as not identifiable rather than as numbers.

Run it as a script (writes examples/figures/estimation_chips.png)::

    python examples/estimation_chips.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neuromorph as nm  # noqa: E402
from neuromorph.lower.compile import as_compiled_model  # noqa: E402

chips, seed, mismatch = np.arange(256), 3, nm.Mismatch(gain=0.05)
ensemble = nm.Ensemble("bursting", params={"i_app": -2.0}, size=chips.size)
run = ensemble.simulate(20_000, dt=0.05, mismatch=mismatch, seed=seed, chips=chips,
                        observer=nm.AdaptiveObserver(h_max=0.1))
est = run.estimates

# What each chip really got: the mismatch's own draw, gain by gain.
compiled = as_compiled_model("bursting")
drawn = mismatch.draw(compiled, seed, chips)["el_gain"]
truth = np.array([drawn[s.index] / s.scale for s in (compiled.slot(p)[1][0] for p in est.params)]).T

spiking = run.spike_counts > 0
error = np.abs(est.values / truth - 1.0)
print(est)
print(f"{spiking.sum()} of {chips.size} chips spike; over them the largest gain error is "
      f"{100 * error[spiking].max():.2f} % (median {100 * np.median(error[spiking]):.3f} %)")
print(f"{(~spiking).sum()} chips rest; their fast negative gain flagged not identifiable: "
      f"{(~est.identifiable[~spiking, est.params.index('fast_negative.alpha')]).sum()} of {(~spiking).sum()}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
j = est.params.index("slow_negative.alpha")
lims = np.array([truth[:, j].min(), truth[:, j].max()])
floor = lims[0] - 0.08  # resting chips' estimates mean nothing: drawn on the bottom edge, not as numbers
left.plot(truth[spiking, j], est.values[spiking, j], ".", ms=4, label="chips that spike")
left.plot(truth[~spiking, j], np.full((~spiking).sum(), floor), "x", color="C3",
          label="chips that rest: not identifiable", clip_on=False)
left.plot(lims, lims, "k:", lw=0.8)
left.set(xlabel="drawn slow_negative.alpha", ylabel="estimated", title="each chip's own gain, read back",
         ylim=(floor, lims[1] + 0.08))
left.legend(fontsize=8)

t, history = est.history
worst = np.abs(history[spiking] / truth[spiking][:, None, :] - 1.0).max(axis=2)  # chips x times
right.semilogy(t[1:], np.median(worst[:, 1:], axis=0), label="median chip")
right.semilogy(t[1:], worst[:, 1:].max(axis=0), label="worst chip")
right.axhline(0.02, color="k", lw=0.8, ls=":")
right.set(xlabel="time", ylabel="largest relative gain error", ylim=(1e-5, 2),
          title=f"{spiking.sum()} observers, every gain started at 0")
right.legend(fontsize=8)
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "estimation_chips.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
