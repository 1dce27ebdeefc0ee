// Prototype, not part of lstmx: the LSTM forward's time loop on two threads, split by batch rows (what
// lstmx's Cython kernel does: each thread runs the whole loop on half of the batch and reads all of U
// every step) against split by hidden unit (each thread makes every gate's columns of half of the
// units, reading half of U, then one OpenMP barrier a step). Input projection left out (the gates
// start preset); float32. Build and run from this folder:
//
//     g++ -O3 -march=native -ffast-math -fopenmp -I../../lstmx/_kernels lstm_unit_split.cpp -o /tmp/unit_split -lmvec -lm
//     OMP_WAIT_POLICY=passive /tmp/unit_split 32 100 512 7      # B T H repeats (best of)
//
// 2026-12-05, 2-core AMD EPYC (KVM, Zen 5), quiet, ms of the loop, batch split / unit split:
//     passive barrier (sleeps): (32,100,512) 44.4 / 53.4, (64,50,256) 11.8 / 18.7, (32,100,128) 4.2 / 9.1,
//                               (16,100,512) 34.7 / 32.6
//     active barrier (spins):   (32,100,512) 48.4 / 50.6, (64,50,256) 12.3 / 20.1, (32,100,128) 4.5 / 6.7
// The unit split loses wherever the batch has 32 rows or more: reading all of U on both cores is not
// what holds the large forwards back. (Its activations were a plain loop then, which gcc did not
// vectorise; row_units below now calls cells.hpp's sigmoid and libmvec's tanh on each unit range.)
// 2026-12-06, 2-core Intel Xeon (KVM, 2 MiB of L2 a core), vectorised activations, built with
// -mprefer-vector-width=512, active barrier (0.33 us each here): (32,100,512) 35.5 / 35.5,
// (64,50,256) 8.2 / 9.7, (32,100,128) 2.2 / 3.6. (The scalar activations had given 37 / 71, 8.1 / 27,
// 2.3 / 16.) Even where each core's half of U (2 MiB) nearly fits its L2, the unit split only ties.
#include <omp.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cmath>
#include "stepgemm.hpp"
#include "cells.hpp"
using namespace lstmx;

// the activations of units [u0, u1) of one row: a (4H) pre-activations (bias added here)
__attribute__((noinline)) static void row_units(float* __restrict a, const float* __restrict b, const float* __restrict c_prev, float* __restrict c, float* __restrict h, int H, int u0, int u1) {
    const int n = u1 - u0;
    float *i = a + u0, *f = a + H + u0, *g = a + 2 * H + u0, *o = a + 3 * H + u0;
    sigmoid_rows(i, b + u0, n);
    sigmoid_rows(f, b + H + u0, n);
    for (int j = 0; j < n; j++) g[j] = std::tanh(g[j] + b[2 * H + u0 + j]);
    sigmoid_rows(o, b + 3 * H + u0, n);
    for (int j = 0; j < n; j++) {
        float cj = f[j] * c_prev[u0 + j] + i[j] * g[j];
        c[u0 + j] = cj;
        h[u0 + j] = o[j] * std::tanh(cj);
    }
}

int main(int argc, char** argv) {
    int B = atoi(argv[1]), T = atoi(argv[2]), H = atoi(argv[3]);
    int G = 4 * H, reps = argc > 4 ? atoi(argv[4]) : 5;
    std::vector<float> U(G * H), b(G), gates0((long)T * B * G), gates((long)T * B * G);
    std::vector<float> hs((long)(T + 1) * B * H), cs((long)(T + 1) * B * H);
    for (auto& x : U) x = (rand() / (float)RAND_MAX - 0.5f) * 0.1f;
    for (auto& x : gates0) x = (rand() / (float)RAND_MAX - 0.5f);
    std::vector<float> packed(packed_size<float>(H, G));
    const int P = panel_width<float>();
    auto run_batch = [&]() {
        pack_panels(U.data(), H, true, H, G, packed.data());
        #pragma omp parallel num_threads(2)
        {
            int part = omp_get_thread_num(), n0 = B * part / 2, n1 = B * (part + 1) / 2;
            for (int t = 0; t < T; t++) {
                step_gemm(&hs[((long)t * B + n0) * H], H, n1 - n0, H, packed.data(), G, &gates[((long)t * B + n0) * G], G, true);
                for (int n = n0; n < n1; n++)
                    lstm_row_forward(&gates[((long)t * B + n) * G], b.data(), &cs[((long)t * B + n) * H],
                                     &cs[((long)(t + 1) * B + n) * H], &hs[((long)(t + 1) * B + n) * H], H);
            }
        }
    };
    auto run_units = [&]() {
        pack_panels(U.data(), H, true, H, G, packed.data());
        #pragma omp parallel num_threads(2)
        {
            int part = omp_get_thread_num(), u0 = H * part / 2, u1 = H * (part + 1) / 2;
            for (int t = 0; t < T; t++) {
                for (int g = 0; g < 4; g++)   // this thread's columns of gate g: panels [(gH + u0)/P, (gH + u1)/P)
                    gemm_packed<float, false>(&hs[(long)t * B * H], H, B, H, packed.data(), G, &gates[(long)t * B * G], G,
                                              true, (g * H + u0) / P, (g * H + u1) / P);
                for (int n = 0; n < B; n++)
                    row_units(&gates[((long)t * B + n) * G], b.data(), &cs[((long)t * B + n) * H],
                              &cs[((long)(t + 1) * B + n) * H], &hs[((long)(t + 1) * B + n) * H], H, u0, u1);
                #pragma omp barrier
            }
        }
    };
    auto time_it = [&](auto f) {
        double best = 1e9;
        for (int r = 0; r < reps; r++) {
            gates = gates0;
            std::fill(hs.begin(), hs.end(), 0.f); std::fill(cs.begin(), cs.end(), 0.f);
            auto s = std::chrono::steady_clock::now();
            f();
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
            best = std::min(best, ms);
        }
        return best;
    };
    double tb = time_it(run_batch);
    std::vector<float> h_batch(hs);
    double tu = time_it(run_units);
    double diff = 0; for (size_t k = 0; k < hs.size(); k++) diff = std::max(diff, (double)std::fabs(hs[k] - h_batch[k]));
    double flops = 2.0 * T * B * H * G;
    printf("B %d T %d H %d: batch split %.3f ms (%.0f GFLOP/s), unit split %.3f ms (%.0f GFLOP/s), ratio %.3f, max |h diff| %.2g\n",
           B, T, H, tb, flops / tb / 1e6, tu, flops / tu / 1e6, tu / tb, diff);
}
