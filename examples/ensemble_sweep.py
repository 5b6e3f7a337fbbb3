"""
4096 neurons in one ensemble
============================

A parameter study: 4096 copies of the bursting neuron with different applied currents and
slow negative gains, integrated together in SIMD lanes on all cores.

Run it as a script::

    python examples/ensemble_sweep.py
"""

import time

import numpy as np

import neuromorph as nm

currents, gains = np.meshgrid(np.linspace(-3.0, 0.0, 64), np.linspace(-3.0, 0.0, 64))
ens = nm.Ensemble(nm.preset("bursting"), params={"i_app": currents.ravel(), "slow_negative.alpha": gains.ravel()})
t0 = time.perf_counter()
res = ens.simulate(t_end=20_000, dt=0.05, t_record=10_000)
print(f"{ens.size} neurons x 20 000 time units in {time.perf_counter() - t0:.1f} s")
patterns = res.summaries()["pattern"].reshape(currents.shape)
for name in ("rest", "tonic", "bursting", "irregular"):
    print(f"  {name:10s} {np.sum(patterns == name):5d} cells")
