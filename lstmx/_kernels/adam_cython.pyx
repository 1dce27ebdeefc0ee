"""Adam's update in one pass over the parameters (the NumPy version in lstmx/optimizers.py makes
five), rows split between two threads. ``adam_rows`` takes an embedding's row-wise gradient and
still decays every row's moments, as the dense update does."""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport sqrt

from ._common cimport real


def adam_dense(real[::1] p, const real[::1] g, real[::1] m, real[::1] v, double lr_t, double beta_1,
               double beta_2, double epsilon):
    """p, g, m, v flat (n,): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr_t m / (sqrt(v) + eps)."""
    cdef Py_ssize_t k, n = p.shape[0]
    cdef real b1 = beta_1, b2 = beta_2, c1 = 1 - beta_1, c2 = 1 - beta_2, lr = lr_t, eps = epsilon
    for k in prange(n, nogil=True, schedule="static", num_threads=2 if n > 65536 else 1):
        m[k] = b1 * m[k] + c1 * g[k]
        v[k] = b2 * v[k] + c2 * g[k] * g[k]
        p[k] = p[k] - lr * m[k] / (<real>sqrt(v[k]) + eps)


def adam_rows(real[:, ::1] p, const long[::1] indices, const real[:, ::1] values, real[:, ::1] m, real[:, ::1] v,
              double lr_t, double beta_1, double beta_2, double epsilon):
    """The same for p (V, D) with the gradient given on rows ``indices`` only (unique, in range)."""
    cdef Py_ssize_t V = p.shape[0], D = p.shape[1], r, j, k
    cdef real b1 = beta_1, b2 = beta_2, c1 = 1 - beta_1, c2 = 1 - beta_2, lr = lr_t, eps = epsilon, gj
    cdef long[::1] where = np.full(V, -1, np.int64)   # row -> its position in values, or -1
    for k in range(indices.shape[0]):
        where[indices[k]] = k
    for r in prange(V, nogil=True, schedule="static", num_threads=2 if V * D > 65536 else 1):
        for j in range(D):
            gj = values[where[r], j] if where[r] >= 0 else 0
            m[r, j] = b1 * m[r, j] + c1 * gj
            v[r, j] = b2 * v[r, j] + c2 * gj * gj
            p[r, j] = p[r, j] - lr * m[r, j] / (<real>sqrt(v[r, j]) + eps)
