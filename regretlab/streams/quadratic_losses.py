"""Quadratic losses f_t(theta) = 1/2 ||theta - z_t||^2: noisy fixed targets and non-stationary
(drifting, switching, periodic) targets.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import _rng
from .. import _validate as V
from .._registry import register_stream
from ..domains import Box, _Dom, _dist2_to_domain
from .base import Stream, _domain_or


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
        G, G_inf = domain.farthest(target)
    s = Stream("quadratic", _QuadSpec(target, sigma, domain._support_data()), domain, x0, G, G_inf, "quadratic", d + 2,
               {"target": target, "sigma": sigma, "d": d}, meta={"shift": target, "suff_offset": 0},
               stochastic=sigma > 0)
    s.dyn_index = d + 1
    return s



# ------------------------------------------------------------------ non-stationary quadratic targets

class _NonstatSpec(NamedTuple):
    kind: int  # 0 random walk, 1 switching, 2 periodic
    targets: np.ndarray  # (K, d): switching targets / periodic amplitude (row 0) / walk start (row 0)
    period: int
    step: float
    sigma: float
    dom: _Dom


def _nonstat_round(spec, seed, t, X, k, G, SUFF):
    # State layout: [dyn, sum z (d), sum ||z||^2, walk position (d, kind 0 only)]
    d = X.shape[1]
    z = G[k]  # z_t is built in place, then G[k] becomes the gradient theta - z
    if spec.kind == 0:
        for i in range(d):
            w = (SUFF[k, d + 2 + i] if t > 1 else spec.targets[0, i]) + spec.step * _rng.normal(seed, t, d + i)
            SUFF[k, d + 2 + i] = w
            z[i] = w
    elif spec.kind == 1:
        K = spec.targets.shape[0]
        seg = ((t - 1) // spec.period) % K
        for i in range(d):
            z[i] = spec.targets[seg, i]
    else:
        s = math.sin(2.0 * math.pi * t / spec.period)
        for i in range(d):
            z[i] = spec.targets[0, i] * s
    loss = 0.0
    sq = 0.0
    for i in range(d):
        if spec.sigma > 0.0:
            z[i] += spec.sigma * _rng.normal(seed, t, i)
        SUFF[k, 1 + i] += z[i]
        sq += z[i] * z[i]
    SUFF[k, 1 + d] += sq
    SUFF[k, 0] += 0.5 * _dist2_to_domain(spec.dom, z)
    for i in range(d):
        e = X[k, i] - z[i]
        loss += 0.5 * e * e
        G[k, i] = e
    return loss


register_stream(_NonstatSpec, _nonstat_round)


def _nonstat(kind, targets, period, step, sigma, domain, x0, name, params):
    where = f"{name}: "
    targets = np.atleast_2d(V.finite_array("targets", targets, where=where))
    if targets.ndim != 2 or targets.shape[1] < 1:
        raise ValueError(f"{where}targets must be a vector or a (K, d) array, got shape {targets.shape}")
    d = targets.shape[1]
    sigma = V.real("sigma", sigma, 0.0, math.inf, hi_open=True, where=where)
    domain = _domain_or(domain, Box(-1.0, 1.0, d=d))
    if domain.d != d:
        raise ValueError(f"{where}domain has dimension {domain.d} but the targets have d = {d}")
    x0 = domain.project(np.zeros(d)) if x0 is None else x0
    G = Ginf = None
    if sigma == 0.0 and kind != 0 and domain.bounded:
        pts = targets if kind == 1 else np.vstack([targets, -targets])
        G, Ginf = domain.farthest(pts)
    n_state = 1 + d + 1 + (d if kind == 0 else 0)
    s = Stream(name, _NonstatSpec(kind, targets, period, step, sigma, domain._support_data()), domain, x0, G, Ginf,
               "quadratic", n_state, dict(params, d=d, sigma=sigma), stochastic=kind == 0 or sigma > 0)
    s.dyn_index = 0
    s.meta["suff_offset"] = 1
    s.meta["shift"] = np.zeros(d)
    return s


def drifting_quadratic(d=2, *, step=0.01, start=0.0, sigma=0.0, domain=None, x0=None):
    r"""Quadratic losses 1/2 ||theta - z_t||^2 whose target follows a Gaussian random walk,
    z_t = z_{t-1} + step * xi_t (z_0 = start), plus optional observation noise sigma."""
    d = V.integer("d", d, lo=1, where="drifting_quadratic: ")
    step = V.real("step", step, 0.0, math.inf, hi_open=True, where="drifting_quadratic: ")
    start = np.broadcast_to(np.asarray(start, dtype=float), (d,))[None, :]
    return _nonstat(0, start, 1, step, sigma, domain, x0, "drifting_quadratic", {"step": step})


def switching_quadratic(targets, period, *, sigma=0.0, domain=None, x0=None):
    r"""Piecewise-constant targets: z_t = targets[((t-1) // period) mod K] (+ noise sigma)."""
    period = V.integer("period", period, lo=1, where="switching_quadratic: ")
    return _nonstat(1, targets, period, 0.0, sigma, domain, x0, "switching_quadratic", {"period": period})


def periodic_quadratic(amplitude, period, *, sigma=0.0, domain=None, x0=None):
    r"""Periodic targets z_t = amplitude * sin(2 pi t/period) (+ noise sigma)."""
    period = V.integer("period", period, lo=1, where="periodic_quadratic: ")
    amp = np.atleast_1d(V.finite_array("amplitude", amplitude, where="periodic_quadratic: "))
    if amp.ndim != 1:
        raise ValueError(f"periodic_quadratic: amplitude must be a scalar or a vector, got shape {amp.shape}")
    return _nonstat(2, amp[None, :], period, 0.0, sigma, domain, x0, "periodic_quadratic", {"period": period})
