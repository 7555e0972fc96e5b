"""A sweep under real signals: Ctrl-C (SIGINT) and SIGTERM stop it within seconds keeping every
finished task, and SIGKILL of the parent leaves no worker behind (tests of issue 14's faults 1-2)."""
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
              pytest.mark.usefixtures("sigint_default")]  # conftest.py

# two quick tasks (d = 1) and two long ones (d = 4000: about 20 s each at T = 1e6)
SPEC = ('name = "sig"\nT = 1000000\nseeds = 1\ncheckpoints = 20\n[learners.o]\ntype = "OGD"\n'
        'alpha = [0.1, 0.2]\n[streams.r]\ntype = "random_sign"\nd = [1, 4000]\n')


def _start(tmp_path, *where):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "res"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.Popen([sys.executable, "-m", "regretlab.cli", "sweep", str(spec), "--out", str(out),
                             "--workers", "2", "--quiet", *where], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    return proc, out


def _stored(out):
    """The finished tasks' files (a task's runs table is written last, atomically)."""
    return [f for f in (os.listdir(out) if out.is_dir() else []) if f.startswith("task-")
            and f.endswith(".parquet") and not f.endswith(".summary.parquet")]


def _wait_for_the_long_tasks(proc, out, timeout=240):
    """Until both quick tasks are stored (the long ones are then running); the workers' processes."""
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if len(_stored(out)) >= 2:
            time.sleep(1.0)  # inside the long tasks
            return psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.2)
    pytest.fail(f"the quick tasks were not stored in time: {proc.poll()} {proc.stderr.read() if proc.poll() else ''}")


def _gone(procs, within):
    end = time.time() + within
    while time.time() < end:
        if not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in procs):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_sweep_keeps_the_finished_tasks_and_ends_the_workers(tmp_path, sig):
    proc, out = _start(tmp_path)
    try:
        workers = _wait_for_the_long_tasks(proc, out)
        assert workers, "the sweep runs on worker processes"
        sent = time.time()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        took = time.time() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert took < 5, took  # the long tasks had about 20 s to go
    assert proc.returncode == 128 + sig, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "2 of 4 task(s) are stored in" in lines[0] and "resumes" in lines[0], err
    assert "Traceback" not in err
    assert _gone(workers, 3), [p.pid for p in workers if p.is_running()]
    assert len(_stored(out)) == 2
    assert not [f for f in os.listdir(out) if ".tmp" in f]


@pytest.mark.parametrize("where", [(), ("--dask",)], ids=["local-pool", "local-dask-cluster"])
def test_killing_the_sweep_leaves_no_worker_behind(tmp_path, where):
    if where:
        pytest.importorskip("dask.distributed")
    proc, out = _start(tmp_path, *where)
    try:
        workers = _wait_for_the_long_tasks(proc, out)
        assert workers
        proc.kill()  # SIGKILL: no handler runs in the parent
        proc.wait(timeout=10)
        assert _gone(workers, 5), [(p.pid, p.status()) for p in workers if p.is_running()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ctrl_c_during_verify_leaves_the_previous_report_as_it_was(tmp_path):
    out = tmp_path / "verify"
    out.mkdir()
    (out / "report.md").write_text("the previous report\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.Popen([sys.executable, "-m", "regretlab.cli", "verify", "--quick", "--out", str(out),
                             "--workers", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        end = time.time() + 120
        while time.time() < end and proc.poll() is None and len(psutil.Process(proc.pid).children()) < 2:
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(2.0)  # the workers are compiling or playing
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "the report was not rewritten" in lines[0], err
    assert (out / "report.md").read_text() == "the previous report\n"
    assert _gone(workers, 3)


@pytest.mark.parametrize("same_spec", [True, False])
def test_a_second_sweep_on_a_folder_being_written_is_refused(tmp_path, same_spec):
    from regretlab.experiments import run_sweep, storage

    spec = 'name = "a"\nT = 50\nseeds = 1\n[learners.o]\ntype = "OGD"\nalpha = 0.1\n[streams.r]\ntype = "reddi"\n'
    other = spec if same_spec else spec.replace('name = "a"', 'name = "b"')
    out = str(tmp_path / "res")
    with storage.sweep_lock(out):  # as another process holding the folder: flock is per open file
        with pytest.raises(ValueError, match=r"is being written by another regretlab sweep \(pid \d+\)"):
            run_sweep(other, out, executor="serial", quiet=True)
    assert not os.path.exists(os.path.join(out, storage.MANIFEST))  # nothing of the refused sweep was written
    assert run_sweep(other, out, executor="serial", quiet=True)["run"] == 1  # once the folder is free
