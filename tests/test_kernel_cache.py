"""Compiled kernels from older sources are never reused.

numba invalidates a cached function only when its own file changes, not when a function it
inlines from another file does, so ``neuromorph._kernels`` keeps a digest of its sources next to
the cache and drops the cached kernels when it differs. The digest must sit in the folder where
numba really keeps them: with ``NUMBA_CACHE_DIR`` set, that is ``<dir>/_kernels_<sha1 of the
source folder>``, not a mirror of the source tree.
"""

import os
import subprocess
import sys

COMPILE_ONE = ("import numpy as np\n"
               "from neuromorph._kernels import common\n"
               "assert common.crossing(np.zeros((5, 1)), 0, 0.5) == 1.0\n")


def _python(code, cache_dir):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr


def test_kernels_cached_under_numba_cache_dir_are_dropped_when_the_sources_change(tmp_path):
    _python(COMPILE_ONE, tmp_path)
    cached = sorted(tmp_path.rglob("*.nbi"))
    assert cached, "the kernel was not cached under NUMBA_CACHE_DIR"
    folder = cached[0].parent
    marker = folder / "neuromorph-kernels.sha256"
    assert marker.is_file(), f"no source digest next to the cached kernels in {folder}"
    digest = marker.read_text()
    assert len(digest) == 64

    marker.write_text("sources of an older version")  # as if a kernel source had changed since
    _python("import neuromorph._kernels", tmp_path)
    assert not list(folder.glob("*.nbi")) and not list(folder.glob("*.nbc")), "stale kernels were kept"
    assert marker.read_text() == digest

    _python(COMPILE_ONE, tmp_path)  # compiled again and kept while the sources stay the same
    _python("import neuromorph._kernels", tmp_path)
    assert list(folder.glob("*.nbi"))


def test_one_compiled_version_of_each_kernel_serves_every_kind_of_run():
    """Every call site passes the same types (C-contiguous float64 and int64 arrays, the same
    namedtuples, ``bool`` flags rather than literals), so one compiled version of each kernel
    serves all runs: a second specialisation would add its whole compile time to a first run.

    The kernels' own helpers are checked too where this session compiled them (a cold cache, as
    in CI): a literal ``False`` or ``0`` at one call site and a variable at another once compiled
    the vector field twice.
    """
    import neuromorph as nm
    from neuromorph._kernels import adaptive, field, fixed, lanes, rng

    bursting, hco = nm.preset("bursting"), nm.preset("hco")
    for method in ("dopri5", "rosenbrock23", "rk4"):
        kw = {"dt": 0.05} if method == "rk4" else {}
        bursting.simulate(100, -2.0, method=method, **kw)
        bursting.simulate(100, -2.0 + nm.Pulse(start=20, stop=40, amplitude=-0.5), method=method,
                          t_eval=[0.0, 50.0, 100.0], record=["v"], **kw)
        hco.simulate(100, method=method, save_every=3, **kw)
    integ = nm.Integrator(bursting, i_app=-2.0, y0=[-1.9, -1.8, -1.8])
    integ.advance(50)
    integ.set_parameter("slow_negative.alpha", -1.2)
    integ.advance(100)
    bursting.simulate(100, -2.0, method="sra1", dt=0.05, noise=[nm.WhiteNoise(0.05), nm.OUProcess(0.0, 0.1, 10.0)],
                      seed=1)
    ens = nm.Ensemble(bursting, params={"i_app": [-2.0, -1.5, -1.0]})
    ens.simulate(t_end=100, dt=0.05, save_every=10)
    ens.simulate(t_end=100, dt=0.05, noise=nm.WhiteNoise(0.05), seed=2, trials=[0, 1, 2],
                 mismatch=nm.Mismatch(gain=0.05))
    nm.Ensemble(hco, params={"n1_to_n2.g": [0.1, 0.2]}).simulate(t_end=100, dt=0.05, method="euler")

    for kernel in (adaptive.dopri5_run, adaptive.rosenbrock23_run, fixed.fixed_run, lanes.lanes_run):
        assert len(kernel.signatures) == 1, f"{kernel.py_func.__name__}: {kernel.signatures}"
    for helper in (field.rhs, field.rhs_call, field.stim_value, field._segment, field.jacobian, lanes._lane_increments,
                   rng.tag):
        # (a network of like neurons, run by another test in this process, passes its own model type)
        general = [sig for sig in helper.signatures if "UniformModel" not in str(sig)]
        assert len(general) <= 1, f"{helper.py_func.__name__}: {helper.signatures}"


def test_a_small_model_runs_the_serial_fixed_step_kernel():
    """The threaded kernel (compiled with ``parallel=True``, slow to compile) is for large models only."""
    import neuromorph as nm
    from neuromorph._kernels import fixed

    small = nm.Integrator(nm.hco(), solver=nm.get_solver("rk4", dt=0.05))
    assert small._kernel is fixed.fixed_run


NOTICE = ("import numpy as np\n"
          "from neuromorph._kernels import common, notice\n"
          "notice.KERNELS['crossing'] = ('test kernel', 1)\n"
          "assert common.crossing(np.zeros((5, 1)), 0, 0.5) == 1.0\n")


def test_a_compile_is_announced_on_stderr_and_a_cache_load_is_not(tmp_path):
    """First run: one line on stderr saying what is compiled and about how long it takes. A
    warm run, which loads the kernel from numba's cache, says nothing. (A small kernel stands in
    for the solvers, which compile for ~15 s.)"""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", NOTICE], env=env, capture_output=True, text=True, timeout=300,
                           check=True) for _ in range(2)]
    assert runs[0].stderr == "neuromorph: compiling the test kernel with numba (first run only, ~1 s)...\n"
    assert runs[1].stderr == ""


def test_every_solver_kernel_is_announced():
    from neuromorph._kernels import adaptive, fixed, lanes, notice, observer_lanes

    kernels = [*adaptive.KERNELS.values(), fixed.fixed_run, fixed.fixed_run_threads, fixed.fixed_run_uniform,
               fixed.fixed_run_uniform_threads, lanes.lanes_run,
               observer_lanes.observer_lanes]
    assert sorted(k.py_func.__name__ for k in kernels) == sorted(notice.KERNELS)


HOLD = ("import fcntl, sys\n"
        "from neuromorph._kernels import notice\n"
        "lock = open(notice.lock_path('crossing'), 'a'); fcntl.flock(lock, fcntl.LOCK_EX)\n"
        "print('held', flush=True); sys.stdin.readline()\n")
WAIT = ("import numpy as np\n"
        "from neuromorph._kernels import common, notice\n"
        "notice.KERNELS['crossing'] = ('test kernel', 1)\n"
        "notice.ready(common.crossing, (np.zeros((5, 1)), 0, 0.5), on_wait=lambda: print('waiting', flush=True))\n"
        "assert common.crossing(np.zeros((5, 1)), 0, 0.5) == 1.0\n")


def test_a_process_waits_for_another_compiling_the_same_kernel(tmp_path):
    """While one process holds a kernel's compile lock (as it does while compiling it), another that needs
    the kernel waits and does not compile; once the lock is free it goes on (here compiling it itself, as
    the holder compiled nothing: with a real compile it would load the holder's cache)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLD], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        waiter = subprocess.Popen([sys.executable, "-c", WAIT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        assert waiter.stdout.readline() == "waiting\n"  # its on_wait: the lock was busy
        assert waiter.poll() is None  # and it is blocked on it
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert waiter.wait(timeout=300) == 0
        assert waiter.stderr.read() == "neuromorph: compiling the test kernel with numba (first run only, ~1 s)...\n"
    finally:
        holder.kill()
        holder.wait()
