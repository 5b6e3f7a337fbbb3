"""Studies built on many runs, split by job: :mod:`.spec` describes a study (:class:`~neuromorph.Study`, spec
files, fingerprint), :mod:`.runner` runs it (chunks, engines, in-process threads or Dask), :mod:`.member` is
the vocabulary of its members (metrics, failure reasons, axes) and :mod:`.store` keeps its results. A behaviour
map (:mod:`.maps`) is a study run by the runner; reliability (:mod:`.reliability`) is one ensemble in-process
and a study on Dask; both results are xarray Datasets with accessors. Inverse design (:mod:`.design`) searches
with single runs."""
