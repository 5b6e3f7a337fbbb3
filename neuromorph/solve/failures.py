"""What the kernels' status codes mean, in the one vocabulary of failures (:class:`~neuromorph.errors.Failure`).

The single-run kernels (:mod:`neuromorph._kernels.adaptive`, :mod:`neuromorph._kernels.fixed`) return a
negative ``ERR_*`` code when they stop short; the lanes kernel (:mod:`neuromorph._kernels.lanes`) writes a
``LANE_*`` code per copy, which is also that reason's :attr:`~neuromorph.errors.Failure.code` (so an
ensemble's ``status`` array and a study store's ``status`` variable hold the same numbers). The two tables
here are the only place these codes are read.
"""

from .._kernels import common as c
from .._kernels import lanes
from ..errors import Failure

__all__ = ["KERNEL", "LANE", "kernel_failure", "lane_failure"]

KERNEL = {
    c.ERR_NONFINITE: (Failure.NON_FINITE, None),
    c.ERR_STEP_UNDERFLOW: (Failure.STEP_UNDERFLOW, None),
    c.ERR_SINGULAR: (Failure.SOLVER_FAILED, "the Rosenbrock iteration matrix I - h*gamma*J is singular"),
    c.ERR_RUNAWAY: (Failure.DIVERGING, None),
}
"""``{single-run kernel status: (reason, what the kernel adds to the reason's explanation or None)}``."""

LANE = {lanes.LANE_OK: Failure.OK, lanes.LANE_NONFINITE: Failure.NON_FINITE, lanes.LANE_RUNAWAY: Failure.DIVERGING}
"""``{lane status: reason}``; each lane status is its reason's code."""


def kernel_failure(status):
    """``(reason, text)`` of a single-run kernel's failure status: the reason and its explanation for a message.

    Examples
    --------
    >>> from neuromorph._kernels import common as c
    >>> kernel_failure(c.ERR_SINGULAR)[0]
    <Failure.SOLVER_FAILED: 'solver failed'>
    """
    reason, detail = KERNEL[int(status)]
    return reason, reason.explanation if detail is None else f"{reason.explanation}: {detail}"


def lane_failure(status):
    """The reason of a lane's status (:attr:`neuromorph.solve.ensemble.EnsembleResult.status`)."""
    return LANE[int(status)]
