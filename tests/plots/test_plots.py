"""regretlab.plots: each figure draws exactly what it is given, with the expected artists.

Real (small) runs: T = 2000 and a few seeds.  The curves are compared with the
arrays they should draw (mean over seeds, the bound's own values), the bands
with an independent bootstrap, and the legends with the bounds' verdicts.
"""
import copy
import doctest

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection, QuadMesh  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import regretlab as rl  # noqa: E402
from regretlab import bounds as B  # noqa: E402
from regretlab import plots  # noqa: E402

T = 2000
SEEDS = range(4)
ADAM = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1)


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def reddi():
    return rl.streams.reddi(3.0)


@pytest.fixture(scope="module")
def adam(reddi):
    return rl.play(ADAM, reddi, T, seeds=SEEDS)


@pytest.fixture(scope="module")
def adam_one(reddi):
    return rl.play(ADAM, reddi, T, seed=0)


@pytest.fixture(scope="module")
def amsgrad(reddi):
    return rl.play(rl.AMSGrad(alpha=0.5, beta1=0.0, beta2=0.1), reddi, T, seeds=SEEDS)


@pytest.fixture(scope="module")
def ogd_reddi(reddi):
    return rl.play(rl.OGD(alpha=0.5), reddi, T, seeds=SEEDS)


@pytest.fixture(scope="module")
def sign():
    # random signs: the seeds differ, so the band has a width
    return rl.play(rl.OGD(alpha=0.5), rl.streams.random_sign(2), T, seeds=range(8))


@pytest.fixture(scope="module")
def drift():
    return rl.play(rl.OGD(alpha=0.5), rl.streams.drifting_quadratic(d=2), T, seeds=SEEDS)


# ----------------------------------------------------------------------------- helpers

def legend_text(fig):
    """All legend entries and titles of a figure (figure and axes legends), wrapping undone."""
    legends = list(fig.legends) + [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    out = []
    for lg in legends:
        out += [t.get_text().replace("\n", " ") for t in lg.get_texts()]
        out.append(lg.get_title().get_text())
    return out


def has(texts, s):
    return any(s in t for t in texts)


def bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def line(ax, label_start):
    found = [ln for ln in ax.lines if ln.get_label().startswith(label_start)]
    assert len(found) == 1, [ln.get_label() for ln in ax.lines]
    return found[0]


# ----------------------------------------------------------------------------- regret

def test_regret_draws_the_mean_curve_its_band_and_the_applicable_bound(adam):
    fig = plots.regret(adam, bounds=["theorem_4_1", "ogd"])
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.lines) == 2  # Adam's mean regret and Theorem 4.1; ogd is not drawn
    assert len(bands(ax)) == 1
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel()
    curve, bound = line(ax, "Adam"), line(ax, "theorem_4_1")
    np.testing.assert_array_equal(curve.get_xdata(), adam.t)
    np.testing.assert_allclose(curve.get_ydata(), adam.regret.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(bound.get_ydata(), B.theorem_4_1(adam).value.mean(axis=0), rtol=1e-14)
    assert curve.get_linestyle() != bound.get_linestyle()
    texts = legend_text(fig)
    assert has(texts, "theorem_4_1")
    assert has(texts, "ogd: not applicable (this bound is about OGD, not Adam)")
    assert has(texts, "95% bootstrap band")


def test_regret_fit_label_is_the_growth_verdict(adam):
    g = rl.stats.growth(adam.t, adam.regret, stochastic=adam.stream.stochastic)
    assert g.verdict == "linear"
    fig = plots.regret(adam)
    label = line(fig.axes[0], "Adam").get_label()
    assert label.endswith(f"linear, $s$ = {g.slope:.3g}")
    assert "linear" not in line(plots.regret(adam, fit=False).axes[0], "Adam").get_label()


def test_momentum_tradeoff_draws_the_table_it_is_given():
    import pandas as pd

    t = pd.DataFrame({"lam": [0.5, 0.99, 0.9999], "T_star": [6.7e7, 7.4e7, 5.2e10], "measured": [True, True, False],
                      "t_momentum": [55, 3667, 368400], "guide": [2e3, 5e6, 5e10]})
    fig = plots.momentum_tradeoff(t)
    ax = fig.axes[0]
    meas, pred = line(ax, "$T^*$ measured"), line(ax, "$T^*$ predicted")
    np.testing.assert_array_equal(meas.get_xdata(), [0.5, 1 - 0.99])
    np.testing.assert_array_equal(pred.get_ydata(), [5.2e10])
    assert pred.get_markerfacecolor() == "none" and ax.get_xscale() == "log" == ax.get_yscale()
    np.testing.assert_array_equal(line(ax, "momentum horizon").get_ydata(), [55, 3667, 368400])
    with pytest.raises(ValueError, match="T_star"):
        plots.momentum_tradeoff(t.drop(columns="T_star"))


def test_regret_one_seed_has_no_band(adam_one):
    assert adam_one.n_seeds == 1 and adam_one.regret.ndim == 1
    fig = plots.regret(adam_one, bounds=["theorem_4_1"])
    ax = fig.axes[0]
    assert bands(ax) == []
    assert len(ax.lines) == 2
    assert has(legend_text(fig), "one seed")
    np.testing.assert_allclose(line(ax, "theorem_4_1").get_ydata(), B.theorem_4_1(adam_one).value, rtol=1e-14)


def test_regret_band_none_and_linear_axes(sign):
    ax = plots.regret(sign, band=None, loglog=False).axes[0]
    assert bands(ax) == []
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "linear"


def test_regret_lower_reference_drawn_on_random_sign_only(sign, adam):
    fig = plots.regret(sign, bounds=["ogd"], lower=True)
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # OGD's regret, its bound, the random-sign reference
    ref = line(ax, "random_sign_lower")
    np.testing.assert_allclose(ref.get_ydata(), B.random_sign_lower(sign).value.mean(axis=0), rtol=1e-14)
    assert len({ln.get_color() for ln in ax.lines}) == 3
    assert [ln.get_linestyle() == "-" for ln in ax.lines] == [True, False, False]
    texts = legend_text(plots.regret(adam, lower=True))
    assert has(texts, "random_sign_lower: not applicable (the reference holds for the random_sign stream")


def test_regret_accepts_bound_objects_and_rejects_unknown_names(adam):
    bd = B.theorem_4_1(adam)
    ax = plots.regret(adam, bounds=[bd]).axes[0]
    np.testing.assert_allclose(line(ax, "theorem_4_1").get_ydata(), bd.value.mean(axis=0))
    with pytest.raises(ValueError, match="unknown bound 'theorem_9'"):
        plots.regret(adam, bounds=["theorem_9"])
    with pytest.raises(ValueError, match="band"):
        plots.regret(adam, band=1.5)
    with pytest.raises(TypeError):
        plots.regret(adam.regret)


def test_band_is_a_percentile_bootstrap_of_the_mean(sign):
    Y = sign.regret
    lo, hi = plots._bootstrap_band(Y, 0.95)
    # independent reference: resample seed indices with the same generator, average, take percentiles
    idx = np.random.default_rng(0).integers(0, Y.shape[0], size=(2000, Y.shape[0]))
    ref_lo, ref_hi = np.percentile(Y[idx].mean(axis=1), [2.5, 97.5], axis=0)
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-12, atol=1e-12)
    # a band of the mean: about 2 standard errors wide, far narrower than +-1 std
    late = sign.t > 100
    se = Y.std(axis=0, ddof=1)[late] / np.sqrt(Y.shape[0])
    ratio = np.median((hi - lo)[late] / (2 * 1.96 * se))
    assert 0.6 < ratio < 1.2
    # the drawn polygon spans exactly [lo, hi]
    poly = bands(plots.regret(sign, loglog=False).axes[0])[0]
    ys = np.concatenate([p.vertices[:, 1] for p in poly.get_paths()])
    assert np.isclose(ys.min(), lo.min()) and np.isclose(ys.max(), hi.max())


# ----------------------------------------------------------------------------- compare

def test_compare_one_curve_per_learner(adam, amsgrad, ogd_reddi):
    fig = plots.compare([adam, amsgrad, ogd_reddi], bounds=["theorem_4_1"])
    ax = fig.axes[0]
    assert [ln.get_label().split(":")[0] for ln in ax.lines] == ["Adam", "theorem_4_1 (Adam)", "AMSGrad", "OGD"]
    assert len(bands(ax)) == 3
    texts = legend_text(fig)
    assert has(texts, "theorem_4_1: not applicable to AMSGrad, OGD (Theorem 4.1 is about Adam)")
    assert sum("not applicable" in t for t in texts) == 1
    colors = [line(ax, k).get_color() for k in ("Adam:", "AMSGrad", "OGD")]
    assert len(set(colors)) == 3
    assert line(ax, "theorem_4_1").get_color() == colors[0]


def test_compare_keeps_distinct_reasons_apart(reddi, adam):
    # Adam with a constant schedule: Theorem 4.1 fails on an assumption, not on the learner type
    const = rl.play(ADAM.replace(schedule="constant"), reddi, T, seeds=range(2))
    texts = legend_text(plots.compare([adam, const], bounds=["theorem_4_1", "ogd"], lower=True, fit=False))
    assert has(texts, "theorem_4_1: not applicable to Adam(schedule='constant') (schedule='constant'")
    assert has(texts, "ogd: not applicable to Adam(schedule='theorem'), Adam(schedule='constant') "
                      "(this bound is about OGD)")
    assert has(texts, "random_sign_lower: not applicable to Adam(schedule='theorem'), Adam(schedule='constant') "
                      "(the reference holds for the random_sign stream, not 'reddi')")


def test_compare_labels_show_the_hyperparameters_that_differ(reddi):
    grid = rl.play_many([ADAM, ADAM.replace(beta2=0.9)], reddi, T, seeds=range(2))
    labels = [ln.get_label() for ln in plots.compare(grid, fit=False).axes[0].lines]
    assert labels == ["Adam(beta2=0.1)", "Adam(beta2=0.9)"]


def test_compare_rejects_different_streams(adam, sign):
    with pytest.raises(ValueError, match="one stream"):
        plots.compare([adam, sign])


# ----------------------------------------------------------------------------- average regret

def test_average_regret_two_panels(adam, ogd_reddi):
    fig = plots.average_regret([adam, ogd_reddi])
    top, bottom = fig.axes
    assert len(top.lines) == 3  # two curves and the reference line at 0
    assert len(bottom.lines) == 2
    assert len(bands(top)) == 2 and len(bands(bottom)) == 2
    assert top.get_ylabel() == "$R(t)/t$" and bottom.get_ylabel() == r"$R(t)/\sqrt{t}$"
    assert bottom.get_xlabel() and bottom.get_xscale() == "log"
    t = adam.t.astype(float)
    np.testing.assert_allclose(line(top, "Adam").get_ydata(), (adam.regret / t).mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(line(bottom, "Adam").get_ydata(), (adam.regret / np.sqrt(t)).mean(axis=0),
                               rtol=1e-13)
    assert "Corollary 4.2" in top.get_title()


def test_average_regret_one_seed_and_given_axes(adam_one):
    fig = Figure()
    axes = fig.subplots(2, 1)
    out = plots.average_regret(adam_one, ax=axes)
    assert out is fig
    assert all(bands(a) == [] for a in axes)
    with pytest.raises(ValueError, match="2 matplotlib Axes"):
        plots.average_regret(adam_one, ax=axes[0])


# ----------------------------------------------------------------------------- trajectories

def test_trajectories_mean_iterate_band_and_comparator(adam):
    fig = plots.trajectories(adam, coord=0)
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    assert len(bands(ax)) == 1
    np.testing.assert_allclose(line(ax, "Adam").get_ydata(), adam.theta_path[:, :, 0].mean(axis=0), rtol=1e-14)
    star = line(ax, r"$\theta^*$")
    assert np.allclose(star.get_ydata(), adam.best_theta[:, 0].mean())
    assert ax.get_xlabel() and "coordinate 0" in ax.get_ylabel()
    assert len(plots.trajectories(adam, comparator=False).axes[0].lines) == 1


def test_trajectories_one_seed(adam_one):
    ax = plots.trajectories(adam_one).axes[0]
    assert bands(ax) == []
    np.testing.assert_allclose(line(ax, "Adam").get_ydata(), adam_one.theta_path[:, 0])


def test_trajectories_errors(reddi, adam):
    blind = rl.play(ADAM, reddi, 200, seeds=range(2), record_theta=False)
    with pytest.raises(ValueError, match="theta_path is None.*record_theta=True"):
        plots.trajectories(blind)
    with pytest.raises(ValueError, match="coord must be in"):
        plots.trajectories(adam, coord=1)


# ----------------------------------------------------------------------------- phase diagram

@pytest.fixture
def table():
    rows = [{"beta2": b2, "C": C, "exponent": 0.5 + 0.1 * i - 0.05 * j, "seeds": 4}
            for i, b2 in enumerate((0.1, 0.5, 0.9)) for j, C in enumerate((2.5, 3.0))]
    return pd.DataFrame(rows)


def test_phase_diagram_grid_and_colourbar(table):
    fig = plots.phase_diagram(table, "beta2", "C", "exponent")
    ax, cax = fig.axes
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 1 and meshes[0].colorbar is not None
    assert cax.get_ylabel() == "exponent"
    assert ax.get_xlabel() == "beta2" and ax.get_ylabel() == "C"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.5", "0.9"]
    Z = meshes[0].get_array().reshape(2, 3)
    np.testing.assert_allclose(Z[1, 2], table.query("beta2 == 0.9 and C == 3.0")["exponent"].item())
    assert len(ax.texts) == 6  # annotated cells


def test_phase_diagram_centre_missing_cells_and_labels(table):
    fig = plots.phase_diagram(table.iloc[1:], "beta2", "C", "exponent", center=0.5, annotate=False,
                              label="fitted exponent")
    ax, cax = fig.axes
    mesh = ax.collections[0]
    assert mesh.norm.vcenter == 0.5
    assert np.ma.getmaskarray(mesh.get_array()).sum() == 1
    assert len(ax.texts) == 0 and cax.get_ylabel() == "fitted exponent"


def test_phase_diagram_validates_columns(table):
    with pytest.raises(ValueError, match="no column 'gamma'"):
        plots.phase_diagram(table, "beta2", "gamma", "exponent")
    with pytest.raises(ValueError, match="no column 'p'"):
        plots.phase_diagram(table, "beta2", "C", "p")
    with pytest.raises(ValueError, match="aggregate"):
        plots.phase_diagram(pd.concat([table, table]), "beta2", "C", "exponent")
    with pytest.raises(TypeError):
        plots.phase_diagram(table.to_dict(), "beta2", "C", "exponent")


# ----------------------------------------------------------------------------- proof breaks

def test_proof_breaks_fraction_of_negative_gamma(adam, amsgrad):
    fig = plots.proof_breaks([adam, amsgrad])
    ax = fig.axes[0]
    frac = adam.stats["gamma_neg"] / (adam.t * adam.d)
    np.testing.assert_allclose(line(ax, "Adam").get_ydata(), frac.mean(axis=0), rtol=1e-14)
    first = line(ax, "first")
    assert first.get_xdata()[0] == adam.stats["first_gamma_neg"][:, -1].min()
    assert len(ax.lines) == 3  # two curves and Adam's first Gamma < 0
    assert len(bands(ax)) == 2
    assert ax.get_ylim()[0] == 0.0 and ax.get_xlabel() and ax.get_ylabel()
    assert has(legend_text(fig), r"AMSGrad: $\Gamma \geq 0$ throughout")


def test_proof_breaks_one_seed(adam_one):
    ax = plots.proof_breaks(adam_one, first=False).axes[0]
    assert len(ax.lines) == 1 and bands(ax) == []


# ----------------------------------------------------------------------------- dynamic regret

def test_dynamic_regret_static_and_dynamic(drift):
    fig = plots.dynamic_regret(drift, loglog=False)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(bands(ax)) == 2
    np.testing.assert_allclose(line(ax, "dynamic").get_ydata(), drift.dynamic_regret.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(line(ax, "static").get_ydata(), drift.regret.mean(axis=0), rtol=1e-14)
    assert line(ax, "dynamic").get_linestyle() == "--"
    assert ax.get_xlabel() and ax.get_ylabel()
    ax = plots.dynamic_regret(drift).axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_dynamic_regret_missing_is_a_legend_note(reddi):
    stream = copy.copy(reddi)
    stream.dyn_index = None  # no built-in stream lacks the per-round minimum; emulate one that does
    runs = rl.play(ADAM, stream, 500, seeds=range(2))
    assert runs.dynamic_regret is None
    fig = plots.dynamic_regret(runs)
    assert len(fig.axes[0].lines) == 1
    assert has(legend_text(fig), "dynamic regret not available")


# ----------------------------------------------------------------------------- common behaviour

def test_draws_into_given_axes_with_an_axes_legend(adam):
    fig = Figure()
    ax = fig.subplots()
    out = plots.regret(adam, bounds=["theorem_4_1", "ogd"], ax=ax)
    assert out is fig and fig.axes == [ax]
    assert fig.legends == [] and ax.get_legend() is not None
    assert has(legend_text(fig), "ogd: not applicable")


@pytest.mark.parametrize("draw", [
    lambda r: plots.regret(r, bounds=["theorem_4_1"]),
    lambda r: plots.average_regret(r),
    lambda r: plots.trajectories(r),
    lambda r: plots.compare([r]),
    lambda r: plots.proof_breaks(r),
    lambda r: plots.dynamic_regret(r),
])
def test_global_rcparams_untouched_and_style_applied(adam, draw):
    before = dict(matplotlib.rcParams)
    fig = draw(adam)
    after = dict(matplotlib.rcParams)
    assert before == after
    assert fig.get_figwidth() == pytest.approx(3.5)  # the style's column width, not the global default
    curve = [ln for ln in fig.axes[0].lines if not ln.get_label().startswith("_")][0]  # the first curve
    assert curve.get_color().lower() == "#0072b2"  # Okabe-Ito blue
    fig.canvas.draw()  # renders without error on Agg


def test_docstring_examples_run():
    res = doctest.testmod(plots, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


# ----------------------------------------------------------------------------- sweep tables

@pytest.fixture(scope="module")
def sweep_table(reddi, sign):
    frames = []
    for k, (alpha, stream) in enumerate([(0.1, reddi), (0.5, reddi), (0.5, rl.streams.random_sign(2))]):
        df = rl.play(rl.OGD(alpha=alpha), stream, T, seeds=range(3)).to_frame()
        frames.append(df.assign(task_id=f"task{k}", seed_index=df.seed, **{"learner.alpha": alpha}))
    return pd.concat(frames, ignore_index=True)


def test_sweep_regret_one_panel_per_stream_one_curve_per_learner(sweep_table):
    fig = plots.sweep_regret(sweep_table)
    sign_ax, reddi_ax = fig.axes  # panels sorted by stream configuration
    assert [a.get_title() for a in fig.axes] == ["random_sign", "reddi"]
    assert [ln.get_label() for ln in reddi_ax.lines] == ["OGD(alpha=0.1)", "OGD(alpha=0.5)"]
    assert [ln.get_label() for ln in sign_ax.lines] == ["OGD(alpha=0.5)"]
    assert len(bands(sign_ax)) == 1
    assert line(reddi_ax, "OGD(alpha=0.5)").get_color() == line(sign_ax, "OGD(alpha=0.5)").get_color()
    g = sweep_table[sweep_table.task_id == "task2"].pivot(index="seed_index", columns="t", values="regret")
    np.testing.assert_allclose(sign_ax.lines[0].get_ydata(), g.to_numpy().mean(axis=0), rtol=1e-14)
    assert reddi_ax.get_xlabel() and sign_ax.get_yscale() == "log"  # the round label on the bottom panel
    assert has(legend_text(fig), "bootstrap band")


def test_sweep_regret_validates_columns(sweep_table):
    with pytest.raises(ValueError, match="no column 'seed_index'"):
        plots.sweep_regret(sweep_table.drop(columns="seed_index"))
    with pytest.raises(ValueError, match="no column 'dyn'"):
        plots.sweep_regret(sweep_table, value="dyn")


def test_regret_on_different_streams_labels_the_stream(adam, sign):
    labels = [ln.get_label() for ln in plots.regret([adam, sign], fit=False).axes[0].lines]
    assert labels == ["Adam on reddi(C=3.0)", "OGD on random_sign(d=2, radius=1.0, G=1.0)"]
