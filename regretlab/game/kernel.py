"""The one compiled loop of a game, and the named arrays it reads and writes.

Every round of every trial (a trial is one seed x one hyperparameter set) does: the
stream's loss and gradient at theta_t (which also adds the round's comparator sufficient
statistics), the finiteness checks, the recorders' ``observe``, the learner's step, the
recorders' ``after_step``, and the projection.  At each checkpoint it writes the cumulative
loss, the sufficient statistics, the iterate and each recorder's ``snapshot``.

The loop knows no statistic by name: the recorders are a tuple of spec objects walked at
compile time (``regretlab._registry.observe_all`` and friends), their scalar accumulators a
tuple of floats carried in registers over a chunk of rounds.  All state lives in arrays owned
by Python (:class:`State`), so a game can be continued chunk by chunk with bit-identical results.

Four loops: the trials-outer loop (:func:`_play_kernel_py`, one trial's rounds after another,
which keeps a trial's scalars in registers: the fastest for one trial); its form for one
coordinate (:func:`_play_pinned_kernel_py`, with the whole state of a trial in registers); the
batch loop (:func:`_play_batch_kernel_py`, the trials of a round together on arrays with the
trials last, vectorised across them: games of several trials whose learner, stream and domain
have batch forms); and the sparse loop (:func:`_play_sparse_kernel_py`, O(nnz) per round).  All
four give the same numbers bit for bit.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from .._jit import JIT_OPTIONS, borrow, inline, njit, pin, unpin
from .._registry import after_step_all, after_step_batch_all, after_step_touched_all, learner_batch, learner_refresh, learner_step, \
    learner_touch, load_all, observe_all, observe_batch_all, observe_touched_all, project, project_batch, \
    project_touched, rec_aos, rec_soa, snapshot_all, snapshot_batch_all, store_all, stream_batch, stream_round, \
    stream_touch, sync_all, trials_first, trials_last

ERR_LOSS, ERR_GRAD, ERR_ITERATE, ERR_GRAD2, ERR_TOUCHED = 1, 2, 3, 4, 5
ERR_CAUSE = {ERR_LOSS: "the loss f_t(theta_t)", ERR_GRAD: "the gradient", ERR_ITERATE: "the iterate theta_t",
             ERR_GRAD2: "the squared gradient norm (|g| above ~1e154 overflows g^2, which every adaptive "
                        "learner and bound statistic needs)"}


class State(NamedTuple):
    """The game of n trials after round t - 1 (arrays owned by Python; the kernel updates them in place)."""

    theta: np.ndarray  # (n, d) theta_t
    slots: np.ndarray  # (n, slots, d) the learner's per-coordinate state (named by its State fields)
    scalars: np.ndarray  # (n, scalars) the learner's per-trial state (named by its State fields)
    grad: np.ndarray  # (n, d) g_t
    inv_step: np.ndarray  # (n, d) H_t, the learner's per-coordinate inverse step size (left unwritten by a
    #                       pinned game in which nothing reads it: _play_pinned_kernel_py)
    vhat: np.ndarray  # (n, d) the learner's second-moment estimate (0 without one)
    suff: np.ndarray  # (n, n_suff) the comparator's sufficient statistics of rounds 1..t-1
    loss: np.ndarray  # (n,) cumulative loss of rounds 1..t-1
    acc: tuple  # per recorder: (n, n_acc) scalar accumulators
    coords: tuple  # per recorder: (n, n_coords, d) per-coordinate rows
    touched: np.ndarray  # (n, max_touched) a sparse game's coordinates touched at round t - 1 ((n, 0) dense)
    n_touched: np.ndarray  # (n,) how many (int64)
    last: np.ndarray  # (n, d) a sparse game's round at which each coordinate's state is current ((n, 0) dense)


class Records(NamedTuple):
    """What a kernel call writes at its checkpoints."""

    loss: np.ndarray  # (n, nc) cumulative loss
    suff: np.ndarray  # (n, nc, n_suff)
    theta: np.ndarray  # (n, nc, d), or (n, 0, d) when not recorded
    fields: tuple  # per recorder: (n, nc, n_fields)


@inline
def _fail(err, cause, k, t, i):
    """Report a non-finite value: its cause, trial, round and (for a gradient or iterate) coordinate."""
    err[0] = cause
    err[1] = k
    err[2] = t
    err[3] = i


@inline
def _bad_round(err, loss, G, X, k, t):
    """Whether trial k's round t has a non-finite value: the loss, then each coordinate's gradient and
    iterate, then the squared gradient norm; the first one found goes into ``err``."""
    if not math.isfinite(loss):
        _fail(err, ERR_LOSS, k, t, 0)
        return True
    g2 = 0.0
    for i in range(X.shape[1]):
        g = G[k, i]
        x = X[k, i]
        if not (math.isfinite(g) and math.isfinite(x)):
            _fail(err, ERR_GRAD if math.isfinite(x) else ERR_ITERATE, k, t, i)
            return True
        g2 += g * g
    if not math.isfinite(g2):
        _fail(err, ERR_GRAD2, k, t, 0)
        return True
    return False


def _play_kernel_py(lspec, sspec, dspec, weighted, recs, P, seeds, st, rec, ck, c0, c1, t0, err):
    """Play rounds t0 .. ck[c1-1] for every trial, recording checkpoints c0 .. c1-1.

    Returns the next round to play.  On a non-finite value it fills
    ``err = (cause, trial, round, coordinate)`` and returns early.

    Trials are the outer loop so that each trial's cumulative loss and the recorders'
    accumulators live in registers for a whole chunk (measured: keeping them in arrays and
    reloading them every round cost about a third of the per-round time).
    """
    n = st.theta.shape[0]
    d = st.theta.shape[1]
    # the learner's, stream's, domain's and recorders' functions are compiled on their own and inlined
    # by LLVM (regretlab._registry._always_inline): they get borrowed views, which no reference count
    # follows (regretlab._jit.borrow); this call owns the arrays throughout
    X, G, H, V, S, Z, SUFF, RC, OUT = borrow((st.theta, st.grad, st.inv_step, st.vhat, st.slots, st.scalars,
                                              st.suff, st.coords, rec.fields))
    lspec, sspec, dspec, P = borrow((lspec, sspec, dspec, P))
    t = t0
    for k in range(n):
        seed = seeds[k]
        loss_sum = st.loss[k]
        accs = load_all(recs, st.acc, k)
        t = t0
        for c in range(c0, c1):
            t_end = ck[c]
            while t <= t_end:
                loss = stream_round(sspec, seed, t, X, k, G, SUFF)
                if _bad_round(err, loss, G, X, k, t):
                    return t
                loss_sum += loss
                accs = observe_all(recs, accs, RC, k, t, X, G)
                big, b1t, alpha_t = learner_step(lspec, P, k, S, Z, X, G, H, V, t)
                if not math.isfinite(big):  # this round's step made theta_(t+1) non-finite
                    _fail(err, ERR_ITERATE, k, t + 1, 0)
                    for i in range(d):
                        if not math.isfinite(X[k, i]):
                            err[3] = i
                            break
                    return t
                accs = after_step_all(recs, accs, RC, k, t, X, H, V, big, b1t, alpha_t)
                project(dspec, X, k, H, weighted)
                t += 1
            st.loss[k] = loss_sum
            store_all(recs, st.acc, k, accs)
            rec.loss[k, c] = loss_sum
            for j in range(SUFF.shape[1]):
                rec.suff[k, c, j] = SUFF[k, j]
            if rec.theta.shape[1] > 0:
                for i in range(d):
                    rec.theta[k, c, i] = X[k, i]
            snapshot_all(recs, accs, RC, k, X, V, OUT, c)
    return t


def _play_pinned_kernel_py(lspec, sspec, dspec, weighted, HK, recs, P, seeds, st, rec, ck, c0, c1, t0, err):
    """The loop of :func:`_play_kernel_py` for a game of one coordinate (d = 1): each trial's rows of the
    state are pinned (:func:`regretlab._jit.pin`), so that they live in registers instead of making a
    store and a load every round, and written back at every checkpoint and exit.  The same calls on
    the same values as :func:`_play_kernel_py`, bit for bit; the learner's, stream's, domain's and
    recorders' functions see trial k's rows as rows 0 of arrays (1, ..., 1) (and P's row k as row 0).

    ``HK`` is ``st.inv_step`` when a recorder or the projection reads H, else ``()``: then H is not
    written back, and LLVM drops its computation (a division per round) as dead code.
    """
    X, G, H, V, S, Z, SUFF, RC, OUT = borrow((st.theta, st.grad, st.inv_step, st.vhat, st.slots, st.scalars,
                                              st.suff, st.coords, rec.fields))  # as _play_kernel_py
    lspec, sspec, dspec, P = borrow((lspec, sspec, dspec, P))
    t = t0
    for k in range(X.shape[0]):
        seed = seeds[k]
        loss_sum = st.loss[k]
        accs = load_all(recs, st.acc, k)
        p = pin(P, k)
        x, g, h, v, s, z, suff = pin((X, G, H, V, S, Z, SUFF), k)
        rc = pin(RC, k)
        t = t0
        for c in range(c0, c1):
            t_end = ck[c]
            while t <= t_end:
                loss = stream_round(sspec, seed, t, x, 0, g, suff)
                if _bad_round(err, loss, g, x, 0, t):
                    err[1] = k
                    break
                loss_sum += loss
                accs = observe_all(recs, accs, rc, 0, t, x, g)
                big, b1t, alpha_t = learner_step(lspec, p, 0, s, z, x, g, h, v, t)
                if not math.isfinite(big):  # this round's step made theta_(t+1) (one coordinate) non-finite
                    _fail(err, ERR_ITERATE, k, t + 1, 0)
                    break
                accs = after_step_all(recs, accs, rc, 0, t, x, h, v, big, b1t, alpha_t)
                project(dspec, x, 0, h, weighted)
                t += 1
            unpin((x, g, v, s, z, suff), (X, G, V, S, Z, SUFF), k)
            unpin(h, HK, k)
            unpin(rc, RC, k)
            if err[0] != 0:
                return t
            st.loss[k] = loss_sum
            store_all(recs, st.acc, k, accs)
            rec.loss[k, c] = loss_sum
            for j in range(SUFF.shape[1]):
                rec.suff[k, c, j] = SUFF[k, j]
            if rec.theta.shape[1] > 0:
                rec.theta[k, c, 0] = X[k, 0]
            snapshot_all(recs, accs, RC, k, X, V, OUT, c)
    return t


def _play_sparse_kernel_py(lspec, sspec, dspec, recs, P, seeds, st, rec, ck, c0, c1, t0, err):
    """The loop of :func:`_play_kernel_py` for a sparse game, in O(nnz) per round.

    A sparse game is one whose stream, learner, domain and recorders all have sparse forms (see
    :func:`regretlab._registry.sparse_support`): a round touches the coordinates IDX[k, :m] only
    (g_{t,i} = 0 elsewhere) and the learner leaves the others' iterate and state unchanged.  Per
    round the loop clears the previous round's gradient entries, plays the stream's touched
    round, checks the touched values, brings the touched coordinates' H, V to round t - 1
    (``learner_refresh``), runs the recorders' and the learner's touched forms and projects the
    touched coordinates.  At each checkpoint it refreshes every coordinate (O(d)) and lets the
    recorders sync, so the state and the records there are the dense loop's.
    """
    n = st.theta.shape[0]
    d = st.theta.shape[1]
    NT = st.n_touched
    LAST = st.last
    X, G, H, V, S, Z, SUFF, RC, IDX, OUT = borrow((st.theta, st.grad, st.inv_step, st.vhat, st.slots, st.scalars,
                                                   st.suff, st.coords, st.touched, rec.fields))  # as _play_kernel_py
    lspec, sspec, dspec, P = borrow((lspec, sspec, dspec, P))
    t = t0
    for k in range(n):
        seed = seeds[k]
        loss_sum = st.loss[k]
        accs = load_all(recs, st.acc, k)
        t = t0
        for c in range(c0, c1):
            t_end = ck[c]
            while t <= t_end:
                # only the coordinates the previous round touched can have moved: the first non-finite
                # one is reported where the dense loop's check of every coordinate would find it
                bad = -1
                for j in range(NT[k]):
                    if not math.isfinite(X[k, IDX[k, j]]):
                        bad = IDX[k, j]
                        break
                for j in range(NT[k]):
                    G[k, IDX[k, j]] = 0.0
                loss, m = stream_touch(sspec, seed, t, X, k, G, SUFF, IDX)
                # the stream's contract (register_stream), checked before any index is used: err[3] is m,
                # or the position j of the first index out of order or out of range
                if m < 0 or m > IDX.shape[1]:
                    _fail(err, ERR_TOUCHED, k, t, m)
                    return t
                prev = -1
                for j in range(m):
                    i = IDX[k, j]
                    if i <= prev or i >= d:
                        _fail(err, ERR_TOUCHED, k, t, -1 - j)
                        return t
                    prev = i
                NT[k] = m
                if not math.isfinite(loss):
                    _fail(err, ERR_LOSS, k, t, 0)
                    return t
                g2 = 0.0
                for j in range(m):
                    i = IDX[k, j]
                    if 0 <= bad < i:
                        break
                    g = G[k, i]
                    x = X[k, i]
                    if not (math.isfinite(g) and math.isfinite(x)):
                        _fail(err, ERR_GRAD if math.isfinite(x) else ERR_ITERATE, k, t, i)
                        return t
                    g2 += g * g
                if bad >= 0:
                    _fail(err, ERR_ITERATE, k, t, bad)
                    return t
                if not math.isfinite(g2):
                    _fail(err, ERR_GRAD2, k, t, 0)
                    return t
                loss_sum += loss
                if t > 1:
                    for j in range(m):
                        i = IDX[k, j]
                        learner_refresh(lspec, P, k, S, Z, H, V, t - 1, i, LAST[k, i])
                accs = observe_touched_all(recs, accs, RC, k, t, X, G, H, IDX, m)
                big, b1t, alpha_t = learner_touch(lspec, P, k, S, Z, X, G, H, V, t, IDX, m)
                if not math.isfinite(big):
                    _fail(err, ERR_ITERATE, k, t + 1, 0)
                    for j in range(m):
                        if not math.isfinite(X[k, IDX[k, j]]):
                            err[3] = IDX[k, j]
                            break
                    return t
                accs = after_step_touched_all(recs, accs, RC, k, t, X, H, V, big, b1t, alpha_t, IDX, m)
                project_touched(dspec, X, k, IDX, m)
                for j in range(m):
                    LAST[k, IDX[k, j]] = t
                t += 1
            for i in range(d):
                learner_refresh(lspec, P, k, S, Z, H, V, t - 1, i, LAST[k, i])
                LAST[k, i] = t - 1
            accs = sync_all(recs, accs, RC, k, X, H, V, IDX, NT[k])
            st.loss[k] = loss_sum
            store_all(recs, st.acc, k, accs)
            rec.loss[k, c] = loss_sum
            for j in range(SUFF.shape[1]):
                rec.suff[k, c, j] = SUFF[k, j]
            if rec.theta.shape[1] > 0:
                for i in range(d):
                    rec.theta[k, c, i] = X[k, i]
            snapshot_all(recs, accs, RC, k, X, V, OUT, c)
    return t


@njit
def _first_failure(err, RL, G, X, t):
    """Fill ``err`` with the first non-finite value of round t in the order of :func:`_play_kernel_py`'s
    checks (:func:`_bad_round`, trial by trial), on arrays with the trials last; returns whether there
    is one."""
    for k in range(X.shape[1]):
        if _bad_round(err, RL[k], G.T, X.T, k, t):
            return True
    return False


@njit
def _put_back(st, X, G, H, V, S, Z, SUFF, owners):
    """Copy the trials-last state back into the game's arrays (the recorders' rows: ``rec_aos``).

    ``owners``: the arrays the loop reads only through borrowed views.  Numba frees an array
    after its last use, and a borrowed view does not count: passing them to this call (compiled
    on its own, so that the argument is not optimised away), at the exit, keeps them alive
    until then."""
    trials_first(X, st.theta)
    trials_first(G, st.grad)
    trials_first(H, st.inv_step)
    trials_first(V, st.vhat)
    trials_first(S, st.slots)
    trials_first(Z, st.scalars)
    trials_first(SUFF, st.suff)


def _play_batch_kernel_py(lspec, sspec, dspec, weighted, recs, P, seeds, st, rec, ck, c0, c1, t0, err):
    """The loop of :func:`_play_kernel_py` with the trials inside the rounds, for n > 1 trials of a game
    whose learner, stream and domain have batch forms (``regretlab._registry.batch_support``).

    The state is copied to arrays with the trial index last (structure of arrays: X[i, k]) on
    entry and back at its one exit.  Per round the stream's, the learner's, the domain's and the
    recorders' batch forms play all trials at once, so that the trials' independent chains of
    divisions and square roots overlap and vectorise, and the per-round scalars (the stream's
    round of a deterministic stream, sqrt(t)) are computed once.  The finiteness checks are one
    vectorised test per round; only when it fails does :func:`_first_failure` look for the
    culprit.  (A recorder without batch forms runs trial by trial on transposed views.)  Each
    trial does exactly the arithmetic of the trials-outer loop, so the records are bit-identical
    to it (and to single runs, other batchings and chunkings).  Of several non-finite values it
    reports the earliest round's (its first trial's), where the trials-outer loop reports the
    first trial's (its earliest round's); either way the game stops with no result recorded.
    """
    n = st.theta.shape[0]
    d = st.theta.shape[1]
    X = trials_last(st.theta)
    G = trials_last(st.grad)
    H = trials_last(st.inv_step)
    V = trials_last(st.vhat)
    S = trials_last(st.slots)
    Z = trials_last(st.scalars)
    SUFF = trials_last(st.suff)
    PT = trials_last(P)
    RA, RC = rec_soa(recs, st.acc, st.coords)
    RL = np.zeros(n)  # the round's loss of each trial
    G2 = np.zeros(n)
    OUT = np.zeros((3, n))  # the learner's (max |Delta|, beta1_t, alpha_t) of each trial
    W = np.zeros((4, n))  # the recorders' scratch
    # borrowed views for the registered functions (see _play_kernel_py)
    Xb, Gb, Hb, Vb, Sb, Zb, SUFFb, RLb, OUTb, Wb, RAb, RCb = borrow((X, G, H, V, S, Z, SUFF, RL, OUT, W, RA, RC))
    FIELDS, LOSS = borrow((rec.fields, st.loss))
    lspec, sspec, dspec, PTb = borrow((lspec, sspec, dspec, PT))
    t = t0
    stop = False
    for c in range(c0, c1):
        t_end = ck[c]
        while t <= t_end:
            stream_batch(sspec, seeds, t, Xb, Gb, SUFFb, RLb)
            bad = False
            for k in range(n):
                G2[k] = 0.0
            for i in range(d):
                for k in range(n):
                    g = G[i, k]
                    G2[k] += g * g
                    bad |= not math.isfinite(X[i, k])
            for k in range(n):
                bad |= not (math.isfinite(RL[k]) & math.isfinite(G2[k]))
            if bad and _first_failure(err, RL, G, X, t):
                stop = True
                break
            for k in range(n):
                LOSS[k] += RL[k]
            observe_batch_all(recs, RAb, RCb, t, Xb, Gb, Wb)
            learner_batch(lspec, PTb, Sb, Zb, Xb, Gb, Hb, Vb, t, OUTb)
            bad = False
            for k in range(n):
                bad |= not math.isfinite(OUT[0, k])
            if bad:
                for k in range(n):
                    if not math.isfinite(OUT[0, k]):  # this round's step made theta_(t+1) non-finite
                        _fail(err, ERR_ITERATE, k, t + 1, 0)
                        for i in range(d):
                            if not math.isfinite(X[i, k]):
                                err[3] = i
                                break
                        break
                stop = True
                break
            after_step_batch_all(recs, RAb, RCb, t, Xb, Hb, Vb, OUTb, Wb)
            project_batch(dspec, Xb, Hb, weighted)
            t += 1
        if stop:
            break
        for k in range(n):
            rec.loss[k, c] = LOSS[k]
            for j in range(SUFF.shape[0]):
                rec.suff[k, c, j] = SUFF[j, k]
            if rec.theta.shape[1] > 0:
                for i in range(d):
                    rec.theta[k, c, i] = X[i, k]
        snapshot_batch_all(recs, RAb, RCb, Xb, Vb, FIELDS, c)
    rec_aos(recs, st.acc, st.coords, RA, RC)
    _put_back(st, X, G, H, V, S, Z, SUFF, (PT, W))
    return t


# Numba pickles every compiled signature into one cache index per function; a user's spec
# class from a script that another process cannot import would make that index unreadable.
# So only regretlab's own specs go through the cached kernel; user-registered ones use an
# uncached twin compiled from the same source (once per process).
_play_kernel = njit(_play_kernel_py)
_play_kernel_uncached = numba.njit(**{**JIT_OPTIONS, "cache": False})(_play_kernel_py)
_play_pinned_kernel = njit(_play_pinned_kernel_py)
_play_pinned_kernel_uncached = numba.njit(**{**JIT_OPTIONS, "cache": False})(_play_pinned_kernel_py)
_play_sparse_kernel = njit(_play_sparse_kernel_py)
_play_sparse_kernel_uncached = numba.njit(**{**JIT_OPTIONS, "cache": False})(_play_sparse_kernel_py)
_play_batch_kernel = njit(_play_batch_kernel_py)
_play_batch_kernel_uncached = numba.njit(**{**JIT_OPTIONS, "cache": False})(_play_batch_kernel_py)


def dispatchers():
    """Every kernel of this module (the cached ones and their uncached twins), for counting what was compiled."""
    return (_play_kernel, _play_kernel_uncached, _play_pinned_kernel, _play_pinned_kernel_uncached, _play_sparse_kernel,
            _play_sparse_kernel_uncached, _play_batch_kernel, _play_batch_kernel_uncached)


def own(specs):
    """Whether every spec is one of regretlab's own (whose kernels are cached on disk)."""
    return all(type(s).__module__.split(".")[0] == "regretlab" for s in specs)


def kernel_for(*specs, sparse=False, batch=False, pinned=False):
    """The cached kernel (dense, sparse, batch or pinned) when every spec is regretlab's own, else the
    uncached twin."""
    own_ = own(specs)
    if pinned:
        return _play_pinned_kernel if own_ else _play_pinned_kernel_uncached
    if sparse:
        return _play_sparse_kernel if own_ else _play_sparse_kernel_uncached
    if batch:
        return _play_batch_kernel if own_ else _play_batch_kernel_uncached
    return _play_kernel if own_ else _play_kernel_uncached
