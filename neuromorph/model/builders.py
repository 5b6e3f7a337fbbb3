"""Ready-made networks: the half-centre oscillator, mutual-inhibition rings, and the switching circuit.

Each returns a :class:`~neuromorph.Network` to simulate, modulate or extend.
"""

from .. import _validate as check
from ..errors import ModelError
from .network import Network, node_bytes, resolve_neuron, synapse_keywords

__all__ = ["hco", "ring", "switching_circuit"]

_SYNAPSE_BYTES = 512.0  # one interconnection of a network (measured with ring(): ~300 bytes), rounded up
_SECONDS_PER_NODE = 2e-3  # building and compiling one ring neuron (measured: ~0.4 ms and ~1.5 ms), rounded up


def _shifted_initial(neuron, dv=-0.6, dx=-0.2):
    """Initial state lowered by ``dv`` in V and ``dx`` in every filter: from the bursting neuron's
    (-1.9, -1.8) this is MODEL.md's second HCO neuron (-2.5, -2.0)."""
    values = neuron.initial_values()
    return {name: value + (dv if name == "v" else dx) for name, value in values.items()}


def hco(neuron="bursting", g=0.2, i_app=-2.0, kind="current", e_syn=None, names=("n1", "n2"), symmetric=False,
        **synapse):
    """Half-centre oscillator: two copies of ``neuron`` inhibiting each other.

    Parameters
    ----------
    neuron : Neuron or str, default "bursting"
        The neuron (copied) or the name of a neuron preset.
    g : float, default 0.2
        Strength of each of the two synapses (``"n1_to_n2.g"``, ``"n2_to_n1.g"``).
    i_app : float, default -2.0
        Applied current of each neuron.
    kind : {"current", "conductance"}, default "current"
        Synapse kind (conductance synapses need ``e_syn``, below rest to inhibit).
    e_syn : float, optional
        Reversal voltage of conductance synapses (required with ``kind="conductance"``, refused
        with ``"current"``).
    names : pair of str, default ("n1", "n2")
        Node names.
    symmetric : bool, default False
        Start both neurons in the same state. Identical neurons in identical states stay
        exactly symmetric (the in-phase solution, which is unstable); by default the second
        starts 0.6 lower in V and 0.2 lower in every filter (MODEL.md's HCO for the bursting neuron).
    **synapse
        Further synapse parameters (``delta``, ``k``, ``tau``, ``sign``).

    Returns
    -------
    Network
        Named ``"hco"``; nodes ``names``, synapses ``"A_to_B"`` and ``"B_to_A"``.

    Raises
    ------
    ModelError
        If ``neuron`` is neither a Neuron nor the name of a neuron preset, ``names`` is not two
        different identifiers, ``i_app`` is not a finite real number, or a synapse parameter is
        invalid (an unknown ``kind``, ``e_syn`` missing or out of place, a negative ``g``, ...), or
        ``**synapse`` holds a keyword a synapse does not take (the message lists those it takes).

    Examples
    --------
    >>> import neuromorph as nm
    >>> net = nm.hco("bursting")
    >>> net.node_names, net.connection_names
    (('n1', 'n2'), ('n1_to_n2', 'n2_to_n1'))

    The two neurons burst in alternation, 8 spikes per burst:

    >>> r = net.simulate(20_000, record=()).rhythm(t_start=10_000)
    >>> r["neurons"]["n2"]["relation"], r["neurons"]["n2"]["spikes_per_burst"]
    ('anti-phase', 8)

    With conductance synapses, inhibition comes from a reversal voltage below rest:

    >>> nm.hco(kind="conductance", e_syn=-3.0).get("n1_to_n2.e_syn")
    -3.0
    """
    synapse_keywords(synapse, "hco", taken=("pre", "post", "kind", "name", "g", "e_syn"))
    neuron = resolve_neuron(neuron, "hco neuron")
    if isinstance(names, str) or len(names) != 2:
        raise ModelError(f"`names` must be two node names, got {names!r}")
    a, b = names
    net = Network(name="hco", description="half-centre oscillator: two neurons inhibiting each other")
    net.add_neuron(a, neuron, i_app=i_app)
    net.add_neuron(b, neuron, i_app=i_app, initial=None if symmetric else _shifted_initial(neuron))
    for pre, post in ((a, b), (b, a)):
        net.add_synapse(pre, post, kind=kind, g=g, e_syn=e_syn, **synapse)
    return net


def ring(n, neuron="bursting", g=0.2, i_app=-2.0, kind="current", e_syn=None, **synapse):
    """A ring of ``n`` neurons, each inhibiting both neighbours (a mutual-inhibition ring).

    Neurons ``r0 ... r{n-1}``; neuron ``i`` starts lowered by ``0.6 i / n`` in V and ``0.2 i / n``
    in its filters, so the ring does not start on its (unstable) symmetric solution.

    Parameters
    ----------
    n : int
        Number of neurons (>= 2).
    neuron : Neuron or str, default "bursting"
        The neuron (copied) or the name of a neuron preset.
    g : float, default 0.2
        Strength of each synapse (``"r0_to_r1.g"``, ...).
    i_app : float, default -2.0
        Applied current of each neuron.
    kind : {"current", "conductance"}, default "current"
        Synapse kind (conductance synapses need ``e_syn``).
    e_syn : float, optional
        Reversal voltage of conductance synapses (required with ``kind="conductance"``).
    **synapse
        Further synapse parameters (``delta``, ``k``, ``tau``, ``sign``).

    Returns
    -------
    Network
        Named ``"ring{n}"``, with ``2 n`` synapses (two for ``n = 2``, one each way).

    Raises
    ------
    ModelError
        If ``n`` is not an integer >= 2, ``neuron`` is neither a Neuron nor the name of a neuron
        preset, the ring would take more than half the free memory, ``i_app`` is not a finite real
        number, or a synapse parameter is invalid (an unknown ``kind``, ``e_syn`` missing or out
        of place, a negative ``g``, ...), or ``**synapse`` holds a keyword a synapse does not take (the message
        lists those it takes).

    Warns
    -----
    NeuromorphWarning
        When building and compiling the ring is estimated to take over a minute (some 30 000
        neurons).

    Examples
    --------
    >>> import neuromorph as nm
    >>> len(nm.ring(5).connection_names)
    10
    >>> net = nm.ring(3)
    >>> [round(net.neuron(name).v0, 2) for name in net.node_names]
    [-1.9, -2.1, -2.3]
    """
    n = check.count("n", n, 2)
    synapse_keywords(synapse, "ring", taken=("pre", "post", "kind", "name", "g", "e_syn"))
    neuron = resolve_neuron(neuron, "ring neuron")
    check.memory("n", n * (node_bytes(len(neuron)) + 2 * _SYNAPSE_BYTES), what=f"a ring of {n} neurons")
    seconds = n * _SECONDS_PER_NODE
    if seconds > 60.0:
        from ..errors import NeuromorphWarning

        check.warn(f"a ring of {n} neurons takes roughly {seconds / 60:.3g} minutes to build and compile",
                   NeuromorphWarning)
    net = Network(name=f"ring{n}", description=f"ring of {n} neurons with mutual inhibition between neighbours")
    for i in range(n):
        net.add_neuron(f"r{i}", neuron, i_app=i_app, initial=_shifted_initial(neuron, -0.6 * i / n, -0.2 * i / n))
    pairs = {(i, (i + 1) % n) for i in range(n)} | {((i + 1) % n, i) for i in range(n)}
    for pre, post in sorted(pairs):
        net.add_synapse(f"r{pre}", f"r{post}", kind=kind, g=g, e_syn=e_syn, **synapse)
    return net


def switching_circuit(g_hub_gap=0.05, g_hub_syn=0.0, g=0.2, i_app=-2.0, fast_tau=800.0, slow_tau=2500.0):
    """Two half-centre oscillators of different speeds and a hub neuron between them.

    The classic switching circuit (Gutierrez, O'Leary & Marder, Neuron 2013): a fast HCO
    (``f1``, ``f2``: bursting neurons with ultraslow time constant ``fast_tau``) and a slow one
    (``s1``, ``s2``: ``slow_tau``), each a pair inhibiting each other with strength ``g``; a
    hub neuron ``h`` (like the fast ones) joined to ``f1`` by a gap junction (``h_gap_f1``,
    strength ``g_hub_gap``) and inhibited by ``s1`` through a synapse (``s1_to_h``, strength
    ``g_hub_syn``). With the hub's synaptic conductance low it bursts with the fast rhythm;
    neuromodulation raising it (``"s1_to_h.g"`` to ~1) moves the hub to the slow rhythm, while
    the two HCOs keep their own. See ``examples/switching_circuit.py``.

    Parameters
    ----------
    g_hub_gap : float, default 0.05
        Strength of the gap junction between the hub and ``f1`` (``"h_gap_f1.g"``).
    g_hub_syn : float, default 0.0
        Strength of the inhibitory synapse from ``s1`` to the hub (``"s1_to_h.g"``).
    g : float, default 0.2
        Strength of the synapses inside each HCO.
    i_app : float, default -2.0
        Applied current of every neuron.
    fast_tau : float, default 800.0
        Ultraslow time constant of the fast HCO's neurons and of the hub.
    slow_tau : float, default 2500.0
        Ultraslow time constant of the slow HCO's neurons (the bursting preset's).

    Returns
    -------
    Network
        Named ``"switching"``; nodes ``f1``, ``f2``, ``s1``, ``s2``, ``h``.

    Raises
    ------
    ModelError
        If ``fast_tau`` or ``slow_tau`` is not a finite number >= 1e-9, ``fast_tau`` is not
        shorter than ``slow_tau``, a strength is negative or not finite, or ``i_app`` is not a
        finite real number.

    Examples
    --------
    >>> import neuromorph as nm
    >>> net = nm.switching_circuit()
    >>> net.node_names
    ('f1', 'f2', 's1', 's2', 'h')

    The hub's burst period relative to the fast and the slow HCO's, before and after
    neuromodulation of its synapse:

    >>> def hub_period_ratios(net):
    ...     r = net.simulate(30_000, record=()).rhythm(t_start=10_000)["neurons"]
    ...     return [round(r["h"]["burst_period"] / r[node]["burst_period"], 2) for node in ("f1", "s1")]
    >>> hub_period_ratios(net)
    [1.0, 0.5]
    >>> hub_period_ratios(net.set("s1_to_h.g", 1.0))
    [2.0, 1.0]
    """
    fast_tau = check.time_constant("fast_tau", fast_tau, allow_zero=False)
    slow_tau = check.time_constant("slow_tau", slow_tau, allow_zero=False)
    if not fast_tau < slow_tau:
        raise ModelError(f"`fast_tau` ({fast_tau}) must be shorter than `slow_tau` ({slow_tau})")
    fast = resolve_neuron("bursting", "switching circuit")
    fast.set("ultraslow_positive.tau", fast_tau)
    slow = resolve_neuron("bursting", "switching circuit")
    slow.set("ultraslow_positive.tau", slow_tau)
    net = Network(name="switching", description="two HCOs of different speeds and a hub neuron that joins either")
    for prefix, neuron in (("f", fast), ("s", slow)):
        net.add_neuron(f"{prefix}1", neuron, i_app=i_app)
        net.add_neuron(f"{prefix}2", neuron, i_app=i_app, initial=_shifted_initial(neuron))
        net.add_synapse(f"{prefix}1", f"{prefix}2", g=g)
        net.add_synapse(f"{prefix}2", f"{prefix}1", g=g)
    net.add_neuron("h", fast, i_app=i_app)
    net.add_gap_junction("h", "f1", g=g_hub_gap)
    net.add_synapse("s1", "h", g=g_hub_syn)
    return net
