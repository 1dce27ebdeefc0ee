"""Large work arrays reused from one call to the next, once nobody holds them.

Why: a fresh ``np.empty`` of many megabytes is a fresh ``mmap``, and the kernel zeroes every page
on first touch. At (32, 100, 512, 512) the LSTM forward's ``gates``, ``hs`` and ``cs`` are 39 MB, and
faulting them in took about 10 of its 70 ms. Here an array is handed out again when the only
reference left to it is this pool's (so its owner, and every view of it, is gone): the pages are
already mapped. It is the idea of PyTorch's caching allocator, kept small: arrays of at least
``MIN_BYTES`` (and the small aligned ones, below), ``PER_SHAPE`` a shape and dtype, the ``SHAPES``
most recently used shapes.

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
SHAPES = 32
ALIGN = 64

_pool = OrderedDict()     # (shape, dtype) -> (owner, array) pairs: the uint8 memory and the aligned array in it
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


def _aligned_view(owner, shape, dtype):
    """The array of ``shape`` and ``dtype`` inside ``owner`` that starts on an ALIGN-byte boundary."""
    start = -owner.ctypes.data % ALIGN
    return owner[start:start + dtype.itemsize * math.prod(shape)].view(dtype).reshape(shape)


def empty(shape, dtype, aligned=False):
    """Like ``np.empty(shape, dtype)``; a large array starts on a 64-byte boundary and may be a reused
    one (its contents are garbage). With ``aligned=True`` a small one is aligned and pooled too (the
    packed matrices the time loop reads at every step: handing out a pooled one costs a fraction of
    the microseconds that aligning a fresh one does, which counts at batch 1)."""
    if not isinstance(dtype, np.dtype):
        dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * math.prod(shape)
    if not aligned and nbytes < MIN_BYTES:
        return np.empty(shape, dtype)     # (cheap: the small calls are the latency-bound ones)
    key = (tuple(shape), dtype)           # (a dtype hashes by value; its ``str`` costs 0.2 us at batch 1)
    with _lock:
        pairs = _pool.get(key)
        if pairs is None:
            pairs = _pool[key] = []
            if len(_pool) > SHAPES:
                _pool.popitem(last=False)
        else:
            _pool.move_to_end(key)
        for owner, array in pairs:
            if sys.getrefcount(owner) <= _FREE_OWNER and sys.getrefcount(array) <= _FREE_ARRAY:
                return array
        owner = np.empty(nbytes + ALIGN, np.uint8)
        array = _aligned_view(owner, key[0], dtype)
        if len(pairs) < PER_SHAPE:
            pairs.append((owner, array))
        return array


def clear():
    """Forget every pooled array (their memory is freed when their last user lets go)."""
    with _lock:
        _pool.clear()
