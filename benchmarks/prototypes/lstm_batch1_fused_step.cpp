// Measurement, not part of lstmx: the batch-1 LSTM step with its activations fused into the product,
// against stepgemm.hpp's step product followed by cells.hpp's lstm_row_forward (what lstm_cython runs).
//
//     g++ -O3 -march=native -ffast-math -fopenmp --param=vect-max-version-for-alias-checks=64 \
//         -I../../lstmx/_kernels lstm_batch1_fused_step.cpp -o /tmp/fused -lmvec
//     /tmp/fused 128          # H: us a step of each way, 200 steps, best of 300
//
// At batch 1 a step reads U (256 KiB at H = 128) from L2, and the activations then run on their own:
// the product is load-bound and leaves the arithmetic units idle, the activations are the opposite.
// Here U is packed in panels of 16 units x 4 gates (i f g o), so that a unit's four pre-activations
// are ready when its panel is done. "Fused" applies the activations right after each panel (libmvec's
// exp and tanh, as cells.hpp); "interleaved" applies those of the previous panel in pieces between 8
// segments of the next panel's k loop (rational tanh, sigmoid(x) = 1/2 + tanh(x/2)/2: no calls,
// nothing spilled), so that the out-of-order core can overlap them with the loads.
//
// 2026-12-06, 2-core Intel Xeon (KVM, AVX-512, 48 KiB L1d, 2 MiB L2 a core; one core reads a 256 KiB
// buffer from L2 at 188-194 GB/s, 1.35-1.40 us a pass, prototypes/lstm_batch1_two_threads.cpp), us a step:
//
//   H = 128: step_gemm product only 1.61, step_gemm + lstm_row_forward 2.03-2.04 (lstmx today);
//            fused product only 1.63-1.67, fused with activations 2.19-2.24, interleaved 1.82.
//   H = 256: step_gemm product only 6.52, + lstm_row_forward 7.34; fused product only 8.20, fused with
//            activations 9.51-9.59, interleaved 8.46-8.53 (this panel order reads U worse from L2).
//
// Applying the activations right after each panel overlaps nothing (2.2 against 2.0 us); interleaving
// them into the next panel's loop recovers 10% at H = 128 only (1.82 against 2.03), with a sigmoid less
// exact than cells.hpp's for large negative inputs (through tanh, 1/2 - 1/2 cancels). At (1, 200, 128,
// 128) that would save about 42 us of lstmx's 0.544 ms forward, 0.58 -> 0.53 of PyTorch's 0.938 ms in
// the same day's `lstmx bench`: short of the kernels issue's 0.5, slower at H = 256; not kept.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <random>
#include <cmath>
#include "stepgemm.hpp"
#include "cells.hpp"
using namespace lstmx;
typedef simd<float>::vec vec;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Ug: panel u = units [16u, 16u+16): Ug[u*H*64 + k*64 + g*16 + l] = U[g*H + 16u + l, k]
void pack_grouped(const float* U, int H, float* Ug) {
    for (int u = 0; u < H / 16; u++)
        for (int k = 0; k < H; k++)
            for (int g = 0; g < 4; g++)
                for (int l = 0; l < 16; l++) Ug[(long)u * H * 64 + k * 64 + g * 16 + l] = U[(long)(g * H + 16 * u + l) * H + k];
}

__attribute__((noinline)) void act16(const float* __restrict pre, const float* __restrict cp, float* __restrict gates, float* __restrict c, float* __restrict h, int H) {
    // pre: 64 floats [i f g o] of 16 units; writes gates rows (standard layout, stride H between gates)
    alignas(64) float e[48];
    for (int l = 0; l < 16; l++) { e[l] = std::exp(-std::fabs(pre[l])); e[16 + l] = std::exp(-std::fabs(pre[16 + l])); e[32 + l] = std::exp(-std::fabs(pre[48 + l])); }
    for (int l = 0; l < 16; l++) {
        float i = sigmoid_from_exp(pre[l], e[l]), f = sigmoid_from_exp(pre[16 + l], e[16 + l]);
        float g = std::tanh(pre[32 + l]), o = sigmoid_from_exp(pre[48 + l], e[32 + l]);
        gates[l] = i; gates[H + l] = f; gates[2 * H + l] = g; gates[3 * H + l] = o;
        float cj = f * cp[l] + i * g; c[l] = cj; h[l] = o * std::tanh(cj);
    }
}

static inline vec vtanh(vec x0) {
    const vec lo = vec{} - 7.90531110763549805f, hi = vec{} + 7.90531110763549805f;
    vec x = x0 < lo ? lo : (x0 > hi ? hi : x0);
    const vec x2 = x * x;
    vec p = vec{} + -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f; p = p * x2 + -8.60467152213735e-11f; p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f; p = p * x2 + 6.37261928875436e-04f; p = p * x2 + 4.89352455891786e-03f;
    vec q = vec{} + 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f; q = q * x2 + 2.26843463243900e-03f; q = q * x2 + 4.89352518554385e-03f;
    return x * p / q;
}
static inline vec vsig(vec x) { return 0.5f + 0.5f * vtanh(0.5f * x); }
static inline vec ld(const float* p) { vec v; memcpy(&v, p, 64); return v; }
static inline void st(float* p, vec v) { memcpy(p, &v, 64); }

// k-loop segment [k0, k1) of one panel
static inline void seg(const float* __restrict h_prev, const float* panel, int k0, int k1, vec* a0, vec* a1) {
    for (int k = k0; k < k1; k += 2) {
        const vec* p0 = reinterpret_cast<const vec*>(panel + k * 64);
        const vec* p1 = reinterpret_cast<const vec*>(panel + (k + 1) * 64);
        vec b0 = p0[0], b1 = p0[1], b2 = p0[2], b3 = p0[3];
        asm("" : "+v"(b0), "+v"(b1), "+v"(b2), "+v"(b3));
        const float x0 = h_prev[k];
        a0[0] += x0 * b0; a0[1] += x0 * b1; a0[2] += x0 * b2; a0[3] += x0 * b3;
        vec d0 = p1[0], d1 = p1[1], d2 = p1[2], d3 = p1[3];
        asm("" : "+v"(d0), "+v"(d1), "+v"(d2), "+v"(d3));
        const float x1 = h_prev[k + 1];
        a1[0] += x1 * d0; a1[1] += x1 * d1; a1[2] += x1 * d2; a1[3] += x1 * d3;
    }
}

// one step: h (H) from h_prev; xg (4H): x W^T + b (standard layout), gates out (4H) standard layout
template <bool ACT>
__attribute__((noinline)) void step(const float* __restrict h_prev, int H, const float* Ug, const float* __restrict xg, float* __restrict gates,
          const float* __restrict c_prev, float* __restrict c, float* __restrict h) {
    for (int u = 0; u < H / 16; u++) {
        const float* panel = Ug + (long)u * H * 64;
        vec a0[4] = {}, a1[4] = {};
        seg(h_prev, panel, 0, H, a0, a1);
        alignas(64) float pre[64];
        for (int g = 0; g < 4; g++) {
            vec x; memcpy(&x, xg + g * H + 16 * u, 64);
            vec s = a0[g] + a1[g] + x;
            memcpy(pre + 16 * g, &s, 64);
        }
        if (ACT) act16(pre, c_prev + 16 * u, gates + 16 * u, c + 16 * u, h + 16 * u, H);
        else for (int l = 0; l < 16; l++) h[16 * u + l] = pre[l] * 0.5f;
    }
}


__attribute__((noinline)) void step_interleaved(const float* __restrict h_prev, int H, const float* Ug, const float* __restrict xg, float* __restrict gates,
          const float* __restrict c_prev, float* __restrict c, float* __restrict h) {
    vec pi, pf, pg, po;   // the previous block's pre-activations
    int prev = -1;
    const int U = H / 16, S = H / 8;   // 8 segments of the k loop (H multiple of 16)
    for (int u = 0; u <= U; u++) {
        vec a0[4] = {}, a1[4] = {};
        const float* panel = Ug + (long)std::min(u, U - 1) * H * 64;
        vec i, f, g, o, cc;
        const int q = 16 * prev;
        for (int s = 0; s < 8; s++) {
            if (u < U) seg(h_prev, panel, s * S, (s + 1) * S, a0, a1);
            if (prev >= 0) {
                switch (s) {
                    case 0: i = vsig(pi); st(gates + q, i); break;
                    case 1: f = vsig(pf); st(gates + H + q, f); break;
                    case 2: g = vtanh(pg); st(gates + 2 * H + q, g); break;
                    case 3: o = vsig(po); st(gates + 3 * H + q, o); break;
                    case 4: cc = f * ld(c_prev + q) + i * g; st(c + q, cc); break;
                    case 5: st(h + q, o * vtanh(cc)); break;
                    default: break;
                }
            }
        }
        if (u < U) {
            const int j = 16 * u;
            pi = a0[0] + a1[0] + ld(xg + j); pf = a0[1] + a1[1] + ld(xg + H + j);
            pg = a0[2] + a1[2] + ld(xg + 2 * H + j); po = a0[3] + a1[3] + ld(xg + 3 * H + j);
        }
        prev = u;
    }
}
int main(int argc, char** argv) {
    const int H = argc > 1 ? atoi(argv[1]) : 128, T = 200, G = 4 * H;
    std::mt19937 rng(0); std::normal_distribution<float> nd(0, 0.1f);
    std::vector<float> U(G * H), b(G), xg((size_t)T * G), gates((size_t)T * G), hs((size_t)(T + 1) * H), cs((size_t)(T + 1) * H);
    for (auto& x : U) x = nd(rng);
    for (auto& x : xg) x = nd(rng);
    float* Ug = (float*)aligned_alloc(64, (size_t)G * H * 4);
    pack_grouped(U.data(), H, Ug);
    float* Up = (float*)aligned_alloc(64, packed_size<float>(H, G) * 4);
    pack_panels(U.data(), H, true, H, G, Up);
    std::vector<float> hs2 = hs, cs2 = cs, g2 = gates;
    for (int rnd = 0; rnd < 2; rnd++)
    for (int mode = 0; mode < 5; mode++) {
        double best = 1e9;
        for (int rep = 0; rep < 300; rep++) {
            double t0 = now();
            for (int t = 0; t < T; t++) {
                const float* hp = hs.data() + (size_t)t * H;
                float* hn = hs.data() + (size_t)(t + 1) * H;
                if (mode == 4) step_interleaved(hp, H, Ug, xg.data() + (size_t)t * G, gates.data() + (size_t)t * G, cs.data() + (size_t)t * H, cs.data() + (size_t)(t + 1) * H, hn);
                else if (mode == 0) step<false>(hp, H, Ug, xg.data() + (size_t)t * G, gates.data() + (size_t)t * G, cs.data() + (size_t)t * H, cs.data() + (size_t)(t + 1) * H, hn);
                else if (mode == 1) step<true>(hp, H, Ug, xg.data() + (size_t)t * G, gates.data() + (size_t)t * G, cs.data() + (size_t)t * H, cs.data() + (size_t)(t + 1) * H, hn);
                else {
                    float* gt = g2.data() + (size_t)t * G;
                    memcpy(gt, xg.data() + (size_t)t * G, G * 4);
                    step_gemm(hs2.data() + (size_t)t * H, H, 1, H, Up, G, gt, G, true);
                    if (mode == 3) lstm_row_forward(gt, b.data(), cs2.data() + (size_t)t * H, cs2.data() + (size_t)(t + 1) * H, hs2.data() + (size_t)(t + 1) * H, H);
                    else for (int j = 0; j < H; j++) hs2[(size_t)(t + 1) * H + j] = gt[j] * 0.5f;
                }
            }
            best = std::min(best, now() - t0);
        }
        const char* names[] = {"fused product only", "fused product + activations", "step_gemm product only", "step_gemm + lstm_row_forward", "fused, activations (rational) interleaved with the next block"};
        printf("H=%d %s: %.3f us a step\n", H, names[mode], best / T * 1e6);
    }
    // check equality of fused vs reference path for mode 1 vs 3 (b = 0)
    double md = 0; for (size_t i = 0; i < hs.size(); i++) md = std::max(md, (double)std::fabs(hs[i] - hs2[i]));
    printf("max |h fused - h step_gemm| = %g\n", md);
}
