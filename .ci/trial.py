#!/usr/bin/env python3
"""The trial of issue 18: every ``neuromorph`` command run as a new user would get it wrong.

Run from the repository root (Python of the project's environment, this tree first on the path)::

    PYTHONPATH=. .venv/bin/python .ci/trial.py                 # every case, 2 at a time
    PYTHONPATH=. .venv/bin/python .ci/trial.py --only simulate # one command's cases
    PYTHONPATH=. .venv/bin/python .ci/trial.py --list          # the cases, one a line
    PYTHONPATH=. .venv/bin/python .ci/trial.py --case 'spice-run/*' --keep   # reproduce, keep the folders

A case is data (:class:`Case`): the arguments after ``neuromorph``, the files to prepare besides
the standard ones (:data:`STANDARD`), the exit codes it may end with and what its output must
say. Each case runs in a fresh folder, as its working folder, with its own empty ``TMPDIR``.
Whatever the case, the run must give:

* an exit code of 0, 1 (diverged: the message gives the time), 2 (bad input) or 130
  (interrupted), and one the case allows;
* on 1, 2 and 130, stderr of one line ``neuromorph: ...`` (``neuromorph: warning: ...`` lines
  aside): no traceback, no "Exception ignored", no argparse usage text; on 0, no traceback;
* no hang (a timeout: 60 s, 20 s where the input must be refused before any work), no process
  of the command left running, and after Ctrl-C (SIGINT to the process group) exit 130 within
  2 s;
* every file prepared before the run unchanged afterwards (bytes, mode, link), unless the case
  names it as an output to replace and the run succeeded; on a non-zero exit no output created
  (a sweep's store aside after Ctrl-C: its finished chunks are kept by design);
* no file created but the outputs: no temporary file, log or injected ``PWNED`` in the case
  folder, nothing left in ``TMPDIR``, nothing beside the case folder, no ``PWNED`` in the
  repository or /tmp;
* on exit 0, every output the command writes complete (npz loads, png/pdf/svg/jpg/eps
  signature, a deck ends with ``.end``, a store has its metadata, a circuit file reads as TOML
  with its ``format``), JSON on stdout parses, and
  every written deck runs in ``ngspice -b`` from the case folder, leaving the deck as it was,
  writing its data beside it and nothing else.

Observations that break no rule (NaN in JSON, extra text on stderr after a success, how long
Ctrl-C took) are printed as notes. The exit status is 0 if every case passes, 1 otherwise.
Standard library and the package's own dependencies (numpy) only.
"""

import argparse
import dataclasses
import fnmatch
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
ANY = frozenset({0, 1, 2})
FAIL = frozenset({2})
RUN = frozenset({0})
DIVERGE = frozenset({1})
STOPPED = frozenset({1, 2})
INTERRUPTED = frozenset({130})
FAST = 20.0      # seconds a refusal may take (it comes before any work)
SLOW = 60.0      # seconds any other case may take
SIGINT_AFTER = 2.5
SIGINT_LIMIT = 2.0  # seconds from Ctrl-C to the exit


# -- what a case is -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Copy:
    """A file copied from the repository."""
    source: str


@dataclasses.dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (relative to the link's folder; need not exist)."""
    target: str


@dataclasses.dataclass(frozen=True)
class HardLink:
    """A hard link to a file prepared earlier in the case folder."""
    existing: str


@dataclasses.dataclass(frozen=True)
class Made:
    """A file ``neuromorph *argv`` writes (``{out}`` in ``argv``: where), run once from the repository before
    the first case that needs it, then changed by ``edit``, a name of :data:`EDITS` (trace files as users
    get them wrong)."""
    argv: tuple
    edit: str = None


FOLDER = "<folder>"


@dataclasses.dataclass(frozen=True)
class Case:
    """One run of ``neuromorph *argv`` and what it must give.

    ``files``: ``(path, content)`` besides :data:`STANDARD` (content: text, bytes, Copy, Link,
    HardLink or FOLDER; a later entry replaces an earlier one). ``locked``: paths made immutable
    (``chattr +i``: not writable even by root). ``outputs``: ``(path, kind)`` the command writes
    on success (None: read from the options). ``replace``: prepared files that are outputs a
    success may replace. ``kept``: outputs a Ctrl-C may leave (a sweep's store). ``checks``:
    named checks of the output (:data:`CHECKS`).
    """

    id: str
    argv: tuple
    expect: frozenset = ANY
    files: tuple = ()
    locked: tuple = ()
    outputs: tuple = None
    replace: tuple = ()
    kept: tuple = ()
    stdout_has: tuple = ()
    stdout_lacks: tuple = ()
    stderr_has: tuple = ()
    stderr_lacks: tuple = ()
    checks: tuple = ()
    timeout: float = None
    sigint: float = None
    sigint_limit: float = SIGINT_LIMIT
    env: tuple = ()
    display: bool = False
    note: str = ""

    @property
    def command(self):
        return self.argv[0] if self.argv and not self.argv[0].startswith("-") else "neuromorph"

    @property
    def limit(self):
        if self.timeout is not None:
            return self.timeout
        return FAST if self.expect == FAIL else SLOW


def case(id, *argv, **kw):
    return Case(id, tuple(str(a) for a in argv), **kw)


# -- the files every case starts with -----------------------------------------------------------

CELL = """\
# A hand-written bursting cell: four currents and a leak. The comments are the user's notes,
# which no command may lose.
format = "neuromorph/1"
name = "cell"
description = "hand-written bursting cell"

[neuron]
C = 1.0        # membrane capacitance
v0 = -1.9

[initial]
slow = -1.8
ultraslow = -1.8

[[elements]]
kind = "leak"
name = "leak"
g = 1.0
e_rev = 0.0

[[elements]]
kind = "current"
name = "fast_negative"
alpha = -2.0
delta = 0.0
tau = 0.0

[[elements]]
kind = "current"
name = "slow_positive"
alpha = 2.0
delta = 0.0
tau = 50.0

[[elements]]
kind = "current"
name = "slow_negative"   # the burst-making negative feedback
alpha = -1.5
delta = -1.5
tau = 50.0

[[elements]]
kind = "current"
name = "ultraslow_positive"
alpha = 1.5
delta = -1.5
tau = 2500.0

[simulation]
t_end = 300.0
i_app = -2.0
t_transient = 100.0
"""

NET = """\
# Two copies of cell.toml inhibiting each other (node files: inputs too).
format = "neuromorph-network/1"
name = "net"

[nodes.n1]
file = "cell.toml"
i_app = -2.0

[nodes.n2]
file = "cell.toml"
i_app = -2.0
[nodes.n2.initial]
v = -2.5

[[connections]]
kind = "current_synapse"
pre = "n1"
post = "n2"
g = 0.2

[[connections]]
kind = "current_synapse"
pre = "n2"
post = "n1"
g = 0.2

[simulation]
t_end = 300.0
t_transient = 100.0
"""

STUDY = """\
# A small study of the hand-written cell.
model = "cell.toml"
method = "rk4"
t_end = 200
dt = 0.05
seed = 1
chips = 1
trials = 2

[grid]
i_app = "-3:0:2"
"""

# a 1 x 1 PNG: an image of the user's that no command may overwrite
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")

STANDARD = (
    *((f"circuits/{p.name}", Copy(f"circuits/{p.name}")) for p in sorted((REPO / "circuits").glob("*.toml"))),
    ("cell.toml", CELL),
    ("net.toml", NET),
    ("study.toml", STUDY),
    ("docs/notes.txt", "my notes: do not lose\n"),
    ("adir", FOLDER),
    ("ro", FOLDER),
    ("image.png", PNG),
)
STANDARD_LOCKED = ("ro",)

B = "circuits/bursting.toml"
T = "circuits/tonic_spiking.toml"
H = "circuits/hco.toml"

# traces for `estimate`: runs of the repository's circuits as `simulate --out` writes them
BURSTER_RUN = ("simulate", B, "--t-end", "3000", "--out", "{out}")  # one burst (the first at t ~ 1591)
HCO_RUN = ("simulate", H, "--t-end", "3000", "--out", "{out}")      # nodes n1, n2, as net.toml's


def _plain(run):
    t, v = run["t"], run["y"][0]
    return {"t": t, "v": v, "i_app": np.full(t.size, -2.0)}


def _long(run):
    """The burster's voltage repeated over 2e6 time units every 5: the observer's 4e7 steps take a minute."""
    t = np.arange(0.0, 2e6, 5.0)
    return {"t": t, "v": np.interp(t % run["t"][-1], run["t"], run["y"][0])}


EDITS = {
    "plain": _plain,
    "plain-no-current": lambda run: {"t": run["t"], "v": run["y"][0]},
    "tuner": lambda run: {"t": run["t"], "v": run["y"][:1], "names": np.array(["v"])},
    "no-t": lambda run: {"v": run["y"][0]},
    "nan": lambda run: {"t": run["t"], "v": np.where(np.arange(run["t"].size) == 5, np.nan, run["y"][0])},
    "inf-t": lambda run: {"t": np.where(np.arange(run["t"].size) == 5, np.inf, run["t"]), "v": run["y"][0]},
    "huge": lambda run: {"t": run["t"], "v": 1e300 * run["y"][0]},
    "t-backwards": lambda run: {"t": run["t"][::-1], "v": run["y"][0]},
    "v-short": lambda run: {"t": run["t"], "v": run["y"][0][:-1]},
    "two-samples": lambda run: {"t": run["t"][:2], "v": run["y"][0][:2]},
    "strings": lambda run: {"t": run["t"], "v": np.array(["x"] * run["t"].size)},
    "constant": lambda run: {"t": run["t"], "v": np.full(run["t"].size, -2.0)},
    "current-nan": lambda run: {**_plain(run), "i_app": np.where(np.arange(run["t"].size) == 5, np.nan, -2.0)},
    "current-wrong-length": lambda run: {**_plain(run), "i_app": np.zeros(7)},
    "object": None,      # an object array: a pickle inside the archive
    "npy": None,         # one array (.npy), not an archive
    "truncated": None,   # the first 300 bytes of the archive
    "long": _long,
}
_MADE = {}
_MADE_LOCK = threading.Lock()
_MADE_DIR = []


def made(content):
    """The bytes of a :class:`Made` file, made once per process (two cases may ask at once)."""
    import io

    with _MADE_LOCK:
        if content.argv not in _MADE:
            if not _MADE_DIR:
                _MADE_DIR.append(Path(tempfile.mkdtemp(prefix="neuromorph-trial-made-")))
            out = _MADE_DIR[0] / f"made-{len(_MADE)}.npz"
            argv = [a.replace("{out}", str(out)) for a in content.argv]
            proc = subprocess.run([sys.executable, "-m", "neuromorph", *argv], cwd=REPO, capture_output=True,
                                  env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise RuntimeError(f"making a trace: neuromorph {' '.join(argv)}: {proc.stderr.decode()[-300:]}")
            _MADE[content.argv] = out.read_bytes()
        data = _MADE[content.argv]
    if content.edit is None:
        return data
    if content.edit == "truncated":
        return data[:300]
    with np.load(io.BytesIO(data)) as archive:
        run = {k: archive[k] for k in archive.files}
    buffer = io.BytesIO()
    if content.edit == "npy":
        np.save(buffer, run["y"][0])
    elif content.edit == "object":
        np.savez(buffer, t=run["t"], v=np.array([1.0, "x"], dtype=object))
    else:
        np.savez(buffer, **EDITS[content.edit](run))
    return buffer.getvalue()


# files a command's cases start with besides STANDARD
COMMAND_FILES = {"estimate": (("run.npz", Made(BURSTER_RUN)), ("net-run.npz", Made(HCO_RUN)))}


def toml_str(text):
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text)


def edited(text, replace=(), append=""):
    """``text`` with ``(old, new)`` substitutions (each must apply) and text appended."""
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text + append


def cell(replace=(), append=""):
    return edited(CELL, replace, append)


def net(replace=(), append=""):
    return edited(NET, replace, append)


def study(replace=(), append="", text=STUDY):
    return edited(text, replace, append)


GAP = '\n[[connections]]\nkind = "gap_junction"\na = "n1"\nb = "n2"\ng = 0.0\n'
LEAK_G0 = (("g = 1.0", "g = 0.0"),)


# -- the corpus ---------------------------------------------------------------------------------

BASE = {
    "simulate": ("simulate", B, "--t-end", "300"),
    "iv": ("iv", B),
    "map": ("map", B, "--x", "i_app:-3:0:2", "--t-end", "200", "--no-predict"),
    "reliability": ("reliability", T, "--trials", "2", "--t-end", "200"),
    "export-spice": ("export-spice", B, "--t-end", "200", "-o", "out.cir"),
    "spice-run": ("spice-run", B, "--t-end", "200"),
    "sweep": ("sweep", "study.toml", "--out", "res.zarr"),
    "tune": ("tune", "--seconds", "1"),
    "estimate": ("estimate", B, "run.npz"),
}
DISPLAYED = ("tune",)  # commands run under xvfb-run -a


def with_option(argv, option, value=None):
    """``argv`` with ``option`` set to ``value`` (replaced if there, else appended; a flag if value is None)."""
    argv = list(argv)
    if option in argv:
        i = argv.index(option)
        if value is None:
            return tuple(argv)
        argv[i + 1] = value
        return tuple(argv)
    return tuple(argv + ([option] if value is None else [option, value]))


def drop_option(argv, option):
    argv = list(argv)
    if option in argv:
        i = argv.index(option)
        del argv[i:i + 2]
    return tuple(argv)


FLAGS = ("--json", "--progress", "--explain", "--filters", "--no-predict", "--no-plots", "--resume", "--overwrite")


def on(command, *extra, base=None, **kw):
    """``(keywords, argv)``: ``command``'s base arguments with ``extra`` options set (replaced if the base has
    them) and flags added; a command with a window runs on a virtual display."""
    argv = BASE[command] if base is None else base
    extra = [str(e) for e in extra]
    while extra:
        option = extra.pop(0)
        if option in FLAGS:
            argv = argv if option in argv else (*argv, option)
        else:
            argv = with_option(argv, option, extra.pop(0))
    kw.setdefault("display", command in DISPLAYED)
    return kw, tuple(argv)


def oncase(id, command, *extra, base=None, **kw):
    kw, argv = on(command, *extra, base=base, **kw)
    return Case(id, argv, **kw)


BAD_NUMBERS = ("nan", "inf", "-1", "0", "1e308", "abc", "")
# option -> (commands, what -1 and 0 must give); "pos": both refused, "nonneg": -1 refused, None: either may run
NUMERIC = (
    ("simulate", "--t-end", "pos"), ("simulate", "--i-app", None), ("simulate", "--t-start", "nonneg"),
    ("simulate", "--phase-tolerance", "nonneg"), ("simulate", "--rtol", "pos"), ("simulate", "--atol", "pos"),
    ("simulate", "--dt", "pos"), ("simulate", "--max-steps", "pos"),
    ("iv", "--i-app", None),
    ("map", "--t-end", "pos"), ("map", "--t-transient", "nonneg"), ("map", "--i-app", None),
    ("map", "--rtol", "pos"), ("map", "--atol", "pos"), ("map", "--dt", "pos"), ("map", "--max-steps", "pos"),
    ("map", "--timeout", "pos"),
    ("reliability", "--trials", "pos"), ("reliability", "--chips", "pos"), ("reliability", "--noise", "nonneg"),
    ("reliability", "--seed", "nonneg"), ("reliability", "--t-end", "pos"), ("reliability", "--t-record", "nonneg"),
    ("reliability", "--i-app", None), ("reliability", "--dt", "pos"), ("reliability", "--timeout", "pos"),
    ("export-spice", "--t-end", "pos"), ("export-spice", "--i-app", None), ("export-spice", "--max-step", "pos"),
    ("export-spice", "--time-unit", "pos"),
    ("spice-run", "--t-end", "pos"), ("spice-run", "--i-app", None), ("spice-run", "--max-step", "pos"),
    ("spice-run", "--time-unit", "pos"),
    ("tune", "--i-app", None), ("tune", "--speed", "pos"), ("tune", "--seconds", "nonneg"),
    ("sweep", "--chunk-size", "pos"), ("sweep", "--workers", "pos"), ("sweep", "--timeout", "pos"),
    ("estimate", "--i-app", None), ("estimate", "--t-start", "nonneg"),
)
NEEDS = {  # options that only act beside another one
    ("simulate", "--dt"): ("--method", "rk4"),
    ("map", "--dt"): ("--method", "rk4"),
    ("map", "--timeout"): ("--scheduler", "tcp://127.0.0.1:9"),
    ("reliability", "--timeout"): ("--scheduler", "tcp://127.0.0.1:9"),
    ("sweep", "--timeout"): ("--scheduler", "tcp://127.0.0.1:9"),
}


def slug(text):
    """``text`` readable in a case id: escapes spelled out, shell characters kept, blanks as ``_``."""
    text = text.encode("unicode_escape").decode("ascii")
    return re.sub(r"[^A-Za-z0-9.+:;$()`'\"\\=,@~-]+", "_", text) or "empty"


def folder_name(text):
    """A case folder's name: plain characters, and never the injection marker (found by name)."""
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text.replace("PWNED", "P")).strip("_")[:60]


def numeric_cases():
    seen = set()
    for command, option, sign in NUMERIC:
        # every bad number on a command's first option; the others share its parsing, so fewer there
        values = BAD_NUMBERS if command not in seen else ("nan", "-1", "0", "abc")
        seen.add(command)
        for value in values:
            if value in ("-1", "0"):
                refused = sign == "pos" or (sign == "nonneg" and value == "-1")
                if option == "--speed" and value == "0":
                    refused = False
                expect = FAIL if refused else ANY
            else:
                expect = FAIL
            extra = NEEDS.get((command, option), ())
            yield oncase(f"{command}/number{option}={slug(value)}", command, *extra, option, value, expect=expect)
    # counts and sizes a user mistypes by orders of magnitude
    yield oncase("simulate/number--t-end=1e9", "simulate", "--t-end", "1e9", expect=STOPPED,
                 note="a run projected beyond max_steps stops early and says so")
    yield oncase("simulate/number--max-steps=1e9", "simulate", "--max-steps", "1000000000", expect=RUN)
    yield oncase("simulate/number--max-steps=1", "simulate", "--max-steps", "1", expect=STOPPED)
    yield oncase("simulate/number--rtol=0.5", "simulate", "--rtol", "0.5", expect=RUN,
                 stderr_has=(r"neuromorph: warning",), note="tolerances looser than 0.1 draw a warning")
    yield oncase("simulate/rk4-dt=5", "simulate", "--method", "rk4", "--dt", "5", expect=ANY)
    yield oncase("simulate/euler-dt=3", "simulate", "--method", "euler", "--dt", "3", expect=ANY)
    yield oncase("simulate/number--t-start=t-end", "simulate", "--t-start", "300", expect=FAIL)
    yield oncase("simulate/number--phase-tolerance=0.6", "simulate", "--phase-tolerance", "0.6", expect=STOPPED)
    for value in ("1e9", "1000000000"):
        yield oncase(f"reliability/count--trials={value}", "reliability", "--trials", value, expect=FAIL)
        yield oncase(f"reliability/count--chips={value}", "reliability", "--chips", value, "--mismatch", "gain=0.1",
                     expect=FAIL)
    yield oncase("reliability/noisy-t-end=1e11", "reliability", "--noise", "0.05", "--t-end", "1e11", expect=FAIL,
                 note="noisy runs count steps in 32 bits")
    yield oncase("reliability/seed=2**64", "reliability", "--seed", str(2 ** 64), expect=FAIL)
    yield oncase("reliability/seed=2**64-1", "reliability", "--seed", str(2 ** 64 - 1), expect=RUN)
    yield oncase("reliability/noise=1e6", "reliability", "--noise", "1e6", expect=ANY)
    yield oncase("sweep/chunk-size=1e9", "sweep", "--chunk-size", "1000000000", expect=ANY)


# output options: (command, option, kind, suffix, base) and how thoroughly to try names
FULL, SHORT = "full", "short"
OUTPUTS = (
    ("simulate", "--out", "npz", ".npz", FULL),
    ("simulate", "--plot", "figure", ".png", FULL),
    ("export-spice", "-o", "deck", ".cir", FULL),
    ("iv", "--plot", "figure", ".png", SHORT),
    ("map", "--out", "npz", ".npz", SHORT),
    ("map", "--plot", "figure", ".png", SHORT),
    ("reliability", "--out", "npz", ".npz", SHORT),
    ("reliability", "--plot", "figure", ".png", SHORT),
    ("spice-run", "--out", "npz", ".npz", SHORT),
    ("spice-run", "--plot", "figure", ".png", SHORT),
    ("tune", "--screenshot", "figure", ".png", SHORT),
    ("estimate", "--out", "circuit", ".toml", FULL),
    ("estimate", "--plot", "figure", ".png", SHORT),
)
ODD_NAMES = ("my out", "it's", 'say "hi"', "nl\nx", "semi;colon", "$(touch PWNED)", "ls\u2028sep", "naïve-ü",
             "tab\tx", "`touch PWNED`")


def output_cases():
    for command, option, kind, suffix, depth in OUTPUTS:
        base = ("tune", B, "--seconds", "1") if command == "tune" else BASE[command]
        source = base[1]
        pre = f"{command}/{option.lstrip('-')}"

        def out(name, label, expect=ANY, files=(), locked=(), outputs=None, replace=(), argv=None, **kw):
            kw2, full = on(command, option, name, base=argv or base, **kw)
            return Case(f"{pre}={label}", full, expect=expect, files=files, locked=locked,
                        outputs=outputs if outputs is not None else ((name, kind),), replace=replace, **kw2)

        yield out("nofolder/x" + suffix, "missing-folder", FAIL, outputs=())
        yield out("adir", "a-folder", FAIL, outputs=())
        yield out(source, "the-input", FAIL, outputs=())
        yield out("./circuits/../" + source, "the-input-by-dotdot", FAIL, outputs=())
        yield out("link" + suffix, "symlink-to-input", FAIL, files=(("link" + suffix, Link(source)),), outputs=())
        yield out("hard" + suffix, "hardlink-to-input", FAIL, files=(("hard" + suffix, HardLink(source)),),
                  outputs=(), replace=("hard" + suffix,))  # a success replaces the link (reported by its exit code)
        yield out("ro/x" + suffix, "unwritable-folder", FAIL, outputs=())
        yield out("locked" + suffix, "immutable-existing-file", FAIL, files=(("locked" + suffix, "old\n"),),
                  locked=("locked" + suffix,), outputs=())
        yield out("old" + suffix, "existing-file", RUN, files=(("old" + suffix, "old contents\n"),),
                  replace=("old" + suffix,))
        yield out("my out" + suffix, "space", RUN)
        if kind == "figure":
            yield out("x.xyz", "unknown-format", FAIL, outputs=())
        else:
            yield out("x.dat", "other-suffix", ANY)
        if depth == SHORT:
            continue
        yield out("adir/", "a-folder-slash", FAIL, outputs=())
        yield out(B + "/x" + suffix, "under-a-file", FAIL, outputs=())
        yield out("", "empty-name", FAIL, outputs=())
        yield out("n" * 300 + suffix, "name-too-long", FAIL, outputs=())
        yield out("dangling" + suffix, "dangling-symlink", ANY, files=(("dangling" + suffix, Link("target" + suffix)),),
                  outputs=(("dangling" + suffix, kind),))
        yield out("image.png", "the-users-image", RUN if kind == "figure" else ANY, replace=("image.png",))
        for name in ODD_NAMES:
            yield out(name + suffix, f"odd-{slug(name)}", ANY)
        if kind == "figure":
            for fmt in (".pdf", ".svg", ".jpg", ".eps", ".svgz", ".PNG"):
                yield out("fig" + fmt, f"format{fmt}", ANY)
            yield out("plotfile", "no-suffix", ANY)
        if kind == "npz":
            yield out("result", "no-suffix", ANY)
        if kind == "deck":
            yield out("x.txt", "deck-named-like-its-data", ANY,
                      note="the deck writes <name>.txt beside itself: ngspice -b x.txt must not overwrite it")
            yield out("sub/deck.cir", "deck-in-subfolder", RUN, files=(("sub", FOLDER),))
            yield out(".cir", "hidden-name", ANY)
            yield out("-", "dash", ANY)

    # two outputs naming one file
    for command in ("simulate", "map", "reliability", "spice-run", "estimate"):
        yield oncase(f"{command}/out-and-plot=same-file", command, "--out", "both.npz", "--plot", "both.npz",
                     expect=FAIL, outputs=())
        yield oncase(f"{command}/out-and-plot=same-file-by-symlink", command, "--out", "a.png", "--plot", "l.png",
                     files=(("l.png", Link("a.png")),), expect=FAIL, outputs=())
    yield oncase("simulate/out-and-plot=hardlinked-files", "simulate", "--out", "h1.npz", "--plot", "h2.png",
                 files=(("h1.npz", "old\n"), ("h2.png", HardLink("h1.npz"))), expect=FAIL, outputs=())
    yield oncase("simulate/out-and-plot=pdf-and-npz", "simulate", "--out", "s.npz", "--plot", "s.pdf", expect=RUN)
    yield oncase("simulate/out-and-plot=svg-and-npz", "simulate", "--out", "s.npz", "--plot", "s.svg", expect=RUN)


# the same hostile strings wherever a name can reach a SPICE deck
HOSTILE = (
    ("nl-control", "x\n.control\nshell touch PWNED\n.endc\n"),
    ("nl-shell", "x\nshell touch PWNED"),
    ("cr-control", "x\r.control\rshell touch PWNED\r.endc"),
    ("u2028-control", "x\u2028.control\u2028shell touch PWNED\u2028.endc"),
    ("u0085-shell", "x\u0085shell touch PWNED"),
    ("semicolon", "x; shell touch PWNED"),
    ("dollar", "$(touch PWNED)"),
    ("backtick", "`touch PWNED`"),
    ("dot-end", ".end"),
    ("star", "*"),
    ("quotes", "x\"y'z"),
    ("space", "a b"),
    ("empty", ""),
    ("nul", "x\u0000y"),
    ("dotdot", "../PWNED"),
)


def hostile_cases():
    for label, text in HOSTILE:
        files = {
            "neuron-name": ("h.toml", cell((('name = "cell"', f"name = {toml_str(text)}"),))),
            "element-name": ("h.toml", cell((('name = "slow_negative"', f"name = {toml_str(text)}"),))),
            "description": ("h.toml", cell((('description = "hand-written bursting cell"',
                                             f"description = {toml_str(text)}"),))),
            "node-name": ("h.toml", net((("[nodes.n2]\n", f"[nodes.{toml_str(text)}]\n"),
                                         ("[nodes.n2.initial]", f"[nodes.{toml_str(text)}.initial]"),
                                         ('post = "n2"', f"post = {toml_str(text)}"),
                                         ('pre = "n2"', f"pre = {toml_str(text)}")))),
            "connection-name": ("h.toml", net((('g = 0.2', f"g = 0.2\nname = {toml_str(text)}"),))),
            "network-name": ("h.toml", net((('name = "net"', f"name = {toml_str(text)}"),))),
        }
        wanted = ("neuron-name", "element-name", "node-name", "connection-name") if label in (
            "nl-control", "nl-shell", "cr-control", "u2028-control", "semicolon", "dot-end", "star", "empty",
            "quotes") else ("neuron-name", "element-name")
        if label in ("nl-control", "u2028-control", "cr-control"):
            wanted += ("description", "network-name")
        for field in wanted:
            name, text_file = files[field]
            yield case(f"export-spice/hostile-{field}={label}", "export-spice", name, "--t-end", "100", "-o",
                       "h.cir", files=((name, text_file),))
            if label in ("nl-control", "nl-shell", "u2028-control"):
                yield case(f"spice-run/hostile-{field}={label}", "spice-run", name, "--t-end", "100",
                           files=((name, text_file),))
            if label == "nl-control":
                yield case(f"simulate/hostile-{field}={label}", "simulate", name, "--t-end", "100", "--json",
                           files=((name, text_file),))
                yield case(f"export-spice/hostile-{field}={label}-transistor", "export-spice", name, "--level",
                           "transistor", "--t-end", "100", "-o", "h.cir", files=((name, text_file),))
    # a hostile node file name
    yield case("export-spice/hostile-node-file", "export-spice", "h.toml", "--t-end", "100", "-o", "h.cir",
               files=(("h.toml", net((('file = "cell.toml"', 'file = "c;\\nshell touch PWNED.toml"'),))),))
    # hostile deck names given on the command line
    for label, name in (("semicolon", "x;shell touch PWNED.cir"), ("dollar", "$(touch PWNED).cir"),
                        ("cr", "x\rshell touch PWNED\r.cir"), ("u2028", "x\u2028shell touch PWNED\u2028.cir"),
                        ("spaces", "a b c.cir"), ("quotes", "q'\"x.cir"), ("nl-no-suffix", "x\nshell touch PWNED")):
        yield case(f"export-spice/hostile-output={label}", "export-spice", B, "--t-end", "100", "-o", name)
    yield case("export-spice/hostile-output=nl-transistor", "export-spice", B, "--level", "transistor", "--t-end",
               "100", "-o", "nl\nshell touch PWNED\n.cir")


# circuit files a user writes by hand, wrongly
DEEP = 3000
BAD_CIRCUITS = (
    ("syntax", "[neuron\nC = 1\n", FAIL),
    ("empty", "", FAIL),
    ("comments-only", "# nothing here yet\n", FAIL),
    ("binary", b"\xff\xfe\x00\x01garbage\x00", FAIL),
    ("latin-1", "# caf\xe9\n".encode("latin-1") + CELL.encode(), FAIL),
    ("bom", "\ufeff" + CELL, ANY),
    ("crlf", CELL.replace("\n", "\r\n"), RUN),
    ("unknown-top-key", 'colour = "red"\n' + CELL, FAIL),
    ("unknown-element-key", cell((("alpha = -2.0", "alpha = -2.0\ngain = 3.0"),)), FAIL),
    ("unknown-kind", cell((('kind = "leak"', 'kind = "resistor"'),)), FAIL),
    ("unknown-format", cell((('format = "neuromorph/1"', 'format = "neuromorph/9"'),)), FAIL),
    ("C-string", cell((("C = 1.0", 'C = "one"'),)), FAIL),
    ("alpha-bool", cell((("alpha = -2.0", "alpha = true"),)), FAIL),
    ("tau-date", cell((("tau = 50.0", "tau = 1979-05-27"),)), FAIL),
    ("name-int", cell((('name = "cell"', "name = 5"),)), FAIL),
    ("neuron-not-table", 'format = "neuromorph/1"\nname = "x"\nneuron = 5\n[[elements]]\nkind = "leak"\n'
                         'name = "leak"\ng = 1.0\ne_rev = 0.0\n', FAIL),
    ("elements-number", "elements = 5\n", FAIL),
    ("elements-ints", "elements = [1, 2]\n", FAIL),
    ("initial-string", cell((("slow = -1.8", 'slow = "a"'),)), FAIL),
    ("initial-unknown-state", cell((("slow = -1.8", "fast = -1.8"),)), FAIL),
    ("huge-array-value", cell((("C = 1.0", "C = [" + ", ".join(["0.0"] * 200_000) + "]"),)), FAIL),
    ("deep-array", "x = " + "[" * DEEP + "]" * DEEP + "\n", FAIL),
    ("deep-inline-table", "x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n", FAIL),
    ("deep-dotted-table", "[" + ".".join(["a"] * DEEP) + "]\n", FAIL),
    ("duplicate-element", cell((('name = "slow_positive"', 'name = "fast_negative"'),)), FAIL),
    ("leak-g0", cell(LEAK_G0), DIVERGE),
    ("all-zero", cell((("g = 1.0", "g = 0.0"), ("alpha = -2.0", "alpha = 0.0"), ("alpha = 2.0", "alpha = 0.0"),
                       ("alpha = -1.5", "alpha = 0.0"), ("alpha = 1.5", "alpha = 0.0"))), DIVERGE),
    ("C-zero", cell((("C = 1.0", "C = 0.0"),)), FAIL),
    ("C-negative", cell((("C = 1.0", "C = -1.0"),)), FAIL),
    ("tau-negative", cell((("tau = 50.0", "tau = -50.0"),)), FAIL),
    ("tau-tiny", cell((("tau = 50.0", "tau = 1e-300"),)), ANY),
    ("tau-huge", cell((("tau = 2500.0", "tau = 1e308"),)), ANY),
    ("v0-nan", cell((("v0 = -1.9", "v0 = nan"),)), FAIL),
    ("g-inf", cell((("g = 1.0", "g = inf"),)), FAIL),
    ("g-huge", cell((("g = 1.0", "g = 1e300"),)), ANY),
    ("threshold-nan", cell((("v0 = -1.9", "v0 = -1.9\nthreshold = nan"),)), FAIL),
    ("hysteresis-negative", cell((("v0 = -1.9", "v0 = -1.9\nhysteresis = -1.0"),)), FAIL),
    ("t_end-inf", cell((("t_end = 300.0", "t_end = inf"),)), FAIL),
    ("t_end-negative", cell((("t_end = 300.0", "t_end = -1.0"),)), FAIL),
    ("t_end-string", cell((("t_end = 300.0", 't_end = "300"'),)), FAIL),
    ("t_transient-huge", cell((("t_transient = 100.0", "t_transient = 1e308"),)), ANY),
    ("i_app-nan", cell((("i_app = -2.0", "i_app = nan"),)), FAIL),
    ("pulse-backwards", cell(append='[[simulation.stimulus]]\nkind = "pulse"\nstart = 200.0\nstop = 100.0\n'
                                    'amplitude = -0.5\n'), FAIL),
    ("stimulus-unknown-kind", cell(append='[[simulation.stimulus]]\nkind = "sine"\nfreq = 1.0\n'), FAIL),
    ("stimulus-not-array", cell(append="stimulus = 5\n"), FAIL),
    ("sampled-lengths-differ", cell(append='[[simulation.stimulus]]\nkind = "sampled"\nt = [0.0, 1.0, 2.0]\n'
                                           'values = [0.0, 1.0]\n'), FAIL),
    ("sampled-huge", cell(append='[[simulation.stimulus]]\nkind = "sampled"\nt = ['
                                 + ", ".join(f"{0.003 * k:.3f}" for k in range(100_000)) + "]\nvalues = ["
                                 + ", ".join("0.0" for _ in range(100_000)) + "]\n"), ANY),
    ("many-elements", cell(append="".join(f'\n[[elements]]\nkind = "leak"\nname = "leak{k}"\ng = 0.001\n'
                                          'e_rev = 0.0\n' for k in range(3000))), ANY),
    ("net-no-nodes", 'format = "neuromorph-network/1"\nname = "n"\n[nodes]\n[simulation]\nt_end = 100.0\n', FAIL),
    ("net-unknown-node", net((('post = "n2"', 'post = "n9"'),)), FAIL),
    ("net-self-synapse", net((('post = "n2"', 'post = "n1"'),)), ANY),
    ("net-node-file-missing", net((('file = "cell.toml"', 'file = "nosuch.toml"'),)), FAIL),
    ("net-node-file-folder", net((('file = "cell.toml"', 'file = "adir"'),)), FAIL),
    ("net-node-file-itself", net((('file = "cell.toml"', 'file = "bad.toml"'),)), FAIL),
    ("net-node-file-network", net((('file = "cell.toml"', 'file = "net.toml"'),)), FAIL),
    ("net-node-file-absolute", net((('file = "cell.toml"', 'file = "/etc/hostname"'),)), FAIL),
    ("net-node-file-and-preset", net((('file = "cell.toml"', 'file = "cell.toml"\nneuron = "bursting"'),)), FAIL),
    ("net-node-leak-g0", net((('file = "cell.toml"', 'file = "zero.toml"'),)), DIVERGE),
    ("net-gap-g0", net(append=GAP), ANY),
    ("net-gap-negative", net(append=GAP.replace("g = 0.0", "g = -1.0")), ANY),
    ("net-synapse-g0", net((("g = 0.2", "g = 0.0"),)), RUN),
    ("net-conductance-nan", net(append='\n[[connections]]\nkind = "conductance_synapse"\npre = "n1"\npost = "n2"\n'
                                       'g = 0.1\ne_syn = nan\n'), FAIL),
    ("net-node-dotted-name", net((("[nodes.n2]\n", '[nodes."a.b"]\n'), ("[nodes.n2.initial]", '[nodes."a.b".initial]'),
                                  ('post = "n2"', 'post = "a.b"'), ('pre = "n2"', 'pre = "a.b"'))), ANY),
    ("net-500-nodes", 'format = "neuromorph-network/1"\nname = "big"\n[simulation]\nt_end = 100.0\n'
                      + "".join(f'[nodes.n{k}]\nneuron = "tonic_spiking"\ni_app = -0.7\n' for k in range(500)), ANY),
)
CHECKED_EVERYWHERE = ("syntax", "unknown-top-key", "deep-array", "huge-array-value", "leak-g0", "C-zero")
EXTRA_FILES = (("zero.toml", cell(LEAK_G0)),)


def circuit_file_cases():
    for label, text, expect in BAD_CIRCUITS:
        files = (*EXTRA_FILES, ("bad.toml", text))
        stderr = ("diverg",) if expect == DIVERGE else ()
        yield case(f"simulate/file={label}", "simulate", "bad.toml", files=files, expect=expect, stderr_has=stderr)
    for label, text, expect in BAD_CIRCUITS:
        if label not in CHECKED_EVERYWHERE:
            continue
        files = (*EXTRA_FILES, ("bad.toml", text))
        every = ANY if expect == DIVERGE else expect  # a map or study records divergence per member
        yield case(f"iv/file={label}", "iv", "bad.toml", files=files, expect=ANY if expect == DIVERGE else expect)
        yield case(f"map/file={label}", "map", "bad.toml", "--x", "i_app:-3:0:2", "--t-end", "200", files=files,
                   expect=every)
        yield case(f"reliability/file={label}", "reliability", "bad.toml", "--trials", "2", "--t-end", "200",
                   files=files, expect=every)
        yield case(f"export-spice/file={label}", "export-spice", "bad.toml", "--t-end", "100", "-o", "b.cir",
                   files=files, expect=RUN if expect == DIVERGE else expect)
        yield case(f"spice-run/file={label}", "spice-run", "bad.toml", "--t-end", "200", files=files, expect=expect,
                   stderr_has=("diverg",) if expect == DIVERGE else ())
        yield case(f"tune/file={label}", "tune", "bad.toml", "--seconds", "1", files=files, display=True,
                   expect=ANY if expect == DIVERGE else expect)
        yield case(f"sweep/file={label}", "sweep", "s.toml", "--out", "s.zarr",
                   files=(*files, ("s.toml", study((('model = "cell.toml"', 'model = "bad.toml"'),)))),
                   expect=every)
    for label in ("missing", "a-folder"):
        path = {"missing": "nosuch.toml", "a-folder": "adir"}[label]
        for command in ("simulate", "iv", "map", "reliability", "export-spice", "spice-run", "tune"):
            kw, argv = on(command)
            argv = (argv[0], path, *argv[2:]) if command != "tune" else ("tune", path, "--seconds", "1")
            yield Case(f"{command}/file={label}", argv, expect=FAIL, outputs=(), **kw)
    yield case("sweep/file=missing", "sweep", "nosuch.toml", "--out", "r.zarr", expect=FAIL)
    yield case("sweep/file=a-folder", "sweep", "adir", "--out", "r.zarr", expect=FAIL)
    yield case("sweep/file=a-circuit", "sweep", B, "--out", "r.zarr", expect=FAIL)
    yield case("simulate/file=read-only", "simulate", "rocell.toml", files=(("rocell.toml", CELL),),
               locked=("rocell.toml",), expect=RUN)
    yield case("simulate/file=symlink", "simulate", "lcell.toml", files=(("lcell.toml", Link("cell.toml")),),
               expect=RUN)
    yield case("simulate/file=odd-name", "simulate", "my cell;$(x)\u2028.toml",
               files=(("my cell;$(x)\u2028.toml", CELL),), expect=RUN)


BAD_STUDIES = (
    ("syntax", "model = \n", FAIL),
    ("empty", "", FAIL),
    ("unknown-key", STUDY.replace("[grid]", "colour = 'red'\n[grid]"), FAIL),
    ("model-missing", study((('model = "cell.toml"\n', ""),)), FAIL),
    ("model-number", study((('model = "cell.toml"', "model = 5"),)), FAIL),
    ("model-unknown-preset", study((('model = "cell.toml"', 'model = "nosuch"'),)), FAIL),
    ("model-missing-file", study((('model = "cell.toml"', 'model = "nosuch.toml"'),)), FAIL),
    ("model-network-file", study((('model = "cell.toml"', 'model = "net.toml"'),), text=STUDY.replace(
        '[grid]\ni_app = "-3:0:2"\n', '[grid]\n"n1.i_app" = "-3:0:2"\n')), RUN),
    ("grid-unknown-path", study((('i_app = "-3:0:2"', '"nosuch.g" = "-3:0:2"'),)), FAIL),
    ("grid-letters", study((('"-3:0:2"', '"a:b:c"'),)), FAIL),
    ("grid-zero-points", study((('"-3:0:2"', '"-3:0:0"'),)), FAIL),
    ("grid-1e9-points", study((('"-3:0:2"', '"-3:0:1000000000"'),)), FAIL),
    ("grid-empty-list", study((('"-3:0:2"', "[]"),)), FAIL),
    ("grid-nan", study((('"-3:0:2"', "[nan, 0.0]"),)), FAIL),
    ("grid-table-bad", study((('"-3:0:2"', "{start = 0, stop = 1}"),)), FAIL),
    ("chips-zero", study((("chips = 1", "chips = 0"),)), FAIL),
    ("chips-negative", study((("chips = 1", "chips = -1"),)), FAIL),
    ("chips-float", study((("chips = 1", "chips = 1e9"),)), FAIL),
    ("chips-1e9", study((("chips = 1", "chips = 1000000000"),), append="[mismatch]\ngain = 0.1\n"), FAIL),
    ("trials-1e9", study((("trials = 2", "trials = 1000000000"),)), FAIL),
    # runs within the memory check, warned once about its one-member chunks (the issue: "warn or cap")
    ("spikes-1e8", study(append="").replace("trials = 2", "trials = 2\nspikes = 100000000"), ANY),
    ("traces-1e8", study(append="").replace("trials = 2", "trials = 2\ntraces = 100000000"), ANY),
    ("dt-10", study((("dt = 0.05", "dt = 10"),)), STOPPED),
    ("dt-zero", study((("dt = 0.05", "dt = 0"),)), FAIL),
    ("t_end-nan", study((("t_end = 200", "t_end = nan"),)), FAIL),
    ("t_end-1e308", study((("t_end = 200", "t_end = 1e308"),)), FAIL),
    ("method-garbage", study((('method = "rk4"', 'method = "garbage"'),)), FAIL),
    ("method-spice-noise", study((('method = "rk4"', 'method = "spice"'),), append="[noise]\nwhite = 0.05\n"), FAIL),
    ("noise-negative", study((('method = "rk4"', 'method = "sra1"'),), append="[noise]\nwhite = -1.0\n"), FAIL),
    ("noise-string", study(append="").replace("trials = 2", 'trials = 2\nnoise = "loud"'), FAIL),
    ("mismatch-unknown", study(append="[mismatch]\nsize = 0.1\n"), FAIL),
    ("mismatch-negative", study(append="[mismatch]\ngain = -0.1\n"), FAIL),
    ("seed-negative", study((("seed = 1", "seed = -1"),)), FAIL),
    ("seed-2**64", study((("seed = 1", "seed = 18446744073709551616"),)), FAIL),
    ("spice-level-bad", study((('method = "rk4"', 'method = "spice"'),), append="[spice]\nlevel = \"quantum\"\n"),
     FAIL),
    ("drive-unknown-kind", study(append="[drive]\nkind = \"sine\"\n"), FAIL),
    ("deep-nesting", "x = " + "[" * DEEP + "]" * DEEP + "\n", FAIL),
    ("leak-g0-model", study((('model = "cell.toml"', 'model = "zero.toml"'),)), ANY),
)


def study_cases():
    for label, text, expect in BAD_STUDIES:
        stderr = ("(?i)stab",) if label == "dt-10" else ()
        yield case(f"sweep/spec={label}", "sweep", "s.toml", "--out", "s.zarr", files=(("s.toml", text),
                                                                                     *EXTRA_FILES),
                   expect=expect, stderr_has=stderr)
    yield case("sweep/out=the-spec", "sweep", "study.toml", "--out", "study.toml", expect=FAIL, outputs=())
    yield case("sweep/out=the-model", "sweep", "study.toml", "--out", "cell.toml", expect=FAIL, outputs=())
    yield case("sweep/out=missing-folder", "sweep", "study.toml", "--out", "nofolder/deep/r.zarr", expect=FAIL,
               outputs=())
    yield case("sweep/out=unwritable-folder", "sweep", "study.toml", "--out", "ro/r.zarr", expect=FAIL, outputs=())
    yield case("sweep/out=a-file", "sweep", "study.toml", "--out", "image.png", expect=FAIL, outputs=())
    yield case("sweep/out=users-folder", "sweep", "study.toml", "--out", "docs", expect=FAIL, outputs=())
    yield case("sweep/out=users-folder-overwrite", "sweep", "study.toml", "--out", "docs", "--overwrite",
               expect=FAIL, outputs=(), note="--overwrite replaces a store, never a folder of the user's files")
    yield case("sweep/out=cwd-overwrite", "sweep", "study.toml", "--out", ".", "--overwrite", expect=FAIL,
               outputs=())
    yield case("sweep/out=circuits-overwrite", "sweep", "study.toml", "--out", "circuits", "--overwrite",
               expect=FAIL, outputs=())
    yield case("sweep/out=empty-folder", "sweep", "study.toml", "--out", "adir", expect=ANY,
               outputs=(("adir", "store"),))
    yield case("sweep/out=fake-store", "sweep", "study.toml", "--out", "fake.zarr",
               files=(("fake.zarr/zarr.json", "{not json"),), expect=FAIL, outputs=())
    yield case("sweep/out=fake-store-resume", "sweep", "study.toml", "--out", "fake.zarr", "--resume",
               files=(("fake.zarr/zarr.json", "{not json"),), expect=FAIL, outputs=())
    yield case("sweep/out=empty-name", "sweep", "study.toml", "--out", "", expect=FAIL, outputs=())
    yield case("sweep/out=odd-name", "sweep", "study.toml", "--out", "r;$(touch PWNED)\n.zarr", expect=ANY,
               outputs=(("r;$(touch PWNED)\n.zarr", "store"),))
    yield case("sweep/resume-nothing", "sweep", "study.toml", "--out", "r.zarr", "--resume", expect=ANY)
    yield case("sweep/json", "sweep", "study.toml", "--out", "r.zarr", "--json", expect=RUN)
    yield case("sweep/progress", "sweep", "study.toml", "--out", "r.zarr", "--progress", expect=RUN)
    yield case("sweep/workers=0", "sweep", "study.toml", "--out", "r.zarr", "--workers", "0", expect=FAIL)
    yield case("sweep/scheduler=garbage", "sweep", "study.toml", "--out", "r.zarr", "--scheduler", "garbage",
               expect=FAIL)
    yield case("sweep/scheduler=unreachable", "sweep", "study.toml", "--out", "r.zarr", "--scheduler",
               "tcp://127.0.0.1:9", "--timeout", "2", expect=FAIL)
    yield case("sweep/scheduler-and-workers", "sweep", "study.toml", "--out", "r.zarr", "--scheduler", "x",
               "--workers", "2", expect=FAIL)
    yield case("sweep/workers=2", "sweep", "study.toml", "--out", "r.zarr", "--workers", "2", expect=RUN,
               timeout=120)


SET_PATHS = (
    ("nosuch-element", "nosuch.g=1", FAIL), ("nosuch-field", "leak.nosuch=1", FAIL), ("no-value", "leak.g", FAIL),
    ("no-path", "=1", FAIL), ("empty", "", FAIL), ("text", "leak.g=abc", FAIL), ("nan", "leak.g=nan", FAIL),
    ("blank-value", "leak.g=", FAIL), ("huge", "leak.g=1e308", FAIL), ("tau-negative", "slow_negative.tau=-5", FAIL),
    ("i_app", "i_app=1", FAIL), ("leak-g0", "leak.g=0", DIVERGE), ("two-equals", "leak.g=1=2", FAIL),
    ("kind-field", "leak.kind=3", FAIL), ("name-field", "leak.name=3", FAIL),
    ("spaces", " leak.g = 0.5 ", ANY), ("dunder", "__class__.g=1", FAIL),
)


def option_cases():
    # --set on every command that takes it
    for label, item, expect in SET_PATHS:
        yield oncase(f"simulate/set={label}", "simulate", "--set", item, expect=expect,
                     stderr_has=("diverg",) if expect == DIVERGE else ())
    for command in ("iv", "map", "reliability", "export-spice", "spice-run", "estimate"):
        for label, item, expect in SET_PATHS[:3] + (("leak-g0", "leak.g=0", None),):
            if expect is None:
                expect = {"spice-run": DIVERGE, "export-spice": RUN}.get(command, ANY)
            yield oncase(f"{command}/set={label}", command, "--set", item, expect=expect,
                         stderr_has=("diverging",) if expect == DIVERGE else ())
    for item, expect in (("n1_to_n2.g=0.5", RUN), ("n9.i_app=1", FAIL), ("n1.leak.g=0", DIVERGE),
                         ("n1_to_n9.g=1", FAIL), ("n1.nosuch.g=1", FAIL)):
        yield case(f"simulate/set-network={slug(item)}", "simulate", "net.toml", "--set", item, expect=expect)

    # simulate
    yield oncase("simulate/method=garbage", "simulate", "--method", "garbage", expect=FAIL)
    yield oncase("simulate/method=empty", "simulate", "--method", "", expect=FAIL)
    for method in ("rosenbrock23", "rk4", "euler", "sra1", "euler_maruyama", "RK4"):
        yield oncase(f"simulate/method={method}", "simulate", "--method", method, expect=ANY)
    yield oncase("simulate/json", "simulate", "--json", expect=RUN)
    yield oncase("simulate/progress", "simulate", "--progress", expect=RUN)
    yield case("simulate/network-json", "simulate", H, "--t-end", "300", "--json", expect=RUN)
    yield case("simulate/network-i-app", "simulate", H, "--t-end", "300", "--i-app", "1", expect=FAIL)
    yield case("simulate/network-phase-tolerance", "simulate", "net.toml", "--phase-tolerance", "0.2", expect=RUN)
    yield case("simulate/node-file-net-out-plot", "simulate", "net.toml", "--out", "cell.npz", "--plot", "cell.png",
               expect=RUN, note="issue 18: outputs named after a node file")
    yield case("simulate/node-file-as-out", "simulate", "net.toml", "--out", "cell.toml", expect=FAIL, outputs=())
    yield case("simulate/node-file-as-plot", "simulate", "net.toml", "--plot", "cell.toml", expect=FAIL, outputs=())
    yield case("simulate/network-file-as-out", "simulate", "net.toml", "--out", "net.toml", expect=FAIL, outputs=())
    yield case("simulate/node-file-in-subfolder", "simulate", "sub/net.toml", "--out", "sub/cell.toml",
               files=(("sub/net.toml", NET), ("sub/cell.toml", CELL)), expect=FAIL, outputs=())
    yield case("simulate/node-file-through-symlink", "simulate", "net.toml", "--out", "lcell.toml",
               files=(("lcell.toml", Link("cell.toml")),), expect=FAIL, outputs=())
    yield case("simulate/no-t-end", "simulate", "nosim.toml", files=(("nosim.toml", CELL.split("[simulation]")[0]),),
               expect=FAIL)
    yield case("simulate/stdin-dash", "simulate", "-", expect=FAIL)

    # iv
    for value, expect in (("a:b", FAIL), ("nan:1", FAIL), ("3:-3", FAIL), ("1:1", FAIL), ("-1e308:1e308", FAIL),
                          ("", ANY), ("5", FAIL), ("-3:3:1", FAIL), ("-3:3", RUN), ("-inf:inf", FAIL)):
        yield oncase(f"iv/v-range={slug(value)}", "iv", "--v-range", value, expect=expect)
    yield oncase("iv/node-on-a-neuron", "iv", "--node", "n1", expect=FAIL)
    yield case("iv/network-without-node", "iv", H, expect=FAIL)
    yield case("iv/network-node-n9", "iv", H, "--node", "n9", expect=FAIL)
    yield case("iv/network-node-n2", "iv", "net.toml", "--node", "n2", expect=RUN)
    yield oncase("iv/json", "iv", "--json", expect=RUN)
    yield oncase("iv/i-app=50", "iv", "--i-app", "50", expect=ANY)

    # map
    for value, expect in (("i_app", FAIL), ("i_app:a:b:c", FAIL), ("i_app:-3:0:0", FAIL), ("i_app:-3:0:-1", FAIL),
                          ("i_app:-3:0:1e9", FAIL), ("i_app:-3:0:100000000", FAIL), ("i_app:0:0:2", ANY),
                          ("i_app:nan:0:2", FAIL), ("nosuch:-3:0:2", FAIL), ("i_app:-3:0:2.5", FAIL), ("", FAIL),
                          (":::", FAIL), ("leak.g:0:0:2", ANY), ("i_app:-3:0:2:9", FAIL), ("i_app:3:-3:2", ANY)):
        yield oncase(f"map/x={slug(value)}", "map", "--x", value, expect=expect)
    yield oncase("map/y-same-as-x", "map", "--y", "i_app:-3:0:2", expect=FAIL)
    yield oncase("map/y-garbage", "map", "--y", "garbage", expect=FAIL)
    yield oncase("map/y=leak.g-0", "map", "--y", "leak.g:0:1:2", expect=ANY)
    yield oncase("map/node-on-a-neuron", "map", "--node", "n1", expect=FAIL)
    yield case("map/network-node-n9", "map", "net.toml", "--x", "n1.i_app:-3:0:2", "--t-end", "200", "--node", "n9",
               expect=FAIL)
    yield case("map/network-i-app", "map", "net.toml", "--x", "n1.i_app:-3:0:2", "--t-end", "200", "--i-app", "1",
               expect=FAIL)
    yield case("map/network", "map", "net.toml", "--x", "n1_to_n2.g:0:1:2", "--t-end", "200", "--node", "n2",
               "--json", expect=RUN)
    yield oncase("map/method=garbage", "map", "--method", "garbage", expect=FAIL)
    yield oncase("map/method=rosenbrock23", "map", "--method", "rosenbrock23", expect=RUN)
    yield oncase("map/workers=0", "map", "--workers", "0", expect=FAIL)
    yield oncase("map/workers=-1", "map", "--workers", "-1", expect=FAIL)
    yield oncase("map/scheduler=garbage", "map", "--scheduler", "garbage", expect=FAIL,
                 stderr_lacks=("__del__",), note="must not hang or dump Client.__del__")
    yield oncase("map/scheduler=unreachable", "map", "--scheduler", "tcp://127.0.0.1:9", "--timeout", "2", expect=FAIL)
    yield oncase("map/json-predict", "map", "--json", base=tuple(a for a in BASE["map"] if a != "--no-predict"),
                 expect=RUN)
    yield oncase("map/progress", "map", "--progress", expect=RUN)
    yield oncase("map/workers=1", "map", "--workers", "1", expect=RUN, timeout=120)

    # reliability
    for value in ("garbage", "gain=", "gain=abc", "gain=-1", "gain=nan", "nosuch=0.1", "gain=0.1,,", "truncate=2",
                  "C=10", "tau=5", "gain=1e308", "=0.1", "gain=0.1;offset=0.1", "corner=abc", "temperature=-300"):
        yield oncase(f"reliability/mismatch={slug(value)}", "reliability", "--mismatch", value, "--chips", "2",
                     expect=ANY if value in ("C=10", "tau=5", "truncate=2", "temperature=-300") else FAIL)
    for value, expect in (("a:b", FAIL), ("nan:20", FAIL), ("0.3:inf", FAIL), ("1e308:20", FAIL), ("0.3", FAIL),
                          ("0.3:20:5", FAIL), ("0.3:0", FAIL), ("0.3:-20", FAIL), ("-0.3:20", FAIL), (":", FAIL),
                          ("", FAIL), ("0.3:20", RUN)):
        yield oncase(f"reliability/ou={slug(value)}", "reliability", "--ou", value, expect=expect)
    yield oncase("reliability/trials=1", "reliability", "--trials", "1", expect=RUN,
                 stdout_lacks=(r"jitter 0[,\s]", r"1\.000 within chips"),
                 note="issue 18: across-trial metrics undefined with one trial, with a reason")
    yield oncase("reliability/trials=1-json", "reliability", "--trials", "1", "--json", expect=RUN,
                 checks=(("undefined", "schreiber", "jitter", "precision", "event_reliability"),))
    yield oncase("reliability/dt=5", "reliability", "--dt", "5", expect=STOPPED, stderr_has=("(?i)stab",),
                 note="issue 18: must explain the stability limit")
    yield oncase("reliability/method=rk4", "reliability", "--method", "rk4", "--noise", "0.05", expect=ANY)
    yield oncase("reliability/method=garbage", "reliability", "--method", "garbage", expect=FAIL)
    yield oncase("reliability/node-on-a-neuron", "reliability", "--node", "n1", expect=FAIL)
    yield case("reliability/network-node-n9", "reliability", "net.toml", "--trials", "2", "--node", "n9",
               expect=FAIL)
    yield case("reliability/network", "reliability", "net.toml", "--trials", "2", "--node", "n2", "--json",
               expect=RUN)
    yield oncase("reliability/t-record>=t-end", "reliability", "--t-record", "500", expect=FAIL)
    yield oncase("reliability/workers=0", "reliability", "--workers", "0", expect=FAIL)
    yield oncase("reliability/scheduler=garbage", "reliability", "--scheduler", "garbage", expect=FAIL,
                 stderr_lacks=("__del__",))
    yield oncase("reliability/full", "reliability", "--ou", "0.3:20", "--chips", "2", "--noise", "0.05",
                 "--mismatch", "gain=0.05,offset=0.05,tau=0.02", "--seed", "7", "--out", "rel.npz", "--plot",
                 "rel.png", expect=RUN)

    # export-spice
    yield oncase("export-spice/level=garbage", "export-spice", "--level", "garbage", expect=FAIL)
    yield oncase("export-spice/explain", "export-spice", "--explain", expect=RUN)
    yield oncase("export-spice/explain-transistor", "export-spice", "--level", "transistor", "--explain", expect=RUN)
    yield case("export-spice/explain-transistor-as-documented", "export-spice", "--level", "transistor", "--explain",
               expect=RUN, note="README: `neuromorph export-spice --level transistor --explain` prints the mapping")
    yield case("export-spice/network-transistor", "export-spice", H, "--level", "transistor", "--t-end", "100", "-o",
               "hco.cir", expect=RUN)
    yield case("export-spice/network-node-file-as-output", "export-spice", "net.toml", "-o", "cell.toml",
               expect=FAIL, outputs=(), note="issue 18")
    yield case("export-spice/network-file-as-output", "export-spice", "net.toml", "-o", "net.toml", expect=FAIL,
               outputs=())
    yield case("export-spice/network-gap-g0-transistor", "export-spice", "g.toml", "--level", "transistor",
               "--t-end", "100", "-o", "g.cir", files=(("g.toml", net(append=GAP)),), expect=ANY)
    yield oncase("export-spice/transistor-leak-g0", "export-spice", "--level", "transistor", "--set", "leak.g=0",
                 expect=ANY)
    yield case("export-spice/transistor-conductance", "export-spice", "c.toml", "--level", "transistor", "--t-end",
               "100", "-o", "c.cir", files=(("c.toml", cell(append='\n[[elements]]\nkind = "conductance"\n'
                                                                   'name = "na"\ng_max = 1.0\ne_rev = 1.0\n')),),
               expect=ANY)
    yield oncase("export-spice/no-output", "export-spice", base=drop_option(BASE["export-spice"], "-o"), expect=FAIL)
    yield case("export-spice/verbatim-nl-output", "export-spice", B, "-o", "nl\nshell touch PWNED\n.cir",
               note="issue 18: command injection through the data file name", timeout=90)
    yield case("export-spice/txt-output-then-ngspice", "export-spice", B, "--t-end", "200", "-o", "x.txt",
               note="issue 18: ngspice -b x.txt must not overwrite the deck")

    # spice-run
    yield oncase("spice-run/level=garbage", "spice-run", "--level", "garbage", expect=FAIL)
    yield oncase("spice-run/set-leak-g0", "spice-run", "--set", "leak.g=0", expect=DIVERGE,
                 stderr_has=("diverging",), note="issue 18: exit 1 'diverging', as simulate")
    yield oncase("spice-run/transistor-leak-g0", "spice-run", "--level", "transistor", "--set", "leak.g=0",
                 expect=STOPPED, note="issue 18")
    yield case("spice-run/transistor-gap-g0", "spice-run", "g.toml", "--level", "transistor", "--t-end", "200",
               files=(("g.toml", net(append=GAP)),), expect=ANY, note="issue 18")
    yield case("spice-run/verbatim-bursting", "spice-run", B, "--json", expect=RUN, checks=(("t_start", 0.0),),
               note="issue 18: the file's t_transient (0) as simulate", timeout=120)
    yield case("spice-run/t-transient-honoured", "spice-run", "cell.toml", "--json", expect=RUN,
               checks=(("t_start", 100.0),))
    yield case("spice-run/network-phases", "spice-run", H, "--t-end", "3000", expect=RUN, stdout_has=("phase",),
               note="issue 18: a network's phase columns", timeout=90)
    yield case("spice-run/network-node-files", "spice-run", "net.toml", "--out", "cell.npz", expect=RUN,
               stdout_has=("phase",))
    yield case("spice-run/network-node-file-as-out", "spice-run", "net.toml", "--out", "cell.toml", expect=FAIL,
               outputs=())
    yield oncase("spice-run/json", "spice-run", "--json", expect=RUN)
    yield oncase("spice-run/transistor", "spice-run", "--level", "transistor", "--out", "t.npz", "--plot", "t.png",
                 expect=RUN)
    yield oncase("spice-run/progress", "spice-run", "--progress", expect=ANY)

    # tune (a window on a virtual display, closed after a second)
    yield case("tune/screenshot-is-the-circuit", "tune", "c.png", "--screenshot", "c.png", "--seconds", "1",
               files=(("c.png", PNG),), display=True, expect=FAIL, outputs=(), note="issue 18")
    yield case("tune/screenshot-is-the-circuit-no-seconds", "tune", "c.png", "--screenshot", "c.png",
               files=(("c.png", PNG),), display=True, expect=FAIL, outputs=(), note="issue 18 (verbatim)")
    yield case("tune/screenshot-is-the-toml", "tune", "cell.toml", "--screenshot", "cell.toml", "--seconds", "1",
               display=True, expect=FAIL, outputs=())
    yield case("tune/screenshot-bad-format", "tune", "--seconds", "1", "--screenshot", "x.xyz", display=True,
               expect=FAIL, outputs=(), note="issue 18")
    yield case("tune/screenshot-missing-folder", "tune", "--seconds", "1", "--screenshot", "nofolder/x.png",
               display=True, expect=FAIL, outputs=(), note="issue 18")
    yield case("tune/screenshot-without-seconds", "tune", "--screenshot", "x.png", display=True, expect=FAIL,
               outputs=(), note="issue 18: refused, not a window that never closes")
    yield case("tune/seconds=-1", "tune", "--seconds", "-1", display=True, expect=FAIL, note="issue 18")
    yield case("tune/i-app=50", "tune", "--i-app", "50", "--seconds", "1", display=True, expect=ANY,
               stderr_lacks=("v_rest",), stdout_lacks=("v_rest",), note="issue 18: no advice to give v_rest")
    yield case("tune/display=99", "tune", env=(("DISPLAY", ":99"),), expect=FAIL, stderr_lacks=("python3-tk",),
               note="issue 18 (verbatim): a display that is not there is not a missing python3-tk")
    yield case("tune/display=absent", "tune", env=(("DISPLAY", ":4711"),), expect=FAIL,
               stderr_lacks=("python3-tk",))
    yield case("tune/no-display", "tune", expect=FAIL)
    yield case("tune/preset-unknown", "tune", "nosuch", "--seconds", "1", display=True, expect=FAIL)
    yield case("tune/preset-hco-filters", "tune", "hco", "--filters", "--seconds", "1", "--screenshot", "t.png",
               display=True, expect=RUN)
    yield case("tune/network-file", "tune", "net.toml", "--seconds", "1", "--screenshot", "t.svg", display=True,
               expect=RUN)

    # demo, presets and the top level
    yield case("demo/out=a-file", "demo", "--out", "image.png", expect=FAIL, outputs=())
    yield case("demo/out=unwritable-folder", "demo", "--out", "ro/figs", expect=FAIL, outputs=())
    yield case("demo/out=empty-name", "demo", "--out", "", expect=FAIL, outputs=())
    yield case("demo/out=under-a-file", "demo", "--out", "image.png/figs", expect=FAIL, outputs=())
    yield case("demo/no-plots", "demo", "--no-plots", "--out", "np", expect=RUN, timeout=240)
    yield case("presets/plain", "presets", expect=RUN)
    yield case("presets/extra-argument", "presets", "extra", expect=FAIL)
    yield case("neuromorph/no-arguments", expect=FAIL)
    yield case("neuromorph/version", "--version", expect=RUN)
    yield case("neuromorph/unknown-command", "frobnicate", expect=FAIL)
    yield case("neuromorph/simulate-help", "simulate", "--help", expect=RUN)
    yield case("neuromorph/simulate-no-file", "simulate", expect=FAIL)
    yield case("neuromorph/abbreviated-option", "simulate", B, "--t-e", "300", expect=ANY)
    yield case("neuromorph/c-locale-unicode-name", "simulate", "u.toml", "--t-end", "100",
               files=(("u.toml", cell((('name = "cell"', 'name = "zelle\u00e9\u2028x"'),))),),
               env=(("LC_ALL", "C"), ("LANG", "C"), ("PYTHONIOENCODING", "ascii")), expect=ANY)


TRACES = (  # (label, trace file content or None for a missing file, expected exit)
    ("missing", None, FAIL),
    ("a-folder", FOLDER, FAIL),
    ("empty", b"", FAIL),
    ("text", "t,v\n0,-1.9\n", FAIL),
    ("the-circuit-file", Copy(B), FAIL),
    ("truncated", Made(BURSTER_RUN, "truncated"), FAIL),
    ("npy", Made(BURSTER_RUN, "npy"), FAIL),
    ("object-array", Made(BURSTER_RUN, "object"), FAIL),
    ("no-t", Made(BURSTER_RUN, "no-t"), FAIL),
    ("nan-sample", Made(BURSTER_RUN, "nan"), FAIL),
    ("inf-time", Made(BURSTER_RUN, "inf-t"), FAIL),
    ("huge-voltage", Made(BURSTER_RUN, "huge"), FAIL),
    ("t-backwards", Made(BURSTER_RUN, "t-backwards"), FAIL),
    ("v-shorter-than-t", Made(BURSTER_RUN, "v-short"), FAIL),
    ("two-samples", Made(BURSTER_RUN, "two-samples"), FAIL),
    ("strings", Made(BURSTER_RUN, "strings"), FAIL),
    ("current-nan", Made(BURSTER_RUN, "current-nan"), FAIL),
    ("current-wrong-length", Made(BURSTER_RUN, "current-wrong-length"), FAIL),
    ("a-network-run", Made(HCO_RUN), FAIL),
    ("plain", Made(BURSTER_RUN, "plain"), RUN),
    ("plain-no-current", Made(BURSTER_RUN, "plain-no-current"), RUN),
    ("tuner-layout", Made(BURSTER_RUN, "tuner"), RUN),
    ("constant-voltage", Made(BURSTER_RUN, "constant"), RUN),
)


def estimate_cases():
    for label, content, expect in TRACES:
        files = () if content is None else (("trace.npz", content),)
        yield case(f"estimate/trace={label}", "estimate", B, "trace.npz", "--out", "fit.toml", files=files,
                   expect=expect, stderr_has=("trace.npz",) if expect == FAIL else ())
    yield case("estimate/trace=plain-with-i-app", "estimate", B, "trace.npz", "--i-app", "-2",
               files=(("trace.npz", Made(BURSTER_RUN, "plain")),), expect=FAIL,
               note="the file holds the current: --i-app as well is refused")
    yield case("estimate/trace=constant-voltage-json", "estimate", B, "trace.npz", "--json",
               files=(("trace.npz", Made(BURSTER_RUN, "constant")),), expect=RUN,
               stderr_has=("not identifiable",), note="a resting trace: every gain flagged, standard JSON")
    yield case("estimate/out=the-trace", "estimate", B, "run.npz", "--out", "run.npz", expect=FAIL, outputs=())
    yield case("estimate/plot=the-trace-by-symlink", "estimate", B, "run.npz", "--plot", "l.png",
               files=(("l.png", Link("run.npz")),), expect=FAIL, outputs=())
    for value, expect in (("nosuch.g", FAIL), ("leak.e_rev", FAIL), ("", FAIL), (",", FAIL), ("leak.g,leak.g", FAIL),
                          ("leak.g", RUN), (" leak.g , slow_negative.alpha ", RUN), ("n1_to_n2.g", FAIL)):
        yield oncase(f"estimate/params={slug(value)}", "estimate", "--params", value, expect=expect)
    yield oncase("estimate/method=garbage", "estimate", "--method", "garbage", expect=FAIL)
    yield oncase("estimate/method=observer", "estimate", "--method", "observer", "--out", "o.toml", "--plot", "o.svg",
                 "--json", expect=RUN)
    for value, expect in (("gamma=2", RUN), ("gamma=0", FAIL), ("gamma=nan", FAIL), ("forgetting=-1", FAIL),
                          ("forgetting=0,p0=100", RUN), ("h_max=1e-300", FAIL), ("h_max=10", ANY), ("garbage", FAIL),
                          ("gamma=1,gamma=2", FAIL), ("record_dt=1e-9", FAIL), ("p0=1e11", ANY), ("", FAIL),
                          ("initial=1", FAIL)):
        yield oncase(f"estimate/observer={slug(value)}", "estimate", "--method", "observer", "--observer", value,
                     expect=expect)
    yield oncase("estimate/observer-without-method", "estimate", "--observer", "gamma=2", expect=FAIL)
    yield oncase("estimate/t-start-with-observer", "estimate", "--method", "observer", "--t-start", "100",
                 expect=FAIL)
    yield oncase("estimate/t-start=end", "estimate", "--t-start", "3000", expect=FAIL)
    yield oncase("estimate/t-start=2990", "estimate", "--t-start", "2990", expect=ANY,
                 note="the last 10 time units: the gains cannot be told apart")
    yield oncase("estimate/set-offset", "estimate", "--set", "slow_negative.delta=-1.2", "--json", expect=RUN)
    yield oncase("estimate/json", "estimate", "--json", expect=RUN)
    yield oncase("estimate/i-app-on-a-file-current", "estimate", "--i-app", "-2", expect=RUN)
    yield case("estimate/network", "estimate", "net.toml", "net-run.npz", "--out", "n.toml", "--plot", "n.png",
               "--json", expect=RUN)
    yield case("estimate/network-params", "estimate", "net.toml", "net-run.npz", "--params", "n1_to_n2.g,n2_to_n1.g",
               expect=RUN)
    yield case("estimate/network-i-app", "estimate", "net.toml", "net-run.npz", "--i-app", "1", expect=FAIL)
    yield case("estimate/network-set-synapse", "estimate", H, "net-run.npz", "--set", "n1_to_n2.g=0.5", expect=RUN)
    yield case("estimate/network-trace-of-a-neuron", "estimate", "net.toml", "run.npz", expect=FAIL)
    yield case("estimate/network-node-file-as-out", "estimate", "net.toml", "net-run.npz", "--out", "cell.toml",
               expect=FAIL, outputs=())
    yield case("estimate/preset-name", "estimate", "bursting", "run.npz", expect=FAIL,
               note="a circuit file, as simulate takes")
    yield case("estimate/no-trace", "estimate", B, expect=FAIL)


BIG_STUDY = study((("t_end = 200", "t_end = 20000"), ("trials = 2", "trials = 64"), ('"-3:0:2"', '"-3:0:16"')))


def interrupt_cases():
    def ctrl_c(id, *argv, after=SIGINT_AFTER, **kw):
        kw.setdefault("timeout", 30.0)
        return case(id, *argv, expect=INTERRUPTED, sigint=after, outputs=(), **kw)

    yield ctrl_c("simulate/ctrl-c", "simulate", B, "--t-end", "1e8", "--max-steps", "1000000000", "--out", "s.npz",
                 "--plot", "s.png")
    yield ctrl_c("simulate/ctrl-c-late", "simulate", B, "--t-end", "1e8", "--max-steps", "1000000000", "--out",
                 "s.npz", after=6.0, note="Ctrl-C once the kernels are surely loaded")
    # (t_end 2e6: its every-step record, 2 GiB, passes the memory check on a machine with a few GiB free)
    yield ctrl_c("simulate/ctrl-c-network-rk4", "simulate", H, "--t-end", "2e6", "--method", "rk4", "--dt", "0.05",
                 "--max-steps", "1000000000", "--out", "s.npz")
    yield ctrl_c("map/ctrl-c", "map", B, "--x", "i_app:-3:0:64", "--y", "slow_negative.alpha:-3:0:64", "--out",
                 "m.npz", "--plot", "m.png")
    yield ctrl_c("map/ctrl-c-workers", "map", B, "--x", "i_app:-3:0:64", "--y", "slow_negative.alpha:-3:0:64",
                 "--workers", "2", "--out", "m.npz")
    yield ctrl_c("reliability/ctrl-c", "reliability", T, "--trials", "400", "--chips", "4", "--mismatch", "gain=0.05",
                 "--noise", "0.05", "--t-end", "20000", "--out", "r.npz", "--plot", "r.png")
    yield ctrl_c("spice-run/ctrl-c", "spice-run", B, "--t-end", "100000", "--out", "s.npz", "--plot", "s.png",
                 note="issue 18: stop within about a second, exit 130, write nothing")
    yield ctrl_c("spice-run/ctrl-c-transistor", "spice-run", B, "--level", "transistor", "--t-end", "100000",
                 "--out", "s.npz")
    yield ctrl_c("sweep/ctrl-c", "sweep", "big.toml", "--out", "big.zarr", files=(("big.toml", BIG_STUDY),),
                 kept=("big.zarr",))
    yield ctrl_c("sweep/ctrl-c-late", "sweep", "big.toml", "--out", "big.zarr", files=(("big.toml", BIG_STUDY),),
                 kept=("big.zarr",), after=6.0)
    yield ctrl_c("sweep/ctrl-c-workers", "sweep", "big.toml", "--out", "big.zarr", "--workers", "2",
                 files=(("big.toml", BIG_STUDY),), kept=("big.zarr",), after=8.0,
                 note="the local cluster is running its chunks: stop within about a second")
    yield ctrl_c("sweep/ctrl-c-workers-starting", "sweep", "big.toml", "--out", "big.zarr", "--workers", "2",
                 files=(("big.toml", BIG_STUDY),), kept=("big.zarr",), after=1.5, sigint_limit=5.0,
                 note="while the local cluster starts: it finishes starting, then closes (no traceback, no leak)")
    yield ctrl_c("demo/ctrl-c", "demo", "--out", "figs")
    yield ctrl_c("estimate/ctrl-c-observer", "estimate", B, "long.npz", "--method", "observer", "--out", "l.toml",
                 "--plot", "l.png", files=(("long.npz", Made(BURSTER_RUN, "long")),),
                 note="inside the observer's kernel, which checks no flag")
    yield ctrl_c("tune/ctrl-c", "tune", display=True, after=8.0, note="Ctrl-C in the terminal of an open tuner")


def docs_cli_cases():
    """The bash blocks of the command-line page of the docs (docs/user_guide/cli.md, once the README's "Command
    line" section), as written, with small runs where needed; `study.toml` is the spec of the studies page."""
    text = (REPO / "docs" / "user_guide" / "cli.md").read_text(encoding="utf-8")
    studies = (REPO / "docs" / "user_guide" / "studies.md").read_text(encoding="utf-8")
    spec = re.search(r"A spec file \(`study.toml`\).*?```toml\n(.*?)```", studies, re.S)
    small_spec = spec.group(1).replace("t_end = 20000", "t_end = 200") if spec else STUDY
    k = 0
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if not words or words[0] != "neuromorph":
                continue
            k += 1
            argv = tuple(words[1:])
            command = argv[0]
            display = command == "tune"
            timeout = None
            if display:
                argv = with_option(argv, "--seconds", "1")
            if command in ("map", "reliability", "spice-run", "export-spice"):
                argv = with_option(argv, "--t-end", "300")
            if command in ("demo", "sweep", "map"):
                timeout = 300.0
            yield Case(f"docs-cli/{k:02d}-{command}", argv, expect=RUN, display=display, timeout=timeout,
                       files=(("study.toml", small_spec),), note="docs (command line page), as written (small --t-end)")


def corpus():
    cases = [*docs_cli_cases(), *numeric_cases(), *output_cases(), *hostile_cases(), *circuit_file_cases(),
             *study_cases(), *option_cases(), *estimate_cases(), *interrupt_cases()]
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SystemExit(f"trial: duplicate case ids: {duplicates}")
    return cases


# -- preparing and observing a case folder ------------------------------------------------------

def prepare(work, case):
    entries = dict(STANDARD)
    entries.update(COMMAND_FILES.get(case.command, ()))
    entries.update(case.files)
    for path, content in entries.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if content == FOLDER:
            target.mkdir(exist_ok=True)
        elif isinstance(content, Copy):
            shutil.copyfile(REPO / content.source, target)
        elif isinstance(content, Link):
            target.symlink_to(content.target)
        elif isinstance(content, HardLink):
            os.link(work / content.existing, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, Made):
            target.write_bytes(made(content))
        else:
            target.write_text(content, encoding="utf-8", newline="")
    for path in (*STANDARD_LOCKED, *case.locked):
        subprocess.run(["chattr", "+i", str(work / path)], check=True, capture_output=True)


def unlock(folder):
    subprocess.run(["chattr", "-R", "-i", str(folder)], capture_output=True)


def snapshot(work):
    """{relative path: (type, content digest or link target, mode)} of everything under ``work``."""
    out = {}
    for folder, dirs, files in os.walk(work):
        for name in dirs + files:
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, work)
            st = os.lstat(full)
            if os.path.islink(full):
                out[rel] = ("link", os.readlink(full), 0)
            elif os.path.isdir(full):
                out[rel] = ("dir", "", st.st_mode & 0o7777)
            else:
                digest = hashlib.sha256()
                with open(full, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        digest.update(block)
                out[rel] = ("file", digest.hexdigest(), st.st_mode & 0o7777)
    return out


def under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots if r)


def declared_outputs(case):
    """``(path, kind)`` the command writes on success: the case's, or read from its options."""
    if case.outputs is not None:
        return case.outputs
    argv, command, found = case.argv, case.command, []
    for i, word in enumerate(argv[:-1]):
        value = argv[i + 1]
        if word in ("-o", "--output"):
            found.append((value, "deck"))
        elif word == "--out":
            found.append((value, {"sweep": "store", "demo": "folder", "estimate": "circuit"}.get(command, "npz")))
        elif word in ("--plot", "--screenshot"):
            found.append((value, "figure"))
    return tuple(found)


def output_roots(work, outputs):
    """Relative paths under which a success may create files: each output and where its links lead."""
    roots = []
    for path, _ in outputs:
        if not path:
            continue
        rel = os.path.normpath(path)
        roots.append(rel)
        real = os.path.realpath(work / path)
        if real.startswith(str(work) + "/"):
            roots.append(os.path.relpath(real, work))
    return roots


def complete(path, kind):
    """None if ``path`` is a complete output of ``kind``, else what is wrong."""
    if not os.path.exists(path):
        return "missing"
    if kind in ("folder",):
        return None if os.path.isdir(path) else "not a folder"
    if kind == "store":
        if not os.path.isdir(path):
            return "not a folder"
        metas = [os.path.join(f, n) for f, _, names in os.walk(path) for n in names
                 if n in ("zarr.json", ".zgroup", ".zattrs", ".zarray", ".zmetadata")]
        if not metas:
            return "no Zarr metadata"
        for meta in metas:
            try:
                json.loads(Path(meta).read_text(encoding="utf-8"))
            except (ValueError, OSError) as exc:
                return f"bad metadata {os.path.relpath(meta, path)}: {exc}"
        return None
    if os.path.isdir(path):
        return "a folder, not a file"
    data = Path(path).read_bytes()
    if not data:
        return "empty"
    if kind == "npz":
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as archive:
                for key in archive.files:
                    archive[key]
        except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
            return f"does not load as npz: {type(exc).__name__}: {exc}"
        return None
    if kind == "deck":
        return None if data.rstrip().endswith(b".end") else "the deck does not end with .end"
    if kind == "circuit":
        import tomllib

        try:
            document = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return f"does not read as TOML: {exc}"
        return None if str(document.get("format", "")).startswith("neuromorph") else "no neuromorph `format` key"
    if kind == "figure":
        suffix = Path(path).suffix.lower()
        ok = {".png": data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82"),
              ".pdf": data.startswith(b"%PDF-") and b"%%EOF" in data[-64:],
              ".svg": data.lstrip().startswith((b"<?xml", b"<svg")) and data.rstrip().endswith(b"</svg>"),
              ".svgz": data.startswith(b"\x1f\x8b"),
              ".jpg": data.startswith(b"\xff\xd8") and data.rstrip(b"\x00").endswith(b"\xff\xd9"),
              ".jpeg": data.startswith(b"\xff\xd8"),
              ".eps": data.startswith(b"%!PS"), ".ps": data.startswith(b"%!PS")}.get(suffix, True)
        return None if ok else f"not a complete {suffix} image"
    return None


# -- checks of a finished run -------------------------------------------------------------------

def check_undefined(payload, *keys):
    bad = [k for k in keys if not (payload.get(k) is None or (isinstance(payload.get(k), float)
                                                              and payload[k] != payload[k]))]
    if bad:
        return "defined with one trial: " + ", ".join(f"{k} = {payload.get(k)!r}" for k in bad)
    if not any(isinstance(val, str) and "trial" in val.lower() for val in _strings(payload)):
        return "no reason given for the undefined across-trial metrics"
    return None


def _strings(payload):
    if isinstance(payload, dict):
        for val in payload.values():
            yield from _strings(val)
    elif isinstance(payload, list):
        for val in payload:
            yield from _strings(val)
    elif isinstance(payload, str):
        yield payload


def check_t_start(payload, value):
    rows = payload.values() if all(isinstance(r, dict) for r in payload.values()) else [payload]
    wrong = [row.get("t_start") for row in rows if row.get("t_start") != value]
    return f"metrics window starts at {wrong[0]!r}, not the file's t_transient {value!r}" if wrong else None


CHECKS = {"undefined": check_undefined, "t_start": check_t_start}


class Result:
    def __init__(self, case, index):
        self.case, self.index = case, index
        self.rc = None
        self.stdout = self.stderr = ""
        self.seconds = 0.0
        self.violations = []  # (kind, detail)
        self.notes = []
        self.folder = None

    def fail(self, kind, detail):
        self.violations.append((kind, detail))


def child_env(case, tmp):
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["TMPDIR"] = str(tmp)
    env["PYTHONUNBUFFERED"] = "1"
    for name, value in case.env:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def group_members(pgid):
    """Processes of a process group still alive (zombies aside): ``[(pid, name)]``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append((int(entry), name))
    return members


def interrupt(pgid):
    """Ctrl-C as a terminal sends it, to the process group (a virtual display is not the user's)."""
    for pid, name in group_members(pgid):
        if name not in ("Xvfb", "xvfb-run", "xauth"):
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass


PWNED_PLACES = (REPO, Path("/tmp"), Path.cwd(), Path.home())


def pwned_files(*places):
    found = set()
    for place in places:
        try:
            found.update(str(p) for p in Path(place).glob("*PWNED*"))
        except OSError:
            pass
    return found


def run_case(case, index, root, keep):
    res = Result(case, index)
    base = Path(tempfile.mkdtemp(prefix=f"{index:03d}-{folder_name(case.id)}-", dir=root))
    res.folder = base
    work, tmp = base / "work", base / "tmp"
    work.mkdir()
    tmp.mkdir()
    try:
        prepare(work, case)
        before = snapshot(work)
        pwned_before = pwned_files(*PWNED_PLACES)
        command = [sys.executable, "-m", "neuromorph", *case.argv]
        if case.display:
            command = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", *command]
        start = time.monotonic()
        proc = subprocess.Popen(command, cwd=work, env=child_env(case, tmp), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        pgid = proc.pid
        signalled = None
        try:
            if case.sigint is not None:
                try:
                    out, err = proc.communicate(timeout=case.sigint)
                except subprocess.TimeoutExpired:
                    interrupt(pgid)
                    signalled = time.monotonic()
                    out, err = proc.communicate(timeout=case.limit)
            else:
                out, err = proc.communicate(timeout=case.limit)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            out, err = proc.communicate()
            res.fail("hang", f"no exit within {case.limit:g} s" + (" of Ctrl-C" if signalled else "") + "; killed")
        res.seconds = time.monotonic() - start
        res.rc = proc.returncode
        res.stdout = out.decode("utf-8", "backslashreplace")
        res.stderr = err.decode("utf-8", "backslashreplace")
        if case.sigint is not None:
            if signalled is None:
                res.fail("case-error", f"the command ended before Ctrl-C at {case.sigint:g} s (rc {res.rc})")
            elif not any(k == "hang" for k, _ in res.violations):
                delay = res.seconds - (signalled - start)
                res.notes.append(f"exit {delay:.2f} s after Ctrl-C")
                if delay > case.sigint_limit:
                    res.fail("slow-interrupt", f"exit {delay:.1f} s after Ctrl-C (limit {case.sigint_limit:g} s)")
        time.sleep(0.2)
        left = group_members(pgid)
        if left:
            time.sleep(1.5)
            left = group_members(pgid)
        if left:
            res.fail("left-processes", "still running after the exit: " + ", ".join(f"{n} ({p})" for p, n in left))
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not any(k == "hang" for k, _ in res.violations):
            check_exit(res)
        check_files(res, work, before)
        check_outputs(res, work)
        stray = sorted(n for n in os.listdir(tmp) if not n.startswith("xvfb-run."))  # the harness's display
        if stray:
            res.fail("stray-tmp", "left in TMPDIR: " + ", ".join(stray[:5]))
        beside = sorted(set(os.listdir(base)) - {"work", "tmp"})
        if beside:
            res.fail("outside-write", "created beside the case folder: " + ", ".join(beside[:5]))
        pwned = pwned_files(*PWNED_PLACES) - pwned_before
        if pwned:
            res.fail("injection", "injected command ran: " + ", ".join(sorted(pwned)))
    except Exception as exc:  # noqa: BLE001 - a trial error is reported with its case, not fatal
        res.fail("case-error", f"the trial itself failed: {type(exc).__name__}: {exc}")
    finally:
        if not keep:
            unlock(base)
            shutil.rmtree(base, ignore_errors=True)
    return res


def check_exit(res):
    case, rc, err = res.case, res.rc, res.stderr
    lines = err.splitlines()
    if rc not in (0, 1, 2, 130):
        res.fail("exit-code", f"exit code {rc}, outside 0/1/2/130")
    elif rc not in case.expect:
        res.fail("unexpected-exit", f"exit {rc}, expected {'/'.join(map(str, sorted(case.expect)))}")
    if "Traceback (most recent call last)" in err:
        last = [ln for ln in lines if ln.strip()][-1:]
        res.fail("traceback", "traceback on stderr: " + (last[0][:200] if last else ""))
    if "Exception ignored" in err:
        res.fail("exception-ignored", "'Exception ignored' on stderr")
    if rc in (1, 2, 130):
        errors = [ln for ln in lines if not ln.startswith("neuromorph: warning:")]
        if lines and lines[0].startswith("usage:"):
            res.fail("usage-text", f"argparse usage text ({len(lines)} lines) instead of one `neuromorph:` line: "
                     + lines[-1][:160])
        elif len(errors) != 1 or not errors[0].startswith("neuromorph: "):
            if "Traceback (most recent call last)" not in err:
                res.fail("stderr-format", f"stderr is {len(errors)} line(s) besides warnings, not one "
                         f"`neuromorph: ` line")
        if rc == 1 and errors and not re.search(r"\bt\s*=\s*[-+]?\d", errors[-1]):
            res.fail("stderr-format", "exit 1 without the time of the failure")
    elif rc == 0:
        other = [ln for ln in lines if not ln.startswith("neuromorph: ") and ln.strip()]
        if other and "--progress" not in case.argv and "Traceback (most recent call last)" not in err:
            res.notes.append(f"{len(other)} line(s) of other text on stderr after a success: {other[0][:120]}")
    for pattern in case.stdout_has:
        if not re.search(pattern, res.stdout):
            res.fail("wrong-result", f"stdout lacks /{pattern}/")
    for pattern in case.stdout_lacks:
        if re.search(pattern, res.stdout):
            res.fail("wrong-result", f"stdout has /{pattern}/")
    for pattern in case.stderr_has:
        if not re.search(pattern, err):
            res.fail("wrong-result", f"stderr lacks /{pattern}/")
    for pattern in case.stderr_lacks:
        if re.search(pattern, err):
            res.fail("wrong-result", f"stderr has /{pattern}/")
    if rc == 0 and "--json" in case.argv:
        nonstandard = []

        def constant(name):
            nonstandard.append(name)
            return float(name.replace("Infinity", "inf"))

        try:
            payload = json.loads(res.stdout, parse_constant=constant)
        except ValueError as exc:
            res.fail("bad-json", f"stdout is not JSON: {exc}")
            return
        if nonstandard:
            res.notes.append(f"JSON holds {', '.join(sorted(set(nonstandard)))} (not standard JSON)")
        for name, *params in case.checks:
            problem = CHECKS[name](payload, *params)
            if problem:
                res.fail("wrong-result", problem)


def check_files(res, work, before):
    case, rc = res.case, res.rc
    killed = any(kind == "hang" for kind, _ in res.violations)
    after = snapshot(work)
    outputs = declared_outputs(case)
    roots = output_roots(work, outputs)
    kept = output_roots(work, [(k, "") for k in case.kept])
    replace = [os.path.normpath(p) for p in case.replace]
    for path, state in sorted(before.items()):
        now = after.get(path)
        if now == state:
            continue
        allowed = (rc == 0 and under(path, replace)) or (rc != 0 and case.sigint is not None and under(path, kept))
        if not allowed:
            what = "deleted" if now is None else "changed" if now[0] == state[0] else f"replaced by a {now[0]}"
            if rc != 0 and under(path, replace + roots):
                res.fail("output-on-failure", f"{path!r} {what} though the exit was {rc}")
            else:
                res.fail("input-changed", f"{path!r} {what}")
    created = {}  # (kind, top folder) -> new paths, so a half-written store is one line
    for path in sorted(set(after) - set(before)):
        if after[path][0] == "dir" and any(p.startswith(path + "/") for p in after if p not in before):
            continue  # a new folder is reported through what it holds
        if rc == 0 and under(path, roots):
            continue
        if rc != 0 and case.sigint is not None and under(path, kept):
            continue  # a study keeps its finished chunks when stopped
        if killed:
            continue  # killed mid-work (reported as a hang): what it had written is not the finding
        if os.path.basename(path) == "PWNED":
            kind = "injection"
        else:
            kind = "output-on-failure" if under(path, roots) else "stray-file"
        created.setdefault((kind, path.split("/")[0]), []).append(path)
    for (kind, top), paths in created.items():
        what = repr(paths[0]) if len(paths) == 1 else f"{len(paths)} files under {top!r}"
        detail = {"injection": f"injected command ran: created {what}",
                  "output-on-failure": f"{what} created though the exit was {rc}",
                  "stray-file": f"{what} created (not an output)"}[kind]
        res.fail(kind, detail)


def check_outputs(res, work):
    if res.rc != 0:
        return
    for path, kind in declared_outputs(res.case):
        if not path:
            continue
        problem = complete(work / path, kind)
        if problem:
            res.fail("incomplete-output", f"{path!r} ({kind}): {problem}")
        elif kind == "deck":
            run_deck(res, work, path)


def run_deck(res, work, deck):
    """``ngspice -b DECK`` from the case folder: the deck stays, its data lands beside it, nothing else appears."""
    before = snapshot(work)
    data = os.path.normpath(str(Path(deck).with_suffix(".txt")))
    try:
        proc = subprocess.run(["ngspice", "-b", deck], cwd=work, capture_output=True, timeout=120,
                              stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(work.parent / "tmp")})
    except subprocess.TimeoutExpired:
        res.fail("deck", f"ngspice -b {deck!r} did not finish in 120 s")
        return
    after = snapshot(work)
    name = os.path.normpath(deck)
    if after.get(name) != before.get(name):
        res.fail("deck", f"ngspice -b {deck!r} overwrote the deck itself")
    if data != name and data not in set(after) - set(before):
        res.fail("deck", f"ngspice -b {deck!r} wrote no data beside the deck ({data!r})"
                 + (f"; ngspice exit {proc.returncode}" if proc.returncode else ""))
    # ngspice's BSIM3v3.1 model writes its parameter check to this file in its working folder on every run
    # of a transistor-level deck (its own behaviour, documented in the README; runs through neuromorph
    # remove it): expected there, nowhere else.
    check_log = {"b3v3_1check.log"} if "+Level = 49" in (work / deck).read_text(errors="replace") else set()
    for path in sorted(set(after) - set(before) - {data} - check_log):
        kind = "injection" if os.path.basename(path) == "PWNED" else "deck"
        res.fail(kind, f"ngspice -b {deck!r} created {path!r}")


# -- the report ---------------------------------------------------------------------------------

def quote(word):
    """A word as bash reads it back: $'...' for control and separator characters."""
    if word and re.fullmatch(r"[A-Za-z0-9@%+=:,./_-]+", word):
        return word
    if any(ord(c) < 32 or ord(c) == 127 or c in "\u0085\u2028\u2029" for c in word):
        out = []
        for c in word:
            if c in "\\'":
                out.append("\\" + c)
            elif c == "\n":
                out.append("\\n")
            elif c == "\t":
                out.append("\\t")
            elif c == "\r":
                out.append("\\r")
            elif ord(c) < 32 or ord(c) == 127:
                out.append(f"\\x{ord(c):02x}")
            elif c in "\u0085\u2028\u2029":
                out.append(f"\\u{ord(c):04x}")
            else:
                out.append(c)
        return "$'" + "".join(out) + "'"
    return shlex.quote(word)


def command_line(case):
    words = [f"{name}={quote(value)}" for name, value in case.env if value is not None]
    if case.display:
        words.append("xvfb-run -a")
    words += ["neuromorph", *map(quote, case.argv)]
    line = " ".join(words)
    if case.sigint is not None:
        line += f"   # Ctrl-C after {case.sigint:g} s"
    return line


def report(results, seconds, out=sys.stdout):
    failed = [r for r in results if r.violations]
    if failed:
        print(f"{'case':58s} what was violated", file=out)
        print("-" * 110, file=out)
        for r in failed:
            print(f"{r.case.id}", file=out)
            print(f"    $ {command_line(r.case)}", file=out)
            for kind, detail in r.violations:
                print(f"    [{kind}] {detail}", file=out)
            for line in r.stderr.strip().splitlines()[:3]:
                print(f"    stderr| {line[:160]}", file=out)
            if r.folder is not None and r.folder.exists():
                print(f"    kept in {r.folder}", file=out)
        print(file=out)
    kinds = {}
    for r in failed:
        for kind in sorted({k for k, _ in r.violations}):
            kinds.setdefault(kind, []).append(r.case.id)
    notes = [(r.case.id, n) for r in results for n in r.notes if not n.startswith("exit ")]
    interrupts = [(r.case.id, n) for r in results for n in r.notes if n.startswith("exit ")]
    if notes or interrupts:
        print("notes (not failures):", file=out)
        for cid, note in interrupts + notes:
            print(f"  {cid}: {note}", file=out)
        print(file=out)
    print(f"{len(results)} cases, {len(results) - len(failed)} passed, {len(failed)} failed, in {seconds:.0f} s",
          file=out)
    for kind, ids in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        print(f"  {kind:18s} {len(ids):4d}  e.g. {ids[0]}", file=out)
    return not failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--only", metavar="CMD", help="only this command's cases (simulate, iv, ..., neuromorph)")
    parser.add_argument("--case", metavar="ID", action="append",
                        help="only cases whose id matches this glob (repeatable), e.g. 'spice-run/*'")
    parser.add_argument("--list", action="store_true", help="print the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep every case folder (to look at it)")
    parser.add_argument("--quiet", action="store_true", help="no line per finished case on stderr")
    args = parser.parse_args(argv)
    cases = list(enumerate(corpus()))
    if args.only:
        cases = [(i, c) for i, c in cases if c.command == args.only]
    if args.case:
        cases = [(i, c) for i, c in cases if any(fnmatch.fnmatchcase(c.id, pat) for pat in args.case)]
    if args.list:
        for i, c in cases:
            print(f"{i:03d} {c.id:60s} {command_line(c)}")
        print(f"{len(cases)} cases", file=sys.stderr)
        return 0
    if not cases:
        print("trial: no case matches", file=sys.stderr)
        return 2
    for tool in ("ngspice", "xvfb-run", "chattr"):
        if shutil.which(tool) is None:
            print(f"trial: {tool} is needed", file=sys.stderr)
            return 2
    root = Path(tempfile.mkdtemp(prefix="neuromorph-trial-"))
    start = time.monotonic()
    lock = threading.Lock()
    done = [0]

    def one(item):
        i, c = item
        r = run_case(c, i, root, args.keep)
        with lock:
            done[0] += 1
            if not args.quiet:
                mark = "FAIL" if r.violations else "ok  "
                print(f"[{done[0]:3d}/{len(cases)}] {mark} {r.seconds:5.1f}s {c.id}", file=sys.stderr, flush=True)
        return r

    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(one, cases))
    finally:
        if not args.keep:
            unlock(root)
            shutil.rmtree(root, ignore_errors=True)
        for folder in _MADE_DIR:
            shutil.rmtree(folder, ignore_errors=True)
    ok = report(results, time.monotonic() - start)
    if args.keep:
        print(f"case folders kept in {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
