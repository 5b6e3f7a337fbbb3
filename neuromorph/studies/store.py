"""Study results in a chunked Zarr store, written chunk by chunk and resumable.

Layout (Zarr v3, readable as is with ``xarray.open_zarr``): one flat ``member`` dimension in
the order of :meth:`Study.members`, chunked as the study's chunks, so each finished chunk is one
file per variable, written atomically by Zarr. Coordinates per member: ``chip``, ``trial`` and
each grid path; ``neuron`` names. Variables: ``pattern`` (codes, CF ``flag_values`` /
``flag_meanings``), the metrics, ``spike_count``, ``status`` (each member's
:attr:`Failure.code <neuromorph.errors.Failure.code>`, -1 for one not run yet; CF ``flag_values`` /
``flag_meanings`` from :class:`~neuromorph.errors.Failure`), and ``spike_times`` / ``v`` when asked for.
``chunk_done[k]`` is set after chunk ``k``'s data: a resumed study recomputes only the chunks
without it. The group's attributes hold the spec (``neuromorph_spec``, JSON), its SHA-256,
the package version and whether the study is ``complete``.

:func:`open_study` gives the N-dimensional view (grid paths, ``chip``, ``trial``, ``neuron``).
"""

import json
import os
import shutil
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis.spikes import PATTERNS
from ..errors import ModelError, NeuromorphWarning, OutputError
from ..io.files import probe_folder
from .member import METRICS, REASONS
from .spec import Study, n_samples, trace_times

__all__ = ["open_study"]

_SPEC_KEY = "neuromorph_spec"
_LAZY = ("spike_times", "v")
_HASH_KEY = "neuromorph_spec_sha256"


@dataclass(frozen=True)
class StoreInfo:
    """What an existing store says of itself."""

    fingerprint: str
    chunk_size: int
    complete: bool
    version: str


@dataclass(frozen=True)
class Target:
    path: Path
    existing: StoreInfo | None  # a store of this very study to resume
    replace: bool  # a store of another study, to be replaced


def _info(path):
    """A study store's :class:`StoreInfo`, or None if ``path`` holds no neuromorph study."""
    meta = path / "zarr.json"
    if not meta.is_file():
        return None
    try:
        attrs = json.loads(meta.read_text()).get("attributes", {})
    except (OSError, ValueError):
        return None
    if _HASH_KEY not in attrs:
        return None
    return StoreInfo(attrs[_HASH_KEY], int(attrs["chunk_size"]), bool(attrs.get("complete")),
                     str(attrs.get("neuromorph_version")))


def check_target(out, study, resume=False, overwrite=False):
    """Check the store path before any work: writable, and either new, this study's (``resume``) or replaceable.

    Raises :class:`~neuromorph.errors.OutputError` naming the path otherwise.
    """
    path = Path(os.fspath(out))
    shown = repr(str(out))
    if path.exists() and not path.is_dir():
        raise OutputError(f"cannot write the study store {shown}: it is a file, not a Zarr store (a folder)")
    info = _info(path) if path.is_dir() else None
    if path.is_dir() and info is None and any(path.iterdir()):
        raise OutputError(f"{shown} is a folder that does not hold a neuromorph study; not touching it "
                          "(give a new path for the store)")
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write the study store {shown}: folder {str(path.parent)!r} does not exist")
    probe_folder(folder, f"the study store {shown}")
    if info is None:
        return Target(path, None, False)
    from .. import __version__

    same = info.fingerprint == study.fingerprint()
    if same and resume and info.version != __version__ and not info.complete:
        raise OutputError(f"{shown} was started by neuromorph {info.version}; this is {__version__}, whose numbers "
                          "may differ: finish it with that version, or start again (overwrite=True, --overwrite)")
    if same and resume:
        return Target(path, info, False)
    if overwrite:
        return Target(path, None, True)
    if same:
        state = "complete" if info.complete else "interrupted"
        raise OutputError(f"{shown} already holds this study ({state}): resume it (resume=True, --resume) or start "
                          "again (overwrite=True, --overwrite)")
    raise OutputError(f"{shown} holds a different study (spec {info.fingerprint[:12]}, this one "
                      f"{study.fingerprint()[:12]}); refusing to mix them: give another path, or overwrite=True "
                      "(--overwrite) to replace it")


def _layout(study):
    """``{name: (trailing shape, trailing dims, dtype, fill)}`` of the per-member variables."""
    nn = len(study.neuron_names)
    out = {"pattern": ((nn,), ("neuron",), "i1", -1), "status": ((), (), "i1", -1),
           "spike_count": ((nn,), ("neuron",), "i8", -1)}
    out.update({k: ((nn,), ("neuron",), "f8", np.nan) for k in METRICS})
    if study.spikes:
        out["spike_times"] = ((nn, study.spikes), ("neuron", "spike"), "f8", np.nan)
    if study.traces:
        out["v"] = ((nn, n_samples(study)), ("neuron", "time"), "f8", np.nan)
    return out


def stored_bytes(study):
    """Bytes of one member's stored results (every variable, spike times and traces included)."""
    return sum(int(np.prod(shape)) * np.dtype(dtype).itemsize for shape, _, dtype, _ in _layout(study).values())


def _flag_attrs(name):
    if name == "pattern":
        return {"flag_values": list(range(len(PATTERNS))), "flag_meanings": " ".join(PATTERNS)}
    if name == "status":
        return {"flag_values": [r.code for r in REASONS],
                "flag_meanings": " ".join(r.value.replace(" ", "_") for r in REASONS)}
    return {}


class ZarrSink:
    """The store of one study, written chunk by chunk."""

    def __init__(self, target, study, chunk_size, n_chunks):
        import zarr

        from .. import __version__

        self.path = target.path
        self.study = study
        if target.existing is None:
            # Built aside and moved into place: an interrupted creation leaves no half-made store at the path.
            aside = self.path.parent / f".{self.path.name}.creating-{uuid.uuid4().hex[:8]}"
            try:
                self.group = zarr.open_group(str(aside), mode="w", zarr_format=3)
                self._create(chunk_size, n_chunks, __version__)
                if target.replace:
                    shutil.rmtree(self.path)
                os.replace(aside, self.path)  # (onto an empty folder, or a new name)
            finally:
                shutil.rmtree(aside, ignore_errors=True)
        self.group = zarr.open_group(str(self.path), mode="r+")
        self.arrays = {name: self.group[name] for name in _layout(study)}
        self.done_array = self.group["chunk_done"]
        self.finished = self.done_array[:].astype(bool)

    def _create(self, chunk_size, n_chunks, version):
        study, g, n = self.study, self.group, self.study.n_members
        values, chips, trials = study.members()
        coords = " ".join(["chip", "trial", *study.grid])
        for name, data in (("chip", chips), ("trial", trials), *values.items()):
            g.create_array(name, shape=(n,), chunks=(chunk_size,), dtype=data.dtype, dimension_names=["member"])[:] = data
        g.create_array("neuron", shape=(len(study.neuron_names),), dtype=str,
                       dimension_names=["neuron"])[:] = np.array(study.neuron_names, dtype=object)
        if study.traces:
            t = trace_times(study)
            g.create_array("time", shape=t.shape, dtype="f8", dimension_names=["time"])[:] = t
        for name, (shape, dims, dtype, fill) in _layout(study).items():
            arr = g.create_array(name, shape=(n, *shape), chunks=(chunk_size, *shape), dtype=dtype, fill_value=fill,
                                 dimension_names=["member", *dims])
            arr.attrs.update({"coordinates": coords, **_flag_attrs(name)})
        g.create_array("chunk_done", shape=(n_chunks,), chunks=(1,), dtype="i1", fill_value=0,
                       dimension_names=["chunk"])
        g.attrs.update({_SPEC_KEY: json.dumps(study.to_dict(), sort_keys=True), _HASH_KEY: study.fingerprint(),
                        "neuromorph_version": version, "chunk_size": chunk_size, "n_members": n, "n_chunks": n_chunks,
                        "dims": list(study.dims), "complete": False})

    def done(self, k):
        return bool(self.finished[k])

    def write(self, k, bounds, result):
        a, b = bounds
        for name, arr in self.arrays.items():
            arr[a:b] = result[name]
        self.done_array[k] = 1  # after the data: a chunk marked done is whole
        self.finished[k] = True

    def close(self):
        import zarr

        if self.finished.all():
            self.group.attrs["complete"] = True
        with warnings.catch_warnings():  # "not part of the Zarr v3 specification": xarray reads it all the same
            warnings.simplefilter("ignore")
            zarr.consolidate_metadata(str(self.path))  # one read opens the store (xarray.open_zarr looks for it)

    def dataset(self):
        return open_study(self.path, partial=True)


class MemorySink:
    """Results of a study kept in memory (no store)."""

    def __init__(self, study):
        self.study = study
        n = study.n_members
        self.data = {name: np.full((n, *shape), fill, dtype=dtype)
                     for name, (shape, _, dtype, fill) in _layout(study).items()}

    def done(self, k):
        return False

    def write(self, k, bounds, result):
        a, b = bounds
        for name, arr in self.data.items():
            arr[a:b] = result[name]

    def close(self):
        pass

    def dataset(self):
        return to_dataset(self.study, self.data)


def to_dataset(study, data, attrs=None):
    """The N-dimensional xarray Dataset of flat per-member arrays ``data``."""
    import xarray as xr

    shape, dims = study.shape, study.dims
    coords = {path: values for path, values in study.grid.items()}
    coords.update(chip=study.chips, trial=study.trials, neuron=np.array(study.neuron_names))
    variables = {}
    for name, (trailing, tdims, _, _) in _layout(study).items():
        arr = data[name].reshape(shape + trailing)
        variables[name] = ((*dims, *tdims), arr)
    codes = variables.pop("pattern")[1]
    names = np.array(list(PATTERNS) + [""], dtype=object)
    variables["pattern"] = ((*dims, "neuron"), names[np.where(codes < 0, len(PATTERNS), codes)].astype(str))
    status = variables["status"][1]
    reasons = np.array([r.value for r in REASONS] + ["not run"], dtype=object)  # (REASONS[code] has that code)
    variables["reason"] = (dims, reasons[np.where(status < 0, len(REASONS), status)].astype(str))
    if study.traces:
        coords["time"] = trace_times(study)
    ds = xr.Dataset({k: variables[k] for k in ["pattern", *[k for k in variables if k != "pattern"]]}, coords=coords)
    ds.attrs.update(attrs or {})
    ds.attrs.setdefault("t_end", study.t_end)
    ds.attrs.setdefault("t_record", study.t_record)
    ds.attrs.setdefault("method", study.method)
    ds.attrs.setdefault("seed", study.seed)
    return ds


def open_study(path, partial=False):
    """The results in a study store as an N-dimensional xarray Dataset.

    Dimensions are the grid paths, ``chip``, ``trial`` and ``neuron`` (and ``spike``, ``time``
    where stored); ``pattern`` and ``reason`` are strings. ``attrs["spec"]`` is the study spec
    (:meth:`Study.to_dict`), ``attrs["neuromorph_version"]`` the version that wrote it.

    Parameters
    ----------
    path : str or path
        The study store (a folder) that :func:`neuromorph.run_study` wrote with ``out=path``.
    partial : bool, default False
        Open an interrupted study (members not run have pattern ``""`` and reason ``"not run"``)
        instead of refusing it.

    Returns
    -------
    xarray.Dataset
        The same Dataset as :func:`neuromorph.run_study` returned (spike times and traces read lazily,
        as Dask arrays), with ``attrs`` ``spec``, ``spec_sha256``, ``neuromorph_version``,
        ``chunk_size`` and ``complete``.

    Raises
    ------
    ModelError
        If ``path`` holds no neuromorph study store; if the study is incomplete and ``partial`` is
        False (resume it, or open it with ``partial=True``); or if the store is damaged (its spec and
        its data disagree on the dimensions).

    Examples
    --------
    >>> import os, tempfile
    >>> import neuromorph as nm
    >>> study = nm.Study("tonic", grid={"i_app": [-1.0, 0.0]}, t_end=600)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = os.path.join(folder, "tonic.zarr")
    ...     _ = nm.run_study(study, out=out)
    ...     ds = nm.open_study(out)
    ...     print(dict(ds.sizes), ds.attrs["complete"], ds["pattern"].values.ravel().tolist())
    {'i_app': 2, 'chip': 1, 'trial': 1, 'neuron': 1} True ['rest', 'tonic']
    """
    import zarr

    path = Path(os.fspath(path))
    info = _info(path) if path.is_dir() else None
    if info is None:
        raise ModelError(f"{str(path)!r} is not a neuromorph study store")
    group = zarr.open_group(str(path), mode="r")
    attrs = dict(group.attrs)
    if not info.complete and not partial:
        done = int(np.count_nonzero(group["chunk_done"][:]))
        raise ModelError(f"study store {str(path)!r} is incomplete ({done} of {attrs['n_chunks']} chunks): resume it "
                         "(run_study(..., resume=True), neuromorph sweep --resume) or open it with partial=True")
    spec = json.loads(attrs[_SPEC_KEY])
    with warnings.catch_warnings():  # its warnings (e.g. about large `spikes`) were given when the study was made
        warnings.simplefilter("ignore", NeuromorphWarning)
        study = Study.from_dict(spec)
    if list(study.dims) != list(attrs["dims"]):
        raise ModelError(f"study store {str(path)!r}: its spec gives dimensions {list(study.dims)}, its data "
                         f"{attrs['dims']}; the store is damaged or from an incompatible version")
    # Metrics are read; spike times and traces (possibly larger than memory) stay on disk until used.
    import dask.array as da

    data = {name: da.from_zarr(group[name]) if name in _LAZY else group[name][:] for name in _layout(study)}
    return to_dataset(study, data, {"spec": attrs[_SPEC_KEY], "spec_sha256": attrs[_HASH_KEY],
                                    "neuromorph_version": attrs["neuromorph_version"],
                                    "chunk_size": attrs["chunk_size"], "complete": bool(attrs["complete"])})


def open_sink(target, study, chunk_size, n_chunks):
    return ZarrSink(target, study, chunk_size, n_chunks)
