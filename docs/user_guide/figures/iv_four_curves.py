import neuromorph as nm

nm.plot_iv(nm.preset("bursting"), i_app=-2.0)
