"""
The four-element bursting neuron
================================

Build the four-element bursting neuron in Python, simulate it, summarise and plot.

Run it as a script (writes examples/figures/bursting.png)::

    python examples/bursting.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import neuromorph as nm  # noqa: E402
from neuromorph import plot_iv, plot_trace  # noqa: E402

# Fast negative + slow positive conductances make spikes; slow negative + ultraslow positive make bursts.
n = nm.Neuron(C=1.0, v0=-1.9)
n.add_leak(g=1.0)
n.add_current(alpha=-2.0, delta=0.0, tau=0.0)       # fast_negative
n.add_current(alpha=2.0, delta=0.0, tau=50.0)       # slow_positive
n.add_current(alpha=-1.5, delta=-1.5, tau=50.0)     # slow_negative
n.add_current(alpha=1.5, delta=-1.5, tau=2500.0)    # ultraslow_positive
n.set_initial(slow=-1.8, ultraslow=-1.8)

res = n.simulate(t_end=10_000, i_app=-2.0)
print(res)
for key, value in res.summary().items():
    print(f"  {key:16s} {value}")

fig = plt.figure(figsize=(11, 6), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1])
plot_trace(res, ax=top.subplots(), title="Four-element bursting neuron, I_app = -2")
plot_iv(n, i_app=-2.0, axes=bottom.subplots(1, 4))
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "bursting.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
