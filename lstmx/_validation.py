"""Checks at the Python boundary: every array is validated here before any math or kernel sees it.

Messages name what was expected and what came, so a user can fix the call without reading code.
"""
import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


class NonFiniteError(ValueError):
    """An array holds NaN or inf; ``name`` is the argument's name (``"X"``, ``"W"``, ``"h0"`` ...),
    so that a caller (a layer, a function with ``check_finite``) can say what to do about it."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name


def non_finite_error(name, arr):
    """NonFiniteError for ``arr``, naming how many values are not finite and where the first is."""
    bad = ~np.isfinite(arr)
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
    count = int(bad.sum())
    where = f" at index {first}" + (f" and {count - 1:,} more" if count > 1 else "") if arr.ndim else ""
    return NonFiniteError(name, f"{name} contains NaN or inf{where}")


def check_dtype(dtype):
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise TypeError."""
    dt = np.dtype(dtype)
    if dt.type not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def check_positive_int(name, value):
    """Raise ValueError unless ``value`` is an int >= 1 (sizes such as ``hidden_size``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def check_nonnegative_int(name, value):
    """Raise ValueError unless ``value`` is an int >= 0 (counts such as ``epochs`` or ``patience``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def as_float_array(name, a, shape, dtype, check_finite=True, desc=None):
    """Validate ``a`` and return it as a C-contiguous array of ``dtype``.

    Parameters
    ----------
    name : str
        The argument's name, used in error messages.
    a : array_like
        Integer, boolean and object arrays are refused (TypeError): a float array is expected.
    shape : tuple
        Expected shape; ``None`` entries match any size. The rank must match exactly.
    dtype : numpy dtype
        float32 or float64; float input of the other precision is converted to it.
    check_finite : bool
        Raise :class:`NonFiniteError` (a ValueError) if ``a`` holds NaN or inf.
    desc : str, optional
        The expected shape in words, e.g. ``"(4H, I)"``, added to error messages.
    """
    checks = _compiled_checks()
    if checks:
        same = checks.valid_as_is(a, shape, dtype, check_finite)   # the usual case, in one compiled call
        if same is not None:
            return same
    want = lambda: _fmt(shape) if desc is None else f"{desc} = {_fmt(shape)}"   # built only for an error
    arr = np.asarray(a)
    if arr.dtype.kind != "f":
        raise TypeError(f"{name} must be a float array (float32 or float64), got dtype {arr.dtype}")
    if arr.dtype.type not in FLOAT_DTYPES:   # float16, longdouble: converting would hide a loss or a mistake
        raise TypeError(f"{name} must be a float32 or float64 array, got dtype {arr.dtype}: "
                        f"convert it first, e.g. {name}.astype(np.{np.dtype(dtype).name})")
    if arr.ndim != len(shape):
        raise ValueError(f"{name} must have {len(shape)} dimensions {want()}, "
                         f"got {arr.ndim} dimensions with shape {arr.shape}")
    if arr.shape != shape:    # (a shape with a None in it: compare size by size)
        for got, size in zip(arr.shape, shape):
            if size is not None and got != size:
                raise ValueError(f"{name} must have shape {want()}, got {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if check_finite and not all_finite(arr):
        raise non_finite_error(name, arr)
    return arr


def float_dtype_like(a):
    """float64 for a float64 array, else float32: the precision of a layer without a dtype of its own."""
    return np.dtype(np.float64) if getattr(a, "dtype", None) == np.float64 else np.dtype(np.float32)


def as_sequence_array(name, X, dtype, check_finite=True):
    """Validate a (batch, time, features) float array like :func:`as_float_array`, but also take it
    without a copy when its memory is time-major: ``X.transpose(1, 0, 2)`` C-contiguous, the layout
    the compiled kernels run on (an Embedding's output, or a time-reversed input, comes that way).
    """
    if (isinstance(X, np.ndarray) and X.ndim == 3 and not X.flags.c_contiguous
            and X.transpose(1, 0, 2).flags.c_contiguous):
        X_tm = as_float_array(name, X.transpose(1, 0, 2), (None, None, None), dtype, check_finite,
                              "(time, batch, features) in memory")
        return X_tm.transpose(1, 0, 2)
    return as_float_array(name, X, (None, None, None), dtype, check_finite, "(batch, time, features)")


def all_finite(arr):
    """True when a C-contiguous float array holds no NaN or inf: the compiled one-pass check when the
    extension is built (a seventh of the time at batch-1 sizes), else NumPy's."""
    checks = _compiled_checks()
    if checks:
        try:
            return checks.all_finite(arr)
        except (TypeError, ValueError, BufferError):   # not float32/float64, or not C-contiguous
            pass
    return bool(np.isfinite(arr).all())


def _compiled_checks():
    """The compiled checks (:mod:`lstmx._kernels.checks_cython`), or False when the extension is not
    built. Resolved on first use: importing lstmx loads no extension."""
    global _checks
    if _checks is None:
        try:
            from ._kernels import checks_cython as _checks
        except ImportError:
            _checks = False
    return _checks


_checks = None


def as_mask(mask, batch, steps):
    """Validate a ``(batch, steps)`` mask of bools and return it C-contiguous, or None.

    Integer 0/1 arrays are accepted (as Keras does); anything else is a TypeError.
    """
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype.kind not in "biu":
        raise TypeError(f"mask must be a boolean array, got dtype {m.dtype}")
    if m.shape != (batch, steps):
        raise ValueError(f"mask must have shape (batch, time) = ({batch}, {steps}), got {m.shape}")
    if m.dtype.kind != "b":
        if not np.isin(m, (0, 1)).all():
            raise ValueError("an integer mask may hold only 0 and 1")
    return np.ascontiguousarray(m, dtype=bool)


def _fmt(shape):
    return "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
