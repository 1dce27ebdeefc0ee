"""The layer protocol shared by every lstmx layer."""
import numpy as np


def copy_weights(params, weights, owner):
    """Copy ``weights`` (a list of arrays) into ``params`` (name -> array) in place, after checking
    the number and every shape, so that a wrong list changes nothing."""
    weights = list(weights)
    if len(weights) != len(params):
        raise ValueError(f"{owner}.set_weights expected {len(params)} arrays ({', '.join(params) or 'no parameters'}), "
                         f"got {len(weights)}")
    weights = [np.asarray(w) for w in weights]
    for (name, p), w in zip(params.items(), weights):
        if w.shape != p.shape:
            raise ValueError(f"{owner}.set_weights: parameter {name} has shape {p.shape}, got an array of shape {w.shape}")
    for p, w in zip(params.values(), weights):
        np.copyto(p, w, casting="same_kind")


class Layer:
    """A layer holds ``params`` (name -> array) and, after ``backward``, ``grads`` with the same keys.

    ``layer(X)`` runs the forward pass and keeps what the backward pass needs;
    ``layer.backward(dY)`` returns the gradient with respect to the input and fills ``grads``.
    """

    trainable = True

    def __init__(self):
        self.built = False
        self.grads = {}
        self.output_mask = None

    @property
    def params(self):
        return {}

    def count_params(self):
        """Number of scalar parameters (0 until the layer is built)."""
        return sum(p.size for p in self.params.values())

    def get_weights(self):
        """Copies of the layer's parameters, in the order of ``params`` (Keras's ``get_weights``).
        lstmx's layout: a recurrent layer's ``W`` is ``(G*H, input_size)``, the transpose of Keras's
        kernel; an Embedding's matrix and a Dense kernel are laid out as in Keras."""
        return [p.copy() for p in self.params.values()]

    def set_weights(self, weights):
        """Copy ``weights`` (as :meth:`get_weights` returns them) into the parameters, in place: the
        gate views (``cell.W_f``, ...) and an optimizer's state keep pointing at them."""
        copy_weights(self.params, weights, type(self).__name__)

    def _saved(self, name):
        """What the forward pass saved as attribute ``name`` for the backward pass; a clear error
        when ``backward`` comes before any forward pass."""
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the layer was run forward")
        return value
