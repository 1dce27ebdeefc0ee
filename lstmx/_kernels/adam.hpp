// Adam's update of n contiguous weights, and the squared norm of the gradient clipping, for
// lstmx/_kernels/adam_cython.pyx.
//
// Why a C++ function with `__restrict` rather than a loop over Cython memoryviews: without the
// promise that p, g, m and v do not overlap, gcc vectorises the loop behind a runtime check of the
// four addresses and keeps a scalar copy for arrays that lie within a vector's width of each other;
// with `__restrict` there is one vector loop, whatever the addresses.
//
// Why IEEE arithmetic here, in a module built with -ffast-math: the update must be NumPy's
// (lstmx/optimizers.py) for every gradient, and -ffast-math broke it twice. (1) It divides and takes
// square roots by estimates refined by a Newton step (vrcpps / vrsqrtps): the estimate of
// sqrt(inf) is inf * 0 = NaN, so a gradient of 3e19, whose square overflows float32 and makes
// v = inf, turned the weight into NaN, where NumPy's m / (sqrt(inf) + eps) = 0 leaves it as it is
// (the tail of n % 8 weights took the exact scalar path, so some weights were NaN and others not);
// the vector and scalar copies also rounded differently, one unit in the last place apart. (2) It
// may reassociate c2 * (g * g) into (c2 * g) * g, which does not overflow where NumPy's g * g does.
// So this function alone is compiled without -ffast-math: exact division and square root, the
// operations in NumPy's order (no errno, so the square root stays a vector instruction). Measured
// in a C++ loop of 65536 float weights on this machine's Zen: 0.94 ns a weight, against 1.45 with
// the estimates; the same at 8M weights, where memory bounds both (1.8-2.0 ns).
#pragma once

namespace lstmx {

#define LSTMX_IEEE __attribute__((noinline, optimize("no-fast-math", "no-math-errno")))

// the builtins, not std::sqrt: an inline function of <cmath> compiled with -ffast-math is not
// inlined into a function of other options, and would be a call per weight
static inline __attribute__((always_inline)) float exact_sqrt(float x) { return __builtin_sqrtf(x); }
static inline __attribute__((always_inline)) double exact_sqrt(double x) { return __builtin_sqrt(x); }

// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr m / (sqrt(v) + eps), for n weights.
// c1, c2 are 1 - b1 and 1 - b2 (computed once, in double, by the caller).
template <typename real>
static LSTMX_IEEE void adam_update(real* __restrict p, const real* __restrict g, real* __restrict m,
                                   real* __restrict v, long n, real b1, real b2, real c1, real c2, real lr,
                                   real eps) {
    for (long k = 0; k < n; ++k) {
        const real g_k = g[k];
        m[k] = b1 * m[k] + c1 * g_k;
        v[k] = b2 * v[k] + c2 * (g_k * g_k);
        p[k] = p[k] - lr * m[k] / (exact_sqrt(v[k]) + eps);
    }
}

// The sum of x[k]^2 in double, for the optimizers' gradient clipping (their float64 norm): NumPy's
// np.sum(g.astype(np.float64) ** 2) made two float64 copies of each gradient, 1.0 ms of the
// character language model's 60 ms step for its 0.9 million weights. Also IEEE (an inf or a NaN
// gradient must give an inf or NaN norm, as NumPy's does), so the sum keeps 16 running totals that
// the compiler can hold in vectors without reordering any of them.
template <typename real>
static LSTMX_IEEE double sum_of_squares(const real* __restrict x, long n) {
    constexpr int LANES = 16;
    double part[LANES] = {};
    long k = 0;
    for (; k + LANES <= n; k += LANES)
        for (int j = 0; j < LANES; j++) {
            const double v = x[k + j];
            part[j] += v * v;
        }
    double total = 0;
    for (; k < n; k++) {
        const double v = x[k];
        total += v * v;
    }
    for (int j = 0; j < LANES; j++) total += part[j];
    return total;
}

#undef LSTMX_IEEE

}  // namespace lstmx
