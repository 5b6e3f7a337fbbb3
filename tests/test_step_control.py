"""The adaptive step-size controller of ``dopri5`` and ``rosenbrock23``, pinned on linear problems
with closed-form solutions (a leak, optionally with a filter, and a constant I_app).

Every accepted step is saved (``res.t``), so each step ``[t_n, t_n+1]`` and its end values can be
checked on their own: against the exact flow of the ODE (the true local error), and against the
method's error estimate recomputed here from the published coefficients. Expected step-size laws
follow from the error model ``err ~ c h^q |y^(q)|`` with ``q = 5`` (DP5's embedded 4th-order
estimate) and ``q = 3`` (Rosenbrock 2(3)): the controller aims at a fixed fraction of the scale
``atol + rtol max(|y_n|, |y_n+1|)``.
"""

import math
from fractions import Fraction as Fr

import numpy as np
import pytest

import neuromorph as nm

Q = {"dopri5": 5, "rosenbrock23": 3}  # error-estimate order + 1: h ~ tol**(1/q)

# Dormand & Prince (1980); Hairer, Norsett & Wanner, Solving ODEs I, Table II.5.2.
_DP_A = [[],
         [Fr(1, 5)],
         [Fr(3, 40), Fr(9, 40)],
         [Fr(44, 45), Fr(-56, 15), Fr(32, 9)],
         [Fr(19372, 6561), Fr(-25360, 2187), Fr(64448, 6561), Fr(-212, 729)],
         [Fr(9017, 3168), Fr(-355, 33), Fr(46732, 5247), Fr(49, 176), Fr(-5103, 18656)],
         [Fr(35, 384), Fr(0), Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84)]]
_DP_B5 = [Fr(35, 384), Fr(0), Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84), Fr(0)]
_DP_B4 = [Fr(5179, 57600), Fr(0), Fr(7571, 16695), Fr(393, 640), Fr(-92097, 339200), Fr(187, 2100), Fr(1, 40)]


def dp5_step(f, y, h):
    """One Dormand-Prince step of an autonomous ``f``: (5th-order solution, y5 - y4)."""
    k = []
    for row in _DP_A:
        k.append(f(y + h * sum((float(a) * kj for a, kj in zip(row, k)), np.zeros_like(y))))
    y5 = y + h * sum(float(b) * kj for b, kj in zip(_DP_B5, k))
    y4 = y + h * sum(float(b) * kj for b, kj in zip(_DP_B4, k))
    return y5, y5 - y4


def ros23_step(f, jac, y, h):
    """One step of Shampine & Reichelt's Rosenbrock 2(3) (SIAM J. Sci. Comput. 18, 1997; MATLAB ode23s)
    for an autonomous ``f`` with Jacobian ``jac``: (2nd-order solution, error estimate)."""
    d = 1.0 / (2.0 + math.sqrt(2.0))
    e32 = 6.0 + math.sqrt(2.0)
    w = np.eye(y.size) - h * d * jac
    f0 = f(y)
    k1 = np.linalg.solve(w, f0)
    f1 = f(y + 0.5 * h * k1)
    k2 = np.linalg.solve(w, f1 - k1) + k1
    y_new = y + h * k2
    f2 = f(y_new)
    k3 = np.linalg.solve(w, f2 - e32 * (k2 - f1) - 2.0 * (k1 - f0))
    return y_new, h / 6.0 * (k1 - 2.0 * k2 + k3)


def norm(err, y, y_new, rtol, atol):
    """RMS of err_i / (atol + rtol max(|y_i|, |y_new_i|)): the acceptance test is norm <= 1."""
    scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
    return np.sqrt(np.mean((err / scale) ** 2, axis=0))


# -- the problem: C dV/dt = I - g V, tau dx/dt = V - x -----------------------------------------

G, C, TAU, I_APP = 1.0, 1.0, 5.0, 1.0
A_RATE, B_RATE = G / C, 1.0 / TAU
JAC = np.array([[-A_RATE, 0.0], [B_RATE, -B_RATE]])
V0, X0 = 2.0, -1.0


def leak_and_filter():
    """A leak and a filter (an alpha = 0 element only adds the filtered state)."""
    n = nm.Neuron(C=C, v0=V0)
    n.add_leak(g=G)
    n.add_current(alpha=0.0, delta=0.0, tau=TAU, name="probe")
    return n.set_initial(**{n.state_names[1]: X0})


def leak_only(v0):
    n = nm.Neuron(C=C, v0=v0)
    n.add_leak(g=G)
    return n


def field(y):
    return JAC @ y + np.array([I_APP / C, 0.0])


def exact_flow(y, h):
    """Exact solution after time ``h`` from state ``y`` (columns may be many states at once).

    With u = V - I/g and w = x - I/g: u' = -a u, w' = b (u - w), so
    u(h) = u e^{-ah},  w(h) = w e^{-bh} + u b / (b - a) (e^{-ah} - e^{-bh}).
    """
    v_inf = I_APP / G
    u, w = y[0] - v_inf, y[1] - v_inf
    ea, eb = np.exp(-A_RATE * h), np.exp(-B_RATE * h)
    return np.array([v_inf + u * ea, v_inf + w * eb + u * B_RATE / (B_RATE - A_RATE) * (ea - eb)])


def run(method, rtol, atol, t_end=20.0):
    res = leak_and_filter().simulate(t_end, I_APP, method=method, rtol=rtol, atol=atol)
    assert res.t.size == res.stats.n_steps + 1  # every accepted step is saved
    return res


# -- each step ----------------------------------------------------------------------------

@pytest.mark.parametrize("rtol", [1e-3, 1e-5, 1e-7])
@pytest.mark.parametrize("method", ["dopri5", "rosenbrock23"])
def test_every_accepted_step_keeps_its_error_within_tolerance(method, rtol):
    atol = rtol * 1e-3
    res = run(method, rtol, atol)
    t, y = res.t, res.y
    h = np.diff(t)
    estimates = []
    for k in range(h.size):
        if method == "dopri5":
            y_new, err = dp5_step(field, y[:, k], h[k])
        else:
            y_new, err = ros23_step(field, JAC, y[:, k], h[k])
        # The kernel took exactly the published step (so the estimate recomputed here is the kernel's).
        assert np.max(np.abs(y_new - y[:, k + 1])) < 1e-13
        estimates.append(norm(err, y[:, k], y_new, rtol, atol))
    estimates = np.array(estimates)
    # The acceptance test: no step was accepted with an estimated error above the tolerance.
    assert estimates.max() <= 1.0 + 1e-9
    # The true local error (exact flow from the step's own start) is within the tolerance too. DP5
    # propagates the 5th-order solution and estimates with the 4th: far inside. Rosenbrock's estimate
    # is only asymptotically that of its 2nd-order solution: allow a margin.
    true_local = norm(y[:, 1:] - exact_flow(y[:, :-1], h), y[:, :-1], y[:, 1:], rtol, atol)
    assert true_local.max() <= (1.0 if method == "dopri5" else 1.5)
    # A smooth problem: the safety factor keeps rejections rare.
    assert res.stats.n_rejected <= max(1, 0.05 * res.stats.n_steps)


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock23"])
def test_steps_refused_after_a_stimulus_jump_are_retried_within_tolerance(method):
    """I_app jumps 0 -> 3 at t = 5 and back at 15: the step proposed before a jump is far too long
    after it, so steps get refused; every step that was accepted still has its estimate within tolerance."""
    rtol, atol = 1e-6, 1e-9
    res = leak_only(1.0).simulate(20.0, nm.Pulse(start=5.0, stop=15.0, amplitude=3.0), method=method,
                                  rtol=rtol, atol=atol)
    assert res.stats.n_rejected >= 1
    t, y = res.t, res.y
    assert 5.0 in t and 15.0 in t  # steps end on the jumps, so each lies inside one constant piece
    h = np.diff(t)
    for k in range(h.size):
        i_app = 3.0 if 5.0 < t[k] + h[k] / 2 < 15.0 else 0.0

        def f(v, i_app=i_app):
            return (i_app - G * v) / C

        if method == "dopri5":
            y_new, err = dp5_step(f, y[:, k], h[k])
        else:
            y_new, err = ros23_step(f, np.array([[-A_RATE]]), y[:, k], h[k])
        assert abs(y_new[0] - y[0, k + 1]) < 1e-13
        assert norm(err, y[:, k], y_new, rtol, atol) <= 1.0 + 1e-9, (t[k], h[k])


# -- step sizes ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, rtol", [("dopri5", 1e-11), ("rosenbrock23", 1e-9)])
def test_steps_grow_as_the_solution_settles(method, rtol):
    """V = 1 + e^{-t} (rtol-dominated scale ~ rtol): err ~ c h^q e^{-t} held constant gives
    h ~ e^{t/q}, i.e. log h rises with slope a/q (a = g/C = 1)."""
    q = Q[method]
    res = leak_only(2.0).simulate(15.0, I_APP, method=method, rtol=rtol, atol=1e-20)
    t, h = res.t[:-1], np.diff(res.t)
    window = (t > 1.0) & (t < 8.0) & (h < 0.2)  # past the start, steps small enough for the error model
    assert window.sum() > 30
    slope = np.polyfit(t[window] + h[window] / 2, np.log(h[window]), 1)[0]
    assert 0.8 * A_RATE / q < slope < 1.1 * A_RATE / q, slope * q
    assert np.all(np.diff(h[t > 1.0][:-1]) > 0)  # smoothly growing (the last step only lands on t_end)


@pytest.mark.parametrize("method, rtol", [("dopri5", 1e-9), ("rosenbrock23", 1e-7)])
def test_tighter_rtol_takes_more_steps_by_the_qth_root(method, rtol):
    """h ~ tol**(1/q), so 100x tighter -> 100**(1/q) more steps: 2.51 (DP5), 4.64 (Rosenbrock).
    Counted over t in [1, 8], past the start and while steps are small."""
    q = Q[method]

    def steps(r):
        t = leak_only(2.0).simulate(15.0, I_APP, method=method, rtol=r, atol=1e-20).t
        return np.sum((t[:-1] >= 1.0) & (t[:-1] < 8.0))

    ratio = steps(rtol / 100) / steps(rtol)
    assert 0.85 * 100 ** (1 / q) < ratio < 1.15 * 100 ** (1 / q), ratio


@pytest.mark.parametrize("method, rtol, atol", [("dopri5", 1e-10, 1e-16), ("rosenbrock23", 1e-8, 1e-14)])
def test_absolute_tolerance_takes_over_as_the_solution_vanishes(method, rtol, atol):
    """V = e^{-t}: err ~ c h^q |V| against atol + rtol |V| gives h ~ ((atol + rtol |V|) / |V|)**(1/q):
    constant while rtol |V| >> atol (t < 10), growing like e^{t/q} once atol dominates (t > 20)."""
    q = Q[method]
    res = leak_only(1.0).simulate(30.0, 0.0, method=method, rtol=rtol, atol=atol)
    t, v = res.t, res.y[0]
    h = np.diff(t)
    # each step within the tolerance, against the exact flow V -> V e^{-h}
    local = (v[1:] - v[:-1] * np.exp(-h)) / (atol + rtol * np.maximum(np.abs(v[1:]), np.abs(v[:-1])))
    assert np.max(np.abs(local)) <= 1.0
    relative = (t[:-1] > 2.0) & (t[:-1] < 10.0)
    assert h[relative].max() / h[relative].min() < 1.05
    absolute = (t[:-1] > 20.0) & (np.arange(h.size) < h.size - 1)
    assert np.all(np.diff(h[absolute]) > 0)
    # the whole law at once, across both regimes
    x = np.log((atol + rtol * np.abs(v[:-1])) / np.abs(v[:-1]))
    fit = (t[:-1] > 2.0) & (h < 0.3)
    slope = np.polyfit(x[fit], np.log(h[fit]), 1)[0]
    assert 0.8 / q < slope < 1.1 / q, slope * q


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock23"])
def test_the_controller_settles_at_the_fixed_point_of_its_pi_law(method):
    """V = e^{-t} under relative control: the estimate per step depends on h only, so the step settles
    where the PI law ``fac = 0.9 rho**(-0.7/q) rho_old**(0.4/q)`` gives fac = 1 with rho = rho_old:
    rho = 0.9**(q/0.3) (0.173 for DP5, 0.349 for Rosenbrock), the fraction of the tolerance used."""
    q = Q[method]
    rtol = 1e-8
    res = leak_only(1.0).simulate(12.0, 0.0, method=method, rtol=rtol, atol=1e-20)
    t, v = res.t, res.y
    h = np.diff(t)
    window = np.flatnonzero((t[:-1] > 4.0) & (t[:-1] < 10.0))
    assert window.size > 20
    rho = []
    for k in window:
        if method == "dopri5":
            v_new, err = dp5_step(lambda y: -y, v[:, k], h[k])
        else:
            v_new, err = ros23_step(lambda y: -y, np.array([[-1.0]]), v[:, k], h[k])
        rho.append(float(norm(err, v[:, k], v_new, rtol, 1e-20)))
    expected = 0.9 ** (q / 0.3)
    assert np.median(rho) == pytest.approx(expected, rel=0.02)
    assert np.all(np.abs(np.array(rho) / expected - 1.0) < 0.2)


# -- global error -------------------------------------------------------------------------

@pytest.mark.parametrize("method, low, high", [
    # DP5 propagates the 5th-order solution: local error ~ tol**(6/5) over ~tol**(-1/5) steps -> ~tol.
    ("dopri5", 100 ** 0.7, 100 ** 1.15),
    # Rosenbrock 2(3): local error ~ tol over ~tol**(-1/3) steps -> ~tol**(2/3) (21.5 per 100x).
    ("rosenbrock23", 100 ** 0.5, 100 ** 0.85),
])
def test_global_error_scales_with_rtol(method, low, high):
    errors = []
    for rtol in (1e-5, 1e-7):
        res = run(method, rtol, rtol * 1e-3)
        exact = exact_flow(np.array([[V0], [X0]]), res.t)
        errors.append(np.max(np.abs(res.y - exact)))
        if method == "dopri5":
            assert errors[-1] < rtol * np.max(np.abs(exact))
    assert low < errors[0] / errors[1] < high, errors
