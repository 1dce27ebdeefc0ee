"""The drawing behind the figure of ``interop.rst``: one LSTM's input weights in three layouts.

The page's plot code makes the arrays with lstmx's own conversions; this module only draws them:
each entry a cell with its value, tinted by the gate it belongs to, so that a reader can follow a
value (and a gate's block) from one layout to the next.
"""
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

GATE_COLORS = {"i": "#9ecae1", "f": "#fdae6b", "g": "#a1d99b", "c": "#a1d99b", "o": "#bcbddc"}
GATE_NAMES = {"i": "input", "f": "forget", "g": "candidate", "c": "candidate", "o": "output"}


def _cells(ax, values, x0, y0, gates, along, H):
    """Draw ``values`` (2-D) with its top-left corner at (x0, y0); entry k along ``along`` ("rows" or
    "cols") belongs to gate ``gates[k // H]``."""
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            k = r if along == "rows" else c
            ax.add_patch(Rectangle((x0 + c, y0 + r), 1, 1, facecolor=GATE_COLORS[gates[k // H]],
                                   edgecolor="white", linewidth=1.2))
            ax.text(x0 + c + 0.5, y0 + r + 0.5, f"{values[r, c]:.1f}".replace("-0.0", "0.0"),
                    ha="center", va="center", fontsize=9)
    for g in range(1, len(gates)):                      # a darker line between gate blocks
        if along == "rows":
            ax.plot([x0, x0 + cols], [y0 + g * H] * 2, color="0.25", linewidth=1.2)
        else:
            ax.plot([x0 + g * H] * 2, [y0, y0 + rows], color="0.25", linewidth=1.2)


def _gate_labels(ax, gates, H, at, along):
    for g, name in enumerate(gates):
        mid = g * H + H / 2
        if along == "rows":
            ax.text(at, mid, name, ha="right", va="center", fontsize=13, fontweight="bold")
        else:
            ax.text(mid, at, name, ha="center", va="bottom", fontsize=13, fontweight="bold")


def _frame(ax, width, height, title, top=-2.2):
    ax.set_xlim(-1.6, width + 0.2)
    ax.set_ylim(height + 0.6, top)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=12, loc="left")


def draw_layouts(W, b_ih, b_hh, b, kernel, bias, W_onnx, B_onnx):
    """Three panels: lstmx/PyTorch ``W`` (4H, I) with PyTorch's two biases and lstmx's sum, Keras's
    ``kernel`` (I, 4H) with its ``bias``, ONNX's ``W[0]`` (4H, I) in i, o, f, c with ``B[0]`` as its
    two halves."""
    G, I = W.shape
    H = G // 4
    col = lambda v: v.reshape(-1, 1)
    fig = plt.figure(figsize=(9.5, 8.8))
    grid = fig.add_gridspec(2, 2, width_ratios=[9.6, 7.6], height_ratios=[G + 3.6, I + 4.4])
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, :]), fig.add_subplot(grid[0, 1])]

    ax = axes[0]                                        # lstmx / PyTorch
    _cells(ax, W, 0, 0, "ifgo", "rows", H)
    for x, v, name in ((I + 1, b_ih, "bias_ih"), (I + 3, b_hh, "bias_hh"), (I + 5, b, "b")):
        _cells(ax, col(v), x, 0, "ifgo", "rows", H)
        ax.text(x + 0.5, -0.25, name, rotation=60, ha="left", va="bottom", fontsize=9.5,
                family="monospace")
    ax.text(I + 2.5, G / 2, "+", ha="center", va="center", fontsize=12)
    ax.text(I + 4.5, G / 2, "=", ha="center", va="center", fontsize=12)
    ax.text(I / 2, -0.25, "W, weight_ih_l0", ha="center", va="bottom", fontsize=9.5, family="monospace")
    _gate_labels(ax, "ifgo", H, -0.3, "rows")
    ax.text(I / 2, G + 0.6, f"({G}, {I}): a row per gate unit", ha="center", va="top", fontsize=10)
    _frame(ax, I + 6, G + 1.4, "lstmx and PyTorch: W (4H, I), gates i, f, g, o;\n"
                               "PyTorch's two biases, lstmx's b their sum")

    ax = axes[1]                                        # Keras
    _cells(ax, kernel, 0, 0, "ifco", "cols", H)
    _cells(ax, bias.reshape(1, -1), 0, I + 1.2, "ifco", "cols", H)
    _gate_labels(ax, "ifco", H, -0.15, "cols")
    ax.text(-0.2, I / 2, "kernel", ha="right", va="center", fontsize=9.5, family="monospace")
    ax.text(-0.2, I + 1.7, "bias", ha="right", va="center", fontsize=9.5, family="monospace")
    ax.text(G / 2, I + 2.8, f"({I}, {G}): W transposed, a column per gate unit", ha="center", va="top",
            fontsize=10)
    _frame(ax, G, I + 3.2, "Keras: kernel (I, 4H), gates i, f, c, o (c is lstmx's g); one bias", top=-1.0)

    ax = axes[2]                                        # ONNX
    _cells(ax, W_onnx, 0, 0, "iofc", "rows", H)
    _cells(ax, col(B_onnx[:G]), I + 1, 0, "iofc", "rows", H)
    _cells(ax, col(B_onnx[G:]), I + 2.2, 0, "iofc", "rows", H)
    for x, name in ((I + 1, "B[0, :4H]"), (I + 2.2, "B[0, 4H:]")):
        ax.text(x + 0.5, -0.25, name, rotation=60, ha="left", va="bottom", fontsize=9.5, family="monospace")
    ax.text(I / 2, -0.25, "W[0]", ha="center", va="bottom", fontsize=9.5, family="monospace")
    _gate_labels(ax, "iofc", H, -0.3, "rows")
    ax.text((I + 3.2) / 2, G + 0.6, "the input bias (lstmx's b), then\nthe recurrent one (zeros)", ha="center",
            va="top", fontsize=10)
    _frame(ax, I + 3.2, G + 1.4, "ONNX: W (1, 4H, I), gates i, o, f, c;\nB (1, 8H): two biases")

    fig.subplots_adjust(left=0.01, right=0.99, top=0.95, bottom=0.01, wspace=0.1, hspace=0.15)
    return fig
