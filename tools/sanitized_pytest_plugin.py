"""pytest plugin of tools/run_sanitized_tests.sh: refuse to run unless the tests will exercise the
instrumented kernels (a silent fallback to the normal build, or to the reference backend, would
pass while checking nothing)."""
import glob
import os

import pytest


def pytest_configure(config):
    import numba

    import lstmx
    from lstmx import dispatch
    from lstmx._kernels import _workspace

    lib = os.path.realpath(os.environ["LSTMX_SANITIZED_LIB"])
    problems = []
    if not os.path.realpath(lstmx.__file__).startswith(lib + os.sep):
        problems.append(f"lstmx comes from {lstmx.__file__}, not from the sanitized copy in {lib}")
    for backend in ("cython", "numba"):
        if backend not in lstmx.backends():
            problems.append(f"the {backend} backend does not load: {dispatch._broken.get(backend)}")
    for pyx in sorted(glob.glob(os.path.join(lib, "lstmx", "_kernels", "*_cython.pyx"))):
        name = os.path.basename(pyx)[:-4]
        module = __import__(f"lstmx._kernels.{name}", fromlist=["_"])
        if not os.path.realpath(module.__file__).startswith(lib + os.sep):
            problems.append(f"{name} comes from {module.__file__}")
    if _workspace._ASAN is None:
        problems.append("AddressSanitizer's runtime is not loaded (LD_PRELOAD of libasan.so)")
    if not numba.config.BOUNDSCHECK:
        problems.append("Numba's bounds checks are off (NUMBA_BOUNDSCHECK=1)")
    if problems:
        raise pytest.UsageError("the sanitized run would not test the sanitized kernels:\n  " + "\n  ".join(problems))


def pytest_report_header(config):
    return [f"sanitized kernels: {os.environ['LSTMX_SANITIZED_LIB']} (AddressSanitizer, Cython boundscheck), "
            f"NUMBA_BOUNDSCHECK=1, Numba cache {os.environ.get('NUMBA_CACHE_DIR')}"]
