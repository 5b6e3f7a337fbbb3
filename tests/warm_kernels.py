"""Compile (or load) every numba kernel the test suite uses, once, before its worker processes start.

``bash .ci/bootstrap test`` runs this first: two processes, each compiling half of the kernels, so that the
suite's two pytest workers then load every kernel from the cache instead of both compiling the same ones at
the same time on their first tests (numba writes a kernel to its cache only once it is compiled). The time it
takes is part of the test command's time. Run by hand: ``.venv/bin/python tests/warm_kernels.py``.
"""

import subprocess
import sys
import time

GROUPS = {
    "adaptive": """
import neuromorph as nm
n = nm.preset("bursting")
n.simulate(100, -2.0)
n.simulate(100, -2.0, method="rosenbrock23")
nm.estimate(n, n.simulate(500, -2.0, dt_out=0.05), i_app=-2.0, method="observer")
""",
    "fixed": """
import neuromorph as nm
n = nm.preset("bursting")
n.simulate(100, -2.0, method="rk4", dt=0.05)
nm.Ensemble(n, params={"i_app": [-2.0, -1.9]}).simulate(100, dt=0.05)
""",
}


def main():
    started = time.perf_counter()
    procs = {name: subprocess.Popen([sys.executable, "-c", code]) for name, code in GROUPS.items()}
    failed = [name for name, proc in procs.items() if proc.wait() != 0]
    if failed:
        print(f"warm_kernels: {', '.join(failed)} failed", file=sys.stderr)
        return 1
    print(f"kernels ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
