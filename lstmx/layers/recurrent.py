"""Keras-style recurrent layers: ``LSTM``, ``GRU`` and ``SimpleRNN``.

Each layer builds its cell (``layer.cell``) from the first input it sees, runs the recurrence over a
``(batch, time, features)`` input through :mod:`lstmx.functional` (so on the chosen backend), and
backpropagates through time with ``layer.backward``.
"""
import numpy as np

from .. import dispatch
from .. import functional as F
from .._kernels._layout import reversed_in_time
from .._validation import NonFiniteError, as_float_array, as_sequence_array, check_dtype, check_positive_int
from ..gru import GRUCell
from ..lstm import LSTMCell
from ..rnn import RNNCell
from .base import Layer
from .dropout import keep_mask


# The constructor's arguments, shared by LSTM, GRU and SimpleRNN: each class's docstring includes
# them, so that help(lstmx.LSTM) shows them (help shows a class's own docstring, not its base's).
_PARAMETERS = """
    Parameters
    ----------
    units : int
        Hidden size ``H``: the width of ``h_t`` (and of every gate) and of the output.
    return_sequences : bool, default False
        Return the output of every step, ``(batch, time, units)``, instead of the last step's,
        ``(batch, units)``. Set it on every recurrent layer that feeds another one.
    return_state : bool, default False
        Return ``[output, *final_states]``: ``[output, h, c]`` for an LSTM, ``[output, h]`` for a
        GRU or a SimpleRNN.
    go_backwards : bool, default False
        Read the sequence from its last step to its first; the outputs come in that reversed order.
    dtype : float32 (default) or float64
        Precision of the weights and of all computation; inputs of the other float precision are
        converted to it.
    backend : {"auto", "reference", "cython", "numba"}, default "auto"
        Which implementation runs the recurrence: the NumPy reference or a compiled kernel (the
        same numbers). "auto" picks the fastest that works here (:func:`lstmx.backends` lists
        them). Another name is refused when the layer is made.
    seed : int or None, default None
        Seed of the weights' initialisation and of the dropout masks (None: fresh randomness).
    dropout : float in [0, 1), default 0.0
        Keras's input dropout: in training, each input feature of a sequence is zeroed with this
        probability (the rest scaled by 1 / (1 - dropout)), with one mask for all of the sequence's
        steps, so the same features are missing at every step.
    recurrent_dropout : float in [0, 1), default 0.0
        Keras's recurrent dropout: in training, ``h_(t-1)`` is multiplied by a mask (one a sequence,
        of ``units`` numbers, the same at every step) where it meets ``U``; the kernels take the
        mask as ``recurrent_keep`` (see :func:`lstmx.lstm.lstm_forward`).
    stateful : bool, default False
        Keras's ``stateful``: the final state of sample ``i`` of one batch is the initial state of
        sample ``i`` of the next, in ``fit``, ``train_on_batch`` and ``predict`` alike, until
        :meth:`reset_states`. The batch size is then fixed: declared by
        ``Input(shape=..., batch_size=B)``, or else taken from the first batch; a batch of another
        size is refused. The carried state is a constant for the backward pass, so
        backpropagation through time stops at the batch boundary (truncated BPTT).
    name : str or None, default None
        The layer's name in a model (``model.get_layer(name)``, ``summary()``); by default the
        class's in snake case, numbered within the model (``lstm``, ``lstm_1``, ...).
"""

_ATTRIBUTES = """
    Attributes
    ----------
    cell : {cell}
        The cell holding the weights, made when the layer first sees an input (``layer.cell.W``,
        and each gate's views such as ``layer.cell.{view}``).
    input_keep : (B, 1, I) array or None
        The last training call's dropout mask, already scaled: 0 or 1 / (1 - dropout).
    recurrent_keep : (B, H) array or None
        The last training call's recurrent dropout mask, scaled the same way.
    states : list of (B, H) arrays or None
        A stateful layer's carried state (``[h, c]`` for an LSTM): the final state of its last
        call, the initial state of its next; None after :meth:`reset_states` (zeros).
"""


class Recurrent(Layer):
    __doc__ = """Base of the recurrent layers :class:`LSTM`, :class:`GRU` and :class:`SimpleRNN`.
""" + _PARAMETERS + _ATTRIBUTES.format(cell="LSTMCell, GRUCell or RNNCell", view="W_f")

    cell_class = None
    cell_name = None
    state_names = ("h",)

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False,
                 dtype=np.float32, backend="auto", seed=None, dropout=0.0, recurrent_dropout=0.0, stateful=False,
                 name=None):
        super().__init__(name)
        self.units = check_positive_int("units", units)
        for name_, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{name_} must be in [0, 1), got {rate}")
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self._dropout_rng = np.random.default_rng(None if seed is None else [seed, 1])   # not the init's stream
        self._recurrent_rng = np.random.default_rng(None if seed is None else [seed, 2])
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.dtype = check_dtype(dtype)
        self.backend = dispatch.check_name(backend)
        self.seed = seed
        self.stateful = bool(stateful)
        self.batch_size = None     # a stateful layer's fixed batch size, once known
        self.states = None         # a stateful layer's carried state (None: zeros)
        self.cell = None
        self.dstates = None

    def param_shapes(self, input_shape):
        G, H, I = len(self.cell_class.gates), self.units, input_shape[-1]
        shapes = {"W": (G * H, I), "U": (G * H, H), "b": (G * H,)}
        return {**shapes, "b_hn": (H,)} if self.cell_class is GRUCell else shapes

    def build(self, input_shape):
        """Create the cell for inputs of ``input_shape`` (its last entry: the number of features)."""
        input_size = input_shape if isinstance(input_shape, (int, np.integer)) else input_shape[-1]
        self.cell = self.cell_class(input_size, self.units, seed=self.seed, dtype=self.dtype)
        if self.stateful and not isinstance(input_shape, (int, np.integer)) and input_shape[0] is not None:
            self.batch_size = int(input_shape[0])     # declared by Input(batch_size=...)
        self.built = True

    def reset_states(self):
        """Forget a stateful layer's carried state: the next batch starts from zeros."""
        self.states = None

    def _carried_states(self, batch):
        """A stateful layer's initial state for a batch of ``batch`` samples: the last call's final
        state, sample by sample (zeros at first or after :meth:`reset_states`)."""
        if self.batch_size is None:
            self.batch_size = batch
        if batch != self.batch_size:
            who = f"stateful {type(self).__name__} layer {self.name!r}" if self.name else \
                f"stateful {type(self).__name__} layer"
            raise ValueError(f"{who} carries one state per sample of a batch of {self.batch_size}, got a batch "
                             f"of {batch}: feed batches of exactly {self.batch_size} samples (a number of samples "
                             f"that is a multiple of it in fit, evaluate and predict), or use a copy of the "
                             f"model without stateful=True for other sizes")
        return [None] * len(self.state_names) if self.states is None else list(self.states)

    @property
    def params(self):
        return self.cell.params if self.cell is not None else {}

    @property
    def input_keep(self):
        """The last call's input dropout mask (B, 1, I), or None."""
        return None if self._cache is None else self._cache["input_keep"]

    @property
    def recurrent_keep(self):
        """The last call's recurrent dropout mask (B, H), or None."""
        return None if self._cache is None else self._cache["recurrent_keep"]

    def forward(self, X, mask=None, training=False, initial_state=None):
        """Run the layer: ``layer(X, mask=..., training=..., initial_state=...)`` calls this with
        the same arguments, keeps the cache for :meth:`backward` and returns the outputs.

        Parameters
        ----------
        X : (B, T, I) float array
            A batch of sequences: ``B`` sequences of ``T`` steps of ``I`` features.
        mask : (B, T) bool array or None, default None
            True where a step is real, False at padding. A masked step leaves the state as it
            was and outputs the last kept step's ``h`` (before the first, the initial ``h``), as Keras does;
            an :class:`~lstmx.Embedding` with ``mask_zero=True`` or a :class:`~lstmx.Masking`
            layer before this one passes its mask in a model.
        training : bool, default False
            Apply ``dropout`` and ``recurrent_dropout`` (a model's ``fit`` passes True; ``predict``
            and ``evaluate`` False).
        initial_state : list of (B, H) arrays (``[h0]``, or ``[h0, c0]`` for an LSTM), or None
            The state before the first step; None starts from zeros (or, for a ``stateful``
            layer, from the state its last call left).

        Returns
        -------
        ``(outputs, cache)``: outputs (B, T, H) or (B, H), or a list ``[output, *states]`` when
        ``return_state``.
        """
        X = as_sequence_array("X", X, self.dtype, False)
        if not self.built:
            self.build(X.shape)
        elif X.shape[2] != self.cell.input_size:
            raise ValueError(f"{type(self).__name__} was built for {self.cell.input_size} input features, "
                             f"got X with shape {X.shape}")
        states = self._initial_states(initial_state)
        if self.stateful and initial_state is None:
            states = self._carried_states(X.shape[0])
        if self.go_backwards:
            X = reversed_in_time(X)
            mask = None if mask is None else np.asarray(mask)[:, ::-1]
        B, _, I = X.shape
        input_keep = recurrent_keep = None
        if training and self.dropout:   # one mask a sequence, for every step: (B, 1, I)
            input_keep = keep_mask(self._dropout_rng, (B, 1, I), self.dropout, self.dtype)
            X = X * input_keep
        if training and self.recurrent_dropout:   # one mask a sequence, for h_(t-1) at every step: (B, H)
            recurrent_keep = keep_mask(self._recurrent_rng, (B, self.units), self.recurrent_dropout, self.dtype)
        try:
            Y, finals, kernel_cache = self._forward(X, states, mask, recurrent_keep)
        except NonFiniteError as exc:
            raise self._non_finite(exc) from None
        if self.stateful:     # carried to the next call as a constant: BPTT stops here
            self.states = [np.array(s, copy=True) for s in finals]
        output = Y if self.return_sequences else finals[0]
        cache = dict(kernel=kernel_cache, input_keep=input_keep, recurrent_keep=recurrent_keep,
                     initial_states=0 if initial_state is None else len(states))
        return ([output, *finals] if self.return_state else output), cache

    def backward(self, dY, cache=None, dstates=None):
        """Backpropagate ``dY`` (the gradient of the output) through time.

        Parameters
        ----------
        dY : array shaped like the output, (B, T, H) or (B, H), or None (no gradient)
        cache : what ``forward`` returned (default: the last call's)
        dstates : list of (B, H) arrays or None, gradients of the returned final states

        Returns
        -------
        dX : (B, T, I) array. The parameter gradients go to ``self.grads`` and the initial
        states' to ``self.dstates``.
        """
        cache = self._last(cache)
        B, T, _ = cache["kernel"]["X"].shape
        H = self.units
        dfinals = [None] * len(self.state_names) if dstates is None else list(dstates)
        if len(dfinals) != len(self.state_names):
            raise ValueError(f"dstates must hold {len(self.state_names)} arrays, got {len(dfinals)}")
        if self.return_sequences:
            dY_seq = dY
        else:
            dY_seq = None
            if dY is not None:
                dY = as_float_array("dY", dY, (B, H), self.dtype, True, "(batch, units)")
                dfinals[0] = dY if dfinals[0] is None else dY + dfinals[0]
        dX, grads, dinitial = self._backward(dY_seq, dfinals, cache["kernel"])
        if cache["input_keep"] is not None:
            dX = dX * cache["input_keep"]
        self.grads = grads
        self.dstates = dinitial
        return dX[:, ::-1] if self.go_backwards else dX

    def backward_node(self, output_grads, cache):
        dY, dstates = (output_grads[0], output_grads[1:]) if self.return_state else (output_grads[0], None)
        dX = self.backward(dY, cache, dstates)
        return [dX, *self.dstates[:cache["initial_states"]]]

    def _non_finite(self, exc):
        """The error of a NaN or inf met by the forward call, in the layer's words."""
        who = f"{type(self).__name__} layer {self.name!r}" if self.name else f"{type(self).__name__} layer"
        detail = str(exc).split(" (pass check_finite")[0]
        if exc.name == "X":
            advice = ("its input holds NaN or inf: check the data (np.isfinite(x).all()) or the layer that "
                      "feeds this one")
        elif exc.name in ("W", "U", "b", "b_hn"):
            advice = (f"its weights {exc.name} hold NaN or inf: the training diverged; try a smaller "
                      f"learning rate or clipnorm=1.0 in the optimizer")
        else:
            advice = f"its initial state {exc.name} holds NaN or inf"
        return NonFiniteError(exc.name, f"{who}: {advice} ({detail})")

    def _initial_states(self, initial_state):
        if initial_state is None:
            return [None] * len(self.state_names)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != len(self.state_names):
            raise ValueError(f"initial_state must be a list of {len(self.state_names)} arrays "
                             f"({', '.join(self.state_names)}), got {len(states)}")
        return states

    def check_initial_state_shapes(self, input_shape, state_shapes):
        """Raise ValueError unless ``state_shapes`` are the (batch, units) shapes of this layer's states."""
        if len(state_shapes) != len(self.state_names):
            raise ValueError(f"initial_state must hold {len(self.state_names)} tensors "
                             f"({', '.join(self.state_names)}), got {len(state_shapes)}")
        for name_, shape in zip(self.state_names, state_shapes):
            if len(shape) != 2 or shape[1] != self.units:
                raise ValueError(f"initial state {name_} must have shape (batch, {self.units}), got {shape}")

    def compute_mask(self, inputs, mask=None):
        out = None if mask is None or not self.return_sequences else (
            np.asarray(mask)[:, ::-1] if self.go_backwards else mask)
        return [out] + [None] * len(self.state_names) if self.return_state else out

    def compute_output_shape(self, input_shape):
        B, T = input_shape[0], input_shape[1]
        out = (B, T, self.units) if self.return_sequences else (B, self.units)
        return [out] + [(B, self.units)] * len(self.state_names) if self.return_state else out

    def get_config(self):
        return dict(units=self.units, return_sequences=self.return_sequences, return_state=self.return_state,
                    go_backwards=self.go_backwards, dtype=self.dtype.name, backend=self.backend, seed=self.seed,
                    dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, stateful=self.stateful,
                    name=self.name)


class LSTM(Recurrent):
    __doc__ = """Long short-term memory layer, Keras's ``LSTM``: ``(batch, time, features)`` in,
    ``(batch, units)`` (or every step's output) out.

    Its weights are an :class:`~lstmx.LSTMCell`'s (gate order i, f, g, o; forget-gate bias 1), made
    when the layer first sees an input.
""" + _PARAMETERS + _ATTRIBUTES.format(cell="LSTMCell", view="W_f") + """
    Examples
    --------
    >>> import numpy as np, lstmx
    >>> layer = lstmx.LSTM(64, return_sequences=True)
    >>> X = np.random.rand(32, 100, 128).astype(np.float32)    # (batch, time, features)
    >>> Y = layer(X)
    >>> Y.shape, layer.cell.W.shape                            # W: the pack (4H, I)
    ((32, 100, 64), (256, 128))
    >>> dX = layer.backward(np.ones_like(Y))                   # BPTT; layer.grads holds dW, dU, db
"""

    cell_class = LSTMCell
    state_names = ("h", "c")

    def _forward(self, X, states, mask, recurrent_keep):
        c = self.cell
        Y, (hT, cT), cache = F.lstm_forward(X, c.W, c.U, c.b, states[0], states[1], mask,
                                            recurrent_keep=recurrent_keep, backend=self.backend)
        return Y, [hT, cT], cache

    def _backward(self, dY, dfinals, cache):
        dX, dW, dU, db, dh0, dc0 = F.lstm_backward(dY, dfinals[0], dfinals[1], cache)
        return dX, {"W": dW, "U": dU, "b": db}, [dh0, dc0]


class GRU(Recurrent):
    __doc__ = """Gated recurrent unit layer, Keras's ``GRU`` with ``reset_after=True`` (PyTorch's
    equations): ``(batch, time, features)`` in, ``(batch, units)`` (or every step's output) out.

    Its weights are a :class:`~lstmx.GRUCell`'s (gates r, z, n, and ``b_hn`` inside the reset),
    made when the layer first sees an input. Its only state is ``h``.
""" + _PARAMETERS + _ATTRIBUTES.format(cell="GRUCell", view="W_z")

    cell_class = GRUCell

    def _forward(self, X, states, mask, recurrent_keep):
        c = self.cell
        Y, hT, cache = F.gru_forward(X, c.W, c.U, c.b, c.b_hn, states[0], mask, recurrent_keep=recurrent_keep,
                                     backend=self.backend)
        return Y, [hT], cache

    def _backward(self, dY, dfinals, cache):
        dX, dW, dU, db, db_hn, dh0 = F.gru_backward(dY, dfinals[0], cache)
        return dX, {"W": dW, "U": dU, "b": db, "b_hn": db_hn}, [dh0]


class SimpleRNN(Recurrent):
    __doc__ = """Fully connected tanh RNN layer, Keras's ``SimpleRNN``: ``h_t = tanh(W x_t + U h_(t-1) + b)``.

    ``(batch, time, features)`` in, ``(batch, units)`` (or every step's output) out; its weights
    are an :class:`~lstmx.RNNCell`'s, made when the layer first sees an input.
""" + _PARAMETERS + _ATTRIBUTES.format(cell="RNNCell", view="W_h")

    cell_class = RNNCell

    def _forward(self, X, states, mask, recurrent_keep):
        c = self.cell
        Y, hT, cache = F.rnn_forward(X, c.W, c.U, c.b, states[0], mask, recurrent_keep=recurrent_keep,
                                     backend=self.backend)
        return Y, [hT], cache

    def _backward(self, dY, dfinals, cache):
        dX, dW, dU, db, dh0 = F.rnn_backward(dY, dfinals[0], cache)
        return dX, {"W": dW, "U": dU, "b": db}, [dh0]
