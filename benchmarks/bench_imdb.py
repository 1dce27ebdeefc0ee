"""The IMDB BiLSTM on the full aclImdb data, and the PyTorch anchor in the same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_imdb.py \
        --data ../shared/data/aclImdb_v1.tar.gz --epochs 3 --torch-script ../shared/bench/torch_imdb_bilstm.py

JSON lines: one per epoch (train seconds, seconds to score the 25,000 test reviews, test accuracy,
peak resident memory of the process so far), then the PyTorch script's lines and the ratios.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6   # ru_maxrss is in KiB on Linux


def run_lstmx(data, epochs, model_kind, mask_zero, seed=0):
    from lstmx.datasets import imdb
    from lstmx.experiments import build_model
    from lstmx.text import pad_sequences
    t0 = time.perf_counter()
    (x, y), (xt, yt) = imdb.load_data(data, num_words=10000)
    x, xt = pad_sequences(x, maxlen=200), pad_sequences(xt, maxlen=200)
    print(json.dumps(dict(system="lstmx", load_s=round(time.perf_counter() - t0, 1))), flush=True)
    model = build_model(model_kind, mask_zero=mask_zero, seed=100 * seed)
    rows = []
    for epoch in range(1, epochs + 1):
        t = time.perf_counter()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, seed=epoch + 1000 * seed)
        train_s = time.perf_counter() - t
        t = time.perf_counter()
        _, acc = model.evaluate(xt, yt, batch_size=256)
        row = dict(system="lstmx", model=model_kind, mask_zero=mask_zero, seed=seed, epoch=epoch,
                   train_s=round(train_s, 1), infer_s=round(time.perf_counter() - t, 1), test_acc=round(acc, 4),
                   peak_rss_gb=round(peak_rss_gb(), 2))
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def run_torch(script, data, epochs):
    with tempfile.TemporaryDirectory() as tmp:
        root = data
        if not os.path.isdir(data):
            with tarfile.open(data) as tar:
                tar.extractall(tmp, filter="data")
            root = os.path.join(tmp, "aclImdb")
        script = os.path.abspath(script)
        proc = subprocess.run([sys.executable, script, root, str(epochs)], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(script)))
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    for r in rows:
        print(json.dumps(dict(system="torch", **r)), flush=True)
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
    return rows


def main():
    from lstmx.experiments import MODELS
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--model", default="bilstm", choices=MODELS)
    ap.add_argument("--no-mask", action="store_true")
    ap.add_argument("--torch-script")
    ap.add_argument("--seed", type=int, default=0,
                    help="s: the model starts from seed 100 s and shuffles epoch e with seed e + 1000 s "
                         "(0: the reported run)")
    args = ap.parse_args()
    ours = run_lstmx(args.data, args.epochs, args.model, not args.no_mask, args.seed)
    if args.torch_script:
        theirs = run_torch(args.torch_script, args.data, args.epochs)
        for a, b in zip(ours, theirs):
            print(json.dumps(dict(epoch=a["epoch"], train_ratio=round(a["train_s"] / b["train_s"], 2),
                                  infer_ratio=round(a["infer_s"] / max(b["infer_s"], 1e-9), 2),
                                  acc_lstmx=a["test_acc"], acc_torch=b["test_acc"])), flush=True)


if __name__ == "__main__":
    main()
