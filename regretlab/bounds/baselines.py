"""The baselines' bounds: projected OGD (Zinkevich 2003), diagonal AdaGrad (Duchi, Hazan & Singer 2011),
and the minimax reference of random signs (THEORY.md section 7).
"""
from __future__ import annotations

import numpy as np

from ..learners import OGD, AdaGrad
from .base import (sum_inv_sqrt, _stats, _diameters, _gradient_bounds, _na, _ok, _scalar, NOT_ANALYSED,
    _not_analysed, _euclidean_off_box)
from ..streams import expected_sign_regret


# ----------------------------------------------------------------------------- baselines

OGD_ALGORITHM = "projected online gradient descent with a non-increasing step eta_t (Zinkevich 2003)"


def ogd(runs, *, spread="domain"):
    r"""Zinkevich's bound for projected OGD with any non-increasing step eta_t (THEORY.md section 7)::

        R(T) <= D^2/(2 eta_T) + (G^2/2) sum_{t<=T} eta_t

    with sum_t eta_t evaluated exactly (:func:`sum_inv_sqrt` for eta_t = alpha/sqrt(t)), not
    through 2 sqrt(T) - 1.  The schedules: ``"theorem"``, eta_t = alpha/sqrt(t),
    R(T) <= D^2 sqrt(T)/(2 alpha) + (alpha G^2/2) sum_t t^(-1/2); ``"constant"``, eta_t = alpha,
    R(T) <= D^2/(2 alpha) + alpha G^2 T/2, which with alpha = D/(G sqrt(T)) is D G sqrt(T),
    exactly the worst case (orthogonal gradients attain it).
    """
    name = "ogd"
    L = runs.learner
    if not isinstance(L, OGD):
        return _na(name, runs, [f"{NOT_ANALYSED} (this bound is about OGD, not {L.name})"],
                   algorithm=OGD_ALGORITHM)
    reasons = []
    D, _ = _diameters(runs, reasons, spread)
    G, _ = _gradient_bounds(runs, reasons, need_l2=True, need_inf=False)
    consts = {"alpha": L.alpha, "schedule": L.schedule, "D": _scalar(D), "G": G}
    if reasons:
        return _na(name, runs, reasons, consts, algorithm=OGD_ALGORITHM)
    t = runs.t.astype(float)[None, :]
    a = L.alpha
    if L.schedule == "theorem":
        terms = {"D^2/(2 eta_T)": D ** 2 * np.sqrt(t) / (2 * a),
                 "(G^2/2) sum eta_t": 0.5 * G ** 2 * a * sum_inv_sqrt(runs.t)[None, :]}
        forms = {"D^2/(2 eta_T)": "sqrt", "(G^2/2) sum eta_t": "sqrt"}
    else:
        terms = {"D^2/(2 eta_T)": D ** 2 / (2 * a) + 0 * t, "(G^2/2) sum eta_t": 0.5 * G ** 2 * a * t}
        forms = {"D^2/(2 eta_T)": "const", "(G^2/2) sum eta_t": "linear"}
    return _ok(name, runs, terms, consts, [], algorithm=OGD_ALGORITHM, forms=forms)


ADAGRAD_ALGORITHM = ("diagonal AdaGrad with a constant eta and the Mahalanobis projection argmin ||diag(delta + "
                     "||g_1:t,i||)^(1/2) (x - y)|| (Duchi, Hazan & Singer 2011)")


def adagrad(runs, *, spread="domain"):
    r"""Diagonal AdaGrad (Duchi, Hazan & Singer 2011; THEORY.md section 7)::

        R(T) <= (1/(2 eta)) max_t ||theta* - theta_t||_inf^2 sum_i ||g_{1:T,i}||_2 + eta sum_i ||g_{1:T,i}||_2
              + delta D^2/(2 eta)

    max_t ||theta* - theta_t||_inf is bounded by D_inf.  The last term is the delta part of
    (1/(2 eta)) ||x* - x_1||^2_(H_1), H_1 = delta I + diag(|g_1|), where the mirror-descent proof
    starts; THEORY.md's summary (written for delta -> 0) omits it, and without it runs with a large
    delta exceed the bound.  THEORY.md takes these
    constants from a secondary summary; the check reports them as such.  The bound
    analyses the Mahalanobis projection; regretlab's AdaGrad projects Euclidean-ly,
    which is the same on a box (and without constraints) but not on a ball.
    """
    name = "adagrad"
    L = runs.learner
    if not isinstance(L, AdaGrad):
        return _na(name, runs, [f"{NOT_ANALYSED} (this bound is about AdaGrad, not {L.name})"],
                   algorithm=ADAGRAD_ALGORITHM)
    reasons = []
    notes = ["constants from a secondary summary of Duchi et al. (THEORY.md section 7)"]
    if L.schedule != "constant":
        _not_analysed(reasons, "schedule='theorem': the bound is for a constant eta")
    if _euclidean_off_box(L, runs):
        _not_analysed(reasons, f"Euclidean projection on {runs.stream.domain!r}: the bound analyses the "
                               "Mahalanobis projection, which is Euclidean clipping only on a box")
    _, Dinf = _diameters(runs, reasons, spread)
    _gradient_bounds(runs, reasons, need_inf=False)
    consts = {"eta": L.alpha, "delta": L.delta, "D_inf": _scalar(Dinf)}
    if reasons:
        return _na(name, runs, reasons, consts, notes, algorithm=ADAGRAD_ALGORITHM)
    sg = _stats(runs, "sum_g_norm")
    terms = {"D_inf^2 sum ||g||/(2 eta)": Dinf ** 2 * sg / (2 * L.alpha), "eta sum ||g||": L.alpha * sg}
    forms = {"D_inf^2 sum ||g||/(2 eta)": "sqrt", "eta sum ||g||": "sqrt"}
    if L.delta > 0:
        # the mirror-descent analysis starts from (1/(2 eta)) ||x* - x_1||^2_(H_1), H_1 = delta I + diag(|g_1|):
        # its delta part, delta ||x* - x_1||^2/(2 eta) <= delta D^2/(2 eta), which a delta -> 0 summary drops
        D, _ = _diameters(runs, [], spread)
        terms["delta D^2/(2 eta)"] = L.delta * D ** 2 / (2 * L.alpha) + 0.0 * sg
        forms["delta D^2/(2 eta)"] = "const"
        notes.append("delta > 0: the term delta ||x* - x_1||^2/(2 eta) <= delta D^2/(2 eta) of the mirror-descent "
                     "analysis is added")
    return _ok(name, runs, terms, consts, notes, algorithm=ADAGRAD_ALGORITHM, forms=forms)


def random_sign_lower(runs):
    r"""The minimax reference for linear losses with i.i.d. uniform signs (THEORY.md section 7)::

        E R(T) = r G d E|sum_{t<=T} s_t| ~ r G d sqrt(2T/pi)   for every learner

    A reference value, not an upper bound: the mean regret over seeds should
    match it within its standard error, and no learner can beat it in expectation.
    """
    name = "random_sign_lower"
    s = runs.stream
    if s.name != "random_sign":
        return _na(name, runs, [f"the reference holds for the random_sign stream, not {s.name!r}"], kind="reference",
                   algorithm="every learner")
    p = s.params
    ref = expected_sign_regret(runs.t, d=p["d"], radius=p["radius"], G=p["G"])[None, :]
    return _ok(name, runs, {"r G d E|S_t|": ref}, dict(p), [], kind="reference", algorithm="every learner")



def lower(runs):
    """Alias of :func:`random_sign_lower` (the lower reference)."""
    return random_sign_lower(runs)
