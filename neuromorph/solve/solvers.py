"""Integration methods, as small frozen specs that state their own properties, and their registry.

=================  =====  ========  ========  ================  =================================
name               order  adaptive  implicit  engines           use
=================  =====  ========  ========  ================  =================================
``"dopri5"``       5(4)   yes       no        single            default: accurate and fast for
                                                                these models
``"dop853"``       8(5,3) yes       no        single            tight tolerances (spike times to
                                                                1e-4 and below)
``"rosenbrock23"`` 2(3)   yes       yes       single            stiff set-ups (filters much
                                                                faster than others)
``"rk4"``          4      no        no        ensemble, single  fixed step, e.g. to compare with
                                                                hardware clocks
``"euler"``        1      no        no        ensemble, single  fixed step, teaching and
                                                                convergence studies
``"sra1"``         1.5    no        no        ensemble, single  noise (default with noise=):
                                                                additive noise, strong order 1.5
                                                                (Roessler's SRA1), 2 evaluations
``"euler_maruyama"`` 1    no        no        ensemble, single  noise: 1 evaluation a step, strong
                                                                order 1 for additive noise
``"spice"``        2      yes       yes       spice             ngspice's own transient analysis
                                                                (a study's members, in ngspice)
=================  =====  ========  ========  ================  =================================

``"rk45"`` and ``"dp5"`` are aliases of ``"dopri5"``; ``"dp8"`` and ``"rk8"`` of ``"dop853"``; ``"implicit"``, ``"stiff"``
and ``"ros23"`` of ``"rosenbrock23"``; ``"sra"`` of ``"sra1"``; ``"em"`` of ``"euler_maruyama"``.
Names and aliases are case-insensitive. The orders of the stochastic methods are strong orders
(the mean error of the path) for additive noise, the only kind the models have.

Each method states its own contract: its compiled kernel per engine (:meth:`Solver.kernel`),
the work buffers that kernel takes (:meth:`Solver.work`, lengths :meth:`Solver.work_sizes`), its
``stability_radius`` (the largest ``dt |lambda|`` on the negative real axis its stability function
keeps inside the unit disc: RK4 2.78, Dormand-Prince 3.31, DOP853 6.39, Euler and both noise methods 2; an
L-stable or A-stable method has ``inf``) and the ``engines`` that run it. The three adaptive methods
share one compiled driver loop (:mod:`neuromorph._kernels.adaptive`), each with its own step.

The registry is the one place that knows a method's names and where it runs: every entry point
(:func:`neuromorph.simulate`, :class:`~neuromorph.Integrator`, :class:`~neuromorph.Ensemble`,
:class:`~neuromorph.Study`, :func:`~neuromorph.behaviour_map`, :func:`~neuromorph.reliability`)
asks :func:`require` (or :func:`get_solver`, which asks it), so a name is accepted or refused
alike everywhere, with the same words. The engines (:data:`ENGINES`) are the SIMD-lane
ensembles (fixed steps, many copies), single runs (the :class:`~neuromorph.Integrator`, and
behaviour maps' cells) and ngspice. :data:`METHODS` lists the methods in order of preference:
the default of an engine is the first it runs (``"dopri5"`` for single runs, ``"rk4"`` for
ensembles, ``"sra1"`` for either with noise).
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .._kernels import adaptive, fixed, lanes
from ..errors import SolverError

__all__ = ["Solver", "Dopri5", "Dop853", "Rosenbrock23", "RK4", "Euler", "EulerMaruyama", "SRA1", "Spice", "get_solver",
           "require", "methods", "METHODS", "SOLVERS", "ENGINES", "TIGHT_RTOL"]

ENGINES = ("ensemble", "single", "spice")
"""Where a method runs, in the order a study prefers them: SIMD-lane ensembles (:class:`~neuromorph.Ensemble`),
single runs (:class:`~neuromorph.Integrator`) and ngspice (a study's ``method="spice"``)."""
_WHERE = {"ensemble": "ensembles", "single": "single runs", "spice": "SPICE studies", None: "studies"}


@dataclass(frozen=True)
class Solver:
    """Base of the method specs: a method's names, properties, kernels and work layout.

    Attributes
    ----------
    name, aliases : str, tuple of str
        The name and the other names :func:`require` accepts (any case).
    engines : tuple of str
        Where it runs (:data:`ENGINES`).
    order : float
        Convergence order (strong order for the stochastic methods).
    adaptive, implicit, stochastic : bool
        Step-size control; a linear solve per step; takes intrinsic noise.
    kernel_id : int or None
        The method's number inside its kernel (None: not a compiled method).
    stability_radius : float or None
        Largest ``dt |lambda|`` (dimensionless) on the negative real axis for which the method's
        stability function stays in the unit disc (``inf``: A-stable); fixed steps beyond
        ``stability_radius / max |lambda|`` diverge (:mod:`.stability`).
    """

    name = "solver"
    aliases = ()
    engines = ("single",)
    order = 0
    adaptive = False
    implicit = False
    stochastic = False
    kernel_id = None
    stability_radius = None

    def kernel(self, engine="single", threads=1, uniform=False):
        """The compiled function that runs this method in ``engine`` (None: not a numba kernel).

        ``threads`` > 1 picks the fixed-step kernel whose vector field runs on numba's threads
        (large models); ``uniform`` the one whose vector field has a network's like neurons in vector
        lanes (:mod:`neuromorph._kernels.uniform`; it reads a ``UniformModel``). Raises
        :class:`~neuromorph.errors.SolverError` (the words of
        :func:`require`) for an engine that does not run the method.
        """
        require(self, engine)
        return None

    def work_sizes(self, arrays, noise=None):
        """Lengths ``(floats, ints)`` of the work buffers of a single run of the model ``arrays``
        (:class:`~neuromorph._kernels.layout.Model`) with ``noise`` (a lowered
        :class:`~neuromorph._kernels.layout.Noise`, or None)."""
        return 0, 0

    def work(self, arrays, noise=None, engine="single"):
        """The work buffers :meth:`kernel` takes, newly allocated: for single runs a tuple of arrays of
        :meth:`work_sizes`, for ensembles the :class:`~neuromorph._kernels.lanes.LaneWork` of one thread."""
        require(self, engine)
        return ()


@dataclass(frozen=True)
class _Adaptive(Solver):
    rtol: float = 1e-4
    atol: float = 1e-7
    h_max: float = math.inf
    h0: float | None = None
    adaptive = True

    def __post_init__(self):
        object.__setattr__(self, "rtol", v.positive("rtol", self.rtol, SolverError))
        object.__setattr__(self, "atol", v.positive("atol", self.atol, SolverError))
        if not (isinstance(self.h_max, float) and self.h_max == math.inf):
            object.__setattr__(self, "h_max", v.positive("h_max", self.h_max, SolverError))
        if self.h0 is not None:
            object.__setattr__(self, "h0", v.positive("h0", self.h0, SolverError))
        if self.rtol < 1e-14:
            raise SolverError(f"`rtol` must be >= 1e-14 (double precision), got {self.rtol!r}")

    def kernel(self, engine="single", threads=1, uniform=False):
        require(self, engine)
        return adaptive.KERNELS[self.kernel_id]

    def work_sizes(self, arrays, noise=None):
        return adaptive.work_sizes(self.kernel_id, arrays)

    def work(self, arrays, noise=None, engine="single"):
        require(self, engine)
        n_work, n_iwork = self.work_sizes(arrays)
        return np.empty(n_work), np.empty(n_iwork, dtype=np.int64)


@dataclass(frozen=True)
class Dopri5(_Adaptive):
    """Dormand-Prince 5(4) with PI step control and 4th-order dense output.

    Parameters
    ----------
    rtol, atol : float, defaults 1e-4 and 1e-7
        Local error per step is kept below ``atol + rtol |y|`` (RMS over states).
        The defaults (10x tighter than scipy's or MATLAB's) put the spikes of the
        bursting preset within 0.03 of a DOP853 rtol 1e-10 reference over 10 000
        time units; pass ``rtol=1e-6`` or tighter for timing studies.
    h_max : float, default inf
        Largest step.
    h0 : float, optional
        First step (default: chosen from the vector field, Hairer et al. II.4).

    Raises
    ------
    SolverError
        If ``rtol``, ``atol``, ``h_max`` or ``h0`` is not a finite number > 0 (``h_max`` may be
        ``inf``), or ``rtol`` < 1e-14 (below double precision).

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.Dopri5.order, nm.Dopri5.adaptive, nm.Dopri5.stability_radius
    (5, True, 3.31)
    >>> res = nm.simulate("tonic", 300, i_app=-0.7, method=nm.Dopri5(rtol=1e-6), record=())
    >>> res.method, res.spike_times.size, round(float(res.spike_times[1] - res.spike_times[0]), 1)
    ('dopri5', 9, 36.7)
    """

    name = "dopri5"
    aliases = ("dp5", "rk45")
    order = 5
    kernel_id = adaptive.DOPRI5
    stability_radius = 3.31


@dataclass(frozen=True)
class Dop853(_Adaptive):
    """Dormand & Prince's 8(5,3) pair (Hairer's DOP853) with PI step control and 7th-order dense output.

    Twelve evaluations a step against Dormand-Prince 5(4)'s six, but far fewer steps at tight
    tolerances: the method for spike timing at errors of 1e-4 and below (``benchmarks/work_precision.py``).
    Spikes are located on the 7th-order continuous extension, which costs three more evaluations on
    the steps that hold a spike or an output time.

    Parameters
    ----------
    rtol, atol : float, defaults 1e-4 and 1e-7
        Local error per step is kept below ``atol + rtol |y|`` (Hairer's error norm, which
        tempers the 5th-order estimate by a 3rd-order one).
    h_max : float, default inf
        Largest step.
    h0 : float, optional
        First step (default: chosen from the vector field, Hairer et al. II.4).

    Raises
    ------
    SolverError
        If ``rtol``, ``atol``, ``h_max`` or ``h0`` is not a finite number > 0 (``h_max`` may be
        ``inf``), or ``rtol`` < 1e-14 (below double precision).

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.Dop853.order, nm.Dop853.adaptive
    (8, True)
    >>> res = nm.simulate("tonic", 300, i_app=-0.7, method=nm.Dop853(rtol=1e-8), record=())
    >>> res.method, res.spike_times.size, round(float(res.spike_times[1] - res.spike_times[0]), 1)
    ('dop853', 9, 36.7)
    """

    name = "dop853"
    aliases = ("dp8", "rk8")
    order = 8
    kernel_id = adaptive.DOP853
    stability_radius = 6.39


@dataclass(frozen=True)
class Rosenbrock23(_Adaptive):
    """L-stable Rosenbrock 2(3) (Shampine & Reichelt 1997) using the analytic Jacobian.

    For stiff set-ups, e.g. a filter with tau = 0.01 next to one with tau = 2500,
    where explicit methods are held to steps of the fastest time constant. Each accepted step
    evaluates the Jacobian once, each attempt factorises ``I - h gamma J``.

    Parameters
    ----------
    rtol, atol : float, defaults 1e-4 and 1e-7
        Local error per step is kept below ``atol + rtol |y|`` (RMS over states).
    h_max : float, default inf
        Largest step.
    h0 : float, optional
        First step (default: chosen from the vector field).

    Raises
    ------
    SolverError
        If ``rtol``, ``atol``, ``h_max`` or ``h0`` is not a finite number > 0 (``h_max`` may be
        ``inf``), or ``rtol`` < 1e-14 (below double precision). A run whose iteration matrix is
        singular stops with :class:`~neuromorph.errors.SimulationError` (reason ``"solver failed"``).

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.Rosenbrock23.implicit, nm.Rosenbrock23.stability_radius
    (True, inf)
    >>> res = nm.simulate("tonic", 300, i_app=-0.7, method=nm.Rosenbrock23(), record=())
    >>> res.method, res.spike_times.size, res.stats.n_jacobian == res.stats.n_steps
    ('rosenbrock23', 9, True)
    """

    name = "rosenbrock23"
    aliases = ("ros23", "implicit", "stiff")
    order = 2
    implicit = True
    kernel_id = adaptive.ROSENBROCK23
    stability_radius = math.inf  # L-stable


@dataclass(frozen=True)
class _Fixed(Solver):
    dt: float = 0.01
    engines = ("ensemble", "single")

    def __post_init__(self):
        object.__setattr__(self, "dt", v.positive("dt", self.dt, SolverError))

    def kernel(self, engine="single", threads=1, uniform=False):
        require(self, engine)
        if engine == "ensemble":
            return lanes.lanes_run
        if uniform:
            return fixed.fixed_run_uniform_threads if threads > 1 else fixed.fixed_run_uniform
        return fixed.fixed_run_threads if threads > 1 else fixed.fixed_run

    def work_sizes(self, arrays, noise=None):
        return fixed.work_size(arrays, noise), 0

    def work(self, arrays, noise=None, engine="single"):
        require(self, engine)
        if engine == "ensemble":
            return lanes.work_for(arrays, noise)
        return (np.empty(self.work_sizes(arrays, noise)[0]),)


@dataclass(frozen=True)
class RK4(_Fixed):
    """Classical 4th-order Runge-Kutta with fixed step ``dt`` (default 0.01).

    Four evaluations of the vector field a step; runs in single runs and in ensembles (the
    ensembles' default method). Steps beyond ``2.78 / max |lambda|`` diverge.

    Parameters
    ----------
    dt : float, default 0.01
        Step (dimensionless time).

    Raises
    ------
    SolverError
        If ``dt`` is not a finite number > 0.

    Examples
    --------
    >>> import neuromorph as nm
    >>> nm.RK4.order, nm.RK4.engines
    (4, ('ensemble', 'single'))
    >>> res = nm.simulate("tonic", 300, i_app=-0.7, method=nm.RK4(dt=0.05), record=())
    >>> res.method, res.stats.n_steps, res.spike_times.size
    ('rk4', 6000, 9)
    """

    name = "rk4"
    order = 4
    kernel_id = fixed.RK4
    stability_radius = 2.78  # |h lambda| on the negative real axis


@dataclass(frozen=True)
class Euler(_Fixed):
    """Forward Euler with fixed step ``dt`` (default 0.01).

    One evaluation of the vector field a step, first order; steps beyond ``2 / max |lambda|``
    diverge.

    Parameters
    ----------
    dt : float, default 0.01
        Step (dimensionless time).

    Raises
    ------
    SolverError
        If ``dt`` is not a finite number > 0.

    Examples
    --------
    >>> import neuromorph as nm
    >>> res = nm.simulate("tonic", 300, i_app=-0.7, method=nm.Euler(dt=0.01), record=())
    >>> res.method, res.stats.n_steps, res.spike_times.size
    ('euler', 30000, 9)
    >>> nm.Euler(dt=0)
    Traceback (most recent call last):
    ...
    neuromorph.errors.SolverError: `dt` must be > 0, got 0.0
    """

    name = "euler"
    order = 1
    kernel_id = fixed.EULER
    stability_radius = 2.0  # |h lambda| on the negative real axis


@dataclass(frozen=True)
class EulerMaruyama(_Fixed):
    """Euler-Maruyama with fixed step ``dt`` (default 0.01): ``Y + h F + B dW``.

    Strong order 1 for additive noise (0.5 for state-dependent noise); one evaluation a step.

    Parameters
    ----------
    dt : float, default 0.01
        Step (dimensionless time).

    Raises
    ------
    SolverError
        If ``dt`` is not a finite number > 0.

    Examples
    --------
    The same seed gives the same noise, hence the same spikes:

    >>> import neuromorph as nm
    >>> runs = [nm.simulate("tonic", 300, i_app=-0.7, method=nm.EulerMaruyama(dt=0.01), record=(),
    ...                     noise=nm.WhiteNoise(0.05), seed=1) for _ in range(2)]
    >>> runs[0].method, runs[0].spike_times.size, runs[0].spike_times.tolist() == runs[1].spike_times.tolist()
    ('euler_maruyama', 9, True)
    """

    name = "euler_maruyama"
    aliases = ("em",)
    order = 1
    stochastic = True
    kernel_id = fixed.EULER_MARUYAMA
    stability_radius = 2.0


@dataclass(frozen=True)
class SRA1(_Fixed):
    """Roessler's SRA1 for additive noise with fixed step ``dt`` (default 0.01): strong order 1.5,
    two evaluations a step (see :mod:`neuromorph._kernels.fixed`).

    The default method of noisy runs.

    Parameters
    ----------
    dt : float, default 0.01
        Step (dimensionless time).

    Raises
    ------
    SolverError
        If ``dt`` is not a finite number > 0.

    Examples
    --------
    >>> import neuromorph as nm
    >>> res = nm.simulate("tonic", 300, i_app=-0.7, noise=nm.WhiteNoise(0.05), seed=1, record=())
    >>> res.method, res.stats.n_rhs // res.stats.n_steps, res.spike_times.size  # two evaluations a step
    ('sra1', 2, 9)
    """

    name = "sra1"
    aliases = ("sra",)
    order = 1.5
    stochastic = True
    kernel_id = fixed.SRA1
    stability_radius = 2.0


@dataclass(frozen=True)
class Spice(Solver):
    """ngspice's transient analysis (Gear's method up to order 2, its own step control) of a
    study's members (``Study(method="spice")``; its options are the study's ``spice`` table)."""

    name = "spice"
    engines = ("spice",)
    order = 2
    adaptive = True
    implicit = True
    stability_radius = math.inf  # Gear's methods of order 1 and 2 are A-stable


TIGHT_RTOL = 1e-6
"""From this ``rtol`` down, a single run without a named method takes ``"dop853"`` rather than ``"dopri5"``: at
equal spike-time error DOP853 is the faster from about there (``benchmarks/work_precision.py``)."""

METHODS = (Dopri5, Dop853, Rosenbrock23, RK4, Euler, SRA1, EulerMaruyama, Spice)
"""Every method, in order of preference (an engine's default is the first it runs)."""
SOLVERS = {key: cls for cls in METHODS for key in (cls.name, *cls.aliases)}
"""Every name and alias (lower case) to its method."""


def methods(engine=None, noise=False):
    """The methods (:class:`Solver` classes) ``engine`` runs (any engine if None), only stochastic ones with ``noise``.

    Examples
    --------
    >>> [m.name for m in methods("ensemble", noise=True)]
    ['sra1', 'euler_maruyama']
    """
    if engine is not None and engine not in ENGINES:
        raise SolverError(f"`engine` must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")
    return tuple(m for m in METHODS if (engine is None or engine in m.engines) and (m.stochastic or not noise))


def require(method, engine=None, noise=False):
    """The method (a :class:`Solver` class) named by ``method``, refused unless ``engine`` runs it (with ``noise``).

    Parameters
    ----------
    method : str, Solver or None
        A name or alias (any case), a solver spec, or None for the default of ``engine`` (of
        ensembles if ``engine`` is None).
    engine : {"ensemble", "single", "spice"} or None, default None
        Where it is to run (:data:`ENGINES`); None: anywhere.
    noise : bool, default False
        Whether the run has intrinsic noise (only stochastic methods take it).

    Raises
    ------
    SolverError
        Naming `method`, the value received and the methods ``engine`` takes: every entry point
        refuses with these words.

    Examples
    --------
    >>> require("EM", "ensemble").name
    'euler_maruyama'
    >>> require("garbage", "spice")
    Traceback (most recent call last):
    ...
    neuromorph.errors.SolverError: unknown `method` 'garbage'; SPICE studies take 'spice'
    """
    allowed = methods(engine, noise)
    if method is None:
        return methods(engine or ENGINES[0], noise)[0]
    if isinstance(method, Solver):
        found, received = type(method), method.name
    else:
        found, received = SOLVERS.get(method.lower()) if isinstance(method, str) else None, method
    if found in allowed:
        return found
    if found is None:
        problem = f"unknown `method` {received!r}"
    elif engine is not None and engine not in found.engines:
        problem = f"`method` {received!r} does not run in {_WHERE[engine]}"
    else:
        problem = f"`noise` needs a stochastic method, not {received!r}"
    where = ("noisy " if noise else "") + _WHERE[engine]
    listing = ", ".join(repr(m.name) + (f" (or {', '.join(map(repr, m.aliases))})" if m.aliases else "")
                        for m in allowed)
    raise SolverError(f"{problem}; {where} take {listing or 'none'}")


def get_solver(method=None, rtol=None, atol=None, dt=None, h_max=None, h0=None, *, engine="single", noise=False):
    """Solver spec from a name (or a spec) and options; options the method does not use are an error.

    ``method`` is checked by :func:`require` for ``engine`` (default: single runs) and ``noise``;
    None is that engine's default method.

    Parameters
    ----------
    method : str or Solver, optional
        A method name or alias, any case (``"dopri5"``, ``"rk4"``, ``"em"``, ...), or a solver spec,
        returned as it is. Default: the first method ``engine`` runs (``"dopri5"`` for single
        runs, ``"rk4"`` for ensembles; ``"sra1"`` with ``noise``); for single runs with ``rtol`` at or
        below :data:`TIGHT_RTOL` (1e-6), ``"dop853"``, which is faster at such tolerances.
    rtol, atol : float, optional
        Tolerances of the adaptive methods (their defaults 1e-4 and 1e-7).
    dt : float, optional
        Step of the fixed-step methods (their default 0.01).
    h_max : float, optional
        Largest step of the adaptive methods (default inf).
    h0 : float, optional
        First step of the adaptive methods (default: chosen from the vector field).
    engine : {"single", "ensemble", "spice"}, default "single"
        Where the method is to run.
    noise : bool, default False
        Whether the run has intrinsic noise (only stochastic methods take it).

    Returns
    -------
    Solver
        An instance of :class:`Dopri5`, :class:`Dop853`, :class:`Rosenbrock23`, :class:`RK4`, :class:`Euler`,
        :class:`SRA1`, :class:`EulerMaruyama` or ``Spice``.

    Raises
    ------
    SolverError
        If ``method`` is unknown, does not run in ``engine`` or (with ``noise``) is not stochastic;
        if ``engine`` is not one of the three; if an option does not belong to the method (``dt``
        for an adaptive one, ``rtol``, ``atol``, ``h_max`` or ``h0`` for a fixed-step one), or options
        come with a solver spec; or if an option's value is invalid (see the method's class).

    Examples
    --------
    >>> get_solver("rk4", dt=0.05)
    RK4(dt=0.05)
    >>> get_solver(rtol=1e-5).name, get_solver(rtol=1e-8).name
    ('dopri5', 'dop853')
    >>> get_solver("dopri5", dt=0.1)
    Traceback (most recent call last):
    ...
    neuromorph.errors.SolverError: `dt` is for fixed-step methods; 'dopri5' is adaptive (set rtol/atol instead)
    """
    cls = require(method, engine, noise)
    if method is None and cls is Dopri5 and isinstance(rtol, (int, float)) and 0 < rtol <= TIGHT_RTOL:
        cls = Dop853  # measured faster at equal error from here down (benchmarks/work_precision.py)
    if isinstance(method, Solver):
        if any(x is not None for x in (rtol, atol, dt, h_max, h0)):
            raise SolverError("give options either in the solver object or as arguments, not both")
        return method
    if issubclass(cls, _Adaptive):
        if dt is not None:
            raise SolverError(f"`dt` is for fixed-step methods; {cls.name!r} is adaptive (set rtol/atol instead)")
        opts = {k: val for k, val in (("rtol", rtol), ("atol", atol), ("h_max", h_max), ("h0", h0)) if val is not None}
    elif issubclass(cls, _Fixed):
        for key, val in (("rtol", rtol), ("atol", atol), ("h_max", h_max), ("h0", h0)):
            if val is not None:
                raise SolverError(f"`{key}` is for adaptive methods; {cls.name!r} uses a fixed step `dt`")
        opts = {} if dt is None else {"dt": dt}
    else:
        for key, val in (("rtol", rtol), ("atol", atol), ("dt", dt), ("h_max", h_max), ("h0", h0)):
            if val is not None:
                raise SolverError(f"`{key}` is not an option of {cls.name!r}")
        opts = {}
    return cls(**opts)
