"""Intrinsic noise of a run: what is noisy, and how strong (the solver draws it; see :mod:`.solve`).

* :class:`WhiteNoise` ``sigma``: Gaussian white current noise into a capacitance,
  ``C dV = ... dt + sigma dW`` on a membrane, ``tau dV_x = (V - V_x) dt + sigma dW`` on a filter
  (the noise of a follower-integrator), or added to one element's output current (the noise
  of its amplifier, a current into its neuron's membrane).
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

    Raises
    ------
    ModelError
        If ``sigma`` is negative or not a finite real number, or ``target`` is neither a name nor
        a sequence of names. (A name the model does not have is refused, also as a
        ``ModelError``, when a run starts.)

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
    """

    def __init__(self, sigma, target=None):
        self.sigma = v.nonnegative("sigma", sigma, ModelError)
        self.target = v.names("target", target, ModelError)

    def __repr__(self):
        return f"WhiteNoise(sigma={self.sigma!r}" + ("" if self.target is None else f", target={self.target!r}") + ")"

    def __eq__(self, other):
        return isinstance(other, WhiteNoise) and (self.sigma, self.target) == (other.sigma, other.target)

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
