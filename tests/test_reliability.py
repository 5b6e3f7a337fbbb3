"""Monte Carlo over chips x trials, reliability metrics, and the Mainen-Sejnowski effect.

Metric references are closed forms: for one spike in each of two trains, d apart, Schreiber's
reliability is exp(-d^2 / (4 sigma^2)) and the van Rossum distance sqrt(1 - exp(-d / tau)).
"""

import warnings

import numpy as np
import pytest

import neuromorph as nm
from neuromorph.analysis import reliability as rm
from neuromorph.errors import ModelError, SolverError

MISMATCH = nm.Mismatch(gain=0.05, offset=0.05, tau=0.02)


def test_schreiber_and_van_rossum_match_their_closed_forms():
    for d in (0.0, 0.5, 2.0, 5.0):
        assert rm.schreiber([[100.0], [100.0 + d]], sigma=2.0) == pytest.approx(np.exp(-d * d / 16.0), rel=1e-12)
        assert rm.van_rossum([[100.0], [100.0 + d]], tau=4.0) == pytest.approx(np.sqrt(1 - np.exp(-d / 4.0)),
                                                                                 abs=1e-12)
    assert rm.schreiber([[10.0, 500.0], [10.0, 500.0], [10.0, 500.0]], sigma=1.0) == pytest.approx(1.0)
    assert rm.schreiber([[10.0], [5000.0]], sigma=1.0) == pytest.approx(0.0, abs=1e-12)


def test_schreiber_of_multi_spike_trains_matches_sums_over_spike_pairs():
    """Gaussian-filtered trains have the inner product <a, b> = sum_ij exp(-(a_i - b_j)^2 / (4 sigma^2)) (up to a
    factor that cancels); the reliability is the mean over pairs of <a, b> / sqrt(<a, a> <b, b>). The numbers are
    those sums written out by hand. Spikes of one train close together make <a, a> larger than the spike count:
    a norm that left those cross terms out would overshoot 1 (1.896 and 1.999 here), which the clamp at 1 would
    hide as a perfect 1.0; the values below lie just under 1 and catch it."""
    e = np.exp
    # a = [10, 11], b = [10, 11.5], sigma = 2 (4 sigma^2 = 16)
    aa = 2 + 2 * e(-1 / 16)                                       # = 3.878826...
    bb = 2 + 2 * e(-2.25 / 16)                                    # = 3.737640...
    ab = 1 + e(-2.25 / 16) + e(-1 / 16) + e(-0.25 / 16)          # = 3.792726...
    assert ab / np.sqrt(aa * bb) == pytest.approx(0.99610010858998, rel=1e-12)
    assert rm.schreiber([[10.0, 11.0], [10.0, 11.5]], sigma=2.0) == pytest.approx(0.99610010858998, rel=1e-12)
    # a = [0, 1, 2], b = [0.5, 1.5], sigma = 1 (4 sigma^2 = 4): <a,a> = 3 + 4 e^-1/4 + 2 e^-1, <b,b> = 2 + 2 e^-1/4,
    # <a,b> = 4 e^-1/16 + 2 e^-9/16
    value = (4 * e(-1 / 16) + 2 * e(-9 / 16)) / np.sqrt((3 + 4 * e(-0.25) + 2 * e(-1)) * (2 + 2 * e(-0.25)))
    assert value == pytest.approx(0.9919619066738612, rel=1e-12)
    assert rm.schreiber([[0.0, 1.0, 2.0], [0.5, 1.5]], sigma=1.0) == pytest.approx(0.9919619066738612, rel=1e-12)
    # three trains of different lengths, sigma = 3: the mean of the three pair values
    # r(a, b) = 0.8053124055561296, r(a, c) = 0.6327469492337139, r(b, c) = 0.5615334568633005
    trains = [[0.0, 30.0], [1.0, 30.0, 60.0], [2.0]]
    assert rm.schreiber(trains, sigma=3.0) == pytest.approx((0.8053124055561296 + 0.6327469492337139
                                                             + 0.5615334568633005) / 3, rel=1e-12)
    assert rm.schreiber(trains[:2], sigma=3.0) == pytest.approx(0.8053124055561296, rel=1e-12)


def test_van_rossum_of_multi_spike_trains_matches_sums_over_spike_pairs():
    """D^2 = (sum_ii' + sum_jj' - 2 sum_ij) exp(-|t - s| / tau) / 2; a = [10, 12], b = [11], tau = 4:
    D^2 = (2 + 2 e^-1/2 + 1 - 4 e^-1/4) / 2."""
    d2 = (2 + 2 * np.exp(-0.5) + 1 - 4 * np.exp(-0.25)) / 2
    assert np.sqrt(d2) == pytest.approx(0.7408974919446167, rel=1e-12)
    assert rm.van_rossum([[10.0, 12.0], [11.0]], tau=4.0) == pytest.approx(0.7408974919446167, rel=1e-12)


def test_across_trial_metrics_of_one_trial_are_undefined():
    """One train agrees with itself: no jitter, precision, event reliability or count spread is measured."""
    one = [[10.0, 50.0, 90.0]]
    out = rm.timing(one, window=3.0)
    for key in ("jitter", "precision", "event_reliability", "count_std"):
        assert np.isnan(out[key]), key
    assert out["count_mean"] == 3.0
    assert np.isnan(rm.burst_timing(one, 0.0, 100.0, window=30.0)["burst_onset_jitter"])
    assert np.isnan(rm.schreiber(one, 2.0)) and np.isnan(rm.van_rossum(one, 2.0))
    rel = nm.reliability("tonic", -0.5, trials=1, chips=2, intrinsic=0.02, t_end=800, dt=0.05, seed=1)
    m = rel.metrics()
    assert rel.spike_times[0][0].size > 5  # the member fired: the metrics are undefined, not empty
    for key in ("schreiber", "jitter", "precision", "event_reliability", "van_rossum", "count_std"):
        assert np.isnan(m[key]), key
        assert "1 trial per chip" in m["undefined"][key]
    assert np.isfinite(m["schreiber_across_chips"]) and "schreiber_across_chips" not in m["undefined"]
    one_chip = nm.reliability("tonic", -0.5, trials=2, chips=1, intrinsic=0.02, t_end=800, dt=0.05, seed=1).metrics()
    assert np.isnan(one_chip["schreiber_across_chips"]) and "1 chip" in one_chip["undefined"]["schreiber_across_chips"]
    assert np.isfinite(one_chip["jitter"]) and "jitter" not in one_chip["undefined"]


def test_jitter_of_gaussian_jittered_events():
    """Events every 50 time units, each trial's spike off by N(0, s): the median std of the matched
    times estimates s (an unbiased std needs the n/(n-1) factor: the metric uses ddof=0)."""
    gen = np.random.default_rng(1)
    s, n_trials, n_events = 0.8, 12, 400
    centres = 50.0 * np.arange(1, n_events + 1)
    trains = [centres + gen.normal(0.0, s, n_events) for _ in range(n_trials)]
    out = rm.timing(trains, window=6.0)
    assert out["n_events"] == n_events
    assert out["event_reliability"] == 1.0
    c4 = np.sqrt((n_trials - 1) / n_trials)  # E[std(ddof=0)] ~ s sqrt((n-1)/n) for the median too, closely
    assert out["jitter"] == pytest.approx(s * c4, rel=0.05)
    # a trial that misses half the events lowers the event reliability by 1/24
    trains[0] = trains[0][::2]
    assert rm.timing(trains, window=6.0)["event_reliability"] == pytest.approx(1 - 0.5 / n_trials, abs=1e-12)


def test_burst_timing_matches_onsets_and_counts_spikes():
    trains = []
    for k in range(6):
        spikes = []
        for b, onset in enumerate(1000.0 * np.arange(1, 9)):
            n = 5 + (k % 2) * (b % 2)  # trials alternate 5 and 6 spikes in odd bursts
            spikes.extend(onset + k * 0.5 + 10.0 * np.arange(n))
        trains.append(np.array(spikes))
    out = rm.burst_timing(trains, 0.0, 9000.0, window=50.0)
    assert out["n_bursts"] == 8
    assert out["burst_onset_jitter"] == pytest.approx(np.std(0.5 * np.arange(6)), rel=1e-9)
    # even bursts: 5 spikes in every trial (spread 0); odd ones 5 or 6 (std 0.5)
    assert out["spikes_per_burst_spread"] == pytest.approx(0.25, abs=1e-12)


def _study(drive, chips=4, trials=6, **kw):
    return nm.reliability("tonic", drive, trials=trials, chips=chips, intrinsic=0.05, mismatch=MISMATCH,
                          t_end=3000, dt=0.05, seed=3, **kw)


def test_mainen_sejnowski_frozen_fluctuating_drive_is_more_reliable_than_a_constant_one():
    """Small intrinsic noise and <= 5 % mismatch: the same fluctuating input in every trial gives
    repeatable spike times, on one chip and across chips; a constant input of the same mean does not."""
    frozen = _study(nm.OUProcess(mean=-0.5, sigma=0.3, tau=20, seed=1)).metrics(sigma=3.0)
    constant = _study(-0.5).metrics(sigma=3.0)
    assert frozen["schreiber"] > constant["schreiber"] + 0.25
    assert frozen["schreiber_across_chips"] > constant["schreiber_across_chips"] + 0.15
    assert frozen["jitter"] < 0.5 * constant["jitter"]
    for key in ("schreiber_per_chip",):
        assert np.all(frozen[key] > constant[key])


def test_same_bits_whatever_the_threads_the_chunking_or_a_member_run_alone():
    drive = nm.OUProcess(mean=-0.5, sigma=0.3, tau=20, seed=1)
    kw = dict(intrinsic=0.05, mismatch=MISMATCH, t_end=600, dt=0.05, seed=8)
    whole = nm.reliability("tonic", drive, trials=5, chips=3, n_threads=2, **kw)
    one_thread = nm.reliability("tonic", drive, trials=5, chips=3, n_threads=1, **kw)
    chips_apart = [nm.reliability("tonic", drive, trials=5, chips=[c], **kw) for c in range(3)]
    trials_apart = nm.reliability("tonic", drive, trials=[3, 4], chips=3, **kw)
    alone = nm.reliability("tonic", drive, trials=[2], chips=[1], **kw)
    for c in range(3):
        for k in range(5):
            ref = whole.spike_times[c][k]
            assert ref.size > 5
            np.testing.assert_array_equal(one_thread.spike_times[c][k], ref)
            np.testing.assert_array_equal(chips_apart[c].spike_times[0][k], ref)
            if k >= 3:
                np.testing.assert_array_equal(trials_apart.spike_times[c][k - 3], ref)
    np.testing.assert_array_equal(alone.spike_times[0][0], whole.spike_times[1][2])
    # and chips and trials do differ
    assert not np.array_equal(whole.spike_times[0][0], whole.spike_times[0][1])
    assert not np.array_equal(whole.spike_times[0][0], whole.spike_times[1][0])


def test_in_process_reliability_is_its_study_run_by_the_one_runner(monkeypatch):
    """In this process too, reliability runs its members as a Study through the runner's chunks, and its Dataset
    is run_study's for that Study (cut into other chunks) bit for bit."""
    from neuromorph.studies import runner

    chunks = []
    run_chunk = runner.run_chunk

    def counted(study, start, stop, *args, **kwargs):
        chunks.append((study, start, stop))
        return run_chunk(study, start, stop, *args, **kwargs)

    monkeypatch.setattr(runner, "run_chunk", counted)
    drive = nm.OUProcess(mean=-0.5, sigma=0.3, tau=20, seed=1)
    rel = nm.reliability("tonic", drive, trials=3, chips=[4, 1], intrinsic=0.05, mismatch=MISMATCH, t_end=600,
                         dt=0.05, seed=8, max_spikes=64)
    assert [(start, stop) for _, start, stop in chunks] == [(0, 6)]
    study = chunks[0][0]
    assert study.chips.tolist() == [4, 1] and study.trials.tolist() == [0, 1, 2] and study.spikes == 64
    monkeypatch.setattr(runner, "run_chunk", run_chunk)
    ds = nm.run_study(nm.Study("tonic", chips=[4, 1], trials=3, drive=drive, noise=0.05, mismatch=MISMATCH,
                               t_end=600, t_record=60, dt=0.05, method="sra1", seed=8, spikes=64), chunk_size=4)
    for name in ("spike_times", "spike_count", "status", "reason"):
        assert rel.dataset[name].dims == ds[name].dims, name
        np.testing.assert_array_equal(rel.dataset[name].values, ds[name].values, err_msg=name)
    assert rel.dataset["spike_count"].values.min() > 5
    assert np.isnan(rel.dataset["t_failed"].values).all()  # (none diverged)


def test_an_ensemble_member_draws_the_noise_of_the_single_run_with_its_trial_and_chip():
    n = nm.preset("bursting")
    for method in ("euler_maruyama", "sra1"):
        ens = nm.Ensemble(n, size=4).simulate(1500, i_app=-2.0, dt=0.05, method=method, noise=nm.WhiteNoise(0.05),
                                              seed=1, trials=[0, 1, 2, 3], chips=[0, 0, 7, 7], save_every=1)
        run = nm.Integrator(n, i_app=-2.0, solver=nm.get_solver(method, dt=0.05), noise=nm.WhiteNoise(0.05), seed=1,
                            trial=2, chip=7)
        run.advance(1500)
        np.testing.assert_allclose(ens.v[2], run.result().y[0], atol=1e-9)


def test_a_diverging_chip_is_recorded_and_the_study_goes_on():
    """An 80 % gain spread turns some chips' leak negative: those members diverge, the rest run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = nm.reliability("tonic", -0.5, trials=2, chips=12, mismatch=nm.Mismatch(gain=0.8), t_end=400, dt=0.05,
                             seed=2)
    assert rel.failures
    assert set(rel.failures.values()) <= {"diverging", "non-finite state"}
    ok = [(c, k) for c in range(12) for k in range(2) if (c, k) not in rel.failures]
    assert ok and any(rel.spike_times[c][k].size for c, k in ok)
    assert np.isfinite(rel.metrics()["schreiber"])


def test_the_members_are_a_dataset_and_the_attributes_views_of_it():
    from neuromorph.studies.member import REASONS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = nm.reliability("tonic", -0.5, trials=[3, 5], chips=12, mismatch=nm.Mismatch(gain=0.8), t_end=400,
                             dt=0.05, seed=2)
    ds = rel.dataset
    assert ds["spike_times"].dims == ("chip", "trial", "neuron", "spike") and ds["reason"].dims == ("chip", "trial")
    assert rel.chips.tolist() == list(range(12)) == ds["chip"].values.tolist()
    assert rel.trials.tolist() == [3, 5] == ds["trial"].values.tolist()
    assert rel.failures and (rel.t_record, rel.t_end) == (40.0, 400.0)
    for c, chip in enumerate(rel.chips):
        for k, trial in enumerate(rel.trials):
            one = ds.sel(chip=chip, trial=trial).isel(neuron=0)
            count = int(one["spike_count"])
            assert np.array_equal(rel.spike_times[c][k], one["spike_times"].values[:count])
            assert np.isnan(one["spike_times"].values[count:]).all()
            reason = str(one["reason"].values)
            assert rel.failures.get((int(chip), int(trial)), "ok") == reason == REASONS[int(one["status"])]
            # when the member was found diverging: within the run for a failed one, NaN for the others
            assert (0 < float(one["t_failed"]) <= 400) if reason != "ok" else np.isnan(float(one["t_failed"]))


def test_a_network_study_keeps_each_neurons_spikes():
    rel = nm.reliability(nm.hco(), 0.0, trials=2, chips=2, intrinsic=0.02, t_end=3000, dt=0.05, seed=1)
    assert len(rel.spike_times[1][1]) == 2
    assert rel.trains("n2")[1][1].size > 0
    assert np.isfinite(rel.metrics(neuron="n1")["schreiber"])


@pytest.mark.parametrize("kw, error, words", [
    (dict(trials=0), SolverError, ["trials"]),
    (dict(chips=[1, 1]), SolverError, ["chips", "distinct"]),
    (dict(seed=1.5), SolverError, ["seed", "1.5"]),
    (dict(seed=-3), SolverError, ["seed", "-3"]),
    (dict(intrinsic=-0.1), ModelError, ["sigma", "-0.1"]),
    (dict(mismatch=0.1), ModelError, ["Mismatch(gain=0.1)"]),
    (dict(mismatch={"gain": -0.1}), ModelError, ["gain", "-0.1"]),
    (dict(mismatch={"gains": 0.1}), ModelError, ["gains", "known"]),
    (dict(method="dopri5"), SolverError, ["sra1", "dopri5"]),
])
def test_bad_reliability_input_is_a_clear_error(kw, error, words):
    args = dict(trials=2, chips=1, t_end=100, dt=0.05, seed=1)
    args.update(kw)
    with pytest.raises(error) as info:
        nm.reliability("tonic", -0.5, **args)
    for word in words:
        assert word in str(info.value)


def test_plot_shows_raster_psth_and_drive():
    import matplotlib

    matplotlib.use("Agg")
    rel = nm.reliability("tonic", nm.OUProcess(-0.5, 0.3, 20, seed=1), trials=3, chips=2, intrinsic=0.05, t_end=500,
                         dt=0.05, seed=1)
    fig = rel.plot()
    raster, hist, drive = fig.axes
    assert len(raster.collections) == 6  # one set of ticks per member
    assert hist.patches or hist.collections
    assert drive.lines and np.ptp(drive.lines[0].get_ydata()) > 0.3


# -- the command line ---------------------------------------------------------------------------

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from neuromorph.ui.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TONIC_FILE = ROOT / "circuits" / "tonic_spiking.toml"  # file: i_app -0.7
HCO_FILE = ROOT / "circuits" / "hco.toml"
TONIC_ISI_07, TONIC_ISI_0 = 32.65, None  # MODEL.md: the tonic neuron at I_app = -0.7


def _cli(tmp_path, capsys, *args, name="rel.npz"):
    out = tmp_path / name
    code = main(["reliability", str(args[0]), *map(str, args[1:]), "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), np.load(out)


def _members(npz):
    off = npz["offsets"]
    return [npz["spikes"][off[i]:off[i + 1]] for i in range(off.size - 1)]


BASE = ("--t-end", 1500, "--seed", 4)


def test_cli_trials_chips_and_noise_shape_the_study(tmp_path, capsys):
    quiet, npz = _cli(tmp_path, capsys, TONIC_FILE, "--trials", 3, "--chips", 2, *BASE)
    assert sorted(zip(npz["member_chip"], npz["member_trial"])) == [(c, k) for c in range(2) for k in range(3)]
    assert len(quiet["schreiber_per_chip"]) == 2
    # no noise, no mismatch: every member is the same deterministic run
    members = _members(npz)
    for m in members[1:]:
        np.testing.assert_array_equal(m, members[0])
    assert quiet["schreiber"] == pytest.approx(1.0) and quiet["jitter"] == 0.0
    noisy, _ = _cli(tmp_path, capsys, TONIC_FILE, "--trials", 3, "--noise", 0.05, *BASE)
    assert noisy["schreiber"] < 0.9


def test_cli_mismatch_spreads_chips_not_trials(tmp_path, capsys):
    out, npz = _cli(tmp_path, capsys, TONIC_FILE, "--trials", 2, "--chips", 3, "--mismatch", "gain=0.05,offset=0.05",
                    *BASE)
    assert out["schreiber"] == pytest.approx(1.0)  # trials of one chip agree (no noise)
    assert out["schreiber_across_chips"] < 0.9


def test_cli_ou_freezes_a_fluctuating_drive_that_makes_timing_reliable(tmp_path, capsys):
    args = (TONIC_FILE, "--trials", 4, "--noise", 0.05, "--i-app", -0.5, "--t-end", 2500, "--seed", 3)
    plain, _ = _cli(tmp_path, capsys, *args)
    frozen, _ = _cli(tmp_path, capsys, *args, "--ou", "0.3:20")
    assert frozen["schreiber"] > plain["schreiber"] + 0.2


def test_cli_same_seed_same_bytes_other_seed_other_bytes(tmp_path, capsys):
    args = (TONIC_FILE, "--trials", 3, "--noise", 0.05, "--mismatch", "tau=0.02", "--chips", 2, "--t-end", 800)
    _cli(tmp_path, capsys, *args, "--seed", 9, name="a.npz")
    _cli(tmp_path, capsys, *args, "--seed", 9, name="b.npz")
    _cli(tmp_path, capsys, *args, "--seed", 10, name="c.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert (tmp_path / "a.npz").read_bytes() != (tmp_path / "c.npz").read_bytes()


def test_cli_i_app_t_end_t_record_set_and_dt_method_the_run(tmp_path, capsys):
    """No noise: the tonic ISI at the file's -0.7 is 32.65 (MODEL.md); --i-app 0 with --set of the
    slow gain changes it; spikes are kept from --t-record to --t-end."""
    _, npz = _cli(tmp_path, capsys, TONIC_FILE, "--trials", 1, "--t-end", 1200, "--t-record", 300, "--dt", 0.01,
                  "--method", "euler_maruyama")
    spikes = _members(npz)[0]
    assert float(npz["t_end"]) == 1200 and float(npz["t_record"]) == 300
    assert spikes.min() >= 300 and spikes.max() <= 1200
    assert np.mean(np.diff(spikes)) == pytest.approx(TONIC_ISI_07, rel=0.01)
    settings = json.loads(str(npz["settings_json"]))
    assert settings["method"] == "'euler_maruyama'" and settings["dt"] == "0.01"
    _, other = _cli(tmp_path, capsys, TONIC_FILE, "--trials", 1, "--t-end", 1200, "--t-record", 300, "--i-app", -0.5)
    assert np.mean(np.diff(_members(other)[0])) < 0.9 * TONIC_ISI_07  # more drive, faster
    _, changed = _cli(tmp_path, capsys, TONIC_FILE, "--trials", 1, "--t-end", 1200, "--t-record", 300,
                      "--set", "slow_positive.alpha=2.2")
    assert abs(np.mean(np.diff(_members(changed)[0])) / TONIC_ISI_07 - 1) > 0.02


def test_cli_node_picks_a_neuron_of_a_network(tmp_path, capsys):
    one, npz = _cli(tmp_path, capsys, HCO_FILE, "--trials", 2, "--noise", 0.02, "--t-end", 3000, "--seed", 1)
    two, _ = _cli(tmp_path, capsys, HCO_FILE, "--trials", 2, "--noise", 0.02, "--t-end", 3000, "--seed", 1,
                  "--node", "n2")
    assert sorted(set(npz["member_neuron"])) == [0, 1]
    assert one["count_std"] != two["count_std"] or one["schreiber"] != two["schreiber"]


def test_cli_plot_and_progress(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "reliability", str(TONIC_FILE), "--trials", "2",
                           "--t-end", "600", "--plot", "r.png", "--progress"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")
    assert "%|" in proc.stderr


@pytest.mark.parametrize("args, words", [
    (("--mismatch", "gain"), ["--mismatch", "KEY=VALUE"]),
    (("--mismatch", "gains=0.1"), ["unknown spread", "gains"]),
    (("--mismatch", "tau=0.9"), ["non-positive", "truncate"]),
    (("--mismatch", "tau=-0.1"), ["tau", "-0.1"]),
    (("--seed", -1), ["--seed", "-1"]),
    (("--ou", "0.3"), ["--ou", "SIGMA:TAU"]),
    (("--ou", "a:b"), ["--ou SIGMA", "'a'"]),
    (("--ou", "nan:20"), ["--ou SIGMA", "finite", "'nan'"]),
    (("--ou", "0.3:inf"), ["--ou TAU", "finite", "'inf'"]),
    (("--ou", "1e308:20"), ["--ou SIGMA", "'1e308'"]),
    (("--dt", 5.0), ["`dt` = 5", "stability limit", "dt < ~2.45"]),
    (("--trials", 10 ** 9), ["1e+09 members", "asked for by `trials` needs"]),
    (("--chips", 10 ** 9), ["1e+10 members", "asked for by `chips` needs"]),  # x 10 trials
    (("--noise", -0.5), ["sigma", "-0.5"]),
    (("--trials", 0), ["trials"]),
])
def test_cli_bad_input_exits_2_naming_it(tmp_path, capsys, args, words):
    code = main(["reliability", str(TONIC_FILE), "--t-end", "100", *map(str, args), "--out", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1].startswith("neuromorph: error:") and "Traceback" not in err, err  # (--t-end 100
    # is shorter than the file's transient: a warning line comes first)
    for word in words:
        assert word in err
    assert not (tmp_path / "x.npz").exists()


def test_cli_one_trial_prints_undefined_metrics_as_such_and_json_null(tmp_path, capsys):
    args = ["reliability", str(TONIC_FILE), "--trials", "1", "--chips", "2", "--mismatch", "gain=0.05", "--t-end",
            "800", "--seed", "2"]
    assert main([*args, "--json", "--out", str(tmp_path / "r.npz")]) == 0
    text = capsys.readouterr().out

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    summary = json.loads(text, parse_constant=refuse)  # strict JSON: no NaN
    for key in ("jitter", "precision", "event_reliability", "schreiber"):
        assert summary[key] is None and "1 trial per chip" in summary["undefined"][key]
    assert summary["schreiber_across_chips"] is not None
    stored = json.loads(str(np.load(tmp_path / "r.npz")["metrics_json"]), parse_constant=refuse)
    assert next(iter(stored.values()))["jitter"] is None
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "jitter -, precision -, event reliability -" in out and "1.000" not in out
    assert "undefined (1 trial per chip: across-trial metrics need 2 or more): schreiber, jitter" in out


def test_memory_is_estimated_from_the_counts_before_anything_is_allocated():
    import time

    for kw, name in ((dict(trials=10 ** 9), "`trials`"), (dict(chips=10 ** 9, trials=1), "`chips`")):
        started = time.perf_counter()
        with pytest.raises(SolverError, match=name + r" needs .* TiB") as info:
            nm.reliability("tonic", -0.5, t_end=100, **kw)
        assert "1e+09 members" in str(info.value) and time.perf_counter() - started < 5.0


def test_a_step_beyond_the_stability_limit_is_named_when_members_diverge_and_refused_far_beyond_it():
    """Tonic neuron, SRA1 (stability radius 2): the limit at its initial state is dt ~ 2.45. At dt = 4.5 every
    member diverges: an error saying why; at dt = 5, twice the limit, the run is refused before it starts."""
    import time

    with pytest.raises(nm.SimulationError, match=r"every member \(1 chip\(s\) x 3 trial\(s\)\) diverged .*dt = 4.5 is "
                                                 r"beyond sra1's stability limit .*dt < ~2.45") as info:
        nm.reliability("tonic", -0.5, trials=3, intrinsic=0.02, t_end=400, dt=4.5, seed=1)
    assert info.value.reason == "diverging"
    assert f"the first at t = {info.value.t:.6g}" in str(info.value) and 0 < info.value.t < 400
    started = time.perf_counter()
    with pytest.raises(SolverError, match=r"`dt` = 5 is far beyond sra1's stability limit .*dt < ~2.45"):
        nm.reliability("tonic", -0.5, trials=3, intrinsic=0.02, t_end=10 ** 6, dt=5.0, seed=1)
    assert time.perf_counter() - started < 5.0
    with pytest.warns(nm.NeuromorphWarning, match=r"8 of 8 copies diverged: the fixed step dt = 6 is beyond rk4's "
                                                  r"stability limit"):
        ens = nm.Ensemble("tonic", size=8).simulate(3000, i_app=-0.5, dt=6.0)
    assert ens.cause is not None and ens.failed.all()
    with pytest.raises(SolverError, match=r"`dt` = 7 is far beyond rk4's stability limit .*dt < ~3.41"):
        nm.Ensemble("tonic", size=8).simulate(3000, i_app=-0.5, dt=7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an ordinary step: no word about stability
        assert not nm.Ensemble("tonic", size=8).simulate(1000, i_app=-0.5, dt=0.05).failed.any()


def test_cli_every_member_diverging_exits_1_saying_why_and_writes_nothing(tmp_path, capsys):
    code = main(["reliability", str(TONIC_FILE), "--trials", "2", "--t-end", "400", "--dt", "4.7", "--out",
                 str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("neuromorph: simulation failed: every member") and err.count("\n") == 1
    assert "dt = 4.7 is beyond sra1's stability limit" in err
    assert not (tmp_path / "x.npz").exists()
