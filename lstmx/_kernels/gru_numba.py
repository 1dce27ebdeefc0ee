"""GRU forward and backward in Numba, with the design of :mod:`lstmx._kernels.gru_cython`."""
import numpy as np
from numba import njit

from . import _workspace as workspace
from ._layout import (cached_time_major, copies_U_transposed, keep_operands, keep_or_empty, recurrent_operand,
                      steps_unpacked, time_major, time_major_mask)
from ._numba_math import JIT, one_minus, sigmoid, tanh
from ._numba_product import (add_recurrent_gradient, recurrent_input, recurrent_product, step_operands,
                             step_product)


def gru_forward(X, W, U, b, b_hn, h0, mask, recurrent_keep=None):
    """Same arguments and results as :func:`lstmx.gru.gru_forward`."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)
    hs = workspace.empty((T + 1, B, H), X.dtype)
    gates = workspace.empty((T, B, 3 * H), X.dtype)
    hns = workspace.empty((T, B, H), X.dtype)
    hs[0] = h0
    keep, hs_kept, has_keep = keep_operands(recurrent_keep, T, B, H, X.dtype)
    by_rows = steps_unpacked(1, B, T, 3 * H, H, X.itemsize)   # a matrix-vector product a row (see _layout)
    _forward(X_tm, W, U, b, b_hn, hs, gates, hns, time_major_mask(mask, B, T, ones=True), mask is not None,
             keep, hs_kept, has_keep, by_rows)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, gates=gates, hns=hns, mask=mask, recurrent_keep=recurrent_keep,
                 hs_kept=hs_kept if has_keep else None)
    return hs[1:].transpose(1, 0, 2), hs[T], cache


@njit(**JIT)
def _forward(X_tm, W, U, b, b_hn, hs, gates, hns, mask, has_mask, keep, hs_kept, has_keep, by_rows):
    T, B, I = X_tm.shape
    H = U.shape[1]
    np.dot(X_tm.reshape(T * B, I), W.T, gates.reshape(T * B, 3 * H))   # x W^T, all steps
    ah = np.empty((B, 3 * H), X_tm.dtype)
    how, UT, ahT = step_operands(U, B, by_rows)     # which product a step asks OpenBLAS for
    for t in range(T):
        h_rec = recurrent_input(hs, keep, hs_kept, has_keep, t)
        step_product(h_rec, U, UT, ah, ahT, how)                        # h_(t-1) U^T: (B, 3H)
        for n in range(B):
            if has_mask and not mask[t, n]:
                hs[t + 1, n] = hs[t, n]
            else:
                _row_forward(gates[t, n], b, ah[n], b_hn, hs[t, n], hns[t, n], hs[t + 1, n], H)


@njit(**JIT)
def _row_forward(ax, b, ah, b_hn, h_prev, hn, h, H):
    """ax (3H,) = x W^T in, [r z n] out; hn = U_n h + b_hn and h (H,) out."""
    for j in range(2 * H):
        ax[j] = sigmoid(ax[j] + b[j] + ah[j])                        # r, z
    for j in range(H):
        hn[j] = ah[2 * H + j] + b_hn[j]
        n = tanh(ax[2 * H + j] + b[2 * H + j] + ax[j] * hn[j])       # n = tanh(W_n x + b_n + r * hn)
        ax[2 * H + j] = n
        z = ax[H + j]
        h[j] = one_minus(z) * n + z * h_prev[j]


def gru_backward(dY, dhT, cache):
    """Same arguments and results as :func:`lstmx.gru.gru_backward`."""
    X, W, U = cache["X"], cache["W"], cache["U"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cached_time_major(cache)
    mask = cache["mask"]
    keep, has_keep = keep_or_empty(cache.get("recurrent_keep"), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    by_rows = steps_unpacked(1, B, T, 3 * H, H, X.itemsize)   # as the forward chose
    UT = np.ascontiguousarray(U.T) if copies_U_transposed(by_rows, T, B) else np.empty((0, 0), U.dtype)
    dX_tm, dW, dU, db, db_hn = _backward(np.ascontiguousarray(dY), X_tm, W, U, cache["hs"], recurrent_operand(cache),
                                         cache["gates"], cache["hns"], time_major_mask(mask, B, T, ones=True),
                                         mask is not None, keep, has_keep, dh,
                                         workspace.empty((T, B, 3 * H), X.dtype),
                                         workspace.empty((T, B, 3 * H), X.dtype), by_rows, UT)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db, db_hn, dh


@njit(**JIT)
def _backward(dY, X_tm, W, U, hs, h_rec, gates, hns, mask, has_mask, keep, has_keep, dh, dax, dah, by_rows, UT):
    T, B, I = X_tm.shape
    H = U.shape[1]
    dh_rec = np.empty((B, H), X_tm.dtype)
    for t in range(T - 1, -1, -1):
        for n in range(B):
            if has_mask and not mask[t, n]:
                dax[t, n] = 0
                dah[t, n] = 0
                for j in range(H):
                    dh[n, j] += dY[n, t, j]
            else:
                _row_backward(gates[t, n], hns[t, n], hs[t, n], dY[n, t], dh[n], dax[t, n], dah[t, n], H)
        recurrent_product(dah[t], U, UT, dh_rec, by_rows)   # dh_(t-1) = z * dh + dah_t U
        add_recurrent_gradient(dh, dh_rec, keep, has_keep)
    dax2, dah2 = dax.reshape(T * B, 3 * H), dah.reshape(T * B, 3 * H)
    dW = np.dot(dax2.T, X_tm.reshape(T * B, I))
    dU = np.dot(dah2.T, h_rec.reshape(T * B, H))
    dX_tm = np.dot(dax2, W).reshape(T, B, I)
    return dX_tm, dW, dU, dax2.sum(axis=0), dah2[:, 2 * H:].sum(axis=0)


@njit(**JIT)
def _row_backward(g, hn, h_prev, dy, dh, dax, dah, H):
    for j in range(H):
        r, z, n = g[j], g[H + j], g[2 * H + j]
        dh_j = dh[j] + dy[j]
        dan = dh_j * one_minus(z) * one_minus(n * n)
        dar = dan * hn[j] * r * one_minus(r)
        daz = dh_j * (h_prev[j] - n) * z * one_minus(z)
        dax[j], dax[H + j], dax[2 * H + j] = dar, daz, dan
        dah[j], dah[H + j], dah[2 * H + j] = dar, daz, dan * r
        dh[j] = dh_j * z
