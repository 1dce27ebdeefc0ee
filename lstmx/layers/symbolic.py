"""Symbolic tensors: what calling a layer on :class:`Input` records, for a :class:`lstmx.Model`.

``x = Input(shape=(None,), dtype="int32")`` is a placeholder with a shape and no values. Calling a
layer on it, ``h = LSTM(64)(Embedding(1000, 32)(x))``, runs no math: it builds the layer for the
input's shape, records a :class:`Node` (this layer, called on these tensors) and returns new
placeholders for the outputs. A model is then the graph of nodes between its inputs and outputs.
"""
import numpy as np

from .base import Layer, snake_case


class SymbolicTensor:
    """A placeholder for a layer's input or output in a graph.

    Attributes
    ----------
    shape : tuple, batch first; None where any size will do
    dtype : numpy dtype of the values it will hold
    node : the :class:`Node` that produces it;  index : which of the node's outputs it is
    """

    def __init__(self, shape, dtype, node, index=0):
        self.shape, self.dtype, self.node, self.index = tuple(shape), np.dtype(dtype), node, index

    @property
    def name(self):
        layer = self.node.layer
        return layer.name if len(self.node.outputs) <= 1 else f"{layer.name}:{self.index}"

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype.name} from {self.node.layer.name!r}>"

    def __array__(self, *args, **kwargs):
        raise TypeError("a symbolic tensor (an lstmx.Input or a layer's output on one) has no values: build "
                        "lstmx.Model(inputs, outputs) and call model.predict(...) instead")


class Node:
    """One call of ``layer`` on symbolic ``inputs``: the tensors it reads, in order (the main input
    or inputs, then any ``initial_state``), and the tensors it returns."""

    def __init__(self, layer, inputs, n_main, single_input, outputs=()):
        self.layer, self.inputs, self.n_main, self.single_input = layer, list(inputs), n_main, single_input
        self.outputs = list(outputs)
        self.options = {}      # the call's options the layer declares (Attention's return_attention_scores)

    def call_arguments(self, values):
        """The layer's ``forward`` arguments from the values of ``inputs``: ``(inputs, initial_state)``."""
        main = values[0] if self.single_input else list(values[:self.n_main])
        states = list(values[self.n_main:]) or None
        return main, states

    def input_shapes(self):
        shapes = [t.shape for t in self.inputs[:self.n_main]]
        return shapes[0] if self.single_input else shapes

    def __repr__(self):
        return f"<Node {self.layer.name!r} ({type(self.layer).__name__})>"


class InputLayer(Layer):
    """The layer behind an :class:`Input`: it holds the shape and dtype, and passes values through."""

    trainable = False

    def __init__(self, shape, dtype, batch_size=None, name=None):
        super().__init__(name)
        self.shape, self.dtype, self.batch_size = shape, dtype, batch_size
        self.built = True

    def forward(self, x, mask=None, training=False):
        return x, None

    def backward(self, dY, cache=None):
        return dY

    def get_config(self):
        return dict(shape=list(self.shape), dtype=self.dtype.name, batch_size=self.batch_size, name=self.name)


class Input(SymbolicTensor):
    """The shape of one sample, as Keras's ``keras.Input``: where a model says what it reads.

    >>> x = Input(shape=(None,), dtype="int32")        # token ids of any length    # doctest: +SKIP
    >>> y = Dense(1, "sigmoid")(LSTM(32)(Embedding(1000, 16)(x)))                    # doctest: +SKIP
    >>> model = Model(x, y)                                                           # doctest: +SKIP

    Put first in a :class:`~lstmx.Sequential`, it builds the model for inputs ``(batch, *shape)``,
    so ``summary()`` works before ``fit``.

    Parameters
    ----------
    shape : tuple of int or None, one sample's shape (``(T,)`` token ids, ``(T, features)``);
        None for a length that varies from batch to batch
    dtype : what the model reads: integers (token ids for an Embedding) or float32 / float64; by
        default float32 (None in a Sequential: the first layer decides)
    batch_size : int or None, a fixed batch size (Keras 3's ``batch_size``)
    name : str or None, the input's name (``fit(x={name: ...})``)
    """

    def __init__(self, shape, dtype=None, batch_size=None, name=None):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        for n in shape:
            if n is not None and not (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1):
                raise ValueError(f"Input shape must hold positive ints or None, got {shape}")
        if batch_size is not None and not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ValueError(f"Input batch_size must be a positive int or None, got {batch_size!r}")
        self.declared_dtype = None if dtype is None else np.dtype(dtype)
        if self.declared_dtype is not None and self.declared_dtype.kind not in "iuf":
            raise TypeError(f"Input dtype must be an integer or float type, got {self.declared_dtype}")
        if self.declared_dtype is not None and self.declared_dtype.kind == "f" and \
                self.declared_dtype not in (np.float32, np.float64):
            raise TypeError(f"Input dtype must be float32 or float64 for floats, got {self.declared_dtype}")
        dt = self.declared_dtype or np.dtype(np.float32)
        layer = InputLayer(shape, dt, batch_size, name)
        node = Node(layer, [], 0, True)
        super().__init__((batch_size, *shape), dt, node)
        node.outputs = [self]
        layer._nodes.append(node)

    @property
    def dtype_given(self):
        return self.declared_dtype

    def __repr__(self):
        return f"Input(shape={self.shape[1:]}, dtype={self.dtype.name})"


def _flatten(inputs):
    if isinstance(inputs, (list, tuple)):
        return list(inputs), False
    return [inputs], True


def is_symbolic(inputs, kwargs):
    """True when ``inputs`` (or an ``initial_state``) holds symbolic tensors."""
    flat, _ = _flatten(inputs)
    states = kwargs.get("initial_state")
    flat += _flatten(states)[0] if states is not None else []
    return any(isinstance(t, SymbolicTensor) for t in flat)


def record_call(layer, inputs, kwargs):
    """Record ``layer(inputs, **kwargs)`` on symbolic tensors: build the layer for their shapes,
    check them, and return the symbolic outputs (one tensor, or a list)."""
    main, single = _flatten(inputs)
    states = kwargs.pop("initial_state", None)
    states = [] if states is None else _flatten(states)[0]
    options = {k: kwargs.pop(k) for k in getattr(layer, "call_options", ()) if k in kwargs}
    unknown = set(kwargs) - {"training", "mask"}
    if unknown:
        raise TypeError(f"{type(layer).__name__} called on symbolic tensors takes no argument {sorted(unknown)}")
    for t in main + states:
        if not isinstance(t, SymbolicTensor):
            raise TypeError(f"layer {layer.name or snake_case(type(layer).__name__)!r} "
                            f"({type(layer).__name__}) was called on a mix of symbolic tensors and "
                            f"{type(t).__name__}: in a graph, every input comes from an Input or a layer")
    node = Node(layer, main + states, len(main), single)
    node.options = options
    shapes = node.input_shapes()
    label = f"layer {layer.name or snake_case(type(layer).__name__)!r} ({type(layer).__name__})"
    try:
        if not layer.built:
            layer.build(shapes)
        else:
            wanted = {k: tuple(v) for k, v in layer.param_shapes(shapes).items()}
            have = {k: p.shape for k, p in layer.params.items()}
            if wanted != have:
                raise ValueError(f"its parameters have shapes {have}, and these inputs need {wanted}")
        out_shapes = layer.compute_output_shape(shapes, **options)
        if states:
            if not hasattr(layer, "check_initial_state_shapes"):
                raise TypeError("it takes no initial_state")
            layer.check_initial_state_shapes(shapes, [t.shape for t in states])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{label} cannot be called on inputs of shape "
                         f"{' and '.join(str(s) for s in _flatten(shapes)[0]) if not single else shapes}: {exc}") from None
    out_shapes, single_out = (out_shapes, False) if isinstance(out_shapes, list) else ([out_shapes], True)
    dtype = layer.output_dtype(main[0].dtype)
    node.outputs = [SymbolicTensor(shape, dtype, node, k) for k, shape in enumerate(out_shapes)]
    layer._nodes.append(node)
    return node.outputs[0] if single_out else list(node.outputs)
