"""plot_model: a model's graph of layers, laid out in ranks and drawn with matplotlib alone."""
from ._common import _pyplot

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
    from ..layers.symbolic import InputLayer
    from ..models.summary import layer_type
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
