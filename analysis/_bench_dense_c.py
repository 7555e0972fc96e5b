"""C sources for analysis/benchmarks.py that analysis/bench_engine.py does not have.

* ``play_batch_grid``: bench_engine's batched loop with per-trial hyperparameters (a 64-value
  grid in one call, as ``regretlab.play_many`` plays it).  Generated from bench_engine's
  ``play_batch`` by textual substitution, so the arithmetic is the same source.
* ``play_dense``: one trial of Adam (theorem schedule, paper bias correction, eps outside
  sqrt(v_hat)) on ``random_sign(d)`` on the box [-radius, radius]^d, with every statistic
  the engine keeps per round and per checkpoint, in the order of
  ``regretlab.game.kernel._play_kernel_py`` with the inlined ``_sign_round`` (SplitMix64 counter
  RNG of ``regretlab._rng``), ``_make_adam_step(THEOREM, 0, 0)`` (schedule, lazy, eps_hat) with bias=0 and ``_box_project``.
"""
from __future__ import annotations

import re

import bench_engine as BE


def _grid_source():
    src = BE.C_SOURCE
    start = src.index("int64_t play_batch(")
    body = src[start:]
    # the function ends at the first line that is exactly "}" after its start
    end = body.index("\n}\n") + 3
    fn = body[:end]

    def sub(old, new):
        nonlocal fn
        if fn.count(old) != 1:
            raise RuntimeError(f"bench_engine.play_batch changed: cannot find {old!r} exactly once")
        fn = fn.replace(old, new)

    sub("int64_t play_batch(", "int64_t play_batch_grid(")
    sub("    const double alpha = prm[0], beta1 = prm[1], beta2 = prm[2], eps = prm[3], lam = prm[4];\n", "")
    sub("            const double alpha_t = alpha / sqrt((double)t);\n", "")
    m = re.search(r"( *)for \(int64_t k = 0; k < n; k\+\+\) \{\n *const double g = \(t % period", fn)
    if m is None:
        raise RuntimeError("bench_engine.play_batch changed: trial loop not found")
    ind = m.group(1) + "    "
    insert = (f"{ind}const double *pk = prm + 5 * k;  /* per-trial hyperparameters, as P[k] in the kernel */\n"
              f"{ind}const double alpha = pk[0], beta1 = pk[1], beta2 = pk[2], eps = pk[3], lam = pk[4];\n"
              f"{ind}const double alpha_t = alpha / sqrt((double)t);\n")
    pos = fn.index("\n", m.start()) + 1
    fn = fn[:pos] + insert + fn[pos:]
    return "\n/* play_batch with per-trial hyperparameters prm[5 k .. 5 k + 4] (generated). */\n" + fn


DENSE_SOURCE = r"""
/* ---------------------------------------------------------------- dense d-dimensional Adam */

static inline uint64_t rl_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* regretlab._rng.sign(seed, t, j) */
static inline double rl_sign(uint64_t seed, int64_t t, int64_t j)
{
    const uint64_t z = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)t * 0xD1B54A32D192ED03ULL
                       + (uint64_t)j * 0xABC98388FB8FAC03ULL;
    const uint64_t b = rl_mix64(rl_mix64(z) + 0x9E3779B97F4A7C15ULL);
    return (b >> 63) == 0 ? 1.0 : -1.0;
}

/* One trial of Adam on a d-dimensional linear stream on the box [lo_i, hi_i] (template, see below).
   prm = (alpha, beta1, beta2, eps, lam), strm = the stream's parameters.  work holds 11 d + (d + 1) doubles (state, set here).
   rec is (nc, N_REC), rec_suff (nc, d + 1), rec_theta (nc, d) when record_theta.
   Returns the next round; err[0] != 0 on a non-finite value. */
int64_t NAME(int64_t d, uint64_t seed, const double *prm, const double *strm, int64_t period,
                   const double *lo, const double *hi, const double *x0, const int64_t *ck, int64_t nc,
                   int64_t record_theta, double *rec, double *rec_suff, double *rec_theta, double *work,
                   int64_t *err)
{
    STREAM_PARAMS
    const double alpha = prm[0], beta1 = prm[1], beta2 = prm[2], eps = prm[3], lam = prm[4];
    double *restrict X = work, *restrict G = work + d, *restrict M = work + 2 * d, *restrict V = work + 3 * d,
           *restrict Hh = work + 4 * d, *restrict VH = work + 5 * d, *restrict N2 = work + 6 * d,
           *restrict XMIN = work + 7 * d, *restrict XMAX = work + 8 * d, *restrict XPREV = work + 9 * d,
           *restrict HPREV = work + 10 * d, *restrict SUFF = work + 11 * d;
    for (int64_t i = 0; i < d; i++) {
        X[i] = x0[i]; XMIN[i] = x0[i]; XMAX[i] = x0[i];
        G[i] = 0.0; M[i] = 0.0; V[i] = 0.0; Hh[i] = 0.0; VH[i] = 0.0; N2[i] = 0.0; XPREV[i] = 0.0;
        HPREV[i] = 0.0; SUFF[i] = 0.0;
    }
    SUFF[d] = 0.0;
    double z0 = 0.0, z1 = 0.0, z2 = 0.0, z3 = 0.0;
    double a_loss = 0.0, a_maxg2 = 0.0, a_maxginf = 0.0, a_gneg = 0.0, a_maxstep = 0.0, a_sumb1h = 0.0,
           a_l103 = 0.0, a_firstneg = 0.0, a_l104 = 0.0;
    int64_t t = 1;
    for (int64_t c = 0; c < nc; c++) {
        const int64_t t_end = ck[c];
        for (; t <= t_end; t++) {
            /* stream round */
            double loss = 0.0;
            STREAM_PRE
            for (int64_t i = 0; i < d; i++) {
                const double g = STREAM_G;
                G[i] = g;
                SUFF[i] += g;
                loss += g * X[i];
            }
            STREAM_POST
            if (!isfinite(loss)) { err[0] = ERR_LOSS; err[1] = 0; err[2] = t; return t; }
            /* bound statistics of g_t and theta_t */
            double g2 = 0.0, ginf = 0.0, g1 = 0.0;
            for (int64_t i = 0; i < d; i++) {
                const double g = G[i], x = X[i];
                if (!(isfinite(g) && isfinite(x))) {
                    err[0] = isfinite(x) ? ERR_GRAD : ERR_ITERATE; err[1] = 0; err[2] = t; err[3] = i; return t;
                }
                const double gg = g * g;
                N2[i] += gg;
                g2 += gg;
                const double ag = fabs(g);
                g1 += ag;
                if (ag > ginf) ginf = ag;
                if (x < XMIN[i]) XMIN[i] = x;
                if (x > XMAX[i]) XMAX[i] = x;
                XPREV[i] = x;
            }
            if (!isfinite(g2)) { err[0] = ERR_GRAD2; err[1] = 0; err[2] = t; return t; }
            a_loss += loss;
            if (g2 > a_maxg2) a_maxg2 = g2;
            if (ginf > a_maxginf) a_maxginf = ginf;
            const double inv_sqrt_t = 1.0 / sqrt((double)t);
            a_l103 += g1 * inv_sqrt_t;
            /* Adam step */
            if (t == 1) { z0 = beta1; z1 = beta2; z2 = 1.0; z3 = beta1; }
            else { z0 *= beta1; z1 *= beta2; z2 *= lam; z3 = z3 * beta1 * z2 * z2; }
            const double b1t = beta1 * z2;
            const double c1 = 1.0 - z0;
            const double c2 = 1.0 - z1;
            const double alpha_t = alpha / sqrt((double)t);
            double big = 0.0;
            for (int64_t i = 0; i < d; i++) {
                const double g = G[i];
                const double m = b1t * M[i] + (1.0 - b1t) * g;
                const double v = beta2 * V[i] + (1.0 - beta2) * g * g;
                M[i] = m;
                V[i] = v;
                const double vhat = v / c2;
                const double den = sqrt(vhat) + eps;
                const double step = den > 0.0 ? alpha_t * (m / c1) / den : 0.0;
                Hh[i] = den / alpha_t;
                VH[i] = vhat;
                X[i] -= step;
                const double a = fabs(step);
                if (a > big) big = a;
            }
            if (!isfinite(big)) {
                err[0] = ERR_ITERATE; err[1] = 0; err[2] = t + 1; err[3] = 0;
                for (int64_t i = 0; i < d; i++) if (!isfinite(X[i])) { err[3] = i; break; }
                return t;
            }
            if (big > a_maxstep) a_maxstep = big;
            /* Gamma counts and Lemma 10.4's sum */
            int64_t neg = 0;
            double sb = 0.0, s104 = 0.0;
            const double inv_alpha_t = 1.0 / alpha_t;
            for (int64_t i = 0; i < d; i++) {
                const double h = Hh[i];
                if (h < HPREV[i]) neg += 1;
                HPREV[i] = h;
                sb += h;
                const double delta = XPREV[i] - X[i];
                s104 += (delta * h) * (delta * inv_alpha_t);
            }
            a_l104 += s104 * inv_sqrt_t;
            /* projection on the box */
            for (int64_t i = 0; i < d; i++) {
                const double x = X[i];
                if (x < lo[i]) X[i] = lo[i];
                else if (x > hi[i]) X[i] = hi[i];
            }
            if (neg > 0) {
                if (a_gneg == 0.0) a_firstneg = (double)t;
                a_gneg += (double)neg;
            }
            a_sumb1h += b1t * sb;
        }
        /* checkpoint record */
        double sg = 0.0, sv = 0.0, dinf = 0.0, d2 = 0.0;
        for (int64_t i = 0; i < d; i++) {
            sg += sqrt(N2[i]);
            sv += sqrt(VH[i]);
            const double w = XMAX[i] - XMIN[i];
            if (w > dinf) dinf = w;
        }
        if (dinf > 0.0)  /* the l2 norm of the ranges, scaled by their max */
            for (int64_t i = 0; i < d; i++) {
                const double w = (XMAX[i] - XMIN[i]) / dinf;
                d2 += w * w;
            }
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
        for (int64_t j = 0; j <= d; j++) rec_suff[c * (d + 1) + j] = SUFF[j];
        if (record_theta)
            for (int64_t i = 0; i < d; i++) rec_theta[c * d + i] = X[i];
    }
    return t;
}
"""


# The two streams of the template: random_sign (``_sign_round``) and periodic_linear (``_periodic_round``).
_STREAMS = {
    "play_dense": {  # strm = (scale, radius)
        "STREAM_PARAMS": "const double scale = strm[0], radius = strm[1]; (void)period;",
        "STREAM_PRE": "",
        "STREAM_G": "scale * rl_sign(seed, t, i)",
        "STREAM_POST": "SUFF[d] -= radius * scale * (double)d;",
    },
    "play_dense_periodic": {  # strm = (big, small, phase, dyn_big, dyn_small)
        "STREAM_PARAMS": "const double big = strm[0], small = strm[1], dyn_big = strm[3], dyn_small = strm[4];\n"
                         "    const int64_t phase = (int64_t)strm[2]; (void)seed;",
        "STREAM_PRE": "const int is_big = t % period == phase; const double gp = is_big ? big : -small;",
        "STREAM_G": "gp",
        "STREAM_POST": "SUFF[d] += is_big ? dyn_big : dyn_small;",
    },
}


def _dense_source():
    head, body = DENSE_SOURCE.split("int64_t NAME(", 1)
    out = head
    for name, subs in _STREAMS.items():
        fn = "int64_t NAME(" + body
        fn = fn.replace("NAME", name)
        for k, v in subs.items():
            fn = fn.replace(k, v)
        out += fn
    return out


def source():
    """bench_engine's C loops + the grid loop + the dense loops, as one translation unit."""
    return BE.C_SOURCE + _grid_source() + _dense_source()
