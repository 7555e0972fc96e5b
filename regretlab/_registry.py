"""Static dispatch from a spec's type to its compiled implementation.

A learner, a stream or a domain is described to the kernel by a small immutable
``NamedTuple`` spec.  Each spec class is registered here with a plain Python
function that Numba can compile.  The engine calls the three stubs below; inside
the compiled kernel ``numba.extending.overload`` picks the implementation from the
spec's *type*, so one kernel is compiled per combination of spec types and reused
(also from the on-disk cache) for any hyperparameter values.  Each registered function
(and each recorder's) is compiled on its own, once per argument types, and LLVM inlines it
into every kernel that calls it (:func:`_always_inline`): a new combination compiles only
the loop around them.  Under ``NUMBA_DISABLE_JIT=1`` the stubs dispatch to the same Python
functions.

This is how a user extends regretlab without editing the engine: write the
compiled function, a ``NamedTuple`` spec and register it (see
:func:`register_learner`, :func:`register_stream`, :func:`register_domain`).
"""
from __future__ import annotations

import numba
import numpy as np
from numba.extending import overload

from ._jit import JIT_OPTIONS, njit

_LEARNER_STEP = {}
_STREAM_ROUND = {}
_PROJECT = {}
# the O(nnz) forms of sparse rounds (see "sparse rounds" below): spec class -> function
_LEARNER_TOUCH = {}
_LEARNER_REFRESH = {}
_STREAM_TOUCH = {}
_PROJECT_TOUCHED = {}
_SPARSE_KIND = {}  # learner spec class -> (exact, untouched_h)
# the batch forms, which play one round of every trial at once on arrays with the trials last (see
# ``batch`` in register_learner): spec class -> function
_LEARNER_BATCH = {}
_STREAM_BATCH = {}
_PROJECT_BATCH = {}
#: what a sparse learner promises about H_{t,i} of a coordinate no round touches (register_sparse_learner)
UNTOUCHED_H = ("constant", "nondecreasing", "any")


#: the parameters of each function the kernel calls through a stub below, in order: the stub's
#: implementation (``_linked``) calls the function by these names, and Numba would refuse an
#: implementation whose names differ (with an error about typing templates at the first play), so
#: they are checked at registration
_PARAMS = {
    "step": ("spec", "P", "k", "S", "Z", "X", "G", "H", "V", "t"),
    "round": ("spec", "seed", "t", "X", "k", "G", "SUFF"),
    "project": ("spec", "X", "k", "W", "weighted"),
    "touch": ("spec", "P", "k", "S", "Z", "X", "G", "H", "V", "t", "IDX", "m"),
    "refresh": ("spec", "P", "k", "S", "Z", "H", "V", "t", "i", "last"),
    "stream touch": ("spec", "seed", "t", "X", "k", "G", "SUFF", "IDX"),
    "project_touched": ("spec", "X", "k", "IDX", "m"),
    "batch step": ("spec", "P", "S", "Z", "X", "G", "H", "V", "t", "OUT"),
    "batch round": ("spec", "seeds", "t", "X", "G", "SUFF", "LOSS"),
    "batch project": ("spec", "X", "W", "weighted"),
}


def _check_params(kind, spec_cls, what, fn):
    import inspect

    try:
        sig = inspect.signature(getattr(fn, "py_func", fn))
    except (TypeError, ValueError):
        return  # not introspectable (a builtin): Numba reports it when it compiles the loop
    got = tuple(sig.parameters)
    want = _PARAMS[what]
    if got != want:
        name = what if what.startswith("batch") else what.split()[-1]
        raise ValueError(f"{kind} {spec_cls.__name__}: its {name} function must take exactly the "
                         f"parameters ({', '.join(want)}), got ({', '.join(got)})")


def _register(table, kind, spec_cls, fn, what):
    if not (isinstance(spec_cls, type) and issubclass(spec_cls, tuple) and hasattr(spec_cls, "_fields")):
        raise ValueError(f"{kind} spec must be a NamedTuple class, got {spec_cls!r}")
    if not callable(fn):
        raise ValueError(f"{kind} implementation must be a function, got {fn!r}")
    _check_params(kind, spec_cls, what, fn)
    table[spec_cls] = fn
    return fn


def register_learner(spec_cls, step, *, touch=None, refresh=None, batch=None):
    """Register ``step(spec, P, k, S, Z, X, G, H, V, t) -> (max_abs_step, beta1_t, alpha_t)``.

    Row ``P[k]`` holds trial k's hyperparameters in the order of the learner's ``Params`` fields,
    ``S[k, slot, i]`` its per-coordinate state and ``Z[k, slot]`` its per-trial state, in the
    layout of its ``State`` fields (zero at t = 1; ``Learner.allocate`` makes them and
    ``Learner.state_of`` names them; a step reads them through named index tuples, e.g.
    ``P[k, px.alpha]``, ``S[k, sx.m, i]``).  ``X[k]`` is the iterate theta_t, overwritten with
    theta_t - Delta_t (before projection), ``G[k]`` the gradient g_t.  The step writes ``H[k, i]``,
    the per-coordinate inverse step size (Delta_i = direction_i / H_i; for Adam
    H = sqrt(v_hat)/alpha_t, the quantity whose increments Gamma_{t,i} the proof
    of Theorem 4.1 assumes non-negative), and ``V[k, i]``, the second-moment
    estimate the bounds use (0 for learners without one).

    ``touch`` and ``refresh`` (both or neither) make the learner play sparse streams in O(nnz)
    per round (see :func:`register_sparse_learner`).

    ``batch(spec, P, S, Z, X, G, H, V, t, OUT)``, optional, is round t of ``step`` for every trial
    at once, on the same arrays with the trial index last (structure of arrays, C order): P[j, k],
    S[slot, i, k], Z[slot, k], X[i, k], G[i, k], H[i, k], V[i, k]; it writes trial k's
    (max_abs_step, beta1_t, alpha_t) into OUT[0, k], OUT[1, k], OUT[2, k].  Its results must be
    ``step``'s bit for bit (the same operations in the same order for each trial).  Written with
    the trials as the innermost loop and no branch that leaves it, the compiler interleaves the
    trials and vectorises across them: games of enough trials (``regretlab.game.boundary._batched``)
    whose stream and domain have batch forms too play through it (see :func:`batch_support`).

    The parameter names must be exactly these (a ValueError at registration names them).
    """
    if (touch is None) != (refresh is None):
        raise ValueError(f"learner {getattr(spec_cls, '__name__', spec_cls)}: a sparse form needs both touch and "
                         "refresh")
    _register(_LEARNER_STEP, "learner", spec_cls, step, "step")
    if touch is not None:
        register_sparse_learner(spec_cls, touch, refresh)
    if batch is not None:
        _register(_LEARNER_BATCH, "learner", spec_cls, batch, "batch step")
    return step


def register_stream(spec_cls, round_fn, *, touch=None, batch=None):
    """Register ``round_fn(spec, seed, t, X, k, G, SUFF) -> loss``.

    Evaluates f_t at theta_t = X[k], writes g_t into G[k], adds round t's
    comparator sufficient statistics to SUFF[k] and returns f_t(theta_t).  Its
    randomness must be a pure function of (seed, t) (see ``regretlab._rng``).

    ``touch(spec, seed, t, X, k, G, SUFF, IDX) -> (loss, m)``, optional, is the same round in
    O(nnz) for a sparse stream: G[k] is zero on entry; it writes g_t at the coordinates the
    round touches (with exactly the arithmetic of ``round_fn``), their distinct indices in
    increasing order into IDX[k, :m], and returns the loss and m.  Coordinates outside
    IDX[k, :m] must have g_{t,i} = 0.  The stream object says how many coordinates a round
    touches at most (its ``max_touched``).  Every round the loop checks that 0 <= m <= max_touched
    and that the indices increase strictly within [0, d), and otherwise stops with a ValueError
    naming the round (a touch function that writes past max_touched entries or coordinate d - 1
    has already written outside the arrays by then: the check reports it, it cannot prevent it).

    ``batch(spec, seeds, t, X, G, SUFF, LOSS)``, optional, is round t of ``round_fn`` for every
    trial k (seed ``seeds[k]``) at once, on arrays with the trial index last: X[i, k], G[i, k],
    SUFF[j, k]; it writes trial k's loss into LOSS[k].  Bit for bit ``round_fn``'s results (see
    ``batch`` in :func:`register_learner`).

    The parameter names of these functions must be exactly these (a ValueError at registration
    names them).
    """
    _register(_STREAM_ROUND, "stream", spec_cls, round_fn, "round")
    if touch is not None:
        _register(_STREAM_TOUCH, "stream", spec_cls, touch, "stream touch")
    if batch is not None:
        _register(_STREAM_BATCH, "stream", spec_cls, batch, "batch round")
    return round_fn


def register_domain(spec_cls, project_fn, *, project_touched=None, batch=None):
    """Register ``project_fn(spec, X, k, W, weighted)``: project X[k] in place.

    With ``weighted`` true, minimise sum_i W[k, i] (x_i - y_i)^2 instead of the
    Euclidean distance (AMSGrad's Pi_{X, sqrt(V_hat)}, THEORY.md section 5).

    ``project_touched(spec, X, k, IDX, m)``, optional, for a coordinatewise projection only:
    the Euclidean projection of X[k] when only the coordinates IDX[k, :m] may have left the set
    (the others are fixed points of the projection), in O(m).  Sparse rounds need it.  A spec type that
    serves several sets (as regretlab's one type for Box, Ball and Unconstrained does) says per
    instance, with a ``coordinatewise`` property, whether this one's projection is coordinatewise.

    ``batch(spec, X, W, weighted)``, optional, projects every trial's iterate at once, on arrays
    with the trial index last (X[i, k], W[i, k]), bit for bit as ``project_fn`` (see ``batch`` in
    :func:`register_learner`).

    The parameter names must be exactly these (a ValueError at registration names them).
    """
    _register(_PROJECT, "domain", spec_cls, project_fn, "project")
    if project_touched is not None:
        _register(_PROJECT_TOUCHED, "domain", spec_cls, project_touched, "project_touched")
    if batch is not None:
        _register(_PROJECT_BATCH, "domain", spec_cls, batch, "batch project")
    return project_fn


def register_sparse_learner(spec_cls, touch, refresh, *, exact=True, untouched_h="any"):
    r"""Let a learner play sparse streams at O(nnz) per round.

    This needs a learner whose untouched coordinates (g_{t,i} = 0) keep theta_i, and whose
    per-coordinate state after rounds of g_{t,i} = 0 is a function of (the state, the rounds
    elapsed, t) that ``refresh`` computes in O(1): OGD, AdaGrad and lazy Adam (nothing moves but H),
    RMSProp and Adam with beta1 = 0 (v decays by beta2 per round).  (Adam with beta1 > 0 and AMSGrad
    move their untouched coordinates through m: they play sparse streams through the dense loop.)

    * ``touch(spec, P, k, S, Z, X, G, H, V, t, IDX, m) -> (max_abs_step, beta1_t, alpha_t)``:
      round t of the step for the touched coordinates i = IDX[k, j], j < m (whose state is current
      at round t - 1), with the per-trial state Z advanced exactly as ``step`` does; its results
      must equal ``step``'s bit for bit.
    * ``refresh(spec, P, k, S, Z, H, V, t, i, last)``: bring coordinate i, whose state is current at
      round ``last`` (<= t; 0: the start) and which no round in (last, t] touched, to round t: its
      state S[k, :, i], H[k, i] and V[k, i] as ``step`` leaves them after round t (Z is at round t).
      The loop calls it for the touched coordinates with t - 1 before each round from the second
      on, and for every coordinate at each checkpoint, so that the state and the records equal
      the dense loop's there.
    * ``exact``: whether ``refresh`` reproduces the dense loop's rounding.  A catch-up by a power
      (v beta2^j where the dense loop multiplies j times) is exact in real arithmetic and rounds
      differently (relative differences of order j 1e-16): ``play(..., sparse=None)`` then keeps
      the dense loop, and ``sparse=True`` chooses the catch-up.
    * ``untouched_h``: what H_{t,i} of an untouched coordinate does as t grows.  ``"constant"``: it
      does not change (lazy Adam); ``"nondecreasing"``: it may grow, and then the learner's beta1_t
      must be 0 at every round (OGD, AdaGrad: H = (delta + sqrt(sum g^2)) / alpha_t); ``"any"`` (the
      default): it may decrease (RMSProp's H decays with v).  The sparse form of
      :class:`regretlab.recorders.StepSizeGrowth` needs "constant" or "nondecreasing": it counts
      Gamma_{t,i} < 0 only where a round touched, and it carries sum_i H_{t,i} (for
      sum_t beta1_t sum_i H_{t,i}) by the touched coordinates' changes; with "any" a recording
      with that recorder plays dense.

    The functions must use exactly these parameter names (a ValueError at registration names them).
    """
    if spec_cls not in _LEARNER_STEP:
        raise ValueError(f"register the step of {spec_cls.__name__} before its sparse form")
    if touch is None or refresh is None:
        raise ValueError(f"learner {spec_cls.__name__}: a sparse form needs both touch and refresh")
    _register(_LEARNER_TOUCH, "learner", spec_cls, touch, "touch")
    _register(_LEARNER_REFRESH, "learner", spec_cls, refresh, "refresh")
    if untouched_h not in UNTOUCHED_H:
        raise ValueError(f"learner {spec_cls.__name__}: untouched_h must be one of {UNTOUCHED_H}, "
                         f"got {untouched_h!r}")
    _SPARSE_KIND[spec_cls] = (bool(exact), untouched_h)
    return spec_cls


def _lookup(table, spec_type):
    return table.get(getattr(spec_type, "instance_class", None))


def is_registered(kind, spec):
    table = {"learner": _LEARNER_STEP, "stream": _STREAM_ROUND, "domain": _PROJECT, "recorder": _RECORDERS}[kind]
    return type(spec) in table


def sparse_support(lspec, sspec, dspec, recs, weighted):
    """(why not, exact): the reasons this game cannot play its rounds in O(nnz) (empty when it can),
    and whether the sparse loop reproduces the dense loop's rounding."""
    why = []
    if type(sspec) not in _STREAM_TOUCH:
        why.append("the stream has no sparse rounds")
    exact, untouched_h = _SPARSE_KIND.get(type(lspec), (True, "any"))
    if type(lspec) not in _LEARNER_TOUCH:
        why.append("the learner's untouched coordinates move (OGD, AdaGrad, lazy Adam, RMSProp and Adam with "
                   "beta1 = 0 keep them)")
    if weighted:
        why.append("the projection is weighted")
    if type(dspec) not in _PROJECT_TOUCHED or not getattr(dspec, "coordinatewise", True):
        why.append("the domain's projection is not coordinatewise")
    for r in recs:
        info = _RECORDERS.get(type(r))
        if info is not None and not info.sparse:
            why.append(f"the recorder {type(r).__name__} has no sparse form")
        elif info is not None and info.needs_monotone_h and untouched_h == "any":
            why.append(f"the recorder {type(r).__name__} needs the H of untouched coordinates not to decrease, "
                       "and this learner's may (record without it, e.g. record=\"regret\")")
    return why, exact


def batch_support(lspec, sspec, dspec):
    """The components of this game without a batch form (empty when its trials can play a round at
    once, see ``batch`` in :func:`register_learner`)."""
    return [what for what, table, spec in (("learner", _LEARNER_BATCH, lspec), ("stream", _STREAM_BATCH, sspec),
                                           ("domain", _PROJECT_BATCH, dspec)) if type(spec) not in table]


# --- the stubs the engine calls --------------------------------------------------------

def learner_step(spec, P, k, S, Z, X, G, H, V, t):
    return _LEARNER_STEP[type(spec)](spec, P, k, S, Z, X, G, H, V, t)


def stream_round(spec, seed, t, X, k, G, SUFF):
    return _STREAM_ROUND[type(spec)](spec, seed, t, X, k, G, SUFF)


def project(spec, X, k, W, weighted):
    return _PROJECT[type(spec)](spec, X, k, W, weighted)


def learner_touch(spec, P, k, S, Z, X, G, H, V, t, IDX, m):
    return _LEARNER_TOUCH[type(spec)](spec, P, k, S, Z, X, G, H, V, t, IDX, m)


def learner_refresh(spec, P, k, S, Z, H, V, t, i, last):
    return _LEARNER_REFRESH[type(spec)](spec, P, k, S, Z, H, V, t, i, last)


def stream_touch(spec, seed, t, X, k, G, SUFF, IDX):
    return _STREAM_TOUCH[type(spec)](spec, seed, t, X, k, G, SUFF, IDX)


def project_touched(spec, X, k, IDX, m):
    return _PROJECT_TOUCHED[type(spec)](spec, X, k, IDX, m)


def learner_batch(spec, P, S, Z, X, G, H, V, t, OUT):
    return _LEARNER_BATCH[type(spec)](spec, P, S, Z, X, G, H, V, t, OUT)


def stream_batch(spec, seeds, t, X, G, SUFF, LOSS):
    return _STREAM_BATCH[type(spec)](spec, seeds, t, X, G, SUFF, LOSS)


def project_batch(spec, X, W, weighted):
    return _PROJECT_BATCH[type(spec)](spec, X, W, weighted)


# what the kernel calls is compiled into it (the kernel is cached), so not cached on its own: generated
# source has no file for Numba's cache, and a closure over a learner's modes cannot be cached
_INLINED = {**JIT_OPTIONS, "cache": False}
_DISPATCHERS = {}  # (registered function, numba_inline) -> its dispatcher (compiled once per argument types)


def _dispatcher(fn, numba_inline=False):
    """``fn`` (a plain function or a Numba dispatcher) as one uncached dispatcher, made once: compiled on its
    own for LLVM to inline (see :func:`_always_inline`), or with ``numba_inline`` for Numba to inline."""
    key = (fn, numba_inline)
    if key not in _DISPATCHERS:
        opts = {**_INLINED, **({"inline": "always"} if numba_inline else {})}
        _DISPATCHERS[key] = numba.njit(**opts)(getattr(fn, "py_func", fn))
    return _DISPATCHERS[key]


def _linked(table, what, types):
    """The implementation of a stub for the argument ``types`` (a dict by parameter name): a call of
    the registered function compiled on its own and marked for LLVM to inline into the kernel (see
    :func:`_always_inline`)."""
    fn = _lookup(table, types["spec"])
    if fn is None:
        return None
    disp = _dispatcher(fn)
    names = _PARAMS[what]
    if not _always_inline(disp, [types[a] for a in names]):
        return fn  # inlined by Numba
    return _generated("impl", names, [f"return disp({', '.join(names)})"], {"disp": disp})


@overload(learner_step, jit_options=_INLINED, inline="always")
def _learner_step_typed(spec, P, k, S, Z, X, G, H, V, t):
    return _linked(_LEARNER_STEP, "step", locals())


@overload(stream_round, jit_options=_INLINED, inline="always")
def _stream_round_typed(spec, seed, t, X, k, G, SUFF):
    return _linked(_STREAM_ROUND, "round", locals())


@overload(project, jit_options=_INLINED, inline="always")
def _project_typed(spec, X, k, W, weighted):
    return _linked(_PROJECT, "project", locals())


@overload(learner_touch, jit_options=_INLINED, inline="always")
def _learner_touch_typed(spec, P, k, S, Z, X, G, H, V, t, IDX, m):
    return _linked(_LEARNER_TOUCH, "touch", locals())


@overload(learner_refresh, jit_options=_INLINED, inline="always")
def _learner_refresh_typed(spec, P, k, S, Z, H, V, t, i, last):
    return _linked(_LEARNER_REFRESH, "refresh", locals())


@overload(stream_touch, jit_options=_INLINED, inline="always")
def _stream_touch_typed(spec, seed, t, X, k, G, SUFF, IDX):
    return _linked(_STREAM_TOUCH, "stream touch", locals())


@overload(project_touched, jit_options=_INLINED, inline="always")
def _project_touched_typed(spec, X, k, IDX, m):
    return _linked(_PROJECT_TOUCHED, "project_touched", locals())


@overload(learner_batch, jit_options=_INLINED, inline="always")
def _learner_batch_typed(spec, P, S, Z, X, G, H, V, t, OUT):
    return _linked(_LEARNER_BATCH, "batch step", locals())


@overload(stream_batch, jit_options=_INLINED, inline="always")
def _stream_batch_typed(spec, seeds, t, X, G, SUFF, LOSS):
    return _linked(_STREAM_BATCH, "batch round", locals())


@overload(project_batch, jit_options=_INLINED, inline="always")
def _project_batch_typed(spec, X, W, weighted):
    return _linked(_PROJECT_BATCH, "batch project", locals())


# --- recorders: per-round statistics the engine runs without knowing what they compute ------

class RecorderInfo:
    """What the engine needs to know of a registered recorder spec class (see :func:`register_recorder`)."""

    def __init__(self, spec_cls, fields, n_acc, coords, coord_start, final, observe, after_step, snapshot,
                 sparse=False, observe_touched=None, after_step_touched=None, sync=None, needs_monotone_h=False,
                 observe_batch=None, after_step_batch=None):
        self.sparse = bool(sparse)
        # the batch forms (None: the batch loop calls the per-trial function for each trial)
        self.observe_batch = observe_batch
        self.after_step_batch = after_step_batch
        self.needs_monotone_h = bool(needs_monotone_h)
        self.observe_touched = observe_touched or _keep_observe_touched
        self.after_step_touched = after_step_touched or _keep_after_step_touched
        self.sync = sync or _keep_sync
        self.spec_cls = spec_cls
        self.fields = tuple(fields)
        self.n_acc = n_acc
        self.coords = tuple(coords)
        self.coord_start = dict(coord_start)
        self.final = dict(final)
        self.observe = observe
        self.after_step = after_step
        self.snapshot = snapshot


_RECORDERS = {}


def _keep_observe(spec, a, C, k, t, X, G):
    return a


def _keep_after_step(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t):
    return a


def _keep_observe_touched(spec, a, C, k, t, X, G, H, IDX, m):
    return a


def _keep_after_step_touched(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m):
    return a


def _keep_sync(spec, a, C, k, X, H, V, IDX, m):
    return a


def register_recorder(spec_cls, *, fields, snapshot, n_acc=0, coords=(), coord_start=None, final=None,
                      observe=None, after_step=None, sparse=None, observe_touched=None, after_step_touched=None,
                      sync=None, needs_monotone_h=False, observe_batch=None, after_step_batch=None):
    r"""Register a recorder: statistics accumulated in the compiled loop and written at each checkpoint.

    The engine calls a recorder's three functions without knowing what they compute; a bound
    that needs a statistic names the record field, and ``play(..., record=...)`` chooses the
    recorders a run carries.  All functions must be compilable by Numba (plain functions).

    Parameters
    ----------
    spec_cls : NamedTuple class
        The recorder's spec (its parameters; an empty-field class such as ``class R(NamedTuple):
        tag: int = 0`` when it has none).  One compiled loop per combination of spec types.
    fields : tuple of str
        The names of the values ``snapshot`` writes, in order: they become the run's records
        (``runs.records[name]``, shape (n_seeds, len(t))).
    snapshot : function
        ``snapshot(spec, a, C, k, X, V, out, c)``: write ``out[k, c, j]`` for each field j at a
        checkpoint (trial k, checkpoint c).
    n_acc : int
        Number of scalar accumulators.  They travel through the loop as a tuple ``a`` of
        ``n_acc`` floats (kept in registers over a chunk of rounds); they start at 0.
    coords : tuple of str
        Names of per-coordinate state rows ``C[k, j, i]`` (j in the order given).
    coord_start : dict, optional
        Start value of a coordinate row: a float, or ``"x0"`` for the start theta_1 (default 0).
    final : dict, optional
        ``{name: coord row}``: rows exposed after the run as ``runs.final[name]`` (shape
        (n_seeds, d)).
    observe : function, optional
        ``observe(spec, a, C, k, t, X, G) -> a``: round t before the step, theta_t = X[k],
        g_t = G[k].  Returns the new accumulator tuple.
    after_step : function, optional
        ``after_step(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t) -> a``: after the
        learner's step, before the projection: X[k] = theta_t - Delta_t, H[k] the inverse step
        size, V[k] the second-moment estimate, ``step`` = ||Delta_t||_inf, beta1_t and alpha_t
        the learner's schedule at round t (see :func:`register_learner`).
    sparse : bool, optional
        Whether the recorder has a sparse form, for games played in O(nnz) per round (a sparse
        stream and a learner of :func:`register_sparse_learner`).  Default: True for a recorder
        with neither ``observe`` nor ``after_step`` (it reads only the state at checkpoints, which
        equals the dense loop's there), else False.  With ``sparse=True`` give the touched forms
        of the per-round functions it has; they must give the dense functions' results when every
        coordinate outside IDX[k, :m] has g_{t,i} = 0 and keeps theta_i and its state:
    observe_touched : function, optional
        ``observe_touched(spec, a, C, k, t, X, G, H, IDX, m) -> a``: ``observe`` for the touched
        coordinates IDX[k, :m]; H[k, i] holds H_{t-1,i} there.
    after_step_touched : function, optional
        ``after_step_touched(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m) -> a``.
    sync : function, optional
        ``sync(spec, a, C, k, X, H, V, IDX, m) -> a``, at each checkpoint of a sparse game (after
        round t), once the state of every coordinate was brought up to date (O(d) there is fine);
        IDX[k, :m] are the coordinates round t touched.
    needs_monotone_h : bool
        Whether the sparse form assumes what a learner's ``untouched_h="constant"`` or
        ``"nondecreasing"`` promises (see :func:`register_sparse_learner`); games of a learner with
        ``untouched_h="any"`` then play dense.
    observe_batch : function, optional
        ``observe_batch(spec, A, C, t, X, G, W)``: ``observe`` for every trial k at once, for the
        loop that plays the trials of a round together (see ``batch`` in :func:`register_learner`),
        on arrays with the trial index last: the accumulators A[j, k] (updated in place), the
        coordinate rows C[j, i, k], X[i, k], G[i, k]; W is scratch of 4 rows of n (W[r, k]) that
        the function may use between its entry and exit.  Bit for bit ``observe``'s results.
        Without it the batch loop calls ``observe`` trial by trial (correct, and slower).
    after_step_batch : function, optional
        ``after_step_batch(spec, A, C, t, X, H, V, OUT, W)``: ``after_step`` likewise, with trial k's
        (step, beta1_t, alpha_t) in OUT[0, k], OUT[1, k], OUT[2, k].
    """
    if not (isinstance(spec_cls, type) and issubclass(spec_cls, tuple) and hasattr(spec_cls, "_fields")):
        raise ValueError(f"recorder spec must be a NamedTuple class, got {spec_cls!r}")
    for what, fn in (("snapshot", snapshot), ("observe", observe), ("after_step", after_step),
                     ("observe_batch", observe_batch), ("after_step_batch", after_step_batch)):
        if fn is not None and not callable(fn):
            raise ValueError(f"recorder {spec_cls.__name__}: {what} must be a function, got {fn!r}")
    if snapshot is None:
        raise ValueError(f"recorder {spec_cls.__name__}: snapshot is required (it writes the fields)")
    fields = tuple(str(f) for f in fields)
    coords = tuple(str(c) for c in coords)
    if not fields:
        raise ValueError("a recorder must record at least one field")
    n_acc = int(n_acc)
    if n_acc < 0:
        raise ValueError(f"n_acc must be >= 0, got {n_acc}")
    coord_start = dict(coord_start or {})
    final = dict(final or {})
    for row in list(coord_start) + list(final.values()):
        if row not in coords:
            raise ValueError(f"recorder {spec_cls.__name__}: {row!r} names no coordinate row of {coords}")
    if sparse is None:
        sparse = observe is None and after_step is None
    for what, dense, fn in (("observe_touched", observe, observe_touched),
                            ("after_step_touched", after_step, after_step_touched), ("sync", None, sync)):
        if fn is not None and not callable(fn):
            raise ValueError(f"recorder {spec_cls.__name__}: {what} must be a function, got {fn!r}")
        if sparse and dense is not None and fn is None:
            raise ValueError(f"recorder {spec_cls.__name__}: sparse=True needs {what} (it has {what[:-8]})")
    for what, dense, fn in (("observe_batch", observe, observe_batch), ("after_step_batch", after_step,
                                                                         after_step_batch)):
        if fn is not None and dense is None:
            raise ValueError(f"recorder {spec_cls.__name__}: {what} is the batch form of {what[:-6]}, which it "
                             "does not have")
    _RECORDERS[spec_cls] = RecorderInfo(spec_cls, fields, n_acc, coords, coord_start, final,
                                        observe or _keep_observe, after_step or _keep_after_step, snapshot,
                                        sparse, observe_touched, after_step_touched, sync, needs_monotone_h,
                                        observe_batch, after_step_batch)
    return spec_cls


def reads_inv_step(recs):
    """Whether a recorder of ``recs`` reads H (the learner's inverse step size): one with an ``after_step``."""
    return any(recorder_info(r).after_step is not _keep_after_step for r in recs)


def recorder_info(spec):
    """The :class:`RecorderInfo` of a recorder spec (instance), or a ValueError naming the registration."""
    info = _RECORDERS.get(type(spec))
    if info is None:
        raise ValueError(f"record: {spec!r} is not a registered recorder; call "
                         "regretlab.register_recorder(SpecClass, fields=..., snapshot=...) first")
    return info


def _rec_info(spec_type):
    return _RECORDERS[spec_type.instance_class]


def observe(spec, a, C, k, t, X, G):
    return _RECORDERS[type(spec)].observe(spec, a, C, k, t, X, G)


def after_step(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t):
    return _RECORDERS[type(spec)].after_step(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t)


def snapshot(spec, a, C, k, X, V, out, c):
    return _RECORDERS[type(spec)].snapshot(spec, a, C, k, X, V, out, c)


def observe_touched(spec, a, C, k, t, X, G, H, IDX, m):
    return _RECORDERS[type(spec)].observe_touched(spec, a, C, k, t, X, G, H, IDX, m)


def after_step_touched(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m):
    return _RECORDERS[type(spec)].after_step_touched(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m)


def sync(spec, a, C, k, X, H, V, IDX, m):
    return _RECORDERS[type(spec)].sync(spec, a, C, k, X, H, V, IDX, m)


# The batch loop (regretlab.game.kernel._play_batch_kernel_py) keeps the recorders' accumulators and
# coordinate rows with the trial index last (RA[j]: (n_acc, n), RC[j]: (n_coords, d, n)), copied in and
# out by rec_soa and rec_aos, and calls each recorder's batch form, or its per-trial function trial by
# trial on transposed views when it has none.

@njit
def trials_last(A):
    """A new C array of A (n, ...) with the trial index moved last: (d, n) or (a, d, n)."""
    n = A.shape[0]
    if A.ndim == 2:
        out = np.empty((A.shape[1], n), A.dtype)
        for k in range(n):
            for i in range(A.shape[1]):
                out[i, k] = A[k, i]
        return out
    out = np.empty((A.shape[1], A.shape[2], n), A.dtype)
    for k in range(n):
        for j in range(A.shape[1]):
            for i in range(A.shape[2]):
                out[j, i, k] = A[k, j, i]
    return out


@njit
def trials_first(B, A):
    """Copy B (trials last, from :func:`trials_last`) back into A (trials first)."""
    n = A.shape[0]
    if A.ndim == 2:
        for k in range(n):
            for i in range(A.shape[1]):
                A[k, i] = B[i, k]
        return
    for k in range(n):
        for j in range(A.shape[1]):
            for i in range(A.shape[2]):
                A[k, j, i] = B[j, i, k]


@njit
def trials_first_view(C):
    """The view of C (slots, d, n), kept with the trials last, indexed as the per-trial functions index
    it: C[k, slot, i] (``np.transpose(C, (2, 0, 1))``).  Built from the strides: Numba's transpose with
    an axes tuple compiles a shape-error message, 2.8 s the first time in a process (measured, issue 13)."""
    s = C.strides
    return np.lib.stride_tricks.as_strided(C, shape=(C.shape[2], C.shape[0], C.shape[1]), strides=(s[2], s[0], s[1]))


def rec_soa(recs, RA, RC):
    """The recorders' accumulators and coordinate rows with the trial index last (copies)."""
    return tuple(trials_last(a) for a in RA), tuple(trials_last(c) for c in RC)


def rec_aos(recs, RA, RC, RAT, RCT):
    """Copy the batch loop's rows back into the game's arrays."""
    for j in range(len(recs)):
        trials_first(RAT[j], RA[j])
        trials_first(RCT[j], RC[j])


def _trialwise(fn, spec, A, C, t, X, args):
    for k in range(X.shape[1]):
        a = fn(spec, tuple(float(x) for x in A[:, k]), trials_first_view(C), k, t, X.T, *args(k))
        for i, x in enumerate(a):
            A[i, k] = x


def observe_batch_all(recs, RA, RC, t, X, G, W):
    for j, r in enumerate(recs):
        info = _RECORDERS[type(r)]
        if info.observe_batch is not None:
            info.observe_batch(r, RA[j], RC[j], t, X, G, W)
        elif info.observe is not _keep_observe:
            _trialwise(info.observe, r, RA[j], RC[j], t, X, lambda k: (G.T,))


def after_step_batch_all(recs, RA, RC, t, X, H, V, OUT, W):
    for j, r in enumerate(recs):
        info = _RECORDERS[type(r)]
        if info.after_step_batch is not None:
            info.after_step_batch(r, RA[j], RC[j], t, X, H, V, OUT, W)
        elif info.after_step is not _keep_after_step:
            _trialwise(info.after_step, r, RA[j], RC[j], t, X, lambda k: (H.T, V.T, OUT[0, k], OUT[1, k], OUT[2, k]))


def snapshot_batch_all(recs, RA, RC, X, V, FIELDS, c):
    for j, r in enumerate(recs):
        for k in range(X.shape[1]):
            snapshot(r, tuple(float(x) for x in RA[j][:, k]), trials_first_view(RC[j]), k, X.T, V.T, FIELDS[j], c)


# The engine walks the tuple of recorders with these (the functions above are their interpreter
# path, NUMBA_DISABLE_JIT=1): each is unrolled at compile time for the tuple's types (source
# generated per arity), calling each recorder's own function, compiled once per argument types and
# inlined by LLVM (see _linked), so every call is static and the accumulators stay a tuple of
# scalars the loop carries in registers.



def _tuple_src(items):
    return "(" + "".join(f"{x}, " for x in items) + ")"


def _generated(name, args, body, ns=None):
    src = f"def {name}({', '.join(args)}):\n" + "".join(f"    {line}\n" for line in body)
    ns = dict(ns or {})
    exec(compile(src, f"<regretlab recorders: {name}>", "exec"), ns)  # noqa: S102 - generated from arities only
    return ns[name]


def _always_inline(disp, argtys):
    """Compile ``disp`` for ``argtys`` and mark the compiled function ``alwaysinline`` for LLVM.

    A kernel that calls it then links its LLVM module and LLVM inlines it there: the function is
    typed and lowered once per argument types, not once per kernel as Numba's own
    ``inline="always"`` does (which copies and retypes the function's IR at every call site), and
    still costs no call in the loop (measured: the default recording's functions and the learner's,
    stream's and domain's ones cut a kernel's cold compile from 3.6 s to 2.3 s; the rounds run as
    fast).  The arrays must reach it as borrowed views (``regretlab._jit.borrow``), or the calls
    count references.  Returns False if this Numba keeps its compiled modules elsewhere than this
    relies on (``CompileResult.library._final_module``, ``fndesc.llvm_func_name``): the caller then
    inlines at Numba's level, as before.
    """
    sig = tuple(argtys)
    disp.compile(sig)  # a typing error in the function is the user's to see
    try:
        cres = disp.overloads[sig]
        fn = cres.library._final_module.get_function(cres.fndesc.llvm_func_name)
        if "alwaysinline" not in str(fn.attributes):
            fn.add_function_attribute("alwaysinline")
    except (AttributeError, KeyError, NameError, RuntimeError):
        return False
    return True


def load_all(recs, RA, k):
    return tuple(tuple(float(RA[j][k, i]) for i in range(RA[j].shape[1])) for j in range(len(recs)))


def store_all(recs, RA, k, accs):
    for j in range(len(recs)):
        for i, v in enumerate(accs[j]):
            RA[j][k, i] = v


def observe_all(recs, accs, RC, k, t, X, G):
    return tuple(observe(r, accs[j], RC[j], k, t, X, G) for j, r in enumerate(recs))


def after_step_all(recs, accs, RC, k, t, X, H, V, step, beta1_t, alpha_t):
    return tuple(after_step(r, accs[j], RC[j], k, t, X, H, V, step, beta1_t, alpha_t) for j, r in enumerate(recs))


def snapshot_all(recs, accs, RC, k, X, V, OUT, c):
    for j, r in enumerate(recs):
        snapshot(r, accs[j], RC[j], k, X, V, OUT[j], c)


def observe_touched_all(recs, accs, RC, k, t, X, G, H, IDX, m):
    return tuple(observe_touched(r, accs[j], RC[j], k, t, X, G, H, IDX, m) for j, r in enumerate(recs))


def after_step_touched_all(recs, accs, RC, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m):
    return tuple(after_step_touched(r, accs[j], RC[j], k, t, X, H, V, step, beta1_t, alpha_t, IDX, m)
                 for j, r in enumerate(recs))


def sync_all(recs, accs, RC, k, X, H, V, IDX, m):
    return tuple(sync(r, accs[j], RC[j], k, X, H, V, IDX, m) for j, r in enumerate(recs))


@overload(load_all, jit_options=_INLINED, inline="always")
def _load_all_typed(recs, RA, k):
    sizes = [_rec_info(r).n_acc for r in recs.types]
    items = [_tuple_src(f"RA[{j}][k, {i}]" for i in range(n)) for j, n in enumerate(sizes)]
    return _generated("load_all", ("recs", "RA", "k"), [f"return {_tuple_src(items)}"])


@overload(store_all, jit_options=_INLINED, inline="always")
def _store_all_typed(recs, RA, k, accs):
    sizes = [_rec_info(r).n_acc for r in recs.types]
    body = [f"RA[{j}][k, {i}] = accs[{j}][{i}]" for j, n in enumerate(sizes) for i in range(n)]
    return _generated("store_all", ("recs", "RA", "k", "accs"), body + ["return None"])


#: the arguments a recorder function takes its own element of (the others every recorder shares)
_PER_RECORDER = ("recs", "accs", "RC", "OUT")


def _unrolled(recs, what, name, args, returns, types):
    """Source for ``name(*args)`` calling each recorder's ``what`` function in turn, with its own
    element of the per-recorder tuples; returning the tuple of their results when ``returns``."""
    n = len(recs.types)
    fns = {}
    for j, r in enumerate(recs.types):
        argtys = [types[a][j] if a in _PER_RECORDER else types[a] for a in args]
        fn = getattr(_rec_info(r), what)
        disp = _dispatcher(fn)
        fns[f"f{j}"] = disp if _always_inline(disp, argtys) else _dispatcher(fn, numba_inline=True)
    body = [f"a{j} = f{j}(" + ", ".join(f"{a}[{j}]" if a in _PER_RECORDER else a for a in args) + ")"
            for j in range(n)]
    result = _tuple_src(f"a{j}" for j in range(n)) if returns else "None"
    return _generated(name, args, body + [f"return {result}"], fns)


@overload(observe_all, jit_options=_INLINED, inline="always")
def _observe_all_typed(recs, accs, RC, k, t, X, G):
    return _unrolled(recs, "observe", "observe_all", ("recs", "accs", "RC", "k", "t", "X", "G"), True,
                     locals())


@overload(after_step_all, jit_options=_INLINED, inline="always")
def _after_step_all_typed(recs, accs, RC, k, t, X, H, V, step, beta1_t, alpha_t):
    return _unrolled(recs, "after_step", "after_step_all",
                     ("recs", "accs", "RC", "k", "t", "X", "H", "V", "step", "beta1_t", "alpha_t"), True,
                     locals())


@overload(snapshot_all, jit_options=_INLINED, inline="always")
def _snapshot_all_typed(recs, accs, RC, k, X, V, OUT, c):
    return _unrolled(recs, "snapshot", "snapshot_all", ("recs", "accs", "RC", "k", "X", "V", "OUT", "c"), False,
                     locals())


@overload(observe_touched_all, jit_options=_INLINED, inline="always")
def _observe_touched_all_typed(recs, accs, RC, k, t, X, G, H, IDX, m):
    return _unrolled(recs, "observe_touched", "observe_touched_all",
                     ("recs", "accs", "RC", "k", "t", "X", "G", "H", "IDX", "m"), True,
                     locals())


@overload(after_step_touched_all, jit_options=_INLINED, inline="always")
def _after_step_touched_all_typed(recs, accs, RC, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m):
    return _unrolled(recs, "after_step_touched", "after_step_touched_all",
                     ("recs", "accs", "RC", "k", "t", "X", "H", "V", "step", "beta1_t", "alpha_t", "IDX", "m"), True,
                     locals())


@overload(sync_all, jit_options=_INLINED, inline="always")
def _sync_all_typed(recs, accs, RC, k, X, H, V, IDX, m):
    return _unrolled(recs, "sync", "sync_all", ("recs", "accs", "RC", "k", "X", "H", "V", "IDX", "m"), True,
                     locals())


# --- the batch loop's walkers ---------------------------------------------------------------

@overload(rec_soa, jit_options=_INLINED)
def _rec_soa_typed(recs, RA, RC):
    n = len(recs.types)
    a = _tuple_src(f"last(RA[{j}])" for j in range(n))
    c = _tuple_src(f"last(RC[{j}])" for j in range(n))
    return _generated("rec_soa", ("recs", "RA", "RC"), [f"return ({a}, {c})"], {"last": trials_last})


@overload(rec_aos, jit_options=_INLINED)
def _rec_aos_typed(recs, RA, RC, RAT, RCT):
    body = [line for j in range(len(recs.types))
            for line in (f"first(RAT[{j}], RA[{j}])", f"first(RCT[{j}], RC[{j}])")]
    return _generated("rec_aos", ("recs", "RA", "RC", "RAT", "RCT"), body + ["return None"], {"first": trials_first})


def _batch_walker(recs, name, args, batch_what, what, keep, trial_args, types):
    """Source for ``name(*args)``: each recorder's ``batch_what`` function with its own rows, or, for a
    recorder without one, its per-trial ``what`` function trial by trial on views with the trial
    index first (``trial_args``: the per-trial function's arguments after ``k, t, X``)."""
    fns, body = {"first_view": trials_first_view}, []
    for j, r in enumerate(recs.types):
        info = _rec_info(r)
        fn = getattr(info, batch_what)
        if fn is not None:
            argtys = [types[a][j] if a in ("recs", "RA", "RC") else types[a] for a in args]
            disp = _dispatcher(fn)
            fns[f"f{j}"] = disp if _always_inline(disp, argtys) else _dispatcher(fn, numba_inline=True)
            body.append(f"f{j}(" + ", ".join(f"{a}[{j}]" if a in ("recs", "RA", "RC") else a for a in args) + ")")
        elif getattr(info, what) is not keep:
            fns[f"f{j}"] = _dispatcher(getattr(info, what))  # a call per trial: user recorders without batch forms
            m = info.n_acc
            body += [f"C{j} = first_view(RC[{j}])",
                     "for k in range(X.shape[1]):",
                     f"    a = f{j}(recs[{j}], {_tuple_src(f'RA[{j}][{i}, k]' for i in range(m))}, C{j}, k, t, X.T, "
                     f"{trial_args})"]
            body += [f"    RA[{j}][{i}, k] = a[{i}]" for i in range(m)]
    return _generated(name, args, body + ["return None"], fns)


@overload(observe_batch_all, jit_options=_INLINED, inline="always")
def _observe_batch_all_typed(recs, RA, RC, t, X, G, W):
    return _batch_walker(recs, "observe_batch_all", ("recs", "RA", "RC", "t", "X", "G", "W"), "observe_batch",
                         "observe", _keep_observe, "G.T", locals())


@overload(after_step_batch_all, jit_options=_INLINED, inline="always")
def _after_step_batch_all_typed(recs, RA, RC, t, X, H, V, OUT, W):
    return _batch_walker(recs, "after_step_batch_all", ("recs", "RA", "RC", "t", "X", "H", "V", "OUT", "W"),
                         "after_step_batch", "after_step", _keep_after_step, "H.T, V.T, OUT[0, k], OUT[1, k], OUT[2, k]",
                         locals())


@overload(snapshot_batch_all, jit_options=_INLINED, inline="always")
def _snapshot_batch_all_typed(recs, RA, RC, X, V, FIELDS, c):
    fns, body = {"first_view": trials_first_view}, []
    for j, r in enumerate(recs.types):
        info = _rec_info(r)
        fns[f"f{j}"] = _dispatcher(info.snapshot)  # at checkpoints only: a call
        body += [f"C{j} = first_view(RC[{j}])",
                 "for k in range(X.shape[1]):",
                 f"    f{j}(recs[{j}], {_tuple_src(f'RA[{j}][{i}, k]' for i in range(info.n_acc))}, C{j}, k, X.T, V.T, "
                 f"FIELDS[{j}], c)"]
    return _generated("snapshot_batch_all", ("recs", "RA", "RC", "X", "V", "FIELDS", "c"), body + ["return None"],
                      fns)
