"""Which implementation runs the recurrences: ``"reference"`` (NumPy), ``"cython"`` or ``"numba"``.

Every backend provides the same six functions with the reference's signatures
(``lstm_forward``/``lstm_backward``, ``gru_*``, ``rnn_*``). ``"auto"`` picks the fastest one that
imports: cython, then numba, then the reference (with one warning if a compiled backend was asked
for and is missing). Nothing here imports numba or a compiled module until a backend is used.
"""
import importlib
import importlib.util
import warnings

BACKENDS = ("reference", "cython", "numba")
_MODULES = {
    "reference": {"lstm": "lstmx.lstm", "gru": "lstmx.gru", "rnn": "lstmx.rnn"},
    "cython": {"lstm": "lstmx._kernels.lstm_cython", "gru": "lstmx._kernels.gru_cython",
               "rnn": "lstmx._kernels.rnn_cython"},
    "numba": {"lstm": "lstmx._kernels.lstm_numba", "gru": "lstmx._kernels.gru_numba",
              "rnn": "lstmx._kernels.rnn_numba"},
}
_warned = set()
_broken = {}
_working = set()
_functions = {}


def _importable(backend):
    if backend in _broken:
        return False
    if backend in _working:   # checked once: the imports are not repeated on every call
        return True
    if backend == "reference":
        return True
    if backend == "numba" and importlib.util.find_spec("numba") is None:
        _broken[backend] = "numba is not installed"
        return False
    try:
        for name in _MODULES[backend].values():
            importlib.import_module(name)
    except ImportError as exc:  # extension not built, or numba missing
        _broken[backend] = str(exc)
        return False
    _working.add(backend)
    return True


def backends():
    """The backends that work here, fastest first, e.g. ``["cython", "numba", "reference"]``."""
    return [b for b in ("cython", "numba", "reference") if _importable(b)]


def check_name(backend):
    """Return ``backend`` if it is ``"auto"`` or a backend's name, else raise ValueError listing them.
    Imports nothing: a layer checks its ``backend=`` when it is made, the kernels load at first use."""
    if backend != "auto" and backend not in BACKENDS:
        raise ValueError(f"backend must be one of 'auto', {', '.join(map(repr, BACKENDS))}; got {backend!r}")
    return backend


def resolve(backend):
    """Turn ``"auto"`` or a backend's name into one that works, warning once if it must fall back."""
    if backend == "auto":
        for b in ("cython", "numba"):
            if _importable(b):
                return b
        _warn_once("auto", "no compiled backend is available (%s); using the NumPy reference"
                   % "; ".join(f"{b}: {_broken.get(b)}" for b in ("cython", "numba")))
        return "reference"
    check_name(backend)
    if _importable(backend):
        return backend
    _warn_once(backend, f"backend {backend!r} is not available ({_broken[backend]}); using the NumPy reference")
    return "reference"


def kernel(backend, cell, direction):
    """The function ``{cell}_{direction}`` (e.g. ``lstm_forward``) of a resolved backend."""
    key = (backend, cell, direction)
    if key not in _functions:
        module = importlib.import_module(_MODULES[backend][cell])
        _functions[key] = getattr(module, f"{cell}_{direction}")
    return _functions[key]


def _warn_once(key, message):
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=4)
