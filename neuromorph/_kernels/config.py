"""Compilation options shared by every kernel.

* ``cache=True``: compiled code is stored next to the sources and reused.
* ``error_model="numpy"``: no ZeroDivisionError checks, which would block
  vectorisation of the lane loops.
* ``fastmath={"contract"}``: FMA contraction only; reassociation would break
  the rounding tricks of :mod:`.mathfn`.
* ``_nrt=False``: kernels never allocate (the Python layer passes work
  buffers), so no reference counting runs in the loops. With it, an atomic
  increment/decrement pair per array view made each step ~2x slower.
* ``nogil=True``: kernels release the GIL, so independent runs (behaviour-map
  cells, ensemble blocks) proceed in parallel on threads.
"""

FASTMATH = {"contract"}
JIT = dict(cache=True, error_model="numpy", fastmath=FASTMATH, _nrt=False, nogil=True)
JIT_INLINE = dict(JIT, inline="always")
