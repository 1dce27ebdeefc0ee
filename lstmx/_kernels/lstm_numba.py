"""LSTM forward and backward in Numba: the design of :mod:`lstmx._kernels.lstm_cython` (hoisted
input GEMM, one GEMM a step, fused row loops, backward GEMMs after the loop) in Python syntax.

Compiled on first call (nothing at import) and cached on disk, so a second process does not
compile again. ``np.dot(a, b, out)`` calls BLAS without allocating.
"""
import numpy as np
from numba import njit

from . import _workspace as workspace
from ._layout import (cached_time_major, copies_U_transposed, keep_operands, keep_or_empty, recurrent_operand,
                      steps_unpacked, time_major, time_major_mask)
from ._numba_math import JIT, one_minus, sigmoid, tanh
from ._numba_product import (add_recurrent_gradient, recurrent_input, recurrent_product, step_operands,
                             step_product)


def lstm_forward(X, W, U, b, h0, c0, mask, recurrent_keep=None):
    """Same arguments and results as :func:`lstmx.lstm.lstm_forward`."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)
    hs = workspace.empty((T + 1, B, H), X.dtype)
    cs = workspace.empty((T + 1, B, H), X.dtype)
    gates = workspace.empty((T, B, 4 * H), X.dtype)
    hs[0], cs[0] = h0, c0
    keep, hs_kept, has_keep = keep_operands(recurrent_keep, T, B, H, X.dtype)
    by_rows = steps_unpacked(1, B, T, 4 * H, H, X.itemsize)   # a matrix-vector product a row (see _layout)
    _forward(X_tm, W, U, b, hs, cs, gates, time_major_mask(mask, B, T, ones=True), mask is not None,
             keep, hs_kept, has_keep, by_rows)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, cs=cs, gates=gates, mask=mask, recurrent_keep=recurrent_keep,
                 hs_kept=hs_kept if has_keep else None)
    return hs[1:].transpose(1, 0, 2), (hs[T], cs[T]), cache


@njit(**JIT)
def _forward(X_tm, W, U, b, hs, cs, gates, mask, has_mask, keep, hs_kept, has_keep, by_rows):
    T, B, I = X_tm.shape
    H = U.shape[1]
    np.dot(X_tm.reshape(T * B, I), W.T, gates.reshape(T * B, 4 * H))   # all steps' x W^T at once
    ah = np.empty((B, 4 * H), X_tm.dtype)
    how, UT, ahT = step_operands(U, B, by_rows)     # which product a step asks OpenBLAS for
    for t in range(T):
        h_rec = recurrent_input(hs, keep, hs_kept, has_keep, t)
        step_product(h_rec, U, UT, ah, ahT, how)                        # h_(t-1) U^T: (B, 4H)
        for n in range(B):
            if has_mask and not mask[t, n]:
                hs[t + 1, n] = hs[t, n]
                cs[t + 1, n] = cs[t, n]
            else:
                _row_forward(gates[t, n], ah[n], b, cs[t, n], cs[t + 1, n], hs[t + 1, n], H)


@njit(**JIT)
def _row_forward(a, ah, b, c_prev, c, h, H):
    """One sequence's step: a (4H,) = x W^T in, activations [i f g o] out; c, h (H,) out."""
    for j in range(4 * H):
        a[j] += ah[j] + b[j]
    # One view a gate, each loop from 0: a loop over range(2 * H, 3 * H) indexes a[j] with a j
    # that LLVM cannot prove non-negative, so it kept numba's negative-index wraparound and ran
    # scalar (0.48 us a row at H = 64; 0.16 us with the views).
    i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
    for j in range(2 * H):
        a[j] = sigmoid(a[j])                        # i, f (adjacent)
    for j in range(H):
        g[j] = tanh(g[j])
    for j in range(H):
        o[j] = sigmoid(o[j])
    for j in range(H):
        c[j] = f[j] * c_prev[j] + i[j] * g[j]       # c = f * c_prev + i * g
        h[j] = o[j] * tanh(c[j])                    # h = o * tanh(c)


def lstm_backward(dY, dhT, dcT, cache):
    """Same arguments and results as :func:`lstmx.lstm.lstm_backward`."""
    X, W, U = cache["X"], cache["W"], cache["U"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cached_time_major(cache)
    mask = cache["mask"]
    keep, has_keep = keep_or_empty(cache.get("recurrent_keep"), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    dc = np.array(dcT, dtype=X.dtype, copy=True, order="C")
    by_rows = steps_unpacked(1, B, T, 4 * H, H, X.itemsize)   # as the forward chose
    UT = np.ascontiguousarray(U.T) if copies_U_transposed(by_rows, T, B) else np.empty((0, 0), U.dtype)
    dX_tm, dW, dU, db = _backward(np.ascontiguousarray(dY), X_tm, W, U, recurrent_operand(cache), cache["cs"],
                                  cache["gates"], time_major_mask(mask, B, T, ones=True), mask is not None,
                                  keep, has_keep, dh, dc, workspace.empty((T, B, 4 * H), X.dtype), by_rows, UT)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db, dh, dc


@njit(**JIT)
def _backward(dY, X_tm, W, U, h_rec, cs, gates, mask, has_mask, keep, has_keep, dh, dc, dgates, by_rows, UT):
    T, B, I = X_tm.shape
    H = U.shape[1]
    dh_prev = np.empty((B, H), X_tm.dtype)
    for t in range(T - 1, -1, -1):
        for n in range(B):
            if has_mask and not mask[t, n]:             # h and c were carried: so are their gradients
                dgates[t, n] = 0
                for j in range(H):
                    dh[n, j] += dY[n, t, j]
            else:
                _row_backward(gates[t, n], cs[t, n], cs[t + 1, n], dY[n, t], dh[n], dc[n], dgates[t, n], H)
        recurrent_product(dgates[t], U, UT, dh_prev, by_rows)   # dh_(t-1) = dgates_t U (B, H)
        add_recurrent_gradient(dh, dh_prev, keep, has_keep)   # (+ the carried dh of masked rows)
    dgates2 = dgates.reshape(T * B, 4 * H)
    dW = np.dot(dgates2.T, X_tm.reshape(T * B, I))
    dU = np.dot(dgates2.T, h_rec.reshape(T * B, H))
    dX_tm = np.dot(dgates2, W).reshape(T, B, I)
    db = dgates2.sum(axis=0)
    return dX_tm, dW, dU, db


@njit(**JIT)
def _row_backward(a, c_prev, c, dy, dh, dc, da, H):
    """One sequence's BPTT step; dh is zeroed for the GEMM that adds dgates @ U after it."""
    for j in range(H):
        i, f, g, o = a[j], a[H + j], a[2 * H + j], a[3 * H + j]
        dh_j = dh[j] + dy[j]
        tanh_c = tanh(c[j])
        dc_j = dc[j] + dh_j * o * one_minus(tanh_c * tanh_c)
        da[j] = dc_j * g * i * one_minus(i)
        da[H + j] = dc_j * c_prev[j] * f * one_minus(f)
        da[2 * H + j] = dc_j * i * one_minus(g * g)
        da[3 * H + j] = dh_j * tanh_c * o * one_minus(o)
        dc[j] = dc_j * f
        dh[j] = 0
