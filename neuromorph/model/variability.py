"""Process, voltage and temperature (PVT) variability: what differs from one silicon chip to the next.

A :class:`Mismatch` describes the spread; a *chip* is one seeded draw of it, the same for every
trial run on that chip. Spreads are per element (each amplifier, follower-integrator and
capacitor has its own transistors):

* ``gain`` relative Gaussian spread of every gain (the bias current of each amplifier:
  ``alpha``, ``g``, synaptic gains);
* ``offset`` absolute Gaussian spread of every offset (``delta``, a leak's ``e_rev``, a gate's or
  synapse's ``delta``; the input offset voltage of each amplifier, in model voltage units);
* ``tau`` relative spread of every filter time constant (its capacitor and bias current);
* ``C`` relative spread of each membrane capacitance;
* ``corner`` a global relative shift of all gains (a process corner: every bias current of the
  chip off by the same factor, on top of the per-element spread);
* ``temperature`` (kelvin) for a circuit designed at ``nominal_temperature``: ``U_T = kT/q``
  sets the voltage unit ``2 U_T / kappa``, so offsets, reversal potentials and thresholds
  (fixed voltages) shrink by ``T0 / T`` in model units, and every time constant
  (``C U_T / I_b``) grows by ``T / T0``;
* ``supply`` (volts) off ``nominal_supply``: bias voltages taken from the supply scale with it.

:meth:`Mismatch.pelgrom` derives ``gain`` and ``offset`` from transistor area (Pelgrom's law).

Draws of chip ``c`` come from ``numpy.random.Philox(key=(seed, c))``, in a fixed order, one
standard normal per element whatever the spreads: a chip is the same whatever the number of
chips in the study, and changing one spread does not redraw the others.

Examples
--------
>>> import neuromorph as nm
>>> spread = nm.Mismatch(gain=0.1, offset=0.05, tau=0.02)
>>> chip = spread.draw(nm.preset("bursting").compile(), seed=1, chips=[0, 1])
>>> chip["el_gain"].shape
(5, 2)
"""

import math
import numbers

import numpy as np

from .. import _validate as v
from .._kernels.layout import CONST, FILTER, MEMBRANE
from ..errors import ModelError, NeuromorphWarning

__all__ = ["Mismatch"]

_FLOOR = 0.05  # a truncated time constant or capacitance keeps at least this fraction of its nominal value


class Mismatch:
    """Spread of a chip's parameters around the design (see the module notes).

    Parameters
    ----------
    gain, offset, tau, C : float >= 0, defaults 0
        Relative std of gains, absolute std of offsets, relative std of filter time constants
        and of membrane capacitances.
    corner : float, default 0
        Global relative shift of every gain (e.g. -0.1 for a slow corner with 10 % weaker biases).
    temperature, nominal_temperature : float (K), default None and 300
    supply, nominal_supply : float (V), default None and 1.8
        A supply off its nominal value, for bias voltages taken from dividers of the supply: every
        offset, reversal potential and threshold scales by ``supply / nominal_supply`` (a first-order
        model; bias currents from such references are not modelled).
    truncate : bool, default False
        A draw that would make a time constant or capacitance non-positive is an error; with
        ``truncate=True`` it is raised to 5 % of its nominal value and a warning says how many
        draws were affected.

    Raises
    ------
    ModelError
        If a spread (``gain``, ``offset``, ``tau``, ``C``) is negative or not finite, ``corner`` is
        not a finite number > -1, a temperature or supply is not a positive finite number, or
        ``truncate`` is not a bool. :meth:`draw` raises it too when a draw makes a time constant
        or capacitance non-positive and ``truncate`` is False.

    Warns
    -----
    NeuromorphWarning
        From :meth:`draw` with ``truncate=True``, when draws were raised to 5 % of nominal.

    Examples
    --------
    >>> import neuromorph as nm
    >>> spread = nm.Mismatch(gain=0.1, offset=0.05, tau=0.02)
    >>> spread
    Mismatch(gain=0.1, offset=0.05, tau=0.02)

    A chip is the same draw whatever the other chips of the study:

    >>> model = nm.preset("bursting").compile()
    >>> alone = spread.draw(model, seed=1, chips=[3])
    >>> among = spread.draw(model, seed=1, chips=[0, 1, 2, 3])
    >>> bool((alone["el_gain"][:, 0] == among["el_gain"][:, 3]).all())
    True

    A process corner shifts every gain of the chip, so it must leave them positive:

    >>> nm.Mismatch(corner=-1.0)
    Traceback (most recent call last):
        ...
    neuromorph.errors.ModelError: `corner` shifts every gain by a relative amount and must be > -1, got -1.0
    """

    def __init__(self, gain=0.0, offset=0.0, tau=0.0, C=0.0, corner=0.0, temperature=None, nominal_temperature=300.0,
                 supply=None, nominal_supply=1.8, truncate=False):
        self.gain = v.nonnegative("gain", gain)
        self.offset = v.nonnegative("offset", offset)
        self.tau = v.nonnegative("tau", tau)
        self.C = v.nonnegative("C", C)
        self.corner = v.real("corner", corner)
        if self.corner <= -1.0:
            raise ModelError(f"`corner` shifts every gain by a relative amount and must be > -1, got {corner!r}")
        self.nominal_temperature = v.positive("nominal_temperature", nominal_temperature)
        self.temperature = None if temperature is None else v.positive("temperature", temperature)
        self.nominal_supply = v.positive("nominal_supply", nominal_supply)
        self.supply = None if supply is None else v.positive("supply", supply)
        if not isinstance(truncate, bool):
            raise ModelError(f"`truncate` must be True or False, got {truncate!r}")
        self.truncate = truncate

    @classmethod
    def pelgrom(cls, a_vt, width, length, kappa=0.7, u_t=0.02585, **others):
        """Spreads from transistor area: ``sigma(dV_T) = A_VT / sqrt(W L)``, ``sigma(dI/I) = kappa sigma(dV_T) / U_T``.

        ``a_vt`` in V um (e.g. 5e-3 for 5 mV um), ``width``, ``length`` in um. The offset spread
        in model units is ``sigma(dV_T)`` over the voltage unit ``2 U_T / kappa``.

        Examples
        --------
        >>> m = Mismatch.pelgrom(a_vt=5e-3, width=2.0, length=2.0)
        >>> round(m.gain, 3), round(m.offset, 3)
        (0.068, 0.034)
        """
        a_vt = v.positive("a_vt", a_vt)
        area = v.positive("width", width) * v.positive("length", length)
        kappa = v.positive("kappa", kappa)
        u_t = v.positive("u_t", u_t)
        sigma_vt = a_vt / math.sqrt(area)
        return cls(gain=kappa * sigma_vt / u_t, offset=sigma_vt * kappa / (2.0 * u_t), **others)

    @classmethod
    def from_devices(cls, a_vt=5e-3, width=4.0, length=6.0, a_beta=0.01, kappa=0.715, u_t=0.025865, **others):
        """The spreads of the package's transistor cells (``spice/cells.lib``) with every transistor ``width`` x
        ``length`` um and Pelgrom coefficients ``a_vt`` (V um) and ``a_beta`` (um): the model-level twin of
        :func:`~neuromorph.spice_monte_carlo` with the same arguments.

        Each element is a transconductance amplifier: its bias current is mirrored from a diode to the tail
        (two transistors), its offset comes from the input pair and the load mirror (four). With
        ``s = kappa sigma(dV_T) / U_T`` and ``b = sigma(d beta / beta)`` of one transistor
        (``sigma = a / sqrt(W L)``):

        - ``gain`` (and ``tau``, a filter's conductance being such a bias) ``= sqrt(2 (s^2 + b^2))``;
        - ``offset = sqrt(s^2 + b^2)`` in model units (volts over ``2 U_T / kappa``: ``2 sigma(dV_T)`` of
          input-referred offset, the load mirror's current mismatch referred to the input as much as the
          pair's).

        :meth:`pelgrom` gives one transistor's spreads; this gives an amplifier's. ``kappa`` and ``u_t`` default to
        the process's measured slope factor and 27 C (``neuromorph.spice.Mapping``).

        Examples
        --------
        >>> m = Mismatch.from_devices(a_vt=5e-3, width=4.0, length=6.0)
        >>> round(m.gain, 4), round(m.offset, 4), m.tau == m.gain
        (0.0401, 0.0283, True)
        >>> round(Mismatch.from_devices(width=16.0, length=24.0).gain / m.gain, 3)  # 16 x the area: a quarter
        0.25
        """
        a_vt, a_beta = v.nonnegative("a_vt", a_vt), v.nonnegative("a_beta", a_beta)
        area = v.positive("width", width) * v.positive("length", length)
        s = v.positive("kappa", kappa) * a_vt / math.sqrt(area) / v.positive("u_t", u_t)
        b = a_beta / math.sqrt(area)
        one = math.hypot(s, b)
        return cls(gain=math.sqrt(2.0) * one, offset=one, tau=math.sqrt(2.0) * one, **others)

    def __repr__(self):
        parts = [f"{k}={getattr(self, k)!r}" for k in ("gain", "offset", "tau", "C", "corner") if getattr(self, k)]
        if self.temperature is not None:
            parts.append(f"temperature={self.temperature!r}")
        if self.supply is not None:
            parts.append(f"supply={self.supply!r}")
        return f"Mismatch({', '.join(parts)})"

    def conditions(self, model):
        """``{path: value}``: the parameters of ``model`` under this spread's global conditions (``corner``,
        ``temperature``, ``supply``), the same for every chip: what changes when a chip warms up or its supply
        sags. The per-element spreads are left out (they are a chip's own draw).

        Gains scale by ``1 + corner``; offsets, reversal potentials and thresholds (fixed voltages) by
        ``T0 / T`` and ``supply / nominal_supply`` in model units; every time constant (a filter's ``tau``,
        a membrane's ``C``) by ``T / T0``. Only what changes is given (a gain is left out unless ``corner``
        moves it, so a controller's gains are not reset). As a step in a run, e.g. a temperature the controller is not told
        of: ``schedule=[(t, nm.Mismatch(temperature=320).conditions(model))]``.

        Examples
        --------
        >>> import neuromorph as nm
        >>> warm = nm.Mismatch(temperature=330).conditions(nm.preset("bursting"))
        >>> warm["slow.tau"], round(warm["C"], 6), round(warm["slow_negative.delta"], 5), "leak.g" in warm
        (55.0, 1.1, -1.36364, False)
        """
        if not hasattr(model, "compile") and not hasattr(model, "slots"):
            raise ModelError(f"`model` must be a Neuron or a Network, got {type(model).__name__}")
        compiled = model if hasattr(model, "slots") else model.compile()
        a = compiled.arrays
        r = 1.0 if self.temperature is None else self.temperature / self.nominal_temperature
        volts = 1.0 / r * (1.0 if self.supply is None else self.supply / self.nominal_supply)
        out = {}
        for path, (_, slots) in compiled.slots.items():
            s = slots[0]
            now = float(getattr(a, s.array)[s.index])
            value = s.scale / now if s.inverse else now / s.scale
            if s.array == "el_gain":
                out[path] = value * (1.0 + self.corner)
            elif s.array in ("el_off", "act_off", "thresholds"):
                out[path] = value * volts
            elif s.array == "st_rate":  # a membrane's C
                out[path] = value * r
        for k, name in enumerate(compiled.state_names):
            if a.st_kind[k] == FILTER:
                out[f"{name}.tau"] = float(r / a.st_rate[k])
        return {path: value for path, value in out.items() if value != self._unchanged(path, compiled)}

    @staticmethod
    def _unchanged(path, compiled):
        """``path``'s value in ``compiled`` (a filter state's ``tau``, or a slot's)."""
        a = compiled.arrays
        if path.endswith(".tau") and path[:-4] in compiled.state_names:
            return float(1.0 / a.st_rate[compiled.state_names.index(path[:-4])])
        s = compiled.slots[path][1][0]
        now = float(getattr(a, s.array)[s.index])
        return s.scale / now if s.inverse else now / s.scale

    @property
    def is_zero(self):
        return not (self.gain or self.offset or self.tau or self.C or self.corner) and (
            self.temperature is None or self.temperature == self.nominal_temperature) and (
            self.supply is None or self.supply == self.nominal_supply)

    def draw(self, model, seed, chips):
        """Per-copy arrays of chips ``chips`` (one column each) for a compiled ``model``.

        Returns ``{"st_rate", "el_gain", "el_off", "act_off", "thresholds"}``, each of shape
        ``(rows, len(chips))``.
        """
        return self.apply(model, seed, chips)

    def apply(self, model, seed, chips, per_copy=None):
        """Copies of the per-copy arrays ``per_copy`` (``{name: (rows, n)}``, default the nominal ones)
        with column ``i`` made chip ``chips[i]``: gains scaled, offsets shifted, rates divided.

        Copies on the same chip get the same draw, relative to their own parameters.
        """
        seed = v.seed("seed", seed)
        chips = np.array([v.count("chip", c, 0) for c in chips], dtype=np.int64)
        a = model.arrays
        n = chips.size
        keys = ("st_rate", "el_gain", "el_off", "act_off", "thresholds")
        out = {key: (np.repeat(getattr(a, key)[:, None], n, 1) if per_copy is None else per_copy[key].copy())
               for key in keys}
        for key in keys:
            if out[key].shape[1] != n:
                raise ModelError(f"Mismatch.apply: {n} chips for {out[key].shape[1]} copies")
        is_filter = a.st_kind == FILTER
        is_membrane = a.st_kind == MEMBRANE
        has_offset = a.el_base != CONST
        spread_rate = np.where(is_filter, self.tau, 0.0) + np.where(is_membrane, self.C, 0.0)
        truncated = 0
        for chip in np.unique(chips):
            cols = np.flatnonzero(chips == chip)
            gen = np.random.Generator(np.random.Philox(key=np.array([seed, chip], dtype=np.uint64)))
            z_gain = gen.standard_normal(a.el_gain.size)
            z_off = gen.standard_normal(a.el_off.size)
            z_act = gen.standard_normal(a.act_off.size)
            z_rate = gen.standard_normal(a.st_rate.size)
            factor = 1.0 + spread_rate * z_rate
            bad = factor <= 0.0
            if bad.any():
                if not self.truncate:
                    k = int(np.flatnonzero(bad)[0])
                    what = "tau" if is_filter[k] else "C"
                    raise ModelError(
                        f"Mismatch: the `{what}` spread {getattr(self, what)!r} drew a non-positive "
                        f"{'time constant' if what == 'tau' else 'capacitance'} on chip {chip} (factor "
                        f"{factor[k]:.3g}); use a smaller spread, or truncate=True to raise such draws to "
                        f"{_FLOOR:g} of nominal")
                truncated += int(bad.sum())
                factor = np.maximum(factor, _FLOOR)
            out["el_gain"][:, cols] *= ((1.0 + self.corner) * (1.0 + self.gain * z_gain))[:, None]
            out["el_off"][:, cols] += np.where(has_offset, self.offset * z_off, 0.0)[:, None]
            out["act_off"][:, cols] += (self.offset * z_act)[:, None]
            out["st_rate"][:, cols] /= factor[:, None]
        if truncated:
            v.warn(f"Mismatch: {truncated} time constant or capacitance draw(s) were non-positive and raised to "
                   f"{_FLOOR:g} of nominal", NeuromorphWarning)
        volts = 1.0
        if self.temperature is not None:
            r = self.temperature / self.nominal_temperature
            out["st_rate"] /= r
            volts /= r
        if self.supply is not None:
            volts *= self.supply / self.nominal_supply
        if volts != 1.0:
            for key in ("el_off", "act_off", "thresholds"):
                out[key] *= volts
        return out


def as_mismatch(value):
    """``mismatch=`` as a :class:`Mismatch` or None; a number is refused with the spelling to use."""
    if value is None or isinstance(value, Mismatch):
        return value
    if isinstance(value, dict):
        known = ("gain", "offset", "tau", "C", "corner", "temperature", "nominal_temperature", "supply",
                 "nominal_supply", "truncate")
        for key in value:
            if key not in known:
                raise ModelError(f"`mismatch`: unknown spread {key!r}; known: {', '.join(known)}")
        return Mismatch(**value)
    hint = f" (e.g. nm.Mismatch(gain={value!r}))" if isinstance(value, numbers.Real) else ""
    raise ModelError(f"`mismatch` must be nm.Mismatch(...) or a dict of its spreads, got {value!r}{hint}")
