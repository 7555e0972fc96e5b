"""Property tests (hypothesis) over the public API: random valid games keep every invariant of the
regret bookkeeping, and random invalid input is a ValueError naming the parameter before any kernel runs.

Compile budget: every (learner options, stream, domain) combination costs one cold Numba compile
(~4 s), so the numeric hyperparameters (which never recompile) are drawn freely while the
combinations are fixed: every learner with its default options on linear losses over a Box, the
weighted-projection learners also over a Ball, Adam against every stream family, and a few named
options (bias correction, eps mode, lazy, AMSGrad's variant, Euclidean projection).
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import fields
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from numba.core.errors import NumbaError

import regretlab as rl
from regretlab.game import boundary as E
from regretlab.hindsight import best_quadratic
from catalogue import LEARNERS, NAMES, NUMERIC, _NOT_A_NUMBER, _unit, column, invalid_values

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
settings.load_profile("ci")

ALL_LEARNERS = tuple(getattr(rl, n) for n in NAMES)  # every learner of the catalogue
LEARNER_IDS = [c.__name__ for c in ALL_LEARNERS]


# =============================================================================== strategies

def fl(lo, hi):
    """Floats in [lo, hi] (lo < 0 < hi) with magnitudes below 1e-100 mapped to 0: gradients that small
    underflow the squared-gradient statistics, the regime test_extremes.py covers."""
    return st.floats(lo, hi).map(lambda v: 0.0 if abs(v) < 1e-100 else v)


@st.composite
def learners(draw, cls):
    hp = {n: draw(NUMERIC[n]) for n in cls.Params._fields}
    for n in LEARNERS[cls.__name__].nullable:
        if draw(st.booleans()):
            hp[n] = None  # documented default: resolved from the schedule
    return cls(**hp)


@st.composite
def boxes(draw, d):
    lo = np.array(draw(st.lists(fl(-5, 5), min_size=d, max_size=d)))
    width = np.array(draw(st.lists(st.floats(1e-3, 5), min_size=d, max_size=d)))
    hi = lo + width
    assert np.all(lo < hi)
    return rl.Box(lo, hi)


@st.composite
def balls(draw, d):
    center = draw(st.lists(fl(-3, 3), min_size=d, max_size=d))
    return rl.Ball(center, draw(st.floats(1e-2, 5)))


def domains(d, ball=True):
    return st.one_of(boxes(d), balls(d)) if ball else boxes(d)


def start(domain):
    """The start handed to a stream constructor: its default for a Box, the center for a Ball.  (A Ball's
    default start Pi(0) can fail the Ball's own membership test: see test_ball_projection_lies_in_the_ball.)"""
    return domain.center.copy() if isinstance(domain, rl.Ball) else None


@st.composite
def inside(draw, domain):
    """None (the stream's default start) or a random point of the domain."""
    if draw(st.booleans()):
        return None
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if isinstance(domain, rl.Box):
        return np.clip(domain.lo + rng.uniform(size=domain.d) * (domain.hi - domain.lo), domain.lo, domain.hi)
    z = rng.normal(size=domain.d)
    z *= 0.999 * domain.radius * rng.uniform() / max(np.linalg.norm(z), 1e-300)
    return domain.center + z


@st.composite
def gradient_arrays(draw, T, d):
    """A (T, d) gradient sequence: Gaussian, signs or sparse, with exact zeros and mixed scales."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["normal", "signs", "sparse"]))
    scale = 10.0 ** rng.uniform(-2, 1, size=d)
    if kind == "normal":
        g = rng.normal(size=(T, d))
    elif kind == "signs":
        g = rng.choice([-1.0, 1.0], size=(T, d))
    else:
        g = rng.normal(size=(T, d)) * (rng.uniform(size=(T, d)) < 0.2)
    if draw(st.booleans()):
        g[: rng.integers(0, T + 1), rng.integers(0, d)] = 0.0  # a coordinate whose first gradients are 0
    return g * scale


seed_lists = st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=3)
horizons = st.integers(1, 300)


def checkpoint_choice(T):
    return st.one_of(st.none(), st.just(np.arange(1, T + 1)), st.integers(1, 20),
                     st.lists(st.integers(1, T), min_size=1, max_size=8))


# =============================================================================== invariants

def _all_finite(runs):
    named = {"loss": runs.loss, "best_loss": runs.best_loss, "best_gap": runs.best_gap, "regret": runs.regret,
             "theta": runs.theta, "best_theta": runs.best_theta, "dynamic_regret": runs.dynamic_regret}
    if runs.theta_path is not None:
        named["theta_path"] = runs.theta_path
    named.update({f"stats.{k}": v for k, v in runs.stats.items()})
    named.update({f"final.{k}": v for k, v in runs.final.items()})
    for name, arr in named.items():
        assert arr is not None, name
        assert np.all(np.isfinite(arr)), f"{name} is not finite: {arr}"


def _iterates(runs, k):
    """x0, every recorded theta_{t+1} and the final iterate of trial k, as rows."""
    rows = [runs.x0[None, :]]
    if runs.theta_path is not None:
        rows.append(runs.theta_path[k])
    rows.append(runs.theta[k][None, :])
    return np.concatenate(rows)


def check_invariants(runs):
    """The contract of every run over a bounded domain (Runs with a seed axis)."""
    dom = runs.stream.domain
    _all_finite(runs)
    # regret is exactly loss - best_loss
    assert np.array_equal(runs.regret, runs.loss - runs.best_loss)
    # closed-form comparators certify themselves exactly
    assert np.all(runs.best_gap == 0.0)
    # every recorded iterate lies in the domain
    for k in range(runs.n_seeds):
        for x in _iterates(runs, k):
            assert dom.contains(x, tol=1e-12), (x, dom)
        assert dom.contains(runs.best_theta[k], tol=1e-12)
    # the comparator is no worse than any recorded iterate held fixed
    d = runs.d
    for k in range(runs.n_seeds):
        th = _iterates(runs, k)
        if runs.stream.family == "linear":
            S = runs.suff[k][:, :d]  # S_t = sum_{s<=t} g_s, (nc, d)
            fixed = S @ th.T  # loss of theta held fixed over rounds 1..t
            scale = np.abs(S) @ np.abs(th).T
        else:
            assert runs.stream.family == "quadratic"
            off = runs.stream.meta.get("suff_offset", 0)
            shift = runs.stream.meta.get("shift", np.zeros(d))
            se, se2 = runs.suff[k][:, off:off + d], runs.suff[k][:, off + d]
            t = runs.t.astype(float)
            best, _ = best_quadratic(se, se2, t, shift, dom)
            np.testing.assert_allclose(best, runs.best_loss[k], rtol=1e-13, atol=1e-300)
            u = th - shift  # (m, d)
            fixed = 0.5 * (se2[:, None] - 2.0 * se @ u.T + t[:, None] * np.sum(u * u, axis=1)[None, :])
            scale = se2[:, None] + 2.0 * np.abs(se) @ np.abs(u).T + t[:, None] * np.sum(u * u, axis=1)[None, :]
        slack = 1e-10 * (1.0 + scale + np.abs(runs.best_loss[k])[:, None])
        assert np.all(runs.best_loss[k][:, None] <= fixed + slack), np.min(fixed - runs.best_loss[k][:, None])
    # dynamic regret (per-round minimisers) is at least the static regret
    dyn = runs.dynamic_regret
    dyn_best = runs.loss - dyn
    slack = 1e-10 * (1.0 + np.abs(dyn_best) + np.abs(runs.best_loss))
    assert np.all(dyn >= runs.regret - slack), np.min(dyn - runs.regret)
    # the bookkeeping statistics are consistent with their definitions
    st_ = runs.stats
    assert np.all(np.diff(runs.stats["sum_g_norm"], axis=-1) >= 0)
    assert np.all(np.diff(runs.stats["gamma_neg"], axis=-1) >= 0)
    assert np.all(st_["max_g_inf"] <= st_["max_g_2"] * (1 + 1e-15) + 1e-300)


def _play(learner, stream, T, seeds, x0, checkpoints):
    return rl.play(learner, stream, T, seeds=seeds, x0=x0, checkpoints=checkpoints)


# =============================================================================== valid games

WEIGHTED_BALL = tuple(getattr(rl, n) for n, e in LEARNERS.items() if e.weighted)  # also played over a Ball


@pytest.mark.parametrize("cls", ALL_LEARNERS, ids=LEARNER_IDS)
@given(data=st.data())
def test_every_learner_on_linear_losses_keeps_the_invariants(cls, data):
    T = data.draw(horizons, "T")
    d = data.draw(st.integers(1, 4), "d")
    learner = data.draw(learners(cls), "learner")
    domain = data.draw(domains(d, ball=cls in WEIGHTED_BALL), "domain")
    grads = data.draw(gradient_arrays(T + data.draw(st.integers(0, 3)), d), "grads")
    stream = rl.streams.linear(grads, domain=domain, x0=start(domain))
    x0 = data.draw(inside(domain), "x0")
    runs = _play(learner, stream, T, data.draw(seed_lists, "seeds"), x0, data.draw(checkpoint_choice(T), "ck"))
    check_invariants(runs)
    # the comparator's statistic is the replayed gradient sum S_T = sum_t g_t
    S_T = grads[:T].sum(axis=0)
    np.testing.assert_allclose(runs.suff[:, -1, :d], np.broadcast_to(S_T, (runs.n_seeds, d)), rtol=1e-12,
                               atol=1e-12 * np.abs(grads).sum())


STREAM_KINDS = ["random_sign", "reddi", "periodic_linear", "quadratic", "linear", "stochastic_linear",
                "sparse_linear"]


@st.composite
def streams_of(draw, kind):
    """A stream of the given family with random parameters, on Boxes and (where it takes one) Balls."""
    if kind == "random_sign":
        return rl.streams.random_sign(d=draw(st.integers(1, 4)), radius=draw(st.floats(0.1, 3)),
                                      G=draw(st.floats(0.1, 5)))
    if kind == "reddi":
        return rl.streams.reddi(C=draw(st.floats(2.0, 10.0, exclude_min=True)))
    if kind == "periodic_linear":
        d = draw(st.integers(1, 3))
        return rl.streams.periodic_linear(draw(fl(-20, 20)), draw(fl(-20, 20)), draw(st.integers(1, 7)),
                                          domain=draw(boxes(d)))
    if kind == "quadratic":
        d = draw(st.integers(1, 3))
        dom = draw(domains(d))
        return rl.streams.quadratic(draw(st.lists(fl(-3, 3), min_size=d, max_size=d)),
                                    sigma=draw(st.one_of(st.just(0.0), st.floats(0.01, 2.0))),
                                    domain=dom, x0=start(dom))
    if kind == "linear":
        d = draw(st.integers(1, 3))
        dom = draw(domains(d))
        return rl.streams.linear(draw(gradient_arrays(300, d)), domain=dom, x0=start(dom))
    if kind == "stochastic_linear":
        d = draw(st.integers(1, 3))
        return rl.streams.stochastic_linear(draw(fl(-20, 20)), draw(fl(-20, 20)), draw(st.floats(0.0, 1.0)),
                                            domain=draw(boxes(d)))
    assert kind == "sparse_linear"
    d = draw(st.integers(1, 6))
    return rl.streams.sparse_linear(d=d, nnz=draw(st.integers(1, d)), zipf=draw(st.floats(0.0, 2.0)),
                                    G=draw(st.floats(0.1, 3)), radius=draw(st.floats(0.1, 3)))


@pytest.mark.parametrize("kind", STREAM_KINDS)
@given(data=st.data())
def test_adam_against_every_stream_family_keeps_the_invariants(kind, data):
    stream = data.draw(streams_of(kind), "stream")
    event(f"{stream.name} on {type(stream.domain).__name__}")
    T = data.draw(horizons, "T")
    learner = data.draw(learners(rl.Adam), "learner")
    x0 = data.draw(inside(stream.domain), "x0")
    runs = _play(learner, stream, T, data.draw(seed_lists, "seeds"), x0, data.draw(checkpoint_choice(T), "ck"))
    check_invariants(runs)


#: the catalogue's named options (each compiled mode is one kernel), where possible on the domain that
#: tests/game/test_kernel_vs_naive.py pairs them with, so that a full test run compiles each combination once
MODES = [(getattr(rl, n), options, dom) for n, (options, dom) in column("modes")]


@pytest.mark.parametrize("cls,options,dom", MODES,
                         ids=[f"{c.__name__}-{'-'.join(map(str, o.values()))}-{d}" for c, o, d in MODES])
@given(data=st.data())
@settings(max_examples=15)
def test_named_options_keep_the_invariants(cls, options, dom, data):
    T = data.draw(horizons, "T")
    d = data.draw(st.integers(1, 4), "d")
    learner = data.draw(learners(cls), "learner").replace(**options)
    domain = data.draw(boxes(d) if dom == "box" else balls(d), "domain")
    grads = data.draw(gradient_arrays(T, d), "grads")
    runs = _play(learner, rl.streams.linear(grads, domain=domain, x0=start(domain)), T,
                 data.draw(seed_lists, "seeds"), data.draw(inside(domain), "x0"), data.draw(checkpoint_choice(T), "ck"))
    check_invariants(runs)
    if options.get("lazy"):
        # lazy Adam leaves a coordinate whose gradient is exactly 0 untouched: theta stays at x0 until then
        first = np.argmax(grads != 0, axis=0)
        never = ~np.any(grads != 0, axis=0)
        if runs.theta_path is not None:
            for i in range(d):
                upto = T if never[i] else first[i]
                sel = runs.t < upto + 1  # theta_{t+1} for t <= first nonzero round - 1
                assert np.all(runs.theta_path[:, sel, i] == runs.x0[i])


@given(data=st.data())
def test_amsgrad_vhat_and_inverse_step_never_decrease(data):
    """AMSGrad (paper variant, alpha_t = alpha/sqrt t, eps = 0): v_hat = max(v_hat, v) never decreases, so
    sum_i sqrt(v_hat_i) is non-decreasing round by round and Gamma_t = H_t - H_{t-1} >= 0 always."""
    T = data.draw(st.integers(2, 300), "T")
    d = data.draw(st.integers(1, 4), "d")
    L = rl.AMSGrad(alpha=data.draw(NUMERIC["alpha"]), beta1=data.draw(_unit()), beta2=data.draw(_unit()),
                   eps=0.0, lam=data.draw(NUMERIC["lam"]))
    domain = data.draw(domains(d))
    stream = rl.streams.linear(data.draw(gradient_arrays(T, d)), domain=domain, x0=start(domain))
    runs = rl.play(L, stream, T, seeds=data.draw(seed_lists), checkpoints=np.arange(1, T + 1))
    check_invariants(runs)
    s = runs.stats["sum_sqrt_vhat"]
    assert np.all(np.diff(s, axis=-1) >= 0.0)
    assert np.all(runs.stats["gamma_neg"] == 0)
    assert np.all(runs.stats["first_gamma_neg"] == 0)
    np.testing.assert_array_equal(s[:, -1], np.sqrt(runs.final["vhat"]).sum(axis=-1))


@given(data=st.data())
def test_adagrad_accumulator_is_the_sum_of_squared_gradients(data):
    T = data.draw(horizons, "T")
    d = data.draw(st.integers(1, 4), "d")
    L = rl.AdaGrad(alpha=data.draw(NUMERIC["alpha"]), delta=data.draw(NUMERIC["delta"]))
    grads = data.draw(gradient_arrays(T, d))
    runs = rl.play(L, rl.streams.linear(grads, domain=data.draw(boxes(d))), T, seeds=data.draw(seed_lists),
                   checkpoints=np.arange(1, T + 1))
    check_invariants(runs)
    acc = runs.final["vhat"]
    assert np.array_equal(acc, runs.final["sum_g2"])  # the same sums, in the same order
    np.testing.assert_allclose(acc, np.broadcast_to((grads ** 2).sum(axis=0), acc.shape), rtol=1e-12)
    s = runs.stats["sum_sqrt_vhat"]
    assert np.all(np.diff(s, axis=-1) >= 0.0)
    assert np.array_equal(s, runs.stats["sum_g_norm"])
    assert np.all(runs.stats["gamma_neg"] == 0)  # delta + sqrt(n) only grows; alpha_t is constant


def test_ball_projection_lies_in_the_ball():
    rng = np.random.default_rng(0)
    outside = []
    for _ in range(300):
        d = int(rng.integers(1, 5))
        ball = rl.Ball(rng.uniform(-3, 3, d), 10 ** rng.uniform(-2, 0.7))
        y = ball.center + rng.normal(size=d) * ball.radius * 10
        if not ball.contains(ball.project(y)):
            outside.append((ball, y))
    assert not outside, f"{len(outside)} of 300 projections lie outside, e.g. {outside[0]}"
    ball = rl.Ball([1.0, 1.5], 0.03125)
    assert ball.contains(ball.project(np.zeros(2)))
    rl.streams.linear(np.ones((1, 2)), domain=ball)  # the default start is Pi(0)
    rl.streams.quadratic([0.0, 0.0], sigma=0.0, domain=ball)


# =============================================================================== invalid input

class KernelReached(AssertionError):
    """A compiled kernel was called although the input was invalid."""


@contextlib.contextmanager
def no_kernel():
    def guard(*specs):
        def kernel(*args, **kwargs):
            raise KernelReached("the kernel was reached: validation let invalid input through")

        return kernel

    with mock.patch.object(E, "kernel_for", guard):
        yield


def assert_value_error_naming(fn, name):
    with no_kernel():
        with pytest.raises(ValueError) as info:
            fn()
    exc = info.value
    assert not isinstance(exc, NumbaError), repr(exc)
    assert name in str(exc), f"{name!r} not named in: {exc}"
    assert "\n" not in str(exc)
    return exc


@st.composite
def invalid_hyperparameter(draw):
    cls = draw(st.sampled_from(ALL_LEARNERS))
    name = draw(st.sampled_from([f.name for f in fields(cls)]))
    return cls, name, draw(invalid_values(cls.__name__, name))


@given(invalid_hyperparameter())
def test_invalid_hyperparameters_are_value_errors_naming_the_parameter(case):
    cls, name, value = case
    assert_value_error_naming(lambda: cls(**{name: value}), name)
    # the same through replace()
    assert_value_error_naming(lambda: cls().replace(**{name: value}), name)


_LINEAR5 = np.array([[1.0, -1.0], [0.5, 0.0], [-2.0, 1.0], [0.0, 0.3], [1.0, 1.0]])


def _game(kind):
    if kind == "box":
        return rl.streams.linear(_LINEAR5, domain=rl.Box([-1.0, 0.0], [1.0, 2.0]))
    return rl.streams.linear(_LINEAR5, domain=rl.Ball([0.5, -0.5], 1.5))


@st.composite
def invalid_play_argument(draw):
    """(name, kwargs) for play() with exactly one invalid argument among T, x0, checkpoints, seed(s), chunks."""
    kind = draw(st.sampled_from(["box", "ball"]))
    stream = _game(kind)
    name = draw(st.sampled_from(["T", "x0", "checkpoints", "seeds", "seed", "chunks"]))
    kw = {"T": 5}
    if name == "T":
        kw["T"] = draw(st.one_of(
            st.integers(max_value=0), st.integers(6, 10**6),  # beyond the 5 replayed rounds
            st.integers(min_value=2**53 + 1), st.floats(min_value=2.0**53 + 2, allow_infinity=False),  # beyond T_MAX
            st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: not float(v).is_integer()),
            st.sampled_from([math.nan, math.inf, -math.inf]), _NOT_A_NUMBER, st.none()))
    elif name == "x0":
        dom = stream.domain
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        how = draw(st.sampled_from(["outside", "shape", "nonfinite", "type"]))
        if how == "outside":
            z = rng.normal(size=2)
            z /= np.linalg.norm(z)
            if kind == "box":
                x = (dom.lo + dom.hi) / 2
                i = int(rng.integers(0, 2))
                delta = draw(st.floats(1e-9, 1e6))
                x[i] = dom.hi[i] + delta if z[i] > 0 else dom.lo[i] - delta
            else:
                x = dom.center + z * dom.radius * (1.0 + draw(st.floats(1e-6, 1e6)))
            kw["x0"] = x.tolist()
        elif how == "shape":
            kw["x0"] = draw(st.sampled_from([[], [0.0, 0.0, 0.0], [[0.0, 0.0]], [[0.0], [0.0]]]))
        elif how == "nonfinite":
            x = [0.5, 0.5]
            x[draw(st.integers(0, 1))] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
            kw["x0"] = x
        else:
            kw["x0"] = draw(st.sampled_from(["", "a", "x0", {}, [None, 0.0], ["a", "b"], object()]))
    elif name == "checkpoints":
        kw["checkpoints"] = draw(st.one_of(
            st.integers(max_value=0),
            st.lists(st.integers(1, 5), max_size=3).flatmap(
                lambda ok: st.integers().filter(lambda b: b < 1 or b > 5).map(lambda b: ok + [b])),
            st.just([]), st.just([[1, 2]]),
            st.lists(st.floats(1.0, 5.0).filter(lambda v: not v.is_integer()), min_size=1, max_size=3),
            st.sampled_from([math.nan, True, "5", [1, None], ["a"], 2.5])))
    elif name == "seeds":
        kw["seeds"] = draw(st.one_of(
            st.just([]), st.integers(0, 100),  # an int is not a list of seeds
            st.lists(st.integers(max_value=-1), min_size=1, max_size=2),
            st.lists(st.integers(min_value=2**64), min_size=1, max_size=2),
            st.lists(st.floats(0.1, 10).filter(lambda v: not v.is_integer()), min_size=1, max_size=2),
            st.just([True]), st.just("x"), st.just([None]),
            st.floats(0, 100), st.just(object()), st.none().map(lambda _: len)))  # not iterable
    elif name == "seed":
        kw["seed"] = draw(st.one_of(st.integers(max_value=-1), st.integers(min_value=2**64), st.just(0.5),
                                    st.just("0"), st.none()))
    else:
        kw["chunks"] = draw(st.one_of(st.integers(max_value=0), st.just(1.5), st.just("2"), st.none()))
    return stream, name, kw


@given(invalid_play_argument())
def test_invalid_play_arguments_are_value_errors_before_any_kernel(case):
    stream, name, kw = case
    T = kw.pop("T")
    assert_value_error_naming(lambda: rl.play(rl.OGD(), stream, T, **kw), name)
    assert_value_error_naming(lambda: rl.play_many([rl.OGD(), rl.OGD(alpha=0.3)], stream, T, **kw), name)


@pytest.mark.parametrize("T", [2**53 + 1, 2**63, 1e19, 1e300], ids=["2**53+1", "2**63", "1e19", "1e300"])
def test_horizon_beyond_2_53_is_a_value_error(T):
    """Rounds must stay exact in float64 (and in the kernel's int64 counters): T = 2**63 used to reach the
    kernel with overflowed checkpoints and run ~forever, T = 1e300 to raise OverflowError."""
    assert_value_error_naming(lambda: rl.play(rl.OGD(), rl.streams.reddi(), T), "T")


def test_horizon_2_53_itself_is_accepted():
    from regretlab.game.boundary import _checkpoints

    ck = _checkpoints(None, 2**53)
    assert ck[0] == 1 and ck[-1] == 2**53 and np.all(np.diff(ck) > 0)


@pytest.mark.parametrize("seeds", [3.0, object(), len], ids=["float", "object", "function"])
def test_non_iterable_seeds_are_a_value_error(seeds):
    assert_value_error_naming(lambda: rl.play(rl.OGD(), rl.streams.reddi(), 10, seeds=seeds), "seeds")


# ------------------------------------------------------------------ streams and domains

_OK_BAD_STREAMS = [
    ("random_sign radius=0", lambda: rl.streams.random_sign(d=2, radius=0.0), "radius"),
    ("random_sign G=inf", lambda: rl.streams.random_sign(d=2, G=math.inf), "G"),
    ("random_sign d=1.5", lambda: rl.streams.random_sign(d=1.5), "d"),
    ("reddi C=nan", lambda: rl.streams.reddi(C=math.nan), "C"),
    ("reddi C='3'", lambda: rl.streams.reddi(C="3"), "C"),
    ("periodic_linear small=nan", lambda: rl.streams.periodic_linear(1.0, math.nan, 3), "small"),
    ("periodic_linear period=2.5", lambda: rl.streams.periodic_linear(1.0, 1.0, 2.5), "period"),
    ("quadratic sigma<0", lambda: rl.streams.quadratic([0.0, 0.0], sigma=-0.1), "sigma"),
    ("quadratic target nan", lambda: rl.streams.quadratic([0.0, math.nan]), "target"),
    ("quadratic target 2-d", lambda: rl.streams.quadratic([[0.0, 1.0]]), "target"),
    ("quadratic domain d", lambda: rl.streams.quadratic([0.0, 0.0], domain=rl.Box(-1, 1, d=3)), "domain"),
    ("linear grads 3-d", lambda: rl.streams.linear(np.ones((2, 2, 2))), "grads"),
    ("linear no rows", lambda: rl.streams.linear(np.ones((0, 2))), "grads"),
    ("linear grads str", lambda: rl.streams.linear("abc"), "grads"),
    ("linear x0 outside", lambda: rl.streams.linear(np.ones((3, 1)), domain=rl.Box(-1, 1, d=1), x0=[2.0]), "x0"),
    ("stochastic_linear p>1", lambda: rl.streams.stochastic_linear(1.0, 1.0, 1.5), "p"),
    ("stochastic_linear p nan", lambda: rl.streams.stochastic_linear(1.0, 1.0, math.nan), "p"),
    ("sparse_linear nnz>d", lambda: rl.streams.sparse_linear(d=3, nnz=4), "nnz"),
    ("sparse_linear zipf<0", lambda: rl.streams.sparse_linear(d=3, nnz=1, zipf=-1.0), "zipf"),
    ("sparse_linear radius=inf", lambda: rl.streams.sparse_linear(d=3, nnz=1, radius=math.inf), "radius"),
    ("Box lo nan", lambda: rl.Box([0.0, math.nan], [1.0, 1.0]), "NaN"),
    ("Ball radius nan", lambda: rl.Ball([0.0], math.nan), "radius"),
    ("Ball center inf", lambda: rl.Ball([0.0, math.inf], 1.0), "center"),
    ("Ball d=0", lambda: rl.Ball(0.0, 1.0, d=0), "d"),
]

_MORE_BAD_STREAMS = [
    # each of these used to get through: +inf accepted where the range was [lo, inf], arrays of the wrong
    # rank reaching the kernel as a Numba TypingError, a comparison before validation (TypeError), a 0-d Box
    ("periodic_linear big=+inf", lambda: rl.streams.periodic_linear(math.inf, 1.0, 3), "big"),
    ("stochastic_linear big=+inf", lambda: rl.streams.stochastic_linear(math.inf, 1.0, 0.5), "big"),
    ("Ball radius=+inf", lambda: rl.Ball([0.0, 0.0], math.inf), "radius"),
    ("switching_quadratic 3-d targets", lambda: rl.play(rl.OGD(), rl.streams.switching_quadratic([[[1.0]]], 2), 10),
     "targets"),
    ("periodic_quadratic 2-d amplitude",
     lambda: rl.play(rl.OGD(), rl.streams.periodic_quadratic([[1.0, 2.0]], 5), 10), "amplitude"),
    ("periodic_quadratic amplitude nan", lambda: rl.streams.periodic_quadratic([1.0, math.nan], 5), "amplitude"),
    ("sparse_logistic nnz='x'", lambda: rl.streams.sparse_logistic(d=10, nnz="x"), "nnz"),
    ("drifting_logistic d='x'", lambda: rl.streams.drifting_logistic(d="x"), "d"),
    ("drifting_logistic d=1", lambda: rl.streams.drifting_logistic(d=1), "d"),
    ("Box empty", lambda: rl.Box([], []), "Box"),
    ("Box 2-d bounds", lambda: rl.Box([[0.0]], [[1.0]]), "Box"),
    ("Box lengths differ", lambda: rl.Box([0.0, 0.0], [1.0, 1.0, 1.0]), "Box"),
]


@pytest.mark.parametrize("label,make,name", _OK_BAD_STREAMS + _MORE_BAD_STREAMS,
                         ids=[c[0] for c in _OK_BAD_STREAMS + _MORE_BAD_STREAMS])
def test_invalid_stream_and_domain_parameters_are_value_errors(label, make, name):
    assert_value_error_naming(make, name)
