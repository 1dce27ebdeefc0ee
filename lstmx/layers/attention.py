"""Attention over the steps of a sequence, as Keras's ``Attention`` and ``AdditiveAttention`` compute it,
and ``AttentionPooling``, which reads a whole sequence into one vector for classification.

Every attention here is three matrix steps. For queries ``q`` (B, Tq, D) and keys ``k`` (B, Tv, D):

1. scores ``S`` (B, Tq, Tv): how well each query step matches each key step;
2. weights ``A = softmax(S)`` over the key steps (a masked key step's score is lowered by 1e9
   first, so its weight is 0);
3. the output ``O = A v`` (B, Tq, D): for each query step, the weighted mean of the value steps.

The scores are where the kinds differ: Luong's dot product ``S = q k^T`` (``Attention``), the same
through ``sum_d tanh(q + k)`` (``score_mode="concat"``), or Bahdanau's ``S = sum_d scale_d
tanh(q_i + k_j)_d`` (``AdditiveAttention``; Bahdanau's ``v^T tanh(W_q q + W_k k)`` with ``v`` the
scale, and ``W_q q``, ``W_k k`` left to Dense layers before it, as in Keras).
"""
import numpy as np

from .base import Layer


def _softmax(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_backward(dA, A):
    """d loss / d S from d loss / d A, for A = softmax(S) over the last axis."""
    return A * (dA - np.sum(dA * A, axis=-1, keepdims=True))


class _BaseAttention(Layer):
    """What Attention and AdditiveAttention share: the inputs, the masks, the softmax and the weighted sum.
    A subclass writes the scores: ``_scores(q, k) -> (S, cache)`` and ``_scores_backward(dS, cache) ->
    (dq, dk)`` (filling ``self.grads``)."""

    call_options = ("return_attention_scores", "use_causal_mask")

    def __init__(self, dropout=0.0, seed=None, dtype=np.float32, name=None):
        super().__init__(name)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.dropout, self.seed = float(dropout), seed
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)

    def _inputs(self, inputs):
        what = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"{what} takes a list [query, value] or [query, value, key], got "
                             f"{'a list of ' + str(len(inputs)) if isinstance(inputs, (list, tuple)) else type(inputs).__name__}")
        return list(inputs) if len(inputs) == 3 else [inputs[0], inputs[1], inputs[1]]

    def _check_shapes(self, qs, vs, ks):
        what = type(self).__name__
        for name, s in (("query", qs), ("value", vs), ("key", ks)):
            if len(s) != 3:
                raise ValueError(f"{what}'s {name} must be (batch, time, features), got shape {tuple(s)}")
        if qs[-1] is not None and ks[-1] is not None and qs[-1] != ks[-1]:
            raise ValueError(f"{what} compares each query with each key feature by feature: the query has "
                             f"{qs[-1]} features, the key {ks[-1]}")
        if vs[1] is not None and ks[1] is not None and vs[1] != ks[1]:
            raise ValueError(f"{what}: the value has {vs[1]} steps and the key {ks[1]}: a key for every value step")
        sizes = {s[0] for s in (qs, vs, ks) if s[0] is not None}
        if len(sizes) > 1:
            raise ValueError(f"{what}: query, value and key have batch sizes {qs[0]}, {vs[0]}, {ks[0]}")

    def build(self, input_shape):
        q, v, k = self._inputs(input_shape)
        self._check_shapes(tuple(q), tuple(v), tuple(k))
        self.built = True

    def compute_output_shape(self, input_shape, return_attention_scores=False, use_causal_mask=False):
        q, v, k = (tuple(s) for s in self._inputs(input_shape))
        self._check_shapes(q, v, k)
        out = (q[0], q[1], v[2])
        return [out, (q[0], q[1], v[1])] if return_attention_scores else out

    def compute_mask(self, inputs, mask=None, return_attention_scores=False, use_causal_mask=False):
        q_mask = None if mask is None else mask[0]          # the output keeps the query's steps
        return [q_mask, None] if return_attention_scores else q_mask

    def output_dtype(self, input_dtype):
        return self.dtype

    def forward(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        q, v, k = (np.asarray(a, self.dtype) for a in self._inputs(inputs))   # (B, Tq, D), (B, Tv, Dv), (B, Tv, D)
        self._check_shapes(q.shape, v.shape, k.shape)
        if not self.built:
            self.build([q.shape, v.shape, k.shape])
        B, Tq, Tv = q.shape[0], q.shape[1], v.shape[1]
        q_mask, v_mask = (None, None) if mask is None else (list(mask) + [None, None])[:2]
        keep = np.ones((B, Tq, Tv), bool)                                   # which scores count
        if v_mask is not None:
            v_mask = np.asarray(v_mask, bool)
            if v_mask.shape != (B, Tv):
                raise ValueError(f"{type(self).__name__}: the value's mask must be (batch, Tv) = {(B, Tv)}, "
                                 f"got {v_mask.shape}")
            keep &= v_mask[:, None, :]
        if use_causal_mask:                                                 # query step i sees key steps <= i
            keep &= np.tril(np.ones((Tq, Tv), bool))[None]
        S, score_cache = self._scores(q, k)                                 # (B, Tq, Tv)
        A = _softmax(S - (1e9 * ~keep).astype(S.dtype))                    # (B, Tq, Tv) weights, in S's dtype as Keras
        drop = None
        if training and self.dropout:
            drop = (self.rng.random(A.shape) >= self.dropout) / (1 - self.dropout)
            A_used = A * drop
        else:
            A_used = A
        O = A_used @ v                                                      # (B, Tq, Dv)
        if q_mask is not None:
            q_mask = np.asarray(q_mask, bool)
            if q_mask.shape != (B, Tq):
                raise ValueError(f"{type(self).__name__}: the query's mask must be (batch, Tq) = {(B, Tq)}, "
                                 f"got {q_mask.shape}")
            O = O * q_mask[:, :, None]
        cache = dict(v=v, A=A, A_used=A_used, drop=drop, q_mask=q_mask, score_cache=score_cache,
                     scores=return_attention_scores, three=len(inputs) == 3)
        return ([O, A_used] if return_attention_scores else O), cache

    def backward(self, dY, cache=None, d_scores=None):
        """``[dq, dv]``, or ``[dq, dv, dk]`` when called with a key; ``d_scores`` is the gradient of
        the returned attention scores, if any."""
        cache = self._last(cache)
        v, A, A_used, drop, q_mask = cache["v"], cache["A"], cache["A_used"], cache["drop"], cache["q_mask"]
        dO = np.zeros((A.shape[0], A.shape[1], v.shape[2]), A.dtype) if dY is None else np.asarray(dY, A.dtype)
        if q_mask is not None:
            dO = dO * q_mask[:, :, None]                                    # (B, Tq, Dv)
        dA_used = dO @ v.transpose(0, 2, 1)                                 # (B, Tq, Tv)
        if d_scores is not None:
            dA_used = dA_used + d_scores
        dv = A_used.transpose(0, 2, 1) @ dO                                 # (B, Tv, Dv)
        dA = dA_used if drop is None else dA_used * drop
        dS = _softmax_backward(dA, A)                                       # (B, Tq, Tv); 0 where masked
        dq, dk = self._scores_backward(dS, cache["score_cache"])
        return [dq, dv, dk] if cache["three"] else [dq, dv + dk]

    def backward_node(self, output_grads, cache):
        if cache["scores"]:
            return self.backward(output_grads[0], cache, d_scores=output_grads[1])
        return self.backward(output_grads[0], cache)


class Attention(_BaseAttention):
    """Keras's ``Attention``: Luong-style dot-product attention, ``Attention()([query, value])`` or
    ``([query, value, key])`` (the key defaults to the value).

    Parameters
    ----------
    use_scale : bool, multiply the scores by a learned scalar ``scale`` (starts at 1)
    score_mode : "dot" (``S = q k^T``) or "concat" (``S = c * sum_d tanh(q_i + k_j)``, with the
        learned scalar ``concat_score_weight`` c; with ``use_scale``, ``tanh(scale * (q_i + k_j))``)
    dropout : float in [0, 1), on the attention weights while training
    seed : int or None, for the dropout
    dtype : float32 or float64
    name : str or None

    Called with ``mask=[query_mask, value_mask]`` (or masks that flow from the inputs in a graph): a
    masked value step gets weight 0, a masked query step outputs zeros, and the output's mask is the
    query's. ``return_attention_scores=True`` returns ``[output, weights]``, the weights
    (B, Tq, Tv) after the softmax, as Keras does; ``use_causal_mask=True`` lets query step i see
    value steps up to i only (a decoder attending to itself).
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, dtype=np.float32, name=None):
        super().__init__(dropout, seed, dtype, name)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"score_mode must be 'dot' or 'concat', got {score_mode!r}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.scale = np.ones((), self.dtype) if self.use_scale else None
        self.concat_score_weight = np.ones((), self.dtype) if score_mode == "concat" else None

    @property
    def params(self):
        p = {} if self.scale is None else {"scale": self.scale}
        if self.concat_score_weight is not None:
            p["concat_score_weight"] = self.concat_score_weight
        return p

    def param_shapes(self, input_shape):
        return {k: () for k in self.params}

    def _scores(self, q, k):
        if self.score_mode == "dot":
            QK = q @ k.transpose(0, 2, 1)                                   # (B, Tq, Tv)
            return (QK if self.scale is None else QK * self.scale), dict(q=q, k=k, QK=QK)
        U = q[:, :, None, :] + k[:, None, :, :]                             # (B, Tq, Tv, D)
        T = np.tanh(U if self.scale is None else self.scale * U)
        return self.concat_score_weight * T.sum(axis=-1), dict(q=q, k=k, U=U, T=T)

    def _scores_backward(self, dS, c):
        self.grads = {}
        if self.score_mode == "dot":
            if self.scale is not None:
                self.grads["scale"] = np.asarray(np.sum(dS * c["QK"]), self.dtype)
                dS = dS * self.scale
            return dS @ c["k"], dS.transpose(0, 2, 1) @ c["q"]              # (B, Tq, D), (B, Tv, D)
        T, U = c["T"], c["U"]
        self.grads["concat_score_weight"] = np.asarray(np.sum(dS * T.sum(axis=-1)), self.dtype)
        dZ = (dS * self.concat_score_weight)[..., None] * (1 - T * T)       # (B, Tq, Tv, D): d / d(scale * U)
        if self.scale is not None:
            self.grads["scale"] = np.asarray(np.sum(dZ * U), self.dtype)
            dZ = dZ * self.scale
        return dZ.sum(axis=2), dZ.sum(axis=1)

    def get_config(self):
        return dict(use_scale=self.use_scale, score_mode=self.score_mode, dropout=self.dropout, seed=self.seed,
                    dtype=self.dtype.name, name=self.name)


class AdditiveAttention(_BaseAttention):
    """Keras's ``AdditiveAttention``: Bahdanau's score ``S_ij = sum_d scale_d tanh(q_i + k_j)_d``.

    Parameters
    ----------
    use_scale : bool, the learned vector ``scale`` (D,) (Bahdanau's ``v``; Glorot-uniform start); without
        it every feature counts 1
    dropout, seed, dtype, name : as for :class:`Attention`

    Bahdanau's ``v^T tanh(W_q q + W_k k)`` is this layer after two Dense layers (``W_q``, ``W_k``, no
    bias needed) applied to the query and the key. Calls, masks and outputs as :class:`Attention`.
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, dtype=np.float32, name=None):
        super().__init__(dropout, seed, dtype, name)
        self.use_scale = bool(use_scale)
        self.scale = None

    @property
    def params(self):
        return {"scale": self.scale} if self.scale is not None else {}

    def param_shapes(self, input_shape):
        return {"scale": (self._inputs(input_shape)[0][-1],)} if self.use_scale else {}

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_scale:
            D = self._inputs(input_shape)[0][-1]
            limit = np.sqrt(6 / (D + D))          # Glorot-uniform for a (D,) vector: Keras counts fan in = fan out = D
            self.scale = np.random.default_rng(self.seed).uniform(-limit, limit, D).astype(self.dtype)

    def _scores(self, q, k):
        T = np.tanh(q[:, :, None, :] + k[:, None, :, :])                  # (B, Tq, Tv, D)
        return (T.sum(axis=-1) if self.scale is None else T @ self.scale), dict(T=T)

    def _scores_backward(self, dS, c):
        T = c["T"]
        self.grads = {}
        if self.scale is not None:
            self.grads["scale"] = np.einsum("bij,bijd->d", dS, T, optimize=True).astype(self.dtype)
        w = 1.0 if self.scale is None else self.scale
        dU = dS[..., None] * w * (1 - T * T)                                # (B, Tq, Tv, D)
        return dU.sum(axis=2), dU.sum(axis=1)                               # dq (B, Tq, D), dk (B, Tv, D)

    def get_config(self):
        return dict(use_scale=self.use_scale, dropout=self.dropout, seed=self.seed, dtype=self.dtype.name,
                    name=self.name)


class AttentionPooling(Layer):
    """A sequence read into one vector by a learned query (Yang et al.'s attention for classification):
    ``e_t = u^T tanh(W h_t + b)``, ``a = softmax(e)`` over the kept steps, output ``sum_t a_t h_t``.

    Keras has no such layer; here it replaces "the last state" of a BiLSTM: ``BiLSTM(return_sequences=
    True) -> AttentionPooling(units) -> Dense``. After a call, ``weights_`` holds the attention weights
    (B, T), the figure :func:`lstmx.plot.plot_attention` draws over a review's words.

    Parameters
    ----------
    units : int >= 1, the size of the hidden scoring layer (W is (F, units), u (units,))
    seed : int or None
    dtype : float32 or float64
    name : str or None
    """

    def __init__(self, units, seed=None, dtype=np.float32, name=None):
        from .._validation import check_dtype, check_positive_int
        super().__init__(name)
        self.units = check_positive_int("units", units)
        self.seed, self.dtype = seed, check_dtype(dtype)
        self.W = self.b = self.u = None
        self.weights_ = None

    @property
    def params(self):
        return {"W": self.W, "b": self.b, "u": self.u} if self.W is not None else {}

    def param_shapes(self, input_shape):
        return {"W": (input_shape[-1], self.units), "b": (self.units,), "u": (self.units,)}

    def build(self, input_shape):
        from ..initializers import glorot_uniform
        F = input_shape[-1]
        rng = np.random.default_rng(self.seed)
        self.W = glorot_uniform(rng, self.units, F, self.dtype).T.copy()     # (F, units)
        self.b = np.zeros(self.units, self.dtype)
        self.u = glorot_uniform(rng, 1, self.units, self.dtype)[0].copy()   # (units,)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def compute_mask(self, inputs, mask=None):
        return None

    def forward(self, H, mask=None, training=False):
        H = np.asarray(H, self.dtype)                                       # (B, T, F)
        if H.ndim != 3:
            raise ValueError(f"AttentionPooling reads (batch, time, features), got shape {H.shape}")
        if not self.built:
            self.build(H.shape)
        Z = np.tanh(H @ self.W + self.b)                                    # (B, T, units)
        e = Z @ self.u                                                      # (B, T) scores
        keep = np.ones(e.shape, bool) if mask is None else np.asarray(mask, bool)
        a = _softmax(e - (1e9 * ~keep).astype(e.dtype))                    # (B, T) weights, 0 where masked
        self.weights_ = a
        # optimize=True: NumPy hands each of these sums to BLAS; its own einsum loop took a third of
        # the IMDB attention model's training step
        out = np.einsum("bt,btf->bf", a, H, optimize=True)                  # (B, F)
        return out, dict(H=H, Z=Z, a=a)

    def backward(self, dY, cache=None):
        c = self._last(cache)
        H, Z, a = c["H"], c["Z"], c["a"]
        dY = np.asarray(dY, self.dtype)                                     # (B, F)
        da = np.einsum("bf,btf->bt", dY, H, optimize=True)                  # (B, T)
        dH = a[:, :, None] * dY[:, None, :]                                 # (B, T, F) through the sum
        de = _softmax_backward(da, a)                                       # (B, T)
        self.grads = {"u": np.einsum("bt,btk->k", de, Z, optimize=True)}
        dZpre = de[:, :, None] * self.u * (1 - Z * Z)                       # (B, T, units)
        self.grads["W"] = np.einsum("btf,btk->fk", H, dZpre, optimize=True)
        self.grads["b"] = dZpre.sum(axis=(0, 1))
        dH = dH + dZpre @ self.W.T                                          # (B, T, F)
        return dH

    def get_config(self):
        return dict(units=self.units, seed=self.seed, dtype=self.dtype.name, name=self.name)
