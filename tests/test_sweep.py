"""Studies on Dask: the same bits in-process and on real LocalClusters (worker processes), whatever the
chunking; a worker killed mid-study loses nothing; an interrupted study resumes without recomputing;
bad input is refused before any work. Nothing is mocked: the clusters are real, the worker is
killed with SIGKILL, the interruption is a real KeyboardInterrupt (and a real SIGINT to the CLI).
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import distributed  # a core dependency: the set-up installs it (a missing one fails here, never skips)
import numpy as np
import pytest
import xarray as xr

import neuromorph as nm
from neuromorph.errors import ClusterError, OutputError, SolverError

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def noisy_study(**changes):
    """Grid x chips x trials with intrinsic noise and mismatch (every random part of a study)."""
    settings = dict(grid={"i_app": [-2.6, -2.0, -1.0]}, chips=3, trials=4, noise=0.03, mismatch={"gain": 0.05,
                    "offset": 0.02}, t_end=2500.0, dt=0.05, seed=7, spikes=64)
    settings.update(changes)
    return nm.Study("bursting", **settings)


def assert_same(a, b):
    """Every variable and coordinate equal bit for bit (NaN where NaN)."""
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.variables:
        x, y = a[name].values, b[name].values
        assert x.shape == y.shape, name
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert np.array_equal(x, y), name


@pytest.fixture(scope="module")
def cluster2():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as lc, \
            distributed.Client(lc) as client:
        yield client


@pytest.fixture(scope="module")
def in_process():
    study = noisy_study()
    return study, nm.run_study(study)


def test_dask_is_installed_by_the_setup():
    import dask
    import zarr

    assert dask.__version__ and zarr.__version__.startswith("3")


def test_results_are_the_same_bits_in_process_on_one_worker_and_on_two_with_any_chunking(in_process, cluster2):
    study, local = in_process
    assert local["pattern"].dims == ("i_app", "chip", "trial", "neuron")
    assert (local["reason"] == "ok").all()
    assert local["spike_count"].values.sum() > 100  # the members fired: the comparison is not of empty arrays
    # The chips differ from each other and the trials too (noise and mismatch act), so equal bits are not trivial.
    first = local["spike_times"].isel(i_app=1, neuron=0, spike=slice(0, 5)).values
    assert not np.array_equal(first[0, 0], first[1, 0]) and not np.array_equal(first[0, 0], first[0, 1])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as lc, \
            distributed.Client(lc) as one:
        assert_same(local, nm.run_study(study, client=one, chunk_size=12))
    for size in (5, 16):
        ds = nm.run_study(study, client=cluster2, chunk_size=size)
        assert ds.attrs["chunks_computed"] == -(-study.n_members // size)
        assert_same(local, ds)


def test_a_member_run_alone_is_the_same_as_in_the_study(in_process):
    study, local = in_process
    alone = nm.run_study(noisy_study(grid={"i_app": [-1.0]}, chips=[2], trials=[3]))
    for name in ("spike_times", "spike_count", "isi_mean"):
        assert np.array_equal(alone[name].values.ravel(), local[name].sel(i_app=-1.0, chip=2, trial=3).values.ravel(),
                              equal_nan=True)


def test_a_worker_killed_mid_study_loses_nothing(in_process, tmp_path):
    study, local = in_process
    killed = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as lc, \
            distributed.Client(lc) as client:
        pids = client.run(os.getpid)

        def kill_a_busy_worker(k, done, total):
            if killed:
                return
            busy = [(w, keys) for w, keys in client.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0][0]], signal.SIGKILL)
                killed.append((busy[0][0], done, total, list(busy[0][1])))

        ds = nm.run_study(study, client=client, chunk_size=4, on_chunk=kill_a_busy_worker, out=tmp_path / "k.zarr")
    assert killed and killed[0][1] < killed[0][2]  # a worker with work in hand died before the end
    assert killed[0][3]  # chunks assigned to it: they had to run again on the other worker
    assert_same(local, ds)
    assert_same(local, nm.open_study(tmp_path / "k.zarr"))


def test_an_interrupted_study_resumes_and_reuses_its_finished_chunks(in_process, tmp_path, cluster2):
    study, local = in_process
    out = tmp_path / "r.zarr"

    def stop_after_three(k, done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nm.run_study(study, out=out, chunk_size=6, on_chunk=stop_after_three)
    with pytest.raises(nm.ModelError, match="incomplete .3 of 6 chunks"):
        nm.open_study(out)
    partial = nm.open_study(out, partial=True)
    assert int((partial["reason"] == "not run").sum()) == 36 - 18
    with pytest.raises(OutputError, match="already holds this study .interrupted"):
        nm.run_study(study, out=out)
    computed = []
    ds = nm.run_study(study, out=out, resume=True, client=cluster2, on_chunk=lambda k, d, t: computed.append(k))
    assert ds.attrs["chunks_reused"] == 3 and ds.attrs["chunks_computed"] == 3 and len(computed) == 3
    assert ds.attrs["chunk_size"] == 6  # the store's own chunking, not a new default
    assert_same(local, ds)
    assert_same(local, nm.open_study(out))
    again = nm.run_study(study, out=out, resume=True)  # complete: nothing to do
    assert again.attrs["chunks_computed"] == 0 and again.attrs["chunks_reused"] == 6
    assert again["spike_times"].chunks is not None  # spike times stay on disk until used


def test_an_unfinished_store_of_another_version_is_not_resumed(tmp_path):
    import zarr

    study = nm.Study("tonic", grid={"i_app": [-0.8, -0.7]}, t_end=200.0, engine="single", method="dopri5")
    out = tmp_path / "v.zarr"
    with pytest.raises(KeyboardInterrupt):
        nm.run_study(study, out=out, chunk_size=1, on_chunk=lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    group = zarr.open_group(str(out), mode="r+")
    group.attrs["neuromorph_version"] = "0.0.1"
    with pytest.raises(OutputError, match="started by neuromorph 0.0.1"):
        nm.run_study(study, out=out, resume=True)
    assert nm.run_study(study, out=out, overwrite=True).attrs["chunks_computed"] == 1


def test_the_store_is_a_zarr_dataset_with_the_spec_and_version(in_process, tmp_path):
    study, local = in_process
    out = tmp_path / "s.zarr"
    nm.run_study(study, out=out, chunk_size=9)
    flat = xr.open_zarr(out)
    assert flat.sizes["member"] == 36 and set(flat.coords) >= {"chip", "trial", "i_app", "neuron"}
    assert flat.attrs["neuromorph_version"] == nm.__version__
    spec = json.loads(flat.attrs["neuromorph_spec"])
    assert nm.Study.from_dict(spec).fingerprint() == study.fingerprint() == flat.attrs["neuromorph_spec_sha256"]
    # member m of the flat store is the C-order member (i_app, chip, trial)
    m = np.ravel_multi_index((2, 1, 3), (3, 3, 4))
    assert float(flat["i_app"][m]) == -1.0 and int(flat["chip"][m]) == 1 and int(flat["trial"][m]) == 3
    assert np.array_equal(flat["spike_times"][m].values, local["spike_times"].sel(i_app=-1.0, chip=1, trial=3).values,
                          equal_nan=True)
    meanings = flat["pattern"].attrs["flag_meanings"].split()
    assert meanings[int(flat["pattern"][m, 0])] == str(local["pattern"].sel(i_app=-1.0, chip=1, trial=3).item())


def test_a_study_from_a_toml_spec_is_the_python_study(tmp_path):
    (tmp_path / "net.toml").write_text(nm.dumps(nm.hco()))
    spec = tmp_path / "study.toml"
    spec.write_text('model = "net.toml"\nmethod = "sra1"\nt_end = 1000\ndt = 0.05\nseed = 3\nchips = 2\ntrials = 2\n'
                    '[grid]\n"n1_to_n2.g" = [0.5, 2.0]\n"n1.i_app" = "-2.5:-2:2"\n'
                    '[noise]\nwhite = 0.02\n[mismatch]\ngain = 0.05\n')
    loaded = nm.load_study(spec)
    python = nm.Study(nm.load(tmp_path / "net.toml"), grid={"n1_to_n2.g": [0.5, 2.0], "n1.i_app": [-2.5, -2.0]},
                      method="sra1", t_end=1000, dt=0.05, seed=3, chips=2, trials=2, noise=nm.WhiteNoise(0.02),
                      mismatch=nm.Mismatch(gain=0.05))
    assert loaded.fingerprint() == python.fingerprint()
    assert loaded.shape == (2, 2, 2, 2) and loaded.neuron_names == ("n1", "n2")
    ds = nm.run_study(loaded)
    assert ds["pattern"].dims == ("n1_to_n2.g", "n1.i_app", "chip", "trial", "neuron")


def test_a_member_that_fails_numerically_is_recorded_and_the_study_goes_on(cluster2):
    for method in ("rk4", "dopri5"):
        study = nm.Study("bursting", grid={"leak.g": [1.0, -1.0, 1.0]}, t_end=2000.0, method=method)
        for ds in (nm.run_study(study), nm.run_study(study, client=cluster2, chunk_size=2)):
            assert ds["reason"].values.ravel().tolist() == ["ok", "diverging", "ok"], method
            assert ds["pattern"].values.ravel().tolist()[1] == "diverging"
            assert ds["spike_count"].values.ravel()[0] > 5  # the members that ran fired (single runs count too)


def test_grid_axes_keep_their_order_through_the_store_and_any_chunking(tmp_path, cluster2):
    """Axes given out of alphabetical order: every cell of the store is labelled with its own parameters
    (each checked against a run of its own), whatever the chunking."""
    grid = {"slow_negative.alpha": [-2.0, -1.5, -1.0], "i_app": [-2.5, -2.0, -1.0, 0.0]}
    study = nm.Study("bursting", grid=grid, method="dopri5", t_end=6000.0)
    assert study.fingerprint() != nm.Study("bursting", grid=dict(reversed(grid.items())), method="dopri5",
                                           t_end=6000.0).fingerprint()
    stored = nm.run_study(study, out=tmp_path / "g.zarr", chunk_size=5)
    assert stored["pattern"].dims == ("slow_negative.alpha", "i_app", "chip", "trial", "neuron")
    assert_same(stored.drop_attrs(), nm.open_study(tmp_path / "g.zarr").drop_attrs())
    assert_same(stored.drop_attrs(), nm.run_study(study, client=cluster2, chunk_size=3).drop_attrs())
    for alpha in (-2.0, -1.0):
        for i_app in (-2.5, 0.0):
            n = nm.preset("bursting")
            n.set("slow_negative.alpha", alpha)
            alone = n.simulate(6000.0, i_app, method="dopri5").summary(t_start=3000.0)
            cell = stored.sel({"slow_negative.alpha": alpha, "i_app": i_app}).squeeze()
            assert str(cell["pattern"].item()) == alone["pattern"]
            assert int(cell["spike_count"]) == alone["n_spikes"]
    assert len({str(p) for p in stored["pattern"].values.ravel()}) >= 3  # the cells differ: labels matter


def test_the_spec_keeps_what_changes_results():
    ou = nm.OUProcess(mean=0.0, sigma=0.5, tau=20, seed=1)
    plus, minus = nm.Study("tonic", drive=ou, t_end=500), nm.Study("tonic", drive=-ou, t_end=500)
    assert plus.fingerprint() != minus.fingerprint()
    again = nm.Study.from_dict(json.loads(json.dumps(minus.to_dict())))
    assert again.fingerprint() == minus.fingerprint()
    t = np.linspace(0, 500, 11)
    assert np.array_equal(again.drive(t), -ou(t))
    with pytest.raises(nm.ModelError, match="tau"):  # a chip whose draw makes a time constant negative
        nm.Study("bursting", chips=64, mismatch={"tau": 0.6}, seed=1)


def test_traces_and_spikes_on_request_match_a_single_run():
    study = nm.Study("tonic", grid={"i_app": [-0.7, -0.6]}, t_end=400.0, dt=0.05, traces=20, spikes=8, t_record=0.0)
    ds = nm.run_study(study)
    assert "v" in ds and ds["v"].dims == ("i_app", "chip", "trial", "neuron", "time")
    single = nm.simulate(nm.preset("tonic"), t_end=400.0, i_app=-0.7, method="rk4", dt=0.05)
    v = ds["v"].sel(i_app=-0.7).values.ravel()
    t = ds["time"].values
    assert np.allclose(v, np.interp(t, single.t, single.v), atol=1e-6)
    assert np.allclose(ds["spike_times"].sel(i_app=-0.7).values.ravel()[:5], single.spike_times[:5], atol=1e-6)
    assert "v" not in nm.run_study(nm.Study("tonic", t_end=100.0))  # traces only on request


def test_behaviour_map_on_dask_is_the_in_process_map(cluster2):
    n = nm.preset("bursting")
    args = dict(x=("i_app", -3.0, 0.0, 5), y=("slow_negative.alpha", -2.0, -1.0, 3), t_end=5000.0)
    local = nm.behaviour_map(n, **args)
    remote = nm.behaviour_map(n, client=cluster2, **args)
    assert np.array_equal(local.patterns, remote.patterns) and np.array_equal(local.predicted, remote.predicted)
    for k, val in local.neuron_metrics.items():
        assert np.array_equal(val, remote.neuron_metrics[k], equal_nan=True), k
    assert len(set(local.pattern.ravel())) >= 3
    # Both are the study of the map's cells, y outermost, as run_study runs it (here on two workers).
    study = nm.Study(n, grid={"slow_negative.alpha": np.linspace(-2.0, -1.0, 3), "i_app": np.linspace(-3.0, 0.0, 5)},
                     method="dopri5", engine="single", t_end=5000.0, drive=0.0)
    ds = nm.run_study(study, client=cluster2, chunk_size=4)
    assert remote.dataset.attrs["dask_workers"] == 2 and local.dataset.attrs["dask_workers"] == 0
    assert_same(local.dataset.drop_vars("predicted"), ds)
    assert_same(remote.dataset.drop_vars("predicted"), ds)


def test_reliability_on_dask_is_the_in_process_study(cluster2):
    drive = nm.OUProcess(mean=0.0, sigma=0.5, tau=20, seed=1)
    args = dict(trials=4, chips=2, intrinsic=0.02, mismatch={"gain": 0.05}, t_end=800, dt=0.05, seed=3)
    local = nm.reliability("tonic", drive, **args)
    remote = nm.reliability("tonic", drive, client=cluster2, **args)
    for c1, c2 in zip(local.spike_times, remote.spike_times, strict=True):
        for a, b in zip(c1, c2, strict=True):
            assert a.size > 5 and np.array_equal(a, b)
    assert local.metrics()["schreiber"] == remote.metrics()["schreiber"]
    assert_same(local.dataset, remote.dataset)
    assert local.dataset["spike_times"].dims == ("chip", "trial", "neuron", "spike")


@pytest.mark.slow
def test_spice_monte_carlo_runs_through_the_study_path(cluster2):
    study = nm.Study("tonic", method="spice", chips=2, t_end=600.0, drive=-0.7, seed=1, t_record=60.0,
                     spice={"a_vt": 0.02})
    local = nm.run_study(study)
    remote = nm.run_study(study, client=cluster2)
    assert_same(local, remote)
    mc = nm.spice_monte_carlo("tonic", chips=2, seed=1, t_end=600, i_app=-0.7, a_vt=0.02, processes=2, t_start=60.0)
    assert np.array_equal(local["isi_mean"].values.ravel(), mc.isi_mean)
    assert np.all(np.abs(local["isi_mean"].values - 32.65) < 0.15 * 32.65)  # MODEL.md tonic ISI, within the spread


def test_bad_input_is_refused_before_any_work(tmp_path):
    study = nm.Study("tonic", t_end=100.0)
    started = time.perf_counter()
    with pytest.raises(ClusterError, match="could not reach the Dask scheduler at 'tcp://127.0.0.1:9' within 2 s"):
        nm.run_study(study, scheduler="tcp://127.0.0.1:9", timeout=2.0)
    assert time.perf_counter() - started < 15.0
    (tmp_path / "a.zarr").mkdir()
    nm.run_study(study, out=tmp_path / "a.zarr")
    other = nm.Study("tonic", t_end=200.0)
    with pytest.raises(OutputError, match="holds a different study"):
        nm.run_study(other, out=tmp_path / "a.zarr")
    assert nm.open_study(tmp_path / "a.zarr").attrs["t_end"] == 100.0  # untouched
    replaced = nm.run_study(other, out=tmp_path / "a.zarr", overwrite=True)
    assert replaced.attrs["t_end"] == 200.0 and nm.open_study(tmp_path / "a.zarr").attrs["t_end"] == 200.0
    calls = []
    for bad, why in ((Path("/proc/neuromorph-study.zarr"), "does not accept new files"),
                     (tmp_path / "missing" / "s.zarr", "does not exist"),
                     (tmp_path / "a.zarr" / "zarr.json", "it is a file")):
        with pytest.raises(OutputError, match=why):
            nm.run_study(study, out=bad, on_chunk=lambda *a: calls.append(a))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match="does not hold a neuromorph study"):
        nm.run_study(study, out=tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep" and not calls
    with pytest.raises(SolverError, match="one of `client`, `scheduler` and `workers`"):
        nm.run_study(study, scheduler="tcp://127.0.0.1:9", workers=2)


@pytest.mark.parametrize("changes, message", [
    (dict(grid={"slow_negative.nope": [1.0]}), "nope"),
    (dict(grid={"slow.tau": [0.0]}), "slow.tau"),
    (dict(noise=0.1, method="rk4"), "stochastic method"),
    (dict(chips=2, method="dopri5"), "chips"),
    (dict(trials=[1, 1]), "distinct"),
    (dict(method="spice", spice={"level": "gate"}), "level"),
    (dict(grid={"chip": [1.0]}), "reserved"),
])
def test_bad_specs_name_the_setting(changes, message):
    with pytest.raises((nm.ModelError, SolverError), match=message):
        nm.Study("bursting", **changes)


def test_bad_spec_files_name_the_file_and_the_setting(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('model = "bursting"\nchunks = 3\n')
    with pytest.raises(nm.CircuitFileError, match="s.toml.*unknown setting 'chunks'"):
        nm.load_study(spec)
    spec.write_text('model = "bursting"\n[grid\n')
    with pytest.raises(nm.CircuitFileError, match="not valid TOML"):
        nm.load_study(spec)
    spec.write_text("t_end = 10\n")
    with pytest.raises(nm.CircuitFileError, match="`model` is required"):
        nm.load_study(spec)


# -- the CLI ----------------------------------------------------------------------------------------

SPEC = """model = "bursting"
t_end = 2500
dt = 0.05
seed = 7
chips = 3
trials = 4
spikes = 64

[grid]
i_app = [-2.6, -2.0, -1.0]

[noise]
white = 0.03

[mismatch]
gain = 0.05
offset = 0.02
"""


def sweep(cwd, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "neuromorph", "sweep", *map(str, args)], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=600, **kwargs)


def test_cli_sweep_writes_the_study_and_every_option_acts(in_process, tmp_path, capsys):
    """The first run and the run on Dask are real programs (a console bar, a cluster of worker processes); the
    others go through ``main`` in this process, what the program runs."""
    from neuromorph.ui.cli import main

    study, local = in_process
    (tmp_path / "spec.toml").write_text(SPEC)
    assert nm.load_study(tmp_path / "spec.toml").fingerprint() == study.fingerprint()
    proc = sweep(tmp_path, "spec.toml", "--out", "a.zarr", "--chunk-size", "7", "--json", "--progress")
    assert proc.returncode == 0, proc.stderr
    assert "study:" in proc.stderr  # the console bar, in-process
    summary = json.loads(proc.stdout)
    assert summary["chunk_size"] == 7 and summary["chunks_computed"] == 6 and summary["members"] == 36
    assert_same(local, nm.open_study(tmp_path / "a.zarr").drop_attrs())
    spec, other, store = str(tmp_path / "spec.toml"), str(tmp_path / "other.toml"), str(tmp_path / "a.zarr")
    capsys.readouterr()
    assert main(["sweep", spec, "--out", store]) == 2 and "--resume" in capsys.readouterr().err
    assert main(["sweep", spec, "--out", store, "--resume", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chunks_reused"] == 6
    (tmp_path / "other.toml").write_text(SPEC.replace("seed = 7", "seed = 8"))
    assert main(["sweep", other, "--out", store]) == 2 and "different study" in capsys.readouterr().err
    replaced = sweep(tmp_path, "other.toml", "--out", "a.zarr", "--overwrite", "--workers", "2", "--progress")
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(nm.open_study(tmp_path / "a.zarr").attrs["spec"])["seed"] == 8
    assert "on 2 Dask worker(s)" in replaced.stdout and "wrote a.zarr" in replaced.stdout
    assert "Completed" in replaced.stdout  # Dask's own bar on a cluster
    assert summary["dask_workers"] == 0
    code = main(["sweep", spec, "--out", str(tmp_path / "b.zarr"), "--scheduler", "tcp://127.0.0.1:9", "--timeout",
                 "1.5"])
    err = capsys.readouterr().err
    assert code == 2 and "scheduler at 'tcp://127.0.0.1:9' within 1.5 s" in err
    assert "Traceback" not in err and not (tmp_path / "b.zarr").exists()


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]])
def test_cli_sweep_stops_on_ctrl_c_and_resumes(tmp_path, workers):
    """Ctrl-C as a terminal sends it, to the whole process group: Dask's worker processes get it too, and
    must neither print a traceback each nor hold the command up while they finish their chunks."""
    (tmp_path / "spec.toml").write_text(SPEC.replace("t_end = 2500", "t_end = 8000"))
    proc = subprocess.Popen([sys.executable, "-m", "neuromorph", "sweep", "spec.toml", "--out", "s.zarr",
                             "--chunk-size", "2", *workers], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    done = tmp_path / "s.zarr" / "chunk_done" / "c"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (done.exists() and len(list(done.iterdir())) >= 2):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 2.0
    assert proc.returncode == 130 and "continue with --resume" in err
    assert "Traceback" not in err and "leaked" not in err and "Exception ignored" not in err, err
    stored = len(list(done.iterdir()))
    assert 2 <= stored < 18
    resumed = sweep(tmp_path, "spec.toml", "--out", "s.zarr", "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["chunks_reused"] == stored and summary["chunks_computed"] == 18 - stored


def _sigint_disposition():
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_study_workers_ignore_the_terminals_ctrl_c_also_after_dask_restarts_them():
    """The command that starts a cluster stops it itself on Ctrl-C; its workers, in the same process group,
    ignore SIGINT (else each prints a traceback), also a worker that Dask restarts later (the start-up
    wrapper is gone then; the preload's ``dask_setup`` covers it)."""
    from neuromorph.studies.cluster import dask_client

    with dask_client(workers=2) as client:
        assert list(client.run(_sigint_disposition).values()) == [True, True]
        client.restart()
        assert list(client.run(_sigint_disposition).values()) == [True, True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # ours is untouched


def test_cli_map_and_reliability_take_workers_and_scheduler(tmp_path, capsys):
    """The Dask runs are real programs (a LocalCluster of worker processes started by the command); the runs
    in this process, and the refusals, go through ``main``, what the program runs."""
    from neuromorph.ui.cli import main

    circuit = ROOT / "circuits" / "bursting.toml"
    common = ["--x", "i_app:-3:0:4", "--t-end", "4000", "--json"]
    capsys.readouterr()
    assert main(["map", str(circuit), *common]) == 0
    local = capsys.readouterr().out
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    remote = subprocess.run([sys.executable, "-m", "neuromorph", "map", circuit, *common, "--workers", "2"],
                            env={**ENV, "TMPDIR": str(scratch)}, capture_output=True, text=True, timeout=600)
    assert remote.returncode == 0, remote.stderr
    assert json.loads(local) == json.loads(remote.stdout)
    assert list(scratch.iterdir()) == []  # the cluster's scratch space goes with it (no dask-scratch-space left)
    assert main(["map", str(circuit), *common, "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    for command in (["map", circuit, *common], ["reliability", circuit, "--trials", "2", "--t-end", "500"]):
        code = main([*map(str, command), "--scheduler", "tcp://127.0.0.1:9", "--timeout", "1.5"])
        err = capsys.readouterr().err
        assert code == 2 and "scheduler at 'tcp://127.0.0.1:9' within 1.5 s" in err, err
    rel = ["reliability", str(circuit), "--trials", "3", "--chips", "2", "--noise", "0.03", "--mismatch", "gain=0.05",
           "--t-end", "3000", "--seed", "5", "--json"]
    assert main(rel) == 0
    a = capsys.readouterr().out
    b = subprocess.run([sys.executable, "-m", "neuromorph", *rel, "--workers", "2"], env=ENV, capture_output=True,
                       text=True, timeout=600)
    assert b.returncode == 0, b.stderr
    assert json.loads(a) == json.loads(b.stdout)


# -- memory, run time, the step's stability and the scheduler's address: checked before any work --------

def test_a_study_too_large_for_memory_is_refused_before_any_id_is_made(tmp_path):
    for kw, name in ((dict(chips=10 ** 9), "`chips`"), (dict(trials=10 ** 9, noise=0.01), "`trials`")):
        started = time.perf_counter()
        with pytest.raises(nm.ModelError, match=r"1e\+09 members .* asked for by " + name + r" needs .* GiB"):
            nm.Study("tonic", t_end=100.0, **kw)
        assert time.perf_counter() - started < 5.0
    (tmp_path / "spec.toml").write_text('model = "tonic"\nt_end = 100\nchips = 1000000000\n')
    proc = sweep(tmp_path, "spec.toml", "--out", "s.zarr")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "spec.toml" in proc.stderr and "asked for by `chips` needs" in proc.stderr
    assert not (tmp_path / "s.zarr").exists()


def test_stored_spikes_that_shrink_the_chunks_are_warned_about_naming_spikes():
    with pytest.warns(nm.NeuromorphWarning, match=r"`spikes` = 100000000 keeps 1.5 GiB per member: a chunk holds 1 "
                                                  r"member\(s\), not the 64 .* `spikes` <= \d+ keeps whole chunks"):
        study = nm.Study("tonic", t_end=100.0, spikes=100_000_000)
    assert sweep_module().default_chunk_size(study, 2) == 1  # what the warning is about
    with warnings_as_errors():
        nm.Study("tonic", t_end=100.0, spikes=64)  # an ordinary number: no warning


def test_the_spikes_warning_is_given_once_not_again_when_the_store_is_opened(tmp_path):
    """(`neuromorph sweep` printed it twice: once for the spec, once more reading the finished store.)"""
    with pytest.warns(nm.NeuromorphWarning, match="`spikes` = 300000 keeps"):
        study = nm.Study("tonic", t_end=10.0, dt=0.05, method="rk4", spikes=300_000)
    with warnings_as_errors():
        ds = nm.run_study(study, out=tmp_path / "s.zarr")
        assert nm.open_study(tmp_path / "s.zarr")["spike_count"].shape == ds["spike_count"].shape


LONG = """
import warnings
import neuromorph as nm

warnings.simplefilter("error", nm.NeuromorphWarning)  # the warning ends the run before its first chunk
nm.run_study(nm.Study("tonic", trials=100_000, noise=0.01, t_end=1e6, dt=0.01))
"""


def test_a_long_study_says_how_long_before_it_starts():
    """1e5 members x 1e8 steps: days of work, said before the first chunk (a subprocess: without the warning the
    study would simply run, and the timeout ends it)."""
    proc = subprocess.run([sys.executable, "-c", LONG], env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert re.search(r"NeuromorphWarning: this study is 1e\+05 members x 1e\+08 steps: roughly [\d.]+ days on \d+ "
                     r"thread\(s\)", proc.stderr), proc.stderr


def test_a_step_far_beyond_the_stability_limit_is_refused_and_one_beyond_it_named(tmp_path):
    with pytest.raises(SolverError, match=r"`dt` = 10 is far beyond rk4's stability limit .*dt < ~3.41"):
        nm.Study("tonic", grid={"i_app": [-0.7, -0.5]}, t_end=1000.0, dt=10.0)
    (tmp_path / "spec.toml").write_text('model = "tonic"\nt_end = 1000\ndt = 10\n')
    proc = sweep(tmp_path, "spec.toml", "--out", "s.zarr")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "`dt` = 10 is far beyond" in proc.stderr
    assert "spec.toml" in proc.stderr and not (tmp_path / "s.zarr").exists()
    study = nm.Study("tonic", grid={"i_app": [-0.7, -0.5]}, trials=2, noise=0.02, t_end=400.0, dt=4.5, seed=1)
    with pytest.warns(nm.NeuromorphWarning, match=r"4 of 4 members diverged: the fixed step dt = 4.5 is beyond "
                                                  r"sra1's stability limit"):
        ds = nm.run_study(study)
    assert (ds["reason"] == "diverging").all() and "dt = 4.5" in ds.attrs["diverged_because"]


def test_cli_a_malformed_scheduler_address_exits_2_at_once_without_a_traceback(tmp_path):
    (tmp_path / "spec.toml").write_text('model = "tonic"\nt_end = 100\n')
    commands = (["sweep", "spec.toml", "--out", "s.zarr"], ["reliability", ROOT / "circuits" / "tonic_spiking.toml"],
                ["map", ROOT / "circuits" / "tonic_spiking.toml", "--x", "i_app:-1:0:2"])
    # every command and every kind of bad address, each command with a different one (a process each)
    for command, address in zip(commands + commands[:1], ("garbage", "tcp://", "nowhere://host:1", "tcp://host:99999")):
        if True:
            started = time.monotonic()
            proc = subprocess.run([sys.executable, "-m", "neuromorph", *map(str, command), "--scheduler", address],
                                  cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=120)
            elapsed = time.monotonic() - started
            assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr  # (a hang printed a traceback)
            assert f"`scheduler` {address!r} is not a Dask scheduler address" in proc.stderr
            assert elapsed < 15.0  # the start of Python and Dask only: a half-made Client hung 2 x --timeout (20 s)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]


def sweep_module():
    from neuromorph.studies import sweep as module

    return module


@contextlib.contextmanager
def warnings_as_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", nm.NeuromorphWarning)
        yield


# -- a store never marks a chunk done before all its data is written ---------------------------------------

CRASH = """
import os, sys
import zarr
import neuromorph as nm
from test_sweep import crash_study

original = zarr.Array.__setitem__


def write(self, selection, value):  # the writer dies between two variables of chunk 1: no exception, no cleanup
    if self.path == "spike_count" and isinstance(selection, slice) and selection.start == 2:
        os._exit(9)
    original(self, selection, value)


zarr.Array.__setitem__ = write
nm.run_study(crash_study(), out=sys.argv[1], chunk_size=2)
"""


def crash_study():
    return nm.Study("tonic", grid={"i_app": [-1.0, -0.8, -0.7, -0.6, -0.5, -0.4]}, trials=1, noise=0.02, t_end=400.0,
                    dt=0.05, seed=3, spikes=8)


def test_a_writer_killed_between_a_chunks_variables_leaves_no_chunk_marked_done_that_is_incomplete(tmp_path):
    """Three chunks of two members; the process writing the store dies while writing chunk 1 (members 2-3), after
    its pattern and status and before its spike counts. Every chunk marked done must hold all its variables, the
    partial one must not be marked, and a resume recomputes it (and the chunk never started) into the same bits
    as a run never interrupted."""
    import zarr

    out = tmp_path / "c.zarr"
    env = {**ENV, "PYTHONPATH": os.pathsep.join((str(ROOT / "tests"), ENV["PYTHONPATH"]))}
    proc = subprocess.run([sys.executable, "-c", CRASH, str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 9, proc.stderr
    group = zarr.open_group(str(out), mode="r")
    done = group["chunk_done"][:]
    pattern, status, counts = group["pattern"][:], group["status"][:], group["spike_count"][:]
    assert done.tolist() == [1, 0, 0]
    assert (status[2:4] >= 0).all() and (counts[2:4] == -1).all()  # chunk 1 was cut between its variables
    for k in np.flatnonzero(done):
        rows = slice(2 * k, 2 * k + 2)
        assert (pattern[rows] >= 0).all() and (status[rows] >= 0).all() and (counts[rows] >= 0).all(), k
    computed = []
    resumed = nm.run_study(crash_study(), out=out, resume=True, on_chunk=lambda k, d, t: computed.append(k))
    assert sorted(computed) == [1, 2] and resumed.attrs["chunks_reused"] == 1
    whole = nm.run_study(crash_study())
    assert_same(whole, resumed)
    assert_same(whole, nm.open_study(out))
