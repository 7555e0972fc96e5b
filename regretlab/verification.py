"""Verdicts a referee would sign (THEORY.md section 9).

:func:`verify` returns a pandas DataFrame with one row per claim x learner x
stream.  Its ``status`` is one of :data:`STATUSES`, plain words:

``holds``
    the bound holds at every checkpoint up to T, is not vacuous there, and the
    regret's growth does not predict a crossing;
``violated``
    R(t) exceeds the bound (beyond rounding); ``first_violation`` is the first
    violating *round*, found by replaying the game (:func:`locate`: every earlier round
    is checked or certified unable to violate); left empty, with a bracket in the
    detail, when the replay budget runs out first;
``vacuous``
    the bound is at or above G D T, the most regret any learner can have on this
    stream and domain: it cannot be violated at this horizon, which says nothing;
    the detail gives the factor and the horizon at which it would stop being vacuous;
``predicted violation``
    the regret grows linearly and the bound more slowly: the fitted regret meets the
    bound's extrapolation at ``predicted_violation``.  With ``extend`` the runs are
    continued (bit-identically) to the predicted round and the row ends ``violated``
    with the exact first round, or ``holds`` with the statement that the prediction failed;
``not applicable``
    the theorem's assumptions fail or the run is not of the analysed algorithm
    ("not the analysed algorithm (...)" in the detail): never a number;
``inconclusive``
    the evidence does not decide (R above the bound only within rounding, fewer seeds
    than an expected value needs, a growth not decided at this horizon); the detail
    says what would decide it.

Every row also carries the run's growth (``growth``: linear / sublinear / inconclusive,
from :func:`regretlab.stats.growth`) with the fitted ``slope`` s of R(t) = s t + b sqrt(t) + a
and its interval, and a ``detail`` sentence with the numbers a reader needs.
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import bounds as B
from . import stats as S

#: relative slack below which R > bound is attributed to rounding, not to the theorem
RTOL = 1e-9

HOLDS, VIOLATED, VACUOUS, PREDICTED, NOT_APPLICABLE, INCONCLUSIVE = (
    "holds", "violated", "vacuous", "predicted violation", "not applicable", "inconclusive")
#: every status a verdict can have, in the order summaries list them
STATUSES = (VIOLATED, PREDICTED, VACUOUS, HOLDS, INCONCLUSIVE, NOT_APPLICABLE)
#: the growth verdicts
GROWTHS = (S.LINEAR, S.SUBLINEAR, S.INCONCLUSIVE)

COLUMNS = ["claim", "learner", "stream", "status", "first_violation", "predicted_violation", "growth", "slope",
           "slope_low", "slope_high", "detail", "T", "n_seeds", "R_T", "bound_T", "ratio", "max_ratio", "vacuity",
           "dominant_term", "local_exponent", "R_over_T", "gamma_neg_fraction", "first_gamma_neg", "notes"]

#: the claim that regret grows sublinearly (judged from the regret curve alone, THEORY.md section 9)
GROWTH_CLAIM = "sublinear_regret"

#: rounds (times distinct seeds) that the replay locating a first violating round may record
LOCATE_ROUNDS = 2 ** 24
#: rounds per recorded block of the dense replay (times the seeds replayed)
_BLOCK = 2 ** 16
#: beta1_t below this fraction of beta1 counts as no momentum (THEORY.md section 9, Momentum)
MOMENTUM_FLOOR = 1e-16
#: the largest horizon a prediction is searched to (a prediction, not a game: may exceed 2^53)
_T_SEARCH = 1e30


def _fmt(x):
    return f"{x:.4g}"


def _round_fmt(x):
    x = float(x)
    return f"{int(x)}" if x < 1e6 else f"{x:.3e}"


# ----------------------------------------------------------------------------- pieces of a row

def _regret(runs):
    return runs._loss - runs._best_loss


def _base(runs, claim, g):
    R = _regret(runs)[:, -1]
    recorded = "gamma_neg" in runs._records and "first_gamma_neg" in runs._records
    gneg = runs._records["gamma_neg"][:, -1] if recorded else np.full(R.shape, np.nan)
    first = runs._records["first_gamma_neg"][:, -1] if recorded else np.zeros(R.shape)
    return {"claim": claim, "learner": repr(runs.learner), "stream": repr(runs.stream), "T": runs.T,
            "n_seeds": runs.n_seeds, "R_T": float(np.mean(R)), "R_over_T": float(np.mean(R) / runs.T),
            "growth": g.verdict, "slope": g.slope, "slope_low": g.slope_low, "slope_high": g.slope_high,
            "local_exponent": g.local_exponent,
            "gamma_neg_fraction": float(np.mean(gneg) / (runs.T * runs.d)),
            "first_gamma_neg": int(np.min(first[gneg > 0])) if np.any(gneg > 0) else None}


def momentum_round(beta1, lam, floor=MOMENTUM_FLOOR):
    r"""The first round t at which beta1_t = beta1 lam^(t-1) < floor * beta1 (THEORY.md section 9):
    floor(ln(floor)/ln(lam)) + 2.  From then on the run is Adam with beta1 = 0 to double precision.
    None when beta1 = 0 or lam >= 1 (no decay); 2 when lam = 0 (beta1_t = 0 from round 2)."""
    if beta1 == 0 or lam >= 1:
        return None
    if lam <= 0:
        return 2
    x = math.log(floor) / math.log(lam)
    return int(math.floor(x)) + 2


def _momentum_text(runs, name, at=None, predicted=False):
    """Which regime of beta1_t a violation (or a predicted one) lies in, for the Kingma & Ba bounds."""
    if name not in ("theorem_4_1", "corollary_4_2"):
        return ""
    L = runs.learner
    b1, lam = getattr(L, "beta1", 0.0), getattr(L, "lam", 1.0)
    if b1 == 0:
        return " beta1 = 0: no momentum at any round."
    tm = momentum_round(b1, lam)
    if tm is None:
        return ""
    bc = momentum_round(1.0, b1)  # beta1^t < 1e-16 from this round: the bias correction is then 1
    head = (f" beta1_t = beta1 lam^(t-1) falls below {MOMENTUM_FLOOR:g} beta1 from round {_round_fmt(tm)} on "
            f"(lam = {lam!r})" + (f"; the bias correction 1/(1 - beta1^t) stays above 1 + 1e-16 until round "
                                  f"{_round_fmt(bc)}" if bc is not None and bc > tm else ""))
    if at is None:
        return head + "."
    what = "the predicted violation" if predicted else "the violation"
    at_txt = _round_fmt(at) if predicted else f"{int(at):,}"
    if at >= tm:
        return (head + f"; {what} at round {at_txt} lies after it, where the run is Adam with beta1 = 0 (up to "
                "that bias correction): it refutes the theorem only in its beta1 -> 0 regime.")
    return head + f"; {what} at round {at_txt} lies within the momentum regime."


def _solve_first(f, t0, t1=_T_SEARCH, n=4000):
    """The first t in (t0, t1] with f(t) >= 0 (f continuous, vectorised), by a log grid and bisection; None if none."""
    from scipy.optimize import brentq

    if t1 <= t0:
        return None

    n = n if t1 / t0 > 10 else max(64, int(n * math.log10(t1 / t0)))
    grid = np.logspace(math.log10(t0), math.log10(t1), n)[1:]
    v = f(grid)
    hit = np.flatnonzero(np.isfinite(v) & (v >= 0))
    if hit.size == 0:
        return None
    j = int(hit[0])
    lo = t0 if j == 0 else grid[j - 1]
    hi = grid[j]
    if f(np.array([lo]))[0] >= 0:
        return float(lo)
    return float(brentq(lambda x: float(f(np.array([x]))[0]), lo, hi, xtol=1e-6 * hi, rtol=1e-12))


def predict_crossing(g, bound, slope=None, horizon=None):
    """The round at which the fitted regret s t + b sqrt(t) + a meets the bound's extrapolation
    (the mean over seeds), searched beyond T up to ``horizon`` (a stream's length; default 1e30);
    None when it never does."""
    ext = bound.extrapolation()
    s = g.slope if slope is None else slope

    def f(t):
        return g.extrapolate(t, s) - ext(t).mean(axis=0)

    T = float(bound.t[-1])
    end = _T_SEARCH if horizon is None else float(horizon)
    if not math.isfinite(s) or end <= T:
        return None
    return _solve_first(f, T, end)


def _vacuity_horizon(bound, runs, spread):
    """The horizon from which the bound's extrapolation falls below G D t (None: never before 1e30 or the
    stream's end)."""
    triv, G, D = B.trivial_bound(runs, spread)
    if triv is None:
        return None
    Gv = G if G is not None else float(np.max(runs._field("max_g_2", "verify")[:, -1]))
    GD = float(np.min(Gv * np.asarray(D, dtype=float)))
    ext = bound.extrapolation()
    end = _T_SEARCH if runs.stream.horizon is None else float(runs.stream.horizon)
    return _solve_first(lambda t: GD * t - ext(t).max(axis=0), float(bound.t[-1]), end)


def _playable(x):
    """A note for a predicted round a run cannot reach."""
    return " (beyond 2^53, the largest horizon a run can play)" if x > 2.0 ** 53 else ""


def _distinct_seeds(runs):
    """Positions of one seed per distinct regret curve (identical curves are one run)."""
    _, idx = np.unique(_regret(runs), axis=0, return_index=True)
    return np.sort(idx)


def _first_checkpoint(runs, mask):
    return int(runs.t[int(np.min(np.where(mask.any(axis=0))[0]))])


def _bound_mask(runs, bound):
    R = _regret(runs)
    V = np.atleast_2d(bound.value)
    with np.errstate(invalid="ignore"):
        return np.isfinite(R) & np.isfinite(V) & (R > V + RTOL * np.maximum(1.0, np.abs(V)))


_STEP = 4096  # rounds between the records of the sparse pass
_SEGMENT = 2 ** 20  # rounds per segment of the sparse pass (one state copy each)


def _uncovered(a_t, a_L, a_R, ts, L, R, GD):
    """The stretches of rounds strictly between consecutive recorded rounds a_t < ts[0] < ts[1] < ...
    that no certificate covers, in order, as (lo, hi) pairs.

    Between recorded rounds a < b, the rounds t <= a + (L_a - R_a)/GD and t >= b - (L_a - R_b)/GD
    cannot violate (R moves by at most G D per round and the bound stays above L_a), for every seed:
    ``L``, ``R`` (n, m) at ``ts``; ``a_L``, ``a_R`` (n,) at a_t; None (no certificate) covers nothing."""
    ts = np.asarray(ts, dtype=np.int64)
    prev_t = np.concatenate([[a_t], ts[:-1]]).astype(np.int64)
    lo, hi = prev_t + 1, ts - 1
    if GD is not None and a_L is not None and L is not None and R is not None:
        pL = np.concatenate([np.asarray(a_L, dtype=float)[:, None], L[:, :-1]], axis=1)
        pR = np.concatenate([np.asarray(a_R, dtype=float)[:, None], R[:, :-1]], axis=1)
        gap = (ts - prev_t).astype(float)
        with np.errstate(invalid="ignore", over="ignore"):
            fwd = np.floor((pL - pR) / GD)
            back = np.floor((pL - R) / GD)
        fwd = np.clip(np.min(np.where(np.isfinite(fwd), fwd, -1.0), axis=0), -1.0, gap).astype(np.int64)
        back = np.clip(np.min(np.where(np.isfinite(back), back, -1.0), axis=0), -1.0, gap).astype(np.int64)
        lo = np.maximum(lo, prev_t + fwd + 1)
        hi = np.minimum(hi, ts - back - 1)
    keep = np.flatnonzero(hi >= lo)
    return [(int(lo[j]), int(hi[j])) for j in keep]


class _Budget:
    """Rounds (times seeds) a replay may still record one by one."""

    def __init__(self, rounds):
        self.left = rounds


def _replay_span(scan, runs, idx, t0, t_end, prev, check_fn, needs_regret, GD, budget, t_c):
    """Check rounds t0 .. t_end of a replay whose game is at most at round t0 (played on from there),
    the rounds before t0 being checked or certified (``prev``: (round, L, R) of the last recorded round
    before t0, or None when t0 = 1); t_c >= t_end violates.  Returns ('found', (round, how, reached,
    seen)) as :func:`locate` does, or ('clean', prev) for the next span."""
    from .game import Scan as _Scan

    n = idx.size
    while t0 <= t_end:
        seg_end = min(t0 + _SEGMENT - 1, t_end)
        saved = scan.game.copy()
        ck = np.arange(t0 + _STEP - 1, seg_end, _STEP, dtype=np.int64)
        ck = np.unique(np.concatenate([[t0] if prev is None else [], ck, [seg_end]])).astype(np.int64)
        blk = scan.records(ck, needs_regret)
        bad, L, R = check_fn(blk)
        hit = int(np.argmax(bad.any(axis=0))) if bad.any() else None
        last = ck.size if hit is None else hit + 1
        certify = GD is not None and L is not None and R is not None
        if prev is None:
            a_t, a_L, a_R, first = int(ck[0]), (L[:, 0] if certify else None), (R[:, 0] if certify else None), 1
        else:
            (a_t, a_L, a_R), first = prev, 0
        todo = _uncovered(a_t, a_L if certify else None, a_R, ck[first:last], L[:, first:last] if certify else None,
                          R[:, first:last] if certify else None, GD) if last > first else []
        if todo:
            dense = _Scan(runs, idx, game=saved)
            for lo, hi in todo:
                dense.skip_to(lo)
                for u in range(lo, hi + 1, _BLOCK):
                    v = min(u + _BLOCK - 1, hi)
                    left = budget.left // n
                    if left <= 0:  # out of budget: what is checked so far brackets the first violation
                        return "found", (None, "bracket", u, int(ck[hit]) if hit is not None else t_c)
                    v = min(v, u + left - 1)
                    budget.left -= (v - u + 1) * n
                    blk_d = dense.block(v, needs_regret)
                    bad_d = check_fn(blk_d)[0]
                    if bad_d.any():
                        return "found", (int(blk_d.t[int(np.argmax(bad_d.any(axis=0)))]), "every round", None, None)
                    if v < min(u + _BLOCK - 1, hi):
                        return "found", (None, "bracket", v + 1, int(ck[hit]) if hit is not None else t_c)
        if hit is not None:
            return "found", (int(ck[hit]), "every round", None, None)
        j = last - 1
        prev = (int(ck[j]), L[:, j] if certify else None, R[:, j] if certify else None)
        t0 = seg_end + 1
    return "clean", prev


def locate(runs, check_fn, mask, budget=LOCATE_ROUNDS, GD=None, needs_regret=True):
    """The first violating round of a claim whose violations at the checkpoints are ``mask``.

    ``check_fn(r)`` evaluates the claim on a Runs ``r`` and returns ``(bad, L, R)`` per seed
    and recorded round: the violations, and (for a bound; else None) a lower bound L on the
    claim's right side at every *later* round (the part of the bound that never decreases)
    and the left side R (the regret).  ``GD`` bounds how much R can change in one round
    (|R(t+1) - R(t)| <= G D for convex losses).

    The game is replayed (one seed per distinct curve) in segments: a sparse pass records every
    4096th round; between two recorded rounds a < b, the rounds t <= a + (L_a - R_a)/GD and
    t >= b - (L_a - R_b)/GD provably cannot violate (R moves by at most G D per round and the bound
    stays above L_a), and the rest are replayed from a copy of the state and checked round by
    round.  Every round up to the first violating checkpoint is thus checked or certified: the
    round found is the first violating round.

    Runs continued with anchors (``continue_runs(..., anchors=True)``, as :func:`verify` continues
    them) carry the records of the rounds their game stopped at and copies of the state after
    them.  Those rounds are checked first; the stretch between two of them that the certificate
    covers whole is not replayed, and a stretch that it does not is replayed from the latest state
    copy before it instead of from round 1, with the same checks: the round found is the same.

    ``needs_regret=False`` (a claim on the run's statistics only: the step size, the lemmas)
    replays without computing the comparator, which for solver-based loss families is the
    costly part.

    Returns (round, how, reached, seen): how is ``"every round"`` (``round`` is the first
    violating round), or ``"bracket"`` when the budget of rounds recorded one by one (times the
    seeds) ran out: ``round`` is then None, no round before ``reached`` violates and round
    ``seen`` does, so the first violating round lies in [reached, seen].
    """
    from .game import Scan as _Scan

    t_c = _first_checkpoint(runs, mask)
    idx = _distinct_seeds(runs)
    left = _Budget(budget)
    # the anchors before t_c (a violating anchor lowers t_c to it): spans (a_k, a_k+1] between them
    ends, certs, anchors = [t_c], [None], None
    if runs._anchors is not None:
        anchors = runs._anchors.before(t_c).select(idx)
    if anchors is not None and anchors.rounds.size:
        a_runs = _anchor_runs(runs, idx, anchors, needs_regret)
        bad, L, R = check_fn(a_runs)
        m = anchors.rounds.size
        if bad.any():
            m = int(np.argmax(bad.any(axis=0)))
            t_c = int(anchors.rounds[m])
        certify = GD is not None and L is not None and R is not None
        ends = [int(x) for x in anchors.rounds[:m]] + [t_c]
        certs = [None] + [(ends[k], L[:, k] if certify else None, R[:, k] if certify else None) for k in range(m)]
        if certify and m > 1:  # the spans between two anchors that the certificate covers whole
            gaps = _uncovered(ends[0], L[:, 0], R[:, 0], anchors.rounds[1:m], L[:, 1:m], R[:, 1:m], GD)
            open_ends = {int(anchors.rounds[np.searchsorted(anchors.rounds, hi, side="left")]) for _, hi in gaps}
        else:
            open_ends = set(ends)
    scan = _Scan(runs, idx)
    start = 1
    for k, (end, prev) in enumerate(zip(ends, certs)):
        if k + 1 < len(ends) and k > 0 and end not in open_ends:
            start = end + 1
            continue
        if k > 0 and scan.game.t < start:
            at = anchors.state_after(scan.game.t - 1, start)
            if at is not None:
                scan = _Scan(runs, idx, game=at[1])
        kind, out = _replay_span(scan, runs, idx, start, end, prev, check_fn, needs_regret, GD, left, t_c)
        if kind == "found":
            return out
        start = end + 1
    return t_c, "every round", None, None


def _anchor_runs(runs, idx, anchors, needs_regret):
    """A Runs of the distinct seeds ``idx`` over the anchors' rounds (the state after the last one)."""
    rec = anchors.rec
    game = anchors.state(anchors.rounds.size - 1)
    named = game.named(rec)
    return type(runs)._from_kernel(runs.learner, runs.stream, int(anchors.rounds[-1]), runs._seeds[idx],
                                   anchors.rounds, runs.x0, rec.loss, named, rec.suff, None, game, keep_game=False,
                                   with_comparator=needs_regret)


def _bound_check_fn(fn, spread):
    """(violations, non-decreasing part of the bound, regret) of a bound on a Runs."""
    def check(r):
        b = fn(r, spread=spread)
        return _bound_mask(r, b), b.nondecreasing_part(), _regret(r)

    return check


def _increment_bound(runs):
    """G D: the largest possible growth of the regret in one round (None when unknown).
    R(t+1) - R(t) <= f_{t+1}(theta_{t+1}) - min f_{t+1} <= ||g_{t+1}||_2 D for convex losses."""
    s = runs.stream
    G = s.G if s.G is not None else (math.sqrt(s.d) * s.G_inf if s.G_inf is not None else None)
    D = s.domain.diameter_2
    if G is None or not math.isfinite(D):
        return None
    return G * D if G * D > 0 else None


#: recorded rounds a replay may spend on a loss family whose comparator is a solver (one solve per round)
LOCATE_ROUNDS_SOLVER = 2 ** 11


def _where_text(first, how, reached=None, seen=None):
    if how == "every round":
        return f"first violating round {int(first):,} (every earlier round checked or certified)"
    if how == "observed":
        return (f"first violating checkpoint {int(seen):,}; the round is not located: with spread='observed' the "
                "bound uses the whole run's spread")
    return (f"the first violating round lies in [{int(reached):,}, {int(seen):,}]: round {int(seen):,} violates and no "
            "earlier round up to the first one reached by the replay budget does")


def _locate_budget(runs, budget, needs_regret):
    if needs_regret and runs.stream.family not in ("linear", "quadratic"):
        return min(budget, LOCATE_ROUNDS_SOLVER)
    return budget


# ----------------------------------------------------------------------------- rows

def bound_verdict(runs, bound, g=None, *, spread="domain", locate_budget=LOCATE_ROUNDS):
    """One row for an upper bound or a reference value (see the module docstring for the statuses)."""
    if g is None:
        g = S.growth(runs.t, _regret(runs), stochastic=runs.stream.stochastic)
    row = _base(runs, bound.name, g)
    row["notes"] = "; ".join(bound.notes)
    if not bound.applicable:
        row["status"] = NOT_APPLICABLE
        row["detail"] = "; ".join(bound.reasons)
        return row
    R = _regret(runs)
    V = np.atleast_2d(bound.value)
    row["bound_T"] = float(np.mean(V[:, -1]))
    row["dominant_term"] = bound.dominant_term()
    if bound.kind == "reference":
        return _reference_row(runs, bound, row, R, V)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = R / V
    row["max_ratio"] = float(np.nanmax(ratio)) if np.any(np.isfinite(ratio)) else math.nan
    row["ratio"] = float(np.mean(R[:, -1]) / np.mean(V[:, -1])) if np.mean(V[:, -1]) != 0 else math.nan
    viol = _bound_mask(runs, bound)
    near = np.isfinite(R) & (R > V) & ~viol
    triv, G, D = B.trivial_bound(runs, spread)
    name = bound.name
    numbers = f"R(T) = {_fmt(row['R_T'])}, bound {_fmt(row['bound_T'])} (R/bound = {_fmt(row['ratio'])})"
    if triv is not None:
        factor = float(np.min(V[:, -1] / np.atleast_2d(triv)[:, -1]))
        row["vacuity"] = factor
    if viol.any():
        fn = B.ALL[name]
        if spread == "observed":
            first, how, reached, seen = None, "observed", None, _first_checkpoint(runs, viol)
        else:
            first, how, reached, seen = locate(runs, _bound_check_fn(fn, spread), viol,
                                               _locate_budget(runs, locate_budget, True), _increment_bound(runs))
        row["status"] = VIOLATED
        row["first_violation"] = first
        row["detail"] = (f"violated: {_where_text(first, how, reached, seen)}; max R/bound = "
                         f"{_fmt(row['max_ratio'])}; {numbers}." + _momentum_text(runs, name, first or seen))
        return row
    horizon = runs.stream.horizon
    crossing = predict_crossing(g, bound, horizon=horizon) if g.verdict == S.LINEAR else None
    if crossing is not None:
        crossing = float(_ceil_round(crossing))
    if triv is not None and np.all(V[:, -1] >= np.atleast_2d(triv)[:, -1]):
        row["status"] = VACUOUS
        Gtxt = f"G = {_fmt(G)}" if G is not None else "G = the largest ||g_t|| this run saw"
        who = "any learner" if G is not None else "this run"
        stop = _vacuity_horizon(bound, runs, spread)
        end = f"the stream's end ({horizon} rounds)" if horizon is not None else "1e30"
        stop_txt = (f"it would stop being vacuous at about T = {_round_fmt(stop)}{_playable(stop)}"
                    if stop is not None else f"it stays vacuous up to {end}")
        row["detail"] = (f"vacuous: the bound {_fmt(row['bound_T'])} is {_fmt(factor)} times G D T = "
                         f"{_fmt(float(np.mean(np.atleast_2d(triv)[:, -1])))} ({Gtxt}, D = "
                         f"{_fmt(float(np.mean(D)))}), the most regret {who} can have: it cannot be violated "
                         f"at T = {runs.T}; {stop_txt}" +
                         (f"; the regret grows linearly and would meet it at about T = {_round_fmt(crossing)}"
                          f"{_playable(crossing)}" if crossing is not None else "") + "." + _momentum_text(runs, name))
        if crossing is not None:
            row["predicted_violation"] = _ceil_round(crossing)
        return row
    if near.any():
        row["status"] = INCONCLUSIVE
        row["detail"] = f"R exceeds the bound only within rounding (relative {RTOL:g}); {numbers}."
        return row
    if crossing is not None:
        row["status"] = PREDICTED
        row["predicted_violation"] = _ceil_round(crossing)
        rng = _crossing_range(g, bound, horizon)
        row["detail"] = (f"predicted violation: the regret grows linearly (s = {_fmt(g.slope)}) and the bound like "
                         f"{_growth_words(bound)}; the fitted regret meets the bound's extrapolation at about "
                         f"T = {_round_fmt(crossing)}{_playable(crossing)}{rng}; holds up to T = {runs.T}: {numbers}." +
                         _momentum_text(runs, name, crossing, predicted=True))
        return row
    early = _ratio_at(runs, R, V, runs.T / 100.0)
    if g.verdict == S.INCONCLUSIVE and math.isfinite(early) and early > 0 and row["ratio"] > 1.5 * early:
        row["status"] = INCONCLUSIVE
        row["detail"] = (f"holds up to T = {runs.T} ({numbers}) but R/bound rose from {_fmt(early)} at T/100, and the "
                         f"regret's growth is not decided: {g.decide or 'a longer run would decide it'}.")
        return row
    row["status"] = HOLDS
    if g.verdict == S.LINEAR:
        tail = ("the regret grows linearly, and the bound's extrapolation stays above the fitted regret up to "
                + (f"the stream's end ({horizon} rounds)" if horizon is not None else "1e30"))
    else:
        tail = {S.SUBLINEAR: "the regret grows sublinearly",
                S.INCONCLUSIVE: "the regret's growth is not decided"}[g.verdict]
    row["detail"] = f"holds at every checkpoint up to T = {runs.T}: max R/bound = {_fmt(row['max_ratio'])}; {numbers}; {tail}."
    return row


def _ceil_round(x):
    return int(min(math.ceil(x), 2 ** 63 - 1)) if x < 9.2e18 else float(x)


def _growth_words(bound):
    forms = set()
    for k, v in bound.terms.items():
        if float(np.max(np.atleast_2d(v)[:, -1])) <= 0:
            continue
        f = bound.forms.get(k, "sqrt")
        if isinstance(f, tuple):  # ("geometric_sqrt", mu): like t^(3/2) until about 1/mu rounds, then constant
            f = "t^1.5" if f[1] * float(bound.t[-1]) < 1 else "const"
        forms.add(f)
    order = ["t^1.5", "linear", "sqrt_log", "sqrt", "const"]
    words = {"t^1.5": "t^(3/2)", "linear": "t", "sqrt_log": "sqrt(t log t)", "sqrt": "sqrt(t)", "const": "a constant"}
    for f in order:
        if f in forms:
            return words[f]
    return "a constant"


def _crossing_range(g, bound, horizon=None):
    if not (math.isfinite(g.slope_low) and math.isfinite(g.slope_high)) or g.slope_low <= 0:
        return ""
    lo = predict_crossing(g, bound, slope=g.slope_high, horizon=horizon)
    hi = predict_crossing(g, bound, slope=g.slope_low, horizon=horizon)
    if lo is None or hi is None:
        return ""
    return (f" ({_round_fmt(lo)} to {_round_fmt(hi)} over the slope's interval: where the fitted trends cross; "
            "oscillations of R and of the bound can bring the first violating round earlier)")


def _ratio_at(runs, R, V, t):
    j = int(np.searchsorted(runs.t, t))
    if j >= runs.t.size:
        return math.nan
    v = float(np.mean(V[:, j]))
    return float(np.mean(R[:, j]) / v) if v > 0 else math.nan


#: family-wise false-alarm rate of the reference test over its checkpoints
REFERENCE_LEVEL = 1e-3
#: fewest seeds for an expected value, and the first round tested (sums of signs are far from normal before)
REFERENCE_SEEDS, REFERENCE_FROM = 30, 100


def _reference_row(runs, bound, row, R, V):
    """An expected value the mean regret must match (THEORY.md section 7): a Student t test of the
    mean over seeds at every checkpoint t >= 100, Bonferroni-corrected over those checkpoints so that
    the whole test raises a false alarm with probability at most :data:`REFERENCE_LEVEL`."""
    from scipy.stats import t as student

    n = R.shape[0]
    mean = R.mean(axis=0)
    row["max_ratio"] = float(mean[-1] / V[0, -1])
    row["ratio"] = row["max_ratio"]
    if n < REFERENCE_SEEDS:
        row["status"] = INCONCLUSIVE
        row["detail"] = (f"{n} seeds are fewer than the {REFERENCE_SEEDS} an expected value needs; mean R(T) = "
                         f"{_fmt(float(mean[-1]))} against E R(T) = {_fmt(float(V[0, -1]))} (ratio {_fmt(row['ratio'])}).")
        return row
    sel = runs.t >= min(REFERENCE_FROM, int(runs.t[-1]))
    se = R[:, sel].std(axis=0, ddof=1) / math.sqrt(n)
    diff = mean[sel] - V[0, sel]
    with np.errstate(divide="ignore", invalid="ignore"):
        # zero spread: the values must then agree to rounding
        z = np.where(se > 0, diff / se, np.where(np.abs(diff) <= 1e-12 * np.maximum(1.0, np.abs(V[0, sel])), 0.0,
                                                 np.inf))
    m = int(sel.sum())
    q = float(student.ppf(1.0 - REFERENCE_LEVEL / (2 * m), n - 1))
    zmax = float(np.nanmax(np.abs(z)))
    numbers = (f"mean R(T) = {_fmt(float(mean[-1]))} against E R(T) = {_fmt(float(V[0, -1]))} (ratio "
               f"{_fmt(row['ratio'])}); max |t| = {zmax:.2f} over the {m} checkpoints t >= {int(runs.t[sel][0])}, "
               f"threshold {q:.2f} ({n} seeds, family-wise level {REFERENCE_LEVEL:g})")
    if zmax <= q:
        row["status"] = HOLDS
        row["detail"] = f"the mean regret matches the exact expectation; {numbers}."
    else:
        j = int(np.argmax(np.abs(z) > q))
        row["status"] = VIOLATED
        row["detail"] = (f"the mean regret departs from the exact expectation at checkpoint t = "
                         f"{int(runs.t[sel][j])} (t statistic {float(z[j]):.2f}); {numbers}.")
    return row


def check_verdict(runs, check, g=None, *, locate_budget=LOCATE_ROUNDS, fn=None):
    """One row for a claim of the paper other than a bound (proof assumption, step size, lemmas).

    ``fn`` is the check function of :data:`regretlab.bounds.CHECKS` that gave ``check`` (one
    function may give several rows, e.g. both forms of Lemma 10.4): it is run again on blocks of
    rounds to locate the first violating round."""
    if g is None:
        g = S.growth(runs.t, _regret(runs), stochastic=runs.stream.stochastic)
    row = _base(runs, check.name, g)
    row["detail"] = check.detail
    if check.lhs is not None:
        row["R_T"] = check.lhs
        row["bound_T"] = check.rhs
    st = check.status
    if st == "violated":
        row["status"] = VIOLATED
        if check.first_round is not None:
            row["first_violation"] = int(check.first_round)
        elif check.mask is not None:
            if fn is None:
                if check.name not in B.CHECKS:
                    raise ValueError(f"check_verdict: {check.name!r} is not a check of regretlab.bounds.CHECKS; pass "
                                     f"fn=, the check function that gave it, to locate its first violation")
                fn = B.CHECKS[check.name]

            def check_fn(blk):
                out = fn(blk)
                if isinstance(out, list):
                    out = next(c for c in out if c.name == check.name)
                bad = out.mask if out.mask is not None else np.zeros((blk.n_seeds, blk.t.size), bool)
                return bad, None, None

            first, how, reached, seen = locate(runs, check_fn, check.mask, locate_budget, needs_regret=False)
            row["first_violation"] = first
            row["detail"] = f"{_where_text(first, how, reached, seen)}; {check.detail}".rstrip("; ")
    elif st == "not applicable":
        row["status"] = NOT_APPLICABLE
    else:
        row["status"] = HOLDS if st == "holds" else INCONCLUSIVE
    return row


def growth_verdict(runs, g=None, claimed=None):
    """The claim of sublinear regret, R(t)/t -> 0 (Corollary 4.2's conclusion): holds when the growth is
    sublinear, violated when it is linear, inconclusive otherwise (with what would decide it).

    ``claimed``: whether some upper bound of :mod:`regretlab.bounds` applies to the run (so that a
    theorem claims sublinear regret for it); evaluated here when not given."""
    if g is None:
        g = S.growth(runs.t, _regret(runs), stochastic=runs.stream.stochastic)
    row = _base(runs, "sublinear_regret", g)
    row["status"] = {S.SUBLINEAR: HOLDS, S.LINEAR: VIOLATED, S.INCONCLUSIVE: INCONCLUSIVE}[g.verdict]
    decide = g.decide
    h = runs.stream.horizon
    if decide and h is not None and g.next_T is not None and g.next_T > h:
        decide = f"the stream ends at {h} rounds, so a longer run cannot decide it ({decide})"
    row["detail"] = g.detail + (f"; to decide: {decide}" if decide else "")
    if claimed is None:
        claimed = _claimed(runs, "domain", {})
    if not claimed:
        row["detail"] += ("; no bound of regretlab.bounds applies to this run, so no theorem here claims sublinear "
                          "regret for it: this row reports what the run does")
    return row


# ----------------------------------------------------------------------------- verify

def _bound(runs, name, spread, cache):
    """The bound ``name`` of ``runs``, evaluated once into ``cache``."""
    if name not in cache:
        cache[name] = B.evaluate(name, runs, spread)
    return cache[name]


def _claimed(runs, spread, cache):
    """Whether some upper bound applies to the run: then a theorem claims sublinear regret for it.
    A bound whose statistics the run did not record (``play(..., record="regret")``) claims nothing here."""
    def applies(n):
        try:
            return _bound(runs, n, spread, cache).applicable
        except ValueError:
            return False

    return any(applies(n) for n in B.upper())


def _rows_for(runs, names, spread, locate_budget):
    g = S.growth(runs.t, _regret(runs), stochastic=runs.stream.stochastic)
    rows = []
    bounds = {}
    for name in names:
        if name in B.ALL:
            b = _bound(runs, name, spread, bounds)
            rows.append(bound_verdict(runs, b, g, spread=spread, locate_budget=locate_budget))
        elif name == GROWTH_CLAIM:
            rows.append(growth_verdict(runs, g, _claimed(runs, spread, bounds)))
        else:  # a check gives one Check or several (lemma_10_4: its stated and end-of-proof forms)
            res = B.CHECKS[name](runs)
            rows.extend(check_verdict(runs, c, g, locate_budget=locate_budget, fn=B.CHECKS[name])
                        for c in (res if isinstance(res, list) else [res]))
    return rows


def _verify_one(runs, names, spread, extend, seconds, locate_budget):
    """Rows for one Runs, continuing it towards predicted crossings within the budget; (rows, final runs)."""
    t_start = time.perf_counter()
    T0 = runs.T
    rows = _rows_for(runs, names, spread, locate_budget)
    first_pred = {r["claim"]: r["predicted_violation"] for r in rows if _pending(r)}
    cur = runs
    stopped = None
    limit = None if extend is None else int(min(extend, 2 ** 53))
    if limit is not None and runs.stream.horizon is not None:
        limit = min(limit, int(runs.stream.horizon))
    for attempt in range(6):
        pending = [r for r in rows if _pending(r)]
        if not pending or limit is None:
            break
        if cur._game is None:
            stopped = "these runs carry no game state to continue (loaded, not played)"
            break
        within = [r["predicted_violation"] for r in pending if r["predicted_violation"] <= limit]
        if not within:
            stopped = "beyond"
            break
        target = int(min(limit, math.ceil(1.3 * max(within))))
        if target <= cur.T:
            stopped = (f"the runs already reach the horizon budget ({_round_fmt(limit)}) and the crossing moved "
                       "past what they show")
            break
        if attempt == 5:
            stopped = "the prediction kept moving after 5 continuations"
            break
        left = None if seconds is None else seconds - (time.perf_counter() - t_start)
        if left is not None and left <= 0:
            stopped = "time"
            break
        from .game import NonFiniteError, continue_runs

        try:
            nxt = continue_runs(cur, target, seconds=left, anchors=True)
        except NonFiniteError as exc:
            stopped = f"continuing the run failed: {exc}"
            break
        if nxt.T < target:
            stopped = "time"
        cur = nxt
        rows = _rows_for(cur, names, spread, locate_budget)
        if stopped == "time":
            break
    if cur is not runs or first_pred:
        _annotate(rows, first_pred, T0, cur, limit, seconds, stopped)
    if cur is not runs:  # the anchors served the replays above; the runs returned do not carry them
        cur._anchors = None
    return rows, cur


def _pending(row):
    """A row whose predicted crossing continuing the runs could confirm (vacuous bounds included:
    the crossing then lies past the horizon from which the bound stops being vacuous)."""
    pv = row.get("predicted_violation")
    return row["status"] in (PREDICTED, VACUOUS) and pv is not None and isinstance(pv, (int, float)) and \
        math.isfinite(pv) and pv <= 2 ** 53


def _annotate(rows, first_pred, T0, cur, limit, seconds, stopped):
    """Say, on each row that had a predicted crossing, what continuing the runs showed."""
    for r in rows:
        pv = first_pred.get(r["claim"])
        if pv is None:
            continue
        said = f"predicted from T = {T0} at about T = {_round_fmt(pv)}"
        if cur.T > T0:
            said += f"; the runs were continued to T = {cur.T}"
        if r["status"] == VIOLATED:
            r["detail"] = f"{said}; confirmed: {r['detail']}"
        elif r["status"] in (PREDICTED, VACUOUS):
            if stopped not in (None, "beyond", "time"):
                why = stopped
            elif stopped == "beyond" or (limit is not None and r["predicted_violation"] > limit):
                why = "the crossing lies beyond the horizon budget" + (f" ({_round_fmt(limit)})" if limit else "")
                if cur.stream.horizon is not None and limit == cur.stream.horizon:
                    why = f"the crossing lies beyond the stream's length ({cur.stream.horizon} rounds)"
            elif stopped == "time":
                why = f"the time budget ({seconds:g} s) ran out"
            else:
                why = "not continued (no extend budget given)"
            r["detail"] = f"{said}; {why}; {r['detail']}"
        elif r["status"] == HOLDS and cur.T >= pv:
            r["detail"] = f"{said}; the prediction failed: {r['detail']}"
        elif r["status"] == HOLDS and cur.T > T0:
            r["detail"] = f"{said}, short of the predicted round; {r['detail']}"
        else:
            r["detail"] = f"{said}; {r['detail']}"
        if r.get("predicted_violation") is None:
            r["predicted_violation"] = pv


def verify(runs, claims=None, *, spread="domain", extend=None, extend_seconds=None, locate_rounds=LOCATE_ROUNDS,
           return_runs=False):
    """Verdicts for every claim on every run (THEORY.md section 9).

    Parameters
    ----------
    runs : Run, Runs or a list of them
    claims : list of str, optional
        Bound names (``regretlab.bounds.ALL``) and checks (``regretlab.bounds.CHECKS``, and
        :data:`GROWTH_CLAIM`).  Default: all.
    spread : {"domain", "observed"}
        Diameters from the domain or from the iterates' spread.
    extend : int, optional
        The largest horizon the runs may be continued to when a bound is predicted to
        fail: the runs are continued (bit-identically to a fresh run of the longer
        horizon) to about 1.3 times the predicted round, re-examined, and continued again
        if the prediction moved, until the crossing is found, the prediction fails, or the
        budget is spent.  None (the default): never continue; the row then reads
        ``predicted violation``.
    extend_seconds : float, optional
        A wall-clock budget for continuing each run.
    locate_rounds : int
        Budget (rounds x distinct seeds) of the dense replay that locates a first
        violating round.
    return_runs : bool
        Also return the runs the verdicts were computed on (continued ones included).

    Returns
    -------
    pandas.DataFrame with the columns of :data:`COLUMNS` (and the list of runs with
    ``return_runs=True``).

    Examples
    --------
    >>> import regretlab as rl
    >>> runs = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 1000, seeds=range(2))
    >>> row = rl.verify(runs, ["theorem_4_1"]).iloc[0]
    >>> row.status, int(row.first_violation), row.growth
    ('violated', 135, 'linear')
    """
    import pandas as pd

    if not isinstance(runs, (list, tuple)):
        runs = [runs]
    if isinstance(claims, str):
        claims = [claims]
    known = list(B.ALL) + list(B.CHECKS) + [GROWTH_CLAIM]
    names = known if claims is None else list(claims)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown claim {unknown[0]!r}; valid: {sorted(B.ALL) + list(B.CHECKS) + [GROWTH_CLAIM]}")
    if spread not in ("domain", "observed"):
        raise ValueError(f"spread must be 'domain' or 'observed', got {spread!r}")
    from . import _validate as V

    if extend is not None:
        extend = V.integer("extend", extend, lo=1, hi=2 ** 53)
    if extend_seconds is not None:
        extend_seconds = V.real("extend_seconds", extend_seconds, 0.0, math.inf, lo_open=True, hi_open=True)
    from .runs import Runs

    locate_rounds = V.integer("locate_rounds", locate_rounds, lo=0)
    for r in runs:
        if not isinstance(r, Runs):
            raise ValueError(f"verify takes runs from rl.play (a Run, Runs or a list of them), got {r!r}")
    rows, finals = [], []
    for r in runs:
        rr, final = _verify_one(r, names, spread, extend, extend_seconds, locate_rounds)
        rows.extend(rr)
        finals.append(final)
    df = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = None
    df = df[COLUMNS]
    for c in ("first_violation", "first_gamma_neg", "T", "n_seeds"):
        df[c] = df[c].astype("Int64")
    df["predicted_violation"] = df["predicted_violation"].astype(float)
    return (df, finals) if return_runs else df


def summarize(verdicts, claims=None):
    """Counts of each status (one column per status of :data:`STATUSES`, plus ``total``), per claim.

    The counts of a row add up to ``total``, the number of verdict rows of that claim.
    """
    import pandas as pd

    v = verdicts if claims is None else verdicts[verdicts.claim.isin(claims)]
    table = pd.crosstab(v.claim, v.status).reindex(columns=list(STATUSES), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table


# ----------------------------------------------------------------------------- other claims of the paper

def invariance(learner, stream, T, scale, *, seed=0):
    r"""Kingma & Ba section 2.1: Adam's update is invariant to rescaling the gradients by a positive
    diagonal matrix (exactly so for eps = 0).

    Plays ``stream`` (a linear stream) and the same gradient sequence scaled by ``scale``
    and returns the largest relative difference between the two iterate paths.
    """
    from . import streams
    from .game import play

    if stream.family != "linear":
        raise ValueError(f"the invariance check replays a linear stream's gradients; {stream.name!r} is "
                         f"{stream.family}")
    scale = np.broadcast_to(np.asarray(scale, dtype=float), (stream.d,))
    if not np.all(scale > 0) or not np.all(np.isfinite(scale)):
        raise ValueError(f"scale must be positive and finite, got {scale.tolist()}")
    ck = np.arange(1, T + 1)
    base = play(learner, stream, T, seed=seed, checkpoints=ck, record_theta=True)
    grads = np.diff(np.concatenate([np.zeros((1, stream.d)), base.suff[:, :stream.d]]), axis=0)
    scaled = streams.linear(grads * scale, domain=stream.domain, x0=stream.x0)
    other = play(learner, scaled, T, checkpoints=ck, record_theta=True)
    a, b = base.theta_path, other.theta_path
    denom = np.maximum(np.abs(a), 1e-300)
    return float(np.max(np.abs(a - b) / denom))


def bias_correction_effect(stream, T, *, seeds=range(4), **adam):
    """Regret of Adam with and without bias correction on the same stream (beta2 near 1 is where it matters).

    Returns a dict with the final mean regrets and their ratio.
    """
    from .game import play
    from .learners import Adam

    with_bc = play(Adam(bias_correction="paper", **adam), stream, T, seeds=seeds)
    without = play(Adam(bias_correction="none", **adam), stream, T, seeds=seeds)
    a, b = float(np.mean(with_bc.regret[:, -1])), float(np.mean(without.regret[:, -1]))
    return {"R_with": a, "R_without": b, "ratio_without_over_with": b / a if a != 0 else math.nan,
            "runs": (with_bc, without)}


def reddi_demo(T=10**4, seeds=range(2)):
    """Reddi et al.'s Theorem 1 instance against Theorem 4.1, with AMSGrad and OGD as controls."""
    from . import streams
    from .game import play
    from .learners import OGD, Adam, AMSGrad

    C = 3.0
    s = streams.reddi(C=C)
    learners = [Adam(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C)),
                AMSGrad(alpha=0.5, beta1=0.0, beta2=1 / (1 + C * C)),
                OGD(alpha=0.5)]
    runs = [play(L, s, T, seeds=seeds) for L in learners]
    claims = {"Adam": ["theorem_4_1", "corollary_4_2", "proof_assumption", "step_size", "sublinear_regret"],
              "AMSGrad": ["amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong", "proof_assumption",
                          "sublinear_regret"],
              "OGD": ["ogd", "sublinear_regret"]}
    import pandas as pd

    return pd.concat([verify(r, claims[r.learner.name]) for r in runs], ignore_index=True)
