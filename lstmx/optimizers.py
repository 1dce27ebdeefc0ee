"""Optimizers: SGD with momentum, Adam, RMSprop and Adagrad, with gradient clipping by norm or by value.

``optimizer.apply(params, grads)`` updates the parameter arrays in place. Clipping is Keras's, one
kind at a time (the cure for exploding gradients in recurrent networks):

- ``clipnorm``: each parameter's gradient is rescaled on its own so that its L2 norm is at most
  ``clipnorm``;
- ``global_clipnorm``: all gradients are rescaled together so that their joint L2 norm is at most
  ``global_clipnorm`` (PyTorch's ``clip_grad_norm_``);
- ``clipvalue``: every entry is clipped to ``[-clipvalue, clipvalue]``.
"""
import math
import numbers

import numpy as np

from .layers.embedding import IndexedRows


def _checked(name, value, expected, ok):
    """``value`` as a float if it is a finite number for which ``ok`` holds; otherwise an error that
    names what was expected and what came (TypeError for what is not a number, ValueError else)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}, got {value!r} of type {type(value).__name__}")
    if not (math.isfinite(value) and ok(value)):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return float(value)


class Optimizer:
    """Base of the optimizers: ``optimizer.apply(params, grads)`` clips the gradients as asked and
    updates every parameter array in place with the subclass's ``update``.

    Parameters
    ----------
    learning_rate : float > 0
        The step size.
    clipnorm : float > 0 or None, default None
        Rescale each parameter's gradient so that its L2 norm is at most this.
    clipvalue : float > 0 or None, default None
        Clip every entry of the gradients to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float > 0 or None, default None
        Rescale all gradients together so that their joint L2 norm is at most this (PyTorch's
        ``clip_grad_norm_``). One kind of clipping at a time.
    """

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
        norms = {name: _norm(self._values(g)) for name, g in grads.items()}
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

    def _slot(self, key, p, initial=0.0):
        """The state array ``key`` kept for parameter ``p``: ``initial`` (zeros) like ``p`` the first
        time. (Not ``state.setdefault(key, np.zeros_like(p))``, which would allocate at every step.)"""
        slot = self.state.get(key)
        if slot is None:
            slot = self.state[key] = np.zeros_like(p) if initial == 0 else np.full_like(p, initial)
        return slot

    def apply(self, params, grads):
        """Update every array of ``params`` (name -> array) with the gradient of the same name."""
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            self.clip(grads)   # its norms cost 0.7 ms of the IMDB BiLSTM's 24 ms step: only when asked for
        self.iterations += 1
        for name, p in params.items():
            g = grads[name]
            self.update(name, p, g)

    def get_config(self):
        return dict(learning_rate=self.learning_rate, clipnorm=self.clipnorm, clipvalue=self.clipvalue,
                    global_clipnorm=self.global_clipnorm)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, as Keras's ``SGD``:
    ``v = momentum * v - lr * g;  p += v`` (plain SGD, ``p -= lr * g``, when momentum is 0).
    Embedding rows are updated sparsely when momentum is 0.

    Parameters
    ----------
    learning_rate : float > 0, default 0.01
        ``lr``, the step size.
    momentum : float in [0, 1], default 0.0
        Decay of the velocity ``v``; 0 keeps no velocity.
    clipnorm : float > 0 or None, default None
        Rescale each parameter's gradient so that its L2 norm is at most this.
    clipvalue : float > 0 or None, default None
        Clip every entry of the gradients to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float > 0 or None, default None
        Rescale all gradients together so that their joint L2 norm is at most this (PyTorch's
        ``clip_grad_norm_``). One kind of clipping at a time.
    """

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

    Parameters
    ----------
    learning_rate : float > 0, default 0.001
        ``lr``, the step size.
    beta_1 : float in [0, 1), default 0.9
        Decay of the moving average of the gradient, ``m``.
    beta_2 : float in [0, 1), default 0.999
        Decay of the moving average of the squared gradient, ``v``.
    epsilon : float > 0, default 1e-7
        Added to ``sqrt(v)``, so that the step is never a division by 0.
    clipnorm : float > 0 or None, default None
        Rescale each parameter's gradient so that its L2 norm is at most this.
    clipvalue : float > 0 or None, default None
        Clip every entry of the gradients to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float > 0 or None, default None
        Rescale all gradients together so that their joint L2 norm is at most this (PyTorch's
        ``clip_grad_norm_``). One kind of clipping at a time.
    fused : bool, default True
        Run the update as one compiled pass over each parameter when the extension is built; False
        runs the NumPy update (the same numbers, to float rounding).
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


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012) as Keras 3 computes it: each weight's step is its gradient divided by
    the root of a running mean of its squared gradients, so that weights with large gradients take
    smaller steps and weights with small gradients larger ones.

    The optimizer keeps, for every parameter, arrays of its shape (its *slots*), all starting at 0:

    - ``velocity`` ``v``: the moving average of the squared gradient, ``g**2``;
    - ``average_gradient`` ``a``, only when ``centered``: the moving average of the gradient, so
      that ``v - a**2`` estimates the variance of the gradient;
    - ``momentum`` ``m``, only when ``momentum > 0``: the decaying sum of the past steps.

    One step, with gradient ``g``, every operation elementwise::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                  (centered only)
        d = sqrt(v - a**2 + epsilon)                 (centered)
        d = sqrt(v + epsilon)                        (not centered)
        step = learning_rate * g / d
        m = momentum * m + step;  p = p - m          (momentum > 0)
        p = p - step                                 (momentum = 0)

    ``epsilon`` lies *inside* the square root, as in Keras; PyTorch's ``RMSprop`` adds its ``eps``
    outside it, ``g / (sqrt(v) + eps)``, and folds ``learning_rate`` out of the momentum sum
    (``m = momentum * m + g / d;  p -= learning_rate * m``, the same numbers while
    ``learning_rate`` is constant).

    An embedding's row-wise gradient (:class:`~lstmx.layers.IndexedRows`) gives what the dense
    gradient with zero rows elsewhere would give, as Keras computes it: every row of ``v`` and ``a``
    decays at each step; the rows of the batch get their gradient and move; with momentum, every
    row keeps moving by its decaying ``m``.

    Parameters
    ----------
    learning_rate : float > 0, default 0.001
    rho : float in [0, 1), default 0.9
        Decay of the moving averages ``v`` and ``a``.
    momentum : float >= 0, default 0.0
        Decay of the sum of steps ``m``; 0 steps by ``step`` itself and keeps no ``m``.
    epsilon : float > 0, default 1e-7
        Added to the mean square under the square root, so that ``d`` is never 0.
    centered : bool, default False
        Divide by the root of the gradient's estimated variance ``v - a**2`` instead of its mean
        square ``v``.
    clipnorm, clipvalue, global_clipnorm : float > 0 or None
        Gradient clipping, one kind at a time (see :mod:`lstmx.optimizers`).
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, clipnorm=None,
                 clipvalue=None, global_clipnorm=None):
        learning_rate = _checked("learning_rate", learning_rate, "a finite number > 0", lambda x: x > 0)
        super().__init__(learning_rate, clipnorm, clipvalue, global_clipnorm)
        self.rho = _checked("rho", rho, "in [0, 1)", lambda x: 0 <= x < 1)
        self.momentum = _checked("momentum", momentum, "a finite number >= 0", lambda x: x >= 0)
        self.epsilon = _checked("epsilon", epsilon, "a finite number > 0", lambda x: x > 0)
        if not isinstance(centered, (bool, np.bool_)):   # centered="False" would be true
            raise TypeError(f"centered must be True or False, got {centered!r}")
        self.centered = bool(centered)

    def update(self, name, p, g):
        lr, rho = self.learning_rate, self.rho
        v = self._slot(name + "/velocity", p)
        a = self._slot(name + "/average_gradient", p) if self.centered else None
        m = self._slot(name + "/momentum", p) if self.momentum > 0 else None
        if isinstance(g, IndexedRows):
            self._update_rows(p, g.indices, g.values, v, a, m)
            return
        v *= rho                                      # v = rho v + (1 - rho) g^2
        v += (1 - rho) * (g * g)
        if self.centered:
            a *= rho                                  # a = rho a + (1 - rho) g
            a += (1 - rho) * g
            d = np.sqrt(v - a * a + self.epsilon)     # d = sqrt(v - a^2 + eps)
        else:
            d = np.sqrt(v + self.epsilon)             # d = sqrt(v + eps)
        step = lr * g / d                             # step = lr g / d
        if self.momentum > 0:
            m *= self.momentum                        # m = momentum m + step
            m += step
            p -= m                                    # p = p - m
        else:
            p -= step                                 # p = p - step

    def _update_rows(self, p, rows, g, v, a, m):
        """The same step for a gradient that is ``g`` on ``rows`` and 0 elsewhere, computing on the
        batch's rows only where the other rows' result is known: there ``g = 0``, so ``v`` and ``a``
        only decay and ``step`` is 0."""
        lr, rho = self.learning_rate, self.rho
        v *= rho                                      # every row decays ...
        v[rows] += (1 - rho) * (g * g)                # ... the batch's rows get g^2
        if self.centered:
            a *= rho
            a[rows] += (1 - rho) * g
            d = np.sqrt(v[rows] - a[rows] * a[rows] + self.epsilon)
        else:
            d = np.sqrt(v[rows] + self.epsilon)
        step = lr * g / d                             # the step of the batch's rows; 0 elsewhere
        if self.momentum > 0:
            m *= self.momentum                        # every row moves on by its momentum
            m[rows] += step
            p -= m
        else:
            p[rows] -= step

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                    centered=self.centered)


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer, 2011) as Keras 3 computes it: each weight's step is its
    gradient divided by the root of the sum of all its squared gradients so far, so that a weight's
    steps shrink the more (and the larger) gradients it has had. Rare features (an embedding's rare
    words) keep larger steps than frequent ones.

    The optimizer keeps one slot for every parameter, an array of its shape:

    - ``accumulator`` ``s``: the sum of the squared gradients, starting at
      ``initial_accumulator_value`` (0.1, as Keras), not 0.

    One step, with gradient ``g``, every operation elementwise::

        s = s + g**2
        p = p - learning_rate * g / sqrt(s + epsilon)

    ``epsilon`` lies *inside* the square root, as in Keras; PyTorch's ``Adagrad`` adds its ``eps``
    outside it, ``g / (sqrt(s) + eps)``, and starts ``s`` at 0 unless told otherwise.

    An embedding's row-wise gradient (:class:`~lstmx.layers.IndexedRows`) touches only the batch's
    rows of ``s`` and ``p``: with ``g = 0`` the other rows would not change, so this is exactly
    Keras's dense update.

    Parameters
    ----------
    learning_rate : float > 0, default 0.001
        Keras's default; Adagrad usually wants a larger one (the paper's form is 1.0).
    initial_accumulator_value : float >= 0, default 0.1
        The start of ``s``: it bounds the first steps to about ``learning_rate * g / sqrt(0.1)``.
    epsilon : float > 0, default 1e-7
        Added to ``s`` under the square root, so that the divisor is never 0.
    clipnorm, clipvalue, global_clipnorm : float > 0 or None
        Gradient clipping, one kind at a time (see :mod:`lstmx.optimizers`).
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, clipnorm=None,
                 clipvalue=None, global_clipnorm=None):
        learning_rate = _checked("learning_rate", learning_rate, "a finite number > 0", lambda x: x > 0)
        super().__init__(learning_rate, clipnorm, clipvalue, global_clipnorm)
        self.initial_accumulator_value = _checked("initial_accumulator_value", initial_accumulator_value,
                                                  "a finite number >= 0", lambda x: x >= 0)
        self.epsilon = _checked("epsilon", epsilon, "a finite number > 0", lambda x: x > 0)

    def update(self, name, p, g):
        s = self._slot(name + "/accumulator", p, self.initial_accumulator_value)
        if isinstance(g, IndexedRows):   # only the batch's rows change (g = 0 leaves the others)
            rows, g = g.indices, g.values
            s[rows] += g * g                                                   # s = s + g^2
            p[rows] -= self.learning_rate * g / np.sqrt(s[rows] + self.epsilon)  # p = p - lr g / sqrt(s + eps)
            return
        s += g * g                                                             # s = s + g^2
        p -= self.learning_rate * g / np.sqrt(s + self.epsilon)                # p = p - lr g / sqrt(s + eps)

    def get_config(self):
        return dict(super().get_config(), initial_accumulator_value=self.initial_accumulator_value,
                    epsilon=self.epsilon)


def _norm(g):
    """The L2 norm of an array, summed in float64: in one compiled pass where the extension is built
    (NumPy's ``np.sum(g.astype(np.float64) ** 2)`` makes two float64 copies of the gradient)."""
    kernel = _adam_kernel()
    if kernel is not None and g.dtype in (np.float32, np.float64) and g.flags.c_contiguous:
        return float(np.sqrt(kernel.sum_of_squares(g.reshape(-1))))
    return float(np.sqrt(np.sum(g.astype(np.float64) ** 2)))


def _adam_kernel():
    try:
        from ._kernels import adam_cython
    except ImportError:
        return None
    return adam_cython


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(optimizer):
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; expected one of "
                     f"{', '.join(repr(name) for name in OPTIMIZERS)} or an Optimizer")
