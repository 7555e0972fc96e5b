"""The verification suite behind ``regretlab verify``: its experiments as data, and how one is run.

The suite is ``suite.toml`` (:data:`SUITE_FILE`), one ``[[experiment]]`` table per question,
loaded and checked by :func:`load_suite` into :data:`SUITE`.  :func:`run_experiment` is one
task: it plays an experiment's learners on its stream, turns each into verdicts with
:func:`regretlab.verify`, and draws its figure with :mod:`regretlab.plots`.  The tasks run
through :func:`regretlab.experiments.executors.execute`, like a sweep's, so ``regretlab
verify`` runs on a process pool or a Dask cluster and resumes where an interrupted call
stopped (:func:`regretlab.report.run_verification`).
"""
from __future__ import annotations

import functools
import io
import math
import os
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np

from .._markdown import table as _md_table

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
        from ..streams import CATALOGUE

        spec = dict(self.stream)
        return CATALOGUE[spec.pop("name")](**spec)

    def make(self):
        """The (learner, stream) pairs of the experiment, built from its data (one stream shared)."""
        from ..learners import CATALOGUE

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

    from ..learners import CATALOGUE as LEARNERS
    from ..streams import CATALOGUE as STREAMS

    path = SUITE_FILE if path is None else path
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    from .. import bounds as B
    from ..verification import GROWTH_CLAIM

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




class SuiteTask(NamedTuple):
    """One experiment of the suite to run, with the run options of the call."""

    key: str
    quick: bool
    extend: int | None  # the largest horizon a run is continued to (None: never continued)
    extend_seconds: float | None  # the time budget per continued run
    package: str  # the caller's package_hash(): a worker running other code refuses the task


@functools.lru_cache(maxsize=1)
def package_hash():
    """sha256 of the installed package's code, suite and figure style (every .py, .toml, .mplstyle file)."""
    from .._jit import _package_source_hash

    return _package_source_hash((".py", ".toml", ".mplstyle"))[:16]


def configuration(quick, extend, extend_seconds):
    """Everything a verification result depends on besides the experiment: the package (code, suite,
    style), the run options, and the versions of Python and of the numerical libraries (a cluster or
    a reinstall with other versions may round differently), and whether the JIT is on."""
    import platform

    import matplotlib
    import numba
    import pandas
    import scipy

    from .._jit import DISABLED

    return {"package": package_hash(), "quick": bool(quick), "extend": extend,
            "extend_seconds": extend_seconds, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "numba": numba.__version__, "pandas": pandas.__version__,
            "matplotlib": matplotlib.__version__, "jit": not DISABLED}


def _png(fig):
    """The figure as PNG bytes (returned to the caller, which writes it: workers write no file)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def run_experiment(task):
    """Run one experiment of :data:`SUITE`: ``(verdict table, markdown section, {figure path: PNG bytes})``.

    Runs whose regret is predicted to cross a bound are continued towards the crossing
    within (``task.extend`` rounds, ``task.extend_seconds`` seconds); the figure draws the runs
    the verdicts were computed on."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    key, quick, extend, extend_seconds, package = task
    if package != package_hash():
        raise ValueError(f"this worker runs another regretlab (package {package_hash()}, the caller's {package}): "
                         f"install the same version on every worker")
    e = next((x for x in SUITE if x.key == key), None)
    if e is None:
        raise ValueError(f"the suite of this worker has no experiment {key!r}")
    tables, section, figures = (_momentum_experiment if e.runner == "momentum" else _experiment)(
        e, quick, extend, extend_seconds)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return table, section, figures

_TABLE = ["learner", "claim", "status", "first_violation", "predicted_violation", "growth", "slope", "ratio",
          "detail"]


def _experiment(e, quick, extend, extend_seconds):
    """A learners x stream experiment: (verdict tables, section, figures)."""
    import pandas as pd

    from .. import plots, verification
    from ..game import play
    from ..streams.data import MissingDependency

    T = e.T_quick if quick else e.T
    n = e.seeds_quick if quick else e.seeds
    try:
        pairs = e.make()
    except MissingDependency as exc:  # the optional data set is not installed: no verdict, nothing stored
        return [], f"## {e.title}\n\n{e.question}\n\nNot run: {exc}\n", {}
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
    figures = {fpath: _png(fig)}
    sub = pd.concat(tables, ignore_index=True)
    sub = sub.assign(learner=sub.learner.str.slice(0, 60))
    longer = sorted({int(r.T) for r in all_runs if r.T != T})
    cont = (f" Runs predicted to cross a bound were continued to T = {', '.join(map(str, longer))}." if longer
            else "")
    section = (f"## {e.title}\n\n{e.question} T = {T}, {n} seed(s).{cont}\n\n![{e.key}]({fpath})\n\n" +
               _md_table(sub, _TABLE) + "\n")
    return tables, section, figures


def _momentum_experiment(e, quick, extend, extend_seconds):
    """T*(lambda): the first violating round of Theorem 4.1 on the Theorem 2 stream, measured where the
    budget allows (the runs are continued to the predicted crossing) and predicted beyond."""
    import pandas as pd

    from .. import bounds as B
    from .. import plots, verification
    from ..game import play_many

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
    figures = {fpath: _png(fig)}
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
    return tables, section, figures


