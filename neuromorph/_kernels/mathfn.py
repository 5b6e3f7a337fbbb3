"""Accurate, branch-free, vectorisable ``exp``, ``tanh`` and logistic sigmoid.

LLVM cannot vectorise calls to libm's ``tanh``/``exp`` (no SVML here), which
leaves a loop over many neurons scalar. These versions use only arithmetic,
selects and bit casts, so a loop over neuron lanes compiles to AVX2/AVX-512.

``exp(y) = 2**k * (1 + q(r))`` with ``k = round(y / ln 2)``,
``r = y - k ln 2`` (Cody-Waite two-part ``ln 2``), ``|r| <= ln(2)/2`` and ``q``
the degree-12 Taylor polynomial of ``expm1`` evaluated in Estrin's scheme
(shallow dependency chains). ``2**k`` is built in the exponent bits. ``k`` is
rounded with the ``1.5 * 2**52`` shift, which needs round-to-nearest and no
reassociation: kernels may allow FMA contraction, never full fast-math.

``tanh(x) = expm1(2|x|) / (expm1(2|x|) + 2)`` with the sign of ``x``, which
stays relatively accurate near 0. Measured against NumPy on 2.2e6 points in
[-25, 25] plus tiny arguments: max abs error 2.2e-16, max relative 4.4 ulp
(``tests/test_mathfn.py``).
"""

import math

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .config import JIT_INLINE

__all__ = ["exp", "tanh", "sigmoid"]



@intrinsic
def _bits_of(typingctx, x):
    """Reinterpret a float64 as int64 (no conversion)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _float_of(typingctx, x):
    """Reinterpret an int64 as float64 (no conversion)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 rounded to 32 significant bits: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer held in the low mantissa bits
_SHIFT_BITS = 0x4338000000000000
_C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12 = (1.0 / math.factorial(i) for i in range(1, 13))
_EXP_MAX_ARG = 708.0  # 2**k stays a normal number


@njit(**JIT_INLINE)
def _exp_split(y):
    """Return ``(2**k, q)`` with ``exp(y) = 2**k * (1 + q)``, for ``|y| <= 708``."""
    shifted = y * _LOG2E + _SHIFT
    kf = shifted - _SHIFT
    r = (y - kf * _LN2_HI) - kf * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    p = (
        ((_C1 + _C2 * r) + (_C3 + _C4 * r) * r2)
        + ((_C5 + _C6 * r) + (_C7 + _C8 * r) * r2) * r4
        + ((_C9 + _C10 * r) + (_C11 + _C12 * r) * r2) * r8
    )
    two_k = _float_of((_bits_of(shifted) - _SHIFT_BITS + 1023) << 52)
    return two_k, p * r


@njit(**JIT_INLINE)
def exp(y):
    """``exp(y)``, arguments clamped to [-708, 708] (results stay finite and normal)."""
    two_k, q = _exp_split(min(max(y, -_EXP_MAX_ARG), _EXP_MAX_ARG))
    return two_k + two_k * q


@njit(**JIT_INLINE)
def tanh(x):
    """``tanh(x)``; |x| >= 20 gives exactly +-1 (as the correctly rounded value does)."""
    two_k, q = _exp_split(2.0 * min(abs(x), 20.0))
    em1 = two_k * q + (two_k - 1.0)
    return math.copysign(em1 / (em1 + 2.0), x)


@njit(**JIT_INLINE)
def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + exp(-x))
