"""Models that are graphs (lstmx.Model): gradient checks of fan-out, shared layers, several inputs and
outputs, masks through merges, TimeDistributed(LSTM), encoder states into a decoder, and what bad
graphs get."""
import numpy as np
import pytest

import lstmx
from lstmx.gradcheck import numeric_gradient, relative_error

F64 = dict(dtype=np.float64)


def assert_graph_gradients(model, x, y, tol=1e-6):
    """Every parameter's gradient from the graph's backward loop equals central differences of the
    loss that ``evaluate`` reports (float64; eps 1e-5, where rounding in a loss of a few units
    stays well under the tolerance)."""
    loss = lambda: model.evaluate(x, y, batch_size=len(np.asarray(x[0] if isinstance(x, list) else
                                                                   next(iter(x.values())) if isinstance(x, dict) else x)),
                                  return_dict=True)["loss"]
    _, grads = model.compute_gradients(x, y, training=False)
    assert set(grads) == set(model.params), set(model.params) ^ set(grads)
    for key, param in model.params.items():
        g = grads[key].to_dense() if hasattr(grads[key], "to_dense") else grads[key]
        assert relative_error(g, numeric_gradient(loss, param, eps=1e-5)) < tol, key


def rng(seed=0):
    return np.random.default_rng(seed)


def test_fan_out_a_tensor_read_by_two_layers_sums_its_gradients():
    x = lstmx.Input((5, 3), **F64)
    h = lstmx.LSTM(4, return_sequences=True, seed=1, backend="reference", **F64)(x)
    a = lstmx.GlobalAveragePooling1D()(h)                       # h read twice
    b = lstmx.LSTM(4, seed=2, backend="reference", **F64)(h)
    y = lstmx.Dense(1, seed=3, **F64)(lstmx.Add()([a, b]))
    model = lstmx.Model(x, y)
    model.compile("mse", lstmx.SGD(1e-9))
    assert_graph_gradients(model, rng().standard_normal((4, 5, 3)), rng(1).standard_normal((4, 1)))


def test_a_layer_called_three_times_keeps_a_cache_a_call_and_sums_its_gradients():
    shared = lstmx.Dense(3, "tanh", seed=0, **F64)
    inputs = [lstmx.Input((2,), **F64) for _ in range(3)]
    outs = [shared(t) for t in inputs]
    model = lstmx.Model(inputs, lstmx.Dense(1, seed=1, **F64)(lstmx.Concatenate()(outs)))
    model.compile("mse", lstmx.SGD(1e-9))
    assert len(shared._nodes) == 3 and model.count_params() == 2 * 3 + 3 + 9 + 1   # one set of weights
    xs = [rng(k).standard_normal((5, 2)) for k in range(3)]
    assert_graph_gradients(model, xs, rng(9).standard_normal((5, 1)))


def test_one_embedding_shared_by_two_inputs_sums_its_row_gradients():
    emb = lstmx.Embedding(9, 3, seed=0, mask_zero=True, **F64)
    a, b = lstmx.Input((None,), dtype="int32"), lstmx.Input((None,), dtype="int32")
    lstm = lstmx.LSTM(2, seed=1, backend="reference", **F64)
    merged = lstmx.Concatenate()([lstm(emb(a)), lstm(emb(b))])   # the LSTM is shared too
    model = lstmx.Model([a, b], lstmx.Dense(1, "sigmoid", seed=2, **F64)(merged))
    model.compile("binary_crossentropy", lstmx.SGD(1e-9))
    ids = rng().integers(1, 9, (6, 4))
    ids[:, :2] *= rng(1).integers(0, 2, (6, 2))                 # some padding
    assert_graph_gradients(model, [ids, ids[::-1].copy()], rng(2).integers(0, 2, 6))


def test_two_outputs_with_loss_weights_and_dict_labels():
    x = lstmx.Input((4, 3), **F64, name="reading")
    h = lstmx.LSTM(5, return_sequences=True, seed=0, backend="reference", **F64)(x)
    tags = lstmx.Dense(3, "softmax", seed=1, name="tags", **F64)(h)                           # per step
    score = lstmx.Dense(1, seed=2, name="score", **F64)(lstmx.GlobalAveragePooling1D()(h))    # per sequence
    model = lstmx.Model(x, [tags, score])
    model.compile({"tags": "sparse_categorical_crossentropy", "score": "mse"}, lstmx.SGD(1e-9),
                  metrics={"tags": ["accuracy"]}, loss_weights={"tags": 0.5, "score": 2.0})
    X = rng().standard_normal((5, 4, 3))
    Y = {"tags": rng(1).integers(0, 3, (5, 4)), "score": rng(2).standard_normal((5, 1))}
    assert_graph_gradients(model, X, Y)
    logs = model.evaluate(X, Y, return_dict=True)
    assert set(logs) == {"loss", "tags_loss", "score_loss", "tags_accuracy"}
    assert logs["loss"] == pytest.approx(0.5 * logs["tags_loss"] + 2.0 * logs["score_loss"])
    history = model.fit({"reading": X}, [Y["tags"], Y["score"]], epochs=1, verbose=0, validation_data=(X, Y))
    assert set(history.history) == {"loss", "tags_loss", "score_loss", "tags_accuracy", "val_loss", "val_tags_loss",
                                    "val_score_loss", "val_tags_accuracy"}


def test_masks_flow_through_a_merge_as_the_and_of_the_inputs_masks():
    a, b = lstmx.Input((None,), dtype="int32"), lstmx.Input((None,), dtype="int32")
    ea = lstmx.Embedding(7, 2, mask_zero=True, seed=0, **F64)(a)
    eb = lstmx.Embedding(7, 2, mask_zero=True, seed=1, **F64)(b)
    merged = lstmx.Concatenate()([ea, eb])
    h = lstmx.LSTM(3, return_sequences=True, seed=2, backend="reference", **F64)(merged)
    out = lstmx.TimeDistributed(lstmx.Dense(2, "softmax", seed=3, **F64))(h)
    model = lstmx.Model([a, b], out)
    model.compile("sparse_categorical_crossentropy", lstmx.SGD(1e-9), metrics=["accuracy"])
    ids_a = np.array([[0, 1, 2, 3], [4, 5, 0, 6]])
    ids_b = np.array([[1, 0, 2, 3], [4, 5, 6, 6]])
    labels = np.array([[0, 1, 1, 0], [1, 1, 0, 0]])
    _, masks, _ = lstmx.models.graph.run_forward(model.graph, [ids_a, ids_b])
    np.testing.assert_array_equal(masks[0], (ids_a != 0) & (ids_b != 0))
    assert_graph_gradients(model, [ids_a, ids_b], labels)
    other = np.where((ids_a != 0) & (ids_b != 0), labels, 1 - labels)     # other labels on masked steps only
    assert model.evaluate([ids_a, ids_b], other) == model.evaluate([ids_a, ids_b], labels)


def test_time_distributed_lstm_over_the_characters_of_every_word():
    """The PyTorch tutorial's tagger with character features: a character LSTM over each word
    (TimeDistributed), its final state joined to the word's embedding, a BiLSTM, a tag a word."""
    words = lstmx.Input((None,), dtype="int32", name="words")
    chars = lstmx.Input((None, None), dtype="int32", name="chars")
    w = lstmx.Embedding(10, 3, mask_zero=True, seed=0, **F64)(words)                       # (B, T, 3)
    c = lstmx.Embedding(8, 2, mask_zero=True, seed=1, **F64)(chars)                        # (B, T, C, 2)
    c = lstmx.TimeDistributed(lstmx.LSTM(3, seed=2, backend="reference", **F64))(c)       # (B, T, 3)
    h = lstmx.Bidirectional(lstmx.LSTM(3, return_sequences=True, seed=3, backend="reference", **F64))(
        lstmx.Concatenate()([w, c]))
    tags = lstmx.Dense(4, "softmax", seed=4, **F64)(h)
    model = lstmx.Model([words, chars], tags)
    model.compile("sparse_categorical_crossentropy", lstmx.SGD(1e-9), metrics=["accuracy"])
    word_ids = np.array([[3, 4, 5, 0], [6, 7, 0, 0]])
    char_ids = rng().integers(1, 8, (2, 4, 5))
    char_ids[:, :, 3:] = 0                                      # words of three characters, post-padded
    char_ids[word_ids == 0] = 0                                 # padding words have no characters
    assert model.output_shape == (None, None, 4)
    assert_graph_gradients(model, [word_ids, char_ids], rng(1).integers(0, 4, (2, 4)))
    model.compile("sparse_categorical_crossentropy", "adam", metrics=["accuracy"])
    losses = model.fit([word_ids, char_ids], rng(1).integers(0, 4, (2, 4)), epochs=30, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_an_encoder_whose_final_states_start_a_decoder():
    source, target = lstmx.Input((None, 3), **F64), lstmx.Input((None, 2), **F64)
    _, h, c = lstmx.LSTM(4, return_state=True, seed=0, backend="reference", **F64)(source)
    decoded = lstmx.LSTM(4, return_sequences=True, seed=1, backend="reference", **F64)(target, initial_state=[h, c])
    model = lstmx.Model([source, target], lstmx.Dense(2, seed=2, **F64)(decoded))
    model.compile("mse", lstmx.SGD(1e-9))
    x = [rng().standard_normal((3, 5, 3)), rng(1).standard_normal((3, 4, 2))]
    assert_graph_gradients(model, x, rng(2).standard_normal((3, 4, 2)))


def test_bidirectional_with_two_outputs_and_its_states():
    x = lstmx.Input((5, 2), **F64)
    forward, backward, hf, cf, hb, cb = lstmx.Bidirectional(
        lstmx.LSTM(3, return_sequences=True, return_state=True, seed=0, backend="reference", **F64),
        merge_mode=None)(x)
    mixed = lstmx.Concatenate()([lstmx.Subtract()([forward, backward]), lstmx.Multiply()([forward, backward])])
    summary = lstmx.Average()([hf, hb, cf, cb])
    out = lstmx.Dense(1, seed=1, **F64)(lstmx.Concatenate()([lstmx.GlobalAveragePooling1D()(mixed), summary]))
    model = lstmx.Model(x, out)
    model.compile("mse", lstmx.SGD(1e-9))
    assert_graph_gradients(model, rng().standard_normal((3, 5, 2)), rng(1).standard_normal((3, 1)))


def test_initial_state_for_both_directions_of_a_bidirectional_layer():
    x, s = lstmx.Input((4, 2), **F64), lstmx.Input((3,), **F64)
    start = lstmx.Dense(3, "tanh", seed=0, **F64)(s)
    y = lstmx.Bidirectional(lstmx.GRU(3, seed=1, backend="reference", **F64))(x, initial_state=[start, start])
    model = lstmx.Model([x, s], lstmx.Dense(1, seed=2, **F64)(y))
    model.compile("mse", lstmx.SGD(1e-9))
    assert_graph_gradients(model, [rng().standard_normal((3, 4, 2)), rng(1).standard_normal((3, 3))],
                           rng(2).standard_normal((3, 1)))


def test_dot_attention_reshape_and_softmax_in_a_graph():
    q, v = lstmx.Input((3, 4), **F64), lstmx.Input((5, 4), **F64)
    scores = lstmx.Dot(axes=2)([q, v])                                  # (B, 3, 5)
    weights = lstmx.Softmax(axis=-1)(scores)
    context = lstmx.Dot(axes=(2, 1))([weights, v])                      # (B, 3, 4)
    cosine = lstmx.Dot(axes=1, normalize=True)([lstmx.Flatten()(q), lstmx.Reshape((12,))(context)])   # (B, 1)
    rep = lstmx.RepeatVector(2)(lstmx.Dense(2, seed=0, **F64)(cosine))  # (B, 2, 2)
    out = lstmx.Dense(1, seed=1, **F64)(lstmx.Flatten()(lstmx.Activation("tanh")(rep)))
    model = lstmx.Model([q, v], out)
    model.compile("mse", lstmx.SGD(1e-9))
    assert scores.shape == (None, 3, 5) and context.shape == (None, 3, 4) and cosine.shape == (None, 1)
    assert_graph_gradients(model, [rng().standard_normal((2, 3, 4)), rng(1).standard_normal((2, 5, 4))],
                           rng(2).standard_normal((2, 1)))


def test_sequential_and_the_same_model_train_to_identical_weights():
    from lstmx.datasets import imdb
    from lstmx.text import pad_sequences
    (x, y), _ = imdb.load_sample()
    x, y = pad_sequences(x[:96], maxlen=60), y[:96]

    def layers():
        return [lstmx.Embedding(10000, 16, mask_zero=True, seed=0), lstmx.Bidirectional(lstmx.LSTM(8, seed=1)),
                lstmx.Dropout(0.5, seed=2), lstmx.Dense(1, "sigmoid", seed=3)]

    stack = lstmx.Sequential(layers())
    inp = lstmx.Input((None,), dtype="int32")
    out = inp
    for layer in layers():
        out = layer(out)
    graph = lstmx.Model(inp, out)
    for model in (stack, graph):
        model.compile("binary_crossentropy", "adam", metrics=["accuracy"])
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    for a, b in zip(stack.get_weights(), graph.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_saved_graph_reloads_to_the_same_predictions(tmp_path):
    words = lstmx.Input((None,), dtype="int32", name="words")
    chars = lstmx.Input((None, None), dtype="int32", name="chars")
    w = lstmx.Embedding(10, 3, mask_zero=True, seed=0)(words)
    c = lstmx.TimeDistributed(lstmx.GRU(3, seed=2))(lstmx.Embedding(8, 2, mask_zero=True, seed=1)(chars))
    h = lstmx.Bidirectional(lstmx.LSTM(3, return_sequences=True, seed=3))(lstmx.Concatenate()([w, c]))
    model = lstmx.Model([words, chars], lstmx.Dense(4, "softmax", seed=4)(h), name="tagger")
    model.compile("sparse_categorical_crossentropy", lstmx.Adam(0.01), metrics=["accuracy"])
    x = [rng().integers(0, 10, (3, 4)), rng(1).integers(0, 8, (3, 4, 5))]
    model.fit(x, rng(2).integers(0, 4, (3, 4)), epochs=2, verbose=0)
    model.save(tmp_path / "tagger.npz")
    loaded = lstmx.load_model(tmp_path / "tagger.npz")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers] and loaded.name == "tagger"
    assert loaded.summary(print_fn=lambda s: None) == model.summary(print_fn=lambda s: None)
    assert "Connected to" in loaded.summary(print_fn=lambda s: None)


def test_layer_names_are_numbered_as_keras_numbers_them_and_get_layer_finds_them():
    x = lstmx.Input((4, 2))
    h = lstmx.LSTM(3, return_sequences=True)(x)
    h = lstmx.LSTM(3)(h)
    model = lstmx.Model(x, lstmx.Dense(1)(h))
    assert [l.name for l in model.layers] == ["input_layer", "lstm", "lstm_1", "dense"]
    assert model.get_layer("lstm_1") is model.layers[2]
    with pytest.raises(ValueError, match="no layer named 'gru'"):
        model.get_layer("gru")
    assert lstmx.layers.base.snake_case("GlobalAveragePooling1D") == "global_average_pooling1d"
    assert lstmx.layers.base.snake_case("SimpleRNN") == "simple_rnn"


# ---- what bad graphs get ----
def test_incompatible_shapes_fail_when_the_graph_is_built_naming_the_layer_and_both_shapes():
    a, b = lstmx.Input((5, 3)), lstmx.Input((4, 2))
    with pytest.raises(ValueError, match=r"layer 'concatenate' \(Concatenate\) cannot be called on inputs of "
                                         r"shape \(None, 5, 3\) and \(None, 4, 2\)"):
        lstmx.Concatenate()([a, b])
    with pytest.raises(ValueError, match=r"'add' \(Add\).*\(None, 5, 3\) and \(None, 4, 2\)"):
        lstmx.Add()([a, b])
    with pytest.raises(ValueError, match=r"Dot.*sizes 3 and 2 differ"):
        lstmx.Dot(axes=2)([a, b])
    dense = lstmx.Dense(2)
    dense(a)
    with pytest.raises(ValueError, match=r"'dense' \(Dense\) cannot be called on inputs of shape \(None, 4, 2\).*"
                                         r"kernel"):
        dense(b)
    with pytest.raises(ValueError, match=r"initial state h must have shape \(batch, 3\), got \(None, 2\)"):
        lstmx.GRU(3)(a, initial_state=[lstmx.Input((2,))])


def test_outputs_not_connected_to_the_inputs_and_cycles_are_refused():
    a, b = lstmx.Input((3,)), lstmx.Input((3,))
    y = lstmx.Dense(1)(b)
    with pytest.raises(ValueError, match="not connected to the model's inputs"):
        lstmx.Model(a, y)
    with pytest.raises(ValueError, match=r"do not depend on its input\(s\)"):
        lstmx.Model([a, b], y)
    h = lstmx.Dense(2)(a)
    z = lstmx.Dense(2)(h)
    h.node.inputs = [z]                          # a cycle, as only a tampered file could make one
    with pytest.raises(ValueError, match="cycle"):
        lstmx.Model(a, z)
    with pytest.raises(TypeError, match="symbolic tensors"):
        lstmx.Model(a, np.zeros(3))


def test_duplicate_names_wrong_label_lists_and_unknown_output_names():
    a = lstmx.Input((3,))
    y1, y2 = lstmx.Dense(1, name="out")(a), lstmx.Dense(1, name="out")(a)
    with pytest.raises(ValueError, match="two layers of the model are named 'out'"):
        lstmx.Model(a, [y1, y2])
    model = lstmx.Model(a, [y1, lstmx.Dense(1, name="other")(a)])
    model.compile("mse", "sgd")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 1))
    with pytest.raises(ValueError, match=r"the model has 2 outputs \(out, other\), got a list of 3"):
        model.fit(x, [y, y, y], verbose=0)
    with pytest.raises(ValueError, match=r"no output is named 'third'"):
        model.fit(x, {"out": y, "third": y}, verbose=0)
    with pytest.raises(ValueError, match=r"no output is named 'oops'"):
        model.compile({"oops": "mse"}, "sgd")
    with pytest.raises(ValueError, match=r"no labels for output 'other'"):
        model.fit(x, {"out": y}, verbose=0)
    with pytest.raises(ValueError, match=r"no input is named 'b'"):
        model.predict({"b": x})
    with pytest.raises(TypeError, match=r"labels must be numbers .* got dtype object .*None"):
        model.fit(x, [y, [None] * 4], verbose=0)
    with pytest.raises(TypeError, match="a symbolic tensor .* has no values"):
        np.asarray(a)


def test_metrics_for_every_output_skip_an_output_without_a_loss():
    # a seq2seq model returns its attention weights as a second output with no loss: fit with
    # metrics=["accuracy"] scored them against labels of None (a reshape error inside)
    x = lstmx.Input((None, 3))
    h = lstmx.LSTM(4, return_sequences=True, seed=0)(x)
    context, weights = lstmx.Attention()([h, h], return_attention_scores=True)
    model = lstmx.Model(x, [lstmx.Dense(2, "softmax", seed=1)(context), weights])
    model.compile(loss=["sparse_categorical_crossentropy", None], optimizer="adam", metrics=["accuracy"])
    data = np.random.default_rng(0).standard_normal((6, 5, 3))
    history = model.fit(data, [np.zeros((6, 5), int), None], epochs=1, batch_size=3, verbose=0)
    assert "dense_accuracy" in history.history and not any(k.startswith("attention_acc") for k in history.history)
