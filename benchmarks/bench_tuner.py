"""The tuner's frame rate and slider latency in a real window (TkAgg).

Ours: frames of the bursting neuron at 20 000 simulated time units per second (30 fps target):
each frame integrates 667 time units with the accurate solver and blits the trace over the saved
background. Baseline, side by side: the same frames with a full redraw of the figure each frame
(what a plain matplotlib animation does). Also: slider move to redrawn I-V curves on screen (the
I-V analysis with equilibria, the slider's row and the I-V axes redrawn and blitted, Tk's events
flushed), median over 21 moves in each of 3 rounds.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_tuner.py   # without a display
"""

import os
import statistics
import sys
import time

import matplotlib

matplotlib.use("TkAgg")
import matplotlib.pyplot as plt  # noqa: E402

from _common import machine  # noqa: E402

import neuromorph as nm  # noqa: E402

FRAMES = 150


def frames(tuner, full, out=None):
    times = []
    for _ in range(FRAMES):
        started = time.perf_counter()
        tuner.advance(1)
        if full:
            tuner.figure.canvas.draw()
        else:
            tuner.refresh()
        tuner.figure.canvas.flush_events()
        times.append(time.perf_counter() - started)
    if out is not None:
        out.extend(times)
    return statistics.median(times)


def main():
    if not os.environ.get("DISPLAY"):
        sys.exit("needs a display: run under xvfb-run (see the docstring)")
    tuner = nm.tune("bursting", speed=20_000.0, fps=30.0, show=False)
    plt.show(block=False)
    plt.pause(0.5)
    tuner.advance(30)
    tuner.refresh()
    every = []
    rounds = [(frames(tuner, full=False, out=every), frames(tuner, full=True)) for _ in range(3)]
    p95 = sorted(every)[int(0.95 * len(every))]
    blit = statistics.median(r[0] for r in rounds)
    full = statistics.median(r[1] for r in rounds)
    slider = tuner.sliders["slow_negative.delta"]
    move_rounds = []
    for _ in range(3):
        moves = []
        for i in range(21):
            started = time.perf_counter()
            slider.set_val(-1.5 + 0.02 * (i % 5))
            tuner.refresh()
            tuner.figure.canvas.flush_events()
            moves.append(time.perf_counter() - started)
        move_rounds.append(statistics.median(moves))
        frames(tuner, full=False)  # the simulation runs between rounds, as it does between drags
    move = statistics.median(move_rounds)
    units_per_frame = tuner.speed / tuner.fps
    print(f"machine: {machine()}, backend {matplotlib.get_backend()}")
    print(f"frame (integrate {units_per_frame:.0f} time units + blit the trace; the status line every "
          f"0.2 s): median {blit * 1e3:.1f} ms, 95th percentile {p95 * 1e3:.1f} ms -> {1 / p95:.0f} frames/s "
          f"sustained, {units_per_frame / p95:.0f} time units/s")
    print(f"baseline frame with a full redraw: median {full * 1e3:.1f} ms -> {1 / full:.1f} frames/s; "
          f"ratio {full / blit:.1f}x")
    print(f"slider move to redrawn I-V curves (I-V analysis, equilibria, the slider's row and the curves "
          f"blitted): median {move * 1e3:.1f} ms (rounds: {', '.join(f'{m * 1e3:.1f}' for m in move_rounds)} ms)")
    plt.close("all")


if __name__ == "__main__":
    main()
