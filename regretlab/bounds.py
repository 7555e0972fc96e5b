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

from .domains import Box, Unconstrained
from .learners import OGD, AdaGrad, AdaMax, Adam, AMSGrad


#: how a bound term grows with t, for extrapolating it past the horizon played (u phi(t) + w fitted on the tail)
FORMS = {
    "const": None,
    "sqrt": np.sqrt,
    "sqrt_log": lambda t: np.sqrt(t * (1.0 + np.log(t))),
    "linear": lambda t: t,
    "t^1.5": lambda t: t ** 1.5,
}


def _form(form):
    """The function phi of a growth form: a name of :data:`FORMS`, or ("geometric_sqrt", mu) for
    sum_{s<=t} e^(-mu (s-1)) sqrt(s) (AMSGrad's sum of beta1_s sqrt(v_hat)/alpha_s with beta1_s = beta1
    lam^(s-1), mu = -ln lam), up to a constant: Gamma(3/2) mu^(-3/2) P(3/2, mu t), which is (2/3) t^(3/2)
    for mu t << 1 and converges for mu t >> 1."""
    if isinstance(form, tuple) and form[0] == "geometric_sqrt":
        mu = float(form[1])
        if mu <= 0:
            return lambda t: t ** 1.5 / 1.5
        from scipy.special import gamma, gammainc

        c = gamma(1.5) * mu ** -1.5
        return lambda t: c * gammainc(1.5, mu * np.asarray(t, dtype=float))
    return FORMS[form]


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
        Why the bound is not applicable (empty when it is).  A run of another algorithm
        than the one analysed reads ``"not the analysed algorithm (...)"``.
    notes : list of str
        Caveats that do not void the bound (eps > 0, a free t0, lambda -> 0 taken, ...).
    kind : str
        ``"upper"`` (R <= bound claimed) or ``"reference"`` (an expected value R should match).
    algorithm : str
        The algorithm the theorem analyses.
    forms : dict of term name -> str
        How each term grows with t (a key of :data:`FORMS`): used by :meth:`extrapolation`.
    varying : set of term names
        Terms that can decrease from one round to the next (Theorem 4.1's
        sqrt(t) sum_i sqrt(v_hat_{t,i}): Adam's v_hat is a moving average).  Every other
        term is non-negative and non-decreasing in t, which lets a violation search skip
        rounds that provably cannot violate (:meth:`nondecreasing_part`).
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
    algorithm: str = ""
    forms: dict = field(default_factory=dict)
    varying: set = field(default_factory=set)

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

    def nondecreasing_part(self):
        """The sum of the terms that never decrease in t (all but :attr:`varying`): a lower bound on the
        bound at every later round.  Shape (n_seeds, len(t))."""
        parts = [np.atleast_2d(v) for k, v in self.terms.items() if k not in self.varying]
        return sum(parts) if parts else np.zeros_like(np.atleast_2d(self.value))

    def extrapolation(self, t_from=None):
        r"""The bound beyond the horizon played, term by term, as a function of t.

        Each term is fitted as u phi(t) + w over the checkpoints t >= ``t_from`` (default
        T/100), with phi its growth form (:attr:`forms`: sqrt(t) for
        sum_i ||g_{1:t,i}||_2 and sqrt(t) sum_i sqrt(v_hat_{t,i}), sqrt(t (1 + ln t)) for
        AMSGrad's log factor, t for OGD's constant step, ...); constant terms are kept
        exactly.  Returns ``f`` with ``f(t)`` of shape (n_seeds, len(t)).  An estimate: on
        the streams of THEORY.md the run statistics grow like sqrt(t), but a learner can
        change regime later.
        """
        if not self.applicable:
            raise ValueError(f"{self.name} is not applicable: nothing to extrapolate")
        tc = self.t.astype(float)
        lo = tc[-1] / 100.0 if t_from is None else float(t_from)
        sel = tc >= lo
        parts = []
        for name, vals in self.terms.items():
            v = np.atleast_2d(vals)
            phi = _form(self.forms.get(name, "sqrt"))
            if phi is None or sel.sum() < 2:
                parts.append((None, v[:, -1].copy(), None))
            else:
                X = np.stack([phi(tc[sel]), np.ones(int(sel.sum()))], axis=1)
                coef, *_ = np.linalg.lstsq(X, v[:, sel].T, rcond=None)
                parts.append((phi, coef[0], coef[1]))

        def f(t):
            t = np.atleast_1d(np.asarray(t, dtype=float))
            out = 0.0
            for phi, u, w in parts:
                out = out + (np.repeat(u[:, None], t.size, axis=1) if phi is None
                             else u[:, None] * phi(t)[None, :] + w[:, None])
            return out

        return f


def sum_inv_sqrt(n):
    r"""sum_{s=1}^{n} s^(-1/2), exactly to rounding, for integer n >= 0 (array or scalar).

    Direct compensated sums (``math.fsum``) up to n = 1024, beyond it the Euler-Maclaurin
    expansion 2 sqrt(n) + zeta(1/2) + n^(-1/2)/2 - n^(-3/2)/24 + n^(-7/2)/384 (the next term
    is below 1e-25 of the sum there).
    """
    n = np.asarray(n, dtype=float)
    out = np.empty(n.shape)
    small = n <= 1024
    if np.any(small):
        table = _INV_SQRT_TABLE
        out[small] = table[n[small].astype(np.int64)]
    big = ~small
    if np.any(big):
        m = n[big]
        r = np.sqrt(m)
        out[big] = 2.0 * r + _ZETA_HALF + 0.5 / r - 1.0 / (24.0 * m * r) + 1.0 / (384.0 * m ** 3 * r)
    return out if out.ndim else float(out)


_ZETA_HALF = -1.4603545088095868128894991525152980125  # zeta(1/2)
_INV_SQRT_TABLE = np.array([0.0] + [math.fsum(1.0 / math.sqrt(s) for s in range(1, k + 1)) for k in range(1, 1025)])


def trivial_bound(runs, spread="domain"):
    r"""The most regret any learner can have: G D t (THEORY.md section 9).

    For convex losses, R(t) <= sum_s <g_s, theta_s - theta*> <= t G D with G a bound on
    ||g_s||_2 and D the l2 diameter of the set.  G is the stream's declared bound, else
    the largest gradient norm the run observed up to t (then the bound holds for this run);
    D is the domain's diameter (or, with ``spread="observed"``, the spread of the iterates
    and the comparator).  Returns (values shaped like the regret, G used, D used), or
    (None, G, D) when either is unknown or infinite.
    """
    reasons = []
    D, _ = _diameters(runs, reasons, spread)
    Dv = np.asarray(D, dtype=float)
    if reasons or not np.all(np.isfinite(Dv)):
        return None, runs.stream.G, D
    G = runs.stream.G
    t = runs.t.astype(float)[None, :]
    if G is None:
        g = runs._stats["max_g_2"]
        val = g * Dv * t
    else:
        val = G * Dv * t
    val = np.broadcast_to(val, runs._loss.shape).copy()
    return runs._o(val), G, D


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


def _na(name, runs, reasons, constants=None, notes=None, kind="upper", algorithm=""):
    return Bound(name, runs.t.copy(), None, {}, constants or {}, False, list(reasons), list(notes or []), kind,
                 algorithm)


def _ok(name, runs, terms, constants, notes, kind="upper", algorithm="", forms=None, varying=()):
    shape = runs._loss.shape
    terms = {k: np.broadcast_to(np.asarray(v, dtype=float), shape).copy() for k, v in terms.items()}
    value = sum(terms.values())
    return Bound(name, runs.t.copy(), runs._o(value), {k: runs._o(v) for k, v in terms.items()},
                 constants, True, [], list(notes), kind, algorithm, dict(forms or {}), set(varying))


def _scalar(x):
    return float(x) if np.isscalar(x) or np.ndim(x) == 0 else "observed"


#: the reason every bound gives for a run of another algorithm than the one it analyses: "<this> (<why>)"
NOT_ANALYSED = "not the analysed algorithm"


def _not_analysed(reasons, why):
    """A run of another algorithm than the theorem's: never a number (THEORY.md section 9, Applicability)."""
    reasons.append(f"{NOT_ANALYSED} ({why})")


def _euclidean_off_box(L, runs):
    """True when ``L`` projects Euclidean-ly on a domain where the weighted (Mahalanobis) projection differs.
    On a box both are coordinatewise clipping, and with no constraint both are the identity."""
    dom = runs.stream.domain
    return not getattr(L, "weighted_projection", False) and not isinstance(dom, (Box, Unconstrained))


#: the algorithm each Kingma & Ba result analyses (THEORY.md section 3)
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
    from .streams import expected_sign_regret

    name = "random_sign_lower"
    s = runs.stream
    if s.name != "random_sign":
        return _na(name, runs, [f"the reference holds for the random_sign stream, not {s.name!r}"], kind="reference",
                   algorithm="every learner")
    p = s.params
    ref = expected_sign_regret(runs.t, d=p["d"], radius=p["radius"], G=p["G"])[None, :]
    return _ok(name, runs, {"r G d E|S_t|": ref}, dict(p), [], kind="reference", algorithm="every learner")


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
    """A claim checked on a run: holds, violated (with where), or not applicable (with why).

    ``mask`` (violations at each checkpoint, shape (n_seeds, len(t))) lets the verdict
    locate the first violating round by replaying densely; ``first_round`` is set when the
    run itself records the exact first round (the Gamma < 0 count does).
    """

    name: str
    status: str  # "holds", "violated", "not applicable", "inconclusive"
    lhs: object = None
    rhs: object = None
    detail: str = ""
    evidence: dict = field(default_factory=dict)
    mask: np.ndarray | None = None
    first_round: int | None = None


def proof_assumption(runs):
    """Where the proof of Theorem 4.1 breaks: Gamma_{t,i} = H_{t,i} - H_{t-1,i} >= 0, H = sqrt(v_hat)/alpha_t.

    Returns the fraction of (round, coordinate) pairs with Gamma < 0 and the first such round
    (recorded exactly by the kernel).
    """
    gneg = runs._stats["gamma_neg"][:, -1]
    first = runs._stats["first_gamma_neg"][:, -1]
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
    steps = runs._stats["max_step"]
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
        Ginf = runs._stats["max_g_inf"]
    lhs = runs._stats["lemma_10_3_lhs"]
    rhs = 2 * np.asarray(Ginf) * runs._stats["sum_g_norm"]
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
    Ginf = runs.stream.G_inf if runs.stream.G_inf is not None else runs._stats["max_g_inf"]
    lhs = runs._stats["lemma_10_4_lhs"]
    sg = runs._stats["sum_g_norm"]
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
CHECKS = {
    "proof_assumption": proof_assumption,
    "step_size": step_size,
    "lemma_10_3": lemma_10_3,
    "lemma_10_4": lemma_10_4,
}
