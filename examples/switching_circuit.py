"""
A hub neuron switched between two rhythms
=========================================

A hub neuron switched between two rhythms by neuromodulation (Gutierrez, O'Leary & Marder 2013).

Two half-centre oscillators of different speeds (ultraslow time constants 800 and 2500) and a hub
neuron joined to the fast one (f1) by a gap junction and inhibited by the slow one (s1) through a
synapse. With the hub's synaptic conductance low it bursts with the fast rhythm; raising it to 1 at
t = 30000 moves the hub to the slow rhythm, while both oscillators keep their own periods.

Run it as a script (writes examples/figures/switching_circuit.png)::

    python examples/switching_circuit.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import neuromorph as nm  # noqa: E402

net = nm.switching_circuit()  # nodes f1, f2 (fast HCO), s1, s2 (slow HCO), h (hub)
res = net.simulate(60_000, dt_out=2.0, modulation=[(30_000.0, {"s1_to_h.g": 1.0})])
for label, (t0, t1) in {"s1_to_h.g = 0": (10_000, 30_000), "s1_to_h.g = 1": (40_000, 60_000)}.items():
    rows = res.rhythm(t_start=t0, t_end=t1)["neurons"]
    periods = ", ".join(f"{n} {rows[n]['burst_period']:.0f}" for n in ("f1", "s1", "h"))
    print(f"{label}: burst periods {periods}")

axes = nm.plot_network(res, neurons=["f1", "h", "s1"],
                       title="switching circuit: the hub (h) leaves the fast rhythm (f1) for the slow one (s1) "
                             "when s1_to_h.g rises at t = 30000")
for ax in axes:
    ax.axvline(30_000, color="k", lw=0.7, ls=":")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "switching_circuit.png"
    axes[0].figure.savefig(out, dpi=100)
    print(f"wrote {out}")
