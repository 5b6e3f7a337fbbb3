"""Counter-based random numbers for the kernels: Philox4x64-10, keyed by (seed, stream).

A counter-based generator is a keyed bijection of a counter: the numbers of a run depend only on
``(seed, stream, counter)``, never on which thread or chunk drew them before, so a noisy
simulation gives the same bits at any thread count or chunking, and one trial can be re-run
alone. Philox4x64-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1,
2, 3", SC 2011) turns a 4 x 64-bit counter and a 2 x 64-bit key into four 64-bit outputs with ten
rounds of two 64 x 64 -> 128-bit multiplications; it passes BigCrush, and it is the algorithm of
``numpy.random.Philox``, against which ``tests/test_rng.py`` checks these bits.

Scheme used by the solvers: key ``(seed, stream)`` (a stream per trial, chip or noise kind), counter
``(step, block, 0, 0)``; block ``b`` of a step holds four numbers, those of noise sources
``4b .. 4b + 3``. :func:`normal` gives standard normal deviates (Box-Muller on two uniforms of
53 bits each); :func:`uniform` the uniform in [0, 1) numpy's ``Generator.random`` gives.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types, uint64
from numba.extending import intrinsic

from .config import JIT_INLINE

__all__ = ["normal", "normal4", "normal_table", "philox", "raw", "uniform"]

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)  # key increments between rounds (golden ratio, sqrt(3) - 1)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_SHIFT_53 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_TWO_PI = 2.0 * math.pi


@intrinsic
def _mul_hi(typingctx, a, b):
    """The high 64 bits of the 128-bit product of two uint64."""
    sig = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return sig, codegen


@njit(**JIT_INLINE)
def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x64-10 of counter ``(c0, c1, c2, c3)`` under key ``(k0, k1)`` (all uint64): four uint64."""
    for r in range(10):
        if r > 0:
            k0 += _W0
            k1 += _W1
        hi0 = _mul_hi(_M0, c0)
        lo0 = _M0 * c0
        hi1 = _mul_hi(_M1, c2)
        lo1 = _M1 * c2
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@njit(**JIT_INLINE)
def _unit(x):
    """53 random bits of ``x`` as a float in [0, 1) (numpy's ``next_double``)."""
    return float(x >> _SHIFT_53) * _TO_UNIT


@njit(**JIT_INLINE)
def uniform(seed, stream, step, index):
    """Uniform in [0, 1): number ``index`` of ``step`` in stream ``stream`` of ``seed`` (all >= 0)."""
    out = philox(uint64(step), uint64(index >> 2), uint64(0), uint64(0), uint64(seed), uint64(stream))
    return _unit(out[index & 3])


@njit(**JIT_INLINE)
def normal4(seed, stream, step, block):
    """The four standard normals of ``block`` of ``step``: :func:`normal` of indices
    ``4 block .. 4 block + 3`` for the price of one Philox block and two logarithms."""
    out = philox(uint64(step), uint64(block), uint64(0), uint64(0), uint64(seed), uint64(stream))
    r0 = math.sqrt(-2.0 * math.log(1.0 - _unit(out[0])))
    a0 = _TWO_PI * _unit(out[1])
    r1 = math.sqrt(-2.0 * math.log(1.0 - _unit(out[2])))
    a1 = _TWO_PI * _unit(out[3])
    return r0 * math.cos(a0), r0 * math.sin(a0), r1 * math.cos(a1), r1 * math.sin(a1)


@njit(**JIT_INLINE)
def normal(seed, stream, step, index):
    """Standard normal: number ``index`` of ``step`` in stream ``stream`` of ``seed`` (all >= 0);
    one of the four of :func:`normal4` (use that when drawing a block's neighbours too)."""
    return normal4(seed, stream, step, index >> 2)[index & 3]


@njit(cache=True)
def raw(counters, k0, k1):
    """Philox4x64-10 of each row of ``counters`` (uint64, shape (n, 4)) under key ``(k0, k1)``: (n, 4) uint64.

    For tests and for checking against ``numpy.random.Philox``.
    """
    out = np.empty_like(counters)
    for i in range(counters.shape[0]):
        a, b, c, d = philox(counters[i, 0], counters[i, 1], counters[i, 2], counters[i, 3], uint64(k0), uint64(k1))
        out[i, 0] = a
        out[i, 1] = b
        out[i, 2] = c
        out[i, 3] = d
    return out


@njit(cache=True)
def normal_table(seed, stream, step0, n_steps, n_sources):
    """:func:`normal` for steps ``step0 .. step0 + n_steps - 1`` and sources ``0 .. n_sources - 1``: (n_steps, n_sources)."""
    out = np.empty((n_steps, n_sources))
    for i in range(n_steps):
        for b in range((n_sources + 3) // 4):
            z = normal4(seed, stream, step0 + i, b)
            for j in range(min(4, n_sources - 4 * b)):
                out[i, 4 * b + j] = z[j]
    return out
