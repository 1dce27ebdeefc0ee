"""Merging layers, Keras's: ``Concatenate``, ``Add``, ``Subtract``, ``Multiply``, ``Average``.

Each takes a list of tensors, ``Concatenate()([a, b])``, and its backward pass returns one gradient
per input. The mask of a merge keeps a step only where every input's mask keeps it (the logical
AND; an input without a mask keeps every step).
"""
import numpy as np

from .base import Layer


def and_masks(masks):
    """The logical AND of the masks that are not None (None when all are)."""
    masks = [np.asarray(m, bool) for m in masks if m is not None]
    if not masks:
        return None
    out = masks[0]
    for m in masks[1:]:
        out = out & m
    return out


class Merge(Layer):
    """Base of the merging layers: a list of at least two inputs; one output."""

    min_inputs, max_inputs = 2, None

    def __init__(self, name=None):
        super().__init__(name)
        self.built = True

    def _check_list(self, inputs):
        what = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or len(inputs) < self.min_inputs or (
                self.max_inputs is not None and len(inputs) > self.max_inputs):
            count = (f"exactly {self.max_inputs}" if self.max_inputs == self.min_inputs
                     else f"at least {self.min_inputs}")
            got = f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple)) else f"one {type(inputs).__name__}"
            raise ValueError(f"{what} merges a list of {count} inputs, got {got}")
        return list(inputs)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)     # checks the shapes
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return and_masks(mask)

    def output_dtype(self, input_dtype):
        return input_dtype

    def get_config(self):
        return dict(name=self.name)


class _Elementwise(Merge):
    """Add, Subtract, Multiply, Average: inputs of one shape, merged entry by entry."""

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        first = tuple(shapes[0])
        for s in shapes[1:]:
            if len(s) != len(first) or any(a is not None and b is not None and a != b
                                           for a, b in zip(first[1:], tuple(s)[1:])):
                raise ValueError(f"{type(self).__name__} merges inputs of one shape, got "
                                 f"{' and '.join(str(tuple(x)) for x in shapes)}")
        return first

    def _arrays(self, inputs):
        arrays = [np.asarray(a) for a in self._check_list(inputs)]
        for a in arrays[1:]:
            if a.shape != arrays[0].shape:
                raise ValueError(f"{type(self).__name__} merges inputs of one shape, got "
                                 f"{' and '.join(str(x.shape) for x in arrays)}")
        return arrays


class Add(_Elementwise):
    """Keras's ``Add``: the sum of a list of inputs of one shape, ``y = x_1 + x_2 + ...``.

    Parameters
    ----------
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``add``, ``add_1``, ...).
    """

    def forward(self, inputs, mask=None, training=False):
        xs = self._arrays(inputs)
        return sum(xs[1:], xs[0]), {"n": len(xs)}

    def backward(self, dY, cache=None):
        return [dY] * self._last(cache)["n"]          # d y / d x_k = 1


class Subtract(_Elementwise):
    """Keras's ``Subtract``: ``y = x_1 - x_2``, for exactly two inputs of one shape.

    Parameters
    ----------
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``subtract``, ``subtract_1``, ...).
    """

    max_inputs = 2

    def forward(self, inputs, mask=None, training=False):
        a, b = self._arrays(inputs)
        return a - b, {}

    def backward(self, dY, cache=None):
        self._last(cache)
        return [dY, -dY]


class Multiply(_Elementwise):
    """Keras's ``Multiply``: the entry-by-entry product of a list of inputs of one shape, ``y = x_1 * x_2 * ...``.

    Parameters
    ----------
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``multiply``, ``multiply_1``, ...).
    """

    def forward(self, inputs, mask=None, training=False):
        xs = self._arrays(inputs)
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y, {"xs": xs}

    def backward(self, dY, cache=None):
        xs = self._last(cache)["xs"]
        grads = []
        for k in range(len(xs)):                      # d y / d x_k = the product of the others
            others = dY
            for j, x in enumerate(xs):
                if j != k:
                    others = others * x
            grads.append(others)
        return grads


class Average(_Elementwise):
    """Keras's ``Average``: the mean of a list of inputs of one shape, ``y = (x_1 + ... + x_n) / n``.

    Parameters
    ----------
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``average``, ``average_1``, ...).
    """

    def forward(self, inputs, mask=None, training=False):
        xs = self._arrays(inputs)
        return sum(xs[1:], xs[0]) / len(xs), {"n": len(xs)}

    def backward(self, dY, cache=None):
        n = self._last(cache)["n"]
        return [dY / n] * n


class Concatenate(Merge):
    """Keras's ``Concatenate(axis=-1)``: the inputs joined along ``axis``.

    Along the features (the last axis) the mask is the AND of the inputs' masks; along the time
    axis the masks are joined too, so each step keeps its own.

    Parameters
    ----------
    axis : int, default -1
        The axis joined along (not 0, the batch): the inputs' other sizes must agree.
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``concatenate``, ``concatenate_1``, ...).
    """

    def __init__(self, axis=-1, name=None):
        super().__init__(name)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise ValueError(f"Concatenate's axis must be a non-zero int (axis 0 is the batch), got {axis!r}")
        self.axis = int(axis)

    def _axis(self, ndim):
        axis = self.axis + ndim if self.axis < 0 else self.axis
        if not 1 <= axis < ndim:
            raise ValueError(f"Concatenate(axis={self.axis}) does not fit inputs of {ndim} dimensions")
        return axis

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in self._check_list(input_shape)]
        ndim = len(shapes[0])
        axis = self._axis(ndim)
        for s in shapes:
            if len(s) != ndim or any(a is not None and b is not None and a != b
                                     for k, (a, b) in enumerate(zip(shapes[0], s)) if k not in (0, axis)):
                raise ValueError(f"Concatenate(axis={self.axis}) needs inputs whose shapes agree but for that "
                                 f"axis, got {' and '.join(str(x) for x in shapes)}")
        sizes = [s[axis] for s in shapes]
        total = None if any(n is None for n in sizes) else sum(sizes)
        return (*shapes[0][:axis], total, *shapes[0][axis + 1:])

    def forward(self, inputs, mask=None, training=False):
        xs = [np.asarray(x) for x in self._check_list(inputs)]
        self.compute_output_shape([x.shape for x in xs])
        axis = self._axis(xs[0].ndim)
        return np.concatenate(xs, axis=axis), {"sizes": [x.shape[axis] for x in xs], "axis": axis,
                                               "shapes": [x.shape for x in xs]}

    def backward(self, dY, cache=None):
        cache = self._last(cache)
        cuts = np.cumsum(cache["sizes"])[:-1]
        return list(np.split(dY, cuts, axis=cache["axis"]))     # each input gets its own slice

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        xs = [np.asarray(x) for x in inputs]
        axis = self._axis(xs[0].ndim)
        steps = [np.ones(x.shape[:-1], bool) if m is None else np.asarray(m, bool) for x, m in zip(xs, mask)]
        if axis == xs[0].ndim - 1:
            return and_masks(steps)                    # features joined: a step is kept if every input keeps it
        return np.concatenate(steps, axis=axis)        # steps joined: each keeps its own

    def get_config(self):
        return dict(axis=self.axis, name=self.name)
