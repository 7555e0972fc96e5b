"""Where tasks run: in this process, on a local process pool, or on a Dask cluster.

:func:`execute` is the one way the sweeps and the verification suite run their tasks.  Each
task's result comes back to this process, which alone writes it (so a cluster needs no shared
file system and two workers never write the same file), as soon as the task finishes.
"""
from __future__ import annotations

import os
import sys

EXECUTORS = ("local", "serial", "dask")


def worker_init():
    """Start-up of a worker process: one compiled loop per process, no nested thread pools."""
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


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
    """
    check(executor, workers)
    tasks = list(tasks)
    if not tasks:
        return
    if executor == "serial":
        for t in tasks:
            on_result(t, fn(t))
    elif executor == "local":
        import concurrent.futures as cf
        import multiprocessing as mp

        n = min(workers or os.cpu_count() or 1, len(tasks))
        with cf.ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn"),
                                    initializer=worker_init) as pool:
            futs = {pool.submit(fn, t): t for t in tasks}
            _collect(cf.as_completed(futs), futs, on_result, lambda: [f.cancel() for f in futs])
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
    cluster = None
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futs = client.map(fn, tasks, pure=False)
        which = {f.key: t for f, t in zip(futs, tasks)}
        _collect(as_completed(futs), {f: which[f.key] for f in futs}, on_result,
                 lambda: client.cancel([f for f in futs if not f.done()]))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
