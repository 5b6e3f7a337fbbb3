"""
Neuromodulation during a run
============================

Neuromodulation during a run: weaken the slow negative conductance and bursting stops (its
slow I-V curve loses the negative-conductance region that makes bursts), restore it and bursting
resumes. The state carries over at each change.

Run it as a script (writes examples/figures/neuromodulation.png)::

    python examples/neuromodulation.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import neuromorph as nm  # noqa: E402
from neuromorph import plot_trace  # noqa: E402

neuron = nm.preset("bursting")
run = nm.Integrator(neuron, i_app=-2.0)
schedule = [(6000.0, -1.5), (12000.0, -0.6), (20000.0, -1.5)]  # (until t, slow_negative.alpha)
for t_stop, alpha in schedule:
    run.set_parameter("slow_negative.alpha", alpha)
    run.advance(t_stop)
    print(f"until t = {t_stop:7.0f}: slow_negative.alpha = {alpha:+.1f}")
res = run.result()
for t0, t1 in ((0, 6000), (6000, 12000), (12000, 20000)):
    s = nm.summarize_spikes(res.spike_times, t0 + 1000, t1)
    print(f"  [{t0:5d}, {t1:5d}): {s['pattern']:9s} spikes/burst {s['spikes_per_burst']}, ISI {s['isi_mean']}")

fig, ax = plt.subplots(figsize=(11, 3.2), layout="constrained")
plot_trace(res, ax=ax, states=["v"], title="slow_negative.alpha: -1.5 -> -0.6 at t = 6000 -> -1.5 at t = 12000")
for t in (6000, 12000):
    ax.axvline(t, color="k", lw=0.8, ls=":")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "neuromodulation.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
