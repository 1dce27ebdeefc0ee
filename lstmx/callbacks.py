"""Callbacks for :meth:`Model.fit <lstmx.Model.fit>` (and ``Sequential.fit``), as Keras has them.

``fit`` calls each callback's ``on_train_begin()``, then ``on_epoch_end(epoch, logs)`` after every
epoch, then ``on_train_end()``. ``epoch`` counts from 0, as in Keras; ``logs`` holds the epoch's
``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` (those that exist). A callback stops the
training by setting ``model.stop_training = True``. A plain function ``fn(epoch, logs)`` in the list
is called as ``on_epoch_end``.
"""
import os
import warnings

from ._validation import check_nonnegative_int

_DIRECTIONS = {"loss": "min", "accuracy": "max", "acc": "max"}


class Callback:
    """The base class: override the hooks you need. ``self.model`` is the model being trained."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class LambdaCallback(Callback):
    """A callback made of functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Parameters
    ----------
    on_epoch_end : callable ``f(epoch, logs)`` or None
        Called after each epoch, with the epoch (from 0) and its logs (``{"loss": ..., "val_loss":
        ...}``). A plain function given to ``fit(callbacks=[...])`` becomes this.
    on_train_begin : callable ``f(logs)`` or None
        Called once, before the first epoch.
    on_train_end : callable ``f(logs)`` or None
        Called once, after the last epoch.
    """

    def __init__(self, on_epoch_end=None, on_train_begin=None, on_train_end=None):
        if on_epoch_end is not None:
            self.on_epoch_end = on_epoch_end
        if on_train_begin is not None:
            self.on_train_begin = on_train_begin
        if on_train_end is not None:
            self.on_train_end = on_train_end


def as_callback(cb):
    """``cb`` itself if it is a :class:`Callback`, a function wrapped as ``on_epoch_end``."""
    if isinstance(cb, Callback):
        return cb
    if callable(cb):
        return LambdaCallback(on_epoch_end=cb)
    raise TypeError(f"a callback must be a lstmx.callbacks.Callback or a function fn(epoch, logs), "
                    f"got {type(cb).__name__}")


def _direction(monitor, mode):
    """'min' or 'max': better is smaller for a loss, larger for an accuracy, as Keras's mode='auto'."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor[len("val_"):] if monitor.startswith("val_") else monitor
    for metric, direction in _DIRECTIONS.items():   # 'loss', or an output's: 'tags_loss', 'tags_accuracy'
        if name == metric or name.endswith("_" + metric):
            return direction
    raise ValueError(f"cannot tell whether {monitor!r} should go down or up: pass mode='min' or mode='max'")


def _better(mode, value, reference):
    """Whether ``value`` beats ``reference`` in this mode ('min': smaller is better)."""
    return value < reference if mode == "min" else value > reference


def _worst(mode):
    """The start of the best value so far: anything beats it."""
    return float("inf") if mode == "min" else -float("inf")


def _monitored(callback, logs):
    value = (logs or {}).get(callback.monitor)
    if value is None:
        warnings.warn(f"{type(callback).__name__} monitors {callback.monitor!r}, which this fit does not report; "
                      f"it reports {', '.join(logs or {}) or 'nothing'}", stacklevel=3)
    return value


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras's rules).

    Parameters
    ----------
    monitor : str
        A key of the epoch's logs, e.g. ``"val_loss"`` or ``"val_accuracy"``.
    min_delta : float
        A change smaller than this is no improvement.
    patience : int
        Epochs without improvement before stopping.
    verbose : int, default 0
        1 prints a line when training stops early and when the best weights are restored.
    mode : ``"auto"``, ``"min"`` or ``"max"``
        Whether smaller or larger is better; ``"auto"`` decides by the name.
    baseline : float or None
        The patience restarts only for values better than this as well.
    restore_best_weights : bool
        At the end of training, copy back the weights of the best epoch (in place: every gate view
        such as ``cell.W_f`` still looks into the restored weights).
    start_from_epoch : int
        Epochs to train before watching.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        self.patience = check_nonnegative_int("patience", patience)
        self.start_from_epoch = check_nonnegative_int("start_from_epoch", start_from_epoch)
        self.monitor, self.verbose, self.baseline = monitor, verbose, baseline
        self.restore_best_weights = restore_best_weights
        self.mode = _direction(monitor, mode)
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self.on_train_begin()

    def _is_improvement(self, value, reference):
        return _better(self.mode, value - self.min_delta, reference)

    def on_train_begin(self, logs=None):
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best = _worst(self.mode)
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(self, logs)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (:meth:`Sequential.save`, atomic) after every epoch, or only when it improves.

    Parameters
    ----------
    filepath : str
        May name the epoch (from 1) and any log, as Keras's: ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``.
    monitor : str, default "val_loss"
        A key of the epoch's logs, as in :class:`EarlyStopping`; used with ``save_best_only``.
    verbose : int, default 0
        1 prints a line at every save.
    save_best_only : bool, default False
        Save only when ``monitor`` is better than at every earlier save.
    mode : ``"auto"``, ``"min"`` or ``"max"``
        Whether smaller or larger ``monitor`` is better, as in :class:`EarlyStopping`.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, mode="auto"):
        self.filepath, self.monitor = os.fspath(filepath), monitor
        self.verbose, self.save_best_only = verbose, save_best_only
        self.mode = _direction(monitor, mode)
        self.best = _worst(self.mode)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            value = _monitored(self, logs)
            if value is None or not _better(self.mode, value, self.best):
                return
            self.best = value
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"ModelCheckpoint filepath {self.filepath!r} cannot be filled in: {exc!r}; it may "
                             f"name epoch and {', '.join(logs)}") from None
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.model.save(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved the model to {path}")
