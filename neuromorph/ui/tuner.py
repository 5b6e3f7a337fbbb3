"""The interactive neuromodulation tuner: sliders, live I-V curves and a live voltage trace.

A :class:`Tuner` is a matplotlib figure driven by a timer (the event loop keeps running; nothing
blocks): every frame integrates the model a little further with the accurate solver
(:class:`~neuromorph.solve.integrator.Integrator`, state carried across every change) and
scrolls the trace. Each slider is a parameter path of the model (``"slow_negative.alpha"``,
``"i_app"``; in a network ``"n1.slow_negative.delta"``, ``"n1_to_n2.g"``): moving it sets the
path on the model (for its I-V curves) and on the running integrator, the same path the
``set`` method, modulation schedules and :meth:`Integrator.set_parameter` take, so there is one
model and no copy to keep in step. The I-V curves of every timescale are redrawn on each move,
negative-conductance stretches coloured and equilibria marked (filled: stable). With
``filters=True`` the trace also shows the filtered voltages (slow, ultraslow, ...) of the neuron
whose I-V curves are drawn, in the colours of their I-V curves.

The "hold rhythm" button (:meth:`Tuner.hold`) puts a :class:`~neuromorph.RhythmController` on the
running circuit: it holds the burst period the circuit has when pressed by moving two gains (their
sliders move as it does) while you perturb the circuit with the other sliders or the pulse, which it
is not told of.

Scripted use and tests: :meth:`Tuner.set`, :meth:`Tuner.advance`, :attr:`Tuner.state`,
:attr:`Tuner.figure`; the widgets are real matplotlib widgets (``Tuner.sliders[path]``,
``Tuner.buttons[name]``) whose callbacks do the work.

Examples
--------
>>> import matplotlib; matplotlib.use("Agg")
>>> import neuromorph as nm
>>> tuner = nm.tune("bursting", show=False)
>>> tuner.advance(30)           # 30 frames
>>> tuner.set("i_app", 0.0)     # the same as moving the I_app slider
>>> round(tuner.t) > 0
True
>>> import matplotlib.pyplot as plt
>>> plt.close(tuner.figure)
"""

import copy
import functools
import os
import time
from pathlib import Path

import numpy as np

from .. import _validate as v
from ..errors import ModelError

__all__ = ["Tuner", "tune", "circuit_file", "GAIN_FIELDS", "OFFSET_FIELDS"]

GAIN_FIELDS = ("alpha", "g", "g_max")
OFFSET_FIELDS = ("delta", "e_rev", "e_syn")
_IV_TIMESCALES = ("fast", "slow", "ultraslow")
_COLOURS = {"fast": "C3", "slow": "C1", "ultraslow": "C2"}
_STATUS_EVERY = 0.2  # seconds between redraws of the status line
_CATCH_UP = 10  # most frames' worth of simulated time one late timer call makes up
_HANDLE = 0.006  # a slider handle's radius (figure width): it overhangs the slider's axes at either end
# The sliders' column runs down from _SLIDERS_TOP to _SLIDERS_BOTTOM, their names to the left of it, over the
# free strip right of the trace; below it, left of the run controls, the selector (a network's neurons and
# interconnections, else the neuron presets) has _SELECTOR to itself.
_SLIDERS_TOP, _SLIDERS_BOTTOM, _SLIDERS_LEFT = 0.93, 0.37, 0.8
_SELECTOR = (0.635, 0.09, 0.15, 0.26)
_HOLD_BUTTON = (0.82, 0.255, 0.145, 0.045)  # over the run controls, under the sliders' column
# Spikes are kept this long (or the window, if longer) so that holding can measure the period of a slow
# rhythm from two whole bursts even when the trace shows less.
_SPIKE_MEMORY = 12_000.0
_HOLD_TOLERANCE = 0.02  # relative tolerance of a held period measured on the circuit


def _blits(canvas):
    """Whether the canvas keeps pixels we can save and restore (every Agg canvas: Tk, Qt, ipympl, files)."""
    return hasattr(canvas, "copy_from_bbox") and hasattr(canvas, "restore_region")


def circuit_file(model):
    """The circuit file a tuner target names: a path (a ``Path``, a name ending in ``.toml`` or naming a
    file) as it is, a preset name as the preset's file; None for a Neuron or a Network."""
    from ..io.circuits import preset_file

    if isinstance(model, os.PathLike) or (isinstance(model, str) and (model.endswith(".toml")
                                                                       or Path(model).is_file())):
        return Path(model)
    return preset_file(model) if isinstance(model, str) else None


class _Checked:
    """An attribute whose every assigned value goes through ``check(name, value)`` (a validator of
    ``neuromorph._validate``): ``tuner.speed = -1`` raises a ModelError naming ``speed`` and -1."""

    def __init__(self, check, doc):
        self.check, self.__doc__ = check, doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        return self if obj is None else obj.__dict__[self.name]

    def __set__(self, obj, value):
        obj.__dict__[self.name] = self.check(self.name, value)


def _slider(ax, lo, hi, value):
    """A matplotlib Slider that never draws the whole figure when its value is set, from its construction on:
    the tuner draws its row in place (refresh). A plain Slider draws the figure as it is built (at once on
    an Agg canvas): 14 full draws to open the tuner."""
    return _quiet_slider_class()(ax, "", lo, hi, valinit=value)


@functools.cache
def _quiet_slider_class():
    from matplotlib.widgets import Slider

    return type("QuietSlider", (Slider,), {"drawon": False})


def _slider_range(field, value):
    """A sensible slider range for a parameter around its value."""
    if field == "i_app":
        return min(value - 2.0, -4.0), max(value + 2.0, 2.0)
    if field in OFFSET_FIELDS:
        return value - 2.0, value + 2.0
    span = max(2.0 * abs(value), 1.0)
    if field in ("g", "g_max"):
        return 0.0, value + span
    return -span if value <= 0 else min(-span, -abs(value)), span if value >= 0 else max(span, abs(value))


class Tuner:
    """Live tuning of a neuron or a network (see the module notes).

    Parameters
    ----------
    model : Neuron, Network, preset name or circuit file (default ``"bursting"``)
        A file (a preset's file for a name) is the tuner's :attr:`source`: its save methods refuse to
        write over it.
    i_app : float, optional
        Starting applied current of every neuron (a neuron's default: its file's protocol, else -2; a
        network's: each node's own). The I-V curves need an equilibrium for V in [-10, 10] at it.
    speed : float, default 2000
        Simulated time units per wall-clock second (a frame that comes late, on a slow canvas, runs
        the time since the last one).
    fps : float, default 30
        Frames per second of the timer.
    window : float, default 6000
        Time units the trace shows.
    filters : bool, default False
        Also draw the filter states (``tau dV_x/dt = V - V_x``) of the neuron whose I-V curves are
        shown; a filter with ``tau = 0`` is V itself and has no line of its own.
    show : bool, default True
        Start the timer and show the figure (False: scripted use, frames by :meth:`advance`).

    Raises
    ------
    ModelError
        A bad value, named with what was received; also from :meth:`set` and the other methods that
        take values (nothing is changed then). On construction: a ``model`` that is not a neuron, a
        network or a name, a neuron with no elements, ``speed``, ``fps`` or ``window`` not > 0,
        ``filters`` not a bool, or an ``i_app`` at which the I-V curves have no equilibrium.
    CircuitFileError
        If ``model`` is a string or path that names no preset or readable circuit file.

    Examples
    --------
    On a non-interactive backend with ``show=False`` no timer runs and no window opens: frames are
    computed by :meth:`advance`.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> tuner = nm.Tuner("tonic", i_app=-0.7, window=1000, show=False)
    >>> sorted(tuner.buttons), tuner.predicted()
    (['hold', 'pause', 'pulse', 'reset', 'save'], 'tonic')
    >>> tuner.advance(20)           # 20 frames of speed / fps = 2000 / 30 time units
    >>> round(tuner.t), tuner.observed()
    (1333, 'tonic')
    >>> tuner.set("i_app", -1.5)    # as moving the slider: the model, the run and the slider follow
    >>> tuner.sliders["i_app"].val, tuner.predicted()
    (-1.5, 'rest')
    >>> plt.close(tuner.figure)
    """

    def __init__(self, model="bursting", i_app=None, speed=2000.0, fps=30.0, window=6000.0, filters=False,
                 show=True):
        import matplotlib.pyplot as plt

        from ..io.circuits import input_files, load
        from ..model.network import Network

        self.source = circuit_file(model) if isinstance(model, str | os.PathLike) else None
        # every file read (a network's node files too): the save methods never write over one
        self._read = input_files(self.source) if self.source is not None else []
        if self.source is not None:
            model = load(self.source)
        if not hasattr(model, "compile"):
            raise ModelError(f"the tuner needs a Neuron, a Network, a preset name or a circuit file, got {model!r}")
        self.model = copy.deepcopy(model)
        self.network = isinstance(self.model, Network)
        if not self.network and not self.model.elements:
            raise ModelError(f"neuron {self.model.name!r} has no elements: nothing to tune")
        self.speed = speed
        self.fps = v.positive("fps", fps)
        self.window = v.positive("window", window)
        if not isinstance(filters, bool | np.bool_):
            raise ModelError(f"`filters` must be True or False, got {filters!r}")
        self.filters = bool(filters)
        if i_app is None and not self.network:
            protocol = getattr(self.model, "protocol", None)
            i_app = float(protocol.i_app(0.0)) if protocol is not None else -2.0
        self._i_app0 = None
        self._selected = self.model.node_names[0] if self.network else None
        if i_app is not None:
            i_app = v.real("i_app", i_app)
            for path in (f"{node}.i_app" for node in self.model.node_names) if self.network else ("i_app",):
                self._put(path, i_app)
        try:
            self._resting_points()  # checked before any window opens
        except ModelError as exc:
            raise ModelError(f"`i_app` = {i_app!r}: {exc}" if i_app is not None else str(exc)) from None
        self._initial, self._i_app_start = copy.deepcopy(self.model), self._i_app0
        self.paused = False
        self.pulse_amplitude = -1.0
        self.pulse_duration = 500.0
        self.save_prefix = "neuromorph-tuner"
        self._pulse_end = None
        self._last_frame = None  # wall-clock time of the last timer frame
        self.figure = plt.figure(figsize=(14, 8.5))
        self._backgrounds = {}  # region name -> the pixels under its moving artists, saved on each full draw
        self._boxes = {}  # region name -> its box on the canvas (display coordinates)
        self._dirty = True
        self._predicted = None
        self._stale = set()  # regions ("trace", "iv", "status") whose artists changed since the last refresh
        self._rows = set()  # widget axes (a moved slider, a relabelled button) drawn in place by the next refresh
        self._status_drawn = 0.0
        self._status_stale = True
        self._iv_scaled = set()
        self.figure.canvas.mpl_connect("draw_event", self._on_draw)
        from matplotlib.patches import Rectangle

        self._hold = None  # the held rhythm (a _Holding), if any
        self._eraser = Rectangle((0, 0), 1, 1, transform=self.figure.transFigure, facecolor=self.figure.get_facecolor(),
                                 edgecolor="none", animated=True)
        self._build_widgets()
        self._start()
        self.timer = self.figure.canvas.new_timer(interval=int(1000.0 / self.fps))
        self.timer.add_callback(self._on_timer)
        if show:
            self.timer.start()
            plt.show(block=False)

    # -- model ----------------------------------------------------------------------------
    def _paths(self):
        """``[(path, field, value)]`` of every slider, by neuron (and interconnection)."""
        params = self.model.parameters()
        out = []
        if not self.network:
            out.append(("i_app", "i_app", self._i_app))
        for path, value in params.items():
            field = path.rsplit(".", 1)[-1]
            if field in GAIN_FIELDS + OFFSET_FIELDS or (self.network and field == "i_app"):
                out.append((path, field, float(value)))
        return out

    @property
    def _i_app(self):
        return self._i_app0 if not self.network else None

    def _start(self):
        from ..solve.integrator import Integrator

        self._release("rhythm released: the run started again")  # a hold belongs to the run it was measured on
        recorded = self._membranes() + tuple(name for names in self._filter_states() for name in names)
        self._integ = Integrator(self.model, i_app=self._i_app, record=recorded, progress=False)
        self._t = np.empty(0)
        self._trace = np.empty((len(recorded), 0))  # rows: the membranes, then every neuron's filters
        self._spikes = [np.empty(0) for _ in self._membranes()]
        self._make_filter_lines()
        self._redraw_iv()
        self._draw_trace()

    def _membranes(self):
        names = self.model.compile().state_names
        return tuple(n for n in names if n == "v" or n.endswith(".v"))

    def _filter_states(self):
        """Per neuron, the state names of its own filters (none without ``filters=True``)."""
        if not self.filters:
            return [() for _ in self._membranes()]
        if not self.network:
            return [tuple(self.model.filter_names.values())]
        return [tuple(f"{node}.{name}" for name in self.model.neuron(node).filter_names.values())
                for node in self.model.node_names]

    @property
    def _v(self):
        """The membrane voltages on screen, one row per neuron."""
        return self._trace[: len(self._membranes())]

    @property
    def t(self):
        """Simulated time."""
        return self._integ.t

    @property
    def state(self):
        """The current state vector of the model (a copy), in the order of its state names."""
        return self._integ.y[: self.model.compile().n_states].copy()

    def set(self, path, value):
        """Set a parameter now, as moving its slider does (the slider follows).

        Raises :class:`~neuromorph.errors.ModelError` naming ``path`` and ``value`` for a value that is not
        a finite number, an unknown path, or a value that leaves the drawn neuron no equilibrium for V in
        [-10, 10] (no I-V curves to draw); the model, the run and the slider are then left as they were.
        While the rhythm is held (:meth:`hold`), setting a gain the controller moves hands it the value.
        """
        self._show(path, value)
        self._took_over(path)
        self.refresh()

    def _show(self, path, value):
        """Apply ``path`` = ``value`` and move its slider (if shown) to it, without redrawing yet."""
        self._apply(path, value)
        slider = self.sliders.get(path)
        if slider is not None:
            slider.eventson = False  # the value is applied: only the slider's drawing follows
            slider.set_val(self._get(path))
            slider.eventson = True
            self._rows.add(slider.ax)

    def _get(self, path):
        return self._i_app0 if path == "i_app" and not self.network else self.model.get(path)

    def _put(self, path, value):
        if path == "i_app" and not self.network:
            self._i_app0 = value
        else:
            self.model.set(path, value)

    def _apply(self, path, value):
        """Set ``path`` on the model and its I-V curves, then on the run; a value the model or its I-V curves
        refuse changes nothing."""
        if not isinstance(path, str):
            raise ModelError(f"a parameter path is a string such as 'slow_negative.alpha', got {path!r}")
        value = v.real(path, value)
        before = self._get(path)
        self._put(path, value)
        try:
            self._redraw_iv()
        except ModelError as exc:
            self._put(path, before)
            self._redraw_iv()
            raise ModelError(f"`{path}` = {value!r}: {exc}") from None
        self._drive(path)

    # -- time -----------------------------------------------------------------------------
    speed = _Checked(v.positive, "Simulated time units per wall-clock second (> 0).")
    pulse_amplitude = _Checked(v.real, "Current the pulse button adds (a finite number).")
    pulse_duration = _Checked(v.positive, "Time units the pulse lasts (> 0).")

    def advance(self, frames=1):
        """Integrate ``frames`` frames (``speed / fps`` time units each) unless paused, then redraw."""
        frames = v.count("frames", frames, 1)
        self._advance_by(frames * self.speed / self.fps)

    def _advance_by(self, time_units):
        if self.paused:
            return
        t_stop = self.t + time_units
        if self._pulse_end is not None and self._pulse_end <= t_stop:
            self._run_to(self._pulse_end)
            self._end_pulse()
        self._run_to(t_stop)
        self._draw_trace()

    def _run_to(self, t_stop):
        t = self.t
        while t < t_stop:
            # while the rhythm is held the run stops every eighth of a period to hand the controller its spikes
            t = t_stop if self._hold is None else min(t_stop, t + self._hold.loop.chunk)
            self._integ.advance(t)
            times, y, spikes, owners = self._integ.take()
            self._t = np.concatenate([self._t, times])
            self._trace = np.concatenate([self._trace, y], axis=1)
            inside = self._t >= t - self.window
            self._t, self._trace = self._t[inside], self._trace[:, inside]
            for n in range(len(self._spikes)):
                kept = np.concatenate([self._spikes[n], spikes[owners == n]])
                self._spikes[n] = kept[kept >= t - max(self.window, _SPIKE_MEMORY)]
            if self._hold is not None:
                self._feed(spikes, owners)

    def _on_timer(self):
        started = time.perf_counter()
        # Simulated time follows the wall clock (speed x the time since the last frame): a canvas slower
        # than the frame rate (ipympl sends every frame to the browser as a PNG) shows fewer frames at the
        # same speed. A stall (a busy notebook cell, a dragged window) is caught up by a few frames at most.
        last, self._last_frame = self._last_frame, started
        elapsed = 1.0 / self.fps if last is None else min(started - last, _CATCH_UP / self.fps)
        self._advance_by(elapsed * self.speed)
        self.refresh()
        self.frame_seconds = time.perf_counter() - started

    def refresh(self):
        """Show what changed since the last frame. The axes never move (time runs from -window to 0,
        "now"), so each region that changed is redrawn alone over its saved background: the trace,
        the I-V curves with their equilibria, the status line (at most 5 times a second); the row of a
        moved slider or relabelled button is erased and drawn in place. Only those regions go to the
        screen. Anything else (new axis limits, new sliders) redraws the whole figure."""
        canvas = self.figure.canvas
        if self._dirty or not self._backgrounds or not _blits(canvas):
            self._dirty = False
            self._stale.clear()
            self._rows.clear()
            self._status_text()
            canvas.draw()  # the draw event saves the backgrounds
            return
        now = time.perf_counter()
        if self._status_stale and now - self._status_drawn >= _STATUS_EVERY:  # text is slow to render: 5 Hz
            self._status_drawn = now
            self._status_text()
            self._stale.add("status")
        boxes = []
        for name in self._stale:
            canvas.restore_region(self._backgrounds[name])
            for artist in self._animated(name):
                self.figure.draw_artist(artist)
            boxes.append(self._boxes[name])
        for ax in self._rows:  # static widget artists: nothing moves over them, so no background is kept
            row = self._row_of(ax)
            self._eraser.set_bounds(row.x0, row.y0, row.width, row.height)
            self.figure.draw_artist(self._eraser)
            ax.draw(canvas.get_renderer())
            boxes.append(row.transformed(self.figure.transFigure))
        self._stale.clear()
        self._rows.clear()
        if not boxes:
            return
        if canvas.supports_blit:
            for box in boxes:  # a Tk blit costs by its area: only what changed goes to the screen
                canvas.blit(box)
        else:  # the web canvases (ipympl) send the changed pixels of the whole image, whatever the box
            canvas.blit()

    def _row_of(self, ax):
        """The strip (figure coordinates) of a widget's axes; a slider's runs on to the figure's right edge,
        over its value text."""
        from matplotlib.transforms import Bbox

        box = ax.get_position()
        if ax in self._value_axes():
            return Bbox.from_extents(box.x0 - _HANDLE, box.y0 - 0.004, 1.0, box.y1 + 0.004)
        return Bbox.from_extents(box.x0 - 0.002, box.y0 - 0.004, box.x1 + 0.002, box.y1 + 0.004)

    def _value_axes(self):
        return set(self._slider_axes) | {control.ax for control in self.controls.values()}

    def _region_boxes(self):
        """``{name: box on the canvas}`` of the regions redrawn over a saved background."""
        from matplotlib.transforms import Bbox

        status = Bbox.from_extents(0.0, 0.955, 1.0, 1.0).transformed(self.figure.transFigure)  # the top strip
        return {"trace": self.ax_trace.bbox.frozen(), "status": status,
                "iv": Bbox.union([ax.bbox for ax in self.ax_iv.values()])}

    def _animated(self, region):
        """The moving artists of a region, drawn over its background."""
        if region == "trace":
            return list(self.trace_lines) + list(self.filter_lines.values())
        if region == "status":
            return [self.status]
        out = []
        for ts in self.ax_iv:
            out += [a for a in [self.iv_lines.get(ts), *self.iv_fills.get(ts, [])] if a is not None]
        return out + list(self.iv_points.values())

    def _on_draw(self, event):
        """After a full draw: save each region's background without its moving artists, then draw them."""
        canvas = self.figure.canvas
        if not _blits(canvas):
            return
        if canvas.is_saving():  # an image file is being written (another size): redraw the window after it
            self._dirty = True
            return
        self._boxes = self._region_boxes()
        self._backgrounds = {name: canvas.copy_from_bbox(box) for name, box in self._boxes.items()}
        for name in self._boxes:
            for artist in self._animated(name):
                self.figure.draw_artist(artist)

    def pause(self, paused=None):
        """Pause (``paused=True``), resume (``False``) or toggle (None) simulated time."""
        if paused is not None and not isinstance(paused, bool | np.bool_):
            raise ModelError(f"`paused` must be True, False or None (toggle), got {paused!r}")
        self.paused = (not self.paused) if paused is None else bool(paused)
        self.buttons["pause"].label.set_text("resume" if self.paused else "pause")
        self._rows.add(self.buttons["pause"].ax)
        self._update_status()
        self.refresh()

    def reset(self):
        """Back to the initial model, parameters and state, at t = 0."""
        self.model = copy.deepcopy(self._initial)
        self._i_app0 = self._i_app_start
        self._pulse_end = None
        for path, _field, value in self._paths():
            slider = self.sliders.get(path)
            if slider is not None:
                slider.eventson = False
                slider.set_val(value)
                slider.eventson = True
        self._start()
        self._dirty = True
        self.refresh()

    def pulse(self):
        """Inject ``pulse_amplitude`` for ``pulse_duration`` time units from now (into the chosen neuron)."""
        if self._pulse_end is not None:
            return
        self._pulse_end = self.t + self.pulse_duration
        self._pulse = (f"{self.selected_neuron}.i_app" if self.network else "i_app", self.pulse_amplitude)
        self._drive(self._pulse[0])

    def _end_pulse(self):
        self._pulse_end = None
        self._drive(self._pulse[0])

    def _drive(self, path):
        """Hand the run the model's value of ``path``, plus the pulse while one flows through it (the pulse
        keeps its neuron and amplitude to its end, whatever is selected or set meanwhile)."""
        pulsing = self._pulse_end is not None and path == self._pulse[0]
        self._integ.set_parameter(path, self._get(path) + (self._pulse[1] if pulsing else 0.0))

    @property
    def selected_neuron(self):
        return self._selected if self.network else None

    # -- holding the rhythm ---------------------------------------------------------------
    def hold(self, on=True, target=None, adjust=None, bounds=None):
        """Hold the circuit's rhythm (``on=True``) or let it go (``False``): the "hold rhythm" button.

        A :class:`~neuromorph.RhythmController` runs on the live circuit: every eighth of a period the run
        hands it the new spikes of the reference neuron, and once per burst it moves the ``adjust`` gains by a
        damped Newton step on the error of the measured period (``dtheta = -k J^+ e``, within ``bounds``; see
        :mod:`neuromorph.control.controller`). Its values go through the same path as a moved slider, so the
        sliders move with them. What you change meanwhile with the other sliders (``i_app``, a leak) or the
        pulse button is a disturbance the controller is not told of: it sees only the spikes.

        A held gain set by hand (its slider, or :meth:`set`) becomes the controller's value: it carries on from
        there, measuring again once the circuit has settled (``settle`` periods), as after its own updates
        (:meth:`ControlLoop.moved <neuromorph.ControlLoop.moved>`; a value outside ``bounds`` counts as the
        bound it passed). Holding again replaces the
        target (measured anew); :meth:`reset` and a new preset let the rhythm go. Releasing leaves the gains
        where the controller put them.

        Parameters
        ----------
        on : bool, default True
            Hold (True) or release (False).
        target : Rhythm or float, optional
            The rhythm to hold: an :class:`~neuromorph.Rhythm`, or a burst period (time units) held within 2 %.
            Default: the period the circuit has now, between the last two whole bursts of the neuron whose I-V
            curves are shown (the spikes of the last ``max(window, 12000)`` time units), within 2 %.
        adjust : list of str, optional
            Paths of the gains the controller moves (see :class:`~neuromorph.RhythmController`). Default: the
            reference neuron's slow negative and ultraslow positive gains, ``"slow_negative.alpha"`` and
            ``"ultraslow_positive.alpha"`` (``"n1.slow_negative.alpha"``, ... in a network), those it has.
        bounds : dict, optional
            ``{path: (low, high)}`` the gains never leave; a path left out gets its slider's range
            (dimensionless, as the gains).

        Returns
        -------
        ControlLoop or None
            The controller as it runs (also :attr:`holding`); None when released.

        Raises
        ------
        ModelError
            If ``on`` is not a bool; with no ``target``, if the reference neuron is not bursting or shows
            fewer than two whole bursts (the button shows this on the status line instead); if ``target`` is
            neither a Rhythm nor a period > 0; if the neuron has none of the default gains and ``adjust`` is
            not given; or for what :class:`~neuromorph.RhythmController` refuses (a path that is not a
            parameter, bad bounds, a gain outside its bounds). Nothing changes then: a rhythm already held
            stays held.

        Examples
        --------
        The bursting neuron at ``I_app = -2`` (period 2494) keeps its period when ``I_app`` steps to -1.9,
        which alone would shorten it to 2242; the ultraslow positive gain (its slider too) comes down:

        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import neuromorph as nm
        >>> tuner = nm.tune("bursting", speed=20_000, show=False)
        >>> tuner.advance(12)                  # 12 frames of 667 time units: a few bursts
        >>> loop = tuner.hold()
        >>> round(loop.ctrl.target.period), loop.ctrl.adjust
        (2494, ('slow_negative.alpha', 'ultraslow_positive.alpha'))
        >>> tuner.set("i_app", -1.9)           # as moving the I_app slider: the controller is not told
        >>> tuner.advance(90)
        >>> last = [row[1] for row in loop.history][-1]
        >>> bool(abs(last / 2494 - 1) <= 0.02), bool(tuner.sliders["ultraslow_positive.alpha"].val < 1.5)
        (True, True)
        >>> tuner.hold(False)                  # the gains stay where the controller left them
        >>> plt.close(tuner.figure)
        """
        from ..analysis.spikes import analyse_spikes
        from ..control.controller import RhythmController
        from ..control.rhythm import Rhythm

        if not isinstance(on, bool | np.bool_):
            raise ModelError(f"`on` must be True (hold) or False (release), got {on!r}")
        if not on:
            self._release("rhythm released: the gains stay where they are")
            return None
        names = tuple(self.model.node_names) if self.network else ("neuron",)
        if isinstance(target, Rhythm):
            reference = v.member(names, target.neuron)
        else:
            reference = self._shown()
            if target is None:
                period = self._period_now(reference)
            elif isinstance(target, bool) or not isinstance(target, int | float | np.integer | np.floating):
                raise ModelError(f"`target` must be an nm.Rhythm or a burst period (a number > 0), got {target!r}")
            else:
                period = v.positive("target", target)
            target = Rhythm(period=period, tolerance=_HOLD_TOLERANCE, neuron=reference)
        prefix = f"{names[reference]}." if self.network else ""
        if adjust is None:
            defaults = [prefix + path for path in ("slow_negative.alpha", "ultraslow_positive.alpha")]
            adjust = [path for path in defaults if path in self.model.parameters()]
            if not adjust:
                raise ModelError(f"{self._who(reference)} has neither {defaults[0]!r} nor {defaults[1]!r} to hold its "
                                 "rhythm with: give `adjust`")
        adjust = [adjust] if isinstance(adjust, str) else adjust
        if not isinstance(adjust, list | tuple) or not adjust or not all(isinstance(p, str) for p in adjust):
            raise ModelError(f"`adjust` must name the gains to move (a list of paths), got {adjust!r}")
        if bounds is not None and not isinstance(bounds, dict):
            raise ModelError(f"`bounds` must be a dict {{path: (low, high)}}, got {bounds!r}")
        given = bounds or {}
        # ("*.PATH", one setting for every node, has no one slider: its bounds are the caller's to give)
        bounds = {**{path: self._slider_span(path) for path in adjust
                     if path not in given and not path.startswith("*.")}, **given}
        ctrl = RhythmController(target, adjust=list(adjust), bounds=bounds)
        knobs, values = ctrl.prepare(self.model)
        loop = ctrl.loop(copy.deepcopy(self.model), knobs, values, self._i_app)  # the sensitivities here and now
        # The last two whole bursts (the target's, with no target given) start the controller's count: its first
        # period is measured at once and its first step comes with the next burst.
        span = max(self.window, _SPIKE_MEMORY)
        bursts = analyse_spikes(self._spikes[reference], max(0.0, self.t - span), self.t).bursts
        since = bursts[-2][0] if len(bursts) >= 2 else self.t
        loop.feed(self.t, {k: self._spikes[k][self._spikes[k] >= since] for k in loop.neurons})
        self._hold = _Holding(loop, knobs)
        button = self.buttons["hold"]
        button.label.set_text("release rhythm")
        self._rows.add(button.ax)
        self._update_status()
        self.refresh()
        return loop

    @property
    def holding(self):
        """The :class:`~neuromorph.control.loop.ControlLoop` holding the rhythm (None when it is not held):
        its ``ctrl.target``, the gains now (``values``) and one row per burst (``history``, as
        :attr:`ControlResult.history <neuromorph.ControlResult.history>`: ``(t, period, ...)``)."""
        return None if self._hold is None else self._hold.loop

    def _who(self, n):
        return f"neuron {self.model.node_names[n]!r}" if self.network else "the neuron"

    def _period_now(self, n):
        """Neuron ``n``'s burst period now: between its last two whole bursts in the spikes kept."""
        from ..analysis.spikes import analyse_spikes, spike_summary

        span = max(self.window, _SPIKE_MEMORY)
        t0 = max(0.0, self.t - span)
        spikes = self._spikes[n]
        pattern = spike_summary(spikes, t0, self.t)["pattern"]
        if pattern != "bursting":
            raise ModelError(f"cannot hold the rhythm: {self._who(n)} is not bursting (its last {self.t - t0:.0f} "
                             f"time units read {pattern!r}); give `target` (a period), or hold once it bursts")
        bursts = analyse_spikes(spikes, t0, self.t).bursts
        if len(bursts) < 2:
            raise ModelError(f"cannot hold the rhythm yet: its period is measured between two whole bursts of "
                             f"{self._who(n)} and its last {self.t - t0:.0f} time units hold {len(bursts)}; wait "
                             "for them or give `target` (a period)")
        return float(bursts[-1][0] - bursts[-2][0])

    def _slider_span(self, path):
        """The range of ``path``'s slider (the one it would have if its neuron is not the one shown)."""
        slider = self.sliders.get(path)
        if slider is not None:
            return float(slider.valmin), float(slider.valmax)
        return _slider_range(path.rsplit(".", 1)[-1], float(self._get(path)))

    def _feed(self, spikes, owners):
        """Hand the controller the run's new spikes; apply its new gains as moved sliders."""
        hold = self._hold
        if not hold.loop.feed(self.t, {k: spikes[owners == k] for k in hold.loop.neurons}):
            return
        try:
            for key, value in hold.loop.values.items():
                for path, weight in hold.knobs[key]:
                    self._show(path, weight * value)
        except ModelError as exc:  # the step left the drawn neuron no equilibrium: the gains keep what was applied
            self._release(f"rhythm released: the controller's {exc}")

    def _took_over(self, path):
        """A held gain set by hand becomes the controller's value (see :meth:`hold`)."""
        hold = self._hold
        if hold is None:
            return
        for key, members in hold.knobs.items():
            weight = dict(members).get(path)
            if not weight:
                continue
            value = self._get(path) / weight
            hold.loop.moved(self.t, {key: value})
            try:
                for other, w in members:  # a knob shared by several paths ("*.PATH") keeps one setting
                    if other != path:
                        self._show(other, w * value)
            except ModelError as exc:
                self._release(f"rhythm released: {exc}")

    def _release(self, why):
        """Stop holding, if holding, and say ``why`` on the status line."""
        if self._hold is None:
            return
        self._hold = None
        button = self.buttons["hold"]
        button.label.set_text("hold rhythm")
        self._rows.add(button.ax)
        self._message(why)

    def _on_hold(self):
        try:
            self.hold(self._hold is None)
        except ModelError as exc:  # nothing to hold (not bursting) or a bad choice: the status line says why
            self._message(str(exc))
        self.refresh()

    def _hold_text(self):
        """The status line's part on the held rhythm: the target, the last period measured, and whether every
        criterion of the target was met over the last burst ("held") or the controller is still at work."""
        from ..control.rhythm import RhythmReport

        if self._hold is None:
            return ""
        loop = self._hold.loop
        target = loop.ctrl.target
        rows = [row for row in loop.history if np.isfinite(row[1])]
        aim = f"period {target.period:.0f} ±{100 * target.tolerance:g} %" if target.period else str(target)
        if not rows:
            return f"   holding {aim}: waiting for bursts"
        _t, period, spikes, duty, _values, _updated, phases = rows[-1]
        measured = {"period": period, "spikes_per_burst": spikes, "duty_cycle": duty, **phases}
        met = RhythmReport(target, {key: measured[key] for key in target.targets()}).met
        return f"   holding {aim}: last {period:.0f}, " + ("held" if met else "adjusting")

    # -- saving ---------------------------------------------------------------------------
    def _plan(self, *outputs):
        """Refuse, before writing, an output that is a circuit file the tuner read (its :attr:`source`, the files
        a network's nodes name, a preset picked in the window), two outputs naming one file, or a folder that
        takes no file."""
        from ..io.files import plan_outputs

        plan_outputs(outputs, inputs=self._read)

    def save_parameters(self, path):
        """Write the tuned model as a circuit file (TOML) that :func:`neuromorph.load` reads back (atomically;
        never over the file the tuner was loaded from)."""
        from ..io.circuits import save
        from ..model.stimulus import Protocol

        self._plan(("the parameters file", path))
        model = copy.deepcopy(self.model)
        if not self.network:
            model.protocol = Protocol(t_end=max(self.t, 1000.0), i_app=self._i_app0)
        save(model, path)
        return path

    def save_trace(self, path):
        """Write the trace on screen as ``.npz`` (``t``, ``v`` by neuron, ``names``; with ``filters=True``
        also ``filters``, every neuron's filter states, and their ``filter_names``), atomically; never over the
        file the tuner was loaded from."""
        from ..io.files import atomic_write

        self._plan(("the trace file", path))
        arrays = {"t": self._t, "v": self._v, "names": np.array(self._membranes())}
        if self.filters:
            arrays.update(filters=self._trace[len(self._membranes()):],
                          filter_names=np.array([n for names in self._filter_states() for n in names]))
        atomic_write(path, lambda f: np.savez(f, **arrays), binary=True)
        return path

    def save_figure(self, path):
        """Write the figure as an image (format from the extension: one matplotlib writes), atomically; never
        over the file the tuner was loaded from. The window stays open."""
        from .plotting import check_figure_format, save_figure

        check_figure_format(path, "the figure")
        self._plan(("the figure", path))
        self._update_status(now=True)
        self.status.set_animated(False)  # a figure's animated text is left out of saved images
        try:
            save_figure(self.figure, path, close=False)
        finally:
            self.status.set_animated(True)
        return path

    # -- drawing --------------------------------------------------------------------------
    def _build_widgets(self):
        from matplotlib.widgets import Button, RadioButtons

        fig = self.figure
        self.ax_trace = fig.add_axes([0.05, 0.55, 0.58, 0.4])
        self.ax_iv = {ts: fig.add_axes([0.05 + i * 0.2, 0.08, 0.17, 0.36]) for i, ts in enumerate(_IV_TIMESCALES)}
        self.ax_trace.set_xlabel("time before now")
        self.ax_trace.set_ylabel("V")
        self.ax_trace.set_xlim(-self.window, 0.0)  # fixed axes: the trace is blitted over them
        self.ax_trace.set_ylim(-3.5, 3.0)
        self.ax_trace.set_autoscale_on(False)
        self.trace_lines = []
        self.filter_lines = {}  # filter state name -> its line in the trace (filters=True)
        self._filter_rows = {}  # filter state name -> its row in the recorded trace
        for ts, ax in self.ax_iv.items():
            ax.set_title(f"{ts} I-V")
            ax.set_xlabel("V")
        self.iv_lines, self.iv_fills, self.iv_points = {}, {}, {}
        self.status = fig.text(0.05, 0.965, "", fontsize=10, animated=True)
        self.sliders, self.buttons = {}, {}
        if self.network:
            choices = list(self.model.node_names) + list(self.model.connection_names)
            self.selector = RadioButtons(fig.add_axes(_SELECTOR), choices, active=0)
            for text in self.selector.labels:
                text.set_fontsize(8)
            self.selector.on_clicked(self._on_select)
        self._slider_axes = []
        self._make_sliders()
        for i, (name, label, callback) in enumerate((
                ("pause", "pause", lambda _e: self.pause()), ("reset", "reset", lambda _e: self.reset()),
                ("pulse", "pulse", lambda _e: self.pulse()), ("save", "save", lambda _e: self.save()))):
            ax = fig.add_axes([0.66 + i * 0.08, 0.02, 0.072, 0.045])
            self.buttons[name] = Button(ax, label)
            self.buttons[name].on_clicked(callback)
        self.buttons["hold"] = Button(fig.add_axes(_HOLD_BUTTON), "hold rhythm")  # see hold(): label "release rhythm"
        self.buttons["hold"].on_clicked(lambda _e: self._on_hold())
        # Controls of the run itself: speed, and the pulse's amplitude and duration.
        self.controls = {}
        for i, (name, label, lo, hi, value, setter) in enumerate((
                ("speed", "speed (t/s)", 200.0, 50_000.0, self.speed, self._set_speed),
                ("pulse_amplitude", "pulse amplitude", -3.0, 3.0, self.pulse_amplitude,
                 lambda val: setattr(self, "pulse_amplitude", float(val))),
                ("pulse_duration", "pulse duration", 10.0, 5_000.0, self.pulse_duration,
                 lambda val: setattr(self, "pulse_duration", float(val))))):
            ax = fig.add_axes([0.885, 0.2 - i * 0.04, 0.08, 0.022])
            control = _slider(ax, lo, hi, min(max(value, lo), hi))
            fig.text(0.885 - _HANDLE - 0.003, 0.211 - i * 0.04, label, ha="right", va="center",
                     fontsize=10)  # static text, as the parameter sliders' names
            control.on_changed(lambda val, setter=setter, ax=ax: (setter(val), self._rows.add(ax), self.refresh()))
            self.controls[name] = control
        if not self.network:  # switch to another neuron preset (a network's selector picks its neurons)
            from ..io.circuits import preset, presets

            self._preset_names = [p for p in presets() if not hasattr(preset(p), "node_names")]
            ax_presets = fig.add_axes(_SELECTOR)
            active = self._preset_names.index(self.model.name) if self.model.name in self._preset_names else 0
            self.preset_selector = RadioButtons(ax_presets, [n.replace("hyperpolarisation", "hyperpol.")
                                                             for n in self._preset_names], active=active)
            for text in self.preset_selector.labels:
                text.set_fontsize(7)
            self.preset_selector.on_clicked(self._on_preset)

    def _set_speed(self, value):
        self.speed = v.positive("speed", float(value))

    def _on_preset(self, label):
        """Tune another preset: a fresh model, sliders and trace (its own protocol's current)."""
        from ..io.circuits import load, preset_file

        name = self._preset_names[[t.get_text() for t in self.preset_selector.labels].index(label)]
        self.source = preset_file(name)
        self._read += [] if self.source in self._read else [self.source]
        model = load(self.source)
        self.model = copy.deepcopy(model)
        self._initial = copy.deepcopy(model)
        protocol = getattr(model, "protocol", None)
        self._i_app0 = self._i_app_start = float(protocol.i_app(0.0)) if protocol is not None else -2.0
        self._pulse_end = None
        self._make_sliders()
        self._start()
        self._dirty = True
        self.refresh()

    def save(self, prefix=None):
        """Write the tuned parameters (TOML), the trace (NPZ) and the figure (PNG) as ``<prefix>.*``
        (default ``neuromorph-tuner`` in the working folder); returns their paths."""
        prefix = self.save_prefix if prefix is None else prefix
        if not isinstance(prefix, str | os.PathLike):
            raise ModelError(f"`prefix` must be a file name without its extension, got {prefix!r}")
        paths = tuple(os.fspath(prefix) + suffix for suffix in (".toml", ".npz", ".png"))
        self._plan(*zip(("the parameters file", "the trace file", "the figure"), paths))  # all checked first
        self.save_parameters(paths[0])
        self.save_trace(paths[1])
        self.save_figure(paths[2])
        self._message(f"saved {', '.join(str(p) for p in paths)}")
        self._dirty = True
        self.refresh()
        return paths

    def _message(self, text):
        """Show ``text`` on the status line for a few seconds (then the status comes back)."""
        self.status.set_text(text)
        self._status_stale = False
        self._status_drawn = time.perf_counter() + 3.0
        self._stale.add("status")

    def _visible_paths(self):
        paths = self._paths()
        if not self.network:
            return paths
        prefix = self._selected + "."
        return [p for p in paths if p[0].startswith(prefix)]

    def _make_sliders(self):
        for ax in self._slider_axes:
            ax.remove()
        for text in getattr(self, "_slider_labels", []):
            text.remove()
        self._slider_labels = []
        self._slider_axes = []
        self.sliders = {}
        paths = self._visible_paths()
        left, top = _SLIDERS_LEFT, _SLIDERS_TOP
        height = min(0.05, (top - _SLIDERS_BOTTOM) / max(len(paths), 1))
        for i, (path, field, value) in enumerate(paths):
            ax = self.figure.add_axes([left, top - (i + 1) * height, 0.1, height * 0.6])
            lo, hi = _slider_range(field, value)
            label = path if not self.network else path.split(".", 1)[1]
            slider = _slider(ax, lo, hi, value)
            # The name is figure text outside the row, drawn only by full draws: a moved slider redraws
            # only its bar and its value (text is the slow part of a redraw).
            self._slider_labels.append(self.figure.text(left - _HANDLE - 0.003, top - (i + 0.7) * height, label,
                                                        ha="right", va="center", fontsize=10))
            slider.on_changed(lambda val, path=path, ax=ax: self._on_slider(path, val, ax))
            self.sliders[path] = slider
            self._slider_axes.append(ax)

    def _on_slider(self, path, value, ax):
        try:
            self._apply(path, value)
        except ModelError as exc:  # a value without I-V curves: the slider goes back, the status line says why
            slider = self.sliders[path]
            slider.eventson = False
            slider.set_val(self._get(path))
            slider.eventson = True
            self._message(str(exc))
        else:
            self._took_over(path)
        self._rows.add(ax)
        self.refresh()

    def _on_select(self, label):
        self._selected = label
        self._make_sliders()
        self._make_filter_lines()
        self._draw_trace()
        self._redraw_iv()
        self._dirty = True  # a new set of sliders: a full redraw
        self.refresh()

    def _shown(self):
        """Index of the neuron whose I-V curves (and filters) are drawn: the selected node, else the first."""
        if not self.network or self._selected not in self.model.node_names:
            return 0
        return self.model.node_names.index(self._selected)

    def _iv_neuron(self):
        """The neuron whose I-V curves are drawn and its applied current."""
        if not self.network:
            return self.model, self._i_app0
        name = self.model.node_names[self._shown()]
        return self.model.neuron(name), self.model.get(f"{name}.i_app")

    def _resting_points(self):
        """The equilibria of the drawn neuron (V in [-10, 10]); a ModelError saying why if it has none, for
        its I-V curves are drawn around one."""
        from ..analysis.iv import V_RANGE, equilibria, iv_current

        neuron, i_app = self._iv_neuron()
        eqs = equilibria(neuron, i_app=i_app)
        if not eqs:
            span = iv_current(neuron, np.linspace(*V_RANGE, 2001), "steady")
            raise ModelError(f"no equilibrium of {neuron.name!r} for V in [{V_RANGE[0]:g}, {V_RANGE[1]:g}] at I_app = "
                             f"{i_app:g} (its steady-state current spans {span.min():.3g} to {span.max():.3g} there): "
                             "no I-V curves to draw")
        return eqs

    def _redraw_iv(self):
        from ..analysis.iv import iv_curves

        eqs = self._resting_points()
        neuron, i_app = self._iv_neuron()
        self._predicted = None
        v = np.linspace(-4.0, 3.0, 351)
        curves = iv_curves(neuron, v=v, i_app=i_app, timescales=_IV_TIMESCALES)
        for ts, ax in self.ax_iv.items():
            current = curves[ts]
            slope = curves.conductance(ts)
            negative = np.where(slope < 0, current, np.nan)
            if ts not in self.iv_lines:  # animated: blitted over the axes, never redrawn with them
                (self.iv_lines[ts],) = ax.plot(v, current, color=_COLOURS[ts], animated=True)
                (neg,) = ax.plot(v, negative, color="k", lw=3, alpha=0.5, animated=True)
                (level,) = ax.plot(v[[0, -1]], [i_app, i_app], color="0.5", lw=0.8, ls="--", animated=True)
                self.iv_fills[ts] = [neg, level]
            else:
                self.iv_lines[ts].set_ydata(current)
                self.iv_fills[ts][0].set_ydata(negative)
                self.iv_fills[ts][1].set_ydata([i_app, i_app])
            finite = current[np.isfinite(current)]
            lo, hi = (min(finite.min(), i_app), max(finite.max(), i_app)) if finite.size else (-1.0, 1.0)
            y0, y1 = ax.get_ylim() if ts in self._iv_scaled else (np.inf, -np.inf)
            if lo < y0 or hi > y1 or (hi - lo) < 0.25 * (y1 - y0):  # the curve left its box, or shrank a lot
                pad = 0.08 * max(hi - lo, 1e-3)
                ax.set_ylim(lo - pad, hi + pad)
                self._iv_scaled.add(ts)
                self._dirty = True  # new tick labels: a full redraw
        if not self.iv_points:  # two marker lines, moved on every change (filled: stable, open: unstable)
            ax = self.ax_iv["ultraslow"]
            for name, face in (("stable", "k"), ("unstable", "w")):
                (self.iv_points[name],) = ax.plot([], [], "o", color="k", markerfacecolor=face, ls="none",
                                                  animated=True)
        for name, stable in (("stable", True), ("unstable", False)):
            at = [eq.v for eq in eqs if eq.stable == stable]
            self.iv_points[name].set_data(at, [i_app] * len(at))
        self._stale.add("iv")
        self._update_status()

    def _make_filter_lines(self):
        """One line per filter state of the shown neuron, in its I-V curve's colour, and a legend below the
        trace naming the lines, a network's membranes always (outside the axes: static, drawn by full draws
        only)."""
        for line in self.filter_lines.values():
            line.remove()
        self.filter_lines, self._filter_rows = {}, {}
        if not (self.filters or self.network):  # one neuron's V needs no legend
            return
        names = self._membranes()
        while len(self.trace_lines) < len(names):  # the membrane lines first: the colour cycle starts at C0
            (line,) = self.ax_trace.plot([], [], lw=0.8, animated=True)
            self.trace_lines.append(line)
        for line, name in zip(self.trace_lines, names):
            line.set_label("V" if name == "v" else f"V {name[:-2]}")
        offset = len(names) + sum(len(f) for f in self._filter_states()[: self._shown()])
        for row, name in enumerate(self._filter_states()[self._shown()], start=offset):
            label = name.rsplit(".", 1)[-1]  # "slow", or "slow_tau60" where two slow filters differ
            legend = f"{label} filter" if not self.network else f"{label} filter {name.split('.')[0]}"
            (line,) = self.ax_trace.plot([], [], lw=1.2, ls=(0, (5, 2)), color=_COLOURS.get(label.split("_tau")[0]),
                                         animated=True, label=legend)
            self.filter_lines[name] = line
            self._filter_rows[name] = row
        self.ax_trace.legend(handles=self.trace_lines + list(self.filter_lines.values()), loc="upper right",
                             bbox_to_anchor=(1.0, -0.09), ncols=len(self.trace_lines) + len(self.filter_lines),
                             fontsize=8, frameon=False)
        self.ax_trace.set_xlabel("time before now", loc="left")  # the legend takes the right
        self._dirty = True

    def _draw_trace(self):
        names = self._membranes()
        while len(self.trace_lines) < len(names):
            (line,) = self.ax_trace.plot([], [], lw=0.8, animated=True)
            self.trace_lines.append(line)
            self._dirty = True
        for line, values in zip(self.trace_lines, self._v):
            line.set_data(self._t - self.t, values)
        for name, line in self.filter_lines.items():
            line.set_data(self._t - self.t, self._trace[self._filter_rows[name]])
        self._stale.add("trace")
        if self._trace.size:  # widen the voltage axis only when the trace leaves it (a full redraw then)
            lo, hi = float(np.min(self._trace)), float(np.max(self._trace))
            y0, y1 = self.ax_trace.get_ylim()
            if lo < y0 or hi > y1:
                self.ax_trace.set_ylim(min(lo, y0) - 0.2, max(hi, y1) + 0.2)
                self._dirty = True
        self._update_status()

    def observed(self, neuron=0):
        """The firing pattern of the trace on screen (``neuron``'s, by index or name, for a network).

        Before the trace fills the window a pattern is reported once it is evident (bursting: two bursts
        seen); rest, tonic spiking or irregular firing only after a full window (a first burst looks tonic
        while it lasts, the silence between bursts like rest): ``"starting"`` until then.
        """
        from ..analysis.spikes import spike_summary

        names = self.model.node_names if self.network else ()
        if isinstance(neuron, str) and neuron in names:
            neuron = names.index(neuron)
        if isinstance(neuron, bool) or not isinstance(neuron, int | np.integer) \
                or not 0 <= neuron < len(self._spikes):
            choices = f"a node name ({', '.join(names)}) or an index below {len(names)}" if self.network else "0"
            raise ModelError(f"`neuron` must be {choices}, got {neuron!r}")
        t0 = max(0.0, self.t - self.window)
        spikes = self._spikes[neuron]
        pattern = spike_summary(spikes[spikes >= t0], t0, self.t)["pattern"]
        return pattern if self.t >= self.window or pattern == "bursting" else "starting"

    def predicted(self):
        """The behaviour the I-V curves predict (worked out on each parameter change)."""
        if self._predicted is None:
            from ..analysis.iv import predict_behaviour

            neuron, i_app = self._iv_neuron()
            self._predicted = predict_behaviour(neuron, i_app=i_app)
        return self._predicted

    def _update_status(self, now=False):
        """The status line's text is worked out when it is drawn (5 times a second), not on every change."""
        self._status_stale = True
        if now:
            self._status_text()

    def _status_text(self):
        if not hasattr(self, "_integ") or not self._status_stale:
            return
        self._status_stale = False
        who = f"{self.model.node_names[self._shown()]}: " if self.network else ""  # the neuron of the I-V curves
        self.status.set_text(f"t = {self.t:9.0f}   {who}predicted from the I-V curves: {self.predicted():10s}   "
                             f"observed: {self.observed(self._shown()):10s}" + self._hold_text()
                             + ("   [paused]" if self.paused else ""))


class _Holding:
    """A held rhythm: the controller's loop and what each of its knobs moves (``{knob: [(path, weight)]}``)."""

    def __init__(self, loop, knobs):
        self.loop, self.knobs = loop, knobs


def tune(model="bursting", i_app=None, speed=2000.0, fps=30.0, window=6000.0, filters=False, show=True):
    """Open the tuner on ``model`` (see :class:`Tuner`); returns it.

    Parameters
    ----------
    model : Neuron, Network, preset name or circuit file, default "bursting"
        What to tune; a file (a preset's file for a name) is the tuner's ``source``, which its save
        methods never write over.
    i_app : float, optional
        Starting applied current of every neuron (a neuron's default: its file's protocol, else -2; a
        network's: each node's own).
    speed : float, default 2000.0
        Simulated time units per wall-clock second.
    fps : float, default 30.0
        Frames per second of the timer.
    window : float, default 6000.0
        Time units the trace shows.
    filters : bool, default False
        Also draw the filter states of the neuron whose I-V curves are shown.
    show : bool, default True
        Start the timer and show the figure (without blocking); False: scripted use, frames by
        :meth:`Tuner.advance`.

    Returns
    -------
    Tuner
        The running tuner (keep a reference to it: its timer lives as long as it does).

    Raises
    ------
    ModelError
        If ``model`` is not a neuron, a network or a name, or is a neuron with no elements; if
        ``speed``, ``fps`` or ``window`` is not > 0 or ``filters`` is not a bool; or if the I-V curves
        have no equilibrium for V in [-10, 10] at ``i_app``.
    CircuitFileError
        If ``model`` is a string or path that names no preset or readable circuit file.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")  # no window; show=False: no timer either
    >>> import matplotlib.pyplot as plt
    >>> import neuromorph as nm
    >>> tuner = nm.tune("tonic", show=False)
    >>> tuner.source.name, tuner.speed, tuner.fps
    ('tonic_spiking.toml', 2000.0, 30.0)
    >>> plt.close(tuner.figure)
    """
    return Tuner(model, i_app=i_app, speed=speed, fps=fps, window=window, filters=filters, show=show)
