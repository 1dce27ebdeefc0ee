"""Bad input gets an error naming what was expected and what came."""
import subprocess
import sys

import numpy as np
import pytest

import lstmx


def _lstm_args(B=2, T=3, I=4, H=5, dtype=np.float32):
    rng = np.random.default_rng(0)
    return dict(X=rng.standard_normal((B, T, I)).astype(dtype), W=np.zeros((4 * H, I), dtype),
                U=np.zeros((4 * H, H), dtype), b=np.zeros(4 * H, dtype))


def test_wrong_rank():
    a = _lstm_args()
    with pytest.raises(ValueError, match=r"X must have 3 dimensions \(batch, time, features\).*got 2 dimensions with shape \(3, 4\)"):
        lstmx.lstm_forward(a["X"][0], a["W"], a["U"], a["b"])


def test_wrong_feature_size():
    a = _lstm_args()
    with pytest.raises(ValueError, match=r"W must have shape \(4H, I\) = \(20, 6\), got \(20, 4\)"):
        lstmx.lstm_forward(np.zeros((2, 3, 6), np.float32), a["W"], a["U"], a["b"])


def test_u_not_gate_stacked():
    a = _lstm_args()
    with pytest.raises(ValueError, match=r"U must have shape \(4H, H\) = \(20, 5\).*got \(15, 5\)"):
        lstmx.lstm_forward(a["X"], a["W"], a["U"][:15], a["b"])
    with pytest.raises(ValueError, match=r"U must have shape \(3H, H\)"):
        lstmx.gru_forward(a["X"], a["W"], a["U"], a["b"], np.zeros(5, np.float32))


def test_mismatched_mask():
    a = _lstm_args()
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, time\) = \(2, 3\), got \(3, 2\)"):
        lstmx.lstm_forward(**a, mask=np.ones((3, 2), bool))
    with pytest.raises(TypeError, match="mask must be a boolean array, got dtype float64"):
        lstmx.lstm_forward(**a, mask=np.ones((2, 3)))
    with pytest.raises(ValueError, match="only 0 and 1"):
        lstmx.lstm_forward(**a, mask=np.full((2, 3), 2))


def test_bad_recurrent_keep():
    """The recurrent dropout mask is checked like the states: (batch, H), float, finite."""
    a = _lstm_args()
    with pytest.raises(ValueError, match=r"recurrent_keep must have shape \(batch, H\) = \(2, 5\), got \(5, 2\)"):
        lstmx.lstm_forward(**a, recurrent_keep=np.ones((5, 2), np.float32))
    with pytest.raises(TypeError, match=r"recurrent_keep must be a float array .* got dtype bool"):
        lstmx.rnn_forward(a["X"], a["W"][:5], a["U"][:5], a["b"][:5], recurrent_keep=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match=r"recurrent_keep.*NaN or inf"):
        lstmx.gru_forward(a["X"], a["W"][:15], a["U"][:15], a["b"][:15], np.zeros(5, np.float32),
                          recurrent_keep=np.full((2, 5), np.nan, np.float32))


def test_wrong_initial_state_shape():
    a = _lstm_args()
    with pytest.raises(ValueError, match=r"c0 must have shape \(batch, H\) = \(2, 5\), got \(1, 5\)"):
        lstmx.lstm_forward(**a, c0=np.zeros((1, 5), np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values(bad):
    a = _lstm_args()
    a["X"][1, 2, 3] = bad
    with pytest.raises(ValueError, match=r"^X contains NaN or inf at index \(1, 2, 3\) \(pass check_finite=False "
                                         r"to skip this check\)$"):
        lstmx.lstm_forward(**a)
    a["X"][0, 0, 0] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf at index \(0, 0, 0\) and 1 more \(pass"):
        lstmx.lstm_forward(**a)
    Y, _, _ = lstmx.lstm_forward(**a, check_finite=False, backend="reference")
    assert not np.isfinite(Y[1, 2]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 31, 1024, 1025, 5000])
def test_the_compiled_finite_check_finds_every_nan_and_inf(dtype, size):
    """One pass over the exponent bits, 1024 elements a block: a bad value anywhere is found, and
    the largest and the subnormal finite values are not taken for bad ones."""
    checks = pytest.importorskip("lstmx._kernels.checks_cython")
    info = np.finfo(dtype)
    a = np.linspace(-1, 1, size).astype(dtype)
    a[:: max(size // 7, 1)] = info.max
    a[1::5] = info.smallest_subnormal
    assert checks.all_finite(a) and checks.all_finite(a.reshape(1, size, 1))
    for position in sorted({0, size // 2, min(1023, size - 1), min(1024, size - 1), size - 1}):
        for bad in (np.nan, np.inf, -np.inf):
            b = a.copy()
            b[position] = bad
            assert not checks.all_finite(b), (position, bad)


def test_the_finite_check_falls_back_to_numpy_for_other_arrays():
    from lstmx._validation import all_finite
    assert all_finite(np.ones(5, np.float16)) and not all_finite(np.array([1, np.nan], np.float16))
    assert not all_finite(np.array([1.0, 2.0, np.inf])[::2])          # not C-contiguous
    assert not all_finite(np.array([1.0, np.nan], ">f8"))             # not native byte order


class _Subclass(np.ndarray):
    pass


def _inputs_of_every_kind():
    """(array, shape, dtype) triples: ones the full path returns unchanged, and ones it converts
    (other precision, not C-contiguous, swapped bytes, a subclass, a list) or refuses."""
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    yield a, (None, None, None), f32
    yield a, (2, 3, 4), f32
    yield a, (2, None, 5), f32                       # wrong size
    yield a, (2, 12), f32                            # wrong rank
    yield a.astype(np.float64), (2, 3, 4), f64
    yield a.astype(np.float64), (2, 3, 4), f32       # converted
    yield a, (2, 3, 4), f64                          # converted
    yield a.transpose(1, 0, 2), (3, 2, 4), f32       # not C-contiguous: copied
    yield a.astype(">f4"), (2, 3, 4), f32            # swapped bytes: copied
    yield a.view(_Subclass), (2, 3, 4), f32          # a subclass: a plain ndarray comes back
    yield a.tolist(), (2, 3, 4), f32
    yield a.astype(np.float16), (2, 3, 4), f32       # refused: float32 and float64 only
    yield a.astype(np.longdouble), (2, 3, 4), f64    # refused
    yield a.astype(np.int32), (2, 3, 4), f32         # refused
    for dtype in (np.float32, np.float64):
        for bad in (np.nan, np.inf, -np.inf):
            for position in (0, 13, 23):
                b = a.astype(dtype)
                b.flat[position] = bad
                yield b, (2, 3, 4), np.dtype(dtype)


@pytest.mark.parametrize("check_finite", [True, False])
def test_the_compiled_fast_path_agrees_with_the_python_checks(check_finite, monkeypatch):
    """``valid_as_is`` hands an argument back only when the Python checks would have returned that
    same object; for everything else it declines, and the Python path converts or raises."""
    checks = pytest.importorskip("lstmx._kernels.checks_cython")
    from lstmx import _validation
    for a, shape, dtype in _inputs_of_every_kind():
        monkeypatch.setattr(_validation, "_checks", False)          # the Python path alone
        try:
            python = _validation.as_float_array("a", a, shape, dtype, check_finite)
        except (TypeError, ValueError) as exc:
            python = exc
        monkeypatch.undo()
        fast = checks.valid_as_is(a, shape, dtype, check_finite)
        assert (fast is a) == (python is a), (shape, dtype, getattr(a, "dtype", None))
        assert fast is None or fast is a
        try:
            both = _validation.as_float_array("a", a, shape, dtype, check_finite)
        except (TypeError, ValueError) as exc:
            assert type(exc) is type(python) and str(exc) == str(python)
        else:
            assert not isinstance(python, Exception)
            assert type(both) is np.ndarray and both.dtype == dtype and both.flags.c_contiguous
            np.testing.assert_array_equal(both, python)


@pytest.mark.parametrize("dtype", [np.int64, object, bool])
def test_integer_object_and_bool_arrays(dtype):
    a = _lstm_args()
    with pytest.raises(TypeError, match=f"X must be a float array.*got dtype {np.dtype(dtype)}"):
        lstmx.lstm_forward(a["X"].astype(dtype), a["W"], a["U"], a["b"])
    with pytest.raises(TypeError, match="W must be a float array"):
        lstmx.rnn_forward(a["X"], np.zeros((5, 4), dtype), np.zeros((5, 5)), np.zeros(5))


@pytest.mark.parametrize("backend", ["reference", "cython", "numba"])
@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_float16_and_longdouble_are_refused_at_the_boundary(dtype, backend):
    # W of these dtypes reached the kernels: Cython's "No matching signature found", Numba's typing
    # error, float16 NotImplementedError; the reference ran in it. X was converted, silently
    a = _lstm_args()
    with pytest.raises(TypeError, match=f"W must be a float32 or float64 array .*got dtype {np.dtype(dtype)}"):
        lstmx.lstm_forward(a["X"], a["W"].astype(dtype), a["U"], a["b"], backend=backend)
    with pytest.raises(TypeError, match=fr"X must be a float32 or float64 array, got dtype {np.dtype(dtype)}: "
                                        r"convert it first, e.g. X.astype\(np.float32\)"):
        lstmx.lstm_forward(a["X"].astype(dtype), a["W"], a["U"], a["b"], backend=backend)
    with pytest.raises(TypeError, match=f"h0 must be a float32 or float64 array, got dtype {np.dtype(dtype)}"):
        lstmx.lstm_forward(**a, h0=np.zeros((2, 5), dtype), backend=backend)


@pytest.mark.parametrize("backend", ["reference", "cython", "numba"])
def test_gru_without_b_hn_is_refused_before_any_kernel(backend):
    # a b_hn of None skipped validation: the Cython kernel crashed the interpreter (segfault)
    a = _lstm_args()
    W, U, b = np.zeros((15, 4), np.float32), np.zeros((15, 5), np.float32), np.zeros(15, np.float32)
    with pytest.raises(TypeError, match=r"gru_forward needs b_hn, the \(H,\) bias.*got None"):
        lstmx.gru_forward(a["X"], W, U, b, None, backend=backend)
    with pytest.raises(ValueError, match=r"b_hn must have shape \(H,\) = \(5,\), got \(4,\)"):
        lstmx.gru_forward(a["X"], W, U, b, np.zeros(4, np.float32), backend=backend)


def test_empty_batch_or_sequence():
    a = _lstm_args()
    with pytest.raises(ValueError, match="at least one sequence of at least one step"):
        lstmx.lstm_forward(a["X"][:, :0], a["W"], a["U"], a["b"])


@pytest.mark.parametrize("size", [0, -3])
def test_hidden_size_below_one(size):
    with pytest.raises(ValueError, match=f"hidden_size must be >= 1, got {size}"):
        lstmx.LSTMCell(3, size)
    with pytest.raises(ValueError, match=f"units must be >= 1, got {size}"):
        lstmx.GRU(size)
    with pytest.raises(TypeError, match="hidden_size must be an integer"):
        lstmx.RNNCell(3, 2.5)


def test_bad_dtype_and_backend():
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got float16"):
        lstmx.LSTMCell(3, 2, dtype=np.float16)
    with pytest.raises(ValueError, match="backend must be one of"):
        lstmx.lstm_forward(**_lstm_args(), backend="cuda")


def test_backward_checks_gradient_shapes_and_cache():
    Y, _, cache = lstmx.lstm_forward(**_lstm_args())
    with pytest.raises(ValueError, match=r"dY must have shape \(batch, time, H\) = \(2, 3, 5\), got \(2, 3, 4\)"):
        lstmx.lstm_backward(np.zeros((2, 3, 4)), None, None, cache)
    with pytest.raises(TypeError, match="cache must be the dict returned by lstmx.gru_forward"):
        lstmx.gru_backward(None, None, cache)


def test_float64_inputs_to_float32_weights_compute_in_float32():
    a = _lstm_args()
    Y, (hT, cT), _ = lstmx.lstm_forward(a["X"].astype(np.float64), a["W"], a["U"], a["b"])
    assert Y.dtype == hT.dtype == np.float32


def test_import_is_light():
    """import lstmx loads neither numba, matplotlib, scipy nor torch (its time is in benchmarks/bench_import.py)."""
    code = "import sys, lstmx; print([m for m in ('numba', 'matplotlib', 'scipy', 'torch') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_submodules_load_on_first_use():
    """After a plain ``import lstmx``, ``lstmx.text`` and ``lstmx.datasets.imdb`` work, as Keras's
    ``keras.datasets.imdb`` does; they are loaded only then."""
    code = ("import sys, lstmx; before = 'lstmx.text' in sys.modules; "
            "print(before, lstmx.text.pad_sequences([[1, 2]], maxlen=3).tolist(), lstmx.datasets.imdb.ARCHIVE)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "[[0,", "1,", "2]]", "aclImdb_v1.tar.gz"], out
    with pytest.raises(AttributeError, match="module 'lstmx' has no attribute 'txt'"):
        lstmx.txt


def test_sequence_arrays_in_time_major_memory_are_taken_as_they_are():
    from lstmx._validation import as_sequence_array
    X_tm = np.arange(24, dtype=np.float32).reshape(4, 2, 3)          # (T, B, I) memory
    X = X_tm.transpose(1, 0, 2)                                      # (B, T, I) view
    assert np.shares_memory(as_sequence_array("X", X, np.dtype(np.float32)), X_tm)
    converted = as_sequence_array("X", X.astype(np.float64), np.dtype(np.float32))
    assert converted.dtype == np.float32 and converted.shape == (2, 4, 3)
    np.testing.assert_array_equal(converted, X)
    strided = np.zeros((4, 6, 3), np.float32)[:, ::2]                # neither layout: copied
    assert as_sequence_array("X", strided, np.dtype(np.float32)).flags.c_contiguous
    bad = X.copy(order="K")
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        as_sequence_array("X", bad, np.dtype(np.float32))
    with pytest.raises(TypeError, match="X must be a float array"):
        as_sequence_array("X", X_tm.astype(np.int64).transpose(1, 0, 2), np.dtype(np.float32))
