"""Learners: invalid hyperparameters (the catalogue's examples and hypothesis draws), the accumulators of
AMSGrad and AdaGrad, lazy Adam against its rule, and a user's learner registered from outside."""
import math
from dataclasses import fields
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import regretlab as rl
from catalogue import NUMERIC, _unit, column, invalid_values
from strategies import (ALL_LEARNERS, assert_value_error_naming, boxes, check_invariants, domains, gradient_arrays,
                        horizons, seed_lists, start)

# ----------------------------------------------------------------------------- invalid hyperparameters


INVALID_EXAMPLES = column("invalid")


@pytest.mark.nojit
@pytest.mark.parametrize("name,kwargs,match", [(n, kw, m) for n, (kw, m) in INVALID_EXAMPLES],
                         ids=[f"{n}-{'-'.join(f'{k}={v!r}' for k, v in kw.items())}" for n, (kw, _) in INVALID_EXAMPLES])
def test_invalid_hyperparameter_is_a_value_error_naming_it(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(rl, name)(**kwargs)


@st.composite
def invalid_hyperparameter(draw):
    cls = draw(st.sampled_from(ALL_LEARNERS))
    name = draw(st.sampled_from([f.name for f in fields(cls)]))
    return cls, name, draw(invalid_values(cls.__name__, name))


@given(invalid_hyperparameter())
def test_invalid_hyperparameters_are_value_errors_naming_the_parameter(case):
    cls, name, value = case
    assert_value_error_naming(lambda: cls(**{name: value}), name)
    # the same through replace()
    assert_value_error_naming(lambda: cls().replace(**{name: value}), name)


# ----------------------------------------------------------------------------- accumulators and modes


@given(data=st.data())
def test_amsgrad_vhat_and_inverse_step_never_decrease(data):
    """AMSGrad (paper variant, alpha_t = alpha/sqrt t, eps = 0): v_hat = max(v_hat, v) never decreases, so
    sum_i sqrt(v_hat_i) is non-decreasing round by round and Gamma_t = H_t - H_{t-1} >= 0 always."""
    T = data.draw(st.integers(2, 300), "T")
    d = data.draw(st.integers(1, 4), "d")
    L = rl.AMSGrad(alpha=data.draw(NUMERIC["alpha"]), beta1=data.draw(_unit()), beta2=data.draw(_unit()),
                   eps=0.0, lam=data.draw(NUMERIC["lam"]))
    domain = data.draw(domains(d))
    stream = rl.streams.linear(data.draw(gradient_arrays(T, d)), domain=domain, x0=start(domain))
    runs = rl.play(L, stream, T, seeds=data.draw(seed_lists), checkpoints=np.arange(1, T + 1))
    check_invariants(runs)
    s = runs.stats["sum_sqrt_vhat"]
    assert np.all(np.diff(s, axis=-1) >= 0.0)
    assert np.all(runs.stats["gamma_neg"] == 0)
    assert np.all(runs.stats["first_gamma_neg"] == 0)
    np.testing.assert_array_equal(s[:, -1], np.sqrt(runs.final["vhat"]).sum(axis=-1))


@given(data=st.data())
def test_adagrad_accumulator_is_the_sum_of_squared_gradients(data):
    T = data.draw(horizons, "T")
    d = data.draw(st.integers(1, 4), "d")
    L = rl.AdaGrad(alpha=data.draw(NUMERIC["alpha"]), delta=data.draw(NUMERIC["delta"]))
    grads = data.draw(gradient_arrays(T, d))
    runs = rl.play(L, rl.streams.linear(grads, domain=data.draw(boxes(d))), T, seeds=data.draw(seed_lists),
                   checkpoints=np.arange(1, T + 1))
    check_invariants(runs)
    acc = runs.final["vhat"]
    assert np.array_equal(acc, runs.final["sum_g2"])  # the same sums, in the same order
    np.testing.assert_allclose(acc, np.broadcast_to((grads ** 2).sum(axis=0), acc.shape), rtol=1e-12)
    s = runs.stats["sum_sqrt_vhat"]
    assert np.all(np.diff(s, axis=-1) >= 0.0)
    assert np.array_equal(s, runs.stats["sum_g_norm"])
    assert np.all(runs.stats["gamma_neg"] == 0)  # delta + sqrt(n) only grows; alpha_t is constant


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


# ----------------------------------------------------------------------------- extension


@pytest.mark.nojit
def test_unregistered_learner_gets_a_readable_error():
    class Spec(NamedTuple):
        tag: int

    class Mine(rl.Learner):
        def _spec(self):
            return Spec(0)

    with pytest.raises(ValueError, match="register_learner"):
        rl.play(Mine(), rl.streams.reddi(), 10)


class _SignSGDSpec(NamedTuple):
    tag: int


class _SignSGDParams(NamedTuple):
    alpha: float


def _signsgd_step(spec, P, k, S, Z, X, G, H, V, t):
    alpha_t = P[k, 0] / math.sqrt(t)  # P's column 0: alpha, the only field of _SignSGDParams
    big = 0.0
    for i in range(X.shape[1]):
        g = G[k, i]
        step = alpha_t * (1.0 if g > 0 else (-1.0 if g < 0 else 0.0))
        H[k, i] = 1.0 / alpha_t
        X[k, i] -= step
        big = max(big, abs(step))
    return big, 0.0, alpha_t


rl.register_learner(_SignSGDSpec, _signsgd_step)


class SignSGD(rl.Learner):
    """A user's learner: theta -= alpha/sqrt(t) sign(g), registered without touching the engine."""

    Params = _SignSGDParams

    def __init__(self, alpha=0.1):
        self.alpha = alpha

    def _spec(self):
        return _SignSGDSpec(0)


@pytest.mark.nojit
def test_a_user_learner_plugs_in_without_engine_changes():
    grads = np.random.default_rng(3).normal(size=(300, 2))
    run = rl.play(SignSGD(0.2), rl.streams.linear(grads, domain=rl.Box(-1, 1, d=2)), 300,
                  checkpoints=np.arange(1, 301))
    x = np.zeros(2)
    for t in range(1, 301):
        x = np.clip(x - 0.2 / np.sqrt(t) * np.sign(grads[t - 1]), -1, 1)
        np.testing.assert_allclose(run.theta_path[t - 1], x, rtol=1e-12, atol=1e-15)
    assert run.regret[-1] == pytest.approx(run.loss[-1] - (-np.abs(grads.sum(axis=0)).sum()), rel=1e-12)
