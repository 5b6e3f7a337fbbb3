"""SPICE export of neurons and networks, run in ngspice and read back as simulation results.

* :func:`to_spice` gives a PySpice ``Circuit``; :func:`write_cir` a plain ``.cir`` deck that
  ``ngspice -b`` runs by itself (with its ``.tran`` and the node voltages saved).
* :func:`spice_simulate` runs the netlist in ngspice and returns the same
  :class:`~neuromorph.solve.results.SimulationResult` as :func:`neuromorph.simulate`, so spikes,
  bursts, summaries, plots and comparisons apply to SPICE runs.

Levels: ``"behavioural"`` (the model itself, :mod:`.netlist`) and ``"transistor"`` (MOSFET cells in
weak inversion on a generic 180 nm process, :mod:`.transistor`, with the unit mapping of
:class:`Mapping`).

Examples
--------
>>> import neuromorph as nm
>>> res = nm.spice_simulate(nm.preset("tonic"), t_end=300, i_app=-0.7)
>>> res.summary(t_start=100)["pattern"]
'tonic'
"""

import numpy as np

from .. import _validate as v
from ..errors import ModelError, SolverError
from .netlist import SpiceNetlist, behavioural_netlist, node_name

__all__ = ["to_spice", "write_cir", "spice_simulate", "spice_monte_carlo", "netlist", "SpiceNetlist", "node_name",
           "LEVELS", "Mapping", "TransistorMismatch"]

LEVELS = ("behavioural", "transistor")


def __getattr__(name):
    if name in ("Mapping", "TransistorMismatch"):
        from . import transistor

        return getattr(transistor, name)
    if name == "spice_monte_carlo":
        from .montecarlo import spice_monte_carlo

        return spice_monte_carlo
    raise AttributeError(name)


def _model(model):
    if isinstance(model, str):
        from ..io.circuits import preset

        return preset(model)
    return model


def netlist(model, level="behavioural", i_app=None, t_end=None, time_unit=1e-3, y0=None, mapping=None,
            variation=None):
    """The :class:`SpiceNetlist` of ``model`` at ``level`` (``mapping``: the transistor level's units;
    ``variation``: a :class:`TransistorMismatch`, one chip's per-transistor draws)."""
    if level not in LEVELS:
        raise ModelError(f"unknown SPICE `level` {level!r}; choose one of {', '.join(LEVELS)}")
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
    """
    from .engine import _quiet_pyspice

    _quiet_pyspice()
    from PySpice.Spice.Netlist import Circuit

    net = netlist(model, level, i_app, t_end, time_unit, y0, mapping)
    circuit = Circuit(net.title)
    circuit.raw_spice = "\n".join(net.lines + [".ic " + " ".join(f"V({n})={y!r}" for n, y in zip(net.nodes, net.y0))])
    return circuit


def write_cir(model, path, t_end, level="behavioural", i_app=None, max_step=0.05, time_unit=1e-3, y0=None,
              mapping=None):
    """Write a ``.cir`` deck (atomically) that ngspice runs by itself: devices, ``.ic``, ``.tran`` and a
    control block that writes every neuron's membrane voltage to ``<name>.txt`` beside the deck
    (``ngspice -b path``).

    Examples
    --------
    >>> import neuromorph as nm, tempfile, os
    >>> path = nm.write_cir("bursting", os.path.join(tempfile.mkdtemp(), "bursting.cir"), t_end=100, i_app=-2.0)
    >>> open(path).read().splitlines()[2]
    'C_v v 0 0.001'
    """
    from pathlib import Path

    from ..io.files import atomic_write

    t_end = v.positive("t_end", t_end, SolverError)
    max_step = v.positive("max_step", max_step, SolverError)
    net = netlist(model, level, i_app, t_end, time_unit, y0, mapping)
    probes = " ".join(f"v({net.nodes[k]})" for k in net.membranes)
    control = ["run", "set wr_singlescale", "set wr_vecnames", "option numdgt=12",
               f"wrdata {Path(path).with_suffix('.txt').name} {probes}", "quit"]
    deck = _inline_includes(net.text(t_end, max_step, control=control))
    atomic_write(path, lambda f: f.write(deck))
    return path


def _inline_includes(deck):
    """The deck with its ``.include`` files written in: a ``.cir`` that needs nothing beside it."""
    from pathlib import Path

    out = []
    for line in deck.splitlines():
        if line.startswith(".include "):
            path = Path(line.split(None, 1)[1].strip().strip('"'))
            out += [f"* --- {path.name} (included) ---", *path.read_text(encoding="utf-8").splitlines(),
                    f"* --- end of {path.name} ---"]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def spice_simulate(model, t_end, i_app=None, level="behavioural", max_step=0.05, time_unit=1e-3, y0=None,
                   record=None, mapping=None, variation=None):
    """Run ``model`` in ngspice from t = 0 to ``t_end`` (model units) and return a SimulationResult.

    Parameters
    ----------
    model : Neuron, Network or preset name
    t_end : float
    i_app : as for :func:`neuromorph.simulate`
    level : {"behavioural", "transistor"}
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
    """
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
    time, volts = run_transient(net.text(t_end, max_step), net.nodes)
    t = time / net.time_unit
    keep = np.concatenate(([True], np.diff(t) > 0))  # ngspice may repeat a time point at a breakpoint
    t = t[keep]
    spikes, owners = [], []
    volts = {node: (values[keep] - net.v_offset) / net.v_scale for node, values in volts.items()}
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
