"""Export a model to ONNX, to run it in ONNX Runtime (``pip install lstmx[onnx]``).

The recurrent layers become ONNX's own ``LSTM``, ``GRU`` and ``RNN`` operators, which store the same
matrices a third way: ``W`` ``(directions, G*H, I)``, ``R`` ``(directions, G*H, H)`` and
``B`` ``(directions, 2*G*H)`` (the input bias, then the recurrent one), the LSTM's gates ordered
i, o, f, c (lstmx: i, f, g, o) and the GRU's z, r, h (lstmx: r, z, n; ``linear_before_reset=1`` is
lstmx's and Keras's ``reset_after``).

Masks: ONNX's operators take ``sequence_lens``, which describes post-padding. A model whose Embedding
has ``mask_zero=True`` (or that starts with ``Masking``) is exported with the mask computed from its
input; each sequence's kept steps are moved to the front (so that pre-padded input, Keras's default,
works too), run with ``sequence_lens``, and put back with lstmx's outputs at the padded steps. Each
sequence's kept steps must be one run (pre- or post-padding), as in every padded batch; a mask with
gaps inside a sequence is beyond what the operators describe, and that sequence's outputs come out
NaN rather than silently wrong.
"""
import numpy as np

MIN_OPSET = 13          # ReduceSum with its axes as an input


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("lstmx.onnx needs the onnx package: pip install onnx onnxruntime (or lstmx[onnx])") from None
    return onnx


class _Graph:
    """The nodes and initializers of the graph being written, with fresh names."""

    def __init__(self, onnx, dtype):
        self.onnx, self.nodes, self.inits, self.count = onnx, [], [], 0
        self.dtype = np.dtype(dtype)
        self.elem = onnx.helper.np_dtype_to_tensor_dtype(self.dtype)

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value, hint="c", dtype=None):
        name = self.name(hint)
        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        self.inits.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, kind, inputs, hint=None, outputs=1, **attrs):
        names = [self.name(hint or kind.lower()) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(kind, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names


def _blocks(a, H, order):
    """``a``'s H-row blocks in ``order``."""
    return np.concatenate([a[k * H:(k + 1) * H] for k in order])


def _cell_arrays(layer):
    """One direction's (W, R, B) in ONNX's layout and gate order."""
    from .layers.recurrent import GRU, LSTM
    c = layer.cell
    H = c.hidden_size
    if isinstance(layer, LSTM):
        order, recurrent_bias = (0, 3, 1, 2), np.zeros_like(c.b)               # i, o, f, c
    elif isinstance(layer, GRU):
        order = (1, 0, 2)                                                      # z, r, h
        recurrent_bias = np.concatenate([np.zeros(2 * H, c.b.dtype), c.b_hn])  # b_hn stays with U_n h
    else:
        order, recurrent_bias = (0,), np.zeros_like(c.b)
    return (_blocks(c.W, H, order), _blocks(c.U, H, order),
            np.concatenate([_blocks(c.b, H, order), _blocks(recurrent_bias, H, order)]))


def _recurrent(g, layer, x, mask, states=()):
    """The ONNX nodes of a recurrent layer (or a Bidirectional) on x (B, T, F) with mask (B, T) bool or
    None, and initial states (B, H) (``[h0]``, or ``[h0, c0]`` for an LSTM). Returns (outputs, masks):
    the output, then with ``return_state`` each direction's final states, as the layer returns them."""
    from .layers import Bidirectional
    from .layers.recurrent import GRU, LSTM
    bidirectional = isinstance(layer, Bidirectional)
    one = layer.forward_layer if bidirectional else layer
    name = layer.name or type(layer).__name__
    if one.cell is None:
        raise ValueError(f"lstmx.onnx: {name} is not built yet: call the model on data first")
    if not bidirectional and layer.go_backwards or (bidirectional and (layer.merge_mode is None or states)):
        raise ValueError(f"lstmx.onnx: {name} has go_backwards outside Bidirectional, merge_mode=None or initial "
                         f"states for both directions, which the export does not write yet")
    directions = [one, layer.backward_layer] if bidirectional else [one]
    arrays = [_cell_arrays(d) for d in directions]
    W, R, B = (g.const(np.stack([a[k] for a in arrays]), hint) for k, hint in enumerate("WRB"))
    kind = "LSTM" if isinstance(one, LSTM) else "GRU" if isinstance(one, GRU) else "RNN"
    lstm = kind == "LSTM"
    H = one.cell.hidden_size
    attrs = dict(hidden_size=H, direction="bidirectional" if bidirectional else "forward")
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    i64 = lambda v: g.const(v, "i", np.int64)
    starts = [g.op("Unsqueeze", [s, i64([0])]) for s in states]                   # (1, B, H) each
    start_inputs = (starts + [""])[:2] if lstm else (starts + [""])[:1]          # initial_h (, initial_c)
    n_out = 3 if lstm else 2                                                      # Y, Y_h (, Y_c)
    if mask is None:
        outs = g.op(kind, [g.op("Transpose", [x], perm=[1, 0, 2]), W, R, B, "", *start_inputs], kind.lower(),
                    outputs=n_out, **attrs)
        Y = g.op("Transpose", [outs[0]], perm=[2, 0, 1, 3])                        # (B, T, dirs, H)
        ys = [g.op("Gather", [Y, i64(d)], axis=2) for d in range(len(directions))]            # (B, T, H) each
        finals = [[g.op("Gather", [o, i64(d)], axis=0) for o in outs[1:]] for d in range(len(directions))]
    else:
        zero = g.const(0.0, "zero")
        m = g.op("Cast", [mask], to=7)                                            # (B, T) int64
        lengths = g.op("ReduceSum", [m, i64([1])], keepdims=0)                    # (B,)
        first = g.op("ArgMax", [m], axis=1, keepdims=0)                           # (B,) 0 for an empty row
        shape = g.op("Shape", [x])
        T = g.op("Gather", [shape, i64(1)], axis=0)
        steps = g.op("Range", [i64(0), T, i64(1)])                                 # (T,)
        first_col = g.op("Unsqueeze", [first, i64([1])])                           # (B, 1)
        run = g.op("Max", [lengths, i64(1)])                                       # an empty row runs one step
        # the kept run moved to the front: step t reads step first + t (clipped)
        aligned = g.op("Min", [g.op("Add", [first_col, steps]), g.op("Sub", [T, i64(1)])])      # (B, T)
        index = g.op("Expand", [g.op("Unsqueeze", [aligned, i64([2])]), shape])
        xa = g.op("GatherElements", [x, index], axis=1)
        outs = g.op(kind, [g.op("Transpose", [xa], perm=[1, 0, 2]), W, R, B, g.op("Cast", [run], to=6),
                           *start_inputs], kind.lower(), outputs=n_out, **attrs)
        Ya = g.op("Transpose", [outs[0]], perm=[2, 0, 1, 3])                       # (B, T, dirs, H)
        # back in place: step t shows the run's step t - first, clipped to the run
        back = g.op("Min", [g.op("Max", [g.op("Sub", [steps, first_col]), i64(0)]),
                            g.op("Unsqueeze", [g.op("Sub", [run, i64(1)]), i64([1])])])  # (B, T)
        back_index = g.op("Expand", [g.op("Unsqueeze", [back, i64([2, 3])]), g.op("Shape", [Ya])])
        Y = g.op("GatherElements", [Ya, back_index], axis=1)
        reversed_m = g.op("Slice", [m, i64([-1]), i64([-(2 ** 62)]), i64([1]), i64([-1])])
        last = g.op("Sub", [g.op("Sub", [T, i64(1)]), g.op("ArgMax", [reversed_m], axis=1, keepdims=0)])  # (B,)
        last_col = g.op("Unsqueeze", [last, i64([1])])                             # (B, 1) the last kept step
        empty = g.op("Unsqueeze", [g.op("Equal", [lengths, i64(0)]), i64([1])])   # (B, 1)
        before = g.op("Or", [g.op("Less", [steps, first_col]), empty])            # forward: still h0 there
        after = g.op("Or", [g.op("Greater", [steps, last_col]), empty])           # backward: not started
        held = [s for s in states] or [zero] * (n_out - 1)                        # what an empty row keeps
        ys = []
        for d, outside in enumerate([before, after][:len(directions)]):
            y = g.op("Gather", [Y, i64(d)], axis=2)
            fill = g.op("Unsqueeze", [held[0], i64([1])]) if states else zero
            ys.append(g.op("Where", [g.op("Unsqueeze", [outside, i64([2])]), fill, y]))
        finals = [[g.op("Where", [empty, held[k], g.op("Gather", [o, i64(d)], axis=0)])
                   for k, o in enumerate(outs[1:])] for d in range(len(directions))]
        # a mask with a gap inside a sequence is beyond sequence_lens: that sequence's outputs become
        # NaN, so that the mistake shows instead of passing as a wrong number
        one_run = g.op("Or", [g.op("Unsqueeze", [g.op("Equal", [g.op("Sub", [last, first]),
                                                                 g.op("Sub", [lengths, i64(1)])]), i64([1])]), empty])
        nan = g.const(np.nan, "nan")
        ys = [g.op("Where", [g.op("Unsqueeze", [one_run, i64([2])]), y, nan]) for y in ys]
        finals = [[g.op("Where", [one_run, f, nan]) for f in fs] for fs in finals]
    parts = ys if layer.return_sequences else [fs[0] for fs in finals]
    if bidirectional:
        a, b = parts
        mode = layer.merge_mode
        out = (g.op("Concat", [a, b], axis=-1) if mode == "concat" else g.op("Add", [a, b]) if mode == "sum"
               else g.op("Mul", [a, b]) if mode == "mul" else g.op("Mul", [g.op("Add", [a, b]), g.const(0.5)]))
    else:
        out = parts[0]
    out_mask = mask if layer.return_sequences else None
    if not layer.return_state:
        return [out], [out_mask]
    state_outputs = [f for fs in finals for f in fs]                 # h (, c) of each direction in turn
    return [out, *state_outputs], [out_mask] + [None] * len(state_outputs)


def _export_node(g, node, xs, in_masks, opset):
    """The ONNX nodes of one call: returns (output names, output masks)."""
    from .layers import (Activation, AdditiveAttention, Attention, AttentionPooling, Bidirectional, Concatenate, Dense,
                         Dropout, Embedding, GlobalAveragePooling1D, Masking)
    from .layers.merge import Add, Average, Multiply, Subtract
    from .layers.recurrent import Recurrent
    layer = node.layer
    name = layer.name or type(layer).__name__
    x, mask = xs[0], in_masks[0]
    i64 = lambda v: g.const(v, "i", np.int64)
    if isinstance(layer, Embedding):
        m = g.op("Not", [g.op("Equal", [x, i64(0)])]) if layer.mask_zero else None
        return [g.op("Gather", [g.const(layer.embeddings, "embeddings"), x], axis=0)], [m]
    if isinstance(layer, Masking):
        kept = g.op("Cast", [g.op("Not", [g.op("Equal", [x, g.const(layer.mask_value)])])], to=7)
        return [x], [g.op("Greater", [g.op("ReduceSum", [kept, i64([-1])], keepdims=0), i64(0)])]
    if isinstance(layer, (Recurrent, Bidirectional)):
        return _recurrent(g, layer, x, mask, xs[node.n_main:])
    if isinstance(layer, Dense):
        if layer.kernel is None:
            raise ValueError(f"lstmx.onnx: {name} is not built yet: call the model on data first")
        y = g.op("Add", [g.op("MatMul", [x, g.const(layer.kernel, "kernel")]), g.const(layer.bias, "bias")])
        return [_activation(g, y, layer.activation)], [mask]
    if isinstance(layer, Activation):
        return [_activation(g, x, layer.activation)], [mask]
    if isinstance(layer, Dropout):
        return [x], [mask]
    if isinstance(layer, GlobalAveragePooling1D):
        axis = i64([1])
        if mask is None:
            y = g.op("ReduceMean", [x], axes=[1], keepdims=0) if opset < 18 else g.op("ReduceMean", [x, axis], keepdims=0)
        else:
            w = g.op("Unsqueeze", [g.op("Cast", [mask], to=g.elem), i64([2])])                   # (B, T, 1)
            y = g.op("Div", [g.op("ReduceSum", [g.op("Mul", [x, w]), axis], keepdims=0),
                             g.op("Max", [g.op("ReduceSum", [w, axis], keepdims=0), g.const(1.0)])])
        return [y], [None]
    if isinstance(layer, (Concatenate, Add, Subtract, Multiply, Average)):
        merged = _and_masks(g, in_masks)
        if isinstance(layer, Concatenate):
            return [g.op("Concat", xs, axis=layer.axis)], [merged]
        if isinstance(layer, Subtract):
            return [g.op("Sub", xs)], [merged]
        kind = "Sum" if isinstance(layer, (Add, Average)) else "Mul"
        y = g.op(kind, xs)
        if isinstance(layer, Average):
            y = g.op("Mul", [y, g.const(1.0 / len(xs))])
        return [y], [merged]
    if isinstance(layer, (Attention, AdditiveAttention)):
        return _attention(g, layer, node, xs, in_masks)
    if isinstance(layer, AttentionPooling):
        z = g.op("Tanh", [g.op("Add", [g.op("MatMul", [x, g.const(layer.W, "W")]), g.const(layer.b, "b")])])
        e = g.op("MatMul", [z, g.const(layer.u, "u")])                                           # (B, T)
        if mask is not None:
            e = g.op("Sub", [e, g.op("Mul", [g.op("Cast", [g.op("Not", [mask])], to=g.elem), g.const(1e9)])])
        a = g.op("Softmax", [e], axis=-1)
        return [g.op("ReduceSum", [g.op("Mul", [x, g.op("Unsqueeze", [a, i64([2])])]), i64([1])], keepdims=0)], [None]
    raise TypeError(f"lstmx.onnx: {name} ({type(layer).__name__}) cannot be exported (Embedding, Masking, LSTM, GRU, "
                    f"SimpleRNN, Bidirectional, Dense, Activation, Dropout, GlobalAveragePooling1D, the merges, "
                    f"Attention, AdditiveAttention, AttentionPooling)")


def _and_masks(g, masks):
    """A merge's mask, as :func:`lstmx.layers.merge.and_masks`: the AND of the masks that are not None."""
    masks = [m for m in masks if m is not None]
    if not masks:
        return None
    out = masks[0]
    for m in masks[1:]:
        out = g.op("And", [out, m])
    return out


def _activation(g, x, act):
    if act in (None, "linear"):
        return x
    return g.op({"sigmoid": "Sigmoid", "relu": "Relu", "tanh": "Tanh", "softmax": "Softmax"}[act], [x],
                **({"axis": -1} if act == "softmax" else {}))


def _attention(g, layer, node, xs, in_masks):
    """Attention / AdditiveAttention: scores, masked softmax, weighted sum, as the layers compute them."""
    from .layers import AdditiveAttention
    i64 = lambda v: g.const(v, "i", np.int64)
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) == 3 else v
    q_mask, v_mask = in_masks[0], in_masks[1]
    opts = node.options
    if isinstance(layer, AdditiveAttention):
        T = g.op("Tanh", [g.op("Add", [g.op("Unsqueeze", [q, i64([2])]), g.op("Unsqueeze", [k, i64([1])])])])
        S = (g.op("MatMul", [T, g.const(layer.scale, "scale")]) if layer.scale is not None
             else g.op("ReduceSum", [T, i64([-1])], keepdims=0))
    elif layer.score_mode == "dot":
        S = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])])                        # (B, Tq, Tv)
        if layer.scale is not None:
            S = g.op("Mul", [S, g.const(layer.scale, "scale")])
    else:
        U = g.op("Add", [g.op("Unsqueeze", [q, i64([2])]), g.op("Unsqueeze", [k, i64([1])])])   # (B, Tq, Tv, D)
        if layer.scale is not None:
            U = g.op("Mul", [U, g.const(layer.scale, "scale")])
        S = g.op("Mul", [g.op("ReduceSum", [g.op("Tanh", [U]), i64([-1])], keepdims=0),
                         g.const(layer.concat_score_weight, "concat_score_weight")])
    keep = None
    if v_mask is not None:
        keep = g.op("Unsqueeze", [v_mask, i64([1])])                                              # (B, 1, Tv)
    if opts.get("use_causal_mask"):
        Tq = g.op("Gather", [g.op("Shape", [q]), i64(1)], axis=0)
        Tv = g.op("Gather", [g.op("Shape", [v]), i64(1)], axis=0)
        rows = g.op("Unsqueeze", [g.op("Range", [i64(0), Tq, i64(1)]), i64([1])])
        cols = g.op("Unsqueeze", [g.op("Range", [i64(0), Tv, i64(1)]), i64([0])])
        causal = g.op("Unsqueeze", [g.op("Not", [g.op("Greater", [cols, rows])]), i64([0])])   # (1, Tq, Tv)
        keep = causal if keep is None else g.op("And", [keep, causal])
    if keep is not None:
        S = g.op("Sub", [S, g.op("Mul", [g.op("Cast", [g.op("Not", [keep])], to=g.elem), g.const(1e9)])])
    A = g.op("Softmax", [S], axis=-1)
    O = g.op("MatMul", [A, v])
    if q_mask is not None:
        O = g.op("Mul", [O, g.op("Unsqueeze", [g.op("Cast", [q_mask], to=g.elem), i64([2])])])
    if opts.get("return_attention_scores"):
        return [O, A], [q_mask, None]
    return [O], [q_mask]


def export(model, path, opset=17, dtype=None):
    """Write ``model`` as an ONNX file that ONNX Runtime runs to ``model.predict``'s numbers.

    Parameters
    ----------
    model : a built ``Sequential`` or ``Model`` (several inputs and outputs, shared layers, merges) of
        Embedding, Masking, LSTM, GRU, SimpleRNN, Bidirectional, Dense, Activation, Dropout (left out:
        it is the identity when predicting), GlobalAveragePooling1D, Concatenate, Add, Subtract,
        Multiply, Average, Attention, AdditiveAttention and AttentionPooling; recurrent layers with
        ``initial_state`` and ``return_state`` (an encoder-decoder), but no initial states for both
        directions of a Bidirectional
    path : where to write the ``.onnx`` file
    opset : int, the ONNX operator set (at least 13)
    dtype : None (the model's), "float32" or "float64": the graph's float type. ONNX Runtime's CPU
        LSTM and GRU run float32 only ("does not support double yet" for a float64 graph): export a
        float64 model with ``dtype="float32"`` to run it there (its weights rounded to float32)

    The graph's input is ``input`` (with several, the Inputs' names): int64 token ids for an integer
    Input, else floats in the model's dtype; its output ``output`` (with several, ``output_0``, ...).
    The file is checked with ``onnx.checker`` before it is returned.

    Returns
    -------
    the ``onnx.ModelProto`` written

    Raises
    ------
    ValueError : for an opset below 13, an unbuilt model, initial states of a Bidirectional
    TypeError : for a layer that cannot be exported, naming it
    """
    onnx = _onnx()
    from .layers.symbolic import InputLayer
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f"lstmx.onnx.export needs opset >= {MIN_OPSET} (ReduceSum with axes as an input), "
                         f"got {opset!r}")
    graph = getattr(model, "graph", None)
    if graph is None:
        raise ValueError("lstmx.onnx.export: the model is not built yet: build it (an lstmx.Input first, "
                         "model.build(input_shape), or fit it)")
    layers = [n.layer for n in graph.nodes]
    if dtype is None:
        dtype = next((l.dtype for l in layers if getattr(l, "dtype", None) is not None), np.dtype(np.float32))
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"lstmx.onnx.export: dtype must be float32 or float64, got {dtype!r}")
    g = _Graph(onnx, dtype)
    # the graph's inputs: "input" for one, else the Inputs' names
    single_input = len(graph.inputs) == 1
    in_names = ["input"] if single_input else [t.node.layer.name for t in graph.inputs]
    values = {id(t): name for t, name in zip(graph.inputs, in_names)}        # tensor -> ONNX name
    masks = {id(t): None for t in graph.inputs}                              # tensor -> ONNX bool mask
    for node in graph.nodes:
        xs = [values[id(t)] for t in node.inputs]
        in_masks = [masks[id(t)] for t in node.inputs]
        outs, out_masks = _export_node(g, node, xs, in_masks, opset)
        for t, v, m in zip(node.outputs, outs, out_masks):
            values[id(t)], masks[id(t)] = v, m
    out_names = ["output"] if len(graph.outputs) == 1 else [f"output_{k}" for k in range(len(graph.outputs))]
    for t, name in zip(graph.outputs, out_names):
        g.nodes.append(onnx.helper.make_node("Identity", [values[id(t)]], [name]))
    inputs = []
    for t, name in zip(graph.inputs, in_names):
        ids = t.dtype.kind in "iu"
        shape = ["batch"] + [None if d is None else int(d) for d in t.shape[1:]]
        inputs.append(onnx.helper.make_tensor_value_info(name, 7 if ids else g.elem, shape))
    outputs = [onnx.helper.make_tensor_value_info(name, g.elem, ["batch"] + [None] * (len(t.shape) - 1))
               for t, name in zip(graph.outputs, out_names)]
    proto = onnx.helper.make_model(onnx.helper.make_graph(g.nodes, "lstmx", inputs, outputs, g.inits),
                                   opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="lstmx")
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return proto
