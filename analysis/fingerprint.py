"""Fingerprint every number a catalogue of games produces, to check that a change is bit-identical.

Plays each learner (with its variants) against each kind of stream (adversarial, stochastic,
sparse, non-stationary, data, adaptive), batched grids, a continued run, and a chunked run, and
hashes every public array of the results (loss, best_loss, best_gap, regret, every statistic,
the final per-coordinate statistics, iterates, sufficient statistics, dynamic regret) and every
bound curve of ``regretlab.bounds``.  Only the public API is used, so the same script runs on
any version of regretlab.

Usage::

    python analysis/fingerprint.py OUT.json            # write the fingerprints of this checkout
    python analysis/fingerprint.py OUT.json --against BEFORE.json   # and compare: exit 1 on any difference

Run it with ``PYTHONPATH`` pointing at each checkout to compare two versions.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np


def _h(a):
    a = np.ascontiguousarray(np.asarray(a, dtype=float))
    return hashlib.sha256(a.tobytes() + str(a.shape).encode()).hexdigest()[:16]


def _learners(rl):
    return [
        rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1),
        rl.Adam(alpha=0.1, beta1=0.9, beta2=0.99, lam=0.99),
        rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999, schedule="constant", bias_correction="none"),
        rl.Adam(alpha=0.1, beta1=0.5, beta2=0.9, bias_correction="current", eps_mode="hat"),
        rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999, lazy=True),
        rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99),
        rl.AMSGrad(alpha=0.1, beta1=0.9, beta2=0.99, variant="corrected", projection="euclidean"),
        rl.AdaMax(alpha=0.1),
        rl.AdaGrad(alpha=0.5),
        rl.AdaGrad(alpha=0.5, delta=1e-3, schedule="constant"),
        rl.RMSProp(alpha=0.05),
        rl.OGD(alpha=0.5),
        rl.OGD(alpha=0.1, schedule="constant"),
        rl.AdamNC(alpha=0.1, beta1=0.5),
        rl.NesterovSGD(alpha=0.05),
    ]


def _streams(rl):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = np.where(X @ np.array([1.0, -1.0, 0.5]) > 0, 1, -1)
    return {
        "reddi": rl.streams.reddi(3.0),
        "periodic": rl.streams.periodic_linear(2.0, 1.0, 4),
        "random_sign": rl.streams.random_sign(3),
        "linear": rl.streams.linear(rng.standard_normal((500, 2)) * 0.5),
        "reddi_stochastic": rl.streams.reddi_stochastic(3.0),
        "quadratic": rl.streams.quadratic(np.array([0.3, -0.2]), sigma=0.5),
        "sparse_linear": rl.streams.sparse_linear(d=200, nnz=5),
        "sparse_logistic": rl.streams.sparse_logistic(d=100, nnz=4),
        "synthetic_logistic": rl.streams.synthetic_logistic(4),
        "drifting_quadratic": rl.streams.drifting_quadratic(2, step=0.01),
        "switching_quadratic": rl.streams.switching_quadratic(np.array([[0.5, 0.5], [-0.5, 0.2]]), 50),
        "logistic": rl.streams.logistic(X, y),
        "hinge": rl.streams.hinge(X, y, order="random"),
        "momentum_adversary": rl.streams.momentum_adversary(2),
    }


def _runs_arrays(rl, runs, prefix, out):
    for name in ("loss", "best_loss", "best_gap", "regret", "theta", "best_theta", "suff"):
        out[f"{prefix}.{name}"] = _h(getattr(runs, name))
    if runs.theta_path is not None:
        out[f"{prefix}.theta_path"] = _h(runs.theta_path)
    if runs.dynamic_regret is not None:
        out[f"{prefix}.dynamic_regret"] = _h(runs.dynamic_regret)
    for k, v in sorted(runs.stats.items()):
        out[f"{prefix}.stats.{k}"] = _h(v)
    for k, v in sorted(runs.final.items()):
        out[f"{prefix}.final.{k}"] = _h(v)
    for name in ("theorem_4_1", "corollary_4_2", "amsgrad_theorem_4", "amsgrad_corollary_1", "tran_phong",
                 "ogd", "adagrad", "trivial_bound", "random_sign_lower", "lower", "proof_assumption",
                 "step_size", "lemma_10_3", "lemma_10_4"):
        fn = getattr(rl.bounds, name, None)
        if fn is None:
            continue
        try:
            b = fn(runs)
        except Exception as e:  # noqa: BLE001 - a bound that refuses is part of the fingerprint
            out[f"{prefix}.bound.{name}"] = f"error: {type(e).__name__}"
            continue
        val = getattr(b, "value", None)
        if val is None:
            val = getattr(b, "lhs", None)
        out[f"{prefix}.bound.{name}"] = _h(val) if val is not None else f"n/a: {getattr(b, 'reasons', '')}"[:80]
        for k, v in sorted(getattr(b, "terms", {}).items()):
            out[f"{prefix}.bound.{name}.{k}"] = _h(v)


def fingerprints():
    import regretlab as rl

    out = {}
    T = 600
    for sname, s in _streams(rl).items():
        for j, L in enumerate(_learners(rl)):
            try:
                runs = rl.play(L, s, T, seeds=range(2))
            except Exception as e:  # noqa: BLE001
                out[f"{sname}.{j}"] = f"error: {type(e).__name__}: {e}"[:120]
                continue
            _runs_arrays(rl, runs, f"{sname}.{j}", out)
    s = rl.streams.reddi(3.0)
    grid = [rl.Adam(alpha=a, beta1=0.5, beta2=0.1, lam=0.9) for a in (0.1, 0.3, 0.5)]
    for j, r in enumerate(rl.play_many(grid, s, 2000, seeds=range(3))):
        _runs_arrays(rl, r, f"grid.{j}", out)
    L = rl.Adam(alpha=0.5, beta1=0.5, beta2=0.1, lam=0.5)
    short = rl.play(L, s, 1000, seeds=range(2))
    _runs_arrays(rl, short.extend(5000), "extend", out)
    _runs_arrays(rl, rl.play(L, s, 5000, seeds=range(2), chunks=7), "chunks", out)
    _runs_arrays(rl, rl.play(L, s, 10**5, seed=3), "single", out)
    v = rl.verify(rl.play(rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1), s, 2000, seeds=range(2)))
    cols = [c for c in ("claim", "status", "first_violation", "R_T", "bound_T") if c in v.columns]
    out["verify"] = hashlib.sha256(v[cols].to_csv(index=False).encode()).hexdigest()[:16]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--against", help="a fingerprint file to compare with")
    a = ap.parse_args(argv)
    fp = fingerprints()
    with open(a.out, "w") as fh:
        json.dump(fp, fh, indent=0, sort_keys=True)
    print(f"{len(fp)} fingerprints written to {a.out}")
    if a.against:
        with open(a.against) as fh:
            ref = json.load(fh)
        diff = sorted(k for k in set(ref) | set(fp) if ref.get(k) != fp.get(k))
        for k in diff[:40]:
            print(f"DIFFERENT {k}: {ref.get(k)} -> {fp.get(k)}")
        print(f"{len(diff)} of {len(set(ref) | set(fp))} differ")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
