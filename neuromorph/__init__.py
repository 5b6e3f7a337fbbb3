"""neuromorph: simulate neuromorphic neuron circuits fast, shape their I-V curves, export them to silicon.

A neuron is a membrane capacitor in parallel with elementary voltage-controlled
current sources (Ribar & Sepulchre 2019): a leak, localized conductances
``alpha tanh(V_x - delta)`` on fast, slow and ultraslow filtered voltages, and
sigmoid-gated conductances. Numba-compiled solvers integrate any such model
from one compiled kernel per solver.

Examples
--------
>>> import neuromorph as nm
>>> n = nm.preset("bursting")
>>> res = n.simulate(t_end=10_000, i_app=-2.0)
>>> s = res.summary()
>>> s["pattern"], s["spikes_per_burst"]
('bursting', 7)
"""

from .analysis.iv import (
    equilibria,
    fold_points,
    iv_conductance,
    iv_current,
    iv_curves,
    negative_conductance_intervals,
    predict_behaviour,
)
from .analysis.spikes import summarize_spikes
from .errors import (
    CircuitFileError,
    ClusterError,
    Failure,
    ModelError,
    NeuromorphError,
    NeuromorphWarning,
    OutputError,
    SimulationError,
    SolverError,
    StimulusError,
)
from .io.circuits import circuits_dir, dumps, load, loads, preset, presets, save
from .model.builders import hco, ring, switching_circuit
from .model.elements import (
    Conductance,
    ConductanceSynapse,
    Current,
    CurrentSynapse,
    GapJunction,
    Gate,
    Leak,
)
from .model.network import Network
from .model.neuron import Neuron
from .model.noise import WhiteNoise
from .model.variability import Mismatch
from .model.stimulus import Constant, OUProcess, Protocol, Pulse, Sampled, Steps, Stimulus
from .solve.integrator import Integrator, simulate
from .solve.results import SimulationResult, SolverStats
from .solve.solvers import RK4, SRA1, Dop853, Dopri5, Euler, EulerMaruyama, Rosenbrock23, get_solver

__version__ = "0.2.0"

# Loaded on first use (PEP 562): a `neuromorph simulate` start-up needs none of them.
_LAZY = {
    "Ensemble": "solve.ensemble", "EnsembleResult": "solve.ensemble",
    "behaviour_map": "studies.maps", "BehaviourMap": "studies.maps",
    "design": "studies.design", "DesignResult": "studies.design",
    "reliability": "studies.reliability", "ReliabilityResult": "studies.reliability",
    "Study": "studies.spec", "load_study": "studies.spec", "run_study": "studies.sweep",
    "open_study": "studies.store",
    "to_spice": "spice", "spice_simulate": "spice", "write_cir": "spice", "spice_monte_carlo": "spice.montecarlo",
    "DeviceMismatch": "spice.montecarlo",
    "plot_trace": "ui.plotting", "plot_iv": "ui.plotting", "plot_behaviour_map": "ui.plotting",
    "plot_network": "ui.plotting", "plot_raster": "ui.plotting", "plot_reliability": "ui.plotting",
    "tune": "ui.tuner", "Tuner": "ui.tuner",
    "estimate": "estimation", "Estimate": "estimation", "AdaptiveObserver": "estimation",
    "EnsembleEstimates": "estimation",
    "Rhythm": "control", "RhythmReport": "control", "yield_of": "control", "YieldResult": "control",
    "yield_interval": "control", "chips_needed": "control", "RhythmController": "control", "ChipsControl": "control", "ControlLoop": "control",
    "ControlResult": "control", "retune": "control", "Retuning": "control", "cancel_synapse": "control",
    "Cancellation": "control", "design_for_yield": "control", "YieldDesign": "control",
    "area_for_yield": "control", "AreaDesign": "control",
}

# Modules of the flat layout before 0.2, kept importable (with a DeprecationWarning) so that scripts
# written against them run on: ``from neuromorph.plotting import plot_trace`` still works.
_MOVED = {
    "elements": "model.elements", "neuron": "model.neuron", "stimulus": "model.stimulus",
    "compiled": "lower.compile", "solvers": "solve.solvers", "ensemble": "solve.ensemble",
    "results": "solve.results", "sweeps": "studies.maps", "inverse_design": "studies.design", "cli": "ui.cli",
    "demo": "ui.demo", "plotting": "ui.plotting",
}  # (neuromorph.simulate was always shadowed by the function nm.simulate; neuromorph.io is a package now)


_MOVED_UNTIL = "0.3"  # the release that drops the names above (0.1's flat layout, deprecated since 0.2)


class _MovedModules:
    """Import hook: ``neuromorph.<old name>`` gives the module's new home, with a DeprecationWarning."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        prefix, _, name = fullname.partition(".")
        if prefix != __name__ or name not in _MOVED:
            return None
        import importlib.util

        return importlib.util.spec_from_loader(fullname, _MovedModules)

    @staticmethod
    def create_module(spec):
        return None  # the default module object

    @staticmethod
    def exec_module(module):
        import importlib
        import warnings

        new = f"{__name__}.{_MOVED[module.__name__.partition('.')[2]]}"
        warnings.warn(f"{module.__name__} moved to {new} (the package is now in layers) and the old name is removed "
                      f"in {_MOVED_UNTIL}: import it from there, or use the names of `neuromorph` itself",
                      DeprecationWarning, stacklevel=3)
        module.__dict__.update({k: v for k, v in vars(importlib.import_module(new)).items()
                                if not k.startswith("__")})


import sys as _sys  # noqa: E402

_sys.meta_path.append(_MovedModules)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'neuromorph' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "Neuron", "Leak", "Current", "Conductance", "Gate",
    "Network", "CurrentSynapse", "ConductanceSynapse", "GapJunction", "hco", "ring", "switching_circuit",
    "Stimulus", "Constant", "Steps", "Pulse", "Sampled", "OUProcess", "Protocol", "WhiteNoise", "Mismatch",
    "simulate", "Integrator", "SimulationResult", "SolverStats", "Ensemble", "EnsembleResult",
    "Dopri5", "Dop853", "Rosenbrock23", "RK4", "Euler", "EulerMaruyama", "SRA1", "get_solver",
    "load", "loads", "save", "dumps", "preset", "presets", "circuits_dir",
    "iv_curves", "iv_current", "iv_conductance", "negative_conductance_intervals", "equilibria", "fold_points",
    "predict_behaviour", "summarize_spikes", "behaviour_map", "BehaviourMap", "design", "DesignResult",
    "reliability", "ReliabilityResult", "Study", "load_study", "run_study", "open_study", "to_spice", "spice_simulate", "write_cir", "spice_monte_carlo",
    "DeviceMismatch",
    "plot_trace", "plot_iv", "plot_behaviour_map", "plot_network", "plot_raster", "plot_reliability", "tune", "Tuner",
    "estimate", "Estimate", "AdaptiveObserver", "EnsembleEstimates",
    "Rhythm", "RhythmReport", "yield_of", "YieldResult", "yield_interval", "chips_needed", "RhythmController",
    "ControlResult", "ChipsControl", "ControlLoop", "retune", "Retuning", "cancel_synapse", "Cancellation",
    "design_for_yield", "YieldDesign", "area_for_yield", "AreaDesign",
    "NeuromorphError", "ModelError", "StimulusError", "SolverError", "CircuitFileError", "SimulationError",
    "Failure", "OutputError", "ClusterError", "NeuromorphWarning",
]
