"""Networks: the HCO reference of MODEL.md, symmetry, synchrony, synapse signs, networkx and TOML both
ways, parameters by path everywhere, and clear errors. References come from MODEL.md and from an
independent vector field integrated by scipy (``reference_network.py``)."""

import math
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from reference_network import (
    BURSTING_Y0,
    HCO_Y0_2,
    hco_reference,
    hco_rhythm,
    network_field,
    network_spikes,
)

import neuromorph as nm

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hco_run():
    return nm.preset("hco").simulate(30_000, record=())


# -- the half-centre oscillator of MODEL.md ----------------------------------------------

def test_hco_matches_model_md(hco_run):
    """MODEL.md: anti-phase, phase 0.50 +- 0.02, period 2269.7 +- 0.5 %, 8 spikes per burst (after the transient)."""
    r = hco_run.rhythm(t_start=10_000)["neurons"]
    for name in ("n1", "n2"):
        assert r[name]["pattern"] == "bursting"
        assert r[name]["spikes_per_burst"] == 8
        assert r[name]["burst_period"] == pytest.approx(2269.7, rel=0.005)
    assert r["n2"]["phase"] == pytest.approx(0.50, abs=0.02)
    assert r["n2"]["relation"] == "anti-phase"
    mine = hco_rhythm(hco_run.spikes_of("n1"), hco_run.spikes_of("n2"))
    assert mine["period"] == pytest.approx(2269.7, rel=0.005) and mine["phase"] == pytest.approx(0.5, abs=0.02)


def test_hco_spikes_follow_the_independent_reference(hco_run):
    """Spike times against DOP853 (rtol 1e-10) of a separately written vector field: the same spikes,
    drifting apart only at the default tolerances' accuracy."""
    ref1, ref2, _ = hco_reference()
    for mine, ref in ((hco_run.spikes_of("n1"), ref1), (hco_run.spikes_of("n2"), ref2)):
        assert mine.size == ref.size
        assert np.max(np.abs(mine[:40] - ref[:40])) < 0.5  # the first ~5 bursts
    tight = nm.preset("hco").simulate(12_000, record=(), rtol=1e-9, atol=1e-12)
    assert np.max(np.abs(tight.spikes_of("n1") - ref1[ref1 < 12_000])) < 1e-4


def test_the_builder_is_the_preset():
    assert nm.hco("bursting").compile().state_names == nm.preset("hco").compile().state_names
    a, b = nm.hco("bursting").compile(), nm.preset("hco").compile()
    assert np.array_equal(a.y0, b.y0) and all(np.array_equal(x, y) for x, y in zip(a.arrays, b.arrays))


@pytest.mark.parametrize("method, options", [("dopri5", {}), ("rk4", {"dt": 0.05}), ("rosenbrock23", {})])
def test_identical_neurons_in_identical_states_stay_exactly_symmetric(method, options):
    res = nm.hco("bursting", symmetric=True).simulate(20_000, method=method, **options)
    for state in ("v", "slow", "ultraslow"):
        assert np.array_equal(res[f"n1.{state}"], res[f"n2.{state}"])
    assert np.array_equal(res.spikes_of("n1"), res.spikes_of("n2")) and res.spikes_of("n1").size > 0


def test_a_small_asymmetry_leads_to_anti_phase():
    net = nm.hco("bursting", symmetric=True)
    net.set("n2.v0", -1.85)  # 0.05 away from n1
    r = net.simulate(60_000, record=()).rhythm(t_start=40_000)["neurons"]["n2"]
    assert r["relation"] == "anti-phase" and r["phase"] == pytest.approx(0.5, abs=0.02)


# -- interconnection kinds: what they do -------------------------------------------------

def two_tonic(g):
    """Two tonic spikers (MODEL.md: ISI 32.65 at I_app = -0.7) started apart, joined by a gap junction."""
    net = nm.Network()
    net.add_neuron("a", "tonic", i_app=-0.7)
    net.add_neuron("b", "tonic", i_app=-0.7, initial={"v": 1.0, "slow": 0.5})
    if g:
        net.add_gap_junction("a", "b", g=g)
    return net


def test_a_gap_junction_synchronises_two_identical_tonic_neurons():
    apart = two_tonic(0.0).simulate(2000, record=())
    joined = two_tonic(0.3).simulate(2000, record=())

    def lag(res):
        a, b = res.spikes_of("a"), res.spikes_of("b")
        a, b = a[a > 1500], b[b > 1500]
        return np.min(np.abs(b[:, None] - a[None, :]), axis=1).max()

    assert lag(apart) > 3.0  # uncoupled: they keep their offset
    assert lag(joined) < 0.01  # coupled: spikes coincide


def rest_and_spiker(**synapse):
    """A tonic spiker driving a passive neuron (leak only: at rest V = I_app = 0) through one synapse."""
    net = nm.Network()
    net.add_neuron("pre", "tonic", i_app=-0.7)
    passive = nm.Neuron()
    passive.add_leak()
    net.add_neuron("post", passive)
    if synapse:
        net.add_synapse("pre", "post", **synapse)
    res = net.simulate(2000, dt_out=1.0)
    return float(np.mean(res["post.v"][res.t > 1000]))


@pytest.mark.parametrize("synapse, direction", [
    (dict(kind="conductance", g=0.5, e_syn=-2.0), -1),  # E_syn below rest: hyperpolarises
    (dict(kind="conductance", g=0.5, e_syn=2.0), +1),   # above rest: depolarises
    (dict(kind="current", g=0.5, sign=-1), -1),         # inhibitory current synapse
    (dict(kind="current", g=0.5, sign=+1), +1),
])
def test_synapse_signs(synapse, direction):
    baseline = rest_and_spiker()
    assert baseline == pytest.approx(0.0, abs=1e-9)
    moved = rest_and_spiker(**synapse)
    assert direction * (moved - baseline) > 0.05


def test_a_conductance_synapse_pulls_towards_its_reversal_voltage():
    """With the presynaptic neuron held depolarised (sigma ~ 1), the passive neuron settles where leak and
    synapse balance: V = g E_syn / (1 + g) (closed form)."""
    net = nm.Network()
    held = nm.Neuron(v0=5.0)
    held.add_leak()
    net.add_neuron("pre", held, i_app=5.0)  # V = 5: sigma(2 (5 + 1)) = 1 - 6e-6
    passive = nm.Neuron()
    passive.add_leak()
    net.add_neuron("post", passive)
    net.add_synapse("pre", "post", kind="conductance", g=0.5, e_syn=-2.0)
    res = net.simulate(1000, rtol=1e-9, atol=1e-12)
    s = 1.0 / (1.0 + math.exp(-2.0 * 6.0))
    assert res["post.v"][-1] == pytest.approx(0.5 * s * -2.0 / (1.0 + 0.5 * s), abs=1e-7)


def test_a_synapse_brings_its_own_filter_when_the_presynaptic_neuron_lacks_one():
    net = nm.Network()
    net.add_neuron("a", "tonic", i_app=-0.7)  # filters: tau 20 only
    net.add_neuron("b", "bursting", i_app=-2.0)
    net.add_synapse("a", "b", g=0.2, tau=50.0)
    assert "a.syn_tau50" in net.state_names
    res = net.simulate(500, rtol=1e-10, atol=1e-12, dt_out=0.5)
    # tau dx/dt = V - x from x(0) = V(0): the filter state is V seen through a 50-unit lag
    x, v, t = res["a.syn_tau50"], res["a.v"], res.t
    dx = np.gradient(x, t)  # central differences: accurate where V is smooth, O(dt^2 V'') inside spikes
    error = np.abs(50.0 * dx - (v - x))[10:-10]
    assert np.median(error) < 5e-3 and np.max(error) < 0.3


# -- parameters by path, everywhere ------------------------------------------------------

def test_synaptic_gain_modulation_switches_the_hco_off_and_on():
    """MODEL.md's on-off control by the synaptic gains: without inhibition each neuron bursts on its own
    (period 2493.9, in phase here since they start close); with it, the anti-phase HCO returns."""
    net = nm.hco("bursting")
    schedule = [(20_000.0, {"n1_to_n2.g": 0.0, "n2_to_n1.g": 0.0}), (60_000.0, {"n1_to_n2.g": 0.2, "n2_to_n1.g": 0.2})]
    res = net.simulate(100_000, record=(), modulation=schedule)
    off = res.rhythm(t_start=40_000)
    from neuromorph.analysis.spikes import summarize_spikes
    single = summarize_spikes(res.spikes_of("n1"), 40_000, 60_000)
    assert single["burst_period"] == pytest.approx(2493.9, rel=0.01)  # MODEL.md: the single neuron
    on = res.rhythm(t_start=85_000)["neurons"]["n2"]
    assert on["relation"] == "anti-phase"
    assert off["neurons"]["n2"]["burst_period"] != pytest.approx(on["burst_period"], rel=0.02)


def test_hco_on_off_by_a_pulse():
    """MODEL.md's HCO tool: delta_s- = delta_us+ = -0.88, I_app = -1, strong inhibition: both neurons rest;
    a pulse of -1 for 500 into one neuron starts the anti-phase rhythm."""
    n = nm.preset("bursting")
    n.set("slow_negative.delta", -0.88).set("ultraslow_positive.delta", -0.88)
    net = nm.hco(n, g=1.5, i_app=-1.0, symmetric=True)
    quiet = net.simulate(20_000, record=()).rhythm(t_start=10_000)["neurons"]
    assert quiet["n1"]["n_spikes"] == 0 and quiet["n2"]["n_spikes"] == 0
    res = net.simulate(40_000, record=(), i_app={"n1": -1.0 + nm.Pulse(5000, 5500, -1.0)})
    r = res.rhythm(t_start=20_000)["neurons"]
    assert r["n1"]["pattern"] == r["n2"]["pattern"] == "bursting" and r["n2"]["relation"] == "anti-phase"


def test_paths_in_set_integrator_ensemble_and_map():
    net = nm.hco("bursting")
    net.set("n1.slow_negative.alpha", -1.4).set("n1_to_n2.g", 0.3).set("n2.i_app", -1.9)
    assert (net.get("n1.slow_negative.alpha"), net.get("n1_to_n2.g"), net.get("n2.i_app")) == (-1.4, 0.3, -1.9)
    run = nm.Integrator(net, solver="dopri5")
    run.advance(100.0)
    run.set_parameter("n1.i_app", -3.0)
    run.advance(5000.0)
    assert run.y[net.state_names.index("n1.v")] < -2.5  # pushed to rest by the larger hyperpolarisation
    ens = nm.Ensemble(nm.hco("bursting"), params={"n1_to_n2.g": [0.0, 0.2, 0.4]}).simulate(
        20_000, dt=0.05, t_record=8000)
    assert ens.counts.shape == (2, 3) and ens.spike_counts.shape == (3, 2)  # every neuron is recorded
    assert ens.summary(1, neuron="n2")["spikes_per_burst"] == 8
    m = nm.behaviour_map(nm.hco("bursting"), x=("n1.i_app", [-3.5, -2.0]), t_end=20_000)
    assert m.patterns.shape == (2, 1, 2) and m.of("n1").pattern[0, 0] == "rest"
    assert m.of("n2").pattern[0, 1] == "bursting" and m.predicted is None


def test_a_shared_synaptic_activation_is_structural_but_settable():
    net = nm.Network()
    for name in ("a", "b", "c"):
        net.add_neuron(name, "bursting", i_app=-2.0)
    net.add_synapse("a", "b", g=0.2)
    net.add_synapse("a", "c", g=0.2)  # same presynaptic neuron, filter, delta and k: one activation
    with pytest.raises(nm.ModelError, match="an activation several synapses share"):
        nm.Integrator(net).set_parameter("a_to_b.delta", -0.5)
    net.set("a_to_b.delta", -0.5)  # on the Network it compiles again, with its own activation
    assert "a_to_b.delta" in net.compile().slots
    assert net.compile().arrays.act_in.size == 2


def test_rosenbrock_uses_neuron_blocks_linear_in_size():
    """The implicit solver factors one block per neuron: its work grows linearly with the neurons."""
    from neuromorph._kernels import adaptive

    sizes = [adaptive.work_sizes(adaptive.ROSENBROCK23, nm.ring(n).compile().arrays)[0] for n in (10, 20, 40)]
    assert sizes[1] - sizes[0] == pytest.approx((sizes[2] - sizes[1]) / 2, rel=0.01)
    res = nm.preset("hco").simulate(30_000, method="rosenbrock23", record=())
    assert res.rhythm(t_start=10_000)["neurons"]["n2"]["phase"] == pytest.approx(0.5, abs=0.02)


@pytest.mark.filterwarnings("ignore:`[ra]tol` = 1000:neuromorph.errors.NeuromorphWarning")  # on purpose: fixes h
def test_rosenbrock_is_second_order_on_a_strongly_coupled_network():
    """Coupling is left out of W (a W-method): still order 2, checked against DOP853 on an independent field."""
    net = nm.Network()
    net.add_neuron("a", "tonic", i_app=-0.7)
    net.add_neuron("b", "tonic", i_app=-0.5, initial={"v": 0.5})
    net.add_gap_junction("a", "b", g=2.0)
    from scipy.integrate import solve_ivp

    def f(t, y):
        va, sa, vb, sb = y
        ia = va - 2 * np.tanh(va) + 2 * np.tanh(sa) + 2.0 * (va - vb)
        ib = vb - 2 * np.tanh(vb) + 2 * np.tanh(sb) + 2.0 * (vb - va)
        return [-0.7 - ia, (va - sa) / 20.0, -0.5 - ib, (vb - sb) / 20.0]

    y0 = net.initial_state()
    ref = solve_ivp(f, (0, 30), y0, method="DOP853", rtol=1e-13, atol=1e-14).y[:, -1]
    errors = []
    for h in (0.1, 0.05, 0.025):
        res = net.simulate(30, method="rosenbrock23", rtol=1e3, atol=1e3, h_max=h, h0=h)
        errors.append(np.max(np.abs(res.y[:, -1] - ref)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 1.8) & (orders < 2.3)), orders


# -- networkx and files, both ways ---------------------------------------------------------

def mixed_network():
    net = nm.Network(name="mixed", description="every interconnection kind")
    net.add_neuron("a", "bursting", i_app=-2.0)
    net.add_neuron("b", "tonic", i_app=-0.7, stimulus=nm.Pulse(100.0, 200.0, -0.5))
    odd = nm.Neuron(C=0.5, v0=-0.3, description="inline")
    odd.add_leak(g=1.5)
    odd.add_conductance(g_max=0.3, e_rev=1.0).add_gate(k=2.0, delta=0.1, tau=30.0)
    net.add_neuron("c", odd, i_app=0.25, initial={"v": -0.1})
    net.add_synapse("a", "b", g=0.3)
    net.add_synapse("b", "c", kind="conductance", g=0.4, e_syn=-2.0, tau=20.0, name="inhibit")
    net.add_gap_junction("a", "c", g=0.05)
    net.protocol = nm.Protocol(t_end=3000.0, t_transient=1000.0)
    return net


def test_networkx_round_trip():
    net = mixed_network()
    graph = net.to_networkx()
    assert isinstance(graph, nx.MultiDiGraph)
    assert graph.edges["a", "b", "a_to_b"]["kind"] == "current" and graph.nodes["b"]["i_app"] == -0.7
    back = nm.Network.from_networkx(graph)
    assert back == net and back.protocol == net.protocol and back.description == net.description


def test_networkx_round_trip_keeps_the_order_of_interconnections_and_so_the_bits():
    net = nm.Network(name="order")
    for name in ("a", "b", "c"):
        net.add_neuron(name, "bursting", i_app=-2.0, initial={"v": -2.0 + 0.3 * len(net.node_names)})
    # added in an order the graph's adjacency does not follow (c's edges first)
    net.add_synapse("c", "a", g=0.3)
    net.add_gap_junction("b", "c", g=0.07)
    net.add_synapse("a", "b", g=0.2)
    net.add_synapse("c", "b", g=0.1, tau=20.0)
    back = nm.Network.from_networkx(net.to_networkx())
    assert back.connection_names == net.connection_names
    one, two = net.simulate(4000, record=()), back.simulate(4000, record=())
    np.testing.assert_array_equal(one.spike_times, two.spike_times)


def test_a_gap_junction_given_both_ways_is_refused_unless_both_are_named():
    g = nx.DiGraph()
    g.add_node("x", neuron="bursting")
    g.add_node("y", neuron="bursting")
    g.add_edge("x", "y", kind="gap", g=0.1)
    g.add_edge("y", "x", kind="gap", g=0.1)
    with pytest.raises(nm.ModelError, match="second gap junction between"):
        nm.Network.from_networkx(g)
    g.edges["x", "y"]["name"], g.edges["y", "x"]["name"] = "one", "two"
    assert nm.Network.from_networkx(g).connection_names == ("one", "two")  # two junctions, meant


def test_from_a_plain_digraph():
    g = nx.DiGraph()
    g.add_node("x", neuron="bursting", i_app=-2.0)
    g.add_node("y", neuron="bursting", i_app=-2.0, initial={"v": -2.5, "slow": -2.0, "ultraslow": -2.0})
    g.add_edge("x", "y", g=0.2)
    g.add_edge("y", "x", g=0.2)
    net = nm.Network.from_networkx(g)
    r = net.simulate(30_000, record=()).rhythm(t_start=10_000)["neurons"]["y"]
    assert r["phase"] == pytest.approx(0.5, abs=0.02)  # the HCO again


def test_network_files_round_trip_exactly(tmp_path):
    net = mixed_network()
    text = nm.dumps(net)
    assert nm.loads(text) == net
    nm.save(net, tmp_path / "net.toml")
    assert nm.load(tmp_path / "net.toml") == net
    # a node may read its neuron from a file next to the network file
    nm.save(nm.preset("tonic"), tmp_path / "cell.toml")
    (tmp_path / "two.toml").write_text('format = "neuromorph-network/1"\n[nodes.p]\nfile = "cell.toml"\n'
                                       'i_app = -0.7\n[nodes.q]\nneuron = "tonic"\n')
    two = nm.load(tmp_path / "two.toml")
    assert two.neuron("p").elements == nm.preset("tonic").elements


def test_cli_simulates_network_files(tmp_path):
    import json
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "neuromorph", "simulate", str(ROOT / "circuits" / "hco.toml"),
                           "--json", "--plot", "hco.png"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["neurons"]["n2"]["relation"] == "anti-phase"
    assert out["neurons"]["n1"]["burst_period"] == pytest.approx(2269.7, rel=0.005)
    assert (tmp_path / "hco.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "simulate", str(ROOT / "circuits" / "cpg.toml"),
                           "--set", "b1_to_a2.g=0", "--set", "b2_to_a1.g=0", "--set", "a1_to_b1.g=0",
                           "--set", "a2_to_b2.g=0", "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    phases = {k: v["phase"] for k, v in json.loads(proc.stdout)["neurons"].items()}
    assert phases["a2"] == pytest.approx(0.5, abs=0.02)  # each HCO alone still alternates ...
    cpg = json.loads(subprocess.run([sys.executable, "-m", "neuromorph", "simulate",
                                     str(ROOT / "circuits" / "cpg.toml"), "--json"], cwd=tmp_path,
                                    capture_output=True, text=True, timeout=600).stdout)["neurons"]
    assert [round(cpg[k]["phase"] * 4) % 4 for k in ("a1", "b1", "a2", "b2")] == [0, 1, 2, 3]  # ... chained: a gait


# -- size -------------------------------------------------------------------------------

def random_net(n, k, seed=0):
    rng = np.random.default_rng(seed)
    net = nm.Network()
    bursting = nm.preset("bursting")
    for i in range(n):
        net.add_neuron(f"n{i}", bursting, i_app=-2.0 + rng.uniform(-0.2, 0.2))
    for post in range(n):
        for pre in rng.choice(n - 1, size=k, replace=False):
            pre = pre + (pre >= post)
            net.add_synapse(f"n{pre}", f"n{post}", g=0.02)
    return net


def compiled_bytes(model):
    return sum(a.nbytes for a in model.arrays)


def test_compiled_memory_grows_linearly_with_synapses():
    sizes = {(n, k): compiled_bytes(random_net(n, k).compile()) for n, k in ((500, 10), (500, 20), (1000, 20))}
    per_synapse = (sizes[(500, 20)] - sizes[(500, 10)]) / (500 * 10)
    assert 20 < per_synapse < 120  # a few arrays of 8 bytes per synapse term
    # twice the neurons and synapses: twice the memory
    assert sizes[(1000, 20)] == pytest.approx(2 * sizes[(500, 20)], rel=0.05)


def test_a_network_too_large_for_memory_is_refused_before_it_is_built():
    """ring(10**9) used to add nodes until the kernel killed it (12 GB and growing); now a one-line error at once.
    In a subprocess: without the check it would build for hours, and the timeout ends it."""
    import subprocess

    code = "import neuromorph as nm\nnm.ring(10**9)\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "ModelError: a ring of 1000000000 neurons asked for by `n` needs" in proc.stderr


def test_compiling_a_network_too_large_for_memory_is_refused(monkeypatch):
    """With 4 MiB free (pretended), a ring of 200 neurons is built (~0.9 MB) but not compiled (~4 MB)."""
    from neuromorph import _validate

    monkeypatch.setattr(_validate.os, "sysconf", lambda name: {"SC_AVPHYS_PAGES": 1024, "SC_PAGE_SIZE": 4096}[name])
    net = nm.ring(200)
    with pytest.raises(nm.ModelError, match=r"compiling network 'ring200' \(200 neurons, 400 interconnections\) "
                                            r"asked for by `network` needs [0-9.]+ MiB; 4.0 MiB of memory are free"):
        net.compile()


@pytest.mark.slow
# -- bad input gets a message naming the node or edge ----------------------------------

@pytest.mark.parametrize("build, match", [
    (lambda n: n.add_synapse("a", "zz", g=0.1), r"no node 'zz'; nodes: a, b"),
    (lambda n: n.add_neuron("a", "bursting"), r"node name 'a' is already used"),
    (lambda n: n.add_gap_junction("a", "a", g=0.1), r"joins two different neurons"),
    (lambda n: n.add_synapse("a", "b", g=-0.1), r"synapse 'a' -> 'b': `g` must be >= 0, got -0.1"),
    (lambda n: n.add_synapse("a", "b", kind="electric"), r"unknown synapse kind 'electric'"),
    (lambda n: n.add_synapse("a", "b", g=float("nan")), r"synapse 'a' -> 'b': `g` must be finite"),
    (lambda n: n.add_synapse("a", "b", delta=float("inf")), r"`delta` must be finite"),
    (lambda n: n.add_synapse("a", "b", kind="conductance"), r"needs `e_syn`"),
    (lambda n: n.add_synapse("a", "b", sign=0), r"`sign` must be -1"),
    (lambda n: n.add_neuron("c", "no_such_preset"), r"node 'c': unknown preset 'no_such_preset'"),
    (lambda n: n.add_neuron("d", 42), r"node 'd': expected a Neuron or a preset name"),
    (lambda n: n.set("a_to_b.g", 1.0), r"'a_to_b' is neither a node"),
    (lambda n: n.add_neuron("e", "bursting", initial={"fast": 0.0}), r"node 'e'.*no filter state 'fast'"),
])
def test_bad_network_input(build, match):
    net = nm.Network()
    net.add_neuron("a", "bursting")
    net.add_neuron("b", "bursting")
    with pytest.raises(nm.ModelError, match=match):
        build(net)


@pytest.mark.parametrize("graph, match", [
    (lambda g: g.add_node("x"), r"node 'x' has no 'neuron' attribute"),
    (lambda g: g.add_node("x", neuron="bursting", colour="red"), r"node 'x': unknown attribute 'colour'"),
    (lambda g: g.add_node(3, neuron="bursting"), r"node 3: node names must be strings"),
    (lambda g: (g.add_node("x", neuron="bursting"), g.add_node("y", neuron="bursting"),
                g.add_edge("x", "y", kind="magic")), r"edge 'x' -> 'y': unknown kind 'magic'"),
    (lambda g: (g.add_node("x", neuron="bursting"), g.add_node("y", neuron="bursting"),
                g.add_edge("x", "y", g=0.1, weight=3)), r"edge 'x' -> 'y' \(current_synapse\): unknown attribute 'weight'"),
])
def test_bad_networkx_graphs(graph, match):
    g = nx.DiGraph()
    graph(g)
    with pytest.raises(nm.ModelError, match=match):
        nm.Network.from_networkx(g)


def test_bad_network_files(tmp_path):
    bad = {
        'format = "neuromorph-network/1"\n[nodes.a]\nneuron = "bursting"\n[[connections]]\nkind = "current_synapse"\n'
        'pre = "a"\npost = "b"\ng = 0.1\n': r"connections\[0\] \(current_synapse\): .*no node 'b'",
        'format = "neuromorph-network/1"\n[nodes.a]\nneuron = "bursting"\nfile = "x.toml"\n': "exactly one neuron",
        'format = "neuromorph-network/1"\n[nodes.a]\nneuron = "bursting"\n[[connections]]\nkind = "wire"\n':
            "unknown interconnection kind 'wire'",
        'format = "neuromorph-network/1"\n[nodes.a]\nneuron = "bursting"\nspeed = 3\n': r"unknown key 'speed' in \[nodes.a\]",
    }
    for i, (text, match) in enumerate(bad.items()):
        path = tmp_path / f"bad{i}.toml"
        path.write_text(text)
        with pytest.raises(nm.CircuitFileError, match=match):
            nm.load(path)


def test_the_switching_circuit_hub_follows_either_rhythm():
    """Gutierrez et al. 2013's circuit: the hub bursts with the fast HCO until its synaptic conductance from
    the slow HCO is raised; then it follows the slow one, while both HCOs keep their own periods."""
    res = nm.switching_circuit().simulate(60_000, record=(), modulation=[(30_000.0, {"s1_to_h.g": 1.0})])
    from neuromorph.analysis.spikes import summarize_spikes

    def period(name, t0, t1):
        return summarize_spikes(res.spikes_of(name), t0, t1)["burst_period"]

    fast, slow = period("f1", 10_000, 30_000), period("s1", 10_000, 30_000)
    assert fast < 0.6 * slow
    assert period("h", 10_000, 30_000) == pytest.approx(fast, rel=0.02)
    assert period("h", 40_000, 60_000) == pytest.approx(period("s1", 40_000, 60_000), rel=0.02)
    assert period("f1", 40_000, 60_000) == pytest.approx(fast, rel=0.02)


def test_independent_field_agrees_for_a_random_small_network():
    """Three neurons, inhibitory and excitatory current synapses: spikes against DOP853 of the independent field."""
    synapses = [(0, 1, -1.0, 0.3), (1, 2, 1.0, 0.1), (2, 0, -1.0, 0.2)]
    f = network_field(3, synapses, -2.0)
    y0 = (*BURSTING_Y0, *HCO_Y0_2, -2.0, -1.5, -1.9)
    ref, _ = network_spikes(f, 3, y0, 8000.0)
    net = nm.Network()
    for i, start in enumerate((BURSTING_Y0, HCO_Y0_2, (-2.0, -1.5, -1.9))):
        net.add_neuron(f"n{i}", "bursting", i_app=-2.0, initial=dict(zip(("v", "slow", "ultraslow"), start)))
    for pre, post, sign, g in synapses:
        net.add_synapse(f"n{pre}", f"n{post}", g=g, sign=int(sign))
    res = net.simulate(8000, record=(), rtol=1e-10, atol=1e-12)
    for i in range(3):
        assert res.spikes_of(f"n{i}").size == ref[i].size
        assert np.max(np.abs(res.spikes_of(f"n{i}") - ref[i])) < 1e-4


# -- found by a review as a user would use it ------------------------------------------------

def passive(g=1.0):
    n = nm.Neuron()
    n.add_leak(g=g)
    return n


def test_an_edges_name_is_not_a_parameter():
    net = nm.hco()
    with pytest.raises(nm.ModelError, match=r"current_synapse 'n1_to_n2' has no parameter 'name'"):
        net.set("n1_to_n2.name", "foo")
    with pytest.raises(nm.ModelError, match=r"node 'n2': .*`alpha` must be a real number"):
        net.set("n2.slow_negative.alpha", "x")


def test_i_app_given_for_a_node_replaces_its_whole_current():
    """Passive neurons settle at their applied current: what the node gets is exactly what was given."""
    net = nm.Network()
    net.add_neuron("a", passive(), i_app=1.0, stimulus=nm.Pulse(0.0, 100.0, 1.0))
    net.add_neuron("b", passive())
    assert net.simulate(50, rtol=1e-10, atol=1e-12)["a.v"][-1] == pytest.approx(2.0, abs=1e-8)  # its own: 1 + 1
    res = net.simulate(50, i_app={"a": 0.5}, rtol=1e-10, atol=1e-12)
    assert res["a.v"][-1] == pytest.approx(0.5, abs=1e-8) and res["b.v"][-1] == pytest.approx(0.0, abs=1e-8)
    for bad, match in (({5: 0.0}, "neuron names as keys"), ({"zz": 0.0}, "unknown neuron 'zz'")):
        with pytest.raises(nm.ModelError, match=match):
            net.simulate(50, i_app=bad)


def test_rhythm_reports_neurons_at_another_period_as_such():
    """The switching circuit's hub follows the fast HCO: the slow HCO's neurons burst at about twice its
    period, so no 1:1 phase relation (they were called "in-phase" with the hub)."""
    r = nm.switching_circuit().simulate(40_000, record=()).rhythm(reference="h", t_start=10_000)["neurons"]
    for name in ("s1", "s2"):
        assert r[name]["relation"] == "other period" and r[name]["phase"] is None
        assert r[name]["period_ratio"] == pytest.approx(2.0, rel=0.05)
    assert r["f1"]["relation"] in ("in-phase", "phase-locked", "anti-phase")
    with pytest.raises(nm.ModelError, match="`t_end` must be a real number"):
        nm.preset("hco").simulate(100, record=()).rhythm(t_end="abc")
    res = nm.preset("hco").simulate(3000, record=())
    assert np.array_equal(res.spikes_of(np.int64(1)), res.spikes_of("n2"))


def test_construction_messages_name_what_is_wrong():
    net = nm.Network()
    with pytest.raises(nm.ModelError, match=r"node 'n': preset 'hco' is a network, not a neuron$"):
        net.add_neuron("n", "hco")
    g = nx.DiGraph()
    g.add_node("n", neuron="bursting")
    g.add_node("m", neuron="bursting")
    g.add_edge("n", "m", kind="conductance", g=0.1)
    with pytest.raises(nm.ModelError, match=r"edge 'n' -> 'm' \(conductance_synapse\): needs `e_syn`"):
        nm.Network.from_networkx(g)
    with pytest.raises(nm.ModelError, match="`sign` is for current synapses"):
        nm.ring(3).add_synapse("r0", "r1", kind="conductance", sign=1, e_syn=0.0)
    with pytest.raises(nm.ModelError, match="two node names"):
        nm.hco(names=("a",))


def test_add_synapses_is_all_or_none():
    net = nm.ring(3)
    before = net.connection_names
    with pytest.raises(nm.ModelError, match="no node 'r9'"):
        net.add_synapses(["r0", "r1", "r2"], ["r1", "r2", "r9"], g=0.1)
    assert net.connection_names == before
    with pytest.raises(nm.ModelError, match="`pre` must be a sequence of node names"):
        net.add_synapses("r0", ["r1"])
    with pytest.raises(nm.ModelError, match="unknown parameter 'gg'"):
        net.add_synapses(["r0"], ["r1"], gg=0.1)
    names = net.add_synapses(np.array(["r0"]), ["r1"], g=np.array(0.2))
    assert net.get(f"{names[0]}.g") == 0.2


def test_network_file_problems_are_named_in_the_files_words(tmp_path):
    def load(text):
        (tmp_path / "net.toml").write_text('format = "neuromorph-network/1"\n' + text)
        return nm.load(tmp_path / "net.toml")

    with pytest.raises(nm.CircuitFileError, match=r"\[nodes.n1\] neuron: unknown preset '../b.toml'.*write "
                                                  r'file = "path.toml" instead'):
        load('[nodes.n1]\nneuron = "../b.toml"\n')
    with pytest.raises(nm.CircuitFileError, match=r"`pre` must be a node name, got \['n1'\]"):
        load('[nodes.n1]\nneuron = "bursting"\n[[connections]]\nkind = "current"\npre = ["n1"]\npost = "n1"\ng = 0.1\n')
    with pytest.raises(nm.CircuitFileError, match=r"\[nodes.n1.initial\]: `initial v` must be a real number"):
        load('[nodes.n1]\nneuron = "bursting"\n[nodes.n1.initial]\nv = "a"\n')
    short = load('[nodes.a]\nneuron = "tonic"\n[nodes.b]\nneuron = "tonic"\n[[connections]]\nkind = "gap"\n'
                 'a = "a"\nb = "b"\ng = 0.1\n')
    assert short.connections["a_gap_b"].kind == "gap_junction"
    (tmp_path / "loop.toml").write_text('format = "neuromorph-network/1"\n[nodes.x]\nfile = "loop.toml"\n')
    with pytest.raises(nm.CircuitFileError, match="refers back to itself"):
        nm.load(tmp_path / "loop.toml")
    with pytest.raises(nm.CircuitFileError, match=r"\[nodes.m\] file = 'missing.toml': .*does not exist"):
        load('[nodes.m]\nfile = "missing.toml"\n')
    with pytest.raises(nm.ModelError, match="has no neurons: nothing to write"):
        nm.save(nm.Network(), tmp_path / "empty.toml")


def test_results_and_figures_of_networks():
    res = nm.preset("hco").simulate(3000, record=("n2.v",))
    path = Path(__import__("tempfile").mkdtemp()) / "r.npz"
    res.save(path)
    with np.load(path) as data:
        assert data["neuron_names"].tolist() == ["n1", "n2"]  # spike_neurons can be decoded
    with pytest.raises(nm.ModelError, match="pass the result of simulate"):
        nm.plot_network(nm.hco())
    import matplotlib

    matplotlib.use("Agg")
    axes = nm.plot_network(nm.preset("bursting").simulate(5000, -2.0))
    assert len(axes[0].lines) == 1 and axes[-1].get_xlim() == (0.0, 5000.0)  # a single neuron's trace too
    with pytest.raises(nm.ModelError, match=r"I-V curves are those of one neuron: pass network.neuron"):
        nm.iv_curves(nm.hco())


def test_map_figure_cells_sit_on_their_parameter_values():
    import matplotlib

    matplotlib.use("Agg")
    m = nm.behaviour_map(nm.preset("tonic"), x=("i_app", [-1.0, 0.0, 1.0]), y=("C", [1.0, 2.0]), t_end=200,
                         predict=False)
    image = nm.plot_behaviour_map(m).images[0]
    assert image.get_extent() == [-1.5, 1.5, 0.5, 2.5]  # cell i centred on x_i


def test_cli_map_of_a_network_names_the_neuron(tmp_path):
    from helpers import run

    proc = run(tmp_path, "map", ROOT / "circuits" / "hco.toml", "--x", "n1_to_n2.g:0:0.2:2", "--t-end", 6000,
               "--node", "n2")
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first.startswith("hco, neuron n2: 2 cells") and second.startswith("  neuron n1:")
    proc = run(tmp_path, "map", ROOT / "circuits" / "hco.toml", "--x", "n1_to_n2.g:0:0.2:2", "--node", "n7")
    assert proc.returncode == 2 and "--node 'n7'" in proc.stderr


def test_builders_refuse_an_unknown_synapse_keyword_naming_the_allowed_ones():
    with pytest.raises(nm.ModelError, match="hco: unknown parameter 'tua'; allowed: delta, k, sign, tau"):
        nm.hco(tua=20.0)
    with pytest.raises(nm.ModelError, match="ring: unknown parameter 'bogus'"):
        nm.ring(3, bogus=1.0)


def test_a_network_copy_shares_no_neuron_with_its_original():
    net = nm.hco()
    other = net.copy()
    other.nodes["n1"].neuron.set("slow_negative.alpha", -1.0)
    assert net.neuron("n1").get("slow_negative.alpha") == -1.5
