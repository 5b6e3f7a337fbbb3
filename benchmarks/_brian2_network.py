"""Brian2 C++ standalone side of the network benchmark (run by the benchmark-only venv).

    bash benchmarks/setup_brian2.sh                       # once: .venv-brian2 with brian2 2.9
    .venv-brian2/bin/python benchmarks/_brian2_network.py NET.npz --t-end 1000 --dt 0.05 --threads 2

``NET.npz`` holds the network as written by ``_baselines_network.save_network`` (arrays ``pre``,
``post``, ``sign``, ``g`` per synapse; ``i_app``, ``v0``, ``slow0``, ``ultraslow0`` per neuron).
The model is the bursting neuron of ``shared/MODEL.md`` with current synapses
(``I_post += sign * g * sigma(2 (vs_pre + 1))``), all variables dimensionless; Brian2 needs a
time unit, so one model time unit is 1 ms here (``dt`` and ``--t-end`` are in model units).
Integration: Brian2's ``method="rk4"`` with a fixed ``dt``.

Prints one JSON line: codegen+compile seconds (``build_s``, of which ``make_s`` is the
compiler), the simulation proper (``run_s``: Brian2's own timing of the ``Network::run`` loop,
excluding loading and saving arrays; ``binary_s`` is the wall time of the whole binary),
``n_neurons``, ``n_synapses``, ``n_steps``, ``neuron_steps_per_s`` (n_neurons * n_steps / run_s),
``n_spikes``, ``threads``.

Spikes: ``threshold="v > 0"`` with ``refractory="v > 0"`` and no reset. Brian2 leaves a
boolean refractory condition only when it turns false (``not_refractory = not_refractory or not
(v > 0)``, after each state update), so a neuron spikes at the first grid step with v > 0 and
not again until v has been <= 0: the count is the number of upward crossings of v = 0 on the
``dt`` grid (no interpolation; a spike that crosses and recrosses within one step is missed).

Coupling within a step: Brian2 computes a ``(summed)`` variable (here ``i_syn``) once per time
step, by a code object scheduled just before the target group's state updater, from the states
at the start of the step; its RK4 state updater then holds ``i_syn`` constant through the four
stages. An integrator that evaluates the coupling at every RK stage (from the stage states of
the presynaptic neurons) integrates the coupled system with RK4's fourth order; Brian2's scheme
is first order in the coupling term (an operator-splitting error O(dt) in the synaptic current,
small here because the synapse reads the slow filter, tau = 50 >> dt). Trajectories therefore
differ slightly from a fully coupled RK4 at the same dt, and so can grid spike counts; compare
spike counts loosely, not spike times exactly.

``--activation neuron`` computes sigma(2 (vs + 1)) once per neuron and step (a ``run_regularly``
operation before the groups, read as ``s_pre`` by the synapses), instead of once per synapse
(``--activation synapse``, the plain formulation): same values, n instead of n * k exponentials;
it makes no measurable difference here (the 16 tanh per neuron and step dominate).

Measured on the 2-core reference machine (``random_network(10_000, 10, seed=0)``, dt 0.05,
t_end 100 = 2000 steps, 2e7 neuron-steps): compile ~5-15 s; serial (``--threads 0``) 7.2-10.8 s,
i.e. 1.9-2.8e6 neuron-steps/s; one OpenMP thread about the same; two threads 4.6-6.6 s
(3.0-4.3e6/s) on an otherwise idle machine. The machine's speed drifts by ~30 % over minutes,
and OpenMP with two threads collapses (5x slower) when anything else takes a core: compare
interleaved runs on a quiet machine. Spikes: 93 up to t = 100, 25 935 up to t = 2000 (a NumPy
RK4 with the same once-per-step coupling gives the same counts; with per-stage coupling 93 and
25 936). The HCO of MODEL.md gives 205 spikes over t = 0..30000 (the DOP853 reference: 104 + 101).
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np


def build_and_run(net, t_end, dt, threads, activation="synapse", directory=None, keep=False):
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=None, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = int(threads)
    b2.defaultclock.dt = dt * b2.ms

    n = net["i_app"].size
    eqs = """
    dv/dt = (i_app + i_syn - (v - 2*tanh(v) + 2*tanh(vs) - 1.5*tanh(vs + 1.5) + 1.5*tanh(vus + 1.5))) / ms : 1
    dvs/dt = (v - vs) / (50*ms) : 1
    dvus/dt = (v - vus) / (2500*ms) : 1
    i_app : 1 (constant)
    i_syn : 1
    """
    if activation == "neuron":
        eqs += "s : 1\n"
    group = b2.NeuronGroup(n, eqs, method="rk4", threshold="v > 0", refractory="v > 0",
                           name="neurons")
    group.i_app = net["i_app"]
    group.v = net["v0"]
    group.vs = net["slow0"]
    group.vus = net["ultraslow0"]
    if activation == "neuron":
        group.s = 1.0 / (1.0 + np.exp(-2.0 * (net["slow0"] + 1.0)))
        group.run_regularly("s = 1 / (1 + exp(-2*(vs + 1)))", when="before_groups", name="activation")
        syn_eqs = "w : 1 (constant)\ni_syn_post = w * s_pre : 1 (summed)"
    elif activation == "synapse":
        syn_eqs = "w : 1 (constant)\ni_syn_post = w / (1 + exp(-2*(vs_pre + 1))) : 1 (summed)"
    else:
        raise ValueError(f"activation must be 'synapse' or 'neuron', got {activation!r}")
    synapses = b2.Synapses(group, group, syn_eqs, name="synapses")
    synapses.connect(i=net["pre"].astype(np.int32), j=net["post"].astype(np.int32))
    synapses.w = net["sign"] * net["g"]
    monitor = b2.SpikeMonitor(group, record=False, name="spikes")

    n_steps = int(round(t_end / dt))
    b2.run(n_steps * dt * b2.ms)

    own_dir = directory is None
    directory = directory or tempfile.mkdtemp(prefix="brian2_network_")
    try:
        t0 = time.perf_counter()
        b2.device.build(directory=directory, compile=True, run=False, with_output=False)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        b2.device.run(directory=directory, with_output=False)
        binary_s = time.perf_counter() - t0
        run_s = float(b2.device._last_run_time)
        n_spikes = int(np.sum(monitor.count[:]))
        make_s = b2.device.timers["compile"].get("make")
    finally:
        if own_dir and not keep:
            shutil.rmtree(directory, ignore_errors=True)
    return {
        "simulator": f"brian2 {b2.__version__} cpp_standalone",
        "activation": activation,
        "threads": int(threads),
        "build_s": round(build_s, 3),
        "make_s": None if make_s is None else round(make_s, 3),
        "run_s": round(run_s, 4),
        "binary_s": round(binary_s, 4),
        "n_neurons": int(n),
        "n_synapses": int(net["pre"].size),
        "dt": dt,
        "t_end": n_steps * dt,
        "n_steps": n_steps,
        "neuron_steps_per_s": n * n_steps / run_s,
        "n_spikes": n_spikes,
        "directory": directory if (keep or not own_dir) else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", help=".npz with pre, post, sign, g, i_app, v0, slow0, ultraslow0")
    parser.add_argument("--t-end", type=float, required=True, help="simulated time (model units)")
    parser.add_argument("--dt", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=0,
                        help="prefs.devices.cpp_standalone.openmp_threads (0: no OpenMP, one thread)")
    parser.add_argument("--activation", choices=("synapse", "neuron"), default="synapse")
    parser.add_argument("--directory", default=None, help="build directory (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary build directory")
    args = parser.parse_args(argv)
    with np.load(args.network) as data:
        net = {key: data[key] for key in ("pre", "post", "sign", "g", "i_app", "v0", "slow0", "ultraslow0")}
    result = build_and_run(net, args.t_end, args.dt, args.threads, args.activation, args.directory, args.keep)
    result["cpu_count"] = os.cpu_count()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
