"""
From tonic spiking to bursting
==============================

From tonic spiking to bursting by the slow negative gain (neuromodulation).

The ultraslow positive gain moves with the slow negative one (alpha_us = -alpha_s), so the
steady-state curve stays I_ss(V) = V and the equilibrium stays at V* = I_app = -0.7, inside the
fast negative-conductance band: a weak slow negative conductance gives tonic spiking;
strengthening it opens a negative-conductance region of the slow I-V curve around V*, and the
neuron bursts, as the I-V prediction says. Each trace sits next to its slow I-V curve.

Run it as a script (writes examples/figures/spiking_to_bursting.png)::

    python examples/spiking_to_bursting.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neuromorph as nm  # noqa: E402

I_APP = -0.7
gains = [-0.5, -1.0, -1.5, -2.0, -2.5, -3.0]
base = nm.preset("bursting")
fig, axes = plt.subplots(len(gains), 2, figsize=(11, 10), layout="constrained",
                         gridspec_kw={"width_ratios": [3, 1]}, sharex="col")
v = np.linspace(-3, 1, 401)
for row, alpha in zip(axes, gains):
    n = base.copy().set("slow_negative.alpha", alpha).set("ultraslow_positive.alpha", -alpha)
    res = n.simulate(20_000, I_APP, dt_out=2.0)
    s = res.summary(t_start=8000)
    iv = nm.iv_curves(n, v=v, i_app=I_APP)
    slow_region = nm.negative_conductance_intervals(n, "slow", I_APP)
    label = s["pattern"] + (f", {s['spikes_per_burst']} spikes/burst" if s["pattern"] == "bursting" else "")
    print(f"slow_negative.alpha = {alpha:+.1f}: {label}; slow negative-conductance region {slow_region}; "
          f"predicted {nm.predict_behaviour(n, I_APP)}")
    row[0].plot(res.t, res.v, lw=0.7)
    row[0].set_ylabel(f"alpha = {alpha:+.1f}")
    row[0].set_title(label, fontsize=9, loc="left")
    row[1].plot(v, iv["slow"], color="tab:orange")
    for lo, hi in slow_region:
        row[1].axvspan(lo, hi, color="tab:orange", alpha=0.2, lw=0)
    row[1].axhline(I_APP, color="k", ls="--", lw=0.8)
    row[1].plot([iv.v_rest], [I_APP], "ko", ms=3)
axes[-1, 0].set_xlabel("time")
axes[-1, 1].set_xlabel("V (slow I-V curve)")
fig.suptitle(f"Tonic spiking to bursting as the slow negative gain grows (I_app = {I_APP}, V* fixed)")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "spiking_to_bursting.png"
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")
