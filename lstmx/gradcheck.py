"""Central-difference gradient checks: the independent witness that a backward pass is right."""
import numpy as np


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored; ``f`` must read it.

    Returns
    -------
    array shaped like ``x``: ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)`` for every entry ``k``.
    """
    grad = np.zeros(x.shape, np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f()
        x[idx] = old - eps
        down = f()
        x[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic, numeric, floor=1e-3):
    """``max |a - n| / max(|a| + |n|, floor)`` over all entries (the floor keeps near-zero entries fair)."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))


def check_layer_gradients(layer, X, mask=None, seed=0, eps=1e-6):
    """Compare ``layer.backward`` with central differences on a random linear loss.

    Parameters
    ----------
    layer : a built-or-not float64 layer
    X : (B, T, I) float64 array (perturbed in place while checking, then restored)
    mask : (B, T) bool array or None

    Returns
    -------
    dict: parameter name (and ``"X"``) -> max relative error.
    """
    R = np.random.default_rng(seed).standard_normal(np.shape(layer(X, mask=mask)))

    def loss():
        return float(np.sum(layer(X, mask=mask) * R))

    loss()
    dX = layer.backward(R)
    grads = dict(layer.grads)
    errors = {name: relative_error(grads[name], numeric_gradient(loss, p, eps)) for name, p in layer.params.items()}
    errors["X"] = relative_error(dX, numeric_gradient(loss, X, eps))
    return errors
