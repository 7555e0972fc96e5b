"""Sanity checks of tests/naive.py against facts independent of it."""

import math

import numpy as np

import naive
from catalogue import DEFAULTS


def test_reddi_iterates_return_to_one():
    x, R = naive.reddi_adam_reference(C=3.0, alpha=0.5, beta2=0.1, T=300)
    # x[k] is x_{k+1}; x_{3k+1} = 1 for every k
    for k in range(0, 101):
        assert x[3 * k] == 1.0, (k, x[3 * k])
    # regret grows linearly: R(T) >= (2C-4)T/3 with C = 3
    assert R[-1] >= (2 * 3 - 4) * 300 / 3


def test_reddi_matches_naive_run_adam():
    C = 3.0

    def grad_fn(t, x):
        g = C if t % 3 == 1 else -1.0
        return g * x[0], np.array([g])

    x, _ = naive.reddi_adam_reference(C=C, alpha=0.5, beta2=0.1, T=300)
    out = naive.naive_run("Adam", dict(alpha=0.5, beta1=0.0, beta2=0.1, eps=0.0),
                          grad_fn, 300, np.array([1.0]),
                          {"kind": "box", "lo": np.array([-1.0]), "hi": np.array([1.0])})
    np.testing.assert_allclose(out["x"][:, 0], x, rtol=1e-12, atol=1e-14)


def test_torch_adam_rule_equals_naive_adam_constant():
    rng = np.random.default_rng(1)
    T, d = 200, 4
    grads = rng.standard_normal((T, d)) * np.array([1e-3, 1.0, 10.0, 100.0])
    x0 = rng.standard_normal(d)
    alpha, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    ref = naive.torch_adam_rule(grads, alpha, beta1, beta2, eps, x0)
    out = naive.naive_run("Adam",
                          dict(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps,
                               schedule="constant", lam=1.0),
                          lambda t, x: (float(grads[t - 1] @ x), grads[t - 1]),
                          T, x0, {"kind": "unconstrained"})
    np.testing.assert_allclose(out["x"], ref, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(out["g"], grads)


def test_torch_adamax_rule_equals_naive_adamax():
    rng = np.random.default_rng(2)
    T, d = 200, 3
    grads = rng.standard_normal((T, d))
    x0 = rng.standard_normal(d)
    ref = naive.torch_adamax_rule(grads, 0.002, 0.9, 0.999, 0.0, x0)
    out = naive.naive_run("AdaMax", {}, lambda t, x: (0.0, grads[t - 1]),
                          T, x0, {"kind": "unconstrained"})
    np.testing.assert_allclose(out["x"], ref, rtol=1e-12, atol=0)


def test_project_weighted_ball_matches_solver():
    rng = np.random.default_rng(3)
    for trial in range(10):
        d = 5
        c = rng.standard_normal(d)
        r = float(rng.uniform(0.5, 2.0))
        dom = {"kind": "ball", "center": c, "radius": r}
        y = c + rng.standard_normal(d) * 3.0
        a = np.exp(rng.uniform(np.log(0.1), np.log(10.0), d))
        x1 = naive.project_weighted(dom, y, a)
        x2 = naive.project_weighted_numerical(dom, y, a)
        np.testing.assert_allclose(x1, x2, atol=1e-7, rtol=0)
        assert np.linalg.norm(x1 - c) <= r * (1 + 1e-15)
        # equal weights reduce to the Euclidean projection
        np.testing.assert_allclose(naive.project_weighted(dom, y, np.full(d, 2.5)),
                                   naive.project(dom, y), atol=1e-13)


def test_project_weighted_box_matches_solver():
    rng = np.random.default_rng(7)
    for trial in range(10):
        d = 6
        lo, hi = -rng.uniform(0.1, 2, d), rng.uniform(0.1, 2, d)
        dom = {"kind": "box", "lo": lo, "hi": hi}
        y = rng.standard_normal(d) * 3
        a = np.exp(rng.uniform(np.log(0.1), np.log(10.0), d))
        np.testing.assert_allclose(naive.project_weighted(dom, y, a),
                                   naive.project_weighted_numerical(dom, y, a),
                                   atol=1e-7, rtol=0)


def test_best_linear_ball_solver_vs_closed_form():
    # closed form used only as an external check on the solver
    rng = np.random.default_rng(4)
    for _ in range(5):
        d = 4
        S = rng.standard_normal(d) * 50
        c = rng.standard_normal(d)
        r = 1.3
        val = naive.naive_best_linear(S, {"kind": "ball", "center": c, "radius": r})
        assert abs(val - (S @ c - r * np.linalg.norm(S))) <= 1e-7 * (1 + abs(val))


def test_ogd_box_regret_bound_random_signs():
    rng = np.random.default_rng(5)
    T, d, G0, alpha = 2000, 3, 2.0, 0.3
    lo, hi = -np.ones(d), np.array([1.0, 2.0, 0.5])
    dom = {"kind": "box", "lo": lo, "hi": hi}
    grads = G0 * rng.choice([-1.0, 1.0], size=(T, d))
    out = naive.naive_run("OGD", dict(alpha=alpha),
                          lambda t, x: (float(grads[t - 1] @ x), grads[t - 1]),
                          T, np.zeros(d), dom)
    D = float(np.linalg.norm(hi - lo))
    G = G0 * math.sqrt(d)
    cum = np.cumsum(out["loss"])
    S = np.cumsum(grads, axis=0)
    for t in range(1, T + 1, 37):
        R = cum[t - 1] - naive.naive_best_linear(S[t - 1], dom)
        bound = D ** 2 * math.sqrt(t) / (2 * alpha) + alpha * G ** 2 * (math.sqrt(t) - 0.5)
        assert R <= bound, (t, R, bound)
    assert np.all(out["x"] >= lo) and np.all(out["x"] <= hi)


def test_adam_eps_hat_equals_paper_when_eps_zero():
    # THEORY.md section 2: the efficient form equals Algorithm 1 when eps = 0
    rng = np.random.default_rng(6)
    T, d = 100, 3
    grads = rng.standard_normal((T, d))
    fn = lambda t, x: (float(grads[t - 1] @ x), grads[t - 1])
    dom = {"kind": "unconstrained"}
    a = naive.naive_run("Adam", dict(eps=0.0, eps_mode="hat"), fn, T, np.zeros(d), dom)
    b = naive.naive_run("Adam", dict(eps=0.0, eps_mode="paper"), fn, T, np.zeros(d), dom)
    np.testing.assert_allclose(a["x"], b["x"], rtol=1e-12, atol=1e-15)


def test_zero_gradient_coordinate_does_not_move():
    T, d = 30, 2
    grads = np.zeros((T, d))
    grads[:, 0] = 1.0
    fn = lambda t, x: (float(grads[t - 1] @ x), grads[t - 1])
    ball = {"kind": "ball", "center": np.zeros(d), "radius": 10.0}
    for name in DEFAULTS:
        hp = {"eps": 0.0} if "eps" in DEFAULTS[name] else {}
        out = naive.naive_run(name, hp, fn, T, np.array([0.0, 0.7]), ball)
        assert np.all(out["step"][:, 1] == 0.0), name
        assert np.all(out["x"][:, 1] == 0.7), name
