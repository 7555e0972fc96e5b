"""The verification suite behind ``regretlab verify`` and the markdown reports.

The suite is data, ``suite.toml`` (:data:`SUITE_FILE`, loaded by :func:`load_suite` into :data:`SUITE`).
:func:`run_verification` plays every experiment of :data:`SUITE`, turns each
into verdicts with :func:`regretlab.verify`, draws one figure per experiment
with :mod:`regretlab.plots`, and writes ``report.md``, the verdict table
(``verdicts.csv``) and the figures into the output folder.  Nothing in the
report is typed by hand: every number comes from the runs of this call.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, fields

import numpy as np


#: the verification suite as data (one [[experiment]] table per question)
SUITE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suite.toml")


@dataclass
class Experiment:
    """One experiment of the suite (see ``suite.toml``): learners x one stream, the claims verified per learner."""

    key: str
    title: str
    question: str
    T: int
    T_quick: int
    seeds: int
    seeds_quick: int
    stream: dict
    learners: list = field(default_factory=list)
    claims: dict = field(default_factory=dict)  # learner name -> claims
    bounds_plot: tuple = ()
    lower: bool = False
    runner: str | None = None  # a custom experiment ("momentum")
    options: dict = field(default_factory=dict)  # the runner's own keys

    def make_stream(self):
        from .streams import CATALOGUE

        spec = dict(self.stream)
        return CATALOGUE[spec.pop("name")](**spec)

    def make(self):
        """The (learner, stream) pairs of the experiment, built from its data (one stream shared)."""
        from .learners import CATALOGUE

        s = self.make_stream()
        pairs = []
        for spec in self.learners:
            spec = dict(spec)
            pairs.append((CATALOGUE[spec.pop("name")](**spec), s))
        return pairs


def load_suite(path=None):
    """The experiments of a suite file (default :data:`SUITE_FILE`), checked: a ValueError names the
    experiment and the key of anything unknown."""
    import tomllib

    from .learners import CATALOGUE as LEARNERS
    from .streams import CATALOGUE as STREAMS

    path = SUITE_FILE if path is None else path
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    from . import bounds as B
    from .verification import GROWTH_CLAIM

    claim_names = set(B.ALL) | set(B.CHECKS) | {GROWTH_CLAIM}
    sets = data.get("claim_sets", {})
    known = {f.name for f in fields(Experiment)} - {"options"}
    out = []
    for i, e in enumerate(data.get("experiment", [])):
        where = f"{os.path.basename(path)}: experiment {e.get('key', i)!r}"
        e = dict(e)
        if "learner" in e:  # a runner's single learner
            e.setdefault("learners", [e.pop("learner")])
        options = {k: e.pop(k) for k in list(e) if k not in known}
        if options and not e.get("runner"):
            raise ValueError(f"{where}: unknown key {sorted(options)[0]!r}; valid: {sorted(known)}")
        if e.get("stream", {}).get("name") not in STREAMS:
            raise ValueError(f"{where}: stream {e.get('stream')!r} names no stream of {sorted(STREAMS)}")
        for L in e.get("learners", []):
            if L.get("name") not in LEARNERS:
                raise ValueError(f"{where}: learner {L!r} names no learner of {sorted(LEARNERS)}")
        claims = {}
        for name, c in e.get("claims", {}).items():
            if isinstance(c, str):
                if c not in sets:
                    raise ValueError(f"{where}: claims.{name} = {c!r} names no [claim_sets] entry of {sorted(sets)}")
                c = sets[c]
            bad = [x for x in c if x not in claim_names]
            if bad:
                raise ValueError(f"{where}: claims.{name}: unknown claim {bad[0]!r}; valid: {sorted(claim_names)}")
            claims[name] = list(c)
        e["claims"] = claims
        e["bounds_plot"] = tuple(e.get("bounds_plot", ()))
        try:
            out.append(Experiment(**e, options=options))
        except TypeError as exc:
            raise ValueError(f"{where}: {exc}") from None
    return out


SUITE = load_suite()
_MOMENTUM = next(e for e in SUITE if e.runner == "momentum").options
#: the lambda grid of the momentum trade-off, and how many of them are played to T* (full, quick)
MOMENTUM_LAMBDAS = tuple(_MOMENTUM["lambdas"])
MOMENTUM_MEASURED = tuple(_MOMENTUM["measured"])
#: how far ``regretlab verify`` continues runs towards a predicted violation: horizon and seconds per run
EXTEND = {False: (2 * 10**9, 240.0), True: (2 * 10**8, 60.0)}


def _md_table(df, cols):
    import pandas as pd

    def fmt(v):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(fmt(row[c]) for c in cols) + " |")
    return "\n".join(lines)


_TABLE = ["learner", "claim", "status", "first_violation", "predicted_violation", "growth", "slope", "ratio",
          "detail"]


def _run_experiment(key, out, quick, extend=None, extend_seconds=None):
    """Play one experiment of the suite, write its figure; return (verdict tables, markdown section).

    Runs whose regret is predicted to cross a bound are continued towards the crossing
    within (``extend`` rounds, ``extend_seconds`` seconds); the figure draws the runs the
    verdicts were computed on."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from . import plots, verification
    from .game import play

    e = next(x for x in SUITE if x.key == key)
    if e.runner == "momentum":
        return _momentum_experiment(e, out, quick, extend, extend_seconds)
    T = e.T_quick if quick else e.T
    n = e.seeds_quick if quick else e.seeds
    try:
        pairs = e.make()
    except ValueError as exc:  # e.g. the optional data set is not installed
        return [], f"## {e.title}\n\n{e.question}\n\nNot run: {exc}\n"
    all_runs, tables = [], []
    for L, s in pairs:
        runs = play(L, s, T, seeds=range(n))
        table, final = verification.verify(runs, e.claims.get(L.name), extend=extend, extend_seconds=extend_seconds,
                                           return_runs=True)
        runs = final[0]
        all_runs.append(runs)
        table.insert(0, "experiment", e.key)
        table["dynamic_R_T"] = float(np.mean(runs.dynamic_regret[..., -1])) if runs.dynamic_regret is not None \
            else math.nan
        tables.append(table)
    fig = plots.compare(all_runs, bounds=e.bounds_plot, lower=e.lower) if len(all_runs) > 1 else \
        plots.regret(all_runs[0], bounds=e.bounds_plot, lower=e.lower)
    fpath = os.path.join("figures", f"{e.key}.png")
    _save(fig, os.path.join(out, fpath))
    sub = pd.concat(tables, ignore_index=True)
    sub = sub.assign(learner=sub.learner.str.slice(0, 60))
    longer = sorted({int(r.T) for r in all_runs if r.T != T})
    cont = (f" Runs predicted to cross a bound were continued to T = {', '.join(map(str, longer))}." if longer
            else "")
    section = (f"## {e.title}\n\n{e.question} T = {T}, {n} seed(s).{cont}\n\n![{e.key}]({fpath})\n\n" +
               _md_table(sub, _TABLE) + "\n")
    return tables, section


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)


def _momentum_experiment(e, out, quick, extend, extend_seconds):
    """T*(lambda): the first violating round of Theorem 4.1 on the Theorem 2 stream, measured where the
    budget allows (the runs are continued to the predicted crossing) and predicted beyond."""
    import pandas as pd

    from . import bounds as B
    from . import plots, verification
    from .game import play_many

    T = e.T_quick if quick else e.T
    n_meas = MOMENTUM_MEASURED[1 if quick else 0]
    s = e.make_stream()
    base = e.make()[0][0]
    learners = [base.replace(lam=lam) for lam in MOMENTUM_LAMBDAS]
    all_runs = play_many(learners, s, T, seeds=range(1))
    tables, rows = [], []
    for k, (L, runs) in enumerate(zip(learners, all_runs)):
        measure = k < n_meas
        table = verification.verify(runs, ["theorem_4_1"], extend=extend if measure else None,
                                    extend_seconds=extend_seconds)
        table.insert(0, "experiment", e.key)
        table["dynamic_R_T"] = math.nan
        tables.append(table)
        r = table.iloc[0]
        b = B.theorem_4_1(runs)
        term3 = float(np.atleast_2d(b.terms["(1-lambda)^-2"])[0, -1]) if b.applicable else math.nan
        slope = float(r.slope)
        violated = r.status == verification.VIOLATED and not pd.isna(r.first_violation)
        T_star = float(r.first_violation) if violated else float(r.predicted_violation)
        t_m = verification.momentum_round(L.beta1, L.lam)
        rows.append({"lam": L.lam, "one_minus_lam": 1 - L.lam, "status": r.status, "T_star": T_star,
                     "measured": bool(violated), "t_momentum": float(t_m),
                     "guide": term3 / slope if slope > 0 else math.nan, "slope": slope, "T_played": int(r["T"]),
                     "regime": "after momentum" if math.isfinite(T_star) and T_star >= t_m else "momentum alive"})
    tab = pd.DataFrame(rows)
    fig = plots.momentum_tradeoff(tab, title=r"Theorem 2 stream, $C = 20$, $\beta_1 = 0.5$, $\beta_2 = 0.9$")
    fpath = os.path.join("figures", f"{e.key}.png")
    _save(fig, os.path.join(out, fpath))
    all_after = bool((tab.regime == "after momentum").all())
    verdict = ("Every crossing, measured or predicted, lies after the momentum horizon: on this stream the "
               "violations refute Theorem 4.1 only in its beta1 -> 0 regime, and a larger lambda keeps momentum "
               "alive longer but pushes the crossing out faster, like (1 - lambda)^-2 / s."
               if all_after else "Some crossings lie within the momentum regime (see the table).")
    section = (f"## {e.title}\n\n{e.question} Each run starts at T = {T}; the first {n_meas} values of lambda are "
               f"played to the crossing.\n\n![{e.key}]({fpath})\n\n" +
               _md_table(tab.rename(columns={"one_minus_lam": "1 - lam"}),
                         ["1 - lam", "status", "T_star", "measured", "t_momentum", "regime", "slope", "T_played"]) +
               f"\n\n{verdict}\n")
    return tables, section


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


def run_verification(out, *, quick=False, quiet=False, only=None, workers=None, extend=True):
    """Run the verification suite and write ``report.md`` (with figures and tables) into ``out``.

    The experiments run on a process pool of ``workers`` processes (default: the CPU
    count; 1 runs them here).  With ``extend`` (the default), runs whose regret is
    predicted to cross a bound are continued towards the crossing within
    :data:`EXTEND` (rounds and seconds per run); ``extend=False`` never continues them,
    and ``extend=(rounds, seconds)`` sets the budget.  Returns a dict with the report path,
    the verdict table and a one-paragraph summary.
    """
    import concurrent.futures as cf
    import multiprocessing as mp
    import sys

    import pandas as pd
    from tqdm.auto import tqdm

    from .experiments import _worker_init

    if extend is True:
        ext, secs = EXTEND[bool(quick)]
    elif extend is False or extend is None:
        ext, secs = None, None
    else:
        ext, secs = extend
    try:
        os.makedirs(os.path.join(out, "figures"), exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the report folder {out!r}: {exc.strerror}") from None
    keys = [e.key for e in SUITE if only is None or e.key in only]
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(keys)))
    bar = tqdm(total=len(keys), unit="experiment", desc="verify", disable=quiet or not sys.stderr.isatty())
    t_start = time.perf_counter()
    results = {}
    if n_workers == 1:
        for k in keys:
            results[k] = _run_experiment(k, out, quick, ext, secs)
            bar.update(1)
    else:
        with cf.ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("spawn"),
                                    initializer=_worker_init) as pool:
            # the longest experiments first, so that they do not start last
            order = sorted(keys, key=lambda k: k not in ("momentum_tradeoff", "reddi_theorem_2"))
            futs = {pool.submit(_run_experiment, k, out, quick, ext, secs): k for k in order}
            for f in cf.as_completed(futs):
                results[futs[f]] = f.result()
                bar.update(1)
    bar.close()
    tables = [t for k in keys for t in results[k][0]]
    sections = [results[k][1] for k in keys]
    verdicts = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    verdicts.to_csv(os.path.join(out, "verdicts.csv"), index=False)
    summary = _summary(verdicts)
    budget = (f" Runs predicted to violate a bound were continued towards the crossing (up to T = {ext:.3g} and "
              f"{secs:g} s per run)." if ext else " Runs were not continued past their horizon.")
    head = (f"# regretlab verification report\n\nGenerated by `regretlab verify{' --quick' if quick else ''}` in "
            f"{time.perf_counter() - t_start:.0f} s. Every number below comes from the runs of that call; the "
            f"formulas are those of THEORY.md, and each status means what THEORY.md section 9 says.{budget}\n\n"
            "## Summary\n\n" + summary + "\n\n")
    overview = _md_table(verdicts.assign(learner=verdicts.learner.str.split("(").str[0]),
                         ["experiment", "learner", "claim", "status", "first_violation", "predicted_violation",
                          "growth", "ratio"]) if len(verdicts) else ""
    text = head + "## All verdicts\n\n" + overview + "\n\n" + "\n".join(sections)
    rpath = os.path.join(out, "report.md")
    with open(rpath + ".tmp", "w") as fh:
        fh.write(text)
    os.replace(rpath + ".tmp", rpath)
    return {"report": rpath, "verdicts": verdicts, "summary": summary}


def sweep_report(results, out):
    """A markdown summary of a sweep folder: one row per configuration (means over seeds)."""
    from .experiments import load

    summ = load(results, kind="summary")
    if summ.empty:
        raise ValueError(f"{results!r} holds no finished runs")
    keys = ["learner_key", "stream_key"] + [c for c in summ.columns if c.startswith(("learner.", "stream."))]
    agg = summ.groupby(keys, dropna=False).agg(seeds=("seed", "size"), R_T=("R_T", "mean"), R_over_T=("R_over_T", "mean"),
                                               slope=("slope", "mean"),
                                               exponent=("exponent", "mean")).reset_index()
    text = f"# Sweep results: {results}\n\n{len(summ)} runs in {len(agg)} configurations.\n\n" + \
        _md_table(agg, list(agg.columns)) + "\n"
    with open(out + ".tmp", "w") as fh:
        fh.write(text)
    os.replace(out + ".tmp", out)
    return out
