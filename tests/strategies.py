"""Shared by the property tests: the hypothesis profile, strategies drawing valid learners (from
tests/catalogue.py), domains, starts, gradients, seeds and checkpoints, the invariants every run keeps, and
the check that invalid input is a one-line ValueError naming the parameter before any kernel runs.
"""
from __future__ import annotations

import contextlib
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from numba.core.errors import NumbaError

import regretlab as rl
from catalogue import LEARNERS, NAMES, NUMERIC
from regretlab.game import boundary as E
from regretlab.hindsight import best_quadratic

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


seed_lists = st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=3, unique=True)  # play refuses duplicates


horizons = st.integers(1, 300)


def checkpoint_choice(T):
    return st.one_of(st.none(), st.just(np.arange(1, T + 1)), st.integers(1, 20),
                     st.lists(st.integers(1, T), min_size=1, max_size=8))


# =============================================================================== invariants

def named_arrays(runs):
    """Every public array of a run or runs, by name (the records under ``stats.*`` and ``final.*``)."""
    named = {"loss": runs.loss, "best_loss": runs.best_loss, "best_gap": runs.best_gap, "regret": runs.regret,
             "theta": runs.theta, "best_theta": runs.best_theta, "dynamic_regret": runs.dynamic_regret}
    if runs.theta_path is not None:
        named["theta_path"] = runs.theta_path
    named.update({f"stats.{k}": v for k, v in runs.stats.items()})
    named.update({f"final.{k}": v for k, v in runs.final.items()})
    return named


def assert_all_finite(runs):
    """No public array of the run is missing or holds a NaN or an infinity (nothing fails silently)."""
    for name, arr in named_arrays(runs).items():
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
    assert_all_finite(runs)
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


def labelled(cases):
    """pytest parameters from (label, make, name) rows; rows that already are pytest.param pass through."""
    return [c if hasattr(c, "marks") else pytest.param(*c[1:], id=c[0]) for c in cases]
