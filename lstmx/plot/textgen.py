"""Figures of a character language model: how stateful batches cut a text (truncated BPTT), what the
sampling temperature does to a distribution, and what one cell does over a passage."""
import numpy as np


def _axes(ax, size):
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_stateful_batches(text=None, batch_size=3, batches=3, seq_length=6, ax=None):
    """How :func:`lstmx.textgen.stateful_batches` cuts a text: ``batch_size`` rows side by side,
    each batch the next ``seq_length`` characters of every row. Arrows carry each row's state into
    the next batch; the dashed lines are where backpropagation through time stops.

    ``text``: the characters to show in the chunks (default: Tiny Shakespeare's first ones).
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle
    if text is None:
        from ..datasets.shakespeare import load_text
        text = load_text()[:batch_size * batches * seq_length]
    n = batch_size * batches * seq_length
    if len(text) < n:
        raise ValueError(f"the figure shows {n} characters; the text has {len(text)}")
    ax = _axes(ax, (8.5, 0.9 + 0.75 * batch_size))
    colors = ["#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1"]
    width, gap = 1.0, 0.55
    for k in range(batches):
        x0 = k * (width + gap)
        for i in range(batch_size):
            y = batch_size - 1 - i
            start = (i * batches + k) * seq_length          # row i holds characters i*batches*T ...
            chunk = text[start:start + seq_length].replace("\n", "⏎")
            ax.add_patch(Rectangle((x0, y + 0.1), width, 0.8, facecolor=colors[k % len(colors)], edgecolor="black"))
            ax.text(x0 + width / 2, y + 0.5, repr(chunk)[1:-1], ha="center", va="center", family="monospace", fontsize=10)
            if k + 1 < batches:
                ax.add_patch(FancyArrowPatch((x0 + width, y + 0.5), (x0 + width + gap, y + 0.5),
                                             arrowstyle="-|>", mutation_scale=12, color="#333333"))
        ax.text(x0 + width / 2, batch_size + 0.15, f"batch {k + 1}", ha="center", va="bottom", fontsize=11)
        if k:
            ax.plot([x0 - gap / 2] * 2, [0, batch_size + 0.1], color="#d62728", linestyle="--", linewidth=1.2)
    for i in range(batch_size):
        ax.text(-0.08, batch_size - 1 - i + 0.5, f"row {i}", ha="right", va="center", fontsize=10)
    ax.text(0, -0.3, "arrows: each row's state (h, c) carried into the next batch;  dashed: where the gradient stops",
            ha="left", va="center", fontsize=10, color="#333333")
    ax.set_xlim(-0.6, batches * (width + gap) - gap + 0.05)
    ax.set_ylim(-0.6, batch_size + 0.6)
    ax.axis("off")
    return ax


def plot_temperature(probabilities, labels, temperatures=(0.5, 1.0, 2.0), top=8, ax=None):
    """Bars of the ``top`` most likely symbols of ``probabilities`` as sampling sees them at each
    temperature: ``p_i^(1/T)`` renormalised. Below 1 the likely get likelier; above 1 flatter."""
    p = np.asarray(probabilities, np.float64)
    if p.ndim != 1 or len(labels) != len(p):
        raise ValueError(f"probabilities must be (V,) with one label each, got {p.shape} and {len(labels)} labels")
    order = np.argsort(p)[::-1][:top]
    ax = _axes(ax, (8.5, 3.2))
    width = 0.8 / len(temperatures)
    for j, T in enumerate(temperatures):
        with np.errstate(divide="ignore"):
            q = np.exp(np.log(p) / T - np.max(np.log(p[p > 0]) / T))
        q /= q.sum()
        ax.bar(np.arange(len(order)) + (j - (len(temperatures) - 1) / 2) * width, q[order], width,
               label=f"temperature {T:g}")
    ax.set_xticks(np.arange(len(order)))
    ax.set_xticklabels([repr(labels[i])[1:-1] if labels[i].strip() else repr(labels[i]) for i in order], fontsize=11)
    ax.set_ylabel("probability", fontsize=11)
    ax.legend(fontsize=10)
    return ax


def plot_text_activations(text, values, columns=64, ax=None, title=None, vmax=None):
    """``text`` laid out ``columns`` characters a line, each character on a colour that is its value
    (blue negative, red positive): one cell of an LSTM over a passage, as in Karpathy, Johnson and
    Fei-Fei (2015). ``values``: (len(text),), e.g. a column of :func:`lstmx.textgen.cell_activations`.
    Newlines are shown as ``⏎`` and end the line."""
    import matplotlib.pyplot as plt
    values = np.asarray(values, np.float64)
    if values.shape != (len(text),):
        raise ValueError(f"values must have one number a character: ({len(text)},), got {values.shape}")
    positions, row, col = [], 0, 0
    for ch in text:
        positions.append((row, col))
        col += 1
        if ch == "\n" or col == columns:
            row, col = row + 1, 0
    rows = row + (col > 0)
    ax = _axes(ax, (8.5, 0.3 * rows + 0.5))
    vmax = float(np.max(np.abs(values))) or 1.0 if vmax is None else vmax
    cmap = plt.get_cmap("RdBu_r")
    for (r, c), ch, v in zip(positions, text, values):
        ax.add_patch(plt.Rectangle((c, -r - 1), 1, 1, facecolor=cmap(0.5 + 0.5 * v / vmax), edgecolor="none"))
        ax.text(c + 0.5, -r - 0.5, "⏎" if ch == "\n" else ch, ha="center", va="center", family="monospace",
                fontsize=9.5)
    ax.set_xlim(0, columns)
    ax.set_ylim(-rows, 0)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11, loc="left", pad=4)
    return ax
