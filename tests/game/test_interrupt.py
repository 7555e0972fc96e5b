"""Ctrl-C during a long play: the compiled loop returns to Python about every CALL_SECONDS, and a
SIGINT that arrives during a call is held until the game's state is whole, then raised as
KeyboardInterrupt (real signals: to a child process, and to this process during ``extend``)."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import regretlab as rl
from regretlab.game import boundary

from identical import arrays, assert_identical

pytestmark = pytest.mark.usefixtures("sigint_default")  # conftest.py

CHILD = textwrap.dedent("""
    import sys
    import regretlab as rl
    said = []
    def progress(t, T):
        if not said:
            said.append(t)
            print("running", flush=True)
    try:
        rl.play(rl.Adam(alpha=0.5, beta1=0.9, beta2=0.99), rl.streams.reddi(3.0), T=2**53, progress=progress)
    except KeyboardInterrupt as e:
        print("KeyboardInterrupt:", e, flush=True)
        sys.exit(3)
    print("finished", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_stops_a_play_of_2_to_the_53_rounds_within_a_second():
    root = os.path.dirname(os.path.dirname(os.path.abspath(rl.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "running", proc.stderr.read()
        time.sleep(0.5)  # well inside the long calls
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        waited = time.perf_counter() - sent
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, out
    assert "KeyboardInterrupt: interrupted at round" in out and f"of {2**53}" in out
    assert waited < 1.0 + 3 * boundary.CALL_SECONDS, waited


def test_an_interrupted_extend_leaves_the_runs_as_they_were():
    L, s = rl.Adam(alpha=0.5, beta1=0.9, beta2=0.99), rl.streams.reddi(3.0)
    runs = rl.play(L, s, T=1000, seeds=[0, 1])
    before = {k: np.array(v, copy=True) for k, v in arrays(runs).items()}
    rl.play(L, s, T=2000, seeds=[0, 1]).extend(3000)  # compiled (the extension's kernel), before timing
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="interrupted at round"):
            runs.extend(2**50)
    finally:
        timer.cancel()
    assert_identical(arrays(runs), before, "the runs extend was called on")
    # and their game continues as if nothing had happened
    assert_identical(arrays(runs.extend(3000)), arrays(rl.play(L, s, T=1000, seeds=[0, 1]).extend(3000)),
                     "extended after the interrupt")


def test_stops_between_checkpoints_leave_every_number_as_it_is(monkeypatch):
    L, s = rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99), rl.streams.reddi_stochastic(3.0)
    one = rl.play(L, s, T=3000, seeds=[3, 4])
    monkeypatch.setattr(boundary, "CALL_UPDATES", 6)  # 3 rounds of 2 trials, then sized by time
    calls = []
    real = boundary.Game._raise_if_failed
    monkeypatch.setattr(boundary.Game, "_raise_if_failed", lambda self, err: (calls.append(self.t), real(self, err)))
    stopped = rl.play(L, s, T=3000, seeds=[3, 4])
    assert len(calls) > 1
    assert_identical(arrays(stopped), arrays(one), "stopped between checkpoints")


def test_interrupting_a_jupyter_kernel_stops_a_long_play():
    jc = pytest.importorskip("jupyter_client")
    pytest.importorskip("ipykernel")
    root = os.path.dirname(os.path.dirname(os.path.abspath(rl.__file__)))
    km = jc.KernelManager(kernel_name="python3")
    km.start_kernel(env=dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in [os.environ.get("PYTHONPATH")] if p])))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        code = ("import regretlab as rl\n"
                "said = []\n"
                "def progress(t, T):\n"
                "    if not said:\n"
                "        said.append(t)\n"
                "        print('running', flush=True)\n"
                "rl.play(rl.Adam(alpha=0.5, beta1=0.9, beta2=0.99), rl.streams.reddi(3.0), T=2**53, "
                "progress=progress)\n")
        msg_id = kc.execute(code)
        end = time.time() + 240
        while time.time() < end:  # until the run prints that it plays (after its compile)
            msg = kc.get_iopub_msg(timeout=240)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream" and \
                    "running" in msg["content"]["text"]:
                break
        time.sleep(0.5)
        sent = time.perf_counter()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=30)
        waited = time.perf_counter() - sent
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt", reply["content"]
    assert "interrupted at round" in reply["content"]["evalue"]
    assert waited < 1.0 + 3 * boundary.CALL_SECONDS, waited


def test_a_game_wider_than_one_calls_budget_still_advances(monkeypatch):
    # CALL_UPDATES below one round's coordinate updates (n d): each call plays at least one round
    L, s = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99), rl.streams.random_sign(3)
    one = rl.play(L, s, T=60, seeds=[0, 1])
    monkeypatch.setattr(boundary, "CALL_UPDATES", 1)
    assert_identical(arrays(rl.play(L, s, T=60, seeds=[0, 1])), arrays(one), "a budget below one round")


def test_a_sparse_game_stops_at_its_checkpoints_only(monkeypatch):
    # the sparse loop syncs its accumulators at a stop: extra stops could move lazy Adam's sum_beta1_h
    L, s = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99, lazy=True), rl.streams.sparse_linear(d=40, nnz=6, zipf=1.1)
    one = rl.play(L, s, T=3000, seeds=[0, 1], sparse=True)
    monkeypatch.setattr(boundary, "CALL_UPDATES", 6)
    stops = []
    real = boundary.Game._raise_if_failed
    monkeypatch.setattr(boundary.Game, "_raise_if_failed", lambda self, err: (stops.append(self.t), real(self, err)))
    again = rl.play(L, s, T=3000, seeds=[0, 1], sparse=True)
    assert len(stops) > 1 and all(t == 1 or t - 1 in set(one.t.tolist()) for t in stops)  # calls start after checkpoints
    assert_identical(arrays(again), arrays(one), "sparse, calls ending at checkpoints")
