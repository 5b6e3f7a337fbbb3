"""Compiled kernels from older sources are never reused.

numba invalidates a cached function only when its own file changes, not when a function it
inlines from another file does, so ``neuromorph._kernels`` keeps a digest of its sources next to
the cache and drops the cached kernels when it differs. The digest must sit in the folder where
numba really keeps them: with ``NUMBA_CACHE_DIR`` set, that is ``<dir>/_kernels_<sha1 of the
source folder>``, not a mirror of the source tree.
"""

import os
import subprocess
import sys

COMPILE_ONE = ("import numpy as np\n"
               "from neuromorph._kernels import common\n"
               "assert common.crossing(np.zeros((5, 1)), 0, 0.5) == 1.0\n")


def _python(code, cache_dir):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr


def test_kernels_cached_under_numba_cache_dir_are_dropped_when_the_sources_change(tmp_path):
    _python(COMPILE_ONE, tmp_path)
    cached = sorted(tmp_path.rglob("*.nbi"))
    assert cached, "the kernel was not cached under NUMBA_CACHE_DIR"
    folder = cached[0].parent
    marker = folder / "neuromorph-kernels.sha256"
    assert marker.is_file(), f"no source digest next to the cached kernels in {folder}"
    digest = marker.read_text()
    assert len(digest) == 64

    marker.write_text("sources of an older version")  # as if a kernel source had changed since
    _python("import neuromorph._kernels", tmp_path)
    assert not list(folder.glob("*.nbi")) and not list(folder.glob("*.nbc")), "stale kernels were kept"
    assert marker.read_text() == digest

    _python(COMPILE_ONE, tmp_path)  # compiled again and kept while the sources stay the same
    _python("import neuromorph._kernels", tmp_path)
    assert list(folder.glob("*.nbi"))
