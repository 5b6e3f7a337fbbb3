"""Circuit files: exact round trips, strict reading with located errors, atomic writing, presets."""

import os
import stat
import struct
from pathlib import Path

import pytest

import neuromorph as nm
from neuromorph.errors import CircuitFileError, ModelError
from neuromorph.io.files import atomic_write

CIRCUITS = Path(__file__).resolve().parents[1] / "circuits"
PRESETS = sorted(p.stem for p in CIRCUITS.glob("*.toml"))
NEURON_PRESETS = [name for name in PRESETS if "nodes" not in (CIRCUITS / f"{name}.toml").read_text(encoding="utf-8")]


def bits(x):
    """The 64 bits of a float (tells -0.0 from 0.0)."""
    return struct.pack("<d", x)


def assert_bit_exact(a, b):
    """Every parameter, initial value and protocol number of two neurons is the same float, bit for bit."""
    pa, pb = a.parameters(), b.parameters()
    assert list(pa) == list(pb)
    for key in pa:
        assert bits(pa[key]) == bits(pb[key]), key
    ia, ib = a.initial_values(), b.initial_values()
    assert list(ia) == list(ib)
    for key in ia:
        assert bits(ia[key]) == bits(ib[key]), key
    assert a.name == b.name and a.description == b.description
    assert (a.protocol is None) == (b.protocol is None)
    if a.protocol is not None:
        assert bits(a.protocol.t_end) == bits(b.protocol.t_end)
        assert bits(a.protocol.t_transient) == bits(b.protocol.t_transient)


def all_kinds_neuron():
    """Every element kind, awkward floats, a multi-gate conductance and an inactivating current."""
    n = nm.Neuron(C=0.1 + 0.2, v0=-0.0, threshold=1e-300, name="all_kinds",
                  description='quotes " and \\ backslash, tab\t, newline\n, unicode µ')
    n.add_leak(g=1.0 / 3.0, e_rev=-0.0)
    n.add_current(alpha=-2.0, delta=5e-324, tau=0.0)
    n.add_current(alpha=2.0, delta=0.1 + 0.7, tau=50.0)
    n.add_current(alpha=-1.6, delta=-0.88, tau=50.0, name="inact", inactivation_delta=-0.5,
                  inactivation_tau=2500.0, inactivation_k=-2.25)
    n.add_current(alpha=1.0000000000000002e11, delta=-1.5, tau=12.5)
    (n.add_conductance(g_max=0.7, e_rev=1.9999999999999998)
     .add_gate(k=2.0, delta=0.0, tau=50.0)
     .add_gate(k=-3.0, delta=-1.0, tau=2500.0)
     .add_gate(k=1.5, delta=0.25))
    n.set_initial(slow_tau12p5=-1.1, slow_tau50=-1.8, ultraslow=-1.7000000000000002)
    n.protocol = nm.Protocol(
        t_end=20000.0, t_transient=0.1,
        i_app=nm.Constant(-2.5) + nm.Pulse(6667.0, 13333.0, -0.5) + nm.Steps([100.0, 200.5], [0.25, -0.0], 0.125)
        + nm.Sampled([0.0, 0.1, 0.30000000000000004], [1.0, -1.0, 2.0]),
    )
    return n


# -- round trips ---------------------------------------------------------------------

@pytest.mark.parametrize("name", PRESETS)
def test_preset_string_round_trip_is_equal(name):
    n = nm.preset(name)
    assert nm.loads(nm.dumps(n)) == n


@pytest.mark.parametrize("name", NEURON_PRESETS)  # networks: tests/test_network.py
def test_preset_file_round_trip_is_bit_exact(name, tmp_path):
    n = nm.preset(name)
    path = tmp_path / f"{name}.toml"
    nm.save(n, path)
    back = nm.load(path)
    assert_bit_exact(back, n)
    assert back.protocol == n.protocol
    assert back.element_names == n.element_names
    assert back.elements == n.elements
    # Writing again gives the same bytes: the format is stable.
    nm.save(back, tmp_path / "again.toml")
    assert (tmp_path / "again.toml").read_bytes() == path.read_bytes()


def test_all_kinds_round_trip_string_and_file(tmp_path):
    n = all_kinds_neuron()
    back = nm.loads(nm.dumps(n))
    assert back == n
    assert_bit_exact(back, n)
    path = tmp_path / "all.toml"
    nm.save(n, path)
    back = nm.load(path)
    assert back == n
    assert_bit_exact(back, n)
    assert bits(back.v0) == bits(-0.0) and bits(back["leak"].e_rev) == bits(-0.0)
    assert back.C == 0.1 + 0.2 and back.C != 0.3
    assert back["fast_negative"].delta == 5e-324
    assert back["inact"].inactivating and back["inact"].inactivation_k == -2.25
    assert back["conductance"].gates == n["conductance"].gates
    assert len(back["conductance"].gates) == 3


def test_protocol_pulses_and_steps_survive_round_trip():
    n = nm.preset("bursting")
    stim = nm.Constant(-2.0) + nm.Pulse(1000.0, 1500.0, 0.75) + nm.Steps([3000.0, 4000.0], [-0.5, 0.0])
    n.protocol = nm.Protocol(t_end=5000.0, i_app=stim, t_transient=250.0)
    text = nm.dumps(n)
    assert "[[simulation.stimulus]]" in text and 'kind = "pulse"' in text and 'kind = "steps"' in text
    back = nm.loads(text)
    assert back.protocol == n.protocol
    t = [0.0, 999.0, 1000.0, 1499.0, 1500.0, 3000.0, 3999.0, 4000.0]
    assert back.protocol.i_app(t).tolist() == [-2.0, -2.0, -1.25, -1.25, -2.0, -2.5, -2.5, -2.0]
    assert (back.protocol.t_end, back.protocol.t_transient) == (5000.0, 250.0)


def test_preset_protocol_is_read_from_the_file():
    p = nm.preset("post_inhibitory_rebound").protocol
    assert p.t_end == 20000.0
    assert p.i_app([0.0, 6667.0, 13333.0]).tolist() == [-2.5, -3.0, -2.5]


def test_api_neuron_with_default_filter_initials_round_trips():
    n = nm.Neuron(v0=-1.9)
    n.add_leak()
    n.add_current(alpha=2.0, delta=0.0, tau=50.0)
    assert nm.loads(nm.dumps(n)) == n


@pytest.mark.parametrize("stim", [-2.5 + nm.Pulse(6667.0, 13333.0, -0.5), nm.Pulse(6667.0, 13333.0, -0.5)],
                         ids=["number_plus_pulse", "pulse_alone"])
def test_protocol_written_naturally_round_trips(stim):
    n = nm.preset("bursting")
    n.protocol = nm.Protocol(t_end=20000.0, i_app=stim)
    assert nm.loads(nm.dumps(n)) == n


def test_description_with_carriage_return_round_trips():
    n = nm.preset("tonic")
    n.description = "line one\r\nline two"
    assert nm.loads(nm.dumps(n)).description == n.description


# -- reading errors --------------------------------------------------------------------

BASE = """\
format = "neuromorph/1"
name = "t"

[neuron]
v0 = -1.9

[initial]
slow = -1.8

[[elements]]
kind = "leak"
g = 1.0

[[elements]]
kind = "current"
alpha = 2.0
delta = 0.0
tau = 50.0
"""


def write(tmp_path, text, name="circuit.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(CircuitFileError) as info:
        nm.load(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_base_text_is_valid(tmp_path):
    n = nm.load(write(tmp_path, BASE))
    assert n.element_names == ("leak", "slow_positive")
    assert n.initial_values() == {"v": -1.9, "slow": -1.8}


def test_unknown_top_level_key(tmp_path):
    message = load_error(tmp_path, "colour = 'red'\n" + BASE)
    assert "unknown key 'colour'" in message and "top level" in message


def test_unknown_key_in_neuron_table(tmp_path):
    message = load_error(tmp_path, BASE.replace("v0 = -1.9", "v0 = -1.9\ncapacitance = 2.0"))
    assert "unknown key 'capacitance'" in message and "[neuron]" in message


def test_unknown_key_inside_an_element(tmp_path):
    message = load_error(tmp_path, BASE.replace("tau = 50.0", "tau = 50.0\nbeta = 1.0"))
    assert "unknown key 'beta'" in message and "elements[1] (current)" in message


def test_missing_required_key(tmp_path):
    message = load_error(tmp_path, BASE.replace("alpha = 2.0\n", ""))
    assert "missing key 'alpha'" in message and "elements[1]" in message


def test_missing_elements(tmp_path):
    message = load_error(tmp_path, 'name = "t"\n')
    assert "missing key 'elements'" in message


@pytest.mark.parametrize("value, shown", [('"2.0"', "'2.0'"), ("true", "True")])
def test_wrong_type_for_alpha(tmp_path, value, shown):
    message = load_error(tmp_path, BASE.replace("alpha = 2.0", f"alpha = {value}"))
    assert "elements[1] (current)" in message and "`alpha`" in message and shown in message


def test_wrong_type_in_neuron_table(tmp_path):
    message = load_error(tmp_path, BASE.replace("v0 = -1.9", "v0 = false"))
    assert "[neuron]" in message and "`v0`" in message


def test_invalid_value_in_element(tmp_path):
    message = load_error(tmp_path, BASE.replace("tau = 50.0", "tau = -50.0"))
    assert "elements[1]" in message and "`tau` must be >= 0" in message


def test_unknown_element_kind(tmp_path):
    message = load_error(tmp_path, BASE.replace('kind = "leak"', 'kind = "capacitor"'))
    assert "unknown element kind 'capacitor'" in message and "elements[0]" in message
    assert "leak, current, conductance" in message


def test_element_without_kind(tmp_path):
    message = load_error(tmp_path, BASE.replace('kind = "leak"\n', ""))
    assert "elements[0]" in message and "kind" in message


def test_element_kind_of_wrong_type(tmp_path):
    message = load_error(tmp_path, BASE.replace('kind = "leak"', 'kind = ["leak"]'))
    assert "elements[0]" in message


def test_unknown_key_in_a_gate(tmp_path):
    text = BASE + '\n[[elements]]\nkind = "conductance"\ng_max = 1.0\ne_rev = 1.0\n\n' \
                  "[[elements.gates]]\nk = 2.0\ndelta = 0.0\nslope = 1.0\n"
    message = load_error(tmp_path, text)
    assert "unknown key 'slope'" in message and "elements[2].gates[0]" in message


def test_invalid_toml_syntax(tmp_path):
    message = load_error(tmp_path, BASE.replace("alpha = 2.0", "alpha = = 2.0"))
    assert "not valid TOML" in message and "line 16" in message


def test_unknown_filter_name_in_initial(tmp_path):
    message = load_error(tmp_path, BASE.replace("slow = -1.8", "ultraslow = -1.8"))
    assert "[initial]" in message and "'ultraslow'" in message and "slow" in message


def test_unsupported_format(tmp_path):
    message = load_error(tmp_path, BASE.replace('"neuromorph/1"', '"neuromorph/2"'))
    assert "unsupported format 'neuromorph/2'" in message and "neuromorph/1" in message


def test_unknown_key_in_simulation(tmp_path):
    message = load_error(tmp_path, BASE + "\n[simulation]\nt_end = 100.0\nduration = 5.0\n")
    assert "unknown key 'duration'" in message and "[simulation]" in message


def test_missing_t_end_in_simulation(tmp_path):
    message = load_error(tmp_path, BASE + "\n[simulation]\ni_app = -1.0\n")
    assert "missing key 't_end'" in message


def test_bad_stimulus_piece(tmp_path):
    text = BASE + '\n[simulation]\nt_end = 100.0\n\n[[simulation.stimulus]]\nkind = "pulse"\nstart = 5.0\n' \
                  "stop = 2.0\namplitude = 1.0\n"
    message = load_error(tmp_path, text)
    assert "simulation.stimulus[0]" in message and "`stop` must be > `start`" in message


def test_unknown_stimulus_kind(tmp_path):
    text = BASE + '\n[simulation]\nt_end = 100.0\n\n[[simulation.stimulus]]\nkind = "ramp"\n'
    message = load_error(tmp_path, text)
    assert "unknown stimulus kind 'ramp'" in message


def test_nonexistent_file(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(CircuitFileError, match="does not exist") as info:
        nm.load(path)
    assert str(path) in str(info.value)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(CircuitFileError, match="cannot read") as info:
        nm.load(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_loads_names_the_given_source():
    with pytest.raises(CircuitFileError, match="^my-source: unknown key 'x'"):
        nm.loads("x = 1\n" + BASE, source="my-source")


def test_circuit_file_error_is_a_model_error():
    assert issubclass(CircuitFileError, ModelError) and issubclass(CircuitFileError, ValueError)


# -- atomic writing ---------------------------------------------------------------------

def bad_neuron():
    """A neuron whose text cannot be encoded as UTF-8 (set after construction, which checks it)."""
    n = nm.preset("tonic")
    n.description = "lone surrogate \ud800"
    return n


def failing_writer(f):
    f.write("half a file")
    raise RuntimeError("the writer failed half way")


def test_save_into_missing_folder_leaves_nothing(tmp_path):
    target = tmp_path / "missing" / "n.toml"
    with pytest.raises(OSError, match="does not exist"):
        nm.save(nm.preset("bursting"), target)
    assert list(tmp_path.iterdir()) == []


def test_text_that_is_not_unicode_is_refused_naming_the_field(tmp_path):
    with pytest.raises(nm.ModelError, match="`description` holds a character that is not valid Unicode"):
        nm.save(bad_neuron(), tmp_path / "n.toml")
    with pytest.raises(nm.ModelError, match="`description`"):
        nm.Neuron(description="lone \ud800")
    assert list(tmp_path.iterdir()) == []


def test_failing_writer_leaves_no_file_and_no_temporary(tmp_path):
    from neuromorph.io.files import atomic_write

    with pytest.raises(RuntimeError, match="half way"):
        atomic_write(tmp_path / "n.toml", failing_writer)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "n.toml"
    nm.save(nm.preset("bursting"), path)
    before = path.read_bytes()
    from neuromorph.io.files import atomic_write

    with pytest.raises(RuntimeError, match="half way"):
        atomic_write(path, failing_writer)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["n.toml"]
    assert nm.load(path) == nm.preset("bursting")


def test_save_over_a_directory_leaves_no_temporary(tmp_path):
    (tmp_path / "n.toml").mkdir()
    with pytest.raises(OSError):
        nm.save(nm.preset("bursting"), tmp_path / "n.toml")
    assert [p.name for p in tmp_path.iterdir()] == ["n.toml"]
    assert (tmp_path / "n.toml").is_dir()


def test_interrupted_write_leaves_no_temporary(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("old", encoding="utf-8")

    def writer(f):
        f.write("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, writer)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_save_refuses_non_neurons(tmp_path):
    with pytest.raises(ModelError, match="expected a Neuron"):
        nm.save({"name": "x"}, tmp_path / "x.toml")
    assert list(tmp_path.iterdir()) == []


def test_save_overwrites_existing_file(tmp_path):
    path = tmp_path / "n.toml"
    nm.save(nm.preset("bursting"), path)
    nm.save(nm.preset("tonic"), path)
    assert nm.load(path) == nm.preset("tonic")
    assert [p.name for p in tmp_path.iterdir()] == ["n.toml"]


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_saved_file_has_normal_permissions(tmp_path):
    expected = 0o666 & ~_umask()
    if expected == 0o600:
        pytest.skip("with this umask a plain open() also gives 0600")
    path = tmp_path / "n.toml"
    nm.save(nm.preset("bursting"), path)
    assert stat.S_IMODE(path.stat().st_mode) == expected


# -- presets ---------------------------------------------------------------------------

def test_presets_are_the_circuit_files():
    assert list(nm.presets()) == PRESETS
    assert len(NEURON_PRESETS) == 6 and set(PRESETS) - set(NEURON_PRESETS) == {"hco", "cpg"}
    assert {"bursting", "tonic_spiking", "post_inhibitory_rebound"} <= set(PRESETS)


@pytest.mark.parametrize("alias, name", [("tonic", "tonic_spiking"), ("rebound", "post_inhibitory_rebound"),
                                         ("hib", "hyperpolarisation_induced_bursting")])
def test_preset_aliases(alias, name):
    n = nm.preset(alias)
    assert n.name == name
    assert_bit_exact(n, nm.load(CIRCUITS / f"{name}.toml"))


def test_preset_matches_model_md_bursting_neuron():
    n = nm.preset("bursting")
    assert [(el.alpha, el.delta, el.tau) for el in n.elements[1:]] == [
        (-2.0, 0.0, 0.0), (2.0, 0.0, 50.0), (-1.5, -1.5, 50.0), (1.5, -1.5, 2500.0)]
    assert n.initial_values() == {"v": -1.9, "slow": -1.8, "ultraslow": -1.8}


def test_unknown_preset_lists_the_presets():
    with pytest.raises(CircuitFileError, match="unknown preset 'burstin'") as info:
        nm.preset("burstin")
    for name in PRESETS:
        assert name in str(info.value)


def test_preset_name_must_be_a_string():
    with pytest.raises(CircuitFileError, match="must be a string"):
        nm.preset(3)


def test_loads_and_dumps_refuse_what_is_not_text_or_a_model():
    with pytest.raises(nm.CircuitFileError, match="must be a str, got int"):
        nm.loads(3)
    with pytest.raises(nm.ModelError, match="expected a Neuron or a Network, got 3"):
        nm.dumps(3)
