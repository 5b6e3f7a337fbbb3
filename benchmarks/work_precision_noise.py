"""Work-precision with noise: time against strong error, ours and Brian2's (issue 23, workload W6).

W6 (shared/MODEL.md): the bursting neuron at I_app = -2 with additive white current noise of intensity
sigma = 0.05 into its membrane, from (V, V_s, V_us) = (-1.9, -1.8, -1.8), t = 0..1000, 1000 paths (trials).

Strong error: the mean over the paths of |V(1000) - V_ref(1000)| on the same Brownian path (and, printed
beside it, the RMS over all three states of every path). Every run of the error measurements integrates the
path of ``nm.WhiteNoise(0.05, path_dt=PATH_DT)`` (trial i of seed 1 is path i): a step of dt = m PATH_DT sums
the path's m increments, and SRA1's dZ is joined from them exactly. V_ref is our SRA1 at dt = PATH_DT on that
path; its own error is bounded by comparing it with SRA1 at 2 PATH_DT on the same path (printed; with strong
order >= 1.5 the reference is at least 2**1.5 - 1 = 1.8 times closer than that difference).

Ours: ``nm.Ensemble(nm.preset("bursting"), size=1000).simulate(1000, i_app=-2.0, dt=..., method=...)``, methods
SRA1 (strong order 1.5) and Euler-Maruyama (1) over dt. Error: the run on the shared path. Time: a plain run at
that dt with its own noise (``nm.WhiteNoise(0.05)``, no path_dt: one pair of normals per step, what a user pays;
with path_dt a coarse step would draw the m normals of its path steps), the least of ``--repeats`` warm runs
(compile time apart), on 1 and 2 threads.

Brian2 2.9, C++ standalone (``_brian2_wp_noise.py``, run in .venv-brian2): the same equations with ``sigma xi``,
methods euler, heun and milstein (all it accepts for this model with ``xi``), 1 and 2 OpenMP threads. Time:
its own timer of the run loop (no code generation or compilation), the least of ``--repeats`` runs of the
compiled program, of a native ``xi`` run at that dt. Error: the same equations driven by our path, its
per-step increments sigma dW_k / dt read from a file (a C++ function maps it; written here from
``neuromorph._kernels.rng``, the normals our kernels draw) and held through each step. For additive noise
Brian2's three schemes are one scheme, Euler-Maruyama: "euler" is x + dt f + g dW; its "heun" takes an Euler
drift step and averages g over a noise-only predictor (g constant: g dW); its "milstein" adds a correction
proportional to g(x + ...) - g(x), zero for constant g (``brian2/stateupdaters/explicit.py``). Driven by the
path, each is measured with its own method name and, since only their deterministic part is left, all three
integrate the path by the Euler step; that this is faithful is checked twice and printed: native ``xi`` runs of
heun and milstein with the same Brian2 seed end where euler's does (bit for bit, or to rounding), and Brian2's
path-driven euler ends where our Euler-Maruyama on the same path does (to rounding). Brian2's error for heun
and milstein is therefore Euler-Maruyama's, measured, not assumed; its time is each method's own.

For every error level from 1e-1 to 1e-6 (and the half decades): the fastest run of each side whose error is
at most that level (any method, dt and thread count), and the ratio Brian2 / ours (the issue's target: >= 3x).

    cd benchmarks && ../.venv/bin/python work_precision_noise.py [--paths 1000] [--repeats 3] [--plot DIR]
        [--skip-brian2] [--path-dt 0.00078125] [--brian2-threads 1 2] [--brian2-dt 1.6 0.8 ...]
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine

import neuromorph as nm
from neuromorph._kernels import rng

ROOT = Path(__file__).resolve().parents[1]
BRIAN2 = ROOT / ".venv-brian2" / "bin" / "python"
T_END, SIGMA, I_APP, SEED = 1000.0, 0.05, -2.0, 1
PATH_DT = 0.2 / 256  # 0.00078125: divides every dt below
OURS_DT = {"sra1": (1.6, 0.8, 0.4, 0.2, 0.1, 0.05, 0.025, 0.0125),
           "euler_maruyama": (1.6, 0.8, 0.4, 0.2, 0.1, 0.05, 0.025, 0.0125, 0.00625)}
BRIAN2_DT = (1.6, 0.8, 0.4, 0.2, 0.1, 0.05, 0.025, 0.0125, 0.00625)  # (1e-5 would take dt ~ 7e-4: minutes a run)
BRIAN2_METHODS = ("euler", "heun", "milstein")
LEVELS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 1e-6)
BURSTER = nm.preset("bursting")


def errors(y, ref):
    """(mean |V - V_ref| over paths, RMS over every state of every path); inf if a path failed."""
    y, ref = np.asarray(y), np.asarray(ref)
    if not np.all(np.isfinite(y)):
        return math.inf, math.inf
    return float(np.mean(np.abs(y[:, 0] - ref[:, 0]))), float(np.sqrt(np.mean((y - ref) ** 2)))


def on_path(ens, method, dt, path_dt):
    """Final states (paths x states) of a run on the shared path."""
    noise = nm.WhiteNoise(SIGMA, path_dt=path_dt)
    return ens.simulate(T_END, i_app=I_APP, dt=dt, method=method, noise=noise, seed=SEED).final_state


def timed(ens, method, dt, threads, repeats):
    """The least of ``repeats`` warm plain runs (own noise, no path_dt), in seconds."""
    def run():
        return ens.simulate(T_END, i_app=I_APP, dt=dt, method=method, noise=nm.WhiteNoise(SIGMA), seed=SEED,
                            n_threads=threads)

    run()  # (compile or load the kernel, warm the caches)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def write_paths(folder, paths, path_dt, dts):
    """Files of float64 dW[k, i] (step-major) for Brian2: the path's increments summed over each step of each dt
    (the normals our kernels draw, :func:`neuromorph._kernels.rng.normal_table`). Returns ({dt: file}, W(T))."""
    n_fine = int(round(T_END / path_dt))
    k0, k1 = rng.key_of(SEED)
    files, maps = {}, {}
    for dt in dts:
        m = int(round(dt / path_dt))
        files[dt] = os.path.join(folder, f"path_{dt:g}.f64")
        maps[dt] = np.lib.format.open_memmap(files[dt] + ".npy", mode="w+", shape=(n_fine // m, paths))
    w_end = np.empty(paths)
    batch = 16
    for first in range(0, paths, batch):
        trials = range(first, min(first + batch, paths))
        fine = np.stack([rng.normal_table(k0, k1, trial, 0, rng.INTRINSIC, 0, n_fine, 1, 0)[:, 0, 0]
                         for trial in trials]) * math.sqrt(path_dt)
        w_end[first:first + len(trials)] = fine.sum(axis=1)
        for dt in dts:
            m = int(round(dt / path_dt))
            maps[dt][:, first:first + len(trials)] = fine.reshape(len(trials), -1, m).sum(axis=2).T
    for dt in dts:  # raw float64, without the .npy header, for the C++ side
        maps[dt].flush()
        offset = maps[dt].offset
        del maps[dt]
        with open(files[dt] + ".npy", "rb") as src, open(files[dt], "wb") as dst:
            src.seek(offset)
            shutil.copyfileobj(src, dst, 1 << 24)
        os.remove(files[dt] + ".npy")
    return files, w_end


def brian2(mode, method, dt, threads, paths, repeats, build_dir, path_file=None):
    cmd = [str(BRIAN2), str(ROOT / "benchmarks" / "_brian2_wp_noise.py"), "--mode", mode, "--method", method,
           "--n", str(paths), "--t-end", str(T_END), "--dt", repr(dt), "--sigma", str(SIGMA), "--threads",
           str(threads), "--repeats", str(repeats), "--build-dir", build_dir]
    if path_file:
        cmd += ["--path-file", path_file]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=7200)
    if proc.returncode:
        raise RuntimeError(f"Brian2 {mode} {method} dt {dt}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sweep(args):
    rows = []  # (side, method, dt, threads, seconds, error, rms)
    ens = nm.Ensemble(BURSTER, size=args.paths)
    p = args.path_dt
    t0 = time.perf_counter()
    ref = on_path(ens, "sra1", p, p)
    check = errors(on_path(ens, "sra1", 2 * p, p), ref)
    print(f"reference: SRA1 at dt = path_dt = {p:g} ({time.perf_counter() - t0:.0f} s with its check); SRA1 at "
          f"2 path_dt differs from it by {check[0]:.2e} (mean |dV|), {check[1]:.2e} (RMS over states)", flush=True)
    ours_error, em_on_path = {}, {}
    for method, dts in OURS_DT.items():
        for dt in dts:
            y = on_path(ens, method, dt, p)
            ours_error[method, dt] = errors(y, ref)
            if method == "euler_maruyama":
                em_on_path[dt] = y  # (what Brian2's euler on the same path must reproduce)
    for method, dts in OURS_DT.items():
        for dt in dts:
            for threads in (1, 2):
                seconds = timed(ens, method, dt, threads, args.repeats)
                rows.append(("ours", method, dt, threads, seconds, *ours_error[method, dt]))
                print(f"  ours   {method:15s} dt {dt:<8g} {threads} thr: {seconds:8.3f} s  error "
                      f"{rows[-1][5]:.2e} (RMS {rows[-1][6]:.2e})", flush=True)
    checks = []
    if args.skip_brian2:
        return rows, check, checks
    folder = tempfile.mkdtemp(prefix="wp_noise_")
    try:
        t0 = time.perf_counter()
        files, w_end = write_paths(folder, args.paths, p, args.brian2_dt)
        print(f"  (Brian2's path files: {time.perf_counter() - t0:.0f} s)", flush=True)
        b2_error = {}
        for method in BRIAN2_METHODS:
            build = os.path.join(folder, f"path_{method}")
            for dt in args.brian2_dt:
                out = brian2("path", method, dt, 2, args.paths, 1, build, files[dt])
                y = np.array(out["y"]).T
                b2_error[method, dt] = errors(y, ref)
                if method == "euler" and dt in em_on_path:
                    checks.append((f"path dt {dt:g}: Brian2 euler vs our Euler-Maruyama, max |dV|",
                                   float(np.max(np.abs(y[:, 0] - em_on_path[dt][:, 0])))))
                    checks.append((f"path dt {dt:g}: Brian2's W(t_end) vs ours, max |dW|",
                                   float(np.max(np.abs(np.array(out["w"]) - w_end)))))
                print(f"  brian2 {method:15s} dt {dt:<8g} on our path: error {b2_error[method, dt][0]:.2e}",
                      flush=True)
        native = {}
        for method in BRIAN2_METHODS:
            for threads in args.brian2_threads:
                build = os.path.join(folder, f"time_{method}_{threads}")
                for dt in args.brian2_dt:
                    out = brian2("time", method, dt, threads, args.paths, args.repeats, build)
                    native[method, dt, threads] = np.array(out["y"]).T
                    rows.append(("brian2", method, dt, threads, out["run_s"], *b2_error[method, dt]))
                    print(f"  brian2 {method:15s} dt {dt:<8g} {threads} thr: {out['run_s']:8.3f} s  error "
                          f"{rows[-1][5]:.2e}  (build {out['build_s']:.0f} s)", flush=True)
        threads = args.brian2_threads[0]
        for method in BRIAN2_METHODS[1:]:
            diff = max(float(np.max(np.abs(native[method, dt, threads] - native["euler", dt, threads])))
                       for dt in args.brian2_dt)
            checks.append((f"native xi, same Brian2 seed: {method} vs euler, max |dy| over every dt", diff))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows, check, checks


def fronts(rows):
    """For each error level, the fastest run of each side within it, and the ratio."""
    out = []
    for level in LEVELS:
        best = {}
        for side in ("ours", "brian2"):
            within = [(s, m, dt, th) for sd, m, dt, th, s, e, _ in rows if sd == side and e <= level]
            best[side] = min(within) if within else None
        out.append((level, best["ours"], best["brian2"]))
    return out


def plot(rows, folder, paths):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    for side, method, threads in sorted({(sd, m, th) for sd, m, _, th, *_ in rows}):
        pts = sorted((e, s) for sd, m, _, th, s, e, _ in rows
                     if (sd, m, th) == (side, method, threads) and math.isfinite(e) and e > 0)
        if pts:
            e, s = zip(*pts)
            ax.loglog(e, s, "o-" if side == "ours" else "s--", label=f"{side}: {method}, {threads} thr")
    ax.set_xlabel(f"strong error: mean |V(1000) - V_ref(1000)| over {paths} paths")
    ax.set_ylabel("time (s), best of warm runs")
    ax.set_title("W6: bursting neuron, white noise 0.05: work-precision", fontsize=10)
    ax.legend(fontsize=7)
    path = f"{folder}/work_precision_W6.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1000, help="paths (trials, neurons on both sides)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per configuration (the least is kept)")
    parser.add_argument("--path-dt", type=float, default=PATH_DT, help="step of the shared path and the reference")
    parser.add_argument("--brian2-threads", type=int, nargs="+", default=[1, 2], help="OpenMP threads")
    parser.add_argument("--brian2-dt", type=float, nargs="+", default=BRIAN2_DT, help="Brian2's steps (each a "
                        "multiple of --path-dt and one of ours)")
    parser.add_argument("--skip-brian2", action="store_true")
    parser.add_argument("--plot", help="folder for the figure")
    args = parser.parse_args()
    if not args.skip_brian2 and not BRIAN2.exists():
        sys.exit(f"{BRIAN2} missing: run `bash benchmarks/setup_brian2.sh` first (or pass --skip-brian2)")
    print(f"machine: {machine()}")
    print(f"W6: {args.paths} paths of the bursting neuron (I_app = {I_APP}), white noise sigma = {SIGMA}, "
          f"t = 0..{T_END:g}; shared path step {args.path_dt:g}")
    rows, check, checks = sweep(args)
    print(f"\n{'side':7s} {'method':15s} {'dt':>9s} {'threads':>7s} {'time (s)':>10s} {'error':>9s} {'RMS':>9s}")
    for side, method, dt, threads, seconds, err, rms in rows:
        print(f"{side:7s} {method:15s} {dt:9g} {threads:7d} {seconds:10.3f} {err:9.2e} {rms:9.2e}")
    print(f"\nreference check: SRA1 at 2 path_dt vs the reference: {check[0]:.2e} (mean |dV|)")
    for what, value in checks:
        print(f"check: {what}: {value:.2e}")
    print("\nW6: the fastest run within each error level")
    print(f"{'error <=':>9}  {'ours':>36}  {'brian2':>36}  {'brian2 / ours':>13}")
    show = lambda b: "-" if b is None else f"{b[0]:8.3f} s {b[1]} dt {b[2]:g} {b[3]} thr"  # noqa: E731
    for level, ours, theirs in fronts(rows):
        ratio = f"{theirs[0] / ours[0]:12.1f}x" if ours and theirs else "-"
        print(f"{level:9.0e}  {show(ours):>36}  {show(theirs):>36}  {ratio:>13}")
    if args.plot:
        plot(rows, args.plot, args.paths)


if __name__ == "__main__":
    main()
