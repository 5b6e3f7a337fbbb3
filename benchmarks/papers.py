"""Every "ours" number of docs/papers.md ("Reproducing the papers"), measured and printed (issue 20).

The page compares neuromorph with the figures and statements of the papers it implements and with
the public scripts of their authors. This script recomputes our side of each comparison: switching
currents and gains found by bisection on simulations against the ones the I-V curves predict, the
behaviours of the authors' published parameter sets, the transistor-level circuit against the model
(when ngspice is installed) and the reliability and switching experiments of the examples.

Run from the repository root (about 30 s once numba's caches are warm; the first run compiles)::

    python benchmarks/papers.py

Everything is dimensionless (time in membrane time constants); a pattern is the settled one over
the second half of a 40 000-unit run unless a row says otherwise.
"""

import math
import shutil
import time

import numpy as np

import neuromorph as nm
from neuromorph.analysis.reliability import burst_onsets, events

T_END = 40_000.0
SETTLED = 20_000.0


def pattern(neuron, i_app):
    """Settled firing pattern of ``neuron`` at a constant ``i_app``."""
    return neuron.simulate(T_END, i_app, record=()).summary(t_start=SETTLED)["pattern"]


def bisect(f, lo, hi, tol=1e-3):
    """The point in ``[lo, hi]`` where ``f`` (a pattern) changes, to ``tol``; ``f(lo) != f(hi)``."""
    f_lo = f(lo)
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if f(mid) == f_lo:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def switching_currents(neuron, lo=-3.0, hi=1.5, step=0.05):
    """Each I_app where the settled pattern changes on a grid, refined by bisection: [(I, before, after)]."""
    grid = np.round(np.arange(lo, hi + step / 2, step), 10)
    patterns = [pattern(neuron, float(i)) for i in grid]
    out = []
    for k in range(len(grid) - 1):
        if patterns[k] != patterns[k + 1]:
            edge = bisect(lambda i: pattern(neuron, i), float(grid[k]), float(grid[k + 1]))
            out.append((edge, patterns[k], patterns[k + 1]))
    return out


def predicted_currents(neuron, lo=-3.0, hi=1.5, step=0.05):
    """The same switching currents from the I-V curves alone (nm.predict_behaviour), refined by bisection."""
    grid = np.round(np.arange(lo, hi + step / 2, step), 10)
    guess = lambda i: nm.predict_behaviour(neuron, i)  # noqa: E731
    patterns = [guess(float(i)) for i in grid]
    return [(bisect(guess, float(grid[k]), float(grid[k + 1]), tol=1e-6), patterns[k], patterns[k + 1])
            for k in range(len(grid) - 1) if patterns[k] != patterns[k + 1]]


def sequence_rows(label, neuron, published, lo=-3.0, hi=1.5):
    """Rows: the order of the settled patterns as I_app rises, and each switching current the I-V
    curves predict next to the simulated one. Irregular windows at a boundary are reported, not hidden:
    there the previous pattern's last current and the next one's first are both given."""
    measured = switching_currents(neuron, lo, hi)
    order = [measured[0][1]] + [after for _, _, after in measured]
    main = [p for p in order if p != "irregular"]
    main = [p for k, p in enumerate(main) if k == 0 or p != main[k - 1]]
    irregular = [f"{a:+.2f}..{b:+.2f}" for (a, _, x), (b, y, _) in zip(measured, measured[1:]) if x == "irregular" == y]
    row(f"{label}: sequence as I_app rises", published,
        " -> ".join(main) + (f" (irregular on {', '.join(irregular)})" if irregular else ""))
    for i_iv, before, after in predicted_currents(neuron, lo, hi):
        enter = min((i for i, _, b in measured if b == after and i > i_iv - 1.0), default=None)
        leave = max((i for i, a, _ in measured if a == before and enter is not None and i <= enter), default=None)
        name, published_edge = f"{label}: {before} -> {after} (I_app)", f"I-V prediction {i_iv:+.3f}"
        if enter is None or leave is None:
            row(name, published_edge, "not seen")
        elif enter == leave:
            row(name, published_edge, f"{enter:+.3f}", f"{enter - i_iv:+.3f}")
        else:
            row(name, published_edge, f"{before} until {leave:+.3f}, {after} from {enter:+.3f}",
                f"{leave - i_iv:+.3f}, {enter - i_iv:+.3f}")


def tutorial_burster():
    """The burster at the end of the first author's tutorial notebook (lukaribar/telluride-21,
    "Designing excitable behaviors.ipynb"): slow timescale 20, ultraslow 20**2, offsets -0.9."""
    n = nm.Neuron(C=1.0, v0=-1.0, name="tutorial_burster")
    n.add_leak(g=1.0)
    n.add_current(-2.0, 0.0, 0.0, name="fast_negative")
    n.add_current(2.0, 0.0, 20.0, name="slow_positive")
    n.add_current(-1.5, -0.9, 20.0, name="slow_negative")
    n.add_current(1.5, -0.9, 400.0, name="ultraslow_positive")
    return n


def author_hyperpolarisation_burster():
    """The parameters of ``hyperpolarized_bursting.py`` (lukaribar/Circuit-Neuromodulation, June 2018):
    an inactivating slow negative conductance (-1.6, -0.88; inactivation offset -0.5 on the ultraslow
    voltage, slope -2) and an ultraslow positive one (2, 0); I_app -2.2, stepped to -2.5."""
    n = nm.Neuron(C=1.0, v0=-1.0, name="author_hyperpolarisation_burster")
    n.add_leak(g=1.0)
    n.add_current(-2.0, 0.0, 0.0, name="fast_negative")
    n.add_current(2.0, 0.0, 50.0, name="slow_positive")
    n.add_current(-1.6, -0.88, 50.0, name="slow_negative", inactivation_delta=-0.5, inactivation_tau=2500.0)
    n.add_current(2.0, 0.0, 2500.0, name="ultraslow_positive")
    n.set_initial(slow=-1.0, ultraslow=-1.0)
    return n


def row(item, published, ours, distance=""):
    print(f"| {item} | {published} | {ours} | {distance} |")


def header(title):
    print(f"\n## {title}\n")
    print("| item | published, authors' script or reference | ours | distance |")
    print("|---|---|---|---|")


def ribar_2019():
    header("Ribar & Sepulchre 2019 (TCAS-I): the neuron and its I-V curves")
    burster = nm.preset("bursting")
    s = burster.simulate(10_000, -2.0, rtol=1e-8, atol=1e-10, record=()).summary(t_start=0)
    row("bursting at I_app = -2 (period, spikes/burst)", "reference 2493.9, 7",
        f"{s['burst_period']:.1f}, {s['spikes_per_burst']}",
        f"{100 * (s['burst_period'] / 2493.9 - 1):+.2f} %, {s['spikes_per_burst'] - 7:+d}")

    sequence_rows("reference burster", burster, "rest -> bursting -> tonic -> rest (tutorial, for its own burster)")
    sequence_rows("tutorial burster (tau_s 20, tau_us 400, delta -0.9)", tutorial_burster(),
                  "rest -> bursting -> tonic -> rest (tutorial)")
    s_t = tutorial_burster().simulate(T_END, -1.0, record=()).summary(t_start=SETTLED)
    row("tutorial burster at I_app = -1", "bursting (notebook)",
        f"{s_t['pattern']}, {s_t['spikes_per_burst']} spikes/burst, period {s_t['burst_period']:.0f}")

    rebound = nm.preset("post_inhibitory_rebound")
    spikes = rebound.simulate(rebound.protocol.t_end, rebound.protocol.i_app, record=()).spike_times
    after = spikes[spikes >= 13_333.0]
    row("post-inhibitory rebound (pir.py: -2.5, -0.5 step on [6667, 13333))", "reference: 13 spikes from t ~ 13658",
        f"{after.size} spikes from t = {after[0]:.0f}" if after.size else "no rebound",
        f"{after.size - 13:+d} spikes, onset {after[0] - 13658:+.0f}" if after.size else "")

    hib = author_hyperpolarisation_burster()
    res = hib.simulate(20_000, nm.Steps([10_000.0], [-2.5], initial=-2.2), record=())
    before = nm.summarize_spikes(res.spike_times, 3_000.0, 10_000.0)
    settled = {i: hib.simulate(T_END, i, record=()).summary(t_start=SETTLED) for i in (-2.2, -2.5)}
    row("hyperpolarisation-induced bursting (author's script: -2.2, then -2.5 at t = 10000)",
        "tonic, then bursting (the script's purpose)",
        f"{before['pattern']} (ISI {before['isi_mean']:.0f}), then {settled[-2.5]['pattern']} "
        f"({settled[-2.5]['spikes_per_burst']} spikes, period {settled[-2.5]['burst_period']:.0f})",
        "same sequence" if (before["pattern"], settled[-2.5]["pattern"]) == ("tonic", "bursting") else "differs")
    sequence_rows("author's hyperpolarisation burster", hib, "(no statement)", lo=-3.0, hi=-1.0)

    # Neuromodulation at a fixed V* = I_app = -0.7: the slow I-V curve at V* has slope
    # 1 + alpha_s sech^2(V* + 1.5), negative once alpha_s < -cosh^2(0.8).
    def modulated(alpha):
        return burster.copy().set("slow_negative.alpha", alpha).set("ultraslow_positive.alpha", -alpha)

    gain = bisect(lambda a: pattern(modulated(a), -0.7), -3.0, -0.5)
    predicted_gain = bisect(lambda a: nm.predict_behaviour(modulated(a), -0.7), -3.0, -0.5, tol=1e-6)
    assert abs(predicted_gain + math.cosh(0.8) ** 2) < 1e-5  # the closed form above
    row("tonic -> bursting as the slow negative gain grows (I_app = -0.7, alpha_us = -alpha_s)",
        f"I-V prediction alpha_s = {predicted_gain:.3f}", f"{gain:.3f}", f"{gain - predicted_gain:+.3f}")

    if shutil.which("ngspice") is None:
        row("transistor-level circuit (ngspice)", "SPICE proof of concept", "skipped: ngspice not found")
        return
    from neuromorph.spice.transistor import Mapping, iv_sweep

    tonic = nm.spice_simulate("tonic", 1200, i_app=-0.7, level="transistor", max_step=0.2).summary(t_start=300)
    row("transistor level: tonic ISI at I_app = -0.7", "model 32.65", f"{tonic['isi_mean']:.2f}",
        f"{100 * (tonic['isi_mean'] / 32.65 - 1):+.1f} %")
    burst = nm.spice_simulate("bursting", 9000, i_app=-2.0, level="transistor", max_step=0.2).summary(t_start=3000)
    row("transistor level: bursting at I_app = -2 (period, spikes/burst)", "model 2493.9, 7",
        f"{burst['burst_period']:.0f}, {burst['spikes_per_burst']}",
        f"{100 * (burst['burst_period'] / 2493.9 - 1):+.1f} %, {burst['spikes_per_burst'] - 7:+d}")
    v = np.linspace(-3.0, 3.0, 241)
    v_rest = nm.iv_curves(burster, v=v, i_app=-2.0).v_rest
    for timescale in ("fast", "slow"):
        vm, current = iv_sweep(burster, v, timescale, v_rest=v_rest, mapping=Mapping())
        slope = np.gradient(current, vm)
        k = np.flatnonzero(np.diff(np.sign(slope)) != 0)
        edges = vm[k] - slope[k] * (vm[k + 1] - vm[k]) / (slope[k + 1] - slope[k])  # linear zero crossings
        (lo, hi), = nm.negative_conductance_intervals(burster, timescale, -2.0)
        row(f"transistor level: {timescale} negative-conductance range (DC sweep)",
            f"model ({lo:.3f}, {hi:.3f})", f"({edges[0]:.3f}, {edges[-1]:.3f})",
            f"{edges[0] - lo:+.3f}, {edges[-1] - hi:+.3f}")


def ribar_2021():
    header("Ribar & Sepulchre 2021 (CSM): networks")
    rows = nm.preset("hco").simulate(30_000, record=()).rhythm(t_start=10_000)["neurons"]
    n1, n2 = rows["n1"], rows["n2"]
    row("HCO, mutual inhibition g = 0.2, I_app = -2 (period, phase, spikes/burst)", "reference 2269.7, 0.50, 8",
        f"{n1['burst_period']:.1f}, {n2['phase']:.3f}, {n1['spikes_per_burst']}",
        f"{100 * (n1['burst_period'] / 2269.7 - 1):+.2f} %, {n2['phase'] - 0.5:+.3f}, {n1['spikes_per_burst'] - 8:+d}")

    neuron = nm.preset("bursting")
    neuron.set("slow_negative.delta", -0.88).set("ultraslow_positive.delta", -0.88)
    net = nm.hco(neuron, g=1.5, i_app=-1.0, symmetric=True)
    pulse = nm.Pulse(start=10_000, stop=10_500, amplitude=-1.0)
    res = net.simulate(70_000, i_app={"n1": -1.0 + pulse}, record=(),
                       modulation=[(35_000.0, {"n1_to_n2.g": 0.0, "n2_to_n1.g": 0.0}),
                                   (50_000.0, {"n1_to_n2.g": 1.5, "n2_to_n1.g": 1.5})])
    states = []
    for t0, t1 in ((2_000, 10_000), (20_000, 35_000), (40_000, 50_000), (55_000, 70_000)):
        r = res.rhythm(t_start=t0, t_end=t1)["neurons"]
        if r["n1"]["pattern"] == "rest" and r["n2"]["pattern"] == "rest":
            states.append("rest")
        elif r["n2"]["phase"] is not None:
            states.append(f"{r['n2']['relation']} (phase {r['n2']['phase']:.2f}, period {r['n1']['burst_period']:.0f})")
        else:
            states.append(f"{r['n1']['pattern']}/{r['n2']['pattern']}")
    row("HCO tool (hco_gui.py: delta -0.88, I_app -1, g 1.5, pulse -1 for 500)",
        "pulse starts the rhythm; gains 0 decouple", " / ".join(states))


def kirby_2021():
    header("Miyazaki Kirby, Ribar & Sepulchre 2021: reliable event timing (examples' settings)")
    study = dict(trials=10, chips=4, mismatch=nm.Mismatch(gain=0.05, offset=0.05, tau=0.02), t_end=3000, dt=0.05,
                 seed=7)
    spikes = {label: nm.reliability("tonic", drive, intrinsic=0.05, **study).metrics(sigma=3.0)
              for label, drive in (("frozen", nm.OUProcess(mean=-0.5, sigma=0.3, tau=20, seed=1)), ("constant", -0.5))}
    row("single spikes: reliability (Schreiber, sigma 3) within / across chips",
        "frozen drive reliable, constant not (qualitative)",
        f"frozen {spikes['frozen']['schreiber']:.2f} / {spikes['frozen']['schreiber_across_chips']:.2f}; "
        f"constant {spikes['constant']['schreiber']:.2f} / {spikes['constant']['schreiber_across_chips']:.2f}")
    row("single spikes: jitter (time units)", "qualitative",
        f"frozen {spikes['frozen']['jitter']:.2f}, constant {spikes['constant']['jitter']:.2f}")

    dc = -2.6
    study = dict(trials=8, chips=4, mismatch=nm.Mismatch(gain=0.05, offset=0.02, tau=0.02), t_end=20_000, dt=0.05,
                 seed=11, t_record=2_000)
    fresh = [nm.WhiteNoise(0.03), nm.OUProcess(mean=0.0, sigma=0.19, tau=200)]
    bursts = {label: nm.reliability("bursting", drive, intrinsic=noise, **study).metrics(burst_window=300.0)
              for label, drive, noise in (("frozen", nm.OUProcess(mean=dc, sigma=0.19, tau=200, seed=2), 0.03),
                                          ("fresh", dc, fresh))}
    row("bursts (OU tau 200, sigma 0.19 around -2.6): burst-onset jitter",
        "frozen drive reliable (qualitative)",
        f"frozen {bursts['frozen']['burst_onset_jitter']:.1f}, fresh {bursts['fresh']['burst_onset_jitter']:.1f}")
    row("bursts: spikes-per-burst spread", "qualitative",
        f"frozen {bursts['frozen']['spikes_per_burst_spread']:.2f}, "
        f"fresh {bursts['fresh']['spikes_per_burst_spread']:.2f}")

    on, off, t_end = (10_000, 13_000), (30_000, 32_000), 42_000
    burster = nm.preset("bursting")
    net = nm.Network(name="hco_on_off")
    net.add_neuron("n1", burster, i_app=-2.4, stimulus=nm.Pulse(*on, amplitude=-1.0))
    net.add_neuron("n2", burster, i_app=-2.4)
    for pre, post in (("n1", "n2"), ("n2", "n1")):
        net.add_synapse(pre, post, kind="current", g=2.0)
    rel = nm.reliability(net, nm.Pulse(*off, amplitude=1.0), trials=6, chips=4, intrinsic=0.02,
                         mismatch=nm.Mismatch(gain=0.03, offset=0.02, tau=0.02), t_end=t_end, dt=0.05, seed=5,
                         t_record=2_000)
    members = [trial for chip in rel.spike_times for trial in chip]
    count = lambda trains, a, b: sum(int(((s >= a) & (s < b)).sum()) for s in trains)  # noqa: E731
    switched_on = sum(count((m[0],), on[1] + 2_000, off[0]) > 0 and count((m[1],), on[1] + 2_000, off[0]) > 0
                      for m in members)
    switched_off = sum(count(m, off[1] + 2_000, t_end) == 0 for m in members)
    onsets = [burst_onsets(t, on[1], off[0])[0] for chip in rel.trains("n1") for t in chip]
    spread = np.nanstd(events(onsets, window=800.0), axis=1)
    row("HCO switched on and off by pulses (4 chips x 6 trials)", "on and off work under noise (qualitative)",
        f"on in {switched_on}/{len(members)}, off in {switched_off}/{len(members)}; "
        f"n1 onset spread {spread.min():.0f}-{spread.max():.0f}")
    return spikes


def gutierrez_2013():
    header("Gutierrez, O'Leary & Marder 2013: the hub neuron between two rhythms")
    net = nm.switching_circuit()
    res = net.simulate(60_000, record=(), modulation=[(30_000.0, {"s1_to_h.g": 1.0})])
    for label, (t0, t1) in (("s1_to_h.g = 0", (10_000, 30_000)), ("s1_to_h.g = 1", (40_000, 60_000))):
        r = res.rhythm(t_start=t0, t_end=t1)["neurons"]
        hub = r["h"]["burst_period"]
        row(f"hub period / fast, / slow HCO period, {label}", "hub follows the fast, then the slow rhythm",
            f"{hub / r['f1']['burst_period']:.2f}, {hub / r['s1']['burst_period']:.2f}")
    gaps, syns = (0.0, 0.05, 0.1, 0.2), (0.0, 0.25, 0.5, 1.0)
    print("\nparameterscape (ours): hub period over the fast HCO's; rows gap g, columns synaptic g")
    print("gap \\ syn " + "".join(f"{g:>7}" for g in syns))
    for gap in gaps:
        ratios = []
        for syn in syns:
            r = nm.switching_circuit(g_hub_gap=gap, g_hub_syn=syn).simulate(40_000, record=()).rhythm(
                t_start=15_000)["neurons"]
            ratios.append(r["h"]["burst_period"] / r["f1"]["burst_period"] if r["h"]["burst_period"] else float("nan"))
        print(f"{gap:9}" + "".join(f"{q:7.2f}" for q in ratios))


def main():
    t0 = time.perf_counter()
    ribar_2019()
    ribar_2021()
    spikes = kirby_2021()
    header("Mainen & Sejnowski 1995: the experiment the reliability paper transposes")
    row("frozen fluctuating vs constant drive: jitter (time units; theirs in ms)",
        "fluctuating: reproducible to < 1 ms; constant: imprecise",
        f"{spikes['frozen']['jitter']:.2f} vs {spikes['constant']['jitter']:.2f}",
        f"ratio {spikes['constant']['jitter'] / spikes['frozen']['jitter']:.1f}x")
    gutierrez_2013()
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
