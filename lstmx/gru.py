r"""The GRU, written as its equations (PyTorch's form; Keras's ``reset_after=True``).

For each time step (gate order r, z, n, as PyTorch packs them)::

    r_t = σ(W_r x_t + b_r + U_r h_(t-1))                reset gate        (B, H)
    z_t = σ(W_z x_t + b_z + U_z h_(t-1))                update gate       (B, H)
    n_t = tanh(W_n x_t + b_n + r_t ⊙ (U_n h_(t-1) + b_hn))   candidate    (B, H)
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_(t-1)               hidden state      (B, H)

The reset gate is applied *after* the recurrent product, and the candidate has its own recurrent
bias ``b_hn`` inside that product; so a GRU has one ``(H,)`` bias more than ``3H``.
Shapes: ``X (B, T, I)``, ``W (3H, I)``, ``U (3H, H)``, ``b (3H,)``, ``b_hn (H,)``.
Masked steps carry ``h`` through unchanged, as in :mod:`lstmx.lstm`. With ``recurrent_keep``
(B, H), Keras's recurrent dropout, ``h_(t-1) ⊙ keep`` takes the place of ``h_(t-1)`` in the three
products with ``U``, but not in the last line, where ``h_(t-1)`` itself is carried.
"""
import numpy as np

from ._cell import RecurrentCell, sigmoid


def gru_forward(X, W, U, b, b_hn, h0, mask=None, recurrent_keep=None):
    """Run a GRU over a batch of sequences.

    Parameters
    ----------
    X : (B, T, I) array
    W : (3H, I) array;  U : (3H, H) array;  b : (3H,) array;  b_hn : (H,) array
    h0 : (B, H) array, the initial state
    mask : (B, T) bool array or None
    recurrent_keep : (B, H) array or None, the recurrent dropout mask (0 or 1 / (1 - rate))

    Returns
    -------
    Y : (B, T, H) array;  hT : (B, H) array;  cache : dict for ``gru_backward``
    """
    B, T, I = X.shape
    H = U.shape[1]
    hs = np.empty((T + 1, B, H), X.dtype)     # hs[t] is h after t steps; hs[0] = h0
    gates = np.empty((T, B, 3 * H), X.dtype)  # activated r, z, n of every step
    hns = np.empty((T, B, H), X.dtype)        # U_n h_(t-1) + b_hn, which the reset gate scales
    hs[0] = h0
    for t in range(T):
        x_t, h_prev = X[:, t], hs[t]                  # (B, I), (B, H)
        ax = x_t @ W.T + b                            # (B, 3H) input side of every gate
        h_rec = h_prev if recurrent_keep is None else h_prev * recurrent_keep   # h_(t-1) where it meets U
        ah = h_rec @ U.T                              # (B, 3H) recurrent side
        r = sigmoid(ax[:, 0:H] + ah[:, 0:H])          # reset gate   (B, H)
        z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])  # update gate  (B, H)
        hn = ah[:, 2 * H:3 * H] + b_hn                # (B, H)
        n = np.tanh(ax[:, 2 * H:3 * H] + r * hn)      # candidate    (B, H)
        h = (1 - z) * n + z * h_prev                  # hidden state (B, H)
        if mask is not None:                          # masked rows keep their state
            h = np.where(mask[:, t, None], h, h_prev)
        gates[t] = np.concatenate([r, z, n], axis=1)
        hns[t] = hn
        hs[t + 1] = h
    Y = hs[1:].transpose(1, 0, 2)                     # (B, T, H), a batch-first view
    cache = dict(X=X, W=W, U=U, hs=hs, gates=gates, hns=hns, mask=mask, recurrent_keep=recurrent_keep)
    return Y, hs[T], cache


def gru_backward(dY, dhT, cache):
    """Backpropagation through time for the GRU.

    Returns
    -------
    dX (B, T, I), dW (3H, I), dU (3H, H), db (3H,), db_hn (H,), dh0 (B, H)
    """
    X, W, U, mask, keep = cache["X"], cache["W"], cache["U"], cache["mask"], cache.get("recurrent_keep")
    hs, gates, hns = cache["hs"], cache["gates"], cache["hns"]
    B, T, I = X.shape
    H = U.shape[1]
    dX = np.empty_like(X)
    dW, dU = np.zeros_like(W), np.zeros_like(U)
    db, db_hn = np.zeros(3 * H, X.dtype), np.zeros(H, X.dtype)
    dh_next = dhT.copy()
    for t in reversed(range(T)):
        x_t, h_prev, hn = X[:, t], hs[t], hns[t]
        r, z, n = (gates[t][:, k * H:(k + 1) * H] for k in range(3))
        dh = dY[:, t] + dh_next
        # h = (1 - z) * n + z * h_prev
        dn = dh * (1 - z)
        dz = dh * (h_prev - n)
        dh_prev = dh * z
        # n = tanh(ax_n + r * hn)
        dan = dn * (1 - n ** 2)
        dr = dan * hn
        dhn = dan * r
        dar = dr * r * (1 - r)
        daz = dz * z * (1 - z)
        dax = np.concatenate([dar, daz, dan], axis=1)  # (B, 3H) grad of the input side x W^T + b
        dah = np.concatenate([dar, daz, dhn], axis=1)  # (B, 3H) grad of the recurrent side h U^T
        if mask is not None:
            m = mask[:, t, None]
            dax = np.where(m, dax, 0)
            dah = np.where(m, dah, 0)
            dh_prev = np.where(m, dh_prev, dh)         # a masked step passed h through
        h_rec = h_prev if keep is None else h_prev * keep   # h_(t-1) as U met it
        dh_rec = dah @ U                               # (B, H)
        dh_prev = dh_prev + (dh_rec if keep is None else dh_rec * keep)
        dW += dax.T @ x_t                              # (3H, I)
        db += dax.sum(axis=0)                          # (3H,)
        dU += dah.T @ h_rec                            # (3H, H)
        db_hn += dah[:, 2 * H:].sum(axis=0)            # (H,)
        dX[:, t] = dax @ W                             # (B, I)
        dh_next = dh_prev
    return dX, dW, dU, db, db_hn, dh_next


class GRUCell(RecurrentCell):
    """One GRU cell: packs ``W (3H, I)``, ``U (3H, H)``, ``b (3H,)``, ``b_hn (H,)``, gates r, z, n.

    Parameters
    ----------
    input_size : int
        ``I``, the number of features of each ``x_t``.
    hidden_size : int
        ``H``, the size of ``h_t`` (Keras's ``units``).
    seed : int or None, default None
        Seed of the initialisation (Glorot-uniform ``W``, orthogonal ``U``, zero biases).
    dtype : float32 (default) or float64
        Precision of the parameters and of all computation.

    Attributes
    ----------
    W_r, W_z, W_n : (H, I) views;  U_r, U_z, U_n : (H, H) views;  b_r, b_z, b_n : (H,) views
    b_hn : (H,) array, the candidate's recurrent bias (inside ``r ⊙ (U_n h + b_hn)``)
    """

    gates = ("r", "z", "n")
    gate_roles = {"r": "reset gate r_t = σ(·)", "z": "update gate z_t = σ(·)",
                  "n": "candidate n_t = tanh(·)"}
    param_names = ("W", "U", "b", "b_hn")

    def __init__(self, input_size, hidden_size, seed=None, dtype=np.float32):
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)
        self.b_hn = np.zeros(self.hidden_size, self.dtype)

    def _extra_shapes(self):
        H = self.hidden_size
        return [dict(name="b_hn", shape=(H,), role="candidate: bias inside r_t ⊙ (U_n h_(t-1) + b_hn)", count=H)]

    def step(self, x_t, h_prev):
        """One time step, gate by gate: ``x_t (B, I)``, ``h_prev (B, H)`` -> ``h_t (B, H)``.

        A GRU's only state is ``h``: ``h_prev`` is one array, not a tuple
        (unbatched: ``(I,)``, ``(H,)``).
        """
        x_t, (h_prev,) = self._check_step(x_t, {"h_prev": self._one_state(h_prev)})
        r = sigmoid(x_t @ self.W_r.T + self.b_r + h_prev @ self.U_r.T)
        z = sigmoid(x_t @ self.W_z.T + self.b_z + h_prev @ self.U_z.T)
        n = np.tanh(x_t @ self.W_n.T + self.b_n + r * (h_prev @ self.U_n.T + self.b_hn))
        return (1 - z) * n + z * h_prev

    def _explain(self, x_t, h_prev, out):
        """``step``'s four lines, each printed with its terms (summed in ``step``'s order: the same floats)."""
        x_t, (h_prev,) = self._check_step(x_t, {"h_prev": self._one_state(h_prev)})
        out.title(x_t, {"h_(t-1)": h_prev})
        H, I = self.hidden_size, self.input_size
        what = {"r": "reset gate: how much of h_(t-1) the candidate sees",
                "z": "update gate: how much of h_(t-1) to keep"}
        gate = {}
        for k in ("r", "z"):
            W, U, b = getattr(self, f"W_{k}"), getattr(self, f"U_{k}"), getattr(self, f"b_{k}")
            out.equation(f"{k}_t = σ(W_{k} x_t + b_{k} + U_{k} h_(t-1))", what[k])
            Wx = x_t @ W.T                            # (B, H)
            Uh = h_prev @ U.T                         # (B, H)
            a = Wx + b + Uh                           # (B, H), summed as step sums it
            out.matrix(f"W_{k} {(H, I)}", W)
            out.term(f"W_{k} {(H, I)} @ x_t", Wx)
            out.term(f"b_{k} {(H,)}", b)
            out.matrix(f"U_{k} {(H, H)}", U)
            out.term(f"U_{k} {(H, H)} @ h_(t-1)", Uh)
            out.term("sum", a)
            gate[k] = sigmoid(a)
            out.result(f"{k}_t = σ(sum)", gate[k])
        r, z = gate["r"], gate["z"]
        out.equation("n_t = tanh(W_n x_t + b_n + r_t ⊙ (U_n h_(t-1) + b_hn))", "candidate: the new state")
        Wx = x_t @ self.W_n.T                         # (B, H)
        Uh = h_prev @ self.U_n.T + self.b_hn          # (B, H) the recurrent side, before the reset gate
        out.matrix(f"W_n {(H, I)}", self.W_n)
        out.term(f"W_n {(H, I)} @ x_t", Wx)
        out.term(f"b_n {(H,)}", self.b_n)
        out.matrix(f"U_n {(H, H)}", self.U_n)
        out.term(f"U_n {(H, H)} @ h_(t-1) + b_hn {(H,)}", Uh)
        out.term("r_t ⊙ (U_n h_(t-1) + b_hn)", r * Uh)
        a = Wx + self.b_n + r * Uh
        out.term("sum", a)
        n = np.tanh(a)
        out.result("n_t = tanh(sum)", n)
        out.equation("h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_(t-1)", "hidden state: new where z_t is 0, kept where 1")
        out.term("(1 - z_t) ⊙ n_t  (new)", (1 - z) * n)
        out.term("z_t ⊙ h_(t-1)  (kept)", z * h_prev)
        h = (1 - z) * n + z * h_prev
        out.result("h_t", h)
        return h
