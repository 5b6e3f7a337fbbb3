import matplotlib.pyplot as plt

import neuromorph as nm

n = nm.preset("bursting")
run = n.simulate(20_000, i_app=-2.0, noise=nm.WhiteNoise(0.02), seed=1, dt=0.01, dt_out=0.05)
obs = nm.estimate(n, run, i_app=-2.0, method="observer")  # every gain starts at 0

fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, height_ratios=[1, 2.2], layout="constrained")
top.plot(run.t, run.v, color="k", lw=0.4)
top.set(ylabel="V", title="bursting neuron with white current noise 0.02, I_app = -2")
obs.plot(ax=bottom, truth=n)
bottom.axhline(1.0, color="k", lw=0.8, ls=":")
bottom.set(ylim=(-0.6, 1.4), title="adaptive observer: each gain's estimate over its true value")
