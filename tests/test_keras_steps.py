"""The seed model against Keras's own numbers (``data/keras_steps.npz``, written by Keras 3.15.1 on
TensorFlow with ``data/make_keras_steps.py``): Keras is not an lstmx dependency, so its numbers
are kept in a file."""
import os

import numpy as np
import pytest

import lstmx

KERAS = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_steps.npz"))


def keras_weights(prefix):
    n = len(KERAS["names"])
    return [KERAS[f"{prefix}_{i}"] for i in range(n)]


def to_lstmx(weights):
    """Keras's weights in lstmx's layout: Keras keeps the LSTM's kernels as ``(input, 4H)`` and
    ``(H, 4H)``, lstmx as their transposes ``W (4H, input)`` and ``U (4H, H)``; the same gate order."""
    embeddings, *lstm, dense_kernel, dense_bias = weights
    packed = []
    for kernel, recurrent_kernel, bias in (lstm[:3], lstm[3:]):
        packed += [kernel.T, recurrent_kernel.T, bias]
    return [embeddings, *packed, dense_kernel, dense_bias]


def seed_model():
    V, D = KERAS["start_0"].shape
    H = KERAS["start_2"].shape[0]
    model = lstmx.Sequential([lstmx.Embedding(V, D, mask_zero=True, dtype=np.float64),
                              lstmx.Bidirectional(lstmx.LSTM(H, dtype=np.float64)),
                              lstmx.Dense(1, "sigmoid", dtype=np.float64)])
    learning_rate, beta_1, beta_2, epsilon = KERAS["adam"]
    model.compile("binary_crossentropy", lstmx.Adam(learning_rate, beta_1, beta_2, epsilon))
    model.build((None, KERAS["x"].shape[2]))
    model.set_weights(to_lstmx(keras_weights("start")))
    return model


def test_the_file_is_what_the_test_expects():
    assert str(KERAS["keras_version"]).startswith("3.")
    assert [str(n).rsplit("/", 2)[-2:] for n in KERAS["names"]][1:4] == [
        ["lstm_cell", "kernel"], ["lstm_cell", "recurrent_kernel"], ["lstm_cell", "bias"]]
    assert "forward" in str(KERAS["names"][1]) and "backward" in str(KERAS["names"][4])
    x = KERAS["x"]
    assert (x[:, :, 0] == 0).any() and (x[:, :, -1] > 0).all()   # pre-padded, of several lengths
    for batch in x:   # no word twice in a batch: see make_keras_steps.py
        words = batch[batch > 0]
        assert len(np.unique(words)) == len(words)


def test_seed_model_steps_match_keras():
    """Four Adam steps on pre-padded, masked batches: each step's loss and every weight after the
    last step equal Keras's, from Keras's starting weights, in float64. Covers the mask through both
    directions of Bidirectional (the backward LSTM reads each review from its last word), each
    layer's backward pass, Keras's Adam (epsilon added to sqrt(v), moments of every embedding row
    decayed at each step) and the loss from the sigmoid's logits."""
    model = seed_model()
    for step, (x, y) in enumerate(zip(KERAS["x"], KERAS["y"])):
        loss = model.train_on_batch(x, y)   # the loss at the weights the step starts from
        assert loss == pytest.approx(KERAS["loss"][step], rel=1e-10), f"step {step + 1}"
    for ours, theirs, name in zip(model.get_weights(), to_lstmx(keras_weights("end")), KERAS["names"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10, err_msg=str(name))
