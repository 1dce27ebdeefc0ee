"""NumPy's BLAS on one thread while a model runs: lstmx's kernels bring their own two threads.

Why: after a multi-threaded product, OpenBLAS's worker threads spin for a while (about 0.1 s)
waiting for the next one, and the OpenMP threads of lstmx's kernels (the recurrent layers' two
halves of the batch, the fused Adam update) likewise spin after their own parallel loops. When
both pools are awake, more threads than cores share the machine, and a kernel that splits its work
in two waits for its slower half. On the 2-core benchmark machine an LSTM forward at (256, 50, 128,
64) took 7.0 ms alone and 24 ms with one threaded 256 x 128 x 64 product after it (a product of
about 25 us); switching BLAS to one thread and back around the product did not help, since the
switch itself woke the pool. Holding NumPy's BLAS (the one the Python layers' products use) at one
thread for the whole run does: scoring the IMDB model with a ``Dense(64, relu)`` after the LSTM went
from 1.32 to 0.64 s per 2,560 reviews (``benchmarks/README.md`` has the measurements).

The thread count is set through threadpoolctl, imported on first use (``import lstmx`` stays
light); without threadpoolctl the run goes as NumPy's BLAS is configured.
"""
import contextlib
import os
import threading

HOLD = True          # False: leave NumPy's BLAS as it is (benchmarks/bench_blas_threads.py compares both)
_libraries = None    # threadpoolctl's controllers of the BLAS libraries to hold, found on first use
_lock = threading.Lock()
_depth = 0           # nested runs (a callback that calls model.predict inside fit) hold them once
_saved_threads = []


def _numpy_blas():
    """The BLAS libraries that came with NumPy (its wheel's ``numpy.libs`` or ``numpy/.dylibs``).

    The compiled kernels call SciPy's BLAS (``scipy.linalg.cython_blas``, which Numba uses too), so
    when the two are separate libraries the kernels' own large products keep every BLAS thread. A
    NumPy without a BLAS of its own shares one with SciPy (conda, system packages): then that one is
    held, kernels included. Without threadpoolctl, none (the run goes as BLAS is configured)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    import numpy as np
    numpy_dir = os.path.dirname(os.path.realpath(np.__file__))
    libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    own = [lib for lib in libraries
           if os.path.realpath(lib.filepath).startswith((numpy_dir + os.sep, numpy_dir + ".libs" + os.sep))]
    return own or libraries


@contextlib.contextmanager
def one_blas_thread():
    """Hold NumPy's BLAS at one thread inside the ``with`` block; restore it after."""
    global _libraries, _depth, _saved_threads
    if not HOLD:
        yield
        return
    with _lock:
        if _libraries is None:
            _libraries = _numpy_blas()
        _depth += 1
        if _depth == 1:
            _saved_threads = [lib.num_threads for lib in _libraries]
            for lib in _libraries:
                lib.set_num_threads(1)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for lib, threads in zip(_libraries, _saved_threads):
                    lib.set_num_threads(threads)
