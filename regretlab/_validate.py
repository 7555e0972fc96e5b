"""Validation at the API boundary: every error names the parameter, the value and the valid range."""
from __future__ import annotations

import math
import numbers

import numpy as np


def real(name, value, lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False, where=""):
    """Return ``value`` as a Python float after checking ``lo (<|<=) value (<|<=) hi``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{where}{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    rng = f"{left}{lo:g}, {hi:g}{right}"
    if not math.isfinite(v):
        raise ValueError(f"{where}{name} must be finite and in {rng}, got {value!r}")
    bad = (v < lo) or (v > hi) or (lo_open and v == lo) or (hi_open and v == hi)
    if bad:
        raise ValueError(f"{where}{name} must be in {rng}, got {value!r}")
    return v


def integer(name, value, lo=None, hi=None, where=""):
    """Return ``value`` as a Python int (accepts integral floats such as 1e6)."""
    if isinstance(value, bool):
        raise ValueError(f"{where}{name} must be an integer, got {value!r}")
    if isinstance(value, (numbers.Integral, np.integer)):
        v = int(value)
    elif isinstance(value, (numbers.Real, np.floating)) and math.isfinite(value) and float(value).is_integer():
        v = int(value)
    else:
        raise ValueError(f"{where}{name} must be an integer, got {value!r}")
    rng = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{where}{name} must be an integer in {rng}, got {value!r}")
    return v


def choice(name, value, options, where=""):
    ok = isinstance(value, str) if all(isinstance(o, str) for o in options) else True
    try:
        ok = ok and value in options
    except TypeError:  # unhashable or not comparable
        ok = False
    if not ok:
        raise ValueError(f"{where}{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def finite_array(name, value, ndim=None, shape=None, where=""):
    """A float64 C-contiguous copy of ``value``; NaN/inf named by index."""
    if np.iscomplexobj(value):
        raise ValueError(f"{where}{name} must be an array of real numbers, got complex values")
    try:
        a = np.array(value, dtype=np.float64, order="C", copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}{name} must be an array of real numbers ({exc})") from None
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{where}{name} must be {ndim}-dimensional, got shape {a.shape}")
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"{where}{name} must have shape {tuple(shape)}, got {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        what = f"row {idx[0]}" if a.ndim == 2 else f"index {idx if len(idx) > 1 else idx[0]}"
        raise ValueError(f"{where}{name} contains a non-finite value ({a[idx]!r}) at {what}")
    return a


def available_memory():
    """The bytes of memory this machine can give a new allocation without swapping (Linux's
    MemAvailable; elsewhere the free physical pages), or None when the platform does not say."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os

        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gib(n):
    return f"{n / 2 ** 30:.3g} GiB"


def fits_in_memory(what, nbytes, hint, large=None):
    """A one-line ValueError when ``nbytes`` (an estimate of what ``what`` allocates) exceeds the memory
    available now (``hint`` says what to make smaller), or, when ``large`` names the flag that allows
    it, half of that memory."""
    avail = available_memory()
    if avail is None:
        return
    if nbytes > avail:
        raise ValueError(f"{what} needs about {_gib(nbytes)} of memory, more than the {_gib(avail)} available on "
                         f"this machine; {hint}")
    if large is not None and nbytes > avail / 2:
        raise ValueError(f"{what} needs about {_gib(nbytes)} of memory, more than half the {_gib(avail)} "
                         f"available on this machine: pass {large} to play it, or {hint}")
