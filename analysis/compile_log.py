"""Where a test run's compile time goes: seconds of Numba compiling per kernel loop and per test.

As a pytest plugin it logs every top-level Numba compile (the dispatcher's function, the test
running, seconds; nested compiles count in their caller's) to one JSON-lines file per process in
``$COMPILE_LOG_DIR``; as a script it sums such a folder.  Loads from the compile cache are not
compiles and are not logged.  Subprocesses the tests start (the CLI, sweeps' workers) are not seen.

Usage::

    mkdir /tmp/clog && COMPILE_LOG_DIR=/tmp/clog NUMBA_CACHE_DIR=$(mktemp -d) PYTHONPATH=analysis \\
        python -m pytest -q -p no:cacheprovider -p compile_log -n 2
    python analysis/compile_log.py /tmp/clog
"""
from __future__ import annotations

import collections
import glob
import json
import os
import sys
import time


def _install(folder):
    from numba.core import event

    class _Log(event.Listener):
        def __init__(self):
            self.depth, self.t0, self.fn = 0, 0.0, "?"
            self.out = open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a", buffering=1)  # noqa: SIM115

        def on_start(self, ev):
            if self.depth == 0:
                self.t0 = time.perf_counter()
                d = ev.data.get("dispatcher")
                self.fn = getattr(getattr(d, "py_func", None), "__qualname__", str(d))
            self.depth += 1

        def on_end(self, ev):
            self.depth -= 1
            if self.depth == 0:
                test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
                self.out.write(json.dumps({"fn": self.fn, "test": test, "s": time.perf_counter() - self.t0}) + "\n")

    event.register("numba:compile", _Log())


if os.environ.get("COMPILE_LOG_DIR") and __name__ != "__main__":
    _install(os.environ["COMPILE_LOG_DIR"])


def summary(folder, top=15):
    """Markdown tables of a log folder: compile seconds per compiled function and per test file."""
    per_process = {os.path.basename(f): [json.loads(line) for line in open(f)]
                   for f in glob.glob(os.path.join(folder, "*.jsonl"))}
    rows = [r for rs in per_process.values() for r in rs]
    if not rows:
        return f"no compiles logged in {folder}"
    busy = sorted((sum(r["s"] for r in rs) for rs in per_process.values() if rs), reverse=True)
    out = [f"{len(rows)} top-level compiles, {sum(r['s'] for r in rows):.1f} s in all; per process: "
           + ", ".join(f"{s:.1f} s" for s in busy)]
    for label, key in (("function", lambda r: r["fn"]), ("test file", lambda r: r["test"].split("::")[0])):
        secs, n = collections.Counter(), collections.Counter()
        for r in rows:
            secs[key(r)] += r["s"]
            n[key(r)] += 1
        out += ["", f"| {label} | compiles | seconds |", "|---|---:|---:|"]
        out += [f"| {k} | {n[k]} | {s:.1f} |" for k, s in secs.most_common(top)]
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(summary(sys.argv[1]))
