"""Record the results that a refactoring must leave bit-identical: ``python tests/golden/record.py OUT.npz``.

Run once with the code *before* a change (the file in this folder was recorded at commit 21fe705, the last
commit before issue 19's redesign of the upper layers) and compared by ``tests/test_golden.py`` with the
code of today. Only public, documented calls are used, so the same script runs on both. Each case stores the
SHA-256 of its arrays' bytes (bit identity) and the arrays themselves thinned (every ``THIN``-th sample,
spike times in full), so a failure shows where the numbers part.
"""

import hashlib
import sys

import numpy as np

import neuromorph as nm

THIN = 64
FIXED = ("rk4", "euler")
NOISY = ("sra1", "euler_maruyama")
T_END = {"cpg": 1500.0, "hco": 3000.0}  # the rest 3000


def cases():
    """(name, thunk) pairs; each thunk returns a dict of arrays."""
    for preset in nm.presets():
        t_end = T_END.get(preset, 3000.0)
        for method in ("dopri5", "rosenbrock23", *FIXED):
            dt = 0.05 if method in FIXED else None
            yield f"simulate/{preset}/{method}", lambda p=preset, m=method, d=dt, t=t_end: _single(
                nm.simulate(p, t, method=m, dt=d))
        for method in NOISY:
            yield f"simulate/{preset}/{method}", lambda p=preset, m=method, t=t_end: _single(
                nm.simulate(p, t, method=m, dt=0.05, noise=nm.WhiteNoise(0.05), seed=3))
    yield "simulate/bursting/dopri5-t_eval", lambda: _single(
        nm.simulate("bursting", 4000, i_app=-2.0 + nm.Pulse(start=1000, stop=2000, amplitude=-0.5),
                    t_eval=np.linspace(0, 4000, 801), method="dopri5", rtol=1e-6, atol=1e-9))
    yield "simulate/tonic_spiking/ou-drive", lambda: _single(
        nm.simulate("tonic_spiking", 2000, i_app=nm.OUProcess(mean=-0.5, sigma=0.3, tau=20, seed=1)))
    for method in (*FIXED, *NOISY):
        noisy = method in NOISY
        yield f"ensemble/bursting/{method}", lambda m=method, z=noisy: _ensemble(nm.Ensemble(
            "bursting", params={"i_app": [-2.5, -2.0, -1.5, -1.0], "ultraslow.tau": [2500, 2000, 2500, 2000]}
        ).simulate(3000, dt=0.05, method=m, t_record=1000, noise=nm.WhiteNoise(0.05) if z else None, seed=3,
                   mismatch=nm.Mismatch(gain=0.05, offset=0.05, tau=0.02), chips=[0, 1, 0, 1]))
        yield f"ensemble/hco/{method}", lambda m=method, z=noisy: _ensemble(nm.Ensemble("hco", size=3).simulate(
            1500, dt=0.05, method=m, noise=nm.WhiteNoise(0.05) if z else None, seed=5))
    for method in ("dopri5", "rk4"):
        yield f"map/bursting/{method}", lambda m=method: _map(nm.behaviour_map(
            "bursting", x=("i_app", -3, 0, 4), y=("slow_negative.alpha", -2, -1, 3), t_end=4000, method=m,
            dt=0.05 if m == "rk4" else None, predict=False))
    yield "reliability/tonic", lambda: _reliability(nm.reliability(
        "tonic", nm.OUProcess(mean=-0.5, sigma=0.3, tau=20, seed=1), trials=3, chips=2, intrinsic=0.05,
        mismatch=nm.Mismatch(gain=0.05, offset=0.05), t_end=1000, seed=7))
    for method in ("sra1", "dopri5"):
        yield f"study/bursting/{method}", lambda m=method: _dataset(nm.run_study(nm.Study(
            "bursting", grid={"i_app": "-3:0:3", "slow_negative.alpha": [-2.0, -1.5]},
            **({"noise": 0.02, "mismatch": {"gain": 0.05}, "spikes": 8, "chips": 2, "trials": 2}
               if m == "sra1" else {}), t_end=2000, seed=1,
            method=m)))


def _single(res):
    return {"t": res.t, "y": res.y, "spike_times": res.spike_times, "spike_neurons": res.spike_neurons}


def _ensemble(res):
    out = {name: np.asarray(getattr(res, name)) for name in ("t", "spike_counts", "spike_times", "final_state",
                                                             "status")}
    if res.v is not None:
        out["v"] = np.asarray(res.v)
    return out


def _map(bmap):
    return {"pattern": np.asarray(bmap.patterns).astype("U"),
            **{k: np.asarray(v, dtype=float) for k, v in bmap.neuron_metrics.items()}}


def _reliability(rel):
    flat = [np.asarray(rel.spike_times[c][k], dtype=float).ravel()
            for c in range(len(rel.spike_times)) for k in range(len(rel.spike_times[c]))]
    return {"spike_times": np.concatenate(flat), "spike_lengths": np.array([f.size for f in flat])}


def _dataset(ds):
    out = {}
    for name in sorted(ds.data_vars):
        values = ds[name].values
        out[name] = values.astype("U") if values.dtype.kind in "OUS" else values
    return out


def _plain(a):
    """An array numpy can store without pickling (an object array of strings or None as text)."""
    a = np.asarray(a)
    return np.array([str(x) for x in a.ravel()]).reshape(a.shape).astype("U") if a.dtype.kind == "O" else a


def digest(arrays):
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    return h.hexdigest()


def thin(a):
    a = np.asarray(a)
    if a.dtype.kind == "f" and a.ndim >= 1 and a.shape[-1] > 4 * THIN:
        return a[..., ::THIN]
    return a


def machine():
    """The CPU numba compiles for: bits are comparable between runs on the same instruction set."""
    import llvmlite.binding as llvm

    return f"{llvm.get_host_cpu_name()} {llvm.get_host_cpu_features().flatten()}"


def record(path, only=None):
    store = {"#machine": np.array(machine())}
    for name, thunk in cases():
        if only and only not in name:
            continue
        arrays = {key: _plain(a) for key, a in thunk().items()}
        store[f"{name}#sha256"] = np.array(digest(arrays))
        for key, a in arrays.items():
            store[f"{name}#{key}"] = thin(a)
        print(name, store[f"{name}#sha256"], file=sys.stderr)
    np.savez_compressed(path, **store)


if __name__ == "__main__":
    record(sys.argv[1], *(sys.argv[2:3]))
