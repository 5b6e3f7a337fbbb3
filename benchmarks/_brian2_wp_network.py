"""Brian2 C++ standalone side of the network work-precision benchmark W7 (run by the benchmark-only venv).

    bash benchmarks/setup_brian2.sh          # once: .venv-brian2 with brian2 2.9 (and GSL for gsl_rkf45)
    .venv-brian2/bin/python benchmarks/_brian2_wp_network.py NET.npz --t-end 300 --method rk4 --dt 0.05 --threads 2
    .venv-brian2/bin/python benchmarks/_brian2_wp_network.py NET.npz --t-end 300 --method gsl_rkf45 --dt 0.1 \\
        --abs-error 1e-6 --threads 1

``NET.npz`` holds the network as written by ``_baselines_network.save_network``. The model and the
synapses are those of ``_brian2_network.py`` (the bursting neuron of ``shared/MODEL.md``, current synapses
``I_post += sign * g * sigma(2 (vs_pre + 1))`` summed once per time step, one model time unit = 1 ms).
Integration: ``method="rk4"`` with the step ``--dt``, or ``method="gsl_rkf45"`` (GSL's Runge-Kutta-Fehlberg
4(5), adaptive inside every clock step ``--dt`` with the absolute error ``--abs-error`` per step and state
variable; GSL has no relative tolerance here). Either way the synaptic current is computed from the states
at the start of each clock step and held through it, and spikes are looked for at the end of each step.

Spikes, the same events as neuromorph's (``neuromorph/analysis/spikes.py``: an upward crossing of V = 0
counts only once V has been below 0 - 0.5 since the previous spike): ``threshold="v > 0"``,
``refractory="v > -0.5"`` (Brian2 leaves a boolean refractory state once the condition is false, and only
then) and no reset of the state. Located like neuromorph's fixed-step methods do, not at the grid time:
the states at the start of each step are kept (one copy per neuron and step, ``prev_states`` below), and a
spiking neuron's "reset" code finds the root of the step's cubic Hermite interpolant of V (values and slopes
at both ends, the slopes from the vector field with the step's synaptic current) by four Newton iterations
from the linear interpolate. The monitor records that time (``t_spike``) after the resets.

Prints one JSON line: ``spike_times`` (model units), ``spike_neurons``, ``run_s`` (Brian2's own timing of
the ``Network::run`` loop: no code generation, compilation, loading or saving), ``build_s`` (codegen and
compile), ``binary_s`` (the whole binary), ``n_steps``, ``neuron_steps_per_s`` (n_neurons * n_steps /
run_s), ``method``, ``dt``, ``abs_error``, ``threads``, or ``error`` (a message) when Brian2 refuses
the model or the run fails.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np



def current(v="v", vs="vs", vus="vus"):
    """The membrane current of MODEL.md's bursting neuron (leak and the four elements), as Brian2 code."""
    return f"({v} - 2*tanh({v}) + 2*tanh({vs}) - 1.5*tanh({vs} + 1.5) + 1.5*tanh({vus} + 1.5))"


HYSTERESIS = 0.5  # neuromorph's default (neuromorph.model.neuron.DEFAULT_HYSTERESIS)


def hermite_root_code(newton=4):
    """Reset code: ``t_spike`` = the root of the cubic Hermite interpolant of V over the step just taken.

    On theta in [0, 1], p(theta) = v0 + d0 theta + c2 theta^2 + c3 theta^3 with v0, v1 the voltages and
    d0, d1 = dt * dV/dt at the step's ends (c2 = 3 (v1 - v0) - 2 d0 - d1, c3 = 2 (v0 - v1) + d0 + d1); ``t`` is
    the step's start (Brian2 records a spike at the start of the step whose update crossed).
    """
    lines = [
        f"d0 = (i_app + i_syn - {current('v_prev', 'vs_prev', 'vus_prev')}) * dt / ms",
        f"d1 = (i_app + i_syn - {current()}) * dt / ms",
        "c2 = 3*(v - v_prev) - 2*d0 - d1",
        "c3 = 2*(v_prev - v) + d0 + d1",
        "th = clip(-v_prev / (v - v_prev), 0, 1)",
    ]
    for _ in range(newton):
        lines.append("th = clip(th - (v_prev + th*(d0 + th*(c2 + th*c3))) / (d0 + th*(2*c2 + 3*th*c3)), 0, 1)")
    lines.append("t_spike = (t + th * dt) / ms")
    return "\n".join(lines)


def fix_gsl_standalone():
    """Apply, in this process only, Brian2's fix of its GSL integrators in C++ standalone mode.

    Brian2 2.9.0 raises ``NotImplementedError: Implement compile_block method`` for any ``gsl_*`` method in
    ``cpp_standalone`` mode (brian-team/brian2 issue #1686): its GSL code object still derives from the generic
    ``CodeObject``. Upstream fixed it after 2.9.0 (commit 140264f9, PR #1687: derive from
    ``CPPStandaloneCodeObject``, no ``extern "C"`` on the generated ``_GSL_func``, the ``%CONSTANTS%`` slot in
    it); this does the same to the classes, not to the installed files.
    """
    from brian2.codegen.generators import GSL_generator
    from brian2.devices.cpp_standalone import GSLcodeobject
    from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject

    class FixedGSLCPPCodeGenerator(GSL_generator.GSLCPPCodeGenerator):
        syntax = {**GSL_generator.GSLCPPCodeGenerator.syntax, "start_declare": ""}

        def make_function_code(self, lines):
            code = ["\n//CONSTANTS\n%CONSTANTS%\n"
                    "\nint _GSL_func(double t, const double _GSL_y[], double f[], void * params){open_function}"
                    "\n\t_dataholder * _GSL_dataholder = {open_cast}_dataholder *{close_cast} params{end_statement}"
                    "\n\tint _idx = _GSL_dataholder{access_pointer}_idx{end_statement}", lines,
                    "\treturn GSL_SUCCESS{end_statement}{end_function}"]
            return "\n".join(code).format(**self.syntax)

    class FixedGSLCPPStandaloneCodeObject(CPPStandaloneCodeObject):
        templater = GSLcodeobject.GSLCPPStandaloneCodeObject.templater
        original_generator_class = GSLcodeobject.GSLCPPStandaloneCodeObject.original_generator_class
        generator_class = FixedGSLCPPCodeGenerator

    GSLcodeobject.GSLCPPStandaloneCodeObject = FixedGSLCPPStandaloneCodeObject


def build_and_run(net, t_end, method, step, abs_error, threads, directory=None):
    import brian2 as b2

    if method.startswith("gsl") and b2.__version__ == "2.9.0":
        fix_gsl_standalone()

    b2.set_device("cpp_standalone", directory=None, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = int(threads)
    b2.defaultclock.dt = step * b2.ms

    n = net["i_app"].size
    eqs = f"""
    dv/dt = (i_app + i_syn - {current()}) / ms : 1
    dvs/dt = (v - vs) / (50*ms) : 1
    dvus/dt = (v - vus) / (2500*ms) : 1
    i_app : 1 (constant)
    i_syn : 1
    v_prev : 1
    vs_prev : 1
    vus_prev : 1
    t_spike : 1
    """
    options = {}
    if method.startswith("gsl"):
        options = dict(method_options={"absolute_error": float(abs_error), "max_steps": 100_000})
    group = b2.NeuronGroup(n, eqs, method=method, threshold="v > 0", refractory=f"v > {-HYSTERESIS}",
                           reset=hermite_root_code(), name="neurons", **options)
    group.i_app = net["i_app"]
    group.v = net["v0"]
    group.vs = net["slow0"]
    group.vus = net["ultraslow0"]
    group.run_regularly("v_prev = v\nvs_prev = vs\nvus_prev = vus", when="start", name="prev_states")
    synapses = b2.Synapses(group, group, "w : 1 (constant)\ni_syn_post = w / (1 + exp(-2*(vs_pre + 1))) : 1 (summed)",
                           name="synapses")
    synapses.connect(i=net["pre"].astype(np.int32), j=net["post"].astype(np.int32))
    synapses.w = net["sign"] * net["g"]
    monitor = b2.SpikeMonitor(group, variables=["t_spike"], when="end", name="spikes")

    n_steps = int(round(t_end / step))
    b2.run(n_steps * step * b2.ms)

    own_dir = directory is None
    directory = directory or tempfile.mkdtemp(prefix="brian2_wp_")
    try:
        t0 = time.perf_counter()
        b2.device.build(directory=directory, compile=True, run=False, with_output=False)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        b2.device.run(directory=directory, with_output=False)
        binary_s = time.perf_counter() - t0
        run_s = float(b2.device._last_run_time)
        times = np.asarray(monitor.t_spike[:], dtype=float)
        neurons = np.asarray(monitor.i[:], dtype=np.int64)
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)
    order = np.lexsort((neurons, times))
    return {
        "simulator": f"brian2 {b2.__version__} cpp_standalone",
        "method": method,
        "dt": step,
        "abs_error": abs_error if method.startswith("gsl") else None,
        "threads": int(threads),
        "build_s": round(build_s, 3),
        "run_s": run_s,
        "binary_s": round(binary_s, 4),
        "n_neurons": int(n),
        "n_steps": n_steps,
        "neuron_steps_per_s": n * n_steps / run_s,
        "spike_times": times[order].tolist(),
        "spike_neurons": neurons[order].tolist(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", help=".npz with pre, post, sign, g, i_app, v0, slow0, ultraslow0")
    parser.add_argument("--t-end", type=float, required=True, help="simulated time (model units)")
    parser.add_argument("--method", choices=("rk4", "gsl_rkf45"), default="rk4")
    parser.add_argument("--dt", type=float, default=0.05, help="clock step (model units)")
    parser.add_argument("--abs-error", type=float, default=1e-6, help="gsl_rkf45's absolute error per step")
    parser.add_argument("--threads", type=int, default=1, help="prefs.devices.cpp_standalone.openmp_threads")
    parser.add_argument("--directory", default=None, help="build directory, kept (default: a temporary one)")
    args = parser.parse_args(argv)
    with np.load(args.network) as data:
        net = {key: data[key] for key in ("pre", "post", "sign", "g", "i_app", "v0", "slow0", "ultraslow0")}
    try:
        result = build_and_run(net, args.t_end, args.method, args.dt, args.abs_error, args.threads, args.directory)
    except Exception as exc:  # noqa: BLE001 (reported to the driver, which prints why)
        result = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500], "method": args.method}
    result["cpu_count"] = os.cpu_count()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
