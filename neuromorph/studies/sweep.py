"""Sweeps and Monte Carlo studies: the public entry points, gathered from the modules that do each job.

A study is described by :class:`Study` (:mod:`.spec`: the description, spec files, fingerprint), run by
:func:`run_study` (:mod:`.runner`: chunks, engines, executors), with the per-member vocabulary of
:mod:`.member` (metrics, failure reasons, axes) and its results kept by :mod:`.store`. This module only
re-exports them under the names scripts use (``from neuromorph.studies.sweep import Study, run_study``).
"""

from .member import REASONS
from .runner import dclient_threads, run_chunk, run_study
from .spec import Study, default_chunk_size, load_study

__all__ = ["Study", "load_study", "run_chunk", "run_study", "REASONS", "default_chunk_size", "dclient_threads"]
