"""``Input(shape)``: where a Keras model says what it reads."""
import numpy as np


class Input:
    """The shape of one sample, as Keras's ``keras.Input``: put first in a :class:`~lstmx.Sequential`,
    it builds the model for inputs ``(batch, *shape)``, so ``summary()`` works before ``fit``.

    >>> model = Sequential([Input((200,), dtype="int32"), Embedding(10000, 128), ...])  # doctest: +SKIP

    Parameters
    ----------
    shape : tuple of int or None, one sample's shape (``(T,)`` token ids, ``(T, features)``);
        None for a length that varies from batch to batch
    dtype : what the model reads (token ids for an Embedding, floats otherwise); checked against
        the first layer when the model is built
    """

    def __init__(self, shape, dtype=None):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        for n in shape:
            if n is not None and not (isinstance(n, (int, np.integer)) and n >= 1):
                raise ValueError(f"Input shape must hold positive ints or None, got {shape}")
        self.shape = shape
        self.dtype = None if dtype is None else np.dtype(dtype)

    def __repr__(self):
        return f"Input(shape={self.shape}, dtype={self.dtype})"
