"""Progress bars for long work, drawn by ``tqdm`` on stderr.

``enabled=None`` (the default everywhere) shows a bar only when stderr is a
terminal and the work lasts over a second, so scripts, pipes and CI logs stay
quiet; ``True`` forces it, ``False`` hides it. ``tqdm`` handles terminals,
notebooks and redirected output.
"""

import sys

__all__ = ["Progress"]


class Progress:
    """Progress over ``[start, stop]`` (times or counts); :meth:`update` takes the position reached."""

    def __init__(self, start, stop, label="simulating", enabled=None, delay=1.0, stream=None):
        stream = stream or sys.stderr
        if enabled is None:  # automatic: on a terminal, once the work has lasted `delay` seconds
            enabled = bool(getattr(stream, "isatty", lambda: False)())
        else:  # asked for: from the start
            delay = 0.0
        self.start = float(start)
        self.position = self.start
        self._bar = None
        if enabled:  # a hidden bar costs nothing, not even importing tqdm (~0.1 ms per short run)
            from tqdm.auto import tqdm

            self._bar = tqdm(total=float(stop) - self.start, desc=label, file=stream, delay=delay, leave=False,
                             dynamic_ncols=True, bar_format="{desc}: {percentage:5.1f}%|{bar}| {elapsed} elapsed, "
                                                            "{remaining} left")

    @property
    def shown(self):
        """Whether a bar is drawn (or will be, once the work has lasted its delay)."""
        return self._bar is not None

    def update(self, position):
        position = float(position)
        if self._bar is not None and position > self.position:
            self._bar.update(position - self.position)
            self.position = position

    def close(self):
        if self._bar is not None:
            self._bar.refresh()  # the last position, even if it came faster than tqdm redraws
            self._bar.close()
