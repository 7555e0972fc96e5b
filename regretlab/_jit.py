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


#: a helper of a compiled function, inlined into it at Numba's level (into a registered step, round or
#: recorder function, which LLVM then inlines into the cached kernel; not cached on its own: it may be a
#: closure over a step's compile-time modes)
inline = numba.njit(**{**JIT_OPTIONS, "cache": False, "inline": "always"})


# --- borrowed views ------------------------------------------------------------------------
# Numba counts references to arrays: a function increments the count of each array argument on
# entry and decrements it on exit, and a variable that takes an array out of a tuple does the
# same.  Inside loops and branches LLVM's pruning of the pairs gives up, and every round pays two
# atomic instructions per array (measured: 4.6x and 10x slower rounds when the learner's step or
# the recorders were called without inlining them at Numba's level).  A *borrowed* view is the
# same array with a NULL meminfo: Numba's increment and decrement test for NULL, and once LLVM has
# inlined a call into the kernel that made the view, the test is a constant and disappears.  The
# kernel owns the arrays for the whole call, so its views never outlive them.

from numba.core import cgutils as _cgutils  # noqa: E402
from numba.core import types as _types  # noqa: E402
from numba.extending import intrinsic as _intrinsic  # noqa: E402
from numba.extending import overload as _overload  # noqa: E402


def borrow(x):
    """``x`` (an array, or a tuple or NamedTuple holding arrays, nested) as views no reference count follows.

    In compiled code the views share the data, shape and strides of ``x`` and have a NULL meminfo
    (and parent); other fields are copied.  In the interpreter (``NUMBA_DISABLE_JIT=1``) ``x``
    itself.  Valid while ``x`` is.
    """
    return x


def _borrowed_value(context, builder, ty, val):
    if isinstance(ty, _types.Array):
        ary = context.make_array(ty)(context, builder, value=val)
        ary.meminfo = _cgutils.get_null_value(ary.meminfo.type)
        ary.parent = _cgutils.get_null_value(ary.parent.type)
        return ary._getvalue()
    if isinstance(ty, _types.BaseTuple):
        out = val
        for i, t in enumerate(ty):
            out = builder.insert_value(out, _borrowed_value(context, builder, t, builder.extract_value(val, i)), i)
        return out
    return val


def _borrowable(ty):
    if isinstance(ty, _types.Array):
        return True
    if isinstance(ty, _types.BaseTuple):
        return any(_borrowable(t) for t in ty)
    return False


@_intrinsic
def _borrow(typingctx, x):
    if not _borrowable(x):
        return None

    def codegen(context, builder, sig, args):
        return _borrowed_value(context, builder, sig.args[0], args[0])

    return x(x), codegen


@_overload(borrow, jit_options={**JIT_OPTIONS, "cache": False}, inline="always")
def _borrow_typed(x):
    def impl(x):  # the intrinsic refuses what holds no array
        return _borrow(x)

    return impl


# --- pinned rows -------------------------------------------------------------------------
# In a game of one coordinate (d = 1) every round reads back what the previous round stored: the
# iterate, the learner's state, the comparator's statistics.  LLVM cannot keep them in registers,
# because it cannot tell the arrays apart (any store may alias any load), so each round pays a chain
# of store-to-load round trips a C loop with the state in locals does not (measured: 1.6-1.9x a
# round of locals).  A *pinned* row is trial k's row of an array (n, ..., 1) copied into the
# calling function's stack frame, as an array of shape (1, ..., 1) whose first and last extents
# (and so every index a step computes for trial 0 and coordinate 0) are constants: once the
# registered functions are inlined, every access to it is at a constant offset of a stack slot
# nothing else can reach, and LLVM's scalar replacement (SROA) turns the slots into registers.
# The registered functions are unchanged: they are called with index 0 on the pinned rows.

PIN_CAP = 8  # the most elements one pinned row holds (the boundary plays a bigger row unpinned)


def pin(x, k):
    """Trial ``k``'s rows of ``x`` (an array (n, ..., 1), or a tuple of them, nested) as arrays of shape
    (1, ..., 1) in the stack frame of the compiled function that calls this; at most :data:`PIN_CAP`
    elements per row (the caller checks).  Write them back with :func:`unpin`.

    In compiled code the copy lives until that function returns: call ``pin`` only in the function
    that uses the rows (it is inlined there at Numba's level), never in a helper that returns them.  In
    the interpreter (``NUMBA_DISABLE_JIT=1``) the rows are views of ``x``, and ``unpin`` has nothing to do.
    """
    if isinstance(x, tuple):
        return type(x)(*(pin(a, k) for a in x)) if hasattr(x, "_fields") else tuple(pin(a, k) for a in x)
    return x[k:k + 1]


def unpin(rows, x, k):
    """Copy the pinned ``rows`` of :func:`pin` back into trial ``k``'s rows of ``x`` (the same structure);
    with ``x = ()`` drop them (their last values are not needed, so LLVM may skip computing them)."""


def _row_size(builder, ary, ndim):
    shape = _cgutils.unpack_tuple(builder, ary.shape, ndim)
    size = _cgutils.intp_t(1)
    for e in shape[1:]:
        size = builder.mul(size, e)
    return shape, size


def _pinned_value(context, builder, ty, val, k):
    if isinstance(ty, _types.BaseTuple):
        out = val
        for i, t in enumerate(ty):
            out = builder.insert_value(out, _pinned_value(context, builder, t, builder.extract_value(val, i), k), i)
        return out
    if not isinstance(ty, _types.Array):
        return val
    ary = context.make_array(ty)(context, builder, value=val)
    shape, size = _row_size(builder, ary, ty.ndim)
    elt = context.get_data_type(ty.dtype)
    buf = _cgutils.alloca_once(builder, elt, size=PIN_CAP)  # in the entry block: one slot set per call site
    src = builder.gep(ary.data, [builder.mul(k, size)])
    for j in range(PIN_CAP):  # unrolled, so that every access to buf is at a constant offset
        with builder.if_then(builder.icmp_signed(">", size, _cgutils.intp_t(j))):
            builder.store(builder.load(builder.gep(src, [_cgutils.intp_t(j)])), builder.gep(buf, [_cgutils.intp_t(j)]))
    one = _cgutils.intp_t(1)
    new_shape = [one] + list(shape[1:-1]) + [one]  # the trial and the coordinate: constants
    itemsize = context.get_constant(_types.intp, context.get_abi_sizeof(elt))
    strides = [itemsize]
    for e in reversed(new_shape[1:]):
        strides.insert(0, builder.mul(strides[0], e))
    out = context.make_array(ty)(context, builder)
    _ctx_populate(context, out, buf, new_shape, strides, itemsize)
    return out._getvalue()


def _ctx_populate(context, out, data, shape, strides, itemsize):
    from numba.np.arrayobj import populate_array
    builder = out._builder
    populate_array(out, data=data, shape=_cgutils.pack_array(builder, shape),
                   strides=_cgutils.pack_array(builder, strides), itemsize=itemsize, meminfo=None)


def _unpinned(context, builder, ty, rows, val, k):
    if isinstance(ty, _types.BaseTuple):
        for i, t in enumerate(ty):
            _unpinned(context, builder, t, builder.extract_value(rows, i), builder.extract_value(val, i), k)
        return
    if not isinstance(ty, _types.Array):
        return
    ary = context.make_array(ty)(context, builder, value=val)
    loc = context.make_array(ty)(context, builder, value=rows)
    _, size = _row_size(builder, ary, ty.ndim)
    dst = builder.gep(ary.data, [builder.mul(k, size)])
    for j in range(PIN_CAP):
        with builder.if_then(builder.icmp_signed(">", size, _cgutils.intp_t(j))):
            builder.store(builder.load(builder.gep(loc.data, [_cgutils.intp_t(j)])), builder.gep(dst, [_cgutils.intp_t(j)]))


def _pinnable(ty):
    if isinstance(ty, _types.Array):
        return ty.layout == "C" and ty.ndim >= 2
    if isinstance(ty, _types.BaseTuple):
        return all(_pinnable(t) for t in ty if isinstance(t, (_types.Array, _types.BaseTuple)))
    return True


@_intrinsic
def _pin(typingctx, x, k):
    if not (_pinnable(x) and isinstance(k, _types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        kk = context.cast(builder, args[1], sig.args[1], _types.intp)
        return _pinned_value(context, builder, sig.args[0], args[0], kk)

    return x(x, k), codegen


@_intrinsic
def _unpin(typingctx, rows, x, k):
    # x = (): the rows are dropped (nothing reads them after the call: their stores are dead code)
    dropped = isinstance(x, _types.BaseTuple) and len(x) == 0
    if not ((rows == x or dropped) and _pinnable(rows) and isinstance(k, _types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        if not dropped:
            kk = context.cast(builder, args[2], sig.args[2], _types.intp)
            _unpinned(context, builder, sig.args[1], args[0], args[1], kk)
        return context.get_dummy_value()

    return _types.void(rows, x, k), codegen


@_overload(pin, jit_options={**JIT_OPTIONS, "cache": False}, inline="always")
def _pin_typed(x, k):
    def impl(x, k):  # inlined at Numba's level: the stack slots are the caller's
        return _pin(x, k)

    return impl


@_overload(unpin, jit_options={**JIT_OPTIONS, "cache": False}, inline="always")
def _unpin_typed(rows, x, k):
    def impl(rows, x, k):
        _unpin(rows, x, k)

    return impl


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
