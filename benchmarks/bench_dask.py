"""A 64 x 64 behaviour map on a local 2-worker Dask cluster against the in-process engine (issue #12:
within 15 %), measured side by side in one run, plus the per-chunk overhead of the Dask path.

Ours: ``behaviour_map(..., client=...)`` on a LocalCluster of 2 worker processes with 1 thread each
(the cluster started and its kernels loaded before the clock starts; its start-up is printed apart).
Baseline: the same map in-process on 2 threads (``behaviour_map`` without a client). Both include
the I-V predictions (computed in the calling process in both). Rounds alternate the two; the
figure is the median of the per-round ratios.

Per-chunk overhead: a study of many tiny chunks (one member, 10 time units each) on the cluster
and in-process; (Dask time - in-process time) / chunks.

    .venv/bin/python benchmarks/bench_dask.py [--rounds 3]
"""

import argparse
import statistics
import time

from _common import machine

import neuromorph as nm
from neuromorph.studies.sweep import Study, default_chunk_size, run_study

AXES = dict(x=("i_app", -3.0, 0.0, 64), y=("slow_negative.alpha", -3.0, 0.0, 64), t_end=20_000)


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def main():
    import distributed

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = nm.preset("bursting")
    nm.behaviour_map(n, x=("i_app", -2.0, -1.0, 2), t_end=100)  # load the kernels here
    startup, (cluster, client) = timed(lambda: (lambda c: (c, distributed.Client(c)))(
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")))
    warm, _ = timed(lambda: nm.behaviour_map(n, x=("i_app", -2.0, -1.0, 2), t_end=100, client=client))
    size = default_chunk_size(Study(n, grid={"slow_negative.alpha": "-3:0:64", "i_app": "-3:0:64"},
                                    method="dopri5"), 2)
    ratios, ours, base = [], [], []
    for _ in range(args.rounds):
        t_local, m_local = timed(lambda: nm.behaviour_map(n, **AXES))
        t_dask, m_dask = timed(lambda: nm.behaviour_map(n, client=client, **AXES))
        assert (m_local.patterns == m_dask.patterns).all()
        ratios.append(t_dask / t_local)
        ours.append(t_dask)
        base.append(t_local)
        print(f"  round: in-process {t_local:.2f} s, Dask {t_dask:.2f} s, ratio {t_dask / t_local:.3f}", flush=True)
    tiny = Study("tonic", grid={"i_app": [-0.7 + 1e-3 * k for k in range(64)]}, t_end=10.0, method="dopri5")
    t_tiny_local = statistics.median(timed(lambda: run_study(tiny, chunk_size=1))[0] for _ in range(3))
    t_tiny_dask = statistics.median(timed(lambda: run_study(tiny, chunk_size=1, client=client))[0] for _ in range(3))
    client.close()
    cluster.close()
    print(f"machine: {machine()}")
    print(f"64 x 64 behaviour map of the bursting neuron, 20 000 time units per cell (DP5), I-V predictions included")
    print(f"  in-process (2 threads)                 : median {statistics.median(base):.2f} s")
    print(f"  LocalCluster, 2 workers x 1 thread     : median {statistics.median(ours):.2f} s "
          f"(default chunk {size} cells, {-(-4096 // size)} chunks)")
    print(f"  ratio Dask / in-process: median {statistics.median(ratios):.3f} (rounds "
          + ", ".join(f"{r:.3f}" for r in ratios) + "); target <= 1.15")
    print(f"  cluster start-up {startup:.1f} s, first task (workers load the kernels) {warm:.1f} s: not in the ratio")
    print(f"  per-chunk overhead: {1e3 * (t_tiny_dask - t_tiny_local) / 64:.1f} ms "
          f"(64 one-member chunks: Dask {t_tiny_dask:.2f} s, in-process {t_tiny_local:.2f} s)")


if __name__ == "__main__":
    main()
