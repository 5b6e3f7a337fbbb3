"""
Yield of the bursting rhythm against mismatch
=============================================

How many chips still burst as designed when their gains are off?

The specification: a burst period within 10 % of 2494 and 7 +- 1 spikes per burst (the reference
burster of MODEL.md at I_app = -2). For each gain mismatch level (the standard deviation of every
gain's relative error, chip to chip), 200 chips are drawn and run 20 000 time units in the ensemble
engine; each chip's rhythm is measured on its second half. The yield comes with its 95 % Wilson
interval, and the number of chips a tighter estimate would need is computed.

Run it as a script (writes examples/figures/yield_mismatch.png)::

    python examples/yield_mismatch.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neuromorph as nm  # noqa: E402

rhythm = nm.Rhythm(period=2494, tolerance=0.1, spikes_per_burst=7, spikes_tolerance=1)
levels = [0.005, 0.01, 0.02, 0.03, 0.05]
results = {}
for level in levels:
    results[level] = nm.yield_of("bursting", rhythm, nm.Mismatch(gain=level), chips=200, seed=1, i_app=-2.0)
    y = results[level]
    print(f"gain mismatch {100 * level:3.1f} %: yield {100 * y.value:5.1f} %, 95 % interval "
          f"[{100 * y.interval[0]:.1f}, {100 * y.interval[1]:.1f}] %")
print(results[0.02])
print(f"a yield near {100 * results[0.02].value:.0f} % known to +-2 % (95 % confidence) needs "
      f"{nm.chips_needed(0.02, results[0.02].value)} chips")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
value = np.array([results[x].value for x in levels])
low = np.array([results[x].interval[0] for x in levels])
high = np.array([results[x].interval[1] for x in levels])
pct = 100 * np.array(levels)
left.errorbar(pct, 100 * value, yerr=[100 * (value - low), 100 * (high - value)], fmt="o-", capsize=3)
left.set(xlabel="gain mismatch (% per gain, 1 sigma)", ylabel="yield (%)", ylim=(0, 105))
left.set_title("period 2494 +- 10 %, 7 +- 1 spikes per burst, 200 chips per level", fontsize=9)
results[0.02].plot(ax=right)
right.set_title(f"2 % mismatch: {right.get_title()}", fontsize=9)
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "yield_mismatch.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
