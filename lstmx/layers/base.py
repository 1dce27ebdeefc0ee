"""The layer protocol shared by every lstmx layer.

Each layer is a ``forward`` and a ``backward`` written by hand, with what the backward pass needs
handed between them in a *cache*:

- ``Y, cache = layer.forward(X, mask=None, training=False)`` computes the output and returns the
  values the backward pass will need, without keeping them on the layer;
- ``dX = layer.backward(dY, cache)`` returns the gradient with respect to the input and leaves the
  parameter gradients in ``layer.grads``.

``layer(X)`` runs ``forward`` and keeps its cache as the layer's last call, so that
``layer.backward(dY)`` needs no cache. A model calls one layer at several places (a shared
embedding, a character LSTM over every word) by keeping one cache a call.
"""
import re

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


def snake_case(name):
    """Keras's default layer names: ``GlobalAveragePooling1D`` -> ``global_average_pooling1d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)     # Keras's rule, so the names match
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer:
    """A layer holds ``params`` (name -> array) and, after ``backward``, ``grads`` with the same keys.

    ``layer(X)`` runs the forward pass and keeps what the backward pass needs;
    ``layer.backward(dY)`` returns the gradient with respect to the input and fills ``grads``.
    Called on a symbolic tensor (:class:`lstmx.Input` and what layers return from it), ``layer(x)``
    records a node of a graph instead, for :class:`lstmx.Model`.

    Parameters
    ----------
    name : str or None
        The layer's name in a model (``model.get_layer(name)``, ``summary()``, saved files); by
        default the class's in snake case, numbered within the model (``lstm``, ``lstm_1``, ...).
    """

    trainable = True
    call_options = ()     # keyword arguments of a call that a graph's node keeps (Attention's)

    def __init__(self, name=None):
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"a layer name must be a non-empty string without '/', got {name!r}")
        self.name = name
        self.built = False
        self.grads = {}
        self.output_mask = None
        self._cache = None
        self._nodes = []           # where this layer was called on symbolic tensors (see lstmx.layers.symbolic)

    # ---- parameters ----
    @property
    def params(self):
        return {}

    def param_shapes(self, input_shape):
        """The shapes ``build(input_shape)`` would give the parameters, computed without allocating
        them (a saved model's arrays are checked against it before anything is built)."""
        return {}

    def build(self, input_shape):
        """Create the parameters for inputs of ``input_shape`` (batch dimension first, may be None)."""
        self.built = True

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

    # ---- running ----
    def __call__(self, inputs, mask=None, training=False, **kwargs):
        """Run the layer on arrays (the forward pass, its cache kept for :meth:`backward`), or record
        a call on symbolic tensors for a :class:`lstmx.Model`.

        Parameters
        ----------
        inputs : array, list of arrays, or symbolic tensor(s)
            What :meth:`forward` takes (a recurrent layer: ``(B, T, I)``).
        mask : bool array or None, default None
            Which steps are real (``(B, T)``, False at padding), for the layers that read a mask.
        training : bool, default False
            True in training: dropout is applied (a model's ``fit`` passes it).
        **kwargs
            The layer's own call arguments, passed to :meth:`forward`: ``initial_state`` for the
            recurrent layers, ``return_attention_scores`` for the attention layers, ...

        Returns
        -------
        The layer's outputs (``forward``'s first value); ``output_mask`` is set to the mask that
        the next layer receives.
        """
        from .symbolic import is_symbolic, record_call   # that module imports this one
        if is_symbolic(inputs, kwargs):
            return record_call(self, inputs, kwargs)
        outputs, self._cache = self.forward(inputs, mask=mask, training=training, **kwargs)
        options = {k: kwargs[k] for k in self.call_options if k in kwargs}
        self.output_mask = self.compute_mask(inputs, mask, **options)
        return outputs

    def forward(self, inputs, mask=None, training=False):
        """``(outputs, cache)``: the outputs, and what :meth:`backward` needs to compute gradients."""
        raise NotImplementedError

    def backward(self, dY, cache=None):
        """The gradient with respect to the input, from ``dY``, the gradient of the output;
        fills ``grads``. ``cache`` is what ``forward`` returned (default: the last call's)."""
        raise NotImplementedError

    def backward_node(self, output_grads, cache):
        """A graph's backward step: the gradients of the outputs of one call (a list, None for an
        output that got none) to the gradients of its inputs (a list, one per symbolic input)."""
        dX = self.backward(output_grads[0], cache)
        return list(dX) if isinstance(dX, (list, tuple)) else [dX]

    def compute_mask(self, inputs, mask=None):
        """The mask of the output: by default the input's, passed on (Keras's ``compute_mask``)."""
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def output_dtype(self, input_dtype):
        """The dtype of the output for inputs of ``input_dtype``: the layer's own, if it has one."""
        dtype = getattr(self, "dtype", None)
        return input_dtype if dtype is None else np.dtype(dtype)

    def get_config(self):
        return {}

    def _last(self, cache):
        """``cache``, or the last call's when it is None; a clear error when there was none."""
        if cache is None:
            cache = self._cache
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the layer was run forward")
        return cache

    def _saved(self, name):
        """What the forward pass saved as attribute ``name``; a clear error when there was none."""
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the layer was run forward")
        return value

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def add_gradients(a, b):
    """``a + b`` for two gradients of one parameter, dense arrays or :class:`IndexedRows`: what a
    layer called at several places accumulates."""
    if a is None:
        return b
    if hasattr(a, "indices") or hasattr(b, "indices"):
        from .embedding import IndexedRows
        return IndexedRows.concatenate([a, b])
    return a + b
