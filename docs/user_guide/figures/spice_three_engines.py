import matplotlib.pyplot as plt
import neuromorph as nm

numba = nm.simulate("tonic", 300, i_app=-0.7, dt_out=0.1)
behavioural = nm.spice_simulate("tonic", 300, i_app=-0.7)
transistor = nm.spice_simulate("tonic", 300, i_app=-0.7, level="transistor", max_step=0.2)
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
ax.plot(numba.t, numba.v, lw=2.5, alpha=0.4, label="numba (dopri5)")
ax.plot(behavioural.t, behavioural.v, "--", label="ngspice, behavioural")
ax.plot(transistor.t, transistor.v, lw=1, label="ngspice, transistor level")
ax.set(xlabel="time (membrane time constants)", ylabel="V (model units)")
ax.legend(fontsize=8, loc="lower right")
