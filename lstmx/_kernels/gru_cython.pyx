"""GRU forward and backward in Cython, organised as :mod:`lstmx._kernels.lstm_cython` explains
(hoisted input projection, one packed-kernel product a step, fused rows, two threads sharing the
batch when it is large enough, weight gradients after the loop).

The GRU's reset gate multiplies the *recurrent* part of the candidate, ``r * (U_n h + b_hn)``, so
the step's recurrent product ``h @ U.T (B, 3H)`` goes into its own buffer ``ah`` instead of being
added to the input projection. Backward, the input side and the recurrent side get different
gradients (``dax = [dr dz dn]``, ``dah = [dr dz dn * r]``): both are kept for every step, and
``dW = dax^T X``, ``dU = dah^T H_prev``, ``dX = dax W`` are single products after the loop.
"""
import numpy as np

from . import _workspace as workspace
from ._layout import (cached_time_major, copies_U_transposed, keep_operands, keep_or_empty, projection_parts,
                      recurrent_operand, steps_unpacked, time_major, time_major_mask, weight_gradient_parts)

from cython.parallel cimport prange

from ._common cimport (add_row, batch_parts, copy_row, data_or_null, gemm_unpacked, gru_row_backward,
                       gru_row_forward, input_projection, multiply_rows, pack_in_parts, packed_buffer, real,
                       recurrent_gradient, step_gemm, transpose_into, weight_gradients)


def gru_forward(X, W, U, b, b_hn, h0, mask, recurrent_keep=None):
    """Same arguments and results as :func:`lstmx.gru.gru_forward`; C-contiguous arrays of one dtype."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)                               # (T, B, I)
    hs = workspace.empty((T + 1, B, H), X.dtype)
    gates = workspace.empty((T, B, 3 * H), X.dtype)
    hns = workspace.empty((T, B, H), X.dtype)
    hs[0] = h0
    keep, hs_kept, has_keep = keep_operands(recurrent_keep, T, B, H, X.dtype)
    parts = batch_parts(B, H)
    unpacked = steps_unpacked(parts, B, T, 3 * H, H, X.itemsize)   # U multiplied as stored, through BLAS
    projection = projection_parts(parts, unpacked, T, B, I, 3 * H)    # its threads, or 0 for BLAS
    _forward(X_tm, W, U, packed_buffer(I, 3 * H, X.dtype) if projection else None,
             None if unpacked else packed_buffer(H, 3 * H, X.dtype), b, b_hn, hs, gates, hns,
             np.empty((B, 3 * H), X.dtype),
             time_major_mask(mask, B, T), mask is not None, keep, hs_kept, has_keep, projection)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, gates=gates, hns=hns, mask=mask, recurrent_keep=recurrent_keep,
                 hs_kept=hs_kept if has_keep else None)
    return hs[1:].transpose(1, 0, 2), hs[T], cache


def _forward(real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] WT_packed, real[::1] UT_packed,
             real[::1] b, real[::1] b_hn, real[:, :, ::1] hs, real[:, :, ::1] gates, real[:, :, ::1] hns,
             real[:, ::1] ah, const unsigned char[:, ::1] mask, bint has_mask, real[:, ::1] keep,
             real[:, :, ::1] hs_kept, bint has_keep, int projection_parts=0):
    """``projection_parts``: the threads of the hoisted input projection, 0 for BLAS
    (``_layout.projection_parts``)."""
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int G = 3 * H, part, parts = batch_parts(B, H)
    cdef const real* keep_rows = &keep[0, 0] if has_keep else NULL
    with nogil:
        if UT_packed is not None:
            pack_in_parts(parts, &U[0, 0], H, True, H, G, &UT_packed[0])   # U.T (H, 3H), packed once
        # gates = X @ W.T for every step at once: (T*B, I) x (I, 3H)
        input_projection(projection_parts, &X_tm[0, 0, 0], T * B, I, &W[0, 0], data_or_null(WT_packed), G,
                         &gates[0, 0, 0])
        if parts == 1:
            _forward_rows(0, B, data_or_null(UT_packed), &b[0], &b_hn[0], hs, gates, hns, ah, mask, has_mask,
                          keep_rows, hs_kept, has_keep, &U[0, 0])
        else:
            for part in prange(parts, num_threads=parts, schedule="static"):
                _forward_rows(B * part // parts, B * (part + 1) // parts, &UT_packed[0], &b[0], &b_hn[0], hs, gates,
                              hns, ah, mask, has_mask, keep_rows, hs_kept, has_keep)


cdef void _forward_rows(int n0, int n1, const real* UT_packed, const real* b, const real* b_hn,
                        real[:, :, ::1] hs, real[:, :, ::1] gates, real[:, :, ::1] hns, real[:, ::1] ah,
                        const unsigned char[:, ::1] mask, bint has_mask, const real* keep, real[:, :, ::1] hs_kept,
                        bint has_keep, const real* U=NULL) noexcept nogil:
    """The time loop for the sequences n0 <= n < n1; ``gates`` holds x_t @ W.T. Without ``UT_packed``
    the steps multiply ``U`` as stored, through BLAS (``_layout.steps_unpacked``)."""
    cdef int T = gates.shape[0], H = hs.shape[2], G = 3 * H, rows = n1 - n0, t, n
    cdef const real* h_rec
    for t in range(T):
        h_rec = &hs[t, n0, 0]
        if has_keep:   # recurrent dropout: U meets h_(t-1) * keep (the update below mixes in h_(t-1) itself)
            h_rec = multiply_rows(&hs_kept[t, n0, 0], h_rec, keep + <long>n0 * H, <long>rows * H)
        # ah = h_(t-1) @ U.T: (rows, H) x (H, 3H)
        if UT_packed != NULL:
            step_gemm(h_rec, H, rows, H, UT_packed, G, &ah[n0, 0], G, False)
        else:
            gemm_unpacked(True, rows, G, H, h_rec, H, U, H, 0.0, &ah[n0, 0], G)
        for n in range(n0, n1):
            if has_mask and not mask[t, n]:
                copy_row(&hs[t + 1, n, 0], &hs[t, n, 0], H)
            else:
                gru_row_forward(&gates[t, n, 0], b, &ah[n, 0], b_hn, &hs[t, n, 0], &hns[t, n, 0], &hs[t + 1, n, 0], H)


def gru_backward(dY, dhT, cache):
    """Same arguments and results as :func:`lstmx.gru.gru_backward`."""
    X, W, U, hs = cache["X"], cache["W"], cache["U"], cache["hs"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cached_time_major(cache)
    dax = workspace.empty((T, B, 3 * H), X.dtype)
    dah = workspace.empty((T, B, 3 * H), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    dX_tm = workspace.empty((T, B, I), X.dtype)
    dW, dU = np.empty_like(W), np.empty_like(U)
    mask = cache["mask"]
    keep, has_keep = keep_or_empty(cache.get("recurrent_keep"), X.dtype)
    parts = batch_parts(B, H)
    db_parts, db_hn_parts = np.zeros((parts, 3 * H), X.dtype), np.zeros((parts, H), X.dtype)   # a thread's share
    unpacked = steps_unpacked(parts, B, T, 3 * H, H, X.itemsize)   # U multiplied as stored, through BLAS
    transpose_U = copies_U_transposed(unpacked, T, B)                # U.T copied once for the backward
    gradients = weight_gradient_parts(parts, unpacked, T, B, I, 3 * H, H)   # their threads, or 0 for BLAS
    _backward(np.ascontiguousarray(dY), X_tm, W, U, None if unpacked else packed_buffer(3 * H, H, X.dtype),
              packed_buffer(3 * H, I, X.dtype) if gradients else None,
              packed_buffer(T * B, I, X.dtype) if gradients else None,
              packed_buffer(T * B, H, X.dtype) if gradients else None, hs, recurrent_operand(cache), cache["gates"],
              cache["hns"], time_major_mask(mask, B, T), mask is not None, keep, np.empty_like(keep), has_keep,
              dax, dah, dh, dX_tm, dW, dU, db_parts, db_hn_parts,
              UT_rows=workspace.empty((3 * H * H,), X.dtype) if transpose_U else None, gradient_parts=gradients)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db_parts.sum(axis=0), db_hn_parts.sum(axis=0), dh


def _backward(real[:, :, ::1] dY, real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] U_packed,
              real[::1] W_packed, real[::1] X_packed, real[::1] H_packed, real[:, :, ::1] hs,
              real[:, :, ::1] h_rec, real[:, :, ::1] gates, real[:, :, ::1] hns, const unsigned char[:, ::1] mask,
              bint has_mask, real[:, ::1] keep, real[:, ::1] dh_rec, bint has_keep,
              real[:, :, ::1] dax, real[:, :, ::1] dah, real[:, ::1] dh, real[:, :, ::1] dX_tm,
              real[:, ::1] dW, real[:, ::1] dU, real[:, ::1] db_parts, real[:, ::1] db_hn_parts,
              real[::1] UT_rows=None, int gradient_parts=0):
    """``h_rec`` (T, B, H): h_(t-1) as U met it, for dU; ``keep`` and ``dh_rec`` (B, H) with
    recurrent dropout (empty without). ``gradient_parts``: the weight gradients' threads, 0 for BLAS."""
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int G = 3 * H, part, parts = batch_parts(B, H)
    cdef const real* keep_rows = &keep[0, 0] if has_keep else NULL
    cdef real* dh_rec_rows = &dh_rec[0, 0] if has_keep else NULL
    with nogil:
        if U_packed is not None:
            pack_in_parts(parts, &U[0, 0], H, False, G, H, &U_packed[0])   # U (3H, H), packed once for the loop
        elif UT_rows is not None:   # U.T (H, 3H) as rows, once for the loop's matrix-vector products
            transpose_into(&U[0, 0], H, H, G, &UT_rows[0], G)
        for part in prange(parts, num_threads=parts, schedule="static"):
            _backward_rows(B * part // parts, B * (part + 1) // parts, dY, data_or_null(U_packed), &U[0, 0],
                           data_or_null(UT_rows), hs, gates, hns, mask, has_mask, keep_rows, dh_rec_rows, has_keep,
                           dax, dah, dh, &db_parts[part, 0], &db_hn_parts[part, 0])
        weight_gradients(gradient_parts, &dax[0, 0, 0], &dah[0, 0, 0], T * B, G, I, H, &X_tm[0, 0, 0],
                         &h_rec[0, 0, 0], &W[0, 0], data_or_null(X_packed), data_or_null(H_packed),
                         data_or_null(W_packed), &dW[0, 0], &dU[0, 0], &dX_tm[0, 0, 0])


cdef void _backward_rows(int n0, int n1, real[:, :, ::1] dY, const real* U_packed, const real* U,
                         const real* UT, real[:, :, ::1] hs, real[:, :, ::1] gates, real[:, :, ::1] hns,
                         const unsigned char[:, ::1] mask, bint has_mask, const real* keep, real* dh_rec,
                         bint has_keep, real[:, :, ::1] dax, real[:, :, ::1] dah, real[:, ::1] dh, real* db,
                         real* db_hn) noexcept nogil:
    """Backpropagation through time for the sequences n0 <= n < n1; their shares of db and db_hn are
    added to db and db_hn."""
    cdef int T = gates.shape[0], H = dh.shape[1], G = 3 * H, t, n, j
    for t in range(T - 1, -1, -1):
        for n in range(n0, n1):
            if has_mask and not mask[t, n]:   # h was carried: so is its gradient
                for j in range(G):
                    dax[t, n, j] = 0
                    dah[t, n, j] = 0
                for j in range(H):
                    dh[n, j] += dY[n, t, j]
            else:
                gru_row_backward(&gates[t, n, 0], &hns[t, n, 0], &hs[t, n, 0], &dY[n, t, 0],
                                 &dh[n, 0], &dax[t, n, 0], &dah[t, n, 0], H)
                add_row(db, &dax[t, n, 0], G)
                add_row(db_hn, &dah[t, n, 2 * H], H)             # d(U_n h + b_hn): the candidate's part
        # dh_(t-1) = z * dh (left in dh above) + dah_t @ U
        recurrent_gradient(&dah[t, n0, 0], G, n1 - n0, G, U_packed, H, &dh[n0, 0],
                           dh_rec + <long>n0 * H if has_keep else NULL, keep + <long>n0 * H if has_keep else NULL,
                           has_keep, U, UT)
