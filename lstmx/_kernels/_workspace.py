"""Large work arrays reused from one call to the next, once nobody holds them.

Why: a fresh ``np.empty`` of many megabytes is a fresh ``mmap``, and the kernel zeroes every page
on first touch. At (32, 100, 512, 512) the LSTM forward's ``gates``, ``hs`` and ``cs`` are 39 MB, and
faulting them in took about 10 of its 70 ms. Here an array is handed out again when the only
reference left to it is this pool's (so its owner, and every view of it, is gone): the pages are
already mapped. It is the idea of PyTorch's caching allocator, kept small: arrays of at least
``MIN_BYTES`` only, ``PER_SHAPE`` a shape and dtype, the ``SHAPES`` most recently used shapes.

The arrays also start on a 64-byte boundary (a cache line, one AVX-512 vector). ``np.empty`` of a
large array starts 16 bytes past a page boundary, so each 64-byte load the kernels make from it
(the packed ``U.T`` panels above all) straddles two cache lines.
"""
import math
import sys
import threading
from collections import OrderedDict

import numpy as np

MIN_BYTES = 1 << 20
PER_SHAPE = 4
SHAPES = 16
ALIGN = 64

_pool = OrderedDict()     # (shape, dtype) -> the uint8 arrays owning the memory of arrays handed out before
_lock = threading.Lock()


def _free_count():
    """sys.getrefcount of a pooled array, in the loop of ``empty``, when nobody else holds it (the
    pool's list, the loop variable, getrefcount's argument: 3 on CPython 3.11). Measured with the same
    code rather than written down, since interpreters count borrowed references differently."""
    arrays = [np.empty(0)]
    for array in arrays:
        return sys.getrefcount(array)


_FREE = _free_count()   # every array handed out, and every view of it, holds its owner


def _aligned_view(owner, shape, dtype):
    """The array of ``shape`` and ``dtype`` inside ``owner`` that starts on an ALIGN-byte boundary."""
    start = -owner.ctypes.data % ALIGN
    return owner[start:start + dtype.itemsize * math.prod(shape)].view(dtype).reshape(shape)


def empty(shape, dtype, aligned=False):
    """Like ``np.empty(shape, dtype)``; a large array starts on a 64-byte boundary and may be a reused
    one (its contents are garbage). A small one is aligned too with ``aligned=True`` (the packed
    matrices the time loop reads at every step)."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * math.prod(shape)
    if nbytes < MIN_BYTES:   # (cheap: the small calls are the latency-bound ones)
        return _aligned_view(np.empty(nbytes + ALIGN, np.uint8), shape, dtype) if aligned else np.empty(shape, dtype)
    shape = tuple(int(n) for n in shape)
    key = (shape, dtype.str)
    with _lock:
        arrays = _pool.get(key)
        if arrays is None:
            arrays = _pool[key] = []
            if len(_pool) > SHAPES:
                _pool.popitem(last=False)
        _pool.move_to_end(key)
        for owner in arrays:
            if sys.getrefcount(owner) <= _FREE:
                return _aligned_view(owner, shape, dtype)
        owner = np.empty(nbytes + ALIGN, np.uint8)
        if len(arrays) < PER_SHAPE:
            arrays.append(owner)
        return _aligned_view(owner, shape, dtype)


def clear():
    """Forget every pooled array (their memory is freed when their last user lets go)."""
    with _lock:
        _pool.clear()
