"""A dependency-free text progress bar on stderr for long runs."""

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Progress over ``[start, stop]``; shown only when asked, or (``enabled=None``)
    when the work lasts over ``delay`` seconds and stderr is a terminal."""

    def __init__(self, start, stop, label="simulating", enabled=None, delay=1.0, stream=None):
        self.start, self.stop, self.label = float(start), float(stop), label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.delay = delay
        self.t0 = time.perf_counter()
        self.shown = False

    def _active(self):
        if self.enabled is not None:
            return self.enabled
        return (time.perf_counter() - self.t0) > self.delay and getattr(self.stream, "isatty", lambda: False)()

    def update(self, position):
        if not self._active():
            return
        frac = min(1.0, max(0.0, (position - self.start) / max(self.stop - self.start, 1e-300)))
        width = 30
        filled = int(round(frac * width))
        elapsed = time.perf_counter() - self.t0
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {100 * frac:5.1f}%  "
                          f"{elapsed:6.1f}s elapsed, {eta:6.1f}s left ")
        self.stream.flush()
        self.shown = True

    def close(self):
        if self.shown:
            self.update(self.stop)
            self.stream.write("\n")
            self.stream.flush()
