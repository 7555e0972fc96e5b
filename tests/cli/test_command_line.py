"""The command line (regretlab.cli): exit codes, one-line errors, and sweep -> report -> plot end to end."""
import os

import pytest

from regretlab.cli import main


def test_exit_codes_and_one_line_errors(tmp_path, capsys):
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
    assert main(["verify", "--workers", "0", "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "workers must be a positive integer" in err
    with pytest.raises(SystemExit) as exc:
        main(["sweep"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    for cmd in ("run", "sweep", "verify", "plot", "report"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
    assert main(["plot", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.png")]) == 2


def test_sweep_then_report_then_plot(tmp_path):
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
