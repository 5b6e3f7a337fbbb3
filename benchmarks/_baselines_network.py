"""Baselines and test networks for the network benchmarks.

- :func:`hco_baseline_field`: the half-centre oscillator of ``shared/MODEL.md`` (two bursting
  neurons, mutual inhibitory current synapses g = 0.2 read from the presynaptic slow filter,
  I_app = -2 each) as a plain-Python 6-state vector field, the way reference code for these models
  is written, for a scipy ``solve_ivp`` RK45 baseline (rtol 1e-3, atol 1e-6, as
  ``bench_single.py`` does for one neuron). :func:`time_hco_baseline` times it over t = 0..20000.
- :func:`random_network`: the 10 000-neuron benchmark network (each neuron receives ``k``
  inhibitory current synapses from distinct random other neurons), shared by our side and the
  Brian2 side (:func:`save_network` writes the ``.npz`` that ``_brian2_network.py`` reads).

    python benchmarks/_baselines_network.py          # prints the HCO baseline time

Measured on the 2-core reference machine: the HCO baseline takes ~0.44-0.47 s per call (6733
RK45 steps, 50 216 field evaluations) and gets the same spike counts over t = 0..20000 as the
DOP853 rtol 1e-10 reference (65 and 69).

State order (both): neuron-major ``[V, slow, ultraslow]`` per neuron.
"""

import math
import time

import numpy as np
from scipy.integrate import solve_ivp

HCO_Y0 = (-1.9, -1.8, -1.8, -2.5, -2.0, -2.0)  # neuron 1 as the bursting preset, neuron 2 at (-2.5, -2.0)
HCO_G = 0.2
HCO_I_APP = -2.0


def hco_baseline_field(t, y):
    """HCO vector field in plain Python: I_syn,1 = -g sigma(2 (slow_2 + 1)) and vice versa."""
    v1, s1, u1, v2, s2, u2 = y
    syn1 = -HCO_G / (1.0 + math.exp(-2.0 * (s2 + 1.0)))  # inhibition of neuron 1 by neuron 2
    syn2 = -HCO_G / (1.0 + math.exp(-2.0 * (s1 + 1.0)))
    c1 = v1 - 2 * math.tanh(v1) + 2 * math.tanh(s1) - 1.5 * math.tanh(s1 + 1.5) + 1.5 * math.tanh(u1 + 1.5)
    c2 = v2 - 2 * math.tanh(v2) + 2 * math.tanh(s2) - 1.5 * math.tanh(s2 + 1.5) + 1.5 * math.tanh(u2 + 1.5)
    return [HCO_I_APP + syn1 - c1, (v1 - s1) / 50.0, (v1 - u1) / 2500.0,
            HCO_I_APP + syn2 - c2, (v2 - s2) / 50.0, (v2 - u2) / 2500.0]


def hco_baseline(t_end=20_000.0, rtol=1e-3, atol=1e-6):
    """One baseline run: scipy RK45 on :func:`hco_baseline_field` (no events, default output)."""
    return solve_ivp(hco_baseline_field, (0.0, t_end), HCO_Y0, method="RK45", rtol=rtol, atol=atol)


def time_hco_baseline(t_end=20_000.0, repeats=5):
    """Median wall time (s) of :func:`hco_baseline` over ``repeats`` runs (after one warm-up), and its step count."""
    sol = hco_baseline(t_end)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        hco_baseline(t_end)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), sol.t.size - 1


def random_network(n=10_000, k=10, seed=0, g=0.02, sign=-1.0, i_app=-2.0, i_app_spread=0.2,
                   v0=-1.9, filter0=-1.8, state_spread=0.1):
    """A random network of ``n`` bursting neurons, each receiving ``k`` current synapses.

    Every neuron ``post`` gets ``k`` synapses from ``k`` distinct presynaptic neurons drawn
    uniformly among the other ``n - 1`` (no self-synapses, no duplicate pairs), all with gain ``g``
    and sign ``sign`` (-1: inhibitory). ``i_app`` per neuron is ``i_app`` + uniform(+-i_app_spread);
    initial V is ``v0`` + uniform(+-state_spread), the slow and ultraslow filters ``filter0`` +
    independent uniform(+-state_spread). Deterministic: numpy ``default_rng(seed)``.

    Returns a dict of arrays: ``pre``, ``post`` (int64, sorted by ``post``), ``sign``, ``g``
    (float64, one per synapse), ``i_app``, ``v0``, ``slow0``, ``ultraslow0`` (float64, one per neuron).
    """
    if not 0 <= k <= n - 1:
        raise ValueError(f"k = {k} must be in [0, n - 1] for n = {n}")
    rng = np.random.default_rng(seed)
    pre = np.empty((n, k), dtype=np.int64)
    for post in range(n):
        others = rng.choice(n - 1, size=k, replace=False)
        pre[post] = others + (others >= post)  # skip the neuron itself
    post = np.repeat(np.arange(n, dtype=np.int64), k)
    m = n * k
    return {
        "pre": pre.ravel(),
        "post": post,
        "sign": np.full(m, float(sign)),
        "g": np.full(m, float(g)),
        "i_app": i_app + rng.uniform(-i_app_spread, i_app_spread, n),
        "v0": v0 + rng.uniform(-state_spread, state_spread, n),
        "slow0": filter0 + rng.uniform(-state_spread, state_spread, n),
        "ultraslow0": filter0 + rng.uniform(-state_spread, state_spread, n),
    }


NETWORK_KEYS = ("pre", "post", "sign", "g", "i_app", "v0", "slow0", "ultraslow0")


def save_network(path, net):
    """Write ``net`` (a :func:`random_network` dict) as the ``.npz`` read by ``_brian2_network.py``."""
    np.savez(path, **{key: np.asarray(net[key]) for key in NETWORK_KEYS})


def load_network(path):
    with np.load(path) as data:
        return {key: data[key] for key in NETWORK_KEYS}


def main():
    sol = hco_baseline()
    print(f"HCO baseline: scipy RK45 rtol 1e-3 atol 1e-6 on a plain-Python 6-state field, t = 0..20000: "
          f"{sol.t.size - 1} steps, {sol.nfev} evaluations")
    med, steps = time_hco_baseline()
    print(f"  median of 5: {med * 1e3:.1f} ms per call")


if __name__ == "__main__":
    main()
