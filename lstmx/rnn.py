r"""The simple (Elman) RNN, written as its equation::

    h_t = tanh(W x_t + U h_(t-1) + b)      (B, H)

Shapes: ``X (B, T, I)``, ``W (H, I)``, ``U (H, H)``, ``b (H,)``. Masked steps carry ``h`` through.
With ``recurrent_keep`` (B, H), Keras's recurrent dropout, ``U (h_(t-1) ⊙ keep)`` takes the place of
``U h_(t-1)``.
"""
import numpy as np

from ._cell import RecurrentCell


def rnn_forward(X, W, U, b, h0, mask=None, recurrent_keep=None):
    """Run a tanh RNN over a batch of sequences.

    Parameters
    ----------
    X : (B, T, I) array;  W : (H, I);  U : (H, H);  b : (H,);  h0 : (B, H)
    mask : (B, T) bool array or None
    recurrent_keep : (B, H) array or None, the recurrent dropout mask (0 or 1 / (1 - rate))

    Returns
    -------
    Y : (B, T, H) array;  hT : (B, H) array;  cache : dict for ``rnn_backward``
    """
    B, T, I = X.shape
    H = U.shape[1]
    hs = np.empty((T + 1, B, H), X.dtype)      # hs[t] is h after t steps; hs[0] = h0
    hs[0] = h0
    for t in range(T):
        x_t, h_prev = X[:, t], hs[t]           # (B, I), (B, H)
        h_rec = h_prev if recurrent_keep is None else h_prev * recurrent_keep   # h_(t-1) where it meets U
        h = np.tanh(x_t @ W.T + h_rec @ U.T + b)   # (B, H)
        if mask is not None:
            h = np.where(mask[:, t, None], h, h_prev)
        hs[t + 1] = h
    Y = hs[1:].transpose(1, 0, 2)              # (B, T, H)
    cache = dict(X=X, W=W, U=U, hs=hs, mask=mask, recurrent_keep=recurrent_keep)
    return Y, hs[T], cache


def rnn_backward(dY, dhT, cache):
    """Backpropagation through time for the tanh RNN.

    Returns
    -------
    dX (B, T, I), dW (H, I), dU (H, H), db (H,), dh0 (B, H)
    """
    X, W, U, hs, mask = cache["X"], cache["W"], cache["U"], cache["hs"], cache["mask"]
    keep = cache.get("recurrent_keep")
    B, T, I = X.shape
    H = U.shape[1]
    dX = np.empty_like(X)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros(H, X.dtype)
    dh_next = dhT.copy()
    for t in reversed(range(T)):
        x_t, h_prev, h = X[:, t], hs[t], hs[t + 1]
        dh = dY[:, t] + dh_next
        da = dh * (1 - h ** 2)                 # (B, H) through tanh
        if mask is not None:
            m = mask[:, t, None]
            da = np.where(m, da, 0)
        h_rec = h_prev if keep is None else h_prev * keep   # h_(t-1) as U met it
        dh_prev = da @ U                       # (B, H)
        if keep is not None:
            dh_prev = dh_prev * keep
        if mask is not None:
            dh_prev = np.where(m, dh_prev, dh)
        dW += da.T @ x_t
        dU += da.T @ h_rec
        db += da.sum(axis=0)
        dX[:, t] = da @ W
        dh_next = dh_prev
    return dX, dW, dU, db, dh_next


class RNNCell(RecurrentCell):
    """One simple tanh RNN cell: ``W (H, I)``, ``U (H, H)``, ``b (H,)``; one "gate", ``h``.

    ``W_h``, ``U_h``, ``b_h`` are the same arrays as ``W``, ``U``, ``b`` (views of the whole pack).

    Parameters
    ----------
    input_size : int
        ``I``, the number of features of each ``x_t``.
    hidden_size : int
        ``H``, the size of ``h_t`` (Keras's ``units``).
    seed : int or None, default None
        Seed of the initialisation (Glorot-uniform ``W``, orthogonal ``U``, zero ``b``).
    dtype : float32 (default) or float64
        Precision of the parameters and of all computation.
    """

    gates = ("h",)
    gate_roles = {"h": "hidden state h_t = tanh(·)"}

    def step(self, x_t, h_prev):
        """One time step: ``x_t (B, I)``, ``h_prev (B, H)`` -> ``h_t (B, H)``
        (unbatched: ``(I,)``, ``(H,)``)."""
        x_t, (h_prev,) = self._check_step(x_t, {"h_prev": self._one_state(h_prev)})
        return np.tanh(x_t @ self.W.T + h_prev @ self.U.T + self.b)

    def _explain(self, x_t, h_prev, out):
        """``step``'s one line, printed with its terms (summed in ``step``'s order: the same floats)."""
        x_t, (h_prev,) = self._check_step(x_t, {"h_prev": self._one_state(h_prev)})
        out.title(x_t, {"h_(t-1)": h_prev})
        H, I = self.hidden_size, self.input_size
        out.equation("h_t = tanh(W x_t + U h_(t-1) + b)", "hidden state: the output")
        Wx = x_t @ self.W.T                           # (B, H)
        Uh = h_prev @ self.U.T                        # (B, H)
        a = Wx + Uh + self.b
        out.matrix(f"W {(H, I)}", self.W)
        out.term(f"W {(H, I)} @ x_t", Wx)
        out.matrix(f"U {(H, H)}", self.U)
        out.term(f"U {(H, H)} @ h_(t-1)", Uh)
        out.term(f"b {(H,)}", self.b)
        out.term("sum", a)
        h = np.tanh(a)
        out.result("h_t = tanh(sum)", h)
        return h
