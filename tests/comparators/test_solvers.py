"""regretlab.solvers against independent solves: exact enumeration, other SciPy methods, closed forms.

Every comparator is checked to 1e-7 relative against a solve that shares no code
with it, its certificate is checked to be >= 0 and tiny, and the structural facts
(monotone in t, sparse == dense, feasibility) are checked on each family.
"""
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, NonlinearConstraint, minimize, minimize_scalar

from regretlab.domains import Ball, Box, Unconstrained
from regretlab.solvers import (Comparator, best_absolute, best_absolute_lp, best_hinge, best_logistic,
                               frank_wolfe_gap)

RTOL = 1e-7      # independent solve vs solver
CERT_RTOL = 1e-6  # certificate relative to the objective


def rel_close(a, b, rtol=RTOL, atol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.all(np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b)) + atol)


def check_certificates(res, rtol=CERT_RTOL):
    assert isinstance(res, Comparator)
    assert res.certificate.shape == res.value.shape
    assert np.all(np.isfinite(res.certificate))
    assert np.all(res.certificate >= 0.0)
    assert np.all(res.certificate <= rtol * np.maximum(np.abs(res.value), 1.0)), res.certificate


def check_monotone(res):
    """Optimal values of non-negative losses are non-decreasing in t:
    value[c+1] >= opt[c+1] >= opt[c] >= value[c] - cert[c]."""
    v, c = res.value, res.certificate
    assert np.all(v[1:] >= v[:-1] - c[:-1] - 1e-12 * np.maximum(1.0, np.abs(v[:-1])))


# ----------------------------------------------------------------------------- independent objectives

def absolute_obj(th, Z):
    return float(np.sum(np.abs(Z - th)))


def hinge_obj(th, A, y):
    return float(np.sum(np.maximum(0.0, 1.0 - y * (A @ th))))


def logistic_obj(th, A, y):
    m = y * (A @ th)
    return float(np.sum(np.log1p(np.exp(-np.abs(m))) + np.maximum(-m, 0.0)))


def logistic_grad(th, A, y):
    m = y * (A @ th)
    return -(A.T @ (y / (1.0 + np.exp(m))))


def enumerate_box_vertices_2d(lines, lo, hi):
    """All intersection points of the lines {x : <n, x> = b} together with the box's edges, inside the box."""
    L = list(lines) + [((1.0, 0.0), lo[0]), ((1.0, 0.0), hi[0]), ((0.0, 1.0), lo[1]), ((0.0, 1.0), hi[1])]
    pts = []
    for (n1, b1), (n2, b2) in itertools.combinations(L, 2):
        M = np.array([n1, n2], float)
        if abs(np.linalg.det(M)) < 1e-12:
            continue
        x = np.linalg.solve(M, [b1, b2])
        if np.all(x >= lo - 1e-9) and np.all(x <= hi + 1e-9):
            pts.append(np.clip(x, lo, hi))
    return np.array(pts)


def nelder_mead_box(f, lo, hi, starts):
    """Best of many Nelder-Mead runs on f(clip(x)) + distance outside the box (a nonsmooth brute force)."""
    def pen(x):
        xc = np.clip(x, lo, hi)
        return f(xc) + 10.0 * np.sum(np.abs(x - xc))
    best = np.inf
    for x0 in starts:
        r = minimize(pen, x0, method="Nelder-Mead", options=dict(xatol=1e-12, fatol=1e-13, maxiter=4000))
        best = min(best, f(np.clip(r.x, lo, hi)))
    return best


def grid_starts(lo, hi, k):
    axes = [np.linspace(l, h, k) for l, h in zip(lo, hi)]
    return [np.array(p) for p in itertools.product(*axes)]


# ----------------------------------------------------------------------------- frank_wolfe_gap

def test_frank_wolfe_gap_formulas_and_broadcasting():
    box = Box([-1.0, 0.0], [1.0, 2.0])
    g = np.array([[2.0, -1.0], [0.0, 0.0], [-1.0, 3.0]])
    x = np.array([[0.5, 1.0], [0.0, 0.0], [1.0, 0.0]])
    # row 0: 2*(0.5+1) + (-1)*(1-2) = 4; row 1: 0; row 2: -1*(1-1)=0 and 3*(0-0)=0 -> 0 (optimal vertex)
    np.testing.assert_allclose(frank_wolfe_gap(g, x, box), [4.0, 0.0, 0.0])
    ball = Ball([1.0, 0.0], 2.0)
    gg, xx = np.array([3.0, 4.0]), np.array([1.0, 1.0])
    assert frank_wolfe_gap(gg, xx, ball) == pytest.approx(4.0 + 2.0 * 5.0)
    # at the ball's minimiser of <g, .> the gap is 0
    assert abs(frank_wolfe_gap(gg, ball.center - 2.0 * gg / 5.0, ball)) < 1e-14
    free = Unconstrained(2)
    assert frank_wolfe_gap(np.zeros(2), xx, free) == 0.0
    assert frank_wolfe_gap(gg, xx, free) == np.inf


def test_frank_wolfe_gap_bounds_suboptimality_at_random_points():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((60, 2))
    y = np.sign(A @ np.array([1.0, -0.5]) + 0.7 * rng.standard_normal(60))
    for dom in (Box(-0.7, 0.4, d=2), Ball([0.1, -0.2], 0.8)):
        fstar = best_logistic(A, y, dom, [60]).value[0]
        for _ in range(50):
            x = dom.project(rng.uniform(-1.5, 1.5, 2))
            assert logistic_obj(x, A, y) - fstar <= frank_wolfe_gap(logistic_grad(x, A, y), x, dom) + 1e-12


# ----------------------------------------------------------------------------- absolute

@pytest.mark.parametrize("d", [1, 2])
def test_absolute_median_vs_lp_vs_brute_force(d):
    rng = np.random.default_rng(100 + d)
    T = 41
    Z = rng.standard_normal((T, d)) + np.array([0.8, -0.3][:d])
    Z[5:9] = Z[4]  # ties
    t = np.array([1, 2, 3, 4, 7, 10, 20, 40, 41])
    for dom in (Box(-0.5, 0.5, d=d), Box([-2.0, 0.2][:d], [0.1, 3.0][:d]), Unconstrained(d)):
        med = best_absolute(Z, dom, t)
        lp = best_absolute_lp(Z, dom, t)
        assert med.kind == "absolute/median" and lp.kind.startswith("absolute/lp")
        assert np.all(med.certificate == 0.0)           # the verified optimality condition
        check_certificates(lp, 1e-9)
        assert rel_close(med.value, lp.value)
        check_monotone(med)
        lo = dom.lo if isinstance(dom, Box) else np.full(d, -4.0)
        hi = dom.hi if isinstance(dom, Box) else np.full(d, 4.0)
        assert np.all(med.theta >= lo) and np.all(med.theta <= hi)
        for c, tc in enumerate(t):
            Zp = Z[:tc]
            assert med.value[c] == pytest.approx(absolute_obj(med.theta[c], Zp), rel=1e-14)
            # exact brute force: the optimum is at a data value or a bound in each coordinate
            cands = [np.clip(np.r_[Zp[:, i], lo[i], hi[i]], lo[i], hi[i]) for i in range(d)]
            brute = min(absolute_obj(np.array(p), Zp) for p in itertools.product(*cands))
            assert rel_close(med.value[c], brute)
        # scipy.optimize.minimize from a start grid (nonsmooth: an upper bound, close to the optimum)
        tc = t[-1]
        nm = nelder_mead_box(lambda th: absolute_obj(th, Z[:tc]), lo, hi, grid_starts(lo, hi, 5 if d == 2 else 9))
        assert nm >= med.value[-1] * (1 - 1e-12)
        assert nm <= med.value[-1] * (1 + 1e-7)


def test_absolute_rejects_ball_and_bad_checkpoints():
    Z = np.zeros((5, 2))
    with pytest.raises(ValueError, match="Ball"):
        best_absolute(Z, Ball(0.0, 1.0, d=2), [5])
    with pytest.raises(ValueError, match="Ball"):
        best_absolute_lp(Z, Ball(0.0, 1.0, d=2), [5])
    with pytest.raises(ValueError, match="increasing"):
        best_absolute(Z, Box(-1, 1, d=2), [3, 2])
    with pytest.raises(ValueError, match=r"\[1, T=5\]"):
        best_absolute(Z, Box(-1, 1, d=2), [0, 5])
    with pytest.raises(ValueError, match="d=3"):
        best_absolute(Z, Box(-1, 1, d=3), [5])


def test_absolute_sparse_input_equals_dense():
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((30, 3)) * (rng.random((30, 3)) < 0.4)
    t = [3, 10, 30]
    a = best_absolute(Z, Box(-1, 1, d=3), t)
    b = best_absolute(sp.csr_matrix(Z), Box(-1, 1, d=3), t)
    np.testing.assert_array_equal(a.value, b.value)
    np.testing.assert_array_equal(a.theta, b.theta)


# ----------------------------------------------------------------------------- hinge

def hinge_data(rng, T, d, noise=1.0):
    A = rng.standard_normal((T, d))
    y = np.sign(A @ rng.standard_normal(d) + noise * rng.standard_normal(T))
    y[y == 0] = 1.0
    return A, y


def test_hinge_lp_vs_vertex_enumeration_and_restarts_d2():
    rng = np.random.default_rng(7)
    A, y = hinge_data(rng, 36, 2)
    t = np.array([1, 2, 5, 12, 24, 36])
    dom = Box([-0.8, -0.3], [0.6, 1.2])
    res = best_hinge(A, y, dom, t)
    primal = best_hinge(A, y, dom, t, formulation="primal")
    check_certificates(res, 1e-9)
    check_certificates(primal, 1e-9)
    check_monotone(res)
    assert rel_close(res.value, primal.value)
    assert np.all(res.theta >= dom.lo) and np.all(res.theta <= dom.hi)
    for c, tc in enumerate(t):
        Ap, yp = A[:tc], y[:tc]
        assert res.value[c] == pytest.approx(hinge_obj(res.theta[c], Ap, yp), rel=1e-14, abs=1e-14)
        # exact brute force: a convex piecewise-linear function on a polygon is minimised at a
        # vertex of the arrangement of its kink lines y_s <a_s, theta> = 1 and the box edges
        pts = enumerate_box_vertices_2d([(yp[s] * Ap[s], 1.0) for s in range(tc)], dom.lo, dom.hi)
        brute = min(hinge_obj(p, Ap, yp) for p in pts)
        assert rel_close(res.value[c], brute)
    # direct minimisation of the nonsmooth objective with many restarts (take the min)
    nm = nelder_mead_box(lambda th: hinge_obj(th, A, y), dom.lo, dom.hi, grid_starts(dom.lo, dom.hi, 6))
    assert res.value[-1] <= nm * (1 + 1e-12)
    assert nm <= res.value[-1] * (1 + 1e-7)


def test_hinge_unconstrained_vs_enumeration_d2():
    rng = np.random.default_rng(8)
    A, y = hinge_data(rng, 30, 2, noise=2.0)
    res = best_hinge(A, y, Unconstrained(2), [10, 30])
    check_certificates(res, 1e-9)
    for c, tc in enumerate([10, 30]):
        Ap, yp = A[:tc], y[:tc]
        lines = [(yp[s] * Ap[s], 1.0) for s in range(tc)]
        pts = []
        for (n1, b1), (n2, b2) in itertools.combinations(lines, 2):
            M = np.array([n1, n2])
            if abs(np.linalg.det(M)) > 1e-12:
                pts.append(np.linalg.solve(M, [b1, b2]))
        brute = min(hinge_obj(p, Ap, yp) for p in pts)
        assert rel_close(res.value[c], brute)


def test_hinge_separable_with_margin_inside_box_is_zero():
    rng = np.random.default_rng(9)
    w = np.array([0.6, -0.4, 0.3])
    A = rng.standard_normal((400, 3)) * 3.0
    m = A @ w
    keep = np.abs(m) >= 1.0          # margin >= 1 at w, which lies inside the box
    A, y = A[keep], np.sign(m[keep])
    T = A.shape[0]
    t = np.unique(np.r_[1, 2, 5, 20, 100, T])
    res = best_hinge(A, y, Box(-1, 1, d=3), t)
    assert np.all(res.value <= 1e-12)
    assert np.all(res.certificate <= 1e-12)
    for c, tc in enumerate(t):
        assert np.all(y[:tc] * (A[:tc] @ res.theta[c]) >= 1 - 1e-9)


def test_hinge_d20_primal_and_dual_formulations_agree_with_sparse():
    rng = np.random.default_rng(10)
    A, y = hinge_data(rng, 600, 20, noise=3.0)
    A[rng.random(A.shape) < 0.6] = 0.0
    t = np.array([5, 30, 150, 600])
    dom = Box(-0.5, 0.5, d=20)
    dual = best_hinge(A, y, dom, t)
    primal = best_hinge(A, y, dom, t, formulation="primal")
    sparse = best_hinge(sp.csr_matrix(A), y, dom, t)
    for r in (dual, primal, sparse):
        check_certificates(r)
        check_monotone(r)
    assert rel_close(dual.value, primal.value)
    assert rel_close(dual.value, sparse.value, rtol=1e-12)


def test_hinge_rejects_ball():
    with pytest.raises(ValueError, match=r"Ball\(center=0, radius=1, d=2\)"):
        best_hinge(np.ones((3, 2)), np.ones(3), Ball(0.0, 1.0, d=2), [3])


# ----------------------------------------------------------------------------- logistic

def logistic_data(rng, T, d, scale=1.0, noise=1.0):
    A = rng.standard_normal((T, d))
    y = np.sign(A @ (scale * rng.standard_normal(d)) + noise * rng.standard_normal(T))
    y[y == 0] = 1.0
    return A, y


def test_logistic_d1_box_vs_bounded_scalar_minimisation_and_grid():
    rng = np.random.default_rng(21)
    A, y = logistic_data(rng, 80, 1, scale=3.0, noise=0.3)
    t = np.array([1, 2, 4, 10, 30, 80])
    for lo, hi in ((-2.0, 2.0), (-0.3, 0.1), (0.5, 4.0)):
        dom = Box(lo, hi, d=1)
        res = best_logistic(A, y, dom, t)
        check_certificates(res)
        check_monotone(res)
        for c, tc in enumerate(t):
            f = lambda x: logistic_obj(np.array([x]), A[:tc], y[:tc])  # noqa: E731
            ref = minimize_scalar(f, bounds=(lo, hi), method="bounded", options=dict(xatol=1e-12)).fun
            ref = min(ref, f(lo), f(hi))
            grid = np.linspace(lo, hi, 20001)
            gbest = np.min(np.sum(np.logaddexp(0.0, -(y[:tc, None] * A[:tc]) * grid[None, :]), axis=0))
            assert rel_close(res.value[c], ref)
            assert res.value[c] <= gbest * (1 + 1e-12)
            assert res.value[c] == pytest.approx(f(res.theta[c, 0]), rel=1e-14)


def logistic_hess(th, A, y):
    m = y * (A @ th)
    w = 1.0 / ((1.0 + np.exp(m)) * (1.0 + np.exp(-m)))
    return A.T @ (A * w[:, None])


def box_faces_min_2d(f, lo, hi):
    """Exact-up-to-1-d-solves minimum of a smooth convex f over a 2-d box: enumerate the faces.

    The minimiser lies in the relative interior of one face: the 4 vertices, the 4 edges
    (bounded scalar minimisation) or the interior (an unconstrained solve, kept if inside)."""
    cands = [f(np.array(v)) for v in itertools.product(*zip(lo, hi))]
    for i in range(2):
        for b in (lo[1 - i], hi[1 - i]):
            def g(u, i=i, b=b):
                x = np.empty(2)
                x[i], x[1 - i] = u, b
                return f(x)
            cands.append(minimize_scalar(g, bounds=(lo[i], hi[i]), method="bounded",
                                         options=dict(xatol=1e-13)).fun)
    return min(cands)


@pytest.mark.filterwarnings("ignore:delta_grad == 0.0")
@pytest.mark.parametrize("dom", [Box([-1.0, -0.2], [0.5, 1.0]), Box(-3.0, 3.0, d=2),
                                 Ball([0.2, -0.1], 0.4), Ball([0.0, 0.0], 5.0)], ids=repr)
def test_logistic_d2_vs_trust_constr(dom):
    rng = np.random.default_rng(22)
    A, y = logistic_data(rng, 70, 2, scale=1.5)
    t = np.array([1, 3, 8, 25, 70])
    res = best_logistic(A, y, dom, t)
    check_certificates(res)
    check_monotone(res)
    for c, tc in enumerate(t):
        Ap, yp = A[:tc], y[:tc]
        if isinstance(dom, Box):
            kw = dict(bounds=Bounds(dom.lo, dom.hi))
            x0 = np.clip(0.0, dom.lo, dom.hi)
            assert np.all(res.theta[c] >= dom.lo) and np.all(res.theta[c] <= dom.hi)
        else:
            kw = dict(constraints=[NonlinearConstraint(lambda x: np.sum((x - dom.center) ** 2), -np.inf,
                                                       dom.radius ** 2)])
            x0 = dom.center.copy()
            assert np.linalg.norm(res.theta[c] - dom.center) <= dom.radius * (1 + 1e-12)
        ref = minimize(logistic_obj, x0, args=(Ap, yp), jac=logistic_grad, hess=logistic_hess,
                       method="trust-constr", options=dict(gtol=1e-13, xtol=1e-14, barrier_tol=1e-14,
                                                           initial_barrier_parameter=1e-3, maxiter=5000), **kw)
        fr = logistic_obj(dom.project(ref.x), Ap, yp)
        # ours is at least as good as trust-constr (whose barrier keeps it a little off active bounds)
        scale = max(fr, 1e-3)   # separable prefixes in the big ball have values ~e^-radius
        assert res.value[c] <= fr + 1e-12 * scale
        if isinstance(dom, Box):   # the exact reference on a box: enumerate the faces
            fr = box_faces_min_2d(lambda x: logistic_obj(x, Ap, yp), dom.lo, dom.hi)
            ri = minimize(logistic_obj, res.theta[c], args=(Ap, yp), jac=logistic_grad, method="BFGS",
                          options=dict(gtol=1e-13))
            if dom.contains(ri.x):
                fr = min(fr, ri.fun)
            scale = max(fr, 1e-3)
        assert abs(fr - res.value[c]) <= RTOL * scale
        assert res.value[c] == pytest.approx(logistic_obj(res.theta[c], Ap, yp), rel=1e-12, abs=1e-300)


def test_logistic_d2_box_vs_fine_grid():
    rng = np.random.default_rng(23)
    A, y = logistic_data(rng, 50, 2, scale=0.5, noise=1.0)
    dom = Box([-0.4, -0.6], [0.9, 0.2])
    res = best_logistic(A, y, dom, [50])
    g1 = np.linspace(dom.lo[0], dom.hi[0], 401)
    g2 = np.linspace(dom.lo[1], dom.hi[1], 401)
    X = np.stack(np.meshgrid(g1, g2, indexing="ij"), axis=-1).reshape(-1, 2)
    m = y * (A @ X.T).T
    vals = np.sum(np.logaddexp(0.0, -m), axis=1)
    i = int(np.argmin(vals))
    assert res.value[0] <= vals[i] * (1 + 1e-13)
    # refine around the best grid point with an independent local solve
    ref = minimize(logistic_obj, X[i], args=(A, y), jac=logistic_grad, method="TNC",
                   bounds=list(zip(dom.lo, dom.hi)), options=dict(xtol=1e-14, ftol=1e-15, gtol=1e-12))
    assert rel_close(res.value[0], logistic_obj(np.clip(ref.x, dom.lo, dom.hi), A, y))


def test_logistic_domains_agree_when_the_optimum_is_interior():
    rng = np.random.default_rng(24)
    A, y = logistic_data(rng, 400, 5, scale=0.5, noise=1.0)
    t = np.array([60, 150, 400])
    free = best_logistic(A, y, Unconstrained(5), t)
    box = best_logistic(A, y, Box(-10.0, 10.0, d=5), t)
    ball = best_logistic(A, y, Ball(0.0, 50.0, d=5), t)
    assert free.kind.startswith("logistic/l-bfgs-unconstrained")
    assert free.certificate.max() <= 1e-6       # a gradient norm on R^d
    for r in (box, ball):
        check_certificates(r)
        assert rel_close(r.value, free.value, rtol=1e-10)
        np.testing.assert_allclose(r.theta, free.theta, rtol=1e-5, atol=1e-6)


def test_logistic_d20_sparse_equals_dense_warm_equals_cold_and_is_monotone():
    rng = np.random.default_rng(25)
    T, d = 2000, 20
    A = rng.standard_normal((T, d)) * (rng.random((T, d)) < 0.3)
    y = np.sign(A @ rng.standard_normal(d) + 2.0 * rng.standard_normal(T))
    y[y == 0] = 1.0
    t = np.unique(np.round(np.logspace(0, np.log10(T), 25)).astype(int))
    for dom in (Box(-0.5, 0.5, d=d), Ball(0.0, 1.0, d=d)):
        dense = best_logistic(A, y, dom, t)
        sparse = best_logistic(sp.csr_matrix(A), y, dom, t)
        cold = best_logistic(A, y, dom, t, warm=False)
        for r in (dense, sparse, cold):
            check_certificates(r)
            check_monotone(r)
        assert rel_close(dense.value, sparse.value, rtol=1e-10)
        assert rel_close(dense.value, cold.value, rtol=1e-10)


def test_logistic_unpolished_certificate_is_an_honest_frank_wolfe_gap():
    rng = np.random.default_rng(26)
    A, y = logistic_data(rng, 300, 4)
    dom = Box(-0.3, 0.3, d=4)
    raw = best_logistic(A, y, dom, [100, 300], polish=False)
    ref = best_logistic(A, y, dom, [100, 300])
    assert raw.kind == "logistic/l-bfgs-b" and ref.kind == "logistic/l-bfgs-b+newton"
    for c, tc in enumerate([100, 300]):
        g = logistic_grad(raw.theta[c], A[:tc], y[:tc])
        assert raw.certificate[c] == pytest.approx(frank_wolfe_gap(g, raw.theta[c], dom), rel=1e-6,
                                                  abs=1e-13 * raw.value[c])
        assert raw.value[c] - ref.value[c] <= raw.certificate[c] + 1e-12
    check_certificates(raw)


def test_input_validation():
    A, y = np.ones((4, 2)), np.ones(4)
    with pytest.raises(ValueError, match="y must have shape"):
        best_logistic(A, np.ones(3), Box(-1, 1, d=2), [4])
    with pytest.raises(ValueError, match="non-finite"):
        best_hinge(np.full((4, 2), np.nan), y, Box(-1, 1, d=2), [4])
    with pytest.raises(ValueError, match="formulation"):
        best_hinge(A, y, Box(-1, 1, d=2), [4], formulation="simplex")
    with pytest.raises(ValueError, match="integer"):
        best_logistic(A, y, Box(-1, 1, d=2), [1.5])
