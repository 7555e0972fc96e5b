"""Regret bounds evaluated on a run's own statistics (THEORY.md sections 3, 5 and 7).

Each function takes a :class:`~regretlab.runs.Runs` (or a Run) and returns a
:class:`Bound`: the bound's value at every checkpoint of every seed, each term
separately, the constants used, and whether the theorem's assumptions hold for
this run.  A bound whose assumptions fail carries ``value = None`` and the
reasons: it is never reported as a number that looks like a guarantee.

Constants, by default: D and D_inf are the domain's diameters; G and G_inf are
declared by the stream over the whole domain (exact for linear streams).
``spread="observed"`` uses the iterates' spread instead (also valid: the
theorems only need the distance between iterates, and the comparator).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .learners import OGD, AdaGrad, AdaMax, Adam, AMSGrad


@dataclass
class Bound:
    """A bound evaluated on a run.

    Attributes
    ----------
    name : str
    t : ndarray
        Checkpoint rounds.
    value : ndarray or None
        Shape (n_seeds, len(t)) for Runs, (len(t),) for a Run; None when the
        assumptions fail (see ``reasons``).
    terms : dict of name -> ndarray
        The additive terms of the bound (same shape as ``value``): which term dominates.
    constants : dict
        The constants used (D, D_inf, G, G_inf, gamma, lambda, ...).
    applicable : bool
    reasons : list of str
        Why the bound is not applicable (empty when it is).
    notes : list of str
        Caveats that do not void the bound (eps > 0, a free t0, lambda -> 0 taken, ...).
    kind : str
        ``"upper"`` (R <= bound claimed) or ``"reference"`` (an expected value R should match).
    """

    name: str
    t: np.ndarray
    value: np.ndarray | None
    terms: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    applicable: bool = True
    reasons: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    kind: str = "upper"

    def __repr__(self):
        if not self.applicable:
            return f"<Bound {self.name}: not applicable ({'; '.join(self.reasons)})>"
        last = float(np.mean(np.atleast_2d(self.value)[:, -1]))
        return f"<Bound {self.name}: B(T={int(self.t[-1])}) = {last:.6g}>"

    def dominant_term(self):
        """Name of the largest term at T (mean over seeds), or None."""
        if not self.applicable or not self.terms:
            return None
        return max(self.terms, key=lambda k: float(np.mean(np.atleast_2d(self.terms[k])[:, -1])))


# ----------------------------------------------------------------------------- helpers

def _stats(runs, name):
    if name not in runs._stats:
        raise ValueError(f"these runs lack the statistic {name!r} that the bound needs")
    return runs._stats[name]


def _diameters(runs, reasons, spread):
    dom = runs.stream.domain
    if spread == "domain":
        D, Dinf = dom.diameter_2, dom.diameter_inf
        if not math.isfinite(D):
            reasons.append(f"the domain {dom!r} is unbounded, so D and D_inf are infinite "
                           "(spread='observed' uses the iterates' spread instead)")
        return D, Dinf
    if spread == "observed":
        # The comparator must lie within the spread too: widen the iterate box by the minimiser.
        lo = np.minimum(runs._final["theta_min"], runs._best_theta)
        hi = np.maximum(runs._final["theta_max"], runs._best_theta)
        w = hi - lo
        return np.linalg.norm(w, axis=1)[:, None], np.max(w, axis=1)[:, None]
    raise ValueError(f"spread must be 'domain' or 'observed', got {spread!r}")


def _underflow_reason(runs):
    """The squared-gradient sums are float64 sums of g^2: for |g| below ~1e-154 they underflow to 0.
    Detected by max ||g||_2 < max ||g||_inf, which is impossible for exact values."""
    st = runs._stats
    if np.any(st["max_g_2"][:, -1] < st["max_g_inf"][:, -1] * (1 - 1e-12)):
        return ("the squared-gradient statistics underflowed (|g| below ~1e-154): sum_i ||g_1:T,i|| and "
                "v_hat are not representable in float64")
    return None


def _gradient_bounds(runs, reasons, need_l2=False, need_inf=True):
    why = _underflow_reason(runs)
    if why and why not in reasons:
        reasons.append(why)
    G, Ginf = runs.stream.G, runs.stream.G_inf
    if need_inf and Ginf is None:
        reasons.append(f"the stream {runs.stream.name!r} declares no gradient bound G_inf")
    if need_l2 and G is None:
        reasons.append(f"the stream {runs.stream.name!r} declares no gradient bound G")
    return (math.nan if G is None else G), (math.nan if Ginf is None else Ginf)


def _na(name, runs, reasons, constants=None, notes=None, kind="upper"):
    return Bound(name, runs.t.copy(), None, {}, constants or {}, False, list(reasons), list(notes or []), kind)


def _ok(name, runs, terms, constants, notes, kind="upper"):
    shape = runs._loss.shape
    terms = {k: np.broadcast_to(np.asarray(v, dtype=float), shape).copy() for k, v in terms.items()}
    value = sum(terms.values())
    return Bound(name, runs.t.copy(), runs._o(value), {k: runs._o(v) for k, v in terms.items()},
                 constants, True, [], list(notes), kind)


def _scalar(x):
    return float(x) if np.isscalar(x) or np.ndim(x) == 0 else "observed"


def _adam_setting(runs, reasons, notes, lam=None):
    """Checks shared by Theorem 4.1 and Corollary 4.2; returns (alpha, beta1, beta2, gamma, lambda)."""
    L = runs.learner
    if L.schedule != "theorem":
        reasons.append("schedule='constant': the theorem needs alpha_t = alpha/sqrt(t) and beta1_t = beta1 lam^(t-1)")
    if L.bias_correction != "paper":
        reasons.append(f"bias_correction={L.bias_correction!r}: the theorem analyses the paper's 1 - beta1^t")
    if L.eps_mode != "paper":
        reasons.append("eps_mode='hat' is not the analysed algorithm")
    b1, b2 = L.beta1, L.beta2
    gamma = b1 * b1 / math.sqrt(b2) if b2 > 0 else (0.0 if b1 == 0 else math.inf)
    if not gamma < 1:
        reasons.append(f"gamma = beta1^2/sqrt(beta2) = {gamma:.6g} is not < 1")
    lam_used = L.lam if lam is None else float(lam)
    if b1 == 0.0:
        lam_used = 0.0
        notes.append("beta1 = 0: beta1_t = 0 for every lambda, so the bound is the infimum over lambda (lambda -> 0)")
    elif not 0.0 < lam_used < 1.0:
        reasons.append(f"lambda = {lam_used!r} is not in (0, 1)")
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
    violates it (THEORY.md section 4).
    """
    setup = _kingma_ba_setup("theorem_4_1", "Theorem 4.1", runs, spread, lam)
    if isinstance(setup, Bound):
        return setup
    consts, notes, a, b1, b2, gamma, D, Dinf, Ginf, term3 = setup
    t = runs.t.astype(float)[None, :]
    term1 = D ** 2 / (2 * a * (1 - b1)) * np.sqrt(t) * _stats(runs, "sum_sqrt_vhat")
    term2 = a * (1 + b1) * Ginf / ((1 - b1) * math.sqrt(1 - b2) * (1 - gamma) ** 2) * _stats(runs, "sum_g_norm")
    return _ok("theorem_4_1", runs, {"D^2 sum sqrt(T v_hat)": term1, "sum ||g_1:T,i||": term2,
                                     "(1-lambda)^-2": term3}, consts, notes)


def _kingma_ba_setup(name, title, runs, spread, lam):
    """Assumptions and constants shared by Theorem 4.1 and Corollary 4.2, and their common third term
    d D_inf^2 G_inf sqrt(1-beta2)/(2 alpha (1-beta1) (1-lambda)^2); a not-applicable Bound when they fail."""
    L = runs.learner
    if not isinstance(L, Adam):
        return _na(name, runs, [f"{title} is about Adam, not {L.name}"])
    reasons, notes = [], []
    a, b1, b2, gamma, lam_used = _adam_setting(runs, reasons, notes, lam)
    D, Dinf = _diameters(runs, reasons, spread)
    _, Ginf = _gradient_bounds(runs, reasons)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "lambda": lam_used, "d": runs.d,
              "D": _scalar(D), "D_inf": _scalar(Dinf), "G_inf": Ginf}
    if reasons:
        return _na(name, runs, reasons, consts, notes)
    term3 = runs.d * Dinf ** 2 * Ginf * math.sqrt(1 - b2) / (2 * a * (1 - b1) * (1 - lam_used) ** 2)
    if b1 > 0 and (1 - lam_used) < 1e-3:
        notes.append(f"lambda = {lam_used!r}: the (1-lambda)^-2 term alone is {np.max(term3):.3g}, "
                     "vacuous at any feasible horizon")
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
                                       "(1-lambda)^-2": term3}, consts, notes)


# ----------------------------------------------------------------------------- AMSGrad

def _amsgrad_setting(runs, reasons, notes):
    L = runs.learner
    if L.schedule != "theorem":
        reasons.append("schedule='constant': the theorem needs alpha_t = alpha/sqrt(t)")
    if L.variant != "paper":
        reasons.append("variant='corrected' (bias-corrected max) is not the analysed algorithm")
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
    """
    name = "amsgrad_theorem_4"
    L = runs.learner
    if not isinstance(L, AMSGrad):
        return _na(name, runs, [f"Theorem 4 is about AMSGrad, not {L.name}"])
    reasons, notes = [], []
    a, b1, b2, gamma = _amsgrad_setting(runs, reasons, notes)
    if L.lam > 1:
        reasons.append("beta1_t must not exceed beta1")
    _, Dinf = _diameters(runs, reasons, spread)
    _gradient_bounds(runs, reasons, need_inf=False)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "D_inf": _scalar(Dinf)}
    if reasons:
        return _na(name, runs, reasons, consts, notes)
    t = runs.t.astype(float)[None, :]
    term1 = Dinf ** 2 * np.sqrt(t) / (a * (1 - b1)) * _stats(runs, "sum_sqrt_vhat")
    term2 = Dinf ** 2 / (1 - b1) ** 2 * _stats(runs, "sum_beta1_h")
    term3 = a * np.sqrt(1 + np.log(t)) / ((1 - b1) ** 2 * (1 - gamma) * math.sqrt(1 - b2)) * _stats(runs, "sum_g_norm")
    return _ok(name, runs, {"sqrt(T) sum sqrt(v_hat)": term1, "sum beta1_t sqrt(v_hat)/alpha_t": term2,
                            "sqrt(1+ln T) sum ||g_1:T,i||": term3}, consts, notes)


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
        return _na(name, runs, [f"Corollary 1 is about AMSGrad, not {L.name}"])
    reasons, notes = [], []
    a, b1, b2, gamma = _amsgrad_setting(runs, reasons, notes)
    lam = L.lam
    if b1 > 0 and not 0 < lam < 1:
        reasons.append(f"lambda = {lam!r} is not in (0, 1): the corollary needs beta1_t = beta1 lam^(t-1) with lam < 1")
    _, Dinf = _diameters(runs, reasons, spread)
    _, Ginf = _gradient_bounds(runs, reasons)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "lambda": lam, "D_inf": _scalar(Dinf),
              "G_inf": Ginf, "d": runs.d}
    if reasons:
        return _na(name, runs, reasons, consts, notes)
    t = runs.t.astype(float)[None, :]
    term1 = Dinf ** 2 * np.sqrt(t) / (a * (1 - b1)) * _stats(runs, "sum_sqrt_vhat")
    term2 = runs.d * b1 * Dinf ** 2 * Ginf / (a * (1 - b1) ** 2 * (1 - lam) ** 2) if b1 > 0 else 0.0
    term3 = a * np.sqrt(1 + np.log(t)) / ((1 - b1) ** 2 * (1 - gamma) * math.sqrt(1 - b2)) * _stats(runs, "sum_g_norm")
    return _ok(name, runs, {"sqrt(T) sum sqrt(v_hat)": term1, "(1-lambda)^-2": term2,
                            "sqrt(1+ln T) sum ||g_1:T,i||": term3}, consts, notes)


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
        return _na(name, runs, [f"Tran & Phong's theorem is about AMSGrad, not {L.name}"])
    reasons, notes = [], []
    a, b1, b2, gamma = _amsgrad_setting(runs, reasons, notes)
    lam = L.lam
    if b1 == 0.0:
        lam = 0.0
        notes.append("beta1 = 0: lambda is free; the infimum lambda -> 0 is used")
    elif not 0 < lam < 1:
        reasons.append(f"lambda = {lam!r} is not in (0, 1)")
    _, Dinf = _diameters(runs, reasons, spread)
    _, Ginf = _gradient_bounds(runs, reasons)
    t0 = int(t0)
    notes.append(f"t0 = {t0} is assumed: the theorem only says some t0 >= 1 independent of T exists")
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "lambda": lam, "D_inf": _scalar(Dinf),
              "G_inf": Ginf, "d": runs.d, "t0": t0}
    if reasons:
        return _na(name, runs, reasons, consts, notes)
    t = runs.t.astype(float)[None, :]
    c = runs.d * Dinf ** 2 * Ginf / (2 * a * (1 - b1))
    s0 = float(np.sum(np.sqrt(np.arange(1, t0 + 1))))
    term1 = c * (s0 + np.sqrt(t))
    term2 = c / (1 - lam) ** 2
    term3 = a * np.sqrt(np.log(t) + 1) / ((1 - b1) ** 2 * math.sqrt(1 - b2) * (1 - gamma)) * _stats(runs, "sum_g_norm")
    return _ok(name, runs, {"sqrt(T)": term1, "(1-lambda)^-2": term2, "sqrt(1+ln T) sum ||g_1:T,i||": term3},
               consts, notes)


# ----------------------------------------------------------------------------- baselines

def ogd(runs, *, spread="domain"):
    r"""Zinkevich's bound for projected OGD with eta_t = alpha/sqrt(t) (THEORY.md section 7)::

        R(T) <= D^2/(2 eta_T) + (G^2/2) sum_t eta_t <= D^2 sqrt(T)/(2 alpha) + alpha G^2 (sqrt(T) - 1/2)
    """
    name = "ogd"
    L = runs.learner
    if not isinstance(L, OGD):
        return _na(name, runs, [f"this bound is about OGD, not {L.name}"])
    reasons = []
    if L.schedule != "theorem":
        reasons.append("schedule='constant': the bound here is for eta_t = alpha/sqrt(t)")
    D, _ = _diameters(runs, reasons, spread)
    G, _ = _gradient_bounds(runs, reasons, need_l2=True, need_inf=False)
    consts = {"alpha": L.alpha, "D": _scalar(D), "G": G}
    if reasons:
        return _na(name, runs, reasons, consts)
    st = np.sqrt(runs.t.astype(float))[None, :]
    return _ok(name, runs, {"D^2 sqrt(T)/(2 alpha)": D ** 2 * st / (2 * L.alpha),
                            "alpha G^2 (sqrt(T)-1/2)": L.alpha * G ** 2 * (st - 0.5)}, consts, [])


def adagrad(runs, *, spread="domain"):
    r"""Diagonal AdaGrad (Duchi, Hazan & Singer 2011; THEORY.md section 7)::

        R(T) <= (1/(2 eta)) max_t ||theta* - theta_t||_inf^2 sum_i ||g_{1:T,i}||_2 + eta sum_i ||g_{1:T,i}||_2

    max_t ||theta* - theta_t||_inf is bounded by D_inf.  THEORY.md takes these
    constants from a secondary summary; the check reports them as such.
    """
    name = "adagrad"
    L = runs.learner
    if not isinstance(L, AdaGrad):
        return _na(name, runs, [f"this bound is about AdaGrad, not {L.name}"])
    reasons = []
    notes = ["constants from a secondary summary of Duchi et al. (THEORY.md section 7)"]
    if L.schedule != "constant":
        reasons.append("schedule='theorem': the bound is for a constant eta")
    _, Dinf = _diameters(runs, reasons, spread)
    _gradient_bounds(runs, reasons, need_inf=False)
    consts = {"eta": L.alpha, "delta": L.delta, "D_inf": _scalar(Dinf)}
    if reasons:
        return _na(name, runs, reasons, consts, notes)
    sg = _stats(runs, "sum_g_norm")
    return _ok(name, runs, {"D_inf^2 sum ||g||/(2 eta)": Dinf ** 2 * sg / (2 * L.alpha), "eta sum ||g||": L.alpha * sg},
               consts, notes)


def random_sign_lower(runs):
    r"""The minimax reference for linear losses with i.i.d. uniform signs (THEORY.md section 7)::

        E R(T) = r G d E|sum_{t<=T} s_t| ~ r G d sqrt(2T/pi)   for every learner

    A reference value, not an upper bound: the mean regret over seeds should
    match it within its standard error, and no learner can beat it in expectation.
    """
    from .streams import expected_sign_regret

    name = "random_sign_lower"
    s = runs.stream
    if s.name != "random_sign":
        return _na(name, runs, [f"the reference holds for the random_sign stream, not {s.name!r}"], kind="reference")
    p = s.params
    ref = expected_sign_regret(runs.t, d=p["d"], radius=p["radius"], G=p["G"])[None, :]
    return _ok(name, runs, {"r G d E|S_t|": ref}, dict(p), [], kind="reference")


ALL = {
    "theorem_4_1": theorem_4_1,
    "corollary_4_2": corollary_4_2,
    "amsgrad_theorem_4": amsgrad_theorem_4,
    "amsgrad_corollary_1": amsgrad_corollary_1,
    "tran_phong": tran_phong,
    "ogd": ogd,
    "adagrad": adagrad,
    "random_sign_lower": random_sign_lower,
}


def lower(runs):
    """Alias of :func:`random_sign_lower` (the lower reference)."""
    return random_sign_lower(runs)


# ----------------------------------------------------------------------------- the paper's other claims

@dataclass
class Check:
    """A claim checked on a run: holds, violated (with where), or not applicable (with why)."""

    name: str
    status: str  # "holds", "violated", "not applicable", "inconclusive"
    lhs: object = None
    rhs: object = None
    detail: str = ""
    evidence: dict = field(default_factory=dict)


def proof_assumption(runs):
    """Where the proof of Theorem 4.1 breaks: Gamma_{t,i} = H_{t,i} - H_{t-1,i} >= 0, H = sqrt(v_hat)/alpha_t.

    Returns the fraction of (round, coordinate) pairs with Gamma < 0 and the first such round.
    """
    gneg = runs._stats["gamma_neg"][:, -1]
    first = runs._stats["first_gamma_neg"][:, -1]
    frac = gneg / (runs.T * runs.d)
    ev = {"gamma_neg": gneg, "fraction": frac, "first_round": first}
    if np.any(gneg > 0):
        f = int(np.min(first[gneg > 0]))
        return Check("proof_assumption", "violated", detail=f"Gamma_(t,i) < 0 first at t = {f}; "
                     f"{float(np.mean(frac)):.3%} of (t, i) pairs", evidence=ev)
    return Check("proof_assumption", "holds", detail="Gamma_(t,i) >= 0 for every t, i", evidence=ev)


def step_size(runs):
    r"""Kingma & Ba section 2.1 (eps = 0): |Delta_t| <= alpha (1-beta1)/sqrt(1-beta2) when
    (1-beta1) > sqrt(1-beta2), else |Delta_t| <= alpha; AdaMax: |Delta_t| <= alpha (section 7.1).
    Checked on the largest step of the run, max_t ||Delta_t||_inf (before projection)."""
    L = runs.learner
    notes = []
    if isinstance(L, Adam):
        b1, b2 = L.beta1, L.beta2
        bound = L.alpha * (1 - b1) / math.sqrt(1 - b2) if (1 - b1) > math.sqrt(1 - b2) else L.alpha
        if L.schedule != "constant" or L.lam != 1.0 or L.bias_correction != "paper" or L.eps_mode != "paper":
            notes.append("claimed for Algorithm 1; evaluated on this variant (alpha_t <= alpha)")
    elif isinstance(L, AdaMax):
        bound = L.alpha
    else:
        return Check("step_size", "not applicable", detail=f"the step-size claim is about Adam and AdaMax, not {L.name}")
    big = runs._stats["max_step"][:, -1]
    tol = bound * 1e-12
    status = "holds" if np.all(big <= bound + tol) else "violated"
    return Check("step_size", status, lhs=float(np.max(big)), rhs=bound,
                 detail=f"max |Delta| = {float(np.max(big)):.6g} vs {bound:.6g}" + (f" ({notes[0]})" if notes else ""))


def lemma_10_3(runs):
    r"""Kingma & Ba Lemma 10.3: sum_i sum_t sqrt(g_{t,i}^2/t) <= 2 G_inf sum_i ||g_{1:T,i}||_2.

    Not scale invariant: it can fail when G_inf is below about 1/2 (THEORY.md section 3).
    G_inf is the stream's declared bound (the observed max when none is declared)."""
    why = _underflow_reason(runs)
    if why:
        return Check("lemma_10_3", "not applicable", detail=why)
    Ginf = runs.stream.G_inf
    if Ginf is None:
        Ginf = runs._stats["max_g_inf"][:, -1:]
    lhs = runs._stats["lemma_10_3_lhs"]
    rhs = 2 * np.asarray(Ginf) * runs._stats["sum_g_norm"]
    bad = lhs > rhs * (1 + 1e-12)
    if bad.any():
        first = int(runs.t[np.min(np.where(bad.any(axis=0))[0])])
        return Check("lemma_10_3", "violated", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])),
                     f"first at t = {first} (G_inf = {float(np.max(Ginf)):.3g})")
    return Check("lemma_10_3", "holds", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])))


def lemma_10_4(runs):
    r"""Kingma & Ba Lemma 10.4, both forms (THEORY.md section 3)::

        sum_t m_hat_{t,i}^2/sqrt(t v_hat_{t,i})  <=  2/((1-gamma) sqrt(1-beta2)) ||g_{1:T,i}||_2         (stated)
                                                  <=  2 G_inf/((1-gamma)^2 sqrt(1-beta2)) ||g_{1:T,i}||_2 (end of proof)

    summed over i.  The left side is recorded as sum_t sum_i Delta_{t,i}^2 H_{t,i}/(sqrt(t) alpha_t),
    which equals it for eps = 0 (with eps > 0 it is smaller)."""
    L = runs.learner
    if not isinstance(L, Adam):
        return [Check(n, "not applicable", detail=f"Lemma 10.4 is about Adam, not {L.name}")
                for n in ("lemma_10_4_stated", "lemma_10_4_proof")]
    b1, b2 = L.beta1, L.beta2
    gamma = b1 * b1 / math.sqrt(b2) if b2 > 0 else (0.0 if b1 == 0 else math.inf)
    if not gamma < 1:
        return [Check(n, "not applicable", detail=f"gamma = {gamma:.3g} >= 1") for n in ("lemma_10_4_stated",
                                                                                          "lemma_10_4_proof")]
    why = _underflow_reason(runs)
    if why:
        return [Check(n, "not applicable", detail=why) for n in ("lemma_10_4_stated", "lemma_10_4_proof")]
    Ginf = runs.stream.G_inf if runs.stream.G_inf is not None else float(np.max(runs._stats["max_g_inf"]))
    lhs = runs._stats["lemma_10_4_lhs"]
    sg = runs._stats["sum_g_norm"]
    out = []
    for name, rhs in (("lemma_10_4_stated", 2 / ((1 - gamma) * math.sqrt(1 - b2)) * sg),
                      ("lemma_10_4_proof", 2 * Ginf / ((1 - gamma) ** 2 * math.sqrt(1 - b2)) * sg)):
        bad = lhs > rhs * (1 + 1e-9)
        detail = "" if L.eps == 0 else "eps > 0: the recorded left side is a lower estimate"
        if bad.any():
            first = int(runs.t[np.min(np.where(bad.any(axis=0))[0])])
            out.append(Check(name, "violated", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])),
                             f"first at t = {first}. {detail}".strip()))
        else:
            out.append(Check(name, "holds", float(np.max(lhs[:, -1])), float(np.max(rhs[:, -1])), detail))
    return out


# ----------------------------------------------------------------------------- growth statistics

@dataclass
class Growth:
    """Fitted growth of R(t) ~ c t^p over the last decades."""

    exponent: float
    ci_low: float
    ci_high: float
    t_from: int
    t_to: int
    n_seeds: int
    r_over_t: np.ndarray
    r_over_sqrt_t: np.ndarray
    note: str = ""


def _slope(logt, logR):
    x = logt - logt.mean()
    return float(np.sum(x * (logR - logR.mean())) / np.sum(x * x))


def growth_exponent(t, R, *, decades=2.0, confidence=0.95, n_resamples=2000, seed=0):
    r"""Exponent p of R(t) ~ c t^p, fitted by least squares on log-log axes over the
    checkpoints in the last ``decades`` decades, on the mean curve over seeds, with a
    bootstrap confidence interval over seeds (``scipy.stats.bootstrap``, percentile).

    Parameters
    ----------
    t : (m,) checkpoint rounds;  R : (m,) or (n_seeds, m) regret.
    """
    from scipy.stats import bootstrap

    t = np.asarray(t, dtype=float)
    R = np.atleast_2d(np.asarray(R, dtype=float))
    if R.shape[1] != t.shape[0]:
        raise ValueError(f"R has {R.shape[1]} checkpoints but t has {t.shape[0]}")
    lo = t[-1] / 10 ** decades
    sel = t >= lo
    if sel.sum() < 3:
        raise ValueError(f"need at least 3 checkpoints in the last {decades} decades, got {int(sel.sum())}")
    ts, Rs = t[sel], R[:, sel]
    logt = np.log(ts)
    mean = Rs.mean(axis=0)
    note = ""
    if np.any(mean <= 0):
        return Growth(math.nan, math.nan, math.nan, int(ts[0]), int(ts[-1]), R.shape[0], R[:, -1] / t[-1],
                      R[:, -1] / math.sqrt(t[-1]), "the mean regret is not positive over the fit window")
    p = _slope(logt, np.log(mean))
    if R.shape[0] >= 2:
        def stat(idx, axis=-1):
            idx = np.asarray(idx, dtype=int)
            m = Rs[idx].mean(axis=-2)
            with np.errstate(invalid="ignore", divide="ignore"):
                lm = np.log(np.where(m > 0, m, np.nan))
            x = logt - logt.mean()
            return np.sum(x * (lm - np.nanmean(lm, axis=-1, keepdims=True)), axis=-1) / np.sum(x * x)

        res = bootstrap((np.arange(R.shape[0]),), stat, confidence_level=confidence, n_resamples=n_resamples,
                        method="percentile", vectorized=True, rng=np.random.default_rng(seed))
        ci = (float(res.confidence_interval.low), float(res.confidence_interval.high))
    else:
        ci = (math.nan, math.nan)
        note = "one seed: no confidence interval"
    return Growth(p, ci[0], ci[1], int(ts[0]), int(ts[-1]), R.shape[0], R[:, -1] / t[-1],
                  R[:, -1] / math.sqrt(t[-1]), note)
