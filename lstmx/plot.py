"""Figures computed by lstmx itself. matplotlib is imported inside each function, never at ``import lstmx``."""


def _pyplot():
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg",) and not _has_display():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _has_display():
    import os
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


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

    from . import functional as F
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
    from .layers import GRU, LSTM, SimpleRNN
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


# ---- plot_model: a model's graph of layers, drawn with matplotlib alone ----
_FONT_PT = 10.0          # the boxes' text, and the edges' labels: >= 9 pt (an ax too small gets a warning)
_LABEL_PT = 9.0
_PAD = 0.09              # inches of padding around the text inside a box
_BOX_GAP = 0.35          # inches between two boxes of one rank
_DUMMY_GAP = 0.2         # inches between a box and an edge passing through its rank
_RANK_GAP = {"TB": 0.5, "LR": 0.7}   # inches between two ranks (plus room for an edge label)
_MARGIN = 0.15
_WRAP = 56               # characters of shape text on one line before it is split


def _shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _shapes_str(shapes):
    """One shape as ``(None, 64)``, several as a list ``[(None, 4), (None, 4)]``."""
    return _shape_str(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(_shape_str(s) for s in shapes) + "]"


def _calls_str(calls):
    """The shapes of a layer's calls: their text when every call agrees, else ``multiple`` (as Keras)."""
    texts = {_shapes_str(c) for c in calls}
    return texts.pop() if len(texts) == 1 else "multiple"


def _wrap(prefix, text):
    """``prefix + text`` on lines of at most ``_WRAP`` characters, broken after the commas of a list."""
    if len(prefix) + len(text) <= _WRAP or not text.startswith("["):
        return [prefix + text]
    parts = text.split("), ")
    parts = [p + ")," for p in parts[:-1]] + [parts[-1]]
    lines, line = [], prefix + parts[0]
    for p in parts[1:]:
        if len(line) + 1 + len(p) > _WRAP:
            lines.append(line)
            line = " " * len(prefix) + p
        else:
            line += " " + p
    return lines + [line]


def _shape_text(in_text, out_text, one_line=True):
    """``input: ... | output: ...`` when it fits on a line (and ``one_line``), else a line each."""
    one = f"input: {in_text} | output: {out_text}"
    if one_line and len(one) <= _WRAP:
        return one
    return "\n".join(_wrap("input:  ", in_text) + _wrap("output: ", out_text))


def _model_boxes_and_edges(model, show_shapes, show_layer_names, one_line=True):
    """The boxes (one a layer, Inputs first) and the edges between them (one a pair of layers, in the
    order the graph reads them), as plain dicts."""
    from .layers.symbolic import InputLayer
    from .models.summary import layer_type
    graph = getattr(model, "graph", None)
    if graph is None:
        if hasattr(model, "graph"):
            raise ValueError("the model is not built yet, so it has no graph to draw: build the model first "
                             "(model.build(input_shape), an lstmx.Input as its first layer, or fit it)")
        raise TypeError(f"plot_model draws an lstmx.Model or Sequential, got {type(model).__name__}")
    nodes = [t.node for t in graph.inputs] + list(graph.nodes)
    layers = [t.node.layer for t in graph.inputs] + list(graph.layers)
    index = {id(layer): k for k, layer in enumerate(layers)}
    boxes = []
    for layer in layers:
        calls = [n for n in nodes if n.layer is layer]
        title = f"{layer.name} ({layer_type(layer)})" if show_layer_names else layer_type(layer)
        shapes = None
        if show_shapes:
            outs = [[t.shape for t in n.outputs] for n in calls]
            ins = [[t.shape for t in n.inputs] if n.inputs else [t.shape for t in n.outputs] for n in calls]
            shapes = _shape_text(_calls_str(ins), _calls_str(outs), one_line)
        boxes.append(dict(layer=layer, name=layer.name, title=title, shapes=shapes,
                          is_input=isinstance(layer, InputLayer)))
    edges = {}
    for node in graph.nodes:
        for t in node.inputs:
            key = (index[id(t.node.layer)], index[id(node.layer)])
            e = edges.setdefault(key, dict(src=key[0], dst=key[1], outputs=set(), multi=False))
            e["outputs"].add(t.index)
            e["multi"] = e["multi"] or len(t.node.outputs) > 1
    edges = list(edges.values())
    for e in edges:
        e["label"] = ", ".join(f"[{k}]" for k in sorted(e["outputs"])) if e["multi"] else None
    return boxes, edges


def _isotonic(values):
    """The non-decreasing sequence nearest ``values`` in squares (pool adjacent violators)."""
    blocks = []
    for v in values:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] * blocks[-1][1] > blocks[-1][0] * blocks[-2][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return [s / c for s, c in blocks for _ in range(c)]


def _crossings(ranks, down, pos):
    n = 0
    for r in range(len(ranks) - 1):
        links = [(pos[a], pos[b]) for a in ranks[r] for b in down[a]]
        n += sum(1 for i, (a1, b1) in enumerate(links) for a2, b2 in links[i + 1:] if (a1 - a2) * (b1 - b2) < 0)
    return n


def _ranks_by_depth(n, edges):
    """Each box's rank: the longest path to it from the inputs. A layer called at several places can
    close a cycle of boxes (``d(e(d(x)))``); a depth-first walk from the inputs, in the order the
    graph reads its edges, marks the edges that close one as ``back`` (drawn upwards), and the
    longest paths are taken over the others.

    Returns ``(depth, back)``, a rank a box and a flag an edge.
    """
    out = [[] for _ in range(n)]
    for k, e in enumerate(edges):
        out[e["src"]].append(k)
    state, back, post = [0] * n, [False] * len(edges), []     # state: 0 unseen, 1 on the walk, 2 done
    for root in range(n):                                     # the Inputs come first
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            j, todo = stack[-1]
            for k in todo:
                d = edges[k]["dst"]
                if state[d] == 1:
                    back[k] = True
                elif state[d] == 0:
                    state[d] = 1
                    stack.append((d, iter(out[d])))
                    break
            else:
                stack.pop()
                state[j] = 2
                post.append(j)
    depth = [0] * n
    for j in reversed(post):                                  # a topological order of the other edges
        for k in out[j]:
            if not back[k]:
                depth[edges[k]["dst"]] = max(depth[edges[k]["dst"]], depth[j] + 1)
    return depth, back


def _reversed_segments(start, segments):
    """The same path, walked from its end: ``(start, [(kind, points), ...])`` with kind "L" or "C"."""
    starts = [start] + [pts[-1] for _, pts in segments[:-1]]
    flipped = [(kind, [s0] if kind == "L" else [pts[1], pts[0], s0])
               for (kind, pts), s0 in zip(reversed(segments), reversed(starts))]
    return segments[-1][1][-1], flipped


def _layout(boxes, edges, lr):
    """Place the boxes in ranks by depth and route the edges; every length in inches.

    Works in (p, s): p runs across the ranks (down in TB, right in LR), s along a rank. An edge that
    skips ranks passes through each rank it crosses at a point of its own (as a box would), so it
    goes between the boxes there. Returns the boxes' centres and, an edge, its path (vertices and
    matplotlib codes) and where its label goes, all in (p, s).
    """
    import numpy as np
    n = len(boxes)
    psize = [b["w"] if lr else b["h"] for b in boxes]
    ssize = [b["h"] if lr else b["w"] for b in boxes]
    depth, back = _ranks_by_depth(n, edges)
    R = max(depth) + 1
    loops = {e["src"] for e in edges if e["src"] == e["dst"]}
    # the layered graph: a box ("b", j), or an edge k crossing rank r ("d", k, r)
    ranks = [[("b", j) for j in range(n) if depth[j] == r] for r in range(R)]
    down, up, chains = {}, {}, {}
    for k, e in enumerate(edges):
        if e["src"] == e["dst"]:
            continue
        top, bottom = (e["dst"], e["src"]) if back[k] else (e["src"], e["dst"])
        chain = [("b", top)] + [("d", k, r) for r in range(depth[top] + 1, depth[bottom])] + [("b", bottom)]
        for item in chain[1:-1]:
            ranks[item[2]].append(item)
        for a, b in zip(chain, chain[1:]):
            down.setdefault(a, []).append(b)
            up.setdefault(b, []).append(a)
        chains[k] = chain
    for item in (it for r in ranks for it in r):
        down.setdefault(item, [])
        up.setdefault(item, [])

    # the order along each rank: barycentre sweeps, keeping the order with the fewest crossings
    def positions():
        return {item: i for r in ranks for i, item in enumerate(r)}

    def sweep(downward):
        pos = positions()
        nbrs = up if downward else down
        for r in (range(1, R) if downward else range(R - 2, -1, -1)):
            keys = {it: np.mean([pos[x] for x in nbrs[it]]) if nbrs[it] else pos[it] for it in ranks[r]}
            ranks[r].sort(key=keys.__getitem__)
            pos.update({it: i for i, it in enumerate(ranks[r])})

    sweep(True)
    best = ([list(r) for r in ranks], _crossings(ranks, down, positions()))
    for it in range(8):
        sweep(it % 2 == 1)
        c = _crossings(ranks, down, positions())
        if c < best[1]:
            best = ([list(r) for r in ranks], c)
    ranks = best[0]

    # the place along each rank: packed, then each item pulled towards its neighbours in the rank
    # above (or below), the order and the gaps kept; the last sweep goes down, so a box with one
    # parent stands in line with it
    def size(it):
        return ssize[it[1]] if it[0] == "b" else 0.0

    def gap(a, b):
        return (size(a) + size(b)) / 2 + (_BOX_GAP if a[0] == b[0] == "b" else _DUMMY_GAP) + \
            (0.45 if a[0] == "b" and a[1] in loops else 0.0)

    s = {}
    for r in ranks:
        offsets = np.concatenate([[0.0], np.cumsum([gap(a, b) for a, b in zip(r, r[1:])])])
        s.update({it: o - offsets[-1] / 2 for it, o in zip(r, offsets)})
    for it in range(17):
        downward = it % 2 == 0
        nbrs = up if downward else down
        for r in (range(1, R) if downward else range(R - 2, -1, -1)):
            row = ranks[r]
            want = [np.mean([s[x] for x in nbrs[item]]) if nbrs[item] else s[item] for item in row]
            offsets = np.concatenate([[0.0], np.cumsum([gap(a, b) for a, b in zip(row, row[1:])])])
            for item, y, o in zip(row, _isotonic(list(np.asarray(want) - offsets)), offsets):
                s[item] = y + o

    # the bands along p: a rank as thick as its thickest box; a gap wider where it holds a label
    thick = [max(psize[it[1]] for it in ranks[r] if it[0] == "b") for r in range(R)]
    label_gap = {k: depth[e["src"]] - (1 if back[k] else 0) for k, e in enumerate(edges) if k in chains}
    room = [0.0] * R
    for k, r in label_gap.items():
        if edges[k]["label"]:
            room[r] = max(room[r], (edges[k]["label_w"] if lr else edges[k]["label_h"]) + 0.1)
    start, p = [], 0.0
    for r in range(R):
        start.append(p)
        p += thick[r] + _RANK_GAP["LR" if lr else "TB"] + room[r]
    end = [start[r] + thick[r] for r in range(R)]
    centre = [((start[depth[j]] + end[depth[j]]) / 2, s[("b", j)]) for j in range(n)]

    # ports: the edges leave and enter a box spread over its side, in the order of their other ends
    port_out, port_in = {}, {}
    for j in range(n):
        for port, ends, end_of in ((port_out, [k for k in chains if chains[k][0][1] == j], 1),
                                   (port_in, [k for k in chains if chains[k][-1][1] == j], -2)):
            ends.sort(key=lambda k: s[chains[k][end_of]])
            span = min(0.5 * ssize[j], 0.3 * (len(ends) - 1))
            for i, k in enumerate(ends):
                port[k] = centre[j][1] + (span * (i / (len(ends) - 1) - 0.5) if len(ends) > 1 else 0.0)

    routes = []
    for k, e in enumerate(edges):
        if k not in chains:            # a layer reading its own output: a loop on its side
            j = e["src"]
            pc, side, h = centre[j][0], centre[j][1] + ssize[j] / 2, 0.2 * psize[j]
            first = (pc - h, side)
            segments = [("C", [(pc - h, side + 0.45), (pc + h, side + 0.45), (pc + h, side)])]
            label_at = (pc, side + 0.35)
        else:
            chain = chains[k]
            top, bottom = chain[0][1], chain[-1][1]
            first = (centre[top][0] + psize[top] / 2, port_out[k])
            segments, mids, here = [], [], first

            def line_to(pt):
                nonlocal here
                if abs(pt[0] - here[0]) + abs(pt[1] - here[1]) > 1e-9:
                    segments.append(("L", [pt]))
                    here = pt

            line_to((end[depth[top]], port_out[k]))
            for b in chain[1:]:
                p1 = start[depth[bottom]] if b[0] == "b" else start[b[2]]
                s1 = port_in[k] if b[0] == "b" else s[b]
                pm = (here[0] + p1) / 2
                segments.append(("C", [(pm, here[1]), (pm, s1), (p1, s1)]))
                mids.append((pm, (here[1] + s1) / 2))
                here = (p1, s1)
                line_to((centre[bottom][0] - psize[bottom] / 2, s1) if b[0] == "b" else (end[b[2]], s1))
            label_at = mids[0]
            if back[k]:                # drawn from the deeper box up to the one it feeds
                first, segments = _reversed_segments(first, segments)
                label_at = mids[-1]
        verts, codes = [first], [1]
        for kind, pts in segments:
            verts += pts
            codes += [2] if kind == "L" else [4, 4, 4]
        routes.append(dict(verts=verts, codes=codes, label_at=label_at))
    return centre, routes


def plot_model(model, to_file=None, show_shapes=True, show_layer_names=True, rankdir="TB", dpi=100, ax=None):
    """Draw a model's graph of layers, as Keras's ``plot_model`` does, with matplotlib alone.

    Each layer is a box with its name and type (``lstm (LSTM)``) and, with ``show_shapes``, its input
    and output shapes (``input: (None, 20, 32) | output: (None, 64)``; a list for several). An arrow
    goes from a layer to each layer that reads its outputs, one arrow for each pair of layers; a layer
    called at several places is one box with an arrow from each layer it reads. Where the layer read
    has several outputs (an LSTM with ``return_state``), the arrow is labelled with the ones it reads
    (``[1], [2]``). The model's Inputs are boxes too (``InputLayer``), a Sequential's included.

    The boxes stand in ranks by depth (the longest path from the inputs), from top to bottom
    (``rankdir="TB"``) or from left to right (``"LR"``); an arrow that skips ranks passes between the
    boxes of the ranks it crosses. The figure is as large as the boxes need, text at 10 points.

    Parameters
    ----------
    model : lstmx.Model or a built lstmx.Sequential
    to_file : str or path, or None: also write the figure there, in the format of its extension
        (``.png``, ``.svg``, ``.pdf``)
    show_shapes : bool, write each layer's input and output shapes
    show_layer_names : bool, write each layer's name before its type
    rankdir : "TB" or "LR"
    dpi : int, the figure's resolution (and the file's)
    ax : matplotlib Axes or None: draw there instead of in a new figure, scaled to fit it (the text
        then shrinks with the drawing; a warning says when it falls under 9 points)

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError : for a Sequential that is not built yet, or an unknown ``rankdir``
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' (top to bottom) or 'LR' (left to right), got {rankdir!r}")
    lr = rankdir == "LR"
    # left to right, the boxes stand side by side: their shapes go on two lines to keep them narrow
    boxes, edges = _model_boxes_and_edges(model, show_shapes, show_layer_names, one_line=not lr)
    import matplotlib.patches as mpatches
    from matplotlib.path import Path
    plt = _pyplot()
    own = ax is None
    if own:
        fig = plt.figure(figsize=(4, 3), dpi=dpi)
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        fig = ax.figure
    ax.set_axis_off()
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()

    def measure(text):
        bb = text.get_window_extent(renderer)
        return bb.width / fig.dpi, bb.height / fig.dpi

    for b in boxes:
        b["title_text"] = ax.text(0, 0, b["title"], fontsize=_FONT_PT, fontweight="bold", ha="center",
                                  va="center", gid=f"title:{b['name']}", zorder=4)
        tw, th = measure(b["title_text"])
        sw = sh = 0.0
        if b["shapes"] is not None:
            b["shape_text"] = ax.text(0, 0, b["shapes"], fontsize=_FONT_PT, ha="center", va="center",
                                      multialignment="left", gid=f"shapes:{b['name']}", zorder=4)
            sw, sh = measure(b["shape_text"])
        b["title_h"], b["shape_h"] = th, sh
        b["w"] = max(tw, sw) + 2 * _PAD + 0.1
        b["h"] = th + 2 * _PAD + (sh + 2 * _PAD if b["shapes"] is not None else 0.0)
    for e in edges:
        e["label_w"] = e["label_h"] = 0.0
        if e["label"]:
            e["text"] = ax.text(0, 0, e["label"], fontsize=_LABEL_PT, ha="center", va="center", zorder=3,
                                gid=f"edge-label:{boxes[e['src']]['name']}->{boxes[e['dst']]['name']}",
                                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
            e["label_w"], e["label_h"] = measure(e["text"])
            e["label_w"] += 0.1
            e["label_h"] += 0.1

    centre, routes = _layout(boxes, edges, lr)
    # (p, s) -> (x, y) in inches, y up: TB puts p downwards, LR puts p rightwards and s downwards
    to_xy = (lambda p, s: (p, -s)) if lr else (lambda p, s: (s, -p))
    pts = []
    for j, b in enumerate(boxes):
        x, y = to_xy(*centre[j])
        b["x"], b["y"] = x, y
        pts += [(x - b["w"] / 2, y - b["h"] / 2), (x + b["w"] / 2, y + b["h"] / 2)]
    for e, route in zip(edges, routes):
        route["xy"] = [to_xy(p, s) for p, s in route["verts"]]
        pts += route["xy"]
        if e["label"]:
            x, y = to_xy(*route["label_at"])
            pts += [(x - e["label_w"] / 2, y - e["label_h"] / 2), (x + e["label_w"] / 2, y + e["label_h"] / 2)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs) - _MARGIN, max(xs) + _MARGIN, min(ys) - _MARGIN, max(ys) + _MARGIN
    W, H = x1 - x0, y1 - y0
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if own:
        fig.set_size_inches(W, H)
        scale = 1.0
    else:
        ax.set_aspect("equal", adjustable="box")
        pos = ax.get_position()
        fw, fh = fig.get_size_inches()
        scale = min(pos.width * fw / W, pos.height * fh / H)
        smallest = min([_FONT_PT] + [_LABEL_PT for e in edges if e["label"]]) * scale
        if smallest < 9 - 1e-9:
            import warnings
            warnings.warn(f"plot_model: the axes is too small for this model: its text is drawn at "
                          f"{smallest:.1f} points; give it an axes of at least {W:.1f} x {H:.1f} "
                          f"inches, or no ax", stacklevel=2)
    line_w = 1.0 * scale
    for b in boxes:
        x, y, w, h = b["x"], b["y"], b["w"], b["h"]
        fc = "#e4f0df" if b["is_input"] else "#e3ecf8"
        ax.add_patch(mpatches.FancyBboxPatch((x - w / 2, y - h / 2), w, h, gid=f"layer:{b['name']}",
                                             boxstyle="round,pad=0,rounding_size=0.06", fc=fc, ec="#3a4a5c",
                                             lw=line_w, zorder=2))
        top = y + h / 2
        b["title_text"].set_position((x, top - _PAD - b["title_h"] / 2))
        b["title_text"].set_fontsize(_FONT_PT * scale)
        if b["shapes"] is not None:
            div = top - 2 * _PAD - b["title_h"]
            ax.plot([x - w / 2, x + w / 2], [div, div], color="#3a4a5c", lw=0.6 * scale, zorder=3)
            b["shape_text"].set_position((x, div - _PAD - b["shape_h"] / 2))
            b["shape_text"].set_fontsize(_FONT_PT * scale)
    for e, route in zip(edges, routes):
        ax.add_patch(mpatches.FancyArrowPatch(path=Path(route["xy"], route["codes"]), arrowstyle="-|>",
                                              mutation_scale=12 * scale, lw=1.1 * scale, color="#3a4a5c",
                                              gid=f"edge:{boxes[e['src']]['name']}->{boxes[e['dst']]['name']}",
                                              zorder=1))
        if e["label"]:
            e["text"].set_position(to_xy(*route["label_at"]))
            e["text"].set_fontsize(_LABEL_PT * scale)
    if to_file is not None:
        fig.savefig(to_file, dpi=dpi)
    return fig


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


def plot_attention(weights, x_labels=None, y_labels=None, ax=None, title=None):
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
    plt = _pyplot()
    if ax is None:
        width = min(max(4.0, 0.38 * w2.shape[1] + 1.5), 16.0)
        height = 1.9 if strip else min(max(3.0, 0.38 * w2.shape[0] + 1.5), 12.0)
        fig, ax = plt.subplots(figsize=(width, height))
    else:
        fig = ax.figure
    image = ax.imshow(w2, cmap="Reds", vmin=0.0, vmax=max(float(w2.max()), 1e-12), aspect="auto")
    if x_labels is not None:
        ax.set_xticks(range(w2.shape[1]), [str(t) for t in x_labels], rotation=90, fontsize=9)
    if strip:
        ax.set_yticks([])
    elif y_labels is not None:
        ax.set_yticks(range(w2.shape[0]), [str(t) for t in y_labels], fontsize=9)
    if not strip:
        ax.set_xlabel("attended to (keys)")
        ax.set_ylabel("attending (queries)")
    fig.colorbar(image, ax=ax, fraction=0.04 if strip else 0.05, pad=0.02, label="weight")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
