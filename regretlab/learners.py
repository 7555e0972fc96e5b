"""Online learners: immutable, validated hyperparameter specs and their compiled steps.

Every learner is a frozen object whose hyperparameters are checked at
construction (a ``ValueError`` names the parameter, the value and the valid
range).  The compiled step of each learner is a plain function registered with
:func:`regretlab.register_learner`; the engine fuses it into one loop.

Conventions shared by all learners (THEORY.md sections 2-7):

* the game: theta_1 = x0; at round t the gradient g_t = grad f_t(theta_t) is
  revealed and theta_{t+1} = Proj(theta_t - Delta_t);
* ``schedule="theorem"``: alpha_t = alpha/sqrt(t); ``schedule="constant"``: alpha_t = alpha;
* beta1_t = beta1 * lam^(t-1) where a learner has a first-moment decay;
* zero-denominator rule: a coordinate whose denominator is exactly 0 (all its
  gradients so far were 0 and eps = 0) does not move;
* running powers beta^t are kept as products (exact to a few ulps per round)
  instead of calling ``pow`` in the hot loop, and flushed to 0 once they fall
  below the smallest normal double (:data:`TINY`): a product x * z with z
  subnormal cannot change any sum of normal magnitude, but the product rounds
  back up to the same subnormal for every factor above 1/2 (0.9 * 2.5e-323 is
  2.5e-323), so without the flush beta2^t would stay subnormal forever and every
  round would pay the processor's subnormal penalty (measured: 3 to 12 times slower).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from . import _validate as V
from ._jit import inline as _inline
from ._jit import njit
from ._registry import register_learner, register_sparse_learner

THEOREM, CONSTANT = 0, 1
#: the smallest normal double; running powers below it are flushed to 0 (see the module docstring)
TINY = 2.2250738585072014e-308
_SCHEDULES = {"theorem": THEOREM, "constant": CONSTANT}


class NoState(NamedTuple):
    """The state of a learner that keeps none (OGD)."""


class Learner:
    """Base class of the learner specs (frozen dataclasses).

    A learner names its numeric hyperparameters in a :attr:`Params` NamedTuple and its state in
    a :attr:`State` NamedTuple: per coordinate, shape (n, d), the fields of
    :attr:`coordinate_state`, per trial, shape (n,), the others (zero at t = 1).  The compiled
    step (see :func:`regretlab.register_learner`) reads them by name through compile-time index
    tuples, ``P[k, px.alpha]``, ``S[k, sx.m, i]``, ``Z[k, sx.beta1_pow]``; after a run,
    ``runs.learner_state`` is the named State (:meth:`state_of`).  A batch of learners of one
    type (a grid) plays in one kernel call.
    """

    #: the NamedTuple class of the learner's state, and which of its fields are per coordinate
    State = NoState
    coordinate_state: tuple = ()
    #: the NamedTuple class of its numeric hyperparameters (the fields are attribute names)
    Params = None
    #: whether the projection is the weighted Pi_{X, sqrt(V_hat)} of Reddi et al.
    weighted_projection = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        old = [a for a in ("n_slots", "n_scalars", "_param_names") if a in cls.__dict__]
        if old:
            raise TypeError(f"learner {cls.__name__}: {', '.join(old)} is the layout of regretlab < 0.2; name the "
                            "hyperparameters in a Params NamedTuple (Params = ...) and the state in a State "
                            "NamedTuple with coordinate_state = (per-coordinate fields) (see register_learner)")

    @property
    def name(self):
        return type(self).__name__

    def _params(self):
        """The numeric hyperparameters, in the order of ``Params._fields``."""
        return tuple(float(getattr(self, n)) for n in self.Params._fields)

    def allocate(self, n, d):
        """The kernel's state arrays for n trials in dimension d, zero (the state at t = 1):
        S (n, slots, d) for the per-coordinate fields of :attr:`State`, Z (n, scalars) for the others."""
        nc = len(self.coordinate_state)
        ns = len(self.State._fields) - nc
        return np.zeros((n, max(nc, 1), d)), np.zeros((n, max(ns, 1)))

    def state_of(self, S, Z):
        """The named :attr:`State` of the kernel arrays S, Z: views, (n, d) per coordinate, (n,) per trial."""
        _, sx = _layout(self.Params, self.State, tuple(self.coordinate_state))
        return self.State(*(S[:, j, :] if f in self.coordinate_state else Z[:, j]
                            for f, j in zip(self.State._fields, sx)))

    def init_state(self, n, d):
        """The named state of n trials at t = 1 (zeros): ``rl.Adam().init_state(2, 3).m.shape == (2, 3)``."""
        return self.state_of(*self.allocate(n, d))

    @classmethod
    def batch_params(cls, learners, n_seeds):
        """The kernel's hyperparameter matrix P of a batch: row k holds trial k's values, in the order of
        ``Params._fields``, each learner's row repeated for its n_seeds trials."""
        if cls.Params is None or not isinstance(cls.Params, type) or not hasattr(cls.Params, "_fields"):
            raise ValueError(f"learner {cls.__name__} must name its hyperparameters in a Params NamedTuple class")
        rows = np.array([L._params() for L in learners], dtype=np.float64).reshape(len(learners), -1)
        P = np.ascontiguousarray(np.repeat(rows, n_seeds, axis=0))
        return P if P.shape[1] else np.zeros((P.shape[0], 1))

    def _spec(self):
        raise NotImplementedError

    def _sparse_blocker(self):
        """Why these hyperparameters keep sparse streams in the dense loop (None: they do not); what the
        spec's type decides is in its sparse registration (``regretlab._registry.register_sparse_learner``)."""
        return None

    def hyperparameters(self):
        """The hyperparameters as a dict (after defaults were resolved)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def replace(self, **changes):
        """A copy with some hyperparameters changed (validated again)."""
        hp = self.hyperparameters()
        unknown = set(changes) - set(hp)
        if unknown:
            raise ValueError(f"{self.name} has no hyperparameter {sorted(unknown)[0]!r}; valid: {sorted(hp)}")
        hp.update(changes)
        return type(self)(**hp)

    def alpha_t(self, t):
        """The step-size schedule alpha_t at rounds ``t`` (array)."""
        t = np.asarray(t, dtype=float)
        a = getattr(self, "alpha")
        return a / np.sqrt(t) if getattr(self, "schedule", "constant") == "theorem" else np.full_like(t, a)

    def beta1_t(self, t):
        """The first-moment schedule beta1_t = beta1 lam^(t-1) (0 for learners without momentum)."""
        t = np.asarray(t, dtype=float)
        b1 = getattr(self, "beta1", 0.0)
        lam = getattr(self, "lam", 1.0)
        return b1 * lam ** (t - 1.0)


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


def _common(obj, where):
    """Validate the hyperparameters shared by several learners."""
    if hasattr(obj, "alpha"):
        _set(obj, "alpha", V.real("alpha", obj.alpha, 0.0, math.inf, lo_open=True, hi_open=True, where=where))
    if hasattr(obj, "beta1"):
        _set(obj, "beta1", V.real("beta1", obj.beta1, 0.0, 1.0, hi_open=True, where=where))
    if hasattr(obj, "beta2"):
        _set(obj, "beta2", V.real("beta2", obj.beta2, 0.0, 1.0, hi_open=True, where=where))
    if hasattr(obj, "eps"):
        _set(obj, "eps", V.real("eps", obj.eps, 0.0, math.inf, hi_open=True, where=where))
    if hasattr(obj, "schedule"):
        V.choice("schedule", obj.schedule, tuple(_SCHEDULES), where=where)


@njit
def _flush(z):
    """A running power z >= 0, or 0 once it is subnormal (z < TINY)."""
    return z if z >= TINY else 0.0


@njit
def _decay(beta2, j):
    """(the factor of v after j rounds with g = 0, whether m survives them): (1, 1) for j = 0; beta2, as
    the dense loop's one product, for j = 1; beta2^j by ``pow`` for j > 1, which rounds differently from
    the dense loop's j products (a relative difference of order j 1e-16)."""
    if j == 0:
        return 1.0, 1.0
    if j == 1:
        return beta2, 0.0
    return math.pow(beta2, j), 0.0


@njit
def _alpha_t(schedule, alpha, t):
    return alpha / math.sqrt(t) if schedule == THEOREM else alpha


@_inline
def _start(OUT, k, b1t, alpha_t):
    """A batch step's column k of OUT before its coordinates: max |Delta| = 0 so far, beta1_t and
    alpha_t of trial k (the three values a single step returns)."""
    OUT[0, k] = 0.0
    OUT[1, k] = b1t
    OUT[2, k] = alpha_t


@_inline
def _plain_rows(schedule, P, alpha_col, t, OUT):
    """:func:`_start` for every trial of a learner without momentum (beta1_t = 0; P[alpha_col, k] is alpha)."""
    for k in range(OUT.shape[1]):
        _start(OUT, k, 0.0, _alpha_t(schedule, P[alpha_col, k], t))


@_inline
def _move(X, H, OUT, i, k, h, step):
    """A batch step's last writes for coordinate i of trial k: H, the iterate theta - step, and |step|
    folded into max |Delta| (OUT[0, k])."""
    H[i, k] = h
    X[i, k] -= step
    a = abs(step)
    OUT[0, k] = a if a > OUT[0, k] else OUT[0, k]


# =============================================================== state and hyperparameter layouts
# Each learner names its hyperparameters (a Params NamedTuple) and its state (a State NamedTuple):
# per-coordinate fields live in the kernel's S[k, slot, i], per-trial fields in Z[k, slot], the
# hyperparameters in P[k, j].  The step reads them by name through the index tuples of
# :func:`_layout` (compile-time constants), never by a bare number.  (A NamedTuple of arrays
# passed into the loop instead was measured 5x slower per round for Adam: Numba counts a
# reference to every array taken out of a tuple, every round.)


class AdamParams(NamedTuple):
    alpha: float
    beta1: float
    beta2: float
    eps: float
    lam: float


class AdamState(NamedTuple):
    m: np.ndarray  # (n, d) first moment
    v: np.ndarray  # (n, d) second moment
    beta1_pow: np.ndarray  # (n,) beta1^t
    beta2_pow: np.ndarray  # (n,) beta2^t
    lam_pow: np.ndarray  # (n,) lam^(t-1)
    beta1_t_pow: np.ndarray  # (n,) beta1_t^t = beta1^t lam^(t(t-1)) ("current" bias correction)


class AMSGradState(NamedTuple):
    m: np.ndarray  # (n, d)
    v: np.ndarray  # (n, d)
    v_max: np.ndarray  # (n, d) max_{s<=t} v_s
    beta1_pow: np.ndarray  # (n,)
    beta2_pow: np.ndarray  # (n,)
    lam_pow: np.ndarray  # (n,)


class AdaMaxParams(NamedTuple):
    alpha: float
    beta1: float
    beta2: float
    eps: float


class AdaMaxState(NamedTuple):
    m: np.ndarray  # (n, d)
    u: np.ndarray  # (n, d) the exponentially weighted infinity norm
    beta1_pow: np.ndarray  # (n,)


class AdaGradParams(NamedTuple):
    alpha: float
    delta: float


class AdaGradState(NamedTuple):
    sum_g2: np.ndarray  # (n, d) sum_s g_{s,i}^2


class RMSPropParams(NamedTuple):
    alpha: float
    beta2: float
    eps: float


class RMSPropState(NamedTuple):
    v: np.ndarray  # (n, d)


class OGDParams(NamedTuple):
    alpha: float


class AdamNCParams(NamedTuple):
    alpha: float
    beta1: float
    eps: float
    lam: float


class AdamNCState(NamedTuple):
    m: np.ndarray  # (n, d)
    v: np.ndarray  # (n, d) the mean of g_1^2 .. g_t^2
    lam_pow: np.ndarray  # (n,)


class NesterovParams(NamedTuple):
    alpha: float
    momentum: float


class NesterovState(NamedTuple):
    b: np.ndarray  # (n, d) the momentum buffer


def _layout(params, state, coords):
    """The index tuples of a learner: ``px.alpha`` is alpha's column of P; ``sx.m`` the slot of a
    per-coordinate field in S, ``sx.beta1_pow`` that of a per-trial field in Z."""
    px = params(*range(len(params._fields)))
    ns = [f for f in state._fields if f not in coords]
    sx = state(*(coords.index(f) if f in coords else ns.index(f) for f in state._fields))
    return px, sx


def _specialise(base, make_step, compiled, runtime=None):
    """Create and register a learner's spec classes and return ``{mode values: spec}`` (the values
    in the order of ``compiled`` then ``runtime``).

    ``compiled`` (name: values) are modes frozen into the step as compile-time constants: one
    spec class, hence one kernel compile, per combination.  ``runtime`` are modes read from int
    fields of the spec at run time: one kernel serves all their values.  Which is which was
    measured (the issue-13 note): the schedule stays compiled (as a runtime choice LLVM computes
    alpha / sqrt(t) for the constant schedule too: OGD's round went from 11 to 21 ns), and so do
    ``lazy``, Adam's eps placement and AMSGrad's variant (branches in the coordinate loop: LLVM
    computes both forms, +9 % per round); Adam's bias correction only chooses per-round scalars
    and is a runtime field.

    One rule keeps the loop free of reference counting: a step must use each array argument
    last *unconditionally*.  Numba releases an array after its last use; when that use is inside
    a branch (``if bias == 0: c1 = 1 - Z[k, ...]``), the release sits on several paths, LLVM's
    reference-count pruning gives up, and every round pays an atomic increment and decrement per
    array (measured: Adam's round on Reddi's stream went from 18 to 114 ns; the per-mode classes
    before issue 13 paid it with bias_correction="none", about 100 ns).  So the steps read the
    per-trial state into locals before branching on a mode, compiled or runtime.

    ``make_step(**modes)`` returns the step, or ``(step, touch, refresh[, options])`` for a mode that
    can play sparse rounds in O(nnz) (see :func:`regretlab._registry.register_sparse_learner`, which
    takes the options): OGD, AdaGrad, Adam (lazy, or with beta1 = 0) and RMSProp, whose dense and
    sparse forms share one per-coordinate update; ``(step, None, None, options)`` for a mode without
    sparse forms (AMSGrad, AdaMax, AdamNC, NesterovSGD).  ``options["batch"]``, if given, is the batch
    form (``batch`` of :func:`regretlab._registry.register_learner`: every learner here), which
    shares the same update.

    The classes are module attributes created at import, so a kernel cached on disk unpickles them.
    """
    import itertools

    runtime = dict(runtime or {})
    names = list(compiled)
    table = {}
    for values in itertools.product(*(compiled[n] for n in names)):
        modes = dict(zip(names, values))
        cls_name = base + "".join(f"_{n}{v}" for n, v in modes.items())
        cls = NamedTuple(cls_name, [(n, int) for n in runtime] or [("tag", int)])
        cls.__module__ = __name__
        cls.__qualname__ = cls_name
        globals()[cls_name] = cls
        made = make_step(**modes)  # the step, or (step, touch, refresh, options) with its sparse and batch forms
        if isinstance(made, tuple):
            options = dict(made[3]) if len(made) > 3 else {}
            batch = options.pop("batch", None)
            register_learner(cls, made[0], batch=batch)
            if made[1] is not None or made[2] is not None:  # (step, None, None, options): no sparse form
                register_sparse_learner(cls, made[1], made[2], **options)
        else:
            register_learner(cls, made)
        for rvalues in itertools.product(*runtime.values()):
            table[tuple(values) + tuple(rvalues)] = cls(*rvalues) if runtime else cls(0)
    return table


# =============================================================== Adam

_BIAS = {"paper": 0, "none": 1, "current": 2}
_EPS_MODE = {"paper": 0, "hat": 1}


def _make_adam_step(schedule, lazy, eps_hat):
    px, sx = _layout(AdamParams, AdamState, ('m', 'v'))

    # bias: 0 paper (1 - beta1^t), 1 none, 2 current (1 - beta1_t^t); eps_hat: 0 Algorithm 1, 1 eps-hat form
    @_inline
    def _powers(t, beta1, beta2, lam, p1, p2, pl, p1t):
        """The running powers (beta1^t, beta2^t, lam^(t-1), beta1_t^t = beta1^t lam^(t(t-1))) of round t
        from those of round t - 1."""
        if t == 1:
            return beta1, beta2, 1.0, beta1
        pl = _flush(pl * lam)
        return _flush(p1 * beta1), _flush(p2 * beta2), pl, _flush(p1t * beta1 * pl * pl)

    @_inline
    def _bias(bias, p1, p2, p1t):
        """The bias corrections (c1, c2) of round t from its running powers."""
        if bias == 0:
            return 1.0 - p1, 1.0 - p2
        if bias == 1:
            return 1.0, 1.0
        return 1.0 - p1t, 1.0 - p2

    @_inline
    def _round(spec, P, k, Z, t):
        """Round t's per-trial scalars (the running powers in Z advanced)."""
        bias = spec.bias
        alpha = P[k, px.alpha]
        beta1 = P[k, px.beta1]
        beta2 = P[k, px.beta2]
        eps = P[k, px.eps]
        p1, p2, pl, p1t = _powers(t, beta1, beta2, P[k, px.lam], Z[k, sx.beta1_pow], Z[k, sx.beta2_pow],
                                  Z[k, sx.lam_pow], Z[k, sx.beta1_t_pow])
        Z[k, sx.beta1_pow] = p1
        Z[k, sx.beta2_pow] = p2
        Z[k, sx.lam_pow] = pl
        Z[k, sx.beta1_t_pow] = p1t
        b1t = beta1 * pl
        c1, c2 = _bias(bias, p1, p2, p1t)
        alpha_t = _alpha_t(schedule, alpha, t)
        sc2 = math.sqrt(c2)
        step_scale = alpha_t * sc2 / c1
        return b1t, beta2, eps, c1, c2, alpha_t, sc2, step_scale

    @_inline
    def _update(m0, v0, g, b1t, beta2, eps, c1, c2, alpha_t, sc2, step_scale):
        """One coordinate's (m, v, v_hat, H, Delta) at round t from its (m, v) of round t - 1."""
        m = b1t * m0 + (1.0 - b1t) * g
        v = beta2 * v0 + (1.0 - beta2) * g * g
        vhat = v / c2
        if eps_hat == 0:
            den = math.sqrt(vhat) + eps
            step = alpha_t * (m / c1) / den if den > 0.0 else 0.0
            h = den / alpha_t
        else:
            den = math.sqrt(v) + eps
            step = step_scale * m / den if den > 0.0 else 0.0
            h = den / (alpha_t * sc2)
        return m, v, vhat, h, step

    @_inline
    def _coordinate(S, X, H, V, k, i, g, b1t, beta2, eps, c1, c2, alpha_t, sc2, step_scale):
        """Coordinate i's update at round t; returns |Delta_{t,i}|."""
        m, v, vhat, h, step = _update(S[k, sx.m, i], S[k, sx.v, i], g, b1t, beta2, eps, c1, c2, alpha_t, sc2,
                                      step_scale)
        S[k, sx.m, i] = m
        S[k, sx.v, i] = v
        H[k, i] = h
        V[k, i] = vhat
        X[k, i] -= step
        return abs(step)

    def _adam_step(spec, P, k, S, Z, X, G, H, V, t):
        b1t, beta2, eps, c1, c2, alpha_t, sc2, step_scale = _round(spec, P, k, Z, t)
        big = 0.0
        for i in range(X.shape[1]):
            g = G[k, i]
            if lazy == 1 and g == 0.0:
                continue  # lazy variant: untouched coordinates keep m, v, theta (and H, V)
            a = _coordinate(S, X, H, V, k, i, g, b1t, beta2, eps, c1, c2, alpha_t, sc2, step_scale)
            if a > big:
                big = a
        return big, b1t, alpha_t

    def _adam_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        # _adam_step for every trial k (arrays with the trials last): the running powers and the
        # schedule once per trial, then each coordinate for all trials (the bias corrections are
        # recomputed there from the powers: a subtraction, cheaper than a row of scratch)
        bias = spec.bias
        n = X.shape[1]
        for k in range(n):
            p1, p2, pl, p1t = _powers(t, P[px.beta1, k], P[px.beta2, k], P[px.lam, k], Z[sx.beta1_pow, k],
                                      Z[sx.beta2_pow, k], Z[sx.lam_pow, k], Z[sx.beta1_t_pow, k])
            Z[sx.beta1_pow, k] = p1
            Z[sx.beta2_pow, k] = p2
            Z[sx.lam_pow, k] = pl
            Z[sx.beta1_t_pow, k] = p1t
            _start(OUT, k, P[px.beta1, k] * pl, _alpha_t(schedule, P[px.alpha, k], t))
        for i in range(X.shape[0]):
            for k in range(n):
                g = G[i, k]
                if lazy == 1 and g == 0.0:
                    continue
                c1, c2 = _bias(bias, Z[sx.beta1_pow, k], Z[sx.beta2_pow, k], Z[sx.beta1_t_pow, k])
                alpha_t = OUT[2, k]
                sc2 = math.sqrt(c2)
                m, v, vhat, h, step = _update(S[sx.m, i, k], S[sx.v, i, k], g, OUT[1, k], P[px.beta2, k],
                                              P[px.eps, k], c1, c2, alpha_t, sc2, alpha_t * sc2 / c1)
                S[sx.m, i, k] = m
                S[sx.v, i, k] = v
                V[i, k] = vhat
                _move(X, H, OUT, i, k, h, step)

    def _adam_touch(spec, P, k, S, Z, X, G, H, V, t, IDX, m):
        b1t, beta2, eps, c1, c2, alpha_t, sc2, step_scale = _round(spec, P, k, Z, t)
        big = 0.0
        for j in range(m):
            i = IDX[k, j]
            g = G[k, i]
            if lazy == 1 and g == 0.0:
                continue
            a = _coordinate(S, X, H, V, k, i, g, b1t, beta2, eps, c1, c2, alpha_t, sc2, step_scale)
            if a > big:
                big = a
        return big, b1t, alpha_t

    if lazy == 1:
        def _adam_refresh(spec, P, k, S, Z, H, V, t, i, last):
            return  # lazy: an untouched coordinate keeps m, v, theta, H and V

        return _adam_step, _adam_touch, _adam_refresh, dict(untouched_h="constant", batch=_adam_batch)

    @_inline
    def _scalars(spec, P, k, Z, t):
        """c2, alpha_t and sqrt(c2) of round t from the running powers Z (already at round t)."""
        c2 = 1.0 - Z[k, sx.beta2_pow] * min(abs(spec.bias - 1), 1)  # as _round: 1 - beta2^t, 1 with bias "none"
        alpha_t = _alpha_t(schedule, P[k, px.alpha], t)
        return c2, alpha_t, math.sqrt(c2)

    def _adam_refresh(spec, P, k, S, Z, H, V, t, i, last):
        # beta1 = 0 (Adam._sparse_blocker): after a round with g = 0, m = 0 m + (1 - 0) 0 = 0 and the step
        # is 0; v = beta2 v + 0 per round, so after j = t - last rounds v beta2^j (one product when j = 1,
        # as the dense loop; a power when j > 1, which rounds differently: not exact)
        beta2 = P[k, px.beta2]
        eps = P[k, px.eps]
        f, keep = _decay(beta2, t - last)
        v = S[k, sx.v, i] * f
        S[k, sx.m, i] = S[k, sx.m, i] * keep  # 0 after a round with g = 0 (0 * m may be -0: + 0.0 makes it 0)
        S[k, sx.m, i] += 0.0
        S[k, sx.v, i] = v
        c2, alpha_t, sc2 = _scalars(spec, P, k, Z, t)
        vhat = v / c2
        if eps_hat == 0:
            H[k, i] = (math.sqrt(vhat) + eps) / alpha_t
        else:
            H[k, i] = (math.sqrt(v) + eps) / (alpha_t * sc2)
        V[k, i] = vhat

    return _adam_step, _adam_touch, _adam_refresh, dict(exact=False, untouched_h="any", batch=_adam_batch)


_ADAM_SPECS = _specialise("_AdamSpec", _make_adam_step, dict(schedule=(THEOREM, CONSTANT), lazy=(0, 1), eps_hat=(0, 1)),
                          dict(bias=(0, 1, 2)))


@dataclass(frozen=True)
class Adam(Learner):
    r"""Adam (Kingma & Ba, ICLR 2015, arXiv 1412.6980v9).

    With ``schedule="theorem"`` (the default) this is the algorithm analysed in
    Theorem 4.1 (THEORY.md section 3)::

        alpha_t = alpha / sqrt(t),   beta1_t = beta1 * lam^(t-1)
        m_t = beta1_t m_{t-1} + (1 - beta1_t) g_t
        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        m_hat_t = m_t / (1 - beta1^t)       # constant beta1, as in the paper's proof
        v_hat_t = v_t / (1 - beta2^t)
        theta_{t+1} = Proj(theta_t - alpha_t m_hat_t / (sqrt(v_hat_t) + eps))

    With ``schedule="constant"`` alpha_t = alpha, and with lam = 1 (its default
    there) it is Algorithm 1 exactly (THEORY.md section 2), which is also what
    ``torch.optim.Adam`` computes.

    Parameters
    ----------
    alpha : float > 0
    beta1, beta2 : float in [0, 1)
    eps : float >= 0
        0 is the analysis' setting.
    lam : float in (0, 1], optional
        Decay of beta1_t.  Default: 1 - 1e-8 for ``schedule="theorem"`` (the
        paper's suggestion), 1 for ``schedule="constant"``.
    schedule : {"theorem", "constant"}
    bias_correction : {"paper", "none", "current"}
        Implementations disagree here.  ``"paper"`` divides by 1 - beta1^t with
        the constant beta1 (the text of Theorem 4.1, which no framework offers);
        ``"none"`` is Reddi et al.'s Adam; ``"current"`` uses 1 - beta1_t^t.
    eps_mode : {"paper", "hat"}
        ``"paper"``: eps outside sqrt(v_hat) (Algorithm 1, torch).  ``"hat"``:
        the "efficient form" with a constant eps-hat, theta -= alpha_t
        sqrt(1 - beta2^t)/(1 - beta1^t) m_t/(sqrt(v_t) + eps) (TensorFlow 1, river).
    lazy : bool
        A different algorithm, for sparse gradients: coordinates whose gradient is
        exactly 0 this round keep m, v and theta unchanged (torch.optim.SparseAdam,
        river).  Dense Adam (the default) decays m and v of every coordinate every
        round, so its iterates move even where the gradient is 0.  The engine's
        bookkeeping stays O(d) per round either way.

    Examples
    --------
    >>> import regretlab as rl
    >>> rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1).lam
    0.99999999
    """

    alpha: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    lam: float | None = None
    schedule: str = "theorem"
    bias_correction: str = "paper"
    eps_mode: str = "paper"
    lazy: bool = False

    State = AdamState
    coordinate_state = ('m', 'v')
    Params = AdamParams

    def __post_init__(self):
        w = "Adam: "
        _common(self, w)
        if self.lam is None:
            _set(self, "lam", 1.0 - 1e-8 if self.schedule == "theorem" else 1.0)
        _set(self, "lam", V.real("lam", self.lam, 0.0, 1.0, lo_open=True, where=w))
        V.choice("bias_correction", self.bias_correction, tuple(_BIAS), where=w)
        V.choice("eps_mode", self.eps_mode, tuple(_EPS_MODE), where=w)
        V.choice("lazy", self.lazy, (False, True), where=w)
        _set(self, "lazy", bool(self.lazy))

    def _spec(self):
        return _ADAM_SPECS[(_SCHEDULES[self.schedule], int(self.lazy), _EPS_MODE[self.eps_mode],
                            _BIAS[self.bias_correction])]

    def _sparse_blocker(self):
        if not self.lazy and self.beta1 != 0.0:
            return (f"Adam with beta1 = {self.beta1} moves its untouched coordinates through m (beta1 = 0 or "
                    "lazy=True plays sparse rounds)")
        return None


# =============================================================== AMSGrad

def _make_amsgrad_step(schedule, corrected):
    px, sx = _layout(AdamParams, AMSGradState, ('m', 'v', 'v_max'))

    @_inline
    def _powers(t, beta1, beta2, lam, p1, p2, pl):
        """The running powers (beta1^t, beta2^t, lam^(t-1)) of round t from those of round t - 1."""
        if t == 1:
            return beta1, beta2, 1.0
        return _flush(p1 * beta1), _flush(p2 * beta2), _flush(pl * lam)

    @_inline
    def _bias(p1, p2):
        """The bias corrections (c1, c2) of round t from its running powers (the "paper" variant has none)."""
        if corrected == 1:
            return 1.0 - p1, 1.0 - p2
        return 1.0, 1.0

    @_inline
    def _update(m0, v0, vmax0, g, b1t, beta2, eps, c1, c2, alpha_t):
        """One coordinate's (m, v, v_max, v_hat, H, Delta) at round t from its (m, v, v_max) of round t - 1."""
        m = b1t * m0 + (1.0 - b1t) * g
        v = beta2 * v0 + (1.0 - beta2) * g * g
        vmax = vmax0
        if v > vmax:
            vmax = v
        if corrected == 1:
            vhat = vmax / c2
            a = math.sqrt(vhat) + eps
            step = alpha_t * (m / c1) / a if a > 0.0 else 0.0
        else:
            vhat = vmax
            a = math.sqrt(vmax) + eps
            step = alpha_t * m / a if a > 0.0 else 0.0
        return m, v, vmax, vhat, a / alpha_t, step

    def _amsgrad_step(spec, P, k, S, Z, X, G, H, V, t):
        alpha = P[k, px.alpha]
        beta1 = P[k, px.beta1]
        beta2 = P[k, px.beta2]
        eps = P[k, px.eps]
        p1, p2, pl = _powers(t, beta1, beta2, P[k, px.lam], Z[k, sx.beta1_pow], Z[k, sx.beta2_pow],
                             Z[k, sx.lam_pow])
        Z[k, sx.beta1_pow] = p1
        Z[k, sx.beta2_pow] = p2
        Z[k, sx.lam_pow] = pl
        b1t = beta1 * pl
        alpha_t = _alpha_t(schedule, alpha, t)
        c1, c2 = _bias(p1, p2)  # from locals: the powers were read before branching on the mode
        big = 0.0
        for i in range(X.shape[1]):
            m, v, vmax, vhat, h, step = _update(S[k, sx.m, i], S[k, sx.v, i], S[k, sx.v_max, i], G[k, i], b1t,
                                                beta2, eps, c1, c2, alpha_t)
            S[k, sx.m, i] = m
            S[k, sx.v, i] = v
            S[k, sx.v_max, i] = vmax
            H[k, i] = h
            V[k, i] = vhat
            X[k, i] -= step
            s = abs(step)
            if s > big:
                big = s
        return big, b1t, alpha_t

    def _amsgrad_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        # _amsgrad_step for every trial k (arrays with the trials last), as _adam_batch: the running
        # powers and the schedule once per trial, the bias corrections recomputed from the powers
        n = X.shape[1]
        for k in range(n):
            p1, p2, pl = _powers(t, P[px.beta1, k], P[px.beta2, k], P[px.lam, k], Z[sx.beta1_pow, k],
                                 Z[sx.beta2_pow, k], Z[sx.lam_pow, k])
            Z[sx.beta1_pow, k] = p1
            Z[sx.beta2_pow, k] = p2
            Z[sx.lam_pow, k] = pl
            _start(OUT, k, P[px.beta1, k] * pl, _alpha_t(schedule, P[px.alpha, k], t))
        for i in range(X.shape[0]):
            for k in range(n):
                c1, c2 = _bias(Z[sx.beta1_pow, k], Z[sx.beta2_pow, k])
                m, v, vmax, vhat, h, step = _update(S[sx.m, i, k], S[sx.v, i, k], S[sx.v_max, i, k], G[i, k],
                                                    OUT[1, k], P[px.beta2, k], P[px.eps, k], c1, c2, OUT[2, k])
                S[sx.m, i, k] = m
                S[sx.v, i, k] = v
                S[sx.v_max, i, k] = vmax
                V[i, k] = vhat
                _move(X, H, OUT, i, k, h, step)

    return _amsgrad_step, None, None, dict(batch=_amsgrad_batch)


_AMSGRAD_SPECS = _specialise("_AMSGradSpec", _make_amsgrad_step, dict(schedule=(THEOREM, CONSTANT), corrected=(0, 1)))

_AMS_VARIANT = {"paper": 0, "corrected": 1}
_PROJECTION = ("weighted", "euclidean")


@dataclass(frozen=True)
class AMSGrad(Learner):
    r"""AMSGrad (Reddi, Kale & Kumar, ICLR 2018, Algorithm 2; THEORY.md section 5)::

        m_t = beta1_t m_{t-1} + (1 - beta1_t) g_t,   beta1_t = beta1 lam^(t-1)
        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        v_hat_t = max(v_hat_{t-1}, v_t)
        theta_{t+1} = Pi_{X, sqrt(V_hat_t)}(theta_t - alpha_t m_t / (sqrt(v_hat_t) + eps))

    No bias correction in the paper (``variant="paper"``).
    ``variant="corrected"`` takes the max over the raw v and bias-corrects
    afterwards, as torch.optim.Adam(amsgrad=True) and river do:
    theta -= alpha_t (m_t/(1 - beta1^t)) / (sqrt(v_hat_t/(1 - beta2^t)) + eps).

    ``projection="weighted"`` (default) is the paper's weighted projection with
    the weights sqrt(v_hat) + eps; on a box it is clipping.  A coordinate with
    weight 0 (no gradient yet, eps = 0) makes that round's projection Euclidean.
    Defaults: alpha_t = alpha/sqrt(t), lam = 1 (beta1_t = beta1 satisfies
    beta1_t <= beta1 of Theorem 4), eps = 0.
    """

    alpha: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 0.0
    lam: float = 1.0
    schedule: str = "theorem"
    variant: str = "paper"
    projection: str = "weighted"

    State = AMSGradState
    coordinate_state = ('m', 'v', 'v_max')
    Params = AdamParams

    def __post_init__(self):
        w = "AMSGrad: "
        _common(self, w)
        _set(self, "lam", V.real("lam", self.lam, 0.0, 1.0, lo_open=True, where=w))
        V.choice("variant", self.variant, tuple(_AMS_VARIANT), where=w)
        V.choice("projection", self.projection, _PROJECTION, where=w)

    @property
    def weighted_projection(self):
        return self.projection == "weighted"

    def _spec(self):
        return _AMSGRAD_SPECS[(_SCHEDULES[self.schedule], _AMS_VARIANT[self.variant])]


# =============================================================== AdaMax

def _make_adamax_step(schedule):
    px, sx = _layout(AdaMaxParams, AdaMaxState, ('m', 'u'))

    @_inline
    def _power(t, beta1, p1):
        """beta1^t from beta1^(t-1)."""
        return beta1 if t == 1 else _flush(p1 * beta1)

    @_inline
    def _update(m0, u0, g, beta1, beta2, eps, lr, alpha_t):
        """One coordinate's (m, u, V = u^2, H, Delta) at round t from its (m, u) of round t - 1."""
        m = beta1 * m0 + (1.0 - beta1) * g
        u = beta2 * u0
        ag = abs(g) + eps
        if ag > u:
            u = ag
        step = lr * m / u if u > 0.0 else 0.0
        return m, u, u * u, u / alpha_t, step

    def _adamax_step(spec, P, k, S, Z, X, G, H, V, t):
        alpha = P[k, px.alpha]
        beta1 = P[k, px.beta1]
        beta2 = P[k, px.beta2]
        eps = P[k, px.eps]
        p1 = _power(t, beta1, Z[k, sx.beta1_pow])
        Z[k, sx.beta1_pow] = p1
        alpha_t = _alpha_t(schedule, alpha, t)
        lr = alpha_t / (1.0 - p1)
        big = 0.0
        for i in range(X.shape[1]):
            m, u, v, h, step = _update(S[k, sx.m, i], S[k, sx.u, i], G[k, i], beta1, beta2, eps, lr, alpha_t)
            S[k, sx.m, i] = m
            S[k, sx.u, i] = u
            H[k, i] = h
            V[k, i] = v
            X[k, i] -= step
            s = abs(step)
            if s > big:
                big = s
        return big, beta1, alpha_t

    def _adamax_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        # _adamax_step for every trial k (arrays with the trials last); alpha_t / (1 - beta1^t) is
        # recomputed per coordinate from the power in Z (the same division)
        n = X.shape[1]
        for k in range(n):
            Z[sx.beta1_pow, k] = _power(t, P[px.beta1, k], Z[sx.beta1_pow, k])
            _start(OUT, k, P[px.beta1, k], _alpha_t(schedule, P[px.alpha, k], t))
        for i in range(X.shape[0]):
            for k in range(n):
                alpha_t = OUT[2, k]
                m, u, v, h, step = _update(S[sx.m, i, k], S[sx.u, i, k], G[i, k], OUT[1, k], P[px.beta2, k],
                                           P[px.eps, k], alpha_t / (1.0 - Z[sx.beta1_pow, k]), alpha_t)
                S[sx.m, i, k] = m
                S[sx.u, i, k] = u
                V[i, k] = v
                _move(X, H, OUT, i, k, h, step)

    return _adamax_step, None, None, dict(batch=_adamax_batch)


_ADAMAX_SPECS = _specialise("_AdaMaxSpec", _make_adamax_step, dict(schedule=(THEOREM, CONSTANT)))


@dataclass(frozen=True)
class AdaMax(Learner):
    r"""AdaMax (Kingma & Ba, section 7.1; THEORY.md section 6)::

        m_t = beta1 m_{t-1} + (1 - beta1) g_t
        u_t = max(beta2 u_{t-1}, |g_t| + eps)
        theta_{t+1} = Proj(theta_t - (alpha_t/(1 - beta1^t)) m_t / u_t)

    eps = 0 is the paper (|Delta_t| <= alpha); torch.optim.Adamax puts its eps
    inside the max as written.  A coordinate with u = 0 (all its gradients were 0)
    is left unchanged instead of computing 0/0.  ``V`` records u_t^2.
    """

    alpha: float = 0.002
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 0.0
    schedule: str = "constant"

    State = AdaMaxState
    coordinate_state = ('m', 'u')
    Params = AdaMaxParams

    def __post_init__(self):
        _common(self, "AdaMax: ")

    def _spec(self):
        return _ADAMAX_SPECS[(_SCHEDULES[self.schedule],)]


# =============================================================== AdaGrad

def _make_adagrad_step(schedule):
    px, sx = _layout(AdaGradParams, AdaGradState, ('sum_g2',))

    @_inline
    def _update(s0, g, alpha_t, delta):
        """One coordinate's (sum g^2, H, Delta) at round t from its sum of round t - 1."""
        n = s0 + g * g
        den = delta + math.sqrt(n)
        step = alpha_t * g / den if den > 0.0 else 0.0
        return n, den / alpha_t, step

    @_inline
    def _coordinate(S, X, G, H, V, k, i, alpha_t, delta):
        n, h, step = _update(S[k, sx.sum_g2, i], G[k, i], alpha_t, delta)
        S[k, sx.sum_g2, i] = n
        H[k, i] = h
        V[k, i] = n
        X[k, i] -= step
        return abs(step)

    def _adagrad_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        n = X.shape[1]
        _plain_rows(schedule, P, px.alpha, t, OUT)
        for i in range(X.shape[0]):
            for k in range(n):
                s, h, step = _update(S[sx.sum_g2, i, k], G[i, k], OUT[2, k], P[px.delta, k])
                S[sx.sum_g2, i, k] = s
                V[i, k] = s
                _move(X, H, OUT, i, k, h, step)

    def _adagrad_step(spec, P, k, S, Z, X, G, H, V, t):
        alpha = P[k, px.alpha]
        delta = P[k, px.delta]
        alpha_t = _alpha_t(schedule, alpha, t)
        big = 0.0
        for i in range(X.shape[1]):
            s = _coordinate(S, X, G, H, V, k, i, alpha_t, delta)
            if s > big:
                big = s
        return big, 0.0, alpha_t

    def _adagrad_touch(spec, P, k, S, Z, X, G, H, V, t, IDX, m):
        alpha = P[k, px.alpha]
        delta = P[k, px.delta]
        alpha_t = _alpha_t(schedule, alpha, t)
        big = 0.0
        for j in range(m):
            s = _coordinate(S, X, G, H, V, k, IDX[k, j], alpha_t, delta)
            if s > big:
                big = s
        return big, 0.0, alpha_t

    def _adagrad_refresh(spec, P, k, S, Z, H, V, t, i, last):
        # an untouched round adds g^2 = 0: sum_g2 and theta stay, H = (delta + sqrt(n)) / alpha_t
        n = S[k, sx.sum_g2, i]
        H[k, i] = (P[k, px.delta] + math.sqrt(n)) / _alpha_t(schedule, P[k, px.alpha], t)
        V[k, i] = n

    return _adagrad_step, _adagrad_touch, _adagrad_refresh, dict(untouched_h="nondecreasing",  # beta1_t = 0
                                                                 batch=_adagrad_batch)


_ADAGRAD_SPECS = _specialise("_AdaGradSpec", _make_adagrad_step, dict(schedule=(THEOREM, CONSTANT)))


@dataclass(frozen=True)
class AdaGrad(Learner):
    r"""Diagonal AdaGrad (Duchi, Hazan & Singer, JMLR 2011; THEORY.md section 7)::

        theta_{t+1,i} = Proj(theta_{t,i} - alpha g_{t,i} / (delta + ||g_{1:t,i}||_2))

    ``V`` records the accumulator sum_s g_{s,i}^2.  The bound of THEORY.md is
    tightest with alpha = D_inf/sqrt(2).
    """

    alpha: float = 0.01
    delta: float = 0.0
    schedule: str = "constant"

    State = AdaGradState
    coordinate_state = ('sum_g2',)
    Params = AdaGradParams

    def __post_init__(self):
        _common(self, "AdaGrad: ")
        _set(self, "delta", V.real("delta", self.delta, 0.0, math.inf, hi_open=True, where="AdaGrad: "))

    def _spec(self):
        return _ADAGRAD_SPECS[(_SCHEDULES[self.schedule],)]


# =============================================================== RMSProp

def _make_rmsprop_step(schedule):
    px, sx = _layout(RMSPropParams, RMSPropState, ('v',))

    @_inline
    def _update(v0, g, alpha_t, beta2, eps):
        """One coordinate's (v, H, Delta) at round t from its v of round t - 1."""
        v = beta2 * v0 + (1.0 - beta2) * g * g
        den = math.sqrt(v) + eps
        step = alpha_t * g / den if den > 0.0 else 0.0
        return v, den / alpha_t, step

    @_inline
    def _coordinate(S, X, G, H, V, k, i, alpha_t, beta2, eps):
        v, h, step = _update(S[k, sx.v, i], G[k, i], alpha_t, beta2, eps)
        S[k, sx.v, i] = v
        H[k, i] = h
        V[k, i] = v
        X[k, i] -= step
        return abs(step)

    def _rmsprop_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        n = X.shape[1]
        _plain_rows(schedule, P, px.alpha, t, OUT)
        for i in range(X.shape[0]):
            for k in range(n):
                v, h, step = _update(S[sx.v, i, k], G[i, k], OUT[2, k], P[px.beta2, k], P[px.eps, k])
                S[sx.v, i, k] = v
                V[i, k] = v
                _move(X, H, OUT, i, k, h, step)

    def _rmsprop_step(spec, P, k, S, Z, X, G, H, V, t):
        alpha = P[k, px.alpha]
        beta2 = P[k, px.beta2]
        eps = P[k, px.eps]
        alpha_t = _alpha_t(schedule, alpha, t)
        big = 0.0
        for i in range(X.shape[1]):
            s = _coordinate(S, X, G, H, V, k, i, alpha_t, beta2, eps)
            if s > big:
                big = s
        return big, 0.0, alpha_t

    def _rmsprop_touch(spec, P, k, S, Z, X, G, H, V, t, IDX, m):
        alpha_t = _alpha_t(schedule, P[k, px.alpha], t)
        beta2 = P[k, px.beta2]
        eps = P[k, px.eps]
        big = 0.0
        for j in range(m):
            s = _coordinate(S, X, G, H, V, k, IDX[k, j], alpha_t, beta2, eps)
            if s > big:
                big = s
        return big, 0.0, alpha_t

    def _rmsprop_refresh(spec, P, k, S, Z, H, V, t, i, last):
        # a round with g = 0: v = beta2 v + 0 and no step; after j = t - last of them v beta2^j (the
        # dense loop's product when j = 1, a power when j > 1: exact in real arithmetic only)
        f, keep = _decay(P[k, px.beta2], t - last)
        v = S[k, sx.v, i] * f
        S[k, sx.v, i] = v
        H[k, i] = (math.sqrt(v) + P[k, px.eps]) / _alpha_t(schedule, P[k, px.alpha], t)
        V[k, i] = v

    return _rmsprop_step, _rmsprop_touch, _rmsprop_refresh, dict(exact=False, untouched_h="any",
                                                                 batch=_rmsprop_batch)


_RMSPROP_SPECS = _specialise("_RMSPropSpec", _make_rmsprop_step, dict(schedule=(THEOREM, CONSTANT)))


@dataclass(frozen=True)
class RMSProp(Learner):
    r"""RMSProp (Tieleman & Hinton 2012, as in torch.optim.RMSprop without momentum)::

        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        theta_{t+1} = Proj(theta_t - alpha_t g_t / (sqrt(v_t) + eps))

    Adam with beta1 = 0 and no bias correction; Gamma_{t,i} can be negative
    (Reddi et al. section 3).
    """

    alpha: float = 0.01
    beta2: float = 0.99
    eps: float = 1e-8
    schedule: str = "constant"

    State = RMSPropState
    coordinate_state = ('v',)
    Params = RMSPropParams

    def __post_init__(self):
        _common(self, "RMSProp: ")

    def _spec(self):
        return _RMSPROP_SPECS[(_SCHEDULES[self.schedule],)]


# =============================================================== OGD

def _make_ogd_step(schedule):
    px, sx = _layout(OGDParams, NoState, ())

    @_inline
    def _coordinate(X, G, H, k, i, alpha_t, inv):
        step = alpha_t * G[k, i]
        H[k, i] = inv
        X[k, i] -= step
        return abs(step)

    def _ogd_step(spec, P, k, S, Z, X, G, H, V, t):
        alpha_t = _alpha_t(schedule, P[k, px.alpha], t)
        big = 0.0
        inv = 1.0 / alpha_t
        for i in range(X.shape[1]):
            s = _coordinate(X, G, H, k, i, alpha_t, inv)
            if s > big:
                big = s
        return big, 0.0, alpha_t

    def _ogd_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        n = X.shape[1]
        _plain_rows(schedule, P, px.alpha, t, OUT)
        for i in range(X.shape[0]):
            for k in range(n):
                alpha_t = OUT[2, k]
                step = alpha_t * G[i, k]
                _move(X, H, OUT, i, k, 1.0 / alpha_t, step)

    def _ogd_touch(spec, P, k, S, Z, X, G, H, V, t, IDX, m):
        alpha_t = _alpha_t(schedule, P[k, px.alpha], t)
        big = 0.0
        inv = 1.0 / alpha_t
        for j in range(m):
            s = _coordinate(X, G, H, k, IDX[k, j], alpha_t, inv)
            if s > big:
                big = s
        return big, 0.0, alpha_t

    def _ogd_refresh(spec, P, k, S, Z, H, V, t, i, last):
        H[k, i] = 1.0 / _alpha_t(schedule, P[k, px.alpha], t)  # an untouched coordinate does not move

    return _ogd_step, _ogd_touch, _ogd_refresh, dict(untouched_h="nondecreasing", batch=_ogd_batch)  # beta1_t = 0


_OGD_SPECS = _specialise("_OGDSpec", _make_ogd_step, dict(schedule=(THEOREM, CONSTANT)))


@dataclass(frozen=True)
class OGD(Learner):
    r"""Projected online gradient descent (Zinkevich, ICML 2003; THEORY.md section 7)::

        theta_{t+1} = Proj(theta_t - eta_t g_t),   eta_t = alpha/sqrt(t)  (schedule="theorem")

    R(T) <= D^2 sqrt(T)/(2 alpha) + alpha G^2 (sqrt(T) - 1/2); with
    alpha = D/G, R(T) <= (3/2) G D sqrt(T).
    """

    alpha: float = 0.1
    schedule: str = "theorem"

    State = NoState
    coordinate_state = ()
    Params = OGDParams

    def __post_init__(self):
        _common(self, "OGD: ")

    def _spec(self):
        return _OGD_SPECS[(_SCHEDULES[self.schedule],)]


# =============================================================== AdamNC

def _make_adamnc_step(schedule):
    px, sx = _layout(AdamNCParams, AdamNCState, ('m', 'v'))

    @_inline
    def _power(t, lam, pl):
        """lam^(t-1) from lam^(t-2)."""
        return 1.0 if t == 1 else _flush(pl * lam)

    @_inline
    def _update(m0, v0, g, b1t, keep, w, eps, alpha_t):
        """One coordinate's (m, v, H, Delta) at round t from its (m, v) of round t - 1 (w = 1/t, keep = 1 - w)."""
        m = b1t * m0 + (1.0 - b1t) * g
        v = keep * v0 + w * g * g
        a = math.sqrt(v) + eps
        step = alpha_t * m / a if a > 0.0 else 0.0
        return m, v, a / alpha_t, step

    def _adamnc_step(spec, P, k, S, Z, X, G, H, V, t):
        alpha = P[k, px.alpha]
        beta1 = P[k, px.beta1]
        eps = P[k, px.eps]
        pl = _power(t, P[k, px.lam], Z[k, sx.lam_pow])
        Z[k, sx.lam_pow] = pl
        b1t = beta1 * pl
        alpha_t = _alpha_t(schedule, alpha, t)
        w = 1.0 / t
        keep = 1.0 - w
        big = 0.0
        for i in range(X.shape[1]):
            m, v, h, step = _update(S[k, sx.m, i], S[k, sx.v, i], G[k, i], b1t, keep, w, eps, alpha_t)
            S[k, sx.m, i] = m
            S[k, sx.v, i] = v
            H[k, i] = h
            V[k, i] = v
            X[k, i] -= step
            s = abs(step)
            if s > big:
                big = s
        return big, b1t, alpha_t

    def _adamnc_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        n = X.shape[1]
        w = 1.0 / t
        keep = 1.0 - w
        for k in range(n):
            pl = _power(t, P[px.lam, k], Z[sx.lam_pow, k])
            Z[sx.lam_pow, k] = pl
            _start(OUT, k, P[px.beta1, k] * pl, _alpha_t(schedule, P[px.alpha, k], t))
        for i in range(X.shape[0]):
            for k in range(n):
                m, v, h, step = _update(S[sx.m, i, k], S[sx.v, i, k], G[i, k], OUT[1, k], keep, w, P[px.eps, k],
                                        OUT[2, k])
                S[sx.m, i, k] = m
                S[sx.v, i, k] = v
                V[i, k] = v
                _move(X, H, OUT, i, k, h, step)

    return _adamnc_step, None, None, dict(batch=_adamnc_batch)


_ADAMNC_SPECS = _specialise("_AdamNCSpec", _make_adamnc_step, dict(schedule=(THEOREM, CONSTANT)))


@dataclass(frozen=True)
class AdamNC(Learner):
    r"""AdamNC (Reddi et al., ICLR 2018, section 5): Adam with beta2_t = 1 - 1/t::

        m_t = beta1_t m_{t-1} + (1 - beta1_t) g_t
        v_t = (1 - 1/t) v_{t-1} + (1/t) g_t^2        # = mean of g_1^2 .. g_t^2
        theta_{t+1} = Pi_{X, sqrt(V_t)}(theta_t - alpha_t m_t / (sqrt(v_t) + eps))

    No bias correction (v_t is already an average).
    """

    alpha: float = 0.001
    beta1: float = 0.9
    eps: float = 0.0
    lam: float = 1.0
    schedule: str = "theorem"
    projection: str = "weighted"

    State = AdamNCState
    coordinate_state = ('m', 'v')
    Params = AdamNCParams

    def __post_init__(self):
        w = "AdamNC: "
        _common(self, w)
        _set(self, "lam", V.real("lam", self.lam, 0.0, 1.0, lo_open=True, where=w))
        V.choice("projection", self.projection, _PROJECTION, where=w)

    @property
    def weighted_projection(self):
        return self.projection == "weighted"

    def _spec(self):
        return _ADAMNC_SPECS[(_SCHEDULES[self.schedule],)]


# =============================================================== Nesterov SGD

def _make_nesterov_step(schedule):
    px, sx = _layout(NesterovParams, NesterovState, ('b',))

    @_inline
    def _update(b0, g, mu, alpha_t):
        """One coordinate's (b, Delta) at round t from its b of round t - 1."""
        b = mu * b0 + g
        return b, alpha_t * (g + mu * b)

    def _nesterov_step(spec, P, k, S, Z, X, G, H, V, t):
        alpha_t = _alpha_t(schedule, P[k, px.alpha], t)
        mu = P[k, px.momentum]
        inv = 1.0 / alpha_t
        big = 0.0
        for i in range(X.shape[1]):
            b, step = _update(S[k, sx.b, i], G[k, i], mu, alpha_t)
            S[k, sx.b, i] = b
            H[k, i] = inv
            X[k, i] -= step
            s = abs(step)
            if s > big:
                big = s
        return big, mu, alpha_t

    def _nesterov_batch(spec, P, S, Z, X, G, H, V, t, OUT):
        n = X.shape[1]
        for k in range(n):
            _start(OUT, k, P[px.momentum, k], _alpha_t(schedule, P[px.alpha, k], t))
        for i in range(X.shape[0]):
            for k in range(n):
                alpha_t = OUT[2, k]
                b, step = _update(S[sx.b, i, k], G[i, k], OUT[1, k], alpha_t)
                S[sx.b, i, k] = b
                _move(X, H, OUT, i, k, 1.0 / alpha_t, step)

    return _nesterov_step, None, None, dict(batch=_nesterov_batch)


_NESTEROV_SPECS = _specialise("_NesterovSpec", _make_nesterov_step, dict(schedule=(THEOREM, CONSTANT)))


@dataclass(frozen=True)
class NesterovSGD(Learner):
    r"""SGD with Nesterov momentum, in torch.optim.SGD's form (nesterov=True, dampening 0)::

        b_t = momentum b_{t-1} + g_t
        theta_{t+1} = Proj(theta_t - alpha_t (g_t + momentum b_t))
    """

    alpha: float = 0.01
    momentum: float = 0.9
    schedule: str = "constant"

    State = NesterovState
    coordinate_state = ('b',)
    Params = NesterovParams

    def __post_init__(self):
        _common(self, "NesterovSGD: ")
        _set(self, "momentum", V.real("momentum", self.momentum, 0.0, 1.0, hi_open=True, where="NesterovSGD: "))

    def _spec(self):
        return _NESTEROV_SPECS[(_SCHEDULES[self.schedule],)]


ALL_LEARNERS = (Adam, AMSGrad, AdaMax, AdaGrad, RMSProp, OGD, AdamNC, NesterovSGD)
#: the learners by name, as sweep files and the verification suite name them
CATALOGUE = {cls.__name__: cls for cls in ALL_LEARNERS}
