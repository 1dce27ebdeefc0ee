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
    mask_value : float, default 0.0
        The value that marks a padded step (in all of its features).
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``masking``, ``masking_1``, ...).
    """

    def __init__(self, mask_value=0.0, name=None):
        super().__init__(name)
        self.mask_value = float(mask_value)
        self.built = True

    def _steps_kept(self, X, mask):
        step_kept = np.any(X != self.mask_value, axis=-1)                  # (B, T)
        return step_kept if mask is None else step_kept & as_mask(mask, *step_kept.shape)

    def forward(self, X, mask=None, training=False):
        """X (B, T, F) -> (B, T, F), the padded steps zeroed."""
        X = as_sequence_array("Masking input", X, float_dtype_like(X), False)
        keep = self._steps_kept(X, mask)[..., None].astype(X.dtype)       # (B, T, 1)
        return X * keep, {"keep": keep}

    def backward(self, dY, cache=None):
        return dY * self._last(cache)["keep"]

    def compute_mask(self, inputs, mask=None):
        """(B, T): True where a step has a value other than ``mask_value`` (and the incoming mask keeps it)."""
        return self._steps_kept(np.asarray(inputs), mask)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(mask_value=self.mask_value, name=self.name)
