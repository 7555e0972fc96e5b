"""Figures of runs, bounds and result tables.

Every function here is pure: it takes runs (a :class:`~regretlab.runs.Run`, a
:class:`~regretlab.runs.Runs` or a list of them), :class:`~regretlab.bounds.Bound`
objects or a pandas table, draws them and returns the
:class:`matplotlib.figure.Figure`.  Nothing is written to disk and no theory is
computed here: a bound named by the caller is evaluated by its public function
in :mod:`regretlab.bounds`, and the growth of a curve (linear with its slope,
sublinear, or not decided) comes from :func:`regretlab.stats.growth`; the plot
only draws their output.

Conventions
-----------
* A curve over seeds is the mean over seeds; its band is the percentile
  bootstrap interval of that mean (seed indices resampled with
  ``np.random.default_rng(0)``, 2000 resamples, 95% by default), not +-1 std.
  A single seed gets no band.
* A bound whose assumptions fail is never drawn: it gets a legend entry
  ``"<name>: not applicable (<reasons>)"`` instead.
* A bound varies over seeds (it is evaluated on each run's own statistics);
  the curve drawn is its mean over seeds.
* The style (``regretlab.mplstyle``: the Okabe-Ito colour-blind-safe palette,
  fonts sized for a 3.5 in paper column) is applied with
  :func:`matplotlib.style.context` inside each function, so the caller's
  rcParams are untouched.  When ``ax`` is None a new
  :class:`~matplotlib.figure.Figure` is created without pyplot (it is not
  registered with ``plt.show``; save it with ``fig.savefig`` or let a notebook
  display it).  When ``ax`` is given, the function draws into it and returns
  ``ax.figure``.
"""
from __future__ import annotations

import math
import os
import textwrap

import matplotlib as mpl
import matplotlib.font_manager
import matplotlib.style
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import bounds as B
from .runs import Runs

__all__ = ["STYLE", "regret", "average_regret", "trajectories", "compare", "phase_diagram", "proof_breaks",
           "dynamic_regret", "sweep_regret", "momentum_tradeoff"]

#: the style sheet every figure is drawn with
STYLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regretlab.mplstyle")

#: line styles of successive bounds on one axes (the run's curve is solid)
_BOUND_STYLES = ("--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (6, 2)), (0, (1, 2.5)))
_REFERENCE_STYLE = (0, (1, 1))
_N_RESAMPLES = 2000
_WRAP = 48  # characters per legend line: a legend fits a 3.5 in column at 6.5 pt


# ----------------------------------------------------------------------------- helpers

def _style():
    if not os.path.exists(STYLE):
        raise FileNotFoundError(f"the regretlab style sheet is missing: {STYLE} (install the package data)")
    return mpl.style.context(STYLE)


def _new_axes(ax, nrows=1, figsize=None):
    """(fig, axes): a new figure (inside the style context) or the caller's axes."""
    if ax is None:
        fig = Figure(figsize=figsize)
        axes = fig.subplots(nrows, 1, sharex=True, squeeze=False)[:, 0]
        return fig, (axes[0] if nrows == 1 else list(axes))
    if nrows == 1:
        if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
            raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        return ax.figure, ax
    axes = list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != nrows or not all(hasattr(a, "plot") for a in axes):
        raise ValueError(f"ax must be None or a sequence of {nrows} matplotlib Axes, got {ax!r}")
    return axes[0].figure, axes


def _as_list(runs, where):
    if isinstance(runs, Runs):
        return [runs]
    if isinstance(runs, (list, tuple)) and len(runs) > 0 and all(isinstance(r, Runs) for r in runs):
        return list(runs)
    raise TypeError(f"{where}: expected a Run, a Runs or a non-empty list of them, got {type(runs).__name__}")


def _check_band(band):
    if band is None or band is False or band == 0:
        return None
    band = float(band)
    if not 0.0 < band < 1.0:
        raise ValueError(f"band must be a confidence level in (0, 1) or None, got {band!r}")
    return band


def _per_seed(a):
    """(n_seeds, m) float array from a Runs array or a Run's squeezed (m,) array."""
    return np.atleast_2d(np.asarray(a, dtype=float))


def _bootstrap_band(Y, level, n_resamples=_N_RESAMPLES, seed=0):
    """Percentile bootstrap interval of the mean over seeds (axis 0) at every column.

    Seed indices are resampled with replacement; the mean of a resample is
    computed from the resampling counts (counts @ Y / n), which equals
    ``Y[idx].mean(axis=0)`` without materialising an (n_resamples, n, m) array.
    """
    n = Y.shape[0]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_resamples, n))
    counts = np.zeros((n_resamples, n))
    np.add.at(counts, (np.arange(n_resamples)[:, None], idx), 1.0)
    means = counts @ Y / n
    q = 50.0 * (1.0 - level), 50.0 * (1.0 + level)
    lo, hi = np.percentile(means, q, axis=0)
    return lo, hi


def _mean_curve(ax, t, Y, band, color, label, ls="-", positive=False):
    """Draw the mean of Y (n_seeds, m) over seeds and, for n_seeds > 1, its bootstrap band."""
    Y = _per_seed(Y)
    if band is not None and Y.shape[0] > 1 and np.all(np.isfinite(Y)):
        lo, hi = _bootstrap_band(Y, band)
        where = (lo > 0) if positive else None
        ax.fill_between(t, lo, hi, where=where, color=color, alpha=0.25, linewidth=0, zorder=1)
    (line,) = ax.plot(t, Y.mean(axis=0), color=color, ls=ls, label=label, zorder=3)
    return line


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return repr(v) if isinstance(v, str) else str(v)


def _learner_labels(rl):
    """Learner name plus the hyperparameters that differ between runs of the same learner type."""
    names = [r.learner.name for r in rl]
    hps = [r.learner.hyperparameters() for r in rl]
    labels = []
    for i, r in enumerate(rl):
        peers = [j for j in range(len(rl)) if names[j] == names[i]]
        diff = [k for k in hps[i] if any(hps[j].get(k) != hps[i][k] for j in peers)]
        lab = names[i] + (f"({', '.join(f'{k}={_fmt(hps[i][k])}' for k in diff)})" if diff else "")
        labels.append(lab)
    streams = {repr(r.stream) for r in rl}
    if len(streams) > 1:
        labels = [f"{lab} on {r.stream!r}" for lab, r in zip(labels, rl)]
    seen = {}
    for i, lab in enumerate(labels):  # identical specs (e.g. different seed sets): number them
        seen.setdefault(lab, []).append(i)
    for lab, ix in seen.items():
        if len(ix) > 1:
            for k, i in enumerate(ix):
                labels[i] = f"{lab} #{k + 1}"
    return labels


def _labels_for(rl, labels):
    if labels is None:
        return _learner_labels(rl)
    labels = list(labels)
    if len(labels) != len(rl):
        raise ValueError(f"got {len(labels)} labels for {len(rl)} runs")
    return [str(x) for x in labels]


def _note_handle():
    return Line2D([], [], linestyle="none", marker="none")


def _wrap(text):
    return "\n".join(textwrap.wrap(text, _WRAP, break_on_hyphens=False)) if len(text) > _WRAP else text


def _legend(fig, ax, owned, notes=(), title=None):
    """Legend of the labelled artists plus text-only entries for what was not drawn.

    On a figure made here the legend goes below the axes (``outside lower center``:
    it never hides a curve) and the figure grows by its height; on the caller's
    axes it goes inside them at the best place.
    """
    handles, labels = ax.get_legend_handles_labels()
    for note in notes:
        handles.append(_note_handle())
        labels.append(_wrap(note))
    if not handles:
        return None
    if not owned:
        return ax.legend(handles, labels, title=title, loc="best")
    n_lines = sum(lab.count("\n") + 1 for lab in labels) + (1 if title else 0)
    fs = mpl.font_manager.FontProperties(size=mpl.rcParams["legend.fontsize"]).get_size_in_points()
    fig.set_figheight(fig.get_figheight() + n_lines * 1.45 * fs / 72.0 + 0.1)
    return fig.legend(handles, labels, title=title, loc="outside lower center")


def _seeds_title(rl, band):
    n = sorted({r.n_seeds for r in rl})
    ns = "/".join(str(k) for k in n)
    if band is not None and max(n) > 1:
        return f"mean of {ns} seeds, {band:.0%} bootstrap band"
    return "one seed" if max(n) == 1 else f"mean of {ns} seeds"


def _common_stream(rl):
    s = {repr(r.stream) for r in rl}
    return s.pop() if len(s) == 1 else None


def _title(ax, *parts):
    """Title from the non-empty parts: one line when it fits a column, else one part per line."""
    parts = [x for x in parts if x]
    if parts:
        one = "  |  ".join(parts)
        ax.set_title(one if len(one) <= 52 else "\n".join(parts))


def _log_axes(ax, logx, logy):
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log", nonpositive="mask")


def _resolve_bound(b, runs):
    if isinstance(b, B.Bound):
        return b
    if isinstance(b, str):
        if b not in B.ALL:
            raise ValueError(f"unknown bound {b!r}; known bounds: {sorted(B.ALL)}")
        return B.evaluate(b, runs)
    raise TypeError(f"a bound must be a name from regretlab.bounds.ALL or a Bound, got {type(b).__name__}")


def _add_not_applicable(na, bound, run, label, single):
    """Record that ``bound`` does not apply to ``run``: ``na`` maps (bound name, reasons) to run labels.

    With several runs, a reason that ends by naming the run's own learner
    (``"Theorem 4.1 is about Adam, not OGD"``) is cut before that name, so the runs a
    bound excludes for the same reason share one legend entry.
    """
    head = B.NOT_ANALYSED + " ("
    # a legend has no room for the wrapper: "not the analysed algorithm (X)" is drawn as "X"
    reasons = tuple(r[len(head):-1] if r.startswith(head) and r.endswith(")") else r for r in bound.reasons)
    if not single:
        cut = f", not {run.learner.name}"
        reasons = tuple(r[:-len(cut)] if r.endswith(cut) else r for r in reasons)
    labels = na.setdefault((bound.name, reasons), [])
    if label not in labels:
        labels.append(label)


def _not_applicable_notes(na, single):
    """``"<name>: not applicable (<reasons>)"``; with several runs ``"<name>: not applicable to A, B (<reasons>)"``."""
    if single:
        return [f"{name}: not applicable ({'; '.join(reasons)})" for (name, reasons) in na]
    return [f"{name}: not applicable to {', '.join(labels)} ({'; '.join(reasons)})"
            for (name, reasons), labels in na.items()]


def _fit_label(runs, band):
    """The growth verdict of the curve (:func:`regretlab.stats.growth`) as legend text:
    ``linear, s = 0.667`` with the slope of R(t)/t, ``sublinear``, or ``growth not decided``."""
    from . import stats

    g = stats.growth(runs.t, _per_seed(runs.regret), stochastic=runs.stream.stochastic, level=band or 0.95)
    if g.verdict == stats.LINEAR:
        return f"linear, $s$ = {g.slope:.3g}"
    if g.verdict == stats.SUBLINEAR:
        return "sublinear"
    return "growth not decided"


# ----------------------------------------------------------------------------- regret

def regret(runs, bounds=(), lower=False, loglog=True, band=0.95, ax=None, fit=True, labels=None, title=None):
    r"""The regret curve R(t) of each run with its band over seeds and the requested bounds.

    Parameters
    ----------
    runs : Run, Runs or list of Runs
        One curve (mean over seeds) per Runs.
    bounds : sequence of str or Bound
        Bounds to overlay: names from ``regretlab.bounds.ALL`` (evaluated on each
        Runs with ``regretlab.bounds.<name>(runs)``) or ready :class:`~regretlab.bounds.Bound`
        objects.  Each gets its own line style (its mean over seeds is drawn).  A bound
        that is not applicable is not drawn; its legend entry says
        ``"<name>: not applicable (<reasons>)"``.
    lower : bool
        Overlay the reference :func:`regretlab.bounds.random_sign_lower` (random_sign
        streams only; elsewhere the legend says why it is not drawn).
    loglog : bool
        Log axes (non-positive values are masked, not clipped).
    band : float or None
        Confidence level of the bootstrap band of the mean over seeds; None: no band.
    ax : matplotlib Axes, optional
    fit : bool
        Append the growth verdict of each curve (:func:`regretlab.stats.growth`: the
        fit R(t) = s t + b sqrt(t) + a over the last two decades, checked one decade
        earlier) to its legend label: ``linear, s = ...``, ``sublinear`` or ``growth not decided``.
    labels : sequence of str, optional
        One label per Runs (default: learner name and the hyperparameters that differ).
    title : str, optional
        Default: the stream, when all runs share it.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import regretlab as rl
    >>> from regretlab import plots
    >>> runs = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 2000, seeds=range(4))
    >>> fig = plots.regret(runs, bounds=["theorem_4_1", "ogd"])
    >>> ax = fig.axes[0]
    >>> [line.get_label() for line in ax.lines][1]
    'theorem_4_1'
    >>> any("ogd: not applicable" in t.get_text() for t in fig.legends[0].get_texts())
    True
    """
    rl = _as_list(runs, "regret")
    band = _check_band(band)
    names = _labels_for(rl, labels)
    bounds = list(bounds)
    with _style():
        owned = ax is None
        fig, ax = _new_axes(ax)
        colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        single = len(rl) == 1
        notes, na = [], {}
        refs_drawn = set()
        for i, (r, name) in enumerate(zip(rl, names)):
            color = colors[i % len(colors)]
            label = name + (f": {_fit_label(r, band)}" if fit else "")
            _mean_curve(ax, r.t, r.regret, band, color, label, positive=loglog)
            if not np.all(np.isfinite(r.regret)):
                notes.append(f"{name}: the regret is not finite at some checkpoints (not drawn there)")
            for j, b in enumerate(bounds):
                bd = _resolve_bound(b, r)
                suffix = "" if single else f" ({name})"
                if not bd.applicable:
                    _add_not_applicable(na, bd, r, name, single)
                    continue
                bcolor = colors[(j + 1) % len(colors)] if single else color
                ls = _BOUND_STYLES[j % len(_BOUND_STYLES)]
                kind = " (reference)" if bd.kind == "reference" else ""
                ax.plot(bd.t, _per_seed(bd.value).mean(axis=0), color=bcolor, ls=ls,
                        label=f"{bd.name}{kind}{suffix}", zorder=2)
            if lower and not any(getattr(b, "name", b) == "random_sign_lower" for b in bounds):
                ref = B.random_sign_lower(r)
                key = (repr(r.stream), tuple(ref.t))
                if not ref.applicable:
                    _add_not_applicable(na, ref, r, name, single)
                elif key not in refs_drawn:  # the reference depends on the stream only: draw it once
                    refs_drawn.add(key)
                    ax.plot(ref.t, _per_seed(ref.value).mean(axis=0), color="0.15", ls=_REFERENCE_STYLE,
                            label=f"{ref.name} (reference)", zorder=2)
        _log_axes(ax, loglog, loglog)
        ax.set_xlabel("round $t$")
        ax.set_ylabel("regret $R(t)$")
        _title(ax, _common_stream(rl) if title is None else title)
        _legend(fig, ax, owned, _not_applicable_notes(na, single) + notes, title=_seeds_title(rl, band))
    return fig


def compare(list_of_runs, bounds=(), lower=False, loglog=True, band=0.95, ax=None, fit=True, labels=None,
            title=None):
    """Several learners on one stream: one regret curve each (see :func:`regret`).

    Parameters
    ----------
    list_of_runs : list of Run or Runs
        All played on the same stream (compared by the stream's parameters);
        otherwise ``ValueError``.
    bounds, lower, loglog, band, ax, fit, labels, title
        As in :func:`regret`.  Bounds are evaluated on each Runs and drawn in that
        run's colour.  The runs a bound does not apply to share one legend entry per
        reason: ``"theorem_4_1: not applicable to AMSGrad, OGD (Theorem 4.1 is about Adam)"``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import regretlab as rl
    >>> from regretlab import plots
    >>> s = rl.streams.reddi(3.0)
    >>> runs = [rl.play(L, s, 2000, seeds=range(3)) for L in
    ...         (rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1),
    ...          rl.OGD(alpha=0.5))]
    >>> fig = plots.compare(runs)
    >>> [line.get_label().split(":")[0] for line in fig.axes[0].lines]
    ['Adam', 'AMSGrad', 'OGD']
    """
    if isinstance(list_of_runs, Runs):
        list_of_runs = [list_of_runs]
    rl = _as_list(list_of_runs, "compare")
    streams = sorted({repr(r.stream) for r in rl})
    if len(streams) > 1:
        raise ValueError(f"compare draws learners on one stream, got {len(streams)} streams: {', '.join(streams)}")
    return regret(rl, bounds=bounds, lower=lower, loglog=loglog, band=band, ax=ax, fit=fit, labels=labels,
                  title=title)


def average_regret(runs, band=0.95, logx=True, ax=None, labels=None):
    r"""Average regret R(t)/t (Corollary 4.2 claims it tends to 0) and R(t)/sqrt(t), in two panels.

    R(t)/t -> 0 is Corollary 4.2 of Kingma & Ba; R(t)/sqrt(t) stays bounded exactly
    when R(t) = O(sqrt(t)), the rate of Theorem 4.1.  Each curve is the mean over
    seeds of the per-seed ratio with its bootstrap band.

    Parameters
    ----------
    runs : Run, Runs or list of Runs
    band : float or None
    logx : bool
        Log round axis (the ratios keep linear axes; R/t has a reference line at 0).
    ax : sequence of two matplotlib Axes, optional
        Top (R/t) and bottom (R/sqrt t) panels.
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import regretlab as rl
    >>> from regretlab import plots
    >>> runs = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 2000, seeds=range(4))
    >>> fig = plots.average_regret(runs)
    >>> [a.get_ylabel() for a in fig.axes]
    ['$R(t)/t$', '$R(t)/\\sqrt{t}$']
    """
    rl = _as_list(runs, "average_regret")
    band = _check_band(band)
    names = _labels_for(rl, labels)
    with _style():
        w, h = mpl.rcParams["figure.figsize"]
        owned = ax is None
        fig, (top, bottom) = _new_axes(ax, nrows=2, figsize=(w, 1.45 * h))
        colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        top.axhline(0.0, color="0.5", lw=0.6, zorder=0)
        for i, (r, name) in enumerate(zip(rl, names)):
            t = r.t.astype(float)
            R = _per_seed(r.regret)
            color = colors[i % len(colors)]
            _mean_curve(top, r.t, R / t, band, color, name)
            _mean_curve(bottom, r.t, R / np.sqrt(t), band, color, name)
        for a in (top, bottom):
            _log_axes(a, logx, False)
        top.set_ylabel("$R(t)/t$")
        bottom.set_ylabel(r"$R(t)/\sqrt{t}$")
        bottom.set_xlabel("round $t$")
        _title(top, _common_stream(rl), r"Corollary 4.2: $R(T)/T \to 0$")
        _legend(fig, top, owned, title=_seeds_title(rl, band))
    return fig


# ----------------------------------------------------------------------------- iterates

def trajectories(runs, coord=0, band=0.95, logx=True, comparator=True, ax=None, labels=None):
    r"""The iterate theta_{t+1}[coord] at each checkpoint: mean over seeds with its bootstrap band.

    Parameters
    ----------
    runs : Run, Runs or list of Runs
        Played with ``record_theta=True`` (the default when d <= 64).
    coord : int
        The coordinate drawn (0-based).
    band : float or None
    logx : bool
    comparator : bool
        Draw the best fixed point in hindsight over rounds 1..T (``runs.best_theta``,
        mean over seeds) as a horizontal dotted line.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        When a run has no recorded iterates (``theta_path is None``) or ``coord``
        is out of range.

    Examples
    --------
    >>> import regretlab as rl
    >>> from regretlab import plots
    >>> runs = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 2000, seeds=range(4))
    >>> fig = plots.trajectories(runs, coord=0)
    >>> len(fig.axes[0].lines)  # the mean iterate and the comparator
    2
    """
    rl = _as_list(runs, "trajectories")
    band = _check_band(band)
    names = _labels_for(rl, labels)
    coord = int(coord)
    paths = []
    for r, name in zip(rl, names):
        if r.theta_path is None:
            raise ValueError(f"trajectories: the run {name} has no recorded iterates (theta_path is None); "
                             "play it with record_theta=True")
        if not 0 <= coord < r.d:
            raise ValueError(f"trajectories: coord must be in [0, {r.d}) for d = {r.d}, got {coord}")
        P = np.asarray(r.theta_path, dtype=float)
        paths.append((P[None] if P.ndim == 2 else P)[:, :, coord])
    with _style():
        owned = ax is None
        fig, ax = _new_axes(ax)
        colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, (r, name, P) in enumerate(zip(rl, names, paths)):
            _mean_curve(ax, r.t, P, band, colors[i % len(colors)], name)
        if comparator:
            stars = [float(_per_seed(r.best_theta)[:, coord].mean()) for r in rl]
            if np.allclose(stars, stars[0]) and _common_stream(rl):
                ax.axhline(stars[0], color="0.15", ls=":", lw=1.0, zorder=2,
                           label=r"$\theta^*$ (best fixed point, rounds 1..T)")
            else:
                for i, (s, name) in enumerate(zip(stars, names)):
                    ax.axhline(s, color=colors[i % len(colors)], ls=":", lw=1.0, zorder=2,
                               label=rf"$\theta^*$ ({name})")
        _log_axes(ax, logx, False)
        ax.set_xlabel("round $t$")
        ax.set_ylabel(rf"iterate $\theta_{{t+1}}$, coordinate {coord}")
        _title(ax, _common_stream(rl))
        _legend(fig, ax, owned, title=_seeds_title(rl, band))
    return fig


# ----------------------------------------------------------------------------- tables

def phase_diagram(table, x, y, value, ax=None, cmap=None, center=None, vmin=None, vmax=None, annotate=None,
                  fmt=".2f", label=None):
    """A grid of a result table: one cell per (x, y), coloured by ``value``, with a colourbar.

    The x and y values are drawn as equally spaced categories (sorted, labelled
    with their values), which suits hyperparameter grids such as
    beta2 in {0.1, 0.9, 0.999}.  Missing (x, y) combinations are left blank.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (x, y) pair (aggregate over seeds first).
    x, y, value : str
        Column names.
    ax : matplotlib Axes, optional
    cmap : str or Colormap, optional
        Default: ``viridis``, or the diverging ``PuOr_r`` when ``center`` is given
        (both colour-blind safe).
    center : float, optional
        A value to centre a diverging colour map on (e.g. 0.5 for a growth exponent:
        faster or slower than sqrt(T)).
    vmin, vmax : float, optional
        Colour limits (ignored when ``center`` is given: the map is symmetric about it).
    annotate : bool, optional
        Write each value in its cell (default: when the grid has at most 64 cells).
    fmt : str
        Format of the annotations.
    label : str, optional
        Colourbar label (default: ``value``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        A missing column (named in the message), or two rows for one (x, y) pair.

    Examples
    --------
    >>> import pandas as pd
    >>> from regretlab import plots
    >>> table = pd.DataFrame({"beta2": [0.1, 0.1, 0.9, 0.9], "C": [2.0, 3.0, 2.0, 3.0],
    ...                       "exponent": [0.6, 0.95, 0.5, 0.52]})
    >>> fig = plots.phase_diagram(table, "beta2", "C", "exponent", center=0.5)
    >>> len(fig.axes)  # the grid and its colourbar
    2
    """
    from matplotlib.colors import CenteredNorm

    if not hasattr(table, "columns") or not hasattr(table, "pivot"):
        raise TypeError(f"phase_diagram: table must be a pandas DataFrame, got {type(table).__name__}")
    for role, col in (("x", x), ("y", y), ("value", value)):
        if col not in table.columns:
            raise ValueError(f"phase_diagram: the table has no column {col!r} (given as {role}); "
                             f"its columns are {list(table.columns)}")
    if table.duplicated(subset=[x, y]).any():
        dup = table.loc[table.duplicated(subset=[x, y], keep=False), [x, y]].iloc[0]
        raise ValueError(f"phase_diagram: several rows have {x} = {dup[x]!r}, {y} = {dup[y]!r}; "
                         "aggregate the table to one row per cell first")
    grid = table.pivot(index=y, columns=x, values=value).sort_index(axis=0).sort_index(axis=1)
    Z = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    ny, nx = Z.shape
    with _style():
        owned = ax is None
        fig, ax = _new_axes(ax)
        if center is not None:
            norm = CenteredNorm(vcenter=float(center))
            cmap = cmap or "PuOr_r"
        else:
            norm = mpl.colors.Normalize(vmin=vmin, vmax=vmax)
            cmap = cmap or mpl.rcParams["image.cmap"]
        mesh = ax.pcolormesh(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5, Z, cmap=cmap, norm=norm,
                             shading="flat", edgecolors="white", linewidth=0.5)
        ax.set_aspect("auto")
        ax.grid(False)
        for axis, vals, n in ((ax.xaxis, grid.columns, nx), (ax.yaxis, grid.index, ny)):
            step = max(1, math.ceil(n / 8))  # at most about 8 tick labels
            pos = np.arange(0, n, step)
            axis.set_ticks(pos, [_fmt(vals[k]) if not isinstance(vals[k], str) else vals[k] for k in pos])
            axis.set_tick_params(which="minor", length=0)
        ax.set_xlim(-0.5, nx - 0.5)
        ax.set_ylim(-0.5, ny - 0.5)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        for s in ax.spines.values():
            s.set_visible(False)
        cbar = fig.colorbar(mesh, ax=ax, label=label or value)
        cbar.outline.set_linewidth(0.4)
        if annotate is None:
            annotate = nx * ny <= 64
        if annotate:
            rgba = mesh.cmap(mesh.norm(Z))
            for iy in range(ny):
                for ix in range(nx):
                    if Z.mask is not np.ma.nomask and Z.mask[iy, ix]:
                        continue
                    r, g, b, _ = rgba[iy, ix]
                    dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5  # relative luminance
                    ax.text(ix, iy, format(float(Z[iy, ix]), fmt), ha="center", va="center", fontsize=6,
                            color="white" if dark else "black")
    return fig


# ----------------------------------------------------------------------------- diagnostics

def proof_breaks(runs, band=0.95, logx=True, first=True, ax=None, labels=None):
    r"""Where the proof of Theorem 4.1 breaks: the fraction of pairs (s <= t, i) with Gamma_{s,i} < 0.

    Gamma_{s,i} = sqrt(v_hat_{s,i})/alpha_s - sqrt(v_hat_{s-1,i})/alpha_{s-1}; the
    proof assumes it is non-negative.  The curve is ``stats["gamma_neg"] / (t d)``,
    mean over seeds with its bootstrap band.

    Parameters
    ----------
    runs : Run, Runs or list of Runs
    band : float or None
    logx : bool
    first : bool
        Mark the first round with Gamma < 0 (earliest over seeds, from
        ``stats["first_gamma_neg"]``) with a vertical dotted line.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import regretlab as rl
    >>> from regretlab import plots
    >>> runs = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 2000, seeds=range(4))
    >>> fig = plots.proof_breaks(runs)
    >>> float(fig.axes[0].get_ylim()[0])
    0.0
    """
    from matplotlib.ticker import PercentFormatter

    rl = _as_list(runs, "proof_breaks")
    band = _check_band(band)
    names = _labels_for(rl, labels)
    for r, name in zip(rl, names):
        if "gamma_neg" not in r.stats:
            raise ValueError(f"proof_breaks: the run {name} lacks the statistic 'gamma_neg'")
    with _style():
        owned = ax is None
        fig, ax = _new_axes(ax)
        colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        notes = []
        for i, (r, name) in enumerate(zip(rl, names)):
            color = colors[i % len(colors)]
            frac = _per_seed(r.stats["gamma_neg"]) / (r.t.astype(float)[None, :] * r.d)
            _mean_curve(ax, r.t, frac, band, color, name)
            f = _per_seed(r.stats["first_gamma_neg"])[:, -1] if "first_gamma_neg" in r.stats else np.zeros(1)
            if np.any(f > 0):
                if first:
                    f0 = int(np.min(f[f > 0]))
                    ax.axvline(f0, color=color, ls=":", lw=1.0, zorder=2,
                               label=rf"first $\Gamma<0$" + ("" if len(rl) == 1 else f" ({name})") + f": t = {f0}")
            else:
                notes.append(("" if len(rl) == 1 else f"{name}: ") + r"$\Gamma \geq 0$ throughout (the proof's "
                             "assumption holds)")
        _log_axes(ax, logx, False)
        ax.set_ylim(bottom=0.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("round $t$")
        ax.set_ylabel(r"pairs $(s \leq t, i)$ with $\Gamma_{s,i} < 0$")
        stream = _common_stream(rl)
        _title(ax, stream, r"Theorem 4.1's proof assumes $\Gamma \geq 0$")
        _legend(fig, ax, owned, notes, title=_seeds_title(rl, band))
    return fig


def dynamic_regret(runs, band=0.95, loglog=True, ax=None, labels=None):
    r"""Static regret (against the best fixed point) and dynamic regret (against the per-round
    minimisers) together: solid and dashed, one colour per Runs.

    A run whose dynamic regret is not available (``runs.dynamic_regret is None``:
    no closed-form per-round minimum) or infinite (linear losses on an unbounded
    domain) is drawn static-only with a legend note saying why.

    Parameters
    ----------
    runs : Run, Runs or list of Runs
    band : float or None
    loglog : bool
        Log axes.  Static regret can be negative on non-stationary streams; those
        points are masked on log axes, so pass ``loglog=False`` there.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import regretlab as rl
    >>> from regretlab import plots
    >>> runs = rl.play(rl.OGD(alpha=0.5), rl.streams.drifting_quadratic(d=2), 2000, seeds=range(4))
    >>> fig = plots.dynamic_regret(runs, loglog=False)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['static (best fixed point)', 'dynamic (per-round minimisers)']
    """
    rl = _as_list(runs, "dynamic_regret")
    band = _check_band(band)
    names = _labels_for(rl, labels)
    single = len(rl) == 1
    with _style():
        owned = ax is None
        fig, ax = _new_axes(ax)
        colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        notes = []
        for i, (r, name) in enumerate(zip(rl, names)):
            color = colors[i % len(colors)]
            pre = "" if single else f"{name}: "
            _mean_curve(ax, r.t, r.regret, band, color, pre + "static (best fixed point)", positive=loglog)
            if not np.all(np.isfinite(r.regret)):
                notes.append(f"{pre}the static regret is not finite at some checkpoints (not drawn there)")
            D = r.dynamic_regret
            if D is None:
                notes.append(f"{pre}dynamic regret not available ({r.stream.name} has no closed-form "
                             "per-round minimum)")
            elif not np.all(np.isfinite(D)):
                notes.append(f"{pre}dynamic regret is infinite (linear losses on an unbounded domain)")
            else:
                _mean_curve(ax, r.t, D, band, color, pre + "dynamic (per-round minimisers)", ls="--",
                            positive=loglog)
        _log_axes(ax, loglog, loglog)
        ax.set_xlabel("round $t$")
        ax.set_ylabel("regret")
        _title(ax, _common_stream(rl))
        _legend(fig, ax, owned, notes, title=_seeds_title(rl, band))
    return fig


# ----------------------------------------------------------------------------- sweep tables

_SWEEP_COLUMNS = ("task_id", "learner", "stream", "seed_index", "t")


def _config_label(name, row, prefix, varying):
    args = ", ".join(f"{k[len(prefix):]}={_fmt(row[k])}" for k in varying)
    return f"{name}({args})" if args else name


def sweep_regret(table, value="regret", band=0.95, loglog=True, ax=None, failed=()):
    """The regret curves of a sweep's results table: one panel per stream configuration,
    one curve (mean over seeds, bootstrap band) per learner configuration.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per run x checkpoint, as :func:`regretlab.experiments.load` returns:
        columns ``task_id``, ``learner``, ``stream``, ``seed_index``, ``t`` and ``value``;
        the ``learner.<name>`` and ``stream.<name>`` columns label the configurations
        (only the parameters that vary are shown).
    value : str
        The column drawn (``"regret"``, ``"loss"``, ``"dynamic_regret"``, ...).
    band : float or None
    loglog : bool
    ax : matplotlib Axes or sequence of them, optional
        One per stream configuration.
    failed : sequence of str
        Configurations that have no curve (their runs stopped on a non-finite value), one line
        each, listed under the legend's title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        A missing column (named in the message).

    Examples
    --------
    >>> import pandas as pd
    >>> import regretlab as rl
    >>> from regretlab import plots
    >>> s = rl.streams.reddi(3.0)
    >>> frames = []
    >>> for k, alpha in enumerate((0.1, 0.5)):
    ...     df = rl.play(rl.OGD(alpha=alpha), s, 2000, seeds=range(3)).to_frame()
    ...     frames.append(df.assign(task_id=f"task{k}", seed_index=df.seed, **{"learner.alpha": alpha}))
    >>> fig = plots.sweep_regret(pd.concat(frames))
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['OGD(alpha=0.1)', 'OGD(alpha=0.5)']
    """
    if not hasattr(table, "columns") or not hasattr(table, "groupby"):
        raise TypeError(f"sweep_regret: table must be a pandas DataFrame, got {type(table).__name__}")
    for col in _SWEEP_COLUMNS + (value,):
        if col not in table.columns:
            raise ValueError(f"sweep_regret: the table has no column {col!r}; its columns are {list(table.columns)}")
    if len(table) == 0:
        raise ValueError("sweep_regret: the table is empty")
    band = _check_band(band)
    lcols = sorted(c for c in table.columns if c.startswith("learner.") and table[c].notna().any())
    scols = sorted(c for c in table.columns if c.startswith("stream.") and table[c].notna().any())
    tasks = table.drop_duplicates("task_id").set_index("task_id")

    def varying(cols, by):
        return {name: [c for c in cols if g[c].astype(str).nunique() > 1] for name, g in tasks.groupby(by)}

    lvary, svary = varying(lcols, "learner"), varying(scols, "stream")
    learner_of = {tid: _config_label(r["learner"], r, "learner.", lvary[r["learner"]]) for tid, r in tasks.iterrows()}
    stream_of = {tid: _config_label(r["stream"], r, "stream.", svary[r["stream"]]) for tid, r in tasks.iterrows()}
    panels = sorted(set(stream_of.values()))
    learners = sorted(set(learner_of.values()))  # one colour per learner configuration across panels
    with _style():
        owned = ax is None
        w, h = mpl.rcParams["figure.figsize"]
        if owned:
            fig, axes = _new_axes(None, nrows=len(panels), figsize=(w, h * (0.4 + 0.6 * len(panels))))
            axes = [axes] if len(panels) == 1 else axes
        else:
            fig, axes = _new_axes(ax, nrows=len(panels))
            axes = [axes] if len(panels) == 1 else axes
        colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        n_seeds = set()
        for a, panel in zip(axes, panels):
            for tid in sorted((t for t in tasks.index if stream_of[t] == panel), key=lambda t: learners.index(learner_of[t])):
                grid = table[table.task_id == tid].pivot(index="seed_index", columns="t", values=value)
                n_seeds.add(grid.shape[0])
                k = learners.index(learner_of[tid])
                _mean_curve(a, grid.columns.to_numpy(), grid.to_numpy(dtype=float), band, colors[k % len(colors)],
                            learner_of[tid], positive=loglog)
            _log_axes(a, loglog, loglog)
            a.set_ylabel(value.replace("_", " "))
            a.set_title(panel)
        axes[-1].set_xlabel("round $t$")
        ns = "/".join(str(n) for n in sorted(n_seeds))
        title = (f"mean of {ns} seeds" + (f", {band:.0%} bootstrap band" if band is not None else "")
                 if max(n_seeds) > 1 else "one seed")
        if len(failed):
            title += "\nnot drawn (the run stopped on a non-finite value):\n" + "\n".join(map(str, failed))
        if owned:
            handles = {}
            for a in axes:
                for hd, lab in zip(*a.get_legend_handles_labels()):
                    handles.setdefault(lab, hd)
            fs = mpl.font_manager.FontProperties(size=mpl.rcParams["legend.fontsize"]).get_size_in_points()
            fig.set_figheight(fig.get_figheight() + (len(handles) + 1) * 1.45 * fs / 72.0 + 0.1)
            fig.legend(list(handles.values()), list(handles), title=title, loc="outside lower center")
        else:
            for a in axes:
                a.legend(title=title, loc="best")
    return fig


# ----------------------------------------------------------------------------- the momentum trade-off

def momentum_tradeoff(table, ax=None, title=None):
    r"""The horizon T* at which Theorem 4.1 first fails, against 1 - lambda (THEORY.md section 9, Momentum).

    Draws the arrays of ``table`` (one row per lambda), nothing else:

    * ``T_star`` where ``measured`` is True: the first violating round found by playing
      to it (filled markers);
    * ``T_star`` where ``measured`` is False: the predicted crossing of the fitted regret
      and the bound's extrapolation (open markers);
    * ``t_momentum``: the round from which beta1_t = beta1 lam^(t-1) < 1e-16 beta1 (the
      run is Adam with beta1 = 0 after it): a violation above this line refutes the
      theorem only in its beta1 -> 0 regime;
    * ``guide`` (optional): the (1 - lambda)^-2 term over the slope, T* >~ (1 - lambda)^-2 / s;
    * the largest horizon a run can play, 2^53.

    Parameters
    ----------
    table : pandas.DataFrame with columns ``lam``, ``T_star``, ``measured``, ``t_momentum``
        and optionally ``guide``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from regretlab import plots
    >>> t = pd.DataFrame({"lam": [0.5, 0.99, 0.9999], "T_star": [6.7e7, 7.4e7, 5.2e10],
    ...                   "measured": [True, True, False], "t_momentum": [55, 3667, 368400]})
    >>> fig = plots.momentum_tradeoff(t)
    >>> [l.get_label() for l in fig.axes[0].lines][:2]
    ['$T^*$ measured (first violating round)', '$T^*$ predicted (fitted regret meets the bound)']
    """
    for col in ("lam", "T_star", "measured", "t_momentum"):
        if col not in getattr(table, "columns", ()):
            raise ValueError(f"momentum_tradeoff: the table has no column {col!r}")
    tab = table.sort_values("lam")
    x = 1.0 - tab["lam"].to_numpy(dtype=float)
    y = tab["T_star"].to_numpy(dtype=float)
    meas = tab["measured"].to_numpy(dtype=bool)
    with _style():
        owned = ax is None
        fig, ax = _new_axes(ax)
        colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        ax.plot(x[meas], y[meas], ls="none", marker="o", color=colors[0], label="$T^*$ measured (first violating round)",
                zorder=4)
        ax.plot(x[~meas], y[~meas], ls="none", marker="o", mfc="none", color=colors[0],
                label="$T^*$ predicted (fitted regret meets the bound)", zorder=4)
        ax.plot(x, tab["t_momentum"].to_numpy(dtype=float), color=colors[1], ls="--",
                label=r"momentum horizon: $\beta_{1,t} < 10^{-16}\beta_1$ after it")
        if "guide" in tab.columns:
            ax.plot(x, tab["guide"].to_numpy(dtype=float), color="0.5", ls=":", label=r"$(1-\lambda)^{-2}$ term / $s$")
        ax.axhline(2.0 ** 53, color="0.3", lw=0.6, ls=(0, (1, 1)), label="largest horizon ($2^{53}$)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"$1-\lambda$")
        ax.set_ylabel("first violating round $T^*$ of Theorem 4.1")
        _title(ax, title)
        _legend(fig, ax, owned)
    return fig
