// The LSTM forward on two threads split by hidden unit, the batch's rows along the vector lanes: for a
// U too large for a core's L2 cache.
//
// Why: lstmx's usual two-thread loop gives each thread half of the batch, and each thread multiplies
// its rows by all of U.T at every step. Where packed U is larger than L2 (H = 512: 4 MiB), it comes
// from L3 at every step, once per thread, and the register tiles of 6 rows read each block of it
// again from L2 for every tile. Here each thread owns half of the hidden units instead: it makes the
// four gates of its units for every row of the batch, so it reads only its half of U, once a step,
// and the threads wait for each other once a step, for h_t (see UnitsClaims).
//
// The products are turned around so that U is read once: the state is kept transposed, hT (H, B)
// with the batch's rows along the lanes, and each step computes
//     preT (4 * units, B) += U_mine (4 * units, H) @ hT (H, B)
// a column of U_mine (one number) broadcast against V = B / 16 vectors of h for each k. A panel of U
// holds the i, f, g, o rows of a few hidden units, so when a panel's sums are done, its units' gates
// are complete: the activations and the cell update follow at once, on numbers still in L1.
//
// Everything the loop touches stays in that layout, one array a quantity with time first: the input
// projection is made before the loop the same way (preT[t] = W_mine @ X_t.T, for every t), and the
// activated gates, h and c go back to the batch-major arrays of the cache after the loop (the gates
// only when asked for: units_gates_to_rows), so that a step is its product, its activations and the
// wait for the other thread.
//
// On the Intel Xeon (2 MiB of L2 a core), in a C++ loop of products at 32 rows, H = 512, each thread
// on half of U.T's columns: 209-224 us a step, against 277-280 for the usual kernel on the same share
// and 279-287 for each thread's 16 rows against all of U (benchmarks/prototypes/transposed_step.cpp).
// With U in L1 the turned-around product runs at 164-166 GFLOP/s at 32 rows (the 6-row tile: 180),
// and at 16 rows only at 134: each multiply-add loads its broadcast number, so with one vector of rows
// the loads, not the multiply-adds, set the pace. And the batch must fill its vectors: padded to 32
// lanes, 17 to 24 rows took 45.6-47.5 ms at (B, 100, 512, 512) against 32.7-39.6 split by rows, and
// 33 rows (48 lanes) 71.1 against 57.1. With more vectors of rows the turned-around input projection
// falls behind the row split's: at 64 rows the forward was level at I = H (104-110 against 107-113 ms
// at (64, 100, 512, 512)) and lost at (64, 50, 1024, 640) (129 against 100); at 48 rows it won at
// I = H (70-76 against 78-83), was level at I = 2H and lost at 4H (105 against 93 at (48, 50, 2048,
// 512)); at 32 rows it won at every I tried, up to 4H (63.6 against 67.6 at (32, 50, 2048, 512)). So
// it serves 32 rows, and 48 rows where I <= H.
//
// lstmx's forward at (32, 100, 512, 512) on that machine, the best of 15 calls in turns, three runs:
// 51.6-54.5 ms, against 57.5-62.4 for the usual loop and 52.1-55.6 for PyTorch's; with a third, busy
// process on the two cores, medians of 100, 128 and 263 ms.
//
// float32 with AVX-512 and OpenMP only; the Cython kernel uses the usual loop otherwise.
#pragma once
#include <algorithm>
#include <cmath>
#include <sched.h>
#include "ahead.hpp"      // (cpu_relax)
#include "cells.hpp"      // (sigmoid)
#include "stepgemm.hpp"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace lstmx {

constexpr int UNITS_LANES = 16;      // rows a vector
constexpr int UNITS_CHUNK = 8;       // steps of the input projection a panel of W meets while in L1

// Whether the unit-split forward serves (B, H) on two threads.
static inline bool units_split_applies(int B, int I, int H) {
#if defined(__AVX512F__) && defined(_OPENMP)
    return (B == 2 * UNITS_LANES || (B == 3 * UNITS_LANES && I <= H)) && H >= 64 &&
           (long)4 * H * H * (long)sizeof(float) > l2_cache_bytes();
#else
    (void)B, (void)I, (void)H;
    return false;
#endif
}

// Units a panel for V vectors of rows: 4 * UNITS * V accumulators (of 32 registers).
template <int V> constexpr int units_a_panel() { return V == 2 ? 3 : 2; }

// Rows of A (4H, K) (W or U) for units [u0, u1), in panels of `per_panel` units: each panel is
// (K, 4 * units) in k-major order, gate-minor within a unit, packed[k * 4n + 4j + g] = A[g * H + p0 + j, k].
static inline void units_pack(const float* A, int K, int H, int u0, int u1, int per_panel, float* packed) {
    for (int p0 = u0; p0 < u1; p0 += per_panel) {
        const int n = std::min(per_panel, u1 - p0);
        float* dst = packed + (long)4 * (p0 - u0) * K;
        for (int j = 0; j < n; j++)
            for (int g = 0; g < 4; g++) {   // row g * H + p0 + j of A, read along, into column 4j + g
                const float* row = A + ((long)g * H + p0 + j) * K;
                for (int k = 0; k < K; k++) dst[(long)k * 4 * n + 4 * j + g] = row[k];
            }
    }
}

// Floats of lstm_forward_units' gates in its own layout, (T, 4H, B), and of its work memory: XT, hT,
// cT (see there) and the mask as floats.
static inline long units_gates_size(int T, int B, int H) { return 4L * T * H * B; }
static inline long units_work_size(int T, int B, int I, int H) {
    return (long)B * ((long)T * I + 2L * (T + 1) * H + T);
}

#if defined(__AVX512F__)
// The gates of `n` units, all B rows, done: pre (4n, B) (+ bias) -> activated, in place; the cell
// and h of each row, or for a masked row (keep_row 0) the previous ones carried. All (units, B).
static inline void units_activate(float* __restrict pre, int n, int B, const float* b, int H, int u,
                                  const float* __restrict c_prev, float* __restrict c_next,
                                  const float* __restrict h_prev, float* __restrict h_next,
                                  const float* __restrict keep_row) {
    for (int j = 0; j < n; j++) {
        float* i_ = pre + (4 * j + 0) * (long)B;
        float* f_ = pre + (4 * j + 1) * (long)B;
        float* g_ = pre + (4 * j + 2) * (long)B;
        float* o_ = pre + (4 * j + 3) * (long)B;
        const float bi = b[u + j], bf = b[H + u + j], bg = b[2 * H + u + j], bo = b[3 * H + u + j];
        const float* cp = c_prev + (long)j * B;
        const float* hp = h_prev + (long)j * B;
        float* cn = c_next + (long)j * B;
        float* hn = h_next + (long)j * B;
        for (int r = 0; r < B; r++) {
            const float i = sigmoid(i_[r] + bi), f = sigmoid(f_[r] + bf);
            const float g = std::tanh(g_[r] + bg), o = sigmoid(o_[r] + bo);
            i_[r] = i, f_[r] = f, g_[r] = g, o_[r] = o;
            const float c = f * cp[r] + i * g;                  // c = f * c_prev + i * g
            const float h = o * std::tanh(c);                   // h = o * tanh(c)
            cn[r] = keep_row[r] != 0 ? c : cp[r];
            hn[r] = keep_row[r] != 0 ? h : hp[r];
        }
    }
}

// preT[0:4N, 0:16V] (+)= panel (K, 4N) .T @ xT (K, 16V): one panel of N units
template <int V, int N, bool ACCUMULATE>
static inline void units_panel_product(const float* __restrict xT, int K, const float* __restrict panel,
                                       float* __restrict pre, int B) {
    constexpr int C = 4 * N;   // the 4 gates of N units
    __m512 acc[C][V];
    for (int c = 0; c < C; c++)
        for (int v = 0; v < V; v++)
            acc[c][v] = ACCUMULATE ? _mm512_loadu_ps(pre + (long)c * B + 16 * v) : _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m512 x[V];
        for (int v = 0; v < V; v++) x[v] = _mm512_loadu_ps(xT + (long)k * B + 16 * v);
        const float* u = panel + (long)k * C;
#pragma GCC unroll 16
        for (int c = 0; c < C; c++) {
            const __m512 w = _mm512_set1_ps(u[c]);
            for (int v = 0; v < V; v++) acc[c][v] = _mm512_fmadd_ps(w, x[v], acc[c][v]);
        }
    }
    for (int c = 0; c < C; c++)
        for (int v = 0; v < V; v++) _mm512_storeu_ps(pre + (long)c * B + 16 * v, acc[c][v]);
}

template <int V, bool ACCUMULATE>
static inline void units_panel(int n, const float* xT, int K, const float* panel, float* pre, int B) {
    switch (n) {
        case 3:   // (only V = 2 has panels of 3 units)
            if constexpr (units_a_panel<V>() >= 3) units_panel_product<V, 3, ACCUMULATE>(xT, K, panel, pre, B);
            break;
        case 2: units_panel_product<V, 2, ACCUMULATE>(xT, K, panel, pre, B); break;
        case 1: units_panel_product<V, 1, ACCUMULATE>(xT, K, panel, pre, B); break;
    }
}

// Panels of the time loop claimed by the threads. Each thread makes the panels of its own half of the
// units first, then any the other thread has not claimed yet, and starts the next step once every
// panel of this one is done. So a thread waits only for a panel the other has claimed and is making:
// when the other is descheduled (a busy machine, or a host that does not run both virtual CPUs at
// once), this one makes the whole step rather than waiting for the host's time slice at every step.
// Counters run over all steps (claims of half p in step t are t * panels[p] up to (t + 1) * panels[p]),
// each on its own cache line.
struct UnitsClaims {
    alignas(64) long next[2][8];   // [p][0]: panels of half p claimed so far
    alignas(64) long done[2][8];   // [p][0]: panels finished by thread p so far
    int panels[2];
    int u0[2];
};

// Thread `part` of `threads` (2, or 1 for the tests: one thread makes every half's share and then
// claims every panel), V vectors of rows; see lstm_forward_units for the arrays.
template <int V>
static void units_thread(int part, int threads, int T, int B, int I, int H, const float* X, const float* W,
                         const float* U, const float* b, float* W_packed, float* U_packed, float* hs, float* cs,
                         const float* keep, float* XT, float* preT, float* hT, float* cT, UnitsClaims* claims) {
    constexpr int PER = units_a_panel<V>();
    const long step_pre = 4L * H * B, step_h = (long)H * B;
    auto u_begin = [&](int half) { return claims->u0[half]; };
    auto u_end = [&](int half) { return half == 0 ? claims->u0[1] : H; };
    // this thread's halves: the rows of W and U of their units packed, their half of the steps' X_t.T
    // (I, B), h_0.T and c_0.T of their units
    for (int half = part; half < 2; half += threads) {
        const int u0 = u_begin(half), u1 = u_end(half);
        units_pack(W, I, H, u0, u1, PER, W_packed + 4L * u0 * I);
        units_pack(U, H, H, u0, u1, PER, U_packed + 4L * u0 * H);
        for (int t = T * half / 2; t < T * (half + 1) / 2; t++)
            transpose_into(X + (long)t * B * I, I, I, B, XT + (long)t * I * B, B);
        transpose_into(hs + u0, H, u1 - u0, B, hT + (long)u0 * B, B);
        transpose_into(cs + u0, H, u1 - u0, B, cT + (long)u0 * B, B);
    }
#pragma omp barrier
    // preT[t] = W_half @ X_t.T for every step: (4 units, I) x (I, B), a chunk of steps on each panel of W
    for (int half = part; half < 2; half += threads)
        for (int t0 = 0; t0 < T; t0 += UNITS_CHUNK)
            for (int p0 = u_begin(half); p0 < u_end(half); p0 += PER)
                for (int t = t0; t < std::min(T, t0 + UNITS_CHUNK); t++)
                    units_panel<V, false>(std::min(PER, u_end(half) - p0), XT + (long)t * I * B, I,
                                          W_packed + 4L * p0 * I, preT + t * step_pre + 4L * p0 * B, B);
#pragma omp barrier
    long made = 0;   // panels this thread has finished
    const long all = claims->panels[0] + claims->panels[1];
    for (int t = 0; t < T; t++) {
        float* hT_t = hT + t * step_h;
        float* cT_t = cT + t * step_h;
        for (int half : {part, 1 - part}) {
            long* next = &claims->next[half][0];
            const long end = (long)(t + 1) * claims->panels[half];
            for (long c = __atomic_load_n(next, __ATOMIC_RELAXED); c < end;) {
                if (!__atomic_compare_exchange_n(next, &c, c + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                    continue;   // (c now holds the other thread's claim count)
                const int p0 = u_begin(half) + (int)(c - (long)t * claims->panels[half]) * PER;
                const int m = std::min(PER, u_end(half) - p0);
                float* pre = preT + t * step_pre + 4L * p0 * B;
                // preT[t] += U[gate rows of p0:p0+m] @ h_(t-1).T: (4m, H) x (H, B)
                units_panel<V, true>(m, hT_t, H, U_packed + 4L * p0 * H, pre, B);
                units_activate(pre, m, B, b, H, p0, cT_t + (long)p0 * B, cT_t + step_h + (long)p0 * B,
                               hT_t + (long)p0 * B, hT_t + step_h + (long)p0 * B, keep + (long)t * B);
                __atomic_store_n(&claims->done[part][0], ++made, __ATOMIC_RELEASE);
                c = __atomic_load_n(next, __ATOMIC_RELAXED);
            }
        }
        // step t is done once both threads' counts add up to every panel of steps 0..t
        for (int spins = 0; __atomic_load_n(&claims->done[0][0], __ATOMIC_ACQUIRE) +
                                __atomic_load_n(&claims->done[1][0], __ATOMIC_ACQUIRE) < (t + 1) * all; spins++)
            if (spins < 4000) cpu_relax(); else sched_yield();
    }
    // h_t and c_t into the batch-major arrays (the gates stay: see units_gates_to_rows)
    for (int half = part; half < 2; half += threads)
        for (int t = 0; t < T; t++) {
            const int u0 = u_begin(half), n = u_end(half) - u0;
            transpose_into(hT + (t + 1) * step_h + (long)u0 * B, B, B, n, hs + (long)(t + 1) * B * H + u0, H);
            transpose_into(cT + (t + 1) * step_h + (long)u0 * B, B, B, n, cs + (long)(t + 1) * B * H + u0, H);
        }
}
#endif

// The whole forward (see the top of this file), for units_split_applies(B, I, H): X (T, B, I) time-major,
// W (4H, I), U (4H, H), b (4H); out: preT (T, 4H, B) the activated gates in the loop's layout (see
// units_gates_to_rows), hs and cs (T + 1, B, H) with hs[0] and cs[0] set on entry; mask (T, B) of 0
// (masked: h and c carried) and 1, or null. W_packed and U_packed: room for 4 * H * I and 4 * H * H
// floats; preT: units_gates_size(T, B, H) floats; work: units_work_size(T, B, I, H). threads: 2 (or 1,
// for the tests: the claims of the other half then all go to one thread).
static inline void lstm_forward_units(int T, int B, int I, int H, const float* X, const float* W, const float* U,
                                      const float* b, float* W_packed, float* U_packed, float* preT, float* hs,
                                      float* cs, const unsigned char* mask, float* work, int threads = 2) {
#if defined(__AVX512F__) && defined(_OPENMP)
    const int V = B / UNITS_LANES;
    const int PER = V == 2 ? units_a_panel<2>() : units_a_panel<3>();
    float* XT = work;                                 // (T, I, B): each step's inputs, rows along the lanes
    float* hT = XT + (long)T * I * B;                // (T + 1, H, B)
    float* cT = hT + (T + 1L) * H * B;               // (T + 1, H, B)
    float* keep = cT + (T + 1L) * H * B;             // (T, B): 1, or 0 for a masked row
    UnitsClaims claims = {};
    for (int part = 0; part < 2; part++) {
        claims.u0[part] = H * part / 2;
        claims.panels[part] = (H * (part + 1) / 2 - claims.u0[part] + PER - 1) / PER;
    }
    for (long k = 0; k < (long)T * B; k++) keep[k] = !mask || mask[k] ? 1.0f : 0.0f;
#pragma omp parallel num_threads(threads)
    {
        const auto thread = V == 2 ? units_thread<2> : units_thread<3>;
        thread(omp_get_thread_num(), omp_get_num_threads(), T, B, I, H, X, W, U, b, W_packed, U_packed, hs, cs,
               keep, XT, preT, hT, cT, &claims);
    }
#else
    (void)T, (void)B, (void)I, (void)H, (void)X, (void)W, (void)U, (void)b, (void)W_packed, (void)U_packed;
    (void)preT, (void)hs, (void)cs, (void)mask, (void)work, (void)threads;
#endif
}

// gates (T, B, 4H) = the activated gates lstm_forward_units left in preT (T, 4H, B), in the layout of
// every other LSTM cache. Apart from the forward because the forward alone does not need them: put
// there, they took 4-5 ms of its 57-63 at (32, 100, 512, 512) (26 MB read and 26 MB written, from and
// to memory); the Cython kernel does it when the backward (or anyone) first asks for them.
static inline void units_gates_to_rows(int T, int B, int H, const float* preT, float* gates) {
    const int G = 4 * H;
#pragma omp parallel for num_threads(2) schedule(static)
    for (int t = 0; t < T; t++)
        for (int g = 0; g < 4; g++)   // gate g of every unit: rows 4u + g of preT[t]
            transpose_into(preT + 4L * t * H * B + g * B, 4 * B, B, H, gates + (long)t * B * G + g * H, G);
}

}  // namespace lstmx
