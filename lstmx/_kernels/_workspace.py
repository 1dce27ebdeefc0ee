"""Large work arrays reused from one call to the next, once nobody holds them.

Why: a fresh ``np.empty`` of many megabytes is a fresh ``mmap``, and the kernel zeroes every page
on first touch. At (32, 100, 512, 512) the LSTM forward's ``gates``, ``hs`` and ``cs`` are 39 MB, and
faulting them in took about 10 of its 70 ms. Here an array is handed out again when the only
reference left to it is this pool's (so its owner, and every view of it, is gone): the pages are
already mapped. It is the idea of PyTorch's caching allocator, kept small: arrays of at least
``MIN_BYTES`` only, ``PER_SHAPE`` a shape and dtype, the ``SHAPES`` most recently used shapes.
"""
import math
import sys
import threading
from collections import OrderedDict

import numpy as np

MIN_BYTES = 1 << 20
PER_SHAPE = 4
SHAPES = 16

_pool = OrderedDict()     # (shape, dtype) -> arrays handed out before
_lock = threading.Lock()


def _free_count():
    """sys.getrefcount of a pooled array, in the loop of ``empty``, when nobody else holds it (the
    pool's list, the loop variable, getrefcount's argument: 3 on CPython 3.11). Measured with the same
    code rather than written down, since interpreters count borrowed references differently."""
    arrays = [np.empty(0)]
    for array in arrays:
        return sys.getrefcount(array)


_FREE = _free_count()   # a view counts too: it holds its base


def empty(shape, dtype):
    """Like ``np.empty(shape, dtype)``; a large array may be a reused one (its contents are garbage)."""
    dtype = np.dtype(dtype)
    if dtype.itemsize * math.prod(shape) < MIN_BYTES:   # (cheap: the small calls are the latency-bound ones)
        return np.empty(shape, dtype)
    shape = tuple(int(n) for n in shape)
    key = (shape, dtype.str)
    with _lock:
        arrays = _pool.get(key)
        if arrays is None:
            arrays = _pool[key] = []
            if len(_pool) > SHAPES:
                _pool.popitem(last=False)
        _pool.move_to_end(key)
        for array in arrays:
            if sys.getrefcount(array) <= _FREE:
                return array
        array = np.empty(shape, dtype)
        if len(arrays) < PER_SHAPE:
            arrays.append(array)
        return array


def clear():
    """Forget every pooled array (their memory is freed when their last user lets go)."""
    with _lock:
        _pool.clear()
