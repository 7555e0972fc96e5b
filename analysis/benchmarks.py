"""regretlab benchmarks: every figure a ratio against a reference measured in the same process.

Sections (DESIGN.md, "Performance, measured"):

 1. ``play()`` per round on Reddi's stream (d = 1) against bench_engine's plain C loop doing the
    same arithmetic (bit-identical records), and the same game as a NumPy per-round loop, a JAX
    loop, ``optax.adam`` in ``lax.scan`` and ``torch.optim.Adam`` + ``LambdaLR`` (each against
    the C loop at its own T; optional packages skipped with a note);
 2. batched trials: 64 seeds in one ``play`` call and a 64-value hyperparameter grid in one
    ``play_many`` call against the batched C loop, ns per trial-round;
 3. dense d-dimensional Adam on ``random_sign(d)``, d = 1 .. 1e5, d T ~ 1e7, against a C loop
    doing the same per-coordinate arithmetic (final iterate and every record checked);
 4. sparse streams: dense and lazy Adam on ``sparse_logistic(d=1e4, nnz=20)`` in rounds/s
    (comparator excluded: timed separately), and the logistic comparator's time against the
    kernel's on ``synthetic_logistic(20)``;
 5. whole sweeps through ``run_sweep`` with the serial, local-pool and Dask executors, and the
    overhead per task;
 6. compile time: a fresh process with an empty NUMBA_CACHE_DIR, then fresh processes that
    load the kernel from that cache (seconds to the first ``play()`` returning);
 7. peak memory of ``play()`` against T and d (tracemalloc in-process; maxrss in a subprocess).

Usage::

    PYTHONPATH=/work/main /work/venv/bin/python analysis/benchmarks.py [--quick] [--tiny] [--out PATH]

``--quick``: a few minutes; the default (full) run takes ~10-15 minutes on 2 cores; ``--tiny``
(for the test suite): sizes so small that the whole script takes well under a minute, and only
one tiny serial sweep.  Writes PATH (default reports/benchmarks.md) and
figures/benchmark_scaling.png next to it.  Exit status 1 if a correctness check failed.

The run (this process and its children) uses NUMBA_CACHE_DIR if it is set, else a fresh temporary
one removed at the end (so the package tree is not written to); section 6's children use a new
empty folder of their own, so its first figure is a genuinely cold start.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Before numba is imported (here, in bench_engine, and in every child process).  Pool workers
# started with "spawn" re-run this module's top level as __mp_main__: they reuse the parent's
# directory (marked in the environment) instead of making, and later removing, their own.  A
# NUMBA_CACHE_DIR the caller set is used as it is (the test suite's: kernels it compiled already
# are loaded, not compiled again); section 6 always measures its cold start in a new empty folder.
_MARK = "REGRETLAB_BENCHMARKS_CACHE_DIR"
_CALLERS_CACHE = bool(os.environ.get("NUMBA_CACHE_DIR")) and not os.environ.get(_MARK)  # (in the main process)
if os.environ.get(_MARK) and os.path.isdir(os.environ[_MARK]):
    CACHE_DIR = os.environ[_MARK]
elif os.environ.get("NUMBA_CACHE_DIR"):
    CACHE_DIR = os.environ[_MARK] = os.environ["NUMBA_CACHE_DIR"]
else:
    CACHE_DIR = tempfile.mkdtemp(prefix="regretlab-benchmarks-numba-")
    os.environ[_MARK] = CACHE_DIR
    atexit.register(shutil.rmtree, CACHE_DIR, True)
os.environ["NUMBA_CACHE_DIR"] = CACHE_DIR
os.environ["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p])
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.dont_write_bytecode = True
for _p in (HERE, ROOT):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402

import bench_engine as BE  # noqa: E402
import _bench_dense_c as DC  # noqa: E402
import _bench_frameworks as FW  # noqa: E402

TARGETS = {"single": 1.3, "batched": 1.5, "dense": 2.0, "cache_s": 2.0}

# ----------------------------------------------------------------------------- sizes

SIZES = {
    "full": dict(
        T1=10**7, T_list=[10**3, 10**4, 10**5, 10**6, 10**7], T_np=10**5, T_jax=10**5, T_optax=10**6,
        T_torch=20000, TB=10**6, n_list=[1, 4, 16, 64, 256], T_nl=2 * 10**5, N_dense=10**7,
        d_list=[1, 10, 100, 10**3, 10**4, 10**5], d_sparse=10**4, T_sparse=10**6, sparse_reps=1,
        lazy_d=[10**3, 10**4, 10**5], T_lazy_d=2000, T_cmp=10**5, T_sparse_cmp=10**5,
        nnz_list=[1, 5, 20, 100, 500], d_nnz=10**5, T_nnz=10**5,
        sweep=(8, 8, 8, 10**6), trivial=(8, 8), pools=True, warm_children=3,
        mem_T=[10**3, 10**4, 10**5, 10**6, 10**7], mem_d=[1, 10, 100, 10**3, 10**4, 10**5], T_mem_d=1000,
        reps=3, reps_main=5),
    "quick": dict(
        T1=10**6, T_list=[10**3, 10**4, 10**5, 10**6], T_np=2 * 10**4, T_jax=2 * 10**4, T_optax=10**5,
        T_torch=3000, TB=10**5, n_list=[1, 4, 16, 64, 256], T_nl=2 * 10**4, N_dense=10**6,
        d_list=[1, 10, 100, 10**3, 10**4, 10**5], d_sparse=10**4, T_sparse=10**4, sparse_reps=2,
        lazy_d=[10**3, 10**4, 10**5], T_lazy_d=300, T_cmp=2 * 10**4, T_sparse_cmp=None,
        nnz_list=[1, 20, 100], d_nnz=10**5, T_nnz=2 * 10**4,
        sweep=(4, 4, 2, 10**5), trivial=(8, 4), pools=True, warm_children=2,
        mem_T=[10**3, 10**4, 10**5, 10**6], mem_d=[1, 100, 10**4, 10**5], T_mem_d=200,
        reps=3, reps_main=3),
    "tiny": dict(
        T1=2 * 10**4, T_list=[10**3, 2 * 10**4], T_np=1000, T_jax=1000, T_optax=1000,
        T_torch=100, TB=2000, n_list=[1, 8, 64], T_nl=1000, N_dense=2 * 10**4,
        d_list=[1, 100, 10**3], d_sparse=10**3, T_sparse=300, sparse_reps=1,
        lazy_d=[10**3], T_lazy_d=100, T_cmp=500, T_sparse_cmp=None,
        nnz_list=[5], d_nnz=10**3, T_nnz=500,
        sweep=(2, 2, 1, 1000), trivial=(2, 2), pools=False, warm_children=1,
        mem_T=[10**4], mem_d=[100], T_mem_d=100,
        reps=2, reps_main=2),
}


# ----------------------------------------------------------------------------- helpers

def interleaved(fns, reps, warm=True):
    """Best wall time of each callable over ``reps`` rounds, the callables alternating within a
    round (so a burst of load elsewhere on the machine hits all of them alike).  Returns
    {name: (best seconds, last result)}."""
    out = {}
    if warm:
        for name, fn in fns.items():
            out[name] = (math.inf, fn())
    best = {name: math.inf for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            res = fn()
            best[name] = min(best[name], time.perf_counter() - t0)
            out[name] = (best[name], res)
    return out


def once(fn):
    t0 = time.perf_counter()
    res = fn()
    return time.perf_counter() - t0, res


@contextlib.contextmanager
def no_comparator():
    """play() with the hindsight comparator replaced by zeros: kernel + boundary cost only."""
    import regretlab.runs as R

    orig = R.comparator

    def stub(stream, suff, t, seeds=None):
        n = suff.shape[0]
        nt = np.asarray(t).size
        return np.zeros((n, nt)), np.zeros((n, nt, stream.d)), np.zeros((n, nt))

    R.comparator = stub
    try:
        yield
    finally:
        R.comparator = orig


def fmt(x, unit=""):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e5:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 0.01:
        return f"{x:.2f}"
    return f"{x:.2e}"


def fratio(r):
    if r is None or not math.isfinite(r):
        return "-"
    if r >= 100:
        return f"{r:,.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (math.nan,) * 3


class Ctx:
    def __init__(self, mode, sizes):
        self.mode = mode
        self.S = sizes
        self.rows = []  # dicts
        self.checks = []  # (name, ok, detail)
        self.notes = {}  # section -> list of lines
        self.series = {}  # figure data
        self.lib = None
        self.c_info = None
        self.lean = None  # bench_lean's C loops: the game and the regret only (DESIGN.md's targets)
        self.timings = {}  # section -> seconds

    def row(self, sec, name, size, unit, value, ref_name=None, ref_value=None, target=None, note=""):
        ratio = None if (ref_value in (None, 0) or value is None) else value / ref_value
        self.rows.append(dict(sec=sec, name=name, size=size, unit=unit, value=value, ref_name=ref_name,
                              ref_value=ref_value, ratio=ratio, target=target, note=note))
        print(f"  [{sec}] {name} ({size}): {fmt(value)} {unit}" +
              (f" | {ref_name}: {fmt(ref_value)} | ratio {fratio(ratio)}" if ref_name else "") +
              (f" | target <= {target}x: {'meets' if ratio is not None and ratio <= target else 'MISSES'}"
               if target else ""), flush=True)

    def check(self, name, ok, detail):
        self.checks.append((name, bool(ok), detail))
        print(f"  check {'OK' if ok else 'FAILED'}: {name}: {detail}", flush=True)

    def note(self, sec, text):
        self.notes.setdefault(sec, []).append(text)


def rec_of(runs, squeeze):
    """The 13 checkpoint record fields of a Run/Runs as (..., nc, 13), in bench_engine's order."""
    ax = 1 if squeeze else 2
    return np.stack([runs.loss] + [runs.stats[nm] for nm in BE.REC_NAMES[1:]], axis=ax)


# ----------------------------------------------------------------------------- the C library

def build_lib(tmpdir):
    gcc = shutil.which("gcc")
    if gcc is None:
        return None, "gcc not found on PATH"
    src = os.path.join(tmpdir, "regretlab_bench.c")
    so = os.path.join(tmpdir, "libregretlab_bench.so")
    with open(src, "w") as fh:
        fh.write(DC.source())
    r = subprocess.run([gcc, *BE.GCC_FLAGS, "-std=c11", "-fPIC", "-shared", "-o", so, src, "-lm"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"gcc failed: {r.stderr.strip()[:2000]}"
    L = ctypes.CDLL(so)
    p, i64, u64, dbl = ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64, ctypes.c_double
    L.play_single.restype = i64
    L.play_single.argtypes = [p, p, i64, dbl, dbl, dbl, p, i64, p, p, p, p, p]
    L.play_batch.restype = i64
    L.play_batch.argtypes = [i64, p, p, i64, dbl, dbl, dbl, p, i64, p, p, p, p, p]
    L.play_batch_grid.restype = i64
    L.play_batch_grid.argtypes = [i64, p, p, i64, dbl, dbl, dbl, p, i64, p, p, p, p, p]
    for fn in (L.play_dense, L.play_dense_periodic):
        fn.restype = i64
        fn.argtypes = [i64, u64, p, p, i64, p, p, p, p, i64, i64, p, p, p, p, p]
    return L, " ".join(["gcc", *BE.GCC_FLAGS])


class CGrid(BE.CGame):
    """bench_engine's batched C game with one hyperparameter row per trial."""

    def __init__(self, lib, ck, prm_rows):
        super().__init__(lib, ck, n=prm_rows.shape[0])
        self.prm = np.ascontiguousarray(prm_rows, dtype=np.float64)

    def __call__(self):
        self.err[:] = 0
        t = self.lib.play_batch_grid(self.n, self.prm.ctypes.data, self.strm.ctypes.data, BE.PERIOD, BE.LO, BE.HI,
                                     BE.X0, self.ck.ctypes.data, self.ck.shape[0], self.rec.ctypes.data,
                                     self.rec_suff.ctypes.data, self.rec_theta.ctypes.data, self.state.ctypes.data,
                                     self.err.ctypes.data)
        if self.err[0] != 0:
            raise ArithmeticError(f"C grid loop: non-finite value, err = {self.err.tolist()}")
        return t


class CDense:
    """The C loop of Adam on random_sign(d) or periodic_linear (coordinate loops for any d), one trial."""

    def __init__(self, lib, learner, stream, ck, seed=0, record_theta=None):
        d = stream.d
        spec = stream._spec()
        self.lib, self.d, self.seed = lib, d, int(seed)
        self.prm = np.array(learner._params(), dtype=np.float64)
        if hasattr(spec, "scale"):  # random_sign
            self.fn, self.period = lib.play_dense, 0
            self.strm = np.array([spec.scale, spec.radius], dtype=np.float64)
        else:  # periodic_linear
            self.fn, self.period = lib.play_dense_periodic, int(spec.period)
            self.strm = np.array([spec.big, spec.small, spec.phase, spec.dyn, spec.dyn_small], dtype=np.float64)
        self.lo = np.ascontiguousarray(stream.domain.lo, dtype=np.float64)
        self.hi = np.ascontiguousarray(stream.domain.hi, dtype=np.float64)
        self.x0 = np.ascontiguousarray(stream.x0, dtype=np.float64)
        self.ck = np.ascontiguousarray(ck, dtype=np.int64)
        nc = self.ck.shape[0]
        self.record_theta = (d <= 64) if record_theta is None else bool(record_theta)
        self.rec = np.zeros((nc, BE.N_REC))
        self.rec_suff = np.zeros((nc, d + 1))
        self.rec_theta = np.zeros((nc, d) if self.record_theta else (1,))
        self.work = np.zeros(12 * d + 1)
        self.err = np.zeros(4, dtype=np.int64)

    def __call__(self):
        self.err[:] = 0
        t = self.fn(self.d, self.seed, self.prm.ctypes.data, self.strm.ctypes.data, self.period, self.lo.ctypes.data,
                                self.hi.ctypes.data, self.x0.ctypes.data, self.ck.ctypes.data, self.ck.shape[0],
                                int(self.record_theta), self.rec.ctypes.data, self.rec_suff.ctypes.data,
                                self.rec_theta.ctypes.data, self.work.ctypes.data, self.err.ctypes.data)
        if self.err[0] != 0:
            raise ArithmeticError(f"C dense loop: non-finite value, err = {self.err.tolist()}")
        return t

    @property
    def final_x(self):
        return self.work[:self.d]


# ----------------------------------------------------------------------------- 6. compile time

COMPILE_CHILD = r"""
import sys, time, json
t_spawn = float(sys.argv[1])
t_main = time.time()
import regretlab as rl
t_imp = time.time()
from regretlab.game.kernel import dispatchers
L = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1, eps=1e-8, lam=1 - 1e-8, schedule="theorem",
            bias_correction="paper", eps_mode="paper")
s = rl.streams.periodic_linear(3.0, 1.0, 3, domain=rl.Box(-1.0, 1.0, d=1), x0=[1.0])
t_call = time.time()
run = rl.play(L, s, T=1000)
t_play = time.time()
sts = [k.stats for k in dispatchers()]  # whichever loop played
print(json.dumps({"to_play": t_play - t_spawn, "to_main": t_main - t_spawn, "import": t_imp - t_main,
                  "build": t_call - t_imp, "play": t_play - t_call,
                  "hits": sum(sum(st.cache_hits.values()) for st in sts),
                  "misses": sum(sum(st.cache_misses.values()) for st in sts)}))
"""


def spawn(code, args=(), env_extra=None, timeout=900):
    env = dict(os.environ)
    env.update(env_extra or {})
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", code, repr(t0), *map(str, args)], capture_output=True, text=True,
                       env=env, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"child failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["wall"] = time.time() - t0
    return out


def sec_compile(ctx):
    S = ctx.S
    print("6. compile time (cold cache, then cached)", flush=True)
    fresh = {"NUMBA_CACHE_DIR": tempfile.mkdtemp(prefix="regretlab-benchmarks-cold-")}  # empty: a cold start
    try:
        cold = spawn(COMPILE_CHILD, env_extra=fresh)
        warm = [spawn(COMPILE_CHILD, env_extra=fresh) for _ in range(S["warm_children"])]
    finally:
        shutil.rmtree(fresh["NUMBA_CACHE_DIR"], True)
    best = min(warm, key=lambda r: r["to_play"])
    ctx.check("compile: the cold process compiled (cache miss), the fresh processes loaded from the cache",
              cold["misses"] >= 1 and cold["hits"] == 0 and all(w["hits"] >= 1 and w["misses"] == 0 for w in warm),
              f"cold: hits {cold['hits']}, misses {cold['misses']}; cached: hits "
              f"{[w['hits'] for w in warm]}, misses {[w['misses'] for w in warm]}")
    ctx.row("6", "fresh process, empty cache: spawn -> first play() returned", "T=1e3", "s", cold["to_play"])
    ctx.row("6", "fresh process, cache filled: spawn -> first play() returned", "T=1e3", "s", best["to_play"],
            "cold start", cold["to_play"], note=f"target: <= {TARGETS['cache_s']:g} s")
    ctx.row("6", "  of which the first play() call (kernel loaded from the cache)", "T=1e3", "s", best["play"],
            "cold first play()", cold["play"])
    ctx.series["compile"] = dict(cold=cold, warm=warm)
    ctx.note("6", f"Cold process: interpreter start {cold['to_main']:.2f} s, `import regretlab` {cold['import']:.2f} s, "
                  f"first `play()` {cold['play']:.2f} s (type inference + LLVM for the fused kernel, then written to "
                  f"the cache).  Cached (best of {len(warm)} fresh processes): interpreter start "
                  f"{best['to_main']:.3f} s, import {best['import']:.3f} s, building the learner and the stream "
                  f"{best['build']:.3f} s (the stream's constructor calls compiled helpers, loaded from the cache), "
                  f"first `play()` {best['play']:.3f} s.  "
                  f"Target: a kernel reused from the on-disk cache within {TARGETS['cache_s']:g} s "
                  f"(spawn -> first play() returned: {best['to_play']:.2f} s, "
                  f"{'meets' if best['to_play'] <= TARGETS['cache_s'] else 'MISSES'}).")


# ----------------------------------------------------------------------------- 1. single run

def sec_single(ctx):
    import regretlab as rl

    S, lib = ctx.S, ctx.lib
    print("1. single run, d = 1 (Reddi's stream)", flush=True)
    learner, stream = BE.make_game()
    T1 = S["T1"]

    def play_vs_c(T, reps):
        ck = rl.default_checkpoints(T)
        fns = {"play": lambda: rl.play(learner, stream, T),
               "regret": lambda: rl.play(learner, stream, T, record="regret")}
        if lib is not None:
            g = BE.CGame(lib, ck)
            fns["C"] = lambda: (g(), g)[1]
        if ctx.lean is not None:
            import bench_lean as BL

            fns["lean"] = BL.Lean(ctx.lean, ck)
        res = interleaved(fns, reps)
        return res

    fns = {"play": lambda: rl.play(learner, stream, T1)}
    ck1 = rl.default_checkpoints(T1)
    if lib is not None:
        g1 = BE.CGame(lib, ck1)
        gm = BE.CGame(lib, ck1, n=1)  # the batched loop with n = 1: the same game, its state in memory arrays
        gd = CDense(lib, learner, stream, ck1)  # the same game with loops over the d = 1 coordinates
        fns["C"] = lambda: (g1(), g1)[1]
        fns["Cmem"] = lambda: (gm(), gm)[1]
        fns["Cd"] = lambda: (gd(), gd)[1]
    res = interleaved(fns, S["reps_main"])
    run = res["play"][1]
    ns_play = res["play"][0] / T1 * 1e9
    ns_c = None
    if lib is not None:
        g = res["C"][1]
        ns_c = res["C"][0] / T1 * 1e9
        err_rec = BE.rel_err(g.rec[0], rec_of(run, True))
        err_x = BE.rel_err(g.final_x(), run.theta[0])
        ctx.check(f"single run T={T1:.0e}: C loop = play() (all {g.rec.size} records, final iterate)",
                  err_rec <= 1e-9 and err_x <= 1e-9, f"max rel. err. records {err_rec:.1e}, final x {err_x:.1e}")
    ctx.row("1", "play(), Reddi's stream, d=1", f"T={T1:.0e}", "ns/round", ns_play, "C loop (gcc -O3)", ns_c,
            TARGETS["single"])
    if lib is not None:
        gm = res["Cmem"][1]
        gd = res["Cd"][1]
        e = max(BE.rel_err(gm.rec, rec_of(run, True)[None]), BE.rel_err(gm.final_x(), run.theta))
        ctx.check(f"single run T={T1:.0e}: C loop with state in memory (batched loop, n=1) = play()", e <= 1e-9,
                  f"max rel. err. {e:.1e}")
        e = max(BE.rel_err(gd.rec, rec_of(run, True)), BE.rel_err(gd.final_x, run.theta),
                BE.rel_err(gd.rec_suff, run.suff))
        ctx.check(f"single run T={T1:.0e}: C loop with coordinate loops (d=1) = play() (records, statistics)",
                  e <= 1e-9, f"max rel. err. {e:.1e}")
        ns_cm = res["Cmem"][0] / T1 * 1e9
        ns_cd = res["Cd"][0] / T1 * 1e9
        ctx.row("1", "  diagnosis: the C loop with its state in memory arrays (batched C loop, n=1)", f"T={T1:.0e}",
                "ns/round", ns_cm, "C loop (gcc -O3)", ns_c)
        ctx.row("1", "  diagnosis: the C loop written for any d (coordinate loops as in the kernel), d=1",
                f"T={T1:.0e}", "ns/round", ns_cd, "C loop (gcc -O3)", ns_c,
                note=f"play() = {fratio(ns_play / ns_cd)} of it")
        ctx.note("1", f"Where play()'s gap to the C loop comes from (same run, same game, every loop checked equal "
                      f"to play()): the reference C loop is written for d = 1, scalars in registers.  Keeping the same "
                      f"state in memory arrays, one load and store per variable per round as the kernel's arrays "
                      f"force, costs {fratio(ns_cm / ns_c)} of it.  Writing the C loop for any d, with the "
                      f"kernel's loops over coordinates (stream, statistics, step, Gamma/Lemma 10.4 sums, "
                      f"projection, record) run with d = 1, costs {fratio(ns_cd / ns_c)} of it, and play() is "
                      f"{fratio(ns_play / ns_cd)} of that loop: of play()'s {fratio(ns_play / ns_c)}, a factor "
                      f"{ns_cd / ns_c:.2f} is the price of one kernel for every d (short coordinate loops, statistics "
                      f"kept per coordinate) and {ns_play / ns_cd:.2f} is Numba's code against gcc's for the same "
                      "loop structure.")
    ctx.series["T"] = {}
    for T in S["T_list"]:  # (play, the C loop, the lean C loop, play with record="regret"), ns/round
        r = play_vs_c(T, S["reps"])
        ctx.series["T"][T] = tuple(r[k][0] / T * 1e9 if k in r else None for k in ("play", "C", "lean", "regret"))
    t_fixed, _ = interleaved({"p": lambda: rl.play(learner, stream, 1)}, 20)["p"]
    ctx.note("1", f"`play()` fixed cost (T=1, best of 20): {t_fixed * 1e3:.2f} ms, i.e. "
                  f"{t_fixed / T1 * 1e9:.3f} ns/round amortised over T={T1:.0e}.  Cost against T "
                  "(figure, first panel): " + ", ".join(
                      f"T={T:.0e}: {fmt(a)} vs C {fmt(b)} (lean C {fmt(c)}; play with record=\"regret\" {fmt(e)}) "
                      "ns/round" for T, (a, b, c, e) in sorted(ctx.series['T'].items())))

    def c_at(T):
        if lib is None:
            return None
        g = BE.CGame(lib, rl.default_checkpoints(T))
        return g

    # NumPy per-round loop (bench_engine's), vs C at the same T
    Tn = S["T_np"]
    ckn = rl.default_checkpoints(Tn)
    gn = c_at(Tn)
    fns = {"np": lambda: BE.numpy_loop(Tn, ckn)}
    if gn is not None:
        fns["C"] = gn
    r = interleaved(fns, 1 if ctx.mode == "full" else 2)
    rec_np, x_np = r["np"][1]
    run_n = rl.play(learner, stream, Tn)
    e = max(BE.rel_err(rec_np, rec_of(run_n, True)), BE.rel_err(x_np, run_n.theta[0]))
    ctx.check(f"NumPy loop T={Tn:.0e} = play() (records, final iterate)", e <= 1e-9, f"max rel. err. {e:.1e}")
    ns_np = r["np"][0] / Tn * 1e9
    ns_cn = r["C"][0] / Tn * 1e9 if "C" in r else None
    ctx.row("1", "NumPy scalars, pure-Python per-round loop", f"T={Tn:.0e}", "ns/round", ns_np, "C loop, same T", ns_cn)
    ctx.series["frameworks"] = {"play": ns_play, "C": ns_c, "NumPy loop": ns_np}

    # JAX: bench_engine's loop in lax.scan / fori_loop
    jl, why = FW.jax_loop()
    if jl is None:
        ctx.note("1", f"JAX loop skipped: {why}.")
    else:
        Tj = S["T_jax"]
        ckj = rl.default_checkpoints(Tj)
        gj = c_at(Tj)
        fns = {"jax": lambda: jl(ckj)}
        if gj is not None:
            fns["C"] = gj
        r = interleaved(fns, S["reps"])
        rec_j, x_j = r["jax"][1]
        run_j = rl.play(learner, stream, Tj)
        e = max(BE.rel_err(rec_j, rec_of(run_j, True)), BE.rel_err(x_j, run_j.theta[0]))
        ctx.check(f"JAX loop T={Tj:.0e} = play() (all records, final iterate)", e <= 1e-9, f"max rel. err. {e:.1e}")
        ns_j = r["jax"][0] / Tj * 1e9
        ctx.row("1", "JAX: the C loop in lax.scan + fori_loop (x64)", f"T={Tj:.0e}", "ns/round", ns_j,
                "C loop, same T", r["C"][0] / Tj * 1e9 if "C" in r else None)
        ctx.series["frameworks"]["JAX loop"] = ns_j
        try:
            nf = jl.fusions(ckj)
            ctx.note("1", f"The JAX loop is bit-identical to play() but slow: XLA:CPU compiles it into {nf} fusion "
                          "kernels, most of them inside the loop body, and dispatches each one separately every "
                          f"round (~{ns_j / max(nf, 1):.0f} ns per fusion); optax's smaller body fuses into fewer.")
        except Exception as exc:  # noqa: BLE001  (diagnostic only)
            ctx.note("1", f"(could not count the JAX loop's fusions: {exc!r})")
    # optax.adam in lax.scan
    ol, why = FW.optax_loop()
    if ol is None:
        ctx.note("1", f"optax row skipped: {why}.")
    else:
        To = S["T_optax"]
        go = c_at(To)
        fns = {"optax": lambda: ol(To)}
        if go is not None:
            fns["C"] = go
        r = interleaved(fns, S["reps"])
        lo_, xo = r["optax"][1]
        run_o = rl.play(learner, stream, To)
        e = max(BE.rel_err(lo_, run_o.loss[-1]), BE.rel_err(xo, run_o.theta[0]))
        ctx.check(f"optax.adam T={To:.0e}: final cumulative loss and iterate = play()'s (to 1e-9)", e <= 1e-9,
                  f"max rel. err. {e:.1e}")
        ns_o = r["optax"][0] / To * 1e9
        ctx.row("1", "optax.adam in lax.scan (x64), loss + sum g only", f"T={To:.0e}", "ns/round", ns_o,
                "C loop, same T", r["C"][0] / To * 1e9 if "C" in r else None)
        ctx.series["frameworks"]["optax"] = ns_o
    # torch
    tl, why = FW.torch_loop()
    if tl is None:
        ctx.note("1", f"torch row skipped: {why}.")
    else:
        Tt = S["T_torch"]
        gt = c_at(Tt)
        fns = {"torch": lambda: tl(Tt)}
        if gt is not None:
            fns["C"] = gt
        r = interleaved(fns, 1)
        lt, xt = r["torch"][1]
        run_t = rl.play(learner, stream, Tt)
        e = max(BE.rel_err(lt, run_t.loss[-1]), BE.rel_err(xt, run_t.theta[0]))
        ctx.check(f"torch.optim.Adam T={Tt:.0e}: final cumulative loss and iterate = play()'s (to 1e-9)", e <= 1e-9,
                  f"max rel. err. {e:.1e}")
        ns_t = r["torch"][0] / Tt * 1e9
        ctx.row("1", "torch.optim.Adam + LambdaLR(1/sqrt t), autograd, loss + sum g only", f"T={Tt:.0e}", "ns/round",
                ns_t, "C loop, same T", r["C"][0] / Tt * 1e9 if "C" in r else None)
        ctx.series["frameworks"]["torch"] = ns_t
    v = FW.versions()
    ctx.note("1", "The NumPy and JAX loops do all of the C loop's bookkeeping (13 checkpoint records, checked equal "
                  "to play()'s); the optax and torch loops keep only the cumulative loss and the comparator statistic "
                  "(sum of g), so they do less work than the C loop they are compared with.  Framework versions: " +
                  ", ".join(f"{k} {vv}" for k, vv in v.items() if vv) +
                  (("; not installed: " + ", ".join(k for k, vv in v.items() if not vv)) if not all(v.values())
                   else "") + ".")


# ----------------------------------------------------------------------------- 2. batched

def sec_batched(ctx):
    import regretlab as rl

    S, lib = ctx.S, ctx.lib
    print("2. batched trials", flush=True)
    learner, stream = BE.make_game()
    TB = S["TB"]
    n = BE.N_SEEDS
    ck = rl.default_checkpoints(TB)
    alphas = np.linspace(0.05, 1.0, n)
    grid = [learner.replace(alpha=float(a)) for a in alphas]
    fns = {"seeds": lambda: rl.play(learner, stream, TB, seeds=range(n)),
           "grid": lambda: rl.play_many(grid, stream, TB)}
    if lib is not None:
        gb = BE.CGame(lib, ck, n=n)
        gg = CGrid(lib, ck, np.array([L._params() for L in grid]))
        fns["C"] = lambda: (gb(), gb)[1]
        fns["Cgrid"] = lambda: (gg(), gg)[1]
    r = interleaved(fns, S["reps"])
    per = TB * n
    runs = r["seeds"][1]
    many = r["grid"][1]
    if lib is not None:
        e1 = max(BE.rel_err(gb.rec, rec_of(runs, False)), BE.rel_err(gb.final_x(), runs.theta[:, 0]))
        ctx.check(f"batched, {n} seeds, T={TB:.0e}: batched C loop = play() (all records, final iterates)",
                  e1 <= 1e-9, f"max rel. err. {e1:.1e}")
        rec_g = np.stack([rec_of(m, True) for m in many])
        xg = np.array([m.theta[0] for m in many])
        e2 = max(BE.rel_err(gg.rec, rec_g), BE.rel_err(gg.final_x(), xg))
        ctx.check(f"grid, {n} alphas, T={TB:.0e}: C grid loop = play_many() (all records, final iterates)",
                  e2 <= 1e-9, f"max rel. err. {e2:.1e}")
    c_ns = r["C"][0] / per * 1e9 if "C" in r else None
    cg_ns = r["Cgrid"][0] / per * 1e9 if "Cgrid" in r else None
    ctx.row("2", f"play(), {n} seeds in one call", f"T={TB:.0e}", "ns/trial-round", r["seeds"][0] / per * 1e9,
            "batched C loop", c_ns, TARGETS["batched"])
    ctx.row("2", f"play_many(), {n}-value alpha grid in one call", f"T={TB:.0e}", "ns/trial-round",
            r["grid"][0] / per * 1e9, "batched C loop, per-trial params", cg_ns, TARGETS["batched"])
    # cost against the number of runs
    Tn = S["T_nl"]
    ckn = rl.default_checkpoints(Tn)
    ser = {}
    for k in S["n_list"]:
        fns = {"play": lambda k=k: rl.play(learner, stream, Tn, seeds=range(k)),
               "regret": lambda k=k: rl.play(learner, stream, Tn, seeds=range(k), record="regret")}
        if lib is not None:
            g = BE.CGame(lib, ckn, n=k)
            fns["C"] = g
        if ctx.lean is not None:
            import bench_lean as BL

            fns["lean"] = BL.Lean(ctx.lean, ckn, n=k)
        rr = interleaved(fns, 2)
        ser[k] = tuple(rr[q][0] / (Tn * k) * 1e9 if q in rr else None for q in ("play", "C", "lean", "regret"))
    ctx.series["runs"] = dict(T=Tn, data=ser)
    ctx.note("2", f"Cost against the number of trials in one call (T={Tn:.0e}; figure, third panel): " +
             ", ".join(f"{k}: {fmt(a)} vs C {fmt(b)} (lean C {fmt(c)}; regret-only {fmt(e)})"
                       for k, (a, b, c, e) in ser.items()) + " ns/trial-round.  The batched "
             "C loop keeps trials in the inner loop (structure of arrays).  play() does so too (its batch loop, "
             "vectorised across trials) from 64 trials (from 8 at d = 1 in calls too short for the pinned loop) "
             "(regretlab.game.boundary._batched, read off reports/benchmarks_batch.md); below that it plays the "
             "trials one after another (accumulators in registers for a whole chunk), as fast or faster there.")
    k1, kmax = min(ser), max(ser)
    kk = 64 if 64 in ser else kmax
    fw = ctx.series.get("frameworks", {})
    if fw.get("C") and c_ns:
        sp, sc = fw["play"], fw["C"]
        bp, bc = r["seeds"][0] / per * 1e9, c_ns
        ctx.note("2", f"Batching: per trial-round, play() costs {fmt(bp)} ns with {n} seeds in one call against "
                      f"{fmt(sp)} ns/round for a single run (section 1, T={S['T1']:.0e}), a gain of "
                      f"{fratio(sp / bp)}; the C loop goes from {fmt(sc)} (single) to {fmt(bc)} (batched), a gain of "
                      f"{fratio(sc / bc)}.  With the trials in the inner loop both compute sqrt(t) and t mod period "
                      "once per round for all trials, and the trials' independent chains of divisions and square "
                      "roots overlap and vectorise.  The C loop here does all of the engine's bookkeeping (the "
                      "lean loops of the DESIGN.md targets are in reports/benchmarks_lean.md).")
    if kmax >= 256 and ser[kmax][1] and ser[kk][1] and ser[kmax][1] > 1.5 * ser[kk][1]:  # noqa: SIM102
        ctx.note("2", f"At {kmax} trials the batched C loop slows down ({fmt(ser[kmax][1])} ns): its "
                      f"{BE.N_STATE} state arrays of {kmax} doubles ({BE.N_STATE * kmax * 8 // 1024} KiB) no longer "
                      "fit the 32 KiB L1 data cache.")


# ----------------------------------------------------------------------------- 3. dense d

def sec_dense(ctx):
    import regretlab as rl

    S, lib = ctx.S, ctx.lib
    print("3. dense d-dimensional Adam on random_sign(d)", flush=True)
    learner = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999)
    ser = {}
    for d in S["d_list"]:
        T = max(10, int(round(S["N_dense"] / d)))
        stream = rl.streams.random_sign(d)
        ck = rl.default_checkpoints(T)
        cu = d * T

        def kernel_only(stream=stream, T=T):
            with no_comparator():
                return rl.play(learner, stream, T)

        fns = {"play": lambda stream=stream, T=T: rl.play(learner, stream, T), "kernel": kernel_only}
        if lib is not None:
            g = CDense(lib, learner, stream, ck)
            fns["C"] = lambda g=g: (g(), g)[1]
        r = interleaved(fns, S["reps"])
        run = r["play"][1]
        if lib is not None:
            ex = BE.rel_err(g.final_x, run.theta)
            er = BE.rel_err(g.rec, rec_of(run, True))
            es = BE.rel_err(g.rec_suff, run.suff)
            et = BE.rel_err(g.rec_theta, run.theta_path) if g.record_theta else 0.0
            ctx.check(f"dense d={d}, T={T}: C loop final iterate = play()'s to 1e-9 (and every record)",
                      ex <= 1e-9 and max(er, es, et) <= 1e-9,
                      f"final x max rel. err. {ex:.1e}; records {er:.1e}, comparator statistics {es:.1e}, "
                      f"iterate path {et:.1e}")
        ns_p = r["play"][0] / cu * 1e9
        ns_k = r["kernel"][0] / cu * 1e9
        ns_c = r["C"][0] / cu * 1e9 if "C" in r else None
        ser[d] = (ns_p, ns_k, ns_c, T)
        ctx.row("3", f"Adam on random_sign(d={d:g})", f"T={T:g}", "ns/coord-update", ns_p, "C loop", ns_c,
                TARGETS["dense"], note=f"kernel only (comparator excluded): {fmt(ns_k)} ns"
                + (f" = {fratio(ns_k / ns_c)} C" if ns_c else ""))
    ctx.series["d"] = ser
    # where play()'s extra time goes at the largest d: the closed-form comparator on (checkpoints x d) statistics
    import tracemalloc

    from regretlab import hindsight

    dmax = max(S["d_list"])
    if dmax >= 1000:
        Tm = ser[dmax][3]
        stream = rl.streams.random_sign(dmax)
        with no_comparator():
            run = rl.play(learner, stream, Tm)
        suff = run._suff
        t_cmp = interleaved({"c": lambda: hindsight.comparator(stream, suff, run.t, run.seeds)}, 3)["c"][0]
        tracemalloc.start()
        tracemalloc.reset_peak()
        hindsight.comparator(stream, suff, run.t, run.seeds)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        t_play = ser[dmax][0] * dmax * Tm * 1e-9
        t_kern = ser[dmax][1] * dmax * Tm * 1e-9
        ctx.note("3", f"At d={dmax:g} (T={Tm}, {run.t.size} checkpoints) play() takes {t_play * 1e3:.0f} ms and the "
                      f"kernel-only call {t_kern * 1e3:.0f} ms; `hindsight.comparator` alone on the recorded "
                      f"statistics ({suff.nbytes / 2**20:.0f} MiB) takes {t_cmp * 1e3:.0f} ms with a tracemalloc "
                      f"peak of {peak / 2**20:.0f} MiB: `best_linear` computes the minimiser at every checkpoint "
                      f"({run.t.size} x {dmax:g}, plus same-sized temporaries) although Runs keeps only the last one.  "
                      "This is the part of play() that grows with checkpoints x d outside the kernel.")
    ctx.note("3", "Cost per coordinate-update = play() wall time / (d T); `play()` includes the closed-form "
                  "comparator at every checkpoint and the Runs construction, whose cost is O(checkpoints x d); the "
                  "kernel-only figure replaces the comparator by zeros.  Adam(alpha=0.1, beta1=0.9, beta2=0.999), "
                  "theorem schedule, default ~200 log-spaced checkpoints (the iterate path is recorded for d <= 64, "
                  "by the C loop too).  C compiled with `restrict` pointers.")


# ----------------------------------------------------------------------------- 4. sparse

def sec_sparse(ctx):
    import regretlab as rl
    from regretlab import hindsight, solvers

    S = ctx.S
    print("4. sparse streams", flush=True)
    d = S["d_sparse"]
    T = S["T_sparse"]
    stream = rl.streams.sparse_logistic(d=d, nnz=20)
    dense = rl.Adam(alpha=0.1)
    lazy = rl.Adam(alpha=0.1, lazy=True)
    with no_comparator():
        for L in (dense, lazy):
            rl.play(L, stream, 10, checkpoints=[10])  # compile / load
        r = interleaved({"dense": lambda: rl.play(dense, stream, T, checkpoints=[T]),
                         "lazy": lambda: rl.play(lazy, stream, T, checkpoints=[T])}, S["sparse_reps"], warm=False)
        # (lazy Adam plays the sparse loop here: O(nnz) per round)
    for name in ("dense", "lazy"):
        run = r[name][1]
        ctx.check(f"sparse_logistic d={d:g}, {name} Adam, T={T:.0e}: finite final iterate and loss",
                  np.all(np.isfinite(run.theta)) and np.isfinite(run.loss[-1]),
                  f"loss(T) = {float(run.loss[-1]):.6g}")
    t_dense, t_lazy = r["dense"][0], r["lazy"][0]
    dense_ref = ctx.series.get("d", {}).get(d)
    ctx.row("4", f"dense Adam on sparse_logistic(d={d:g}, nnz=20), kernel only", f"T={T:.0e}", "rounds/s",
            T / t_dense, None, None, note=f"{fmt(t_dense / T * 1e6)} us/round = {fmt(t_dense / T / d * 1e9)} ns per "
            f"coordinate" + (f" (dense Adam on random_sign(d={d:g}), section 3: {fmt(dense_ref[1])} ns kernel-only, "
                             f"C {fmt(dense_ref[2])} ns)" if dense_ref else ""))
    ctx.row("4", f"lazy Adam (lazy=True, the sparse loop), same stream, kernel only", f"T={T:.0e}", "rounds/s",
            T / t_lazy,
            "dense Adam", T / t_dense,
            note=f"speed-up {t_dense / t_lazy:.2f}x (rows touch nnz/d = {20 / d:.1e} of the coordinates)")
    # lazy Adam against d: the sparse loop (O(nnz) per round, the default on sparse streams since issue 13)
    # against the dense loop (sparse=False, what every learner paid before) and dense Adam
    lz = {}
    with no_comparator():
        for dd in S["lazy_d"]:
            st = rl.streams.sparse_logistic(d=dd, nnz=20)
            Tl = S["T_lazy_d"]
            rr = interleaved({"sparse": lambda st=st: rl.play(lazy, st, 20 * Tl, checkpoints=[20 * Tl]),
                              "lazy": lambda st=st: rl.play(lazy, st, Tl, checkpoints=[Tl], sparse=False),
                              "dense": lambda st=st: rl.play(dense, st, Tl, checkpoints=[Tl])}, 2)
            lz[dd] = (rr["sparse"][0] / (20 * Tl) * 1e6, rr["lazy"][0] / Tl * 1e6, rr["dense"][0] / Tl * 1e6)
    ctx.series["lazy_d"] = lz
    ctx.note("4", "Per-round cost against d at nnz = 20 (kernel only, T=" + f"{S['T_lazy_d']}, the sparse loop "
             f"{20 * S['T_lazy_d']}): " + ", ".join(
                 f"d={dd:g}: lazy Adam {fmt(a)} us in the sparse loop, {fmt(b)} us in the dense loop; dense Adam "
                 f"{fmt(c)} us" for dd, (a, b, c) in lz.items()) +
             ".  The dense loop is O(d) per round whatever the learner (the stream zeroes all d gradient "
             "coordinates and the engine makes four more O(d) passes); the sparse loop (`play(..., sparse=...)`, "
             "OGD, AdaGrad and lazy Adam) touches only the round's coordinates and is O(d) only at checkpoints "
             "(`analysis/bench_sparse.py`, `reports/benchmarks_sparse.md`).  Dense Adam stays O(d): its untouched "
             "coordinates move.")
    # the sparse loop against nnz at fixed d: O(nnz) per round
    nz = {}
    with no_comparator():
        for q in S["nnz_list"]:
            st = rl.streams.sparse_logistic(d=S["d_nnz"], nnz=q)
            Tq = S["T_nnz"]
            rq = interleaved({"sparse": lambda st=st: rl.play(lazy, st, Tq, checkpoints=[Tq])}, 2)
            nz[q] = rq["sparse"][0] / Tq * 1e6
    ctx.series["nnz"] = dict(d=S["d_nnz"], data=nz)
    ctx.note("4", f"Lazy Adam in the sparse loop against nnz (d={S['d_nnz']:g}, kernel only, T={S['T_nnz']:.0e}): " +
             ", ".join(f"nnz={q}: {fmt(v)} us/round" for q, v in nz.items()) + ".")
    # comparator time: logistic stream, 200 checkpoints
    Tc = S["T_cmp"]
    sl = rl.streams.synthetic_logistic(20)
    Lc = rl.Adam(alpha=0.1)
    rl.play(Lc, sl, 200)  # compile kernel and row generator
    t_total, run_c = once(lambda: rl.play(Lc, sl, Tc))
    with no_comparator():
        t_kernel, _ = once(lambda: rl.play(Lc, sl, Tc))
    t_rows, (A, y) = once(lambda: hindsight.played_rows(sl, int(run_c.seed), Tc))
    t_solve, res = once(lambda: solvers.best_logistic(A, y, sl.domain, run_c.t))
    ok = np.array_equal(res.value, run_c.best_loss)
    ctx.check(f"logistic comparator T={Tc:.0e}: direct best_logistic on the played rows = play()'s best_loss",
              ok, f"max rel. err. {BE.rel_err(res.value, run_c.best_loss):.1e} over {run_c.t.size} checkpoints; "
              f"max certificate {float(np.max(res.certificate)):.1e}")
    nck = run_c.t.size
    ctx.row("4", f"logistic comparator (synthetic_logistic(20)), {nck} checkpoints", f"T={Tc:.0e}", "s",
            t_total - t_kernel, "kernel (play() without comparator)", t_kernel,
            note=f"direct: played_rows {t_rows:.2f} s + best_logistic {t_solve:.2f} s = "
                 f"{(t_rows + t_solve) / nck * 1e3:.1f} ms per checkpoint")
    ctx.note("4", "Sparse-stream rows are timed with `checkpoints=[T]` and the comparator replaced by zeros: the "
                  "logistic comparator (L-BFGS-B over the whole prefix at each checkpoint; no incremental "
                  "sufficient statistic exists) is timed separately.")
    Tsc = S["T_sparse_cmp"]
    if Tsc:
        with no_comparator():
            run_s = rl.play(lazy, stream, Tsc, checkpoints=[Tsc])
        t_rows2, (A2, y2) = once(lambda: hindsight.played_rows(stream, int(run_s.seed), Tsc))
        t_solve2, res2 = once(lambda: solvers.best_logistic(A2, y2, stream.domain, [Tsc]))
        ctx.row("4", f"comparator of sparse_logistic(d={d:g}) at one checkpoint", f"T={Tsc:.0e}", "s",
                t_rows2 + t_solve2, None, None,
                note=f"rows {t_rows2:.2f} s + {res2.kind} {t_solve2:.1f} s, certificate {float(res2.certificate[0]):.1e}")
    else:
        ctx.note("4", "The comparator of the sparse stream itself (d = 1e4, one L-BFGS-B over all T rows) is "
                      "measured in the full run only (tens of seconds at T = 1e5).")


# ----------------------------------------------------------------------------- 5. sweeps

def _sweep_spec(name, n_alpha, n_beta2, seeds, T, checkpoints=200):
    return {"name": name, "T": int(T), "checkpoints": checkpoints, "seeds": int(seeds), "root_seed": 0,
            "learners": {"adam": {"type": "Adam", "alpha": {"linspace": [0.1, 1.0, n_alpha]},
                                  "beta2": {"logspace": [-2.0, -0.5, n_beta2]}, "beta1": 0.0}},
            "streams": {"reddi": {"type": "reddi", "C": 3.0}}}


def sec_sweeps(ctx):
    from regretlab import experiments as X

    S = ctx.S
    print("5. sweeps", flush=True)
    na, nb, ns, T = S["sweep"]
    execs = ["serial", "local", "dask"] if S["pools"] else ["serial"]
    if "dask" in execs:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            execs.remove("dask")
            ctx.note("5", "Dask executor skipped: dask.distributed not installed.")
    spec = _sweep_spec("bench", na, nb, ns, T)
    tmp = tempfile.mkdtemp(prefix="regretlab-bench-sweeps-")
    atexit.register(shutil.rmtree, tmp, True)
    walls = {}
    cpus = {}
    summaries = {}
    import resource
    import warnings

    def cpu_now():
        a = resource.getrusage(resource.RUSAGE_SELF)
        b = resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime, b.ru_utime + b.ru_stime

    for ex in execs:
        out = os.path.join(tmp, f"main-{ex}")
        c0 = cpu_now()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, info = once(lambda: X.run_sweep(spec, out, executor=ex, workers=2, quiet=True))
        c1 = cpu_now()
        walls[ex] = t
        cpus[ex] = (c1[0] - c0[0], c1[1] - c0[1])
        summaries[ex] = X.load(out, "summary").sort_values(["task_id", "seed_index"]).reset_index(drop=True)
        assert info["run"] == na * nb, info
    n_tasks = na * nb
    trial_rounds = n_tasks * ns * T
    for ex in execs:
        ctx.row("5", f"sweep {n_tasks} configs x {ns} seeds, executor={ex!r}" + (", 2 workers" if ex != "serial" else ""),
                f"T={T:.0e}", "s", walls[ex], "serial" if ex != "serial" else None,
                walls["serial"] if ex != "serial" else None,
                note=f"{walls[ex] / trial_rounds * 1e9:.1f} ns per trial-round; CPU {sum(cpus[ex]):.1f} s = "
                     f"{cpus[ex][0]:.1f} s this process + {cpus[ex][1]:.1f} s worker processes")
    if len(execs) > 1:
        a = summaries["serial"][["task_id", "seed_index", "R_T", "gamma_neg"]]
        same = all(a.equals(summaries[ex][["task_id", "seed_index", "R_T", "gamma_neg"]]) for ex in execs[1:])
        ctx.check("sweeps: every executor gives bit-identical R(T) and Gamma counts", same,
                  f"{len(a)} runs compared across {', '.join(execs)}")
    else:
        ctx.check("sweep (serial) finished with all runs", len(summaries["serial"]) == n_tasks * ns,
                  f"{len(summaries['serial'])} runs")
    # per-task overhead: trivial T = 10 runs, 1 task and N tasks
    ta, tb = S["trivial"]
    n_triv = ta * tb
    over = {}
    for ex in execs:
        w1, _ = once(lambda: X.run_sweep(_sweep_spec("one", 1, 1, 1, 10, 10), os.path.join(tmp, f"one-{ex}"),
                                         executor=ex, workers=2, quiet=True))
        wn, _ = once(lambda: X.run_sweep(_sweep_spec("triv", ta, tb, 1, 10, 10), os.path.join(tmp, f"triv-{ex}"),
                                         executor=ex, workers=2, quiet=True))
        over[ex] = (w1, wn, (wn - w1) / (n_triv - 1))
        ctx.row("5", f"overhead per task (T=10 runs), executor={ex!r}", f"{n_triv} tasks", "ms/task",
                over[ex][2] * 1e3, None, None,
                note=f"fixed cost (1-task sweep) {w1:.2f} s; {n_triv}-task sweep {wn:.2f} s")
    from regretlab.game import play

    learner_t = X.LEARNERS["Adam"](alpha=0.1, beta1=0.0, beta2=0.1)
    stream_t = X.STREAMS["reddi"](C=3.0)
    task = X.load_spec(_sweep_spec("x", 1, 1, 1, 10, 10)).tasks[0]
    rt = interleaved({"task": lambda: X.run_task(task), "play": lambda: play(learner_t, stream_t, 10, seeds=task.seeds,
                                                                               checkpoints=10)}, 5)
    wdir = os.path.join(tmp, "write")
    os.makedirs(wdir, exist_ok=True)
    res_t = rt["task"][1]
    t_write = interleaved({"w": lambda: X.storage.write_task(wdir, task.task_id, res_t)}, 5)["w"][0]
    ctx.note("5", f"Within one trivial task (serial, best of 5): `run_task` {rt['task'][0] * 1e3:.1f} ms, of which "
                  f"`play()` {rt['play'][0] * 1e3:.2f} ms; the rest is building the two DataFrames (column by column), the "
                  f"bound evaluation and the growth exponent.  Writing the task's two Parquet files atomically (temporary "
                  f"file, fsync, rename) takes another {t_write * 1e3:.1f} ms.  The local pool "
                  "spawns its workers (each imports regretlab and loads the kernel from the cache) and the Dask "
                  "executor starts a LocalCluster inside every run_sweep call: both are in the fixed cost.")
    ctx.series["sweeps"] = dict(walls=walls, over=over, n_tasks=n_tasks, ns=ns, T=T)
    if len(execs) > 1:
        lo_ = loadavg()
        ideal = {ex: sum(cpus[ex]) / 2 for ex in execs if ex != "serial"}
        ctx.note("5", "Wall time of a parallel sweep depends on how much of the 2 cores the workers actually get: "
                      f"the load average was {lo_[0]:.1f} (1 min) / {lo_[1]:.1f} (5 min) at the end of this section.  "
                      "CPU time does not: serial " + f"{sum(cpus['serial']):.1f} s" + "".join(
                          f", {ex} {sum(cpus[ex]):.1f} s ({sum(cpus[ex]) / sum(cpus['serial']):.2f}x serial; "
                          f"{ideal[ex]:.1f} s wall if its 2 workers had both cores to themselves)" for ex in ideal) +
                      ".  The extra CPU of the pools is their start-up (a fresh interpreter per worker importing "
                      "regretlab, numba, pandas and loading the kernel from the cache; for Dask also the scheduler "
                      "and nannies) plus pickling every task's DataFrames back to the parent, which writes them.")


# ----------------------------------------------------------------------------- 7. memory

MEM_CHILD = r"""
import sys, json, resource, time, gc
kind, n, Td = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import numpy as np
import regretlab as rl


def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


if kind == "T":
    L = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1, eps=1e-8, lam=1 - 1e-8)
    s = rl.streams.periodic_linear(3.0, 1.0, 3, domain=rl.Box(-1.0, 1.0, d=1), x0=[1.0])
    T = n
else:
    L = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999)
    s = rl.streams.random_sign(n)
    T = Td
rl.play(L, s, 10)
gc.collect()
# Reset the peak-RSS mark (Linux >= 4.0: writing 5 to clear_refs resets VmHWM), so that the
# transient peak of import + loading the kernel does not hide the call's own peak.
try:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    how = "VmHWM after reset"
    r0 = status("VmRSS")
except OSError:
    how = "ru_maxrss"
    r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
run = rl.play(L, s, T)
el = time.perf_counter() - t0
r1 = status("VmHWM") if how != "ru_maxrss" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_kib": r0, "peak_kib": r1, "seconds": el, "how": how}))
"""


def lean_bytes(d, nc):
    """The memory of the lean C loop for a game of d coordinates recorded at nc checkpoints: the
    buffers it is given, as bench_lean's loops (it allocates nothing itself): Adam's state
    (theta, m, v), the running sum of gradients, and per checkpoint the cumulative loss and that
    sum (what the regret against the best fixed point needs), 8 bytes each."""
    return 8 * (4 * d + nc * (1 + d))


def sec_memory(ctx):
    import tracemalloc

    import regretlab as rl

    S = ctx.S
    print("7. peak memory", flush=True)
    learner, stream = BE.make_game()
    dl = rl.Adam(alpha=0.1, beta1=0.9, beta2=0.999)

    def traced(fn):
        tracemalloc.start()
        tracemalloc.reset_peak()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    memT, memd = {}, {}
    hows = set()
    for T in S["mem_T"]:
        tm = traced(lambda: rl.play(learner, stream, T))
        ch = spawn(MEM_CHILD, ("T", T, 0))
        hows.add(ch["how"])
        memT[T] = (tm / 2**20, (ch["peak_kib"] - ch["base_kib"]) / 1024, ch["peak_kib"] / 1024,
                   lean_bytes(1, rl.default_checkpoints(T).size) / 2**20)
    for d in S["mem_d"]:
        Td = S["T_mem_d"]
        s = rl.streams.random_sign(d)
        tm = traced(lambda: rl.play(dl, s, Td))
        ch = spawn(MEM_CHILD, ("d", d, Td))
        hows.add(ch["how"])
        memd[d] = (tm / 2**20, (ch["peak_kib"] - ch["base_kib"]) / 1024, ch["peak_kib"] / 1024,
                   lean_bytes(d, rl.default_checkpoints(Td).size) / 2**20)
    T0, T1 = min(memT), max(memT)
    ctx.row("7", f"peak memory of play() (tracemalloc), Reddi d=1, T={T1:.0e}", f"T={T1:.0e}", "MiB", memT[T1][0],
            f"same at T={T0:.0e}", memT[T0][0], note="flat in T expected (generated stream)")
    ctx.row("7", "  peak RSS increase over the process after import + warm-up (subprocess)", f"T={T1:.0e}", "MiB",
            memT[T1][1], f"same at T={T0:.0e}", memT[T0][1])
    ctx.row("7", "  lean C loop's buffers (state, cumulative loss and sum g per checkpoint)", f"T={T1:.0e}", "MiB",
            memT[T1][3], f"same at T={T0:.0e}", memT[T0][3])
    d0, d1 = min(memd), max(memd)
    nck = rl.default_checkpoints(S["T_mem_d"]).size
    ctx.row("7", f"peak memory of play() (tracemalloc), random_sign(d={d1:g}), T={S['T_mem_d']}", f"d={d1:g}", "MiB",
            memd[d1][0], f"same at d={d0:g}", memd[d0][0],
            note=f"{memd[d1][0] * 2**20 / (d1 * nck):.0f} bytes per coordinate per checkpoint ({nck} checkpoints)")
    ctx.row("7", "  peak RSS increase (subprocess)", f"d={d1:g}", "MiB", memd[d1][1], f"same at d={d0:g}",
            memd[d0][1])
    ctx.row("7", "  lean C loop's buffers (state, cumulative loss and sum g per checkpoint)", f"d={d1:g}", "MiB",
            memd[d1][3], f"same at d={d0:g}", memd[d0][3])
    ctx.series["memT"] = memT
    ctx.series["memd"] = memd
    ctx.note("7", "Peak memory against T (Reddi, d=1; tracemalloc MiB / RSS increase MiB): " + ", ".join(
        f"T={T:.0e}: {a:.2f} / {b:.1f}" for T, (a, b, *_) in memT.items()) + ".  Against d (random_sign(d), T=" +
        f"{S['T_mem_d']}): " + ", ".join(f"d={d:g}: {a:.1f} / {b:.1f} (lean C {e:.2f})"
                                         for d, (a, b, _, e) in memd.items()) +
        ".  tracemalloc counts the NumPy arrays allocated during the call (state, records, comparator); the RSS "
        "figure is the peak resident set during the call minus the resident set before it, in a fresh process that "
        "imported regretlab and played T=10 first, with the peak mark reset just before the call (writing 5 to "
        "/proc/self/clear_refs; ru_maxrss where that is unavailable); method used: " + ", ".join(sorted(hows)) + ".  "
        "Memory grows with checkpoints x d: the comparator's sufficient statistics (d + 1 "
        "per checkpoint) are recorded, copied into the Runs, and the closed-form comparator computes a minimiser "
        "per checkpoint of which the Runs keeps the last.  The lean C reference is the size of the buffers a C loop "
        "that keeps only the regret is given (benchmarks.lean_bytes: Adam's state, the running sum of g, and the "
        "cumulative loss and sum of g at each checkpoint; it allocates nothing else): the least a regret curve "
        "needs, against which play()'s records of the bound statistics, the iterates' ranges and the comparator's "
        "work arrays are the difference.")


# ----------------------------------------------------------------------------- figure

def _prev_line(ax, prev, key, xs_ys, fn, what="play()"):
    """The previous run's first curve of a panel (``what``), grey and dotted, if it measured this series."""
    if prev and prev.get(key):
        xs, ys = xs_ys(prev[key])
        if xs:
            fn(ax)(xs, ys, ":", color="0.55", marker=".", label=f"{what}, previous ({prev['label']})")


def figure(ctx, path, prev=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(20, 8.8))
    srt = lambda dct, j: ([k for k in sorted(dct) if dct[k][j]], [dct[k][j] for k in sorted(dct) if dct[k][j]])  # noqa: E731
    ax = axes[0, 0]
    if "T" in ctx.series:
        ser = ctx.series["T"]
        for j, style, label in ((0, "o-", "play()"), (3, "v-", 'play(), record="regret"'), (1, "s--", "C loop"),
                                (2, "d--", "lean C loop (regret only)")):
            xs, ys = srt(ser, j)
            if xs:
                ax.loglog(xs, ys, style, label=label)
        _prev_line(ax, prev, "T", lambda d: srt(d, 0), lambda a: a.loglog)
        ax.set_xlabel("T (rounds)")
        ax.set_ylabel("ns / round")
        ax.set_title("cost against T (Reddi, d = 1)")
        ax.legend(fontsize=8)
    ax = axes[0, 1]
    if "d" in ctx.series:
        ser = ctx.series["d"]
        for j, style, label in ((0, "o-", "play()"), (1, "^-", "play(), comparator excluded"), (2, "s--", "C loop")):
            xs, ys = srt(ser, j)
            if xs:
                ax.loglog(xs, ys, style, label=label)
        _prev_line(ax, prev, "d", lambda d: srt(d, 0), lambda a: a.loglog)
        ax.set_xlabel("d (dT ~ const)")
        ax.set_ylabel("ns / coordinate-update")
        ax.set_title("cost against d (Adam, random_sign(d))")
        ax.legend(fontsize=8)
    ax = axes[0, 2]
    if "runs" in ctx.series:
        data = ctx.series["runs"]["data"]
        for j, style, label in ((0, "o-", "play(seeds=range(n))"), (3, "v-", 'play(..., record="regret")'),
                                (1, "s--", "batched C loop"), (2, "d--", "lean batched C loop")):
            xs, ys = srt(data, j)
            if xs:
                ax.semilogx(xs, ys, style, label=label)
        _prev_line(ax, prev, "runs", lambda d: srt(d.get("data", {}), 0), lambda a: a.semilogx)
        ax.set_xlabel("number of runs n in one call")
        ax.set_ylabel("ns / trial-round")
        ax.set_ylim(bottom=0)
        ax.set_title(f"cost against number of runs (T = {ctx.series['runs']['T']:.0e})")
        ax.legend(fontsize=8)
    ax = axes[0, 3]
    if "lazy_d" in ctx.series:
        ser = ctx.series["lazy_d"]
        for j, style, label in ((0, "o-", "lazy Adam, sparse loop"), (1, "^-", "lazy Adam, dense loop (sparse=False)"),
                                (2, "s--", "dense Adam")):
            xs, ys = srt(ser, j)
            if xs:
                ax.loglog(xs, ys, style, label=label)
        if prev and prev.get("lazy_d"):
            xs, ys = srt(prev["lazy_d"], 0)
            ax.loglog(xs, ys, ":", color="0.55", marker=".", label=f"lazy Adam, previous ({prev['label']})")
        ax.set_xlabel("d")
        ax.set_ylabel("us / round")
        ax.set_title("sparse_logistic(d, nnz = 20), kernel only")
        ax.legend(fontsize=8)
    ax = axes[1, 0]
    if "memT" in ctx.series:
        ser = ctx.series["memT"]
        for j, style, label in ((0, "o-", "tracemalloc peak"), (1, "s--", "RSS increase (subprocess)"),
                                (3, "d--", "lean C loop (its buffers)")):
            xs, ys = srt(ser, j) if all(len(v) > j for v in ser.values()) else ([], [])
            if xs:
                ax.semilogx(xs, ys, style, label=label)
        _prev_line(ax, prev, "memT", lambda d: srt(d, 0), lambda a: a.semilogx, "tracemalloc peak")
        ax.set_xlabel("T (rounds)")
        ax.set_ylabel("MiB")
        ax.set_ylim(bottom=0)
        ax.set_title("peak memory against T (Reddi, d = 1)")
        ax.legend(fontsize=8)
    ax = axes[1, 1]
    if "memd" in ctx.series:
        ser = ctx.series["memd"]
        ds = sorted(ser)
        ax.loglog(ds, [max(ser[d][0], 1e-3) for d in ds], "o-", label="tracemalloc peak")
        ax.loglog(ds, [max(ser[d][1], 1e-1) for d in ds], "s--", label="RSS increase (subprocess)")
        if all(len(ser[d]) > 3 for d in ds):
            ax.loglog(ds, [ser[d][3] for d in ds], "d--", label="lean C loop (its buffers)")
        _prev_line(ax, prev, "memd", lambda d: ([k for k in sorted(d)], [max(d[k][0], 1e-3) for k in sorted(d)]),
                   lambda a: a.loglog, "tracemalloc peak")
        ax.set_xlabel("d")
        ax.set_ylabel("MiB")
        ax.set_title(f"peak memory against d (T = {ctx.S['T_mem_d']})")
        ax.legend(fontsize=8)
    ax = axes[1, 2]
    if "nnz" in ctx.series:
        data = ctx.series["nnz"]["data"]
        qs = sorted(data)
        ax.loglog(qs, [data[q] for q in qs], "o-", label="lazy Adam, sparse loop")
        ax.loglog(qs, [data[qs[0]] * q / qs[0] for q in qs], ":", color="C7", label="proportional to nnz")
        ax.set_xlabel("nnz (non-zeros per round)")
        ax.set_ylabel("us / round")
        ax.set_title(f"sparse_logistic(d = {ctx.series['nnz']['d']:.0e}, nnz), kernel only")
        ax.legend(fontsize=8)
    ax = axes[1, 3]
    if "frameworks" in ctx.series:
        fw = {k: v for k, v in ctx.series["frameworks"].items() if v}
        names = list(fw)
        ax.barh(names, [fw[k] for k in names], color="C0")
        for i, k in enumerate(names):
            ax.text(fw[k] * 1.1, i, fmt(fw[k]), va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("ns / round (log)")
        ax.set_title("same game, d = 1: per-round cost")
        ax.invert_yaxis()
    sub = f"; grey dotted: the previous run ({prev['label']})" if prev else ""
    fig.suptitle(f"regretlab benchmarks ({ctx.mode}): {BE.cpu_model()}, {os.cpu_count()} CPUs{sub}", fontsize=11)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ----------------------------------------------------------------------------- the previous run

SERIES = ("T", "d", "runs", "lazy_d", "nnz", "memT", "memd")


def series_path(out):
    """Where a report's figure series are kept (next to it), so that the next run can draw them beside its own."""
    return os.path.splitext(os.path.abspath(out))[0] + "_series.json"


def _num(x):
    v = float(x.replace(",", ""))
    return int(v) if v.is_integer() else v


def save_series(ctx, out):
    def enc(v):
        if isinstance(v, dict):
            return {str(k): enc(x) for k, x in v.items()}
        if isinstance(v, (tuple, list)):
            return [enc(x) for x in v]
        return v

    label = f"{_git_describe().replace('HEAD ', '').split(' ')[0]}, {BE.cpu_model()}"
    data = {"label": label, "mode": ctx.mode, **{k: enc(ctx.series[k]) for k in SERIES if k in ctx.series}}
    with open(series_path(out), "w") as fh:
        json.dump(data, fh, indent=1)


def load_previous(out):
    """The previous run's figure series: its ``*_series.json``, else parsed from its markdown report
    (the reports written before the series were kept); None when there is neither."""
    import re

    def dec(v):
        if isinstance(v, dict):
            return {(_num(k) if re.fullmatch(r"[0-9.e+-]+", k) else k): dec(x) for k, x in v.items()}
        return v

    path = series_path(out)
    if os.path.exists(path):
        with open(path) as fh:
            return dec(json.load(fh))
    if not os.path.exists(out):
        return None
    with open(out) as fh:
        text = fh.read()
    num = r"([0-9][0-9.,e+]*)"
    head = re.search(r"git HEAD ([0-9a-f]+)", text)
    cpu = re.search(r"- CPU: ([^,]+),", text)
    prev = {"label": f"{head.group(1) if head else '?'}, {cpu.group(1) if cpu else '?'}"}
    m = re.search(r"Cost against T \(figure, first panel\): (.*)", text)
    if m:
        prev["T"] = {_num(T): (_num(a), _num(c)) for T, a, c in re.findall(rf"T={num}: {num} vs C {num}", m.group(1))}
    m = re.search(r"Cost against the number of trials in one call \(T=([0-9.e+]+); figure, third panel\): (.*?) "
                  r"ns/trial-round", text)
    if m:
        prev["runs"] = {"T": _num(m.group(1)), "data": {int(k): (_num(a), _num(c)) for k, a, c in
                                                          re.findall(rf"(\d+): {num} vs C {num}", m.group(2))}}
    rows = re.findall(rf"\| 3 \| Adam on random_sign\(d=(\d+)\).*?\| {num} \| ns/coord-update", text)
    if rows:
        prev["d"] = {int(d): (_num(v),) for d, v in rows}
    found = re.findall(rf"d=(\d+): lazy {num} us, dense {num} us", text)
    if found:
        prev["lazy_d"] = {int(d): (_num(a), None, _num(b)) for d, a, b in found}
    m = re.search(r"Peak memory against T .*?: (.*?)\.  Against d .*?: (.*?)\.  ", text)
    if m:
        prev["memT"] = {_num(T): (float(a), float(b)) for T, a, b in re.findall(rf"T={num}: ([0-9.]+) / ([0-9.]+)",
                                                                             m.group(1))}
        prev["memd"] = {int(d): (float(a), float(b)) for d, a, b in re.findall(r"d=(\d+): ([0-9.]+) / ([0-9.]+)",
                                                                            m.group(2))}
    return prev


def previous_rows(out):
    """{(section, measurement, size): (value, ratio)} of the table of the report at ``out`` (the previous
    run's, read before this run overwrites it), as printed there; {} without one."""
    try:
        with open(out) as fh:
            text = fh.read()
    except OSError:
        return {}
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 10 and cells[0][:1].isdigit():
            rows[(cells[0], cells[1], cells[2])] = (cells[3], cells[7])
    return rows


def _previous(prev_rows, sec, name, full_name, size):
    """The previous run's (value, ratio) of a row: the row of the same section, size and measurement, whose
    note in parentheses may carry other numbers; ("", "") if none or several match."""
    if (sec, full_name, size) in prev_rows:
        return prev_rows[(sec, full_name, size)]
    found = [v for (s, n, z), v in prev_rows.items() if s == sec and z == size and (n == name or
                                                                                  n.startswith(name + " ("))]
    return found[0] if len(found) == 1 else ("", "")


# ----------------------------------------------------------------------------- report

SECTION_TITLES = {
    "1": "1. single run, d = 1",
    "2": "2. batched trials",
    "3": "3. dense d-dimensional learners",
    "4": "4. sparse streams and the logistic comparator",
    "5": "5. whole sweeps",
    "6": "6. compile time",
    "7": "7. peak memory",
}


def report(ctx, args, fig_path, t_start, load_start, load_end, prev_rows=None, prev_label=None):
    import numba

    lines = []
    mode = ctx.mode
    flag = {"full": "", "quick": " --quick", "tiny": " --quick --tiny"}[mode]
    lines += ["# regretlab benchmarks", "",
              f"Generated by `analysis/benchmarks.py{flag}` on "
              f"{datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} in "
              f"{(time.time() - t_start) / 60:.1f} min.", ""]
    lines += [f"- CPU: {BE.cpu_model()}, {os.cpu_count()} logical CPUs; platform `{platform.platform()}`",
              f"- Python {platform.python_version()}, numba {numba.__version__}, numpy {np.__version__}"
              + "".join(f", {k} {v}" for k, v in FW.versions().items() if v),
              f"- C: {BE.gcc_version() or 'gcc absent'}, flags `{' '.join(BE.GCC_FLAGS)}`" if ctx.lib is not None
              else f"- C: rows skipped ({ctx.c_info})",
              f"- load average (1 min) at start {load_start[0]:.2f}, at end {load_end[0]:.2f}: other processes "
              "shared the 2 cores, so absolute times are noisy; every ratio compares runs measured alternately in "
              "the same process (best of several unless stated).",
              "- NUMBA_CACHE_DIR: " + ("the caller's, " if _CALLERS_CACHE else "a fresh temporary directory (removed at the "
                                       "end), ") + "section 6's cold start in a new empty one.",
              f"- regretlab sources: {'CHANGED during the run (see below)' if '0' in ctx.notes else 'unchanged during the run'}"
              f" (package hash {__import__('regretlab._jit', fromlist=['x']).SOURCE_HASH[:12]}); git "
              f"{_git_describe()}.", ""]
    for n in ctx.notes.get("0", []):
        lines += [n, ""]
    if mode == "tiny":
        lines += ["**Tiny mode (test suite): the sizes are far too small for the timings to mean anything; only the "
                  "correctness checks count.**", ""]
    lines += ["Targets (DESIGN.md): `play` within 1.3x of the plain C loop per round; batched seeds or "
              "hyperparameters within 1.5x of the batched C loop per trial-round; dense d-dimensional learners "
              "within 2x of a C loop per coordinate-update; a kernel reused from the on-disk cache within 2 s.", ""]
    prev_rows = prev_rows or {}
    if prev_rows:
        lines += [f"The last two columns are the previous run's value and ratio for the same row ({prev_label}), as "
                  "its report printed them (empty where it had no such row).", ""]
    lines += ["| # | measurement | size | value | unit | reference | reference value | ratio | target | verdict "
              "| previous value | previous ratio |",
              "|---|---|---|---:|---|---|---:|---:|---|---|---:|---:|"]
    for r in ctx.rows:
        tgt = f"<= {r['target']:g}x" if r["target"] else ""
        verdict = ""
        if r["target"] and r["ratio"] is not None:
            verdict = "meets" if r["ratio"] <= r["target"] else "**misses**"
        if r["note"].startswith("target:"):
            tgt = r["note"][len("target:"):].strip()
            verdict = "meets" if r["value"] <= TARGETS["cache_s"] else "**misses**"
            note = ""
        else:
            note = r["note"]
        name = r["name"] + (f" ({note})" if note else "")
        pv, pr = _previous(prev_rows, str(r["sec"]), r["name"].strip(), name.strip(), str(r["size"]).strip())
        lines.append(f"| {r['sec']} | {name} | {r['size']} | {fmt(r['value'])} | {r['unit']} | {r['ref_name'] or ''} "
                     f"| {fmt(r['ref_value']) if r['ref_name'] else ''} | {fratio(r['ratio']) if r['ref_name'] else ''} "
                     f"| {tgt} | {verdict} | {pv} | {pr} |")
    lines.append("")
    lines.append(f"![cost against T, d and number of runs; peak memory]({os.path.relpath(fig_path, os.path.dirname(os.path.abspath(args.out)))})")
    lines.append("")
    for sec in sorted(SECTION_TITLES):
        if sec not in ctx.notes:
            continue
        lines.append(f"## {SECTION_TITLES[sec]}")
        lines.append("")
        for n in ctx.notes[sec]:
            lines.append(n)
            lines.append("")
    misses = [r for r in ctx.rows if r["target"] and r["ratio"] is not None and r["ratio"] > r["target"]]
    misses += [r for r in ctx.rows if r["note"].startswith("target:") and r["value"] > TARGETS["cache_s"]]
    lines.append("## Targets missed")
    lines.append("")
    if not misses:
        lines.append("None in this run.")
    for r in misses:
        lines.append(f"- [{r['sec']}] {r['name']} ({r['size']}): " +
                     (f"{fratio(r['ratio'])} of {r['ref_name']}, target {r['target']:g}x." if r["target"]
                      else f"{fmt(r['value'])} s, target {TARGETS['cache_s']:g} s."))
    lines.append("")
    n_ok = sum(ok for _, ok, _ in ctx.checks)
    lines.append("## Correctness checks")
    lines.append("")
    for name, ok, detail in ctx.checks:
        lines.append(f"- {'OK' if ok else '**FAILED**'}: {name} ({detail})")
    lines.append("")
    all_ok = n_ok == len(ctx.checks)
    lines.append(f"{'All correctness checks passed' if all_ok else 'CORRECTNESS CHECKS FAILED'}: "
                 f"{n_ok} of {len(ctx.checks)}.")
    lines.append("")
    lines.append("Section wall times (s): " + ", ".join(f"{k}: {v:.0f}" for k, v in ctx.timings.items()) + ".")
    lines.append("")
    return "\n".join(lines), all_ok


# ----------------------------------------------------------------------------- main

def _git_describe():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "regretlab"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return f"HEAD {head}" + (" with uncommitted changes under regretlab/" if dirty else "") if head else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


SECTIONS = [("6", sec_compile), ("1", sec_single), ("2", sec_batched), ("3", sec_dense), ("4", sec_sparse),
            ("5", sec_sweeps), ("7", sec_memory)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes: a few minutes")
    ap.add_argument("--tiny", action="store_true", help="test-suite sizes (< 1 minute); one tiny serial sweep")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "benchmarks.md"), help="markdown report path")
    ap.add_argument("--fig", default=None, help="figure path (default: figures/benchmark_scaling.png next to --out)")
    ap.add_argument("--only", default=None, help="comma-separated section numbers to run (development)")
    args = ap.parse_args(argv)
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    ctx = Ctx(mode, SIZES[mode])
    fig_path = args.fig or os.path.join(os.path.dirname(os.path.abspath(args.out)), "figures",
                                        "benchmark_scaling.png")
    # Import every regretlab module the sections use now, so the whole run sees one snapshot of the
    # package even if its sources change while the benchmark runs (the modules import lazily).
    import regretlab  # noqa: F401
    import regretlab.bounds  # noqa: F401
    import regretlab.experiments  # noqa: F401
    import regretlab.hindsight  # noqa: F401
    import regretlab.solvers  # noqa: F401
    from regretlab import _jit

    src_hash = _jit.SOURCE_HASH
    prev = load_previous(args.out)  # before this run overwrites it
    prev_rows = previous_rows(args.out)
    t_start = time.time()
    load_start = loadavg()
    print(f"mode {mode}; NUMBA_CACHE_DIR = {CACHE_DIR}", flush=True)
    tmp = tempfile.mkdtemp(prefix="regretlab-bench-c-")
    atexit.register(shutil.rmtree, tmp, True)
    ctx.lib, ctx.c_info = build_lib(tmp)
    print(f"C: {ctx.c_info if ctx.lib is not None else 'skipped: ' + ctx.c_info}", flush=True)
    if ctx.lib is not None:
        import bench_lean as BL

        ctx.lean = BL.compile_c(tmp)
    if ctx.lib is None:
        for sec in "123":
            ctx.note(sec, f"C reference rows skipped: {ctx.c_info}.")
    only = set(args.only.split(",")) if args.only else None
    for sec, fn in SECTIONS:
        if only and sec not in only:
            continue
        t0 = time.time()
        fn(ctx)
        ctx.timings[sec] = time.time() - t0
        print(f"   section {sec}: {ctx.timings[sec]:.0f} s", flush=True)
    if _jit._package_source_hash() != src_hash:
        ctx.note("0", "**The regretlab sources changed while this benchmark ran** (another process edited the "
                      "package): processes started after the change (sweep workers, section 6/7 children) hashed "
                      "different sources, missed the on-disk cache and compiled; their timings are not comparable.")
    figure(ctx, fig_path, prev)
    text, all_ok = report(ctx, args, fig_path, t_start, load_start, loadavg(), prev_rows,
                          (prev or {}).get("label", "the report this run replaced"))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)
    save_series(ctx, args.out)
    print()
    print(text)
    print(f"written to {args.out} and {fig_path}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
