"""The stability limit of a fixed step, named in every message about a run that diverged because of it.

An explicit method with step ``dt`` keeps a decaying linear mode ``exp(lambda t)`` bounded only
while ``dt |lambda|`` stays inside its stability region; on the negative real axis that is
``dt |lambda| < R``, the method's ``stability_radius`` (RK4 2.78; Euler, Euler-Maruyama and SRA1
2). The limit here is ``R / max |lambda|`` over the eigenvalues of the Jacobian at the initial
state: an estimate (the fastest mode changes along a trajectory), good enough to name the cause
of a divergence, and to refuse before any work a step so far beyond it (:data:`REFUSE_BEYOND`
times) that every run diverges.
"""

import numpy as np

from ..errors import SolverError

__all__ = ["stable_step", "beyond_limit", "refuse_beyond", "MAX_STATES", "REFUSE_BEYOND"]

MAX_STATES = 400
"""Models with more states get no limit (a dense eigenvalue problem per check would cost more than the check is worth)."""

REFUSE_BEYOND = 2.0
"""A step this many times the limit is refused before the run: the fastest mode then grows 22-fold per RK4 step
(|R(-5.56)|) and 3-fold per Euler step (|1 - 4|); measured on the presets, every run diverges from ~1.8 times."""


def stable_step(arrays, y, radius, t=0.0, stim=None, jacobian=None):
    """Largest stable step on the fastest mode of the model ``arrays`` at state ``y``, for a method of stability
    radius ``radius``; None for models of more than :data:`MAX_STATES` states or without a moving mode.

    ``jacobian(arrays, y, t, stim)``: the dense Jacobian (default :func:`~neuromorph.lower.compile.dense_jacobian`;
    a run passes its problem's, :meth:`~neuromorph.lower.problem.Problem.jacobian`)."""
    if arrays.st_kind.size > MAX_STATES:
        return None
    if jacobian is None:
        from ..lower.compile import dense_jacobian as jacobian

    fastest = float(np.max(np.abs(np.linalg.eigvals(jacobian(arrays, y, t, stim)))))
    return radius / fastest if fastest > 0 else None


def beyond_limit(dt, method, limit):
    """The cause of a divergence when ``dt`` is beyond ``limit`` (a clause for a message), else None."""
    if limit is None or not dt > limit:
        return None
    return (f"the fixed step dt = {dt:g} is beyond {method}'s stability limit for this model's fastest time scale "
            f"(dt < ~{limit:.3g}): use a smaller dt or an adaptive method")


def refuse_beyond(dt, method, limit, what="every member"):
    """Raise :class:`~neuromorph.errors.SolverError` naming ``dt`` and the limit when ``dt`` is more than
    :data:`REFUSE_BEYOND` times ``limit``."""
    if limit is not None and dt > REFUSE_BEYOND * limit:
        raise SolverError(f"`dt` = {dt:g} is far beyond {method}'s stability limit for this model's fastest time "
                          f"scale (dt < ~{limit:.3g}): {what} would diverge; use a smaller dt")
