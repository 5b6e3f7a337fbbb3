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

from .export import LEVELS, data_file, netlist, spice_simulate, to_spice, write_cir
from .netlist import SpiceNetlist, node_name

__all__ = ["to_spice", "write_cir", "data_file", "spice_simulate", "spice_monte_carlo", "netlist", "SpiceNetlist",
           "node_name", "LEVELS", "Mapping", "TransistorMismatch"]


def __getattr__(name):
    if name in ("Mapping", "TransistorMismatch"):
        from . import transistor

        return getattr(transistor, name)
    if name == "spice_monte_carlo":
        from .montecarlo import spice_monte_carlo

        return spice_monte_carlo
    raise AttributeError(name)
