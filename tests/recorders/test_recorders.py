"""Recorders: the statistics of a run are pluggable, named, and cost nothing when not asked for."""
import ast
import math
import os
from typing import NamedTuple

import numpy as np
import pytest

import regretlab as rl

# ----------------------------------------------------------------------------- a user's recorder and bound


class SumSquaredGradients(NamedTuple):
    """sum_{s<=t} ||g_s||_2^2, registered from outside the package."""

    tag: int = 0


def _ssg_observe(spec, a, C, k, t, X, G):
    s = 0.0
    for i in range(G.shape[1]):
        s += G[k, i] * G[k, i]
    return (a[0] + s,)


def _ssg_snapshot(spec, a, C, k, X, V, out, c):
    out[k, c, 0] = a[0]


rl.register_recorder(SumSquaredGradients, fields=("sum_sq_grad",), n_acc=1, observe=_ssg_observe,
                     snapshot=_ssg_snapshot)


class PathLength(NamedTuple):
    """sum_s ||theta_s - Delta_s - theta_s||_1 (the unprojected steps), with a per-coordinate row."""

    scale: float = 1.0


def _pl_observe(spec, a, C, k, t, X, G):
    for i in range(X.shape[1]):
        C[k, 0, i] = X[k, i]
    return a


def _pl_after(spec, a, C, k, t, X, H, V, step, beta1_t, alpha_t):
    s = 0.0
    for i in range(X.shape[1]):
        s += abs(C[k, 0, i] - X[k, i])
    return (a[0] + spec.scale * s,)


rl.register_recorder(PathLength, fields=("path",), n_acc=1, coords=("before",), coord_start={"before": "x0"},
                     final={"last_theta": "before"}, observe=_pl_observe, after_step=_pl_after,
                     snapshot=_ssg_snapshot)


def ogd_constant_bound(runs, eta):
    """OGD with a constant step eta on a convex set of diameter D (Zinkevich 2003, Theorem 1 with
    the data-dependent sum): R(T) <= D^2/(2 eta) + (eta/2) sum_t ||g_t||^2."""
    D = runs.stream.domain.diameter_2
    return D ** 2 / (2 * eta) + eta / 2 * runs.record("sum_sq_grad", needed_by="ogd_constant_bound")


def _grads(T=400, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(T, d))


def test_a_user_recorder_feeds_a_user_bound_without_touching_the_package():
    G = _grads()
    s = rl.streams.linear(G, domain=rl.Box(-1, 1, d=3))
    eta = 0.05
    run = rl.play(rl.OGD(alpha=eta, schedule="constant"), s, 400, record=rl.recorders.BOUNDS + (SumSquaredGradients(),))
    # the recorder against the sum written from its definition
    cum = np.cumsum((G ** 2).sum(axis=1))[run.t - 1]
    np.testing.assert_allclose(run.records["sum_sq_grad"], cum, rtol=1e-13)
    bound = ogd_constant_bound(run, eta)
    assert np.all(run.regret <= bound)
    # a bound 40 times smaller is violated: the comparison can fail
    assert np.any(run.regret > bound / 40)
    # the built-in statistics are unchanged by the extra recorder
    ref = rl.play(rl.OGD(alpha=eta, schedule="constant"), s, 400)
    for k, v in ref.records.items():
        np.testing.assert_array_equal(run.records[k], v)
    np.testing.assert_array_equal(run.regret, ref.regret)


def _ogd_constant(runs, spread="domain"):
    """ogd_constant_bound as a regretlab Bound (one term per part of the sum)."""
    eta = runs.learner.alpha
    D = runs.stream.domain.diameter_2
    shape = np.shape(runs.loss)
    terms = {"D^2/(2 eta)": np.full(shape, D ** 2 / (2 * eta)),
             "(eta/2) sum ||g||^2": eta / 2 * runs.record("sum_sq_grad", needed_by="ogd_constant")}
    return rl.bounds.Bound("ogd_constant", runs.t.copy(), sum(terms.values()), terms, {"eta": eta, "D": D},
                           kind="upper", algorithm="OGD with a constant step", forms={"D^2/(2 eta)": "const",
                                                                                    "(eta/2) sum ||g||^2": "linear"})


@pytest.fixture
def user_bound():
    rl.bounds.register_bound("ogd_constant", _ogd_constant)
    yield "ogd_constant"
    del rl.bounds.ALL["ogd_constant"]


def test_verify_judges_a_user_bound_on_a_user_recorder(user_bound):
    s = rl.streams.random_sign(3)
    L = rl.OGD(alpha=0.05, schedule="constant")
    runs = rl.play(L, s, 40000, seeds=range(8), record=rl.recorders.BOUNDS + (SumSquaredGradients(),))
    row = rl.verify(runs, [user_bound]).iloc[0]
    # the regret grows like sqrt(T), the bound like eta G^2 T / 2: it holds, with room
    assert row.claim == user_bound and row.status == "holds", row.detail
    assert row.R_T <= 0.5 * row.bound_T
    # the same run without the recorder: verify says what to record, in one line
    with pytest.raises(ValueError, match="sum_sq_grad"):
        rl.verify(rl.play(L, s, 400, seeds=range(2)), [user_bound])


def test_recorders_with_parameters_and_coordinate_rows():
    G = _grads(200, 2, 1)
    s = rl.streams.linear(G, domain=rl.Box(-0.5, 0.5, d=2))
    L = rl.OGD(alpha=0.05, schedule="constant")
    run = rl.play(L, s, 200, checkpoints=np.arange(1, 201), record=(PathLength(scale=2.0),))
    assert sorted(run.records) == ["path"]
    # OGD's unprojected step is Delta_t = eta g_t: the path is 2 eta sum_s ||g_s||_1
    path = run.records["path"]
    np.testing.assert_allclose(path, 2.0 * 0.05 * np.cumsum(np.abs(G).sum(axis=1)), rtol=1e-13)
    other = rl.play(L, s, 200, checkpoints=np.arange(1, 201), record=(PathLength(scale=1.0),))
    np.testing.assert_allclose(path, 2.0 * other.records["path"], rtol=1e-15)
    np.testing.assert_array_equal(run.final["last_theta"], run.theta_path[-2])  # theta_T, before its step


def test_regret_only_recording_gives_the_same_regret_and_records_nothing_else():
    L, s = rl.Adam(alpha=0.5, beta1=0.5, beta2=0.1, lam=0.5), rl.streams.reddi(3.0)
    full = rl.play(L, s, 3000, seeds=range(3))
    lean = rl.play(L, s, 3000, seeds=range(3), record="regret")
    for name in ("loss", "best_loss", "regret", "theta", "theta_path", "suff"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name))
    assert lean.records == {}
    with pytest.raises(ValueError, match=r"record=\"bounds\""):
        rl.bounds.theorem_4_1(lean)
    longer = lean.extend(6000)
    np.testing.assert_array_equal(longer.regret, rl.play(L, s, 6000, seeds=range(3), checkpoints=longer.t).regret)
    assert longer.records == {}


def test_user_recorders_survive_chunks_continuations_and_seed_selection():
    L, s = rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99), rl.streams.random_sign(2)
    rec = (SumSquaredGradients(), rl.recorders.GradientNorms())
    cont = rl.play(L, s, 700, seeds=range(2), record=rec).extend(5000)
    whole = rl.play(L, s, 5000, seeds=range(2), record=rec, checkpoints=cont.t)
    chunked = rl.play(L, s, 5000, seeds=range(2), record=rec, checkpoints=cont.t, chunks=5)
    for other in (chunked, cont):
        np.testing.assert_array_equal(other.t, whole.t)
        for k in whole.records:
            np.testing.assert_array_equal(other.records[k], whole.records[k])
    one = whole[1]
    np.testing.assert_array_equal(one.records["sum_sq_grad"], whole.records["sum_sq_grad"][1])
    # random signs of magnitude 1 in d = 2: ||g_t||^2 = 2 every round
    np.testing.assert_array_equal(one.records["sum_sq_grad"], 2.0 * whole.t)


@pytest.mark.parametrize("record, message", [
    ("everything", r"record must be one of \['bounds', 'regret'\]"),
    (42, "record must be one of"),
    ((rl.recorders.GradientNorms(), rl.recorders.GradientNorms()), "recorded by both"),
    ((("not", "a", "spec"),), "is not a registered recorder"),
])
def test_bad_record_arguments_get_one_line_errors(record, message):
    with pytest.raises(ValueError, match=message) as e:
        rl.play(rl.OGD(), rl.streams.reddi(), 10, record=record)
    assert "\n" not in str(e.value)


def test_register_recorder_validates_its_layout():
    class R(NamedTuple):
        tag: int = 0

    with pytest.raises(ValueError, match="names no coordinate row"):
        rl.register_recorder(R, fields=("a",), snapshot=_ssg_snapshot, coord_start={"nope": 0.0})
    with pytest.raises(ValueError, match="at least one field"):
        rl.register_recorder(R, fields=(), snapshot=_ssg_snapshot)
    with pytest.raises(ValueError, match="NamedTuple class"):
        rl.register_recorder(dict, fields=("a",), snapshot=_ssg_snapshot)


def test_the_default_recording_is_what_the_bounds_read():
    run = rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), rl.streams.reddi(3.0), 500)
    fields = {f for r in rl.recorders.BOUNDS for f in rl._registry.recorder_info(r).fields}
    assert set(run.records) == fields
    assert set(run.final) == {"sum_g2", "vhat", "theta_min", "theta_max"}
    assert math.isfinite(rl.bounds.theorem_4_1(run).value[-1])


# ----------------------------------------------------------------------------- the package's shape

PKG = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "regretlab")


def _module_of(path):
    rel = os.path.relpath(path, os.path.dirname(PKG))[:-3].replace(os.sep, ".")
    return rel[: -len(".__init__")] if rel.endswith(".__init__") else rel


def _imports():
    """regretlab module -> the regretlab modules it imports (at any level: lazy imports count)."""
    mods = {}
    for root, _dirs, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                mods[_module_of(os.path.join(root, f))] = os.path.join(root, f)
    graph = {}
    for mod, path in mods.items():
        pkg = mod if path.endswith("__init__.py") else mod.rsplit(".", 1)[0]
        out = set()
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom):
                base = pkg
                for _ in range(max(node.level - 1, 0)):
                    base = base.rsplit(".", 1)[0]
                target = (base + "." + node.module if node.module else base) if node.level else (node.module or "")
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    out.add(sub if sub in mods else target)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
        graph[mod] = {m for m in out if m in mods and m != mod}
    return graph


def test_the_package_has_no_import_cycles():
    graph = _imports()
    # a package's __init__ re-exports its children: an arrow parent -> child is not a dependency back
    graph = {m: {n for n in deps if not (m == "regretlab" or n.startswith(m + "."))} for m, deps in graph.items()}
    state, cycle = {}, []

    def visit(m, stack):
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle.append(stack[stack.index(n):] + [n] if n in stack else [m, n])
            elif n not in state:
                visit(n, stack + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycle, f"import cycles: {cycle}"


def test_the_loop_knows_no_statistic_by_name():
    src = open(os.path.join(PKG, "game", "kernel.py")).read()
    for name in ("gamma", "lemma", "sum_g", "max_g", "spread", "beta1_h"):
        assert name not in src.lower(), f"the kernel mentions {name!r}"
