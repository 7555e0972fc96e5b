"""Domains: the compiled projections against the Euclidean ones and a numerical minimisation, projections that
land in the domain, and invalid domain parameters."""
import math

import numpy as np
import pytest

import regretlab as rl
from naive import project_weighted_numerical
from numba import njit  # not cached: it inlines regretlab code that the test file stamp does not cover
from regretlab._registry import project
from strategies import assert_value_error_naming, labelled


@njit
def _proj(spec, X, W, weighted):
    for k in range(X.shape[0]):
        project(spec, X, k, W, weighted)


@pytest.mark.nojit
def test_projections_idempotent_inside_nonexpansive():
    rng = np.random.default_rng(1)
    for dom in [rl.Box([-1, 0, 2], [1, 0.5, 5]), rl.Ball([0.3, -0.2, 1.0], 0.9)]:
        Y = rng.normal(scale=3, size=(200, 3))
        X = Y.copy()
        _proj(dom._spec(), X, np.ones_like(X), False)
        assert all(dom.contains(x, tol=1e-12) for x in X)
        np.testing.assert_allclose(X, np.array([dom.project(y) for y in Y]), rtol=1e-14, atol=1e-15)
        X2 = X.copy()
        _proj(dom._spec(), X2, np.ones_like(X), False)
        np.testing.assert_array_equal(X2, X)
        dx = np.linalg.norm(X[1:] - X[:-1], axis=1)
        dy = np.linalg.norm(Y[1:] - Y[:-1], axis=1)
        assert np.all(dx <= dy * (1 + 1e-12))


@pytest.mark.nojit
def test_weighted_ball_projection_against_numerical_minimisation():
    rng = np.random.default_rng(2)
    dom = rl.Ball([0.3, -0.2, 1.0], 0.9)
    nd = {"kind": "ball", "center": dom.center, "radius": dom.radius}
    for _ in range(20):
        y = rng.normal(scale=2, size=3)
        a = 10.0 ** rng.uniform(-2, 2, size=3)
        X = y[None, :].copy()
        _proj(dom._spec(), X, a[None, :], True)
        ref = project_weighted_numerical(nd, y, a)
        assert dom.contains(X[0], tol=1e-12)
        np.testing.assert_allclose(X[0], ref, rtol=1e-6, atol=1e-7)
        # and the objective is no worse than the solver's
        assert np.sum(a * (X[0] - y) ** 2) <= np.sum(a * (ref - y) ** 2) * (1 + 1e-9)


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


#: invalid domain parameters and the text their one-line ValueError must contain
INVALID_DOMAINS = [
    pytest.param(lambda: rl.Box(1, -1, d=2), "lo <= hi", id="Box lo>hi", marks=pytest.mark.nojit),
    pytest.param(lambda: rl.Ball(0, -1, d=2), "radius", id="Ball radius<0", marks=pytest.mark.nojit),
    ("Box lo nan", lambda: rl.Box([0.0, math.nan], [1.0, 1.0]), "NaN"),
    ("Ball radius nan", lambda: rl.Ball([0.0], math.nan), "radius"),
    ("Ball center inf", lambda: rl.Ball([0.0, math.inf], 1.0), "center"),
    ("Ball d=0", lambda: rl.Ball(0.0, 1.0, d=0), "d"),
    ("Ball radius=+inf", lambda: rl.Ball([0.0, 0.0], math.inf), "radius"),
    ("Box empty", lambda: rl.Box([], []), "Box"),
    ("Box 2-d bounds", lambda: rl.Box([[0.0]], [[1.0]]), "Box"),
    ("Box lengths differ", lambda: rl.Box([0.0, 0.0], [1.0, 1.0, 1.0]), "Box"),
]


@pytest.mark.parametrize("make,name", labelled(INVALID_DOMAINS))
def test_invalid_domain_parameters_are_value_errors(make, name):
    assert_value_error_naming(make, name)
