"""Studies built on many runs: behaviour maps and inverse design."""
