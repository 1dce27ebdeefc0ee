"""Writes ``keras_interop.npz``: Keras's weights and predictions for ``test_interop_keras.py``.

Run with a Python that has Keras 3 (not an lstmx dependency), from this folder::

    /root/keras/bin/python make_keras_interop.py

Three small models in float64, each starting with Embedding(mask_zero=True) and fed pre-padded token
ids (Keras's default padding) with sequences of several lengths, one of them all padding:

- ``gru``: Bidirectional(GRU, return_sequences=True) -> GRU -> Dense(3, softmax);
- ``lstm``: LSTM(return_sequences=True) -> Bidirectional(LSTM, merge_mode="sum") -> Dense(1, sigmoid);
- ``rnn``: SimpleRNN(return_sequences=True) -> Dense(2, softmax) at every step.

Every weight is drawn from N(0, 0.5^2) (Keras starts biases at zero, which would hide a bias put in
the wrong place). For each model the file holds the weights in ``get_weights()`` order
(``<model>/w_<k>``) with their names, the ids (``<model>/x``) and Keras's predictions
(``<model>/y``), and the versions that made them.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras
import numpy as np

V, D, H, T, B = 40, 5, 4, 7, 5
keras.config.set_floatx("float64")
L = keras.layers


def ids(rng):
    lengths = np.array([T, 3, 1, 0, 5])
    x = rng.integers(1, V, (B, T)).astype(np.int32)
    for b, n in enumerate(lengths):
        x[b, :T - n] = 0
    return x


MODELS = {
    "gru": lambda: [L.Bidirectional(L.GRU(H, return_sequences=True)), L.GRU(H + 1), L.Dense(3, "softmax")],
    "lstm": lambda: [L.LSTM(H, return_sequences=True), L.Bidirectional(L.LSTM(H), merge_mode="sum"),
                     L.Dense(1, "sigmoid")],
    "rnn": lambda: [L.SimpleRNN(H, return_sequences=True), L.Dense(2, "softmax")],
}

out = {"keras_version": keras.__version__, "backend": keras.backend.backend()}
for k, (name, layers) in enumerate(MODELS.items()):
    rng = np.random.default_rng(k)
    model = keras.Sequential([keras.Input((T,), dtype="int32"), L.Embedding(V, D, mask_zero=True), *layers()])
    model.set_weights([rng.standard_normal(w.shape) * 0.5 for w in model.get_weights()])
    x = ids(rng)
    out[f"{name}/x"] = x
    out[f"{name}/y"] = model.predict(x, verbose=0)
    out[f"{name}/names"] = np.array([w.path for w in model.weights])
    for j, w in enumerate(model.get_weights()):
        out[f"{name}/w_{j}"] = w
np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_interop.npz"), **out)
print({k: v.shape for k, v in out.items() if hasattr(v, "shape")})
