"""Writes ``keras_steps.npz``: Keras's own numbers for ``test_keras_steps.py``.

Run with a Python that has Keras (not an lstmx dependency), from this folder::

    /tmp/keras/bin/python make_keras_steps.py

A small seed model, Embedding(mask_zero=True) -> Bidirectional(LSTM) -> Dense(1, sigmoid), in
float64, trained by Keras for a few Adam steps (hyperparameters float32 holds exactly) on
pre-padded batches of several lengths. The file holds Keras's starting weights, the batches, the
loss of each step and the weights after the last step, and the versions that made them.

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

V, D, H, T, B, STEPS = 60, 5, 4, 8, 6, 4
keras.config.set_floatx("float64")
keras.utils.set_random_seed(0)
rng = np.random.default_rng(1)


def batch():
    """Pre-padded reviews of several lengths (at least one word each); no word twice in a batch."""
    lengths = rng.integers(1, T + 1, size=B)
    words = rng.permutation(np.arange(1, V))
    x = np.zeros((B, T), np.int32)
    for r, n in enumerate(lengths):
        x[r, T - n:], words = words[:n], words[n:]   # 'pre' padding, as pad_sequences writes
    return x, rng.integers(0, 2, size=B).astype(np.float64)


model = keras.Sequential([keras.Input((T,), dtype="int32"),
                          keras.layers.Embedding(V, D, mask_zero=True),
                          keras.layers.Bidirectional(keras.layers.LSTM(H)),
                          keras.layers.Dense(1, activation="sigmoid")])
# Keras keeps the learning rate and the betas in float32: values float32 holds exactly keep its rounding
# out of a float64 comparison
ADAM = dict(learning_rate=2.0 ** -4, beta_1=0.875, beta_2=1 - 2.0 ** -10, epsilon=1e-7)
model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(**ADAM))
start = [w.copy() for w in model.get_weights()]
xs, ys, losses = [], [], []
for _ in range(STEPS):
    x, y = batch()
    xs.append(x); ys.append(y)
    p = np.asarray(model(x))[:, 0]   # the loss at the weights the step starts from
    losses.append(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
    model.train_on_batch(x, y)
names = [w.path for w in model.weights]
np.savez_compressed("keras_steps.npz", x=np.stack(xs), y=np.stack(ys), loss=np.array(losses),
                    names=np.array(names), keras_version=keras.__version__, backend=keras.backend.backend(),
                    adam=np.array([ADAM[k] for k in ('learning_rate', 'beta_1', 'beta_2', 'epsilon')]),
                    **{f"start_{i}": w for i, w in enumerate(start)},
                    **{f"end_{i}": w for i, w in enumerate(model.get_weights())})
print(keras.__version__, names, losses)
