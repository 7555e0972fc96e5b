"""Synthetic margin streams: rows generated in the loop from (seed, t), dense or sparse with Zipf feature
frequencies (no T x d array), fixed or drifting separators.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import _rng
from .. import _validate as V
from .._jit import inline, njit
from .._registry import register_stream
from ..domains import Box, _Dom, _max_linear_dense, _max_linear_sparse
from .base import Stream, _domain_or, sort_touched
from .data import LOGISTIC, _FAMILY, _margin_loss, _margin_min


# ------------------------------------------------------------------ synthetic margin streams (dense or sparse rows)

class _SynthSpec(NamedTuple):
    family: int
    w: np.ndarray  # (d,) true parameter at t = 0
    omega: float  # rotation speed of w in the plane of coordinates 0, 1 (0: i.i.d.)
    nnz: int  # 0: dense rows; else nonzeros per row
    cdf: np.ndarray  # Zipf feature-frequency CDF (d,) for sparse rows
    scale: float  # features uniform in [-scale, scale]
    dom: _Dom


@njit
def _zipf_index(cdf, u):
    lo = 0
    hi = cdf.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf[mid] < u:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit
def _synth_row(spec, seed, t, idx, val):
    """Row a_t (indices idx[:n], values val[:n]) and label y_t of a synthetic stream; returns (n, y)."""
    d = spec.w.shape[0]
    if spec.nnz == 0:
        n = d
        for i in range(d):
            idx[i] = i
            val[i] = spec.scale * (2.0 * _rng.uniform(seed, t, 1 + i) - 1.0)
    else:
        n = spec.nnz
        for j in range(n):
            idx[j] = _zipf_index(spec.cdf, _rng.uniform(seed, t, 1 + 2 * j))
            val[j] = spec.scale * (2.0 * _rng.uniform(seed, t, 2 + 2 * j) - 1.0)
    # true margin with w_t = w rotated by omega * t in the plane (0, 1)
    c = math.cos(spec.omega * t)
    s = math.sin(spec.omega * t)
    m = 0.0
    for j in range(n):
        i = idx[j]
        if i == 0 and d > 1:
            wi = c * spec.w[0] - s * spec.w[1]
        elif i == 1:
            wi = s * spec.w[0] + c * spec.w[1]
        else:
            wi = spec.w[i]
        m += wi * val[j]
    p = 1.0 / (1.0 + math.exp(-m)) if m > -700 else 0.0
    y = 1.0 if _rng.uniform(seed, t, 0) < p else -1.0
    return n, y


def _synth_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    cap = d if spec.nnz == 0 else spec.nnz
    idx = np.empty(cap, dtype=np.int64)
    val = np.empty(cap)
    if spec.nnz > 0:
        for i in range(d):
            G[k, i] = 0.0
    return _synth_play(spec, seed, t, X, k, G, SUFF, idx, val)


def _synth_touch(spec, seed, t, X, k, G, SUFF, IDX):
    """A sparse row's round in O(nnz) (G[k] is zero on entry; only streams with nnz > 0 play it)."""
    idx = np.empty(spec.nnz, dtype=np.int64)
    val = np.empty(spec.nnz)
    loss = _synth_play(spec, seed, t, X, k, G, SUFF, idx, val)
    for j in range(spec.nnz):
        IDX[k, j] = idx[j]
    return loss, sort_touched(IDX, k, spec.nnz)


@inline
def _synth_play(spec, seed, t, X, k, G, SUFF, idx, val):
    """Draw row t into idx, val; the margin loss at X[k], its gradient into G[k] (added, for sparse
    rows, onto zeros) and the round's minimum into SUFF[k, 0]."""
    n, y = _synth_row(spec, seed, t, idx, val)
    m = 0.0
    for j in range(n):
        m += val[j] * X[k, idx[j]]
    m *= y
    loss, dl = _margin_loss(spec.family, m)
    for j in range(n):
        if spec.nnz > 0:
            G[k, idx[j]] += dl * y * val[j]
        else:
            G[k, idx[j]] = dl * y * val[j]
    SUFF[k, 0] += _margin_min(spec.family, _max_linear_sparse(spec.dom, idx, val, n, y) if spec.nnz > 0
                              else _max_linear_dense(spec.dom, val, y))
    return loss


register_stream(_SynthSpec, _synth_round, touch=_synth_touch)


@njit
def _synth_rows(spec, seed, T):
    """All rows 1..T of a synthetic stream as CSR arrays (for the comparator)."""
    d = spec.w.shape[0]
    cap = d if spec.nnz == 0 else spec.nnz
    indptr = np.zeros(T + 1, dtype=np.int64)
    indices = np.empty(T * cap, dtype=np.int64)
    data = np.empty(T * cap)
    y = np.empty(T)
    idx = np.empty(cap, dtype=np.int64)
    val = np.empty(cap)
    p = 0
    for t in range(1, T + 1):
        n, yt = _synth_row(spec, seed, t, idx, val)
        for j in range(n):
            indices[p] = idx[j]
            data[p] = val[j]
            p += 1
        indptr[t] = p
        y[t - 1] = yt
    return indptr, indices[:p], data[:p], y


def _zipf_cdf(d, s):
    w = 1.0 / np.arange(1, d + 1, dtype=float) ** s
    c = np.cumsum(w)
    return c / c[-1]


def _synthetic(family, d, nnz, zipf, omega, data_seed, scale, norm, domain, x0, name, params):
    where = f"{name}: "
    d = V.integer("d", d, lo=1, where=where)
    nnz = V.integer("nnz", nnz, lo=0, hi=d, where=where)
    zipf = V.real("zipf", zipf, 0.0, math.inf, hi_open=True, where=where)
    omega = V.real("omega", omega, where=where)
    data_seed = V.integer("data_seed", data_seed, lo=0, where=where)
    scale = V.real("scale", scale, 0.0, math.inf, lo_open=True, hi_open=True, where=where)
    norm = V.real("w_norm", norm, 0.0, math.inf, hi_open=True, where=where)
    rng = np.random.default_rng(data_seed)
    w = rng.normal(size=d)
    w *= norm / max(np.linalg.norm(w), 1e-300)
    cdf = _zipf_cdf(d, zipf) if nnz > 0 else np.zeros(1)
    domain = _domain_or(domain, Box(-1.0, 1.0, d=d))
    if domain.d != d:
        raise ValueError(f"{where}domain has dimension {domain.d} but d = {d}")
    x0 = domain.project(np.zeros(d)) if x0 is None else x0
    k = d if nnz == 0 else nnz
    # |a_i| <= scale and |dloss/dm| <= 1: G_inf = scale (sparse rows can repeat a feature: nnz * scale)
    Ginf = scale * (1 if nnz == 0 else nnz)
    G = scale * math.sqrt(k) if nnz == 0 else scale * nnz
    spec = _SynthSpec(family, w, omega, nnz, cdf, scale, domain._support_data())
    s = Stream(name, spec, domain, x0, G, Ginf, _FAMILY[family], 1,
               dict(params, d=d, nnz=nnz, data_seed=data_seed), meta={"w": w}, stochastic=True)
    s.dyn_index = 0
    s._data = ("synthetic", spec)
    if nnz > 0:
        s.max_touched = nnz  # sparse rows: the loop can play them in O(nnz) (dense rows touch every coordinate)
    return s


def synthetic_logistic(d=10, *, data_seed=0, w_norm=3.0, scale=1.0, domain=None, x0=None):
    r"""I.i.d. logistic regression: a_t uniform in [-scale, scale]^d, y_t = +1 with probability
    sigma(<w*, a_t>), w* drawn from ``data_seed`` with ||w*|| = w_norm; loss log(1 + e^{-y <a, theta>}).
    The sample path is drawn from the run's seed."""
    return _synthetic(LOGISTIC, d, 0, 1.0, 0.0, data_seed, scale, w_norm, domain, x0, "synthetic_logistic", {})


def drifting_logistic(d=10, *, omega=1e-3, data_seed=0, w_norm=3.0, scale=1.0, domain=None, x0=None):
    r"""Non-stationary logistic regression: the separating hyperplane w_t rotates by angle omega
    per round in the plane of coordinates 0 and 1 (w_t = R(omega t) w*)."""
    d = V.integer("d", d, lo=2, where="drifting_logistic: (a rotating hyperplane needs d >= 2) ")
    return _synthetic(LOGISTIC, d, 0, 1.0, omega, data_seed, scale, w_norm, domain, x0, "drifting_logistic",
                      {"omega": omega})


def sparse_logistic(d=10**4, nnz=20, *, zipf=1.1, data_seed=0, w_norm=3.0, scale=1.0, domain=None, x0=None):
    r"""Sparse logistic regression: each row has ``nnz`` nonzeros at features drawn with
    Zipf(zipf) frequencies (feature i with probability proportional to i^-zipf, with
    replacement), values uniform in [-scale, scale]; labels from a logistic model.
    No dense T x d array is built; dense learners still update all d coordinates."""
    nnz = V.integer("nnz", nnz, lo=1, where="sparse_logistic: ")
    return _synthetic(LOGISTIC, d, nnz, zipf, 0.0, data_seed, scale, w_norm, domain, x0, "sparse_logistic",
                      {"zipf": zipf})
