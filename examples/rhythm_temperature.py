"""
A rhythm held through a temperature step
========================================

A chip warms from 300 K to 320 K while it runs; a rhythm controller, not told of it, holds the burst
period.

In weak inversion the voltage unit is ``2 U_T / kappa`` with ``U_T = kT/q``: warming shrinks every fixed
voltage (offsets, reversal potentials, thresholds) in model units by ``T0 / T`` and stretches every time
constant (``C U_T / I_b``) by ``T / T0`` (:meth:`Mismatch.conditions <neuromorph.Mismatch.conditions>`).
Twenty kelvin lengthen the bursting neuron's period from 2494 to 3129 (25 %). The controller moves the
slow negative and ultraslow positive gains once per burst, from spike times alone, and brings the period
back within 2 %. The chip is then run afresh at 320 K with the final gains and no controller.

Run it as a script (writes examples/figures/rhythm_temperature.png)::

    python examples/rhythm_temperature.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import neuromorph as nm  # noqa: E402

design = nm.preset("bursting")
warm = nm.Mismatch(temperature=320.0).conditions(design)  # {path: value} at 320 K
print({path: round(value, 4) for path, value in warm.items()})

bounds = {"slow_negative.alpha": (-2.2, -1.2), "ultraslow_positive.alpha": (1.3, 2.8)}
target = nm.Rhythm(period=2494, tolerance=0.02)
controller = nm.RhythmController(target, adjust=list(bounds), bounds=bounds)
out = controller.run(design, 140_000, i_app=-2.0, schedule=[(40_000.0, warm)])
print(out)

# The tuned chip at 320 K on its own: the warm values and the final gains from t = 0, no controller.
alone = nm.Integrator(out.model, i_app=-2.0, record=())
for path, value in warm.items():
    alone.set_parameter(path, value)
alone.advance(30_000)
print(f"the tuned chip alone at 320 K: period {alone.result().summary(t_start=10_000)['burst_period']:.1f}")

t, periods = out.periods
fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, layout="constrained")
top.axhspan(2494 * 0.98, 2494 * 1.02, color="C2", alpha=0.2, label="target 2494 +- 2 %")
top.plot(t, periods, "o-", ms=3, label="measured period, one per burst")
top.axvline(40_000, color="k", ls=":", lw=0.8)
top.text(41_000, 3050, "300 K -> 320 K", fontsize=8)
top.set(ylabel="burst period", title="a temperature step the controller is not told of")
top.legend(fontsize=8, loc="upper right")
for path, (lo, hi) in bounds.items():
    tg, g = out.gains(path)
    bottom.step(tg, g / design.get(path), where="post", label=f"{path} (bounds {lo:g}, {hi:g})")
bottom.axvline(40_000, color="k", ls=":", lw=0.8)
bottom.set(xlabel="time", ylabel="gain / its design value")
bottom.legend(fontsize=8)
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    path = Path(__file__).resolve().parent / "figures" / "rhythm_temperature.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")
