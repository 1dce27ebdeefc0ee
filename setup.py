"""Build the Cython kernels in lstmx/_kernels.

The kernels are compiled for the machine that builds them (``-march=native``) with ``-ffast-math``,
which lets gcc call glibc's vectorised ``expf``/``tanhf`` (libmvec) in the gate loops: about 20x
faster than scalar calls. Set ``LSTMX_PORTABLE=1`` to build without both (for a wheel that moves
between machines).

Set ``LSTMX_BOUNDSCHECK=1`` when building to compile the kernels with Cython's
``boundscheck`` and ``wraparound`` on (slow; for running the kernel tests under a
bounds-checked build)::

    LSTMX_BOUNDSCHECK=1 pip install -e . --no-build-isolation

Set ``LSTMX_SANITIZE=address`` to compile them with AddressSanitizer, which reports (and ends the
run at) any read or write past an array, in the .pyx loops and in the C++ headers alike. It builds
into a folder of its own and never in place (an instrumented kernel only loads with libasan
preloaded); ``tools/run_sanitized_tests.sh`` builds it and runs the kernel tests under it::

    LSTMX_SANITIZE=address python setup.py build_ext --build-lib build/asan/ext --build-temp build/asan/temp
"""
import os
import platform

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

checked = os.environ.get("LSTMX_BOUNDSCHECK", "0") not in ("", "0")
directives = {
    "language_level": 3,
    "boundscheck": checked,
    "wraparound": checked,
    "initializedcheck": checked,
    "cdivision": True,
}
portable = os.environ.get("LSTMX_PORTABLE", "0") not in ("", "0")
# The row loops read and write several arrays; gcc vectorises them behind runtime checks that they
# do not overlap, and gives up past 10 such checks unless told otherwise.
compile_args = ["-O3", "--param=vect-max-version-for-alias-checks=64", "-fopenmp"]
if not portable:
    compile_args += ["-march=native", "-ffast-math"]
    # gcc tunes some AVX-512 processors (Intel's, as gcc 12 names this one: rocketlake) to 256-bit
    # vectors in the loops it vectorises itself; the row loops and their libmvec calls run 1.5x faster
    # at 512 bits (benchmarks/prototypes/row_kernel_rates.cpp). Without AVX-512 the flag changes nothing.
    if platform.machine().lower() in ("x86_64", "amd64"):
        compile_args += ["-mprefer-vector-width=512"]
link_args = ["-fopenmp"] + ([] if portable else ["-lmvec", "-lm"])
sanitize = os.environ.get("LSTMX_SANITIZE", "")
if sanitize not in ("", "address"):
    raise SystemExit(f"LSTMX_SANITIZE={sanitize!r}: only 'address' (AddressSanitizer) is supported")
if sanitize:
    compile_args += ["-fsanitize=address", "-fno-omit-frame-pointer"]
    link_args += ["-fsanitize=address"]
kernels = ["lstm_cython", "gru_cython", "rnn_cython", "adam_cython", "word2vec_cython", "checks_cython"]
extensions = [
    Extension(
        f"lstmx._kernels.{name}",
        [f"lstmx/_kernels/{name}.pyx"],
        include_dirs=[np.get_include(), "lstmx/_kernels"],
        language="c++",
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                       ("LSTMX_BOUNDSCHECK", int(checked))],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
    )
    for name in kernels
]
# The generated C++ of a bounds-checked build goes to its own folder: cythonize regenerates a file
# only when its .pyx is newer, so sharing lstmx/_kernels/*.cpp would let a change of the switch
# either way go unnoticed (a "checked" build of unchecked code, or a normal build left checked).
# (An ASan build's C++ goes to its own folder too, so that it never writes the normal build's files.)
build_dir = None
if checked or sanitize:
    build_dir = "build/cython" + ("-asan" if sanitize else "") + ("-boundscheck" if checked else "")


class BuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:      # compile the six modules side by side (build_ext -j N still wins)
            self.parallel = os.cpu_count() or 1

    def run(self):
        if sanitize and (self.inplace or getattr(self, "editable_mode", False)):
            raise SystemExit("LSTMX_SANITIZE builds the kernels apart (an instrumented kernel only loads with libasan "
                             "preloaded): run tools/run_sanitized_tests.sh, or build_ext --build-lib DIR, not in place")
        super().run()


setup(ext_modules=cythonize(extensions, compiler_directives=directives, build_dir=build_dir,
                            nthreads=os.cpu_count() or 1),
      cmdclass={"build_ext": BuildExt})
