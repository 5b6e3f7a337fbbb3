"""The adaptive observer inside the ensemble engine: one observer per copy, thousands of chips estimated at once.

:meth:`neuromorph.Ensemble.simulate` with ``observer=`` records each copy's membrane voltages every few steps,
one time slice at a time, and hands each slice to :class:`EnsembleObserverRun`, which advances every copy's
observer on the same threads (:func:`neuromorph._kernels.observer_lanes.observer_lanes`). What a copy's observer
knows are the copy's design values (the per-copy parameters the ensemble was given, before mismatch), its
applied current and its measured voltage, as a chip's would; its estimates are those
:meth:`AdaptiveObserver.start` would give on that copy's recorded voltage.
"""

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from .._kernels.lanes import LANES
from .._kernels.observer_lanes import make_observer_work, observer_lanes, packed_diagonal, state_rows
from ..errors import ModelError
from .fit import observer_identifiable
from .result import Estimate, fitted_model

_BUFFER_BYTES = 32e6  # the voltages of one time slice: copies x neurons x samples (the slice is shortened to fit)


class EnsembleObserverRun:
    """The observers of every copy of an ensemble run, fed each time slice of the copies' voltages.

    Made by :meth:`AdaptiveObserver.watch` for :meth:`neuromorph.Ensemble.simulate`; not used directly.

    Parameters
    ----------
    settings : AdaptiveObserver
    structure : Structure
        The model's structure (:func:`neuromorph.estimation.regressor.structure`).
    chosen : list of int
        The estimated columns.
    compiled : CompiledModel
        The ensemble's compiled model (where each gain lives in the kernel arrays).
    design : dict
        The per-copy parameter arrays before mismatch (``st_rate`` ... ``i_bias``, rows x copies).
    dt, t_end : float
        The ensemble's step and end.
    stim : Stim
        The ensemble's lowered stimulus.

    Raises
    ------
    ModelError
        If a starting estimate names a gain that is not estimated, a gain does not enter the model as a term's
        gain, or the history asked for (``record_dt``) would not fit in memory.
    """

    def __init__(self, settings, structure, chosen, compiled, design, dt, t_end, stim):
        self.settings = settings
        self.structure = structure
        self.paths = tuple(structure.columns[j].path for j in chosen)
        a = self._model = compiled.arrays
        n = design["st_rate"].shape[1]
        ns, nn, p = a.st_kind.size, a.mem_state.size, len(chosen)
        self._shape = (ns, nn, p)
        self.est_col = np.full(a.el_base.size, -1, dtype=np.int64)
        self.est_scale = np.zeros(a.el_base.size)
        for j, path in enumerate(self.paths):
            for slot in compiled.slot(path, "estimate")[1]:
                if slot.array != "el_gain" or slot.inverse:  # (every kind's gain is a term's gain; say so if not)
                    raise ModelError(f"{path!r} does not enter the model as a term's gain: the ensemble's observer "
                                     "cannot estimate it")
                self.est_col[slot.index] = j
                self.est_scale[slot.index] = slot.scale
        initial = dict(settings.initial or {})
        unknown = [q for q in initial if q not in self.paths]
        if unknown:
            raise ModelError(f"AdaptiveObserver.initial names {unknown}, which are not estimated "
                             f"({', '.join(self.paths)})")
        self.design = {k: np.ascontiguousarray(design[k], dtype=np.float64)
                       for k in ("st_rate", "el_gain", "el_off", "act_k", "act_off", "i_bias")}
        self.dt, self.t_end, self.stim = float(dt), float(t_end), stim
        self.every = max(1, int(math.floor(settings.h_max / dt + 1e-9)))
        rows, size = state_rows(ns, nn, p)
        self._size = size
        self.t_rec = np.arange(0.0, t_end + 1e-9 * max(1.0, t_end), settings.record_dt)
        check.memory("record_dt", 8.0 * self.t_rec.size * p * n, ModelError,
                     what=f"the estimates' history of {n} copies x {p} gains x {self.t_rec.size} times")
        self.hist = np.full((self.t_rec.size, p, n), np.nan)
        self.state = np.zeros((rows, n))
        o_p = ns + nn + nn * p
        self.state[[o_p + r for r in packed_diagonal(p)]] = settings.p0
        self.state[ns + size - p:ns + size] = np.array([check.real(f"initial {q}", initial.get(q, 0.0))
                                                        for q in self.paths])[:, None]
        self._r = 0
        self._t_last = 0.0
        self._local = threading.local()

    @property
    def n_copies(self):
        return self.state.shape[1]

    def slice_rows(self, n_neurons):
        """Samples of one time slice the buffer holds (about 32 MB of voltages)."""
        return max(1, int(_BUFFER_BYTES // (8 * n_neurons * self.n_copies)))

    def samples(self, k0, k1):
        """``(first sample index, times)`` of the samples a slice from grid step ``k0`` to ``k1`` records."""
        q = np.arange(k0 // self.every + 1, k1 // self.every + 1)
        return k0 // self.every + 1, np.minimum(q * self.every * self.dt, self.t_end)

    def begin(self, v0):
        """Start every observer at the voltages ``v0`` (neurons x copies) of t = 0."""
        self._advance(0, -(-self.n_copies // LANES), np.zeros(1), np.ascontiguousarray(v0[None]), True)
        self._r = self._r_out

    def run(self, b0, b1, t, v):
        """Advance the observers of blocks ``[b0, b1)`` over the samples ``t`` (voltages ``v``: samples x neurons x
        copies); called on the ensemble's threads, every block range of a slice with the same samples."""
        if t.size:
            self._advance(b0, b1, t, v, False)

    def end_slice(self, t):
        """Every block has seen the slice's samples ``t``."""
        if t.size:
            self._r = self._r_out
            self._t_last = float(t[-1])

    def _advance(self, b0, b1, t, v, first):
        w = getattr(self._local, "work", None)
        if w is None:
            ns, nn, p = self._shape
            d = self.design
            w = self._local.work = make_observer_work(ns, d["el_gain"].shape[0], d["act_k"].shape[0], nn, p)
        d, s = self.design, self.settings
        self._r_out = observer_lanes(b0, b1, self._model, self.est_col, self.est_scale, self.stim, t, v,
                                     self._t_last, first, d["st_rate"], d["el_gain"], d["el_off"], d["act_k"],
                                     d["act_off"], d["i_bias"], float(s.gamma), float(s.forgetting), float(s.h_max),
                                     self.every * self.dt, self.t_rec, self._r, self.hist, self.state, w)

    def report(self, failed):
        """The estimates of every copy (:class:`EnsembleEstimates`); ``failed``: the copies whose run failed."""
        ns, nn, p = self._shape
        theta = self.state[ns + self._size - p:ns + self._size].T.copy()
        bad = np.asarray(failed, bool) | ~np.all(np.isfinite(theta), axis=1)
        diagonal = self.state[[ns + nn + nn * p + r for r in packed_diagonal(p)]].T
        excited = observer_identifiable(diagonal, self.settings.p0) & ~bad[:, None]
        history = (self.t_rec[:self._r].copy(), self.hist[:self._r].transpose(2, 0, 1).copy())
        return EnsembleEstimates(self.paths, theta, excited, history, bad, self.structure)


@dataclass(frozen=True, eq=False)
class EnsembleEstimates:
    """The observers' estimates of every copy of an ensemble: ``EnsembleResult.estimates``.

    Parameters
    ----------
    params : tuple of str
        The estimated gains' paths.
    values : numpy.ndarray, shape (copies, len(params))
        Each copy's estimates at the end of the run.
    identifiable : numpy.ndarray of bool, shape (copies, len(params))
        Whether the copy's voltage excited the gain (:func:`~neuromorph.estimation.fit.observer_identifiable`):
        a copy that rests says nothing of its spiking gains, and they are False here, not confident numbers.
    history : tuple
        ``(t, theta)``: ``theta`` (copies x times x params) the estimates at the times ``t`` (every
        ``record_dt``).
    failed : numpy.ndarray of bool, shape (copies,)
        Copies whose run diverged or whose observer stopped being finite: their estimates mean nothing.
    structure : Structure
        The model's structure (the fitted models are made from it).

    Raises
    ------
    TypeError
        If a field is missing (made by :meth:`neuromorph.Ensemble.simulate`, rarely by hand).

    Examples
    --------
    Three tonic chips whose fast negative conductance differs, estimated while they run:

    >>> import neuromorph as nm
    >>> ens = nm.Ensemble("tonic", params={"fast_negative.alpha": [-1.9, -2.0, -2.1], "i_app": -0.7})
    >>> res = ens.simulate(4000, dt=0.05, observer=nm.AdaptiveObserver(), estimate=["fast_negative.alpha"])
    >>> [round(float(x), 2) for x in res.estimates["fast_negative.alpha"]]
    [-1.9, -2.0, -2.1]
    """

    params: tuple
    values: np.ndarray
    identifiable: np.ndarray
    history: tuple
    failed: np.ndarray
    structure: object = field(repr=False)

    def __getitem__(self, path):
        """Every copy's estimate of the gain ``path``."""
        try:
            return self.values[:, self.params.index(path)]
        except ValueError:
            raise KeyError(f"{path!r} was not estimated; the estimates are {', '.join(self.params)}") from None

    def __len__(self):
        return self.values.shape[0]

    def __repr__(self):
        return (f"EnsembleEstimates({len(self)} copies x {len(self.params)} gains ({', '.join(self.params)}), "
                f"{int((~self.identifiable.all(axis=1) & ~self.failed).sum())} with a gain not identifiable, "
                f"{int(self.failed.sum())} failed)")

    def relative_error(self, truth):
        """``{path: (estimate - truth) / |truth|}`` per copy; ``truth`` maps each path to a value or to every
        copy's value (an array), or is a model."""
        get = truth.get if hasattr(truth, "get") and not isinstance(truth, dict) else truth.__getitem__
        return {p: (self[p] - np.asarray(get(p), dtype=float)) / np.abs(np.asarray(get(p), dtype=float))
                for p in self.params}

    def estimate(self, i):
        """Copy ``i``'s estimates as an :class:`Estimate` (method ``"observer"``, with its history and the
        model with the estimates set).

        Raises
        ------
        ModelError
            If ``i`` is not a copy's index.
        """
        n = len(self)
        if isinstance(i, bool) or not isinstance(i, int | np.integer) or not -n <= i < n:
            raise ModelError(f"copy index must be an integer in [0, {n}), got {i!r}")
        i = int(i) % n
        values = {q: float(x) for q, x in zip(self.params, self.values[i])}
        excited = dict(zip(self.params, self.identifiable[i]))
        fitted, refused = fitted_model(self.structure.model, values, [q for q in self.params if excited[q]])
        return Estimate(self.params, values, {q: math.nan for q in self.params},
                        {q: bool(excited[q]) and q not in refused for q in self.params}, fitted, math.nan,
                        math.nan, "observer", (self.history[0], self.history[1][i]), None)
