"""SPICE netlists of neurons and networks.

Behavioural level: the model itself, one capacitor per state and behavioural current sources.
A state ``k`` with rate ``r_k`` (``1/C`` for a membrane, ``1/tau`` for a filter) is a node with a
capacitor ``time_unit / r_k`` to ground, so ``C dV/dt = I`` holds with time in units of
``time_unit`` seconds, voltages in volts and currents in amperes (the model is dimensionless:
one unit of each). Into a membrane flow its applied current (a DC or PWL current source) and,
out of it, one behavioural source per element, whose formula is the element kind's own
``current`` equation evaluated on node voltages (:class:`~neuromorph.model.kinds.Expr`): the
equations are written once, in :mod:`neuromorph.model.kinds`. A filter node is charged by
``V(source) - V(filter)``.

Node names are the state names with ``.`` as ``_`` (``n1.v`` is node ``n1_v``); every node is
saved (``.save``), and ``.ic`` sets the initial state (``uic``).

Nothing a user names can add a line or a command to a deck: node and device names are letters,
digits and ``_`` (ngspice ignores case, so two names differing only in case are refused for nodes
and told apart by a suffix for devices), titles are escaped into one comment line, file names are
quoted (:func:`control_path`, :func:`include_path`) or refused, and :meth:`SpiceNetlist.text`
checks that every line it writes is one printable line.
"""

import os
import re
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from .._kernels.layout import FILTER
from ..errors import ModelError, OutputError, StimulusError
from ..model.kinds import Expr, formula
from ..model.stimulus import Constant, as_stimulus, compile_stimuli

__all__ = ["SpiceNetlist", "behavioural_netlist", "node_name", "input_state", "prepare", "comment", "title_line",
           "control_path", "include_path", "spice_number", "pwl_points"]

_CONTROL_SPECIAL = "'$`;{}!"
"""Characters ngspice's command language acts on even inside single quotes (tested on ngspice 39): ``$``
substitutes a variable, a backquote runs a shell command, ``;`` ends a command, ``{ }`` expand, ``!``
recalls history, ``'`` ends the quoted word."""


def node_name(state):
    """SPICE node of a state name: ``n1.v`` -> ``n1_v``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", state)


def comment(text, limit=None):
    """``text`` as the body of one comment line: printable ASCII, every other character (line breaks of
    any kind, non-ASCII letters, backslashes) escaped as in a Python string; at most ``limit`` characters."""
    text = str(text).encode("unicode_escape").decode("ascii")
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."


def title_line(title):
    """A deck's first line, its title: ngspice cuts that line (only that one) after ~5000 characters and reads
    the rest as a line of its own, so a long title is shortened as well as escaped."""
    return "* " + comment(title, limit=200)


def control_path(path, label, shown=None):
    """``path`` made absolute and single-quoted: one word of ngspice's command language (a ``.control``
    block), which runs from the user's working folder, not the deck's.

    Refuses, with an :class:`~neuromorph.errors.OutputError` naming ``label`` and ``shown`` (default
    ``path``), a name holding a character that ngspice acts on inside quotes (``' $ ` ; { } !``) or
    that is not printable (line breaks of any kind, tabs, other control or invisible characters).
    """
    text = os.path.abspath(os.fsdecode(path))
    shown = path if shown is None else shown
    for ch in text:
        if ch in _CONTROL_SPECIAL or not ch.isprintable():
            where = "" if ch in os.fsdecode(shown) else f" (in its folder {os.path.dirname(text)!r})"
            raise OutputError(f"{label} {os.fsdecode(shown)!r}: ngspice's .control block cannot take {ch!r} in a "
                              f"file name{where}; use a name without quotes, $, `, ;, {{ }}, ! or control characters")
    return f"'{text}'"


def include_path(path):
    """``.include "path"``: the library's absolute path, double-quoted (a ``ModelError`` for one ngspice
    cannot read there: a double quote or a character that is not printable)."""
    text = os.path.abspath(os.fsdecode(path))
    bad = [ch for ch in text if ch == '"' or not ch.isprintable()]
    if bad:
        raise ModelError(f"the SPICE cell library {text!r} lies in a folder whose name holds {bad[0]!r}, which a "
                         ".include card cannot take: install neuromorph elsewhere")
    return f'.include "{text}"'


def _device(line):
    """The device name a netlist line defines (None for a card, comment or continuation)."""
    return None if not line or line[0] in ".*+" else line.split(None, 1)[0]


def _unique_devices(lines):
    """``lines`` with every device name unique as ngspice compares them (ignoring case): a later device
    whose name is taken (an element called ``slow`` next to the ``slow`` filter's device) gets ``_2``, ``_3``."""
    taken, out = set(), []
    for line in lines:
        name = _device(line)
        if name is not None:
            unique, k = name, 1
            while unique.lower() in taken:
                k += 1
                unique = f"{name}_{k}"
            taken.add(unique.lower())
            line = unique + line[len(name):]
        out.append(line)
    return out


def check_lines(lines):
    """Raise a ``ModelError`` unless every line is one printable line that continues no other (no ``+``
    at its start): what keeps any name or path from adding a line or a command to a deck."""
    for i, line in enumerate(lines):
        if not line.isprintable() or line.startswith("+"):
            bad = next((ch for ch in line if not ch.isprintable()), "+")
            raise ModelError(f"netlist line {i + 1} holds {bad!r}, which ngspice would read as a new or continued "
                             f"line: {line[:80]!r}")
    return lines


def spice_number(x):
    """``x`` as a number in a netlist: Python's shortest exact form of the float."""
    return repr(float(x))


@dataclass
class SpiceNetlist:
    """A netlist as text lines, with what is needed to run it and read it back.

    Attributes
    ----------
    title : str
    lines : list of str
        Devices and sources (no analysis, no ``.end``).
    state_names : tuple of str
        The model's states, in its order; ``nodes[i]`` is the node of state ``i``.
    nodes : tuple of str
    membranes : tuple of int
        State index of each neuron's membrane (``neuron_names`` order).
    neuron_names : tuple of str
    thresholds : ndarray
    hysteresis : ndarray
        Each neuron's spike hysteresis, in model volts (see :func:`neuromorph.analysis.spikes.spike_times`).
    y0 : ndarray
        Initial state.
    time_unit : float
        Seconds per model time unit.
    options : dict
        ``.options`` of the simulation (tolerances).
    v_offset, v_scale : float
        Node volts are ``v_offset + v_scale * model volts`` (0 and 1 at the behavioural level; the
        thresholds and ``y0`` here are in node volts).
    uic : bool
        Start the transient from ``.ic`` alone (True), or from the operating point with the ``.ic``
        nodes held (False: transistor level, whose internal nodes need a consistent start).
    mapping, rows
        The unit mapping and its per-device rows (transistor level).
    bounds : ndarray
        Per neuron, the membrane voltage (model units) beyond which the run is diverging: the numba
        engine's rule (:func:`~neuromorph.lower.compile.runaway_bounds`).
    circuit_range, restoring : ndarray or None
        Transistor level: per neuron, the membrane voltage (model units) beyond which the circuit no
        longer follows the model, and the model's net restoring conductance (see
        :mod:`neuromorph.spice.transistor`, "Range").
    """

    title: str
    lines: list
    state_names: tuple
    nodes: tuple
    membranes: tuple
    neuron_names: tuple
    thresholds: np.ndarray
    y0: np.ndarray
    time_unit: float
    options: dict = field(default_factory=dict)
    v_offset: float = 0.0
    v_scale: float = 1.0
    uic: bool = True
    mapping: object = None
    rows: list = field(default_factory=list)
    hysteresis: np.ndarray = None
    bounds: np.ndarray = None
    circuit_range: np.ndarray = None
    restoring: np.ndarray = None

    def __post_init__(self):
        self.lines = _unique_devices(self.lines)

    def text(self, t_end, max_step, control=None):
        """The whole deck: devices, ``.ic``, ``.options``, ``.save``, ``.tran`` to ``t_end`` (model units)
        with steps of at most ``max_step``, an optional ``.control`` block, ``.end``."""
        tu = self.time_unit
        if self.v_scale == 1.0 and self.v_offset == 0.0:
            units = f"one model time unit = {tu:g} s, voltages in V, currents in A (the model's units)"
        else:
            units = (f"node volts = {self.v_offset:g} + {self.v_scale:.6g} x model volts, one model time unit = "
                     f"{tu:.6g} s")
        out = [title_line(self.title), f"* written by neuromorph: {units}", *self.lines]
        out.append(".ic " + " ".join(f"V({n})={spice_number(y)}" for n, y in zip(self.nodes, self.y0)))
        if self.options:
            out.append(".options " + " ".join(f"{k}={val}" for k, val in self.options.items()))
        out.append(".save time " + " ".join(f"V({n})" for n in self.nodes))
        out.append(f".tran {spice_number(max_step * tu)} {spice_number(t_end * tu)} 0 {spice_number(max_step * tu)}"
                   + (" uic" if self.uic else ""))
        if control:
            out += [".control", *control, ".endc"]
        out.append(".end")
        return "\n".join(check_lines(out)) + "\n"


def _parts(model):
    """``[(prefix, neuron, i_app, stimulus)]`` and ``[(name, element, ends)]`` of a Neuron or Network."""
    from ..model.network import Network
    from ..model.neuron import Neuron

    if isinstance(model, Network):
        nodes = [(f"{name}.", node.neuron, node.i_app, node.stimulus) for name, node in model.nodes.items()]
        return nodes, [(name, c.element, c.ends) for name, c in model.connections.items()]
    if isinstance(model, Neuron):
        return [("", model, 0.0, None)], []
    raise ModelError(f"SPICE export needs a Neuron or a Network, got {model!r}")


def pwl_points(stimulus, t_end, time_unit, label):
    """PWL points ``t v`` (seconds, amperes) of a piecewise-linear stimulus up to ``t_end``."""
    stim = compile_stimuli([stimulus], horizon=t_end)
    starts, a, b = stim.t, stim.a, stim.b
    jumps = set(stim.jumps.tolist())  # the discontinuities compile_stimuli found
    start_value, end_value = stimulus(np.array([0.0, t_end]))
    times, values = [0.0], [float(start_value)]
    eps = 1e-9 * max(t_end, 1.0)
    for i in range(1, starts.size):
        t0 = float(starts[i])
        if t0 <= 0.0 or t0 >= t_end:
            continue
        if t0 in jumps:  # two points a hair apart: the left limit, then the new value
            times.append(t0 - eps)
            values.append(float(a[i - 1] + (b[i - 1] * (t0 - starts[i - 1]) if i > 1 else 0.0)))
        times.append(t0)
        values.append(float(a[i]))
    times.append(t_end)
    values.append(float(end_value))
    if len(times) > 200_000:
        raise StimulusError(f"{label}: {len(times)} PWL points are too many for a netlist (at most 200000)")
    return " ".join(f"{spice_number(t * time_unit)} {spice_number(val)}" for t, val in zip(times, values))


def input_state(compiled, neuron, tau):
    """State index of ``neuron``'s voltage filtered with ``tau`` (its membrane for 0)."""
    a = compiled.arrays
    mem = a.mem_state[neuron]
    if tau == 0.0:
        return mem
    for k in range(a.st_kind.size):
        if a.st_kind[k] == FILTER and a.st_src[k] == mem and abs(a.st_rate[k] * tau - 1.0) < 1e-12:
            return k
    raise ModelError(f"no filter with tau = {tau:g} on neuron {compiled.neuron_names[neuron]!r}")


def prepare(model, i_app, y0):
    """What every level needs: ``(parts, connections, compiled, nodes, i_bias, stimuli, y0)``."""
    from ..lower.problem import applied_currents

    parts, connections = _parts(model)
    compiled = model.compile()
    nodes = tuple(node_name(s) for s in compiled.state_names)
    seen = {}
    for state, node in zip(compiled.state_names, nodes):
        other = seen.setdefault(node.lower(), state)  # ngspice ignores case in node names
        if other != state:
            raise ModelError(f"states {other!r} and {state!r} would be one SPICE node, {node!r} (node names keep "
                             "letters, digits and _, and ngspice ignores case): rename a neuron")
    bias, stimuli = applied_currents(compiled, i_app)
    y = compiled.y0 if y0 is None else v.real_array("y0", y0, 1)
    if y.shape != compiled.y0.shape:
        raise ModelError(f"`y0` must have {compiled.y0.size} values ({', '.join(compiled.state_names)})")
    return parts, connections, compiled, nodes, bias, stimuli, np.array(y, dtype=np.float64)


def runaway(compiled, bias, stimuli, y, t_end):
    """Per neuron, the membrane voltage beyond which a run from ``y`` is diverging (model units): the
    rule the numba engine applies, :func:`~neuromorph.lower.compile.runaway_bounds`."""
    from ..lower.compile import runaway_bounds

    stim = compile_stimuli(stimuli, horizon=t_end)
    return runaway_bounds(compiled.arrays, stim, y, compiled.bound_parts, i_bias=bias)


def behavioural_netlist(model, i_app=None, t_end=None, time_unit=1e-3, y0=None, title=None):
    """The behavioural netlist of a Neuron or Network (see the module notes).

    ``i_app`` as for :func:`neuromorph.simulate` (a number or Stimulus for every neuron, a dict by
    node); a time-varying stimulus becomes a PWL source and needs ``t_end``.
    """
    time_unit = v.positive("time_unit", time_unit)
    parts, connections, compiled, nodes, bias, stimuli, y = prepare(model, i_app, y0)
    arrays = compiled.arrays

    def state_of(neuron, tau):
        return input_state(compiled, neuron, tau)

    lines = []
    for k, name in enumerate(compiled.state_names):
        lines.append(f"C_{nodes[k]} {nodes[k]} 0 {spice_number(time_unit / arrays.st_rate[k])}")
        if arrays.st_kind[k] == FILTER:
            lines.append(f"B_{nodes[k]} 0 {nodes[k]} I=V({nodes[arrays.st_src[k]]})-V({nodes[k]})")
    index = {prefix: i for i, (prefix, *_rest) in enumerate(parts)}
    for i, (prefix, neuron, _own_i, _own_stim) in enumerate(parts):
        mem = nodes[arrays.mem_state[i]]
        if bias[i] != 0.0:
            lines.append(f"I_app_{mem} 0 {mem} DC {spice_number(bias[i])}")
        stim = as_stimulus(stimuli[i])
        if not (isinstance(stim, Constant) and stim.value == 0.0):
            if t_end is None:
                raise StimulusError("a time-varying applied current needs `t_end` for its PWL source")
            lines.append(f"I_stim_{mem} 0 {mem} PWL({pwl_points(stim, t_end, time_unit, 'i_app')})")
        for el in neuron.elements:
            values = {inp.role: Expr(f"V({nodes[state_of(i, inp.tau)]})") for inp in el.inputs()}
            current = formula(el.current(**values)["self"])
            lines.append(f"B_{node_name(prefix + el.name)} {mem} 0 I={current}")
    for name, element, ends in connections:
        who = {role: index[f"{node}."] for role, node in ends.items()}
        values = {inp.role: Expr(f"V({nodes[state_of(who[inp.neuron], inp.tau)]})") for inp in element.inputs()}
        for target, current in element.current(**values).items():
            mem = nodes[arrays.mem_state[who[target]]]
            lines.append(f"B_{node_name(name)}_{target} {mem} 0 I={formula(current)}")
    membranes = tuple(int(k) for k in arrays.mem_state)
    return SpiceNetlist(title=title or f"neuromorph {getattr(model, 'name', 'model')} (behavioural)", lines=lines,
                        state_names=tuple(compiled.state_names), nodes=nodes, membranes=membranes,
                        neuron_names=tuple(compiled.neuron_names), thresholds=np.array(arrays.thresholds),
                        hysteresis=np.array(arrays.hysteresis),
                        y0=np.array(y, dtype=np.float64), time_unit=time_unit,
                        bounds=None if t_end is None else runaway(compiled, bias, stimuli, y, t_end),
                        options={"reltol": "1e-6", "abstol": "1e-12", "vntol": "1e-9", "method": "gear",
                                 "maxord": "2"})
