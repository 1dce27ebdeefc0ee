"""Embedding, Dense, Dropout, Bidirectional, Masking, GlobalAveragePooling1D: every backward pass against
central differences."""
import re

import numpy as np
import pytest

import lstmx
from lstmx.gradcheck import numeric_gradient, relative_error


def check_layer(layer, X, mask=None, seed=0, skip_input=False):
    """Max relative error of every parameter's (and the input's) gradient under a random linear loss."""
    R = np.random.default_rng(seed).standard_normal(np.shape(layer(X, mask=mask)))
    loss = lambda: float(np.sum(layer(X, mask=mask) * R))
    loss()
    dX = layer.backward(R)
    grads = {k: (g.to_dense() if hasattr(g, "to_dense") else g) for k, g in layer.grads.items()}
    errors = {k: relative_error(grads[k], numeric_gradient(loss, p)) for k, p in layer.params.items()}
    if not skip_input:
        errors["X"] = relative_error(dX, numeric_gradient(loss, X))
    return errors


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax"])
@pytest.mark.parametrize("rank", [2, 3])
def test_dense_gradients(activation, rank):
    X = np.random.default_rng(1).standard_normal((3, 4, 5)[:rank] if rank == 3 else (3, 5))
    layer = lstmx.Dense(4, activation, seed=0, dtype=np.float64)
    errors = check_layer(layer, X)
    assert max(errors.values()) < 1e-6, errors
    assert layer.kernel.shape == (5, 4) and layer.count_params() == 5 * 4 + 4


def test_embedding_rows_and_sparse_gradient():
    layer = lstmx.Embedding(7, 3, seed=0, dtype=np.float64)
    ids = np.array([[1, 2, 2, 0], [6, 1, 1, 1]])
    out = layer(ids)
    np.testing.assert_array_equal(out, layer.embeddings[ids])
    assert out.transpose(1, 0, 2).flags.c_contiguous   # time-major memory: the recurrent kernels read it as is
    errors = check_layer(layer, ids, skip_input=True)
    assert errors["embeddings"] < 1e-6
    g = layer.grads["embeddings"]
    assert sorted(g.indices.tolist()) == [0, 1, 2, 6] and g.values.shape == (4, 3)  # only the rows used


def test_embedding_mask_zero_and_bad_ids():
    layer = lstmx.Embedding(5, 2, mask_zero=True)
    layer(np.array([[0, 0, 3, 4]]))
    np.testing.assert_array_equal(layer.output_mask, [[False, False, True, True]])
    with pytest.raises(ValueError, match=r"token id 5 is out of range: Embedding\(input_dim=5\) accepts ids 0 <= id < 5"):
        layer(np.array([[1, 5]]))
    with pytest.raises(ValueError, match="token id -1 is out of range"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(TypeError, match="integer token ids, got dtype float64"):
        layer(np.array([[0.5, 2.0]]))


def test_embedding_takes_keras_2_input_length_with_a_warning():
    with pytest.warns(UserWarning, match="input_length is not needed"):
        layer = lstmx.Embedding(10, 4, input_length=200, seed=0)
    np.testing.assert_array_equal(layer.embeddings, lstmx.Embedding(10, 4, seed=0).embeddings)
    assert layer(np.array([[1, 2, 3]])).shape == (1, 3, 4)   # the length comes from the input


def test_embedding_matrix_can_be_scaled_in_place_or_replaced():
    # the docs' gate plot does ``emb.embeddings *= 20``: it failed once the matrix became a lazy property
    layer = lstmx.Embedding(6, 2, seed=0, dtype=np.float64)
    before = layer.embeddings.copy()
    layer.embeddings *= 20
    np.testing.assert_array_equal(layer.embeddings, before * 20)
    layer.embeddings = np.ones((6, 2), np.float32)
    assert layer.embeddings.dtype == np.float64 and layer(np.array([[1]]))[0, 0, 0] == 1.0
    with pytest.raises(ValueError, match=r"\(input_dim, output_dim\) = \(6, 2\), got shape \(2, 6\)"):
        layer.embeddings = np.ones((2, 6))


def test_dropout_scales_in_training_only():
    layer = lstmx.Dropout(0.5, seed=0)
    X = np.ones((200, 50))
    np.testing.assert_array_equal(layer(X), X)
    Y = layer(X, training=True)
    assert set(np.unique(Y)) == {0.0, 2.0} and 0.45 < (Y == 0).mean() < 0.55
    np.testing.assert_array_equal(layer.backward(np.ones_like(X)), Y)   # same mask, same scale
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1.5"):
        lstmx.Dropout(1.5)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_gradients(merge_mode, return_sequences):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 4, 3))
    mask = np.array([[False, True, True, True], [True, True, True, False]])
    layer = lstmx.Bidirectional(lstmx.GRU(3, return_sequences=return_sequences, dtype=np.float64, seed=0,
                                          backend="reference"), merge_mode=merge_mode)
    errors = check_layer(layer, X, mask)
    assert max(errors.values()) < 1e-6, errors


def test_bidirectional_reads_both_directions():
    X = np.random.default_rng(3).standard_normal((2, 5, 3))
    layer = lstmx.Bidirectional(lstmx.LSTM(4, return_sequences=True, seed=1, dtype=np.float64))
    Y = layer(X)
    assert Y.shape == (2, 5, 8)
    fwd = lstmx.LSTM(4, return_sequences=True, seed=1, dtype=np.float64)(X)
    bwd = lstmx.LSTM(4, return_sequences=True, seed=2, dtype=np.float64)(X[:, ::-1].copy())[:, ::-1]
    np.testing.assert_allclose(Y[..., :4], fwd, rtol=1e-10)
    np.testing.assert_allclose(Y[..., 4:], bwd, rtol=1e-10)   # step t of the backward half saw t..T-1
    assert lstmx.Bidirectional(lstmx.LSTM(64)).compute_output_shape((None, 200, 128)) == (None, 128)
    with pytest.raises(TypeError, match="Bidirectional wraps a recurrent layer .* got Dense"):
        lstmx.Bidirectional(lstmx.Dense(3))


def test_masking_marks_the_padded_steps_and_zeroes_them():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((2, 5, 3))
    X[0, :2] = 0.0                                        # two padded steps in front of sequence 0
    X[1, 4] = -1.0                                        # and one at the end of sequence 1, value -1
    layer = lstmx.Masking()
    Y = layer(X)
    np.testing.assert_array_equal(layer.output_mask, [[False, False, True, True, True], [True] * 5])
    assert Y.dtype == np.float64 and layer.compute_output_shape((None, 5, 3)) == (None, 5, 3)
    minus_one = lstmx.Masking(mask_value=-1.0)
    np.testing.assert_array_equal(minus_one(X)[1, 4], 0.0)
    np.testing.assert_array_equal(minus_one.output_mask[1], [True, True, True, True, False])
    dY = rng.standard_normal(X.shape)   # (a padded step is a kink: central differences would leave the mask)
    np.testing.assert_array_equal(minus_one.backward(dY), dY * minus_one.output_mask[..., None])
    # a recurrent layer after it ends pre-padded sequences in the state of the unpadded ones
    padded = np.concatenate([np.zeros((1, 3, 3)), X[1:, :4]], axis=1)
    model = lstmx.Sequential([lstmx.Masking(), lstmx.LSTM(4, dtype=np.float64, seed=0)])
    np.testing.assert_allclose(model.predict(padded), lstmx.LSTM(4, dtype=np.float64, seed=0)(X[1:, :4]), rtol=1e-12)
    with pytest.raises(ValueError, match=r"Masking input .*\(batch, time, features\)"):
        layer(np.zeros((2, 3)))


def test_global_average_pooling_averages_the_kept_steps():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((3, 4, 2))
    mask = np.array([[True, True, True, True], [False, True, False, True], [False] * 4])
    layer = lstmx.GlobalAveragePooling1D()
    Y = layer(X, mask=mask)
    np.testing.assert_allclose(Y[0], X[0].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(Y[1], (X[1, 1] + X[1, 3]) / 2, rtol=1e-12)      # padded steps count for nothing
    np.testing.assert_array_equal(Y[2], 0.0)                                   # all padding: zeros, not 0/0
    np.testing.assert_allclose(layer(X), X.mean(axis=1), rtol=1e-12)
    assert layer.output_mask is None and layer.compute_output_shape((None, 4, 2)) == (None, 2)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, time\) = \(3, 4\), got \(3, 1\)"):
        layer(X, mask=mask[:, :1])                                             # would broadcast
    assert max(check_layer(layer, X, mask).values()) < 1e-7


def test_bag_of_embeddings_model_trains_saves_and_counts_like_keras(tmp_path):
    from helpers import toy_data
    x, y = toy_data()
    model = lstmx.Sequential([lstmx.Embedding(50, 8, mask_zero=True, seed=0), lstmx.GlobalAveragePooling1D(),
                              lstmx.Dense(1, "sigmoid", seed=1)])
    model.compile("binary_crossentropy", lstmx.Adam(5e-2), metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert model.count_params() == 50 * 8 + 8 + 1 and re.search(r"\(GlobalAveragePooling1D\) +\(None, 8\)", model.summary(print_fn=lambda text: None))
    model.save(tmp_path / "bag.npz")
    np.testing.assert_array_equal(lstmx.load_model(tmp_path / "bag.npz").predict(x), model.predict(x))


@pytest.mark.parametrize("layer, dY", [
    (lstmx.Dense(3), np.ones((2, 3))),
    (lstmx.Embedding(5, 3), np.ones((2, 4, 3))),
    (lstmx.Masking(), np.ones((2, 4, 3))),
    (lstmx.GlobalAveragePooling1D(), np.ones((2, 3))),
    (lstmx.Bidirectional(lstmx.GRU(3)), np.ones((2, 6))),
], ids=lambda v: type(v).__name__ if not isinstance(v, np.ndarray) else "")
def test_backward_before_forward_is_a_clear_error(layer, dY):
    """Was AttributeError ('Dense' object has no attribute '_Y'; 'NoneType' object has no attribute
    'reshape'; ...)."""
    with pytest.raises(RuntimeError, match=r"\.backward called before the layer was run forward"):
        layer.backward(dY)


def test_dense_on_a_time_major_view_equals_dense_on_the_same_values():
    """Dense multiplies a recurrent layer's batch-first view of time-major memory as one 2-D product;
    the numbers are those of the contiguous input, forward and backward."""
    rng = np.random.default_rng(0)
    view = rng.normal(size=(7, 3, 5)).transpose(1, 0, 2)            # (B=3, T=7, 5), not contiguous
    dense = lstmx.Dense(4, "softmax", seed=0, dtype=np.float64)
    Y = dense(view)
    dY = rng.normal(size=Y.shape)
    dX, grads = dense.backward(dY), dict(dense.grads)
    again = lstmx.Dense(4, "softmax", seed=0, dtype=np.float64)
    np.testing.assert_allclose(Y, again(np.ascontiguousarray(view)), rtol=1e-13)
    np.testing.assert_allclose(dX, again.backward(dY), rtol=1e-13)
    for k in grads:
        np.testing.assert_allclose(grads[k], again.grads[k], rtol=1e-13)
