"""What users touch besides the Python API: the command line, the demo and the figures."""
