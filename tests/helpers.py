"""Helpers shared by the tests that run the command line in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CIRCUITS = ROOT / "circuits"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def run(cwd, *args, timeout=600):
    """``python -m neuromorph ARGS`` in ``cwd``; returns the completed process (text output)."""
    return subprocess.run([sys.executable, "-m", "neuromorph", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=ENV)


def one_line(stderr):
    """The single line of an error message (a test fails if there is more, e.g. a traceback). The line
    of a first run compiling a kernel (a cold numba cache) is not part of it."""
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("neuromorph: compiling the ")]
    assert len(lines) == 1, stderr
    return lines[0]
