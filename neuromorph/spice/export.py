"""A model at a SPICE level: its netlist, a PySpice circuit, a ``.cir`` deck, and a run in ngspice.

The functions :mod:`neuromorph.spice` offers (see there); the chips of a Monte Carlo study
(:mod:`.montecarlo`) run :func:`spice_simulate` from here.
"""

import os
from pathlib import Path

import numpy as np

from .. import _validate as v
from ..errors import ModelError, OutputError, SolverError
from .netlist import behavioural_netlist, check_lines, comment, control_path, spice_number

__all__ = ["LEVELS", "netlist", "to_spice", "data_file", "write_cir", "spice_simulate"]

LEVELS = ("behavioural", "transistor")


def _model(model):
    from ..io.circuits import as_model

    return as_model(model)


def netlist(model, level="behavioural", i_app=None, t_end=None, time_unit=1e-3, y0=None, mapping=None,
            variation=None):
    """The :class:`SpiceNetlist` of ``model`` at ``level`` (``mapping``: the transistor level's units;
    ``variation``: a :class:`TransistorMismatch`, one chip's per-transistor draws)."""
    if level not in LEVELS:
        raise ModelError(f"unknown SPICE `level` {level!r}; choose one of {', '.join(LEVELS)}")
    if t_end is not None:
        t_end = v.positive("t_end", t_end, SolverError)
    if level == "transistor":
        from .transistor import transistor_netlist

        return transistor_netlist(_model(model), mapping=mapping, i_app=i_app, t_end=t_end, y0=y0,
                                  variation=variation)
    if mapping is not None or variation is not None:
        raise ModelError("`mapping` and `variation` are for level='transistor'; the behavioural level uses "
                         "`time_unit`")
    return behavioural_netlist(_model(model), i_app=i_app, t_end=t_end, time_unit=time_unit, y0=y0)


def to_spice(model, level="behavioural", i_app=None, t_end=None, time_unit=1e-3, y0=None, mapping=None):
    """A PySpice ``Circuit`` of ``model`` (a Neuron, Network or preset name).

    Its devices are the netlist's; simulate it with PySpice (``circuit.simulator().transient(...)``,
    with ``use_initial_condition=True``) or write a whole deck with :func:`write_cir`.

    Parameters
    ----------
    model : Neuron, Network or preset name
    level : {"behavioural", "transistor"}, default "behavioural"
        The model's own equations as behavioural sources, or MOSFET cells in weak inversion.
    i_app : float or Stimulus, optional
        Applied current, as for :func:`neuromorph.simulate` (default: the model's own); a
        time-varying one becomes a PWL source and needs ``t_end``.
    t_end : float, optional
        End of the PWL source of a time-varying ``i_app`` (model units).
    time_unit : float, default 1e-3
        Seconds per model time unit in the behavioural netlist.
    y0 : array_like, optional
        Initial state, written as the circuit's ``.ic`` (default: the model's).
    mapping : Mapping, optional
        Units of the transistor level (default ``Mapping()``); not for the behavioural level.

    Returns
    -------
    PySpice.Spice.Netlist.Circuit
        Its title names the model and the level; its ``raw_spice`` holds the devices and the ``.ic``
        line.

    Raises
    ------
    CircuitFileError
        If ``model`` is a string that names no preset or readable circuit file.
    ModelError
        If ``model`` is not a neuron or a network; if ``level`` is unknown; if ``mapping`` is given at
        the behavioural level or is not a ``Mapping``; if ``time_unit`` is not > 0; if ``y0`` has the
        wrong number of values; or (transistor level) if a time-varying ``i_app`` has no ``t_end``.
    StimulusError
        If ``i_app`` is not a number or a Stimulus, or (behavioural level) is time-varying without
        ``t_end``.
    SolverError
        If ``t_end`` is given and is not a number > 0.

    Examples
    --------
    >>> import neuromorph as nm
    >>> circuit = nm.to_spice("tonic", i_app=-0.7)
    >>> circuit.title
    'neuromorph tonic_spiking (behavioural)'
    >>> for line in str(circuit).splitlines()[1:8]: print(line)
    C_v v 0 0.001
    C_slow slow 0 0.02
    B_slow 0 slow I=V(v)-V(slow)
    I_app_v 0 v DC -0.7
    B_leak v 0 I=(1.0*(V(v)-0.0))
    B_fast_negative v 0 I=((-2.0)*tanh((V(v)-0.0)))
    B_slow_positive v 0 I=(2.0*tanh((V(slow)-0.0)))
    >>> nm.to_spice("tonic", level="transistor").title
    'neuromorph tonic_spiking (transistor level)'
    """
    from .engine import quiet_pyspice

    quiet_pyspice()
    from PySpice.Spice.Netlist import Circuit

    net = netlist(model, level, i_app, t_end, time_unit, y0, mapping)
    circuit = Circuit(comment(net.title, limit=200))
    circuit.raw_spice = "\n".join(check_lines(net.lines + [".ic " + " ".join(f"V({n})={spice_number(y)}"
                                                                              for n, y in zip(net.nodes, net.y0))]))
    return circuit


def data_file(path, label="`path`"):
    """Where the deck :func:`write_cir` writes to ``path`` puts its data: beside it, ``<stem>.txt``
    (an absolute path).

    Raises :class:`~neuromorph.errors.OutputError` naming ``label`` and ``path`` if that would be the
    deck itself (a deck named ``*.txt``), if the name cannot be written in the deck's ``.control``
    block (see :func:`~neuromorph.spice.netlist.control_path`), or if it would be too long for the
    file system.
    """
    deck = Path(os.path.abspath(os.fsdecode(path)))
    data = deck.with_suffix(".txt")
    if data == deck:
        raise OutputError(f"{label} {os.fsdecode(path)!r}: the deck writes its data to <name>.txt beside itself, "
                          "which would be the deck; give the deck another suffix (.cir)")
    control_path(data, label, shown=path)
    try:
        limit = os.pathconf(data.parent, "PC_NAME_MAX") if data.parent.is_dir() else 255
    except (OSError, ValueError):
        limit = 255
    if len(os.fsencode(data.name)) > limit:
        raise OutputError(f"{label} {os.fsdecode(path)!r}: its data file {data.name!r} would be longer than the "
                          f"{limit} bytes a file name may have here; choose a shorter name")
    return data


def write_cir(model, path, t_end, level="behavioural", i_app=None, max_step=0.05, time_unit=1e-3, y0=None,
              mapping=None):
    """Write a ``.cir`` deck (atomically) that ngspice runs by itself: devices, ``.ic``, ``.tran`` and a
    control block that writes every neuron's membrane voltage to :func:`data_file` ``<stem>.txt``
    beside the deck, by its absolute path (``ngspice -b path`` from any folder; a deck moved elsewhere
    still writes where it was written).

    A ``path`` that ngspice's command language cannot take (quotes, ``$``, backquotes, ``;``, braces,
    ``!``, line breaks or other control characters, in the name or its folder) is refused with an
    :class:`~neuromorph.errors.OutputError` before anything is written.

    Parameters
    ----------
    model : Neuron, Network or preset name
    path : str or path-like
        The deck to write (``.cir``); its data file is ``<stem>.txt`` beside it.
    t_end : float
        End of the transient (model units).
    level : {"behavioural", "transistor"}, default "behavioural"
    i_app : float or Stimulus, optional
        Applied current, as for :func:`neuromorph.simulate` (default: the model's own).
    max_step : float, default 0.05
        Largest time step ngspice may take (model units).
    time_unit : float, default 1e-3
        Seconds per model time unit in the behavioural netlist.
    y0 : array_like, optional
        Initial state (default: the model's).
    mapping : Mapping, optional
        Units of the transistor level (default ``Mapping()``).

    Returns
    -------
    str or path-like
        ``path``, as given.

    Raises
    ------
    SolverError
        If ``t_end`` or ``max_step`` is not > 0.
    OutputError
        If ``path`` holds a character ngspice's ``.control`` block cannot take, ends in ``.txt`` (its
        data file would be the deck), gives a data file name too long for the file system, is a
        folder, or lies in a folder that does not exist or cannot be written.
    CircuitFileError
        If ``model`` is a string that names no preset or readable circuit file.
    ModelError
        As for :func:`to_spice`: a model that is not a neuron or a network, an unknown ``level``, a
        misplaced or bad ``mapping``, a bad ``time_unit`` or ``y0``.
    StimulusError
        If ``i_app`` is not a number or a Stimulus.

    Examples
    --------
    >>> import neuromorph as nm, tempfile, os
    >>> path = nm.write_cir("bursting", os.path.join(tempfile.mkdtemp(), "bursting.cir"), t_end=100, i_app=-2.0)
    >>> open(path).read().splitlines()[2]
    'C_v v 0 0.001'
    >>> nm.spice.data_file(path).name
    'bursting.txt'
    """
    from ..io.files import atomic_write, plan_outputs

    t_end = v.positive("t_end", t_end, SolverError)
    max_step = v.positive("max_step", max_step, SolverError)
    data = data_file(path)
    plan_outputs([("`path`", path), ("its data file", data)])
    net = netlist(model, level, i_app, t_end, time_unit, y0, mapping)
    probes = " ".join(f"v({net.nodes[k]})" for k in net.membranes)
    control = ["run", "set wr_singlescale", "set wr_vecnames", "option numdgt=12",
               f"wrdata {control_path(data, '`path`', shown=path)} {probes}", "quit"]
    deck = _inline_includes(net.text(t_end, max_step, control=control))
    atomic_write(path, lambda f: f.write(deck))
    return path


def _inline_includes(deck):
    """The deck (checked by :meth:`SpiceNetlist.text`) with its ``.include`` files written in: a ``.cir``
    that needs nothing beside it."""
    out = []
    for line in deck.split("\n")[:-1]:
        if line.startswith(".include "):
            path = Path(line.split(None, 1)[1].strip().strip('"'))
            out += [f"* --- {comment(path.name)} (included) ---", *path.read_text(encoding="utf-8").splitlines(),
                    f"* --- end of {comment(path.name)} ---"]
        else:
            out.append(line)
    return "\n".join(out) + "\n"  # the deck's own lines are checked; the library's are ours (with `+` lines)


def spice_simulate(model, t_end, i_app=None, level="behavioural", max_step=0.05, time_unit=1e-3, y0=None,
                   record=None, mapping=None, variation=None, progress=None):
    """Run ``model`` in ngspice from t = 0 to ``t_end`` (model units) and return a SimulationResult.

    Parameters
    ----------
    model : Neuron, Network or preset name
    t_end : float
        End of the run (model units).
    i_app : float or Stimulus, optional
        As for :func:`neuromorph.simulate` (default: the model's own).
    level : {"behavioural", "transistor"}, default "behavioural"
    max_step : float, default 0.05
        Largest time step ngspice may take (model units); spikes are located on its samples.
    time_unit : float, default 1e-3
        Seconds per model time unit in the netlist.
    y0 : array_like, optional
    record : sequence of str, optional
        States to keep (default all).
    mapping : Mapping, optional
        Units of the transistor level (default ``Mapping()``). Results come back in model units
        (volts through ``V_mid`` and ``V_u``, time through ``T_u``).
    variation : TransistorMismatch, optional
        One chip's per-transistor Pelgrom draws (transistor level).
    progress : bool, optional
        Progress bar on stderr, as for :func:`neuromorph.simulate` (default None: automatic).

    Returns
    -------
    SimulationResult
        The same result as :func:`neuromorph.simulate` gives (times and states in model units,
        spikes located on ngspice's samples), its ``method`` ``"ngspice (LEVEL)"``.

    Raises
    ------
    SolverError
        If ``t_end`` or ``max_step`` is not > 0, ``max_step`` exceeds ``t_end``, or ``record`` names a
        state the netlist does not have.
    CircuitFileError
        If ``model`` is a string that names no preset or readable circuit file.
    ModelError
        As for :func:`to_spice` (the model, ``level``, ``mapping``, ``time_unit``, ``y0``); also if
        ``variation`` is given at the behavioural level or is not a ``TransistorMismatch``.
    StimulusError
        If ``i_app`` is not a number or a Stimulus.
    SimulationError
        Reason ``Failure.DIVERGING`` (``"diverging"``) when a membrane voltage goes beyond the numba engine's bound
        (:func:`~neuromorph.lower.compile.runaway_bounds`), with the time of the first such sample.
        The transistor level cannot follow a membrane that far: there a run stops where the
        membrane leaves the circuit's range (its leak amplifier's linear range, see
        :mod:`~neuromorph.spice.transistor`), as ``"diverging"`` if the model has no restoring
        conductance, else as ``Failure.OUT_OF_RANGE``. ``Failure.SOLVER_FAILED`` when ngspice fails
        (``NgspiceMissing``, a SimulationError, when ngspice is not installed). Ctrl-C halts
        ngspice and raises ``KeyboardInterrupt`` within about 0.1 s.

    Examples
    --------
    The behavioural netlist follows the model (the numba engines give an ISI of 32.65 here), the
    transistor level nearly so:

    >>> import neuromorph as nm
    >>> res = nm.spice_simulate("tonic", t_end=300, i_app=-0.7, max_step=0.2)
    >>> res.method, res.state_names
    ('ngspice (behavioural)', ('v', 'slow'))
    >>> s = res.summary(t_start=100)
    >>> s["pattern"], round(s["isi_mean"], 1)
    ('tonic', 32.6)
    >>> chip = nm.spice_simulate("tonic", t_end=300, i_app=-0.7, level="transistor", max_step=0.2)
    >>> chip.summary(t_start=100)["pattern"], round(chip.summary(t_start=100)["isi_mean"])
    ('tonic', 33)
    """
    from .._progress import Progress
    from ..analysis.spikes import spike_times
    from ..solve.results import SimulationResult, SolverStats
    from .engine import run_transient

    t_end = v.positive("t_end", t_end, SolverError)
    max_step = v.positive("max_step", max_step, SolverError)
    if max_step > t_end:
        raise SolverError(f"`max_step` ({max_step:g}) must not exceed `t_end` ({t_end:g})")
    net = netlist(model, level, i_app, t_end, time_unit, y0, mapping, variation)
    names = net.state_names if record is None else v.names("record", record, SolverError)
    for name in names:
        if name not in net.state_names:
            raise SolverError(f"unknown state {name!r}; states are: {', '.join(net.state_names)}")
    bar = Progress(0.0, t_end, label="simulating in ngspice", enabled=progress)
    try:
        time, volts = run_transient(net.text(t_end, max_step), net.nodes, lambda done: bar.update(done * t_end))
    finally:
        bar.close()
    t = time / net.time_unit
    keep = np.concatenate(([True], np.diff(t) > 0))  # ngspice may repeat a time point at a breakpoint
    t = t[keep]
    spikes, owners = [], []
    volts = {node: (values[keep] - net.v_offset) / net.v_scale for node, values in volts.items()}
    _check_bounds(net, t, volts)
    thresholds = (net.thresholds - net.v_offset) / net.v_scale
    for n, k in enumerate(net.membranes):  # the spike definition of every engine, on ngspice's samples
        s = spike_times(t, volts[net.nodes[k]], thresholds[n], net.hysteresis[n])
        spikes.append(s)
        owners.append(np.full(s.size, n, dtype=np.int64))
    spike_t = np.concatenate(spikes) if spikes else np.empty(0)
    order = np.argsort(spike_t, kind="stable")
    y = np.array([volts[net.nodes[net.state_names.index(name)]] for name in names]) if names else np.empty((0, t.size))
    return SimulationResult(t=t, y=y, state_names=tuple(names), spike_times=spike_t[order],
                            spike_neurons=np.concatenate(owners)[order] if owners else np.empty(0, np.int64),
                            stats=SolverStats(int(t.size), 0, 0, 0, 0), method=f"ngspice ({level})", t_start=0.0,
                            t_end=float(t[-1]), neuron_names=net.neuron_names)


def _check_bounds(net, t, volts):
    """Raise at the first sample of a membrane beyond its bound: the numba engine's ``"diverging"``, or at
    the transistor level the circuit's range (``"diverging"`` for a model with no restoring conductance)."""
    from ..errors import Failure, SimulationError
    from ..lower.compile import NO_RESTORING, diverging

    limits = net.bounds if net.circuit_range is None else np.minimum(net.bounds, net.circuit_range)
    first = None
    for n, k in enumerate(net.membranes):
        beyond = np.flatnonzero(np.abs(volts[net.nodes[k]]) > limits[n])
        if beyond.size and (first is None or beyond[0] < first[0]):
            first = (int(beyond[0]), n)
    if first is None:
        return
    i, n = first
    v, who = volts[net.nodes[net.membranes[n]]][i], net.neuron_names[n] if len(net.membranes) > 1 else None
    if limits[n] == net.bounds[n]:
        raise diverging(t[i], v, limits[n], who, engine="ngspice run diverging")
    where = ("the circuit's membrane left the range its cells follow the model in (+-6 model units around its "
             "leak's reversal, where the leak amplifier's current saturates)")
    if net.restoring[n] <= 0.0:
        raise diverging(t[i], v, limits[n], who, f"{where}, running to a supply rail; {NO_RESTORING}",
                        engine="ngspice run diverging")
    neuron = "" if who is None else f" of neuron {who!r}"
    raise SimulationError(f"ngspice run out of range at t = {t[i]:.9g}: the membrane voltage{neuron} reached "
                          f"V = {v:.6g}, beyond +-{limits[n]:.4g}: {where}; lower the currents, or simulate at "
                          "level='behavioural'", t=t[i], reason=Failure.OUT_OF_RANGE)
