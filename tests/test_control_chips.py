"""Every chip its own controller (issue 22): controllers on every copy of an ensemble run, judged on chips
re-built one by one from the mismatch's own draw with their final settings and run by the adaptive solver
without a controller (not the ensemble engine, not what the controllers report of themselves)."""

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.lower.compile import as_compiled_model

BOUNDS = {"slow_negative.alpha": (-2.2, -1.2), "ultraslow_positive.alpha": (1.3, 2.8)}
TIGHT = nm.Rhythm(period=2494, tolerance=0.02)  # MODEL.md's burster, its period held within 2 %
MISMATCH = nm.Mismatch(gain=0.03, offset=0.02)


def _chip(settings, chip, seed):
    """Chip ``chip`` as a Neuron: the design with its settings, then its own draw applied by ``Mismatch.apply``
    (every gain and offset of the bursting preset)."""
    compiled = as_compiled_model("bursting")
    nominal = {key: getattr(compiled.arrays, key)[:, None].copy() for key in
               ("st_rate", "el_gain", "el_off", "act_off", "thresholds")}
    paths = [p for p, (_, slots) in compiled.slots.items() if slots[0].array in ("el_gain", "el_off")]
    for path, values in settings.items():
        s = compiled.slot(path)[1][0]
        nominal[s.array][s.index, 0] = s.encode(values[chip])
    drawn = MISMATCH.apply(compiled, seed, [chip], per_copy=nominal)
    neuron = nm.preset("bursting").copy()
    for path in paths:
        s = compiled.slot(path)[1][0]
        neuron.set(path, drawn[s.array][s.index, 0] / s.scale)
    return neuron


@pytest.fixture(scope="module")
def yields():
    ctrl = nm.RhythmController(TIGHT, adjust=list(BOUNDS), bounds=BOUNDS)
    common = dict(chips=28, seed=5, i_app=-2.0)
    return {"open": nm.yield_of("bursting", TIGHT, MISMATCH, **common),
            "retuned": nm.yield_of("bursting", TIGHT, MISMATCH, closed_loop="retune", **common),
            "both": nm.yield_of("bursting", TIGHT, MISMATCH, closed_loop=("retune", ctrl), t_control=50_000,
                                **common)}


def test_controllers_take_on_what_retuning_leaves_and_the_chips_confirm_it_one_by_one(yields):
    """Offsets (0.02) are beyond what gain retuning fixes: retuning alone leaves chips outside a 2 % period,
    every chip's own controller after it brings at least 95 % in. A third of the chips, re-built as Neurons with
    their final settings and their own draw, pass or fail alone as the yield says (those within 0.3 % of a bound
    are left out: two solvers may put them on either side)."""
    assert yields["open"].value <= 0.3
    assert yields["retuned"].value < yields["both"].value
    assert yields["both"].value >= 0.95
    control = yields["both"].control
    assert isinstance(control, nm.ChipsControl) and yields["both"].retuning is not None
    period = np.asarray(yields["both"].report.measured["period"])
    checked = 0
    for chip in range(0, 28, 3):
        if np.isfinite(period[chip]) and min(abs(period[chip] / b - 1) for b in (2494 * 0.98, 2494 * 1.02)) < 3e-3:
            continue
        alone = _chip(control.settings, chip, 5).simulate(20_000, i_app=-2.0)
        assert TIGHT.met(alone) == yields["both"].passed[chip], (chip, TIGHT.check(alone).reasons())
        checked += 1
    assert checked >= 8
    for path, (lo, hi) in BOUNDS.items():
        assert np.all((control.values[path] >= lo) & (control.values[path] <= hi))
        t, values = control.result(0).gains(path)
        assert np.all((values >= lo) & (values <= hi))


def test_each_chips_settings_are_its_own():
    """Two chips of the same design with different mismatch end at different settings; a chip with no mismatch
    at the design rhythm is left where it is (its period 2493.9 already at the target, within 1e-4)."""
    ctrl = nm.RhythmController(nm.Rhythm(period=3000, tolerance=0.02), adjust=["ultraslow_positive.alpha"],
                               bounds={"ultraslow_positive.alpha": (1.0, 2.8)})
    out = ctrl.run_chips("bursting", 60_000, nm.Mismatch(gain=0.04), chips=3, seed=9, i_app=-2.0)
    values = out.values["ultraslow_positive.alpha"]
    assert out.reached.all() and len(set(np.round(values, 4))) == 3, values
    still = nm.RhythmController(TIGHT, adjust=["ultraslow_positive.alpha"],
                                bounds={"ultraslow_positive.alpha": (1.0, 2.8)}).run_chips(
        "bursting", 20_000, None, chips=2, i_app=-2.0)
    assert np.all(np.abs(still.values["ultraslow_positive.alpha"] - 1.5) < 1e-3) and still.reached.all()


def test_bad_chip_controls_are_refused():
    ctrl = nm.RhythmController(TIGHT, adjust=list(BOUNDS), bounds=BOUNDS)
    with pytest.raises(nm.ModelError, match="chips"):
        ctrl.run_chips("bursting", 1000, chips=0, i_app=-2.0)
    with pytest.raises(nm.ModelError, match="outside its bounds"):
        ctrl.run_chips("bursting", 1000, chips=2, i_app=-2.0, params={"slow_negative.alpha": [-1.5, -3.0]})
    with pytest.raises(nm.ModelError, match="closed_loop"):
        nm.yield_of("bursting", TIGHT, MISMATCH, chips=2, closed_loop=("retune", "control"))
    with pytest.raises(nm.ModelError, match="a Retuning"):
        nm.yield_of("bursting", TIGHT, MISMATCH, chips=2, closed_loop="estimate")


def test_a_closed_loop_yield_is_the_same_chip_by_chip_in_chunks_and_on_a_dask_cluster():
    """Retuned and controlled chips split into chunks (as Dask's tasks run them) end where they end in one run
    (each chip's draws, observer and controller its own, fed at fixed times): the same numbers, bit for bit;
    then the whole yield on a real LocalCluster of two worker processes gives the same verdicts."""
    from neuromorph.control.yields import closed_loop_chunk

    ctrl = nm.RhythmController(TIGHT, adjust=list(BOUNDS), bounds=BOUNDS)
    common = dict(chips=12, seed=7, i_app=-2.0, t_end=10_000, closed_loop=("retune", ctrl), t_control=30_000)
    here = nm.yield_of("bursting", TIGHT, MISMATCH, **common)
    setup = ("bursting", MISMATCH, 7, "retune", ctrl, 10_000, None, -2.0, 0.1, "rk4", 30_000.0)
    measured, patterns = closed_loop_chunk(TIGHT, setup, np.arange(3, 9))
    np.testing.assert_array_equal(measured["period"], np.asarray(here.report.measured["period"])[3:9])
    assert patterns == here.report.patterns[3:9]
    on_dask = nm.yield_of("bursting", TIGHT, MISMATCH, workers=2, **common)
    np.testing.assert_array_equal(on_dask.passed, here.passed)
    np.testing.assert_array_equal(np.asarray(on_dask.report.measured["period"]),
                                  np.asarray(here.report.measured["period"]))
    assert on_dask.run is None and 0 < here.passed.sum()
