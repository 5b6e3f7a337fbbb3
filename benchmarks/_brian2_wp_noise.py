"""Brian2 C++ standalone side of the W6 work-precision benchmark (run by the benchmark-only venv).

    bash benchmarks/setup_brian2.sh      # once: .venv-brian2 with brian2 2.9
    .venv-brian2/bin/python benchmarks/_brian2_wp_noise.py --mode time --method euler --dt 0.05 --threads 2
    .venv-brian2/bin/python benchmarks/_brian2_wp_noise.py --mode path --method euler --dt 0.05 --path-file F

``n`` independent bursting neurons (the preset's elements, I_app = -2, from V, V_s, V_us = -1.9, -1.8, -1.8)
with additive white current noise of intensity ``sigma``, time in ms as the model's unit.

``--mode time``: Brian2's own noise, ``sigma * xi``, integrated by ``--method`` (euler, heun or milstein),
spikes counted as in ``_brian2_noise.py``. ``run_s`` is Brian2's own timer of the simulation loop (no code
generation or compilation), the least of ``--repeats`` runs of the compiled program: what a user pays.

``--mode path``: the same equations driven by neuromorph's Brownian path instead of ``xi``. ``--path-file``
holds float64 ``dW[k, i]`` (step-major, ``n`` per step): the path's increment over step ``k`` of neuron ``i``
(written by ``work_precision_noise.py``: trial ``i`` of ``nm.WhiteNoise(sigma, path_dt=...)``, its draws summed
over the step). A C++ function maps the file and, at the start of every step (``run_regularly``, before the
state update), sets ``drive = sigma dW[k, i] / dt``; the equation ``dv/dt = (f(v) + drive) / ms`` has no ``xi``
left, so Brian2 integrates it by ``--method``'s deterministic part with the input held through the step. For
additive noise that is each method's stochastic scheme exactly (``brian2/stateupdaters/explicit.py``): "euler"
is ``x + dt f(x) + g dW``, Euler-Maruyama; "heun" is ``x + dt f(x) + dW (g(x) + g(x + g dW)) / 2``, whose drift
step is Euler's, Euler-Maruyama again for a constant ``g``; "milstein" adds ``(g(x + dt f + sqrt(dt) g) - g(x))
dW**2 / (2 sqrt(dt))``, zero for a constant ``g``. Prints the final states and ``w``, the sum of the ``dW``
each neuron used (its path's ``W(t_end)``, for the caller to check).

``--build-dir``: a project folder kept between calls, so a call that changes only ``dt`` recompiles little
(compilation is never timed). One JSON line on stdout.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

PATH_CODE = r"""
static const double* wp_map() {
    int fd = open("%(file)s", O_RDONLY);
    if (fd < 0) { fprintf(stderr, "cannot open the path file\n"); exit(1); }
    off_t size = lseek(fd, 0, SEEK_END);
    void* data = mmap(0, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (data == MAP_FAILED) { fprintf(stderr, "cannot map the path file\n"); exit(1); }
    return (const double*)data;
}
double path_dw(int k, int i) {
    static const double* data = wp_map();  /* (a function-local static: initialised once, thread-safe) */
    return data[(int64_t)k * %(n)d + i];
}
"""

EQS = """
dv/dt = (i_app - (v - 2*tanh(v) + 2*tanh(vs) - 1.5*tanh(vs + 1.5) + 1.5*tanh(vus + 1.5))) / ms {noise} : 1
dvs/dt = (v - vs) / (50*ms) : 1
dvus/dt = (v - vus) / (2500*ms) : 1
i_app : 1 (constant)
sigma : 1 (constant)
{extra}
"""


def build_and_run(mode, method, n, t_end, dt, sigma, threads, seed, path_file, build_dir, repeats):
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=None, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = int(threads)
    b2.defaultclock.dt = dt * b2.ms
    b2.seed(seed)
    namespace = {}
    if mode == "time":
        eqs = EQS.format(noise="+ sigma * xi * ms**-0.5", extra="")
    else:
        @b2.implementation("cpp", PATH_CODE % dict(file=os.path.abspath(path_file), n=n),
                           headers=["<stdint.h>", "<stdio.h>", "<stdlib.h>", "<fcntl.h>", "<unistd.h>",
                                    "<sys/mman.h>"])
        @b2.check_units(k=1, i=1, result=1)
        def path_dw(k, i):
            raise NotImplementedError("C++ only")

        namespace["path_dw"] = path_dw
        eqs = EQS.format(noise="+ drive / ms", extra="drive : 1\ndw_step : 1\nw : 1")
    group = b2.NeuronGroup(n, eqs, method=method, threshold="v > 0", refractory="v > 0", name="neurons",
                           namespace=namespace)
    group.i_app = -2.0
    group.sigma = sigma
    group.v = -1.9
    group.vs = -1.8
    group.vus = -1.8
    if mode == "path":
        group.run_regularly(f"dw_step = path_dw(int(t / dt + 0.5), i)\ndrive = sigma * dw_step / {dt!r}\n"
                            "w += dw_step", when="start", name="path")
    monitor = b2.SpikeMonitor(group, record=False, name="spikes")
    n_steps = int(round(t_end / dt))
    b2.run(n_steps * dt * b2.ms, namespace={})
    directory = build_dir or tempfile.mkdtemp(prefix="brian2_wp_noise_")
    try:
        t0 = time.perf_counter()
        b2.device.build(directory=directory, compile=True, run=False, with_output=False)
        build_s = time.perf_counter() - t0
        runs = []
        for _ in range(repeats):
            b2.device.run(directory=directory, with_output=False)
            runs.append(float(b2.device._last_run_time))
        out = {"simulator": f"brian2 {b2.__version__} cpp_standalone", "mode": mode, "method": method, "dt": dt,
               "threads": int(threads), "build_s": round(build_s, 2), "run_s": min(runs), "runs_s": runs, "n": n,
               "n_steps": n_steps, "n_spikes": int(monitor.count[:].sum()), "cpu_count": os.cpu_count(),
               "y": [[float(x) for x in getattr(group, name)[:]] for name in ("v", "vs", "vus")]}
        if mode == "path":
            out["w"] = [float(x) for x in group.w[:]]
    finally:
        if build_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("time", "path"), default="time")
    parser.add_argument("--method", choices=("euler", "heun", "milstein"), default="euler")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--t-end", type=float, default=1000.0)
    parser.add_argument("--dt", type=float, default=0.05)
    parser.add_argument("--sigma", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=2, help="OpenMP threads (0: none)")
    parser.add_argument("--seed", type=int, default=1, help="Brian2's seed (--mode time)")
    parser.add_argument("--path-file", help="the path's increments (--mode path)")
    parser.add_argument("--build-dir", help="project folder kept between calls (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of the compiled program (the least is kept)")
    args = parser.parse_args(argv)
    if args.mode == "path" and not args.path_file:
        parser.error("--mode path needs --path-file")
    result = build_and_run(args.mode, args.method, args.n, args.t_end, args.dt, args.sigma, args.threads, args.seed,
                           args.path_file, args.build_dir, args.repeats)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
