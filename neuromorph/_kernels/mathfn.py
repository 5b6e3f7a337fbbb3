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

__all__ = ["exp", "tanh", "sigmoid", "log", "cos_sin_turns"]



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


_LN2_HI_LOG = 6.93147180369123816490e-01
_SQRT2 = 1.4142135623730951
_MANT_MASK = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
# 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...): coefficients 2/(2k+1) of s^(2k+1), k = 0..10
_L0, _L1, _L2, _L3, _L4, _L5, _L6, _L7, _L8, _L9, _L10 = (2.0 / (2 * k + 1) for k in range(11))


@njit(**JIT_INLINE)
def log(x):
    """Natural logarithm of a positive normal double (no checks: 0, negatives, subnormals, inf and
    NaN give garbage).

    ``x = 2**e m`` with ``m`` in ``[sqrt(1/2), sqrt(2))``; ``log m = 2 atanh(s)``, ``s = (m-1)/(m+1)``,
    ``|s| <= 0.172``, from its odd series to ``s**21`` (truncation below 3e-17 relative).
    """
    bits = _bits_of(x)
    e = (bits >> 52) - 1023
    m = _float_of((bits & _MANT_MASK) | _ONE_BITS)
    big = m > _SQRT2
    m = 0.5 * m if big else m
    e = e + 1 if big else e
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    p = (((_L0 + _L1 * z) + (_L2 + _L3 * z) * z2) + ((_L4 + _L5 * z) + (_L6 + _L7 * z) * z2) * z4
         + ((_L8 + _L9 * z) + _L10 * z2) * z8)
    ef = float(e)
    return ef * _LN2_HI + (s * p + ef * _LN2_LO)


_TWO_PI = 2.0 * math.pi
_S1, _S2, _S3, _S4, _S5, _S6, _S7 = ((-1.0) ** k / math.factorial(2 * k + 1) for k in range(1, 8))
_K1, _K2, _K3, _K4, _K5, _K6, _K7, _K8 = ((-1.0) ** k / math.factorial(2 * k) for k in range(1, 9))


@njit(**JIT_INLINE)
def cos_sin_turns(u):
    """``(cos 2 pi u, sin 2 pi u)`` for ``u`` in ``[0, 1]``, branch-free.

    ``u = q/4 + r`` with the quadrant ``q = round(4 u)`` and ``|r| <= 1/8`` (exact in floating
    point), then Taylor polynomials of ``theta = 2 pi r`` in ``[-pi/4, pi/4]`` (to ``theta**15``
    and ``theta**16``: truncation below 5e-17) and a rotation by the quadrant.
    """
    shifted = 4.0 * u + _SHIFT
    qf = shifted - _SHIFT
    q = _bits_of(shifted)  # the quadrant in its low bits
    t = _TWO_PI * (u - 0.25 * qf)
    t2 = t * t
    t4 = t2 * t2
    t8 = t4 * t4
    sin_t = t + t * t2 * (((_S1 + _S2 * t2) + (_S3 + _S4 * t2) * t4) + ((_S5 + _S6 * t2) + _S7 * t4) * t8)
    cos_t = 1.0 + t2 * (((_K1 + _K2 * t2) + (_K3 + _K4 * t2) * t4) + ((_K5 + _K6 * t2) + (_K7 + _K8 * t2) * t4) * t8)
    odd = (q & 1) != 0
    c = sin_t if odd else cos_t
    s = cos_t if odd else sin_t
    # Signs as bit flips (nested selects kept the loop scalar): cos < 0 in quadrants 1, 2; sin in 2, 3.
    return _float_of(_bits_of(c) ^ (((q + 1) & 2) << 62)), _float_of(_bits_of(s) ^ ((q & 2) << 62))
