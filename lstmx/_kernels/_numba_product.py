"""The step's one GEMM in the Numba kernels, ``ah = h_(t-1) @ U.T``, asked of OpenBLAS in the
orientation it runs faster.

Numba's ``np.dot`` calls OpenBLAS, which packs both operands again on every call (the Cython
kernels pack ``U.T`` once a sequence for their own loop; Numba cannot). Which operand it packs as
which depends on how the product is asked for, and at the larger steps the transposed product
``U @ h.T`` (G*H, B) is much the faster one (``UT`` below is ``U.T`` copied row-major, which the
direct product needs to be fast at the small sizes). 100 steps, float32, 2 threads, on the machine of
``benchmarks/README.md`` (ms; B, H, G gates):

=================  ==========  ==========
B, H, G            h @ UT      U @ h.T
=================  ==========  ==========
32, 128, 4         3.7         2.2
32, 512, 4         57          37
16, 128, 4         3.1         1.5
32, 128, 3         2.6-3.0     1.7
64, 256, 3         14          10
32, 512, 1         14          8.7
16, 64, 4          0.35        0.68
32, 128, 1         0.65        0.77
=================  ==========  ==========

The rows then want ``ah`` row by row, so the transposed product is transposed back, in 8 x 8 blocks
(about 0.5 ns an element, 8 us at (512, 32)). ``transposed_is_faster`` picks the orientation where
the gain measured above exceeds that cost: H >= 128, B >= 16 and at least 384 gate columns.
"""
import numpy as np
from numba import njit

from ._numba_math import JIT


@njit(**JIT)
def transposed_is_faster(B, H, G):
    """Whether :func:`step_product` should ask for ``U @ h.T`` (the table above)."""
    return B >= 16 and H >= 128 and G * H >= 384


# How a step's product is asked of OpenBLAS (step_operands picks one)
DIRECT, TRANSPOSED, BY_ROWS = 0, 1, 2


@njit(**JIT)
def step_operands(U, B, by_rows):
    """What :func:`step_product` needs for a batch of B sequences: (how, UT, ahT).

    ``by_rows`` (the Python wrapper's ``_layout.steps_unpacked``: a step or a few, or one or two
    sequences whose U is larger than L2): one matrix-vector product a row on ``U`` as stored, nothing
    copied. The direct product gets ``UT``, ``U.T`` (H, G*H) copied row-major once a sequence:
    OpenBLAS multiplies it up to 3x faster than ``U`` with a transpose flag at small per-step sizes
    (0.26 vs 0.73 ms for 100 steps of (16, 64) x (64, 192)). The transposed product reads ``U``
    itself and gets ``ahT`` (G*H, B) for its result. The operands a product does not use are empty."""
    GH, H = U.shape
    if by_rows:
        return BY_ROWS, np.empty((0, 0), U.dtype), np.empty((0, 0), U.dtype)
    if transposed_is_faster(B, H, GH // H):
        return TRANSPOSED, np.empty((0, 0), U.dtype), np.empty((GH, B), U.dtype)
    return DIRECT, np.ascontiguousarray(U.T), np.empty((0, 0), U.dtype)


@njit(**JIT)
def step_product(h, U, UT, ah, ahT, how):
    """ah (B, G*H) = h (B, H) @ U.T.

    ``how``, ``UT`` and ``ahT`` come from :func:`step_operands`."""
    if how == BY_ROWS:
        for n in range(h.shape[0]):
            np.dot(U, h[n], ah[n])      # (G*H,)
    elif how == TRANSPOSED:
        np.dot(U, h.T, ahT)             # (G*H, B)
        transpose_into(ahT, ah)
    else:
        np.dot(h, UT, ah)


@njit(**JIT)
def recurrent_product(dgates_t, U, UT, dh_rec, by_rows):
    """dh_rec (B, H) = dgates_t (B, G*H) @ U, the backward's step product: one matrix-vector
    product a row where the forward made them (``by_rows``), on ``UT`` (U.T copied row-major, which
    OpenBLAS multiplies 2.3 times as fast) when the caller made that copy (non-empty), else on ``U``;
    otherwise one matrix product."""
    if not by_rows:
        np.dot(dgates_t, U, dh_rec)
    elif UT.shape[0] > 0:
        for n in range(dgates_t.shape[0]):
            np.dot(UT, dgates_t[n], dh_rec[n])
    else:
        for n in range(dgates_t.shape[0]):
            np.dot(dgates_t[n], U, dh_rec[n])


@njit(**JIT)
def transpose_into(src, dst):
    """dst (B, N) = src (N, B).T in 8 x 8 blocks: each block's rows and columns stay in cache lines
    already loaded (a plain loop reads src a column at a time, 0.8 ns an element instead of 0.5)."""
    N, B = src.shape
    for j0 in range(0, N, 8):
        for n0 in range(0, B, 8):
            if j0 + 8 <= N and n0 + 8 <= B:       # a whole block: fixed trip counts, unrolled
                s = src[j0:j0 + 8, n0:n0 + 8]
                d = dst[n0:n0 + 8, j0:j0 + 8]
                for a in range(8):
                    for c in range(8):
                        d[a, c] = s[c, a]
            else:
                for n in range(n0, min(n0 + 8, B)):
                    for j in range(j0, min(j0 + 8, N)):
                        dst[n, j] = src[j, n]


@njit(**JIT)
def recurrent_input(hs, keep, hs_kept, has_keep, t):
    """The (B, H) rows a step multiplies by ``U.T``: ``h_(t-1) = hs[t]``, or with recurrent dropout
    ``hs[t] * keep``, written to ``hs_kept[t]`` (the backward's ``dU`` reads it there)."""
    if not has_keep:
        return hs[t]
    B, H = keep.shape
    for n in range(B):
        for j in range(H):
            hs_kept[t, n, j] = hs[t, n, j] * keep[n, j]
    return hs_kept[t]


@njit(**JIT)
def add_recurrent_gradient(dh, dh_rec, keep, has_keep):
    """dh += dh_rec, the gradient that came back through ``U``; with recurrent dropout U met
    ``h_(t-1) * keep``, so ``dh += dh_rec * keep``."""
    if not has_keep:
        dh += dh_rec
        return
    B, H = keep.shape
    for n in range(B):
        for j in range(H):
            dh[n, j] += dh_rec[n, j] * keep[n, j]
