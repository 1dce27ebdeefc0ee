"""Bidirectional: run a recurrent layer forwards and a copy of it backwards, and merge the two."""
import numpy as np

from .._validation import NonFiniteError
from .base import Layer
from .recurrent import Recurrent

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Keras's ``Bidirectional(layer, merge_mode)``.

    The forward layer reads the sequence from the first step, a copy with ``go_backwards=True``
    from the last; with ``return_sequences`` the backward outputs are put back in time order before
    merging, so step ``t`` of the output sees the whole sequence. Both get the same mask.

    Parameters
    ----------
    layer : LSTM, GRU or SimpleRNN (not yet built)
    merge_mode : 'concat' (default: output width 2H), 'sum', 'mul', 'ave', or None (two outputs,
        ``[forward, backward]``, as Keras returns them)
    name : str or None

    With ``return_state=True`` on the wrapped layer the outputs are Keras's
    ``[output(s), *forward_states, *backward_states]``; ``initial_state`` takes the forward layer's
    states then the backward layer's (``[h_f, c_f, h_b, c_b]`` for an LSTM).
    """

    def __init__(self, layer, merge_mode="concat", name=None):
        super().__init__(name)
        if not isinstance(layer, Recurrent):
            raise TypeError(f"Bidirectional wraps a recurrent layer (LSTM, GRU or SimpleRNN), "
                            f"got {type(layer).__name__}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
        self.merge_mode = merge_mode
        config = layer.get_config()
        self.forward_layer = layer
        backward_seed = None if config["seed"] is None else config["seed"] + 1
        self.backward_layer = type(layer)(**{**config, "go_backwards": not config["go_backwards"],
                                             "seed": backward_seed, "name": None})
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.dtype = layer.dtype
        self._states = len(layer.state_names)

    def reset_states(self):
        """Forget the carried states of stateful wrapped layers."""
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    @property
    def params(self):
        p = {f"forward_{k}": v for k, v in self.forward_layer.params.items()}
        p.update({f"backward_{k}": v for k, v in self.backward_layer.params.items()})
        return p

    def param_shapes(self, input_shape):
        p = {f"forward_{k}": v for k, v in self.forward_layer.param_shapes(input_shape).items()}
        p.update({f"backward_{k}": v for k, v in self.backward_layer.param_shapes(input_shape).items()})
        return p

    def build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)

    @property
    def _cache(self):
        return self._last_call

    @_cache.setter
    def _cache(self, cache):
        """The last call's cache; the wrapped layers keep theirs too (``forward_layer.input_keep``)."""
        self._last_call = cache
        if cache is not None:
            self.forward_layer._cache, self.backward_layer._cache = cache["forward"], cache["backward"]

    @property
    def built(self):
        return self.forward_layer.built

    @built.setter
    def built(self, value):
        pass

    def forward(self, X, mask=None, training=False, initial_state=None):
        n = self._states
        if initial_state is not None and len(initial_state) != 2 * n:
            raise ValueError(f"Bidirectional's initial_state takes {2 * n} arrays (the forward layer's "
                             f"{n}, then the backward layer's), got {len(initial_state)}")
        f_init, b_init = (None, None) if initial_state is None else (initial_state[:n], initial_state[n:])
        try:
            yf, fcache = self.forward_layer.forward(X, mask, training, f_init)   # training: their dropout
            yb, bcache = self.backward_layer.forward(X, mask, training, b_init)
        except NonFiniteError as exc:
            who = f"Bidirectional layer {self.name!r}" if self.name else "Bidirectional layer"
            raise NonFiniteError(exc.name, f"{who}, in its {exc}") from None
        f_states = b_states = []
        if self.return_state:
            (yf, *f_states), (yb, *b_states) = yf, yb
        if self.return_sequences:
            yb = yb[:, ::-1]                    # back to time order
        m = self.merge_mode
        outputs = ([yf, yb] if m is None else [np.concatenate([yf, yb], axis=-1)] if m == "concat"
                   else [yf + yb] if m == "sum" else [yf * yb] if m == "mul" else [(yf + yb) / 2])
        outputs += f_states + b_states
        cache = dict(forward=fcache, backward=bcache, yf=yf, yb=yb)
        return (outputs if len(outputs) > 1 else outputs[0]), cache

    def backward(self, dY, cache=None):
        if self.merge_mode is None or self.return_state:
            raise ValueError("this Bidirectional layer has several outputs: its backward pass takes a "
                             "gradient for each, through backward_node")
        return self.backward_node([dY], self._last(cache))[0]

    def backward_node(self, output_grads, cache):
        H, n, m = self.forward_layer.units, self._states, self.merge_mode
        k = 2 if m is None else 1
        dY, d_states = output_grads[:k], list(output_grads[k:]) or [None] * (2 * n)
        if m is None:
            dyf, dyb = dY
        elif dY[0] is None:
            dyf = dyb = None
        elif m == "concat":
            dyf, dyb = dY[0][..., :H], dY[0][..., H:]
        elif m == "sum":
            dyf = dyb = dY[0]
        elif m == "mul":
            dyf, dyb = dY[0] * cache["yb"], dY[0] * cache["yf"]
        else:
            dyf = dyb = dY[0] / 2
        if self.return_sequences and dyb is not None:
            dyb = dyb[:, ::-1]
        contiguous = lambda a: None if a is None else np.ascontiguousarray(a)
        dX = (self.forward_layer.backward(contiguous(dyf), cache["forward"], d_states[:n])
              + self.backward_layer.backward(contiguous(dyb), cache["backward"], d_states[n:]))
        given = cache["forward"]["initial_states"]
        d_initial = self.forward_layer.dstates[:given] + self.backward_layer.dstates[:given]
        self.grads = {f"forward_{k}": v for k, v in self.forward_layer.grads.items()}
        self.grads.update({f"backward_{k}": v for k, v in self.backward_layer.grads.items()})
        return [dX, *d_initial]

    def check_initial_state_shapes(self, input_shape, state_shapes):
        n = self._states
        if len(state_shapes) != 2 * n:
            raise ValueError(f"initial_state must hold {2 * n} tensors (the forward layer's {n}, then the "
                             f"backward layer's), got {len(state_shapes)}")
        self.forward_layer.check_initial_state_shapes(input_shape, state_shapes[:n])
        self.backward_layer.check_initial_state_shapes(input_shape, state_shapes[n:])

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        masks = [out, out] if self.merge_mode is None else [out]
        masks += [None] * (2 * self._states if self.return_state else 0)
        return masks if len(masks) > 1 else masks[0]

    def compute_output_shape(self, input_shape):
        B, H = input_shape[0], self.forward_layer.units
        width = 2 * H if self.merge_mode == "concat" else H
        out = (B, input_shape[1], width) if self.return_sequences else (B, width)
        shapes = [out, out] if self.merge_mode is None else [out]
        shapes += [(B, H)] * (2 * self._states if self.return_state else 0)
        return shapes if len(shapes) > 1 else shapes[0]

    def get_config(self):
        return dict(layer=dict(class_name=type(self.forward_layer).__name__, config=self.forward_layer.get_config()),
                    merge_mode=self.merge_mode, name=self.name)
