// Measurement, not part of lstmx: the LSTM forward's row kernel (bias, three sigmoids, two tanh, the
// cell update) with glibc's vector exp and tanh (libmvec, called per 16 lanes) against the same
// equations with exp and tanh written inline as multiply-adds, which gcc vectorises in place.
//
//     g++ -O3 -march=native -ffast-math -I../../lstmx/_kernels row_kernel_rates.cpp -o /tmp/rowrates -lmvec
//     /tmp/rowrates time 32 256      # rows H: microseconds a step, each variant
//     /tmp/rowrates error            # each float function's largest error against double, over the float range
//
// 2026-12-06, 2-core Intel Xeon (KVM; AVX-512, gcc 12 names it rocketlake), one thread, 32 rows, H = 256:
//   gcc's default for this CPU (-mprefer-vector-width=256: its loops use 8-lane AVX2 vectors and
//   libmvec's 8-lane exp and tanh): libmvec 28.0-32.3 us a step, inline 27.7-29.3;
//   with -mprefer-vector-width=512: libmvec 19.6-19.7 us, inline 22.9-23.5.
//   Errors of the inline float functions over every float in [-100, 100]: sigmoid 7.3e-8 absolute,
//   tanh 8.5e-8 absolute (1.5e-7 relative), exp 7.5e-8 relative on [-87.3, 0] (1.3 units of 2^-24).
// Kept: libmvec, and setup.py builds the kernels with -mprefer-vector-width=512 (1.5x on this row
// kernel here). The inline functions lose at 512 bits and gain 2-10% at 256: not worth new numbers.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cells.hpp"
#include "onerow.hpp"   // is_nan: a NaN test on the bits, which -ffast-math keeps
using namespace lstmx;

namespace {

// exp(x) for x <= 0 (the only arguments below): x = n ln2 + r with |r| <= ln2 / 2, exp(x) = 2^n exp(r),
// exp(r) by Cephes' expf polynomial (S. Moshier), ln2 in two parts so that n ln2 is exact. Below
// ln(2^-126) = -87.34, where the result would be subnormal, it is 0; NaN stays NaN.
static inline float exp_inline(float x) {
    const float n = std::max(std::floor(x * 1.44269504088896341f + 0.5f), -127.0f);
    // fma, not x - n * C1 + n * C2: -ffast-math may regroup that into x - n * (C1 - C2), one rounding of
    // n ln2 whose error, times 2^n, was 3.7e-6 of exp(-72)
    const float r = std::fma(n, 2.12194440e-4f, std::fma(n, -0.693359375f, x));
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const uint32_t bits = uint32_t(int32_t(n) + 127) << 23;      // 2^n, built in the exponent field
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return is_nan(x) ? x : x < -87.3365448f ? 0.0f : p * scale;
}

// sigmoid(x) = 1 / (1 + exp(-x)), as cells.hpp's sigmoid_rows computes it: exp only of -|x|, so
// nothing overflows, +-inf gives exactly 1 and 0 and small gates keep their relative accuracy.
static inline float sigmoid_inline(float x) {
    const float e = exp_inline(-std::fabs(x));
    const float s = e / (1.0f + e);                               // sigmoid(-|x|), in [0, 1/2]
    return x < 0 ? s : 1.0f - s;
}

// tanh(x) = sign(x) (1 - 2 e / (1 + e)) with e = exp(-2|x|); below |x| = 0.625, where 1 - ... would
// lose digits, Cephes' tanhf polynomial. Beyond |x| = 9.01 it is exactly +-1 (2e < 2^-25), as the true
// tanh rounded to float is.
static inline float tanh_inline(float x) {
    const float a = std::fabs(x);
    const float e = exp_inline(-2.0f * a);
    const float large = 1.0f - 2.0f * e / (1.0f + e);
    const float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    const float small = p * z * x + x;
    return a < 0.625f ? small : std::copysign(large, x);
}

// the candidate: cells.hpp's row with the inline functions above
__attribute__((noinline)) void row_inline(float* __restrict a, const float* __restrict b, const float* __restrict c_prev,
                                          float* __restrict c, float* __restrict h, int H) {
    float *i = a, *f = a + H, *g = a + 2 * H, *o = a + 3 * H;
    const float *b_g = b + 2 * H, *b_o = b + 3 * H;
    for (int j = 0; j < 2 * H; j++) i[j] = sigmoid_inline(i[j] + b[j]);
    for (int j = 0; j < H; j++) g[j] = tanh_inline(g[j] + b_g[j]);
    for (int j = 0; j < H; j++) o[j] = sigmoid_inline(o[j] + b_o[j]);
    for (int j = 0; j < H; j++) {
        float c_j = f[j] * c_prev[j] + i[j] * g[j];
        c[j] = c_j;
        h[j] = o[j] * tanh_inline(c_j);
    }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void time_rows(int B, int H) {
    const int G = 4 * H, reps = 2000;
    std::mt19937 rng(0);
    std::normal_distribution<float> normal(0, 2.0f);
    std::vector<float> pre((long)B * G), a((long)B * G), b(G), c_prev((long)B * H), c((long)B * H), h((long)B * H);
    for (auto* v : {&pre, &b, &c_prev})
        for (auto& x : *v) x = normal(rng);
    for (int pass = 0; pass < 3; pass++)
        for (int variant = 0; variant < 2; variant++) {
            double total = 0;
            for (int r = 0; r < reps; r++) {
                a = pre;
                const auto t0 = std::chrono::steady_clock::now();
                for (int n = 0; n < B; n++) {
                    float* row = &a[(long)n * G];
                    if (variant == 0) lstm_row_forward(row, b.data(), &c_prev[(long)n * H], &c[(long)n * H], &h[(long)n * H], H);
                    else row_inline(row, b.data(), &c_prev[(long)n * H], &c[(long)n * H], &h[(long)n * H], H);
                }
                total += seconds_since(t0);
            }
            std::printf("%d rows, H = %d, %s: %.2f us a step\n", B, H, variant ? "inline exp, tanh" : "libmvec  ",
                        1e6 * total / reps);
        }
}

// every float from -100 to 100 (about 2.1e9 of them in steps of one unit in the last place)
void error() {
    double worst_sig = 0, worst_sig_rel = 0, worst_tanh = 0, worst_tanh_rel = 0, worst_exp_rel = 0;
    float at_sig = 0, at_tanh = 0, at_exp = 0;
    for (float x = -100.0f; x <= 100.0f; x = std::nextafter(x, 200.0f)) {
        const double s = 1 / (1 + std::exp(-(double)x)), t = std::tanh((double)x);
        const double es = std::fabs(sigmoid_inline(x) - s), et = std::fabs(tanh_inline(x) - t);
        if (es > worst_sig) worst_sig = es;
        if (es / s > worst_sig_rel) worst_sig_rel = es / s, at_sig = x;
        if (et > worst_tanh) worst_tanh = et;
        if (t != 0 && et / std::fabs(t) > worst_tanh_rel) worst_tanh_rel = et / std::fabs(t), at_tanh = x;
        if (x <= 0) {
            const double e = std::exp((double)x);
            if (e > 1.2e-38 && std::fabs(exp_inline(x) - e) / e > worst_exp_rel) worst_exp_rel = std::fabs(exp_inline(x) - e) / e, at_exp = x;
        }
    }
    std::printf("sigmoid: largest error %.3g (absolute), %.3g relative (at x = %.9g)\n", worst_sig, worst_sig_rel, at_sig);
    std::printf("tanh:    largest error %.3g (absolute), %.3g relative (at x = %.9g)\n", worst_tanh, worst_tanh_rel, at_tanh);
    std::printf("exp:     largest relative error %.3g over [-87.3, 0] (at x = %.9g); 2^-24 = %.3g\n", worst_exp_rel, at_exp, std::ldexp(1.0, -24));
    const float specials[] = {-INFINITY, -1e30f, -100.0f, -88.0f, -87.0f, 0.0f, 87.0f, 100.0f, 1e30f, INFINITY, NAN};
    for (float x : specials)
        std::printf("  x = %g: sigmoid %.9g, tanh %.9g\n", x, sigmoid_inline(x), tanh_inline(x));
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "time" && argc == 4) time_rows(std::atoi(argv[2]), std::atoi(argv[3]));
    else if (mode == "error") error();
    else {
        std::fprintf(stderr, "usage: %s time ROWS H | error\n", argv[0]);
        return 2;
    }
}
