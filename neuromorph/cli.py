"""Command line: ``neuromorph simulate``, ``neuromorph demo``, ``neuromorph presets``.

Exit codes: 0 success, 1 the simulation failed (diverged), 2 bad input
(unknown file or key, bad value) with a one-line message naming the problem.
"""

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]


def _summary_line(name, summary):
    def fmt(x, spec):
        width = spec.split(".")[0].rstrip("df")
        return f"{'-':>{width}s}" if x is None else format(x, spec)

    return (f"{name:36s} {summary['pattern']:10s} {summary['n_spikes']:7d} {fmt(summary['isi_mean'], '9.2f')} "
            f"{fmt(summary['burst_period'], '9.1f')} {fmt(summary['spikes_per_burst'], '5d')} "
            f"{fmt(summary['intra_burst_isi'], '9.2f')} {fmt(summary['duty_cycle'], '6.3f')}")


_HEADER = (f"{'circuit':36s} {'pattern':10s} {'spikes':>7s} {'ISI':>9s} {'period':>9s} {'spb':>5s} "
           f"{'intra-ISI':>9s} {'duty':>6s}")


def _protocol(neuron, args):
    from .stimulus import Constant

    protocol = neuron.protocol
    t_end = args.t_end if args.t_end is not None else (protocol.t_end if protocol else None)
    if t_end is None:
        raise ValueError("the circuit file has no [simulation] t_end: give --t-end")
    if args.i_app is not None:
        stim = Constant(args.i_app)
    else:
        stim = protocol.i_app if protocol else Constant(0.0)
    t_start = args.t_start if args.t_start is not None else (protocol.t_transient if protocol else 0.0)
    return t_end, stim, min(t_start, t_end * 0.999)


def _cmd_simulate(args):
    import neuromorph as nm

    neuron = nm.load(args.file)
    for path in (args.out, args.plot):  # refuse before simulating, rather than leave one file of two
        if path and not Path(path).resolve().parent.is_dir():
            raise FileNotFoundError(f"cannot write {path!r}: folder {str(Path(path).parent)!r} does not exist")
    t_end, stim, t_start = _protocol(neuron, args)
    options = {k: getattr(args, k) for k in ("rtol", "atol", "dt") if getattr(args, k) is not None}
    result = nm.simulate(neuron, t_end, i_app=stim, method=args.method, **options)
    summary = result.summary(t_start=t_start)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_trace, save_figure

        fig, ax = plt.subplots(figsize=(10, 3.4))
        plot_trace(result, ax=ax, title=f"{neuron.name}: {summary['pattern']}")
        save_figure(fig, args.plot)
    if args.out:
        try:
            result.save(args.out)
        except BaseException:
            if args.plot:  # both files or neither
                Path(args.plot).unlink(missing_ok=True)
            raise
    if args.json:
        payload = dict(summary, circuit=neuron.name, method=result.method, solver=result.stats.as_dict())
        json.dump(payload, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(_HEADER)
        print(_summary_line(neuron.name, summary))
        st = result.stats
        print(f"\n{result.method}: {st.n_steps} steps ({st.n_rejected} rejected), {st.n_rhs} evaluations; "
              f"{result.spike_times.size} spikes in [0, {t_end:g}], metrics over [{t_start:g}, {t_end:g}]")
        for path in (args.out, args.plot):
            if path:
                print(f"wrote {path}")
    return 0


def _cmd_demo(args):
    from .demo import run_demo

    return run_demo(Path(args.out), plots=not args.no_plots)


def _cmd_presets(args):
    import neuromorph as nm

    for name in nm.presets():
        n = nm.preset(name)
        print(f"{name:36s} {n.description}")
    return 0


def build_parser():
    from . import __version__

    parser = argparse.ArgumentParser(prog="neuromorph", description="Simulate neuromorphic neuron circuits.")
    parser.add_argument("--version", action="version", version=f"neuromorph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="simulate a circuit file and summarise its firing pattern")
    sim.add_argument("file", help="circuit file (TOML), e.g. circuits/bursting.toml")
    sim.add_argument("--t-end", type=float, help="end time (default: the file's [simulation] t_end)")
    sim.add_argument("--i-app", type=float, help="constant applied current (replaces the file's stimulus)")
    sim.add_argument("--t-start", type=float, help="start of the window the metrics use (default: t_transient)")
    sim.add_argument("--method", default="dopri5", help="dopri5 (default), rosenbrock23, rk4 or euler")
    sim.add_argument("--rtol", type=float, help="relative tolerance (adaptive methods)")
    sim.add_argument("--atol", type=float, help="absolute tolerance (adaptive methods)")
    sim.add_argument("--dt", type=float, help="step (fixed-step methods)")
    sim.add_argument("--out", help="write times, states and spikes to this .npz file")
    sim.add_argument("--plot", help="write a trace figure (.png, .pdf, .svg)")
    sim.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    sim.set_defaults(func=_cmd_simulate)

    demo = sub.add_parser("demo", help="simulate every preset, print a summary table, write figures")
    demo.add_argument("--out", default="neuromorph-demo", help="folder for the figures (default: neuromorph-demo)")
    demo.add_argument("--no-plots", action="store_true", help="only print the table")
    demo.set_defaults(func=_cmd_demo)

    pre = sub.add_parser("presets", help="list the preset circuits")
    pre.set_defaults(func=_cmd_presets)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from .errors import NeuromorphError, SimulationError

    try:
        return args.func(args)
    except SimulationError as exc:
        print(f"neuromorph: simulation failed: {exc}", file=sys.stderr)
        return 1
    except (NeuromorphError, ValueError, OSError) as exc:
        print(f"neuromorph: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
