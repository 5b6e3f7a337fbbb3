"""The documentation's code runs as written: the site is where users copy their first scripts from.

- Every page's Python blocks run, in order, in one namespace per page (each page imports what it uses),
  in a fresh working folder.
- Every ``neuromorph ...`` command line in a bash block is accepted by the command line's own parser (the
  commands themselves run in ``tests/test_cli*.py`` and in the trial, ``.ci/trial.py``, which runs the
  command-line page's lines as written).
- Every TOML block is a file neuromorph reads: a circuit file (neuron or network) or a study spec.
"""

import re
import shlex
from pathlib import Path

import pytest

import neuromorph as nm

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def _blocks(page, language):
    return re.findall(rf"^```{language}\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M)


def _name(page):
    return str(page.relative_to(DOCS))


PYTHON_PAGES = [p for p in PAGES if _blocks(p, "python")]


def test_the_pages_with_code_are_found():
    names = {_name(p) for p in PYTHON_PAGES}
    assert {"quickstart.md", "user_guide/neurons.md", "user_guide/spice.md", "user_guide/studies.md",
            "user_guide/tuner.md", "user_guide/noise.md", "user_guide/networks.md"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("page", PYTHON_PAGES, ids=_name)
def test_python_blocks_of_a_page_run_as_written(page, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}  # as a user's script: local Dask workers start under this guard
    try:
        for block in _blocks(page, "python"):
            exec(compile(block, str(page), "exec"), namespace)  # noqa: S102 - the docs are ours
    finally:
        plt.close("all")
    assert "nm" in namespace, "the page imports neuromorph itself (it can be copied into a fresh script)"


def _command_lines():
    for page in [*PAGES, ROOT / "README.md"]:
        for language in ("bash", "console", "text"):
            for block in _blocks(page, language):
                for line in block.replace("\\\n", " ").splitlines():
                    line = line.strip().removeprefix("$ ")
                    if line.startswith("neuromorph "):
                        yield page.name, line


def test_every_documented_command_line_is_accepted_by_the_parser():
    from neuromorph.ui.cli import build_parser

    lines = list(_command_lines())
    commands = {shlex.split(line, comments=True)[1] for _, line in lines}
    assert {"simulate", "iv", "map", "reliability", "export-spice", "spice-run", "tune", "sweep", "presets",
            "demo"} <= commands
    refused = []
    for page, line in lines:
        try:
            build_parser().parse_args(shlex.split(line, comments=True)[1:])
        except SystemExit as exit_:
            if exit_.code not in (0, None):  # --help and --version exit 0
                refused.append(f"{page}: {line}")
    assert not refused, "documented command lines the parser refuses:\n" + "\n".join(refused)


TOML_BLOCKS = [(p, i, text) for p in PAGES for i, text in enumerate(_blocks(p, "toml"))]


def test_toml_blocks_are_found():
    assert len(TOML_BLOCKS) >= 3


@pytest.mark.parametrize("page, index, text", TOML_BLOCKS, ids=[f"{_name(p)}-{i}" for p, i, _ in TOML_BLOCKS])
def test_toml_blocks_are_files_neuromorph_reads(page, index, text, tmp_path):
    import tomllib

    data = tomllib.loads(text)
    if "model" in data:  # a study spec
        path = tmp_path / "study.toml"
        path.write_text(text)
        study = nm.load_study(path)
        assert study.t_end == data["t_end"]
    else:  # a circuit file: a neuron or a network
        model = nm.loads(text)
        assert isinstance(model, (nm.Neuron, nm.Network))
