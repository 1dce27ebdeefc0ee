"""Optimizers: SGD with momentum and Adam, with gradient clipping by norm or by value.

``optimizer.apply(params, grads)`` updates the parameter arrays in place. Clipping is Keras's, one
kind at a time (the cure for exploding gradients in recurrent networks):

- ``clipnorm``: each parameter's gradient is rescaled on its own so that its L2 norm is at most
  ``clipnorm``;
- ``global_clipnorm``: all gradients are rescaled together so that their joint L2 norm is at most
  ``global_clipnorm`` (PyTorch's ``clip_grad_norm_``);
- ``clipvalue``: every entry is clipped to ``[-clipvalue, clipvalue]``.
"""
import numpy as np

from .layers.embedding import IndexedRows


class Optimizer:
    def __init__(self, learning_rate, clipnorm=None, clipvalue=None, global_clipnorm=None):
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        clips = dict(clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm)
        for name, value in clips.items():
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 or None, got {value}")
        chosen = [name for name, value in clips.items() if value is not None]
        if len(chosen) > 1:   # Keras's rule: the second would silently act on the first's output
            raise ValueError(f"only one of clipnorm, clipvalue and global_clipnorm can be set, got "
                             f"{', '.join(f'{name}={clips[name]}' for name in chosen)}")
        self.learning_rate = float(learning_rate)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = 0
        self.state = {}

    def _values(self, g):
        return g.values if isinstance(g, IndexedRows) else g

    def clip(self, grads):
        """Clip ``grads`` (name -> array) in place, as the optimizer was told. Returns the joint L2
        norm of all gradients before clipping."""
        norms = {name: float(np.sqrt(np.sum(self._values(g).astype(np.float64) ** 2))) for name, g in grads.items()}
        norm = float(np.sqrt(sum(n * n for n in norms.values())))
        if self.clipvalue is not None:
            for g in grads.values():
                np.clip(self._values(g), -self.clipvalue, self.clipvalue, out=self._values(g))
        elif self.clipnorm is not None:
            for name, g in grads.items():
                if norms[name] > self.clipnorm:
                    self._values(g)[...] *= self.clipnorm / norms[name]
        elif self.global_clipnorm is not None and norm > self.global_clipnorm:
            for g in grads.values():
                self._values(g)[...] *= self.global_clipnorm / norm
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
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            self.clip(grads)   # its norms cost 0.7 ms of the seed model's 24 ms step: only when asked for
        self.iterations += 1
        for name, p in params.items():
            g = grads[name]
            self.update(name, p, g)

    def get_config(self):
        return dict(learning_rate=self.learning_rate, clipnorm=self.clipnorm, clipvalue=self.clipvalue,
                    global_clipnorm=self.global_clipnorm)


class SGD(Optimizer):
    """``v = momentum * v - lr * g;  p += v`` (plain SGD when momentum is 0). Embedding rows are
    updated sparsely when momentum is 0."""

    def __init__(self, learning_rate=0.01, momentum=0.0, clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate, clipnorm, clipvalue, global_clipnorm)
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
                 global_clipnorm=None, fused=True):
        super().__init__(learning_rate, clipnorm, clipvalue, global_clipnorm)
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
