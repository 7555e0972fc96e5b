"""play and play_many: determinism across repeats, batches and chunkings, hyperparameter batches, invalid
arguments (one-line ValueErrors before any kernel runs) and non-finite values that stop the run."""
import math
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import regretlab as rl
from catalogue import _NOT_A_NUMBER
from strategies import assert_value_error_naming


# ----------------------------------------------------------------------------- determinism


@pytest.mark.nojit
def test_bit_identical_across_repeats_batches_and_chunkings():
    L = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99)
    s = rl.streams.quadratic([0.3, -0.4, 0.1], sigma=1.0, domain=rl.Box(-1, 1, d=3))
    a = rl.play(L, s, 5000, seed=42)
    b = rl.play(L, s, 5000, seed=42)
    np.testing.assert_array_equal(a.regret, b.regret)
    batch = rl.play(L, s, 5000, seeds=[7, 42, 9])
    np.testing.assert_array_equal(batch[1].regret, a.regret)
    np.testing.assert_array_equal(batch[1].theta, a.theta)
    for chunks in (2, 7, 200):
        c = rl.play(L, s, 5000, seed=42, chunks=chunks)
        np.testing.assert_array_equal(c.regret, a.regret)
        np.testing.assert_array_equal(c.stats["gamma_neg"], a.stats["gamma_neg"])
    other = rl.play(L, s, 5000, seed=43)
    assert not np.array_equal(other.regret, a.regret)


def _n_compiled():
    """How many kernel specialisations this process has compiled or loaded (every loop)."""
    from regretlab.game.kernel import dispatchers

    return sum(len(k.signatures) for k in dispatchers())


def test_hyperparameter_batch_equals_single_runs_and_does_not_recompile():
    s = rl.streams.reddi(3.0)
    grid = [rl.Adam(alpha=a, beta1=0.0, beta2=0.1) for a in (0.1, 0.3, 0.5)]
    rl.play(grid[0], s, 100)
    n_sigs = _n_compiled()
    many = rl.play_many(grid, s, 1000, seeds=range(2))
    for L, runs in zip(grid, many):
        single = rl.play(L, s, 1000, seeds=range(2))
        np.testing.assert_array_equal(runs.regret, single.regret)
    rl.play(rl.Adam(alpha=0.77, beta1=0.3, beta2=0.5), s, 100)
    assert _n_compiled() == n_sigs


def test_runtime_modes_share_one_compiled_kernel():
    """Adam's bias correction is a runtime field of its spec: a new value compiles nothing.  The
    modes that branch inside the coordinate loop, and the schedule, are compiled in."""
    s = rl.streams.random_sign(d=2)
    rl.play(rl.Adam(alpha=0.1), s, 50)
    n_sigs = _n_compiled()
    for bias in ("none", "current", "paper"):
        rl.play(rl.Adam(alpha=0.1, bias_correction=bias), s, 50)
    assert _n_compiled() == n_sigs
    rl.play(rl.Adam(alpha=0.1, eps_mode="hat"), s, 50)  # compiled in: its own kernel (maybe an earlier test's)
    n_hat = _n_compiled()
    assert n_hat <= n_sigs + 1
    rl.play(rl.Adam(alpha=0.1, eps_mode="hat", bias_correction="none"), s, 50)
    assert _n_compiled() == n_hat


# ----------------------------------------------------------------------------- invalid arguments


@pytest.mark.nojit
@pytest.mark.parametrize("make,match", [
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 0), "T"),
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 2.5), "T"),
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 10, x0=[2.0]), "outside"),
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 10, x0=[0.0, 0.0]), "shape"),
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 10, x0=[np.nan]), "non-finite"),
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 10, seeds=8), "range"),
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 10, seeds=[-1]), "seeds"),
    (lambda: rl.play(rl.OGD(), rl.streams.reddi(), 10, checkpoints=[0, 5]), "checkpoints"),
    (lambda: rl.play(rl.OGD(), rl.streams.linear(np.ones((5, 1))), 6), "exceeds"),
    (lambda: rl.play("adam", rl.streams.reddi(), 10), "learner"),
    (lambda: rl.play_many([rl.Adam(), rl.OGD()], rl.streams.reddi(), 10), "share"),
    (lambda: rl.play_many([rl.Adam(), rl.Adam(schedule="constant")], rl.streams.reddi(), 10), "share"),
    (lambda: rl.play_many([rl.Adam(), rl.Adam(lazy=True)], rl.streams.reddi(), 10), "share"),
])
def test_bad_play_arguments_are_value_errors_naming_the_parameter(make, match):
    with pytest.raises(ValueError, match=match):
        make()


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


# ----------------------------------------------------------------------------- non-finite values

class _NaNSpec(NamedTuple):
    at: int


def _nan_round(spec, seed, t, X, k, G, SUFF):
    g = math.nan if t == spec.at else 1.0
    G[k, 0] = g
    SUFF[k, 0] += g
    return g * X[k, 0] if t != spec.at else 0.0


rl.register_stream(_NaNSpec, _nan_round)


@pytest.mark.nojit
def test_non_finite_gradient_stops_the_run_naming_round_and_seed():
    s = rl.streams.Stream("nan_at", _NaNSpec(17), rl.Box(-1, 1, d=1), [0.0], 1.0, 1.0, "linear", 1, {"at": 17})
    with pytest.raises(rl.NonFiniteError, match=r"round 17, seed 5"):
        rl.play(rl.OGD(), s, 100, seeds=[3, 5][1:])


@pytest.mark.nojit
def test_overflowing_learner_stops_with_the_round():
    grads = np.full((50, 1), 1e300)
    with pytest.raises(rl.NonFiniteError, match="round"):
        rl.play(rl.NesterovSGD(alpha=1e10, momentum=0.9), rl.streams.linear(grads), 50)
