"""What every stream is: its feasible set, start, declared gradient bounds, loss family and compiled round.

Randomness at round t is a pure function of (seed, t) (``regretlab._rng``).  A stream keeps its
per-trial state in its row ``SUFF[k]`` (carried across chunks, so results do not depend on chunking):
slot ``stream.dyn_index`` accumulates sum_{s<=t} min_{theta in domain} f_s(theta) (the comparator of
dynamic regret against the per-round minimisers); the comparator's sufficient statistics where a
closed form exists (linear: sum g; quadratic: shifted sum z and sum ||z||^2); adversary or
random-walk state.
"""
from __future__ import annotations

import math

import numpy as np

from .._jit import inline
from ..domains import Ball, Box, Domain, Unconstrained


@inline
def mod_nonneg(a, b):
    """a mod b for a >= 0 and b >= 1 (a round's phase or row): the unsigned remainder, equal to
    Python's ``a % b`` there, without the sign fix-up of the signed one (measured: 0.7 ns of a
    9 ns round of Reddi's stream)."""
    return np.int64(np.uint64(a) % np.uint64(b))


@inline
def sort_touched(IDX, k, n):
    """Sort the n coordinates in IDX[k, :n] in place (insertion sort; n is a round's nnz) and drop
    repeats: returns m, with IDX[k, :m] the distinct touched coordinates in increasing order (the
    order a sparse round's touched coordinates must have, see ``register_stream``)."""
    m = 0
    for j in range(n):
        i = IDX[k, j]
        q = m
        while q > 0 and IDX[k, q - 1] > i:
            q -= 1
        if q > 0 and IDX[k, q - 1] == i:
            continue
        for r in range(m, q, -1):
            IDX[k, r] = IDX[k, r - 1]
        IDX[k, q] = i
        m += 1
    return m


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
        #: for a sparse stream (its spec registered with a ``touch`` round): the most coordinates one
        #: round's gradient touches; None for a dense stream
        self.max_touched = None

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
