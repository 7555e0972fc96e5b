"""Streams: their comparators against independent solves, the expected regret of random signs, dynamic regret,
determinism of the adaptive adversary, sparse memory, and invalid stream parameters."""
import math
import tracemalloc

import numpy as np
import pytest

import regretlab as rl
from naive import naive_best_linear, naive_best_quadratic
from regretlab import _rng
from strategies import assert_value_error_naming, labelled


def _box(d, r=1.0):
    return {"kind": "box", "lo": np.full(d, -r), "hi": np.full(d, r)}


def _normal_np(seed, t, j):
    # the documented generator (Box-Muller on counter uniforms 2j, 2j+1), written out with NumPy
    u1 = _rng.uniform_np(seed, t, 2 * j)
    u2 = _rng.uniform_np(seed, t, 2 * j + 1)
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)


@pytest.mark.nojit
def test_expected_sign_regret_closed_form():
    # E|S_T| for small T by enumeration
    for T in (1, 2, 5, 8):
        vals = [abs(sum(s)) for s in np.array(np.meshgrid(*[[-1, 1]] * T)).reshape(T, -1).T]
        assert rl.streams.expected_sign_regret(T)[0] == pytest.approx(np.mean(vals), rel=1e-12)


def test_drifting_quadratic_comparator_against_regenerated_targets():
    d, T, step, seed = 2, 300, 0.1, 5
    run = rl.play(rl.OGD(0.5), rl.streams.drifting_quadratic(d, step=step, start=[0.2, -0.3]), T, seed=seed,
                  checkpoints=[10, 100, T])
    t = np.arange(1, T + 1)
    xi = np.stack([_normal_np(seed, t, d + i) for i in range(d)], axis=1)
    Z = np.array([0.2, -0.3]) + step * np.cumsum(xi, axis=0)
    for j, tc in enumerate(run.t):
        assert run.best_loss[j] == pytest.approx(naive_best_quadratic(Z[:tc], _box(d)), rel=1e-7)
    # dynamic comparator: sum of 1/2 dist^2(z_t, box)
    dyn = 0.5 * np.sum((Z - np.clip(Z, -1, 1)) ** 2, axis=1)
    assert run.dynamic_regret[-1] == pytest.approx(run.loss[-1] - dyn.sum(), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("make", [
    lambda: rl.streams.switching_quadratic([[1.5, 0.0], [0.0, -0.5], [0.3, 0.3]], 37, sigma=0.2),
    lambda: rl.streams.periodic_quadratic([1.5, -0.5], 50, sigma=0.1),
], ids=["switching", "periodic"])
def test_nonstationary_quadratic_comparators(make):
    s = make()
    T, seed = 400, 3
    run = rl.play(rl.AdaGrad(0.5), s, T, seed=seed, checkpoints=[50, T])
    t = np.arange(1, T + 1)
    noise = np.stack([_normal_np(seed, t, i) for i in range(2)], axis=1) * s.params["sigma"]
    if s.name == "switching_quadratic":
        tg = np.array([[1.5, 0.0], [0.0, -0.5], [0.3, 0.3]])
        Z = tg[((t - 1) // 37) % 3] + noise
    else:
        Z = np.array([1.5, -0.5])[None, :] * np.sin(2 * np.pi * t / 50)[:, None] + noise
    for j, tc in enumerate(run.t):
        assert run.best_loss[j] == pytest.approx(naive_best_quadratic(Z[:tc], _box(2)), rel=1e-7)


def test_stochastic_linear_frequency_and_comparator():
    s = rl.streams.stochastic_linear(1010, 10, 0.01)
    runs = rl.play(rl.OGD(0.01), s, 20000, seeds=range(4), checkpoints=[20000])
    S = runs.suff[:, -1, 0]
    n_big = (S + 10 * 20000) / 1020
    assert np.all(np.abs(n_big / 20000 - 0.01) < 4 * math.sqrt(0.01 * 0.99 / 20000))
    for k in range(4):
        assert runs.best_loss[k, -1] == pytest.approx(naive_best_linear(np.array([S[k]]), _box(1)), rel=1e-12)


def test_reddi_stochastic_expected_loss_and_amsgrad():
    s = rl.streams.reddi_stochastic(C=3.0, delta=0.5)
    assert s.params["p"] == pytest.approx(1.5 / 4)
    ams = rl.play(rl.AMSGrad(alpha=0.2, beta1=0.0, beta2=0.1), s, 10**5, seeds=range(4))
    assert np.mean(ams.theta) < -0.5  # converges towards the minimiser -1 of E f = delta x


def test_momentum_adversary_is_adaptive_and_deterministic():
    s = rl.streams.momentum_adversary(d=2, radius=1.0, G=1.0)
    L = rl.Adam(alpha=0.05, beta1=0.9, beta2=0.99)
    a = rl.play(L, s, 3000, seed=9)
    b = rl.play(L, s, 3000, seed=9)
    np.testing.assert_array_equal(a.regret, b.regret)
    c = rl.play(L, s, 3000, seed=9, chunks=13)
    np.testing.assert_array_equal(a.regret, c.regret)
    # and it pushes against each move: g_t . (theta_t - theta_{t-1}) > 0 whenever the learner moved
    r = rl.play(rl.OGD(0.5), s, 200, seed=1, checkpoints=np.arange(1, 201))
    g = np.diff(np.concatenate([np.zeros((1, 2)), r.suff[:, :2]]), axis=0)
    th = np.concatenate([[s.x0], r.theta_path])  # theta_1 .. theta_201
    moves = th[1:-1] - th[:-2]  # theta_t - theta_{t-1} for t = 2..200
    moved = moves != 0
    assert np.all(np.sign(g[1:][moved]) == np.sign(moves[moved]))


@pytest.mark.parametrize("make", [
    lambda: rl.streams.reddi(3.0), lambda: rl.streams.random_sign(3), lambda: rl.streams.quadratic([0.5, 2.0]),
    lambda: rl.streams.stochastic_linear(1010, 10, 0.01), lambda: rl.streams.momentum_adversary(2),
    lambda: rl.streams.sparse_linear(500, 5), lambda: rl.streams.drifting_quadratic(2, step=0.05),
    lambda: rl.streams.switching_quadratic([[1, 0], [0, -1.0]], 100),
    lambda: rl.streams.linear(np.random.default_rng(0).normal(size=(2000, 2)), domain=rl.Ball(0, 1, d=2)),
    lambda: rl.streams.quadratic_data(np.random.default_rng(0).normal(size=(50, 2)), order="random"),
], ids=lambda f: "")
def test_dynamic_regret_at_least_static(make):
    s = make()
    runs = rl.play(rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99), s, 2000, seeds=range(2))
    assert runs.dynamic_regret is not None
    assert np.all(runs.dynamic_regret >= runs.regret - 1e-9 * np.maximum(1, np.abs(runs.regret)))


def test_sparse_linear_comparator_and_data_dependent_terms():
    d, nnz, T = 2000, 5, 3000
    s = rl.streams.sparse_linear(d, nnz, zipf=1.1)
    run = rl.play(rl.AdaGrad(0.5), s, T, seed=2, checkpoints=[T])
    S = run.suff[-1, :d]
    assert run.best_loss[-1] == pytest.approx(-np.sum(np.abs(S)), rel=1e-12)
    # the gradients are sparse: sum_i ||g_1:T,i|| far below d G_inf sqrt(T)
    assert run.stats["sum_g_norm"][-1] < 0.05 * d * s.G_inf * math.sqrt(T)
    # Zipf: the first coordinate is touched far more often than the last
    n2 = run.final["sum_g2"]
    assert n2[0] > 20 * max(n2[-100:].mean(), 1e-12)


def test_sparse_streams_at_d_1e5_fit_in_memory():
    d = 10**5
    tracemalloc.start()
    run = rl.play(rl.Adam(alpha=0.01), rl.streams.sparse_linear(d, 20), 200, checkpoints=[100, 200])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 300e6, peak
    assert run.regret.shape == (2,)
    tracemalloc.start()
    run = rl.play(rl.Adam(alpha=0.01, lazy=True), rl.streams.sparse_logistic(d, 20), 200, checkpoints=[200])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 300e6, peak
    assert np.isfinite(run.regret[-1]) and run.best_gap[-1] >= 0


#: invalid stream parameters and the text their one-line ValueError must contain (raised before any kernel)
INVALID_STREAMS = [
    pytest.param(lambda: rl.streams.reddi(C=2.0), "C", id="reddi C=2", marks=pytest.mark.nojit),
    pytest.param(lambda: rl.streams.periodic_linear(1, 1, 0), "period", id="periodic_linear period=0",
                 marks=pytest.mark.nojit),
    pytest.param(lambda: rl.streams.random_sign(d=0), "d", id="random_sign d=0", marks=pytest.mark.nojit),
    pytest.param(lambda: rl.streams.linear([[1.0], [np.nan]]), "row 1", id="linear nan row 1", marks=pytest.mark.nojit),
    pytest.param(lambda: rl.streams.linear([[1.0], [np.inf]]), "non-finite", id="linear inf",
                 marks=pytest.mark.nojit),
    # NaN/inf can only enter through the stream's arithmetic: arrays are refused up front, by row
    ("linear -inf row 6", lambda: rl.streams.linear(np.where(np.arange(20).reshape(10, 2) == 13, -np.inf, 1.0)),
     "row 6"),
    ("logistic rows differ", lambda: rl.streams.logistic(np.ones((3, 2)), [1, -1]), "3 rows but y has 2"),
    ("logistic label 0", lambda: rl.streams.logistic(np.ones((3, 2)), [1, 0, -1]), "row 1"),
    ("hinge nan", lambda: rl.streams.hinge([[1.0, np.nan], [0, 1]], [1, -1]), "row 0"),
    ("logistic order", lambda: rl.streams.logistic(np.ones((3, 2)), [1, -1, 1], order="shuffled"), "order"),
    ("sparse_logistic nnz>d", lambda: rl.streams.sparse_logistic(10, 11), "nnz"),
    ("sparse_linear nnz=0", lambda: rl.streams.sparse_linear(10, 0), "nnz"),
    ("stochastic_linear p<0", lambda: rl.streams.stochastic_linear(1, 1, -0.1), "p"),
    ("stochastic_linear p=1.5", lambda: rl.streams.stochastic_linear(1, 1, 1.5), "p"),
    ("reddi_stochastic delta<0", lambda: rl.streams.reddi_stochastic(3.0, -1.0), "delta"),
    ("drifting_logistic d=1 (needs d >= 2)", lambda: rl.streams.drifting_logistic(1), "needs d >= 2"),
    ("switching_quadratic period=0", lambda: rl.streams.switching_quadratic([[1.0]], 0), "period"),
    ("absolute inf", lambda: rl.streams.absolute([[1.0, np.inf]]), "row 0"),
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
    ("stochastic_linear p nan", lambda: rl.streams.stochastic_linear(1.0, 1.0, math.nan), "p"),
    ("sparse_linear nnz>d", lambda: rl.streams.sparse_linear(d=3, nnz=4), "nnz"),
    ("sparse_linear zipf<0", lambda: rl.streams.sparse_linear(d=3, nnz=1, zipf=-1.0), "zipf"),
    ("sparse_linear radius=inf", lambda: rl.streams.sparse_linear(d=3, nnz=1, radius=math.inf), "radius"),
    # each of these used to get through: +inf accepted where the range was [lo, inf], arrays of the wrong
    # rank reaching the kernel as a Numba TypingError, a comparison before validation (TypeError), a 0-d Box
    ("periodic_linear big=+inf", lambda: rl.streams.periodic_linear(math.inf, 1.0, 3), "big"),
    ("stochastic_linear big=+inf", lambda: rl.streams.stochastic_linear(math.inf, 1.0, 0.5), "big"),
    ("switching_quadratic 3-d targets", lambda: rl.play(rl.OGD(), rl.streams.switching_quadratic([[[1.0]]], 2), 10),
     "targets"),
    ("periodic_quadratic 2-d amplitude",
     lambda: rl.play(rl.OGD(), rl.streams.periodic_quadratic([[1.0, 2.0]], 5), 10), "amplitude"),
    ("periodic_quadratic amplitude nan", lambda: rl.streams.periodic_quadratic([1.0, math.nan], 5), "amplitude"),
    ("sparse_logistic nnz='x'", lambda: rl.streams.sparse_logistic(d=10, nnz="x"), "nnz"),
    ("drifting_logistic d='x'", lambda: rl.streams.drifting_logistic(d="x"), "d"),
]


@pytest.mark.parametrize("make,name", labelled(INVALID_STREAMS))
def test_invalid_stream_parameters_are_value_errors(make, name):
    assert_value_error_naming(make, name)


def test_sparse_csr_rows_validated_and_named():
    sp = pytest.importorskip("scipy.sparse")
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, np.nan]]))
    with pytest.raises(ValueError, match="row 1"):
        rl.streams.logistic(X, [1, -1])
