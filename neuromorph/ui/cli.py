"""Command line: ``neuromorph simulate | iv | map | reliability | estimate | export-spice | spice-run | tune | demo |
presets``.

Circuit files hold a neuron or a network (``circuits/hco.toml``); ``--set PATH=VALUE``
changes any parameter before the run (``--set slow_negative.alpha=-1.2``,
``--set n1_to_n2.g=0.5``). Exit codes: 0 success, 1 the simulation failed (diverged),
2 bad input (unknown file or key, bad value) with a one-line message naming the problem,
130 interrupted (Ctrl-C): nothing is written.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..errors import Failure
from .table import SUMMARY_HEADER, phase_text, summary_line

__all__ = ["main", "run"]


def _load(args):
    """The circuit of ``args.file`` with every ``--set`` applied (a Neuron or a Network)."""
    import neuromorph as nm

    circuit = nm.load(args.file)
    for item in getattr(args, "set", None) or ():
        path, eq, value = item.partition("=")
        if not eq or not path:
            raise ValueError(f"--set takes PATH=VALUE (e.g. slow_negative.alpha=-1.2), got {item!r}")
        number = _option_number(f"--set {path}", value.strip())
        if path.strip() == "i_app" and not _is_network(circuit):
            raise ValueError("--set i_app: a neuron's applied current is the --i-app option")
        circuit.set(path.strip(), number)
    return circuit


def _is_network(circuit):
    from ..model.network import Network

    return isinstance(circuit, Network)


def _protocol(circuit, args, window=True):
    """``(t_end, stimulus, start of the settled window or None)`` from the file and the options.

    ``window=False`` for commands that do not summarise a settled window (reliability has its
    own ``--t-record``): the file's ``t_transient`` is then not consulted.
    """
    from ..model.stimulus import Constant

    protocol = circuit.protocol
    t_end = args.t_end if args.t_end is not None else (protocol.t_end if protocol else None)
    if t_end is None:
        raise ValueError("the circuit file has no [simulation] t_end: give --t-end")
    if _is_network(circuit):
        if args.i_app is not None:
            raise ValueError("--i-app sets one neuron's current; in a network set each node's with "
                             "--set NODE.i_app=VALUE")
        stim = None  # each node's own
    elif args.i_app is not None:
        stim = Constant(args.i_app)
    else:
        stim = protocol.i_app if protocol else Constant(0.0)
    t_start = getattr(args, "t_start", None)
    if t_start is not None:
        if not 0.0 <= t_start < t_end:
            raise ValueError(f"--t-start must lie in [0, t_end = {t_end:g}), got {t_start:g}")
        return t_end, stim, t_start
    settled_from = protocol.t_transient if (protocol and window) else None
    if settled_from is not None and 0.0 < t_end <= settled_from:
        import warnings

        from ..errors import NeuromorphWarning

        choose = " (give --t-start to choose)" if hasattr(args, "t_start") else ""  # commands with the option
        warnings.warn(f"the file's t_transient = {settled_from:g} is not shorter than t_end = {t_end:g}: the metrics "
                      f"use the second half of the run instead{choose}", NeuromorphWarning)
        settled_from = None
    return t_end, stim, settled_from


def _cmd_simulate(args):
    import neuromorph as nm

    def run(circuit, t_end, stim, record):
        return nm.simulate(circuit, t_end, i_app=stim, method=args.method, max_steps=args.max_steps,
                           progress=args.progress, record=record, **_solver_values(args))

    return _run_and_report(args, run)


def _run_and_report(args, run, engine=""):
    """Load, check the outputs, ``run(circuit, t_end, stimulus, record)``, then summarise as every engine
    does: one settled window rule, one table (with a network's phases), one JSON shape, one figure.
    ``engine`` is added to the figure's title (" in ngspice (transistor)")."""
    from ..analysis.network import check_phase_tolerance

    check_phase_tolerance(args.phase_tolerance)  # bad input before any work
    circuit = _load(args)
    _plan(args, ("--out", args.out), ("--plot", args.plot))
    t_end, stim, settled_from = _protocol(circuit, args)
    network = _is_network(circuit)
    record = None if (args.plot or args.out or not network) else ()  # a network's traces only when kept
    result = run(circuit, t_end, stim, record)
    if network:
        rhythm = result.rhythm(t_start=settled_from, phase_tolerance=args.phase_tolerance)
        rows = rhythm["neurons"]
        summary = rows[result.neuron_names[0]]
    else:
        summary = result.summary(t_start=settled_from)
        rows = {circuit.name: summary}
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_network, plot_trace, save_figure

        if network:
            fig = plot_network(result, title=f"{circuit.name}{engine}: {_rhythm_title(rhythm)}")[0].figure
        else:
            fig, ax = plt.subplots(figsize=(10, 3.4))
            plot_trace(result, ax=ax, title=f"{circuit.name}{engine}: {summary['pattern']}")
    _write_outputs(args, result.save, lambda path: save_figure(fig, path))
    window = f"[{summary['t_start']:g}, {summary['t_end']:g}]"
    if args.json:
        payload = dict(summary, circuit=circuit.name, method=result.method, solver=result.stats.as_dict())
        if network:
            payload = {"circuit": circuit.name, "reference": rhythm["reference"], "t_start": rhythm["t_start"],
                       "t_end": rhythm["t_end"], "phase_tolerance": rhythm["phase_tolerance"], "neurons": rows,
                       "method": result.method,
                       "solver": result.stats.as_dict()}
        json.dump(payload, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(SUMMARY_HEADER + (f" {'phase':>6s} {'relation':12s}" if network else ""))
        for name, row in rows.items():
            extra = ""
            if network:
                extra = f" {phase_text(row):>6s} {row['relation']:12s}"
            print(summary_line(name, row) + extra)
        st = result.stats
        rule = "" if settled_from is not None else " (the second half of the run: the default transient rule)"
        work = (f"{st.n_steps} steps ({st.n_rejected} rejected), {st.n_rhs} evaluations" if st.n_rhs else
                f"{st.n_steps} time points")  # ngspice reports its samples only
        print(f"\n{result.method}: {work}; {result.spike_times.size} spikes in [0, {t_end:g}], metrics over "
              f"{window}{rule}")
        if network:
            band = rhythm["phase_tolerance"]
            print(f"phases relative to {rhythm['reference']}: the time from its burst start to each neuron's, "
                  f"over its period; anti-phase within {band:g} of 0.5, in-phase within {band:g} of 0 "
                  "(--phase-tolerance)")
        for path in (args.out, args.plot):
            if path:
                print(f"wrote {path}")
    return 0


def _rhythm_title(rhythm):
    rows = list(rhythm["neurons"].values())
    relations = {row["relation"] for row in rows[1:]}
    period = rows[0]["burst_period"]
    text = ", ".join(sorted(relations)) if relations else rows[0]["pattern"]
    return text + (f", period {period:.1f}" if period else "")


def _plan(args, *outputs, inputs=()):
    """Refuse, before any work, outputs that are an input (the circuit file, a file its nodes read, or one of
    ``inputs``), collide, or cannot be written."""
    from ..io.circuits import input_files
    from ..io.files import plan_outputs

    source = getattr(args, "file", None)
    plan_outputs(outputs, inputs=[*(input_files(source) if source is not None else []), *inputs])
    for label, path in outputs:
        if label == "--plot" and path is not None:
            from .plotting import check_figure_format

            check_figure_format(path, label)


def _write_outputs(args, save_data, save_plot):
    """``--out`` and ``--plot`` both or neither: files already there survive a failure."""
    from ..io.files import write_together

    write_together([(p, fn) for p, fn in ((args.out, save_data), (args.plot, save_plot)) if p])


def _default_current(neuron, args):
    if args.i_app is not None:
        return args.i_app
    return float(neuron.protocol.i_app(0.0)) if neuron.protocol else 0.0


def _cmd_iv(args):
    import neuromorph as nm

    neuron = _load(args)
    _plan(args, ("--plot", args.plot))
    if _is_network(neuron):
        if args.node is None:
            raise ValueError(f"{args.file} is a network: give --node NAME (one of {', '.join(neuron.node_names)}) "
                             "for the I-V curves of that neuron on its own")
        node = neuron.nodes.get(args.node)
        if node is None:
            raise ValueError(f"--node {args.node!r}: the network has nodes {', '.join(neuron.node_names)}")
        current = node.i_app if args.i_app is None else args.i_app
        neuron = neuron.neuron(args.node)
        args.i_app = current
    elif args.node is not None:
        raise ValueError("--node picks a neuron of a network; this file holds one neuron")
    i_app = _default_current(neuron, args)
    lo, hi = _range(args.v_range)
    eqs = nm.equilibria(neuron, i_app, v_range=(lo, hi))
    v_rest = [e.v for e in eqs if e.stable][:1] or [e.v for e in eqs][:1]
    intervals = {ts: nm.negative_conductance_intervals(neuron, ts, i_app, v_rest=v_rest[0] if v_rest else 0.0,
                                                        v_range=(lo, hi))
                 for ts in ("fast", "slow", "ultraslow", "steady")}
    prediction = nm.predict_behaviour(neuron, i_app, v_range=(lo, hi))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from .plotting import plot_iv, save_figure

        axes = plot_iv(neuron, i_app=i_app, v=np.linspace(lo, hi, 1201) if args.v_range else None,
                       title=f"{neuron.name}: I-V curves at I_app = {i_app:g} (predicted: {prediction})")
        save_figure(axes[0].figure, args.plot)
    if args.json:
        payload = {
            "circuit": neuron.name, "i_app": i_app, "predicted": prediction,
            "equilibria": [{"v": e.v, "stable": e.stable, "eigenvalues_real": [float(z.real) for z in e.eigenvalues],
                            "eigenvalues_imag": [float(z.imag) for z in e.eigenvalues]} for e in eqs],
            "negative_conductance": {ts: [list(iv) for iv in ivs] for ts, ivs in intervals.items()},
        }
        json.dump(payload, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"{neuron.name} at I_app = {i_app:g}: predicted {prediction}")
    print("equilibria (all filters at V):")
    for e in eqs:
        lead = max(e.eigenvalues, key=lambda z: z.real)
        print(f"  V = {e.v:+.6f}  {'stable  ' if e.stable else 'unstable'}  leading eigenvalue {lead:.4g}")
    print("negative-conductance intervals:")
    for ts, ivs in intervals.items():
        text = ", ".join(f"[{a:+.6f}, {b:+.6f}]" for a, b in ivs) or "none"
        print(f"  {ts:9s} {text}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0


def _range(text):
    if not text:
        return -10.0, 10.0
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise ValueError(f"--v-range must be lo:hi, got {text!r}") from None
    return lo, hi


def _cmd_map(args):
    import neuromorph as nm

    cluster = _cluster(args)
    neuron = _load(args)
    _plan(args, ("--out", args.out), ("--plot", args.plot))
    if _is_network(neuron):
        if args.i_app is not None:
            raise ValueError("--i-app sets one neuron's current; in a network map over NODE.i_app or --set it")
        if args.node is not None and args.node not in neuron.node_names:
            raise ValueError(f"--node {args.node!r}: the network has nodes {', '.join(neuron.node_names)}")
        i_app = None
    else:
        if args.node is not None:
            raise ValueError("--node picks a neuron of a network; this file holds one neuron")
        i_app = _default_current(neuron, args)
    t_end = args.t_end if args.t_end is not None else 20_000.0
    bmap = nm.behaviour_map(neuron, x=args.x, y=args.y, t_end=t_end, t_transient=args.t_transient, i_app=i_app,
                            method=args.method, predict=not args.no_predict, progress=args.progress,
                            max_steps=args.max_steps, **_solver_values(args), **cluster)
    network = len(bmap.neuron_names) > 1
    shown = bmap.of(args.node) if args.node is not None else bmap  # the neuron the figure and counts are of
    label = f"{neuron.name}, neuron {shown.neuron_names[0]}" if network else neuron.name
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_behaviour_map, save_figure

        fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
        plot_behaviour_map(shown, ax=ax, title=f"{label}: firing pattern, t = {t_end:g}")
    _write_outputs(args, bmap.save, lambda path: save_figure(fig, path))
    counts = shown.counts()
    summary = {"cells": int(bmap.pattern.size), "counts": counts}
    if network:
        summary["neuron"] = shown.neuron_names[0]
        summary["neurons"] = {name: bmap.of(name).counts() for name in bmap.neuron_names}
    if bmap.predicted is not None:
        summary["agreement_with_iv_prediction"] = bmap.agreement()
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"{label}: {summary['cells']} cells over t = {t_end:g} ("
          + ", ".join(f"{k} {val}" for k, val in counts.items() if val) + ")")
    for name, other in summary.get("neurons", {}).items():
        if name != shown.neuron_names[0]:
            print(f"  neuron {name}: " + ", ".join(f"{k} {val}" for k, val in other.items() if val))
    if bmap.predicted is not None:
        print(f"agreement with the I-V prediction: {100 * summary['agreement_with_iv_prediction']:.1f} %")
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}")
    return 0


def _cmd_sweep(args):
    import neuromorph as nm

    cluster = _cluster(args)
    study = nm.load_study(args.file)  # (a store is a folder: --out naming the spec or circuit file is refused)
    if args.chunk_size is not None and args.chunk_size < 1:
        raise ValueError(f"--chunk-size must be at least 1, got {args.chunk_size}")
    done = {"chunks": 0, "of": None}
    dask = cluster.get("scheduler") is not None or cluster.get("workers") is not None
    progress = args.progress and not (args.json and dask)  # Dask's bar writes on stdout, which --json keeps

    def on_chunk(k, n_done, n_all):
        done.update(chunks=n_done, of=n_all)

    try:
        ds = nm.run_study(study, out=args.out, chunk_size=args.chunk_size, resume=args.resume,
                          overwrite=args.overwrite, progress=progress, on_chunk=on_chunk, **cluster)
    except KeyboardInterrupt:
        where = f"{done['chunks']} of {done['of']} chunks" if done["of"] else "no chunk"
        print(f"neuromorph: {Failure.INTERRUPTED}; {where} stored in {args.out}: continue with --resume",
              file=sys.stderr)
        return 130
    patterns = ds["pattern"].values.ravel()
    counts = {p: int(np.sum(patterns == p)) for p in ("rest", "tonic", "bursting", "irregular", "diverging")}
    reasons = ds["reason"].values.ravel()
    summary = {"members": int(reasons.size), "dims": dict(ds["status"].sizes), "counts": counts,
               "failed": {r: int(np.sum(reasons == r)) for r in sorted(set(reasons.tolist())) if r != Failure.OK},
               "chunk_size": int(ds.attrs["chunk_size"]), "chunks_computed": int(ds.attrs["chunks_computed"]),
               "chunks_reused": int(ds.attrs["chunks_reused"]), "seconds": float(ds.attrs["seconds"]),
               "dask_workers": int(ds.attrs["dask_workers"]), "out": args.out}
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
        return 0
    shape = " x ".join(f"{k} {val}" for k, val in summary["dims"].items())
    print(f"{study.model.name}: {summary['members']} members ({shape}), method {study.method}")
    print("  patterns: " + ", ".join(f"{k} {val}" for k, val in counts.items() if val))
    if summary["failed"]:
        print("  failed: " + ", ".join(f"{k} {val}" for k, val in summary["failed"].items()))
    print(f"  {summary['chunks_computed']} chunk(s) of {summary['chunk_size']} computed, {summary['chunks_reused']} "
          f"reused, in {summary['seconds']:.1f} s"
          + (f" on {summary['dask_workers']} Dask worker(s)" if summary["dask_workers"] else " in-process"))
    print(f"wrote {args.out}")
    return 0


def _mismatch_spec(text):
    """``gain=0.1,offset=0.05,tau=0.02`` as a Mismatch."""
    from ..model.variability import as_mismatch

    if text is None:
        return None
    spreads = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"--mismatch takes KEY=VALUE,... (gain, offset, tau, C, corner, temperature, supply), "
                             f"got {item!r}")
        spreads[key.strip()] = _option_number(f"--mismatch {key.strip()}", value.strip())
    if "truncate" in spreads:
        spreads["truncate"] = bool(spreads["truncate"])
    return as_mismatch(spreads)


def _cmd_yield(args):
    import neuromorph as nm

    cluster = _cluster(args)
    circuit = _load(args)
    _plan(args, ("--out", args.out), ("--plot", args.plot))
    if args.mismatch is None:
        raise ValueError("--mismatch is needed: the spreads the chips are drawn from, e.g. gain=0.05,offset=0.01")
    mismatch = _mismatch_spec(args.mismatch)
    if args.seed < 0 or args.seed >= 2 ** 64:
        raise ValueError(f"--seed must be an integer in [0, 2**64), got {args.seed}")
    t_end, stim, _ = _protocol(circuit, args, window=False)
    try:
        rhythm = nm.Rhythm(period=args.period, spikes_per_burst=args.spikes_per_burst, duty_cycle=args.duty_cycle,
                           phase=args.phase, tolerance=args.tolerance, spikes_tolerance=args.spikes_tolerance,
                           duty_tolerance=args.duty_tolerance, phase_tolerance=args.phase_tolerance,
                           neuron=args.node or 0)
    except nm.ModelError as exc:
        raise ValueError(f"the rhythm (--period, --spikes-per-burst, --duty-cycle, --phase): {exc}") from None
    result = nm.yield_of(circuit, rhythm, mismatch, chips=args.chips, seed=args.seed, t_end=t_end,
                         t_record=args.t_record, i_app=0.0 if stim is None else stim, dt=args.dt,
                         confidence=args.confidence, interval=args.interval, progress=args.progress,
                         closed_loop="retune" if args.closed_loop else None, **cluster)
    fig = None
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from .plotting import save_figure

        fig = result.plot().figure
    _write_outputs(args, result.save, lambda path: save_figure(fig, path))
    if args.json:
        json.dump(result.to_json(), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    print(f"{circuit.name}: {args.chips} chips ({args.mismatch}, seed {args.seed}), t = [0, {t_end:g}]")
    print(result)
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}")
    return 0


def _cmd_control(args):
    import neuromorph as nm

    circuit = _load(args)
    _plan(args, ("--out", args.out), ("--plot", args.plot))
    if not args.adjust:
        raise ValueError("--adjust is needed: the gains to move with their bounds, e.g. "
                         "slow_negative.alpha:-2.2:-1.2,ultraslow_positive.alpha:1.3:2.8")
    bounds = {}
    for item in args.adjust.split(","):
        parts = item.strip().split(":")
        if len(parts) != 3 or not parts[0]:
            raise ValueError(f"--adjust takes PATH:LOW:HIGH,... (e.g. slow_negative.alpha:-2.2:-1.2), got {item!r}")
        bounds[parts[0]] = tuple(_option_number(f"--adjust {parts[0]}", x) for x in parts[1:])
    t_end, stim, _ = _protocol(circuit, args, window=False)
    try:
        target = nm.Rhythm(period=args.period, spikes_per_burst=args.spikes_per_burst, duty_cycle=args.duty_cycle,
                           tolerance=args.tolerance, spikes_tolerance=args.spikes_tolerance, neuron=args.node or 0)
        controller = nm.RhythmController(target, adjust=list(bounds), bounds=bounds)
    except nm.ModelError as exc:
        raise ValueError(f"the controller (--period, --adjust, ...): {exc}") from None
    out = controller.run(circuit, t_end, i_app=None if stim is None else stim)
    fig = None
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import save_figure

        fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, layout="constrained")
        t, periods = out.periods
        if args.period is not None:
            top.axhspan(args.period * (1 - args.tolerance), args.period * (1 + args.tolerance), color="C2", alpha=0.2)
        top.plot(t, periods, "o-", ms=3)
        top.set(ylabel="burst period", title=f"{circuit.name}: {'reached' if out.reached else 'not reached'}")
        for path in bounds:
            bottom.step(*out.gains(path), where="post", label=path)
        bottom.set(xlabel="time", ylabel="gain")
        bottom.legend(fontsize=8)
    _write_outputs(args, lambda path: nm.save(out.model, path), lambda path: save_figure(fig, path))
    if args.json:
        t, periods = out.periods
        json.dump({"reached": out.reached, "reached_at": out.reached_at, "values": out.values,
                   "updates": out.updates, "last_period": float(periods[-1]) if periods.size else None},
                  sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    print(out)
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}")
    return 0 if out.reached else 1


def _cmd_reliability(args):
    import neuromorph as nm

    cluster = _cluster(args)
    circuit = _load(args)
    _plan(args, ("--out", args.out), ("--plot", args.plot))
    mismatch = _mismatch_spec(args.mismatch)
    if args.seed < 0 or args.seed >= 2 ** 64:
        raise ValueError(f"--seed must be an integer in [0, 2**64), got {args.seed}")
    t_end, stim, _ = _protocol(circuit, args, window=False)
    drive = 0.0 if stim is None else stim
    if args.ou is not None:
        parts = args.ou.split(":")
        if len(parts) != 2:
            raise ValueError(f"--ou takes SIGMA:TAU (a frozen OU current around the drive), got {args.ou!r}")
        sigma, tau = (_option_number(f"--ou {name}", p) for name, p in zip(("SIGMA", "TAU"), parts, strict=True))
        try:
            ou = nm.OUProcess(mean=0.0, sigma=sigma, tau=tau, seed=args.seed)
        except nm.NeuromorphError as exc:
            raise ValueError(f"--ou {args.ou}: {exc}") from None
        drive = drive + ou
    rel = nm.reliability(circuit, drive, trials=args.trials, chips=args.chips, intrinsic=args.noise,
                         mismatch=mismatch, t_end=t_end, dt=args.dt, seed=args.seed, method=args.method,
                         t_record=args.t_record, progress=args.progress, **cluster)
    fig = None
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from .plotting import save_figure

        fig = rel.plot(neuron=args.node or 0)
    _write_outputs(args, rel.save, lambda path: save_figure(fig, path))
    m = rel.metrics_json(neuron=args.node or 0)  # undefined metrics are None (JSON null), never NaN
    summary = dict(m, failures={f"{c}:{k}": r for (c, k), r in sorted(rel.failures.items())})
    if args.json:
        json.dump(summary, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        return 0

    def fmt(key, spec):
        return "-" if m[key] is None else format(m[key], spec)

    print(f"{circuit.name}: {len(rel.chips)} chip(s) x {len(rel.trials)} trial(s), t = [{rel.t_record:g}, {t_end:g}]")
    print(f"  reliability (Schreiber, sigma {m['sigma']:.3g}): {fmt('schreiber', '.3f')} within chips, "
          f"{fmt('schreiber_across_chips', '.3f')} across chips")
    print(f"  jitter {fmt('jitter', '.4g')}, precision {fmt('precision', '.4g')}, event reliability "
          f"{fmt('event_reliability', '.3f')}")
    if m["burst_onset_jitter"] is not None:
        print(f"  burst-onset jitter {fmt('burst_onset_jitter', '.4g')}, spikes-per-burst spread "
              f"{fmt('spikes_per_burst_spread', '.3g')}")
    for reason in dict.fromkeys(m["undefined"].values()):
        print(f"  undefined ({reason}): " + ", ".join(k for k, r in m["undefined"].items() if r == reason))
    if rel.failures:
        print(f"  {len(rel.failures)} member(s) failed: " + ", ".join(f"chip {c} trial {k} ({r})"
                                                               for (c, k), r in sorted(rel.failures.items())[:5]))
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}")
    return 0


def _cmd_estimate(args):
    import neuromorph as nm

    circuit = _load(args)
    _plan(args, ("--out", args.out), ("--plot", args.plot), inputs=[args.trace])
    params = _params_option(args.params)
    settings = _observer_option(args.observer)
    if settings is not None and args.method != "observer":
        raise ValueError("--observer sets the adaptive observer; it goes with --method observer")
    if args.t_start is not None and args.method == "observer":
        raise ValueError("--t-start is where least squares starts; the observer runs along the whole trace "
                         "(leave --t-start out, or use --method least_squares)")
    network = _is_network(circuit)
    if network and args.i_app is not None:
        raise ValueError("--i-app sets one neuron's current; in a network each node's is its own (--set "
                         "NODE.i_app=VALUE), or the trace's `NODE.i_app`")
    t, v, current = _read_trace(args.trace, circuit)
    if current is not None and args.i_app is not None:
        raise ValueError(f"--i-app: {args.trace} holds the applied current (`i_app`) already")
    if args.t_start is not None and not t[0] <= args.t_start < t[-1]:
        raise ValueError(f"--t-start must lie in the trace of {args.trace}, [{t[0]:g}, {t[-1]:g}), got "
                         f"{args.t_start:g}")
    if current is None:  # the file's own current, as simulate runs it (a network's nodes keep theirs)
        i_app = None if network else args.i_app if args.i_app is not None else (
            circuit.protocol.i_app if circuit.protocol else 0.0)
        trace = (t, v[0] if not network else v)
    else:
        i_app = None
        trace = (t, v[0], current[0]) if not network else (t, v, current)
    est = _interruptible(lambda: nm.estimate(circuit, trace, params=params, method=args.method, i_app=i_app,
                                             t_start=args.t_start, observer_settings=settings))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from .plotting import save_figure

        fig = _estimate_figure(est, circuit, Path(args.trace).name)
    _write_outputs(args, est.save, lambda path: save_figure(fig, path))
    span = f"t in [{t[0]:g}, {t[-1]:g}]"
    if args.json:
        def number(x):
            return None if not np.isfinite(x) else float(x)

        payload = {"circuit": circuit.name, "trace": args.trace, "method": est.method, "samples": int(t.size),
                   "t_first": float(t[0]), "t_last": float(t[-1]), "t_start": args.t_start,
                   "gains": {p: {"estimate": number(est.values[p]), "stderr": number(est.stderr[p]),
                                 "identifiable": est.identifiable[p], "circuit_file": float(circuit.get(p))}
                             for p in est.params},
                   "condition": number(est.condition), "residual": number(est.residual), "out": args.out,
                   "plot": args.plot}
        if est.method == "observer":
            used = settings if settings is not None else nm.AdaptiveObserver()
            payload["observer"] = {k: getattr(used, k) for k in _OBSERVER_KEYS}
        json.dump(payload, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    print(f"{'gain':36s} {'file':>10s} {'estimate':>12s} {'std. error':>11s}  identifiable")
    for p in est.params:
        error = est.stderr[p]
        print(f"{p:36s} {circuit.get(p):10.4g} {est.values[p]:12.6g} "
              f"{format(error, '11.3g') if np.isfinite(error) else '-':>11s}  "
              f"{'yes' if est.identifiable[p] else 'no'}")
    print()
    if est.method == "least_squares":
        start = "" if args.t_start is None else f", from t = {args.t_start:g}"
        print(f"least squares on {t.size} samples of {args.trace} ({span}{start}): condition number "
              f"{est.condition:.3g}, residual rms {est.residual:.3g}")
    else:
        used = settings if settings is not None else nm.AdaptiveObserver()
        print(f"observer along {t.size} samples of {args.trace} ({span}; gamma {used.gamma:g}, forgetting "
              f"{used.forgetting:g}, p0 {used.p0:g}): the estimates where the trace ends (no standard errors: "
              "--plot draws them against time)")
    if not all(est.identifiable.values()):
        print("the trace does not tell the gains marked 'no': the fitted model keeps the file's values of them")
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}")
    return 0


_OBSERVER_KEYS = ("gamma", "forgetting", "p0", "h_max", "record_dt")


def _params_option(text):
    """``--params PATH,PATH,...`` as a list of gain paths (None: every gain)."""
    if text is None:
        return None
    paths = [item.strip() for item in text.split(",")]
    if not all(paths):
        raise ValueError(f"--params takes PATH,PATH,... (gains such as slow_negative.alpha,leak.g or n1_to_n2.g), "
                         f"got {text!r}")
    return paths


def _observer_option(text):
    """``--observer gamma=2,forgetting=1e-3`` as an AdaptiveObserver (None when not given)."""
    from ..estimation import AdaptiveObserver
    from ..errors import ModelError

    if text is None:
        return None
    values = {}
    for item in text.split(","):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or key not in _OBSERVER_KEYS:
            raise ValueError(f"--observer takes KEY=VALUE,... ({', '.join(_OBSERVER_KEYS)}), got {item!r}")
        if key in values:
            raise ValueError(f"--observer gives {key} twice")
        values[key] = _option_number(f"--observer {key}", value)
    try:
        return AdaptiveObserver(**values)
    except ModelError as exc:
        raise ValueError(f"--observer: {exc}") from None


def _npz_arrays(path):
    """Every array of the ``.npz`` at ``path`` by key, read without pickles; a ValueError naming the file."""
    import zipfile
    import zlib

    if not Path(path).exists():
        raise ValueError(f"trace file {str(path)!r} does not exist")
    try:
        with open(path, "rb") as f:
            start = f.read(6)
        if not start.startswith((b"PK", b"\x93NUMPY")):  # a zip (.npz) or one array (.npy); else no NumPy file
            raise ValueError("it is not a NumPy archive (.npz)")
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ValueError(f"cannot read trace file {str(path)!r}: {why}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"trace file {str(path)!r} holds one array (.npy), not named arrays (.npz): save `t` and "
                         "`v` with numpy.savez")
    with data:
        arrays = {}
        for key in data.files:
            try:
                arrays[key] = data[key]
            except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                raise ValueError(f"{path}: cannot read `{key}`: {exc}") from None
    return arrays


def _real_array(path, key, value, ndim=None):
    if value.dtype.kind not in "iuf":
        raise ValueError(f"{path}: `{key}` must hold real numbers, got {value.dtype} values")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{path}: `{key}` must be {ndim}-D ({'samples' if ndim == 1 else 'rows of samples'}), got "
                         f"shape {value.shape}")
    return np.asarray(value, dtype=np.float64)


def _finite_samples(path, key, values, t):
    from .._validate import MAGNITUDE

    bad = ~np.isfinite(values) | (np.abs(values) > MAGNITUDE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        beyond = "" if not np.isfinite(values[i]) else f", beyond +-{MAGNITUDE:g}"
        when = "" if t is None else f" (t = {float(t[i]):.6g})"
        raise ValueError(f"{path}: `{key}` is {float(values[i])!r}{beyond} at sample {i}{when}")


def _read_trace(path, circuit):
    """``(t, v, i_app)`` of a trace file for ``circuit``'s neurons, ``v`` and ``i_app`` one row per neuron in
    the circuit's order (``i_app`` None when the file holds no current). Two layouts
    (``docs/user_guide/file_formats.md``): a run written by ``simulate --out`` or ``spice-run --out`` (``t``,
    ``y``, ``state_names``: the voltages are the states ``v`` or ``NODE.v``), or plain arrays: ``t``, ``v``
    (one neuron's, or a row per neuron, named by ``names`` as the tuner writes it or in the circuit's order)
    or ``NODE.v``, and optionally ``i_app`` (a number, samples, or a row per neuron) or ``NODE.i_app``."""
    arrays = _npz_arrays(path)
    network = _is_network(circuit)
    nodes = list(circuit.node_names) if network else []
    wanted = [f"{n}.v" for n in nodes] if network else ["v"]
    if "t" not in arrays:
        raise ValueError(f"{path} has no `t` (the sample times); it holds "
                         f"{', '.join(f'`{k}`' for k in sorted(arrays)) or 'nothing'}")
    t = _real_array(path, "t", arrays["t"], ndim=1)
    if t.size < 3:
        raise ValueError(f"{path}: `t` needs at least 3 samples, got {t.size}")
    _finite_samples(path, "t", t, None)
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(f"{path}: `t` must increase, but t[{i + 1}] = {float(t[i + 1])!r} follows t[{i}] = "
                         f"{float(t[i])!r}")
    states = {}
    if "y" in arrays and "state_names" in arrays:  # a run of simulate / spice-run
        names = arrays["state_names"]
        y = _real_array(path, "y", arrays["y"], ndim=2)
        if names.dtype.kind != "U" or names.ndim != 1 or y.shape[0] != names.size:
            raise ValueError(f"{path}: `state_names` must name each row of `y` ({y.shape[0]})")
        states = {str(name): row for name, row in zip(names, y)}
    else:
        if "v" in arrays:
            v = _real_array(path, "v", arrays["v"])
            if v.ndim == 1:
                states["v"] = v
            elif v.ndim == 2:
                labels = arrays.get("names")
                if labels is not None:
                    if labels.dtype.kind != "U" or labels.shape != (v.shape[0],):
                        raise ValueError(f"{path}: `names` must name each row of `v` ({v.shape[0]})")
                    labels = [str(x) for x in labels]
                elif v.shape[0] == len(wanted):
                    labels = wanted
                else:
                    raise ValueError(f"{path}: `v` has {v.shape[0]} rows and {circuit.name!r} {len(wanted)} neuron(s)"
                                     f" ({', '.join(nodes) or 'one'}): give a row per neuron, in its order")
                states.update(zip(labels, v))
            else:
                raise ValueError(f"{path}: `v` must be one neuron's samples or a row per neuron, got shape {v.shape}")
        states.update((key, _real_array(path, key, value, ndim=1)) for key, value in arrays.items()
                      if key.endswith(".v"))
    missing = [w for w in wanted if w not in states]
    if missing:
        voltages = sorted(k for k in states if k == "v" or k.endswith(".v"))
        what = f"the network's neurons ({', '.join(nodes)})" if network else "a single neuron (`v`)"
        raise ValueError(f"{path} holds no voltage {', '.join(f'`{m}`' for m in missing)} of {what}; its voltages: "
                         f"{', '.join(f'`{k}`' for k in voltages) or 'none'} (are circuit file and trace the same "
                         "circuit?)")
    for key in wanted:
        if states[key].shape != t.shape:
            raise ValueError(f"{path}: `{key}` has {states[key].size} samples and `t` {t.size}: they must be as many")
        _finite_samples(path, key, states[key], t)
    v = np.stack([states[key] for key in wanted])
    return t, v, _trace_current(path, arrays, nodes, t)


def _trace_current(path, arrays, nodes, t):
    """The applied current a plain trace file holds, a row per neuron; None if it holds none."""
    rows = len(nodes) or 1
    own = [f"{n}.i_app" for n in nodes if f"{n}.i_app" in arrays]
    if "i_app" in arrays:
        c = _real_array(path, "i_app", arrays["i_app"])
        if c.ndim == 0 or c.shape == t.shape:
            c = np.broadcast_to(c, (rows, t.size))
        if c.shape != (rows, t.size):
            rows_of = f", or a row of {t.size} per neuron ({rows} rows)" if nodes else ""
            raise ValueError(f"{path}: `i_app` must be a number or {t.size} samples{rows_of}, got shape "
                             f"{arrays['i_app'].shape}")
        keys = ["i_app"] * rows
    elif own:
        if len(own) != len(nodes):
            raise ValueError(f"{path} holds {', '.join(f'`{k}`' for k in own)}: give `NODE.i_app` of every neuron "
                             f"({', '.join(nodes)}) or of none")
        c = np.stack([np.broadcast_to(_real_array(path, k, arrays[k]), t.shape) if arrays[k].ndim == 0
                      or arrays[k].shape == t.shape else _real_array(path, k, arrays[k], ndim=1) for k in own])
        if c.shape != (rows, t.size):
            raise ValueError(f"{path}: each `NODE.i_app` must be a number or {t.size} samples")
        keys = own
    else:
        return None
    c = np.array(c, dtype=np.float64)
    for key, row in zip(keys, c):
        _finite_samples(path, key, row, t)
    return c


def _interruptible(work):
    """``work()`` in a thread while this one waits in short slices, so Ctrl-C stops the command at once: the
    estimation kernels release the GIL but check no flag, and what one is computing is left to the exit."""
    import threading

    from .._parallel import interrupted

    out = {}

    def target():
        try:
            out["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, which raises it
            out["error"] = exc

    thread = threading.Thread(target=target, name="neuromorph-estimate", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
        if interrupted():
            raise KeyboardInterrupt
    if "error" in out:
        raise out["error"]
    return out["value"]


def _estimate_figure(est, circuit, trace_name):
    """The estimates (against time for the observer, with 2-sigma bars for least squares) beside the circuit
    file's values."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
    est.plot(ax=ax)
    file_values = [circuit.get(p) for p in est.params]
    if est.history is not None:
        for line, value in zip(ax.get_lines(), file_values):
            ax.axhline(value, color=line.get_color(), lw=0.8, ls="--")
        ax.plot([], [], color="k", lw=0.8, ls="--", label="circuit file")
        ax.legend(fontsize=8, loc="best")
    else:
        ax.plot(range(len(file_values)), file_values, "x", color="0.4", label="circuit file")
        ax.legend(fontsize=8, loc="best")
    how = "observer, against time" if est.method == "observer" else "least squares, +-2 standard errors"
    ax.set_title(f"{circuit.name}: gains from {trace_name} ({how})", fontsize=10)
    return fig


def _cmd_export_spice(args):
    import shlex

    from ..spice import data_file, netlist, write_cir

    if args.file is None:  # the units alone: `export-spice --level transistor --explain`, as the README has it
        if args.output is not None or not args.explain:
            raise ValueError("export-spice needs a circuit file (e.g. circuits/bursting.toml); without one, "
                             "--explain alone prints the level's unit mapping")
        return _explain_units(args)
    circuit = _load(args)
    if args.output is None and not args.explain:
        raise ValueError("give -o/--output FILE.cir for the deck (or --explain alone to print the mapping)")
    data = None if args.output is None else data_file(args.output, "-o/--output")
    _plan(args, ("-o/--output", args.output), ("its data file", data))
    t_end, stim, _ = _protocol(circuit, args)
    time_unit = args.time_unit if args.level == "behavioural" else 1e-3
    net = netlist(circuit, level=args.level, i_app=stim, t_end=t_end, time_unit=time_unit)
    if args.output is not None:
        write_cir(circuit, args.output, t_end, level=args.level, i_app=stim, max_step=args.max_step,
                  time_unit=time_unit)
    if args.explain and args.level == "transistor":
        for quantity, model_value, circuit_value in net.mapping.table():
            print(f"{quantity:34s} {model_value:8s} {circuit_value}")
        for name, cell, value in net.rows:
            print(f"{name:24s} {cell:38s} {value}")
    elif args.explain:
        print(f"{'state':24s} {'node':24s} {'capacitor (F)':>14s}   meaning")
        rates = circuit.compile().arrays.st_rate
        for k, (state, node) in enumerate(zip(net.state_names, net.nodes)):
            what = "membrane C" if k in net.membranes else "filter tau"
            print(f"{state:24s} {node:24s} {args.time_unit / rates[k]:14.6g}   {what} = {1 / rates[k]:g} model units "
                  f"x {args.time_unit:g} s")
        print(f"units: 1 model time unit = {args.time_unit:g} s; voltages in V and currents in A, one model unit each")
    if args.output is not None:
        print(f"wrote {args.output} ({len(net.lines)} devices; run it with: ngspice -b {shlex.quote(args.output)}, "
              f"which writes {data})")
    return 0


def _explain_units(args):
    """``export-spice --explain`` without a circuit: how model units become circuit units at the level."""
    if args.level == "transistor":
        from ..spice.transistor import Mapping

        for quantity, model_value, circuit_value in Mapping().table():
            print(f"{quantity:34s} {model_value:8s} {circuit_value}")
    else:
        print(f"units: 1 model time unit = {args.time_unit:g} s; voltages in V and currents in A, one model unit each; "
              "a state of rate r is a capacitor of time_unit / r F")
    print("(give a circuit file for its devices, cell by cell)")
    return 0


def _cmd_spice_run(args):
    from ..spice import spice_simulate

    def run(circuit, t_end, stim, record):
        return spice_simulate(circuit, t_end, i_app=stim, level=args.level, max_step=args.max_step, record=record,
                              time_unit=args.time_unit if args.level == "behavioural" else 1e-3,
                              progress=args.progress)

    return _run_and_report(args, run, engine=f" in ngspice ({args.level})")


def _interactive_backend():
    """Switch matplotlib to an interactive backend that can open a window here, or explain why none can."""
    import os

    import matplotlib

    display = os.environ.get("DISPLAY")
    if not (display or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        raise ValueError("no display available for the tuner window: run it on a desktop (or under Xvfb), or in "
                         "Jupyter with `%matplotlib widget` (ipympl) and `nm.tune(...)`; for scripts, "
                         "matplotlib's Agg backend with nm.tune(..., show=False) and Tuner.advance()")
    failures = []
    for backend in ("TkAgg", "QtAgg"):
        try:
            matplotlib.use(backend, force=True)
            import matplotlib.pyplot as plt

            plt.figure().canvas  # noqa: B018 - opening a figure proves the backend works here
            plt.close("all")
            return backend
        except Exception as exc:  # noqa: BLE001 - any failure means: try the next backend
            failures.append(f"{backend}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    if display and sys.platform.startswith("linux"):
        refused = _display_refuses(display)
        if refused:
            raise ValueError(f"cannot open the display DISPLAY={display!r} ({refused}): no X server answers there; "
                             "start one (e.g. `Xvfb :99 &`), point DISPLAY at a running one, or run under "
                             "`xvfb-run -a neuromorph tune ...`")
    raise ValueError(f"no interactive matplotlib backend works here ({'; '.join(failures)}): install python3-tk "
                     "(TkAgg) or PyQt (QtAgg), or use Jupyter with ipympl")


def _display_refuses(display):
    """Why the X display cannot be opened (Tk's own words), or None if it opens or Tk is missing."""
    try:
        import tkinter
    except ImportError:
        return None
    try:
        tkinter.Tk().destroy()
    except tkinter.TclError as exc:
        return str(exc)
    return None


def _cmd_tune(args):
    import neuromorph as nm

    from .plotting import check_figure_format
    from .tuner import circuit_file

    args.file = str(circuit_file(args.file))  # a preset's own file too: outputs never land on it
    if args.seconds is not None and args.seconds <= 0:
        raise ValueError(f"--seconds must be > 0, got {args.seconds:g}")
    if args.screenshot is not None:
        if args.seconds is None:
            raise ValueError(f"--screenshot {args.screenshot!r} needs --seconds N: the window is saved after N "
                             "seconds, as it closes (while it runs, its save button saves it)")
        check_figure_format(args.screenshot, "--screenshot")
    _plan(args, ("--screenshot", args.screenshot))
    nm.load(args.file)  # a bad circuit file is reported before anything about the display
    _interactive_backend()
    import matplotlib.pyplot as plt

    tuner = nm.tune(args.file, i_app=args.i_app, speed=args.speed, filters=args.filters, show=True)
    failed = []
    if args.seconds is not None:  # run for a while, save a screenshot, close (demos, tests)
        tuner.timer.stop()
        timer = tuner.figure.canvas.new_timer(interval=int(1000 * args.seconds))
        timer.single_shot = True

        def finish():
            try:
                if args.screenshot:
                    tuner.save_figure(args.screenshot)
                print(f"tuner closed after {args.seconds:g} s at t = {tuner.t:.0f}: observed {tuner.observed()}, "
                      f"predicted {tuner.predicted()}")
            except Exception as exc:  # noqa: BLE001 - reported after the window closes, never left open
                failed.append(exc)
            finally:
                plt.close("all")

        timer.add_callback(finish)

        def start_clock(event):  # the N seconds count from the first drawing of the window, however slow its start
            tuner.figure.canvas.mpl_disconnect(clock)
            timer.start()

        clock = tuner.figure.canvas.mpl_connect("draw_event", start_clock)
        tuner.timer.start()
    _close_on_ctrl_c(tuner.figure, failed)
    plt.show()
    if failed:
        raise failed[0]
    return 0


def _close_on_ctrl_c(figure, failed):
    """A Ctrl-C that lands inside a Tk callback (the tuner's timer, a redraw) is caught by Tk, which prints
    "Exception in Tkinter callback" and a traceback, and runs on: there it closes the window instead, and
    ``failed`` holds it for after ``plt.show()``."""
    import matplotlib.pyplot as plt

    widget = getattr(figure.canvas, "get_tk_widget", None)
    if widget is None:  # (another backend: its own handling)
        return
    root = widget()._root()
    default = root.report_callback_exception

    def report(kind, value, tb):
        if issubclass(kind, KeyboardInterrupt):
            if not failed:
                failed.append(value)
            plt.close("all")
        else:
            default(kind, value, tb)

    root.report_callback_exception = report


def _cmd_demo(args):
    from .demo import run_demo

    if not args.out.strip():
        raise ValueError(f"--out must name a folder (e.g. neuromorph-demo), got {args.out!r}")
    return run_demo(Path(args.out), plots=not args.no_plots)


def _cmd_presets(args):
    import neuromorph as nm

    for name in nm.presets():
        circuit = nm.preset(name)
        kind = f"network of {len(circuit)}" if _is_network(circuit) else "neuron"
        print(f"{name:36s} {kind:14s} {circuit.description}")
    return 0


def _solver_options(parser):
    parser.add_argument("--method", help="dopri5 (default; dop853 from --rtol 1e-6 down), dop853, rosenbrock23, rk4 "
                        "or euler (aliases: dp5, rk45; dp8, rk8; ros23, implicit, stiff)")
    parser.add_argument("--rtol", type=_finite, help="relative tolerance (adaptive methods)")
    parser.add_argument("--atol", type=_finite, help="absolute tolerance (adaptive methods)")
    parser.add_argument("--dt", type=_finite, help="step (fixed-step methods)")
    parser.add_argument("--max-steps", type=int, default=50_000_000,
                        help="most solver steps a run may take (default 50000000)")


def _window_options(parser):
    """What a summarising command (simulate, spice-run) takes about its settled window and phases."""
    parser.add_argument("--t-start", type=_finite, help="start of the window the metrics use (default: the file's "
                        "t_transient, else the second half of the run)")
    parser.add_argument("--phase-tolerance", type=_finite, default=0.05,
                        help="networks: phases within this many cycles of 0.5 (0) are labelled anti-phase (in-phase); "
                             "default 0.05")


def _output_options(parser, data, figure, summary):
    parser.add_argument("--out", help=f"write {data} to this .npz file")
    parser.add_argument("--plot", help=f"write {figure} (.png, .pdf, .svg)")
    parser.add_argument("--json", action="store_true", help=f"print {summary} as JSON on stdout")
    parser.add_argument("--progress", action="store_true", default=None, help="show a progress bar")


def _cluster_options(parser):
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--scheduler", help="run on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786)")
    group.add_argument("--workers", type=int, help="run on a local Dask cluster of this many worker processes")
    parser.add_argument("--timeout", type=_finite, default=10.0, help="seconds to wait for --scheduler (default 10)")


def _cluster(args):
    """``--scheduler`` / ``--workers`` as keyword arguments of the study functions."""
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    if args.timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {args.timeout}")
    if args.scheduler is not None:  # a malformed address is refused before the circuit is even compiled
        from ..studies.cluster import check_address

        check_address(args.scheduler)
    out = {"scheduler": args.scheduler, "workers": args.workers}
    return {**out, "timeout": args.timeout} if args.scheduler is not None else out


def _set_option(parser):
    parser.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="change a parameter first, e.g. slow_negative.alpha=-1.2 or n1_to_n2.g=0.5 (repeatable)")


def _solver_values(args):
    return {k: getattr(args, k) for k in ("rtol", "atol", "dt") if getattr(args, k) is not None}


def _finite(text):
    """An argparse type: a finite number (``nan`` and ``inf`` are refused, naming the option)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    from .._validate import MAGNITUDE

    if abs(value) > MAGNITUDE:
        raise argparse.ArgumentTypeError(f"must lie within +-{MAGNITUDE:g} (quantities are dimensionless), "
                                         f"got {text!r}")
    return value


def _option_number(label, text):
    """:func:`_finite` for a number taken apart from an option's value by hand (argparse did not call it): a
    bad one is a ValueError naming ``label``, which :func:`main` reports in one line with exit code 2."""
    try:
        return _finite(text)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"{label}: the value {exc}") from None


class _Parser(argparse.ArgumentParser):
    """argparse with the package's error form: one line naming the command and the option, exit 2
    (argparse's own prints the whole usage text first)."""

    def error(self, message):
        one_line = " ".join(str(message).split())
        command = self.prog.removeprefix("neuromorph").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"neuromorph: error: {where}{one_line} (see {self.prog} --help)\n")


def build_parser():
    from .. import __version__

    parser = _Parser(prog="neuromorph", description="Simulate neuromorphic neuron circuits.")
    parser.add_argument("--version", action="version", version=f"neuromorph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="simulate a circuit file and summarise its firing pattern")
    sim.add_argument("file", help="circuit file (TOML), e.g. circuits/bursting.toml")
    sim.add_argument("--t-end", type=_finite, help="end time (default: the file's [simulation] t_end)")
    sim.add_argument("--i-app", type=_finite, help="constant applied current (replaces the file's stimulus)")
    _set_option(sim)
    _window_options(sim)
    _solver_options(sim)
    _output_options(sim, "times, states and spikes", "a trace figure (for a network: traces and a raster)",
                    "the summary")
    sim.set_defaults(func=_cmd_simulate)

    demo = sub.add_parser("demo", help="simulate every preset, print a summary table, write figures")
    demo.add_argument("--out", default="neuromorph-demo", help="folder for the figures (default: neuromorph-demo)")
    demo.add_argument("--no-plots", action="store_true", help="only print the table")
    demo.set_defaults(func=_cmd_demo)

    iv = sub.add_parser("iv", help="I-V curves, equilibria, negative-conductance intervals, predicted behaviour")
    iv.add_argument("file", help="circuit file (TOML)")
    iv.add_argument("--i-app", type=_finite, help="applied current (default: the file's, at t = 0)")
    iv.add_argument("--node", help="in a network file: the neuron whose I-V curves to analyse (on its own)")
    _set_option(iv)
    iv.add_argument("--v-range", help="voltage range lo:hi for the search and the figure (default -10:10)")
    iv.add_argument("--plot", help="write the I-V figure (.png, .pdf, .svg)")
    iv.add_argument("--json", action="store_true", help="print the analysis as JSON on stdout")
    iv.set_defaults(func=_cmd_iv)

    mp = sub.add_parser("map", help="behaviour map over one or two parameters")
    mp.add_argument("file", help="circuit file (TOML)")
    mp.add_argument("--x", required=True, help="PARAM:lo:hi:n, PARAM = i_app or ELEMENT.FIELD (slow_negative.alpha); "
                    "in a network NODE.i_app, NODE.ELEMENT.FIELD or EDGE.FIELD")
    mp.add_argument("--y", help="second axis, PARAM:lo:hi:n")
    mp.add_argument("--t-end", type=_finite, help="simulated time per cell (default 20000)")
    mp.add_argument("--t-transient", type=_finite, help="metrics over [t_transient, t_end] (default t_end / 2)")
    mp.add_argument("--i-app", type=_finite, help="applied current where i_app is not an axis (default: the file's)")
    mp.add_argument("--node", help="in a network file: the neuron whose map is drawn and counted (default: the first; "
                    "--out and --json hold them all)")
    _set_option(mp)
    _solver_options(mp)
    mp.add_argument("--no-predict", action="store_true", help="skip the I-V prediction of each cell")
    _cluster_options(mp)
    _output_options(mp, "the map", "the map figure", "counts and agreement")
    mp.set_defaults(func=_cmd_map)

    rl = sub.add_parser("reliability", help="spike-timing reliability over trials and chips under noise and mismatch")
    rl.add_argument("file", help="circuit file (TOML)")
    rl.add_argument("--trials", type=int, default=10, help="trials per chip (default 10)")
    rl.add_argument("--chips", type=int, default=1, help="chips: draws of --mismatch (default 1)")
    rl.add_argument("--noise", type=_finite, default=0.0, help="intrinsic white current noise sigma (default 0)")
    rl.add_argument("--mismatch", help="spreads, e.g. gain=0.1,offset=0.05,tau=0.02 (also C, corner, temperature, "
                    "supply, truncate=1)")
    rl.add_argument("--ou", help="SIGMA:TAU: add a frozen OU current (seeded by --seed) to the drive")
    rl.add_argument("--seed", type=int, default=0, help="seed of everything random (default 0)")
    rl.add_argument("--t-end", type=_finite, help="end time (default: the file's [simulation] t_end)")
    rl.add_argument("--t-record", type=_finite, help="spikes before this are a transient (default t_end / 10)")
    rl.add_argument("--i-app", type=_finite, help="constant drive (replaces the file's stimulus)")
    rl.add_argument("--node", help="in a network file: the neuron whose metrics are printed and drawn")
    rl.add_argument("--dt", type=_finite, default=0.05, help="step (default 0.05)")
    rl.add_argument("--method", default="sra1", help="sra1 (default) or euler_maruyama (aliases: sra, em)")
    _cluster_options(rl)
    _set_option(rl)
    _output_options(rl, "spike times, settings and metrics", "raster and PSTH", "the metrics")
    rl.set_defaults(func=_cmd_reliability)

    ct = sub.add_parser("control", help="hold a rhythm: adapt named gains once per burst while the circuit runs, "
                                        "and write the tuned circuit file")
    ct.add_argument("file", help="circuit file (TOML)")
    ct.add_argument("--period", type=_finite, help="target burst period")
    ct.add_argument("--tolerance", type=_finite, default=0.02, help="relative tolerance of the period (default 0.02)")
    ct.add_argument("--spikes-per-burst", type=int, help="target spikes per burst")
    ct.add_argument("--spikes-tolerance", type=int, default=1, help="(default 1)")
    ct.add_argument("--duty-cycle", type=_finite, help="target duty cycle, in (0, 1)")
    ct.add_argument("--adjust", metavar="PATH:LOW:HIGH,...", help="the gains to move and their bounds, e.g. "
                    "slow_negative.alpha:-2.2:-1.2,ultraslow_positive.alpha:1.3:2.8 (in a network, *.PATH moves "
                    "every node's)")
    ct.add_argument("--node", help="in a network file: the reference neuron")
    ct.add_argument("--t-end", type=_finite, help="end time (default: the file's [simulation] t_end)")
    ct.add_argument("--i-app", type=_finite, help="constant drive (replaces the file's stimulus)")
    _set_option(ct)
    ct.add_argument("--out", help="write the tuned circuit file (TOML), which simulate runs")
    ct.add_argument("--plot", help="write the periods and gains against time (.png, .pdf, .svg)")
    ct.add_argument("--json", action="store_true", help="print the outcome as JSON on stdout")
    ct.set_defaults(func=_cmd_control)

    yl = sub.add_parser("yield", help="the fraction of mismatched chips whose rhythm meets a specification, with "
                                      "its confidence interval")
    yl.add_argument("file", help="circuit file (TOML)")
    yl.add_argument("--period", type=_finite, help="target burst period")
    yl.add_argument("--tolerance", type=_finite, default=0.1, help="relative tolerance of the period (default 0.1)")
    yl.add_argument("--spikes-per-burst", type=int, help="target spikes per burst")
    yl.add_argument("--spikes-tolerance", type=int, default=1, help="spikes per burst may differ by this many "
                    "(default 1)")
    yl.add_argument("--duty-cycle", type=_finite, help="target duty cycle, in (0, 1)")
    yl.add_argument("--duty-tolerance", type=_finite, default=0.05, help="absolute (default 0.05)")
    yl.add_argument("--phase", type=_finite, help="a two-neuron network: the second neuron's phase (0.5: "
                    "anti-phase)")
    yl.add_argument("--phase-tolerance", type=_finite, default=0.05, help="in cycles (default 0.05)")
    yl.add_argument("--node", help="in a network file: the reference neuron (its period; the phase is against it)")
    yl.add_argument("--mismatch", help="spreads the chips are drawn from, e.g. gain=0.05,offset=0.01 (also tau, "
                    "C, corner, temperature, supply, truncate=1)")
    yl.add_argument("--chips", type=int, default=1000, help="chips (default 1000)")
    yl.add_argument("--seed", type=int, default=0, help="seed of the mismatch (default 0)")
    yl.add_argument("--t-end", type=_finite, help="end time (default: the file's [simulation] t_end)")
    yl.add_argument("--t-record", type=_finite, help="the rhythm is measured from here (default: the second half)")
    yl.add_argument("--i-app", type=_finite, help="constant drive (replaces the file's stimulus)")
    yl.add_argument("--dt", type=_finite, default=0.05, help="RK4 step (default 0.05)")
    yl.add_argument("--confidence", type=_finite, default=0.95, help="of the interval (default 0.95)")
    yl.add_argument("--interval", default="wilson", choices=("wilson", "clopper-pearson"),
                    help="wilson (default) or clopper-pearson (exact)")
    yl.add_argument("--closed-loop", action="store_true", help="retune every chip from its estimated gains "
                    "first (an adaptive observer per chip under a probe current), then measure the retuned chips")
    _cluster_options(yl)
    _set_option(yl)
    _output_options(yl, "every chip's measured rhythm", "a histogram of the first criterion with its bounds",
                    "the yield, its interval and the failing chips")
    yl.set_defaults(func=_cmd_yield)

    es = sub.add_parser("estimate", help="estimate a circuit's gains from a voltage trace (.npz) and write the "
                                         "fitted circuit file")
    es.add_argument("file", help="circuit file (TOML): the structure (elements, offsets, time constants) whose "
                    "gains are estimated")
    es.add_argument("trace", help="the trace (.npz): a run written by simulate or spice-run --out, or arrays t and "
                    "v (NODE.v in a network), optionally i_app")
    es.add_argument("--params", metavar="PATH,PATH,...", help="the gains to estimate, e.g. "
                    "slow_negative.alpha,leak.g or n1_to_n2.g (default: every gain of the circuit)")
    es.add_argument("--method", default="least_squares", choices=("least_squares", "observer"),
                    help="least_squares (default: batch, with standard errors) or observer (the adaptive observer, "
                         "run along the trace)")
    es.add_argument("--i-app", type=_finite, help="the trace's constant applied current when the .npz holds none "
                    "(default: the circuit file's stimulus)")
    es.add_argument("--t-start", type=_finite, help="least squares uses the trace from this time on (default: five "
                    "of the slowest filter's time constants past its start, at most half of it)")
    es.add_argument("--observer", metavar="KEY=VALUE,...", help="settings of --method observer: gamma, "
                    "forgetting, p0, h_max, record_dt (e.g. gamma=2,forgetting=1e-3)")
    _set_option(es)
    es.add_argument("--out", help="write the fitted circuit file (TOML, the estimates set), which simulate runs")
    es.add_argument("--plot", help="write the estimates' figure (.png, .pdf, .svg): against time for the observer")
    es.add_argument("--json", action="store_true", help="print the estimates as JSON on stdout")
    es.set_defaults(func=_cmd_estimate)

    for name, helptext in (("export-spice", "write a SPICE deck (.cir) of a circuit file that ngspice runs"),
                           ("spice-run", "simulate a circuit file in ngspice and summarise it")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("file", nargs="?" if name == "export-spice" else None,
                        help="circuit file (TOML)" + (" (none with --explain: the units only)"
                                                      if name == "export-spice" else ""))
        sp.add_argument("--level", default="behavioural", choices=("behavioural", "transistor"),
                        help="behavioural: capacitors and behavioural sources, the model itself; transistor: "
                             "MOSFET cells in weak inversion on a generic 180 nm process")
        sp.add_argument("--t-end", type=_finite, help="end time (default: the file's [simulation] t_end)")
        sp.add_argument("--i-app", type=_finite, help="constant applied current (replaces the file's stimulus)")
        sp.add_argument("--max-step", type=_finite, default=0.05, help="largest ngspice step, model units (default 0.05)")
        sp.add_argument("--time-unit", type=_finite, default=1e-3,
                        help="seconds per model time unit at the behavioural level (default 1e-3; the transistor "
                             "level's follows from its currents and capacitors)")
        _set_option(sp)
        if name == "export-spice":
            sp.add_argument("-o", "--output", help="the .cir file to write (its data file: <name>.txt beside it)")
            sp.add_argument("--explain", action="store_true", help="print the mapping of states to nodes and parts "
                            "(without -o: only that, nothing written)")
            sp.set_defaults(func=_cmd_export_spice)
        else:
            _window_options(sp)
            _output_options(sp, "times, states and spikes", "a trace figure (for a network: traces and a raster)",
                            "the summary")
            sp.set_defaults(func=_cmd_spice_run)

    tn = sub.add_parser("tune", help="interactive tuner: sliders, live I-V curves and trace (opens a window)")
    tn.add_argument("file", metavar="circuit", nargs="?", default="bursting",
                    help="preset name or circuit file (default: bursting)")
    tn.add_argument("--i-app", type=_finite, help="starting applied current (default: the circuit's); the neuron "
                    "needs an equilibrium for V in [-10, 10] there")
    tn.add_argument("--speed", type=_finite, default=2000.0, help="simulated time units per second (default 2000)")
    tn.add_argument("--filters", action="store_true",
                    help="also draw the shown neuron's filter voltages (slow, ultraslow) in the trace")
    tn.add_argument("--seconds", type=_finite, help="close by itself after the window has shown for this many seconds (> 0; prints where it "
                    "got)")
    tn.add_argument("--screenshot", metavar="FILE", help="save the window as an image (.png, .pdf, .svg) as it closes; "
                    "needs --seconds (without it the command refuses: the save button saves a window left open)")
    tn.set_defaults(func=_cmd_tune)

    sw = sub.add_parser("sweep", help="run a study (grid x chips x trials) from a spec file into a Zarr store, "
                                      "in-process or on Dask")
    sw.add_argument("file", help="study spec (TOML): model, grid, chips, trials, noise, mismatch, solver")
    sw.add_argument("--out", required=True, help="the Zarr store (a folder) the results stream into")
    _cluster_options(sw)
    sw.add_argument("--resume", action="store_true", help="continue the study already in --out (finished chunks "
                    "are kept)")
    sw.add_argument("--overwrite", action="store_true", help="replace a store of another study at --out")
    sw.add_argument("--chunk-size", type=int, help="members per chunk (default: about 32 chunks per worker "
                    "thread)")
    sw.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    sw.add_argument("--progress", action="store_true", default=None, help="show a progress bar")
    sw.set_defaults(func=_cmd_sweep)

    pre = sub.add_parser("presets", help="list the preset circuits")
    pre.set_defaults(func=_cmd_presets)
    return parser


_VALUE_OPTIONS = ("--v-range", "--x", "--y", "--set", "--ou")  # values that may start with '-' (e.g. --v-range -3:3)


def _attach_values(argv):
    """``--v-range -3:3`` as ``--v-range=-3:3``: argparse takes a value starting with '-' for an option."""
    out = []
    it = iter(argv)
    for token in it:
        if token in _VALUE_OPTIONS:
            value = next(it, None)
            out.append(token if value is None else f"{token}={value}")
        else:
            out.append(token)
    return out


def main(argv=None):
    import warnings

    sys.stdout.reconfigure(errors="backslashreplace")  # odd bytes in names must not crash the output
    parser = build_parser()
    args = parser.parse_args(_attach_values(sys.argv[1:] if argv is None else list(argv)))
    from .._parallel import catch_interrupts
    from ..errors import NeuromorphError, SimulationError

    def show_warning(message, category, filename, lineno, file=None, line=None):
        print(f"neuromorph: warning: {message}", file=sys.stderr)

    warnings.showwarning = show_warning
    try:
        with catch_interrupts():  # a Ctrl-C that a C callback swallows still stops the work
            return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C: the work stopped, no output was written
        print(f"neuromorph: {Failure.INTERRUPTED}; no output written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        sys.stderr.close()
        return 0
    except SimulationError as exc:
        print(f"neuromorph: simulation failed: {exc}", file=sys.stderr)
        return 1
    except (NeuromorphError, ValueError, OSError, RecursionError) as exc:
        print(f"neuromorph: error: {exc}", file=sys.stderr)
        return 2


def run():
    """The ``neuromorph`` program (and ``python -m neuromorph``): :func:`main`, then exit with its code.

    After Ctrl-C the process ends at once with 130: CPython 3.11 remembers a KeyboardInterrupt raised
    inside an ``exec`` of a string (scipy runs ``exec("from numpy import *")`` while importing, which
    numba may trigger mid-run) even once it is handled, and on a normal exit then kills its own process
    with SIGINT: the exit status was -2 instead of 130. Everything was already cleaned up by then.
    """
    import os

    code = main()
    if code == 130:
        # What os._exit skips: a closed Dask cluster's objects are collected, so that their semaphores are
        # released (else multiprocessing's resource tracker reports them as "leaked" as it ends).
        import gc

        gc.collect()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
