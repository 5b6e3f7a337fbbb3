"""One Brownian path at every step (``WhiteNoise(sigma, path_dt=...)``): the draws of a run at dt = path_dt
summed over coarser steps, for strong-error studies.

Checked: a run at dt = path_dt is the run without path_dt, bit for bit; the joined increments (dW, dZ) of
a coarse step against a plain-NumPy SRA1 on the same normals; strong errors falling at the orders theory
gives for additive noise (Euler-Maruyama 1, SRA1 1.5); the single-run and ensemble engines on the same path;
and clear errors for what cannot follow the path.
"""

import numpy as np
import pytest

import neuromorph as nm
from neuromorph._kernels import rng
from neuromorph.errors import ModelError, SolverError

BURSTER = nm.preset("bursting")
JUMP = nm.Steps([10.0, 23.05], [0.3, -0.2])  # on the grid of path_dt = 0.01 (and of 0.05), off that of dt = 0.2


def _nonlinear():
    """A two-state neuron with a nonlinear drift: V - 1.5 tanh V + tanh(V_s), V_s following V with tau 0.5."""
    n = nm.Neuron(C=1.0, name="nonlinear")
    n.add_leak(g=1.0)
    n.add_current(alpha=-1.5, delta=0.0, tau=0.0, name="fast_negative")
    n.add_current(alpha=1.0, delta=0.0, tau=0.5, name="slow_positive")
    return n


def _single(dt, noise, method="sra1", t_end=40.0, i_app=-2.0 + JUMP, trial=0, stops=()):
    run = nm.Integrator(BURSTER, i_app=i_app, solver=nm.get_solver(method, dt=dt), noise=noise, seed=3, trial=trial)
    for t in (*stops, t_end):
        run.advance(t)
    return run.result()


@pytest.mark.parametrize("method", ["sra1", "euler_maruyama"])
def test_a_run_at_the_path_step_is_the_run_without_it_bit_for_bit(method):
    plain = [nm.WhiteNoise(0.05), nm.WhiteNoise(0.02, target="slow"), nm.OUProcess(tau=5.0, sigma=0.1)]
    path = [nm.WhiteNoise(0.05, path_dt=0.01), nm.WhiteNoise(0.02, target="slow", path_dt=0.01),
            nm.OUProcess(tau=5.0, sigma=0.1)]
    a, b = _single(0.01, plain, method), _single(0.01, path, method)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.spike_times, b.spike_times)
    ens = nm.Ensemble(BURSTER, size=5)
    a, b = (ens.simulate(40.0, i_app=-2.0 + JUMP, dt=0.01, method=method, noise=noise, seed=3, save_every=7)
            for noise in (plain, path))
    np.testing.assert_array_equal(a.traces, b.traces)
    np.testing.assert_array_equal(a.final_state, b.final_state)


def test_a_coarse_step_joins_the_fine_increments_exactly():
    """SRA1 on C dV = (I - g V) dt + sigma dW written out in NumPy, with each step's dW and dZ joined from the
    fine normals as the docstring of WhiteNoise says; the run stops once off its grid (on the path's), so a
    step is split into two pieces there."""
    C, g, i_app, sigma, v0, p, dt, t_end, stop = 2.0, 1.0, -0.5, 0.7, 0.3, 0.01, 0.08, 0.8, 0.33
    n = nm.Neuron(C=C, name="leak_only")
    n.add_leak(g=g)
    run = nm.Integrator(n, i_app=i_app, solver=nm.get_solver("sra1", dt=dt), y0=[v0],
                        noise=nm.WhiteNoise(sigma, path_dt=p), seed=11, trial=2)
    run.advance(stop)
    run.advance(t_end)
    got = run.result()
    k0, k1 = rng.key_of(11)
    z = rng.normal_table(k0, k1, 2, 0, rng.INTRINSIC, 0, int(round(t_end / p)), 1, 0)[:, 0, :]
    bounds = np.unique(np.round(np.concatenate([np.arange(0.0, t_end + dt / 2, dt), [stop]]) / p).astype(int))
    f = lambda v: (i_app - g * v) / C  # noqa: E731
    v, path = [v0], np.empty(0)
    for first, last in zip(bounds[:-1], bounds[1:]):
        dw_fine = np.sqrt(p) * z[first:last, 0]
        dz_fine = 0.5 * p ** 1.5 * (z[first:last, 0] + z[first:last, 1] / np.sqrt(3.0))
        level = np.concatenate([[0.0], np.cumsum(dw_fine)[:-1]])  # W_i - W_first
        dw, dz = dw_fine.sum(), np.sum(level * p + dz_fine)
        h, b, y = (last - first) * p, sigma / C, v[-1]
        stage = y + 0.75 * h * f(y) + 1.5 * b * dz / h
        v.append(y + h * (f(y) / 3.0 + 2.0 / 3.0 * f(stage)) + b * dw)
        path = np.append(path, dw)
    np.testing.assert_allclose(got.t, bounds * p, rtol=1e-12)
    np.testing.assert_allclose(got.y[0], v, rtol=1e-11, atol=1e-13)
    # the joined increments are the path's: W(t_end) is the sum of every fine increment
    assert path.sum() == pytest.approx(np.sqrt(p) * z[:, 0].sum(), rel=1e-12)


@pytest.mark.parametrize("method, order", [("euler_maruyama", 1.0), ("sra1", 1.5)])
def test_strong_error_on_one_path_falls_at_the_strong_order(method, order):
    """Mean |V(T) - V_fine(T)| over 256 paths, V_fine SRA1 at the path step T / 2048, for dt = T/8 .. T/128:
    for additive noise the strong order of Euler-Maruyama is 1 and that of SRA1 1.5 (Kloeden and Platen;
    Roessler 2010). The noise (sigma 1.5) dominates the drift's own second-order error, which made SRA1's
    slope 1.8 at sigma 0.5."""
    t_end, sigma, path_dt = 2.0, 1.5, 2.0 / 2048
    ens = nm.Ensemble(_nonlinear(), size=256)

    def v_end(dt, how):
        return ens.simulate(t_end, i_app=-0.2, dt=dt, method=how, noise=nm.WhiteNoise(sigma, path_dt=path_dt),
                            seed=5).final_state[:, 0]

    fine = v_end(path_dt, "sra1")
    hs = t_end / np.array([8, 16, 32, 64, 128])
    errors = np.array([np.mean(np.abs(v_end(h, method) - fine)) for h in hs])
    slope = np.polyfit(np.log(hs), np.log(errors), 1)[0]
    assert order - 0.2 < slope < order + 0.3, (slope, errors)
    assert np.all(np.diff(errors) < 0), errors
    if method == "sra1":  # at equal dt the higher order is the smaller error
        assert np.all(errors < np.array([np.mean(np.abs(v_end(h, "euler_maruyama") - fine)) for h in hs]))


@pytest.mark.parametrize("method", ["sra1", "euler_maruyama"])
def test_single_runs_and_ensembles_follow_the_same_path(method):
    """At dt = 0.2 = 20 path steps, across stimulus jumps on the path's grid (steps split in pieces): each copy
    of an ensemble ends where the single run of its trial does, up to the rounding of the vector field."""
    noise = nm.WhiteNoise(0.05, path_dt=0.01)
    ens = nm.Ensemble(BURSTER, size=4).simulate(40.0, i_app=-2.0 + JUMP, dt=0.2, method=method, noise=noise, seed=3)
    for trial in range(4):
        single = _single(0.2, noise, method, trial=trial)
        np.testing.assert_allclose(ens.final_state[trial], single.y[:, -1], rtol=1e-10, atol=1e-12)
    # and that path is not a run's own: without path_dt the same seed draws another one
    own = nm.Ensemble(BURSTER, size=4).simulate(40.0, i_app=-2.0 + JUMP, dt=0.2, method=method,
                                                noise=nm.WhiteNoise(0.05), seed=3)
    assert np.max(np.abs(own.final_state - ens.final_state)) > 1e-3


@pytest.mark.parametrize("call, error, words", [
    (lambda: nm.WhiteNoise(0.05, path_dt=0.0), ModelError, ["path_dt", "0.0"]),
    (lambda: nm.WhiteNoise(0.05, path_dt=-0.01), ModelError, ["path_dt", "-0.01"]),
    (lambda: nm.WhiteNoise(0.05, path_dt=float("nan")), ModelError, ["path_dt", "nan"]),
    (lambda: nm.WhiteNoise(0.05, path_dt="0.01"), ModelError, ["path_dt", "'0.01'"]),
    (lambda: _single(0.015, nm.WhiteNoise(0.05, path_dt=0.01)), SolverError, ["`dt` = 0.015", "`path_dt` = 0.01"]),
    (lambda: _single(0.005, nm.WhiteNoise(0.05, path_dt=0.01)), SolverError, ["`dt` = 0.005", "`path_dt` = 0.01"]),
    (lambda: nm.Ensemble(BURSTER, size=2).simulate(10.0, i_app=-2.0, dt=0.25, noise=nm.WhiteNoise(0.05, path_dt=0.1),
                                                    seed=1), SolverError, ["`dt` = 0.25", "`path_dt` = 0.1"]),
    (lambda: _single(0.2, nm.WhiteNoise(0.05, path_dt=0.01), i_app=nm.Steps([10.005], [0.3])), SolverError,
     ["discontinuity", "10.005", "`path_dt` = 0.01"]),
    (lambda: nm.Ensemble(BURSTER, size=2).simulate(10.0, i_app=nm.Steps([5.0001], [0.3]), dt=0.2, seed=1,
                                                    noise=nm.WhiteNoise(0.05, path_dt=0.01)), SolverError,
     ["discontinuity", "5.0001"]),
    (lambda: _single(0.2, nm.WhiteNoise(0.05, path_dt=0.01), t_end=40.005), SolverError, ["stops", "40.005"]),
    (lambda: _single(0.2, nm.WhiteNoise(0.05, path_dt=0.01), stops=(3.333,)), SolverError, ["stops", "3.333"]),
])
def test_what_cannot_follow_the_path_is_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_path_dt_is_part_of_the_noise_and_of_a_study_spec():
    from neuromorph.studies.spec import _noise_dicts, _noise_from

    noise = nm.WhiteNoise(0.05, target="v", path_dt=0.01)
    assert repr(noise) == "WhiteNoise(sigma=0.05, target=('v',), path_dt=0.01)"
    assert noise != nm.WhiteNoise(0.05, target="v") and noise == nm.WhiteNoise(0.05, "v", 0.01)
    assert _noise_from(_noise_dicts([noise])) == [noise]
