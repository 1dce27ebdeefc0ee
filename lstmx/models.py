"""``Sequential``: a stack of layers trained with a loss and an optimizer, in Keras's words.

``fit`` runs mini-batch training: forward through the layers (masks flow along), the loss and its
gradient, backward through the layers in reverse, one optimizer step. Everything is seeded.
"""
import io
import json
import os
import sys
import time
import zipfile

import numpy as np

from . import callbacks as _callbacks
from . import losses as _losses
from . import optimizers as _optimizers
from ._blas_threads import one_blas_thread
from ._files import atomic_write
from .layers import GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, GlobalAveragePooling1D, Masking, SimpleRNN
from ._validation import check_nonnegative_int, check_positive_int
from .layers.base import Layer, copy_weights
from .layers.input import Input

LAYER_CLASSES = {c.__name__: c for c in (Embedding, Dense, Dropout, Bidirectional, LSTM, GRU, SimpleRNN, Masking,
                                          GlobalAveragePooling1D)}
FORMAT = "lstmx-model-1"

# The losses computed from the logits under the last Dense's activation, as Keras on TensorFlow does.
FROM_LOGITS = {("sigmoid", _losses.binary_crossentropy), ("softmax", _losses.categorical_crossentropy),
               ("softmax", _losses.sparse_categorical_crossentropy)}


class History:
    """``history.history`` maps 'loss', 'accuracy', 'val_loss', 'val_accuracy' to per-epoch lists;
    ``history.epoch`` lists the epochs run, from 0, and ``history.params`` the run's ``verbose``,
    ``epochs`` and ``steps`` (batches per epoch), as Keras's. ``fit`` also keeps it as ``model.history``."""

    def __init__(self, params=None):
        self.history = {}
        self.epoch = []
        self.params = dict(params or {})

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)


def _check_verbose(verbose):
    """Keras's verbosity: 0 silent, 1 or "auto" a progress bar, 2 a line per epoch."""
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return 1 if verbose == "auto" else verbose


class ProgressBar:
    """One line per epoch, redrawn in place: ``12/782 [=>....] 3s loss: 0.6931 - accuracy: 0.5000``."""

    def __init__(self, total, epoch, epochs, stream=None, width=30, redraw=True):
        self.total, self.width, self.redraw = total, width, redraw
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self.stream.write(f"Epoch {epoch}/{epochs}\n")

    def update(self, done, logs, final=False):
        filled = int(self.width * done / self.total)
        bar = "=" * max(filled - 1, 0) + (">" if filled < self.width else "=") + "." * (self.width - filled)
        metrics = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        elapsed = time.perf_counter() - self.start
        self.stream.write(("\r" if self.redraw else "") + f"{done}/{self.total} [{bar}] {elapsed:.0f}s {metrics}"
                          + ("\n" if final else ""))
        self.stream.flush()


class Sequential:
    """A linear stack of layers.

    >>> model = Sequential([Embedding(10000, 128), Bidirectional(LSTM(64)), Dropout(0.5), Dense(1, "sigmoid")])
    >>> model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

    While ``fit``, ``evaluate`` and ``predict`` run, NumPy's BLAS is held at one thread: the kernels
    bring their own two, and the two pools would otherwise spin against each other (see
    ``lstmx/_blas_threads.py``). ``train_on_batch`` leaves it as it is.
    """

    def __init__(self, layers=None):
        self.layers = []
        self._input = None   # an Input given first, if any
        self.input_shape = None
        self.loss = self.optimizer = None
        self.metrics = []
        self.stop_training = False   # a callback sets it to end fit after the current epoch
        self.history = None          # the History of the last fit
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer; an :class:`Input` may come first, and then the model is built as it grows."""
        if isinstance(layer, Input):
            if self.layers or self._input is not None:
                raise ValueError("an Input must be the first element of a Sequential model, and the only one")
            self._input = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes lstmx layers, got {type(layer).__name__}")
        self.layers.append(layer)
        if self._input is not None:
            self.build((None, *self._input.shape))

    # ---- running the layers ----
    def _forward(self, x, training=False):
        out, mask = x, None
        for layer in self.layers:
            out = layer(out, mask=mask, training=training)
            mask = layer.output_mask
        return out

    def _backward(self, grad, layers=None):
        for layer in reversed(self.layers if layers is None else layers):
            grad = layer.backward(grad)

    def _output_logits(self):
        """The last Dense layer's logits when the loss is computed from them, else None.

        Keras on TensorFlow computes binary cross-entropy after a sigmoid, and categorical
        cross-entropy after a softmax, from the logits under that activation. The loss is then exact
        for confident predictions, and its gradient with respect to the logits is ``(p - y) / n``.
        From clipped probabilities, a confidently wrong prediction (p within 1e-7 of the wrong label)
        would get no gradient at all.
        """
        last = self.layers[-1]
        if isinstance(last, Dense) and (last.activation, self.loss) in FROM_LOGITS:
            return last.logits
        return None

    def _loss(self, y, out, logits, mask=None):
        """(loss, its gradient): with respect to ``logits`` when they are given, else to ``out``.

        With the ``mask`` of per-step outputs, the loss is the mean over the steps it keeps, as
        Keras computes it, and the masked steps get no gradient.
        """
        pred, kwargs = (out, {}) if logits is None else (logits, {"from_logits": True})
        if mask is None:
            return self.loss(y, pred, **kwargs)
        y = np.asarray(y)
        if y.shape[:2] != mask.shape:
            raise ValueError(f"labels of shape {y.shape} do not match per-step predictions of shape {pred.shape}: "
                             f"expected labels starting with (batch, time) = {mask.shape}")
        grad = np.zeros_like(pred)
        if not mask.any():
            return 0.0, grad
        loss, grad[mask] = self.loss(y[mask], pred[mask], **kwargs)
        return loss, grad

    def _loss_and_backward(self, y, out):
        """The loss of the outputs ``out`` of the last forward pass; fills every layer's ``grads``."""
        logits = self._output_logits()
        loss, grad = self._loss(y, out, logits, self._output_mask(out))
        if logits is None:
            self._backward(grad)
        else:
            self._backward(self.layers[-1].backward_from_logits(grad), self.layers[:-1])
        return loss

    def _check_x(self, x):
        if not self.layers:
            raise ValueError("the model has no layers: give Sequential a list of layers or call model.add(layer)")
        if isinstance(self.layers[0], Embedding):
            return self.layers[0].check_ids(x)
        try:
            x = np.asarray(x)
        except ValueError:   # ragged lists
            raise ValueError("model input must be a rectangular array; pad sequences of different lengths "
                             "(lstmx.text.pad_sequences) first") from None
        if x.dtype.kind != "f":
            raise TypeError(f"model input must be a float array, got dtype {x.dtype}")
        return x

    def build(self, input_shape):
        """Create every layer's parameters for inputs of ``input_shape`` (batch size ignored)."""
        if not self.layers:
            raise ValueError("the model has no layers")
        reads_ids = isinstance(self.layers[0], Embedding)
        if self._input is not None and self._input.dtype is not None and \
                (self._input.dtype.kind in "iu") != reads_ids:
            raise ValueError(f"Input(dtype={self._input.dtype}) does not suit the first layer, "
                             f"{type(self.layers[0]).__name__}: it reads "
                             f"{'integer token ids' if reads_ids else 'floats'}")
        dummy_shape = (1, *(1 if n is None else n for n in input_shape[1:]))   # a length that varies: any will do
        dummy = np.zeros(dummy_shape, np.int64 if reads_ids else np.float32)
        self._forward(dummy)
        self.input_shape = (None, *input_shape[1:])

    @property
    def params(self):
        """All trainable parameters, keyed ``"<layer index>/<name>"``."""
        return {f"{i}/{k}": v for i, layer in enumerate(self.layers) if layer.trainable for k, v in layer.params.items()}

    def _grads(self):
        return {f"{i}/{k}": v for i, layer in enumerate(self.layers) if layer.trainable for k, v in layer.grads.items()}

    def count_params(self):
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print):
        """Print each layer's type, output shape and parameter count, as Keras does; returns the text."""
        if self.input_shape is None:
            raise ValueError("the model is not built yet: call model.build(input_shape) or fit it first")
        shape = self.input_shape
        rows = []
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            name = type(layer).__name__
            if isinstance(layer, Bidirectional):
                name += f"({type(layer.forward_layer).__name__})"
            rows.append((name, str(tuple(shape)), layer.count_params()))
        lines = [f"{'Layer (type)':<28}{'Output Shape':<22}{'Param #':>10}", "=" * 60]
        lines += [f"{n:<28}{s:<22}{p:>10,}" for n, s, p in rows]
        lines += ["=" * 60, f"Total params: {self.count_params():,}"]
        text = "\n".join(lines)
        print_fn(text)
        return text

    # ---- training ----
    def compile(self, loss, optimizer="adam", metrics=None):
        self.loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "loss")
        self.loss = _losses.get(loss)
        self.optimizer = _optimizers.get(optimizer)
        self.metrics = list(metrics or [])
        for m in self.metrics:
            if m not in ("accuracy", "acc"):
                raise ValueError(f"unknown metric {m!r}; lstmx knows 'accuracy'")

    def _require_compiled(self):
        if self.loss is None:
            raise RuntimeError("the model must be compiled before training or evaluating: call "
                               "model.compile(loss=..., optimizer=...)")

    def _output_mask(self, out):
        """The (batch, time) mask of per-step outputs ``out``, or None. As in Keras, the masked steps
        count in neither the loss nor the accuracy."""
        mask = self.layers[-1].output_mask
        if mask is None or np.ndim(out) != 3:
            return None
        return np.asarray(mask, bool)

    def _correct(self, y, p, mask=None):
        """(predictions right, predictions counted) for 'accuracy', which is Keras's choice by shape:
        binary when the predictions have one column, sparse categorical when the labels are class
        ids (one axis fewer, or one column), else categorical. Masked steps are not counted."""
        y = np.asarray(y)
        if mask is not None:
            y, p = y[mask], p[mask]
        if p.shape[-1] == 1:
            p1 = p[..., 0]
            threshold = 0.5 if p1.size == 0 or (p1.min() >= 0 and p1.max() <= 1) else 0.0  # else logits
            right = (p1 > threshold) == (y.reshape(p1.shape) > 0.5)
        else:
            labels = y.reshape(p.shape[:-1]) if y.ndim < p.ndim or y.shape[-1] == 1 else np.argmax(y, axis=-1)
            right = np.argmax(p, axis=-1) == labels
        return int(right.sum()), right.size

    def _logs(self, loss, y, p, mask=None):
        logs = {"loss": loss}
        if self.metrics:
            right, counted = self._correct(y, p, mask)
            logs["accuracy"] = right / counted if counted else 0.0
        return logs

    def _train_step(self, x, y):
        """One step on one batch: forward, loss, backward, optimizer. Returns (loss, predictions)."""
        p = self._forward(x, training=True)
        loss = self._loss_and_backward(y, p)
        self.optimizer.apply(self.params, self._grads())
        return loss, p

    def train_on_batch(self, x, y, return_dict=False):
        """One training step on one batch, as Keras's: the batch's loss before the step (a float), or
        ``[loss, accuracy]`` when compiled with ``metrics=["accuracy"]``, or a dict."""
        self._require_compiled()
        x, y = self._check_x(x), np.asarray(y)
        loss, p = self._train_step(x, y)
        logs = self._logs(loss, y, p, self._output_mask(p))
        return self._keras_result(logs, return_dict)

    def test_on_batch(self, x, y, return_dict=False):
        """Loss (and accuracy) of one batch in inference mode, as Keras's; nothing is trained."""
        return self.evaluate(x, y, batch_size=max(len(x), 1), return_dict=return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch, in inference mode, as Keras's."""
        return self.predict(x, batch_size=max(len(x), 1))

    @staticmethod
    def _keras_result(logs, return_dict):
        return logs if return_dict else (list(logs.values()) if len(logs) > 1 else logs["loss"])

    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, validation_data=None, validation_split=0.0,
            shuffle=True, callbacks=None, seed=0):
        """Train; returns a :class:`History`.

        Parameters
        ----------
        x : (n, T) token ids (a model starting with an Embedding) or (n, ...) floats
        y : (n,) or (n, ...) labels, as the loss expects
        batch_size, epochs : int
        verbose : 0 (silent), 1 or "auto" (a progress bar per epoch), 2 (one line per epoch, for log files)
        validation_data : (x_val, y_val) or None;  validation_split : float, used when no validation_data
        shuffle : bool;  seed : int, the shuffling's seed
        callbacks : list of :mod:`lstmx.callbacks` (``EarlyStopping``, ``ModelCheckpoint``, ...) or
            functions ``fn(epoch, logs)``, called after every epoch (``epoch`` from 0, as in Keras)

        Raises
        ------
        FloatingPointError
            When the loss becomes NaN or inf, naming the epoch and the batch.
        """
        with one_blas_thread():    # the kernels bring their own threads (see lstmx._blas_threads)
            return self._fit(x, y, batch_size, epochs, verbose, validation_data, validation_split, shuffle,
                             callbacks, seed)

    def _fit(self, x, y, batch_size, epochs, verbose, validation_data, validation_split, shuffle, callbacks, seed):
        self._require_compiled()
        verbose = _check_verbose(verbose)
        batch_size = check_positive_int("batch_size", batch_size)
        epochs = check_nonnegative_int("epochs", epochs)
        x = self._check_x(x)
        y = np.asarray(y)
        if len(x) == 0:
            raise ValueError("fit got no training data (x is empty)")
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        if validation_split and validation_data is None:   # the last fraction, before any shuffling (Keras)
            split = int(len(x) * (1 - validation_split))
            if split == 0 or split == len(x):
                raise ValueError(f"validation_split={validation_split} of {len(x)} samples leaves {split} for "
                                 f"training and {len(x) - split} for validation; both need at least one")
            x, y, validation_data = x[:split], y[:split], (x[split:], y[split:])
        validation_data = self._check_validation_data(validation_data)
        if self.input_shape is None:
            self.build(x.shape)
        rng = np.random.default_rng(seed)
        batches = (len(x) + batch_size - 1) // batch_size
        history = self.history = History(dict(verbose=verbose, epochs=epochs, steps=batches))
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            callbacks = [callbacks]   # one callback on its own, as Keras takes it
        callbacks = [_callbacks.as_callback(cb) for cb in callbacks or []]
        self.stop_training = False
        for cb in callbacks:
            cb.set_model(self)
            cb.on_train_begin({})
        logs = {}
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
            bar = ProgressBar(batches, epoch, epochs, redraw=verbose == 1) if verbose else None
            total_loss = seen = 0.0
            total_right = total_counted = 0
            for k in range(batches):
                idx = order[k * batch_size:(k + 1) * batch_size]
                loss, p = self._train_step(x[idx], y[idx])
                if not np.isfinite(loss):
                    raise FloatingPointError(
                        f"the loss became {loss} at epoch {epoch}, batch {k + 1}/{batches}: the gradients "
                        f"probably exploded; try a smaller learning rate or clipnorm=1.0 in the optimizer")
                total_loss += loss * len(idx)
                if self.metrics:
                    right, counted = self._correct(y[idx], p, self._output_mask(p))
                    total_right, total_counted = total_right + right, total_counted + counted
                seen += len(idx)
                logs = {"loss": total_loss / seen}
                if self.metrics:
                    logs["accuracy"] = total_right / total_counted if total_counted else 0.0
                if bar and (k + 1 == batches or (verbose == 1 and k % 10 == 0)):
                    bar.update(k + 1, logs, final=k + 1 == batches)
            if validation_data is not None:
                val = self.evaluate(*validation_data, batch_size=batch_size, verbose=0, return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
                if verbose:
                    print("  " + " - ".join(f"val_{k}: {v:.4f}" for k, v in val.items()))
            history.append(epoch - 1, logs)   # Keras counts epochs from 0 here, from 1 on the screen
            for cb in callbacks:
                cb.on_epoch_end(epoch - 1, logs)
            if self.stop_training:
                break
        for cb in callbacks:
            cb.on_train_end(logs)
        return history

    def _check_validation_data(self, validation_data):
        """``(x_val, y_val)`` checked before training starts, not after the first epoch."""
        if validation_data is None:
            return None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            got = f"a {type(validation_data).__name__}" + (
                f" of {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else "")
            raise ValueError(f"validation_data must be a pair (x_val, y_val), got {got}")
        try:
            x_val = self._check_x(validation_data[0])
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"validation_data: {exc}") from None
        y_val = np.asarray(validation_data[1])
        if len(x_val) == 0 or len(x_val) != len(y_val):
            raise ValueError(f"validation_data: x_val has {len(x_val)} samples and y_val {len(y_val)}; they must "
                             f"match and not be empty")
        return x_val, y_val

    def predict(self, x, batch_size=32, verbose=0):
        """Outputs for ``x``, in batches, in inference mode (no dropout).

        ``verbose`` 1, 2 or "auto" prints one line when done: batches, seconds and time per batch.
        """
        verbose = _check_verbose(verbose)
        start = time.perf_counter()
        outputs = self._predict(x, batch_size)[0]
        if verbose:
            batches = -(-len(outputs) // batch_size)
            seconds = time.perf_counter() - start
            print(f"{batches}/{batches} - {seconds:.1f}s - {1000 * seconds / batches:.0f}ms/step")
        return outputs

    def _predict(self, x, batch_size):
        """Outputs for ``x``; the logits when the loss is computed from them, and the mask of
        per-step outputs (each None when there is none)."""
        with one_blas_thread():    # the kernels bring their own threads (see lstmx._blas_threads)
            return self._predict_batches(x, batch_size)

    def _predict_batches(self, x, batch_size):
        x = self._check_x(x)
        batch_size = check_positive_int("batch_size", batch_size)
        if len(x) == 0:
            raise ValueError(f"x is empty (shape {x.shape}): there is nothing to predict or evaluate")
        outputs, logits, masks = [], [], []
        for k in range(0, len(x), batch_size):
            outputs.append(self._forward(x[k:k + batch_size]))
            z, mask = self._output_logits(), self._output_mask(outputs[-1])
            if z is not None:
                logits.append(z)
            if mask is not None:
                masks.append(mask)
        return (np.concatenate(outputs), np.concatenate(logits) if logits else None,
                np.concatenate(masks) if masks else None)

    def evaluate(self, x, y, batch_size=32, verbose=0, return_dict=False):
        """Loss (and accuracy, if compiled with it) over ``x``; a list ``[loss, accuracy]`` or a dict.
        ``verbose`` 1, 2 or "auto" prints them."""
        self._require_compiled()
        verbose = _check_verbose(verbose)
        y = np.asarray(y)
        p, logits, mask = self._predict(x, batch_size)
        loss, _ = self._loss(y, p, logits, mask)
        logs = self._logs(loss, y, p, mask)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        return self._keras_result(logs, return_dict)

    # ---- saving ----
    def get_config(self):
        return dict(format=FORMAT, input_shape=self.input_shape,
                    layers=[dict(class_name=type(layer).__name__, config=layer.get_config()) for layer in self.layers],
                    compile=None if self.loss is None else dict(loss=self.loss_name, metrics=self.metrics,
                                                                optimizer=type(self.optimizer).__name__,
                                                                optimizer_config=self.optimizer.get_config()))

    def save(self, path):
        """Write the architecture (JSON) and weights to one ``.npz`` file, atomically: a failed save
        leaves any existing file untouched."""
        arrays = {f"param:{k}": v for k, v in self.all_params().items()}
        arrays["config"] = np.frombuffer(json.dumps(self.get_config()).encode(), np.uint8)
        with atomic_write(path, "the model") as f:
            np.savez(f, **arrays)

    def all_params(self):
        """Every parameter (trainable or not), keyed ``"<layer index>/<name>"``."""
        return {f"{i}/{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    def get_weights(self):
        """Copies of every parameter, in layer order (Keras's ``get_weights``)."""
        return [p.copy() for p in self.all_params().values()]

    def set_weights(self, weights):
        """Copy ``weights`` (as :meth:`get_weights` returns them) into the parameters, in place: the
        gate views (``cell.W_f``, ...) and the optimizer's state keep pointing at them."""
        copy_weights(self.all_params(), weights, "Sequential")


def _layer_from_config(entry):
    name, config = entry["class_name"], dict(entry["config"])
    if name not in LAYER_CLASSES:
        raise ValueError(f"unknown layer {name!r} in the model file")
    if name == "Bidirectional":
        return Bidirectional(_layer_from_config(config["layer"]), merge_mode=config["merge_mode"])
    return LAYER_CLASSES[name](**config)


def load_model(path):
    """Read a model written by :meth:`Sequential.save`.

    Raises
    ------
    ValueError
        If the file is not an lstmx model (not an ``.npz``, truncated, or without lstmx's config).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with open(path, "rb") as f:
            data = f.read()
        archive = np.load(io.BytesIO(data), allow_pickle=False)
        files = archive.files
        config = json.loads(bytes(archive["config"]).decode()) if "config" in files else None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        # np.load takes a file that is neither .npz nor .npy for a pickle, and its message then offers
        # allow_pickle=True: not advice to pass on about a file that is not a model
        detail = "neither a .npz archive nor a .npy array" if "pickled" in str(exc) else str(exc)
        raise ValueError(f"{path} is not an lstmx model file (expected a .npz written by model.save): "
                         f"{detail}") from None
    if not config or config.get("format") != FORMAT:
        raise ValueError(f"{path} is not an lstmx model file (no lstmx config inside)")
    model = Sequential([_layer_from_config(e) for e in config["layers"]])
    if config["input_shape"] is not None:
        model.build(tuple(config["input_shape"]))
        params = model.all_params()
        for key, p in params.items():
            name = f"param:{key}"
            if name not in files or archive[name].shape != p.shape:
                raise ValueError(f"{path}: parameter {key} is missing or has the wrong shape")
            p[...] = archive[name]
    if config["compile"]:
        c = config["compile"]
        optimizer = getattr(_optimizers, c["optimizer"])(**c["optimizer_config"])
        model.compile(c["loss"], optimizer, c["metrics"])
    return model
