"""The kernels' pool of large work arrays (lstmx/_kernels/_workspace.py): reused only when free, and
bounded in bytes (lstmx.workspace)."""
import ctypes
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmx
from lstmx._kernels import _workspace as workspace

SHAPE = (64, 64, 64)    # 1 MiB of float32: large enough to be pooled
MiB = 1 << 20


@pytest.fixture(autouse=True)
def _default_limit():
    """Each test starts from an empty pool at the default limit, and leaves it so."""
    workspace.clear()
    previous = workspace.set_limit(workspace.DEFAULT_LIMIT)
    yield
    workspace.set_limit(previous)
    workspace.clear()


def _pooled_bytes():
    """The bytes of the owners the pool holds, counted from its contents."""
    return sum(owner.nbytes for pairs in workspace._pool.values() for owner, _ in pairs)


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


def test_the_public_module_is_the_pool():
    assert lstmx.workspace.clear is workspace.clear and lstmx.workspace.nbytes is workspace.nbytes
    assert lstmx.workspace.limit() == lstmx.workspace.DEFAULT_LIMIT == 256 * MiB


@pytest.mark.parametrize("backend", ["cython", "numba"])
def test_batches_of_80_lengths_stay_within_the_limit(backend):
    """Each length is a new shape of hs, cs, gates and dgates. A pool bounded by a count (4 arrays of
    each of 32 shapes) was left holding 106 MiB here with nothing alive; bounded in bytes it keeps to
    its limit after every call, and what it holds is what its arrays weigh."""
    if backend not in lstmx.backends():
        pytest.skip(f"{backend} not built")
    lstmx.workspace.set_limit(24 * MiB)
    rng = np.random.default_rng(0)
    B, I, H = 8, 16, 128                                 # hs (T+1, 8, 128) float32: >= 1 MiB from T = 256
    W = (rng.standard_normal((4 * H, I)) * 0.1).astype(np.float32)
    U = (rng.standard_normal((4 * H, H)) * 0.1).astype(np.float32)
    b = np.zeros(4 * H, np.float32)
    most = 0
    for T in range(256, 336):
        X = rng.standard_normal((B, T, I)).astype(np.float32)
        Y, _, cache = lstmx.lstm_forward(X, W, U, b, backend=backend)
        lstmx.lstm_backward(np.ones_like(Y), None, None, cache)
        most = max(most, lstmx.workspace.nbytes())
        assert lstmx.workspace.nbytes() == _pooled_bytes() <= 24 * MiB
    del Y, cache
    assert most > 16 * MiB                               # (it did pool: the bound is what held it)
    lstmx.workspace.clear()
    assert lstmx.workspace.nbytes() == 0 and not workspace._pool


def test_clear_lets_every_array_go():
    arrays = [workspace.empty(SHAPE, np.float32) for _ in range(3)]
    arrays.append(workspace.empty((1000,), np.float64, aligned=True))
    owners = [weakref.ref(array.base) for array in arrays]
    assert lstmx.workspace.nbytes() == _pooled_bytes() >= 3 * MiB
    del arrays
    gc.collect()
    assert all(owner() is not None for owner in owners)  # free, but pooled
    lstmx.workspace.clear()
    gc.collect()
    assert lstmx.workspace.nbytes() == 0 and all(owner() is None for owner in owners)


def test_the_least_recently_used_shape_goes_first():
    lstmx.workspace.set_limit(3 * MiB + 3 * 64)          # three 1 MiB arrays (and their alignment slack)
    shapes = [(64, 64, 64), (32, 128, 64), (16, 256, 64), (8, 512, 64)]
    addresses = {}
    for shape in shapes[:3]:
        addresses[shape] = workspace.empty(shape, np.float32).ctypes.data   # freed at once
    workspace.empty(shapes[0], np.float32)               # the first shape is now the most recent
    workspace.empty(shapes[3], np.float32)               # room for it: the second shape goes
    assert workspace.empty(shapes[0], np.float32).ctypes.data == addresses[shapes[0]]
    assert workspace.empty(shapes[2], np.float32).ctypes.data == addresses[shapes[2]]
    assert (shapes[1], np.dtype(np.float32)) not in workspace._pool
    assert lstmx.workspace.nbytes() == _pooled_bytes() <= lstmx.workspace.limit()


def test_an_array_larger_than_the_limit_is_aligned_but_not_pooled():
    lstmx.workspace.set_limit(MiB)
    array = workspace.empty((2 * MiB,), np.uint8)
    assert array.ctypes.data % 64 == 0 and array.shape == (2 * MiB,)
    assert lstmx.workspace.nbytes() == 0


def test_set_limit_evicts_at_once_and_returns_the_previous_limit():
    held = [workspace.empty(SHAPE, np.float32) for _ in range(4)]
    assert lstmx.workspace.nbytes() > 4 * MiB
    assert lstmx.workspace.set_limit(2 * MiB + 128) == workspace.DEFAULT_LIMIT
    assert lstmx.workspace.nbytes() == _pooled_bytes() <= 2 * MiB + 128
    assert lstmx.workspace.set_limit(0) == 2 * MiB + 128 and lstmx.workspace.nbytes() == 0
    again = workspace.empty(SHAPE, np.float32)           # nothing is pooled at 0, all still aligned
    assert again.ctypes.data % 64 == 0 and lstmx.workspace.nbytes() == 0
    assert again.ctypes.data not in {array.ctypes.data for array in held}
    with pytest.raises(ValueError, match=">= 0"):
        lstmx.workspace.set_limit(-1)
    with pytest.raises(TypeError):
        lstmx.workspace.set_limit(1.5)


SHAPES = [(64, 64, 64), (32, 128, 64), (128, 64, 64), (70, 64, 64), (300,)]


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.integers(0, len(SHAPES) - 1), st.booleans()), max_size=40),
       limit_mib=st.integers(0, 6))
def test_arrays_in_use_are_never_handed_out_twice(steps, limit_mib):
    """Any order of taking arrays (whole, or keeping only a view), letting them go and evicting them:
    every array in use keeps its own memory (its values stay) and the pool keeps to its limit."""
    workspace.clear()
    lstmx.workspace.set_limit(limit_mib * MiB)
    live = []                                            # (array or view, the value it was filled with)
    for number, (take, which, as_view) in enumerate(steps):
        if take or not live:
            shape = SHAPES[which]
            array = workspace.empty(shape, np.float32, aligned=len(shape) == 1)
            array[...] = number
            live.append((array[1:] if as_view else array, number))
        else:
            live.pop(which % len(live))
        assert lstmx.workspace.nbytes() == _pooled_bytes() <= limit_mib * MiB
    for array, number in live:
        assert (array == number).all()


@pytest.mark.skipif(workspace._ASAN is None, reason="AddressSanitizer is not loaded (tools/run_sanitized_tests.sh)")
def test_under_address_sanitizer_the_bytes_around_a_pooled_array_are_poisoned():
    is_poisoned = ctypes.CDLL(None).__asan_address_is_poisoned
    is_poisoned.argtypes, is_poisoned.restype = [ctypes.c_void_p], ctypes.c_int
    # (1024, 257) float32 is just over MIN_BYTES (1 MiB), the smallest array the pool takes unaligned
    for array in (workspace.empty((1024, 257), np.float32), workspace.empty((3,), np.float64, aligned=True)):
        start, end = array.ctypes.data, array.ctypes.data + array.nbytes
        assert not is_poisoned(start) and not is_poisoned(end - 1)
        assert is_poisoned(end) and is_poisoned(array.base.ctypes.data + array.base.nbytes - 1)
        if start > array.base.ctypes.data:
            assert is_poisoned(start - 1)
