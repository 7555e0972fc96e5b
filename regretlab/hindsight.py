"""The best fixed point in hindsight for every checkpoint prefix (THEORY.md section 8).

Pure functions of the sufficient statistics the engine recorded at each
checkpoint: no replay of the game.  Closed forms are exact; their certificate
(duality gap) is 0.
"""
from __future__ import annotations

import collections
import hashlib

import numpy as np

from .domains import Box, best_linear  # noqa: F401  (best_linear: public here too)


def best_quadratic(sum_e, sum_e2, t, target, domain):
    r"""min_{theta in domain} sum_{s<=t} 1/2 ||theta - z_s||^2 from shifted statistics.

    With e_s = z_s - target: sum_e = sum_s e_s (..., d), sum_e2 = sum_s ||e_s||^2 (...),
    z_bar = target + sum_e/t, theta* = Pi(z_bar) and, with u = theta* - target,
    value = 1/2 (sum_e2 - 2 <u, sum_e> + t ||u||^2).
    """
    sum_e = np.asarray(sum_e, dtype=float)
    t = np.asarray(t, dtype=float)
    zbar = target + sum_e / t[..., None]
    theta = domain.nearest(zbar)
    u = theta - target
    value = 0.5 * (sum_e2 - 2.0 * np.sum(u * sum_e, axis=-1) + t * np.sum(u * u, axis=-1))
    return value, theta


def played_rows(stream, seed, T):
    """The data rows a data stream showed at rounds 1..T for ``seed``: (A, y) with A dense or CSR.

    Sequential streams replay row (t - 1) mod n; random-order streams sample row
    floor(u(seed, t) n) exactly as the kernel does (NumPy twin of the counter RNG);
    synthetic streams regenerate their rows with the kernel's own compiled generator.
    """
    from . import _rng

    kind = stream._data[0]
    if kind == "synthetic":
        import scipy.sparse as sp

        from .streams.synthetic import _synth_rows

        spec = stream._data[1]
        indptr, indices, data, y = _synth_rows(spec, np.uint64(seed), int(T))
        A = sp.csr_matrix((data, indices, indptr), shape=(int(T), stream.d))
        A.sum_duplicates()
        return A, y
    _, X, y, random_order = stream._data
    n = X.shape[0]
    t = np.arange(1, T + 1)
    if random_order:
        rows = np.minimum((_rng.uniform_np(seed, t, 0) * n).astype(np.int64), n - 1)
    else:
        rows = (t - 1) % n
    return X[rows], y[rows]


def _linear(stream, suff, t, seeds):
    value, theta = best_linear(suff[..., :stream.d], stream.domain)
    return value, theta, np.zeros(np.shape(value))


def _quadratic(stream, suff, t, seeds):
    d = stream.d
    off = stream.meta.get("suff_offset", 0)
    shift = stream.meta.get("shift", np.zeros(d))
    tt = np.broadcast_to(t, suff.shape[:-1])
    value, theta = best_quadratic(suff[..., off:off + d], suff[..., off + d], tt, shift, stream.domain)
    return value, theta, np.zeros(np.shape(value))


#: bytes of solved prefixes a process keeps (:func:`_solved`): the comparator is a function of the rows
#: played, the domain and the checkpoints, not of the learner, so several learners' runs on the same
#: seeds (a suite experiment, a sweep's learner grid) solve each prefix once
SOLVED_BYTES = 2 ** 26
_solved_memo = collections.OrderedDict()


def _solve_key(solver, A, y, domain, t):
    """A digest of everything a prefix solve reads: the solver, the rows (A, y), the domain, the
    checkpoints; None (no memo) when the domain cannot be pickled."""
    import pickle

    import scipy.sparse as sp

    try:
        dom = pickle.dumps(domain)
    except Exception:  # a user's domain class defined where pickle cannot find it
        return None
    h = hashlib.blake2b(digest_size=32)
    h.update(f"{solver.__module__}.{solver.__qualname__}.{id(solver)}".encode())
    if sp.issparse(A):
        A = A.tocsr()
        parts = [np.asarray(A.data), np.asarray(A.indices), np.asarray(A.indptr)]
    else:
        parts = [np.asarray(A)]
    for a in parts + [np.asarray(y), np.asarray(t, dtype=np.int64)]:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).view(np.uint8))
    h.update(f"{type(A).__name__}{np.shape(A)}".encode())
    h.update(dom)
    return h.digest()


def _solve_once(name, labels, A, y, domain, t):
    """``regretlab.solvers.<name>`` on the rows (A, y) (on A alone when not ``labels``), from this
    process's memo when the same solver, rows, domain and checkpoints were solved before (within
    :data:`SOLVED_BYTES`, least recently used first out; the arrays kept are read-only)."""
    from . import solvers

    solver = getattr(solvers, name)
    key = _solve_key(solver, A, y, domain, t)
    if key is not None and key in _solved_memo:
        _solved_memo.move_to_end(key)
        return _solved_memo[key][0]
    res = solver(A, y, domain, t) if labels else solver(A, domain, t)
    size = sum(np.asarray(a).nbytes for a in (res.value, res.theta, res.certificate))
    if key is not None and size <= SOLVED_BYTES:
        for a in (res.value, res.theta, res.certificate):
            if isinstance(a, np.ndarray):
                a.flags.writeable = False
        _solved_memo[key] = (res, size, solver)  # (the solver kept: its id stays its own)
        while sum(v[1] for v in _solved_memo.values()) > SOLVED_BYTES:
            _solved_memo.popitem(last=False)
    return res


def _solved(name, labels=True):
    """A comparator that re-reads the rows a data stream played and solves each prefix with a certificate
    with ``regretlab.solvers.<name>``, given the labels or not (each distinct set of rows once per
    process: :func:`_solve_once`)."""

    def comparator(stream, suff, t, seeds):
        if seeds is None:
            raise ValueError(f"the {stream.family} comparator needs the seeds of the runs")
        n, d = suff.shape[0], stream.d
        value = np.empty((n, t.size))
        theta = np.empty((n, t.size, d))
        cert = np.empty((n, t.size))
        for k in range(n):
            A, y = played_rows(stream, int(seeds[k]), int(t[-1]))
            res = _solve_once(name, labels, A, y, stream.domain, t)
            value[k], theta[k], cert[k] = res.value, res.theta, res.certificate
        return value, theta, cert

    return comparator


#: loss family -> comparator(stream, suff, t, seeds) -> (value, theta, certificate): THEORY.md section 8
COMPARATORS = {"linear": _linear, "quadratic": _quadratic, "absolute": _solved("best_absolute", labels=False),
               "hinge": _solved("best_hinge"), "logistic": _solved("best_logistic")}


def register_comparator(family, fn):
    """Register the comparator of a loss family: ``fn(stream, suff, t, seeds)`` returns the best
    fixed point's value (n, len(t)), the minimiser (n, len(t), d) and an optimality certificate
    (n, len(t)) at every checkpoint t, from the recorded stream state ``suff`` (n, len(t), n_suff)."""
    if not callable(fn):
        raise ValueError(f"the comparator of {family!r} must be a function, got {fn!r}")
    COMPARATORS[str(family)] = fn
    return fn


def comparator(stream, suff, t, seeds=None):
    """Comparator values, minimisers and certificates at every checkpoint of every trial.

    ``suff``: the recorded stream state (n, len(t), n_state); ``t``: checkpoint rounds;
    ``seeds``: one per trial (needed by data streams, whose comparator re-reads the rows played).
    Returns (value (n, len(t)), theta (n, len(t), d), certificate (n, len(t))).  The comparator is
    its loss family's (:data:`COMPARATORS`, :func:`register_comparator`), else the stream's own
    ``comparator(suff, t, seeds)`` attribute.
    """
    t = np.asarray(t).reshape(-1)
    fn = COMPARATORS.get(stream.family)
    if fn is None:
        hook = getattr(stream, "comparator", None)
        if hook is not None:
            return hook(suff, t, seeds)
        raise ValueError(f"stream {stream.name!r} has loss family {stream.family!r} without a comparator; "
                         f"known families: {sorted(COMPARATORS)} (regretlab.hindsight.register_comparator)")
    return fn(stream, suff, t, seeds)


def best_path_length(grads, domain, P, t=None):
    r"""Comparator sequences of bounded path length for linear losses on a box (dynamic regret).

        min_{u_1..u_t in box} sum_{s<=t} <g_s, u_s>   subject to   sum_{s=2}^{t} ||u_s - u_{s-1}||_1 <= P

    solved as a linear program with HiGHS (``scipy.optimize.linprog``): variables u (t d) and
    w >= |u_s - u_{s-1}| (elementwise).  P = 0 gives the static comparator; P >= 2 D_1 (t - 1)
    the per-round minimisers.  One LP per checkpoint prefix: meant for horizons up to ~10^4.

    Returns (value (len(t),), certificate (len(t),)): the certificate is HiGHS's duality gap.
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    if not isinstance(domain, Box):
        raise ValueError(f"path-length comparators are implemented for a Box, got {domain!r}")
    grads = np.asarray(grads, dtype=float)
    if grads.ndim != 2:
        raise ValueError(f"grads must have shape (T, d), got {grads.shape}")
    if not (np.isscalar(P) and np.isfinite(P) and P >= 0):
        raise ValueError(f"P (the path length) must be a finite number >= 0, got {P!r}")
    T, d = grads.shape
    t = np.array([T] if t is None else t, dtype=np.int64)
    if t.min() < 1 or t.max() > T:
        raise ValueError(f"checkpoints must lie in [1, {T}], got {t.min()}..{t.max()}")
    values, gaps = np.empty(t.size), np.empty(t.size)
    for j, n in enumerate(t):
        nu, nw = n * d, (n - 1) * d
        c = np.concatenate([grads[:n].ravel(), np.zeros(nw)])
        bounds = [(lo, hi) for _ in range(n) for lo, hi in zip(domain.lo, domain.hi)] + [(0, None)] * nw
        if nw:
            # row (s, i): u_{s+1,i} - u_{s,i}, padded with zeros for the w columns
            diff = sp.hstack([sp.eye(nw, nu, k=d) - sp.eye(nw, nu), sp.csr_matrix((nw, nw))])
            W = sp.hstack([sp.csr_matrix((nw, nu)), sp.eye(nw)])
            A = sp.vstack([diff - W, -diff - W, sp.hstack([sp.csr_matrix((1, nu)), sp.csr_matrix(np.ones((1, nw)))])])
            b = np.concatenate([np.zeros(2 * nw), [P]])
        else:
            A, b = None, None
        res = linprog(c, A_ub=A, b_ub=b, bounds=bounds, method="highs")
        if res.status != 0:
            raise ValueError(f"the path-length LP at t = {n} failed: {res.message}")
        values[j] = res.fun
        # duality gap from the marginals (HiGHS reports them for LPs)
        y = res.ineqlin.marginals if A is not None else np.zeros(0)
        lo_m, up_m = res.lower.marginals, res.upper.marginals
        lb = np.array([bd[0] for bd in bounds], dtype=float)
        ub = np.array([np.inf if bd[1] is None else bd[1] for bd in bounds], dtype=float)
        ub_finite = np.where(np.isfinite(ub), ub, 0.0)  # infinite bounds carry zero marginals
        dual_obj = (y @ b if A is not None else 0.0) + lo_m @ lb + up_m @ ub_finite
        gaps[j] = abs(res.fun - dual_obj)
    return values, gaps
