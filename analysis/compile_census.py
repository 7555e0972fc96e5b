"""Which compiled specialisations a command triggers, and what a cold compile cache costs it.

Numba compiles the game's kernel once per combination of argument *types*: the learner's spec
(one class per learner; its modes are runtime fields since issue 13), the stream's spec, the
domain's projection spec (one type for Box, Ball and Unconstrained since issue 13: their kind is a
runtime field) and the tuple of recorders.  Every combination costs a full compile
(seconds), so their number decides the cold-cache time of the test suite and of ``regretlab
verify``.  This script counts them from a Numba cache folder (each cached specialisation is one
entry of a ``*.nbi`` index) and tabulates the kernel's by learner mode, stream, domain and
recording.

Usage::

    python analysis/compile_census.py --run "python -m pytest -q tests/game"   # cold run, timed, then the census
    python analysis/compile_census.py CACHE_DIR                                 # the census of an existing cache

``--run`` sets ``NUMBA_CACHE_DIR`` to a new empty folder for the command (and the processes it
starts), so every specialisation it needs is compiled and cached there.
"""
from __future__ import annotations

import argparse
import collections
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time


def _entries(index_path):
    """The signatures cached in one Numba index file."""
    with open(index_path, "rb") as fh:
        pickle.load(fh)  # numba's version stamp
        _stamp, overloads = pickle.loads(fh.read())
    return [key[0] for key in overloads]


def _name(t):
    return re.sub(r"\(.*", "", str(t))


def _bounds_names():
    try:
        from regretlab.recorders import BOUNDS
    except ImportError:
        return []
    return [type(r).__name__ for r in BOUNDS]


_BOUNDS = _bounds_names()


_RECS_ARG = {"kernel._play_kernel_py": 4, "kernel._play_pinned_kernel_py": 5, "kernel._play_batch_kernel_py": 4,
             "kernel._play_sparse_kernel_py": 3}


def census(cache_dir):
    """(per-function counts, kernel signatures split into learner, stream, domain, recording)."""
    functions = collections.Counter()
    kernel = []
    for root, _dirs, files in os.walk(cache_dir):
        for f in files:
            if not f.endswith(".nbi"):
                continue
            fn = re.sub(r"-\d+(-[0-9a-f]+)?\.py\d+\.nbi$", "", f)
            try:
                sigs = _entries(os.path.join(root, f))
            except (ImportError, AttributeError, pickle.UnpicklingError):
                # a function defined where this process cannot import it (a test module): count its
                # cached object files instead, one per specialisation
                stem = f[: -len(".nbi")]
                functions[fn] += sum(1 for g in files if g.startswith(stem + ".") and g.endswith(".nbc"))
                continue
            functions[fn] += len(sigs)
            if fn in _RECS_ARG:  # a game's kernel: which loop, and where its recorders are in the signature
                for sig in sigs:
                    names = [n for n in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\(", str(sig[_RECS_ARG[fn]]))
                             if n not in ("Tuple", "UniTuple")]
                    recording = ("regret only" if not names else "bounds (the default)" if names == _BOUNDS
                                 else "+".join(names))
                    kernel.append((_name(sig[0]), _name(sig[1]), _name(sig[2]), recording))
    return functions, kernel


def _table(counter, head, n):
    rows = counter.most_common(n)
    width = max([len(head)] + [len(str(k)) for k, _ in rows])
    lines = [f"{head:<{width}}  count", "-" * (width + 7)]
    lines += [f"{str(k):<{width}}  {v:5d}" for k, v in rows]
    return "\n".join(lines)


def report(cache_dir, top=15):
    functions, kernel = census(cache_dir)
    out = [f"cache {cache_dir}: {sum(functions.values())} compiled specialisations of {len(functions)} functions, "
           f"{len(kernel)} of them the game's kernel", "", _table(functions, "function", top), ""]
    for i, what in enumerate(("learner spec", "stream spec", "domain spec", "recording")):
        out += [_table(collections.Counter(k[i] for k in kernel), f"kernel by {what}", top), ""]
    out += [_table(collections.Counter((k[1], k[2]) for k in kernel), "kernel by (stream, domain)", top)]
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cache_dir", nargs="?", help="an existing Numba cache folder")
    p.add_argument("--run", metavar="COMMAND", help="run COMMAND with a new, empty cache folder, timed")
    p.add_argument("--top", type=int, default=15, help="rows per table (default 15)")
    args = p.parse_args(argv)
    if (args.cache_dir is None) == (args.run is None):
        p.error("give a cache folder or --run COMMAND (one of the two)")
    cache = args.cache_dir
    if args.run:
        cache = tempfile.mkdtemp(prefix="numba-census-")
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        t0 = time.perf_counter()
        rc = subprocess.call(args.run, shell=True, env=env)
        print(f"{args.run!r}: exit {rc}, {time.perf_counter() - t0:.0f} s with a cold cache ({cache})\n")
    elif not os.path.isdir(cache):
        p.error(f"no cache folder {cache!r}")
    print(report(cache, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
