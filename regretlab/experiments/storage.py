"""Results on disk: every file written whole or not at all, and a manifest saying what a folder holds.

Each finished task is written under a temporary name in its folder and renamed into place
(:func:`atomic_write`, :func:`atomic_parquet`), the file that marks it finished last.  An
interrupted run (even ``kill -9``) therefore leaves only whole files and temporaries whose
names start with ``.tmp-``; the next run skips the finished tasks and recomputes the rest.
A folder's ``manifest.json`` names the configuration whose results it holds, so results of
two different sweep specifications, or of two verification configurations (code, suite and
options), are never mixed.  (A sweep's manifest names its specification, not the code: resuming a
sweep after changing regretlab adds runs of the new code to the old ones.)
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile

MANIFEST = "manifest.json"


_UMASK = []


def _umask():
    """This process's umask, read once (reading it means setting it, which races with other threads)."""
    if not _UMASK:
        mask = os.umask(0o022)
        os.umask(mask)
        _UMASK.append(mask)
    return _UMASK[0]


def _atomically(path, write, suffix=""):
    """Call ``write(tmp)`` on a temporary file in ``path``'s folder, fsync it and rename it to ``path``;
    on any failure (a full disk, Ctrl-C) the temporary is removed and ``path`` is untouched."""
    d = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=d)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path!r}: {exc.strerror}") from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file 0600: give it the usual mode
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:  # a full disk, a read-only one: say which file
            raise OSError(exc.errno, f"cannot write {path!r}: {exc.strerror}") from None
        raise


def save_figure(fig, path, **kwargs):
    """``fig.savefig(path, **kwargs)``, whole or not at all (an earlier file at ``path`` stays as it
    was when the disk is full); the format is the one ``path``'s extension names."""
    ext = os.path.splitext(path)[1]
    fmt = ext[1:].lower() or None
    _atomically(path, lambda tmp: fig.savefig(tmp, format=fmt, **kwargs), suffix=ext)


def atomic_write(path, data):
    """Write ``data`` (bytes or str) to ``path``, whole or not at all."""
    def write(tmp):
        with open(tmp, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)

    _atomically(path, write)


def atomic_parquet(df, path):
    """Write a DataFrame as Parquet (pyarrow) to ``path``, whole or not at all."""
    _atomically(path, lambda tmp: df.to_parquet(tmp, index=False), suffix=".parquet")


def make_folder(out, what="output folder"):
    """Create ``out`` (and parents); a ValueError naming the folder when it cannot be created or written."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the {what} {out!r}: {exc.strerror}") from None
    if not os.access(out, os.W_OK):
        raise ValueError(f"the {what} {out!r} is not writable")


def read_manifest(out):
    """The manifest of folder ``out``, or None when it has none."""
    path = os.path.join(out, MANIFEST)
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)


def write_manifest(out, manifest):
    atomic_write(os.path.join(out, MANIFEST), json.dumps(manifest, indent=1, default=str))


# ----------------------------------------------------------------------------- sweep tasks

def task_paths(out, task_id):
    """The two files of a sweep task: its runs table and its summary table (the runs table is written last)."""
    return os.path.join(out, f"task-{task_id}.parquet"), os.path.join(out, f"task-{task_id}.summary.parquet")


def prepare_sweep(out, sweep):
    """Make ``out`` ready for ``sweep``: create it and its manifest, or check that it holds this sweep."""
    make_folder(out)
    old = read_manifest(out)
    if old is not None:
        if old.get("spec_hash") != sweep.spec_hash:
            raise ValueError(f"{out!r} holds the results of another sweep ({old.get('name')!r}, spec "
                             f"{old.get('spec_hash')}); use another --out folder")
        return
    write_manifest(out, {"name": sweep.name, "spec_hash": sweep.spec_hash, "spec": sweep.spec,
                         "tasks": [t.task_id for t in sweep.tasks], "n_runs": sweep.n_runs})


def task_done(out, task_id, *, failed=True):
    """Whether the task is stored: finished, or (``failed``) recorded as failed."""
    return os.path.exists(task_paths(out, task_id)[0]) or (failed and os.path.exists(failure_path(out, task_id)))


def failure_path(out, task_id):
    """The record of a task whose run stopped on a non-finite value (a JSON object)."""
    return os.path.join(out, f"task-{task_id}.failed.json")


def write_failure(out, task_id, failure):
    """Store a failed task: ``failure`` is a dict (the task's keys and parameters, and the error)."""
    atomic_write(failure_path(out, task_id), json.dumps(failure, sort_keys=True, default=str, indent=1))


def clear_failure(out, task_id):
    """Forget a task's failure (before it is tried again)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(failure_path(out, task_id))


def failures_of(out, task_id):
    """The error of a failed task (its message)."""
    with open(failure_path(out, task_id)) as fh:
        return json.load(fh)["error"]


def failure_lines(table):
    """One short line per failed task of :func:`failures`: its configuration and where it stopped."""
    out = []
    for _, r in table.iterrows():
        params = ", ".join(f"{c.split('.', 1)[1]}={r[c]}" for c in table.columns
                           if c.startswith(("learner.", "stream.")) and r[c] == r[c])
        where = re.sub(r" \([^()]*\)", "", str(r["error"]).split(", learner ")[0])  # without the explanation
        out.append(f"{r['learner_key']} x {r['stream_key']} ({params}): {where}")
    return out


def failures(path):
    """The failed tasks of a sweep folder: a DataFrame with one row per task (``task_id``,
    ``learner_key``, ``stream_key``, ``error``, the parameters), empty when none failed."""
    import pandas as pd

    if not os.path.isdir(path):
        raise ValueError(f"no results folder {path!r}")
    rows = []
    for f in sorted(os.listdir(path)):
        if f.startswith("task-") and f.endswith(".failed.json"):
            with open(os.path.join(path, f)) as fh:
                rows.append(json.load(fh))
    return pd.DataFrame(rows)


def write_task(out, task_id, result):
    """Store a finished sweep task ``(runs table, summary table)``; its runs table marks it finished."""
    df, summ = result
    main, summary = task_paths(out, task_id)
    atomic_parquet(summ, summary)
    atomic_parquet(df, main)  # written last: its presence marks the task finished
    clear_failure(out, task_id)  # (a failure retried with success)


def load(path, kind="runs"):
    """The results of a sweep folder as one pandas DataFrame.

    ``kind="runs"``: one row per run x checkpoint; ``kind="summary"``: one row per run.
    Only finished tasks are read (temporary files of interrupted tasks are ignored).
    """
    import pandas as pd

    if kind not in ("runs", "summary"):
        raise ValueError(f"kind must be 'runs' or 'summary', got {kind!r}")
    if not os.path.isdir(path):
        raise ValueError(f"no results folder {path!r}")
    files = sorted(f for f in os.listdir(path) if f.startswith("task-") and f.endswith(".parquet")
                   and f.endswith(".summary.parquet") == (kind == "summary"))
    if kind == "summary":
        files = [f for f in files if os.path.exists(os.path.join(path, f.replace(".summary", "")))]
    if not files:
        return pd.DataFrame()
    df = pd.concat([pd.read_parquet(os.path.join(path, f)) for f in files], ignore_index=True)
    keys = ["task_id", "seed_index"] + (["t"] if kind == "runs" else [])
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- verification experiments

#: the folder, inside a report folder, holding the finished experiments of the verification suite:
#: one subfolder per configuration (code, suite, options), named by its hash
SUITE_STATE = ".experiments"
_MARK = "regretlab verification state"


def config_hash(config):
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextlib.contextmanager
def report_lock(out):
    """Hold the report folder ``out`` for this call: a second call on the same folder (any options) is
    refused with a ValueError instead of mixing its files with this one's."""
    make_folder(out, "report folder")
    root = os.path.join(out, SUITE_STATE)
    make_folder(root, "report folder")
    with _exclusive(os.path.join(root, "lock"), f"the report folder {out!r} is being written by another regretlab "
                    "verify ({who}); wait for it to finish or use another --out"):
        yield


@contextlib.contextmanager
def sweep_lock(out):
    """Hold the results folder ``out`` for this sweep: a second sweep on it (whatever its spec) is
    refused with a ValueError, so that two sweeps never mix their results or compute a task twice."""
    make_folder(out)
    with _exclusive(os.path.join(out, ".lock"), f"the results folder {out!r} is being written by another "
                    "regretlab sweep ({who}); wait for it to finish or use another --out"):
        yield


@contextlib.contextmanager
def _exclusive(path, refusal):
    """An exclusive advisory lock on the file ``path`` for the block (released by the OS when this process
    ends, however it ends), or a ValueError ``refusal`` (``{who}``: the holder's pid) if another process
    holds it.  Where the platform has no advisory locks, nothing is held."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # unbuffered: closing it writes nothing
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path!r}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            who = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            raise ValueError(refusal.format(who=who)) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write {path!r}: {exc.strerror}") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _clear(state, keys):
    """Remove what this module wrote in ``state`` (and the folder when nothing else is left in it)."""
    names = {MANIFEST} | {f"{k}{ext}" for k in keys for ext in (".md", ".parquet", ".png")}
    for f in os.listdir(state):
        if f in names or f.startswith(".tmp-"):
            os.unlink(os.path.join(state, f))
    try:
        os.rmdir(state)
    except OSError:  # files that are not ours: leave them
        pass


def prepare_suite(out, config, keys, fresh=False):
    """The state folder of configuration ``config`` (a dict: code, suite and options) in the report folder
    ``out``, created if new; call it holding :func:`report_lock`.  ``keys`` are the suite's experiment
    keys (the only files ever removed are theirs).  State of other code (another ``config["package"]``)
    can never be reused and is removed; state of the same code with other options (``--quick`` and
    the full suite) is kept beside it.  ``fresh`` empties this configuration's state."""
    root = os.path.join(out, SUITE_STATE)
    make_folder(os.path.join(out, "figures"), "report folder")
    for sub in os.listdir(root):
        p = os.path.join(root, sub)
        m = read_manifest(p) if os.path.isdir(p) else None
        if m and m.get("kind") == _MARK and m.get("config", {}).get("package") != config.get("package"):
            _clear(p, keys)
    state = os.path.join(root, config_hash(config))
    if fresh and os.path.isdir(state):
        _clear(state, keys)
    make_folder(state, "report folder")
    if read_manifest(state) is None:
        write_manifest(state, {"kind": _MARK, "config": config})
    return state


def _experiment_paths(state, key):
    return os.path.join(state, f"{key}.md"), os.path.join(state, f"{key}.parquet")


def experiment_done(state, key):
    return all(os.path.exists(p) for p in _experiment_paths(state, key))


def write_experiment(state, key, result):
    """Store a finished experiment ``(verdict table, markdown section, {figure path: png bytes})``: its
    figure (``<key>.png``), its section, then its verdict table, which marks it finished."""
    table, section, figures = result
    if set(figures) - {os.path.join("figures", f"{key}.png")}:
        raise ValueError(f"experiment {key!r}: its figure must be figures/{key}.png, got {sorted(figures)}")
    for png in figures.values():
        atomic_write(os.path.join(state, f"{key}.png"), png)
    md, pq = _experiment_paths(state, key)
    atomic_write(md, section)
    atomic_parquet(table, pq)


def read_experiment(state, key):
    """``(verdict table, markdown section, {figure path: png bytes})`` of a finished experiment."""
    import pandas as pd

    md, pq = _experiment_paths(state, key)
    with open(md) as fh:
        section = fh.read()
    png = os.path.join(state, f"{key}.png")
    figures = {}
    if os.path.exists(png):
        with open(png, "rb") as fh:
            figures[os.path.join("figures", f"{key}.png")] = fh.read()
    return pd.read_parquet(pq), section, figures
