"""``nm.estimate``: the public entry of the estimation layer, and what it returns."""

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from ..errors import ModelError
from .fit import filter_starts, least_squares, split_known, warn_unidentifiable
from .fit import identifiable as told
from .regressor import filtered_voltages, regressors, structure
from .result import Estimate, fitted_model
from .trace import as_trace

METHODS = ("least_squares", "observer")


@dataclass(frozen=True)
class AdaptiveObserver:
    """The adaptive observer of Burghi & Sepulchre: continuous-time recursive least squares with forgetting.

    With ``psi`` the regressor filtered by ``1 / (s + gamma)`` and ``e = V - V_hat``::

        dV_hat/dt = (phi^T theta + I_app) / C + gamma e + psi^T dtheta/dt
        dpsi/dt   = -gamma psi + phi / C
        dP/dt     = forgetting P - P psi psi^T P
        dtheta/dt = P psi e

    (summed over the neurons of a network), integrated along the trace by a numba kernel (RK4, the measured
    signals linear between samples).

    Parameters
    ----------
    gamma : float, default 1.0
        Output injection gain (per time unit): how fast the voltage estimate follows the measured one.
    forgetting : float, default 1e-3
        Forgetting rate of the least-squares memory (per time unit): ``1 / forgetting`` is how far back it
        remembers, so a gain that changes slowly is tracked.
    p0 : float, default 10.0
        Initial covariance ``P(0) = p0 I``: the larger, the faster the first estimates move.
    initial : dict, optional
        Starting estimates by path; the others start at 0.
    h_max : float, default 0.05
        Largest integration step (time units); the trace's intervals are cut into substeps no longer.
    record_dt : float, default 50.0
        Spacing of the recorded estimates (``Estimate.history``).

    Raises
    ------
    ModelError
        If a number is not finite, ``gamma``, ``p0``, ``h_max`` or ``record_dt`` is not > 0, or ``forgetting``
        is negative.

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.AdaptiveObserver(gamma=2.0).forgetting
    0.001
    """

    gamma: float = 1.0
    forgetting: float = 1e-3
    p0: float = 10.0
    initial: dict = field(default=None)
    h_max: float = 0.05
    record_dt: float = 50.0

    def start(self, model, params=None, i_app=None):
        """Follow a circuit as it runs: an :class:`~neuromorph.estimation.online.ObserverRun` fed stretch by
        stretch (:meth:`~neuromorph.estimation.online.ObserverRun.update`).

        Parameters
        ----------
        model : Neuron, Network or str
            The structure (design values), as for :func:`estimate`.
        params : list of str, optional
            The gains to estimate (default: every gain).
        i_app : float, Stimulus, list or dict, optional
            The applied current, unless each stretch gives it (default: the model's own).

        Returns
        -------
        ObserverRun

        Raises
        ------
        ModelError
            If a path is not a gain of the model, or ``initial`` names a gain not estimated.
        """
        from ..io.circuits import as_model
        from .online import ObserverRun

        s = structure(as_model(model))
        return ObserverRun(self, s, _paths(s, params), i_app)

    def watch(self, model, params, compiled, design, dt, t_end, stim):
        """One observer per copy of an ensemble run: what :meth:`neuromorph.Ensemble.simulate` uses with
        ``observer=`` (an :class:`~neuromorph.estimation.lanes.EnsembleObserverRun`).

        Parameters
        ----------
        model : Neuron, Network or str
            The ensemble's model.
        params : list of str or None
            The gains to estimate (default: every gain).
        compiled : CompiledModel
            The ensemble's compiled model.
        design : dict
            The per-copy parameter arrays before mismatch.
        dt, t_end : float
            The run's step and end.
        stim : Stim
            The run's lowered stimulus.

        Returns
        -------
        EnsembleObserverRun

        Raises
        ------
        ModelError
            If a path is not a gain of the model, or ``initial`` names a gain not estimated.
        """
        from ..io.circuits import as_model
        from .lanes import EnsembleObserverRun

        s = structure(as_model(model))
        return EnsembleObserverRun(self, s, _paths(s, params), compiled, design, dt, t_end, stim)

    def __post_init__(self):
        for name in ("gamma", "p0", "h_max", "record_dt"):
            object.__setattr__(self, name, check.positive(name, getattr(self, name)))
        object.__setattr__(self, "forgetting", check.nonnegative("forgetting", self.forgetting))
        if self.initial is not None and not isinstance(self.initial, dict):
            raise ModelError(f"`initial` must be a dict {{path: value}}, got {self.initial!r}")


def _paths(structure_, params):
    gains = structure_.gains
    if params is None:
        return list(range(len(gains)))
    if isinstance(params, str):
        params = [params]
    chosen = []
    for path in params:
        if not isinstance(path, str):
            raise ModelError(f"`params` must be gain paths (str), got {path!r}")
        if path not in gains:
            try:
                structure_.model.get(path)
                what = "is a parameter but not a gain"
            except ModelError:
                what = "names no parameter of the model"
            raise ModelError(f"`params`: {path!r} {what}; the gains are {', '.join(gains)}")
        if gains.index(path) in chosen:
            raise ModelError(f"`params` names {path!r} twice")
        chosen.append(gains.index(path))
    if not chosen:
        raise ModelError("`params` is empty: nothing to estimate")
    return chosen


def estimate(model, trace, params=None, method="least_squares", i_app=None, t_start=None, filter_tau=1.0,
             rcond=1e-6, observer_settings=None, filter_start="estimate"):
    """Estimate a neuron's or a network's gains from a measured voltage trace.

    The model gives the structure (its elements, offsets and filter time constants: the design values); the
    trace gives each membrane voltage and the applied current. Every element current is its gain times a known
    function of voltages and their filters, so the gains enter linearly and the filtered voltages are computed
    from the measured ones (:mod:`neuromorph.estimation.regressor`).

    Parameters
    ----------
    model : Neuron, Network or str
        The circuit's structure (a preset name or circuit file too). Its gains' values are not used, except
        those left out of ``params`` (known) and as the fitted model's values of gains the trace cannot tell.
    trace : SimulationResult, tuple or dict
        A run of ours or of ngspice (:func:`neuromorph.spice_simulate`), ``(t, v)`` or ``(t, v, i_app)`` arrays
        (``v`` one neuron's, or neurons x samples), or ``{neuron: (t, v[, i_app])}`` sampled at the same times.
        Any increasing time grid (ngspice's is not uniform).
    params : list of str, optional
        Paths of the gains to estimate (``"slow_negative.alpha"``, ``"n1_to_n2.g"``, ``"n2.leak.g"``); default:
        every gain of every neuron, synapse and gap junction.
    method : {"least_squares", "observer"}, default "least_squares"
        Batch least squares on the filtered (integral) form of the membrane equation, or the adaptive observer
        (:class:`AdaptiveObserver`) run along the trace.
    i_app : float, Stimulus, list or dict, optional
        The applied current, as :func:`neuromorph.simulate` takes it, when the trace does not give it; default:
        the model's own.
    t_start : float, optional
        Least squares uses the trace from here on. Default: the whole trace once the filters' starting values
        are estimated (``filter_start="estimate"``); otherwise 5 times the slowest filter's time constant past
        the first sample, at most half the trace (the filters' starting error decays as ``exp(-t / tau)``).
    filter_tau : float, default 1.0
        Time constant of the filter applied to both sides for least squares (no derivative of the measured
        voltage is taken).
    rcond : float, default 1e-6
        Singular values of the column-scaled regressor below ``rcond`` times the largest are directions the
        trace does not excite: a gain mostly in them is reported as not identifiable.
    observer_settings : AdaptiveObserver, optional
        The observer's gains and starting point (``method="observer"``).
    filter_start : {"estimate", "first"}, default "estimate"
        Where the filters of the measured voltage start: estimated together with the gains (least squares:
        a few Gauss-Newton passes, each kept only if it lowers the residual; only when the gains are
        identifiable from the later part of the trace), or the first measured voltage.
        A circuit's filtered voltages need not equal its voltage when the trace begins (a neuron started away
        from rest); taking them as equal biases least squares over the first few slowest time constants.

    Returns
    -------
    Estimate
        Values, standard errors, identifiability, the fitted model, the residual (and the estimates against
        time for the observer).

    Raises
    ------
    ModelError
        If the model is not a neuron or a network; a path of ``params`` is not a gain of it; ``method`` is
        unknown; the trace's times do not increase, its arrays differ in length, hold NaN, or its neurons are not
        the model's; or a number is not finite / in range.
    CircuitFileError
        If ``model`` names no preset or circuit file.

    Warns
    -----
    NeuromorphWarning
        When the trace does not excite some gains (e.g. a resting neuron's spiking gains): they are flagged in
        ``Estimate.identifiable`` and keep their model values in the fitted model.

    Examples
    --------
    The bursting neuron's five gains from 10 000 time units of its own voltage (the first half of the trace
    lets the filters settle from their unknown starting values):

    >>> import neuromorph as nm
    >>> n = nm.preset("bursting")
    >>> run = n.simulate(10_000, i_app=-2.0, dt_out=0.05)
    >>> est = nm.estimate(n, run, i_app=-2.0)
    >>> est.params
    ('leak.g', 'fast_negative.alpha', 'slow_positive.alpha', 'slow_negative.alpha', 'ultraslow_positive.alpha')
    >>> max(abs(e) for e in est.relative_error(n).values()) < 0.01
    True
    """
    from ..io.circuits import as_model

    model = as_model(model)
    s = structure(model)
    if method not in METHODS:
        raise ModelError(f"unknown estimation `method` {method!r}; choose one of {', '.join(METHODS)}")
    chosen = _paths(s, params)
    data = as_trace(s, trace, i_app)
    paths = tuple(s.columns[j].path for j in chosen)
    filter_tau = check.positive("filter_tau", filter_tau)
    rcond = check.positive("rcond", rcond)
    history, starts = None, None
    if method == "least_squares":
        t0, t1 = float(data.t[0]), float(data.t[-1])
        slowest = max((tau for _, tau in s.filters()), default=0.0)
        late = t0 + min(5.0 * slowest, 0.5 * (t1 - t0))
        if filter_start not in ("estimate", "first"):
            raise ModelError(f"`filter_start` must be 'estimate' or 'first', got {filter_start!r}")
        start = late if t_start is None else check.real("t_start", t_start)
        if not t0 <= start < t1:
            raise ModelError(f"`t_start` must lie in the trace, [{t0:g}, {t1:g}), got {t_start!r}")
        model_values = np.array([s.columns[k].value for k in chosen])
        starts = filter_starts(s, data, chosen, filter_tau, rcond, late) if filter_start == "estimate" else None
        if starts is not None:  # the filters restart where they were estimated to: the whole trace is usable
            start = t0 if t_start is None else start
        phi = regressors(s, data.t, data.v, filtered_voltages(s, data.t, data.v, start=starts))
        phi_est, drive = split_known(s, chosen, phi, data)
        theta, cov, residual, condition, weak = least_squares(s, data, phi_est, drive, start, filter_tau, rcond)
        ok, stderr = told(theta, cov, weak, model_values)
    else:
        settings = observer_settings if observer_settings is not None else AdaptiveObserver()
        if not isinstance(settings, AdaptiveObserver):
            raise ModelError(f"`observer_settings` must be an AdaptiveObserver, got {type(settings).__name__}")
        from .online import ObserverRun

        online = ObserverRun(settings, s, chosen)
        theta = online.update(data.t, data.v.T, data.i_app.T)
        history = online.estimate().history
        stderr = np.full(len(paths), np.nan)
        condition, residual = math.nan, math.nan
        ok = online.identifiable
    values = {p: float(x) for p, x in zip(paths, theta)}
    fitted, refused = fitted_model(model, values, [p for p, k in zip(paths, ok) if k])
    identifiable = {p: bool(k) and p not in refused for p, k in zip(paths, ok)}
    warn_unidentifiable([p for p in paths if not identifiable[p]])
    return Estimate(paths, values, {p: float(e) if identifiable[p] else math.nan for p, e in zip(paths, stderr)},
                    identifiable, fitted, condition, residual, method, history, data,
                    starts)
