"""Diagrams drawn from real shapes: a cell's gate matrices as blocks of their sizes, an RNN unrolled
in time, a bidirectional layer's output layout, CBOW's two matrices.

Every figure is about 850 px wide at 100 dpi (a page's text column) with text of 10 pt or more, so
that its labels stay readable where the docs show it. Each function returns the Figure; the boxes
and labels carry gids (``"block:W_f"``, ``"label:W_f"`` ...) so that tests can find them.
"""
from ._common import _pyplot

WIDTH = 8.5            # inches: 850 px at 100 dpi, a page's text column
FONT = 10              # pt, the smallest text of every diagram
GATE_COLOURS = {"i": "#4C72B0", "f": "#55A868", "g": "#C44E52", "o": "#8172B2",   # LSTM
                "r": "#CCB974", "z": "#55A868", "n": "#C44E52",                    # GRU
                "h": "#4C72B0"}                                                    # simple RNN


def _box(ax, x, y, w, h, text=None, colour="#dddddd", gid=None, fontsize=FONT, alpha=1.0, text_colour="black",
         **kwargs):
    """A rectangle with its lower-left corner at (x, y), and ``text`` in its middle."""
    from matplotlib.patches import Rectangle
    ax.add_patch(Rectangle((x, y), w, h, facecolor=colour, edgecolor="black", lw=1, alpha=alpha,
                           gid=gid and f"block:{gid}", **kwargs))
    if text is not None:
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize, color=text_colour,
                gid=gid and f"label:{gid}")


def _arrow(ax, start, end, colour="black", style="-|>", gid=None, lw=1.2, ls="-", rad=0.0):
    from matplotlib.patches import FancyArrowPatch
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=colour, lw=lw, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}", gid=gid and f"arrow:{gid}"))


def _canvas(xlim, ylim):
    """A figure WIDTH inches wide whose one axes shows ``xlim`` x ``ylim`` with equal scales, no frame."""
    plt = _pyplot()
    height = WIDTH * (ylim[1] - ylim[0]) / (xlim[1] - xlim[0])
    fig, ax = plt.subplots(figsize=(WIDTH, height))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return fig, ax


def plot_cell_diagram(cell):
    """An LSTM, GRU or simple RNN cell as the products it computes, its matrices drawn to scale.

    Left: the packs ``W (G*H, I)`` and ``U (G*H, H)`` side by side as blocks of their real sizes (one
    square a number when they are small), each gate's band of ``H`` rows in its colour and named with
    its shape (``W_f (2, 3)``), multiplied by ``x_t (I,)`` and ``h_(t-1) (H,)``. Right: what the cell
    does with the gates, the path of the state from ``t-1`` to ``t``.

    Parameters
    ----------
    cell : LSTMCell, GRUCell or RNNCell (only its sizes and gates are read)

    Returns
    -------
    matplotlib.figure.Figure
    """
    G, H, I = len(cell.gates), cell.hidden_size, cell.input_size
    # the matrix panel is 10 units tall whatever the sizes: one number is `s` units
    s = 9.0 / (G * H)
    s = min(s, 5.0 / (I + H))                       # and it must fit 5 units across
    mat_w, mat_h = (I + H) * s, G * H * s
    kind = {4: "LSTM", 3: "GRU", 1: "RNN"}[G]
    # the gated cells need the height of their state lane on the right; the RNN only its blocks
    y_top = 11.6 if G > 1 else max(mat_h + 3.2, 5.6)
    fig, ax = _canvas((-1.0, 18.6), (-1.6, y_top))
    x0, y0 = -0.8, ((9.0 if G > 1 else y_top - 2.6) - mat_h) / 2
    grid = I + H <= 24 and G * H <= 24              # small enough to draw every number's square
    names = {"W": (x0, I), "U": (x0 + I * s, H)}
    for k, g in enumerate(cell.gates):              # pack order: gate k is rows k*H:(k+1)*H, drawn top down
        top = y0 + mat_h - (k + 1) * H * s
        for pack, (left, cols) in names.items():
            name = f"{pack}_{g}" if G > 1 else pack
            _box(ax, left, top, cols * s, H * s, None, GATE_COLOURS[g], gid=name, alpha=0.75)
            if grid:
                for c in range(1, cols):
                    ax.plot([left + c * s] * 2, [top, top + H * s], color="white", lw=0.6)
                for r in range(1, H):
                    ax.plot([left, left + cols * s], [top + r * s] * 2, color="white", lw=0.6)
            shape = (H, cols)
            ax.text(left + cols * s / 2, top + H * s / 2, f"{name}\n{shape}", ha="center", va="center",
                    fontsize=FONT, color="white", fontweight="bold", gid=f"label:{name}",
                    bbox=dict(facecolor=GATE_COLOURS[g], edgecolor="none", pad=1.0))
        # the activation and the gate vector it makes, on the band's right
        act = "tanh" if cell.gate_roles[g].split(" = ")[-1].startswith("tanh") else "σ"
        mid = top + H * s / 2
        _arrow(ax, (x0 + mat_w + 0.1, mid), (x0 + mat_w + 0.9, mid))
        ax.text(x0 + mat_w + 1.0, mid, f"{act}( · + b_{g})  →  {g}_t ({H},)", ha="left", va="center",
                fontsize=FONT, gid=f"gate:{g}")
    # the packs' names above, what they multiply below (staggered: U may be narrow)
    ax.text(x0, y0 + mat_h + 0.9, f"W ({G * H}, {I})", ha="left", va="bottom", fontsize=FONT, gid="pack:W")
    ax.text(x0 + mat_w, y0 + mat_h + 0.2, f"U ({G * H}, {H})", ha="right", va="bottom", fontsize=FONT,
            gid="pack:U")
    k = "_k" if G > 1 else ""
    ax.text(x0, y0 - 0.2, f"W{k} multiplies x_t ({I},)", ha="left", va="top", fontsize=FONT, gid="label:x_t")
    ax.text(x0, y0 - 0.9, f"U{k} multiplies h_(t-1) ({H},)", ha="left", va="top", fontsize=FONT,
            gid="label:h_prev")
    ax.text(-0.9, y_top - 0.2, f"{kind} cell, I = {I}, H = {H}: one row of blocks a gate, {cell.count_params():,} "
            f"parameters", ha="left", va="top", fontsize=FONT + 1, fontweight="bold")
    _state_path(ax, kind, H, left=10.6, middle=y0 + mat_h / 2)
    return fig


def _state_path(ax, kind, H, left, middle):
    """The right half of ``plot_cell_diagram``: what the gates do to the state."""
    def node(x, y, sym, gid):
        from matplotlib.patches import Circle
        ax.add_patch(Circle((x, y), 0.38, facecolor="white", edgecolor="black", lw=1.2, gid=f"block:{gid}"))
        ax.text(x, y, sym, ha="center", va="center", fontsize=FONT + 2, gid=f"label:{gid}")

    def note(x, y, text, colour="black", **kw):
        ax.text(x, y, text, ha="center", va="center", fontsize=FONT, color=colour, **kw)

    def lane(state, keep, keep_gate, write, write_gate, out_x):
        """The state's lane along the top: multiplied by the keep gate, then the written part added."""
        y = 8.0
        note(left, y + 0.75, f"{state}_(t-1) ({H},)")
        _arrow(ax, (left - 0.3, y), (left + 1.6, y), lw=2)
        node(left + 2.0, y, "⊙", f"times_{keep_gate}")
        note(left + 2.0, y - 1.2, keep, GATE_COLOURS[keep_gate])
        _arrow(ax, (left + 2.0, y - 0.9), (left + 2.0, y - 0.4), GATE_COLOURS[keep_gate])
        _arrow(ax, (left + 2.4, y), (left + 3.9, y), lw=2)
        node(left + 4.3, y, "+", "plus")
        note(left + 4.3, y - 1.9, write, GATE_COLOURS[write_gate])
        _arrow(ax, (left + 4.3, y - 1.3), (left + 4.3, y - 0.4), GATE_COLOURS[write_gate])
        _arrow(ax, (left + 4.7, y), (left + 7.5, y), lw=2)
        note(out_x, y + 0.75, f"{state}_t ({H},)")

    if kind == "LSTM":
        y = 8.0                                   # the cell state's lane
        lane("c", "f_t: keep", "f", "i_t ⊙ g_t:\nwrite", "i", left + 6.9)
        _arrow(ax, (left + 5.6, y), (left + 5.6, 4.4))
        note(left + 6.4, 5.6, "tanh")
        node(left + 5.6, 4.0, "⊙", "times_o")
        note(left + 3.5, 4.0, "o_t: show", GATE_COLOURS["o"])
        _arrow(ax, (left + 4.6, 4.0), (left + 5.2, 4.0), GATE_COLOURS["o"])
        _arrow(ax, (left + 5.6, 3.6), (left + 5.6, 2.2))
        note(left + 5.6, 1.8, f"h_t ({H},)")
        note(left + 3.3, 0.2, "dc_(t-1) = dc_t ⊙ f_t: the gradient on this lane\n"
             "is scaled by f_t only, no matrix, no tanh'", "#444444")
    elif kind == "GRU":                           # the hidden state's lane
        lane("h", "z_t: keep", "z", "(1 - z_t) ⊙ n_t:\nwrite", "n", left + 6.7)
        note(left + 3.3, 4.0, "n_t = tanh(W_n x_t + b_n\n + r_t ⊙ (U_n h_(t-1) + b_hn))\n"
             "r_t: how much of h_(t-1)\nthe candidate sees", GATE_COLOURS["n"])
        note(left + 3.3, 0.6, "dh_(t-1) gets dh_t ⊙ z_t directly\n(plus the paths through the gates)",
             "#444444")
    else:
        note(left + 3.3, middle + 1.2, f"h_t ({H},) = tanh(W x_t + U h_(t-1) + b)")
        note(left + 3.3, middle - 1.0, "dh_(t-1) = U^T (dh_t ⊙ (1 - h_t²)):\nevery step back multiplies\n"
             "by U^T and by tanh'", "#444444")


def plot_unrolled(T=5, kind="rnn"):
    """A recurrent layer unrolled over ``T`` steps: the same cell (the same ``W``, ``U``, ``b``) at
    every step, the state passed right, and the gradient of a loss on the last output walked back
    left (backpropagation through time), each step back multiplying it by the step's Jacobian.

    Parameters
    ----------
    T : int, steps drawn (3 to 8 read well)
    kind : "rnn" or "lstm" (the LSTM adds the cell state's lane, where a step back is ``⊙ f_t``)

    Returns
    -------
    matplotlib.figure.Figure
    """
    lstm = kind == "lstm"
    step_w = 17.0 / T
    fig, ax = _canvas((-1.6, 18.4), (-1.8, 7.6 if lstm else 6.0))
    cell_y, cell_h, box_w = 1.6, 1.6, min(1.9, step_w * 0.55)
    for t in range(1, T + 1):
        x = (t - 0.5) * step_w
        _box(ax, x - box_w / 2, cell_y, box_w, cell_h, "cell", "#dde6f2", gid=f"step{t}")
        ax.text(x, -0.2, f"x_{t}", ha="center", va="center", fontsize=FONT + 1)
        _arrow(ax, (x, 0.15), (x, cell_y))
        ax.text(x, cell_y + cell_h + 1.3, f"h_{t}", ha="center", va="center", fontsize=FONT + 1)
        _arrow(ax, (x, cell_y + cell_h), (x, cell_y + cell_h + 0.95))
        if t < T:                                 # the state carried to the next step
            _arrow(ax, (x + box_w / 2, cell_y + 0.5), (x + step_w - box_w / 2, cell_y + 0.5), lw=1.5)
            _arrow(ax, (x + step_w - box_w / 2, cell_y + 1.1), (x + box_w / 2, cell_y + 1.1), "#C44E52",
                   ls="--", gid=f"grad{t}")
            ax.text(x + step_w / 2, cell_y + 1.45, "× U^T tanh'" if not lstm else "", ha="center", va="bottom",
                    fontsize=FONT, color="#C44E52")
            if lstm:                              # the cell state's lane, above
                cy = cell_y + cell_h + 2.6
                _arrow(ax, (x + 0.2, cy), (x + step_w - 0.2, cy), lw=1.5)
                _arrow(ax, (x + step_w - 0.2, cy + 0.45), (x + 0.2, cy + 0.45), "#C44E52", ls="--")
                ax.text(x + step_w / 2, cy + 0.6, f"⊙ f_{t + 1}", ha="center", va="bottom", fontsize=FONT,
                        color="#C44E52")
    if lstm:
        ax.text(-1.5, cell_y + cell_h + 2.6, "c_t", ha="left", va="center", fontsize=FONT + 1)
    xT = (T - 0.5) * step_w
    ax.text(xT, cell_y + cell_h + 1.9, "loss reads h_T", ha="center", va="bottom", fontsize=FONT,
            color="#C44E52")
    ax.text(-1.5, cell_y - 0.2, "forward: state →", ha="left", va="top", fontsize=FONT)
    ax.text(-1.5, -1.3, f"backward (BPTT, dashed): dL/dh_T walked back {T - 1} steps; one W, U, b shared "
            f"by all {T} steps, their gradients summed", ha="left", va="center", fontsize=FONT, color="#C44E52")
    return fig


def plot_bidirectional_layout(tokens=("the", "film", "was", "not", "good"), H=4):
    """A bidirectional layer's output ``Y (B, T, 2H)``: at each step the forward direction's ``h``
    in ``Y[..., :H]`` and the backward direction's in ``Y[..., H:]``, with what each half of the
    last step has read. ``Y[:, -1, :H]`` has read every token; ``Y[:, -1, H:]`` only the last one,
    since the backward direction starts there; its summary of the whole sequence is at
    ``Y[:, 0, H:]``.

    Parameters
    ----------
    tokens : sequence of str, one a step (3 to 8 read well)
    H : int, the units of each direction (drawn as H squares)

    Returns
    -------
    matplotlib.figure.Figure
    """
    T = len(tokens)
    step_w = 12.5 / T
    sq = min(0.5, 3.0 / H)                        # one number's square
    fig, ax = _canvas((-3.0, 17.6), (-2.6, 2 * H * sq + 5.0))
    fwd, bwd = GATE_COLOURS["i"], "#A8862A"       # blue and a dark gold, both readable as text
    y_bwd, y_fwd = 0.0, H * sq                    # the two halves of one step's output column
    top = 2 * H * sq
    for t, word in enumerate(tokens):
        x = t * step_w + step_w / 2
        for r in range(H):                        # dark: the halves that have read the whole sequence
            _box(ax, x - sq / 2, y_fwd + (H - 1 - r) * sq, sq, sq, None, fwd, alpha=0.9 if t == T - 1 else 0.3,
                 gid=f"fwd{t}_{r}")
            _box(ax, x - sq / 2, y_bwd + (H - 1 - r) * sq, sq, sq, None, bwd, alpha=0.9 if t == 0 else 0.3,
                 gid=f"bwd{t}_{r}")
        ax.text(x, -0.55, f"{t}\n{word}", ha="center", va="top", fontsize=FONT + 1)
        if t < T - 1:
            _arrow(ax, (x + sq / 2 + 0.1, top + 0.7), (x + step_w - sq / 2 - 0.1, top + 0.7), fwd, lw=1.5)
            _arrow(ax, (x + step_w - sq / 2 - 0.1, top + 1.4), (x + sq / 2 + 0.1, top + 1.4), bwd, lw=1.5)
    ax.text(-2.9, y_fwd + H * sq / 2, f"[..., :{H}]\nforward", ha="left", va="center", fontsize=FONT, color=fwd)
    ax.text(-2.9, y_bwd + H * sq / 2, f"[..., {H}:]\nbackward", ha="left", va="center", fontsize=FONT, color=bwd)
    ax.text(-2.9, -1.0, "t", ha="left", va="top", fontsize=FONT + 1)
    ax.text(step_w / 2, top + 2.1, f"forward reads 0 → {T - 1}", ha="left", va="bottom", fontsize=FONT, color=fwd)
    ax.text((T - 0.5) * step_w, top + 2.1, f"backward reads {T - 1} → 0", ha="right", va="bottom", fontsize=FONT,
            color=bwd)
    x_last = (T - 0.5) * step_w + sq / 2 + 0.3
    ax.text(x_last, y_fwd + H * sq / 2, f"Y[:, -1, :{H}]: has read\nall {T} tokens", ha="left", va="center",
            fontsize=FONT, color=fwd, gid="label:last_forward")
    ax.text(x_last, y_bwd + H * sq / 2, f"Y[:, -1, {H}:]: has read\nonly '{tokens[-1]}'", ha="left", va="center",
            fontsize=FONT, color=bwd, gid="label:last_backward")
    ax.text(-2.9, top + 3.6, f"Y (B, T = {T}, 2H = {2 * H}). The backward direction's summary of the whole "
            f"sequence is Y[:, 0, {H}:],", ha="left", va="center", fontsize=FONT)
    ax.text(-2.9, top + 2.9, "its last step, at t = 0 (what return_sequences=False returns for it).",
            ha="left", va="center", fontsize=FONT)
    return fig


def plot_cbow(vocabulary_size=10, vector_size=4, context=(1, 3, 6, 8), target=4):
    """CBOW's forward pass on real sizes: the context words' rows of ``W_in (V, N)`` are averaged
    into ``h (N,)``, and ``W_out (N, V)`` scores every word of the vocabulary from ``h``.

    Parameters
    ----------
    vocabulary_size, vector_size : int, ``V`` and ``N`` (drawn one square a number: keep them small)
    context : ids of the context words;  target : id of the word to guess

    Returns
    -------
    matplotlib.figure.Figure
    """
    V, N = vocabulary_size, vector_size
    sq = min(0.55, 7.0 / V)
    fig, ax = _canvas((-1.0, 20.0), (-1.2, V * sq + 1.4))
    colour, out_colour = GATE_COLOURS["i"], GATE_COLOURS["o"]
    x_in = 1.5
    for w in range(V):                            # W_in: row w is word w's vector
        y = (V - 1 - w) * sq
        used = w in context
        for c in range(N):
            _box(ax, x_in + c * sq, y, sq, sq, None, colour, alpha=0.9 if used else 0.15, gid=f"in{w}_{c}")
        ax.text(x_in - 0.2, y + sq / 2, str(w), ha="right", va="center", fontsize=FONT,
                fontweight="bold" if used else "normal")
    ax.text(x_in + N * sq / 2, V * sq + 0.3, f"W_in ({V}, {N})", ha="center", va="bottom", fontsize=FONT,
            gid="label:W_in")
    ax.text(-0.9, V * sq + 0.3, "word", ha="left", va="bottom", fontsize=FONT)
    # the mean of the context rows
    x_h = x_in + N * sq + 2.6
    y_h = V * sq / 2 - N * sq / 2
    for c in range(N):
        _box(ax, x_h, y_h + (N - 1 - c) * sq, sq, sq, None, colour, alpha=0.9, gid=f"h{c}")
    for w in context:
        _arrow(ax, (x_in + N * sq + 0.1, (V - 1 - w) * sq + sq / 2), (x_h - 0.1, y_h + N * sq / 2), colour, lw=1)
    ax.text(x_h + sq / 2, y_h - 0.3, f"h ({N},)\n= mean of\n{len(context)} rows", ha="center", va="top",
            fontsize=FONT, gid="label:h")
    # W_out, drawn as its transpose's layout: column v scores word v
    x_out = x_h + sq + 2.2
    for v in range(V):
        y = (V - 1 - v) * sq
        for c in range(N):
            _box(ax, x_out + c * sq, y, sq, sq, None, out_colour, alpha=0.9 if v == target else 0.35,
                 gid=f"out{v}_{c}")
    _arrow(ax, (x_h + sq + 0.1, y_h + N * sq / 2), (x_out - 0.1, y_h + N * sq / 2), out_colour)
    ax.text(x_out + N * sq / 2, V * sq + 0.2, f"W_out ({N}, {V}) on its side:\nrow v = column v", ha="center",
            va="bottom", fontsize=FONT, gid="label:W_out")
    x_u = x_out + N * sq + 1.8
    for v in range(V):
        y = (V - 1 - v) * sq
        _box(ax, x_u, y, sq, sq, None, out_colour, alpha=0.9 if v == target else 0.35, gid=f"u{v}")
        _arrow(ax, (x_out + N * sq + 0.1, y + sq / 2), (x_u - 0.1, y + sq / 2), "#999999", lw=0.8)
        ax.text(x_u + sq + 0.2, y + sq / 2, f"u_{v} = W_out[:, {v}] · h" + ("  ← target" if v == target else ""),
                ha="left", va="center", fontsize=FONT, fontweight="bold" if v == target else "normal")
    ax.text(x_u + sq / 2, V * sq + 0.3, f"u ({V},)", ha="center", va="bottom", fontsize=FONT, gid="label:u")
    ax.text(-0.9, -0.7, f"context words {', '.join(map(str, context))} → guess word {target}: softmax over u, "
            f"or negative sampling on a few columns", ha="left", va="center", fontsize=FONT)
    return fig
