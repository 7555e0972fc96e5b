"""Verdicts: does a bound hold on a run?  With the evidence (ratio R/bound, first violating round,
Gamma-negative count).

This is the demonstration of the engine issue; the full verification suite
(growth exponents with bootstrap intervals, every stream family, the paper's
other claims) builds on it.
"""
from __future__ import annotations

import numpy as np

from . import bounds as B


def verdict(runs, bound):
    """One row: status and evidence for ``bound`` (a :class:`~regretlab.bounds.Bound`) on ``runs``."""
    row = {"claim": bound.name, "learner": repr(runs.learner), "stream": repr(runs.stream), "T": runs.T,
           "n_seeds": runs.n_seeds}
    R = np.atleast_2d(runs._loss - runs._best_loss)
    gneg = runs._stats["gamma_neg"][:, -1]
    row["gamma_neg_fraction"] = float(np.mean(gneg) / (runs.T * runs.d))
    if not bound.applicable:
        row.update(status="not applicable: " + "; ".join(bound.reasons), max_ratio=np.nan, first_violation=None)
        return row
    V = np.atleast_2d(bound.value)
    ratio = R / V
    viol = R > V
    row["max_ratio"] = float(np.max(ratio))
    row["R_T"] = float(np.mean(R[:, -1]))
    row["bound_T"] = float(np.mean(V[:, -1]))
    if viol.any():
        first = int(np.min(np.where(viol.any(axis=0))[0]))
        row["first_violation"] = int(runs.t[first])
        row["status"] = f"violated at t = {int(runs.t[first])}"
    else:
        row["first_violation"] = None
        row["status"] = "holds"
    row["notes"] = "; ".join(bound.notes)
    return row


def verify(runs, claims=None):
    """A pandas DataFrame with one row per claim: status (holds / violated at t = ... / not applicable) and evidence."""
    import pandas as pd

    if not isinstance(runs, (list, tuple)):
        runs = [runs]
    names = list(B.ALL) if claims is None else list(claims)
    rows = []
    for r in runs:
        for name in names:
            if name not in B.ALL:
                raise ValueError(f"unknown claim {name!r}; valid: {sorted(B.ALL)}")
            rows.append(verdict(r, B.ALL[name](r)))
    return pd.DataFrame(rows)


def reddi_demo(T=10**4, seeds=range(2)):
    """Reddi et al.'s Theorem 1 instance against Theorem 4.1, with AMSGrad and OGD as controls."""
    from . import streams
    from .engine import play
    from .learners import OGD, Adam, AMSGrad

    C = 3.0
    s = streams.reddi(C=C)
    learners = [Adam(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C)),
                AMSGrad(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C)),
                OGD(alpha=0.5)]
    runs = [play(L, s, T, seeds=seeds) for L in learners]
    return verify(runs)
