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


def plot_gate_activations(cell, X, tokens=None, units=None, steps=None, readout=None):
    """Heatmaps of every gate's activation over the steps of one sequence.

    Parameters
    ----------
    cell : LSTMCell or GRUCell
    X : (T, I) array, one sequence (the cell runs over all of it, from a zero state)
    tokens : list of str or None, labels of the steps
    units : sequence of int or None, the hidden units to show (default: all ``H``)
    steps : slice or None, the steps to show (default: all); the earlier ones still ran
    readout : (kernel (H, 1), bias (1,)) or None, a sigmoid classifier on ``h_t`` (the weights of
        a ``Dense(1, "sigmoid")``): adds a top panel with its output after every step, what the
        model would say if the sequence ended there

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np

    from .. import functional as F
    plt = _pyplot()
    X = np.asarray(X, cell.dtype)[None]                # (1, T, I)
    H, G = cell.hidden_size, len(cell.gates)
    if G == 4:
        Y, _, cache = F.lstm_forward(X, cell.W, cell.U, cell.b, backend="reference")
    else:
        Y, _, cache = F.gru_forward(X, cell.W, cell.U, cell.b, cell.b_hn, backend="reference")
    gates = cache["gates"][:, 0]                       # (T, G*H)
    T = gates.shape[0]
    shown = np.arange(T)[steps if steps is not None else slice(None)]
    units = np.arange(H) if units is None else np.asarray(units)
    panels = G + (readout is not None)
    below = 1.0 if tokens is not None else 0.5        # inches under the panels for the words
    height = 0.3 + 0.9 * panels + below
    fig, axes = plt.subplots(panels, 1, figsize=(8.5, height),
                             sharex=True, gridspec_kw=dict(height_ratios=[0.7] * (readout is not None) + [1] * G))
    axes = np.atleast_1d(axes)
    if readout is not None:
        kernel, bias = readout
        p = 1 / (1 + np.exp(-(Y[0] @ np.asarray(kernel) + np.asarray(bias))[:, 0]))   # (T,)
        ax = axes[0]
        ax.plot(range(len(shown)), p[shown], color="black", marker="o", ms=3)
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax.set_ylim(0, 1)
        ax.set_yticks([0, 0.5, 1])
        ax.set_ylabel("P(pos.)", fontsize=10)
        ax.tick_params(labelsize=10)
        axes = axes[1:]
    for k, (ax, g) in enumerate(zip(axes, cell.gates)):
        lo = -1 if cell.gate_roles[g].startswith("candidate") else 0
        block = gates[shown][:, k * H:(k + 1) * H][:, units]    # (steps, units)
        im = ax.imshow(block.T, aspect="auto", cmap="viridis", vmin=lo, vmax=1, interpolation="nearest")
        ax.set_ylabel(f"{g}_t", rotation=0, labelpad=14, fontsize=11, va="center")
        ax.set_yticks([])
        cbar = fig.colorbar(im, ax=ax, fraction=0.02, pad=0.01, ticks=[lo, 1])
        cbar.ax.tick_params(labelsize=10)
    if tokens is not None:
        axes[-1].set_xticks(range(len(shown)), [tokens[t] for t in shown], rotation=90, fontsize=10)
    else:
        axes[-1].set_xlabel("time step", fontsize=10)
        axes[-1].tick_params(labelsize=10)
    if readout is not None:                            # line up the top panel with the heatmaps
        fig.colorbar(im, ax=fig.axes[0], fraction=0.02, pad=0.01).ax.set_visible(False)
    fig.subplots_adjust(left=0.08, right=0.96, top=1 - 0.15 / height, bottom=below / height, hspace=0.15)
    return fig


def gradient_flow(layer_class, T=60, units=32, input_size=16, seed=0, gate_bias=None):
    """``||dL/dx_t||`` for every step t when the loss reads only the last output, by lstmx's BPTT.

    Parameters
    ----------
    layer_class : LSTM, GRU or SimpleRNN
    T, units, input_size : the sequence's length, ``H`` and ``I``
    seed : seed of the inputs (standard normal) and of the initialisation
    gate_bias : dict or None, e.g. ``{"f": 3.0}`` (an LSTM's forget gate) or ``{"z": 2.0}`` (a GRU's
        update gate): those bias blocks are set to that value before the run (default: as initialised,
        ``b_f = 1`` and every other bias 0)

    Returns
    -------
    (T,) array: the gradient norm that reaches step t (t = T-1 is the last step). ``flow[0] /
    flow[-1]`` is how much of the gradient at the last step is left 59 steps back.
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((1, T, input_size))                  # (1, T, I)
    layer = layer_class(units, return_sequences=True, dtype=np.float64, seed=seed, backend="reference")
    layer.build(X.shape)
    for gate, value in (gate_bias or {}).items():
        setattr(layer.cell, f"b_{gate}", value)                  # writes into the pack b
    Y = layer(X)                                                 # (1, T, H)
    dY = np.zeros_like(Y)
    dY[0, -1] = 1.0 / np.sqrt(units)      # d loss / d h_T, unit norm
    # the gradient flowing into step t's input side is dX[t]; its norm shows how far the signal reached
    dX = layer.backward(dY)                                      # (1, T, I)
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


def plot_gate_bias_flow(T=60, units=32, input_size=16, seed=0, forget_biases=(0, 1, 2, 3, 4),
                        update_biases=(0, 1, 2, 3, 4)):
    """Two panels: the gradient reaching each step, relative to the last step's, for an LSTM with
    several forget-gate biases ``b_f`` and a GRU with several update-gate biases ``b_z`` (and the
    simple RNN in both, for reference). The legend gives each curve's ratio over the whole sequence.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np

    from ..layers import GRU, LSTM, SimpleRNN
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 5.0), sharey=True)
    rnn = gradient_flow(SimpleRNN, T, units, input_size, seed)
    steps = np.arange(1, T + 1)
    default = {"f": 1, "z": 0}                                   # the biases as initialised
    for ax, cls, gate, biases, cmap in ((axes[0], LSTM, "f", forget_biases, "viridis"),
                                        (axes[1], GRU, "z", update_biases, "plasma")):
        colours = plt.get_cmap(cmap)(np.linspace(0.0, 0.85, len(biases)))
        for bias, colour in zip(biases, colours):
            flow = gradient_flow(cls, T, units, input_size, seed, gate_bias={gate: float(bias)})
            ratio = flow / flow[-1]
            mark = " (default)" if bias == default[gate] else ""
            ax.semilogy(steps, ratio, color=colour, lw=2.2 if mark else 1.4,
                        label=f"{bias:g}: {ratio[0]:.1e}{mark}")
        ax.semilogy(steps, rnn / rnn[-1], color="grey", ls="--", label=f"RNN: {rnn[0] / rnn[-1]:.1e}")
        ax.set_title(f"{cls.__name__}, {'forget' if gate == 'f' else 'update'} gate bias b_{gate}", fontsize=11)
        ax.set_xlabel(f"step t (the loss reads step {T})", fontsize=10)
        ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False,
                  columnspacing=1.0, handlelength=1.5,
                  title=f"b_{gate}: gradient left at step 1", title_fontsize=10)
        ax.tick_params(labelsize=10)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("||dL/dx_t|| / ||dL/dx_T||", fontsize=10)
    axes[0].set_ylim(1e-16, 1e2)
    fig.subplots_adjust(left=0.1, right=0.98, top=0.93, bottom=0.38, wspace=0.06)   # room for the legends
    return fig
