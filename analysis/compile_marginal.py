"""What one more compiled kernel costs: the marginal cold compile time of the game's loop, by recording.

``compile_census.py`` counts the kernel specialisations a command triggers; this script measures
what each costs once the functions every kernel shares are compiled.  In a fresh process with an
empty compile cache it plays one warm-up game (compiling the shared helpers: random numbers,
flushes, the recorders' own code paths), then times ``play`` on games whose kernels differ only
in the learner (Reddi's stream, the box [-1, 1], T = 100, so the time is the compile).  Each
recording runs in its own process, so no kernel of one recording is reused by another.

Usage::

    python analysis/compile_marginal.py [--record bounds regret] [--repeats 1] [--out reports/benchmarks_compile.md]

Measured at issue 13 (2 cores, Numba 0.68), with every registered function inlined by Numba into
each kernel: 3.6 s per kernel with the default recording, 1.3 s with ``record="regret"`` (the
recorders were two thirds of a default kernel's compile); with each compiled once per argument
types and inlined by LLVM (``regretlab._registry._always_inline``): about 2.3 s and 1.1 s.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CHILD = r"""
import json, sys, time
import regretlab as rl
record = sys.argv[1]
stream = rl.streams.reddi(C=3.0)
t0 = time.perf_counter()
rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), stream, T=100, record=record)  # the shared functions
out = {"first": time.perf_counter() - t0}
for name, L in (("OGD", rl.OGD(alpha=0.5)), ("AdaGrad", rl.AdaGrad(alpha=0.5)), ("AMSGrad", rl.AMSGrad(alpha=0.5)),
                ("RMSProp", rl.RMSProp(alpha=0.5)), ("AdaMax", rl.AdaMax(alpha=0.5))):
    t0 = time.perf_counter()
    rl.play(L, stream, T=100, record=record)
    out[name] = time.perf_counter() - t0
print(json.dumps(out))
"""


def measure(record):
    """{learner: seconds} for one fresh process with an empty compile cache."""
    import json

    with tempfile.TemporaryDirectory(prefix="numba-marginal-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
        res = subprocess.run([sys.executable, "-c", _CHILD, record], env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"record={record!r}: the child failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


LEARNERS = ("OGD", "AdaGrad", "AMSGrad", "RMSProp", "AdaMax")


def main(argv=None):
    import datetime
    import platform
    import statistics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--record", nargs="+", default=["bounds", "regret"])
    ap.add_argument("--repeats", type=int, default=1, help="fresh processes per recording")
    ap.add_argument("--out", help="also write the table to this markdown file")
    args = ap.parse_args(argv)
    lines = ["| recording | first game (s) | " + " | ".join(LEARNERS) + " | mean s/kernel |", "|---|" + "---:|" * 7]
    means = {}
    for record in args.record:
        for _ in range(args.repeats):
            m = measure(record)
            mean = sum(m[name] for name in LEARNERS) / len(LEARNERS)
            means.setdefault(record, []).append(mean)
            lines.append(f"| {record} | {m['first']:.2f} | " + " | ".join(f"{m[n]:.2f}" for n in LEARNERS)
                         + f" | {mean:.2f} |")
            print(lines[-1], flush=True)
    if args.out:
        import numba

        head = [f"# Cold compile time of one more game kernel ({datetime.date.today()})", "",
                f"`python analysis/compile_marginal.py {' '.join(argv if argv is not None else sys.argv[1:])}`; "
                f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
                f"Numba {numba.__version__}.  Each row is a fresh process with an empty compile cache: the first "
                "game compiles every shared function and its kernel, then each learner's game on Reddi's stream "
                "(T = 100) compiles one more kernel and that learner's step.", ""]
        tail = ["", "Median of the per-process means: " + ", ".join(
            f"{r}: {statistics.median(v):.2f} s per kernel" for r, v in means.items()) + "."]
        with open(args.out, "w") as fh:
            fh.write("\n".join(head + lines + tail) + "\n")


if __name__ == "__main__":
    main()
