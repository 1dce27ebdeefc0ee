"""Dense: ``y = activation(x @ kernel + bias)`` on the last axis, for inputs of any rank >= 2."""
import numpy as np

from .._validation import as_float_array, check_dtype, check_positive_int
from ..initializers import glorot_uniform
from .base import Layer


def _sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _last_axis_matmul(X, M):
    """``X @ M`` for X (..., n) and M (n, m) as one 2-D product (NumPy runs ``(B, T, n) @ (n, m)``
    as B small products, 3-4x slower). A recurrent layer's batch-first output is a view of
    time-major memory, (T, B, n) transposed: it is multiplied in that order, without a copy, and
    the result is the same kind of view."""
    if X.ndim == 3 and not X.flags.c_contiguous and X.transpose(1, 0, 2).flags.c_contiguous:
        Xt = X.transpose(1, 0, 2)                                              # (T, B, n) contiguous
        return (Xt.reshape(-1, Xt.shape[-1]) @ M).reshape(*Xt.shape[:2], -1).transpose(1, 0, 2)
    return (X.reshape(-1, X.shape[-1]) @ M).reshape(*X.shape[:-1], M.shape[1])


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = (None, "linear", "relu", "sigmoid", "tanh", "softmax")


class Dense(Layer):
    """A fully connected layer.

    Parameters
    ----------
    units : int
        Output size.
    activation : None, 'linear', 'relu', 'sigmoid', 'tanh' or 'softmax'
        Applied to ``x @ kernel + bias``; None and 'linear' apply nothing.
    seed : int or None, default None
        Seed of the kernel's initialisation.
    dtype : float32 (default) or float64
        Precision of the weights and of the computation.
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``dense``, ``dense_1``, ...).

    Attributes
    ----------
    kernel : (input_size, units) array
        Keras's layout, ``y = x @ kernel + bias``; Glorot-uniform, made when the layer first sees
        an input.
    bias : (units,) array
        Zeros at first.
    logits : (..., units) array
        ``z = x @ kernel + bias`` of the last call, before the activation.
    """

    def __init__(self, units, activation=None, seed=None, dtype=np.float32, name=None):
        super().__init__(name)
        self.units = check_positive_int("units", units)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.activation = None if activation == "linear" else activation
        self.dtype = check_dtype(dtype)
        self.seed = seed
        self.kernel = self.bias = None

    def param_shapes(self, input_shape):
        return {"kernel": (input_shape[-1], self.units), "bias": (self.units,)}

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        self.kernel = glorot_uniform(rng, self.units, input_shape[-1], self.dtype).T.copy()  # (input_size, units)
        self.bias = np.zeros(self.units, self.dtype)
        self.built = True

    @property
    def params(self):
        return {"kernel": self.kernel, "bias": self.bias} if self.built else {}

    @property
    def logits(self):
        """``z = x @ kernel + bias`` of the last call, before the activation."""
        return None if self._cache is None else self._cache["z"]

    def forward(self, X, mask=None, training=False):
        X = as_float_array("Dense input", X, (None,) * np.ndim(X), self.dtype, False)
        if X.ndim < 2:
            raise ValueError(f"Dense expects (batch, ..., features), got shape {X.shape}")
        if not self.built:
            self.build(X.shape)
        elif X.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Dense was built for {self.kernel.shape[0]} input features, got shape {X.shape}")
        z = _last_axis_matmul(X, self.kernel) + self.bias      # (..., units)
        a = self.activation
        Y = (z if a is None else np.maximum(z, 0) if a == "relu" else _sigmoid(z) if a == "sigmoid"
             else np.tanh(z) if a == "tanh" else _softmax(z))
        return Y, {"X": X, "z": z, "Y": Y}

    def backward(self, dY, cache=None):
        """d loss / d input from ``dY`` = d loss / d output; fills ``grads``."""
        cache = self._last(cache)
        Y, a = cache["Y"], self.activation
        if a == "relu":
            dz = dY * (Y > 0)
        elif a == "sigmoid":
            dz = dY * Y * (1 - Y)
        elif a == "tanh":
            dz = dY * (1 - Y * Y)
        elif a == "softmax":
            dz = Y * (dY - np.sum(dY * Y, axis=-1, keepdims=True))
        else:
            dz = dY
        return self.backward_from_logits(dz, cache)

    def backward_from_logits(self, dz, cache=None):
        """The backward pass from ``dz`` = d loss / d logits, past the activation; fills ``grads``.

        A model whose loss is computed from the logits (cross-entropy after a sigmoid or a softmax)
        starts its backward pass here.
        """
        dz = np.asarray(dz, self.dtype)
        X = self._last(cache)["X"]
        X2 = X.reshape(-1, X.shape[-1])                        # (N, in)
        dz2 = dz.reshape(-1, self.units)                       # (N, units)
        self.grads = {"kernel": X2.T @ dz2, "bias": dz2.sum(axis=0)}
        return _last_axis_matmul(dz, self.kernel.T)            # (..., in)

    def compute_mask(self, inputs, mask=None):
        return mask if np.ndim(inputs) >= 3 else None

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return dict(units=self.units, activation=self.activation, seed=self.seed, dtype=self.dtype.name, name=self.name)
