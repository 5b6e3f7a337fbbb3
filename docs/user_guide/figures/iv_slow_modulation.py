import numpy as np
import matplotlib.pyplot as plt
import neuromorph as nm

n = nm.preset("bursting")
v = np.linspace(-3, 1, 401)
fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
for alpha in (-0.5, -1.0, -1.5, -2.0, -2.5):
    n.set("slow_negative.alpha", alpha)
    iv = nm.iv_curves(n, v=v, i_app=-2.0, timescales=("slow",))
    ax.plot(v, iv["slow"], label=f"alpha = {alpha}")
    ax.plot(v[iv.conductance("slow") < 0], iv["slow"][iv.conductance("slow") < 0], "k", lw=3, alpha=0.3)
ax.set(xlabel="V", ylabel="slow I-V current", title="slow curve (grey: negative conductance)")
ax.legend(fontsize=8)
