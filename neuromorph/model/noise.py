"""Intrinsic noise of a run: what is noisy, and how strong (the solver draws it; see :mod:`.solve`).

* :class:`WhiteNoise` ``sigma``: Gaussian white current noise into a capacitance,
  ``C dV = ... dt + sigma dW`` on a membrane, ``tau dV_x = (V - V_x) dt + sigma dW`` on a filter
  (the noise of a follower-integrator), or added to one element's output current (the noise
  of its amplifier, a current into its neuron's membrane). With ``path_dt``, runs at different
  steps share one Brownian path (for strong-error studies).
* :class:`~.stimulus.OUProcess` given as noise: coloured current noise into a membrane, an
  Ornstein-Uhlenbeck state of the solver.

Intrinsic noise is fresh in every trial and on every chip; frozen input noise (the same in
every trial) is an :class:`~.stimulus.OUProcess` given as the applied current instead.

Examples
--------
>>> import neuromorph as nm
>>> res = nm.preset("bursting").simulate(t_end=2000, i_app=-2.0, noise=nm.WhiteNoise(0.05), seed=1, dt=0.05)
>>> res.method
'sra1'
"""

from .. import _validate as v
from ..errors import ModelError
from .stimulus import OUProcess

__all__ = ["WhiteNoise", "as_noise_list"]


class WhiteNoise:
    """Gaussian white current noise of intensity ``sigma`` (``sigma dW``) into ``target``.

    Parameters
    ----------
    sigma : float >= 0
        Intensity (dimensionless current per square root of time).
    target : str or sequence of str, optional
        Where it enters (default: every neuron's membrane). A state name (``"v"``, ``"slow"``;
        ``"n1.v"`` in a network) puts it on that membrane or filter; a neuron name on that
        neuron's membrane; an element name (``"slow_negative"``, ``"n1.slow_negative"``) on that
        element's output current. Each target gets its own independent noise.
    path_dt : float > 0, optional
        Draw the Brownian path of a run at step ``path_dt`` (dimensionless time), whatever the run's
        own step ``dt``, which must then be a whole multiple ``m path_dt``. Default None: each run
        draws its own path, one pair of normals per step, so runs at different ``dt`` see different
        paths. With ``path_dt``, a step of ``dt = m path_dt`` spanning path steps ``i = 0 .. m - 1``
        (increments ``dW_i``, with ``dZ_i`` the integral of ``W - W_i`` over path step ``i``) takes

            dW = sum_i dW_i,    dZ = sum_i [(W_i - W_0) path_dt + dZ_i]

        (``dZ``, the integral of ``W - W_0`` over the step, is what the order-1.5 scheme SRA1 uses
        besides ``dW``; exact, not an approximation), so every ``dt`` integrates the same path
        and a run at ``dt = path_dt`` draws the very bits of one without ``path_dt``: a strong
        error is the difference from a fine run on the same seed. It costs ``m`` draws per step.
        Stimulus discontinuities and the times a run stops at must lie on the path's grid
        ``t0 + k path_dt``.

    Raises
    ------
    ModelError
        If ``sigma`` is negative or not a finite real number, ``path_dt`` is not a finite number > 0,
        or ``target`` is neither a name nor a sequence of names. (A name the model does not have is
        refused, also as a ``ModelError``, when a run starts.)
    SolverError
        When a run starts with ``path_dt``, if its ``dt`` is not a whole multiple of ``path_dt``, or a
        stimulus discontinuity or the time it stops at is off the path's grid.

    Examples
    --------
    Noise is fresh for every seed, and the same seed gives the same run:

    >>> import numpy as np
    >>> import neuromorph as nm
    >>> noise = nm.WhiteNoise(0.05)
    >>> def spikes(seed):
    ...     res = nm.preset("tonic").simulate(t_end=500, i_app=-0.7, noise=noise, seed=seed, dt=0.05, record=())
    ...     return res.spike_times
    >>> np.array_equal(spikes(1), spikes(1)), np.array_equal(spikes(1), spikes(2))
    (True, False)

    Noise on a filter and on an element's output, each its own source:

    >>> nm.WhiteNoise(0.02, target=["slow", "slow_positive"])
    WhiteNoise(sigma=0.02, target=('slow', 'slow_positive'))

    One Brownian path at every step, for a strong error: a run at ``dt = path_dt`` is the plain
    run, and SRA1 at 16 times the step lands close to it on its path (not on a path of its own):

    >>> path = nm.WhiteNoise(0.05, path_dt=0.005)
    >>> def v_end(dt, noise=path):
    ...     res = nm.preset("bursting").simulate(t_end=200, i_app=-2.0, noise=noise, seed=1, dt=dt, record=("v",))
    ...     return res.y[0, -1]
    >>> fine = v_end(0.005)
    >>> bool(fine == v_end(0.005, nm.WhiteNoise(0.05)))
    True
    >>> bool(abs(v_end(0.08) - fine) < 1e-4), bool(abs(v_end(0.08, nm.WhiteNoise(0.05)) - fine) > 1e-3)
    (True, True)
    >>> v_end(0.0075)
    Traceback (most recent call last):
        ...
    neuromorph.errors.SolverError: `dt` = 0.0075 must be a whole multiple of the noise's `path_dt` = 0.005
    (dt / path_dt = 1.5): each step sums the Brownian path's increments over whole steps of path_dt
    """

    def __init__(self, sigma, target=None, path_dt=None):
        self.sigma = v.nonnegative("sigma", sigma, ModelError)
        self.target = v.names("target", target, ModelError)
        self.path_dt = None if path_dt is None else v.positive("path_dt", path_dt, ModelError)

    def __repr__(self):
        return (f"WhiteNoise(sigma={self.sigma!r}" + ("" if self.target is None else f", target={self.target!r}")
                + ("" if self.path_dt is None else f", path_dt={self.path_dt!r}") + ")")

    def __eq__(self, other):
        return isinstance(other, WhiteNoise) and ((self.sigma, self.target, self.path_dt)
                                                  == (other.sigma, other.target, other.path_dt))

    __hash__ = None


def as_noise_list(noise):
    """``noise=`` as a list of sources (:class:`WhiteNoise`, :class:`OUProcess`); None or a number refused clearly."""
    if noise is None:
        return []
    items = noise if isinstance(noise, list | tuple) else [noise]
    for item in items:
        if not isinstance(item, WhiteNoise | OUProcess):
            hint = (f"; for white noise of intensity {item!r} write nm.WhiteNoise({item!r})"
                    if isinstance(item, int | float) and not isinstance(item, bool) else "")
            raise ModelError(f"`noise` must be nm.WhiteNoise(...) or nm.OUProcess(...) (or a list of them), got "
                             f"{item!r}{hint}")
    return list(items)
