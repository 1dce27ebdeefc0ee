"""Simple tanh RNN forward and backward in Cython, organised as :mod:`lstmx._kernels.lstm_cython`
explains: the input projection hoisted out of the recurrence, one packed-kernel product a step,
the tanh fused after it, two threads sharing a large batch, and the parameter gradients as single
products after the backward loop."""
import numpy as np

from . import _workspace as workspace
from ._layout import (cached_time_major, copies_U_transposed, keep_operands, keep_or_empty, projection_parts,
                      recurrent_operand, steps_unpacked, time_major, time_major_mask, weight_gradient_parts)

from cython.parallel cimport prange

from ._common cimport (add_row, batch_parts, copy_row, data_or_null, gemm_unpacked, input_projection,
                       multiply_rows, pack_in_parts, packed_buffer, real, recurrent_gradient, rnn_one_row_step,
                       rnn_row_backward, rnn_row_forward, step_gemm, transpose_into, weight_gradients)


def rnn_forward(X, W, U, b, h0, mask, recurrent_keep=None):
    """Same arguments and results as :func:`lstmx.rnn.rnn_forward`; C-contiguous arrays of one dtype."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)                               # (T, B, I)
    hs = workspace.empty((T + 1, B, H), X.dtype)
    hs[0] = h0
    keep, hs_kept, has_keep = keep_operands(recurrent_keep, T, B, H, X.dtype)
    parts = batch_parts(B, H)
    unpacked = steps_unpacked(parts, B, T, H, H, X.itemsize)   # U multiplied as stored, through BLAS
    projection = projection_parts(parts, unpacked, T, B, I, H)    # its threads, or 0 for BLAS
    _forward(X_tm, W, U, packed_buffer(I, H, X.dtype) if projection else None,
             None if unpacked else packed_buffer(H, H, X.dtype),
             b, hs, workspace.empty((T, B, H), X.dtype), time_major_mask(mask, B, T), mask is not None,
             keep, hs_kept, has_keep, projection)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, mask=mask, recurrent_keep=recurrent_keep,
                 hs_kept=hs_kept if has_keep else None)
    return hs[1:].transpose(1, 0, 2), hs[T], cache


def _forward(real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] WT_packed, real[::1] UT_packed,
             real[::1] b, real[:, :, ::1] hs, real[:, :, ::1] a, const unsigned char[:, ::1] mask, bint has_mask,
             real[:, ::1] keep, real[:, :, ::1] hs_kept, bint has_keep, int projection_parts=0):
    """``projection_parts``: the threads of the hoisted input projection, 0 for BLAS
    (``_layout.projection_parts``)."""
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int part, parts = batch_parts(B, H)
    cdef const real* keep_rows = &keep[0, 0] if has_keep else NULL
    with nogil:
        if UT_packed is not None:
            pack_in_parts(parts, &U[0, 0], H, True, H, H, &UT_packed[0])   # U.T, packed once
        # a = X @ W.T for every step at once: (T*B, I) x (I, H)
        input_projection(projection_parts, &X_tm[0, 0, 0], T * B, I, &W[0, 0], data_or_null(WT_packed), H,
                         &a[0, 0, 0])
        if parts == 1:
            _forward_rows(0, B, data_or_null(UT_packed), &b[0], hs, a, mask, has_mask, keep_rows, hs_kept, has_keep,
                          &U[0, 0])
        else:
            for part in prange(parts, num_threads=parts, schedule="static"):
                _forward_rows(B * part // parts, B * (part + 1) // parts, &UT_packed[0], &b[0], hs, a, mask, has_mask,
                              keep_rows, hs_kept, has_keep)


cdef void _forward_rows(int n0, int n1, const real* UT_packed, const real* b, real[:, :, ::1] hs,
                        real[:, :, ::1] a, const unsigned char[:, ::1] mask, bint has_mask, const real* keep,
                        real[:, :, ::1] hs_kept, bint has_keep, const real* U=NULL) noexcept nogil:
    """The time loop for the sequences n0 <= n < n1; ``a`` holds x_t @ W.T. Without ``UT_packed`` the
    steps multiply ``U`` as stored, through BLAS (``_layout.steps_unpacked``)."""
    cdef int T = a.shape[0], H = hs.shape[2], rows = n1 - n0, t, n
    cdef const real* h_rec
    for t in range(T):
        h_rec = &hs[t, n0, 0]
        if has_keep:   # recurrent dropout: U meets h_(t-1) * keep
            h_rec = multiply_rows(&hs_kept[t, n0, 0], h_rec, keep + <long>n0 * H, <long>rows * H)
        if rows == 1 and UT_packed != NULL and not (has_mask and not mask[t, n0]):
            # one sequence: h_t = tanh(a[t] + b + h_(t-1) @ U.T) in one pass (a chain of latencies)
            rnn_one_row_step(h_rec, H, UT_packed, &a[t, n0, 0], b, &hs[t + 1, n0, 0])
            continue
        # a[t] += h_(t-1) @ U.T: (rows, H) x (H, H)
        if UT_packed != NULL:
            step_gemm(h_rec, H, rows, H, UT_packed, H, &a[t, n0, 0], H, True)
        else:
            gemm_unpacked(True, rows, H, H, h_rec, H, U, H, 1.0, &a[t, n0, 0], H)
        for n in range(n0, n1):
            if has_mask and not mask[t, n]:
                copy_row(&hs[t + 1, n, 0], &hs[t, n, 0], H)
            else:
                rnn_row_forward(&a[t, n, 0], b, &hs[t + 1, n, 0], H)


def rnn_backward(dY, dhT, cache):
    """Same arguments and results as :func:`lstmx.rnn.rnn_backward`."""
    X, W, U, hs = cache["X"], cache["W"], cache["U"], cache["hs"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cached_time_major(cache)
    da = workspace.empty((T, B, H), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    dX_tm = workspace.empty((T, B, I), X.dtype)
    dW, dU = np.empty_like(W), np.empty_like(U)
    mask = cache["mask"]
    keep, has_keep = keep_or_empty(cache.get("recurrent_keep"), X.dtype)
    parts = batch_parts(B, H)
    db_parts = np.zeros((parts, H), X.dtype)       # each thread's share of db
    unpacked = steps_unpacked(parts, B, T, H, H, X.itemsize)   # U multiplied as stored, through BLAS
    transpose_U = copies_U_transposed(unpacked, T, B)                # U.T copied once for the backward
    gradients = weight_gradient_parts(parts, unpacked, T, B, I, H, H)   # their threads, or 0 for BLAS
    _backward(np.ascontiguousarray(dY), X_tm, W, U, None if unpacked else packed_buffer(H, H, X.dtype),
              packed_buffer(H, I, X.dtype) if gradients else None,
              packed_buffer(T * B, I, X.dtype) if gradients else None,
              packed_buffer(T * B, H, X.dtype) if gradients else None, hs, recurrent_operand(cache),
              time_major_mask(mask, B, T), mask is not None, keep, np.empty_like(keep), has_keep, da, dh, dX_tm,
              dW, dU, db_parts,
              UT_rows=workspace.empty((H * H,), X.dtype) if transpose_U else None, gradient_parts=gradients)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db_parts.sum(axis=0), dh


def _backward(real[:, :, ::1] dY, real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] U_packed,
              real[::1] W_packed, real[::1] X_packed, real[::1] H_packed, real[:, :, ::1] hs,
              real[:, :, ::1] h_rec, const unsigned char[:, ::1] mask, bint has_mask, real[:, ::1] keep,
              real[:, ::1] dh_rec, bint has_keep, real[:, :, ::1] da, real[:, ::1] dh,
              real[:, :, ::1] dX_tm, real[:, ::1] dW, real[:, ::1] dU, real[:, ::1] db_parts,
              real[::1] UT_rows=None, int gradient_parts=0):
    """``h_rec`` (T, B, H): h_(t-1) as U met it, for dU; ``keep`` and ``dh_rec`` (B, H) with
    recurrent dropout (empty without). ``gradient_parts``: the weight gradients' threads, 0 for BLAS."""
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int G = H, part, parts = batch_parts(B, H)
    cdef const real* keep_rows = &keep[0, 0] if has_keep else NULL
    cdef real* dh_rec_rows = &dh_rec[0, 0] if has_keep else NULL
    with nogil:
        if U_packed is not None:
            pack_in_parts(parts, &U[0, 0], H, False, H, H, &U_packed[0])
        elif UT_rows is not None:   # U.T (H, H) as rows, once for the loop's matrix-vector products
            transpose_into(&U[0, 0], H, H, H, &UT_rows[0], H)
        for part in prange(parts, num_threads=parts, schedule="static"):
            _backward_rows(B * part // parts, B * (part + 1) // parts, dY, data_or_null(U_packed), &U[0, 0],
                           data_or_null(UT_rows), hs, mask, has_mask, keep_rows, dh_rec_rows, has_keep, da, dh,
                           &db_parts[part, 0])
        weight_gradients(gradient_parts, &da[0, 0, 0], &da[0, 0, 0], T * B, G, I, H, &X_tm[0, 0, 0],
                         &h_rec[0, 0, 0], &W[0, 0], data_or_null(X_packed), data_or_null(H_packed),
                         data_or_null(W_packed), &dW[0, 0], &dU[0, 0], &dX_tm[0, 0, 0])


cdef void _backward_rows(int n0, int n1, real[:, :, ::1] dY, const real* U_packed, const real* U,
                         const real* UT, real[:, :, ::1] hs, const unsigned char[:, ::1] mask, bint has_mask,
                         const real* keep, real* dh_rec, bint has_keep, real[:, :, ::1] da, real[:, ::1] dh,
                         real* db) noexcept nogil:
    """Backpropagation through time for the sequences n0 <= n < n1; their share of db is added to db."""
    cdef int T = da.shape[0], H = dh.shape[1], t, n, j
    for t in range(T - 1, -1, -1):
        for n in range(n0, n1):
            if has_mask and not mask[t, n]:
                for j in range(H):
                    da[t, n, j] = 0
                    dh[n, j] += dY[n, t, j]
            else:
                rnn_row_backward(&hs[t + 1, n, 0], &dY[n, t, 0], &dh[n, 0], &da[t, n, 0], H)
                add_row(db, &da[t, n, 0], H)
        # dh_(t-1) += da_t @ U
        recurrent_gradient(&da[t, n0, 0], H, n1 - n0, H, U_packed, H, &dh[n0, 0],
                           dh_rec + <long>n0 * H if has_keep else NULL, keep + <long>n0 * H if has_keep else NULL,
                           has_keep, U, UT)
