"""The loop for games of one coordinate, with each trial's state pinned in registers.

``regretlab.game.kernel._play_pinned_kernel_py`` plays a dense game of d = 1 with trial k's rows of
the state copied into stack slots (``regretlab._jit.pin``) that LLVM keeps in registers, and skips
writing back H when nothing reads it.  It calls the same registered functions on the same values as
the trials-outer loop, so every record must be bit-identical to that loop's: for every learner, with
the default and the regret-only recording, chunked and continued, and for the values it must refuse.
"""
import numpy as np
import pytest

import regretlab as rl
from regretlab import _jit
from regretlab.game import boundary

from identical import arrays, assert_identical, spy_kernel_choice

pytestmark = pytest.mark.nojit


@pytest.fixture
def picked(monkeypatch):
    """The pinned flag of every kernel the boundary picks, with the pinned loop's least number of
    trial-rounds lifted (these games are short so that they run in the interpreter too)."""
    monkeypatch.setattr(boundary, "PIN_MIN_ROUNDS", 1)
    return spy_kernel_choice(monkeypatch, "pinned")


def _unpinned(fn):
    """fn() with the pinned loop switched off (the trials-outer loop plays instead)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(boundary.Game, "_pinnable", lambda self, *args: False)
        return fn()


LEARNERS = {
    "adam": rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1),
    "adam-momentum": rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99, lam=0.99),
    "adam-none-constant": rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999, schedule="constant", bias_correction="none"),
    "adam-current-hat": rl.Adam(alpha=0.1, beta1=0.5, beta2=0.9, bias_correction="current", eps_mode="hat"),
    "adam-lazy": rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999, lazy=True),
    "amsgrad": rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99),
    "amsgrad-corrected-euclidean": rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99, variant="corrected",
                                              projection="euclidean"),
    "adamax": rl.AdaMax(alpha=0.1),
    "adagrad": rl.AdaGrad(alpha=0.5, delta=1e-3),
    "rmsprop": rl.RMSProp(alpha=0.05),
    "ogd": rl.OGD(alpha=0.5),
    "adamnc": rl.AdamNC(alpha=0.1, beta1=0.5),
    "nesterov": rl.NesterovSGD(alpha=0.05),
}

STREAMS = {
    "reddi": lambda: rl.streams.reddi(3.0),
    "random_sign": lambda: rl.streams.random_sign(1),
    "reddi_stochastic": lambda: rl.streams.reddi_stochastic(3.0),
    "quadratic-ball": lambda: rl.streams.quadratic(np.array([0.3]), sigma=0.5, domain=rl.Ball(1.0, d=1)),
    "momentum_adversary": lambda: rl.streams.momentum_adversary(1),
}

# one learner of each kind of state (momentum, a running maximum with the weighted projection (H read by
# nothing but the projection: the regret-only recording), lazy, sums,
# plain), the streams (and so the domains) in turn, the two recordings alternately: each case compiles two
# kernels, several seconds, so not the whole product (analysis/fingerprint.py plays every learner at d = 1)
SUITE = ("adam-momentum", "amsgrad", "adam-lazy", "amsgrad-corrected-euclidean", "adagrad", "rmsprop", "ogd",
         "nesterov")
CASES = [(lname, sorted(STREAMS)[j % len(STREAMS)], ("bounds", "regret")[j % 2])
         for j, lname in enumerate(SUITE)]


@pytest.mark.parametrize("lname, sname, record", CASES)
def test_the_pinned_loop_gives_the_trials_outer_loops_numbers(lname, sname, record, picked):
    learner, stream = LEARNERS[lname], STREAMS[sname]()
    assert stream.domain.d == 1
    pinned = rl.play(learner, stream, T=400, seeds=[0, 1], record=record, record_theta=True)
    assert picked == [True]
    outer = _unpinned(lambda: rl.play(learner, stream, T=400, seeds=[0, 1], record=record, record_theta=True))
    assert picked[-1] is False
    assert_identical(arrays(pinned), arrays(outer), f"{learner!r} on {stream!r}, record={record}")


def test_chunked_and_continued_pinned_runs_equal_one_call(picked):
    learner = rl.Adam(alpha=0.5, beta1=0.5, beta2=0.1, lam=0.9)
    stream = rl.streams.reddi(3.0)
    whole = _unpinned(lambda: rl.play(learner, stream, T=3000, seeds=[4, 5]))
    chunked = rl.play(learner, stream, T=3000, seeds=[4, 5], chunks=7)
    continued = rl.play(learner, stream, T=400, seeds=[4, 5]).extend(3000)
    assert set(picked) == {True, False}
    assert_identical(arrays(chunked), arrays(whole), "chunks=7")
    assert_identical(arrays(continued), arrays(_unpinned(lambda: rl.play(learner, stream, T=400, seeds=[4, 5])
                                                            .extend(3000))), "extended from round 400")


def _message(fn):
    with pytest.raises(rl.NonFiniteError) as e:
        fn()
    return str(e.value)


@pytest.mark.parametrize("case", ["loss", "grad2", "iterate"])
def test_a_non_finite_value_is_reported_as_by_the_trials_outer_loop(case, picked):
    if case == "loss":  # g x overflows: |x| = 1e300 (no domain), g = 1e10
        learner = rl.OGD(alpha=0.1)
        stream = rl.streams.periodic_linear(1e10, 1.0, 2, domain=rl.Unconstrained(d=1), x0=[1e300])
    elif case == "grad2":  # g = 1e200: g^2 overflows at round 1
        learner = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1)
        stream = rl.streams.periodic_linear(1e200, 1.0, 2)
    else:  # the step overflows theta: alpha g = 1e300 * 1e10
        learner = rl.OGD(alpha=1e300, schedule="constant")
        stream = rl.streams.periodic_linear(1e10, 1.0, 2, domain=rl.Unconstrained(d=1))
    pinned = _message(lambda: rl.play(learner, stream, T=50, seeds=[0, 1]))
    assert picked == [True]
    assert pinned == _message(lambda: _unpinned(lambda: rl.play(learner, stream, T=50, seeds=[0, 1])))


def test_the_pinned_loop_is_chosen_for_one_coordinate_and_regretlabs_own_components(picked, monkeypatch):
    L = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1)
    rl.play(L, rl.streams.reddi(3.0), T=20)  # d = 1
    rl.play(L, rl.streams.periodic_linear(2.0, 1.0, 3, domain=rl.Box(-1.0, 1.0, d=2)), T=20)  # d = 2
    rl.play(L, rl.streams.reddi(3.0), T=20, seeds=range(boundary.BATCH_MIN_TRIALS))  # the batch loop
    assert picked == [True, False, False]
    # fewer than PIN_MIN_ROUNDS trial-rounds in one call: the trials-outer loop (it compiles faster)
    monkeypatch.setattr(boundary, "PIN_MIN_ROUNDS", 41)
    run = rl.play(L, rl.streams.reddi(3.0), T=20, seeds=[0, 1])  # 40 trial-rounds
    run.extend(21)  # 2 trial-rounds
    rl.play(L, rl.streams.reddi(3.0), T=21, seeds=[0, 1])  # 42
    assert picked[3:] == [False, False, True]


def test_pinned_rows_copy_trial_k_and_write_it_back():
    import numba

    @numba.njit
    def scale(A, B, k, drop):
        a, b = _jit.pin((A, B), k)
        for j in range(A.shape[1]):
            a[0, j, 0] = 2.0 * a[0, j, 0] + j
        b[0, 0] = -1.0
        _jit.unpin(a, A, k)
        _jit.unpin(b, drop, k)  # drop = (): b is not written back
        return a.shape, b.shape, a[0, 0, 0]

    A = np.arange(12.0).reshape(4, 3, 1)
    B = np.ones((4, 1))
    want = A.copy()
    want[2] = 2.0 * A[2] + np.arange(3)[:, None]
    assert scale(A, B, 2, B) == ((1, 3, 1), (1, 1), want[2, 0, 0])
    assert np.array_equal(A, want) and B[:, 0].tolist() == [1.0, 1.0, -1.0, 1.0]
    if not _jit.DISABLED:  # compiled, a dropped row stays in the stack slots (in the interpreter rows are views)
        scale(A, B, 1, ())
        assert B[:, 0].tolist() == [1.0, 1.0, -1.0, 1.0]
