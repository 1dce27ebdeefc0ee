"""Simple tanh RNN forward and backward in Numba, with the design of :mod:`lstmx._kernels.rnn_cython`."""
import numpy as np
from numba import njit

from . import _workspace as workspace
from ._layout import (cached_time_major, copies_U_transposed, keep_operands, keep_or_empty, recurrent_operand,
                      steps_unpacked, time_major, time_major_mask)
from ._numba_math import JIT, one_minus, tanh
from ._numba_product import (add_recurrent_gradient, recurrent_input, recurrent_product, step_operands,
                             step_product)


def rnn_forward(X, W, U, b, h0, mask, recurrent_keep=None):
    """Same arguments and results as :func:`lstmx.rnn.rnn_forward`."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)
    hs = workspace.empty((T + 1, B, H), X.dtype)
    hs[0] = h0
    keep, hs_kept, has_keep = keep_operands(recurrent_keep, T, B, H, X.dtype)
    by_rows = steps_unpacked(1, B, T, H, H, X.itemsize)   # a matrix-vector product a row (see _layout)
    _forward(X_tm, W, U, b, hs, time_major_mask(mask, B, T, ones=True), mask is not None, keep, hs_kept, has_keep,
             by_rows)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, mask=mask, recurrent_keep=recurrent_keep,
                 hs_kept=hs_kept if has_keep else None)
    return hs[1:].transpose(1, 0, 2), hs[T], cache


# One sequence of up to this many weights in U: its steps are one fused loop, not a BLAS call each
# (see _forward_one_row).
ONE_ROW_MAX_WEIGHTS = 64 * 64


@njit(**JIT)
def _forward(X_tm, W, U, b, hs, mask, has_mask, keep, hs_kept, has_keep, by_rows):
    T, B, I = X_tm.shape
    H = U.shape[1]
    a = np.dot(X_tm.reshape(T * B, I), W.T).reshape(T, B, H)           # x W^T, all steps
    if B == 1 and H * H <= ONE_ROW_MAX_WEIGHTS:
        _forward_one_row(a, np.ascontiguousarray(U.T), b, hs, mask, has_mask, keep, hs_kept, has_keep)
        return
    how, UT, ahT = step_operands(U, B, by_rows)     # which product a step asks OpenBLAS for
    ah = np.empty((B, H), X_tm.dtype)
    for t in range(T):
        h_rec = recurrent_input(hs, keep, hs_kept, has_keep, t)
        step_product(h_rec, U, UT, ah, ahT, how)                        # h_(t-1) U^T: (B, H)
        for n in range(B):
            if has_mask and not mask[t, n]:
                hs[t + 1, n] = hs[t, n]
            else:
                for j in range(H):
                    hs[t + 1, n, j] = tanh(a[t, n, j] + ah[n, j] + b[j])


@njit(**JIT)
def _forward_one_row(a, UT, b, hs, mask, has_mask, keep, hs_kept, has_keep):
    """The steps of one sequence, each in one pass: a_t + b + h_(t-1) U^T summed into ``acc`` a row
    of ``UT`` (U.T, (H, H)) at a time, then tanh; what rnn_cython's onerow.hpp does in C++. With a
    small U a BLAS call a step costs more than its arithmetic: (1, 100, 32, 32) took 17 us instead of
    29, (1, 100, 32, 64) 39 instead of 44; at H = 96 and from B = 4 the BLAS loop was faster."""
    T = a.shape[0]
    H = UT.shape[0]
    acc = np.empty(H, a.dtype)
    for t in range(T):
        h_rec = recurrent_input(hs, keep, hs_kept, has_keep, t)
        if has_mask and not mask[t, 0]:
            hs[t + 1, 0] = hs[t, 0]
            continue
        for j in range(H):
            acc[j] = a[t, 0, j] + b[j]
        for k in range(H):                            # acc += h_(t-1)[k] * U.T[k]: (H,)
            h_k = h_rec[0, k]
            for j in range(H):
                acc[j] += h_k * UT[k, j]
        for j in range(H):
            hs[t + 1, 0, j] = tanh(acc[j])


def rnn_backward(dY, dhT, cache):
    """Same arguments and results as :func:`lstmx.rnn.rnn_backward`."""
    X, W, U = cache["X"], cache["W"], cache["U"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cached_time_major(cache)
    mask = cache["mask"]
    keep, has_keep = keep_or_empty(cache.get("recurrent_keep"), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    by_rows = steps_unpacked(1, B, T, H, H, X.itemsize)   # as the forward chose
    UT = np.ascontiguousarray(U.T) if copies_U_transposed(by_rows, T, B) else np.empty((0, 0), U.dtype)
    dX_tm, dW, dU, db = _backward(np.ascontiguousarray(dY), X_tm, W, U, cache["hs"], recurrent_operand(cache),
                                  time_major_mask(mask, B, T, ones=True), mask is not None, keep, has_keep, dh,
                                  workspace.empty((T, B, H), X.dtype), by_rows, UT)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db, dh


@njit(**JIT)
def _backward(dY, X_tm, W, U, hs, h_rec, mask, has_mask, keep, has_keep, dh, da, by_rows, UT):
    T, B, I = X_tm.shape
    H = U.shape[1]
    dh_rec = np.empty((B, H), X_tm.dtype)
    for t in range(T - 1, -1, -1):
        for n in range(B):
            masked = has_mask and not mask[t, n]
            for j in range(H):
                dh_j = dh[n, j] + dY[n, t, j]
                if masked:
                    da[t, n, j] = 0
                    dh[n, j] = dh_j
                else:
                    h = hs[t + 1, n, j]
                    da[t, n, j] = dh_j * one_minus(h * h)
                    dh[n, j] = 0
        recurrent_product(da[t], U, UT, dh_rec, by_rows)
        add_recurrent_gradient(dh, dh_rec, keep, has_keep)
    da2 = da.reshape(T * B, H)
    dW = np.dot(da2.T, X_tm.reshape(T * B, I))
    dU = np.dot(da2.T, h_rec.reshape(T * B, H))
    dX_tm = np.dot(da2, W).reshape(T, B, I)
    return dX_tm, dW, dU, da2.sum(axis=0)
