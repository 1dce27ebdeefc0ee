// The simple RNN's step for a single sequence, product and tanh fused: h = tanh(a + b + h_prev U^T).
//
// Why: at batch 1 a step is a chain of latencies, not of work. The product (h_prev @ U.T, stepgemm's
// micro-tile on one row) adds its row into a, the row kernel loads it back and calls libmvec's tanh,
// and the next step waits for all of it. Here the product's row goes from the registers to a small
// row on the stack and straight through a tanh made of multiply-adds and one divide (no call). In a
// C++ loop at H = 32: 56 ns a step before, 46 ns fused; the Cython RNN forward at (1, 100, 32, 32)
// went from 15.5 to 12-13 us.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include "stepgemm.hpp"

namespace lstmx {

// tanh for the fused step. float: Eigen's rational approximation (max error 3.5e-7 against np.tanh;
// the Numba kernels use the same one), clamped at +-7.905, where it is good to 4 units of 2^-24: multiply-adds
// and one divide, which gcc vectorises in place. Beyond |x| = TANH_ONE it is exactly +-1, as the true tanh
// rounded to float is: the clamped approximation alone gave 1 - 2^-22 there, so a saturated unit's
// derivative 1 - h^2 was 2.4e-7 where the reference's is 0 (and, times an input of 1e4, a gradient
// of 2e-3 from nothing). double: std::tanh, so float64 results stay exact (gradient checks run in float64).
static inline double tanh_rational(double x) { return std::tanh(x); }
// x is NaN, tested on its bits (exponent all ones, mantissa not zero): -ffast-math lets the compiler
// assume that no value is NaN and fold x != x, or a clamp's comparisons, as it likes (the clamp made
// NaN into -1 + 2^-22), but not an integer comparison
static inline bool is_nan(float x) {
    uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return (u & 0x7fffffffu) > 0x7f800000u;
}
constexpr float TANH_ONE = 9.0109134f;   // tanh(x) > 1 - 2^-25 beyond: it rounds to 1
static inline float tanh_rational(float x0) {
    const float clamp = 7.90531110763549805f;
    float x = std::min(std::max(x0, -clamp), clamp);
    const float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return is_nan(x0) ? x0 : std::fabs(x0) >= TANH_ONE ? std::copysign(1.0f, x0) : x * p / q;
}

// h (n,) = tanh(row + a + b). The __restrict promises let gcc vectorise the loop (without them,
// compiled inside the Cython module, it ran scalar: a divide at a time).
template <typename real>
static inline void tanh_of_sum(const real* __restrict row, const real* __restrict a, const real* __restrict b,
                               real* __restrict h, int n) {
    for (int j = 0; j < n; j++) h[j] = tanh_rational(row[j] + a[j] + b[j]);
}

// One panel of the step: h (width,) = tanh(a + b + h_prev @ panel), with only the VECS vectors that
// hold the panel's width multiplied (a panel narrower than P, as all of it is at H = 32, would
// otherwise spend half its multiply-adds on padding: 53 -> 47 ns a step in a C++ loop at H = 32).
template <typename real, int VECS>
static inline void rnn_one_row_panel(const real* h_prev, int H, const real* panel, const real* a, const real* b,
                                     real* h, int width) {
    typedef typename simd<real>::vec vec;
    constexpr int P = panel_width<real>();
    vec acc[2][VECS] = {};                 // even and odd k: two chains of multiply-adds
    int k = 0;
    for (; k + 2 <= H; k += 2)
        for (int s = 0; s < 2; s++) {
            const vec* u = reinterpret_cast<const vec*>(panel + (long)(k + s) * P);
            for (int v = 0; v < VECS; v++) acc[s][v] += h_prev[k + s] * u[v];
        }
    if (k < H) {
        const vec* u = reinterpret_cast<const vec*>(panel + (long)k * P);
        for (int v = 0; v < VECS; v++) acc[0][v] += h_prev[k] * u[v];
    }
    alignas(64) real row[P];              // this panel's columns of h_prev @ U.T (stays in L1)
    for (int v = 0; v < VECS; v++) reinterpret_cast<vec*>(row)[v] = acc[0][v] + acc[1][v];
    tanh_of_sum(row, a, b, h, width);
}

// h (H,) = tanh(a + b + h_prev @ U.T) for one sequence; UT_packed is U.T packed by pack_panels.
// a (H,) holds x_t W^T; h must not overlap h_prev.
template <typename real>
void rnn_one_row_step(const real* h_prev, int H, const real* UT_packed, const real* a, const real* b, real* h) {
    constexpr int P = panel_width<real>(), L = simd<real>::lanes;
    static_assert(PANEL_VECS == 4, "one case a vector count");
    for (int p = 0; p * P < H; p++) {
        const real* panel = UT_packed + (long)p * H * P;
        const int j0 = p * P, width = std::min(P, H - j0);
        switch ((width + L - 1) / L) {         // the vectors that hold this panel's columns
            case 1: rnn_one_row_panel<real, 1>(h_prev, H, panel, a + j0, b + j0, h + j0, width); break;
            case 2: rnn_one_row_panel<real, 2>(h_prev, H, panel, a + j0, b + j0, h + j0, width); break;
            case 3: rnn_one_row_panel<real, 3>(h_prev, H, panel, a + j0, b + j0, h + j0, width); break;
            default: rnn_one_row_panel<real, 4>(h_prev, H, panel, a + j0, b + j0, h + j0, width); break;
        }
    }
}

}  // namespace lstmx
