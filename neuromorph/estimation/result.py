"""What :func:`neuromorph.estimate` returns: the estimates, the fitted model, and their figures."""

from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError


@dataclass(frozen=True, eq=False)
class Estimate:
    """Gains estimated from a trace: what :func:`estimate` returns.

    Parameters
    ----------
    params : tuple of str
        The estimated gains' paths, in order.
    values : dict
        Estimate by path.
    stderr : dict
        Standard error by path (least squares: robust to the residuals' correlation in time; NaN where the gain
        is not identifiable, and for the observer, whose estimate is a trajectory: see ``history``).
    identifiable : dict
        Whether the trace excites each gain enough to say anything about it. Least squares: a 95 % interval
        narrower than +-10 % of the gain, and the gain mostly outside directions the trace does not excite. The
        observer: its covariance of the gain fell below a tenth of its start ``p0``
        (:func:`~neuromorph.estimation.fit.observer_identifiable`).
    model : Neuron or Network
        A copy of the model with the identifiable estimates set: :func:`neuromorph.simulate` runs it,
        :meth:`save` writes it as a circuit file.
    condition : float
        Condition number of the column-scaled regressor (least squares; NaN for the observer).
    residual : float
        RMS of the filtered equation's residual (least squares; NaN for the observer).
    method : str
        ``"least_squares"`` or ``"observer"``.
    history : tuple, optional
        ``(t, theta)`` of the observer: the estimates against time (``theta`` is time x params).
    trace : Trace, optional
        The checked trace the estimate was made from (times, voltages, applied currents).
    starts : dict, optional
        Where each slow filter ``(neuron index, tau)`` was estimated to start (least squares with
        ``filter_start="estimate"``); None: at the first measured voltage.

    Raises
    ------
    TypeError
        If a field is missing (it is made by :func:`estimate`, rarely by hand).

    Examples
    --------
    >>> import neuromorph as nm
    >>> n = nm.preset("tonic")
    >>> est = nm.estimate(n, n.simulate(2_000, i_app=-0.7, dt_out=0.05), params=["fast_negative.alpha"],
    ...                   i_app=-0.7)
    >>> round(est["fast_negative.alpha"], 4), est.identifiable["fast_negative.alpha"]
    (-2.0, True)
    """

    params: tuple
    values: dict
    stderr: dict
    identifiable: dict
    model: object
    condition: float
    residual: float
    method: str
    history: tuple = None
    trace: object = field(default=None, repr=False)
    starts: dict = field(default=None, repr=False)

    def __getitem__(self, path):
        return self.values[path]

    def relative_error(self, truth):
        """``{path: (estimate - truth) / |truth|}`` against a model or a ``{path: value}`` of the true gains."""
        get = truth.get if hasattr(truth, "get") and not isinstance(truth, dict) else truth.__getitem__
        return {p: (self.values[p] - get(p)) / abs(get(p)) for p in self.params}

    def save(self, path):
        """Write the fitted model as a circuit file (:func:`neuromorph.save`), which ``simulate`` runs."""
        from ..io.circuits import save

        save(self.model, path)

    def __str__(self):
        rows = [f"{'gain':<32} {'estimate':>12} {'std. error':>12}"]
        for p in self.params:
            flag = "" if self.identifiable[p] else "  not identifiable"
            rows.append(f"{p:<32} {self.values[p]:>12.6g} {self.stderr[p]:>12.3g}{flag}")
        rows.append(f"method {self.method}, condition number {self.condition:.3g}, residual {self.residual:.3g}")
        return "\n".join(rows)

    def prediction(self):
        """The fitted model run over the trace from its first sample (its voltage, the filters where they were
        estimated to start, the trace's applied current): what the estimate predicts, to set beside the data.

        Returns
        -------
        SimulationResult
            On the trace's time grid, shifted to start at 0.

        Raises
        ------
        ModelError
            If the estimate holds no trace (an online observer's :meth:`ObserverRun.estimate`).
        """
        from ..model.stimulus import Sampled
        from ..solve.integrator import simulate

        if self.trace is None:
            raise ModelError("this estimate holds no trace to predict (estimate a recorded trace with nm.estimate)")
        tr, model = self.trace, self.model
        t = tr.t - tr.t[0]
        neurons = [model] if not hasattr(model, "node_names") else [model.neuron(m) for m in model.node_names]
        y0 = np.asarray(model.initial_state(), dtype=np.float64).copy()
        names = list(model.state_names)
        for k, neuron in enumerate(neurons):
            prefix = "" if len(neurons) == 1 else f"{model.node_names[k]}."
            y0[names.index(f"{prefix}v")] = tr.v[0, k]
            for tau, state in zip(neuron.filter_taus, neuron.state_names[1:]):
                start = (self.starts or {}).get((k, float(tau)), tr.v[0, k])
                y0[names.index(f"{prefix}{state}")] = start
        currents = [Sampled(t, tr.i_app[:, k]) for k in range(len(neurons))]
        return simulate(model, float(t[-1]), i_app=currents[0] if len(neurons) == 1 else currents, y0=y0, t_eval=t)

    def plot(self, ax=None, truth=None, what=None):
        """A figure of the estimate.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        truth : Neuron, Network or dict, optional
            True gains (a model or ``{path: value}``): estimates are drawn relative to them.
        what : {"history", "prediction", "gains"}, optional
            The estimates against time (the observer's default), the fitted model's prediction beside the
            measured voltage (least squares' default: :meth:`prediction`), or the estimates with two standard
            errors.

        Returns
        -------
        matplotlib Axes

        Raises
        ------
        ModelError
            If ``what`` is unknown, or is ``"history"`` for an estimate without one.
        """
        import matplotlib.pyplot as plt

        what = what or ("history" if self.history is not None else "prediction")
        if what not in ("history", "prediction", "gains"):
            raise ModelError(f"`what` must be 'history', 'prediction' or 'gains', got {what!r}")
        if what == "history" and self.history is None:
            raise ModelError("a least-squares estimate has no history: plot what='prediction' or 'gains'")
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
        ref = None if truth is None else (truth.get if not isinstance(truth, dict) else truth.__getitem__)
        if what == "history":
            t, theta = self.history
            for j, p in enumerate(self.params):
                y = theta[:, j] if ref is None else theta[:, j] / ref(p)
                ax.plot(t, y, label=p)
            ax.set(xlabel="time", ylabel="estimate" if ref is None else "estimate / truth")
            if len(self.params) <= 12:
                ax.legend(fontsize=8)
        elif what == "prediction":
            run = self.prediction()
            tr = self.trace
            single = tr.v.shape[1] == 1
            names = ["v"] if single else [f"{m}.v" for m in self.model.node_names]
            for k, name in enumerate(names):
                ax.plot(tr.t, tr.v[:, k], lw=1.5, alpha=0.5, label=f"{name}: data")
                ax.plot(tr.t[0] + run.t, run[name], "--", lw=0.8, label=f"{name}: fitted model")
            ax.set(xlabel="time", ylabel="V")
            ax.legend(fontsize=8, loc="upper right")
        else:
            x = np.arange(len(self.params))
            y = np.array([self.values[p] for p in self.params])
            e = np.array([self.stderr[p] for p in self.params])
            if ref is not None:
                scale = np.array([abs(ref(p)) for p in self.params])
                y, e = y / scale, e / scale
            ax.errorbar(x, y, yerr=np.where(np.isfinite(e), 2 * e, 0), fmt="o")
            ax.set_xticks(x, self.params, rotation=30, ha="right")
            ax.set(ylabel="estimate" if ref is None else "estimate / |truth|")
        return ax


def fitted_model(model, values, paths):
    """A copy of ``model`` with ``values`` set for ``paths``; ``(model, refused)``: a value the model refuses (a
    negative synaptic gain, say) keeps the model's, and its path is returned."""
    fitted, refused = model.copy(), []
    for p in paths:
        try:
            fitted.set(p, values[p])
        except ModelError:
            refused.append(p)
    return fitted, refused
