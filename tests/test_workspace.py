"""The kernels' pool of large work arrays (lstmx/_kernels/_workspace.py): reused only when free."""
import numpy as np
import pytest

import lstmx
from lstmx._kernels import _workspace as workspace

SHAPE = (64, 64, 64)    # 1 MiB of float32: large enough to be pooled


def test_a_free_array_is_handed_out_again():
    workspace.clear()
    first = workspace.empty(SHAPE, np.float32)
    first_address = first.ctypes.data
    del first
    again = workspace.empty(SHAPE, np.float32)
    assert again.ctypes.data == first_address


def test_an_array_still_held_is_never_handed_out():
    workspace.clear()
    held = workspace.empty(SHAPE, np.float32)
    view = workspace.empty(SHAPE, np.float32)[1:]        # only a view of the second one is left
    other = workspace.empty(SHAPE, np.float32)
    addresses = {held.ctypes.data, view.base.ctypes.data, other.ctypes.data}
    assert len(addresses) == 3


def test_small_arrays_and_other_dtypes_are_separate():
    workspace.clear()
    small = workspace.empty((10,), np.float32)
    assert small.shape == (10,) and small.dtype == np.float32
    a = workspace.empty(SHAPE, np.float32)
    b = workspace.empty(SHAPE, np.float64)
    assert a.dtype == np.float32 and b.dtype == np.float64 and a.ctypes.data != b.ctypes.data


def test_large_arrays_and_packed_buffers_start_on_a_cache_line():
    """np.empty of a large array starts 16 bytes past a page: each 64-byte load would straddle two lines."""
    workspace.clear()
    for _ in range(3):                                   # fresh, then reused
        assert workspace.empty(SHAPE, np.float32).ctypes.data % 64 == 0
        assert workspace.empty((1000,), np.float64, aligned=True).ctypes.data % 64 == 0
    array = workspace.empty(SHAPE, np.float32)
    array[...] = 1.0                                     # the whole aligned view lies inside its owner
    assert array.shape == SHAPE and array.flags.c_contiguous and array.sum() == np.prod(SHAPE)


def test_a_small_aligned_array_is_pooled_and_never_handed_out_while_held():
    workspace.clear()
    first = workspace.empty((1000,), np.float32, aligned=True)
    address = first.ctypes.data
    del first
    again = workspace.empty((1000,), np.float32, aligned=True)
    assert again.ctypes.data == address
    part = again[10:]                                  # a view keeps it busy once the array itself is gone
    del again
    other = workspace.empty((1000,), np.float32, aligned=True)
    assert other.ctypes.data != address and part.base.ctypes.data <= address


@pytest.mark.parametrize("backend", ["cython", "numba"])
def test_outputs_a_caller_keeps_are_not_overwritten_by_the_next_call(backend):
    """Y is a view of the forward's state array: holding it must keep that array out of the pool."""
    if backend not in lstmx.backends():
        pytest.skip(f"{backend} not built")
    rng = np.random.default_rng(0)
    B, T, I, H = 32, 80, 32, 128                       # hs (T+1, B, H) float32: 1.3 MB, pooled
    W = (rng.standard_normal((4 * H, I)) * 0.1).astype(np.float32)
    U = (rng.standard_normal((4 * H, H)) * 0.1).astype(np.float32)
    b, h0 = np.zeros(4 * H, np.float32), np.zeros((B, H), np.float32)
    X1, X2 = (rng.standard_normal((B, T, I)).astype(np.float32) for _ in range(2))
    Y1, _, _ = lstmx.lstm_forward(X1, W, U, b, h0, h0, backend=backend)
    kept = Y1.copy()
    for _ in range(3):
        lstmx.lstm_forward(X2, W, U, b, h0, h0, backend=backend)
    np.testing.assert_array_equal(Y1, kept)
