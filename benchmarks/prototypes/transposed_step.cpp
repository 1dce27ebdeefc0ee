// Measurement, not part of lstmx: the step product with the batch's rows along the vector lanes
// (lstmx/_kernels/lstm_units.hpp), against stepgemm.hpp's kernel, on the same share of U.
//
//     g++ -O3 -march=native -mprefer-vector-width=512 -ffast-math -fopenmp -I../../lstmx/_kernels transposed_step.cpp -o /tmp/tstep
//     /tmp/tstep 16 512 50 2          # rows H T threads [N]: us a step of each thread's product, N = 4H
//     /tmp/tstep 32 512 50 2 1008     # 32 rows against about half of U.T's columns (2 MiB), each thread
//     /tmp/tstep 32 64 4000 1 336     # everything in L1
//
// stepgemm.hpp multiplies the rows of h (register tiles of 6 rows x 64 columns) by packed U.T, and
// where U.T is larger than L2 it comes from L3 at every step and each block of it is read again from
// L2 by every row tile. Turned around, CT (N, rows) += U (N, K) @ hT (K, rows): per k, one number of U
// broadcast against each vector of 16 rows, so U is read once. 2026-12-06, 2-core Intel Xeon (KVM,
// 2 MiB of L2 a core, one core's peak 211-213 GFLOP/s), us a step (GFLOP/s a thread):
//   - 16 rows, all of U.T (4 MiB), 2 threads: step_gemm 279-287 (117-120); turned around, 16 columns
//     a panel 266-279, with a prefetch of the next panel 254-258, 32 columns (2 of them spilled to
//     the stack) 248-253, with the prefetch 238-241 (139-141).
//   - 32 rows (two vectors), 1008 columns (2 MiB) a thread, 2 threads: step_gemm 277-280 (118-119);
//     turned around, 12 columns a panel 215-224 (147-154), 14 columns 209-213 (155-158), 8 columns
//     239-246. In k blocks of 128 or 256 (hT's block kept in L1): no change (223-234).
//   - in L1 (H = 64): 16 rows 134 GFLOP/s (each multiply-add waits on its broadcast's load: 17 loads
//     for 16 multiply-adds), 32 rows 164-177 (14 loads for 24), the 6-row tile of stepgemm.hpp 180.
//     Unrolling k by 2 (#pragma GCC unroll 2 on the k loop of tstep2): no change.
// So lstm_units.hpp splits the units between the threads (each reads its half of U once a step, from
// L2 or L3) with 12 columns (3 units) a panel at 32 rows, and only from 17 rows.
#include <omp.h>
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "stepgemm.hpp"
using namespace lstmx;

// CT (N, 16) += Up @ hT: hT (K, 16), Up packed (N / NB, K, NB); NB columns of C a panel, 16 rows in lanes
template <int NB>
static void tstep(const float* hT, int K, const float* Up, int N, float* CT, int pf) {
    for (int n0 = 0; n0 < N; n0 += NB) {
        const float* panel = Up + (long)n0 * K;
        __m512 acc[NB];
        for (int j = 0; j < NB; j++) acc[j] = _mm512_loadu_ps(CT + (long)(n0 + j) * 16);
        const char* ahead = reinterpret_cast<const char*>(panel + (long)NB * K);
        for (int k = 0; k < K; k++) {
            const __m512 h = _mm512_loadu_ps(hT + k * 16);
            const float* u = panel + (long)k * NB;
            if (pf) for (int l = 0; l < NB * 4 / 64; l++) __builtin_prefetch(ahead + (long)k * NB * 4 + 64 * l, 0, 2);
#pragma GCC unroll 32
            for (int j = 0; j < NB; j++) acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(u[j]), h, acc[j]);
        }
        for (int j = 0; j < NB; j++) _mm512_storeu_ps(CT + (long)(n0 + j) * 16, acc[j]);
    }
}

// CT (N, 32) += Up @ hT: hT (K, 32), two vectors of rows
// CT (N, 32) += Up @ hT: hT (K, 32), two vectors of rows; in k blocks of KB (so that hT's block stays
// in L1 across the panels) when KB < K
template <int NB, int KB = 1 << 30>
static void tstep2(const float* hT, int K, const float* Up, int N, float* CT) {
    for (int k0 = 0; k0 < K; k0 += KB) {
        const int kb = std::min(KB, K - k0);
        for (int n0 = 0; n0 < N; n0 += NB) {
            const float* panel = Up + (long)n0 * K + (long)k0 * NB;
            __m512 acc[NB][2];
            for (int j = 0; j < NB; j++)
                for (int r = 0; r < 2; r++) acc[j][r] = _mm512_loadu_ps(CT + (long)(n0 + j) * 32 + 16 * r);
            for (int k = 0; k < kb; k++) {
                const __m512 h0 = _mm512_loadu_ps(hT + (k0 + k) * 32), h1 = _mm512_loadu_ps(hT + (k0 + k) * 32 + 16);
                const float* u = panel + (long)k * NB;
#pragma GCC unroll 32
                for (int j = 0; j < NB; j++) {
                    const __m512 x = _mm512_set1_ps(u[j]);
                    acc[j][0] = _mm512_fmadd_ps(x, h0, acc[j][0]);
                    acc[j][1] = _mm512_fmadd_ps(x, h1, acc[j][1]);
                }
            }
            for (int j = 0; j < NB; j++)
                for (int r = 0; r < 2; r++) _mm512_storeu_ps(CT + (long)(n0 + j) * 32 + 16 * r, acc[j][r]);
        }
    }
}

int main(int argc, char** argv) {
    const int rows = atoi(argv[1]), H = atoi(argv[2]), T = atoi(argv[3]), threads = atoi(argv[4]);
    const int K = H, N = argc > 5 ? atoi(argv[5]) : 4 * H;
    std::vector<float> U((long)N * K);
    for (auto& x : U) x = (rand() / (float)RAND_MAX - 0.5f) * 0.1f;
    std::vector<float> packed(packed_size<float>(K, N));
    pack_panels(U.data(), H, true, K, N, packed.data());
    auto pack_t = [&](int NB) {
        std::vector<float> p((long)N * K);
        if (N % NB) return p;
        for (int n0 = 0; n0 < N; n0 += NB)
            for (int k = 0; k < K; k++)
                for (int j = 0; j < NB; j++) p[(long)n0 * K + (long)k * NB + j] = U[(long)(n0 + j) * K + k];
        return p;
    };
    std::vector<float> p16 = pack_t(16), p32 = pack_t(32), p12 = pack_t(12), p8 = pack_t(8), p14 = pack_t(14);
    auto run = [&](const char* name, auto body) {
        for (int rep = 0; rep < 4; rep++) {
            double best = 1e9;
#pragma omp parallel num_threads(threads) reduction(min : best)
            {
                std::vector<float> h((long)rows * K, 0.01f), C((long)rows * N, 0.f);
                std::vector<float> flush(8 << 20);
#pragma omp barrier
                const auto t0 = std::chrono::steady_clock::now();
                for (int t = 0; t < T; t++) body(h.data(), C.data());
                best = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / T * 1e6;
            }
            std::printf("%-22s %7.1f us a step, %6.1f GFLOP/s a thread\n", name, best, 2.0 * rows * K * N / best / 1e3);
        }
    };
    run("step_gemm", [&](float* h, float* C) { step_gemm(h, K, rows, K, packed.data(), N, C, N, true); });
    if (rows == 32) {
        run("transposed2 NB=8", [&](float* h, float* C) { tstep2<8>(h, K, p8.data(), N, C); });
        run("transposed2 NB=12", [&](float* h, float* C) { tstep2<12>(h, K, p12.data(), N, C); });
        run("transposed2 NB=12 KB=128", [&](float* h, float* C) { tstep2<12, 128>(h, K, p12.data(), N, C); });
        run("transposed2 NB=12 KB=256", [&](float* h, float* C) { tstep2<12, 256>(h, K, p12.data(), N, C); });
        run("transposed2 NB=14", [&](float* h, float* C) { tstep2<14>(h, K, p14.data(), N, C); });
    }
    if (rows == 16) {
        run("transposed NB=16", [&](float* h, float* C) { tstep<16>(h, K, p16.data(), N, C, 0); });
        run("transposed NB=16 pf", [&](float* h, float* C) { tstep<16>(h, K, p16.data(), N, C, 1); });
        run("transposed NB=32", [&](float* h, float* C) { tstep<32>(h, K, p32.data(), N, C, 0); });
        run("transposed NB=32 pf", [&](float* h, float* C) { tstep<32>(h, K, p32.data(), N, C, 1); });
    }
}
