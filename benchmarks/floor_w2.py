"""How fast can any DOP853 integrate W2 (the HCO)? A DOP853 written for this one model (issue 23).

W2's target asks for 100x scipy at every spike-time error level. At the levels 1e-3 and 1e-4 both sides' best
runs are DOP853 at rtol 1e-6 (the same method, controller family and step count, the same error within 10 %),
so the ratio there is the cost of a step. This script measures the floor of that cost: a DOP853 specialised by
hand to the HCO, its 6 states in arrays of a fixed size, its stage sums written out with the tableau's
coefficients as literals (generated below from ``neuromorph``'s tableau, then compiled), the vector field
inlined with every constant in it (``neuromorph``'s own ``tanh``/``exp``), Hairer's error norm and the same
PI control as ``neuromorph``, and nothing else: no dense output, no spike location (only counted), no output,
no stimulus, no runaway or finiteness checks. Then, in the same rounds: ``neuromorph``'s ``simulate`` and
scipy's ``solve_ivp`` DOP853 on the plain-Python field of ``work_precision.py`` (one run a round). Nothing here
is part of the package.

    .venv/bin/python benchmarks/floor_w2.py [--rounds 5] [--rtol 1e-6]
    .venv/bin/python benchmarks/floor_w2.py --field    # the vector field alone, ours against the written-out one

``--field`` times one evaluation of the HCO's vector field, ``neuromorph``'s general one (``_kernels.field.rhs``
on the model's arrays) against the written-out one above: independent calls (throughput) and calls that each
wait for the one before (a state advanced by ``1e-3 dy`` between them, as a step's stages wait), the least of 7
rounds of 200 000 calls.
"""

import argparse
import math
import time

import numpy as np
from _baselines_network import HCO_G, HCO_I_APP, HCO_Y0
from _common import machine, print_rounds
from numba import njit
from work_precision import WORKLOADS, scipy_spikes

import neuromorph as nm
from neuromorph._kernels.field import RIGHT, rhs
from neuromorph._kernels.layout import scratch_size
from neuromorph._kernels.mathfn import exp as nm_exp
from neuromorph._kernels.mathfn import tanh as nm_tanh
from neuromorph._kernels.tableaus import DP8_A_F, DP8_B_F, DP8_C_F, DP8_E3_F, DP8_E5_F
from neuromorph.lower.problem import prepare

T_END = 20_000.0


@njit(inline="always")
def field(y, out):
    """The HCO of shared/MODEL.md, every constant inlined."""
    v1, s1, u1, v2, s2, u2 = y[0], y[1], y[2], y[3], y[4], y[5]
    syn1 = -HCO_G / (1.0 + nm_exp(-2.0 * (s2 + 1.0)))
    syn2 = -HCO_G / (1.0 + nm_exp(-2.0 * (s1 + 1.0)))
    out[0] = HCO_I_APP + syn1 - (v1 - 2.0 * nm_tanh(v1) + 2.0 * nm_tanh(s1) - 1.5 * nm_tanh(s1 + 1.5)
                                 + 1.5 * nm_tanh(u1 + 1.5))
    out[1] = (v1 - s1) / 50.0
    out[2] = (v1 - u1) / 2500.0
    out[3] = HCO_I_APP + syn2 - (v2 - 2.0 * nm_tanh(v2) + 2.0 * nm_tanh(s2) - 1.5 * nm_tanh(s2 + 1.5)
                                 + 1.5 * nm_tanh(u2 + 1.5))
    out[4] = (v2 - s2) / 50.0
    out[5] = (v2 - u2) / 2500.0


def _terms(coefs, stages):
    """``c0 * k0[i] + c3 * k3[i] + ...`` over the nonzero coefficients, as source text."""
    return " + ".join(f"{float(c)!r} * {name}[i]" for c, name in zip(coefs, stages) if c != 0.0)


def _source():
    """The specialised DOP853 as Python source (compiled by :func:`make_dop853`)."""
    k = [f"k{j}" for j in range(13)]
    lines = ["def dop853_hco(y0, t_end, rtol, atol):",
             "    y = y0.copy()",
             "    kk = np.empty((13, 6))",
             *[f"    {k[j]} = kk[{j}]" for j in range(13)],
             "    ys = np.empty(6)",
             "    yn = np.empty(6)",
             "    field(y, k0)",
             "    t = 0.0",
             "    h = 0.1",
             "    log_old = 0.0",
             "    last_rejected = False",
             "    steps = rejected = spikes = 0",
             "    while t < t_end:",
             "        h = min(h, t_end - t)"]
    for s in range(1, 12):
        lines += ["        for i in range(6):",
                  f"            ys[i] = y[i] + h * ({_terms(DP8_A_F[s, :s], k)})",
                  f"        field(ys, {k[s]})"]
    lines += ["        for i in range(6):",
              f"            yn[i] = y[i] + h * ({_terms(DP8_B_F, k)})",
              f"        field(yn, {k[12]})",
              "        s5 = 0.0",
              "        s3 = 0.0",
              "        for i in range(6):",
              "            sc = atol + rtol * max(abs(y[i]), abs(yn[i]))",
              f"            e5 = ({_terms(DP8_E5_F, k)}) / sc",
              f"            e3 = ({_terms(DP8_E3_F, k)}) / sc",
              "            s5 += e5 * e5",
              "            s3 += e3 * e3",
              "        den = s5 + 0.01 * s3",
              "        norm = abs(h) * s5 / math.sqrt(6.0 * den) if den > 0.0 else 0.0",
              "        if norm <= 1.0:",
              "            for n in (0, 3):",
              "                if y[n] < 0.0 <= yn[n]:",
              "                    spikes += 1",
              "            t += h",
              "            for i in range(6):",
              "                y[i] = yn[i]",
              "                k0[i] = k12[i]",
              "            steps += 1",
              "            log_norm = math.log(max(norm, 1e-4))",
              "            fac = min(10.0, max(0.2, 0.9 * math.exp((0.4 * log_old - 0.7 * log_norm) / 8.0)))",
              "            if last_rejected:",
              "                fac = min(fac, 1.0)",
              "            log_old = log_norm",
              "            last_rejected = False",
              "            h *= fac",
              "        else:",
              "            rejected += 1",
              "            last_rejected = True",
              "            h *= max(0.2, 0.9 * math.exp(-math.log(norm) / 8.0))",
              "    return steps, rejected, spikes"]
    return "\n".join(lines)


def make_dop853():
    namespace = {"np": np, "math": math, "field": field}
    exec(_source(), namespace)  # noqa: S102 (our own generated source: the tableau's literals)
    return njit(namespace["dop853_hco"])


_LOOP = dict(fastmath={"contract"}, error_model="numpy")


@njit(**_LOOP)
def _ours_independent(model, stim, y, dy, tmp, calls):
    acc = 0.0
    for _ in range(calls):
        y[0] += 1e-12
        rhs(model, stim, 0.0, RIGHT, y, dy, tmp)
        acc += dy[0]
    return acc


@njit(**_LOOP)
def _written_independent(y, dy, calls):
    acc = 0.0
    for _ in range(calls):
        y[0] += 1e-12
        field(y, dy)
        acc += dy[0]
    return acc


@njit(**_LOOP)
def _ours_chained(model, stim, y, dy, tmp, calls):
    for _ in range(calls):
        rhs(model, stim, 0.0, RIGHT, y, dy, tmp)
        for k in range(y.shape[0]):
            y[k] = y[k] + 1e-3 * dy[k]
    return y[0]


@njit(**_LOOP)
def _written_chained(y, dy, calls):
    for _ in range(calls):
        field(y, dy)
        for k in range(y.shape[0]):
            y[k] = y[k] + 1e-3 * dy[k]
    return y[0]


def field_costs():
    """Nanoseconds a call of the HCO's field: ours and the written-out one, independent and chained."""
    problem = prepare(nm.hco().compile())
    model = problem.arrays
    tmp = np.zeros(scratch_size(model))

    def least(fn, calls=200_000):
        fn(10)
        best = math.inf
        for _ in range(7):
            t0 = time.perf_counter()
            fn(calls)
            best = min(best, (time.perf_counter() - t0) / calls)
        return best * 1e9

    y, dy = problem.y0.copy(), np.zeros(problem.y0.size)
    rows = (("independent calls", lambda n: _ours_independent(model, problem.stim, y, dy, tmp, n),
             lambda n: _written_independent(y, dy, n)),
            ("each call waiting for the last", lambda n: _ours_chained(model, problem.stim, y, dy, tmp, n),
             lambda n: _written_chained(y, dy, n)))
    for label, ours, written in rows:
        y[:] = problem.y0
        a = least(ours)
        y[:] = problem.y0
        b = least(written)
        print(f"  HCO field, {label:31s} ours {a:6.1f} ns, written out {b:6.1f} ns: {a / b:4.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--field", action="store_true", help="time the vector field alone")
    args = parser.parse_args()
    if args.field:
        print(f"machine: {machine()}")
        field_costs()
        return
    rtol, atol = args.rtol, args.rtol / 100
    print(f"machine: {machine()}")
    assert np.isclose(DP8_C_F[12], 1.0)
    y0 = np.array(HCO_Y0)
    floor = make_dop853()
    steps, rejected, spikes = floor(y0, T_END, rtol, atol)
    ours = lambda: WORKLOADS["W2"]["ours"](method="dop853", rtol=rtol, atol=atol)  # noqa: E731
    run = ours()
    w = WORKLOADS["W2"]
    theirs = lambda: scipy_spikes(w["field"], w["y0"], w["t_end"], 2, "DOP853", rtol, atol)  # noqa: E731
    n_scipy = sum(s.size for s in theirs())
    print(f"W2, t = 0..20000, rtol {rtol:g}, atol {atol:g}: hand-written DOP853 {steps} steps ({rejected} rejected), "
          f"{spikes} spikes; neuromorph {run.stats.n_steps} steps ({run.stats.n_rejected} rejected), "
          f"{run.spike_times.size} spikes; scipy {n_scipy} spikes")
    runs = (("hand-written DOP853 for the HCO", lambda: floor(y0, T_END, rtol, atol), 10),
            ("neuromorph simulate, dop853", ours, 10),
            ("scipy solve_ivp DOP853", theirs, 1))
    rows = {label: [] for label, _, _ in runs}
    for _ in range(args.rounds):
        for label, fn, reps in runs:
            best = math.inf
            for _ in range(reps):
                t0 = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - t0)
            rows[label].append(best)
    print_rounds(rows, "scipy solve_ivp DOP853", "median of per-round ratios; each round's time the least of its runs")


if __name__ == "__main__":
    main()
