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
* ``parallel=True`` (:data:`JIT_PARALLEL`, the fixed-step kernel only): the vector field of
  a model of :data:`PARALLEL_FROM` neurons or more is cut into one piece per thread and the
  pieces run on numba's threads (two parallel regions per evaluation, ~5 us each, against
  ~0.5 ms of work for 10 000 neurons). Smaller models take the serial path. The threading
  layer must be threadsafe (TBB or OpenMP; numba's own workqueue is not, and kernels run on
  several Python threads at once in maps and ensembles).
"""

import os

import numba

FASTMATH = {"contract"}
JIT = dict(cache=True, error_model="numpy", fastmath=FASTMATH, _nrt=False, nogil=True)
JIT_INLINE = dict(JIT, inline="always")
JIT_PARALLEL = dict(JIT, parallel=True)
PARALLEL_FROM = 512

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "threadsafe"
