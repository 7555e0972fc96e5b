"""JIT policy for every compiled function in regretlab, in one place.

* ``cache=True``: kernels are reused from the on-disk cache in a fresh process.
* ``error_model="numpy"``: a division by zero gives inf/nan instead of a Python
  exception check on every division (those checks cost a branch per division in
  the hot loop); the engine checks finiteness itself and names the round.
* ``fastmath`` is never on: it lets LLVM assume no NaN/inf, which would silence
  the engine's finiteness checks (STYLE.md).
"""
from __future__ import annotations

import numba

JIT_OPTIONS = {"cache": True, "error_model": "numpy", "fastmath": False, "nogil": True}

DISABLED = bool(numba.config.DISABLE_JIT)


def njit(fn=None):
    """``numba.njit`` with the project's options (usable bare as a decorator)."""
    if fn is None:
        return numba.njit(**JIT_OPTIONS)
    return numba.njit(**JIT_OPTIONS)(fn)


#: a helper of a compiled function, inlined into it at Numba's level (so into the cached kernel;
#: not cached on its own: it may be a closure over a step's compile-time modes)
inline = numba.njit(**{**JIT_OPTIONS, "cache": False, "inline": "always"})


# --- cache invalidation keyed by the whole package's source ---------------------------
# Numba's on-disk cache checks only the stamp of the file that defines the cached
# function.  The fused kernel inlines learners, streams and domains from other
# modules, so an edit there would silently reuse stale machine code.  Every
# regretlab kernel therefore gets a source stamp that hashes all of the package's
# .py files.

import hashlib  # noqa: E402
import os  # noqa: E402

from numba.core import caching as _caching  # noqa: E402

_LOCATORS = getattr(_caching, "CacheImpl", None) or getattr(_caching, "_CacheImpl")
_LOCATORS = _LOCATORS._locator_classes

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _package_source_hash(exts=(".py",)):
    """sha256 over the package's files ending in ``exts`` (names and contents), in a fixed order."""
    h = hashlib.sha256()
    for root, _dirs, files in sorted(os.walk(_PKG_DIR)):
        for f in sorted(files):
            if f.endswith(exts):
                p = os.path.join(root, f)
                h.update(os.path.relpath(p, _PKG_DIR).encode())
                with open(p, "rb") as fh:
                    h.update(fh.read())
    return h.hexdigest()


SOURCE_HASH = _package_source_hash()


class _PackageStampLocator(_caching._CacheLocator):
    """Wraps Numba's own locator for regretlab's files; the stamp is the package hash."""

    def __init__(self, inner):
        self._inner = inner

    def ensure_cache_path(self):
        self._inner.ensure_cache_path()

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_source_stamp(self):
        return ("regretlab", SOURCE_HASH)

    def get_disambiguator(self):
        # the package hash is also in the index's file name: an index written by another version of
        # the package is never opened (unpickling it could fail on a spec class that has moved)
        return f"{self._inner.get_disambiguator()}-{SOURCE_HASH[:12]}"

    @classmethod
    def from_function(cls, py_func, py_file):
        if not os.path.abspath(py_file).startswith(_PKG_DIR + os.sep):
            return None
        for other in _LOCATORS:
            if other is cls:
                continue
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner)
        return None


if _PackageStampLocator not in _LOCATORS:
    _LOCATORS.insert(0, _PackageStampLocator)
