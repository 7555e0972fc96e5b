"""`regretlab verify --quick` and the sweep report (issue 6)."""
import os
import re

import pandas as pd

from regretlab.cli import main


def test_verify_quick_writes_a_report_with_existing_figures_and_the_verdicts(tmp_path, capsys):
    from regretlab.verification import STATUSES

    out = str(tmp_path / "verify")
    assert main(["verify", "--quick", "--out", out, "--quiet"]) == 0
    printed = capsys.readouterr().out
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


def test_sweep_report_and_plot(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "r"\nT = 500\nseeds = 2\ncheckpoints = 20\n[learners.o]\ntype = "OGD"\n'
                    'alpha = [0.1, 0.5]\n[streams.r]\ntype = "reddi"\n')
    out = str(tmp_path / "res")
    assert main(["sweep", str(spec), "--out", out, "--serial", "--quiet"]) == 0
    assert main(["report", out, "--out", str(tmp_path / "r.md")]) == 0
    text = open(tmp_path / "r.md").read()
    assert "4 runs in 2 configurations" in text
    assert main(["plot", out, "--out", str(tmp_path / "p.png")]) == 0
    assert os.path.getsize(tmp_path / "p.png") > 1000
