"""The seed model in Keras itself, on lstmx's own data pipeline, over several seeds.

Is the seed model's test accuracy in lstmx the accuracy Keras reaches on the same data? Both
read the reviews through ``lstmx.datasets.imdb.load_data(num_words=10000)`` and
``lstmx.text.pad_sequences(maxlen=200)``; Keras then trains
Embedding(10000, 128, mask_zero=True) -> Bidirectional(LSTM(64)) -> Dropout(0.5) -> Dense(1, sigmoid)
with Adam and binary cross-entropy, batch 32, and scores the test set after each epoch.

Two steps, because Keras (TensorFlow) is not an lstmx dependency and lives in its own virtualenv::

    python benchmarks/keras_seed_study.py dump --data ../shared/data/aclImdb_v1.tar.gz --out /tmp/imdb200.npz
    /tmp/keras/bin/python benchmarks/keras_seed_study.py keras --npz /tmp/imdb200.npz --seeds 0 1 2 3

Prints one JSON line per seed and epoch (``keras.utils.set_random_seed(seed)`` seeds the weights,
the shuffles and the dropout masks).
"""
import argparse
import json
import os
import time


def dump(data, out):
    import numpy as np
    from lstmx.datasets import imdb
    from lstmx.text import pad_sequences

    (x_train, y_train), (x_test, y_test) = imdb.load_data(data, num_words=10000)
    np.savez_compressed(out, x_train=pad_sequences(x_train, maxlen=200), y_train=y_train,
                        x_test=pad_sequences(x_test, maxlen=200), y_test=y_test)
    print(json.dumps(dict(wrote=out, train=len(x_train), test=len(x_test))))


def run_keras(npz, seeds, epochs):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    d = np.load(npz)
    x_train, y_train, x_test, y_test = (d[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input((200,), dtype="int32"),
                                  keras.layers.Embedding(10000, 128, mask_zero=True),
                                  keras.layers.Bidirectional(keras.layers.LSTM(64)),
                                  keras.layers.Dropout(0.5),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
            train_s = time.perf_counter() - t0
            p = model.predict(x_test, batch_size=256, verbose=0)[:, 0]
            acc = float(((p > 0.5) == (y_test > 0.5)).mean())
            print(json.dumps(dict(system="keras", keras=keras.__version__, seed=seed, epoch=epoch,
                                  test_acc=round(acc, 4), train_s=round(train_s, 1))), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    d = sub.add_parser("dump", help="with lstmx's Python: write the padded data set")
    d.add_argument("--data", required=True)
    d.add_argument("--out", required=True)
    k = sub.add_parser("keras", help="with Keras's Python: train and score the seed model")
    k.add_argument("--npz", required=True)
    k.add_argument("--seeds", type=int, nargs="+", default=[0])
    k.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    if args.step == "dump":
        dump(args.data, args.out)
    else:
        run_keras(args.npz, args.seeds, args.epochs)
