"""Growth of a regret curve: linear, sublinear or not decided (THEORY.md section 9).

A run's regret is *linear* when R(t)/t tends to a positive limit s and *sublinear*
when it does not (R(t)/t -> s <= 0).  A pure power law c t^p cannot tell them
apart at a finite horizon: when R(t) = s t + b sqrt(t) + a the lower-order terms
pull p below 1 (Reddi et al.'s section 5 instance fits p = 0.78 at T = 10^6 with
its slope s = 20/101 already exact).  :func:`growth` therefore fits

    R(t) = s t + b sqrt(t) + a

over the last two decades of checkpoints, [T/100, T], with the linear term
explicit, fits it again over the window one decade earlier, [T/1000, T/10], and
decides:

* **linear** when s is significantly positive; the slope of the earlier window
  (with b held at the late fit's value, so that the two windows are compared on one
  curve) agrees with it to 5 % plus their uncertainty, and that uncertainty is small
  enough to see a halving of the slope; the regret actually rises over the late window
  by at least half of what s t alone gives; and no sublinear power law c t^p + a with
  p <= :data:`POWER_MAX` fits the tail as well (an F test).  The last conditions are what a
  stability test alone cannot give: it only fails to reject a change, so under noise a
  t^0.85 passes it, and a falling curve can have a positive fitted slope;
* **sublinear** when s is not significantly positive, the two windows agree, and either
  s is significantly negative or the largest slope the data allow (the upper limit s_up)
  could explain at most half of the regret's growth over the window (a constant offset
  or an oscillation is no growth);
* **inconclusive** otherwise, with what would decide it (a longer horizon or more
  seeds).

Where the uncertainty of s comes from depends on the runs:

* identical curves (a deterministic stream played under several seeds) are one
  run, never a sample: a bootstrap over identical copies would give a zero-width
  interval.  A deterministic curve oscillates around its trend (the checkpoints
  fall at arbitrary phases of the stream's period), so the uncertainty is the
  least-squares standard error of the fit on the levels, widened by the residuals'
  lag-1 autocorrelation (a replayed random sequence is deterministic too, but its
  regret wanders like a random walk);
* one curve of a stochastic stream is a random walk around its trend: its
  increments are independent, so the fit is weighted least squares on the
  increments between checkpoints (variance proportional to the rounds between
  them), which gives an honest standard error where a fit on the levels would
  not;
* one curve of a stream that does not say whether it is stochastic must pass
  both fits;
* several distinct curves are independent replicates: the slope of the mean
  curve is the mean of the per-seed slopes (least squares is linear), its interval
  a Student t interval over seeds, given only with at least :data:`MIN_SEEDS`
  seeds.  A claim true of every seed on its own ("linear on all 16 seeds") is
  evidence in itself, with any number of seeds.

No resampling is involved, so no resample can fail and turn an interval into NaN.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: fewest distinct seeds for an interval over seeds (Student t, n - 1 degrees of freedom)
MIN_SEEDS = 5
#: standard errors for a single curve's one-sided decisions (about 0.1 % each way)
Z_SINGLE = 3.0
#: relative change of the slope between the two windows still called stable
SLOPE_RTOL = 0.05
#: the stability check must be able to see a change of the slope by this fraction (else it proves nothing)
RESOLUTION = 0.5
#: a sublinear verdict needs the largest admissible linear term below this share of the regret
SHARE_MAX = 0.5
#: a linear verdict needs every power law t^p with p <= POWER_MAX to fit the tail worse than s t + b sqrt(t) + a
POWER_MAX = 0.9
#: ... by this F statistic: (RSS_power - RSS_linear) / (RSS_linear / dof), about a 0.2 % test
F_MIN = 10.0
#: fewest checkpoints in each fit window
MIN_POINTS = 8

LINEAR, SUBLINEAR, INCONCLUSIVE = "linear", "sublinear", "inconclusive"


@dataclass
class Fit:
    """R(t) = s t + b sqrt(t) + a over one window, for each curve (arrays of shape (n,))."""

    s: np.ndarray
    b: np.ndarray
    a: np.ndarray
    se: np.ndarray  # standard error of s
    t_from: int
    t_to: int


@dataclass
class Growth:
    """The growth verdict of a regret curve and the evidence behind it.

    Attributes
    ----------
    verdict : {"linear", "sublinear", "inconclusive"}
    slope : float
        s of R(t) = s t + b sqrt(t) + a fitted over [T/100, T] (of the mean curve over seeds).
    slope_low, slope_high : float
        Its interval: a Student t interval over seeds at ``level`` (at least
        :data:`MIN_SEEDS` distinct seeds), or s -/+ 3 standard errors of a single
        curve's fit; NaN where the seeds do not support an interval.
    slope_early : float
        The same fit over [T/1000, T/10]: the stability check.
    b, a : float
        The other coefficients of the late fit (used to extrapolate R).
    share : float
        s T / R(T): the share of the regret at T that the linear term carries.
    local_exponent : float
        d log R / d log t at T from the fit: 1 for linear growth, 1/2 for sqrt(t).
    n_seeds, n_distinct : int
        Seeds played, and distinct curves among them.
    mode : str
        ``"deterministic"`` (one distinct curve of a deterministic stream),
        ``"single"`` (one curve of a stochastic stream), ``"unknown"`` (one curve,
        the stream does not say) or ``"seeds"`` (several distinct curves).
    seeds_linear, seeds_sublinear : int
        Seeds that are linear (sublinear) on their own.
    detail : str
        A sentence with the numbers behind the verdict.
    decide : str
        When inconclusive: what would decide it (a horizon to run to, a number of seeds).
    next_T : int or None
        The horizon suggested by ``decide`` (None when more seeds, not rounds, are needed).
    """

    verdict: str
    slope: float = math.nan
    slope_low: float = math.nan
    slope_high: float = math.nan
    slope_early: float = math.nan
    b: float = math.nan
    a: float = math.nan
    share: float = math.nan
    local_exponent: float = math.nan
    T: int = 0
    n_seeds: int = 0
    n_distinct: int = 0
    mode: str = ""
    seeds_linear: int = 0
    seeds_sublinear: int = 0
    detail: str = ""
    decide: str = ""
    next_T: int | None = None
    fits: dict = field(default_factory=dict, repr=False)

    def extrapolate(self, t, slope=None):
        """The fitted regret s t + b sqrt(t) + a at rounds ``t`` (the late window's fit), with another
        slope ``slope`` when given (the ends of its interval, for a range of predictions)."""
        t = np.asarray(t, dtype=float)
        return (self.slope if slope is None else slope) * t + self.b * np.sqrt(t) + self.a


# ----------------------------------------------------------------------------- fits

def _lstsq(X, Y):
    """Least squares of each column of Y on X: (coefficients, residuals, standard error of the first
    coefficient from the residual variance)."""
    coef, *_ = np.linalg.lstsq(X, Y, rcond=None)
    resid = Y - X @ coef
    sig2 = np.sum(resid ** 2, axis=0) / max(X.shape[0] - X.shape[1], 1)
    return coef, resid, np.sqrt(sig2 * np.linalg.pinv(X.T @ X)[0, 0])


def _fit_levels(t, R):
    """Ordinary least squares of each row of R on [t, sqrt(t), 1]; standard errors from the residuals."""
    T = float(t[-1])
    u = t / T
    coef, resid, se = _lstsq(np.stack([u, np.sqrt(u), np.ones_like(u)], axis=1), R.T)
    return coef[0] / T, coef[1] / math.sqrt(T), coef[2], se / T * _ar1_inflation(resid)


def _ar1_inflation(resid):
    """sqrt((1 + rho)/(1 - rho)) for the lag-1 autocorrelation rho of the residuals (columns): the factor
    by which correlated residuals widen a least-squares standard error.  A deterministic stream's
    oscillation sampled at log-spaced checkpoints has rho near 0; a random walk around the trend (a
    replayed sequence, one pass of a data set) has rho near 1, and then the levels fit would claim a
    precision it does not have."""
    r = resid - resid.mean(axis=0)
    num = np.sum(r[1:] * r[:-1], axis=0)
    den = np.sum(r * r, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(den > 0, num / den, 0.0)
    rho = np.clip(rho, 0.0, 0.99)
    return np.sqrt((1.0 + rho) / (1.0 - rho))


def _fit_increments(t, R):
    """Weighted least squares of the increments dR = s dt + b d sqrt(t), with Var(dR) proportional to dt
    (independent increments: a random walk around the trend).  a is the mean remaining level."""
    dt = np.diff(t)
    dsq = np.diff(np.sqrt(t))
    dR = np.diff(R, axis=1)
    w = 1.0 / np.sqrt(dt)
    T = float(t[-1])
    # scaled columns keep X^T X well conditioned: dt/T and d sqrt(t)/sqrt(T)
    coef, _, se = _lstsq(np.stack([dt / T * w, dsq / math.sqrt(T) * w], axis=1), (dR * w).T)
    s = coef[0] / T
    b = coef[1] / math.sqrt(T)
    se = se / T
    a = np.mean(R - s[:, None] * t[None, :] - b[:, None] * np.sqrt(t)[None, :], axis=1)
    return s, b, a, se


def fit_window(t, R, t_from, t_to, model="levels"):
    """Fit R(t) = s t + b sqrt(t) + a to each row of ``R`` over the checkpoints in [t_from, t_to].

    Parameters
    ----------
    t : (m,) checkpoint rounds;  R : (n, m) regret curves
    model : {"levels", "increments"}
        Least squares on the levels (bounded oscillation around the trend) or weighted
        least squares on the increments (independent increments, a random walk).

    Returns
    -------
    Fit, or None when the window holds fewer than :data:`MIN_POINTS` checkpoints.
    """
    t = np.asarray(t, dtype=float)
    sel = (t >= t_from) & (t <= t_to)
    if int(sel.sum()) < MIN_POINTS:
        return None
    ts, Rs = t[sel], np.asarray(R, dtype=float)[:, sel]
    if model == "levels":
        s, b, a, se = _fit_levels(ts, Rs)
    elif model == "increments":
        s, b, a, se = _fit_increments(ts, Rs)
    else:
        raise ValueError(f"model must be 'levels' or 'increments', got {model!r}")
    return Fit(s, b, a, _se_floor(se, Rs, ts), int(ts[0]), int(ts[-1]))


def _se_floor(se, R, t):
    """A slope below 1e-12 of the regret's scale per round is rounding: the standard error is at least that
    (an exact sqrt(t) curve otherwise shows a 'significant' slope of 1e-18)."""
    return np.maximum(se, 1e-12 * np.max(np.abs(R), axis=1) / float(t[-1]))


def fit_slope(t, R, t_from, t_to, b, model="levels"):
    """The slope s of R(t) - b sqrt(t) = s t + a over [t_from, t_to], with b given per curve (shape (n,)):
    the earlier window of the stability check, compared with the late fit on the same curve."""
    t = np.asarray(t, dtype=float)
    sel = (t >= t_from) & (t <= t_to)
    if int(sel.sum()) < MIN_POINTS:
        return None
    ts = t[sel]
    Y = np.asarray(R, dtype=float)[:, sel] - np.asarray(b, dtype=float)[:, None] * np.sqrt(ts)[None, :]
    T = float(ts[-1])
    if model == "levels":
        coef, _, se = _lstsq(np.stack([ts / T, np.ones_like(ts)], axis=1), Y.T)
        s, a, se = coef[0] / T, coef[1], se / T
    else:
        dt = np.diff(ts)
        dY = np.diff(Y, axis=1)
        s = dY.sum(axis=1) / dt.sum()  # weighted least squares with Var(dY) proportional to dt
        resid = (dY - s[:, None] * dt[None, :]) / np.sqrt(dt)[None, :]
        sig2 = np.sum(resid ** 2, axis=1) / max(dt.size - 1, 1)
        se = np.sqrt(sig2 / dt.sum())
        a = np.mean(Y - s[:, None] * ts[None, :], axis=1)
    return Fit(s, np.asarray(b, dtype=float), a, _se_floor(se, np.asarray(R, dtype=float)[:, sel], ts),
               int(ts[0]), int(ts[-1]))


_POWERS = np.linspace(0.3, POWER_MAX, 61)


def _rss(t, Y, cols, model):
    """Residual sums of squares of each row of Y on the columns (levels: plus a constant; increments:
    weighted by 1/sqrt(dt), the constant dropping out)."""
    if model == "levels":
        X = np.stack(list(cols) + [np.ones_like(t)], axis=1)
        y = Y.T
    else:
        w = 1.0 / np.sqrt(np.diff(t))
        X = np.stack([np.diff(c) * w for c in cols], axis=1)
        y = np.diff(Y, axis=1).T * w[:, None]
    X = X / np.max(np.abs(X), axis=0)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ coef
    return np.sum(r * r, axis=0), X.shape[0] - X.shape[1]


def power_law_test(t, R, t_from, t_to, model="levels"):
    """F = (RSS of the best power law c t^p (+ a), p in [0.3, POWER_MAX]) - RSS of s t + b sqrt(t) (+ a),
    over RSS_linear / dof, for each row of R over [t_from, t_to]; and the best p.

    Large F: every sublinear power law up to t^POWER_MAX fits the tail worse than a linear term plus
    sqrt(t) does.  Returns (F, p_best), arrays of shape (n,)."""
    t = np.asarray(t, dtype=float)
    sel = (t >= t_from) & (t <= t_to)
    ts = t[sel] / t[sel][-1]
    Y = np.asarray(R, dtype=float)[:, sel]
    lin, dof = _rss(ts, Y, (ts, np.sqrt(ts)), model)
    best = np.full(Y.shape[0], np.inf)
    p_best = np.full(Y.shape[0], np.nan)
    for p in _POWERS:
        r, _ = _rss(ts, Y, (ts ** p,), model)
        better = r < best
        best[better] = r[better]
        p_best[better] = p
    with np.errstate(divide="ignore", invalid="ignore"):
        F = np.where(lin > 0, (best - lin) / (lin / max(dof, 1)), np.where(best > 0, np.inf, 0.0))
    return F, p_best


def power_law_exponent(t, R, decades=2.0):
    r"""The exponent p of a power law c t^p fitted on log-log axes over the last ``decades``
    decades of the mean curve: a descriptive number (the local slope of log R), not a test.
    Biased low when R = s t + b sqrt(t) + a (use :func:`growth` for the verdict); NaN when
    the mean regret is not positive over the window."""
    t = np.asarray(t, dtype=float)
    R = np.atleast_2d(np.asarray(R, dtype=float))
    if R.shape[1] != t.shape[0]:
        raise ValueError(f"R has {R.shape[1]} checkpoints but t has {t.shape[0]}")
    sel = t >= t[-1] / 10 ** decades
    if sel.sum() < 3:
        raise ValueError(f"need at least 3 checkpoints in the last {decades} decades, got {int(sel.sum())}")
    m = R[:, sel].mean(axis=0)
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        return math.nan
    x = np.log(t[sel])
    y = np.log(m)
    x = x - x.mean()
    return float(np.sum(x * (y - y.mean())) / np.sum(x * x))


# ----------------------------------------------------------------------------- the verdict

def _t_quantile(level, dof):
    from scipy.stats import t as student

    return float(student.ppf(0.5 + level / 2.0, dof))


def _windows(T, decades):
    late = (T / 10 ** decades, T)
    early = (T / 10 ** (decades + 1), T / 10)
    return late, early


def _single_decision(late, early, F, scale, rise, T, z=Z_SINGLE):
    """(is_linear, is_sublinear, s_up) for each curve, from its own fit and standard errors.

    ``rise``: R(T) - R(t_from) over the late window; ``scale``: the largest |R(t) - R(t_from)| there."""
    s, se = late.s, late.se
    width = z * np.hypot(se, early.se)
    positive = s - z * se > 0
    consistent = np.abs(s - early.s) <= SLOPE_RTOL * np.abs(s) + width
    lin = positive & consistent & (width <= RESOLUTION * np.abs(s)) & (F > F_MIN) & \
        (rise >= 0.5 * s * (T - late.t_from))
    s_up = s + z * se
    sub = ~positive & consistent & ((s_up <= 0) | (s_up * T <= SHARE_MAX * scale))
    return lin, sub, s_up


def _fmt(x):
    return f"{x:.4g}"


def growth(t, R, *, stochastic=None, level=0.95, decades=2.0):
    r"""Decide whether regret curves grow linearly (THEORY.md section 9).

    Parameters
    ----------
    t : (m,) increasing checkpoint rounds, ending at the horizon T
    R : (m,) or (n_seeds, m) regret at the checkpoints
    stochastic : bool or None
        Whether the stream is random (``Stream.stochastic``); decides the noise
        model of a single curve.  Several distinct curves imply a random stream.
    level : float
        Confidence level of the interval over seeds.
    decades : float
        Width of the fit window: [T/10^decades, T]; the stability window is one decade earlier.

    Returns
    -------
    Growth

    Examples
    --------
    >>> import numpy as np
    >>> from regretlab.stats import growth
    >>> t = np.unique(np.round(np.logspace(0, 6, 200)).astype(int))
    >>> growth(t, 2 / 3 * t + 0.44 * np.sqrt(t) + 5.5).verdict
    'linear'
    >>> growth(t, 1.7 * np.sqrt(t) - 0.3, stochastic=False).verdict
    'sublinear'
    """
    t = np.asarray(t, dtype=float)
    R = np.atleast_2d(np.asarray(R, dtype=float))
    if t.ndim != 1 or R.shape[1] != t.shape[0]:
        raise ValueError(f"R has {R.shape[1]} checkpoints but t has {t.shape[0]}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    T = int(t[-1])
    n_seeds = R.shape[0]
    out = Growth(INCONCLUSIVE, T=T, n_seeds=n_seeds)
    if not np.all(np.isfinite(R)):
        out.n_distinct = n_seeds
        out.detail = "the regret is not finite at some checkpoints: no growth fit"
        return out
    U = np.unique(R, axis=0)
    n = U.shape[0]
    out.n_distinct = n
    (lf, lt), (ef, et) = _windows(T, decades)
    if n == 1:
        mode = "deterministic" if (n_seeds > 1 or stochastic is False) else ("single" if stochastic else "unknown")
    else:
        mode = "seeds"
    out.mode = mode
    models = {"deterministic": ["levels"], "single": ["increments"], "unknown": ["levels", "increments"],
              "seeds": ["increments"]}[mode]
    fits = {}
    for m in models:
        late = fit_window(t, U, lf, lt, m)
        early = None if late is None else fit_slope(t, U, ef, et, late.b, m)
        if late is None or early is None:
            out.detail = (f"too few checkpoints to fit the growth: need at least {MIN_POINTS} in each of "
                          f"[T/{10 ** decades:g}, T] and [T/{10 ** (decades + 1):g}, T/10] (T = {T})")
            out.decide = f"play more checkpoints or a longer horizon (T >= {int(10 ** (decades + 1)) * 10})"
            out.next_T = int(10 ** (decades + 1)) * 10 if T < 10 ** (decades + 1) * 10 else None
            return out
        fits[m] = (late, early, power_law_test(t, U, lf, lt, m))
    out.fits = fits
    sel = (t >= lf) & (t <= lt)
    mean = U.mean(axis=0)
    i0 = int(np.argmax(sel))
    # the growth over the late window, not the level: a constant offset or an oscillation is no growth
    growth_rows = U[:, sel] - U[:, i0:i0 + 1]
    scale_rows = np.max(np.abs(growth_rows), axis=1)
    rise_rows = growth_rows[:, -1]
    scale = float(np.max(np.abs(mean[sel] - mean[i0])))
    rise = float(mean[-1] - mean[i0])
    late, early, (F, p_best) = fits[models[0]]
    if mode == "seeds":
        out.slope = float(np.mean(late.s))
        out.slope_early = float(np.mean(early.s))
        out.b = float(np.mean(late.b))
        out.a = float(np.mean(late.a))
    else:
        out.slope, out.slope_early = float(late.s[0]), float(early.s[0])
        out.b, out.a = float(late.b[0]), float(late.a[0])
    RT = float(mean[-1])
    out.share = out.slope * T / RT if RT != 0 else math.nan
    fitted = out.extrapolate(T)
    out.local_exponent = float((out.slope * T + 0.5 * out.b * math.sqrt(T)) / fitted) if fitted > 0 else math.nan

    window = f"[{late.t_from}, {late.t_to}]"
    ewindow = f"[{early.t_from}, {early.t_to}]"
    if mode != "seeds":
        # one curve: every model it must pass
        decisions = [_single_decision(fits[m][0], fits[m][1], fits[m][2][0], scale, rise, T) for m in models]
        lin = all(bool(d[0][0]) for d in decisions)
        sub = all(bool(d[1][0]) for d in decisions)
        s_up = max(float(d[2][0]) for d in decisions)
        se = max(float(fits[m][0].se[0]) for m in models)
        Fmin = min(float(fits[m][2][0][0]) for m in models)
        out.slope_low, out.slope_high = out.slope - Z_SINGLE * se, out.slope + Z_SINGLE * se
        what = {"deterministic": ("one deterministic curve" + (f" ({n_seeds} seeds gave identical curves, "
                                                               "analysed as one run)" if n_seeds > 1 else "")),
                "single": "one seed of a stochastic stream (fit on its increments)",
                "unknown": "one seed of a stream that does not say whether it is random (both fits)"}[mode]
        base = (f"s = {_fmt(out.slope)} +/- {_fmt(Z_SINGLE * se)} (3 s.e.) over {window}, {_fmt(out.slope_early)} "
                f"over {ewindow}; {what}")
        out.seeds_linear = n_seeds if lin else 0
        out.seeds_sublinear = n_seeds if sub else 0
        if lin:
            out.verdict = LINEAR
            out.detail = (f"linear: R(t)/t -> s = {_fmt(out.slope)} (share s T/R(T) = {out.share:.3f}); {base}; "
                          f"{_power_words(Fmin, float(p_best[0]))}")
        elif sub:
            out.verdict = SUBLINEAR
            out.detail = _sublinear_detail(out, s_up, T, RT, base)
        else:
            out.detail = f"not decided at T = {T}: {base}; {_power_words(Fmin, float(p_best[0]))}"
            _suggest_single(out, fits[models[0]], s_up, scale, T)
        return out

    # several distinct curves: per-seed evidence, and an interval over seeds where there are enough
    per = _single_decision(late, early, F, scale_rows, rise_rows, T)
    F_mean, p_mean = power_law_test(t, mean[None, :], lf, lt, models[0])
    F_mean, p_mean = float(F_mean[0]), float(p_mean[0])
    out.seeds_linear = int(np.sum(per[0]))
    out.seeds_sublinear = int(np.sum(per[1]))
    lin_all = out.seeds_linear == n
    sub_all = out.seeds_sublinear == n
    lin_mean = sub_mean = False
    s_up = math.nan
    if n >= MIN_SEEDS:
        q = _t_quantile(level, n - 1)
        se_l = float(np.std(late.s, ddof=1) / math.sqrt(n))
        se_e = float(np.std(early.s, ddof=1) / math.sqrt(n))
        out.slope_low, out.slope_high = out.slope - q * se_l, out.slope + q * se_l
        width = q * math.hypot(se_l, se_e)
        consistent = abs(out.slope - out.slope_early) <= SLOPE_RTOL * abs(out.slope) + width
        lin_mean = (out.slope_low > 0 and F_mean > F_MIN and consistent and width <= RESOLUTION * abs(out.slope)
                    and rise >= 0.5 * out.slope * (T - T / 10 ** decades))
        s_up = out.slope_high
        sub_mean = out.slope_low <= 0 and consistent and (s_up <= 0 or s_up * T <= SHARE_MAX * scale)
        interval = f"s = {_fmt(out.slope)} [{_fmt(out.slope_low)}, {_fmt(out.slope_high)}] ({level:.0%} t interval " \
                   f"over {n} seeds) over {window}, {_fmt(out.slope_early)} over {ewindow}"
    else:
        interval = (f"s = {_fmt(out.slope)} over {window} (per seed {_fmt(float(np.min(late.s)))} to "
                    f"{_fmt(float(np.max(late.s)))}; {n} seeds are too few for an interval over seeds, "
                    f"which needs {MIN_SEEDS})")
    tally = (f"linear on {out.seeds_linear} of {n} seeds on their own, sublinear on {out.seeds_sublinear}; mean "
             f"curve: {_power_words(F_mean, p_mean)}")
    if lin_all and n >= MIN_SEEDS and not out.slope_low > 0:
        lin_all = False  # every seed linear on its own, but the seeds disagree too much for the mean to be sure
    if sub_all and n >= MIN_SEEDS and out.slope_low > 0:
        sub_all = False
    if lin_all or lin_mean:
        out.verdict = LINEAR
        why = "the mean regret grows linearly" if lin_mean else "every seed on its own grows linearly"
        out.detail = (f"linear: {why}, E R(t)/t -> s = {_fmt(out.slope)} (share {out.share:.3f}); "
                      f"{interval}; {tally}")
    elif sub_mean or sub_all:
        out.verdict = SUBLINEAR
        if not math.isfinite(s_up):
            s_up = float(np.max(per[2]))
        out.detail = _sublinear_detail(out, s_up, T, RT, f"{interval}; {tally}")
    else:
        out.detail = f"not decided at T = {T}: {interval}; {tally}"
        if n >= MIN_SEEDS:
            _suggest_seeds(out, n, q, se_l, scale, T)
        else:
            out.decide = f"at least {MIN_SEEDS} seeds for an interval over seeds"
    return out


def _power_words(F, p):
    if F > F_MIN:
        return f"every power law t^p with p <= {POWER_MAX:g} fits worse (F = {_fmt(F)})"
    return f"a sublinear power law t^{p:.2f} fits as well (F = {_fmt(F)}, needs {F_MIN:g})"


def _sublinear_detail(out, s_up, T, RT, base):
    if s_up < 0:
        lead = (f"sublinear: the slope is negative (s <= {_fmt(s_up)}): R(t) grows more slowly than sqrt(t) over "
                "the window" + ("; the learner beats the best fixed point" if RT < 0 else ""))
    elif RT <= 0:
        lead = (f"sublinear: R(T)/T = {_fmt(RT / T)} <= 0, the learner does at least as well as the best fixed "
                f"point, and no significant positive slope is detected (any slope is below {_fmt(s_up)})")
    else:
        lead = (f"sublinear: no linear term is detected; any slope is below {_fmt(s_up)}, "
                f"against R(T)/T = {_fmt(RT / T)}")
        if math.isfinite(out.local_exponent):
            lead += f"; local exponent {out.local_exponent:.2f}"
    return f"{lead}; {base}"


def _suggest_seeds(out, n, q, se, scale, T):
    """More seeds shrink the interval like 1/sqrt(n): how many would decide it."""
    s = out.slope
    if out.slope_low > 0:  # a significant positive slope that moved, or that a power law fits as well
        out.decide = (f"a significant slope that moved between the windows or that a sublinear power law fits as "
                      f"well: run to T = {_fmt(10.0 * T)} (or use more seeds) to tell them apart")
        out.next_T = min(10 * T, 2 ** 53)
        return
    room = SHARE_MAX * scale / T - s  # what the upper limit may add to s for a sublinear verdict
    options = []
    if s > 0:
        options.append((int(math.ceil(1.2 * n * (q * se / s) ** 2)), "to tell the slope from 0"))
    if room > 0:
        options.append((int(math.ceil(1.2 * n * (q * se / room) ** 2)), "to bound the linear term below half "
                        "the regret"))
    if not options:
        out.decide = "more seeds"
        return
    seeds, what = min(options)
    out.decide = f"about {max(seeds, n + 1)} seeds {what}"


def _suggest_single(out, fit, s_up, scale, T):
    late, early, (F, _) = fit
    s, se = float(late.s[0]), float(late.se[0])
    if s - Z_SINGLE * se > 0:
        moved = abs(s - float(early.s[0])) > SLOPE_RTOL * abs(s) + Z_SINGLE * math.hypot(se, float(early.se[0]))
        why = (f"the slope moved from {_fmt(float(early.s[0]))} to {_fmt(s)} between the windows" if moved else
               "a sublinear power law fits the tail as well as a linear term")
        out.decide = f"{why}: run to T = {_fmt(10.0 * T)} to tell them apart"
        out.next_T = min(10 * T, 2 ** 53)
    elif s > 0:
        # the standard error of the slope falls at least like 1/sqrt(T)
        nxt = int(min(2.0 ** 53, math.ceil(1.5 * T * (Z_SINGLE * se / s) ** 2)))
        nxt = min(max(nxt, 10 * T), 2 ** 53)
        out.decide = f"run to about T = {_fmt(float(nxt))} to tell the slope from 0"
        out.next_T = nxt
    else:
        # oscillation around the trend is bounded, so the admissible slope shrinks like 1/T
        # while sqrt(t) regret shrinks like 1/sqrt(T): the share falls like 1/sqrt(T)
        need = s_up * T / (SHARE_MAX * scale) if scale > 0 else math.inf
        if math.isfinite(need) and need > 1:
            nxt = int(min(2.0 ** 53, math.ceil(T * need ** 2 * 1.5)))
            out.decide = f"run to about T = {_fmt(float(nxt))} to bound the linear term below half the regret"
            out.next_T = nxt
        else:
            out.decide = f"run to T = {_fmt(10.0 * T)}"
            out.next_T = min(10 * T, 2 ** 53)
