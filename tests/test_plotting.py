"""Figures of neuromorph.ui.plotting."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from neuromorph.ui.plotting import check_figure_format  # noqa: E402


def test_pgf_needs_tex():
    """matplotlib writes .pgf through TeX: without it the figure is refused up front, not after the work."""
    import shutil

    if shutil.which(matplotlib.rcParams["pgf.texsystem"]):
        pytest.skip("TeX is installed: .pgf figures work")
    with pytest.raises(ValueError, match="--plot 'x.pgf'.*not installed"):
        check_figure_format("x.pgf", "--plot")
