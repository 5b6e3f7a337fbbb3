"""The data layout the kernels read: model and stimulus arrays, and their codes (no numba here).

A compiled model is one state vector holding every membrane voltage and every filtered
voltage of every neuron, a list of *activations* ``a_j = sigma(act_k[j] (y[act_in[j]] - act_off[j]))``
and a list of *terms*, each a membrane current

    I = gain * base(y[input] - offset) * prod_(j in its gates) a_j

with ``base`` :data:`LINEAR` (``x``), :data:`TANH` (``tanh x``) or :data:`CONST` (``1``), drawn
from the membrane of a target neuron. Synapses of one presynaptic neuron with the same filter,
``delta`` and ``k`` share one activation (computed once per evaluation, not once per synapse). Every element kind lowers to such terms
(:mod:`neuromorph.model.kinds`), so one compiled kernel serves every neuron and network and a
parameter change never recompiles. ``input`` and gate inputs index any state of the whole
model: a synapse reads a presynaptic filter, a gap junction the other neuron's membrane.

States (``n_states``), stored neuron by neuron (each neuron's states are one contiguous block)
    ``st_kind``  MEMBRANE or FILTER
    ``st_rate``  1/C for a membrane, 1/tau for a filter
    ``st_src``   filter: index of the membrane state it follows;
                 membrane: index of its neuron (its stimulus row and threshold)
    ``filt_state`` indices of the filter states
Activations (``n_act``), sorted by input state: ``act_in``, ``act_k``, ``act_off``.
Terms (``n_terms``), stored in four groups (ungated TANH; ungated LINEAR; synaptic inputs,
CONST with one gate; any other gated term), each group by target neuron, so the loops need no
per-term branches and the TANH group is one contiguous, vectorisable pass: ``el_group[n] =
[TANH start, end, LINEAR start, end, synaptic start, end, gated start, end]`` for neuron ``n``
    ``el_base``, ``el_tgt`` (target membrane state), ``el_in``, ``el_gain``, ``el_off``
    gates of term ``e``: ``gate_ptr[e]:gate_ptr[e+1]`` into ``gate_act`` (activation indices)
Neurons (``n_neurons``)
    ``mem_state`` index of each neuron's membrane state; ``i_bias`` its constant applied current
    (the ``i_app`` parameter), added to its stimulus; ``thresholds`` its spike threshold and
    ``hysteresis`` how far below it the voltage must fall before the next spike counts
    (:func:`neuromorph.analysis.spikes.spike_times` is the definition).
Jacobian (a fixed sparsity pattern, computed in this order: per term its input, then the
inputs of its gates; then per filter its diagonal and its source)
    ``jac_row``, ``jac_col``; ``jac_slot`` the entry's place in the neuron-block storage
    (-1 for an entry between neurons: synapses and gap junctions);
    ``blk_ptr`` the state range of each neuron's block, ``blk_off`` where its dense matrix starts.
Execution: ``chunks[0]`` pieces the vector field's passes are cut into (1; the integrator sets
the thread count for large models in its parallel fixed-step kernel).

The stimulus of neuron ``n`` is piecewise linear on segments
``stim.t[ptr[n]:ptr[n+1]]`` (the first starts at -inf): value
``a + b (t - t_start)``. ``stim.jumps`` lists its discontinuities; solvers
never step across one, and evaluate the left limit at a step's end.
"""

from collections import namedtuple

__all__ = ["Model", "Stim", "Noise", "MEMBRANE", "FILTER", "LINEAR", "TANH", "CONST"]

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
        "gate_ptr", "gate_act", "act_in", "act_k", "act_off",
        "mem_state", "i_bias", "thresholds", "hysteresis",
        "jac_row", "jac_col", "jac_slot", "blk_ptr", "blk_off",
        "chunks",
    ],
)

Stim = namedtuple("Stim", ["ptr", "t", "a", "b", "jumps"])

Noise = namedtuple("Noise", ["src_state", "src_sigma", "src_path_dt", "ou_mem", "ou_mean", "ou_rate", "ids"])
Noise.__doc__ = """Additive noise of a stochastic run (all arrays; empty ones for a deterministic run).

The state of a noisy run is the model's states followed by one state per Ornstein-Uhlenbeck
source, ``d eta = (ou_mean - eta) ou_rate dt + ou_sigma sqrt(2 ou_rate) dW``, whose value is a
current into membrane state ``ou_mem``. Source ``j`` adds ``b_j dW_j`` to state ``src_state[j]``:
``b_j = src_sigma[j] * st_rate[state]`` for a model state (a current noise of intensity sigma
into its capacitance: 1/C for a membrane, 1/tau for a filter), ``b_j = src_sigma[j]`` for an
OU state (set to ``sigma sqrt(2 rate)``). ``src_path_dt[j]`` > 0: source ``j`` follows the Brownian
path of a run at step ``src_path_dt[j]`` (a step of ``m`` times that sums its ``m`` draws; see
:func:`.fixed.draw_increments`); 0: it draws its own, one pair of normals per step. ``ids`` (uint64): the Philox key (two words of the
seed), then the trial and the chip, which with the grid step, the source and the piece make
the counter of each draw (:mod:`.rng`)."""


# Models of at most this many neurons have each TANH term's ``tanh`` computed where the neuron's current sums
# it (:func:`.field.rhs`), not in the vector pass, so their scratch holds no TANH values.
INLINE_UPTO = 2


def scratch_size(model):
    """Floats of scratch the vector field needs: activation values, then TANH-group values (none in a model
    of :data:`INLINE_UPTO` neurons or fewer)."""
    return model.act_in.size + (n_tanh(model) if model.mem_state.size > INLINE_UPTO else 0)


def n_tanh(model):
    """Number of TANH-group terms (the group comes first, so it ends where the last neuron's ends)."""
    return int(model.el_group[-1, 1])
