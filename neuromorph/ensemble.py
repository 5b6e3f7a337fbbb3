"""Many independent copies of a neuron that differ in parameters, integrated together.

Copies run in SIMD lanes (:mod:`neuromorph._kernels.lanes`) with fixed-step
RK4 or Euler, on all cores: block ranges are handed to threads (the kernel
releases the GIL), so results are bit-identical whatever the thread count.
Only spike times (after ``t_record``) and final states are kept unless voltage
traces are asked for, so memory stays bounded for large parameter studies.

Examples
--------
Sweep the applied current of the tonic neuron:

>>> import numpy as np, neuromorph as nm
>>> ens = nm.Ensemble(nm.preset("tonic"), params={"i_app": np.linspace(-1.0, -0.5, 6)})
>>> res = ens.simulate(t_end=1000, dt=0.05, t_record=300)
>>> res.spike_counts.shape
(6,)
"""

import os
import threading
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from ._kernels import lanes
from ._progress import Progress
from .analysis.spikes import summarize_spikes
from .errors import ModelError, SimulationError, SolverError
from .stimulus import as_stimulus, compile_stimuli

__all__ = ["Ensemble", "EnsembleResult"]

_PER_COPY = ("st_rate", "el_gain", "el_off", "gate_k", "gate_off")


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """Outcome of :meth:`Ensemble.simulate`.

    Attributes
    ----------
    spike_counts : ndarray of int, shape (n,)
        Spikes of each copy at or after ``t_record``.
    spike_times : ndarray, shape (n, max_spikes)
        The first ``max_spikes`` of them, NaN-padded.
    final_state : ndarray, shape (n, n_states)
    state_names : tuple of str
    t : ndarray or None
        Sample times of ``v``.
    v : ndarray or None, shape (n, len(t))
        Membrane voltage traces (if ``save_every`` was given).
    t_record, t_end : float
    params : dict
        The per-copy parameter values that were set.
    """

    spike_counts: np.ndarray
    spike_times: np.ndarray
    final_state: np.ndarray
    state_names: tuple
    t: np.ndarray | None
    v: np.ndarray | None
    t_record: float
    t_end: float
    params: dict

    @property
    def size(self):
        return self.spike_counts.size

    @property
    def truncated(self):
        """Copies whose spikes did not all fit in ``spike_times``."""
        return self.spike_counts > self.spike_times.shape[1]

    def spikes(self, i):
        """Stored spike times of copy ``i``."""
        return self.spike_times[i, : min(self.spike_counts[i], self.spike_times.shape[1])]

    def summary(self, i, t_start=None):
        """Firing pattern and metrics of copy ``i`` (see :func:`neuromorph.summarize_spikes`)."""
        t0 = self.t_record if t_start is None else float(t_start)
        if self.truncated[i]:
            # The stored spikes end early: analyse only the window they cover.
            return summarize_spikes(self.spikes(i), t0, float(self.spikes(i)[-1]))
        return summarize_spikes(self.spikes(i), t0, self.t_end)

    def summaries(self, t_start=None):
        """Metrics of every copy as arrays: ``{"pattern": array of str, "burst_period": array, ...}``."""
        rows = [self.summary(i, t_start) for i in range(self.size)]
        out = {}
        for key in rows[0] if rows else ():
            values = [r[key] for r in rows]
            if key == "pattern":
                out[key] = np.array(values)
            else:
                out[key] = np.array([np.nan if x is None else x for x in values], dtype=np.float64)
        return out


class Ensemble:
    """Independent copies of one neuron with per-copy parameters.

    Parameters
    ----------
    neuron : Neuron
    params : dict, optional
        ``{path: values}`` with paths as in :meth:`Neuron.set` (``"slow_negative.alpha"``,
        ``"C"``, ``"threshold"``, ...) or ``"i_app"`` (a constant added to the
        stimulus of each copy). Values are scalars or arrays of length ``size``.
    size : int, optional
        Number of copies (default: the length of the parameter arrays).
    """

    def __init__(self, neuron, params=None, size=None):
        self.neuron = neuron
        self.model = neuron.compile()
        params = dict(params or {})
        lengths = {k: np.size(val) for k, val in params.items() if np.ndim(val) > 0}
        if size is None:
            size = max(lengths.values()) if lengths else 1
        self.size = v.count("size", size, 1)
        for key, n in lengths.items():
            if n != self.size:
                raise ModelError(f"parameter {key!r} has {n} values; the ensemble has {self.size} copies")
        a = self.model.arrays
        n = self.size
        self.per_copy = {name: np.repeat(getattr(a, name)[:, None], n, axis=1) for name in _PER_COPY}
        self.per_copy["thr"] = np.repeat(self.model.thresholds[:, None], n, axis=1)
        self.per_copy["i_off"] = np.zeros((len(self.model.neuron_names), n))
        self.params = {}
        for path, values in params.items():
            arr = np.broadcast_to(v.real_array(path, np.atleast_1d(values), 1), (n,)).astype(np.float64)
            self.params[path] = arr.copy()
            if path == "i_app":
                self.per_copy["i_off"][0] = arr
                continue
            array, index, inverse = self.model.slot(path, "vary across copies")
            if inverse and np.any(arr <= 0):
                raise ModelError(f"`{path}` must be > 0, got {float(arr[arr <= 0][0])!r}")
            target = "thr" if array == "thresholds" else array
            self.per_copy[target][index] = 1.0 / arr if inverse else arr

    def simulate(self, t_end, i_app=0.0, dt=0.01, method="rk4", t_record=0.0, max_spikes=512, save_every=0,
                 y0=None, n_threads=None, progress=None):
        """Integrate every copy from t = 0 to ``t_end`` with fixed steps.

        Parameters
        ----------
        t_end : float
        i_app : float or Stimulus, default 0.0
            Stimulus shared by all copies (plus each copy's ``"i_app"`` parameter).
        dt : float, default 0.01
        method : {"rk4", "euler"}
        t_record : float, default 0.0
            Spikes before this time (a transient) are not recorded.
        max_spikes : int, default 512
            Spike times stored per copy (all are counted).
        save_every : int, default 0
            If > 0, keep the membrane voltage every ``save_every`` steps.
        y0 : array_like, optional
            Initial state, shape (n_states,) or (n, n_states).
        n_threads : int, optional
            Threads (default: all cores).
        progress : bool or None
        """
        t_end = v.positive("t_end", t_end, SolverError)
        dt = v.positive("dt", dt, SolverError)
        t_record = v.nonnegative("t_record", t_record, SolverError)
        max_spikes = v.count("max_spikes", max_spikes, 1, SolverError)
        save_every = v.count("save_every", save_every, 0, SolverError)
        if method not in ("rk4", "euler"):
            raise SolverError(f"ensembles use fixed-step methods: `method` must be 'rk4' or 'euler', got {method!r}")
        n_threads = (os.cpu_count() or 1) if n_threads is None else v.count("n_threads", n_threads, 1, SolverError)
        m = self.model
        n, ns = self.size, m.n_states
        y = np.repeat(m.y0[:, None], n, axis=1)
        if y0 is not None:
            y0 = np.asarray(y0, dtype=np.float64)
            if y0.shape == (ns,):
                y[:] = y0[:, None]
            elif y0.shape == (n, ns):
                y[:] = y0.T
            else:
                raise SolverError(f"`y0` must have shape ({ns},) or ({n}, {ns}), got {y0.shape}")
            v.real_array("y0", y0.ravel(), 1, SolverError)
        stim = compile_stimuli([as_stimulus(i_app)] * len(m.neuron_names))
        n_steps = int(np.ceil(t_end / dt - 1e-9))
        n_samples = n_steps // save_every + 1 if save_every else 0
        out_v = np.zeros((max(n_samples, 1), n))
        spk_count = np.zeros(n, dtype=np.int64)
        spk_t = np.full((n, max_spikes), np.nan)
        n_blocks = -(-n // lanes.LANES)
        shape = (ns, m.arrays.el_gain.size, m.arrays.gate_k.size, len(m.neuron_names))
        pc = self.per_copy
        kernel_method = lanes.RK4 if method == "rk4" else lanes.EULER

        local = threading.local()

        def run(b0, b1):
            work = getattr(local, "work", None)
            if work is None:
                work = local.work = lanes.make_work(*shape)
            return lanes.lanes_run(kernel_method, b0, b1, m.arrays, stim, dt, 0.0, t_end, t_record, pc["st_rate"],
                                   pc["el_gain"], pc["el_off"], pc["gate_k"], pc["gate_off"], pc["thr"], pc["i_off"],
                                   y, spk_count, spk_t, save_every, out_v, work)

        chunk = max(1, min(8, n_blocks // (4 * n_threads) or 1))
        ranges = [(b, min(b + chunk, n_blocks)) for b in range(0, n_blocks, chunk)]
        bar = Progress(0, len(ranges), label="ensemble", enabled=progress)
        statuses = []
        try:
            if n_threads == 1 or len(ranges) == 1:
                for i, (b0, b1) in enumerate(ranges):
                    statuses.append(run(b0, b1))
                    bar.update(i + 1)
            else:
                from concurrent.futures import ThreadPoolExecutor  # imported here: it slows every CLI start

                with ThreadPoolExecutor(n_threads) as pool:
                    futures = [pool.submit(run, b0, b1) for b0, b1 in ranges]
                    for i, fut in enumerate(futures):
                        statuses.append(fut.result())
                        bar.update(i + 1)
        finally:
            bar.close()
        if any(s != 0 for s in statuses):
            raise SimulationError("an ensemble copy diverged (non-finite state); check its parameters",
                                  t=float("nan"), reason="non-finite state")
        t_samples = dt * save_every * np.arange(n_samples) if save_every else None
        if t_samples is not None:
            t_samples[-1] = min(t_samples[-1], t_end)
        return EnsembleResult(
            spike_counts=spk_count, spike_times=spk_t, final_state=y.T.copy(), state_names=m.state_names,
            t=t_samples, v=out_v[:n_samples].T.copy() if save_every else None, t_record=t_record, t_end=t_end,
            params={k: val.copy() for k, val in self.params.items()},
        )
