"""Numba kernels. Everything here is compiled with ``cache=True`` and trusts its
inputs: validation happens once, in the public Python layer."""
