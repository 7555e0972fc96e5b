"""Bounds, checks and verdicts (issue 4) against values computed by hand from THEORY.md."""
import math

import numpy as np
import pytest

import regretlab as rl
from regretlab import bounds as B
from naive import naive_run, reddi_adam_reference


def _grads_reddi(C, T):
    t = np.arange(1, T + 1)
    return np.where(t % 3 == 1, C, -1.0)


def test_theorem_4_1_by_hand_on_reddi_and_violated_at_1000():
    C, alpha, beta2, T = 3.0, 0.5, 0.1, 1000
    run = rl.play(rl.Adam(alpha=alpha, beta1=0.0, beta2=beta2, eps=0.0), rl.streams.reddi(C), T,
                  checkpoints=[10, 100, T])
    b = B.theorem_4_1(run)
    assert b.applicable
    g = _grads_reddi(C, T)
    # v_hat_T from the gradient sequence, written out: v_T = sum (1-b2) b2^(T-s) g_s^2, v_hat = v/(1-b2^T)
    s = np.arange(1, T + 1)
    v = np.sum((1 - beta2) * beta2 ** (T - s) * g ** 2)
    vhat = v / (1 - beta2 ** T)
    D = Dinf = 2.0
    Ginf = C
    hand = (D ** 2 / (2 * alpha) * math.sqrt(T * vhat)
            + alpha * Ginf / math.sqrt(1 - beta2) * math.sqrt(np.sum(g ** 2))
            + Dinf ** 2 * Ginf * math.sqrt(1 - beta2) / (2 * alpha))  # beta1 = 0: lambda -> 0
    assert b.value[-1] == pytest.approx(hand, rel=1e-12)
    assert b.value[-1] == pytest.approx(470, abs=1.0)  # issue 4: the lambda -> 0 bound is about 470
    _, R = reddi_adam_reference(C, alpha, beta2, T)
    assert run.regret[-1] == pytest.approx(R[-1], rel=1e-12)
    assert run.regret[-1] > b.value[-1]  # Theorem 4.1 as printed is violated
    table = rl.verify(run, ["theorem_4_1", "proof_assumption"])
    assert list(table.status) == ["violated", "violated"]
    assert table.first_violation.iloc[0] == 135  # the first violating round, whatever the checkpoints
    assert table.first_violation.iloc[1] == 2 == table.first_gamma_neg.iloc[0]


def test_theorem_4_1_with_momentum_uses_lambda_and_flags_vacuous_third_term():
    run = rl.play(rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999, eps=0.0), rl.streams.random_sign(d=2), 500)
    b = B.theorem_4_1(run)
    assert b.applicable and b.constants["lambda"] == 1 - 1e-8
    third = 2 * 2.0 ** 2 * 1.0 * math.sqrt(1 - 0.999) / (2 * 0.1 * 0.1 * 1e-16)
    assert b.terms["(1-lambda)^-2"][-1] == pytest.approx(third, rel=1e-6)
    assert b.dominant_term() == "(1-lambda)^-2"
    row = rl.verify(run, ["theorem_4_1"]).iloc[0]
    G, D = math.sqrt(2.0), 2.0 * math.sqrt(2.0)
    assert row.status == "vacuous" and row.vacuity == pytest.approx(b.value[-1] / (G * D * 500), rel=1e-12)


def _amsgrad_hand(grads, hp, T, Dinf):
    """AMSGrad Theorem 4 (revised) from the recurrences, written out independently."""
    a, b1, b2, lam = hp["alpha"], hp["beta1"], hp["beta2"], hp.get("lam", 1.0)
    d = grads.shape[1]
    v = np.zeros(d)
    vmax = np.zeros(d)
    term2 = 0.0
    for t in range(1, T + 1):
        g = grads[t - 1]
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        term2 += b1 * lam ** (t - 1) * np.sum(np.sqrt(vmax)) / (a / math.sqrt(t))
    gamma = b1 / math.sqrt(b2)
    sg = np.sum(np.sqrt(np.sum(grads[:T] ** 2, axis=0)))
    return (Dinf ** 2 * math.sqrt(T) / (a * (1 - b1)) * np.sum(np.sqrt(vmax))
            + Dinf ** 2 / (1 - b1) ** 2 * term2
            + a * math.sqrt(1 + math.log(T)) / ((1 - b1) ** 2 * (1 - gamma) * math.sqrt(1 - b2)) * sg)


def test_amsgrad_theorem_4_by_hand():
    rng = np.random.default_rng(0)
    T = 400
    grads = rng.normal(size=(T, 3))
    hp = dict(alpha=0.1, beta1=0.5, beta2=0.9, lam=0.99)
    run = rl.play(rl.AMSGrad(**hp), rl.streams.linear(grads, domain=rl.Box(-1, 1, d=3)), T)
    b = B.amsgrad_theorem_4(run)
    assert b.value[-1] == pytest.approx(_amsgrad_hand(grads, hp, T, 2.0), rel=1e-10)


def test_ogd_adagrad_tran_phong_corollaries_by_hand():
    T = 1000
    s = rl.streams.random_sign(d=2, radius=0.5, G=2.0)
    run = rl.play(rl.OGD(alpha=0.3), s, T, seed=3)
    D, G = math.sqrt(2) * 1.0, 2.0 * math.sqrt(2)
    exact = math.fsum(1 / math.sqrt(t) for t in range(1, T + 1))  # sum_t eta_t / alpha, summed exactly
    assert B.ogd(run).value[-1] == pytest.approx(D ** 2 * math.sqrt(T) / 0.6 + 0.3 * G ** 2 * exact / 2, rel=1e-14)
    assert B.ogd(run).value[-1] < D ** 2 * math.sqrt(T) / 0.6 + 0.3 * G ** 2 * (math.sqrt(T) - 0.5)  # 2 sqrt(T) - 1
    run = rl.play(rl.AdaGrad(alpha=0.4), s, T, seed=3)
    sg = 2 * math.sqrt(T * 4.0)  # |g_i| = 2 every round: ||g_1:T,i|| = 2 sqrt(T), two coordinates
    assert B.adagrad(run).value[-1] == pytest.approx(1.0 ** 2 * sg / 0.8 + 0.4 * sg, rel=1e-12)
    hp = dict(alpha=0.2, beta1=0.5, beta2=0.9, lam=0.9)
    run = rl.play(rl.AMSGrad(**hp), s, T, seed=3)
    gamma = 0.5 / math.sqrt(0.9)
    c = 2 * 1.0 ** 2 * 2.0 / (2 * 0.2 * 0.5)
    tp = c * (1 + math.sqrt(T)) + c / 0.1 ** 2 + 0.2 * math.sqrt(math.log(T) + 1) / (0.25 * math.sqrt(0.1) * (1 - gamma)) * sg
    b = B.tran_phong(run)
    assert b.value[-1] == pytest.approx(tp, rel=1e-12)
    assert any("t0 = 1" in n for n in b.notes)
    c1 = B.amsgrad_corollary_1(run)
    t4 = B.amsgrad_theorem_4(run)
    second = 2 * 0.5 * 1.0 * 2.0 / (0.2 * 0.25 * 0.01)
    assert c1.terms["(1-lambda)^-2"][-1] == pytest.approx(second, rel=1e-12)
    assert c1.value[-1] >= t4.value[-1]  # the corollary bounds the theorem's second term from above


@pytest.mark.parametrize("stream", [rl.streams.random_sign(d=3, radius=1.0, G=1.0),
                                    rl.streams.reddi(3.0),
                                    rl.streams.periodic_linear(1010, 10, 101)], ids=lambda s: s.name)
def test_amsgrad_and_ogd_bounds_hold_on_many_seeds(stream):
    """The bounds that are proved are never violated; those above G D T are reported vacuous, not held."""
    seeds = range(32)
    T = 20000
    for L, claims in [(rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99, lam=0.999),
                       ["amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong"]),
                      (rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1), ["amsgrad_theorem_4", "tran_phong"]),
                      (rl.OGD(alpha=0.5), ["ogd"])]:
        runs = rl.play(L, stream, T, seeds=seeds)
        table = rl.verify(runs, claims)
        assert table.status.isin(["holds", "vacuous"]).all(), table[["claim", "status", "max_ratio"]]
        assert (table.max_ratio < 1).all()
        GDT = stream.G * stream.domain.diameter_2 * T
        for _, row in table.iterrows():
            assert (row.status == "vacuous") == (row.bound_T >= GDT), row


@pytest.mark.parametrize("learner,stream,name,why", [
    (rl.Adam(schedule="constant"), rl.streams.reddi(), "theorem_4_1", "schedule"),
    (rl.Adam(beta1=0.9, lam=1.0), rl.streams.reddi(), "theorem_4_1", "lambda"),
    (rl.Adam(beta1=0.99, beta2=0.5), rl.streams.reddi(), "theorem_4_1", "gamma"),
    (rl.Adam(bias_correction="none"), rl.streams.reddi(), "theorem_4_1", "bias_correction"),
    (rl.Adam(), rl.streams.linear(np.ones((20, 1))), "theorem_4_1", "unbounded"),
    (rl.Adam(), rl.streams.quadratic(0.0, sigma=1.0), "corollary_4_2", "G_inf"),
    (rl.OGD(), rl.streams.reddi(), "theorem_4_1", "about Adam"),
    (rl.AMSGrad(beta1=0.9, beta2=0.5), rl.streams.reddi(), "amsgrad_theorem_4", "gamma"),
    (rl.AMSGrad(variant="corrected"), rl.streams.reddi(), "amsgrad_theorem_4", "corrected"),
    (rl.AMSGrad(beta1=0.9, lam=1.0), rl.streams.reddi(), "amsgrad_corollary_1", "lambda"),
    (rl.OGD(), rl.streams.quadratic(0.0, sigma=1.0), "ogd", "gradient bound G"),
    (rl.OGD(), rl.streams.reddi(), "random_sign_lower", "random_sign"),
])
def test_not_applicable_returns_no_number(learner, stream, name, why):
    run = rl.play(learner, stream, 20)
    b = B.ALL[name](run)
    assert not b.applicable and b.value is None
    assert any(why in r for r in b.reasons), b.reasons
    row = rl.verify(run, [name]).iloc[0]
    assert row.status == "not applicable" and why in row.detail
    assert row.bound_T is None or np.isnan(row.bound_T)


def test_observed_spread_makes_unbounded_domains_applicable_and_is_tighter():
    grads = np.random.default_rng(1).normal(size=(200, 2))
    run = rl.play(rl.OGD(0.1), rl.streams.linear(grads, domain=rl.Box(-5, 5, d=2)), 200)
    dom, obs = B.ogd(run), B.ogd(run, spread="observed")
    assert obs.applicable and obs.value[-1] < dom.value[-1]
    assert run.regret[-1] <= obs.value[-1]


def test_random_sign_lower_reference_verdict():
    runs = rl.play(rl.OGD(alpha=0.3), rl.streams.random_sign(d=2, radius=0.5), 300, seeds=range(400))
    row = rl.verify(runs, ["random_sign_lower"]).iloc[0]
    assert row.status == "holds", row


# ------------------------------------------------------------------------------ growth


@pytest.mark.parametrize("p", [0.5, 1.0])
def test_power_law_exponent_recovers_exact_power_laws(p):
    t = rl.default_checkpoints(10**6)
    c = np.linspace(0.5, 2.0, 8)[:, None]
    assert rl.stats.power_law_exponent(t, c * t[None, :] ** p) == pytest.approx(p, abs=1e-12)


def test_sublinear_verdicts():
    adam = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 10**5, seeds=range(2))
    ams = rl.play(rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 10**5, seeds=range(2))
    t = rl.verify([adam, ams], ["sublinear_regret"])
    assert list(t.status) == ["violated", "holds"] and list(t.growth) == ["linear", "sublinear"]
    assert t.slope.iloc[0] == pytest.approx(2 / 3, rel=1e-3) and abs(t.slope.iloc[1]) < 1e-5


# ------------------------------------------------------------------------------ the paper's other claims


def test_gamma_negative_only_for_adam_family():
    # gradients of varying magnitude (with random signs, |g| = 1 gives v_hat = 1 and Gamma >= 0 for Adam too)
    s = rl.streams.linear(np.random.default_rng(0).normal(size=(1000, 3)), domain=rl.Box(-1, 1, d=3))
    assert rl.play(rl.Adam(alpha=0.1, beta1=0.0, beta2=0.5), s, 1000).stats["gamma_neg"][-1] > 0
    assert rl.play(rl.RMSProp(alpha=0.1, beta2=0.5), s, 1000).stats["gamma_neg"][-1] > 0
    for L in (rl.OGD(0.1), rl.AdaGrad(0.1), rl.AMSGrad(alpha=0.1, beta1=0.0, beta2=0.5)):
        assert rl.play(L, s, 1000).stats["gamma_neg"][-1] == 0, L


def test_step_size_claim():
    s = rl.streams.random_sign(d=2, G=5.0)
    for L in (rl.Adam(alpha=0.01, beta1=0.9, beta2=0.999, eps=0.0, schedule="constant"),
              rl.Adam(alpha=0.01, beta1=0.5, beta2=0.999, eps=0.0, schedule="constant"), rl.AdaMax(alpha=0.01)):
        c = B.step_size(rl.play(L, s, 2000))
        assert c.status == "holds", c
    assert B.step_size(rl.play(rl.OGD(), s, 10)).status == "not applicable"


def test_lemma_10_3_fails_for_small_gradients_and_holds_for_large():
    assert B.lemma_10_3(rl.play(rl.OGD(0.1), rl.streams.random_sign(G=0.1), 1000)).status == "violated"
    assert B.lemma_10_3(rl.play(rl.OGD(0.1), rl.streams.random_sign(G=1.0), 1000)).status == "holds"


def test_lemma_10_4_left_side_against_naive_recurrences():
    rng = np.random.default_rng(2)
    T, d = 300, 2
    grads = rng.normal(size=(T, d))
    hp = dict(alpha=0.05, beta1=0.6, beta2=0.9, eps=0.0, lam=0.99)
    run = rl.play(rl.Adam(**hp), rl.streams.linear(grads, domain=rl.Box(-10, 10, d=d)), T)
    m = np.zeros(d)
    v = np.zeros(d)
    lhs = 0.0
    for t in range(1, T + 1):
        g = grads[t - 1]
        b1t = hp["beta1"] * hp["lam"] ** (t - 1)
        m = b1t * m + (1 - b1t) * g
        v = hp["beta2"] * v + (1 - hp["beta2"]) * g * g
        mhat = m / (1 - hp["beta1"] ** t)
        vhat = v / (1 - hp["beta2"] ** t)
        lhs += np.sum(mhat ** 2 / np.sqrt(t * vhat))
    assert run.stats["lemma_10_4_lhs"][-1] == pytest.approx(lhs, rel=1e-9)
    stated, proof = B.lemma_10_4(run)
    assert stated.status in ("holds", "violated") and proof.status in ("holds", "violated")
    assert proof.rhs >= 0


def test_invariance_to_diagonal_rescaling():
    s = rl.streams.random_sign(d=3, radius=5.0)
    L0 = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99, eps=0.0)
    assert rl.verification.invariance(L0, s, 500, [2.0, 0.25, 1024.0]) == 0.0  # powers of 2: exact
    assert rl.verification.invariance(L0, s, 500, [3.0, 0.1, 7.0]) < 1e-12
    assert rl.verification.invariance(rl.Adam(alpha=0.1, eps=1e-1), s, 500, [3.0, 0.1, 7.0]) > 1e-3
    with pytest.raises(ValueError, match="scale"):
        rl.verification.invariance(L0, s, 10, [-1.0, 1, 1])


def test_bias_correction_effect_reported():
    out = rl.verification.bias_correction_effect(rl.streams.random_sign(d=2), 2000, seeds=range(4), alpha=0.1,
                                                 beta1=0.9, beta2=0.999)
    assert out["R_with"] != out["R_without"] and np.isfinite(out["ratio_without_over_with"])


def test_unknown_claim_is_a_value_error():
    run = rl.play(rl.OGD(), rl.streams.reddi(), 10)
    with pytest.raises(ValueError, match="unknown claim"):
        rl.verify(run, ["theorem_9"])
