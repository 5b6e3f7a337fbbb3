"""One finished, ready-to-run problem: everything a run needs, lowered once before it starts.

:func:`prepare` turns a model (a Neuron, a Network, a preset name, a circuit file or a compiled
model), an applied current, intrinsic noise and a seed into a :class:`Problem`: the kernel arrays
(with the applied current's constant part), the stimulus tables, the noise tables, the initial
state (the OU noise states appended) and the spike detectors' initial arming. What a run needs
later, when its parameters change or it fails, are methods of the problem (:meth:`Problem.bounds`,
:meth:`Problem.jacobian`, :meth:`Problem.divergence`, :meth:`Problem.extend_stimulus`), so the
engines never go back to lowering in the middle of a run. :func:`prepare_copies` does the same for
the many copies of an :class:`~neuromorph.solve.ensemble.Ensemble` in one call.
"""

import functools
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .._kernels.layout import Model, Noise, Stim
from ..errors import ModelError, SolverError, StimulusError
from ..model.noise import as_noise_list
from ..model.stimulus import Constant, Sum, as_stimulus, compile_stimuli, needs_horizon
from ..model.variability import as_mismatch
from .compile import CompiledModel, NO_RESTORING, as_compiled_model, dense_jacobian, diverging, runaway_bounds
from .noise import initial_ou, initial_ou_members, lower_noise, no_noise, noise_scale, warn_if_noise_dominates

__all__ = ["Problem", "prepare", "Copies", "prepare_copies", "applied_currents", "copy_ids", "with_mismatch"]

_BOUND_ARRAYS = ("el_gain", "el_off", "act_off", "thresholds")  # the parameter arrays the bounds' parts read


def applied_currents(model, i_app):
    """``(i_bias per neuron, time-varying stimulus per neuron)`` from an ``i_app`` argument.

    The constant part of each neuron's current is its ``i_app`` parameter (a slot); what varies
    in time is compiled into the stimulus arrays. A neuron given a current here gets exactly that
    current (a network node's own stimulus is replaced too); the others keep the model's. See
    :class:`~neuromorph.solve.integrator.Integrator` for the forms of ``i_app``.
    """
    n = model.n_neurons
    bias = model.arrays.i_bias.copy()
    stimuli = [st if st is not None else Constant(0.0) for st in (model.stimuli or [None] * n)]
    given = {}
    if i_app is None:
        pass
    elif isinstance(i_app, dict):
        for name, value in i_app.items():
            if not isinstance(name, str):
                raise ModelError(f"`i_app` given as a dict needs neuron names as keys, got {name!r}; neurons: "
                                 f"{', '.join(model.neuron_names)}")
            given[model.neuron_index(name)] = value
    elif isinstance(i_app, list | tuple):
        if len(i_app) != n:
            if n == 1:
                raise StimulusError(
                    f"`i_app` given as a sequence of {len(i_app)} values for a single neuron: for a current "
                    "that varies in time use nm.Sampled(t, values) (a sequence gives one stimulus per neuron)")
            raise ModelError(f"`i_app` must give one stimulus per neuron ({n}: "
                             f"{', '.join(model.neuron_names)}), got {len(i_app)}")
        given = dict(enumerate(i_app))
    else:
        given = {i: i_app for i in range(n)}
    for i, value in given.items():
        label = "i_app" if n == 1 else f"i_app of {model.neuron_names[i]!r}"
        terms = as_stimulus(value, label).terms()
        bias[i] = sum(t.value for t in terms if isinstance(t, Constant))
        varying = [t for t in terms if not isinstance(t, Constant)]
        stimuli[i] = Sum(*varying) if varying else Constant(0.0)
    return bias, stimuli


@dataclass(frozen=True, eq=False)
class Problem:
    """A model lowered with its current, noise and initial state: what a single run starts from.

    Built by :func:`prepare`. A run copies what it changes (the state, the arming, an array whose
    parameter it modulates), so one problem can start any number of runs.

    Attributes
    ----------
    model : CompiledModel
        The compiled model (names, parameter slots, its own arrays).
    arrays : Model
        The kernel arrays of the run: the model's, with ``i_bias`` the applied current's constant part.
    stimuli : tuple of Stimulus
        Per neuron, the time-varying part of the applied current.
    stim : Stim or None
        The compiled stimulus tables; None when a stimulus holds a realised process (an OU path),
        compiled up to a horizon as the run goes on (:meth:`extend_stimulus`).
    noise : Noise
        The lowered intrinsic noise (empty arrays for a deterministic run).
    y0 : ndarray
        Initial state: the model's states, then one per OU noise source (dimensionless).
    armed : ndarray of int64
        Per neuron, 1 if its spike detector starts armed (the membrane below its threshold: its first
        upward crossing is a spike), 0 if it waits for ``V < threshold - hysteresis`` first.
    """

    model: CompiledModel
    arrays: Model
    stimuli: tuple
    stim: Stim | None
    noise: Noise
    y0: np.ndarray
    armed: np.ndarray

    @property
    def thresholds(self):
        """The spike thresholds (dimensionless), one per neuron."""
        return self.arrays.thresholds

    @property
    def noisy(self):
        """True when the run has intrinsic noise."""
        return bool(self.noise.src_state.size)

    @functools.cached_property
    def _noise_scale(self):
        return noise_scale(self.model, self.noise)

    def extend_stimulus(self, stim, horizon, t, t_stop):
        """Stimulus tables that reach ``t_stop`` from a run at ``t`` holding ``stim`` realised up to ``horizon``.

        ``(stim, horizon)`` of new tables, or None when ``stim`` already reaches (always, without a realised
        process). A realised path is extended, not redrawn: the longer one starts with the same values.
        """
        if stim is not None and (horizon is None or horizon >= t_stop):
            return None
        horizon = max(t_stop, 2.0 * horizon if horizon else t_stop, t + 1.0)
        return compile_stimuli(self.stimuli, horizon=horizon), horizon

    def bounds(self, arrays, stim, y):
        """Per neuron, the membrane voltage beyond which the run is diverging
        (:func:`~neuromorph.lower.compile.runaway_bounds`) for the run's current ``arrays``, stimulus tables
        ``stim`` and state ``y``; each neuron's constant current is widened by its noise."""
        own = all(getattr(arrays, name) is getattr(self.model.arrays, name) for name in _BOUND_ARRAYS)
        parts = self.model.bound_parts if own else None  # (computed once per model while those arrays are its own)
        i_bias = np.abs(arrays.i_bias) + self._noise_scale if self.noisy else arrays.i_bias
        return runaway_bounds(arrays, stim, y, parts, i_bias=i_bias)

    def jacobian(self, arrays, y, t=0.0, stim=None):
        """The dense Jacobian ``d(dy/dt)/dy`` of the run's current ``arrays`` at state ``y`` and time ``t``."""
        return dense_jacobian(arrays, y, t, stim)

    def divergence(self, t, y, bounds, cause=None):
        """The :class:`~neuromorph.errors.SimulationError` (reason ``"diverging"``) of a run at time ``t`` whose
        state ``y`` has a membrane voltage beyond its ``bounds`` (:meth:`bounds`); ``cause`` says why
        (default: the model lacks a restoring conductance)."""
        mem = self.arrays.mem_state
        n = int(np.argmax(np.abs(y[mem]) / bounds))
        return diverging(t, y[mem[n]], bounds[n], self.model.neuron_names[n] if len(mem) > 1 else None,
                         cause or NO_RESTORING)


def _lowered_noise(model, i_bias, noise, seed, trial, chip):
    """The noise of a single run, with the checks of its seed, trial and chip."""
    sources = as_noise_list(noise)
    if not sources:
        if seed is not None:
            v.seed("seed", seed, SolverError)
        return no_noise()
    if seed is None:
        raise SolverError("a noisy run needs a `seed` (an integer): the same seed gives the same bits")
    seed = v.seed("seed", seed, SolverError)
    trial = v.count("trial", trial, 0, SolverError)
    chip = v.count("chip", chip, 0, SolverError)
    if max(trial, chip) >= 2 ** 32:
        raise SolverError(f"`trial` and `chip` must be < 2**32, got {trial} and {chip}")
    lowered = lower_noise(model, sources, seed, trial, chip)
    warn_if_noise_dominates(model, lowered, i_bias)
    return lowered


def prepare(model, i_app=None, noise=None, seed=None, trial=0, chip=0, y0=None, params=None):
    """A :class:`Problem` ready to run: the one place a model, its current and its noise are lowered.

    Parameters
    ----------
    model : Neuron, Network, preset name, circuit file or CompiledModel
    i_app : float, Stimulus, sequence or dict, optional
        Applied current, in the forms :class:`~neuromorph.solve.integrator.Integrator` takes (default:
        the model's own).
    noise : WhiteNoise, OUProcess or list of them, optional
        Intrinsic noise (:mod:`neuromorph.model.noise`); needs ``seed``.
    seed : int, optional
        Seed of the noise, in [0, 2**64).
    trial, chip : int, default 0
        Which trial and chip of a Monte Carlo study the run is, in [0, 2**32).
    y0 : array_like, optional
        Initial state in the order of the model's ``state_names`` (default: the model's).
    params : dict, optional
        ``{path: value}`` parameters set on the compiled model first (as
        :meth:`~neuromorph.lower.compile.CompiledModel.with_parameters`).

    Returns
    -------
    Problem

    Raises
    ------
    SolverError
        A noisy run without a seed, a bad seed, trial or chip, or ``y0`` of the wrong size.
    ModelError, StimulusError
        An ``i_app`` that does not fit the model.

    Examples
    --------
    >>> import neuromorph as nm
    >>> from neuromorph.lower.problem import prepare
    >>> problem = prepare("bursting", i_app=-2.0)
    >>> problem.arrays.i_bias.tolist(), problem.y0.size, problem.armed.tolist()
    ([-2.0], 3, [1])
    >>> noisy = prepare("bursting", i_app=-2.0, noise=nm.OUProcess(tau=10.0, sigma=0.1), seed=1)
    >>> noisy.y0.size  # the OU noise state follows the model's
    4
    >>> run = nm.Integrator(problem, solver="rk4", record=())  # a problem runs as it is
    >>> run.advance(100.0)
    >>> run.t
    100.0
    """
    compiled = as_compiled_model(model)
    if params:
        compiled = compiled.with_parameters(params)
    arrays = compiled.arrays
    bias, stimuli = applied_currents(compiled, i_app)
    if not np.array_equal(bias, arrays.i_bias):
        arrays = arrays._replace(i_bias=bias)
    stim = None if needs_horizon(stimuli) else compile_stimuli(stimuli)
    lowered = _lowered_noise(compiled, arrays.i_bias, noise, seed, trial, chip)
    n = compiled.n_states
    y = compiled.y0.copy() if y0 is None else v.real_array("y0", y0, 1, SolverError).copy()
    if y.shape != (n,):
        raise SolverError(f"`y0` must have {n} values ({', '.join(compiled.state_names)}), got {y.size}")
    if lowered.ou_mem.size:  # the OU states follow the model's
        y = np.concatenate([y, initial_ou(lowered)])
    # The spike detector's state: a neuron starting below its threshold is armed (its first
    # upward crossing is a spike), one starting above waits for V < threshold - hysteresis.
    armed = (y[arrays.mem_state] < arrays.thresholds).astype(np.int64)
    return Problem(model=compiled, arrays=arrays, stimuli=tuple(stimuli), stim=stim, noise=lowered, y0=y, armed=armed)


def copy_ids(name, values, default, size):
    """Per-copy trial or chip numbers (``values``, or ``default``): integers in [0, 2**32), as uint64."""
    if values is None:
        return default.astype(np.uint64)
    arr = np.broadcast_to(np.asarray(values), (size,))
    if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() >= 2 ** 32)):
        raise SolverError(f"`{name}` must be integers in [0, 2**32), one per copy ({size}), got {values!r}")
    return arr.astype(np.uint64)


def with_mismatch(model, per_copy, spread, seed, chips):
    """The per-copy arrays ``per_copy`` with each copy's chip drawn from ``spread`` (a Mismatch or None)."""
    if spread is None or spread.is_zero:
        return per_copy
    return {**per_copy, **spread.apply(model, seed, chips.astype(np.int64), per_copy)}


@dataclass(frozen=True, eq=False)
class Copies:
    """Many copies of a model lowered for the lanes engine: what an ensemble run starts from.

    Built by :func:`prepare_copies`. Arrays with a trailing axis of copies; ``y`` and ``armed`` are the
    buffers the run advances in place (prepare again for another run).

    Attributes
    ----------
    model : CompiledModel
    per_copy : dict
        ``{array name: (rows, n_copies)}``: each copy's parameters, its chip's mismatch applied.
    stim : Stim
        The stimulus tables shared by every copy (realised processes up to the run's end).
    noise : Noise
        The lowered intrinsic noise (each copy draws its own trial's and chip's).
    trials, chips : ndarray of uint64
        Each copy's trial and chip.
    y : ndarray, shape (n_states + n_ou, n_copies)
        Initial states (the OU noise states after the model's).
    armed : ndarray of float64, shape (n_neurons, n_copies)
        The spike detectors' initial arming (as :attr:`Problem.armed`).
    bounds : ndarray, shape (n_neurons, n_copies)
        Each copy's runaway bounds (:func:`~neuromorph.lower.compile.runaway_bounds`).
    """

    model: CompiledModel
    per_copy: dict
    stim: Stim
    noise: Noise
    trials: np.ndarray
    chips: np.ndarray
    y: np.ndarray
    armed: np.ndarray
    bounds: np.ndarray


def prepare_copies(model, per_copy, i_app=0.0, noise=None, seed=None, trials=None, chips=None, y0=None,
                   mismatch=None, horizon=None):
    """:class:`Copies` ready to run: the per-copy form of :func:`prepare`, in one call.

    Parameters
    ----------
    model : CompiledModel
    per_copy : dict
        ``{array name: (rows, n_copies)}`` nominal per-copy parameters (an Ensemble's).
    i_app : float or Stimulus, default 0.0
        Stimulus shared by every copy, added to each neuron's own.
    noise, seed
        As :func:`prepare` (the seed also seeds ``mismatch``).
    trials, chips : array_like of int, optional
        Each copy's trial (default: copy ``i`` is trial ``i``) and chip (default 0).
    y0 : array_like, optional
        Initial state, shape (n_states,) or (n_copies, n_states).
    mismatch : Mismatch or dict, optional
        Chip-to-chip variability: copy ``i`` gets draw ``chips[i]``.
    horizon : float, optional
        The run's end: how far realised stimuli (OU paths) are compiled.

    Examples
    --------
    >>> import numpy as np
    >>> from neuromorph.lower.compile import as_compiled_model
    >>> from neuromorph.lower.problem import prepare_copies
    >>> model = as_compiled_model("bursting")
    >>> per_copy = {"i_bias": np.array([[-2.0, -1.0, 0.0]]), "thresholds": np.repeat(model.thresholds[:, None], 3, 1),
    ...             **{k: np.repeat(getattr(model.arrays, k)[:, None], 3, 1) for k in ("el_gain", "el_off", "act_off")}}
    >>> copies = prepare_copies(model, per_copy)
    >>> copies.y.shape, copies.bounds.shape, copies.trials.tolist()
    ((3, 3), (1, 3), [0, 1, 2])
    """
    m = model
    n = next(iter(per_copy.values())).shape[1]
    ns = m.n_states
    sources = as_noise_list(noise)
    if sources and seed is None:
        raise SolverError("a noisy run needs a `seed` (an integer): the same seed gives the same bits")
    spread = as_mismatch(mismatch)
    if spread is not None and seed is None:
        raise SolverError("a run with `mismatch` needs a `seed` (an integer): chip c is the draw c of that seed")
    lowered = lower_noise(m, sources, v.seed("seed", seed if seed is not None else 0, SolverError))
    warn_if_noise_dominates(m, lowered, np.max(np.abs(per_copy["i_bias"]), axis=1))
    trial_ids = copy_ids("trials", trials, np.arange(n), n)
    chip_ids = copy_ids("chips", chips, np.zeros(n, np.int64), n)
    y = np.repeat(m.y0[:, None], n, axis=1)
    if y0 is not None:
        y0 = v.real_array("y0", y0, np.ndim(y0) if np.ndim(y0) in (1, 2) else 1, SolverError)
        if y0.shape == (ns,):
            y[:] = y0[:, None]
        elif y0.shape == (n, ns):
            y[:] = y0.T
        else:
            raise SolverError(f"`y0` must have shape ({ns},) or ({n}, {ns}), got {y0.shape}")
    if lowered.ou_mem.size:
        y = np.concatenate([y, initial_ou_members(lowered, trial_ids, chip_ids)])
    shared = as_stimulus(i_app)
    stim = compile_stimuli([shared if own is None else own + shared for own in (m.stimuli or [None] * m.n_neurons)],
                           horizon=horizon)
    pc = with_mismatch(m, per_copy, spread, seed, chip_ids)
    armed = (y[m.arrays.mem_state] < pc["thresholds"]).astype(np.float64)  # as a single run's spike detector
    bounds = runaway_bounds(m.arrays, stim, y[:ns], i_bias=np.abs(pc["i_bias"]) + noise_scale(m, lowered)[:, None],
                            gain=pc["el_gain"], off=pc["el_off"], act_off=pc["act_off"], thresholds=pc["thresholds"])
    return Copies(model=m, per_copy=pc, stim=stim, noise=lowered, trials=trial_ids, chips=chip_ids, y=y, armed=armed,
                  bounds=bounds)
