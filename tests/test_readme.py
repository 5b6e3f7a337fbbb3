"""The README's example runs as written and its links lead somewhere (its API is a promise to users' scripts)."""

import re
from pathlib import Path

import pytest

import neuromorph as nm

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_python_example_runs_and_says_what_it_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    code = blocks()
    assert code, "the README has a Python example"
    for block in code:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README is ours
    # What its comments claim, measured on the objects the example made (MODEL.md's reference numbers).
    summary = namespace["res"].summary()
    assert (summary["pattern"], summary["spikes_per_burst"], summary["t_start"]) == ("bursting", 7, 5000.0)
    assert summary["burst_period"] == pytest.approx(2493.9, abs=0.1)
    assert nm.predict_behaviour(namespace["n"], i_app=-2.0) == "bursting"
    phase = namespace["net"].simulate(30_000).rhythm(t_start=10_000)["neurons"]["n2"]["phase"]
    assert phase == pytest.approx(0.5, abs=0.02)
    assert (tmp_path / "hco.cir").read_text().rstrip().endswith(".end")


def test_readme_links_point_at_files_of_the_repository():
    links = re.findall(r"\]\(([^)#]+)\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]
    assert len(local) >= 15  # the picture and the documentation's pages
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
