"""The verification suite (regretlab.experiments.suite, regretlab.report): ``regretlab verify --quick``
writes a report whose verdicts mean what THEORY.md section 9 says, through the same executors and storage
as a sweep: it resumes an interrupted call, never reuses results of other options, and runs on Dask."""
import json
import os
import re
import shutil

import pandas as pd
import pytest

from regretlab import report
from regretlab.cli import main
from regretlab.experiments import storage

#: two of the cheapest experiments of the suite (no run is continued past its horizon)
CHEAP = ["stochastic_logistic", "adamax"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """``regretlab verify --quick`` once, on the default executor (a process pool)."""
    import contextlib
    import io

    out = str(tmp_path_factory.mktemp("verify") / "verify")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["verify", "--quick", "--out", out, "--quiet"]) == 0
    return out, printed.getvalue()


def _report_body(path):
    """report.md without its first paragraph (which says how long the call took)."""
    return open(path).read().split("\n\n", 2)[2]


def test_verify_quick_writes_a_report_with_existing_figures_and_the_verdicts(quick):
    from regretlab.verification import STATUSES

    out, printed = quick
    assert "Theorem 4.1 (as printed)" in printed
    text = open(os.path.join(out, "report.md")).read()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 11
    for link in links:
        assert os.path.exists(os.path.join(out, link)), link
    assert "figures/momentum_tradeoff.png" in links
    verdicts = pd.read_csv(os.path.join(out, "verdicts.csv"))
    assert verdicts.status.isin(STATUSES).all() and verdicts.growth.isin(["linear", "sublinear", "inconclusive"]).all()
    t41 = verdicts[verdicts.claim == "theorem_4_1"].set_index("experiment")
    assert t41.loc["reddi_theorem_1", "status"] == "violated" and t41.loc["reddi_theorem_1", "first_violation"] == 135
    # issue 11: Theorem 2's family must end violated, continued from T = 3e4 to its crossing near 6.7e7
    th2 = t41.loc["reddi_theorem_2"]
    assert th2.status == "violated" and 6e7 < th2.first_violation < 8e7 and th2["T"] > th2.first_violation
    assert "violated in `reddi_theorem_2`" in text
    held = verdicts[verdicts.claim.isin(["amsgrad_theorem_4", "ogd", "tran_phong", "adagrad"])]
    applicable = held[held.status != "not applicable"]
    # the proved bounds are never violated; where R/bound still rises and the growth is not decided at the
    # quick horizon the row is inconclusive, and says what would decide it
    assert len(applicable) > 5 and applicable.status.isin(["holds", "vacuous", "inconclusive"]).all()
    assert (applicable.status == "holds").sum() >= 5
    assert applicable[applicable.status == "inconclusive"].detail.str.contains("rose from").all()
    # vacuous is never counted as holding: a bound at or above G D T is vacuous
    upper = verdicts[verdicts.status.isin(["holds", "vacuous"]) & verdicts.vacuity.notna()]
    assert ((upper.status == "vacuous") == (upper.vacuity >= 1)).all()
    # not-applicable verdicts carry a reason and no number
    na = verdicts[verdicts.status == "not applicable"]
    assert len(na) and na.bound_T.isna().all() and (na.detail.str.len() > 10).all()
    # the summary counts every status separately, and each claim's counts add up
    assert re.search(r"Theorem 4\.1 \(as printed\)[^\n]*violated \d+", text)
    counts = pd.read_csv(os.path.join(out, "verdicts.csv")).groupby("claim").status.size()
    for claim, n in counts.items():
        if claim in ("theorem_4_1", "corollary_4_2", "ogd", "adagrad", "amsgrad_theorem_4", "sublinear_regret"):
            assert re.search(rf"\| {claim} \|[^\n]*\| {n} \|", text), claim


def _states(out):
    """The configuration folders of a report folder's stored experiments."""
    root = os.path.join(out, storage.SUITE_STATE)
    return sorted(os.path.join(root, d) for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))


def test_an_interrupted_verify_resumes_with_only_the_missing_experiment(quick, tmp_path):
    src, _ = quick
    out = str(tmp_path / "resume")
    shutil.copytree(src, out)
    state, = _states(out)
    os.remove(os.path.join(state, f"{CHEAP[0]}.parquet"))  # as if killed before its table was written
    open(os.path.join(state, ".tmp-abc.parquet"), "wb").write(b"half")  # and a temporary left behind
    kept = {f: os.stat(os.path.join(state, f)).st_mtime_ns for f in os.listdir(state) if not f.startswith(".tmp-")}
    res = report.run_verification(out, quick=True, quiet=True, executor="serial")
    assert res["run"] == [CHEAP[0]] and len(res["reused"]) == len(report.SUITE) - 1
    for f, mtime in kept.items():
        if not f.startswith(CHEAP[0]):
            assert os.stat(os.path.join(state, f)).st_mtime_ns == mtime, f  # finished experiments untouched
    assert open(os.path.join(out, "verdicts.csv")).read() == open(os.path.join(src, "verdicts.csv")).read()
    assert _report_body(os.path.join(out, "report.md")) == _report_body(os.path.join(src, "report.md"))
    assert "reused" not in open(os.path.join(src, "report.md")).read().split("\n\n")[1]
    assert f"{len(report.SUITE) - 1} of {len(report.SUITE)} experiments were reused" in open(
        os.path.join(out, "report.md")).read()


def test_other_options_keep_their_own_results_and_other_code_is_never_reused(quick, tmp_path):
    src, _ = quick
    out = str(tmp_path / "other")
    shutil.copytree(src, out)
    full, = _states(out)
    # other options (no continuation): computed beside the first configuration, which stays whole
    res = report.run_verification(out, quick=True, quiet=True, executor="serial", only=CHEAP, extend=False)
    assert res["run"] == CHEAP and res["reused"] == []
    assert len(_states(out)) == 2 and full in _states(out)
    assert report.run_verification(out, quick=True, quiet=True, executor="serial")["run"] == []
    again = report.run_verification(out, quick=True, quiet=True, executor="serial", only=CHEAP, extend=False)
    assert again["run"] == [] and again["reused"] == CHEAP
    # fresh recomputes, and gives the same numbers
    other, = [s for s in _states(out) if s != full]
    stored = storage.read_experiment(other, CHEAP[0])
    fresh = report.run_verification(out, quick=True, quiet=True, executor="serial", only=CHEAP[:1], extend=False,
                                    fresh=True)
    assert fresh["run"] == CHEAP[:1]
    recomputed = storage.read_experiment(other, CHEAP[0])
    pd.testing.assert_frame_equal(recomputed[0], stored[0])
    assert recomputed[1:] == stored[1:]
    # results of other code (another package hash) are removed, never reused; a user's file there is kept
    old = os.path.join(os.path.dirname(full), "0123456789abcdef")  # as if made by another version
    os.rename(full, old)
    m = json.load(open(os.path.join(old, storage.MANIFEST)))
    m["config"]["package"] = "0" * 16
    json.dump(m, open(os.path.join(old, storage.MANIFEST), "w"))
    open(os.path.join(old, "my_notes.md"), "w").write("mine")
    res = report.run_verification(out, quick=True, quiet=True, executor="serial", only=CHEAP[:1])
    assert res["run"] == CHEAP[:1] and res["reused"] == []
    assert sorted(os.listdir(old)) == ["my_notes.md"]


def test_a_second_call_on_the_same_folder_is_refused_and_bad_arguments_touch_nothing(quick, tmp_path):
    src, _ = quick
    with storage.report_lock(src):
        with pytest.raises(ValueError, match="being written by another regretlab verify"):
            report.run_verification(src, quick=True, quiet=True, executor="serial", only=CHEAP)
    out = tmp_path / "never"
    for kwargs, match in [({"extend": (0, 60)}, "extend rounds"), ({"extend": 5}, "extend must be"),
                          ({"only": 5}, "only must be"), ({"only": ["nope"]}, "'nope' names no experiment"),
                          ({"workers": "2"}, "workers must be a positive integer"),
                          ({"executor": "threads"}, "executor must be")]:
        with pytest.raises(ValueError, match=match):
            report.run_verification(str(out), quick=True, quiet=True, **kwargs)
        assert not out.exists()


def test_a_failing_task_cancels_the_rest_and_keeps_what_finished():
    from regretlab.experiments import executors
    from regretlab.experiments.suite import SuiteTask, package_hash

    good = [SuiteTask(k, True, None, None, package_hash()) for k in CHEAP]
    bad = SuiteTask(CHEAP[0], True, None, None, "another version")
    tasks = [good[0], bad] + [good[1]] * 16
    finished = []
    with pytest.raises(ValueError, match="this worker runs another regretlab"):
        executors.execute(report.run_experiment, tasks, lambda t, r: finished.append(t), executor="local", workers=1)
    # the first finished and was handed over; of the 16 after the failure, the few the pool had already queued
    # or started before this process saw the failure still ran (and were handed over), the others were cancelled
    assert finished[:1] == [good[0]] and len(finished) <= 1 + 8


def test_verify_on_a_dask_cluster_gives_the_pool_s_verdicts(quick, tmp_path):
    pytest.importorskip("dask.distributed")
    src, _ = quick
    out = str(tmp_path / "dask")
    res = report.run_verification(out, quick=True, quiet=True, executor="dask", workers=2, only=CHEAP)
    assert res["run"] == CHEAP
    (mine,), (theirs,) = _states(out), _states(src)
    assert os.path.basename(mine) == os.path.basename(theirs)  # the same configuration
    for k in CHEAP:
        table, section, figures = storage.read_experiment(mine, k)
        their_table, their_section, their_figures = storage.read_experiment(theirs, k)
        pd.testing.assert_frame_equal(table, their_table)
        assert section == their_section and figures == their_figures
        assert open(os.path.join(out, "figures", f"{k}.png"), "rb").read() == figures[f"figures/{k}.png"]
