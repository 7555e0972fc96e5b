"""The verification suite behind ``regretlab verify`` and the markdown reports.

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
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Experiment:
    key: str
    title: str
    question: str
    make: object  # () -> list of (learner, stream)
    T: int
    T_quick: int
    seeds: int
    seeds_quick: int
    claims: dict = field(default_factory=dict)  # learner name -> claims
    bounds_plot: tuple = ()
    lower: bool = False
    runner: object = None  # (experiment, quick, extend, extend_seconds) -> (tables, section): a custom experiment


def _reddi_pairs():
    from . import AMSGrad, OGD, Adam, streams

    C = 3.0
    s = streams.reddi(C)
    b2 = 1 / (1 + C * C)
    return [(Adam(alpha=0.5, beta1=0.0, beta2=b2), s), (AMSGrad(alpha=0.5, beta1=0.0, beta2=b2), s),
            (OGD(alpha=0.5), s)]


def _section5_online():
    from . import Adam, AMSGrad, streams

    s = streams.periodic_linear(1010, 10, 101)
    return [(Adam(alpha=0.5, beta1=0.9, beta2=0.99), s), (AMSGrad(alpha=0.5, beta1=0.9, beta2=0.99), s)]


def _section5_stochastic():
    from . import Adam, AMSGrad, streams

    s = streams.stochastic_linear(1010, 10, 0.01)
    return [(Adam(alpha=0.5, beta1=0.9, beta2=0.99), s), (AMSGrad(alpha=0.5, beta1=0.9, beta2=0.99), s)]


def _theorem2():
    from . import Adam, AMSGrad, streams

    # Reddi et al. Theorem 2 family: f_t = C x once every C rounds, -x otherwise (beta1 < sqrt(beta2))
    s = streams.periodic_linear(20.0, 1.0, 20)
    return [(Adam(alpha=0.5, beta1=0.5, beta2=0.9, lam=0.5), s), (AMSGrad(alpha=0.5, beta1=0.5, beta2=0.9, lam=0.5), s)]


def _theorem3():
    from . import Adam, AMSGrad, streams

    s = streams.reddi_stochastic(C=3.0, delta=0.5)
    return [(Adam(alpha=0.5, beta1=0.0, beta2=0.1), s), (AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1), s)]


def _minimax():
    from . import OGD, AdaGrad, Adam, AMSGrad, streams

    s = streams.random_sign(d=4, radius=1.0)
    return [(Adam(alpha=0.2, beta1=0.0, beta2=0.9, eps=0.0), s), (AMSGrad(alpha=0.2, beta1=0.9, beta2=0.99, lam=0.999), s),
            (OGD(alpha=0.5), s), (AdaGrad(alpha=2 ** 0.5), s)]


def _sparse():
    from . import AdaGrad, Adam, streams

    s = streams.sparse_linear(500, 5, zipf=1.1)
    return [(Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0), s), (Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0,
                                                                       lazy=True), s), (AdaGrad(alpha=2 ** 0.5), s)]


def _nonstationary():
    from . import OGD, Adam, streams

    s = streams.switching_quadratic([[0.8, -0.5], [-0.6, 0.4]], 500)
    return [(Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0), s), (OGD(alpha=0.5), s)]


def _drifting():
    from . import OGD, Adam, streams

    w = streams.drifting_quadratic(2, step=0.01)
    return [(Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0), w), (OGD(alpha=0.5), w)]


def _stochastic_logistic():
    from . import Adam, AMSGrad, streams

    s = streams.synthetic_logistic(10)
    return [(Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0), s), (AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99), s)]


def _digits():
    from . import Adam, AMSGrad, streams

    s = streams.digits()
    return [(Adam(alpha=0.05, beta1=0.0, beta2=0.999, eps=0.0), s), (AMSGrad(alpha=0.05, beta1=0.9, beta2=0.999), s)]


def _lambda_effect():
    from . import Adam, streams

    s = streams.random_sign(d=2)
    return [(Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0), s), (Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0,
                                                                      lam=0.9), s)]


def _adamax():
    from . import AdaMax, streams

    s = streams.random_sign(d=2, G=3.0)
    return [(AdaMax(alpha=0.02), s)]


_ADAM = ["theorem_4_1", "corollary_4_2", "proof_assumption", "step_size", "lemma_10_3", "lemma_10_4",
         "sublinear_regret"]
_AMS = ["amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong", "proof_assumption", "sublinear_regret"]

SUITE = [
    Experiment("reddi_theorem_1", "Reddi et al. Theorem 1 (C = 3)",
               "Does Theorem 4.1 hold on Reddi's online counterexample? Does AMSGrad fix it?",
               _reddi_pairs, 10**6, 3 * 10**4, 1, 1,
               {"Adam": _ADAM, "AMSGrad": _AMS, "OGD": ["ogd", "sublinear_regret"]},
               ("theorem_4_1", "amsgrad_theorem_4", "ogd")),
    Experiment("reddi_theorem_2", "Reddi et al. Theorem 2 family (C = 20, beta1 = 0.5, beta2 = 0.9)",
               "With momentum (beta1 < sqrt(beta2)): Adam against Theorem 4.1, AMSGrad against Theorem 4.",
               _theorem2, 10**6, 3 * 10**4, 1, 1, {"Adam": _ADAM, "AMSGrad": _AMS}, ("theorem_4_1", "amsgrad_theorem_4")),
    Experiment("reddi_theorem_3", "Reddi et al. Theorem 3 (stochastic, C = 3, delta = 0.5)",
               "Stochastic losses with E f(x) = delta x: sublinear regret?",
               _theorem3, 10**6, 3 * 10**4, 8, 4, {"Adam": _ADAM, "AMSGrad": _AMS}, ("theorem_4_1", "amsgrad_theorem_4")),
    Experiment("section5_online", "Reddi et al. section 5, online (1010 x every 101 rounds, else -10 x)",
               "The synthetic online experiment: Adam (beta1 = 0.9, beta2 = 0.99) against AMSGrad.",
               _section5_online, 10**6, 3 * 10**4, 1, 1, {"Adam": _ADAM, "AMSGrad": _AMS},
               ("theorem_4_1", "amsgrad_theorem_4")),
    Experiment("section5_stochastic", "Reddi et al. section 5, stochastic (1010 x w.p. 0.01, else -10 x)",
               "The synthetic stochastic experiment.",
               _section5_stochastic, 10**6, 3 * 10**4, 32, 8, {"Adam": _ADAM, "AMSGrad": _AMS},
               ("theorem_4_1", "amsgrad_theorem_4")),
    Experiment("minimax_signs", "Random signs (minimax lower reference), d = 4",
               "Every learner's expected regret equals r G d E|S_T|; do the upper bounds hold?",
               _minimax, 10**5, 10**4, 64, 32,
               {"Adam": _ADAM + ["random_sign_lower"], "AMSGrad": _AMS + ["random_sign_lower"],
                "OGD": ["ogd", "random_sign_lower"], "AdaGrad": ["adagrad", "random_sign_lower"]},
               ("theorem_4_1", "amsgrad_theorem_4", "ogd", "adagrad"), True),
    Experiment("sparse", "Sparse linear losses (d = 500, 5 nonzeros, Zipf 1.1), dense vs lazy Adam",
               "Sparse gradients: the data-dependent terms fall below d G_inf sqrt(T).",
               _sparse, 10**5, 5000, 4, 2, {"Adam": _ADAM, "AdaGrad": ["adagrad", "sublinear_regret"]},
               ("theorem_4_1", "adagrad")),
    Experiment("switching", "Non-stationary quadratics: targets switching every 500 rounds",
               "Static regret against a moving target, with dynamic regret beside it.",
               _nonstationary, 10**5, 10**4, 4, 2, {"Adam": _ADAM, "OGD": ["ogd", "sublinear_regret"]},
               ("theorem_4_1", "ogd")),
    Experiment("drifting", "Non-stationary quadratics: a target on a Gaussian random walk",
               "The walk is unbounded, so no gradient bound is declared: the bounds must say not applicable.",
               _drifting, 10**5, 10**4, 4, 2, {"Adam": _ADAM, "OGD": ["ogd", "sublinear_regret"]},
               ("theorem_4_1", "ogd")),
    Experiment("stochastic_logistic", "Stochastic logistic regression (synthetic, d = 10)",
               "I.i.d. data: Theorem 4.1 and Theorem 4 with a certified L-BFGS-B comparator.",
               _stochastic_logistic, 3 * 10**4, 3000, 4, 2, {"Adam": _ADAM, "AMSGrad": _AMS},
               ("theorem_4_1", "amsgrad_theorem_4")),
    Experiment("digits", "Logistic regression on scikit-learn's digits (0-4 vs 5-9)",
               "Real data (stand-in for the paper's MNIST): sublinear regret, and the bounds.",
               _digits, 3 * 10**4, 3000, 2, 1, {"Adam": _ADAM, "AMSGrad": _AMS}, ("theorem_4_1", "amsgrad_theorem_4")),
    Experiment("lambda_effect", "The effect of lambda (beta1 = 0.9): 1 - 1e-8 against 0.9",
               "With lambda = 1 - 1e-8 the (1 - lambda)^-2 term makes Theorem 4.1 vacuous.",
               _lambda_effect, 10**5, 10**4, 32, 8, {"Adam": _ADAM}, ("theorem_4_1",)),
    Experiment("adamax", "AdaMax step size", "Kingma & Ba section 7.1: |Delta_t| <= alpha.",
               _adamax, 10**5, 10**4, 4, 2, {"AdaMax": ["step_size", "sublinear_regret"]}, ()),
    Experiment("momentum_tradeoff", "The momentum trade-off: where Theorem 4.1 first fails against lambda",
               "Reddi et al.'s Theorem 2 stream (C = 20) with Adam, beta1 = 0.5, beta2 = 0.9, alpha = 0.5, and "
               "beta1_t = beta1 lam^(t-1): at which round T* does the regret first exceed Theorem 4.1's bound, and "
               "does that round lie while momentum is alive (beta1_t >= 1e-16 beta1)? T* is measured by playing to "
               "it where the budget allows and predicted beyond.",
               None, 10**6, 3 * 10**4, 1, 1, {"Adam": ["theorem_4_1"]}, (), runner="momentum"),
]

#: the lambda grid of the momentum trade-off, and how many of them are played to T* (full, quick)
MOMENTUM_LAMBDAS = (0.5, 0.9, 0.99, 0.999, 0.9999, 1 - 1e-5, 1 - 1e-6, 1 - 1e-8)
MOMENTUM_MEASURED = (4, 3)
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
    from .engine import play

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
    from . import plots, streams, verification
    from .engine import play_many
    from .learners import Adam

    T = e.T_quick if quick else e.T
    n_meas = MOMENTUM_MEASURED[1 if quick else 0]
    s = streams.periodic_linear(20.0, 1.0, 20)
    learners = [Adam(alpha=0.5, beta1=0.5, beta2=0.9, lam=lam) for lam in MOMENTUM_LAMBDAS]
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
