"""Replay anchors: the records and state copies a continued run keeps at the rounds its game stopped at,
from which ``verification.locate`` replays instead of from round 1 (issue 13, verify's time).

The round located must be the one the replay from round 1 finds (and, where it can be afforded, the one
the regret and the bound evaluated at every single round give); a replay from an anchor must play the game
bit for bit as the original did; the anchors must fit their byte budget and follow a seed's selection."""
import re

import numpy as np
import pandas as pd
import pytest

import regretlab as rl
from regretlab import bounds as B
from regretlab import verification as Vf
from regretlab.game import Scan, continue_runs
from regretlab.game import boundary as GB


def _th2(beta1=0.3, lam=0.5, big=8.0, period=8):
    return rl.Adam(alpha=0.5, beta1=beta1, beta2=0.9, lam=lam), rl.streams.periodic_linear(big, 1.0, period)


@pytest.fixture
def fine(monkeypatch):
    """Anchors every 512 trial-rounds, so that short runs have many and the certificates skip spans."""
    monkeypatch.setattr(GB, "ANCHOR_MIN_ROUNDS", 512)


def _spans(monkeypatch):
    """Record the spans locate replays: [(first round, last round)]."""
    seen = []
    orig = Vf._replay_span

    def spy(scan, runs, idx, t0, t_end, *a):
        seen.append((t0, t_end))
        return orig(scan, runs, idx, t0, t_end, *a)

    monkeypatch.setattr(Vf, "_replay_span", spy)
    return seen


def test_the_round_located_from_anchors_is_the_first_violating_round(fine, monkeypatch):
    """Theorem 4.1 is crossed after about 1.6e5 rounds: the round located from the anchors (spans certified
    whole are skipped, the others replayed from a state copy) is the brute-force first round."""
    L, s = _th2()
    runs = rl.play(L, s, 10**4)
    T = 260_000
    longer = continue_runs(runs, T, anchors=True)
    a = longer._anchors
    assert a is not None and a.rounds.size > 300 and np.all(np.diff(a.rounds) > 0)
    assert a.rounds[0] > runs.T and a.rounds[-1] == T
    spans = _spans(monkeypatch)
    row = rl.verify(longer, ["theorem_4_1"]).iloc[0]
    every = rl.play(L, s, T, checkpoints=np.arange(1, T + 1), record_theta=False)
    bad = every.regret > B.theorem_4_1(every).value * (1 + Vf.RTOL)
    brute = int(np.argmax(bad) + 1)
    assert row.status == "violated" and row.first_violation == brute
    replayed = sum(b - a_ + 1 for a_, b in spans)
    skipped = int(np.sum(a.rounds < brute)) + 1 - len(spans)
    assert spans[0][0] == 1 and skipped > 50 and replayed < 0.7 * brute  # spans certified whole from the anchors
    # verify continues with anchors itself, and the runs it returns do not carry them
    table, final = rl.verify(runs, ["theorem_4_1"], extend=T, return_runs=True)
    assert table.iloc[0].first_violation == brute and final[0].T > brute and final[0]._anchors is None
    # and the same row, word for word, from a replay of every round from round 1
    longer._anchors = None
    spans.clear()
    again = rl.verify(longer, ["theorem_4_1"]).iloc[0]
    assert spans == [(1, spans[0][1])]
    assert (again.first_violation, again.detail) == (row.first_violation, row.detail)


@pytest.mark.parametrize("case", ["seeds", "budget"])
def test_anchors_change_no_verdict(case, fine):
    """Several seeds with distinct curves (one replayed per curve), a replay budget that runs out (the
    bracket): every row with the anchors equals the row of the replay from round 1."""
    budget = Vf.LOCATE_ROUNDS
    if case == "seeds":
        L, s, seeds, claims = rl.Adam(alpha=0.05, beta1=0.0, beta2=0.1), rl.streams.reddi_stochastic(3.0, 0.5), \
            range(3), ["theorem_4_1", "corollary_4_2", "lemma_10_3"]
        T0, T = 1000, 20_000
    else:
        (L, s), seeds, claims = _th2(), range(1), ["theorem_4_1"]
        T0, T, budget = 10**4, 260_000, 3000
    runs = continue_runs(rl.play(L, s, T0, seeds=seeds), T, anchors=True)
    assert runs._anchors is not None and runs._anchors.rounds.size > 3
    with_anchors = rl.verify(runs, claims, locate_rounds=budget)
    runs._anchors = None
    without = rl.verify(runs, claims, locate_rounds=budget)
    assert (with_anchors.status == "violated").any(), with_anchors[["claim", "status"]]
    if case == "seeds":
        assert Vf._distinct_seeds(runs).size == 3 and with_anchors.first_violation.min() > T0
    if case != "budget":
        pd.testing.assert_frame_equal(with_anchors, without)
        return
    # the bracket [reached, seen]: the same rounds checked, and a violating anchor may close it sooner
    pd.testing.assert_frame_equal(with_anchors.drop(columns="detail"), without.drop(columns="detail"))
    (lo_a, hi_a), (lo_b, hi_b) = (tuple(int(x.replace(",", "")) for x in
                                        re.search(r"lies in \[([\d,]+), ([\d,]+)\]", d).groups())
                                  for d in (with_anchors.iloc[0].detail, without.iloc[0].detail))
    assert lo_a == lo_b and lo_a < hi_a <= hi_b
    at = rl.play(L, s, hi_a, checkpoints=[hi_a])
    assert at.regret[-1] > B.theorem_4_1(at).value[-1] * (1 + Vf.RTOL)  # round hi_a does violate


def test_a_replay_from_an_anchor_plays_the_game_bit_for_bit(fine):
    L, s = rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99, lam=0.99), rl.streams.random_sign(d=3)
    runs = rl.play(L, s, 1000, seeds=range(2))
    plain = continue_runs(runs, 40_000)
    held = continue_runs(runs, 40_000, anchors=True)
    for name in ("regret", "loss", "best_loss", "theta"):  # the anchors leave the runs as they were
        np.testing.assert_array_equal(getattr(held, name), getattr(plain, name), err_msg=name)
    for k in plain.stats:
        np.testing.assert_array_equal(held.stats[k], plain.stats[k], err_msg=k)
    assert plain._anchors is None
    a = held._anchors
    for k in (0, a.rounds.size // 2, a.rounds.size - 2):
        r0 = int(a.rounds[k])
        ck = np.arange(r0 + 1, r0 + 700, 7)
        from_anchor = Scan(held, game=a.state(k)).records(ck)
        from_start = Scan(held).records(ck)
        np.testing.assert_array_equal(from_anchor.regret, from_start.regret)
        for f in from_start.stats:
            np.testing.assert_array_equal(from_anchor.stats[f], from_start.stats[f], err_msg=f)
        # and the anchor's own records are the game's at that round
        at = Scan(held).records([r0])
        np.testing.assert_array_equal(a.rec.loss[:, k], at._loss[:, 0])
        np.testing.assert_array_equal(a.state(k).st.theta, Scan(held).records([r0]).theta)


def test_anchors_fit_their_budget_follow_a_seed_and_accumulate(fine, monkeypatch):
    L, s = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99), rl.streams.random_sign(d=4)
    runs = rl.play(L, s, 500, seeds=range(3))
    one = continue_runs(runs, 20_000, anchors=True)
    two = continue_runs(one, 60_000, anchors=True)  # the second continuation keeps the first one's anchors
    a1, a2 = one._anchors, two._anchors
    assert np.all(np.diff(a2.rounds) > 0) and a2.rounds[-1] == 60_000
    np.testing.assert_array_equal(a2.rounds[:a1.rounds.size], a1.rounds)
    per = GB.Anchors.bytes_per(two._game)
    assert a2.rounds.size * per <= GB.ANCHOR_BYTES
    # a seed's run holds that seed's anchors
    r1 = two[1]
    np.testing.assert_array_equal(r1._anchors.rec.loss, a2.rec.loss[1:2])
    np.testing.assert_array_equal(r1._anchors.state(0).st.theta, a2.state(0).st.theta[1:2])
    # a budget that holds 40 anchors keeps at most 40, the last at the horizon
    monkeypatch.setattr(GB, "ANCHOR_BYTES", 40 * per)
    thin = continue_runs(continue_runs(runs, 20_000, anchors=True), 60_000, anchors=True)._anchors
    assert 10 <= thin.rounds.size <= 40 and thin.rounds[-1] == 60_000 and len(thin.states) == thin.rounds.size
    # a game whose state alone exceeds the budget keeps none (and locate replays from round 1)
    monkeypatch.setattr(GB, "ANCHOR_BYTES", per - 1)
    assert continue_runs(runs, 20_000, anchors=True)._anchors is None
    # the public extend keeps none: a user's runs do not grow by the budget
    assert runs.extend(20_000)._anchors is None


@pytest.mark.parametrize("certified", [True, False], ids=["certificate", "no certificate"])
def test_a_threshold_claim_is_located_at_its_first_round_from_anchors(certified, fine):
    """A claim "R(t) > c" on a regret that rises and falls (OGD on random signs, 3 seeds), for many c:
    with its certificate (L = c, R moves by at most G D per round) and without one (every round replayed),
    from two continuations' anchors, against R at every single round; and with a small budget, a bracket
    that holds the first round and ends at a violating round."""
    L, s = rl.OGD(alpha=0.3), rl.streams.random_sign(d=2)
    T0, T = 300, 40_000
    runs = continue_runs(continue_runs(rl.play(L, s, T0, seeds=range(3)), 15_000, anchors=True), T, anchors=True)
    assert runs._anchors.rounds.size > 100
    every = rl.play(L, s, T, seeds=range(3), checkpoints=np.arange(1, T + 1), record_theta=False)
    R_all = every.regret.max(axis=0)  # a round violates when one seed's regret exceeds c
    GD = Vf._increment_bound(runs)
    assert GD is not None

    def claim(c):
        def check(r):
            R = Vf._regret(r)
            return R > c, (np.full(R.shape, float(c)) if certified else None), (R if certified else None)
        return check

    R_ck = Vf._regret(runs)
    levels = np.quantile(R_all[T0:], [0.5, 0.8, 0.9, 0.97, 0.995])
    tried = 0
    for c in levels:
        mask = R_ck > c
        if not mask.any():
            continue
        tried += 1
        brute = int(np.argmax(R_all > c) + 1)
        first, how, _, _ = Vf.locate(runs, claim(c), mask, GD=GD if certified else None)
        assert (first, how) == (brute, "every round"), c
        _, how, reached, seen = Vf.locate(runs, claim(c), mask, budget=600, GD=GD if certified else None)
        if how == "bracket":
            assert reached <= brute <= seen and R_all[seen - 1] > c
    assert tried >= 3


def _uncovered_by_hand(a_t, a_L, a_R, ts, L, R, GD):
    """The per-gap certificate, one gap at a time, from its derivation: R(t) <= R_a + (t - a) G D and
    R(t) <= R_b + (b - t) G D, so no round t with t - a <= (L_a - R_a)/(G D) or b - t <= (L_a - R_b)/(G D)
    can have R(t) > L_a (every seed; a non-finite margin certifies nothing)."""
    out = []
    for j, b in enumerate(ts):
        lo, hi = a_t + 1, int(b) - 1
        if a_L is not None:
            fwd = min(int(np.floor((a_L[i] - a_R[i]) / GD)) if np.isfinite((a_L[i] - a_R[i]) / GD) else -1
                      for i in range(len(a_L)))
            back = min(int(np.floor((a_L[i] - R[i, j]) / GD)) if np.isfinite((a_L[i] - R[i, j]) / GD) else -1
                       for i in range(len(a_L)))
            lo, hi = max(lo, a_t + fwd + 1), min(hi, int(b) - back - 1)
        if hi >= lo:
            out.append((lo, hi))
        a_t, a_L, a_R = int(b), (None if a_L is None else L[:, j]), (None if a_L is None else R[:, j])
    return out


def test_the_certificate_covers_exactly_the_rounds_it_proves():
    # a = 0 with L - R = 10, b = 30 with L_a - R_b = 10, G D = 1: rounds 1..10 and 20..29 are proved
    assert Vf._uncovered(0, [10.0], [0.0], [30], np.array([[10.0]]), np.array([[0.0]]), 1.0) == [(11, 19)]
    assert Vf._uncovered(0, [10.0], [0.0], [21], np.array([[10.0]]), np.array([[0.0]]), 1.0) == []
    assert Vf._uncovered(0, [9.999], [0.0], [21], np.array([[10.0]]), np.array([[0.0]]), 1.0) == [(10, 11)]
    assert Vf._uncovered(0, None, None, [5, 9], None, None, 1.0) == [(1, 4), (6, 8)]
    rng = np.random.default_rng(7)
    for _ in range(300):
        n, m = rng.integers(1, 4), rng.integers(1, 6)
        ts = np.cumsum(rng.integers(1, 40, m)) + 3
        L = rng.uniform(0, 30, (n, m))
        R = L - rng.uniform(-5, 25, (n, m))
        a_L, a_R = rng.uniform(0, 30, n), rng.uniform(-10, 30, n)
        if rng.random() < 0.2:
            R[rng.integers(n), rng.integers(m)] = rng.choice([np.nan, np.inf, -np.inf])
        GD = float(rng.choice([0.5, 1.0, 3.0]))
        with np.errstate(invalid="ignore"):
            want = _uncovered_by_hand(3, a_L, a_R, ts, L, R, GD)
        assert Vf._uncovered(3, a_L, a_R, ts, L, R, GD) == want
