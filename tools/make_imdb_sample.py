"""Build lstmx/datasets/data/imdb_sample.npz, the embedded IMDB sample, from the original archive.

    python tools/make_imdb_sample.py ../shared/data/aclImdb_v1.tar.gz
"""
import sys

import numpy as np

from lstmx.datasets import imdb

N_TRAIN, N_TEST, KEEP = 5000, 2000, 300


def main(path):
    data = imdb.read_reviews(path)
    word_index = imdb.word_index_from(t for t, _ in data["train"])
    rng = np.random.default_rng(2011)
    arrays = {}
    for split, n in (("train", N_TRAIN), ("test", N_TEST)):
        reviews = data[split]
        picked = []
        for label in (1, 0):   # balanced
            idx = [k for k, (_, y) in enumerate(reviews) if y == label]
            picked += list(rng.choice(idx, n // 2, replace=False))
        picked = rng.permutation(picked)
        seqs = [imdb.encode(reviews[k][0], word_index, num_words=10000)[-KEEP:] for k in picked]
        arrays[f"{split}_ids"] = np.concatenate(seqs).astype(np.uint16)
        arrays[f"{split}_offsets"] = np.cumsum([0] + [len(s) for s in seqs]).astype(np.int64)
        arrays[f"{split}_labels"] = np.array([reviews[k][1] for k in picked], np.uint8)
    top = sorted(word_index, key=word_index.get)[:10000 - 3]   # the words of ids 3 .. 9999
    arrays["words"] = np.array("\n".join(top).encode("utf-8"))
    np.savez_compressed("lstmx/datasets/data/imdb_sample.npz", **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
