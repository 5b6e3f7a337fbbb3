"""Write files safely: checked before any work, written atomically, never over an input.

* :func:`plan_outputs` runs before a computation: it refuses an output that is
  one of the inputs (the same file by inode, whatever path or link names it),
  two outputs naming the same file, and an output whose folder does not take
  a new file (probed by creating one), so a long run never ends in
  "permission denied".
* :func:`atomic_write` and :func:`write_together` write to a temporary file in
  the target's folder and rename it into place: a failure (bad data, full
  disk, Ctrl-C) leaves no partial file and the previous file untouched.
  A path that is a symbolic link is written through: the link's target is
  replaced, the link stays.

Errors name the user's path, never the hidden temporary file.
"""

import os
import tempfile
from pathlib import Path

from ..errors import OutputError

__all__ = ["atomic_write", "write_together", "plan_outputs", "check_writable", "probe_folder", "Staging"]


def _final_mode(path):
    """Mode the file would get from a plain open(): an existing file's, else 0o666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _hidden(name):
    """A temporary file's prefix made from ``name``: hidden, and short enough that a file name of the full
    255 bytes still leaves room for the random part and the suffix."""
    return "." + os.fsencode(name)[:64].decode("utf-8", errors="ignore") + "."


def _target(path):
    """The file a write to ``path`` must replace: symbolic links followed (to a target that may not exist yet)."""
    return Path(os.path.realpath(path))


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return _target(a) == _target(b)


def check_writable(path, label=None):
    """The folder a write to ``path`` lands in, after checking that it takes a new file.

    Raises :class:`~neuromorph.errors.OutputError` naming ``path`` if it is a folder,
    its folder does not exist, or the folder refuses a new file (probed for real:
    permission bits do not tell the whole story, e.g. for root or read-only mounts).
    """
    shown = repr(str(path)) if label is None else f"{label} {str(path)!r}"
    target = _target(path)
    if target.is_dir():
        raise OutputError(f"cannot write {shown}: it is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        missing = Path(path).parent if str(Path(path).parent) else Path(".")
        raise OutputError(f"cannot write {shown}: folder {str(missing)!r} does not exist")
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"cannot write {shown}: the file is read-only")
    probe_folder(folder, shown)
    return folder


def probe_folder(folder, shown):
    """Create and remove a file in ``folder`` (permission bits do not tell the whole story, e.g. for root or
    read-only mounts); an :class:`OutputError` about ``shown`` if the folder refuses it."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".neuromorph-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: its folder does not accept new files "
                          f"({exc.strerror or exc})") from None


def plan_outputs(outputs, inputs=()):
    """Check every output before any work is done.

    Parameters
    ----------
    outputs : sequence of (label, path)
        Files a command will write (``None`` paths are skipped); ``label`` names the
        option in messages (``"--out"``).
    inputs : sequence of path
        Files the command reads; none of them may be overwritten.

    Raises
    ------
    OutputError
        An output is an input, two outputs are the same file, or an output cannot be written.
    """
    outputs = [(label, path) for label, path in outputs if path is not None]
    for label, path in outputs:
        for source in inputs:
            if source is not None and Path(source).exists() and _same_file(path, source):
                raise OutputError(f"{label} {str(path)!r} is the input file {str(source)!r}: writing it would "
                                  "destroy the input; choose another output name")
    for i, (label_a, a) in enumerate(outputs):
        for label_b, b in outputs[i + 1:]:
            if _same_file(a, b):
                raise OutputError(f"{label_a} {str(a)!r} and {label_b} {str(b)!r} name the same file; "
                                  "give each output its own name")
    for label, path in outputs:
        check_writable(path, label)


def _write_error(path, exc):
    """An :class:`OutputError` about the user's ``path`` for an OSError raised while writing a temporary file."""
    return OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}")


def atomic_write(path, writer, binary=False):
    """Call ``writer(file)`` on a temporary file and rename it to ``path`` on success."""
    target = _target(path)
    folder = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=_hidden(target.name), suffix=".tmp", dir=folder)
    try:
        os.chmod(tmp, _final_mode(target))
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _discard(tmp)
        raise _write_error(path, exc) from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp):
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def write_together(outputs):
    """Write several files all or none: ``outputs`` is a list of ``(path, write)`` with ``write(tmp)``
    creating a file at ``tmp`` (a hidden name in the same folder with the same suffix). Only when
    every file is written are they renamed into place; on any failure the temporary files are
    removed and files already at the paths stay as they were."""
    staged = []
    try:
        for path, write in outputs:
            target = _target(path)
            folder = check_writable(path)
            fd, tmp = tempfile.mkstemp(prefix=_hidden(target.stem), suffix=target.suffix[:32] or ".tmp", dir=folder)
            os.close(fd)
            staged.append((tmp, target, path))
            try:
                write(tmp)
                os.chmod(tmp, _final_mode(target))  # not mkstemp's 0600
            except OSError as exc:
                raise _write_error(path, exc) from None
        for tmp, target, path in staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _write_error(path, exc) from None
    except BaseException:
        for tmp, _, _ in staged:
            _discard(tmp)
        raise


class Staging:
    """Files of one command written into a hidden folder and moved into ``folder`` together at the end.

    ``with Staging(folder) as stage: stage.path("a.png")`` gives where to write ``a.png``; on a clean
    exit every staged file is renamed into ``folder`` (files already there are replaced), on an
    exception or Ctrl-C the staged files are removed and ``folder`` keeps what it had.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self._tmp = None

    def __enter__(self):
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError(f"cannot write into {str(self.folder)!r}: it is a file, not a folder")
        parent = _target(self.folder).parent
        while not parent.exists():  # folders still to create: stage in the nearest one that exists
            parent = parent.parent
        if not parent.is_dir():
            raise OutputError(f"cannot create folder {str(self.folder)!r}: {str(parent)!r} is a file")
        try:
            self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.", dir=parent))
        except OSError as exc:
            raise OutputError(f"cannot write into {str(self.folder)!r}: {exc.strerror or exc}") from None
        return self

    def path(self, name):
        """Where to write the output file ``name`` (a bare file name)."""
        return self._tmp / name

    def __exit__(self, kind, exc, tb):
        try:
            if kind is None:
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    for item in sorted(self._tmp.iterdir()):
                        os.replace(item, self.folder / item.name)
                except OSError as err:
                    raise OutputError(f"cannot write into {str(self.folder)!r}: {err.strerror or err}") from None
        finally:
            for item in self._tmp.iterdir():
                _discard(item)
            self._tmp.rmdir()
        return False
