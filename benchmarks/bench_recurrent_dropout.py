"""Recurrent dropout: what Keras's ``recurrent_dropout`` costs a training step in lstmx.

Three ways to run the same numbers, side by side in one run, forward + backward of each cell:

* ``none``: no recurrent dropout (the baseline);
* ``kernels``: the mask passed to the kernels as ``recurrent_keep`` (what the layers do);
* ``per_sequence``: each sequence on its own ``U diag(m)`` through the kernels without a mask, one
  sequence at a time (what the layers did before the kernels took the mask), with the gradient of
  ``U`` summed over the sequences.

Then the IMDB BiLSTM's training step (Embedding(10000, 128, mask_zero) -> Bidirectional(LSTM(64))
-> Dropout(0.5) -> Dense(1, sigmoid), batch 32, 200 steps) with ``recurrent_dropout`` 0 and 0.2.
Prints JSON lines (milliseconds: the best of ``--rounds`` rounds of ``--repeat`` calls after a
warm-up). Run it with the OPENBLAS variables unset in that command alone::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_recurrent_dropout.py
"""
import argparse
import json
import time

import numpy as np

import lstmx
from lstmx import functional as F
from lstmx.bench import machine_info

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def settle():
    """Let OpenBLAS's threads go to sleep: after a BLAS call they spin for a while, and the per-sequence
    way's small products (one thread's kernels call BLAS) left them spinning against the next
    measurement's two OpenMP threads (the simple RNN's step without dropout read 7.7 ms right after
    it, 4.2 ms half a second later)."""
    time.sleep(0.5)


def best_ms(fn, repeat):
    settle()
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def train_step(cell, X, W, U, b, b_hn, keep, backend):
    """Forward and backward of one cell with ``recurrent_keep=keep``; returns dU."""
    dY = np.ones(X.shape[:2] + (U.shape[1],), X.dtype)
    if cell == "lstm":
        _, _, cache = F.lstm_forward(X, W, U, b, recurrent_keep=keep, backend=backend)
        return F.lstm_backward(dY, None, None, cache)[2]
    if cell == "gru":
        _, _, cache = F.gru_forward(X, W, U, b, b_hn, recurrent_keep=keep, backend=backend)
        return F.gru_backward(dY, None, cache)[2]
    _, _, cache = F.rnn_forward(X, W, U, b, recurrent_keep=keep, backend=backend)
    return F.rnn_backward(dY, None, cache)[2]


def per_sequence_step(cell, X, W, U, b, b_hn, keep, backend):
    """The same step, each sequence n on U * keep[n] (column j scaled by keep[n, j]), one at a time."""
    dU = np.zeros_like(U)
    for n in range(X.shape[0]):
        dU += train_step(cell, X[n:n + 1], W, U * keep[n], b, b_hn, None, backend) * keep[n]
    return dU


def seed_model_step_ms(recurrent_dropout, repeat, rng, backend):
    x = rng.integers(1, 10000, (32, 200))
    x[:, :80] = 0                                   # pre-padding, as pad_sequences leaves short reviews
    y = rng.integers(0, 2, 32).astype(np.float32)
    model = lstmx.Sequential([lstmx.Embedding(10000, 128, mask_zero=True),
                              lstmx.Bidirectional(lstmx.LSTM(64, recurrent_dropout=recurrent_dropout, seed=1,
                                                             backend=backend)),
                              lstmx.Dropout(0.5), lstmx.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return best_ms(lambda: model.fit(x, y, batch_size=32, epochs=1, verbose=0), repeat)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--rate", type=float, default=0.2, help="recurrent dropout rate (default 0.2)")
    parser.add_argument("--repeat", type=int, default=10, help="timed calls a round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, best kept (default 3)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(json.dumps(dict(bench="recurrent_dropout", backend=lstmx.dispatch.resolve(args.backend), rate=args.rate,
                          **machine_info())))
    for cell, G in GATES.items():
        for B, T, I, H in ((32, 200, 128, 64), (32, 100, 128, 128)):
            X = rng.standard_normal((B, T, I)).astype(np.float32)
            W, U = (rng.standard_normal((G * H, n)).astype(np.float32) * 0.05 for n in (I, H))
            b, b_hn = np.zeros(G * H, np.float32), np.zeros(H, np.float32)
            keep = ((rng.random((B, H)) >= args.rate) / (1 - args.rate)).astype(np.float32)
            # the two ways with the mask give the same dU (checked here, not assumed)
            np.testing.assert_allclose(per_sequence_step(cell, X, W, U, b, b_hn, keep, args.backend),
                                       train_step(cell, X, W, U, b, b_hn, keep, args.backend), rtol=1e-3, atol=1e-3)
            ways = dict(none=lambda: train_step(cell, X, W, U, b, b_hn, None, args.backend),
                        kernels=lambda: train_step(cell, X, W, U, b, b_hn, keep, args.backend),
                        per_sequence=lambda: per_sequence_step(cell, X, W, U, b, b_hn, keep, args.backend))
            ms = {way: float("inf") for way in ways}
            for _ in range(args.rounds):      # each way once a round: a noisy moment spoils one round, not a ratio
                for way, fn in ways.items():
                    ms[way] = min(ms[way], best_ms(fn, args.repeat if way != "per_sequence" else 2))
            print(json.dumps(dict(cell=cell, B=B, T=T, I=I, H=H, **{k: round(v, 3) for k, v in ms.items()},
                                  kernels_over_none=round(ms["kernels"] / ms["none"], 3),
                                  per_sequence_over_kernels=round(ms["per_sequence"] / ms["kernels"], 2))),
                  flush=True)
    ms = {rate: min(seed_model_step_ms(rate, args.repeat, rng, args.backend) for _ in range(args.rounds))
          for rate in (0.0, args.rate)}
    print(json.dumps(dict(model="seed", batch=32, maxlen=200, step_ms_no_dropout=round(ms[0.0], 2),
                          step_ms_recurrent_dropout=round(ms[args.rate], 2),
                          ratio=round(ms[args.rate] / ms[0.0], 3))))


if __name__ == "__main__":
    main()
