import neuromorph as nm

res = nm.preset("bursting").simulate(6_000, i_app=-2.0)
nm.plot_trace(res, states=["v", "slow", "ultraslow"], title="bursting neuron, I_app = -2")
