"""The neuron: a membrane capacitor in parallel with elementary current sources.

.. math::

    C \\frac{dV}{dt} = I_{app}(t) - \\sum_k I_k, \\qquad
    \\tau_x \\frac{dV_x}{dt} = V - V_x

Elements reading the voltage through the same time constant share one filter
state ``V_x``. States are named ``"v"`` and, per distinct filter time
constant, ``"fast"``, ``"slow"`` or ``"ultraslow"`` (see
:func:`neuromorph.model.elements.timescale_label`; two filters in the same band are
told apart by their time constant, e.g. ``"slow_tau20"``).

Parameters are addressed by path: ``"C"``, ``"v0"``, ``"threshold"``, ``"hysteresis"`` or
``"ELEMENT.FIELD"`` such as ``"slow_negative.alpha"``.

A spike is an upward crossing of ``threshold`` by the membrane voltage, counted only if the
voltage has fallen below ``threshold - hysteresis`` since the last spike (or started below
``threshold``): noise that jitters the voltage across the threshold during one upstroke cannot
split a spike in two. Every engine (single runs, ensembles, SPICE runs, studies) applies this
one definition, :func:`neuromorph.analysis.spikes.spike_times`.
"""

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from .elements import Conductance, Current, Gate, Leak, timescale_label
from .kinds import ElementKind
from .stimulus import Protocol

__all__ = ["Neuron", "ElementHandle"]

_NEURON_FIELDS = ("C", "v0", "threshold", "hysteresis")

DEFAULT_HYSTERESIS = 0.5
"""How far below the threshold the voltage must fall before the next spike can count (voltage units)."""


def plain_number(tau):
    """A time constant written into an identifier, exactly (repr round-trips): 20.0 -> '20', 0.5 -> '0p5',
    1e-05 -> '1em05'."""
    text = repr(float(tau))
    text = text[:-2] if text.endswith(".0") else text
    return text.replace(".", "p").replace("-", "m").replace("+", "")


class ElementHandle:
    """Reference to an element of a neuron, returned by ``Neuron.add_*``.

    Lets gates be chained onto a conductance:
    ``n.add_conductance(g_max=1.0, e_rev=1.0).add_gate(k=2.0, delta=0.0, tau=50)``.
    """

    def __init__(self, neuron, name):
        self._neuron = neuron
        self.name = name

    @property
    def element(self):
        """The current (frozen) element spec."""
        return self._neuron[self.name]

    def add_gate(self, k, delta, tau=0.0):
        """Multiply a conductance by ``sigma(k (V_x - delta))``; returns this handle.

        Parameters
        ----------
        k : float
            Sigmoid slope (< 0 inactivates).
        delta : float
            Half-activation voltage.
        tau : float, default 0.0
            Time constant of the gating voltage ``V_x``.
        """
        element = self.element
        if not isinstance(element, Conductance):
            raise ModelError(f"gates can only be added to a conductance element; {self.name!r} is a {element.kind}")
        self._neuron._replace(self.name, Conductance(
            g_max=element.g_max, e_rev=element.e_rev, gates=element.gates + (Gate(k, delta, tau),), name=self.name
        ))
        return self

    def __repr__(self):
        return f"ElementHandle({self.element!r})"


class Neuron:
    """A single neuromorphic neuron built from elements.

    Parameters
    ----------
    C : float, default 1.0
        Membrane capacitance (dimensionless; with g_leak = 1 the time unit is C / g_leak).
    v0 : float, default 0.0
        Initial membrane voltage. Filters start at ``v0`` unless set with :meth:`set_initial`.
    threshold : float, default 0.0
        A spike is an upward crossing of this voltage.
    hysteresis : float, default 0.5
        A spike counts only after the voltage fell below ``threshold - hysteresis`` since the
        last one (noise re-crossing the threshold on one upstroke is not a second spike). The
        reference neurons' spikes fall to about -2 between spikes, so the default changes
        nothing for them; a neuron whose spikes are small needs a smaller value (0 counts every
        crossing).
    name : str, default "neuron"
        An identifier (in a network, the node's name replaces it).
    description : str, default ""
        Free text, kept in circuit files.
    protocol : Protocol, optional
        Suggested experiment (run time, stimulus) used by ``neuromorph simulate`` and the demo.

    Raises
    ------
    ModelError
        If ``C`` is not a finite number >= 1e-9, ``v0`` or ``threshold`` is not a finite real
        number, ``hysteresis`` is negative or not finite, ``name`` is not an identifier,
        ``description`` is not a string, or ``protocol`` is neither None nor a :class:`Protocol`.

    Examples
    --------
    The four-element bursting neuron of Ribar & Sepulchre:

    >>> import neuromorph as nm
    >>> n = nm.Neuron(C=1.0, v0=-1.9)
    >>> _ = n.add_leak(g=1.0)
    >>> _ = n.add_current(alpha=-2.0, delta=0.0, tau=0.0)
    >>> _ = n.add_current(alpha=2.0, delta=0.0, tau=50.0)
    >>> _ = n.add_current(alpha=-1.5, delta=-1.5, tau=50.0)
    >>> _ = n.add_current(alpha=1.5, delta=-1.5, tau=2500.0)
    >>> n.element_names
    ('leak', 'fast_negative', 'slow_positive', 'slow_negative', 'ultraslow_positive')
    >>> n.state_names
    ('v', 'slow', 'ultraslow')

    Started as in the reference run (filters at -1.8), at ``I_app = -2`` it bursts:

    >>> _ = n.set_initial(slow=-1.8, ultraslow=-1.8)
    >>> s = n.simulate(t_end=10_000, i_app=-2.0, record=()).summary()
    >>> s["pattern"], s["spikes_per_burst"], round(s["burst_period"])
    ('bursting', 7, 2494)

    Neuromodulation changes a parameter by its path:

    >>> n.set("slow_negative.alpha", -1.2).get("slow_negative.alpha")
    -1.2
    """

    def __init__(self, C=1.0, v0=0.0, threshold=0.0, name="neuron", description="", protocol=None,
                 hysteresis=DEFAULT_HYSTERESIS):
        self._C = check.time_constant("C", C, allow_zero=False)
        self._v0 = check.real("v0", v0)
        self._threshold = check.real("threshold", threshold)
        self._hysteresis = check.nonnegative("hysteresis", hysteresis)
        self.name = check.identifier("name", name)
        self.description = check.text("description", description)
        if protocol is not None and not isinstance(protocol, Protocol):
            raise ModelError(f"`protocol` must be a Protocol, got {protocol!r}")
        self.protocol = protocol
        self._elements = {}
        self._filter_init = {}  # tau -> initial filtered voltage
        self._compiled = None

    # -- construction -------------------------------------------------------
    def add(self, element):
        """Add an element spec (:class:`Leak`, :class:`Current`, :class:`Conductance`); returns a handle.

        An element without a name gets a readable one (``"slow_negative"``);
        a clash with an existing name appends ``_2``, ``_3``, ...
        """
        if not isinstance(element, ElementKind) or element.connects:
            hint = (": an interconnection joins two neurons; add it to a Network" if isinstance(element, ElementKind)
                    else "")
            raise ModelError(f"expected an element of one neuron (Leak, Current or Conductance), got {element!r}"
                             f"{hint}")
        name = element.name
        if name is None:
            base = element.default_name()
            name = base
            i = 2
            while name in self._elements:
                name = f"{base}_{i}"
                i += 1
            element = element.replace(name=name)
        elif name in self._elements or name in _NEURON_FIELDS:
            raise ModelError(f"element name {name!r} is already used in neuron {self.name!r}")
        self._elements[name] = element
        self._changed()
        return ElementHandle(self, name)

    def add_leak(self, g=1.0, e_rev=0.0, name="leak"):
        """Add a leak ``g (V - e_rev)``. See :class:`neuromorph.model.elements.Leak`."""
        return self.add(Leak(g=g, e_rev=e_rev, name=name))

    def add_current(self, alpha, delta, tau=0.0, name=None, inactivation_delta=None, inactivation_tau=None,
                    inactivation_k=-2.0):
        """Add a localized conductance ``alpha tanh(V_x - delta)``. See :class:`neuromorph.model.elements.Current`."""
        return self.add(Current(
            alpha=alpha, delta=delta, tau=tau, name=name, inactivation_delta=inactivation_delta,
            inactivation_tau=inactivation_tau, inactivation_k=inactivation_k,
        ))

    def add_conductance(self, g_max, e_rev, name=None):
        """Add a conductance ``g_max (V - e_rev)``; chain ``.add_gate(...)`` for its sigmoid gates."""
        return self.add(Conductance(g_max=g_max, e_rev=e_rev, name=name))

    def remove(self, name):
        """Remove the element called ``name``."""
        self._element(name)
        del self._elements[name]
        self._changed()

    def _replace(self, name, element):
        self._elements[name] = element
        self._changed()

    def _changed(self):
        self._compiled = None

    # -- access ------------------------------------------------------------
    @property
    def C(self):
        """Membrane capacitance."""
        return self._C

    @property
    def v0(self):
        """Initial membrane voltage."""
        return self._v0

    @property
    def threshold(self):
        """Spike threshold voltage."""
        return self._threshold

    @property
    def hysteresis(self):
        """How far below :attr:`threshold` the voltage must fall before the next spike counts."""
        return self._hysteresis

    @property
    def elements(self):
        """The element specs, in the order they were added."""
        return tuple(self._elements.values())

    @property
    def element_names(self):
        """Names of the elements, in the order they were added (the ELEMENT of ``"ELEMENT.FIELD"``)."""
        return tuple(self._elements)

    def _element(self, name):
        try:
            return self._elements[name]
        except KeyError:
            known = ", ".join(self._elements) or "none"
            raise ModelError(f"neuron {self.name!r} has no element {name!r}; its elements are: {known}") from None

    def __getitem__(self, name):
        return self._element(name)

    def __contains__(self, name):
        return name in self._elements

    def __iter__(self):
        return iter(self._elements.values())

    def __len__(self):
        return len(self._elements)

    @property
    def filter_taus(self):
        """Distinct positive filter time constants, ascending (one filter state each)."""
        return tuple(sorted({tau for el in self._elements.values() for tau in el.taus if tau > 0.0}))

    @property
    def filter_names(self):
        """``{tau: state name}`` of the filter states."""
        taus = self.filter_taus
        labels = [timescale_label(tau) for tau in taus]
        return {
            tau: label if labels.count(label) == 1 else f"{label}_tau" + plain_number(tau)
            for tau, label in zip(taus, labels)
        }

    @property
    def state_names(self):
        """Names of the state variables: ``"v"`` then one per filter."""
        return ("v",) + tuple(self.filter_names.values())

    # -- initial state -----------------------------------------------------
    def set_initial(self, v=None, **filters):
        """Set initial values by state name; unset filters start at ``v0``. Returns the neuron.

        Examples
        --------
        >>> n = Neuron(v0=-1.9); _ = n.add_current(alpha=2.0, delta=0.0, tau=50)
        >>> n.set_initial(slow=-1.8).initial_state().tolist()
        [-1.9, -1.8]
        """
        by_name = {name: tau for tau, name in self.filter_names.items()}
        for name, value in filters.items():
            if name not in by_name:
                known = ", ".join(by_name) or "none (the neuron has no filtered voltages)"
                raise ModelError(f"neuron {self.name!r} has no filter state {name!r}; its filter states are: {known}")
            self._filter_init[by_name[name]] = check.real(f"initial {name}", value)
        if v is not None:
            self._v0 = check.real("initial v", v)
        self._changed()
        return self

    def initial_values(self):
        """``{state name: initial value}``."""
        values = {"v": self._v0}
        for tau, name in self.filter_names.items():
            values[name] = self._filter_init.get(tau, self._v0)
        return values

    def initial_overrides(self):
        """``{filter state name: value}`` of the filters given their own initial value (the others follow ``v0``)."""
        names = self.filter_names
        return {names[tau]: value for tau, value in sorted(self._filter_init.items()) if tau in names}

    def initial_state(self):
        """Initial state vector in the order of :attr:`state_names`."""
        return np.array(list(self.initial_values().values()), dtype=np.float64)

    # -- parameters by path ------------------------------------------------
    def parameters(self):
        """Every numeric parameter by path: ``{"C": 1.0, ..., "slow_negative.alpha": -1.5, ...}``."""
        params = {"C": self._C, "v0": self._v0, "threshold": self._threshold, "hysteresis": self._hysteresis}
        for name, element in self._elements.items():
            for field, value in element.parameters().items():
                params[f"{name}.{field}"] = value
        return params

    def _split(self, path):
        if not isinstance(path, str):
            raise ModelError(f"parameter path must be a string such as 'slow_negative.alpha', got {path!r}")
        if path in _NEURON_FIELDS:
            return None, path
        name, dot, field = path.partition(".")
        if not dot or not field:
            raise ModelError(
                f"unknown parameter {path!r}: use 'C', 'v0', 'threshold', 'hysteresis' or 'ELEMENT.FIELD' "
                f"with ELEMENT one of {', '.join(self._elements) or 'none'}"
            )
        element = self._element(name)
        if field not in element.parameters():
            raise ModelError(
                f"element {name!r} ({element.kind}) has no parameter {field!r}; "
                f"it has {', '.join(element.parameters())}"
            )
        return name, field

    def get(self, path):
        """Value of the parameter at ``path``."""
        name, field = self._split(path)
        if name is None:
            return getattr(self, field)
        return self._elements[name].parameters()[field]

    def set(self, path, value):
        """Set the parameter at ``path`` (validated); returns the neuron for chaining."""
        name, field = self._split(path)
        if name is None:
            if field == "C":
                value = check.time_constant("C", value, allow_zero=False)
            elif field == "hysteresis":
                value = check.nonnegative("hysteresis", value)
            else:
                value = check.real(field, value)
            setattr(self, "_" + field, value)
        else:
            before = self._elements[name]
            self._elements[name] = before.replace(**{field: value})
            old_tau = getattr(before, field, None)  # None for gate paths such as "gate0.tau"
            if field.endswith("tau") and old_tau in self._filter_init:
                # The element's filter moved to a new time constant: its initial value goes with it.
                self._filter_init.setdefault(getattr(self._elements[name], field), self._filter_init[old_tau])
        self._changed()
        return self

    # -- whole-object helpers ----------------------------------------------
    def copy(self):
        """An independent copy (element specs are immutable and shared)."""
        other = Neuron(C=self._C, v0=self._v0, threshold=self._threshold, name=self.name,
                       description=self.description, protocol=self.protocol, hysteresis=self._hysteresis)
        other._elements = dict(self._elements)
        other._filter_init = dict(self._filter_init)
        return other

    def _spec(self):
        used = set(self.filter_taus)
        return (self.name, self.description, self.protocol, self._C, self._v0, self._threshold, self._hysteresis,
                tuple(self._elements.items()),
                tuple(sorted((t, x) for t, x in self._filter_init.items() if t in used)))

    def __eq__(self, other):
        return isinstance(other, Neuron) and self._spec() == other._spec()

    __hash__ = None

    def __repr__(self):
        extra = "" if self._hysteresis == DEFAULT_HYSTERESIS else f", hysteresis={self._hysteresis!r}"
        lines = [f"Neuron(name={self.name!r}, C={self._C!r}, v0={self._v0!r}, threshold={self._threshold!r}{extra})"]
        lines += [f"  {el!r}" for el in self._elements.values()]
        return "\n".join(lines)

    def compile(self):
        """The model as kernel arrays (:class:`neuromorph.lower.compile.CompiledModel`), cached until a change."""
        if self._compiled is None:
            from ..lower.compile import compile_neuron

            self._compiled = compile_neuron(self)
        return self._compiled

    def simulate(self, t_end, i_app=0.0, **options):
        """Integrate from t = 0 to ``t_end``; see :func:`neuromorph.simulate` for the options."""
        from ..solve.integrator import simulate

        return simulate(self, t_end, i_app=i_app, **options)

