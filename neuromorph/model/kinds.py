"""The registry of element kinds: everything about a kind is defined once, in its class.

A kind (a frozen dataclass registered with :func:`register`) states

* its parameters, defaults and validation (the dataclass fields and ``__post_init__``);
* its TOML name (``kind``) and table layout (:meth:`ElementKind.to_table` / :meth:`ElementKind.from_table`);
* the voltages it reads (:meth:`ElementKind.inputs`: a role, whose neuron, which filter time constant);
* its membrane current and the analytic derivatives of it (:meth:`ElementKind.current`,
  :meth:`ElementKind.derivatives`, plain NumPy, written from the equation): the I-V analysis
  uses these;
* how it lowers into the compiled arrays (:meth:`ElementKind.lower`): a few *terms* of the
  kernel's primitive form, and which array slot holds each of its parameters;
* its *gain* (:attr:`ElementKind.gain`): the field its current is proportional to, which estimation
  reads back from a trace.

The kernels know only the primitive term
``I = gain * base(y[input] - offset) * prod_i sigma(k_i (y[gate_i] - offset_i))`` with
``base`` one of :data:`LINEAR` (``x``), :data:`TANH` (``tanh x``) or :data:`CONST` (``1``), added to
the membrane current of a target neuron. A new kind is a new class here, nothing else;
``tests/test_kinds.py`` checks every registered kind's kernel current, derivatives and
Jacobian against finite differences and its own NumPy equation.

Currents are membrane currents: positive is outward (it lowers ``V``).
"""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from .._kernels.layout import CONST, LINEAR, TANH
from ..errors import ModelError

__all__ = ["KINDS", "register", "ElementKind", "Input", "LINEAR", "TANH", "CONST", "sigmoid", "Expr", "formula"]

KINDS = {}
"""``{TOML name: class}`` of every registered kind."""


def register(cls):
    """Class decorator: make ``cls`` a known element kind under ``cls.kind``."""
    if cls.kind in KINDS:
        raise ValueError(f"element kind {cls.kind!r} is registered twice")
    KINDS[cls.kind] = cls
    return cls


def sigmoid(x):
    """Logistic ``1 / (1 + exp(-x))``, without overflow warnings (also on :class:`Expr` symbols)."""
    x = np.asarray(x)
    return 0.5 * (1.0 + np.tanh(0.5 * (x if x.dtype == object else x.astype(np.float64))))


class Expr:
    """A symbolic expression for the equations of the kinds: ``current`` evaluated on ``Expr`` inputs
    gives the formula as text (NumPy's object arrays call ``tanh`` on it), e.g. the behavioural
    SPICE source of an element, so the equation stays written once.

    Examples
    --------
    >>> from neuromorph import Current
    >>> str(Current(alpha=-2.0, delta=0.0).current(x=Expr("V(v)"))["self"])
    '((-2.0)*tanh((V(v)-0.0)))'
    """

    def __init__(self, text):
        self.text = text

    @staticmethod
    def _of(value):
        if isinstance(value, Expr):
            return value.text
        value = float(value)
        return repr(value) if value >= 0 else f"({value!r})"

    def _bin(self, other, op, swap=False):
        a, b = self._of(self), self._of(other)
        return Expr(f"({b}{op}{a})" if swap else f"({a}{op}{b})")

    def __add__(self, other):
        return self._bin(other, "+")

    def __radd__(self, other):
        return self._bin(other, "+", swap=True)

    def __sub__(self, other):
        return self._bin(other, "-")

    def __rsub__(self, other):
        return self._bin(other, "-", swap=True)

    def __mul__(self, other):
        return self._bin(other, "*")

    def __rmul__(self, other):
        return self._bin(other, "*", swap=True)

    def __truediv__(self, other):
        return self._bin(other, "/")

    def __rtruediv__(self, other):
        return self._bin(other, "/", swap=True)

    def __neg__(self):
        return Expr(f"(-{self.text})")

    def tanh(self):
        return Expr(f"tanh({self.text})")

    def exp(self):
        return Expr(f"exp({self.text})")

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"Expr({self.text!r})"


def formula(value):
    """The text of an expression built from :class:`Expr` symbols (a 0-d object array, an Expr or a number)."""
    value = np.asarray(value, dtype=object).item() if isinstance(value, np.ndarray) else value
    return value.text if isinstance(value, Expr) else Expr._of(value)


@dataclass(frozen=True)
class Input:
    """A voltage an element reads: ``role`` names it, ``neuron`` says whose (``"self"`` for the
    owning neuron; ``"pre"``, ``"post"``, ``"a"``, ``"b"`` for the ends of an interconnection),
    ``tau`` which filter (0: the membrane voltage itself)."""

    role: str
    tau: float = 0.0
    neuron: str = "self"


class ElementKind:
    """Base of every element kind. Subclasses are frozen dataclasses with a ``kind`` name."""

    kind: ClassVar[str]
    connects: ClassVar[tuple] = ()
    """Ends of an interconnection (``("pre", "post")``, ``("a", "b")``); empty for an element of one neuron."""
    gain: ClassVar[str | None] = None
    """The field the current is proportional to (``"alpha"``, ``"g"``, ``"g_max"``): the kind's *gain*, which
    :func:`neuromorph.estimate` can read back from a voltage trace (the current is linear in it). None: none."""

    # -- parameters ---------------------------------------------------------------------
    def parameters(self):
        """Flat ``{field: value}`` of every numeric parameter (the FIELD of ``ELEMENT.FIELD``)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "name" and isinstance(getattr(self, f.name), float)}

    def replace(self, **changes):
        """A copy with some flat parameters changed (validated).

        Examples
        --------
        >>> from neuromorph import Current
        >>> Current(alpha=-1.5, delta=-1.5, tau=50).replace(alpha=-1.2).alpha
        -1.2
        """
        unknown = set(changes) - set(self.parameters()) - {"name"}
        if unknown:
            field = sorted(unknown)[0]
            raise ModelError(f"element {self.name!r} ({self.kind}) has no parameter {field!r}; "
                             f"it has {', '.join(self.parameters())}")
        return self._replace_flat(changes)

    def _replace_flat(self, changes):
        return dataclasses.replace(self, **changes)

    @property
    def taus(self):
        """Time constants of the filtered voltages this element reads (of its own neuron, or the presynaptic one)."""
        return tuple(inp.tau for inp in self.inputs())

    def structural(self):
        """Fields that shape the compiled arrays rather than fill a slot (changing them recompiles)."""
        return tuple(f for f in self.parameters() if f == "tau" or f.endswith("_tau"))

    def default_name(self):
        return self.kind

    # -- physics --------------------------------------------------------------------------
    def inputs(self):
        """The voltages the element reads, as :class:`Input` s."""
        raise NotImplementedError

    def current(self, **values):
        """Membrane current (outward positive) for input voltages given by role (arrays broadcast).

        For an interconnection, the current into its target(s) is returned by target:
        see the subclass.
        """
        raise NotImplementedError

    def derivatives(self, **values):
        """``{role: dI/d(role)}``: analytic partial derivatives of :meth:`current`."""
        raise NotImplementedError

    def lower(self, emit):
        """Emit this element's terms and parameter slots into a lowering context (see :mod:`neuromorph.lower`)."""
        raise NotImplementedError

    def spice_cells(self, cells):
        """Place this element's transistor-level cells (:mod:`neuromorph.spice.transistor`): ``cells``
        knows the nodes of its inputs (by role), its target membranes and the unit mapping."""
        raise ModelError(f"{self.kind} elements ({self.name!r}) have no transistor-level cell yet; export them at "
                         "level='behavioural'")

    # -- files ----------------------------------------------------------------------------
    def to_table(self):
        """The TOML table of this element (without ``kind``)."""
        table = {"name": self.name} if self.name is not None else {}
        table.update(self.parameters())
        return table

    @classmethod
    def fields(cls):
        """``(allowed keys, required keys)`` of the TOML table."""
        fields = [f for f in dataclasses.fields(cls) if f.init]
        allowed = {f.name for f in fields}
        required = {f.name for f in fields
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        return allowed, required

    @classmethod
    def from_table(cls, table, where):
        """Build from a TOML table (keys already checked against :meth:`fields`)."""
        return cls(**table)


def name_or_none(name):
    return None if name is None else v.identifier("name", name)


def check_fields(obj, reals=(), positives=(), time_constants=()):
    """Validate dataclass fields in place (frozen): finite reals, positive reals, time constants."""
    for name in reals:
        object.__setattr__(obj, name, v.real(name, getattr(obj, name)))
    for name in positives:
        object.__setattr__(obj, name, v.positive(name, getattr(obj, name)))
    for name in time_constants:
        object.__setattr__(obj, name, v.time_constant(name, getattr(obj, name)))
