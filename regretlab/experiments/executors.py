"""Where tasks run: in this process, on a local process pool, or on a Dask cluster.

:func:`execute` is the one way the sweeps and the verification suite run their tasks.  Each
task's result comes back to this process, which alone writes it (so a cluster needs no shared
file system and two workers never write the same file), as soon as the task finishes.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys

EXECUTORS = ("local", "serial", "dask")


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped the tasks: the workers are gone and every task that had finished was
    handed to ``on_result``.  ``signum`` is the signal; ``str()`` says what was kept (the caller's
    ``message``)."""

    def __init__(self, signum, message=""):
        super().__init__(message or signal.Signals(signum).name)
        self.signum = signum
        self.message = message


def watch_parent(pid, every=0.5):
    """End this process (exit status 1) within ``every`` seconds of its parent ``pid`` ending: a
    daemon thread polls the parent pid (the compiled loops release the GIL, so it runs while they
    play; an orphan is adopted by another process, so its parent pid changes).  Together with
    Linux's parent-death signal this leaves no worker behind a parent killed by SIGKILL."""
    import threading
    import time

    def watch():
        while True:
            time.sleep(every)
            if os.getppid() != pid:
                os._exit(1)

    threading.Thread(target=watch, name="regretlab-watch-parent", daemon=True).start()


def _die_with_parent():
    """Linux: SIGKILL this process when the thread that started it ends (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def worker_init(parent=None, pdeathsig=False):
    """Start-up of a worker process: one compiled loop per process, no nested thread pools; Ctrl-C is
    the parent's to handle (it stops the workers itself); and the worker ends when its parent
    ``parent`` (a pid) does, however it ends (``pdeathsig``: also by the parent-death signal, when
    the pool was started from the main thread, which lives as long as the parent)."""
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        if pdeathsig:
            _die_with_parent()
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)
        watch_parent(parent)


@contextlib.contextmanager
def _stop_on_signals(state):
    """SIGINT and SIGTERM raise :class:`Interrupted` in this thread while the block runs, except while
    ``state["busy"]`` (a result being stored), when the signal is held until ``release(state)``.
    Only in the main thread; elsewhere signals act as before."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if state["busy"]:
            state["pending"] = signum
        else:
            raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _guarded(on_result, state):
    """``on_result`` with SIGINT/SIGTERM held while it runs (a result is stored whole or not at all)."""

    def call(task, result):
        state["busy"] = True
        try:
            on_result(task, result)
        finally:
            state["busy"] = False
        if state["pending"] is not None:
            raise Interrupted(state["pending"])

    return call


def _stop_pool(pool):
    """Cancel what has not started and end the workers now (terminate, then kill what is left)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # CPython keeps the workers here
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(2.0)
        if p.is_alive():
            p.kill()
            p.join(1.0)


def check(executor, workers):
    """A ValueError naming the parameter when ``executor`` or ``workers`` is not valid."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be 'local', 'serial' or 'dask', got {executor!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if executor == "dask":
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise ValueError("the Dask executor needs dask.distributed: pip install 'regretlab[dask]'") from None


def progress(total, quiet, unit="task", desc="sweep"):
    """A tqdm bar on stderr; off when ``quiet`` or when stderr is not a terminal."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, disable=quiet or not sys.stderr.isatty(), smoothing=0.1)


def execute(fn, tasks, on_result, *, executor="local", workers=None, dask_address=None):
    """Call ``fn(task)`` for every task and ``on_result(task, result)`` here as each one finishes.

    When a task fails, the tasks not yet started are cancelled, the results of those already
    running are still handed to ``on_result`` as they finish, and then the first error is raised:
    one bad task loses no finished work and does not make the others run for nothing.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the workers).
    tasks : list
        Picklable task descriptions, started in this order.
    executor : {"local", "serial", "dask"}
        ``"local"``: a process pool (spawned, :func:`worker_init`) of ``workers`` processes
        (default: the CPU count, never more than there are tasks); ``"serial"``: this process;
        ``"dask"``: the Dask cluster at ``dask_address``, or a local Dask cluster of ``workers``
        single-threaded processes when no address is given (needs ``regretlab[dask]``).

    SIGINT (Ctrl-C) and SIGTERM stop the call within about a second: the workers are ended (a
    local pool's are terminated; a local Dask cluster is closed), tasks not finished are dropped,
    and :class:`Interrupted` is raised; a result being handed to ``on_result`` is finished first.
    Workers of a local pool or cluster also end within a second of this process, if it is killed.
    """
    check(executor, workers)
    tasks = list(tasks)
    if not tasks:
        return
    state = {"busy": False, "pending": None}
    on_result = _guarded(on_result, state)
    with _stop_on_signals(state):
        if executor == "serial":
            for t in tasks:
                on_result(t, fn(t))
        elif executor == "local":
            import concurrent.futures as cf
            import multiprocessing as mp
            import threading

            n = min(workers or os.cpu_count() or 1, len(tasks))
            main = threading.current_thread() is threading.main_thread()
            pool = cf.ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn"),
                                          initializer=worker_init, initargs=(os.getpid(), main))
            try:
                futs = {pool.submit(fn, t): t for t in tasks}
                _collect(cf.as_completed(futs), futs, on_result, lambda: [f.cancel() for f in futs])
            except BaseException:
                state["busy"] = True  # a second Ctrl-C waits until the workers are gone
                try:
                    _stop_pool(pool)
                finally:
                    state["busy"] = False
                raise
            pool.shutdown(wait=True)
        else:
            _execute_dask(fn, tasks, on_result, dask_address, workers)


def _collect(finished, task_of, on_result, cancel_rest):
    """Hand each finished future's result to ``on_result``; after the first failure cancel what has not
    started, keep collecting what was running, then raise that first failure."""
    import concurrent.futures as cf

    first = None
    for f in finished:
        if f.cancelled():
            continue
        try:
            res = f.result()
        except cf.CancelledError:  # cancelled after the first failure
            continue
        except Exception as exc:  # noqa: BLE001  (re-raised below, after the finished work is stored)
            if first is None:
                first = exc
                cancel_rest()
            continue
        on_result(task_of[f], res)
    if first is not None:
        raise first


def _execute_dask(fn, tasks, on_result, address, workers):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ValueError("the Dask executor needs dask.distributed: pip install 'regretlab[dask]'") from None
    cluster = client = None
    try:
        if address:
            client = Client(address)
        else:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
            # the local cluster's worker processes (children of its nannies, which live in this
            # process) end when this process does, however it ends
            client.run(watch_parent, os.getpid())
        futs = client.map(fn, tasks, pure=False)
        which = {f.key: t for f, t in zip(futs, tasks)}
        _collect(as_completed(futs), {f: which[f.key] for f in futs}, on_result,
                 lambda: client.cancel([f for f in futs if not f.done()]))
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
