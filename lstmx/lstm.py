r"""The LSTM, written as its equations: the reference that every compiled kernel must reproduce.

For each time step, with :math:`\sigma` the logistic sigmoid and :math:`\odot` the elementwise
product (gate order i, f, g, o, as PyTorch and Keras pack them)::

    i_t = σ(W_i x_t + U_i h_(t-1) + b_i)      input gate        (B, H)
    f_t = σ(W_f x_t + U_f h_(t-1) + b_f)      forget gate       (B, H)
    g_t = tanh(W_g x_t + U_g h_(t-1) + b_g)   candidate cell    (B, H)
    o_t = σ(W_o x_t + U_o h_(t-1) + b_o)      output gate       (B, H)
    c_t = f_t ⊙ c_(t-1) + i_t ⊙ g_t           cell state        (B, H)
    h_t = o_t ⊙ tanh(c_t)                     hidden state      (B, H)

Shapes: ``X (B, T, I)`` batch-first, ``W (4H, I)``, ``U (4H, H)``, ``b (4H,)``.
Where ``mask[b, t]`` is False, step ``t`` of sequence ``b`` is skipped: ``h`` and ``c`` are carried
through unchanged, so the output repeats the previous one (Keras's masking).
With ``recurrent_keep`` (B, H), Keras's recurrent dropout, ``h_(t-1)`` is multiplied by it where
it meets ``U`` (``U_i (h_(t-1) ⊙ keep)`` ...), at every step; the state itself is not changed.

These functions do no validation: call them through :func:`lstmx.lstm_forward`, which checks the
input and picks a backend, or directly on arrays you know are right.
"""
import numpy as np

from ._cell import RecurrentCell, sigmoid


def lstm_forward(X, W, U, b, h0, c0, mask=None, recurrent_keep=None):
    """Run an LSTM over a batch of sequences.

    Parameters
    ----------
    X : (B, T, I) array
    W : (4H, I) array;  U : (4H, H) array;  b : (4H,) array
    h0, c0 : (B, H) arrays, the initial state
    mask : (B, T) bool array or None
    recurrent_keep : (B, H) array or None, the recurrent dropout mask (0 or 1 / (1 - rate))

    Returns
    -------
    Y : (B, T, H) array, the hidden state after every step
    (hT, cT) : two (B, H) arrays, the final state
    cache : dict, what ``lstm_backward`` needs
    """
    B, T, I = X.shape
    H = U.shape[1]
    hs = np.empty((T + 1, B, H), X.dtype)     # hs[t] is h after t steps; hs[0] = h0
    cs = np.empty((T + 1, B, H), X.dtype)     # cs[t] likewise for c
    gates = np.empty((T, B, 4 * H), X.dtype)  # activated i, f, g, o of every step
    hs[0], cs[0] = h0, c0
    for t in range(T):
        x_t, h_prev, c_prev = X[:, t], hs[t], cs[t]   # (B, I), (B, H), (B, H)
        # h_(t-1) where it meets U: recurrent dropout's mask, if any, applies here only
        h_rec = h_prev if recurrent_keep is None else h_prev * recurrent_keep
        a = x_t @ W.T + h_rec @ U.T + b               # (B, 4H) pre-activations of all 4 gates
        i = sigmoid(a[:, 0 * H:1 * H])                # input gate      (B, H)
        f = sigmoid(a[:, 1 * H:2 * H])                # forget gate     (B, H)
        g = np.tanh(a[:, 2 * H:3 * H])                # candidate cell  (B, H)
        o = sigmoid(a[:, 3 * H:4 * H])                # output gate     (B, H)
        c = f * c_prev + i * g                        # cell state      (B, H)
        h = o * np.tanh(c)                            # hidden state    (B, H)
        if mask is not None:                          # masked rows keep their state
            m = mask[:, t, None]                      # (B, 1)
            c = np.where(m, c, c_prev)
            h = np.where(m, h, h_prev)
        gates[t] = np.concatenate([i, f, g, o], axis=1)
        hs[t + 1], cs[t + 1] = h, c
    Y = hs[1:].transpose(1, 0, 2)                     # (B, T, H), a batch-first view
    cache = dict(X=X, W=W, U=U, hs=hs, cs=cs, gates=gates, mask=mask, recurrent_keep=recurrent_keep)
    return Y, (hs[T], cs[T]), cache


def lstm_backward(dY, dhT, dcT, cache):
    """Backpropagation through time: the forward pass read bottom-up, one step at a time.

    Parameters
    ----------
    dY : (B, T, H) array, gradient of the loss with respect to every output
    dhT, dcT : (B, H) arrays, gradients with respect to the final state
    cache : dict from ``lstm_forward``

    Returns
    -------
    dX (B, T, I), dW (4H, I), dU (4H, H), db (4H,), dh0 (B, H), dc0 (B, H)
    """
    X, W, U = cache["X"], cache["W"], cache["U"]
    mask, keep = cache["mask"], cache.get("recurrent_keep")
    hs, cs, gates = cache["hs"], cache["cs"], cache["gates"]
    B, T, I = X.shape
    H = U.shape[1]
    dX = np.empty_like(X)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros(4 * H, X.dtype)
    dh_next, dc_next = dhT.copy(), dcT.copy()         # gradients flowing in from step t+1
    for t in reversed(range(T)):
        x_t, h_prev, c_prev, c = X[:, t], hs[t], cs[t], cs[t + 1]
        i, f, g, o = (gates[t][:, k * H:(k + 1) * H] for k in range(4))
        dh = dY[:, t] + dh_next                       # h_t feeds the output and step t+1
        # h = o * tanh(c)
        tanh_c = np.tanh(c)
        do = dh * tanh_c
        dc = dc_next + dh * o * (1 - tanh_c ** 2)
        # c = f * c_prev + i * g
        df = dc * c_prev
        di = dc * g
        dg = dc * i
        dc_prev = dc * f
        # through the nonlinearities to the pre-activations a = x W^T + h U^T + b
        da = np.concatenate([di * i * (1 - i),        # σ' = σ(1 - σ)
                             df * f * (1 - f),
                             dg * (1 - g ** 2),       # tanh' = 1 - tanh²
                             do * o * (1 - o)], axis=1)  # (B, 4H)
        if mask is not None:                          # a masked step passed h and c through
            m = mask[:, t, None]
            da = np.where(m, da, 0)
            dc_prev = np.where(m, dc_prev, dc_next)
        h_rec = h_prev if keep is None else h_prev * keep   # h_(t-1) as U met it
        dh_prev = da @ U                              # (B, H)
        if keep is not None:
            dh_prev = dh_prev * keep
        if mask is not None:
            dh_prev = np.where(m, dh_prev, dh)
        dW += da.T @ x_t                              # (4H, I)
        dU += da.T @ h_rec                            # (4H, H)
        db += da.sum(axis=0)                          # (4H,)
        dX[:, t] = da @ W                             # (B, I)
        dh_next, dc_next = dh_prev, dc_prev
    return dX, dW, dU, db, dh_next, dc_next


class LSTMCell(RecurrentCell):
    """One LSTM cell with its parameters packed and every gate's matrices exposed as views.

    Parameters
    ----------
    input_size : int
        ``I``, the number of features of each ``x_t``.
    hidden_size : int
        ``H``, the size of ``h_t`` and ``c_t`` (Keras's ``units``): every gate has ``H`` rows.
    seed : int or None
        Seed of the initialisation.
    dtype : float32 (default) or float64
        Precision of the parameters and of all computation.

    Attributes
    ----------
    W : (4H, I) array;  U : (4H, H) array;  b : (4H,) array
        The packs, gate order i, f, g, o.
    W_i, W_f, W_g, W_o : (H, I) views;  U_i ... U_o : (H, H) views;  b_i ... b_o : (H,) views

    Notes
    -----
    Initialised as Keras does: Glorot-uniform ``W``, orthogonal ``U``, ``b`` zero except the
    forget gate's, which is 1 so that a new cell remembers by default.
    """

    gates = ("i", "f", "g", "o")
    gate_roles = {"i": "input gate i_t = σ(·)", "f": "forget gate f_t = σ(·)",
                  "g": "candidate g_t = tanh(·)", "o": "output gate o_t = σ(·)"}

    def __init__(self, input_size, hidden_size, seed=None, dtype=np.float32):
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)
        self.b_f = 1.0  # Keras's unit_forget_bias

    def step(self, x_t, state):
        """One time step, gate by gate, with the per-gate views.

        Parameters
        ----------
        x_t : (B, I) array, or (I,) for one unbatched sequence
        state : tuple (h_prev, c_prev) of (B, H) arrays (or (H,)); start with zeros for both

        Returns
        -------
        (h_t, c_t) : tuple of (B, H) arrays
        """
        x_t, (h_prev, c_prev) = self._check_state(x_t, state)
        i = sigmoid(x_t @ self.W_i.T + h_prev @ self.U_i.T + self.b_i)
        f = sigmoid(x_t @ self.W_f.T + h_prev @ self.U_f.T + self.b_f)
        g = np.tanh(x_t @ self.W_g.T + h_prev @ self.U_g.T + self.b_g)
        o = sigmoid(x_t @ self.W_o.T + h_prev @ self.U_o.T + self.b_o)
        c = f * c_prev + i * g
        h = o * np.tanh(c)
        return h, c

    def _check_state(self, x_t, state):
        """``x_t, (h_prev, c_prev)`` as arrays, after checking that ``state`` is a pair of the right shapes."""
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            got = (f"one array of shape {np.shape(state)}" if isinstance(state, np.ndarray)
                   else f"a {type(state).__name__} of {len(state)}" if isinstance(state, (tuple, list))
                   else type(state).__name__)
            raise TypeError(f"LSTMCell.step takes state = (h_prev, c_prev), the hidden state and the cell "
                            f"state, two (batch, {self.hidden_size}) arrays; got {got}. To start: "
                            f"h = c = np.zeros((batch, {self.hidden_size}))")
        return self._check_step(x_t, {"h_prev": state[0], "c_prev": state[1]})

    def _explain(self, x_t, state, out):
        """``step``'s six lines, each printed with its terms (the sums in ``step``'s order: the same floats)."""
        x_t, (h_prev, c_prev) = self._check_state(x_t, state)
        out.title(x_t, {"h_(t-1)": h_prev, "c_(t-1)": c_prev})
        H, I = self.hidden_size, self.input_size
        act = {"i": sigmoid, "f": sigmoid, "g": np.tanh, "o": sigmoid}
        what = {"i": "input gate: how much of g_t to write", "f": "forget gate: how much of c_(t-1) to keep",
                "g": "candidate: what to write", "o": "output gate: how much of tanh(c_t) to show"}
        gate = {}
        for k in self.gates:
            W, U, b = getattr(self, f"W_{k}"), getattr(self, f"U_{k}"), getattr(self, f"b_{k}")
            f_name = "σ" if act[k] is sigmoid else "tanh"
            out.equation(f"{k}_t = {f_name}(W_{k} x_t + U_{k} h_(t-1) + b_{k})", what[k])
            Wx = x_t @ W.T                            # (B, H)
            Uh = h_prev @ U.T                         # (B, H)
            a = Wx + Uh + b                           # (B, H) the pre-activation, summed as step sums it
            out.matrix(f"W_{k} {(H, I)}", W)
            out.term(f"W_{k} {(H, I)} @ x_t", Wx)
            out.matrix(f"U_{k} {(H, H)}", U)
            out.term(f"U_{k} {(H, H)} @ h_(t-1)", Uh)
            out.term(f"b_{k} {(H,)}", b)
            out.term("sum", a)
            gate[k] = act[k](a)
            out.result(f"{k}_t = {f_name}(sum)", gate[k])
        i, f, g, o = (gate[k] for k in self.gates)
        out.equation("c_t = f_t ⊙ c_(t-1) + i_t ⊙ g_t", "cell state: keep some, write some")
        out.term("f_t ⊙ c_(t-1)  (kept)", f * c_prev)
        out.term("i_t ⊙ g_t  (written)", i * g)
        c = f * c_prev + i * g
        out.result("c_t", c)
        out.equation("h_t = o_t ⊙ tanh(c_t)", "hidden state: the output")
        out.term("tanh(c_t)", np.tanh(c))
        h = o * np.tanh(c)
        out.result("h_t", h)
        return h, c
