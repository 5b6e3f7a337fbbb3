"""Where the first run's compile time goes: every numba function a command compiles, each
specialisation (signature), and the CPU seconds spent compiling it (process time, so
the figures hold on a busy machine), exclusive of the functions it
compiles in turn (its non-inlined callees, listed on their own rows).

Run it with an empty cache, so everything is compiled:

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/compile_profile.py demo --out $(mktemp -d)/d
    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/compile_profile.py simulate circuits/bursting.toml

The arguments are those of ``neuromorph``. The table goes to stderr after the command's own
output: per compiled function, the number of signatures, the exclusive compile seconds, and the
signatures of a function compiled more than once; then the total compile time, the
cache loads (a warm cache) and the process CPU time.
"""

import resource
import sys
import time
from collections import defaultdict

from numba.core import event


class _Recorder(event.Listener):
    """Times every ``numba:compile`` event, nested ones apart from their parents."""

    def __init__(self):
        self.stack = []
        self.rows = []  # (qualified name, signature, inclusive and exclusive CPU seconds)

    def on_start(self, ev):
        self.stack.append([ev.data["dispatcher"], ev.data["args"], time.process_time(), 0.0])

    def on_end(self, ev):
        dispatcher, args, started, children = self.stack.pop()
        inclusive = time.process_time() - started
        if self.stack:
            self.stack[-1][3] += inclusive
        name = f"{dispatcher.py_func.__module__.rsplit('.', 1)[-1]}.{dispatcher.py_func.__name__}"
        self.rows.append((name, args, inclusive, inclusive - children))


def _short(args):
    text = ", ".join(str(a) for a in args)
    return text if len(text) < 160 else text[:157] + "..."


def main(argv):
    from neuromorph.ui.cli import main as cli

    recorder = _Recorder()
    event.register("numba:compile", recorder)
    wall0 = time.perf_counter()
    try:
        code = cli(argv)
    finally:
        wall = time.perf_counter() - wall0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        by_name = defaultdict(list)
        for name, args, _inclusive, exclusive in recorder.rows:
            by_name[name].append((args, exclusive))
        out = sys.stderr
        print(f"\n{'function':36s} {'sigs':>4s} {'compile s':>9s}", file=out)
        total = 0.0
        for name, sigs in sorted(by_name.items(), key=lambda kv: -sum(s for _, s in kv[1])):
            seconds = sum(s for _, s in sigs)
            total += seconds
            print(f"{name:36s} {len(sigs):4d} {seconds:9.2f}", file=out)
            if len(sigs) > 1:
                for args, s in sigs:
                    print(f"    {s:6.2f} s  ({_short(args)})", file=out)
        print(f"{'total compile':36s} {len(recorder.rows):4d} {total:9.2f}", file=out)
        from numba.core.registry import CPUDispatcher

        hits = sum(sum(d._cache_hits.values()) for d in _dispatchers(CPUDispatcher))
        print(f"signatures loaded from the cache: {hits}", file=out)
        print(f"wall {wall:.1f} s, process CPU {usage.ru_utime + usage.ru_stime:.1f} s "
              f"(user {usage.ru_utime:.1f}, sys {usage.ru_stime:.1f})", file=out)
    return code


def _dispatchers(kind):
    import gc

    return [o for o in gc.get_objects() if isinstance(o, kind)]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
