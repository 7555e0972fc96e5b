"""Verdicts with evidence: does each claim hold on a run?

:func:`verify` returns a pandas DataFrame with one row per claim x learner x
stream: ``status`` is "holds", "violated at t = ...", "not applicable: <reasons>"
or "inconclusive", and the evidence columns give the figures behind it (ratio
R/bound, first violating round, fitted growth exponent with its bootstrap
interval, the Gamma-negative count).
"""
from __future__ import annotations

import math

import numpy as np

from . import bounds as B

#: relative slack below which R > bound is attributed to rounding, not to the theorem
RTOL = 1e-9

COLUMNS = ["claim", "learner", "stream", "T", "n_seeds", "status", "first_violation", "max_ratio", "R_T",
           "bound_T", "dominant_term", "exponent", "exponent_ci_low", "exponent_ci_high", "R_over_T",
           "R_over_sqrt_T", "gamma_neg_fraction", "first_gamma_neg", "notes"]


def _base(runs, claim):
    gneg = runs._stats["gamma_neg"][:, -1]
    first = runs._stats["first_gamma_neg"][:, -1]
    R = runs._loss[:, -1] - runs._best_loss[:, -1]
    return {"claim": claim, "learner": repr(runs.learner), "stream": repr(runs.stream), "T": runs.T,
            "n_seeds": runs.n_seeds, "R_T": float(np.mean(R)), "R_over_T": float(np.mean(R) / runs.T),
            "R_over_sqrt_T": float(np.mean(R) / math.sqrt(runs.T)),
            "gamma_neg_fraction": float(np.mean(gneg) / (runs.T * runs.d)),
            "first_gamma_neg": int(np.min(first[gneg > 0])) if np.any(gneg > 0) else None}


def bound_verdict(runs, bound):
    """One row for an upper bound or a reference value."""
    row = _base(runs, bound.name)
    row["notes"] = "; ".join(bound.notes)
    if not bound.applicable:
        row["status"] = "not applicable: " + "; ".join(bound.reasons)
        return row
    R = runs._loss - runs._best_loss
    V = np.atleast_2d(bound.value)
    row["bound_T"] = float(np.mean(V[:, -1]))
    row["dominant_term"] = bound.dominant_term()
    if bound.kind == "reference":
        mean = R.mean(axis=0)
        se = R.std(axis=0, ddof=1) / math.sqrt(R.shape[0]) if R.shape[0] > 1 else np.full(R.shape[1], np.nan)
        diff = mean - V[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            # zero spread (e.g. R(1) = r G d for every seed): the values must then agree to rounding
            z = np.where(se > 0, diff / se, np.where(np.abs(diff) <= 1e-12 * np.maximum(1.0, np.abs(V[0])), 0.0,
                                                     np.inf))
        row["max_ratio"] = float(mean[-1] / V[0, -1])
        if R.shape[0] < 30:
            row["status"] = "inconclusive: fewer than 30 seeds for an expected value"
        elif np.all(np.abs(z) < 4):
            row["status"] = "holds"
        else:
            j = int(np.argmax(np.abs(z) >= 4))
            row["status"] = f"violated at t = {int(runs.t[j])}"
            row["first_violation"] = int(runs.t[j])
        row["notes"] = (row["notes"] + "; " if row["notes"] else "") + f"max |z| = {float(np.nanmax(np.abs(z))):.2f}"
        return row
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = R / V
    row["max_ratio"] = float(np.nanmax(ratio))
    viol = R > V + RTOL * np.maximum(1.0, np.abs(V))
    near = (R > V) & ~viol
    if viol.any():
        j = int(np.min(np.where(viol.any(axis=0))[0]))
        row["first_violation"] = int(runs.t[j])
        row["status"] = f"violated at t = {int(runs.t[j])}"
    elif near.any():
        row["status"] = "inconclusive: R exceeds the bound only within rounding"
    else:
        row["status"] = "holds"
    return row


def check_verdict(runs, check):
    row = _base(runs, check.name)
    st = check.status
    if st == "violated":
        row["status"] = "violated" + (f" ({check.detail})" if check.detail else "")
        if "t = " in check.detail:
            try:
                row["first_violation"] = int(check.detail.split("t = ")[1].split()[0].rstrip(";,."))
            except ValueError:
                pass
    elif st == "not applicable":
        row["status"] = "not applicable: " + check.detail
    else:
        row["status"] = st
        row["notes"] = check.detail
    if check.lhs is not None:
        row["R_T"] = check.lhs
        row["bound_T"] = check.rhs
    return row


def growth_verdict(runs, decades=2.0):
    """Sublinear regret: the fitted exponent's upper confidence limit is below 1."""
    row = _base(runs, "sublinear_regret")
    try:
        g = B.growth_exponent(runs.t, runs._loss - runs._best_loss, decades=decades)
    except ValueError as exc:
        row["status"] = f"inconclusive: {exc}"
        return row
    row.update(exponent=g.exponent, exponent_ci_low=g.ci_low, exponent_ci_high=g.ci_high, notes=g.note)
    if not math.isfinite(g.exponent):
        row["status"] = f"inconclusive: {g.note}"
    elif math.isfinite(g.ci_high) and g.ci_high < 0.95:
        row["status"] = "holds"
    elif math.isfinite(g.ci_low) and g.ci_low > 0.95 or (not math.isfinite(g.ci_low) and g.exponent > 0.99):
        row["status"] = f"violated at t = {g.t_from}..{g.t_to} (exponent {g.exponent:.3f})"
    else:
        row["status"] = f"inconclusive: exponent {g.exponent:.3f}"
    return row


def verify(runs, claims=None, *, spread="domain"):
    """Verdicts for every claim on every run.

    Parameters
    ----------
    runs : Run, Runs or a list of them
    claims : list of str, optional
        Bound names (``regretlab.bounds.ALL``) and checks ("proof_assumption",
        "step_size", "lemma_10_3", "lemma_10_4", "sublinear_regret").  Default: all.
    spread : {"domain", "observed"}
        Diameters from the domain or from the iterates' spread.

    Returns
    -------
    pandas.DataFrame with the columns of ``COLUMNS``.

    Examples
    --------
    >>> import regretlab as rl
    >>> runs = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 1000, seeds=range(2))
    >>> t = rl.verify(runs, ["theorem_4_1"])
    >>> t.status.iloc[0].startswith("violated")
    True
    """
    import pandas as pd

    if not isinstance(runs, (list, tuple)):
        runs = [runs]
    checks = ["proof_assumption", "step_size", "lemma_10_3", "lemma_10_4", "sublinear_regret"]
    names = list(B.ALL) + checks if claims is None else list(claims)
    unknown = [n for n in names if n not in B.ALL and n not in checks]
    if unknown:
        raise ValueError(f"unknown claim {unknown[0]!r}; valid: {sorted(B.ALL) + checks}")
    rows = []
    for r in runs:
        for name in names:
            if name in B.ALL:
                fn = B.ALL[name]
                b = fn(r) if name == "random_sign_lower" else fn(r, spread=spread)
                rows.append(bound_verdict(r, b))
            elif name == "sublinear_regret":
                rows.append(growth_verdict(r))
            elif name == "lemma_10_4":
                rows.extend(check_verdict(r, c) for c in B.lemma_10_4(r))
            else:
                rows.append(check_verdict(r, getattr(B, name)(r)))
    df = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = None
    return df[COLUMNS]


def invariance(learner, stream, T, scale, *, seed=0):
    r"""Kingma & Ba section 2.1: Adam's update is invariant to rescaling the gradients by a positive
    diagonal matrix (exactly so for eps = 0).

    Plays ``stream`` (a linear stream) and the same gradient sequence scaled by ``scale``
    and returns the largest relative difference between the two iterate paths.
    """
    from . import streams
    from .engine import play

    if stream.family != "linear":
        raise ValueError(f"the invariance check replays a linear stream's gradients; {stream.name!r} is "
                         f"{stream.family}")
    scale = np.broadcast_to(np.asarray(scale, dtype=float), (stream.d,))
    if not np.all(scale > 0) or not np.all(np.isfinite(scale)):
        raise ValueError(f"scale must be positive and finite, got {scale.tolist()}")
    ck = np.arange(1, T + 1)
    base = play(learner, stream, T, seed=seed, checkpoints=ck, record_theta=True)
    grads = np.diff(np.concatenate([np.zeros((1, stream.d)), base.suff[:, :stream.d]]), axis=0)
    scaled = streams.linear(grads * scale, domain=stream.domain, x0=stream.x0)
    other = play(learner, scaled, T, checkpoints=ck, record_theta=True)
    a, b = base.theta_path, other.theta_path
    denom = np.maximum(np.abs(a), 1e-300)
    return float(np.max(np.abs(a - b) / denom))


def bias_correction_effect(stream, T, *, seeds=range(4), **adam):
    """Regret of Adam with and without bias correction on the same stream (beta2 near 1 is where it matters).

    Returns a dict with the final mean regrets and their ratio.
    """
    from .engine import play
    from .learners import Adam

    with_bc = play(Adam(bias_correction="paper", **adam), stream, T, seeds=seeds)
    without = play(Adam(bias_correction="none", **adam), stream, T, seeds=seeds)
    a, b = float(np.mean(with_bc.regret[:, -1])), float(np.mean(without.regret[:, -1]))
    return {"R_with": a, "R_without": b, "ratio_without_over_with": b / a if a != 0 else math.nan,
            "runs": (with_bc, without)}


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
    claims = {"Adam": ["theorem_4_1", "corollary_4_2", "proof_assumption", "step_size", "sublinear_regret"],
              "AMSGrad": ["amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong", "proof_assumption",
                          "sublinear_regret"],
              "OGD": ["ogd", "sublinear_regret"]}
    import pandas as pd

    return pd.concat([verify(r, claims[r.learner.name]) for r in runs], ignore_index=True)
