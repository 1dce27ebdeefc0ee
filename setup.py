"""Build the Cython kernels in lstmx/_kernels.

Set ``LSTMX_BOUNDSCHECK=1`` when building to compile the kernels with Cython's
``boundscheck`` and ``wraparound`` on (slow; for running the kernel tests under a
bounds-checked build)::

    LSTMX_BOUNDSCHECK=1 pip install -e . --no-build-isolation
"""
import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

checked = os.environ.get("LSTMX_BOUNDSCHECK", "0") not in ("", "0")
directives = {
    "language_level": 3,
    "boundscheck": checked,
    "wraparound": checked,
    "initializedcheck": checked,
    "cdivision": True,
}
kernels = []  # filled as the Cython kernels land
extensions = [
    Extension(
        f"lstmx._kernels.{name}",
        [f"lstmx/_kernels/{name}.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                       ("LSTMX_BOUNDSCHECK", int(checked))],
        extra_compile_args=["-O3"],
    )
    for name in kernels
]
setup(ext_modules=cythonize(extensions, compiler_directives=directives))
