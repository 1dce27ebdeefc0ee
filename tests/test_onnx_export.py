"""lstmx.onnx.export: ONNX Runtime runs the exported file to ``model.predict``'s numbers, masks included."""
import numpy as np
import pytest
from helpers import masked_sequential, padded_ids

import lstmx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from lstmx.onnx import export  # noqa: E402

CELLS = {"lstm": lstmx.LSTM, "gru": lstmx.GRU, "rnn": lstmx.SimpleRNN}


def run(proto_path, x):
    session = ort.InferenceSession(str(proto_path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("merge, sequences, pooling, padding", [("concat", False, False, "pre"),
                                                                ("sum", True, False, "post"),
                                                                ("ave", False, True, "pre"),
                                                                ("mul", True, False, "pre")])
def test_onnx_runtime_predicts_what_lstmx_predicts(cell, merge, sequences, pooling, padding, tmp_path):
    model = masked_sequential(CELLS[cell], merge, sequences, pooling)
    x = padded_ids(np.random.default_rng(1), padding=padding)
    expected = model.predict(x, verbose=0)
    export(model, tmp_path / "model.onnx")
    np.testing.assert_allclose(run(tmp_path / "model.onnx", x), expected, rtol=0, atol=1e-5)


def test_unmasked_float_input_and_a_float64_model(tmp_path):
    model = lstmx.Sequential([lstmx.Input((None, 4), dtype="float64"),
                              lstmx.Bidirectional(lstmx.GRU(5, seed=0, dtype=np.float64)),
                              lstmx.Dense(2, "sigmoid", seed=1, dtype=np.float64)])
    x = np.random.default_rng(0).standard_normal((3, 6, 4))
    proto = export(model, tmp_path / "m64.onnx")              # valid ONNX, in double
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    export(model, tmp_path / "m.onnx", dtype="float32")       # what ONNX Runtime's GRU runs
    np.testing.assert_allclose(run(tmp_path / "m.onnx", x.astype(np.float32)), model.predict(x, verbose=0),
                               rtol=0, atol=1e-5)


def test_the_imdb_bilstm_exports(tmp_path):
    from lstmx.experiments import build_model
    model = build_model(seed=0)
    x = padded_ids(np.random.default_rng(2), T=40)
    expected = model.predict(x, verbose=0)
    proto = export(model, tmp_path / "imdb.onnx")
    assert any(node.op_type == "LSTM" for node in proto.graph.node)
    np.testing.assert_allclose(run(tmp_path / "imdb.onnx", x), expected, rtol=0, atol=1e-5)


def test_what_cannot_be_exported_is_named(tmp_path):
    model = masked_sequential(lstmx.LSTM)
    model.predict(padded_ids(np.random.default_rng(0)), verbose=0)
    with pytest.raises(ValueError, match="opset >= 13"):
        export(model, tmp_path / "m.onnx", opset=11)
    source = lstmx.Input((None, 3))
    both = lstmx.Bidirectional(lstmx.LSTM(2, return_sequences=True), merge_mode=None)(source)
    with pytest.raises(ValueError, match="merge_mode=None or initial states for both directions"):
        export(lstmx.Model(source, both), tmp_path / "d.onnx")
    flat = lstmx.Sequential([lstmx.Input((3, 4)), lstmx.Flatten(), lstmx.Dense(1)])
    with pytest.raises(TypeError, match=r"flatten \(Flatten\) cannot be exported"):
        export(flat, tmp_path / "f.onnx")
    with pytest.raises(ValueError, match="not built yet"):
        export(lstmx.Sequential([lstmx.LSTM(2)]), tmp_path / "u.onnx")


def test_a_mask_with_a_gap_gives_nan_not_a_wrong_number(tmp_path):
    model = masked_sequential(lstmx.LSTM)
    x = np.array([[0, 0, 5, 6, 0, 7, 8, 9], [0, 0, 0, 5, 6, 7, 8, 9]])
    export(model, tmp_path / "m.onnx")
    out = run(tmp_path / "m.onnx", x)
    assert np.isnan(out[0]).all()
    np.testing.assert_allclose(out[1], model.predict(x, verbose=0)[1], rtol=0, atol=1e-5)
    unmasked = lstmx.Sequential([lstmx.Input((None, 3)), lstmx.LSTM(2, seed=0), lstmx.Dense(1)])
    proto = export(unmasked, tmp_path / "u.onnx")
    used = {i for node in proto.graph.node for i in node.input}
    assert all(init.name in used for init in proto.graph.initializer)     # no unused initializer


def test_graph_models_with_merges_and_attention_export(tmp_path):
    """Two inputs, an embedding shared by both, masks through merges, Attention (causal, scores as a
    second output), AdditiveAttention and AttentionPooling: ONNX Runtime gives lstmx's outputs."""
    a, b = lstmx.Input((None,), dtype="int32", name="first"), lstmx.Input((None,), dtype="int32", name="second")
    embed = lstmx.Embedding(50, 6, mask_zero=True, seed=0)
    ha = lstmx.Bidirectional(lstmx.GRU(4, return_sequences=True, seed=1))(embed(a))
    hb = lstmx.LSTM(8, return_sequences=True, seed=2)(embed(b))
    context, scores = lstmx.Attention(use_scale=True)([hb, ha], return_attention_scores=True, use_causal_mask=True)
    additive = lstmx.AdditiveAttention(seed=3)([hb, ha])
    summed = lstmx.Add()([context, additive])
    pooled = lstmx.AttentionPooling(5, seed=4)(lstmx.Concatenate()([summed, hb]))
    out = lstmx.Dense(2, "softmax", seed=5)(pooled)
    model = lstmx.Model([a, b], [out, scores])
    for layer in model.layers:
        for p in layer.params.values():
            if p.ndim <= 1:
                p[...] = np.random.default_rng(p.size + 1).uniform(0.5, 1.5, p.shape)
    rng = np.random.default_rng(3)
    x = [padded_ids(rng, T=7), padded_ids(rng, T=7, padding="post")]
    expected = model.predict(x, verbose=0)
    export(model, tmp_path / "g.onnx")
    session = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(["output_0", "output_1"], {"first": x[0], "second": x[1]})
    for ours, theirs in zip(expected, got):
        np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)


def test_the_imdb_bilstm_with_attention_pooling_exports(tmp_path):
    from lstmx.experiments import build_model
    model = build_model("bilstm-attention", seed=0)
    x = padded_ids(np.random.default_rng(4), T=30)
    expected = model.predict(x, verbose=0)
    export(model, tmp_path / "a.onnx")
    np.testing.assert_allclose(run(tmp_path / "a.onnx", x), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_an_encoder_decoder_with_states_handed_over_exports(cell, tmp_path):
    """The dates model: a BiLSTM encoder's final states (return_state) start the decoder (initial_state),
    which attends over the encoder; and a GRU pair with a masked empty source (its state stays h0)."""
    from lstmx import seq2seq
    rng = np.random.default_rng(5)
    if cell == "lstm":
        model = seq2seq.build_model(source_vocab=20, target_vocab=9, embed=4, units=3)
        x = [padded_ids(rng, T=8, vocab=20), padded_ids(rng, T=5, padding="post", vocab=9)]
    else:
        src, tgt = lstmx.Input((None,), dtype="int32"), lstmx.Input((None,), dtype="int32")
        enc, h = lstmx.GRU(4, return_sequences=True, return_state=True, seed=1)(lstmx.Embedding(20, 3, mask_zero=True)(src))
        dec = lstmx.GRU(4, return_sequences=True, seed=2)(lstmx.Embedding(9, 3, mask_zero=True)(tgt), initial_state=[h])
        model = lstmx.Model([src, tgt], [lstmx.Dense(9, "softmax")(dec), h])
        x = [padded_ids(rng, T=8, vocab=20), padded_ids(rng, T=5, vocab=9)]
    for layer in model.layers:
        for p in layer.params.values():
            if p.ndim == 1:
                p[...] = np.random.default_rng(p.size).standard_normal(p.shape) * 0.5
    expected = model.predict(x, verbose=0)
    export(model, tmp_path / "s.onnx")
    session = ort.InferenceSession(str(tmp_path / "s.onnx"), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    got = session.run(None, dict(zip(names, x)))
    for ours, theirs in zip(expected, got):
        np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)
