"""Figures of training and of speed: a fit's loss and accuracy, the benchmark's times."""
from ._common import _pyplot


def plot_benchmark(rows, torch=False):
    """Milliseconds per size for every backend (and PyTorch), forward and train, one row of panels per cell.

    Parameters
    ----------
    rows : list of dict, as returned by :func:`lstmx.bench.run`
    torch : bool, draw PyTorch's times too

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    plt = _pyplot()
    cells = list(dict.fromkeys(r["cell"] for r in rows))
    backends = [b for b in ("reference", "numba", "cython") if f"{b}_fwd_ms" in rows[0]] + (["torch"] if torch else [])
    fig, axes = plt.subplots(len(cells), 2, figsize=(12, 3.2 * len(cells)), squeeze=False)
    for i, cell in enumerate(cells):
        cell_rows = [r for r in rows if r["cell"] == cell]
        labels = [f"{r['B']},{r['T']},{r['I']},{r['H']}" for r in cell_rows]
        x = np.arange(len(cell_rows))
        for j, kind in enumerate(("fwd", "train")):
            ax = axes[i, j]
            width = 0.8 / len(backends)
            for k, be in enumerate(backends):
                ax.bar(x + k * width, [r[f"{be}_{kind}_ms"] for r in cell_rows], width, label=be)
            ax.set_yscale("log")
            ax.set_xticks(x + 0.4 - width / 2, labels, rotation=20, fontsize=8)
            ax.set_ylabel("ms (log)")
            ax.set_title(f"{cell.upper()} {'forward' if kind == 'fwd' else 'forward + backward'}  (B,T,I,H)")
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_history(history, path=None):
    """The "loss vs accuracy" figure of a training run: loss and accuracy per epoch, training and validation.

    Parameters
    ----------
    history : lstmx.models.History or its ``.history`` dict
    path : str or None, write the figure there (PNG, ...) as well as returning it

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    h = getattr(history, "history", history)
    if "loss" not in h or not len(h["loss"]):
        raise ValueError(f"the history has no per-epoch 'loss' to plot (keys: {sorted(h)}); pass the History "
                         f"that model.fit returned")
    epochs = range(1, len(h["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key in zip(axes, ("loss", "accuracy")):
        if key not in h:
            ax.set_visible(False)
            continue
        ax.plot(epochs, h[key], "o-", label=f"training {key}")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], "s--", label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.set_xticks(list(epochs))
        ax.set_ylabel(key)
        ax.set_title(key)
        ax.legend()
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig
