# Shared pieces of the Cython kernels: the float type they are compiled for, row-major GEMM through
# SciPy's BLAS, the fused row kernels of cells.hpp, and small loops. Everything is inline, nogil and noexcept (so a call never
# re-takes the GIL to check for a Python exception).
from cython.parallel cimport prange
from scipy.linalg.cython_blas cimport dgemm, dgemv, sgemm, sgemv

ctypedef fused real:
    float
    double


cdef inline void gemm(bint trans_a, bint trans_b, int M, int N, int K, real alpha,
                      const real* A, int lda, const real* B, int ldb,
                      real beta, real* C, int ldc) noexcept nogil:
    """C (M, N) = alpha * op(A) @ op(B) + beta * C, all row-major; op(X) is X or X.T.

    BLAS is column-major, and a row-major matrix is its transpose in column-major: so we ask BLAS
    for C.T = op(B).T @ op(A).T, swapping the operands instead of copying anything.
    """
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    if real is float:
        sgemm(&tb, &ta, &N, &M, &K, &alpha, <float*>B, &ldb, <float*>A, &lda, &beta, C, &ldc)
    else:
        dgemm(&tb, &ta, &N, &M, &K, &alpha, <double*>B, &ldb, <double*>A, &lda, &beta, C, &ldc)


cdef enum:
    # gemm_unpacked makes up to this many rows as matrix-vector products, one a row (each reads B
    # again, which at 4 or more rows of a B beyond L2 lost to packing it: _layout.steps_unpacked)
    GEMV_ROWS = 8


cdef inline void gemm_unpacked(bint trans_b, int M, int N, int K, const real* A, int lda, const real* B,
                               int ldb, real beta, real* C, int ldc) noexcept nogil:
    """C (M, N) = A (M, K) @ op(B) + beta * C through BLAS, nothing packed first (see
    ``_layout.steps_unpacked`` for where): op(B) = B.T with B given as (N, K) rows (``U`` forward,
    ``U.T`` backward), or B (K, N) itself.

    A few rows are as many matrix-vector products, asked of BLAS's gemv: each reads B once, split
    between the threads (where OpenBLAS's gemm for one row took 2.5 times as long: 26 against 10 us
    for (1, 256) x (256, 1024))."""
    cdef char trans = b'T' if trans_b else b'N'
    cdef int one = 1, m
    cdef real alpha = 1.0
    if M > GEMV_ROWS:
        gemm(False, trans_b, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc)
        return
    # Row-major B (N, K) is column-major (K, N): y (N) = B_cm^T a, "T" with K rows. Row-major B (K, N)
    # is column-major (N, K): y (N) = B_cm a, "N" with N rows.
    cdef int rows_cm = K if trans_b else N, cols_cm = N if trans_b else K
    for m in range(M):
        if real is float:
            sgemv(&trans, &rows_cm, &cols_cm, &alpha, <float*>B, &ldb, <float*>A + <long>m * lda, &one, &beta,
                  C + <long>m * ldc, &one)
        else:
            dgemv(&trans, &rows_cm, &cols_cm, &alpha, <double*>B, &ldb, <double*>A + <long>m * lda, &one, &beta,
                  C + <long>m * ldc, &one)


cdef extern from "cells.hpp" namespace "lstmx" nogil:
    # the fused row kernels (see cells.hpp), one overload per float type
    void lstm_row_forward(float* a, const float* b, const float* c_prev, float* c, float* h, int H)
    void lstm_row_forward(double* a, const double* b, const double* c_prev, double* c, double* h, int H)
    void lstm_row_backward(const float* a, const float* c_prev, const float* c, const float* dy,
                           float* dh, float* dc, float* da, int H)
    void lstm_row_backward(const double* a, const double* c_prev, const double* c, const double* dy,
                           double* dh, double* dc, double* da, int H)
    void gru_row_forward(float* ax, const float* b, const float* ah, const float* b_hn, const float* h_prev,
                         float* hn, float* h, int H)
    void gru_row_forward(double* ax, const double* b, const double* ah, const double* b_hn, const double* h_prev,
                         double* hn, double* h, int H)
    void gru_row_backward(const float* g, const float* hn, const float* h_prev, const float* dy,
                          float* dh, float* dax, float* dah, int H)
    void gru_row_backward(const double* g, const double* hn, const double* h_prev, const double* dy,
                          double* dh, double* dax, double* dah, int H)
    void rnn_row_forward(const float* a, const float* b, float* h, int H)
    void rnn_row_forward(const double* a, const double* b, double* h, int H)
    void rnn_row_backward(const float* h, const float* dy, float* dh, float* da, int H)
    void rnn_row_backward(const double* h, const double* dy, double* dh, double* da, int H)


cdef extern from "stepgemm.hpp" namespace "lstmx" nogil:
    # the per-step product on a matrix packed once per sequence (see stepgemm.hpp)
    long packed_size_float "lstmx::packed_size<float>"(int K, int N)
    long packed_size_double "lstmx::packed_size<double>"(int K, int N)
    void pack_panels(const float* B, int ldb, bint trans, int K, int N, float* packed)
    void pack_panels(const double* B, int ldb, bint trans, int K, int N, double* packed)
    void pack_panels(const float* B, int ldb, bint trans, int K, int N, float* packed, int part, int parts)
    void pack_panels(const double* B, int ldb, bint trans, int K, int N, double* packed, int part, int parts)
    void transpose_into(const float* src, long ld_src, int rows, int cols, float* dst, long ld_dst)
    void transpose_into(const double* src, long ld_src, int rows, int cols, double* dst, long ld_dst)
    void step_gemm(const float* A, int lda, int M, int K, const float* packed, int N, float* C, int ldc,
                   bint accumulate)
    void step_gemm(const double* A, int lda, int M, int K, const double* packed, int N, double* C, int ldc,
                   bint accumulate)
    void gemm_tn_packed(const float* A, int lda, int m_begin, int m_end, int K, const float* packed, int N,
                        float* C, int ldc)
    void gemm_tn_packed(const double* A, int lda, int m_begin, int m_end, int K, const double* packed, int N,
                        double* C, int ldc)


cdef extern from "ahead.hpp" namespace "lstmx" nogil:
    # the input projection made by a helper thread, chunk by chunk, ahead of a one-thread time loop
    int ahead_sync_size(int T, int B)
    void ahead_begin(const float* X, int I, const float* W, float* WT_packed, int G, float* out, int T, int B,
                     int* sync)
    void ahead_begin(const double* X, int I, const double* W, double* WT_packed, int G, double* out, int T, int B,
                     int* sync)
    void ahead_ready(int t, const float* X, int I, const float* W, float* WT_packed, int G, float* out, int T, int B,
                     int* sync)
    void ahead_ready(int t, const double* X, int I, const double* W, double* WT_packed, int G, double* out, int T,
                     int B, int* sync)
    void ahead_end(int T, int B, int* sync)


cdef extern from "onerow.hpp" namespace "lstmx" nogil:
    # the simple RNN's step for one sequence, product and tanh fused (see onerow.hpp)
    void rnn_one_row_step(const float* h_prev, int H, const float* UT_packed, const float* a, const float* b,
                          float* h)
    void rnn_one_row_step(const double* h_prev, int H, const double* UT_packed, const double* a,
                          const double* b, double* h)


cdef inline object packed_buffer(int K, int N, object dtype):
    """Room for a (K, N) matrix packed by ``pack_panels``, sized by stepgemm.hpp's own ``packed_size``
    (one formula: the buffer cannot fall short of what the kernel writes). ``dtype``: the NumPy dtype
    of the kernel's arrays, float32 or float64."""
    from lstmx._kernels import _workspace
    return _workspace.empty((packed_size_float(K, N) if dtype.itemsize == 4 else packed_size_double(K, N),), dtype,
                            aligned=True)


cdef inline real* data_or_null(real[::1] buffer) noexcept nogil:
    """The start of a buffer, or NULL for None (a packed buffer the one-thread path does not use)."""
    if buffer is None:
        return NULL
    return &buffer[0]


cdef inline void copy_row(real* dst, const real* src, int n) noexcept nogil:
    cdef int j
    for j in range(n):
        dst[j] = src[j]


cdef inline void add_row(real* total, const real* row, int n) noexcept nogil:
    """total[j] += row[j]: a bias gradient summed row by row in the backward loop, while the row is
    still in cache (a pass over all T*B rows afterwards read 6.5 MB again at (32, 100, 128, 128))."""
    cdef int j
    for j in range(n):
        total[j] += row[j]


cdef inline int batch_parts(int B, int H) noexcept nogil:
    """How many threads share a batch's time loop: 2 when each half has enough rows and work to
    outweigh starting a thread, else 1."""
    if B >= 8 and <long>B * H * H >= (1 << 16):
        return 2
    return 1


cdef inline void pack_in_parts(int parts, const real* B, int ldb, bint trans, int K, int N,
                               real* packed) noexcept nogil:
    """``pack_panels`` shared by ``parts`` threads, each packing its share of the panels (packing U or
    W at H = 512, 4 MB, took about 1.4 ms of the 71 ms forward at (32, 100, 512, 512) on one core
    while the other waited)."""
    cdef int part
    if parts == 1:
        pack_panels(B, ldb, trans, K, N, packed)
        return
    for part in prange(parts, num_threads=parts, schedule="static"):
        pack_panels(B, ldb, trans, K, N, packed, part, parts)


cdef inline void input_projection(int parts, const real* X, int TB, int I, const real* W, real* WT_packed, int G,
                                  real* out) noexcept nogil:
    """out (T*B, G) = X (T*B, I) @ W.T for every time step at once, hoisted out of the time loop.

    On the packed kernel: W.T packed once, and each of ``parts`` threads multiplies its share of the
    T*B rows (a tall product, near the GEMM rate). ``parts`` = 0: one BLAS product on W as stored, for
    a loop of a step or a few that multiplies U unpacked too (packing W would cost more than it saves).
    Never BLAS otherwise, even for a one-thread loop: a two-thread BLAS product leaves OpenBLAS's
    worker spinning for about 0.1 s, and the next call's OpenMP threads then share a core with it
    (``_layout.projection_parts``)."""
    cdef int part, r0, r1
    if parts == 0:
        gemm_unpacked(True, TB, G, I, X, I, W, I, 0.0, out, G)
        return
    pack_in_parts(parts, W, I, True, I, G, WT_packed)
    if parts == 1:
        step_gemm(X, I, TB, I, WT_packed, G, out, G, False)
        return
    for part in prange(parts, num_threads=parts, schedule="static"):
        r0 = TB * part // parts
        r1 = TB * (part + 1) // parts
        step_gemm(X + <long>r0 * I, I, r1 - r0, I, WT_packed, G, out + <long>r0 * G, G, False)


cdef inline void weight_gradients_blas(const real* dax, const real* dah, int TB, int G, int I, int H,
                                       const real* X_tm, const real* hs, const real* W,
                                       real* dW, real* dU, real* dX) noexcept nogil:
    """After the backward loop, with BLAS: dW = dax^T X, dU = dah^T H_prev, dX = dax W, all T*B rows.

    ``dax`` (T*B, G) is the gradient of the input side of the gates, ``dah`` of the recurrent side
    (the same array for LSTM and RNN; they differ for the GRU's candidate)."""
    gemm(True, False, G, I, TB, 1.0, dax, G, X_tm, I, 0.0, dW, I)
    gemm(True, False, G, H, TB, 1.0, dah, G, hs, H, 0.0, dU, H)
    gemm(False, False, TB, I, G, 1.0, dax, G, W, I, 0.0, dX, I)


cdef inline void weight_gradients_part(int part, int parts, const real* dax, const real* dah, int TB, int G,
                                       int I, int H, const real* X_packed, const real* H_packed,
                                       const real* W_packed, real* dW, real* dU, real* dX) noexcept nogil:
    """The same three products on the packed kernel: this thread's share (``part`` of ``parts``) of
    the rows of dW and dU (gate rows) and of dX (time-step rows). X, H_prev and W packed beforehand."""
    cdef int g0 = G * part // parts, g1 = G * (part + 1) // parts
    cdef int r0 = TB * part // parts, r1 = TB * (part + 1) // parts
    gemm_tn_packed(dax, G, g0, g1, TB, X_packed, I, dW, I)
    gemm_tn_packed(dah, G, g0, g1, TB, H_packed, H, dU, H)
    step_gemm(dax + <long>r0 * G, G, r1 - r0, G, W_packed, I, dX + <long>r0 * I, I, False)


cdef inline void pack_for_weight_gradients(int parts, const real* X_tm, const real* hs, const real* W, int TB,
                                           int G, int I, int H, real* X_packed, real* H_packed,
                                           real* W_packed) noexcept nogil:
    """X, H_prev and W packed for the weight gradients, each thread its share of every matrix."""
    cdef int part
    for part in prange(parts, num_threads=parts, schedule="static"):
        pack_panels(X_tm, I, False, TB, I, X_packed, part, parts)
        pack_panels(hs, H, False, TB, H, H_packed, part, parts)
        pack_panels(W, I, False, G, I, W_packed, part, parts)


cdef inline void weight_gradients(int parts, const real* dax, const real* dah, int TB, int G, int I, int H,
                                  const real* X_tm, const real* hs, const real* W, real* X_packed, real* H_packed,
                                  real* W_packed, real* dW, real* dU, real* dX) noexcept nogil:
    """dW = dax^T X, dU = dah^T H_prev, dX = dax W after the backward loop: the packed kernel shared by
    ``parts`` threads, or with ``parts`` = 0 BLAS, after a loop that multiplied U unpacked through
    BLAS's threads already (``_layout.weight_gradient_parts``: no BLAS pool is left spinning against
    the next call's threads)."""
    cdef int part
    if parts == 0:
        weight_gradients_blas(dax, dah, TB, G, I, H, X_tm, hs, W, dW, dU, dX)
        return
    pack_for_weight_gradients(parts, X_tm, hs, W, TB, G, I, H, X_packed, H_packed, W_packed)
    for part in prange(parts, num_threads=parts, schedule="static"):
        weight_gradients_part(part, parts, dax, dah, TB, G, I, H, X_packed, H_packed, W_packed, dW, dU, dX)


cdef inline const real* multiply_rows(real* out, const real* h, const real* keep, long count) noexcept nogil:
    """out = h * keep, elementwise over ``count`` numbers; returns ``out``. Recurrent dropout: the rows
    of h_(t-1) that U meets (kept in ``hs_kept`` for dU)."""
    cdef long k
    for k in range(count):
        out[k] = h[k] * keep[k]
    return out


cdef inline void recurrent_gradient(const real* dgates_t, int ldg, int rows, int K, const real* U_packed,
                                    int H, real* dh, real* dh_rec, const real* keep, bint has_keep,
                                    const real* U=NULL, const real* UT=NULL) noexcept nogil:
    """dh (rows, H) += dgates_t (rows, K) @ U (K, H), the gradient back through U to h_(t-1): on U
    packed; without ``U_packed`` through BLAS, on ``UT``, U.T (H, K) as rows, if the caller made that
    copy (OpenBLAS's matrix-vector product runs 2.3 times as fast on it as on U itself: 32 against
    73 us at (2048, 512)), else on ``U``.

    With recurrent dropout U met h_(t-1) * keep, so dh += (dgates_t @ U) * keep: the product is made in
    ``dh_rec`` first. ``dh_rec`` and ``keep`` point at the same rows as ``dh`` (NULL without dropout)."""
    cdef long k
    cdef real* out = dh_rec if has_keep else dh
    cdef real beta = 0.0 if has_keep else 1.0
    if U_packed != NULL:
        step_gemm(dgates_t, ldg, rows, K, U_packed, H, out, H, not has_keep)
    elif UT != NULL:
        gemm_unpacked(True, rows, H, K, dgates_t, ldg, UT, K, beta, out, H)
    else:
        gemm_unpacked(False, rows, H, K, dgates_t, ldg, U, H, beta, out, H)
    if not has_keep:
        return
    for k in range(<long>rows * H):
        dh[k] += dh_rec[k] * keep[k]
