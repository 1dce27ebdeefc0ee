"""NumPy's BLAS held at one thread while a model runs (``lstmx._blas_threads``), against leaving it
as it is, side by side in one run.

Three models where the Python layers' products meet the kernels' threads: the IMDB BiLSTM
with a ``Dense(64, relu)`` before its output (``bilstm-dense``) scoring 2,560 reviews at batch 256; a
per-step tagger (Embedding -> BiLSTM(128, return_sequences) -> Dense(64, relu) -> Dense(10,
softmax)) training 20 steps at batch 32; a three-layer perceptron training 16 steps at batch 128
(its only other threads are the fused Adam update's). And the IMDB BiLSTM's training step at batch
32, where nothing should change. Seconds, best of ``--rounds`` rounds, the two settings taking
turns. Run it with the OPENBLAS variables unset in that command alone::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_blas_threads.py
"""
import argparse
import json
import time

import numpy as np

import lstmx
import lstmx._blas_threads as blas_threads
from lstmx.bench import machine_info
from lstmx.experiments import build_model


def seconds(fn):
    time.sleep(0.3)      # the other setting's threads go quiet first
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def workloads(rng):
    x = rng.integers(1, 10000, (2560, 200))
    x[:, :60] = 0
    y = rng.integers(0, 2, 2560)
    tf_model = build_model("bilstm-dense")
    seed_model = build_model("bilstm")
    xt, yt = rng.integers(1, 5000, (640, 100)), rng.integers(0, 10, (640, 100))
    tagger = lstmx.Sequential([lstmx.Embedding(5000, 128, mask_zero=True),
                               lstmx.Bidirectional(lstmx.LSTM(128, return_sequences=True)),
                               lstmx.Dense(64, activation="relu"), lstmx.Dense(10, activation="softmax")])
    tagger.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    xm, ym = rng.standard_normal((2048, 784)).astype(np.float32), rng.integers(0, 10, 2048)
    mlp = lstmx.Sequential([lstmx.Dense(512, activation="relu"), lstmx.Dense(256, activation="relu"),
                            lstmx.Dense(10, activation="softmax")])
    mlp.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    return {
        "tf model, score 2,560 reviews at batch 256": lambda: tf_model.evaluate(x, y, batch_size=256),
        "tagger, 20 training steps at batch 32": lambda: tagger.fit(xt, yt, batch_size=32, epochs=1, verbose=0),
        "perceptron, 16 training steps at batch 128": lambda: mlp.fit(xm, ym, batch_size=128, epochs=1, verbose=0),
        "seed model, 20 training steps at batch 32": lambda: seed_model.fit(x[:640], y[:640], batch_size=32,
                                                                             epochs=1, verbose=0),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(dict(bench="blas_threads", **machine_info())))
    for name, fn in workloads(np.random.default_rng(0)).items():
        fn()                                  # warm-up: builds, compiles, first-touch
        best = {True: float("inf"), False: float("inf")}
        for _ in range(args.rounds):
            for hold in (False, True):
                blas_threads.HOLD = hold
                best[hold] = min(best[hold], seconds(fn))
        blas_threads.HOLD = True
        print(json.dumps(dict(workload=name, numpy_blas_as_is_s=round(best[False], 3),
                              numpy_blas_one_thread_s=round(best[True], 3),
                              ratio=round(best[True] / best[False], 3))), flush=True)


if __name__ == "__main__":
    main()
