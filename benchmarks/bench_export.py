"""Scoring the IMDB test set three ways: lstmx ``model.predict``, the ``lstmx.onnx.export`` file in ONNX
Runtime, and the ``lstmx.interop.torch.to_torch`` module in PyTorch, one process, the same model.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_export.py \
        --data ../shared/data/aclImdb_v1.tar.gz --rounds 3 --batch-size 256 --torch-one-thread

The model is the IMDB BiLSTM (``build_model("bilstm", seed=0)``: Embedding(10000, 128, mask_zero)
-> Bidirectional(LSTM(64)) -> Dropout -> Dense(1, sigmoid)) as built, untrained: the timing does not
depend on the weights' values. The test reviews are pre-padded (Keras's default) to 200 ids, so the
masks matter. Each system scores the same reviews in batches of ``--batch-size``: lstmx with
``model.predict(x, batch_size=...)`` (its kernels' two threads), ONNX Runtime's CPU provider with two
intra-op threads, PyTorch under ``torch.inference_mode()`` with ``torch.set_num_threads(2)`` and, with
``--torch-one-thread``, at one thread as well (on a busy 2-core machine PyTorch's two OpenMP threads
wait for each other at every operation: 16-22 times slower than one thread on 2026-12-04). The
systems take turns, one full pass each per round, and each keeps its best pass: a busy stretch on a
shared machine then slows one round of all of them rather than one system.

JSON lines: the setup (machine, date, versions, reviews, batch size), one line per pass, and after
every round a summary of the best passes so far: each system's seconds and reviews per second, the
ratios of lstmx's time to the others' (below 1: lstmx is faster), and how far the predictions lie
apart (max abs difference, first round). ``--limit N`` scores the first N test reviews only.
"""
import argparse
import datetime
import json
import os
import tempfile
import time

import numpy as np

from _machine import cpu_name


def machine():
    return cpu_name()


def load_test(path, limit):
    from lstmx.datasets import imdb
    from lstmx.text import pad_sequences
    _, (xt, yt) = imdb.load_data(path, num_words=10000)
    xt = pad_sequences(xt, maxlen=200)                    # pre-padding, as Keras pads
    if limit:
        xt, yt = xt[:limit], yt[:limit]
    return np.ascontiguousarray(xt.astype(np.int64)), np.asarray(yt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="aclImdb_v1.tar.gz or the extracted folder")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="score the first N test reviews only (0: all 25,000)")
    ap.add_argument("--threads", type=int, default=2, help="ONNX Runtime's and PyTorch's threads")
    ap.add_argument("--torch-one-thread", action="store_true",
                    help="also time PyTorch at one thread (torch-1thread): on a busy machine its two OpenMP "
                         "threads can wait for each other")
    args = ap.parse_args()

    import onnxruntime as ort
    import torch

    import lstmx
    from lstmx.experiments import build_model
    from lstmx.interop.torch import to_torch
    from lstmx.onnx import export

    t0 = time.perf_counter()
    x, _ = load_test(args.data, args.limit)
    load_s = time.perf_counter() - t0
    n, bs = len(x), args.batch_size

    model = build_model("bilstm", seed=0)
    model.predict(x[:2], verbose=0)                       # builds the weights
    tmp = tempfile.mkdtemp(prefix="bench_export_")
    onnx_path = os.path.join(tmp, "imdb_bilstm.onnx")
    export(model, onnx_path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    torch.set_num_threads(args.threads)
    module = to_torch(model).eval()

    print(json.dumps(dict(bench="export", machine=machine(), cores=os.cpu_count(),
                          date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                          lstmx=lstmx.__version__, onnxruntime=ort.__version__, torch=torch.__version__,
                          reviews=n, maxlen=int(x.shape[1]), batch_size=bs, rounds=args.rounds,
                          threads=args.threads, load_s=round(load_s, 1))), flush=True)

    def run_lstmx():
        return model.predict(x, batch_size=bs, verbose=0)

    def run_onnx():
        return np.concatenate([session.run(["output"], {"input": x[i:i + bs]})[0] for i in range(0, n, bs)])

    def run_torch(threads):
        def run():
            torch.set_num_threads(threads)
            with torch.inference_mode():
                return torch.cat([module(torch.from_numpy(x[i:i + bs])) for i in range(0, n, bs)]).numpy()
        return run

    systems = {"lstmx": run_lstmx, "onnxruntime": run_onnx, "torch": run_torch(args.threads)}
    if args.torch_one_thread:
        systems["torch-1thread"] = run_torch(1)
    session.run(["output"], {"input": x[:bs]})            # warm-up: one batch each
    model.predict(x[:bs], batch_size=bs, verbose=0)
    with torch.inference_mode():
        module(torch.from_numpy(x[:bs]))

    best = {name: float("inf") for name in systems}
    predictions = {}
    for r in range(args.rounds):
        for name, fn in systems.items():
            t = time.perf_counter()
            p = fn()
            s = time.perf_counter() - t
            best[name] = min(best[name], s)
            predictions.setdefault(name, np.asarray(p, np.float64).reshape(n, -1))
            print(json.dumps(dict(bench="export", round=r, system=name, seconds=round(s, 3),
                                  reviews_per_s=round(n / s, 1))), flush=True)
        diff = lambda a, b: float(np.abs(predictions[a] - predictions[b]).max())
        print(json.dumps(dict(                            # after every round: the best so far
            bench="export", summary=True, machine=machine(), reviews=n, batch_size=bs, rounds=r + 1,
            seconds={k: round(v, 3) for k, v in best.items()},
            reviews_per_s={k: round(n / v, 1) for k, v in best.items()},
            lstmx_over_onnxruntime=round(best["lstmx"] / best["onnxruntime"], 3),
            lstmx_over_torch=round(best["lstmx"] / best["torch"], 3),
            **({"lstmx_over_torch_1thread": round(best["lstmx"] / best["torch-1thread"], 3)}
               if "torch-1thread" in best else {}),
            max_abs_diff={"lstmx-onnxruntime": diff("lstmx", "onnxruntime"), "lstmx-torch": diff("lstmx", "torch"),
                          "onnxruntime-torch": diff("onnxruntime", "torch")})), flush=True)


if __name__ == "__main__":
    main()
