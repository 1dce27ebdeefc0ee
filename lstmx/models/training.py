"""``Model``: a graph of layers trained with losses and an optimizer, in Keras's words.

One training step, as :meth:`Model.train_on_batch` and ``fit`` run it::

    outputs, masks, trace = run_forward(graph, inputs, training=True)   # every node, in order
    loss, output_grads = the losses of the outputs, and their gradients # masked steps left out
    param_grads = run_backward(trace, output_grads)                     # every node, in reverse
    optimizer.apply(params, param_grads)

Everything is seeded. While ``fit``, ``evaluate`` and ``predict`` run, NumPy's BLAS is held at one
thread: the kernels bring their own two (see ``lstmx/_blas_threads.py``).
"""
import sys
import time

import numpy as np

from .. import callbacks as _callbacks
from .. import losses as _losses
from .. import optimizers as _optimizers
from .._blas_threads import one_blas_thread
from .._progress import redraws
from .._validation import check_nonnegative_int, check_positive_int
from ..layers.base import copy_weights, snake_case
from ..layers.dense import Dense
from ..layers.symbolic import InputLayer
from .graph import Graph, run_backward, run_forward

# The losses computed from the logits under a Dense output's activation, as Keras on TensorFlow does.
FROM_LOGITS = {("sigmoid", _losses.binary_crossentropy), ("softmax", _losses.categorical_crossentropy),
               ("softmax", _losses.sparse_categorical_crossentropy)}


class History:
    """``history.history`` maps 'loss', 'accuracy', 'val_loss', 'val_accuracy' (and, for a model
    with several outputs, '<output>_loss', '<output>_accuracy', ...) to per-epoch lists;
    ``history.epoch`` lists the epochs run, from 0, and ``history.params`` the run's ``verbose``,
    ``epochs`` and ``steps`` (batches per epoch), as Keras's. ``fit`` also keeps it as ``model.history``.

    Parameters
    ----------
    params : dict or None, default None
        The run's settings, kept (copied) as ``history.params``; ``fit`` passes ``verbose``,
        ``epochs`` and ``steps``.
    """

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
    """One line per epoch: ``12/782 [=>....] 3s loss: 0.6931 - accuracy: 0.5000``, redrawn in place
    when ``redraw`` (``fit(verbose=1)`` in a terminal or a notebook), else written once, when done."""

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


def _as_list(value, names, what, settings=False):
    """``value`` (one item, a list, or a dict keyed by ``names``) as a list aligned with ``names``.

    For one name, a one-element list holding an array is taken as that array (Keras's
    ``fit(x=[a])``); any other value is the item itself (a list of token-id lists is data).
    ``settings``: compile's per-output settings, where a one-element list always holds the item."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"no {what} is named {unknown[0]!r}; the model's {what}s are {names}")
        return [value.get(n) for n in names]
    if len(names) == 1:
        one = isinstance(value, (list, tuple)) and len(value) == 1 and (
            isinstance(value[0], np.ndarray) or settings)
        return [value[0] if one else value]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"the model has {len(names)} {what}s ({', '.join(names)}): give a list or a dict "
                         f"keyed by their names, got one {type(value).__name__}")
    if len(value) != len(names):
        raise ValueError(f"the model has {len(names)} {what}s ({', '.join(names)}), got a list of {len(value)}")
    return list(value)


class Model:
    """Keras's functional model: the layers between ``inputs`` and ``outputs``.

    >>> x = lstmx.Input(shape=(None,), dtype="int32")                         # doctest: +SKIP
    >>> h = lstmx.LSTM(64)(lstmx.Embedding(10000, 32, mask_zero=True)(x))     # doctest: +SKIP
    >>> model = lstmx.Model(x, lstmx.Dense(1, "sigmoid")(h))                  # doctest: +SKIP

    Parameters
    ----------
    inputs : an :class:`~lstmx.Input`, or a list of them
    outputs : a symbolic tensor (a layer's output), or a list of them
    name : str or None

    A layer called at several places (one embedding for two inputs) keeps one cache a call, and its
    parameter gradients are summed over the calls. Masks flow along the edges as Keras's
    ``compute_mask`` makes them, and masked steps of an output leave its loss and its accuracy.
    """

    def __init__(self, inputs, outputs, name=None):
        self.name = name
        self._single_input = not isinstance(inputs, (list, tuple))
        self._single_output = not isinstance(outputs, (list, tuple))
        self._set_graph(Graph([inputs] if self._single_input else list(inputs),
                              [outputs] if self._single_output else list(outputs)))
        self._init_training_state()

    def _init_training_state(self):
        # What a model needs beside its weights to be used (a character language model's vocabulary):
        # JSON-able values, saved in the model file and read back by load_model.
        self.metadata = {}
        self.loss = self.optimizer = None
        self.losses, self.loss_weights, self.output_metrics = [], [], []
        self.metrics = []
        self.stop_training = False   # a callback sets it to end fit after the current epoch
        self.history = None          # the History of the last fit

    def _set_graph(self, graph):
        self.graph = graph
        self.inputs, self.outputs = graph.inputs, graph.outputs
        _name_layers([t.node.layer for t in graph.inputs] + graph.layers)
        self.input_names = [t.node.layer.name for t in graph.inputs]
        self.output_names = _output_names(graph.outputs)

    # ---- layers and parameters ----
    @property
    def layers(self):
        """The layers, in the order they run (a functional model's Input layers first, as Keras's)."""
        return [t.node.layer for t in self.inputs] + self.graph.layers

    def get_layer(self, name):
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the model's layers are {[l.name for l in self.layers]}")

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if self._single_input else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if self._single_output else shapes

    @property
    def params(self):
        """All trainable parameters, keyed ``"<layer name>/<parameter>"``."""
        return {f"{layer.name}/{k}": v for layer in self.graph.layers if layer.trainable
                for k, v in layer.params.items()}

    def all_params(self):
        """Every parameter (trainable or not), keyed ``"<layer name>/<parameter>"``."""
        return {f"{layer.name}/{k}": v for layer in self.graph.layers for k, v in layer.params.items()}

    def count_params(self):
        return sum(layer.count_params() for layer in self.graph.layers)

    def _repr_html_(self):
        """In Jupyter, a model shows as its summary in an HTML table."""
        from .summary import summary_html
        return summary_html(self)

    def reset_states(self):
        """Forget the carried state of every stateful recurrent layer (Keras's ``reset_states``):
        the next batch starts from zeros."""
        for layer in self.layers:
            if hasattr(layer, "reset_states"):
                layer.reset_states()

    def get_weights(self):
        """Copies of every parameter, in layer order (Keras's ``get_weights``)."""
        return [p.copy() for p in self.all_params().values()]

    def set_weights(self, weights):
        """Copy ``weights`` (as :meth:`get_weights` returns them) into the parameters, in place: the
        gate views (``cell.W_f``, ...) and the optimizer's state keep pointing at them."""
        copy_weights(self.all_params(), weights, type(self).__name__)

    def summary(self, print_fn=print):
        """Print each layer's name and type, output shape, parameter count and, for a graph, the
        layers it reads ("Connected to"), as Keras does; returns the text."""
        from .summary import summary_text
        text = summary_text(self)
        print_fn(text)
        return text

    # ---- compiling ----
    def compile(self, loss, optimizer="adam", metrics=None, loss_weights=None):
        """Set the loss(es), the optimizer and the metrics.

        Parameters
        ----------
        loss : a name ('binary_crossentropy', 'categorical_crossentropy',
            'sparse_categorical_crossentropy', 'mse') or a function, for every output; or a list (one
            per output) or a dict keyed by output name (an output left out has no loss)
        optimizer : a name ('adam', 'sgd', 'rmsprop', 'adagrad') or an optimizer object
        metrics : ['accuracy'], for every output; or a dict keyed by output name
        loss_weights : a list or a dict of floats: the total loss is the weighted sum
        """
        names = self.output_names
        losses = _as_list(loss, names, "output", True) if isinstance(loss, (list, tuple, dict)) else [loss] * len(names)
        self.losses = [None if l is None else _losses.get(l) for l in losses]
        self.loss_names = [None if l is None else (l if isinstance(l, str) else getattr(l, "__name__", "loss"))
                           for l in losses]
        if all(l is None for l in self.losses):
            raise ValueError("compile needs a loss for at least one output")
        weights = [1.0] * len(names) if loss_weights is None else _as_list(loss_weights, names, "output", True)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        if isinstance(metrics, dict):
            per_output = _as_list(metrics, names, "output", True)
        else:       # one list for every output that has a loss (one without has no labels to score)
            per_output = [metrics if l is not None else None for l in self.losses]
        self.output_metrics = []
        for m in per_output:
            m = [] if m is None else [m] if isinstance(m, str) else list(m)
            for name in m:
                if name not in ("accuracy", "acc"):
                    raise ValueError(f"unknown metric {name!r}; lstmx knows 'accuracy'")
            self.output_metrics.append(m)
        self.metrics = self.output_metrics[0] if len(names) == 1 else metrics
        self.loss = self.losses[0]
        self.loss_name = self.loss_names[0] if len(names) == 1 else self.loss_names
        self.optimizer = _optimizers.get(optimizer)

    def _require_compiled(self):
        if self.optimizer is None:
            raise RuntimeError("the model must be compiled before training or evaluating: call "
                               "model.compile(loss=..., optimizer=...)")

    # ---- inputs and labels ----
    def _check_inputs(self, x):
        """``x`` as a list of arrays, one per input, each checked against its Input."""
        xs = _as_list(x, self.input_names, "input")
        checked = []
        for t, name, a in zip(self.inputs, self.input_names, xs):
            checked.append(_check_input_array(t, name, a, self._first_reader(t)))
        n = {len(a) for a in checked}
        if len(n) > 1:
            raise ValueError(f"the inputs have different numbers of samples: "
                             f"{dict(zip(self.input_names, (len(a) for a in checked)))}")
        return checked

    def _first_reader(self, tensor):
        for node in self.graph.nodes:
            if any(t is tensor for t in node.inputs):
                return node.layer
        return None

    def _check_labels(self, y):
        ys = _as_list(y, self.output_names, "output")
        out = []
        for name, loss, a in zip(self.output_names, self.losses, ys):
            if a is None:
                if loss is not None:
                    raise ValueError(f"no labels for output {name!r}, which has a loss")
                out.append(None)
                continue
            a = np.asarray(a)
            if a.dtype.kind not in "biuf":
                raise TypeError(f"labels must be numbers (ints, floats or bools), got dtype {a.dtype} for output "
                                f"{name!r}" + (" (is there a None or a string among them?)" if a.dtype.kind in "OUS"
                                               else ""))
            out.append(a)
        return out

    # ---- one step ----
    def _from_logits(self, k):
        """Whether output ``k``'s loss is computed from the logits under its Dense's activation.

        Keras on TensorFlow computes binary cross-entropy after a sigmoid, and categorical
        cross-entropy after a softmax, from the logits under that activation. The loss is then exact
        for confident predictions, and its gradient with respect to the logits is ``(p - y) / n``.
        From clipped probabilities, a confidently wrong prediction (p within 1e-7 of the wrong label)
        would get no gradient at all. Only for an output that no other layer reads.
        """
        t = self.outputs[k]
        layer = t.node.layer
        return (isinstance(layer, Dense) and (layer.activation, self.losses[k]) in FROM_LOGITS
                and self.graph.consumers.get(id(t), 0) == 0
                and sum(o is t for o in self.outputs) == 1)

    def _loss(self, k, y, pred, mask=None, from_logits=False):
        """(loss, its gradient) of output ``k``: with respect to the logits ``pred`` when
        ``from_logits``. With the ``mask`` of per-step outputs, the loss is the mean over the steps
        it keeps, as Keras computes it, and the masked steps get no gradient."""
        loss_fn, kwargs = self.losses[k], ({"from_logits": True} if from_logits else {})
        if mask is None or np.ndim(pred) < 3:
            return loss_fn(y, pred, **kwargs)
        mask = np.asarray(mask, bool)
        y = np.asarray(y)
        if y.shape[:mask.ndim] != mask.shape:
            raise ValueError(f"labels of shape {y.shape} do not match per-step predictions of shape {pred.shape}: "
                             f"expected labels starting with (batch, time) = {mask.shape}")
        grad = np.zeros_like(pred)
        if not mask.any():
            return 0.0, grad
        loss, grad[mask] = loss_fn(y[mask], pred[mask], **kwargs)
        return loss, grad

    def _losses(self, ys, outputs, masks, logits):
        """The total loss, each output's, and the gradients to start the backward pass from."""
        total, per_output, output_grads, logit_grads = 0.0, [], {}, {}
        for k, (t, y, out, mask) in enumerate(zip(self.outputs, ys, outputs, masks)):
            if self.losses[k] is None:
                per_output.append(None)
                continue
            z = logits[k]
            loss, grad = self._loss(k, y, out if z is None else z, mask, from_logits=z is not None)
            w = self.loss_weights[k]
            total += w * loss
            per_output.append(loss)
            grad = grad if w == 1.0 else grad * np.asarray(w, grad.dtype)
            target = output_grads if z is None else logit_grads
            target[id(t)] = grad if id(t) not in target else target[id(t)] + grad
        return total, per_output, output_grads, logit_grads

    def _output_logits(self, trace):
        """For each output, the logits of its Dense when its loss is computed from them, else None."""
        caches = {id(node): cache for node, cache in trace}
        return [caches[id(t.node)]["z"] if self.losses and self.losses[k] is not None and self._from_logits(k)
                else None for k, t in enumerate(self.outputs)]

    def compute_gradients(self, x, y, training=True):
        """The loss of one batch and the gradient of every trainable parameter (keyed as
        :attr:`params`), without changing the model: one training step but the optimizer's update.
        With ``training=True`` dropout is on, as in ``fit``."""
        self._require_compiled()
        xs, ys = self._check_inputs(x), self._check_labels(y)
        self._build_for(xs)
        loss, _, _, _, grads = self._gradients(xs, ys, training)
        return loss, grads

    def _gradients(self, xs, ys, training=True):
        """Forward, losses, backward. Returns (loss, per-output losses, outputs, output masks,
        gradients keyed as ``params``)."""
        outputs, masks, trace = run_forward(self.graph, xs, training=training)
        loss, per_output, output_grads, logit_grads = self._losses(ys, outputs, masks, self._output_logits(trace))
        param_grads = run_backward(trace, output_grads, logit_grads)
        grads = {f"{layer.name}/{k}": g for layer, layer_grads in param_grads.items() if layer.trainable
                 for k, g in layer_grads.items()}
        return loss, per_output, outputs, masks, grads

    def _train_step(self, xs, ys):
        """One step on one batch: forward, losses, backward, optimizer.

        Returns (loss, per-output losses, outputs, output masks)."""
        loss, per_output, outputs, masks, grads = self._gradients(xs, ys)
        params = self.params
        self.optimizer.apply({k: params[k] for k in grads}, grads)
        return loss, per_output, outputs, masks

    # ---- metrics ----
    @staticmethod
    def _correct(y, p, mask=None):
        """(predictions right, predictions counted) for 'accuracy', which is Keras's choice by shape:
        binary when the predictions have one column, sparse categorical when the labels are class
        ids (one axis fewer, or one column), else categorical. Masked steps are not counted."""
        y = np.asarray(y)
        if mask is not None and np.ndim(p) >= 3:
            mask = np.asarray(mask, bool)
            y, p = y[mask], p[mask]
        if p.shape[-1] == 1:
            p1 = p[..., 0]
            threshold = 0.5 if p1.size == 0 or (p1.min() >= 0 and p1.max() <= 1) else 0.0  # else logits
            right = (p1 > threshold) == (y.reshape(p1.shape) > 0.5)
        else:
            labels = y.reshape(p.shape[:-1]) if y.ndim < p.ndim or y.shape[-1] == 1 else np.argmax(y, axis=-1)
            right = np.argmax(p, axis=-1) == labels
        return int(right.sum()), right.size

    def _log_names(self):
        """Keras's names in logs and History: 'loss', 'accuracy' for one output; 'loss' and
        '<output>_loss', '<output>_accuracy' for several."""
        single = len(self.outputs) == 1
        loss_names = ["loss" if single else f"{n}_loss" for n in self.output_names]
        metric_names = [[("" if single else f"{n}_") + ("accuracy" if m == "acc" else m) for m in ms]
                        for n, ms in zip(self.output_names, self.output_metrics)]
        return loss_names, metric_names

    class _Totals:
        """Running sums over an epoch's batches: each loss weighted by its batch size, and the
        right/counted predictions of each accuracy."""

        def __init__(self, model):
            self.model, self.seen = model, 0
            self.loss, self.output_loss = 0.0, [0.0] * len(model.outputs)
            self.right = [[0] * len(m) for m in model.output_metrics]
            self.counted = [[0] * len(m) for m in model.output_metrics]

        def add(self, n, loss, per_output, ys, outputs, masks):
            self.seen += n
            self.loss += loss * n
            for k, l in enumerate(per_output):
                if l is not None:
                    self.output_loss[k] += l * n
            for k, metrics in enumerate(self.model.output_metrics):
                for j, _ in enumerate(metrics):
                    right, counted = self.model._correct(ys[k], outputs[k], masks[k])
                    self.right[k][j] += right
                    self.counted[k][j] += counted

        def logs(self):
            loss_names, metric_names = self.model._log_names()
            logs = {"loss": self.loss / max(self.seen, 1)}
            if len(self.model.outputs) > 1:
                for k, name in enumerate(loss_names):
                    if self.model.losses[k] is not None:
                        logs[name] = self.output_loss[k] / max(self.seen, 1)
            for k, names in enumerate(metric_names):
                for j, name in enumerate(names):
                    logs[name] = self.right[k][j] / self.counted[k][j] if self.counted[k][j] else 0.0
            return logs

    # ---- Keras's batch methods ----
    def train_on_batch(self, x, y, return_dict=False):
        """One training step on one batch, as Keras's: the batch's loss before the step (a float), or
        ``[loss, accuracy, ...]`` when compiled with metrics, or a dict."""
        self._require_compiled()
        xs, ys = self._check_inputs(x), self._check_labels(y)
        self._build_for(xs)
        totals = self._Totals(self)
        with one_blas_thread():    # as in fit: OpenBLAS's threads beside the kernels' slow every GEMM down
            loss, per_output, outputs, masks = self._train_step(xs, ys)
        totals.add(len(xs[0]), loss, per_output, ys, outputs, masks)
        return self._keras_result(totals.logs(), return_dict)

    def test_on_batch(self, x, y, return_dict=False):
        """Loss (and accuracy) of one batch in inference mode, as Keras's; nothing is trained."""
        xs = self._check_inputs(x)
        return self.evaluate(x, y, batch_size=max(len(xs[0]), 1), return_dict=return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch, in inference mode, as Keras's."""
        xs = self._check_inputs(x)
        return self.predict(x, batch_size=max(len(xs[0]), 1))

    @staticmethod
    def _keras_result(logs, return_dict):
        return logs if return_dict else (list(logs.values()) if len(logs) > 1 else logs["loss"])

    def _build_for(self, xs):
        """A functional model is built when it is made; a Sequential one from its first inputs."""

    # ---- fit, evaluate, predict ----
    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, validation_data=None, validation_split=0.0,
            shuffle=True, callbacks=None, seed=0):
        """Train; returns a :class:`History`.

        Parameters
        ----------
        x : (n, T) token ids (a model starting with an Embedding) or (n, ...) floats; for a model with
            several inputs, a list of arrays or a dict keyed by input name
        y : (n,) or (n, ...) labels, as the loss expects; a list or a dict keyed by output name for
            several outputs
        batch_size, epochs : int
        verbose : 0 (silent), 1 or "auto" (a progress bar per epoch, redrawn in a terminal or a notebook;
            one line per epoch when the output goes to a file or a pipe), 2 (one line per epoch)
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
        xs, ys = self._check_inputs(x), self._check_labels(y)
        n = len(xs[0])
        if n == 0:
            raise ValueError("fit got no training data (x is empty)")
        for name, a in zip(self.output_names, ys):
            if a is not None and len(a) != n:
                raise ValueError(f"x has {n} samples but y has {len(a)}" +
                                 (f" (output {name!r})" if len(ys) > 1 else ""))
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        if validation_split and validation_data is None:   # the last fraction, before any shuffling (Keras)
            split = int(n * (1 - validation_split))
            if split == 0 or split == n:
                raise ValueError(f"validation_split={validation_split} of {n} samples leaves {split} for "
                                 f"training and {n - split} for validation; both need at least one")
            validation_data = ([a[split:] for a in xs], [None if a is None else a[split:] for a in ys])
            xs, ys, n = [a[:split] for a in xs], [None if a is None else a[:split] for a in ys], split
        validation_data = self._check_validation_data(validation_data)
        self._build_for(xs)
        rng = np.random.default_rng(seed)
        batches = (n + batch_size - 1) // batch_size
        redraw = verbose == 1 and redraws(sys.stdout)     # a file or a pipe gets one line per epoch
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
            order = rng.permutation(n) if shuffle else np.arange(n)
            bar = ProgressBar(batches, epoch, epochs, redraw=redraw) if verbose else None
            totals = self._Totals(self)
            for k in range(batches):
                idx = order[k * batch_size:(k + 1) * batch_size]
                bx, by = [a[idx] for a in xs], [None if a is None else a[idx] for a in ys]
                loss, per_output, outputs, masks = self._train_step(bx, by)
                if not np.isfinite(loss):
                    raise FloatingPointError(
                        f"the loss became {loss} at epoch {epoch}, batch {k + 1}/{batches}: the gradients "
                        f"probably exploded; try a smaller learning rate or clipnorm=1.0 in the optimizer")
                totals.add(len(idx), loss, per_output, by, outputs, masks)
                if bar and (k + 1 == batches or (redraw and k % 10 == 0)):
                    bar.update(k + 1, totals.logs(), final=k + 1 == batches)
            logs = totals.logs()
            if validation_data is not None:
                val = self._evaluate_lists(*validation_data, batch_size)
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
            xs = self._check_inputs(validation_data[0])
            ys = self._check_labels(validation_data[1])
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"validation_data: {exc}") from None
        n = len(xs[0])
        if n == 0 or any(a is not None and len(a) != n for a in ys):
            raise ValueError(f"validation_data: x_val has {n} samples and y_val "
                             f"{[len(a) for a in ys if a is not None][0]}; they must match and not be empty")
        return xs, ys

    def predict(self, x, batch_size=32, verbose=0):
        """Outputs for ``x``, in batches, in inference mode (no dropout): an array, or a list of
        arrays for a model with several outputs.

        ``verbose`` 1, 2 or "auto" prints one line when done: batches, seconds and time per batch.
        """
        verbose = _check_verbose(verbose)
        start = time.perf_counter()
        xs = self._check_inputs(x)
        outputs = self._predict(xs, batch_size)[0]
        if verbose:
            batches = -(-len(xs[0]) // batch_size)
            seconds = time.perf_counter() - start
            print(f"{batches}/{batches} - {seconds:.1f}s - {1000 * seconds / batches:.0f}ms/step")
        return outputs[0] if self._single_output else outputs

    def _predict(self, xs, batch_size):
        """Per output: the outputs for ``xs``, the logits when the loss is computed from them, and
        the masks of per-step outputs (None where there are none)."""
        with one_blas_thread():    # the kernels bring their own threads (see lstmx._blas_threads)
            return self._predict_batches(xs, batch_size)

    def _predict_batches(self, xs, batch_size):
        batch_size = check_positive_int("batch_size", batch_size)
        n = len(xs[0])
        if n == 0:
            raise ValueError(f"x is empty (shape {xs[0].shape}): there is nothing to predict or evaluate")
        self._build_for(xs)
        k_out = len(self.outputs)
        outputs, logits, masks = [[] for _ in range(k_out)], [[] for _ in range(k_out)], [[] for _ in range(k_out)]
        for start in range(0, n, batch_size):
            out, out_masks, trace = run_forward(self.graph, [a[start:start + batch_size] for a in xs])
            z = self._output_logits(trace)
            for k in range(k_out):
                outputs[k].append(out[k])
                logits[k].append(z[k])
                masks[k].append(out_masks[k])
        join = lambda parts: None if any(p is None for p in parts) else np.concatenate(parts)
        return [np.concatenate(o) for o in outputs], [join(z) for z in logits], [join(m) for m in masks]

    def evaluate(self, x, y, batch_size=32, verbose=0, return_dict=False):
        """Loss (and accuracy, if compiled with it) over ``x``; a list ``[loss, accuracy, ...]`` or a
        dict. ``verbose`` 1, 2 or "auto" prints them."""
        self._require_compiled()
        verbose = _check_verbose(verbose)
        logs = self._evaluate_lists(self._check_inputs(x), self._check_labels(y), batch_size)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        return self._keras_result(logs, return_dict)

    def _evaluate_lists(self, xs, ys, batch_size):
        outputs, logits, masks = self._predict(xs, batch_size)
        total, per_output, _, _ = self._losses(ys, outputs, masks, logits)
        totals = self._Totals(self)
        totals.add(len(xs[0]), total, per_output, ys, outputs, masks)
        return totals.logs()

    # ---- saving ----
    def get_config(self):
        from .saving import model_config
        return model_config(self)

    def save(self, path):
        """Write the architecture (JSON) and weights to one ``.npz`` file, atomically: a failed save
        leaves any existing file untouched. No pickle: :func:`lstmx.load_model` reads it back."""
        from .saving import save_model
        save_model(self, path)


def as_input_array(a, float_only=False):
    """``np.asarray(a)``, with a message for ragged lists; with ``float_only``, a TypeError unless floats."""
    try:
        a = np.asarray(a)
    except ValueError:   # ragged lists
        raise ValueError("model input must be a rectangular array; pad sequences of different lengths "
                         "(lstmx.text.pad_sequences) first") from None
    if float_only and a.dtype.kind != "f":
        raise TypeError(f"model input must be a float array, got dtype {a.dtype}")
    return a


def _check_input_array(tensor, name, a, reader):
    """One input array, checked against its Input: token ids for an integer Input, else floats."""
    from ..layers.embedding import Embedding
    wants_ids = tensor.dtype.kind in "iu" or isinstance(reader, Embedding)
    if wants_ids and isinstance(reader, Embedding):
        a = reader.check_ids(a)
    else:
        a = as_input_array(a)
        if wants_ids:
            if a.dtype.kind not in "iu":
                raise TypeError(f"input {name!r} takes integers (dtype {tensor.dtype}), got dtype {a.dtype}")
        elif a.dtype.kind != "f":
            raise TypeError(f"model input must be a float array, got dtype {a.dtype}" +
                            (f" (input {name!r})" if name else ""))
    want = tensor.shape[1:]
    # the rank must match, and a float input's features; a length may differ from the declared one
    # (Keras warns and runs), since the layers check what they need
    if a.ndim != len(want) + 1 or (not wants_ids and want and want[-1] is not None and a.shape[-1] != want[-1]):
        raise ValueError(f"input {name!r} expects arrays of shape {(None, *want)}, got {a.shape}")
    return a


def _name_layers(layers):
    """Give every unnamed layer Keras's default name, numbered within the model (``lstm``,
    ``lstm_1``, ...); refuse two layers of one name."""
    taken = {}
    for layer in layers:
        if layer.name is not None:
            other = taken.setdefault(layer.name, layer)
            if other is not layer:
                raise ValueError(f"two layers of the model are named {layer.name!r}: layer names must be unique")
    for layer in layers:
        if layer.name is None:
            base = "input_layer" if isinstance(layer, InputLayer) else snake_case(type(layer).__name__)
            name, k = base, 0
            while name in taken:
                k += 1
                name = f"{base}_{k}"
            layer.name = name
            taken[name] = layer


def _output_names(outputs):
    """Each output's name: its layer's, with ``:k`` for a layer with several outputs."""
    return [t.name for t in outputs]
