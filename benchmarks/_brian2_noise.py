"""Brian2 C++ standalone side of the noise benchmark (run by the benchmark-only venv).

    bash benchmarks/setup_brian2.sh                       # once: .venv-brian2 with brian2 2.9
    .venv-brian2/bin/python benchmarks/_brian2_noise.py --n 1000 --t-end 10000 --dt 0.05 --sigma 0.05 --threads 2

1000 independent bursting neurons (the preset's elements, I_app = -2) with additive white
current noise ``sigma xi`` (Brian2's ``xi``, integrated by method "euler", i.e. Euler-Maruyama),
time in ms as the model's unit. Prints one JSON line; ``run_s`` is the simulation loop alone
(Brian2's own timer), without code generation and compilation.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time


def build_and_run(n, t_end, dt, sigma, threads, seed):
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=None, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = int(threads)
    b2.defaultclock.dt = dt * b2.ms
    b2.seed(seed)
    eqs = """
    dv/dt = (i_app - (v - 2*tanh(v) + 2*tanh(vs) - 1.5*tanh(vs + 1.5) + 1.5*tanh(vus + 1.5))) / ms
            + sigma * xi * ms**-0.5 : 1
    dvs/dt = (v - vs) / (50*ms) : 1
    dvus/dt = (v - vus) / (2500*ms) : 1
    i_app : 1 (constant)
    sigma : 1 (constant)
    """
    group = b2.NeuronGroup(n, eqs, method="euler", threshold="v > 0", refractory="v > 0", name="neurons")
    group.i_app = -2.0
    group.sigma = sigma
    group.v = -1.9
    group.vs = -1.9
    group.vus = -1.9
    monitor = b2.SpikeMonitor(group, record=False, name="spikes")
    n_steps = int(round(t_end / dt))
    b2.run(n_steps * dt * b2.ms)
    directory = tempfile.mkdtemp(prefix="brian2_noise_")
    try:
        t0 = time.perf_counter()
        b2.device.build(directory=directory, compile=True, run=False, with_output=False)
        build_s = time.perf_counter() - t0
        b2.device.run(directory=directory, with_output=False)
        run_s = float(b2.device._last_run_time)
        n_spikes = int(monitor.count[:].sum())
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {"simulator": f"brian2 {b2.__version__} cpp_standalone", "threads": int(threads), "build_s": round(build_s, 2),
            "run_s": run_s, "n": n, "n_steps": n_steps, "neuron_steps_per_s": n * n_steps / run_s,
            "n_spikes": n_spikes, "cpu_count": os.cpu_count()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--t-end", type=float, default=10_000.0)
    parser.add_argument("--dt", type=float, default=0.05)
    parser.add_argument("--sigma", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=2, help="OpenMP threads (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = build_and_run(args.n, args.t_end, args.dt, args.sigma, args.threads, args.seed)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
