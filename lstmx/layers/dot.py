"""Dot: Keras's batched dot product of two tensors, ``Dot(axes)([x, y])``.

For each sample, the entries of ``x`` along ``axes[0]`` are multiplied with those of ``y`` along
``axes[1]`` and summed. Two (B, D) vectors give (B, 1); queries (B, Tq, D) and keys (B, Tv, D) with
``axes=2`` give the attention scores (B, Tq, Tv); weights (B, Tq, Tv) and values (B, Tv, D) with
``axes=(2, 1)`` give (B, Tq, D). ``normalize=True`` divides each vector by its L2 norm first, so
the result is the cosine similarity.
"""
import numpy as np

from .merge import Merge

LETTERS = "cdefghijklmnopqrstuvwxy"   # b is the batch, z the summed axis


def _subscripts(ndim_x, ndim_y, ax, ay):
    """einsum subscripts of ``x``, ``y`` and the output: batch ``b``, summed ``z``, the rest in order."""
    x = ["b"] + [LETTERS[k] for k in range(ndim_x - 1)]
    y = ["b"] + [LETTERS[ndim_x + k] for k in range(ndim_y - 1)]
    x[ax], y[ay] = "z", "z"
    out = ["b"] + [c for c in x[1:] if c != "z"] + [c for c in y[1:] if c != "z"]
    return "".join(x), "".join(y), "".join(out)


class Dot(Merge):
    """Keras's ``Dot(axes, normalize=False)``.

    Parameters
    ----------
    axes : int or a pair of ints, the axis of ``x`` and of ``y`` summed over (not 0, the batch)
    normalize : bool, divide each vector along its axis by its L2 norm first (cosine similarity)
    name : str or None

    Only two inputs, each of rank 2 or 3. Its output has no mask.
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, name=None):
        super().__init__(name)
        pair = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
        if len(pair) != 2 or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) or a == 0 for a in pair):
            raise ValueError(f"Dot's axes must be an int or a pair of ints, not 0 (the batch axis), got {axes!r}")
        self.axes = tuple(int(a) for a in pair)
        self.normalize = bool(normalize)

    def _axes(self, shapes):
        (sx, sy) = shapes
        if not (2 <= len(sx) <= 3 and 2 <= len(sy) <= 3):
            raise ValueError(f"Dot takes inputs of rank 2 or 3, got shapes {tuple(sx)} and {tuple(sy)}")
        ax, ay = (a + len(s) if a < 0 else a for a, s in zip(self.axes, (sx, sy)))
        if not (1 <= ax < len(sx) and 1 <= ay < len(sy)):
            raise ValueError(f"Dot(axes={self.axes}) does not fit shapes {tuple(sx)} and {tuple(sy)}")
        if sx[ax] is not None and sy[ay] is not None and sx[ax] != sy[ay]:
            raise ValueError(f"Dot(axes={self.axes}) sums axis {ax} of {tuple(sx)} against axis {ay} of "
                             f"{tuple(sy)}: their sizes {sx[ax]} and {sy[ay]} differ")
        return ax, ay

    def compute_output_shape(self, input_shape):
        sx, sy = (tuple(s) for s in self._check_list(input_shape))
        ax, ay = self._axes((sx, sy))
        out = (sx[0], *(n for k, n in enumerate(sx) if k not in (0, ax)), *(n for k, n in enumerate(sy) if k not in (0, ay)))
        return out if len(out) > 1 else (sx[0], 1)      # two vectors: (B, 1), as Keras gives

    def forward(self, inputs, mask=None, training=False):
        x, y = (np.asarray(a) for a in self._check_list(inputs))
        if len(x) != len(y):
            raise ValueError(f"Dot's inputs have batch sizes {len(x)} and {len(y)}")
        ax, ay = self._axes((x.shape, y.shape))
        sx, sy, so = _subscripts(x.ndim, y.ndim, ax, ay)
        norm_x = norm_y = None
        if self.normalize:
            norm_x = np.maximum(np.linalg.norm(x, axis=ax, keepdims=True), 1e-12)
            norm_y = np.maximum(np.linalg.norm(y, axis=ay, keepdims=True), 1e-12)
            x, y = x / norm_x, y / norm_y
        out = np.einsum(f"{sx},{sy}->{so}", x, y, optimize=True)   # sum over z of x[b, .., z, ..] y[b, .., z, ..]
        cache = dict(x=x, y=y, subscripts=(sx, sy, so), norms=(norm_x, norm_y), axes=(ax, ay), out_ndim=out.ndim)
        return (out[:, None] if out.ndim == 1 else out), cache

    def backward(self, dY, cache=None):
        cache = self._last(cache)
        x, y, (sx, sy, so) = cache["x"], cache["y"], cache["subscripts"]
        dY = np.asarray(dY)
        if cache["out_ndim"] == 1:
            dY = dY[:, 0]
        dx = np.einsum(f"{so},{sy}->{sx}", dY, y, optimize=True)   # (shape of x)
        dy = np.einsum(f"{so},{sx}->{sy}", dY, x, optimize=True)   # (shape of y)
        if self.normalize:                               # back through v / |v|: (dv - v_hat (dv . v_hat)) / |v|
            (ax, ay), (norm_x, norm_y) = cache["axes"], cache["norms"]
            dx = (dx - x * np.sum(dx * x, axis=ax, keepdims=True)) / norm_x
            dy = (dy - y * np.sum(dy * y, axis=ay, keepdims=True)) / norm_y
        return [dx, dy]

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return dict(axes=list(self.axes), normalize=self.normalize, name=self.name)
