"""Model files are untrusted input: a tampered file gets a ValueError saying what is wrong, before
anything large is allocated, and never a raw KeyError, AttributeError or TypeError."""
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import lstmx
from lstmx.callbacks import EarlyStopping


def small_model(compiled=True):
    model = lstmx.Sequential([lstmx.Input((6,), dtype="int32"), lstmx.Embedding(20, 4, mask_zero=True, seed=0),
                              lstmx.LSTM(3, seed=1), lstmx.Dense(1, "sigmoid", seed=2)])
    if compiled:
        model.compile("binary_crossentropy", "adam", metrics=["accuracy"])
    return model


def rewrite(path, out, edit_config=None, arrays=None):
    """Copy the model file ``path`` to ``out`` with its JSON config edited and arrays replaced."""
    archive = np.load(path)
    data = {k: archive[k] for k in archive.files}
    if edit_config is not None:
        config = json.loads(bytes(data["config"]).decode())
        edit_config(config)
        data["config"] = np.frombuffer(json.dumps(config).encode(), np.uint8)
    data.update(arrays or {})
    np.savez(out, **data)
    return out


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "m.npz"
    small_model().save(path)
    return path


def test_a_config_that_asks_for_a_huge_embedding_is_refused_before_allocating(saved, tmp_path):
    """A file of a few KB whose config says Embedding(input_dim=2e7) took 1.9 GB and loaded."""
    def huge(config):
        config["layers"][1]["config"]["input_dim"] = 2 * 10 ** 7
    bad = rewrite(saved, tmp_path / "huge.npz", huge)
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"parameter embeddings of layer 'embedding' \(Embedding\) should have "
                                         r"shape \(20000000, 4\) by the config, and the file holds an array of "
                                         r"shape \(20, 4\)"):
        lstmx.load_model(bad)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 << 20


def test_an_array_header_that_lies_about_its_size_is_refused(saved, tmp_path):
    """A member whose .npy header declares a shape far larger than its bytes."""
    bad = tmp_path / "lie.npz"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "param:embedding/embeddings.npy":
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                             "shape": (20_000_000, 4)})
                data = header.getvalue() + data[len(header.getvalue()):]
            dst.writestr(info, data)
    with pytest.raises(ValueError, match=r"declares shape \(20000000, 4\) .* does not match its"):
        lstmx.load_model(bad)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["layers"][1].update(class_name="os.system"), r"unknown layer class 'os.system'"),
    (lambda c: c["layers"][2]["config"].update(unitz=3), r"LSTM cannot be made from the arguments"),
    (lambda c: c["layers"][2]["config"].update(units="three"), r"LSTM cannot be made"),
    (lambda c: c["layers"][2].pop("config"), r"layer 2 has no 'config'"),
    (lambda c: c["compile"].update(optimizer="__import__"), r"unknown optimizer '__import__'"),
    (lambda c: c["compile"]["optimizer_config"].update(learning_rate=-1), r"optimizer Adam cannot be made"),
    (lambda c: c["compile"].update(loss=["my_loss"]), r"a loss 'my_loss' that lstmx does not know"),
    (lambda c: c["nodes"][2].update(inputs=[[3, 0]]), r"not an output of an earlier node \(a cycle"),
    (lambda c: c["nodes"][2].update(inputs=[[1, 5]]), r"not an output of an earlier node"),
    (lambda c: c["nodes"][2].update(layer="nowhere"), r"calls a layer 'nowhere' that the config does not list"),
    (lambda c: c.update(outputs=[[9, 0]]), r"output \[9, 0\] is not the output of a node"),
    (lambda c: c["layers"][3]["config"].update(name="lstm"), r"the name 'lstm' of another layer"),
    (lambda c: c.update(layers={}), r"layers must be a list"),
    (lambda c: c["layers"][0].update(config={"shape": [6], "dtype": "object"}), r"an Input cannot be made"),
])
def test_tampered_configs_get_a_value_error_that_says_what_is_wrong(saved, tmp_path, edit, message):
    bad = rewrite(saved, tmp_path / "bad.npz", edit)
    with pytest.raises(ValueError, match=message):
        lstmx.load_model(bad)


def test_missing_or_misshapen_arrays_and_foreign_files(saved, tmp_path):
    with pytest.raises(ValueError, match=r"parameter U of layer 'lstm' \(LSTM\) should have shape \(12, 3\)"):
        lstmx.load_model(rewrite(saved, tmp_path / "a.npz", arrays={"param:lstm/U": np.zeros((12, 4), np.float32)}))
    with pytest.raises(ValueError, match="holds Python objects"):
        lstmx.load_model(rewrite(saved, tmp_path / "b.npz", arrays={"param:dense/bias": np.array([None])}))
    (tmp_path / "c.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="is not an lstmx model file"):
        lstmx.load_model(tmp_path / "c.npz")
    big = np.zeros(lstmx.models.saving.MAX_CONFIG_BYTES + 1, np.uint8)
    with pytest.raises(ValueError, match=r"its config is 16,777,217 bytes, more than"):
        lstmx.load_model(rewrite(saved, tmp_path / "d.npz", arrays={"config": big}))


def test_round_trips_of_an_unbuilt_and_an_uncompiled_model_and_a_file_of_lstmx_0_1(tmp_path):
    unbuilt = lstmx.Sequential([lstmx.Dense(2, seed=0)])
    unbuilt.save(tmp_path / "u.npz")
    again = lstmx.load_model(tmp_path / "u.npz")
    assert again.graph is None and again.layers[0].units == 2
    model = small_model(compiled=False)
    model.save(tmp_path / "m.npz")
    loaded = lstmx.load_model(tmp_path / "m.npz")
    x = np.random.default_rng(0).integers(0, 20, (4, 6))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # lstmx 0.1 wrote parameters keyed by layer index
    old = {f"param:{i}/{k}": v for i, layer in enumerate(model.layers) for k, v in layer.params.items()}
    old["config"] = np.frombuffer(json.dumps(dict(
        format="lstmx-model-1", input_shape=[None, 6],
        layers=[dict(class_name="Embedding", config=dict(input_dim=20, output_dim=4, mask_zero=True, seed=0,
                                                          dtype="float32")),
                dict(class_name="LSTM", config=dict(units=3, seed=1)),
                dict(class_name="Dense", config=dict(units=1, activation="sigmoid", seed=2, dtype="float32"))],
        compile=dict(loss="binary_crossentropy", metrics=["accuracy"], optimizer="Adam",
                     optimizer_config=dict(learning_rate=0.001)))).encode(), np.uint8)
    np.savez(tmp_path / "old.npz", **old)
    from_0_1 = lstmx.load_model(tmp_path / "old.npz")
    np.testing.assert_array_equal(from_0_1.predict(x), model.predict(x))
    assert from_0_1.metrics == ["accuracy"]


def test_early_stopping_knows_which_way_an_outputs_loss_and_accuracy_go():
    assert EarlyStopping(monitor="val_tags_loss").mode == "min"
    assert EarlyStopping(monitor="tags_accuracy").mode == "max"
