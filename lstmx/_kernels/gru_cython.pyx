"""GRU forward and backward in Cython, organised as :mod:`lstmx._kernels.lstm_cython` explains.

The GRU's reset gate multiplies the *recurrent* part of the candidate, ``r * (U_n h + b_hn)``, so
the step's recurrent product ``h @ U.T (B, 3H)`` goes into its own buffer ``ah`` instead of being
added to the hoisted input projection. Backward, the input side and the recurrent side get
different gradients (``dax = [dr dz dn]``, ``dah = [dr dz dn * r]``): both are kept for every step,
and ``dW = dax^T X``, ``dU = dah^T H_prev``, ``dX = dax W`` are single GEMMs after the loop.
"""
import numpy as np

from ._layout import packed_buffer, time_major, time_major_mask

from ._common cimport column_sums, copy_row, gemm, pack_panels, step_gemm, gru_row_backward, gru_row_forward, real


def gru_forward(X, W, U, b, b_hn, h0, mask):
    """Same arguments and results as :func:`lstmx.gru.gru_forward`; C-contiguous arrays of one dtype."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)                               # (T, B, I)
    hs = np.empty((T + 1, B, H), X.dtype)
    gates = np.empty((T, B, 3 * H), X.dtype)
    hns = np.empty((T, B, H), X.dtype)
    hs[0] = h0
    _forward(X_tm, W, U, packed_buffer(H, 3 * H, X.dtype), b, b_hn, hs, gates, hns, np.empty((B, 3 * H), X.dtype),
             time_major_mask(mask, B, T), mask is not None)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, gates=gates, hns=hns, mask=mask)
    return hs[1:].transpose(1, 0, 2), hs[T], cache


def _forward(real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] UT_packed, real[::1] b, real[::1] b_hn,
             real[:, :, ::1] hs, real[:, :, ::1] gates, real[:, :, ::1] hns, real[:, ::1] ah,
             const unsigned char[:, ::1] mask, bint has_mask):
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int G = 3 * H, t, n
    with nogil:
        pack_panels(&U[0, 0], H, True, H, G, &UT_packed[0])   # U.T (H, 3H), packed once for the loop
        # gates = X @ W.T for every step at once: (T*B, I) x (I, 3H)
        gemm(False, True, T * B, G, I, 1.0, &X_tm[0, 0, 0], I, &W[0, 0], I, 0.0, &gates[0, 0, 0], G)
        for t in range(T):
            # ah = h_(t-1) @ U.T: (B, H) x (H, 3H)
            step_gemm(&hs[t, 0, 0], H, B, H, &UT_packed[0], G, &ah[0, 0], G, False)
            for n in range(B):
                if has_mask and not mask[t, n]:
                    copy_row(&hs[t + 1, n, 0], &hs[t, n, 0], H)
                else:
                    gru_row_forward(&gates[t, n, 0], &b[0], &ah[n, 0], &b_hn[0], &hs[t, n, 0],
                                    &hns[t, n, 0], &hs[t + 1, n, 0], H)


def gru_backward(dY, dhT, cache):
    """Same arguments and results as :func:`lstmx.gru.gru_backward`."""
    X, W, U = cache["X"], cache["W"], cache["U"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cache.get("X_tm")
    if X_tm is None:
        X_tm = time_major(X)
    dax = np.empty((T, B, 3 * H), X.dtype)
    dah = np.empty((T, B, 3 * H), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    dX_tm = np.empty((T, B, I), X.dtype)
    dW, dU, db = np.empty_like(W), np.empty_like(U), np.empty(3 * H, X.dtype)
    db_h = np.empty(3 * H, X.dtype)
    mask = cache["mask"]
    _backward(np.ascontiguousarray(dY), X_tm, W, U, packed_buffer(3 * H, H, X.dtype), cache["hs"], cache["gates"], cache["hns"],
              time_major_mask(mask, B, T), mask is not None, dax, dah, dh, dX_tm, dW, dU, db, db_h)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db, db_h[2 * H:].copy(), dh


def _backward(real[:, :, ::1] dY, real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] U_packed,
              real[:, :, ::1] hs, real[:, :, ::1] gates, real[:, :, ::1] hns,
              const unsigned char[:, ::1] mask, bint has_mask, real[:, :, ::1] dax, real[:, :, ::1] dah,
              real[:, ::1] dh, real[:, :, ::1] dX_tm, real[:, ::1] dW, real[:, ::1] dU,
              real[::1] db, real[::1] db_h):
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int G = 3 * H, t, n, j
    with nogil:
        pack_panels(&U[0, 0], H, False, G, H, &U_packed[0])
        for t in range(T - 1, -1, -1):
            for n in range(B):
                if has_mask and not mask[t, n]:   # h was carried: so is its gradient
                    for j in range(G):
                        dax[t, n, j] = 0
                        dah[t, n, j] = 0
                    for j in range(H):
                        dh[n, j] += dY[n, t, j]
                else:
                    gru_row_backward(&gates[t, n, 0], &hns[t, n, 0], &hs[t, n, 0], &dY[n, t, 0],
                                     &dh[n, 0], &dax[t, n, 0], &dah[t, n, 0], H)
            # dh_(t-1) = z * dh (left in dh above) + dah_t @ U
            step_gemm(&dah[t, 0, 0], G, B, G, &U_packed[0], H, &dh[0, 0], H, True)
        gemm(True, False, G, I, T * B, 1.0, &dax[0, 0, 0], G, &X_tm[0, 0, 0], I, 0.0, &dW[0, 0], I)
        gemm(True, False, G, H, T * B, 1.0, &dah[0, 0, 0], G, &hs[0, 0, 0], H, 0.0, &dU[0, 0], H)
        gemm(False, False, T * B, I, G, 1.0, &dax[0, 0, 0], G, &W[0, 0], I, 0.0, &dX_tm[0, 0, 0], I)
        column_sums(&dax[0, 0, 0], T * B, G, &db[0])
        column_sums(&dah[0, 0, 0], T * B, G, &db_h[0])   # its last H entries are d b_hn
