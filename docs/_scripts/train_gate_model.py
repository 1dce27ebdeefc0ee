"""Train the small IMDB classifier whose gates docs/lstm_step.rst shows, and keep what the page needs.

    python docs/_scripts/train_gate_model.py [--data PATH] [--epochs 2]

The model is Embedding(10000, 64, mask_zero) -> LSTM(32) -> Dense(1, sigmoid), trained on the 25,000
training reviews of aclImdb (cut to their last 200 words). A unidirectional LSTM, so that the
classifier read on h_t after each word is exactly "what the model would say if the review ended
here". The whole model is 660,000 numbers (2.6 MB); the page needs only the LSTM, the Dense and the
embedding rows of the words of the reviews it shows, so that is what this writes to
docs/_static/imdb_gates.npz (about 40 kB): the docs build runs the trained cell over those reviews
in well under a second and never trains.

The reviews are real test reviews (never seen in training) with a negation: the shortest ones with
"not bad" or "not good" that the model classifies right.
"""
import argparse
import os
import time

import numpy as np

import lstmx
from lstmx.datasets import imdb
from lstmx.text import pad_sequences

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, os.pardir, "_static", "imdb_gates.npz")


def build(seed=0):
    model = lstmx.Sequential([lstmx.Embedding(10000, 64, mask_zero=True, seed=seed),
                              lstmx.LSTM(32, seed=seed + 1),
                              lstmx.Dense(1, "sigmoid", seed=seed + 2)])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def pick(x, y, p, phrase, words, label, lo=25, hi=70):
    """Index of the shortest test review of lo..hi words containing ``phrase``, labelled ``label``
    and classified right with some confidence. ``words`` maps ids to words."""
    best = None
    for k in range(len(x)):
        if not lo <= len(x[k]) <= hi or y[k] != label or (p[k] > 0.5) != bool(label) or abs(p[k] - 0.5) < 0.25:
            continue
        text = " ".join(words.get(i, "<unk>") for i in x[k])
        if f" {phrase} " in f" {text} " and (best is None or len(x[k]) < len(x[best])):
            best = k
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/shared/data/aclImdb_v1.tar.gz")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--weights", default="", help="keep the trained weights here, and reuse them if present")
    args = ap.parse_args()
    (x, y), (x_test, y_test) = imdb.load_data(args.data, num_words=10000)
    word_index = imdb.get_word_index(args.data)
    words = {i + 3: w for w, i in word_index.items()}       # id -> word (ids are ranks + 3)
    model = build()
    t0 = time.perf_counter()
    if args.weights and os.path.exists(args.weights):        # a model trained before: skip training
        model.build((None, 200))
        with np.load(args.weights) as z:
            model.set_weights([z[f"w{k}"] for k in range(len(z.files))])
    else:
        model.fit(pad_sequences(x, maxlen=200), y, batch_size=32, epochs=args.epochs, verbose=1, seed=1)
        if args.weights:
            np.savez(args.weights, **{f"w{k}": w for k, w in enumerate(model.get_weights())})
    p = model.predict(pad_sequences(x_test, maxlen=200), batch_size=256)[:, 0]
    accuracy = float(np.mean((p > 0.5) == y_test))
    print(f"trained in {time.perf_counter() - t0:.0f} s; test accuracy {accuracy:.3f}")
    chosen = [pick(x_test, y_test, p, "not bad", words, 1), pick(x_test, y_test, p, "not good", words, 0)]
    chosen = [k for k in chosen if k is not None]
    emb, lstm, dense = model.layers
    ids = sorted({i for k in chosen for i in x_test[k]})
    reviews = {}
    for n, k in enumerate(chosen):
        reviews[f"review{n}_ids"] = np.array(x_test[k], np.int32)
        reviews[f"review{n}_label"] = np.int64(y_test[k])
        print(f"review {n} (label {y_test[k]}, P(positive) {p[k]:.2f}): {' '.join(imdb.decode(x_test[k], word_index))}")
    np.savez_compressed(OUT, W=lstm.cell.W, U=lstm.cell.U, b=lstm.cell.b, kernel=dense.kernel, bias=dense.bias,
                        ids=np.array(ids, np.int32), embeddings=emb.embeddings[ids],
                        words=np.array(imdb.decode(ids, word_index)), test_accuracy=accuracy,
                        epochs=args.epochs, **reviews)
    print(f"wrote {OUT} ({os.path.getsize(OUT) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
