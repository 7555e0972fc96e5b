"""Running sweeps (regretlab.experiments.sweeps, storage, executors): the stored tables, bit-identical on
every executor, after a resume and after ``kill -9``; a folder holding another sweep is refused.

Compile budget: the sweep plays Adam against reddi and random_sign, kernels that other tests also use;
pool and Dask workers load them from the on-disk cache.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import regretlab as rl
from regretlab import experiments as X
from regretlab.experiments import storage

from test_sweep_spec import SPEC  # the one base spec of the sweep tests


def assert_bit_identical(a: pd.DataFrame, b: pd.DataFrame):
    assert list(a.columns) == list(b.columns)
    assert a.shape == b.shape and len(a) > 0
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        assert x.dtype == y.dtype, c
        if x.dtype.kind == "f":
            assert x.tobytes() == y.tobytes(), (c, np.flatnonzero(x.view(np.uint64) != y.view(np.uint64))[:5])
        else:
            assert (x == y).all() or pd.Series(x).equals(pd.Series(y)), c


def _tables(out):
    return X.load(out), X.load(out, "summary")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("serial") / "out")
    res = X.run_sweep(SPEC, out, executor="serial", quiet=True)
    assert res == {"out": out, "tasks": 4, "run": 4, "skipped": 0, "runs": 8, "failed": 0, "failures": {}}
    runs, summ = _tables(out)
    assert len(runs) == 8 * 12 and len(summ) == 8
    assert not runs.duplicated(["task_id", "seed_index", "t"]).any()
    return out, runs, summ


@pytest.mark.parametrize("executor,workers", [("serial", None), ("local", 1), ("local", 2), ("dask", 2)],
                         ids=["serial-again", "pool-1", "pool-2", "dask-2"])
def test_every_executor_is_bit_identical_to_serial(serial, tmp_path, executor, workers):
    if executor == "dask":
        pytest.importorskip("dask.distributed")
    _, runs, summ = serial
    out = str(tmp_path / executor)
    res = X.run_sweep(SPEC, out, executor=executor, workers=workers, quiet=True)
    assert res["run"] == 4
    r2, s2 = _tables(out)
    assert_bit_identical(runs, r2)
    assert_bit_identical(summ, s2)


def test_the_tables_name_their_columns_and_hold_the_runs_played_directly(serial):
    out, runs, summ = serial
    assert {"learner.alpha", "stream.C", "regret", "best_gap", "gamma_neg", "seed", "seed_index"} <= set(runs.columns)
    assert {"R_T", "growth", "slope", "exponent", "bound.theorem_4_1"} <= set(summ.columns)
    t0 = X.load_spec(SPEC).tasks[0]
    direct = rl.play(X.LEARNERS[t0.learner_type](**t0.learner_params), X.STREAMS[t0.stream_type](**t0.stream_params),
                     SPEC["T"], seeds=t0.seeds, checkpoints=SPEC["checkpoints"])
    sub = runs[runs.task_id == t0.task_id].sort_values(["seed_index", "t"])
    np.testing.assert_array_equal(sub.regret.to_numpy().reshape(2, -1), direct.regret)
    np.testing.assert_array_equal(sub.t.to_numpy().reshape(2, -1)[0], direct.t)


def test_a_folder_holding_another_sweep_is_refused(serial, tmp_path):
    out = str(tmp_path / "other")
    shutil.copytree(serial[0], out)
    with pytest.raises(ValueError, match="holds the results of another sweep"):
        X.run_sweep(dict(SPEC, T=500), out, executor="serial", quiet=True)


def test_resume_recomputes_only_the_missing_task_bit_identically(serial, tmp_path):
    src, runs, summ = serial
    out = str(tmp_path / "resume")
    shutil.copytree(src, out)
    task = X.load_spec(SPEC).tasks[1]
    for p in storage.task_paths(out, task.task_id):
        os.remove(p)
    kept = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in os.listdir(out) if f != ".lock"}  # (its holder)
    res = X.run_sweep(SPEC, out, executor="serial", quiet=True)
    assert (res["run"], res["skipped"]) == (1, 3)
    for f, mtime in kept.items():  # finished tasks (and the manifest) are not rewritten
        assert os.stat(os.path.join(out, f)).st_mtime_ns == mtime, f

    def task_files(folder):
        return sorted(f for f in os.listdir(folder) if f.startswith("task-"))

    assert task_files(out) == task_files(src)
    assert not [f for f in os.listdir(out) if f.startswith(".tmp-")]
    r2, s2 = _tables(out)
    assert_bit_identical(runs, r2)
    assert_bit_identical(summ, s2)


def test_growing_the_grid_keeps_the_finished_runs_bit_identical(serial, tmp_path):
    """Seeds follow a run's identity, not its position: a bigger sweep reproduces the smaller one's rows."""
    _, runs, summ = serial
    big = copy.deepcopy(SPEC)
    big["learners"]["adam"]["alpha"] = [0.05, 0.1, 0.4]
    big["streams"] = {"aaa": {"type": "random_sign", "d": 1}, **SPEC["streams"]}
    out = str(tmp_path / "big")
    X.run_sweep(big, out, executor="serial", quiet=True)
    ids = set(runs.task_id)
    for small, table in ((runs, X.load(out)), (summ, X.load(out, "summary"))):
        table = table[table.task_id.isin(ids)].reset_index(drop=True)
        assert_bit_identical(small, table[list(small.columns)])


def test_kill_9_mid_sweep_then_resume_gives_the_uninterrupted_result(tmp_path):
    """A real SIGKILL in the middle of a task, three times; the resumed sweep equals the uninterrupted one."""
    spec = dict(SPEC, T=300_000, checkpoints=30)
    ref = str(tmp_path / "ref")
    X.run_sweep(spec, ref, executor="serial", quiet=True)
    out = str(tmp_path / "killed")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    code = ("import json; from regretlab.experiments import run_sweep; "
            f"run_sweep(json.load(open({str(spec_file)!r})), {out!r}, executor='serial', quiet=True)")

    def finished():
        return len([f for f in os.listdir(out) if f.endswith(".summary.parquet")]) if os.path.isdir(out) else 0

    killed = 0
    for trial in range(3):
        proc = subprocess.Popen([sys.executable, "-c", code])
        deadline, start = time.time() + 120, finished()
        # wait until one more task has finished, then kill -9 in the middle of the next one
        while time.time() < deadline and proc.poll() is None:
            if finished() > start:
                time.sleep(0.05 * (trial + 1))
                break
            time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed >= 1, "the sweep finished before it could be killed: make it longer"
    X.run_sweep(spec, out, executor="serial", quiet=True)
    assert_bit_identical(X.load(out), X.load(ref))
    assert_bit_identical(X.load(out, "summary"), X.load(ref, "summary"))


def test_an_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="cannot create the output folder"):
        X.run_sweep(SPEC, str(blocker / "out"), executor="serial", quiet=True)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(str(ro), os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(ValueError, match="not writable|cannot create"):
            X.run_sweep(SPEC, str(ro / "x"), executor="serial", quiet=True)
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("kwargs,match", [({"executor": "threads"}, "executor must be"),
                                          ({"executor": "local", "workers": 0}, "workers must be a positive")])
def test_bad_executor_options_are_refused_before_anything_runs(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        X.run_sweep(SPEC, str(tmp_path / "o"), quiet=True, **kwargs)
    assert not (tmp_path / "o").exists()


def test_stored_files_get_the_usual_permissions(tmp_path):
    from regretlab.experiments import storage

    old = os.umask(0o022)
    try:
        storage._UMASK.clear()  # (read once per process)
        storage.atomic_write(str(tmp_path / "a.txt"), "x")
        os.umask(0o077)
        storage._UMASK.clear()
        storage.atomic_write(str(tmp_path / "b.txt"), "y")
    finally:
        os.umask(old)
        storage._UMASK.clear()
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o600


POISONED = ('name = "p"\nT = 50\nseeds = 2\ncheckpoints = 10\n[learners.o]\ntype = "OGD"\nalpha = 0.1\n'
            '[streams.r]\ntype = "reddi"\nC = [3.0, 1e200]\n')


def test_a_poisoned_configuration_is_a_failed_result_and_the_sweep_goes_on(tmp_path, capsys):
    from regretlab.cli import main
    from regretlab.report import sweep_report

    out = str(tmp_path / "res")
    res = X.run_sweep(POISONED, out, executor="serial", quiet=True)
    assert (res["run"], res["failed"]) == (2, 1)
    [(tid, err)] = res["failures"].items()
    assert "became non-finite at round" in err and "seed" in err
    fails = X.failures(out)
    assert fails.task_id.tolist() == [tid] and fails["stream.C"].tolist() == [1e200]
    assert X.load(out).task_id.nunique() == 1  # the healthy configuration's runs are stored
    # a resume does not retry it; --retry-failed does (and it fails the same way)
    assert X.run_sweep(POISONED, out, executor="serial", quiet=True)["run"] == 0
    again = X.run_sweep(POISONED, out, executor="serial", quiet=True, retry_failed=True)
    assert (again["run"], again["failed"]) == (1, 1)
    text = open(sweep_report(out, str(tmp_path / "r.md"))).read()
    assert "## Failed configurations" in text and "C=1e+200" in text and "non-finite at round" in text
    capsys.readouterr()
    assert main(["plot", out, "--out", str(tmp_path / "p.png")]) == 0
    assert ("not drawn (failed): o x r (alpha=0.1, C=1e+200): the squared gradient norm became non-finite at round 1,"
            " seed ") in capsys.readouterr().out
    spec = tmp_path / "p.toml"
    spec.write_text(POISONED)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "cli"), "--serial", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "1 task(s) failed" in printed and "non-finite at round" in printed


def test_sizes_beyond_the_machine_or_the_usual_are_refused_before_anything_runs(tmp_path):
    import time

    import regretlab as rl
    from regretlab.experiments.spec import MAX_SEEDS, SpecError

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"needs about .* GiB of memory, more than the .* GiB available"):
        rl.play(rl.OGD(), rl.streams.reddi(), 100, seeds=range(10 ** 12))
    with pytest.raises(SpecError, match=rf"seeds: 100000000 per configuration; at most {MAX_SEEDS}"):
        X.load_spec(dict(SPEC, seeds=100_000_000))
    assert time.perf_counter() - t0 < 5  # refused, not attempted
    wide = {"name": "w", "T": 10, "seeds": 1, "learners": {"o": {"type": "OGD", "alpha": {"linspace": [0.01, 1.0, 200]}}},
            "streams": {"r": {"type": "reddi", "C": {"linspace": [2.5, 9.0, 60]}}}}
    out = str(tmp_path / "wide")
    with pytest.raises(ValueError, match=r"is large \(12000 task\(s\) to run of 12000.*allow_large=True \(regretlab sweep --large\)"):
        X.run_sweep(wide, out, executor="serial", quiet=True)
    long = dict(SPEC, T=2 ** 40, checkpoints=10)
    with pytest.raises(ValueError, match=r"trial-rounds; more than .* 1e\+12 trial-rounds\): pass allow_large=True"):
        X.run_sweep(long, out, executor="serial", quiet=True)
    assert not os.path.exists(out)


def test_a_call_over_half_the_memory_needs_allow_large(monkeypatch):
    import regretlab as rl
    from regretlab import _validate

    asked = []
    real = _validate.fits_in_memory
    monkeypatch.setattr(_validate, "fits_in_memory", lambda what, nbytes, *a, **k: (asked.append(nbytes),
                                                                                    real(what, nbytes, *a, **k)))
    run = rl.play(rl.OGD(), rl.streams.reddi(), 100, seeds=range(4))
    need = max(asked)
    # as if this machine had 1.5 times the memory this call needs: over half of it, within all of it
    monkeypatch.setattr(_validate, "available_memory", lambda: int(1.5 * need))
    with pytest.raises(ValueError, match=r"more than half the .* available on this machine: pass allow_large=True"):
        rl.play(rl.OGD(), rl.streams.reddi(), 100, seeds=range(4))
    again = rl.play(rl.OGD(), rl.streams.reddi(), 100, seeds=range(4), allow_large=True)
    assert np.array_equal(again.regret, run.regret)
    monkeypatch.setattr(_validate, "available_memory", lambda: int(0.9 * need))
    with pytest.raises(ValueError, match=r"more than the .* available on this machine; use fewer seeds"):
        rl.play(rl.OGD(), rl.streams.reddi(), 100, seeds=range(4), allow_large=True)


def test_a_sweep_whose_task_cannot_fit_in_memory_is_refused_before_launch(tmp_path):
    big = {"name": "m", "T": 10, "seeds": 200_000, "learners": {"o": {"type": "OGD"}},
           "streams": {"r": {"type": "random_sign", "d": 100_000}}}
    out = str(tmp_path / "m")
    with pytest.raises(ValueError, match=r"task \w+ \(o x r\): a game of 200000 trial\(s\) x d = 100000 .* needs "
                                         r"about .* GiB of memory"):
        X.run_sweep(big, out, executor="serial", quiet=True)
    assert not os.path.exists(out)


def test_tasks_played_at_once_must_fit_together(tmp_path, monkeypatch):
    from regretlab import _validate
    from regretlab.game import boundary

    spec = {"name": "w", "T": 10, "seeds": 3, "learners": {"o": {"type": "OGD", "alpha": [0.1, 0.2, 0.3, 0.4]}},
            "streams": {"r": {"type": "reddi"}}}
    one = boundary.game_bytes(3, rl.streams.reddi(), boundary._checkpoints(None, 10).shape[0], rl.recorders.BOUNDS,
                              True)
    monkeypatch.setattr(_validate, "available_memory", lambda: int(3.5 * one))  # 3 tasks fit, 4 do not
    out = str(tmp_path / "w")
    with pytest.raises(ValueError, match=r"4 of the sweep's largest tasks played at once needs .*; use fewer workers"):
        X.run_sweep(spec, out, executor="local", workers=4, quiet=True)
    assert not os.path.exists(out)
    assert X.run_sweep(spec, out, executor="serial", quiet=True)["run"] == 4
