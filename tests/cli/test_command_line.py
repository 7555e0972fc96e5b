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


@pytest.mark.parametrize("argv, says", [
    (["run", "adam", "reddi", "--T", "100", "--stream-set", "C=1e200"], "became non-finite at round 1, seed 0"),
    (["run", "adam", "reddi", "--set", "alpah=0.5"], "unexpected keyword argument 'alpah'; its parameters (--set"),
    (["run", "adam", "switching_quadratic"], "missing a required argument: 'targets'; its parameters"),
    (["run", "adam", "reddi", "--set", "alpha=nan"], "alpha must be finite and in (0, inf), got nan"),
    (["run", "adam", "reddi", "--plot", ""], "--plot needs an image file name"),
    (["run", "adam", "reddi", "--plot", "/nonexistent/x.png"], "the folder '/nonexistent' does not exist"),
])
def test_a_user_error_is_one_line_and_status_2(argv, says, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and says in err and "Traceback" not in err, err
    assert "R(T)" not in out  # refused before any run


def test_an_internal_error_says_it_is_one(monkeypatch, capsys):
    import regretlab.game

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(regretlab.game, "play", broken)
    monkeypatch.delenv("REGRETLAB_TRACEBACK", raising=False)
    assert main(["run", "adam", "reddi", "--T", "10"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (a bug in regretlab" in err and "RuntimeError: boom" in err
    monkeypatch.setenv("REGRETLAB_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["run", "adam", "reddi", "--T", "10"])
