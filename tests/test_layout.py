"""The package's layers: imports (at module level and inside functions) flow one way, modules of a layer
import each other without circles, and the flat layout's module names still import."""

import ast
import importlib
import warnings
from collections import namedtuple
from pathlib import Path

import networkx as nx
import pytest

import neuromorph as nm

PACKAGE = Path(nm.__file__).resolve().parent

# Lower layers first; a module may import only from its own layer or lower ones.
LAYERS = ["base", "_kernels", "model", "io", "lower", "analysis", "solve", "spice", "estimation", "studies", "control", "ui"]
BASE = {"errors", "_validate", "_progress", "_parallel"}

# The upward imports made on purpose, each inside one function: conveniences on user objects, like pandas'
# ``DataFrame.plot``. ``(module, function, imported module): why``. Keep it short: anything else moves down.
UPWARD = {
    ("neuromorph.model.neuron", "Neuron.compile", "neuromorph.lower.compile"):
        "a neuron compiles itself (cached on it), so every engine takes a Neuron",
    ("neuromorph.model.network", "Network.compile", "neuromorph.lower.compile"):
        "a network compiles itself (cached on it), as a Neuron does",
    ("neuromorph.model.neuron", "Neuron.simulate", "neuromorph.solve.integrator"):
        "`neuron.simulate(...)`: nm.simulate as a method",
    ("neuromorph.model.network", "Network.simulate", "neuromorph.solve.integrator"):
        "`network.simulate(...)`: nm.simulate as a method",
    ("neuromorph.model.network", "resolve_neuron", "neuromorph.io.circuits"):
        "a preset name wherever a network takes a neuron (hco('bursting')): the one place the model layer reads one",
    ("neuromorph.studies.reliability", "ReliabilityResult.plot", "neuromorph.ui.plotting"):
        "`result.plot()`: the figure of a reliability study as a method",
}

Import = namedtuple("Import", "target name function line")
"""One imported neuromorph module (``name`` taken from it, or None), in ``function`` (None: module level)."""


def module_name(path):
    """``.../neuromorph/solve/ensemble.py`` -> ``neuromorph.solve.ensemble`` (a package's ``__init__``: the package)."""
    parts = ("neuromorph",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer_of(module):
    """``neuromorph.solve.ensemble`` -> ``"solve"``; the foundation modules -> ``"base"``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "ui"  # the package itself re-exports every layer
    if parts[1] == "__main__":
        return "ui"  # ``python -m neuromorph`` is the command line
    return "base" if parts[1] in BASE else parts[1]


def _from_root(name):
    """The module a name imported from the package itself comes from (None: metadata such as ``__version__``)."""
    if name in nm._LAZY:
        return f"neuromorph.{nm._LAZY[name]}"
    home = getattr(getattr(nm, name), "__module__", None)
    return home if home and home.startswith("neuromorph.") else None


def module_imports(path, source=None):
    """Every import of a neuromorph module in ``path``, at module level and inside functions and methods.

    Relative imports are resolved; ``from PACKAGE import name`` gives the module ``PACKAGE.name`` when
    there is one, else the package; a name taken from ``neuromorph`` itself gives the module it is
    defined in. ``source``: the text to read as if it were the file's (default: the file's own).
    """
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, f"{function}.{child.name}" if function else child.name)
                continue
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, None, function, child.lineno) for a in child.names
                             if a.name.split(".")[0] == "neuromorph")
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    source = ".".join(parts[: len(parts) - child.level + 1] + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                if source.split(".")[0] != "neuromorph":
                    continue
                for a in child.names:
                    if source == "neuromorph" and f"neuromorph.{a.name}" not in MODULES:
                        target = _from_root(a.name)
                    else:
                        target = f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source
                    if target is not None:
                        found.append(Import(target, a.name, function, child.lineno))
            visit(child, function)

    visit(ast.parse(path.read_text(encoding="utf-8") if source is None else source), None)
    return found


def _sources():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py")


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_down_the_layers(path):
    module = module_name(path)
    own = layer_of(module)
    for found in module_imports(path):
        other = layer_of(found.target)
        if LAYERS.index(other) <= LAYERS.index(own) or (module, found.function, found.target) in UPWARD:
            continue
        where = f"in {found.function}" if found.function else "at module level"
        pytest.fail(f"{module} ({own}) imports {found.target} ({other}) {where}, line {found.line}")


def test_every_allowed_upward_import_is_still_made():
    made = {(module_name(p), f.function, f.target) for p in _sources() for f in module_imports(p)}
    assert set(UPWARD) <= made, f"remove from UPWARD what is no longer imported: {set(UPWARD) - made}"


def test_the_import_reader_sees_relative_and_in_function_imports():
    found = module_imports(PACKAGE / "solve" / "ensemble.py")
    assert "neuromorph.lower.compile" in {f.target for f in found if f.function is None}
    assert "neuromorph._kernels.lanes" in {f.target for f in found}  # (`from .._kernels import lanes`)
    assert "neuromorph.analysis.spikes" in {f.target for f in module_imports(PACKAGE / "solve" / "results.py")}
    assert ("Neuron.simulate", "neuromorph.solve.integrator") in {
        (f.function, f.target) for f in module_imports(PACKAGE / "model" / "neuron.py")}
    assert ("_load", "neuromorph") in {(f.function, f.target) for f in module_imports(PACKAGE / "ui" / "cli.py")}


def test_the_import_reader_finds_imports_in_nested_functions_and_from_the_package_itself():
    source = ("class A:\n    def f(self):\n        def g():\n            from ..studies.sweep import Study\n"
              "import neuromorph\nfrom .. import __version__, simulate, run_study\n")
    assert module_imports(PACKAGE / "model" / "elements.py", source) == [
        Import("neuromorph.studies.sweep", "Study", "A.f.g", 4), Import("neuromorph", None, None, 5),
        Import("neuromorph.solve.integrator", "simulate", None, 6), Import("neuromorph.studies.sweep", "run_study", None, 6)]


def import_graph():
    """Directed graph of the package's modules: an edge for every import (module level or in a function),
    labelled with where the imports are."""
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        module = module_name(path)
        for found in module_imports(path):
            if found.target != module:
                graph.add_edge(module, found.target)
                graph.edges[module, found.target].setdefault("at", []).append(
                    f"{found.name or found.target} ({found.function or 'module level'})")
    return graph


@pytest.mark.parametrize("layer", LAYERS)
def test_the_modules_of_a_layer_import_each_other_without_circles(layer):
    graph = import_graph()
    within = graph.subgraph(m for m in graph if m != "neuromorph" and layer_of(m) == layer)
    circles = ["\n  ".join(f"{a} -> {b}: {', '.join(within.edges[a, b]['at'])}" for a, b in zip(c, c[1:] + c[:1]))
               for c in nx.simple_cycles(within)]
    assert not circles, "import circles:\n  " + "\n\n  ".join(circles)


def test_private_names_are_not_imported_from_other_modules():
    """A name another module needs is public in the module that owns it (the private ``_kernels`` package shares
    its numba helpers inside itself, and is left as it is)."""
    private = []
    for path in _sources():
        module = module_name(path)
        for found in module_imports(path):
            name = found.name or ""
            if (name.startswith("_") and not name.startswith("__") and not found.target.endswith(f".{name}")
                    and not (layer_of(module) == layer_of(found.target) == "_kernels")):
                private.append(f"{module} imports {name} from {found.target}")
    assert not private, "\n".join(private)


@pytest.mark.parametrize("old, name", [("neuromorph.plotting", "plot_trace"), ("neuromorph.elements", "Current"),
                                       ("neuromorph.sweeps", "behaviour_map"), ("neuromorph.ensemble", "Ensemble"),
                                       ("neuromorph.results", "SimulationResult")])
def test_modules_of_the_flat_layout_still_import_with_a_warning(old, name):
    import sys

    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert any(issubclass(w.category, DeprecationWarning) and "moved to" in str(w.message)
               and "removed in 0.3" in str(w.message) for w in caught)
    assert getattr(module, name) is getattr(nm, name)


def test_the_flat_layouts_names_go_in_the_release_the_warning_names():
    """The old module names are deprecated in 0.2 and removed in 0.3 (docs: contributing, Layout): this fails on the version
    bump that should have removed them, and when pyproject's version and the package's part."""
    import tomllib

    from neuromorph import _MOVED_UNTIL

    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    assert declared == nm.__version__
    as_tuple = lambda text: tuple(int(p) for p in text.split(".")[:2])  # noqa: E731
    assert as_tuple(nm.__version__) < as_tuple(_MOVED_UNTIL), "remove _MovedModules from neuromorph/__init__.py"
    assert f"removed in {_MOVED_UNTIL}" in (root / "docs" / "contributing.md").read_text()


def test_importing_every_module_leaves_the_ctrl_c_handler_alone():
    """A library module must not touch signal handlers when imported: pytest's doctest collection imports them
    all, and one that ignored SIGINT (the Dask workers' preload did, at import) left Ctrl-C dead in the whole
    test process; a user's script that imported it would lose Ctrl-C the same way."""
    import subprocess
    import sys

    script = (
        "import importlib, pkgutil, signal, neuromorph\n"
        "names = [m.name for m in pkgutil.walk_packages(neuromorph.__path__, 'neuromorph.')\n"
        "         if not m.name.endswith('__main__')]\n"
        "assert len(names) > 40, names\n"
        "changed = []\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:\n"
        "        changed.append(name)\n"
        "        signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "print(' '.join(changed))\n")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"importing these changed the SIGINT handler: {out.stdout}"
