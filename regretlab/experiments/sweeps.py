"""Running a sweep: each task (one configuration, all its seeds) played and stored as it finishes.

:func:`run_sweep` loads the spec (:mod:`.spec`), skips the tasks already stored in the results
folder (:mod:`.storage`), runs the rest on an executor (:mod:`.executors`) and writes each
result the moment it comes back, so an interrupted sweep resumes where it stopped.
"""
from __future__ import annotations

import math
import os

import numpy as np

from . import executors, storage
from .spec import LEARNERS, STREAMS, Sweep, load_spec


class Failed(dict):
    """What :func:`run_task` returns for a configuration whose run stopped on a non-finite value: the
    task's keys and parameters and the error (which names the round, the seed and the cause)."""


def run_task(task):
    """Play one configuration with all its seeds (one kernel call) and return (runs table, summary
    table), or :class:`Failed` when its run stopped on a non-finite value."""
    import pandas as pd

    from .. import bounds as B
    from ..game import play
    from ..stats import growth, power_law_exponent

    from ..game import NonFiniteError

    learner = LEARNERS[task.learner_type](**task.learner_params)
    stream = STREAMS[task.stream_type](**task.stream_params)
    try:
        runs = play(learner, stream, task.T, seeds=task.seeds, checkpoints=task.checkpoints)
    except NonFiniteError as exc:  # a poisoned configuration is a result: stored as failed, the sweep goes on
        return Failed({"task_id": task.task_id, "learner_key": task.learner_key, "stream_key": task.stream_key,
                       "learner": learner.name, "stream": stream.name, "T": task.T,
                       "error": str(exc), **{f"learner.{k}": v for k, v in task.learner_params.items()},
                       **{f"stream.{k}": v for k, v in task.stream_params.items()}})
    df = runs.to_frame()
    df.insert(0, "task_id", task.task_id)
    df.insert(0, "sweep", task.sweep)
    df["seed_index"] = np.repeat(np.array(task.seed_indices), runs.t.size)
    df["seed"] = df["seed"].astype("uint64")
    df["learner_key"] = task.learner_key
    df["stream_key"] = task.stream_key
    for k, v in task.learner_params.items():
        df[f"learner.{k}"] = v
    for k, v in task.stream_params.items():
        df[f"stream.{k}"] = v if not isinstance(v, (list, tuple)) else str(v)
    # per-run summaries: final regret, rates, growth exponent, bound verdicts at T
    R = runs.regret
    rows = []
    for i, s in enumerate(task.seeds):
        row = {"sweep": task.sweep, "task_id": task.task_id, "learner": learner.name, "stream": stream.name,
               "learner_key": task.learner_key, "stream_key": task.stream_key, "seed_index": task.seed_indices[i],
               "seed": np.uint64(s), "T": task.T, "R_T": float(R[i, -1]), "R_over_T": float(R[i, -1] / task.T),
               "R_over_sqrt_T": float(R[i, -1] / math.sqrt(task.T)),
               "best_gap_T": float(runs.best_gap[i, -1]),
               "gamma_neg": float(runs.stats["gamma_neg"][i, -1])}
        g = growth(runs.t, R[i], stochastic=stream.stochastic)
        row["growth"], row["slope"] = g.verdict, g.slope
        try:
            row["exponent"] = power_law_exponent(runs.t, R[i])
        except ValueError:
            row["exponent"] = math.nan
        for name in B.upper():
            b = B.evaluate(name, runs)
            row[f"bound.{name}"] = float(np.atleast_2d(b.value)[i, -1]) if b.applicable else math.nan
        rows.append(row)
    summ = pd.DataFrame(rows)
    for k, v in task.learner_params.items():
        summ[f"learner.{k}"] = v
    for k, v in task.stream_params.items():
        summ[f"stream.{k}"] = v if not isinstance(v, (list, tuple)) else str(v)
    return df, summ


#: a sweep beyond any of these is run only when asked (``allow_large``): tasks, bytes its results take on
#: disk, and trial-rounds it plays (10^12: hours on a few cores at the measured 5-40 ns per trial-round)
LARGE_TASKS, LARGE_BYTES, LARGE_ROUNDS = 10_000, 2 ** 30, 10 ** 12
ROW_BYTES = 120  # a run x checkpoint row of a Parquet task table (measured: 86 bytes at 15,400 rows and 27 columns)


def results_bytes(sweep, tasks=None):
    """An estimate of the bytes the results of a sweep's ``tasks`` (default: all) take on disk (their
    rows x :data:`ROW_BYTES`)."""
    ck = sweep.checkpoints
    nck = len(ck) if isinstance(ck, list) else int(ck) if isinstance(ck, int) else 200
    return sum(len(t.seeds) for t in (sweep.tasks if tasks is None else tasks)) * nck * ROW_BYTES


def _size(n):
    """Bytes as a short text: 512 B, 9.4 KiB, 3 MiB, 2.1 GiB."""
    for unit, k in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 2 ** k:
            return f"{n / 2 ** k:.3g} {unit}"
    return f"{int(n)} B"


def _check_task_memory(todo, allow_large, at_once=1):
    """The memory check of :func:`regretlab.play` for the task of each stream configuration with
    the most seeds, before any worker starts, and of ``at_once`` of the largest played together (a
    worker plays one task at a time)."""
    from .. import _validate as V
    from .. import recorders
    from ..game import boundary

    biggest = {}
    for t in todo:
        key = (t.stream_type, _json(t.stream_params))
        if key not in biggest or len(t.seeds) > len(biggest[key].seeds):
            biggest[key] = t
    largest = 0
    for t in biggest.values():
        try:
            stream = STREAMS[t.stream_type](**t.stream_params)
        except Exception:  # noqa: BLE001  (the task itself will say what is wrong with it)
            continue
        nc = boundary._checkpoints(t.checkpoints, t.T).shape[0]
        try:
            boundary._fits(len(t.seeds), stream, nc, recorders.BOUNDS, stream.d <= 64, allow_large)
        except ValueError as exc:
            raise ValueError(f"task {t.task_id} ({t.learner_key} x {t.stream_key}): {exc}") from None
        largest = max(largest, boundary.game_bytes(len(t.seeds), stream, nc, recorders.BOUNDS, stream.d <= 64))
    if at_once > 1 and largest:
        V.fits_in_memory(f"{at_once} of the sweep's largest tasks played at once", at_once * largest,
                         "use fewer workers (--workers)")


def _json(params):
    import json

    return json.dumps(params, sort_keys=True, default=str)


def _check_size(sweep, out, allow_large, executor="serial", workers=None, dask_address=None):
    """Refuse, before anything is written, a sweep whose remaining results cannot fit on the disk of
    ``out``, and one with more than LARGE_TASKS tasks, LARGE_BYTES of results or LARGE_ROUNDS
    trial-rounds to go unless ``allow_large``."""
    import shutil

    todo = [t for t in sweep.tasks if not storage.task_done(out, t.task_id)]  # (a resume writes only these)
    need = results_bytes(sweep, todo)
    where = os.path.abspath(out)
    while not os.path.exists(where):
        where = os.path.dirname(where)
    free = shutil.disk_usage(where).free
    size = (f"{len(todo)} task(s) to run of {len(sweep.tasks)}, {sum(len(t.seeds) for t in todo)} run(s), about "
            f"{_size(need)} of results")
    if need > free:
        raise ValueError(f"the sweep {sweep.name!r} ({size}) does not fit in the {_size(free)} free on the disk of "
                         f"{out!r}")
    local = executor == "local" or (executor == "dask" and not dask_address)  # workers on this machine
    at_once = min(workers or os.cpu_count() or 1, len(todo)) if local else 1
    _check_task_memory(todo, allow_large, at_once)
    rounds = sum(len(t.seeds) * t.T for t in todo)
    if not allow_large and (len(todo) > LARGE_TASKS or need > LARGE_BYTES or rounds > LARGE_ROUNDS):
        raise ValueError(f"the sweep {sweep.name!r} is large ({size}, {rounds:.3g} trial-rounds; more than "
                         f"{LARGE_TASKS} tasks, {LARGE_BYTES / 2 ** 30:g} GiB or {LARGE_ROUNDS:.0e} trial-rounds): pass "
                         "allow_large=True (regretlab sweep --large) to run it")


def run_sweep(spec, out, *, executor="local", workers=None, dask_address=None, quiet=False, retry_failed=False,
              allow_large=False):
    """Run a sweep into the folder ``out``; finished tasks found there are skipped.

    Parameters
    ----------
    spec : dict, TOML text, path or :class:`~regretlab.experiments.spec.Sweep`
    out : str
        Results folder (created).  A folder holding another sweep is refused.
    executor : {"local", "serial", "dask"}
        See :func:`regretlab.experiments.executors.execute`.
    quiet : bool
        No progress bar (it is also off when stderr is not a terminal).
    retry_failed : bool
        Play again the tasks recorded as failed by an earlier call (by default they are kept as
        failed: a configuration whose losses overflow fails the same way every time).
    allow_large : bool
        Run a sweep of more than :data:`LARGE_TASKS` tasks, :data:`LARGE_BYTES` of results or
        :data:`LARGE_ROUNDS` trial-rounds (refused otherwise, before anything is written; one that
        does not fit on the disk is refused always).

    Returns
    -------
    dict with the counts of tasks run, skipped and failed (``failed``: every task of the folder
    recorded as failed, with ``failures``, their errors by task id), and the folder.  A task whose
    run stops on a non-finite value is stored as failed (``task-<id>.failed.json``) and the sweep
    goes on.

    Raises
    ------
    regretlab.experiments.executors.Interrupted
        On SIGINT (Ctrl-C) or SIGTERM, within about a second: the workers are ended, every task that
        had finished is stored, and the message says how many (a ``KeyboardInterrupt``).
    """
    sweep = spec if isinstance(spec, Sweep) else load_spec(spec)
    executors.check(executor, workers)
    _check_size(sweep, out, allow_large, executor, workers, dask_address)
    with storage.sweep_lock(out):
        storage.prepare_sweep(out, sweep)
        todo = [t for t in sweep.tasks if not storage.task_done(out, t.task_id, failed=not retry_failed)]
        skipped = len(sweep.tasks) - len(todo)
        bar = executors.progress(len(sweep.tasks), quiet)
        bar.update(skipped)

        def store(task, result):
            if isinstance(result, Failed):
                storage.write_failure(out, task.task_id, dict(result))
            else:
                storage.write_task(out, task.task_id, result)
            bar.update(1)

        try:
            executors.execute(run_task, todo, store, executor=executor, workers=workers, dask_address=dask_address)
        except executors.Interrupted as exc:
            kept = sum(storage.task_done(out, t.task_id) for t in sweep.tasks)
            raise executors.Interrupted(exc.signum, f"{kept} of {len(sweep.tasks)} task(s) are stored in {out}; "
                                        "the same command resumes from there") from None
        finally:
            bar.close()
    failed = {t.task_id: storage.failures_of(out, t.task_id) for t in sweep.tasks
              if os.path.exists(storage.failure_path(out, t.task_id))}
    return {"out": out, "tasks": len(sweep.tasks), "run": len(todo), "skipped": skipped, "runs": sweep.n_runs,
            "failed": len(failed), "failures": failed}
