"""Benchmark regretlab.play against a plain C loop doing the same arithmetic.

Reddi's stream (periodic_linear(big=3, small=1, period=3), d = 1, domain [-1, 1],
x0 = 1) played by Adam(alpha=0.5, beta1=0, beta2=0.1, eps=1e-8, lam=1-1e-8,
schedule="theorem", bias_correction="paper", eps_mode="paper").

The C loop is written to a temporary directory, compiled with gcc -O3 into a
shared library at benchmark time and called through ctypes.  Per round it does
what ``regretlab.game.kernel._play_kernel`` does with the inlined ``_periodic_round``,
``_make_adam_step(THEOREM, 0, 0)`` (schedule, lazy, eps_hat) with bias=0 and ``_box_project`` (same operations in the
same order, IEEE double, no fast-math), including the Gamma counts and the
Lemma 10.3 and 10.4 sums, and the 13 checkpoint records of ``_record`` at the
same rounds (``regretlab.default_checkpoints(T)``, about 200 log-spaced rounds).  The script checks that the C loop's final cumulative loss
and final iterate equal regretlab's to 1e-9 relative (they are in fact
bit-identical) before it reports any timing.

Measurements (each best of 3 after a warm-up call, all in this process except 3):
 1. single run, d = 1, T = 1e7 (1e6 with --quick): ns/round, regretlab.play vs C;
 2. 64 seeds in one play() call vs a C loop over 64 trials (trials in the inner
    loop over t, state in arrays of 64): ns per trial-round, T = 1e6 (1e5 --quick);
 3. a fresh interpreter (same NUMBA_CACHE_DIR, filled by a previous process):
    seconds from spawning it to its first play() returning;
 4. a pure-Python per-round loop on NumPy scalars doing the same arithmetic,
    T = 1e5, vs the C loop at the same T.

Usage::

    PYTHONPATH=/work/main /work/venv/bin/python analysis/bench_engine.py [--quick]

Writes reports/benchmarks_engine.md.  NUMBA_CACHE_DIR: if it is not set, a fresh
temporary directory is used (so the package tree is not written to) and removed
at the end.
"""
from __future__ import annotations

import argparse
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

# The cache directory must be fixed before numba is imported (here and in the children).
_OWN_CACHE = "NUMBA_CACHE_DIR" not in os.environ
if _OWN_CACHE:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="regretlab-bench-numba-")
    import atexit
    atexit.register(shutil.rmtree, os.environ["NUMBA_CACHE_DIR"], True)
sys.dont_write_bytecode = True

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# The benchmarked game (the parameters are passed to C at run time, as the kernel reads them from P).
ALPHA, BETA1, BETA2, EPS, LAM = 0.5, 0.0, 0.1, 1e-8, 1.0 - 1e-8
BIG, SMALL, PERIOD = 3.0, 1.0, 3
LO, HI, X0 = -1.0, 1.0, 1.0
N_SEEDS = 64
N_REC = 13
REC_NAMES = ("loss", "sum_g_norm", "sum_sqrt_vhat", "sum_beta1_h", "max_g_2", "max_g_inf", "gamma_neg",
             "max_step", "spread_inf", "spread_2", "lemma_10_3_lhs", "first_gamma_neg", "lemma_10_4_lhs")

GCC_FLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno"]

# ----------------------------------------------------------------------------- the C loop

C_SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Checkpoint record fields, in the order of the record fields of regretlab.recorders.BOUNDS. */
enum { R_LOSS, R_SUM_GNORM, R_SUM_SQRT_V, R_SUM_B1H, R_MAX_G2, R_MAX_GINF, R_GNEG, R_MAX_STEP,
       R_D_INF, R_D_2, R_L103, R_FIRSTNEG, R_L104, N_REC };
enum { ERR_LOSS = 1, ERR_GRAD = 2, ERR_ITERATE = 3, ERR_GRAD2 = 4 };
/* Final state written back (the kernel's state arrays outlive the call, so nothing is dead). */
enum { S_X, S_G, S_SUFF, S_M, S_V, S_H, S_VHAT, S_Z0, S_Z1, S_Z2, S_Z3, S_N2, S_XMIN, S_XMAX, S_HPREV,
       S_LOSS, S_MAXG2, S_MAXGINF, S_GNEG, S_MAXSTEP, S_SUMB1H, S_L103, S_FIRSTNEG, S_L104, N_STATE };

/* One trial, d = 1: Reddi's periodic linear stream, Adam (theorem schedule, paper bias
   correction, eps outside sqrt(v_hat)), projection on the box [lo, hi].
   prm = (alpha, beta1, beta2, eps, lam), strm = (big, small).
   Plays rounds 1 .. ck[nc-1]; returns the next round (err[0] != 0 on a non-finite value). */
int64_t play_single(const double *prm, const double *strm, int64_t period, double lo, double hi, double x0,
                    const int64_t *ck, int64_t nc, double *rec, double *rec_suff, double *rec_theta,
                    double *state, int64_t *err)
{
    const double alpha = prm[0], beta1 = prm[1], beta2 = prm[2], eps = prm[3], lam = prm[4];
    const double big = strm[0], small = strm[1];
    double x = x0, g = 0.0, suff = 0.0, m = 0.0, v = 0.0, H = 0.0, vh = 0.0;
    double z0 = 0.0, z1 = 0.0, z2 = 0.0, z3 = 0.0;
    double n2 = 0.0, xmin = x0, xmax = x0, hprev = 0.0;
    double a_loss = 0.0, a_maxg2 = 0.0, a_maxginf = 0.0, a_gneg = 0.0, a_maxstep = 0.0,
           a_sumb1h = 0.0, a_l103 = 0.0, a_firstneg = 0.0, a_l104 = 0.0;
    int64_t t = 1;
    for (int64_t c = 0; c < nc; c++) {
        const int64_t t_end = ck[c];
        for (; t <= t_end; t++) {
            const double inv_sqrt_t = 1.0 / sqrt((double)t);
            /* stream: f_t(x) = big*x if t % period == 1 % period else -small*x */
            g = (t % period == 1 % period) ? big : -small;
            suff += g;                      /* comparator statistic S += g */
            double loss = 0.0;
            loss += g * x;
            if (!isfinite(loss)) { err[0] = ERR_LOSS; err[1] = 0; err[2] = t; goto done; }
            /* bound statistics of g_t and theta_t */
            double g2 = 0.0, ginf = 0.0, g1 = 0.0;
            if (!(isfinite(g) && isfinite(x))) {
                err[0] = isfinite(x) ? ERR_GRAD : ERR_ITERATE; err[1] = 0; err[2] = t; err[3] = 0; goto done;
            }
            const double gg = g * g;
            n2 += gg;
            g2 += gg;
            const double ag = fabs(g);
            g1 += ag;
            if (ag > ginf) ginf = ag;
            if (x < xmin) xmin = x;
            if (x > xmax) xmax = x;
            const double xprev = x;         /* AUX[k, X_PREV, i] */
            if (!isfinite(g2)) { err[0] = ERR_GRAD2; err[1] = 0; err[2] = t; goto done; }
            a_loss += loss;
            if (g2 > a_maxg2) a_maxg2 = g2;
            if (ginf > a_maxginf) a_maxginf = ginf;
            a_l103 += g1 * inv_sqrt_t;
            /* Adam step (running powers kept as products) */
            if (t == 1) { z0 = beta1; z1 = beta2; z2 = 1.0; z3 = beta1; }
            else { z0 *= beta1; z1 *= beta2; z2 *= lam; z3 = z3 * beta1 * z2 * z2; }
            const double b1t = beta1 * z2;
            const double c1 = 1.0 - z0;
            const double c2 = 1.0 - z1;
            const double alpha_t = alpha / sqrt((double)t);
            const double sc2 = sqrt(c2);                 /* computed by the step; unused in this mode */
            const double step_scale = alpha_t * sc2 / c1; (void)step_scale;
            double bigstep = 0.0;
            m = b1t * m + (1.0 - b1t) * g;
            v = beta2 * v + (1.0 - beta2) * g * g;
            vh = v / c2;
            const double den = sqrt(vh) + eps;
            const double step = den > 0.0 ? alpha_t * (m / c1) / den : 0.0;
            H = den / alpha_t;
            x -= step;
            const double as = fabs(step);
            if (as > bigstep) bigstep = as;
            if (!isfinite(bigstep)) { err[0] = ERR_ITERATE; err[1] = 0; err[2] = t + 1; err[3] = 0; goto done; }
            if (bigstep > a_maxstep) a_maxstep = bigstep;
            /* Gamma bookkeeping and Lemma 10.4's sum (Delta from the step before the projection) */
            int64_t neg = 0;
            double sb = 0.0, s104 = 0.0;
            if (H < hprev) neg += 1;
            hprev = H;
            sb += H;
            const double delta = xprev - x;
            const double inv_alpha_t = 1.0 / alpha_t;
            s104 += (delta * H) * (delta * inv_alpha_t);
            a_l104 += s104 * inv_sqrt_t;
            /* projection on the box */
            if (x < lo) x = lo;
            else if (x > hi) x = hi;
            if (neg > 0) {
                if (a_gneg == 0.0) a_firstneg = (double)t;
                a_gneg += (double)neg;
            }
            a_sumb1h += b1t * sb;
        }
        /* checkpoint record */
        double sg = 0.0, sv = 0.0, dinf = 0.0, d2 = 0.0;
        sg += sqrt(n2);
        sv += sqrt(vh);
        const double w = xmax - xmin;
        if (w > dinf) dinf = w;
        if (dinf > 0.0) { const double ws = w / dinf; d2 += ws * ws; }  /* scaled l2 norm of the ranges */
        double *R = rec + c * N_REC;
        R[R_LOSS] = a_loss;
        R[R_SUM_GNORM] = sg;
        R[R_SUM_SQRT_V] = sv;
        R[R_SUM_B1H] = a_sumb1h;
        R[R_MAX_G2] = sqrt(a_maxg2);
        R[R_MAX_GINF] = a_maxginf;
        R[R_GNEG] = a_gneg;
        R[R_MAX_STEP] = a_maxstep;
        R[R_D_INF] = dinf;
        R[R_D_2] = dinf * sqrt(d2);
        R[R_L103] = a_l103;
        R[R_FIRSTNEG] = a_firstneg;
        R[R_L104] = a_l104;
        rec_suff[c] = suff;
        rec_theta[c] = x;
    }
done:
    state[S_X] = x; state[S_G] = g; state[S_SUFF] = suff; state[S_M] = m; state[S_V] = v; state[S_H] = H;
    state[S_VHAT] = vh; state[S_Z0] = z0; state[S_Z1] = z1; state[S_Z2] = z2; state[S_Z3] = z3;
    state[S_N2] = n2; state[S_XMIN] = xmin; state[S_XMAX] = xmax; state[S_HPREV] = hprev;
    state[S_LOSS] = a_loss; state[S_MAXG2] = a_maxg2; state[S_MAXGINF] = a_maxginf; state[S_GNEG] = a_gneg;
    state[S_MAXSTEP] = a_maxstep; state[S_SUMB1H] = a_sumb1h; state[S_L103] = a_l103;
    state[S_FIRSTNEG] = a_firstneg; state[S_L104] = a_l104;
    return t;
}

/* n independent trials of the same game, d = 1: the natural batched C loop, trials in the
   inner loop over t, state in arrays of n (structure of arrays).  rec is (n, nc, N_REC),
   rec_suff and rec_theta are (n, nc), state is (N_STATE, n). */
int64_t play_batch(int64_t n, const double *prm, const double *strm, int64_t period, double lo, double hi,
                   double x0, const int64_t *ck, int64_t nc, double *rec, double *rec_suff, double *rec_theta,
                   double *state, int64_t *err)
{
    const double alpha = prm[0], beta1 = prm[1], beta2 = prm[2], eps = prm[3], lam = prm[4];
    const double big = strm[0], small = strm[1];
    double *X = state + S_X * n, *G = state + S_G * n, *SUFF = state + S_SUFF * n, *M = state + S_M * n,
           *Vv = state + S_V * n, *H = state + S_H * n, *VH = state + S_VHAT * n, *Z0 = state + S_Z0 * n,
           *Z1 = state + S_Z1 * n, *Z2 = state + S_Z2 * n, *Z3 = state + S_Z3 * n, *N2 = state + S_N2 * n,
           *XMIN = state + S_XMIN * n, *XMAX = state + S_XMAX * n, *HPREV = state + S_HPREV * n,
           *LOSS = state + S_LOSS * n, *MAXG2 = state + S_MAXG2 * n, *MAXGINF = state + S_MAXGINF * n,
           *GNEG = state + S_GNEG * n, *MAXSTEP = state + S_MAXSTEP * n, *SUMB1H = state + S_SUMB1H * n,
           *L103 = state + S_L103 * n, *FIRSTNEG = state + S_FIRSTNEG * n, *L104 = state + S_L104 * n;
    for (int64_t k = 0; k < n; k++) {
        for (int j = 0; j < N_STATE; j++) state[j * n + k] = 0.0;
        X[k] = x0; XMIN[k] = x0; XMAX[k] = x0;
    }
    int64_t t = 1;
    for (int64_t c = 0; c < nc; c++) {
        const int64_t t_end = ck[c];
        for (; t <= t_end; t++) {
            const double inv_sqrt_t = 1.0 / sqrt((double)t);
            const double alpha_t = alpha / sqrt((double)t);
            for (int64_t k = 0; k < n; k++) {
                const double g = (t % period == 1 % period) ? big : -small;
                double x = X[k];
                G[k] = g;
                SUFF[k] += g;
                double loss = 0.0;
                loss += g * x;
                if (!isfinite(loss)) { err[0] = ERR_LOSS; err[1] = k; err[2] = t; return t; }
                double g2 = 0.0, ginf = 0.0, g1 = 0.0;
                if (!(isfinite(g) && isfinite(x))) {
                    err[0] = isfinite(x) ? ERR_GRAD : ERR_ITERATE; err[1] = k; err[2] = t; err[3] = 0; return t;
                }
                const double gg = g * g;
                N2[k] += gg;
                g2 += gg;
                const double ag = fabs(g);
                g1 += ag;
                if (ag > ginf) ginf = ag;
                if (x < XMIN[k]) XMIN[k] = x;
                if (x > XMAX[k]) XMAX[k] = x;
                const double xprev = x;
                if (!isfinite(g2)) { err[0] = ERR_GRAD2; err[1] = k; err[2] = t; return t; }
                LOSS[k] += loss;
                if (g2 > MAXG2[k]) MAXG2[k] = g2;
                if (ginf > MAXGINF[k]) MAXGINF[k] = ginf;
                L103[k] += g1 * inv_sqrt_t;
                double z0, z1, z2, z3;
                if (t == 1) { z0 = beta1; z1 = beta2; z2 = 1.0; z3 = beta1; }
                else { z0 = Z0[k] * beta1; z1 = Z1[k] * beta2; z2 = Z2[k] * lam; z3 = Z3[k] * beta1 * z2 * z2; }
                Z0[k] = z0; Z1[k] = z1; Z2[k] = z2; Z3[k] = z3;
                const double b1t = beta1 * z2;
                const double c1 = 1.0 - z0;
                const double c2 = 1.0 - z1;
                const double sc2 = sqrt(c2);
                const double step_scale = alpha_t * sc2 / c1; (void)step_scale;
                double bigstep = 0.0;
                const double m = b1t * M[k] + (1.0 - b1t) * g;
                const double v = beta2 * Vv[k] + (1.0 - beta2) * g * g;
                M[k] = m;
                Vv[k] = v;
                const double vh = v / c2;
                const double den = sqrt(vh) + eps;
                const double step = den > 0.0 ? alpha_t * (m / c1) / den : 0.0;
                const double h = den / alpha_t;
                H[k] = h;
                VH[k] = vh;
                x -= step;
                const double as = fabs(step);
                if (as > bigstep) bigstep = as;
                if (!isfinite(bigstep)) { err[0] = ERR_ITERATE; err[1] = k; err[2] = t + 1; err[3] = 0; return t; }
                if (bigstep > MAXSTEP[k]) MAXSTEP[k] = bigstep;
                int64_t neg = 0;
                double sb = 0.0, s104 = 0.0;
                if (h < HPREV[k]) neg += 1;
                HPREV[k] = h;
                sb += h;
                const double delta = xprev - x;
                const double inv_alpha_t = 1.0 / alpha_t;
                s104 += (delta * h) * (delta * inv_alpha_t);
                L104[k] += s104 * inv_sqrt_t;
                if (x < lo) x = lo;
                else if (x > hi) x = hi;
                X[k] = x;
                if (neg > 0) {
                    if (GNEG[k] == 0.0) FIRSTNEG[k] = (double)t;
                    GNEG[k] += (double)neg;
                }
                SUMB1H[k] += b1t * sb;
            }
        }
        for (int64_t k = 0; k < n; k++) {
            double sg = 0.0, sv = 0.0, dinf = 0.0, d2 = 0.0;
            sg += sqrt(N2[k]);
            sv += sqrt(VH[k]);
            const double w = XMAX[k] - XMIN[k];
            if (w > dinf) dinf = w;
            if (dinf > 0.0) { const double ws = w / dinf; d2 += ws * ws; }
            double *R = rec + (k * nc + c) * N_REC;
            R[R_LOSS] = LOSS[k];
            R[R_SUM_GNORM] = sg;
            R[R_SUM_SQRT_V] = sv;
            R[R_SUM_B1H] = SUMB1H[k];
            R[R_MAX_G2] = sqrt(MAXG2[k]);
            R[R_MAX_GINF] = MAXGINF[k];
            R[R_GNEG] = GNEG[k];
            R[R_MAX_STEP] = MAXSTEP[k];
            R[R_D_INF] = dinf;
            R[R_D_2] = dinf * sqrt(d2);
            R[R_L103] = L103[k];
            R[R_FIRSTNEG] = FIRSTNEG[k];
            R[R_L104] = L104[k];
            rec_suff[k * nc + c] = SUFF[k];
            rec_theta[k * nc + c] = X[k];
        }
    }
    return t;
}
"""
N_STATE = 24
S_X, S_LOSS = 0, 15


def gcc_version():
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    out = subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "gcc"


def build_c(tmpdir):
    """Compile the C loop; return the ctypes library or None (with the reason) if gcc is absent/fails."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return None, "gcc not found on PATH"
    src = os.path.join(tmpdir, "reddi_adam.c")
    lib = os.path.join(tmpdir, "libreddi_adam.so")
    with open(src, "w") as fh:
        fh.write(C_SOURCE)
    cmd = [gcc, *GCC_FLAGS, "-std=c11", "-fPIC", "-shared", "-o", lib, src, "-lm"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"gcc failed: {r.stderr.strip()}"
    L = ctypes.CDLL(lib)
    p = ctypes.c_void_p
    i64 = ctypes.c_int64
    dbl = ctypes.c_double
    L.play_single.restype = i64
    L.play_single.argtypes = [p, p, i64, dbl, dbl, dbl, p, i64, p, p, p, p, p]
    L.play_batch.restype = i64
    L.play_batch.argtypes = [i64, p, p, i64, dbl, dbl, dbl, p, i64, p, p, p, p, p]
    return L, " ".join(["gcc", *GCC_FLAGS])


def _ptr(a):
    return a.ctypes.data


class CGame:
    """Preallocated buffers for one C call (allocation is not timed)."""

    def __init__(self, lib, ck, n=None):
        self.lib = lib
        self.n = n
        self.ck = np.ascontiguousarray(ck, dtype=np.int64)
        nc = self.ck.shape[0]
        k = 1 if n is None else n
        self.prm = np.array([ALPHA, BETA1, BETA2, EPS, LAM])
        self.strm = np.array([BIG, SMALL])
        self.rec = np.zeros((k, nc, N_REC))
        self.rec_suff = np.zeros((k, nc))
        self.rec_theta = np.zeros((k, nc))
        self.state = np.zeros((N_STATE, k)) if n is not None else np.zeros(N_STATE)
        self.err = np.zeros(4, dtype=np.int64)

    def __call__(self):
        self.err[:] = 0
        a = (_ptr(self.prm), _ptr(self.strm), PERIOD, LO, HI, X0, _ptr(self.ck), self.ck.shape[0],
             _ptr(self.rec), _ptr(self.rec_suff), _ptr(self.rec_theta), _ptr(self.state), _ptr(self.err))
        if self.n is None:
            t = self.lib.play_single(*a)
        else:
            t = self.lib.play_batch(self.n, *a)
        if self.err[0] != 0:
            raise ArithmeticError(f"C loop: non-finite value, err = {self.err.tolist()}")
        return t

    def final_loss(self):
        return self.rec[:, -1, 0]

    def final_x(self):
        return self.state[S_X] if self.n is None else self.state[S_X, :]


# ----------------------------------------------------------------------------- NumPy loop

def numpy_loop(T, ck):
    """The kernel's round, written as a pure-Python loop on NumPy float64 scalars (d = 1)."""
    f = np.float64
    alpha, beta1, beta2, eps, lam = f(ALPHA), f(BETA1), f(BETA2), f(EPS), f(LAM)
    big, small, lo, hi = f(BIG), f(SMALL), f(LO), f(HI)
    zero, one = f(0.0), f(1.0)
    x = f(X0)
    suff = m = v = H = vh = zero
    z0 = z1 = z2 = z3 = zero
    n2, xmin, xmax, hprev = zero, f(X0), f(X0), zero
    a_loss = a_maxg2 = a_maxginf = a_gneg = a_maxstep = a_sumb1h = a_l103 = a_firstneg = a_l104 = zero
    nc = len(ck)
    rec = np.zeros((nc, N_REC))
    sqrt, isfinite = np.sqrt, np.isfinite
    t = 1
    r1 = 1 % PERIOD
    for c in range(nc):
        t_end = int(ck[c])
        while t <= t_end:
            tf = f(t)
            inv_sqrt_t = one / sqrt(tf)
            g = big if t % PERIOD == r1 else -small
            suff = suff + g
            loss = zero + g * x
            if not isfinite(loss):
                raise ArithmeticError(f"numpy loop: non-finite loss at round {t}")
            if not (isfinite(g) and isfinite(x)):
                raise ArithmeticError(f"numpy loop: non-finite gradient/iterate at round {t}")
            gg = g * g
            n2 = n2 + gg
            g2 = zero + gg
            ag = abs(g)
            g1 = zero + ag
            ginf = ag if ag > zero else zero
            if x < xmin:
                xmin = x
            if x > xmax:
                xmax = x
            xprev = x
            a_loss = a_loss + loss
            if g2 > a_maxg2:
                a_maxg2 = g2
            if ginf > a_maxginf:
                a_maxginf = ginf
            a_l103 = a_l103 + g1 * inv_sqrt_t
            if t == 1:
                z0, z1, z2, z3 = beta1, beta2, one, beta1
            else:
                z0 = z0 * beta1
                z1 = z1 * beta2
                z2 = z2 * lam
                z3 = z3 * beta1 * z2 * z2
            b1t = beta1 * z2
            c1 = one - z0
            c2 = one - z1
            alpha_t = alpha / sqrt(tf)
            m = b1t * m + (one - b1t) * g
            v = beta2 * v + (one - beta2) * g * g
            vh = v / c2
            den = sqrt(vh) + eps
            step = alpha_t * (m / c1) / den if den > zero else zero
            H = den / alpha_t
            x = x - step
            a = abs(step)
            if not isfinite(a):
                raise ArithmeticError(f"numpy loop: non-finite step at round {t}")
            if a > a_maxstep:
                a_maxstep = a
            delta = xprev - x
            a_l104 = a_l104 + (zero + (delta * H) * (delta * (one / alpha_t))) * inv_sqrt_t
            if x < lo:
                x = lo
            elif x > hi:
                x = hi
            if H < hprev:
                if a_gneg == zero:
                    a_firstneg = tf
                a_gneg = a_gneg + one
            hprev = H
            a_sumb1h = a_sumb1h + b1t * (zero + H)
            t += 1
        w = xmax - xmin
        dinf = w if w > zero else zero
        d2 = zero + (w / dinf) * (w / dinf) if dinf > zero else zero  # the kernel's scaled l2 norm of the ranges
        rec[c] = (a_loss, zero + sqrt(n2), zero + sqrt(vh), a_sumb1h, sqrt(a_maxg2), a_maxginf, a_gneg,
                  a_maxstep, dinf, dinf * sqrt(d2), a_l103, a_firstneg, a_l104)
    return rec, x


# ----------------------------------------------------------------------------- helpers

def best_of(fn, reps=3):
    """Warm-up call, then the best wall time of ``reps`` calls (and the last result)."""
    out = fn()
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def rel_err(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    den = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.where(a == b, 0.0, np.abs(a - b) / den)))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def make_game():
    import regretlab as rl

    learner = rl.Adam(alpha=ALPHA, beta1=BETA1, beta2=BETA2, eps=EPS, lam=LAM, schedule="theorem",
                      bias_correction="paper", eps_mode="paper")
    stream = rl.streams.periodic_linear(BIG, SMALL, PERIOD, domain=rl.Box(LO, HI, d=1), x0=[X0])
    return learner, stream


CHILD = r"""
import sys, time
t_spawn = float(sys.argv[1])
t_main = time.time()
import regretlab as rl
t_imp = time.time()
from regretlab.game.kernel import dispatchers
L = rl.Adam(alpha=0.5, beta1=0.0, beta2=0.1, eps=1e-8, lam=1 - 1e-8, schedule="theorem",
            bias_correction="paper", eps_mode="paper")
s = rl.streams.periodic_linear(3.0, 1.0, 3, domain=rl.Box(-1.0, 1.0, d=1), x0=[1.0])
run = rl.play(L, s, T=1000)
t_play = time.time()
import json
sts = [k.stats for k in dispatchers()]  # whichever loop played
print(json.dumps({"to_play": t_play - t_spawn, "to_main": t_main - t_spawn, "import": t_imp - t_main,
                  "play": t_play - t_imp, "hits": sum(sum(st.cache_hits.values()) for st in sts),
                  "misses": sum(sum(st.cache_misses.values()) for st in sts)}))
"""


def spawn_child():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", CHILD, repr(t0)], capture_output=True, text=True, env=env)
    wall = time.time() - t0
    if r.returncode != 0:
        raise RuntimeError(f"child failed:\n{r.stderr}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


# ----------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="T = 1e6 single and 1e5 batched (instead of 1e7 and 1e6)")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "benchmarks_engine.md"))
    args = ap.parse_args(argv)

    T1 = 10**6 if args.quick else 10**7
    TB = 10**5 if args.quick else 10**6
    TN = 10**5
    cache_dir = os.environ["NUMBA_CACHE_DIR"]
    print(f"NUMBA_CACHE_DIR = {cache_dir}" + (" (fresh temporary directory)" if _OWN_CACHE else ""))

    # 3 first: a first process fills the (empty) cache, then fresh processes load from it.
    cold = spawn_child()
    warm = [spawn_child() for _ in range(3)]
    best_warm = min(warm, key=lambda r: r["to_play"])
    print(f"cache: cold process (compiles, fills the cache) {cold['to_play']:.2f} s "
          f"(hits {cold['hits']}, misses {cold['misses']}); fresh process with cache: "
          f"{best_warm['to_play']:.3f} s to first play() (import {best_warm['import']:.3f} s, "
          f"play {best_warm['play']:.3f} s, hits {best_warm['hits']}, misses {best_warm['misses']})")

    import numba
    import regretlab as rl

    learner, stream = make_game()
    tmp = tempfile.mkdtemp(prefix="regretlab-bench-c-")
    import atexit
    atexit.register(shutil.rmtree, tmp, True)
    lib, c_info = build_c(tmp)
    if lib is None:
        print(f"C rows skipped: {c_info}")
    else:
        print(f"C loop compiled with: {c_info}")

    rows = []
    checks = []

    # -- 1. single run
    ck1 = rl.default_checkpoints(T1)
    t_rl1, run = best_of(lambda: rl.play(learner, stream, T1))
    t_small, _ = best_of(lambda: rl.play(learner, stream, 1), reps=20)
    ns_rl1 = t_rl1 / T1 * 1e9
    ns_c1 = None
    if lib is not None:
        g1 = CGame(lib, ck1)
        t_c1, _ = best_of(g1)
        ns_c1 = t_c1 / T1 * 1e9
        el = rel_err(g1.final_loss()[0], run.loss[-1])
        ex = rel_err(g1.final_x(), run.theta[0])
        rec_rl = np.stack([run.loss] + [run.stats[nm] for nm in REC_NAMES[1:]], axis=1)
        erec = rel_err(g1.rec[0], rec_rl)
        ok = el <= 1e-9 and ex <= 1e-9
        checks.append(f"single, T={T1:.0e}: C final loss {float(g1.final_loss()[0])!r} vs regretlab "
                      f"{float(run.loss[-1])!r} (rel. err. {el:.1e}); C final x {float(g1.final_x())!r} vs regretlab "
                      f"{float(run.theta[0])!r} (rel. err. {ex:.1e}); all {rec_rl.size} checkpoint "
                      f"record values: max rel. err. {erec:.1e} -> {'OK' if ok else 'MISMATCH'}")
        print("check:", checks[-1])
        if not ok:
            raise SystemExit("C loop disagrees with regretlab beyond 1e-9 relative")
    rows.append(("1. single run, d=1", f"{T1:.0e}", "1", "ns/round", ns_rl1, ns_c1))
    print(f"1. single: regretlab {ns_rl1:.2f} ns/round" + (f", C {ns_c1:.2f} ns/round, ratio "
                                                            f"{ns_rl1 / ns_c1:.2f}" if ns_c1 else ""))

    # -- 2. batched
    ckb = rl.default_checkpoints(TB)
    t_rlb, runs = best_of(lambda: rl.play(learner, stream, TB, seeds=range(N_SEEDS)))
    ns_rlb = t_rlb / (TB * N_SEEDS) * 1e9
    ns_cb = None
    if lib is not None:
        gb = CGame(lib, ckb, n=N_SEEDS)
        t_cb, _ = best_of(gb)
        ns_cb = t_cb / (TB * N_SEEDS) * 1e9
        el = rel_err(gb.final_loss(), runs.loss[:, -1])
        ex = rel_err(gb.final_x(), runs.theta[:, 0])
        rec_rl = np.stack([runs.loss] + [runs.stats[nm] for nm in REC_NAMES[1:]], axis=2)
        erec = rel_err(gb.rec, rec_rl)
        ok = el <= 1e-9 and ex <= 1e-9
        checks.append(f"batched, {N_SEEDS} trials, T={TB:.0e}: final loss max rel. err. {el:.1e}, final x max "
                      f"rel. err. {ex:.1e} over the {N_SEEDS} trials; all {rec_rl.size} checkpoint record "
                      f"values: max rel. err. {erec:.1e} -> {'OK' if ok else 'MISMATCH'}")
        print("check:", checks[-1])
        if not ok:
            raise SystemExit("batched C loop disagrees with regretlab beyond 1e-9 relative")
    rows.append((f"2. batched, {N_SEEDS} seeds in one call", f"{TB:.0e}", str(N_SEEDS), "ns/trial-round",
                 ns_rlb, ns_cb))
    print(f"2. batched: regretlab {ns_rlb:.2f} ns/trial-round" + (
        f", C {ns_cb:.2f}, ratio {ns_rlb / ns_cb:.2f}" if ns_cb else ""))

    # -- 4. NumPy per-round loop (compared with the C single loop at the same T)
    ckn = rl.default_checkpoints(TN)
    t_np, (rec_np, x_np) = best_of(lambda: numpy_loop(TN, ckn))
    ns_np = t_np / TN * 1e9
    run_n = rl.play(learner, stream, TN)
    el = rel_err(rec_np[-1, 0], run_n.loss[-1])
    ex = rel_err(x_np, run_n.theta[0])
    checks.append(f"NumPy loop, T={TN:.0e}: final loss rel. err. {el:.1e}, final x rel. err. {ex:.1e} "
                  f"vs regretlab -> {'OK' if max(el, ex) <= 1e-9 else 'MISMATCH'}")
    print("check:", checks[-1])
    ns_cn = None
    if lib is not None:
        gn = CGame(lib, ckn)
        t_cn, _ = best_of(gn)
        ns_cn = t_cn / TN * 1e9
    rows.append(("4. NumPy scalars, pure-Python loop", f"{TN:.0e}", "1", "ns/round", ns_np, ns_cn))
    print(f"4. NumPy loop: {ns_np:.0f} ns/round" + (f", C {ns_cn:.2f}, ratio {ns_np / ns_cn:.0f}" if ns_cn else ""))

    # ----------------------------------------------------------------- report
    def fmt(x):
        return "-" if x is None else (f"{x:,.0f}" if x >= 1000 else f"{x:.2f}")

    lines = []
    lines.append("# regretlab engine benchmark: regretlab.play vs a plain C loop")
    lines.append("")
    lines.append(f"Generated by `analysis/bench_engine.py{' --quick' if args.quick else ''}` on "
                 f"{datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}.")
    lines.append("")
    lines.append(f"- platform: `{platform.platform()}`")
    lines.append(f"- CPU: {cpu_model()} ({os.cpu_count()} logical CPUs)")
    lines.append(f"- Python {platform.python_version()}, numba {numba.__version__}, numpy {np.__version__}")
    lines.append(f"- C: {gcc_version() or 'gcc absent'}; flags `{' '.join(GCC_FLAGS)}` (no fast-math: "
                 "IEEE results identical to the kernel's; `-fno-math-errno` because the kernel's sqrt sets no "
                 "errno either)" if lib is not None else f"- C: skipped ({c_info})")
    lines.append("")
    lines.append("Game: Reddi's stream `periodic_linear(big=3, small=1, period=3)`, d=1, domain [-1, 1], x0=1; "
                 "`Adam(alpha=0.5, beta1=0, beta2=0.1, eps=1e-8, lam=1-1e-8, schedule=\"theorem\", "
                 "bias_correction=\"paper\", eps_mode=\"paper\")`; default checkpoints (~200 log-spaced "
                 "rounds), recorded by the C loop too (same fields, same rounds).  Times: best of 3 after a warm-up call; regretlab "
                 "times are whole `play()` calls (validation, allocation, comparator included); C times are "
                 "the ctypes call with preallocated buffers.")
    lines.append("")
    lines.append("| measurement | T | trials | unit | regretlab / Python | C (gcc) | ratio |")
    lines.append("|---|---:|---:|---|---:|---:|---:|")
    for name, T, n, unit, a, b in rows:
        if name.startswith("4."):
            lines.append(f"| 3. fresh process, cache filled: spawn -> first play() returned | 1e+03 | 1 | s | "
                         f"{best_warm['to_play']:.3f} | - | - |")
        ratio = "-" if b is None else f"{a / b:.2f}" if a / b < 100 else f"{a / b:,.0f}"
        lines.append(f"| {name} | {T} | {n} | {unit} | {fmt(a)} | {fmt(b)} | {ratio} |")
    lines.append("")
    lines.append(f"Row 3 detail (best of 3 fresh processes, NUMBA_CACHE_DIR shared): interpreter start "
                 f"{best_warm['to_main']:.3f} s, `import regretlab` {best_warm['import']:.3f} s, first `play()` "
                 f"(kernel loaded from the cache) {best_warm['play']:.3f} s; kernel cache hits "
                 f"{best_warm['hits']}, misses {best_warm['misses']}.  For comparison the first process "
                 f"(empty cache, compiles and writes it) took {cold['to_play']:.2f} s "
                 f"(first play() {cold['play']:.2f} s).")
    lines.append("")
    if lib is not None:
        lines.append("The C loops take the hyperparameters and the stream's (big, small, period) as run-time "
                     "arguments, as the kernel reads them from P and the spec; the batched C loop shares them across "
                     "trials (the kernel reads P[k] per trial) and writes t % period per trial, which gcc hoists out "
                     "of the trial loop.")
        lines.append("")
    lines.append(f"`play()` fixed cost (T=1, best of 20): {t_small * 1e3:.2f} ms "
                 f"(= {t_small / T1 * 1e9:.3f} ns/round amortised over T={T1:.0e}).  Row 4's C column is the "
                 f"single-trial C loop at the same T.")
    lines.append("")
    lines.append("Correctness checks (C loop and NumPy loop vs regretlab; required: 1e-9 relative):")
    lines.append("")
    for c in checks:
        lines.append(f"- {c}")
    lines.append("")
    text = "\n".join(lines)
    print()
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)
    print(f"written to {args.out}")



if __name__ == "__main__":
    main()
