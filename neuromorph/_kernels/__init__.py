"""Numba kernels. Everything here is compiled with ``cache=True`` and trusts its
inputs: validation happens once, in the public Python layer.

numba invalidates a cached function only when the file that defines it
changes, not when a function it inlines from another file does (``rhs`` from
``field.py`` into every solver, ``tanh`` from ``mathfn.py``, the options in
``config.py``). So this package keeps a digest of all its sources next to the
cache and drops the cached kernels whenever any of them changed.

A kernel compiled rather than loaded from the cache announces itself on stderr
(:mod:`.notice`): a first run takes a while, and says so.
"""

import hashlib
import os
from pathlib import Path

from . import notice


def _cache_folders(here):
    """The folder numba keeps this package's compiled kernels in: the first of its cache
    locators that accepts a file of this folder (``NUMBA_CACHE_DIR``, then ``__pycache__`` if
    writable, then the user-wide cache), as numba itself picks; every candidate if numba's
    locators cannot be asked."""
    try:
        from numba.core.caching import CacheImpl

        for locator in CacheImpl._locator_classes:
            found = locator.from_function(_drop_stale_cache, str(here / "__init__.py"))
            if found is not None:
                return [Path(found.get_cache_path())]
    except (ImportError, AttributeError, TypeError):
        pass
    folders = [here / "__pycache__"]
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:  # numba's naming: the folder's name and the SHA-1 of its path
        folders.append(Path(custom) / f"{here.name}_{hashlib.sha1(str(here).encode()).hexdigest()}")
    return folders


def _drop_stale_cache():
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for source in sorted(here.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    stamp = digest.hexdigest()
    for folder in _cache_folders(here):
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

notice.install()
