"""The recurrences as functions, validated and dispatched to a backend.

These are the public entry points (``lstmx.lstm_forward`` ...). Each checks its arguments here, at
the Python boundary, then calls the reference or a compiled kernel with C-contiguous arrays of one
dtype (that of ``W``; other float inputs are converted to it). The math lives in
:mod:`lstmx.lstm`, :mod:`lstmx.gru`, :mod:`lstmx.rnn` and :mod:`lstmx._kernels`, not here.
"""
import numpy as np

from . import dispatch
from ._validation import FLOAT_DTYPES, NonFiniteError, as_float_array, as_mask, as_sequence_array

_GATES = {"lstm": 4, "gru": 3, "rnn": 1}
# the expected shapes in words, for error messages: made once (formatting them at every call cost
# 0.4 us, a fiftieth of a batch-1 forward)
_SHAPES_IN_WORDS = {cell: dict(U=f"({G}H, H)", W=f"({G}H, I)", b=f"({G}H,)") for cell, G in _GATES.items()}


def _skip_hint(exc):
    """A forward function's NaN/inf error, telling how to skip the check (a layer, which has no
    ``check_finite``, words it its own way)."""
    return NonFiniteError(exc.name, f"{exc} (pass check_finite=False to skip this check)")


def _check_inputs(cell, X, W, U, b, states, mask, check_finite, b_hn=None):
    """Validate a forward call; returns (X, W, U, b, b_hn, states, mask) ready for a kernel."""
    G, words = _GATES[cell], _SHAPES_IN_WORDS[cell]
    W_arr = np.asarray(W)
    if W_arr.dtype.kind != "f":
        raise TypeError(f"W must be a float array (float32 or float64), got dtype {W_arr.dtype}")
    if W_arr.dtype.type not in FLOAT_DTYPES:    # the kernels exist for these two only (float16: none)
        raise TypeError(f"W must be a float32 or float64 array (its dtype is the one everything runs in), "
                        f"got dtype {W_arr.dtype}: convert it, e.g. W.astype(np.float32)")
    dtype = W_arr.dtype
    X = as_sequence_array("X", X, dtype, check_finite)     # (B, T, I), batch- or time-major in memory
    B, T, I = X.shape
    if B < 1 or T < 1:
        raise ValueError(f"X must hold at least one sequence of at least one step, got shape {X.shape}")
    U = as_float_array("U", U, (None, None), dtype, check_finite, words["U"])
    H = U.shape[1]
    if U.shape != (G * H, H):
        raise ValueError(f"U must have shape ({G}H, H) = ({G * H}, {H}) for hidden size H = U.shape[1], got {U.shape}")
    W = as_float_array("W", W, (G * H, I), dtype, check_finite, words["W"])
    b = as_float_array("b", b, (G * H,), dtype, check_finite, words["b"])
    if cell == "gru":
        if b_hn is None:
            raise TypeError("gru_forward needs b_hn, the (H,) bias added to the candidate's recurrent product "
                            "(Keras's reset_after=True), got None: pass np.zeros(H) for none")
        b_hn = as_float_array("b_hn", b_hn, (H,), dtype, check_finite, "(H,)")
    checked = []
    for name, s in states.items():
        if s is None:
            checked.append(np.zeros((B, H), dtype))
        else:
            checked.append(as_float_array(name, s, (B, H), dtype, check_finite, "(batch, H)"))
    return X, W, U, b, b_hn, checked, as_mask(mask, B, T)


def _check_keep(recurrent_keep, X, U, check_finite):
    """Validate a recurrent dropout mask: None, or (B, H) numbers of the weights' dtype."""
    if recurrent_keep is None:
        return None
    return as_float_array("recurrent_keep", recurrent_keep, (X.shape[0], U.shape[1]), U.dtype, check_finite,
                          "(batch, H)")


def _check_grads(cache, dY, finals):
    """Validate the incoming gradients of a backward call against the forward's shapes."""
    B, T, _ = cache["X"].shape
    H = cache["U"].shape[1]
    dtype = cache["X"].dtype
    dY = np.zeros((B, T, H), dtype) if dY is None else as_float_array("dY", dY, (B, T, H), dtype, True, "(batch, time, H)")
    out = [np.zeros((B, H), dtype) if d is None else as_float_array(name, d, (B, H), dtype, True, "(batch, H)")
           for name, d in finals.items()]
    return dY, out


def _cache_check(cache, cell):
    if not isinstance(cache, dict) or cache.get("cell") != cell:
        raise TypeError(f"cache must be the dict returned by lstmx.{cell}_forward")


def lstm_forward(X, W, U, b, h0=None, c0=None, mask=None, *, recurrent_keep=None, backend="auto",
                 check_finite=True):
    """LSTM over a batch: see :func:`lstmx.lstm.lstm_forward` for the equations.

    Parameters
    ----------
    X : (B, T, I) float array
    W : (4H, I), U : (4H, H), b : (4H,) float arrays, gate order i, f, g, o
    h0, c0 : (B, H) arrays or None (zeros)
    mask : (B, T) bool array or None
    recurrent_keep : (B, H) array or None
        Recurrent dropout: ``h_(t-1)`` is multiplied by it where it meets ``U``, at every step.
    backend : {"auto", "reference", "cython", "numba"}
    check_finite : bool
        Raise ValueError on NaN or inf in the inputs (the default). With False they go through as
        IEEE arithmetic takes them, the same on every backend: a pre-activation of +-inf saturates its
        gate (0 or 1, tanh +-1), a NaN stays NaN, and a gradient that multiplies a saturated gate's
        derivative (0) by an inf input is NaN (``dW = dA^T X``), as in the reference.

    Returns
    -------
    Y (B, T, H), (hT, cT) each (B, H), cache
    """
    try:   # (a try costs nothing in Python 3.11 until it catches)
        X, W, U, b, _, (h0, c0), mask = _check_inputs("lstm", X, W, U, b, {"h0": h0, "c0": c0}, mask, check_finite)
        keep = _check_keep(recurrent_keep, X, U, check_finite)
    except NonFiniteError as exc:
        raise _skip_hint(exc) from None
    name = dispatch.resolve(backend)
    Y, (hT, cT), cache = dispatch.kernel(name, "lstm", "forward")(X, W, U, b, h0, c0, mask, keep)
    cache.update(cell="lstm", backend=name)
    return Y, (hT, cT), cache


def lstm_backward(dY, dhT, dcT, cache):
    """Gradients of an LSTM by BPTT, with the backend that ran the forward.

    Parameters
    ----------
    dY : (B, T, H) array or None;  dhT, dcT : (B, H) arrays or None (zeros)
    cache : dict from :func:`lstm_forward`

    Returns
    -------
    dX (B, T, I), dW (4H, I), dU (4H, H), db (4H,), dh0 (B, H), dc0 (B, H)
    """
    _cache_check(cache, "lstm")
    dY, (dhT, dcT) = _check_grads(cache, dY, {"dhT": dhT, "dcT": dcT})
    return dispatch.kernel(cache["backend"], "lstm", "backward")(dY, dhT, dcT, cache)


def gru_forward(X, W, U, b, b_hn, h0=None, mask=None, *, recurrent_keep=None, backend="auto", check_finite=True):
    """GRU over a batch: see :func:`lstmx.gru.gru_forward`.

    Parameters
    ----------
    X : (B, T, I);  W : (3H, I);  U : (3H, H);  b : (3H,);  b_hn : (H,);  h0 : (B, H) or None
    mask : (B, T) bool array or None
    recurrent_keep, backend, check_finite : as for :func:`lstm_forward`

    Returns
    -------
    Y (B, T, H), hT (B, H), cache
    """
    try:
        X, W, U, b, b_hn, (h0,), mask = _check_inputs("gru", X, W, U, b, {"h0": h0}, mask, check_finite, b_hn=b_hn)
        keep = _check_keep(recurrent_keep, X, U, check_finite)
    except NonFiniteError as exc:
        raise _skip_hint(exc) from None
    name = dispatch.resolve(backend)
    Y, hT, cache = dispatch.kernel(name, "gru", "forward")(X, W, U, b, b_hn, h0, mask, keep)
    cache.update(cell="gru", backend=name)
    return Y, hT, cache


def gru_backward(dY, dhT, cache):
    """Gradients of a GRU: returns dX, dW, dU, db, db_hn, dh0."""
    _cache_check(cache, "gru")
    dY, (dhT,) = _check_grads(cache, dY, {"dhT": dhT})
    return dispatch.kernel(cache["backend"], "gru", "backward")(dY, dhT, cache)


def rnn_forward(X, W, U, b, h0=None, mask=None, *, recurrent_keep=None, backend="auto", check_finite=True):
    """Simple tanh RNN over a batch: see :func:`lstmx.rnn.rnn_forward`.

    Parameters
    ----------
    X : (B, T, I);  W : (H, I);  U : (H, H);  b : (H,);  h0 : (B, H) or None
    mask : (B, T) bool array or None
    recurrent_keep, backend, check_finite : as for :func:`lstm_forward`

    Returns
    -------
    Y (B, T, H), hT (B, H), cache
    """
    try:
        X, W, U, b, _, (h0,), mask = _check_inputs("rnn", X, W, U, b, {"h0": h0}, mask, check_finite)
        keep = _check_keep(recurrent_keep, X, U, check_finite)
    except NonFiniteError as exc:
        raise _skip_hint(exc) from None
    name = dispatch.resolve(backend)
    Y, hT, cache = dispatch.kernel(name, "rnn", "forward")(X, W, U, b, h0, mask, keep)
    cache.update(cell="rnn", backend=name)
    return Y, hT, cache


def rnn_backward(dY, dhT, cache):
    """Gradients of a simple RNN: returns dX, dW, dU, db, dh0."""
    _cache_check(cache, "rnn")
    dY, (dhT,) = _check_grads(cache, dY, {"dhT": dhT})
    return dispatch.kernel(cache["backend"], "rnn", "backward")(dY, dhT, cache)
