"""The model is linear in its gains: ``C_i dV_i/dt = I_app,i - sum_k theta_k phi_ik(V, V_x) - (fixed currents)``.

Every element current is its gain times a known function of voltages (:attr:`ElementKind.gain`), and every
filtered voltage ``V_x`` is a known first-order filter of a membrane voltage (its time constant is a design
value). So from measured membrane voltages the *regressor* ``phi`` (the current of each element per unit of
its gain, into each neuron) is computed exactly: no hidden state is needed, only the filters' starting
values, taken as the first measured voltage (their error decays as ``exp(-t / tau)``).
"""

from dataclasses import dataclass

import numpy as np

from .._kernels.estimation import foh_filter
from ..errors import ModelError
from ..model.network import Network
from ..model.neuron import Neuron


@dataclass(frozen=True)
class Column:
    """One element of the model: its gain's path, the element, and the neurons its roles stand for."""

    path: str
    element: object
    ends: dict  # role ("self", "pre", "post", "a", "b") -> neuron index

    @property
    def value(self):
        return float(getattr(self.element, self.element.gain))


@dataclass(frozen=True)
class Structure:
    """What estimation needs of a model: its neurons (names, capacitances) and every element as a column."""

    model: object
    neuron_names: tuple
    capacitance: np.ndarray
    columns: tuple

    @property
    def gains(self):
        """Paths of every gain of the model, in order (neurons' elements, then interconnections)."""
        return tuple(c.path for c in self.columns)

    def column(self, path):
        for c in self.columns:
            if c.path == path:
                return c
        raise KeyError(path)

    def filters(self):
        """Every ``(neuron index, tau)`` pair an element reads (``tau = 0``: the membrane voltage)."""
        pairs = set()
        for col in self.columns:
            for inp in col.element.inputs():
                pairs.add((col.ends[inp.neuron], float(inp.tau)))
        return sorted(pairs)


def structure(model):
    """The :class:`Structure` of a Neuron or a Network."""
    if isinstance(model, Neuron):
        columns = tuple(Column(f"{el.name}.{el.gain}", el, {"self": 0}) for el in model.elements if el.gain)
        return Structure(model, (model.name or "neuron",), np.array([model.C]), columns)
    if isinstance(model, Network):
        names = model.node_names
        index = {name: i for i, name in enumerate(names)}
        columns = []
        for name in names:
            neuron = model.neuron(name)
            columns += [Column(f"{name}.{el.name}.{el.gain}", el, {"self": index[name]}) for el in neuron.elements
                        if el.gain]
        for cname, conn in model.connections.items():
            if conn.element.gain:
                columns.append(Column(f"{cname}.{conn.element.gain}", conn.element,
                                      {role: index[node] for role, node in conn.ends.items()}))
        return Structure(model, tuple(names), np.array([model.neuron(n).C for n in names]), tuple(columns))
    raise ModelError(f"expected a Neuron or a Network (or a preset name), got {type(model).__name__}")


def filtered_voltages(structure, t, v, start=None):
    """``{(neuron, tau): array}`` of every filtered voltage the elements read, from measured ``v``
    (samples x neurons); each filter starts from ``start[(neuron, tau)]`` (a stream's earlier part) or
    else from the first measured voltage."""
    out = {}
    for k, tau in structure.filters():
        if tau == 0.0:
            out[(k, tau)] = v[:, k]
            continue
        x = np.empty((t.size, 1))
        x0 = np.array([start[(k, tau)]]) if start is not None and (k, tau) in start else v[0, k:k + 1].copy()
        foh_filter(t, np.ascontiguousarray(v[:, k:k + 1]), tau, x0, x)
        out[(k, tau)] = x[:, 0]
    return out


def regressors(structure, t, v, filtered=None):
    """``phi`` (columns x samples x neurons): the membrane current each element draws from each neuron per unit
    of its gain, with the sign of the membrane equation (``C dV/dt = I_app + sum_k theta_k phi_k``); ``filtered``:
    the filtered voltages if already computed (:func:`filtered_voltages`).

    A column's regressor is one contiguous block (an element's current is written in one pass, and the estimated
    columns are picked without a strided copy)."""
    if filtered is None:
        filtered = filtered_voltages(structure, t, v)
    n = len(structure.neuron_names)
    phi = np.empty((len(structure.columns), t.size, n))
    for j, col in enumerate(structure.columns):
        unit = col.element.replace(**{col.element.gain: 1.0})
        values = {inp.role: filtered[(col.ends[inp.neuron], float(inp.tau))] for inp in unit.inputs()}
        written = set()
        for role, current in unit.current(**values).items():
            k = col.ends[role]
            if k in written:
                phi[j, :, k] -= current
            else:
                np.negative(np.broadcast_to(current, t.shape), out=phi[j, :, k])
                written.add(k)
        for k in set(range(n)) - written:  # neurons the element draws no current from
            phi[j, :, k] = 0.0
    return phi
