"""The Keras-style recurrent layers: output shapes, states, go_backwards, masking, gradients."""
import numpy as np
import pytest

import lstmx
from lstmx.gradcheck import check_layer_gradients

LAYERS = {"lstm": lstmx.LSTM, "gru": lstmx.GRU, "rnn": lstmx.SimpleRNN}


@pytest.mark.parametrize("cell", LAYERS)
def test_output_shapes_and_states(cell):
    X = np.random.default_rng(0).standard_normal((3, 5, 4)).astype(np.float32)
    layer = LAYERS[cell](6, return_sequences=True, return_state=True, seed=0)
    out = layer(X)
    assert out[0].shape == (3, 5, 6) and all(s.shape == (3, 6) for s in out[1:])
    assert len(out) == (3 if cell == "lstm" else 2)
    np.testing.assert_array_equal(out[0][:, -1], out[1])
    last = LAYERS[cell](6, seed=0)(X)
    np.testing.assert_allclose(last, out[1], rtol=1e-6)
    assert layer.cell.input_size == 4 and layer.count_params() == layer.cell.count_params()


@pytest.mark.parametrize("cell", LAYERS)
def test_go_backwards_reads_the_reversed_sequence(cell):
    X = np.random.default_rng(1).standard_normal((2, 6, 3))
    fwd = LAYERS[cell](4, return_sequences=True, dtype=np.float64, seed=3)
    bwd = LAYERS[cell](4, return_sequences=True, go_backwards=True, dtype=np.float64, seed=3)
    np.testing.assert_allclose(bwd(X), fwd(X[:, ::-1].copy()), rtol=1e-12)


@pytest.mark.parametrize("cell", LAYERS)
def test_pre_padding_masked_gives_the_unpadded_result(cell):
    """A review padded with 3 masked steps in front ends in the same state as the review alone."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((1, 5, 3))
    padded = np.concatenate([rng.standard_normal((1, 3, 3)), X], axis=1)
    mask = np.array([[False] * 3 + [True] * 5])
    layer = LAYERS[cell](4, dtype=np.float64, seed=0)
    np.testing.assert_allclose(layer(padded, mask=mask), layer(X), rtol=1e-12)
    assert not np.allclose(layer(padded), layer(X))  # without the mask the padding changes the result


class FixedDropout:
    """A layer in training mode whose dropout masks are the same at every call, for central differences."""

    def __init__(self, layer):
        self.layer = layer

    def __call__(self, X, mask=None):
        self.layer._dropout_rng = np.random.default_rng(7)
        self.layer._recurrent_rng = np.random.default_rng(8)
        return self.layer(X, mask=mask, training=True)

    def backward(self, dY):
        return self.layer.backward(dY)

    params = property(lambda self: self.layer.params)
    grads = property(lambda self: self.layer.grads)


@pytest.mark.parametrize("dropout, recurrent_dropout", [(0.0, 0.0), (0.4, 0.0), (0.0, 0.4), (0.4, 0.4)])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("cell", LAYERS)
def test_layer_backward_matches_central_differences(cell, go_backwards, dropout, recurrent_dropout):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((3, 4, 5))
    mask = rng.random((3, 4)) < 0.75
    layer = LAYERS[cell](3, go_backwards=go_backwards, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         dtype=np.float64, seed=5, backend="reference")
    errors = check_layer_gradients(FixedDropout(layer), X, mask)
    assert set(errors) == set(layer.params) | {"X"}
    for rate, keep in ((dropout, layer.input_keep), (recurrent_dropout, layer.recurrent_keep)):
        assert (keep is None) == (rate == 0) and (rate == 0 or (keep == 0).any())
    assert max(errors.values()) < 1e-6, errors


def test_initial_state_and_its_gradient():
    rng = np.random.default_rng(6)
    X, h0, c0 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    layer = lstmx.LSTM(5, dtype=np.float64, seed=0)
    out = layer(X, initial_state=[h0, c0])
    assert not np.allclose(out, layer(X))
    layer(X, initial_state=[h0, c0])
    layer.backward(np.ones((2, 5)))
    assert layer.dstates[0].shape == (2, 5) and layer.dstates[1].shape == (2, 5)
    with pytest.raises(ValueError, match="initial_state must be a list of 2 arrays"):
        layer(X, initial_state=[h0])


def test_float64_and_non_contiguous_inputs_are_computed_in_the_layer_dtype():
    X = np.random.default_rng(7).standard_normal((6, 4, 3))[::2]   # non-contiguous float64
    layer = lstmx.LSTM(4, return_sequences=True, seed=0)
    Y = layer(X)
    assert Y.dtype == np.float32
    np.testing.assert_allclose(Y, layer(np.ascontiguousarray(X, dtype=np.float32)), rtol=1e-6)


def test_layer_rejects_a_different_feature_size_after_build():
    layer = lstmx.GRU(4)
    layer(np.zeros((1, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"built for 3 input features, got X with shape \(1, 2, 5\)"):
        layer(np.zeros((1, 2, 5), np.float32))


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before the layer was run forward"):
        lstmx.LSTM(3).backward(np.zeros((1, 3)))


@pytest.mark.parametrize("cell", LAYERS)
def test_input_dropout_drops_the_same_features_at_every_step(cell):
    X = np.random.default_rng(5).standard_normal((4, 6, 8)).astype(np.float32)
    layer = LAYERS[cell](5, return_sequences=True, dropout=0.5, seed=0)
    plain = LAYERS[cell](5, return_sequences=True, seed=0)           # the same weights, no dropout
    np.testing.assert_array_equal(layer(X), plain(X))                  # the identity outside training
    Y = layer(X, training=True)
    keep = layer.input_keep
    assert keep.shape == (4, 1, 8) and set(np.unique(keep)) == {0, 2}  # one mask a sequence, scaled by 1/(1-0.5)
    np.testing.assert_allclose(Y, plain(X * keep), rtol=1e-6)
    assert not np.array_equal(layer(X, training=True), Y)              # a new mask at every call
    assert not np.array_equal(Y, plain(X))


def test_dropout_arguments_and_config():
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1"):
        lstmx.LSTM(4, dropout=1)
    with pytest.raises(ValueError, match=r"recurrent_dropout must be in \[0, 1\), got -0.1"):
        lstmx.GRU(4, recurrent_dropout=-0.1)
    layer = lstmx.Bidirectional(lstmx.LSTM(4, dropout=0.25, seed=1))
    assert layer.backward_layer.dropout == 0.25 and lstmx.LSTM(**layer.forward_layer.get_config()).dropout == 0.25
    X = np.ones((2, 3, 4), np.float32)
    layer(X, training=True)
    forward_keep, backward_keep = layer.forward_layer.input_keep, layer.backward_layer.input_keep
    assert forward_keep is not None and not np.array_equal(forward_keep, backward_keep)   # a mask each
    again = lstmx.Bidirectional(lstmx.LSTM(4, dropout=0.25, seed=1))
    again(X, training=True)
    np.testing.assert_array_equal(again.forward_layer.input_keep, forward_keep)      # seeded: reproducible


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("backend", ["reference", "cython", "numba"])
def test_recurrent_dropout_masks_h_where_it_meets_U(backend):
    """Keras's equations, written out step by step: a = x W^T + (h_(t-1) * m) U^T + b, one m a sequence.
    The GRU mixes in h_(t-1) itself at the end (Keras's GRUCell masks only the copies of h_(t-1)
    that meet the recurrent kernel)."""
    rng = np.random.default_rng(9)
    X = rng.standard_normal((3, 5, 4))
    layers = {cell: LAYERS[cell](6, return_sequences=True, recurrent_dropout=0.5, dtype=np.float64, seed=1,
                                 backend=backend) for cell in LAYERS}
    for cell, layer in layers.items():
        Y = layer(X, training=True)
        m = layer.recurrent_keep
        assert m.shape == (3, 6) and set(np.unique(m)) == {0, 2}
        W, U, b = layer.cell.W, layer.cell.U, layer.cell.b
        h, c = np.zeros((3, 6)), np.zeros((3, 6))
        for t in range(5):
            if cell == "gru":
                ax, ah = X[:, t] @ W.T + b, (h * m) @ U.T
                r = sigmoid(ax[:, :6] + ah[:, :6])
                z = sigmoid(ax[:, 6:12] + ah[:, 6:12])
                n = np.tanh(ax[:, 12:] + r * (ah[:, 12:] + layer.cell.b_hn))
                h = (1 - z) * n + z * h
                np.testing.assert_allclose(Y[:, t], h, rtol=1e-9, atol=1e-12)
                continue
            a = X[:, t] @ W.T + (h * m) @ U.T + b
            if cell == "rnn":
                h = np.tanh(a)
            else:
                i, f, g, o = np.split(a, 4, axis=1)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
            np.testing.assert_allclose(Y[:, t], h, rtol=1e-9, atol=1e-12)
        plain = type(layer)(6, return_sequences=True, dtype=np.float64, seed=1, backend=backend)
        np.testing.assert_array_equal(layer(X), plain(X))                    # outside training: no mask
        assert layer.recurrent_keep is None



@pytest.mark.parametrize("backend", ["cython", "numba"])
@pytest.mark.parametrize("cell", LAYERS)
def test_recurrent_dropout_on_the_compiled_kernels_equals_the_reference(cell, backend):
    """The layer's recurrent dropout through the kernels' ``recurrent_keep``, with a sequence mask:
    outputs, dX and every parameter gradient."""
    rng = np.random.default_rng(10)
    X = rng.standard_normal((5, 30, 6))
    mask = rng.random((5, 30)) < 0.8
    dY = rng.standard_normal((5, 30, 16))
    results = []
    for be in ("reference", backend):
        layer = FixedDropout(LAYERS[cell](16, return_sequences=True, recurrent_dropout=0.3, dtype=np.float64, seed=2,
                                          backend=be))
        Y = layer(X, mask)
        results.append((Y, layer.backward(dY), layer.grads))
    (Y_ref, dX_ref, grads_ref), (Y, dX, grads) = results
    np.testing.assert_allclose(Y, Y_ref, atol=1e-10)
    np.testing.assert_allclose(dX, dX_ref, atol=1e-10)
    for name in grads_ref:
        np.testing.assert_allclose(grads[name], grads_ref[name], atol=1e-9)


def test_an_unknown_backend_is_refused_when_the_layer_is_made():
    for layer in (lstmx.LSTM, lstmx.GRU, lstmx.SimpleRNN):
        with pytest.raises(ValueError, match=r"backend must be one of 'auto', 'reference', 'cython', 'numba'; "
                                             r"got 'gpu'"):
            layer(4, backend="gpu")


def test_nan_in_a_layer_input_or_weights_says_which_layer_and_what_to_do():
    """A layer call has no check_finite: the message must not tell its user to pass one."""
    X = np.ones((2, 4, 3), np.float32)
    X[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match=r"^LSTM layer 'enc': its input holds NaN or inf.*at index \(1, 2, 0\)") as e:
        lstmx.LSTM(5, name="enc")(X)
    assert "check_finite" not in str(e.value)
    with pytest.raises(ValueError, match=r"^Bidirectional layer 'bi', in its GRU layer: its input holds NaN"):
        lstmx.Bidirectional(lstmx.GRU(5), name="bi")(X)
    layer = lstmx.SimpleRNN(5)
    layer(np.ones((2, 4, 3), np.float32))
    layer.cell.U[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"^SimpleRNN layer: its weights U hold NaN or inf: the training diverged"):
        layer(np.ones((2, 4, 3), np.float32))
    layer = lstmx.LSTM(5)
    layer(np.ones((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"^dY contains NaN or inf at index \(0, 1\)$"):    # backward has no check_finite
        layer.backward(np.array([[0, np.nan, 0, 0, 0], [0] * 5], np.float32))
