"""Keras's weights in and out: lstmx with Keras's weights predicts what Keras predicted
(``data/keras_interop.npz``, written by Keras 3.15.1 on TensorFlow with ``data/make_keras_interop.py``;
Keras is not an lstmx dependency), and gives the same arrays back bit for bit."""
import os

import numpy as np
import pytest

import lstmx
from lstmx.interop.keras import from_keras_weights, to_keras_weights

KERAS = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_interop.npz"))
V, D, H, T = 40, 5, 4, 7
f64 = dict(dtype=np.float64)
MODELS = {
    "gru": lambda: [lstmx.Bidirectional(lstmx.GRU(H, return_sequences=True, **f64)), lstmx.GRU(H + 1, **f64),
                    lstmx.Dense(3, "softmax", **f64)],
    "lstm": lambda: [lstmx.LSTM(H, return_sequences=True, **f64),
                     lstmx.Bidirectional(lstmx.LSTM(H, **f64), merge_mode="sum"), lstmx.Dense(1, "sigmoid", **f64)],
    "rnn": lambda: [lstmx.SimpleRNN(H, return_sequences=True, **f64), lstmx.Dense(2, "softmax", **f64)],
}


def keras_weights(name):
    return [KERAS[f"{name}/w_{k}"] for k in range(len(KERAS[f"{name}/names"]))]


def build(name):
    return lstmx.Sequential([lstmx.Input((T,), dtype="int32"), lstmx.Embedding(V, D, mask_zero=True, **f64),
                             *MODELS[name]()])


def test_the_file_is_what_the_tests_expect():
    assert str(KERAS["keras_version"]).startswith("3.") and str(KERAS["backend"]) == "tensorflow"
    names = [str(n) for n in KERAS["gru/names"]]
    assert names[1].endswith("forward_gru/gru_cell/kernel") and names[3].endswith("forward_gru/gru_cell/bias")
    assert KERAS["gru/w_3"].shape == (2, 3 * H)           # reset_after=True: input and recurrent biases


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_weights_give_keras_predictions_and_come_back(name):
    model = build(name)
    from_keras_weights(model, keras_weights(name))
    np.testing.assert_allclose(model.predict(KERAS[f"{name}/x"], verbose=0), KERAS[f"{name}/y"], rtol=0, atol=1e-12)
    back = to_keras_weights(model)
    assert len(back) == len(keras_weights(name))
    for ours, theirs, path in zip(back, keras_weights(name), KERAS[f"{name}/names"]):
        assert ours.shape == theirs.shape, path
        if str(path).endswith("gru_cell/bias"):
            # z's and r's two biases only ever add: lstmx keeps their sum (in the input row), and h's
            # recurrent bias as it is
            np.testing.assert_allclose(ours[0, :2 * ours.shape[1] // 3] + ours[1, :2 * ours.shape[1] // 3],
                                       theirs[0, :2 * theirs.shape[1] // 3] + theirs[1, :2 * theirs.shape[1] // 3],
                                       rtol=0, atol=1e-15, err_msg=str(path))
            np.testing.assert_array_equal(ours[:, 2 * ours.shape[1] // 3:], theirs[:, 2 * theirs.shape[1] // 3:])
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=str(path))
    # lstmx -> Keras -> lstmx: every array of every layer, bit for bit
    again = build(name)
    from_keras_weights(again, back)
    for ours, theirs in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_a_layer_on_its_own_and_bad_lists_are_named():
    layer = lstmx.GRU(3, **f64)
    layer(np.zeros((1, 2, 5)))
    weights = to_keras_weights(layer)
    assert [w.shape for w in weights] == [(5, 9), (3, 9), (2, 9)]
    other = lstmx.GRU(3, seed=7, **f64)
    other(np.zeros((1, 2, 5)))
    from_keras_weights(other, weights)
    for k, w in other.cell.params.items():
        np.testing.assert_array_equal(w, layer.cell.params[k], err_msg=k)
    with pytest.raises(ValueError, match=r"GRU\(3\) on 5 features must be \(3, 9\), got \(9, 3\)"):
        from_keras_weights(other, [weights[0], weights[1].T, weights[2]])
    model = build("rnn")
    with pytest.raises(ValueError, match=r"simple_rnn \(SimpleRNN\) takes 3 arrays, but the list has 1 left"):
        from_keras_weights(model, keras_weights("rnn")[:2])
    with pytest.raises(ValueError, match="the list has 7 arrays; the layers take 6"):
        from_keras_weights(model, keras_weights("rnn") + [np.zeros(1)])
    with pytest.raises(ValueError, match="not built yet"):
        to_keras_weights(lstmx.LSTM(3))
