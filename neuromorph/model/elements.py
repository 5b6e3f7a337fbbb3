"""Elementary voltage-controlled current sources of a neuromorphic neuron.

A neuron is a membrane capacitor in parallel with these elements. Each one
draws a membrane current ``I`` (positive = outward, it lowers ``V``):

* :class:`Leak`: ``I = g (V - e_rev)``, a resistor.
* :class:`Current`: a localized conductance ``I = alpha * tanh(V_x - delta)``,
  where ``V_x`` is the membrane voltage seen through a first-order lag of
  time constant ``tau`` (``tau = 0``: ``V_x = V``). ``alpha < 0`` is a negative
  conductance (positive feedback). With ``inactivation_delta`` set it is
  multiplied by ``sigma(inactivation_k (V_h - inactivation_delta))`` on the
  voltage filtered with ``inactivation_tau``.
* :class:`Conductance`: ``I = g_max (V - e_rev) prod_i sigma(k_i (V_xi - delta_i))``
  with sigmoid :class:`Gate` s, ``sigma(x) = 1 / (1 + exp(-x))``.

All quantities are dimensionless (voltage unit ~ 2 U_T / kappa in the
transistor circuit, time unit = membrane time constant C / g_leak).

Specs are frozen: change a parameter with :meth:`replace` (or through
:meth:`neuromorph.Neuron.set`), which validates the new value.
"""

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

from .. import _validate as v
from ..errors import ModelError

__all__ = ["Gate", "Leak", "Current", "Conductance", "ELEMENT_KINDS", "timescale_label"]

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


def _name_or_none(name):
    return None if name is None else v.identifier("name", name)


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
    """

    k: float
    delta: float
    tau: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "k", v.real("k", self.k))
        object.__setattr__(self, "delta", v.real("delta", self.delta))
        object.__setattr__(self, "tau", v.time_constant("tau", self.tau))


class _Element:
    """Shared behaviour of element specs: flat parameter access by field name."""

    kind: ClassVar[str]

    def parameters(self):
        """Flat ``{field: value}`` of every numeric parameter (the FIELD of ``ELEMENT.FIELD``)."""
        raise NotImplementedError

    def replace(self, **changes):
        """Return a copy with some flat parameters changed (validated).

        Examples
        --------
        >>> Current(alpha=-1.5, delta=-1.5, tau=50).replace(alpha=-1.2).alpha
        -1.2
        """
        unknown = set(changes) - set(self.parameters()) - {"name"}
        if unknown:
            field = sorted(unknown)[0]
            raise ModelError(
                f"element {self.name!r} ({self.kind}) has no parameter {field!r}; "
                f"it has {', '.join(self.parameters())}"
            )
        return self._replace_flat(changes)

    def _replace_flat(self, changes):
        return dataclasses.replace(self, **changes)

    @property
    def taus(self):
        """Time constants of the filtered voltages this element reads."""
        raise NotImplementedError


@dataclass(frozen=True)
class Leak(_Element):
    """Leak (resistor): ``I = g (V - e_rev)``.

    Parameters
    ----------
    g : float, default 1.0
        Conductance (dimensionless, reference 1).
    e_rev : float, default 0.0
        Reversal voltage (dimensionless).
    name : str, default "leak"
    """

    g: float = 1.0
    e_rev: float = 0.0
    name: str = "leak"
    kind: ClassVar[str] = "leak"

    def __post_init__(self):
        object.__setattr__(self, "g", v.real("g", self.g))
        object.__setattr__(self, "e_rev", v.real("e_rev", self.e_rev))
        object.__setattr__(self, "name", v.identifier("name", self.name))

    def parameters(self):
        return {"g": self.g, "e_rev": self.e_rev}

    @property
    def taus(self):
        return ()


@dataclass(frozen=True)
class Current(_Element):
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
    name : str or None
        Readable name; ``None`` lets the neuron pick one such as ``"slow_negative"``.
    inactivation_delta, inactivation_tau : float or None
        Half-inactivation voltage and its filter time constant; both or neither.
    inactivation_k : float, default -2.0
        Slope of the inactivation sigmoid.
    """

    alpha: float
    delta: float
    tau: float = 0.0
    name: str | None = None
    inactivation_delta: float | None = None
    inactivation_tau: float | None = None
    inactivation_k: float = -2.0
    kind: ClassVar[str] = "current"

    def __post_init__(self):
        object.__setattr__(self, "alpha", v.real("alpha", self.alpha))
        object.__setattr__(self, "delta", v.real("delta", self.delta))
        object.__setattr__(self, "tau", v.time_constant("tau", self.tau))
        object.__setattr__(self, "name", _name_or_none(self.name))
        object.__setattr__(self, "inactivation_k", v.real("inactivation_k", self.inactivation_k))
        if (self.inactivation_delta is None) != (self.inactivation_tau is None):
            raise ModelError(
                "`inactivation_delta` and `inactivation_tau` must be given together, got "
                f"inactivation_delta={self.inactivation_delta!r}, inactivation_tau={self.inactivation_tau!r}"
            )
        if self.inactivating:
            object.__setattr__(self, "inactivation_delta", v.real("inactivation_delta", self.inactivation_delta))
            object.__setattr__(self, "inactivation_tau", v.time_constant("inactivation_tau", self.inactivation_tau))

    @property
    def inactivating(self):
        """True when the current carries an inactivation gate."""
        return self.inactivation_delta is not None

    def parameters(self):
        p = {"alpha": self.alpha, "delta": self.delta, "tau": self.tau}
        if self.inactivating:
            p.update(
                inactivation_k=self.inactivation_k,
                inactivation_delta=self.inactivation_delta,
                inactivation_tau=self.inactivation_tau,
            )
        return p

    @property
    def taus(self):
        return (self.tau, self.inactivation_tau) if self.inactivating else (self.tau,)

    def default_name(self):
        """``"<timescale>_<sign>"``, e.g. ``"slow_negative"`` for alpha < 0 and tau = 50."""
        sign = "negative" if self.alpha < 0 else "positive"
        return f"{timescale_label(self.tau)}_{sign}"


@dataclass(frozen=True)
class Conductance(_Element):
    """Conductance element ``I = g_max (V - e_rev) prod_i sigma(k_i (V_xi - delta_i))``.

    Parameters
    ----------
    g_max : float
        Maximal conductance (dimensionless).
    e_rev : float
        Reversal voltage (dimensionless).
    gates : tuple of Gate
        Sigmoid gates; none makes a plain conductance. Flat parameter names
        are ``gate0_k``, ``gate0_delta``, ``gate0_tau``, ``gate1_k``, ...
    name : str or None
    """

    g_max: float
    e_rev: float
    gates: tuple = ()
    name: str | None = None
    kind: ClassVar[str] = "conductance"

    def __post_init__(self):
        object.__setattr__(self, "g_max", v.real("g_max", self.g_max))
        object.__setattr__(self, "e_rev", v.real("e_rev", self.e_rev))
        object.__setattr__(self, "name", _name_or_none(self.name))
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

    @property
    def taus(self):
        return tuple(g.tau for g in self.gates)

    def default_name(self):
        return "conductance"


ELEMENT_KINDS = {cls.kind: cls for cls in (Leak, Current, Conductance)}
