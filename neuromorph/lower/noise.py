"""Lower noise sources (:mod:`neuromorph.model.noise`) to the kernels' :class:`~.layout.Noise` arrays."""

import numpy as np

from .._kernels import rng
from .._kernels.layout import Noise
from ..errors import ModelError
from ..model.stimulus import OUProcess

__all__ = ["lower_noise", "no_noise", "initial_ou", "initial_ou_members", "noise_scale", "warn_if_noise_dominates"]

INITIAL_PIECE = rng.MAX_PIECES - 1  # the piece of the draws that start OU states (never a step's)


def no_noise():
    """The Noise of a deterministic run (every array empty)."""
    return Noise(src_state=np.empty(0, np.int64), src_sigma=np.empty(0), src_path_dt=np.empty(0),
                 ou_mem=np.empty(0, np.int64), ou_mean=np.empty(0), ou_rate=np.empty(0), ids=np.zeros(4, np.uint64))


def _resolve(model, name):
    """State index a target name puts noise on."""
    if name in model.state_names:
        return model.state_names.index(name)
    mem = model.arrays.mem_state
    if name in model.neuron_names:
        return int(mem[model.neuron_names.index(name)])
    element = model.elements.get(name + ".")
    if element is not None:
        if element.connects:
            raise ModelError(f"noise target {name!r} is an interconnection: put the noise on the neuron it drives")
        head = name.split(".")[0] if "." in name else None
        return int(mem[0 if head is None else model.neuron_names.index(head)])
    elements = sorted(p[:-1] for p, el in model.elements.items() if not el.connects)
    raise ModelError(f"unknown noise target {name!r}; targets are states ({', '.join(model.state_names[:12])}), "
                     f"neurons ({', '.join(model.neuron_names[:12])}) or elements ({', '.join(elements[:12])})")


def lower_noise(model, sources, seed, trial=0, chip=0):
    """``Noise`` arrays of ``sources`` (a list from :func:`~neuromorph.model.noise.as_noise_list`) for ``model``.

    White sources come first, then one source per OU state (whose states follow the model's).
    """
    states, sigmas, paths, ou_mem, ou_mean, ou_rate, ou_sigma = [], [], [], [], [], [], []
    mem = model.arrays.mem_state
    for src in sources:
        if isinstance(src, OUProcess):  # a current into every membrane
            targets = [int(k) for k in mem]
            for k in targets:
                ou_mem.append(k)
                ou_mean.append(src.mean)
                ou_rate.append(1.0 / src.tau)
                ou_sigma.append(src.sigma)
        else:
            targets = [int(k) for k in mem] if src.target is None else [_resolve(model, t) for t in src.target]
            for k in targets:
                states.append(k)
                sigmas.append(src.sigma)
                paths.append(0.0 if src.path_dt is None else src.path_dt)
    ns = model.n_states
    for i, (rate, sigma) in enumerate(zip(ou_rate, ou_sigma)):
        states.append(ns + i)
        sigmas.append(sigma * np.sqrt(2.0 * rate))
        paths.append(0.0)
    if len(states) >= rng.MAX_SOURCES:
        raise ModelError(f"at most {rng.MAX_SOURCES - 1} noise sources, got {len(states)}")
    k0, k1 = rng.key_of(seed)
    return Noise(src_state=np.array(states, np.int64), src_sigma=np.array(sigmas, np.float64),
                 src_path_dt=np.array(paths, np.float64), ou_mem=np.array(ou_mem, np.int64),
                 ou_mean=np.array(ou_mean, np.float64), ou_rate=np.array(ou_rate, np.float64),
                 ids=np.array([k0, k1, trial, chip], np.uint64))


def initial_ou(noise):
    """Initial OU states of a single run (its trial and chip), from their stationary distributions."""
    return initial_ou_members(noise, noise.ids[2:3], noise.ids[3:4])[:, 0]


def initial_ou_members(noise, trials, chips):
    """Initial OU states (n_ou, n_members) of members ``trials[i]`` on ``chips[i]``: stationary draws,
    keyed like the solvers' (the OU state's own source, grid step 0, a piece no step uses)."""
    n_ou = noise.ou_mem.size
    n_white = noise.src_state.size - n_ou
    out = np.empty((n_ou, len(trials)))
    for i in range(n_ou):
        word3 = int(rng.tag(rng.INTRINSIC, n_white + i, INITIAL_PIECE))
        z = rng.member_normals(noise.ids[0], noise.ids[1], np.asarray(trials, np.uint64), np.asarray(chips, np.uint64),
                               word3, 0)
        out[i] = noise.ou_mean[i] + noise.src_sigma[n_white + i] / np.sqrt(2.0 * noise.ou_rate[i]) * z
    return out


def noise_scale(model, noise):
    """Per neuron, how far its noise may push its current (10 sigma, OU means): widens the runaway bounds."""
    ns = model.n_states
    extra = np.zeros(ns + noise.ou_mem.size)
    white = noise.src_state < ns
    np.add.at(extra, noise.src_state[white], 10.0 * noise.src_sigma[white])
    np.add.at(extra, noise.ou_mem, np.abs(noise.ou_mean) + 10.0 * noise.src_sigma[~white] / np.sqrt(2.0 * noise.ou_rate))
    return np.add.reduceat(extra[:ns], model.arrays.blk_ptr[:-1])


def warn_if_noise_dominates(model, noise, i_bias=None):
    """Warn (:class:`~neuromorph.errors.NeuromorphWarning`) about each neuron whose noise is stronger than
    every current its circuit can make: the applied current, its elements' largest currents and its
    restoring conductance at the voltages its offsets span (the parts of the runaway bounds). Such a
    run shows the noise, not the circuit, and its summaries (spikes, bursts) describe nothing but the
    noise; it is allowed, but never silently."""
    if not noise.src_state.size:
        return
    from .. import _validate as v
    from ..errors import NeuromorphWarning

    restoring, bounded, coupling, scale = model.bound_parts
    i_bias = model.arrays.i_bias if i_bias is None else i_bias
    circuit = np.abs(i_bias) + bounded + (np.maximum(restoring, 0.0) + coupling) * scale
    spread = noise_scale(model, noise) / 10.0  # the noise's sigma (and OU means / 10) per neuron
    for n in np.flatnonzero(spread > np.maximum(circuit, 1e-300)):
        who = f"neuron {model.neuron_names[n]!r}" if model.n_neurons > 1 else "the neuron"
        v.warn(f"the noise on {who} (sigma ~ {spread[n]:.3g}) is stronger than every current its circuit makes "
               f"(at most ~{circuit[n]:.3g}): the run shows the noise, not the circuit, and its spikes and "
               "pattern say nothing about the circuit's behaviour", NeuromorphWarning)
