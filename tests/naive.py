"""Naive, independent reference implementations for regretlab tests.

Written straight from tests/SEMANTICS.md and /work/shared/THEORY.md.
Plain NumPy/SciPy, slow and obvious on purpose.  Nothing here imports
regretlab; the documented defaults come from tests/catalogue.py, the
tests' one table of learners.  All arithmetic is float64; update formulas
are written in the order they appear in SEMANTICS.md (e.g. sqrt(v/c2), not sqrt(v)/sqrt(c2)).

Zero-denominator rule: wherever a coordinate's denominator is exactly 0,
that coordinate's step Delta_i is 0.
"""

import itertools
import math

import numpy as np
from scipy import optimize

from catalogue import DEFAULTS  # the defaults exactly as listed in SEMANTICS.md (and the task brief)


def _resolve_hp(name, hp):
    if name not in DEFAULTS:
        raise ValueError("unknown learner %r" % (name,))
    out = dict(DEFAULTS[name])
    for k, v in (hp or {}).items():
        if k not in out:
            raise ValueError("unknown hyperparameter %r for %s" % (k, name))
        out[k] = v
    return out


def _alpha_t(alpha, schedule, t):
    if schedule == "theorem":
        return alpha / math.sqrt(t)
    if schedule == "constant":
        return alpha
    raise ValueError("unknown schedule %r" % (schedule,))


def _safe_div(num, den):
    """num / den elementwise, with 0 wherever den == 0 exactly."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    num, den = np.broadcast_arrays(num, den)
    out = np.zeros(num.shape, dtype=np.float64)
    for i in range(num.size):
        if den.flat[i] != 0.0:
            out.flat[i] = num.flat[i] / den.flat[i]
    return out


# ---------------------------------------------------------------------------
# projections
# ---------------------------------------------------------------------------

def project(domain, y):
    """Euclidean projection of y onto the domain."""
    y = np.array(y, dtype=np.float64)
    kind = domain["kind"]
    if kind == "unconstrained":
        return y
    if kind == "box":
        lo = np.asarray(domain["lo"], dtype=np.float64)
        hi = np.asarray(domain["hi"], dtype=np.float64)
        return np.minimum(np.maximum(y, lo), hi)
    if kind == "ball":
        c = np.asarray(domain["center"], dtype=np.float64)
        r = float(domain["radius"])
        nrm = math.sqrt(float(np.sum((y - c) ** 2)))
        if nrm <= r:
            return y
        return c + r * (y - c) / nrm
    raise ValueError("unknown domain kind %r" % (kind,))


def project_weighted(domain, y, a):
    """argmin_{x in domain} sum_i a_i (x_i - y_i)^2, all a_i > 0.

    Box: clipping.  Ball: x_i = c_i + a_i (y_i - c_i)/(a_i + mu) with mu >= 0
    found by bisection until the bracket cannot shrink in double precision.
    """
    y = np.array(y, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    if np.any(a <= 0):
        raise ValueError("project_weighted needs all a_i > 0")
    kind = domain["kind"]
    if kind in ("unconstrained", "box"):
        return project(domain, y)
    if kind != "ball":
        raise ValueError("unknown domain kind %r" % (kind,))
    c = np.asarray(domain["center"], dtype=np.float64)
    r = float(domain["radius"])
    w = y - c
    if math.sqrt(float(np.sum(w ** 2))) <= r:
        return y

    def phi(mu):
        return float(np.sum((a * w / (a + mu)) ** 2))

    r2 = r * r
    lo = 0.0
    # phi(mu) <= sum(a_i^2 w_i^2) / mu^2, so this hi has phi(hi) <= r^2
    hi = math.sqrt(float(np.sum((a * w) ** 2))) / r
    while phi(hi) > r2:  # guard against rounding
        hi *= 2.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if phi(mid) > r2:
            lo = mid
        else:
            hi = mid
    mu = hi  # feasible side of the bracket
    return c + a * w / (a + mu)


def _ball_minimize(fun, jac, c, r, x0):
    """min fun(x) s.t. ||x - c||^2 <= r^2 with SLSQP.

    SLSQP with the inequality constraint stops early (it trades ~1e-13 of
    infeasibility for objective decrease, leaving ~1e-7 tangential error on
    ill-conditioned weights).  If the answer is on the sphere, SLSQP is run
    again from there with the constraint as an equality, which brings the
    error down to ~1e-8 or better.
    """
    ineq = [dict(type="ineq",
                 fun=lambda x: r * r - float(np.sum((x - c) ** 2)),
                 jac=lambda x: -2.0 * (x - c))]
    res = optimize.minimize(fun, x0, jac=jac, method="SLSQP",
                            constraints=ineq,
                            options=dict(ftol=1e-16, maxiter=10000))
    x = res.x
    if math.sqrt(float(np.sum((x - c) ** 2))) < r * (1 - 1e-6):
        return x  # interior solution
    eq = [dict(type="eq",
               fun=lambda x: r * r - float(np.sum((x - c) ** 2)),
               jac=lambda x: -2.0 * (x - c))]
    res2 = optimize.minimize(fun, x, jac=jac, method="SLSQP",
                             constraints=eq,
                             options=dict(ftol=1e-16, maxiter=2000))
    return res2.x


def project_weighted_numerical(domain, y, a):
    """Same problem as project_weighted, solved by scipy.optimize.minimize."""
    y = np.array(y, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    kind = domain["kind"]
    if kind == "unconstrained":
        return y

    def fun(x):
        return float(np.sum(a * (x - y) ** 2))

    def jac(x):
        return 2.0 * a * (x - y)

    if kind == "box":
        lo = np.asarray(domain["lo"], dtype=np.float64)
        hi = np.asarray(domain["hi"], dtype=np.float64)
        # L-BFGS-B stalls ~1e-7 away because f(x) ~ f(x*) cannot be resolved
        # in double precision; restart it twice on the shifted objective
        # f(x) - f(x_ref) = sum a (x - x_ref)(x + x_ref - 2y), which is
        # computed accurately near x_ref.
        x = 0.5 * (lo + hi)
        for _ in range(3):
            xr = x.copy()
            res = optimize.minimize(
                lambda z: float(np.sum(a * (z - xr) * (z + xr - 2.0 * y))),
                x, jac=jac, method="L-BFGS-B", bounds=list(zip(lo, hi)),
                options=dict(ftol=0.0, gtol=1e-14, maxiter=10000))
            x = np.minimum(np.maximum(res.x, lo), hi)
        return x
    if kind == "ball":
        c = np.asarray(domain["center"], dtype=np.float64)
        r = float(domain["radius"])
        return _ball_minimize(fun, jac, c, r, c.copy())
    raise ValueError("unknown domain kind %r" % (kind,))


# ---------------------------------------------------------------------------
# learners: one function each.  Each returns Delta_t and the projection
# weights to use this round (None = Euclidean).
# ---------------------------------------------------------------------------

def _make_adam(hp, d):
    lam = hp["lam"]
    if lam is None:
        lam = (1.0 - 1e-8) if hp["schedule"] == "theorem" else 1.0
    st = dict(m=np.zeros(d), v=np.zeros(d))

    def step(t, g):
        alpha_t = _alpha_t(hp["alpha"], hp["schedule"], t)
        beta1, beta2, eps = hp["beta1"], hp["beta2"], hp["eps"]
        beta1_t = beta1 * lam ** (t - 1)
        st["m"] = beta1_t * st["m"] + (1 - beta1_t) * g
        st["v"] = beta2 * st["v"] + (1 - beta2) * g * g
        m, v = st["m"], st["v"]
        bc = hp["bias_correction"]
        if bc == "paper":
            c1 = 1 - beta1 ** t
            c2 = 1 - beta2 ** t
        elif bc == "none":
            c1 = 1.0
            c2 = 1.0
        elif bc == "current":
            c1 = 1 - beta1_t ** t
            c2 = 1 - beta2 ** t
        else:
            raise ValueError("unknown bias_correction %r" % (bc,))
        if c1 == 0 or c2 == 0:  # zero-denominator rule for scalar denominators
            return np.zeros(d), None
        if hp["eps_mode"] == "paper":
            num = alpha_t * (m / c1)
            den = np.sqrt(v / c2) + eps
            return _safe_div(num, den), None
        if hp["eps_mode"] == "hat":
            num = (alpha_t * math.sqrt(c2) / c1) * m
            den = np.sqrt(v) + eps
            return _safe_div(num, den), None
        raise ValueError("unknown eps_mode %r" % (hp["eps_mode"],))

    return step


def _make_amsgrad(hp, d):
    st = dict(m=np.zeros(d), v=np.zeros(d), vmax=np.zeros(d))

    def step(t, g):
        alpha_t = _alpha_t(hp["alpha"], hp["schedule"], t)
        beta1, beta2, eps, lam = hp["beta1"], hp["beta2"], hp["eps"], hp["lam"]
        beta1_t = beta1 * lam ** (t - 1)
        st["m"] = beta1_t * st["m"] + (1 - beta1_t) * g
        st["v"] = beta2 * st["v"] + (1 - beta2) * g * g
        st["vmax"] = np.maximum(st["vmax"], st["v"])
        m, vmax = st["m"], st["vmax"]
        if hp["variant"] == "paper":
            a = np.sqrt(vmax) + eps
            delta = _safe_div(alpha_t * m, a)
        elif hp["variant"] == "corrected":
            a = np.sqrt(vmax / (1 - beta2 ** t)) + eps
            delta = _safe_div(alpha_t * (m / (1 - beta1 ** t)), a)
        else:
            raise ValueError("unknown variant %r" % (hp["variant"],))
        weights = a if hp["projection"] == "weighted" else None
        return delta, weights

    return step


def _make_adamax(hp, d):
    st = dict(m=np.zeros(d), u=np.zeros(d))

    def step(t, g):
        alpha, beta1, beta2, eps = hp["alpha"], hp["beta1"], hp["beta2"], hp["eps"]
        st["m"] = beta1 * st["m"] + (1 - beta1) * g
        st["u"] = np.maximum(beta2 * st["u"], np.abs(g) + eps)
        return _safe_div((alpha / (1 - beta1 ** t)) * st["m"], st["u"]), None

    return step


def _make_adagrad(hp, d):
    st = dict(n=np.zeros(d))

    def step(t, g):
        alpha_t = _alpha_t(hp["alpha"], hp["schedule"], t)
        st["n"] = st["n"] + g * g
        return _safe_div(alpha_t * g, hp["delta"] + np.sqrt(st["n"])), None

    return step


def _make_rmsprop(hp, d):
    st = dict(v=np.zeros(d))

    def step(t, g):
        alpha_t = _alpha_t(hp["alpha"], hp["schedule"], t)
        beta2 = hp["beta2"]
        st["v"] = beta2 * st["v"] + (1 - beta2) * g * g
        return _safe_div(alpha_t * g, np.sqrt(st["v"]) + hp["eps"]), None

    return step


def _make_ogd(hp, d):
    def step(t, g):
        alpha_t = _alpha_t(hp["alpha"], hp["schedule"], t)
        return alpha_t * g, None

    return step


def _make_adamnc(hp, d):
    st = dict(m=np.zeros(d), v=np.zeros(d))

    def step(t, g):
        alpha_t = _alpha_t(hp["alpha"], hp["schedule"], t)
        beta1, lam, eps = hp["beta1"], hp["lam"], hp["eps"]
        beta1_t = beta1 * lam ** (t - 1)
        st["m"] = beta1_t * st["m"] + (1 - beta1_t) * g
        st["v"] = (1 - 1 / t) * st["v"] + (1 / t) * g * g
        a = np.sqrt(st["v"]) + eps
        delta = _safe_div(alpha_t * st["m"], a)
        weights = a if hp["projection"] == "weighted" else None
        return delta, weights

    return step


def _make_nesterov(hp, d):
    st = dict(b=np.zeros(d))

    def step(t, g):
        alpha_t = _alpha_t(hp["alpha"], hp["schedule"], t)
        mom = hp["momentum"]
        st["b"] = mom * st["b"] + g
        return alpha_t * (g + mom * st["b"]), None

    return step


_MAKERS = {
    "Adam": _make_adam,
    "AMSGrad": _make_amsgrad,
    "AdaMax": _make_adamax,
    "AdaGrad": _make_adagrad,
    "RMSProp": _make_rmsprop,
    "OGD": _make_ogd,
    "AdamNC": _make_adamnc,
    "NesterovSGD": _make_nesterov,
}


def naive_run(name, hp, grad_fn, T, x0, domain):
    """Play the online game for T rounds.

    Returns dict: x (T+1, d) = theta_1..theta_{T+1}; loss (T,) = f_t(theta_t);
    g (T, d); step (T, d) = Delta_t before projection.
    """
    hp = _resolve_hp(name, hp)
    if hp.get("projection", "euclidean") not in ("weighted", "euclidean"):
        raise ValueError("unknown projection %r" % (hp["projection"],))
    x = np.array(x0, dtype=np.float64).reshape(-1)
    d = x.size
    learner = _MAKERS[name](hp, d)
    xs = np.zeros((T + 1, d))
    losses = np.zeros(T)
    gs = np.zeros((T, d))
    steps = np.zeros((T, d))
    xs[0] = x
    for t in range(1, T + 1):
        loss, g = grad_fn(t, x.copy())
        g = np.array(g, dtype=np.float64).reshape(-1)
        losses[t - 1] = float(loss)
        gs[t - 1] = g
        delta, weights = learner(t, g)
        steps[t - 1] = delta
        y = x - delta
        if weights is None or np.any(weights == 0):
            x = project(domain, y)
        else:
            x = project_weighted(domain, y, weights)
        xs[t] = x
    return {"x": xs, "loss": losses, "g": gs, "step": steps}


# ---------------------------------------------------------------------------
# transcriptions of torch.optim update order (fixed gradient sequence)
# ---------------------------------------------------------------------------

def torch_adam_rule(grads, alpha, beta1, beta2, eps, x0):
    grads = np.asarray(grads, dtype=np.float64)
    T, d = grads.shape
    p = np.array(x0, dtype=np.float64).reshape(-1)
    exp_avg = np.zeros(d)
    exp_avg_sq = np.zeros(d)
    out = np.zeros((T + 1, d))
    out[0] = p
    for step in range(1, T + 1):
        g = grads[step - 1]
        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = alpha / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)
        denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        p = p - step_size * exp_avg / denom
        out[step] = p
    return out


def torch_adamax_rule(grads, alpha, beta1, beta2, eps, x0):
    grads = np.asarray(grads, dtype=np.float64)
    T, d = grads.shape
    p = np.array(x0, dtype=np.float64).reshape(-1)
    exp_avg = np.zeros(d)
    exp_inf = np.zeros(d)
    out = np.zeros((T + 1, d))
    out[0] = p
    for step in range(1, T + 1):
        g = grads[step - 1]
        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        exp_inf = np.maximum(beta2 * exp_inf, np.abs(g) + eps)
        clr = alpha / (1 - beta1 ** step)
        p = p - clr * exp_avg / exp_inf
        out[step] = p
    return out


# ---------------------------------------------------------------------------
# comparators by brute force / generic solver
# ---------------------------------------------------------------------------

def naive_best_linear(S, domain):
    """min over theta in domain of <S, theta> (value only)."""
    S = np.asarray(S, dtype=np.float64).reshape(-1)
    d = S.size
    kind = domain["kind"]
    if kind == "unconstrained":
        return 0.0 if np.all(S == 0) else -np.inf
    if kind == "box":
        lo = np.asarray(domain["lo"], dtype=np.float64)
        hi = np.asarray(domain["hi"], dtype=np.float64)
        if d <= 10:
            best = np.inf
            for choice in itertools.product((0, 1), repeat=d):
                vertex = np.array([hi[i] if choice[i] else lo[i] for i in range(d)])
                val = float(np.dot(S, vertex))
                if val < best:
                    best = val
            return best
        res = optimize.linprog(S, bounds=list(zip(lo, hi)), method="highs")
        return float(np.dot(S, res.x))
    if kind == "ball":
        c = np.asarray(domain["center"], dtype=np.float64)
        r = float(domain["radius"])
        if np.all(S == 0):
            return float(np.dot(S, c))
        # start on a generic interior point (not the centre, where the
        # constraint gradient vanishes)
        rng = np.random.default_rng(0)
        u = rng.standard_normal(d)
        x0 = c + 0.5 * r * u / np.linalg.norm(u)
        x = _ball_minimize(lambda x: float(np.dot(S, x)), lambda x: S, c, r, x0)
        return float(np.dot(S, x))
    raise ValueError("unknown domain kind %r" % (kind,))


def naive_best_quadratic(Z, domain):
    """min over theta in domain of sum_t 0.5 ||theta - z_t||^2 (value only)."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 1:
        Z = Z.reshape(1, -1)
    n, d = Z.shape

    def fun(x):  # the full sum over all t and i
        return 0.5 * float(np.sum((x[None, :] - Z) ** 2))

    def jac(x):
        return np.sum(x[None, :] - Z, axis=0)

    kind = domain["kind"]
    if kind == "unconstrained":
        res = optimize.minimize(fun, np.zeros(d), jac=jac, method="BFGS",
                                options=dict(gtol=1e-12, maxiter=10000))
        return fun(res.x)
    if kind == "box":
        lo = np.asarray(domain["lo"], dtype=np.float64)
        hi = np.asarray(domain["hi"], dtype=np.float64)
        res = optimize.minimize(fun, 0.5 * (lo + hi), jac=jac, method="L-BFGS-B",
                                bounds=list(zip(lo, hi)),
                                options=dict(ftol=1e-16, gtol=1e-13, maxiter=10000))
        return fun(np.minimum(np.maximum(res.x, lo), hi))
    if kind == "ball":
        c = np.asarray(domain["center"], dtype=np.float64)
        r = float(domain["radius"])
        return fun(_ball_minimize(fun, jac, c, r, c.copy()))
    raise ValueError("unknown domain kind %r" % (kind,))


# ---------------------------------------------------------------------------
# Reddi et al. Theorem 1 setting, written out by itself
# ---------------------------------------------------------------------------

def reddi_adam_reference(C, alpha, beta2, T):
    """f_t(x) = C x if t % 3 == 1 else -x on [-1, 1]; x_1 = 1; beta1 = 0;
    alpha_t = alpha/sqrt(t); Adam with Kingma-Ba bias correction, eps = 0;
    clipping to [-1, 1].

    Returns (x, R): x has length T+1 (x_1..x_{T+1}); R[t-1] = R(t) =
    sum_{s<=t} f_s(x_s) - min_{x in [-1,1]} S_t x, S_t = sum of slopes.
    """
    x = np.zeros(T + 1)
    R = np.zeros(T)
    x[0] = 1.0
    m = 0.0
    v = 0.0
    cum_loss = 0.0
    S = 0.0
    for t in range(1, T + 1):
        g = C if t % 3 == 1 else -1.0
        cum_loss += g * x[t - 1]
        S += g
        R[t - 1] = cum_loss - min(S * -1.0, S * 1.0)
        alpha_t = alpha / math.sqrt(t)
        m = 0.0 * m + (1 - 0.0) * g
        v = beta2 * v + (1 - beta2) * g * g
        mhat = m / (1 - 0.0 ** t)
        vhat = v / (1 - beta2 ** t)
        delta = alpha_t * mhat / math.sqrt(vhat) if vhat != 0 else 0.0
        y = x[t - 1] - delta
        x[t] = min(max(y, -1.0), 1.0)
    return x, R
