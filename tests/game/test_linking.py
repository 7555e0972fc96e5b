"""How registered functions reach the kernel: compiled once per argument types, inlined by LLVM.

``regretlab._registry._always_inline`` marks each registered function's compiled code for LLVM
to inline into the kernels that call it, and the kernels pass borrowed views of their arrays
(``regretlab._jit.borrow``).  If a Numba version keeps its compiled modules elsewhere, the
registry falls back to Numba's own inlining; both paths must give the same numbers.
"""
import math
from typing import NamedTuple

import numba
import numpy as np

import regretlab as rl
import regretlab._registry as registry
from regretlab._jit import borrow


@numba.njit
def _write_through_a_view(a, b):
    va, (vb, vc) = borrow((a, (b, b)))
    va[0] = 1.5
    vb[1] = 2.5
    vc[2] += 1.0
    return va.sum() + vb.sum()


def test_borrowed_views_share_the_data():
    a, b = np.zeros(3), np.zeros(3)
    total = _write_through_a_view(a, b)
    assert a.tolist() == [1.5, 0.0, 0.0] and b.tolist() == [0.0, 2.5, 1.0]
    assert total == 1.5 + 3.5


def _wave_round(spec, seed, t, X, k, G, SUFF):
    loss = 0.0
    for i in range(X.shape[1]):
        g = spec.scale * math.sin(0.7 * t + i)
        G[k, i] = g
        SUFF[k, i] += g
        loss += g * X[k, i]
    return loss


class _WaveA(NamedTuple):
    scale: float


class _WaveB(NamedTuple):
    scale: float


rl.register_stream(_WaveA, _wave_round)
rl.register_stream(_WaveB, _wave_round)


def _wave(cls):
    return rl.streams.Stream("wave", cls(2.0), rl.Box(-1, 1, d=3), np.full(3, 0.5), 2.0 * math.sqrt(3), 2.0,
                             "linear", 3, {"scale": 2.0})


def test_numbas_inlining_is_the_fallback_and_gives_the_same_numbers(monkeypatch):
    learner = rl.Adam(alpha=0.3, beta1=0.9, beta2=0.99)
    linked = rl.play(learner, _wave(_WaveA), 400, seeds=[0, 1])
    calls = []

    def unavailable(disp, argtys):
        calls.append(disp)
        disp.compile(tuple(argtys))
        return False

    monkeypatch.setattr(registry, "_always_inline", unavailable)
    inlined = rl.play(learner, _wave(_WaveB), 400, seeds=[0, 1])  # a new stream type: a new kernel
    assert calls, "the kernel did not go through the registry's linking"
    for name in ("regret", "loss", "theta_path"):
        np.testing.assert_array_equal(getattr(inlined, name), getattr(linked, name), err_msg=name)
    for name in linked.records:
        np.testing.assert_array_equal(inlined.records[name], linked.records[name], err_msg=name)
