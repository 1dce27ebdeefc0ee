"""Callbacks: EarlyStopping by Keras's rules, restoring the best weights in place, ModelCheckpoint."""
import os

import numpy as np
import pytest

import lstmx
from lstmx.callbacks import EarlyStopping, LambdaCallback, ModelCheckpoint

from helpers import toy_data


class EpochWeights:
    """A stand-in for the model: its only weight is the epoch number, so a restore names the epoch."""

    def __init__(self):
        self.stop_training, self.weight, self.restored = False, None, None

    def get_weights(self):
        return [self.weight]

    def set_weights(self, weights):
        self.restored = weights[0]


def stopped_at(callback, values, key="val_loss"):
    """Feed ``values`` as the monitored log, one an epoch; the last epoch run and the model."""
    model = EpochWeights()
    callback.set_model(model)
    callback.on_train_begin({})
    for epoch, value in enumerate(values):
        model.weight = epoch
        callback.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            break
    callback.on_train_end({})
    return epoch, model


def test_early_stopping_follows_keras_rules():
    values = [1.0, 0.9, 0.95, 0.92, 0.5]
    assert stopped_at(EarlyStopping(patience=2), values)[0] == 3          # two epochs without a new best
    assert stopped_at(EarlyStopping(patience=3), values)[0] == 4          # 0.5 came in time
    assert stopped_at(EarlyStopping(patience=1, min_delta=0.2), values)[0] == 1   # 0.9 is not 0.2 better
    accuracy = [0.5, 0.6, 0.55, 0.58, 0.7]                                # 'auto': accuracy should go up
    assert stopped_at(EarlyStopping("val_accuracy", patience=2), accuracy, "val_accuracy")[0] == 3
    assert stopped_at(EarlyStopping("val_accuracy", patience=2, mode="min"), accuracy, "val_accuracy")[0] == 2
    # a new best that misses the baseline does not restart the patience
    assert stopped_at(EarlyStopping(patience=2), [0.9, 0.95, 0.97])[0] == 2
    assert stopped_at(EarlyStopping(patience=2, baseline=0.5), [0.9, 0.95, 0.97])[0] == 1
    assert stopped_at(EarlyStopping(patience=0), [1, 2, 3, 4])[0] == 1
    assert stopped_at(EarlyStopping(patience=0, start_from_epoch=2), [1, 2, 3, 4])[0] == 3


def test_early_stopping_restores_the_best_epoch_at_the_end():
    epoch, model = stopped_at(EarlyStopping(patience=2, restore_best_weights=True), [1.0, 0.9, 0.95, 0.92, 0.5])
    assert (epoch, model.restored) == (3, 1)
    _, model = stopped_at(EarlyStopping(patience=9, restore_best_weights=True), [1.0, 0.9, 0.95])
    assert model.restored == 1                   # as Keras 3: restored even when training was not stopped
    _, model = stopped_at(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.92])
    assert model.restored is None


def small_model(seed=0, learning_rate=5e-2):
    model = lstmx.Sequential([lstmx.Embedding(50, 8, mask_zero=True, seed=seed), lstmx.LSTM(8, seed=seed + 1),
                              lstmx.Dense(1, "sigmoid", seed=seed + 2)])
    model.compile("binary_crossentropy", lstmx.Adam(learning_rate), metrics=["accuracy"])
    return model


def test_fit_stops_when_early_stopping_says_so():
    x, y = toy_data(n=64)
    model = small_model()
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[EarlyStopping("loss", min_delta=10, patience=2)])
    assert len(history.history["loss"]) == 3 and history.epoch == [0, 1, 2]


def test_restored_weights_are_the_best_epochs_and_stay_in_the_gate_views():
    x, y = toy_data(n=48, seed=1)          # few examples and a large step: the model soon overfits
    val = toy_data(n=64, seed=2)
    model = small_model(seed=3, learning_rate=0.1)
    model.build(x.shape)
    cell = model.layers[1].cell
    W_f = cell.W_f                                           # a view into cell.W, taken before training
    seen = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((logs["val_loss"], model.get_weights())))
    model.fit(x, y, epochs=8, verbose=0, validation_data=val,
              callbacks=[record, EarlyStopping(patience=100, restore_best_weights=True)])
    best = int(np.argmin([v for v, _ in seen]))
    assert best < len(seen) - 1                              # else this test could not tell restoring from not
    for restored, kept in zip(model.get_weights(), seen[best][1]):
        np.testing.assert_array_equal(restored, kept)
    assert np.shares_memory(W_f, cell.W) and np.array_equal(W_f, cell.W_f)
    assert model.evaluate(*val)[0] == pytest.approx(seen[best][0])


def test_model_checkpoint_saves_every_epoch_or_only_the_improvements(tmp_path):
    x, y = toy_data(n=48, seed=1)          # few examples and a large step: the model soon overfits
    val = toy_data(n=64, seed=2)
    model = small_model(seed=3, learning_rate=0.1)
    every = ModelCheckpoint(tmp_path / "all" / "m-{epoch:02d}.npz")
    best = ModelCheckpoint(str(tmp_path / "best-{epoch}-{val_loss:.4f}.npz"), save_best_only=True)
    history = model.fit(x, y, epochs=8, verbose=0, validation_data=val, callbacks=[every, best])
    assert sorted(os.listdir(tmp_path / "all")) == [f"m-{e:02d}.npz" for e in range(1, 9)]
    np.testing.assert_array_equal(lstmx.load_model(tmp_path / "all" / "m-08.npz").predict(x), model.predict(x))
    losses = history.history["val_loss"]
    improved = [e for e in range(8) if losses[e] < min(losses[:e], default=np.inf)]
    assert improved != list(range(8))
    assert sorted(f for f in os.listdir(tmp_path) if f.startswith("best")) == sorted(
        f"best-{e + 1}-{losses[e]:.4f}.npz" for e in improved)


def test_plain_functions_get_keras_epoch_numbers_and_bad_callbacks_fail_before_training():
    x, y = toy_data(n=64)
    model = small_model()
    epochs = []
    model.fit(x, y, epochs=3, verbose=0, callbacks=[lambda epoch, logs: epochs.append((epoch, sorted(logs)))])
    assert epochs == [(e, ["accuracy", "loss"]) for e in range(3)]
    before = model.get_weights()
    with pytest.raises(TypeError, match="a callback must be .* got str"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=["early"])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    seen = []
    model.fit(x, y, epochs=2, verbose=0, callbacks=LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e)))
    assert seen == [0, 1]        # one callback on its own, not in a list, as Keras takes it


def test_bad_monitor_mode_and_filepath(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max', got 'lowest'"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="'val_f1' .* mode='min' or mode='max'"):
        EarlyStopping("val_f1")
    with pytest.raises(ValueError, match="patience must be an integer >= 0, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="start_from_epoch must be an integer >= 0, got 1.5"):
        EarlyStopping(start_from_epoch=1.5)
    x, y = toy_data(n=64)
    model = small_model()
    with pytest.warns(UserWarning, match="monitors 'val_loss', which this fit does not report; it reports loss, accuracy"):
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping(patience=0)])
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match=r"filepath '.*\{val_auc\}.npz' cannot be filled in: KeyError\('val_auc'\)"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(tmp_path / "{val_auc}.npz")])
    assert os.listdir(tmp_path) == []


def test_set_weights_checks_everything_before_copying():
    model = small_model()
    model.build((4, 12))
    weights = model.get_weights()
    with pytest.raises(ValueError, match=f"expected {len(weights)} arrays .* got 2"):
        model.set_weights(weights[:2])
    wrong = [w + 1 for w in weights]
    wrong[-1] = np.zeros(5)
    with pytest.raises(ValueError, match=r"parameter dense/bias has shape \(1,\), got an array of shape \(5,\)"):
        model.set_weights(wrong)
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)            # nothing was copied
