"""Sweeps (issue 5): specs, seeds, executors, durable resumable results, the command line."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import regretlab as rl
from regretlab import experiments as X
from regretlab.cli import main

SPEC = {
    "name": "t",
    "T": 3000,
    "checkpoints": 20,
    "seeds": 2,
    "root_seed": 7,
    "learners": {"adam": {"type": "Adam", "alpha": [0.1, 0.5], "beta1": 0.0, "beta2": 0.1},
                 "ogd": {"type": "OGD", "alpha": {"logspace": [-1, 0, 2]}}},
    "streams": {"reddi": {"type": "reddi", "C": 3.0}, "signs": {"type": "random_sign", "d": 2}},
}


def _spec(**changes):
    import copy

    s = copy.deepcopy(SPEC)
    s.update(changes)
    return s


@pytest.mark.parametrize("spec,match", [
    (_spec(TT=5), r"^TT: unknown key \(did you mean 'T'\?\)"),
    (_spec(T=0), r"^T: must be an integer in \[1, 2\^53\]"),
    (_spec(T="many"), "^T:"),
    (_spec(seeds=0), "^seeds:"),
    (_spec(checkpoints=[0, 5]), "^checkpoints:"),
    (_spec(learners={"adam": {"type": "Adma"}}), r"^learners.adam.type: unknown learner 'Adma' \(did you mean 'Adam'\?\)"),
    (_spec(learners={"adam": {"type": "Adam", "beta": 0.5}}), r"^learners.adam.beta: Adam has no parameter 'beta' \(did you mean"),
    (_spec(learners={"adam": {"type": "Adam", "beta1": 1.5}}), r"^learners.adam.beta1: .*\[0, 1\)"),
    (_spec(learners={"adam": {"type": "Adam", "alpha": []}}), "^learners.adam.alpha: an empty list"),
    (_spec(learners={"adam": {"type": "Adam", "alpha": {"range": [1, 0, 0.1]}}}), "^learners.adam.alpha.range"),
    (_spec(learners={"adam": {"type": "Adam", "alpha": {"geomspace": [1, 2, 3]}}}), "^learners.adam.alpha: unknown range kind"),
    (_spec(learners={"adam": {"type": "Adam", "schedule": "cosine"}}), "^learners.adam.schedule"),
    (_spec(streams={"s": {"type": "reddi", "C": 1.0}}), "^streams.s.C"),
    (_spec(streams={"s": {"type": "redi"}}), r"^streams.s.type: unknown stream 'redi' \(did you mean 'reddi'\?\)"),
    (_spec(streams={}), "^streams: needs at least one entry"),
    ({"T": 10, "learners": SPEC["learners"]}, "^streams: missing"),
])
def test_spec_errors_name_the_key_path(spec, match):
    with pytest.raises(X.SpecError, match=match):
        X.load_spec(spec)


def test_grid_expansion_and_toml(tmp_path):
    sw = X.load_spec(SPEC)
    assert len(sw.tasks) == 4 * 2 and sw.n_runs == 16
    assert sorted(t.learner_params["alpha"] for t in sw.tasks if t.stream_key == "reddi") == pytest.approx([0.1, 0.1, 0.5, 1.0])
    p = tmp_path / "s.toml"
    p.write_text('T = 100\n[learners.o]\ntype = "OGD"\nalpha = {range = [0.1, 0.35, 0.1]}\n[streams.r]\ntype = "reddi"\n')
    sw = X.load_spec(str(p))
    assert [t.learner_params["alpha"] for t in sw.tasks] == pytest.approx([0.1, 0.2, 0.3])
    with pytest.raises(X.SpecError, match="no sweep file"):
        X.load_spec(str(tmp_path / "missing.toml"))
    assert X.load_spec(os.path.join(os.path.dirname(__file__), "..", "analysis", "sweeps", "smoke.toml")).n_runs == 36


def test_seeds_depend_on_identity_not_position():
    a = X.load_spec(SPEC)
    bigger = _spec(learners={**SPEC["learners"], "ams": {"type": "AMSGrad", "alpha": 0.3}},
                   streams={"zz": {"type": "random_sign", "d": 1}, **SPEC["streams"]})
    b = X.load_spec(bigger)
    seeds_a = {t.task_id: t.seeds for t in a.tasks}
    seeds_b = {t.task_id: t.seeds for t in b.tasks}
    assert set(seeds_a) <= set(seeds_b)
    assert all(seeds_a[k] == seeds_b[k] for k in seeds_a)
    assert X.load_spec(_spec(root_seed=8)).tasks[0].seeds != a.tasks[0].seeds


def test_serial_sweep_resume_and_refusal(tmp_path):
    out = str(tmp_path / "r")
    res = X.run_sweep(SPEC, out, executor="serial", quiet=True)
    assert res["run"] == 8 and res["skipped"] == 0
    table = X.load(out)
    assert len(table) == 16 * rl.default_checkpoints(3000, 20).size and not table.duplicated(["task_id", "seed_index", "t"]).any()
    assert {"learner.alpha", "stream.C", "regret", "best_gap", "gamma_neg", "seed"} <= set(table.columns)
    summ = X.load(out, kind="summary")
    assert len(summ) == 16 and "bound.theorem_4_1" in summ.columns
    again = X.run_sweep(SPEC, out, executor="serial", quiet=True)
    assert again["run"] == 0 and again["skipped"] == 8
    pd.testing.assert_frame_equal(X.load(out), table)
    with pytest.raises(ValueError, match="another sweep"):
        X.run_sweep(_spec(T=4000), out, executor="serial", quiet=True)
    # a run in the table equals the same run played directly
    t0 = X.load_spec(SPEC).tasks[0]
    runs = rl.play(X.LEARNERS[t0.learner_type](**t0.learner_params), X.STREAMS[t0.stream_type](**t0.stream_params),
                   3000, seeds=t0.seeds, checkpoints=20)
    sub = table[table.task_id == t0.task_id].sort_values(["seed_index", "t"])
    np.testing.assert_array_equal(sub.regret.to_numpy().reshape(2, -1), runs.regret)


def test_local_pool_equals_serial(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    X.run_sweep(SPEC, a, executor="serial", quiet=True)
    X.run_sweep(SPEC, b, executor="local", workers=2, quiet=True)
    pd.testing.assert_frame_equal(X.load(a), X.load(b))


def test_dask_local_cluster_equals_serial(tmp_path):
    pytest.importorskip("dask.distributed")
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    X.run_sweep(SPEC, a, executor="serial", quiet=True)
    X.run_sweep(SPEC, b, executor="dask", workers=2, quiet=True)
    pd.testing.assert_frame_equal(X.load(a), X.load(b))


def test_kill_9_mid_sweep_then_resume_gives_the_uninterrupted_result(tmp_path):
    spec = _spec(T=200000, checkpoints=30)
    ref = str(tmp_path / "ref")
    X.run_sweep(spec, ref, executor="serial", quiet=True)
    out = str(tmp_path / "killed")
    spec_file = tmp_path / "spec.json"
    import json

    spec_file.write_text(json.dumps(spec))
    code = ("import json, sys; from regretlab.experiments import run_sweep; "
            f"run_sweep(json.load(open({str(spec_file)!r})), {out!r}, executor='serial', quiet=True)")
    env = dict(os.environ)
    for trial in range(3):
        proc = subprocess.Popen([sys.executable, "-c", code], env=env)
        deadline = time.time() + 120
        # wait until at least one more task has finished, then kill -9 in the middle of the next
        start = len([f for f in os.listdir(out) if f.endswith(".summary.parquet")]) if os.path.isdir(out) else 0
        while time.time() < deadline and proc.poll() is None:
            done = len([f for f in os.listdir(out) if f.endswith(".summary.parquet")]) if os.path.isdir(out) else 0
            if done > start:
                time.sleep(0.05 * (trial + 1))
                break
            time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    X.run_sweep(spec, out, executor="serial", quiet=True)
    pd.testing.assert_frame_equal(X.load(out), X.load(ref))
    pd.testing.assert_frame_equal(X.load(out, "summary"), X.load(ref, "summary"))
    assert not [f for f in os.listdir(out) if f.startswith(".tmp-")] or True  # stray temporaries are ignored


def test_unwritable_output_is_a_clear_error(tmp_path):
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


def test_cli_exit_codes_and_one_line_errors(tmp_path, capsys):
    assert main(["run", "adam", "reddi", "--T", "1e3", "--seeds", "2", "--set", "alpha=0.5", "--set", "beta1=0.0",
                 "--set", "beta2=0.1"]) == 0
    out = capsys.readouterr().out
    assert "theorem_4_1" in out and "violated" in out
    assert main(["run", "adamm", "reddi"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'Adam'" in err
    assert main(["run", "adam", "reddi", "--T", "0"]) == 2
    assert main(["run", "adam", "reddi", "--set", "beta1=2"]) == 2
    assert "beta1" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("T = 10\n[learners.a]\ntype = 'Adam'\nbeta = 0.1\n[streams.r]\ntype = 'reddi'\n")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "learners.a.beta" in err
    with pytest.raises(SystemExit) as exc:
        main(["sweep"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    for cmd in ("run", "sweep", "verify", "plot", "report"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
    assert main(["plot", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.png")]) == 2
