"""The engine: one compiled loop per game.

``play`` validates and canonicalises at the boundary, allocates the state, calls
:func:`_play_kernel` once per chunk of checkpoints (never per round), then hands
the records to the pure functions of ``hindsight`` to build a :class:`~regretlab.runs.Runs`.

Inside the kernel, every round of every trial (a trial is one seed x one
hyperparameter set) does: the stream's loss and gradient at theta_t, the bound
statistics of the gradient and of theta_t, the learner's step, the projection,
and the bookkeeping of the learner's inverse step size H (Gamma counts).  At
each checkpoint it records the cumulative loss, the comparator's sufficient
statistics and the bound statistics.  All state lives in arrays owned by
Python, so a game can be continued chunk by chunk with bit-identical results.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _validate as V
import numba

from ._jit import JIT_OPTIONS, njit
from ._registry import is_registered, learner_step, project, stream_round
from .learners import Learner
from .streams import Stream

# Per-trial scalar accumulators ACC[k, .]
A_LOSS, A_MAXG2, A_MAXGINF, A_GNEG, A_MAXSTEP, A_SUMB1H, A_L103, A_FIRSTNEG, A_L104 = range(9)
N_ACC = 9
# Per-trial, per-coordinate bookkeeping AUX[k, ., i]
X_HPREV, X_N2, X_MIN, X_MAX, X_PREV = range(5)
N_AUX = 5
# Checkpoint records REC[k, c, .]
(R_LOSS, R_SUM_GNORM, R_SUM_SQRT_V, R_SUM_B1H, R_MAX_G2, R_MAX_GINF, R_GNEG, R_MAX_STEP,
 R_D_INF, R_D_2, R_L103, R_FIRSTNEG, R_L104) = range(13)
N_REC = 13
REC_NAMES = ("loss", "sum_g_norm", "sum_sqrt_vhat", "sum_beta1_h", "max_g_2", "max_g_inf", "gamma_neg",
             "max_step", "spread_inf", "spread_2", "lemma_10_3_lhs", "first_gamma_neg", "lemma_10_4_lhs")

ERR_LOSS, ERR_GRAD, ERR_ITERATE, ERR_GRAD2 = 1, 2, 3, 4
_ERR_CAUSE = {ERR_LOSS: "the loss f_t(theta_t)", ERR_GRAD: "the gradient", ERR_ITERATE: "the iterate theta_t",
              ERR_GRAD2: "the squared gradient norm (|g| above ~1e154 overflows g^2, which every adaptive "
                         "learner and bound statistic needs)"}
#: the largest horizon: rounds stay exact in float64 (sqrt(t), 1/t) up to 2^53
T_MAX = 2**53


class NonFiniteError(ArithmeticError):
    """A loss, gradient or iterate became NaN or infinite; the message names the round and the seed."""


class _State(NamedTuple):
    X: np.ndarray  # (n, d) theta_t
    S: np.ndarray  # (n, slots, d) learner state
    Z: np.ndarray  # (n, scalars) learner scalar state
    G: np.ndarray  # (n, d) gradient g_t
    H: np.ndarray  # (n, d) inverse step size written by the learner
    V: np.ndarray  # (n, d) second-moment estimate written by the learner
    AUX: np.ndarray  # (n, N_AUX, d)
    SUFF: np.ndarray  # (n, n_suff)
    ACC: np.ndarray  # (n, N_ACC)


class _Records(NamedTuple):
    REC: np.ndarray  # (n, nc, N_REC)
    SUFF: np.ndarray  # (n, nc, n_suff)
    THETA: np.ndarray  # (n, nc, d) or (n, 0, d) when not recorded


def _play_kernel_py(lspec, sspec, dspec, weighted, P, seeds, st, rec, ck, c0, c1, t0, err):
    """Play rounds t0 .. ck[c1-1] for every trial, recording checkpoints c0 .. c1-1.

    Returns the next round to play.  On a non-finite value it fills
    ``err = (cause, trial, round, coordinate)`` and returns early.

    Trials are the outer loop so that each trial's scalar accumulators live in
    registers for a whole chunk (measured: keeping them in ACC[k, .] and
    reloading them every round cost about a third of the per-round time).
    """
    n = st.X.shape[0]
    d = st.X.shape[1]
    X = st.X
    G = st.G
    H = st.H
    V = st.V
    S = st.S
    Z = st.Z
    SUFF = st.SUFF
    AUX = st.AUX
    ACC = st.ACC
    t = t0
    for k in range(n):
        seed = seeds[k]
        loss_sum = ACC[k, A_LOSS]
        maxg2 = ACC[k, A_MAXG2]
        maxginf = ACC[k, A_MAXGINF]
        gneg = ACC[k, A_GNEG]
        maxstep = ACC[k, A_MAXSTEP]
        sumb1h = ACC[k, A_SUMB1H]
        l103 = ACC[k, A_L103]
        firstneg = ACC[k, A_FIRSTNEG]
        l104 = ACC[k, A_L104]
        t = t0
        for c in range(c0, c1):
            t_end = ck[c]
            while t <= t_end:
                loss = stream_round(sspec, seed, t, X, k, G, SUFF)
                if not math.isfinite(loss):
                    err[0] = ERR_LOSS
                    err[1] = k
                    err[2] = t
                    return t
                g2 = 0.0
                ginf = 0.0
                g1 = 0.0
                for i in range(d):
                    g = G[k, i]
                    x = X[k, i]
                    if not (math.isfinite(g) and math.isfinite(x)):
                        err[0] = ERR_GRAD if math.isfinite(x) else ERR_ITERATE
                        err[1] = k
                        err[2] = t
                        err[3] = i
                        return t
                    gg = g * g
                    AUX[k, X_N2, i] += gg
                    g2 += gg
                    ag = abs(g)
                    g1 += ag
                    if ag > ginf:
                        ginf = ag
                    if x < AUX[k, X_MIN, i]:
                        AUX[k, X_MIN, i] = x
                    if x > AUX[k, X_MAX, i]:
                        AUX[k, X_MAX, i] = x
                    AUX[k, X_PREV, i] = x
                if not math.isfinite(g2):
                    err[0] = ERR_GRAD2
                    err[1] = k
                    err[2] = t
                    return t
                loss_sum += loss
                if g2 > maxg2:
                    maxg2 = g2
                if ginf > maxginf:
                    maxginf = ginf
                inv_sqrt_t = 1.0 / math.sqrt(t)
                l103 += g1 * inv_sqrt_t
                big, b1t, alpha_t = learner_step(lspec, P, k, S, Z, X, G, H, V, t)
                if not math.isfinite(big):  # this round's step made theta_(t+1) non-finite
                    err[0] = ERR_ITERATE
                    err[1] = k
                    err[2] = t + 1
                    for i in range(d):
                        if not math.isfinite(X[k, i]):
                            err[3] = i
                            break
                    return t
                if big > maxstep:
                    maxstep = big
                neg = 0
                sb = 0.0
                s104 = 0.0
                inv_alpha_t = 1.0 / alpha_t
                for i in range(d):
                    h = H[k, i]
                    if h < AUX[k, X_HPREV, i]:
                        neg += 1
                    AUX[k, X_HPREV, i] = h
                    sb += h
                    delta = AUX[k, X_PREV, i] - X[k, i]
                    # Lemma 10.4's m_hat^2/sqrt(v_hat) = (Delta H) (Delta/alpha_t) when
                    # Delta = alpha_t m_hat/sqrt(v_hat), H = sqrt(v_hat)/alpha_t; in this order
                    # (m_hat times m_hat/sqrt(v_hat)) it does not overflow for large steps
                    s104 += (delta * h) * (delta * inv_alpha_t)
                l104 += s104 * inv_sqrt_t
                project(dspec, X, k, H, weighted)
                if neg > 0:
                    if gneg == 0.0:
                        firstneg = t
                    gneg += neg
                sumb1h += b1t * sb
                t += 1
            ACC[k, A_LOSS] = loss_sum
            ACC[k, A_MAXG2] = maxg2
            ACC[k, A_MAXGINF] = maxginf
            ACC[k, A_GNEG] = gneg
            ACC[k, A_MAXSTEP] = maxstep
            ACC[k, A_SUMB1H] = sumb1h
            ACC[k, A_L103] = l103
            ACC[k, A_FIRSTNEG] = firstneg
            ACC[k, A_L104] = l104
            _record(st, rec, k, c)
    return t


# Numba pickles every compiled signature into one cache index per function; a user's spec
# class from a script that another process cannot import would make that index unreadable.
# So only regretlab's own specs go through the cached kernel; user-registered ones use an
# uncached twin compiled from the same source (once per process).
_play_kernel = njit(_play_kernel_py)
_play_kernel_uncached = numba.njit(**{**JIT_OPTIONS, "cache": False})(_play_kernel_py)


def _kernel_for(*specs):
    own = all(type(s).__module__.split(".")[0] == "regretlab" for s in specs)
    return _play_kernel if own else _play_kernel_uncached


@numba.njit(inline="always", **JIT_OPTIONS)
def _record(st, rec, k, c):
    d = st.X.shape[1]
    AUX = st.AUX
    sg = 0.0
    sv = 0.0
    dinf = 0.0
    for i in range(d):
        sg += math.sqrt(AUX[k, X_N2, i])
        sv += math.sqrt(st.V[k, i])
        w = AUX[k, X_MAX, i] - AUX[k, X_MIN, i]
        if w > dinf:
            dinf = w
    d2 = 0.0  # the l2 norm of the ranges, scaled by their max so that huge iterates do not overflow it
    if dinf > 0.0:
        for i in range(d):
            w = (AUX[k, X_MAX, i] - AUX[k, X_MIN, i]) / dinf
            d2 += w * w
    R = rec.REC
    R[k, c, R_LOSS] = st.ACC[k, A_LOSS]
    R[k, c, R_SUM_GNORM] = sg
    R[k, c, R_SUM_SQRT_V] = sv
    R[k, c, R_SUM_B1H] = st.ACC[k, A_SUMB1H]
    R[k, c, R_MAX_G2] = math.sqrt(st.ACC[k, A_MAXG2])
    R[k, c, R_MAX_GINF] = st.ACC[k, A_MAXGINF]
    R[k, c, R_GNEG] = st.ACC[k, A_GNEG]
    R[k, c, R_MAX_STEP] = st.ACC[k, A_MAXSTEP]
    R[k, c, R_D_INF] = dinf
    R[k, c, R_D_2] = dinf * math.sqrt(d2)
    R[k, c, R_L103] = st.ACC[k, A_L103]
    R[k, c, R_FIRSTNEG] = st.ACC[k, A_FIRSTNEG]
    R[k, c, R_L104] = st.ACC[k, A_L104]
    for j in range(st.SUFF.shape[1]):
        rec.SUFF[k, c, j] = st.SUFF[k, j]
    if rec.THETA.shape[1] > 0:
        for i in range(d):
            rec.THETA[k, c, i] = st.X[k, i]


# ------------------------------------------------------------------------------- boundary

def default_checkpoints(T, n=200):
    """About ``n`` log-spaced rounds from 1 to T, always including T."""
    pts = np.unique(np.round(np.logspace(0.0, math.log10(T), n)).astype(np.int64)) if T > 1 else np.array([1])
    pts = pts[(pts >= 1) & (pts <= T)]
    if pts[-1] != T:
        pts = np.append(pts, T)
    return pts.astype(np.int64)


def _checkpoints(checkpoints, T):
    if checkpoints is None:
        return default_checkpoints(T)
    if isinstance(checkpoints, (int, np.integer)) and not isinstance(checkpoints, bool):
        n = V.integer("checkpoints", checkpoints, lo=1)
        return default_checkpoints(T, n)
    try:
        ck = np.asarray(checkpoints)
    except Exception:  # noqa: BLE001
        raise ValueError(f"checkpoints must be None, a count or a sequence of rounds, got {checkpoints!r}") from None
    if ck.ndim != 1 or ck.size == 0 or not (np.issubdtype(ck.dtype, np.integer) or
                                           (np.issubdtype(ck.dtype, np.floating) and np.all(ck == np.round(ck)))):
        raise ValueError(f"checkpoints must be a non-empty 1-d sequence of integer rounds, got {checkpoints!r}")
    ck = ck.astype(np.int64)
    if ck.min() < 1 or ck.max() > T:
        raise ValueError(f"checkpoints must lie in [1, T={T}], got values from {ck.min()} to {ck.max()}")
    ck = np.unique(ck)
    if ck[-1] != T:
        ck = np.append(ck, T)
    return ck


def _seeds(seed, seeds):
    if seeds is None:
        vals = [seed]
        name = "seed"
    else:
        if isinstance(seeds, (int, np.integer)):
            raise ValueError(f"seeds must be an iterable of seeds such as range({seeds}), got the integer {seeds}")
        try:
            vals = list(seeds)
        except TypeError:
            raise ValueError(f"seeds must be an iterable of non-negative integers such as range(8), "
                             f"got {seeds!r}") from None
        name = "seeds"
        if not vals:
            raise ValueError("seeds must contain at least one seed, got an empty sequence")
    out = []
    for s in vals:
        s = V.integer(name, s, lo=0, hi=2**64 - 1)
        out.append(s)
    return np.array(out, dtype=np.uint64)


def _check_learners(learners):
    if isinstance(learners, Learner):
        learners = [learners]
    learners = list(learners)
    if not learners:
        raise ValueError("learners must contain at least one learner")
    for L in learners:
        if not isinstance(L, Learner):
            raise ValueError(f"learner must be a regretlab learner (e.g. rl.Adam(...)), got {L!r}")
        if not is_registered("learner", L._spec()):
            raise ValueError(f"learner {L.name}: its spec {type(L._spec()).__name__} has no registered step; "
                             "call regretlab.register_learner(SpecClass, step) first")
    first = learners[0]
    for L in learners[1:]:
        # The spec's *type* carries the compiled modes (NamedTuple equality alone ignores the class).
        if type(L) is not type(first) or type(L._spec()) is not type(first._spec()) or \
                L._spec() != first._spec() or L.weighted_projection != first.weighted_projection:
            raise ValueError("a batch of learners must share the learner type and every non-numeric option "
                             f"(schedule, variants); got {first!r} and {L!r}")
    return learners


def _check_records(REC, a, b, ck, seeds_all, learners, n_seeds, stream):
    """Sums of finite per-round values can still overflow (sum g^2 for |g| ~ 1e153, a cumulative loss
    near 1e308): every recorded statistic must be finite, else the run stops naming where."""
    chunk = REC[:, a:b, :]
    bad = ~np.isfinite(chunk)
    if bad.any():
        k, c, j = (int(v) for v in np.argwhere(bad)[0])
        raise NonFiniteError(
            f"the running statistic {REC_NAMES[j]!r} overflowed by round {int(ck[a + c])}, seed "
            f"{int(seeds_all[k])} (found at a checkpoint), learner {learners[k // n_seeds]!r}, stream {stream!r}; no result was recorded")


def play(learner, stream, T, *, seed=0, seeds=None, x0=None, checkpoints=None, record_theta=None,
         chunks=1, progress=None):
    """Play ``learner`` against ``stream`` for T rounds and return the run(s).

    Parameters
    ----------
    learner : Learner
    stream : Stream
    T : int
        Horizon (>= 1; accepts integral floats such as 1e6).
    seed : int, optional
        The seed of a single run (default 0).  Ignored when ``seeds`` is given.
    seeds : iterable of int, optional
        Several seeds, played in one kernel call; returns :class:`Runs`.
    x0 : array_like, optional
        theta_1; default the stream's start.  Must lie in the stream's domain.
    checkpoints : None, int or sequence of int
        Rounds at which the regret and statistics are recorded; default about
        200 log-spaced rounds, always including T.
    record_theta : bool, optional
        Record the iterate at every checkpoint (default: when d <= 64).
    chunks : int
        Split the checkpoints into this many kernel calls (results are bit-identical).
    progress : callable, optional
        Called as ``progress(rounds_done, T)`` after each chunk.

    Returns
    -------
    Run or Runs

    Examples
    --------
    >>> import regretlab as rl
    >>> run = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(C=3.0), T=1000)
    >>> bool(run.regret[-1] > 600)
    True
    """
    results = play_many([learner], stream, T, seed=seed, seeds=seeds, x0=x0, checkpoints=checkpoints,
                        record_theta=record_theta, chunks=chunks, progress=progress)
    return results[0]


def play_many(learners, stream, T, *, seed=0, seeds=None, x0=None, checkpoints=None, record_theta=None,
              chunks=1, progress=None):
    """Play a batch of learners of one type (a hyperparameter grid) x seeds in one kernel call.

    Returns a list with one :class:`Run` (``seeds`` not given) or :class:`Runs` per learner.
    New hyperparameter values reuse the compiled kernel.
    """
    learners = _check_learners(learners)
    if not isinstance(stream, Stream):
        raise ValueError(f"stream must be a regretlab stream (e.g. rl.streams.reddi()), got {stream!r}")
    T = V.integer("T", T, lo=1, hi=T_MAX)
    if stream.horizon is not None and T > stream.horizon:
        raise ValueError(f"T = {T} exceeds the length of the stream's sequence ({stream.horizon} rounds)")
    seed_arr = _seeds(seed, seeds)
    ck = _checkpoints(checkpoints, T)
    chunks = V.integer("chunks", chunks, lo=1)
    x0 = stream.x0 if x0 is None else stream.domain.check_point("x0", x0)
    if record_theta is None:
        record_theta = stream.d <= 64
    game = _Game(learners, stream, seed_arr, x0, record_theta)
    rec = game.advance(ck, chunks=chunks, progress=progress, T=T)
    return game.runs(rec, ck, T, single=seeds is None)


class _Game:
    """A batch of trials (learners x seeds) in the middle of their game: the kernel state after
    round ``t - 1``, owned by Python, so that the game can be continued chunk by chunk (or
    copied and continued) with results bit-identical to one uninterrupted call."""

    def __init__(self, learners, stream, seed_arr, x0, record_theta):
        self.learners = list(learners)
        self.stream = stream
        self.seed_arr = np.asarray(seed_arr, dtype=np.uint64)
        self.x0 = np.asarray(x0, dtype=float)
        self.record_theta = bool(record_theta)
        L0 = self.learners[0]
        n_seeds = self.seed_arr.shape[0]
        n = len(self.learners) * n_seeds
        d = stream.d
        P = np.ascontiguousarray(np.repeat(np.array([L._params() for L in self.learners], dtype=np.float64).reshape(
            len(self.learners), -1), n_seeds, axis=0))
        if P.shape[1] == 0:
            P = np.zeros((n, 1))
        self.P = P
        self.seeds_all = np.tile(self.seed_arr, len(self.learners))
        self.st = _State(
            X=np.repeat(self.x0[None, :], n, axis=0).copy(),
            S=np.zeros((n, max(L0.n_slots, 1), d)),
            Z=np.zeros((n, max(L0.n_scalars, 1))),
            G=np.zeros((n, d)),
            H=np.zeros((n, d)),
            V=np.zeros((n, d)),
            AUX=np.zeros((n, N_AUX, d)),
            SUFF=np.zeros((n, stream.n_suff)),
            ACC=np.zeros((n, N_ACC)),
        )
        self.st.AUX[:, X_MIN, :] = self.x0
        self.st.AUX[:, X_MAX, :] = self.x0
        self.t = 1  # the next round to play

    @property
    def n_seeds(self):
        return self.seed_arr.shape[0]

    def _part(self, learners, seed_arr, rows):
        """A copy holding the trials ``rows`` (a slice or positions) of this game."""
        g = _Game.__new__(_Game)
        g.learners = list(learners)
        g.stream = self.stream
        g.seed_arr = np.array(seed_arr)
        g.x0 = self.x0
        g.record_theta = self.record_theta
        g.P = np.array(self.P[rows])
        g.seeds_all = np.array(self.seeds_all[rows])
        g.st = _State(*(np.array(a[rows]) for a in self.st))
        g.t = self.t
        return g

    def take(self, j):
        """The game of learner ``j`` alone (its seeds), as a copy: continuing it leaves this one as it is."""
        return self._part([self.learners[j]], self.seed_arr, slice(j * self.n_seeds, (j + 1) * self.n_seeds))

    def select(self, idx):
        """A copy of a single-learner game restricted to the seeds at positions ``idx``."""
        if len(self.learners) != 1:
            raise ValueError("select works on a single learner's game")
        idx = np.asarray(idx, dtype=np.int64)
        return self._part(self.learners, self.seed_arr[idx], idx)

    def copy(self):
        return self._part(self.learners, self.seed_arr, slice(None))

    def advance(self, ck, *, chunks=1, progress=None, T=None, deadline=None):
        """Play up to round ck[-1], recording the checkpoints ``ck`` (increasing, all >= self.t).

        Returns the records of the checkpoints played.  With ``deadline`` (a
        ``time.perf_counter()`` value) it stops after the first chunk that ends past it
        and returns the records of the checkpoints reached so far (check ``self.t``).
        """
        import time

        ck = np.asarray(ck, dtype=np.int64)
        if ck.size and ck[0] < self.t:
            raise ValueError(f"checkpoint {int(ck[0])} was already played (the game is at round {self.t})")
        stream, learners = self.stream, self.learners
        n = self.P.shape[0]
        d = stream.d
        nc = ck.shape[0]
        rec = _Records(REC=np.zeros((n, nc, N_REC)), SUFF=np.zeros((n, nc, stream.n_suff)),
                       THETA=np.zeros((n, nc if self.record_theta else 0, d)))
        err = np.zeros(4, dtype=np.int64)
        L0 = learners[0]
        lspec, sspec, dspec = L0._spec(), stream._spec(), stream.domain._spec()
        weighted = bool(L0.weighted_projection)
        kernel = _kernel_for(lspec, sspec, dspec)
        n_seeds = self.n_seeds
        T = int(ck[-1]) if T is None and nc else T
        bounds = np.linspace(0, nc, chunks + 1).round().astype(int)
        done = 0
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b <= a:
                continue
            t = kernel(lspec, sspec, dspec, weighted, self.P, self.seeds_all, self.st, rec, ck, int(a), int(b),
                       int(self.t), err)
            if err[0] != 0:
                k = int(err[1])
                L = learners[k // n_seeds]
                where = f" (coordinate {int(err[3])})" if err[0] in (ERR_GRAD, ERR_ITERATE) else ""
                rnd = int(err[2]) if err[0] != ERR_ITERATE else int(err[2]) - 1
                raise NonFiniteError(
                    f"{_ERR_CAUSE[int(err[0])]} became non-finite{where} at round {rnd}, seed "
                    f"{int(self.seeds_all[k])}, learner {L!r}, stream {stream!r}; no result was recorded")
            _check_records(rec.REC, a, b, ck, self.seeds_all, learners, n_seeds, stream)
            self.t = int(t)
            done = b
            if progress is not None:
                progress(int(ck[b - 1]), T)
            if deadline is not None and time.perf_counter() > deadline and b < nc:
                break
        if done == nc:
            bad = ~np.all(np.isfinite(self.st.X), axis=1)
            if bad.any():
                k = int(np.argmax(bad))
                raise NonFiniteError(
                    f"the iterate theta_(T+1) became non-finite at round {int(ck[-1])}, seed "
                    f"{int(self.seeds_all[k])}, learner {learners[k // n_seeds]!r}, stream {stream!r}; "
                    "no result was recorded")
            return rec
        return _Records(rec.REC[:, :done], rec.SUFF[:, :done], rec.THETA[:, :done] if self.record_theta
                        else rec.THETA)

    def runs(self, rec, ck, T, single=False):
        """One :class:`Run` or :class:`Runs` per learner from the records ``rec`` of checkpoints ``ck``."""
        from .runs import Run, Runs

        out = []
        n_seeds = self.n_seeds
        for j, L in enumerate(self.learners):
            sl = slice(j * n_seeds, (j + 1) * n_seeds)
            cls = Run if single else Runs
            game = self if len(self.learners) == 1 else self.take(j)
            out.append(cls._from_kernel(L, self.stream, T, self.seed_arr, ck, self.x0, rec.REC[sl], rec.SUFF[sl],
                                        rec.THETA[sl] if self.record_theta else None, game))
        return out


def continue_runs(runs, T, *, checkpoints=None, seconds=None, chunks=None):
    """Continue ``runs`` to horizon ``T``: a new Run or Runs, bit-identical to a fresh
    ``play(learner, stream, T, seeds=runs.seeds, checkpoints=runs.t + new)``.

    ``checkpoints``: the new rounds to record in (runs.T, T]; default the rounds of
    ``default_checkpoints(T)`` beyond runs.T.  ``seconds``: a wall-clock budget; the game is
    then played in chunks (at most 4096, of about 2^23 trial-rounds each) and stops at the end
    of the first chunk that finishes after the budget: the returned runs end there, at a
    checkpoint asked for or at the chunk's last round (which is then their horizon and last
    checkpoint).  Every round is played once: the kernel state at runs.T is copied and continued.
    """
    import time

    T = V.integer("T", T, lo=1, hi=T_MAX)
    if T <= runs.T:
        raise ValueError(f"T = {T} must exceed the horizon already played ({runs.T})")
    s = runs.stream
    if s.horizon is not None and T > s.horizon:
        raise ValueError(f"T = {T} exceeds the length of the stream's sequence ({s.horizon} rounds)")
    if runs._game is None:
        raise ValueError("these runs carry no game state to continue (they were loaded, not played)")
    if checkpoints is None:
        new = default_checkpoints(T)
        new = new[new > runs.T]
    else:
        new = _checkpoints(checkpoints, T)
        new = new[new > runs.T]
    if new.size == 0 or new[-1] != T:
        new = np.append(new, T).astype(np.int64)
    if seconds is not None:
        seconds = V.real("seconds", seconds, 0.0, math.inf, lo_open=True, hi_open=True)
    game = runs._game.copy()
    deadline = None if seconds is None else time.perf_counter() + seconds
    # the game is played in chunks of about 2^23 trial-rounds (a few tenths of a second), so that a time
    # budget is checked, and Ctrl-C is seen, between them: extra stops between the checkpoints asked for,
    # whose records are dropped (the rounds played are the same)
    step = max(2 ** 23 // max(game.P.shape[0], 1), (T - runs.T) // 4096, 1)  # at most 4096 stops
    extra = np.setdiff1d(np.arange(runs.T + step, T, step, dtype=np.int64), new)
    allck = np.union1d(new, extra).astype(np.int64)
    keep = np.isin(allck, new)
    new = allck
    chunks = new.size if chunks is None else chunks
    rec = game.advance(new, chunks=chunks, deadline=deadline)
    done = rec.REC.shape[1]
    if done == 0:
        return runs
    keep = keep[:done].copy()
    keep[-1] = True  # the round reached is the new horizon
    new = new[:done][keep]
    rec = _Records(rec.REC[:, keep], rec.SUFF[:, keep], rec.THETA[:, keep] if rec.THETA.shape[1] else rec.THETA)
    ck = np.concatenate([runs.t, new])
    REC = np.concatenate([runs._rec, rec.REC], axis=1)
    SUFF = np.concatenate([runs._suff, rec.SUFF], axis=1)
    THETA = None
    if runs._theta_path is not None:
        THETA = np.concatenate([runs._theta_path, rec.THETA], axis=1)
    cls = type(runs)
    return cls._from_kernel(runs.learner, s, int(new[-1]), runs._seeds, ck, runs.x0, REC, SUFF, THETA, game)


class _Scan:
    """Play a game forward from round 1 (or from a copied state), recording the rounds asked for:
    the replay that locates a first violating round."""

    def __init__(self, runs, seeds=None, game=None):
        idx = np.arange(runs.n_seeds) if seeds is None else np.asarray(seeds, dtype=np.int64)
        self.runs = runs
        self.game = _Game([runs.learner], runs.stream, runs._seeds[idx], runs.x0, False) if game is None else game

    def skip_to(self, t):
        """Play rounds up to t - 1 without recording them."""
        if t - 1 >= self.game.t:
            self.game.advance(np.array([t - 1], dtype=np.int64))

    def records(self, ck, with_comparator=True):
        """Play to ck[-1], recording the rounds ``ck``: a Runs over those rounds (without the comparator,
        and so without regret, when the claim does not need it)."""
        from .runs import Runs

        ck = np.asarray(ck, dtype=np.int64)
        rec = self.game.advance(ck)
        return Runs._from_kernel(self.runs.learner, self.runs.stream, int(ck[-1]), self.game.seed_arr, ck,
                                 self.runs.x0, rec.REC, rec.SUFF, None, self.game, keep_game=False,
                                 with_comparator=with_comparator)

    def block(self, t_to, with_comparator=True):
        """Play and record every round from the game's next round to ``t_to``."""
        return self.records(np.arange(self.game.t, t_to + 1, dtype=np.int64), with_comparator)
