"""Masking: mark the padded steps of float sequences, as ``Embedding(mask_zero=True)`` does for ids."""
import numpy as np

from .._validation import as_sequence_array, as_mask, float_dtype_like
from .base import Layer


class Masking(Layer):
    """Keras's ``Masking(mask_value)``: a step whose features all equal ``mask_value`` is padding.

    The layer passes on ``mask`` (B, T), True where a step has some other value, so the recurrent
    layers after it skip the padded steps; its output is the input with the padded steps zeroed.
    A mask coming in (it is usually the first layer) stays: a step is kept if both keep it.

    Parameters
    ----------
    mask_value : float
    """

    def __init__(self, mask_value=0.0):
        super().__init__()
        self.mask_value = float(mask_value)
        self.built = True
        self._keep = None

    def __call__(self, X, mask=None, training=False):
        """X (B, T, F) -> (B, T, F); sets ``self.output_mask`` (B, T)."""
        X = as_sequence_array("Masking input", X, float_dtype_like(X), False)
        step_kept = np.any(X != self.mask_value, axis=-1)                  # (B, T)
        self.output_mask = step_kept if mask is None else step_kept & as_mask(mask, *step_kept.shape)
        self._keep = self.output_mask[..., None].astype(X.dtype)           # (B, T, 1)
        return X * self._keep

    def backward(self, dY):
        return dY * self._saved("_keep")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(mask_value=self.mask_value)
