"""``Activation(name)`` and ``Softmax(axis)``: a function applied to the input, with no parameters."""
import numpy as np

from .base import Layer

LARGE_NEGATIVE = -1e9   # what Keras adds to the masked entries before a softmax


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(dY, Y, axis):
    """d loss / d z for ``Y = softmax(z)`` along ``axis``: ``Y * (dY - sum(dY * Y))``."""
    return Y * (dY - np.sum(dY * Y, axis=axis, keepdims=True))


ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax")


class Activation(Layer):
    """Keras's ``Activation(activation)``: a function applied to every entry of the input; it has no
    weights, and the mask passes through.

    Parameters
    ----------
    activation : {'linear', 'relu', 'sigmoid', 'tanh', 'softmax'}
        The function; 'softmax' normalises along the last axis (:class:`Softmax` takes another).
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``activation``, ``activation_1``, ...).
    """

    def __init__(self, activation, name=None):
        super().__init__(name)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.activation = activation
        self.built = True

    def forward(self, X, mask=None, training=False):
        z, a = np.asarray(X), self.activation
        with np.errstate(over="ignore"):
            Y = (z if a == "linear" else np.maximum(z, 0) if a == "relu" else 1 / (1 + np.exp(-z))
                 if a == "sigmoid" else np.tanh(z) if a == "tanh" else _softmax(z, -1))
        return Y, {"Y": Y}

    def backward(self, dY, cache=None):
        Y, a = self._last(cache)["Y"], self.activation
        if a == "relu":
            return dY * (Y > 0)
        if a == "sigmoid":
            return dY * Y * (1 - Y)
        if a == "tanh":
            return dY * (1 - Y * Y)
        if a == "softmax":
            return softmax_backward(dY, Y, -1)
        return dY

    def get_config(self):
        return dict(activation=self.activation, name=self.name)


class Softmax(Layer):
    """Keras's ``Softmax(axis=-1)``: ``exp(z) / sum(exp(z))`` along ``axis``.

    A ``mask`` of the input's shape (True where an entry counts) gives the masked entries a large
    negative number before the softmax, as Keras does, so they get a weight of about 0. A mask of
    the sequence's steps (one axis fewer, as flows from an Embedding) is passed on, not applied.

    Parameters
    ----------
    axis : int, default -1
        The axis normalised: its entries are positive and sum to 1.
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``softmax``, ``softmax_1``, ...).
    """

    def __init__(self, axis=-1, name=None):
        super().__init__(name)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Softmax's axis must be an int, got {axis!r}")
        self.axis = int(axis)
        self.built = True

    def forward(self, X, mask=None, training=False):
        z = np.asarray(X)
        if mask is not None and np.ndim(mask) == z.ndim:
            z = z + (1 - np.asarray(mask, z.dtype)) * z.dtype.type(LARGE_NEGATIVE)
        Y = _softmax(z, self.axis)
        return Y, {"Y": Y}

    def backward(self, dY, cache=None):
        return softmax_backward(dY, self._last(cache)["Y"], self.axis)

    def get_config(self):
        return dict(axis=self.axis, name=self.name)
