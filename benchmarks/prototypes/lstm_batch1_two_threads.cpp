// Prototype, not part of lstmx: the batch-1 LSTM forward on two threads, each making every gate of
// half of the hidden units, against what bounds a one-thread loop: reading U from L2 at every step.
//
// Why: at batch 1 each step multiplies h_(t-1) (1, H) by U.T (H, 4H). At H = 128, U is 256 KiB: more
// than L1, so every step streams it from L2, and a core's L2 bandwidth, not its multiply-adds, sets
// the step's time. Two threads could each read half of U from their own L2, if each made complete
// units: here U's rows are regrouped so that a panel of 64 columns holds the four gates (i, f, g, o)
// of 16 hidden units, and a thread owns half of the panels. It makes its panels' input projection in
// chunks of 24 steps, its half of the step product, the activations of its units, and then waits
// (spinning) for the other thread's half of h_t: one synchronisation a step.
//
// Build and run from this folder:
//
//     g++ -O3 -march=native -ffast-math -I../../lstmx/_kernels lstm_batch1_two_threads.cpp -o /tmp/batch1 -lmvec
//     /tmp/batch1 bandwidth 256          # KiB read again and again: GB/s of one core from L2
//     /tmp/batch1 one 200 128 128        # T I H: the regrouped loop on one thread
//     /tmp/batch1 two 200 128 128        # ... on two threads, half of the units each
//
// 2026-12-05, 2-core AMD EPYC (KVM, Zen 5), quiet:
//   - one core reads a 256 KiB buffer at 116 GB/s (2.25 us a pass; 24 KiB, from L1, at 214 GB/s). The
//     lstmx step product at (1, 128, 512) takes 2.28 us in a C++ loop: it is at that bound. So 200
//     steps cannot take less than 0.45 ms on one core, 0.54 of PyTorch's 0.835 ms forward, before
//     any activation or input projection: the kernels issue's goal of 0.5 is out of reach there.
//   - on two cores the bound would be 0.23 ms for U, plus 0.13 ms for the input projection at the
//     measured two-core GEMM rate (26 MFLOP at 205 GFLOP/s), plus the activations: about 0.39 ms,
//     0.46 of PyTorch's, with no time at all for the 200 synchronisations and the call.
//   - measured here, the best of 12 runs of an invocation: one thread 1.02-1.07 ms (5.1-5.3 us a
//     step: the projection, made in the loop, is 1.3 us of it); two threads 0.60-0.71 ms (3.0-3.6 us
//     a step), no better than lstmx's one-thread loop with the projection made ahead on the other
//     core (0.62-0.65 ms in the Cython kernel). Each thread's half of the product took 1.57 us a step
//     against the 1.13 of its bandwidth, the activations of its 4 panels 0.54 us, its projection 0.68.
//   - and in some invocations every one of the 12 two-thread runs took 1.8 to 24 ms (9 to 120 us a
//     step; the one-thread loop never did): a step waits for the other thread, and when the host
//     does not run both virtual CPUs at once, that wait is the host's time slice. lstmx's one-thread
//     loop only waits for a chunk its helper has claimed and is making (ahead.hpp: the loop makes
//     whatever the helper has not claimed), never once a step.
// Not pursued: no gain when both CPUs run together, and 3 to 40 times slower when they do not.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cells.hpp"
#include "stepgemm.hpp"
using namespace lstmx;

namespace {

constexpr int P = 64, UNITS = 16, CHUNK = 24;   // panel width; hidden units a panel; steps a projection chunk
int T, I, H, PANELS, THREADS;
std::vector<float> X, W, U, b, proj, gates, hs, cs, U_grouped, W_grouped, U_packed, W_packed, b_grouped;
alignas(64) std::atomic<long> done0;
alignas(64) std::atomic<long> done1;
std::atomic<long>* done[2] = {&done0, &done1};

// rows of M (4H, K), [i f g o], regrouped as panels of 16 units x 4 gates (padded with zero rows)
void group_rows(const float* M, int K, float* out, int p0, int p1) {
    for (int p = p0; p < p1; p++)
        for (int c = 0; c < P; c++) {
            const int gate = c / UNITS, unit = p * UNITS + c % UNITS;
            float* row = out + (long)(p * P + c) * K;
            if (unit < H) std::memcpy(row, M + (long)(gate * H + unit) * K, K * sizeof(float));
            else std::memset(row, 0, K * sizeof(float));
        }
}

// the time loop for the panels [p0, p1) of thread `part`
void run_part(int part) {
    const int p0 = PANELS * part / THREADS, p1 = PANELS * (part + 1) / THREADS, G = PANELS * P;
    group_rows(U.data(), H, U_grouped.data(), p0, p1);
    group_rows(W.data(), I, W_grouped.data(), p0, p1);
    pack_panels(U_grouped.data(), H, true, H, G, U_packed.data(), part, THREADS);
    pack_panels(W_grouped.data(), I, true, I, G, W_packed.data(), part, THREADS);
    for (int t = 0; t < T; t++) {
        if (t % CHUNK == 0)   // x @ W.T of this thread's columns, for the next CHUNK steps
            gemm_packed<float, false>(&X[(long)t * I], I, std::min(CHUNK, T - t), I, W_packed.data(), G,
                                      &proj[(long)t * G], G, false, p0, p1);
        // proj[t] += h_(t-1) @ U.T, this thread's columns: (1, H) x (H, its share of 4H)
        gemm_packed<float, false>(&hs[(long)t * H], H, 1, H, U_packed.data(), G, &proj[(long)t * G], G, true, p0, p1);
        for (int p = p0; p < p1; p++) {   // the activations of 16 units, then their gates in [i f g o] order
            float* a = &proj[(long)t * G + p * P];
            const int u0 = p * UNITS;
            lstm_row_forward(a, &b_grouped[p * P], &cs[(long)t * H + u0], &cs[(long)(t + 1) * H + u0],
                             &hs[(long)(t + 1) * H + u0], UNITS);
            for (int gate = 0; gate < 4; gate++)
                std::memcpy(&gates[(long)t * 4 * H + gate * H + u0], a + gate * UNITS, UNITS * sizeof(float));
        }
        done[part]->store(t + 1, std::memory_order_release);
        if (THREADS == 2)   // h_t: the other thread's half too
            while (done[1 - part]->load(std::memory_order_acquire) < t + 1) __builtin_ia32_pause();
    }
}

int bandwidth(long kib) {
    typedef float vec __attribute__((vector_size(64)));
    const long n = kib * 1024 / 64;
    vec* a = (vec*)aligned_alloc(64, n * 64);
    for (long i = 0; i < n; i++) a[i] = vec{} + 1.0f * (i % 7);
    vec s[8] = {};
    for (int rep = 0; rep < 5; rep++) {
        const int passes = 2000;
        const auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < passes; r++) {
            for (long i = 0; i < n; i += 8)
                for (int j = 0; j < 8; j++) s[j] += a[i + j];
            asm volatile("" : : "r"(s) : "memory");
        }
        const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / passes;
        std::printf("%ld KiB: %.3f us a pass, %.1f GB/s\n", kib, us, kib * 1024 / us / 1e3);
    }
    float total = 0;
    for (int j = 0; j < 8; j++) total += s[j][0];
    std::printf("(sum %g)\n", total);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s bandwidth KIB | one T I H | two T I H\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    if (mode == "bandwidth") return bandwidth(std::atol(argv[2]));
    if (argc < 5 || (mode != "one" && mode != "two")) {
        std::fprintf(stderr, "usage: %s bandwidth KIB | one T I H | two T I H\n", argv[0]);
        return 2;
    }
    THREADS = mode == "two" ? 2 : 1;
    T = std::atoi(argv[2]), I = std::atoi(argv[3]), H = std::atoi(argv[4]);
    PANELS = (H + UNITS - 1) / UNITS;
    std::mt19937 rng(0);
    std::normal_distribution<float> normal(0, 0.1f);
    X.resize((long)T * I), W.resize(4L * H * I), U.resize(4L * H * H), b.resize(4 * H);
    for (auto* v : {&X, &W, &U, &b})
        for (auto& x : *v) x = normal(rng);
    const long G = (long)PANELS * P;
    proj.resize(T * G), gates.resize((long)T * 4 * H), hs.assign((long)(T + 1) * H, 0), cs.assign((long)(T + 1) * H, 0);
    U_grouped.resize(G * H), W_grouped.resize(G * I), U_packed.resize(G * H), W_packed.resize(G * I);
    b_grouped.assign(G, 0);
    for (int p = 0; p < PANELS; p++)
        for (int c = 0; c < P; c++) {
            const int gate = c / UNITS, unit = p * UNITS + c % UNITS;
            if (unit < H) b_grouped[p * P + c] = b[gate * H + unit];
        }
    for (int rep = 0; rep < 12; rep++) {
        done0 = 0, done1 = 0;
        const auto t0 = std::chrono::steady_clock::now();
        if (THREADS == 2) {
            std::thread other(run_part, 1);
            run_part(0);
            other.join();
        } else {
            run_part(0);
        }
        const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%s thread(s): %.1f us, %.2f us a step\n", mode.c_str(), us, us / T);
    }
    double sum = 0;
    for (int j = 0; j < H; j++) sum += hs[(long)T * H + j];
    std::printf("sum of h_T: %.6f (the same for one and two threads)\n", sum);
}
