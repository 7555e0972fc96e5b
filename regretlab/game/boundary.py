"""The boundary of a game: validate and canonicalise, allocate the state, call the kernel per chunk.

``play`` checks its arguments (a one-line ``ValueError`` naming the parameter, the value
and the valid range), allocates the named state of :mod:`regretlab.game.kernel`, calls the
compiled loop once per chunk of checkpoints (never per round), turns a non-finite value into
a :class:`NonFiniteError` naming the round and the seed, and hands the records to
:class:`regretlab.runs.Runs` (which computes the comparator from the sufficient statistics).
A :class:`Game` keeps the kernel state after the last round, so runs can be continued
(:func:`continue_runs`, ``Runs.extend``) or replayed from a copied state (:class:`Scan`).
"""
from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from .. import _validate as V
from .. import recorders as _recorders
from .._jit import PIN_CAP
from .._registry import batch_support, is_registered, reads_inv_step, recorder_info, sparse_support
from ..learners import Learner
from ..runs import Run, Runs
from ..streams import Stream
from .kernel import ERR_CAUSE, ERR_GRAD, ERR_ITERATE, ERR_TOUCHED, Records, State, kernel_for, own

#: the largest horizon: rounds stay exact in float64 (sqrt(t), 1/t) up to 2^53
T_MAX = 2**53


class NonFiniteError(ArithmeticError):
    """A loss, gradient or iterate became NaN or infinite; the message names the round and the seed."""


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
    arr = np.array(out, dtype=np.uint64)
    if arr.size > 1:
        u, counts = np.unique(arr, return_counts=True)
        if counts.max() > 1:
            raise ValueError(f"seeds must be distinct: seed {int(u[np.argmax(counts)])} appears "
                             f"{int(counts.max())} times (two runs of one seed are the same run)")
    return arr


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


#: the batch loop's range (measured by analysis/batch_crossover.py, reports/benchmarks_batch.md): the
#: trials of a round vectorise when there are enough of them, and the round's arrays stay in cache
BATCH_MIN_TRIALS, BATCH_MIN_TRIALS_D1, BATCH_MAX_CELLS = 64, 8, 1 << 16


def _batched(n, d, pinned=False):
    """Whether a dense game of n trials in d dimensions plays its rounds for all trials at once
    (:func:`regretlab.game.kernel._play_batch_kernel_py`) rather than trial after trial; both give the
    same numbers bit for bit, this is about speed only.  ``pinned``: whether the trial after trial
    alternative would be the pinned loop (d = 1 and enough rounds: :meth:`Game._pinnable`).

    On Reddi-like games the batch loop is faster from n = 64 trials at d <= 1000 while n d <= 2^16;
    at d = 1 from n = 8 against the plain trials-outer loop, but only from n = 64 against the pinned
    loop (which is 2-2.8x faster than the batch loop at n = 2, 1.2-1.4x at n = 8; at n = 32 the two
    are within 10 %).  Below that the trials-outer loop, which keeps a trial's scalars in registers
    and vectorises over d, is as fast or faster, and beyond it the arrays of a round leave the cache."""
    return n * d <= BATCH_MAX_CELLS and (n >= BATCH_MIN_TRIALS or (d == 1 and not pinned and n >= BATCH_MIN_TRIALS_D1))


#: how long one call of the compiled loop plays (seconds, measured on the previous call): Ctrl-C is
#: answered within about this time; the first call plays CALL_UPDATES coordinate updates
CALL_SECONDS, CALL_UPDATES = 0.25, 1 << 22


@contextlib.contextmanager
def _deferred_interrupt():
    """Within the block, SIGINT (Ctrl-C; a Jupyter kernel's interrupt) only appends to the list it
    yields, so that the caller raises ``KeyboardInterrupt`` where its state is whole.  Only in the
    main thread and where SIGINT has Python's default handler; elsewhere the list stays empty and
    signals act as before."""
    import signal
    import threading

    hit = []
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield hit
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: hit.append(signum))
    try:
        yield hit
    finally:
        signal.signal(signal.SIGINT, previous)


#: the fewest trial-rounds (trials x rounds of one call) the pinned loop plays: it compiles 20-40 %
#: longer than the trials-outer loop (seconds, once per specialisation and compile cache) and saves
#: about 20 ns per trial-round, so below 10^6 trial-rounds (a saving under ~25 ms) the trials-outer
#: loop plays; both give the same numbers bit for bit
PIN_MIN_ROUNDS = 10 ** 6


def _check_records(rec, names, a, b, ck, seeds_all, learners, n_seeds, stream):
    """Sums of finite per-round values can still overflow (sum g^2 for |g| ~ 1e153, a cumulative loss
    near 1e308): every recorded statistic must be finite, else the run stops naming where."""
    # one array of every recorded value, fields in the order of a record, so that the first bad
    # value (trial, then checkpoint, then field) is the one named
    labels = ["loss"] + [nm for group in names for nm in group]
    chunk = np.concatenate([rec.loss[:, a:b, None]] + [F[:, a:b, :] for F in rec.fields], axis=2)
    rank = {f: i for i, f in enumerate(("loss",) + _recorders.FIELD_ORDER)}
    order = sorted(range(len(labels)), key=lambda j: rank.get(labels[j], len(rank)))
    bad = ~np.isfinite(chunk[:, :, order])
    if bad.any():
        k, c, j = (int(v) for v in np.argwhere(bad)[0])
        raise NonFiniteError(
            f"the running statistic {labels[order[j]]!r} overflowed by round {int(ck[a + c])}, seed "
            f"{int(seeds_all[k])} (found at a checkpoint), learner {learners[k // n_seeds]!r}, stream {stream!r}; "
            "no result was recorded")


def play(learner, stream, T, *, seed=0, seeds=None, x0=None, checkpoints=None, record_theta=None,
         record="bounds", chunks=1, progress=None, sparse=None, allow_large=False):
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
    record : {"bounds", "regret"} or tuple of recorders
        The statistics accumulated in the loop (:mod:`regretlab.recorders`): ``"bounds"``
        (default) every statistic of ``regretlab.bounds``; ``"regret"`` only the regret curve
        (the cumulative loss and the comparator), the fastest; or a tuple of recorder specs,
        built-in (``rl.recorders.BOUNDS + (MyRecorder(),)``) or registered with
        :func:`regretlab.register_recorder`.
    chunks : int
        Split the checkpoints into this many kernel calls (results are bit-identical).
    progress : callable, optional
        Called as ``progress(rounds_done, T)`` after each chunk.
    sparse : None, True or False
        Rounds in O(nnz) on a sparse stream (``sparse_linear``, ``sparse_logistic``, CSR data): the loop
        touches only the coordinates a round's gradient touches and brings the others up to date
        at checkpoints.  Exact (the records and the state equal the dense loop's; lazy Adam's
        ``sum_beta1_h`` to 1e-13) for the learners whose untouched coordinates stay put: OGD,
        AdaGrad and lazy Adam, on a box or R^d with the built-in recorders.  RMSProp and Adam with
        beta1 = 0 catch v up by a power of beta2 (to 1e-13 of the dense loop, which multiplies
        round by round), with ``sparse=True`` and a recording without ``StepSizeGrowth`` (their H
        decays between touches).  None (default): whenever the game allows it with the dense
        loop's rounding; True: whenever it can at all, else a ValueError naming what does not
        allow it; False: the dense loop, O(d) per round.
    allow_large : bool
        Play a game whose state and records (estimated before anything is allocated) would take
        more than half the memory available; one that cannot fit at all is refused always.

    Returns
    -------
    Run or Runs

    Examples
    --------
    >>> import regretlab as rl
    >>> run = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(C=3.0), T=1000)
    >>> bool(run.regret[-1] > 600)
    True
    >>> lean = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(C=3.0), T=1000, record="regret")
    >>> bool(lean.regret[-1] == run.regret[-1]), sorted(lean.records)
    (True, [])
    """
    results = play_many([learner], stream, T, seed=seed, seeds=seeds, x0=x0, checkpoints=checkpoints,
                        record_theta=record_theta, record=record, chunks=chunks, progress=progress, sparse=sparse,
                        allow_large=allow_large)
    return results[0]


def play_many(learners, stream, T, *, seed=0, seeds=None, x0=None, checkpoints=None, record_theta=None,
              record="bounds", chunks=1, progress=None, sparse=None, allow_large=False):
    """Play a batch of learners of one type (a hyperparameter grid) x seeds in one kernel call.

    Returns a list with one :class:`Run` (``seeds`` not given) or :class:`Runs` per learner.
    New hyperparameter values reuse the compiled kernel.  Parameters as :func:`play`.
    """
    learners = _check_learners(learners)
    if not isinstance(stream, Stream):
        raise ValueError(f"stream must be a regretlab stream (e.g. rl.streams.reddi()), got {stream!r}")
    T = V.integer("T", T, lo=1, hi=T_MAX)
    if stream.horizon is not None and T > stream.horizon:
        raise ValueError(f"T = {T} exceeds the length of the stream's sequence ({stream.horizon} rounds)")
    ck = _checkpoints(checkpoints, T)
    chunks = V.integer("chunks", chunks, lo=1)
    recs = _recorders.resolve(record)
    if record_theta is None:
        record_theta = stream.d <= 64
    sized = seeds is None or (hasattr(seeds, "__len__") and not isinstance(seeds, (int, np.integer)))
    if sized:  # checked before the seeds are read (range(10**12) is never listed)
        _fits(len(learners) * (1 if seeds is None else len(seeds)), stream, ck.shape[0], recs, record_theta,
              allow_large)
    seed_arr = _seeds(seed, seeds)
    if not sized:
        _fits(len(learners) * seed_arr.shape[0], stream, ck.shape[0], recs, record_theta, allow_large)
    x0 = stream.x0 if x0 is None else stream.domain.check_point("x0", x0)
    game = Game(learners, stream, seed_arr, x0, record_theta, recs, sparse=sparse)
    rec = game.advance(ck, chunks=chunks, progress=progress, T=T)
    return game.runs(rec, ck, T, single=seeds is None)


def _fits(n, stream, nc, recs, record_theta, allow_large=False):
    """Refuse, before allocating, a game whose state and records cannot fit in memory (or, unless
    ``allow_large``, would take more than half of it): per trial the state (about a dozen rows of d)
    and per checkpoint the loss, the comparator's statistics, the recorded fields and
    (``record_theta``) the iterate; twice that for the runs made from them."""
    V.fits_in_memory(f"a game of {n} trial(s) x d = {stream.d} recorded at {nc} checkpoints",
                     game_bytes(n, stream, nc, recs, record_theta),
                     "use fewer seeds, checkpoints or learners, record_theta=False, or several calls",
                     large=None if allow_large else "allow_large=True")


def game_bytes(n, stream, nc, recs, record_theta):
    """The estimate of :func:`_fits`: bytes of a game of n trials on ``stream`` recorded at nc checkpoints."""
    d = stream.d
    fields = sum(len(recorder_info(r).fields) for r in recs)
    per_trial = 16 * d + nc * (1 + stream.n_suff + fields + (d if record_theta else 0))
    return 2 * 8 * n * per_trial


def _rows(a, rows):
    """A copy of the trials ``rows`` of an array, or of every array of a (named) tuple of them."""
    if isinstance(a, tuple):
        parts = [_rows(x, rows) for x in a]
        return type(a)(*parts) if hasattr(a, "_fields") else tuple(parts)
    return np.array(a[rows])


def _sparse_mode(sparse, learners, stream, recorders):
    """Whether a game plays its rounds in O(nnz): ``sparse`` None (when it can, with the dense loop's
    rounding), True (when it can at all; else a ValueError naming why) or False."""
    if sparse is not None and not isinstance(sparse, (bool, np.bool_)):
        raise ValueError(f"sparse must be None (automatic), True or False, got {sparse!r}")
    if sparse is not None and not sparse:
        return False
    L0 = learners[0]
    why, exact = sparse_support(L0._spec(), stream._spec(), stream.domain._spec(), recorders,
                                bool(L0.weighted_projection))
    why += [w for w in dict.fromkeys(L._sparse_blocker() for L in learners) if w]
    if stream.max_touched is None and not why:
        why = ["the stream does not say how many coordinates a round touches (its max_touched)"]
    if sparse and why:
        raise ValueError(f"sparse=True: {L0!r} on {stream!r} cannot play in O(nnz) per round: {'; '.join(why)}")
    return not why and (exact or bool(sparse))


class Game:
    """A batch of trials (learners x seeds) in the middle of their game: the kernel state after
    round ``t - 1``, owned by Python, so that the game can be continued chunk by chunk (or
    copied and continued) with results bit-identical to one uninterrupted call.

    ``recorders``: the tuple of recorder specs the game carries (fixed for its whole length)."""

    def __init__(self, learners, stream, seed_arr, x0, record_theta, recorders=_recorders.BOUNDS, sparse=None):
        self.learners = list(learners)
        self.stream = stream
        self.seed_arr = np.asarray(seed_arr, dtype=np.uint64)
        self.x0 = np.asarray(x0, dtype=float)
        self.record_theta = bool(record_theta)
        self.recorders = tuple(recorders)
        L0 = self.learners[0]
        n_seeds = self.seed_arr.shape[0]
        n = len(self.learners) * n_seeds
        d = stream.d
        self.P = type(L0).batch_params(self.learners, n_seeds)
        S, Z = L0.allocate(n, d)
        self.seeds_all = np.tile(self.seed_arr, len(self.learners))
        infos = [recorder_info(r) for r in self.recorders]
        coords = []
        for info in infos:
            C = np.zeros((n, len(info.coords), d))
            for name, start in info.coord_start.items():
                C[:, info.coords.index(name), :] = self.x0 if isinstance(start, str) else float(start)
            coords.append(C)
        self.st = State(
            theta=np.repeat(self.x0[None, :], n, axis=0).copy(),
            slots=S,
            scalars=Z,
            grad=np.zeros((n, d)),
            inv_step=np.zeros((n, d)),
            vhat=np.zeros((n, d)),
            suff=np.zeros((n, stream.n_suff)),
            loss=np.zeros(n),
            acc=tuple(np.zeros((n, info.n_acc)) for info in infos),
            coords=tuple(coords),
            touched=np.zeros((n, 0), dtype=np.int64),
            n_touched=np.zeros(n, dtype=np.int64),
            last=np.zeros((n, 0), dtype=np.int64),
        )
        self.sparse = _sparse_mode(sparse, self.learners, stream, self.recorders)
        if self.sparse:
            self.st = self.st._replace(touched=np.zeros((n, stream.max_touched), dtype=np.int64),
                                       last=np.zeros((n, d), dtype=np.int64))
        self.t = 1  # the next round to play

    @property
    def n_seeds(self):
        return self.seed_arr.shape[0]

    def field_names(self):
        """Per recorder, the names of the fields it records."""
        return tuple(recorder_info(r).fields for r in self.recorders)

    def final(self):
        """The per-coordinate rows the recorders expose after the last round played, and v_hat."""
        out = {"vhat": np.array(self.st.vhat)}
        for r, C in zip(self.recorders, self.st.coords):
            info = recorder_info(r)
            for name, row in info.final.items():
                out[name] = np.array(C[:, info.coords.index(row), :])
        return out

    def _part(self, learners, seed_arr, rows):
        """A copy holding the trials ``rows`` (a slice or positions) of this game."""
        g = Game.__new__(Game)
        g.learners = list(learners)
        g.stream = self.stream
        g.seed_arr = np.array(seed_arr)
        g.x0 = self.x0
        g.record_theta = self.record_theta
        g.recorders = self.recorders
        g.sparse = self.sparse
        g.P = np.array(self.P[rows])
        g.seeds_all = np.array(self.seeds_all[rows])
        g.st = _rows(self.st, rows)
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

    def _pinnable(self, lspec, sspec, dspec, rounds):
        """Whether this dense game plays :func:`regretlab.game.kernel._play_pinned_kernel_py`: one
        coordinate, regretlab's own components (theirs use the trial index only to index the arrays
        they are given, which pinning needs), every trial's row of the state within
        :data:`regretlab._jit.PIN_CAP` elements, and at least :data:`PIN_MIN_ROUNDS` trial-rounds to
        play (``rounds`` rounds for each trial)."""
        st = self.st
        rows = [self.P, st.slots, st.scalars, st.suff, *st.coords]
        return (st.theta.shape[1] == 1 and st.theta.shape[0] * rounds >= PIN_MIN_ROUNDS
                and own((lspec, sspec, dspec, *self.recorders))
                and all(a.size <= PIN_CAP * a.shape[0] for a in rows))

    def _records(self, nc):
        n, d = self.st.theta.shape
        return Records(loss=np.zeros((n, nc)), suff=np.zeros((n, nc, self.stream.n_suff)),
                       theta=np.zeros((n, nc if self.record_theta else 0, d)),
                       fields=tuple(np.zeros((n, nc, len(f))) for f in self.field_names()))

    def _raise_if_failed(self, err):
        """The error a kernel call reported in ``err`` (cause, trial, round, coordinate), if any."""
        if err[0] == 0:
            return
        stream = self.stream
        if err[0] == ERR_TOUCHED:
            k, rnd, m = int(err[1]), int(err[2]), int(err[3])
            what = (f"reported m = {m} touched coordinates (max_touched = {self.st.touched.shape[1]})"
                    if m >= 0 else
                    f"wrote the touched coordinates {self.st.touched[k, :-m].tolist()} (not strictly increasing "
                    f"in [0, {self.st.theta.shape[1]}))")
            raise ValueError(f"stream {stream!r}: its sparse round {rnd} (seed {int(self.seeds_all[k])}) {what}; "
                             "a touch function must write at most max_touched distinct coordinates in increasing "
                             "order and return their number (see regretlab.register_stream); no result was "
                             "recorded")
        k = int(err[1])
        L = self.learners[k // self.n_seeds]
        where = f" (coordinate {int(err[3])})" if err[0] in (ERR_GRAD, ERR_ITERATE) else ""
        rnd = int(err[2]) if err[0] != ERR_ITERATE else int(err[2]) - 1
        raise NonFiniteError(
            f"{ERR_CAUSE[int(err[0])]} became non-finite{where} at round {rnd}, seed "
            f"{int(self.seeds_all[k])}, learner {L!r}, stream {stream!r}; no result was recorded")

    def nbytes(self):
        """Bytes of this game's state arrays (what :meth:`copy` allocates)."""
        arrays = [self.P, self.seeds_all]
        stack = [self.st]
        while stack:
            a = stack.pop()
            if isinstance(a, tuple):
                stack.extend(a)
            elif isinstance(a, np.ndarray):
                arrays.append(a)
        return int(sum(a.nbytes for a in arrays))

    def advance(self, ck, *, chunks=1, progress=None, T=None, deadline=None, after_chunk=None):
        """Play up to round ck[-1], recording the checkpoints ``ck`` (increasing, all >= self.t).

        Returns the records of the checkpoints played.  With ``deadline`` (a
        ``time.perf_counter()`` value) it stops after the first chunk that ends past it
        and returns the records of the checkpoints reached so far (check ``self.t``).
        ``after_chunk(b)`` is called after each chunk, whose last checkpoint is ``ck[b - 1]``, has
        been played and its records checked (the game is then at round ``ck[b - 1] + 1``).

        The compiled loop is called for about :data:`CALL_SECONDS` at a time (stopping, where a
        chunk is longer, at rounds between its checkpoints whose records are dropped; a sparse game
        at its checkpoints only), so that Ctrl-C is seen within about that time: SIGINT during the call is held until the call has
        returned and the game's state is whole, then raised as ``KeyboardInterrupt`` (the game is
        at a round it has fully played; no records of this call are returned).
        """
        ck = np.asarray(ck, dtype=np.int64)
        if ck.size and ck[0] < self.t:
            raise ValueError(f"checkpoint {int(ck[0])} was already played (the game is at round {self.t})")
        stream, learners = self.stream, self.learners
        nc = ck.shape[0]
        rec = self._records(nc)
        names = self.field_names()
        err = np.zeros(4, dtype=np.int64)
        L0 = learners[0]
        lspec, sspec, dspec = L0._spec(), stream._spec(), stream.domain._spec()
        weighted = bool(L0.weighted_projection)
        pinnable = (not self.sparse and nc > 0
                    and self._pinnable(lspec, sspec, dspec, int(ck[-1]) - self.t + 1))
        batch = (not self.sparse and _batched(*self.st.theta.shape, pinned=pinnable)
                 and not batch_support(lspec, sspec, dspec))
        pinned = pinnable and not batch
        kernel = kernel_for(lspec, sspec, dspec, *self.recorders, sparse=self.sparse, batch=batch, pinned=pinned)
        lead = (lspec, sspec, dspec) if self.sparse else (lspec, sspec, dspec, weighted)
        if pinned:  # H is written back only where something reads it
            lead += (self.st.inv_step if weighted or reads_inv_step(self.recorders) else (),)
        n_seeds = self.n_seeds
        T = int(ck[-1]) if T is None and nc else T
        bounds = np.linspace(0, nc, chunks + 1).round().astype(int)
        n, d = self.st.theta.shape
        width = n * (self.st.touched.shape[1] if self.sparse else d)  # coordinate updates per round
        # a stop between checkpoints (its records dropped) leaves a dense game's numbers as they are; a
        # sparse game syncs its accumulators (and catches its coordinates up) at every stop, which can move
        # the last bits, so it stops at its checkpoints only (each call then plays to the next one)
        stops = not self.sparse
        budget = max(CALL_UPDATES // max(width, 1), 1)  # rounds per kernel call: the first call's
        scratch = None
        done = 0
        with _deferred_interrupt() as interrupted:
            for a, b in zip(bounds[:-1], bounds[1:]):
                if b <= a:
                    continue
                c = a
                while c < b:
                    last = self.t + budget - 1  # the last round this call may play
                    if ck[c] <= last or not stops:  # the checkpoints c .. c1 - 1 of this chunk (at least c)
                        c1 = max(c + 1, min(b, int(np.searchsorted(ck, last, side="right"))))
                        args = (rec, ck, c, c1)
                    else:  # a stop at round `last`, short of checkpoint c
                        if scratch is None:
                            scratch = self._records(1)
                        c1 = c
                        args = (scratch, np.array([last], dtype=np.int64), 0, 1)
                    t0 = self.t
                    started = time.perf_counter()
                    t = kernel(*lead, self.recorders, self.P, self.seeds_all, self.st, args[0], args[1],
                               args[2], args[3], int(self.t), err)
                    elapsed = time.perf_counter() - started
                    self._raise_if_failed(err)
                    self.t = int(t)
                    c = c1
                    if elapsed > 0:  # the next call takes about CALL_SECONDS
                        rate = (self.t - t0) / elapsed
                        budget = int(min(max(rate * CALL_SECONDS, budget / 4, 1), budget * 8, T_MAX))
                    if interrupted:
                        raise KeyboardInterrupt(f"interrupted at round {self.t - 1} of {T} (Ctrl-C); nothing of "
                                                "this call was recorded")
                    if progress is not None and c < b:
                        progress(self.t - 1, T)
                _check_records(rec, names, a, b, ck, self.seeds_all, learners, n_seeds, stream)
                done = b
                if after_chunk is not None:
                    after_chunk(b)
                if progress is not None:
                    progress(int(ck[b - 1]), T)
                if deadline is not None and time.perf_counter() > deadline and b < nc:
                    break
            if interrupted:  # (a Ctrl-C after the last call)
                raise KeyboardInterrupt(f"interrupted at round {self.t - 1} of {T} (Ctrl-C); nothing of this call "
                                        "was recorded")
        if done == nc:
            bad = ~np.all(np.isfinite(self.st.theta), axis=1)
            if bad.any():
                k = int(np.argmax(bad))
                raise NonFiniteError(
                    f"the iterate theta_(T+1) became non-finite at round {int(ck[-1])}, seed "
                    f"{int(self.seeds_all[k])}, learner {learners[k // n_seeds]!r}, stream {stream!r}; "
                    "no result was recorded")
            return rec
        return _select(rec, slice(0, done))

    def named(self, rec, rows=slice(None)):
        """The recorded fields of ``rec`` by name (trials ``rows``): {name: (n, nc) array}, the default
        recording's fields in :data:`regretlab.recorders.FIELD_ORDER`, then the others as recorded."""
        out = {}
        for names, F in zip(self.field_names(), rec.fields):
            for j, name in enumerate(names):
                out[name] = F[rows, :, j]
        rank = {f: i for i, f in enumerate(_recorders.FIELD_ORDER)}
        return dict(sorted(out.items(), key=lambda kv: rank.get(kv[0], len(rank))))

    def runs(self, rec, ck, T, single=False):
        """One :class:`Run` or :class:`Runs` per learner from the records ``rec`` of checkpoints ``ck``."""
        out = []
        n_seeds = self.n_seeds
        for j, L in enumerate(self.learners):
            sl = slice(j * n_seeds, (j + 1) * n_seeds)
            cls = Run if single else Runs
            game = self if len(self.learners) == 1 else self.take(j)
            out.append(cls._from_kernel(L, self.stream, T, self.seed_arr, ck, self.x0, rec.loss[sl], self.named(rec, sl),
                                        rec.suff[sl], rec.theta[sl] if self.record_theta else None, game))
        return out

    def extend(self, runs, T, *, checkpoints=None, seconds=None):
        """``runs`` (played by this game) continued to horizon T: see :func:`continue_runs`."""
        return continue_runs(runs, T, checkpoints=checkpoints, seconds=seconds)


def _select(rec, cols):
    """The records of the checkpoints ``cols`` (a slice or a boolean mask)."""
    return Records(rec.loss[:, cols], rec.suff[:, cols], rec.theta[:, cols] if rec.theta.shape[1] else rec.theta,
                   tuple(F[:, cols] for F in rec.fields))


#: bytes a continued run may keep of replay anchors (records and state copies at its stops, :class:`Anchors`)
ANCHOR_BYTES = 2 ** 24
#: the most stops a continuation with anchors makes (each is a kernel call and a state copy)
ANCHOR_STOPS = 2 ** 14
#: the fewest trial-rounds between two of those stops (2^16: about a millisecond of play per kernel call)
ANCHOR_MIN_ROUNDS = 2 ** 16


class Anchors:
    """Rounds at which a game being continued stopped, with their records and copies of the state after them:
    where a replay (:class:`Scan`, :func:`regretlab.verification.locate`) can start instead of round 1.

    A continued game plays in chunks and stops at their ends anyway (:func:`continue_runs`); each anchor is
    one such stop, so a game continued from its state plays bit-identically to the original.  ``rounds``
    (m,) int64; ``rec`` the :class:`~regretlab.game.kernel.Records` of those rounds (without iterates);
    ``states`` {position: Game} the state after ``rounds[position]`` for every position (records are kept
    only where a state is), of the trials ``rows`` of those games (None: all; :meth:`state` returns a
    copy, so playing it on leaves these).
    """

    def __init__(self, rounds, rec, states, rows=None):
        self.rounds = np.asarray(rounds, dtype=np.int64)
        self.rec = rec
        self.states = dict(states)
        self.rows = rows

    @staticmethod
    def bytes_per(game):
        """Bytes of one anchor of ``game``: a copy of its state and one round's records."""
        n = game.st.theta.shape[0]
        return game.nbytes() + 8 * n * (1 + game.stream.n_suff + sum(len(f) for f in game.field_names()))

    @staticmethod
    def stride(n_stops, game):
        """Keep every stride-th of ``n_stops`` stops so that their records and states fit in ANCHOR_BYTES
        (0: not even one fits)."""
        per = Anchors.bytes_per(game)
        if per > ANCHOR_BYTES:
            return 0
        return max(1, -(-n_stops * per // ANCHOR_BYTES))

    @staticmethod
    def records(rec, cols):
        """The records ``rec`` of the columns ``cols`` without the iterates (a new, empty theta: no view
        keeps the continuation's iterate records alive)."""
        n, _, d = rec.theta.shape
        return Records(np.array(rec.loss[:, cols]), np.array(rec.suff[:, cols]), np.empty((n, 0, d)),
                       tuple(np.array(F[:, cols]) for F in rec.fields))

    def state(self, k):
        """A copy of the state after ``rounds[k]`` (of the trials ``rows``)."""
        g = self.states[k]
        return g.copy() if self.rows is None else g.select(self.rows)

    def select(self, idx):
        """The anchors of the trials at positions ``idx`` (a single learner's game; states selected when used)."""
        idx = np.asarray(idx, dtype=np.int64)
        r = self.rec
        rec = Records(r.loss[idx], r.suff[idx], np.empty((idx.size,) + r.theta.shape[1:]),
                      tuple(F[idx] for F in r.fields))
        return Anchors(self.rounds, rec, self.states, idx if self.rows is None else self.rows[idx])

    def before(self, t):
        """The anchors at rounds < t."""
        m = int(np.searchsorted(self.rounds, t, side="left"))
        return Anchors(self.rounds[:m], Anchors.records(self.rec, slice(0, m)),
                       {k: g for k, g in self.states.items() if k < m}, self.rows)

    def then(self, later):
        """These anchors followed by ``later`` (of the same game, at later rounds), thinned to ANCHOR_BYTES."""
        off = self.rounds.size
        rounds = np.concatenate([self.rounds, later.rounds])
        rec = Records(np.concatenate([self.rec.loss, later.rec.loss], axis=1),
                      np.concatenate([self.rec.suff, later.rec.suff], axis=1), later.rec.theta,
                      tuple(np.concatenate([a, b], axis=1) for a, b in zip(self.rec.fields, later.rec.fields)))
        states = dict(self.states)
        states.update({k + off: g for k, g in later.states.items()})
        out = Anchors(rounds, rec, states)
        if not states:
            return out
        k = Anchors.stride(rounds.size, next(iter(states.values())))
        if k > 1:  # keep every k-th (the last among them)
            keep = np.arange(rounds.size - 1, -1, -k)[::-1]
            out = Anchors(rounds[keep], Anchors.records(rec, keep),
                          {j: states[p] for j, p in enumerate(keep) if p in states})
        return out

    def state_after(self, lo, hi):
        """(round a, a copy of the state after it) of the latest anchor state with lo <= a < hi; None if none."""
        j = int(np.searchsorted(self.rounds, hi, side="left")) - 1  # the last anchor before hi
        return (int(self.rounds[j]), self.state(j)) if j >= 0 and self.rounds[j] >= lo else None


def continue_runs(runs, T, *, checkpoints=None, seconds=None, chunks=None, anchors=False):
    """Continue ``runs`` to horizon ``T``: a new Run or Runs, bit-identical to a fresh
    ``play(learner, stream, T, seeds=runs.seeds, checkpoints=runs.t + new)``.

    ``checkpoints``: the new rounds to record in (runs.T, T]; default the rounds of
    ``default_checkpoints(T)`` beyond runs.T.  ``seconds``: a wall-clock budget; the game is
    then played in chunks (at most 4096, of about 2^23 trial-rounds each) and stops at the end
    of the first chunk that finishes after the budget: the returned runs end there, at a
    checkpoint asked for or at the chunk's last round (which is then their horizon and last
    checkpoint).  Every round is played once: the kernel state at runs.T is copied and continued.
    ``anchors``: keep the records of every stop and copies of the state after it (within
    :data:`ANCHOR_BYTES`, every k-th where they do not all fit) on the returned runs, after those
    ``runs`` kept (:class:`Anchors`): a replay then starts at the latest one instead of round 1.
    """
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
    # budget is checked between them and the run can end at one: extra checkpoints between those asked
    # for, whose records are dropped unless one is the new horizon (the rounds played are the same)
    trials = max(game.seeds_all.shape[0], 1)
    step = max(2 ** 23 // trials, (T - runs.T) // 4096, 1)  # at most 4096 stops
    if anchors and not game.sparse:
        # an anchor certifies the replay next to it only over (L - R)/(G D) rounds: as many stops as
        # ANCHOR_BYTES holds (at most ANCHOR_STOPS), each at least ANCHOR_MIN_ROUNDS trial-rounds long
        fit = min(ANCHOR_BYTES // Anchors.bytes_per(game), ANCHOR_STOPS)
        if fit:
            step = max(ANCHOR_MIN_ROUNDS // trials, (T - runs.T) // fit, 1)
    extra = np.setdiff1d(np.arange(runs.T + step, T, step, dtype=np.int64), new)
    allck = np.union1d(new, extra).astype(np.int64)
    keep = np.isin(allck, new)
    new = allck
    chunks = new.size if chunks is None else chunks
    states = {}
    after_chunk = None
    if anchors:
        stride = Anchors.stride(chunks, game)
        stop_at = np.linspace(0, new.size, chunks + 1).round().astype(int)
        from_end = {int(b): j for j, b in enumerate(stop_at[:0:-1])}  # chunk ends counted from the last

        def after_chunk(b):  # every stride-th stop, the horizon's among them
            if stride and from_end[b] % stride == 0:
                states[b - 1] = game.copy()
    rec = game.advance(new, chunks=chunks, deadline=deadline, after_chunk=after_chunk)
    done = rec.loss.shape[1]
    if done == 0:
        return runs
    held = None
    if anchors:  # the stops kept, after those ``runs`` kept
        held = runs._anchors
        cols = np.array(sorted(states), dtype=np.int64)
        if cols.size:
            fresh = Anchors(new[cols], Anchors.records(rec, cols), {j: states[int(c)] for j, c in enumerate(cols)})
            held = fresh if held is None else held.then(fresh)
    keep = keep[:done].copy()
    keep[-1] = True  # the round reached is the new horizon
    new = new[:done][keep]
    rec = _select(rec, keep)
    ck = np.concatenate([runs.t, new])
    loss = np.concatenate([runs._loss, rec.loss], axis=1)
    named = game.named(rec)
    fields = {k: np.concatenate([runs._records[k], named[k]], axis=1) for k in named}
    SUFF = np.concatenate([runs._suff, rec.suff], axis=1)
    THETA = None
    if runs._theta_path is not None:
        THETA = np.concatenate([runs._theta_path, rec.theta], axis=1)
    cls = type(runs)
    out = cls._from_kernel(runs.learner, s, int(new[-1]), runs._seeds, ck, runs.x0, loss, fields, SUFF, THETA, game)
    out._anchors = held
    return out


class Scan:
    """Play a game forward from round 1 (or from a copied state), recording the rounds asked for:
    the replay that locates a first violating round.  It records what ``runs`` recorded."""

    def __init__(self, runs, seeds=None, game=None):
        idx = np.arange(runs.n_seeds) if seeds is None else np.asarray(seeds, dtype=np.int64)
        self.runs = runs
        if game is None:
            recs = runs._game.recorders if runs._game is not None else _recorders.BOUNDS
            sparse = runs._game.sparse if runs._game is not None else None
            game = Game([runs.learner], runs.stream, runs._seeds[idx], runs.x0, False, recs, sparse=sparse)
        self.game = game

    def skip_to(self, t):
        """Play rounds up to t - 1 without recording them."""
        if t - 1 >= self.game.t:
            self.game.advance(np.array([t - 1], dtype=np.int64))

    def records(self, ck, with_comparator=True):
        """Play to ck[-1], recording the rounds ``ck``: a Runs over those rounds (without the comparator,
        and so without regret, when the claim does not need it)."""
        ck = np.asarray(ck, dtype=np.int64)
        rec = self.game.advance(ck)
        return Runs._from_kernel(self.runs.learner, self.runs.stream, int(ck[-1]), self.game.seed_arr, ck,
                                 self.runs.x0, rec.loss, self.game.named(rec), rec.suff, None, self.game,
                                 keep_game=False, with_comparator=with_comparator)

    def block(self, t_to, with_comparator=True):
        """Play and record every round from the game's next round to ``t_to``."""
        return self.records(np.arange(self.game.t, t_to + 1, dtype=np.int64), with_comparator)
