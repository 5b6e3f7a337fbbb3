"""Check every internal link of a built HTML site: the files exist, and so do the anchors.

Usage (after ``sphinx -b html docs docs/_build/html``)::

    python docs/check_links.py docs/_build/html

Every ``href`` and ``src`` of every ``.html`` page under the folder is read. A link with a scheme
(``https:``, ``mailto:``, ``data:``, ...) or starting with ``//`` is external and not checked (this
script never touches the network). Any other link is relative to its page: its file must exist
inside the site (a link ending in ``/`` means that folder's ``index.html``), and its ``#fragment``,
when it points into an HTML page, must be the ``id`` of an element of that page (or the ``name`` of
an ``<a>``). The exit status is 1 when a link is broken, each listed as ``page: link (reason)``;
0 otherwise. Standard library only, so it runs wherever the site was built.
"""

import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["BrokenLink", "find_broken_links", "main"]

_LINK_ATTRIBUTES = {"href", "src"}


@dataclass(frozen=True)
class BrokenLink:
    """One broken link: the page it is on (relative to the site's root), the link as written, and why."""

    page: str
    link: str
    reason: str

    def __str__(self):
        return f"{self.page}: {self.link} ({self.reason})"


class _PageParser(HTMLParser):
    """Collects a page's anchors (``id`` of any element, ``name`` of ``<a>``) and its links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.anchors.add(value)
            elif name in _LINK_ATTRIBUTES:
                self.links.append(value)

    handle_startendtag = handle_starttag


def _parse(page):
    parser = _PageParser()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def _is_external(link):
    parts = urlsplit(link)
    return bool(parts.scheme) or link.startswith("//")


def find_broken_links(root):
    """Every broken internal link of the HTML site in folder `root`, sorted by page.

    Parameters
    ----------
    root : str or pathlib.Path
        The built site's folder (the one holding ``index.html``).

    Returns
    -------
    list of BrokenLink
        Empty when every relative ``href``/``src`` resolves to a file inside `root` and every
        fragment into an HTML page to an anchor of that page.

    Raises
    ------
    FileNotFoundError
        If `root` is not a folder, or holds no ``.html`` page (nothing would be checked).
    """
    return _check(root)[0]


def _check(root):
    """``(broken links, number of internal links checked, number of pages)`` of the site in `root`."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"`root` must be a built HTML site's folder, was {str(root)!r}")
    pages = sorted(root.rglob("*.html"))
    if not pages:
        raise FileNotFoundError(f"no .html page under {str(root)!r}: build the site first")
    parsed = {}

    def parsed_page(path):
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path]

    broken, checked = [], 0
    for page in pages:
        name = page.relative_to(root).as_posix()
        for link in parsed_page(page).links:
            link = link.strip()
            if not link or _is_external(link):
                continue
            checked += 1
            parts = urlsplit(link)
            path_part = unquote(parts.path)
            if path_part:
                target = (page.parent / path_part).resolve()
                if path_part.endswith("/") or target.is_dir():
                    target = target / "index.html"
            else:
                target = page  # "#fragment": an anchor of this page
            if not target.is_relative_to(root):
                broken.append(BrokenLink(name, link, "points outside the site"))
                continue
            if not target.is_file():
                broken.append(BrokenLink(name, link, f"no file {target.relative_to(root).as_posix()}"))
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in parsed_page(target).anchors:
                broken.append(BrokenLink(name, link, f"no id {fragment!r} in {target.relative_to(root).as_posix()}"))
    return broken, checked, len(pages)


def main(argv=None):
    """Command line: ``python docs/check_links.py HTML_FOLDER``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python docs/check_links.py HTML_FOLDER", file=sys.stderr)
        return 2
    try:
        broken, checked, pages = _check(argv[0])
    except FileNotFoundError as error:
        print(f"check_links: {error}", file=sys.stderr)
        return 2
    for link in broken:
        print(link)
    if broken:
        print(f"check_links: {len(broken)} of {checked} internal links broken, in {pages} pages", file=sys.stderr)
        return 1
    print(f"check_links: all {checked} internal links of {pages} pages resolve")
    return 0


if __name__ == "__main__":
    sys.exit(main())
