"""``neuromorph demo``: every preset simulated with its protocol, a summary table, figures.

For each neuron preset it writes ``<name>_trace.png`` (voltage and filtered
voltages, spikes marked) and ``<name>_iv.png`` (fast, slow, ultraslow and
steady-state I-V curves with negative-conductance regions shaded); for each
network preset (the HCO, the CPG) ``<name>_network.png`` (stacked traces and a
spike raster) and each neuron's phase; then a
behaviour map of the bursting neuron over I_app and the slow negative gain
(``bursting_map.png``, with the I-V prediction's boundaries), plus
``summary.json`` with the metrics.
"""

import json
import sys
import time
from pathlib import Path

__all__ = ["run_demo"]


def run_demo(out_dir, plots=True, stream=None):
    """Run the demo; returns 0. Figures go to ``out_dir`` (created if needed), all at the end."""
    from ..io.files import Staging

    stream = stream or sys.stdout
    with Staging(Path(out_dir)) as stage:  # every file or none: Ctrl-C leaves the folder as it was
        return _run(Path(out_dir), stage, plots, stream)


def _run(out_dir, stage, plots, stream):
    import neuromorph as nm

    from .table import SUMMARY_HEADER, phase_text, summary_line

    if plots:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_iv, plot_network, plot_trace, save_figure

    print("neuromorph demo: each preset circuit with the protocol from its file\n", file=stream)
    print(SUMMARY_HEADER, file=stream)
    summaries = {}
    t_total = time.perf_counter()
    networks = []
    for name in nm.presets():
        neuron = nm.preset(name)
        if isinstance(neuron, nm.Network):
            networks.append(name)
            continue
        protocol = neuron.protocol
        t0 = time.perf_counter()
        result = neuron.simulate(protocol.t_end, protocol.i_app)
        elapsed = time.perf_counter() - t0
        summary = result.summary(t_start=protocol.t_transient)  # None: the default rule (second half)
        summary["seconds"] = elapsed
        summaries[name] = summary
        print(summary_line(name, summary), file=stream)
        if plots:
            fig, ax = plt.subplots(figsize=(10, 3.4))
            plot_trace(result, ax=ax, title=f"{name}: {summary['pattern']} ({neuron.description})")
            save_figure(fig, stage.path(f"{name}_trace.png"))
            i_ref = float(protocol.i_app(0.0))
            axes = plot_iv(neuron, i_app=i_ref, title=f"{name}: I-V curves at I_app = {i_ref:g}")
            save_figure(axes[0].figure, stage.path(f"{name}_iv.png"))
    from ..analysis.network import PHASE_TOLERANCE

    print("\nnetworks: each neuron, and the phase of its bursts relative to the first neuron's (anti-phase: "
          f"within {PHASE_TOLERANCE:g} of 0.5, in-phase: within {PHASE_TOLERANCE:g} of 0)", file=stream)
    for name in networks:
        net = nm.preset(name)
        protocol = net.protocol
        t0 = time.perf_counter()
        result = net.simulate(protocol.t_end)
        rhythm = result.rhythm(t_start=protocol.t_transient)
        summaries[name] = dict(rhythm, seconds=time.perf_counter() - t0)
        for node, row in rhythm["neurons"].items():
            print(summary_line(f"{name}.{node}", row) + f"  phase {phase_text(row)} {row['relation']}", file=stream)
        if plots:
            axes = plot_network(result, title=f"{name}: {net.description}")
            save_figure(axes[0].figure, stage.path(f"{name}_network.png"))
    print("\npattern: what the circuit settles to by the end of its protocol; spikes and metrics count\n"
          "the window after the file's t_transient (else the second half of the run). The protocols:", file=stream)
    for name in nm.presets():
        print(f"  {name:34s} {nm.preset(name).description}", file=stream)
    t_map = time.perf_counter()
    bmap = nm.behaviour_map(nm.preset("bursting"), x=("i_app", -3.0, 0.0, 32),
                            y=("slow_negative.alpha", -3.0, 0.0, 32), t_end=20_000)
    counts = ", ".join(f"{k} {v}" for k, v in bmap.counts().items() if v)
    print(f"\nbehaviour map of the bursting neuron, 32 x 32 cells over t = 20000 "
          f"({time.perf_counter() - t_map:.1f} s): {counts}; "
          f"the I-V prediction agrees on {100 * bmap.agreement():.1f} % of cells", file=stream)
    summaries["bursting_map"] = {"counts": bmap.counts(), "agreement_with_iv_prediction": bmap.agreement()}
    if plots:
        from .plotting import plot_behaviour_map

        fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
        plot_behaviour_map(bmap, ax=ax, title="bursting neuron: firing pattern over I_app and slow negative gain")
        save_figure(fig, stage.path("bursting_map.png"))
    with open(stage.path("summary.json"), "w", encoding="utf-8") as f:
        json.dump(summaries, f, indent=2)
    print(f"\n{len(nm.presets())} circuits and a map in {time.perf_counter() - t_total:.1f} s; "
          f"{'figures and ' if plots else ''}summary.json in {out_dir}/", file=stream)
    return 0
