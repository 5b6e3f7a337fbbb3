"""Figures: voltage traces with spikes, and I-V curves with their negative-conductance regions.

matplotlib is imported when a function is called, not with the package.
"""

import numpy as np

from .analysis.iv import TIMESCALES, equilibria, iv_curves

__all__ = ["plot_trace", "plot_iv", "save_figure"]

_COLOURS = {"fast": "tab:red", "slow": "tab:orange", "ultraslow": "tab:purple", "steady": "tab:blue"}


def plot_trace(result, ax=None, states=None, spikes=True, title=None):
    """Plot recorded states of a :class:`~neuromorph.SimulationResult` against time.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib Axes, optional
    states : sequence of str, optional
        States to draw (default: all recorded, membrane voltage first).
    spikes : bool, default True
        Mark spike times (located on the dense output) on the voltage trace.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    names = list(result.state_names) if states is None else list(states)
    for name in names:
        ax.plot(result.t, result[name], lw=1.0 if name.endswith("v") else 1.2,
                alpha=1.0 if name.endswith("v") else 0.8, label=name)
    if spikes and result.spike_times.size and "v" in names:
        ax.plot(result.spike_times, np.zeros_like(result.spike_times), "|", color="k", ms=8, label="spikes")
    ax.set_xlabel("time (membrane time constants)")
    ax.set_ylabel("voltage (dimensionless)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8, ncol=len(names) + 1, frameon=False)
    ax.margins(x=0)
    return ax


def _negative_spans(v, conductance):
    """Contiguous runs of the grid where the conductance is negative, as (lo, hi) pairs."""
    negative = conductance < 0
    edges = np.flatnonzero(np.diff(negative.astype(np.int8)))
    starts = [0] + list(edges + 1) if negative[0] else list(edges[negative[edges + 1]] + 1)
    spans = []
    for start in starts:
        stop = start
        while stop + 1 < v.size and negative[stop + 1]:
            stop += 1
        spans.append((v[start], v[stop]))
    return spans


def plot_iv(neuron, i_app=0.0, v=None, axes=None, title=None):
    """Fast, slow, ultraslow and steady-state I-V curves side by side.

    Negative-conductance regions (from the analytic slope) are shaded in each
    panel's colour; the applied current is a dashed line; equilibria are marked
    on the steady-state curve, filled when stable, open when unstable.

    Returns
    -------
    array of matplotlib Axes
    """
    import matplotlib.pyplot as plt

    v = np.linspace(-3.0, 3.0, 601) if v is None else np.asarray(v, dtype=np.float64)
    iv = iv_curves(neuron, v=v, i_app=i_app)
    if axes is None:
        fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), sharex=True, layout="constrained")
        if title:
            fig.suptitle(title)
    for ax, ts in zip(axes, TIMESCALES):
        for lo, hi in _negative_spans(v, iv.conductance(ts)):
            ax.axvspan(lo, hi, color=_COLOURS[ts], alpha=0.15, lw=0)
        ax.plot(v, iv[ts], color=_COLOURS[ts], lw=1.6)
        ax.axhline(i_app, color="k", ls="--", lw=0.8)
        ax.set_title(ts if ts != "steady" else "steady state", fontsize=10)
        ax.set_xlabel("V")
    axes[0].set_ylabel("I (dimensionless)")
    for eq in equilibria(neuron, i_app):
        if v[0] <= eq.v <= v[-1]:
            axes[-1].plot([eq.v], [i_app], "o", ms=5, color="k", mfc="k" if eq.stable else "w",
                          label="stable" if eq.stable else "unstable")
    return axes


def save_figure(fig, path, dpi=110):
    """Save ``fig`` atomically (no partial image is left on failure) and close it."""
    import matplotlib.pyplot as plt

    from ._io_atomic import atomic_write

    fmt = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
    try:
        atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=dpi, bbox_inches="tight"), binary=True)
    finally:
        plt.close(fig)
