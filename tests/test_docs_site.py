"""The documentation site, built (a quick subset) and looked at in a real headless browser (issue 20).

The site is built with ``NEUROMORPH_DOCS_QUICK=1`` (``docs/conf.py``: the gallery runs one example and lists
the others, the API pages are not generated; ~10-15 s) and ``-W``, from a copy of ``docs/`` and ``examples/``
in a temporary folder, so the build leaves nothing in the repository. Its internal links are checked by
``docs/check_links.py``; then Debian's Chromium opens the index, the quick start, a user-guide page and the
gallery, and each check reads the *rendered* page (scripts run, styles applied, images decoded).
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from headless_browser import CHROMIUM, Chromium

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_spec = importlib.util.spec_from_file_location("check_links", DOCS / "check_links.py")
check_links = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_links)

# The pages' own words: the checks follow the sources, so a renamed page fails here only if it renders wrong.
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
USER_GUIDE_PAGE = "user_guide/neurons"


def _title(markdown):
    return re.search(r"^# (.+)$", (DOCS / f"{markdown}.md").read_text(), re.MULTILINE).group(1).strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The quick build of the site, warnings as errors, into a temporary folder; its html folder."""
    work = tmp_path_factory.mktemp("docs-site")
    generated = shutil.ignore_patterns("_build", "generated", "auto_examples", "sg_execution_times.rst", "__pycache__")
    shutil.copytree(DOCS, work / "docs", ignore=generated)
    shutil.copytree(ROOT / "examples", work / "examples", ignore=generated)
    (work / "benchmarks").mkdir()
    shutil.copy(ROOT / "benchmarks" / "BENCHMARKS.md", work / "benchmarks")  # docs/benchmarks.md includes it
    shutil.copytree(ROOT / "benchmarks" / "figures", work / "benchmarks" / "figures")  # and the figures it shows
    html = work / "html"
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", str(html)],
        cwd=work, env={**os.environ, "NEUROMORPH_DOCS_QUICK": "1"}, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"the quick docs build failed:\n{build.stdout[-3000:]}\n{build.stderr[-5000:]}"
    return html


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is missing ({CHROMIUM}): run the set-up, `bash .ci/bootstrap test`, which installs "
                    "Debian's `chromium` package", pytrace=False)
    with Chromium() as chromium:
        yield chromium


def _open(browser, site, page):
    browser.open((site / f"{page}.html").as_uri())
    assert browser.exceptions == [], f"{page}.html threw in JavaScript: {browser.exceptions}"


# A helper defined in the page: is an element laid out and shown (CSS applied, not hidden)?
_SHOWN = """
const shown = (el) => {
    if (!el) return false;
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
};
"""

_CODE_BLOCKS = _SHOWN + """
(() => {
    const blocks = [...document.querySelectorAll("div.highlight pre")];
    const keyword = document.querySelector("div.highlight pre span.kn, div.highlight pre span.k");
    return {
        texts: blocks.map((pre) => pre.textContent),
        shown: blocks.filter(shown).length,
        buttons: document.querySelectorAll("div.highlight button.copybtn").length,
        // Pygments' style sheet colours a keyword unlike the plain text around it.
        keyword_coloured: keyword !== null
            && getComputedStyle(keyword).color !== getComputedStyle(keyword.closest("pre")).color,
    };
})()
"""


def _check_code_blocks(browser, page):
    code = browser.evaluate(_CODE_BLOCKS)
    assert code["texts"], f"{page}: no code block (div.highlight pre) rendered"
    assert all(text.strip() for text in code["texts"]), f"{page}: an empty code block"
    assert code["shown"] == len(code["texts"]), f"{page}: {len(code['texts']) - code['shown']} code blocks not shown"
    assert code["buttons"] == len(code["texts"]), \
        f"{page}: {code['buttons']} copy buttons for {len(code['texts'])} code blocks (sphinx-copybutton's script)"
    assert code["keyword_coloured"], f"{page}: the code is not highlighted (no Pygments colours)"
    return code["texts"]


# -- the internal links ------------------------------------------------------------------------------------

def test_no_broken_internal_link(site):
    run = subprocess.run([sys.executable, str(DOCS / "check_links.py"), str(site)], capture_output=True, text=True)
    assert run.returncode == 0, f"broken internal links in the built site:\n{run.stdout}{run.stderr}"
    links, pages = map(int, re.search(r"all (\d+) internal links of (\d+) pages", run.stdout).groups())
    assert pages >= 20 + len(EXAMPLES) and links >= 50 * pages, run.stdout  # it read the whole site, gallery included


def _tiny_site(root, pages):
    for name, body in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"<!DOCTYPE html><html><body>{body}</body></html>")


def test_check_links_passes_a_sound_site(tmp_path):
    _tiny_site(tmp_path, {
        "index.html": '<h1 id="top">Top</h1><a href="guide/">guide</a> <a href="guide/a.html#part-1">part</a>'
                      '<a href="#top">up</a><a href="https://example.org/missing.html#nothing">web</a>'
                      '<a href="mailto:x@example.org">mail</a><img src="data:image/png;base64,AAAA">'
                      '<a href="api.html#neuromorph.Neuron%20x">api</a><link rel="stylesheet" href="_static/s.css">',
        "guide/index.html": '<a href="../index.html#top">home</a><a name="old-anchor"></a><a href="#old-anchor">x</a>',
        "guide/a.html": '<section id="part-1"><img src="../_images/f.png"></section>',
        "api.html": '<dt id="neuromorph.Neuron x">Neuron</dt>',
    })
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "s.css").write_text("body {}")
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "f.png").write_bytes(b"\x89PNG")
    assert check_links.find_broken_links(tmp_path) == []
    assert check_links.main([str(tmp_path)]) == 0


def test_check_links_finds_each_broken_link(tmp_path, capsys):
    _tiny_site(tmp_path, {
        "index.html": '<h1 id="top">Top</h1><a href="missing.html">a</a><a href="guide.html#nowhere">b</a>'
                      '<a href="#no-such-id">c</a><img src="_images/gone.png"><a href="../../etc/passwd">d</a>'
                      '<a href="guide.html#top">e</a>',  # "top" is an id of index.html, not of guide.html
        "guide.html": '<p id="here">guide</p>',
    })
    broken = check_links.find_broken_links(tmp_path)
    assert {(b.page, b.link) for b in broken} == {
        ("index.html", "missing.html"), ("index.html", "guide.html#nowhere"), ("index.html", "#no-such-id"),
        ("index.html", "_images/gone.png"), ("index.html", "../../etc/passwd"), ("index.html", "guide.html#top")}
    assert check_links.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "index.html: guide.html#nowhere (no id 'nowhere' in guide.html)" in out
    assert "index.html: missing.html (no file missing.html)" in out


def test_check_links_refuses_a_folder_without_pages(tmp_path):
    with pytest.raises(FileNotFoundError, match="no .html page"):
        check_links.find_broken_links(tmp_path)
    assert check_links.main([str(tmp_path / "nothing")]) == 2


# -- the rendered pages ------------------------------------------------------------------------------------

def test_index_has_the_navigation_beside_the_content(browser, site):
    _open(browser, site, "index")
    nav = browser.evaluate(_SHOWN + """
    (() => {
        const sidebar = document.querySelector(".sidebar-drawer .sidebar-tree");
        const content = document.querySelector("article[role=main]");
        return {
            sidebar_shown: shown(sidebar), content_shown: shown(content),
            sidebar_right: sidebar && sidebar.getBoundingClientRect().right,
            content_left: content && content.getBoundingClientRect().left,
            links: [...(sidebar?.querySelectorAll("a.reference") ?? [])]
                .filter(shown).map((a) => a.getAttribute("href")),
            title: document.querySelector("article h1")?.firstChild?.textContent.trim(),
        };
    })()""")
    assert nav["sidebar_shown"], "index: the navigation sidebar is missing or hidden"
    assert nav["content_shown"], "index: the page's content is missing or hidden"
    # Without the theme's style sheet the sidebar would sit above the content, not to its left.
    assert nav["sidebar_right"] <= nav["content_left"], f"index: the sidebar is not beside the content: {nav}"
    for target in ("quickstart.html", "user_guide/index.html", "auto_examples/index.html", "api.html"):
        assert target in nav["links"], f"index: the sidebar shows no link to {target}: {nav['links']}"
    assert nav["title"] == "neuromorph"


def test_quickstart_shows_its_code_with_copy_buttons(browser, site):
    _open(browser, site, "quickstart")
    heading = browser.evaluate("document.querySelector('article h1')?.firstChild?.textContent.trim()")
    assert heading == _title("quickstart")
    texts = _check_code_blocks(browser, "quickstart")
    assert any("import neuromorph as nm" in text for text in texts)
    assert len(texts) >= (DOCS / "quickstart.md").read_text().count("```python")


def test_a_user_guide_page_renders(browser, site):
    _open(browser, site, USER_GUIDE_PAGE)
    heading = browser.evaluate("document.querySelector('article h1')?.firstChild?.textContent.trim()")
    assert heading == _title(USER_GUIDE_PAGE)
    assert browser.evaluate("document.title").startswith(heading)
    _check_code_blocks(browser, USER_GUIDE_PAGE)
    # The page is in the navigation, marked as the current one.
    assert browser.evaluate(
        "document.querySelector('.sidebar-tree li.current-page > a')?.getAttribute('href')") == "#"


def test_gallery_shows_a_loaded_thumbnail_per_example(browser, site):
    _open(browser, site, "auto_examples/index")
    thumbnails = browser.evaluate(_SHOWN + """
    [...document.querySelectorAll(".sphx-glr-thumbcontainer")].map((box) => {
        const img = box.querySelector("img");
        return {
            page: box.querySelector("a.reference")?.getAttribute("href"),
            loaded: img !== null && img.complete && img.naturalWidth > 0,
            shown: shown(img),
        };
    })""")
    assert sorted(t["page"] for t in thumbnails) == [f"{name}.html" for name in EXAMPLES], thumbnails
    assert all(t["loaded"] for t in thumbnails), f"gallery: thumbnails that did not load: {thumbnails}"
    assert all(t["shown"] for t in thumbnails), f"gallery: thumbnails not shown: {thumbnails}"


def test_the_example_run_in_the_quick_build_shows_its_figure(browser, site):
    _open(browser, site, "auto_examples/bursting")
    figures = browser.evaluate("""
    [...document.querySelectorAll("img.sphx-glr-single-img, img.sphx-glr-multi-img")]
        .map((img) => img.complete && img.naturalWidth > 0)""")
    assert figures and all(figures), f"auto_examples/bursting: its figure is missing or did not load: {figures}"
    _check_code_blocks(browser, "auto_examples/bursting")
