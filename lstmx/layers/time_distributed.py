"""TimeDistributed: one layer applied to every step of a sequence, with the same weights.

The steps become samples: ``(B, T, ...)`` is reshaped to ``(B * T, ...)``, the wrapped layer runs
once on all of them, and its output is reshaped back to ``(B, T, ...)``. Wrapping a recurrent layer
runs it over each step's own sequence: a character LSTM over every word of a sentence,
``(B, words, chars, D) -> (B, words, H)``.
"""
import numpy as np

from .base import Layer


class TimeDistributed(Layer):
    """Keras's ``TimeDistributed(layer)``.

    Parameters
    ----------
    layer : a layer with one output (Dense, LSTM, ...), not yet used elsewhere
    name : str or None

    Masks: a mask with more axes than (B, T) (from an Embedding over (B, T, C) ids) is reshaped to
    (B * T, C) for the wrapped layer. The output's mask is the wrapped layer's, reshaped back, or
    else the input's reduced to (B, T): a step is kept if any of its entries is (a word with at
    least one character).
    """

    def __init__(self, layer, name=None):
        super().__init__(name)
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed wraps an lstmx layer, got {type(layer).__name__}")
        if getattr(layer, "return_state", False):
            raise ValueError("TimeDistributed wraps a layer with one output: its layer has return_state=True")
        self.layer = layer

    @property
    def params(self):
        return self.layer.params

    @property
    def trainable(self):
        return self.layer.trainable

    @trainable.setter
    def trainable(self, value):
        self.layer.trainable = value

    @property
    def built(self):
        return self.layer.built

    @built.setter
    def built(self, value):
        pass

    @property
    def grads(self):
        return self.layer.grads

    @grads.setter
    def grads(self, value):
        pass

    @property
    def dtype(self):
        return getattr(self.layer, "dtype", None)

    @staticmethod
    def _inner_shape(input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed needs inputs (batch, time, ...) of rank 3 or more, got "
                             f"{tuple(input_shape)}")
        B, T = input_shape[0], input_shape[1]
        return (None if B is None or T is None else B * T, *input_shape[2:])

    def param_shapes(self, input_shape):
        return self.layer.param_shapes(self._inner_shape(input_shape))

    def build(self, input_shape):
        self.layer.build(self._inner_shape(input_shape))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1], *inner[1:])

    def _inner_mask(self, X, mask):
        """The wrapped layer's mask: (B * T, ...) from an input mask with more axes than (B, T)."""
        if mask is None or np.ndim(mask) <= 2:
            return None
        return np.asarray(mask).reshape(X.shape[0] * X.shape[1], *np.shape(mask)[2:])

    def forward(self, X, mask=None, training=False):
        X = np.asarray(X)
        self._inner_shape(X.shape)
        B, T = X.shape[:2]
        flat = X.reshape(B * T, *X.shape[2:])                              # (B*T, ...): each step a sample
        Y, inner = self.layer.forward(flat, mask=self._inner_mask(X, mask), training=training)
        return Y.reshape(B, T, *Y.shape[1:]), {"inner": inner, "shape": X.shape}

    def backward(self, dY, cache=None):
        cache = self._last(cache)
        B, T = cache["shape"][:2]
        dY = np.ascontiguousarray(dY)
        dflat = self.layer.backward(dY.reshape(B * T, *dY.shape[2:]), cache["inner"])   # (B*T, ...)
        return None if dflat is None else dflat.reshape(cache["shape"])

    def compute_mask(self, inputs, mask=None):
        X = np.asarray(inputs)
        B, T = X.shape[:2]
        inner = self.layer.compute_mask(X.reshape(B * T, *X.shape[2:]), self._inner_mask(X, mask))
        out = None if inner is None else np.asarray(inner).reshape(B, T, *np.shape(inner)[1:])
        if out is None and mask is not None:
            out = np.asarray(mask)
        if out is not None and out.ndim > 2:
            out = out.reshape(B, T, -1).any(axis=-1)        # a step is kept if any of its entries is
        return out

    def get_config(self):
        return dict(layer=dict(class_name=type(self.layer).__name__, config=self.layer.get_config()), name=self.name)
