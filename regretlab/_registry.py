"""Static dispatch from a spec's type to its compiled implementation.

A learner, a stream or a domain is described to the kernel by a small immutable
``NamedTuple`` spec.  Each spec class is registered here with a plain Python
function that Numba can compile.  The engine calls the three stubs below; inside
the compiled kernel ``numba.extending.overload`` picks the implementation from the
spec's *type*, so one kernel is compiled per combination of spec types and reused
(also from the on-disk cache) for any hyperparameter values.  Under
``NUMBA_DISABLE_JIT=1`` the stubs dispatch to the same Python functions.

This is how a user extends regretlab without editing the engine: write the
compiled function, a ``NamedTuple`` spec and register it (see
:func:`register_learner`, :func:`register_stream`, :func:`register_domain`).
"""
from __future__ import annotations

import numba
from numba.extending import overload

from ._jit import JIT_OPTIONS

_LEARNER_STEP = {}
_STREAM_ROUND = {}
_PROJECT = {}


def _register(table, kind, spec_cls, fn):
    if not (isinstance(spec_cls, type) and issubclass(spec_cls, tuple) and hasattr(spec_cls, "_fields")):
        raise ValueError(f"{kind} spec must be a NamedTuple class, got {spec_cls!r}")
    if not callable(fn):
        raise ValueError(f"{kind} implementation must be a function, got {fn!r}")
    table[spec_cls] = fn
    return fn


def register_learner(spec_cls, step):
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
    """
    return _register(_LEARNER_STEP, "learner", spec_cls, step)


def register_stream(spec_cls, round_fn):
    """Register ``round_fn(spec, seed, t, X, k, G, SUFF) -> loss``.

    Evaluates f_t at theta_t = X[k], writes g_t into G[k], adds round t's
    comparator sufficient statistics to SUFF[k] and returns f_t(theta_t).  Its
    randomness must be a pure function of (seed, t) (see ``regretlab._rng``).
    """
    return _register(_STREAM_ROUND, "stream", spec_cls, round_fn)


def register_domain(spec_cls, project_fn):
    """Register ``project_fn(spec, X, k, W, weighted)``: project X[k] in place.

    With ``weighted`` true, minimise sum_i W[k, i] (x_i - y_i)^2 instead of the
    Euclidean distance (AMSGrad's Pi_{X, sqrt(V_hat)}, THEORY.md section 5).
    """
    return _register(_PROJECT, "domain", spec_cls, project_fn)


def _lookup(table, spec_type):
    return table.get(getattr(spec_type, "instance_class", None))


def is_registered(kind, spec):
    table = {"learner": _LEARNER_STEP, "stream": _STREAM_ROUND, "domain": _PROJECT, "recorder": _RECORDERS}[kind]
    return type(spec) in table


# --- the stubs the engine calls --------------------------------------------------------

def learner_step(spec, P, k, S, Z, X, G, H, V, t):
    return _LEARNER_STEP[type(spec)](spec, P, k, S, Z, X, G, H, V, t)


def stream_round(spec, seed, t, X, k, G, SUFF):
    return _STREAM_ROUND[type(spec)](spec, seed, t, X, k, G, SUFF)


def project(spec, X, k, W, weighted):
    return _PROJECT[type(spec)](spec, X, k, W, weighted)


@overload(learner_step, jit_options=JIT_OPTIONS, inline="always")
def _learner_step_typed(spec, P, k, S, Z, X, G, H, V, t):
    return _lookup(_LEARNER_STEP, spec)


@overload(stream_round, jit_options=JIT_OPTIONS, inline="always")
def _stream_round_typed(spec, seed, t, X, k, G, SUFF):
    return _lookup(_STREAM_ROUND, spec)


@overload(project, jit_options=JIT_OPTIONS, inline="always")
def _project_typed(spec, X, k, W, weighted):
    return _lookup(_PROJECT, spec)


# --- recorders: per-round statistics the engine runs without knowing what they compute ------

class RecorderInfo:
    """What the engine needs to know of a registered recorder spec class (see :func:`register_recorder`)."""

    def __init__(self, spec_cls, fields, n_acc, coords, coord_start, final, observe, after_step, snapshot):
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


def register_recorder(spec_cls, *, fields, snapshot, n_acc=0, coords=(), coord_start=None, final=None,
                      observe=None, after_step=None):
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
    """
    if not (isinstance(spec_cls, type) and issubclass(spec_cls, tuple) and hasattr(spec_cls, "_fields")):
        raise ValueError(f"recorder spec must be a NamedTuple class, got {spec_cls!r}")
    for what, fn in (("snapshot", snapshot), ("observe", observe), ("after_step", after_step)):
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
    _RECORDERS[spec_cls] = RecorderInfo(spec_cls, fields, n_acc, coords, coord_start, final,
                                        observe or _keep_observe, after_step or _keep_after_step, snapshot)
    return spec_cls


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


# The engine walks the tuple of recorders with these (the functions above are their interpreter
# path, NUMBA_DISABLE_JIT=1): each is unrolled at compile time for the tuple's types (source
# generated per arity), calling each recorder's own function compiled for inlining, so every call
# is static and inlined and the accumulators stay a tuple of scalars the loop carries in registers.
# (Measured: through one more overload layer per recorder function the kernel took 12 s to compile
# instead of 7; not inlined, it ran 10x slower, since Numba counts a reference to each array taken
# out of a tuple.)

# generated source has no file for Numba's cache; it is inlined into the (cached) kernel anyway
_INLINED = {**JIT_OPTIONS, "cache": False}


def _tuple_src(items):
    return "(" + "".join(f"{x}, " for x in items) + ")"


def _generated(name, args, body, ns=None):
    src = f"def {name}({', '.join(args)}):\n" + "".join(f"    {line}\n" for line in body)
    ns = dict(ns or {})
    exec(compile(src, f"<regretlab recorders: {name}>", "exec"), ns)  # noqa: S102 - generated from arities only
    return ns[name]


def _jitted(info, what):
    """The recorder's ``what`` function compiled for inlining into the kernel (made once per recorder)."""
    cache = info.__dict__.setdefault("_jitted", {})
    if what not in cache:
        cache[what] = numba.njit(inline="always", **_INLINED)(getattr(info, what))
    return cache[what]


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


def _unrolled(recs, what, name, args, returns):
    """Source for ``name(*args)`` calling each recorder's ``what`` function in turn, with its own
    element of the per-recorder tuples; returning the tuple of their results when ``returns``."""
    n = len(recs.types)
    fns = {f"f{j}": _jitted(_rec_info(r), what) for j, r in enumerate(recs.types)}
    body = [f"a{j} = f{j}(" + ", ".join(f"{a}[{j}]" if a in _PER_RECORDER else a for a in args) + ")"
            for j in range(n)]
    result = _tuple_src(f"a{j}" for j in range(n)) if returns else "None"
    return _generated(name, args, body + [f"return {result}"], fns)


@overload(observe_all, jit_options=_INLINED, inline="always")
def _observe_all_typed(recs, accs, RC, k, t, X, G):
    return _unrolled(recs, "observe", "observe_all", ("recs", "accs", "RC", "k", "t", "X", "G"), True)


@overload(after_step_all, jit_options=_INLINED, inline="always")
def _after_step_all_typed(recs, accs, RC, k, t, X, H, V, step, beta1_t, alpha_t):
    return _unrolled(recs, "after_step", "after_step_all",
                     ("recs", "accs", "RC", "k", "t", "X", "H", "V", "step", "beta1_t", "alpha_t"), True)


@overload(snapshot_all, jit_options=_INLINED, inline="always")
def _snapshot_all_typed(recs, accs, RC, k, X, V, OUT, c):
    return _unrolled(recs, "snapshot", "snapshot_all", ("recs", "accs", "RC", "k", "X", "V", "OUT", "c"), False)
