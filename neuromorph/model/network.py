"""Networks: named neurons joined by synapses and gap junctions.

A :class:`Network` holds nodes (each a :class:`~neuromorph.Neuron` with its own applied
current ``i_app``, initial state and optional time-varying stimulus) and interconnections
(any registered interconnection kind: :class:`~neuromorph.CurrentSynapse`,
:class:`~neuromorph.ConductanceSynapse`, :class:`~neuromorph.GapJunction`). It compiles into
one state vector, so the same kernels integrate it as a single neuron, and every parameter
has a path:

* ``"NODE.i_app"``, ``"NODE.C"``, ``"NODE.threshold"``, ``"NODE.hysteresis"``, ``"NODE.ELEMENT.FIELD"``
  (``"n1.slow_negative.alpha"``);
* ``"EDGE.FIELD"`` for an interconnection (``"n1_to_n2.g"``); synapses are named
  ``PRE_to_POST`` and gap junctions ``A_gap_B`` unless given a name.

States are ``"NODE.v"``, ``"NODE.slow"``, ...; a synapse whose time constant its presynaptic
neuron has no filter for brings one (``"PRE.syn_tau20"``).

networkx convention (:meth:`Network.to_networkx`, :meth:`Network.from_networkx`): an edge
``u -> v`` means ``u`` drives ``v``. Node attributes: ``neuron`` (a Neuron or a preset name,
required), ``i_app`` (default 0), ``initial`` (``{state: value}``), ``stimulus`` (a
Stimulus). Edge attributes: ``kind`` (``"current"`` (default), ``"conductance"`` or ``"gap"``,
or a registered kind name), ``name``, and the kind's parameters (``g``, ``sign``, ``delta``,
``k``, ``tau``, ``e_syn``). A gap junction is one edge (either direction). Graphs with
several edges between two nodes (a synapse and a gap junction) need a ``MultiDiGraph``,
which is what :meth:`Network.to_networkx` returns.

Examples
--------
The half-centre oscillator of ``shared/MODEL.md``:

>>> import neuromorph as nm
>>> net = nm.Network()
>>> _ = net.add_neuron("n1", "bursting", i_app=-2.0)
>>> _ = net.add_neuron("n2", "bursting", i_app=-2.0, initial={"v": -2.5, "slow": -2.0, "ultraslow": -2.0})
>>> _ = net.add_synapse("n1", "n2", g=0.2)
>>> _ = net.add_synapse("n2", "n1", g=0.2)
>>> net.connection_names
('n1_to_n2', 'n2_to_n1')
>>> net.get("n1_to_n2.g")
0.2
"""

import copy
import dataclasses

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from .elements import CONNECTION_KINDS, ConductanceSynapse, CurrentSynapse, GapJunction
from .kinds import KINDS
from .neuron import Neuron
from .stimulus import Constant, Stimulus, as_stimulus

__all__ = ["Network", "Node", "Connection", "SHORT_KINDS", "resolve_neuron"]

_SYNAPSE_KINDS = {"current": CurrentSynapse, "conductance": ConductanceSynapse}
SHORT_KINDS = {"current": "current_synapse", "conductance": "conductance_synapse", "gap": "gap_junction"}
"""The short names of the interconnection kinds (``add_synapse(kind=...)``, networkx edges, circuit files)."""


def synapse_keywords(parameters, where, taken=("pre", "post", "kind", "name")):
    """Refuse a keyword :meth:`Network.add_synapse` does not take (``where`` opens the message)."""
    import inspect

    allowed = set(inspect.signature(Network.add_synapse).parameters) - {"self", *taken}
    unknown = set(parameters) - allowed
    if unknown:
        raise ModelError(f"{where}: unknown parameter {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(allowed))}")


@dataclasses.dataclass(frozen=True)
class Node:
    """A neuron of a network: the neuron (with its initial state), its constant applied current and
    an optional time-varying stimulus (added to ``i_app``)."""

    neuron: Neuron
    i_app: float = 0.0
    stimulus: Stimulus | None = None


@dataclasses.dataclass(frozen=True)
class Connection:
    """An interconnection: its element (a registered kind) and the nodes at its ends, by role."""

    element: object
    ends: dict

    @property
    def kind(self):
        return self.element.kind


def node_bytes(n_elements):
    """Bytes a network node of ``n_elements`` elements takes (its neuron's copy; measured: ~2.5 KB for the
    five-element bursting neuron with its two ring synapses), rounded up."""
    return 1024.0 + 512.0 * n_elements


def compile_bytes(n_elements, n_nodes, n_connections):
    """Peak bytes of compiling a network of ``n_nodes`` neurons with ``n_elements`` elements in all (measured:
    ~16 KB per bursting neuron in a ring, the assembler's per-element lists above all), rounded up."""
    return 2048.0 * n_nodes + 3072.0 * n_elements + 2048.0 * n_connections


def resolve_neuron(neuron, where):
    """A copy of ``neuron``, or the preset it names (refused if that is a network); ``where`` opens the errors.

    The model layer reads presets (:mod:`neuromorph.io`, a layer above) here only, when it is called.
    """
    if isinstance(neuron, str):
        from ..io.circuits import as_model

        try:
            loaded = as_model(neuron)
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") from None
        if not isinstance(loaded, Neuron):
            raise ModelError(f"{where}: preset {neuron!r} is a network, not a neuron")
        return loaded
    if not isinstance(neuron, Neuron):
        raise ModelError(f"{where}: expected a Neuron or a preset name, got {neuron!r}")
    return neuron.copy()


class Network:
    """Neurons joined by synapses and gap junctions.

    Parameters
    ----------
    name : str, default "network"
        An identifier.
    description : str, default ""
        Free text, kept in circuit files.
    protocol : Protocol, optional
        Suggested experiment (run time, transient) for ``neuromorph simulate`` and the demo.

    Raises
    ------
    ModelError
        If ``name`` is not an identifier, ``description`` is not a string, or ``protocol`` is
        neither None nor a :class:`~neuromorph.Protocol`.

    See the module documentation for paths, state names and the networkx convention.

    Examples
    --------
    Two bursting neurons started apart and joined by a gap junction fall into step:

    >>> import neuromorph as nm
    >>> net = nm.Network(name="pair")
    >>> net.add_neuron("n1", "bursting", i_app=-2.0)
    'n1'
    >>> net.add_neuron("n2", "bursting", i_app=-2.0, initial={"v": -2.5, "slow": -2.0, "ultraslow": -2.0})
    'n2'
    >>> net.add_gap_junction("n1", "n2", g=0.2)
    'n1_gap_n2'
    >>> net.state_names
    ('n1.v', 'n1.slow', 'n1.ultraslow', 'n2.v', 'n2.slow', 'n2.ultraslow')
    >>> r = net.simulate(15_000, record=()).rhythm(t_start=7500)
    >>> r["neurons"]["n2"]["relation"], r["neurons"]["n2"]["spikes_per_burst"]
    ('in-phase', 7)

    Every parameter has a path:

    >>> net.set("n1_gap_n2.g", 0.0).get("n1_gap_n2.g"), net.get("n2.slow_negative.alpha")
    (0.0, -1.5)
    """

    def __init__(self, name="network", description="", protocol=None):
        from .stimulus import Protocol

        self.name = check.identifier("name", name)
        self.description = check.text("description", description)
        if protocol is not None and not isinstance(protocol, Protocol):
            raise ModelError(f"`protocol` must be a Protocol, got {protocol!r}")
        self.protocol = protocol
        self._nodes = {}
        self._connections = {}
        self._compiled = None

    # -- construction -------------------------------------------------------------------
    def add_neuron(self, name, neuron, i_app=0.0, stimulus=None, initial=None):
        """Add a node; returns its name.

        Parameters
        ----------
        name : str
            An identifier, unique among nodes and interconnections.
        neuron : Neuron or str
            The neuron (copied) or a preset name (``"bursting"``).
        i_app : float, default 0.0
            Constant applied current (the ``"NAME.i_app"`` parameter).
        stimulus : Stimulus, optional
            Time-varying current added to ``i_app`` (pulses, steps, samples); a constant part
            adds to ``i_app``.
        initial : dict, optional
            Initial values by state name (``{"v": -2.5, "slow": -2.0}``); others keep the neuron's.
        """
        name = self._new_name(name, "node name")
        neuron = resolve_neuron(neuron, f"node {name!r}")
        i_app = check.real(f"i_app of node {name!r}", i_app)
        if stimulus is not None:
            stim = as_stimulus(stimulus, f"stimulus of node {name!r}")
            i_app += sum(t.value for t in stim.terms() if isinstance(t, Constant))
            varying = [t for t in stim.terms() if not isinstance(t, Constant)]
            stimulus = None if not varying else (varying[0] if len(varying) == 1 else sum(varying[1:], varying[0]))
        if initial:
            if not isinstance(initial, dict):
                raise ModelError(f"node {name!r}: `initial` must be a dict {{state: value}}, got {initial!r}")
            try:
                neuron.set_initial(**initial)
            except ModelError as exc:
                raise ModelError(f"node {name!r}: {exc}") from None
        neuron.name = name
        neuron.protocol = None  # a node runs under the network's protocol, not its neuron's
        self._nodes[name] = Node(neuron=neuron, i_app=i_app, stimulus=stimulus)
        self._changed()
        return name

    def add_synapse(self, pre, post, kind="current", g=0.1, sign=None, delta=-1.0, k=2.0, tau=50.0, e_syn=None,
                    name=None):
        """Add a synapse from ``pre`` to ``post``; returns its name (``PRE_to_POST`` by default).

        Parameters
        ----------
        pre, post : str
            Node names.
        kind : {"current", "conductance"}
            ``"current"``: ``I_post += sign * g * sigma(k (V_pre,x - delta))``;
            ``"conductance"``: a membrane current ``g sigma(k (V_pre,x - delta)) (V_post - e_syn)``.
        g : float, default 0.1
            Strength (>= 0).
        sign : {-1, +1}, default -1
            Current synapses only: -1 inhibits (a conductance synapse's effect is set by ``e_syn``).
        delta, k : float, defaults -1.0 and 2.0
            Half-activation and slope of the presynaptic sigmoid.
        tau : float, default 50.0
            Time constant of the presynaptic filtered voltage (the synapse brings its own filter
            if the presynaptic neuron has none at ``tau``).
        e_syn : float
            Conductance synapses only (required): reversal voltage.
        name : str, optional
        """
        if kind not in _SYNAPSE_KINDS:
            raise ModelError(f"unknown synapse kind {kind!r}; use 'current' or 'conductance' "
                             "(gap junctions: add_gap_junction)")
        where = f"synapse {pre!r} -> {post!r}"
        try:
            if kind == "current":
                if e_syn is not None:
                    raise ModelError("`e_syn` is for conductance synapses; a current synapse has `sign`")
                element = CurrentSynapse(g=g, sign=-1 if sign is None else sign, delta=delta, k=k, tau=tau)
            else:
                if sign is not None:
                    raise ModelError("`sign` is for current synapses; a conductance synapse excites or inhibits "
                                     "through `e_syn` (above or below the postsynaptic voltage)")
                if e_syn is None:
                    raise ModelError("a conductance synapse needs `e_syn`, its reversal voltage")
                element = ConductanceSynapse(g=g, e_syn=e_syn, delta=delta, k=k, tau=tau)
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") from None
        return self.add_connection(element, {"pre": pre, "post": post}, name)

    def add_synapses(self, pre, post, kind="current", **parameters):
        """Add many synapses at once, from sequences of presynaptic and postsynaptic node names (a
        connectivity list); each parameter is a number for all or a sequence with one value per
        synapse. All are added or, on an error, none. Returns their names.

        Examples
        --------
        >>> import neuromorph as nm
        >>> net = nm.ring(3)
        >>> net.add_synapses(["r0", "r1"], ["r2", "r2"], g=[0.1, 0.2], tau=20.0)
        ['r0_to_r2_2', 'r1_to_r2_2']
        """
        synapse_keywords(parameters, "add_synapses")
        for label, names in (("pre", pre), ("post", post)):
            if isinstance(names, str) or np.ndim(names) != 1:
                raise ModelError(f"`{label}` must be a sequence of node names, got {names!r}")
        pre, post = [str(p) if isinstance(p, np.str_) else p for p in pre], list(post)
        if len(pre) != len(post):
            raise ModelError(f"`pre` and `post` must have the same length, got {len(pre)} and {len(post)}")
        columns = {}
        for key, value in parameters.items():
            if np.ndim(value) == 0:
                columns[key] = [value.item() if isinstance(value, np.ndarray | np.generic) else value] * len(pre)
            else:
                columns[key] = [x.item() if isinstance(x, np.generic) else x for x in value]
                if len(columns[key]) != len(pre):
                    raise ModelError(f"`{key}` has {len(columns[key])} values for {len(pre)} synapses")
        before = dict(self._connections)
        try:
            return [self.add_synapse(p, q, kind=kind, **{k: v[i] for k, v in columns.items()})
                    for i, (p, q) in enumerate(zip(pre, post))]
        except BaseException:
            self._connections = before  # all or none
            self._changed()
            raise

    def add_gap_junction(self, a, b, g, name=None):
        """Add a gap junction ``g (V_a - V_b)`` between nodes ``a`` and ``b``; returns its name (``A_gap_B``)."""
        try:
            element = GapJunction(g=g)
        except ModelError as exc:
            raise ModelError(f"gap junction {a!r} -- {b!r}: {exc}") from None
        return self.add_connection(element, {"a": a, "b": b}, name)

    def add_connection(self, element, ends, name=None):
        """Add any interconnection kind; ``ends`` maps its roles (``element.connects``) to node names."""
        if getattr(element, "connects", None) not in {cls.connects for cls in CONNECTION_KINDS.values()}:
            raise ModelError(f"expected an interconnection ({', '.join(CONNECTION_KINDS)}), got {element!r}")
        roles = element.connects
        label = f"{element.kind} {' -> '.join(repr(ends.get(r)) for r in roles)}"
        if set(ends) != set(roles):
            raise ModelError(f"{label}: give the nodes at its ends as {', '.join(roles)}")
        for role in roles:
            if ends[role] not in self._nodes:
                known = ", ".join(self._nodes) or "none yet"
                raise ModelError(f"{label}: no node {ends[role]!r}; nodes: {known}")
        if isinstance(element, GapJunction) and ends["a"] == ends["b"]:
            raise ModelError(f"{label}: a gap junction joins two different neurons")
        if name is None:
            base = "_to_".join(ends[r] for r in roles) if roles == ("pre", "post") else "_gap_".join(
                ends[r] for r in roles)
            name = base
            i = 2
            while name in self._nodes or name in self._connections:
                name = f"{base}_{i}"
                i += 1
        name = self._new_name(name, "interconnection name")
        if element.name != name:  # a copy with the (already checked) name, without validating it all again
            element = copy.copy(element)
            object.__setattr__(element, "name", name)
        self._connections[name] = Connection(element=element, ends=dict(ends))
        self._changed()
        return name

    def remove(self, name):
        """Remove a node (with its interconnections) or an interconnection."""
        if name in self._nodes:
            del self._nodes[name]
            for edge in [e for e, c in self._connections.items() if name in c.ends.values()]:
                del self._connections[edge]
        elif name in self._connections:
            del self._connections[name]
        else:
            raise ModelError(f"network {self.name!r} has no node or interconnection {name!r}")
        self._changed()

    def _new_name(self, name, what):
        name = check.identifier(what, name)
        if name in self._nodes or name in self._connections:
            raise ModelError(f"{what} {name!r} is already used in network {self.name!r}")
        return name

    def _changed(self):
        self._compiled = None

    # -- access ---------------------------------------------------------------------------
    @property
    def node_names(self):
        """Names of the nodes, in the order they were added (the order of the states)."""
        return tuple(self._nodes)

    @property
    def connection_names(self):
        """Names of the interconnections, in the order they were added."""
        return tuple(self._connections)

    @property
    def nodes(self):
        """``{name: Node}`` (Nodes are frozen; change parameters with :meth:`set`)."""
        return dict(self._nodes)

    @property
    def connections(self):
        """``{name: Connection}``."""
        return dict(self._connections)

    def neuron(self, name):
        """A copy of the neuron of node ``name`` (change the network's with :meth:`set`)."""
        return self._node(name).neuron.copy()

    def _node(self, name):
        try:
            return self._nodes[name]
        except KeyError:
            raise ModelError(f"network {self.name!r} has no node {name!r}; nodes: "
                             f"{', '.join(self._nodes) or 'none'}") from None

    def __len__(self):
        return len(self._nodes)

    @property
    def state_names(self):
        """Names of the state variables, ``"NODE.v"`` then the node's filters, node by node."""
        return self.compile().state_names

    def initial_state(self):
        return self.compile().y0.copy()

    # -- parameters by path -------------------------------------------------------------
    def parameters(self):
        """Every numeric parameter by path."""
        params = {}
        for name, node in self._nodes.items():
            params[f"{name}.i_app"] = node.i_app
            params.update({f"{name}.{path}": value for path, value in node.neuron.parameters().items()})
        for name, conn in self._connections.items():
            params.update({f"{name}.{field}": value for field, value in conn.element.parameters().items()})
        return params

    def _split(self, path):
        if not isinstance(path, str) or "." not in path:
            raise ModelError(f"a network parameter path looks like 'NODE.i_app', 'NODE.ELEMENT.FIELD' or "
                             f"'EDGE.FIELD', got {path!r}")
        head, rest = path.split(".", 1)
        if head in self._nodes:
            return "node", head, rest
        if head in self._connections:
            return "edge", head, rest
        raise ModelError(f"unknown parameter {path!r}: {head!r} is neither a node ({', '.join(self._nodes)}) nor "
                         f"an interconnection ({', '.join(self._connections) or 'none'})")

    def get(self, path):
        """Value of the parameter at ``path``."""
        where, head, rest = self._split(path)
        if where == "node":
            node = self._nodes[head]
            return node.i_app if rest == "i_app" else node.neuron.get(rest)
        element = self._connections[head].element
        params = element.parameters()
        if rest not in params:
            raise ModelError(f"{element.kind} {head!r} has no parameter {rest!r}; it has {', '.join(params)}")
        return params[rest]

    def set(self, path, value):
        """Set the parameter at ``path`` (validated); returns the network for chaining."""
        where, head, rest = self._split(path)
        if where == "node":
            node = self._nodes[head]
            if rest == "i_app":
                node = dataclasses.replace(node, i_app=check.real(path, value))
            else:
                neuron = node.neuron.copy()
                try:
                    neuron.set(rest, value)
                except ModelError as exc:
                    raise ModelError(f"node {head!r}: {exc}") from None
                node = dataclasses.replace(node, neuron=neuron)
            self._nodes[head] = node
        else:
            conn = self._connections[head]
            params = conn.element.parameters()
            if rest not in params:  # its name is its key: not a parameter
                raise ModelError(f"{conn.kind} {head!r} has no parameter {rest!r}; it has {', '.join(params)}")
            try:
                element = conn.element.replace(**{rest: value})
            except ModelError as exc:
                raise ModelError(f"{conn.kind} {head!r}: {exc}") from None
            self._connections[head] = dataclasses.replace(conn, element=element)
        self._changed()
        return self

    # -- whole-object helpers -----------------------------------------------------------
    def copy(self):
        """An independent copy: its nodes, their neurons and its interconnections (element specs are immutable and
        shared)."""
        other = Network(self.name, self.description, self.protocol)
        # Each node's neuron is copied too (a Neuron is mutable: a copy must not share one).
        other._nodes = {name: dataclasses.replace(node, neuron=node.neuron.copy()) for name, node in self._nodes.items()}
        other._connections = dict(self._connections)
        return other

    def _spec(self):
        # Interconnections are a set (their order changes only round-off); nodes are ordered (states follow them).
        return (self.name, self.description, self.protocol, tuple(self._nodes.items()),
                tuple(sorted((k, c.element, tuple(sorted(c.ends.items()))) for k, c in self._connections.items())))

    def __eq__(self, other):
        return isinstance(other, Network) and self._spec() == other._spec()

    __hash__ = None

    def __repr__(self):
        lines = [f"Network(name={self.name!r}, {len(self._nodes)} neurons, {len(self._connections)} interconnections)"]
        lines += [f"  {name}: {len(node.neuron)} elements, i_app={node.i_app!r}"
                  for name, node in list(self._nodes.items())[:20]]
        lines += [f"  {name}: {c.kind} {c.ends}" for name, c in list(self._connections.items())[:20]]
        return "\n".join(lines)

    def compile(self):
        """The network as kernel arrays (:class:`neuromorph.lower.compile.CompiledModel`), cached until a change.

        Its memory is estimated first (:func:`compile_bytes`): one too large for the free memory is refused.
        """
        if self._compiled is None:
            from ..lower.compile import Assembler

            if not self._nodes:
                raise ModelError(f"network {self.name!r} has no neurons: add some with add_neuron")
            check.memory("network", compile_bytes(sum(len(node.neuron) for node in self._nodes.values()),
                                                  len(self._nodes), len(self._connections)),
                         what=f"compiling network {self.name!r} ({len(self._nodes)} neurons, "
                              f"{len(self._connections)} interconnections)")
            asm = Assembler()
            index = {}
            for name, node in self._nodes.items():
                index[name] = asm.add_neuron(node.neuron, prefix=f"{name}.", i_app=node.i_app,
                                             stimulus=node.stimulus)
            for name, conn in self._connections.items():
                asm.add_connection(conn.element, {role: index[n] for role, n in conn.ends.items()}, name)
            self._compiled = asm.build()
        return self._compiled

    def simulate(self, t_end, i_app=None, **options):
        """Integrate from t = 0 to ``t_end``; see :func:`neuromorph.simulate` for the options.

        ``i_app``: ``None`` uses each node's; a dict ``{node: current or Stimulus}`` replaces some.
        """
        from ..solve.integrator import simulate

        return simulate(self, t_end, i_app=i_app, **options)

    # -- networkx -------------------------------------------------------------------------
    def to_networkx(self):
        """A ``networkx.MultiDiGraph``: nodes carry ``neuron`` (a copy), ``i_app``, ``stimulus``; edges
        ``u -> v`` (``u`` drives ``v``; a gap junction ``a -> b``) carry ``kind``, ``name`` and the parameters.

        The graph's attributes hold the network's ``name``, ``description``, ``protocol`` and the
        order of its interconnections (``connection_order``), so :meth:`from_networkx` rebuilds the
        same network exactly (the same compiled model, the same results to the last bit).

        Examples
        --------
        >>> import neuromorph as nm
        >>> net = nm.hco()
        >>> nm.Network.from_networkx(net.to_networkx()) == net
        True
        """
        import networkx as nx

        graph = nx.MultiDiGraph(name=self.name, description=self.description, protocol=self.protocol,
                                connection_order=list(self._connections))
        for name, node in self._nodes.items():
            graph.add_node(name, neuron=node.neuron.copy(), i_app=node.i_app, stimulus=node.stimulus)
        for name, conn in self._connections.items():
            u, v = (conn.ends[r] for r in conn.element.connects)
            short = {full: short for short, full in SHORT_KINDS.items()}.get(conn.kind, conn.kind)
            graph.add_edge(u, v, key=name, kind=short, name=name, **conn.element.parameters())
        return graph

    @classmethod
    def from_networkx(cls, graph, name=None):
        """Build a network from a networkx graph (see the module documentation for the attributes).

        Interconnections are added in the graph's ``connection_order`` (as :meth:`to_networkx`
        writes it), then in the graph's own edge order. A gap junction is symmetric: two gap-junction
        edges between the same two nodes are refused unless both are named (two junctions meant).
        """
        import networkx as nx

        if not isinstance(graph, nx.Graph):
            raise ModelError(f"expected a networkx graph, got {graph!r}")
        net = cls(name=name or graph.graph.get("name") or "network",
                  description=graph.graph.get("description", ""), protocol=graph.graph.get("protocol"))
        for node, attrs in graph.nodes(data=True):
            if not isinstance(node, str):
                raise ModelError(f"node {node!r}: node names must be strings (identifiers such as 'n1')")
            if "neuron" not in attrs:
                raise ModelError(f"node {node!r} has no 'neuron' attribute (a Neuron or a preset name); "
                                 f"it has {', '.join(attrs) or 'none'}")
            unknown = set(attrs) - {"neuron", "i_app", "initial", "stimulus"}
            if unknown:
                raise ModelError(f"node {node!r}: unknown attribute {sorted(unknown)[0]!r}; "
                                 "allowed: neuron, i_app, initial, stimulus")
            net.add_neuron(node, attrs["neuron"], i_app=attrs.get("i_app", 0.0), stimulus=attrs.get("stimulus"),
                           initial=attrs.get("initial"))
        edges = list(graph.edges(keys=True, data=True) if graph.is_multigraph() else (
            (u, v, None, d) for u, v, d in graph.edges(data=True)))
        order = {edge: i for i, edge in enumerate(graph.graph.get("connection_order") or ())}
        edges.sort(key=lambda e: order.get(e[3].get("name"), len(order)))  # stable: the rest in graph order
        gaps = {}
        for u, v, _, attrs in edges:
            attrs = dict(attrs)
            if SHORT_KINDS.get(attrs.get("kind"), attrs.get("kind")) == "gap_junction":
                pair, named = frozenset((u, v)), attrs.get("name") is not None
                if pair in gaps and not (named and gaps[pair]):
                    raise ModelError(f"edge {u!r} -> {v!r}: a second gap junction between {u!r} and {v!r}; a gap "
                                     "junction is symmetric, so one edge (either direction) makes it. Remove the "
                                     "other edge, or name both edges if two junctions are meant")
                gaps[pair] = named
            kind = attrs.pop("kind", "current")
            full = SHORT_KINDS.get(kind, kind)
            if full not in CONNECTION_KINDS:
                raise ModelError(f"edge {u!r} -> {v!r}: unknown kind {kind!r}; use "
                                 f"{', '.join(list(SHORT_KINDS) + list(CONNECTION_KINDS))}")
            cls_ = KINDS[full]
            edge_name = attrs.pop("name", None)
            if cls_.connects == ("pre", "post") and not graph.is_directed():
                raise ModelError(f"edge {u!r} -- {v!r}: a synapse has a direction; use a DiGraph "
                                 "(an undirected graph holds only gap junctions)")
            allowed, required = cls_.fields()
            missing = required - set(attrs)
            if missing:
                raise ModelError(f"edge {u!r} -> {v!r} ({full}): needs {', '.join(f'`{m}`' for m in sorted(missing))}"
                                 f" (allowed: {', '.join(sorted(allowed - {'name'}))})")
            unknown = set(attrs) - allowed
            if unknown:
                raise ModelError(f"edge {u!r} -> {v!r} ({full}): unknown attribute {sorted(unknown)[0]!r}; "
                                 f"allowed: {', '.join(sorted(allowed - {'name'}))}")
            try:
                element = cls_(**attrs)
            except (ModelError, TypeError) as exc:
                raise ModelError(f"edge {u!r} -> {v!r} ({full}): {exc}") from None
            net.add_connection(element, dict(zip(cls_.connects, (u, v))), edge_name)
        return net
