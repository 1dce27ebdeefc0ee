"""lstmx and Keras 3: the same layers, their weights in Keras's layout.

Keras keeps a recurrent cell's matrices the other way round, ``kernel`` ``(I, G*H)`` and
``recurrent_kernel`` ``(H, G*H)``: lstmx's ``W`` and ``U`` transposed. The LSTM's gates come in the
same order (Keras's i, f, c, o are lstmx's i, f, g, o) and its one ``bias`` is lstmx's ``b``. Keras's
GRU (``reset_after=True``, its default) orders its gates z, r, h where lstmx (as PyTorch) has r, z, n,
and keeps its bias as ``(2, 3H)``: the input bias, then the recurrent one. The recurrent bias of z and
r only ever adds to the input bias; that of h sits inside ``r * (U_h h + b_h)``, lstmx's ``b_hn``.
Embedding and Dense matrices are laid out alike.

``to_keras_weights(model)`` lists a model's arrays in the order of Keras's ``model.get_weights()``
(each layer's weights in turn, a Bidirectional's forward layer before its backward one), so that
``keras_model.set_weights(to_keras_weights(model))`` moves them; ``from_keras_weights`` the reverse.
"""
import numpy as np

from ..layers import Bidirectional, Dense, Embedding, TimeDistributed
from ..layers.recurrent import GRU, LSTM, SimpleRNN

_GRU_TO_KERAS = (1, 0, 2)       # Keras's z, r, h taken from lstmx's r, z, n blocks


def _gru_blocks(a, H, order, axis):
    """``a``'s three H-blocks along ``axis`` in ``order``."""
    blocks = [np.take(a, np.arange(k * H, (k + 1) * H), axis=axis) for k in order]
    return np.concatenate(blocks, axis=axis)


def _recurrent_to_keras(layer):
    c = layer.cell
    if isinstance(layer, GRU):
        H = c.hidden_size
        b_rec = np.zeros_like(c.b)
        b_rec[2 * H:] = c.b_hn
        return [_gru_blocks(c.W.T, H, _GRU_TO_KERAS, 1), _gru_blocks(c.U.T, H, _GRU_TO_KERAS, 1),
                np.stack([_gru_blocks(c.b, H, _GRU_TO_KERAS, 0), _gru_blocks(b_rec, H, _GRU_TO_KERAS, 0)])]
    return [c.W.T.copy(), c.U.T.copy(), c.b.copy()]


def _recurrent_from_keras(layer, arrays, where):
    c = layer.cell
    G = len(type(c).gates)
    H, I = c.hidden_size, c.input_size
    kernel, recurrent, bias = arrays
    want = [(I, G * H), (H, G * H), (2, G * H) if isinstance(layer, GRU) else (G * H,)]
    for name, a, shape in zip(("kernel", "recurrent_kernel", "bias"), arrays, want):
        if np.shape(a) != shape:
            raise ValueError(f"{where}: Keras's {name} of a {type(layer).__name__}({H}) on {I} features must be "
                             f"{shape}, got {np.shape(a)}")
    if isinstance(layer, GRU):
        back = (1, 0, 2)                                   # the same swap undoes itself
        c.W[...] = _gru_blocks(np.asarray(kernel), H, back, 1).T
        c.U[...] = _gru_blocks(np.asarray(recurrent), H, back, 1).T
        b_in, b_rec = (_gru_blocks(np.asarray(b), H, back, 0) for b in bias)
        c.b[...] = b_in + np.concatenate([b_rec[:2 * H], np.zeros(H)])
        c.b_hn[...] = b_rec[2 * H:]
    else:
        c.W[...] = np.asarray(kernel).T
        c.U[...] = np.asarray(recurrent).T
        c.b[...] = bias


def _layer_arrays(layer):
    """(count, to_keras, from_keras) of one lstmx layer, in Keras's layout."""
    if isinstance(layer, (LSTM, GRU, SimpleRNN)):
        return 3, lambda: _recurrent_to_keras(layer), lambda a, w: _recurrent_from_keras(layer, a, w)
    if isinstance(layer, Bidirectional):
        def to():
            return _recurrent_to_keras(layer.forward_layer) + _recurrent_to_keras(layer.backward_layer)

        def back(a, where):
            _recurrent_from_keras(layer.forward_layer, a[:3], where + " (forward)")
            _recurrent_from_keras(layer.backward_layer, a[3:], where + " (backward)")
        return 6, to, back
    if isinstance(layer, TimeDistributed):
        return _layer_arrays(layer.layer)
    if isinstance(layer, (Embedding, Dense)):
        def to():
            return [p.copy() for p in layer.params.values()]

        def back(a, where):
            for (name, p), w in zip(layer.params.items(), a):
                if np.shape(w) != p.shape:
                    raise ValueError(f"{where}: {name} must be {p.shape}, got {np.shape(w)}")
                p[...] = w
        return len(layer.params), to, back
    if layer.params:
        raise TypeError(f"{layer.name or type(layer).__name__} ({type(layer).__name__}) has weights lstmx cannot "
                        f"lay out for Keras")
    return 0, list, lambda a, w: None


def _layers(obj):
    from ..models import Model
    if isinstance(obj, Model):
        if getattr(obj, "graph", None) is None:
            raise ValueError("the model is not built yet, so its layers have no weights: build it first")
        return list(obj.layers)
    return [obj]


def _check_built(layer):
    inner = layer.layer if isinstance(layer, TimeDistributed) else layer
    inner = inner.forward_layer if isinstance(inner, Bidirectional) else inner
    if isinstance(inner, (LSTM, GRU, SimpleRNN)) and inner.cell is None or \
            isinstance(inner, Dense) and inner.kernel is None:
        raise ValueError(f"{layer.name or type(layer).__name__} is not built yet: call it on data first")


def to_keras_weights(obj):
    """The weights of an lstmx layer or model as Keras 3's ``get_weights()`` lists them.

    Parameters
    ----------
    obj : a built layer, or a built ``Model`` / ``Sequential``

    Returns
    -------
    list of arrays: for a model, its layers' in turn (layers without weights add none)
    """
    out = []
    for layer in _layers(obj):
        _check_built(layer)
        out += _layer_arrays(layer)[1]()
    return out


def from_keras_weights(obj, weights):
    """Set an lstmx layer's or model's weights from Keras 3's ``get_weights()`` list, in place.

    Parameters
    ----------
    obj : a built layer, or a built ``Model`` / ``Sequential`` with the Keras model's layers
    weights : list of arrays, as ``keras_model.get_weights()`` (or ``layer.get_weights()``) gives them

    Raises
    ------
    ValueError : naming the layer, when the list is too short or too long or an array's shape differs
    """
    weights = list(weights)
    at = 0
    for layer in _layers(obj):
        _check_built(layer)
        count, _, back = _layer_arrays(layer)
        where = f"{layer.name or type(layer).__name__} ({type(layer).__name__})"
        if at + count > len(weights):
            raise ValueError(f"{where} takes {count} arrays, but the list has {len(weights) - at} left "
                             f"({len(weights)} in all)")
        back(weights[at:at + count], where)
        at += count
    if at != len(weights):
        raise ValueError(f"the list has {len(weights)} arrays; the layers take {at}")
