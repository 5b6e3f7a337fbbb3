"""Circuit files: neurons as TOML (``circuits/*.toml``), read strictly and written exactly.

Layout::

    format = "neuromorph/1"
    name = "bursting"
    description = "..."

    [neuron]            # C (default 1), v0 (default 0), threshold (default 0)
    C = 1.0
    v0 = -1.9

    [initial]           # optional: filter states by name; others start at v0
    slow = -1.8

    [[elements]]        # kind = "leak" | "current" | "conductance", then its fields
    kind = "current"
    name = "fast_negative"
    alpha = -2.0
    delta = 0.0
    tau = 0.0

    [[elements.gates]]  # only under a conductance: k, delta, tau
    ...

    [simulation]        # optional suggested protocol: t_end, i_app, t_transient
    t_end = 10000.0
    i_app = -2.0
    [[simulation.stimulus]]   # extra stimulus pieces added to i_app
    kind = "pulse"
    start = 6667.0
    stop = 13333.0
    amplitude = -0.5

Unknown keys, missing required keys and wrong types are errors that name the
file and the place. Floats are written with ``repr``, so ``load(save(n)) == n``
bit for bit. Files are written atomically; :func:`save` onto a symbolic link
writes through it (the target changes, the link stays). Comments and layout of
a hand-written file are not preserved by :func:`save`: it writes the neuron
anew (keep hand-written files under version control, or save to a new name).
"""

import math
import os
import tomllib
from pathlib import Path

from ..errors import CircuitFileError, ModelError, StimulusError
from ..model.elements import Conductance, Current, Gate, Leak
from ..model.neuron import Neuron
from ..model.stimulus import Constant, Protocol, Sum, from_dicts
from .files import atomic_write

__all__ = ["load", "loads", "save", "dumps", "preset", "presets", "circuits_dir", "FORMAT"]

FORMAT = "neuromorph/1"
_TOP = {"format", "name", "description", "neuron", "initial", "elements", "simulation"}
_NEURON = {"C", "v0", "threshold"}
_SIMULATION = {"t_end", "i_app", "t_transient", "stimulus"}
_FIELDS = {
    "leak": ({"name", "g", "e_rev"}, set()),
    "current": ({"name", "alpha", "delta", "tau", "inactivation_delta", "inactivation_tau", "inactivation_k"},
                {"alpha", "delta"}),
    "conductance": ({"name", "g_max", "e_rev", "gates"}, {"g_max", "e_rev"}),
}
_GATE = ({"k", "delta", "tau"}, {"k", "delta"})
_CLASSES = {"leak": Leak, "current": Current, "conductance": Conductance}


def _check_keys(table, allowed, required, where, source):
    if not isinstance(table, dict):
        raise CircuitFileError(f"{source}: {where} must be a table, got {table!r}")
    for key in table:
        if key not in allowed:
            raise CircuitFileError(f"{source}: unknown key {key!r} in {where}; allowed: {', '.join(sorted(allowed))}")
    for key in sorted(required):
        if key not in table:
            raise CircuitFileError(f"{source}: missing key {key!r} in {where}")


def _element(item, i, source):
    where = f"elements[{i}]"
    if not isinstance(item, dict) or "kind" not in item:
        raise CircuitFileError(f"{source}: {where} needs a `kind` ({', '.join(_FIELDS)})")
    kind = item["kind"]
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise CircuitFileError(f"{source}: {where}: unknown element kind {kind!r}; known kinds: {', '.join(_FIELDS)}")
    allowed, required = _FIELDS[kind]
    fields = {k: val for k, val in item.items() if k != "kind"}
    _check_keys(fields, allowed, required, f"{where} ({kind})", source)
    try:
        if kind == "conductance":
            gates = fields.pop("gates", [])
            if not isinstance(gates, list):
                raise CircuitFileError(f"{source}: {where}.gates must be an array of tables")
            built = []
            for j, gate in enumerate(gates):
                _check_keys(gate, *_GATE, f"{where}.gates[{j}]", source)
                built.append(Gate(**gate))
            fields["gates"] = tuple(built)
        return _CLASSES[kind](**fields)
    except CircuitFileError:
        raise
    except ModelError as exc:
        raise CircuitFileError(f"{source}: {where} ({kind}): {exc}") from None


def loads(text, source="<string>"):
    """Neuron from TOML text. ``source`` names the origin in error messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CircuitFileError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise CircuitFileError(f"{source}: not a circuit file: its tables or arrays are nested too deeply") from None
    _check_keys(doc, _TOP, {"elements"}, "the top level", source)
    fmt = doc.get("format", FORMAT)
    if fmt != FORMAT:
        raise CircuitFileError(f"{source}: unsupported format {fmt!r}; this version reads {FORMAT!r}")
    head = doc.get("neuron", {})
    _check_keys(head, _NEURON, set(), "[neuron]", source)
    for key in ("name", "description"):
        if key in doc and not isinstance(doc[key], str):
            raise CircuitFileError(f"{source}: `{key}` must be a string, got {doc[key]!r}")
    try:
        neuron = Neuron(name=doc.get("name", "neuron"), description=doc.get("description", ""), **head)
    except ModelError as exc:
        raise CircuitFileError(f"{source}: [neuron]: {exc}") from None
    elements = doc["elements"]
    if not isinstance(elements, list):
        raise CircuitFileError(f"{source}: `elements` must be an array of tables ([[elements]])")
    for i, item in enumerate(elements):
        try:
            neuron.add(_element(item, i, source))
        except CircuitFileError:
            raise
        except ModelError as exc:
            raise CircuitFileError(f"{source}: elements[{i}]: {exc}") from None
    initial = doc.get("initial", {})
    if not isinstance(initial, dict):
        raise CircuitFileError(f"{source}: [initial] must be a table of state names")
    try:
        neuron.set_initial(**initial)
    except ModelError as exc:
        raise CircuitFileError(f"{source}: [initial]: {exc}") from None
    if "simulation" in doc:
        neuron.protocol = _protocol(doc["simulation"], source)
    return neuron


def _protocol(table, source):
    _check_keys(table, _SIMULATION, {"t_end"}, "[simulation]", source)
    pieces = table.get("stimulus", [])
    if not isinstance(pieces, list):
        raise CircuitFileError(f"{source}: simulation.stimulus must be an array of tables ([[simulation.stimulus]])")
    try:
        extra = from_dicts(pieces, where=f"{source}: simulation.stimulus") if pieces else None
        i_app = Constant(table.get("i_app", 0.0))
        stim = i_app if extra is None else Sum(i_app, extra)
        return Protocol(table["t_end"], stim, table.get("t_transient"))
    except CircuitFileError:  # already names the file and the place
        raise
    except (ModelError, StimulusError) as exc:
        raise CircuitFileError(f"{source}: [simulation]: {exc}") from None


def load(path):
    """Read a neuron from a circuit file (``circuits/bursting.toml``).

    Examples
    --------
    >>> import neuromorph as nm
    >>> n = nm.load(nm.circuits_dir() / "bursting.toml")
    >>> n.element_names
    ('leak', 'fast_negative', 'slow_positive', 'slow_negative', 'ultraslow_positive')
    """
    path = _as_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CircuitFileError(f"circuit file {str(path)!r} does not exist") from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise CircuitFileError(f"cannot read circuit file {str(path)!r}: {exc}") from None
    return loads(text, source=str(path))


# -- writing -----------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):  # validated specs never hold these
            raise ValueError(f"cannot write non-finite float {value!r}")
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_ESCAPES.get(ch, ch) if ch in _ESCAPES or ch >= " " and ch != "\x7f"
                             else f"\\u{ord(ch):04x}" for ch in value) + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def _table_lines(table):
    return [f"{key} = {_toml_value(val)}" for key, val in table.items()]


def dumps(neuron):
    """TOML text of a neuron (inverse of :func:`loads`)."""
    from .._validate import text

    lines = [f"format = {_toml_value(FORMAT)}", f"name = {_toml_value(neuron.name)}"]
    if neuron.description:
        lines.append(f"description = {_toml_value(text('description', neuron.description))}")
    lines += ["", "[neuron]"] + _table_lines({"C": neuron.C, "v0": neuron.v0, "threshold": neuron.threshold})
    initial = neuron.initial_overrides()  # filters not listed follow v0, as in the neuron
    if initial:
        lines += ["", "[initial]"] + _table_lines(initial)
    for el in neuron.elements:
        lines += ["", "[[elements]]", f"kind = {_toml_value(el.kind)}", f"name = {_toml_value(el.name)}"]
        if isinstance(el, Conductance):
            lines += _table_lines({"g_max": el.g_max, "e_rev": el.e_rev})
            for gate in el.gates:
                lines += ["", "[[elements.gates]]"] + _table_lines({"k": gate.k, "delta": gate.delta, "tau": gate.tau})
        else:
            lines += _table_lines(el.parameters())
    protocol = neuron.protocol
    if protocol is not None:
        terms = protocol.i_app.terms()
        constant = sum(t.value for t in terms if isinstance(t, Constant))
        others = [t for t in terms if not isinstance(t, Constant)]
        table = {"t_end": protocol.t_end, "i_app": float(constant)}
        if protocol.t_transient is not None:
            table["t_transient"] = protocol.t_transient
        lines += ["", "[simulation]"] + _table_lines(table)
        for piece in others:
            lines += ["", "[[simulation.stimulus]]"] + _table_lines(piece._to_dict())
    return "\n".join(lines) + "\n"


def save(neuron, path):
    """Write a neuron to a circuit file, atomically (a complete file or none).

    A ``path`` that is a symbolic link is written through: its target is replaced and the
    link stays. Comments in an existing file at ``path`` are not kept: the file is written anew.
    """
    if not isinstance(neuron, Neuron):
        raise ModelError(f"expected a Neuron, got {neuron!r}")
    text = dumps(neuron)
    atomic_write(_as_path(path), lambda f: f.write(text))


# -- presets -----------------------------------------------------------------

def _as_path(path):
    if not isinstance(path, str | os.PathLike):
        raise CircuitFileError(f"a circuit file path must be a str or os.PathLike, got {path!r}")
    return Path(path)


def circuits_dir():
    """Folder of the preset circuit files (inside the installed package, or the source tree's ``circuits/``)."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "circuits", package.parent / "circuits"):
        if candidate.is_dir():
            return candidate
    raise CircuitFileError("the preset folder 'circuits/' was not found next to the package")


ALIASES = {
    "tonic": "tonic_spiking",
    "rebound": "post_inhibitory_rebound",
    "pir": "post_inhibitory_rebound",
    "hib": "hyperpolarisation_induced_bursting",
    "switch": "bistable_switch",
}


def presets():
    """Names of the preset circuits (file stems in :func:`circuits_dir`)."""
    return tuple(sorted(p.stem for p in circuits_dir().glob("*.toml")))


def preset(name):
    """Load a preset circuit by name (``"bursting"``, ``"tonic_spiking"``, ...) or alias (``"tonic"``).

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.preset("bursting").protocol.t_end
    10000.0
    """
    if not isinstance(name, str):
        raise CircuitFileError(f"preset name must be a string, got {name!r}")
    stem = ALIASES.get(name, name)
    if stem not in presets():  # names only: reading an arbitrary path is load()'s job
        hint = "; to read a circuit file use nm.load(path)" if "/" in name or name.endswith(".toml") else ""
        raise CircuitFileError(f"unknown preset {name!r}; presets: {', '.join(presets())} "
                               f"(aliases: {', '.join(ALIASES)}){hint}")
    return load(circuits_dir() / f"{stem}.toml")
