"""Each domain class is the one place for its closed forms (regretlab.domains): the comparators, the
solvers' certificates and the streams' per-round minima ask the domain, and a domain registered from
outside the package that lacks one gets a clear error instead of being treated as unconstrained."""
from typing import NamedTuple

import numpy as np
import pytest
from scipy.optimize import linprog

import regretlab as rl
from regretlab import domains as D
from regretlab import hindsight, solvers


class _HalfSpec(NamedTuple):
    d: int


def _half_project(spec, X, k, W, weighted):
    for i in range(X.shape[1]):
        if X[k, i] < 0.0:
            X[k, i] = 0.0


rl.register_domain(_HalfSpec, _half_project)


class Orthant(D.Domain):
    """{theta >= 0}: a user domain with a projection and nothing else."""

    def __init__(self, d):
        self.d = d

    diameter_2 = diameter_inf = np.inf

    def contains(self, x, tol=0.0):
        return bool(np.all(np.asarray(x) >= -tol))

    def project(self, y):
        return np.maximum(np.asarray(y, dtype=float), 0.0)

    def _spec(self):
        return _HalfSpec(self.d)

    def __repr__(self):
        return f"Orthant(d={self.d})"


def test_min_linear_agrees_with_highs_on_a_box_and_with_the_sphere_on_a_ball():
    rng = np.random.default_rng(0)
    box = rl.Box([-1.0, 0.0, 2.0], [1.0, 3.0, 2.5])
    ball = rl.Ball([0.5, -1.0, 0.0], 2.0)
    for S in rng.normal(size=(5, 3)):
        value, theta = hindsight.best_linear(S, box)
        lp = linprog(S, bounds=list(zip(box.lo, box.hi)), method="highs")
        assert value == pytest.approx(lp.fun, abs=1e-12) and box.contains(theta)
        value, theta = hindsight.best_linear(S, ball)
        u = rng.normal(size=(20000, 3))
        u = ball.center + ball.radius * u / np.linalg.norm(u, axis=1, keepdims=True)
        assert value <= (u @ S).min() + 1e-12 and value == pytest.approx(S @ theta, abs=1e-12)
        assert np.linalg.norm(theta - ball.center) == pytest.approx(ball.radius)
        # the support function and the Frank-Wolfe gap are the same oracle seen from the other side
        assert ball.support(-S) == pytest.approx(-value, abs=1e-12)
        assert box.support(-S) == pytest.approx(-hindsight.best_linear(S, box)[0], abs=1e-12)
        x = box.project(rng.normal(size=3))
        assert solvers.frank_wolfe_gap(S, x, box) == pytest.approx(S @ x - hindsight.best_linear(S, box)[0],
                                                                   abs=1e-12)


def test_a_user_domain_without_closed_forms_is_refused_by_name():
    dom = Orthant(2)
    assert dom.project([-1.0, 2.0]).tolist() == [0.0, 2.0]
    S = np.array([1.0, -1.0])
    for call, method in [(lambda: hindsight.best_linear(S, dom), "min_linear"),
                         (lambda: dom.nearest(S), "nearest"),
                         (lambda: solvers.frank_wolfe_gap(S, S, dom), "frank_wolfe_gap")]:
        with pytest.raises(ValueError, match=rf"Orthant\(d=2\) defines no {method} .*define Orthant\.{method}"):
            call()
    with pytest.raises(ValueError, match=r"Orthant\(d=2\) cannot be used with this stream.*Box, Ball and Unconstrained"):
        rl.streams.quadratic([0.5, 0.5], domain=dom)


@pytest.mark.nojit
def test_max_linear_of_a_sparse_row_adds_the_values_of_a_repeated_feature():
    """A Zipf row is drawn with replacement: a feature can appear twice, and the per-round minimum
    (dynamic regret) must see the summed coefficient, not the sum of per-entry maxima."""
    from regretlab.domains import _max_linear_dense, _max_linear_sparse

    rng = np.random.default_rng(5)
    for dom in (rl.Box(-1.0, 2.0, d=6), rl.Ball(0.5, 1.5, d=6), rl.Unconstrained(6)):
        spec = dom._support_data()
        for _ in range(50):
            n = int(rng.integers(1, 9))
            idx = rng.integers(0, 6, size=n)
            val = rng.normal(size=n)
            if n >= 2 and rng.random() < 0.3:  # a repeat whose values cancel
                idx[1], val[1] = idx[0], -val[0]
            scale = float(rng.choice([-1.0, 1.0]))
            dense = np.zeros(6)
            np.add.at(dense, idx, val)
            want = _max_linear_dense(spec, dense, scale)
            got = _max_linear_sparse(spec, idx, val, n, scale)
            if np.isinf(want):
                assert got == want
            else:
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # the box: +1 and -1 on one feature of [-1, 1] is the zero row (the per-entry maxima said 2)
    box = rl.Box(-1.0, 1.0, d=3)._support_data()
    assert _max_linear_sparse(box, np.array([2, 2]), np.array([1.0, -1.0]), 2, 1.0) == 0.0
