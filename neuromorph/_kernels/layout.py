"""The data layout the kernels read: model and stimulus arrays, and their codes (no numba here).

A compiled model is one state vector holding every membrane voltage and every filtered
voltage of every neuron, and a list of *terms*, each a membrane current

    I = gain * base(y[input] - offset) * prod_i sigma(gate_k[i] * (y[gate_input[i]] - gate_offset[i]))

with ``base`` :data:`LINEAR` (``x``), :data:`TANH` (``tanh x``) or :data:`CONST` (``1``), drawn
from the membrane of a target neuron. Every element kind lowers to such terms
(:mod:`neuromorph.model.kinds`), so one compiled kernel serves every neuron and network and a
parameter change never recompiles. ``input`` and gate inputs index any state of the whole
model: a synapse reads a presynaptic filter, a gap junction the other neuron's membrane.

States (``n_states``), stored neuron by neuron (each neuron's states are one contiguous block)
    ``st_kind``  MEMBRANE or FILTER
    ``st_rate``  1/C for a membrane, 1/tau for a filter
    ``st_src``   filter: index of the membrane state it follows;
                 membrane: index of its neuron (its stimulus row and threshold)
    ``filt_state`` indices of the filter states
Terms (``n_terms``), stored by target neuron and, within a neuron, in groups, so the
loops need no per-term branches: ``el_group[n] = [start of ungated TANH, start of ungated
LINEAR, start of gated (any base), end]``
    ``el_base``, ``el_tgt`` (target membrane state), ``el_in``, ``el_gain``, ``el_off``
    gates of term ``e``: ``gate_ptr[e]:gate_ptr[e+1]`` into ``gate_in``, ``gate_k``, ``gate_off``
Neurons (``n_neurons``)
    ``mem_state`` index of each neuron's membrane state; ``i_bias`` its constant applied current
    (the ``i_app`` parameter), added to its stimulus; ``thresholds`` its spike threshold.
Jacobian (a fixed sparsity pattern, computed in this order: per term its input, then its
gates; then per filter its diagonal and its source)
    ``jac_row``, ``jac_col``; ``jac_slot`` the entry's place in the neuron-block storage
    (-1 for an entry between neurons: synapses and gap junctions);
    ``blk_ptr`` the state range of each neuron's block, ``blk_off`` where its dense matrix starts.

The stimulus of neuron ``n`` is piecewise linear on segments
``stim.t[ptr[n]:ptr[n+1]]`` (the first starts at -inf): value
``a + b (t - t_start)``. ``stim.jumps`` lists its discontinuities; solvers
never step across one, and evaluate the left limit at a step's end.
"""

from collections import namedtuple

__all__ = ["Model", "Stim", "MEMBRANE", "FILTER", "LINEAR", "TANH", "CONST"]

MEMBRANE = 0
FILTER = 1

LINEAR = 0
TANH = 1
CONST = 2

Model = namedtuple(
    "Model",
    [
        "st_kind", "st_rate", "st_src", "filt_state",
        "el_group", "el_base", "el_tgt", "el_in", "el_gain", "el_off",
        "gate_ptr", "gate_in", "gate_k", "gate_off",
        "mem_state", "i_bias", "thresholds",
        "jac_row", "jac_col", "jac_slot", "blk_ptr", "blk_off",
    ],
)

Stim = namedtuple("Stim", ["ptr", "t", "a", "b", "jumps"])
