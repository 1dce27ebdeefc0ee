"""Layers that move values without computing: ``Reshape``, ``Flatten``, ``RepeatVector``.

Their backward passes move the gradient back the same way (``RepeatVector`` sums the copies).
None of them passes a mask on: their outputs are no longer the input's steps.
"""
import numpy as np

from .._validation import check_positive_int
from .base import Layer


class _NoMask(Layer):
    def __init__(self, name=None):
        super().__init__(name)
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return None

    def output_dtype(self, input_dtype):
        return input_dtype


class Reshape(_NoMask):
    """Keras's ``Reshape(target_shape)``: ``(B, ...) -> (B, *target_shape)``, each sample reshaped.

    Parameters
    ----------
    target_shape : tuple of int
        One sample's shape after the layer (without the batch); one entry may be -1, the size that
        makes the number of values match.
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``reshape``, ``reshape_1``, ...).
    """

    def __init__(self, target_shape, name=None):
        super().__init__(name)
        target = tuple(target_shape)
        if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or (n < 1 and n != -1) for n in target) \
                or sum(n == -1 for n in target) > 1:
            raise ValueError(f"Reshape's target_shape holds positive ints and at most one -1, got {target_shape!r}")
        self.target_shape = tuple(int(n) for n in target)

    def _resolved(self, input_shape):
        size = None if any(n is None for n in input_shape[1:]) else int(np.prod(input_shape[1:]))
        known = int(np.prod([n for n in self.target_shape if n != -1]))
        if -1 in self.target_shape:
            if size is None:
                return tuple(None if n == -1 else n for n in self.target_shape)
            if size % known:
                raise ValueError(f"cannot reshape {size} values a sample to {self.target_shape}")
            return tuple(size // known if n == -1 else n for n in self.target_shape)
        if size is not None and size != known:
            raise ValueError(f"cannot reshape {tuple(input_shape[1:])} ({size} values a sample) to "
                             f"{self.target_shape} ({known})")
        return self.target_shape

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolved(tuple(input_shape)))

    def forward(self, X, mask=None, training=False):
        X = np.asarray(X)
        target = self._resolved(X.shape)
        return X.reshape(len(X), *target), {"shape": X.shape}

    def backward(self, dY, cache=None):
        return np.reshape(dY, self._last(cache)["shape"])

    def get_config(self):
        return dict(target_shape=list(self.target_shape), name=self.name)


class Flatten(_NoMask):
    """Keras's ``Flatten``: ``(B, d1, d2, ...) -> (B, d1 * d2 * ...)``.

    Parameters
    ----------
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``flatten``, ``flatten_1``, ...).
    """

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(n is None for n in rest) else int(np.prod(rest)))

    def forward(self, X, mask=None, training=False):
        X = np.asarray(X)
        return X.reshape(len(X), -1), {"shape": X.shape}

    def backward(self, dY, cache=None):
        return np.reshape(dY, self._last(cache)["shape"])

    def get_config(self):
        return dict(name=self.name)


class RepeatVector(_NoMask):
    """Keras's ``RepeatVector(n)``: ``(B, F) -> (B, n, F)``, the vector at every one of ``n`` steps
    (an encoder's summary handed to each step of a decoder).

    Parameters
    ----------
    n : int
        The number of steps.
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``repeat_vector``, ``repeat_vector_1``, ...).
    """

    def __init__(self, n, name=None):
        super().__init__(name)
        self.n = check_positive_int("n", n)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"RepeatVector takes (batch, features), got {tuple(input_shape)}")
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, X, mask=None, training=False):
        X = np.asarray(X)
        self.compute_output_shape(X.shape)
        return np.repeat(X[:, None, :], self.n, axis=1), {}         # (B, n, F)

    def backward(self, dY, cache=None):
        self._last(cache)
        return np.asarray(dY).sum(axis=1)                           # each copy's gradient, summed: (B, F)

    def get_config(self):
        return dict(n=self.n, name=self.name)
