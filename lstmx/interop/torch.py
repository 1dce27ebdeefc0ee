"""lstmx and PyTorch: the same recurrences, stored two ways.

For layer ``k`` of ``torch.nn.LSTM`` (and ``_reverse`` for the backward direction):

===========================  ===============  ===============================================
PyTorch                      shape            lstmx
===========================  ===============  ===============================================
``weight_ih_l{k}``           (4H, I)          ``cell.W``: the same gates in the same order,
                                              i, f, g, o (GRU: r, z, n)
``weight_hh_l{k}``           (4H, H)          ``cell.U``
``bias_ih_l{k}`` +           (4H,) each       ``cell.b``: PyTorch keeps two vectors that are
``bias_hh_l{k}``                              only ever added, lstmx their sum
===========================  ===============  ===============================================

The GRU's candidate is the exception: ``n = tanh(W_n x + b_in + r * (U_n h + b_hn))``. ``b_hn`` sits
inside the reset gate's product, so it cannot be folded into ``b``: lstmx keeps it as ``cell.b_hn``
(H,), and PyTorch's ``bias_hh`` contributes its first 2H to ``b`` and its last H to ``b_hn``. Going
to PyTorch, ``bias_ih`` is ``b`` and ``bias_hh`` is ``[0, 0, b_hn]``: the same function, so a round
trip lstmx -> PyTorch -> lstmx gives back the same arrays bit for bit, while PyTorch -> lstmx ->
PyTorch gives back the sums (``b_ih + b_hh`` in ``bias_ih``), not the two vectors.

lstmx is batch-first, ``(batch, time, features)``; a module made with ``batch_first=False`` computes
the same function on ``x.transpose(1, 0, 2)``.

Masks: PyTorch's layers have none; :func:`to_torch` of a model whose Embedding has
``mask_zero=True`` (or that starts with ``Masking``) returns a module that computes the mask from
its input as lstmx does and runs each recurrent layer on packed sequences
(``pack_padded_sequence``), pre- or post-padded, each sequence's kept steps one contiguous run.
"""
import functools

import numpy as np

_KINDS = ("LSTM", "GRU", "RNN")


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("lstmx.interop.torch needs PyTorch: pip install torch (or lstmx[torch])") from None
    return torch


def _lstmx_class(kind):
    from ..layers.recurrent import GRU, LSTM, SimpleRNN
    return {"LSTM": LSTM, "GRU": GRU, "RNN": SimpleRNN}[kind]


def _kind_of_module(module):
    torch = _torch()
    for kind in _KINDS:
        if type(module) is getattr(torch.nn, kind):
            return kind
    raise TypeError(f"from_torch converts torch.nn.LSTM, GRU and RNN, got {type(module).__name__}: "
                    f"lstmx has no layer for it")


def _kind_of_layer(layer):
    from ..layers.recurrent import GRU, LSTM, SimpleRNN
    for kind, cls in (("LSTM", LSTM), ("GRU", GRU), ("RNN", SimpleRNN)):
        if type(layer) is cls:
            return kind
    raise TypeError(f"{type(layer).__name__} has no PyTorch recurrent counterpart (LSTM, GRU, SimpleRNN)")


# ---- one direction of one layer: PyTorch's four arrays <-> lstmx's cell ----
def _cell_from_torch(cell, kind, w_ih, w_hh, b_ih, b_hh):
    """Fill an lstmx cell from one direction's PyTorch arrays (NumPy, (G*H, I), (G*H, H), (G*H,) or None)."""
    H = cell.hidden_size
    cell.W[...] = w_ih                                      # (G*H, I)
    cell.U[...] = w_hh                                      # (G*H, H)
    b = np.zeros(cell.b.shape, cell.b.dtype) if b_ih is None else b_ih.astype(cell.b.dtype)
    if b_hh is not None:
        if kind == "GRU":
            b[:2 * H] += b_hh[:2 * H]                       # r and z: the two biases only ever add
            cell.b_hn[...] = b_hh[2 * H:]                   # n: inside r * (U_n h + b_hn)
        else:
            b += b_hh
    elif kind == "GRU":
        cell.b_hn[...] = 0
    cell.b[...] = b


def _cell_to_torch(cell, kind):
    """One direction's PyTorch arrays (w_ih, w_hh, b_ih, b_hh) from an lstmx cell."""
    b_hh = np.zeros_like(cell.b)
    if kind == "GRU":
        b_hh[2 * cell.hidden_size:] = cell.b_hn
    return cell.W, cell.U, cell.b, b_hh


def _module_arrays(module, k, suffix):
    """Layer k's arrays of one direction as NumPy (biases None when the module has none)."""
    get = lambda name: getattr(module, f"{name}_l{k}{suffix}", None)
    as_np = lambda t: None if t is None else t.detach().cpu().numpy()
    return [as_np(get(n)) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def from_torch(module):
    """An lstmx layer (or a ``Sequential`` of them) computing what ``module`` computes.

    Parameters
    ----------
    module : torch.nn.LSTM, torch.nn.GRU or torch.nn.RNN (tanh), any ``num_layers``, ``bidirectional``,
        ``bias``, ``batch_first`` (lstmx is batch-first: feed it ``x`` as ``(batch, time, features)``)

    Returns
    -------
    One layer (``LSTM``/``GRU``/``SimpleRNN`` with ``return_sequences=True``, wrapped in
    ``Bidirectional`` when the module is bidirectional) for ``num_layers=1``; else a ``Sequential``
    of one such layer per PyTorch layer, with ``Dropout`` between them where the module has
    ``dropout``. Its output is PyTorch's ``output`` (the first element the module returns), in the
    module's dtype (float32 or float64).

    Raises
    ------
    TypeError : for another module type
    ValueError : for ``proj_size > 0``, ``nonlinearity='relu'``, or a dtype lstmx does not run in
    """
    from ..layers import Bidirectional, Dropout
    from ..layers.symbolic import Input
    from ..models import Sequential
    kind = _kind_of_module(module)
    if getattr(module, "proj_size", 0):
        raise ValueError(f"from_torch: {type(module).__name__}(proj_size={module.proj_size}) projects h to a "
                         f"smaller size; lstmx's LSTM has no projection")
    if kind == "RNN" and module.nonlinearity != "tanh":
        raise ValueError(f"from_torch: RNN(nonlinearity={module.nonlinearity!r}): lstmx's SimpleRNN is tanh")
    dtype = next(module.parameters()).dtype
    np_dtype = {"torch.float32": np.float32, "torch.float64": np.float64}.get(str(dtype))
    if np_dtype is None:
        raise ValueError(f"from_torch: the module's parameters are {dtype}; lstmx runs in float32 or float64 "
                         f"(module.float() or module.double() first)")
    H, dirs = module.hidden_size, 2 if module.bidirectional else 1
    layers = []
    for k in range(module.num_layers):
        I = module.input_size if k == 0 else H * dirs
        layer = _lstmx_class(kind)(H, return_sequences=True, dtype=np_dtype)
        directions = [(layer, "")]
        if dirs == 2:
            layer = Bidirectional(layer)
            directions = [(layer.forward_layer, ""), (layer.backward_layer, "_reverse")]
        for one, suffix in directions:
            one.build((None, None, I))
            _cell_from_torch(one.cell, kind, *_module_arrays(module, k, suffix))
        if k and module.dropout:
            layers.append(Dropout(module.dropout))
        layers.append(layer)
    if len(layers) == 1:
        return layers[0]
    return Sequential([Input((None, module.input_size), dtype=np_dtype), *layers])


def _recurrent_module(layer, bidirectional_of=None):
    """A torch.nn.LSTM / GRU / RNN (batch_first) holding ``layer``'s weights (and its backward twin's)."""
    torch = _torch()
    one = layer if bidirectional_of is None else bidirectional_of.forward_layer
    kind = _kind_of_layer(one)
    if one.cell is None:
        raise ValueError(f"{one.name or type(one).__name__} is not built yet: call it on data first")
    I, H = one.cell.input_size, one.cell.hidden_size
    dtype = torch.float64 if one.dtype == np.float64 else torch.float32
    module = getattr(torch.nn, kind)(I, H, batch_first=True, bidirectional=bidirectional_of is not None,
                                     dtype=dtype)
    directions = [(one, "")]
    if bidirectional_of is not None:
        directions.append((bidirectional_of.backward_layer, "_reverse"))
    with torch.no_grad():
        for cell_layer, suffix in directions:
            for name, array in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                                   _cell_to_torch(cell_layer.cell, kind)):
                getattr(module, f"{name}_l0{suffix}").copy_(torch.from_numpy(np.asarray(array)))
    return module


def to_torch(obj):
    """A ``torch.nn.Module`` computing what an lstmx layer or model computes.

    Parameters
    ----------
    obj : a built ``LSTM``, ``GRU`` or ``SimpleRNN`` layer (returns ``torch.nn.LSTM``/``GRU``/``RNN``,
        ``batch_first=True``, whose ``output`` is the layer's ``return_sequences=True`` output), a
        ``Bidirectional`` of one with ``merge_mode='concat'`` (a bidirectional module), or a built
        ``Sequential`` of Embedding, Masking, LSTM / GRU / SimpleRNN, Bidirectional, Dense, Dropout
        and GlobalAveragePooling1D (returns a module whose ``forward(x)`` gives ``model.predict(x)``,
        masks included).

    Raises
    ------
    TypeError : for a layer with no PyTorch counterpart, naming it
    ValueError : for an unbuilt layer, a ``go_backwards`` layer outside ``Bidirectional``, or a
        ``Bidirectional`` whose outputs PyTorch's module does not give (``merge_mode`` other than
        'concat' for a single layer, ``None`` or ``return_state`` in a model)
    """
    from ..layers import Bidirectional
    from ..layers.recurrent import Recurrent
    from ..models import Model
    if isinstance(obj, Model):
        return TorchSequential(obj)
    if isinstance(obj, Bidirectional):
        if obj.merge_mode != "concat":
            raise ValueError(f"to_torch: PyTorch's bidirectional module concatenates its two directions; "
                             f"{obj.name or 'this Bidirectional'} has merge_mode={obj.merge_mode!r} "
                             f"(convert it inside a Sequential, which merges as lstmx does)")
        return _recurrent_module(None, obj)
    if isinstance(obj, Recurrent):
        if obj.go_backwards:
            raise ValueError(f"to_torch: {obj.name or type(obj).__name__} has go_backwards=True, which PyTorch's "
                             f"modules do not have: wrap the layer in Bidirectional, or reverse the input")
        return _recurrent_module(obj)
    raise TypeError(f"to_torch converts lstmx recurrent layers and Sequential models, got {type(obj).__name__}")


def _run_masked(rnn, x, mask, bidirectional):
    """``rnn`` (batch_first) over the kept steps of each sequence, with lstmx's outputs at the others.

    x is (B, T, F), mask (B, T) bool whose True steps form one run a row. Returns (Y, finals): Y
    (B, T, dirs*H) as lstmx gives it (forward: zeros before the run, its last output after it;
    backward: its last output, at the run's first step, before the run, zeros after), and the final
    outputs of each direction (B, H).
    """
    torch = _torch()
    B, T, _ = x.shape
    lengths = mask.sum(dim=1)
    first = torch.where(lengths > 0, mask.int().argmax(dim=1), torch.zeros_like(lengths))
    last = T - 1 - mask.flip(1).int().argmax(dim=1)
    if bool((lengths > 0).any()) and not torch.equal((last - first + 1)[lengths > 0], lengths[lengths > 0]):
        raise ValueError("to_torch's module runs PyTorch's packed sequences: each sequence's kept steps must "
                         "be one run (pre- or post-padding), but a mask has gaps inside a sequence")
    steps = torch.arange(T, device=x.device)
    run = lengths.clamp(min=1)                           # (an empty sequence: run one step, zeroed below)
    aligned = (first[:, None] + steps[None]).clamp(max=T - 1)           # (B, T): the run moved to the front
    xa = x.gather(1, aligned[:, :, None].expand(-1, -1, x.shape[2]))
    packed = torch.nn.utils.rnn.pack_padded_sequence(xa, run.cpu(), batch_first=True, enforce_sorted=False)
    ya, _ = torch.nn.utils.rnn.pad_packed_sequence(rnn(packed)[0], batch_first=True, total_length=T)
    H = rnn.hidden_size
    back = (steps[None] - first[:, None]).clamp(min=0)
    back = torch.minimum(back, (run - 1)[:, None])                      # (B, T): each step's place in the run
    y = ya.gather(1, back[:, :, None].expand(-1, -1, ya.shape[2]))
    before = steps[None] < first[:, None]
    after = steps[None] > last[:, None]
    empty = (lengths == 0)[:, None]
    rows = torch.arange(B, device=x.device)
    finals = [ya[rows, run - 1, :H]]
    y_fwd = y[..., :H].masked_fill((before | empty)[..., None], 0.0)
    if not bidirectional:
        return y_fwd, [finals[0].masked_fill(empty, 0.0)]
    y_bwd = y[..., H:].masked_fill((after | empty)[..., None], 0.0)
    finals.append(ya[:, 0, H:])
    return torch.cat([y_fwd, y_bwd], dim=-1), [f.masked_fill(empty, 0.0) for f in finals]


def _merge(a, b, mode):
    torch = _torch()
    if mode == "concat":
        return torch.cat([a, b], dim=-1)
    if mode == "sum":
        return a + b
    if mode == "mul":
        return a * b
    return (a + b) / 2                                   # "ave"


@functools.lru_cache(maxsize=None)     # one class, made the first time PyTorch is needed
def _torch_module_class():
    torch = _torch()

    class LstmxSequential(torch.nn.Module):
        """A Sequential of lstmx, as a torch.nn.Module: ``forward(x)`` gives ``model.predict(x)``."""

        def __init__(self, model):
            super().__init__()
            from ..layers import Bidirectional, Dense, Dropout, Embedding, GlobalAveragePooling1D, Masking
            from ..layers.recurrent import Recurrent
            if getattr(model, "graph", None) is None:
                raise ValueError("to_torch: the model is not built yet: build it (an lstmx.Input first, "
                                 "model.build(input_shape), or fit it)")
            chain = [node.layer for node in model.graph.nodes]
            if len(model.graph.inputs) != 1 or len(model.graph.outputs) != 1 or any(
                    len(node.inputs) != 1 for node in model.graph.nodes) or any(
                    a is not b.inputs[0].node for a, b in zip(model.graph.nodes, model.graph.nodes[1:])):
                raise ValueError("to_torch converts models whose graph is a chain (a Sequential); this one "
                                 "branches or merges")
            self.steps, modules = [], []
            for layer in chain:
                name = layer.name or type(layer).__name__
                if isinstance(layer, Embedding):
                    m = torch.nn.Embedding(layer.input_dim, layer.output_dim,
                                           dtype=torch.float64 if layer.dtype == np.float64 else torch.float32)
                    with torch.no_grad():
                        m.weight.copy_(torch.from_numpy(layer.embeddings))
                    self.steps.append(("embedding", dict(mask_zero=layer.mask_zero)))
                elif isinstance(layer, Masking):
                    m = None
                    self.steps.append(("masking", dict(value=layer.mask_value)))
                elif isinstance(layer, Bidirectional):
                    if layer.merge_mode is None or layer.return_state:
                        raise ValueError(f"to_torch: {name} returns several outputs (merge_mode=None or "
                                         f"return_state), which a Sequential does not pass on")
                    m = _recurrent_module(None, layer)
                    self.steps.append(("recurrent", dict(bidirectional=True, merge=layer.merge_mode,
                                                         sequences=layer.return_sequences,
                                                         lstm=isinstance(m, torch.nn.LSTM))))
                elif isinstance(layer, Recurrent):
                    if layer.go_backwards or layer.return_state:
                        raise ValueError(f"to_torch: {name} has go_backwards or return_state, which PyTorch's "
                                         f"modules do not have in a chain")
                    m = _recurrent_module(layer)
                    self.steps.append(("recurrent", dict(bidirectional=False, sequences=layer.return_sequences,
                                                         lstm=isinstance(m, torch.nn.LSTM))))
                elif isinstance(layer, Dense):
                    m = torch.nn.Linear(layer.kernel.shape[0], layer.units,
                                        dtype=torch.float64 if layer.dtype == np.float64 else torch.float32)
                    with torch.no_grad():
                        m.weight.copy_(torch.from_numpy(layer.kernel.T.copy()))    # Keras's (I, units)
                        m.bias.copy_(torch.from_numpy(layer.bias))
                    self.steps.append(("dense", dict(activation=layer.activation)))
                elif isinstance(layer, Dropout):
                    m = torch.nn.Dropout(layer.rate)
                    self.steps.append(("dropout", {}))
                elif isinstance(layer, GlobalAveragePooling1D):
                    m = None
                    self.steps.append(("average", {}))
                else:
                    raise TypeError(f"to_torch: {name} ({type(layer).__name__}) has no PyTorch counterpart here "
                                    f"(Embedding, Masking, LSTM, GRU, SimpleRNN, Bidirectional, Dense, Dropout, "
                                    f"GlobalAveragePooling1D)")
                modules.append(m if m is not None else torch.nn.Identity())
            self.layers = torch.nn.ModuleList(modules)

        def forward(self, x):
            """x: token ids (B, T) for a model that starts with an Embedding, else (B, T, F) floats."""
            mask = None
            for (kind, opt), m in zip(self.steps, self.layers):
                if kind == "embedding":
                    mask = (x != 0) if opt["mask_zero"] else None
                    x = m(x)
                elif kind == "masking":
                    mask = (x != opt["value"]).any(dim=-1)
                elif kind == "recurrent":
                    if mask is None:
                        y, hn = m(x)
                        hn = hn[0] if opt["lstm"] else hn                       # (dirs, B, H)
                        finals = list(hn)
                        H = m.hidden_size
                        ys = [y[..., :H], y[..., H:]] if opt["bidirectional"] else [y]
                    else:
                        y, finals = _run_masked(m, x, mask, opt["bidirectional"])
                        H = m.hidden_size
                        ys = [y[..., :H], y[..., H:]] if opt["bidirectional"] else [y]
                    parts = ys if opt["sequences"] else finals
                    x = _merge(parts[0], parts[1], opt["merge"]) if opt["bidirectional"] else parts[0]
                    if not opt["sequences"]:
                        mask = None
                elif kind == "dense":
                    x = m(x)
                    act = opt["activation"]
                    if act == "sigmoid":
                        x = torch.sigmoid(x)
                    elif act == "softmax":
                        x = torch.softmax(x, dim=-1)
                    elif act == "relu":
                        x = torch.relu(x)
                    elif act == "tanh":
                        x = torch.tanh(x)
                elif kind == "dropout":
                    x = m(x)
                elif kind == "average":
                    if mask is None:
                        x = x.mean(dim=1)
                    else:
                        w = mask.to(x.dtype)[..., None]
                        x = (x * w).sum(dim=1) / w.sum(dim=1).clamp(min=1)
                    mask = None
            return x

    return LstmxSequential


def TorchSequential(model):
    """The module :func:`to_torch` returns for a Sequential (the class is made when PyTorch is imported)."""
    return _torch_module_class()(model)
