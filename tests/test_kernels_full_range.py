"""The compiled kernels equal the reference over the whole float range, not only on values of order one.

The Cython kernels are built with -ffast-math, which lets gcc replace ``1 / (1 + exp(-x))`` by a
reciprocal estimate: for x below -88.7 in float32, exp(-x) is inf and the estimate of 1 / inf was NaN,
so a float32 LSTM or GRU of H >= 8 (the vector loop) returned NaN where the reference gave 0 for the
gate. These tests feed pre-activations from 1e-3 to 1e36, and +-inf, through LSTM, GRU and RNN,
forward and backward, in float32 and float64, on both compiled backends.
"""
import os

import numpy as np
import pytest
from helpers import GATES, STATES, backward, forward, loss_weights
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmx

COMPILED = ("cython", "numba")
# beyond 4 times the float32 reference's own error, relative to an array's largest entry. The float32
# tanh of the Numba kernels and of the Cython batch-1 RNN is a rational approximation, within an
# absolute 6e-8 of the true value but not a relative one, and Numba's sigmoid is 0.5 + 0.5 tanh(x / 2):
# a gate of 3e-7 (x = -15) is 10% off, and its derivative, times an input of 1e3, moves dW by 1e-4 of
# its largest entry (up to 7e-4 seen over 3000 examples; values of order one are held to 1e-5 in
# test_kernels.py). A NaN, or a gate that does not saturate
# where the reference's does, is off by far more.
F32_BOUND = 1e-3


def spread(rng, shape, largest, dtype):
    """Values whose magnitudes spread evenly in log scale from 1e-3 to ``largest``, either sign, with
    some exact zeros."""
    magnitude = 10.0 ** rng.uniform(-3, np.log10(largest), shape)
    values = np.where(rng.random(shape) < 0.5, -magnitude, magnitude)
    values[rng.random(shape) < 0.05] = 0.0
    return values.astype(dtype)


def full_range_problem(cell, B, T, I, H, seed, dtype, largest):
    """Inputs and a bias whose entries span magnitudes up to ``largest``; weights of order one, so a
    gate's pre-activation is as large as its inputs (I <= 3 keeps x @ W.T far from float32's 3.4e38,
    where the order of a sum would decide between a number and inf)."""
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    draw = lambda *shape: rng.standard_normal(shape).astype(dtype)
    params = {"W": draw(G * H, I), "U": draw(G * H, H), "b": spread(rng, (G * H,), min(largest, 1e4), dtype)}
    # b_hn and the initial states of order one: the Numba float32 gates are within an absolute 6e-8 of
    # the true value, not a relative one (see F32_BOUND), so a cell state of 1e4 times a forget gate of
    # 1e-7, or a GRU's b_hn of 1e4 times a reset gate of 1e-7, comes out 6e-4 from the reference's:
    # the approximation's limit, not a fault. (Only gate pre-activations, from X and b, span the range.)
    if cell == "gru":
        params["b_hn"] = draw(H)
    states = {name: draw(B, H) for name in STATES[cell]}
    return dict(cell=cell, X=spread(rng, (B, T, I), largest, dtype), params=params, states=states,
                mask=None, H=H, recurrent_keep=None)


def as_float64(prob):
    cast = lambda d: {k: v.astype(np.float64) for k, v in d.items()}
    return dict(prob, X=prob["X"].astype(np.float64), params=cast(prob["params"]), states=cast(prob["states"]))


def run(prob, backend, check_finite):
    RY, Rf = loss_weights(prob)
    Y, finals, cache = forward(prob, backend) if check_finite else forward_unchecked(prob, backend)
    assert cache["backend"] == backend
    grads = backward(prob, cache, RY, Rf)
    return dict(Y=Y, **{f"final state {k}": f for k, f in enumerate(finals)}, **{"d" + k: g for k, g in grads.items()})


def assert_same(prob, backend, check_finite=True):
    """The kernel's outputs and gradients are as accurate as the reference's.

    float64: within 1e-9 of the reference, relative to each array's largest entry. float32: a gradient
    is ill-conditioned where a gate nears saturation (s (1 - s) at s = 1 - 1.6e-5 has float32 error
    0.4%, multiplied by inputs of 1e4), so an absolute bound either fails on honest rounding or passes
    garbage. Both float32 runs, kernel and reference, are measured against the reference in float64
    instead, and the kernel's error may be at most 4 times the float32 reference's (plus 1e-5 of the
    array's largest entry). Where the reference is finite, the kernel must be (where float32 overflows
    in the reference, an inf or a NaN in the kernel is no fault of its own).
    """
    ref, out = run(prob, "reference", check_finite), run(prob, backend, check_finite)
    exact = run(as_float64(prob), "reference", check_finite) if prob["X"].dtype == np.float32 else ref
    for name, r in ref.items():
        finite = np.isfinite(r) & np.isfinite(exact[name])   # (float32 may overflow where float64 does not)
        np.testing.assert_array_equal(np.isfinite(out[name])[finite], True,
                                      err_msg=f"{name}: {backend} is not finite where the reference is")
        scale = np.max(np.abs(exact[name][finite]), initial=1.0)
        error_ref = np.max(np.abs(r[finite] - exact[name][finite]), initial=0.0)
        error = np.max(np.abs(out[name][finite] - exact[name][finite]), initial=0.0)
        bound = (4 * error_ref + F32_BOUND * scale) if r.dtype == np.float32 else 1e-9 * scale
        assert error <= bound, f"{name}: {backend} is off by {error:.3g} where the bound is {bound:.3g} " \
                               f"(float32 reference off by {error_ref:.3g}, largest entry {scale:.3g})"
    return ref["Y"], ref


def forward_unchecked(prob, backend):
    """forward() with check_finite=False, for inputs that hold inf on purpose."""
    cell, p, X, s = prob["cell"], prob["params"], prob["X"], prob["states"]
    options = dict(backend=backend, check_finite=False)
    if cell == "lstm":
        Y, (hT, cT), cache = lstmx.lstm_forward(X, p["W"], p["U"], p["b"], s["h0"], s["c0"], **options)
        return Y, [hT, cT], cache
    if cell == "gru":
        Y, hT, cache = lstmx.gru_forward(X, p["W"], p["U"], p["b"], p["b_hn"], s["h0"], **options)
        return Y, [hT], cache
    Y, hT, cache = lstmx.rnn_forward(X, p["W"], p["U"], p["b"], s["h0"], **options)
    return Y, [hT], cache


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@settings(max_examples=int(os.environ.get("LSTMX_EXAMPLES", 20)), deadline=None)
@given(B=st.integers(1, 4), T=st.integers(1, 5), I=st.integers(1, 3),
       H=st.sampled_from([1, 3, 8, 16, 17, 33]),          # 8 and more: the vector loops
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**31 - 1),
       largest=st.sampled_from([1e2, 1e4, 1e12, 1e36]))
def test_kernel_equals_reference_over_the_float_range(cell, backend, B, T, I, H, dtype, seed, largest):
    Y_ref, g_ref = assert_same(full_range_problem(cell, B, T, I, H, seed, dtype, largest), backend)
    assert np.isfinite(Y_ref).all()       # the reference is finite here: so must the kernels be


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("value", [-np.inf, -1e4, -100.0, -89.0, 100.0, 1e4, np.inf])
def test_every_gate_saturated(value, cell, dtype, backend):
    """Every gate's pre-activation is ``value`` (X = value, W = 1): the issue's reproduction, at the
    sizes of the vector loop (H = 8, 16) and its scalar tail (H = 3). With inf the inputs need
    check_finite=False; dW = dA * X is then 0 * inf = NaN, in the reference as in the kernels."""
    for H in (3, 8, 16):
        G = GATES[cell]
        prob = dict(cell=cell, X=np.full((2, 3, 1), value, dtype), H=H, mask=None, recurrent_keep=None,
                    params={"W": np.ones((G * H, 1), dtype), "U": np.zeros((G * H, H), dtype),
                            "b": np.zeros(G * H, dtype)},
                    states={name: np.full((2, H), 0.5, dtype) for name in STATES[cell]})
        if cell == "gru":
            prob["params"]["b_hn"] = np.zeros(H, dtype)
        Y_ref, g_ref = assert_same(prob, backend, check_finite=np.isfinite(value))
        assert np.isfinite(Y_ref).all() and np.isfinite(g_ref["dX"]).all()


@pytest.mark.parametrize("backend", ["reference", "cython", "numba"])
def test_a_model_on_unscaled_pixels_predicts_and_trains(backend):
    """The issue's second reproduction: pixels 0..255 fed as they are saturate every gate. predict gave
    NaN on the Cython backend, and fit blamed "dY contains NaN" for the kernel's fault."""
    x = np.random.default_rng(0).uniform(0, 255, (4, 10, 64)).astype(np.float32)
    y = np.array([0, 1, 1, 0])
    model = lstmx.Sequential([lstmx.LSTM(16, seed=0, backend=backend), lstmx.Dense(1, "sigmoid", seed=1)])
    assert np.isfinite(model.predict(x, verbose=0)).all()
    model.compile(loss="binary_crossentropy", optimizer="adam")
    history = model.fit(x, y, epochs=2, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_adam_equals_numpy_for_huge_gradients(dtype):
    """g * g overflows float32 beyond 1.8e19, so v = inf and NumPy's step is m / inf = 0: the weight
    stays. The compiled Adam's vector lanes (sqrt's reciprocal estimate of inf, times 0) made it NaN."""
    adam_kernel = lstmx.optimizers._adam_kernel()
    if adam_kernel is None:
        pytest.skip("the compiled Adam is not built")
    rng = np.random.default_rng(0)
    n = 67                                          # vector lanes and a scalar tail
    g = spread(rng, n, 1e30 if dtype is np.float32 else 1e300, dtype)
    g[:4] = [3e19, -3e19, 1e30, 1e-30]
    numpy_adam, compiled_adam = lstmx.optimizers.Adam(fused=False), lstmx.optimizers.Adam()
    grads = {"w": g, "e": lstmx.optimizers.IndexedRows(np.array([0, 5, 6, 66]), g[:12].reshape(4, 3), (n, 3))}
    w0 = {"w": rng.standard_normal(n).astype(dtype), "e": rng.standard_normal((n, 3)).astype(dtype)}
    w_numpy = {k: v.copy() for k, v in w0.items()}
    w_compiled = {k: v.copy() for k, v in w0.items()}
    for step in range(3):
        numpy_adam.apply(w_numpy, grads)
        compiled_adam.apply(w_compiled, grads)
    for k in w0:
        assert np.isfinite(w_compiled[k]).all(), k
        np.testing.assert_allclose(w_compiled[k], w_numpy[k], rtol=1e-6 if dtype is np.float32 else 1e-12, atol=0,
                                   err_msg=k)


@pytest.mark.parametrize("largest", [1e4, 1e36])
def test_lstm_loop_split_by_unit_over_the_float_range(largest):
    """The Cython LSTM forward that splits the hidden units between two threads (float32, 32 or 48
    rows, U larger than L2: lstm_units.hpp, its own activations) over the float range, and with
    every gate saturated by +-inf inputs."""
    lstm_cython = pytest.importorskip("lstmx._kernels.lstm_cython")
    if not lstm_cython.splits_by_unit(32, 3, 720):
        pytest.skip("this build has no unit-split loop (no AVX-512)")
    for B in (32, 48):
        assert_same(full_range_problem("lstm", B, 3, 3, 720, B, np.float32, largest), "cython")
    H = 720
    for value in (-np.inf, np.inf):
        prob = dict(cell="lstm", X=np.full((32, 3, 1), value, np.float32), H=H, mask=None, recurrent_keep=None,
                    params={"W": np.ones((4 * H, 1), np.float32), "U": np.zeros((4 * H, H), np.float32),
                            "b": np.zeros(4 * H, np.float32)},
                    states={name: np.full((32, H), 0.5, np.float32) for name in STATES["lstm"]})
        assert_same(prob, "cython", check_finite=False)
