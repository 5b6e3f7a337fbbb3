"""Bad run options and diverging models give clear errors, never crashes, hangs or NaN traces."""

import math
import re

import numpy as np
import pytest

import neuromorph as nm


@pytest.fixture(scope="module")
def neuron():
    return nm.preset("bursting")


@pytest.mark.parametrize("kwargs, match", [
    (dict(t_end=0.0), r"`t_end` must be > t0 = 0.0, got 0.0"),
    (dict(t_end=-5.0), r"`t_end` must be > t0"),
    (dict(t_end=math.nan), r"`t_end` must be finite, got nan"),
    (dict(t_end="10"), r"`t_end` must be a real number, got '10'"),
    (dict(t_end=10.0, method="rk4", dt=0.0), r"`dt` must be > 0, got 0.0"),
    (dict(t_end=10.0, method="rk4", dt=-1.0), r"`dt` must be > 0, got -1.0"),
    (dict(t_end=10.0, rtol=0.0), r"`rtol` must be > 0, got 0.0"),
    (dict(t_end=10.0, rtol=-1e-3), r"`rtol` must be > 0"),
    (dict(t_end=10.0, atol=math.inf), r"`atol` must be finite, got inf"),
    (dict(t_end=10.0, rtol=1e-20), r"`rtol` must be >= 1e-14"),
    (dict(t_end=10.0, method="rk45x"), r"unknown `method` 'rk45x'"),
    (dict(t_end=10.0, dt=0.1), r"`dt` is for fixed-step methods"),
    (dict(t_end=10.0, method="euler", rtol=1e-3), r"`rtol` is for adaptive methods"),
    (dict(t_end=10.0, t_eval=[0.0, 20.0]), r"`t_eval` must lie within \[t0, t_end\]"),
    (dict(t_end=10.0, t_eval=[5.0, 1.0]), r"`t_eval` must be sorted"),
    (dict(t_end=10.0, dt_out=0.0), r"`dt_out` must be > 0"),
    (dict(t_end=10.0, y0=[0.0, 0.0]), r"`y0` must have 3 values \(v, slow, ultraslow\), got 2"),
    (dict(t_end=10.0, y0=[0.0, np.nan, 0.0]), r"`y0` must be finite, got nan at index 1"),
    (dict(t_end=10.0, record=("v", "fast")), r"unknown state 'fast'; states are: v, slow, ultraslow"),
    (dict(t_end=10.0, max_steps=0), r"`max_steps` must be >= 1, got 0"),
    (dict(t_end=10.0, i_app=math.nan), r"`i_app` must be finite, got nan"),
    (dict(t_end=10.0, i_app=lambda t: 0.0), r"cannot be a Python function"),
])
def test_bad_run_options_name_the_argument(neuron, kwargs, match):
    with pytest.raises(ValueError, match=match):
        neuron.simulate(**kwargs)


def test_diverging_model_raises_with_the_time():
    """dV/dt = V from 0.1: V = 0.1 e^t. The run stops at the first step beyond the stated bound
    (long before the overflow near t = 709), and reports that time and V."""
    n = nm.Neuron(v0=0.1)
    n.add_leak(g=-1.0)
    for method, options in (("dopri5", {}), ("rk4", {"dt": 0.1}), ("euler", {"dt": 0.1}), ("rosenbrock23", {})):
        with pytest.raises(nm.SimulationError) as info:
            n.simulate(2000.0, 0.0, method=method, **options)
        err = info.value
        assert err.reason == "diverging"
        text = str(err)
        stated = float(re.search(r"t = ([0-9.eE+-]+)", text).group(1))
        assert stated == pytest.approx(err.t, rel=1e-8)
        v = float(re.search(r"V = ([0-9.eE+-]+)", text).group(1))
        bound = float(re.search(r"beyond \+-([0-9.eE+-]+)", text).group(1))
        crossing = math.log(bound / 0.1)  # closed form: 0.1 e^t = bound
        assert crossing <= err.t < crossing + 1.0, (method, err.t, crossing)  # within a step of it
        assert v > bound
        # the state the method itself reaches: its growth factor per step (exact for fixed steps)
        growth = {"euler": 1.1, "rk4": sum(0.1**k / math.factorial(k) for k in range(5))}.get(method)
        expected = 0.1 * growth ** round(err.t / 0.1) if growth else 0.1 * math.exp(err.t)
        assert v == pytest.approx(expected, rel=1e-5 if growth else 1e-2)


def test_too_many_steps_is_an_error_not_a_hang(neuron):
    with pytest.raises(nm.SimulationError, match="max_steps = 100") as info:
        neuron.simulate(10_000, -2.0, max_steps=100)
    assert info.value.reason == "too many steps" and 0.0 < info.value.t < 10_000


def test_result_save_into_missing_folder_leaves_nothing(neuron, tmp_path):
    res = neuron.simulate(100, -2.0)
    with pytest.raises(OSError, match="does not exist"):
        res.save(tmp_path / "missing" / "run.npz")
    assert list(tmp_path.iterdir()) == []


def test_result_save_failure_leaves_no_partial_file(neuron, tmp_path, monkeypatch):
    res = neuron.simulate(100, -2.0)
    target = tmp_path / "run.npz"
    target.write_bytes(b"previous content")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        res.save(target)
    assert target.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]


def test_wrong_types_for_paths_and_windows_name_the_argument():
    with pytest.raises(nm.CircuitFileError, match="path must be a str or os.PathLike, got None"):
        nm.load(None)
    with pytest.raises(nm.CircuitFileError, match="got None"):
        nm.save(nm.preset("bursting"), None)
    res = nm.preset("tonic_spiking").simulate(100, -0.7)
    with pytest.raises(nm.ModelError, match="`t_start` must be a real number, got 'a'"):
        res.summary(t_start="a")
