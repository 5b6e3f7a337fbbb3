"""Sphinx configuration of the neuromorph documentation site.

Build it with ``bash .ci/bootstrap docs`` (set-up included), or, in an environment that has the
``[docs]`` extra, ``python -m sphinx -W -b html docs docs/_build/html``. Add ``-D plot_gallery=0``
for a quick build that does not run the examples (the gallery pages then have no figures).

``NEUROMORPH_DOCS_QUICK=1`` in the environment builds a fast subset (~10 s instead of ~150 s), which
``tests/test_docs_site.py`` renders in a headless browser: the gallery runs only
``examples/bursting.py`` (the other examples are listed with a placeholder thumbnail, their code shown,
not run), and the API pages are not generated (autodoc and the navigation tree of ~80 more pages were
two thirds of the time): the API reference page then lists the names without links.

Nothing is downloaded while building: the intersphinx inventories are files shipped in
``docs/_inventories/`` (see its README for where each comes from).
"""

import os
from pathlib import Path

import neuromorph

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
QUICK = os.environ.get("NEUROMORPH_DOCS_QUICK", "0") not in ("", "0")

project = "neuromorph"
author = "neuromorph developers"
copyright = "2026, neuromorph developers"
release = neuromorph.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_inventories", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py"]

# -- Markdown pages (MyST) ---------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- API reference -------------------------------------------------------------------------------------
autosummary_generate = not QUICK
if QUICK:
    exclude_patterns.append("generated")  # pages a full build left there: not in a quick build's table of contents
autodoc_typehints = "none"  # the numpydoc Parameters sections say the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # the class template lists members through autodoc instead
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True


def _check_api_page_lists_all():
    """Fail the build when api.rst and ``neuromorph.__all__`` differ (a new public name needs its page)."""
    import re

    listed = set(re.findall(r"^   (\w+)$", (DOCS / "api.rst").read_text(), re.MULTILINE))
    missing, extra = set(neuromorph.__all__) - listed, listed - set(neuromorph.__all__)
    if missing or extra:
        raise RuntimeError(f"docs/api.rst must list exactly neuromorph.__all__: missing {sorted(missing)}, "
                           f"not public {sorted(extra)}")


_check_api_page_lists_all()


def _api_page_as_plain_lists(app, docname, source):
    """In a quick build, the API page lists the names, without their (not generated) pages or summaries.

    Each ``autosummary`` table becomes a bullet list of the names: the tables import and parse every object
    for its one-line summary (a quarter of the quick build's time).
    """
    if docname != "api":
        return
    import re

    def as_list(match):
        names = match.group("names").split()
        return "".join(f"- ``{name}``\n" for name in names)

    source[0] = re.sub(r"^\.\. autosummary::\n(?:   :.*\n)*\n(?P<names>(?:   \w+\n)+)", as_list, source[0],
                       flags=re.MULTILINE)


def setup(app):
    if QUICK:
        app.connect("source-read", _api_page_as_plain_lists)

# -- Cross-links to other projects, offline ---------------------------------------------------------
# Each inventory is a file in docs/_inventories/ (nothing is fetched at build time; its README says which
# Debian package each comes from); the links point to the projects' published documentation.
_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "matplotlib": "https://matplotlib.org/stable",
    "networkx": "https://networkx.org/documentation/stable",
    "xarray": "https://docs.xarray.dev/en/stable",
    "dask": "https://docs.dask.org/en/stable",
}
intersphinx_mapping = {name: (url, str(DOCS / "_inventories" / f"{name}.inv")) for name, url in _INVENTORIES.items()}

# -- Gallery: every example in examples/ runs at build time, its figures drawn on its page -----------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # run every example, not only plot_*.py
    "ignore_pattern": r"__init__\.py|/_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
    "show_memory": False,
    "show_signature": False,
}
if QUICK:
    sphinx_gallery_conf["filename_pattern"] = r"/bursting\.py$"  # a quick one (~1 s once its kernel is compiled)

# -- Figures of the user guide, made at build time by the code shown above them ({plot} directive) -------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": False}
plot_apply_rcparams = True

# -- Copy button: leave prompts and outputs out of what is copied -------------------------------------
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

# -- HTML --------------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"neuromorph {release}"
html_show_sourcelink = False
