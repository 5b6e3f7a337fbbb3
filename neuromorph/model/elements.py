"""The element kinds: elementary voltage-controlled current sources and the interconnections of neurons.

A neuron is a membrane capacitor in parallel with elements; networks join neurons with
interconnections. Each draws a membrane current ``I`` (positive = outward, it lowers ``V``):

* :class:`Leak`: ``I = g (V - e_rev)``, a resistor.
* :class:`Current`: a localized conductance ``I = alpha * tanh(V_x - delta)``, where ``V_x``
  is the membrane voltage seen through a first-order lag of time constant ``tau``
  (``tau = 0``: ``V_x = V``). ``alpha < 0`` is a negative conductance (positive feedback).
  With ``inactivation_delta`` set it is multiplied by
  ``sigma(inactivation_k (V_h - inactivation_delta))`` on the voltage filtered with ``inactivation_tau``.
* :class:`Conductance`: ``I = g_max (V - e_rev) prod_i sigma(k_i (V_xi - delta_i))`` with
  sigmoid :class:`Gate` s, ``sigma(x) = 1 / (1 + exp(-x))``.
* :class:`CurrentSynapse`: ``I_post += sign * g * sigma(k (V_pre,x - delta))`` added to the
  applied current of the postsynaptic neuron (the reference design's synapse; ``sign = -1``
  inhibits), i.e. a membrane current ``-sign * g * sigma(...)``.
* :class:`ConductanceSynapse`: ``I = g * sigma(k (V_pre,x - delta)) * (V_post - e_syn)`` in the
  postsynaptic membrane, so ``e_syn`` below ``V_post`` hyperpolarises.
* :class:`GapJunction`: ``g (V_a - V_b)`` out of ``a`` and ``g (V_b - V_a)`` out of ``b`` (symmetric).

All quantities are dimensionless (voltage unit ~ 2 U_T / kappa in the transistor circuit, time
unit = membrane time constant C / g_leak). Every kind is defined once, here (see
:mod:`neuromorph.model.kinds`): parameters and validation, TOML table, inputs, current and its
analytic derivatives, and lowering to the kernels' terms.

Specs are frozen: change a parameter with :meth:`~neuromorph.model.kinds.ElementKind.replace`
(or through :meth:`neuromorph.Neuron.set`), which validates the new value.
"""

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from ..errors import ModelError
from .kinds import (
    CONST,
    KINDS,
    LINEAR,
    TANH,
    ElementKind,
    Input,
    check_fields,
    name_or_none,
    register,
    sigmoid,
)

__all__ = ["Gate", "Leak", "Current", "Conductance", "CurrentSynapse", "ConductanceSynapse", "GapJunction",
           "ELEMENT_KINDS", "timescale_label"]

# Timescale names used for readable element and filter names. Boundaries: the
# membrane time constant (1) and the geometric mean of the reference slow (50)
# and ultraslow (2500) time constants.
_SLOW_FROM = 1.0
_ULTRASLOW_FROM = math.sqrt(50.0 * 2500.0)


def timescale_label(tau):
    """Name of the timescale of a filter time constant.

    ``"fast"`` below the membrane time constant (1), ``"ultraslow"`` from
    sqrt(50 * 2500) ~ 354 on, ``"slow"`` in between.

    Examples
    --------
    >>> timescale_label(0.0), timescale_label(50.0), timescale_label(2500.0)
    ('fast', 'slow', 'ultraslow')
    """
    if tau < _SLOW_FROM:
        return "fast"
    if tau < _ULTRASLOW_FROM:
        return "slow"
    return "ultraslow"


def _product(factors):
    """Product of arrays and scalars (1 for none), broadcasting."""
    out = 1.0
    for f in factors:
        out = out * f
    return out


def _dsigmoid(k, x):
    """``d/dx sigma(k x) = k sigma (1 - sigma)``."""
    s = sigmoid(k * x)
    return k * s * (1.0 - s)


@dataclass(frozen=True)
class Gate:
    """Sigmoid gate ``sigma(k (V_x - delta))`` of a :class:`Conductance`.

    Parameters
    ----------
    k : float
        Slope (dimensionless); ``k > 0`` activates with depolarisation, ``k < 0`` inactivates.
    delta : float
        Half-activation voltage (dimensionless).
    tau : float, default 0.0
        Time constant of the filtered voltage ``V_x`` (0: the membrane voltage itself).

    Raises
    ------
    ModelError
        If ``k`` or ``delta`` is not a finite real number, or ``tau`` is negative or positive
        below 1e-9.

    Examples
    --------
    An inactivation gate on the slow voltage, half-closed at -1:

    >>> import neuromorph as nm
    >>> h = nm.Gate(k=-2.0, delta=-1.0, tau=50.0)
    >>> g = nm.Conductance(g_max=1.0, e_rev=2.0, gates=(h,))
    >>> float(g.current(v=0.0, gate0=-1.0)["self"])
    -1.0

    The same gate chained onto a neuron's conductance brings its slow filter:

    >>> n = nm.Neuron()
    >>> _ = n.add_conductance(g_max=1.0, e_rev=2.0).add_gate(k=-2.0, delta=-1.0, tau=50.0)
    >>> n["conductance"].gates == (h,), n.state_names
    (True, ('v', 'slow'))
    """

    k: float
    delta: float
    tau: float = 0.0

    def __post_init__(self):
        check_fields(self, reals=("k", "delta"), time_constants=("tau",))


@register
@dataclass(frozen=True)
class Leak(ElementKind):
    """Leak (resistor): ``I = g (V - e_rev)``.

    Parameters
    ----------
    g : float, default 1.0
        Conductance (dimensionless, reference 1).
    e_rev : float, default 0.0
        Reversal voltage (dimensionless).
    name : str, default "leak"
        An identifier: the ELEMENT of the parameter paths (``"leak.g"``).

    Raises
    ------
    ModelError
        If ``g`` or ``e_rev`` is not a finite real number (within +-1e12), or ``name`` is not an
        identifier.

    Examples
    --------
    >>> import neuromorph as nm
    >>> leak = nm.Leak(g=0.5, e_rev=-1.0)
    >>> leak.current(v=[-1.0, 0.0, 1.0])["self"].tolist()
    [0.0, 0.5, 1.0]
    >>> n = nm.Neuron()
    >>> n.add(leak).name, n.get("leak.g")
    ('leak', 0.5)
    """

    g: float = 1.0
    e_rev: float = 0.0
    name: str = "leak"
    kind: ClassVar[str] = "leak"
    gain: ClassVar[str] = "g"

    def __post_init__(self):
        check_fields(self, reals=("g", "e_rev"))
        object.__setattr__(self, "name", v.identifier("name", self.name))

    def inputs(self):
        return (Input("v"),)

    def current(self, v):
        return {"self": self.g * (np.asarray(v) - self.e_rev)}

    def derivatives(self, v):
        return {"self": {"v": np.full(np.shape(v), self.g)}}

    def lower(self, emit):
        t = emit.term(LINEAR, "self", self.g, "v", self.e_rev)
        emit.slot("g", t.gain)
        emit.slot("e_rev", t.offset)


    def spice_cells(self, cells):
        """The amplifier as a resistor: a wide-linear-range amplifier from ``e_rev`` into the membrane,
        its output tied to its inverting input (``g`` in S after the unit mapping)."""
        cells.linear_conductance("self", cells.voltage(self.e_rev), self.g)


@register
@dataclass(frozen=True)
class Current(ElementKind):
    """Localized conductance ``I = alpha * tanh(V_x - delta)`` (optionally inactivating).

    With ``inactivation_delta`` given, the current becomes
    ``sigma(inactivation_k (V_h - inactivation_delta)) * alpha * tanh(V_x - delta)``
    where ``V_h`` is filtered with ``inactivation_tau`` (the element of
    hyperpolarisation-induced bursting).

    Parameters
    ----------
    alpha : float
        Gain (dimensionless); < 0 is a negative conductance.
    delta : float
        Offset voltage (dimensionless).
    tau : float, default 0.0
        Time constant of ``V_x`` (0 = instantaneous).
    name : str or None, default None
        Readable name; ``None`` lets the neuron pick one such as ``"slow_negative"``.
    inactivation_delta, inactivation_tau : float or None, default None
        Half-inactivation voltage and its filter time constant; both or neither.
    inactivation_k : float, default -2.0
        Slope of the inactivation sigmoid.

    Raises
    ------
    ModelError
        If ``alpha``, ``delta``, ``inactivation_k`` or ``inactivation_delta`` is not a finite real
        number, a time constant is negative or positive below 1e-9, ``name`` is not an identifier,
        or only one of ``inactivation_delta`` and ``inactivation_tau`` is given.

    Examples
    --------
    The fast negative conductance of the reference neuron, and its current at V = 1:

    >>> import neuromorph as nm
    >>> fast = nm.Current(alpha=-2.0, delta=0.0)
    >>> fast.default_name(), round(float(fast.current(x=1.0)["self"]), 4)
    ('fast_negative', -1.5232)

    The inactivating slow negative conductance of the ``hyperpolarisation_induced_bursting``
    preset reads two filtered voltages, the slow one and the ultraslow one:

    >>> hib = nm.Current(alpha=-1.6, delta=-0.88, tau=50.0, inactivation_delta=-0.5, inactivation_tau=2500.0)
    >>> hib.inactivating, hib.taus
    (True, (50.0, 2500.0))
    >>> nm.Current(alpha=-1.6, delta=-0.88, tau=50.0, inactivation_delta=-0.5)
    Traceback (most recent call last):
        ...
    neuromorph.errors.ModelError: `inactivation_delta` and `inactivation_tau` must be given together,
    got inactivation_delta=-0.5, inactivation_tau=None
    """

    alpha: float
    delta: float
    tau: float = 0.0
    name: str | None = None
    inactivation_delta: float | None = None
    inactivation_tau: float | None = None
    inactivation_k: float = -2.0
    kind: ClassVar[str] = "current"
    gain: ClassVar[str] = "alpha"

    def __post_init__(self):
        check_fields(self, reals=("alpha", "delta", "inactivation_k"), time_constants=("tau",))
        object.__setattr__(self, "name", name_or_none(self.name))
        if (self.inactivation_delta is None) != (self.inactivation_tau is None):
            raise ModelError(
                "`inactivation_delta` and `inactivation_tau` must be given together, got "
                f"inactivation_delta={self.inactivation_delta!r}, inactivation_tau={self.inactivation_tau!r}"
            )
        if self.inactivating:
            check_fields(self, reals=("inactivation_delta",), time_constants=("inactivation_tau",))

    @property
    def inactivating(self):
        """True when the current carries an inactivation gate."""
        return self.inactivation_delta is not None

    def parameters(self):
        p = {"alpha": self.alpha, "delta": self.delta, "tau": self.tau}
        if self.inactivating:
            p.update(inactivation_k=self.inactivation_k, inactivation_delta=self.inactivation_delta,
                     inactivation_tau=self.inactivation_tau)
        return p

    def default_name(self):
        """``"<timescale>_<sign>"``, e.g. ``"slow_negative"`` for alpha < 0 and tau = 50."""
        sign = "negative" if self.alpha < 0 else "positive"
        return f"{timescale_label(self.tau)}_{sign}"

    def inputs(self):
        x = Input("x", self.tau)
        return (x, Input("h", self.inactivation_tau)) if self.inactivating else (x,)

    def _inactivation(self, h):
        return sigmoid(self.inactivation_k * (np.asarray(h) - self.inactivation_delta))

    def current(self, x, h=None):
        i = self.alpha * np.tanh(np.asarray(x) - self.delta)
        return {"self": i * self._inactivation(h) if self.inactivating else i}

    def derivatives(self, x, h=None):
        th = np.tanh(np.asarray(x) - self.delta)
        dx = self.alpha * (1.0 - th * th)
        if not self.inactivating:
            return {"self": {"x": dx}}
        s = self._inactivation(h)
        dh = self.alpha * th * _dsigmoid(self.inactivation_k, np.asarray(h) - self.inactivation_delta)
        return {"self": {"x": dx * s, "h": dh}}

    def lower(self, emit):
        gates = ((self.inactivation_k, self.inactivation_delta, "h"),) if self.inactivating else ()
        t = emit.term(TANH, "self", self.alpha, "x", self.delta, gates)
        emit.slot("alpha", t.gain)
        emit.slot("delta", t.offset)
        if self.inactivating:
            emit.slot("inactivation_k", t.gate_k(0))
            emit.slot("inactivation_delta", t.gate_offset(0))


    def spice_cells(self, cells):
        """A transconductance amplifier of bias ``|alpha|``: the filtered voltage drives its inverting
        input for ``alpha > 0`` (an outward current rising with ``V_x``), its other input otherwise."""
        if self.inactivating:
            return super().spice_cells(cells)
        x, d = cells.node("x"), cells.voltage(self.delta)
        cells.amplifier(*((d, x) if self.alpha > 0 else (x, d)), "self", abs(self.alpha))


@register
@dataclass(frozen=True)
class Conductance(ElementKind):
    """Conductance element ``I = g_max (V - e_rev) prod_i sigma(k_i (V_xi - delta_i))``.

    Parameters
    ----------
    g_max : float
        Maximal conductance (dimensionless).
    e_rev : float
        Reversal voltage (dimensionless).
    gates : tuple of Gate, default ()
        Sigmoid gates; none makes a plain conductance. Flat parameter names
        are ``gate0_k``, ``gate0_delta``, ``gate0_tau``, ``gate1_k``, ...
    name : str or None, default None
        Readable name; ``None`` lets the neuron call it ``"conductance"``.

    Raises
    ------
    ModelError
        If ``g_max`` or ``e_rev`` is not a finite real number, ``gates`` is a single Gate or not
        a sequence of Gate, or ``name`` is not an identifier.

    Examples
    --------
    A sodium-like conductance: activated by the membrane voltage, inactivated by the slow one.
    Its inputs are ``v`` and one filtered voltage per gate:

    >>> import neuromorph as nm
    >>> na = nm.Conductance(g_max=1.0, e_rev=2.0,
    ...                     gates=(nm.Gate(k=2.0, delta=0.0), nm.Gate(k=-2.0, delta=-1.0, tau=50.0)))
    >>> na.parameters()
    {'g_max': 1.0, 'e_rev': 2.0, 'gate0_k': 2.0, 'gate0_delta': 0.0, 'gate0_tau': 0.0,
     'gate1_k': -2.0, 'gate1_delta': -1.0, 'gate1_tau': 50.0}
    >>> float(na.current(v=0.0, gate0=0.0, gate1=-1.0)["self"])  # both gates half open: inward
    -0.5
    """

    g_max: float
    e_rev: float
    gates: tuple = ()
    name: str | None = None
    kind: ClassVar[str] = "conductance"
    gain: ClassVar[str] = "g_max"

    def __post_init__(self):
        check_fields(self, reals=("g_max", "e_rev"))
        object.__setattr__(self, "name", name_or_none(self.name))
        if self.gates is None:  # "no gates", as in the signature's spirit
            object.__setattr__(self, "gates", ())
        if isinstance(self.gates, Gate):
            raise ModelError("`gates` must be a sequence of Gate, got a single Gate: write gates=(gate,)")
        try:
            gates = tuple(self.gates)
        except TypeError:
            raise ModelError(f"`gates` must be a sequence of Gate (empty for none), got {self.gates!r}") from None
        for i, gate in enumerate(gates):
            if not isinstance(gate, Gate):
                raise ModelError(f"`gates[{i}]` must be a Gate, got {gate!r}")
        object.__setattr__(self, "gates", gates)

    def parameters(self):
        p = {"g_max": self.g_max, "e_rev": self.e_rev}
        for i, gate in enumerate(self.gates):
            p.update({f"gate{i}_k": gate.k, f"gate{i}_delta": gate.delta, f"gate{i}_tau": gate.tau})
        return p

    def _replace_flat(self, changes):
        gates = list(self.gates)
        direct = {}
        for key, value in changes.items():
            if key.startswith("gate") and "_" in key:
                index, field = key[4:].split("_", 1)
                gates[int(index)] = dataclasses.replace(gates[int(index)], **{field: value})
            else:
                direct[key] = value
        return dataclasses.replace(self, gates=tuple(gates), **direct)

    def default_name(self):
        return "conductance"

    def inputs(self):
        return (Input("v"),) + tuple(Input(f"gate{i}", g.tau) for i, g in enumerate(self.gates))

    def _sigmoids(self, values):
        return [sigmoid(g.k * (np.asarray(values[f"gate{i}"]) - g.delta)) for i, g in enumerate(self.gates)]

    def current(self, v, **gates):
        return {"self": self.g_max * (np.asarray(v) - self.e_rev) * _product(self._sigmoids(gates))}

    def derivatives(self, v, **gates):
        sig = self._sigmoids(gates)
        drive = self.g_max * (np.asarray(v) - self.e_rev)
        out = {"v": self.g_max * _product(sig) * np.ones(np.shape(v))}
        for i, g in enumerate(self.gates):
            others = _product([s for j, s in enumerate(sig) if j != i])
            out[f"gate{i}"] = drive * others * _dsigmoid(g.k, np.asarray(gates[f"gate{i}"]) - g.delta)
        return {"self": out}

    def lower(self, emit):
        t = emit.term(LINEAR, "self", self.g_max, "v", self.e_rev,
                      tuple((g.k, g.delta, f"gate{i}") for i, g in enumerate(self.gates)))
        emit.slot("g_max", t.gain)
        emit.slot("e_rev", t.offset)
        for i in range(len(self.gates)):
            emit.slot(f"gate{i}_k", t.gate_k(i))
            emit.slot(f"gate{i}_delta", t.gate_offset(i))

    def to_table(self):
        table = {"name": self.name} if self.name is not None else {}
        table.update(g_max=self.g_max, e_rev=self.e_rev)
        if self.gates:
            table["gates"] = [{"k": g.k, "delta": g.delta, "tau": g.tau} for g in self.gates]
        return table

    @classmethod
    def from_table(cls, table, where):
        table = dict(table)
        gates = table.pop("gates", [])
        if not isinstance(gates, list):
            raise ModelError(f"{where}.gates must be an array of tables ([[...gates]])")
        built = []
        for j, gate in enumerate(gates):
            if not isinstance(gate, dict):
                raise ModelError(f"{where}.gates[{j}] must be a table")
            unknown = set(gate) - {"k", "delta", "tau"}
            if unknown:
                raise ModelError(f"unknown key {sorted(unknown)[0]!r} in {where}.gates[{j}]; allowed: delta, k, tau")
            missing = {"k", "delta"} - set(gate)
            if missing:
                raise ModelError(f"missing key {sorted(missing)[0]!r} in {where}.gates[{j}]")
            built.append(Gate(**gate))
        return cls(gates=tuple(built), **table)


class _Synapse(ElementKind):
    """Shared parts of the synapses: a sigmoid of the presynaptic voltage filtered with ``tau``."""

    connects: ClassVar[tuple] = ("pre", "post")

    def _check_synapse(self):
        check_fields(self, reals=("delta", "k"), time_constants=("tau",))
        object.__setattr__(self, "g", v.nonnegative("g", self.g))
        object.__setattr__(self, "name", name_or_none(self.name))

    def _activation(self, pre_x):
        return sigmoid(self.k * (np.asarray(pre_x) - self.delta))

    def structural(self):
        return ("tau",) + (("sign",) if hasattr(self, "sign") else ())


@register
@dataclass(frozen=True)
class CurrentSynapse(_Synapse):
    """Current synapse: ``I_post += sign * g * sigma(k (V_pre,x - delta))`` (the reference design's).

    The current adds to the applied current of the postsynaptic neuron; its membrane current
    is ``-sign * g * sigma(k (V_pre,x - delta))``. ``V_pre,x`` is the presynaptic membrane
    voltage filtered with ``tau`` (the presynaptic neuron's own filter at that time constant,
    or one the synapse brings).

    Parameters
    ----------
    g : float
        Strength (>= 0, dimensionless).
    sign : {-1, +1}, default -1
        -1 inhibits (hyperpolarises the postsynaptic neuron), +1 excites.
    delta : float, default -1.0
        Half-activation voltage.
    k : float, default 2.0
        Slope of the sigmoid.
    tau : float, default 50.0
        Time constant of the presynaptic filtered voltage (the slow timescale).
    name : str or None, default None
        In a network, the interconnection's name (default ``PRE_to_POST``).

    Raises
    ------
    ModelError
        If ``g`` is negative or not a finite real number, ``sign`` is not -1 or +1, ``delta`` or
        ``k`` is not a finite real number, ``tau`` is negative or positive below 1e-9, or
        ``name`` is not an identifier.

    Examples
    --------
    Half activated at ``V_pre,x = delta``, an inhibitory synapse of strength 0.2 draws an outward
    membrane current of 0.1 from the postsynaptic neuron:

    >>> import neuromorph as nm
    >>> syn = nm.CurrentSynapse(g=0.2)
    >>> syn.sign, float(syn.current(pre_x=-1.0)["post"])
    (-1.0, 0.1)
    >>> net = nm.Network()
    >>> _ = net.add_neuron("n1", "bursting"), net.add_neuron("n2", "bursting")
    >>> net.add_connection(syn, {"pre": "n1", "post": "n2"})
    'n1_to_n2'
    """

    g: float
    sign: float = -1.0
    delta: float = -1.0
    k: float = 2.0
    tau: float = 50.0
    name: str | None = None
    kind: ClassVar[str] = "current_synapse"
    gain: ClassVar[str] = "g"

    def __post_init__(self):
        self._check_synapse()
        if self.sign not in (-1, 1) or isinstance(self.sign, bool):
            raise ModelError(f"`sign` must be -1 (inhibitory) or +1 (excitatory), got {self.sign!r}")
        object.__setattr__(self, "sign", float(self.sign))

    def parameters(self):
        return {"g": self.g, "sign": self.sign, "delta": self.delta, "k": self.k, "tau": self.tau}

    def inputs(self):
        return (Input("pre_x", self.tau, "pre"),)

    def current(self, pre_x):
        return {"post": -self.sign * self.g * self._activation(pre_x)}

    def derivatives(self, pre_x):
        return {"post": {"pre_x": -self.sign * self.g * _dsigmoid(self.k, np.asarray(pre_x) - self.delta)}}

    def lower(self, emit):
        t = emit.term(CONST, "post", -self.sign * self.g, None, 0.0, ((self.k, self.delta, "pre_x"),), share=True)
        emit.slot("g", t.gain.scaled(-self.sign))
        emit.slot("delta", t.gate_offset(0))
        emit.slot("k", t.gate_k(0))


    def spice_cells(self, cells):
        """A differential pair (the sigmoid of slope 2 in model units) whose branch current is mirrored
        out of (inhibitory) or into (excitatory) the postsynaptic membrane."""
        if self.k != 2.0:
            raise ModelError(f"synapse {self.name!r}: a differential pair has slope k = 2 in model units; k = "
                             f"{self.k:g} has no transistor-level cell (export it at level='behavioural')")
        cells.synapse(cells.node("pre_x"), cells.voltage(self.delta), "post", self.g, inhibitory=self.sign < 0)


@register
@dataclass(frozen=True)
class ConductanceSynapse(_Synapse):
    """Conductance synapse: ``I = g sigma(k (V_pre,x - delta)) (V_post - e_syn)`` in the postsynaptic membrane.

    Counted as a membrane current like the elements: ``e_syn`` below the postsynaptic voltage
    hyperpolarises it (inhibition), above it depolarises (excitation).

    Parameters
    ----------
    g : float
        Maximal conductance (>= 0).
    e_syn : float
        Synaptic reversal voltage.
    delta : float, default -1.0
    k : float, default 2.0
    tau : float, default 50.0
        Time constant of the presynaptic filtered voltage.
    name : str or None, default None
        In a network, the interconnection's name (default ``PRE_to_POST``).

    Raises
    ------
    ModelError
        If ``g`` is negative or not a finite real number, ``e_syn``, ``delta`` or ``k`` is not a
        finite real number, ``tau`` is negative or positive below 1e-9, or ``name`` is not an
        identifier.

    Examples
    --------
    Half activated, with ``e_syn = -3``: outward (hyperpolarising) while the postsynaptic voltage
    is above -3, inward below it:

    >>> import neuromorph as nm
    >>> syn = nm.ConductanceSynapse(g=0.2, e_syn=-3.0)
    >>> [round(float(syn.current(pre_x=-1.0, v_post=v)["post"]), 3) for v in (-2.0, -4.0)]
    [0.1, -0.1]
    >>> net = nm.Network()
    >>> _ = net.add_neuron("n1", "bursting"), net.add_neuron("n2", "bursting")
    >>> net.add_connection(syn, {"pre": "n1", "post": "n2"})
    'n1_to_n2'
    """

    g: float
    e_syn: float
    delta: float = -1.0
    k: float = 2.0
    tau: float = 50.0
    name: str | None = None
    kind: ClassVar[str] = "conductance_synapse"
    gain: ClassVar[str] = "g"

    def __post_init__(self):
        self._check_synapse()
        object.__setattr__(self, "e_syn", v.real("e_syn", self.e_syn))

    def parameters(self):
        return {"g": self.g, "e_syn": self.e_syn, "delta": self.delta, "k": self.k, "tau": self.tau}

    def inputs(self):
        return (Input("pre_x", self.tau, "pre"), Input("v_post", 0.0, "post"))

    def current(self, pre_x, v_post):
        return {"post": self.g * self._activation(pre_x) * (np.asarray(v_post) - self.e_syn)}

    def derivatives(self, pre_x, v_post):
        drive = self.g * (np.asarray(v_post) - self.e_syn)
        return {"post": {"pre_x": drive * _dsigmoid(self.k, np.asarray(pre_x) - self.delta),
                         "v_post": self.g * self._activation(pre_x)}}

    def lower(self, emit):
        t = emit.term(LINEAR, "post", self.g, "v_post", self.e_syn, ((self.k, self.delta, "pre_x"),), share=True)
        emit.slot("g", t.gain)
        emit.slot("e_syn", t.offset)
        emit.slot("delta", t.gate_offset(0))
        emit.slot("k", t.gate_k(0))


@register
@dataclass(frozen=True)
class GapJunction(ElementKind):
    """Gap junction (electrical synapse): ``g (V_a - V_b)`` leaves ``a``, ``g (V_b - V_a)`` leaves ``b``.

    Parameters
    ----------
    g : float
        Conductance (>= 0).
    name : str or None, default None
        In a network, the interconnection's name (default ``A_gap_B``).

    Raises
    ------
    ModelError
        If ``g`` is negative or not a finite real number, or ``name`` is not an identifier.

    Examples
    --------
    Current flows out of the higher membrane into the lower one:

    >>> import neuromorph as nm
    >>> gap = nm.GapJunction(g=0.05)
    >>> {end: float(i) for end, i in gap.current(v_a=1.0, v_b=-1.0).items()}
    {'a': 0.1, 'b': -0.1}
    >>> net = nm.Network()
    >>> _ = net.add_neuron("n1", "bursting"), net.add_neuron("n2", "bursting")
    >>> net.add_connection(gap, {"a": "n1", "b": "n2"})
    'n1_gap_n2'
    """

    g: float
    name: str | None = None
    kind: ClassVar[str] = "gap_junction"
    gain: ClassVar[str] = "g"
    connects: ClassVar[tuple] = ("a", "b")

    def __post_init__(self):
        object.__setattr__(self, "g", v.nonnegative("g", self.g))
        object.__setattr__(self, "name", name_or_none(self.name))

    def inputs(self):
        return (Input("v_a", 0.0, "a"), Input("v_b", 0.0, "b"))

    def current(self, v_a, v_b):
        d = self.g * (np.asarray(v_a) - np.asarray(v_b))
        return {"a": d, "b": -d}

    def derivatives(self, v_a, v_b):
        one = np.full(np.broadcast(np.asarray(v_a), np.asarray(v_b)).shape, self.g)
        return {"a": {"v_a": one, "v_b": -one}, "b": {"v_a": -one, "v_b": one}}

    def spice_cells(self, cells):
        """A floating conductance: two wide-range amplifiers as resistors, each drawing its membrane
        towards the other's voltage (``g`` in S after the unit mapping)."""
        cells.linear_conductance("a", cells.node("v_b"), self.g)
        cells.linear_conductance("b", cells.node("v_a"), self.g)

    def lower(self, emit):
        into_a = emit.term(LINEAR, "a", self.g, "v_a", 0.0)
        from_b = emit.term(LINEAR, "a", -self.g, "v_b", 0.0)
        into_b = emit.term(LINEAR, "b", self.g, "v_b", 0.0)
        from_a = emit.term(LINEAR, "b", -self.g, "v_a", 0.0)
        emit.slot("g", into_a.gain, from_b.gain.scaled(-1.0), into_b.gain, from_a.gain.scaled(-1.0))


NEURON_KINDS = {name: cls for name, cls in KINDS.items() if not cls.connects}
"""Kinds that belong to one neuron (the ``[[elements]]`` of a circuit file)."""

CONNECTION_KINDS = {name: cls for name, cls in KINDS.items() if cls.connects}
"""Kinds that join two neurons of a network."""

ELEMENT_KINDS = NEURON_KINDS
