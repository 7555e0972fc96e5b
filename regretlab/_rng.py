"""Counter-based randomness: the random numbers of round t are a pure function of (seed, t, j).

Nothing is carried from round to round, so results are bit-identical whatever the
chunking, batching, thread count, executor or resume.  The mixer is SplitMix64's
finalizer (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014), applied to a Weyl-sequence combination of the three counters.
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import DISABLED as _DISABLED, njit


def _jit_disabled():
    return _DISABLED

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_K_T = np.uint64(0xD1B54A32D192ED03)
_K_J = np.uint64(0xABC98388FB8FAC03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53
_TWO_PI = 2.0 * math.pi


@njit
def mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit
def bits(seed, t, j):
    """64 random bits for (seed, round t, stream index j); all arguments are integers."""
    z = np.uint64(seed) * _GOLDEN + np.uint64(t) * _K_T + np.uint64(j) * _K_J
    return mix64(mix64(z) + _GOLDEN)


@njit
def uniform(seed, t, j):
    """A double in the open interval (0, 1)."""
    return (float(bits(seed, t, j) >> _S11) + 0.5) * _INV53


@njit
def sign(seed, t, j):
    """+1.0 or -1.0 with probability 1/2 each."""
    return 1.0 if (bits(seed, t, j) >> np.uint64(63)) == np.uint64(0) else -1.0


@njit
def normal(seed, t, j):
    """A standard normal variate (Box-Muller on two counter uniforms 2j, 2j+1)."""
    u1 = uniform(seed, t, 2 * j)
    u2 = uniform(seed, t, 2 * j + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


# --- NumPy twins (vectorised, for regenerating a stream's data outside the kernel) -----------

def _mix64_np(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def bits_np(seed, t, j):
    """Vectorised :func:`bits` (uint64 arithmetic wraps in NumPy arrays as in the kernel)."""
    seed = np.asarray(seed, dtype=np.uint64)
    t = np.asarray(t, dtype=np.uint64)
    j = np.asarray(j, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = seed * _GOLDEN + t * _K_T + j * _K_J
        return _mix64_np(_mix64_np(z) + _GOLDEN)


def uniform_np(seed, t, j):
    return ((bits_np(seed, t, j) >> _S11).astype(np.float64) + 0.5) * _INV53


def normal_np(seed, t, j):
    j = np.asarray(j, dtype=np.int64)
    u1 = uniform_np(seed, t, 2 * j)
    u2 = uniform_np(seed, t, 2 * j + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(_TWO_PI * u2)


if _jit_disabled():
    # Interpreter mode (NUMBA_DISABLE_JIT=1): NumPy warns on uint64 scalar wrap-around, which is the
    # intended arithmetic here; silence exactly that, so both modes give the same numbers quietly.
    _bits_compiled = bits

    def bits(seed, t, j):  # noqa: F811
        with np.errstate(over="ignore"):
            return _bits_compiled(seed, t, j)
