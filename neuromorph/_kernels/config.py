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
* ``forceinline=True`` (:data:`JIT_INLINE`, every helper of a kernel): the helper is compiled
  once, on its own (and cached), and LLVM inlines it into each kernel that calls it (the
  ``alwaysinline`` attribute), so a kernel runs as if written out in one piece. numba's own
  inliner (``inline="always"``) copied and re-typed each helper at every call site, and again
  inside every helper that inlines it: the vector field, inlined seven times per DP5 step,
  made the first run compile for ~3 minutes (issue 18, ``benchmarks/BENCHMARKS.md``).
  Helpers have no CPython wrapper (``no_cpython_wrapper=True``: a fifth of their compile
  time), except the few that Python code calls too (:data:`JIT_INLINE_PYTHON`).
  :data:`JIT_VIEW` keeps numba's inliner for the helpers that return an array view (a
  function compiled on its own cannot return one without NRT).
* :data:`JIT_DRIVER` (:func:`.adaptive._adaptive_steps`, the loop of both adaptive kernels, which
  takes the method's step as an argument): numba's inliner copies it into each of its two callers,
  so it is typed and optimised only as part of them. Compiled on its own and inlined by LLVM, as
  :data:`JIT_TAKES_KERNEL` does, its large body was optimised twice: +3.7 s of CPU in a first
  ``neuromorph demo`` (``benchmarks/compile_profile.py``).
* :data:`JIT_TAKES_KERNEL`: a helper that takes the vector field as an argument (a numba
  function, typed by its identity) is compiled afresh into its caller: numba cannot cache it
  (the argument's key differs in every process), and only cached kernels call it.
* ``parallel=True`` (:data:`JIT_PARALLEL`, :func:`.field.rhs_threads` only): the vector field
  of a model of :data:`PARALLEL_FROM` neurons or more is cut into one piece per thread and the
  pieces run on numba's threads (two parallel regions per evaluation, ~5 us each, against
  ~0.5 ms of work for 10 000 neurons), in its own fixed-step kernel
  (:func:`.fixed.fixed_run_threads`): parallel compilation is slow, so only such models pay
  for it. Each thread's piece of a region is a function of its own (:data:`JIT_PIECE`, not inlined): inlined
  into the parallel region, the same loops ran 1.2-1.3x slower. A network of like neurons has its own
  field in both (:mod:`.uniform`, neurons in vector lanes; :data:`UNIFORM_FROM` neurons or more). The threading layer must be threadsafe (TBB or OpenMP; numba's own workqueue is not,
  and kernels run on several Python threads at once in maps and ensembles).

Call sites pass identical argument types (C-contiguous arrays of one dtype, the same
namedtuples, ``bool`` and ``int64`` values rather than literals, which numba types apart), so
one compiled version of each kernel and helper serves every run.
"""

import os

import numba

FASTMATH = {"contract"}
JIT = dict(cache=True, error_model="numpy", fastmath=FASTMATH, _nrt=False, nogil=True)
JIT_INLINE_PYTHON = dict(JIT, forceinline=True)
JIT_INLINE = dict(JIT_INLINE_PYTHON, no_cpython_wrapper=True)
JIT_VIEW = dict(JIT, inline="always")
JIT_DRIVER = dict(JIT, inline="always", cache=False)
JIT_TAKES_KERNEL = dict(JIT_INLINE, cache=False)
JIT_PARALLEL = dict(JIT, parallel=True)
JIT_PARALLEL_KERNEL = dict(JIT_PARALLEL, no_cpython_wrapper=True)  # (parallel parts only kernels call)
JIT_PIECE = dict(JIT, no_cpython_wrapper=True)
PARALLEL_FROM = 512
UNIFORM_FROM = 64  # a network of like neurons from this size has them in vector lanes (.uniform) in fixed steps

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "threadsafe"

_THREADS = {}


def threads_start():
    """None when numba's threads start (its threading layer loads: TBB or OpenMP), else why not (the
    error's first line). Asked once a process, when a large model would run its field on threads: a
    machine without such a layer runs every model on the serial kernels, which need none."""
    if "answer" not in _THREADS:
        from numba.np.ufunc.parallel import _launch_threads

        try:
            _launch_threads()
            _THREADS["answer"] = None
        except (ValueError, ImportError, OSError) as exc:
            _THREADS["answer"] = str(exc).splitlines()[0] or type(exc).__name__
    return _THREADS["answer"]
