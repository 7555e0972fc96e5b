"""Sparse rounds in O(nnz) (``play(..., sparse=...)``): the sparse loop against the dense loop.

The sparse loop touches only the coordinates a round's gradient touches and brings the others up
to date at checkpoints (``regretlab._registry.register_sparse_learner``).  Its records must be the
dense loop's bit for bit, at checkpoints that fall between the touches of a coordinate, for several
seeds, a hyperparameter batch, chunked and continued runs; the one exception is
``sum_beta1_h`` of lazy Adam (sum_t beta1_t sum_i H_{t,i} over every coordinate: the sparse loop
carries sum_i H by its touched differences and recomputes it at checkpoints, so its sum is
associated differently), which must agree to 1e-13.
"""
from typing import NamedTuple

import numpy as np
import pytest

import regretlab as rl
from regretlab.game.boundary import Game, continue_runs

T = 1500
#: every round up to 60 (a coordinate of a Zipf stream goes many rounds untouched), then log-spaced
CHECKPOINTS = np.unique(np.concatenate([np.arange(1, 61), np.geomspace(61, T, 40).astype(int)]))
# (each learner costs two kernel compiles: OGD is checked on sparse_logistic below)
LEARNERS = {
    "AdaGrad theorem": rl.AdaGrad(alpha=0.4, delta=0.01, schedule="theorem"),
    "lazy Adam": rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99, lazy=True),
}


def stream():
    # d = 40 and nnz = 6 with Zipf(1.1) frequencies: the head coordinates are touched most rounds,
    # the tail ones every few hundred; a draw can repeat a coordinate (its gradient can cancel)
    return rl.streams.sparse_linear(d=40, nnz=6, zipf=1.1, radius=0.5)


def public_arrays(runs):
    out = {"regret": runs.regret, "loss": runs.loss, "theta": runs.theta_path, "dynamic": runs.dynamic_regret}
    out.update({f"records.{k}": v for k, v in runs.records.items()})
    out.update({f"final.{k}": v for k, v in runs.final.items()})
    out.update({f"state.{k}": np.asarray(v) for k, v in runs.learner_state._asdict().items()})
    return out


def assert_same(dense, sparse, inexact=()):
    a, b = public_arrays(dense), public_arrays(sparse)
    assert a.keys() == b.keys()
    for name in a:
        if name in inexact:
            np.testing.assert_allclose(b[name], a[name], rtol=1e-13, atol=0, err_msg=name)
        else:
            np.testing.assert_array_equal(b[name], a[name], err_msg=name)


@pytest.mark.nojit
@pytest.mark.parametrize("name", LEARNERS)
def test_sparse_rounds_equal_the_dense_loop(name):
    L, s = LEARNERS[name], stream()
    dense = rl.play(L, s, T, seeds=range(3), checkpoints=CHECKPOINTS, sparse=False)
    sparse = rl.play(L, s, T, seeds=range(3), checkpoints=CHECKPOINTS, sparse=True)
    assert dense._game.sparse is False and sparse._game.sparse is True
    inexact = ("records.sum_beta1_h",) if name == "lazy Adam" else ()
    assert_same(dense, sparse, inexact)
    # and after the last checkpoint the whole state is the dense loop's (so is every checkpoint's)
    a, b = dense._game.st, sparse._game.st
    for field in ("theta", "slots", "scalars", "grad", "inv_step", "vhat", "suff", "loss"):
        np.testing.assert_array_equal(getattr(b, field), getattr(a, field), err_msg=field)
    for j, (x, y) in enumerate(zip(a.coords, b.coords)):
        np.testing.assert_array_equal(y, x, err_msg=f"coordinate rows of recorder {j}")
    for j, (x, y) in enumerate(zip(a.acc, b.acc)):  # the accumulators (lazy Adam's sum_beta1_h: column 2)
        if name == "lazy Adam" and j == 2:
            np.testing.assert_allclose(y, x, rtol=1e-13, atol=0)
        else:
            np.testing.assert_array_equal(y, x, err_msg=f"accumulators of recorder {j}")
    # the comparison is not vacuous: the game moved, and Gamma_{t,i} < 0 happened where it can
    assert np.ptp(dense.theta_path) > 0 and dense.records["sum_g_norm"][0, -1] > 0
    if name == "lazy Adam":
        assert dense.records["gamma_neg"][0, -1] > 0 and dense.records["sum_beta1_h"][0, -1] > 0


def test_sparse_logistic_rows_equal_the_dense_loop():
    s = rl.streams.sparse_logistic(d=30, nnz=4, zipf=1.0)
    L = rl.OGD(alpha=0.05)  # alpha_t = alpha / sqrt(t): H = 1/alpha_t of every coordinate grows each round
    dense = rl.play(L, s, 800, seeds=range(2), checkpoints=CHECKPOINTS[CHECKPOINTS <= 800], sparse=False)
    sparse = rl.play(L, s, 800, seeds=range(2), checkpoints=CHECKPOINTS[CHECKPOINTS <= 800])
    assert sparse._game.sparse
    assert_same(dense, sparse)
    a, b = dense._game.st, sparse._game.st
    np.testing.assert_array_equal(b.inv_step, a.inv_step)
    np.testing.assert_array_equal(b.theta, a.theta)
    # dense rows touch every coordinate: played by the dense loop
    assert not _mode(rl.AdaGrad(), rl.streams.synthetic_logistic(d=3))


def test_sparse_csr_data_rows_equal_the_dense_loop():
    # user data as CSR rows, hinge loss (its gradient is 0 on the rows it classifies with margin)
    sp = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(3)
    A = sp.random(60, 25, density=0.15, format="csr", random_state=4)
    y = np.where(rng.random(60) < 0.5, -1.0, 1.0)
    s = rl.streams.hinge(A, y, order="random")
    assert s.max_touched == int(np.diff(A.indptr).max())
    L = LEARNERS["AdaGrad theorem"]
    ck = CHECKPOINTS[CHECKPOINTS <= 600]
    dense = rl.play(L, s, 600, seeds=range(2), checkpoints=ck, sparse=False)
    sparse = rl.play(L, s, 600, seeds=range(2), checkpoints=ck)
    assert sparse._game.sparse
    assert_same(dense, sparse)


@pytest.mark.parametrize("L", [rl.RMSProp(alpha=0.05, beta2=0.9, schedule="theorem"),
                               rl.Adam(alpha=0.05, beta1=0.0, beta2=0.99, eps_mode="hat", schedule="constant")],
                         ids=["RMSProp", "Adam beta1=0"])
def test_decaying_v_is_caught_up_by_a_power_when_asked(L):
    """RMSProp and Adam with beta1 = 0: an untouched coordinate's v decays by beta2 per round and its
    m is 0, so the catch-up is v beta2^j.  The dense loop multiplies j times, which rounds
    differently: the automatic mode keeps the dense loop, sparse=True agrees with it to 1e-13.  Their
    H decays, so StepSizeGrowth (Gamma counts) needs the dense loop; the preconditioner's
    sum_i sqrt(v_hat) is read at checkpoints, after the catch-up."""
    s = stream()
    rec = (rl.recorders.Preconditioner(),)
    assert _mode(L, s, record=rec) is False and _mode(L, s, record=rec, sparse=True) is True
    with pytest.raises(ValueError, match="StepSizeGrowth needs the H of untouched coordinates"):
        rl.play(L, s, 10, sparse=True)
    dense = rl.play(L, s, T, seeds=range(3), checkpoints=CHECKPOINTS, record=rec, sparse=False)
    sparse = rl.play(L, s, T, seeds=range(3), checkpoints=CHECKPOINTS, record=rec, sparse=True)
    for x, y, what in ((dense.regret, sparse.regret, "regret"), (dense.theta_path, sparse.theta_path, "theta"),
                       (dense.records["sum_sqrt_vhat"], sparse.records["sum_sqrt_vhat"], "sum_sqrt_vhat"),
                       (dense._game.st.slots, sparse._game.st.slots, "state"),
                       (dense._game.st.inv_step, sparse._game.st.inv_step, "H")):
        np.testing.assert_allclose(y, x, rtol=1e-13, atol=1e-13, err_msg=what)
    assert not np.array_equal(dense._game.st.slots, sparse._game.st.slots)  # the power does round differently
    # Adam with beta1 > 0 moves its untouched coordinates (m decays, not to 0): the dense loop only
    with pytest.raises(ValueError, match="moves its untouched coordinates through m"):
        rl.play(rl.Adam(beta1=0.9), s, 10, record=rec, sparse=True)


def test_lazy_adams_sum_of_h_does_not_drift_between_distant_checkpoints():
    # one large H that later shrinks (scale 1e4, beta2 = 0: H follows |g|), 3000 rounds between the
    # first and only checkpoint: the running sum_i H of the touched changes must not lose digits
    s = rl.streams.sparse_logistic(d=2, nnz=1, zipf=1.0, scale=1e4)
    L = rl.Adam(alpha=0.5, beta1=0.9, beta2=0.0, lazy=True)
    dense = rl.play(L, s, 3000, seeds=range(8), checkpoints=[3000], sparse=False)
    sparse = rl.play(L, s, 3000, seeds=range(8), checkpoints=[3000])
    assert sparse._game.sparse
    np.testing.assert_allclose(sparse.records["sum_beta1_h"], dense.records["sum_beta1_h"], rtol=1e-13, atol=0)
    np.testing.assert_array_equal(sparse.regret, dense.regret)


def test_a_non_finite_iterate_is_reported_as_the_dense_loop_reports_it():
    # theta near the largest double on R^d: a step overflows a coordinate to inf, which the next
    # round's check finds (the sparse loop checks the coordinates the previous round moved)
    s = rl.streams.sparse_logistic(d=6, nnz=2, zipf=0.0, domain=rl.Unconstrained(6))
    L = rl.OGD(alpha=1e308, schedule="constant")
    rng = np.random.default_rng(0)
    seen = 0
    for _ in range(150):
        x0 = rng.choice([1.2e308, -1.2e308, 0.0, 1.0], size=6)
        msgs = []
        for sparse in (False, True):
            try:
                rl.play(L, s, 6, x0=x0, checkpoints=[6], record="regret", sparse=sparse)
                msgs.append(None)
            except rl.NonFiniteError as e:
                msgs.append(str(e))
        assert msgs[0] == msgs[1]
        seen += msgs[0] is not None and "iterate" in msgs[0]
    assert seen >= 5


def test_sparse_batches_chunks_and_continuations_equal_the_dense_loop():
    L, s = LEARNERS["AdaGrad theorem"], stream()
    grid = [L.replace(alpha=a) for a in (0.1, 0.4)]
    dense = rl.play_many(grid, s, T, seeds=range(2), checkpoints=CHECKPOINTS, sparse=False)
    sparse = rl.play_many(grid, s, T, seeds=range(2), checkpoints=CHECKPOINTS, chunks=7)
    for d_runs, s_runs in zip(dense, sparse):
        assert s_runs._game.sparse
        assert_same(d_runs, s_runs)
    # continued from round 700 (between checkpoints of the first part), by one call and by chunks
    first = rl.play(grid[1], s, 700, seeds=range(2), checkpoints=CHECKPOINTS[CHECKPOINTS <= 700])
    rest = CHECKPOINTS[CHECKPOINTS > 700]
    cont = continue_runs(first, T, checkpoints=rest, chunks=3)
    keep = np.isin(cont.t, CHECKPOINTS)  # round 700 is the first part's horizon, not a checkpoint here
    assert keep.sum() == CHECKPOINTS.size
    np.testing.assert_array_equal(cont.regret[:, keep], dense[1].regret)
    np.testing.assert_array_equal(cont.records["gamma_neg"][:, keep], dense[1].records["gamma_neg"])
    np.testing.assert_array_equal(cont.final["theta_max"], dense[1].final["theta_max"])


def test_the_sparse_loop_keeps_o_nnz_state():
    s = rl.streams.sparse_linear(d=10**4, nnz=7)
    g = Game([rl.AdaGrad()], s, np.arange(3, dtype=np.uint64), s.x0, False, sparse=True)
    assert g.st.touched.shape == (3, 7) and g.st.n_touched.shape == (3,)
    assert Game([rl.AdaGrad()], s, np.arange(3, dtype=np.uint64), s.x0, False, sparse=False).st.touched.shape == (3, 0)


# ----------------------------------------------------------------------------- which games are sparse


class Plain(NamedTuple):
    tag: int = 0


def _plain_observe(spec, a, C, k, t, X, G):
    return (a[0] + G[k, 0],)


def _plain_snapshot(spec, a, C, k, X, V, out, c):
    out[k, c, 0] = a[0]


rl.register_recorder(Plain, fields=("sum_g_first",), n_acc=1, observe=_plain_observe, snapshot=_plain_snapshot)


def _mode(learner, s, record=rl.recorders.BOUNDS, sparse=None):
    return Game([learner], s, np.zeros(1, dtype=np.uint64), s.x0, False, record, sparse=sparse).sparse


def test_automatic_mode_chooses_the_sparse_loop_only_where_it_is_exact():
    s = stream()
    assert _mode(rl.AdaGrad(), s) and _mode(rl.OGD(), s) and _mode(rl.Adam(lazy=True), s)
    assert _mode(rl.AdaGrad(), s, record=rl.recorders.REGRET)
    assert _mode(rl.AdaGrad(), s, sparse=False) is False
    # Adam (beta1 > 0) and AMSGrad move untouched coordinates through m; RMSProp's catch-up is not
    # the dense loop's rounding; a weighted projection and a recorder without a sparse form need the
    # dense loop; so does a dense stream
    for L in (rl.Adam(), rl.RMSProp(), rl.AMSGrad(), rl.AdaMax(), rl.Adam(beta1=0.0)):
        assert _mode(L, s) is False
    assert _mode(rl.AdaGrad(), s, record=(Plain(),)) is False
    assert _mode(rl.AdaGrad(), rl.streams.random_sign(d=3)) is False


@pytest.mark.parametrize("learner, s, record, needle", [
    (rl.AdaMax(), stream(), rl.recorders.BOUNDS, "untouched coordinates move"),
    (rl.AdaGrad(), rl.streams.random_sign(d=3), rl.recorders.BOUNDS, "no sparse rounds"),
    (rl.AdaGrad(), stream(), (Plain(),), "Plain has no sparse form"),
    (rl.AMSGrad(), stream(), rl.recorders.BOUNDS, "weighted"),
])
def test_sparse_true_names_what_prevents_it(learner, s, record, needle):
    with pytest.raises(ValueError, match=needle) as e:
        rl.play(learner, s, 10, record=record, sparse=True)
    assert "\n" not in str(e.value) and "sparse=True" in str(e.value)


def test_invalid_sparse_value_and_incomplete_sparse_forms_are_refused():
    with pytest.raises(ValueError, match="sparse must be None"):
        rl.play(rl.AdaGrad(), stream(), 10, sparse="yes")

    class Half(NamedTuple):
        tag: int = 0

    with pytest.raises(ValueError, match="needs observe_touched"):
        rl.register_recorder(Half, fields=("x",), n_acc=1, observe=_plain_observe, snapshot=_plain_snapshot,
                             sparse=True)
    with pytest.raises(ValueError, match="both touch and refresh"):
        rl.register_learner(Half, lambda *a: None, touch=lambda *a: None)


# ----------------------------------------------------------------------------- a user stream's contract

class _OneHot(NamedTuple):
    bug: int  # 0: none; 1: reports 2 touched (max_touched 1); 2: touches coordinate d; 3: out of order


def _one_hot_round(spec, seed, t, X, k, G, SUFF):
    i = t % X.shape[1]
    for j in range(X.shape[1]):
        G[k, j] = 0.0
    G[k, i] = 1.0
    SUFF[k, i] += 1.0
    return X[k, i]


def _one_hot_touch(spec, seed, t, X, k, G, SUFF, IDX):
    d = X.shape[1]
    i = t % d
    G[k, i] = 1.0
    SUFF[k, i] += 1.0
    IDX[k, 0] = i
    m = 1
    if spec.bug == 1:
        m = 2
    elif spec.bug == 2 and t == 5:
        IDX[k, 0] = d  # (the gradient written at i: nothing is written outside the arrays)
    elif spec.bug == 3 and t == 5:
        IDX[k, 0] = 1  # within max_touched = 2, but not increasing
        IDX[k, 1] = 0
        m = 2
    return X[k, i], m


rl.register_stream(_OneHot, _one_hot_round, touch=_one_hot_touch)


def _one_hot(bug, max_touched):
    s = rl.streams.Stream("one_hot", _OneHot(bug), rl.Box(-1, 1, d=4), np.zeros(4), 1.0, 1.0, "linear", 4,
                          {"bug": bug})
    s.max_touched = max_touched
    return s


def test_a_user_streams_sparse_round_is_checked_against_its_contract():
    good = rl.play(rl.OGD(alpha=0.1), _one_hot(0, 1), 40, record="regret", sparse=True)
    dense = rl.play(rl.OGD(alpha=0.1), _one_hot(0, 1), 40, record="regret", sparse=False)
    np.testing.assert_array_equal(good.regret, dense.regret)
    cases = [(1, 1, r"round 1 \(seed 0\) reported m = 2 touched coordinates \(max_touched = 1\)"),
             (2, 1, r"round 5 \(seed 0\) wrote the touched coordinates \[4\] \(not strictly increasing in \[0, 4\)\)"),
             (3, 2, r"round 5 \(seed 0\) wrote the touched coordinates \[1, 0\] \(not strictly increasing")]
    for bug, mt, msg in cases:
        with pytest.raises(ValueError, match=msg) as e:
            rl.play(rl.OGD(alpha=0.1), _one_hot(bug, mt), 40, record="regret", sparse=True)
        assert "\n" not in str(e.value) and "register_stream" in str(e.value)


def test_misnamed_parameters_are_refused_at_registration():
    class Spec(NamedTuple):
        tag: int = 0

    def touch(spec, seed, t, X, k, G, SUFF, idx):
        return 0.0, 0

    with pytest.raises(ValueError, match=r"stream Spec: its touch function must take exactly the parameters "
                                         r"\(spec, seed, t, X, k, G, SUFF, IDX\), got "
                                         r"\(spec, seed, t, X, k, G, SUFF, idx\)"):
        rl.register_stream(Spec, _one_hot_round, touch=touch)

    def step(spec, P, k, S, Z, X, G, H, V, time):
        return 0.0, 0.0, 1.0

    with pytest.raises(ValueError, match=r"learner Spec: its step function must take exactly the parameters"):
        rl.register_learner(Spec, step)
    with pytest.raises(ValueError, match=r"domain Spec: its project function"):
        rl.register_domain(Spec, lambda spec, X, k, W: None)
