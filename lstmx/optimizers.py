"""Optimizers: SGD with momentum and Adam, with gradient clipping by norm or by value.

``optimizer.apply(params, grads)`` updates the parameter arrays in place. ``clipnorm`` rescales the
gradients so that their global L2 norm is at most ``clipnorm`` (the cure for exploding gradients
in recurrent networks); ``clipvalue`` clips every entry to ``[-clipvalue, clipvalue]``.
"""
import numpy as np

from .layers.embedding import IndexedRows


class Optimizer:
    def __init__(self, learning_rate, clipnorm=None, clipvalue=None):
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        for name, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 or None, got {value}")
        self.learning_rate = float(learning_rate)
        self.clipnorm, self.clipvalue = clipnorm, clipvalue
        self.iterations = 0
        self.state = {}

    def _values(self, g):
        return g.values if isinstance(g, IndexedRows) else g

    def clip(self, grads):
        """Apply clipvalue, then clipnorm (over all gradients together). Returns the pre-clip norm."""
        if self.clipvalue is not None:
            for g in grads.values():
                np.clip(self._values(g), -self.clipvalue, self.clipvalue, out=self._values(g))
        norm = float(np.sqrt(sum(float(np.sum(self._values(g).astype(np.float64) ** 2)) for g in grads.values())))
        if self.clipnorm is not None and norm > self.clipnorm:
            scale = self.clipnorm / norm
            for g in grads.values():
                self._values(g)[...] *= scale
        return norm

    def _slot(self, key, p):
        """The state array ``key`` kept for parameter ``p``: zeros like ``p`` the first time. (Not
        ``state.setdefault(key, np.zeros_like(p))``, which would allocate the zeros at every step.)"""
        slot = self.state.get(key)
        if slot is None:
            slot = self.state[key] = np.zeros_like(p)
        return slot

    def apply(self, params, grads):
        """Update every array of ``params`` (name -> array) with the gradient of the same name."""
        self.clip(grads)
        self.iterations += 1
        for name, p in params.items():
            g = grads[name]
            self.update(name, p, g)

    def get_config(self):
        return dict(learning_rate=self.learning_rate, clipnorm=self.clipnorm, clipvalue=self.clipvalue)


class SGD(Optimizer):
    """``v = momentum * v - lr * g;  p += v`` (plain SGD when momentum is 0). Embedding rows are
    updated sparsely when momentum is 0."""

    def __init__(self, learning_rate=0.01, momentum=0.0, clipnorm=None, clipvalue=None):
        super().__init__(learning_rate, clipnorm, clipvalue)
        if not 0 <= momentum <= 1:    # Keras's rule: above 1 the velocity grows without bound
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.momentum = float(momentum)

    def update(self, name, p, g):
        if isinstance(g, IndexedRows):
            if self.momentum == 0:
                p[g.indices] -= self.learning_rate * g.values
                return
            g = g.to_dense()
        if self.momentum == 0:
            p -= self.learning_rate * g
            return
        v = self._slot(name, p)
        v *= self.momentum
        v -= self.learning_rate * g
        p += v

    def get_config(self):
        return dict(super().get_config(), momentum=self.momentum)


class Adam(Optimizer):
    """Adam (Kingma and Ba), with Keras's defaults: lr 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7.

    ``m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr_t m / (sqrt(v) + eps)`` with the bias
    correction folded into ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``. An embedding's row-wise
    gradient is applied densely (all moments decay every step), as Keras's and PyTorch's Adam do.
    """

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, clipnorm=None, clipvalue=None,
                 fused=True):
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.fused = fused   # use the compiled one-pass update when it is built

    def update(self, name, p, g):
        m = self._slot(name + "/m", p)
        v = self._slot(name + "/v", p)
        t = self.iterations
        lr_t = self.learning_rate * np.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        kernel = _adam_kernel() if self.fused else None
        if kernel is not None and p.flags.c_contiguous:   # the same update in one compiled pass
            if isinstance(g, IndexedRows):
                kernel.adam_rows(p, g.indices.astype(np.int64), np.ascontiguousarray(g.values, p.dtype), m, v,
                                 lr_t, self.beta_1, self.beta_2, self.epsilon)
            else:
                kernel.adam_dense(p.reshape(-1), np.ascontiguousarray(g, p.dtype).reshape(-1), m.reshape(-1),
                                  v.reshape(-1), lr_t, self.beta_1, self.beta_2, self.epsilon)
            return
        if isinstance(g, IndexedRows):   # decay every row; add the gradient to the touched rows
            m *= self.beta_1
            v *= self.beta_2
            m[g.indices] += (1 - self.beta_1) * g.values
            v[g.indices] += (1 - self.beta_2) * g.values ** 2
        else:
            m *= self.beta_1
            m += (1 - self.beta_1) * g
            v *= self.beta_2
            v += (1 - self.beta_2) * (g * g)
        p -= (lr_t * m / (np.sqrt(v) + self.epsilon)).astype(p.dtype)

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)


def _adam_kernel():
    try:
        from ._kernels import adam_cython
    except ImportError:
        return None
    return adam_cython


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def get(optimizer):
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; expected 'sgd', 'adam' or an Optimizer")
