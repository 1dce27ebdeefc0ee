"""Losses: each returns ``(mean loss, gradient with respect to the predictions)``.

The gradient is of the *mean* over the batch (and over time steps for per-step outputs), as Keras
and PyTorch average them. A ``Sequential`` model whose last layer is ``Dense`` with a sigmoid (a
softmax) calls the cross-entropy with ``from_logits=True`` on that layer's logits, as Keras on
TensorFlow does; the clipped probabilities below are what a bare call, or a loss of your own, sees.
"""
import numpy as np

EPS = 1e-7  # Keras's epsilon: probabilities are clipped to [EPS, 1 - EPS]


def _check_same_shape(name, y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: labels of shape {y_true.shape} do not match predictions of shape {y_pred.shape}")
    if not np.isfinite(y_true).all():   # else fit stops later, blaming exploding gradients
        raise ValueError(f"{name}: the labels hold {np.count_nonzero(~np.isfinite(y_true))} NaN or inf values")


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """-mean(y log p + (1 - y) log(1 - p)); labels must be 0 or 1.

    With ``from_logits`` the predictions are logits z and the loss is computed as
    ``max(z, 0) - z y + log(1 + exp(-|z|))``, which never overflows.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("binary_crossentropy: labels must be 0 or 1, got values "
                         f"{np.unique(y_true[~np.isin(y_true, (0, 1))])[:5].tolist()}")
    y = y_true.astype(y_pred.dtype)
    n = y.size
    if from_logits:
        z = y_pred
        loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        with np.errstate(over="ignore"):
            p = 1 / (1 + np.exp(-z))
        return float(loss.mean()), ((p - y) / n).astype(y_pred.dtype)
    p = np.clip(y_pred, EPS, 1 - EPS)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    grad = (p - y) / (p * (1 - p)) / n
    grad = np.where((y_pred > EPS) & (y_pred < 1 - EPS), grad, 0)  # clipped: no gradient, as in Keras
    return float(loss.mean()), grad.astype(y_pred.dtype)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-mean over samples (and steps) of sum_k y_k log p_k; one-hot (or soft) labels, (..., K)."""
    y_true = np.asarray(y_true, y_pred.dtype)
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    n = y_pred[..., 0].size
    if from_logits:
        z = y_pred - y_pred.max(axis=-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        p = np.exp(log_p)
        return float(-(y_true * log_p).sum(axis=-1).mean()), ((p * y_true.sum(-1, keepdims=True) - y_true) / n)
    p = np.clip(y_pred, EPS, 1 - EPS)
    return float(-(y_true * np.log(p)).sum(axis=-1).mean()), (-y_true / p / n).astype(y_pred.dtype)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy with integer class labels (..., ) for predictions (..., K); labels of
    shape (..., 1) are taken too, as Keras takes them."""
    y_true = np.asarray(y_true)
    K = y_pred.shape[-1]
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(f"sparse_categorical_crossentropy: labels of shape {y_true.shape} do not match "
                         f"predictions of shape {y_pred.shape} (expected labels {y_pred.shape[:-1]})")
    if y_true.dtype.kind not in "iu" or y_true.min() < 0 or y_true.max() >= K:
        raise ValueError(f"sparse_categorical_crossentropy: labels must be integers in [0, {K}), "
                         f"got dtype {y_true.dtype}, range [{y_true.min()}, {y_true.max()}]")
    one_hot = np.eye(K, dtype=y_pred.dtype)[y_true]
    return categorical_crossentropy(one_hot, y_pred, from_logits)


def mse(y_true, y_pred):
    """mean((y - p)^2)."""
    y_true = np.asarray(y_true, y_pred.dtype)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    _check_same_shape("mse", y_true, y_pred)
    diff = y_pred - y_true
    return float((diff ** 2).mean()), (2 * diff / diff.size).astype(y_pred.dtype)


LOSSES = {"binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
          "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "mse": mse,
          "mean_squared_error": mse}


def get(loss):
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a callable")
    return LOSSES[loss]
