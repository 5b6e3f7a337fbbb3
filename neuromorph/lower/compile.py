"""Specs turned into the flat arrays the kernels read (:mod:`neuromorph._kernels.field`).

Assembling is plain NumPy and takes microseconds; only the kernels are
compiled by numba, once, whatever the model. :class:`CompiledModel` also
maps every parameter path to the array slot that holds it, so a running
integration can be modulated in place.
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .._kernels.field import FILTER, MEMBRANE, OHMIC, TANH, Model
from ..model.elements import Conductance, Current, Leak

__all__ = ["CompiledModel", "compile_neuron", "Assembler", "runaway_bounds"]


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A model ready for the kernels.

    Attributes
    ----------
    arrays : Model
        Kernel arrays (namedtuple).
    state_names : tuple of str
        One name per state (``"v"``, ``"slow"``, ... ; ``"NEURON.v"`` in networks).
    neuron_names : tuple of str
    y0 : ndarray
        Initial state.
    thresholds : ndarray
        Spike threshold of each neuron.
    slots : dict
        ``path -> (array name, index, inverse)``: where a parameter lives
        (``inverse``: the array holds 1/value, as for ``C`` and ``tau``).
    """

    arrays: Model
    state_names: tuple
    neuron_names: tuple
    y0: np.ndarray
    thresholds: np.ndarray
    slots: dict = field(default_factory=dict)

    @property
    def n_states(self):
        return len(self.state_names)

    def slot(self, path, purpose="change"):
        """``(array name, index, inverse)`` of a parameter path; an error lists the valid paths."""
        try:
            return self.slots[path]
        except KeyError:
            from ..errors import ModelError

            known = ", ".join(["i_app"] + sorted(self.slots))
            raise ModelError(f"cannot {purpose} {path!r}; parameters: {known} "
                             "(time constants are structural: set them on the Neuron)") from None

    def with_parameters(self, values):
        """A copy with some parameters changed by path (``{"slow_negative.alpha": -1.2}``).

        Only the arrays that change are copied; structural parameters (time
        constants) are not slots here: change those on the Neuron and compile again.
        """
        from .. import _validate as v

        arrays = {}
        thresholds = self.thresholds
        for path, value in values.items():
            array, index, inverse = self.slot(path)
            value = v.time_constant(path, value, allow_zero=False) if inverse else v.real(path, value)
            if array == "thresholds":
                thresholds = thresholds.copy() if thresholds is self.thresholds else thresholds
                thresholds[index] = value
                continue
            target = arrays.get(array)
            if target is None:
                target = arrays[array] = getattr(self.arrays, array).copy()
            target[index] = 1.0 / value if inverse else value
        return dataclasses.replace(self, arrays=self.arrays._replace(**arrays), thresholds=thresholds)

    def state_index(self, name):
        try:
            return self.state_names.index(name)
        except ValueError:
            from ..errors import ModelError

            raise ModelError(f"unknown state {name!r}; states are: {', '.join(self.state_names)}") from None


class Assembler:
    """Collects states and elements of one or more neurons into kernel arrays."""

    def __init__(self):
        self.st_kind, self.st_rate, self.st_src, self.state_names, self.y0 = [], [], [], [], []
        self.el_base, self.el_tgt, self.el_in, self.el_gain, self.el_off = [], [], [], [], []
        self.gate_ptr, self.gate_in, self.gate_k, self.gate_off = [0], [], [], []
        self.mem_state, self.neuron_names, self.thresholds = [], [], []
        self.slots = {}

    def _state(self, kind, rate, src, name, value):
        self.st_kind.append(kind)
        self.st_rate.append(rate)
        self.st_src.append(src)
        self.state_names.append(name)
        self.y0.append(value)
        return len(self.st_kind) - 1

    def _element(self, base, tgt, inp, gain, off, gates=()):
        self.el_base.append(base)
        self.el_tgt.append(tgt)
        self.el_in.append(inp)
        self.el_gain.append(gain)
        self.el_off.append(off)
        first_gate = len(self.gate_k)
        for k, off_g, gate_in in gates:
            self.gate_in.append(gate_in)
            self.gate_k.append(k)
            self.gate_off.append(off_g)
        self.gate_ptr.append(len(self.gate_k))
        return len(self.el_base) - 1, first_gate

    def add_neuron(self, neuron, prefix=""):
        """Append ``neuron``; parameter paths and state names get ``prefix`` (e.g. ``"n1."``)."""
        index = len(self.neuron_names)
        initial = neuron.initial_values()
        mem = self._state(MEMBRANE, 1.0 / neuron.C, index, prefix + "v", initial["v"])
        self.mem_state.append(mem)
        self.neuron_names.append(neuron.name)
        self.thresholds.append(neuron.threshold)
        self.slots[prefix + "C"] = ("st_rate", mem, True)
        self.slots[prefix + "threshold"] = ("thresholds", index, False)
        filter_state = {0.0: mem}
        for tau, name in neuron.filter_names.items():
            filter_state[tau] = self._state(FILTER, 1.0 / tau, mem, prefix + name, initial[name])

        for el in neuron.elements:
            path = prefix + el.name + "."
            if isinstance(el, Leak):
                e, _ = self._element(OHMIC, mem, mem, el.g, el.e_rev)
                self.slots[path + "g"] = ("el_gain", e, False)
                self.slots[path + "e_rev"] = ("el_off", e, False)
            elif isinstance(el, Current):
                gates = ()
                if el.inactivating:
                    gates = ((el.inactivation_k, el.inactivation_delta, filter_state[el.inactivation_tau]),)
                e, g = self._element(TANH, mem, filter_state[el.tau], el.alpha, el.delta, gates)
                self.slots[path + "alpha"] = ("el_gain", e, False)
                self.slots[path + "delta"] = ("el_off", e, False)
                if el.inactivating:
                    self.slots[path + "inactivation_k"] = ("gate_k", g, False)
                    self.slots[path + "inactivation_delta"] = ("gate_off", g, False)
            elif isinstance(el, Conductance):
                gates = tuple((gate.k, gate.delta, filter_state[gate.tau]) for gate in el.gates)
                e, g = self._element(OHMIC, mem, mem, el.g_max, el.e_rev, gates)
                self.slots[path + "g_max"] = ("el_gain", e, False)
                self.slots[path + "e_rev"] = ("el_off", e, False)
                for i in range(len(el.gates)):
                    self.slots[path + f"gate{i}_k"] = ("gate_k", g + i, False)
                    self.slots[path + f"gate{i}_delta"] = ("gate_off", g + i, False)
            else:  # pragma: no cover - Neuron.add only accepts the kinds above
                raise TypeError(f"unknown element {el!r}")
        return mem

    def build(self):
        ints = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
        floats = lambda xs: np.array(xs, dtype=np.float64)  # noqa: E731
        # Store elements by neuron, then grouped (ungated TANH, ungated OHMIC, gated): kernel loops
        # need no branches and each neuron's current is summed in a register.
        n_gates = np.diff(self.gate_ptr)
        group_of = [0 if (g == 0 and b == TANH) else 1 if g == 0 else 2 for g, b in zip(n_gates, self.el_base)]
        neuron_of = [self.st_src[tgt] for tgt in self.el_tgt]
        order = sorted(range(len(self.el_base)), key=lambda e: (neuron_of[e], group_of[e], e))
        new_index = {old: new for new, old in enumerate(order)}
        gate_ptr, gate_in, gate_k, gate_off = [0], [], [], []
        gate_index = {}
        for e in order:
            for i in range(self.gate_ptr[e], self.gate_ptr[e + 1]):
                gate_index[i] = len(gate_k)
                gate_in.append(self.gate_in[i])
                gate_k.append(self.gate_k[i])
                gate_off.append(self.gate_off[i])
            gate_ptr.append(len(gate_k))
        n_neurons = len(self.mem_state)
        el_group = np.zeros((n_neurons, 4), dtype=np.int64)
        start = 0
        for n in range(n_neurons):
            el_group[n, 0] = start
            for g in range(3):
                start += sum(1 for e in range(len(order)) if neuron_of[e] == n and group_of[e] == g)
                el_group[n, g + 1] = start
        slots = {}
        for path, (array, index, inverse) in self.slots.items():
            if array.startswith("el_"):
                index = new_index[index]
            elif array.startswith("gate_"):
                index = gate_index[index]
            slots[path] = (array, index, inverse)
        arrays = Model(
            st_kind=ints(self.st_kind), st_rate=floats(self.st_rate), st_src=ints(self.st_src),
            filt_state=ints([k for k, kind in enumerate(self.st_kind) if kind == FILTER]),
            el_group=el_group,
            el_base=ints([self.el_base[e] for e in order]), el_tgt=ints([self.el_tgt[e] for e in order]),
            el_in=ints([self.el_in[e] for e in order]), el_gain=floats([self.el_gain[e] for e in order]),
            el_off=floats([self.el_off[e] for e in order]),
            gate_ptr=ints(gate_ptr), gate_in=ints(gate_in), gate_k=floats(gate_k), gate_off=floats(gate_off),
            mem_state=ints(self.mem_state),
        )
        return CompiledModel(
            arrays=arrays, state_names=tuple(self.state_names), neuron_names=tuple(self.neuron_names),
            y0=floats(self.y0), thresholds=floats(self.thresholds), slots=slots,
        )


def compile_neuron(neuron):
    """Kernel arrays of a single :class:`~neuromorph.Neuron`."""
    asm = Assembler()
    asm.add_neuron(neuron)
    return asm.build()


def _stimulus_peaks(stim, n_neurons):
    """Largest |I_app(t)| of each neuron over all time (segments are linear: their ends bound them)."""
    peaks = np.zeros(n_neurons)
    for n in range(n_neurons):
        lo, hi = stim.ptr[n], stim.ptr[n + 1]
        a, b, starts = stim.a[lo:hi], stim.b[lo:hi], stim.t[lo:hi]
        ends = np.append(starts[1:], starts[-1])  # a slope on the last segment would be unbounded: none is
        finite = np.isfinite(starts)
        widths = np.zeros(starts.shape)
        widths[finite] = ends[finite] - starts[finite]
        peaks[n] = np.max(np.abs(a)) + np.max(np.abs(b) * widths)
    return peaks


def runaway_bounds(arrays, thresholds, stim, y, gain=None, off=None, gate_off=None, i_offset=None):
    """Per neuron, the membrane voltage beyond which the state is growing without bound.

    With a net restoring conductance ``G`` (leaks and ungated conductances; gated negative
    ones counted at full strength) every trajectory enters and stays in
    ``|V| <= R + (I_max + A) / G``, where ``A`` bounds the saturating currents (``|alpha|``,
    ``|g E|``), ``I_max`` the applied current and ``R`` the scale of offsets, threshold and
    initial state; the bound is ten times that. Without a restoring conductance no such
    region exists and the bound is ``100 (R + I_max + A)``: far outside where these circuits
    live (a few units), yet met early by a drift or an exponential blow-up, which is then
    reported with its time instead of being called "rest" (or overflowing much later).

    ``gain``, ``off``, ``gate_off`` (rows of elements or gates), ``thresholds``, ``y`` and
    ``i_offset`` (added to each neuron's stimulus) may carry a trailing axis of copies
    (ensembles); the result then has shape ``(n_neurons, n_copies)``.
    """
    gain = arrays.el_gain if gain is None else gain
    off = arrays.el_off if off is None else off
    gate_off = arrays.gate_off if gate_off is None else gate_off
    n_neurons = arrays.mem_state.size
    peaks = _stimulus_peaks(stim, n_neurons)
    if i_offset is not None:
        peaks = np.abs(i_offset) + peaks.reshape((n_neurons,) + (1,) * (i_offset.ndim - 1))
    bounds = []
    for n in range(n_neurons):
        k = arrays.mem_state[n]
        first, last = arrays.el_group[n, 0], arrays.el_group[n, 3]
        g, o = gain[first:last], off[first:last]
        extra = (1,) * (g.ndim - 1)
        ohmic = (arrays.el_base[first:last] == OHMIC).reshape(-1, *extra)
        gated = (np.diff(arrays.gate_ptr[first:last + 1]) > 0).reshape(-1, *extra)
        restoring = np.sum(np.where(ohmic & ~gated, g, 0.0) + np.where(ohmic & gated, np.minimum(g, 0.0), 0.0),
                           axis=0)
        saturating = np.sum(np.where(ohmic, np.abs(g * o), np.abs(g)), axis=0)
        own = np.flatnonzero((arrays.st_src == k) & (arrays.st_kind == FILTER))
        gates = gate_off[arrays.gate_ptr[first]:arrays.gate_ptr[last]]
        scale = np.maximum.reduce([np.ones_like(restoring), np.abs(thresholds[n]), np.abs(y[k]),
                                   np.max(np.abs(y[own]), axis=0, initial=0.0), np.max(np.abs(o), axis=0, initial=0.0),
                                   np.max(np.abs(gates), axis=0, initial=0.0)])
        with np.errstate(divide="ignore", invalid="ignore"):
            bounds.append(np.where(restoring > 0.0, 10.0 * (scale + (peaks[n] + saturating) / restoring),
                                   100.0 * (scale + peaks[n] + saturating)))
    return np.array(bounds, dtype=np.float64)
