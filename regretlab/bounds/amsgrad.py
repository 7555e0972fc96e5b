"""Reddi, Kale & Kumar (ICLR 2018): AMSGrad's Theorem 4 and Corollary 1, and Tran & Phong's corrected
bound (IEEE Access 2019) (THEORY.md section 5).
"""
from __future__ import annotations

import math

import numpy as np

from ..learners import AMSGrad
from .base import (_stats, _diameters, _gradient_bounds, _na, _ok, _scalar, NOT_ANALYSED, _not_analysed,
    _euclidean_off_box)


# ----------------------------------------------------------------------------- AMSGrad

AMS_ALGORITHM = ("AMSGrad (Reddi et al. Algorithm 2): alpha_t = alpha/sqrt(t), the max over the raw v_t with no bias "
                 "correction, and the weighted projection Pi_{X, sqrt(V_hat_t)}")


def _amsgrad_setting(runs, reasons, notes, title):
    L = runs.learner
    if L.schedule != "theorem":
        _not_analysed(reasons, f"schedule='constant': {title} analyses alpha_t = alpha/sqrt(t)")
    if L.variant != "paper":
        _not_analysed(reasons, f"variant='corrected' (a bias-corrected max): {title} analyses the max over the raw "
                               "v_t")
    if _euclidean_off_box(L, runs):
        _not_analysed(reasons, f"projection='euclidean' on {runs.stream.domain!r}: {title} analyses the weighted "
                               "projection Pi_(X, sqrt(V_hat)), which is Euclidean clipping only on a box")
    b1, b2 = L.beta1, L.beta2
    gamma = b1 / math.sqrt(b2) if b2 > 0 else (0.0 if b1 == 0 else math.inf)
    if not gamma < 1:
        reasons.append(f"gamma = beta1/sqrt(beta2) = {gamma:.6g} is not < 1")
    if L.eps > 0:
        notes.append(f"eps = {L.eps:g} > 0: sqrt(v_hat) + eps stands for sqrt(v_hat) in the statistics")
    return L.alpha, b1, b2, gamma


def amsgrad_theorem_4(runs, *, spread="domain"):
    r"""Reddi et al., Theorem 4 (AMSGrad), the revised (authors' corrected) form (THEORY.md section 5)::

        R_T <= D_inf^2 sqrt(T)/(alpha (1-beta1)) sum_i sqrt(v_hat_{T,i})
             + D_inf^2/(1-beta1)^2 sum_t sum_i beta1_t sqrt(v_hat_{t,i})/alpha_t
             + alpha sqrt(1 + ln T)/((1-beta1)^2 (1-gamma) sqrt(1-beta2)) sum_i ||g_{1:T,i}||_2,
        gamma = beta1/sqrt(beta2)   (not beta1^2/sqrt(beta2))

    Analyses AMSGrad with the weighted projection: with ``projection="euclidean"`` on
    a ball (where the two differ) it is not applicable.
    """
    name = "amsgrad_theorem_4"
    L = runs.learner
    if not isinstance(L, AMSGrad):
        return _na(name, runs, [f"{NOT_ANALYSED} (Theorem 4 is about AMSGrad, not {L.name})"],
                   algorithm=AMS_ALGORITHM)
    reasons, notes = [], []
    a, b1, b2, gamma = _amsgrad_setting(runs, reasons, notes, "Theorem 4")
    if L.lam > 1:
        reasons.append("beta1_t must not exceed beta1")
    _, Dinf = _diameters(runs, reasons, spread)
    _gradient_bounds(runs, reasons, need_inf=False)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "D_inf": _scalar(Dinf)}
    if reasons:
        return _na(name, runs, reasons, consts, notes, algorithm=AMS_ALGORITHM)
    t = runs.t.astype(float)[None, :]
    term1 = Dinf ** 2 * np.sqrt(t) / (a * (1 - b1)) * _stats(runs, "sum_sqrt_vhat")
    term2 = Dinf ** 2 / (1 - b1) ** 2 * _stats(runs, "sum_beta1_h")
    term3 = a * np.sqrt(1 + np.log(t)) / ((1 - b1) ** 2 * (1 - gamma) * math.sqrt(1 - b2)) * _stats(runs, "sum_g_norm")
    # sum_t beta1_t sqrt(v_hat)/alpha_t: increments beta1 lam^(t-1) sqrt(t) sum_i sqrt(v_hat_t)/alpha, with v_hat
    # non-decreasing; it converges for lam < 1 and grows like t^(3/2) for lam = 1
    tail = "const" if b1 == 0 or L.lam == 0 else ("geometric_sqrt", -math.log(L.lam) if L.lam < 1 else 0.0)
    return _ok(name, runs, {"sqrt(T) sum sqrt(v_hat)": term1, "sum beta1_t sqrt(v_hat)/alpha_t": term2,
                            "sqrt(1+ln T) sum ||g_1:T,i||": term3}, consts, notes, algorithm=AMS_ALGORITHM,
               forms={"sqrt(T) sum sqrt(v_hat)": "sqrt",
                      "sum beta1_t sqrt(v_hat)/alpha_t": tail,
                      "sqrt(1+ln T) sum ||g_1:T,i||": "sqrt_log"})


def amsgrad_corollary_1(runs, *, spread="domain"):
    r"""Reddi et al., Corollary 1 with beta1_t = beta1 lam^(t-1), with the factor d/alpha the
    printed text omits restored (THEORY.md section 5)::

        R_T <= D_inf^2 sqrt(T)/(alpha (1-beta1)) sum_i sqrt(v_hat_{T,i})
             + d beta1 D_inf^2 G_inf/(alpha (1-beta1)^2 (1-lambda)^2)
             + alpha sqrt(1 + ln T)/((1-beta1)^2 (1-gamma) sqrt(1-beta2)) sum_i ||g_{1:T,i}||_2
    """
    name = "amsgrad_corollary_1"
    L = runs.learner
    if not isinstance(L, AMSGrad):
        return _na(name, runs, [f"{NOT_ANALYSED} (Corollary 1 is about AMSGrad, not {L.name})"],
                   algorithm=AMS_ALGORITHM)
    reasons, notes = [], []
    a, b1, b2, gamma = _amsgrad_setting(runs, reasons, notes, "Corollary 1")
    lam = L.lam
    if b1 > 0 and not 0 < lam < 1:
        _not_analysed(reasons, f"lambda = {lam!r} is not in (0, 1): the corollary needs beta1_t = beta1 "
                               "lam^(t-1) with lam < 1")
    _, Dinf = _diameters(runs, reasons, spread)
    _, Ginf = _gradient_bounds(runs, reasons)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "lambda": lam, "D_inf": _scalar(Dinf),
              "G_inf": Ginf, "d": runs.d}
    if reasons:
        return _na(name, runs, reasons, consts, notes, algorithm=AMS_ALGORITHM)
    t = runs.t.astype(float)[None, :]
    term1 = Dinf ** 2 * np.sqrt(t) / (a * (1 - b1)) * _stats(runs, "sum_sqrt_vhat")
    term2 = runs.d * b1 * Dinf ** 2 * Ginf / (a * (1 - b1) ** 2 * (1 - lam) ** 2) if b1 > 0 else 0.0
    term3 = a * np.sqrt(1 + np.log(t)) / ((1 - b1) ** 2 * (1 - gamma) * math.sqrt(1 - b2)) * _stats(runs, "sum_g_norm")
    return _ok(name, runs, {"sqrt(T) sum sqrt(v_hat)": term1, "(1-lambda)^-2": term2,
                            "sqrt(1+ln T) sum ||g_1:T,i||": term3}, consts, notes, algorithm=AMS_ALGORITHM,
               forms={"sqrt(T) sum sqrt(v_hat)": "sqrt", "(1-lambda)^-2": "const",
                      "sqrt(1+ln T) sum ||g_1:T,i||": "sqrt_log"})


def tran_phong(runs, *, spread="domain", t0=1):
    r"""Tran & Phong's corrected AMSGrad theorem (IEEE Access 2019; THEORY.md section 5)::

        R(T) <= d D_inf^2 G_inf/(2 alpha (1-beta1)) (sum_{t<=t0} sqrt(t) + sqrt(T))
              + d D_inf^2 G_inf/(2 alpha (1-beta1) (1-lambda)^2)
              + alpha sqrt(ln T + 1)/((1-beta1)^2 sqrt(1-beta2) (1-gamma)) sum_i ||g_{1:T,i}||_2

    t0 exists but is not explicit: the bound is reported with t0 = 1 and flagged.
    """
    name = "tran_phong"
    L = runs.learner
    if not isinstance(L, AMSGrad):
        return _na(name, runs, [f"{NOT_ANALYSED} (Tran & Phong's theorem is about AMSGrad, not "
                                f"{L.name})"], algorithm=AMS_ALGORITHM)
    reasons, notes = [], []
    a, b1, b2, gamma = _amsgrad_setting(runs, reasons, notes, "Tran & Phong's theorem")
    lam = L.lam
    if b1 == 0.0:
        lam = 0.0
        notes.append("beta1 = 0: lambda is free; the infimum lambda -> 0 is used")
    elif not 0 < lam < 1:
        _not_analysed(reasons, f"lambda = {lam!r} is not in (0, 1): the theorem needs beta1_t = beta1 lam^(t-1) "
                               "with lam < 1")
    _, Dinf = _diameters(runs, reasons, spread)
    _, Ginf = _gradient_bounds(runs, reasons)
    t0 = int(t0)
    notes.append(f"t0 = {t0} is assumed: the theorem only says some t0 >= 1 independent of T exists")
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "lambda": lam, "D_inf": _scalar(Dinf),
              "G_inf": Ginf, "d": runs.d, "t0": t0}
    if reasons:
        return _na(name, runs, reasons, consts, notes, algorithm=AMS_ALGORITHM)
    t = runs.t.astype(float)[None, :]
    c = runs.d * Dinf ** 2 * Ginf / (2 * a * (1 - b1))
    s0 = float(np.sum(np.sqrt(np.arange(1, t0 + 1))))
    term1 = c * (s0 + np.sqrt(t))
    term2 = c / (1 - lam) ** 2
    term3 = a * np.sqrt(np.log(t) + 1) / ((1 - b1) ** 2 * math.sqrt(1 - b2) * (1 - gamma)) * _stats(runs, "sum_g_norm")
    return _ok(name, runs, {"sqrt(T)": term1, "(1-lambda)^-2": term2, "sqrt(1+ln T) sum ||g_1:T,i||": term3},
               consts, notes, algorithm=AMS_ALGORITHM,
               forms={"sqrt(T)": "sqrt", "(1-lambda)^-2": "const", "sqrt(1+ln T) sum ||g_1:T,i||": "sqrt_log"})
