"""Counter-based random numbers for the kernels: Philox4x32-10, vectorised over lanes.

A counter-based generator is a keyed bijection of a counter: the numbers of a run depend only on
``(seed, counter)``, never on which thread or chunk drew them before, so a noisy simulation
gives the same bits at any thread count or chunking, and one trial can be re-run alone.
Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC 2011; the default of cuRAND and of Random123) turns a 4 x 32-bit counter and a 2 x 32-bit key
into four 32-bit outputs with ten rounds of two 32 x 32 -> 64-bit multiplications; it passes
BigCrush. Its multiplications are vector instructions (``vpmuludq``), so a block of lanes draws
its numbers in SIMD: ~4 ns per block of two normals per lane here, against ~20 ns for the 64-bit
variant (whose 128-bit products stay scalar). ``tests/test_rng.py`` checks the bits against
Random123's published known-answer vectors. Words are held in ``uint64`` (numba's integer
arithmetic widens), masked to 32 bits.

Key: the seed's two 32-bit halves. Counter, as every solver draws
    ``c0`` the grid step, ``c1`` the trial, ``c2`` the chip,
    ``c3 = purpose << 28 | source << 8 | piece`` (:func:`tag`): what the numbers are for
    (:data:`INTRINSIC` noise of the solvers, :data:`FROZEN` input of a stimulus), the noise
    source, and which piece of a grid step split by stimulus discontinuities.
One block gives two standard normals (Box-Muller on two 52-bit uniforms, with the vectorisable
``log`` and ``cos``/``sin`` of :mod:`.mathfn`): the first is a step's Wiener increment, the
second (used by the order-1.5 scheme only) its companion for the time integral of W.
"""

import math

import numpy as np
from numba import njit, uint64

from .config import JIT_INLINE, JIT_INLINE_PYTHON
from .mathfn import _float_of, cos_sin_turns, log

__all__ = ["philox", "normal_pair", "lane_normals", "tag", "normal_table", "member_normals", "raw", "key_of", "INTRINSIC", "FROZEN",
           "MAX_SOURCES", "MAX_PIECES"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)  # key increments between rounds (golden ratio, sqrt(3) - 1)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S12 = np.uint64(12)
_ONE_BITS = 0x3FF0000000000000

INTRINSIC = 0  # noise of the solvers: fresh per trial and chip
FROZEN = 1  # input noise of a stimulus: one realisation, keyed by its own seed
MAX_SOURCES = 1 << 20
MAX_PIECES = 1 << 8


@njit(**JIT_INLINE)
def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter ``(c0, c1, c2, c3)`` under key ``(k0, k1)``: four words (32-bit values in uint64)."""
    for r in range(10):
        if r > 0:
            k0 = (k0 + _W0) & _MASK
            k1 = (k1 + _W1) & _MASK
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    return c0, c1, c2, c3


@njit(**JIT_INLINE_PYTHON)
def tag(purpose, source, piece):
    """Counter word ``c3``: ``purpose << 28 | source << 8 | piece``."""
    return uint64((purpose << 28) | (source << 8) | piece)


@njit(**JIT_INLINE)
def _unit(word):
    """The top 52 bits of a 64-bit word as a float in [0, 1) (built in the mantissa)."""
    return _float_of(np.int64((word >> _S12) | _ONE_BITS)) - 1.0


@njit(**JIT_INLINE)
def _box_muller(ab, cd):
    """Two independent standard normals from one Philox block, given as its words ``a:b`` and ``c:d``."""
    radius = math.sqrt(-2.0 * log(1.0 - _unit(ab)))  # 1 - u in (0, 1]: |z| <= 8.5
    cos, sin = cos_sin_turns(_unit(cd))
    return radius * cos, radius * sin


@njit(**JIT_INLINE)
def normal_pair(step, trial, chip, word3, k0, k1):
    """The two standard normals of counter ``(step, trial, chip, word3)`` under key ``(k0, k1)``."""
    a, b, c, d = philox(uint64(step) & _MASK, uint64(trial) & _MASK, uint64(chip) & _MASK, uint64(word3), uint64(k0),
                        uint64(k1))
    return _box_muller(a << _S32 | b, c << _S32 | d)


@njit(**JIT_INLINE_PYTHON)
def lane_normals(step, trials, chips, word3, k0, k1, ab, cd, z0, z1):
    """:func:`normal_pair` for every lane ``j`` (trial ``trials[j]``, chip ``chips[j]``) into ``z0[j]``, ``z1[j]``.

    Lanes go in four interleaved quarters (the length must be a multiple of 4): one Philox
    block is a chain of ten dependent multiplications, and four independent chains per
    iteration keep the vector units busy. ``ab``, ``cd`` are uint64 scratch of the same length
    (two 64-bit words per block: four 32-bit stores per lane kept the loop scalar).
    """
    q = z0.shape[0] // 4
    s = uint64(step) & _MASK
    w3 = uint64(word3)
    for i in range(q):
        a0, b0, c0, d0 = philox(s, trials[i], chips[i], w3, k0, k1)
        a1, b1, c1, d1 = philox(s, trials[i + q], chips[i + q], w3, k0, k1)
        a2, b2, c2, d2 = philox(s, trials[i + 2 * q], chips[i + 2 * q], w3, k0, k1)
        a3, b3, c3, d3 = philox(s, trials[i + 3 * q], chips[i + 3 * q], w3, k0, k1)
        ab[i], cd[i] = a0 << _S32 | b0, c0 << _S32 | d0
        ab[i + q], cd[i + q] = a1 << _S32 | b1, c1 << _S32 | d1
        ab[i + 2 * q], cd[i + 2 * q] = a2 << _S32 | b2, c2 << _S32 | d2
        ab[i + 3 * q], cd[i + 3 * q] = a3 << _S32 | b3, c3 << _S32 | d3
    for j in range(z0.shape[0]):
        z0[j], z1[j] = _box_muller(ab[j], cd[j])


def key_of(seed):
    """The Philox key ``(k0, k1)`` of a seed in ``[0, 2**64)`` (validated by the caller): its two halves."""
    return np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)


@njit(cache=True)
def raw(counters, k0, k1):
    """Philox4x32-10 of each row of ``counters`` (uint64 of 32-bit values, shape (n, 4)): (n, 4) uint64.

    For the known-answer tests.
    """
    out = np.empty_like(counters)
    for i in range(counters.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = philox(counters[i, 0], counters[i, 1], counters[i, 2],
                                                            counters[i, 3], uint64(k0), uint64(k1))
    return out


@njit(cache=True)
def normal_table(k0, k1, trial, chip, purpose, step0, n_steps, n_sources, piece):
    """The normals the solvers draw for ``trial`` and ``chip``: steps ``step0 ..``, sources ``0 ..``.

    Returns ``(n_steps, n_sources, 2)``: both normals of each block (the Wiener increment's
    and its companion's), for tests and for re-creating a run's noise outside the solver.
    """
    out = np.empty((n_steps, n_sources, 2))
    for i in range(n_steps):
        for j in range(n_sources):
            out[i, j, 0], out[i, j, 1] = normal_pair(step0 + i, trial, chip, tag(purpose, j, piece), k0, k1)
    return out


@njit(cache=True)
def member_normals(k0, k1, trials, chips, word3, step):
    """The first normal of counter ``(step, trials[i], chips[i], word3)`` for every member ``i``."""
    out = np.empty(trials.shape[0])
    for i in range(trials.shape[0]):
        out[i] = normal_pair(step, trials[i], chips[i], word3, k0, k1)[0]
    return out
