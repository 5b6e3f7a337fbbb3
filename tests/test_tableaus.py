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
