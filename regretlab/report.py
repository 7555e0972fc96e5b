"""The markdown reports: the verification report behind ``regretlab verify``, and a sweep's summary.

:func:`run_verification` runs the experiments of the verification suite
(:mod:`regretlab.experiments.suite`, the data in ``suite.toml``) through the same executors and
storage as a sweep, then writes ``report.md``, the verdict table (``verdicts.csv``) and one
figure per experiment into the report folder.  Each finished experiment is kept in the folder
(``.experiments/``), so an interrupted call resumes where it stopped; results of other code or
other options are never reused.  Nothing in the report is typed by hand: every number comes
from the runs.
"""
from __future__ import annotations

import os
import time

from ._markdown import table as _md_table
from .experiments import executors, storage
from .experiments.suite import (EXTEND, MOMENTUM_LAMBDAS, MOMENTUM_MEASURED, SUITE, SUITE_FILE,  # noqa: F401
                                Experiment, SuiteTask, configuration, load_suite, run_experiment)

#: the experiments that take longest, started first (in this order) so that they do not start last; the
#: first two compile different kernels, so that two workers do not compile the same ones side by side
_LONGEST = ("reddi_theorem_2", "digits", "momentum_tradeoff")


def _summary(verdicts):
    """The summary paragraph: every status counted separately, per group of claims."""
    import pandas as pd

    from .verification import STATUSES, summarize

    lines = []
    if not len(verdicts):
        return ""
    groups = [("Theorem 4.1 (as printed)", ["theorem_4_1"]),
              ("Corollary 4.2", ["corollary_4_2"]),
              ("The bounds that are proved (AMSGrad's Theorem 4 and Corollary 1, Tran & Phong, OGD, AdaGrad)",
               ["amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong", "ogd", "adagrad"])]
    for title, claims in groups:
        sub = verdicts[verdicts.claim.isin(claims)]
        if not len(sub):
            continue
        counts = sub.status.value_counts()
        parts = [f"{status} {int(counts.get(status, 0))}" for status in STATUSES if counts.get(status, 0)]
        lines.append(f"{title}, evaluated on {len(sub)} learner x stream pairs: {', '.join(parts)}.")
        if claims == ["theorem_4_1"]:
            for _, r in sub[sub.status == "violated"].iterrows():
                where = (f"first violating round {int(r.first_violation)}" if not pd.isna(r.first_violation) else
                         "the first violating round not located (see the detail)")
                lines.append(f"- violated in `{r.experiment}` ({r.learner.split('(')[0]}): {where}, "
                             f"R(T) = {r.R_T:.4g} against the bound {r.bound_T:.4g} at "
                             f"T = {int(r['T'])}; Gamma < 0 on {r.gamma_neg_fraction:.1%} of (t, i) pairs, first at "
                             f"t = {r.first_gamma_neg}.")
            for _, r in sub[sub.status == "predicted violation"].iterrows():
                lines.append(f"- predicted to fail in `{r.experiment}` at about T = {r.predicted_violation:.3g} "
                             f"(played to T = {int(r['T'])}).")
    table = summarize(verdicts, [c for _, cs in groups for c in cs] + ["sublinear_regret"])
    lines.append("")
    lines.append("Counts per claim (each row adds up to its total):")
    lines.append("")
    lines.append(_md_table(table.reset_index(), ["claim"] + list(table.columns)))
    return "\n".join(lines)


def run_verification(out, *, quick=False, quiet=False, only=None, workers=None, extend=True, executor=None,
                     dask_address=None, fresh=False):
    """Run the verification suite and write ``report.md`` (with figures and tables) into ``out``.

    Parameters
    ----------
    out : str
        The report folder (created).
    quick : bool
        The suite's smaller horizons and seed counts.
    only : iterable of str, optional
        Run only these experiment keys.
    extend : bool or (int, float)
        With ``True`` (the default), runs whose regret is predicted to cross a bound are
        continued towards the crossing within :data:`EXTEND` (rounds and seconds per run);
        ``False`` never continues them; ``(rounds, seconds)`` sets the budget.
    executor : {"local", "serial", "dask"}, optional
        Where the experiments run (:func:`regretlab.experiments.executors.execute`); by default
        a process pool of ``workers`` processes (the CPU count), or this process when that is 1.
    fresh : bool
        Recompute every experiment.  Otherwise the experiments a previous call finished in
        ``out`` with the same code, suite, options and library versions are reused (they are kept
        in ``out/.experiments/<configuration hash>/``), and only the others run; an experiment
        that gave no verdict (an optional dependency missing) is never reused.

    A second call on the same folder while one runs is refused (a ValueError), and every
    argument is checked before the folder is touched.

    Returns
    -------
    dict with the report path, the verdict table, a one-paragraph summary and the keys of the
    experiments run and reused.
    """
    import math

    import pandas as pd

    from . import _validate as V

    # everything is checked before the report folder is touched
    executors.check(executor or "local", workers)
    if extend is True:
        ext, secs = EXTEND[bool(quick)]
    elif extend is False or extend is None:
        ext, secs = None, None
    else:
        if not (isinstance(extend, (tuple, list)) and len(extend) == 2):
            raise ValueError(f"extend must be True, False or (rounds, seconds), got {extend!r}")
        ext = V.integer("extend rounds", extend[0], lo=1, hi=2 ** 53)
        secs = V.real("extend seconds", extend[1], 0.0, math.inf, lo_open=True, hi_open=True)
    valid = [e.key for e in SUITE]
    if only is not None:
        if isinstance(only, str):
            only = [only]
        elif not (hasattr(only, "__iter__") and all(isinstance(k, str) for k in only)):
            raise ValueError(f"only must be experiment keys (strings) of the suite, got {only!r}; valid: {valid}")
        only = list(only)
        bad = [k for k in only if k not in valid]
        if bad or not only:
            raise ValueError(f"only: {bad[0] if bad else only!r} names no experiment of the suite; valid: {valid}")
    keys = [k for k in valid if only is None or k in only]
    if executor is None:
        executor = "serial" if min(workers or os.cpu_count() or 1, len(keys)) <= 1 else "local"
    config = configuration(quick, ext, secs)
    t_start = time.perf_counter()
    with storage.report_lock(out):
        state = storage.prepare_suite(out, config, valid, fresh=fresh)
        todo = [k for k in keys if not storage.experiment_done(state, k)]
        todo.sort(key=lambda k: _LONGEST.index(k) if k in _LONGEST else len(_LONGEST))
        bar = executors.progress(len(keys), quiet, unit="experiment", desc="verify")
        bar.update(len(keys) - len(todo))
        unstored = {}

        def store(task, result):
            if len(result[0]):
                storage.write_experiment(state, task.key, result)
            else:  # no verdict (an optional dependency is missing): shown, never reused
                unstored[task.key] = result
            bar.update(1)

        try:
            executors.execute(run_experiment, [SuiteTask(k, bool(quick), ext, secs, config["package"]) for k in todo],
                              store, executor=executor, workers=workers, dask_address=dask_address)
        except executors.Interrupted as exc:
            kept = sum(storage.experiment_done(state, k) for k in keys)
            raise executors.Interrupted(exc.signum, f"{kept} of {len(keys)} experiment(s) are stored in {state}; the "
                                        "report was not rewritten; the same command resumes from there") from None
        finally:
            bar.close()
        done = {k: unstored[k] if k in unstored else storage.read_experiment(state, k) for k in keys}
        for table, section, figures in done.values():
            for rel, png in figures.items():
                storage.atomic_write(os.path.join(out, rel), png)
        tables = [t for t, _, _ in done.values() if len(t)]
        sections = [s for _, s, _ in done.values()]
        verdicts = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
        storage.atomic_write(os.path.join(out, "verdicts.csv"), verdicts.to_csv(index=False))
        summary = _summary(verdicts)
        budget = (f" Runs predicted to violate a bound were continued towards the crossing (up to T = {ext:.3g} "
                  f"and {secs:g} s per run)." if ext else " Runs were not continued past their horizon.")
        reused = [k for k in keys if k not in todo]
        took = f"This call took {time.perf_counter() - t_start:.0f} s" + (
            f"; {len(reused)} of {len(keys)} experiments were reused from an earlier call with the same code, "
            f"suite, options and library versions (`{os.path.relpath(state, out)}/`)" if reused else "")
        head = (f"# regretlab verification report\n\nGenerated by `regretlab verify{' --quick' if quick else ''}`. "
                f"{took}. Every number below comes from the runs of the suite; the formulas are those of THEORY.md, "
                f"and each status means what THEORY.md section 9 says.{budget}\n\n"
                "## Summary\n\n" + summary + "\n\n")
        overview = _md_table(verdicts.assign(learner=verdicts.learner.str.split("(").str[0]),
                             ["experiment", "learner", "claim", "status", "first_violation", "predicted_violation",
                              "growth", "ratio"]) if len(verdicts) else ""
        text = head + "## All verdicts\n\n" + overview + "\n\n" + "\n".join(sections)
        rpath = os.path.join(out, "report.md")
        storage.atomic_write(rpath, text)
    return {"report": rpath, "verdicts": verdicts, "summary": summary, "run": todo, "reused": reused}


def sweep_report(results, out):
    """A markdown summary of a sweep folder: one row per configuration (means over seeds)."""
    summ = storage.load(results, kind="summary")
    failed = storage.failures(results)
    if summ.empty and failed.empty:
        raise ValueError(f"{results!r} holds no finished runs")
    text = f"# Sweep results: {results}\n\n"
    if not summ.empty:
        keys = ["learner_key", "stream_key"] + [c for c in summ.columns if c.startswith(("learner.", "stream."))]
        agg = summ.groupby(keys, dropna=False).agg(seeds=("seed", "size"), R_T=("R_T", "mean"),
                                                   R_over_T=("R_over_T", "mean"), slope=("slope", "mean"),
                                                   exponent=("exponent", "mean")).reset_index()
        text += f"{len(summ)} runs in {len(agg)} configurations.\n\n" + _md_table(agg, list(agg.columns)) + "\n"
    if not failed.empty:
        text += (f"\n## Failed configurations\n\n{len(failed)} configuration(s) stopped on a non-finite value "
                 "(no result; `regretlab sweep --retry-failed` plays them again):\n\n" +
                 "".join(f"- {line}\n" for line in storage.failure_lines(failed)))
    storage.atomic_write(out, text)
    return out
