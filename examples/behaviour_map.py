"""
Behaviour map over I_app and the slow negative gain
===================================================

Behaviour map of the bursting neuron over I_app and the slow negative gain (64 x 64 cells),
with the boundaries the I-V curves predict drawn on top. This is the README's map figure.

Run it as a script (writes examples/figures/behaviour_map.png)::

    python examples/behaviour_map.py
"""

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import neuromorph as nm  # noqa: E402
from neuromorph import plot_behaviour_map  # noqa: E402

t0 = time.perf_counter()
m = nm.behaviour_map(nm.preset("bursting"), x=("i_app", -3.0, 0.0, 64), y=("slow_negative.alpha", -3.0, 0.0, 64),
                     t_end=20_000, progress=True)
print(f"{m.pattern.size} cells in {time.perf_counter() - t0:.1f} s: {m.counts()}")
print(f"I-V prediction agrees on {100 * m.agreement():.1f} % of cells")
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
plot_behaviour_map(m, ax=left, title="firing pattern (lines: I-V prediction)")
plot_behaviour_map(m, ax=right, quantity="spikes_per_burst", show_prediction=False, title="spikes per burst")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "behaviour_map.png"
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")
