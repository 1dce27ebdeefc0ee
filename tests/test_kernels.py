"""Every compiled kernel computes the reference's numbers: outputs and every gradient, on random
shapes, masks, dtypes and seeds (max abs difference < 1e-5 in float32, < 1e-10 in float64)."""
import os

import numpy as np
import pytest
from helpers import backward, forward, loss_weights, random_problem
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmx

COMPILED = ("cython", "numba")
TOL = {np.float32: 1e-5, np.float64: 1e-10}


def test_compiled_backends_are_available():
    """pip install builds the Cython kernels and numba is a dependency: both must be here, or the
    equality tests below would silently compare the reference with itself."""
    if os.environ.get("LSTMX_ALLOW_MISSING_KERNELS"):
        pytest.skip("LSTMX_ALLOW_MISSING_KERNELS is set")
    assert lstmx.backends() == ["cython", "numba", "reference"]


def assert_same_as_reference(prob, backend):
    tol = TOL[prob["X"].dtype.type]
    RY, Rf = loss_weights(prob)
    Y_ref, finals_ref, cache_ref = forward(prob, "reference")
    Y, finals, cache = forward(prob, backend)
    assert cache["backend"] == backend, f"{backend} fell back to {cache['backend']}"
    np.testing.assert_allclose(Y, Y_ref, rtol=0, atol=tol, err_msg="Y")
    for k, (f, f_ref) in enumerate(zip(finals, finals_ref)):
        np.testing.assert_allclose(f, f_ref, rtol=0, atol=tol, err_msg=f"final state {k}")
    grads_ref = backward(prob, cache_ref, RY, Rf)
    grads = backward(prob, cache, RY, Rf)
    for name, g_ref in grads_ref.items():
        assert grads[name].shape == g_ref.shape and grads[name].dtype == g_ref.dtype, name
        np.testing.assert_allclose(grads[name], g_ref, rtol=0, atol=tol, err_msg=f"d{name}")


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@settings(max_examples=int(os.environ.get("LSTMX_EXAMPLES", 20)), deadline=None)
@given(B=st.integers(1, 5), T=st.integers(1, 7), I=st.integers(1, 9),
       H=st.sampled_from([1, 2, 3, 5, 8, 16, 17, 33]),
       mask=st.sampled_from([None, "random", "pre", "post"]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**31 - 1),
       recurrent_dropout=st.sampled_from([0.0, 0.5]))
def test_kernel_equals_reference(cell, backend, B, T, I, H, mask, dtype, seed, recurrent_dropout):
    # float32 with Glorot-like weights (values of order one, where an absolute 1e-5 means something;
    # the recurrent dropout mask's 1 / (1 - rate) is taken back out of them); float64 with larger
    # weights, whose gradients may grow large
    scale = (1 - recurrent_dropout) / np.sqrt(H + I) if dtype is np.float32 else 0.5
    assert_same_as_reference(random_problem(cell, B, T, I, H, seed, dtype, mask, scale=scale,
                                            recurrent_dropout=recurrent_dropout), backend)


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_kernel_equals_reference_on_a_larger_problem(cell, backend):
    """Sizes where BLAS takes its blocked paths and the row loops their full vector widths.

    float64 runs with weights large enough for gradients to grow (|dX| ~ 30 for the RNN); float32
    with values of order one, where an absolute bound of 1e-5 is meaningful (at |dX| ~ 30 float32's
    own rounding is ~4e-5, in the reference as much as in the kernels)."""
    for dtype, scale in ((np.float64, 0.2), (np.float32, 0.05)):
        assert_same_as_reference(random_problem(cell, 9, 12, 40, 70, seed=3, dtype=dtype, mask="pre", scale=scale),
                                 backend)
        # 13 rows a step on one thread: the step product's tiles of 6, 4 and 3 rows (stepgemm.hpp)
        assert_same_as_reference(random_problem(cell, 13, 7, 5, 16, seed=4, dtype=dtype, mask="random", scale=scale),
                                 backend)


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_kernel_equals_reference_when_U_outgrows_the_l2_cache(cell, backend):
    """H = 720: U.T packed is 8.3 MB (LSTM, float32), more than any core's L2, so the step product
    takes its path that asks L2 for the next block while it multiplies (stepgemm.hpp); 3 rows (one
    thread, one tile a block) and 16 (two threads, tiles of 4 + 4). With two threads the weight
    gradient dgates^T H (720 columns) copies dgates' columns (rows of 4H or 3H numbers, longer than a
    page) into rows, a block of 192 at a time, before the product, and dgates^T X (3 columns) reads
    them in place (gemm_tn_packed)."""
    for B in (3, 16):
        for dtype in (np.float32, np.float64):
            assert_same_as_reference(random_problem(cell, B, 2, 3, 720, seed=B, dtype=dtype, mask="random",
                                                    scale=0.03), backend)


@pytest.mark.parametrize("backend", COMPILED)
def test_rnn_one_sequence_fused_step(backend):
    """Batch 1: the Cython RNN's step is onerow.hpp, the Numba one's a fused loop up to H = 64
    (rnn_numba._forward_one_row), BLAS beyond: both sides of that bound, with masked steps and
    recurrent dropout."""
    for H in (5, 33, 64, 65):
        for dropout in (0.0, 0.5):
            for dtype in (np.float32, np.float64):
                assert_same_as_reference(random_problem("rnn", 1, 6, 4, H, seed=H, dtype=dtype, mask="random",
                                                        recurrent_dropout=dropout, scale=0.2), backend)


@pytest.mark.parametrize("backend", COMPILED)
def test_lstm_weight_gradient_with_rows_of_one_page(backend):
    """LSTM(256): dgates' rows are 1024 floats, exactly a 4 KiB page, and the two-thread backward copies
    dgates' columns into rows for dU = dgates^T H_prev (256 columns), as beyond a page."""
    for dtype in (np.float32, np.float64):
        assert_same_as_reference(random_problem("lstm", 16, 2, 3, 256, seed=2, dtype=dtype, mask="random",
                                                scale=0.05), backend)


@pytest.mark.parametrize("threads", [2, 1])
def test_lstm_loop_split_by_unit_equals_reference(threads, monkeypatch):
    """At 32 rows, and 48 with I <= H, with a U larger than L2, the Cython LSTM forward's two threads
    each make the gates of half of the hidden units, the rows along the vector lanes (lstm_units.hpp):
    3 and 2 units a panel (V = 2, 3 vectors of rows), 361 units a half (a last panel of one unit),
    masked steps, and the gradients from its gates; other batches go the usual way.
    With one thread, every panel of the second half is claimed by the thread of the first, as when
    the second is descheduled."""
    lstm_cython = pytest.importorskip("lstmx._kernels.lstm_cython")
    if not lstm_cython.splits_by_unit(32, 5, 720):
        pytest.skip("this build has no unit-split loop (no AVX-512)")
    assert not any(lstm_cython.splits_by_unit(B, 5, 720) for B in (16, 17, 24, 40, 64))
    assert lstm_cython.splits_by_unit(32, 2000, 720) and not lstm_cython.splits_by_unit(48, 721, 720)
    monkeypatch.setattr(lstm_cython, "unit_split_threads", threads)
    for B, H in ((32, 722), (48, 720), (48, 721)):
        assert lstm_cython.splits_by_unit(B, 5, H)
        prob = random_problem("lstm", B, 3, 5, H, seed=B, dtype=np.float32, mask="random", scale=0.03)
        assert_same_as_reference(prob, "cython")
        cache = forward(prob, "cython")[2]
        assert "_gates_by_unit" in cache and "gates" not in cache   # (the gates are made when asked for)


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_fully_masked_sequences(cell, backend):
    prob = random_problem(cell, 3, 4, 2, 5, seed=1, mask="random")
    prob["mask"][0] = False   # one sequence never updates
    prob["mask"][:, 0] = False
    assert_same_as_reference(prob, backend)


@pytest.mark.parametrize("backend", COMPILED)
def test_layers_run_on_compiled_backends(backend):
    X = np.random.default_rng(0).standard_normal((4, 6, 5))[:, ::2]   # non-contiguous float64
    layers = {b: lstmx.LSTM(7, return_sequences=True, backend=b, seed=1) for b in ("reference", backend)}
    Y = {b: layer(X) for b, layer in layers.items()}
    np.testing.assert_allclose(Y[backend], Y["reference"], atol=1e-5)
    for b, layer in layers.items():
        layer.backward(np.ones_like(Y[b]))
    for name in ("W", "U", "b"):
        np.testing.assert_allclose(layers[backend].grads[name], layers["reference"].grads[name], atol=1e-4)


def test_unknown_and_missing_backends(monkeypatch):
    from lstmx import dispatch
    monkeypatch.setitem(dispatch._broken, "numba", "numba is not installed")
    monkeypatch.setattr(dispatch, "_warned", set())
    with pytest.warns(RuntimeWarning, match="backend 'numba' is not available .*numba is not installed"):
        assert dispatch.resolve("numba") == "reference"


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_kernel_equals_reference_when_two_threads_share_the_batch(cell, backend):
    """B >= 8 and B*H*H >= 2**16: the Cython kernels split the batch between two threads, and do the
    input projection and the weight gradients on their own packed kernel (batch_parts in _common.pxd).
    The second problem has T*B/2 = 240 rows a thread: more than one M_BLOCK of stepgemm.hpp."""
    for dtype, scale in ((np.float64, 0.1), (np.float32, 0.03)):
        assert_same_as_reference(random_problem(cell, 11, 6, 37, 160, seed=5, dtype=dtype, mask="random", scale=scale),
                                 backend)
        # recurrent dropout: each thread scales its own rows of h_(t-1) and of the gradient through U
        assert_same_as_reference(random_problem(cell, 11, 6, 37, 160, seed=8, dtype=dtype, mask="random", scale=scale,
                                                recurrent_dropout=0.3), backend)
    # float64 only: db sums 480 rows of order one, where float32 rounds by more than 1e-5 in any order
    assert_same_as_reference(random_problem(cell, 8, 60, 19, 96, seed=6, dtype=np.float64, mask="post", scale=0.1),
                             backend)
    # I = 300 and H = 260: the input projection's and the step product's sums over k run in more than
    # one block of K_BLOCK = 256 rows (stepgemm.hpp), each block adding into C
    assert_same_as_reference(random_problem(cell, 8, 3, 300, 260, seed=7, dtype=np.float32, mask="random",
                                            scale=0.02), backend)


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("B, T", [(1, 1), (1, 5), (2, 4), (3, 1)])
@pytest.mark.parametrize("transpose_min_rows", [1, 10**9])
def test_steps_on_U_unpacked_equal_the_reference(cell, B, T, backend, transpose_min_rows, monkeypatch):
    """A loop that multiplies U as stored, one BLAS matrix-vector product a row (gemv "T" forward,
    "N" backward), instead of packing it (Cython) or copying U.T (Numba): _layout.steps_unpacked,
    read by both backends' Python wrappers (Cython: one-thread loops only), the backward's products on
    a copy of U.T or on U itself (UNPACKED_TRANSPOSE_MIN_ROWS). L2_BYTES = 0 makes
    every U "larger than L2", so the rule takes this path at these small sizes for up to 2 rows or one
    step; masked steps, recurrent dropout (the backward's product made apart, then masked), float64."""
    from lstmx._kernels import _layout
    monkeypatch.setattr(_layout, "L2_BYTES", 0)
    monkeypatch.setattr(_layout, "UNPACKED_TRANSPOSE_MIN_ROWS", transpose_min_rows)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    assert _layout.steps_unpacked(1, B, T, G * 37, 37, 4)
    for dtype, scale in ((np.float64, 0.3), (np.float32, 0.1)):
        for mask, dropout in ((None, 0.0), ("random", 0.5)):
            assert_same_as_reference(random_problem(cell, B, T, 19, 37, seed=B + T, dtype=dtype, mask=mask,
                                                    scale=scale, recurrent_dropout=dropout), backend)


def test_which_loops_multiply_U_unpacked():
    """The rule of _layout.steps_unpacked, at this machine's L2 size."""
    from lstmx._kernels._layout import L2_BYTES, steps_unpacked
    big = 4                                           # H with 4H * H floats larger than L2
    while 4 * big * big * 4 <= L2_BYTES:
        big *= 2
    assert not steps_unpacked(2, 1, 1, 4 * big, big, 4)           # two threads: never
    assert steps_unpacked(1, 1, 200, 4 * big, big, 4)             # one sequence, U beyond L2: always
    assert steps_unpacked(1, 2, 200, 4 * big, big, 4)
    assert not steps_unpacked(1, 3, 200, 4 * big, big, 4)         # more rows: U packed once (BLAS would repack)
    assert steps_unpacked(1, 5, 1, 4 * big, big, 4)               # one step: nothing to pack for
    assert steps_unpacked(1, 1, 1, 4 * 8, 8, 4)
    assert steps_unpacked(1, 1, 4, 4 * 128, 128, 4)               # a few steps of a U worth packing: not
    assert not steps_unpacked(1, 1, 5, 4 * 128, 128, 4)
    assert not steps_unpacked(1, 1, 4, 4 * 32, 32, 4)             # a small U packs for next to nothing


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("threads", [0, 1, 2])
@pytest.mark.parametrize("B, T", [(1, 7), (3, 5), (9, 4)])
def test_projection_and_weight_gradients_on_any_thread_count_equal_the_reference(cell, threads, B, T, monkeypatch):
    """The Cython kernels' hoisted input projection and weight gradients (dW, dU, dX) run on the packed
    kernel on one or two threads, or through BLAS (0), whatever number of threads runs the time loop
    (B = 9 at H = 96: two): each choice, forced through the wrappers' _layout functions, gives the
    reference's numbers, with masks and recurrent dropout, in float32 and float64. T * B = 7 and 15
    leave a partial tile and an odd row split."""
    from lstmx._kernels import gru_cython, lstm_cython, rnn_cython
    module = {"lstm": lstm_cython, "gru": gru_cython, "rnn": rnn_cython}[cell]
    monkeypatch.setattr(module, "projection_parts", lambda *args: threads)
    monkeypatch.setattr(module, "weight_gradient_parts", lambda *args: threads)
    if cell == "lstm":   # the helper thread makes the projection instead, from this size
        monkeypatch.setattr(lstm_cython, "projection_ahead", lambda *args: False)
    for dtype, scale in ((np.float64, 0.3), (np.float32, 0.1)):
        for mask, dropout in ((None, 0.0), ("random", 0.4)):
            assert_same_as_reference(random_problem(cell, B, T, 21, 96, seed=B * T + threads, dtype=dtype, mask=mask,
                                                    scale=scale, recurrent_dropout=dropout), "cython")


def test_which_products_go_through_blas():
    """The rule of _layout.projection_parts and weight_gradient_parts: BLAS (0) only after a loop that
    multiplies U unpacked, through BLAS itself; otherwise lstmx's own threads, so that no BLAS thread is
    left spinning against the next call's (two when the loop has two, or from AHEAD_MIN_MACS
    multiply-adds on a machine with two CPUs)."""
    from lstmx._kernels import _layout
    two = 2 if _layout._CPUS >= 2 else 1
    assert _layout.projection_parts(1, True, 200, 1, 128, 512) == 0
    assert _layout.weight_gradient_parts(1, True, 200, 1, 128, 512, 128) == 0
    assert _layout.projection_parts(2, False, 100, 32, 128, 512) == 2
    assert _layout.weight_gradient_parts(2, False, 100, 32, 128, 512, 128) == 2
    assert _layout.projection_parts(1, False, 100, 1, 32, 128) == 1            # 409,600 multiply-adds
    assert _layout.weight_gradient_parts(1, False, 100, 1, 32, 128, 32) == 1   # 1.2 million
    assert _layout.projection_parts(1, False, 200, 1, 128, 384) == two         # the GRU's: 9.8 million
    assert _layout.weight_gradient_parts(1, False, 200, 1, 128, 512, 128) == two


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("H", [5, 32, 48, 64, 65, 100, 130])
def test_rnn_of_one_sequence_across_panels(backend, H):
    """At batch 1 the Cython RNN fuses each step's product and tanh (onerow.hpp), a panel of 64 floats
    (32 doubles) at a time with a partial last one that multiplies only the vectors it fills (in
    float32, 16 lanes: H = 5, 32, 48 and 100 leave 1, 2, 3 and 3 of its 4 vectors, 64 fills them
    all; in float64, 8 lanes: 48 leaves 2, and 5, 65, 100, 130 leave 1), and its float32 tanh is a
    rational approximation: still the reference's numbers, masked steps included (float32 with
    gradients of order one, as in the larger problem above)."""
    for dtype, scale in ((np.float64, 0.1), (np.float32, 0.05)):
        for recurrent_dropout in (0.0, 0.3):
            assert_same_as_reference(random_problem("rnn", 1, 40, 7, H, seed=H, dtype=dtype, mask="random",
                                                    scale=scale, recurrent_dropout=recurrent_dropout), backend)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_numba_kernels_equal_the_reference_with_the_transposed_step_product(cell):
    """From H = 128 and B = 16 the Numba forward asks OpenBLAS for U @ h.T and transposes it back in
    8 x 8 blocks (_numba_product.py). B = 19 and H = 129 leave partial blocks at both edges; the RNN
    (one gate) needs H >= 384 for it."""
    from lstmx._kernels._numba_product import transposed_is_faster
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    H = 129 if G > 1 else 387
    assert transposed_is_faster(19, H, G) and not transposed_is_faster(15, H, G)
    for dtype, scale in ((np.float64, 0.1), (np.float32, 0.03)):
        for recurrent_dropout in (0.0, 0.3):
            assert_same_as_reference(random_problem(cell, 19, 4, 6, H, seed=7, dtype=dtype, mask="random", scale=scale,
                                                    recurrent_dropout=recurrent_dropout), "numba")


@pytest.mark.parametrize("N, B", [(8, 8), (24, 16), (3, 5), (13, 21), (387, 19)])
def test_blocked_transpose(N, B):
    from lstmx._kernels._numba_product import transpose_into
    src = np.arange(N * B, dtype=np.float32).reshape(N, B)
    dst = np.full((B, N), np.nan, np.float32)
    transpose_into(src, dst)
    np.testing.assert_array_equal(dst, src.T)


@pytest.mark.parametrize("backend", ("reference",) + COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_time_major_input_gives_the_same_numbers_without_a_copy(cell, backend):
    """X of shape (B, T, I) held in time-major memory (an Embedding's output, a reversed input) gives
    the same outputs and gradients to the bit as a C-contiguous X; the compiled kernels read it
    where it is instead of copying it."""
    prob = random_problem(cell, 3, 6, 5, 8, seed=4, dtype=np.float32, mask="pre", scale=0.4)
    RY, Rf = loss_weights(prob)
    X = prob["X"]
    X_time_major = np.ascontiguousarray(X.transpose(1, 0, 2)).transpose(1, 0, 2)
    assert not X_time_major.flags.c_contiguous
    Y, finals, cache = forward(prob, backend)
    Y_tm, finals_tm, cache_tm = forward(dict(prob, X=X_time_major), backend)
    np.testing.assert_array_equal(Y_tm, Y)
    for f_tm, f in zip(finals_tm, finals):
        np.testing.assert_array_equal(f_tm, f)
    grads, grads_tm = backward(prob, cache, RY, Rf), backward(dict(prob, X=X_time_major), cache_tm, RY, Rf)
    for name, g in grads.items():
        np.testing.assert_array_equal(grads_tm[name], g, err_msg=f"d{name}")
    if backend != "reference":
        assert np.shares_memory(cache_tm["X_tm"], X_time_major)


def test_reversed_in_time_is_one_copy_in_time_major_memory():
    from lstmx._kernels._layout import reversed_in_time
    X = np.random.default_rng(0).standard_normal((3, 5, 2)).astype(np.float32)
    for source in (X, np.ascontiguousarray(X.transpose(1, 0, 2)).transpose(1, 0, 2)):
        R = reversed_in_time(source)
        np.testing.assert_array_equal(R, X[:, ::-1])
        assert R.transpose(1, 0, 2).flags.c_contiguous and not np.shares_memory(R, source)


@pytest.mark.parametrize("backend", COMPILED)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_kernel_called_directly_refuses_a_mask_of_the_wrong_shape(cell, backend):
    """The kernels' own wrappers (reachable from Python for tests) check the recurrent dropout mask
    before their loops read it: a (B, H - 1) mask would be read past its end."""
    import importlib
    prob = random_problem(cell, 3, 4, 2, 5, seed=1, dtype=np.float32, recurrent_dropout=0.5)
    module = importlib.import_module(f"lstmx._kernels.{cell}_{backend}")
    p, s = prob["params"], prob["states"]
    args = [prob["X"], p["W"], p["U"], p["b"]] + ([p["b_hn"]] if cell == "gru" else []) + list(s.values())
    with pytest.raises(ValueError, match=r"recurrent_keep must be a C-contiguous \(3, 5\) array of float32"):
        getattr(module, f"{cell}_forward")(*args, None, prob["recurrent_keep"][:, :4].copy())
