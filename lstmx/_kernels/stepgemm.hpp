// The recurrent product of one time step, C (M, N) (+)= A (M, K) @ B (K, N), on a B packed once
// per sequence.
//
// Why not BLAS: in the time loop the same B (U.T forward, U backward) is multiplied T times by a
// short A (M = batch rows). A BLAS GEMM re-packs B on every call and, for small M, spends more time
// packing and waking threads than multiplying. Here B is packed once into panels of PANEL columns
// ((K, PANEL) row-major each, zero-padded), and a register-blocked micro-tile keeps ROWS x 4
// vectors of C in registers while it streams a panel: per k, 4 vector loads of B and ROWS
// broadcasts of A feed 4 * ROWS fused multiply-adds.
//
// Written with GCC's vector extensions (64-byte vectors: one AVX-512 register, two AVX2 ones), so
// one template serves float and double.
#pragma once
#include <algorithm>

namespace lstmx {

template <typename real> struct simd {
    static constexpr int lanes = 64 / sizeof(real);
    typedef real vec __attribute__((vector_size(64), aligned(sizeof(real))));  // unaligned access allowed
};

constexpr int PANEL_VECS = 4;
template <typename real> constexpr int panel_width() { return PANEL_VECS * simd<real>::lanes; }

// Number of reals the packed form of a (K, N) matrix takes.
template <typename real> long packed_size(int K, int N) {
    const int P = panel_width<real>();
    return (long)((N + P - 1) / P) * K * P;
}

// Pack B (K, N) into panels; B(k, n) is B[k * ldb + n], or B[n * ldb + k] when trans (B given as
// the rows of B.T, e.g. U (4H, H) for B = U.T).
template <typename real> void pack_panels(const real* B, int ldb, bool trans, int K, int N, real* packed) {
    const int P = panel_width<real>();
    for (int p = 0; p * P < N; p++) {
        real* dst = packed + (long)p * K * P;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < P; j++) {
                const int n = p * P + j;
                dst[(long)k * P + j] = n >= N ? real(0) : trans ? B[(long)n * ldb + k] : B[(long)k * ldb + n];
            }
    }
}

// C[0:ROWS, 0:width] (+)= A[0:ROWS, 0:K] @ panel[0:K, 0:width]
template <typename real, int ROWS>
static inline void micro_tile(const real* A, int lda, int K, const real* panel, real* C, int ldc, int width,
                              bool accumulate) {
    typedef typename simd<real>::vec vec;
    constexpr int L = simd<real>::lanes;
    vec acc[ROWS][PANEL_VECS];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < PANEL_VECS; v++) acc[r][v] = vec{};
    for (int k = 0; k < K; k++) {
        const vec* b = reinterpret_cast<const vec*>(panel + (long)k * PANEL_VECS * L);
        const vec b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
        for (int r = 0; r < ROWS; r++) {
            const real a = A[(long)r * lda + k];
            acc[r][0] += a * b0;
            acc[r][1] += a * b1;
            acc[r][2] += a * b2;
            acc[r][3] += a * b3;
        }
    }
    for (int r = 0; r < ROWS; r++) {
        real* c = C + (long)r * ldc;
        if (width == PANEL_VECS * L) {
            vec* cv = reinterpret_cast<vec*>(c);
            for (int v = 0; v < PANEL_VECS; v++) cv[v] = accumulate ? cv[v] + acc[r][v] : acc[r][v];
        } else {
            for (int j = 0; j < width; j++) {
                const real x = acc[r][j / L][j % L];
                c[j] = accumulate ? c[j] + x : x;
            }
        }
    }
}

// k-rows of a panel multiplied in one sweep over the row tiles: 128 x 64 floats = 32 KiB, which
// stays in L1 while every row tile reuses it.
constexpr int K_BLOCK = 128;

// C (M, N) (+)= A (M, K) @ B, B packed by pack_panels; panels [p_begin, p_end) only (for splitting
// the columns between threads).
template <typename real>
void gemm_packed(const real* A, int lda, int M, int K, const real* packed, int N, real* C, int ldc,
                 bool accumulate, int p_begin, int p_end) {
    const int P = panel_width<real>();
    for (int p = p_begin; p < p_end; p++) {
        const int width = std::min(P, N - p * P);
        real* Cp = C + (long)p * P;
        for (int k0 = 0; k0 < K; k0 += K_BLOCK) {
            const int kb = std::min(K_BLOCK, K - k0);
            const real* panel = packed + (long)p * K * P + (long)k0 * P;
            const bool acc = accumulate || k0 > 0;
            int m = 0;
            for (; m + 4 <= M; m += 4)
                micro_tile<real, 4>(A + (long)m * lda + k0, lda, kb, panel, Cp + (long)m * ldc, ldc, width, acc);
            const real* Am = A + (long)m * lda + k0;
            real* Cm = Cp + (long)m * ldc;
            switch (M - m) {
                case 3: micro_tile<real, 3>(Am, lda, kb, panel, Cm, ldc, width, acc); break;
                case 2: micro_tile<real, 2>(Am, lda, kb, panel, Cm, ldc, width, acc); break;
                case 1: micro_tile<real, 1>(Am, lda, kb, panel, Cm, ldc, width, acc); break;
            }
        }
    }
}

template <typename real> int panel_count(int N) { return (N + panel_width<real>() - 1) / panel_width<real>(); }

// The step's product on all panels. (Splitting the panels between the cores with OpenMP was
// measured slower on a 2-core machine: the threads fight OpenBLAS's spinning workers after the
// hoisted GEMM. One thread it is, until the whole loop runs in one parallel region.)
template <typename real>
void step_gemm(const real* A, int lda, int M, int K, const real* packed, int N, real* C, int ldc, bool accumulate) {
    gemm_packed(A, lda, M, K, packed, N, C, ldc, accumulate, 0, panel_count<real>(N));
}

}  // namespace lstmx
