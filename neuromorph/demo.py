"""``neuromorph demo``: every preset simulated with its protocol, a summary table, figures.

For each preset it writes ``<name>_trace.png`` (voltage and filtered
voltages, spikes marked) and ``<name>_iv.png`` (fast, slow, ultraslow and
steady-state I-V curves with negative-conductance regions shaded), plus
``summary.json`` with the metrics.
"""

import json
import sys
import time
from pathlib import Path

__all__ = ["run_demo"]


def run_demo(out_dir, plots=True, stream=None):
    """Run the demo; returns 0. Figures go to ``out_dir`` (created if needed)."""
    import neuromorph as nm

    from ._io_atomic import atomic_write
    from .cli import _HEADER, _summary_line

    stream = stream or sys.stdout
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if plots:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_iv, plot_trace, save_figure

    print("neuromorph demo: each preset circuit with the protocol from its file\n", file=stream)
    print(_HEADER, file=stream)
    summaries = {}
    t_total = time.perf_counter()
    for name in nm.presets():
        neuron = nm.preset(name)
        protocol = neuron.protocol
        t0 = time.perf_counter()
        result = neuron.simulate(protocol.t_end, protocol.i_app)
        elapsed = time.perf_counter() - t0
        summary = result.summary(t_start=protocol.t_transient)
        summary["seconds"] = elapsed
        summaries[name] = summary
        print(_summary_line(name, summary), file=stream)
        if plots:
            fig, ax = plt.subplots(figsize=(10, 3.4))
            plot_trace(result, ax=ax, title=f"{name}: {summary['pattern']} ({neuron.description})")
            save_figure(fig, out_dir / f"{name}_trace.png")
            i_ref = float(protocol.i_app(0.0))
            axes = plot_iv(neuron, i_app=i_ref, title=f"{name}: I-V curves at I_app = {i_ref:g}")
            save_figure(axes[0].figure, out_dir / f"{name}_iv.png")
    atomic_write(out_dir / "summary.json", lambda f: json.dump(summaries, f, indent=2))
    print(f"\n{len(summaries)} circuits in {time.perf_counter() - t_total:.1f} s; "
          f"{'figures and ' if plots else ''}summary.json in {out_dir}/", file=stream)
    return 0
