"""Device area as a design variable (issue 22): Pelgrom's law in the transistor netlists, the model-level twin
of per-transistor mismatch, yield at transistor level in ngspice, and the smallest area for a yield."""

import re

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.lower.compile import as_compiled_model
from neuromorph.spice.transistor import Mapping, TransistorMismatch, transistor_netlist


def _draws(variation):
    net = transistor_netlist(nm.preset("bursting"), mapping=Mapping(kappa=0.715), variation=variation)
    lines = [line for line in net.lines if line.startswith("X_")]
    return lines, np.array([float(x) for line in lines for x in re.findall(r" dv\d+=(\S+)", line)])


def test_wider_transistors_draw_the_same_normals_scaled_by_pelgrom():
    """Four times the area halves every threshold draw, chip by chip (sigma = A_VT / sqrt(W L)), and the
    instances carry their size (W = 16 um, L = 6 um, the mirrors' too); the default size writes none."""
    small_lines, small = _draws(TransistorMismatch(seed=3, chip=7))
    wide_lines, wide = _draws(TransistorMismatch(seed=3, chip=7, width=16.0, length=6.0))
    np.testing.assert_allclose(wide, small / 2.0, rtol=1e-3)  # (the netlist writes 4 significant digits)
    assert all(" w=16u l=6u wm=16u lm=6u" in line.replace("e-06", "u") or " w=1.6e-05" in line
               for line in wide_lines), wide_lines[0]
    assert not any(" w=" in line for line in small_lines)
    with pytest.raises(nm.ModelError, match="0.18"):
        TransistorMismatch(width=0.1)


def test_the_model_level_twin_is_the_amplifiers_spread():
    """MODEL.md's cells: a bias mirror (two transistors) sets an amplifier's gain, the input pair and the load
    mirror (four) its offset. With s = kappa A_VT / (U_T sqrt(W L)) and b = A_beta / sqrt(W L):
    gain = tau = sqrt(2 (s^2 + b^2)), offset = sqrt(s^2 + b^2); computed here by hand."""
    d = nm.DeviceMismatch(a_vt=4e-3, a_beta=0.02, width=3.0, length=8.0)
    s, b = 0.715 * 4e-3 / (0.025865 * np.sqrt(24.0)), 0.02 / np.sqrt(24.0)
    m = d.model_level()
    assert m.gain == pytest.approx(np.sqrt(2 * (s * s + b * b)), rel=1e-12)
    assert m.tau == m.gain and m.offset == pytest.approx(np.hypot(s, b), rel=1e-12)
    wide = d.resized(96.0)
    assert (wide.width, wide.length, wide.a_vt) == (12.0, 8.0, 4e-3)
    compiled = as_compiled_model("bursting")
    g1 = m.draw(compiled, 4, np.arange(6))["el_gain"] / compiled.arrays.el_gain[:, None] - 1
    g2 = wide.model_level().draw(compiled, 4, np.arange(6))["el_gain"] / compiled.arrays.el_gain[:, None] - 1
    np.testing.assert_allclose(g2, g1 / 2.0, rtol=1e-9, atol=1e-15)  # common random numbers across areas


def test_a_yield_at_transistor_level_is_ngspices_verdict_chip_by_chip():
    """Two chips of the transistor-level burster with their own Pelgrom draws: each one's verdict is the one
    a separate transistor-level run of that chip (spice_simulate, not the Monte Carlo's worker) gives."""
    rhythm = nm.Rhythm(period=2238, spikes_per_burst=7, tolerance=0.1)  # the transistor-level nominal: 2238
    devices = nm.DeviceMismatch(a_vt=8e-3)
    y = nm.yield_of("bursting", rhythm, devices, level="transistor", chips=2, seed=11, t_end=6_000, t_record=1_000,
                    i_app=-2.0, n_threads=2)
    assert isinstance(y.run, nm.spice.montecarlo.SpiceMonteCarlo) and y.passed.size == 2
    alone = nm.spice_simulate("bursting", 6_000, i_app=-2.0, level="transistor", max_step=0.2,
                              variation=TransistorMismatch(seed=11, chip=1, a_vt=8e-3))
    report = rhythm.check(alone, t_start=1_000)
    assert report.met == y.passed[1]
    np.testing.assert_allclose(np.asarray(y.report.measured["period"])[1], report.measured["period"], rtol=1e-9)
    with pytest.raises(nm.ModelError, match="DeviceMismatch"):
        nm.yield_of("bursting", rhythm, nm.Mismatch(gain=0.01), level="transistor", chips=2)
    with pytest.raises(nm.ModelError, match="closed_loop"):
        nm.yield_of("bursting", rhythm, devices, level="transistor", closed_loop="retune", chips=2)
    with pytest.raises(nm.ModelError, match="level"):
        nm.yield_of("bursting", rhythm, devices, level="chip", chips=2)


def test_the_smallest_area_for_a_yield_is_found_and_confirmed_on_fresh_chips():
    """The yield grows with area (the same chips, their draws scaled by 1 / sqrt(W L)); the designed area is the
    smallest tried whose interval's lower end reaches the target, every smaller one tried falls short, and
    fresh chips confirm it; with retuning far less area reaches it."""
    rhythm = nm.Rhythm(period=2494, spikes_per_burst=7, tolerance=0.1)  # MODEL.md's burster
    common = dict(areas=(12, 768), grid=3, refine=1, chips=40, confirm_chips=40, i_app=-2.0, t_end=12_000)
    d = nm.area_for_yield("bursting", rhythm, 0.5, **common)
    values = [y.value for y in d.yields]
    assert values[-1] > values[0] + 0.4
    k = int(np.argmin(np.abs(d.areas - d.area)))
    assert d.met and d.areas[k] == pytest.approx(d.area) and d.yields[k].interval[0] >= 0.5
    assert all(y.interval[0] < 0.5 for y in d.yields[:k])
    assert d.designed.value >= 0.5 and d.designed.report is not d.yields[0].report
    assert "smallest area" in str(d) and d.devices.length == 6.0
    closed = nm.area_for_yield("bursting", rhythm, 0.5, closed_loop="retune", **common)
    assert closed.area < d.area
    with pytest.raises(nm.ModelError, match="target"):
        nm.area_for_yield("bursting", rhythm, 1.5)
    with pytest.raises(nm.ModelError, match="areas"):
        nm.area_for_yield("bursting", rhythm, 0.5, areas=(50, 10))
