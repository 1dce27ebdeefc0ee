"""Attention, AdditiveAttention and AttentionPooling: Keras's numbers (``data/keras_attention.npz``,
written by Keras 3.15.1 with ``data/make_keras_attention.py``; Keras is not an lstmx dependency),
gradients against central differences, masks, graphs and saved files."""
import os

import numpy as np
import pytest

import lstmx
from lstmx.gradcheck import numeric_gradient, relative_error

KERAS = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_attention.npz"))
Q, V, K = KERAS["q"], KERAS["v"], KERAS["k"]
MASKS = [KERAS["q_mask"], KERAS["v_mask"]]
CASES = {
    "dot": (lambda: lstmx.Attention(dtype=np.float64), {}),
    "dot_scale_causal": (lambda: lstmx.Attention(use_scale=True, dtype=np.float64), {"use_causal_mask": True}),
    "concat_scale": (lambda: lstmx.Attention(use_scale=True, score_mode="concat", dtype=np.float64), {}),
    "concat": (lambda: lstmx.Attention(score_mode="concat", dtype=np.float64), {}),
    "additive": (lambda: lstmx.AdditiveAttention(dtype=np.float64), {}),
    "additive_no_scale": (lambda: lstmx.AdditiveAttention(use_scale=False, dtype=np.float64), {}),
}


def make(name):
    layer, options = CASES[name][0](), CASES[name][1]
    layer([Q, V, K], mask=MASKS, **options)
    layer.set_weights([KERAS[f"{name}/w_{j}"] for j in range(int(KERAS[f"{name}/n_weights"]))])
    return layer, options


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_and_scores_equal_keras(name):
    layer, options = make(name)
    out, scores = layer([Q, V, K], mask=MASKS, return_attention_scores=True, **options)
    np.testing.assert_allclose(out, KERAS[f"{name}/out"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores, KERAS[f"{name}/scores"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(layer.output_mask[0], MASKS[0])      # the query's mask goes on


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("with_key", [True, False])
def test_gradients_of_every_input_and_weight(name, with_key):
    layer, options = make(name)
    q, v, k = Q.copy(), V.copy(), K.copy()
    inputs = [q, v, k] if with_key else [q, v]
    rng = np.random.default_rng(1)
    R_out = rng.standard_normal((Q.shape[0], Q.shape[1], V.shape[2]))
    R_scores = rng.standard_normal((Q.shape[0], Q.shape[1], V.shape[1]))

    def loss():
        out, scores = layer(inputs, mask=MASKS, return_attention_scores=True, **options)
        return float(np.sum(out * R_out) + np.sum(scores * R_scores))
    loss()
    grads = layer.backward(R_out, d_scores=R_scores)
    assert len(grads) == len(inputs)
    for name_, x, g in zip("qvk", inputs, grads):
        assert relative_error(g, numeric_gradient(loss, x, 1e-6)) < 1e-6, name_
    for key, p in layer.params.items():
        assert relative_error(layer.grads[key], numeric_gradient(loss, p, 1e-6)) < 1e-6, key


def test_masked_steps_get_no_weight_and_dropout_only_while_training():
    layer = lstmx.Attention(dropout=0.5, seed=0, dtype=np.float64)
    out, w = layer([Q, V], mask=MASKS, return_attention_scores=True)
    assert np.all(w[~np.broadcast_to(MASKS[1][:, None, :], w.shape)] < 1e-300)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    assert np.all(out[~MASKS[0]] == 0)
    _, w_train = layer([Q, V], mask=MASKS, training=True, return_attention_scores=True)
    assert not np.allclose(w_train, w) and set(np.round(np.unique(w_train / np.where(w > 0, w, 1)), 9)) <= {0.0, 2.0}


def test_attention_pooling_weights_sum_to_one_over_kept_steps_and_gradients_check():
    layer = lstmx.AttentionPooling(6, seed=0, dtype=np.float64)
    H = np.random.default_rng(2).standard_normal((3, 5, 4))
    mask = np.array([[True] * 5, [False, False, True, True, True], [True, True, False, False, False]])
    out = layer(H, mask=mask)
    assert out.shape == (3, 4) and layer.output_mask is None
    np.testing.assert_allclose(layer.weights_.sum(1), 1.0)
    assert np.all(layer.weights_[~mask] < 1e-300)
    R = np.random.default_rng(3).standard_normal(out.shape)
    loss = lambda: float(np.sum(layer(H, mask=mask) * R))
    loss()
    dH = layer.backward(R)
    assert relative_error(dH, numeric_gradient(loss, H, 1e-6)) < 1e-6
    for key, p in layer.params.items():
        assert relative_error(layer.grads[key], numeric_gradient(loss, p, 1e-6)) < 1e-6, key


def test_an_encoder_decoder_with_attention_trains_saves_and_reloads(tmp_path):
    """Decoder steps attend over the encoder's outputs; masks flow from both Embeddings; the model's
    gradient checks, and a saved copy (call options kept in the file) predicts the same."""
    src = lstmx.Input((None,), dtype="int32", name="source")
    tgt = lstmx.Input((None,), dtype="int32", name="target")
    enc, h, c = lstmx.LSTM(4, return_sequences=True, return_state=True, seed=0, dtype=np.float64)(
        lstmx.Embedding(12, 3, mask_zero=True, seed=1, dtype=np.float64)(src))
    dec = lstmx.LSTM(4, return_sequences=True, seed=2, dtype=np.float64)(
        lstmx.Embedding(12, 3, mask_zero=True, seed=3, dtype=np.float64)(tgt), initial_state=[h, c])
    context, weights = lstmx.Attention(dtype=np.float64, name="attention")([dec, enc], return_attention_scores=True)
    out = lstmx.Dense(12, "softmax", seed=4, dtype=np.float64)(lstmx.Concatenate()([dec, context]))
    model = lstmx.Model([src, tgt], [out, weights])
    model.compile(loss=["sparse_categorical_crossentropy", None], optimizer="adam")
    rng = np.random.default_rng(0)
    x_src, x_tgt = rng.integers(1, 12, (3, 5)), rng.integers(1, 12, (3, 4))
    x_src[0, :2] = 0
    y = rng.integers(1, 12, (3, 4))
    loss, grads = model.compute_gradients([x_src, x_tgt], [y, None], training=False)
    params = model.params
    for key in ("lstm/W", "lstm_1/U", "dense/kernel"):
        p = params[key]
        numeric = numeric_gradient(lambda: model.compute_gradients([x_src, x_tgt], [y, None], training=False)[0], p, 1e-6)
        assert relative_error(grads[key], numeric) < 1e-6, key
    _, w = model.predict([x_src, x_tgt], verbose=0)
    assert w.shape == (3, 4, 5) and np.all(w[0, :, :2] < 1e-300)
    model.save(tmp_path / "m.npz")
    again = lstmx.load_model(tmp_path / "m.npz")
    for a, b in zip(model.predict([x_src, x_tgt], verbose=0), again.predict([x_src, x_tgt], verbose=0)):
        np.testing.assert_array_equal(a, b)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="the query has 5 features, the key 3"):
        lstmx.Attention()([np.zeros((1, 2, 5)), np.zeros((1, 4, 3))])
    with pytest.raises(ValueError, match="takes a list \\[query, value\\] or \\[query, value, key\\]"):
        lstmx.Attention()(np.zeros((1, 2, 5)))
    with pytest.raises(ValueError, match=r"the value's mask must be \(batch, Tv\) = \(1, 4\), got \(1, 3\)"):
        lstmx.Attention()([np.zeros((1, 2, 5)), np.zeros((1, 4, 5))], mask=[None, np.ones((1, 3), bool)])
    with pytest.raises(ValueError, match="batch sizes 2, 1, 1"):
        lstmx.AdditiveAttention()([np.zeros((2, 2, 5)), np.zeros((1, 4, 5))])
    with pytest.raises(ValueError, match="score_mode must be 'dot' or 'concat'"):
        lstmx.Attention(score_mode="general")
    q = lstmx.Input((None, 5))
    with pytest.raises(ValueError, match="the query has 5 features, the key 3"):
        lstmx.Attention()([q, lstmx.Input((None, 3))])


def test_float32_attention_stays_float32_where_every_key_is_masked():
    # the masking constant was a float64 array: float32 scores became float64 (and so the outputs),
    # and a query whose every key is masked got weights from float64 scores where Keras's are float32
    q, v = np.ones((1, 2, 3), np.float32), np.ones((1, 4, 3), np.float32)
    out, w = lstmx.Attention(use_scale=True)([q, v], mask=[None, np.zeros((1, 4), bool)], return_attention_scores=True)
    assert out.dtype == w.dtype == np.float32
    pooled = lstmx.AttentionPooling(2)(np.ones((1, 3, 4), np.float32), mask=np.array([[True, False, True]]))
    assert pooled.dtype == np.float32
