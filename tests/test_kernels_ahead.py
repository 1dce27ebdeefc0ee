"""The Cython LSTM's one-thread time loop with its input projection made ahead by a helper thread
(lstmx/_kernels/ahead.hpp): the reference's numbers at batch 1 and at small batches, with masks,
initial states, recurrent dropout, float32 and float64; with the helper busy elsewhere (a second
Python thread calling at the same time does all the work itself); and in a forked child, which has
no helper thread of its own until it starts one.

The path runs from AHEAD_MIN_MACS multiply-adds of projection up; the tests set it to 0 so that
small problems take it (and to a huge value to compare with the path without it)."""
import contextlib
import multiprocessing
import os
import threading

import numpy as np
import pytest
from helpers import forward, random_problem
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kernels import assert_same_as_reference

from lstmx._kernels import _layout


@contextlib.contextmanager
def ahead_from(macs):
    old = _layout.AHEAD_MIN_MACS
    _layout.AHEAD_MIN_MACS = macs
    try:
        yield
    finally:
        _layout.AHEAD_MIN_MACS = old


@pytest.fixture(autouse=True)
def _needs_two_cpus():
    if _layout._CPUS < 2:
        pytest.skip("the helper thread is only used with two CPUs or more")


@pytest.mark.parametrize("dtype, scale", [(np.float64, 0.1), (np.float32, 0.05)])
@pytest.mark.parametrize("mask", [None, "random", "pre", "post"])
@pytest.mark.parametrize("recurrent_dropout", [0.0, 0.3])
@pytest.mark.parametrize("B, T, I, H", [(1, 1, 3, 5), (1, 37, 7, 17), (1, 60, 24, 128), (3, 29, 9, 33),
                                        (7, 13, 5, 8)])
def test_lstm_with_the_projection_made_ahead_equals_the_reference(B, T, I, H, mask, recurrent_dropout, dtype, scale):
    """Chunks of 24 // B steps: at B = 1, T = 37 and 60 leave a partial last chunk; T = 1 is one
    chunk; B = 3 and 7 take 8 and 3 steps a chunk; H = 5, 17, 33 leave a partial last panel."""
    prob = random_problem("lstm", B, T, I, H, seed=B * 1000 + T, dtype=dtype, mask=mask, scale=scale,
                          recurrent_dropout=recurrent_dropout)
    with ahead_from(0):
        assert_same_as_reference(prob, "cython")


@settings(max_examples=int(os.environ.get("LSTMX_EXAMPLES", 20)), deadline=None)
@given(B=st.integers(1, 7), T=st.integers(1, 60), I=st.integers(1, 20), H=st.sampled_from([1, 3, 8, 16, 17, 40]),
       mask=st.sampled_from([None, "random", "pre", "post"]), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**31 - 1), recurrent_dropout=st.sampled_from([0.0, 0.5]))
def test_lstm_projection_ahead_hypothesis(B, T, I, H, mask, dtype, seed, recurrent_dropout):
    """Any size on the path: in float32 at most 40 rows (T * B), as db sums them all and float32 rounds a
    sum of 59 * 3 rows of order one by more than 1e-5 in either order (the path without the helper too)."""
    if dtype is np.float32:
        T = min(T, 40 // B)
    scale = (1 - recurrent_dropout) / np.sqrt(H + I) if dtype is np.float32 else 0.5
    prob = random_problem("lstm", B, T, I, H, seed, dtype, mask, scale=scale, recurrent_dropout=recurrent_dropout)
    with ahead_from(0):
        assert_same_as_reference(prob, "cython")


def test_the_path_is_taken_from_the_threshold_up():
    assert _layout.projection_ahead(1, 200, 1, 128, 512)            # the batch-1 benchmark size
    assert not _layout.projection_ahead(1, 100, 1, 32, 128)         # (1, 100, 32, 32): too small to pay
    assert not _layout.projection_ahead(2, 200, 16, 128, 512)       # two threads share the batch instead


def test_same_numbers_with_and_without_the_helper():
    """The projection on the packed kernel (ahead) and by BLAS (without) differ only in rounding."""
    prob = random_problem("lstm", 1, 200, 128, 128, seed=3, dtype=np.float64, mask="random", scale=0.1,
                          recurrent_dropout=0.2)
    with ahead_from(0):
        Y, finals, _ = forward(prob, "cython")
    with ahead_from(1 << 62):
        Y_blas, finals_blas, _ = forward(prob, "cython")
    np.testing.assert_allclose(Y, Y_blas, rtol=0, atol=1e-12)
    for f, g in zip(finals, finals_blas):
        np.testing.assert_allclose(f, g, rtol=0, atol=1e-12)


def test_two_python_threads_at_once():
    """One job at a time goes to the helper; a second caller meanwhile makes its own projection."""
    probs = [random_problem("lstm", 1, 150, 64, 96, seed=s, dtype=np.float64, mask="random", scale=0.2)
             for s in range(2)]
    expected = [forward(p, "reference")[0] for p in probs]
    errors = []

    def run(k):
        try:
            for _ in range(15):
                Y = forward(probs[k], "cython")[0]
                np.testing.assert_allclose(Y, expected[k], rtol=0, atol=1e-10)
        except BaseException as e:  # noqa: BLE001  (handed to the main thread)
            errors.append(e)

    with ahead_from(0):
        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a forward did not finish"
    assert not errors, errors[0]


def _child_forward(prob):
    with ahead_from(0):
        return forward(prob, "cython")[0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_starts_its_own_helper():
    """The parent's helper thread is not in a child made by fork: the child's first call starts one
    (and would do the work itself if it could not), instead of waiting for a thread that is not there."""
    prob = random_problem("lstm", 1, 80, 16, 40, seed=9, dtype=np.float64, mask="random", scale=0.3)
    with ahead_from(0):
        forward(prob, "cython")                 # the parent's helper is running
    with multiprocessing.get_context("fork").Pool(1) as pool:
        Y = pool.apply_async(_child_forward, (prob,)).get(timeout=120)
    np.testing.assert_allclose(Y, forward(prob, "reference")[0], rtol=0, atol=1e-10)
