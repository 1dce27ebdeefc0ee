"""Weight initialisation as Keras does it, seeded."""
import numpy as np


def glorot_uniform(rng, fan_out, fan_in, dtype):
    """``(fan_out, fan_in)`` matrix drawn from U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).

    Keras computes the fans of its kernel ``(input_size, G*H)``; our ``W`` is its transpose
    ``(G*H, input_size)``, so the fans are the same numbers.
    """
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_out, fan_in)).astype(dtype)


def orthogonal(rng, rows, cols, dtype):
    """``(rows, cols)`` matrix with orthonormal columns (rows >= cols) or rows, as Keras's Orthogonal.

    Keras draws its recurrent kernel ``(H, G*H)`` with orthonormal rows; our ``U`` is its transpose
    ``(G*H, H)``, with orthonormal columns.
    """
    big, small = max(rows, cols), min(rows, cols)
    a = rng.standard_normal((big, small))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # makes the decomposition unique, so the draw is uniform
    if rows < cols:
        q = q.T
    return q.astype(dtype)
