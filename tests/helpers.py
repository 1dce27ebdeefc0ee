"""One interface over the three cells, so every test can run on LSTM, GRU and RNN alike; and a toy
token-classification data set for the model tests."""
import numpy as np

import lstmx
from lstmx.gradcheck import numeric_gradient, relative_error as rel_error

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
STATES = {"lstm": ("h0", "c0"), "gru": ("h0",), "rnn": ("h0",)}
CELL_CLASSES = {"lstm": lstmx.LSTMCell, "gru": lstmx.GRUCell, "rnn": lstmx.RNNCell}


def param_names(cell):
    return ("W", "U", "b", "b_hn") if cell == "gru" else ("W", "U", "b")


def random_mask(rng, B, T, kind):
    """None, or a (B, T) mask: 'random' bits, 'post' padding (lengths), 'pre' padding."""
    if kind is None:
        return None
    if kind == "random":
        return rng.random((B, T)) < 0.7
    lengths = rng.integers(1, T + 1, size=B)
    steps = np.arange(T)[None, :]
    if kind == "post":
        return steps < lengths[:, None]
    return steps >= (T - lengths)[:, None]


def random_problem(cell, B, T, I, H, seed=0, dtype=np.float64, mask=None, scale=0.5, recurrent_dropout=0.0):
    """Random inputs, parameters and initial states for one cell (parameters non-trivial everywhere);
    with ``recurrent_dropout``, a recurrent dropout mask ``recurrent_keep`` (B, H) of 0 and 1 / (1 - rate)."""
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    draw = lambda *shape: (rng.standard_normal(shape) * scale).astype(dtype)
    params = {"W": draw(G * H, I), "U": draw(G * H, H), "b": draw(G * H)}
    if cell == "gru":
        params["b_hn"] = draw(H)
    states = {name: draw(B, H) for name in STATES[cell]}
    keep = None
    if recurrent_dropout:
        keep = ((rng.random((B, H)) >= recurrent_dropout) / (1 - recurrent_dropout)).astype(dtype)
    return dict(cell=cell, X=draw(B, T, I), params=params, states=states,
                mask=random_mask(rng, B, T, mask), H=H, recurrent_keep=keep)


def forward(prob, backend="reference"):
    """Run the problem's forward pass; returns (Y, finals list, cache)."""
    cell, p, X, s = prob["cell"], prob["params"], prob["X"], prob["states"]
    options = dict(recurrent_keep=prob.get("recurrent_keep"), backend=backend)
    if cell == "lstm":
        Y, (hT, cT), cache = lstmx.lstm_forward(X, p["W"], p["U"], p["b"], s["h0"], s["c0"], prob["mask"], **options)
        return Y, [hT, cT], cache
    if cell == "gru":
        Y, hT, cache = lstmx.gru_forward(X, p["W"], p["U"], p["b"], p["b_hn"], s["h0"], prob["mask"], **options)
        return Y, [hT], cache
    Y, hT, cache = lstmx.rnn_forward(X, p["W"], p["U"], p["b"], s["h0"], prob["mask"], **options)
    return Y, [hT], cache


def backward(prob, cache, dY, dfinals):
    """Run the backward pass; returns a dict of gradients keyed X, W, U, b, (b_hn), h0, (c0)."""
    cell = prob["cell"]
    if cell == "lstm":
        out = lstmx.lstm_backward(dY, dfinals[0], dfinals[1], cache)
    elif cell == "gru":
        out = lstmx.gru_backward(dY, dfinals[0], cache)
    else:
        out = lstmx.rnn_backward(dY, dfinals[0], cache)
    names = ("X",) + param_names(cell) + STATES[cell]
    return dict(zip(names, out))


def loss_weights(prob, seed=1):
    """Random weights R so that loss = sum(R_Y * Y) + sum(R_k * final_k) reaches every output."""
    rng = np.random.default_rng(seed)
    B, T, _ = prob["X"].shape
    H, dtype = prob["H"], prob["X"].dtype
    RY = rng.standard_normal((B, T, H)).astype(dtype)
    Rf = [rng.standard_normal((B, H)).astype(dtype) for _ in STATES[prob["cell"]]]
    return RY, Rf


def loss(prob, RY, Rf):
    Y, finals, _ = forward(prob, "reference")
    return float(np.sum(RY * Y) + sum(np.sum(r * f) for r, f in zip(Rf, finals)))


def analytic_grads(prob, backend="reference"):
    RY, Rf = loss_weights(prob)
    _, _, cache = forward(prob, backend)
    return backward(prob, cache, RY, Rf)


def numeric_grad(prob, name, eps=1e-6):
    """Central differences of the loss with respect to one input, parameter or initial state."""
    RY, Rf = loss_weights(prob)
    if name == "X":
        return numeric_gradient(lambda: loss(prob, RY, Rf), prob["X"], eps)
    group = prob["states"] if name in prob["states"] else prob["params"]
    return numeric_gradient(lambda: loss(prob, RY, Rf), group[name], eps)


def toy_data(n=256, T=12, vocab=50, seed=0):
    """Token ids (n, T) and labels: 1 when token 7 occurs in the sequence (0 is padding)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (n, T))
    x[rng.random((n, T)) < 0.3] = 0
    y = (x == 7).any(axis=1).astype(np.int64)
    return x, y


def padded_ids(rng, B=6, T=9, padding="pre", vocab=50):
    """Token ids (B, T) of sequences of several lengths (one full, one all padding), padded with 0
    before ('pre', Keras's default) or after ('post') their words."""
    x = rng.integers(1, vocab, (B, T))
    lengths = np.array([T, 0, 1, 4, 7, 2] * (B // 6 + 1))[:B]
    for b, n in enumerate(np.minimum(lengths, T)):
        if padding == "pre":
            x[b, :T - n] = 0
        else:
            x[b, n:] = 0
    return x


def masked_sequential(layer_class, merge="concat", sequences=False, pooling=False, dtype=np.float32):
    """Embedding(mask_zero) -> Bidirectional(layer, merge) -> layer -> [pooling] -> Dropout -> Dense(3,
    softmax), biases drawn away from zero (a misplaced one shows): the model every converter and
    exporter must reproduce, masks included."""
    layers = [lstmx.Input((None,), dtype="int32"), lstmx.Embedding(50, 8, mask_zero=True, seed=0, dtype=dtype),
              lstmx.Bidirectional(layer_class(6, return_sequences=True, seed=1, dtype=dtype), merge_mode=merge),
              layer_class(5, return_sequences=sequences or pooling, seed=2, dtype=dtype)]
    if pooling:
        layers.append(lstmx.GlobalAveragePooling1D())
    layers += [lstmx.Dropout(0.5, seed=3), lstmx.Dense(3, "softmax", seed=4, dtype=dtype)]
    model = lstmx.Sequential(layers)
    for layer in model.layers:
        for p in layer.params.values():
            if p.ndim == 1:
                p[...] = np.random.default_rng(p.size).standard_normal(p.shape) * 0.5
    return model
