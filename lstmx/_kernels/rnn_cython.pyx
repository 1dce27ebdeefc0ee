"""Simple tanh RNN forward and backward in Cython, organised as :mod:`lstmx._kernels.lstm_cython`
explains: the input projection hoisted into one GEMM, one GEMM a step, the tanh fused after it,
and the parameter gradients as single GEMMs after the backward loop."""
import numpy as np

from ._layout import packed_buffer, time_major, time_major_mask

from ._common cimport column_sums, copy_row, gemm, pack_panels, step_gemm, real, rnn_row_backward, rnn_row_forward


def rnn_forward(X, W, U, b, h0, mask):
    """Same arguments and results as :func:`lstmx.rnn.rnn_forward`; C-contiguous arrays of one dtype."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)                               # (T, B, I)
    hs = np.empty((T + 1, B, H), X.dtype)
    hs[0] = h0
    _forward(X_tm, W, U, packed_buffer(H, H, X.dtype), b, hs, np.empty((T, B, H), X.dtype),
             time_major_mask(mask, B, T), mask is not None)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, mask=mask)
    return hs[1:].transpose(1, 0, 2), hs[T], cache


def _forward(real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] UT_packed, real[::1] b, real[:, :, ::1] hs,
             real[:, :, ::1] a, const unsigned char[:, ::1] mask, bint has_mask):
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1], t, n
    with nogil:
        pack_panels(&U[0, 0], H, True, H, H, &UT_packed[0])   # U.T, packed once for the loop
        # a = X @ W.T for every step at once: (T*B, I) x (I, H)
        gemm(False, True, T * B, H, I, 1.0, &X_tm[0, 0, 0], I, &W[0, 0], I, 0.0, &a[0, 0, 0], H)
        for t in range(T):
            # a[t] += h_(t-1) @ U.T: (B, H) x (H, H)
            step_gemm(&hs[t, 0, 0], H, B, H, &UT_packed[0], H, &a[t, 0, 0], H, True)
            for n in range(B):
                if has_mask and not mask[t, n]:
                    copy_row(&hs[t + 1, n, 0], &hs[t, n, 0], H)
                else:
                    rnn_row_forward(&a[t, n, 0], &b[0], &hs[t + 1, n, 0], H)


def rnn_backward(dY, dhT, cache):
    """Same arguments and results as :func:`lstmx.rnn.rnn_backward`."""
    X, W, U = cache["X"], cache["W"], cache["U"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cache.get("X_tm")
    if X_tm is None:
        X_tm = time_major(X)
    da = np.empty((T, B, H), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    dX_tm = np.empty((T, B, I), X.dtype)
    dW, dU, db = np.empty_like(W), np.empty_like(U), np.empty(H, X.dtype)
    mask = cache["mask"]
    _backward(np.ascontiguousarray(dY), X_tm, W, U, packed_buffer(H, H, X.dtype), cache["hs"], time_major_mask(mask, B, T), mask is not None,
              da, dh, dX_tm, dW, dU, db)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db, dh


def _backward(real[:, :, ::1] dY, real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] U_packed,
              real[:, :, ::1] hs,
              const unsigned char[:, ::1] mask, bint has_mask, real[:, :, ::1] da, real[:, ::1] dh,
              real[:, :, ::1] dX_tm, real[:, ::1] dW, real[:, ::1] dU, real[::1] db):
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1], t, n, j
    with nogil:
        pack_panels(&U[0, 0], H, False, H, H, &U_packed[0])
        for t in range(T - 1, -1, -1):
            for n in range(B):
                if has_mask and not mask[t, n]:
                    for j in range(H):
                        da[t, n, j] = 0
                        dh[n, j] += dY[n, t, j]
                else:
                    rnn_row_backward(&hs[t + 1, n, 0], &dY[n, t, 0], &dh[n, 0], &da[t, n, 0], H)
            step_gemm(&da[t, 0, 0], H, B, H, &U_packed[0], H, &dh[0, 0], H, True)
        gemm(True, False, H, I, T * B, 1.0, &da[0, 0, 0], H, &X_tm[0, 0, 0], I, 0.0, &dW[0, 0], I)
        gemm(True, False, H, H, T * B, 1.0, &da[0, 0, 0], H, &hs[0, 0, 0], H, 0.0, &dU[0, 0], H)
        gemm(False, False, T * B, I, H, 1.0, &da[0, 0, 0], H, &W[0, 0], I, 0.0, &dX_tm[0, 0, 0], I)
        column_sums(&da[0, 0, 0], T * B, H, &db[0])
