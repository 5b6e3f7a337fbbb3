"""Integration methods, as small frozen specs that state their own properties.

=================  =====  ========  ========  =============================================
name               order  adaptive  implicit  use
=================  =====  ========  ========  =============================================
``"dopri5"``       5(4)   yes       no        default: accurate and fast for these models
``"rosenbrock23"`` 2(3)   yes       yes       stiff set-ups (filters much faster than others)
``"rk4"``          4      no        no        fixed step, e.g. to compare with hardware clocks
``"euler"``        1      no        no        fixed step, teaching and convergence studies
``"sra1"``         1.5    no        no        noise (default with noise=): additive noise, strong
                                              order 1.5 (Roessler's SRA1), 2 evaluations a step
``"euler_maruyama"`` 1    no        no        noise: 1 evaluation a step, strong order 1 for
                                              additive noise
=================  =====  ========  ========  =============================================

``"rk45"`` and ``"dp5"`` are aliases of ``"dopri5"``; ``"implicit"``, ``"stiff"``
and ``"ros23"`` of ``"rosenbrock23"``; ``"em"`` of ``"euler_maruyama"``. The orders of the
stochastic methods are strong orders (the mean error of the path) for additive noise, the
only kind the models have.
"""

import math
from dataclasses import dataclass

from .. import _validate as v
from .._kernels import adaptive, fixed
from ..errors import SolverError

__all__ = ["Solver", "Dopri5", "Rosenbrock23", "RK4", "Euler", "EulerMaruyama", "SRA1", "get_solver", "SOLVERS"]


@dataclass(frozen=True)
class Solver:
    """Base of the method specs."""

    name = "solver"
    order = 0
    adaptive = False
    implicit = False
    stochastic = False


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
    """

    name = "dopri5"
    order = 5
    kernel_id = adaptive.DOPRI5


@dataclass(frozen=True)
class Rosenbrock23(_Adaptive):
    """L-stable Rosenbrock 2(3) (Shampine & Reichelt 1997) using the analytic Jacobian.

    For stiff set-ups, e.g. a filter with tau = 0.01 next to one with tau = 2500,
    where explicit methods are held to steps of the fastest time constant.
    """

    name = "rosenbrock23"
    order = 2
    implicit = True
    kernel_id = adaptive.ROSENBROCK23


@dataclass(frozen=True)
class _Fixed(Solver):
    dt: float = 0.01

    def __post_init__(self):
        object.__setattr__(self, "dt", v.positive("dt", self.dt, SolverError))


@dataclass(frozen=True)
class RK4(_Fixed):
    """Classical 4th-order Runge-Kutta with fixed step ``dt`` (default 0.01)."""

    name = "rk4"
    order = 4
    kernel_id = fixed.RK4
    stability_radius = 2.78  # |h lambda| on the negative real axis


@dataclass(frozen=True)
class Euler(_Fixed):
    """Forward Euler with fixed step ``dt`` (default 0.01)."""

    name = "euler"
    order = 1
    kernel_id = fixed.EULER
    stability_radius = 2.0  # |h lambda| on the negative real axis


@dataclass(frozen=True)
class EulerMaruyama(_Fixed):
    """Euler-Maruyama with fixed step ``dt`` (default 0.01): ``Y + h F + B dW``.

    Strong order 1 for additive noise (0.5 for state-dependent noise); one evaluation a step.
    """

    name = "euler_maruyama"
    order = 1
    stochastic = True
    kernel_id = fixed.EULER_MARUYAMA
    stability_radius = 2.0


@dataclass(frozen=True)
class SRA1(_Fixed):
    """Roessler's SRA1 for additive noise with fixed step ``dt`` (default 0.01): strong order 1.5,
    two evaluations a step (see :mod:`neuromorph._kernels.fixed`)."""

    name = "sra1"
    order = 1.5
    stochastic = True
    kernel_id = fixed.SRA1
    stability_radius = 2.0


SOLVERS = {
    "dopri5": Dopri5, "dp5": Dopri5, "rk45": Dopri5,
    "rosenbrock23": Rosenbrock23, "ros23": Rosenbrock23, "implicit": Rosenbrock23, "stiff": Rosenbrock23,
    "rk4": RK4,
    "euler": Euler,
    "euler_maruyama": EulerMaruyama, "em": EulerMaruyama,
    "sra1": SRA1, "sra": SRA1,
}


def get_solver(method="dopri5", rtol=None, atol=None, dt=None, h_max=None, h0=None):
    """Solver spec from a name (or a spec) and options; options the method does not use are an error.

    Examples
    --------
    >>> get_solver("rk4", dt=0.05)
    RK4(dt=0.05)
    >>> get_solver("dopri5", dt=0.1)
    Traceback (most recent call last):
    ...
    neuromorph.errors.SolverError: `dt` is for fixed-step methods; 'dopri5' is adaptive (set rtol/atol instead)
    """
    if isinstance(method, Solver):
        if any(x is not None for x in (rtol, atol, dt, h_max, h0)):
            raise SolverError("give options either in the solver object or as arguments, not both")
        return method
    if not isinstance(method, str) or method.lower() not in SOLVERS:
        raise SolverError(f"unknown `method` {method!r}; choose one of {', '.join(sorted(set(SOLVERS)))}")
    cls = SOLVERS[method.lower()]
    if issubclass(cls, _Adaptive):
        if dt is not None:
            raise SolverError(f"`dt` is for fixed-step methods; {cls.name!r} is adaptive (set rtol/atol instead)")
        opts = {k: val for k, val in (("rtol", rtol), ("atol", atol), ("h_max", h_max), ("h0", h0)) if val is not None}
    else:
        for key, val in (("rtol", rtol), ("atol", atol), ("h_max", h_max), ("h0", h0)):
            if val is not None:
                raise SolverError(f"`{key}` is for adaptive methods; {cls.name!r} uses a fixed step `dt`")
        opts = {} if dt is None else {"dt": dt}
    return cls(**opts)
