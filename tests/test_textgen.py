"""Character language models: stateful batches, generation with the state carried (equal to
re-reading the whole context), sampling, cell activations, training on a small text, bad input."""
import numpy as np
import pytest

import lstmx
from lstmx import textgen
from lstmx.datasets import shakespeare

TEXT = "the cat sat on the mat.\nthe dog sat on the log.\n" * 12


def small_model(text=TEXT, units=8, layers=2, dtype=np.float64, stateful=False, batch_size=None):
    vocab = textgen.char_vocabulary(text)
    model = lstmx.Sequential([lstmx.Input(shape=(None,), dtype="int32", batch_size=batch_size),
                              lstmx.Embedding(len(vocab.word_index) + 1, 5, seed=0, dtype=dtype)]
                             + [lstmx.LSTM(units, return_sequences=True, seed=k + 1, dtype=dtype, stateful=stateful)
                                for k in range(layers)]
                             + [lstmx.Dense(len(vocab.word_index) + 1, "softmax", seed=9, dtype=dtype)])
    model.metadata["char_index"] = vocab.word_index
    return model, vocab


def test_stateful_batches_continue_each_row_and_shift_the_targets():
    ids = np.arange(1, 2 * 3 * 4 + 6)      # 29 ids: 2 batches of 3 rows of 4, the rest left out
    X, Y = textgen.stateful_batches(ids, batch_size=3, seq_length=4)
    assert X.shape == Y.shape == (6, 4)
    np.testing.assert_array_equal(Y, X + 1)
    for i in range(3):                      # sample i of batch 1 continues sample i of batch 0
        assert X[3 + i, 0] == X[i, -1] + 1
    np.testing.assert_array_equal(np.sort(X.ravel()), np.arange(1, 25))
    with pytest.raises(ValueError, match="too short for one batch of 3 sequences of 10 characters"):
        textgen.stateful_batches(ids, 3, 10)


def test_encode_names_the_characters_the_vocabulary_lacks():
    vocab = textgen.char_vocabulary("abc")
    np.testing.assert_array_equal(textgen.encode("cab", vocab.word_index), [3, 1, 2])
    with pytest.raises(ValueError, match=r"2 character\(s\) the vocabulary lacks: 'XZ'"):
        textgen.encode("aXbZ", vocab.word_index)


def test_stepping_with_the_state_carried_equals_rereading_the_whole_context():
    model, vocab = small_model()
    layers = model.layers
    ids = textgen.encode("the cat sat on", vocab.word_index)
    whole, _ = textgen.run_steps(layers, ids[None, :], [None, None])
    p, states = textgen.run_steps(layers, ids[None, :5], [None, None])
    for t in range(5, len(ids)):
        p, states = textgen.run_steps(layers, ids[None, t:t + 1], states)
    np.testing.assert_allclose(p, whole, rtol=1e-12, atol=1e-15)
    # so generation with the state carried equals the window wide enough to hold everything
    a = lstmx.generate(model, "the c", 30, seed=3)
    b = lstmx.generate(model, "the c", 30, seed=3, window=100)
    assert a == b and len(a) == 30 and set(a) <= set(vocab.word_index)


def test_generate_is_reproducible_and_top_k_1_is_greedy():
    model, vocab = small_model(dtype=np.float32)
    assert lstmx.generate(model, "the", 40, seed=1) == lstmx.generate(model, "the", 40, seed=1)
    assert lstmx.generate(model, "the", 0) == ""
    greedy = lstmx.generate(model, "the", 20, top_k=1, seed=1)
    assert greedy == lstmx.generate(model, "the", 20, top_k=1, seed=2)
    # greedy by hand: the most likely character at each step
    ids, out = list(textgen.encode("the", vocab.word_index)), ""
    for _ in range(20):
        p, _ = textgen.run_steps(model.layers, np.array([ids]), [None, None])
        p[0] = -1                                       # id 0 is no character
        ids.append(int(np.argmax(p)))
        out += vocab.index_word[ids[-1]]
    assert greedy == out


def test_sample_next_follows_the_temperature():
    p = np.array([0.0, 0.5, 0.3, 0.2])
    rng = np.random.default_rng(0)
    cold = [textgen.sample_next(p, 0.05, rng=rng) for _ in range(200)]
    assert set(cold) == {1}
    draws = np.bincount([textgen.sample_next(p, 1.0, rng=rng) for _ in range(20000)], minlength=4) / 20000
    np.testing.assert_allclose(draws, p, atol=0.015)
    hot = np.bincount([textgen.sample_next(p, 1e6, rng=rng) for _ in range(20000)], minlength=4) / 20000
    np.testing.assert_allclose(hot[1:], [1 / 3] * 3, atol=0.02)    # flat, but never the impossible id 0
    assert hot[0] == 0
    assert set(textgen.sample_next(p, 1.0, top_k=2, rng=rng) for _ in range(300)) == {1, 2}


@pytest.mark.parametrize("kwargs, message", [
    (dict(temperature=0), "temperature must be a finite number > 0"),
    (dict(temperature=-1.0), "temperature must be a finite number > 0"),
    (dict(temperature=float("nan")), "temperature must be a finite number > 0"),
    (dict(top_k=0), "top_k must be an int >= 1"),
    (dict(length=-1), "length must be an int >= 0"),
    (dict(prompt="the QUEEN"), r"the prompt has 4 character\(s\) the vocabulary lacks: 'ENQU'"),
    (dict(prompt=""), "prompt must be a non-empty string"),
    (dict(window=0), "window must be"),
])
def test_generate_refuses_bad_input(kwargs, message):
    model, _ = small_model(dtype=np.float32)
    args = {**dict(prompt="the", length=5), **kwargs}
    with pytest.raises(ValueError, match=message):
        lstmx.generate(model, args.pop("prompt"), args.pop("length"), **args)


def test_generate_needs_a_vocabulary_and_a_model_that_steps():
    model, vocab = small_model(dtype=np.float32)
    model.metadata.clear()
    with pytest.raises(ValueError, match="carries no character vocabulary"):
        lstmx.generate(model, "the", 3)
    assert len(lstmx.generate(model, "the", 3, vocab=vocab)) == 3
    with pytest.raises(ValueError, match="not built yet"):
        lstmx.generate(lstmx.Sequential([lstmx.Embedding(10, 3), lstmx.LSTM(4), lstmx.Dense(10, "softmax")]), "a", 3,
                       vocab={"a": 1})
    with pytest.raises(TypeError, match="needs an lstmx Sequential model, got str"):
        lstmx.generate("model.npz", "a", 3, vocab={"a": 1})
    bi = lstmx.Sequential([lstmx.Embedding(10, 3), lstmx.Bidirectional(lstmx.LSTM(4, return_sequences=True)),
                           lstmx.Dense(10, "softmax")])
    bi.build((None, 5))
    with pytest.raises(TypeError, match="Bidirectional"):
        lstmx.generate(bi, "a", 3, vocab={"a": 1})


def test_a_stateful_model_of_batch_64_generates_one_sequence_and_keeps_its_state():
    model, vocab = small_model(dtype=np.float32, stateful=True, batch_size=4)
    model.predict(np.ones((4, 6), int), batch_size=4)
    carried = [s.copy() for s in model.layers[1].states]
    text = lstmx.generate(model, "the", 10, seed=0)
    assert len(text) == 10
    np.testing.assert_array_equal(model.layers[1].states[0], carried[0])


def test_one_hot_model_as_in_keras_example_generates():
    chars = sorted(set(TEXT))
    char_index = {c: i for i, c in enumerate(chars)}          # ids from 0, as the Keras example has them
    model = lstmx.Sequential([lstmx.LSTM(8, seed=0), lstmx.Dense(len(chars), "softmax", seed=1)])
    model.build((None, 40, len(chars)))
    carried = lstmx.generate(model, "the cat", 15, seed=4, vocab=char_index)
    windowed = lstmx.generate(model, "the cat", 15, seed=4, vocab=char_index, window=40)
    assert len(carried) == len(windowed) == 15


def test_cell_activations_are_the_cell_state_after_each_character():
    model, vocab = small_model(layers=1)
    text = "the mat"
    C = textgen.cell_activations(model, text)
    assert C.shape == (len(text), 8)
    cell, emb = model.layers[1].cell, model.layers[0].embeddings
    h, c = np.zeros(8), np.zeros(8)
    for t, ch in enumerate(text):
        h, c = cell.step(emb[vocab.word_index[ch]][None], (h[None], c[None]))
        h, c = h[0], c[0]
        np.testing.assert_allclose(C[t], c, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="recurrent layers"):
        textgen.cell_activations(model, text, layer=1)


def test_cell_activations_of_the_second_lstm_read_the_first_ones_output():
    model, vocab = small_model(layers=2)
    text = "the cat sat"
    ids = textgen.encode(text, vocab.word_index)[None, :]
    emb, lstm0, lstm1 = model.layers[:3]
    Y0 = lstm0(emb(ids))                                     # (1, T, 8): what the second LSTM reads
    Y1 = lstm1(Y0)
    np.testing.assert_allclose(textgen.cell_activations(model, text, layer=1, state="h"), Y1[0], rtol=1e-10)


def test_training_on_a_small_text_learns_it_and_the_saved_model_generates(tmp_path):
    model, history = textgen.train_language_model(TEXT * 4, units=24, layers=1, embedding_dim=8, batch_size=4,
                                                  seq_length=24, epochs=12, learning_rate=0.02, seed=0)
    assert [h["epoch"] for h in history] == list(range(1, 13))
    # 8 characters after a newline of this text are fixed ("the cat " / "the dog "): far below uniform
    assert history[-1]["val_loss"] < 0.6 * history[0]["val_loss"]
    assert history[-1]["val_bits_per_char"] == pytest.approx(history[-1]["val_loss"] / np.log(2))
    model.save(tmp_path / "lm.npz")
    loaded = lstmx.load_model(tmp_path / "lm.npz")
    assert lstmx.generate(loaded, "the ", 50, seed=0) == lstmx.generate(model, "the ", 50, seed=0)
    assert "sat on the" in lstmx.generate(loaded, "the cat", 60, temperature=0.2, seed=0)


def test_shakespeare_ships_with_lstmx():
    text = shakespeare.load_text()
    assert len(text) == shakespeare.N_CHARACTERS and len(set(text)) == 65
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    train, val = shakespeare.split_text(text)
    assert len(train) == 1_003_854 and train + val == text
    with pytest.raises(ValueError, match="fraction"):
        shakespeare.split_text(text, 1.0)


def test_textgen_and_generate_commands(tmp_path, capsys):
    import json
    from lstmx.cli import main
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT * 3)
    path = tmp_path / "lm.npz"
    assert main(["textgen", "--data", str(corpus), "--epochs", "2", "--units", "12", "--layers", "1",
                 "--batch-size", "4", "--seq-length", "16", "--sample-length", "30", "--prompt", "the",
                 "--save", str(path), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [l["epoch"] for l in lines[:-1]] == [1, 2]
    final = lines[-1]
    assert final["val_loss"] == lines[-2]["val_loss"] and final["sample"].startswith("the")
    assert len(final["sample"]) == 33
    assert main(["generate", str(path), "--prompt", "the ", "--length", "25", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("the ") and len(out) == len("the ") + 25 + 1
    assert out[:-1] == "the " + lstmx.generate(lstmx.load_model(path), "the ", 25, temperature=0.8, seed=1)


@pytest.mark.parametrize("args, message", [
    (["--prompt", "WHO"], "the prompt has 3 character(s) the vocabulary lacks: 'HOW'"),
    (["--temperature", "0"], "temperature must be a finite number > 0"),
    (["--top-k", "0"], "top_k must be an int >= 1"),
    (["--length", "-2"], "length must be an int >= 0"),
])
def test_generate_command_bad_input_is_one_line_and_exit_2(tmp_path, args, message, capsys):
    from lstmx.cli import main
    model, _ = small_model(dtype=np.float32)
    model.save(tmp_path / "m.npz")
    assert main(["generate", str(tmp_path / "m.npz"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lstmx generate: error:") and message in err[0]


def test_evaluating_reads_from_zero_states_and_gives_the_training_state_back():
    model, vocab = small_model(dtype=np.float64, stateful=True, batch_size=2)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    X, Y = textgen.stateful_batches(textgen.encode(TEXT, vocab.word_index), 2, 10)
    model.train_on_batch(X[:2], Y[:2])
    kept = [s.copy() for s in model.layers[1].states]
    loss = textgen.evaluate_language_model(model, X[:4], Y[:4], 2)
    np.testing.assert_array_equal(model.layers[1].states[0], kept[0])
    model.reset_states()
    assert loss == pytest.approx(model.evaluate(X[:4], Y[:4], batch_size=2))


def test_the_generating_text_page_shows_the_real_summary():
    import os
    lines = []
    textgen.char_language_model(66, 256, 2, 64, batch_size=32).summary(print_fn=lines.append)
    page = open(os.path.join(os.path.dirname(__file__), "..", "docs", "textgen.rst")).read()
    for line in "\n".join(lines).splitlines()[:8]:
        assert "   " + line in page.splitlines(), line
