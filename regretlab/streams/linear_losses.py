"""Linear losses f_t(theta) = <g_t, theta>: Reddi et al.'s periodic counterexample, random signs, a
replayed sequence, sparse gradients, stochastic and adaptive adversaries (THEORY.md sections 6 and 8).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import _rng
from .. import _validate as V
from .._jit import inline
from .._registry import register_stream
from ..domains import Ball, Box, Unconstrained, best_linear, _Dom, _max_linear_dense
from .base import Stream, _domain_or, _linear_bounds, mod_nonneg, sort_touched
from .synthetic import _zipf_cdf, _zipf_index


# ------------------------------------------------------------------ periodic linear

class _PeriodicSpec(NamedTuple):
    big: float
    small: float
    period: int
    phase: int  # 1 % period, precomputed so the kernel does one integer division per round
    dyn: float  # min over the domain of <(1, .., 1), theta> ... for g = big: big * dyn_big
    dyn_small: float  # ... and for g = -small


def _periodic_round(spec, seed, t, X, k, G, SUFF):
    big = mod_nonneg(t, spec.period) == spec.phase
    g = spec.big if big else -spec.small
    d = X.shape[1]
    loss = 0.0
    for i in range(d):
        G[k, i] = g
        SUFF[k, i] += g
        loss += g * X[k, i]
    SUFF[k, d] += spec.dyn if big else spec.dyn_small
    return loss


def _periodic_batch(spec, seeds, t, X, G, SUFF, LOSS):
    big = mod_nonneg(t, spec.period) == spec.phase
    g = spec.big if big else -spec.small
    d = X.shape[0]
    for k in range(X.shape[1]):
        LOSS[k] = 0.0
    for i in range(d):
        for k in range(X.shape[1]):
            G[i, k] = g
            SUFF[i, k] += g
            LOSS[k] += g * X[i, k]
    dyn = spec.dyn if big else spec.dyn_small
    for k in range(X.shape[1]):
        SUFF[d, k] += dyn


register_stream(_PeriodicSpec, _periodic_round, batch=_periodic_batch)


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
    dd = domain._support_data()
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
    dyn = np.ascontiguousarray(best_linear(grads, domain)[0], dtype=np.float64)
    s = Stream("linear", _ArraySpec(grads, dyn), domain, x0, G, G_inf, "linear", d + 1,
               {"T_max": grads.shape[0], "d": d}, horizon=grads.shape[0], stochastic=False)
    s.dyn_index = d
    return s



# ------------------------------------------------------------------ sparse linear

class _SparseLinSpec(NamedTuple):
    nnz: int
    cdf: np.ndarray
    G: float
    dom: _Dom


def _sparse_linear_round(spec, seed, t, X, k, G, SUFF):
    for i in range(X.shape[1]):
        G[k, i] = 0.0
    return _sparse_linear_draw(spec, seed, t, X, k, G, SUFF, np.empty((1, spec.nnz), dtype=np.int64), 0)


def _sparse_linear_touch(spec, seed, t, X, k, G, SUFF, IDX):
    """The round in O(nnz) (G[k] is zero on entry), with the dense round's arithmetic; then the
    draws in IDX[k] are sorted and their repeats dropped: IDX[k, :m]."""
    loss = _sparse_linear_draw(spec, seed, t, X, k, G, SUFF, IDX, k)
    return loss, sort_touched(IDX, k, spec.nnz)


@inline
def _sparse_linear_draw(spec, seed, t, X, k, G, SUFF, J, r):
    """Round t's nnz draws (their coordinates kept in J[r, :nnz], in draw order): adds the gradient
    to G[k] and SUFF[k], the round's minimum over the box to SUFF[k, d]; returns the loss."""
    d = X.shape[1]
    loss = 0.0
    for j in range(spec.nnz):
        i = _zipf_index(spec.cdf, _rng.uniform(seed, t, 2 * j))
        J[r, j] = i
        g = spec.G * _rng.sign(seed, t, 2 * j + 1)
        G[k, i] += g
        SUFF[k, i] += g
        loss += g * X[k, i]
    # per-round minimum over the domain (dynamic regret), on the touched coordinates
    mn = 0.0
    if spec.dom.kind == 0:
        for j in range(spec.nnz):
            i = J[r, j]
            seen = False
            for q in range(j):
                if J[r, q] == i:
                    seen = True
                    break
            if not seen:
                g = G[k, i]
                mn += min(g * spec.dom.lo[i], g * spec.dom.hi[i])
    else:
        mn = -_max_linear_dense(spec.dom, G[k], -1.0)
    SUFF[k, d] += mn
    return loss


register_stream(_SparseLinSpec, _sparse_linear_round, touch=_sparse_linear_touch)


def sparse_linear(d=10**4, nnz=20, *, zipf=1.1, G=1.0, radius=1.0, x0=None):
    r"""Sparse linear losses on [-radius, radius]^d: each round, ``nnz`` coordinates drawn with
    Zipf(zipf) frequencies get gradient +-G (random signs).  The data-dependent terms
    sum_i ||g_{1:T,i}||_2 then fall far below d G_inf sqrt(T) (THEORY.md section 3)."""
    where = "sparse_linear: "
    d = V.integer("d", d, lo=1, where=where)
    nnz = V.integer("nnz", nnz, lo=1, hi=d, where=where)
    zipf = V.real("zipf", zipf, 0.0, math.inf, hi_open=True, where=where)
    G = V.real("G", G, 0.0, math.inf, lo_open=True, hi_open=True, where=where)
    radius = V.real("radius", radius, 0.0, math.inf, lo_open=True, hi_open=True, where=where)
    domain = Box(-radius, radius, d=d)
    x0 = np.zeros(d) if x0 is None else x0
    s = Stream("sparse_linear", _SparseLinSpec(nnz, _zipf_cdf(d, zipf), G, domain._support_data()), domain, x0,
               G * nnz, G * nnz, "linear", d + 1, {"d": d, "nnz": nnz, "zipf": zipf, "G": G, "radius": radius},
               stochastic=True)
    s.dyn_index = d
    s.max_touched = nnz
    return s



# ------------------------------------------------------------------ stochastic and adaptive linear adversaries

class _StochLinSpec(NamedTuple):
    big: float
    small: float
    p: float
    dom: _Dom


def _stoch_linear_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    g = spec.big if _rng.uniform(seed, t, 0) < spec.p else -spec.small
    loss = 0.0
    for i in range(d):
        G[k, i] = g
        SUFF[k, i] += g
        loss += g * X[k, i]
    SUFF[k, d] += -_max_linear_dense(spec.dom, G[k], -1.0)
    return loss


register_stream(_StochLinSpec, _stoch_linear_round)


def stochastic_linear(big, small, p, *, domain=None, x0=None):
    r"""I.i.d. linear losses: f_t(theta) = big * sum_i theta_i with probability p, else
    -small * sum_i theta_i, on [-1, 1] by default, theta_1 = 1.  Section 5 of Reddi et al.:
    ``stochastic_linear(1010, 10, 0.01)``."""
    where = "stochastic_linear: "
    big = V.real("big", big, where=where)
    small = V.real("small", small, where=where)
    p = V.real("p", p, 0.0, 1.0, where=where)
    domain = _domain_or(domain, Box(-1.0, 1.0, d=1))
    x0 = domain.project(np.ones(domain.d)) if x0 is None else x0
    ginf = max(abs(big), abs(small))
    s = Stream("stochastic_linear", _StochLinSpec(big, small, p, domain._support_data()), domain, x0,
               ginf * math.sqrt(domain.d), ginf, "linear", domain.d + 1, {"big": big, "small": small, "p": p},
               stochastic=0.0 < p < 1.0)
    s.dyn_index = domain.d
    return s


def reddi_stochastic(C=3.0, delta=0.5, *, domain=None, x0=None):
    r"""Reddi et al. Theorem 3: i.i.d. f_t(x) = C x with probability p = (1 + delta)/(C + 1),
    else -x, on [-1, 1]; E f(x) = delta x is minimised at -1, and Adam does not converge to it."""
    where = "reddi_stochastic: "
    C = V.real("C", C, 1.0, math.inf, lo_open=True, hi_open=True, where=where)
    delta = V.real("delta", delta, 0.0, C, lo_open=True, hi_open=True, where=where)
    s = stochastic_linear(C, 1.0, (1 + delta) / (C + 1), domain=domain, x0=x0)
    s.name = "reddi_stochastic"
    s.params = {"C": C, "delta": delta, "p": (1 + delta) / (C + 1)}
    return s


class _AdaptiveSpec(NamedTuple):
    G: float
    dom: _Dom


def _adaptive_round(spec, seed, t, X, k, G, SUFF):
    # State: SUFF[k, d+1 .. 2d] holds theta_{t-1}.  The adversary pushes against the learner's
    # last move: g_i = +G if theta_i went up, -G if it went down, a random sign if it did not move.
    d = X.shape[1]
    loss = 0.0
    for i in range(d):
        x = X[k, i]
        move = x - SUFF[k, d + 1 + i] if t > 1 else 0.0
        if move > 0:
            g = spec.G
        elif move < 0:
            g = -spec.G
        else:
            g = spec.G * _rng.sign(seed, t, i)
        G[k, i] = g
        SUFF[k, i] += g
        SUFF[k, d + 1 + i] = x
        loss += g * x
    SUFF[k, d] += -_max_linear_dense(spec.dom, G[k], -1.0)
    return loss


register_stream(_AdaptiveSpec, _adaptive_round)


def momentum_adversary(d=1, radius=1.0, G=1.0, *, x0=None):
    r"""An adaptive adversary: f_t(theta) = <g_t, theta> with g_{t,i} = G sign(theta_{t,i} - theta_{t-1,i})
    (a random sign when the coordinate did not move), chosen after seeing theta_t: it penalises
    the direction the learner is moving in, against its momentum.  Deterministic for a seed."""
    where = "momentum_adversary: "
    d = V.integer("d", d, lo=1, where=where)
    radius = V.real("radius", radius, 0.0, math.inf, lo_open=True, hi_open=True, where=where)
    G = V.real("G", G, 0.0, math.inf, lo_open=True, hi_open=True, where=where)
    domain = Box(-radius, radius, d=d)
    x0 = np.zeros(d) if x0 is None else x0
    s = Stream("momentum_adversary", _AdaptiveSpec(G, domain._support_data()), domain, x0, G * math.sqrt(d), G, "linear",
               2 * d + 1, {"d": d, "radius": radius, "G": G}, stochastic=True)
    s.dyn_index = d
    return s
