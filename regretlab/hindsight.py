"""The best fixed point in hindsight for every checkpoint prefix (THEORY.md section 8).

Pure functions of the sufficient statistics the engine recorded at each
checkpoint: no replay of the game.  Closed forms are exact; their certificate
(duality gap) is 0.
"""
from __future__ import annotations

import numpy as np

from .domains import Ball, Box, Unconstrained


def best_linear(S, domain):
    r"""min_{theta in domain} <S, theta> and its minimiser, for S of shape (..., d).

    Box: theta_i = lo_i if S_i > 0, hi_i if S_i < 0 (any point of [lo_i, hi_i] if 0);
    value sum_i min(S_i lo_i, S_i hi_i).  Ball: c - r S/||S||, value <S, c> - r||S||.
    Unconstrained: 0 at theta = 0 if S = 0, else -inf.
    """
    S = np.asarray(S, dtype=float)
    if isinstance(domain, Box):
        value = np.sum(np.minimum(S * domain.lo, S * domain.hi), axis=-1)
        theta = np.where(S > 0, domain.lo, np.where(S < 0, domain.hi, np.clip(0.0, domain.lo, domain.hi)))
        return value, theta
    if isinstance(domain, Ball):
        n = np.linalg.norm(S, axis=-1)
        value = S @ domain.center - domain.radius * n
        safe = np.where(n > 0, n, 1.0)[..., None]
        theta = np.where(n[..., None] > 0, domain.center - domain.radius * S / safe, domain.center)
        return value, theta
    if isinstance(domain, Unconstrained):
        zero = np.all(S == 0, axis=-1)
        value = np.where(zero, 0.0, -np.inf)
        theta = np.where(zero[..., None], 0.0, np.nan) * np.ones_like(S)
        return value, theta
    raise ValueError(f"no closed-form linear comparator for domain {domain!r}")


def best_quadratic(sum_e, sum_e2, t, target, domain):
    r"""min_{theta in domain} sum_{s<=t} 1/2 ||theta - z_s||^2 from shifted statistics.

    With e_s = z_s - target: sum_e = sum_s e_s (..., d), sum_e2 = sum_s ||e_s||^2 (...),
    z_bar = target + sum_e/t, theta* = Pi(z_bar) and, with u = theta* - target,
    value = 1/2 (sum_e2 - 2 <u, sum_e> + t ||u||^2).
    """
    sum_e = np.asarray(sum_e, dtype=float)
    t = np.asarray(t, dtype=float)
    zbar = target + sum_e / t[..., None]
    if isinstance(domain, Box):
        theta = np.clip(zbar, domain.lo, domain.hi)
    elif isinstance(domain, Ball):
        z = zbar - domain.center
        n = np.linalg.norm(z, axis=-1, keepdims=True)
        theta = np.where(n > domain.radius, domain.center + z * (domain.radius / np.where(n > 0, n, 1.0)), zbar)
    else:
        theta = zbar
    u = theta - target
    value = 0.5 * (sum_e2 - 2.0 * np.sum(u * sum_e, axis=-1) + t * np.sum(u * u, axis=-1))
    return value, theta


def comparator(stream, suff, t):
    """Comparator values, minimisers and certificates for records ``suff`` (..., n_suff) at rounds ``t``."""
    if stream.family == "linear":
        value, theta = best_linear(suff[..., : stream.d], stream.domain)
    elif stream.family == "quadratic":
        d = stream.d
        value, theta = best_quadratic(suff[..., :d], suff[..., d], np.broadcast_to(t, suff.shape[:-1]),
                                      stream.params["target"], stream.domain)
    else:
        hook = getattr(stream, "comparator", None)
        if hook is None:
            raise ValueError(f"stream {stream.name!r} has loss family {stream.family!r} without a comparator")
        return hook(suff, t)
    return value, theta, np.zeros(np.shape(value))
