"""Running the kernels: solver specs, the resumable integrator, ensembles in SIMD lanes, typed results."""
