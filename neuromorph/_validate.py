"""Validators shared by every public entry point.

Each returns the cleaned value (a Python float, int or a float64 array) or
raises the given error class with a message that names the argument and the
value received. Kernels trust what passes through here.
"""

import math
import numbers
import os

import numpy as np

from .errors import ModelError

__all__ = ["real", "positive", "nonnegative", "time_constant", "count", "identifier", "real_array", "text",
           "memory", "member", "seed", "names", "MAGNITUDE", "MIN_TIME_CONSTANT"]

MAGNITUDE = 1e12
"""Largest magnitude accepted for any quantity. The model is dimensionless (voltages of a few units,
time in membrane time constants): beyond this, sums and squares in the solvers lose every digit or overflow."""

MIN_TIME_CONSTANT = 1e-9
"""Smallest positive time constant or capacitance: faster than this is instantaneous at any step a solver can take."""


def real(name, value, error=ModelError):
    """Return ``value`` as a finite float within +-:data:`MAGNITUDE`; reject bools, non-numbers, NaN and inf."""
    if type(value) is float and -MAGNITUDE <= value <= MAGNITUDE:  # the common case, without the ABC checks
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"`{name}` must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise error(f"`{name}` must be finite, got {value!r}")
    if abs(value) > MAGNITUDE:
        raise error(f"`{name}` must lie within +-{MAGNITUDE:g} (quantities are dimensionless: voltages of a few "
                    f"units, time in membrane time constants), got {value!r}")
    return value


def time_constant(name, value, error=ModelError, allow_zero=True):
    """Return ``value`` as a time constant: 0 (instantaneous, if allowed) or >= :data:`MIN_TIME_CONSTANT`."""
    value = nonnegative(name, value, error) if allow_zero else positive(name, value, error)
    if 0.0 < value < MIN_TIME_CONSTANT:
        instead = "; use 0 for an instantaneous filter" if allow_zero else ""
        raise error(f"`{name}` must be >= {MIN_TIME_CONSTANT:g} (a membrane time constant is 1), got {value!r}"
                    f"{instead}")
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
    big = np.abs(arr) > MAGNITUDE
    if big.any():
        i = int(np.flatnonzero(big.ravel())[0])
        raise error(f"`{name}` must lie within +-{MAGNITUDE:g}, got {float(arr.ravel()[i])!r} at index {i}")
    return arr


def seed(name, value, error=ModelError):
    """Return ``value`` as a seed: an integer in ``[0, 2**64)`` (Python or NumPy; not a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(f"`{name}` must be an integer in [0, 2**64), got {value!r} of type {type(value).__name__}")
    value = int(value)
    if not 0 <= value < 2 ** 64:
        raise error(f"`{name}` must be an integer in [0, 2**64), got {value!r}")
    return value


def names(label, value, error=ModelError):
    """``value`` as a tuple of names (a single string is one name, not its letters); None stays None."""
    if value is None or isinstance(value, str):
        return value if value is None else (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise error(f"`{label}` must be a name or a sequence of names, got {value!r}") from None
    for name in out:
        if not isinstance(name, str):
            raise error(f"`{label}` must hold names (strings), got {name!r}")
    return out


def warn(message, category):
    """``warnings.warn`` pointing at the user's line: the first caller outside this package."""
    import sys
    import warnings

    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2  # stacklevel 2: the caller of this function
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def member(names, key, what="neuron", error=ModelError):
    """Index of ``key`` in ``names``, given by name or by (possibly negative) index; an error lists them."""
    if isinstance(key, str) and key in names:
        return names.index(key)
    if isinstance(key, numbers.Integral) and not isinstance(key, bool) and -len(names) <= key < len(names):
        return int(key) % len(names)
    listed = ", ".join(f"{i} ({name!r})" for i, name in enumerate(names))
    raise error(f"no {what} {key!r}; {what}s: {listed}")


def text(name, value, error=ModelError):
    """Return ``value`` if it is a string that can be written as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        raise error(f"`{name}` must be a string, got {value!r} of type {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error(f"`{name}` holds a character that is not valid Unicode text "
                    f"({value[exc.start:exc.end]!r} at position {exc.start})") from None
    return value


def memory(name, n_bytes, error=ModelError, what="the output", advice=None):
    """Refuse an allocation of ``n_bytes`` that would take more than half the free memory, naming ``name``
    (and, if given, what to do instead: ``advice``)."""
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        available = 8 * 2**30
    if n_bytes > 0.5 * available:
        raise error(f"{what} asked for by `{name}` needs {_size(n_bytes)}; {_size(available)} of memory are free"
                    + (f": {advice}" if advice else ""))


def _size(n_bytes):
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes:.0f} bytes"
