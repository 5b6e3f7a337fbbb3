"""
Holding a burst period through a disturbance
============================================

A rhythm controller moves two gains, one update per burst, to hold a target period.

The bursting neuron of MODEL.md bursts with period 2494 at I_app = -2. The target is 4000 +- 2 %.
The controller adjusts the slow negative and the ultraslow positive gains within bounds, from spike
times alone (the period of the last burst): a damped Newton step per burst, sensitivities from the
design model corrected on the run. Halfway through, the applied current steps to -1.9 without the
controller being told; the period jumps, and the gains move again to bring it back. The tuned chip is
then simulated on its own, without the controller, to confirm the period.

Run it as a script (writes examples/figures/rhythm_control.png)::

    python examples/rhythm_control.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import neuromorph as nm  # noqa: E402

bounds = {"slow_negative.alpha": (-2.2, -1.2), "ultraslow_positive.alpha": (1.3, 2.8)}
target = nm.Rhythm(period=4000, tolerance=0.02)
controller = nm.RhythmController(target, adjust=list(bounds), bounds=bounds)
out = controller.run("bursting", 160_000, i_app=-2.0, schedule=[(80_000.0, {"i_app": -1.9})])
print(out)
alone = out.model.simulate(30_000, i_app=-1.9)
print(f"the tuned chip on its own, I_app = -1.9: period {alone.summary()['burst_period']:.1f}")

t, periods = out.periods
fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, layout="constrained")
top.axhspan(4000 * 0.98, 4000 * 1.02, color="C2", alpha=0.2, label="target 4000 +- 2 %")
top.plot(t, periods, "o-", ms=3, label="measured period, one per burst")
top.axvline(80_000, color="k", ls=":", lw=0.8)
top.text(81_000, 2600, "I_app -2 -> -1.9", fontsize=8)
top.set(ylabel="burst period", title="rhythm controller: two gains adapted once per burst")
top.legend(fontsize=8, loc="lower right")
for path, (lo, hi) in bounds.items():
    tg, g = out.gains(path)
    bottom.step(tg, g, where="post", label=f"{path} (bounds {lo:g}, {hi:g})")
bottom.axvline(80_000, color="k", ls=":", lw=0.8)
bottom.set(xlabel="time", ylabel="gain")
bottom.legend(fontsize=8)
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    path = Path(__file__).resolve().parent / "figures" / "rhythm_control.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")
