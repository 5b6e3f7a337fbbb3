"""Numba kernels. Everything here is compiled with ``cache=True`` and trusts its
inputs: validation happens once, in the public Python layer.

numba invalidates a cached function only when the file that defines it
changes, not when a function it inlines from another file does (``rhs`` from
``model.py`` into every solver, ``tanh`` from ``mathfn.py``, the options in
``config.py``). So this package keeps a digest of all its sources next to the
cache and drops the cached kernels whenever any of them changed.
"""

import hashlib
import os
from pathlib import Path


def _drop_stale_cache():
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for source in sorted(here.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    stamp = digest.hexdigest()
    folders = [here / "__pycache__"]
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:  # numba mirrors the source tree below a custom cache folder
        folders.append(Path(custom) / here.relative_to(here.anchor))
    for folder in folders:
        marker = folder / "neuromorph-kernels.sha256"
        try:
            if marker.read_text() == stamp:
                continue
        except OSError:
            pass
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for cached in list(folder.glob("*.nbi")) + list(folder.glob("*.nbc")):
                cached.unlink(missing_ok=True)
            marker.write_text(stamp)
        except OSError:  # read-only install: numba then caches elsewhere, or not at all
            pass


_drop_stale_cache()
