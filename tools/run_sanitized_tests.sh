#!/usr/bin/env bash
# The kernel tests with every out-of-bounds access failing the run:
#  - the Cython kernels compiled with AddressSanitizer (LSTMX_SANITIZE=address: the .pyx loops, the C++
#    headers they include, every pointer) and with Cython's boundscheck (LSTMX_BOUNDSCHECK=1: an index
#    past one axis of a memoryview, which ASan misses while it stays inside the array). ASan ends the
#    run at its first report; a Cython IndexError in a noexcept loop is only "ignored", so pytest is
#    told to fail a test on it (-W error::pytest.PytestUnraisableExceptionWarning);
#  - the Numba kernels compiled with NUMBA_BOUNDSCHECK=1 (an IndexError), into a Numba cache of their
#    own (Numba's cache key does not record the switch: the usual cache would hand back unchecked code).
# BLAS itself (SciPy's OpenBLAS) is not instrumented: an access it makes past an array is not caught.
#
# Everything goes to build/asan/: the instrumented extensions (ext/, temp/, incremental), a copy of the
# package with them (lib/, made afresh each run), the Numba cache. The normal in-tree build, its .so and
# .cpp files, are never touched. Python itself is not instrumented; libasan is preloaded into it.
#
#   tools/run_sanitized_tests.sh                          # the kernel, validation, word2vec and workspace tests
#   tools/run_sanitized_tests.sh tests/test_kernels.py -k lstm -x     # other pytest arguments
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/asan
libasan=$(gcc -print-file-name=libasan.so)
if [ ! -e "$libasan" ]; then
    echo "run_sanitized_tests.sh: gcc has no libasan.so (Debian/Ubuntu: apt-get install libasan8 or gcc)" >&2
    exit 2
fi
if [ $# -eq 0 ]; then
    set -- tests/test_kernels.py tests/test_kernels_full_range.py tests/test_validation.py tests/test_word2vec.py \
        tests/test_word2vec_files.py tests/test_workspace.py
fi

start=$SECONDS
mkdir -p "$out"
if ! LSTMX_SANITIZE=address LSTMX_BOUNDSCHECK=1 python setup.py -q build_ext -j "$(nproc)" \
        --build-lib "$out/ext" --build-temp "$out/temp" > "$out/build.log" 2>&1; then
    tail -n 60 "$out/build.log" >&2
    echo "run_sanitized_tests.sh: the instrumented build failed (all of it in $out/build.log)" >&2
    exit 1
fi
rm -rf "$out/lib" "$out/numba-cache" "$out"/report.*
python - "$out" <<'PY'
import glob, os, shutil, sys
out = sys.argv[1]
shutil.copytree("lstmx", f"{out}/lib/lstmx", ignore=shutil.ignore_patterns("*.so", "*.cpp", "*.html", "__pycache__"))
for so in glob.glob(f"{out}/ext/lstmx/_kernels/*.so"):
    shutil.copy2(so, f"{out}/lib/lstmx/_kernels/")
PY
echo "run_sanitized_tests.sh: instrumented build and package copy in $((SECONDS - start)) s" >&2

start=$SECONDS
# python -P: the current directory (with the normal lstmx in it) does not go ahead of the copy
status=0
env LD_PRELOAD="$libasan" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$PWD/$out/report:${ASAN_OPTIONS:-}" \
    PYTHONPATH="$PWD/$out/lib:$PWD/tools${PYTHONPATH:+:$PYTHONPATH}" \
    LSTMX_SANITIZED_LIB="$PWD/$out/lib" \
    NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR="$PWD/$out/numba-cache" \
    python -P -m pytest -p sanitized_pytest_plugin -p no:cacheprovider \
        -W error::pytest.PytestUnraisableExceptionWarning "$@" || status=$?
# ASan writes its report to a file: pytest captures stderr, and the abort ends the run before it is shown
for report in "$out"/report.*; do
    [ -e "$report" ] && { echo "run_sanitized_tests.sh: AddressSanitizer's report ($report):" >&2; cat "$report" >&2; }
done
echo "run_sanitized_tests.sh: tests in $((SECONDS - start)) s, exit status $status" >&2
exit $status
