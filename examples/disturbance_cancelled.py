"""
Cancelling an unknown synaptic input
====================================

An observer estimates a disturbing synapse online; a synapse of the opposite sign cancels it.

A bursting neuron (MODEL.md's burster at I_app = -2) receives an inhibitory synapse of unknown gain
(0.5) from a tonically spiking neuron, enough to silence it. Beside the disturbing synapse the circuit
has a cancelling one: same presynaptic neuron, same filter and sigmoid, the opposite sign, gain 0 at
first: the controller is itself a neuromorphic element. An adaptive observer follows the two
voltages, knowing every gain but the disturbing synapse's and not told of the cancelling one; every
500 time units the cancelling gain takes on the net synaptic gain the observer sees, until nothing is
left of it. The circuit with its final cancelling gain is then simulated on its own.

Run it as a script (writes examples/figures/disturbance_cancelled.png)::

    python examples/disturbance_cancelled.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import neuromorph as nm  # noqa: E402

net = nm.Network()
net.add_neuron("d", nm.preset("tonic"), i_app=-0.7)
net.add_neuron("b", nm.preset("bursting"), i_app=-2.0)
net.add_synapse("d", "b", g=0.5, sign=-1, name="d_to_b")

out = nm.cancel_synapse(net, "d_to_b", 30_000)
disturbed = net.simulate(20_000, dt_out=1.0)
cancelled = out.model.simulate(20_000, dt_out=1.0)
alone = nm.preset("bursting").simulate(30_000, i_app=-2.0).summary()["burst_period"]
period = out.model.simulate(30_000).summary(neuron="b")["burst_period"]
print(f"estimated gain {out.estimate:.4f} (true 0.5); period with the cancellation {period:.1f}, "
      f"undisturbed {alone:.1f}")

t, residual, gain = out.history
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
left.plot(t, gain, "o-", ms=3, label="cancelling synapse's gain")
left.plot(t, residual, "s-", ms=3, label="net synaptic gain the observer sees")
left.axhline(0.5, color="k", ls=":", lw=0.8, label="the disturbing synapse's gain (unknown to it)")
left.set(xlabel="time", ylabel="gain", title="estimated online, cancelled by the opposite synapse")
left.legend(fontsize=8)
right.plot(disturbed.t, disturbed["b.v"], lw=0.7, color="0.6", label="disturbed: silenced")
right.plot(cancelled.t, cancelled["b.v"] + 4.0, lw=0.7, label="with the cancelling synapse (+4)")
right.set(xlabel="time", ylabel="V of the bursting neuron", title=f"period {period:.0f} (alone {alone:.0f})")
right.legend(fontsize=8, loc="upper right")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    path = Path(__file__).resolve().parent / "figures" / "disturbance_cancelled.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")
