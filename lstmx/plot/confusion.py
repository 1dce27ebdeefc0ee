"""A classifier's confusion matrix (a tagger's tags against the true ones)."""
from ._common import _pyplot


def plot_confusion_matrix(confusion, labels, path=None, normalize=True, ax=None):
    """A tagger's confusion matrix as a heat map: rows are the gold tags, columns the predicted ones.

    Parameters
    ----------
    confusion : (n, n) array of counts (``lstmx.tagging.confusion_matrix``; ``Tagger.evaluate``
        returns it as ``"confusion"``, with its ``"labels"``)
    labels : the n tag names, in the matrix's order
    path : str or None, write the figure there as well as returning it
    normalize : bool, divide each row by its count, so that a cell is the share of a gold tag's words
        given that prediction (the diagonal is each tag's recall); the off-diagonal cells over 1 %
        are written in
    ax : a matplotlib Axes to draw into, or None for a new figure

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    cm = np.asarray(confusion, dtype=float)
    n = len(labels)
    if cm.shape != (n, n):
        raise ValueError(f"the confusion matrix must be ({n}, {n}) for {n} labels, got shape {cm.shape}")
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.0 + 0.42 * n, 0.8 + 0.38 * n))
    else:
        fig = ax.figure
    rows = cm.sum(axis=1, keepdims=True)
    shown = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0) if normalize else cm
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the gold tag's words" if normalize else "words")
    ax.set_xticks(range(n))
    ax.set_xticklabels(labels, rotation=90)
    ax.set_yticks(range(n))
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted tag")
    ax.set_ylabel("gold tag")
    for i in range(n):
        for j in range(n):
            v = shown[i, j]
            if (i == j and cm[i, j]) or (normalize and v >= 0.01) or (not normalize and i != j and v):
                text = f"{100 * v:.0f}" if normalize else f"{int(v)}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 * (shown.max() or 1) else "black")
    ax.set_title("confusion matrix" + (" (% of each gold tag)" if normalize else ""))
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig
