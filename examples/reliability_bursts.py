"""
Reliable burst timing
=====================

Reliable burst timing: the bursting neuron under a frozen fluctuating drive (the protocol of the
public reliability figures: an OU current with tau 200 and sigma 0.19 around -2.6), against the same kind of
fluctuation drawn afresh in every trial.

At -2.6 the neuron is silent under a constant current: its bursts are made by the
fluctuations (rebounds from their troughs). When the fluctuation is the same in every trial
(frozen), burst onsets line up across trials and chips and the spikes per burst repeat; when
each trial gets its own (an OU process of the same mean, sigma and tau as intrinsic noise),
they do not. Chips differ by 5 % in gains, 0.02 in offsets and 2 % in time constants; a small
white current noise is fresh in every trial in both cases.

Run it as a script (writes examples/figures/reliability_bursts.png)::

    python examples/reliability_bursts.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import neuromorph as nm  # noqa: E402

DC = -2.6
frozen = nm.OUProcess(mean=DC, sigma=0.19, tau=200, seed=2)
study = dict(trials=8, chips=4, mismatch=nm.Mismatch(gain=0.05, offset=0.02, tau=0.02),
             t_end=20_000, dt=0.05, seed=11, t_record=2_000)

fresh = [nm.WhiteNoise(0.03), nm.OUProcess(mean=0.0, sigma=0.19, tau=200)]  # a new fluctuation in every trial
fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True, layout="constrained")
for ax, (label, drive, noise) in zip(axes, (("frozen fluctuating drive", frozen, 0.03),
                                            ("fluctuation fresh in every trial", DC, fresh))):
    rel = nm.reliability("bursting", drive, intrinsic=noise, **study)
    m = rel.metrics(burst_window=300.0)
    print(f"{label:33s} burst-onset jitter {m['burst_onset_jitter']:7.1f}, spikes-per-burst spread "
          f"{m['spikes_per_burst_spread']:.2f}, spike reliability {m['schreiber']:.2f}")
    row = 0
    for c, chip in enumerate(rel.spike_times):
        for spikes in chip:
            ax.vlines(spikes, row + 0.1, row + 0.9, color=f"C{c}", lw=0.6)
            row += 1
    ax.set_ylim(row, 0)
    ax.set_ylabel("chip x trial")
    ax.set_title(f"{label}: burst-onset jitter {m['burst_onset_jitter']:.0f}, spikes-per-burst spread "
                 f"{m['spikes_per_burst_spread']:.2f}")
axes[-1].set_xlabel("time (membrane time constants)")
if "__file__" in globals():  # a script writes the figure; the gallery, which sets no __file__, shows it
    out = Path(__file__).resolve().parent / "figures" / "reliability_bursts.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
