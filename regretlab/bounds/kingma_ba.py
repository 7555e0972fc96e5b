"""Kingma & Ba (ICLR 2015): Theorem 4.1, Corollary 4.2 and the claims inside their proof (THEORY.md
sections 3 and 4): the Gamma >= 0 assumption, the step-size bound of section 2.1, Lemmas 10.3 and 10.4.
"""
from __future__ import annotations

import math

import numpy as np

from ..learners import AdaMax, Adam
from .base import (Bound, _stats, _diameters, _underflow_reason, _gradient_bounds, _na, _ok, _scalar,
    NOT_ANALYSED, _not_analysed, Check)


KB_ALGORITHM = ("Adam in the setting of Theorem 4.1: alpha_t = alpha/sqrt(t), beta1_t = beta1 lam^(t-1) with "
                "lam in (0, 1), bias correction 1 - beta1^t with the constant beta1, eps outside the root, every "
                "coordinate updated every round (Kingma & Ba v9, section 4)")


def _adam_setting(runs, reasons, notes, lam=None, title="Theorem 4.1"):
    """Checks shared by Theorem 4.1, Corollary 4.2 and Lemma 10.4; returns (alpha, beta1, beta2, gamma, lambda)."""
    L = runs.learner
    if L.schedule != "theorem":
        _not_analysed(reasons, f"schedule='constant': {title} analyses alpha_t = alpha/sqrt(t) and "
                               "beta1_t = beta1 lam^(t-1)")
    if L.bias_correction != "paper":
        _not_analysed(reasons, f"bias_correction={L.bias_correction!r}: {title} analyses the paper's 1 - beta1^t")
    if L.eps_mode != "paper":
        _not_analysed(reasons, f"eps_mode='hat': {title} analyses Algorithm 1's eps outside the root")
    if getattr(L, "lazy", False):
        _not_analysed(reasons, f"lazy=True: {title} analyses Algorithm 1, whose moments decay on every coordinate "
                               "every round; lazy (sparse) Adam skips untouched coordinates")
    b1, b2 = L.beta1, L.beta2
    gamma = b1 * b1 / math.sqrt(b2) if b2 > 0 else (0.0 if b1 == 0 else math.inf)
    if not gamma < 1:
        reasons.append(f"gamma = beta1^2/sqrt(beta2) = {gamma:.6g} is not < 1")
    lam_used = L.lam if lam is None else float(lam)
    if b1 == 0.0:
        lam_used = 0.0
        notes.append("beta1 = 0: beta1_t = 0 for every lambda, so the bound is the infimum over lambda (lambda -> 0)")
    elif not 0.0 < lam_used < 1.0:
        _not_analysed(reasons, f"lambda = {lam_used!r} is not in (0, 1): {title} analyses beta1_t = beta1 "
                               "lam^(t-1) with lam < 1")
    if L.eps > 0:
        notes.append(f"eps = {L.eps:g} > 0 while the analysis takes eps = 0")
    notes.append("the learner is projected onto the domain; the paper assumes bounded iterates instead")
    return L.alpha, b1, b2, gamma, lam_used


# ----------------------------------------------------------------------------- Adam

def theorem_4_1(runs, *, spread="domain", lam=None):
    r"""Kingma & Ba, Theorem 4.1 as printed (v9; THEORY.md section 3)::

        R(T) <= D^2/(2 alpha (1-beta1)) sum_i sqrt(T v_hat_{T,i})
              + alpha (1+beta1) G_inf/((1-beta1) sqrt(1-beta2) (1-gamma)^2) sum_i ||g_{1:T,i}||_2
              + d D_inf^2 G_inf sqrt(1-beta2)/(2 alpha (1-beta1) (1-lambda)^2),   gamma = beta1^2/sqrt(beta2)

    When beta1 = 0, beta1_t = 0 for every lambda, so the theorem claims the
    bound for every lambda in (0, 1) and the tightest claim (used here) is the
    infimum, lambda -> 0.  The theorem is false as printed: its proof assumes
    Gamma_{t,i} >= 0 (see :func:`proof_assumption`); Reddi et al.'s instance
    violates it (THEORY.md section 4).  Runs of any other variant (constant
    schedule, other bias corrections, the eps-hat form, lazy Adam, lam = 1) are
    not the analysed algorithm: the bound is then not applicable.
    """
    setup = _kingma_ba_setup("theorem_4_1", "Theorem 4.1", runs, spread, lam)
    if isinstance(setup, Bound):
        return setup
    consts, notes, a, b1, b2, gamma, D, Dinf, Ginf, term3 = setup
    t = runs.t.astype(float)[None, :]
    term1 = D ** 2 / (2 * a * (1 - b1)) * np.sqrt(t) * _stats(runs, "sum_sqrt_vhat")
    term2 = a * (1 + b1) * Ginf / ((1 - b1) * math.sqrt(1 - b2) * (1 - gamma) ** 2) * _stats(runs, "sum_g_norm")
    return _ok("theorem_4_1", runs, {"D^2 sum sqrt(T v_hat)": term1, "sum ||g_1:T,i||": term2,
                                     "(1-lambda)^-2": term3}, consts, notes, algorithm=KB_ALGORITHM,
               forms={"D^2 sum sqrt(T v_hat)": "sqrt", "sum ||g_1:T,i||": "sqrt", "(1-lambda)^-2": "const"},
               varying={"D^2 sum sqrt(T v_hat)"})


def _kingma_ba_setup(name, title, runs, spread, lam):
    """Assumptions and constants shared by Theorem 4.1 and Corollary 4.2, and their common third term
    d D_inf^2 G_inf sqrt(1-beta2)/(2 alpha (1-beta1) (1-lambda)^2); a not-applicable Bound when they fail."""
    L = runs.learner
    if not isinstance(L, Adam):
        return _na(name, runs, [f"{NOT_ANALYSED} ({title} is about Adam, not {L.name})"],
                   algorithm=KB_ALGORITHM)
    reasons, notes = [], []
    a, b1, b2, gamma, lam_used = _adam_setting(runs, reasons, notes, lam, title)
    D, Dinf = _diameters(runs, reasons, spread)
    _, Ginf = _gradient_bounds(runs, reasons)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "lambda": lam_used, "d": runs.d,
              "D": _scalar(D), "D_inf": _scalar(Dinf), "G_inf": Ginf}
    if reasons:
        return _na(name, runs, reasons, consts, notes, algorithm=KB_ALGORITHM)
    term3 = runs.d * Dinf ** 2 * Ginf * math.sqrt(1 - b2) / (2 * a * (1 - b1) * (1 - lam_used) ** 2)
    if b1 > 0 and (1 - lam_used) < 1e-3:
        notes.append(f"lambda = {lam_used!r}: the (1-lambda)^-2 term alone is {np.max(term3):.3g}")
    return consts, notes, a, b1, b2, gamma, D, Dinf, Ginf, term3


def corollary_4_2(runs, *, spread="domain", lam=None):
    r"""Kingma & Ba, Corollary 4.2: R(T)/T = O(1/sqrt(T)), from Theorem 4.1 with
    sum_i ||g_{1:T,i}||_2 <= d G_inf sqrt(T) and sum_i sqrt(T v_hat_{T,i}) <= d G_inf sqrt(T)::

        R(T) <= D^2 d G_inf sqrt(T)/(2 alpha (1-beta1))
              + alpha (1+beta1) d G_inf^2 sqrt(T)/((1-beta1) sqrt(1-beta2) (1-gamma)^2)
              + d D_inf^2 G_inf sqrt(1-beta2)/(2 alpha (1-beta1) (1-lambda)^2)

    (the worst case of the data-dependent terms; R(T)/T is then at most this over T).
    """
    setup = _kingma_ba_setup("corollary_4_2", "Corollary 4.2", runs, spread, lam)
    if isinstance(setup, Bound):
        return setup
    consts, notes, a, b1, b2, gamma, D, Dinf, Ginf, term3 = setup
    st = np.sqrt(runs.t.astype(float))[None, :]
    d = runs.d
    term1 = D ** 2 * d * Ginf * st / (2 * a * (1 - b1))
    term2 = a * (1 + b1) * d * Ginf ** 2 * st / ((1 - b1) * math.sqrt(1 - b2) * (1 - gamma) ** 2)
    return _ok("corollary_4_2", runs, {"D^2 d G_inf sqrt(T)": term1, "d G_inf^2 sqrt(T)": term2,
                                       "(1-lambda)^-2": term3}, consts, notes, algorithm=KB_ALGORITHM,
               forms={"D^2 d G_inf sqrt(T)": "sqrt", "d G_inf^2 sqrt(T)": "sqrt", "(1-lambda)^-2": "const"})



def proof_assumption(runs):
    """Where the proof of Theorem 4.1 breaks: Gamma_{t,i} = H_{t,i} - H_{t-1,i} >= 0, H = sqrt(v_hat)/alpha_t.

    Returns the fraction of (round, coordinate) pairs with Gamma < 0 and the first such round
    (recorded exactly by the kernel).
    """
    gneg = _stats(runs, "gamma_neg")[:, -1]
    first = _stats(runs, "first_gamma_neg")[:, -1]
    frac = gneg / (runs.T * runs.d)
    ev = {"gamma_neg": gneg, "fraction": frac, "first_round": first}
    if np.any(gneg > 0):
        f = int(np.min(first[gneg > 0]))
        return Check("proof_assumption", "violated", detail=f"Gamma_(t,i) < 0 first at round {f}; on "
                     f"{float(np.mean(frac)):.3%} of (t, i) pairs", evidence=ev, first_round=f)
    return Check("proof_assumption", "holds", detail="Gamma_(t,i) >= 0 for every t, i", evidence=ev)


def _algorithm_1_departures(L):
    """The options of an Adam spec that depart from Algorithm 1's step alpha_t m_hat/(sqrt(v_hat) + eps)."""
    why = []
    if L.bias_correction != "paper":
        why.append(f"bias_correction={L.bias_correction!r}")
    if L.eps_mode != "paper":
        why.append("eps_mode='hat'")
    if getattr(L, "lazy", False):
        why.append("lazy=True")
    return why


def step_size(runs):
    r"""Kingma & Ba section 2.1 (eps = 0): |Delta_t| <= alpha (1-beta1)/sqrt(1-beta2) when
    (1-beta1) > sqrt(1-beta2), else |Delta_t| <= alpha; AdaMax: |Delta_t| <= alpha (section 7.1).
    Checked on the largest step of the run, max_t ||Delta_t||_inf (before projection).

    The claim is about Algorithm 1 (constant beta1, the paper's bias correction, eps
    outside the root, every coordinate updated).  A decreasing alpha_t <= alpha keeps it;
    beta1_t = beta1 lam^(t-1) with lam < 1 and beta1 > 0 does not (the bias correction
    then divides a smaller-weighted m_t by 1 - beta1^t): that variant is not the
    analysed algorithm, and neither is lazy Adam.
    """
    L = runs.learner
    notes = []
    if isinstance(L, Adam):
        why = _algorithm_1_departures(L)
        if L.beta1 > 0 and L.lam != 1.0:
            why.append(f"beta1_t = beta1 lam^(t-1) with lam = {L.lam!r}")
        if why:
            return Check("step_size", "not applicable",
                         detail=f"{NOT_ANALYSED} ({', '.join(why)}: the step-size claim is about "
                                "Algorithm 1)")
        b1, b2 = L.beta1, L.beta2
        bound = L.alpha * (1 - b1) / math.sqrt(1 - b2) if (1 - b1) > math.sqrt(1 - b2) else L.alpha
        if L.schedule != "constant":
            notes.append("alpha_t = alpha/sqrt(t) <= alpha")
    elif isinstance(L, AdaMax):
        bound = L.alpha
    else:
        return Check("step_size", "not applicable",
                     detail=f"{NOT_ANALYSED} (the step-size claim is about Adam and AdaMax, not {L.name})")
    steps = _stats(runs, "max_step")
    mask = steps > bound * (1 + 1e-12)
    big = steps[:, -1]
    status = "violated" if mask.any() else "holds"
    return Check("step_size", status, lhs=float(np.max(big)), rhs=bound,
                 detail=f"max |Delta| = {float(np.max(big)):.6g} vs {bound:.6g}" + (f" ({notes[0]})" if notes else ""),
                 mask=mask)


def lemma_10_3(runs):
    r"""Kingma & Ba Lemma 10.3: sum_i sum_t sqrt(g_{t,i}^2/t) <= 2 G_inf sum_i ||g_{1:T,i}||_2.

    Not scale invariant: it can fail when G_inf is below about 1/2 (THEORY.md section 3).
    G_inf is the stream's declared bound, or when none is declared the largest |g_{s,i}| up
    to each checkpoint (the tightest value the lemma's hypothesis allows there).  A
    statement about any gradient sequence, so it applies to every run."""
    why = _underflow_reason(runs)
    if why:
        return Check("lemma_10_3", "not applicable", detail=why)
    Ginf = runs.stream.G_inf
    if Ginf is None:  # the largest |g| up to each checkpoint: the tightest G_inf the lemma holds for there
        Ginf = _stats(runs, "max_g_inf")
    lhs = _stats(runs, "lemma_10_3_lhs")
    rhs = 2 * np.asarray(Ginf) * _stats(runs, "sum_g_norm")
    bad = lhs > rhs * (1 + 1e-12)
    if bad.any():
        return Check("lemma_10_3", "violated", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])),
                     f"left side {float(np.max(lhs[:, -1])):.4g} > right side {float(np.max(rhs[:, -1])):.4g} at T "
                     f"(G_inf = {float(np.max(Ginf)):.3g})", mask=bad)
    return Check("lemma_10_3", "holds", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])),
                 f"left side {float(np.max(lhs[:, -1])):.4g} <= right side {float(np.min(rhs[:, -1])):.4g} at every "
                 f"checkpoint (G_inf = {float(np.max(Ginf)):.3g})", mask=bad)


def lemma_10_4(runs):
    r"""Kingma & Ba Lemma 10.4, both forms (THEORY.md section 3)::

        sum_t m_hat_{t,i}^2/sqrt(t v_hat_{t,i})  <=  2/((1-gamma) sqrt(1-beta2)) ||g_{1:T,i}||_2         (stated)
                                                  <=  2 G_inf/((1-gamma)^2 sqrt(1-beta2)) ||g_{1:T,i}||_2 (end of proof)

    summed over i.  The left side is recorded as sum_t sum_i Delta_{t,i}^2 H_{t,i}/(sqrt(t) alpha_t),
    which equals it for eps = 0 (with eps > 0 it is smaller).  That identity needs
    Algorithm 1's step Delta = alpha_t m_hat/sqrt(v_hat): other bias corrections, the
    eps-hat form and lazy Adam are not the analysed algorithm."""
    names = ("lemma_10_4_stated", "lemma_10_4_proof")
    L = runs.learner
    if not isinstance(L, Adam):
        return [Check(n, "not applicable", detail=f"{NOT_ANALYSED} (Lemma 10.4 is about Adam, not "
                                                  f"{L.name})") for n in names]
    why = _algorithm_1_departures(L)
    if why:
        return [Check(n, "not applicable", detail=f"{NOT_ANALYSED} ({', '.join(why)})") for n in names]
    b1, b2 = L.beta1, L.beta2
    gamma = b1 * b1 / math.sqrt(b2) if b2 > 0 else (0.0 if b1 == 0 else math.inf)
    if not gamma < 1:
        return [Check(n, "not applicable", detail=f"gamma = {gamma:.3g} >= 1") for n in names]
    why = _underflow_reason(runs)
    if why:
        return [Check(n, "not applicable", detail=why) for n in names]
    Ginf = runs.stream.G_inf if runs.stream.G_inf is not None else _stats(runs, "max_g_inf")
    lhs = _stats(runs, "lemma_10_4_lhs")
    sg = _stats(runs, "sum_g_norm")
    out = []
    for name, rhs in (("lemma_10_4_stated", 2 / ((1 - gamma) * math.sqrt(1 - b2)) * sg),
                      ("lemma_10_4_proof", 2 * Ginf / ((1 - gamma) ** 2 * math.sqrt(1 - b2)) * sg)):
        bad = lhs > rhs * (1 + 1e-9)
        detail = "" if L.eps == 0 else "eps > 0: the recorded left side is a lower estimate"
        lr = f"left side {float(np.max(lhs[:, -1])):.4g}, right side {float(np.max(rhs[:, -1])):.4g} at T"
        if bad.any():
            out.append(Check(name, "violated", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])),
                             f"{lr}. {detail}".strip(), mask=bad))
        else:
            out.append(Check(name, "holds", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])),
                             f"{lr}. {detail}".strip(), mask=bad))
    return out


#: the checks of :func:`regretlab.verify` besides the bounds, by name (lemma_10_4 gives two rows)
