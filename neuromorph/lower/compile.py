"""Specs lowered to the flat arrays the kernels read (layout: :mod:`neuromorph._kernels.layout`).

Assembling is plain NumPy and takes microseconds to milliseconds; only the kernels are
compiled by numba, once, whatever the model. Every element kind lowers itself through
the small interface of :class:`Emitter` (terms and parameter slots), so this module knows
no kind by name. :class:`CompiledModel` maps every parameter path to the array slots that
hold it, so a running integration can be modulated in place and ensembles can vary any
parameter per copy.
"""

import dataclasses
import functools
from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from .._kernels.layout import CONST, FILTER, LINEAR, MEMBRANE, TANH, Model
from ..errors import Failure, ModelError, SimulationError
from ..io.circuits import as_model

__all__ = ["CompiledModel", "Slot", "Assembler", "compile_neuron", "as_compiled_model", "check_value", "VALUE_CHECKS",
           "runaway_bounds", "diverging", "dense_jacobian"]


class Slot(namedtuple("Slot", "array index scale inverse")):
    """Where a parameter lives: ``array[index] = scale * (1 / value if inverse else value)``."""

    def scaled(self, factor):
        return self._replace(scale=self.scale * factor)

    def encode(self, value):
        return self.scale * (1.0 / value if self.inverse else value)


_STRUCTURAL_NEURON = ("it sets the model's structure (a time constant, or a synapse's sign): change it on the Neuron "
                      "with set, and the model is compiled again")
_STRUCTURAL_NETWORK = _STRUCTURAL_NEURON.replace("Neuron", "Network")
_SHARED = ("it sets an activation several synapses share (the same presynaptic neuron, filter, delta and k): change "
           "it on the Network with set, and the model is compiled again")

VALUE_CHECKS = {
    "real": lambda path, value: v.real(path, value),
    "nonnegative": lambda path, value: v.nonnegative(path, value),
    "time": lambda path, value: v.time_constant(path, value, allow_zero=False),
}
"""``checker name -> check(path, value)``: how a new value of a parameter slot is validated (and returned)."""


def check_value(checker, path, value):
    """``value`` of the parameter ``path`` validated by the check named ``checker`` (:data:`VALUE_CHECKS`)."""
    return VALUE_CHECKS[checker](path, value)


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A model ready for the kernels.

    Attributes
    ----------
    arrays : Model
        Kernel arrays (namedtuple, :mod:`neuromorph._kernels.layout`).
    state_names : tuple of str
        One name per state (``"v"``, ``"slow"``, ... ; ``"NODE.v"`` in networks).
    neuron_names : tuple of str
    y0 : ndarray
        Initial state.
    slots : dict
        ``path -> (checker, (Slot, ...))``: where each parameter lives, and how a new value is checked.
    stimuli : tuple
        Per neuron, a time-varying stimulus that belongs to the model (a network node's), or None.
    elements : dict
        ``"PREFIX." -> element`` of every element and interconnection: what the message of a
        structural parameter (a time constant, a synapse's sign) is worked out from, on demand.
    """

    arrays: Model
    state_names: tuple
    neuron_names: tuple
    y0: np.ndarray
    slots: dict = field(default_factory=dict)
    stimuli: tuple = ()
    elements: dict = field(default_factory=dict)

    @property
    def n_states(self):
        return len(self.state_names)

    @property
    def n_neurons(self):
        return len(self.neuron_names)

    @property
    def thresholds(self):
        return self.arrays.thresholds

    @functools.cached_property
    def bound_parts(self):
        """The array-dependent parts of :func:`runaway_bounds`, computed once."""
        return bound_parts(self.arrays)

    def slot(self, path, purpose="change"):
        """``(checker, slots)`` of a parameter path; an error lists the valid paths."""
        try:
            return self.slots[path]
        except (KeyError, TypeError):
            reason = self.structural(path)
            if reason:
                raise ModelError(f"cannot {purpose} {path!r}: {reason}") from None
            if not isinstance(path, str):
                raise ModelError(f"a parameter path must be a string such as 'slow_negative.alpha', "
                                 f"got {path!r}") from None
            network = any(name + "." + "i_app" in self.slots for name in self.neuron_names)
            if network and path == "i_app":
                raise ModelError(f"cannot {purpose} 'i_app': in a network each node has its own "
                                 f"({', '.join(n + '.i_app' for n in self.neuron_names[:4])}, ...)") from None
            head = path.split(".")[0]
            if network and head not in self.neuron_names and head + "." not in self.elements:
                edges = sorted(p[:-1] for p, el in self.elements.items() if el.connects)
                raise ModelError(f"cannot {purpose} {path!r}: {head!r} is neither a node ("
                                 f"{', '.join(self.neuron_names[:20])}{', ...' if self.n_neurons > 20 else ''}) nor an "
                                 f"interconnection ({', '.join(edges[:20]) or 'none'}{', ...' if len(edges) > 20 else ''})"
                                 ) from None
            known = sorted(self.slots)
            shown = ", ".join(known[:60]) + (f", ... ({len(known)} in all)" if len(known) > 60 else "")
            raise ModelError(f"cannot {purpose} {path!r}; parameters: {shown}") from None

    def structural(self, path):
        """Why ``path``, a parameter of the model, is not a slot, or None.

        A time constant or a synapse's sign shapes the arrays; a synapse's ``delta`` or ``k``
        that is not a slot sets an activation several synapses share.
        """
        if not isinstance(path, str) or "." not in path:
            return None
        prefix, field_name = path.rsplit(".", 1)
        element = self.elements.get(prefix + ".")
        if element is None:
            return None
        if field_name in element.structural():
            return _STRUCTURAL_NETWORK if element.connects or prefix.count(".") else _STRUCTURAL_NEURON
        if element.connects and field_name in ("delta", "k"):
            return _SHARED
        return None


    def check(self, path, value, purpose="change"):
        """The slots of ``path`` and ``value`` validated for it."""
        checker, slots = self.slot(path, purpose)
        return slots, check_value(checker, path, value)

    def with_parameters(self, values):
        """A copy with some parameters changed by path (``{"slow_negative.alpha": -1.2, "i_app": -2}``).

        Only the arrays that change are copied; structural parameters (time constants) are
        not slots: change those on the Neuron or Network and compile again.
        """
        arrays = {}
        for path, value in values.items():
            slots, value = self.check(path, value)
            for s in slots:
                target = arrays.get(s.array)
                if target is None:
                    target = arrays[s.array] = getattr(self.arrays, s.array).copy()
                target[s.index] = s.encode(value)
        return dataclasses.replace(self, arrays=self.arrays._replace(**arrays))

    def state_index(self, name):
        try:
            return self.state_names.index(name)
        except ValueError:
            raise ModelError(f"unknown state {name!r}; states are: {', '.join(self.state_names)}") from None

    def neuron_index(self, name):
        try:
            return self.neuron_names.index(name)
        except ValueError:
            raise ModelError(f"unknown neuron {name!r}; neurons: {', '.join(self.neuron_names)}") from None


class _Term:
    """Handle on an emitted term, naming the slots of its numbers."""

    def __init__(self, index, activations):
        self.index = index
        self.activations = activations

    @property
    def gain(self):
        return Slot("el_gain", self.index, 1.0, False)

    @property
    def offset(self):
        return Slot("el_off", self.index, 1.0, False)

    def gate_k(self, i):
        return Slot("act_k", self.activations[i], 1.0, False)

    def gate_offset(self, i):
        return Slot("act_off", self.activations[i], 1.0, False)


class Emitter:
    """What an element kind sees while it lowers itself (:meth:`ElementKind.lower`).

    ``term(base, target, gain, input, offset, gates, share)`` adds a term drawn from the membrane
    of ``target`` (``"self"``, ``"pre"``, ``"post"``, ``"a"``, ``"b"``); ``input`` and the gates'
    inputs are roles of the element's :meth:`inputs`; ``share=True`` lets its gates be computed
    once for every term with the same gate (a presynaptic neuron's activation, shared by its
    synapses; their ``k`` and ``delta`` are then structural). ``slot(field, *slots)`` says where
    the parameter ``field`` lives (several slots for one parameter, e.g. a gap junction's ``g``).
    """

    def __init__(self, asm, element, ends, path):
        self._asm = asm
        self._ends = ends
        self._path = path
        self._states = {inp.role: asm.input_state(ends[inp.neuron], inp.tau) for inp in element.inputs()}
        self._nonnegative = {name for name in ("g",) if element.connects}

    def term(self, base, target, gain, input=None, offset=0.0, gates=(), share=False):
        neuron = self._ends[target]
        source = self._states[input] if input is not None else self._asm.mem_state[neuron]
        activations = [self._asm.activation(k, off, self._states[role], share) for k, off, role in gates]
        return _Term(self._asm.term(base, neuron, source, gain, offset, activations), activations)

    def slot(self, field, *slots):
        check = "nonnegative" if field in self._nonnegative else "real"
        self._asm.slots[self._path + field] = (check, slots)


class Assembler:
    """Collects the states and terms of neurons and interconnections into kernel arrays."""

    def __init__(self):
        self.st_kind, self.st_rate, self.st_src, self.st_owner, self.state_names, self.y0 = [], [], [], [], [], []
        self.el_base, self.el_tgt, self.el_neuron, self.el_in, self.el_gain, self.el_off = [], [], [], [], [], []
        self.gate_ptr, self.gate_act = [0], []
        self.act_in, self.act_k, self.act_off = [], [], []
        self.shared = {}  # (state, k, offset) -> activation shared by several terms
        self.mem_state, self.neuron_names, self.thresholds, self.i_bias, self.stimuli = [], [], [], [], []
        self.hysteresis = []
        self.filters = {}  # (neuron, tau) -> state
        self.prefixes = []
        self.slots = {}
        self.elements = {}  # "PREFIX." -> element (for the messages about structural parameters)

    def _state(self, kind, rate, src, owner, name, value):
        self.st_kind.append(kind)
        self.st_rate.append(rate)
        self.st_src.append(src)
        self.st_owner.append(owner)
        self.state_names.append(name)
        self.y0.append(value)
        return len(self.st_kind) - 1

    def activation(self, k, offset, state, shared):
        """Index of the activation ``sigma(k (y[state] - offset))``; a shared one is reused by identical requests."""
        key = (state, float(k), float(offset))
        if shared and key in self.shared:
            return self.shared[key]
        self.act_in.append(state)
        self.act_k.append(float(k))
        self.act_off.append(float(offset))
        index = len(self.act_in) - 1
        if shared:
            self.shared[key] = index
        return index

    def term(self, base, neuron, source, gain, offset, activations):
        """Append a term drawn from ``neuron``'s membrane, gated by ``activations``; returns its index."""
        self.el_base.append(base)
        self.el_tgt.append(self.mem_state[neuron])
        self.el_neuron.append(neuron)
        self.el_in.append(source)
        self.el_gain.append(float(gain))
        self.el_off.append(float(offset))
        self.gate_act.extend(activations)
        self.gate_ptr.append(len(self.gate_act))
        return len(self.el_base) - 1

    def input_state(self, neuron, tau):
        """State holding ``neuron``'s voltage filtered with ``tau``; a filter is added when it has none
        (a synapse that reads a time constant its presynaptic neuron lacks brings its own)."""
        if tau == 0.0:
            return self.mem_state[neuron]
        key = (neuron, tau)
        if key not in self.filters:
            from ..model.neuron import plain_number

            mem = self.mem_state[neuron]
            self.filters[key] = self._state(FILTER, 1.0 / tau, mem, neuron,
                                            f"{self.prefixes[neuron]}syn_tau{plain_number(tau)}", self.y0[mem])
        return self.filters[key]

    def add_neuron(self, neuron, prefix="", i_app=0.0, stimulus=None, initial=None):
        """Append ``neuron``; parameter paths and state names get ``prefix`` (``"n1."``). Returns its index."""
        index = len(self.neuron_names)
        values = neuron.initial_values()
        values.update(initial or {})
        mem = self._state(MEMBRANE, 1.0 / neuron.C, index, index, prefix + "v", values["v"])
        self.mem_state.append(mem)
        self.neuron_names.append(prefix[:-1] if prefix else neuron.name)
        self.prefixes.append(prefix)
        self.thresholds.append(neuron.threshold)
        self.hysteresis.append(neuron.hysteresis)
        self.i_bias.append(float(i_app))
        self.stimuli.append(stimulus)
        self.slots[prefix + "C"] = ("time", (Slot("st_rate", mem, 1.0, True),))
        self.slots[prefix + "threshold"] = ("real", (Slot("thresholds", index, 1.0, False),))
        self.slots[prefix + "hysteresis"] = ("nonnegative", (Slot("hysteresis", index, 1.0, False),))
        self.slots[prefix + "i_app"] = ("real", (Slot("i_bias", index, 1.0, False),))
        for tau, name in neuron.filter_names.items():
            self.filters[(index, tau)] = self._state(FILTER, 1.0 / tau, mem, index, prefix + name, values[name])
        for el in neuron.elements:
            path = prefix + el.name + "."
            el.lower(Emitter(self, el, {"self": index}, path))
            self.elements[path] = el
        return index

    def add_connection(self, element, ends, name):
        """Append an interconnection; ``ends`` maps its roles (``"pre"``, ``"post"``, ...) to neuron indices."""
        path = name + "."
        element.lower(Emitter(self, element, ends, path))
        self.elements[path] = element

    def build(self):
        ints = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
        floats = lambda xs: np.asarray(xs, dtype=np.float64)  # noqa: E731
        # States neuron by neuron (a synapse's own filter joins its presynaptic neuron): each
        # neuron is one contiguous block of the Jacobian.
        st_kind_old, st_src_old = ints(self.st_kind), ints(self.st_src)
        state_order = np.argsort(ints(self.st_owner), kind="stable")
        new_state = np.empty(state_order.size, dtype=np.int64)
        new_state[state_order] = np.arange(state_order.size)
        st_kind = st_kind_old[state_order]
        st_src = np.where(st_kind == FILTER, new_state[st_src_old[state_order]], st_src_old[state_order])
        mem_state = new_state[ints(self.mem_state)]
        # Activations by input state (a cache-friendly pass); terms in four groups (ungated TANH,
        # ungated LINEAR, synaptic inputs, other gated), each by target neuron: the TANH group is
        # one contiguous, vectorisable pass and each neuron sums its current in a register.
        act_in_new = new_state[ints(self.act_in)]
        act_order = np.argsort(act_in_new, kind="stable")
        new_act = np.empty(act_order.size, dtype=np.int64)
        new_act[act_order] = np.arange(act_order.size)
        gate_ptr_old = ints(self.gate_ptr)
        n_gates = np.diff(gate_ptr_old)
        base = ints(self.el_base)
        group_of = np.where((n_gates == 0) & (base == TANH), 0, np.where((n_gates == 0) & (base == LINEAR), 1,
                            np.where((n_gates == 1) & (base == CONST), 2, 3)))
        neuron_of = ints(self.el_neuron)
        order = np.lexsort((np.arange(base.size), neuron_of, group_of))
        new_term = np.empty(order.size, dtype=np.int64)
        new_term[order] = np.arange(order.size)
        gate_ptr = np.concatenate(([0], np.cumsum(n_gates[order]))).astype(np.int64)
        # the gates of the terms in their new order: each term's run of gate indices, concatenated
        gate_index = np.repeat(gate_ptr_old[order] - gate_ptr[:-1], n_gates[order]) + np.arange(gate_ptr[-1])
        gate_act = new_act[ints(self.gate_act)[gate_index]]
        n_neurons = len(self.mem_state)
        counts = np.zeros((4, n_neurons), dtype=np.int64)
        np.add.at(counts, (group_of, neuron_of), 1)
        ends = np.cumsum(counts.ravel()).reshape(4, n_neurons)
        el_group = np.zeros((n_neurons, 8), dtype=np.int64)
        for g in range(4):
            el_group[:, 2 * g + 1] = ends[g]
            el_group[:, 2 * g] = ends[g] - counts[g]
        users = np.bincount(ints(self.gate_act), minlength=len(self.act_in))
        moved_index = {"el_gain": new_term, "el_off": new_term, "act_k": new_act, "act_off": new_act,
                       "st_rate": new_state}
        slots = {}
        for path, (check, entries) in self.slots.items():
            if any(e.array.startswith("act_") and users[e.index] > 1 for e in entries):
                continue  # a shared activation's: only Network.set, which compiles again, may change it
            slots[path] = (check, tuple(Slot(e.array, int(moved_index[e.array][e.index]), e.scale, e.inverse)
                                        if e.array in moved_index else e for e in entries))
        el_tgt = new_state[ints(self.el_tgt)[order]]
        el_in = new_state[ints(self.el_in)[order]]
        act_in = act_in_new[act_order]
        filt_state = np.flatnonzero(st_kind == FILTER)
        blk_ptr, blk_off, jac_row, jac_col, jac_slot = _jacobian_pattern(
            n_neurons, ints(self.st_owner)[state_order], base[order], el_tgt, el_in, gate_ptr,
            act_in[gate_act], filt_state, st_src)
        arrays = Model(
            st_kind=st_kind, st_rate=floats(self.st_rate)[state_order], st_src=st_src, filt_state=filt_state,
            el_group=el_group, el_base=base[order], el_tgt=el_tgt, el_in=el_in,
            el_gain=floats(self.el_gain)[order], el_off=floats(self.el_off)[order],
            gate_ptr=gate_ptr, gate_act=gate_act, act_in=act_in,
            act_k=floats(self.act_k)[act_order],
            act_off=floats(self.act_off)[act_order],
            mem_state=mem_state, i_bias=floats(self.i_bias), thresholds=floats(self.thresholds),
            hysteresis=floats(self.hysteresis),
            jac_row=jac_row, jac_col=jac_col, jac_slot=jac_slot, blk_ptr=blk_ptr, blk_off=blk_off,
            chunks=ints([1]),
        )
        return CompiledModel(
            arrays=arrays, state_names=tuple(self.state_names[s] for s in state_order),
            neuron_names=tuple(self.neuron_names), y0=floats(self.y0)[state_order], slots=slots,
            stimuli=tuple(self.stimuli), elements=self.elements,
        )


def _jacobian_pattern(n_neurons, owner, el_base, el_tgt, el_in, gate_ptr, gate_in, filters, st_src):
    """The Jacobian's entries in the order :func:`neuromorph._kernels.field.jacobian` computes them,
    and where each lands in the neuron-block storage (-1 between neurons). ``gate_in`` is the
    input state of each gate (its activation's)."""
    owner = np.asarray(owner, dtype=np.int64)
    sizes = np.bincount(owner, minlength=n_neurons)
    blk_ptr = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    blk_off = np.concatenate(([0], np.cumsum(sizes * sizes)))[:-1].astype(np.int64)
    # per term: its input (unless CONST), then its gates; then per filter: its diagonal and its source
    has_input = (el_base != CONST).astype(np.int64)
    n_gates = np.diff(gate_ptr)
    per_term = has_input + n_gates
    first = np.concatenate(([0], np.cumsum(per_term)))[:-1]
    n_terms = int(per_term.sum())
    rows = np.empty(n_terms + 2 * len(filters), dtype=np.int64)
    cols = np.empty_like(rows)
    rows[:n_terms] = np.repeat(el_tgt, per_term)
    with_input = first[has_input == 1]
    cols[with_input] = el_in[has_input == 1]
    gate_pos = np.repeat(first + has_input - gate_ptr[:-1], n_gates) + np.arange(gate_ptr[-1])
    cols[gate_pos] = gate_in
    filters = np.asarray(filters, dtype=np.int64)
    rows[n_terms::2] = filters
    cols[n_terms::2] = filters
    rows[n_terms + 1::2] = filters
    cols[n_terms + 1::2] = np.asarray(st_src, dtype=np.int64)[filters]
    block = owner[rows]
    size = sizes[block]
    slot = np.where(block == owner[cols], blk_off[block] + (rows - blk_ptr[block]) * size + (cols - blk_ptr[block]),
                    -1)
    return blk_ptr, blk_off, rows, cols, slot.astype(np.int64)


def compile_neuron(neuron):
    """Kernel arrays of a single :class:`~neuromorph.Neuron`."""
    asm = Assembler()
    asm.add_neuron(neuron)
    return asm.build()


def as_compiled_model(model):
    """``model`` (a Neuron, a Network, a preset name, a circuit file or a :class:`CompiledModel`) as a
    :class:`CompiledModel`.

    What every engine does first with the model it is given (through :func:`~neuromorph.lower.problem.prepare`);
    a name or file is read by :func:`~neuromorph.io.circuits.as_model`, and a Neuron or Network compiles itself
    (cached on it until it changes).
    """
    if isinstance(model, CompiledModel):
        return model
    model = as_model(model)
    if hasattr(model, "compile"):
        return model.compile()
    raise ModelError(f"expected a Neuron, a preset name or a compiled model, got {model!r}")


def dense_jacobian(model, y, t=0.0, stim=None):
    """The full Jacobian ``d(dy/dt)/dy`` of a compiled model at ``y`` as a dense array (for analysis of small models).

    ``y`` of shape ``(k, n_states)`` holds ``k`` states: their ``k`` Jacobians, stacked (each the one its state
    alone gives).
    """
    from .._kernels.field import empty_stim, jacobian, scratch_size

    arrays = model.arrays if isinstance(model, CompiledModel) else model
    # Contiguous copies (a member's parameters may be a view): one compiled version of the kernel serves all.
    arrays = type(arrays)(*(np.ascontiguousarray(a) for a in arrays))
    n = arrays.st_kind.size
    y = np.ascontiguousarray(y, dtype=np.float64)
    states = y if y.ndim == 2 else y[None, :]
    stim = empty_stim(arrays.mem_state.size) if stim is None else stim
    vals = np.zeros((states.shape[0], arrays.jac_row.size))
    for k, state in enumerate(states):
        jacobian(arrays, stim, t, False, state, vals[k], np.zeros(n), np.zeros(scratch_size(arrays)))
    out = np.zeros((states.shape[0], n, n))
    np.add.at(out, (np.arange(states.shape[0])[:, None], arrays.jac_row, arrays.jac_col), vals)
    return out if y.ndim == 2 else out[0]


def _stimulus_peaks(stim):
    """Largest |I_app(t)| of each neuron over all time (segments are linear: their ends bound them)."""
    if stim.t.size == stim.ptr.size - 1:  # one constant segment per neuron: the common case
        return np.abs(stim.a)
    starts = stim.t
    ends = np.append(starts[1:], starts[-1])
    last = np.zeros(starts.size, dtype=bool)
    last[stim.ptr[1:] - 1] = True  # a neuron's last segment has no slope (an unbounded ramp never is)
    widths = np.where(np.isfinite(starts) & ~last, ends - np.where(np.isfinite(starts), starts, 0.0), 0.0)
    values = np.abs(stim.a) + np.abs(stim.b) * widths
    return np.maximum.reduceat(values, stim.ptr[:-1])


def bound_parts(arrays, gain=None, off=None, act_off=None, thresholds=None):
    """The parts of :func:`runaway_bounds` that depend on the model's arrays only (cached per compiled model).

    ``(restoring conductance, bounded currents, coupling to other neurons' voltages, scale of
    offsets and thresholds)`` per neuron; arrays may carry a trailing axis of copies.
    """
    gain = arrays.el_gain if gain is None else gain
    off = arrays.el_off if off is None else off
    act_off = arrays.act_off if act_off is None else act_off
    thresholds = arrays.thresholds if thresholds is None else thresholds
    if np.ndim(gain) == 2 and all(np.ndim(a) == 2 and np.all(a == a[:, :1]) for a in (gain, off, act_off, thresholds)):
        # copies alike (an ensemble varying only currents, trials or noise): one copy's parts, which broadcast
        gain, off, act_off, thresholds = gain[:, :1], off[:, :1], act_off[:, :1], thresholds[:, :1]
    n_neurons = arrays.mem_state.size
    extra = (1,) * (np.ndim(gain) - 1)
    column = lambda a: a.reshape((-1,) + extra)  # noqa: E731
    neuron_of_state = np.full(arrays.st_kind.size, -1, dtype=np.int64)
    neuron_of_state[arrays.mem_state] = np.arange(n_neurons)
    target = neuron_of_state[arrays.el_tgt]
    own = column(arrays.el_in == arrays.el_tgt)
    gated = column(arrays.gate_ptr[1:] > arrays.gate_ptr[:-1])
    linear = column(arrays.el_base == LINEAR)
    shape = (n_neurons,) + np.shape(gain)[1:]
    restoring, bounded, coupling = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(restoring, target, np.where(linear & own & ~gated, gain, 0.0)
              + np.where(linear & own & gated, np.minimum(gain, 0.0), 0.0))
    np.add.at(bounded, target, np.where(linear, np.where(own, np.abs(gain * off), 0.0), np.abs(gain)))
    np.add.at(coupling, target, np.where(linear & ~own, np.abs(gain), 0.0))
    scale = np.maximum(1.0, np.abs(thresholds)) + np.zeros(shape)
    np.maximum.at(scale, target, np.abs(off))
    np.maximum.at(scale, np.repeat(target, np.diff(arrays.gate_ptr)), np.abs(act_off[arrays.gate_act]))
    return restoring, bounded, coupling, scale


NO_RESTORING = "the model lacks a restoring conductance (a leak with g > 0) strong enough for its currents"
"""Why a run usually diverges: the cause :func:`diverging` gives unless told another."""


def diverging(t, v, bound, neuron=None, cause=NO_RESTORING, engine="integration stopped"):
    """The :class:`~neuromorph.errors.SimulationError` (reason :attr:`Failure.DIVERGING
    <neuromorph.errors.Failure.DIVERGING>`) of a membrane voltage ``v`` found beyond its :func:`runaway_bounds`
    ``bound`` at time ``t``: one message for every engine.

    ``neuron``: its name in a network (None for a single neuron); ``engine`` says what happened there.
    """
    who = "the membrane voltage" + (f" of neuron {neuron!r}" if neuron is not None else "")
    return SimulationError(f"{engine} at t = {t:.9g}: {who} reached V = {v:.6g}, beyond +-{bound:.4g}, and "
                           f"grows without bound ({Failure.DIVERGING}): {cause}", t=t, reason=Failure.DIVERGING)


def runaway_bounds(arrays, stim, y, parts=None, i_bias=None, **per_copy):
    """Per neuron, the membrane voltage beyond which the state is growing without bound.

    With a net restoring conductance ``G`` (linear terms of the neuron's own membrane: leaks and
    ungated conductances; gated negative ones counted at full strength) every trajectory enters
    and stays in ``|V| <= R + (I_max + A) / G``, where ``A`` bounds the other currents
    (``|alpha|``, synapses, ``|g E|``, coupling to other neurons at the scale of their states),
    ``I_max`` the applied current and ``R`` the scale of offsets, threshold and initial state;
    the bound is ten times that. Without a restoring conductance no such region exists and the
    bound is ``10 (R + I_max + A)``: outside where these circuits live (a few units), yet met
    early by a drift or an exponential blow-up, which is then reported with its time instead of
    being called "rest" (or overflowing much later).

    ``parts`` are :func:`bound_parts` (computed from ``arrays`` and ``per_copy`` arrays ``gain``,
    ``off``, ``act_off``, ``thresholds`` when not given). ``i_bias``, ``y`` and the per-copy
    arrays may carry a trailing axis of copies (ensembles); the result then has shape
    ``(n_neurons, n_copies)``.
    """
    restoring, bounded, coupling, scale = bound_parts(arrays, **per_copy) if parts is None else parts
    i_bias = arrays.i_bias if i_bias is None else i_bias
    n_neurons = arrays.mem_state.size
    extra = (1,) * (np.ndim(restoring) - 1)
    peaks = np.abs(i_bias) + _stimulus_peaks(stim).reshape((n_neurons,) + extra)
    magnitude = np.abs(y)
    scale = np.maximum(scale, np.maximum.reduceat(magnitude, arrays.blk_ptr[:-1], axis=0))  # states by neuron
    currents = peaks + bounded + coupling * (10.0 * (1.0 + np.max(magnitude, axis=0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(restoring > 0.0, 10.0 * (scale + currents / restoring), 10.0 * (scale + currents))
