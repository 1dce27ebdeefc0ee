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
#include <cstdlib>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace lstmx {

template <typename real> struct simd {
    static constexpr int lanes = 64 / sizeof(real);
    typedef real vec __attribute__((vector_size(64), aligned(sizeof(real))));  // unaligned access allowed
};

constexpr int PANEL_VECS = 4;
template <typename real> constexpr int panel_width() { return PANEL_VECS * simd<real>::lanes; }

// Number of panels of a matrix of N columns, and of reals the packed form of a (K, N) one takes.
template <typename real> int panel_count(int N) { return (N + panel_width<real>() - 1) / panel_width<real>(); }
template <typename real> long packed_size(int K, int N) { return (long)panel_count<real>(N) * K * panel_width<real>(); }

#if defined(__AVX512F__)
// (gcc 12's -Wall reports the unpack intrinsics' own undefined pass-through operand as uninitialised)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// out[k * ldo + j] = in[j * ldi + k] for a 16 x 16 block of floats: 16 rows loaded, transposed in
// registers (pairs of floats, of pairs, then of 128-bit lanes twice), 16 rows stored.
static inline void transpose_16x16(const float* in, long ldi, float* out, long ldo) {
    __m512 r[16], t[16];
    for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(in + j * ldi);
    for (int j = 0; j < 16; j += 2) {
        t[j] = _mm512_unpacklo_ps(r[j], r[j + 1]);
        t[j + 1] = _mm512_unpackhi_ps(r[j], r[j + 1]);
    }
    for (int j = 0; j < 16; j += 4) {
        const __m512d a = _mm512_castps_pd(t[j]), b = _mm512_castps_pd(t[j + 1]);
        const __m512d c = _mm512_castps_pd(t[j + 2]), d = _mm512_castps_pd(t[j + 3]);
        r[j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int j = 0; j < 16; j += 8)
        for (int q = 0; q < 4; q++) {
            t[j + q] = _mm512_shuffle_f32x4(r[j + q], r[j + q + 4], 0x88);
            t[j + q + 4] = _mm512_shuffle_f32x4(r[j + q], r[j + q + 4], 0xdd);
        }
    for (int q = 0; q < 8; q++) {
        r[q] = _mm512_shuffle_f32x4(t[q], t[q + 8], 0x88);
        r[q + 8] = _mm512_shuffle_f32x4(t[q], t[q + 8], 0xdd);
    }
    for (int k = 0; k < 16; k++) _mm512_storeu_ps(out + k * ldo, r[k]);
}
#pragma GCC diagnostic pop
#endif

// dst (rows, cols) = src.T, src given as (cols, rows) with rows ld_src apart: in 16 x 16 tiles,
// transposed in AVX-512 registers for float, so that both sides go a cache line at a time.
template <typename real>
static inline void transpose_into(const real* src, long ld_src, int rows, int cols, real* dst, long ld_dst) {
    for (int i0 = 0; i0 < rows; i0 += 16)
        for (int k0 = 0; k0 < cols; k0 += 16) {
#if defined(__AVX512F__)
            if (sizeof(real) == 4 && i0 + 16 <= rows && k0 + 16 <= cols) {
                transpose_16x16(reinterpret_cast<const float*>(src + (long)k0 * ld_src + i0), ld_src,
                                reinterpret_cast<float*>(dst + (long)i0 * ld_dst + k0), ld_dst);
                continue;
            }
#endif
            for (int i = i0; i < std::min(rows, i0 + 16); i++)
                for (int k = k0; k < std::min(cols, k0 + 16); k++) dst[(long)i * ld_dst + k] = src[(long)k * ld_src + i];
        }
}

// One 16 x 16 tile of a transposed pack: d[k * P + j] = src[j * ldb + k] for k in [k0, k1), j in
// [j0, j0 + 16), zeros for the columns j >= width of a last, narrower panel.
template <typename real>
static inline void pack_tile_transposed(const real* src, int ldb, int k0, int k1, int j0, int width, real* d) {
    constexpr int P = panel_width<real>();
    const int valid = std::max(0, std::min(16, width - j0));
    transpose_into(src + (long)j0 * ldb + k0, ldb, k1 - k0, valid, d + (long)k0 * P + j0, P);
    for (int k = k0; k < k1; k++)
        for (int j = j0 + valid; j < j0 + 16; j++) d[(long)k * P + j] = real(0);
}

// Pack B (K, N) into panels; B(k, n) is B[k * ldb + n], or B[n * ldb + k] when trans (B given as
// the rows of B.T, e.g. U (4H, H) for B = U.T). Only share `part` of `parts` equal shares of the
// panels is packed, so that threads can pack one matrix together (parts = 1: all of it).
//
// Transposed, it goes in 16 x 16 tiles, transposed in AVX-512 registers for float: a column at a
// time read B.T with a stride of a row (U at H = 128 took 45 us to pack in the Cython build), tiles
// of scalar copies about a third of that, and the register transpose a half to a quarter of that
// again (W at (2048, 512): 505 against 256 us, at (512, 128): 20 against 5 us, in a C++ loop on the
// AMD EPYC).
template <typename real>
void pack_panels(const real* B, int ldb, bool trans, int K, int N, real* packed, int part = 0, int parts = 1) {
    const int P = panel_width<real>();
    constexpr int TILE = 16;
    static_assert(panel_width<real>() % TILE == 0, "whole tiles across a panel");
    const int panels = panel_count<real>(N);
    for (int p = panels * part / parts; p < panels * (part + 1) / parts; p++) {
        real* dst = packed + (long)p * K * P;
        const int width = std::min(P, N - p * P);
        if (!trans) {
            for (int k = 0; k < K; k++) {
                const real* src = B + (long)k * ldb + p * P;
                real* d = dst + (long)k * P;
                for (int j = 0; j < width; j++) d[j] = src[j];
                for (int j = width; j < P; j++) d[j] = real(0);
            }
            continue;
        }
        const real* src = B + (long)p * P * ldb;   // row p * P of B.T
        for (int k0 = 0; k0 < K; k0 += TILE)
            for (int j0 = 0; j0 < P; j0 += TILE)
                pack_tile_transposed(src, ldb, k0, std::min(K, k0 + TILE), j0, width, dst);
    }
}

// Cache lines of the packed matrix that a tile asks the L2 cache for while it multiplies: `per_k`
// lines from `next` on at each k, none at or past `end` (see gemm_packed). None when next is null.
struct Prefetch {
    const char* next = nullptr;
    const char* end = nullptr;
    int per_k = 0;
};

// C[0:ROWS, 0:width] (+)= A[0:ROWS, 0:K] @ panel[0:K, 0:width]
//
// Each accumulator is a chain of dependent FMAs along k. With few rows there are too few chains to
// hide the FMA latency, so even and odd k go to separate accumulators (SPLIT = 2), summed at the end.
template <typename real, int ROWS, bool TRANS_A, bool PREFETCH = false>
static inline void micro_tile(const real* A, int lda, int K, const real* panel, real* C, int ldc, int width,
                              bool accumulate, Prefetch ahead = Prefetch()) {
    typedef typename simd<real>::vec vec;
    constexpr int L = simd<real>::lanes;
    constexpr int SPLIT = ROWS <= 2 ? 2 : 1;
    vec acc[SPLIT][ROWS][PANEL_VECS];
    for (int s = 0; s < SPLIT; s++)
        for (int r = 0; r < ROWS; r++)
            for (int v = 0; v < PANEL_VECS; v++) acc[s][r][v] = vec{};
    int k = 0;
    for (; k + SPLIT <= K; k += SPLIT)
        for (int s = 0; s < SPLIT; s++) {
            const vec* b = reinterpret_cast<const vec*>(panel + (long)(k + s) * PANEL_VECS * L);
            vec b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            if (PREFETCH) {
                const char* line = ahead.next + (long)(k + s) * ahead.per_k * 64;
                for (int l = 0; l < ahead.per_k; l++, line += 64)
                    if (line < ahead.end) __builtin_prefetch(line, 0, 2);   // 2: into L2 (prefetcht1)
            }
#if defined(__AVX512F__)
            // Held in registers: left to itself, gcc may fold each load of b into the multiply-adds of
            // up to 4 rows (ROWS loads of each vector a k instead of one). It did in a C++ loop with a
            // constant lda, where tiles of 2-4 rows then ran at 91-93 GFLOP/s instead of 111-115 (a
            // panel in L1, one core of the AMD EPYC, Zen 5); the Cython build happened not to.
            asm("" : "+v"(b0), "+v"(b1), "+v"(b2), "+v"(b3));
#endif
            for (int r = 0; r < ROWS; r++) {
                const real a = TRANS_A ? A[(long)(k + s) * lda + r] : A[(long)r * lda + k + s];
                acc[s][r][0] += a * b0;
                acc[s][r][1] += a * b1;
                acc[s][r][2] += a * b2;
                acc[s][r][3] += a * b3;
            }
        }
    for (; k < K; k++) {   // the odd k left over when SPLIT = 2
        const vec* b = reinterpret_cast<const vec*>(panel + (long)k * PANEL_VECS * L);
        for (int r = 0; r < ROWS; r++)
            for (int v = 0; v < PANEL_VECS; v++)
                acc[0][r][v] += (TRANS_A ? A[(long)k * lda + r] : A[(long)r * lda + k]) * b[v];
    }
    for (int s = 1; s < SPLIT; s++)
        for (int r = 0; r < ROWS; r++)
            for (int v = 0; v < PANEL_VECS; v++) acc[0][r][v] += acc[s][r][v];
    for (int r = 0; r < ROWS; r++) {
        real* c = C + (long)r * ldc;
        // whole vectors, then lane by lane the columns of a last, narrower panel (those past N are not stored)
        const int full = std::min(width / L, PANEL_VECS);
        vec* cv = reinterpret_cast<vec*>(c);
        for (int v = 0; v < full; v++) cv[v] = accumulate ? cv[v] + acc[0][r][v] : acc[0][r][v];
        for (int j = full * L; j < width; j++) {
            const real x = acc[0][r][j / L][j % L];
            c[j] = accumulate ? c[j] + x : x;
        }
    }
}

// k-rows of a panel multiplied in one sweep over the row tiles: 256 x 64 floats = 64 KiB, from L2 for
// every tile after the first. Blocks of 128 (32 KiB, which stay in L1) were slower: each block is one
// more pass of loads and stores over every tile of C. On the AMD EPYC (Zen 5): in C++ loops, the step
// product at (16 rows, H = 512) 101-106 GFLOP/s against 99-102, at (32, 256) 104-109 against 98-104;
// the Cython LSTM forward 1.6-2.5% faster at (32, 100, 512, 512), (64, 50, 256, 256) and
// (32, 100, 128, 128) (two builds, four rounds in turns).
constexpr int K_BLOCK = 256;

// C[0:M, 0:width] (+)= op(A)[0:M, 0:kb] @ block, one block of a panel (kb rows of it), in row tiles.
// With PREFETCH, the tiles share out the cache lines of the `next_rows` rows of the block at `next`
// and ask L2 for them as they go (see gemm_packed).
template <typename real, bool TRANS_A, bool PREFETCH>
static inline void block_tiles(const real* A, int lda, int M, int kb, const real* block, real* C, int ldc, int width,
                               bool acc, const real* next = nullptr, int next_rows = 0) {
    // where row m of op(A) starts
    auto a_at = [&](int m) { return TRANS_A ? A + m : A + (long)m * lda; };
    // 6-row tiles (24 of the 32 vector registers hold C, and each loaded row of the panel feeds
    // 24 multiply-adds), then the rest in one tile of 3 to 5 rows; a rest of 1 or 2 rows is
    // taken with one 6-row tile as 4 + 3 or 4 + 4. Tiles of 1 or 2 rows run at the speed of
    // the panel's loads: in a C++ loop of step products at H = 256, 13 rows as 6 + 6 + 1 ran
    // at 106 GFLOP/s, as 6 + 4 + 3 at 115; 9 rows (was 4 + 4 + 1) 100 -> 114; 5 rows (was
    // 4 + 1) 93 -> 114; 32 rows (was 6 x 5 + 2) 113 -> 114 (one core of the AMD EPYC).
    int sixes = M / 6, rest = M % 6;
    if (sixes > 0 && rest > 0 && rest < 3) sixes--, rest += 6;
    const int tiles = sixes + (rest > 6 ? 2 : rest > 0 ? 1 : 0);
    const long next_lines = (long)next_rows * panel_width<real>() * (long)sizeof(real) / 64;
    const long share = (next_lines + tiles - 1) / tiles;   // lines a tile
    int tile = 0;
    auto prefetch = [&]() {   // the share of the tile about to run
        Prefetch ahead;
        if (PREFETCH) {
            const char* first = reinterpret_cast<const char*>(next);
            ahead.next = first + tile * share * 64;
            ahead.end = first + std::min(next_lines, (tile + 1) * share) * 64;
            ahead.per_k = (int)((share + kb - 1) / kb);
        }
        tile++;
        return ahead;
    };
    int m = 0;
    for (; m < 6 * sixes; m += 6)
        micro_tile<real, 6, TRANS_A, PREFETCH>(a_at(m), lda, kb, block, C + (long)m * ldc, ldc, width, acc, prefetch());
    if (rest > 6) {
        micro_tile<real, 4, TRANS_A, PREFETCH>(a_at(m), lda, kb, block, C + (long)m * ldc, ldc, width, acc, prefetch());
        m += 4, rest -= 4;
    }
    real* Cm = C + (long)m * ldc;
    switch (rest) {
        case 5: micro_tile<real, 5, TRANS_A, PREFETCH>(a_at(m), lda, kb, block, Cm, ldc, width, acc, prefetch()); break;
        case 4: micro_tile<real, 4, TRANS_A, PREFETCH>(a_at(m), lda, kb, block, Cm, ldc, width, acc, prefetch()); break;
        case 3: micro_tile<real, 3, TRANS_A, PREFETCH>(a_at(m), lda, kb, block, Cm, ldc, width, acc, prefetch()); break;
        case 2: micro_tile<real, 2, TRANS_A, PREFETCH>(a_at(m), lda, kb, block, Cm, ldc, width, acc, prefetch()); break;
        case 1: micro_tile<real, 1, TRANS_A, PREFETCH>(a_at(m), lda, kb, block, Cm, ldc, width, acc, prefetch()); break;
    }
}

// The per-core L2 cache in bytes (1 MiB if the system does not say).
static inline long l2_cache_bytes() {
    static const long bytes = [] {
#ifdef _SC_LEVEL2_CACHE_SIZE
        const long b = sysconf(_SC_LEVEL2_CACHE_SIZE);
        if (b > 0) return b;
#endif
        return 1L << 20;
    }();
    return bytes;
}

// Tall products (the hoisted input projection, the weight gradients) go M_BLOCK rows at a time, so
// that the block of A (M_BLOCK x K) stays in L2 while every panel of B passes over it.
constexpr int M_BLOCK = 192;

// C (M, N) (+)= op(A) (M, K) @ B, B packed by pack_panels, op(A) = A (rows of length lda) or, with
// TRANS_A, A.T (A given as K rows of length lda); panels [p_begin, p_end) only.
template <typename real, bool TRANS_A = false>
void gemm_packed(const real* A, int lda, int M, int K, const real* packed, int N, real* C, int ldc,
                 bool accumulate, int p_begin, int p_end) {
    const int P = panel_width<real>();
    // where row m, column k of op(A) starts
    auto a_at = [&](int m, int k) { return TRANS_A ? A + (long)k * lda + m : A + (long)m * lda + k; };
    if (M > M_BLOCK) {
        for (int m0 = 0; m0 < M; m0 += M_BLOCK)
            gemm_packed<real, TRANS_A>(a_at(m0, 0), lda, std::min(M_BLOCK, M - m0), K, packed, N,
                                       C + (long)m0 * ldc, ldc, accumulate, p_begin, p_end);
        return;
    }
    // A packed matrix larger than L2 comes from L3 at every step, and its blocks are read in turn:
    // the first tile on a block waited for it (L3 gives one core 28-30 GB/s, a tile reads at twice
    // that) while the tiles after it, reading from L2, left L3 idle. So the tiles of each block
    // share out the next block's cache lines and ask L2 for them as they go. On the Intel Xeon (2 MiB
    // of L2), in C++ loops of step products: (16 rows, H = 512) 282-298 -> 253-263 us a step,
    // (32, 512) 505 -> 435-460; with a matrix that fits, (32, 256) it cost 5% (103-109 -> 111-113 us),
    // and at H = 320 (1.6 MiB) it did not pay either, so it is only done beyond L2's size.
    const bool stream = (long)(p_end - p_begin) * K * P * (long)sizeof(real) > l2_cache_bytes();
    for (int p = p_begin; p < p_end; p++) {
        const int width = std::min(P, N - p * P);
        real* Cp = C + (long)p * P;
        for (int k0 = 0; k0 < K; k0 += K_BLOCK) {
            const int kb = std::min(K_BLOCK, K - k0);
            const real* panel = packed + (long)p * K * P + (long)k0 * P;
            const bool acc = accumulate || k0 > 0;
            // the next block: this panel's next k-rows, or the next panel's first
            const bool last = k0 + K_BLOCK >= K;
            if (stream && !(last && p + 1 == p_end)) {
                const real* next = last ? packed + (long)(p + 1) * K * P : panel + (long)kb * P;
                const int next_rows = last ? std::min(K_BLOCK, K) : std::min(K_BLOCK, K - k0 - K_BLOCK);
                block_tiles<real, TRANS_A, true>(a_at(0, k0), lda, M, kb, panel, Cp, ldc, width, acc, next, next_rows);
            } else {
                block_tiles<real, TRANS_A, false>(a_at(0, k0), lda, M, kb, panel, Cp, ldc, width, acc);
            }
        }
    }
}

// The step's product on all panels. (Splitting the panels between the cores with OpenMP was
// measured slower on a 2-core machine: the threads fight OpenBLAS's spinning workers after the
// hoisted GEMM. One thread it is, until the whole loop runs in one parallel region.)
template <typename real>
void step_gemm(const real* A, int lda, int M, int K, const real* packed, int N, real* C, int ldc, bool accumulate) {
    gemm_packed<real, false>(A, lda, M, K, packed, N, C, ldc, accumulate, 0, panel_count<real>(N));
}

// C (M, N) = A.T @ B with A given as (K, M) rows: the weight gradients dW = dgates^T X after the
// backward loop. Rows [m_begin, m_end) of C only, so that threads can share the work.
//
// A.T's rows are A's columns. Read in place, each k of a tile is another row of A, lda apart, and
// when that is more than a 4 KiB page, every k of a tile is a new page and a new cache line: on one
// core of the Intel Xeon, (K, M, N) = (3200, 1024, 512) with lda = 2048 floats took 37 ms, against
// 26 ms with each block of M_BLOCK columns of A copied into rows first (then the same sums in the
// same order: the same bits); lda = 1536: 25 -> 20 ms. At 4 KiB it was even that day (8.1 -> 7.8 ms
// at (3200, 512, 256)), and in a later session clearly better (9.3-10.0 -> 7.8 there, 11.6 -> 10.1
// at (2048, 1024, 256): the LSTM(256) layers of the character language model); below it the copy
// lost (lda = 768: 5.6 -> 6.5 ms; at K = 1600, lda = 256:
// 0.2 -> 0.6 ms and lda = 512: 0.8 -> 1.4 ms, the copy's memory faulted in at every call). And the
// copy pays back over B's columns: with lda = 2048, (K, M) = (3200, 1024), N = 256 took 25 -> 17 ms,
// N = 128 11-15 -> 11, N = 64 6-7 either way, N = 32 5.7 -> 6.5-7.2 (lda = 1024, (2048, 1024): N = 192
// 8.6-9.0 -> 8.1-8.3, N = 128 5.3-5.6 -> 5.9). So A is copied where its rows are a page or longer and
// N > 128; otherwise, or if the copy's memory cannot be had, it is read in place.
template <typename real>
void gemm_tn_packed(const real* A, int lda, int m_begin, int m_end, int K, const real* packed, int N, real* C,
                    int ldc) {
    const int M = m_end - m_begin;
    const size_t bytes = ((size_t)std::min(M, M_BLOCK) * std::max(K, 1) * sizeof(real) + 63) / 64 * 64;
    const bool copy = (long)lda * (long)sizeof(real) >= 4096 && N > 128;
    real* rows = copy ? static_cast<real*>(std::aligned_alloc(64, bytes)) : nullptr;
    if (!rows) {
        gemm_packed<real, true>(A + m_begin, lda, M, K, packed, N, C + (long)m_begin * ldc, ldc, false, 0,
                                panel_count<real>(N));
        return;
    }
    for (int m0 = m_begin; m0 < m_end; m0 += M_BLOCK) {
        const int mb = std::min(M_BLOCK, m_end - m0);
        transpose_into(A + m0, lda, mb, K, rows, K);                          // rows (mb, K) = A[:, m0:m0+mb].T
        gemm_packed<real, false>(rows, K, mb, K, packed, N, C + (long)m0 * ldc, ldc, false, 0, panel_count<real>(N));
    }
    std::free(rows);
}

}  // namespace lstmx
