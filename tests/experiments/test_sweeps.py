"""Sweeps are bit-identical on every executor and after a resume; invalid sweep specs are one-line
SpecErrors that start with the key path, and ``regretlab sweep`` exits 2 on them with one line on stderr.

Compile budget: the sweep plays Adam (default options) against reddi and random_sign, kernels that
test_properties.py also uses; pool and Dask workers load them from the on-disk cache.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import tomllib
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from regretlab.game import boundary as E
from regretlab import experiments as X
from regretlab.cli import main

SPEC = {
    "name": "det",
    "T": 400,
    "checkpoints": 12,
    "seeds": 2,
    "root_seed": 3,
    "learners": {"adam": {"type": "Adam", "alpha": [0.1, 0.4], "beta1": 0.5, "beta2": 0.9}},
    "streams": {"reddi": {"type": "reddi", "C": 3.0}, "signs": {"type": "random_sign", "d": 2}},
}


def assert_bit_identical(a: pd.DataFrame, b: pd.DataFrame):
    assert list(a.columns) == list(b.columns)
    assert a.shape == b.shape and len(a) > 0
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        assert x.dtype == y.dtype, c
        if x.dtype.kind == "f":
            assert x.tobytes() == y.tobytes(), (c, np.flatnonzero(x.view(np.uint64) != y.view(np.uint64))[:5])
        else:
            assert (x == y).all() or pd.Series(x).equals(pd.Series(y)), c


def _tables(out):
    return X.load(out), X.load(out, "summary")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("serial") / "out")
    res = X.run_sweep(SPEC, out, executor="serial", quiet=True)
    assert res == {"out": out, "tasks": 4, "run": 4, "skipped": 0, "runs": 8}
    runs, summ = _tables(out)
    assert len(runs) == 8 * 12 and len(summ) == 8
    assert not runs.duplicated(["task_id", "seed_index", "t"]).any()
    return out, runs, summ


def test_serial_sweep_is_reproducible_in_process(serial, tmp_path):
    _, runs, summ = serial
    X.run_sweep(SPEC, str(tmp_path / "again"), executor="serial", quiet=True)
    r2, s2 = _tables(str(tmp_path / "again"))
    assert_bit_identical(runs, r2)
    assert_bit_identical(summ, s2)


@pytest.mark.parametrize("workers", [1, 2])
def test_local_pool_is_bit_identical_to_serial(serial, tmp_path, workers):
    _, runs, summ = serial
    out = str(tmp_path / f"pool{workers}")
    res = X.run_sweep(SPEC, out, executor="local", workers=workers, quiet=True)
    assert res["run"] == 4
    r2, s2 = _tables(out)
    assert_bit_identical(runs, r2)
    assert_bit_identical(summ, s2)


def test_dask_local_cluster_is_bit_identical_to_serial(serial, tmp_path):
    pytest.importorskip("dask.distributed")
    _, runs, summ = serial
    out = str(tmp_path / "dask")
    res = X.run_sweep(SPEC, out, executor="dask", workers=2, quiet=True)
    assert res["run"] == 4
    r2, s2 = _tables(out)
    assert_bit_identical(runs, r2)
    assert_bit_identical(summ, s2)


def test_resume_recomputes_only_the_missing_task_bit_identically(serial, tmp_path):
    src, runs, summ = serial
    out = str(tmp_path / "resume")
    shutil.copytree(src, out)
    task = X.load_spec(SPEC).tasks[1]
    for p in X._task_paths(out, task.task_id):
        os.remove(p)
    kept = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in os.listdir(out)}
    res = X.run_sweep(SPEC, out, executor="serial", quiet=True)
    assert (res["run"], res["skipped"]) == (1, 3)
    for f, mtime in kept.items():  # finished tasks (and the manifest) are not rewritten
        assert os.stat(os.path.join(out, f)).st_mtime_ns == mtime, f

    def task_files(folder):
        return sorted(f for f in os.listdir(folder) if f.startswith("task-"))

    assert task_files(out) == task_files(src)
    assert not [f for f in os.listdir(out) if f.startswith(".tmp-")]
    r2, s2 = _tables(out)
    assert_bit_identical(runs, r2)
    assert_bit_identical(summ, s2)


def test_growing_the_grid_keeps_the_finished_runs_bit_identical(serial, tmp_path):
    """Seeds follow a run's identity, not its position: a bigger sweep reproduces the smaller one's rows."""
    _, runs, summ = serial
    big = copy.deepcopy(SPEC)
    big["learners"]["adam"]["alpha"] = [0.05, 0.1, 0.4]
    big["streams"] = {"aaa": {"type": "random_sign", "d": 1}, **SPEC["streams"]}
    out = str(tmp_path / "big")
    X.run_sweep(big, out, executor="serial", quiet=True)
    ids = set(runs.task_id)
    for small, table in ((runs, X.load(out)), (summ, X.load(out, "summary"))):
        table = table[table.task_id.isin(ids)].reset_index(drop=True)
        assert_bit_identical(small, table[list(small.columns)])


# =============================================================================== invalid specs

def _spec(**changes):
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

#: (id, spec, key path the message starts with)
BAD_SPECS = [
    ("typo-top-learner", _spec(learner={"a": {"type": "Adam"}}), "learner"),
    ("typo-top-seed", _spec(seed=2), "seed"),
    ("typo-learner-param", _spec(learners__adam__alpah=0.1), "learners.adam.alpah"),
    ("typo-stream-param", _spec(streams__signs__dd=2), "streams.signs.dd"),
    ("typo-stream-domain", _spec(streams__reddi__domain="box"), "streams.reddi.domain"),
    ("T-string", _spec(T="400"), "T"),
    ("T-fraction", _spec(T=2.5), "T"),
    ("T-bool", _spec(T=True), "T"),
    ("T-negative", _spec(T=-5), "T"),
    ("T-inf", _spec(T=math.inf), "T"),
    ("seeds-negative", _spec(seeds=-1), "seeds"),
    ("seeds-negative-index", _spec(seeds=[0, -1]), "seeds"),
    ("seeds-string", _spec(seeds="2"), "seeds"),
    ("seeds-empty", _spec(seeds=[]), "seeds"),
    ("seeds-float", _spec(seeds=[0, 1.5]), "seeds"),
    ("root-seed-negative", _spec(root_seed=-3), "root_seed"),
    ("root-seed-float", _spec(root_seed=1.5), "root_seed"),
    ("checkpoints-zero", _spec(checkpoints=0), "checkpoints"),
    ("checkpoints-empty", _spec(checkpoints=[]), "checkpoints"),
    ("checkpoints-beyond-T", _spec(checkpoints=[1, 401]), "checkpoints"),
    ("checkpoints-string", _spec(checkpoints="10"), "checkpoints"),
    ("checkpoints-fraction", _spec(checkpoints=[2.5]), "checkpoints"),
    ("learners-empty", _spec(learners={}), "learners"),
    ("learners-list", _spec(learners=[]), "learners"),
    ("learner-not-table", _spec(learners={"adam": 5}), "learners.adam"),
    ("learners-missing", _spec(learners=_DELETE), "learners"),
    ("T-missing", _spec(T=_DELETE), "T"),
    ("unknown-learner-by-key", _spec(learners={"adamw": {"alpha": 0.1}}), "learners.adamw.type"),
    ("unknown-learner-case", _spec(learners__adam__type="adam"), "learners.adam.type"),
    ("unknown-stream-linear", _spec(streams={"s": {"type": "linear"}}), "streams.s.type"),
    ("unknown-stream-case", _spec(streams__reddi__type="Reddi"), "streams.reddi.type"),
    ("linspace-count-zero", _spec(learners__adam__alpha={"linspace": [0.1, 1.0, 0]}), "learners.adam.alpha.linspace"),
    ("logspace-count-fraction", _spec(learners__adam__alpha={"logspace": [-2, -1, 2.5]}),
     "learners.adam.alpha.logspace"),
    ("range-two-numbers", _spec(learners__adam__alpha={"range": [0.1, 1.0]}), "learners.adam.alpha.range"),
    ("range-step-zero", _spec(learners__adam__alpha={"range": [0.1, 1.0, 0.0]}), "learners.adam.alpha.range"),
    ("range-string-bound", _spec(learners__adam__alpha={"linspace": ["a", 1.0, 2]}),
     "learners.adam.alpha.linspace"),
    ("range-two-kinds", _spec(learners__adam__alpha={"linspace": [0.1, 1.0, 2], "logspace": [-2, -1, 2]}),
     "learners.adam.alpha"),
    ("grid-value-out-of-range", _spec(learners__adam__alpha=[0.1, -0.5]), "learners.adam.alpha"),
    ("linspace-reaching-1", _spec(learners__adam__beta2={"linspace": [0.9, 1.0, 3]}), "learners.adam.beta2"),
    ("alpha-string", _spec(learners__adam__alpha="0.1"), "learners.adam.alpha"),
    ("lazy-string", _spec(learners__adam__lazy="yes"), "learners.adam.lazy"),
    ("variant-typo", _spec(learners={"ams": {"type": "AMSGrad", "variant": "corected"}}), "learners.ams.variant"),
    ("stream-d-zero", _spec(streams__signs__d=0), "streams.signs.d"),
    ("stream-d-fraction", _spec(streams__signs__d=2.5), "streams.signs.d"),
    ("stream-nnz-above-d", _spec(streams={"s": {"type": "sparse_linear", "d": 3, "nnz": 5}}), "streams.s.nnz"),
    ("stream-p-above-1", _spec(streams={"s": {"type": "stochastic_linear", "big": 1.0, "small": 1.0, "p": 1.5}}),
     "streams.s.p"),
    ("stream-C-string", _spec(streams__reddi__C="3"), "streams.reddi.C"),
    ("duplicate-configuration", _spec(learners={"a": {"type": "Adam", "alpha": 0.1},
                                                "b": {"type": "Adam", "alpha": 0.1}}), "learners/streams"),
    # each of these used to get through load_spec: a TypeError (unhashable type), duplicated runs, T beyond
    # the kernel's counters, a MemoryError from np.linspace
    ("learner-type-list", _spec(learners__adam__type=["Adam"]), "learners.adam.type"),
    ("stream-type-table", _spec(streams__reddi__type={"name": "reddi"}), "streams.reddi.type"),
    ("seeds-duplicate-indices", _spec(seeds=[1, 1]), "seeds"),
    ("T-beyond-2**53", _spec(T=1e30), "T"),
    ("linspace-count-huge", _spec(learners__adam__alpha={"linspace": [0.1, 1.0, 1e12]}),
     "learners.adam.alpha.linspace"),
    ("range-step-tiny", _spec(learners__adam__alpha={"range": [0.1, 1.0, 1e-300]}), "learners.adam.alpha.range"),
]

ALL_BAD = [pytest.param(*c, id=c[0]) for c in BAD_SPECS]


def test_the_catalogue_is_long_enough():
    assert len(BAD_SPECS) >= 15 and len({c[0] for c in BAD_SPECS}) == len(BAD_SPECS)
    X.load_spec(SPEC)  # the base spec itself is valid


def _assert_starts_with_key_path(msg, path):
    assert "\n" not in msg, msg
    assert re.match(re.escape(path) + r"[:. =]", msg), f"{msg!r} does not start with {path!r}"


@pytest.mark.parametrize("label,spec,path", ALL_BAD)
def test_invalid_spec_is_a_one_line_spec_error_starting_with_the_key_path(label, spec, path):
    with pytest.raises(X.SpecError) as info:
        X.load_spec(spec)
    _assert_starts_with_key_path(str(info.value), path)


# ------------------------------------------------------------------ the command line

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


@pytest.mark.parametrize("label,spec,path", ALL_BAD)
def test_cli_sweep_on_an_invalid_spec_exits_2_with_one_line(label, spec, path, tmp_path, capsys):
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
    _assert_starts_with_key_path(cap.err[len(prefix):].rstrip("\n"), path)
    assert cap.out == ""
    assert not out.exists()  # nothing is written for a spec that does not validate
