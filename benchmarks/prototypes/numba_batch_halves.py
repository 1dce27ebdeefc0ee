"""Measurement, not part of lstmx: the Numba LSTM forward on two threads, each on half of the batch.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/prototypes/numba_batch_halves.py

Numba's time loop asks OpenBLAS for one product a step; OpenBLAS splits that small product between
its two threads (packing U again at every call), and the row loop after it runs on one core. Here,
as the Cython kernels do, the caller and one worker thread each run the whole time loop on half of
the sequences, each asking a one-thread BLAS for its half's product (SciPy's OpenBLAS, the one
Numba's ``np.dot`` calls, held at one thread through threadpoolctl); the input projection is made
first, each thread taking half of the steps. Printed: medians of 30 calls (ms), alone and with
Numba's backward between the forwards (training).

2026-12-06, 2-core Intel Xeon (KVM, AVX-512, 2 MiB L2 a core), LSTM forward:

- alone: (32, 100, 128, 128) 4.7-5.2 against 5.4-6.1 (Cython 2.8-3.2); the GRU there 3.6-3.9 against
  4.2-4.6 (Cython 2.1-2.3); (64, 50, 256, 256) 14.1-15.1 against 14.8-16.5; (16, 100, 64, 64) 0.85-1.3
  against 0.92-1.03; (32, 100, 512, 512) 65-68 against 61-65. Up to 15% faster where each half has 16
  rows or more and U fits L2.
- between backward passes (Numba's, with OpenBLAS on two threads): 9.5-10.1 against 6.0-6.5 at
  (32, 100, 128, 128), 30.1 against 16.4 at (64, 50, 256, 256), 112 against 59 at (32, 100, 512,
  512): OpenBLAS's worker, still spinning from the backward's products, takes a core from one of the
  two halves. With the backward's BLAS held at one thread as well: 7.2 against 6.0-6.6 at
  (32, 100, 128, 128), the backward 12.3 against 11.9-12.2.

So the halves would only win in a forward-only loop, and lose in training: not kept.
"""
import os
import queue
import threading
import time

import numpy as np
from numba import njit
from threadpoolctl import ThreadpoolController

from lstmx._kernels import lstm_cython, lstm_numba
from lstmx._kernels._layout import time_major
from lstmx._kernels._numba_math import JIT
from lstmx._kernels._numba_product import step_operands, step_product

import scipy

SCIPY_DIR = os.path.realpath(os.path.dirname(scipy.__file__))
scipy_blas = [lib for lib in ThreadpoolController().select(user_api="blas").lib_controllers
              if os.path.realpath(lib.filepath).startswith((SCIPY_DIR + os.sep, SCIPY_DIR + ".libs" + os.sep))]


@njit(**JIT)
def projection(X_tm, W, gates, t0, t1):
    T, B, I = X_tm.shape
    np.dot(X_tm[t0:t1].reshape((t1 - t0) * B, I), W.T, gates[t0:t1].reshape((t1 - t0) * B, W.shape[0]))


@njit(**JIT)
def loop(U, b, hs, cs, gates, n0, n1):
    T = gates.shape[0]
    H = U.shape[1]
    ah = np.empty((n1 - n0, 4 * H), gates.dtype)
    transposed, UT, ahT = step_operands(U, n1 - n0)
    for t in range(T):
        step_product(hs[t, n0:n1], U, UT, ah, ahT, transposed)
        for n in range(n0, n1):
            lstm_numba._row_forward(gates[t, n], ah[n - n0], b, cs[t, n], cs[t + 1, n], hs[t + 1, n], H)


jobs = queue.SimpleQueue()


def serve():
    while True:
        job, done = jobs.get()
        job()
        done.set()


threading.Thread(target=serve, daemon=True).start()


def forward_halves(X, W, U, b, h0, c0):
    B, T, I = X.shape
    H = U.shape[1]
    X_tm = time_major(X)
    hs, cs = np.empty((T + 1, B, H), X.dtype), np.empty((T + 1, B, H), X.dtype)
    gates = np.empty((T, B, 4 * H), X.dtype)
    hs[0], cs[0] = h0, c0
    barrier, done = threading.Barrier(2), threading.Event()

    def second():
        projection(X_tm, W, gates, T // 2, T)
        barrier.wait()
        loop(U, b, hs, cs, gates, B // 2, B)

    saved = [lib.num_threads for lib in scipy_blas]
    for lib in scipy_blas:
        lib.set_num_threads(1)
    jobs.put((second, done))
    projection(X_tm, W, gates, 0, T // 2)
    barrier.wait()
    loop(U, b, hs, cs, gates, 0, B // 2)
    done.wait()
    for lib, threads in zip(scipy_blas, saved):
        lib.set_num_threads(threads)
    cache = dict(X=X, X_tm=X_tm, W=W, U=U, hs=hs, cs=cs, gates=gates, mask=None, recurrent_keep=None, hs_kept=None)
    return hs[1:].transpose(1, 0, 2), (hs[T], cs[T]), cache


def median_ms(f, n=30):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return np.median(times) * 1e3


def main():
    rng = np.random.default_rng(0)
    for B, T, I, H in [(32, 100, 128, 128), (64, 50, 256, 256), (16, 100, 64, 64), (32, 100, 512, 512)]:
        X = rng.standard_normal((B, T, I), dtype=np.float32)
        W = (rng.standard_normal((4 * H, I)) / np.sqrt(I)).astype(np.float32)
        U = (rng.standard_normal((4 * H, H)) / np.sqrt(H)).astype(np.float32)
        b, h0 = np.zeros(4 * H, np.float32), np.zeros((B, H), np.float32)
        args = (X, W, U, b, h0, h0)
        gap = np.abs(forward_halves(*args)[0] - lstm_numba.lstm_forward(*args, None)[0]).max()
        print(f"(B, T, I, H) = {(B, T, I, H)}, largest difference {gap:.1e}")
        for _ in range(3):
            print(f"  alone: halves {median_ms(lambda: forward_halves(*args)):.2f}  "
                  f"one loop {median_ms(lambda: lstm_numba.lstm_forward(*args, None)):.2f}  "
                  f"Cython {median_ms(lambda: lstm_cython.lstm_forward(*args, None)):.2f}")
        dY, zeros = np.ones((B, T, H), np.float32), np.zeros((B, H), np.float32)
        for name, forward in (("halves", forward_halves), ("one loop", lambda *a: lstm_numba.lstm_forward(*a, None))):
            times = []
            for _ in range(30):
                t = time.perf_counter()
                cache = forward(*args)[2]
                times.append(time.perf_counter() - t)
                lstm_numba.lstm_backward(dY, zeros, zeros, cache)
            print(f"  between backward passes: {name} {np.median(times) * 1e3:.2f}")


if __name__ == "__main__":
    main()
