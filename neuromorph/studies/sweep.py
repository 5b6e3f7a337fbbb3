"""Studies as data: parameter grids x chips x trials, run in-process or on a Dask cluster.

A :class:`Study` describes the whole study (the model, a grid of parameter values, chips of a
mismatch, trials of intrinsic noise, the solver, what to record) as plain data, in Python or in
a TOML file (:func:`load_study`). Its *members* are every combination, in C order over
``(grid axes..., chip, trial)``. A member's result depends only on its own coordinates and the
seed (the noise is counter-based, the chips are seeded draws), so a study cut into chunks gives
the same bits however it is cut and wherever the chunks run.

:func:`run_study` runs the chunks in this process (the numba engines on all cores) or, given a
``dask.distributed`` client, a scheduler address or a number of local workers, on Dask: every
chunk is :func:`run_chunk` ``(study, start, stop)``, a plain function of picklable data, run by
the numba engine (or ngspice) on a worker. Results stream into a Zarr store
(:mod:`neuromorph.studies.store`) chunk by chunk; an interrupted study resumes where it
stopped, a chunk lost with its worker is run again elsewhere, and a member that fails
numerically is recorded with its reason.

Engines, chosen by ``method``:

* fixed-step ensembles (``"rk4"``, ``"euler"``, ``"sra1"``, ``"euler_maruyama"``; the default,
  ``"sra1"`` with noise): grids, chips, trials, noise, mismatch, spike times and traces;
* single runs (``engine="single"``; the default for adaptive methods such as ``"dopri5"``): each
  member one :class:`~neuromorph.Integrator` run with any solver, for grids of deterministic
  members (the engine of behaviour maps);
* ``"spice"``: each member a transistor-level (or behavioural) ngspice run in a fresh process,
  chips being seeded per-transistor mismatch (:class:`neuromorph.spice.TransistorMismatch`).

Examples
--------
>>> import neuromorph as nm
>>> study = nm.Study("tonic", grid={"i_app": [-1.0, -0.6]}, chips=2, mismatch={"gain": 0.05},
...                  t_end=600, dt=0.05, seed=1)
>>> ds = nm.run_study(study)
>>> ds["pattern"].dims
('i_app', 'chip', 'trial', 'neuron')
>>> ds["pattern"].sel(i_app=-0.6).values.ravel().tolist()
['tonic', 'tonic']
"""

import hashlib
import json
import numbers
import os
import time

import numpy as np

from .. import _validate as v
from .._parallel import interrupted
from ..analysis.spikes import PATTERNS, settled_window
from ..errors import ModelError, SimulationError, SolverError, StimulusError
from .maps import METRICS, parse_axis, run_cell, step_limit

__all__ = ["Study", "load_study", "run_chunk", "run_study", "REASONS"]

REASONS = ("ok", "non-finite state", "diverging", "step size underflow", "too many steps", "solver failed")
"""Member status codes: ``REASONS[status]`` is why a member failed (0: it did not)."""
_REASON_OF_SOLVER = {"non-finite state": 1, "diverging": 2, "step size underflow": 3, "too many steps": 4}
_SPEC_FORMAT = "neuromorph-study-1"


def how_many(name, value, error=ModelError):
    """How many ids ``chips=`` / ``trials=`` give (a count, or a sequence of ids), before any is made."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return v.count(name, value, 1, error)
    try:
        return len(value)
    except TypeError:
        raise error(f"`{name}` must be a count or a sequence of ids, got {value!r}") from None


def _ids(name, value):
    """``chips=`` / ``trials=``: a count n (ids 0..n-1) or distinct explicit ids."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v.memory(name, 8.0 * v.count(name, value, 1, ModelError), ModelError, what=f"{value:,} ids")  # before arange
        return np.arange(value, dtype=np.int64)
    try:
        ids = [v.count(f"{name} id", x, 0, ModelError) for x in value]
    except TypeError:
        raise ModelError(f"`{name}` must be a count or a sequence of ids, got {value!r}") from None
    if not ids or len(set(ids)) != len(ids) or max(ids) >= 2 ** 32:
        raise ModelError(f"`{name}` ids must be distinct integers in [0, 2**32), not empty; got {value!r}")
    return np.array(ids, dtype=np.int64)


def _grid(grid):
    """``{path: values}`` (values: a list, ``"lo:hi:n"`` or ``{start, stop, num}``) or a list of axes."""
    if grid is None:
        return {}
    if isinstance(grid, dict):
        items = []
        for path, values in grid.items():
            if isinstance(values, str):
                items.append(parse_axis(f"{path}:{values}", f"grid {path}"))
            elif isinstance(values, dict):
                unknown = set(values) - {"start", "stop", "num"}
                if unknown or len(values) != 3:
                    raise ModelError(f"grid {path!r}: a range is {{start, stop, num}}, got {values!r}")
                items.append(parse_axis((path, values["start"], values["stop"], values["num"]), f"grid {path}"))
            else:
                items.append(parse_axis((path, values), f"grid {path}"))
    elif isinstance(grid, list | tuple):
        items = [parse_axis(a, f"grid[{i}]") for i, a in enumerate(grid)]
    else:
        raise ModelError(f"`grid` must be a dict {{path: values}} or a list of axes, got {grid!r}")
    out = {}
    for axis in items:
        if axis.name in out or axis.name in ("chip", "trial", "neuron", "member", "spike", "time"):
            raise ModelError(f"`grid` names {axis.name!r} twice or uses a reserved name")
        out[axis.name] = axis.values.astype(np.float64)
    return out


def _term_dict(term):
    """A stimulus piece as data, with its scale (``-ou`` is not ``ou``)."""
    out = term._to_dict()
    scale = getattr(term, "_scale", 1.0)
    if scale != 1.0:
        out["scale"] = scale
    return out


def _noise_dicts(sources):
    from ..model.noise import WhiteNoise

    out = []
    for s in sources:
        if isinstance(s, WhiteNoise):
            out.append({"kind": "white", "sigma": s.sigma, **({} if s.target is None else {"target": list(s.target)})})
        else:
            d = s._to_dict()
            d.pop("seed", None)  # intrinsic noise is seeded by the study's seed
            out.append(d)
    return out


def _noise_from(table):
    """``[noise]`` of a spec file: ``white = SIGMA`` and/or ``ou = {sigma, tau, mean}``, or a list of dicts."""
    from ..model.noise import WhiteNoise
    from ..model.stimulus import OUProcess

    if table is None:
        return []
    if isinstance(table, WhiteNoise | OUProcess | numbers.Real):
        table = [table]
    if isinstance(table, dict):
        table = [{"kind": "white", "sigma": val} if k == "white" else {"kind": "ou", **val} if k == "ou"
                 else {"kind": k} for k, val in table.items()]
    out = []
    for item in table:
        if isinstance(item, numbers.Real) and not isinstance(item, bool):
            out.append(WhiteNoise(item))
        elif isinstance(item, WhiteNoise | OUProcess):
            out.append(item)
        elif isinstance(item, dict) and item.get("kind") == "white":
            out.append(WhiteNoise(item.get("sigma", 0.0), item.get("target")))
        elif isinstance(item, dict) and item.get("kind") == "ou":
            args = {k: val for k, val in item.items() if k != "kind"}
            try:
                out.append(OUProcess(**args))
            except TypeError as exc:
                raise ModelError(f"noise {item!r}: {exc}") from None
        else:
            raise ModelError(f"noise: expected `white = SIGMA` or `ou = {{sigma, tau}}`, got {item!r}")
    return out


class Study:
    """A whole study as data: ``grid x chips x trials`` members of one model (see the module notes).

    Parameters
    ----------
    model : Neuron, Network, preset name or circuit file path
    grid : dict or list, optional
        ``{path: values}``: any parameter path (``"i_app"``, ``"slow_negative.alpha"``,
        ``"n1_to_n2.g"``, ``"slow.tau"``); values a list, ``"lo:hi:n"`` or ``{start, stop, num}``.
        The first axis is the outermost.
    chips, trials : int or sequence of int, default 1
        Chips (draws of ``mismatch``, or of transistor mismatch for ``method="spice"``) and trials
        (draws of the intrinsic ``noise``): a count or explicit ids.
    t_end : float, default 20000
    t_record : float, optional
        Summaries (and stored spikes) cover ``[t_record, t_end]``; default ``t_end / 2``.
    dt : float, optional
        Step of the fixed-step methods (default 0.05 in ensembles).
    method : str, optional
        ``"rk4"`` (default), ``"euler"``, ``"sra1"`` (default with noise), ``"euler_maruyama"``;
        an adaptive method (``"dopri5"``, ...) for deterministic grids; ``"spice"``.
    engine : {"ensemble", "single", "spice"}, optional
        Default: ``"ensemble"`` for the fixed-step methods, ``"single"`` for the others. ``"single"``
        with ``"rk4"`` runs each member through the Integrator as a behaviour map does.
    drive : float or Stimulus, optional
        Applied current shared by every member, added to each neuron's ``i_app`` (default: the
        circuit file's current, or 0 when ``i_app`` is a grid axis or for a network).
    noise : float, WhiteNoise, OUProcess or list, optional
        Intrinsic noise, fresh in every trial (a number is white current noise into every membrane).
    mismatch : Mismatch or dict, optional
        Chip-to-chip variability (numba engines).
    seed : int, default 0
        Seed of everything random.
    rtol, atol, max_steps :
        Adaptive solver options.
    spikes : int, default 0
        Store the first ``spikes`` spike times of every member and neuron (fixed-step engines).
    traces : int, default 0
        Store every neuron's membrane voltage every ``traces`` steps (fixed-step engines).
    spice : dict, optional
        ``method="spice"`` options: ``level`` ("transistor" default, or "behavioural"),
        ``a_vt`` (V um, default 5e-3), ``a_beta`` (default 0.01), ``max_step`` (default 0.2).
    """

    def __init__(self, model, grid=None, chips=1, trials=1, t_end=20_000.0, t_record=None, dt=None, method=None,
                 drive=None, noise=None, mismatch=None, seed=0, rtol=None, atol=None, max_steps=50_000_000,
                 spikes=0, traces=0, spice=None, engine=None):
        from ..io.circuits import load, preset
        from ..model.network import Network
        from ..model.neuron import Neuron
        from ..model.stimulus import Constant, as_stimulus
        from ..model.variability import as_mismatch

        if isinstance(model, str):
            model = load(model) if model.endswith(".toml") or os.path.sep in model else preset(model)
        if not isinstance(model, Neuron | Network):
            raise ModelError(f"`model` must be a Neuron, a Network, a preset name or a circuit file, got {model!r}")
        self.model = model
        self.grid = _grid(grid)
        from ..solve.integrator import _model_of

        base = _model_of(self.model)
        self.neuron_names = base.neuron_names  # (compiled once: chunks and stores ask for it often)
        self._check_size(base, how_many("chips", chips), how_many("trials", trials), mismatch is not None)
        self.chips = _ids("chips", chips)
        self.trials = _ids("trials", trials)
        self.t_end = v.positive("t_end", t_end, SolverError)
        t_record = None if t_record is None else v.nonnegative("t_record", t_record, SolverError)
        self.t_record = settled_window(0.0, self.t_end, t_record)[0]
        if self.t_record >= self.t_end:
            raise SolverError(f"`t_record` ({self.t_record:g}) must be < `t_end` ({self.t_end:g})")
        self.noise = _noise_from(noise)
        self.mismatch = as_mismatch(mismatch)
        self.seed = v.seed("seed", seed, SolverError)
        self.rtol = None if rtol is None else v.positive("rtol", rtol, SolverError)
        self.atol = None if atol is None else v.positive("atol", atol, SolverError)
        self.max_steps = v.count("max_steps", max_steps, 1, SolverError)
        self.spikes = v.count("spikes", spikes, 0, SolverError)
        self.traces = v.count("traces", traces, 0, SolverError)
        from ..solve.solvers import ENGINES, Solver, get_solver, methods, require

        if isinstance(method, Solver):  # (a study is data: its solver options are dt, rtol and atol)
            raise SolverError(f"`method` of a study must be a name, got {method!r}")
        found = require(method, engine, noise=bool(self.noise))  # (and refuses an unknown engine)
        self.method = found.name
        self.engine = engine or next(e for e in ENGINES if e in found.engines)
        if self.engine == "ensemble":
            self.dt = 0.05 if dt is None else v.positive("dt", dt, SolverError)
        else:
            self.dt = None if dt is None else v.positive("dt", dt, SolverError)
        if self.engine == "single":
            get_solver(self.method, rtol=self.rtol, atol=self.atol, dt=self.dt)  # options the method does not take
        single = isinstance(model, Neuron)
        if drive is None:
            drive = 0.0
            if single and "i_app" not in self.grid and model.protocol is not None:
                drive = model.protocol.i_app
        self.drive = as_stimulus(drive, "drive")
        constant = all(isinstance(t, Constant) for t in self.drive.terms())
        if self.engine != "ensemble":
            what = "single runs (an adaptive method)" if self.engine == "single" else "method 'spice'"
            fixed = ", ".join(m.name for m in methods("ensemble"))
            for name, bad in (("noise", self.noise), ("mismatch", self.mismatch is not None),
                              ("spikes", self.spikes), ("traces", self.traces),
                              ("trials", self.trials.size > 1 or self.trials[0] != 0)):
                if bad:
                    raise SolverError(f"`{name}` needs a fixed-step method ({fixed}), not {what}")
            if self.engine == "single" and (self.chips.size > 1 or self.chips[0] != 0):
                raise SolverError("`chips` need a fixed-step method (mismatch) or method 'spice' (transistor mismatch)")
            if self.engine == "single" and not constant:
                raise SolverError("a study of single runs takes a constant `drive`; use a fixed-step ensemble method "
                                  "for a stimulus")
            if self.engine == "single" and not single and float(np.atleast_1d(self.drive(0.0))[0]) != 0.0:
                raise SolverError("`drive` of a network study of single runs: set each node's i_app (or sweep "
                                  "NODE.i_app)")
        if spice is not None and not isinstance(spice, dict):
            raise SolverError(f"`spice` must be a table of options (level, a_vt, a_beta, max_step), got {spice!r}")
        spice = dict(spice or {})
        if self.engine != "spice" and spice:
            raise SolverError("`spice` options go with method='spice'")
        if self.engine == "spice":
            known = {"level": "transistor", "a_vt": 5e-3, "a_beta": 0.01, "max_step": 0.2}
            for key in spice:
                if key not in known:
                    raise SolverError(f"`spice`: unknown option {key!r}; known: {', '.join(known)}")
            spice = {**known, **spice}
            if spice["level"] not in ("transistor", "behavioural"):
                raise SolverError(f"`spice` level must be 'transistor' or 'behavioural', got {spice['level']!r}")
            for key in ("a_vt", "a_beta"):
                spice[key] = v.nonnegative(f"spice {key}", spice[key], SolverError)
            spice["max_step"] = v.positive("spice max_step", spice["max_step"], SolverError)
            if spice["level"] == "behavioural" and (self.chips.size > 1 or self.chips[0] != 0):
                raise SolverError("chips of a SPICE study are transistor mismatch: use level 'transistor'")
        self.spice = spice
        if self.engine == "ensemble":
            self._check_storage()
        self._check_paths(base)

    # -- shape ------------------------------------------------------------------------------------
    @property
    def dims(self):
        """Names of the member axes: the grid paths, then ``"chip"`` and ``"trial"``."""
        return (*self.grid, "chip", "trial")

    @property
    def shape(self):
        return (*(a.size for a in self.grid.values()), self.chips.size, self.trials.size)

    @property
    def n_members(self):
        return int(np.prod(self.shape))

    def members(self, start=0, stop=None):
        """``(grid values {path: array}, chip ids, trial ids)`` of members ``[start, stop)``."""
        stop = self.n_members if stop is None else stop
        index = np.unravel_index(np.arange(start, stop), self.shape)
        values = {path: axis[i] for (path, axis), i in zip(self.grid.items(), index, strict=False)}
        return values, self.chips[index[-2]], self.trials[index[-1]]

    def __repr__(self):
        axes = ", ".join(f"{k}[{a.size}]" for k, a in self.grid.items())
        return (f"Study({self.model.name!r}, {self.n_members} members: grid {axes or '-'} x {self.chips.size} chip(s) x "
                f"{self.trials.size} trial(s), method {self.method!r}, t_end {self.t_end:g})")

    def _check_size(self, base, n_chips, n_trials, mismatch):
        """Refuse, before any id is made, a study whose members' coordinates and results (the in-memory part
        of every run, with or without a store) or whose chips' draws exceed the memory."""
        n_grid = int(np.prod([a.size for a in self.grid.values()]))
        n = n_grid * n_chips * n_trials
        nn = len(base.neuron_names)
        # per member: its coordinates (and their index arithmetic), then codes, counts, metrics and the strings
        # of pattern and reason in the Dataset
        per_member = 16.0 * (len(self.grid) + 3) + nn * (10 + 8 * len(METRICS) + 36) + 80
        sizes = {"chips": n_chips, "trials": n_trials, "grid": n_grid}
        biggest = max(sizes, key=sizes.get)
        from ..solve.ensemble import per_copy_bytes

        v.memory(biggest, n * per_member + (2 * per_copy_bytes(base, n_chips) if mismatch else 0), ModelError,
                 what=f"the coordinates and results of {n:.3g} members ({n_grid} grid point(s) x {n_chips} chip(s) x "
                      f"{n_trials} trial(s))")

    def _check_storage(self):
        """Spike times and traces a member keeps: refused beyond the memory, and warned about when they shrink
        the chunks below the 64 members an ensemble runs at once (each chunk then wastes most of its lanes)."""
        from ..errors import NeuromorphWarning

        nn = len(self.neuron_names)
        samples = n_samples(self) if self.traces else 0
        name, value = ("spikes", self.spikes) if 2 * self.spikes >= samples else ("traces", self.traces)
        per_member = member_bytes(self)
        v.memory(name, per_member, SolverError, what=f"the results of one member ({self.spikes} spike times and "
                                                     f"{samples} trace samples per neuron)")
        fits = _CHUNK_BYTES // per_member
        if fits < _LANE_BLOCK:
            room = _CHUNK_BYTES // (8 * nn * _LANE_BLOCK) - len(METRICS) - 2  # 8-byte words per neuron and member
            bound = (f"`spikes` <= {max(0, (room - samples) // 2)}" if name == "spikes" else
                     "a larger `traces` (a sample every more steps)")
            v.warn(f"`{name}` = {value} keeps {v._size(per_member)} per member: a chunk holds {max(fits, 1)} "
                   f"member(s), not the {_LANE_BLOCK} an ensemble runs at once, so the study runs up to "
                   f"{_LANE_BLOCK // max(fits, 1)}x slower; {bound} keeps whole chunks", NeuromorphWarning)

    def _fixed_step(self):
        """``(dt, method name, stability radius)`` of a fixed-step study; None for adaptive methods and SPICE."""
        from ..solve.solvers import get_solver

        if self.engine == "spice":
            return None
        solver = get_solver(self.method, rtol=self.rtol, atol=self.atol, dt=self.dt)
        return None if solver.adaptive else (solver.dt, solver.name, solver.stability_radius)

    def _step_limit(self, base, radius):
        """The largest stability limit (:mod:`neuromorph.solve.stability`) over up to 16 members spread over the
        grid, on the first chip; None if not computed (large models)."""
        from ..solve.ensemble import Ensemble
        from ..solve.stability import MAX_STATES

        if base.n_states > MAX_STATES:
            return None
        shape = tuple(a.size for a in self.grid.values())
        k = int(np.prod(shape))
        picks = np.unique(np.linspace(0, k - 1, min(k, 16)).astype(np.int64))
        index = np.unravel_index(picks, shape) if shape else ()
        values = {path: axis[i] for (path, axis), i in zip(self.grid.items(), index, strict=True)}
        if self.engine == "single":  # each member a single run of the model with its values, as run_cell runs it
            return step_limit(base, picks.size, lambda j: {p: float(x[j]) for p, x in values.items()}, radius)
        ens = Ensemble(base, params=values or None, size=picks.size)
        chips = np.full(picks.size, self.chips[0], dtype=np.int64)
        y = np.repeat(base.y0[:, None], picks.size, axis=1)
        return ens._stable_step(radius, ens._copies(self.mismatch, self.seed, chips), y, range(picks.size))

    def divergence_cause(self):
        """Why members diverged, if the study's fixed step is beyond the stability limit; else None."""
        from ..solve.integrator import _model_of
        from ..solve.stability import beyond_limit

        fixed = self._fixed_step()
        if fixed is None:
            return None
        dt, name, radius = fixed
        return beyond_limit(dt, name, self._step_limit(_model_of(self.model), radius))

    def _check_paths(self, base):
        """Every grid path is a parameter of the model (``base``, compiled) and every value is allowed, and the
        step is not far beyond the stability limit (checked before any work)."""
        from ..solve.ensemble import Ensemble

        if self.mismatch is not None and not self.mismatch.truncate:
            self.mismatch.apply(base, self.seed, self.chips)  # a chip with a non-positive tau or C: refused now
        if self.noise and self.t_end / self.dt >= 2 ** 32 - 1:
            raise SolverError(f"a noisy run counts its steps in 32 bits: t_end / dt = {self.t_end / self.dt:.3g} "
                              "is beyond 2**32")
        for path, values in self.grid.items():
            if self.engine == "ensemble":
                Ensemble(self.model, params={path: values})
            elif self.engine == "single":
                base.slot(path, "sweep over")
                for value in values:
                    base.with_parameters({path: float(value)})
            else:
                if path != "i_app":
                    probe = self.model.copy()
                    for value in values:
                        probe.set(path, float(value))
        fixed = self._fixed_step()
        if fixed is not None:
            from ..solve.stability import refuse_beyond

            dt, name, radius = fixed
            refuse_beyond(dt, name, self._step_limit(base, radius), "every member")

    # -- as data ----------------------------------------------------------------------------------
    def to_dict(self):
        """The study as plain data (JSON-able): what a store keeps and what :meth:`from_dict` reads back."""
        from ..io.circuits import dumps

        mismatch = None
        if self.mismatch is not None:
            mismatch = {k: getattr(self.mismatch, k) for k in ("gain", "offset", "tau", "C", "corner", "temperature",
                                                                "nominal_temperature", "supply", "nominal_supply",
                                                                "truncate")}
        return {
            "format": _SPEC_FORMAT, "model": dumps(self.model),
            "network": not hasattr(self.model, "elements"),
            "grid": [[k, a.tolist()] for k, a in self.grid.items()],  # pairs: the axis order survives sorted JSON
            "chips": self.chips.tolist(), "trials": self.trials.tolist(), "t_end": self.t_end,
            "t_record": self.t_record, "dt": self.dt, "method": self.method,
            "drive": [_term_dict(t) for t in self.drive.terms()], "noise": _noise_dicts(self.noise),
            "mismatch": mismatch, "seed": self.seed, "rtol": self.rtol, "atol": self.atol, "max_steps": self.max_steps,
            "spikes": self.spikes, "traces": self.traces, "spice": self.spice, "engine": self.engine,
        }

    def fingerprint(self):
        """SHA-256 of :meth:`to_dict` (canonical JSON): two studies with the same fingerprint give the same results."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_dict(cls, spec, folder=None):
        """A study from :meth:`to_dict` output or from a spec file's tables (``model`` a preset name or a path)."""
        from ..io.circuits import loads
        from ..model.stimulus import from_dicts

        if not isinstance(spec, dict):
            raise ModelError(f"a study spec is a table of settings, got {spec!r}")
        spec = dict(spec)
        known = ("format", "model", "network", "grid", "chips", "trials", "t_end", "t_record", "dt", "method", "drive",
                 "noise", "mismatch", "seed", "rtol", "atol", "max_steps", "spikes", "traces", "spice", "engine")
        for key in spec:
            if key not in known:
                raise ModelError(f"study spec: unknown setting {key!r}; known: {', '.join(known[1:])}")
        if "model" not in spec:
            raise ModelError("study spec: `model` is required (a preset name or a circuit file)")
        model = spec.pop("model")
        spec.pop("format", None)
        spec.pop("network", None)
        if isinstance(model, str) and "\n" in model:
            model = loads(model, source="<study spec>")
        elif isinstance(model, str) and folder is not None and (model.endswith(".toml") or os.path.sep in model):
            model = os.path.join(folder, model)
        drive = spec.pop("drive", None)
        if isinstance(drive, dict):
            drive = [drive]
        if isinstance(drive, list):
            terms = []
            for i, item in enumerate(drive):
                item = dict(item) if isinstance(item, dict) else item
                scale = item.pop("scale", 1.0) if isinstance(item, dict) else 1.0
                term = from_dicts([item], f"drive[{i}]")
                terms.append(term if scale == 1.0 else term.scaled(scale))
            drive = sum(terms[1:], terms[0]) if terms else 0.0
        return cls(model, drive=drive, **spec)


def load_study(path):
    """A :class:`Study` from a TOML spec file (model paths relative to the file).

    Examples
    --------
    A spec file::

        model = "bursting"        # a preset, or a circuit file such as "circuits/my.toml"
        method = "rk4"
        t_end = 20000
        dt = 0.05
        seed = 1
        chips = 8
        trials = 4

        [grid]
        i_app = "-3:0:16"                  # lo:hi:n
        "slow_negative.alpha" = [-2.0, -1.5, -1.0]

        [noise]
        white = 0.05

        [mismatch]
        gain = 0.05
        offset = 0.02
    """
    import tomllib

    from ..errors import CircuitFileError

    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            spec = tomllib.load(f)
    except FileNotFoundError:
        raise CircuitFileError(f"study spec {path!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise CircuitFileError(f"study spec {path!r} is not valid TOML: {exc}") from None
    try:
        return Study.from_dict(spec, folder=os.path.dirname(os.path.abspath(path)))
    except (ModelError, SolverError, StimulusError) as exc:
        raise CircuitFileError(f"study spec {path!r}: {exc}") from None


# -- the work of one chunk -------------------------------------------------------------------------

def _empty(study, n):
    nn = len(study.neuron_names)
    out = {"pattern": np.full((n, nn), -1, np.int8), "status": np.zeros(n, np.int8),
           "spike_count": np.zeros((n, nn), np.int64)}
    out.update({k: np.full((n, nn), np.nan) for k in METRICS})
    if study.spikes:
        out["spike_times"] = np.full((n, nn, study.spikes), np.nan)
    if study.traces:
        out["v"] = np.full((n, nn, n_samples(study)), np.nan)
    return out


def n_samples(study):
    """Samples of a stored trace (``traces`` > 0)."""
    return int(np.ceil(study.t_end / study.dt - 1e-9)) // study.traces + 1


def _record(out, i, m, summary):
    out["pattern"][i, m] = PATTERNS.index(summary["pattern"])
    for k in METRICS:
        if summary.get(k) is not None:
            out[k][i, m] = summary[k]


def run_chunk(study, start, stop, n_threads=None):
    """Results of members ``[start, stop)`` of ``study``: ``{variable: array with a leading member axis}``.

    A plain function of picklable data (what every Dask task runs). Members that fail are
    recorded in ``status`` (``REASONS[status]``), never raised.
    """
    start, stop = int(start), int(stop)
    if not 0 <= start < stop <= study.n_members:
        raise ModelError(f"chunk [{start}, {stop}) is outside the study's {study.n_members} members")
    engine = {"ensemble": _chunk_ensemble, "single": _chunk_single, "spice": _chunk_spice}[study.engine]
    return engine(study, start, stop, n_threads)


def _chunk_ensemble(study, start, stop, n_threads):
    from ..solve.ensemble import Ensemble

    values, chips, trials = study.members(start, stop)
    n = stop - start
    out = _empty(study, n)
    ens = Ensemble(study.model, params=values or None, size=n)
    noisy = bool(study.noise) or study.mismatch is not None
    res = ens.simulate(study.t_end, i_app=study.drive, dt=study.dt, method=study.method, t_record=study.t_record,
                       max_spikes=max(study.spikes, 512), save_every=study.traces, n_threads=n_threads,
                       progress=False, noise=study.noise or None, seed=study.seed if noisy else None, trials=trials,
                       chips=chips, mismatch=study.mismatch, check_step=False)  # the study checked its step
    for i, reason in res.failures.items():
        out["status"][i] = REASONS.index(reason)
    out["spike_count"][:] = res.counts.T
    for i in range(n):
        for m in range(len(res.neuron_names)):
            _record(out, i, m, res.summary(i, neuron=m))
    if study.spikes:
        out["spike_times"][:] = res.times[:, :, :study.spikes].transpose(1, 0, 2)
    if study.traces:
        out["v"][:] = res.traces.transpose(1, 0, 2)
    return out


def _chunk_single(study, start, stop, n_threads):
    from .._parallel import Workers
    from ..solve.integrator import _model_of
    from ..solve.solvers import get_solver

    values, _, _ = study.members(start, stop)
    n = stop - start
    out = _empty(study, n)
    base = _model_of(study.model)
    solver = get_solver(study.method, rtol=study.rtol, atol=study.atol, dt=study.dt)
    drive = float(np.atleast_1d(study.drive(0.0))[0])
    single = base.n_neurons == 1 and hasattr(study.model, "elements")

    def member(i, stop_event):
        cell = {path: float(vals[i]) for path, vals in values.items()}
        if single:
            cell["i_app"] = cell.get("i_app", 0.0) + drive
        try:
            patterns, metrics, reason = run_cell(base, cell, solver, study.t_end, study.t_record, study.max_steps,
                                                 stop_event)
        except SimulationError as exc:
            out["status"][i] = _REASON_OF_SOLVER.get(exc.reason, 5)
            return
        if reason is not None:
            out["status"][i] = _REASON_OF_SOLVER[reason]
        for m, p in enumerate(patterns):
            out["pattern"][i, m] = PATTERNS.index(p)
            for k in METRICS:
                out[k][i, m] = metrics[k][m]
            if np.isfinite(metrics["n_spikes"][m]):
                out["spike_count"][i, m] = int(metrics["n_spikes"][m])

    with Workers(n_threads) as workers:
        workers.run(member, range(n))
    return out


def _chunk_spice(study, start, stop, n_threads):
    from ..spice.montecarlo import run_jobs

    values, chips, _ = study.members(start, stop)
    n = stop - start
    out = _empty(study, n)
    neurons = list(range(len(study.neuron_names)))
    jobs = []
    for i in range(n):
        model = study.model.copy()
        i_app = study.drive
        for path, vals in values.items():
            if path == "i_app":
                i_app = i_app + float(vals[i])
            else:
                model.set(path, float(vals[i]))
        jobs.append((model, int(chips[i]), study.seed, study.spice["a_vt"], study.spice["a_beta"], study.t_end, i_app,
                     study.spice["max_step"], None, study.t_record, neurons, study.spice["level"]))
    results = run_jobs(jobs, n_threads or 1)
    for i, (_, summaries, failure, _) in enumerate(results):
        if failure is not None:
            out["status"][i] = 5
            continue
        for m, summary in enumerate(summaries):
            _record(out, i, m, summary)
            out["spike_count"][i, m] = summary["n_spikes"]
    return out


# -- running ---------------------------------------------------------------------------------------

def default_chunk_size(study, n_threads):
    """Members per chunk: about 32 chunks per thread (the last ones balance the load; a chunk costs ~15 ms
    on Dask), within bounds that keep each chunk worth a task (ensembles: whole 64-lane blocks)."""
    lo, hi, multiple = {"ensemble": (_LANE_BLOCK, 4096, _LANE_BLOCK), "single": (4, 256, 1),
                        "spice": (1, 4, 1)}[study.engine]
    size = -(-study.n_members // (32 * max(1, n_threads)))
    size = min(max(size, lo), hi)
    size = -(-size // multiple) * multiple
    return max(1, min(size, _CHUNK_BYTES // member_bytes(study)))


_CHUNK_BYTES = 256 * 2 ** 20  # a chunk's results (traces above all) stay well inside a worker's memory
_LANE_BLOCK = 64  # copies an ensemble integrates together (the SIMD lanes of one block)


def member_bytes(study):
    """Bytes of one member's results while its chunk runs (stored traces and spikes at full size)."""
    nn = len(study.neuron_names)
    stored = 8 * nn * (len(METRICS) + 2 + study.spikes + max(study.spikes, 512) + (n_samples(study) if study.traces
                                                                                    else 0))
    return max(1, stored)


def run_study(study, out=None, client=None, scheduler=None, workers=None, chunk_size=None, resume=False,
              overwrite=False, progress=None, on_chunk=None, timeout=10.0):
    """Run every member of ``study`` and return the results as an xarray Dataset.

    Parameters
    ----------
    study : Study, dict or spec file path
    out : str or path, optional
        A Zarr store the results stream into, chunk by chunk (per-member metrics; spike times
        and traces if the study asks for them), with the spec and the package version as
        metadata. Without it the results stay in memory.
    client : dask.distributed.Client, optional
        Run the chunks on its cluster. Or ``scheduler`` (an address, e.g.
        ``"tcp://10.0.0.5:8786"``), or ``workers`` (start a LocalCluster with that many worker
        processes for this study). None of them: in this process, on all cores.
    chunk_size : int, optional
        Members per chunk (default: :func:`default_chunk_size`). A resumed store keeps its own.
    resume : bool
        Continue the study already in ``out`` (same spec): finished chunks are not recomputed.
    overwrite : bool
        Replace a store of a different study at ``out``.
    progress : bool or None
        A progress bar (Dask's own on a cluster).
    on_chunk : callable, optional
        ``on_chunk(chunk index, chunks done, chunks in all)`` after each chunk is stored.
    timeout : float
        Seconds to wait for the scheduler.

    Returns
    -------
    xarray.Dataset
        Dimensions: the grid paths, ``chip``, ``trial``, ``neuron`` (and ``spike``, ``time``);
        variables ``pattern`` (str), the metrics, ``spike_count``, ``status`` with ``reason``
        (str). ``attrs`` hold the spec, the chunk size, and of this call ``chunks_reused``,
        ``chunks_computed``, ``seconds`` and ``dask_workers`` (0: in-process).

    A member that fails (diverging, non-finite, solver failure) is recorded with its reason;
    a chunk whose worker dies is run again on another; Ctrl-C stops the study within about a
    second, keeping every stored chunk for ``resume``.
    """
    from . import store as zstore
    from .cluster import dask_client

    if isinstance(study, dict):
        study = Study.from_dict(study)
    elif isinstance(study, str | os.PathLike):
        study = load_study(study)
    elif not isinstance(study, Study):
        raise ModelError(f"`study` must be a Study, a spec dict or a spec file, got {study!r}")
    if chunk_size is not None:
        chunk_size = v.count("chunk_size", chunk_size, 1, SolverError)
    target = None if out is None else zstore.check_target(out, study, resume=resume, overwrite=overwrite)
    if target is None:
        v.memory("out", study.n_members * zstore.stored_bytes(study), SolverError,
                 what=f"the results of {study.n_members} members kept in memory (no `out` store)",
                 advice="give `out`, a Zarr store, and spike times and traces stay on disk")
    with dask_client(client, scheduler, workers, timeout) as dclient:
        threads = dclient_threads(dclient)
        if target is not None and target.existing is not None:
            chunk_size = target.existing.chunk_size
        size = chunk_size or default_chunk_size(study, threads)
        v.memory("chunk_size", float(size) * member_bytes(study), SolverError,
                 what=f"the results of a chunk of {size} members")
        n = study.n_members
        bounds = [(a, min(a + size, n)) for a in range(0, n, size)]
        sink = zstore.open_sink(target, study, size, len(bounds)) if target is not None else zstore.MemorySink(study)
        todo = [k for k in range(len(bounds)) if not sink.done(k)]
        reused = len(bounds) - len(todo)
        if study.engine == "ensemble":
            from ..solve.ensemble import warn_if_long

            warn_if_long(sum(bounds[k][1] - bounds[k][0] for k in todo), int(np.ceil(study.t_end / study.dt - 1e-9)),
                         len(study.neuron_names), threads, "this study")

        count = [reused]

        def finish(k, result):
            sink.write(k, bounds[k], result)
            count[0] += 1
            if on_chunk is not None:
                on_chunk(k, count[0], len(bounds))

        started = time.perf_counter()
        if dclient is None:
            _run_local(study, bounds, todo, finish, progress)
        else:
            _run_dask(dclient, study, bounds, todo, finish, progress)
        elapsed = time.perf_counter() - started
        n_workers = 0 if dclient is None else len(dclient.nthreads())
    sink.close()
    ds = sink.dataset()
    ds.attrs.update(chunks_reused=reused, chunks_computed=len(todo), chunk_size=size, seconds=elapsed,
                    dask_workers=n_workers)
    diverged = int(np.count_nonzero(ds["status"].values > 0))
    cause = study.divergence_cause() if diverged else None
    if cause is not None:
        from ..errors import NeuromorphWarning

        ds.attrs["diverged_because"] = cause
        v.warn(f"{diverged} of {study.n_members} members diverged: {cause}", NeuromorphWarning)
    return ds


def dclient_threads(dclient):
    """Threads that run chunks: every core here, or every worker thread of the cluster."""
    if dclient is None:
        return os.cpu_count() or 1
    return max(1, sum(dclient.nthreads().values()))


def _run_local(study, bounds, todo, finish, progress):
    from .._progress import Progress

    bar = Progress(0, len(todo), label="study", enabled=progress)
    try:
        for j, k in enumerate(todo):
            a, b = bounds[k]
            finish(k, run_chunk(study, a, b))
            bar.update(j + 1)
    finally:
        bar.close()


def _run_dask(client, study, bounds, todo, finish, progress):
    import uuid

    from distributed import CancelledError, as_completed
    from distributed.scheduler import KilledWorker

    from ..errors import ClusterError

    futures = {}
    run = f"neuromorph-{study.fingerprint()[:12]}-{uuid.uuid4().hex[:8]}"  # never the key of an older run's task
    for k in todo:
        a, b = bounds[k]
        # One thread per task: Dask runs as many tasks at once as each worker has threads.
        futures[client.submit(run_chunk, study, a, b, 1, key=f"{run}-{a}-{b}", pure=False, retries=2)] = k
    if progress:
        _dask_progress(list(futures), client.scheduler.address)
    try:
        for fut in as_completed(list(futures), loop=client.loop):
            if interrupted():
                raise KeyboardInterrupt
            finish(futures[fut], fut.result())
    except (KilledWorker, CancelledError, OSError) as exc:
        client.cancel(list(futures))
        raise ClusterError(f"the cluster lost the study ({type(exc).__name__}: {exc}); every finished chunk is "
                           "stored: run it again with resume=True (--resume)") from None
    except BaseException:
        client.cancel(list(futures))
        raise


def _dask_progress(futures, address):
    """Dask's own progress bar (a widget in Jupyter, text on a terminal), beside the collection of results."""
    import threading

    from distributed import progress

    try:
        from IPython import get_ipython

        if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
            progress(futures, scheduler=address)
            return
    except ImportError:
        pass
    threading.Thread(target=progress, args=(futures,), kwargs={"notebook": False, "scheduler": address},
                     daemon=True).start()
