"""Writes ``keras_steps.npz``: Keras's own numbers for ``test_keras_steps.py``.

Run with a Python that has Keras (not an lstmx dependency), from this folder::

    /tmp/keras/bin/python make_keras_steps.py

Small versions of the seeds' IMDB models, each starting with Embedding(mask_zero=True), in float64,
trained by Keras for a few Adam steps (hyperparameters float32 holds exactly, as Keras keeps them in
float32) on pre-padded batches of several lengths:

- ``seed``: Bidirectional(LSTM) -> Dense(1, sigmoid);
- ``tf``: Bidirectional(LSTM) -> Dense(relu) -> Dense(1, sigmoid);
- ``stacked``: Bidirectional(LSTM, return_sequences=True) -> Bidirectional(LSTM) -> Dense(1, sigmoid);
- ``tagger``: SimpleRNN(return_sequences=True) -> Dense(3, softmax) at every step, sparse labels.

(Dropout is left out: its random masks cannot be shared.) For each model the file holds Keras's
starting weights (``<model>/start_<k>``), the batches, the loss of each step and the weights after
the last step (``<model>/end_<k>``), the weights' names, and the versions that made them.

No word appears twice in a batch. Keras 3 on TensorFlow feeds Adam's second moment of an embedding
row the sum of the squared gradients of the row's occurrences in the batch (TensorFlow's gradient of
a lookup lists each occurrence, and ``ops.square`` squares them one by one before they are summed);
Adam as written, PyTorch, and Keras on its other backends use the square of their sum, and so does
lstmx. With each word once in a batch the two are the same numbers.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras
import numpy as np

V, D, H, T, B, STEPS, CLASSES = 60, 5, 4, 8, 6, 4, 3
ADAM = dict(learning_rate=2.0 ** -4, beta_1=0.875, beta_2=1 - 2.0 ** -10, epsilon=1e-7)
keras.config.set_floatx("float64")
L = keras.layers


def batch(rng, per_step):
    """Pre-padded reviews of several lengths (at least one word each); no word twice in a batch."""
    lengths = rng.integers(1, T + 1, size=B)
    words = rng.permutation(np.arange(1, V))
    x = np.zeros((B, T), np.int32)
    for r, n in enumerate(lengths):
        x[r, T - n:], words = words[:n], words[n:]   # 'pre' padding, as pad_sequences writes
    if per_step:
        return x, rng.integers(0, CLASSES, size=(B, T))
    return x, rng.integers(0, 2, size=B).astype(np.float64)


MODELS = {
    "seed": lambda: [L.Bidirectional(L.LSTM(H)), L.Dense(1, activation="sigmoid")],
    "tf": lambda: [L.Bidirectional(L.LSTM(H)), L.Dense(6, activation="relu"), L.Dense(1, activation="sigmoid")],
    "stacked": lambda: [L.Bidirectional(L.LSTM(H, return_sequences=True)), L.Bidirectional(L.LSTM(H)),
                        L.Dense(1, activation="sigmoid")],
    "tagger": lambda: [L.SimpleRNN(H, return_sequences=True), L.Dense(CLASSES, activation="softmax")],
}

arrays = dict(keras_version=keras.__version__, backend=keras.backend.backend(),
              adam=np.array([ADAM[k] for k in ("learning_rate", "beta_1", "beta_2", "epsilon")]))
for number, (name, layers) in enumerate(MODELS.items()):
    keras.utils.set_random_seed(number)
    rng = np.random.default_rng(100 + number)
    per_step = name == "tagger"
    model = keras.Sequential([keras.Input((T,), dtype="int32"), L.Embedding(V, D, mask_zero=True), *layers()])
    loss = "sparse_categorical_crossentropy" if per_step else "binary_crossentropy"
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(**ADAM))
    start = [w.copy() for w in model.get_weights()]
    xs, ys, losses = [], [], []
    for _ in range(STEPS):
        x, y = batch(rng, per_step)
        xs.append(x)
        ys.append(y)
        losses.append(float(model.evaluate(x, y, batch_size=B, verbose=0)))   # before the step
        model.train_on_batch(x, y)
    arrays.update({f"{name}/x": np.stack(xs), f"{name}/y": np.stack(ys), f"{name}/loss": np.array(losses),
                   f"{name}/names": np.array([w.path for w in model.weights])})
    arrays.update({f"{name}/start_{k}": w for k, w in enumerate(start)})
    arrays.update({f"{name}/end_{k}": w for k, w in enumerate(model.get_weights())})
    print(name, [w.path for w in model.weights], losses)
np.savez_compressed("keras_steps.npz", **arrays)
