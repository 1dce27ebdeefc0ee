"""GlobalAveragePooling1D: the mean over the steps of a sequence, padded steps left out."""
import numpy as np

from .._validation import as_sequence_array, as_mask, float_dtype_like
from .base import Layer


class GlobalAveragePooling1D(Layer):
    """Keras's ``GlobalAveragePooling1D``: ``(B, T, F) -> (B, F)``, the mean of the kept steps.

    With a mask (from ``Embedding(mask_zero=True)`` or ``Masking``) the padded steps count for
    nothing: ``y = sum_t mask_t x_t / sum_t mask_t``. A sequence that is all padding averages to
    zeros (Keras divides 0 by 0 there).
    """

    def __init__(self):
        super().__init__()
        self.built = True
        self._weights = None

    def __call__(self, X, mask=None, training=False):
        X = as_sequence_array("GlobalAveragePooling1D input", X, float_dtype_like(X), False)
        B, T, _ = X.shape
        kept = np.ones((B, T), bool) if mask is None else as_mask(mask, B, T)
        counts = np.maximum(kept.sum(axis=1, keepdims=True), 1)              # (B, 1)
        self._weights = (kept / counts).astype(X.dtype)[..., None]          # (B, T, 1): 1/count or 0
        self.output_mask = None                                             # the time axis is gone
        return np.einsum("btf,btk->bf", X, self._weights)

    def backward(self, dY):
        return dY[:, None, :] * self._saved("_weights")                   # (B, T, F)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {}
