"""Whether a run's steps can follow a shared Brownian path (``WhiteNoise(sigma, path_dt=...)``), checked before it
steps: the kernels sum whole steps of the path (:mod:`neuromorph._kernels.fixed`) and trust that they can."""

import numpy as np

from ..errors import SolverError

__all__ = ["check_path_grid"]

_MERGED = 64.0 * np.finfo(np.float64).eps  # (as the kernels' next_fixed_time: a stop this close to a grid point is it)


def check_path_grid(noise, dt, t0, t_from, t_stop, jumps):
    """Refuse a run that cannot follow its noise's shared Brownian paths.

    The run steps by ``dt`` on the grid ``t0 + k dt`` from ``t_from`` to ``t_stop``, split at the stimulus
    discontinuities ``jumps``; ``noise`` is its lowered :class:`~neuromorph._kernels.layout.Noise`. A step
    sums whole steps of a source's path (grid ``t0 + i path_dt``, the grid of a run at ``dt = path_dt``), so
    ``dt`` must be a whole multiple of ``path_dt``, and every discontinuity in ``(t_from, t_stop)`` and
    ``t_stop`` itself must lie on the path's grid (to the few ulps within which the kernels merge a
    discontinuity with a grid point). A run without ``path_dt`` passes.

    Parameters
    ----------
    noise : Noise
    dt, t0, t_from, t_stop : float
        The run's step, grid origin, and the times it goes from and stops at (dimensionless).
    jumps : array_like of float
        The stimulus discontinuities.

    Raises
    ------
    SolverError
        Naming ``dt`` and ``path_dt`` and their values, or the time off the path's grid.

    Examples
    --------
    >>> import neuromorph as nm
    >>> from neuromorph.lower.problem import prepare
    >>> from neuromorph.solve.noise_path import check_path_grid
    >>> noise = prepare("bursting", noise=nm.WhiteNoise(0.05, path_dt=0.01), seed=1).noise
    >>> check_path_grid(noise, 0.05, 0.0, 0.0, 100.0, [20.0])
    >>> check_path_grid(noise, 0.05, 0.0, 0.0, 100.0, [20.005])
    Traceback (most recent call last):
        ...
    neuromorph.errors.SolverError: a stimulus discontinuity at t = 20.005 is off the grid of the noise's
    Brownian path, t0 + k path_dt (t0 = 0, `path_dt` = 0.01): a step cannot end between two of the path's
    points; put it on that grid or choose a path_dt that divides it
    """
    for path_dt in np.unique(noise.src_path_dt[noise.src_path_dt > 0.0]):
        path_dt = float(path_dt)
        ratio = dt / path_dt
        m = round(ratio)
        if m < 1 or abs(m - ratio) > 1e-9 * ratio:
            raise SolverError(f"`dt` = {dt:g} must be a whole multiple of the noise's `path_dt` = {path_dt:g} "
                              f"(dt / path_dt = {ratio:.9g}): each step sums the Brownian path's increments over "
                              "whole steps of path_dt")
        if (t_stop - t0) / path_dt >= 2 ** 32 - 1:
            raise SolverError(f"a noisy run counts its steps in 32 bits: t = {t_stop:g} at the noise's `path_dt` = "
                              f"{path_dt:g} is beyond 2**32 path steps")
        inside = [("a stimulus discontinuity", float(x)) for x in jumps if t_from < x < t_stop]
        for what, x in inside + [("the time the run stops at", t_stop)]:
            grid = t0 + round((x - t0) / path_dt) * path_dt
            if abs(grid - x) > _MERGED * max(abs(x), 1.0):
                raise SolverError(f"{what} at t = {x!r} is off the grid of the noise's Brownian path, t0 + k path_dt "
                                  f"(t0 = {t0:g}, `path_dt` = {path_dt:g}): a step cannot end between two of the "
                                  "path's points; put it on that grid or choose a path_dt that divides it")
