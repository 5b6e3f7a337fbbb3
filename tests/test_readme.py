"""The README's Python examples run as written (its API is a promise to users' scripts)."""

import re
from pathlib import Path

import numpy as np
import pytest

import neuromorph as nm

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"np": np}
    code = blocks()
    assert len(code) >= 3
    for block in code:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README is ours
    assert set(namespace["G"].nodes) == {"n1", "n2"} and namespace["sweep"].size == 3  # the blocks ran through
    first = nm.preset("bursting").simulate(10_000, -2.0).summary()  # the documented summary
    assert (first["pattern"], first["spikes_per_burst"], first["t_start"]) == ("bursting", 7, 5000.0)
    assert first["burst_period"] == pytest.approx(2493.9, abs=0.1)
