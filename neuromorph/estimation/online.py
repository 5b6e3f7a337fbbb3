"""The adaptive observer as a stream: fed one stretch of trace after another (a run's :meth:`Integrator.take`,
a chip's acquisition buffer), it carries its state across them, so gains are estimated while the circuit runs."""

import math

import numpy as np

from .. import _validate as check
from .._kernels.estimation import observer_run
from ..errors import Failure, ModelError, SimulationError
from .fit import observer_identifiable, split_known
from .regressor import filtered_voltages, regressors
from .result import Estimate, fitted_model
from .trace import Trace, check_times, model_current

MOST_OBSERVER_STEPS = 1e10  # ~3 hours at ~1 us a step: beyond, a typo in h_max (and past ~1e19 the kernel's
# step count no longer fits its integer)
MOST_RECORDS = 1e7  # recorded estimates (Estimate.history): beyond, a typo in record_dt (and gigabytes)


class ObserverRun:
    """An :class:`AdaptiveObserver` following one circuit: :meth:`update` with each new stretch of its trace,
    :meth:`estimate` for the estimates so far. Made by :meth:`AdaptiveObserver.start`.

    Parameters
    ----------
    settings : AdaptiveObserver
        The observer's gains.
    structure : Structure
        The model's structure (:func:`neuromorph.estimation.regressor.structure`).
    chosen : list of int
        The estimated columns of the structure.
    i_app : float, Stimulus, list or dict, optional
        The applied current as :func:`neuromorph.simulate` takes it (default: the model's own), unless each
        stretch gives it.

    Raises
    ------
    ModelError
        If a starting estimate names a gain that is not estimated, or is not a finite number.

    Examples
    --------
    Follow a run of the tonic neuron as it goes, one stretch of 500 time units at a time (every step of
    0.05 recorded: the observer reads the voltage between samples as a straight line):

    >>> import neuromorph as nm
    >>> online = nm.AdaptiveObserver().start("tonic", i_app=-0.7)
    >>> run = nm.Integrator(nm.preset("tonic"), i_app=-0.7, solver=nm.RK4(dt=0.05), record=("v",))
    >>> for t_stop in range(500, 6001, 500):
    ...     run.advance(t_stop)
    ...     t, y, _, _ = run.take()
    ...     theta = online.update(t, y[0])
    >>> est = online.estimate()
    >>> est.params, [round(float(x), 3) for x in theta], round(est.history[0][-1])
    (('leak.g', 'fast_negative.alpha', 'slow_positive.alpha'), [1.0, -2.0, 2.0], 6000)
    """

    def __init__(self, settings, structure, chosen, i_app=None):
        self.settings = settings
        self.structure = structure
        self.chosen = list(chosen)
        self.paths = tuple(structure.columns[j].path for j in self.chosen)
        self.i_app = i_app
        n, p = len(structure.neuron_names), len(self.chosen)
        self._n, self._p = n, p
        initial = dict(settings.initial or {})
        unknown = [q for q in initial if q not in self.paths]
        if unknown:
            raise ModelError(f"AdaptiveObserver.initial names {unknown}, which are not estimated "
                             f"({', '.join(self.paths)})")
        self._y = np.zeros(n + n * p + p * p + p)
        self._y[n + n * p:n + n * p + p * p] = (np.eye(p) * settings.p0).reshape(-1)
        self._y[n + n * p + p * p:] = [check.real(f"initial {q}", initial.get(q, 0.0)) for q in self.paths]
        # RK4 stages, a stage's state, P psi, the signals at a step's start, middle and end (observer_run)
        self._work = np.zeros((9, max(self._y.size, n * (p + 2))))
        self._last = None  # (t, v, i_app) of the last sample seen: the next stretch starts from it
        self._filters = None
        self._t0 = None
        self._hist_t, self._hist = [], []

    @property
    def theta(self):
        """The current estimates, in the order of ``paths``."""
        return self._y[-self._p:].copy()

    @property
    def identifiable(self):
        """Whether the trace so far excited each gain (its covariance fell below a tenth of ``p0``:
        :func:`~neuromorph.estimation.fit.observer_identifiable`), in the order of ``paths``."""
        n, p = self._n, self._p
        diagonal = self._y[n + n * p:n + n * p + p * p].reshape(p, p).diagonal()
        return observer_identifiable(diagonal, self.settings.p0)

    def update(self, t, v, i_app=None):
        """Feed the next stretch of the trace: times ``t`` after the last ones seen, voltages ``v`` (one neuron's
        samples, or neurons x samples) and, optionally, the applied current on the same grid.

        Returns
        -------
        numpy.ndarray
            The estimates at the end of the stretch (``paths`` order).

        Raises
        ------
        ModelError
            If the times do not increase or do not follow the last stretch's, the arrays' lengths differ, or a
            sample is NaN.
        SimulationError
            If the observer's state stops being finite (``reason`` "non-finite state"; lower ``gamma`` or
            ``p0``, or shorten ``h_max``).
        """
        names = self.structure.neuron_names
        t = check_times(t) if np.size(t) >= 3 else check.real_array("t", t)
        v = np.array(v, dtype=np.float64)
        v = v[:, None] if v.ndim == 1 else v.T
        if v.shape != (t.size, len(names)):
            raise ModelError(f"`v` must hold {t.size} samples of each neuron ({', '.join(names)}), got shape "
                             f"{np.shape(v)}")
        if not np.all(np.isfinite(v)):
            i, k = np.argwhere(~np.isfinite(v))[0]
            raise ModelError(f"the voltage of {names[k]!r} is {float(v[i, k])!r} at t = {float(t[i])!r}")
        if i_app is None:
            current = model_current(self.structure, names, t, self.i_app)
        else:
            current = np.array(np.broadcast_to(i_app, (len(names), t.size)) if np.ndim(i_app) < 2 else i_app,
                               dtype=np.float64)
            current = current.T if current.shape == (len(names), t.size) else current.reshape(t.size, len(names))
        if self._last is not None:
            t_prev, v_prev, c_prev = self._last
            if t[0] <= t_prev:
                raise ModelError(f"this stretch starts at t = {float(t[0])!r}, not after the last one's end "
                                 f"({t_prev!r})")
            t = np.concatenate(([t_prev], t))
            v = np.vstack((v_prev, v))
            current = np.vstack((c_prev, current))
        else:
            self._t0 = float(t[0])
        if t.size < 2:
            self._last = (float(t[-1]), v[-1:].copy(), current[-1:].copy())
            return self.theta
        if self._filters is None:
            self._y[:self._n] = v[0]  # the voltage estimate starts at the first measured voltage
        s = self.settings
        span = float(t[-1] - t[0])
        steps = span / s.h_max + t.size
        if steps > MOST_OBSERVER_STEPS:
            raise ModelError(f"`h_max` = {s.h_max:g} cuts the trace's {span:g} time units into {steps:.3g} "
                             f"observer steps, over {MOST_OBSERVER_STEPS:.0e}: give a larger h_max")
        if (float(t[-1]) - self._t0) / s.record_dt > MOST_RECORDS:
            raise ModelError(f"`record_dt` = {s.record_dt:g} records the estimates "
                             f"{(float(t[-1]) - self._t0) / s.record_dt:.3g} times along the trace's "
                             f"{float(t[-1]) - self._t0:g} time units, over {MOST_RECORDS:.0e}: give a larger record_dt")
        filtered = filtered_voltages(self.structure, t, v, start=self._filters)
        phi = regressors(self.structure, t, v, filtered)
        phi_est, drive = split_known(self.structure, self.chosen, phi, Trace(t, v, current))
        first = self._t0 + s.record_dt * math.ceil((t[0] - self._t0) / s.record_dt - 1e-9)
        if self._last is not None and abs(first - t[0]) < 1e-9 * max(1.0, abs(first)):
            first += s.record_dt  # recorded at the end of the last stretch already
        t_record = np.arange(first, t[-1] + 1e-9 * max(1.0, abs(t[-1])), s.record_dt)
        hist = np.full((t_record.size, self._p), np.nan)
        done = observer_run(np.ascontiguousarray(t), np.ascontiguousarray(v), np.ascontiguousarray(phi_est),
                            np.ascontiguousarray(drive),
                            np.ascontiguousarray(self.structure.capacitance, dtype=np.float64), self._y,
                            float(s.gamma), float(s.forgetting), float(s.h_max), t_record, hist, self._work)
        if done < 0:
            at = float(t[-1 - done])
            raise SimulationError(f"the observer's state stopped being finite at t = {at:g}: lower its gamma or p0, "
                                  "or shorten h_max", at, Failure.NON_FINITE)
        self._hist_t.append(t_record)
        self._hist.append(hist)
        self._filters = {key: float(x[-1]) for key, x in filtered.items()}
        self._last = (float(t[-1]), v[-1:].copy(), current[-1:].copy())
        return self.theta

    def estimate(self):
        """The estimates so far as an :class:`Estimate` (with the history of the estimates against time).

        Returns
        -------
        Estimate

        Raises
        ------
        ModelError
            If no stretch was fed yet.
        """
        if self._last is None:
            raise ModelError("the observer has seen no trace yet: call update(t, v) first")
        theta = self.theta
        values = {q: float(x) for q, x in zip(self.paths, theta)}
        excited = dict(zip(self.paths, self.identifiable))
        fitted, refused = fitted_model(self.structure.model, values, [q for q in self.paths if excited[q]])
        history = (np.concatenate(self._hist_t), np.concatenate(self._hist))
        return Estimate(self.paths, values, {q: math.nan for q in self.paths},
                        {q: bool(excited[q]) and q not in refused for q in self.paths}, fitted, math.nan, math.nan,
                        "observer", history, None)
