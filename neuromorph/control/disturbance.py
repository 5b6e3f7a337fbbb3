"""Rejecting a disturbance: an unknown synaptic input estimated online and cancelled by a synapse of the opposite
sign, the controller itself a neuromorphic element (Schmetterling, Burghi & Sepulchre, "Adaptive conductance
control", 2022).

The circuit runs with a cancelling synapse beside the disturbing one (same presynaptic neuron, same filter and
sigmoid, the other sign, gain 0 at first). An adaptive observer (:class:`~neuromorph.AdaptiveObserver`) follows
the circuit from its voltages, knowing every gain but the disturbing synapse's, and not told of the cancelling
one: it sees the net synaptic gain, ``g - g_cancel``. After each stretch the cancelling gain takes that residual
on (integral action), so the residual goes to 0 and the cancelling gain to ``g``.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..errors import ModelError

__all__ = ["cancel_synapse", "Cancellation"]


@dataclass(frozen=True, eq=False)
class Cancellation:
    """What :func:`cancel_synapse` returns.

    Parameters
    ----------
    synapse : str
        The disturbing synapse.
    history : tuple of numpy.ndarray
        ``(t, residual, cancel_gain)`` after each stretch: the observer's estimate of the net synaptic gain, and the
        cancelling synapse's gain set from it.
    model : Network
        The circuit with its cancelling synapse (``cancel_SYNAPSE``) at the final gain: run it on its own to
        confirm the rhythm.
    spikes : tuple of numpy.ndarray
        ``(times, neuron indices)`` of every spike of the controlled run.

    Raises
    ------
    TypeError
        If a field is missing (made by :func:`cancel_synapse`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> net = nm.Network()
    >>> _ = net.add_neuron("d", nm.preset("tonic"), i_app=-0.7)
    >>> _ = net.add_neuron("b", nm.preset("bursting"), i_app=-2.0)
    >>> _ = net.add_synapse("d", "b", g=0.5, name="d_to_b")
    >>> out = nm.cancel_synapse(net, "d_to_b", 20_000)
    >>> round(out.estimate, 3)
    0.5
    """

    synapse: str
    history: tuple
    model: object = field(repr=False)
    spikes: tuple = field(repr=False)

    @property
    def estimate(self):
        """The disturbing synapse's gain as estimated at the end: the cancelling gain plus the residual."""
        return float(self.history[2][-1] + self.history[1][-1])


def cancel_synapse(network, synapse, t_end, update_every=500.0, observer=None, dt=0.05, i_app=None):
    """Run ``network`` with the current synapse ``synapse`` estimated online and cancelled.

    Parameters
    ----------
    network : Network or str
        The circuit, disturbing synapse included (its gain is what is unknown: the observer never reads it).
    synapse : str
        The disturbing connection's name; a current synapse (``kind="current"``).
    t_end : float
    update_every : float, default 500
        Length of each stretch after which the cancelling gain is updated.
    observer : AdaptiveObserver, optional
        Default ``AdaptiveObserver()``.
    dt : float, default 0.05
        RK4 step of the run.
    i_app : optional
        Applied currents, as :class:`~neuromorph.Integrator` takes them (default: the nodes' own).

    Returns
    -------
    Cancellation

    Raises
    ------
    ModelError
        If ``network`` is not a network, ``synapse`` is not one of its current synapses, or a number is out of
        range.

    Examples
    --------
    A tonic neuron inhibits a burster (g = 0.5, unknown to the controller); its estimate and the cancelling
    gain after 10 000 time units:

    >>> import neuromorph as nm
    >>> net = nm.Network()
    >>> _ = net.add_neuron("d", nm.preset("tonic"), i_app=-0.7)
    >>> _ = net.add_neuron("b", nm.preset("bursting"), i_app=-2.0)
    >>> _ = net.add_synapse("d", "b", g=0.5, name="d_to_b")
    >>> out = nm.cancel_synapse(net, "d_to_b", 10_000)
    >>> round(out.estimate, 2), round(float(out.history[2][-1]), 2)
    (0.5, 0.5)
    """
    from ..estimation.estimate import AdaptiveObserver
    from ..io.circuits import as_model
    from ..solve.integrator import Integrator
    from ..solve.solvers import RK4

    net = as_model(network)
    if not hasattr(net, "connections"):
        raise ModelError(f"cancel_synapse needs a network, got {type(net).__name__}")
    if synapse not in net.connections:
        raise ModelError(f"`synapse` {synapse!r} is not a connection of the network; its connections: "
                         f"{', '.join(net.connections) or 'none'}")
    conn = net.connections[synapse]
    element = conn.element
    if type(element).__name__ != "CurrentSynapse":
        raise ModelError(f"{synapse!r} is a {type(element).__name__}: only a current synapse is cancelled (a "
                         "conductance synapse's current depends on the postsynaptic voltage)")
    t_end = check.positive("t_end", t_end)
    update_every = check.positive("update_every", update_every)
    observer = observer if observer is not None else AdaptiveObserver()
    name = f"cancel_{synapse}"
    plant = net.copy()
    plant.add_synapse(conn.ends["pre"], conn.ends["post"], kind="current", g=0.0, sign=-element.sign,
                      delta=element.delta, k=element.k, tau=element.tau, name=name)
    design = net.copy()
    design.set(f"{synapse}.g", 0.0)  # what the observer is told of it: nothing
    nodes = list(net.node_names)
    run = Integrator(plant, i_app=i_app, solver=RK4(dt=dt), record=tuple(f"{n}.v" for n in nodes))
    online = observer.start(design, params=[f"{synapse}.g"], i_app=i_app)
    gain, times, residuals, gains, spikes, neurons = 0.0, [], [], [], [], []
    for t_stop in np.append(np.arange(update_every, t_end, update_every), t_end):
        run.advance(float(t_stop))
        t, y, s, k = run.take()
        spikes.append(s)
        neurons.append(k)
        residual = float(online.update(t, y)[0])
        gain = max(0.0, gain + residual)
        run.set_parameter(f"{name}.g", gain)
        times.append(float(t_stop))
        residuals.append(residual)
        gains.append(gain)
    tuned = plant.copy()
    tuned.set(f"{name}.g", gain)
    return Cancellation(synapse, (np.array(times), np.array(residuals), np.array(gains)), tuned,
                        (np.concatenate(spikes), np.concatenate(neurons)))
