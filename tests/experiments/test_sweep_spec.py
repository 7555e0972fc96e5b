"""Sweep specifications (regretlab.experiments.spec): grids, seeds from identity, and every invalid spec a
one-line SpecError starting with its key path — through the API and through ``regretlab sweep``."""
from __future__ import annotations

import copy
import json
import math
import os
import re
import tomllib
from unittest import mock

import pytest

from regretlab import experiments as X
from regretlab.cli import main
from regretlab.game import boundary as E

SPEC = {
    "name": "det",
    "T": 400,
    "checkpoints": 12,
    "seeds": 2,
    "root_seed": 3,
    "learners": {"adam": {"type": "Adam", "alpha": [0.1, 0.4], "beta1": 0.5, "beta2": 0.9}},
    "streams": {"reddi": {"type": "reddi", "C": 3.0}, "signs": {"type": "random_sign", "d": 2}},
}


def _spec(**changes):
    """SPEC with ``a__b__c=value`` set (or deleted with _DELETE)."""
    s = copy.deepcopy(SPEC)
    for path, value in changes.items():
        *head, last = path.split("__")
        d = s
        for k in head:
            d = d[k]
        if value is _DELETE:
            del d[last]
        else:
            d[last] = value
    return s


_DELETE = object()


def test_grid_expansion_ranges_and_toml_files(tmp_path):
    sw = X.load_spec(_spec(learners={"adam": {"type": "Adam", "alpha": [0.1, 0.5], "beta1": 0.0, "beta2": 0.1},
                                     "ogd": {"type": "OGD", "alpha": {"logspace": [-1, 0, 2]}}}))
    assert len(sw.tasks) == 4 * 2 and sw.n_runs == 16
    assert sorted(t.learner_params["alpha"] for t in sw.tasks if t.stream_key == "reddi") == \
        pytest.approx([0.1, 0.1, 0.5, 1.0])
    p = tmp_path / "s.toml"
    p.write_text('T = 100\n[learners.o]\ntype = "OGD"\nalpha = {range = [0.1, 0.35, 0.1]}\n[streams.r]\ntype = "reddi"\n')
    assert [t.learner_params["alpha"] for t in X.load_spec(str(p)).tasks] == pytest.approx([0.1, 0.2, 0.3])
    with pytest.raises(X.SpecError, match="no sweep file"):
        X.load_spec(str(tmp_path / "missing.toml"))
    here = os.path.dirname(__file__)
    assert X.load_spec(os.path.join(here, "..", "..", "analysis", "sweeps", "smoke.toml")).n_runs == 36


def test_seeds_follow_the_root_seed_and_the_identity():
    a = X.load_spec(SPEC)
    assert len({s for t in a.tasks for s in t.seeds}) == a.n_runs
    assert X.load_spec(_spec(root_seed=8)).tasks[0].seeds != a.tasks[0].seeds
    # the identity, not the position: the same configuration listed later in a bigger grid keeps its seeds
    b = X.load_spec(_spec(streams={"zz": {"type": "random_sign", "d": 1}, **SPEC["streams"]}))
    assert {t.task_id: t.seeds for t in a.tasks}.items() <= {t.task_id: t.seeds for t in b.tasks}.items()


#: (id, spec, the key path the message starts with, a regex the rest of the message must match or None)
BAD_SPECS = [
    ("typo-top-T", _spec(TT=5), "TT", r"unknown key \(did you mean 'T'\?\)"),
    ("typo-top-learner", _spec(learner={"a": {"type": "Adam"}}), "learner", None),
    ("typo-top-seed", _spec(seed=2), "seed", None),
    ("typo-learner-param", _spec(learners__adam__alpah=0.1), "learners.adam.alpah",
     r"Adam has no parameter 'alpah' \(did you mean 'alpha'\?\)"),
    ("typo-stream-param", _spec(streams__signs__dd=2), "streams.signs.dd", None),
    ("typo-stream-domain", _spec(streams__reddi__domain="box"), "streams.reddi.domain", None),
    ("T-string", _spec(T="400"), "T", None),
    ("T-fraction", _spec(T=2.5), "T", None),
    ("T-bool", _spec(T=True), "T", None),
    ("T-negative", _spec(T=-5), "T", r"must be an integer in \[1, 2\^53\]"),
    ("T-inf", _spec(T=math.inf), "T", None),
    ("seeds-negative", _spec(seeds=-1), "seeds", None),
    ("seeds-negative-index", _spec(seeds=[0, -1]), "seeds", None),
    ("seeds-string", _spec(seeds="2"), "seeds", None),
    ("seeds-empty", _spec(seeds=[]), "seeds", None),
    ("seeds-float", _spec(seeds=[0, 1.5]), "seeds", None),
    ("root-seed-negative", _spec(root_seed=-3), "root_seed", None),
    ("root-seed-float", _spec(root_seed=1.5), "root_seed", None),
    ("checkpoints-zero", _spec(checkpoints=0), "checkpoints", None),
    ("checkpoints-empty", _spec(checkpoints=[]), "checkpoints", None),
    ("checkpoints-beyond-T", _spec(checkpoints=[1, 401]), "checkpoints", r"rounds must lie in \[1, T=400\]"),
    ("checkpoints-string", _spec(checkpoints="10"), "checkpoints", None),
    ("checkpoints-fraction", _spec(checkpoints=[2.5]), "checkpoints", None),
    ("learners-empty", _spec(learners={}), "learners", "needs at least one entry"),
    ("learners-list", _spec(learners=[]), "learners", None),
    ("learner-not-table", _spec(learners={"adam": 5}), "learners.adam", None),
    ("learners-missing", _spec(learners=_DELETE), "learners", "missing"),
    ("T-missing", _spec(T=_DELETE), "T", "missing"),
    ("unknown-learner-by-key", _spec(learners={"adamw": {"alpha": 0.1}}), "learners.adamw.type", None),
    ("unknown-learner-case", _spec(learners__adam__type="adam"), "learners.adam.type",
     r"unknown learner 'adam' \(did you mean 'Adam'\?\)"),
    ("unknown-stream-linear", _spec(streams={"s": {"type": "linear"}}), "streams.s.type", None),
    ("unknown-stream-case", _spec(streams__reddi__type="Reddi"), "streams.reddi.type",
     r"unknown stream 'Reddi' \(did you mean 'reddi'\?\)"),
    ("grid-empty-list", _spec(learners__adam__alpha=[]), "learners.adam.alpha", "an empty list"),
    ("range-kind-unknown", _spec(learners__adam__alpha={"geomspace": [1, 2, 3]}), "learners.adam.alpha",
     "unknown range kind"),
    ("range-wrong-direction", _spec(learners__adam__alpha={"range": [1, 0, 0.1]}), "learners.adam.alpha.range",
     "is empty"),
    ("linspace-count-zero", _spec(learners__adam__alpha={"linspace": [0.1, 1.0, 0]}), "learners.adam.alpha.linspace",
     None),
    ("logspace-count-fraction", _spec(learners__adam__alpha={"logspace": [-2, -1, 2.5]}),
     "learners.adam.alpha.logspace", None),
    ("range-two-numbers", _spec(learners__adam__alpha={"range": [0.1, 1.0]}), "learners.adam.alpha.range", None),
    ("range-step-zero", _spec(learners__adam__alpha={"range": [0.1, 1.0, 0.0]}), "learners.adam.alpha.range", None),
    ("range-string-bound", _spec(learners__adam__alpha={"linspace": ["a", 1.0, 2]}),
     "learners.adam.alpha.linspace", None),
    ("range-two-kinds", _spec(learners__adam__alpha={"linspace": [0.1, 1.0, 2], "logspace": [-2, -1, 2]}),
     "learners.adam.alpha", None),
    ("grid-value-out-of-range", _spec(learners__adam__alpha=[0.1, -0.5]), "learners.adam.alpha", None),
    ("beta1-above-1", _spec(learners__adam__beta1=1.5), "learners.adam.beta1", r"\[0, 1\)"),
    ("linspace-reaching-1", _spec(learners__adam__beta2={"linspace": [0.9, 1.0, 3]}), "learners.adam.beta2", None),
    ("alpha-string", _spec(learners__adam__alpha="0.1"), "learners.adam.alpha", None),
    ("lazy-string", _spec(learners__adam__lazy="yes"), "learners.adam.lazy", None),
    ("schedule-unknown", _spec(learners__adam__schedule="cosine"), "learners.adam.schedule", None),
    ("variant-typo", _spec(learners={"ams": {"type": "AMSGrad", "variant": "corected"}}), "learners.ams.variant",
     None),
    ("stream-d-zero", _spec(streams__signs__d=0), "streams.signs.d", None),
    ("stream-d-fraction", _spec(streams__signs__d=2.5), "streams.signs.d", None),
    ("stream-nnz-above-d", _spec(streams={"s": {"type": "sparse_linear", "d": 3, "nnz": 5}}), "streams.s.nnz", None),
    ("stream-p-above-1", _spec(streams={"s": {"type": "stochastic_linear", "big": 1.0, "small": 1.0, "p": 1.5}}),
     "streams.s.p", None),
    ("stream-C-string", _spec(streams__reddi__C="3"), "streams.reddi.C", None),
    ("stream-C-out-of-range", _spec(streams__reddi__C=1.0), "streams.reddi.C", None),
    ("duplicate-configuration", _spec(learners={"a": {"type": "Adam", "alpha": 0.1},
                                                "b": {"type": "Adam", "alpha": 0.1}}), "learners/streams", None),
    # each of these used to get through load_spec: a TypeError (unhashable type), duplicated runs, T beyond
    # the kernel's counters, a MemoryError from np.linspace
    ("learner-type-list", _spec(learners__adam__type=["Adam"]), "learners.adam.type", None),
    ("stream-type-table", _spec(streams__reddi__type={"name": "reddi"}), "streams.reddi.type", None),
    ("seeds-duplicate-indices", _spec(seeds=[1, 1]), "seeds", None),
    ("T-beyond-2**53", _spec(T=1e30), "T", None),
    ("linspace-count-huge", _spec(learners__adam__alpha={"linspace": [0.1, 1.0, 1e12]}),
     "learners.adam.alpha.linspace", None),
    ("range-step-tiny", _spec(learners__adam__alpha={"range": [0.1, 1.0, 1e-300]}), "learners.adam.alpha.range",
     None),
]

ALL_BAD = [pytest.param(*c, id=c[0]) for c in BAD_SPECS]


def test_the_catalogue_is_long_enough_and_its_base_is_valid():
    assert len(BAD_SPECS) >= 15 and len({c[0] for c in BAD_SPECS}) == len(BAD_SPECS)
    X.load_spec(SPEC)


def _assert_message(msg, path, match):
    assert "\n" not in msg, msg
    assert re.match(re.escape(path) + r"[:. =]", msg), f"{msg!r} does not start with {path!r}"
    assert match is None or re.search(match, msg), f"{msg!r} does not say {match!r}"


@pytest.mark.parametrize("label,spec,path,match", ALL_BAD)
def test_invalid_spec_is_a_one_line_spec_error_starting_with_the_key_path(label, spec, path, match):
    with pytest.raises(X.SpecError) as info:
        X.load_spec(spec)
    _assert_message(str(info.value), path, match)


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"not representable in TOML: {v!r}")


def to_toml(spec):
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in spec.items())


def test_the_toml_writer_round_trips(tmp_path):
    p = tmp_path / "ok.toml"
    p.write_text(to_toml(SPEC))
    assert tomllib.loads(p.read_text()) == SPEC
    assert X.load_spec(str(p)).spec_hash == X.load_spec(SPEC).spec_hash


@pytest.mark.parametrize("label,spec,path,match", ALL_BAD)
def test_cli_sweep_on_an_invalid_spec_exits_2_with_one_line(label, spec, path, match, tmp_path, capsys):
    f = tmp_path / f"{label}.toml"
    f.write_text(to_toml(spec))
    assert tomllib.loads(f.read_text()) == spec
    out = tmp_path / "out"

    def no_kernel(*specs):  # an invalid spec must never reach a kernel (and T = 1e30 would run ~forever)
        raise AssertionError("a kernel was reached for an invalid spec")

    try:
        with mock.patch.object(E, "kernel_for", no_kernel):
            code = main(["sweep", str(f), "--out", str(out), "--serial", "--quiet"])
    except SystemExit as exc:
        code = exc.code
    cap = capsys.readouterr()
    assert code == 2
    assert cap.err.count("\n") == 1 and cap.err.endswith("\n"), cap.err
    prefix = "regretlab: error: "
    assert cap.err.startswith(prefix), cap.err
    _assert_message(cap.err[len(prefix):].rstrip("\n"), path, match)
    assert cap.out == ""
    assert not out.exists()  # nothing is written for a spec that does not validate


def test_numpy_numbers_and_list_valued_parameters_in_a_spec():
    import numpy as np

    from regretlab.experiments import load_spec

    base = {"name": "x", "T": np.int64(10), "seeds": np.int64(2),
            "learners": {"o": {"type": "OGD", "alpha": np.float64(0.5)}},
            "streams": {"s": {"type": "switching_quadratic", "targets": {"value": [[0.5], [-0.5]]}, "period": 5}}}
    sw = load_spec(base)
    assert sw.T == 10 and len(sw.tasks) == 1 and sw.tasks[0].stream_params["targets"] == [[0.5], [-0.5]]
    toml = ('name = "t"\nT = 10\n[learners.o]\ntype = "OGD"\n[streams.s]\ntype = "switching_quadratic"\n'
            'targets = {value = [[0.5], [-0.5]]}\nperiod = [5, 7]\n')
    assert len(load_spec(toml).tasks) == 2  # period is an axis, targets one value


def test_small_refusals_of_issue_14():
    import numpy as np

    import regretlab as rl

    with pytest.raises(ValueError, match="schedule must be one of"):
        rl.Adam(schedule=np.array(["theorem"]))
    with pytest.raises(ValueError, match="seeds must be distinct: seed 1 appears 2 times"):
        rl.play(rl.OGD(), rl.streams.reddi(), 10, seeds=[1, 2, 1])
    with pytest.raises(ValueError, match="complex values"):
        rl.streams.logistic(np.ones((4, 2)) * (1 + 1j), np.ones(4))
    for bad in ((11,), (), range(10), "13", (1, 1)):
        with pytest.raises(ValueError, match="digits: positive must be"):
            rl.streams.digits(positive=bad)
    with pytest.raises(ValueError, match="verify takes runs"):
        rl.verify("x")
    r = rl.play(rl.OGD(), rl.streams.reddi(), 50)
    assert rl.verify(r, claims="ogd").claim.tolist() == ["ogd"]  # one claim, not its letters
