"""`regretlab verify --quick` and the sweep report (issue 6)."""
import os
import re

import pandas as pd

from regretlab.cli import main


def test_verify_quick_writes_a_report_with_existing_figures_and_the_verdicts(tmp_path, capsys):
    out = str(tmp_path / "verify")
    assert main(["verify", "--quick", "--out", out, "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "Theorem 4.1 (as printed)" in printed
    text = open(os.path.join(out, "report.md")).read()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 10
    for link in links:
        assert os.path.exists(os.path.join(out, link)), link
    verdicts = pd.read_csv(os.path.join(out, "verdicts.csv"))
    t41 = verdicts[verdicts.claim == "theorem_4_1"]
    reddi = t41[t41.experiment == "reddi_theorem_1"]
    assert reddi.status.iloc[0].startswith("violated at t = ")
    assert "violated in `reddi_theorem_1`" in text
    held = verdicts[verdicts.claim.isin(["amsgrad_theorem_4", "ogd", "tran_phong", "adagrad"])]
    applicable = held[~held.status.str.startswith("not applicable")]
    assert len(applicable) > 5 and (applicable.status == "holds").all()
    # not-applicable verdicts carry a reason and no number
    na = verdicts[verdicts.status.str.startswith("not applicable")]
    assert len(na) and na.bound_T.isna().all() and (na.status.str.len() > len("not applicable: ")).all()


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
