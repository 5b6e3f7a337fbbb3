"""Figures of neuromorph.ui.plotting: what their axes say."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import neuromorph as nm  # noqa: E402
from neuromorph.ui.plotting import check_figure_format  # noqa: E402


def test_reliability_panels_say_what_they_show():
    """The PSTH's y axis names its quantity and unit (spikes per trial per time unit, as psth computes it) and
    fits its panel; every panel has a y label."""
    rel = nm.reliability("tonic", nm.OUProcess(-0.5, 0.3, 20, seed=1), trials=2, chips=2, t_end=300, dt=0.05, seed=1)
    fig = rel.plot()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert all(ax.get_ylabel() for ax in fig.axes)
    hist = fig.axes[1]
    assert "PSTH" in hist.get_ylabel() and "spikes" in hist.get_ylabel() and "time unit" in hist.get_ylabel()
    label, panel = hist.yaxis.label.get_window_extent(renderer), hist.get_window_extent(renderer)
    assert label.y0 >= panel.y0 - 1 and label.y1 <= panel.y1 + 1


def test_pgf_needs_tex():
    """matplotlib writes .pgf through TeX: without it the figure is refused up front, not after the work."""
    import shutil

    if shutil.which(matplotlib.rcParams["pgf.texsystem"]):
        pytest.skip("TeX is installed: .pgf figures work")
    with pytest.raises(ValueError, match="--plot 'x.pgf'.*not installed"):
        check_figure_format("x.pgf", "--plot")


def test_plot_functions_name_bad_input():
    import neuromorph as nm

    run = nm.preset("tonic").simulate(200)
    with pytest.raises(nm.ModelError, match="plot_trace draws a run"):
        nm.plot_trace(3)
    with pytest.raises(nm.ModelError, match="no neuron 'zz'"):
        nm.plot_network(run, neurons=["zz"])
    with pytest.raises(nm.ModelError, match="`v` must be an array of real numbers"):
        nm.plot_iv("tonic", v="abc")
