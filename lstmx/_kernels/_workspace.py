"""Large work arrays reused from one call to the next, once nobody holds them.

Why: a fresh ``np.empty`` of many megabytes is a fresh ``mmap``, and the kernel zeroes every page
on first touch. At (32, 100, 512, 512) the LSTM forward's ``gates``, ``hs`` and ``cs`` are 39 MB, and
faulting them in took about 10 of its 70 ms. Here an array is handed out again when the only
reference left to it is this pool's (so its owner, and every view of it, is gone): the pages are
already mapped. It is the idea of PyTorch's caching allocator, kept small: arrays of at least
``MIN_BYTES`` (and the small aligned ones, below), at most ``PER_SHAPE`` a shape and dtype, and at
most ``limit()`` bytes in all (``DEFAULT_LIMIT``, 256 MiB; ``set_limit`` changes it). A new array
that would pass the limit first evicts the arrays of the least recently used shapes: the pool
forgets them, and their memory goes back when their last user lets go of them. An array larger
than the limit is never pooled. ``clear()`` forgets every array, ``nbytes()`` counts what is held.
(A count of arrays alone did not bound the memory: batches of 80 lengths of one LSTM layer, each
a new shape, left 106 MiB held with nothing alive at (B, I, H) = (8, 16, 128), 416 MiB at
(32, 128, 256), and more with each larger shape.)

The arrays also start on a 64-byte boundary (a cache line, one AVX-512 vector). ``np.empty`` of a
large array starts 16 bytes past a page boundary, so each 64-byte load the kernels make from it
(the packed ``U.T`` panels above all) straddles two cache lines.

Under AddressSanitizer (``tools/run_sanitized_tests.sh``), the bytes of an owner around its
aligned array are poisoned, so that a kernel reading or writing just past a pooled array is
reported as it would be past an array of its own ``malloc``.
"""
import ctypes
import math
import operator
import sys
import threading
import weakref
from collections import OrderedDict

import numpy as np

MIN_BYTES = 1 << 20
PER_SHAPE = 4
ALIGN = 64
DEFAULT_LIMIT = 256 << 20

_pool = OrderedDict()     # (shape, dtype) -> (owner, array) pairs: the uint8 memory and the aligned array in it;
_held = 0                 # least recently used shape first. _held: the bytes of the owners in the pool
_limit = DEFAULT_LIMIT
_lock = threading.Lock()


def _free_counts():
    """sys.getrefcount of a pooled owner and of its array, in the loop of ``empty``, when nobody else
    holds them (the pool's pair, the loop variable, getrefcount's argument, and for the owner the
    array's ``base``). Measured with the same code rather than written down, since interpreters
    count borrowed references differently."""
    owner = np.empty(ALIGN, np.uint8)
    pairs = [(owner, owner[:1])]
    del owner
    for owner, array in pairs:
        return sys.getrefcount(owner), sys.getrefcount(array)


# An array handed out holds its owner (as ``base``), and so does every view of it (NumPy points a
# view of a view at the memory's owner): the pair is free when both counts are back to these.
_FREE_OWNER, _FREE_ARRAY = _free_counts()


def _asan_functions():
    """AddressSanitizer's (poison, unpoison) functions when its runtime is in this process, else None."""
    try:
        process = ctypes.CDLL(None)
        poison, unpoison = process.__asan_poison_memory_region, process.__asan_unpoison_memory_region
    except (OSError, AttributeError):
        return None
    for function in (poison, unpoison):
        function.argtypes, function.restype = [ctypes.c_void_p, ctypes.c_size_t], None
    return poison, unpoison


_ASAN = _asan_functions()


def _aligned_view(owner, shape, dtype):
    """The array of ``shape`` and ``dtype`` inside ``owner`` that starts on an ALIGN-byte boundary."""
    start = -owner.ctypes.data % ALIGN
    array = owner[start:start + dtype.itemsize * math.prod(shape)].view(dtype).reshape(shape)
    if _ASAN is not None:
        _poison_around(owner, start, array.nbytes)
    return array


def _poison_around(owner, start, nbytes):
    """Poison the bytes of ``owner`` before and after its array, and unpoison them all as the owner
    goes (NumPy keeps freed blocks under 1 KiB for its next arrays, which must not find them poisoned)."""
    poison, unpoison = _ASAN
    base, end = owner.ctypes.data, owner.ctypes.data + owner.nbytes
    poison(base, start)
    poison(base + start + nbytes, end - (base + start + nbytes))
    weakref.finalize(owner, unpoison, base, owner.nbytes)


def _evict_down_to(room):
    """Forget pooled arrays, least recently used shape first, until the pool holds at most ``room`` bytes."""
    global _held
    while _held > room and _pool:
        key, pairs = next(iter(_pool.items()))
        owner, _ = pairs.pop(0)
        _held -= owner.nbytes
        if not pairs:
            del _pool[key]


def empty(shape, dtype, aligned=False):
    """Like ``np.empty(shape, dtype)``; a large array starts on a 64-byte boundary and may be a reused
    one (its contents are garbage). With ``aligned=True`` a small one is aligned and pooled too (the
    packed matrices the time loop reads at every step: handing out a pooled one costs a fraction of
    the microseconds that aligning a fresh one does, which counts at batch 1)."""
    global _held
    if not isinstance(dtype, np.dtype):
        dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * math.prod(shape)
    if not aligned and nbytes < MIN_BYTES:
        return np.empty(shape, dtype)     # (cheap: the small calls are the latency-bound ones)
    key = (tuple(shape), dtype)           # (a dtype hashes by value; its ``str`` costs 0.2 us at batch 1)
    with _lock:
        pairs = _pool.get(key)
        if pairs is not None:
            _pool.move_to_end(key)
            for owner, array in pairs:
                if sys.getrefcount(owner) <= _FREE_OWNER and sys.getrefcount(array) <= _FREE_ARRAY:
                    return array
        owner = np.empty(nbytes + ALIGN, np.uint8)
        array = _aligned_view(owner, key[0], dtype)
        if owner.nbytes <= _limit and (pairs is None or len(pairs) < PER_SHAPE):
            _evict_down_to(_limit - owner.nbytes)          # (may evict this shape's busy arrays too)
            _pool.setdefault(key, []).append((owner, array))
            _held += owner.nbytes
        return array


def nbytes():
    """The bytes of the arrays the pool holds (free ones, and ones still in use that it would hand
    out again once free)."""
    return _held


def limit():
    """The most bytes the pool holds (``DEFAULT_LIMIT``, 256 MiB, unless ``set_limit`` changed it)."""
    return _limit


def set_limit(nbytes):
    """Hold at most ``nbytes`` bytes of work arrays (0: pool none); arrays past it are forgotten now,
    least recently used first. Returns the previous limit."""
    global _limit
    nbytes = operator.index(nbytes)
    if nbytes < 0:
        raise ValueError(f"the workspace limit must be >= 0 bytes, got {nbytes}")
    with _lock:
        previous, _limit = _limit, nbytes
        _evict_down_to(nbytes)
    return previous


def clear():
    """Forget every pooled array (their memory is freed when their last user lets go)."""
    global _held
    with _lock:
        _pool.clear()
        _held = 0
