"""``model.summary()``: Keras's table of layers, output shapes, parameter counts and connections."""
from ..layers.bidirectional import Bidirectional


def layer_type(layer):
    """``LSTM``, or ``Bidirectional(LSTM)`` / ``TimeDistributed(LSTM)`` for a wrapper."""
    inner = getattr(layer, "forward_layer", None) if isinstance(layer, Bidirectional) else getattr(layer, "layer", None)
    name = type(layer).__name__
    return f"{name}({type(inner).__name__})" if inner is not None and name in ("Bidirectional", "TimeDistributed") \
        else name


def _shape_text(shapes):
    shapes = [tuple(s) for s in shapes]
    return str(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(str(s) for s in shapes) + "]"


def summary_rows(model):
    """One row a layer: (name (type), output shape, parameter count, [connections])."""
    graph = model.graph
    node_index = {}                     # id(node) -> its index among its layer's calls in this model
    for node in [t.node for t in graph.inputs] + graph.nodes:
        calls = node_index.setdefault(id(node.layer), [])
        calls.append(node)
    index_of = {id(n): k for calls in node_index.values() for k, n in enumerate(calls)}
    rows = []
    for layer in [t.node.layer for t in graph.inputs] + graph.layers:
        calls = node_index[id(layer)]
        shapes = [t.shape for t in calls[0].outputs]
        connected = [f"{t.node.layer.name}[{index_of[id(t.node)]}][{t.index}]" for n in calls for t in n.inputs]
        rows.append((f"{layer.name} ({layer_type(layer)})", _shape_text(shapes), layer.count_params(), connected))
    return rows


def summary_text(model):
    """The text of ``model.summary()``: a Sequential's table leaves out its Input and connections,
    as Keras's does."""
    from .sequential import Sequential
    chain = isinstance(model, Sequential)
    rows = summary_rows(model)
    if chain:
        rows = rows[1:]
    w_name = max(30, *(len(r[0]) + 2 for r in rows))
    w_shape = max(22, *(len(r[1]) + 2 for r in rows))
    header = f"{'Layer (type)':<{w_name}}{'Output Shape':<{w_shape}}{'Param #':>12}"
    if not chain:
        header += "   Connected to"
    width = max(len(header), w_name + w_shape + 12 + (3 + max(len(c) for r in rows for c in r[3] or ["-"])
                                                      if not chain else 0))
    lines = [f'Model: "{model.name}"'] if model.name else []
    lines += [header, "=" * width]
    for name, shape, count, connected in rows:
        line = f"{name:<{w_name}}{shape:<{w_shape}}{count:>12,}"
        if not chain:
            line += "   " + (connected[0] if connected else "-")
        lines.append(line)
        for more in ([] if chain else connected[1:]):
            lines.append(" " * (w_name + w_shape + 12) + "   " + more)
    trainable = sum(l.count_params() for l in model.graph.layers if l.trainable)
    total = model.count_params()
    lines += ["=" * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(lines)


def summary_html(model):
    """``model.summary()`` as an HTML table (what Jupyter shows for a model through ``_repr_html_``):
    the same rows as :func:`summary_text`, with the totals below."""
    from html import escape

    from .sequential import Sequential
    chain = isinstance(model, Sequential)
    rows = summary_rows(model)[1:] if chain else summary_rows(model)
    head = "<th>Layer (type)</th><th>Output Shape</th><th>Param #</th>" + ("" if chain else "<th>Connected to</th>")
    body = []
    for name, shape, count, connected in rows:
        cells = (f"<td><code>{escape(name)}</code></td><td><code>{escape(shape)}</code></td>"
                 f"<td style='text-align:right'>{count:,}</td>")
        if not chain:
            cells += f"<td><code>{escape(', '.join(connected) or '-')}</code></td>"
        body.append(f"<tr>{cells}</tr>")
    trainable = sum(l.count_params() for l in model.graph.layers if l.trainable)
    total = model.count_params()
    caption = f"Model: {escape(model.name)}" if model.name else type(model).__name__
    return (f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"<tfoot><tr><td colspan='{3 if chain else 4}'>Total params: {total:,} &middot; Trainable params: "
            f"{trainable:,} &middot; Non-trainable params: {total - trainable:,}</td></tr></tfoot></table>")
