"""Holding a rhythm while the circuit runs: event-based adaptation of a few gains, one update per burst.

The controller watches the reference neuron's spikes as the run goes (an :class:`~neuromorph.Integrator`,
advanced a fraction of a period at a time). Each time a burst completes it measures the last period, the
spikes of the last burst and its duty cycle, and moves the adjusted gains by a damped Newton step on the
outputs the :class:`Rhythm` sets (the log of the period, spikes per burst, duty cycle, the phases of other
neurons' bursts in a network, taken the short way round the cycle): ``dtheta = -k J^+ e``,
each gain's step bounded and every gain saturated at its bounds. The sensitivities ``J`` start from the design
model (finite differences, before the run) and are corrected on the circuit itself after every update
(Broyden's rule), so a chip whose mismatch changed them is still steered the right way. When no burst comes for
``patience`` target periods (a step left the bursting region), the gains go back halfway to the last ones that
burst.

This is the event-triggered gain adaptation of the neuromorphic-control literature (Schmetterling, Forni,
Franci & Sepulchre, arXiv 2404.05339: the slow negative and ultraslow positive gains adapted within bounds to
reach a target rhythm), in a form that reads only what a bench measures: spike times.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..analysis.spikes import analyse_spikes
from ..errors import ModelError
from .rhythm import Rhythm, RhythmReport

__all__ = ["RhythmController", "ControlResult", "ControlLoop"]


def _outputs(rhythm):
    """The rhythm's controlled outputs, in order: ``period`` (as its log), ``spikes_per_burst``, ``duty_cycle``,
    then the phases (``"phase"`` or ``"phase[NODE]"``, circular, in cycles)."""
    return [key for key in ("period", "spikes_per_burst", "duty_cycle") if getattr(rhythm, key) is not None] + list(
        rhythm._phases())


def _knobs(model, keys):
    """``{key: [(path, weight), ...]}``: what each adjusted key moves. A path moves itself (weight 1); ``"*.PATH"``
    in a network moves every node's ``NODE.PATH`` together, each as its own start value times the setting over
    the nodes' mean start (one bias line for all, each neuron keeping its own mismatch)."""
    out = {}
    for key in keys:
        if key.startswith("*."):
            nodes = getattr(model, "node_names", None)
            if not nodes:
                raise ModelError(f"{key!r} moves a parameter of every node of a network; this model is a single neuron")
            paths = [f"{node}.{key[2:]}" for node in nodes]
            starts = np.array([float(model.get(path)) for path in paths])
            mean = float(starts.mean())
            if mean == 0.0:
                raise ModelError(f"{key!r}: the nodes' values average 0, so they cannot be scaled together")
            out[key] = [(path, float(x) / mean) for path, x in zip(paths, starts)]
        else:
            model.get(key)  # (an error names the parameters)
            out[key] = [(key, 1.0)]
    return out


def _setting(model, members):
    """The setting of a knob on ``model``: the members' mean value over their weights' mean."""
    return float(np.mean([float(model.get(path)) for path, _ in members]) / np.mean([w for _, w in members]))


def _apply(setter, members, value):
    for path, weight in members:
        setter(path, weight * value)


def _measure(model, knobs, values, i_app, n_periods, target):
    """The rhythm of ``model`` with the knobs at ``values``: :meth:`Rhythm.check`'s measures over the last
    ``n_periods`` periods (NaN where it does not burst)."""
    work = model.copy()
    for key, value in values.items():
        _apply(work.set, knobs[key], value)
    t_end = (n_periods + 4) * (target.period or 2500.0)
    return target.check(work.simulate(t_end, i_app=i_app), t_start=0.4 * t_end).measured


def _vector(measured, outputs):
    out = []
    for key in outputs:
        x = measured.get(key)
        x = math.nan if x is None else float(x)
        out.append(math.log(x) if key == "period" and x > 0 else x)
    return np.array(out)


@dataclass(frozen=True)
class RhythmController:
    """Adapt a few gains while the circuit runs until its rhythm meets ``target``, and hold it there.

    Parameters
    ----------
    target : Rhythm
        The rhythm to reach: its period, spikes per burst, duty cycle and, in a network, phases (those it sets)
        are controlled, and its tolerances say when the rhythm is reached.
    adjust : list of str
        Paths of the gains the controller moves (``"slow_negative.alpha"``, ``"ultraslow_positive.alpha"``). In a
        network, ``"*.slow_negative.alpha"`` moves every node's together (one setting, each node's gain its own
        start value times the setting over the nodes' mean: a bias line shared by mismatched neurons), and a
        node's own path (``"n2.leak.g"``) moves that node alone: a phase needs one such knob per phase, since a
        setting shared by all nodes moves them together.
    bounds : dict
        ``{path: (low, high)}`` for every adjusted gain: the gains never leave them.
    max_step : float or dict, default 0.05
        Largest change of a gain in one update, as a fraction of its bounds' span (or ``{path: fraction}``).
    rate : float, default 0.5
        Fraction of the Newton step taken per update, in (0, 1].
    patience : float, default 3.0
        Target periods without a burst after which the gains go back halfway to the last that burst.
    settle : int, default 1
        Whole periods left to pass after a change before the next period is measured: a circuit's slow
        variables take about a period to follow new gains (the bursting neuron's ultraslow filter, 2500 time
        units), and a period measured while they do misleads the next step.

    Raises
    ------
    ModelError
        If ``target`` is not a Rhythm or sets nothing the controller holds; ``adjust`` is empty or repeats a
        path; a path has no bounds, or bounds that are not ``low < high``; a number is out of range.

    Examples
    --------
    >>> import neuromorph as nm
    >>> bounds = {"slow_negative.alpha": (-2.2, -1.2), "ultraslow_positive.alpha": (1.3, 2.8)}
    >>> ctrl = nm.RhythmController(nm.Rhythm(period=4000, tolerance=0.02), adjust=list(bounds), bounds=bounds)
    >>> out = ctrl.run("bursting", 80_000, i_app=-2.0)
    >>> out.reached, {path: round(value, 2) for path, value in out.values.items()}
    (True, {'slow_negative.alpha': -1.62, 'ultraslow_positive.alpha': 1.31})
    >>> round(out.model.simulate(25_000, i_app=-2.0).summary()["burst_period"])  # the tuned chip, on its own
    4011

    A half-centre oscillator whose second neuron leaks 8 % more than the first is out of anti-phase; one
    setting for both ultraslow gains (the period) and the second neuron's leak (the phase) bring it back:

    >>> chip = nm.hco().set("n2.leak.g", 1.08)
    >>> target = nm.Rhythm(period=2270, phase=0.5, tolerance=0.02)
    >>> round(float(target.check(chip.simulate(30_000)).measured["phase"]), 2)
    0.38
    >>> bounds = {"*.ultraslow_positive.alpha": (1.0, 2.2), "n2.leak.g": (0.6, 1.4)}
    >>> out = nm.RhythmController(target, adjust=list(bounds), bounds=bounds).run(chip, 60_000, design="hco")
    >>> report = target.check(out.model.simulate(30_000))
    >>> report.met, round(float(report.measured["phase"]), 2)
    (True, 0.5)
    """

    target: Rhythm
    adjust: tuple
    bounds: dict
    max_step: object = 0.05
    rate: float = 0.5
    patience: float = 3.0
    settle: int = 1

    def __post_init__(self):
        if not isinstance(self.target, Rhythm):
            raise ModelError(f"`target` must be an nm.Rhythm, got {type(self.target).__name__}")
        _outputs(self.target)
        adjust = (self.adjust,) if isinstance(self.adjust, str) else tuple(self.adjust)
        if not adjust or not all(isinstance(p, str) for p in adjust):
            raise ModelError(f"`adjust` must name the gains to move (paths), got {self.adjust!r}")
        if len(set(adjust)) != len(adjust):
            raise ModelError(f"`adjust` names a path twice: {list(adjust)}")
        object.__setattr__(self, "adjust", adjust)
        if not isinstance(self.bounds, dict):
            raise ModelError(f"`bounds` must be a dict {{path: (low, high)}}, got {self.bounds!r}")
        clean = {}
        for path in adjust:
            if path not in self.bounds:
                raise ModelError(f"`bounds` gives none for {path!r}: every adjusted gain needs (low, high)")
            try:
                lo, hi = self.bounds[path]
            except (TypeError, ValueError):
                raise ModelError(f"`bounds[{path!r}]` must be (low, high), got {self.bounds[path]!r}") from None
            lo, hi = check.real(f"bounds[{path!r}] low", lo), check.real(f"bounds[{path!r}] high", hi)
            if not lo < hi:
                raise ModelError(f"`bounds[{path!r}]` must be low < high, got ({lo:g}, {hi:g})")
            clean[path] = (lo, hi)
        extra = sorted(set(self.bounds) - set(adjust))
        if extra:
            raise ModelError(f"`bounds` names {extra}, which are not adjusted ({', '.join(adjust)})")
        object.__setattr__(self, "bounds", clean)
        steps = self.max_step if isinstance(self.max_step, dict) else {p: self.max_step for p in adjust}
        fractions = {}
        for path in adjust:
            value = check.positive(f"max_step[{path!r}]", steps.get(path, 0.05))
            if value > 1.0:
                raise ModelError(f"`max_step` of {path!r} is a fraction of its bounds' span, in (0, 1]; got {value:g}")
            fractions[path] = value
        object.__setattr__(self, "max_step", fractions)
        rate = check.positive("rate", self.rate)
        if rate > 1.0:
            raise ModelError(f"`rate` must lie in (0, 1], got {rate:g}")
        object.__setattr__(self, "rate", rate)
        object.__setattr__(self, "patience", check.positive("patience", self.patience))
        object.__setattr__(self, "settle", check.count("settle", self.settle, 0))

    def run(self, model, t_end, i_app=None, schedule=None, solver=None, start=None, design=None):
        """Run ``model`` from t = 0 to ``t_end`` with the controller on.

        Parameters
        ----------
        model : Neuron, Network or str
            The circuit (a chip: its actual values). Its current gains are where the adjusted ones start,
            unless ``start`` gives them.
        t_end : float
        i_app : float, optional
            Applied current (default: the model's own).
        schedule : list of (float, dict), optional
            Changes the controller does not know of, ``[(t, {path: value}), ...]``: a step of ``i_app``, a
            temperature-like shift of a gain.
        solver : Solver or str, optional
            The integration method (default: the adaptive default).
        start : dict, optional
            ``{path: value}`` of the adjusted gains at t = 0 (default: the model's).
        design : Neuron, Network or str, optional
            The model the starting sensitivities are measured on (default: ``model`` itself). A chip's
            designer knows the design, not the chip: with ``design`` the controller starts from the design's
            sensitivities, with the adjusted gains at their start, and corrects them on the chip as it runs.

        Returns
        -------
        ControlResult

        Raises
        ------
        ModelError
            If an adjusted path is not a parameter of the model, a start value lies outside its bounds, a phase's
            neuron is not in the model, or the schedule is malformed.
        """
        from ..io.circuits import as_model
        from ..solve.integrator import Integrator

        chip = as_model(model).copy()
        t_end = check.positive("t_end", t_end)
        knobs, values = self.prepare(chip, start)
        for path, value in values.items():
            _apply(chip.set, knobs[path], value)
        events = sorted((check.nonnegative("schedule time", t), dict(changes)) for t, changes in (schedule or []))
        if design is None:
            loop = self.loop(chip, knobs, values, i_app)
        else:
            design = as_model(design).copy()
            for path, value in values.items():
                _apply(design.set, _knobs(design, [path])[path], value)
            loop = self.loop(design, knobs, values, i_app)
        run = Integrator(chip, i_app=i_app, solver=solver, record=())
        t = 0.0
        while t < t_end:
            t_next = min(t + loop.chunk, t_end)
            while events and events[0][0] <= t_next:
                t_event, changes = events.pop(0)
                if t_event > t:
                    run.advance(t_event)
                    t = t_event
                for path, value in changes.items():
                    run.set_parameter(path, value)
            run.advance(t_next)
            t = t_next
            _, _, new, neurons = run.take()
            if loop.feed(t, {k: new[neurons == k] for k in loop.neurons}):
                for path, value in loop.values.items():
                    _apply(run.set_parameter, knobs[path], value)
        tuned = chip.copy()
        for path, value in loop.values.items():
            _apply(tuned.set, knobs[path], value)
        return ControlResult(self, tuple(loop.history), dict(loop.values), tuned)

    def prepare(self, model, start=None):
        """``(knobs, values)``: what each adjusted key moves on ``model`` (see ``adjust``) and where it starts
        (``start``, else the model's own setting), checked against the bounds."""
        knobs = _knobs(model, self.adjust)
        values = {key: _setting(model, members) for key, members in knobs.items()}
        for path, value in (start or {}).items():
            if path not in values:
                raise ModelError(f"`start` names {path!r}, which is not adjusted ({', '.join(self.adjust)})")
            values[path] = check.real(f"start[{path!r}]", value)
        for path, value in values.items():
            lo, hi = self.bounds[path]
            if not lo <= value <= hi:
                raise ModelError(f"{path!r} starts at {value:g}, outside its bounds [{lo:g}, {hi:g}]: widen the "
                                 "bounds or give `start`")
        return knobs, values

    def loop(self, design, knobs, values, i_app=None, jac=None):
        """A :class:`ControlLoop` for one circuit starting at ``values``, its sensitivities measured on ``design``
        (a model with the knobs at ``values``) unless ``jac`` gives them (one measure for many chips)."""
        names = tuple(getattr(design, "node_names", None) or ("neuron",))
        ref = check.member(names, self.target.neuron)
        phases = self.target._phase_nodes(names, ref)
        outputs = _outputs(self.target)
        if jac is None:
            jac = self.design_jacobian(design, knobs, values, i_app)
        return ControlLoop(self, dict(values), np.array(jac, float), outputs, ref, phases)

    def run_chips(self, model, t_end, mismatch=None, chips=100, seed=0, i_app=0.0, dt=0.1, method="rk4",
                  t_record=None, n_threads=None, progress=None, params=None):
        """Every chip its own controller: ``chips`` copies of ``model`` drawn from ``mismatch``, run together in the
        ensemble engine, each with a controller moving its own settings once per burst.

        Every controller starts from the design's settings and sensitivities (measured once on ``model``) and
        corrects them on its own chip. A chip's gain runs at ``setting x (1 + its mismatch)``, as a bias set on
        a chip would; the chips and their draws are those of :func:`~neuromorph.yield_of` with the same ``seed``.

        Parameters
        ----------
        model : Neuron, Network or str
            The design.
        t_end : float
        mismatch : Mismatch, optional
        chips : int, default 100
        seed : int, default 0
        i_app : float or Stimulus, default 0.0
            Every chip's applied current (a step of it is a disturbance the controllers do not know of). A
            network's chips run on their nodes' own currents: leave it at 0.
        dt : float, default 0.1
        method : str, default "rk4"
        t_record : float, optional
            Keep the spikes from here on in the returned run.
        n_threads : int, optional
        progress : bool, optional
        params : dict, optional
            ``{path: array}``: each chip's own settings to start from (a :class:`Retuning`'s ``settings``: the
            controllers then take on what retuning left); an adjusted gain starts at its chip's value.

        Returns
        -------
        ChipsControl

        Raises
        ------
        ModelError
            As :meth:`run` does, if ``chips`` is not an integer >= 1, or an adjusted path is a time constant.
        SolverError
            If the run's settings are refused (as by :meth:`Ensemble.simulate`).

        Examples
        --------
        >>> import neuromorph as nm
        >>> ctrl = nm.RhythmController(nm.Rhythm(period=3000, tolerance=0.02), adjust=["ultraslow_positive.alpha"],
        ...                            bounds={"ultraslow_positive.alpha": (1.0, 2.8)})
        >>> out = ctrl.run_chips("bursting", 60_000, nm.Mismatch(gain=0.03), chips=8, seed=2, i_app=-2.0)
        >>> int(out.reached.sum()), out.values["ultraslow_positive.alpha"].shape
        (8, (8,))
        """
        from .chips import run_chips

        return run_chips(self, model, t_end, mismatch, chips, seed, i_app, dt, method, t_record, n_threads, progress,
                         params)

    @staticmethod
    def _trusted(jac, design):
        """Broyden's correction kept within a factor of 3 of the design sensitivities, with their signs: a change
        of the rhythm the gains did not cause (a step of the applied current between two updates) would
        otherwise be read as a sensitivity, and could turn the controller the wrong way."""
        sure = np.abs(design) > 1e-9
        low, high = np.abs(design) / 3.0, 3.0 * np.abs(design)
        kept = np.where(sure, np.sign(design) * np.clip(np.sign(design) * jac, low, high), jac)
        return kept

    def _step(self, jac, error, values):
        """The damped Newton step ``-rate J^+ e`` over the gains free to move: a gain at a bound that the step
        pushes outward is left out and the step solved again over the others (else its share would be lost)."""
        active = np.ones(len(self.adjust), bool)
        step = np.zeros(len(self.adjust))
        for _ in range(len(self.adjust)):
            step = np.zeros(len(self.adjust))
            if not active.any():
                break
            step[active] = -self.rate * (np.linalg.pinv(jac[:, active]) @ np.nan_to_num(error))
            blocked = [j for j, p in enumerate(self.adjust) if active[j] and (
                (values[p] <= self.bounds[p][0] and step[j] < 0) or (values[p] >= self.bounds[p][1] and step[j] > 0))]
            if not blocked:
                break
            active[blocked] = False
        return step

    def design_jacobian(self, model, knobs, values, i_app=None):
        """Sensitivities of the outputs to the adjusted gains on the design model (one-sided differences of 2 %
        of each gain's span), where the controller starts; a gain whose change leaves the rhythm undefined gets
        a zero column (Broyden's rule fills it in as the run goes)."""
        outputs = _outputs(self.target)
        base = _vector(_measure(model, knobs, values, i_app, 6, self.target), outputs)
        jac = np.zeros((len(outputs), len(self.adjust)))
        for j, path in enumerate(self.adjust):
            lo, hi = self.bounds[path]
            h = 0.02 * (hi - lo) * (1.0 if values[path] + 0.02 * (hi - lo) <= hi else -1.0)
            moved = _vector(_measure(model, knobs, {**values, path: values[path] + h}, i_app, 6, self.target), outputs)
            column = _wrapped(moved - base, outputs) / h
            jac[:, j] = np.where(np.isfinite(column), column, 0.0)
        return jac


def _wrapped(difference, outputs):
    """``difference`` of two output vectors with the phases' components taken the short way round the cycle."""
    out = np.array(difference, dtype=float)
    for i, key in enumerate(outputs):
        if key.startswith("phase"):
            out[i] = (out[i] + 0.5) % 1.0 - 0.5
    return out


class ControlLoop:
    """One circuit's controller as it runs: fed the circuit's spike times (:meth:`feed`), it measures each
    completed period and moves the adjusted gains (:attr:`values`) once per burst.

    Made by :meth:`RhythmController.loop`; :meth:`RhythmController.run` drives one with an Integrator, an
    ensemble run one per chip, and the tuner one on its live circuit.

    Attributes
    ----------
    values : dict
        The adjusted gains now (``{path: value}``); apply them to the circuit when :meth:`feed` returns True.
    history : list
        One row per burst, as in :attr:`ControlResult.history`.
    neurons : list of int
        The neurons whose spikes :meth:`feed` needs (the reference, then the phases').
    chunk : float
        How far to run between two calls of :meth:`feed` (an eighth of the last period).
    """

    def __init__(self, ctrl, values, jac, outputs, reference, phases):
        self.ctrl = ctrl
        target = ctrl.target
        self.values = values
        self.jac, self.design = jac.copy(), jac
        self.outputs = outputs
        self.goal = _vector({"period": target.period, "spikes_per_burst": target.spikes_per_burst,
                             "duty_cycle": target.duty_cycle, **target._phases()}, outputs)
        self.reference, self.phases = reference, phases
        self.neurons = [reference] + [k for k in phases.values() if k != reference]
        self.spikes = {k: np.empty(0) for k in self.neurons}
        self.period_guess = target.period or 2500.0
        self.seen = -math.inf  # start of the last burst used
        self.starts, self.history = [], []
        self.last_good = dict(values)
        self.last_burst_t = 0.0
        self.previous = None  # (theta, y) at the last update: Broyden's secant
        self.t_changed = -math.inf  # when the gains last changed
        self.pending = False  # spikes came that no measured burst holds yet

    @property
    def chunk(self):
        return max(self.period_guess, 1.0) / 8.0

    def _phases_of(self, s0, s1, lo, t):
        """Each phase node's first burst start in ``[s0, s1)``, as a fraction of that period (NaN if none)."""
        out = {}
        for key, k in self.phases.items():
            bursts = analyse_spikes(self.spikes[k], lo, t).bursts
            inside = [float(b[0]) for b in bursts if s0 <= b[0] < s1]
            out[key] = (inside[0] - s0) / (s1 - s0) if inside else math.nan
        return out

    def feed(self, t, new):
        """Take the spikes of ``[last call, t]`` (``{neuron: times}``); return True if the gains changed."""
        ctrl = self.ctrl
        waited = t - self.last_burst_t > ctrl.patience * (ctrl.target.period or self.period_guess)
        if any(np.size(x) for x in new.values()):
            self.pending = True
        elif not waited and not self.pending:
            return False  # every spike belongs to a burst already measured: nothing new
        lo = max(0.0, t - 6.0 * max(self.period_guess, 1.0))
        for k in self.neurons:
            spikes = np.concatenate([self.spikes[k], np.asarray(new.get(k, ()), float)])
            self.spikes[k] = spikes[spikes >= t - 8.0 * max(self.period_guess, 1.0)]
        changed = False
        fresh = [b for b in analyse_spikes(self.spikes[self.reference], lo, t).bursts if b[0] > self.seen + 1e-9]
        for burst in fresh:
            self.seen = float(burst[0])
            self.starts.append((self.seen, float(burst[-1]), int(burst.size)))
            self.last_burst_t = self.seen
            self.last_good = dict(self.values)
            if len(self.starts) < 2:
                continue
            (s0, e0, n0), (s1, _, _) = self.starts[-2], self.starts[-1]
            period = s1 - s0
            self.period_guess = period
            measured = {"period": period, "spikes_per_burst": n0, "duty_cycle": (e0 - s0) / period,
                        **self._phases_of(s0, s1, lo, t)}
            clean = sum(1 for b in self.starts if b[0] >= self.t_changed)
            if clean < 2 + ctrl.settle:  # periods that began before the last change (or within `settle`
                # periods of it) are a mixture of old and new gains: recorded, but no step is taken on them
                self._record(s1, measured, False)
                continue
            y = _vector(measured, self.outputs)
            theta = np.array([self.values[p] for p in ctrl.adjust])
            if self.previous is not None:
                dtheta, dy = theta - self.previous[0], _wrapped(y - self.previous[1], self.outputs)
                if np.all(np.isfinite(dy)) and float(dtheta @ dtheta) > 0.0:
                    self.jac = ctrl._trusted(
                        self.jac + np.outer(dy - self.jac @ dtheta, dtheta) / float(dtheta @ dtheta), self.design)
            self.previous = (theta, y)
            step = ctrl._step(self.jac, _wrapped(y - self.goal, self.outputs), self.values)
            for j, path in enumerate(ctrl.adjust):
                low, high = ctrl.bounds[path]
                most = ctrl.max_step[path] * (high - low)
                self.values[path] = float(np.clip(self.values[path] + np.clip(step[j], -most, most), low, high))
            self.t_changed = t
            changed = True
            self._record(s1, measured, True)
        ref = self.spikes[self.reference]
        self.pending = bool(ref.size) and not (self.starts and ref[-1] <= self.starts[-1][1])
        if t - self.last_burst_t > ctrl.patience * (ctrl.target.period or self.period_guess) and t > self.last_burst_t:
            for path in ctrl.adjust:  # no burst for too long: halfway back to the last gains that burst
                self.values[path] = 0.5 * (self.values[path] + self.last_good[path])
            self.t_changed = t
            self.last_burst_t = t
            self.previous = None
            changed = True
            self._record(t, {}, True)
        return changed

    def moved(self, t, values):
        """Take ``{key: value}`` set from outside at time ``t`` (a user moving a held gain by hand) as the
        controller's own: it carries on from there, and the periods of the next ``settle`` cycles, which mix the
        old value and the new, are not stepped on."""
        for key, value in values.items():
            if key not in self.values:
                raise ModelError(f"{key!r} is not adjusted by this controller ({', '.join(self.values)})")
            lo, hi = self.ctrl.bounds[key]
            self.values[key] = float(np.clip(check.real(key, value), lo, hi))
        self.t_changed = t
        self.previous = None  # (a secant across a change the controller did not make would mislead Broyden's rule)

    def _record(self, t, measured, updated):
        self.history.append((t, measured.get("period", math.nan), measured.get("spikes_per_burst", 0),
                             measured.get("duty_cycle", math.nan), dict(self.values), updated,
                             {key: measured.get(key, math.nan) for key in self.phases}))


@dataclass(frozen=True, eq=False)
class ControlResult:
    """What :meth:`RhythmController.run` returns: every update, the final gains and the chip with them set.

    Parameters
    ----------
    controller : RhythmController
    history : tuple
        One row per burst (from the second): ``(t, period, spikes of the burst before, its duty cycle,
        {path: value after it}, whether the gains were updated, {phase criterion: phase})``; a row with a NaN period is a step back after
        ``patience`` periods without a burst.
    values : dict
        The adjusted gains at the end.
    model : Neuron or Network
        The circuit with its final gains set: re-simulate it without the controller to confirm the rhythm.

    Raises
    ------
    TypeError
        If a field is missing (made by :meth:`RhythmController.run`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> out = nm.RhythmController(nm.Rhythm(period=2000, tolerance=0.02), adjust=["ultraslow_positive.alpha"],
    ...                           bounds={"ultraslow_positive.alpha": (1.3, 2.8)}).run("bursting", 50_000, i_app=-2.0)
    >>> t, periods = out.periods
    >>> out.reached, bool(abs(periods[-1] / 2000 - 1) <= 0.02)
    (True, True)
    """

    controller: RhythmController
    history: tuple
    values: dict
    model: object = field(repr=False)

    @property
    def periods(self):
        """``(t, period)`` arrays of the measured periods (one per burst after the first)."""
        rows = [(r[0], r[1]) for r in self.history if math.isfinite(r[1])]
        return (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))

    def gains(self, path):
        """``(t, value)`` arrays of one adjusted gain after each update."""
        return (np.array([r[0] for r in self.history]), np.array([r[4][path] for r in self.history]))

    @property
    def updates(self):
        """Number of times the gains were changed."""
        return sum(1 for r in self.history if r[5])

    @property
    def phases(self):
        """``(t, {criterion: phase})`` arrays of the measured phases (one per burst after the first), for a target
        with phases."""
        rows = [r for r in self.history if math.isfinite(r[1])]
        keys = self.controller.target._phases()
        return (np.array([r[0] for r in rows]), {key: np.array([r[6].get(key, math.nan) for r in rows]) for key in keys})

    @property
    def reached_at(self):
        """Index of the burst (in :attr:`periods`) from which every measured period (and the spikes, duty cycle
        and phases of the bursts, as the target sets them) stays within the target's tolerances, or None."""
        target = self.controller.target
        rows = [r for r in self.history if math.isfinite(r[1])]
        measured = {"period": [r[1] for r in rows], "spikes_per_burst": [r[2] for r in rows],
                    "duty_cycle": [r[3] for r in rows]}
        for key in target._phases():
            measured[key] = [r[6].get(key, math.nan) for r in rows]
        inside = np.asarray(RhythmReport(target, {key: np.array(measured[key], float) for key in target.targets()}).met,
                            dtype=bool).reshape(-1)
        if inside.size == 0 or not inside[-1]:
            return None
        out = np.flatnonzero(~inside)
        return int(out[-1] + 1) if out.size else 0

    @property
    def reached(self):
        return self.reached_at is not None

    def __str__(self):
        t, periods = self.periods
        target = self.controller.target
        lines = [f"{len(periods)} periods measured; target {target}"]
        if periods.size:
            lines.append(f"last period {periods[-1]:.5g} at t = {t[-1]:.6g}")
        lines.append(f"reached from burst {self.reached_at} ({self.updates} updates)" if self.reached else
                     f"not reached ({self.updates} updates)")
        at_bound = [p for p, x in self.values.items() if x in self.controller.bounds[p]]
        lines.append("gains: " + ", ".join(f"{p} = {x:.4g}" + (" (at its bound)" if p in at_bound else "")
                                            for p, x in self.values.items()))
        return "\n".join(lines)
