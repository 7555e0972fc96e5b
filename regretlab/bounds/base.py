"""What a bound and a claim check are, and the helpers every bound uses (THEORY.md sections 3, 5, 7).

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

from ..domains import Box, Unconstrained
from ..learners import OGD, Adam, AMSGrad


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
        g = _stats(runs, "max_g_2")
        val = g * Dv * t
    else:
        val = G * Dv * t
    val = np.broadcast_to(val, runs._loss.shape).copy()
    return runs._o(val), G, D


# ----------------------------------------------------------------------------- helpers

def _stats(runs, name):
    return runs._field(name, "this bound")


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
        lo = np.minimum(runs._field("theta_min", "spread='observed'", final=True), runs._best_theta)
        hi = np.maximum(runs._field("theta_max", "spread='observed'", final=True), runs._best_theta)
        w = hi - lo
        return np.linalg.norm(w, axis=1)[:, None], np.max(w, axis=1)[:, None]
    raise ValueError(f"spread must be 'domain' or 'observed', got {spread!r}")


def _underflow_reason(runs):
    """The squared-gradient sums are float64 sums of g^2: for |g| below ~1e-154 they underflow to 0.
    Detected by max ||g||_2 < max ||g||_inf, which is impossible for exact values."""
    if np.any(_stats(runs, "max_g_2")[:, -1] < _stats(runs, "max_g_inf")[:, -1] * (1 - 1e-12)):
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
