"""Independent reference for networks: a plain-Python vector field and scipy spike times.

Written from the equations of ``shared/MODEL.md`` (not from the package), like ``reference.py``
for single neurons:

- each neuron is the four-element bursting neuron, C = 1, leak g = 1, E = 0:
  dV/dt = I_app + I_syn - [V + sum_i alpha_i tanh(V_xi - delta_i)] with (alpha, delta, tau) =
  (-2, 0, 0), (2, 0, 50), (-1.5, -1.5, 50), (1.5, -1.5, 2500), and tau dV_x/dt = V - V_x for the
  slow (50) and ultraslow (2500) filters;
- a current synapse adds ``sign * g * sigma(k (V_pre,x - delta))`` to the postsynaptic I_app,
  sigma(x) = 1 / (1 + exp(-x)), k = 2, delta = -1, V_pre,x the presynaptic *slow* filter.

State order: neuron-major, ``[V_0, slow_0, ultraslow_0, V_1, slow_1, ultraslow_1, ...]``.
Spikes are upward crossings of V_i = 0, located by scipy's DOP853 (rtol 1e-10, atol 1e-12) with
one event function per neuron.

Verified here (``python tests/reference_network.py`` prints the figures):

- HCO of MODEL.md (g = 0.2 mutual inhibition read from the presynaptic slow filter, I_app = -2
  each, neuron 1 from (V, slow, ultraslow) = (-1.9, -1.8, -1.8), neuron 2 from (-2.5, -2.0, -2.0)):
  anti-phase bursting, 8 spikes per burst, converging to period 2269.73 and phase 0.5000
  (MODEL.md: 2269.7, 8, 0.50). Transient: the first bursts have 9 (neuron 1) and 6, 7 (neuron 2)
  spikes; every burst starting after t ~ 5700 has 8. The approach to the locked rhythm is slow
  (deviation x ~0.65 per cycle): neuron 1's burst-start intervals are 2381, 2283, 2277, 2274,
  2273, ... 2270.0 at t ~ 27000, 2269.75 at t ~ 45000; phase 0.495, 0.510, 0.507, 0.505, ...
  0.5004 at t ~ 27000. Over t in [0, 30000] with t_transient = 10000 (the defaults here):
  period 2269.87 (mean of both neurons' intervals; neuron 1 2270.92, neuron 2 2268.83), phase
  0.5026 (spread 0.006), all bursts 8 spikes (~6 s to compute, then cached).
  Other readings: starting neuron 1 at (-2.5, -2.0) instead gives the same rhythm with the
  labels swapped; a synapse reading V instead of the slow filter gives period 2287.9 and 7 spikes
  per burst (not MODEL.md); uncoupled (g = 0) neurons burst at the single-neuron 2493.9, 7 spikes.
- Two identical neurons started in identical states stay exactly symmetric (bit-identical
  states at every step, equal to one neuron inhibiting itself) under an integrator that treats
  every component with the same scalar arithmetic (:func:`rk4` here): the in-phase solution
  (period ~2512.3, 5 spikes per burst) is invariant, but unstable, so it needs its symmetry broken
  to become an HCO, and scipy's DOP853 (not bitwise symmetric) drifts off it by t ~ 20000-30000.
"""

import functools
import math

import numpy as np
from scipy.integrate import solve_ivp

# (alpha, delta, state index within a neuron) of the reference bursting neuron; 0 = V, 1 = slow, 2 = ultraslow.
BURSTING_ELEMENTS = ((-2.0, 0.0, 0), (2.0, 0.0, 1), (-1.5, -1.5, 1), (1.5, -1.5, 2))
TAU_SLOW = 50.0
TAU_ULTRASLOW = 2500.0
N_STATE = 3  # V, slow, ultraslow per neuron

SYN_K = 2.0
SYN_DELTA = -1.0

BURSTING_Y0 = (-1.9, -1.8, -1.8)
HCO_Y0_2 = (-2.5, -2.0, -2.0)  # MODEL.md: neuron 2 starts at V0 = -2.5, filters -2.0
HCO_G = 0.2
HCO_I_APP = -2.0

ISI_GAP = 300.0  # intra-burst ISIs are ~70, inter-burst silences ~1000+


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def network_field(n, synapses, i_app, source=1):
    """Vector field ``f(t, y)`` of ``n`` bursting neurons coupled by current synapses.

    ``synapses``: iterable of ``(pre, post, sign, g)``; each adds
    ``sign * g * sigma(2 (y_pre[source] - (-1)))`` to neuron ``post``'s applied current, where
    ``source`` is the presynaptic state read: 1 = slow filter (MODEL.md), 0 = V (only to test
    other readings of the spec). ``i_app``: a scalar or one value per neuron.
    """
    synapses = [(int(pre), int(post), float(sign), float(g)) for pre, post, sign, g in synapses]
    for pre, post, _, _ in synapses:
        if not (0 <= pre < n and 0 <= post < n):
            raise ValueError(f"synapse ({pre}, {post}) out of range for n = {n}")
    i_app = [float(i_app)] * n if np.ndim(i_app) == 0 else [float(x) for x in i_app]
    if len(i_app) != n:
        raise ValueError(f"i_app has {len(i_app)} values for n = {n}")

    def f(t, y):
        y = y.tolist() if isinstance(y, np.ndarray) else list(y)
        drive = list(i_app)
        for pre, post, sign, g in synapses:
            drive[post] += sign * g * sigmoid(SYN_K * (y[N_STATE * pre + source] - SYN_DELTA))
        dy = [0.0] * (N_STATE * n)
        for i in range(n):
            v, slow, ultraslow = y[N_STATE * i:N_STATE * i + N_STATE]
            x = (v, slow, ultraslow)
            current = v  # leak, g = 1, E = 0
            for alpha, delta, j in BURSTING_ELEMENTS:
                current += alpha * math.tanh(x[j] - delta)
            dy[N_STATE * i] = drive[i] - current
            dy[N_STATE * i + 1] = (v - slow) / TAU_SLOW
            dy[N_STATE * i + 2] = (v - ultraslow) / TAU_ULTRASLOW
        return dy

    return f


def network_spikes(f, n, y0, t_end, rtol=1e-10, atol=1e-12, method="DOP853"):
    """Upward V_i = 0 crossings of each neuron (a list of ``n`` arrays) and the final state."""
    events = []
    for i in range(n):
        event = (lambda k: lambda t, y: y[N_STATE * k])(i)
        event.direction = 1
        events.append(event)
    sol = solve_ivp(f, (0.0, t_end), np.asarray(y0, dtype=float), method=method, rtol=rtol, atol=atol,
                    events=events)
    if sol.status != 0:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return [np.asarray(te) for te in sol.t_events], sol.y[:, -1]


def hco_synapses(g=HCO_G, sign=-1.0):
    return [(0, 1, sign, g), (1, 0, sign, g)]


@functools.lru_cache(maxsize=None)
def hco_reference(t_end=30000.0, y0_1=BURSTING_Y0, y0_2=HCO_Y0_2, g=HCO_G, i_app=HCO_I_APP, source=1):
    """Cached DOP853 spike times ``(spikes_1, spikes_2)`` and final state of the HCO of MODEL.md.

    The returned arrays are shared by every caller: do not modify them.
    """
    f = network_field(2, hco_synapses(g), i_app, source=source)
    spikes, y_end = network_spikes(f, 2, (*y0_1, *y0_2), t_end)
    for a in (*spikes, y_end):
        a.setflags(write=False)
    return spikes[0], spikes[1], y_end


def bursts(spikes, gap=ISI_GAP):
    """Spike times grouped into bursts: a new burst starts after an ISI longer than ``gap``."""
    spikes = np.asarray(spikes)
    if spikes.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(spikes) > gap) + 1
    return np.split(spikes, cuts)


def hco_rhythm(spikes_1, spikes_2, t_transient=10000.0, gap=ISI_GAP):
    """Period, spikes per burst and anti-phase of a two-neuron rhythm after ``t_transient``.

    Only complete bursts are used: a burst must start after ``t_transient`` and be followed by
    another burst of the same neuron. Period = mean interval between burst starts over both
    neurons (each neuron's mean is reported too, as period_1, period_2); phase = mean of
    (t2 - t1_prev) / period over neuron 2's burst starts, t1_prev being neuron 1's last burst
    start before t2, wrapped into [0, 1).
    """
    out = {}
    starts, counts = [], []
    for s in (spikes_1, spikes_2):
        b = bursts(s, gap)
        b = [x for x in b[:-1] if x[0] >= t_transient]  # complete bursts after the transient
        starts.append(np.array([x[0] for x in b]))
        counts.append(np.array([x.size for x in b]))
    s1, s2 = starts
    # Mean over both neurons' burst-start intervals: during the slow approach to the locked
    # rhythm one neuron's intervals are longer and the other's shorter, so their mean is closer.
    period = float(np.mean(np.concatenate([np.diff(s1), np.diff(s2)])))
    phases = []
    for t2 in s2:
        prev = s1[s1 <= t2]
        if prev.size:
            phases.append(((t2 - prev[-1]) / period) % 1.0)
    out.update(
        period=period,
        period_1=float(np.mean(np.diff(s1))),
        period_2=float(np.mean(np.diff(s2))),
        period_spread=float(np.ptp(np.diff(s1))),
        spikes_per_burst=(counts[0].tolist(), counts[1].tolist()),
        phase=float(np.mean(phases)),
        phase_spread=float(np.ptp(phases)) if phases else float("nan"),
        n_bursts=(s1.size, s2.size),
        burst_starts=(s1, s2),
    )
    return out


def rk4(f, y0, dt, n_steps):
    """Plain-Python fixed-step RK4 (scalar float arithmetic only, no BLAS): the states after each step.

    Every component is computed by the same scalar operations, so an equivariant field keeps
    symmetric states bit-identical (scipy's solvers combine stages with matrix products, whose
    rounding differs between components, so they do not).
    """
    y = [float(x) for x in y0]
    m = len(y)
    out = [y]
    for _ in range(n_steps):
        k1 = f(0.0, y)
        k2 = f(0.0, [y[j] + 0.5 * dt * k1[j] for j in range(m)])
        k3 = f(0.0, [y[j] + 0.5 * dt * k2[j] for j in range(m)])
        k4 = f(0.0, [y[j] + dt * k3[j] for j in range(m)])
        y = [y[j] + dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]) for j in range(m)]
        out.append(y)
    return np.array(out)


@functools.lru_cache(maxsize=None)
def symmetric_hco_check(t_end=5000.0, dt=0.1, y0=BURSTING_Y0, g=HCO_G, i_app=HCO_I_APP):
    """Two identical HCO neurons from identical states ``y0``, integrated by :func:`rk4`.

    Returns ``(identical, matches_self_coupled, n_spikes)``: whether the two neurons' states are
    bit-identical at every step, whether they are bit-identical to one neuron inhibiting itself
    (``sign * g * sigma(2 (own slow + 1))``, the invariant symmetric solution), and the number of
    upward V = 0 crossings on the grid. The symmetric (in-phase) solution bursts with period
    ~2512.3 and 5 spikes per burst (DOP853 on the self-coupled neuron), but it is unstable: a
    perturbation grows ~e-fold per ~700 time units, so scipy's DOP853 on the 6-state field
    (whose rounding is not symmetric) leaves it (asymmetry 1e-14 at t = 3000, 1e-3 at 20000,
    O(1) at 30000) and lands on the anti-phase rhythm.
    """
    n_steps = int(round(t_end / dt))
    both = rk4(network_field(2, hco_synapses(g), i_app), (*y0, *y0), dt, n_steps)
    one = rk4(network_field(1, [(0, 0, -1.0, g)], i_app), y0, dt, n_steps)
    identical = bool(np.array_equal(both[:, :3], both[:, 3:]))
    matches = bool(np.array_equal(both[:, :3], one))
    v = one[:, 0]
    n_spikes = int(np.count_nonzero((v[:-1] <= 0.0) & (v[1:] > 0.0)))
    return identical, matches, n_spikes


def _report():
    import time

    t0 = time.perf_counter()
    s1, s2, _ = hco_reference()
    elapsed = time.perf_counter() - t0
    r = hco_rhythm(s1, s2)
    print(f"HCO (MODEL.md reading), DOP853 rtol 1e-10, t = 0..30000: {elapsed:.2f} s")
    print(f"  spikes: {s1.size} / {s2.size}")
    for name, b in (("neuron 1", bursts(s1)), ("neuron 2", bursts(s2))):
        print(f"  {name} bursts (start, n): " + ", ".join(f"({x[0]:.1f}, {x.size})" for x in b))
    print(f"  period {r['period']:.2f} (neuron 1: {r['period_1']:.2f}, neuron 2: {r['period_2']:.2f}, spread {r['period_spread']:.3f}), "
          f"phase {r['phase']:.4f} (spread {r['phase_spread']:.4f}), spikes/burst {r['spikes_per_burst']}")
    t0 = time.perf_counter()
    identical, matches, n_spikes = symmetric_hco_check()
    print(f"identical neurons from identical states, plain-Python RK4 dt 0.1, t = 0..5000 "
          f"({time.perf_counter() - t0:.2f} s): bit-identical {identical}, equal to the self-coupled "
          f"neuron {matches}, {n_spikes} spikes each")


if __name__ == "__main__":
    _report()
