"""A full disk (a real 1 MiB tmpfs, filled): one line naming the file, the earlier files intact, and no
temporary file left behind (issue 14, fault 5).  Needs the right to mount a tmpfs (root on Linux)."""
import os
import subprocess
import sys

import pytest

from regretlab.cli import main

SPEC = 'name = "d"\nT = 200\nseeds = 2\ncheckpoints = 10\n[learners.o]\ntype = "OGD"\nalpha = [0.1, 0.5]\n' \
       '[streams.r]\ntype = "reddi"\n'


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    where.mkdir()
    if not sys.platform.startswith("linux"):
        pytest.skip("a tmpfs is Linux's")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}): needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(folder):
    """Write until the disk refuses (64 KiB blocks, then single bytes)."""
    for name, block in (("filler", 65536), ("filler2", 1)):
        try:
            with open(folder / name, "wb") as fh:
                while True:
                    fh.write(b"\0" * block)
                    fh.flush()
        except OSError:
            pass


@pytest.fixture
def results(tmp_path):
    """(spec file, results folder) of a tiny sweep, on the ordinary disk."""
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    res = str(tmp_path / "res")
    assert main(["sweep", str(spec), "--out", res, "--serial", "--quiet"]) == 0
    return spec, res


def test_a_full_disk_is_one_line_naming_the_file_and_leaves_the_earlier_files(small_disk, results, capsys):
    spec, res = results
    fig = small_disk / "regret.png"
    rep = small_disk / "report.md"
    assert main(["plot", res, "--out", str(fig)]) == 0
    assert main(["report", res, "--out", str(rep)]) == 0
    good_fig, good_rep = fig.read_bytes(), rep.read_bytes()
    _fill(small_disk)
    capsys.readouterr()
    for argv, path in ((["plot", res, "--out", str(fig)], fig), (["report", res, "--out", str(rep)], rep),
                       (["sweep", str(spec), "--out", str(small_disk / "res"), "--serial", "--quiet"], None)):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        full = "No space left on device" in err or (path is None and "does not fit in the " in err)
        assert err.count("\n") == 1 and full and "Traceback" not in err, err
        assert str(small_disk) in err, err  # names the file (or the folder) it could not write
        if path is not None:
            assert f"cannot write {str(path)!r}" in err
    assert fig.read_bytes() == good_fig and rep.read_bytes() == good_rep
    left = [f for _, _, files in os.walk(small_disk) for f in files if f.startswith(".tmp-")]
    assert not left, left


def test_a_sweep_that_cannot_fit_on_the_disk_is_refused_before_writing(small_disk, tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.replace("seeds = 2", "seeds = 100").replace("checkpoints = 10", "checkpoints = 100"))
    out = small_disk / "res"
    assert main(["sweep", str(spec), "--out", str(out), "--serial", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not fit in the 1 MiB free on the disk of" in err, err
    assert not out.exists()


def test_a_read_only_disk_is_one_line_naming_the_file(small_disk, results, capsys):
    _, res = results
    fig = small_disk / "regret.png"
    assert main(["plot", res, "--out", str(fig)]) == 0
    good = fig.read_bytes()
    r = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {r.stderr.strip()}")
    capsys.readouterr()
    assert main(["plot", res, "--out", str(fig)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Read-only file system" in err and f"cannot write {str(fig)!r}" in err, err
    assert fig.read_bytes() == good
