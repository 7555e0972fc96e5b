"""Streams of issue 3: comparators against independent solves, dynamic regret, determinism, sparse memory."""
import math
import tracemalloc

import numpy as np
import pytest

import regretlab as rl
from naive import naive_best_linear, naive_best_quadratic
from regretlab import _rng


def _box(d, r=1.0):
    return {"kind": "box", "lo": np.full(d, -r), "hi": np.full(d, r)}


def _normal_np(seed, t, j):
    # the documented generator (Box-Muller on counter uniforms 2j, 2j+1), written out with NumPy
    u1 = _rng.uniform_np(seed, t, 2 * j)
    u2 = _rng.uniform_np(seed, t, 2 * j + 1)
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)


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


def test_lazy_adam_matches_its_naive_rule_and_differs_from_dense():
    d, T = 50, 400
    s = rl.streams.sparse_linear(d, 3, zipf=1.0)
    hp = dict(alpha=0.05, beta1=0.9, beta2=0.99, eps=1e-8, schedule="constant")
    lazy = rl.play(rl.Adam(lazy=True, **hp), s, T, seed=4, checkpoints=np.arange(1, T + 1))
    dense = rl.play(rl.Adam(**hp), s, T, seed=4, checkpoints=np.arange(1, T + 1))
    G = np.diff(np.concatenate([np.zeros((1, d)), lazy.suff[:, :d]]), axis=0)
    x = np.zeros(d)
    m = np.zeros(d)
    v = np.zeros(d)
    for t in range(1, T + 1):
        g = G[t - 1]
        on = g != 0
        m[on] = 0.9 * m[on] + 0.1 * g[on]
        v[on] = 0.99 * v[on] + 0.01 * g[on] ** 2
        step = 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
        x[on] = np.clip(x[on] - step[on], -1, 1)
        np.testing.assert_allclose(lazy.theta_path[t - 1], x, rtol=1e-12, atol=1e-14)
    assert not np.allclose(dense.theta, lazy.theta)


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


@pytest.mark.parametrize("make,match", [
    (lambda: rl.streams.logistic(np.ones((3, 2)), [1, -1]), "3 rows but y has 2"),
    (lambda: rl.streams.logistic(np.ones((3, 2)), [1, 0, -1]), "row 1"),
    (lambda: rl.streams.hinge([[1.0, np.nan], [0, 1]], [1, -1]), "row 0"),
    (lambda: rl.streams.logistic(np.ones((3, 2)), [1, -1, 1], order="shuffled"), "order"),
    (lambda: rl.streams.sparse_logistic(10, 11), "nnz"),
    (lambda: rl.streams.sparse_linear(10, 0), "nnz"),
    (lambda: rl.streams.stochastic_linear(1, 1, -0.1), "p"),
    (lambda: rl.streams.stochastic_linear(1, 1, 1.5), "p"),
    (lambda: rl.streams.reddi_stochastic(3.0, -1.0), "delta"),
    (lambda: rl.streams.drifting_logistic(1), "needs d >= 2"),
    (lambda: rl.streams.switching_quadratic([[1.0]], 0), "period"),
    (lambda: rl.streams.absolute([[1.0, np.inf]]), "row 0"),
])
def test_stream_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_sparse_csr_rows_validated_and_named():
    sp = pytest.importorskip("scipy.sparse")
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, np.nan]]))
    with pytest.raises(ValueError, match="row 1"):
        rl.streams.logistic(X, [1, -1])


def test_path_length_comparator_interpolates_static_and_per_round():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(60, 2))
    s = rl.streams.linear(grads, domain=rl.Box(-1, 1, d=2))
    run = rl.play(rl.OGD(0.3), s, 60, checkpoints=[10, 60])
    r0, g0 = run.dynamic_regret_path(0.0)
    np.testing.assert_allclose(r0, run.regret, rtol=1e-9, atol=1e-9)
    big, _ = run.dynamic_regret_path(1e6)
    np.testing.assert_allclose(big, run.dynamic_regret, rtol=1e-9, atol=1e-9)
    mid, gm = run.dynamic_regret_path(3.0)
    assert np.all(r0 <= mid + 1e-9) and np.all(mid <= big + 1e-9) and np.all(gm < 1e-7)


def test_path_length_comparator_brute_force_1d():
    # T = 4, d = 1: the optimum of an LP over a box is at a vertex of the path polytope; enumerate a fine grid
    import itertools

    from regretlab.hindsight import best_path_length

    g = np.array([[1.0], [-2.0], [0.5], [-1.0]])
    P = 1.0
    grid = np.linspace(-1, 1, 41)
    best = min(sum(g[i, 0] * u[i] for i in range(4)) for u in itertools.product(grid, repeat=4)
               if sum(abs(u[i] - u[i - 1]) for i in range(1, 4)) <= P + 1e-12)
    val, gap = best_path_length(g, rl.Box(-1, 1, d=1), P)
    assert val[0] == pytest.approx(best, abs=1e-9)
