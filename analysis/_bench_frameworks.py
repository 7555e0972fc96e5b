"""The Reddi/Adam game of analysis/bench_engine.py in other frameworks (optional rows of benchmarks.py).

Each builder returns ``None`` with the reason when its package is missing, else a callable
``run(T) -> (final cumulative loss, final iterate)``; the first call for a given T compiles
(JAX) and is the warm-up.  Same game as bench_engine: f_t(x) = 3x if t % 3 == 1 else -x on
[-1, 1], x_1 = 1, alpha_t = 0.5/sqrt(t), beta1 = 0, beta2 = 0.1, eps = 1e-8, float64, the
iterate clipped to [-1, 1] after each step.

* ``jax_loop``: bench_engine's C loop written in JAX (``lax.scan`` over the checkpoints,
  ``lax.fori_loop`` over the rounds in between), with every statistic of the C loop and the
  13 checkpoint records; no finiteness checks (an XLA loop cannot stop early).
* ``optax_loop``: ``optax.adam`` with the schedule 0.5/sqrt(t) inside ``lax.scan``, the
  gradient from ``jax.value_and_grad``; bookkeeping: cumulative loss and sum of gradients.
* ``torch_loop``: ``torch.optim.Adam`` + ``LambdaLR(1/sqrt(epoch + 1))``, autograd for the
  gradient, ``clamp_`` after the step; bookkeeping: cumulative loss and sum of gradients.
"""
from __future__ import annotations

import math

import numpy as np

import bench_engine as BE


def versions():
    out = {}
    for name in ("jax", "jaxlib", "optax", "torch"):
        try:
            mod = __import__(name)
            out[name] = getattr(mod, "__version__", "?")
        except ImportError:
            out[name] = None
    return out


def _jax():
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platform_name", "cpu")
    return jax


def jax_loop():
    """bench_engine's loop in JAX: returns run(ck) -> (rec (nc, 13), final x) or (None, reason)."""
    jax = _jax()
    if jax is None:
        return None, "jax not installed"
    import jax.numpy as jnp
    from jax import lax

    f64 = jnp.float64
    alpha, beta1, beta2, eps, lam = BE.ALPHA, BE.BETA1, BE.BETA2, BE.EPS, BE.LAM
    big, small, period, lo, hi = BE.BIG, BE.SMALL, BE.PERIOD, BE.LO, BE.HI
    r1 = 1 % period

    def body(t, s):
        (x, suff, m, v, H, vh, z0, z1, z2, z3, n2, xmin, xmax, hprev, a_loss, a_maxg2, a_maxginf, a_gneg,
         a_maxstep, a_sumb1h, a_l103, a_firstneg, a_l104) = s
        tf = t.astype(f64)
        inv_sqrt_t = 1.0 / jnp.sqrt(tf)
        g = jnp.where(t % period == r1, big, -small).astype(f64)
        suff = suff + g
        loss = 0.0 + g * x
        gg = g * g
        n2 = n2 + gg
        g2 = 0.0 + gg
        ag = jnp.abs(g)
        g1 = 0.0 + ag
        ginf = jnp.where(ag > 0.0, ag, 0.0)
        xmin = jnp.where(x < xmin, x, xmin)
        xmax = jnp.where(x > xmax, x, xmax)
        xprev = x
        a_loss = a_loss + loss
        a_maxg2 = jnp.where(g2 > a_maxg2, g2, a_maxg2)
        a_maxginf = jnp.where(ginf > a_maxginf, ginf, a_maxginf)
        a_l103 = a_l103 + g1 * inv_sqrt_t
        first = t == 1
        z0 = jnp.where(first, beta1, z0 * beta1)
        z1 = jnp.where(first, beta2, z1 * beta2)
        z2 = jnp.where(first, 1.0, z2 * lam)
        z3 = jnp.where(first, beta1, z3 * beta1 * z2 * z2)
        b1t = beta1 * z2
        c1 = 1.0 - z0
        c2 = 1.0 - z1
        alpha_t = alpha / jnp.sqrt(tf)
        m = b1t * m + (1.0 - b1t) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        vh = v / c2
        den = jnp.sqrt(vh) + eps
        step = jnp.where(den > 0.0, alpha_t * (m / c1) / den, 0.0)
        H = den / alpha_t
        x = x - step
        a_step = jnp.abs(step)
        a_maxstep = jnp.where(a_step > a_maxstep, a_step, a_maxstep)
        neg = H < hprev
        hprev = H
        sb = 0.0 + H
        delta = xprev - x
        a_l104 = a_l104 + (0.0 + (delta * H) * (delta * (1.0 / alpha_t))) * inv_sqrt_t
        x = jnp.where(x < lo, lo, jnp.where(x > hi, hi, x))
        a_firstneg = jnp.where(neg & (a_gneg == 0.0), tf, a_firstneg)
        a_gneg = a_gneg + jnp.where(neg, 1.0, 0.0)
        a_sumb1h = a_sumb1h + b1t * sb
        return (x, suff, m, v, H, vh, z0, z1, z2, z3, n2, xmin, xmax, hprev, a_loss, a_maxg2, a_maxginf, a_gneg,
                a_maxstep, a_sumb1h, a_l103, a_firstneg, a_l104)

    def body_packed(t, sv):
        # one f64[23] buffer as the loop state: XLA's CPU while loop passes a 23-tuple of scalars
        # buffer by buffer (measured: ~1 us per round against ~0.03 us packed)
        return jnp.stack(body(t, tuple(sv[i] for i in range(23))))

    def segment(carry, t_end):
        t, sv = carry
        sv = lax.fori_loop(t, t_end + 1, body_packed, sv)
        s = tuple(sv[i] for i in range(23))
        (x, suff, m, v, H, vh, z0, z1, z2, z3, n2, xmin, xmax, hprev, a_loss, a_maxg2, a_maxginf, a_gneg,
         a_maxstep, a_sumb1h, a_l103, a_firstneg, a_l104) = s
        w = xmax - xmin
        rec = jnp.stack([a_loss, 0.0 + jnp.sqrt(n2), 0.0 + jnp.sqrt(vh), a_sumb1h, jnp.sqrt(a_maxg2), a_maxginf,
                         a_gneg, a_maxstep, jnp.where(w > 0.0, w, 0.0),
                         jnp.where(w > 0.0, w * jnp.sqrt(0.0 + (w / w) * (w / w)), 0.0), a_l103,
                         a_firstneg, a_l104])
        return (t_end + 1, sv), rec

    @jax.jit
    def run(ck):
        z = jnp.zeros((), f64)
        x0 = jnp.asarray(BE.X0, f64)
        s0 = jnp.stack((x0, z, z, z, z, z, z, z, z, z, z, x0, x0, z, z, z, z, z, z, z, z, z, z))
        (_, sv), rec = lax.scan(segment, (jnp.asarray(1, jnp.int64), s0), ck)
        return rec, sv[0]

    def call(ck):
        rec, x = run(jnp.asarray(np.asarray(ck, dtype=np.int64)))
        rec = np.asarray(jax.block_until_ready(rec))
        return rec, float(x)

    def fusions(ck):
        """How many fusion kernels XLA compiled the program into (each one is a separate call per round)."""
        import re

        txt = run.lower(jnp.asarray(np.asarray(ck, dtype=np.int64))).compile().as_text()
        return len(re.findall(r"= \S+ fusion\(", txt))

    call.fusions = fusions
    return call, None


def optax_loop():
    """optax.adam in lax.scan: returns run(T) -> (final loss, final x) or (None, reason)."""
    jax = _jax()
    if jax is None:
        return None, "jax not installed"
    try:
        import optax
    except ImportError:
        return None, "optax not installed"
    import jax.numpy as jnp
    from jax import lax

    f64 = jnp.float64
    opt = optax.adam(learning_rate=lambda count: BE.ALPHA / jnp.sqrt(count + 1.0), b1=BE.BETA1, b2=BE.BETA2,
                     eps=BE.EPS)
    r1 = 1 % BE.PERIOD

    def step(carry, t):
        x, st, loss_sum, suff = carry
        g = jnp.where(t % BE.PERIOD == r1, BE.BIG, -BE.SMALL).astype(f64)
        loss, grads = jax.value_and_grad(lambda p: jnp.sum(g * p))(x)
        upd, st = opt.update(grads, st, x)
        x = jnp.clip(optax.apply_updates(x, upd), BE.LO, BE.HI)
        return (x, st, loss_sum + loss, suff + g), None

    runs = {}

    def call(T):
        if T not in runs:
            @jax.jit
            def run():
                x0 = jnp.full((1,), BE.X0, f64)
                init = (x0, opt.init(x0), jnp.zeros((), f64), jnp.zeros((), f64))
                (x, _, loss_sum, _), _ = lax.scan(step, init, jnp.arange(1, T + 1, dtype=jnp.int64))
                return loss_sum, x[0]
            runs[T] = run
        loss_sum, x = jax.block_until_ready(runs[T]())
        return float(loss_sum), float(x)

    return call, None


def torch_loop():
    """torch.optim.Adam with LambdaLR: returns run(T) -> (final loss, final x) or (None, reason)."""
    try:
        import torch
    except ImportError:
        return None, "torch not installed"
    torch.set_num_threads(1)

    def call(T):
        x = torch.tensor([BE.X0], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([x], lr=BE.ALPHA, betas=(BE.BETA1, BE.BETA2), eps=BE.EPS)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0 / math.sqrt(e + 1))
        loss_sum = 0.0
        suff = 0.0
        r1 = 1 % BE.PERIOD
        for t in range(1, T + 1):
            g = BE.BIG if t % BE.PERIOD == r1 else -BE.SMALL
            opt.zero_grad()
            loss = (g * x).sum()
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                x.clamp_(BE.LO, BE.HI)
            loss_sum += loss.item()
            suff += g
        return loss_sum, float(x.item())

    return call, None
