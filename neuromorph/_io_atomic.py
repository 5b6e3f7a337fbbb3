"""Write files atomically: to a temporary file in the same folder, then rename.

A failure (bad data, full disk, Ctrl-C) never leaves a partial file behind.
"""

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "write_together"]


def _final_mode(path):
    """Mode the file would get from a plain open(): an existing file's, else 0o666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path, writer, binary=False):
    """Call ``writer(file)`` on a temporary file and rename it to ``path`` on success."""
    path = Path(path)
    folder = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.chmod(tmp, _final_mode(path))
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def check_writable(path):
    """The folder ``path`` will be written in; errors if it is missing or ``path`` is a folder."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {str(path)!r}: it is a folder; give a file name")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    return folder


def write_together(outputs):
    """Write several files all or none: ``outputs`` is a list of ``(path, write)`` with ``write(tmp)``
    creating a file at ``tmp`` (a hidden name in the same folder with the same suffix). Only when
    every file is written are they renamed into place; on any failure the temporary files are
    removed and files already at the paths stay as they were."""
    staged = []
    try:
        for path, write in outputs:
            path = Path(path)
            folder = check_writable(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".tmp", dir=folder)
            os.close(fd)
            staged.append((tmp, path))
            write(tmp)
            os.chmod(tmp, _final_mode(path))  # not mkstemp's 0600
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
