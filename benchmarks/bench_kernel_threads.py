"""The Cython kernels' input projection and weight gradients on lstmx's own threads, against through
BLAS after a one-thread time loop (the rule before 2026-12-06), side by side in one run.

Why: a time loop of a small batch runs on one thread (``batch_parts``), and its hoisted input
projection and its weight gradients (dW, dU, dX) went through BLAS, two threads. After a two-thread
product OpenBLAS's worker spins for about 0.1 s, waiting for the next one; a following call whose
loop runs on two OpenMP threads (a larger batch, or a wider layer) then shares a core with it. Now
both products run on the packed kernel, on one thread or both CPUs (``_layout.projection_parts`` and
``weight_gradient_parts``); only the loops of a step or a few, which multiply U through BLAS anyway,
keep BLAS. The old rule is restored here by replacing those two functions in the kernel modules.

Workloads (training steps, ms, medians): two stacked LSTMs whose first layer has a one-thread loop
and whose second has two; one LSTM(128) trained at batch 2 and batch 32 in turns; and the one-thread
loops alone (batch 1 and a tiny layer), where nothing but the products themselves changes. Run with
the OPENBLAS variables unset in that command alone::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_kernel_threads.py
"""
import argparse
import json
import statistics
import time

import numpy as np

import lstmx
from lstmx._kernels import gru_cython, lstm_cython, rnn_cython
from lstmx.bench import machine_info

MODULES = (lstm_cython, gru_cython, rnn_cython)
NEW = {m: (m.projection_parts, m.weight_gradient_parts) for m in MODULES}


def old_rule(parts, unpacked, *sizes):
    """Before: BLAS after any one-thread loop, the packed kernel on two threads after a two-thread one."""
    return 0 if unpacked or parts == 1 else 2


def use(rule):
    for m in MODULES:
        m.projection_parts, m.weight_gradient_parts = (old_rule, old_rule) if rule == "blas" else NEW[m]


def stacked(B, H1, H2, T=50, I=32, rng=None):
    X = rng.standard_normal((B * 20, T, I)).astype(np.float32)
    y = rng.standard_normal((B * 20, 1)).astype(np.float32)
    model = lstmx.Sequential([lstmx.LSTM(H1, return_sequences=True, backend="cython", seed=0),
                              lstmx.LSTM(H2, backend="cython", seed=1), lstmx.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return lambda: model.fit(X, y, batch_size=B, epochs=1, verbose=0), 20


def kernel_training(cell, sizes, rng):
    """One training step (forward, backward) of each size in turn, straight on the Cython kernels."""
    module = {"lstm": lstm_cython, "gru": gru_cython}[cell]
    G = {"lstm": 4, "gru": 3}[cell]
    steps = []
    for B, T, I, H in sizes:
        X = rng.standard_normal((B, T, I)).astype(np.float32)
        W = (0.1 * rng.standard_normal((G * H, I))).astype(np.float32)
        U = (0.1 * rng.standard_normal((G * H, H))).astype(np.float32)
        b, h0, dY = np.zeros(G * H, np.float32), np.zeros((B, H), np.float32), np.ones((B, T, H), np.float32)
        if cell == "lstm":
            steps.append(lambda X=X, W=W, U=U, b=b, h0=h0, dY=dY: module.lstm_backward(
                dY, h0, h0, module.lstm_forward(X, W, U, b, h0, h0, None)[2]))
        else:
            b_hn = np.zeros(H, np.float32)
            steps.append(lambda X=X, W=W, U=U, b=b, b_hn=b_hn, h0=h0, dY=dY: module.gru_backward(
                dY, h0, module.gru_forward(X, W, U, b, b_hn, h0, None)[2]))

    def run():
        for _ in range(10):
            for step in steps:
                step()
    return run, 10 * len(steps)


def workloads(rng):
    return {
        "LSTM(64) -> LSTM(128), batch 8, a training step": stacked(8, 64, 128, rng=rng),
        "LSTM(32) -> LSTM(128), batch 16, a training step": stacked(16, 32, 128, rng=rng),
        "LSTM(128) -> LSTM(128), batch 8 (both loops two-thread), a training step": stacked(8, 128, 128, rng=rng),
        "LSTM(128) kernels, (2,100,128,128) and (32,100,128,128) in turns, a step":
            kernel_training("lstm", [(2, 100, 128, 128), (32, 100, 128, 128)], rng),
        "GRU(128) kernels, (2,100,128,128) and (32,100,128,128) in turns, a step":
            kernel_training("gru", [(2, 100, 128, 128), (32, 100, 128, 128)], rng),
        "LSTM kernels, (1,200,128,128) alone, a step": kernel_training("lstm", [(1, 200, 128, 128)], rng),
        "LSTM kernels, (1,100,32,32) alone, a step": kernel_training("lstm", [(1, 100, 32, 32)], rng),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(dict(bench="kernel_threads", **machine_info(), rounds=args.rounds)))
    rng = np.random.default_rng(0)
    results = {}
    for name, (run, steps) in workloads(rng).items():
        times = {"blas": [], "own": []}
        for rule in times:        # compile and warm up both ways first
            use(rule)
            run()
        for _ in range(args.rounds):
            for rule in times:
                use(rule)
                time.sleep(0.3)   # the other setting's threads go quiet first
                t0 = time.perf_counter()
                run()
                times[rule].append((time.perf_counter() - t0) / steps * 1e3)
        use("own")
        results[name] = {rule: statistics.median(t) for rule, t in times.items()}
        print(json.dumps(dict(bench="kernel_threads", workload=name, blas_ms=round(results[name]["blas"], 3),
                              own_threads_ms=round(results[name]["own"], 3),
                              ratio=round(results[name]["own"] / results[name]["blas"], 3))))
    print("\n| workload | through BLAS, ms | own threads, ms | ratio |\n|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['blas']:.3f} | {r['own']:.3f} | {r['own'] / r['blas']:.2f} |")


if __name__ == "__main__":
    main()
