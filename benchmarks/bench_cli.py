"""``neuromorph simulate circuits/bursting.toml`` as a whole process, warm and cold numba cache.

Baseline: a plain Python process that imports NumPy and SciPy and integrates the same model with
solve_ivp RK45 (rtol 1e-3), i.e. the reference script users run today. Cold cache: a fresh
NUMBA_CACHE_DIR, so the kernels are compiled (the first-run cost).

    python benchmarks/bench_cli.py
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine

ROOT = Path(__file__).resolve().parents[1]
CIRCUIT = ROOT / "circuits" / "bursting.toml"
NEUROMORPH = [sys.executable, "-m", "neuromorph", "simulate", str(CIRCUIT)]
BASELINE = [sys.executable, "-c", (
    "import math; from scipy.integrate import solve_ivp\n"
    "def f(t, y):\n"
    "    v, s, u = y\n"
    "    c = v - 2*math.tanh(v) + 2*math.tanh(s) - 1.5*math.tanh(s+1.5) + 1.5*math.tanh(u+1.5)\n"
    "    return [-2.0 - c, (v - s)/50.0, (v - u)/2500.0]\n"
    "r = solve_ivp(f, (0, 10000), [-1.9, -1.8, -1.8], rtol=1e-3, atol=1e-6, events=lambda t, y: y[0])\n"
    "print(len(r.t_events[0]))\n")]


def wall(cmd, env=None, repeats=9):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    env = dict(os.environ)
    subprocess.run(NEUROMORPH, check=True, stdout=subprocess.DEVNULL)  # warm the cache
    warm = wall(NEUROMORPH)
    base = wall(BASELINE)
    with tempfile.TemporaryDirectory() as cache:
        cold = wall(NEUROMORPH, env=dict(env, NUMBA_CACHE_DIR=cache), repeats=1)
    print(f"machine: {machine()}")
    print(f"  baseline scipy script (process)        : {base:6.2f} s")
    print(f"  neuromorph simulate, warm numba cache  : {warm:6.2f} s   (target <= 1.5 s; x{base / warm:4.2f} vs baseline)")
    print(f"  neuromorph simulate, cold cache (compile): {cold:6.2f} s   (first run only)")


if __name__ == "__main__":
    main()
