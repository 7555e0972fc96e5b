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

    ``P[k]`` holds trial k's hyperparameters, ``S[k, slot, i]`` its per-coordinate
    state and ``Z[k, j]`` its scalar state (both zero at t = 1), ``X[k]`` the iterate theta_t, overwritten with theta_t - Delta_t
    (before projection), ``G[k]`` the gradient g_t.  The step writes ``H[k, i]``,
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
    table = {"learner": _LEARNER_STEP, "stream": _STREAM_ROUND, "domain": _PROJECT}[kind]
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
