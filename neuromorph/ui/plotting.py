"""Figures: voltage traces with spikes, and I-V curves with their negative-conductance regions.

matplotlib is imported when a function is called, not with the package.
"""

from pathlib import Path

import numpy as np

from ..analysis.iv import TIMESCALES, equilibria, iv_curves

__all__ = ["plot_trace", "plot_iv", "plot_behaviour_map", "plot_raster", "plot_network", "save_figure"]

_COLOURS = {"fast": "tab:red", "slow": "tab:orange", "ultraslow": "tab:purple", "steady": "tab:blue"}


def plot_trace(result, ax=None, states=None, spikes=True, title=None):
    """Plot recorded states of a :class:`~neuromorph.SimulationResult` against time.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib Axes, optional
        Axes to draw in (default: a new figure's).
    states : sequence of str, optional
        States to draw (default: all recorded, membrane voltage first).
    spikes : bool, default True
        Mark spike times (located on the dense output) on the voltage trace.
    title : str, optional
        Title of the axes (default: none).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ModelError
        If ``result`` is not a SimulationResult, or ``states`` names a state the run did not record.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")  # no window: the figure is only made
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> res = nm.simulate(nm.preset("tonic"), 300, i_app=-0.7)
    >>> ax = nm.plot_trace(res, title="tonic")
    >>> [line.get_label() for line in ax.get_lines()]
    ['v', 'slow', 'spikes']
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    _check_result(result, "plot_trace")
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
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)  # beside the axes: never
    ax.margins(x=0)                                                                       # over the trace
    return ax


def _check_result(result, what):
    from ..errors import ModelError
    from ..solve.results import SimulationResult

    if not isinstance(result, SimulationResult):
        raise ModelError(f"{what} draws a run: pass the result of simulate (res = net.simulate(...)), got "
                         f"{type(result).__name__}")


def plot_raster(result, ax=None, neurons=None, t_start=None, title=None):
    """Spike raster of a network run: one row per neuron, a tick per spike.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib Axes, optional
        Axes to draw in (default: a new figure's).
    neurons : sequence of str or int, optional
        Neurons to show, top to bottom (default: all).
    t_start : float, optional
        Hide spikes before this time (default: show every spike).
    title : str, optional
        Title of the axes (default: none).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ModelError
        If ``result`` is not a SimulationResult, or ``neurons`` names a neuron the run does not have.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")  # no window: the figure is only made
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> res = nm.hco().simulate(3000)
    >>> ax = nm.plot_raster(res, title="half-centre oscillator")
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['n1', 'n2']
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    _check_result(result, "plot_raster")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.4 * len(result.neuron_names) + 1.2))
    neurons = list(result.neuron_names) if neurons is None else list(neurons)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, neuron in enumerate(neurons):
        spikes = result.spikes_of(neuron)
        if t_start is not None:
            spikes = spikes[spikes >= t_start]
        ax.vlines(spikes, len(neurons) - row - 0.4, len(neurons) - row + 0.4, color=colours[row % len(colours)],
                  lw=0.8)
    ax.set_yticks(range(len(neurons), 0, -1))
    ax.set_yticklabels([result.neuron_names[result.neuron_index(n)] for n in neurons])
    ax.set_ylim(0.4, len(neurons) + 0.6)
    ax.set_xlim(result.t_start, result.t_end)
    ax.set_xlabel("time (membrane time constants)")
    if title:
        ax.set_title(title)
    return ax


def plot_network(result, neurons=None, raster=True, title=None, max_traces=8):
    """Stacked membrane-voltage traces of a network run (one panel per neuron, shared time axis),
    with a spike raster of every neuron below.

    Parameters
    ----------
    result : SimulationResult
        A run that recorded the neurons' ``NODE.v`` states.
    neurons : sequence of str, optional
        Neurons whose traces are drawn (default: the first ``max_traces``).
    raster : bool, default True
        Add the spike raster of every neuron (:func:`plot_raster`) below the traces.
    title : str, optional
        Title of the figure (default: none).
    max_traces : int, default 8
        Most traces drawn when ``neurons`` is not given.

    Returns
    -------
    array of matplotlib Axes
        One per trace, then the raster's.

    Raises
    ------
    ModelError
        If ``result`` is not a SimulationResult, or (for a network) ``neurons`` names a neuron the run
        does not have or whose voltage it did not record.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")  # no window: the figure is only made
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> res = nm.hco().simulate(3000)
    >>> axes = nm.plot_network(res, title="half-centre oscillator")
    >>> [ax.get_ylabel() for ax in axes]
    ['n1', 'n2', 'spikes']
    >>> plt.close(axes[0].figure)
    """
    import matplotlib.pyplot as plt

    _check_result(result, "plot_network")
    single = len(result.neuron_names) == 1 and "v" in result.state_names

    def trace_name(neuron):
        index = result.neuron_index(neuron)  # an unknown neuron is an error naming the neurons
        return "v" if single else f"{result.neuron_names[index]}.v"

    names = [n for n in result.neuron_names if trace_name(n) in result.state_names]
    neurons = names[:max_traces] if neurons is None else list(neurons)
    rows = len(neurons) + (1 if raster else 0)
    heights = [1.0] * len(neurons) + ([max(1.0, 0.25 * len(result.neuron_names))] if raster else [])
    fig, axes = plt.subplots(rows, 1, figsize=(10, 1.3 * rows + 0.8), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": heights}, layout="constrained")
    axes = axes[:, 0]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, neuron in enumerate(neurons):
        ax = axes[i]
        ax.plot(result.t, result[trace_name(neuron)], lw=0.8, color=colours[i % len(colours)])
        ax.set_ylabel(neuron, rotation=0, ha="right", va="center")
        ax.margins(x=0)
    if raster:
        plot_raster(result, ax=axes[-1])
        axes[-1].set_ylabel("spikes")
    axes[-1].set_xlim(result.t_start, result.t_end)
    axes[-1].set_xlabel("time (membrane time constants)")
    if title:
        fig.suptitle(title)
    return axes


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

    Parameters
    ----------
    neuron : Neuron or preset name
        One neuron (for a network's node, ``network.neuron(NAME)``).
    i_app : float, default 0.0
        Applied current: the dashed line, the resting voltage the slower filters are held at, and
        the equilibria.
    v : array_like, optional
        Voltage grid (default ``linspace(-3, 3, 601)``).
    axes : sequence of matplotlib Axes, optional
        Four axes to draw in, fast to steady state (default: a new figure's row of four).
    title : str, optional
        Title of a new figure (default: none).

    Returns
    -------
    array of matplotlib Axes

    Raises
    ------
    CircuitFileError
        If ``neuron`` is a string that names no preset or readable circuit file.
    ModelError
        If ``neuron`` is not one neuron (a network, say); if ``i_app`` is not a real number; or if
        ``v`` is not a 1-dimensional array of finite numbers.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")  # no window: the figure is only made
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> axes = nm.plot_iv(nm.preset("bursting"), i_app=-2.0, title="bursting neuron")
    >>> [ax.get_title() for ax in axes]
    ['fast', 'slow', 'ultraslow', 'steady state']
    >>> plt.close(axes[0].figure)
    """
    import matplotlib.pyplot as plt

    iv = iv_curves(neuron, v=v, i_app=i_app)  # checks v (default: 601 voltages on [-3, 3])
    v = iv.v
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


def _figure_format(path):
    """The figure format a file name asks for: its extension (a name without one gets PNG)."""
    return Path(path).suffix[1:].lower() or "png"


def check_figure_format(path, label="figure"):
    """Refuse, before any work, a figure file name without an extension or with one matplotlib cannot write."""
    from matplotlib.backend_bases import FigureCanvasBase

    known = FigureCanvasBase.get_supported_filetypes()
    if not Path(path).suffix:
        raise ValueError(f"{label} {str(path)!r}: give the figure a file extension, such as .png, .pdf or .svg")
    fmt = _figure_format(path)
    if fmt not in known:
        raise ValueError(f"{label} {str(path)!r}: matplotlib cannot write {fmt!r} figures; "
                         f"use one of {', '.join(sorted(known))}")
    if fmt == "pgf":  # matplotlib measures every text of a .pgf figure with TeX
        import shutil

        import matplotlib

        tex = matplotlib.rcParams["pgf.texsystem"]
        if shutil.which(tex) is None:
            raise ValueError(f"{label} {str(path)!r}: matplotlib writes .pgf figures with {tex}, which is not "
                             "installed here; use .pdf or .svg, or install TeX")


def save_figure(fig, path, dpi=110, close=True):
    """Save ``fig`` atomically (no partial image is left on failure) and close it (unless ``close=False``:
    a figure on screen, such as the tuner's, stays open)."""
    import matplotlib.pyplot as plt

    from ..io.files import atomic_write

    fmt = _figure_format(path)
    try:
        atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=dpi, bbox_inches="tight"), binary=True)
    finally:
        if close:
            plt.close(fig)


_PATTERN_COLOURS = {"rest": "#d9d9d9", "tonic": "#4c72b0", "bursting": "#dd8452", "irregular": "#8172b3",
                    "bistable": "#55a868", "diverging": "#c44e52", "unknown": "#ffffff"}


def plot_behaviour_map(bmap, ax=None, quantity="pattern", show_prediction=True, title=None):
    """Draw a :class:`~neuromorph.BehaviourMap`.

    Parameters
    ----------
    bmap : BehaviourMap
    ax : matplotlib Axes, optional
        Axes to draw in (default: a new figure's).
    quantity : str, default "pattern"
        ``"pattern"`` (categorical colours) or a metric such as ``"burst_period"``,
        ``"spikes_per_burst"``, ``"isi_mean"`` (colour map; NaN cells blank).
    show_prediction : bool, default True
        Outline the boundaries of the pattern predicted from the I-V curves (2-D maps with
        predictions).
    title : str, optional
        Title of the axes (default: none).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ModelError
        If ``quantity`` is neither ``"pattern"`` nor a metric of the map.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")  # no window: the figure is only made
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> m = nm.behaviour_map("tonic", x=("i_app", -1.0, 0.0, 2), y=("slow_positive.alpha", 1.5, 2.5, 2),
    ...                      t_end=500)
    >>> ax = nm.plot_behaviour_map(m, title="tonic neuron")
    >>> ax.get_xlabel(), [text.get_text() for text in ax.get_legend().get_texts()]
    ('i_app', ['rest', 'tonic', 'I-V prediction boundary'])
    >>> plt.close(ax.figure)
    >>> ax = nm.plot_behaviour_map(m, quantity="isi_mean")  # a metric: a colour map and its bar
    >>> len(ax.figure.axes)
    2
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
    x = bmap.x.values
    y = bmap.y.values if bmap.y is not None else np.array([0.0, 1.0])

    def edges(values):  # cells centred on their parameter values
        half = (values[-1] - values[0]) / (2 * (values.size - 1))
        return values[0] - half, values[-1] + half

    extent = (*edges(x), *(edges(y) if bmap.y is not None else (0.0, 1.0))) if x.size > 1 and y.size > 1 else None
    names = list(_PATTERN_COLOURS)
    if quantity == "pattern":
        codes = np.vectorize(names.index)(bmap.pattern)
        ax.imshow(codes, origin="lower", aspect="auto", extent=extent, interpolation="nearest",
                  cmap=ListedColormap([_PATTERN_COLOURS[p] for p in names]), vmin=-0.5, vmax=len(names) - 0.5)
        present = [p for p in names if np.any(bmap.pattern == p)]
        handles = [Patch(color=_PATTERN_COLOURS[p], label=p) for p in present]
    else:
        values = bmap.metrics.get(quantity)
        if values is None:
            from ..errors import ModelError

            raise ModelError(f"unknown quantity {quantity!r}; use 'pattern' or one of {', '.join(bmap.metrics)}")
        image = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", extent=extent,
                          interpolation="nearest", cmap="viridis")
        ax.figure.colorbar(image, ax=ax, label=quantity.replace("_", " "))
        handles = []
    if show_prediction and bmap.predicted is not None and bmap.y is not None and x.size > 1 and y.size > 1:
        for name in names:  # one line per boundary: each category's outline (shared edges coincide)
            inside = (bmap.predicted == name).astype(float)
            if 0 < inside.sum() < inside.size:
                ax.contour(x, y, inside, levels=[0.5], colors="k", linewidths=0.8)
        handles.append(plt.Line2D([], [], color="k", lw=0.8, label="I-V prediction boundary"))
    ax.set_xlabel(bmap.x.name)
    ax.set_ylabel(bmap.y.name if bmap.y is not None else "")
    if handles:
        ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.85)
    if title:
        ax.set_title(title)
    return ax


def plot_reliability(result, neuron=0, ax=None, drive=True, bin_width=None, title=None):
    """Raster over chips and trials (one colour per chip, trials of a chip together) above the PSTH,
    and the drive when it varies in time.

    Parameters
    ----------
    result : ReliabilityResult
    neuron : int or str, default 0
        Which neuron of a network.
    ax : sequence of matplotlib Axes, optional
        Axes for the raster and the PSTH (and the drive); default: a new figure's.
    drive : bool, default True
        Show the applied current in a third panel (if it is not constant).
    bin_width : float, optional
        Width of the PSTH's bins (default: 1/200 of the recorded time).
    title : str, optional
        Title of the raster (default: the reliability, jitter and across-chip reliability).

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    ModelError
        If ``neuron`` names no neuron of the result, or ``bin_width`` is not > 0.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")  # no window: the figure is only made
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> drive = nm.OUProcess(mean=-0.5, sigma=0.5, tau=20, seed=1)
    >>> rel = nm.reliability("tonic", drive, trials=3, chips=2, intrinsic=0.02, t_end=500, dt=0.1, seed=3)
    >>> fig = nm.plot_reliability(rel)
    >>> [ax.get_ylabel().split(" (")[0] for ax in fig.axes]  # raster, PSTH, and the drive (it varies)
    ['trial', 'PSTH', 'drive']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    from ..model.stimulus import Constant, as_stimulus

    stim = as_stimulus(result.settings["drive"])
    show_drive = drive and not all(isinstance(t, Constant) for t in stim.terms())
    n_panels = 3 if show_drive else 2
    if ax is None:
        fig, ax = plt.subplots(n_panels, 1, figsize=(9, 6), sharex=True,
                               gridspec_kw={"height_ratios": [3, 1.4, 1][:n_panels]})
    else:
        fig = ax[0].figure
    trains = result.trains(neuron)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    row = 0
    for c, chip in enumerate(trains):
        for k, spikes in enumerate(chip):
            ax[0].vlines(spikes, row + 0.1, row + 0.9, color=colours[c % len(colours)], lw=0.7)
            row += 1
    ax[0].set_ylim(row, 0)
    ax[0].set_ylabel(f"trial ({len(result.chips)} chip{'s' if len(result.chips) > 1 else ''})")
    m = result.metrics(neuron)
    ax[0].set_title(title or f"reliability {m['schreiber']:.2f} (Schreiber, sigma {m['sigma']:.3g}), "
                             f"jitter {m['jitter']:.3g}, across chips {m['schreiber_across_chips']:.2f}")
    edges, rate = result.psth(bin_width, neuron)
    ax[1].stairs(rate, edges, fill=True, alpha=0.6)
    ax[1].set_ylabel("PSTH (spikes /\ntrial / time unit)")
    if show_drive:
        t = np.linspace(result.t_record, result.t_end, 2000)
        ax[2].plot(t, stim(t), lw=0.8, color="0.3")
        ax[2].set_ylabel("drive (I_app)")
    ax[-1].set_xlabel("time (membrane time constants)")
    ax[-1].set_xlim(result.t_record, result.t_end)
    fig.tight_layout()
    return fig
