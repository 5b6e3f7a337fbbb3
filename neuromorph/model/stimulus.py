"""Applied currents ``I_app(t)`` without Python callbacks in the solver loop.

A stimulus is a sum of simple pieces, each exactly piecewise linear:

* :class:`Constant` ``I = value``;
* :class:`Steps` piecewise constant (``initial`` before the first time);
  :class:`Pulse` is one rectangular step;
* :class:`Sampled` linear interpolation of samples, zero outside their span;
* :class:`OUProcess` a frozen Ornstein-Uhlenbeck current: one seeded realisation,
  sampled exactly on a fine grid and interpolated, the same in every run.

Pieces add with ``+`` (numbers are promoted to :class:`Constant`). Before a
run the sum is compiled into segments ``a + b (t - t_start)`` and a list of
discontinuities that solvers never step across. Values are right-continuous.
Currents are dimensionless, like the model.

Examples
--------
The rebound protocol: -2.5, stepped down by 0.5 on [6667, 13333).

>>> import neuromorph as nm
>>> stim = -2.5 + nm.Pulse(start=6667, stop=13333, amplitude=-0.5)
>>> stim([0.0, 6667.0, 13333.0]).tolist()
[-2.5, -3.0, -2.5]
"""

import numbers

import numpy as np

from .. import _validate as v
from .._kernels.layout import Stim
from ..errors import StimulusError

__all__ = ["Stimulus", "Constant", "Steps", "Pulse", "Sampled", "OUProcess", "Sum", "Protocol", "as_stimulus",
           "compile_stimuli"]


class Stimulus:
    """Base class: an applied current made of exactly piecewise-linear pieces.

    Pieces add and subtract with ``+`` and ``-`` (a number becomes a :class:`Constant`), scale
    with :meth:`scaled`, and evaluate at any times by calling them. Two stimuli are equal when
    they describe the same sum (:meth:`canonical`). Anywhere an applied current is taken
    (``i_app=``), a number or a Stimulus is accepted.

    Raises
    ------
    StimulusError
        When added to, or subtracted from, something that is neither a real number nor a
        Stimulus (a Python function, an array, a string).

    Examples
    --------
    The step variant of the reliability protocol, -2.6 stepped up to -2.2 at t = 3000:

    >>> import neuromorph as nm
    >>> stim = -2.6 + nm.Steps(times=[3000.0], values=[0.4])
    >>> stim([0.0, 2999.0, 3000.0]).tolist()
    [-2.6, -2.6, -2.2]
    >>> stim == nm.Steps([3000.0], [0.4]) - 2.6
    True
    >>> stim + [0.1, 0.2]
    Traceback (most recent call last):
        ...
    neuromorph.errors.StimulusError: `a term added to a stimulus` given as an array: wrap it with its times, nm.Sampled(t, values)
    """

    def __add__(self, other):
        return Sum(self, as_stimulus(other, "a term added to a stimulus"))

    __radd__ = __add__

    def __neg__(self):
        return self.scaled(-1.0)

    def __sub__(self, other):
        return self + (-as_stimulus(other, "a term subtracted from a stimulus"))

    def __rsub__(self, other):
        return as_stimulus(other, "a term a stimulus is subtracted from") + (-self)

    def terms(self):
        """The simple pieces of this stimulus."""
        return (self,)

    def breakpoints(self):
        """Times where the piece changes formula."""
        return np.empty(0)

    def segment_values(self, starts):
        """``(value, slope)`` on segments starting at the finite times ``starts`` (right limits)."""
        raise NotImplementedError

    def value_before(self):
        """The constant value before every breakpoint."""
        raise NotImplementedError

    def scaled(self, factor):
        raise NotImplementedError

    def __call__(self, t):
        """Evaluate at times ``t`` (right-continuous), e.g. for plotting."""
        t = np.asarray(t, dtype=np.float64)
        stim = compile_stimuli([self], horizon=float(np.max(t, initial=0.0)))
        idx = np.searchsorted(stim.t, t, side="right") - 1
        b = stim.b[idx]
        return stim.a[idx] + np.where(b == 0.0, 0.0, b * (t - np.where(np.isfinite(stim.t[idx]), stim.t[idx], 0.0)))

    def canonical(self):
        """Order-independent description of the sum: constants merged (zero dropped), other terms sorted.

        Two stimuli are equal when they describe the same sum, however it was written
        (``-2.5 + pulse == pulse - 2.5``, ``Constant(0) + pulse == pulse``).
        """
        constant = sum(t.value for t in self.terms() if isinstance(t, Constant))
        others = sorted((type(t).__name__, t._key()) for t in self.terms() if not isinstance(t, Constant))
        return (float(constant), tuple(others))

    def __eq__(self, other):
        return isinstance(other, Stimulus) and self.canonical() == other.canonical()

    def __hash__(self):
        return hash(self.canonical())


class Constant(Stimulus):
    """Constant current ``I = value``.

    Parameters
    ----------
    value : float
        The current (dimensionless).

    Raises
    ------
    StimulusError
        If ``value`` is not a finite real number within +-1e12.

    Examples
    --------
    >>> import neuromorph as nm
    >>> c = nm.Constant(-2.0)
    >>> c([0.0, 1e4]).tolist()
    [-2.0, -2.0]
    >>> c + 0.5 == nm.Constant(-1.5)  # numbers are Constants too
    True
    """

    def __init__(self, value):
        self.value = v.real("value", value, StimulusError)

    def segment_values(self, starts):
        return np.full(starts.shape, self.value), np.zeros(starts.shape)

    def value_before(self):
        return self.value

    def scaled(self, factor):
        return Constant(self.value * factor)

    def _to_dict(self):
        return {"kind": "constant", "value": self.value}

    def _key(self):
        return (self.value,)

    def __repr__(self):
        return f"Constant({self.value!r})"


class Steps(Stimulus):
    """Piecewise-constant current: ``initial`` before ``times[0]``, ``values[i]`` on ``[times[i], times[i+1])``.

    Parameters
    ----------
    times : array_like, strictly increasing
        Times of the steps.
    values : array_like, same length as ``times``
        The current from each time on.
    initial : float, default 0.0
        The current before ``times[0]``.

    Raises
    ------
    StimulusError
        If ``times`` or ``values`` is not a one-dimensional array of finite numbers, their lengths
        differ, ``times`` is not strictly increasing, or ``initial`` is not a finite real number.

    Examples
    --------
    >>> import neuromorph as nm
    >>> steps = nm.Steps(times=[100.0, 200.0], values=[1.0, -1.0], initial=0.5)
    >>> steps([0.0, 100.0, 150.0, 200.0, 300.0]).tolist()  # right-continuous
    [0.5, 1.0, 1.0, -1.0, -1.0]
    >>> nm.Steps(times=[100.0, 100.0], values=[1.0, -1.0])
    Traceback (most recent call last):
        ...
    neuromorph.errors.StimulusError: `times` must be strictly increasing; times[0] = 100.0 >= times[1] = 100.0
    """

    def __init__(self, times, values, initial=0.0):
        self.times = v.real_array("times", times, 1, StimulusError)
        self.values = v.real_array("values", values, 1, StimulusError)
        self.initial = v.real("initial", initial, StimulusError)
        if self.times.shape != self.values.shape:
            raise StimulusError(
                f"`times` and `values` must have the same length, got {self.times.size} and {self.values.size}"
            )
        if np.any(np.diff(self.times) <= 0):
            i = int(np.flatnonzero(np.diff(self.times) <= 0)[0])
            raise StimulusError(
                f"`times` must be strictly increasing; times[{i}] = {float(self.times[i])!r} >= times[{i + 1}] = {float(self.times[i + 1])!r}"
            )

    def breakpoints(self):
        return self.times

    def segment_values(self, starts):
        idx = np.searchsorted(self.times, starts, side="right") - 1
        values = np.where(idx < 0, self.initial, self.values[np.maximum(idx, 0)]) if self.times.size else np.full(starts.shape, self.initial)
        return values, np.zeros(starts.shape)

    def value_before(self):
        return self.initial

    def scaled(self, factor):
        return Steps(self.times, self.values * factor, self.initial * factor)

    def _to_dict(self):
        return {"kind": "steps", "times": self.times.tolist(), "values": self.values.tolist(), "initial": self.initial}

    def _key(self):
        return (tuple(self.times), tuple(self.values), self.initial)

    def __repr__(self):
        return f"Steps(times={self.times.tolist()!r}, values={self.values.tolist()!r}, initial={self.initial!r})"


class Pulse(Steps):
    """Rectangular pulse: ``amplitude`` on ``[start, stop)``, 0 elsewhere.

    Parameters
    ----------
    start : float
        Time the pulse begins.
    stop : float
        Time it ends (> ``start``).
    amplitude : float
        Its current.

    Raises
    ------
    StimulusError
        If ``start``, ``stop`` or ``amplitude`` is not a finite real number, or ``stop`` is not
        after ``start``.

    Examples
    --------
    The reference design's HCO on-off control: a pulse of -1 for 500 time units into one neuron,
    on top of its ``I_app = -1``:

    >>> import neuromorph as nm
    >>> stim = -1.0 + nm.Pulse(start=5000.0, stop=5500.0, amplitude=-1.0)
    >>> stim([4999.0, 5000.0, 5499.0, 5500.0]).tolist()
    [-1.0, -2.0, -2.0, -1.0]
    """

    def __init__(self, start, stop, amplitude):
        start = v.real("start", start, StimulusError)
        stop = v.real("stop", stop, StimulusError)
        if stop <= start:
            raise StimulusError(f"pulse `stop` must be > `start`, got start={start!r}, stop={stop!r}")
        self.start, self.stop = start, stop
        self.amplitude = v.real("amplitude", amplitude, StimulusError)
        super().__init__([start, stop], [self.amplitude, 0.0])

    def scaled(self, factor):
        return Pulse(self.start, self.stop, self.amplitude * factor)

    def _to_dict(self):
        return {"kind": "pulse", "start": self.start, "stop": self.stop, "amplitude": self.amplitude}

    def __repr__(self):
        return f"Pulse(start={self.start!r}, stop={self.stop!r}, amplitude={self.amplitude!r})"


class Sampled(Stimulus):
    """Samples ``values`` at ``t``, linearly interpolated; zero outside ``[t[0], t[-1])``.

    Parameters
    ----------
    t : array_like, strictly increasing, at least 2 points
        Sample times.
    values : array_like, same length as ``t``
        The current at each sample time.

    Raises
    ------
    StimulusError
        If ``t`` or ``values`` is not a one-dimensional array of finite numbers, their lengths
        differ, there are fewer than 2 samples, or ``t`` is not strictly increasing.

    See Also
    --------
    Sampled.uniform : samples on a regular grid.

    Examples
    --------
    A triangle, and the same samples on a regular grid:

    >>> import neuromorph as nm
    >>> tri = nm.Sampled(t=[0.0, 10.0, 20.0], values=[0.0, 1.0, 0.0])
    >>> tri([0.0, 5.0, 10.0, 15.0, 25.0]).tolist()  # zero after the last sample
    [0.0, 0.5, 1.0, 0.5, 0.0]
    >>> nm.Sampled.uniform([0.0, 1.0, 0.0], dt=10.0) == tri
    True
    """

    def __init__(self, t, values):
        self.t = v.real_array("t", t, 1, StimulusError)
        self.values = v.real_array("values", values, 1, StimulusError)
        if self.t.shape != self.values.shape:
            raise StimulusError(
                f"sampled stimulus: `t` and `values` must have the same length, got {self.t.size} and {self.values.size}"
            )
        if self.t.size < 2:
            raise StimulusError(f"sampled stimulus needs at least 2 samples, got {self.t.size}")
        if np.any(np.diff(self.t) <= 0):
            i = int(np.flatnonzero(np.diff(self.t) <= 0)[0])
            raise StimulusError(
                f"sampled stimulus: `t` must be strictly increasing; t[{i}] = {float(self.t[i])!r} >= t[{i + 1}] = {float(self.t[i + 1])!r}"
            )

    @classmethod
    def uniform(cls, values, dt, t0=0.0):
        """Samples ``values[i]`` at ``t0 + i dt``.

        Parameters
        ----------
        values : array_like
            The samples (at least 2).
        dt : float
            Sampling interval (> 0).
        t0 : float, default 0.0
            Time of the first sample.
        """
        values = v.real_array("values", values, 1, StimulusError)
        dt = v.positive("dt", dt, StimulusError)
        t0 = v.real("t0", t0, StimulusError)
        return cls(t0 + dt * np.arange(values.size), values)

    def breakpoints(self):
        return self.t

    def segment_values(self, starts):
        i = np.searchsorted(self.t, starts, side="right") - 1
        inside = (i >= 0) & (i < self.t.size - 1)
        j = np.clip(i, 0, self.t.size - 2)
        slope = (self.values[j + 1] - self.values[j]) / (self.t[j + 1] - self.t[j])
        value = self.values[j] + slope * (starts - self.t[j])
        return np.where(inside, value, 0.0), np.where(inside, slope, 0.0)

    def value_before(self):
        return 0.0

    def scaled(self, factor):
        return Sampled(self.t, self.values * factor)

    def _to_dict(self):
        return {"kind": "sampled", "t": self.t.tolist(), "values": self.values.tolist()}

    def _key(self):
        return (tuple(self.t), tuple(self.values))

    def __repr__(self):
        return f"Sampled(<{self.t.size} samples on [{float(self.t[0])!r}, {float(self.t[-1])!r}]>)"


class OUProcess(Stimulus):
    """An Ornstein-Uhlenbeck current: ``dI = (mean - I) / tau dt + sigma sqrt(2 / tau) dW``.

    Stationary mean ``mean``, standard deviation ``sigma``, correlation time ``tau``
    (autocorrelation ``sigma**2 exp(-|s| / tau)``).

    Given as a stimulus (``i_app``) it is *frozen input noise*: one realisation fixed by
    ``seed``, the same in every trial, on every chip and with any solver; the same seed gives
    the same path, and a longer run extends it. The path starts at t = 0 from the stationary
    distribution, is exact (AR(1) recursion of the OU transition) on the grid ``k dt`` and
    linear in between (``dt`` defaults to ``min(tau / 50, 1)``); it is 0 before t = 0.

    Given as ``noise=`` to a simulation it is *intrinsic* coloured noise instead: a state of
    the stochastic solver, fresh in every trial (``seed`` is then not used; the run's seed is).

    Parameters
    ----------
    mean : float, default 0.0
        Stationary mean.
    sigma : float, default 1.0
        Stationary standard deviation (>= 0).
    tau : float, default 1.0
        Correlation time (> 0, in membrane time constants).
    seed : int, optional
        Seed of the frozen realisation, an integer in ``[0, 2**64)``; required when the process
        is an applied current.
    dt : float, optional
        Grid step of the frozen realisation (default ``min(tau / 50, 1)``; at most ``tau``).

    Raises
    ------
    StimulusError
        If ``mean`` is not a finite real number, ``sigma`` is negative, ``tau`` or ``dt`` is not
        positive, ``dt`` exceeds ``tau``, or ``seed`` is not an integer in ``[0, 2**64)``; and
        when a process without ``seed`` is evaluated or run as an applied current.

    Examples
    --------
    The frozen input of the reliability protocol:

    >>> import neuromorph as nm
    >>> drive = nm.OUProcess(mean=-2.6, sigma=0.19, tau=200, seed=1)
    >>> bool(drive([0.0, 500.0])[1] == drive([500.0])[0])  # a path, whatever is asked of it
    True
    >>> nm.OUProcess(mean=-2.6, sigma=0.19, tau=200)([0.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    neuromorph.errors.StimulusError: an OUProcess used as an applied current is frozen input noise and
    needs a `seed` ...
    """

    def __init__(self, mean=0.0, sigma=1.0, tau=1.0, seed=None, dt=None):
        self.mean = v.real("mean", mean, StimulusError)
        self.sigma = v.nonnegative("sigma", sigma, StimulusError)
        self.tau = v.time_constant("tau", tau, StimulusError, allow_zero=False)
        self.seed = None if seed is None else v.seed("seed", seed, StimulusError)
        self.dt = min(self.tau / 50.0, 1.0) if dt is None else v.positive("dt", dt, StimulusError)
        if self.dt > self.tau:
            raise StimulusError(f"OUProcess: the sampling step `dt` = {self.dt!r} must not exceed `tau` = {self.tau!r} "
                                "(the path would miss its own fluctuations)")
        self._scale = 1.0

    def path(self, horizon):
        """``(t, values)`` of the realisation on its grid, covering ``[0, horizon]``."""
        if self.seed is None:
            raise StimulusError("an OUProcess used as an applied current is frozen input noise and needs a `seed` "
                                "(nm.OUProcess(mean, sigma, tau, seed=1)); for noise fresh in every trial pass it as "
                                "noise= instead")
        from scipy.signal import lfilter

        from .._kernels import rng

        n = int(np.floor(max(horizon, 0.0) / self.dt)) + 2
        v.memory("OUProcess horizon", 24.0 * n, StimulusError, what=f"an OU path of {n:.3g} samples")
        k0, k1 = rng.key_of(self.seed)
        z = rng.normal_table(k0, k1, 0, 0, rng.FROZEN, 0, n, 1, 0)[:, 0, 0]
        a = np.exp(-self.dt / self.tau)
        kicks = self.sigma * np.sqrt(-np.expm1(-2.0 * self.dt / self.tau)) * z
        kicks[0] = self.sigma * z[0]  # the stationary start
        values = self.mean + lfilter([1.0], [1.0, -a], kicks)
        return self.dt * np.arange(n), self._scale * values

    def realised(self, horizon):
        """The realisation up to ``horizon`` as a :class:`Sampled` stimulus."""
        return Sampled(*self.path(horizon))

    def breakpoints(self):
        raise StimulusError("an OUProcess is realised up to a horizon: compile it with compile_stimuli(..., horizon=)")

    def scaled(self, factor):
        out = OUProcess(self.mean, self.sigma, self.tau, self.seed, self.dt)
        out._scale = self._scale * factor
        return out

    def _to_dict(self):
        out = {"kind": "ou", "mean": self.mean, "sigma": self.sigma, "tau": self.tau, "dt": self.dt}
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def _key(self):
        return (self.mean, self.sigma, self.tau, self.seed, self.dt, self._scale)

    def __repr__(self):
        scale = "" if self._scale == 1.0 else f"{self._scale!r} * "
        return f"{scale}OUProcess(mean={self.mean!r}, sigma={self.sigma!r}, tau={self.tau!r}, seed={self.seed!r})"


class Sum(Stimulus):
    """Sum of stimuli (nested sums are flattened)."""

    def __init__(self, *terms):
        flat = []
        for term in terms:
            if not isinstance(term, Stimulus):
                raise StimulusError(f"cannot add {term!r} to a stimulus")
            flat.extend(term.terms())
        self._terms = tuple(flat)

    def terms(self):
        return self._terms

    def scaled(self, factor):
        return Sum(*(term.scaled(factor) for term in self._terms))

    def __repr__(self):
        return " + ".join(repr(term) for term in self._terms)


_KINDS = {"constant": Constant, "steps": Steps, "pulse": Pulse, "sampled": Sampled, "ou": OUProcess}


def as_stimulus(value, name="i_app"):
    """Promote a number to :class:`Constant`; pass stimuli through; refuse anything else clearly."""
    if isinstance(value, Stimulus):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Constant(v.real(name, value, StimulusError))
    if callable(value):
        raise StimulusError(
            f"`{name}` cannot be a Python function (it would run inside the solver loop); "
            "sample it instead: nm.Sampled(t, f(t))"
        )
    if isinstance(value, np.ndarray | list | tuple):
        raise StimulusError(f"`{name}` given as an array: wrap it with its times, nm.Sampled(t, values)")
    raise StimulusError(f"`{name}` must be a number or a Stimulus, got {value!r} of type {type(value).__name__}")


def from_dicts(items, where="stimulus"):
    """A stimulus from plain dicts, one per piece with its ``kind`` (the ``[[simulation.stimulus]]`` tables)."""
    from ..errors import CircuitFileError

    terms = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "kind" not in item:
            raise CircuitFileError(f"{where}[{i}]: each stimulus piece needs a `kind` ({', '.join(_KINDS)})")
        kind = item["kind"]
        if not isinstance(kind, str) or kind not in _KINDS:
            raise CircuitFileError(f"{where}[{i}]: unknown stimulus kind {kind!r}; known: {', '.join(_KINDS)}")
        args = {k: val for k, val in item.items() if k != "kind"}
        try:
            terms.append(_KINDS[kind](**args))
        except TypeError as exc:
            raise CircuitFileError(f"{where}[{i}] ({kind}): {exc}") from None
        except StimulusError as exc:
            raise CircuitFileError(f"{where}[{i}] ({kind}): {exc}") from None
    if not terms:
        return Constant(0.0)
    return terms[0] if len(terms) == 1 else Sum(*terms)


def _segments(stimulus):
    """Segment starts (first = -inf), values, slopes and discontinuities of one stimulus."""
    terms = stimulus.terms()
    cuts = [term.breakpoints() for term in terms]
    bps = np.unique(np.concatenate(cuts)) if cuts else np.empty(0)
    a = np.zeros(bps.size + 1)
    b = np.zeros(bps.size + 1)
    a[0] = sum(term.value_before() for term in terms)
    for term in terms:
        val, slope = term.segment_values(bps)
        a[1:] += val
        b[1:] += slope
    starts = np.concatenate(([-np.inf], bps))
    if bps.size:
        widths = np.diff(np.concatenate(([bps[0]], bps)))  # width of the segment before each breakpoint
        left = a[:-1] + np.where(b[:-1] == 0.0, 0.0, b[:-1] * widths)
        scale = np.maximum(1.0, np.maximum(np.abs(left), np.abs(a[1:])))
        jumps = bps[np.abs(a[1:] - left) > 1e-12 * scale]
    else:
        jumps = np.empty(0)
    return starts, a, b, jumps


def needs_horizon(stimuli):
    """True when a stimulus holds a realised process (:class:`OUProcess`): it compiles up to a horizon."""
    return any(isinstance(t, OUProcess) for s in stimuli for t in as_stimulus(s).terms())


def compile_stimuli(stimuli, horizon=None):
    """Kernel form (:class:`~neuromorph._kernels.field.Stim`) of one stimulus per neuron.

    ``horizon``: the latest time the run will reach, for realised processes (:class:`OUProcess`).
    """
    stimuli = [as_stimulus(s) for s in stimuli]
    if needs_horizon(stimuli):
        if horizon is None:
            raise StimulusError("a stimulus holding an OUProcess compiles up to a horizon: pass horizon=")
        stimuli = [Sum(*(t.realised(horizon) if isinstance(t, OUProcess) else t for t in s.terms())) for s in stimuli]
    if all(type(s) is Constant for s in stimuli):  # the common case, without the general merge
        n = len(stimuli)
        return Stim(ptr=np.arange(n + 1, dtype=np.int64), t=np.full(n, -np.inf),
                    a=np.array([s.value for s in stimuli], dtype=np.float64), b=np.zeros(n), jumps=np.empty(0))
    parts = [_segments(s) for s in stimuli]
    ptr = np.zeros(len(parts) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([p[0].size for p in parts])
    jumps = np.unique(np.concatenate([p[3] for p in parts])) if parts else np.empty(0)
    return Stim(
        ptr=ptr,
        t=np.concatenate([p[0] for p in parts]),
        a=np.concatenate([p[1] for p in parts]),
        b=np.concatenate([p[2] for p in parts]),
        jumps=jumps.astype(np.float64),
    )


class Protocol:
    """The experiment a circuit file suggests: run time, stimulus and transient to skip in summaries.

    Parameters
    ----------
    t_end : float
        Run time (> 0).
    i_app : float or Stimulus, default 0.0
        Applied current.
    t_transient : float, optional
        Start of the settled part the summaries analyse. Default: the second half of the run
        (:func:`neuromorph.analysis.spikes.settled_window`).

    Raises
    ------
    ModelError
        If ``t_end`` is not a positive finite number, or ``t_transient`` is negative or not finite.
    StimulusError
        If ``i_app`` is neither a real number nor a Stimulus, or ``t_transient`` is not before
        ``t_end``.

    Examples
    --------
    The bursting preset's suggested experiment, run as it says:

    >>> import neuromorph as nm
    >>> n = nm.preset("bursting")
    >>> p = n.protocol
    >>> p
    Protocol(t_end=10000.0, i_app=Constant(-2.0), t_transient=0.0)
    >>> s = n.simulate(p.t_end, i_app=p.i_app, record=()).summary(t_start=p.t_transient)
    >>> s["pattern"], s["n_bursts"]
    ('bursting', 4)
    >>> nm.Protocol(t_end=20_000.0, i_app=-2.6, t_transient=25_000.0)
    Traceback (most recent call last):
        ...
    neuromorph.errors.StimulusError: `t_transient` (25000.0) must be < `t_end` (20000.0)
    """

    def __init__(self, t_end, i_app=0.0, t_transient=None):
        self.t_end = v.positive("t_end", t_end)
        self.i_app = as_stimulus(i_app)
        self.t_transient = None if t_transient is None else v.nonnegative("t_transient", t_transient)
        if self.t_transient is not None and self.t_transient >= self.t_end:
            raise StimulusError(f"`t_transient` ({self.t_transient}) must be < `t_end` ({self.t_end})")

    def __eq__(self, other):
        return isinstance(other, Protocol) and (self.t_end, self.i_app, self.t_transient) == (
            other.t_end, other.i_app, other.t_transient)

    __hash__ = None

    def __repr__(self):
        return f"Protocol(t_end={self.t_end!r}, i_app={self.i_app!r}, t_transient={self.t_transient!r})"
