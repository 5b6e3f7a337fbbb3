"""CPU time of one run of each adaptive method, for comparing two versions of the code on a busy machine.

Median over ``repeats`` runs of ``time.process_time`` (CPU time, so that waiting for a core shared
with other work does not count) of: the bursting preset over 10 000 time units at I_app = -2 with
Dormand-Prince and with Rosenbrock 2(3), and the half-centre oscillator over 5 000 with
Dormand-Prince. To compare two versions, alternate processes (warm numba cache) and take the
median of the per-round medians (see ``BENCHMARKS.md``):

    for round in $(seq 10); do for tree in /path/to/old /path/to/new; do
      echo "== $round $tree"; PYTHONPATH=$tree .venv/bin/python benchmarks/bench_adaptive.py 40
    done; done
"""

import sys
import time

import numpy as np

import neuromorph as nm


def main(repeats):
    bursting, hco = nm.preset("bursting"), nm.preset("hco")
    runs = {
        "dopri5 bursting": lambda: bursting.simulate(10_000, -2.0),
        "rosenbrock23 bursting": lambda: bursting.simulate(10_000, -2.0, method="rosenbrock23"),
        "dopri5 hco": lambda: hco.simulate(5_000),
    }
    for name, run in runs.items():
        steps = run().stats.n_steps
        times = []
        for _ in range(repeats):
            started = time.process_time()
            run()
            times.append(time.process_time() - started)
        q1, median, q3 = np.percentile(times, [25, 50, 75]) * 1e3
        print(f"{name}: median {median:.3f} ms (quartiles {q1:.3f}-{q3:.3f}) CPU, {steps} steps")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
