"""The summary table the command line and the demo print: one row per circuit (or network node).

Examples
--------
>>> row = {"pattern": "tonic", "n_spikes": 12, "isi_mean": 41.5, "burst_period": None, "spikes_per_burst": None,
...        "intra_burst_isi": None, "duty_cycle": None}
>>> summary_line("tonic", row).split()
['tonic', 'tonic', '12', '41.50', '-', '-', '-', '-']
"""

__all__ = ["SUMMARY_HEADER", "summary_line", "phase_text"]

SUMMARY_HEADER = (f"{'circuit':36s} {'pattern':10s} {'spikes':>7s} {'ISI':>9s} {'period':>9s} {'spb':>5s} "
                  f"{'intra-ISI':>9s} {'duty':>6s}")
"""Column titles of :func:`summary_line`."""


def summary_line(name, summary):
    """One row of the table: ``name`` and the metrics of a spike summary (``-`` where one does not apply)."""

    def fmt(x, spec):
        width = spec.split(".")[0].rstrip("df")
        return f"{'-':>{width}s}" if x is None else format(x, spec)

    return (f"{name:36s} {summary['pattern']:10s} {summary['n_spikes']:7d} {fmt(summary['isi_mean'], '9.2f')} "
            f"{fmt(summary['burst_period'], '9.1f')} {fmt(summary['spikes_per_burst'], '5d')} "
            f"{fmt(summary['intra_burst_isi'], '9.2f')} {fmt(summary['duty_cycle'], '6.3f')}")


def phase_text(row):
    """A network node's burst phase (a row of :meth:`SimulationResult.rhythm`) to three decimals, ``-`` if none."""
    return "-" if row["phase"] is None else f"{row['phase']:.3f}"
