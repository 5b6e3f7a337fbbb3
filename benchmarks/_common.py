"""Timing helpers shared by the benchmark scripts: medians over repeats, on a noisy shared machine."""

import os
import platform
import time

import numpy as np


def median_time(fn, repeats=15, warmup=1):
    """Median and quartiles (seconds) of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return med, q1, q3


def machine():
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def fmt(seconds):
    return f"{seconds * 1e3:9.3f} ms" if seconds < 1 else f"{seconds:9.3f} s "


def interleaved_ratio(ours, baseline, rounds=15, ours_per_round=5):
    """Median over rounds of baseline time / our time, both measured back to back in each round.

    On a shared machine whose speed drifts over minutes, per-round ratios cancel the drift.
    Returns (median ratio, median our time, median baseline time).
    """
    ours()
    baseline()
    ratios, t_ours, t_base = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(ours_per_round):
            ours()
        t1 = time.perf_counter()
        baseline()
        t2 = time.perf_counter()
        mine = (t1 - t0) / ours_per_round
        ratios.append((t2 - t1) / mine)
        t_ours.append(mine)
        t_base.append(t2 - t1)
    return float(np.median(ratios)), float(np.median(t_ours)), float(np.median(t_base))


def print_rounds(rows, baseline, note="median of per-round ratios"):
    """Print each label's median time over rounds and the median of the per-round ratios ``baseline / it``.

    ``rows`` maps a label to its time (seconds) in each round; ``baseline`` is one of its labels.
    """
    base = np.array(rows[baseline])
    width = max(len(label) for label in rows)
    for label, times in rows.items():
        times = np.array(times)
        print(f"  {label:{width}s} {fmt(float(np.median(times)))}   {baseline} / this "
              f"{float(np.median(base / times)):6.1f}x ({note})")
