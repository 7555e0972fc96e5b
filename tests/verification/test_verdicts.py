"""Verdicts a referee would sign (issue 11, THEORY.md section 9).

Every known-truth case of section 9 and every case the issue observed, with the expected
status, slope (against the analytic value) and first violating round."""
import math
import re

import numpy as np
import pandas as pd
import pytest

import regretlab as rl
from regretlab import bounds as B
from regretlab import stats as S
from regretlab import verification as Vf
from naive import reddi_adam_reference

C3 = 3.0
REDDI_ADAM = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1)  # beta2 = 1/(1 + C^2) for C = 3


def _th2_adam(lam=0.5):
    """Reddi et al.'s Theorem 2 family as shipped: f_t = 20 x once every 20 rounds, -x otherwise."""
    return rl.Adam(alpha=0.5, beta1=0.5, beta2=0.9, lam=lam), rl.streams.periodic_linear(20.0, 1.0, 20)


@pytest.fixture(scope="module")
def reddi_1e6():
    return [rl.play(L, rl.streams.reddi(C3), 10**6) for L in
            (REDDI_ADAM, rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1), rl.OGD(alpha=0.5))]


# ----------------------------------------------------------------------------- growth: known truths

def test_growth_on_exact_curves():
    t = rl.default_checkpoints(10**6).astype(float)
    lin = S.growth(t, 2 / 3 * t + 0.444 * np.sqrt(t) + 5.477, stochastic=False)
    assert lin.verdict == "linear" and lin.slope == pytest.approx(2 / 3, rel=1e-12)
    assert lin.b == pytest.approx(0.444, rel=1e-9) and lin.mode == "deterministic"
    small = S.growth(t, 1e-3 * t + 100 * np.sqrt(t), stochastic=False)  # linear although sqrt dominates at T
    assert small.verdict == "linear" and small.share < 0.01
    assert S.growth(t, 3 * np.sqrt(t), stochastic=False).verdict == "sublinear"
    for p in (0.6, 0.7, 0.8, 0.9):  # neither: a significant slope that falls by 10^(1-p) per decade
        g = S.growth(t, 3 * t ** p, stochastic=False)
        assert g.verdict == "inconclusive" and g.decide and g.next_T == 10**7, (p, g.detail)
    # closer to 1 than the resolution the verdict states, t^0.97 is called linear and says so
    assert "every power law t^p with p <= 0.9 fits worse" in S.growth(t, 3 * t ** 0.97, stochastic=False).detail
    for R in (0.005 * t + 10 * np.sqrt(t) * np.log(t), 0.002 * t + 5 * t ** 0.6):
        # linear, but not of the fitted form: never "sublinear" with a significantly positive slope
        assert S.growth(t, R, stochastic=False).verdict == "inconclusive"
    neg = S.growth(t, 5 * np.sqrt(t) - 1e-3 * t, stochastic=False)
    assert neg.verdict == "sublinear" and "negative" in neg.detail


def test_noisy_power_laws_are_not_called_linear():
    """A stability test that only fails to reject a change lets noise make t^0.85 look linear; the fit must
    also beat every power law t^p, p <= 0.9 (review of issue 11)."""
    rng = np.random.default_rng(1)
    t = rl.default_checkpoints(10**6).astype(float)

    def walk(n):
        return np.cumsum(rng.normal(size=(n, t.size)) * np.sqrt(np.diff(np.concatenate([[0.0], t])))[None], axis=1)

    for p, sigma, n in ((0.85, 10.0, 1), (0.8, 10.0, 1), (0.7, 3.0, 1), (0.8, 30.0, 8)):
        verdicts = {S.growth(t, 3 * t ** p + sigma * walk(n), stochastic=True).verdict for _ in range(10)}
        assert verdicts == {"inconclusive"}, (p, sigma, n, verdicts)
    lin = [S.growth(t, 0.3 * t + 2 * np.sqrt(t) + 10 * walk(8), stochastic=True).verdict for _ in range(10)]
    assert lin.count("linear") >= 9


def test_reddi_theorem_1_slope_and_sqrt_coefficient(reddi_1e6):
    """s = (2C - 4)/3 exactly and R - s T ~ (2/3)(2a - b) sqrt(T) (THEORY.md section 4: 0.4440 for C = 3)."""
    adam = reddi_1e6[0]
    g = S.growth(adam.t, adam.regret, stochastic=adam.stream.stochastic)
    assert g.verdict == "linear"
    assert g.slope == pytest.approx((2 * C3 - 4) / 3, abs=2e-5)
    assert g.slope_low < (2 * C3 - 4) / 3 < g.slope_high
    assert g.b == pytest.approx(0.4440, abs=0.01)
    assert g.local_exponent == pytest.approx(1.0, abs=1e-3)


def test_ogd_and_amsgrad_on_reddi_are_sublinear_on_one_seed(reddi_1e6):
    """s = 0 for both, decided from a single seed of a deterministic stream."""
    for runs in reddi_1e6[1:]:
        g = S.growth(runs.t, runs.regret, stochastic=False)
        assert g.verdict == "sublinear" and abs(g.slope) < 1e-6 and g.n_seeds == 1, g.detail
    row = rl.verify(reddi_1e6[2], ["sublinear_regret"]).iloc[0]
    assert row.status == "holds" and row.growth == "sublinear"


@pytest.mark.parametrize("big,small,period,T,seeds", [
    (100.0, 1.0, 100, 10**6, 8),  # the issue: 8 identical curves, R/T = 0.021
    (1010.0, 10.0, 101, 10**6, 1),  # Reddi section 5 online: slope 20/101
])
def test_adam_stuck_at_an_end_of_a_periodic_stream_is_linear(big, small, period, T, seeds):
    """Stuck at +1 while -1 is best: s = 2 (big - (period - 1) small)/period, the average loss difference."""
    s = rl.streams.periodic_linear(big, small, period)
    L = rl.Adam(alpha=0.5, beta1=0.9, beta2=0.99) if period == 101 else rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1)
    runs = rl.play(L, s, T, seeds=range(seeds))
    assert np.all(runs.theta == 1.0)
    expect = 2 * (big - (period - 1) * small) / period
    row = rl.verify(runs, ["sublinear_regret"]).iloc[0]
    assert row.growth == "linear" and row.status == "violated"
    assert row.slope == pytest.approx(expect, rel=0.02)
    if seeds > 1:
        assert "identical curves" in row.detail and "one run" in row.detail
        assert row.slope_high - row.slope_low > 0  # a residual-based interval, never a zero-width bootstrap


def test_theorem_2_family_is_linear_at_one_million(reddi_th2):
    g = S.growth(reddi_th2.t, reddi_th2.regret, stochastic=False)
    assert g.verdict == "linear" and g.slope == pytest.approx(0.1, rel=1e-3)


def test_stochastic_linear_stuck_at_the_wrong_end_is_never_sublinear_and_linear_when_decidable():
    """The issue's case: 16 seeds, every one ending at theta = +1, R/T >= 0.063; it was reported "holds".

    At T = 1e6 a power law t^0.9 fits its mean curve as well as s t + b sqrt(t) does (F = 2.2), so the honest
    verdict is inconclusive, with the horizon that decides it; at that horizon it is linear."""
    runs = rl.play(rl.Adam(alpha=0.35, beta1=0.3, beta2=0.95, lam=0.7), rl.streams.stochastic_linear(150, 1, 0.007),
                   10**6, seeds=range(16))
    assert np.all(runs.theta > 0.99) and np.all(runs.regret[:, -1] / runs.T >= 0.06)
    row = rl.verify(runs, ["sublinear_regret"]).iloc[0]
    assert row.growth == "inconclusive" and row.status == "inconclusive" and row.slope_low > 0.05
    assert "run to T = 1e+07" in row.detail
    row = rl.verify(runs.extend(10**7), ["sublinear_regret"]).iloc[0]
    assert row.growth == "linear" and row.status == "violated"
    # the expected slope when stuck at +1: 2 E[g] = 2 (150 p - (1 - p))
    assert row.slope_low < 2 * (150 * 0.007 - 0.993) < row.slope_high


def test_random_signs_are_sublinear_for_every_learner():
    """E R(T) = r G d E|S_T| ~ sqrt(T) for every learner (THEORY.md section 7)."""
    s = rl.streams.random_sign(d=4, radius=1.0)
    for L in (rl.OGD(alpha=0.5), rl.Adam(alpha=0.2, beta1=0.0, beta2=0.9, eps=0.0), rl.AdaGrad(alpha=2 ** 0.5)):
        runs = rl.play(L, s, 10**5, seeds=range(64))
        g = S.growth(runs.t, runs.regret, stochastic=True)
        assert g.verdict == "sublinear" and g.slope_low < 0 < g.slope_high, (L, g.detail)
        assert g.local_exponent == pytest.approx(0.5, abs=0.1)


def test_slope_interval_covers_the_truth_at_its_level_with_eight_seeds():
    """The bootstrap interval of the power-law exponent covered 0.5 in 80 % of blocks of 8 seeds; the
    t interval of the slope (truth 0) must cover 0 in about 95 % of them."""
    runs = rl.play(rl.OGD(alpha=0.5), rl.streams.random_sign(d=4), 10**4, seeds=range(640))
    covered = []
    for b in range(80):
        g = S.growth(runs.t, runs.regret[8 * b:8 * b + 8], stochastic=True)
        covered.append(g.slope_low <= 0.0 <= g.slope_high)
    assert np.mean(covered) >= 0.88, np.mean(covered)


def test_few_seeds_give_no_interval_and_one_stochastic_seed_is_honest():
    s = rl.streams.random_sign(d=2)
    two = rl.play(rl.Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0), s, 10**4, seeds=range(2))
    g = S.growth(two.t, two.regret, stochastic=True)
    assert g.mode == "seeds" and math.isnan(g.slope_low) and math.isnan(g.slope_high)
    assert "too few for an interval" in g.detail and g.verdict != "linear"
    one = S.growth(two.t, two.regret[0], stochastic=True)
    assert one.mode == "single" and one.verdict != "linear"


def test_section5_stochastic_interval_is_finite():
    """Its bootstrap interval was NaN: some resamples had non-positive mean regret."""
    runs = rl.play(rl.AMSGrad(alpha=0.5, beta1=0.9, beta2=0.99), rl.streams.stochastic_linear(1010, 10, 0.01),
                   10**5, seeds=range(8))
    g = S.growth(runs.t, runs.regret, stochastic=True)
    assert math.isfinite(g.slope_low) and math.isfinite(g.slope_high) and g.slope_low < g.slope_high


def test_growth_needs_enough_checkpoints_and_says_so():
    runs = rl.play(rl.OGD(), rl.streams.reddi(), 50)
    g = S.growth(runs.t, runs.regret, stochastic=False)
    assert g.verdict == "inconclusive" and "too few checkpoints" in g.detail and g.decide
    with pytest.raises(ValueError, match="level"):
        S.growth(runs.t, runs.regret, level=1.5)


# ----------------------------------------------------------------------------- first violating round

def _hand_theorem_4_1_reddi(T, C=C3, alpha=0.5, beta2=0.1):
    """Theorem 4.1 at every round on Reddi's stream with beta1 = 0 (lambda -> 0), from the gradients."""
    t = np.arange(1, T + 1, dtype=float)
    g = np.where(np.arange(1, T + 1) % 3 == 1, C, -1.0)
    v = np.zeros(T)
    acc = 0.0
    for k in range(T):
        acc = beta2 * acc + (1 - beta2) * g[k] ** 2
        v[k] = acc
    vhat = v / (1 - beta2 ** t)
    D = Dinf = 2.0
    return (D ** 2 / (2 * alpha) * np.sqrt(t * vhat) + alpha * C / math.sqrt(1 - beta2) * np.sqrt(np.cumsum(g * g))
            + Dinf ** 2 * C * math.sqrt(1 - beta2) / (2 * alpha))


def test_first_violation_is_the_first_round_not_the_first_checkpoint():
    """Reddi C = 3, alpha = 0.5: first violating round 135, first violating checkpoint 138."""
    T = 1000
    runs = rl.play(REDDI_ADAM, rl.streams.reddi(C3), T)
    bound = B.theorem_4_1(runs)
    R = runs.regret
    first_ck = int(runs.t[np.argmax(R > bound.value)])
    _, R_ref = reddi_adam_reference(C3, 0.5, 0.1, T)
    brute = int(np.argmax(R_ref > _hand_theorem_4_1_reddi(T)) + 1)
    assert (brute, first_ck) == (135, 138)
    row = rl.verify(runs, ["theorem_4_1"]).iloc[0]
    assert row.status == "violated" and row.first_violation == 135
    assert "first violating round 135 " in row.detail


def test_first_violation_with_certified_skipping_equals_brute_force():
    """A run whose bound is crossed after about 1.6e5 rounds: the violation search (sparse pass, certified
    stretches, dense replay of the rest) against R and the bound evaluated at every single round."""
    L, s = rl.Adam(alpha=0.5, beta1=0.3, beta2=0.9, lam=0.5), rl.streams.periodic_linear(8.0, 1.0, 8)
    runs = rl.play(L, s, 10**4)
    row = rl.verify(runs, ["theorem_4_1"]).iloc[0]
    assert row.status == "predicted violation" and 1e5 < row.predicted_violation < 3e5
    T = int(1.5 * row.predicted_violation)
    every = rl.play(L, s, T, checkpoints=np.arange(1, T + 1), record_theta=False)
    bad = every.regret > B.theorem_4_1(every).value * (1 + Vf.RTOL)
    assert bad.any()
    brute = int(np.argmax(bad) + 1)
    confirmed = rl.verify(runs, ["theorem_4_1"], extend=T).iloc[0]
    assert confirmed.status == "violated" and confirmed.first_violation == brute
    assert "confirmed" in confirmed.detail and "predicted from T = 10000" in confirmed.detail


@pytest.fixture(scope="module")
def reddi_th2():
    L, s = _th2_adam()
    return rl.play(L, s, 10**6)


def test_theorem_2_family_is_a_predicted_violation_at_one_million(reddi_th2):
    """It was reported "holds" at T = 1e6 (R/bound = 0.12) although R/T -> 0.10 and the bound grows like sqrt(T)."""
    row = rl.verify(reddi_th2, ["theorem_4_1"]).iloc[0]
    assert row.status == "predicted violation" and row.growth == "linear"
    assert 6.5e7 < row.predicted_violation < 7.2e7  # the crossing measured at 6.74e7
    assert row.ratio == pytest.approx(0.123, abs=0.002) and pd.isna(row.first_violation)
    assert "after it" in row.detail and "beta1 -> 0 regime" in row.detail and "round 55" in row.detail


def test_theorem_2_family_confirmed_by_continuing_the_run(reddi_th2):
    row = rl.verify(reddi_th2, ["theorem_4_1"], extend=2 * 10**8).iloc[0]
    assert row.status == "violated" and row.first_violation == 67367220
    assert row.predicted_violation == pytest.approx(6.917e7, rel=0.01) and row["T"] > row.first_violation
    # the round found is a violation and the rounds just before it are not (an independent replay)
    f = int(row.first_violation)
    L, s = _th2_adam()
    near = rl.play(L, s, f, checkpoints=np.arange(f - 4000, f + 1), record_theta=False)
    bad = near.regret > B.theorem_4_1(near).value * (1 + Vf.RTOL)
    assert bad[-1] and not bad[:-1].any()


def test_a_prediction_beyond_the_budget_stays_predicted(reddi_th2):
    row = rl.verify(reddi_th2, ["theorem_4_1"], extend=2 * 10**7).iloc[0]
    assert row.status == "predicted violation" and "beyond the horizon budget" in row.detail


def test_momentum_round():
    """beta1_t = beta1 lam^(t-1) < 1e-16 beta1 from round 55 on at lam = 0.5 (THEORY.md: after about 53 rounds)."""
    assert Vf.momentum_round(0.5, 0.5) == 55
    assert 0.5 ** 54 < 1e-16 <= 0.5 ** 53
    for lam in (0.9, 0.99, 0.999, 1 - 1e-8):
        t = Vf.momentum_round(0.5, lam)
        assert lam ** (t - 1) < 1e-16 <= lam ** (t - 2), lam
    assert Vf.momentum_round(0.0, 0.5) is None and Vf.momentum_round(0.5, 1.0) is None


# ----------------------------------------------------------------------------- continuing a run

@pytest.mark.parametrize("make", [
    lambda: (REDDI_ADAM, rl.streams.reddi(C3), range(2)),
    lambda: (rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99, lam=0.99), rl.streams.random_sign(d=3), range(3)),
    lambda: (rl.OGD(alpha=0.3), rl.streams.switching_quadratic([[0.8, -0.5], [-0.6, 0.4]], 50), range(2)),
    lambda: (rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99), rl.streams.synthetic_logistic(3), range(2)),
], ids=["reddi", "signs", "switching", "logistic"])
def test_extended_runs_equal_fresh_runs_bit_for_bit(make):
    L, s, seeds = make()
    short = rl.play(L, s, 700, seeds=seeds)
    longer = short.extend(5000)
    again = longer.extend(9000, checkpoints=[6000, 7777])
    fresh = rl.play(L, s, 9000, seeds=seeds, checkpoints=again.t)
    assert again.T == 9000 and list(again.t[-3:]) == [6000, 7777, 9000]
    for name in ("regret", "loss", "best_loss", "best_gap", "theta", "best_theta"):
        np.testing.assert_array_equal(getattr(again, name), getattr(fresh, name), err_msg=name)
    for k in fresh.stats:
        np.testing.assert_array_equal(again.stats[k], fresh.stats[k], err_msg=k)
    for k in fresh.final:
        np.testing.assert_array_equal(again.final[k], fresh.final[k], err_msg=k)
    np.testing.assert_array_equal(short.regret, rl.play(L, s, 700, seeds=seeds).regret)  # the original is untouched
    one = short[1].extend(5000)
    np.testing.assert_array_equal(one.regret, longer.regret[1])
    with pytest.raises(ValueError, match="must exceed"):
        short.extend(700)


def test_extending_one_learner_of_a_batch():
    ls = [rl.Adam(alpha=a, beta1=0.0, beta2=0.1) for a in (0.1, 0.5)]
    batch = rl.play_many(ls, rl.streams.reddi(C3), 500, seeds=range(2))
    e = batch[1].extend(3000)
    np.testing.assert_array_equal(e.regret, rl.play(ls[1], rl.streams.reddi(C3), 3000, seeds=range(2),
                                                    checkpoints=e.t).regret)


# ----------------------------------------------------------------------------- vacuity

def test_the_papers_lambda_makes_the_bound_vacuous_not_holding():
    """Section 5 online at lambda = 1 - 1e-8: the bound is about 2e10 times G D T."""
    runs = rl.play(rl.Adam(alpha=0.5, beta1=0.9, beta2=0.99), rl.streams.periodic_linear(1010, 10, 101), 10**6)
    row = rl.verify(runs, ["theorem_4_1"]).iloc[0]
    assert row.status == "vacuous"
    assert row.vacuity == pytest.approx(row.bound_T / (1010 * 2 * 10**6), rel=1e-12) and row.vacuity > 1e10
    assert "stop being vacuous at about T = 2.0" in row.detail and "beyond 2^53" in row.detail
    assert row.predicted_violation > 1e20  # linear regret meets it, long after it stops being vacuous


@pytest.mark.parametrize("stream", [rl.streams.random_sign(d=2), rl.streams.reddi(C3),
                                    rl.streams.periodic_linear(20.0, 1.0, 20),
                                    rl.streams.stochastic_linear(1010, 10, 0.01)], ids=lambda s: s.name)
def test_no_bound_ever_holds_when_it_is_vacuous(stream):
    learners = [rl.Adam(alpha=0.2, beta1=0.9, beta2=0.99, lam=lam) for lam in (0.5, 0.99, 1 - 1e-8)] + \
        [rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.AMSGrad(alpha=0.2, beta1=0.9, beta2=0.99, lam=0.999),
         rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1), rl.OGD(alpha=0.5), rl.AdaGrad(alpha=1.0)]
    rows = pd.concat([rl.verify(rl.play(L, stream, 4000, seeds=range(4))) for L in learners], ignore_index=True)
    assert rows.status.isin(Vf.STATUSES).all()
    upper = rows[rows.bound_T.notna() & (rows.claim.isin(list(B.ALL))) & (rows.claim != "random_sign_lower")]
    trivial = stream.G * stream.domain.diameter_2 * 4000
    assert len(upper) > 10
    assert not ((upper.status == "holds") & (upper.bound_T >= trivial)).any()
    assert (upper[upper.bound_T >= trivial].status.isin(["vacuous", "violated"])).all()
    # the summary counts every status separately and adds up to the rows
    table = Vf.summarize(rows)
    assert list(table.columns) == list(Vf.STATUSES) + ["total"]
    assert (table[list(Vf.STATUSES)].sum(axis=1) == table["total"]).all()
    assert table["total"].sum() == len(rows)
    assert (table["total"] == rows.claim.value_counts().reindex(table.index)).all()


# ----------------------------------------------------------------------------- applicability

def test_lazy_adam_is_not_the_analysed_algorithm():
    runs = rl.play(rl.Adam(alpha=0.1, beta1=0.0, beta2=0.99, eps=0.0, lazy=True), rl.streams.sparse_linear(50, 3),
                   500, seeds=range(2))
    t = rl.verify(runs, ["theorem_4_1", "corollary_4_2", "lemma_10_4", "step_size"]).set_index("claim")
    assert (t.status == "not applicable").all()
    assert all(d.startswith("not the analysed algorithm (lazy=True") for d in t.detail)


def test_projections_must_be_the_analysed_ones():
    g = np.random.default_rng(0).normal(size=(400, 3))
    ball, box = rl.Ball(np.zeros(3), 1.0), rl.Box(-1, 1, d=3)
    for dom, applies in ((ball, False), (box, True)):
        s = rl.streams.linear(g, domain=dom)
        ams = rl.verify(rl.play(rl.AMSGrad(alpha=0.1, beta1=0.5, beta2=0.9, lam=0.9, projection="euclidean"), s, 400),
                        ["amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong"])
        ada = rl.verify(rl.play(rl.AdaGrad(alpha=0.5), s, 400), ["adagrad"])
        for t in (ams, ada):
            if applies:
                assert (t.status != "not applicable").all(), t.detail.tolist()
            else:
                assert (t.status == "not applicable").all()
                assert t.detail.str.startswith("not the analysed algorithm").all()
    weighted = rl.verify(rl.play(rl.AMSGrad(alpha=0.1), rl.streams.linear(g, domain=ball), 400), ["amsgrad_theorem_4"])
    assert weighted.status.iloc[0] != "not applicable"


def test_step_size_claim_is_about_algorithm_1():
    """It was "violated" (0.2017 vs 0.2) on the lambda = 0.9 theorem-setting variant."""
    s = rl.streams.random_sign(d=2)
    variant = rl.play(rl.Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0, lam=0.9), s, 10**4, seeds=range(4))
    assert variant.stats["max_step"][:, -1].max() > 0.2  # the variant does step past alpha
    row = rl.verify(variant, ["step_size"]).iloc[0]
    assert row.status == "not applicable" and "Algorithm 1" in row.detail
    alg1 = rl.play(rl.Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0, schedule="constant"), s, 10**4, seeds=range(4))
    assert rl.verify(alg1, ["step_size"]).status.iloc[0] == "holds"


# ----------------------------------------------------------------------------- the OGD bound (THEORY.md section 7)

def test_sum_inv_sqrt_is_exact():
    for n in (0, 1, 2, 10, 1024, 1025, 12345, 10**6):
        exact = math.fsum(1 / math.sqrt(s) for s in range(1, n + 1))
        assert B.sum_inv_sqrt(n) == pytest.approx(exact, rel=2e-15, abs=0), n


def test_orthogonal_gradients_attain_d_g_sqrt_t_and_the_constant_step_bound_is_tight():
    """g_t = G e_t from x_1 = (r/sqrt(T)) 1 on the ball of radius r, eta = D/(G sqrt(T)): every step
    reflects one coordinate and R(T) = D G sqrt(T), which is exactly the bound D^2/(2 eta) + G^2 eta T/2."""
    T, r, G = 64, 1.0, 1.5
    D = 2 * r
    s = rl.streams.linear(G * np.eye(T), domain=rl.Ball(np.zeros(T), r), x0=np.full(T, r / math.sqrt(T)))
    run = rl.play(rl.OGD(alpha=D / (G * math.sqrt(T)), schedule="constant"), s, T)
    assert run.regret[-1] == pytest.approx(D * G * math.sqrt(T), rel=1e-12)
    b = B.ogd(run)
    assert b.applicable and b.value[-1] == pytest.approx(D * G * math.sqrt(T), rel=1e-12)
    row = rl.verify(run, ["ogd"]).iloc[0]
    assert row.status in ("holds", "inconclusive") and row.ratio == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("n,pepit", [(2, 4.5000), (4, 6.8908), (8, 10.4497)])
def test_ogd_bound_is_above_pepits_certified_worst_cases(n, pepit):
    """eta_t = (D/G)/sqrt(t), D = 2, G = 1.5: the bound with the exact sum of eta_t is a valid upper bound
    on PEPit's certified worst case (and 3-7 % above it)."""
    D, G = 2.0, 1.5
    s = rl.streams.linear(G * np.eye(n), domain=rl.Ball(np.zeros(n), D / 2))
    b = B.ogd(rl.play(rl.OGD(alpha=D / G), s, n))
    expect = D * G * math.sqrt(n) / 2 + D * G / 2 * math.fsum(1 / math.sqrt(t) for t in range(1, n + 1))
    assert b.value[-1] == pytest.approx(expect, rel=1e-14)
    assert b.value[-1] >= pepit and b.value[-1] / pepit < 1.1


# ----------------------------------------------------------------------------- the reference value

def test_reference_value_is_a_multiple_comparison_corrected_test():
    """32 seeds of AdaGrad on random signs: the old |z| < 4 at every checkpoint raised a false alarm at t = 8."""
    runs = rl.play(rl.AdaGrad(alpha=2 ** 0.5), rl.streams.random_sign(d=4), 10**4, seeds=range(32))
    row = rl.verify(runs, ["random_sign_lower"]).iloc[0]
    assert row.status == "holds" and "threshold" in row.detail
    ref = B.random_sign_lower(runs)
    wrong = B.Bound("random_sign_lower", ref.t, ref.value * 2, {"x": ref.value * 2}, kind="reference")
    assert Vf.bound_verdict(runs, wrong)["status"] == "violated"
    few = rl.verify(rl.play(rl.OGD(), rl.streams.random_sign(), 1000, seeds=range(8)), ["random_sign_lower"]).iloc[0]
    assert few.status == "inconclusive" and "fewer than the 30" in few.detail


# ----------------------------------------------------------------------------- the table

def test_verify_columns_and_types():
    runs = rl.play(REDDI_ADAM, rl.streams.reddi(C3), 2000, seeds=range(2))
    t = rl.verify(runs)
    assert list(t.columns) == Vf.COLUMNS
    assert t.status.isin(Vf.STATUSES).all() and t.growth.isin(Vf.GROWTHS).all()
    assert str(t.first_violation.dtype) == "Int64"
    assert t.detail.map(lambda d: isinstance(d, str) and len(d) > 0).sum() >= len(t) - 2
    assert not t.status.str.contains(r"\d").any()  # plain words, never numbers inside
    with pytest.raises(ValueError, match="extend"):
        rl.verify(runs, extend=-5)
    with pytest.raises(ValueError, match="spread"):
        rl.verify(runs, spread="wide")


def test_docstring_examples_run():
    import doctest

    from regretlab import runs as runs_module

    for module in (S, Vf, runs_module, B):
        res = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert res.failed == 0 and (module is B or res.attempted > 0), module.__name__


def test_continuing_stops_at_the_time_budget(reddi_th2):
    row = rl.verify(reddi_th2, ["theorem_4_1"], extend=2 * 10**8, extend_seconds=0.2).iloc[0]
    assert row.status == "predicted violation" and "time budget (0.2 s) ran out" in row.detail
    assert 10**6 < row["T"] < row.predicted_violation


def test_no_crossing_is_predicted_past_the_streams_end():
    C, n = 8.0, 10**5
    g = np.where(np.arange(1, n + 1) % 8 == 1, C, -1.0)
    s = rl.streams.linear(g, domain=rl.Box(-1.0, 1.0, d=1), x0=[1.0])
    runs = rl.play(rl.Adam(alpha=0.5, beta1=0.3, beta2=0.9, lam=0.5), s, 10**4)
    row = rl.verify(runs, ["theorem_4_1"], extend=10**9).iloc[0]
    # the crossing predicted near 1.6e5 (test_first_violation_with_certified_skipping...) lies past the end
    assert row.status == "holds" and math.isnan(row.predicted_violation) and row["T"] == 10**4
    assert f"up to the stream's end ({n} rounds)" in row.detail


def test_cli_run_prints_statuses_with_rounds(capsys):
    from regretlab.cli import main

    args = ["run", "adam", "reddi", "--T", "1000", "--set", "alpha=0.5", "--set", "beta1=0.0", "--set", "beta2=0.1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "growth: linear" in out and "theorem_4_1            violated at round 135" in out
    assert main(["run", "adam", "periodic_linear", "--T", "30000", "--set", "alpha=0.5", "--set", "beta1=0.5",
                 "--set", "beta2=0.9", "--set", "lam=0.5", "--stream-set", "big=20.0", "--stream-set", "small=1.0",
                 "--stream-set", "period=20"]) == 0
    assert re.search(r"theorem_4_1 +predicted violation \(crossing predicted at about T = 6\.9\de\+07\)",
                     capsys.readouterr().out)
    assert main(["verify", "--extend-seconds", "-3", "--quick"]) == 2
    assert "--extend-seconds must be a positive number" in capsys.readouterr().err


def test_section5_online_is_linear_with_its_exact_slope_at_1e6_and_1e8():
    """It was "inconclusive" at 1e6 (power-law exponent 0.781) and still at 1e8 although s = 20/101."""
    runs = rl.play(rl.Adam(alpha=0.5, beta1=0.9, beta2=0.99), rl.streams.periodic_linear(1010, 10, 101), 10**6)
    for r in (runs, runs.extend(10**8)):
        g = S.growth(r.t, r.regret, stochastic=False)
        assert g.verdict == "linear", (r.T, g.detail)
        assert g.slope == pytest.approx(20 / 101, rel=0.02 if r.T == 10**6 else 0.002), r.T
    assert rl.stats.power_law_exponent(runs.t, runs.regret) < 0.8  # the biased statistic that misled


def test_lambda_effect_and_digits_intervals_are_honest():
    """lambda_effect reported an exponent interval excluding the truth; digits a bootstrap over 2 seeds."""
    runs = rl.play(rl.Adam(alpha=0.2, beta1=0.9, beta2=0.99, eps=0.0), rl.streams.random_sign(d=2), 10**5,
                   seeds=range(8))
    g = S.growth(runs.t, runs.regret, stochastic=True)
    assert g.slope_low < 0 < g.slope_high and g.verdict != "linear"
    pytest.importorskip("sklearn")
    digits = rl.play(rl.Adam(alpha=0.05, beta1=0.0, beta2=0.999, eps=0.0), rl.streams.digits(), 3000, seeds=range(2))
    g = S.growth(digits.t, digits.regret, stochastic=digits.stream.stochastic)
    assert digits.stream.stochastic and math.isnan(g.slope_low) and math.isnan(g.slope_high)


def test_adagrad_bound_includes_its_delta_term():
    """Without delta ||x* - x_1||^2/(2 eta) the bound was 'violated' at round 9 by AdaGrad with delta = 1000."""
    runs = rl.play(rl.AdaGrad(alpha=0.5, delta=1000.0), rl.streams.stochastic_linear(1, 1, 0.7), 10**5, seeds=range(2))
    b = B.adagrad(runs)
    assert b.terms["delta D^2/(2 eta)"][0, -1] == pytest.approx(1000.0 * 2.0 ** 2 / (2 * 0.5))
    assert rl.verify(runs, ["adagrad"]).status.iloc[0] in ("holds", "vacuous")
    assert "delta D^2/(2 eta)" not in B.adagrad(rl.play(rl.AdaGrad(alpha=0.5), rl.streams.reddi(), 100)).terms


def test_a_round_not_located_is_not_reported_as_the_first():
    runs = rl.play(REDDI_ADAM, rl.streams.reddi(C3), 1000)
    row = rl.verify(runs, ["theorem_4_1"], locate_rounds=0).iloc[0]
    assert row.status == "violated" and pd.isna(row.first_violation)
    assert "lies in [" in row.detail and "138" in row.detail
    obs = rl.verify(runs, ["theorem_4_1"], spread="observed").iloc[0]
    assert obs.status == "violated" and pd.isna(obs.first_violation) and "spread='observed'" in obs.detail


def test_checks_on_solver_streams_replay_without_the_comparator():
    """Lemma 10.3 fails for G_inf = 0.1 (THEORY.md section 3); locating it on a logistic stream must not solve a
    logistic regression at every replayed round."""
    import time

    runs = rl.play(rl.Adam(alpha=0.1, beta1=0.0, beta2=0.99), rl.streams.synthetic_logistic(3, scale=0.1), 3000)
    t0 = time.perf_counter()
    row = rl.verify(runs, ["lemma_10_3"]).iloc[0]
    assert time.perf_counter() - t0 < 5.0
    assert row.status == "violated" and row.first_violation >= 1
    every = rl.play(runs.learner, runs.stream, int(row.first_violation), checkpoints=np.arange(1, row.first_violation + 1))
    mask = B.lemma_10_3(every).mask[0]
    assert mask[-1] and not mask[:-1].any()


def test_verify_arguments_and_uncovered_learners():
    runs = rl.play(REDDI_ADAM, rl.streams.reddi(C3), 1000)
    assert list(rl.verify(runs, "theorem_4_1").claim) == ["theorem_4_1"]  # one claim as a string
    with pytest.raises(ValueError, match="locate_rounds"):
        rl.verify(runs, locate_rounds=-1)
    with pytest.raises(ValueError, match="Run, Runs"):
        rl.verify([runs, "x"])
    with pytest.raises(ValueError, match="seconds"):
        runs.extend(2000, seconds=float("nan"))
    rms = rl.play(rl.RMSProp(alpha=0.1), rl.streams.reddi(C3), 5000)
    row = rl.verify(rms, ["sublinear_regret"]).iloc[0]
    assert "no theorem here claims sublinear regret" in row.detail
    assert "no theorem" not in rl.verify(runs, ["sublinear_regret"]).detail.iloc[0]


def test_growth_refuses_linear_on_falling_regret_and_sublinear_on_a_bending_curve():
    """Two cases of the second review: a regret falling from 2589 to 3 over [1e4, 1e6] was called linear
    (s = 0.0083, share 222), and a curve whose slope went from 4.26 to -0.015 was called sublinear."""
    falling = rl.play(rl.OGD(alpha=1e-9, schedule="constant"),
                      rl.streams.periodic_quadratic(1.0, 31623, domain=rl.Box(-2, 2, d=1)), 10**6)
    assert falling.regret[-1] < falling.regret[np.searchsorted(falling.t, 10**4)]
    assert S.growth(falling.t, falling.regret, stochastic=False).verdict == "inconclusive"
    bend = rl.play(rl.OGD(alpha=3e-4, schedule="constant"),
                   rl.streams.quadratic(0.0, 1.0, domain=rl.Box(-100, 100, d=1), x0=[30.0]), 10**6, seeds=range(8))
    assert S.growth(bend.t, bend.regret, stochastic=True).verdict == "inconclusive"


def test_a_replayed_random_sequence_is_not_read_as_a_periodic_one():
    """A replayed sign sequence is deterministic but its regret is a random walk: the levels fit's
    standard error is widened by the residuals' autocorrelation (one of 40 was called linear before)."""
    verdicts = []
    for k in range(20):
        g = np.random.default_rng(k).choice([-1.0, 1.0], size=(200000, 1))
        r = rl.play(rl.OGD(alpha=1.0), rl.streams.linear(g, domain=rl.Box(-1, 1, d=1)), 200000)
        verdicts.append(S.growth(r.t, r.regret, stochastic=r.stream.stochastic).verdict)
    assert "linear" not in verdicts
