"""Every registered element kind: its kernel current, analytic derivatives and Jacobian agree with its own
NumPy equation, with finite differences, and with a plain NumPy evaluation of the lowered terms.

A kind added to the registry without an example here fails ``test_every_registered_kind_has_an_example``.
"""

import numpy as np
import pytest

import neuromorph as nm
from neuromorph._kernels.field import empty_stim, rhs_call, scratch_size
from neuromorph.lower.compile import dense_jacobian
from neuromorph.model.kinds import KINDS

EXAMPLES = {
    "leak": [nm.Leak(g=0.7, e_rev=-0.3)],
    "current": [nm.Current(alpha=-1.7, delta=0.4, tau=0.0),
                nm.Current(alpha=1.3, delta=-0.9, tau=40.0),
                nm.Current(alpha=-1.1, delta=-0.8, tau=50.0, inactivation_delta=-0.6, inactivation_tau=700.0,
                           inactivation_k=-2.3)],
    "conductance": [nm.Conductance(g_max=0.9, e_rev=1.2),
                    nm.Conductance(g_max=0.8, e_rev=-3.0, gates=(nm.Gate(k=2.0, delta=0.1, tau=30.0),
                                                                 nm.Gate(k=-1.5, delta=-0.3, tau=0.0)))],
    "current_synapse": [nm.CurrentSynapse(g=0.35, sign=-1, delta=-1.0, k=2.0, tau=50.0),
                        nm.CurrentSynapse(g=0.2, sign=1, delta=0.3, k=-1.5, tau=20.0)],
    "conductance_synapse": [nm.ConductanceSynapse(g=0.4, e_syn=-2.5, delta=-0.7, k=3.0, tau=50.0)],
    "gap_junction": [nm.GapJunction(g=0.6)],
}

CASES = [(kind, i) for kind, items in EXAMPLES.items() for i in range(len(items))]


def test_every_registered_kind_has_an_example():
    assert set(EXAMPLES) == set(KINDS)


def build(element):
    """A compiled model holding only ``element`` (C = 1, no leak, no stimulus), the state index of each
    of its input roles, and the membrane state of each of its targets."""
    if not element.connects:
        n = nm.Neuron()
        n.add(element)
        model = n.compile()
        names = n.filter_names
        roles = {inp.role: model.state_index("v" if inp.tau == 0 else names[inp.tau]) for inp in element.inputs()}
        return model, roles, {"self": model.state_index("v")}
    net = nm.Network()
    ends = dict(zip(element.connects, ("p", "q")))
    for node in ends.values():
        net.add_neuron(node, nm.Neuron())
    name = net.add_connection(element, ends)
    model = net.compile()
    roles = {}
    for inp in element.inputs():
        node = ends[inp.neuron]
        state = f"{node}.v" if inp.tau == 0 else next(s for s in model.state_names if s.startswith(f"{node}.syn_tau"))
        roles[inp.role] = model.state_index(state)
    assert name in {path.split(".")[0] for path in model.slots}
    return model, roles, {role: model.state_index(f"{node}.v") for role, node in ends.items()}


def kernel_field(model, y):
    dy = np.zeros_like(y)
    rhs_call(model.arrays, empty_stim(model.n_neurons), 0.0, False, y, dy, np.zeros(scratch_size(model.arrays)))
    return dy


def numpy_field(arrays, y):
    """The lowered terms evaluated in plain NumPy, from the layout's definition (an independent reader)."""
    dy = np.zeros_like(y)
    current = arrays.i_bias.copy()
    for e in range(arrays.el_base.size):
        x = y[arrays.el_in[e]] - arrays.el_off[e]
        base = {0: x, 1: np.tanh(x), 2: 1.0}[int(arrays.el_base[e])]
        gates = 1.0
        for i in range(arrays.gate_ptr[e], arrays.gate_ptr[e + 1]):
            a = arrays.gate_act[i]
            gates *= 1.0 / (1.0 + np.exp(-arrays.act_k[a] * (y[arrays.act_in[a]] - arrays.act_off[a])))
        neuron = int(np.flatnonzero(arrays.mem_state == arrays.el_tgt[e])[0])
        current[neuron] -= arrays.el_gain[e] * base * gates
    dy[arrays.mem_state] = current * arrays.st_rate[arrays.mem_state]
    f = arrays.filt_state
    dy[f] = (y[arrays.st_src[f]] - y[f]) * arrays.st_rate[f]
    return dy


def random_state(model, seed):
    return np.random.default_rng(seed).uniform(-2.5, 2.5, model.n_states)


@pytest.mark.parametrize("kind, i", CASES)
def test_kernel_current_is_the_kinds_equation(kind, i):
    element = EXAMPLES[kind][i]
    model, roles, targets = build(element)
    for seed in range(5):
        y = random_state(model, seed)
        dy = kernel_field(model, y)
        expected = element.current(**{role: y[s] for role, s in roles.items()})
        for target, state in targets.items():  # an end the element draws no current from (pre) stays at 0
            assert -dy[state] == pytest.approx(float(expected.get(target, 0.0)), rel=1e-13, abs=1e-14)  # C = 1
        assert np.allclose(dy, numpy_field(model.arrays, y), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kind, i", CASES)
def test_analytic_derivatives_match_finite_differences_of_the_equation(kind, i):
    element = EXAMPLES[kind][i]
    _, roles, _ = build(element)
    rng = np.random.default_rng(7)
    for _ in range(5):
        values = {role: rng.uniform(-2.5, 2.5) for role in roles}
        analytic = element.derivatives(**values)
        for role in roles:
            h = 1e-6
            up = element.current(**{**values, role: values[role] + h})
            down = element.current(**{**values, role: values[role] - h})
            for target in analytic:
                fd = (up[target] - down[target]) / (2 * h)
                assert float(analytic[target][role]) == pytest.approx(float(fd), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("kind, i", CASES)
def test_kernel_jacobian_matches_derivatives_and_finite_differences_of_the_kernel(kind, i):
    element = EXAMPLES[kind][i]
    model, roles, targets = build(element)
    y = random_state(model, 3)
    jac = dense_jacobian(model, y)
    h = 1e-6
    fd = np.column_stack([(kernel_field(model, y + h * e) - kernel_field(model, y - h * e)) / (2 * h)
                          for e in np.eye(model.n_states)])
    assert np.allclose(jac, fd, rtol=1e-6, atol=1e-8)
    analytic = element.derivatives(**{role: y[s] for role, s in roles.items()})
    for target, row in targets.items():
        expected = np.zeros(model.n_states)
        for role, d in analytic.get(target, {}).items():
            expected[roles[role]] -= d  # membrane current leaves: d(dV/dt)/dy = -dI/dy (C = 1)
        assert np.allclose(jac[row], expected, rtol=1e-12, atol=1e-14)  # the target's row: this element alone


@pytest.mark.parametrize("kind, i", CASES)
def test_lanes_kernel_evaluates_the_same_field(kind, i):
    """One Euler step of the ensemble lanes from y: (y1 - y) / dt is the lanes' vector field at y."""
    element = EXAMPLES[kind][i]
    model, _, _ = build(element)
    y = random_state(model, 11)
    dt = 2.0 ** -10
    res = nm.Ensemble(model, size=3).simulate(dt, dt=dt, method="euler", y0=y)
    assert np.allclose((res.final_state - y) / dt, kernel_field(model, y), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind, i", [(k, i) for k, i in CASES if not KINDS[k].connects])  # one neuron's curves
def test_iv_curves_use_the_kinds_equation(kind, i):
    element = EXAMPLES[kind][i]
    n = nm.Neuron()
    n.add(element)
    v = np.linspace(-2, 2, 9)
    steady = nm.iv_current(n, v, "steady")
    expected = element.current(**{inp.role: v for inp in element.inputs()})["self"]
    assert np.allclose(steady, expected, rtol=1e-13, atol=1e-14)
