// Adam's update of n contiguous weights, for lstmx/_kernels/adam_cython.pyx.
//
// Why a C++ function with `__restrict` rather than a loop over Cython memoryviews: without the
// promise that p, g, m and v do not overlap, gcc vectorises the loop behind a runtime check of the
// four addresses and keeps a scalar copy for arrays that lie within a vector's width of each other.
// Under -ffast-math the two copies round differently in float32 (the vector one divides and takes
// square roots by an estimate, vrcp14ps / vrsqrt14ps, refined by a Newton step; the scalar one
// exactly), so the same numbers gave results one unit in the last place apart depending on where the
// allocator had put the arrays: two identical training runs in one process could drift apart. With
// `__restrict` there is one vector loop, whatever the addresses; the last n % 8 weights still take
// the exact scalar path, the same ones at every call.
#pragma once
#include <cmath>

namespace lstmx {

// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr m / (sqrt(v) + eps), for n weights.
// c1, c2 are 1 - b1 and 1 - b2 (computed once, in double, by the caller).
template <typename real>
static __attribute__((noinline)) void adam_update(real* __restrict p, const real* __restrict g,
                                                  real* __restrict m, real* __restrict v, long n, real b1,
                                                  real b2, real c1, real c2, real lr, real eps) {
    for (long k = 0; k < n; ++k) {
        m[k] = b1 * m[k] + c1 * g[k];
        v[k] = b2 * v[k] + c2 * g[k] * g[k];
        p[k] = p[k] - lr * m[k] / (std::sqrt(v[k]) + eps);
    }
}

}  // namespace lstmx
