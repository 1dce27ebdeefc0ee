"""Small versions of the IMDB models (bilstm, bilstm-dense, stacked-bilstm) and a tagger against
Keras's own numbers (``data/keras_steps.npz``, written by Keras 3.15.1 on
TensorFlow with ``data/make_keras_steps.py``): Keras is not an lstmx dependency, so its numbers are
kept in a file.

From Keras's starting weights, four Adam steps on pre-padded, masked batches, in float64: each
step's loss and every weight after the last step equal Keras's. Between them the models cover the
mask through both directions of Bidirectional (the backward LSTM reads each review from its last
word) and through a stacked layer's per-step outputs, each layer's backward pass, Keras's Adam
(epsilon added to sqrt(v), the moments of every embedding row decayed at each step), the losses
from the sigmoid's and softmax's logits, and a per-step loss that leaves the masked steps out.
"""
import os

import numpy as np
import pytest

import lstmx

KERAS = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_steps.npz"))
MODELS = ("seed", "tf", "stacked", "tagger")


def keras_arrays(model, what):
    n = len(KERAS[f"{model}/names"])
    return [KERAS[f"{model}/{what}_{k}"] for k in range(n)]


def to_lstmx(model, weights):
    """Keras's weights in lstmx's layout: Keras keeps a recurrent cell's kernels as ``(input, G*H)``
    and ``(H, G*H)``, lstmx as their transposes ``W (G*H, input)`` and ``U (G*H, H)``, in the same
    gate order; embeddings, biases and Dense kernels are laid out alike."""
    names = [str(n) for n in KERAS[f"{model}/names"]]
    return [w.T if "_cell/" in name and name.endswith("kernel") else w for name, w in zip(names, weights)]


def build(model):
    V, D = KERAS[f"{model}/start_0"].shape
    H = KERAS[f"{model}/start_2"].shape[0]
    f64 = dict(dtype=np.float64)
    layers = {
        "seed": lambda: [lstmx.Bidirectional(lstmx.LSTM(H, **f64)), lstmx.Dense(1, "sigmoid", **f64)],
        "tf": lambda: [lstmx.Bidirectional(lstmx.LSTM(H, **f64)), lstmx.Dense(6, "relu", **f64),
                       lstmx.Dense(1, "sigmoid", **f64)],
        "stacked": lambda: [lstmx.Bidirectional(lstmx.LSTM(H, return_sequences=True, **f64)),
                            lstmx.Bidirectional(lstmx.LSTM(H, **f64)), lstmx.Dense(1, "sigmoid", **f64)],
        "tagger": lambda: [lstmx.SimpleRNN(H, return_sequences=True, **f64), lstmx.Dense(3, "softmax", **f64)],
    }[model]()
    net = lstmx.Sequential([lstmx.Input(KERAS[f"{model}/x"].shape[2:], dtype="int32"),
                            lstmx.Embedding(V, D, mask_zero=True, **f64), *layers])
    learning_rate, beta_1, beta_2, epsilon = KERAS["adam"]
    loss = "sparse_categorical_crossentropy" if model == "tagger" else "binary_crossentropy"
    net.compile(loss, lstmx.Adam(learning_rate, beta_1, beta_2, epsilon))
    net.set_weights(to_lstmx(model, keras_arrays(model, "start")))
    return net


def test_the_file_is_what_the_tests_expect():
    assert str(KERAS["keras_version"]).startswith("3.") and str(KERAS["backend"]) == "tensorflow"
    names = [str(n) for n in KERAS["seed/names"]]
    assert [n.rsplit("/", 2)[-2:] for n in names[1:4]] == [
        ["lstm_cell", "kernel"], ["lstm_cell", "recurrent_kernel"], ["lstm_cell", "bias"]]
    assert "forward" in names[1] and "backward" in names[4]
    for model in MODELS:
        x = KERAS[f"{model}/x"]
        assert (x[:, :, 0] == 0).any() and (x[:, :, -1] > 0).all()   # pre-padded, of several lengths
        for batch in x:   # no word twice in a batch: see make_keras_steps.py
            words = batch[batch > 0]
            assert len(np.unique(words)) == len(words)


@pytest.mark.parametrize("model", MODELS)
def test_training_steps_match_keras(model):
    net = build(model)
    for step, (x, y) in enumerate(zip(KERAS[f"{model}/x"], KERAS[f"{model}/y"])):
        loss = net.train_on_batch(x, y)   # the loss at the weights the step starts from
        assert loss == pytest.approx(KERAS[f"{model}/loss"][step], rel=1e-10), f"step {step + 1}"
    names = KERAS[f"{model}/names"]
    for ours, theirs, name in zip(net.get_weights(), to_lstmx(model, keras_arrays(model, "end")), names):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10, err_msg=str(name))
