"""The feasible set as loss streams see it: per-round minima for dynamic regret."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._jit import njit
from .domains import Ball, Box


class _Dom(NamedTuple):
    kind: int  # 0 box, 1 ball, 2 unconstrained
    lo: np.ndarray
    hi: np.ndarray
    center: np.ndarray
    radius: float


def _dom(domain):
    d = domain.d
    if isinstance(domain, Box):
        return _Dom(0, np.array(domain.lo), np.array(domain.hi), np.zeros(d), 0.0)
    if isinstance(domain, Ball):
        return _Dom(1, np.zeros(d), np.zeros(d), np.array(domain.center), float(domain.radius))
    return _Dom(2, np.zeros(d), np.zeros(d), np.zeros(d), 0.0)


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
def _max_linear_sparse(dom, idx, val, nnz, scale):
    """max over the domain of scale * <a, theta> for a sparse a (indices idx[:nnz], values val[:nnz])."""
    if dom.kind == 0:
        s = 0.0
        for j in range(nnz):
            w = scale * val[j]
            i = idx[j]
            s += max(w * dom.lo[i], w * dom.hi[i])
        return s
    if dom.kind == 1:
        s = 0.0
        n2 = 0.0
        for j in range(nnz):
            w = scale * val[j]
            s += w * dom.center[idx[j]]
        # repeated indices: the l2 norm needs the summed vector
        for j in range(nnz):
            acc = 0.0
            first = True
            for q in range(j):
                if idx[q] == idx[j]:
                    first = False
                    break
            if first:
                for q in range(j, nnz):
                    if idx[q] == idx[j]:
                        acc += scale * val[q]
                n2 += acc * acc
        return s + dom.radius * math.sqrt(n2)
    for j in range(nnz):
        if val[j] != 0.0:
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


