"""Word vectors projected on their first two principal components."""
from ._common import _pyplot


def plot_embeddings(wv, words, ax=None):
    """A 2-D projection (principal components) of the vectors of ``words``, each labelled.

    Parameters
    ----------
    wv : lstmx.KeyedVectors
    words : list of str (words not in ``wv`` are skipped)

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    plt = _pyplot()
    words = [w for w in words if w in wv]
    X = np.array([wv[w] for w in words], np.float64)
    X -= X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    P = X @ Vt[:2].T
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 5))
    else:
        fig = ax.figure
    ax.scatter(P[:, 0], P[:, 1], s=12)
    for (x, y), w in zip(P, words):
        ax.annotate(w, (x, y), fontsize=9, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    fig.tight_layout()
    return fig
