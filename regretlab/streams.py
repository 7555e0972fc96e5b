"""Loss streams: each carries its feasible set, its default start, the gradient
bounds it declares a priori, its loss family (which fixes the comparator) and a
compiled round function registered with the engine.

Randomness at round t is a pure function of (seed, t) (``regretlab._rng``).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _rng
from . import _validate as V
from .domains import Ball, Box, Domain, Unconstrained
from ._domdata import _dist2_to_domain, _dom, _max_linear_dense
from ._registry import register_stream


class Stream:
    """A stream of convex losses f_1, f_2, ... played inside the compiled loop.

    Attributes
    ----------
    name : str
    domain : Domain
        The feasible set: the learner is projected onto it and the comparator
        minimises over it.
    x0 : ndarray
        Default start theta_1.
    G, G_inf : float or None
        Declared bounds on ||grad f_t(theta)||_2 and ||.||_inf over the whole
        domain, or None where no a-priori bound exists.
    family : str
        Loss family: ``"linear"``, ``"quadratic"``, ``"absolute"``, ``"hinge"`` or
        ``"logistic"`` (fixes the comparator).
    horizon : int or None
        The largest T this stream can play (None: unbounded).
    params : dict
        The stream's parameters, for tables and reports.
    stochastic : bool or None
        Whether the losses depend on the seed (True), are the same for every seed
        (False), or the stream does not say (None, e.g. a user-registered stream).
        The growth verdict uses it to choose the noise model of a single curve
        (``regretlab.stats.growth``).
    """

    def __init__(self, name, spec, domain, x0, G, G_inf, family, n_suff, params, horizon=None, meta=None,
                 stochastic=None):
        self.name = name
        self._kernel_spec = spec
        self.domain = domain
        self.d = domain.d
        self.x0 = domain.check_point("x0", x0)
        # a declared bound must be a finite number; anything else means "unknown"
        self.G = None if G is None or not math.isfinite(G) else float(G)
        self.G_inf = None if G_inf is None or not math.isfinite(G_inf) else float(G_inf)
        self.family = family
        self.n_suff = int(n_suff)
        self.params = dict(params)
        self.horizon = horizon
        self.meta = dict(meta or {})
        self.stochastic = None if stochastic is None else bool(stochastic)
        #: index of the state slot accumulating sum_s min_theta f_s(theta) (dynamic regret), or None
        self.dyn_index = None

    def _spec(self):
        return self._kernel_spec

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if not isinstance(v, np.ndarray))
        return f"{self.name}({args})"


def _domain_or(domain, default):
    if domain is None:
        return default
    if not isinstance(domain, Domain):
        raise ValueError(f"domain must be a Box, Ball or Unconstrained, got {domain!r}")
    return domain


def _linear_bounds(domain, coef_inf, d):
    """(G, G_inf) for linear losses whose gradients have |g_i| <= coef_inf."""
    return coef_inf * math.sqrt(d), coef_inf


# ------------------------------------------------------------------ periodic linear

class _PeriodicSpec(NamedTuple):
    big: float
    small: float
    period: int
    phase: int  # 1 % period, precomputed so the kernel does one integer division per round
    dyn: float  # min over the domain of <(1, .., 1), theta> ... for g = big: big * dyn_big
    dyn_small: float  # ... and for g = -small


def _periodic_round(spec, seed, t, X, k, G, SUFF):
    big = t % spec.period == spec.phase
    g = spec.big if big else -spec.small
    d = X.shape[1]
    loss = 0.0
    for i in range(d):
        G[k, i] = g
        SUFF[k, i] += g
        loss += g * X[k, i]
    SUFF[k, d] += spec.dyn if big else spec.dyn_small
    return loss


register_stream(_PeriodicSpec, _periodic_round)


def periodic_linear(big, small, period, *, domain=None, x0=None):
    r"""Periodic linear losses (Reddi et al. Theorems 1-2 and section 5)::

        f_t(theta) = big * sum_i theta_i   if t mod period == 1
                   = -small * sum_i theta_i otherwise

    on 𝒳 = [-1, 1] (d = 1) by default, started at theta_1 = 1.  Section 5's
    online experiment is ``periodic_linear(1010, 10, 101)``.
    """
    w = "periodic_linear: "
    big = V.real("big", big, where=w)
    small = V.real("small", small, where=w)
    period = V.integer("period", period, lo=1, where=w)
    domain = _domain_or(domain, Box(-1.0, 1.0, d=1))
    if x0 is None:
        x0 = domain.project(np.ones(domain.d))
    G, G_inf = _linear_bounds(domain, max(abs(big), abs(small)), domain.d)
    ones = np.ones(domain.d)
    dd = _dom(domain)
    dyn_big = -_max_linear_dense(dd, ones, -big)
    dyn_small = -_max_linear_dense(dd, ones, small)
    s = Stream(
        "periodic_linear", _PeriodicSpec(big, small, period, 1 % period, dyn_big, dyn_small), domain, x0, G, G_inf,
        "linear", domain.d + 1, {"big": big, "small": small, "period": period}, stochastic=False,
    )
    s.dyn_index = domain.d
    return s


def reddi(C=3.0, *, domain=None, x0=None):
    r"""Reddi, Kale & Kumar (ICLR 2018) Theorem 1: f_t(x) = C x if t mod 3 = 1, else -x,
    on 𝒳 = [-1, 1], x_1 = 1, C > 2.

    With beta1 = 0, beta2 = 1/(1 + C^2) and alpha_t = alpha/sqrt(t), Adam's iterates
    satisfy x_{3k+1} = 1 and R(T)/T -> (2C - 4)/3 while x = -1 is optimal.
    """
    C = V.real("C", C, 2.0, math.inf, lo_open=True, hi_open=True, where="reddi: ")
    s = periodic_linear(C, 1.0, 3, domain=domain, x0=x0)
    s.name = "reddi"
    s.params = {"C": C}
    return s


# ------------------------------------------------------------------ random signs

class _SignSpec(NamedTuple):
    scale: float
    radius: float


def _sign_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    loss = 0.0
    for i in range(d):
        g = spec.scale * _rng.sign(seed, t, i)
        G[k, i] = g
        SUFF[k, i] += g
        loss += g * X[k, i]
    SUFF[k, d] -= spec.radius * spec.scale * d  # min over the box of <g, theta> = -r G d
    return loss


register_stream(_SignSpec, _sign_round)


def random_sign(d=1, radius=1.0, G=1.0, *, x0=None):
    r"""Minimax linear stream: g_{t,i} = G s_{t,i} with i.i.d. uniform signs s, independent
    of the learner, on the box [-radius, radius]^d (THEORY.md section 7).

    Every learner's expected cumulative loss is 0 and
    E R(T) = radius * G * d * E|sum_{t<=T} s_t| (see :func:`expected_sign_regret`).
    """
    w = "random_sign: "
    d = V.integer("d", d, lo=1, where=w)
    radius = V.real("radius", radius, 0.0, math.inf, lo_open=True, hi_open=True, where=w)
    G = V.real("G", G, 0.0, math.inf, lo_open=True, hi_open=True, where=w)
    domain = Box(-radius, radius, d=d)
    if x0 is None:
        x0 = np.zeros(d)
    s = Stream("random_sign", _SignSpec(G, radius), domain, x0, G * math.sqrt(d), G, "linear", d + 1,
               {"d": d, "radius": radius, "G": G}, stochastic=True)
    s.dyn_index = d
    return s


def expected_sign_regret(T, d=1, radius=1.0, G=1.0):
    r"""E R(T) = radius * G * d * E|S_T| for a simple random walk S_T (exact, THEORY.md section 7).

    E|S_T| = sum_k |T - 2k| C(T, k) 2^-T, evaluated with log-binomials.
    """
    from scipy.special import gammaln

    T = np.atleast_1d(np.asarray(T, dtype=np.int64))
    out = np.empty(T.shape, dtype=float)
    for j, n in enumerate(T):
        k = np.arange(n + 1)
        logp = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) - n * math.log(2.0)
        out[j] = float(np.sum(np.abs(n - 2 * k) * np.exp(logp)))
    return radius * G * d * out


# ------------------------------------------------------------------ replayed sequence

class _ArraySpec(NamedTuple):
    grads: np.ndarray  # (T, d)
    dyn: np.ndarray  # (T,) min over the domain of <g_t, theta>, precomputed


def _array_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    loss = 0.0
    for i in range(d):
        g = spec.grads[t - 1, i]
        G[k, i] = g
        SUFF[k, i] += g
        loss += g * X[k, i]
    SUFF[k, d] += spec.dyn[t - 1]
    return loss


register_stream(_ArraySpec, _array_round)


def linear(grads, *, domain=None, x0=None):
    r"""Linear losses f_t(theta) = <g_t, theta> from a user-given (T, d) gradient sequence, replayed.

    Unconstrained by default: then the best fixed point is at infinity unless
    sum_t g_t = 0, and the comparator is -inf (regret +inf).  Give a ``Box`` or
    ``Ball`` for a meaningful regret.
    """
    grads = V.finite_array("grads", grads, where="linear: ")
    if grads.ndim == 1:
        grads = grads[:, None]
    if grads.ndim != 2 or grads.shape[0] < 1:
        raise ValueError(f"linear: grads must have shape (T, d) with T >= 1, got {grads.shape}")
    d = grads.shape[1]
    domain = _domain_or(domain, Unconstrained(d))
    if domain.d != d:
        raise ValueError(f"linear: domain has dimension {domain.d} but grads have d = {d}")
    if x0 is None:
        x0 = domain.project(np.zeros(d))
    G_inf = float(np.max(np.abs(grads)))
    scale = G_inf if G_inf > 0 else 1.0
    G = float(scale * np.max(np.linalg.norm(grads / scale, axis=1)))  # scaled: no overflow for |g| ~ 1e160
    from .hindsight import best_linear

    dyn = np.ascontiguousarray(best_linear(grads, domain)[0], dtype=np.float64)
    s = Stream("linear", _ArraySpec(grads, dyn), domain, x0, G, G_inf, "linear", d + 1,
               {"T_max": grads.shape[0], "d": d}, horizon=grads.shape[0], stochastic=False)
    s.dyn_index = d
    return s


# ------------------------------------------------------------------ quadratic with noisy targets

class _QuadSpec(NamedTuple):
    target: np.ndarray
    sigma: float
    dom: object


def _quad_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    loss = 0.0
    sq = 0.0
    for i in range(d):
        e = spec.sigma * _rng.normal(seed, t, i) if spec.sigma > 0.0 else 0.0
        G[k, i] = spec.target[i] + e  # z_t, kept here for the per-round minimum below
        SUFF[k, i] += e
        sq += e * e
    SUFF[k, d] += sq
    SUFF[k, d + 1] += 0.5 * _dist2_to_domain(spec.dom, G[k])
    for i in range(d):
        g = X[k, i] - G[k, i]
        G[k, i] = g
        loss += 0.5 * g * g
    return loss


register_stream(_QuadSpec, _quad_round)


def quadratic(target=0.0, sigma=1.0, *, d=None, domain=None, x0=None):
    r"""Quadratic losses f_t(theta) = 1/2 ||theta - z_t||^2 with noisy targets
    z_t = target + sigma * N(0, I), N drawn from (seed, t).

    The comparator is closed-form (THEORY.md section 8): Pi_𝒳(z_bar) with value
    (t/2)||Pi(z_bar) - z_bar||^2 + const, computed from the shifted sufficient
    statistics sum(z - target) and sum ||z - target||^2 (no cancellation).
    G is declared only for sigma = 0 on a bounded domain (Gaussian noise is unbounded).
    """
    w = "quadratic: "
    target = np.atleast_1d(V.finite_array("target", target, where=w))
    if target.ndim != 1:
        raise ValueError(f"quadratic: target must be a scalar or a vector, got shape {target.shape}")
    if d is not None:
        d = V.integer("d", d, lo=1, where=w)
        if target.shape[0] == 1:
            target = np.full(d, target[0])
        elif target.shape[0] != d:
            raise ValueError(f"quadratic: target has length {target.shape[0]} but d = {d}")
    sigma = V.real("sigma", sigma, 0.0, math.inf, hi_open=True, where=w)
    d = target.shape[0]
    domain = _domain_or(domain, Box(-1.0, 1.0, d=d) if d else None)
    if domain.d != d:
        raise ValueError(f"quadratic: domain has dimension {domain.d} but target has d = {d}")
    if x0 is None:
        x0 = domain.project(np.zeros(d))
    G = G_inf = None
    if sigma == 0.0 and domain.bounded:
        if isinstance(domain, Box):
            far = np.maximum(np.abs(domain.lo - target), np.abs(domain.hi - target))
            G, G_inf = float(np.linalg.norm(far)), float(np.max(far))
        elif isinstance(domain, Ball):
            G = float(np.linalg.norm(domain.center - target) + domain.radius)
            G_inf = float(np.max(np.abs(domain.center - target)) + domain.radius)
    s = Stream("quadratic", _QuadSpec(target, sigma, _dom(domain)), domain, x0, G, G_inf, "quadratic", d + 2,
               {"target": target, "sigma": sigma, "d": d}, meta={"shift": target, "suff_offset": 0},
               stochastic=sigma > 0)
    s.dyn_index = d + 1
    return s


from ._streams_more import (  # noqa: E402  (they subclass nothing here, but build on Stream)
    absolute,
    digits,
    drifting_logistic,
    drifting_quadratic,
    hinge,
    logistic,
    momentum_adversary,
    periodic_quadratic,
    quadratic_data,
    reddi_stochastic,
    sparse_linear,
    sparse_logistic,
    stochastic_linear,
    switching_quadratic,
    synthetic_logistic,
)
