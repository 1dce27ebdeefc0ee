"""Nonlinearities for the Numba kernels that vectorise without Intel's SVML library.

Numba calls scalar ``exp``/``tanh`` from libm unless SVML is installed (about 20x slower than the
vectorised loops of the Cython kernels). In float32 we use instead a rational approximation of
tanh made only of multiplies, adds and one divide, which LLVM vectorises (Eigen's
``generic_fast_tanh_float``; max error 3.5e-7 against ``np.tanh``, inside float32's equality bound
with the reference), and sigmoid(x) = (1 + tanh(x / 2)) / 2. float64 keeps the exact functions: it is
the precision of gradient checks. Choosing by type happens at compile time (``@overload``).

``one_minus(x)`` is ``1 - x`` in ``x``'s own type: numba types a bare ``1`` as an int64, and
``1 - x`` of a float32 ``x`` then comes out float64 (each such loop converting to double and back).
``JIT`` holds the options every Numba kernel is compiled with.
"""
import numpy as np
from numba import types
from numba.extending import overload

# cached on disk (a second process does not compile again); nogil; fastmath and numpy's error model,
# without which LLVM does not vectorise loops that divide. The cache of a kernel is keyed to its own
# file's timestamp: after editing a helper it calls from another file (_numba_product.py, this one),
# the kernel keeps its compiled copy of the old helper until lstmx/_kernels/__pycache__/*.nb* go
# (tests/conftest.py drops the ones older than the helpers before the tests run).
JIT = dict(cache=True, nogil=True, fastmath=True, error_model="numpy")

# tanh(x) ~ x * P(x^2) / Q(x^2) on [-TANH_CLAMP, TANH_CLAMP]; beyond it float32's tanh is +-1
TANH_CLAMP = 7.90531110763549805
P = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
     -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16)
Q = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06)
f32 = np.float32
CLAMP, P0, P1, P2, P3, P4, P5, P6 = map(f32, (TANH_CLAMP, *P))
Q0, Q1, Q2, Q3 = map(f32, Q)


def tanh(x):
    """tanh for jitted code: rational approximation in float32, exact in float64."""
    return np.tanh(x)


def sigmoid(x):
    """1 / (1 + exp(-x)) for jitted code: through the float32 tanh in float32, exact in float64."""
    return 1.0 / (1.0 + np.exp(-x))


@overload(tanh, fastmath=True)
def _tanh(x):
    if x == types.float32:
        def tanh_f32(x):
            x = min(max(x, -CLAMP), CLAMP)
            x2 = x * x
            p = ((((((P6 * x2 + P5) * x2 + P4) * x2 + P3) * x2 + P2) * x2 + P1) * x2 + P0) * x
            q = ((Q3 * x2 + Q2) * x2 + Q1) * x2 + Q0
            return p / q
        return tanh_f32
    return lambda x: np.tanh(x)


@overload(sigmoid, fastmath=True)
def _sigmoid(x):
    if x == types.float32:
        half = f32(0.5)
        return lambda x: half + half * tanh(half * x)
    return lambda x: 1.0 / (1.0 + np.exp(-x))


def one_minus(x):
    """1 - x in x's float type, for jitted code (see the module's docstring)."""
    return 1 - x


@overload(one_minus)
def _one_minus(x):
    if x == types.float32:
        one = f32(1)
        return lambda x: one - x
    return lambda x: 1.0 - x
