"""Circuit files: neurons and networks as TOML (``circuits/*.toml``), read strictly and written exactly.

A neuron::

    format = "neuromorph/1"
    name = "bursting"
    description = "..."

    [neuron]            # C (default 1), v0 (default 0), threshold (default 0), hysteresis (default 0.5)
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

A network::

    format = "neuromorph-network/1"
    name = "hco"

    [nodes.n1]
    neuron = "bursting"  # a preset name; or file = "my_neuron.toml" (relative to this file);
    i_app = -2.0         # or inline: [nodes.n1.neuron] (C, v0, threshold) and [[nodes.n1.elements]]
    [nodes.n1.initial]   # optional: v and filter states
    v = -2.5
    [[nodes.n1.stimulus]]  # optional time-varying pieces, as [[simulation.stimulus]]

    [[connections]]      # kind = "current_synapse" | "conductance_synapse" | "gap_junction" (or current, conductance, gap)
    kind = "current_synapse"
    pre = "n1"           # a gap junction names its ends a and b
    post = "n2"
    g = 0.2

    [simulation]         # optional: t_end, t_transient

Element and interconnection tables follow the element kinds' own fields (the registry of
:mod:`neuromorph.model.kinds`). Unknown keys, missing required keys and wrong types are
errors that name the file and the place. Floats are written with ``repr``, so
``load(save(x)) == x`` bit for bit (networks are written with every neuron inline). Files
are written atomically; :func:`save` onto a symbolic link writes through it (the target
changes, the link stays). Comments and layout of a hand-written file are not preserved by
:func:`save`: it writes the circuit anew (keep hand-written files under version control, or
save to a new name).
"""

import math
import os
import threading
import tomllib
from pathlib import Path

from ..errors import CircuitFileError, ModelError, StimulusError
from ..model.elements import CONNECTION_KINDS, NEURON_KINDS
from ..model.network import SHORT_KINDS, Network
from ..model.neuron import DEFAULT_HYSTERESIS, Neuron
from ..model.stimulus import Constant, Protocol, Sum, from_dicts
from .files import atomic_write

__all__ = ["load", "loads", "save", "dumps", "preset", "preset_file", "presets", "as_model", "circuits_dir",
           "input_files", "FORMAT", "NETWORK_FORMAT"]

FORMAT = "neuromorph/1"
NETWORK_FORMAT = "neuromorph-network/1"
_TOP = {"format", "name", "description", "neuron", "initial", "elements", "simulation"}
_NETWORK_TOP = {"format", "name", "description", "nodes", "connections", "simulation"}
_NODE = {"neuron", "file", "description", "elements", "initial", "i_app", "stimulus"}
_NEURON = {"C", "v0", "threshold", "hysteresis"}
_SIMULATION = {"t_end", "i_app", "t_transient", "stimulus"}
_NETWORK_SIMULATION = {"t_end", "t_transient"}


def _check_keys(table, allowed, required, where, source):
    if not isinstance(table, dict):
        raise CircuitFileError(f"{source}: {where} must be a table, got {table!r}")
    for key in table:
        if key not in allowed:
            raise CircuitFileError(f"{source}: unknown key {key!r} in {where}; allowed: {', '.join(sorted(allowed))}")
    for key in sorted(required):
        if key not in table:
            raise CircuitFileError(f"{source}: missing key {key!r} in {where}")


def _kind_of(item, where, source, kinds, extra=(), what="element"):
    """The registered class of a ``kind = ...`` table, and its fields (``extra`` keys aside)."""
    if not isinstance(item, dict) or "kind" not in item:
        raise CircuitFileError(f"{source}: {where} needs a `kind` ({', '.join(kinds)})")
    kind = item["kind"]
    if not isinstance(kind, str) or kind not in kinds:
        raise CircuitFileError(f"{source}: {where}: unknown {what} kind {kind!r}; known kinds: {', '.join(kinds)}")
    cls = kinds[kind]
    allowed, required = cls.fields()
    fields = {k: val for k, val in item.items() if k not in ("kind", *extra)}
    _check_keys(fields, allowed, required, f"{where} ({kind})", source)
    return cls, fields


def _element(item, where, source):
    cls, fields = _kind_of(item, where, source, NEURON_KINDS)
    try:
        return cls.from_table(fields, where)
    except ModelError as exc:
        raise CircuitFileError(f"{source}: {where} ({cls.kind}): {exc}") from None
    except TypeError as exc:  # a value of the wrong type that the constructor could not take
        raise CircuitFileError(f"{source}: {where} ({cls.kind}): {exc}") from None


def _parse(text, source):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CircuitFileError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise CircuitFileError(f"{source}: not a circuit file: its tables or arrays are nested too deeply") from None


def _strings(doc, keys, source, where=""):
    for key in keys:
        if key in doc and not isinstance(doc[key], str):
            raise CircuitFileError(f"{source}: {where}`{key}` must be a string, got {doc[key]!r}")


def _neuron(doc, source, where, name):
    """A neuron from the keys ``neuron`` (C, v0, threshold, hysteresis), ``initial``, ``elements``, ``description``."""
    label = (lambda key: f"{where}.{key}") if where else (lambda key: f"[{key}]")
    head = doc.get("neuron", {})
    _check_keys(head, _NEURON, set(), label("neuron"), source)
    try:
        neuron = Neuron(name=name, description=doc.get("description", ""), **head)
    except ModelError as exc:
        raise CircuitFileError(f"{source}: {label('neuron')}: {exc}") from None
    elements = doc.get("elements")
    if not isinstance(elements, list):
        raise CircuitFileError(f"{source}: `{where + '.' if where else ''}elements` must be an array of tables "
                               f"([[{where + '.' if where else ''}elements]])")
    for i, item in enumerate(elements):
        place = f"{where + '.' if where else ''}elements[{i}]"
        try:
            neuron.add(_element(item, place, source))
        except CircuitFileError:
            raise
        except ModelError as exc:
            raise CircuitFileError(f"{source}: {place}: {exc}") from None
    _initial(neuron, doc.get("initial", {}), source, label("initial"))
    return neuron


def _initial(neuron, initial, source, where):
    if not isinstance(initial, dict):
        raise CircuitFileError(f"{source}: {where} must be a table of state names")
    try:
        neuron.set_initial(**initial)
    except ModelError as exc:
        raise CircuitFileError(f"{source}: {where}: {exc}") from None


def loads(text, source="<string>", folder=None):
    """A Neuron or a Network from TOML text. ``source`` names the origin in error messages;
    ``folder`` is where a network's ``file = ...`` nodes are looked up (default: the working folder).

    Parameters
    ----------
    text : str
        The circuit in the format of the module notes (``format = "neuromorph/1"`` for a neuron,
        ``"neuromorph-network/1"`` for a network; without ``format``, a text with ``[nodes]`` is a
        network).
    source : str, default "<string>"
        Name of the text's origin, the first word of every error message.
    folder : str or os.PathLike, optional
        Folder of a network's ``file = ...`` nodes (default: the working folder).

    Returns
    -------
    Neuron or Network

    Raises
    ------
    CircuitFileError
        If ``text`` is not a str, or is invalid TOML, an unsupported ``format``, an unknown
        or missing key, a value of the wrong type or one the model refuses (the message names the
        place); or if a network's node names a preset or file that cannot
        be read.

    Examples
    --------
    >>> import neuromorph as nm
    >>> text = '''
    ... format = "neuromorph/1"
    ... name = "passive"
    ...
    ... [[elements]]
    ... kind = "leak"
    ... g = 0.5
    ... '''
    >>> n = nm.loads(text)
    >>> n.name, n.element_names
    ('passive', ('leak',))
    >>> nm.loads('name = "passive"', source="passive.toml")
    Traceback (most recent call last):
    ...
    neuromorph.errors.CircuitFileError: passive.toml: missing key 'elements' in the top level
    """
    if not isinstance(text, str):
        raise CircuitFileError(f"{source}: a circuit file's text must be a str, got {type(text).__name__} "
                               f"{text!r:.60}" + (" (read a file with nm.load(path))" if isinstance(text, os.PathLike)
                                                 else ""))
    doc = _parse(text, source)
    if not isinstance(doc, dict):  # pragma: no cover - tomllib always gives a table
        raise CircuitFileError(f"{source}: not a circuit file")
    fmt = doc.get("format", NETWORK_FORMAT if "nodes" in doc else FORMAT)
    if fmt == NETWORK_FORMAT:
        return _network(doc, source, Path(folder) if folder is not None else Path("."))
    if fmt != FORMAT:
        raise CircuitFileError(f"{source}: unsupported format {fmt!r}; this version reads {FORMAT!r} (a neuron) "
                               f"and {NETWORK_FORMAT!r} (a network)")
    _check_keys(doc, _TOP, {"elements"}, "the top level", source)
    _strings(doc, ("name", "description"), source)
    neuron = _neuron(doc, source, "", doc.get("name", "neuron"))
    if "simulation" in doc:
        neuron.protocol = _protocol(doc["simulation"], source, _SIMULATION)
    return neuron


def _network(doc, source, folder):
    _check_keys(doc, _NETWORK_TOP, {"nodes"}, "the top level", source)
    _strings(doc, ("name", "description"), source)
    try:
        net = Network(name=doc.get("name", "network"), description=doc.get("description", ""))
    except ModelError as exc:
        raise CircuitFileError(f"{source}: {exc}") from None
    nodes = doc["nodes"]
    if not isinstance(nodes, dict) or not nodes:
        raise CircuitFileError(f"{source}: [nodes] must hold one table per neuron ([nodes.NAME])")
    for name, table in nodes.items():
        where = f"nodes.{name if name.isidentifier() else repr(name)}"  # a bad name stays on the error's one line
        _check_keys(table, _NODE, set(), f"[{where}]", source)
        _strings(table, ("file", "description"), source, f"{where}.")
        sources = [k for k in ("file", "elements") if k in table] + (
            ["neuron"] if isinstance(table.get("neuron"), str) else [])
        if len(sources) != 1:
            raise CircuitFileError(f"{source}: [{where}] needs exactly one neuron: `neuron = \"PRESET\"`, "
                                   "`file = \"path.toml\"`, or inline [" + where + ".neuron] and [[" + where
                                   + ".elements]]")
        try:
            if "file" in table:
                try:
                    neuron = load(folder / table["file"])
                except CircuitFileError as exc:
                    raise CircuitFileError(f"{source}: [{where}] file = {table['file']!r}: {exc}") from None
                if not isinstance(neuron, Neuron):
                    raise CircuitFileError(f"{source}: [{where}]: {table['file']!r} is a network, not a neuron")
                _initial(neuron, table.get("initial", {}), source, f"[{where}.initial]")
            elif "elements" in table:
                neuron = _neuron(table, source, where, name if name.isidentifier() else "neuron")
            else:
                try:
                    neuron = preset(table["neuron"], hint=False)
                except CircuitFileError as exc:
                    raise CircuitFileError(f"{source}: [{where}] neuron: {exc}; to read a circuit file write "
                                           f"file = \"path.toml\" instead") from None
                if not isinstance(neuron, Neuron):
                    raise CircuitFileError(f"{source}: [{where}]: preset {table['neuron']!r} is a network")
                _initial(neuron, table.get("initial", {}), source, f"[{where}.initial]")
            stimulus = None
            if "stimulus" in table:
                if not isinstance(table["stimulus"], list):
                    raise CircuitFileError(f"{source}: {where}.stimulus must be an array of tables")
                stimulus = from_dicts(table["stimulus"], where=f"{source}: {where}.stimulus")
            net.add_neuron(name, neuron, i_app=table.get("i_app", 0.0), stimulus=stimulus)
        except CircuitFileError:
            raise
        except (ModelError, StimulusError) as exc:
            raise CircuitFileError(f"{source}: [{where}]: {exc}") from None
    connections = doc.get("connections", [])
    if not isinstance(connections, list):
        raise CircuitFileError(f"{source}: `connections` must be an array of tables ([[connections]])")
    kinds = dict(CONNECTION_KINDS, **{short: CONNECTION_KINDS[full] for short, full in SHORT_KINDS.items()})
    for i, item in enumerate(connections):
        where = f"connections[{i}]"
        ends = kinds[item["kind"]].connects if isinstance(item, dict) and isinstance(item.get("kind"), str) and \
            item["kind"] in kinds else ()
        cls, fields = _kind_of(item, where, source, kinds, extra=ends, what="interconnection")
        missing = [r for r in cls.connects if r not in item]
        if missing:
            raise CircuitFileError(f"{source}: missing key {missing[0]!r} in {where} ({cls.kind})")
        for role in cls.connects:
            if not isinstance(item[role], str):
                raise CircuitFileError(f"{source}: {where} ({cls.kind}): `{role}` must be a node name, got "
                                       f"{item[role]!r}")
        try:
            net.add_connection(cls.from_table(fields, where), {r: item[r] for r in cls.connects}, fields.get("name"))
        except (ModelError, TypeError) as exc:
            raise CircuitFileError(f"{source}: {where} ({cls.kind}): {exc}") from None
    if "simulation" in doc:
        net.protocol = _protocol(doc["simulation"], source, _NETWORK_SIMULATION)
    return net


def _protocol(table, source, allowed):
    _check_keys(table, allowed, {"t_end"}, "[simulation]", source)
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
    """Read a neuron or a network from a circuit file (``circuits/bursting.toml``, ``circuits/hco.toml``).

    A network's ``file = ...`` nodes are read relative to the file's folder.

    Parameters
    ----------
    path : str or os.PathLike
        The circuit file (TOML, in the format of the module notes).

    Returns
    -------
    Neuron or Network

    Raises
    ------
    CircuitFileError
        If ``path`` is not a str or os.PathLike, the file does not exist or cannot be read (a folder,
        not UTF-8, no permission), or its text is invalid TOML, an unsupported ``format``, an unknown
        or missing key, a value of the wrong type or one the model refuses (the message names the
        place); also if a network's node files
        lead back to the file itself.

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
    key = os.path.realpath(path)
    if _LOADING.reads is not None:
        _LOADING.reads.append(path)
    if key in _LOADING.stack:  # a network's node file that leads back to it
        raise CircuitFileError(f"circuit file {str(path)!r} refers back to itself through its nodes' files")
    _LOADING.stack.append(key)
    try:
        return loads(text, source=str(path), folder=path.parent)
    finally:
        _LOADING.stack.pop()


class _Stack(threading.local):
    def __init__(self):
        self.stack = []
        self.reads = None  # a list while input_files() records what load() opens


def input_files(path):
    """Every file that reading the circuit file ``path`` opens: the file itself and, for a network, the
    files its nodes name (``file = "cell.toml"``). Commands refuse to write over any of them.

    A file that cannot be read is listed as far as reading got (the error is reported by ``load``).

    Examples
    --------
    >>> import neuromorph as nm
    >>> sorted({p.name for p in input_files(nm.circuits_dir() / "hco.toml")})  # its nodes are the bursting preset
    ['bursting.toml', 'hco.toml']
    """
    outer, _LOADING.reads = _LOADING.reads, []
    try:
        try:
            load(path)
        except CircuitFileError:
            pass
        return list(_LOADING.reads)
    finally:
        _LOADING.reads = outer


_LOADING = _Stack()  # the files being read, per thread (a network's nodes may name other files)


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


def _key(key):
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml_value(key)


def _emit(lines, header, table, array=False):
    """Write ``table`` under ``[header]`` (``[[header]]`` if ``array``): scalars first, then sub-tables."""
    lines += ["", f"[[{header}]]" if array else f"[{header}]"]
    nested = []
    for key, val in table.items():
        if isinstance(val, dict):
            nested.append((key, val, False))
        elif isinstance(val, list) and val and all(isinstance(x, dict) for x in val):
            nested.extend((key, x, True) for x in val)
        else:
            lines.append(f"{_key(key)} = {_toml_value(val)}")
    for key, val, is_array in nested:
        _emit(lines, f"{header}.{_key(key)}", val, is_array)


def _element_table(el):
    table = {"kind": el.kind}
    table.update(el.to_table())
    return table


def _neuron_tables(neuron):
    """The neuron's tables: ``neuron`` head, ``initial`` overrides and ``elements``."""
    tables = {"neuron": {"C": neuron.C, "v0": neuron.v0, "threshold": neuron.threshold}}
    if neuron.hysteresis != DEFAULT_HYSTERESIS:  # files of the default keep their three keys
        tables["neuron"]["hysteresis"] = neuron.hysteresis
    initial = neuron.initial_overrides()  # filters not listed follow v0, as in the neuron
    if initial:
        tables["initial"] = initial
    tables["elements"] = [_element_table(el) for el in neuron.elements]
    return tables


def _protocol_table(protocol, with_current=True):
    terms = protocol.i_app.terms()
    table = {"t_end": protocol.t_end}
    if with_current:
        table["i_app"] = float(sum(t.value for t in terms if isinstance(t, Constant)))
    if protocol.t_transient is not None:
        table["t_transient"] = protocol.t_transient
    others = [t._to_dict() for t in terms if not isinstance(t, Constant)]
    if others and with_current:
        table["stimulus"] = others
    return table


def dumps(circuit):
    """TOML text of a Neuron or a Network (inverse of :func:`loads`).

    Floats are written with ``repr``, so ``loads(dumps(x)) == x`` bit for bit; a network is written
    with every neuron inline.

    Parameters
    ----------
    circuit : Neuron or Network

    Returns
    -------
    str
        The circuit file's text.

    Raises
    ------
    ModelError
        If ``circuit`` is not a Neuron or a Network, is a network without neurons, or has a description
        that is not valid Unicode text.

    Examples
    --------
    >>> import neuromorph as nm
    >>> n = nm.preset("tonic")
    >>> text = nm.dumps(n)
    >>> text.splitlines()[:2]
    ['format = "neuromorph/1"', 'name = "tonic_spiking"']
    >>> nm.loads(text) == n
    True
    """
    from .._validate import text

    if not isinstance(circuit, Neuron | Network):
        raise ModelError(f"expected a Neuron or a Network, got {circuit!r:.60}")
    network = isinstance(circuit, Network)
    if network and not len(circuit):
        raise ModelError(f"network {circuit.name!r} has no neurons: nothing to write (add some with add_neuron)")
    lines = [f"format = {_toml_value(NETWORK_FORMAT if network else FORMAT)}", f"name = {_toml_value(circuit.name)}"]
    if circuit.description:
        lines.append(f"description = {_toml_value(text('description', circuit.description))}")
    if not network:
        for key, table in _neuron_tables(circuit).items():
            if key == "elements":
                for item in table:
                    _emit(lines, "elements", item, array=True)
            else:
                _emit(lines, key, table)
        if circuit.protocol is not None:
            _emit(lines, "simulation", _protocol_table(circuit.protocol))
        return "\n".join(lines) + "\n"
    for name, node in circuit.nodes.items():
        table = {"i_app": node.i_app}
        if node.neuron.description:
            table["description"] = text("description", node.neuron.description)
        table.update(_neuron_tables(node.neuron))
        if node.stimulus is not None:
            table["stimulus"] = [t._to_dict() for t in node.stimulus.terms()]
        _emit(lines, f"nodes.{_key(name)}", table)
    for name, conn in circuit.connections.items():
        table = {"kind": conn.kind, **{r: conn.ends[r] for r in conn.element.connects}}
        table.update(conn.element.to_table())
        _emit(lines, "connections", table, array=True)
    if circuit.protocol is not None:
        _emit(lines, "simulation", _protocol_table(circuit.protocol, with_current=False))
    return "\n".join(lines) + "\n"


def save(circuit, path):
    """Write a Neuron or a Network to a circuit file, atomically (a complete file or none).

    A ``path`` that is a symbolic link is written through: its target is replaced and the
    link stays. Comments in an existing file at ``path`` are not kept: the file is written anew.

    Parameters
    ----------
    circuit : Neuron or Network
    path : str or os.PathLike
        The file to write (``.toml`` by convention); an existing file is replaced.

    Returns
    -------
    None

    Raises
    ------
    ModelError
        If ``circuit`` is not a Neuron or a Network, or is a network without neurons.
    CircuitFileError
        If ``path`` is not a str or os.PathLike.
    OutputError
        If ``path`` is a folder, its folder does not exist or refuses a new file, the file is
        read-only, or the write fails (the previous file, if any, is left untouched).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import neuromorph as nm
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "cell.toml"
    ...     nm.save(nm.preset("tonic"), path)
    ...     nm.load(path) == nm.preset("tonic")
    True
    """
    if not isinstance(circuit, Neuron | Network):
        raise ModelError(f"expected a Neuron or a Network, got {circuit!r}")
    text = dumps(circuit)
    atomic_write(_as_path(path), lambda f: f.write(text))


# -- presets -----------------------------------------------------------------

def _as_path(path):
    if not isinstance(path, str | os.PathLike):
        raise CircuitFileError(f"a circuit file path must be a str or os.PathLike, got {path!r}")
    return Path(path)


def circuits_dir():
    """Folder of the preset circuit files (inside the installed package, or the source tree's ``circuits/``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    CircuitFileError
        If the folder is missing (a broken installation).

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.circuits_dir().name, (nm.circuits_dir() / "bursting.toml").is_file()
    ('circuits', True)
    """
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
    """Names of the preset circuits, neurons and networks (file stems in :func:`circuits_dir`).

    Aliases (``"tonic"`` for ``"tonic_spiking"``, ...) are not listed; :func:`preset` takes both.

    Returns
    -------
    tuple of str
        Sorted.

    Raises
    ------
    CircuitFileError
        If the folder of preset circuits is missing (a broken installation; :func:`circuits_dir` says where it
        looked).

    Examples
    --------
    >>> import neuromorph as nm
    >>> "bursting" in nm.presets(), "hco" in nm.presets(), "tonic" in nm.presets()
    (True, True, False)
    """
    return tuple(sorted(p.stem for p in circuits_dir().glob("*.toml")))


def preset(name, hint=True):
    """Load a preset circuit by name (``"bursting"``, ``"tonic_spiking"``, ``"hco"``, ...) or alias (``"tonic"``).

    Parameters
    ----------
    name : str
        A name of :func:`presets` or an alias: ``"tonic"`` (tonic_spiking), ``"rebound"`` and
        ``"pir"`` (post_inhibitory_rebound), ``"hib"`` (hyperpolarisation_induced_bursting),
        ``"switch"`` (bistable_switch).
    hint : bool, default True
        Whether the error for a name that looks like a file path suggests ``nm.load(path)``.

    Returns
    -------
    Neuron or Network
        A new object at every call (changing it leaves the preset as it is).

    Raises
    ------
    CircuitFileError
        If ``name`` is not a string or not a preset name or alias (the message lists them), or the
        preset file cannot be read.

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.preset("bursting").protocol.t_end
    10000.0
    >>> nm.preset("tonic").name
    'tonic_spiking'
    """
    return load(preset_file(name, hint))


def as_model(model):
    """``model`` with a preset name or a circuit file read: the one place a name becomes a model.

    A string ending in ``.toml`` or holding a path separator, or an ``os.PathLike``, is a circuit
    file (:func:`load`); any other string is a preset name or alias (:func:`preset`); anything else
    (a Neuron, a Network, a compiled model) is returned as it is, for the caller to check.

    Examples
    --------
    >>> from neuromorph.io.circuits import as_model
    >>> as_model("tonic").element_names == as_model(circuits_dir() / "tonic_spiking.toml").element_names
    True
    """
    if isinstance(model, os.PathLike):
        return load(model)
    if isinstance(model, str):
        return load(model) if model.endswith(".toml") or os.path.sep in model else preset(model)
    return model


def preset_file(name, hint=True):
    """The circuit file of a preset (``circuits/bursting.toml`` for ``"bursting"``), by name or alias.

    Examples
    --------
    >>> from neuromorph.io.circuits import preset_file
    >>> preset_file("tonic").name
    'tonic_spiking.toml'
    """
    if not isinstance(name, str):
        raise CircuitFileError(f"preset name must be a string, got {name!r}")
    stem = ALIASES.get(name, name)
    if stem not in presets():  # names only: reading an arbitrary path is load()'s job
        advice = "; to read a circuit file use nm.load(path)" if hint and ("/" in name or name.endswith(".toml")) else ""
        raise CircuitFileError(f"unknown preset {name!r}; presets: {', '.join(presets())} "
                               f"(aliases: {', '.join(ALIASES)}){advice}")
    return circuits_dir() / f"{stem}.toml"
