"""
Reading the gains back from a noisy trace
=========================================

Estimation: a neuron's and a network's gains read back from their voltage traces.

The bursting neuron runs 20 000 time units under white current noise (sigma 0.02), sampled every
0.05. Given its structure (elements, offsets, filter time constants), least squares on the filtered
membrane equation reads its five gains back with standard errors, and the adaptive observer of
Burghi & Sepulchre, started from every gain at 0, converges to them along the trace. The same
least squares reads the mutual inhibition of a half-centre oscillator (HCO) from its two voltages.
The true gains are the reference design's (MODEL.md): leak 1, fast negative -2, slow positive 2,
slow negative -1.5, ultraslow positive 1.5, synapses 0.2.

Run it as a script (writes examples/figures/estimation.png)::

    python examples/estimation.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neuromorph as nm  # noqa: E402

TRUE = {"leak.g": 1.0, "fast_negative.alpha": -2.0, "slow_positive.alpha": 2.0, "slow_negative.alpha": -1.5,
        "ultraslow_positive.alpha": 1.5}  # MODEL.md, the reference bursting neuron
noise = nm.WhiteNoise(0.02)

# The bursting neuron: least squares and the observer on one noisy trace.
neuron = nm.preset("bursting")
run = neuron.simulate(20_000, i_app=-2.0, noise=noise, seed=1, dt=0.01, dt_out=0.05)
ls = nm.estimate(neuron, run, i_app=-2.0)
obs = nm.estimate(neuron, run, i_app=-2.0, method="observer")

print(f"bursting neuron, {run.t.size} samples, least squares from t = 10000 (condition number {ls.condition:.1f})")
print(f"{'gain':26s} {'true':>6s} {'least squares':>22s} {'observer':>10s}")
for path, truth in TRUE.items():
    print(f"{path:26s} {truth:6.2f} {ls[path]:11.5f} +- {ls.stderr[path]:.5f} {obs[path]:10.5f}")

# The HCO: its two synaptic gains alone (the neurons known), then all twelve gains together.
net = nm.hco()
hco_run = net.simulate(20_000, noise=noise, seed=3, dt=0.01, dt_out=0.05)
synapses = nm.estimate(net, hco_run, params=["n1_to_n2.g", "n2_to_n1.g"])
every = nm.estimate(net, hco_run)
print("\nhalf-centre oscillator (true synaptic gains 0.2)")
for path in synapses.params:
    print(f"{path:26s} alone {synapses[path]:.4f} +- {synapses.stderr[path]:.4f}, with the neurons' gains "
          f"{every[path]:.4f}")
worst = max(abs(e) for e in every.relative_error(net).values())
print(f"all twelve gains at once: the largest error is {100 * worst:.2f} %")

fig = plt.figure(figsize=(10, 7.5), layout="constrained")
top, middle, bottom = fig.subplots(3, 1, height_ratios=[1, 2, 1.6])
top.plot(run.t, run.v, color="k", lw=0.4)
top.set(xlim=(0, 20_000), ylabel="V", title="bursting neuron, white current noise 0.02, I_app = -2")

t, theta = obs.history
for j, path in enumerate(obs.params):
    middle.plot(t, theta[:, j] / TRUE[path], label=path)
middle.axhline(1.0, color="k", lw=0.8, ls=":")
middle.set(xlim=(0, 20_000), ylim=(-0.6, 1.4), xlabel="time", ylabel="estimate / truth",
           title="adaptive observer, every gain started at 0")
middle.legend(fontsize=8, loc="lower right")

rows = [(path, ls[path], ls.stderr[path], obs[path], truth) for path, truth in TRUE.items()]
rows += [(f"HCO {path}", synapses[path], synapses.stderr[path], np.nan, 0.2) for path in synapses.params]
x = np.arange(len(rows))
error = np.array([100 * (value / truth - 1.0) for _, value, _, _, truth in rows])
bars = np.array([200 * stderr / abs(truth) for _, _, stderr, _, truth in rows])  # 2 standard errors, in %
bottom.errorbar(x, error, yerr=bars, fmt="o", capsize=3, label="least squares +- 2 standard errors")
bottom.plot(x, [100 * (o / truth - 1.0) for _, _, _, o, truth in rows], "x", color="C3",
            label="observer, end of the trace")
bottom.axhline(0.0, color="k", lw=0.8, ls=":")
bottom.set_xticks(x, [r[0] for r in rows], rotation=20, ha="right", fontsize=8)
bottom.set(ylabel="error (%)", title="estimates against the true gains")
bottom.legend(fontsize=8)
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "estimation.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
