r"""The best fixed point in hindsight for the loss families without closed forms (THEORY.md section 8).

For a data stream and an increasing array ``t`` of checkpoint rounds (prefix
lengths), every function here returns, for each checkpoint ``t_c``,

    value_c = F_c(theta_c),   F_c(theta) = sum_{s <= t_c} f_s(theta),

at a feasible ``theta_c`` that (approximately) minimises ``F_c`` over the
domain, and a *certificate* ``cert_c >= 0`` meant as an upper bound on
``value_c - min_{domain} F_c`` (what each certificate is exactly, and which
floating-point caveats it carries, is stated per function).  So
``value_c - cert_c <= optimum <= value_c``: a regret computed against
``value_c`` carries the error bar ``cert_c``.

Pure NumPy/SciPy functions, no Numba, no state.  Inputs are the data of the
rounds: dense arrays, or ``scipy.sparse`` matrices (any format; converted to
CSR) for the feature matrix ``A``.  Values are always recomputed from the data
at the returned ``theta`` (never read off a solver), so ``value`` is an honest
objective value at a feasible point.

Functions
---------
``best_absolute``      sum_{s,i} |theta_i - z_{s,i}| on a Box: clamped coordinatewise median (exact).
``best_absolute_lp``   the same as a linear program (HiGHS): an independent check.
``best_hinge``         sum_s max(0, 1 - y_s <a_s, theta>) on a Box: a linear program (HiGHS).
``best_logistic``      sum_s log(1 + exp(-y_s <a_s, theta>)) on a Box (L-BFGS-B), a Ball (SLSQP)
                       or R^d (L-BFGS), polished by a few safeguarded Newton steps.
``frank_wolfe_gap``    max_{u in domain} <grad, x - u>, the certificate of the smooth problems.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.optimize import linprog, minimize
from scipy.special import expit

from .domains import Ball, Box, Domain, Unconstrained

__all__ = [
    "Comparator", "frank_wolfe_gap", "best_absolute", "best_absolute_lp", "best_hinge", "best_logistic",
]


class Comparator(NamedTuple):
    """Comparators at the checkpoints.

    value : (n,) objective sum_{s <= t_c} f_s(theta_c), recomputed from the data.
    theta : (n, d) the feasible minimisers.
    certificate : (n,) upper bound on value - optimum (see the function that produced it).
    kind : which method produced it, e.g. ``"hinge/lp-highs-dual"``.
    """

    value: np.ndarray
    theta: np.ndarray
    certificate: np.ndarray
    kind: str


# ----------------------------------------------------------------------------- validation

def _domain(domain, d, allowed, what):
    if not isinstance(domain, Domain):
        raise ValueError(f"{what}: domain must be a Box, Ball or Unconstrained, got {domain!r}")
    if not isinstance(domain, allowed):
        names = " or ".join(c.__name__ for c in allowed)
        raise ValueError(f"{what}: the domain {domain!r} is not supported (supported: {names})")
    if domain.d != d:
        raise ValueError(f"{what}: the data have d={d} coordinates but the domain {domain!r} has d={domain.d}")
    return domain


def _checkpoints(t, T, what):
    arr = np.atleast_1d(np.asarray(t))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what}: t must be a non-empty 1-d array of checkpoint rounds, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{what}: t must hold integer rounds, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{what}: t must be strictly increasing, got {arr.tolist()[:10]}...")
    if arr[0] < 1 or arr[-1] > T:
        raise ValueError(f"{what}: t must lie in [1, T={T}] (T = number of rounds in the data), "
                         f"got values from {arr[0]} to {arr[-1]}")
    return arr


def _matrix(name, A, what):
    """Dense float64 C array or CSR float64 matrix, finite, 2-d."""
    if sp.issparse(A):
        A = sp.csr_matrix(A, dtype=np.float64)
        A.sum_duplicates()
        if not np.all(np.isfinite(A.data)):
            raise ValueError(f"{what}: {name} contains a non-finite value")
        return A
    A = np.ascontiguousarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"{what}: {name} must be 2-dimensional (rounds x coordinates), got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        r = int(np.argwhere(~np.isfinite(A))[0][0])
        raise ValueError(f"{what}: {name} contains a non-finite value at row {r}")
    return A


def _labels(y, T, what):
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.shape != (T,):
        raise ValueError(f"{what}: y must have shape ({T},) (one label per row of A), got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{what}: y contains a non-finite value at index {int(np.argmax(~np.isfinite(y)))}")
    return y


def _box_bounds(domain, d):
    if isinstance(domain, Box):
        return np.array(domain.lo, dtype=float), np.array(domain.hi, dtype=float)
    return np.full(d, -np.inf), np.full(d, np.inf)


# ----------------------------------------------------------------------------- Frank-Wolfe gap

def frank_wolfe_gap(grad, x, domain):
    r"""The Frank-Wolfe (linear-minimisation) gap  max_{u in domain} <grad, x - u>.

    For a convex F with (sub)gradient ``grad`` at a feasible ``x``, convexity gives
    F(x) - F(x*) <= <grad, x - x*> <= this gap, so the gap is an upper bound on the
    suboptimality of ``x``; it is 0 exactly when ``x`` satisfies the first-order
    optimality condition with this ``grad``.  Arrays of shape (..., d) give (...).

    Box [lo, hi]:  sum_i max(g_i (x_i - lo_i), g_i (x_i - hi_i), 0)
                   (the 0 only matters for an x a rounding error outside the box;
                   infinite bounds give +inf for a gradient pointing that way).
    Ball(c, r):    <g, x - c> + r ||g||_2.
    Unconstrained: 0 where g = 0, else +inf (the gap is infinite on an unbounded set;
                   best_logistic then reports ||g||_2 instead, see there).
    """
    return domain.frank_wolfe_gap(np.asarray(grad, dtype=float), np.asarray(x, dtype=float))


# ----------------------------------------------------------------------------- LP helpers

_HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def _linprog(c, A_ub=None, b_ub=None, A_eq=None, b_eq=None, lb=None, ub=None, method="highs", what=""):
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=np.column_stack([lb, ub]),
                  method=method, options=dict(_HIGHS_OPTIONS))
    if res.status != 0:
        raise RuntimeError(f"{what}: HiGHS did not solve the LP (status {res.status}: {res.message})")
    return res


def _lp_dual_objective(res, b_ub, b_eq, lb, ub):
    """Dual objective b_ub.y_ub + b_eq.y_eq + lb.y_lo + ub.y_up from HiGHS's marginals (finite bounds only)."""
    D = 0.0
    if b_ub is not None:
        D += float(np.dot(b_ub, res.ineqlin.marginals))
    if b_eq is not None:
        D += float(np.dot(b_eq, res.eqlin.marginals))
    f = np.isfinite(lb)
    D += float(np.dot(lb[f], res.lower.marginals[f]))
    f = np.isfinite(ub)
    D += float(np.dot(ub[f], res.upper.marginals[f]))
    return D


def _prefix(A, n):
    return A[:n]


# ----------------------------------------------------------------------------- absolute loss

def _as_Z(Z, domain_d, what):
    if sp.issparse(Z):
        Z = Z.toarray()
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 1 and domain_d == 1:
        Z = Z[:, None]
    return _matrix("Z", Z, what)


def best_absolute(Z, domain, t):
    r"""min_{theta in Box} sum_{s <= t_c} sum_i |theta_i - z_{s,i}| for every checkpoint t_c.

    The problem separates over coordinates; each one is minimised by any median of
    z_{1..t_c, i}, and on [lo_i, hi_i] by the clamped median (the clip of a point of
    the argmin interval of a 1-d convex function).  Exact.

    Certificate: the Frank-Wolfe gap (``frank_wolfe_gap``) at theta with the best
    subgradient, g_i = clip(0, n_<(i) - n_>(i) - n_=(i), n_<(i) - n_>(i) + n_=(i)),
    counting the z_{s,i} below, above and equal to theta_i.  It is a valid bound
    on value - optimum and is exactly 0 at the clamped median (integer counts), so
    it verifies, rather than asserts, optimality.

    Domains: Box and Unconstrained (the median).  On a Ball the problem does not
    separate: ValueError.  Z: (T, d) dense (sparse input is densified); t: strictly
    increasing rounds in [1, T].

    Cost: O(t_c d) per checkpoint (np.median by partition, counts and value), so
    sum_c t_c d in total, with no dependence on the solver.
    """
    what = "best_absolute"
    if isinstance(domain, Ball):
        raise ValueError(f"{what}: the absolute loss on the Ball {domain!r} is not separable and not an LP; "
                         f"only Box and Unconstrained domains are supported")
    Z = _as_Z(Z, getattr(domain, "d", 0), what)
    T, d = Z.shape
    _domain(domain, d, (Box, Unconstrained), what)
    t = _checkpoints(t, T, what)
    lo, hi = _box_bounds(domain, d)
    n = t.size
    value, cert = np.empty(n), np.empty(n)
    theta = np.empty((n, d))
    for c, tc in enumerate(t):
        Zp = Z[:tc]
        th = np.clip(np.median(Zp, axis=0), lo, hi)
        less = np.sum(Zp < th, axis=0)
        more = np.sum(Zp > th, axis=0)
        eq = tc - less - more
        g = np.clip(0.0, (less - more - eq).astype(float), (less - more + eq).astype(float))
        theta[c] = th
        value[c] = float(np.sum(np.abs(Zp - th)))
        cert[c] = float(frank_wolfe_gap(g, th, domain))
    return Comparator(value, theta, cert, "absolute/median")


def best_absolute_lp(Z, domain, t, method="highs"):
    r"""The same problem as ``best_absolute`` solved as a linear program with HiGHS (an independent check).

    Variables (theta, u) with u_{s,i} >= |theta_i - z_{s,i}| written as the two rows
    theta_i - u_{s,i} <= z_{s,i} and -theta_i - u_{s,i} <= -z_{s,i}; minimise sum u.
    theta gets the Box bounds (or explicit (-inf, inf) for Unconstrained: linprog's
    default bound is x >= 0), u >= 0.  Each checkpoint is a fresh LP with
    t_c d + d variables and 2 t_c d rows: meant for small checks, not for long streams.

    Certificate: max(|P - D|, value - D) where P = res.fun, D is the dual objective
    computed from HiGHS's marginals (b_ub.y_ub + lo.y_lo + hi.y_up), and value is the
    objective recomputed at the returned (clipped) theta.  D is a lower bound on the
    optimum up to HiGHS's dual feasibility tolerance (set to 1e-10).

    Ball: ValueError (not an LP).
    """
    what = "best_absolute_lp"
    if isinstance(domain, Ball):
        raise ValueError(f"{what}: the absolute loss on the Ball {domain!r} is not a linear program "
                         f"(it is a second-order cone program); only Box and Unconstrained are supported")
    Z = _as_Z(Z, getattr(domain, "d", 0), what)
    T, d = Z.shape
    _domain(domain, d, (Box, Unconstrained), what)
    t = _checkpoints(t, T, what)
    lo, hi = _box_bounds(domain, d)
    n = t.size
    value, cert = np.empty(n), np.empty(n)
    theta = np.empty((n, d))
    for c, tc in enumerate(t):
        Zp = Z[:tc]
        m = tc * d
        E = sp.kron(np.ones((tc, 1)), sp.identity(d), format="csr")   # row (s, i) picks theta_i
        I = sp.identity(m, format="csr")
        A_ub = sp.vstack([sp.hstack([E, -I]), sp.hstack([-E, -I])], format="csr")
        b_ub = np.concatenate([Zp.ravel(), -Zp.ravel()])
        cvec = np.concatenate([np.zeros(d), np.ones(m)])
        lb = np.concatenate([lo, np.zeros(m)])
        ub = np.concatenate([hi, np.full(m, np.inf)])
        res = _linprog(cvec, A_ub=A_ub, b_ub=b_ub, lb=lb, ub=ub, method=method, what=what)
        th = np.clip(res.x[:d], lo, hi)
        val = float(np.sum(np.abs(Zp - th)))
        D = _lp_dual_objective(res, b_ub, None, lb, ub)
        theta[c] = th
        value[c] = val
        cert[c] = max(abs(res.fun - D), val - D, 0.0)
    return Comparator(value, theta, cert, f"absolute/lp-{method}")


# ----------------------------------------------------------------------------- hinge loss

def _hinge_values(Ap, yp, th):
    return float(np.sum(np.maximum(0.0, 1.0 - yp * (Ap @ th))))


def best_hinge(A, y, domain, t, formulation="dual", method="highs"):
    r"""min over a Box (or R^d) of sum_{s <= t_c} max(0, 1 - y_s <a_s, theta>) for every checkpoint, by LP (HiGHS).

    Two equivalent LPs (``formulation``):

    ``"primal"``  the textbook one: variables (theta, xi), min sum_s xi_s subject to
                  xi_s >= 1 - y_s <a_s, theta>, xi_s >= 0, theta in the box.  t_c + d
                  variables and t_c rows; HiGHS's simplex needs ~t_c iterations on t_c
                  rows, which is superlinear in t_c (timings below).
    ``"dual"``    (default) its LP dual, which has only d rows:
                  max_{nu in [0,1]^t} sum_s nu_s - sigma_box(sum_s nu_s y_s a_s),
                  sigma_box(w) = max_{theta in box} <w, theta> = min {hi.p - lo.q : p - q = w,
                  p, q >= 0}.  Variables (nu, p, q), d equality rows
                  sum_s nu_s y_s a_s - p + q = 0; theta is read off the equality
                  constraints' marginals (theta = -marginal, then clipped to the box).
                  Same optimum, ~40x faster.

    Certificate (both formulations): max(|P - D|, value - LB) where
      * P = res.fun and D = the dual objective of the LP that was solved, computed
        from HiGHS's marginals (b.y + lo.y_lo + hi.y_up over finite bounds): HiGHS's
        own duality gap;
      * value = the hinge objective recomputed from the data at the returned theta,
        and LB = sum_s nu_s - sigma_box(A^T (y * nu)) at the dual point nu in [0,1]^t
        (nu = the LP's nu, or minus the primal's row marginals, clipped to [0, 1]).
        Every nu in [0,1]^t gives a lower bound (max(0, 1 - m) >= nu (1 - m)), so
        value - LB bounds value - optimum using only the data, whatever the solver's
        tolerances -- up to floating-point rounding of the sums.
    On Unconstrained (the LP is bounded since hinge >= 0, so the optimum is attained)
    sigma(w) is 0 only if A^T (y nu) = 0 exactly, which HiGHS satisfies only to its
    feasibility tolerance (1e-10 here); there LB = sum_s nu_s ignores that residual,
    so the certificate is not rigorous in floating point.  A Ball makes the problem a
    second-order cone program, not an LP: ValueError.

    Cost and checkpoints: SciPy's ``linprog`` cannot warm-start HiGHS, so each
    checkpoint is a fresh LP over its prefix (d x t_c constraint matrix, plus O(t_c d)
    to build it and to recompute value and LB); the total is sum_c LP(t_c), nothing
    beyond that.  For n log-spaced checkpoints t_c ~ T rho^(c-n), rho = T^(1/n), so
    sum_c t_c <= T rho/(rho - 1) ~ T n / ln T: linear in T for a fixed checkpoint
    ratio rho (n ~ log T), T n / ln T for a fixed count n (measured 22 T for
    ``default_checkpoints(10**4, 200)``, 154 distinct rounds; 18 T for T = 10^5), and
    quadratic for a dense grid (n ~ T): use sparse checkpoints.  Measured with d = 20,
    random Gaussian rows and labels, T = 10^4, those 154 checkpoints: ~5-6 s for
    ``"dual"``, ~230-270 s for ``"primal"`` (same values to 4e-10).

    A: (T, d) dense or scipy.sparse; y: (T,) labels (normally +-1; any reals work,
    the margin is y_s <a_s, theta>).
    """
    what = "best_hinge"
    if formulation not in ("dual", "primal"):
        raise ValueError(f"{what}: formulation must be 'dual' or 'primal', got {formulation!r}")
    A = _matrix("A", A, what)
    T, d = A.shape
    if isinstance(domain, Ball):
        raise ValueError(f"{what}: the hinge loss on the Ball {domain!r} is a second-order cone program, "
                         f"not an LP; only Box and Unconstrained domains are supported")
    _domain(domain, d, (Box, Unconstrained), what)
    y = _labels(y, T, what)
    t = _checkpoints(t, T, what)
    lo, hi = _box_bounds(domain, d)
    n = t.size
    value, cert = np.empty(n), np.empty(n)
    theta = np.empty((n, d))
    sparse = sp.issparse(A)
    for c, tc in enumerate(t):
        Ap = _prefix(A, tc)
        yp = y[:tc]
        YA = (sp.diags(yp) @ Ap).tocsr() if sparse else yp[:, None] * Ap   # rows y_s a_s
        if formulation == "dual":
            fin_hi, fin_lo = np.isfinite(hi), np.isfinite(lo)
            A_eq = sp.hstack([sp.csc_matrix(YA.T), -sp.identity(d), sp.identity(d)], format="csc")
            cvec = np.concatenate([-np.ones(tc), np.where(fin_hi, hi, 0.0), np.where(fin_lo, -lo, 0.0)])
            lb = np.zeros(tc + 2 * d)
            ub = np.concatenate([np.ones(tc), np.where(fin_hi, np.inf, 0.0), np.where(fin_lo, np.inf, 0.0)])
            b_eq = np.zeros(d)
            res = _linprog(cvec, A_eq=A_eq, b_eq=b_eq, lb=lb, ub=ub, method=method, what=what)
            D = _lp_dual_objective(res, None, b_eq, lb, ub)
            th = np.clip(-res.eqlin.marginals, lo, hi)
            nu = np.clip(res.x[:tc], 0.0, 1.0)
        else:
            A_ub = sp.hstack([sp.csr_matrix(-YA), -sp.identity(tc)], format="csr")
            b_ub = -np.ones(tc)
            cvec = np.concatenate([np.zeros(d), np.ones(tc)])
            lb = np.concatenate([lo, np.zeros(tc)])
            ub = np.concatenate([hi, np.full(tc, np.inf)])
            res = _linprog(cvec, A_ub=A_ub, b_ub=b_ub, lb=lb, ub=ub, method=method, what=what)
            D = _lp_dual_objective(res, b_ub, None, lb, ub)
            th = np.clip(res.x[:d], lo, hi)
            nu = np.clip(-res.ineqlin.marginals, 0.0, 1.0)
        val = _hinge_values(Ap, yp, th)
        w = np.asarray(YA.T @ nu).ravel()
        if isinstance(domain, Box):
            LB = float(np.sum(nu)) - domain.support(w)
        else:
            LB = float(np.sum(nu))   # residual A^T(y nu) ~ 0 ignored (see docstring)
        theta[c] = th
        value[c] = val
        cert[c] = max(abs(res.fun - D), val - LB, 0.0)
    return Comparator(value, theta, cert, f"hinge/lp-{method}-{formulation}")


# ----------------------------------------------------------------------------- logistic loss

def _logistic(th, Ap, yp):
    """Sum of log(1 + exp(-m_s)) and its gradient -A^T (y * sigmoid(-m))."""
    m = yp * (Ap @ th)
    f = float(np.sum(np.logaddexp(0.0, -m)))
    s = expit(-m)
    g = -np.asarray(Ap.T @ (yp * s)).ravel()
    return f, g


def _logistic_hessian(th, Ap, yp):
    """A^T diag(y^2 sigmoid(m) sigmoid(-m)) A, dense (d x d)."""
    m = yp * (Ap @ th)
    w = yp * yp * expit(m) * expit(-m)
    if sp.issparse(Ap):
        return np.asarray((Ap.T @ (sp.diags(w) @ Ap)).toarray())
    return Ap.T @ (Ap * w[:, None])


def _psd_solve(H, g):
    """-H^+ g with eigenvalues below 1e-13 * max floored (H is a PSD Hessian, maybe singular)."""
    if H.shape[0] == 0:
        return np.zeros(0)
    ev, V = np.linalg.eigh(H)
    top = max(float(ev[-1]), 1e-300)
    ev = np.maximum(ev, 1e-13 * top)
    return -V @ ((V.T @ g) / ev)


def _certificate(g, x, domain):
    if isinstance(domain, Unconstrained):
        return float(np.linalg.norm(g))
    return float(frank_wolfe_gap(g, x, domain))


def _newton_direction(x, g, H, domain):
    d = x.size
    if isinstance(domain, Box):
        fixed = ((x <= domain.lo) & (g > 0)) | ((x >= domain.hi) & (g < 0))
        free = ~fixed
        p = np.zeros(d)
        p[free] = _psd_solve(H[np.ix_(free, free)], g[free])
        return p
    if isinstance(domain, Ball):
        z = x - domain.center
        nz = float(np.linalg.norm(z))
        lam = -float(g @ z) / max(nz * nz, 1e-300)
        if nz >= domain.radius * (1.0 - 1e-9) and lam > 0.0 and d > 1:
            # active sphere: Riemannian Newton in the tangent space of the sphere
            Q = scipy.linalg.null_space(z[None, :] / nz)
            Hq = Q.T @ (H + lam * np.eye(d)) @ Q
            return Q @ _psd_solve(Hq, Q.T @ g)
        return _psd_solve(H, g)
    return _psd_solve(H, g)


def _polish(x, f, g, Ap, yp, domain, steps, rtol):
    """Safeguarded (projected) Newton steps.  Returns the best point and the best lower bound seen.

    Every evaluated point x_k gives the lower bound f_k - gap_k on the optimum, so the
    certificate value - max_k (f_k - gap_k) stays valid whatever the steps do.
    """
    lb = f - frank_wolfe_gap(g, x, domain) if not isinstance(domain, Unconstrained) else -math.inf
    for _ in range(steps):
        gap = _certificate(g, x, domain)
        if isinstance(domain, Unconstrained):
            if gap <= rtol * abs(f):
                break
        elif f - lb <= rtol * abs(f):
            break
        H = _logistic_hessian(x, Ap, yp)
        p = _newton_direction(x, g, H, domain)
        if not np.all(np.isfinite(p)) or not np.any(p):
            break
        step, moved = 1.0, False
        for _ in range(30):
            xn = domain.project(x + step * p)
            fn, gn = _logistic(xn, Ap, yp)
            if not isinstance(domain, Unconstrained):
                lb = max(lb, fn - float(frank_wolfe_gap(gn, xn, domain)))
            if fn < f or (fn == f and _certificate(gn, xn, domain) < gap):
                x, f, g, moved = xn, fn, gn, True
                break
            step *= 0.5
        if not moved:
            break
    return x, f, g, lb


def best_logistic(A, y, domain, t, warm=True, polish=True, ftol=1e-15, gtol=1e-10, maxiter=15000, blas_threads=1):
    r"""min_{theta in domain} sum_{s <= t_c} log(1 + exp(-y_s <a_s, theta>)) for every checkpoint.

    Objective log(1 + e^{-m}) = ``np.logaddexp(0, -m)`` with m_s = y_s <a_s, theta>,
    gradient -A^T (y * expit(-m)).  The solver minimises the mean (objective / t_c), so
    ``gtol`` is a tolerance on the mean gradient, independent of the prefix length.

      Box            L-BFGS-B with the box bounds (ftol, gtol, maxiter as given).
      Ball           SLSQP with the constraint r^2 - ||theta - c||^2 >= 0 (and its gradient),
                     result projected onto the ball.
      Unconstrained  L-BFGS-B without bounds.

    ``warm``: start checkpoint c from theta_{c-1} (else, or when theta_{c-1} has a larger
    objective on the new prefix, from the projection of 0 onto the domain).
    ``polish``: then take up to 30 safeguarded Newton steps with the exact Hessian
    A^T diag(y^2 s(m) s(-m)) A (projected Newton on the box's free coordinates; the
    Riemannian Newton step on the sphere when the ball constraint is active, then
    retraction; a step is halved until the objective decreases; stop when the
    certificate is below 1e-14 relative to the value or no step decreases the
    objective).  Quadratic convergence makes this a handful of steps.  It takes the
    certificates from ~1e-7 (what L-BFGS-B reaches before ftol stops it at the
    rounding level of the objective) to ~1e-14 relative.  Skipped when d > 1000
    (dense d x d Hessian).

    Certificate:
      Box, Ball      value - max_k (f_k - FW_k) over the points x_k evaluated at this
                     checkpoint (solver result and Newton iterates), with FW_k the
                     Frank-Wolfe gap ``frank_wolfe_gap(grad F(x_k), x_k, domain)``.  By
                     convexity F(x_k) - F* <= FW_k, so each f_k - FW_k is a lower bound on
                     the optimum and the certificate bounds value - optimum (up to the
                     rounding of the sums); for the returned point alone it is <= its
                     own FW gap, sum_i max(g_i (x_i - lo_i), g_i (x_i - hi_i), 0) on a box
                     and <g, x - c> + r ||g|| on a ball.  (A Box with an infinite bound
                     gives +inf unless that gradient component is exactly 0.)
      Unconstrained  ||grad F(theta)||_2.  NOT a bound on value - optimum (the Frank-Wolfe
                     gap is infinite on R^d): it bounds it by ||g||^2 / (2 mu) only where F
                     is mu-strongly convex.  On separable prefixes (e.g. t_c < d) the
                     infimum 0 is not attained; the solver runs off towards infinity until
                     the tolerances stop it and the value reported is merely small -- nothing
                     is detected, the gradient norm is just reported honestly.

    Cost: no incremental sufficient statistic exists for the logistic loss, so every
    objective/gradient evaluation at checkpoint c reads its whole prefix: O(nnz(A[:t_c]))
    (t_c d dense).  With k_c evaluations (warm starts keep k_c at a few tens; the
    first, cold checkpoints take more) and each Newton step costing O(t_c d^2) + O(d^3),
    the total is O(sum_c (k_c + newton_c d) t_c d), i.e. ~ (n / ln T) T d (k + d) for n
    log-spaced checkpoints (see ``best_hinge`` for sum_c t_c).  Measured (T = 10^5, d = 20,
    Gaussian rows, random labels, Box(-1, 1), ``default_checkpoints(T, 200)`` = 167 rounds,
    sum_c t_c = 17.8 T): ~2 s with single-threaded BLAS (1.3 s without the polish).
    The prefix matrix-vector products are BLAS calls on tall-skinny matrices: on a
    machine whose cores are busy, a multi-threaded OpenBLAS can be 10x slower than
    one thread (measured 30 s vs 2 s, and 4.2 s vs 2.0 s on a quiet 2-core machine).
    Hence ``blas_threads`` (default 1): the BLAS thread count for the duration of the
    call, set with ``threadpoolctl`` when it is importable (a no-op otherwise; the
    limit is process-wide while the call runs, restored afterwards); None leaves it alone.
    """
    if blas_threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # optional: without it the BLAS keeps its own setting
            pass
        else:
            with threadpool_limits(limits=int(blas_threads), user_api="blas"):
                return best_logistic(A, y, domain, t, warm=warm, polish=polish, ftol=ftol, gtol=gtol,
                                     maxiter=maxiter, blas_threads=None)
    what = "best_logistic"
    A = _matrix("A", A, what)
    T, d = A.shape
    _domain(domain, d, (Box, Ball, Unconstrained), what)
    y = _labels(y, T, what)
    t = _checkpoints(t, T, what)
    lo, hi = _box_bounds(domain, d)
    n = t.size
    value, cert = np.empty(n), np.empty(n)
    theta = np.empty((n, d))
    x0 = domain.project(np.zeros(d))
    x = x0.copy()
    do_polish = bool(polish) and d <= 1000
    for c, tc in enumerate(t):
        Ap = _prefix(A, tc)
        yp = y[:tc]
        start = x0
        if warm and c > 0 and _logistic(x, Ap, yp)[0] < _logistic(x0, Ap, yp)[0]:
            start = x   # the previous minimiser, unless it is worse than the cold start (e.g. far out)

        def fun(th, Ap=Ap, yp=yp, tc=tc):
            f, g = _logistic(th, Ap, yp)
            return f / tc, g / tc

        if isinstance(domain, Ball):
            cen, r2 = domain.center, domain.radius ** 2
            cons = {"type": "ineq", "fun": lambda th: (r2 - float((th - cen) @ (th - cen))) / r2,
                    "jac": lambda th: -2.0 * (th - cen) / r2}
            res = minimize(fun, start, jac=True, method="SLSQP", constraints=[cons],
                           options={"ftol": ftol, "maxiter": maxiter})
            kind = "logistic/slsqp"
        else:
            bounds = list(zip(lo, hi)) if isinstance(domain, Box) else None
            res = minimize(fun, start, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"ftol": ftol, "gtol": gtol, "maxiter": maxiter, "maxfun": 2 * maxiter})
            kind = "logistic/l-bfgs-b" if isinstance(domain, Box) else "logistic/l-bfgs-unconstrained"
        xs = domain.project(res.x)
        if not np.all(np.isfinite(xs)):
            xs = start.copy()
        f, g = _logistic(xs, Ap, yp)
        if do_polish:
            xs, f, g, lb = _polish(xs, f, g, Ap, yp, domain, steps=30, rtol=1e-14)
        elif not isinstance(domain, Unconstrained):
            lb = f - float(frank_wolfe_gap(g, xs, domain))
        if isinstance(domain, Unconstrained):
            cert[c] = float(np.linalg.norm(g))
        else:
            cert[c] = max(f - lb, 0.0)
        theta[c] = xs
        value[c] = f
        x = xs
    return Comparator(value, theta, cert, kind + ("+newton" if do_polish else ""))
