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
    seed : int or None
    """

    def __init__(self, rate, seed=None):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.built = True
        self._keep = None

    def __call__(self, X, mask=None, training=False):
        self.output_mask = mask
        if not training or self.rate == 0:
            self._keep = None
            return X
        self._keep = keep_mask(self.rng, X.shape, self.rate, X.dtype)
        return X * self._keep

    def backward(self, dY):
        return dY if self._keep is None else dY * self._keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(rate=self.rate, seed=self.seed)
