"""Regret bounds evaluated on a run's own statistics (THEORY.md sections 3, 5 and 7).

Each function takes a :class:`~regretlab.runs.Runs` (or a Run) and returns a
:class:`Bound`: the bound's value at every checkpoint of every seed, each term
separately, the constants used, and whether the theorem's assumptions hold for
this run.  A bound whose assumptions fail carries ``value = None`` and the
reasons: it is never reported as a number that looks like a guarantee.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .learners import OGD, Adam, AMSGrad


@dataclass
class Bound:
    """A bound evaluated on a run.

    Attributes
    ----------
    name : str
    t : ndarray
        Checkpoint rounds.
    value : ndarray (n_seeds, len(t)) or None
        None when the assumptions fail (see ``reasons``).
    terms : dict of name -> ndarray
        The additive terms of the bound, each broadcast to ``value``'s shape.
    constants : dict
        The constants used (D, D_inf, G, G_inf, gamma, lambda, ...).
    applicable : bool
    reasons : list of str
        Why the bound is not applicable (empty when it is).
    notes : list of str
        Caveats that do not void the bound (e.g. eps > 0, a free t0).
    """

    name: str
    t: np.ndarray
    value: np.ndarray | None
    terms: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    applicable: bool = True
    reasons: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def __repr__(self):
        if not self.applicable:
            return f"<Bound {self.name}: not applicable ({'; '.join(self.reasons)})>"
        last = np.mean(np.atleast_2d(self.value)[:, -1])
        return f"<Bound {self.name}: B(T={self.t[-1]}) = {last:.6g}>"


def _raw(runs):
    """Stats with the seed axis always present."""
    return runs._stats, runs._final


def _constants(runs, reasons, spread):
    """D, D_inf from the domain (or the observed iterate spread) and G, G_inf declared by the stream."""
    dom = runs.stream.domain
    stats, _ = _raw(runs)
    if spread == "domain":
        D, Dinf = dom.diameter_2, dom.diameter_inf
        if not math.isfinite(D):
            reasons.append(f"the domain {dom!r} is unbounded, so D and D_inf are infinite "
                           "(use spread='observed' to use the iterates' spread)")
    elif spread == "observed":
        D, Dinf = stats["spread_2"], stats["spread_inf"]
    else:
        raise ValueError(f"spread must be 'domain' or 'observed', got {spread!r}")
    G, Ginf = runs.stream.G, runs.stream.G_inf
    if Ginf is None:
        reasons.append(f"the stream {runs.stream.name!r} declares no gradient bound G_inf")
    if G is None:
        G = math.nan
    return D, Dinf, G, (math.nan if Ginf is None else Ginf)


def _na(name, runs, reasons, constants=None, notes=None):
    return Bound(name, runs.t.copy(), None, {}, constants or {}, False, reasons, notes or [])


def theorem_4_1(runs, *, spread="domain", lam=None):
    r"""Kingma & Ba, Theorem 4.1 as printed (v9; THEORY.md section 3)::

        R(T) <= D^2/(2 alpha (1-beta1)) sum_i sqrt(T v_hat_{T,i})
              + alpha (1+beta1) G_inf/((1-beta1) sqrt(1-beta2) (1-gamma)^2) sum_i ||g_{1:T,i}||_2
              + d D_inf^2 G_inf sqrt(1-beta2)/(2 alpha (1-beta1) (1-lambda)^2),   gamma = beta1^2/sqrt(beta2)

    When beta1 = 0, beta1_t = 0 for every lambda, so the theorem claims the
    bound for every lambda in (0, 1) and the tightest claim (used here) is the
    infimum, lambda -> 0.  The theorem is false as printed: its proof assumes
    Gamma_{t,i} >= 0 (see ``runs.stats['gamma_neg']``).
    """
    name = "theorem_4_1"
    L = runs.learner
    reasons, notes = [], []
    if not isinstance(L, Adam):
        return _na(name, runs, [f"Theorem 4.1 is about Adam, not {L.name}"])
    if L.schedule != "theorem":
        reasons.append("schedule='constant': the theorem needs alpha_t = alpha/sqrt(t) and beta1_t = beta1 lam^(t-1)")
    if L.bias_correction != "paper":
        reasons.append(f"bias_correction={L.bias_correction!r}: the theorem analyses the paper's 1 - beta1^t")
    if L.eps_mode != "paper":
        reasons.append("eps_mode='hat' is not the analysed algorithm")
    b1, b2, a = L.beta1, L.beta2, L.alpha
    gamma = b1 * b1 / math.sqrt(b2) if b2 > 0 else math.inf
    if not gamma < 1:
        reasons.append(f"gamma = beta1^2/sqrt(beta2) = {gamma:.6g} is not < 1")
    lam_used = L.lam if lam is None else lam
    if b1 == 0.0:
        lam_used = 0.0
        notes.append("beta1 = 0: beta1_t = 0 for every lambda, so the bound is the infimum over lambda (lambda -> 0)")
    elif not 0.0 < lam_used < 1.0:
        reasons.append(f"lambda = {lam_used!r} is not in (0, 1)")
    if L.eps > 0:
        notes.append(f"eps = {L.eps:g} > 0 while the analysis takes eps = 0")
    D, Dinf, G, Ginf = _constants(runs, reasons, spread)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "lambda": lam_used, "d": runs.d,
              "D": D if np.isscalar(D) else "observed", "D_inf": Dinf if np.isscalar(Dinf) else "observed",
              "G_inf": Ginf}
    if reasons:
        return _na(name, runs, reasons, consts, notes)
    stats, _ = _raw(runs)
    t = runs.t.astype(float)[None, :]
    term1 = D ** 2 / (2 * a * (1 - b1)) * np.sqrt(t) * stats["sum_sqrt_vhat"]
    term2 = a * (1 + b1) * Ginf / ((1 - b1) * math.sqrt(1 - b2) * (1 - gamma) ** 2) * stats["sum_g_norm"]
    term3 = runs.d * Dinf ** 2 * Ginf * math.sqrt(1 - b2) / (2 * a * (1 - b1) * (1 - lam_used) ** 2)
    term3 = np.broadcast_to(term3, term1.shape) * np.ones_like(term1)
    if b1 > 0 and (1 - lam_used) < 1e-4:
        notes.append(f"lambda = {lam_used!r}: the third term is {term3.flat[0]:.3g}, vacuous at any feasible horizon")
    value = term1 + term2 + term3
    return Bound(name, runs.t.copy(), runs._o(value),
                 {"D^2 sqrt(T v_hat)": runs._o(term1), "sum ||g_1:T,i||": runs._o(term2), "(1-lambda)^-2": runs._o(term3)},
                 consts, True, [], notes)


def ogd(runs, *, spread="domain"):
    r"""Zinkevich's bound for projected OGD with eta_t = alpha/sqrt(t) (THEORY.md section 7)::

        R(T) <= D^2 sqrt(T)/(2 alpha) + alpha G^2 (sqrt(T) - 1/2)
    """
    name = "ogd"
    L = runs.learner
    if not isinstance(L, OGD):
        return _na(name, runs, [f"this bound is about OGD, not {L.name}"])
    reasons = []
    if L.schedule != "theorem":
        reasons.append("schedule='constant': the bound here is for eta_t = alpha/sqrt(t)")
    D, Dinf, G, Ginf = _constants(runs, reasons, spread)
    if not math.isfinite(G):
        reasons.append(f"the stream {runs.stream.name!r} declares no l2 gradient bound G")
    consts = {"alpha": L.alpha, "D": D if np.isscalar(D) else "observed", "G": G}
    if reasons:
        return _na(name, runs, reasons, consts)
    st = np.sqrt(runs.t.astype(float))[None, :]
    D = np.asarray(D)
    term1 = D ** 2 * st / (2 * L.alpha) * np.ones((runs.n_seeds, 1))
    term2 = L.alpha * G ** 2 * (st - 0.5) * np.ones((runs.n_seeds, 1))
    return Bound(name, runs.t.copy(), runs._o(term1 + term2),
                 {"D^2 sqrt(T)/(2 alpha)": runs._o(term1), "alpha G^2 (sqrt(T)-1/2)": runs._o(term2)}, consts)


def amsgrad_theorem_4(runs, *, spread="domain"):
    r"""Reddi et al. Theorem 4 (AMSGrad), the revised form (THEORY.md section 5)::

        R_T <= D_inf^2 sqrt(T)/(alpha (1-beta1)) sum_i sqrt(v_hat_{T,i})
             + D_inf^2/(1-beta1)^2 sum_t sum_i beta1_t sqrt(v_hat_{t,i})/alpha_t
             + alpha sqrt(1 + ln T)/((1-beta1)^2 (1-gamma) sqrt(1-beta2)) sum_i ||g_{1:T,i}||_2,
        gamma = beta1/sqrt(beta2)
    """
    name = "amsgrad_theorem_4"
    L = runs.learner
    if not isinstance(L, AMSGrad):
        return _na(name, runs, [f"Theorem 4 is about AMSGrad, not {L.name}"])
    reasons, notes = [], []
    if L.schedule != "theorem":
        reasons.append("schedule='constant': Theorem 4 needs alpha_t = alpha/sqrt(t)")
    if L.variant != "paper":
        reasons.append("variant='corrected' (bias-corrected max) is not the analysed algorithm")
    b1, b2, a = L.beta1, L.beta2, L.alpha
    gamma = b1 / math.sqrt(b2) if b2 > 0 else math.inf
    if not gamma < 1:
        reasons.append(f"gamma = beta1/sqrt(beta2) = {gamma:.6g} is not < 1")
    if L.eps > 0:
        notes.append(f"eps = {L.eps:g} > 0: sqrt(v_hat) + eps is used in place of sqrt(v_hat)")
    D, Dinf, G, Ginf = _constants(runs, reasons, spread)
    consts = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gamma, "D_inf": Dinf if np.isscalar(Dinf) else "observed"}
    if reasons:
        return _na(name, runs, reasons, consts, notes)
    stats, _ = _raw(runs)
    t = runs.t.astype(float)[None, :]
    term1 = Dinf ** 2 * np.sqrt(t) / (a * (1 - b1)) * stats["sum_sqrt_vhat"]
    term2 = Dinf ** 2 / (1 - b1) ** 2 * stats["sum_beta1_h"]
    term3 = a * np.sqrt(1 + np.log(t)) / ((1 - b1) ** 2 * (1 - gamma) * math.sqrt(1 - b2)) * stats["sum_g_norm"]
    return Bound(name, runs.t.copy(), runs._o(term1 + term2 + term3),
                 {"sqrt(T v_hat)": runs._o(term1), "sum beta1_t sqrt(v_hat)/alpha_t": runs._o(term2),
                  "sum ||g_1:T,i||": runs._o(term3)}, consts, True, [], notes)


ALL = {"theorem_4_1": theorem_4_1, "ogd": ogd, "amsgrad_theorem_4": amsgrad_theorem_4}
