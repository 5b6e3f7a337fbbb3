"""
Yield against device area, open and closed loop
===============================================

How large must the transistors be for the chips to burst as designed, and how much does closing the
loop save?

Every element of the bursting neuron is a transconductance amplifier; each transistor's threshold
varies from chip to chip with ``sigma = A_VT / sqrt(W L)`` (Pelgrom's law, A_VT = 5 mV um, typical of
180 nm). :func:`~neuromorph.area_for_yield` tries areas from 6 to 384 um^2 on the model-level twin of
that mismatch (:class:`~neuromorph.DeviceMismatch`), the same chips at every area, and finds the
smallest whose yield reaches 50 % (the lower end of its 95 % interval): once open loop, once with every
chip retuned from its own estimated gains. The specification: a burst period within 10 % of the nominal
and 7 +- 1 spikes per burst.

Then the transistor level: a few chips of the transistor netlist at two areas, each with its own draws
for every transistor, run by ngspice (``level="transistor"``). The transistor-level circuit bursts at
2238 where the model bursts at 2494, so its rhythm is stated around its own nominal run.
``benchmarks/spice_yield.py`` runs 50 chips per area: the model's prediction lies inside ngspice's 95 %
interval at each area it tried.

Run it as a script (writes examples/figures/yield_area.png)::

    python examples/yield_area.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neuromorph as nm  # noqa: E402

rhythm = nm.Rhythm(period=2494, spikes_per_burst=7, tolerance=0.1)
common = dict(areas=(6, 384), grid=7, refine=0, chips=200, confirm_chips=200, i_app=-2.0)
open_loop = nm.area_for_yield("bursting", rhythm, 0.5, **common)
closed = nm.area_for_yield("bursting", rhythm, 0.5, closed_loop="retune", **common)
print("open loop:", open_loop)
print("retuned:  ", closed)

# The transistor level: 8 chips at each of two areas in ngspice (about 6 s of a core each).
spice = {}
for area in (24.0, 96.0):
    devices = nm.DeviceMismatch().resized(area)
    nominal = nm.spice_simulate("bursting", 20_000, i_app=-2.0, level="transistor", max_step=0.2,
                                variation=nm.spice.TransistorMismatch(a_vt=0.0, a_beta=0.0, width=devices.width,
                                                                      length=devices.length))
    own = nm.Rhythm(period=nominal.summary()["burst_period"], spikes_per_burst=7, tolerance=0.1)
    spice[area] = nm.yield_of("bursting", own, devices, level="transistor", chips=8, seed=0, i_app=-2.0, n_threads=2)
    print(f"{area:g} um^2 in ngspice: {spice[area]}")

fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
open_loop.plot(ax=ax, label="open loop (model, 200 chips per area)")
closed.plot(ax=ax, label="retuned from estimated gains (model)")
areas = np.array(sorted(spice))
value = np.array([spice[a].value for a in areas])
low = np.array([spice[a].interval[0] for a in areas])
high = np.array([spice[a].interval[1] for a in areas])
ax.errorbar(areas, 100 * value, yerr=[100 * (value - low), 100 * (high - value)], fmt="s", color="k", capsize=3,
            label="open loop, transistor level in ngspice (8 chips)")
ax.legend(loc="lower right", fontsize=8)
ax.set_title("bursting neuron: period within 10 %, 7 +- 1 spikes; A_VT = 5 mV um, L = 6 um", fontsize=9)
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "yield_area.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
