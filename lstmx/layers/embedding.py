"""Embedding: token ids to vectors, a row lookup in a ``(input_dim, output_dim)`` matrix."""
import warnings

import numpy as np

from .._validation import check_dtype, check_positive_int
from .base import Layer


class IndexedRows:
    """A sparse, row-wise gradient: ``values[k]`` is the gradient of row ``indices[k]`` of a matrix.

    An embedding's gradient touches only the rows of the tokens in the batch (a few thousand of the
    vocabulary's rows), so it is kept in this form; optimizers apply it row by row or scatter it.
    Its ``indices`` are distinct.

    Parameters
    ----------
    indices : (N,) int array
        The rows that have a gradient.
    values : (N, D) array
        ``values[k]``: the gradient of row ``indices[k]``.
    shape : tuple
        The shape of the whole matrix, ``(rows, D)`` (what :meth:`to_dense` returns).
    """

    def __init__(self, indices, values, shape):
        self.indices, self.values, self.shape = indices, values, shape

    def to_dense(self):
        dense = np.zeros(self.shape, self.values.dtype)
        dense[self.indices] = self.values
        return dense

    @classmethod
    def concatenate(cls, parts):
        """The sum of several gradients of one matrix (dense arrays or IndexedRows), as IndexedRows
        with distinct indices: what an embedding called at several places accumulates."""
        parts = [p if isinstance(p, IndexedRows) else IndexedRows(np.arange(p.shape[0]), p, p.shape) for p in parts]
        return sum_rows(np.concatenate([p.indices for p in parts]), np.concatenate([p.values for p in parts]),
                        parts[0].shape)


def sum_rows(ids, rows, shape):
    """IndexedRows of ``rows`` (N, D) summed by their ``ids`` (N,): one row a distinct id."""
    from scipy.sparse import csr_matrix   # imported here, not at `import lstmx`

    unique, inverse = np.unique(ids, return_inverse=True)
    # values[u] = sum of the rows whose id is unique[u]: a (distinct ids, N) 0/1 matrix times rows
    scatter = csr_matrix((np.ones(ids.size, rows.dtype), (inverse.reshape(-1), np.arange(ids.size))),
                         shape=(unique.size, ids.size))
    return IndexedRows(unique, np.asarray(scatter @ rows), shape)


class Embedding(Layer):
    """Map token ids ``(B, T)`` to vectors ``(B, T, output_dim)`` (ids of any shape ``(B, ...)`` to ``(B, ..., output_dim)``).

    Parameters
    ----------
    input_dim : int
        Vocabulary size: valid ids are ``0 <= id < input_dim``.
    output_dim : int
        Size of each vector.
    mask_zero : bool
        Treat id 0 as padding: the layer passes on ``mask = ids != 0`` (Keras semantics), so the
        recurrent layers after it skip the padded steps.
    seed : int or None, default None
        Seed of the initialisation.
    dtype : float32 (default) or float64
        Precision of the vectors.
    input_length : None
        Ignored, with a warning, as Keras 3 does (Keras 2 code passes it).
    name : str or None, default None
        The layer's name in a model; by default the class's in snake case (``embedding``, ``embedding_1``, ...).

    Attributes
    ----------
    embeddings : (input_dim, output_dim) array, initialised U(-0.05, 0.05) as Keras does.
    """

    def __init__(self, input_dim, output_dim, mask_zero=False, seed=None, dtype=np.float32, input_length=None,
                 name=None):
        super().__init__(name)
        if input_length is not None:
            warnings.warn("Embedding's input_length is not needed (Keras 3 dropped it too): the length "
                          "comes from the input; remove the argument", stacklevel=2)
        self.input_dim = check_positive_int("input_dim", input_dim)
        self.output_dim = check_positive_int("output_dim", output_dim)
        self.mask_zero = bool(mask_zero)
        self.dtype = check_dtype(dtype)
        self.seed = seed
        self._embeddings = None

    @property
    def embeddings(self):
        """The ``(input_dim, output_dim)`` matrix, made on first use (so that loading a saved model
        checks the file's array before allocating one of the size its config says)."""
        if self._embeddings is None:
            self.build()
        return self._embeddings

    @embeddings.setter
    def embeddings(self, value):
        # ``emb.embeddings *= 20`` multiplies in place, then assigns the same array back
        value = np.asarray(value)
        if value.shape != (self.input_dim, self.output_dim):
            raise ValueError(f"Embedding.embeddings must be (input_dim, output_dim) = "
                             f"{(self.input_dim, self.output_dim)}, got shape {value.shape}")
        if value is not self._embeddings:
            value = np.array(value, dtype=self.dtype, order="C")
        self._embeddings = value
        self.built = True

    def param_shapes(self, input_shape=None):
        return {"embeddings": (self.input_dim, self.output_dim)}

    def build(self, input_shape=None):
        rng = np.random.default_rng(self.seed)
        self._embeddings = rng.uniform(-0.05, 0.05, (self.input_dim, self.output_dim)).astype(self.dtype)
        self.built = True

    @property
    def params(self):
        return {"embeddings": self.embeddings}

    def check_ids(self, ids):
        try:
            ids = np.asarray(ids)
        except ValueError:   # ragged lists
            raise ValueError("token ids must form a (batch, time) array; sequences of different lengths need "
                             "lstmx.text.pad_sequences first") from None
        if ids.dtype.kind not in "iu":
            if ids.dtype.kind == "f" and ids.size and np.all(ids == np.round(ids)):
                ids = ids.astype(np.int64)
            else:
                raise TypeError(f"Embedding expects integer token ids, got dtype {ids.dtype}")
        if ids.ndim < 1:
            raise ValueError(f"Embedding expects token ids of shape (batch, ...), got a scalar")
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise ValueError(f"token id {bad} is out of range: Embedding(input_dim={self.input_dim}) "
                             f"accepts ids 0 <= id < {self.input_dim}")
        return ids

    def forward(self, ids, mask=None, training=False):
        """ids (B, T) ints -> (B, T, output_dim); ids of any shape (B, ...) -> (B, ..., output_dim)."""
        ids = self.check_ids(ids)
        if ids.ndim == 2:
            # gathered step by step: (B, T, D) values in time-major memory, which a recurrent layer's
            # kernels read without a copy
            return self.embeddings[ids.T].transpose(1, 0, 2), {"ids": ids}
        return self.embeddings[ids], {"ids": ids}

    def backward(self, dY, cache=None):
        """Row-wise gradient: rows of the same id are summed. Returns None (ids have no gradient)."""
        ids = self._last(cache)["ids"].reshape(-1)
        rows = np.asarray(dY, self.dtype).reshape(-1, self.output_dim)   # (B*T, D)
        self.grads = {"embeddings": sum_rows(ids, rows, self.embeddings.shape)}
        return None

    def compute_mask(self, inputs, mask=None):
        """``ids != 0`` with ``mask_zero`` (Keras's semantics), else the incoming mask."""
        return (np.asarray(inputs) != 0) if self.mask_zero else mask

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return dict(input_dim=self.input_dim, output_dim=self.output_dim, mask_zero=self.mask_zero,
                    seed=self.seed, dtype=self.dtype.name, name=self.name)

    @classmethod
    def from_pretrained(cls, vectors, word_index=None, input_dim=None, trainable=True, mask_zero=False, seed=None):
        """An Embedding that starts from trained vectors.

        Parameters
        ----------
        vectors : (V, N) array, or a :class:`lstmx.KeyedVectors` (e.g. ``Word2Vec(...).wv``)
        word_index : dict word -> id, or None
            With KeyedVectors: row ``id`` gets the vector of ``word`` (as ``imdb.get_word_index()``
            plus 3, or a ``Tokenizer``'s ``word_index``). Rows of words without a vector, and row 0,
            keep the usual random start. Without it, the rows are ``vectors`` in order.
        input_dim : int or None, the number of rows (default: the largest id + 1, or V)
        trainable : bool, whether ``fit`` updates the matrix

        Returns
        -------
        Embedding, and the number of rows filled from ``vectors`` is ``layer.pretrained_rows``.
        """
        from ..word2vec.keyedvectors import KeyedVectors
        if isinstance(vectors, KeyedVectors):
            if word_index is None:
                word_index = {w: i for i, w in enumerate(vectors.index_to_key)}
            rows = input_dim or (max(word_index.values()) + 1)
            layer = cls(rows, vectors.vector_size, mask_zero=mask_zero, seed=seed, dtype=vectors.vectors.dtype)
            filled = 0
            for word, i in word_index.items():
                if 0 < i < rows and word in vectors:
                    layer.embeddings[i] = vectors[word]
                    filled += 1
        else:
            vectors = np.asarray(vectors)
            if vectors.ndim != 2:
                raise ValueError(f"pretrained vectors must be (rows, size), got shape {vectors.shape}")
            layer = cls(vectors.shape[0], vectors.shape[1], mask_zero=mask_zero, seed=seed, dtype=vectors.dtype)
            layer.embeddings[...] = vectors
            filled = vectors.shape[0]
        layer.trainable = trainable
        layer.pretrained_rows = filled
        return layer
