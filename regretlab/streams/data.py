"""Margin and separable losses on data rows (THEORY.md section 8): logistic log(1 + exp(-y <a, theta>)),
hinge max(0, 1 - y <a, theta>), separable absolute sum_i |theta_i - z_i| and quadratic, on a user's
dense or CSR arrays, and scikit-learn's bundled digits.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import _rng
from .. import _validate as V
from .._jit import inline, njit
from .._registry import register_stream
from ..domains import Box, _Dom, _dist2_to_domain, _max_linear_dense, _max_linear_sparse
from .base import Stream, _domain_or, mod_nonneg, sort_touched


class MissingDependency(ValueError):
    """A stream needs an optional dependency that is not installed (the message says which extra)."""


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
    return mod_nonneg(t - 1, n_rows)


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
    for i in range(X.shape[1]):
        G[k, i] = 0.0
    lo, hi, loss = _csr_play(spec, seed, t, X, k, G, SUFF)
    return loss


def _csr_touch(spec, seed, t, X, k, G, SUFF, IDX):
    """The round in O(row nnz) (G[k] is zero on entry): the row's indices, sorted, into IDX[k, :m]."""
    lo, hi, loss = _csr_play(spec, seed, t, X, k, G, SUFF)
    for j in range(lo, hi):
        IDX[k, j - lo] = spec.indices[j]
    return loss, sort_touched(IDX, k, hi - lo)


@inline
def _csr_play(spec, seed, t, X, k, G, SUFF):
    """Row r_t's margin loss at X[k], its gradient added to G[k], the round's minimum to SUFF[k, 0];
    returns (the row's first and last + 1 entries, the loss)."""
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
    for j in range(lo, hi):
        G[k, spec.indices[j]] += dl * y * spec.data[j]
    mmax = _max_linear_sparse(spec.dom, spec.indices[lo:hi], spec.data[lo:hi], hi - lo, y)
    SUFF[k, 0] += _margin_min(spec.family, mmax)
    return lo, hi, loss


register_stream(_CSRSpec, _csr_round, touch=_csr_touch)


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
                            domain._support_data())
            x0 = domain.project(np.zeros(d)) if x0 is None else x0
            s = Stream(name, spec, domain, x0, G, Ginf, _FAMILY[family], 1, {"rows": n, "d": d, "order": order,
                                                                           "sparse": True}, stochastic=bool(ordv))
            s.dyn_index = 0
            s._data = ("csr", X, y, ordv)
            s.max_touched = max(int(np.diff(X.indptr).max(initial=0)), 1)  # rows in O(row nnz): the sparse loop
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
                far = domain.farthest(X)
                G, Ginf = far
    x0 = domain.project(np.zeros(d)) if x0 is None else x0
    n_suff = 1 + (d + 1 if family == QUADRATIC else 0)
    s = Stream(name, _RowsSpec(family, X, y, ordv, domain._support_data()), domain, x0, G, Ginf, _FAMILY[family], n_suff,
               {"rows": n, "d": d, "order": order}, stochastic=bool(ordv))
    s.dyn_index = 0
    s._data = ("dense", X, y, ordv)
    if family == QUADRATIC:
        s.meta["suff_offset"] = 1
        s.meta["shift"] = np.zeros(d)
    return s



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



# ------------------------------------------------------------------ a real data set shipped by a package

def digits(*, positive=(0, 1, 2, 3, 4), order="random", domain=None, radius=1.0, x0=None):
    r"""scikit-learn's bundled handwritten digits (1797 images of 8 x 8 pixels, loaded from the
    package, no network) as a logistic stream: features = pixels/16 plus a bias feature of 1,
    label +1 for the digits in ``positive`` and -1 otherwise; rows sampled uniformly per
    round (``order="random"``).  A stand-in for the MNIST logistic regression of Kingma & Ba.
    Needs the optional extra ``regretlab[data]`` (scikit-learn)."""
    if isinstance(positive, (str, bytes)) or not hasattr(positive, "__iter__"):
        raise ValueError(f"digits: positive must be a collection of digits 0-9, got {positive!r}")
    pos = list(positive)
    if (not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and 0 <= p <= 9 for p in pos)
            or len(set(pos)) != len(pos) or not 1 <= len(pos) <= 9):
        raise ValueError(f"digits: positive must be 1 to 9 distinct digits in 0-9 (both labels occur), got "
                         f"{positive!r}")
    positive = tuple(int(p) for p in pos)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise MissingDependency("digits() needs scikit-learn: pip install 'regretlab[data]'") from None
    data = load_digits()
    X = np.hstack([data.data / 16.0, np.ones((data.data.shape[0], 1))])
    y = np.where(np.isin(data.target, positive), 1.0, -1.0)
    s = logistic(X, y, domain=domain, order=order, x0=x0, radius=radius)
    s.name = "digits"
    s.params = {"rows": X.shape[0], "d": X.shape[1], "positive": tuple(positive), "order": order}
    return s
