r"""CBOW as the textbook writes it: explicit input and output matrices, full softmax.

Guess a word from its context. With a vocabulary of ``V`` words and vectors of size ``N``:

* ``W_in (V, N)``: row ``w`` is word ``w``'s input vector (the word vector we keep);
* ``W_out (N, V)``: column ``w`` is word ``w``'s output vector.

For a context of ``C`` words (``C = 1`` is the one-word model)::

    h = mean of W_in[context]        (N,)     the hidden layer: no nonlinearity
    u = h @ W_out                    (V,)     one score per vocabulary word
    y = softmax(u)                   (V,)     P(word | context)
    loss = -log y[target]

and the gradients, written out::

    du = y - onehot(target)          (V,)
    dW_out = outer(h, du)            (N, V)
    dh = W_out @ du                  (N,)
    dW_in[c] += dh / C               for every context word c (a repeated word gets it twice)

This costs ``O(V N)`` a word: :class:`lstmx.Word2Vec` replaces the softmax by negative sampling or
a hierarchical softmax to train on real corpora.
"""
import numpy as np


class CBOWReference:
    """The full-softmax CBOW model with explicit ``W_in (V, N)`` and ``W_out (N, V)``.

    Parameters
    ----------
    vocab_size : int
        ``V``.
    vector_size : int
        ``N``.
    seed : int
    """

    def __init__(self, vocab_size, vector_size, seed=0):
        if vocab_size < 1 or vector_size < 1:
            raise ValueError(f"vocab_size and vector_size must be >= 1, got {vocab_size}, {vector_size}")
        rng = np.random.default_rng(seed)
        self.W_in = (rng.random((vocab_size, vector_size)) - 0.5) / vector_size   # (V, N)
        self.W_out = np.zeros((vector_size, vocab_size))                           # (N, V)

    def forward(self, context, target):
        """Loss of predicting ``target`` from the word ids ``context``; keeps what backward needs."""
        context = np.asarray(context, dtype=np.int64)
        h = self.W_in[context].mean(axis=0)          # (N,)
        u = h @ self.W_out                           # (V,)
        u = u - u.max()            # softmax is unchanged by a shift; exp cannot overflow
        y = np.exp(u) / np.exp(u).sum()              # (V,)
        self._cache = (context, h, y, target)
        return float(-np.log(y[target]))

    def backward(self):
        """Gradients ``(dW_in (V, N), dW_out (N, V))`` of the last forward's loss."""
        context, h, y, target = self._cache
        du = y.copy()
        du[target] -= 1                              # (V,)  d loss / d u
        dW_out = np.outer(h, du)                     # (N, V)
        dh = self.W_out @ du                         # (N,)
        dW_in = np.zeros_like(self.W_in)
        np.add.at(dW_in, context, dh / len(context))  # (V, N), only the context rows
        return dW_in, dW_out

    def train(self, sentences, window=2, epochs=50, learning_rate=0.1):
        """Plain SGD over every (context, target) pair of ``sentences`` (lists of word ids).

        Returns the mean loss of each epoch.
        """
        history = []
        for _ in range(epochs):
            losses = []
            for s in sentences:
                for t, target in enumerate(s):
                    context = s[max(0, t - window):t] + s[t + 1:t + 1 + window]
                    if not context:
                        continue
                    losses.append(self.forward(context, target))
                    dW_in, dW_out = self.backward()
                    self.W_in -= learning_rate * dW_in
                    self.W_out -= learning_rate * dW_out
            history.append(float(np.mean(losses)))
        return history

    def predict(self, context):
        """P(word | context), (V,)."""
        h = self.W_in[np.asarray(context)].mean(axis=0)
        u = h @ self.W_out
        e = np.exp(u - u.max())
        return e / e.sum()
