"""Bidirectional: run a recurrent layer forwards and a copy of it backwards, and merge the two."""
import numpy as np

from .base import Layer
from .recurrent import Recurrent

MERGE_MODES = ("concat", "sum", "mul", "ave")


class Bidirectional(Layer):
    """Keras's ``Bidirectional(layer, merge_mode)``.

    The forward layer reads the sequence from the first step, a copy with ``go_backwards=True``
    from the last; with ``return_sequences`` the backward outputs are put back in time order before
    merging, so step ``t`` of the output sees the whole sequence. Both get the same mask.

    Parameters
    ----------
    layer : LSTM, GRU or SimpleRNN (not yet built)
    merge_mode : 'concat' (default: output width 2H), 'sum', 'mul' or 'ave'
    """

    def __init__(self, layer, merge_mode="concat"):
        super().__init__()
        if not isinstance(layer, Recurrent):
            raise TypeError(f"Bidirectional wraps a recurrent layer (LSTM, GRU or SimpleRNN), "
                            f"got {type(layer).__name__}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
        if getattr(layer, "return_state", False):
            raise ValueError("Bidirectional does not support return_state=True")
        self.merge_mode = merge_mode
        config = layer.get_config()
        self.forward_layer = layer
        backward_seed = None if config["seed"] is None else config["seed"] + 1
        self.backward_layer = type(layer)(**{**config, "go_backwards": not config["go_backwards"],
                                             "seed": backward_seed})
        self.return_sequences = layer.return_sequences

    @property
    def params(self):
        p = {f"forward_{k}": v for k, v in self.forward_layer.params.items()}
        p.update({f"backward_{k}": v for k, v in self.backward_layer.params.items()})
        return p

    @property
    def built(self):
        return self.forward_layer.built

    @built.setter
    def built(self, value):
        pass

    def __call__(self, X, mask=None, training=False):
        yf = self.forward_layer(X, mask=mask, training=training)   # training: their input dropout
        yb = self.backward_layer(X, mask=mask, training=training)
        if self.return_sequences:
            yb = yb[:, ::-1]                    # back to time order
        self._yf, self._yb = yf, yb
        self.output_mask = mask if self.return_sequences else None
        m = self.merge_mode
        if m == "concat":
            return np.concatenate([yf, yb], axis=-1)
        return yf + yb if m == "sum" else yf * yb if m == "mul" else (yf + yb) / 2

    def backward(self, dY):
        H = self.forward_layer.units
        m = self.merge_mode
        if m == "concat":
            dyf, dyb = dY[..., :H], dY[..., H:]
        elif m == "sum":
            dyf = dyb = dY
        elif m == "mul":
            dyf, dyb = dY * self._yb, dY * self._yf
        else:
            dyf = dyb = dY / 2
        if self.return_sequences:
            dyb = dyb[:, ::-1]
        dX = self.forward_layer.backward(np.ascontiguousarray(dyf)) + self.backward_layer.backward(
            np.ascontiguousarray(dyb))
        self.grads = {f"forward_{k}": v for k, v in self.forward_layer.grads.items()}
        self.grads.update({f"backward_{k}": v for k, v in self.backward_layer.grads.items()})
        return dX

    def compute_output_shape(self, input_shape):
        H = self.forward_layer.units
        width = 2 * H if self.merge_mode == "concat" else H
        return (input_shape[0], input_shape[1], width) if self.return_sequences else (input_shape[0], width)

    def get_config(self):
        return dict(layer=dict(class_name=type(self.forward_layer).__name__, config=self.forward_layer.get_config()),
                    merge_mode=self.merge_mode)
