"""Sequential: summary, training, saving, and what bad input gets."""
import re
import numpy as np
import pytest

import lstmx
from lstmx.experiments import build_model
from lstmx.gradcheck import numeric_gradient, relative_error

from helpers import toy_data


def test_summary_counts_match_keras():
    model = build_model("bilstm")
    model.build((None, 200))
    text = model.summary(print_fn=lambda s: None)
    assert model.layers[1].count_params() == 98_816
    assert model.count_params() == 1_280_000 + 98_816 + 129 and "1,378,945" in text
    assert "(None, 200, 128)" in text and "Bidirectional(LSTM)" in text
    tf = build_model("bilstm-dense")
    tf.build((None, 200))
    assert tf.count_params() == 1_280_000 + 98_816 + 128 * 64 + 64 + 65
    bag = build_model("bag")
    bag.build((None, 200))
    assert bag.count_params() == 1_280_129 and re.search(r"global_average_pooling1d \(GlobalAveragePooling1D\) +\(None, 128\)", bag.summary(lambda s: None))


def test_input_first_builds_the_model_as_keras_does():
    """The Keras seed line for line: Input((200,), dtype="int32") first; summary before any fit."""
    model = lstmx.Sequential([lstmx.Input((200,), dtype="int32"), lstmx.Embedding(10000, 128),
                              lstmx.Bidirectional(lstmx.LSTM(64)), lstmx.Dropout(0.5),
                              lstmx.Dense(1, activation="sigmoid")])
    assert model.input_shape == (None, 200) and model.count_params() == 1_378_945
    assert "(None, 200, 128)" in model.summary(print_fn=lambda s: None)
    grown = lstmx.Sequential()
    grown.add(lstmx.Input((None, 3)))   # any number of steps of 3 features
    grown.add(lstmx.LSTM(4, return_sequences=True))
    grown.add(lstmx.Dense(2))
    assert grown.input_shape == (None, None, 3) and grown.count_params() == 4 * 4 * (3 + 4 + 1) + 4 * 2 + 2
    assert grown.predict(np.zeros((2, 7, 3), np.float32)).shape == (2, 7, 2)
    with pytest.raises(ValueError, match="an Input must be the first element"):
        lstmx.Sequential([lstmx.Dense(2), lstmx.Input((3,))])
    with pytest.raises(ValueError, match="an Input must be the first element"):
        lstmx.Sequential([lstmx.Input((3,)), lstmx.Input((3,))])
    with pytest.raises(ValueError, match=r"Input\(dtype=float32\) does not suit the first layer, Embedding: "
                                         "it reads integer token ids"):
        lstmx.Sequential([lstmx.Input((5,), dtype="float32"), lstmx.Embedding(10, 2)])
    with pytest.raises(ValueError, match=r"Input shape must hold positive ints or None, got \(0,\)"):
        lstmx.Input((0,))


def test_keras_training_loop_pieces():
    """train_on_batch / test_on_batch return Keras's loss or [loss, accuracy]; predict_on_batch;
    model.history and history.params after fit; a layer's get_weights / set_weights."""
    x, y = toy_data(n=40)
    model = build_model("bilstm", num_words=50)
    loss, accuracy = model.train_on_batch(x[:8], y[:8])
    assert loss > 0 and 0 <= accuracy <= 1
    assert set(model.train_on_batch(x[:8], y[:8], return_dict=True)) == {"loss", "accuracy"}
    assert model.test_on_batch(x[:8], y[:8]) == pytest.approx(model.evaluate(x[:8], y[:8]))
    np.testing.assert_array_equal(model.predict_on_batch(x[:5]), model.predict(x[:5]))
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert model.history is history and history.params == {"verbose": 0, "epochs": 2, "steps": 3}

    embedding = model.layers[0]
    (vectors,) = embedding.get_weights()
    assert vectors.shape == (50, 128) and vectors is not embedding.embeddings
    embedding.set_weights([np.zeros_like(vectors)])
    assert not embedding.embeddings.any()
    cell = model.layers[1].forward_layer.cell
    W_f = cell.W_f
    model.layers[1].set_weights([np.ones_like(w) for w in model.layers[1].get_weights()])
    assert (W_f == 1).all()   # in place: the gate views still look at the parameters
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Bidirectional.set_weights: parameter forward_W has shape \(256, 128\), "
                                         r"got an array of shape \(128, 256\)"):
        model.layers[1].set_weights([w.T if w.ndim == 2 else w for w in model.layers[1].get_weights()])
    with pytest.raises(ValueError, match=r"Embedding.set_weights expected 1 arrays \(embeddings\), got 2"):
        embedding.set_weights([vectors, vectors])
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)   # nothing copied by a refused call


def test_model_gradient_end_to_end():
    """d loss / d (a few weights) of Embedding -> BiLSTM(masked) -> Dense(sigmoid) -> BCE, numerically."""
    x, y = toy_data(n=4, T=5, vocab=9)
    model = lstmx.Sequential([lstmx.Embedding(9, 3, mask_zero=True, seed=0, dtype=np.float64),
                              lstmx.Bidirectional(lstmx.LSTM(2, dtype=np.float64, seed=1, backend="reference")),
                              lstmx.Dense(1, "sigmoid", seed=2, dtype=np.float64)])
    model.compile("binary_crossentropy", lstmx.SGD(1e-9))
    assert_model_gradient(model, x, y)


def test_per_step_softmax_gradient_end_to_end():
    """The same for LSTM(return_sequences) -> Dense(softmax) per time step -> sparse categorical."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 2))
    y = rng.integers(0, 3, (3, 4))
    model = lstmx.Sequential([lstmx.LSTM(2, return_sequences=True, dtype=np.float64, seed=1, backend="reference"),
                              lstmx.Dense(3, "softmax", seed=2, dtype=np.float64)])
    model.compile("sparse_categorical_crossentropy", lstmx.SGD(1e-9))
    assert_model_gradient(model, x, y)


def assert_model_gradient(model, x, y):
    """The training step's gradients equal the numerical gradient of the loss ``evaluate`` reports."""
    loss = lambda: model.evaluate(x, y, batch_size=len(x), return_dict=True)["loss"]
    _, grads = model.compute_gradients(x, y)
    for key, param in model.params.items():
        g = grads[key].to_dense() if hasattr(grads[key], "to_dense") else grads[key]
        assert relative_error(g, numeric_gradient(loss, param)) < 1e-6, key


def saturated_model(activation, units, loss, bias, metrics=None):
    """Dense(units, activation) on 2 float features, kernel zero, so every prediction is ``activation(bias)``."""
    model = lstmx.Sequential([lstmx.Dense(units, activation)])
    model.compile(loss, lstmx.SGD(0.1), metrics)
    model.build((None, 2))
    model.layers[0].kernel[...] = 0
    model.layers[0].bias[...] = bias
    return model


def test_cross_entropy_after_sigmoid_or_softmax_uses_the_logits_as_keras_does():
    """A confidently wrong prediction: p = sigmoid(30) rounds to 1 in float32, the label is 0.

    From the logits (Keras on TensorFlow) the loss is 30 and d loss / d bias = p - y = 1. From
    probabilities clipped to [1e-7, 1 - 1e-7] it would be about -log(1e-7) = 16 with no gradient, and the
    model could never correct the mistake.
    """
    x, y = np.ones((4, 2), np.float32), np.zeros(4, np.int64)
    model = saturated_model("sigmoid", 1, "binary_crossentropy", 30.0)
    assert model.evaluate(x, y) == pytest.approx(30.0)
    model.train_on_batch(x, y)
    assert model.layers[0].bias[0] == pytest.approx(30.0 - 0.1 * 1.0)

    # softmax: logits (40, 0, 0), label 1: loss 40, d loss / d bias = p - onehot = (1, -1, 0)
    model = saturated_model("softmax", 3, "sparse_categorical_crossentropy", [40.0, 0.0, 0.0])
    assert model.evaluate(x, np.ones(4, np.int64)) == pytest.approx(40.0)
    model.train_on_batch(x, np.ones(4, np.int64))
    np.testing.assert_allclose(model.layers[0].bias, [40.0 - 0.1, 0.1, 0.0], rtol=1e-6, atol=1e-12)
    model = saturated_model("softmax", 3, "categorical_crossentropy", [40.0, 0.0, 0.0])
    assert model.evaluate(x, np.tile([0.0, 1.0, 0.0], (4, 1))) == pytest.approx(40.0)

    # any other loss sees the probabilities, as a loss of the user's own must
    own = lambda y_true, y_pred: lstmx.losses.binary_crossentropy(y_true, y_pred)
    model = saturated_model("sigmoid", 1, own, 30.0)
    assert model.evaluate(x, y) < 16.2  # -log(1 - clipped p), about -log(1e-7)
    model.train_on_batch(x, y)
    assert model.layers[0].bias[0] == 30.0


def masked_tagger(seed=0):
    """Embedding(mask_zero) -> LSTM(return_sequences) -> Dense(softmax) per step, float64, and pre-padded
    ids (the first steps of most rows masked) with a class label at every step."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 9, (5, 6))
    for row, pad in enumerate([0, 2, 3, 5, 1]):
        x[row, :pad] = 0
    y = rng.integers(0, 3, (5, 6))
    model = lstmx.Sequential([lstmx.Embedding(9, 4, mask_zero=True, seed=0, dtype=np.float64),
                              lstmx.LSTM(5, return_sequences=True, seed=1, dtype=np.float64),
                              lstmx.Dense(3, "softmax", seed=2, dtype=np.float64)])
    model.compile("sparse_categorical_crossentropy", lstmx.SGD(1e-9), metrics=["accuracy"])
    return model, x, y


def test_per_step_loss_and_accuracy_leave_masked_steps_out_as_keras_does():
    """Keras averages a per-step loss (and counts the accuracy) over the steps the mask keeps."""
    model, x, y = masked_tagger()
    kept = x != 0
    p = model.predict(x)
    loss, accuracy = model.evaluate(x, y)
    true_class_p = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
    assert loss == pytest.approx(-np.log(true_class_p[kept]).mean(), rel=1e-12)
    assert accuracy == pytest.approx((p.argmax(-1) == y)[kept].mean())
    y_other = np.where(kept, y, (y + 1) % 3)          # other labels on the masked steps only
    assert model.evaluate(x, y_other) == [loss, accuracy]
    assert_model_gradient(model, x, y)
    dense_grads = model.compute_gradients(x, y)[1]["dense/kernel"]
    assert model.layers[2].name == "dense"
    model.compute_gradients(x, y_other)
    np.testing.assert_array_equal(model.layers[2].grads["kernel"], dense_grads)
    with pytest.raises(ValueError, match=r"labels of shape \(5,\) do not match per-step predictions"):
        model.evaluate(x, y[:, 0])


def test_accuracy_is_chosen_by_the_shapes_as_keras_chooses():
    """One-hot labels: categorical accuracy (the arg max), not each class thresholded at 0.5."""
    model = saturated_model("softmax", 3, "categorical_crossentropy", [5.0, 0.0, 0.0], ["accuracy"])  # class 0
    x = np.ones((4, 2), np.float32)
    one_hot = np.tile([0.0, 1.0, 0.0], (4, 1))
    assert model.evaluate(x, one_hot)[1] == 0.0       # (thresholding each class would give 1/3)
    assert model.evaluate(x, np.tile([1.0, 0.0, 0.0], (4, 1)))[1] == 1.0
    model.compile("sparse_categorical_crossentropy", lstmx.SGD(0.1), metrics=["accuracy"])
    assert model.evaluate(x, np.array([0, 0, 1, 2]))[1] == 0.5
    assert model.evaluate(x, np.array([[0], [0], [1], [2]]))[1] == 0.5


def test_fit_learns_and_is_reproducible():
    x, y = toy_data()
    histories = []
    for _ in range(2):
        model = lstmx.Sequential([lstmx.Embedding(50, 8, mask_zero=True, seed=0), lstmx.LSTM(8, seed=1),
                                  lstmx.Dense(1, "sigmoid", seed=2)])
        model.compile("binary_crossentropy", lstmx.Adam(1e-2), metrics=["accuracy"])
        histories.append(model.fit(x, y, batch_size=32, epochs=8, verbose=0, validation_split=0.25))
    h = histories[0].history
    assert h["loss"][-1] < 0.5 * h["loss"][0] and h["accuracy"][-1] > 0.9 and h["val_accuracy"][-1] > 0.85
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert h == histories[1].history
    assert model.predict(x[:5]).shape == (5, 1)


def test_save_and_load_round_trip(tmp_path):
    x, y = toy_data(n=64)
    model = build_model("stacked-bilstm", num_words=50)
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = lstmx.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y) == model.evaluate(x, y)


def test_load_model_rejects_bad_files_and_save_is_atomic(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="is not an lstmx model file") as info:
        lstmx.load_model(tmp_path / "notes.txt")
    assert "pickle" not in str(info.value)       # numpy's advice to load it unsafely is not passed on
    with pytest.raises(FileNotFoundError, match="no model file at .*absent.npz"):
        lstmx.load_model(tmp_path / "absent.npz")
    model = build_model("bilstm", num_words=20)
    model.build((None, 6))
    path = tmp_path / "m.npz"
    model.save(path)
    good = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="is not an lstmx model file"):
        lstmx.load_model(tmp_path / "cut.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="no lstmx config"):
        lstmx.load_model(tmp_path / "plain.npz")

    with pytest.raises(FileNotFoundError, match=r"cannot save the model to .*: the directory .*absent does not exist"):
        model.save(tmp_path / "absent" / "m.npz")

    def fail(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == good and [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_bad_use_and_bad_data():
    x, y = toy_data(n=8)
    model = build_model("bilstm", num_words=50)
    fresh = lstmx.Sequential([lstmx.Dense(1)])
    with pytest.raises(RuntimeError, match="must be compiled"):
        fresh.fit(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="no training data"):
        model.fit(x[:0], y[:0])
    with pytest.raises(ValueError, match="x has 8 samples but y has 7"):
        model.fit(x, y[:7])
    with pytest.raises(ValueError, match=r"token id 50 is out of range"):
        model.fit(np.full((2, 3), 50), np.zeros(2))
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        model.fit(x, np.full(8, 3), verbose=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="sequences of different lengths need lstmx.text.pad_sequences first"):
        model.fit([[1, 2, 3], [4]], [0, 1], verbose=0)
    dense = lstmx.Sequential([lstmx.Dense(1)])
    dense.compile("mse", "sgd")
    with pytest.raises(ValueError, match="model input must be a rectangular array"):
        dense.fit([[1.0, 2.0], [3.0]], [0.0, 1.0], verbose=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        model.predict(x, batch_size=0)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0, got -1"):
        model.fit(x, y, epochs=-1, verbose=0)
    assert model.fit(x, y, epochs=0, callbacks=[lambda epoch, logs: None]).epoch == []   # nothing to do
    for split in (-0.5, 1.0, 1.5):
        with pytest.raises(ValueError, match=rf"validation_split must be in \[0, 1\), got {split}"):
            model.fit(x, y, validation_split=split, verbose=0)
    with pytest.raises(ValueError, match="validation_split=0.99 of 8 samples leaves 0 for training and 8 for validation"):
        model.fit(x, y, validation_split=0.99, verbose=0)


def test_predict_evaluate_and_fit_build_a_sequential_model_so_summary_works():
    X = np.random.default_rng(0).standard_normal((3, 5, 2)).astype(np.float32)
    lines = []
    unbuilt = lstmx.Sequential([lstmx.LSTM(4), lstmx.Dense(1)])
    with pytest.raises(ValueError, match="not built yet: it is built by its first fit, evaluate or predict"):
        unbuilt.summary()
    for run in ("predict", "predict_on_batch", "evaluate", "fit"):
        model = lstmx.Sequential([lstmx.LSTM(4), lstmx.Dense(1)])
        model.compile("mse", "sgd")
        getattr(model, run)(X, np.zeros((3, 1))) if run in ("evaluate", "fit") else getattr(model, run)(X)
        model.summary(print_fn=lines.append)
        assert "Total params: 117" in lines[-1], run


def test_nan_loss_names_epoch_and_batch():
    x = np.random.default_rng(0).standard_normal((64, 3))
    y = np.random.default_rng(1).standard_normal(64)
    model = lstmx.Sequential([lstmx.Dense(1)])
    model.compile("mse", lstmx.SGD(1e6))
    with pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+/2.*clipnorm"):
        model.fit(x, y, epochs=50, verbose=0)


def test_verbose_draws_a_bar_or_one_line_per_epoch(capsys, monkeypatch):
    import sys
    x, y = toy_data(n=64)
    model = build_model("bilstm", num_words=50)
    for verbose in (2, 1):         # verbose=1 into a file or a pipe (not a terminal): as verbose=2
        model.fit(x, y, batch_size=4, epochs=2, verbose=verbose)
        lines = capsys.readouterr().out.split("\n")
        assert len(lines) == 5 and lines[0] == "Epoch 1/2" and lines[1].startswith("16/16 [") and "loss: " in lines[1]
        assert "\r" not in "".join(lines)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)           # in a terminal, the bar is redrawn
    model.fit(x, y, batch_size=4, epochs=2, verbose=1)
    bar = capsys.readouterr().out
    assert bar.count("Epoch ") == 2 and bar.count("\r") == 2 * 3      # batches 1, 11 and 16 of 16 each epoch
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto', got 3"):
        model.fit(x, y, verbose=3)


def test_predict_and_evaluate_take_keras_verbose(capsys):
    x, y = toy_data(n=40)
    model = build_model("bilstm", num_words=50)
    quiet = model.predict(x, batch_size=16, verbose=0)
    assert capsys.readouterr().out == ""
    loud = model.predict(x, batch_size=16, verbose=1)
    line = capsys.readouterr().out
    assert line.startswith("3/3 - ") and line.endswith("ms/step\n") and line.count("\n") == 1
    np.testing.assert_array_equal(quiet, loud)
    model.evaluate(x, y, verbose="auto")
    assert capsys.readouterr().out.startswith("loss: ")
    for call in (lambda: model.predict(x, verbose=3), lambda: model.evaluate(x, y, verbose="yes")):
        with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto'"):
            call()


def test_empty_inputs_and_bad_validation_data_are_refused_before_training():
    x, y = toy_data(n=16)
    model = build_model("bilstm", num_words=50)
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 12\)\)"):
        model.predict(x[:0])
    with pytest.raises(ValueError, match="x is empty"):
        model.evaluate(x[:0], y[:0])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"validation_data must be a pair \(x_val, y_val\), got a tuple of 1"):
        model.fit(x, y, validation_data=(x,), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="x_val has 16 samples and y_val 3"):
        model.fit(x, y, validation_data=(x, y[:3]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation_data: token id 149 is out of range"):
        model.fit(x, y, validation_data=(x + 100, y), epochs=1, verbose=0)
    for w, w0 in zip(model.get_weights(), before):   # refused before the first batch: nothing trained
        np.testing.assert_array_equal(w, w0)
    empty = lstmx.Sequential([])
    empty.compile(loss="mse", optimizer="adam")
    with pytest.raises(ValueError, match="the model has no layers"):
        empty.fit(np.ones((4, 2)), np.ones((4, 2)), verbose=0)


def test_numpy_blas_runs_on_one_thread_while_a_model_runs():
    """Held for the whole of fit / evaluate / predict (nested calls included) and restored after,
    also when fit fails: see lstmx._blas_threads for why."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from lstmx._blas_threads import _numpy_blas

    def numpy_blas_threads():
        paths = {lib.filepath for lib in _numpy_blas()}
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["filepath"] in paths]

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = numpy_blas_threads()
        assert before and all(n == 2 for n in before)
        x, y = toy_data(n=16)
        model = build_model("bilstm", num_words=50)
        seen = []

        def during(epoch, logs):
            seen.append(numpy_blas_threads())
            model.predict(x[:4])                  # nested: still held when it returns
            seen.append(numpy_blas_threads())

        model.fit(x, y, epochs=1, verbose=0, callbacks=[during])
        assert seen == [[1] * len(before)] * 2 and numpy_blas_threads() == before
        with pytest.raises(ValueError, match="labels must be 0 or 1"):
            model.fit(x, y + 5, epochs=1, verbose=0)
        assert numpy_blas_threads() == before
