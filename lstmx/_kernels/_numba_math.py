"""Nonlinearities for the Numba kernels that vectorise without Intel's SVML library.

Numba calls scalar ``exp``/``tanh`` from libm unless SVML is installed (about 20x slower than the
vectorised loops of the Cython kernels). In float32 we use instead a rational approximation of
tanh made only of multiplies, adds and one divide, which LLVM vectorises (Eigen's
``generic_fast_tanh_float``; max error 3.5e-7 against ``np.tanh``, inside float32's equality bound
with the reference), and sigmoid(x) = (1 + tanh(x / 2)) / 2. float64 keeps the exact functions: it is
the precision of gradient checks. Choosing by type happens at compile time (``@overload``).

Both are right over the whole float range, saturated ends included, since a gate's derivative is
computed from its value (``s (1 - s)``, ``1 - t^2``) and must be 0 where the reference's is:

- the float32 tanh is exactly +-1 beyond ``TANH_ONE`` (9.011, where the true tanh rounds to 1).
  Clamped at 7.905 alone, the approximation stayed at 1 - 2^-22 up to infinity, so a saturated tanh
  had a derivative of 2.4e-7 and a saturated sigmoid was 1.2e-7 instead of 0 (and its derivative as
  much): times an input of 1e4 that is a gradient of about 1e-3 where the reference has 0;
- the float64 sigmoid never lets ``exp`` overflow: ``e = exp(-|x|)`` in (0, 1] and
  ``s = e / (1 + e) = sigmoid(-|x|)``, then ``s`` or ``1 - s`` by the sign of x (the formula of
  ``sigmoid_rows`` in cells.hpp), where ``1 / (1 + exp(-x))`` relied on ``1 / inf = 0`` below
  x = -709;
- NaN stays NaN and +-inf saturates (``FASTMATH`` below leaves out the no-NaN, no-inf promises).

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
# The fast-math flags are all of LLVM's but "nnan" and "ninf": with those, LLVM may assume that no
# value is ever NaN or inf and drop what handles them (the float32 tanh's clamp turned NaN into -1:
# a gate of NaN, which the reference gives for a NaN or inf - inf pre-activation, came out finite).
# Without them the row loops vectorise the same and run as fast (lstm_numba's row forward at H = 128:
# 2.5-2.6 us in float32, 13.2 in float64, with either).
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
JIT = dict(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")

# tanh(x) ~ x * P(x^2) / Q(x^2) on [-TANH_CLAMP, TANH_CLAMP] (beyond it the approximation degrades:
# it is held at its value there, within 4 units of 2^-24 of tanh) and exactly +-1 beyond TANH_ONE,
# where tanh(x) > 1 - 2^-25 rounds to 1 in float32
TANH_CLAMP = 7.90531110763549805
TANH_ONE = 9.0109134
# float64 sigmoid: exp's argument is kept in [-EXP_LIMIT, 0]; beyond, sigmoid(-|x|) < 2.2e-308 is 0
EXP_LIMIT = 708.3
P = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
     -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16)
Q = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06)
f32 = np.float32
CLAMP, ONE_AT, P0, P1, P2, P3, P4, P5, P6 = map(f32, (TANH_CLAMP, TANH_ONE, *P))
Q0, Q1, Q2, Q3 = map(f32, Q)


def tanh(x):
    """tanh for jitted code: rational approximation in float32, exact in float64."""
    return np.tanh(x)


def sigmoid(x):
    """1 / (1 + exp(-x)) for jitted code: through the float32 tanh in float32, exact in float64."""
    e = np.exp(-min(abs(x), EXP_LIMIT))
    s = 0.0 if abs(x) > EXP_LIMIT else e / (1.0 + e)
    return s if x < 0 else 1.0 - s


@overload(tanh, fastmath=FASTMATH)
def _tanh(x):
    if x == types.float32:
        one = f32(1)

        def tanh_f32(x):
            c = min(max(x, -CLAMP), CLAMP)
            x2 = c * c
            p = ((((((P6 * x2 + P5) * x2 + P4) * x2 + P3) * x2 + P2) * x2 + P1) * x2 + P0) * c
            q = ((Q3 * x2 + Q2) * x2 + Q1) * x2 + Q0
            if abs(x) >= ONE_AT:
                return one if x > 0 else -one
            return p / q
        return tanh_f32
    return lambda x: np.tanh(x)


@overload(sigmoid, fastmath=FASTMATH)
def _sigmoid(x):
    if x == types.float32:
        half = f32(0.5)
        return lambda x: half + half * tanh(half * x)

    def sigmoid_f64(x):
        e = np.exp(-min(abs(x), EXP_LIMIT))   # in (0, 1]: never overflows
        s = 0.0 if abs(x) > EXP_LIMIT else e / (1.0 + e)   # sigmoid(-|x|)
        return s if x < 0 else 1.0 - s
    return sigmoid_f64


def one_minus(x):
    """1 - x in x's float type, for jitted code (see the module's docstring)."""
    return 1 - x


@overload(one_minus)
def _one_minus(x):
    if x == types.float32:
        one = f32(1)
        return lambda x: one - x
    return lambda x: 1.0 - x
