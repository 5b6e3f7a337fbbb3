"""Butcher tableaus checked in exact arithmetic, and the Rosenbrock method's stability."""

from fractions import Fraction as F

import numpy as np
import pytest

from neuromorph._kernels import tableaus as tb


def test_dp5_rows_sum_to_nodes():
    for i, row in enumerate(tb.DP5_A):
        assert sum(row, F(0)) == tb.DP5_C[i]


@pytest.mark.parametrize("weights, order", [(tb.DP5_B, 5), (tb.DP5_B_EMBEDDED, 4)])
def test_dp5_quadrature_conditions(weights, order):
    # sum_i b_i c_i^(q-1) = 1/q for q <= order (the bushy-tree conditions)
    for q in range(1, order + 1):
        assert sum(b * c ** (q - 1) for b, c in zip(weights, tb.DP5_C)) == F(1, q)


def test_dp5_fifth_order_tree_conditions():
    b, c, A = tb.DP5_B, tb.DP5_C, [row + [F(0)] * (7 - len(row)) for row in tb.DP5_A]
    n = 7
    Ac = [sum(A[i][j] * c[j] for j in range(n)) for i in range(n)]
    Ac2 = [sum(A[i][j] * c[j] ** 2 for j in range(n)) for i in range(n)]
    AAc = [sum(A[i][j] * Ac[j] for j in range(n)) for i in range(n)]
    assert sum(b[i] * Ac[i] for i in range(n)) == F(1, 6)
    assert sum(b[i] * c[i] * Ac[i] for i in range(n)) == F(1, 8)
    assert sum(b[i] * Ac2[i] for i in range(n)) == F(1, 12)
    assert sum(b[i] * AAc[i] for i in range(n)) == F(1, 24)
    assert sum(b[i] * c[i] * AAc[i] for i in range(n)) == F(1, 30)
    assert sum(b[i] * Ac[i] ** 2 for i in range(n)) == F(1, 20)


def test_dp5_dense_output_reproduces_step_and_is_C1():
    at_one = [sum(row, F(0)) for row in tb.DP5_P]
    assert at_one == list(tb.DP5_B)
    slope_at_one = [sum((j + 1) * row[j] for j in range(4)) for row in tb.DP5_P]
    assert slope_at_one == [F(0)] * 6 + [F(1)]  # derivative at theta = 1 is the FSAL stage
    assert [row[0] for row in tb.DP5_P] == [F(1)] + [F(0)] * 6  # and at theta = 0 the first stage


@pytest.mark.parametrize("theta", [F(1, 5), F(1, 2), F(4, 5)])
def test_dp5_dense_output_is_fourth_order(theta):
    weights = [sum(row[j] * theta ** (j + 1) for j in range(4)) for row in tb.DP5_P]
    for q in range(1, 5):
        assert q * sum(w * c ** (q - 1) for w, c in zip(weights, tb.DP5_C)) == theta ** q


def test_float_tables_match_exact_ones():
    assert np.allclose(tb.DP5_E_F, [float(b - e) for b, e in zip(tb.DP5_B, tb.DP5_B_EMBEDDED)], rtol=0, atol=1e-17)
    assert tb.DP5_A_F.shape == (7, 7) and np.allclose(tb.DP5_A_F.sum(axis=1), tb.DP5_C_F, atol=1e-15)


def _ros23_stability(z):
    """Amplification y1/y0 of one Rosenbrock 2(3) step on y' = lambda y, z = h lambda (formulas of the method)."""
    d, e32 = tb.ROS23_D, tb.ROS23_E32
    w = 1.0 - d * z
    k1 = z / w  # per unit h: k1 = f0 / (1 - h d lambda), f0 = lambda y0 (y0 = 1, h = 1)
    f1 = z * (1.0 + 0.5 * k1)
    k2 = (f1 - k1) / w + k1
    return 1.0 + k2, d, e32


def test_rosenbrock23_is_L_stable():
    # A-stable on the left half-plane, and the amplification vanishes as z -> -inf.
    zs = [-1e-3, -0.1, -1.0, -10.0, -100.0, complex(-1, 50), complex(-0.001, 3)]
    for z in zs:
        r, _, _ = _ros23_stability(z)
        assert abs(r) <= 1.0 + 1e-12
    for z in (-1e6, -1e9):
        r, _, _ = _ros23_stability(z)
        assert abs(r) < 1e-5
    r, _, _ = _ros23_stability(-1e-4)  # consistency: R(z) = 1 + z + z^2/2 + O(z^3)
    z = -1e-4
    assert abs(r - (1 + z + z * z / 2)) < 1e-11


# DOP853: decimal coefficients, so its conditions hold to rounding rather than exactly.
def _dp8_trees(A, b, c):
    """Values of b . Phi(tree) minus 1/gamma(tree) for a set of trees up to order 8 (Butcher's conditions)."""
    Ac = A @ c
    out = [b @ c ** (q - 1) - 1.0 / q for q in range(1, 9)]  # bushy trees
    out += [b @ Ac - 1 / 6, b @ (c * Ac) - 1 / 8, b @ (A @ c ** 2) - 1 / 12, b @ (A @ Ac) - 1 / 24]
    out += [b @ (c ** 3 * Ac) - 1 / 12, b @ (A @ c ** 6) - 1 / 56, b @ (A @ (A @ (A @ c))) - 1 / 120,
            b @ (Ac ** 2) - 1 / 20, b @ (c ** 2 * (A @ c ** 2)) - 1 / 18]
    return np.array(out)


def test_dp8_is_eighth_order_on_its_trees():
    A, b, c = tb.DP8_A_F[:12, :12], tb.DP8_B_F, tb.DP8_C_F[:12]
    assert np.allclose(A.sum(axis=1), c, atol=1e-14)
    assert np.max(np.abs(_dp8_trees(A, b, c))) < 1e-13
    assert abs(b @ c ** 8 - 1.0 / 9) > 1e-6  # and not ninth: the test can tell


def test_dp8_error_estimates_weigh_a_method_of_lower_order():
    c = tb.DP8_C_F[:12]
    # both estimates are differences of quadratures: they vanish on constants (sum = 0) ...
    assert abs(tb.DP8_E5_F.sum()) < 1e-14 and abs(tb.DP8_E3_F.sum()) < 1e-14
    # ... and the 3rd-order one on polynomials up to degree 2 but not 3
    assert max(abs(tb.DP8_E3_F @ c ** q) for q in (1, 2)) < 1e-14 and abs(tb.DP8_E3_F @ c ** 3) > 1e-4


def _dp8_dense_weights(theta):
    """Weights w_i(theta) of the 16 stages in y(t + theta h) = y0 + h sum w_i k_i, from DP8_DENSE_M and DP8_D_F,
    for a step whose y1 - y0 = h b . k."""
    b = np.zeros(16)
    b[:12] = tb.DP8_B_F
    e1, e13 = np.eye(16)[0], np.eye(16)[12]
    f = [b, e1 - b, 2 * b - (e1 + e13)] + [tb.DP8_D_F[r] for r in range(4)]
    powers = np.array([theta ** (m + 1) for m in range(7)])
    return sum((tb.DP8_DENSE_M[j] @ powers) * f[j] for j in range(7))


@pytest.mark.parametrize("theta", [0.2, 0.5, 0.9])
def test_dp8_dense_output_is_seventh_order(theta):
    c = tb.DP8_C_F
    w = _dp8_dense_weights(theta)
    for q in range(1, 8):
        assert abs(q * (w @ c ** (q - 1)) - theta ** q) < 1e-12, q
    assert abs(8 * (w @ c ** 7) - theta ** 8) > 1e-9  # degree 7, not 8


def test_dp8_dense_output_ends_on_the_step():
    b = np.zeros(16)
    b[:12] = tb.DP8_B_F
    assert np.allclose(_dp8_dense_weights(1.0), b, atol=1e-13)
    assert np.allclose(_dp8_dense_weights(0.0), 0.0)

