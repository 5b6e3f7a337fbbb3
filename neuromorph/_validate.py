"""Validators shared by every public entry point.

Each returns the cleaned value (a Python float, int or a float64 array) or
raises the given error class with a message that names the argument and the
value received. Kernels trust what passes through here.
"""

import math
import numbers

import numpy as np

from .errors import ModelError

__all__ = ["real", "positive", "nonnegative", "count", "identifier", "real_array"]


def real(name, value, error=ModelError):
    """Return ``value`` as a finite float; reject bools, non-numbers, NaN and inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"`{name}` must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise error(f"`{name}` must be finite, got {value!r}")
    return value


def positive(name, value, error=ModelError):
    """Return ``value`` as a finite float > 0."""
    value = real(name, value, error)
    if value <= 0.0:
        raise error(f"`{name}` must be > 0, got {value!r}")
    return value


def nonnegative(name, value, error=ModelError):
    """Return ``value`` as a finite float >= 0."""
    value = real(name, value, error)
    if value < 0.0:
        raise error(f"`{name}` must be >= 0, got {value!r}")
    return value


def count(name, value, minimum=1, error=ModelError):
    """Return ``value`` as an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(f"`{name}` must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise error(f"`{name}` must be >= {minimum}, got {value}")
    return value


def identifier(name, value, error=ModelError):
    """Return ``value`` if it is a valid Python identifier (names are used in ``ELEMENT.FIELD`` paths)."""
    if not isinstance(value, str) or not value.isidentifier():
        raise error(f"`{name}` must be an identifier such as 'slow_negative', got {value!r}")
    return value


def real_array(name, value, ndim=1, error=ModelError):
    """Return ``value`` as a finite float64 array with ``ndim`` dimensions."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise error(f"`{name}` must be an array of real numbers, got {type(value).__name__}") from None
    if arr.ndim != ndim:
        raise error(f"`{name}` must be {ndim}-dimensional, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise error(f"`{name}` must be finite, got {float(arr.ravel()[i])!r} at index {i}")
    return arr
