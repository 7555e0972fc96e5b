"""Every learner against the naive NumPy references of tests/naive.py (written separately)."""
import numpy as np
import pytest

import regretlab as rl
from catalogue import column
from conftest import RTOL
from naive import naive_run, torch_adam_rule, torch_adamax_rule

pytestmark = pytest.mark.nojit  # all of them also run with the JIT off (.ci/run)

T = 300


def _domains(d):
    return {
        "box": (rl.Box(-0.5, 0.8, d=d), {"kind": "box", "lo": np.full(d, -0.5), "hi": np.full(d, 0.8)}),
        "ball": (rl.Ball(0.1, 0.7, d=d), {"kind": "ball", "center": np.full(d, 0.1), "radius": 0.7}),
        "free": (rl.Unconstrained(d), {"kind": "unconstrained"}),
    }


def _compare(run, ref):
    path = run.theta_path  # theta_{t+1} at every round
    np.testing.assert_allclose(path, ref["x"][1:], rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(run.loss, np.cumsum(ref["loss"]), rtol=RTOL, atol=1e-12)


# the catalogue's reference configurations, each on its linear-loss domain and (where it names one) its
# quadratic-loss domain: one kernel per (learner mode, stream, domain), see tests/catalogue.py
LINEAR = [(n, ref.hp, ref.linear) for n, ref in column("reference")]
QUAD = [(n, ref.hp, ref.quadratic) for n, ref in column("reference") if ref.quadratic]


@pytest.mark.parametrize("name,hp,dom", LINEAR, ids=[f"{n}-{i}-{d}" for i, (n, _, d) in enumerate(LINEAR)])
def test_linear_stream_matches_naive(name, hp, dom):
    d = 3
    rng = np.random.default_rng(7)
    grads = rng.normal(size=(T, d)) * np.array([1.0, 0.1, 3.0])
    grads[::7, 1] = 0.0
    domain, ndom = _domains(d)[dom]
    x0 = np.array([0.2, -0.1, 0.3])
    run = rl.play(getattr(rl, name)(**hp), rl.streams.linear(grads, domain=domain), T, x0=x0,
                  checkpoints=np.arange(1, T + 1))
    ref = naive_run(name, hp, lambda t, x: (float(grads[t - 1] @ x), grads[t - 1].copy()), T, x0, ndom)
    _compare(run, ref)


@pytest.mark.parametrize("name,hp,dom", QUAD, ids=[f"{n}-{d}" for n, _, d in QUAD])
def test_quadratic_stream_matches_naive(name, hp, dom):
    """Gradients that depend on theta: the projection and the step feed back into the game."""
    d = 2
    target = np.array([1.5, -2.0])
    domain, ndom = _domains(d)[dom]
    x0 = np.array([0.0, 0.2])
    run = rl.play(getattr(rl, name)(**hp), rl.streams.quadratic(target, sigma=0.0, domain=domain), T, x0=x0,
                  checkpoints=np.arange(1, T + 1))

    def f(t, x):
        g = x - target
        return 0.5 * float(g @ g), g

    _compare(run, naive_run(name, hp, f, T, x0, ndom))


def test_adam_constant_matches_torch_rule():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(500, 4)) * 10.0 ** rng.uniform(-3, 3, size=4)
    x0 = rng.normal(size=4)
    L = rl.Adam(alpha=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, schedule="constant")
    assert L.lam == 1.0
    run = rl.play(L, rl.streams.linear(grads), 500, x0=x0, checkpoints=np.arange(1, 501))
    ref = torch_adam_rule(grads, 1e-2, 0.9, 0.999, 1e-8, x0)
    np.testing.assert_allclose(run.theta_path, ref[1:], rtol=RTOL, atol=1e-14)


def test_adamax_matches_torch_rule():
    rng = np.random.default_rng(4)
    grads = rng.normal(size=(500, 3))
    x0 = rng.normal(size=3)
    run = rl.play(rl.AdaMax(alpha=2e-3), rl.streams.linear(grads), 500, x0=x0, checkpoints=np.arange(1, 501))
    ref = torch_adamax_rule(grads, 2e-3, 0.9, 0.999, 0.0, x0)
    np.testing.assert_allclose(run.theta_path, ref[1:], rtol=RTOL, atol=1e-14)
    run = rl.play(rl.AdaMax(alpha=2e-3, eps=1e-8), rl.streams.linear(grads), 500, x0=x0,
                  checkpoints=np.arange(1, 501))
    ref = torch_adamax_rule(grads, 2e-3, 0.9, 0.999, 1e-8, x0)
    np.testing.assert_allclose(run.theta_path, ref[1:], rtol=RTOL, atol=1e-14)


def test_torch_itself_when_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    grads = rng.normal(size=(300, 3))
    x0 = rng.normal(size=3)
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = torch.optim.Adam([p], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    path = []
    for g in grads:
        opt.zero_grad()
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        path.append(p.detach().numpy().copy())
    run = rl.play(rl.Adam(alpha=1e-2, schedule="constant"), rl.streams.linear(grads), 300, x0=x0,
                  checkpoints=np.arange(1, 301))
    np.testing.assert_allclose(run.theta_path, np.array(path), rtol=1e-10, atol=1e-13)


def test_zero_gradient_coordinate_stays_put():
    """u = 0 (AdaMax) and v = 0 with eps = 0 (Adam, AMSGrad): the documented zero-denominator rule."""
    rng = np.random.default_rng(6)
    grads = rng.normal(size=(200, 2))
    grads[:50, 1] = 0.0
    x0 = np.array([0.3, -0.2])
    for name, hp in column("zero_denominator"):
        run = rl.play(getattr(rl, name)(**hp), rl.streams.linear(grads, domain=rl.Box(-1, 1, d=2)), 200, x0=x0,
                      checkpoints=np.arange(1, 201))
        assert np.all(run.theta_path[:49, 1] == -0.2)
        ref = naive_run(name, hp, lambda t, x: (float(grads[t - 1] @ x), grads[t - 1].copy()), 200, x0,
                        {"kind": "box", "lo": -np.ones(2), "hi": np.ones(2)})
        np.testing.assert_allclose(run.theta_path, ref["x"][1:], rtol=RTOL, atol=1e-14)
