"""A study as data: :class:`Study` (the model, a grid of parameter values, chips, trials, the solver, what to
record), read from a TOML spec file by :func:`load_study`, and the sizes of its results.

The description apart from the runner (:mod:`.runner` runs it, :mod:`.store` keeps its results): see
:mod:`neuromorph.studies.runner` for what a study is and how its members are ordered.
"""

import hashlib
import json
import numbers
import os

import numpy as np

from .. import _validate as v
from ..analysis.spikes import settled_window
from ..errors import ModelError, SolverError, StimulusError
from .member import METRICS, parse_axis, step_limit

__all__ = ["Study", "load_study", "how_many", "n_samples", "trace_times", "member_bytes", "default_chunk_size"]

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
            out.append({"kind": "white", "sigma": s.sigma, **({} if s.target is None else {"target": list(s.target)}),
                        **({} if s.path_dt is None else {"path_dt": s.path_dt})})
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
            out.append(WhiteNoise(item.get("sigma", 0.0), item.get("target"), item.get("path_dt")))
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
        The first axis is the outermost. Default None: no grid (chips and trials only).
    chips, trials : int or sequence of int, default 1
        Chips (draws of ``mismatch``, or of transistor mismatch for ``method="spice"``) and trials
        (draws of the intrinsic ``noise``): a count or explicit ids.
    t_end : float, default 20000
        Duration of every member's run (dimensionless time).
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
    rtol, atol : float, optional
        Tolerances of an adaptive method (default: the method's own).
    max_steps : int, default 50_000_000
        Step limit of each single run (adaptive solver option).
    spikes : int, default 0
        Store the first ``spikes`` spike times of every member and neuron (fixed-step engines).
    traces : int, default 0
        Store every neuron's membrane voltage every ``traces`` steps (fixed-step engines).
    spice : dict, optional
        ``method="spice"`` options: ``level`` ("transistor" default, or "behavioural"),
        ``a_vt`` (V um, default 5e-3), ``a_beta`` (default 0.01), ``max_step`` (default 0.2).

    Raises
    ------
    CircuitFileError
        If ``model`` is a string that names no preset or readable circuit file.
    ModelError
        If ``model`` is not a neuron, a network or a name; if ``grid`` is malformed, names an axis twice
        or by a reserved name (``chip``, ``trial``, ``neuron``, ``member``, ``spike``, ``time``), names no
        parameter of the model or holds a value the parameter refuses; if ``chips`` or ``trials`` is
        not a count >= 1 or distinct ids in [0, 2**32); if ``noise`` or ``mismatch`` is malformed (or a
        chip's draw gives a non-positive time constant or capacitance); or if the members' results
        would not fit in memory.
    StimulusError
        If ``drive`` is not a number or a Stimulus.
    SolverError
        If ``t_end`` is not > 0; ``t_record`` is negative or not < ``t_end``; ``seed`` is not an integer
        in [0, 2**64); ``rtol``, ``atol`` or ``dt`` is not > 0; ``max_steps`` < 1; ``spikes`` or
        ``traces`` < 0 (or beyond the memory); ``method`` is unknown, not a name, or not run by
        ``engine``; ``engine`` is unknown; ``noise``, ``mismatch``, ``spikes``, ``traces``, several trials
        or chips, or a varying ``drive`` are asked of an engine without them; ``spice`` options are
        unknown, given without ``method="spice"`` or out of range; ``dt`` is far beyond the method's
        stability limit (every member would diverge); or a noisy run would take 2**32 steps or more.

    Examples
    --------
    A study is data: making one checks it and runs nothing.

    >>> import neuromorph as nm
    >>> study = nm.Study("tonic", grid={"i_app": "-1:0:3", "slow_positive.alpha": [1.5, 2.5]}, chips=2,
    ...                  mismatch={"gain": 0.05}, t_end=600, seed=1)
    >>> study
    Study('tonic_spiking', 12 members: grid i_app[3], slow_positive.alpha[2] x 2 chip(s) x 1 trial(s),
          method 'rk4', t_end 600)
    >>> study.dims, study.shape, study.engine, study.dt, study.t_record
    (('i_app', 'slow_positive.alpha', 'chip', 'trial'), (3, 2, 2, 1), 'ensemble', 0.05, 300.0)
    >>> values, chips, trials = study.members(0, 3)  # members in C order: the chip varies fastest here
    >>> values["slow_positive.alpha"].tolist(), chips.tolist(), trials.tolist()
    ([1.5, 1.5, 2.5], [0, 1, 0], [0, 0, 0])
    >>> nm.Study.from_dict(study.to_dict()).fingerprint() == study.fingerprint()
    True
    """

    def __init__(self, model, grid=None, chips=1, trials=1, t_end=20_000.0, t_record=None, dt=None, method=None,
                 drive=None, noise=None, mismatch=None, seed=0, rtol=None, atol=None, max_steps=50_000_000,
                 spikes=0, traces=0, spice=None, engine=None):
        from ..io.circuits import as_model
        from ..model.network import Network
        from ..model.neuron import Neuron
        from ..model.stimulus import Constant, as_stimulus
        from ..model.variability import as_mismatch

        model = as_model(model)
        if not isinstance(model, Neuron | Network):
            raise ModelError(f"`model` must be a Neuron, a Network, a preset name or a circuit file, got {model!r}")
        self.model = model
        self.grid = _grid(grid)
        from ..lower.compile import as_compiled_model

        base = as_compiled_model(self.model)
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

    def _step_limit(self, base, radius, members=None):
        """The largest stability limit (:mod:`neuromorph.solve.stability`) over up to 16 members spread over the
        grid, on the first chip (or spread over ``members``, flat indexes, each on its own chip); None if not
        computed (large models)."""
        from ..solve.ensemble import Ensemble
        from ..solve.stability import MAX_STATES

        if base.n_states > MAX_STATES:
            return None
        if members is not None and self.engine == "ensemble":
            members = np.asarray(members, dtype=np.int64)
            picks = members[np.unique(np.linspace(0, members.size - 1, min(members.size, 16)).astype(np.int64))]
            index = np.unravel_index(picks, self.shape)
            chips = self.chips[index[-2]]
        else:
            shape = tuple(a.size for a in self.grid.values())
            k = int(np.prod(shape))
            picks = np.unique(np.linspace(0, k - 1, min(k, 16)).astype(np.int64))
            index = np.unravel_index(picks, shape) if shape else ()
            chips = np.full(picks.size, self.chips[0], dtype=np.int64)
        values = {path: axis[i] for (path, axis), i in zip(self.grid.items(), index, strict=False)}
        if self.engine == "single":  # each member a single run of the model with its values, as run_cell runs it
            return step_limit(base, picks.size, lambda j: {p: float(x[j]) for p, x in values.items()}, radius)
        ens = Ensemble(base, params=values or None, size=picks.size)
        y = np.repeat(base.y0[:, None], picks.size, axis=1)
        return ens._stable_step(radius, ens._copies(self.mismatch, self.seed, chips), y, range(picks.size))

    def divergence_cause(self, members=None):
        """Why members diverged, if the study's fixed step is beyond the stability limit; else None.

        ``members`` (flat indexes, e.g. those that diverged): the limit is that of up to 16 of them, each on its
        own chip, as an ensemble names it for its copies that diverged (default: spread over the grid, on the
        first chip)."""
        from ..lower.compile import as_compiled_model
        from ..solve.stability import beyond_limit

        fixed = self._fixed_step()
        if fixed is None:
            return None
        dt, name, radius = fixed
        return beyond_limit(dt, name, self._step_limit(as_compiled_model(self.model), radius, members))

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

    The file's keys are :class:`Study`'s arguments (``[grid]``, ``[noise]``, ``[mismatch]`` and
    ``[spice]`` as tables, ``drive`` a number or a table of a stimulus).

    Parameters
    ----------
    path : str or path-like
        The spec file (TOML).

    Returns
    -------
    Study
        The study the file describes, checked as :class:`Study` checks its arguments.

    Raises
    ------
    CircuitFileError
        If ``path`` does not exist or is not valid TOML, or if the spec is refused (an unknown setting,
        no ``model``, or any value :class:`Study` refuses: the message names the file and the reason).

    Examples
    --------
    >>> import os, tempfile
    >>> import neuromorph as nm
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "study.toml")
    ...     with open(path, "w") as f:
    ...         _ = f.write('model = "tonic"\\nt_end = 600\\nchips = 2\\nseed = 1\\n'
    ...                     '[grid]\\ni_app = "-1:0:3"\\n[mismatch]\\ngain = 0.05\\n')
    ...     study = nm.load_study(path)
    >>> study
    Study('tonic_spiking', 6 members: grid i_app[3] x 2 chip(s) x 1 trial(s), method 'rk4', t_end 600)
    >>> study.grid["i_app"].tolist(), study.mismatch.gain
    ([-1.0, -0.5, 0.0], 0.05)

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


# -- sizes -----------------------------------------------------------------------------------------

def n_samples(study):
    """Samples of a stored trace (``traces`` > 0)."""
    return int(np.ceil(study.t_end / study.dt - 1e-9)) // study.traces + 1


def trace_times(study):
    """Times of a stored trace's samples (``traces`` > 0): every ``traces`` steps, the last one at most ``t_end``."""
    t = study.dt * study.traces * np.arange(n_samples(study))
    t[-1] = min(t[-1], study.t_end)
    return t


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
