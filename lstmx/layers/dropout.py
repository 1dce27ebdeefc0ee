"""Dropout: during training, zero each value with probability ``rate`` and scale the rest by 1/(1-rate)."""
import numpy as np

from .base import Layer


def keep_mask(rng, shape, rate, dtype):
    """An inverted-dropout mask of ``shape``: 0 with probability ``rate``, else 1 / (1 - rate)."""
    dtype = np.dtype(dtype)
    return (rng.random(shape) >= rate).astype(dtype) / dtype.type(1 - rate)


class Dropout(Layer):
    """Inverted dropout (Keras and PyTorch semantics): the identity outside training.

    Parameters
    ----------
    rate : float in [0, 1)
        In training, each entry is zeroed with this probability and the rest are scaled by
        1 / (1 - rate), so the expected output is the input.
    seed : int or None, default None
        Seed of the masks.
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``dropout``, ``dropout_1``, ...).
    """

    def __init__(self, rate, seed=None, name=None):
        super().__init__(name)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.built = True

    def forward(self, X, mask=None, training=False):
        if not training or self.rate == 0:
            return X, {"keep": None}
        keep = keep_mask(self.rng, np.shape(X), self.rate, X.dtype)
        return X * keep, {"keep": keep}

    def backward(self, dY, cache=None):
        keep = self._last(cache)["keep"]
        return dY if keep is None else dY * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(rate=self.rate, seed=self.seed, name=self.name)
