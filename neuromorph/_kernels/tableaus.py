"""Butcher tableaus as data (exact fractions, and the float arrays kernels use).

Dormand & Prince (1980) 5(4) pair, with Shampine's 4th-order continuous
extension: ``y(t + theta h) = y0 + h sum_i k_i sum_j P[i, j] theta**(j+1)``.
``tests/test_tableaus.py`` checks the order conditions, ``P(1) = b`` and
``P'(1) = e_7`` in exact arithmetic.

Rosenbrock 2(3) of Shampine & Reichelt (1997, the MATLAB ``ode23s`` pair):
L-stable second-order step with a third-order error estimate.
"""

import math
from fractions import Fraction as F

import numpy as np

DP5_C = [F(0), F(1, 5), F(3, 10), F(4, 5), F(8, 9), F(1), F(1)]
DP5_A = [
    [],
    [F(1, 5)],
    [F(3, 40), F(9, 40)],
    [F(44, 45), F(-56, 15), F(32, 9)],
    [F(19372, 6561), F(-25360, 2187), F(64448, 6561), F(-212, 729)],
    [F(9017, 3168), F(-355, 33), F(46732, 5247), F(49, 176), F(-5103, 18656)],
    [F(35, 384), F(0), F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84)],
]
DP5_B = DP5_A[6] + [F(0)]
DP5_B_EMBEDDED = [F(5179, 57600), F(0), F(7571, 16695), F(393, 640), F(-92097, 339200), F(187, 2100), F(1, 40)]
DP5_P = [
    [F(1), F(-8048581381, 2820520608), F(8663915743, 2820520608), F(-12715105075, 11282082432)],
    [F(0), F(0), F(0), F(0)],
    [F(0), F(131558114200, 32700410799), F(-68118460800, 10900136933), F(87487479700, 32700410799)],
    [F(0), F(-1754552775, 470086768), F(14199869525, 1410260304), F(-10690763975, 1880347072)],
    [F(0), F(127303824393, 49829197408), F(-318862633887, 49829197408), F(701980252875, 199316789632)],
    [F(0), F(-282668133, 205662961), F(2019193451, 616988883), F(-1453857185, 822651844)],
    [F(0), F(40617522, 29380423), F(-110615467, 29380423), F(69997945, 29380423)],
]


def _to_float_matrix(rows, n_cols):
    out = np.zeros((len(rows), n_cols))
    for i, row in enumerate(rows):
        out[i, : len(row)] = [float(x) for x in row]
    return out


DP5_C_F = np.array([float(c) for c in DP5_C])
DP5_A_F = _to_float_matrix(DP5_A, 7)
DP5_B_F = np.array([float(b) for b in DP5_B])
DP5_E_F = np.array([float(b - bs) for b, bs in zip(DP5_B, DP5_B_EMBEDDED)])  # error weights
DP5_P_F = _to_float_matrix(DP5_P, 4)

ROS23_D = 1.0 / (2.0 + math.sqrt(2.0))
ROS23_E32 = 6.0 + math.sqrt(2.0)
