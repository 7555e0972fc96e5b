"""The ``regretlab`` command line.

    regretlab run adam reddi --T 1e6 --seeds 8 --plot regret.png
    regretlab sweep sweep.toml --out results/ [--serial | --dask [ADDRESS]] [--workers N]
    regretlab verify [--quick] [--out reports/verify] [--serial | --dask [ADDRESS]] [--workers N] [--fresh]
                     [--no-extend | --extend-to T] [--extend-seconds S]

Sweeps and the verification suite store each finished task in their folder and resume there
after an interruption (``--fresh`` recomputes the suite).
    regretlab plot results/ --out regret.png
    regretlab report results/ --out report.md

User errors print one line and exit with status 2, never a traceback; an internal error (a bug) says
it is one, on one line, and exits with status 70 (``REGRETLAB_TRACEBACK=1`` shows its traceback).
"""
from __future__ import annotations

import argparse
import ast
import math
import os
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def _value(text):
    """A Python literal (0.5, [1, 2], 'x'), else a float ('nan', 'inf', '-inf'), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _make(cls, params, what, name):
    """``cls(**params)``; a ValueError naming the parameters ``cls`` takes when they do not fit."""
    import inspect

    try:
        inspect.signature(cls).bind(**params)
    except TypeError as exc:
        names = [p.name for p in inspect.signature(cls).parameters.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        flag = "--set" if what == "learner" else "--stream-set"
        raise ValueError(f"{what} {name}: {exc}; its parameters ({flag} KEY=VALUE): {', '.join(names)}") from None
    return cls(**params)


def _params(items, what):
    out = {}
    for item in items or ():
        if "=" not in item:
            raise ValueError(f"--{what} takes key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = _value(v.strip())
    return out


def _lookup(name, table, what):
    import difflib

    by_lower = {k.lower(): k for k in table}
    key = by_lower.get(name.lower())
    if key is None:
        m = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
        hint = f" (did you mean {by_lower[m[0]]!r}?)" if m else ""
        raise ValueError(f"unknown {what} {name!r}{hint}; valid: {', '.join(sorted(table))}")
    return table[key]


def _number(text, what, kind):
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what} must be {kind}, got {text!r}") from None


def _count(text, what):
    v = _number(text, what, "a number")
    if not math.isfinite(v) or not v.is_integer() or v < 1:
        raise ValueError(f"{what} must be a positive integer (1e6 is accepted), got {text!r}")
    return int(v)


def _seconds(text, what):
    v = _number(text, what, "a number of seconds")
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{what} must be a positive number of seconds, got {text!r}")
    return v


def _run(args):
    import numpy as np
    import pandas as pd

    from . import experiments as X
    from .game import play
    from .verification import verify

    L = _make(_lookup(args.learner, X.LEARNERS, "learner"), _params(args.set, "set"), "learner", args.learner)
    S = _make(_lookup(args.stream, X.STREAMS, "stream"), _params(args.stream_set, "stream-set"), "stream",
              args.stream)
    T = _count(args.T, "--T")
    n = _count(args.seeds, "--seeds")
    if args.plot is not None:  # checked before the runs, not after them
        folder = os.path.dirname(os.path.abspath(args.plot))
        if not args.plot.strip() or os.path.isdir(args.plot):
            raise ValueError(f"--plot needs an image file name (png, pdf, svg), got {args.plot!r}")
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise ValueError(f"--plot {args.plot!r}: the folder {folder!r} does not exist or is not writable")
    runs = play(L, S, T, seeds=range(n))
    R = runs.regret[:, -1]
    print(f"{L!r} vs {S!r}, T = {T}, {n} seed(s)")
    print(f"R(T) = {np.mean(R):.6g} (min {np.min(R):.6g}, max {np.max(R):.6g}); R/T = {np.mean(R) / T:.4g}; "
          f"R/sqrt(T) = {np.mean(R) / math.sqrt(T):.4g}")
    table = verify(runs, extend=None if args.extend_to is None else _count(args.extend_to, "--extend-to"))
    g = table.iloc[0]
    print(f"growth: {g.growth} (slope s = {g.slope:.4g} of R(t)/t)")
    for _, row in table.iterrows():
        where = ""
        if row.status == "violated" and row.first_violation is not None and row.first_violation is not pd.NA:
            where = f" at round {int(row.first_violation)}"
        elif row.status in ("predicted violation", "vacuous") and math.isfinite(row.predicted_violation):
            where = f" (crossing predicted at about T = {row.predicted_violation:.3g})"
        print(f"  {row.claim:22s} {row.status}{where}")
    if args.plot:
        from . import plots

        fig = plots.regret(runs, bounds=[b for b in ("theorem_4_1", "amsgrad_theorem_4", "ogd", "adagrad")])
        from .experiments.storage import save_figure

        save_figure(fig, args.plot, dpi=150, bbox_inches="tight")
        print(f"wrote {args.plot}")
    return 0


def _sweep(args):
    from .experiments import run_sweep

    executor, address = _executor(args, "local")
    res = run_sweep(args.spec, args.out, executor=executor, workers=args.workers, dask_address=address,
                    quiet=args.quiet, retry_failed=args.retry_failed, allow_large=args.large)
    print(f"{res['tasks']} task(s) ({res['runs']} runs): {res['run']} run, {res['skipped']} already done -> "
          f"{res['out']}")
    if res["failed"]:
        from .experiments import failures
        from .experiments.storage import failure_lines

        print(f"{res['failed']} task(s) failed (stored as failed; --retry-failed plays them again):")
        for line in failure_lines(failures(res["out"])):
            print(f"  {line}")
    return 0


def _verify(args):
    from .report import run_verification

    if args.no_extend:
        extend = False
    elif args.extend_to is not None or args.extend_seconds is not None:
        from .report import EXTEND

        rounds, secs = EXTEND[bool(args.quick)]
        if args.extend_to is not None:
            rounds = _count(args.extend_to, "--extend-to")
        if args.extend_seconds is not None:
            secs = _seconds(args.extend_seconds, "--extend-seconds")
        extend = (rounds, secs)
    else:
        extend = True
    executor, address = _executor(args, None)
    out = run_verification(args.out, quick=args.quick, quiet=args.quiet, extend=extend, executor=executor,
                           workers=args.workers, dask_address=address, fresh=args.fresh)
    print(out["summary"])
    if out["reused"]:
        print(f"\n{len(out['reused'])} experiment(s) reused from an earlier call in {args.out} with the same code, "
              f"suite, options and library versions (--fresh recomputes them): {', '.join(out['reused'])}")
    print(f"\nwrote {out['report']}")
    return 0


def _plot(args):
    from . import plots
    from .experiments import load

    from .experiments import failures
    from .experiments.storage import failure_lines

    table = load(args.results)
    if table.empty:
        raise ValueError(f"{args.results!r} holds no finished runs")
    failed = failure_lines(failures(args.results))
    fig = plots.sweep_regret(table, failed=failed)
    for line in failed:
        print(f"not drawn (failed): {line}")
    from .experiments.storage import save_figure

    save_figure(fig, args.out, dpi=150, bbox_inches="tight")
    print(f"wrote {args.out}")
    return 0


def _report(args):
    from .report import sweep_report

    path = sweep_report(args.results, args.out)
    print(f"wrote {path}")
    return 0


def _executor_options(p):
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dask", nargs="?", const="", default=None, metavar="ADDRESS",
                       help="run on a Dask cluster (a local one when no scheduler address is given)")
    where.add_argument("--serial", action="store_true", help="run in this process (no pool)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the local pool or local Dask cluster (default: CPU count)")


def _executor(args, default):
    """(executor, Dask address) from --serial / --dask [ADDRESS] / --workers."""
    if args.workers is not None and (args.serial or args.dask):
        raise ValueError(f"--workers {args.workers} sets the size of a local pool or local Dask cluster; it does not "
                         f"apply with {'--serial' if args.serial else '--dask ' + args.dask}")
    if args.dask is not None:
        return "dask", args.dask or None
    return ("serial" if args.serial else default), None


def main(argv=None):
    parser = _Parser(prog="regretlab", description="Regret in online convex optimization: compiled learners, "
                     "exact regret, theorem bounds checked on each run.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="one learner x one stream, several seeds")
    p.add_argument("learner", help="learner name (adam, amsgrad, adamax, adagrad, rmsprop, ogd, adamnc, nesterovsgd)")
    p.add_argument("stream", help="stream name (reddi, random_sign, periodic_linear, ...)")
    p.add_argument("--T", default="10000", help="horizon (1e6 is accepted; default 1e4)")
    p.add_argument("--seeds", default="1", help="number of seeds (default 1)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a learner hyperparameter, e.g. alpha=0.5")
    p.add_argument("--stream-set", action="append", metavar="KEY=VALUE", help="a stream parameter, e.g. C=3")
    p.add_argument("--plot", metavar="FILE", help="write the regret plot to FILE (png, pdf, svg)")
    p.add_argument("--extend-to", metavar="T", default=None,
                   help="continue the runs towards a predicted violation, up to this horizon (default: never)")
    p.set_defaults(fn=_run)

    p = sub.add_parser("sweep", help="run a sweep spec (TOML) into a results folder, resumably")
    p.add_argument("spec", help="the sweep file (TOML)")
    p.add_argument("--out", required=True, help="results folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--large", action="store_true",
                   help="run a sweep of more than 10000 tasks, 1 GiB of results or 1e12 trial-rounds (refused "
                        "otherwise)")
    p.add_argument("--retry-failed", action="store_true",
                   help="play again the tasks an earlier call recorded as failed (a non-finite value)")
    _executor_options(p)
    p.set_defaults(fn=_sweep)

    p = sub.add_parser("verify", help="run the built-in verification suite and write a report")
    p.add_argument("--quick", action="store_true", help="smaller T and fewer seeds (minutes)")
    p.add_argument("--out", default=os.path.join("reports", "verify"), help="report folder (default reports/verify)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-extend", action="store_true",
                   help="do not continue runs towards a predicted violation (by default they are, within a budget)")
    p.add_argument("--extend-to", metavar="T", default=None,
                   help="the largest horizon a run is continued to (default 2e9; 2e8 with --quick)")
    p.add_argument("--extend-seconds", metavar="S", default=None,
                   help="the time budget for continuing each run (default 240; 60 with --quick)")
    p.add_argument("--fresh", action="store_true",
                   help="recompute every experiment (by default those finished by an earlier call in the same "
                        "folder, with the same code and options, are reused)")
    _executor_options(p)
    p.set_defaults(fn=_verify)

    p = sub.add_parser("plot", help="plot the regret curves of a results folder")
    p.add_argument("results", help="results folder of a sweep")
    p.add_argument("--out", required=True, help="image file to write")
    p.set_defaults(fn=_plot)

    p = sub.add_parser("report", help="write a markdown summary of a results folder")
    p.add_argument("results", help="results folder of a sweep")
    p.add_argument("--out", required=True, help="markdown file to write")
    p.set_defaults(fn=_report)

    args = parser.parse_args(argv)
    from .game import NonFiniteError

    try:
        return args.fn(args)
    except (ValueError, OSError, NonFiniteError) as exc:  # the user's input, the files, a run that overflowed
        print(f"regretlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        from .experiments.executors import Interrupted

        if isinstance(exc, Interrupted):
            import signal

            print(f"regretlab: interrupted ({signal.Signals(exc.signum).name}): {exc.message or 'stopped'}",
                  file=sys.stderr)
            return 128 + int(exc.signum)
        print(f"regretlab: {exc}" if str(exc) else "regretlab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001  (not the user's: a bug, said to be one)
        if os.environ.get("REGRETLAB_TRACEBACK"):
            raise
        where = exc.__traceback__
        while where.tb_next is not None:
            where = where.tb_next
        print(f"regretlab: internal error (a bug in regretlab, not in your input): {type(exc).__name__}: {exc} "
              f"[{os.path.basename(where.tb_frame.f_code.co_filename)}:{where.tb_lineno}]; please report it with "
              "the command line (REGRETLAB_TRACEBACK=1 prints the traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
