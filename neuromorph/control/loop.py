"""One circuit's rhythm controller as it runs (:class:`ControlLoop`), what a run of it returns
(:class:`ControlResult`), and the knobs it moves: what the drivers share (an Integrator's run in
:mod:`.controller`, every copy of an ensemble in :mod:`.chips`, the tuner's live circuit).
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..analysis.spikes import analyse_spikes
from ..errors import ModelError
from .rhythm import RhythmReport

__all__ = ["ControlLoop", "ControlResult", "knobs_of", "setting_of", "apply_knob", "outputs_of", "as_vector",
           "wrapped"]


def outputs_of(rhythm):
    """The rhythm's controlled outputs, in order: ``period`` (as its log), ``spikes_per_burst``, ``duty_cycle``,
    then the phases (``"phase"`` or ``"phase[NODE]"``, circular, in cycles)."""
    return [key for key in ("period", "spikes_per_burst", "duty_cycle") if getattr(rhythm, key) is not None] + list(
        rhythm._phases())


def knobs_of(model, keys):
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


def setting_of(model, members):
    """The setting of a knob on ``model``: the members' mean value over their weights' mean."""
    return float(np.mean([float(model.get(path)) for path, _ in members]) / np.mean([w for _, w in members]))


def apply_knob(setter, members, value):
    for path, weight in members:
        setter(path, weight * value)


def as_vector(measured, outputs):
    out = []
    for key in outputs:
        x = measured.get(key)
        x = math.nan if x is None else float(x)
        out.append(math.log(x) if key == "period" and x > 0 else x)
    return np.array(out)


def wrapped(difference, outputs):
    """``difference`` of two output vectors with the phases' components taken the short way round the cycle."""
    out = np.array(difference, dtype=float)
    for i, key in enumerate(outputs):
        if key.startswith("phase"):
            out[i] = (out[i] + 0.5) % 1.0 - 0.5
    return out


def _trusted(jac, design):
    """Broyden's correction kept within a factor of 3 of the design sensitivities, with their signs: a change
    of the rhythm the gains did not cause (a step of the applied current between two updates) would
    otherwise be read as a sensitivity, and could turn the controller the wrong way."""
    sure = np.abs(design) > 1e-9
    low, high = np.abs(design) / 3.0, 3.0 * np.abs(design)
    kept = np.where(sure, np.sign(design) * np.clip(np.sign(design) * jac, low, high), jac)
    return kept

def _newton(ctrl, jac, error, values):
    """The damped Newton step ``-rate J^+ e`` over the gains free to move: a gain at a bound that the step
    pushes outward is left out and the step solved again over the others (else its share would be lost)."""
    active = np.ones(len(ctrl.adjust), bool)
    step = np.zeros(len(ctrl.adjust))
    for _ in range(len(ctrl.adjust)):
        step = np.zeros(len(ctrl.adjust))
        if not active.any():
            break
        step[active] = -ctrl.rate * (np.linalg.pinv(jac[:, active]) @ np.nan_to_num(error))
        blocked = [j for j, p in enumerate(ctrl.adjust) if active[j] and (
            (values[p] <= ctrl.bounds[p][0] and step[j] < 0) or (values[p] >= ctrl.bounds[p][1] and step[j] > 0))]
        if not blocked:
            break
        active[blocked] = False
    return step


class ControlLoop:
    """One circuit's controller as it runs: fed the circuit's spike times (:meth:`feed`), it measures each
    completed period and moves the adjusted gains (:attr:`values`) once per burst.

    Made by :meth:`RhythmController.loop`; :meth:`RhythmController.run` drives one with an Integrator, an
    ensemble run one per chip, and the tuner one on its live circuit.

    Parameters
    ----------
    ctrl : RhythmController
        Its target, bounds, step limits and rate.
    values : dict
        ``{adjusted key: value}`` at the start.
    jac : numpy.ndarray
        The starting sensitivities (outputs x adjusted keys), :meth:`RhythmController.design_jacobian`.
    outputs : list of str
        The controlled outputs, in the rows' order (:func:`outputs_of`).
    reference : int
        The neuron whose bursts set the period.
    phases : dict
        ``{phase criterion: neuron}`` of the phases the target sets.

    Raises
    ------
    ModelError
        From :meth:`moved`, for a key that is not adjusted.

    Examples
    --------
    Driving one by hand, as a bench would: run a stretch, hand over the spikes, apply what it sets.

    >>> import neuromorph as nm
    >>> ctrl = nm.RhythmController(nm.Rhythm(period=3000, tolerance=0.02), adjust=["ultraslow_positive.alpha"],
    ...                            bounds={"ultraslow_positive.alpha": (1.0, 2.8)})
    >>> chip = nm.preset("bursting")
    >>> knobs, values = ctrl.prepare(chip)
    >>> loop = ctrl.loop(chip, knobs, values, i_app=-2.0)
    >>> run, t = nm.Integrator(chip, i_app=-2.0, record=()), 0.0
    >>> while t < 60_000:
    ...     t += loop.chunk
    ...     run.advance(t)
    ...     _, _, spikes, _ = run.take()
    ...     if loop.feed(t, {0: spikes}):
    ...         run.set_parameter("ultraslow_positive.alpha", loop.values["ultraslow_positive.alpha"])
    >>> period = [row[1] for row in loop.history][-1]
    >>> bool(abs(period / 3000 - 1) <= 0.02), round(loop.values["ultraslow_positive.alpha"], 2) < 1.5
    (True, True)

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
        self.goal = as_vector({"period": target.period, "spikes_per_burst": target.spikes_per_burst,
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
            y = as_vector(measured, self.outputs)
            theta = np.array([self.values[p] for p in ctrl.adjust])
            if self.previous is not None:
                dtheta, dy = theta - self.previous[0], wrapped(y - self.previous[1], self.outputs)
                if np.all(np.isfinite(dy)) and float(dtheta @ dtheta) > 0.0:
                    self.jac = _trusted(
                        self.jac + np.outer(dy - self.jac @ dtheta, dtheta) / float(dtheta @ dtheta), self.design)
            self.previous = (theta, y)
            step = _newton(ctrl, self.jac, wrapped(y - self.goal, self.outputs), self.values)
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

    controller: object
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
