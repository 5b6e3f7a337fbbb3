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

from dataclasses import dataclass

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from .loop import ControlLoop, ControlResult, apply_knob, as_vector, knobs_of, outputs_of, setting_of, wrapped
from .rhythm import Rhythm

__all__ = ["RhythmController", "ControlResult", "ControlLoop"]


def _measure(model, knobs, values, i_app, n_periods, target):
    """The rhythm of ``model`` with the knobs at ``values``: :meth:`Rhythm.check`'s measures over the last
    ``n_periods`` periods (NaN where it does not burst)."""
    work = model.copy()
    for key, value in values.items():
        apply_knob(work.set, knobs[key], value)
    t_end = (n_periods + 4) * (target.period or 2500.0)
    return target.check(work.simulate(t_end, i_app=i_app), t_start=0.4 * t_end).measured


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
        outputs_of(self.target)
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
            apply_knob(chip.set, knobs[path], value)
        events = sorted((check.nonnegative("schedule time", t), dict(changes)) for t, changes in (schedule or []))
        if design is None:
            loop = self.loop(chip, knobs, values, i_app)
        else:
            design = as_model(design).copy()
            for path, value in values.items():
                apply_knob(design.set, knobs_of(design, [path])[path], value)
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
                    apply_knob(run.set_parameter, knobs[path], value)
        tuned = chip.copy()
        for path, value in loop.values.items():
            apply_knob(tuned.set, knobs[path], value)
        return ControlResult(self, tuple(loop.history), dict(loop.values), tuned)

    def prepare(self, model, start=None):
        """``(knobs, values)``: what each adjusted key moves on ``model`` (see ``adjust``) and where it starts
        (``start``, else the model's own setting), checked against the bounds."""
        knobs = knobs_of(model, self.adjust)
        values = {key: setting_of(model, members) for key, members in knobs.items()}
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
        outputs = outputs_of(self.target)
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
        chips : int or sequence of int, default 100
            How many (chips 0 .. n-1), or which chip ids (chip c is the same draw, and gets the same controller
            history, whatever chips run beside it).
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

    def design_jacobian(self, model, knobs, values, i_app=None):
        """Sensitivities of the outputs to the adjusted gains on the design model (one-sided differences of 2 %
        of each gain's span), where the controller starts; a gain whose change leaves the rhythm undefined gets
        a zero column (Broyden's rule fills it in as the run goes)."""
        outputs = outputs_of(self.target)
        base = as_vector(_measure(model, knobs, values, i_app, 6, self.target), outputs)
        jac = np.zeros((len(outputs), len(self.adjust)))
        for j, path in enumerate(self.adjust):
            lo, hi = self.bounds[path]
            h = 0.02 * (hi - lo) * (1.0 if values[path] + 0.02 * (hi - lo) <= hi else -1.0)
            moved = as_vector(_measure(model, knobs, {**values, path: values[path] + h}, i_app, 6, self.target), outputs)
            column = wrapped(moved - base, outputs) / h
            jac[:, j] = np.where(np.isfinite(column), column, 0.0)
        return jac
