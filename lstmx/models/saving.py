"""Saving and loading models: one ``.npz`` file of arrays plus a JSON config, never a pickle.

The config lists the layers (class name and constructor arguments), the nodes of the graph in the
order they run (which layer, reading which outputs of which earlier nodes), the inputs, the
outputs and the compile settings. Loading replays the nodes. A file is untrusted input: every
name is looked up in an explicit table, the config's size is bounded, and every parameter's shape
is checked against the array headers in the file before any parameter is allocated, so a
tampered file gets a ``ValueError`` that says what is wrong, not a raw traceback or gigabytes.
"""
import json
import os
import zipfile

import numpy as np

from .. import losses as _losses
from .. import optimizers as _optimizers
from .._files import atomic_write

FORMAT = "lstmx-model-2"
SEQUENTIAL_FORMAT_1 = "lstmx-model-1"     # Sequential files of lstmx 0.1, read as they were
MAX_CONFIG_BYTES = 16 << 20


def layer_classes():
    """The layers a file may name: class name -> class."""
    from .. import layers
    return {name: getattr(layers, name) for name in layers.__all__ if name not in ("Layer", "Input", "IndexedRows")}


def model_config(model):
    """The JSON-able description of ``model``: layers, nodes, inputs, outputs, compile settings."""
    from .sequential import Sequential
    graph = model.graph
    config = dict(format=FORMAT, class_name=type(model).__name__ if isinstance(model, Sequential) else "Model",
                  name=model.name, compile=_compile_config(model))
    if model.metadata:
        config["metadata"] = model.metadata
    if graph is None:       # a Sequential not built yet: its layers only
        return dict(config, layers=[_layer_entry(layer) for layer in model.layers], nodes=None)
    nodes = [t.node for t in graph.inputs] + graph.nodes
    index = {id(n): k for k, n in enumerate(nodes)}
    ref = lambda t: [index[id(t.node)], t.index]
    layers = list({id(n.layer): n.layer for n in nodes}.values())
    return dict(config, layers=[_layer_entry(layer) for layer in layers],
                nodes=[dict(layer=n.layer.name, inputs=[ref(t) for t in n.inputs], n_main=n.n_main,
                            single_input=n.single_input, **({"options": n.options} if n.options else {}))
                       for n in nodes],
                inputs=[ref(t) for t in graph.inputs], outputs=[ref(t) for t in graph.outputs],
                single_input=model._single_input, single_output=model._single_output)


def _layer_entry(layer):
    return dict(class_name=type(layer).__name__, config=layer.get_config())


def _compile_config(model):
    if model.optimizer is None:
        return None
    return dict(loss=model.loss_names, loss_weights=model.loss_weights, metrics=model.output_metrics,
                optimizer=type(model.optimizer).__name__, optimizer_config=model.optimizer.get_config())


def save_model(model, path):
    """Write ``model`` to ``path`` (see :meth:`lstmx.Model.save`)."""
    arrays = {f"param:{k}": v for k, v in model.all_params().items()}
    arrays["config"] = np.frombuffer(json.dumps(model_config(model)).encode(), np.uint8)
    with atomic_write(path, "the model") as f:
        np.savez(f, **arrays)


# ---- reading ----
class _Archive:
    """The arrays of an ``.npz`` file, read with their headers checked first: shape, dtype (no
    objects, so no pickle) and a data size that matches the member's size in the archive."""

    def __init__(self, path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.headers = {}
        for info in self.zip.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with self.zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                shape, fortran, dtype = (np.lib.format.read_array_header_1_0(f) if version == (1, 0)
                                         else np.lib.format.read_array_header_2_0(f))
                offset = f.tell()
            if dtype.hasobject:
                raise ValueError(f"array {info.filename[:-4]!r} holds Python objects, which lstmx never saves")
            if info.file_size != offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
                raise ValueError(f"array {info.filename[:-4]!r} declares shape {shape} of {dtype}, which does "
                                 f"not match its {info.file_size} bytes in the archive")
            self.headers[info.filename[:-4]] = (tuple(shape), dtype)

    def shape(self, name):
        return self.headers[name][0] if name in self.headers else None

    def read(self, name):
        with self.zip.open(name + ".npy") as f:
            return np.lib.format.read_array(f, allow_pickle=False)


def load_model(path):
    """Read a model written by :meth:`Model.save` (or ``Sequential.save``).

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    ValueError
        If the file is not an lstmx model (not an ``.npz``, truncated, without lstmx's config), or
        its config or arrays do not fit together; the message says what is wrong.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file at {path}")
    try:
        archive = _Archive(path)
        config = _read_config(archive)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not an lstmx model file (expected a .npz written by model.save): "
                         f"{exc}") from None
    try:
        return _model_from_config(config, archive)
    except _BadFile as exc:
        raise ValueError(f"{path}: {exc}") from None


class _BadFile(Exception):
    """A model file whose config or arrays do not fit together."""


def _read_config(archive):
    if archive.shape("config") is None:
        raise ValueError("no lstmx config inside")
    shape, dtype = archive.headers["config"]
    if dtype != np.uint8 or len(shape) != 1:
        raise ValueError(f"its config is an array of {dtype} {shape}, not the bytes of a JSON text")
    if shape[0] > MAX_CONFIG_BYTES:
        raise ValueError(f"its config is {shape[0]:,} bytes, more than the {MAX_CONFIG_BYTES:,} lstmx reads")
    config = json.loads(bytes(archive.read("config")).decode())
    if not isinstance(config, dict) or config.get("format") not in (FORMAT, SEQUENTIAL_FORMAT_1):
        raise ValueError("no lstmx config inside")
    return config


def _get(mapping, key, kind, where):
    if not isinstance(mapping, dict) or key not in mapping:
        raise _BadFile(f"{where} has no {key!r} ({kind})")
    return mapping[key]


def _make_layer(entry, where):
    """A layer from its ``{"class_name", "config"}`` entry, through the table of known layers."""
    classes = layer_classes()
    name = _get(entry, "class_name", "the layer's class", where)
    config = _get(entry, "config", "the layer's arguments", where)
    if not isinstance(name, str) or name not in classes:
        raise _BadFile(f"{where} names an unknown layer class {name!r}; lstmx's layers are {sorted(classes)}")
    if not isinstance(config, dict):
        raise _BadFile(f"{where}: the arguments of {name} must be a JSON object, got {type(config).__name__}")
    config = dict(config)
    try:
        if "layer" in config:      # a wrapper: Bidirectional, TimeDistributed
            config["layer"] = _make_layer(config["layer"], f"{where} (the layer inside {name})")
        return classes[name](**config)
    except (TypeError, ValueError, KeyError) as exc:
        raise _BadFile(f"{where}: {name} cannot be made from the arguments {config}: {exc}") from None


def _make_input(config, where):
    from ..layers.symbolic import Input
    if not isinstance(config, dict):
        raise _BadFile(f"{where}: an Input's settings must be a JSON object")
    try:
        shape = tuple(config["shape"])
        return Input(shape, np.dtype(config["dtype"]), config.get("batch_size"), name=config.get("name"))
    except (TypeError, ValueError, KeyError) as exc:
        raise _BadFile(f"{where}: an Input cannot be made from {config}: {exc}") from None


def _check_param_shapes(layer, shapes, archive, key):
    """Before ``layer`` is built: the shapes it would give its parameters must be those in the file."""
    try:
        wanted = layer.param_shapes(shapes)
    except (TypeError, ValueError, IndexError) as exc:
        raise _BadFile(f"layer {layer.name!r} ({type(layer).__name__}) cannot take inputs of shape {shapes}: {exc}")
    for name, shape in wanted.items():
        stored = archive.shape(f"param:{key(layer, name)}")
        if stored != tuple(shape):
            raise _BadFile(f"parameter {name} of layer {layer.name!r} ({type(layer).__name__}) should have shape "
                           f"{tuple(shape)} by the config, and the file holds "
                           f"{'no such array' if stored is None else f'an array of shape {stored}'}")


def _model_from_config(config, archive):
    from ..layers.symbolic import InputLayer
    from .sequential import Sequential
    from .training import Model
    if config["format"] == SEQUENTIAL_FORMAT_1:
        return _sequential_format_1(config, archive)
    entries = _get(config, "layers", "the list of layers", "the config")
    if not isinstance(entries, list):
        raise _BadFile("the config's layers must be a list")
    layers, input_tensors = {}, {}
    for k, entry in enumerate(entries):
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
            tensor = _make_input(entry.get("config"), f"layer {k}")
            input_tensors[id(tensor.node.layer)] = tensor
            layer = tensor.node.layer
        else:
            layer = _make_layer(entry, f"layer {k}")
        if layer.name in layers:
            raise _BadFile(f"layer {k} ({type(layer).__name__}) has the name {layer.name!r} of another layer")
        layers[layer.name if layer.name is not None else k] = layer    # unnamed: a Sequential not built yet
    key = lambda layer, name: f"{layer.name}/{name}"
    nodes = config.get("nodes")
    if nodes is None:          # a Sequential saved before it was built
        if config.get("class_name") != "Sequential":
            raise _BadFile("a model without nodes must be a Sequential")
        model = Sequential(list(layers.values()), name=config.get("name"))
        return _compile(model, config)
    if not isinstance(nodes, list):
        raise _BadFile("the config's nodes must be a list")
    made = []                  # the outputs of each node, in order
    for k, node in enumerate(nodes):
        where = f"node {k}"
        layer_name = _get(node, "layer", "the layer it calls", where)
        if layer_name not in layers:
            raise _BadFile(f"{where} calls a layer {layer_name!r} that the config does not list")
        layer = layers[layer_name]
        if isinstance(layer, InputLayer):
            made.append([input_tensors[id(layer)]])
            continue
        refs = _get(node, "inputs", "the tensors it reads", where)
        n_main = node.get("n_main", 1)
        tensors = []
        for ref in refs if isinstance(refs, list) else [None]:
            if not (isinstance(ref, list) and len(ref) == 2 and all(isinstance(i, int) for i in ref)
                    and 0 <= ref[0] < k and 0 <= ref[1] < len(made[ref[0]])):
                raise _BadFile(f"{where} reads {ref!r}, which is not an output of an earlier node (a cycle, or a "
                               f"reference out of range)")
            tensors.append(made[ref[0]][ref[1]])
        if not isinstance(n_main, int) or not 1 <= n_main <= len(tensors):
            raise _BadFile(f"{where} has {n_main!r} main inputs out of {len(tensors)}")
        single = bool(node.get("single_input", True)) and n_main == 1
        main = tensors[0] if single else tensors[:n_main]
        if not layer.built:
            _check_param_shapes(layer, main.shape if single else [t.shape for t in main], archive, key)
        states = tensors[n_main:]
        options = node.get("options", {})
        if not isinstance(options, dict) or any(k not in layer.call_options or not isinstance(v, bool)
                                                for k, v in options.items()):
            raise _BadFile(f"{where} calls {type(layer).__name__} with options {options!r}; it takes "
                           f"{list(layer.call_options) or 'none'} (true or false)")
        try:
            out = layer(main, initial_state=states, **options) if states else layer(main, **options)
        except (TypeError, ValueError) as exc:
            raise _BadFile(f"{where}: {exc}") from None
        made.append(out if isinstance(out, list) else [out])

    def tensor(ref, what):
        if not (isinstance(ref, list) and len(ref) == 2 and all(isinstance(i, int) for i in ref)
                and 0 <= ref[0] < len(made) and 0 <= ref[1] < len(made[ref[0]])):
            raise _BadFile(f"the config's {what} {ref!r} is not the output of a node")
        return made[ref[0]][ref[1]]

    inputs = [tensor(r, "input") for r in _get(config, "inputs", "the model's inputs", "the config")]
    outputs = [tensor(r, "output") for r in _get(config, "outputs", "the model's outputs", "the config")]
    try:
        if config.get("class_name") == "Sequential":
            model = Sequential([inputs[0]] + [l for l in layers.values() if not isinstance(l, InputLayer)],
                               name=config.get("name"))
        else:
            model = Model(inputs[0] if config.get("single_input") and len(inputs) == 1 else inputs,
                          outputs[0] if config.get("single_output") and len(outputs) == 1 else outputs,
                          name=config.get("name"))
    except (TypeError, ValueError) as exc:
        raise _BadFile(str(exc)) from None
    _copy_params(model.all_params(), archive, lambda k: k)
    return _compile(model, config)


def _copy_params(params, archive, file_key):
    for k, p in params.items():
        name = f"param:{file_key(k)}"
        if archive.shape(name) != p.shape:
            raise _BadFile(f"parameter {k} is missing or has the wrong shape (the model needs {p.shape}, the "
                           f"file holds {archive.shape(name)})")
        p[...] = archive.read(name)


def _sequential_format_1(config, archive):
    """A Sequential file of lstmx 0.1: parameters keyed ``<layer index>/<name>``."""
    from .sequential import Sequential
    entries = _get(config, "layers", "the list of layers", "the config")
    if not isinstance(entries, list):
        raise _BadFile("the config's layers must be a list")
    layers = [_make_layer(e, f"layer {k}") for k, e in enumerate(entries)]
    index = {id(layer): k for k, layer in enumerate(layers)}
    key = lambda layer, name: f"{index[id(layer)]}/{name}"
    model = Sequential(name=None)
    input_shape = config.get("input_shape")
    if input_shape is not None:
        shape = (None, *input_shape[1:])
        for layer in layers:
            _check_param_shapes(layer, shape, archive, key)
            try:
                shape = layer.compute_output_shape(shape)
            except (TypeError, ValueError, IndexError) as exc:
                raise _BadFile(f"layer {type(layer).__name__} cannot take inputs of shape {shape}: {exc}")
    for layer in layers:
        model.add(layer)
    if input_shape is not None:
        model.build(tuple(input_shape))
        names = {f"{layer.name}/{p}": f"{index[id(layer)]}/{p}" for layer in layers for p in layer.params}
        _copy_params(model.all_params(), archive, names.get)
    return _compile(model, config)


def _compile(model, config):
    metadata = config.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _BadFile(f"the model's metadata must be a JSON object, got {type(metadata).__name__}")
    model.metadata = metadata
    c = config.get("compile")
    if not c:
        return model
    optimizers = {cls.__name__: cls for cls in _optimizers.OPTIMIZERS.values()}
    name = _get(c, "optimizer", "the optimizer's class", "the compile settings")
    if name not in optimizers:
        raise _BadFile(f"the compile settings name an unknown optimizer {name!r}; lstmx's are {sorted(optimizers)}")
    try:
        optimizer = optimizers[name](**dict(c.get("optimizer_config") or {}))
    except (TypeError, ValueError) as exc:
        raise _BadFile(f"optimizer {name} cannot be made from the settings {c.get('optimizer_config')}: {exc}") from None
    loss = c.get("loss")
    for l in loss if isinstance(loss, list) else [loss]:
        if l is not None and l not in _losses.LOSSES:
            raise _BadFile(f"the compile settings name a loss {l!r} that lstmx does not know (a loss function "
                           f"of your own is not saved: compile the loaded model again); lstmx's are "
                           f"{sorted(_losses.LOSSES)}")
    metrics = c.get("metrics")
    if config["format"] == FORMAT and isinstance(metrics, list) and len(model.output_names) > 1:
        metrics = dict(zip(model.output_names, metrics))
    elif config["format"] == FORMAT and isinstance(metrics, list) and metrics and isinstance(metrics[0], list):
        metrics = metrics[0]
    try:
        model.compile(loss, optimizer, metrics, c.get("loss_weights"))
    except (TypeError, ValueError) as exc:
        raise _BadFile(f"the compile settings do not fit the model: {exc}") from None
    return model
