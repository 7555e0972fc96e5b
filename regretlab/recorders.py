"""The statistics the bounds need, as compiled recorders the engine runs without knowing them.

Each recorder is a small ``NamedTuple`` spec registered with
:func:`regretlab.register_recorder`: per round it ``observe``-s the gradient and the iterate
(before the step) and the learner's step (``after_step``), and at each checkpoint it writes
its named fields (``snapshot``).  A run carries the recorders chosen by
``play(..., record=...)``:

* ``"bounds"`` (the default): :data:`BOUNDS`, every statistic a bound or claim of
  ``regretlab.bounds`` reads, so that ``verify`` never replays a run;
* ``"regret"``: none; the run records only the cumulative loss and the comparator's
  sufficient statistics (its regret curve), at the cost of the game alone;
* a tuple of recorder specs, built-in or user-registered.

Which bound reads which field (THEORY.md sections 3, 5 and 7, 10):

=====================  ==========================================  ==========================
recorder               fields                                      read by
=====================  ==========================================  ==========================
:class:`GradientNorms`  sum_g_norm, max_g_2, max_g_inf              every regret bound; G, G_inf
:class:`IterateRange`   spread_inf, spread_2; final theta_min,      ``spread="observed"`` (the
                        theta_max                                   final rows)
:class:`Preconditioner` sum_sqrt_vhat                               Theorem 4.1, AMSGrad, Tran-Phong
:class:`StepSizeGrowth` gamma_neg, first_gamma_neg, sum_beta1_h,    ``proof_assumption``, AMSGrad,
                        max_step                                    ``step_size``
:class:`Lemma103`       lemma_10_3_lhs                              ``lemma_10_3``
:class:`Lemma104`       lemma_10_4_lhs                              ``lemma_10_4``
=====================  ==========================================  ==========================
"""
from __future__ import annotations

import math
from typing import NamedTuple

from ._jit import inline
from ._registry import recorder_info, register_recorder


# ------------------------------------------------------------------ gradient norms

class GradientNorms(NamedTuple):
    """sum_i ||g_{1:t,i}||_2, max_s ||g_s||_2 and max_s ||g_s||_inf (THEORY.md section 3: the G, G_inf
    and sum_i ||g_{1:T,i}|| of Theorem 4.1; every regret bound reads them)."""

    tag: int = 0


@inline
def _gn_add(C, k, i, g, g2, ginf):
    """Coordinate i's g^2 into sum_g2 and ||g_t||^2, and |g| into ||g_t||_inf."""
    gg = g * g
    C[k, 0, i] += gg
    ag = abs(g)
    return g2 + gg, ag if ag > ginf else ginf


@inline
def _gn_fold(a, g2, ginf):
    """The running maxima of ||g_s||^2 and ||g_s||_inf with round t's."""
    maxg2, maxginf = a
    if g2 > maxg2:
        maxg2 = g2
    if ginf > maxginf:
        maxginf = ginf
    return (maxg2, maxginf)


def _gn_observe(spec, a, C, k, t, X, G):
    g2 = 0.0
    ginf = 0.0
    for i in range(G.shape[1]):
        g2, ginf = _gn_add(C, k, i, G[k, i], g2, ginf)
    return _gn_fold(a, g2, ginf)


def _gn_observe_touched(spec, a, C, k, t, X, G, H, IDX, m):
    # the untouched coordinates add g^2 = 0 and cannot raise a max; IDX is increasing, so the
    # non-zero terms of g2 are added in the dense loop's order
    g2 = 0.0
    ginf = 0.0
    for j in range(m):
        i = IDX[k, j]
        g2, ginf = _gn_add(C, k, i, G[k, i], g2, ginf)
    return _gn_fold(a, g2, ginf)


def _gn_snapshot(spec, a, C, k, X, V, out, c):
    sg = 0.0
    for i in range(C.shape[2]):
        sg += math.sqrt(C[k, 0, i])
    out[k, c, 0] = sg
    out[k, c, 1] = math.sqrt(a[0])
    out[k, c, 2] = a[1]


def _gn_observe_batch(spec, A, C, t, X, G, W):
    d, n = G.shape
    for k in range(n):
        W[0, k] = 0.0  # ||g_t||^2
        W[1, k] = 0.0  # ||g_t||_inf
    for i in range(d):
        for k in range(n):
            gg = G[i, k] * G[i, k]
            C[0, i, k] += gg
            W[0, k] += gg
            ag = abs(G[i, k])
            W[1, k] = ag if ag > W[1, k] else W[1, k]
    for k in range(n):
        A[0, k] = W[0, k] if W[0, k] > A[0, k] else A[0, k]
        A[1, k] = W[1, k] if W[1, k] > A[1, k] else A[1, k]


register_recorder(GradientNorms, fields=("sum_g_norm", "max_g_2", "max_g_inf"), n_acc=2, coords=("sum_g2",),
                  final={"sum_g2": "sum_g2"}, observe=_gn_observe, snapshot=_gn_snapshot,
                  sparse=True, observe_touched=_gn_observe_touched, observe_batch=_gn_observe_batch)


# ------------------------------------------------------------------ iterate ranges

class IterateRange(NamedTuple):
    """The per-coordinate range of theta_1 .. theta_t: its max (the exact l_inf diameter of the
    iterates, ``spread_inf``) and the l2 norm of the ranges (an upper bound of the l2 diameter,
    ``spread_2``); its final rows ``theta_min``, ``theta_max`` are what bounds evaluated with
    ``spread="observed"`` read."""

    tag: int = 0


@inline
def _ir_include(C, k, i, x):
    """theta_i = x into coordinate i's range (C used unconditionally: see learners._specialise)."""
    lo = C[k, 0, i]
    hi = C[k, 1, i]
    C[k, 0, i] = x if x < lo else lo
    C[k, 1, i] = x if x > hi else hi


def _ir_observe(spec, a, C, k, t, X, G):
    for i in range(X.shape[1]):
        _ir_include(C, k, i, X[k, i])
    return a


def _ir_observe_touched(spec, a, C, k, t, X, G, H, IDX, m):
    for j in range(m):
        i = IDX[k, j]
        _ir_include(C, k, i, X[k, i])
    return a


def _ir_sync(spec, a, C, k, X, H, V, IDX, m):
    # At a checkpoint after round t the dense loop has observed theta_s for every s <= t.  A
    # coordinate last touched at round a < t took its value theta_{a+1} = ... = theta_{t+1} then,
    # which the touched observations have not seen: include it.  The coordinates round t touched
    # (IDX[k, :m], increasing) have theta_{t+1} != theta_t in general and the dense loop has not
    # observed theta_{t+1}: skip them.
    q = 0
    for i in range(X.shape[1]):
        if q < m and IDX[k, q] == i:
            q += 1
            continue
        _ir_include(C, k, i, X[k, i])
    return a


def _ir_snapshot(spec, a, C, k, X, V, out, c):
    d = C.shape[2]
    dinf = 0.0
    for i in range(d):
        w = C[k, 1, i] - C[k, 0, i]
        if w > dinf:
            dinf = w
    d2 = 0.0  # the l2 norm of the ranges, scaled by their max so that huge iterates do not overflow it
    if dinf > 0.0:
        for i in range(d):
            w = (C[k, 1, i] - C[k, 0, i]) / dinf
            d2 += w * w
    out[k, c, 0] = dinf
    out[k, c, 1] = dinf * math.sqrt(d2)


def _ir_observe_batch(spec, A, C, t, X, G, W):
    for i in range(X.shape[0]):
        for k in range(X.shape[1]):
            x = X[i, k]
            lo = C[0, i, k]
            hi = C[1, i, k]
            C[0, i, k] = x if x < lo else lo
            C[1, i, k] = x if x > hi else hi


register_recorder(IterateRange, fields=("spread_inf", "spread_2"), coords=("theta_min", "theta_max"),
                  coord_start={"theta_min": "x0", "theta_max": "x0"},
                  final={"theta_min": "theta_min", "theta_max": "theta_max"},
                  observe=_ir_observe, snapshot=_ir_snapshot,
                  sparse=True, observe_touched=_ir_observe_touched, sync=_ir_sync, observe_batch=_ir_observe_batch)


# ------------------------------------------------------------------ the learner's preconditioner

class Preconditioner(NamedTuple):
    """sum_i sqrt(v_hat_{t,i}) at each checkpoint (Theorem 4.1's first term; AMSGrad's Theorem 4)."""

    tag: int = 0


def _pc_snapshot(spec, a, C, k, X, V, out, c):
    sv = 0.0
    for i in range(V.shape[1]):
        sv += math.sqrt(V[k, i])
    out[k, c, 0] = sv


register_recorder(Preconditioner, fields=("sum_sqrt_vhat",), snapshot=_pc_snapshot)


# ------------------------------------------------------------------ the step sizes of the proof

class StepSizeGrowth(NamedTuple):
    r"""The proof of Theorem 4.1 assumes Gamma_{t,i} = H_{t,i} - H_{t-1,i} >= 0 for the inverse step
    size H = sqrt(v_hat)/alpha_t (THEORY.md section 4): the number of (t, i) where it fails
    (``gamma_neg``) and the first such round (``first_gamma_neg``, 0 for none); AMSGrad's
    sum_t sum_i beta1_t H_{t,i} (``sum_beta1_h``); and max_t ||Delta_t||_inf (``max_step``)."""

    tag: int = 0


def _ss_after_step(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t):
    gneg, firstneg, sumb1h, maxstep, _, _ = a
    if step > maxstep:
        maxstep = step
    neg = 0
    sb = 0.0
    for i in range(H.shape[1]):
        h = H[k, i]
        if h < C[k, 0, i]:
            neg += 1
        C[k, 0, i] = h
        sb += h
    if neg > 0:
        if gneg == 0.0:
            firstneg = t
        gneg += neg
    sumb1h += beta1_t * sb
    return (gneg, firstneg, sumb1h, maxstep, sb, 0.0)


# The sparse form.  A learner of ``register_sparse_learner`` with untouched_h "constant" or
# "nondecreasing" never lowers the H of a coordinate it does not touch, so Gamma_{t,i} < 0 only where
# round t touched; the row h_prev is kept at H_{t-1} for the touched coordinates (the loop refreshes
# H there first).  sum_t beta1_t sum_i H_{t,i} needs every coordinate's H: the fifth and sixth
# accumulators carry sum_i h_prev_i as a compensated (Neumaier) sum of the touched coordinates' old
# values (subtracted) and new ones (added: their difference would round), and the
# sum is recomputed as the dense loop sums it at each checkpoint (where the dense loop's
# accumulators hold the same two values).  That is sum_i H_{t,i} when the untouched coordinates' H
# stays constant (lazy Adam); a "nondecreasing" learner has beta1_t = 0 (OGD, AdaGrad), so the term
# adds 0 whatever the sum.

@inline
def _ss_add(sb, comp, x):
    """Neumaier's compensated sum: sb + comp is the running sum with x added."""
    s = sb + x
    if abs(sb) >= abs(x):
        comp += (sb - s) + x
    else:
        comp += (x - s) + sb
    return s, comp


def _ss_observe_touched(spec, a, C, k, t, X, G, H, IDX, m):
    gneg, firstneg, sumb1h, maxstep, sb, comp = a
    for j in range(m):
        i = IDX[k, j]
        h = H[k, i]
        sb, comp = _ss_add(sb, comp, -C[k, 0, i])  # two terms: h - h_prev would round
        sb, comp = _ss_add(sb, comp, h)
        C[k, 0, i] = h
    return (gneg, firstneg, sumb1h, maxstep, sb, comp)


def _ss_after_step_touched(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m):
    gneg, firstneg, sumb1h, maxstep, sb, comp = a
    if step > maxstep:
        maxstep = step
    neg = 0
    for j in range(m):
        i = IDX[k, j]
        h = H[k, i]
        hp = C[k, 0, i]
        neg += 1 if h < hp else 0
        sb, comp = _ss_add(sb, comp, -hp)
        sb, comp = _ss_add(sb, comp, h)
        C[k, 0, i] = h
    if neg > 0:
        if gneg == 0.0:
            firstneg = t
        gneg += neg
    sumb1h += beta1_t * (sb + comp)
    return (gneg, firstneg, sumb1h, maxstep, sb, comp)


def _ss_sync(spec, a, C, k, X, H, V, IDX, m):
    gneg, firstneg, sumb1h, maxstep, _, _ = a
    sb = 0.0
    for i in range(H.shape[1]):
        h = H[k, i]
        C[k, 0, i] = h
        sb += h
    return (gneg, firstneg, sumb1h, maxstep, sb, 0.0)


def _ss_snapshot(spec, a, C, k, X, V, out, c):
    out[k, c, 0] = a[0]
    out[k, c, 1] = a[1]
    out[k, c, 2] = a[2]
    out[k, c, 3] = a[3]


def _ss_after_step_batch(spec, A, C, t, X, H, V, OUT, W):
    d, n = H.shape
    for k in range(n):
        W[0, k] = 0.0  # the number of i with Gamma_{t,i} < 0
        W[1, k] = 0.0  # sum_i H_{t,i}
    for i in range(d):
        for k in range(n):
            h = H[i, k]
            W[0, k] += 1.0 if h < C[0, i, k] else 0.0
            C[0, i, k] = h
            W[1, k] += h
    for k in range(n):
        step = OUT[0, k]
        A[3, k] = step if step > A[3, k] else A[3, k]
        neg = W[0, k]
        if neg > 0.0:
            if A[0, k] == 0.0:
                A[1, k] = t
            A[0, k] += neg
        A[2, k] += OUT[1, k] * W[1, k]
        A[4, k] = W[1, k]
        A[5, k] = 0.0


register_recorder(StepSizeGrowth, fields=("gamma_neg", "first_gamma_neg", "sum_beta1_h", "max_step"), n_acc=6,
                  coords=("h_prev",), after_step=_ss_after_step, snapshot=_ss_snapshot,
                  sparse=True, observe_touched=_ss_observe_touched, after_step_touched=_ss_after_step_touched,
                  sync=_ss_sync, needs_monotone_h=True, after_step_batch=_ss_after_step_batch)


# ------------------------------------------------------------------ the lemmas of the proof

class Lemma103(NamedTuple):
    r"""The left side of Lemma 10.3, sum_i sum_{s<=t} |g_{s,i}|/sqrt(s) (THEORY.md section 4)."""

    tag: int = 0


def _l103_observe(spec, a, C, k, t, X, G):
    g1 = 0.0
    for i in range(G.shape[1]):
        g1 += abs(G[k, i])
    return (a[0] + g1 * (1.0 / math.sqrt(t)),)


def _l103_observe_touched(spec, a, C, k, t, X, G, H, IDX, m):
    g1 = 0.0
    for j in range(m):
        g1 += abs(G[k, IDX[k, j]])
    return (a[0] + g1 * (1.0 / math.sqrt(t)),)


def _one_snapshot(spec, a, C, k, X, V, out, c):
    out[k, c, 0] = a[0]


def _l103_observe_batch(spec, A, C, t, X, G, W):
    d, n = G.shape
    for k in range(n):
        W[0, k] = 0.0  # ||g_t||_1
    for i in range(d):
        for k in range(n):
            W[0, k] += abs(G[i, k])
    r = 1.0 / math.sqrt(t)
    for k in range(n):
        A[0, k] = A[0, k] + W[0, k] * r


register_recorder(Lemma103, fields=("lemma_10_3_lhs",), n_acc=1, observe=_l103_observe, snapshot=_one_snapshot,
                  sparse=True, observe_touched=_l103_observe_touched, observe_batch=_l103_observe_batch)


class Lemma104(NamedTuple):
    r"""The left side of Lemma 10.4, sum_{s<=t} sum_i m_hat_{s,i}^2/sqrt(s v_hat_{s,i}) (THEORY.md
    section 4), from the step: with Delta = alpha_s m_hat/sqrt(v_hat) and H = sqrt(v_hat)/alpha_s,
    m_hat^2/sqrt(v_hat) = (Delta H)(Delta/alpha_s), in this order so that large steps do not overflow."""

    tag: int = 0


def _l104_observe(spec, a, C, k, t, X, G):
    for i in range(X.shape[1]):
        C[k, 0, i] = X[k, i]
    return a


def _l104_after_step(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t):
    s104 = 0.0
    inv_alpha_t = 1.0 / alpha_t
    for i in range(X.shape[1]):
        delta = C[k, 0, i] - X[k, i]
        s104 += (delta * H[k, i]) * (delta * inv_alpha_t)
    return (a[0] + s104 * (1.0 / math.sqrt(t)),)


def _l104_observe_touched(spec, a, C, k, t, X, G, H, IDX, m):
    for j in range(m):
        i = IDX[k, j]
        C[k, 0, i] = X[k, i]
    return a


def _l104_after_step_touched(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t, IDX, m):
    # an untouched coordinate does not move: its term is (0 H)(0 / alpha_t) = 0
    s104 = 0.0
    inv_alpha_t = 1.0 / alpha_t
    for j in range(m):
        i = IDX[k, j]
        delta = C[k, 0, i] - X[k, i]
        s104 += (delta * H[k, i]) * (delta * inv_alpha_t)
    return (a[0] + s104 * (1.0 / math.sqrt(t)),)


def _l104_sync(spec, a, C, k, X, H, V, IDX, m):
    # the dense row after round t is theta_t; for a coordinate round t did not touch that is X
    q = 0
    for i in range(X.shape[1]):
        if q < m and IDX[k, q] == i:
            q += 1
        else:
            C[k, 0, i] = X[k, i]
    return a


def _l104_observe_batch(spec, A, C, t, X, G, W):
    for i in range(X.shape[0]):
        for k in range(X.shape[1]):
            C[0, i, k] = X[i, k]


def _l104_after_step_batch(spec, A, C, t, X, H, V, OUT, W):
    d, n = X.shape
    for k in range(n):
        W[0, k] = 0.0  # the round's sum over i
        W[1, k] = 1.0 / OUT[2, k]  # 1 / alpha_t
    for i in range(d):
        for k in range(n):
            delta = C[0, i, k] - X[i, k]
            W[0, k] += (delta * H[i, k]) * (delta * W[1, k])
    r = 1.0 / math.sqrt(t)
    for k in range(n):
        A[0, k] = A[0, k] + W[0, k] * r


register_recorder(Lemma104, fields=("lemma_10_4_lhs",), n_acc=1, coords=("theta_prev",),
                  observe=_l104_observe, after_step=_l104_after_step, snapshot=_one_snapshot,
                  sparse=True, observe_touched=_l104_observe_touched, after_step_touched=_l104_after_step_touched,
                  sync=_l104_sync, observe_batch=_l104_observe_batch, after_step_batch=_l104_after_step_batch)


#: the order of the default recording's fields in ``runs.records`` and tables (as before recorders)
FIELD_ORDER = ("sum_g_norm", "sum_sqrt_vhat", "sum_beta1_h", "max_g_2", "max_g_inf", "gamma_neg", "max_step",
               "spread_inf", "spread_2", "lemma_10_3_lhs", "first_gamma_neg", "lemma_10_4_lhs")
#: every statistic of ``regretlab.bounds``: the default recording of ``play``
BOUNDS = (GradientNorms(), Preconditioner(), StepSizeGrowth(), IterateRange(), Lemma103(), Lemma104())
#: the regret curve only (cumulative loss and the comparator's sufficient statistics)
REGRET = ()
_NAMED = {"bounds": BOUNDS, "regret": REGRET}


def resolve(record):
    """The tuple of recorder specs a ``record=`` argument names (validated; one line on an error)."""
    if record is None:
        return BOUNDS
    if isinstance(record, tuple) and hasattr(record, "_fields"):  # one recorder spec, not a tuple of them
        record = (record,)
    if isinstance(record, str):
        if record not in _NAMED:
            raise ValueError(f"record must be one of {sorted(_NAMED)} or a tuple of recorders, got {record!r}")
        return _NAMED[record]
    try:
        recs = tuple(record)
    except TypeError:
        raise ValueError(f"record must be one of {sorted(_NAMED)} or a tuple of recorders, got {record!r}") from None
    seen, final = {}, {"vhat": "the learner"}
    for r in recs:
        info = recorder_info(r)
        for f in info.fields:
            if f in seen:
                raise ValueError(f"record: the field {f!r} is recorded by both {seen[f]!r} and {r!r}")
            seen[f] = r
        for f in info.final:
            if f in final:
                raise ValueError(f"record: the final row {f!r} is kept by both {final[f]!r} and {r!r}")
            final[f] = r
    return recs
