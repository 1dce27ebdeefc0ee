"""GlobalAveragePooling1D: the mean over the steps of a sequence, padded steps left out."""
import numpy as np

from .._validation import as_sequence_array, as_mask, float_dtype_like
from .base import Layer


class GlobalAveragePooling1D(Layer):
    """Keras's ``GlobalAveragePooling1D``: ``(B, T, F) -> (B, F)``, the mean of the kept steps.

    With a mask (from ``Embedding(mask_zero=True)`` or ``Masking``) the padded steps count for
    nothing: ``y = sum_t mask_t x_t / sum_t mask_t``. A sequence that is all padding averages to
    zeros (Keras divides 0 by 0 there).

    Parameters
    ----------
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``global_average_pooling1d``, ...).
    """

    def __init__(self, name=None):
        super().__init__(name)
        self.built = True

    def forward(self, X, mask=None, training=False):
        X = as_sequence_array("GlobalAveragePooling1D input", X, float_dtype_like(X), False)
        B, T, _ = X.shape
        kept = np.ones((B, T), bool) if mask is None else as_mask(mask, B, T)
        counts = np.maximum(kept.sum(axis=1, keepdims=True), 1)              # (B, 1)
        weights = (kept / counts).astype(X.dtype)[..., None]                # (B, T, 1): 1/count or 0
        return np.einsum("btf,btk->bf", X, weights), {"weights": weights}

    def backward(self, dY, cache=None):
        return dY[:, None, :] * self._last(cache)["weights"]               # (B, T, F)

    def compute_mask(self, inputs, mask=None):
        return None                                                          # the time axis is gone

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return dict(name=self.name)
