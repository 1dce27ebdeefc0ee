"""``Sequential``: a :class:`Model` whose graph is a chain, each layer reading the one before."""
import numpy as np

from ..layers.base import Layer
from ..layers.embedding import Embedding
from ..layers.symbolic import Input, SymbolicTensor
from .graph import Graph
from .training import Model, as_input_array


class Sequential(Model):
    """A linear stack of layers.

    >>> model = Sequential([Embedding(10000, 128), Bidirectional(LSTM(64)), Dropout(0.5),
    ...                     Dense(1, "sigmoid")])
    >>> model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

    The model is built (its graph made, every layer's parameters created) by an :class:`Input`
    given first, by ``build(input_shape)``, or by the first inputs it sees. It trains with the same
    engine as a :class:`Model`; ``fit``, ``evaluate`` and ``predict`` hold NumPy's BLAS at one
    thread, since the kernels bring their own two (see ``lstmx/_blas_threads.py``).

    Parameters
    ----------
    layers : list of layers or None, default None
        The layers in order, each reading the one before; an :class:`Input` may come first. More
        can be appended with :meth:`add`.
    name : str or None, default None
        The model's name, shown by :meth:`summary`.
    """

    def __init__(self, layers=None, name=None):
        self.name = name
        self._layers = []
        self._input = None   # an Input given first, if any
        self.graph = None
        self._single_input = self._single_output = True
        self._init_training_state()
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        """The layers, in order (without the Input)."""
        return list(self._layers)

    def add(self, layer):
        """Append a layer; an :class:`Input` may come first, and then the model is built as it grows."""
        if isinstance(layer, Input):
            if self._layers or self._input is not None:
                raise ValueError("an Input must be the first element of a Sequential model, and the only one")
            self._input = layer
            return
        if isinstance(layer, SymbolicTensor):
            raise TypeError("Sequential takes layers; a layer's output on a symbolic tensor belongs in "
                            "lstmx.Model(inputs, outputs)")
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes lstmx layers, got {type(layer).__name__}")
        self._layers.append(layer)
        if self._input is not None:
            self.build(self._input.shape)
        elif self.graph is not None:
            self.build(self.graph.inputs[0].shape)

    def build(self, input_shape):
        """Create every layer's parameters for inputs of ``input_shape`` (batch size ignored)."""
        if not self._layers:
            raise ValueError("the model has no layers: give Sequential a list of layers or call model.add(layer)")
        reads_ids = isinstance(self._layers[0], Embedding)
        if self._input is not None:
            declared = self._input.declared_dtype
            if declared is not None and (declared.kind in "iu") != reads_ids:
                raise ValueError(f"Input(dtype={declared}) does not suit the first layer, "
                                 f"{type(self._layers[0]).__name__}: it reads "
                                 f"{'integer token ids' if reads_ids else 'floats'}")
            inp = self._input if declared is not None or not reads_ids else \
                Input(self._input.shape[1:], np.int64, self._input.shape[0], name=self._input.node.layer.name)
        else:
            first_dtype = getattr(self._layers[0], "dtype", None)
            inp = Input(tuple(input_shape[1:]), np.int64 if reads_ids else (first_dtype or np.float32))
        x = inp
        for layer in self._layers:
            x = layer(x)
            if isinstance(x, list):
                raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has {len(x)} outputs; a "
                                 f"Sequential model's layers have one each: use lstmx.Model for this graph")
        self._set_graph(Graph([inp], [x]))

    def _check_inputs(self, x):
        if self.graph is None:     # built from the first inputs it sees, as Keras's
            if not self._layers:
                raise ValueError("the model has no layers: give Sequential a list of layers or call model.add(layer)")
            first = self._layers[0]
            if isinstance(first, Embedding):
                shape = first.check_ids(x).shape
            else:
                shape = as_input_array(x, float_only=True).shape
            self.build((None, *shape[1:]))
        return super()._check_inputs(x)

    @property
    def input_shape(self):
        return None if self.graph is None else self.graph.inputs[0].shape

    @property
    def params(self):
        return {} if self.graph is None else super().params

    def all_params(self):
        return {} if self.graph is None else super().all_params()

    def count_params(self):
        return sum(layer.count_params() for layer in self._layers)

    def compile(self, loss, optimizer="adam", metrics=None, loss_weights=None):
        self.output_names = ["output"] if self.graph is None else self.output_names
        super().compile(loss, optimizer, metrics, loss_weights)

    def _log_names(self):
        return ["loss"], [["accuracy" if m == "acc" else m for m in self.output_metrics[0]]]

    def summary(self, print_fn=print):
        if self.graph is None:
            raise ValueError("the model is not built yet: it is built by its first fit, evaluate or predict, "
                             "by model.build(input_shape), or by an lstmx.Input given first")
        return super().summary(print_fn)
