"""Attention weights over a sequence's tokens, or of queries over keys."""
import numbers

from ._common import _pyplot


def plot_attention(weights, x_labels=None, y_labels=None, ax=None, title=None, fontsize=9):
    """Attention weights as a picture: one row of weights (AttentionPooling's ``weights_`` over a
    review's words) as a strip of coloured cells with the words beneath, or a (Tq, Tv) matrix (an
    Attention layer's scores, a decoder's steps over the encoder's) as a heatmap, queries down and
    keys across.

    Parameters
    ----------
    weights : (T,) or (Tq, Tv) array, each row summing to 1 (masked steps 0)
    x_labels : the T (or Tv) tokens across; y_labels : the Tq tokens down (a matrix only)
    ax : matplotlib Axes or None
    title : str or None
    fontsize : float, the points of the figure's text (tokens, axis labels, colour bar); the title is
        a fifth larger. A wide figure shown in a narrow column is scaled down with its text: a
        figure twice the column's width needs twice the points to stay as legible.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise ValueError(f"plot_attention draws (T,) or (Tq, Tv) weights, got shape {w.shape}")
    strip = w.ndim == 1
    w2 = w[None, :] if strip else w
    for name, labels, n in (("x_labels", x_labels, w2.shape[1]), ("y_labels", y_labels, w2.shape[0])):
        if labels is not None and len(labels) != n:
            raise ValueError(f"{name} has {len(labels)} tokens for {n} {'columns' if name[0] == 'x' else 'rows'}")
    if isinstance(fontsize, bool) or not isinstance(fontsize, numbers.Real) or not fontsize > 0:
        raise ValueError(f"fontsize must be a positive number of points, got {fontsize!r}")
    plt = _pyplot()
    with plt.rc_context({"font.size": fontsize}):
        return _draw(plt, w2, strip, x_labels, y_labels, ax, title, fontsize)


def _draw(plt, w2, strip, x_labels, y_labels, ax, title, fontsize):
    if ax is None:
        width = min(max(4.0, 0.38 * w2.shape[1] + 1.5), 16.0)
        height = 1.9 if strip else min(max(3.0, 0.38 * w2.shape[0] + 1.5), 12.0)
        fig, ax = plt.subplots(figsize=(width, height))
    else:
        fig = ax.figure
    image = ax.imshow(w2, cmap="Reds", vmin=0.0, vmax=max(float(w2.max()), 1e-12), aspect="auto")
    if x_labels is not None:
        ax.set_xticks(range(w2.shape[1]), [str(t) for t in x_labels], rotation=90, fontsize=fontsize)
    if strip:
        ax.set_yticks([])
    elif y_labels is not None:
        ax.set_yticks(range(w2.shape[0]), [str(t) for t in y_labels], fontsize=fontsize)
    if not strip:
        ax.set_xlabel("attended to (keys)")
        ax.set_ylabel("attending (queries)")
    fig.colorbar(image, ax=ax, fraction=0.04 if strip else 0.05, pad=0.02, label="weight")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
