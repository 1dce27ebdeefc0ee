"""The layer protocol shared by every lstmx layer."""


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

    def _saved(self, name):
        """What the forward pass saved as attribute ``name`` for the backward pass; a clear error
        when ``backward`` comes before any forward pass."""
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the layer was run forward")
        return value
