"""Layout helpers shared by the kernels' Python wrappers (time-major copies the loops run on)."""
import os

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


def keep_or_empty(keep, dtype):
    """``(keep, has_keep)``: the (B, H) recurrent dropout mask, or without one an empty stand-in (Numba
    compiles None apart from an array; the loops test ``has_keep`` before they read it)."""
    if keep is None:
        return np.empty((0, 0), dtype), False
    return keep, True


def keep_operands(keep, T, B, H, dtype):
    """What a forward kernel takes for recurrent dropout: ``(keep, hs_kept, has_keep)``.

    ``hs_kept`` (T, B, H) receives ``h_(t-1) * keep`` of every step, the operand ``U`` met, which the
    backward needs for ``dU``; without a mask it is an empty stand-in too."""
    keep, has_keep = keep_or_empty(keep, dtype)
    if has_keep and (keep.shape != (B, H) or keep.dtype != dtype or not keep.flags.c_contiguous):
        # lstmx.functional checks this for users; a direct call of a kernel must not read past the mask
        raise ValueError(f"recurrent_keep must be a C-contiguous ({B}, {H}) array of {np.dtype(dtype)}, got "
                         f"shape {keep.shape}, dtype {keep.dtype}")
    return keep, _workspace.empty((T, B, H), dtype) if has_keep else np.empty((0, 0, 0), dtype), has_keep


def recurrent_operand(cache):
    """``h_(t-1)`` as ``U`` met it at every step, (T, B, H): ``hs[:T]``, or with recurrent dropout
    ``hs[:T] * keep`` (the forward's copy, or made here if another backend ran the forward)."""
    hs, keep = cache["hs"], cache.get("recurrent_keep")
    T = hs.shape[0] - 1
    if keep is None:
        return hs[:T]
    kept = cache.get("hs_kept")
    return hs[:T] * keep if kept is None else kept


# A one-thread time loop gets its input projection made ahead by a second thread (ahead.hpp) when
# the projection is at least this many multiply-adds (T * B * I * G): below it, starting the second
# thread costs about what it saves. Tests set it to 0 to run the path at small sizes.
AHEAD_MIN_MACS = 1 << 22
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def projection_ahead(parts, T, B, I, G):
    """Whether a kernel's time loop, run by ``parts`` threads, has its input projection made ahead by
    a second thread: only a one-thread loop, with a second CPU to run on."""
    return parts == 1 and _CPUS >= 2 and T * B * I * G >= AHEAD_MIN_MACS


# The hoisted input projection and the weight gradients after a backward loop run on the packed
# kernel, on lstmx's own (OpenMP) threads, not through BLAS: after a two-thread BLAS product,
# OpenBLAS's worker spins for about 0.1 s waiting for the next one, and the next call's OpenMP threads
# then share a core with it. A stacked LSTM(64) -> LSTM(128) at batch 8, whose first layer runs its
# time loop on one thread and had made these products through BLAS, took 8.6 ms a training step
# against 2.4 on its own threads (2-core Intel Xeon; benchmarks/bench_kernel_threads.py). Only the
# loops of a step or a few, which multiply U unpacked through BLAS's threads anyway, keep BLAS.


def projection_parts(parts, unpacked, T, B, I, G):
    """Threads of the hoisted input projection (``_common.pxd``'s input_projection), run by a time
    loop on ``parts`` threads: 0 for one BLAS product (an unpacked loop), else on the packed kernel,
    on both CPUs for a projection of at least AHEAD_MIN_MACS multiply-adds (below, starting the second
    thread costs about what it saves)."""
    if unpacked:
        return 0
    if parts == 2 or (_CPUS >= 2 and T * B * I * G >= AHEAD_MIN_MACS):
        return 2
    return 1


def weight_gradient_parts(parts, unpacked, T, B, I, G, H):
    """Threads of the weight gradients after a backward loop on ``parts`` threads (``_common.pxd``'s
    weight_gradients): 0 for BLAS (an unpacked loop), else on the packed kernel, on both CPUs for at
    least AHEAD_MIN_MACS multiply-adds (dW, dU and dX: T*B*G*(2I + H)). Below it, waking the second
    thread cost more than it saved: the LSTM's training at (1, 100, 32, 32) took 0.10-0.11 ms on two
    threads, 0.08 on one."""
    if unpacked:
        return 0
    if parts == 2 or (_CPUS >= 2 and T * B * G * (2 * I + H) >= AHEAD_MIN_MACS):
        return 2
    return 1


# Where a one-thread time loop multiplies U as stored, through BLAS, instead of packing it first for
# stepgemm.hpp (see steps_unpacked). The tests set L2_BYTES to 0 to take that path at small sizes.
UNPACKED_MAX_STEPS = 4
UNPACKED_MIN_BYTES = 64 << 10
# An unpacked backward copies U.T once, for the faster matrix-vector product (_common.pxd's
# recurrent_gradient), when it makes at least this many (T * B): the copy of a (4096, 1024) U took
# about what 16 products save ((1, 16, 1024, 1024) LSTM training 17.6 ms without it, 23.2 with it;
# (2, 100, 512, 512) backward 26 ms without, 13.8 with).
UNPACKED_TRANSPOSE_MIN_ROWS = 32


def _l2_cache_bytes():
    """One core's L2 cache in bytes, as stepgemm.hpp's l2_cache_bytes reads it (1 MiB if unknown)."""
    try:
        size = os.sysconf("SC_LEVEL2_CACHE_SIZE")
    except (ValueError, OSError, AttributeError):
        size = 0
    return size if size > 0 else 1 << 20


L2_BYTES = _l2_cache_bytes()


def steps_unpacked(parts, B, T, G, H, itemsize):
    """Whether a time loop run by ``parts`` threads multiplies U (G*H, H) as stored, through BLAS
    (a matrix-vector product a row), rather than packed once for stepgemm.hpp's kernel. Only a
    one-thread loop, and:

    - U larger than a core's L2 cache, for one or two sequences or one step: the packed loop then
      reads U from L3 at every step on one core, where BLAS's matrix-vector product splits it between
      both cores' caches. LSTM forward, 2-core Intel Xeon (2 MiB L2): (1, 200, 512, 512) 30.2 against
      9.7 ms (PyTorch 10.9), (2, 100, 512, 512) 16.2 against 9.6; at 4 rows 16.6 against 18.5 and at 7
      rows 17.6 against 32.3 (a product a row reads U once a row), so from 3 rows U stays packed.
    - one step, or a few steps of one sequence with a U large enough that packing it costs more than
      the steps save: (1, 1, 256, 256) took 128 us packed and 51 us unpacked (a text generator's
      character); from about 8 steps at H = 128 the packed loop is ahead (48.9 against 52.7 us).
    """
    if parts != 1:
        return False
    U_bytes = G * H * itemsize
    if U_bytes > L2_BYTES:
        return B <= 2 or T == 1
    return T == 1 or (B == 1 and T <= UNPACKED_MAX_STEPS and U_bytes >= UNPACKED_MIN_BYTES)


def copies_U_transposed(unpacked, T, B):
    """Whether a backward whose loop multiplies U unpacked (``steps_unpacked``) makes those products
    on a copy of U.T made once (``UNPACKED_TRANSPOSE_MIN_ROWS``)."""
    return unpacked and T * B >= UNPACKED_TRANSPOSE_MIN_ROWS
