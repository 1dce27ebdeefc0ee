"""The IMDB BiLSTM with its last states against the same BiLSTM with attention pooling, over seeds.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_imdb_attention.py \
        ../shared/data/aclImdb_v1.tar.gz --seeds 0 1 2 3 4 --epochs 3

``lstmx imdb --model bilstm`` and ``--model bilstm-attention`` as the command trains them (the 25,000
training reviews cut to their last 200 words, 10,000 words, batch 32, Adam 1e-3), each seed's two
models in turn in one process: the same seed makes the same embedding start, the same LSTM start
and the same batch order for both; only the layer that reads the BiLSTM's outputs differs. One JSON
line per seed, model and epoch (train seconds, test accuracy and loss on the 25,000 test reviews),
then the mean test accuracy after each epoch and the paired differences (attention minus last
states).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _machine import cpu_name  # noqa: E402

from lstmx.datasets import imdb  # noqa: E402
from lstmx.experiments import build_model  # noqa: E402
from lstmx.text import pad_sequences  # noqa: E402

MODELS = ("bilstm", "bilstm-attention")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="aclImdb_v1.tar.gz or the extracted aclImdb folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(dict(machine=cpu_name(), cpus=os.cpu_count(), seeds=args.seeds, epochs=args.epochs)), flush=True)
    (x, y), (x_test, y_test) = imdb.load_data(args.data, num_words=10000)
    x, x_test = pad_sequences(x, maxlen=200), pad_sequences(x_test, maxlen=200)
    acc = {}
    for seed in args.seeds:
        for kind in MODELS:
            model = build_model(kind, seed=seed)
            for epoch in range(1, args.epochs + 1):
                t = time.perf_counter()
                # the batch order of each epoch depends on the seed and the epoch, the same for both models
                model.fit(x, y, batch_size=32, epochs=1, verbose=0, seed=1000 * seed + epoch)
                train_s = time.perf_counter() - t
                loss, accuracy = model.evaluate(x_test, y_test, batch_size=32, verbose=0)
                acc[kind, seed, epoch] = accuracy
                print(json.dumps(dict(model=kind, seed=seed, epoch=epoch, train_s=round(train_s, 1),
                                      test_accuracy=round(float(accuracy), 4), test_loss=round(float(loss), 4))),
                      flush=True)
    for epoch in range(1, args.epochs + 1):
        diff = [acc["bilstm-attention", s, epoch] - acc["bilstm", s, epoch] for s in args.seeds]
        print(json.dumps(dict(summary=True, epoch=epoch,
                              bilstm_mean=round(float(np.mean([acc["bilstm", s, epoch] for s in args.seeds])), 4),
                              attention_mean=round(float(np.mean([acc["bilstm-attention", s, epoch]
                                                                  for s in args.seeds])), 4),
                              attention_minus_bilstm=[round(float(d), 4) for d in diff],
                              attention_better_in=int(sum(d > 0 for d in diff)), seeds=len(args.seeds))), flush=True)


if __name__ == "__main__":
    main()
