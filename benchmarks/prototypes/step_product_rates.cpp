// Measurement, not part of lstmx: how close the LSTM kernel's step product runs to what one core can do.
//
//     g++ -O3 -march=native -mprefer-vector-width=512 -ffast-math -I../../lstmx/_kernels step_product_rates.cpp -o /tmp/rates -lmvec
//     /tmp/rates peak                # one core's float32 multiply-add rate: 12 independent chains
//     /tmp/rates tile                # stepgemm.hpp's 6-row micro-tile on a panel that stays in L1
//     /tmp/rates loop 16 512 30      # rows H T: the forward's time loop, product and row kernel apart
//     /tmp/rates interleaved 32 256 50   # rows H T: each step's product then its rows, as lstmx runs them,
//                                        # after a 256 MiB write that leaves no cache warm
//
// 2026-12-05, 2-core AMD EPYC (KVM, Zen 5), quiet, one thread:
//   peak 116-117 GFLOP/s; the micro-tile 115 GFLOP/s (98.5% of it); the loop's product at
//   (16 rows, H = 512) 105-113 GFLOP/s, (32, 256) 98-108, (16, 128) 104-110, with the row kernel
//   (bias, sigmoid, tanh, cell update) 6.5-10%, 12-20% and 19-23% of the loop. (Before stepgemm.hpp
//   held the panel's vectors in registers, gcc folded their loads into the 4-row tile's multiply-adds
//   in this program, and the loop at 16 rows read 100-106.)
// 2026-12-06, 2-core Intel Xeon (KVM; AVX-512, two FMA units a core), one thread, built with
// -mprefer-vector-width=512 as setup.py builds the kernels:
//   peak 214-223 GFLOP/s; the micro-tile 178-184 (83%); the loop's product at (32, 256) 150-163, at
//   (16, 512), where packed U (4 MiB) is twice the 2 MiB L2 and comes from L3 at every step (one core
//   reads L3 at 28-30 GB/s: 142 us of the step for U alone), 112-119 before stepgemm.hpp prefetched the
//   next block and 124-132 since; interleaved (32, 256) 145 us a step, (16, 512) 328 -> 305 us.
// On the AMD EPYC, two threads at 116 GFLOP/s are 232 GFLOP/s; PyTorch's nn.LSTM forward (oneDNN's fused LSTM; see
// benchmarks/README.md) runs at 200-210 GFLOP/s of its product's arithmetic at (32, 100, 512, 512)
// and (64, 50, 256, 256), 86-90% of that, activations included.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cells.hpp"
#include "stepgemm.hpp"
using namespace lstmx;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void peak() {
    typedef float vec __attribute__((vector_size(64)));
    vec acc[12];
    for (int i = 0; i < 12; i++) acc[i] = vec{} + i * 0.001f;
    vec x = vec{} + 1.0000001f, y = vec{} + 0.999999f;
    const long n = 50000000;
    for (int rep = 0; rep < 3; rep++) {
        const auto t0 = std::chrono::steady_clock::now();
        for (long k = 0; k < n; k++) {
#pragma GCC unroll 12
            for (int i = 0; i < 12; i++) acc[i] = acc[i] * x + y;
            asm volatile("" : "+v"(x));
        }
        std::printf("peak: %.1f GFLOP/s\n", n * 12 * 16 * 2 / seconds_since(t0) / 1e9);
    }
    float sum = 0;
    for (int i = 0; i < 12; i++) sum += acc[i][0];
    std::printf("(sum %g)\n", sum);
}

void tile() {
    const int K = 128;
    std::vector<float> A(6 * K, 0.01f), panel(K * 64, 0.02f), C(6 * 64, 0.f);
    const long n = 200000;
    for (int rep = 0; rep < 3; rep++) {
        const auto t0 = std::chrono::steady_clock::now();
        for (long r = 0; r < n; r++) {
            micro_tile<float, 6, false>(A.data(), K, K, panel.data(), C.data(), 64, 64, true);
            asm volatile("" : : "r"(C.data()) : "memory");
        }
        std::printf("6-row tile, K = %d, in L1: %.1f GFLOP/s\n", K, 2.0 * 6 * 64 * K * n / seconds_since(t0) / 1e9);
    }
}

// The arrays of a time loop of T steps on B rows: U packed as lstmx packs it, the gates preset to a
// random projection, the states.
struct Loop {
    int B, H, G, T;
    std::vector<float> U, b, projection, gates, hs, cs, room;
    float* packed;

    Loop(int B_, int H_, int T_) : B(B_), H(H_), G(4 * H_), T(T_), U((long)G * H), b(G), projection((long)T * B * G),
                                   gates((long)T * B * G), hs((long)(T + 1) * B * H), cs((long)(T + 1) * B * H),
                                   room(packed_size<float>(H, G) + 16) {
        std::mt19937 rng(0);
        std::normal_distribution<float> normal(0, 0.1f);
        for (auto* v : {&U, &b, &projection})
            for (auto& x : *v) x = normal(rng);
        // aligned to a cache line, as lstmx's packed buffers are (_common.pxd's packed_buffer): unaligned,
        // every vector load of the panel straddles two lines
        packed = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(room.data()) + 63) & ~uintptr_t(63));
        pack_panels(U.data(), H, true, H, G, packed);
    }
    void product(int t) { step_gemm(&hs[(long)t * B * H], H, B, H, packed, G, &gates[(long)t * B * G], G, true); }
    void row(int t, int n) {
        lstm_row_forward(&gates[((long)t * B + n) * G], b.data(), &cs[((long)t * B + n) * H],
                         &cs[((long)(t + 1) * B + n) * H], &hs[((long)(t + 1) * B + n) * H], H);
    }
};

// The products of every step, then the rows of every step.
void loop(int B, int H, int T) {
    Loop l(B, H, T);
    for (int rep = 0; rep < 4; rep++) {
        l.gates = l.projection;
        const auto t0 = std::chrono::steady_clock::now();
        for (int t = 0; t < T; t++) l.product(t);
        const double product = seconds_since(t0);
        const auto t1 = std::chrono::steady_clock::now();
        for (int t = 0; t < T; t++)
            for (int n = 0; n < B; n++) l.row(t, n);
        const double rows = seconds_since(t1);
        std::printf("%d rows, H = %d: product %.1f us a step (%.1f GFLOP/s), row kernel %.1f us (%.1f%% of the loop)\n",
                    B, H, 1e6 * product / T, 2.0 * B * H * l.G * T / product / 1e9, 1e6 * rows / T,
                    100 * rows / (product + rows));
    }
}

// The forward's loop as lstmx runs it: each step's product, then its rows.
void interleaved(int B, int H, int T) {
    Loop l(B, H, T);
    std::vector<float> flush(64 << 20);
    for (int rep = 0; rep < 4; rep++) {
        l.gates = l.projection;
        for (auto& x : flush) x += 1;
        const auto t0 = std::chrono::steady_clock::now();
        for (int t = 0; t < T; t++) {
            l.product(t);
            for (int n = 0; n < B; n++) l.row(t, n);
        }
        const double loop = seconds_since(t0);
        std::printf("%d rows, H = %d: the loop %.1f us a step (%.1f GFLOP/s of product)\n",
                    B, H, 1e6 * loop / T, 2.0 * B * H * l.G * T / loop / 1e9);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "peak") peak();
    else if (mode == "tile") tile();
    else if (mode == "interleaved" && argc == 5) interleaved(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
    else if (mode == "loop" && argc == 5) loop(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
    else {
        std::fprintf(stderr, "usage: %s peak | tile | loop ROWS H T | interleaved ROWS H T\n", argv[0]);
        return 2;
    }
}
