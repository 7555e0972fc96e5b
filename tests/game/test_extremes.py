"""Numerical extremes: every extreme either gives finite results equal to the independent reference
(tests/naive.py) or stops with a NonFiniteError naming the round and the seed; never a silent NaN.

Compile budget: all the learner cases replay linear losses over a Box (one kernel per learner,
shared with tests/game/test_invariants.py); the misbehaving stream is one uncached kernel.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import textwrap
from typing import NamedTuple

import numpy as np
import pytest

import regretlab as rl
from catalogue import NAMES, TYPICAL, column
from conftest import RTOL
from naive import naive_run
from strategies import assert_all_finite


def _box(d):
    return rl.Box(-1.0, 1.0, d=d), {"kind": "box", "lo": -np.ones(d), "hi": np.ones(d)}


def play_vs_naive(name, hp, grads, x0=None, rtol=RTOL):
    """Play linear losses over [-1, 1]^d and compare every iterate and the cumulative loss with naive_run."""
    T, d = grads.shape
    domain, ndom = _box(d)
    x0 = np.zeros(d) if x0 is None else np.asarray(x0, dtype=float)
    record = d <= 64
    run = rl.play(getattr(rl, name)(**hp), rl.streams.linear(grads, domain=domain), T, x0=x0,
                  checkpoints=np.arange(1, T + 1), record_theta=record)
    ref = naive_run(name, hp, lambda t, x: (float(grads[t - 1] @ x), grads[t - 1].copy()), T, x0, ndom)
    assert_all_finite(run)
    xs = ref["x"][1:]
    atol = 1e-13 * float(np.max(np.abs(ref["x"]))) + 1e-320
    if record:
        np.testing.assert_allclose(run.theta_path, xs, rtol=rtol, atol=atol)
    np.testing.assert_allclose(run.theta, xs[-1], rtol=rtol, atol=atol)
    scale = np.cumsum(np.abs(ref["loss"]))
    assert np.all(np.abs(run.loss - np.cumsum(ref["loss"])) <= rtol * scale + 1e-320)
    # the comparator of linear losses over the box, independently: sum_i -|S_i|
    S = np.cumsum(grads, axis=0)
    best = -np.abs(S).sum(axis=1)
    assert np.all(np.abs(run.best_loss - best) <= 1e-12 * np.cumsum(np.abs(grads), axis=0).sum(axis=1) + 1e-320)
    np.testing.assert_array_equal(run.regret, run.loss - run.best_loss)
    return run, ref


def _signs(T, d, scale, seed=0):
    rng = np.random.default_rng(seed)
    return scale * rng.choice([-1.0, 1.0], size=(T, d)) * rng.uniform(0.5, 1.0, size=(T, d))


def _normal(T, d, seed=1):
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(T, d)) * np.array([1.0, 0.1, 3.0][:d] + [1.0] * max(0, d - 3))
    return g


# =============================================================================== hyperparameter extremes

#: beta2 -> 1, beta1 -> 1, eps = 0 (and AdaGrad's delta = 0: the zero-denominator rule while a coordinate has
#: seen only zeros), lambda -> 0 (beta1_t underflows to 0 within ~27 rounds) and lambda -> 1, per learner
EXTREME_HP = [(n, hp, RTOL if rtol is None else rtol) for n, (hp, rtol) in column("extreme")]


@pytest.mark.parametrize("name,hp,rtol", EXTREME_HP,
                         ids=[f"{n}-{'-'.join(f'{k}={v:g}' for k, v in hp.items())}" for n, hp, _ in EXTREME_HP])
def test_extreme_hyperparameters_match_the_reference(name, hp, rtol):
    T, d = 300, 3
    g = _normal(T, d)
    g[:40, 1] = 0.0  # coordinate 1 sees only zero gradients at first
    g[::9, 2] = 0.0
    run, _ = play_vs_naive(name, hp, g, x0=[0.2, -0.1, 0.3], rtol=rtol)
    if hp.get("eps", 1.0) == 0.0 and name in ("Adam", "AMSGrad", "AdaMax", "RMSProp", "AdamNC"):
        assert np.all(run.theta_path[:40, 1] == -0.1)  # a zero denominator does not move the coordinate


def test_lambda_near_zero_switches_the_momentum_off():
    """beta1_t = beta1 lam^(t-1) underflows to exactly 0: from then on Adam with lam = 1e-12 is Adam with
    beta1_t = 0, so its m_t is g_t; the iterates equal the reference computed with pow()."""
    g = _normal(60, 2)
    run, ref = play_vs_naive("Adam", dict(alpha=0.05, beta1=0.9, beta2=0.99, lam=1e-12), g)
    assert 0.9 * 1e-12 ** 30 == 0.0
    assert np.all(run.stats["sum_beta1_h"][30:] == run.stats["sum_beta1_h"][29])


# =============================================================================== gradient magnitudes

@pytest.mark.parametrize("name", NAMES)
def test_huge_gradients_match_the_reference(name):
    """|g| ~ 1e150: g^2 ~ 1e300 still fits in float64; every statistic stays finite."""
    run, ref = play_vs_naive(name, TYPICAL[name], _signs(100, 3, 1e150), x0=[0.3, -0.2, 0.0])
    assert run.stats["max_g_inf"][-1] == pytest.approx(np.max(np.abs(ref["g"])), rel=1e-15)
    assert run.stats["max_g_2"][-1] == pytest.approx(np.max(np.linalg.norm(ref["g"], axis=1)), rel=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_tiny_gradients_match_the_reference(name):
    """|g| ~ 1e-300: g^2 underflows to 0, so eps = 0 learners see a zero denominator (and do not move)."""
    run, ref = play_vs_naive(name, TYPICAL[name], _signs(100, 3, 1e-300), x0=[0.0, 0.5, -0.5])
    assert run.stats["max_g_inf"][-1] == pytest.approx(np.max(np.abs(ref["g"])), rel=1e-15)
    assert 0.0 < np.max(np.abs(run.regret)) < 1e-290  # the regret is of the gradients' size, not rounded away


def test_underflowed_gradient_statistics_make_the_lemmas_not_applicable():
    """|g| ~ 1e-300: the squared-gradient statistics underflow (max_g_2 = sum_g_norm = 0 < max_g_inf).  The
    lemmas that need them must say "not applicable" (they used to report Lemma 10.3 as violated)."""
    g = _signs(50, 1, 1e-300)
    for L in (rl.OGD(alpha=0.5), rl.Adam(**TYPICAL["Adam"])):
        run = rl.play(L, rl.streams.linear(g, domain=rl.Box(-1.0, 1.0, d=1)), 50, seeds=range(2))
        assert np.all(run.stats["max_g_2"] < run.stats["max_g_inf"])  # the underflow this test is about
        table = rl.verify(run).set_index("claim")
        status = table.status
        for claim in ("lemma_10_3", "lemma_10_4_stated", "lemma_10_4_proof"):
            assert status[claim] not in ("violated", "holds"), (claim, status[claim])
        assert "underflow" in table.detail["lemma_10_3"]
        assert not any(v == "violated" for k, v in status.items() if k != "sublinear_regret"), status


@pytest.mark.parametrize("name", ["Adam", "AdaGrad", "OGD"])
def test_a_squared_gradient_that_overflows_stops_the_run(name):
    """|g| ~ 1e160 is finite, but g^2 is not: the run stops at round 1, naming it and the seed (it used to
    finish with NaN in lemma_10_4_lhs and sum_beta1_h)."""
    g = _signs(50, 3, 1e160)
    with pytest.raises(rl.NonFiniteError, match=r"squared gradient.* at round 1, seed 7\b"):
        rl.play(getattr(rl, name)(**TYPICAL[name]), rl.streams.linear(g, domain=rl.Box(-1.0, 1.0, d=3)), 50, seed=7)


@pytest.mark.parametrize("name", ["AdaGrad", "Adam"])
def test_an_accumulated_squared_gradient_overflow_is_never_silent(name):
    g = np.tile([[1e153], [-1e153]], (150, 1))
    try:
        run = rl.play(getattr(rl, name)(**TYPICAL[name]), rl.streams.linear(g, domain=rl.Box(-1.0, 1.0, d=1)), 300)
    except rl.NonFiniteError as exc:
        assert re.search(r"round \d+, seed 0\b", str(exc)), str(exc)
        return
    assert_all_finite(run)


def test_a_huge_but_finite_step_never_gives_a_silent_inf():
    g = np.zeros((17, 1))
    g[0, 0] = 1.0  # then 16 zero gradients: m decays like 0.9^t, v like 1e-20^t
    try:
        run = rl.play(rl.Adam(alpha=0.1, beta1=0.9, beta2=1e-20, eps=0.0),
                      rl.streams.linear(g, domain=rl.Box(-1.0, 1.0, d=1)), 17)
    except rl.NonFiniteError as exc:
        assert re.search(r"round \d+, seed 0\b", str(exc)), str(exc)
        return
    assert run.stats["max_step"][-1] < math.inf  # the step itself is finite (about 5e156)
    assert_all_finite(run)


def test_an_overflowing_cumulative_loss_is_never_silent():
    g = np.full((30, 1), 1e150)
    try:
        run = rl.play(rl.OGD(1e-300), rl.streams.linear(g, domain=rl.Box(-1e157, 1e157, d=1)), 30, x0=[1e157])
    except rl.NonFiniteError as exc:
        assert re.search(r"round \d+, seed 0\b", str(exc)), str(exc)
        return
    assert_all_finite(run)


# =============================================================================== horizons and dimensions

SHAPES = [(1, 1), (1, 4), (40, 1)]


@pytest.mark.parametrize("T,d", SHAPES, ids=[f"T{T}-d{d}" for T, d in SHAPES])
@pytest.mark.parametrize("name", NAMES)
def test_tiny_horizons_and_dimensions_match_the_reference(name, T, d):
    g = _normal(T, d, seed=T + d)
    x0 = np.linspace(-0.4, 0.6, d)
    run, ref = play_vs_naive(name, TYPICAL[name], g, x0=x0)
    # R(1) = <g_1, x0> - min_box <g_1, theta> = <g_1, x0> + ||g_1||_1
    assert run.regret[0] == pytest.approx(float(g[0] @ x0) + float(np.abs(g[0]).sum()), rel=1e-14, abs=1e-15)
    assert run.t[0] == 1 and run.t[-1] == T


@pytest.mark.parametrize("name", ["Adam", "AMSGrad", "AdaGrad", "OGD"])
def test_dimension_1e5_with_a_short_horizon(name):
    T, d = 3, 10**5
    rng = np.random.default_rng(11)
    g = rng.normal(size=(T, d))
    g[:, ::7] = 0.0
    run, ref = play_vs_naive(name, TYPICAL[name], g, x0=np.zeros(d))
    assert run.theta_path is None  # not recorded above d = 64 by default
    assert run.theta.shape == (d,)


# =============================================================================== misbehaving streams

class _BadSpec(NamedTuple):
    kind: int  # 0: loss NaN; 1: gradient +inf (coordinate 0); 2: gradient NaN (coordinate 1);
    #            3: gradient 1e150 in coordinate 1, whose step (alpha = 1e200) overflows the iterate;
    #            4: gradient 1e300 in coordinate 1, whose square overflows
    at: int  # the round that misbehaves
    seed: np.uint64  # ... for the trial with this seed only


def _bad_round(spec, seed, t, X, k, G, SUFF):
    d = X.shape[1]
    bad = t == spec.at and seed == spec.seed
    for i in range(d):
        G[k, i] = 1.0 if i == 0 else 0.0
    loss = X[k, 0]  # f_t(theta) = theta_0: coordinate 1 never enters the loss
    if bad:
        if spec.kind == 0:
            loss = math.nan
        elif spec.kind == 1:
            G[k, 0] = math.inf
        elif spec.kind == 2:
            G[k, 1] = math.nan
        elif spec.kind == 3:
            G[k, 1] = 1e150
        else:
            G[k, 1] = 1e300
    for i in range(d):
        SUFF[k, i] += G[k, i]
    return loss


rl.register_stream(_BadSpec, _bad_round)


def _bad_stream(kind, at, seed):
    return rl.streams.Stream("misbehaving", _BadSpec(kind, at, np.uint64(seed)), rl.Unconstrained(2), [0.0, 0.0],
                             None, None, "linear", 3, {"kind": kind, "at": at})


SEEDS = [11, 2**63 + 22, 33]
CAUSE = {0: r"the loss f_t\(theta_t\) became non-finite at", 1: r"the gradient became non-finite \(coordinate 0\) at",
         2: r"the gradient became non-finite \(coordinate 1\) at",
         3: r"the iterate theta_t became non-finite \(coordinate 1\) at",
         4: r"the squared gradient norm \(.*\) became non-finite at"}
BAD = [(kind, at, chunks) for kind in (0, 1, 2) for at in (1, 13, 20) for chunks in (1, 3)] + \
      [(kind, at, chunks) for kind in (3, 4) for at in (1, 13, 19) for chunks in (1, 3)]


@pytest.mark.parametrize("kind,at,chunks", BAD, ids=[f"kind{k}-round{a}-chunks{c}" for k, a, c in BAD])
def test_a_non_finite_value_stops_the_run_naming_round_and_seed(kind, at, chunks):
    T, bad_seed = 20, SEEDS[1]
    done = []
    with pytest.raises(rl.NonFiniteError, match=CAUSE[kind] + rf" round {at}, seed {bad_seed}\b") as info:
        rl.play(rl.OGD(alpha=1e200), _bad_stream(kind, at, bad_seed), T, seeds=SEEDS, checkpoints=np.arange(1, T + 1),
                chunks=chunks, progress=lambda t, T_: done.append(t))
    msg = str(info.value)
    assert "no result was recorded" in msg and "\n" not in msg
    assert "seed 11" not in msg and "seed 33" not in msg
    # no progress is reported past the failure (an iterate that overflows in round `at` is seen in round at + 1)
    assert all(t < at or (kind == 3 and t == at) for t in done)
    # the same stream without the failure (another seed) plays to the end
    ok = rl.play(rl.OGD(alpha=1e200), _bad_stream(kind, at, bad_seed), T, seeds=[SEEDS[0], SEEDS[2]])
    assert np.all(np.isfinite(ok.loss))


def test_an_overflow_in_the_last_round_names_the_seed():
    """The iterate theta_(T+1) is checked after the loop; its message used to omit the seed."""
    T, bad_seed = 20, SEEDS[1]
    with pytest.raises(rl.NonFiniteError, match=rf"round {T}, seed {bad_seed}\b") as info:
        rl.play(rl.OGD(alpha=1e200), _bad_stream(3, T, bad_seed), T, seeds=SEEDS)
    assert "seed 11" not in str(info.value) and "seed 33" not in str(info.value)


# =============================================================================== NUMBA_DISABLE_JIT

_SMALL_RUNS = textwrap.dedent('''
    import numpy as np
    import regretlab as rl

    def small_runs():
        out = {}
        ck = np.arange(1, 61)
        r = rl.play(rl.Adam(alpha=0.1, beta1=0.5, beta2=0.9), rl.streams.random_sign(d=3, radius=0.7, G=1.5), 60,
                    seeds=[1, 2**63 + 5], checkpoints=ck)
        out.update({"sign_loss": r.loss, "sign_regret": r.regret, "sign_path": r.theta_path,
                    "sign_vhat": r.stats["sum_sqrt_vhat"], "sign_gneg": r.stats["gamma_neg"], "sign_dyn": r.dynamic_regret})
        r = rl.play(rl.Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0),
                    rl.streams.quadratic([0.5, -2.0], sigma=0.7, domain=rl.Ball([0.1, 0.2], 0.8)), 60, seeds=[3],
                    checkpoints=ck, chunks=4)
        out.update({"quad_loss": r.loss, "quad_best": r.best_loss, "quad_path": r.theta_path,
                    "quad_dyn": r.dynamic_regret, "quad_l104": r.stats["lemma_10_4_lhs"]})
        g = np.random.default_rng(1).normal(size=(60, 3))
        r = rl.play(rl.AMSGrad(alpha=0.3, beta1=0.5, beta2=0.9), rl.streams.linear(g, domain=rl.Ball(0.0, 0.5, d=3)), 60,
                    checkpoints=ck)
        out.update({"ams_loss": r.loss, "ams_path": r.theta_path, "ams_sumb1h": r.stats["sum_beta1_h"],
                    "ams_vhat": r.final["vhat"]})
        r = rl.play(rl.AdaGrad(alpha=0.3), rl.streams.linear(g, domain=rl.Box(-1.0, 1.0, d=3)), 60, checkpoints=ck)
        out.update({"ada_loss": r.loss, "ada_path": r.theta_path, "ada_sum_g_norm": r.stats["sum_g_norm"]})
        return {k: np.asarray(v) for k, v in out.items()}
''')


def test_results_are_bit_identical_without_the_jit(tmp_path):
    ns = {}
    exec(compile(_SMALL_RUNS, "<small_runs>", "exec"), ns)
    jit = ns["small_runs"]()
    out = tmp_path / "nojit.npz"
    code = (f"import numpy as np\nns = {{}}\nexec({_SMALL_RUNS!r}, ns)\n"
            f"np.savez({str(out)!r}, **ns['small_runs']())\n"
            "import numba, regretlab._jit as J\nassert numba.config.DISABLE_JIT and J.DISABLED\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(rl.__file__)))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=os.pathsep.join(
        [root] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(out) as nojit:
        assert set(nojit.files) == set(jit)
        for k, a in jit.items():
            b = nojit[k]
            assert a.dtype == b.dtype and a.shape == b.shape, k
            assert a.tobytes() == b.tobytes(), (k, np.max(np.abs(a - b)))
