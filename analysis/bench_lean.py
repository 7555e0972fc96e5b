"""Benchmark regretlab.play against *lean* plain C loops: the ones DESIGN.md's targets name.

DESIGN.md, "Performance, measured": against the lean C loops (the game, the
cumulative loss and sum g only -- the arithmetic of a regret curve), ``play`` with
regret-only recording should be within 1.15x per round (single run) and 1.3x per
trial-round (64 batched trials); with the default recording (every statistic the
bounds need) within 1.6x and 2x.  (``bench_engine.py`` compares against a C loop
doing *all* of the engine's bookkeeping; this script measures the targets' ratio.)

Game (as bench_engine.py): Reddi's stream periodic_linear(3, 1, 3), d = 1, domain
[-1, 1], x0 = 1; Adam(alpha=0.5, beta1=0, beta2=0.1, eps=1e-8, lam=1-1e-8,
schedule="theorem", bias_correction="paper", eps_mode="paper").  Per round the
lean C loop does only: the stream's gradient, the loss g*x, the cumulative loss,
SUFF += g, the Adam step (the arithmetic of ``_make_adam_step(THEOREM, 0, 0)`` (schedule, lazy, eps_hat) with bias=0,
running powers as products flushed to 0 below the smallest normal double, as
``_flush``) and the projection; at each checkpoint (``default_checkpoints(T)``)
it records (cumulative loss, SUFF, x).  No Gamma counts, Lemma sums, norms,
ranges or finiteness checks.  ``lean_single``: one trial; ``lean_batch``: n trials
in the inner loop over t, state in arrays of n (as bench_engine's play_batch).
gcc -O3, no fast-math, built into a temporary shared library, called via ctypes.

Gate: before any timing, the C records must equal regretlab's ``loss``,
``suff[..., 0]`` (sum g) and ``theta_path[..., 0]`` bit for bit at every
checkpoint (single, and every batched trial); else the first mismatch is printed
and the exit status is 1.

Timing, in this process: C and regretlab alternate (one warm-up each, then 5
pairs); ratio per pair, reported as median [min, max].  regretlab: whole ``play()``
calls (validation, allocation, comparator included).  Rows: default recording,
and regret-only recording if ``play`` accepts ``record="regret"`` (its signature).

A second table gives the cost per trial-round against the number of trials n (2 .. 256, the
same game with n x T fixed), each n gated and timed the same way against ``lean_batch``.

Usage: ``/work/venv/bin/python analysis/bench_lean.py [--quick] [--out PATH]``
(--quick: T = 1e6 single, 1e5 batched instead of 1e7, 1e6; default out
reports/benchmarks_lean.md).  NUMBA_CACHE_DIR: a fresh temporary directory
unless set, removed at exit.
"""
from __future__ import annotations

import argparse
import atexit
import ctypes
import datetime
import inspect
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
# bench_engine fixes NUMBA_CACHE_DIR before numba is imported (a fresh temporary directory unless set,
# removed at exit) and puts the repository root on sys.path; the game, the trial count and the
# compiler flags are its own (its C loop does all of the engine's bookkeeping, these only the regret's)
from bench_engine import (ALPHA, BETA1, BETA2, BIG, EPS, GCC_FLAGS, HI, LAM, LO, N_SEEDS, PERIOD,  # noqa: E402
                          ROOT, SMALL, X0, cpu_model, gcc_version)

import numpy as np  # noqa: E402

PAIRS = 5
TRIALS = (2, 4, 16, 64, 256)  # the trial counts of the scaling table

C_SOURCE = r"""
#include <math.h>
#include <stdint.h>

/* regretlab.learners._flush: a running power, or 0 once it is below the smallest normal double. */
static inline double flush(double z) { return z >= 2.2250738585072014e-308 ? z : 0.0; }

/* One trial, d = 1.  prm = (alpha, beta1, beta2, eps, lam), strm = (big, small).
   Records (cumulative loss, sum g, x after the projection) at the rounds ck[0..nc-1].
   beta1_t^t (z3 of the kernel) is read only by bias_correction="current": not kept here. */
void lean_single(const double *prm, const double *strm, int64_t period, double lo, double hi, double x0,
                 const int64_t *ck, int64_t nc, double *rec_loss, double *rec_suff, double *rec_x)
{
    const double alpha = prm[0], beta1 = prm[1], beta2 = prm[2], eps = prm[3], lam = prm[4];
    const double big = strm[0], small = strm[1];
    const int64_t phase = 1 % period;
    double x = x0, suff = 0.0, cum = 0.0, m = 0.0, v = 0.0, z0 = 0.0, z1 = 0.0, z2 = 0.0;
    int64_t t = 1;
    for (int64_t c = 0; c < nc; c++) {
        const int64_t t_end = ck[c];
        for (; t <= t_end; t++) {
            const double g = (t % period == phase) ? big : -small;
            suff += g;
            double loss = 0.0;  /* as _periodic_round: 0.0 + g*x */
            loss += g * x;
            cum += loss;
            if (t == 1) { z0 = beta1; z1 = beta2; z2 = 1.0; }
            else { z0 = flush(z0 * beta1); z1 = flush(z1 * beta2); z2 = flush(z2 * lam); }
            const double b1t = beta1 * z2;
            const double c1 = 1.0 - z0, c2 = 1.0 - z1;
            const double alpha_t = alpha / sqrt((double)t);
            m = b1t * m + (1.0 - b1t) * g;
            v = beta2 * v + (1.0 - beta2) * g * g;
            const double vh = v / c2;
            const double den = sqrt(vh) + eps;
            const double step = den > 0.0 ? alpha_t * (m / c1) / den : 0.0;
            x -= step;
            if (x < lo) x = lo;
            else if (x > hi) x = hi;
        }
        rec_loss[c] = cum; rec_suff[c] = suff; rec_x[c] = x;
    }
}

/* n trials of the same game, trials in the inner loop over t, state in arrays of n
   (state is (8, n): rows X, M, V, Z0, Z1, Z2, LOSS, SUFF).  rec_* are (n, nc). */
void lean_batch(int64_t n, const double *prm, const double *strm, int64_t period, double lo, double hi,
                double x0, const int64_t *ck, int64_t nc, double *rec_loss, double *rec_suff, double *rec_x,
                double *state)
{
    const double alpha = prm[0], beta1 = prm[1], beta2 = prm[2], eps = prm[3], lam = prm[4];
    const double big = strm[0], small = strm[1];
    const int64_t phase = 1 % period;
    double *X = state, *M = state + n, *Vv = state + 2 * n, *Z0 = state + 3 * n, *Z1 = state + 4 * n,
           *Z2 = state + 5 * n, *LOSS = state + 6 * n, *SUFF = state + 7 * n;
    for (int64_t j = 0; j < 8 * n; j++) state[j] = 0.0;
    for (int64_t k = 0; k < n; k++) X[k] = x0;
    int64_t t = 1;
    for (int64_t c = 0; c < nc; c++) {
        const int64_t t_end = ck[c];
        for (; t <= t_end; t++) {
            const double alpha_t = alpha / sqrt((double)t);
            for (int64_t k = 0; k < n; k++) {
                const double g = (t % period == phase) ? big : -small;
                double x = X[k];
                SUFF[k] += g;
                double loss = 0.0;
                loss += g * x;
                LOSS[k] += loss;
                double z0, z1, z2;
                if (t == 1) { z0 = beta1; z1 = beta2; z2 = 1.0; }
                else { z0 = flush(Z0[k] * beta1); z1 = flush(Z1[k] * beta2); z2 = flush(Z2[k] * lam); }
                Z0[k] = z0; Z1[k] = z1; Z2[k] = z2;
                const double b1t = beta1 * z2;
                const double c1 = 1.0 - z0, c2 = 1.0 - z1;
                const double m = b1t * M[k] + (1.0 - b1t) * g;
                const double v = beta2 * Vv[k] + (1.0 - beta2) * g * g;
                M[k] = m; Vv[k] = v;
                const double vh = v / c2;
                const double den = sqrt(vh) + eps;
                const double step = den > 0.0 ? alpha_t * (m / c1) / den : 0.0;
                x -= step;
                if (x < lo) x = lo;
                else if (x > hi) x = hi;
                X[k] = x;
            }
        }
        for (int64_t k = 0; k < n; k++) {
            rec_loss[k * nc + c] = LOSS[k];
            rec_suff[k * nc + c] = SUFF[k];
            rec_x[k * nc + c] = X[k];
        }
    }
}
"""


def compile_c(tmpdir):
    """Compile C_SOURCE into a shared library in tmpdir and return it (ctypes), argtypes set."""
    if shutil.which("gcc") is None:
        raise SystemExit("gcc not found on PATH: the lean C loops cannot be built")
    src, so = os.path.join(tmpdir, "lean.c"), os.path.join(tmpdir, "liblean.so")
    with open(src, "w") as fh:
        fh.write(C_SOURCE)
    r = subprocess.run(["gcc", *GCC_FLAGS, "-std=c11", "-fPIC", "-shared", "-o", so, src, "-lm"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"gcc failed:\n{r.stderr}")
    lib = ctypes.CDLL(so)
    p, i64, dbl = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
    lib.lean_single.restype = None
    lib.lean_single.argtypes = [p, p, i64, dbl, dbl, dbl, p, i64, p, p, p]
    lib.lean_batch.restype = None
    lib.lean_batch.argtypes = [i64, p, p, i64, dbl, dbl, dbl, p, i64, p, p, p, p]
    return lib


class Lean:
    """One lean C game with preallocated buffers (allocation is not timed); n=None: lean_single."""

    def __init__(self, lib, ck, n=None):
        self.lib, self.n = lib, n
        self.ck = np.ascontiguousarray(ck, dtype=np.int64)
        nc, k = self.ck.shape[0], (1 if n is None else n)
        self.prm = np.array([ALPHA, BETA1, BETA2, EPS, LAM])
        self.strm = np.array([BIG, SMALL])
        self.loss, self.suff, self.x = (np.zeros((k, nc)) for _ in range(3))
        self.state = np.zeros((8, k))

    def __call__(self):
        common = (self.prm.ctypes.data, self.strm.ctypes.data, PERIOD, LO, HI, X0, self.ck.ctypes.data,
                  self.ck.shape[0], self.loss.ctypes.data, self.suff.ctypes.data, self.x.ctypes.data)
        if self.n is None:
            self.lib.lean_single(*common)
        else:
            self.lib.lean_batch(self.n, *common, self.state.ctypes.data)


def make_game(rl):
    learner = rl.Adam(alpha=ALPHA, beta1=BETA1, beta2=BETA2, eps=EPS, lam=LAM, schedule="theorem",
                      bias_correction="paper", eps_mode="paper")
    stream = rl.streams.periodic_linear(BIG, SMALL, PERIOD, domain=rl.Box(LO, HI, d=1), x0=[X0])
    return learner, stream


def gate(label, c, run, ck):
    """c's records must equal run's (loss, suff[..., 0], theta_path[..., 0]) bit for bit; else exit 1."""
    loss = np.atleast_2d(np.asarray(run.loss))
    pairs = [("cumulative loss", c.loss, loss)]
    if getattr(run, "suff", None) is not None:
        suff = np.asarray(run.suff)
        pairs.append(("SUFF (sum g)", c.suff, (suff[None] if suff.ndim == 2 else suff)[..., 0]))
    tp = getattr(run, "theta_path", None)
    if tp is not None:
        tp = np.asarray(tp)
        pairs.append(("x (theta_path)", c.x, (tp[None] if tp.ndim == 2 else tp)[..., 0]))
    for name, a, b in pairs:
        if a.shape != b.shape or not np.array_equal(a, b):
            if a.shape != b.shape:
                print(f"GATE FAILED ({label}): {name}: C shape {a.shape} vs regretlab {b.shape}")
            else:
                k, j = (int(v) for v in np.argwhere(~(a == b))[0])
                print(f"GATE FAILED ({label}): first mismatch in {name} at trial {k}, checkpoint {j} (round "
                      f"{int(ck[j])}): C {float(a[k, j])!r} vs regretlab {float(b[k, j])!r}")
            sys.exit(1)
    what = ", ".join(n for n, _, _ in pairs)
    return f"{label}: {what} bit-identical at all {len(ck)} checkpoints x {loss.shape[0]} trial(s)"


def alternate(ref, fn, pairs=PAIRS):
    """Warm-up of each, then `pairs` times (ref, fn); returns per-pair times (ref_s, fn_s)."""
    ref(), fn()
    out = []
    for _ in range(pairs):
        t0 = time.perf_counter()
        ref()
        t1 = time.perf_counter()
        fn()
        out.append((t1 - t0, time.perf_counter() - t1))
    return np.array(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="T = 1e6 single and 1e5 batched (instead of 1e7, 1e6)")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "benchmarks_lean.md"))
    args = ap.parse_args(argv)
    T1 = 10**6 if args.quick else 10**7
    TB = 10**5 if args.quick else 10**6

    import numba
    import regretlab as rl

    learner, stream = make_game(rl)
    tmp = tempfile.mkdtemp(prefix="regretlab-bench-lean-c-")
    atexit.register(shutil.rmtree, tmp, True)
    lib = compile_c(tmp)
    has_record = "record" in inspect.signature(rl.play).parameters

    ck1, ckb = rl.default_checkpoints(T1), rl.default_checkpoints(TB)
    c1, cb = Lean(lib, ck1), Lean(lib, ckb, n=N_SEEDS)
    variants = [("default recording", {})] + ([("regret-only recording", {"record": "regret"})] if has_record else [])

    # -- correctness gate (before any timing)
    checks = []
    c1(), cb()
    for label, kw in variants:
        checks.append(gate(f"single, T={T1:.0e}, {label}", c1, rl.play(learner, stream, T1, **kw), ck1))
        checks.append(gate(f"batched {N_SEEDS} trials, T={TB:.0e}, {label}", cb,
                           rl.play(learner, stream, TB, seeds=range(N_SEEDS), **kw), ckb))
    for c in checks:
        print("check:", c)

    # -- timing
    rows = []  # (case, recording, T, unit, ns C, ns rl, ratios)
    for case, c, T, unit, work, seeds in (("single, d=1", c1, T1, "ns/round", T1, None),
                                          (f"batched, {N_SEEDS} trials", cb, TB, "ns/trial-round",
                                           TB * N_SEEDS, range(N_SEEDS))):
        for label, kw in variants:
            extra = {} if seeds is None else {"seeds": seeds}
            tm = alternate(c, lambda: rl.play(learner, stream, T, **extra, **kw))
            ns = tm / work * 1e9
            ratios = tm[:, 1] / tm[:, 0]
            rows.append((case, label, T, unit, float(np.median(ns[:, 0])), float(np.median(ns[:, 1])), ratios))
            print(f"{case}, {label}: C {np.median(ns[:, 0]):.2f} {unit}, regretlab {np.median(ns[:, 1]):.2f}, "
                  f"ratio {np.median(ratios):.2f} [{ratios.min():.2f}, {ratios.max():.2f}]")
        if not has_record:
            rows.append((case, "regret-only recording", T, unit, None, None, None))
            print(f"{case}, regret-only recording: not available in this version")

    # -- cost against the number of trials (the same game; n x T ~ constant)
    scaling = []  # (n, T, recording, ns C, ns rl, ratios)
    work_n = 64 * TB
    for n in TRIALS:
        Tn = max(1000, work_n // n)
        ckn = rl.default_checkpoints(Tn)
        cn = Lean(lib, ckn, n=n)
        cn()
        for label, kw in variants:
            checks.append(gate(f"{n} trials, T={Tn:.0e}, {label}", cn, rl.play(learner, stream, Tn, seeds=range(n),
                                                                              **kw), ckn))
            tm = alternate(cn, lambda: rl.play(learner, stream, Tn, seeds=range(n), **kw))
            ns = tm / (Tn * n) * 1e9
            ratios = tm[:, 1] / tm[:, 0]
            scaling.append((n, Tn, label, float(np.median(ns[:, 0])), float(np.median(ns[:, 1])), ratios))
            print(f"{n} trials, {label}: C {np.median(ns[:, 0]):.2f} ns/trial-round, regretlab "
                  f"{np.median(ns[:, 1]):.2f}, ratio {np.median(ratios):.2f}")

    # -- report
    targets = {("single, d=1", "regret-only recording"): 1.15, ("single, d=1", "default recording"): 1.6,
               (f"batched, {N_SEEDS} trials", "regret-only recording"): 1.3,
               (f"batched, {N_SEEDS} trials", "default recording"): 2.0}
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "regretlab"],
                               capture_output=True, text=True).stdout.strip()
        rev = f"{head}{' + uncommitted changes in regretlab/' if dirty else ''}"
    except OSError:
        rev = "unknown"
    L = ["# regretlab.play vs the lean C loops (DESIGN.md targets)", "",
         f"Generated by `analysis/bench_lean.py{' --quick' if args.quick else ''}` on "
         f"{datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; regretlab at {rev}.", "",
         f"- CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); `{platform.platform()}`",
         f"- Python {platform.python_version()}, numba {numba.__version__}, numpy {np.__version__}",
         f"- C: {gcc_version()}, flags `{' '.join(GCC_FLAGS)}`", "",
         "Game: Reddi's stream `periodic_linear(3, 1, 3)`, d=1, [-1, 1], x0=1; `Adam(alpha=0.5, beta1=0, "
         "beta2=0.1, eps=1e-8, lam=1-1e-8, schedule=\"theorem\", bias_correction=\"paper\", eps_mode=\"paper\")`; "
         "default checkpoints (~200 log-spaced rounds).  Lean C loop: gradient, loss, cumulative loss, sum g, "
         "Adam step, projection; records (loss, sum g, x) at the checkpoints.  Times: alternating C / regretlab, "
         f"one warm-up each then {PAIRS} pairs; ns = median over the pairs; ratio = regretlab / C per pair, "
         "median [min, max].  regretlab: whole `play()` calls; C: the ctypes call, buffers preallocated.", "",
         "| case | recording | T | unit | C (lean) | regretlab | ratio median [min, max] | target |",
         "|---|---|---:|---|---:|---:|---:|---:|"]
    for case, label, T, unit, nc_, nr, ratios in rows:
        tgt = f"{targets[(case, label)]:.2f}x"
        if ratios is None:
            L.append(f"| {case} | {label} | {T:.0e} | {unit} | - | - | not available in this version | {tgt} |")
        else:
            L.append(f"| {case} | {label} | {T:.0e} | {unit} | {nc_:.2f} | {nr:.2f} | {np.median(ratios):.2f} "
                     f"[{ratios.min():.2f}, {ratios.max():.2f}] | {tgt} |")
    if not has_record:
        L += ["", "regret-only recording: not available in this version (`play` has no `record` keyword)."]
    L += ["", "Cost against the number of trials n (n seeds in one `play` call, n x T = "
          f"{work_n:.1e} trial-rounds; the lean C loop `lean_batch` for the same n):", "",
          "| trials | T | recording | C (lean), ns/trial-round | regretlab | ratio median [min, max] |",
          "|---:|---:|---|---:|---:|---:|"]
    for n, Tn, label, nc_, nr, ratios in scaling:
        L.append(f"| {n} | {Tn:.0e} | {label} | {nc_:.2f} | {nr:.2f} | {np.median(ratios):.2f} "
                 f"[{ratios.min():.2f}, {ratios.max():.2f}] |")
    L += ["", "Correctness gate (required before timing): " + "; ".join(checks) + ".", ""]
    text = "\n".join(L)
    print()
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
