"""Neuron and element specs: construction, names, filters, initial state, parameter paths, validation."""

import math

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.errors import ModelError


def bursting_neuron():
    """The four-element mixed-feedback neuron of MODEL.md, built through the API."""
    n = nm.Neuron(C=1.0, v0=-1.9)
    n.add_leak(g=1.0)
    n.add_current(alpha=-2.0, delta=0.0, tau=0.0)
    n.add_current(alpha=2.0, delta=0.0, tau=50.0)
    n.add_current(alpha=-1.5, delta=-1.5, tau=50.0)
    n.add_current(alpha=1.5, delta=-1.5, tau=2500.0)
    return n


# -- construction and names ---------------------------------------------------

def test_neuron_level_values_are_stored_as_floats():
    n = nm.Neuron(C=2, v0=-1, threshold=0.5, name="cell", description="text")
    assert (n.C, n.v0, n.threshold) == (2.0, -1.0, 0.5)
    assert all(type(x) is float for x in (n.C, n.v0, n.threshold))
    assert n.name == "cell" and n.description == "text"
    assert len(n) == 0 and n.elements == () and n.state_names == ("v",)


def test_auto_names_of_the_four_reference_elements():
    n = bursting_neuron()
    assert n.element_names == ("leak", "fast_negative", "slow_positive", "slow_negative", "ultraslow_positive")
    assert n["slow_negative"] == nm.Current(alpha=-1.5, delta=-1.5, tau=50.0, name="slow_negative")
    assert isinstance(n["leak"], nm.Leak)


def test_add_returns_handle_with_the_chosen_name():
    n = nm.Neuron()
    handle = n.add_current(alpha=-1.0, delta=0.0, tau=50.0)
    assert handle.name == "slow_negative"
    assert handle.element is n["slow_negative"]


def test_name_clash_gets_numbered_suffix():
    n = nm.Neuron()
    n.add_current(alpha=-1.0, delta=0.0, tau=50.0)
    n.add_current(alpha=-0.5, delta=1.0, tau=60.0)
    n.add_current(alpha=-0.2, delta=2.0, tau=70.0)
    assert n.element_names == ("slow_negative", "slow_negative_2", "slow_negative_3")
    assert n["slow_negative_2"].alpha == -0.5
    assert n["slow_negative_3"].delta == 2.0


def test_auto_name_skips_an_explicitly_taken_name():
    n = nm.Neuron()
    n.add_current(alpha=1.0, delta=0.0, tau=50.0, name="slow_positive")
    n.add_current(alpha=1.0, delta=0.0, tau=50.0, name="slow_positive_2")
    n.add_current(alpha=2.0, delta=0.0, tau=50.0)
    assert n.element_names[-1] == "slow_positive_3"
    assert n["slow_positive_3"].alpha == 2.0


def test_timescale_label_boundaries():
    """Fast below 1, ultraslow from sqrt(50 * 2500) on, slow in between."""
    from neuromorph.model.elements import timescale_label

    edge = math.sqrt(50.0 * 2500.0)
    assert timescale_label(0.0) == "fast"
    assert timescale_label(0.999) == "fast"
    assert timescale_label(1.0) == "slow"
    assert timescale_label(np.nextafter(edge, 0.0)) == "slow"
    assert timescale_label(edge) == "ultraslow"
    assert timescale_label(2500.0) == "ultraslow"


def test_zero_alpha_counts_as_positive_in_auto_name():
    n = nm.Neuron()
    n.add_current(alpha=0.0, delta=0.0, tau=2500.0)
    assert n.element_names == ("ultraslow_positive",)


def test_explicit_duplicate_name_is_rejected():
    n = nm.Neuron()
    n.add_leak()
    with pytest.raises(ModelError, match="'leak'.*already used"):
        n.add_leak()


@pytest.mark.parametrize("reserved", ["C", "v0", "threshold"])
def test_element_may_not_take_a_neuron_field_name(reserved):
    n = nm.Neuron()
    with pytest.raises(ModelError, match=repr(reserved)):
        n.add_current(alpha=1.0, delta=0.0, name=reserved)


@pytest.mark.parametrize("bad", ["1abc", "a b", "slow.alpha", "", "x-y"])
def test_invalid_element_names_are_rejected(bad):
    n = nm.Neuron()
    with pytest.raises(ModelError, match="`name`") as info:
        n.add_current(alpha=1.0, delta=0.0, name=bad)
    assert repr(bad) in str(info.value)
    assert len(n) == 0


def test_invalid_neuron_name_is_rejected():
    with pytest.raises(ModelError, match="'my neuron'"):
        nm.Neuron(name="my neuron")


def test_add_accepts_only_elements():
    n = nm.Neuron()
    with pytest.raises(ModelError, match="expected an element"):
        n.add(nm.Gate(k=1.0, delta=0.0))


def test_remove_element_and_unknown_remove():
    n = bursting_neuron()
    n.remove("ultraslow_positive")
    assert "ultraslow_positive" not in n
    assert n.state_names == ("v", "slow")
    with pytest.raises(ModelError, match="'ultraslow_positive'"):
        n.remove("ultraslow_positive")


# -- filters and states ------------------------------------------------------

def test_filter_state_names_of_reference_neuron():
    n = bursting_neuron()
    assert n.filter_taus == (50.0, 2500.0)
    assert n.state_names == ("v", "slow", "ultraslow")


def test_elements_with_equal_tau_share_one_filter():
    n = nm.Neuron()
    n.add_current(alpha=2.0, delta=0.0, tau=50.0)
    n.add_current(alpha=-1.5, delta=-1.5, tau=50.0)
    n.add_conductance(g_max=1.0, e_rev=1.0).add_gate(k=2.0, delta=0.0, tau=50.0)
    assert n.state_names == ("v", "slow")
    model = n.compile()
    assert model.n_states == 2


def test_instantaneous_elements_need_no_filter():
    n = nm.Neuron()
    n.add_leak()
    n.add_current(alpha=-2.0, delta=0.0, tau=0.0)
    n.add_conductance(g_max=1.0, e_rev=0.0).add_gate(k=1.0, delta=0.0)
    assert n.filter_taus == ()
    assert n.state_names == ("v",)


def test_two_filters_in_one_band_are_named_by_tau():
    n = nm.Neuron()
    n.add_current(alpha=2.0, delta=0.0, tau=20.0)
    n.add_current(alpha=-1.5, delta=-1.5, tau=50.0)
    n.add_current(alpha=1.0, delta=0.0, tau=12.5)
    n.add_current(alpha=1.0, delta=0.0, tau=2500.0)
    assert n.state_names == ("v", "slow_tau12p5", "slow_tau20", "slow_tau50", "ultraslow")


def test_fast_but_nonzero_tau_gets_a_fast_filter():
    n = nm.Neuron()
    n.add_current(alpha=1.0, delta=0.0, tau=0.5)
    assert n.state_names == ("v", "fast")


def test_inactivation_filter_is_shared_with_equal_tau():
    n = bursting_neuron()
    n.add_current(alpha=-1.6, delta=-0.88, tau=50.0, inactivation_delta=-0.5, inactivation_tau=2500.0)
    assert n.state_names == ("v", "slow", "ultraslow")


def test_close_time_constants_get_distinct_state_names():
    n = nm.Neuron()
    n.add_current(alpha=1.0, delta=0.0, tau=50.0)
    n.add_current(alpha=1.0, delta=0.0, tau=50.00001)
    names = n.state_names
    assert len(set(names)) == len(names)


# -- initial state -----------------------------------------------------------

def test_filters_start_at_v0_by_default():
    n = bursting_neuron()
    assert n.initial_values() == {"v": -1.9, "slow": -1.9, "ultraslow": -1.9}
    np.testing.assert_array_equal(n.initial_state(), [-1.9, -1.9, -1.9])


def test_set_initial_by_state_name():
    n = bursting_neuron()
    assert n.set_initial(slow=-1.8) is n
    assert n.initial_values() == {"v": -1.9, "slow": -1.8, "ultraslow": -1.9}
    n.set_initial(v=-2.0, ultraslow=-1.7)
    assert n.v0 == -2.0
    np.testing.assert_array_equal(n.initial_state(), [-2.0, -1.8, -1.7])


def test_initial_state_reaches_the_compiled_model():
    n = bursting_neuron().set_initial(slow=-1.8, ultraslow=-1.7)
    np.testing.assert_array_equal(n.compile().y0, [-1.9, -1.8, -1.7])


def test_unset_filter_follows_a_later_v0_change():
    n = bursting_neuron().set_initial(slow=-1.8)
    n.set_initial(v=-1.0)
    assert n.initial_values() == {"v": -1.0, "slow": -1.8, "ultraslow": -1.0}


def test_set_initial_unknown_filter_lists_the_known_ones():
    n = bursting_neuron()
    with pytest.raises(ModelError, match="'fast'") as info:
        n.set_initial(fast=0.0)
    assert "slow, ultraslow" in str(info.value)


def test_set_initial_rejects_nan():
    n = bursting_neuron()
    with pytest.raises(ModelError, match="slow.*nan"):
        n.set_initial(slow=float("nan"))
    assert n.initial_values()["slow"] == -1.9


# -- parameter paths ---------------------------------------------------------

def test_get_neuron_level_paths():
    n = nm.Neuron(C=2.0, v0=-1.5, threshold=0.25)
    assert (n.get("C"), n.get("v0"), n.get("threshold")) == (2.0, -1.5, 0.25)


def test_set_neuron_level_paths():
    n = bursting_neuron()
    n.set("C", 2.0).set("v0", -1.0).set("threshold", 0.5)
    assert (n.C, n.v0, n.threshold) == (2.0, -1.0, 0.5)
    assert n.compile().arrays.st_rate[0] == 0.5


def test_set_capacitance_is_validated():
    n = bursting_neuron()
    with pytest.raises(ModelError, match="`C`.*0"):
        n.set("C", 0.0)


def test_get_and_set_element_paths():
    n = bursting_neuron()
    assert n.get("slow_negative.alpha") == -1.5
    assert n.set("slow_negative.alpha", -1.2) is n
    assert n.get("slow_negative.alpha") == -1.2
    assert n["slow_negative"].alpha == -1.2
    n.set("ultraslow_positive.tau", 3000)
    assert n.filter_taus == (50.0, 3000.0)


def test_set_recompiles_the_model():
    n = bursting_neuron()
    before = n.compile()
    n.set("fast_negative.alpha", -2.5)
    after = n.compile()
    assert after is not before
    assert -2.5 in after.arrays.el_gain and -2.0 not in after.arrays.el_gain


def test_inactivation_parameters_by_path():
    n = nm.Neuron()
    n.add_current(alpha=-1.6, delta=-0.88, tau=50.0, name="x", inactivation_delta=-0.5, inactivation_tau=2500.0)
    assert n.get("x.inactivation_delta") == -0.5
    assert n.get("x.inactivation_k") == -2.0
    n.set("x.inactivation_delta", -0.7)
    assert n["x"].inactivation_delta == -0.7
    assert n["x"].inactivating


def test_conductance_gate_parameters_by_path():
    n = nm.Neuron()
    handle = n.add_conductance(g_max=1.0, e_rev=1.0)
    assert handle.add_gate(k=2.0, delta=0.0, tau=50.0) is handle
    handle.add_gate(k=-2.0, delta=-1.0)
    assert n.get("conductance.gate0_k") == 2.0
    assert n.get("conductance.gate1_delta") == -1.0
    n.set("conductance.gate0_k", 3.0)
    n.set("conductance.gate1_tau", 2500.0)
    el = n["conductance"]
    assert el.gates == (nm.Gate(3.0, 0.0, 50.0), nm.Gate(-2.0, -1.0, 2500.0))
    assert n.state_names == ("v", "slow", "ultraslow")


def test_parameters_lists_every_path():
    n = nm.Neuron()
    n.add_leak(g=0.5)
    n.add_conductance(g_max=1.0, e_rev=1.0).add_gate(k=2.0, delta=0.0)
    assert n.parameters() == {
        "C": 1.0, "v0": 0.0, "threshold": 0.0, "hysteresis": 0.5, "leak.g": 0.5, "leak.e_rev": 0.0,
        "conductance.g_max": 1.0, "conductance.e_rev": 1.0,
        "conductance.gate0_k": 2.0, "conductance.gate0_delta": 0.0, "conductance.gate0_tau": 0.0,
    }


def test_unknown_element_in_path_is_named():
    n = bursting_neuron()
    with pytest.raises(ModelError, match="no element 'nope'") as info:
        n.get("nope.alpha")
    assert "slow_negative" in str(info.value)


def test_unknown_field_in_path_is_named():
    n = bursting_neuron()
    with pytest.raises(ModelError, match="'slow_negative'.*no parameter 'beta'") as info:
        n.set("slow_negative.beta", 1.0)
    assert "alpha" in str(info.value)


@pytest.mark.parametrize("path", ["alpha", "slow_negative.", "", "slow_negative.inactivation_delta"])
def test_malformed_or_unavailable_paths(path):
    n = bursting_neuron()
    with pytest.raises(ModelError):
        n.get(path)


def test_non_string_path():
    with pytest.raises(ModelError, match="must be a string"):
        bursting_neuron().get(3)


@pytest.mark.parametrize("value, text", [(float("nan"), "nan"), (float("inf"), "inf"), (True, "True"),
                                         ("-1", "'-1'")])
def test_set_validates_element_values(value, text):
    n = bursting_neuron()
    with pytest.raises(ModelError, match="`alpha`") as info:
        n.set("slow_negative.alpha", value)
    assert text in str(info.value)
    assert n.get("slow_negative.alpha") == -1.5


def test_set_negative_tau_is_rejected():
    n = bursting_neuron()
    with pytest.raises(ModelError, match="`tau`.*-5"):
        n.set("slow_negative.tau", -5.0)
    assert n.filter_taus == (50.0, 2500.0)


# -- copy and equality -------------------------------------------------------

def test_copy_is_equal_and_independent():
    n = bursting_neuron().set_initial(slow=-1.8)
    c = n.copy()
    assert c == n and c is not n
    c.set("slow_negative.alpha", -1.0)
    c.set_initial(slow=-1.0)
    c.add_leak(g=0.1, name="extra")
    assert n.get("slow_negative.alpha") == -1.5
    assert n.initial_values()["slow"] == -1.8
    assert "extra" not in n
    assert c != n


def test_equality_compares_content():
    a, b = bursting_neuron(), bursting_neuron()
    assert a == b
    b.set("leak.g", 1.0 + 1e-15)
    assert a != b
    b = bursting_neuron().set_initial(ultraslow=-1.8)
    assert a != b
    b = bursting_neuron()
    b.name = "other"
    assert a != b
    assert a != "bursting"


def test_neuron_is_not_hashable():
    with pytest.raises(TypeError):
        hash(nm.Neuron())


# -- validation of specs -----------------------------------------------------

@pytest.mark.parametrize("field", ["alpha", "delta", "tau"])
@pytest.mark.parametrize("value, text", [(float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf")])
def test_current_rejects_non_finite(field, value, text):
    args = {"alpha": 1.0, "delta": 0.0, "tau": 10.0, field: value}
    with pytest.raises(ModelError, match=f"`{field}`") as info:
        nm.Current(**args)
    assert text in str(info.value)


@pytest.mark.parametrize("value, text", [(True, "True"), ("1.0", "'1.0'"), (None, "None"), ([1.0], "[1.0]")])
def test_number_fields_reject_non_numbers(value, text):
    with pytest.raises(ModelError, match="`alpha` must be a real number") as info:
        nm.Neuron().add_current(alpha=value, delta=0.0)
    assert text in str(info.value)


def test_numpy_scalars_are_accepted_as_numbers():
    el = nm.Current(alpha=np.float32(-1.5), delta=np.int64(0), tau=np.float64(50.0))
    assert (el.alpha, el.delta, el.tau) == (-1.5, 0.0, 50.0)
    assert type(el.alpha) is float


@pytest.mark.parametrize("tau", [-1.0, -1e-300])
def test_negative_tau_is_rejected(tau):
    with pytest.raises(ModelError, match="`tau` must be >= 0") as info:
        nm.Neuron().add_current(alpha=1.0, delta=0.0, tau=tau)
    assert repr(tau) in str(info.value)


@pytest.mark.parametrize("C", [0.0, -1.0, -0.0])
def test_capacitance_must_be_positive(C):
    with pytest.raises(ModelError, match="`C` must be > 0") as info:
        nm.Neuron(C=C)
    assert repr(float(C)) in str(info.value)


@pytest.mark.parametrize("kwargs, field", [
    ({"C": float("nan")}, "C"), ({"v0": float("inf")}, "v0"), ({"threshold": "0"}, "threshold"),
    ({"C": False}, "C"),
])
def test_neuron_fields_are_validated(kwargs, field):
    with pytest.raises(ModelError, match=f"`{field}`"):
        nm.Neuron(**kwargs)


def test_leak_and_conductance_fields_are_validated():
    with pytest.raises(ModelError, match="`g`.*nan"):
        nm.Neuron().add_leak(g=float("nan"))
    with pytest.raises(ModelError, match="`e_rev`.*'x'"):
        nm.Neuron().add_leak(e_rev="x")
    with pytest.raises(ModelError, match="`g_max`.*inf"):
        nm.Neuron().add_conductance(g_max=float("inf"), e_rev=0.0)


def test_gate_fields_are_validated():
    n = nm.Neuron()
    handle = n.add_conductance(g_max=1.0, e_rev=0.0)
    with pytest.raises(ModelError, match="`tau` must be >= 0.*-2"):
        handle.add_gate(k=1.0, delta=0.0, tau=-2.0)
    with pytest.raises(ModelError, match="`k`.*nan"):
        handle.add_gate(k=float("nan"), delta=0.0)
    assert n["conductance"].gates == ()


def test_conductance_gates_must_be_gates():
    with pytest.raises(ModelError, match=r"`gates\[1\]`"):
        nm.Conductance(g_max=1.0, e_rev=0.0, gates=(nm.Gate(1.0, 0.0), (1.0, 0.0)))


@pytest.mark.parametrize("kwargs", [{"inactivation_delta": -0.5}, {"inactivation_tau": 2500.0}])
def test_inactivation_needs_both_delta_and_tau(kwargs):
    with pytest.raises(ModelError, match="inactivation_delta.*inactivation_tau.*together"):
        nm.Neuron().add_current(alpha=-1.6, delta=-0.88, tau=50.0, **kwargs)


def test_inactivation_values_are_validated():
    with pytest.raises(ModelError, match="`inactivation_tau` must be >= 0"):
        nm.Current(alpha=-1.6, delta=-0.88, tau=50.0, inactivation_delta=-0.5, inactivation_tau=-1.0)
    with pytest.raises(ModelError, match="`inactivation_delta`.*nan"):
        nm.Current(alpha=-1.6, delta=-0.88, tau=50.0, inactivation_delta=float("nan"), inactivation_tau=1.0)


def test_add_gate_on_a_current_is_rejected():
    n = nm.Neuron()
    handle = n.add_current(alpha=-2.0, delta=0.0)
    with pytest.raises(ModelError, match="conductance.*'fast_negative' is a current"):
        handle.add_gate(k=1.0, delta=0.0)
    assert n["fast_negative"] == nm.Current(alpha=-2.0, delta=0.0, name="fast_negative")


def test_add_gate_on_a_leak_is_rejected():
    with pytest.raises(ModelError, match="'leak' is a leak"):
        nm.Neuron().add_leak().add_gate(k=1.0, delta=0.0)


def test_element_specs_are_frozen():
    el = nm.Current(alpha=1.0, delta=0.0)
    with pytest.raises(AttributeError):
        el.alpha = 2.0


def test_element_replace_validates_and_names_unknown_fields():
    el = nm.Current(alpha=1.0, delta=0.0, tau=50.0, name="x")
    assert el.replace(alpha=-1.2) == nm.Current(alpha=-1.2, delta=0.0, tau=50.0, name="x")
    with pytest.raises(ModelError, match="no parameter 'gamma'"):
        el.replace(gamma=1.0)


def test_neuron_rejects_bad_description_and_protocol():
    with pytest.raises(ModelError, match="description"):
        nm.Neuron(description=5)
    with pytest.raises(ModelError, match="protocol"):
        nm.Neuron(protocol={"t_end": 10})


def test_model_error_is_a_value_error():
    assert issubclass(ModelError, ValueError)
    assert issubclass(ModelError, nm.NeuromorphError)


def test_changing_a_time_constant_keeps_the_filters_initial_value():
    n = nm.preset("bursting")  # slow and ultraslow start at -1.8, v at -1.9
    n.set("ultraslow_positive.tau", 3000.0)
    assert n.initial_values() == {"v": -1.9, "slow": -1.8, "ultraslow": -1.8}
    n.set("slow_negative.tau", 60.0)  # splits the shared slow filter: both halves start where it did
    assert n.initial_values() == {"v": -1.9, "slow_tau50": -1.8, "slow_tau60": -1.8, "ultraslow": -1.8}
