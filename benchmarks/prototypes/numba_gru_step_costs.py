"""Measurement, not part of lstmx: where the Numba GRU forward's time goes at (32, 100, 128, 128).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/prototypes/numba_gru_step_costs.py

The one row of ``lstmx bench`` where Numba is more than twice as slow as Cython (2.07-2.14 in the
runs of 2026-12-06). Printed as JSON lines, best of 15 calls (ms) in one process, taking turns:

- ``whole``: ``gru_numba.gru_forward`` and ``gru_cython.gru_forward``, the wrappers included;
- ``alternating``: the same two, medians of 40 calls each, in strict alternation and then each in a
  block of its own: after a call, OpenBLAS's worker (Numba's products) or the Cython kernel's OpenMP
  thread keeps spinning on the other core, and the other backend's next call meets it;
- ``parts``: the Numba loop of ``gru_numba._forward`` with only some of its parts: the input
  projection (one GEMM, all steps), the 100 step products (OpenBLAS, then ``transpose_into``), the
  transposes alone, the 100 x 32 row loops, and all of them;
- ``projection_chunks``: the whole loop with the input projection made a few steps at a time inside it;
- ``sgemm``: the step's product alone through SciPy's ``sgemm`` (the OpenBLAS that Numba's ``np.dot``
  calls), us a call, in each orientation and transposition: C of (3H, B) column-major is ``ah``
  (B, 3H) as the rows want it, C of (B, 3H) column-major is its transpose.

The row loops with 512-bit vectors: LLVM prefers 256-bit ones on these CPUs (tuning feature
``prefer-256-bit``); Numba takes one feature string for the whole process, so compare with a second
run::

    CPU=$(python -c "import llvmlite.binding as l; print(l.get_host_cpu_name())")
    FEATURES=$(python -c "import llvmlite.binding as l; print(l.get_host_cpu_features().flatten())")
    NUMBA_CPU_NAME=$CPU NUMBA_CPU_FEATURES="$FEATURES,-prefer-256-bit" NUMBA_CACHE_DIR=/tmp/numba-512 \
        python benchmarks/prototypes/numba_gru_step_costs.py

2026-12-06, 2-core Intel Xeon (KVM, AVX-512, 2 MiB L2 a core), two runs: whole 4.73-5.05 against
Cython's 2.19-2.31; projection 0.98-1.06, step products 2.13-2.33 (transposes 0.29-0.32), rows
0.60-0.65, all 4.25-4.67; projection in chunks of 4, 8, 16, 32 steps 5.0-5.2, 5.0-5.1, 4.6-4.8,
4.5-4.6 against 4.4-4.5 in one; sgemm 22.4-26.1 us a call for a (3H, B) column-major result, 14.4-16.2
for (B, 3H). With 512-bit vectors: rows 0.60-0.62, the whole forward 1.92-2.04 of Cython's against
2.06-2.13 (six runs in turns). In strict alternation, medians of 40 calls, four runs: Numba 7.9-8.3
against 4.4-4.8 in blocks, Cython 4.0, 4.9, 8.0 and 36 against 2.1-2.3. Read in ``benchmarks/README.md``,
section "The two goals still open".
"""
import json
import time

import numpy as np
from numba import njit
from scipy.linalg import blas

from lstmx._kernels import gru_cython, gru_numba
from lstmx._kernels._layout import time_major
from lstmx._kernels._numba_math import JIT
from lstmx._kernels._numba_product import step_operands, step_product, transpose_into

PROJECTION, PRODUCT, ROWS, TRANSPOSE = 1, 2, 4, 8


@njit(**JIT)
def forward_parts(X_tm, W, U, b, b_hn, hs, gates, hns, parts):
    """gru_numba._forward's loop (no mask, no dropout) making only the parts asked for."""
    T, B, I = X_tm.shape
    H = U.shape[1]
    if parts & PROJECTION:
        np.dot(X_tm.reshape(T * B, I), W.T, gates.reshape(T * B, 3 * H))
    ah = np.zeros((B, 3 * H), X_tm.dtype)     # zeros: the rows alone must not meet NaN or subnormal garbage
    how, UT, ahT = step_operands(U, B, False)
    for t in range(T):
        if parts & PRODUCT:
            step_product(hs[t], U, UT, ah, ahT, how)
        if parts & TRANSPOSE:
            transpose_into(ahT, ah)
        if parts & ROWS:
            for n in range(B):
                gru_numba._row_forward(gates[t, n], b, ah[n], b_hn, hs[t, n], hns[t, n], hs[t + 1, n], H)


@njit(**JIT)
def forward_projection_in_chunks(X_tm, W, U, b, b_hn, hs, gates, hns, chunk):
    """The whole loop with the input projection made ``chunk`` steps at a time inside it, so that the
    rows find their gates in cache rather than in L3 (4.9 MB of them at this size)."""
    T, B, I = X_tm.shape
    H = U.shape[1]
    ah = np.zeros((B, 3 * H), X_tm.dtype)
    how, UT, ahT = step_operands(U, B, False)
    for t in range(T):
        if t % chunk == 0:
            end = min(t + chunk, T)
            np.dot(X_tm[t:end].reshape((end - t) * B, I), W.T, gates[t:end].reshape((end - t) * B, 3 * H))
        step_product(hs[t], U, UT, ah, ahT, how)
        for n in range(B):
            gru_numba._row_forward(gates[t, n], b, ah[n], b_hn, hs[t, n], hns[t, n], hs[t + 1, n], H)


def best_ms(call, repeats=15):
    call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return round(best * 1e3, 3)


def median_ms_of(calls, rounds=40, alternate=True):
    """Medians (ms) of each call, made in turns (a, b, a, b, ...) or each in a block of its own."""
    times = {name: [] for name in calls}
    order = [(name, call) for _ in range(rounds) for name, call in calls.items()] if alternate else \
        [(name, call) for name, call in calls.items() for _ in range(rounds)]
    for name, call in order:
        start = time.perf_counter()
        call()
        times[name].append(time.perf_counter() - start)
    return {name: round(float(np.median(t)) * 1e3, 3) for name, t in times.items()}


def best_us_a_call(call, calls=3000, repeats=5):
    call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - start) / calls)
    return round(best * 1e6, 2)


def main(B=32, T=100, I=128, H=128):
    rng = np.random.default_rng(0)
    f32 = np.float32
    X = (0.5 * rng.standard_normal((B, T, I))).astype(f32)
    W = (0.1 * rng.standard_normal((3 * H, I))).astype(f32)
    U = (0.1 * rng.standard_normal((3 * H, H))).astype(f32)
    b, b_hn, h0 = np.zeros(3 * H, f32), np.zeros(H, f32), np.zeros((B, H), f32)
    X_tm = time_major(X)
    hs, gates, hns = np.zeros((T + 1, B, H), f32), np.empty((T, B, 3 * H), f32), np.empty((T, B, H), f32)
    size = dict(B=B, T=T, I=I, H=H)

    whole = {"numba": lambda: gru_numba.gru_forward(X, W, U, b, b_hn, h0, None),
             "cython": lambda: gru_cython.gru_forward(X, W, U, b, b_hn, h0, None)}
    parts = {"projection": PROJECTION, "step products": PRODUCT, "transposes alone": TRANSPOSE,
             "rows": ROWS, "step products and rows": PRODUCT | ROWS, "all": PROJECTION | PRODUCT | ROWS}
    for _ in range(2):          # two passes, each taking turns
        print(json.dumps(dict(bench="numba_gru_whole", **size,
                              **{name: best_ms(call) for name, call in whole.items()})))
        print(json.dumps(dict(bench="numba_gru_parts", **size, **{
            name: best_ms(lambda p=p: forward_parts(X_tm, W, U, b, b_hn, hs, gates, hns, p))
            for name, p in parts.items()})))
        print(json.dumps(dict(bench="numba_gru_projection_chunks", **size, **{
            f"{chunk} steps": best_ms(
                lambda c=chunk: forward_projection_in_chunks(X_tm, W, U, b, b_hn, hs, gates, hns, c))
            for chunk in (4, 8, 16, 32, T)})))

    for alternate in (True, False):
        time.sleep(0.3)
        print(json.dumps(dict(bench="numba_gru_alternating" if alternate else "numba_gru_in_blocks", **size,
                              **median_ms_of(whole, alternate=alternate))))

    h = rng.standard_normal((B, H)).astype(f32)
    UT, hT = np.ascontiguousarray(U.T), np.ascontiguousarray(h.T)
    ah_cm = np.empty((3 * H, B), f32, order="F")    # column-major (3H, B): ah (B, 3H) row-major
    ahT_cm = np.empty((B, 3 * H), f32, order="F")   # column-major (B, 3H): ahT (3H, B) row-major
    # SciPy's sgemm is column-major: a C-ordered array is passed as its transpose (an F-ordered view)
    orientations = {
        "C (3H,B) = U h^T, A = U transposed": lambda: blas.sgemm(1.0, U.T, h.T, c=ah_cm, overwrite_c=1, trans_a=1),
        "C (3H,B) = U h^T, A = copy of U.T": lambda: blas.sgemm(1.0, UT.T, h.T, c=ah_cm, overwrite_c=1),
        "C (3H,B) = U h^T, B = copy of h.T": lambda: blas.sgemm(1.0, U.T, hT.T, c=ah_cm, overwrite_c=1,
                                                               trans_a=1, trans_b=1),
        "C (B,3H) = h U^T, A = h transposed": lambda: blas.sgemm(1.0, h.T, U.T, c=ahT_cm, overwrite_c=1, trans_a=1),
        "C (B,3H) = h U^T, A = copy of h.T": lambda: blas.sgemm(1.0, hT.T, U.T, c=ahT_cm, overwrite_c=1),
    }
    print(json.dumps(dict(bench="numba_gru_step_sgemm_us", **size,
                          **{name: best_us_a_call(call) for name, call in orientations.items()})))


if __name__ == "__main__":
    main()
