"""LSTM forward and backward in Cython: the reference's equations, organised the way fast CPU RNNs are.

1. The input projection does not depend on the recurrence, so it is *hoisted* out of the time loop:
   ``gates = X @ W.T`` for all T steps, before the first step.
2. In the loop only the recurrent product is sequential: ``gates[t] += h_(t-1) @ U.T``, one GEMM a
   step, ``(B, H) x (H, 4H)``. Its right-hand side is the same at every step, so it is packed once
   per sequence for a register-blocked kernel (``step_gemm`` in ``stepgemm.hpp``) instead of
   being re-packed by BLAS at every call. Not for a step or a few, nor for one or two sequences
   whose U is larger than L2: there the loop multiplies U as stored, a BLAS matrix-vector product a
   row (``_layout.steps_unpacked``).
3. The bias, the four nonlinearities, the cell update and the mask are *fused* into one pass over the
   step's ``(B, 4H)`` block, which is still in cache from the GEMM (``lstm_row_forward`` in
   ``cells.hpp``, one call per sequence).
4. The sequences of a batch never interact, so for large enough batches two threads each run the
   whole time loop on half of the batch, with no synchronisation between steps. (Splitting each
   step's GEMM instead needs two barriers a step, and loses on two cores.) With two threads the
   input projection of step 1 is done by the same packed kernel, each thread taking half of the
   T*B rows, so no BLAS thread pool competes with them for the cores; with one thread it is a
   single BLAS GEMM. Where U does not fit a core's L2 cache (32 rows, or 48 with I <= H; float32),
   the threads split the hidden units instead, each reading half of U once a step
   (``lstm_units.hpp``); the gates of that forward stay in its own layout until the backward reads
   ``cache["gates"]``.

Backward, only ``dh_(t-1) = dgates_t @ U`` is sequential (split between threads the same way). The
loop stores ``dgates`` of every step; after it ``dW = dgates^T X``, ``dU = dgates^T H_prev`` and
``dX = dgates W`` are single products over all ``T*B`` rows (BLAS with one thread, the packed
kernel shared by the threads otherwise). ``db`` is summed in the loop, each row as it is made.

Recurrent dropout (``recurrent_keep``, one (H,) mask a sequence): each step multiplies its rows of
``h_(t-1)`` by the mask before the product with ``U.T`` and keeps them (``hs_kept``) for ``dU``;
backward, the product ``dgates_t @ U`` is multiplied by the same mask before it is added to
``dh_(t-1)`` (``multiply_rows`` and ``recurrent_gradient`` in ``_common.pxd``). The batch still runs
together, at the cost of one multiplication per number of ``h``.

Arrays are time-major inside (``X_tm (T, B, I)``, ``hs (T+1, B, H)``), so each step's rows are
contiguous. The functions take arrays already validated by :mod:`lstmx.functional`.
"""
import numpy as np

from . import _workspace as workspace
from ._layout import (cached_time_major, copies_U_transposed, keep_operands, keep_or_empty, projection_ahead,
                      projection_parts, recurrent_operand, steps_unpacked, time_major, time_major_mask,
                      weight_gradient_parts)

from cython.parallel cimport prange

cdef extern from "lstm_units.hpp" namespace "lstmx" nogil:
    # the time loop split by hidden unit between two threads, the batch along the lanes (float32)
    bint units_split_applies(int B, int I, int H)
    long units_gates_size(int T, int B, int H)
    long units_work_size(int T, int B, int I, int H)
    void lstm_forward_units(int T, int B, int I, int H, const float* X, const float* W, const float* U,
                            const float* b, float* W_packed, float* U_packed, float* preT, float* hs, float* cs,
                            const unsigned char* mask, float* work, int threads)
    void units_gates_to_rows(int T, int B, int H, const float* preT, float* gates)

from ._common cimport (add_row, ahead_begin, ahead_end, ahead_ready, ahead_sync_size, batch_parts, copy_row,
                       data_or_null, gemm_unpacked, input_projection, lstm_row_backward, lstm_row_forward,
                       multiply_rows, pack_in_parts, pack_panels, packed_buffer, real, recurrent_gradient, step_gemm,
                       transpose_into, weight_gradients)


# Threads of the unit-split loop: 2, or 1 in the tests (the second half's panels then all come to the
# one thread through the claims that otherwise only take over from a descheduled thread).
unit_split_threads = 2


def splits_by_unit(int B, int I, int H):
    """Whether a float32 forward of B rows, I inputs and H units (two threads, no recurrent dropout)
    runs the time loop split by hidden unit (lstm_units.hpp) rather than by row."""
    return bool(batch_parts(B, H) == 2 and units_split_applies(B, I, H))


def lstm_forward(X, W, U, b, h0, c0, mask, recurrent_keep=None):
    """Same arguments and results as :func:`lstmx.lstm.lstm_forward`; C-contiguous arrays of one dtype."""
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)                                # (T, B, I)
    hs = workspace.empty((T + 1, B, H), X.dtype)
    cs = workspace.empty((T + 1, B, H), X.dtype)
    hs[0], cs[0] = h0, c0
    keep, hs_kept, has_keep = keep_operands(recurrent_keep, T, B, H, X.dtype)
    parts = batch_parts(B, H)
    unpacked = steps_unpacked(parts, B, T, 4 * H, H, X.itemsize)   # U multiplied as stored, through BLAS
    ahead = not unpacked and projection_ahead(parts, T, B, I, 4 * H)
    by_units = X.dtype == np.float32 and not has_keep and splits_by_unit(B, I, H)
    gates = None if by_units else workspace.empty((T, B, 4 * H), X.dtype)
    gates_by_unit = workspace.empty((units_gates_size(T, B, H),), X.dtype) if by_units else None
    projection = projection_parts(parts, unpacked, T, B, I, 4 * H)    # its threads, or 0 for BLAS
    _forward(X_tm, W, U, packed_buffer(I, 4 * H, X.dtype) if projection or ahead else None,
             None if unpacked else packed_buffer(H, 4 * H, X.dtype), b, hs, cs, gates, time_major_mask(mask, B, T),
             mask is not None, keep, hs_kept, has_keep, np.zeros(ahead_sync_size(T, B), np.intc) if ahead else None,
             gates_by_unit, workspace.empty((units_work_size(T, B, I, H),), X.dtype) if by_units else None,
             unit_split_threads, projection)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, cs=cs, mask=mask, recurrent_keep=recurrent_keep,
                 hs_kept=hs_kept if has_keep else None)
    if by_units:
        cache = _CacheSplitByUnit(cache, _gates_by_unit=gates_by_unit)
    else:
        cache["gates"] = gates
    return hs[1:].transpose(1, 0, 2), (hs[T], cs[T]), cache


class _CacheSplitByUnit(dict):
    """The cache of a forward split by hidden unit (lstm_units.hpp): its gates stay in the loop's
    layout, (T, 4H, B), until someone (the backward) first asks for ``cache["gates"]``; then they are
    put in the (T, B, 4H) layout of every other LSTM cache, once. An inference never pays for it."""

    def __missing__(self, key):
        if key != "gates" or "_gates_by_unit" not in self:
            raise KeyError(key)
        T, B, H = self["hs"].shape[0] - 1, self["hs"].shape[1], self["hs"].shape[2]
        gates = workspace.empty((T, B, 4 * H), np.float32)
        _gates_to_rows(self.pop("_gates_by_unit"), gates)
        self["gates"] = gates
        return gates


def _gates_to_rows(float[::1] gates_by_unit, float[:, :, ::1] gates):
    with nogil:
        units_gates_to_rows(gates.shape[0], gates.shape[1], gates.shape[2] // 4, &gates_by_unit[0], &gates[0, 0, 0])


def _forward(real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] WT_packed, real[::1] UT_packed,
             real[::1] b, real[:, :, ::1] hs, real[:, :, ::1] cs, real[:, :, ::1] gates,
             const unsigned char[:, ::1] mask, bint has_mask, real[:, ::1] keep, real[:, :, ::1] hs_kept,
             bint has_keep, int[::1] ahead_sync=None, real[::1] gates_by_unit=None, real[::1] units_work=None,
             int units_threads=2, int projection_parts=0):
    """``ahead_sync`` (zeros, see ahead.hpp): a one-thread loop whose input projection a helper thread
    makes ahead of it, chunk by chunk (``WT_packed`` then has room for W.T). ``gates_by_unit`` and
    ``units_work``: two threads split by hidden unit instead of by row (float32; see lstm_units.hpp),
    leaving the gates in ``gates_by_unit`` (``gates`` is None). ``projection_parts``: the threads of the
    hoisted input projection, 0 for BLAS (``_layout.projection_parts``)."""
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int G = 4 * H, part, parts = batch_parts(B, H)
    cdef const real* keep_rows = &keep[0, 0] if has_keep else NULL
    cdef int* sync = NULL
    if ahead_sync is not None:
        sync = &ahead_sync[0]
    if sync != NULL:
        with nogil:
            ahead_begin(&X_tm[0, 0, 0], I, &W[0, 0], &WT_packed[0], G, &gates[0, 0, 0], T, B, sync)
            pack_panels(&U[0, 0], H, True, H, G, &UT_packed[0])
            _forward_rows(0, B, &UT_packed[0], &b[0], hs, cs, gates, mask, has_mask, keep_rows, hs_kept, has_keep,
                          &X_tm[0, 0, 0], I, &W[0, 0], &WT_packed[0], sync)
            ahead_end(T, B, sync)
        return
    if real is float:
        if units_work is not None:
            with nogil:
                lstm_forward_units(T, B, I, H, &X_tm[0, 0, 0], &W[0, 0], &U[0, 0], &b[0], &WT_packed[0],
                                   &UT_packed[0], &gates_by_unit[0], &hs[0, 0, 0], &cs[0, 0, 0],
                                   &mask[0, 0] if has_mask else NULL, &units_work[0], units_threads)
            return
    with nogil:
        if UT_packed is not None:
            pack_in_parts(parts, &U[0, 0], H, True, H, G, &UT_packed[0])   # U.T (H, 4H), packed once
        # gates = X @ W.T for every step at once: (T*B, I) x (I, 4H)
        input_projection(projection_parts, &X_tm[0, 0, 0], T * B, I, &W[0, 0], data_or_null(WT_packed), G,
                         &gates[0, 0, 0])
        if parts == 1:
            _forward_rows(0, B, data_or_null(UT_packed), &b[0], hs, cs, gates, mask, has_mask, keep_rows, hs_kept,
                          has_keep, NULL, 0, NULL, NULL, NULL, &U[0, 0])
        else:
            for part in prange(parts, num_threads=parts, schedule="static"):
                _forward_rows(B * part // parts, B * (part + 1) // parts, &UT_packed[0], &b[0], hs, cs, gates, mask,
                              has_mask, keep_rows, hs_kept, has_keep, NULL, 0, NULL, NULL, NULL)


cdef void _forward_rows(int n0, int n1, const real* UT_packed, const real* b, real[:, :, ::1] hs,
                        real[:, :, ::1] cs, real[:, :, ::1] gates, const unsigned char[:, ::1] mask,
                        bint has_mask, const real* keep, real[:, :, ::1] hs_kept, bint has_keep,
                        const real* X_tm, int I, const real* W, real* WT_packed, int* ahead_sync,
                        const real* U=NULL) noexcept nogil:
    """The time loop for the sequences n0 <= n < n1 (rows = n1 - n0); ``gates`` holds x_t @ W.T, or
    with ``ahead_sync`` (all the batch's rows) receives it chunk by chunk (ahead.hpp). Without
    ``UT_packed`` the steps multiply ``U`` as stored, through BLAS (``_layout.steps_unpacked``: a
    short sequence, or one sequence with U larger than L2)."""
    cdef int T = gates.shape[0], B = gates.shape[1], H = hs.shape[2], G = 4 * H, rows = n1 - n0, t, n
    cdef const real* h_rec
    for t in range(T):
        if ahead_sync != NULL:   # x_t @ W.T is in gates[t] once this returns
            ahead_ready(t, X_tm, I, W, WT_packed, G, &gates[0, 0, 0], T, B, ahead_sync)
        h_rec = &hs[t, n0, 0]
        if has_keep:   # recurrent dropout: U meets h_(t-1) * keep
            h_rec = multiply_rows(&hs_kept[t, n0, 0], h_rec, keep + <long>n0 * H, <long>rows * H)
        # gates[t] += h_(t-1) @ U.T: (rows, H) x (H, 4H)
        if UT_packed != NULL:
            step_gemm(h_rec, H, rows, H, UT_packed, G, &gates[t, n0, 0], G, True)
        else:
            gemm_unpacked(True, rows, G, H, h_rec, H, U, H, 1.0, &gates[t, n0, 0], G)
        for n in range(n0, n1):
            if has_mask and not mask[t, n]:   # a masked step carries the state through
                copy_row(&hs[t + 1, n, 0], &hs[t, n, 0], H)
                copy_row(&cs[t + 1, n, 0], &cs[t, n, 0], H)
            else:
                lstm_row_forward(&gates[t, n, 0], b, &cs[t, n, 0], &cs[t + 1, n, 0], &hs[t + 1, n, 0], H)


def lstm_backward(dY, dhT, dcT, cache):
    """Same arguments and results as :func:`lstmx.lstm.lstm_backward`."""
    X, W, U, hs = cache["X"], cache["W"], cache["U"], cache["hs"]
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = cached_time_major(cache)
    dgates = workspace.empty((T, B, 4 * H), X.dtype)
    dh = np.array(dhT, dtype=X.dtype, copy=True, order="C")
    dc = np.array(dcT, dtype=X.dtype, copy=True, order="C")
    dX_tm = workspace.empty((T, B, I), X.dtype)
    dW, dU = np.empty_like(W), np.empty_like(U)
    mask = cache["mask"]
    keep, has_keep = keep_or_empty(cache.get("recurrent_keep"), X.dtype)
    parts = batch_parts(B, H)
    db_parts = np.zeros((parts, 4 * H), X.dtype)   # each thread's share of db
    unpacked = steps_unpacked(parts, B, T, 4 * H, H, X.itemsize)   # U multiplied as stored, through BLAS
    transpose_U = copies_U_transposed(unpacked, T, B)                # U.T copied once for the backward
    gradients = weight_gradient_parts(parts, unpacked, T, B, I, 4 * H, H)   # their threads, or 0 for BLAS
    packed = dict(U=None if unpacked else packed_buffer(4 * H, H, X.dtype),
                  W=packed_buffer(4 * H, I, X.dtype) if gradients else None,
                  X=packed_buffer(T * B, I, X.dtype) if gradients else None,
                  H=packed_buffer(T * B, H, X.dtype) if gradients else None)
    _backward(np.ascontiguousarray(dY), X_tm, W, U, packed["U"], packed["W"], packed["X"], packed["H"],
              recurrent_operand(cache), cache["cs"], cache["gates"], time_major_mask(mask, B, T), mask is not None,
              keep, np.empty_like(keep), has_keep, dgates, dh, dc, dX_tm, dW, dU, db_parts,
              UT_rows=workspace.empty((4 * H * H,), X.dtype) if transpose_U else None, gradient_parts=gradients)
    return dX_tm.transpose(1, 0, 2).copy(), dW, dU, db_parts.sum(axis=0), dh, dc


def _backward(real[:, :, ::1] dY, real[:, :, ::1] X_tm, real[:, ::1] W, real[:, ::1] U, real[::1] U_packed,
              real[::1] W_packed, real[::1] X_packed, real[::1] H_packed,
              real[:, :, ::1] h_rec, real[:, :, ::1] cs, real[:, :, ::1] gates,
              const unsigned char[:, ::1] mask, bint has_mask, real[:, ::1] keep, real[:, ::1] dh_rec,
              bint has_keep, real[:, :, ::1] dgates, real[:, ::1] dh, real[:, ::1] dc, real[:, :, ::1] dX_tm,
              real[:, ::1] dW, real[:, ::1] dU, real[:, ::1] db_parts,
              real[::1] UT_rows=None, int gradient_parts=0):
    """``h_rec`` (T, B, H): h_(t-1) as U met it, for dU; ``keep`` and ``dh_rec`` (B, H) with
    recurrent dropout (empty without). ``gradient_parts``: the weight gradients' threads, 0 for BLAS."""
    cdef int T = X_tm.shape[0], B = X_tm.shape[1], I = X_tm.shape[2], H = U.shape[1]
    cdef int G = 4 * H, part, parts = batch_parts(B, H)
    cdef const real* keep_rows = &keep[0, 0] if has_keep else NULL
    cdef real* dh_rec_rows = &dh_rec[0, 0] if has_keep else NULL
    with nogil:
        if U_packed is not None:
            pack_in_parts(parts, &U[0, 0], H, False, G, H, &U_packed[0])   # U (4H, H), packed once for the loop
        elif UT_rows is not None:   # U.T (H, 4H) as rows, once for the loop's matrix-vector products
            transpose_into(&U[0, 0], H, H, G, &UT_rows[0], G)
        for part in prange(parts, num_threads=parts, schedule="static"):
            _backward_rows(B * part // parts, B * (part + 1) // parts, dY, data_or_null(U_packed), &U[0, 0],
                           data_or_null(UT_rows), cs, gates, mask, has_mask, keep_rows, dh_rec_rows, has_keep,
                           dgates, dh, dc, &db_parts[part, 0])
        weight_gradients(gradient_parts, &dgates[0, 0, 0], &dgates[0, 0, 0], T * B, G, I, H, &X_tm[0, 0, 0],
                         &h_rec[0, 0, 0], &W[0, 0], data_or_null(X_packed), data_or_null(H_packed),
                         data_or_null(W_packed), &dW[0, 0], &dU[0, 0], &dX_tm[0, 0, 0])


cdef void _backward_rows(int n0, int n1, real[:, :, ::1] dY, const real* U_packed, const real* U,
                         const real* UT, real[:, :, ::1] cs, real[:, :, ::1] gates, const unsigned char[:, ::1] mask,
                         bint has_mask, const real* keep, real* dh_rec, bint has_keep,
                         real[:, :, ::1] dgates, real[:, ::1] dh, real[:, ::1] dc, real* db) noexcept nogil:
    """Backpropagation through time for the sequences n0 <= n < n1; their share of db is added to db."""
    cdef int T = gates.shape[0], H = dh.shape[1], G = 4 * H, t, n, j
    for t in range(T - 1, -1, -1):
        for n in range(n0, n1):
            if has_mask and not mask[t, n]:   # h and c were carried: so are their gradients
                for j in range(G):
                    dgates[t, n, j] = 0
                for j in range(H):
                    dh[n, j] += dY[n, t, j]
            else:
                lstm_row_backward(&gates[t, n, 0], &cs[t, n, 0], &cs[t + 1, n, 0], &dY[n, t, 0],
                                  &dh[n, 0], &dc[n, 0], &dgates[t, n, 0], H)
                add_row(db, &dgates[t, n, 0], G)
        # dh_(t-1) = dgates_t @ U (+ the carried dh of masked rows, left in dh above)
        recurrent_gradient(&dgates[t, n0, 0], G, n1 - n0, G, U_packed, H, &dh[n0, 0],
                           dh_rec + <long>n0 * H if has_keep else NULL, keep + <long>n0 * H if has_keep else NULL,
                           has_keep, U, UT)
