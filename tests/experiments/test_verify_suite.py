"""The verification suite (regretlab.experiments.suite, regretlab.report): ``regretlab verify --quick``
writes a report whose verdicts mean what THEORY.md section 9 says, through the same executors and storage
as a sweep: it resumes an interrupted call, never reuses results of other options, and runs on Dask."""
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


def test_an_interrupted_verify_resumes_with_only_the_missing_experiment(quick, tmp_path):
    src, _ = quick
    out = str(tmp_path / "resume")
    shutil.copytree(src, out)
    state = os.path.join(out, storage.SUITE_STATE)
    os.remove(os.path.join(state, f"{CHEAP[0]}.parquet"))  # as if killed before its table was written
    open(os.path.join(state, ".tmp-abc.parquet"), "wb").write(b"half")  # and a temporary left behind
    kept = {f: os.stat(os.path.join(state, f)).st_mtime_ns for f in os.listdir(state) if not f.startswith(".tmp-")}
    res = report.run_verification(out, quick=True, quiet=True, executor="serial")
    assert res["run"] == [CHEAP[0]] and len(res["reused"]) == len(report.SUITE) - 1
    for f, mtime in kept.items():
        if not f.startswith(CHEAP[0]):
            assert os.stat(os.path.join(state, f)).st_mtime_ns == mtime, f  # finished experiments untouched
    pd.testing.assert_frame_equal(pd.read_csv(os.path.join(out, "verdicts.csv")),
                                  pd.read_csv(os.path.join(src, "verdicts.csv")))
    assert _report_body(os.path.join(out, "report.md")) == _report_body(os.path.join(src, "report.md"))
    assert "reused" not in open(os.path.join(src, "report.md")).read().split("\n\n")[1]
    assert f"{len(report.SUITE) - 1} of {len(report.SUITE)} experiments reused" in open(
        os.path.join(out, "report.md")).read()


def test_results_of_other_options_or_fresh_are_never_reused(quick, tmp_path):
    src, _ = quick
    out = str(tmp_path / "other")
    shutil.copytree(src, out)
    res = report.run_verification(out, quick=True, quiet=True, executor="serial", only=CHEAP, extend=False)
    assert res["run"] == CHEAP and res["reused"] == []
    state = os.path.join(out, storage.SUITE_STATE)
    assert sorted(f for f in os.listdir(state) if f.endswith(".parquet")) == sorted(f"{k}.parquet" for k in CHEAP)
    again = report.run_verification(out, quick=True, quiet=True, executor="serial", only=CHEAP, extend=False)
    assert again["run"] == [] and again["reused"] == CHEAP
    stored, section = storage.read_experiment(out, CHEAP[0])
    fresh = report.run_verification(out, quick=True, quiet=True, executor="serial", only=CHEAP[:1], extend=False,
                                    fresh=True)
    assert fresh["run"] == CHEAP[:1]
    recomputed, again_section = storage.read_experiment(out, CHEAP[0])
    pd.testing.assert_frame_equal(recomputed, stored)
    assert again_section == section


def test_verify_on_a_dask_cluster_gives_the_pool_s_verdicts(quick, tmp_path):
    pytest.importorskip("dask.distributed")
    src, _ = quick
    out = str(tmp_path / "dask")
    res = report.run_verification(out, quick=True, quiet=True, executor="dask", workers=2, only=CHEAP)
    assert res["run"] == CHEAP
    for k in CHEAP:
        mine, section = storage.read_experiment(out, k)
        theirs, their_section = storage.read_experiment(src, k)
        pd.testing.assert_frame_equal(mine, theirs)
        assert section == their_section
        assert open(os.path.join(out, "figures", f"{k}.png"), "rb").read()[:8] == b"\x89PNG\r\n\x1a\n"
