"""Feasible sets: ``Box``, ``Ball`` and ``Unconstrained``, each the one place for everything about its set.

Each domain class holds
- its projection inside the compiled loop (Euclidean, and weighted as in AMSGrad, THEORY.md
  section 5), through :meth:`~Domain._spec`: the three share one spec type (:class:`_Dom`, registered
  with :func:`~regretlab.register_domain`) whose ``kind`` field picks the set at run time, so one
  compiled kernel serves all three;
- its l2 and l_inf diameters (the D and D_inf of the bounds);
- the closed forms the comparators need, in NumPy: :meth:`~Domain.min_linear` (the linear
  minimisation oracle), :meth:`~Domain.nearest` (batched Euclidean projection),
  :meth:`~Domain.support` and :meth:`~Domain.frank_wolfe_gap` (optimality certificates);
- and :meth:`~Domain._support_data`, the same record as the streams' compiled per-round minima see it
  (so a stream compiles once whatever its domain).

A domain registered from outside the package (a :class:`Domain` subclass whose ``_spec`` is
registered with its projection) is played by the compiled loop; each comparator, certificate or
stream that needs a closed form the domain does not define raises a ValueError naming the
method.  The streams' compiled per-round minima (dynamic regret) know the three sets above only,
so the built-in streams accept only those.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _validate as V
from ._jit import inline, njit
from ._registry import register_domain


class _Dom(NamedTuple):
    """Box, Ball and Unconstrained as the compiled loop sees them: one record type for the three, so that
    a game compiles once whatever its domain and the kind is a runtime field (its branch is outside the
    arithmetic of a round; issue 13: the domain kind had multiplied the kernel's specialisations).
    The streams' compiled per-round minima read the same record (:meth:`Domain._support_data`)."""

    kind: int  # 0 box, 1 ball, 2 unconstrained
    lo: np.ndarray  # box bounds (zeros otherwise)
    hi: np.ndarray
    center: np.ndarray  # ball centre (zeros otherwise)
    radius: float  # ball radius (0 otherwise)
    accept2: float  # ball: squared radius accepted as feasible, r plus the rounding of c + r u (see Ball)

    @property
    def coordinatewise(self):
        """Whether the projection acts on each coordinate alone (box, unconstrained): sparse rounds need it."""
        return self.kind != 1


def _dom_project(spec, X, k, W, weighted):
    if spec.kind == 0:
        _box_project(spec, X, k)
    elif spec.kind == 1:
        _ball_project(spec, X, k, W, weighted)


def _dom_project_touched(spec, X, k, IDX, m):
    # for the coordinatewise kinds only (sparse_support); a ball would need its whole projection
    if spec.kind == 0:
        _box_project_touched(spec, X, k, IDX, m)


def _dom_project_batch(spec, X, W, weighted):
    if spec.kind == 0:
        _box_project_batch(spec, X)
    elif spec.kind == 1:
        # trial by trial, on the transposed views: the same arithmetic as the trials-outer loop
        XT = X.T
        WT = W.T
        for k in range(X.shape[1]):
            _ball_project(spec, XT, k, WT, weighted)


class Domain:
    """Base class; subclasses are immutable and define ``d``, ``_spec()``, ``contains`` and diameters."""

    d: int

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.diameter_2)

    def check_point(self, name, x):
        """Validate a point of this domain (shape and membership) and return it as float64."""
        x = V.finite_array(name, x)
        if x.ndim == 0:
            x = np.full(self.d, float(x))
        if x.shape != (self.d,):
            raise ValueError(f"{name} must have shape ({self.d},) for this {type(self).__name__}, got {x.shape}")
        if not self.contains(x):
            raise ValueError(f"{name} = {x.tolist()} is outside the domain {self!r}")
        return x

    def project(self, y):
        """Euclidean projection of a point (NumPy, for use outside the kernel)."""
        raise NotImplementedError

    def _no(self, method, what):
        return ValueError(f"the domain {self!r} defines no {method} ({what}), which Box, Ball and Unconstrained "
                          f"give in closed form; define {type(self).__name__}.{method} to use it here")

    def min_linear(self, S):
        r"""min_{theta in domain} <S, theta> and a minimiser, for S of shape (..., d): (value (...), theta (..., d))."""
        raise self._no("min_linear", "the linear comparator")

    def nearest(self, Z):
        """The Euclidean projections Pi(z) of points Z of shape (..., d), exactly (no rounding slack)."""
        raise self._no("nearest", "the quadratic comparator")

    def support(self, w):
        r"""sigma(w) = max_{theta in domain} <w, theta> for one vector w (+inf when unbounded that way)."""
        raise self._no("support", "a certificate of a solver")

    def frank_wolfe_gap(self, g, x):
        r"""max_{u in domain} <g, x - u> for arrays of shape (..., d), giving (...)."""
        raise self._no("frank_wolfe_gap", "a certificate of a solver")

    def farthest(self, Z):
        r"""(max_theta ||theta - z||_2, max_theta ||theta - z||_inf) for one point z (d,), or the largest of each
        over the rows of Z (n, d): the gradient bounds G, G_inf of quadratic losses centred at Z."""
        raise self._no("farthest", "the gradient bounds of quadratic losses")

    def _support_data(self):
        """This set as the streams' compiled per-round minima see it: its spec, for Box, Ball and Unconstrained."""
        spec = self._spec()
        if isinstance(spec, _Dom):
            return spec
        raise ValueError(f"the domain {self!r} cannot be used with this stream: its compiled per-round minima "
                         f"(dynamic regret) know Box, Ball and Unconstrained only")


# ---------------------------------------------------------------- Box

@inline
def _box_project(spec, X, k):
    # Box: the weighted projection with positive diagonal weights is clipping too.
    for i in range(X.shape[1]):
        x = X[k, i]
        if x < spec.lo[i]:
            X[k, i] = spec.lo[i]
        elif x > spec.hi[i]:
            X[k, i] = spec.hi[i]


@inline
def _box_project_touched(spec, X, k, IDX, m):
    for j in range(m):
        i = IDX[k, j]
        x = X[k, i]
        if x < spec.lo[i]:
            X[k, i] = spec.lo[i]
        elif x > spec.hi[i]:
            X[k, i] = spec.hi[i]


@inline
def _box_project_batch(spec, X):
    for i in range(X.shape[0]):
        lo = spec.lo[i]
        hi = spec.hi[i]
        for k in range(X.shape[1]):
            x = X[i, k]
            X[i, k] = lo if x < lo else (hi if x > hi else x)


class Box(Domain):
    """The box {theta : lo_i <= theta_i <= hi_i}.

    Projection is coordinatewise clipping, for the Euclidean and for every
    positive diagonal weighting (AMSGrad).  Diameters: D = ||hi - lo||_2,
    D_inf = max_i (hi_i - lo_i).

    Examples
    --------
    >>> Box(-1.0, 1.0, d=3).diameter_inf
    2.0
    """

    def __init__(self, lo, hi, d=None):
        lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        if d is not None:
            d = V.integer("d", d, lo=1)
            lo = np.broadcast_to(lo, (d,)) if lo.ndim == 0 else lo
            hi = np.broadcast_to(hi, (d,)) if hi.ndim == 0 else hi
        try:
            lo, hi = np.broadcast_arrays(np.atleast_1d(lo), np.atleast_1d(hi))
        except ValueError:
            raise ValueError(f"Box bounds lo and hi must have the same length, got shapes {lo.shape} and "
                             f"{hi.shape}") from None
        if lo.ndim != 1 or lo.shape[0] < 1:
            raise ValueError(f"Box bounds must be scalars or 1-d arrays of length d >= 1, got shape {lo.shape}")
        if np.isnan(lo).any() or np.isnan(hi).any():
            raise ValueError("Box bounds lo and hi must not be NaN")
        if (lo > hi).any():
            i = int(np.argmax(lo > hi))
            raise ValueError(f"Box needs lo <= hi in every coordinate; coordinate {i} has lo={lo[i]} > hi={hi[i]}")
        self.lo = np.ascontiguousarray(lo, dtype=np.float64).copy()
        self.hi = np.ascontiguousarray(hi, dtype=np.float64).copy()
        self.lo.flags.writeable = False
        self.hi.flags.writeable = False
        self.d = self.lo.shape[0]

    def __repr__(self):
        if np.all(self.lo == self.lo[0]) and np.all(self.hi == self.hi[0]):
            return f"Box({self.lo[0]:g}, {self.hi[0]:g}, d={self.d})"
        return f"Box(lo={self.lo.tolist()}, hi={self.hi.tolist()})"

    def __eq__(self, other):
        return isinstance(other, Box) and np.array_equal(self.lo, other.lo) and np.array_equal(self.hi, other.hi)

    def __hash__(self):
        return hash(("Box", self.lo.tobytes(), self.hi.tobytes()))

    @property
    def diameter_2(self):
        return float(np.linalg.norm(self.hi - self.lo))

    @property
    def diameter_inf(self):
        return float(np.max(self.hi - self.lo))

    def contains(self, x, tol=0.0):
        x = np.asarray(x, dtype=float)
        return bool(np.all(x >= self.lo - tol) and np.all(x <= self.hi + tol))

    def project(self, y):
        return np.clip(np.asarray(y, dtype=float), self.lo, self.hi)

    def _spec(self):
        return _Dom(0, np.array(self.lo), np.array(self.hi), np.zeros(self.d), 0.0, 0.0)

    def min_linear(self, S):
        """theta_i = lo_i if S_i > 0, hi_i if S_i < 0 (the point of [lo_i, hi_i] nearest 0 if S_i = 0);
        value sum_i min(S_i lo_i, S_i hi_i)."""
        value = np.sum(np.minimum(S * self.lo, S * self.hi), axis=-1)
        theta = np.where(S > 0, self.lo, np.where(S < 0, self.hi, np.clip(0.0, self.lo, self.hi)))
        return value, theta

    def nearest(self, Z):
        return np.clip(Z, self.lo, self.hi)

    def support(self, w):
        """sum_i max(w_i hi_i, w_i lo_i), with 0 where w_i = 0 (so infinite bounds count only where w points)."""
        with np.errstate(invalid="ignore"):
            return float(np.sum(np.where(w > 0, w * self.hi, np.where(w < 0, w * self.lo, 0.0))))

    def frank_wolfe_gap(self, g, x):
        """sum_i max(g_i (x_i - lo_i), g_i (x_i - hi_i), 0) (the 0 only matters for an x a rounding error
        outside the box; infinite bounds give +inf for a gradient pointing that way)."""
        lo, hi = self.lo, self.hi
        with np.errstate(invalid="ignore"):
            up = np.where(g > 0, g * (x - lo), 0.0)   # the u = lo end
            dn = np.where(g < 0, g * (x - hi), 0.0)   # the u = hi end
        return np.sum(np.maximum(np.maximum(up, dn), 0.0), axis=-1)

    def farthest(self, Z):
        """The far corner: |theta_i - z_i| is largest at lo_i or hi_i."""
        far = np.maximum(np.abs(self.lo - Z), np.abs(self.hi - Z))
        if np.ndim(Z) == 1:
            return float(np.linalg.norm(far)), float(np.max(far))
        return float(np.linalg.norm(far, axis=1).max()), float(far.max())


# ---------------------------------------------------------------- Ball

_SPHERE_TOL = 1.0 + 8.0 * 2.220446049250313e-16


@inline
def _ball_project(spec, X, k, W, weighted):
    d = X.shape[1]
    r = spec.radius
    c = spec.center
    nrm2 = 0.0
    for i in range(d):
        z = X[k, i] - c[i]
        nrm2 += z * z
    # Feasible up to rounding: a point this routine put on the sphere is left alone, so the
    # projection is exactly idempotent in floating point.
    r2 = spec.accept2
    if nrm2 <= r2:
        return
    use_weights = weighted
    if weighted:
        for i in range(d):
            if not W[k, i] > 0.0:
                use_weights = False  # documented rule: a zero weight falls back to Euclidean
    if use_weights:
        # x_i = c_i + a_i z_i / (a_i + mu) with phi(mu) = sum_i (a_i z_i/(a_i+mu))^2 - r^2 = 0.
        # phi is convex and decreasing on mu >= 0 with phi(0) > 0, so Newton's method
        # started at mu = 0 increases monotonically to the root.
        mu = 0.0
        for _ in range(100):
            phi = -r * r
            dphi = 0.0
            for i in range(d):
                a = W[k, i]
                q = a * (X[k, i] - c[i]) / (a + mu)
                phi += q * q
                dphi -= 2.0 * q * q / (a + mu)
            if phi <= 0.0:
                break
            step = -phi / dphi
            mu += step
            if step <= 1e-16 * mu:
                break
        nrm2 = 0.0
        for i in range(d):
            a = W[k, i]
            X[k, i] = c[i] + a * (X[k, i] - c[i]) / (a + mu)
            z = X[k, i] - c[i]
            nrm2 += z * z
        if nrm2 <= r2:
            return
    # Euclidean projection (and a final rescale that guarantees feasibility after rounding).
    scale = r / np.sqrt(nrm2)
    for i in range(d):
        X[k, i] = c[i] + (X[k, i] - c[i]) * scale


class Ball(Domain):
    """The l2 ball {theta : ||theta - center||_2 <= radius}.

    Euclidean projection: c + r (y - c)/||y - c|| outside.  Weighted projection
    with weights a (THEORY.md section 5): x_i = c_i + a_i (y_i - c_i)/(a_i + mu),
    mu >= 0 solving sum_i (a_i (y_i - c_i)/(a_i + mu))^2 = r^2 (Newton's method).
    Diameters: D = D_inf = 2r.
    """

    def __init__(self, center=0.0, radius=1.0, d=None):
        center = np.asarray(center, dtype=float)
        if d is not None:
            d = V.integer("d", d, lo=1)
            if center.ndim == 0:
                center = np.full(d, float(center))
        center = np.atleast_1d(center)
        if center.ndim != 1 or (d is not None and center.shape[0] != d):
            raise ValueError(f"Ball center must have shape ({d},), got {center.shape}")
        if not np.all(np.isfinite(center)):
            raise ValueError(f"Ball center must be finite, got {center.tolist()}")
        self.center = np.ascontiguousarray(center, dtype=np.float64).copy()
        self.center.flags.writeable = False
        self.radius = V.real("radius", radius, lo=0.0, lo_open=True, where="Ball: ")
        self.d = self.center.shape[0]

    def __repr__(self):
        c = self.center
        cs = f"{c[0]:g}" if np.all(c == c[0]) else str(c.tolist())
        return f"Ball(center={cs}, radius={self.radius:g}, d={self.d})"

    def __eq__(self, other):
        return isinstance(other, Ball) and np.array_equal(self.center, other.center) and self.radius == other.radius

    def __hash__(self):
        return hash(("Ball", self.center.tobytes(), self.radius))

    @property
    def diameter_2(self):
        return 2.0 * self.radius

    @property
    def diameter_inf(self):
        return 2.0 * self.radius

    @property
    def _accept2(self):
        # c + r u carries a rounding error of a few ulps of max(|c_i|, r) per coordinate, which can
        # exceed ulps of r when |c| >> r: accept that much beyond the sphere.
        slack = 8.0 * 2.220446049250313e-16 * (float(np.max(np.abs(self.center))) + self.radius) * math.sqrt(self.d)
        return max(self.radius ** 2 * _SPHERE_TOL, (self.radius + slack) ** 2)

    def contains(self, x, tol=0.0):
        z = np.asarray(x, dtype=float) - self.center
        return bool(z @ z <= self._accept2 + tol)

    def project(self, y):
        y = np.asarray(y, dtype=float)
        z = y - self.center
        n2 = z @ z
        if n2 <= self._accept2:
            return y.copy()
        return self.center + z * (self.radius / np.sqrt(n2))

    def _spec(self):
        return _Dom(1, np.zeros(self.d), np.zeros(self.d), np.array(self.center), float(self.radius),
                    float(self._accept2))

    def min_linear(self, S):
        """theta = c - r S/||S|| (c where S = 0); value <S, c> - r ||S||."""
        n = np.linalg.norm(S, axis=-1)
        value = S @ self.center - self.radius * n
        safe = np.where(n > 0, n, 1.0)[..., None]
        theta = np.where(n[..., None] > 0, self.center - self.radius * S / safe, self.center)
        return value, theta

    def nearest(self, Z):
        """c + r (z - c)/||z - c|| where ||z - c|| > r, z inside (unlike :meth:`project`, no rounding slack)."""
        z = Z - self.center
        n = np.linalg.norm(z, axis=-1, keepdims=True)
        return np.where(n > self.radius, self.center + z * (self.radius / np.where(n > 0, n, 1.0)), Z)

    def support(self, w):
        """<w, c> + r ||w||."""
        return float(np.dot(w, self.center) + self.radius * np.linalg.norm(w))

    def frank_wolfe_gap(self, g, x):
        """<g, x - c> + r ||g||_2."""
        return np.sum(g * (x - self.center), axis=-1) + self.radius * np.linalg.norm(g, axis=-1)

    def farthest(self, Z):
        """||c - z||_2 + r and ||c - z||_inf + r."""
        if np.ndim(Z) == 1:
            return (float(np.linalg.norm(self.center - Z) + self.radius),
                    float(np.max(np.abs(self.center - Z)) + self.radius))
        n = np.linalg.norm(Z - self.center, axis=1)
        return float((n + self.radius).max()), float((np.abs(Z - self.center).max(axis=1) + self.radius).max())


# ---------------------------------------------------------------- Unconstrained

register_domain(_Dom, _dom_project, project_touched=_dom_project_touched, batch=_dom_project_batch)


class Unconstrained(Domain):
    """R^d: no projection; infinite diameters (bounds that need D are not applicable)."""

    def __init__(self, d=1):
        self.d = V.integer("d", d, lo=1)

    def __repr__(self):
        return f"Unconstrained(d={self.d})"

    def __eq__(self, other):
        return isinstance(other, Unconstrained) and other.d == self.d

    def __hash__(self):
        return hash(("Unconstrained", self.d))

    diameter_2 = math.inf
    diameter_inf = math.inf

    def contains(self, x, tol=0.0):
        return True

    def project(self, y):
        return np.array(y, dtype=float)

    def _spec(self):
        return _Dom(2, np.zeros(self.d), np.zeros(self.d), np.zeros(self.d), 0.0, 0.0)

    def min_linear(self, S):
        """0 at theta = 0 where S = 0, else -inf (no minimiser: theta is NaN)."""
        zero = np.all(S == 0, axis=-1)
        value = np.where(zero, 0.0, -np.inf)
        theta = np.where(zero[..., None], 0.0, np.nan) * np.ones_like(S)
        return value, theta

    def nearest(self, Z):
        return Z

    def support(self, w):
        return 0.0 if np.all(w == 0) else math.inf

    def frank_wolfe_gap(self, g, x):
        """0 where g = 0, else +inf (the gap is infinite on an unbounded set)."""
        return np.where(np.all(g == 0, axis=-1), 0.0, np.inf)


# ------------------------------------------------------------------ linear minimisation

def best_linear(S, domain):
    r"""min_{theta in domain} <S, theta> and its minimiser, for S of shape (..., d) (:meth:`Domain.min_linear`).

    Box: theta_i = lo_i if S_i > 0, hi_i if S_i < 0 (any point of [lo_i, hi_i] if 0);
    value sum_i min(S_i lo_i, S_i hi_i).  Ball: c - r S/||S||, value <S, c> - r||S||.
    Unconstrained: 0 at theta = 0 if S = 0, else -inf.
    """
    return domain.min_linear(np.asarray(S, dtype=float))


# ------------------------------------------------------------------ per-round minima, compiled (streams)

@njit
def _max_linear_dense(dom, a, scale):
    """max_{theta in domain} scale * <a, theta> for a dense vector a."""
    d = a.shape[0]
    if dom.kind == 0:
        s = 0.0
        for i in range(d):
            w = scale * a[i]
            s += max(w * dom.lo[i], w * dom.hi[i])
        return s
    if dom.kind == 1:
        s = 0.0
        n2 = 0.0
        for i in range(d):
            w = scale * a[i]
            s += w * dom.center[i]
            n2 += w * w
        return s + dom.radius * math.sqrt(n2)
    for i in range(d):
        if scale * a[i] != 0.0:
            return math.inf
    return 0.0


@njit
def _first_and_sum(idx, val, nnz, scale, j):
    """Whether entry j is the first of its index in idx[:nnz], and scale times the sum of that index's
    values (a sparse row may repeat a feature: a Zipf row is drawn with replacement)."""
    for q in range(j):
        if idx[q] == idx[j]:
            return False, 0.0
    acc = 0.0
    for q in range(j, nnz):
        if idx[q] == idx[j]:
            acc += scale * val[q]
    return True, acc


@njit
def _max_linear_sparse(dom, idx, val, nnz, scale):
    """max over the domain of scale * <a, theta> for a sparse a (indices idx[:nnz], values val[:nnz];
    an index may repeat, its values then add up)."""
    increasing = True  # no index repeats: each entry is its index's whole coefficient
    for j in range(1, nnz):
        if idx[j] <= idx[j - 1]:
            increasing = False
            break
    if dom.kind == 0:
        s = 0.0
        for j in range(nnz):
            i = idx[j]
            if increasing:
                w = scale * val[j]
            else:
                first, w = _first_and_sum(idx, val, nnz, scale, j)
                if not first:
                    continue
            s += max(w * dom.lo[i], w * dom.hi[i])
        return s
    if dom.kind == 1:
        s = 0.0
        n2 = 0.0
        for j in range(nnz):
            w = scale * val[j]
            s += w * dom.center[idx[j]]
        # the l2 norm needs the summed vector
        for j in range(nnz):
            first, acc = _first_and_sum(idx, val, nnz, scale, j)
            if first:
                n2 += acc * acc
        return s + dom.radius * math.sqrt(n2)
    for j in range(nnz):
        first, acc = _first_and_sum(idx, val, nnz, scale, j)
        if first and acc != 0.0:
            return math.inf
    return 0.0


@njit
def _dist2_to_domain(dom, z):
    """Squared Euclidean distance from z to the domain."""
    d = z.shape[0]
    if dom.kind == 0:
        s = 0.0
        for i in range(d):
            if z[i] < dom.lo[i]:
                s += (dom.lo[i] - z[i]) ** 2
            elif z[i] > dom.hi[i]:
                s += (z[i] - dom.hi[i]) ** 2
        return s
    if dom.kind == 1:
        n2 = 0.0
        for i in range(d):
            n2 += (z[i] - dom.center[i]) ** 2
        n = math.sqrt(n2)
        return (n - dom.radius) ** 2 if n > dom.radius else 0.0
    return 0.0


