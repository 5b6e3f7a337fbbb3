"""Every public name's docstring is complete numpydoc (issue 20): the API reference is built from them.

What "complete" means here (numpydoc's sections, parsed by numpydoc itself):

- every name has an Examples section with at least one doctest (``>>>``); the doctests themselves run in
  the suite through ``--doctest-modules``;
- a class or function that takes arguments has a Parameters section naming each of them (a class is
  documented by its constructor's arguments; ``self``, ``*args`` and ``**kwargs`` aside);
- a function has a Returns (or Yields) section;
- a callable says in a Raises section what it raises on bad input (every public callable checks its
  input). Exception classes describe an error rather than raise one, so they are exempt.
"""

import inspect

import pytest
from numpydoc import docscrape as numpydoc_docscrape  # the [docs] extra, part of [test]

import neuromorph as nm


def _doc(name):
    obj = getattr(nm, name)
    return obj, numpydoc_docscrape.NumpyDocString(inspect.getdoc(obj) or "")


def _is_exception(obj):
    return inspect.isclass(obj) and issubclass(obj, BaseException | Warning)


def _arguments(obj):
    """The documented arguments of a function or a class's constructor."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # an Enum or a builtin: no introspectable constructor
        return []
    return [p.name for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("name", nm.__all__)
def test_public_docstring_is_complete_numpydoc(name):
    obj, doc = _doc(name)
    problems = []
    if not any(">>>" in line for line in doc["Examples"]):
        problems.append("no Examples section with a doctest")
    if (inspect.isclass(obj) or inspect.isfunction(obj)) and not _is_exception(obj):
        documented = {part.strip().lstrip("*") for parameter in doc["Parameters"] + doc["Other Parameters"]
                      for part in parameter.name.split(",")}
        undocumented = [a for a in _arguments(obj) if a not in documented]
        if undocumented:
            problems.append(f"Parameters does not describe {undocumented}")
        if inspect.isfunction(obj) and not (doc["Returns"] or doc["Yields"]):
            problems.append("no Returns section")
        if not doc["Raises"]:
            problems.append("no Raises section")
    assert not problems, f"nm.{name}: " + "; ".join(problems)

