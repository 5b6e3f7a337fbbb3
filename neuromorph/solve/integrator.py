"""Run the solver kernels: :class:`Integrator` (resumable) and :func:`simulate`.

The kernels hand control back when a buffer fills or a step budget is spent;
:class:`Integrator` grows buffers (or, with ``max_points``, halves the
stored resolution so memory stays bounded), updates a progress bar, checks
the step limit and calls again. Between calls the model can be modulated in
place (:meth:`Integrator.set_parameter`) with the state carried over, which
is what modulation schedules and the live tuner build on.
"""

import math

import numpy as np

from .. import _validate as v
from .._kernels.config import PARALLEL_FROM, UNIFORM_FROM, threads_start
from .._kernels.notice import ready
from .._kernels.uniform import uniform_model, uniform_structure
from .._kernels import common as c
from .._parallel import interrupted
from .._progress import Progress
from ..errors import Failure, NeuromorphWarning, SimulationError, SolverError
from ..lower.compile import as_compiled_model
from ..lower.problem import Problem, applied_currents, prepare
from ..model.noise import as_noise_list
from .failures import kernel_failure
from .noise_path import check_path_grid
from .results import SimulationResult, SolverStats
from .solvers import get_solver
from .stability import beyond_limit, stable_step

__all__ = ["Integrator", "simulate", "applied_currents"]  # (applied_currents: from lower.problem, where it lives)

_PROJECTION_AFTER = 0.05  # project the steps a run needs once this fraction of max_steps is spent
_PROJECTION_SAMPLES = 256  # project the output's size once this many samples show its rate (past the first steps)
_LOOSE_TOL = 0.1  # tolerances above this leave results without a correct digit: warned about


def _record_names(record):
    """``record`` as a tuple of state names (a single string is one name, not its letters)."""
    return v.names("record", record, SolverError)


def _warn_loose(solver):
    """Warn when adaptive tolerances are so loose that the result is meaningless."""
    if not solver.adaptive:
        return
    for name in ("rtol", "atol"):
        value = getattr(solver, name)
        if value > _LOOSE_TOL:
            from ..errors import NeuromorphWarning

            v.warn(f"`{name}` = {value:g} lets each step make errors larger than the solution itself: results are "
                   f"meaningless beyond {_LOOSE_TOL:g} (meaningful range: rtol in [1e-14, {_LOOSE_TOL:g}], atol in "
                   f"(0, {_LOOSE_TOL:g}]; defaults 1e-4 and 1e-7)", NeuromorphWarning)


class Integrator:
    """Advance a model in time, keeping solver state, output and spikes between calls.

    Parameters
    ----------
    model : Neuron, Network, preset name, circuit file, CompiledModel or Problem
        What to run; a :class:`~neuromorph.lower.problem.Problem` (from
        :func:`~neuromorph.lower.problem.prepare`) is run as it is, with its own current, noise and
        initial state (``i_app``, ``y0``, ``noise``, ``seed``, ``trial`` and ``chip`` are then left out):
        anything else is prepared here, with them.
    i_app : float, Stimulus, sequence or dict, optional
        Applied current. Its constant part is the ``i_app`` parameter of each neuron (a slot,
        modulated like any other), the rest (steps, pulses, samples) a time-varying stimulus.
        A number or Stimulus applies to every neuron, a sequence gives one per neuron, a dict
        ``{neuron name: current}`` some of them: each neuron given one gets exactly that current
        (a network node's own stimulus is replaced too). ``None`` keeps the model's own (0 for
        a Neuron, each node's ``i_app`` and stimulus in a Network).
    solver : Solver or str, optional
        From :func:`neuromorph.solve.solvers.get_solver`, or a method name (default ``"dopri5"``,
        ``"sra1"`` with noise).
    t0 : float, default 0.0
        Start time (dimensionless).
    y0 : array_like, optional
        Initial state (default: the model's).
    t_eval : array_like, optional
        Output on these times (sorted, >= t0), interpolated on the dense output.
        Without it, the state is saved every ``save_every``-th step.
    save_every : int, default 1
        Save every k-th step (without ``t_eval``).
    record : sequence of str, optional
        States to save (default all); ``()`` saves none (spikes only).
    max_points : int, optional
        Bound on saved samples in step mode: when reached, every other
        sample is dropped and the saving stride doubles.
    max_steps : int, default 50_000_000
        Steps the run may take in all (over every :meth:`advance`); beyond them :meth:`advance`
        raises :class:`~neuromorph.errors.SimulationError`.
    progress : bool or None, optional
        Progress bar on stderr; None shows one for runs over a second on a terminal.
    stop : threading.Event, optional
        When set (by another thread), :meth:`advance` raises ``KeyboardInterrupt`` within
        about 0.1 s: how thread pools stop their runs on Ctrl-C.
    noise : WhiteNoise, OUProcess or list of them, optional
        Intrinsic noise (see :mod:`neuromorph.model.noise`); needs a stochastic method
        (``"sra1"``, ``"euler_maruyama"``) and a ``seed``.
    seed : int, optional
        Seed of the intrinsic noise, in [0, 2**64): the same seed gives the same bits.
    trial, chip : int, default 0
        Which trial and chip of a Monte Carlo study this run is (its noise is that member's).

    Raises
    ------
    SolverError
        If ``solver`` is unknown or its options are invalid; if a Problem comes with ``i_app``,
        ``y0``, ``noise``, ``seed``, ``trial`` or ``chip``; if ``t0``, ``save_every``, ``max_points``
        or ``max_steps`` is invalid, ``t_eval`` is not sorted from ``t0`` on, ``record`` is not a
        sequence of names, ``y0`` has the wrong size, or noise comes without a ``seed``.
    ModelError
        If ``model`` is not a neuron, network, preset name, circuit file or compiled model; if
        ``record`` names a state the model does not have; if ``i_app`` does not fit the model (a dict
        naming an unknown neuron, a sequence of the wrong length for a network).
    CircuitFileError
        If ``model`` names an unknown preset or a circuit file that cannot be read.
    StimulusError
        If ``i_app`` is not a valid current.
    SimulationError
        From :meth:`advance`, when the run diverges, its step size underflows, it needs more than
        ``max_steps`` steps or its solver fails.

    Examples
    --------
    Run, change the applied current, run on: the state carries over.

    >>> import neuromorph as nm
    >>> run = nm.Integrator("tonic", i_app=-0.7, record=("v",))
    >>> run.advance(300.0)
    >>> run.t, run.result().spike_times.size
    (300.0, 9)
    >>> run.set_parameter("i_app", -1.0)  # below the tonic range: the neuron falls silent
    >>> run.advance(600.0)
    >>> res = run.result()
    >>> res.t_end, res.success, int((res.spike_times > 310.0).sum())
    (600.0, True, 0)
    """

    _CALL_SECONDS = 0.1  # target duration of one kernel call: bounds the latency of Ctrl-C, stop and progress
    _MIN_BUDGET = 64  # fewest steps a kernel call is given

    def __init__(self, model, i_app=None, solver=None, t0=0.0, y0=None, t_eval=None, save_every=1, record=None,
                 max_points=None, max_steps=50_000_000, progress=None, stop=None, noise=None, seed=None, trial=0,
                 chip=0):
        self.solver = get_solver(solver, noise=bool(as_noise_list(noise)) or (
            isinstance(model, Problem) and model.noisy))
        _warn_loose(self.solver)
        if isinstance(model, Problem):
            given = [name for name, value in (("i_app", i_app), ("y0", y0), ("noise", noise), ("seed", seed))
                     if value is not None] + [name for name, value in (("trial", trial), ("chip", chip)) if value != 0]
            if given:
                raise SolverError(f"a Problem carries its own current, noise and initial state: give "
                                  f"{', '.join(given)} to prepare(), not to the Integrator")
            self.problem = model
        else:
            self.problem = prepare(model, i_app=i_app, noise=noise, seed=seed, trial=trial, chip=chip, y0=y0)
        self.model = self.problem.model
        self._lanes = None  # a network of like neurons: its lane layout (_kernels.uniform), fixed steps only
        self.arrays = self.problem.arrays  # each array copied on its first change (the problem's own stay untouched)
        self._owned = set()
        self._horizon = None  # how far realised stimuli (OU paths) are compiled: extended as the run goes on
        self.stim = self.problem.stim
        self.noise = self.problem.noise
        self.t0 = v.real("t0", t0, SolverError)
        self._kept_from = self.t0  # start of what result() covers (moves on with take())
        n = self.model.n_states
        self.y = self.problem.y0.copy()
        self.f0 = np.zeros(self.y.size)
        self.armed = self.problem.armed.copy()
        self.ctrl = np.zeros(c.N_CTRL)
        self.cnt = np.zeros(c.N_CNT, dtype=np.int64)
        self.ctrl[c.C_T] = self.t0
        self.ctrl[c.C_T_GRID0] = self.t0
        if self.solver.adaptive:
            self.ctrl[c.C_RTOL] = self.solver.rtol
            self.ctrl[c.C_H_MAX] = self.solver.h_max
            self.ctrl[c.C_LOG_ERR_OLD] = math.log(1e-4)
            self.ctrl[c.C_H] = 0.0 if self.solver.h0 is None else self.solver.h0
            self.atol = np.full(n, self.solver.atol)
            self._kernel = self.solver.kernel()
            self._method_arg = ()
            self._scratch = (self.atol, *self.solver.work(self.arrays))
        else:
            self.ctrl[c.C_H] = self.solver.dt
            check_path_grid(self.noise, self.solver.dt, self.t0, self.t0, self.t0, ())  # (a bad dt, before the run)
            import numba

            # A large model's vector field runs on all threads (on one, the serial kernel saves two
            # parallel regions per evaluation); a network of many like neurons has them in vector lanes.
            large = self.model.n_neurons >= PARALLEL_FROM
            threads = numba.get_num_threads() if large and threads_start() is None else 1
            if large and threads_start() is not None:
                v.warn(f"numba's threads do not start ({threads_start()}; install tbb, or set NUMBA_THREADING_LAYER "
                       "to a layer that loads): this large model runs on one thread", NeuromorphWarning)
            if threads > 1:
                self.arrays = self.arrays._replace(chunks=np.array([threads], dtype=np.int64))
            if self.model.n_neurons >= UNIFORM_FROM:
                self._lanes = uniform_structure(self.arrays)
            self._kernel = self.solver.kernel(threads=threads, uniform=self._lanes is not None)
            self._scratch = self.solver.work(self.arrays, self.noise)
            self._method_arg = (self.solver.kernel_id, self.noise)
        self.max_steps = v.count("max_steps", max_steps, 1, SolverError)
        self.progress = progress
        self._stop = stop  # a threading.Event: set, the run stops at its next kernel return
        self._budget = max(self._MIN_BUDGET, 2_000_000 // (4 * n + 1))  # steps per kernel call, adapted to _CALL_SECONDS
        self._bounds = None  # runaway bounds, computed on first use and after each change
        self._kernel_arrays = self.arrays  # what the kernel reads: the arrays, or with their lane layout

        self.max_points = None if max_points is None else v.count("max_points", max_points, 2, SolverError)
        record = _record_names(record)
        names = self.model.state_names if record is None else record
        # (every state: their indices in order, not a search per name, which is quadratic in a large network)
        self.save_idx = (np.arange(len(names), dtype=np.int64) if record is None else
                         np.array([self.model.state_index(name) for name in names], dtype=np.int64))
        self.recorded = names
        self.cnt[c.SAVE_EVERY] = v.count("save_every", save_every, 1, SolverError)
        if t_eval is not None:
            self.t_eval = v.real_array("t_eval", t_eval, 1, SolverError)
            if self.t_eval.size and (np.any(np.diff(self.t_eval) < 0) or self.t_eval[0] < self.t0):
                raise SolverError(f"`t_eval` must be sorted and start at or after t0 = {self.t0}")
            self.cnt[c.SAVE_MODE] = c.SAVE_GRID
            capacity = self.t_eval.size
        else:
            self.t_eval = np.empty(0)
            self.cnt[c.SAVE_MODE] = c.SAVE_NONE if len(names) == 0 else c.SAVE_STEPS
            capacity = 1024 if self.max_points is None else min(1024, self.max_points)
        self.out_t = np.empty(max(capacity, 1))
        self.out_y = np.empty((max(capacity, 1), len(names)))
        self.spk_t = np.empty(64 + self.model.n_neurons)
        self.spk_n = np.empty(64 + self.model.n_neurons, dtype=np.int64)
        if self.cnt[c.SAVE_MODE] == c.SAVE_STEPS:  # the initial sample (plain NumPy: no second kernel to load)
            self.out_t[0] = self.t0
            self.out_y[0] = self.y[self.save_idx]
            self.cnt[c.N_OUT] = 1

    def _extend_stimulus(self, t_stop):
        """Compile realised stimuli (OU paths) at least up to ``t_stop`` (a longer path extends the same one)."""
        extended = self.problem.extend_stimulus(self.stim, self._horizon, self.t, t_stop)
        if extended is not None:
            self.stim, self._horizon = extended
            self._bounds = None

    @property
    def t(self):
        """Current time."""
        return float(self.ctrl[c.C_T])

    def set_parameter(self, path, value):
        """Change a parameter from now on; the state carries over.

        ``path`` is any parameter path of the model: ``"C"``, ``"threshold"``,
        ``"ELEMENT.FIELD"`` (``"slow_negative.alpha"``) or ``"i_app"``, the constant part of the
        applied current (steps, pulses and samples of the stimulus stay). In a network, prefix
        the node (``"n1.i_app"``, ``"n1.slow_negative.alpha"``); an interconnection's are
        ``"EDGE.FIELD"`` (``"n1_to_n2.g"``). A filter's time constant is ``"FILTER.tau"``
        (``"slow.tau"``, ``"n1.ultraslow.tau"``: every element reading that filter follows), as for a
        temperature step (:meth:`Mismatch.conditions <neuromorph.Mismatch.conditions>`).
        """
        self._change(path, value)()

    def _change(self, path, value):
        """Validate a parameter change now; return the function that applies it (used to check a
        whole modulation schedule before integrating)."""
        from ..lower.compile import Slot
        from .ensemble import filter_state

        state = filter_state(self.model, path)
        if state is not None:  # a filter's time constant, "slow.tau" ("n1.slow.tau"): every element reading it
            value = v.time_constant(path, value, allow_zero=False)
            return lambda: self._set_slots((Slot("st_rate", state, 1.0, True),), value)
        slots, value = self.model.check(path, value, "modulate during a run")
        return lambda: self._set_slots(slots, value)

    def _set_slots(self, slots, value):
        for s in slots:
            if s.array not in self._owned:
                self.arrays = self.arrays._replace(**{s.array: getattr(self.arrays, s.array).copy()})
                self._owned.add(s.array)
            getattr(self.arrays, s.array)[s.index] = s.encode(value)
        self.cnt[c.FSAL_OK] = 0  # the vector field changed: f0 is stale
        self._bounds = None

    def _grow_output(self):
        n_out = int(self.cnt[c.N_OUT])
        if self.max_points is not None and n_out >= self.max_points:
            keep = slice(0, n_out, 2)
            kept = len(range(0, n_out, 2))
            self.out_t[:kept] = self.out_t[keep].copy()
            self.out_y[:kept] = self.out_y[keep].copy()
            if n_out % 2 == 0:  # the last sample was dropped: it counts as steps since the last kept one
                self.cnt[c.SAVE_PHASE] += self.cnt[c.SAVE_EVERY]
            self.cnt[c.N_OUT] = kept
            self.cnt[c.SAVE_EVERY] *= 2
            return
        size = self.out_t.size * 2
        if self.max_points is not None:
            size = min(size, self.max_points)
        self._check_output(max(size, self._projected_output()), float(self.ctrl[c.C_T_STOP]), "at the rate so far")
        self.out_t = np.resize(self.out_t, size)
        out_y = np.empty((size, self.out_y.shape[1]))
        out_y[:n_out] = self.out_y[:n_out]
        self.out_y = out_y

    def _projected_output(self):
        """Samples held by the end of this :meth:`advance` at the rate of its samples so far (0 while that
        rate is not yet measured over :data:`_PROJECTION_SAMPLES` samples, or with ``max_points``), at most
        one per step ``max_steps`` still allows (a run stopped by the step limit never stores more)."""
        n_out = int(self.cnt[c.N_OUT])
        t_begin, out_begin = self._advance_from
        if self.max_points is not None or n_out - out_begin < _PROJECTION_SAMPLES or self.t <= t_begin:
            return 0
        at_rate = (n_out - out_begin) / (self.t - t_begin) * (float(self.ctrl[c.C_T_STOP]) - self.t)
        allowed = (self.max_steps - int(self.cnt[c.N_STEPS])) / int(self.cnt[c.SAVE_EVERY])
        return n_out + min(at_rate, allowed)

    def _check_output(self, n_samples, t_stop, how):
        """Refuse, with what to do instead, an output of ``n_samples`` samples that memory cannot hold."""
        every = int(self.cnt[c.SAVE_EVERY])
        v.memory("record", 8.0 * n_samples * (1 + self.out_y.shape[1]), SolverError,
                 what=f"recording {self.out_y.shape[1]} state(s) at every {'' if every == 1 else f'{every}th '}step "
                      f"up to t = {t_stop:g} ({n_samples:.3g} samples {how})",
                 advice="keep fewer states (record=[names], or () for spikes only), a coarser output (save_every, "
                        "dt_out) or a bounded one (max_points)")

    _outcome = (Failure.OK, "success")  # (reason, message) of the last advance: what result() reports

    def advance(self, t_stop):
        """Integrate up to ``t_stop``.

        Stops early with :class:`~neuromorph.errors.SimulationError` when the state diverges
        (a membrane voltage beyond :meth:`~neuromorph.lower.problem.Problem.bounds`, or non-finite),
        and as soon as the run is projected to need more than ``max_steps`` steps; with
        ``KeyboardInterrupt`` on Ctrl-C or when ``stop`` is set. Either way :meth:`result` then
        reports the run as failed, with the reason (:class:`~neuromorph.errors.Failure`), until an
        :meth:`advance` reaches its end.
        """
        try:
            self._advance(t_stop)
        except SimulationError as exc:
            self._outcome = (exc.reason, str(exc))
            raise
        except KeyboardInterrupt:
            self._outcome = (Failure.INTERRUPTED, f"{Failure.INTERRUPTED.explanation} at t = {self.t:.9g}, before "
                                                  f"t_stop = {t_stop:g}")
            raise
        self._outcome = (Failure.OK, "success")

    def _advance(self, t_stop):
        import time

        t_stop = v.real("t_stop", t_stop, SolverError)
        if t_stop < self.t:
            raise SolverError(f"cannot integrate backwards: `t_stop` = {t_stop} < current time {self.t}")
        self._check_fixed_steps(t_stop)
        self._extend_stimulus(t_stop)
        if self.noise.src_state.size:  # a step ends only on the grid of the noise's shared path, if it has one
            check_path_grid(self.noise, self.solver.dt, self.t0, self.t, t_stop, self.stim.jumps)
        self.ctrl[c.C_T_STOP] = t_stop
        bar = Progress(self.t, t_stop, enabled=self.progress)
        t_begin, steps_begin = self.t, int(self.cnt[c.N_STEPS])
        self._advance_from = (t_begin, int(self.cnt[c.N_OUT]))  # what output projections start from
        try:
            while True:
                if (self._stop is not None and self._stop.is_set()) or interrupted():
                    raise KeyboardInterrupt
                if self._bounds is None:  # (after a parameter change, or a longer stimulus)
                    self._bounds = self.problem.bounds(self.arrays, self.stim, self.y)
                    self._kernel_arrays = self.arrays if self._lanes is None else uniform_model(self.arrays,
                                                                                                self._lanes)
                budget = min(self._budget, self.max_steps - int(self.cnt[c.N_STEPS]))
                if budget <= 0:
                    raise self._too_many_steps(t_stop, "stopped")
                self.cnt[c.BUDGET] = budget
                started = time.perf_counter()
                args = (*self._method_arg, self._kernel_arrays, self.stim, self.y, self.f0, self.ctrl, self.cnt,
                        *self._scratch, self.t_eval, self.save_idx, self.out_t, self.out_y, self.spk_t, self.spk_n,
                        self.arrays.thresholds, self.armed, self._bounds)
                ready(self._kernel, args)
                status = self._kernel(*args)
                if status == c.DONE:
                    break
                if status == c.OUT_FULL:
                    self._grow_output()
                elif status == c.SPK_FULL:
                    self.spk_t = np.resize(self.spk_t, 2 * self.spk_t.size)
                    self.spk_n = np.resize(self.spk_n, 2 * self.spk_n.size)
                elif status == c.BUDGET_SPENT:
                    bar.update(self.t)
                    elapsed = time.perf_counter() - started
                    self._budget = int(min(max(self._budget * self._CALL_SECONDS / max(elapsed, 1e-9),
                                               self._MIN_BUDGET), 4 * self._budget))
                    self._project_steps(t_begin, steps_begin, t_stop)
                    if self.cnt[c.SAVE_MODE] == c.SAVE_STEPS:  # an output memory cannot hold: said long before it fills
                        self._check_output(self._projected_output(), t_stop, "at the rate so far")
                elif status == c.ERR_RUNAWAY:
                    raise self._runaway()
                else:
                    reason, text = kernel_failure(status)
                    raise SimulationError(f"integration failed at t = {self.t:.9g}: {text}", t=self.t, reason=reason)
        finally:
            bar.close()

    def _check_fixed_steps(self, t_stop):
        """A fixed-step run knows its step count: refuse one beyond ``max_steps`` before it starts."""
        if self.solver.adaptive:
            return
        needed = int(self.cnt[c.N_STEPS]) + math.ceil((t_stop - self.t) / self.solver.dt - 1e-9)
        if self.noise.src_state.size and (t_stop - self.ctrl[c.C_T_GRID0]) / self.solver.dt >= 2 ** 32 - 1:
            raise SimulationError(f"a noisy run counts its steps in 32 bits: t = {t_stop:g} at dt = {self.solver.dt:g} is "
                                  "beyond 2**32 steps", t=self.t, reason=Failure.TOO_MANY_STEPS)
        if needed > self.max_steps:
            raise SimulationError(
                f"{Failure.TOO_MANY_STEPS.explanation}: reaching t = {t_stop:g} with dt = {self.solver.dt:g} takes "
                f"{needed:.3g} steps, more than max_steps = {self.max_steps}: raise max_steps (--max-steps on the "
                "command line), shorten the run or use a larger dt", t=self.t, reason=Failure.TOO_MANY_STEPS)
        if self.cnt[c.SAVE_MODE] == c.SAVE_STEPS and self.max_points is None:
            samples = int(self.cnt[c.N_OUT]) + (needed - int(self.cnt[c.N_STEPS])) / int(self.cnt[c.SAVE_EVERY])
            self._check_output(samples, t_stop, "at a fixed step")

    def _project_steps(self, t_begin, steps_begin, t_stop):
        """Fail early when the steps taken so far project beyond ``max_steps`` by the end."""
        taken = int(self.cnt[c.N_STEPS]) - steps_begin
        if taken < _PROJECTION_AFTER * self.max_steps or self.t <= t_begin:
            return
        projected = int(self.cnt[c.N_STEPS]) + taken / (self.t - t_begin) * (t_stop - self.t)
        if projected > 2 * self.max_steps:
            raise self._too_many_steps(t_stop, "projected", projected)

    def _too_many_steps(self, t_stop, how, projected=None):
        rate = int(self.cnt[c.N_STEPS]) / max(self.t - self.t0, 1e-300)
        need = (f"at {rate:.3g} steps per time unit, reaching t = {t_stop:g} takes about {projected:.3g} steps, "
                f"more than max_steps = {self.max_steps}" if how == "projected" else f"max_steps = {self.max_steps}")
        text = (f"integration stopped at t = {self.t:.6g}: {Failure.TOO_MANY_STEPS.explanation} ({need}); raise "
                "max_steps (--max-steps on the command line) or shorten the run")
        if self._looks_stiff():
            text += "; its steps are held by stability (stiff), where method='rosenbrock23' may take far fewer"
        return SimulationError(text, t=self.t, reason=Failure.TOO_MANY_STEPS)

    def _looks_stiff(self):
        """An explicit method whose recent steps sit at its stability limit on the fastest mode."""
        if self.solver.implicit or not self.solver.adaptive or self.model.n_states > 400:
            return False
        jac = self.problem.jacobian(self.arrays, self.y, self.t, self.stim)
        fastest = np.max(np.abs(np.linalg.eigvals(jac)))
        return bool(fastest * self.ctrl[c.C_H] > 1.0)

    def _runaway(self):
        """The error for a membrane voltage found beyond its bound."""
        limit = self._stable_step()  # (None for an adaptive method)
        cause = limit is not None and beyond_limit(self.solver.dt, self.solver.name, limit)
        return self.problem.divergence(self.t, self.y, self._bounds, cause or None)

    def _stable_step(self):
        """For a fixed-step method, the largest stable step on the fastest mode at the initial state (small models)."""
        if self.solver.adaptive:
            return None
        return stable_step(self.arrays, self.model.y0, self.solver.stability_radius, self.t0, self.stim,
                           jacobian=self.problem.jacobian)

    def take(self):
        """Hand over the samples and spikes gathered since the last call and forget them.

        Streaming for arbitrarily long runs: memory holds one chunk at a time.
        Returns ``(t, y, spike_times, spike_neurons)`` with ``y`` of shape
        (n_recorded, n_samples).

        Examples
        --------
        >>> import neuromorph as nm
        >>> run = nm.Integrator(nm.preset("bursting"), i_app=-2.0, record=("v",))
        >>> n_spikes = 0
        >>> for t_stop in range(5000, 20001, 5000):
        ...     run.advance(t_stop)
        ...     t, y, spikes, _ = run.take()
        ...     n_spikes += spikes.size
        >>> n_spikes
        56
        """
        n_out = int(self.cnt[c.N_OUT])
        n_spk = int(self.cnt[c.N_SPK])
        chunk = (self.out_t[:n_out].copy(), self.out_y[:n_out].T.copy(), self.spk_t[:n_spk].copy(),
                 self.spk_n[:n_spk].copy())
        self.cnt[c.N_OUT] = 0
        self.cnt[c.N_SPK] = 0
        self._kept_from = self.t  # what result() covers from now on
        return chunk

    def stats(self):
        """The :class:`~neuromorph.solve.results.SolverStats` of the run so far (every :meth:`advance`)."""
        cnt = self.cnt
        return SolverStats(int(cnt[c.N_STEPS]), int(cnt[c.N_REJECTED]), int(cnt[c.N_FEV]), int(cnt[c.N_JEV]),
                           int(cnt[c.N_LU]))

    def result(self):
        """The run so far as a :class:`~neuromorph.solve.results.SimulationResult` (copies).

        Holds the samples and spikes kept since the start, or since the last :meth:`take`. After an
        :meth:`advance` that failed or was interrupted, the result says so: ``success`` is False,
        ``reason`` is why (a :class:`~neuromorph.errors.Failure`) and ``message`` the error's text.
        """
        n_out = int(self.cnt[c.N_OUT])
        n_spk = int(self.cnt[c.N_SPK])
        return SimulationResult(
            t=self.out_t[:n_out].copy(),
            y=self.out_y[:n_out].T.copy(),
            state_names=tuple(self.recorded),
            spike_times=self.spk_t[:n_spk].copy(),
            spike_neurons=self.spk_n[:n_spk].copy(),
            stats=self.stats(),
            method=self.solver.name,
            t_start=self._kept_from,
            t_end=self.t,
            message=self._outcome[1],
            neuron_names=self.model.neuron_names,
            reason=self._outcome[0],
        )


def simulate(model, t_end, i_app=None, method=None, *, rtol=None, atol=None, dt=None, h_max=None, h0=None,
             t_eval=None,
             dt_out=None, save_every=1, record=None, max_points=None, max_steps=50_000_000, y0=None, t0=0.0,
             modulation=None, progress=None, noise=None, seed=None):
    """Integrate a neuron from ``t0`` to ``t_end``.

    Parameters
    ----------
    model : Neuron, Network, preset name, circuit file or CompiledModel
    t_end : float
        End time (dimensionless, > t0).
    i_app : float, Stimulus, sequence or dict, optional
        Applied current (default: the model's own, 0 for a Neuron); see
        :mod:`neuromorph.model.stimulus` for steps, pulses and sampled inputs and
        :class:`Integrator` for per-neuron forms in networks.
    method : str or Solver, optional
        ``"dopri5"`` (the default), ``"rosenbrock23"`` (stiff), ``"rk4"`` or ``"euler"``; with
        noise ``"sra1"`` (the default then) or ``"euler_maruyama"``; see :mod:`neuromorph.solve.solvers`.
    rtol, atol : float, optional
        Tolerances of adaptive methods (defaults 1e-4, 1e-7: spike times within ~0.03 over
        10 000 time units for the bursting preset; tighten for timing studies).
    dt : float, optional
        Step of fixed-step methods (default 0.01).
    h_max : float, optional
        Largest step of adaptive methods.
    h0 : float, optional
        First step of adaptive methods (default: chosen from the vector field).
    t_eval : array_like, optional
        Output times; ``dt_out`` gives a uniform grid instead. Default: every solver step.
    dt_out : float, optional
        Spacing of a uniform output grid ``t0, t0 + dt_out, ...`` up to ``t_end`` (instead of
        ``t_eval``), interpolated on the dense output.
    save_every : int, default 1
        Save every k-th step (without ``t_eval``).
    record : sequence of str, optional
        State names to keep (default all; ``()`` keeps only spikes).
    max_points : int, optional
        Bound on stored samples for long runs (the stride doubles when reached).
    max_steps : int, default 50_000_000
        Most steps the run may take; a run projected to need more stops early.
    y0 : array_like, optional
        Initial state in the order of ``state_names`` (default: the neuron's).
    t0 : float, default 0.0
        Start time (dimensionless).
    modulation : sequence of (time, {path: value}), optional
        Piecewise-constant neuromodulation: at each time the parameters change
        (see :meth:`Integrator.set_parameter`; ``"i_app"`` included) and the state
        carries over. Times must be increasing and inside ``(t0, t_end)``.
    progress : bool or None, optional
        Progress bar on stderr (None: automatic for long runs on a terminal).
    noise : WhiteNoise, OUProcess or list of them, optional
        Intrinsic noise, fresh for every seed (:mod:`neuromorph.model.noise`). Frozen input
        noise, the same in every run, is an :class:`~neuromorph.model.stimulus.OUProcess`
        given as ``i_app`` instead.
    seed : int, optional
        Seed of the noise (needed with ``noise``); the same seed gives the same bits.

    Returns
    -------
    SimulationResult

    Raises
    ------
    SimulationError
        If the state diverges, the step size underflows, the run needs more than ``max_steps``
        steps or the Rosenbrock iteration matrix is singular; ``err.t`` is the time and
        ``err.reason`` why (a :class:`~neuromorph.errors.Failure`).
    SolverError
        If ``t0`` or ``t_end`` is not a finite number or ``t_end <= t0``; if ``method`` is unknown or
        an option does not fit it (``dt`` for an adaptive method, ``rtol`` for a fixed-step one, a
        non-positive value); if both ``t_eval`` and ``dt_out`` are given, ``t_eval`` leaves
        ``[t0, t_end]`` or is not sorted; if ``modulation`` times do not increase inside
        ``(t0, t_end)`` or an entry is not ``(time, {path: value})``; if ``y0`` has the wrong size,
        ``noise`` comes without ``seed``, ``save_every``, ``max_points``, ``max_steps`` or ``record``
        is invalid, or the output asked for would not fit in memory.
    ModelError
        If ``model`` is not a neuron, network, preset name, circuit file or compiled model; if
        ``record`` names an unknown state; if a ``modulation`` path or value is refused by the model;
        if ``i_app`` does not fit the model (a dict naming an unknown neuron, say).
    CircuitFileError
        If ``model`` names an unknown preset or a circuit file that cannot be read.
    StimulusError
        If ``i_app`` is not a valid current (a string, a sequence for a single neuron, a bad pulse).

    Examples
    --------
    >>> import neuromorph as nm
    >>> res = nm.preset("tonic").simulate(t_end=500, i_app=-0.7)
    >>> res.summary(t_start=100)["pattern"]
    'tonic'

    A uniform output grid, and a modulation that lowers the current below the tonic range
    half-way (the spike at t ~ 300.4 was already under way):

    >>> res = nm.simulate("tonic", 600, i_app=-0.7, dt_out=10.0, record=("v",),
    ...                   modulation=[(300.0, {"i_app": -1.0})])
    >>> res.t.size, res.t[:3].tolist(), res.y.shape
    (61, [0.0, 10.0, 20.0], (1, 61))
    >>> int((res.spike_times < 300.0).sum()), int((res.spike_times > 310.0).sum())
    (9, 0)
    """
    t0 = v.real("t0", t0, SolverError)
    t_end = v.real("t_end", t_end, SolverError)
    if t_end <= t0:
        raise SolverError(f"`t_end` must be > t0 = {t0}, got {t_end!r}")
    solver = get_solver(method, rtol=rtol, atol=atol, dt=dt, h_max=h_max, h0=h0, noise=bool(as_noise_list(noise)))
    model = as_compiled_model(model)  # a preset name is read and compiled here, once
    if dt_out is not None:
        if t_eval is not None:
            raise SolverError("give `t_eval` or `dt_out`, not both")
        dt_out = v.positive("dt_out", dt_out, SolverError)
        n = math.floor((t_end - t0) / dt_out * (1 + 1e-12)) + 1
        v.memory("dt_out", 8.0 * n * (2 + _n_recorded(model, record)), SolverError,
                 what=f"an output grid of {n:.3g} samples (dt_out = {dt_out:g} over [{t0:g}, {t_end:g}])")
        t_eval = t0 + dt_out * np.arange(n)
    if t_eval is not None:
        t_eval = v.real_array("t_eval", t_eval, 1, SolverError)
        v.memory("t_eval", 8.0 * t_eval.size * (1 + _n_recorded(model, record)), SolverError,
                 what=f"an output of {t_eval.size} samples")
        if t_eval.size and (t_eval[0] < t0 or t_eval[-1] > t_end):
            raise SolverError(f"`t_eval` must lie within [t0, t_end] = [{t0}, {t_end}], "
                              f"got [{t_eval[0]}, {t_eval[-1]}]")
    schedule = _check_modulation(modulation, t0, t_end)
    integ = Integrator(model, i_app=i_app, solver=solver, t0=t0, y0=y0, t_eval=t_eval, save_every=save_every,
                       record=record, max_points=max_points, max_steps=max_steps, progress=progress, noise=noise,
                       seed=seed)
    # Every change is checked before the run starts: a typo must not cost the whole run up to it.
    planned = [(t_change, [integ._change(path, value) for path, value in changes.items()])
               for t_change, changes in schedule]
    for t_change, apply_all in planned:
        integ.advance(t_change)
        for apply in apply_all:
            apply()
    integ.advance(t_end)
    return integ.result()


def _n_recorded(model, record):
    """How many states a run records (for memory checks before allocating its output)."""
    record = _record_names(record)
    return len(record) if record is not None else as_compiled_model(model).n_states


def _check_modulation(modulation, t0, t_end):
    """Validated ``[(time, {path: value}), ...]``."""
    if modulation is None:
        return []
    if isinstance(modulation, dict):
        modulation = sorted(modulation.items())
    out = []
    previous = t0
    for i, item in enumerate(modulation):
        try:
            t_change, changes = item
        except (TypeError, ValueError):
            raise SolverError(f"`modulation[{i}]` must be (time, {{parameter: value}}), got {item!r}") from None
        t_change = v.real(f"modulation[{i}] time", t_change, SolverError)
        if not previous < t_change < t_end:
            raise SolverError(f"`modulation` times must increase inside (t0, t_end) = ({t0}, {t_end}); "
                              f"entry {i} is at t = {t_change}")
        if not isinstance(changes, dict) or not changes:
            raise SolverError(f"`modulation[{i}]` needs a non-empty {{parameter: value}} dict, got {changes!r}")
        out.append((t_change, dict(changes)))
        previous = t_change
    return out
