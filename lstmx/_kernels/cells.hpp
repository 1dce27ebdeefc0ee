// The fused row kernels of the recurrent cells: everything a time step computes for one sequence
// after its GEMMs, written once for float and double.
//
// Each function takes one sequence's row of a step (pre-activations `a` from the GEMMs) and applies
// the cell's equations in plain loops. `__restrict` promises the compiler that the rows do not
// overlap, so with -ffast-math it vectorises every loop, exp and tanh included (glibc's libmvec).
// The equations are those of lstmx/lstm.py, gru.py and rnn.py; names follow them.
#pragma once
#include <algorithm>
#include <cmath>

// Kept out of line on purpose: inlined into Cython's loops, gcc loses the __restrict promises and
// falls back to scalar exp/tanh. A call per row costs nanoseconds; the vectorised loop saves far more.
#define LSTMX_ROW static __attribute__((noinline))

namespace lstmx {

// The logistic sigmoid of n numbers in place: a[j] = sigmoid(a[j] + b[j]), right over the whole float range.
//
// Not 1 / (1 + exp(-x)): below x = -88.7 (float) exp(-x) is inf, and -ffast-math divides by a
// reciprocal estimate refined by a Newton step, r (2 - d r), which makes inf * 0 = NaN of it (a
// pre-activation of -100 gave a gate of NaN); and the estimate of 1 / 1 is 1 - 2^-24, so a saturated
// gate never reached 1 nor its derivative s (1 - s) 0. Here exp only sees -|x|:
//     e = exp(-|x|) in [0, 1],   s = e / (1 + e) = sigmoid(-|x|) in [0, 1/2],   sigmoid(x) = x < 0 ? s : 1 - s.
// Nothing overflows (the divisor is in [1, 2]); 1 - s is exactly 1 once s < 2^-25; small values keep
// their relative accuracy on both sides; +-inf gives exactly 1 and 0, NaN gives NaN (arithmetic only:
// -ffast-math may rewrite comparisons and selects as if no NaN existed, not the operations). Beyond
// |x| = 87.3 glibc's vector exp takes its lane-by-lane path, as it did for 1 / (1 + exp(-x)) (a
// saturated row costs 4x a row of moderate values; clamping the argument avoided that, but the select
// that then gives 0 beyond the clamp, and its NaN test, cost 10% on every row).
//
// Chunks of two passes, exp first: glibc's vector exp keeps no register across the call, and x held
// over it cost 8% on the row (lstm_row_forward at H = 128, float); in two passes the row takes 1.64 us
// against 1.60 with 1 / (1 + exp(-x)) (a C++ loop over 32 rows on this machine, an AMD EPYC Zen).
template <typename real>
static inline real sigmoid_from_exp(real x, real e) {   // e = exp(-|x|)
    const real s = e / (real(1) + e);
    return x < 0 ? s : real(1) - s;
}

// The same for one number, in one pass (lstm_units.hpp's activations, 16 rows of a gate at a time).
template <typename real>
static inline real sigmoid(real x) { return sigmoid_from_exp(x, std::exp(-std::fabs(x))); }

template <typename real>
static inline void sigmoid_rows(real* __restrict a, const real* __restrict b, int n) {
    constexpr int CHUNK = 64;
    alignas(64) real e[CHUNK];
    for (int j0 = 0; j0 < n; j0 += CHUNK) {
        const int m = std::min(CHUNK, n - j0);
        real* __restrict x = a + j0;
        const real* __restrict bias = b + j0;
        for (int j = 0; j < m; j++) {
            const real v = x[j] + bias[j];
            x[j] = v;
            e[j] = std::exp(-std::fabs(v));
        }
        for (int j = 0; j < m; j++) x[j] = sigmoid_from_exp(x[j], e[j]);
    }
}

// LSTM forward. a (4H,): pre-activations [i f g o] in, activations out; b (4H,) bias;
// c_prev (H,) in; c, h (H,) out.
template <typename real>
LSTMX_ROW void lstm_row_forward(real* __restrict a, const real* __restrict b, const real* __restrict c_prev,
                                    real* __restrict c, real* __restrict h, int H) {
    real *i = a, *f = a + H, *g = a + 2 * H, *o = a + 3 * H;
    const real *b_g = b + 2 * H, *b_o = b + 3 * H;
    sigmoid_rows(i, b, 2 * H);                                             // i, f (adjacent)
    for (int j = 0; j < H; j++) g[j] = std::tanh(g[j] + b_g[j]);
    sigmoid_rows(o, b_o, H);
    for (int j = 0; j < H; j++) {
        real c_j = f[j] * c_prev[j] + i[j] * g[j];                        // c = f * c_prev + i * g
        c[j] = c_j;
        h[j] = o[j] * std::tanh(c_j);                                      // h = o * tanh(c)
    }
}

// LSTM backward. a (4H,) activations [i f g o]; c_prev, c (H,); dy (H,) gradient of this output.
// dh, dc (H,): in, gradients from step t+1; out, dh zeroed (the caller adds dgates @ U to it) and
// dc_(t-1). da (4H,) out: gradient of the pre-activations.
template <typename real>
LSTMX_ROW void lstm_row_backward(const real* __restrict a, const real* __restrict c_prev,
                                     const real* __restrict c, const real* __restrict dy,
                                     real* __restrict dh, real* __restrict dc, real* __restrict da, int H) {
    const real *i = a, *f = a + H, *g = a + 2 * H, *o = a + 3 * H;
    // one pointer a gate: indexed as da[k*H + j], the loop does not vectorise under -fwrapv
    real *da_i = da, *da_f = da + H, *da_g = da + 2 * H, *da_o = da + 3 * H;
    for (int j = 0; j < H; j++) {
        real dh_j = dh[j] + dy[j];                                         // h feeds the output and step t+1
        real tanh_c = std::tanh(c[j]);
        real dc_j = dc[j] + dh_j * o[j] * (1 - tanh_c * tanh_c);
        da_i[j] = dc_j * g[j] * i[j] * (1 - i[j]);
        da_f[j] = dc_j * c_prev[j] * f[j] * (1 - f[j]);
        da_g[j] = dc_j * i[j] * (1 - g[j] * g[j]);
        da_o[j] = dh_j * tanh_c * o[j] * (1 - o[j]);
        dc[j] = dc_j * f[j];                                               // dc_(t-1)
        dh[j] = 0;
    }
}

// GRU forward. ax (3H,): input side x W^T in, activations [r z n] out; b (3H,); ah (3H,): the
// recurrent side h U^T; b_hn (H,); h_prev (H,) in; hn (H,) out: U_n h + b_hn; h (H,) out.
template <typename real>
LSTMX_ROW void gru_row_forward(real* __restrict ax, const real* __restrict b, const real* __restrict ah,
                                   const real* __restrict b_hn, const real* __restrict h_prev,
                                   real* __restrict hn, real* __restrict h, int H) {
    for (int j = 0; j < 2 * H; j++) ax[j] += b[j];
    sigmoid_rows(ax, ah, 2 * H);                                           // r, z = sigmoid(ax + b + ah)
    const real *r = ax, *z = ax + H, *ah_n = ah + 2 * H, *b_n = b + 2 * H;
    real* n = ax + 2 * H;
    for (int j = 0; j < H; j++) {
        hn[j] = ah_n[j] + b_hn[j];
        n[j] = std::tanh(n[j] + b_n[j] + r[j] * hn[j]);                   // n = tanh(W_n x + b_n + r * hn)
        h[j] = (1 - z[j]) * n[j] + z[j] * h_prev[j];                      // h = (1 - z) * n + z * h_prev
    }
}

// GRU backward. g (3H,) activations [r z n]; hn, h_prev, dy (H,). dh (H,): in, gradient from step
// t+1; out, the direct part z * dh (the caller adds dah @ U). dax (3H,) out: gradient of the input
// side [dr dz dn]; dah (3H,) out: gradient of the recurrent side [dr dz dhn].
template <typename real>
LSTMX_ROW void gru_row_backward(const real* __restrict g, const real* __restrict hn,
                                    const real* __restrict h_prev, const real* __restrict dy,
                                    real* __restrict dh, real* __restrict dax, real* __restrict dah, int H) {
    const real *r = g, *z = g + H, *n = g + 2 * H;
    real *dax_r = dax, *dax_z = dax + H, *dax_n = dax + 2 * H;
    real *dah_r = dah, *dah_z = dah + H, *dah_n = dah + 2 * H;
    for (int j = 0; j < H; j++) {
        real dh_j = dh[j] + dy[j];
        real dn = dh_j * (1 - z[j]);
        real dz = dh_j * (h_prev[j] - n[j]);
        real dan = dn * (1 - n[j] * n[j]);
        real dar = dan * hn[j] * r[j] * (1 - r[j]);
        real daz = dz * z[j] * (1 - z[j]);
        dax_r[j] = dar;  dax_z[j] = daz;  dax_n[j] = dan;
        dah_r[j] = dar;  dah_z[j] = daz;  dah_n[j] = dan * r[j];           // d(U_n h + b_hn) = dan * r
        dh[j] = dh_j * z[j];
    }
}

// RNN forward. a (H,): x W^T + h U^T in; b (H,); h (H,) out: tanh(a + b).
template <typename real>
LSTMX_ROW void rnn_row_forward(const real* __restrict a, const real* __restrict b, real* __restrict h, int H) {
    for (int j = 0; j < H; j++) h[j] = std::tanh(a[j] + b[j]);
}

// RNN backward. h (H,); dy (H,); dh (H,) in from step t+1, out zeroed; da (H,) out.
template <typename real>
LSTMX_ROW void rnn_row_backward(const real* __restrict h, const real* __restrict dy,
                                    real* __restrict dh, real* __restrict da, int H) {
    for (int j = 0; j < H; j++) {
        da[j] = (dh[j] + dy[j]) * (1 - h[j] * h[j]);
        dh[j] = 0;
    }
}

}  // namespace lstmx
