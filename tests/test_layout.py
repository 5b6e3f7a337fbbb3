"""The package's layers: module-level imports flow one way, and the flat layout's module names still import."""

import ast
import importlib
import warnings
from pathlib import Path

import pytest

import neuromorph as nm

PACKAGE = Path(nm.__file__).resolve().parent

# Lower layers first; a module may import (at module level) only from its own layer or lower ones.
LAYERS = ["base", "_kernels", "model", "io", "lower", "analysis", "solve", "spice", "studies", "ui"]
BASE = {"errors", "_validate", "_progress", "_parallel"}


def layer_of(module):
    """``neuromorph.solve.ensemble`` -> ``"solve"``; the foundation modules -> ``"base"``."""
    parts = module.split(".")
    if len(parts) == 1:
        return None  # the package itself
    if parts[1] == "__main__":
        return "ui"  # ``python -m neuromorph`` is the command line
    return "base" if parts[1] in BASE else parts[1]


def module_imports(path):
    """Absolute names of the neuromorph modules ``path`` imports at module level (not inside functions)."""
    package = ".".join(("neuromorph",) + path.relative_to(PACKAGE).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in tree.body:  # module level only: a name resolved at call time (a preset) may look higher up
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - (path.name == "__init__.py"))]
            if path.name != "__init__.py":
                base = package.split(".")[:-node.level]
            target = ".".join(base + ([node.module] if node.module else []))
            found.extend([target] if node.module else [f"{target}.{a.name}" for a in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("neuromorph"):
            found.append(node.module)
    return found


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"
                                        or p.parent != PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_down_the_layers(path):
    module = ".".join(("neuromorph",) + path.relative_to(PACKAGE).with_suffix("").parts)
    own = layer_of(module)
    for target in module_imports(path):
        other = layer_of(target)
        if other is None:
            continue
        assert LAYERS.index(other) <= LAYERS.index(own), f"{module} ({own}) imports {target} ({other})"


def test_the_import_reader_sees_relative_imports():
    found = module_imports(PACKAGE / "solve" / "ensemble.py")
    assert "neuromorph.lower.compile" in found and "neuromorph._kernels" in found
    assert "neuromorph.analysis.spikes" in module_imports(PACKAGE / "solve" / "results.py")


@pytest.mark.parametrize("old, name", [("neuromorph.plotting", "plot_trace"), ("neuromorph.elements", "Current"),
                                       ("neuromorph.sweeps", "behaviour_map"), ("neuromorph.ensemble", "Ensemble"),
                                       ("neuromorph.results", "SimulationResult")])
def test_modules_of_the_flat_layout_still_import_with_a_warning(old, name):
    import sys

    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert any(issubclass(w.category, DeprecationWarning) and "moved to" in str(w.message) for w in caught)
    assert getattr(module, name) is getattr(nm, name)
