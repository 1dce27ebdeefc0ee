"""Figures of one cell: its gate matrices, its gates over a sequence, gradients flowing back in time."""
from ._common import _pyplot


def plot_weights(cell):
    """A cell's packed matrices ``W`` and ``U`` as heatmaps, the gate blocks labelled (the explicit
    matrix view: each band of H rows is one gate's ``W_k`` or ``U_k``).

    Parameters
    ----------
    cell : LSTMCell, GRUCell or RNNCell

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    plt = _pyplot()
    H, G = cell.hidden_size, len(cell.gates)
    fig, axes = plt.subplots(1, 2, figsize=(9, 1.2 + 0.9 * G),
                             gridspec_kw=dict(width_ratios=[cell.input_size, H]))
    for ax, name in zip(axes, ("W", "U")):
        M = getattr(cell, name)
        lim = float(np.abs(M).max()) or 1.0
        im = ax.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
        for k in range(1, G):
            ax.axhline(k * H - 0.5, color="black", lw=1)
        ax.set_yticks([k * H + H / 2 - 0.5 for k in range(G)], [f"{name}_{g}" for g in cell.gates])
        ax.set_xlabel("input feature" if name == "W" else "hidden unit of h_(t-1)")
        ax.set_title(f"{name}  {M.shape}")
        fig.colorbar(im, ax=ax, fraction=0.05)
    fig.tight_layout()
    return fig


def plot_gate_activations(cell, X, tokens=None):
    """Heatmaps of every gate's activation over the steps of one sequence.

    Parameters
    ----------
    cell : LSTMCell or GRUCell
    X : (T, I) array, one sequence
    tokens : list of str or None, labels of the steps

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np

    from .. import functional as F
    plt = _pyplot()
    X = np.asarray(X, cell.dtype)[None]
    H = cell.hidden_size
    if len(cell.gates) == 4:
        _, _, cache = F.lstm_forward(X, cell.W, cell.U, cell.b, backend="reference")
    else:
        _, _, cache = F.gru_forward(X, cell.W, cell.U, cell.b, cell.b_hn, backend="reference")
    gates = cache["gates"][:, 0]                       # (T, G*H)
    fig, axes = plt.subplots(len(cell.gates), 1, figsize=(10, 1.3 * len(cell.gates) + 0.8), sharex=True)
    for k, (ax, g) in enumerate(zip(axes, cell.gates)):
        lo = -1 if cell.gate_roles[g].startswith("candidate") else 0
        im = ax.imshow(gates[:, k * H:(k + 1) * H].T, aspect="auto", cmap="viridis", vmin=lo, vmax=1,
                       interpolation="nearest")
        ax.set_ylabel(g, rotation=0, labelpad=10)
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.02)
    if tokens is not None:
        axes[-1].set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
    axes[-1].set_xlabel("time step")
    fig.tight_layout()
    return fig


def gradient_flow(layer_class, T=60, units=32, input_size=16, seed=0):
    """``||dL/dh_t||`` for every step t when the loss reads only the last output, by lstmx's BPTT.

    Returns
    -------
    (T,) array: the gradient norm that reaches step t (t = T-1 is the last step).
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((1, T, input_size))
    layer = layer_class(units, return_sequences=True, dtype=np.float64, seed=seed, backend="reference")
    Y = layer(X)
    dY = np.zeros_like(Y)
    dY[0, -1] = 1.0 / np.sqrt(units)      # d loss / d h_T, unit norm
    # the gradient flowing into step t's input side is dX[t]; its norm shows how far the signal reached
    dX = layer.backward(dY)
    return np.linalg.norm(dX[0], axis=1)


def plot_gradient_flow(T=60, units=32, input_size=16, seed=0):
    """The vanishing gradient: how much of the last step's gradient reaches each earlier step, for
    SimpleRNN, LSTM and GRU (log scale), computed with lstmx's own backpropagation through time.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..layers import GRU, LSTM, SimpleRNN
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for cls in (SimpleRNN, LSTM, GRU):
        norms = gradient_flow(cls, T, units, input_size, seed)
        ax.semilogy(range(1, T + 1), norms, label=cls.__name__)
    ax.set_xlabel("time step t (the loss reads step T)")
    ax.set_ylabel("||dL/dx_t||")
    ax.set_title("Gradient reaching each step from the last one")
    ax.legend()
    fig.tight_layout()
    return fig
