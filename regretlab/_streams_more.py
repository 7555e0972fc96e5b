"""Stream families beyond the linear and quadratic basics (re-exported by ``regretlab.streams``).

Every stream keeps its per-trial state in its state row ``SUFF[k]`` (carried
across chunks, so results do not depend on chunking):

* slot ``stream.dyn_index`` accumulates sum_{s<=t} min_{theta in domain} f_s(theta),
  the comparator of dynamic regret against the per-round minimisers;
* comparator sufficient statistics where a closed form exists (linear: sum g;
  quadratic: shifted sum z and sum ||z||^2);
* adversary or random-walk state.

Loss families (all convex; THEORY.md section 8): linear <g, theta>; quadratic
1/2||theta - z||^2; separable absolute sum_i |theta_i - z_i|; hinge
max(0, 1 - y <a, theta>); logistic log(1 + exp(-y <a, theta>)).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _rng
from . import _validate as V
from ._jit import njit
from ._registry import register_stream
from ._domdata import _dom, _dist2_to_domain, _max_linear_dense, _max_linear_sparse
from .domains import Ball, Box
from .streams import Stream, _domain_or

LOGISTIC, HINGE, ABSOLUTE, QUADRATIC = 0, 1, 2, 3
_FAMILY = {LOGISTIC: "logistic", HINGE: "hinge", ABSOLUTE: "absolute", QUADRATIC: "quadratic"}


@njit
def _logistic(m):
    """(log(1 + e^{-m}), d/dm = -sigma(-m)), stable for any m."""
    if m > 0:
        e = math.exp(-m)
        return math.log1p(e), -e / (1.0 + e)
    e = math.exp(m)
    return -m + math.log1p(e), -1.0 / (1.0 + e)


@njit
def _margin_loss(family, m):
    """Loss and d loss/d margin for the margin families."""
    if family == LOGISTIC:
        return _logistic(m)
    if m < 1.0:
        return 1.0 - m, -1.0
    return 0.0, 0.0


@njit
def _margin_min(family, mmax):
    """min over the domain of a margin loss, given the largest reachable margin."""
    if family == LOGISTIC:
        return 0.0 if mmax == math.inf else _logistic(mmax)[0]
    return max(0.0, 1.0 - mmax)


# ------------------------------------------------------------------ user data: dense rows

class _RowsSpec(NamedTuple):
    family: int
    X: np.ndarray  # (n_rows, d) features (margin families) or targets (absolute, quadratic)
    y: np.ndarray  # (n_rows,) labels in {-1, +1} (unused for targets)
    random_order: int
    dom: _Dom


@njit
def _row_index(n_rows, random_order, seed, t):
    if random_order == 1:
        r = int(_rng.uniform(seed, t, 0) * n_rows)
        return r if r < n_rows else n_rows - 1
    return (t - 1) % n_rows


def _rows_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    r = _row_index(spec.X.shape[0], spec.random_order, seed, t)
    a = spec.X[r]
    fam = spec.family
    if fam == LOGISTIC or fam == HINGE:
        y = spec.y[r]
        m = 0.0
        for i in range(d):
            m += a[i] * X[k, i]
        m *= y
        loss, dl = _margin_loss(fam, m)
        for i in range(d):
            G[k, i] = dl * y * a[i]
        SUFF[k, 0] += _margin_min(fam, _max_linear_dense(spec.dom, a, y))
        return loss
    if fam == ABSOLUTE:
        loss = 0.0
        for i in range(d):
            e = X[k, i] - a[i]
            loss += abs(e)
            G[k, i] = 1.0 if e > 0 else (-1.0 if e < 0 else 0.0)
        if spec.dom.kind == 0:
            mn = 0.0
            for i in range(d):
                if a[i] < spec.dom.lo[i]:
                    mn += spec.dom.lo[i] - a[i]
                elif a[i] > spec.dom.hi[i]:
                    mn += a[i] - spec.dom.hi[i]
            SUFF[k, 0] += mn
        else:
            SUFF[k, 0] = math.nan  # no closed form per-round minimum on a ball
        return loss
    # quadratic: 1/2 ||theta - z||^2, statistics shifted by 0
    loss = 0.0
    sq = 0.0
    for i in range(d):
        e = X[k, i] - a[i]
        loss += 0.5 * e * e
        G[k, i] = e
        SUFF[k, 1 + i] += a[i]
        sq += a[i] * a[i]
    SUFF[k, 1 + d] += sq
    SUFF[k, 0] += 0.5 * _dist2_to_domain(spec.dom, a)
    return loss


register_stream(_RowsSpec, _rows_round)


# ------------------------------------------------------------------ user data: CSR rows

class _CSRSpec(NamedTuple):
    family: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    y: np.ndarray
    random_order: int
    dom: _Dom


def _csr_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    n_rows = spec.indptr.shape[0] - 1
    r = _row_index(n_rows, spec.random_order, seed, t)
    lo = spec.indptr[r]
    hi = spec.indptr[r + 1]
    y = spec.y[r]
    m = 0.0
    for j in range(lo, hi):
        m += spec.data[j] * X[k, spec.indices[j]]
    m *= y
    loss, dl = _margin_loss(spec.family, m)
    for i in range(d):
        G[k, i] = 0.0
    for j in range(lo, hi):
        G[k, spec.indices[j]] += dl * y * spec.data[j]
    mmax = _max_linear_sparse(spec.dom, spec.indices[lo:hi], spec.data[lo:hi], hi - lo, y)
    SUFF[k, 0] += _margin_min(spec.family, mmax)
    return loss


register_stream(_CSRSpec, _csr_round)


def _labels(y, n, where):
    y = V.finite_array("y", y, ndim=1, where=where)
    if y.shape[0] != n:
        raise ValueError(f"{where}X has {n} rows but y has {y.shape[0]} labels")
    bad = np.flatnonzero((y != 1.0) & (y != -1.0))
    if bad.size:
        raise ValueError(f"{where}labels must be -1 or +1; row {int(bad[0])} has y = {y[bad[0]]!r}")
    return y


def _order(order, where):
    return {"sequential": 0, "random": 1}[V.choice("order", order, ("sequential", "random"), where=where)]


def _is_sparse(X):
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover
        return False
    return sp.issparse(X)


def _data_stream(family, X, y, domain, order, x0, name, radius=1.0):
    where = f"{name}: "
    ordv = _order(order, where)
    if _is_sparse(X):
        import scipy.sparse as sp

        if family not in (LOGISTIC, HINGE):
            X = X.toarray()
        else:
            X = sp.csr_matrix(X, dtype=np.float64)
            X.sum_duplicates()
            X.sort_indices()
            if not np.all(np.isfinite(X.data)):
                j = int(np.flatnonzero(~np.isfinite(X.data))[0])
                row = int(np.searchsorted(X.indptr, j, side="right") - 1)
                raise ValueError(f"{where}X contains a non-finite value at row {row}")
            n, d = X.shape
            if n < 1:
                raise ValueError(f"{where}X must have at least one row")
            y = _labels(y, n, where)
            domain = _domain_or(domain, Box(-radius, radius, d=d))
            if domain.d != d:
                raise ValueError(f"{where}domain has dimension {domain.d} but X has {d} columns")
            norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
            G, Ginf = float(norms.max(initial=0.0)), float(np.abs(X.data).max(initial=0.0))
            spec = _CSRSpec(family, X.indptr.astype(np.int64), X.indices.astype(np.int64), X.data.copy(), y, ordv,
                            _dom(domain))
            x0 = domain.project(np.zeros(d)) if x0 is None else x0
            s = Stream(name, spec, domain, x0, G, Ginf, _FAMILY[family], 1, {"rows": n, "d": d, "order": order,
                                                                           "sparse": True}, stochastic=bool(ordv))
            s.dyn_index = 0
            s._data = ("csr", X, y, ordv)
            return s
    X = V.finite_array("X", X, where=where)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"{where}X must have shape (rows, d) with at least one row, got {X.shape}")
    n, d = X.shape
    domain = _domain_or(domain, Box(-radius, radius, d=d))
    if domain.d != d:
        raise ValueError(f"{where}domain has dimension {domain.d} but X has {d} columns")
    if family in (LOGISTIC, HINGE):
        y = _labels(y, n, where)
        G, Ginf = float(np.linalg.norm(X, axis=1).max()), float(np.abs(X).max())
    else:
        y = np.zeros(n)
        if family == ABSOLUTE:
            G, Ginf = math.sqrt(d), 1.0
        else:
            G = Ginf = None
            if domain.bounded:
                far = _farthest(domain, X)
                G, Ginf = far
    x0 = domain.project(np.zeros(d)) if x0 is None else x0
    n_suff = 1 + (d + 1 if family == QUADRATIC else 0)
    s = Stream(name, _RowsSpec(family, X, y, ordv, _dom(domain)), domain, x0, G, Ginf, _FAMILY[family], n_suff,
               {"rows": n, "d": d, "order": order}, stochastic=bool(ordv))
    s.dyn_index = 0
    s._data = ("dense", X, y, ordv)
    if family == QUADRATIC:
        s.meta["suff_offset"] = 1
        s.meta["shift"] = np.zeros(d)
    return s


def _farthest(domain, Z):
    """(max_t max_theta ||theta - z_t||_2, same in l_inf) over a bounded domain."""
    if isinstance(domain, Box):
        far = np.maximum(np.abs(domain.lo - Z), np.abs(domain.hi - Z))
        return float(np.linalg.norm(far, axis=1).max()), float(far.max())
    n = np.linalg.norm(Z - domain.center, axis=1)
    return float((n + domain.radius).max()), float((np.abs(Z - domain.center).max(axis=1) + domain.radius).max())


def logistic(X, y, *, domain=None, order="sequential", x0=None, radius=1.0):
    r"""Logistic losses f_t(theta) = log(1 + exp(-y_t <a_t, theta>)) from user data.

    ``X`` is (rows, d), dense or ``scipy.sparse`` (CSR is used natively: the round
    costs O(nnz) plus the O(d) dense gradient write); labels y in {-1, +1}.
    ``order="sequential"`` replays the rows (cycling), ``"random"`` samples a row
    uniformly from (seed, t).  Default domain: the box [-radius, radius]^d.
    Declared G = max_t ||a_t||_2, G_inf = max |a_{t,i}| (|sigma| <= 1).  The
    comparator is L-BFGS-B with an optimality certificate (``regretlab.solvers``).
    """
    return _data_stream(LOGISTIC, X, y, domain, order, x0, "logistic", radius)


def hinge(X, y, *, domain=None, order="sequential", x0=None, radius=1.0):
    r"""Hinge losses f_t(theta) = max(0, 1 - y_t <a_t, theta>) from user data (subgradient
    -y a at margin < 1, else 0).  Comparator: a linear program (HiGHS) with its duality gap."""
    return _data_stream(HINGE, X, y, domain, order, x0, "hinge", radius)


def absolute(Z, *, domain=None, order="sequential", x0=None, radius=1.0):
    r"""Separable absolute losses f_t(theta) = sum_i |theta_i - z_{t,i}| from user targets
    (subgradient sign(theta_i - z_i), 0 at a tie).  Comparator: the clamped coordinatewise
    median (exact; a box is required for it)."""
    return _data_stream(ABSOLUTE, Z, None, domain, order, x0, "absolute", radius)


def quadratic_data(Z, *, domain=None, order="sequential", x0=None, radius=1.0):
    r"""Quadratic losses 1/2 ||theta - z_t||^2 from user targets (rows of Z); closed-form comparator."""
    return _data_stream(QUADRATIC, Z, None, domain, order, x0, "quadratic_data", radius)


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
    n, y = _synth_row(spec, seed, t, idx, val)
    m = 0.0
    for j in range(n):
        m += val[j] * X[k, idx[j]]
    m *= y
    loss, dl = _margin_loss(spec.family, m)
    if spec.nnz > 0:
        for i in range(d):
            G[k, i] = 0.0
    for j in range(n):
        if spec.nnz > 0:
            G[k, idx[j]] += dl * y * val[j]
        else:
            G[k, idx[j]] = dl * y * val[j]
    SUFF[k, 0] += _margin_min(spec.family, _max_linear_sparse(spec.dom, idx, val, n, y) if spec.nnz > 0
                              else _max_linear_dense(spec.dom, val, y))
    return loss


register_stream(_SynthSpec, _synth_round)


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
    spec = _SynthSpec(family, w, omega, nnz, cdf, scale, _dom(domain))
    s = Stream(name, spec, domain, x0, G, Ginf, _FAMILY[family], 1,
               dict(params, d=d, nnz=nnz, data_seed=data_seed), meta={"w": w}, stochastic=True)
    s.dyn_index = 0
    s._data = ("synthetic", spec)
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


# ------------------------------------------------------------------ sparse linear

class _SparseLinSpec(NamedTuple):
    nnz: int
    cdf: np.ndarray
    G: float
    dom: _Dom


def _sparse_linear_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    for i in range(d):
        G[k, i] = 0.0
    loss = 0.0
    for j in range(spec.nnz):
        i = _zipf_index(spec.cdf, _rng.uniform(seed, t, 2 * j))
        g = spec.G * _rng.sign(seed, t, 2 * j + 1)
        G[k, i] += g
        SUFF[k, i] += g
        loss += g * X[k, i]
    # per-round minimum over the domain (dynamic regret), on the touched coordinates
    mn = 0.0
    if spec.dom.kind == 0:
        for j in range(spec.nnz):
            i = _zipf_index(spec.cdf, _rng.uniform(seed, t, 2 * j))
            seen = False
            for q in range(j):
                if _zipf_index(spec.cdf, _rng.uniform(seed, t, 2 * q)) == i:
                    seen = True
                    break
            if not seen:
                g = G[k, i]
                mn += min(g * spec.dom.lo[i], g * spec.dom.hi[i])
    else:
        mn = -_max_linear_dense(spec.dom, G[k], -1.0)
    SUFF[k, d] += mn
    return loss


register_stream(_SparseLinSpec, _sparse_linear_round)


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
    s = Stream("sparse_linear", _SparseLinSpec(nnz, _zipf_cdf(d, zipf), G, _dom(domain)), domain, x0,
               G * nnz, G * nnz, "linear", d + 1, {"d": d, "nnz": nnz, "zipf": zipf, "G": G, "radius": radius},
               stochastic=True)
    s.dyn_index = d
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
    s = Stream("stochastic_linear", _StochLinSpec(big, small, p, _dom(domain)), domain, x0,
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
    s = Stream("momentum_adversary", _AdaptiveSpec(G, _dom(domain)), domain, x0, G * math.sqrt(d), G, "linear",
               2 * d + 1, {"d": d, "radius": radius, "G": G}, stochastic=True)
    s.dyn_index = d
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
        G, Ginf = _farthest(domain, pts)
    n_state = 1 + d + 1 + (d if kind == 0 else 0)
    s = Stream(name, _NonstatSpec(kind, targets, period, step, sigma, _dom(domain)), domain, x0, G, Ginf,
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


# ------------------------------------------------------------------ a real data set shipped by a package

def digits(*, positive=(0, 1, 2, 3, 4), order="random", domain=None, radius=1.0, x0=None):
    r"""scikit-learn's bundled handwritten digits (1797 images of 8 x 8 pixels, loaded from the
    package, no network) as a logistic stream: features = pixels/16 plus a bias feature of 1,
    label +1 for the digits in ``positive`` and -1 otherwise; rows sampled uniformly per
    round (``order="random"``).  A stand-in for the MNIST logistic regression of Kingma & Ba.
    Needs the optional extra ``regretlab[data]`` (scikit-learn)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ValueError("digits() needs scikit-learn: pip install 'regretlab[data]'") from None
    data = load_digits()
    X = np.hstack([data.data / 16.0, np.ones((data.data.shape[0], 1))])
    y = np.where(np.isin(data.target, positive), 1.0, -1.0)
    s = logistic(X, y, domain=domain, order=order, x0=x0, radius=radius)
    s.name = "digits"
    s.params = {"rows": X.shape[0], "d": X.shape[1], "positive": tuple(positive), "order": order}
    return s
