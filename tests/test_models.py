"""Sequential: summary, training, saving, and what bad input gets."""
import numpy as np
import pytest

import lstmx
from lstmx.experiments import build_model
from lstmx.gradcheck import numeric_gradient, relative_error


def toy_data(n=256, T=12, vocab=50, seed=0):
    """Label 1 when token 7 occurs in the (post-padded) sequence."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (n, T))
    x[rng.random((n, T)) < 0.3] = 0
    y = (x == 7).any(axis=1).astype(np.int64)
    return x, y


def test_summary_counts_match_keras():
    model = build_model("seed")
    model.build((None, 200))
    text = model.summary(print_fn=lambda s: None)
    assert model.layers[1].count_params() == 98_816
    assert model.count_params() == 1_280_000 + 98_816 + 129 and "1,378,945" in text
    assert "(None, 200, 128)" in text and "Bidirectional(LSTM)" in text
    tf = build_model("tf")
    tf.build((None, 200))
    assert tf.count_params() == 1_280_000 + 98_816 + 128 * 64 + 64 + 65


def test_model_gradient_end_to_end():
    """d loss / d (a few weights) of Embedding -> BiLSTM(masked) -> Dense(sigmoid) -> BCE, numerically."""
    x, y = toy_data(n=4, T=5, vocab=9)
    model = lstmx.Sequential([lstmx.Embedding(9, 3, mask_zero=True, seed=0, dtype=np.float64),
                              lstmx.Bidirectional(lstmx.LSTM(2, dtype=np.float64, seed=1, backend="reference")),
                              lstmx.Dense(1, "sigmoid", seed=2, dtype=np.float64)])
    model.compile("binary_crossentropy", lstmx.SGD(1e-9))
    loss = lambda: model.loss(y, model._forward(x))[0]
    p = model._forward(x)
    model._backward(model.loss(y, p)[1])
    grads = model._grads()
    for key, param in model.params.items():
        g = grads[key].to_dense() if hasattr(grads[key], "to_dense") else grads[key]
        assert relative_error(g, numeric_gradient(loss, param)) < 1e-6, key


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
    model = build_model("stacked", num_words=50)
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = lstmx.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y) == model.evaluate(x, y)


def test_load_model_rejects_bad_files_and_save_is_atomic(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="is not an lstmx model file"):
        lstmx.load_model(tmp_path / "notes.txt")
    model = build_model("seed", num_words=20)
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

    def fail(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == good and [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_bad_use_and_bad_data():
    x, y = toy_data(n=8)
    model = build_model("seed", num_words=50)
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


def test_nan_loss_names_epoch_and_batch():
    x = np.random.default_rng(0).standard_normal((64, 3))
    y = np.random.default_rng(1).standard_normal(64)
    model = lstmx.Sequential([lstmx.Dense(1)])
    model.compile("mse", lstmx.SGD(1e6))
    with pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+/2.*clipnorm"):
        model.fit(x, y, epochs=50, verbose=0)
