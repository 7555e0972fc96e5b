"""The batch loop: several trials played round by round together, on arrays with the trials last.

``regretlab.game.kernel._play_batch_kernel_py`` plays a round of every trial at once when the
game has more than one trial and its learner, stream and domain have batch forms
(``regretlab._registry.batch_support``).  Each trial must do exactly the arithmetic of the
trials-outer loop, so every record is bit-identical to single runs, to other batch sizes and to
chunked and continued runs; a recorder without batch forms runs trial by trial inside it.
"""
import math
from typing import NamedTuple

import numpy as np
import pytest

import regretlab as rl
import regretlab._registry as registry
from regretlab.game import boundary

from identical import arrays, assert_identical, spy_kernel_choice

pytestmark = pytest.mark.nojit


def _rows(r, j):
    """Trial j's arrays of a Runs."""
    return {k: np.asarray(v)[j] for k, v in arrays(r).items()}


@pytest.fixture(autouse=True)
def always_batch(monkeypatch):
    """The batch loop for every game of more than one trial (whose components have batch forms),
    not only where ``boundary._batched`` finds it faster: the numbers must be the same anyway."""
    rule = boundary._batched
    monkeypatch.setattr(boundary, "_batched", lambda n, d, pinned=False: n > 1)
    return rule


@pytest.fixture
def kernels(monkeypatch):
    """The batch flag of every kernel the boundary picks."""
    return spy_kernel_choice(monkeypatch, "batch")


def _grid(make, values):
    return [make(v) for v in values]


LEARNERS = {
    "adam": lambda a: rl.Adam(alpha=a, beta1=0.0, beta2=0.1),
    "adam-momentum": lambda a: rl.Adam(alpha=a, beta1=0.9, beta2=0.99, lam=0.99),
    "adam-none-constant": lambda a: rl.Adam(alpha=a, beta1=0.9, beta2=0.999, schedule="constant",
                                            bias_correction="none"),
    "adam-current-hat": lambda a: rl.Adam(alpha=a, beta1=0.5, beta2=0.9, bias_correction="current", eps_mode="hat"),
    "adam-lazy": lambda a: rl.Adam(alpha=a, beta1=0.9, beta2=0.999, lazy=True),
    "ogd": lambda a: rl.OGD(alpha=a),
    "ogd-constant": lambda a: rl.OGD(alpha=a, schedule="constant"),
    "adagrad": lambda a: rl.AdaGrad(alpha=a, delta=1e-3),
    "amsgrad": lambda a: rl.AMSGrad(alpha=a, beta1=0.9, beta2=0.99),
    "amsgrad-corrected-constant": lambda a: rl.AMSGrad(alpha=a, beta1=0.9, beta2=0.99, lam=0.99, variant="corrected",
                                                       schedule="constant"),
    "adamax": lambda a: rl.AdaMax(alpha=a, beta1=0.9, beta2=0.99),
    "rmsprop": lambda a: rl.RMSProp(alpha=a, beta2=0.9),
    "adamnc": lambda a: rl.AdamNC(alpha=a, beta1=0.9, lam=0.99),
    "nesterov": lambda a: rl.NesterovSGD(alpha=a, momentum=0.9, schedule="theorem"),
}

STREAMS = {
    "reddi": lambda: rl.streams.reddi(C=3.0),
    "periodic-box3": lambda: rl.streams.periodic_linear(5.0, 2.0, 4, domain=rl.Box([-1.0, -0.5, 0.0], [1.0, 2.0, 0.3]),
                                                        x0=[0.2, -0.1, 0.3]),
    "periodic-free2": lambda: rl.streams.periodic_linear(1.0, 0.5, 3, domain=rl.Unconstrained(d=2)),
    # the iterates reach the sphere; AMSGrad (weighted projection) is paired with it below
    "periodic-ball3": lambda: rl.streams.periodic_linear(3.0, 1.0, 3, domain=rl.Ball([0.2, -0.1, 0.1], 0.8),
                                                         x0=[0.3, 0.2, -0.1]),
}


# every learner mode once, each stream (and so each domain) several times: a batch kernel is compiled
# per (learner mode, stream) types, a few seconds each, so not the whole product (the domain's kind is
# a runtime field: these four streams share one spec type)
PAIRS = [(lname, sorted(STREAMS)[j % len(STREAMS)]) for j, lname in enumerate(sorted(LEARNERS))]
assert ("amsgrad", "periodic-ball3") in PAIRS


@pytest.mark.parametrize("lname, sname", PAIRS)
def test_a_grid_in_one_batch_equals_each_learner_alone(lname, sname, kernels):
    stream = STREAMS[sname]()
    learners = _grid(LEARNERS[lname], (0.5, 0.1, 0.03))
    assert registry.batch_support(learners[0]._spec(), stream._spec(), stream.domain._spec()) == []
    together = rl.play_many(learners, stream, T=300, seeds=[0, 1], record_theta=True)
    assert kernels == [True]
    for L, runs in zip(learners, together):
        alone = rl.play(L, stream, T=300, seed=1, record_theta=True)
        assert_identical(_rows(runs, 1), arrays(alone), f"{L!r}, seed 1")
    assert kernels[-1] is False  # the single runs played the trials-outer loop


@pytest.mark.parametrize("n", [1, 3, 64, 257])
def test_every_batch_size_gives_the_single_runs(n, kernels):
    stream = rl.streams.periodic_linear(3.0, 1.0, 3, domain=rl.Box(-1.0, 1.0, d=2))
    alphas = np.linspace(0.05, 1.0, n)
    learners = [rl.Adam(alpha=float(a), beta1=0.5, beta2=0.9, lam=0.999) for a in alphas]
    runs = rl.play_many(learners, stream, T=200)
    assert kernels == [n > 1]
    for j in sorted({0, n // 2, n - 1}):
        alone = rl.play(learners[j], stream, T=200)
        assert_identical(arrays(runs[j]), arrays(alone), f"trial {j} of {n}")


def test_chunked_and_continued_batches_equal_one_call():
    stream = rl.streams.reddi(C=3.0)
    learner = rl.Adam(alpha=0.5, beta1=0.5, beta2=0.1, lam=0.9)
    ck = np.arange(25, 1001, 25)  # 400 among them
    one = rl.play(learner, stream, T=1000, seeds=range(5), checkpoints=ck)
    chunked = rl.play(learner, stream, T=1000, seeds=range(5), checkpoints=ck, chunks=7)
    assert_identical(arrays(one), arrays(chunked), "chunks=7")
    part = rl.play(learner, stream, T=400, seeds=range(5), checkpoints=ck[ck <= 400])
    longer = part.extend(1000, checkpoints=ck[ck > 400])
    assert_identical(arrays(one), arrays(longer), "continued from round 400")


def test_a_game_without_batch_forms_plays_the_trials_outer_loop(kernels):
    stream = rl.streams.random_sign(d=2)
    learner = rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99)
    assert registry.batch_support(learner._spec(), stream._spec(), stream.domain._spec())
    rl.play(learner, stream, T=50, seeds=range(3))
    assert kernels == [False]


def test_a_non_finite_value_in_a_batch_is_reported_as_alone():
    # g = 1e200: g^2 overflows at the first round (the cause the per-trial loop names for it)
    stream = rl.streams.periodic_linear(1e200, 1.0, 2)
    learners = [rl.Adam(alpha=a, beta1=0.0, beta2=0.1) for a in (0.5, 0.1)]
    with pytest.raises(rl.NonFiniteError) as alone:
        rl.play(learners[0], stream, T=10)
    with pytest.raises(rl.NonFiniteError) as batch:
        rl.play_many(learners, stream, T=10)
    assert "squared gradient norm" in str(batch.value) and "at round 1," in str(batch.value)
    assert str(alone.value).split(", learner")[0] == str(batch.value).split(", learner")[0]


class _SumX(NamedTuple):
    """A user recorder without batch forms: sum_t <1, theta_t> and sum_t ||theta_t - Delta_t||_1 alpha_t."""

    tag: int = 0


def _sx_observe(spec, a, C, k, t, X, G):
    s = 0.0
    for i in range(X.shape[1]):
        s += X[k, i]
        C[k, 0, i] += G[k, i] * X[k, i]
    return (a[0] + s, a[1])


def _sx_after_step(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t):
    s = 0.0
    for i in range(X.shape[1]):
        s += abs(X[k, i]) * alpha_t + H[k, i] * 1e-9 + step
    return (a[0], a[1] + s)


def _sx_snapshot(spec, a, C, k, X, V, out, c):
    out[k, c, 0] = a[0]
    out[k, c, 1] = a[1] + C[k, 0, 0] + V[k, 0]


rl.register_recorder(_SumX, fields=("sum_x", "sum_after"), n_acc=2, coords=("gx",), final={"gx": "gx"},
                     observe=_sx_observe, after_step=_sx_after_step, snapshot=_sx_snapshot)


def test_a_recorder_without_batch_forms_runs_trial_by_trial_in_the_batch(kernels):
    stream = rl.streams.periodic_linear(2.0, 1.0, 3, domain=rl.Box(-1.0, 1.0, d=2))
    learners = [rl.Adam(alpha=a, beta1=0.5, beta2=0.9) for a in (0.3, 0.05, 0.7)]
    # beside two recorders with batch forms (one reading the learner's per-trial outputs)
    record = (rl.recorders.GradientNorms(), rl.recorders.StepSizeGrowth(), _SumX())
    together = rl.play_many(learners, stream, T=120, record=record)
    assert kernels == [True]
    for L, run in zip(learners, together):
        assert_identical(arrays(run), arrays(rl.play(L, stream, T=120, record=record)), repr(L))
        assert math.isfinite(run.records["sum_after"][-1])


def test_batch_forms_are_checked_at_registration():
    class Spec(NamedTuple):
        tag: int = 0

    def step(spec, P, k, S, Z, X, G, H, V, t):
        return 0.0, 0.0, 1.0

    def batch(spec, P, S, Z, X, G, H, V, t, OUTS):
        return None

    with pytest.raises(ValueError, match=r"learner Spec: its batch step function must take exactly the parameters "
                                         r"\(spec, P, S, Z, X, G, H, V, t, OUT\)"):
        rl.register_learner(Spec, step, batch=batch)
    with pytest.raises(ValueError, match="observe_batch is the batch form of observe, which it does not have"):
        rl.register_recorder(Spec, fields=("x",), snapshot=_sx_snapshot, observe_batch=lambda *a: None)


def test_the_batch_loop_keeps_the_arrays_it_reads_through_views():
    # regression: the trials-last copy of P was freed after its last direct use (its borrowed view
    # does not count), and the first checkpoint's snapshots reused its memory: alpha read as 0 from
    # round 2 on, H = 1/alpha_t = inf (seen with OGD, whose P is one column)
    stream = rl.streams.reddi(C=3.0)
    learners = [rl.OGD(alpha=0.1), rl.OGD(alpha=0.2)]
    record = (rl.recorders.Preconditioner(), rl.recorders.StepSizeGrowth())
    together = rl.play_many(learners, stream, T=3, checkpoints=[1, 2, 3], record=record)
    for L, run in zip(learners, together):
        assert_identical(arrays(run), arrays(rl.play(L, stream, T=3, checkpoints=[1, 2, 3], record=record)),
                          repr(L))


def test_the_batch_loop_is_chosen_where_it_was_measured_faster(always_batch, monkeypatch, kernels):
    rule = always_batch  # boundary._batched itself (see analysis/batch_crossover.py)
    assert not rule(2, 1) and not rule(4, 1) and rule(8, 1) and rule(64, 1) and rule(257, 1)
    # against the pinned loop (d = 1, long calls) from 64 trials only
    assert not rule(8, 1, pinned=True) and not rule(32, 1, pinned=True) and rule(64, 1, pinned=True)
    assert not rule(32, 10) and rule(64, 10) and rule(64, 1000) and not rule(256, 1000)
    monkeypatch.setattr(boundary, "_batched", rule)
    stream = rl.streams.reddi(C=3.0)
    learner = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1)
    rl.play(learner, stream, T=20, seeds=range(4))
    rl.play(learner, stream, T=20, seeds=range(8))
    assert kernels == [False, True]
