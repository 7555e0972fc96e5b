"""Run records: the regret curve and the statistics every bound needs, per checkpoint.

A :class:`Runs` holds several seeds (leading axis); a :class:`Run` is one seed and
returns the same arrays without that axis.  Everything here is data: the
comparator was computed from the recorded sufficient statistics
(``regretlab.hindsight``), nothing is replayed.
"""
from __future__ import annotations

import numpy as np

from .hindsight import comparator


class Runs:
    """Several seeds of one learner on one stream.

    Attributes
    ----------
    learner, stream, T
    seeds : ndarray of uint64, shape (n_seeds,)
    t : ndarray of int64
        Checkpoint rounds (increasing, ending at T).
    loss : (n_seeds, len(t))
        Cumulative loss sum_{s<=t} f_s(theta_s).
    best_loss : (n_seeds, len(t))
        min_{theta in domain} sum_{s<=t} f_s(theta) (exact closed forms, THEORY.md section 8).
    best_gap : (n_seeds, len(t))
        Optimality certificate of ``best_loss``: an upper bound on best_loss minus the true
        minimum (duality or Frank-Wolfe gap; 0 for closed forms).  The regret carries it
        as its error bar: the true R(t) lies in [regret, regret + best_gap].
    regret : (n_seeds, len(t))
        R(t) = loss - best_loss.
    theta : (n_seeds, d)
        The final iterate theta_{T+1}.
    best_theta : (n_seeds, d)
        The comparator's minimiser over rounds 1..T.
    theta_path : (n_seeds, len(t), d) or None
        The iterate theta_{t+1} after each checkpoint round (when recorded).
    records : dict of (n_seeds, len(t)) arrays
        What the run's recorders wrote at each checkpoint (``play(..., record=...)``,
        :mod:`regretlab.recorders`; empty for ``record="regret"``).  The default recording:
        ``sum_g_norm`` = sum_i ||g_{1:t,i}||_2; ``sum_sqrt_vhat`` = sum_i sqrt(v_hat_{t,i});
        ``sum_beta1_h`` = sum_{s<=t} sum_i beta1_s H_{s,i} (H = sqrt(v_hat)/alpha_s for
        Adam with eps = 0); ``max_g_2``, ``max_g_inf``: largest observed gradient norms;
        ``gamma_neg``: number of (s, i) with Gamma_{s,i} = H_{s,i} - H_{s-1,i} < 0;
        ``first_gamma_neg``: first such round (0: none); ``max_step``: max_s ||Delta_s||_inf
        (before projection); ``spread_inf``, ``spread_2``: max_i and l2 norm of the
        per-coordinate iterate ranges over theta_1..theta_t (spread_inf is the exact
        l_inf diameter of the iterates, spread_2 an upper bound of the l2 one);
        ``lemma_10_3_lhs`` = sum_i sum_{s<=t} |g_{s,i}|/sqrt(s).
    stats : dict
        The same as ``records``.
    final : dict of (n_seeds, d) arrays
        Per coordinate at T: ``vhat`` and the recorders' final rows (by default ``sum_g2``
        (sum_s g_{s,i}^2), ``theta_min``, ``theta_max``).
    """

    _squeeze = False
    #: records and state copies at rounds a continued game stopped at (game.boundary.Anchors): where a
    #: replay locating a first violating round starts instead of round 1; None when not kept
    _anchors = None

    @classmethod
    def _from_kernel(cls, learner, stream, T, seeds, ck, x0, LOSS, records, SUFF, THETA, game, keep_game=True,
                     with_comparator=True):
        """Runs from a game's records: ``LOSS`` (n, nc), ``records`` {field: (n, nc)}, ``SUFF``
        (n, nc, n_suff), ``THETA`` (n, nc, d) or None; ``game`` the state after round T."""
        self = cls.__new__(cls)
        self.learner = learner
        self.stream = stream
        self.T = int(T)
        self._seeds = np.array(seeds, dtype=np.uint64)
        self.t = np.array(ck, dtype=np.int64)
        self.x0 = np.array(x0)
        self._loss = np.asarray(LOSS)
        if with_comparator:
            best, theta_best, gap = comparator(stream, SUFF, self.t, seeds)
        else:  # a replay block for a claim that does not read the regret (no solver runs)
            shape = self._loss.shape
            best, gap = np.full(shape, np.nan), np.full(shape, np.nan)
            theta_best = np.full(shape + (stream.d,), np.nan)
        self._best_loss = np.asarray(best, dtype=float)
        self._best_gap = np.asarray(gap, dtype=float)
        self._best_theta = np.array(theta_best[:, -1, :])
        self._suff = np.asarray(SUFF)
        di = getattr(stream, "dyn_index", None)
        self._dyn_best = None if di is None else np.array(SUFF[:, :, di])
        self._theta = np.array(game.st.theta)
        self._theta_path = None if THETA is None else np.asarray(THETA)
        self._records = dict(records)
        self._final = game.final()
        #: the kernel state after round T (continue with :meth:`extend`); None when not kept
        self._game = game if keep_game else None
        return self

    def extend(self, T, *, checkpoints=None, seconds=None):
        """Continue the game to horizon ``T`` (> self.T) and return the longer runs.

        Bit-identical to a fresh ``rl.play(learner, stream, T, seeds=self.seeds,
        checkpoints=...)`` whose checkpoints are this run's followed by the new ones:
        the game is a pure function of (seed, t), and the kernel state at round
        self.T is copied and played on, so no round is played twice.

        Parameters
        ----------
        T : int
            The new horizon.
        checkpoints : sequence of int, optional
            Rounds in (self.T, T] to record; default those of
            ``default_checkpoints(T)`` beyond self.T (the same density).
        seconds : float, optional
            A wall-clock budget: the game stops at the first checkpoint reached after
            it, and the returned runs end there (their ``T`` says where).

        Examples
        --------
        >>> import regretlab as rl
        >>> L, s = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0)
        >>> short = rl.play(L, s, 1000, seeds=range(2))
        >>> longer = short.extend(10**4)
        >>> fresh = rl.play(L, s, 10**4, seeds=range(2), checkpoints=longer.t)
        >>> bool((longer.regret == fresh.regret).all())
        True
        """
        if self._game is None:
            raise ValueError("these runs carry no game state to continue (they were loaded, not played)")
        return self._game.extend(self, T, checkpoints=checkpoints, seconds=seconds)

    # -- shape handling: a Run drops the seed axis
    def _o(self, a):
        return None if a is None else (a[0] if self._squeeze else a)

    @property
    def seeds(self):
        return self._seeds

    @property
    def seed(self):
        return int(self._seeds[0])

    @property
    def n_seeds(self):
        return self._seeds.shape[0]

    @property
    def d(self):
        return self.stream.d

    @property
    def loss(self):
        return self._o(self._loss)

    @property
    def best_loss(self):
        return self._o(self._best_loss)

    @property
    def best_gap(self):
        return self._o(self._best_gap)

    @property
    def regret(self):
        return self._o(self._loss - self._best_loss)

    @property
    def dynamic_regret(self):
        """Dynamic regret against the per-round minimisers: loss - sum_{s<=t} min_theta f_s(theta).

        None for streams whose per-round minimum has no closed form; +inf on an
        unbounded domain with linear losses.  Always >= the static regret."""
        if self._dyn_best is None:
            return None
        return self._o(self._loss - self._dyn_best)

    def dynamic_regret_path(self, P):
        """Dynamic regret against comparator sequences of l1 path length <= P (linear losses on a box).

        Needs the gradient of every round: a ``linear`` (replayed) stream, or a run recorded with
        a checkpoint at every round.  Returns (regret, certificate), shaped like ``regret``.
        """
        from .hindsight import best_path_length

        s = self.stream
        if s.family != "linear":
            raise ValueError(f"path-length comparators are implemented for linear losses, not {s.family}")
        d = s.d
        if s.name == "linear":
            G_all = [s._spec().grads[: self.T]] * self.n_seeds
        elif self.t.size == self.T:
            G_all = [np.diff(np.concatenate([np.zeros((1, d)), self._suff[k, :, :d]]), axis=0)
                     for k in range(self.n_seeds)]
        else:
            raise ValueError("this run did not record every round's gradient: play it with "
                             "checkpoints=np.arange(1, T + 1), or use a linear (replayed) stream")
        vals = np.empty_like(self._loss)
        gaps = np.empty_like(self._loss)
        for k in range(self.n_seeds):
            vals[k], gaps[k] = best_path_length(G_all[k], s.domain, P, self.t)
        return self._o(self._loss - vals), self._o(gaps)

    @property
    def theta(self):
        return self._o(self._theta)

    @property
    def best_theta(self):
        return self._o(self._best_theta)

    @property
    def theta_path(self):
        return self._o(self._theta_path)

    @property
    def suff(self):
        return self._o(self._suff)

    @property
    def learner_state(self):
        """The learner's named state after round T (its ``State`` NamedTuple: (n_seeds, d) per
        coordinate, (n_seeds,) per trial; without the seed axis for a Run), or None when not kept."""
        if self._game is None:
            return None
        st = self.learner.state_of(self._game.st.slots, self._game.st.scalars)
        return type(st)(*(self._o(np.array(a)) for a in st))

    @property
    def records(self):
        """The recorded statistics by field name, shape (n_seeds, len(t)) each: what the run's
        recorders wrote at each checkpoint (``play(..., record=...)``, :mod:`regretlab.recorders`)."""
        return {k: self._o(v) for k, v in self._records.items()}

    @property
    def stats(self):
        """The same as :attr:`records` (the name used before recorders were pluggable)."""
        return self.records

    def record(self, name, *, needed_by=None):
        """One recorded field (n_seeds, len(t)), or a ValueError saying how to record it."""
        return self._o(self._field(name, needed_by))

    def _field(self, name, needed_by=None, final=False):
        table = self._final if final else self._records
        if name not in table:
            who = f"{needed_by} needs" if needed_by else "needs"
            raise ValueError(f"{who} the statistic {name!r}, which this run did not record: play it with "
                             f"record=\"bounds\" (the default) or a recorder writing {name!r} "
                             f"(recorded: {sorted(self._records) or 'only the regret'})")
        return table[name]

    @property
    def final(self):
        return {k: self._o(v) for k, v in self._final.items()}

    def __len__(self):
        return self.n_seeds

    def __getitem__(self, i):
        """The run of the i-th seed."""
        if not -self.n_seeds <= i < self.n_seeds:
            raise IndexError(f"seed index {i} out of range for {self.n_seeds} seeds")
        i = i % self.n_seeds
        r = Run.__new__(Run)
        r.__dict__.update(self.__dict__)
        for name in ("_seeds", "_loss", "_best_loss", "_best_gap", "_best_theta", "_suff", "_theta"):
            setattr(r, name, getattr(self, name)[i:i + 1])
        r._dyn_best = None if self._dyn_best is None else self._dyn_best[i:i + 1]
        r._theta_path = None if self._theta_path is None else self._theta_path[i:i + 1]
        r._records = {k: v[i:i + 1] for k, v in self._records.items()}
        r._final = {k: v[i:i + 1] for k, v in self._final.items()}
        r._game = None if self._game is None else self._game.select([i])
        r._anchors = None if self._anchors is None else self._anchors.select([i])
        return r

    def __iter__(self):
        return (self[i] for i in range(self.n_seeds))

    def __repr__(self):
        kind = "Run" if self._squeeze else f"Runs[{self.n_seeds} seeds]"
        R = self._loss[:, -1] - self._best_loss[:, -1]
        return f"<{kind} {self.learner!r} vs {self.stream!r}, T={self.T}, R(T)={np.mean(R):.6g}>"

    def to_frame(self):
        """A tidy pandas DataFrame: one row per seed x checkpoint."""
        import pandas as pd

        n, nc = self._loss.shape
        data = {
            "learner": self.learner.name,
            "stream": self.stream.name,
            "seed": np.repeat(self._seeds, nc),
            "t": np.tile(self.t, n),
            "loss": self._loss.ravel(),
            "best_loss": self._best_loss.ravel(),
            "best_gap": self._best_gap.ravel(),
            "regret": (self._loss - self._best_loss).ravel(),
        }
        if self._dyn_best is not None:
            data["dynamic_regret"] = (self._loss - self._dyn_best).ravel()
        for k, v in self._records.items():
            data[k] = v.ravel()
        return pd.DataFrame(data)


class Run(Runs):
    """One seed of one learner on one stream: the arrays of :class:`Runs` without the seed axis."""

    _squeeze = True
