"""The closed-form comparators of regretlab.hindsight (as play computes them) against brute force and generic
solvers of tests/naive.py, and the path-length comparator between the static and the per-round one."""
import itertools

import numpy as np
import pytest

import regretlab as rl
from naive import naive_best_linear, naive_best_quadratic
from regretlab.hindsight import best_path_length


@pytest.mark.nojit
def test_linear_comparators_against_brute_force():
    rng = np.random.default_rng(0)
    for domain, nd in [(rl.Box([-1, 0, -2], [1, 0.5, 3]), {"kind": "box", "lo": np.array([-1, 0, -2.]),
                                                             "hi": np.array([1, 0.5, 3.])}),
                       (rl.Ball([0.5, -1, 0], 2.0), {"kind": "ball", "center": np.array([0.5, -1, 0.]),
                                                     "radius": 2.0})]:
        grads = rng.normal(size=(40, 3))
        run = rl.play(rl.OGD(0.1), rl.streams.linear(grads, domain=domain), 40, checkpoints=np.arange(1, 41))
        S = np.cumsum(grads, axis=0)
        ref = np.array([naive_best_linear(S[t], nd) for t in range(40)])
        np.testing.assert_allclose(run.best_loss, ref, rtol=1e-7, atol=1e-9)


@pytest.mark.nojit
def test_quadratic_comparator_against_solver():
    domain = rl.Ball([0.2, -0.1], 0.5)
    s = rl.streams.quadratic([1.0, 1.0], sigma=0.8, domain=domain)
    run = rl.play(rl.OGD(0.5), s, 60, seed=11, checkpoints=[5, 20, 60])
    # regenerate the targets from the recorded statistics is not independent: recompute them from the
    # loss identity instead.  f_t(theta_t) = 1/2||theta_t - z_t||^2 is recorded; use a brute-force run
    # of a learner that sits still at points we choose to recover z_t exactly.
    zs = []
    for e in np.eye(2):
        pass
    # Independent route: play a fixed point learner (alpha -> tiny) at three known points p and use
    # f_t(p) = 1/2||p - z_t||^2, which determines z_t.
    from regretlab.game import play

    def losses_at(p):
        r = play(rl.OGD(1e-300, schedule="constant"), rl.streams.quadratic([1.0, 1.0], sigma=0.8,
                 domain=rl.Unconstrained(2)), 60, seed=11, x0=p, checkpoints=np.arange(1, 61))
        return np.diff(np.concatenate([[0.0], r.loss]))

    p0, p1, p2 = np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0])
    l0, l1, l2 = losses_at(p0), losses_at(p1), losses_at(p2)
    z = np.stack([(l0 - l1 + 0.5), (l0 - l2 + 0.5)], axis=1)  # from 1/2|p-z|^2 differences
    nd = {"kind": "ball", "center": np.array([0.2, -0.1]), "radius": 0.5}
    for j, t in enumerate([5, 20, 60]):
        ref = naive_best_quadratic(z[:t], nd)
        assert run.best_loss[j] == pytest.approx(ref, rel=1e-7)


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
    g = np.array([[1.0], [-2.0], [0.5], [-1.0]])
    P = 1.0
    grid = np.linspace(-1, 1, 41)
    best = min(sum(g[i, 0] * u[i] for i in range(4)) for u in itertools.product(grid, repeat=4)
               if sum(abs(u[i] - u[i - 1]) for i in range(1, 4)) <= P + 1e-12)
    val, gap = best_path_length(g, rl.Box(-1, 1, d=1), P)
    assert val[0] == pytest.approx(best, abs=1e-9)


def test_a_prefix_solved_for_one_learner_is_not_solved_again_for_another(monkeypatch):
    """The comparator of a data stream reads the rows played, the domain and the checkpoints, not the
    learner: a second learner on the same seeds reuses the solves (bit for bit the same comparator as a fresh
    solve), another seed, another set of checkpoints or another domain solve afresh, and the memo keeps within
    its byte budget."""
    from regretlab import hindsight as H
    from regretlab import solvers

    calls = []
    orig = solvers.best_logistic

    def counted(A, y, domain, t, **kw):
        if "blas_threads" not in kw:  # (not its own call of itself within a BLAS thread limit)
            calls.append((A.shape[0], tuple(t)))
        return orig(A, y, domain, t, **kw)

    monkeypatch.setattr(solvers, "best_logistic", counted)
    monkeypatch.setattr(H, "_solved_memo", type(H._solved_memo)())
    s = rl.streams.synthetic_logistic(3)
    a = rl.play(rl.Adam(alpha=0.1, beta1=0.0, beta2=0.99), s, 2000, seeds=range(2))
    assert len(calls) == 2
    b = rl.play(rl.OGD(alpha=0.3), s, 2000, seeds=range(2))
    assert len(calls) == 2  # the same rows, domain and checkpoints: no new solve
    np.testing.assert_array_equal(a.best_loss, b.best_loss)
    np.testing.assert_array_equal(a.best_theta, b.best_theta)
    H._solved_memo.clear()
    fresh = rl.play(rl.OGD(alpha=0.3), s, 2000, seeds=range(2))
    assert len(calls) == 4
    for name in ("best_loss", "best_gap", "best_theta", "regret"):
        np.testing.assert_array_equal(getattr(fresh, name), getattr(b, name), err_msg=name)
    rl.play(rl.OGD(alpha=0.3), s, 2000, seeds=[2])  # another seed: other rows
    rl.play(rl.OGD(alpha=0.3), s, 2000, seeds=[0], checkpoints=[500, 2000])  # other checkpoints
    other = rl.streams.synthetic_logistic(3, domain=rl.Box(-0.5, 0.5, d=3))
    rl.play(rl.OGD(alpha=0.3), other, 2000, seeds=[0])  # another domain
    assert len(calls) == 7
    monkeypatch.setattr(H, "SOLVED_BYTES", 3 * 8 * 3 * len(a.t))  # room for about one solve's arrays
    H._solved_memo.clear()
    rl.play(rl.OGD(alpha=0.3), s, 2000, seeds=range(3))
    assert len(H._solved_memo) == 1 and sum(v[1] for v in H._solved_memo.values()) <= H.SOLVED_BYTES


def test_the_absolute_loss_comparator_solves_the_rows_alone():
    """best_absolute reads the rows without labels: the comparator of a played absolute stream is its solve
    of the rows played, for every learner."""
    from regretlab import solvers
    from regretlab.hindsight import played_rows

    s = rl.streams.absolute(np.random.default_rng(0).normal(size=(50, 2)))
    runs = [rl.play(L, s, 200) for L in (rl.OGD(alpha=0.1), rl.AdaGrad(alpha=0.1))]
    A, _ = played_rows(s, int(runs[0].seed), 200)
    ref = solvers.best_absolute(A, s.domain, runs[0].t)
    for r in runs:
        np.testing.assert_array_equal(r.best_loss, ref.value)
        np.testing.assert_array_equal(r.best_gap, ref.certificate)
