"""Adam's update in one pass over the parameters (the NumPy version in lstmx/optimizers.py makes
five), split between two threads for large arrays. ``adam_rows`` takes an embedding's row-wise
gradient and still decays every row's moments, as the dense update does. The loop itself is
``adam_update`` in ``adam.hpp`` (its comment says why it is not written here). ``sum_of_squares``
is the float64 squared norm every optimizer's gradient clipping takes."""
import numpy as np

from cython.parallel cimport prange

from ._common cimport real

cdef extern from "adam.hpp" namespace "lstmx" nogil:
    void adam_update(float* p, const float* g, float* m, float* v, long n, float b1, float b2, float c1,
                     float c2, float lr, float eps)
    void adam_update(double* p, const double* g, double* m, double* v, long n, double b1, double b2, double c1,
                     double c2, double lr, double eps)
    double squares_summed "lstmx::sum_of_squares"(const float* x, long n)
    double squares_summed "lstmx::sum_of_squares"(const double* x, long n)


def sum_of_squares(const real[::1] x):
    """The sum of x[k]**2 over a flat array, in float64 (inf and NaN as NumPy gives them)."""
    cdef long n = x.shape[0]
    cdef double total = 0
    if n:
        with nogil:
            total = squares_summed(&x[0], n)
    return total


def adam_dense(real[::1] p, const real[::1] g, real[::1] m, real[::1] v, double lr_t, double beta_1,
               double beta_2, double epsilon):
    """p, g, m, v flat (n,): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr_t m / (sqrt(v) + eps)."""
    cdef long n = p.shape[0], part, parts = 2 if n > 65536 else 1, k0, k1
    cdef real b1 = beta_1, b2 = beta_2, c1 = 1 - beta_1, c2 = 1 - beta_2, lr = lr_t, eps = epsilon
    if not g.shape[0] == m.shape[0] == v.shape[0] == n:
        raise ValueError(f"adam_dense: p, g, m, v must have the same length, got {n}, {g.shape[0]}, "
                         f"{m.shape[0]}, {v.shape[0]}")
    if n == 0:
        return
    for part in prange(parts, nogil=True, schedule="static", num_threads=parts):
        k0 = n * part // parts
        k1 = n * (part + 1) // parts
        adam_update(&p[k0], &g[k0], &m[k0], &v[k0], k1 - k0, b1, b2, c1, c2, lr, eps)


def adam_rows(real[:, ::1] p, const long[::1] indices, const real[:, ::1] values, real[:, ::1] m, real[:, ::1] v,
              double lr_t, double beta_1, double beta_2, double epsilon):
    """The same for p (V, D) with the gradient given on rows ``indices`` only (unique, in range)."""
    cdef Py_ssize_t V = p.shape[0], D = p.shape[1], r, k
    cdef real b1 = beta_1, b2 = beta_2, c1 = 1 - beta_1, c2 = 1 - beta_2, lr = lr_t, eps = epsilon
    cdef long[::1] where = np.full(V, -1, np.int64)   # row -> its position in values, or -1
    cdef real[::1] zeros = np.zeros(D, np.asarray(p).dtype)   # the gradient of a row not in the batch
    if (m.shape[0], m.shape[1]) != (V, D) or (v.shape[0], v.shape[1]) != (V, D):
        raise ValueError(f"adam_rows: m and v must have the shape of p {(V, D)}")
    if values.shape[0] != indices.shape[0] or values.shape[1] != D:
        raise ValueError(f"adam_rows: values must have shape ({indices.shape[0]}, {D}) for "
                         f"{indices.shape[0]} row indices, got {(values.shape[0], values.shape[1])}")
    if indices.shape[0] and (np.min(indices) < 0 or np.max(indices) >= V):
        raise ValueError(f"adam_rows: row indices must lie in [0, {V}), got [{np.min(indices)}, {np.max(indices)}]")
    if V == 0 or D == 0:
        return
    for k in range(indices.shape[0]):
        where[indices[k]] = k
    for r in prange(V, nogil=True, schedule="static", num_threads=2 if V * D > 65536 else 1):
        adam_update(&p[r, 0], &values[where[r], 0] if where[r] >= 0 else &zeros[0], &m[r, 0], &v[r, 0], D,
                    b1, b2, c1, c2, lr, eps)
