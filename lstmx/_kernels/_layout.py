"""Layout helpers shared by the kernels' Python wrappers (time-major copies the loops run on)."""
import numpy as np

from . import _workspace


def time_major(X):
    """(T, B, I) C-contiguous copy of a (B, T, I) array (free if X is a transposed time-major array)."""
    X_tm = X.transpose(1, 0, 2)
    if X_tm.flags.c_contiguous:
        return X_tm
    out = _workspace.empty(X_tm.shape, X.dtype)
    np.copyto(out, X_tm)
    return out


def reversed_in_time(X):
    """X (B, T, I) with its steps in reverse order, in time-major memory (a (B, T, I) view of a
    (T, B, I) array, copied once by ``time_major``): what the kernels read without a copy of their own."""
    return time_major(X[:, ::-1]).transpose(1, 0, 2)


def cached_time_major(cache):
    """The forward's time-major copy of X from its cache (made here if another backend ran it)."""
    X_tm = cache.get("X_tm")
    return time_major(cache["X"]) if X_tm is None else X_tm


def time_major_mask(mask, B, T, ones=False):
    """(T, B) uint8 copy of a (B, T) bool mask. No mask gives None (the Cython loops test ``has_mask``
    before they read it), or with ``ones=True`` all ones (Numba compiles None apart from an array)."""
    if mask is None:
        return np.ones((T, B), np.uint8) if ones else None
    return np.ascontiguousarray(mask.T).view(np.uint8)
