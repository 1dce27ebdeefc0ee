"""Write the IMDB reviews (train, test and unsup: 100,000) as a word2vec corpus for the tagger's vectors.

One review a line, lower-cased, ``<br />`` removed, split by :func:`lstmx.tagging.tokenize` (UD
English's splitting: "don't" -> "do n't", punctuation on its own), so that the words match what a
tagger built with ``lower=True`` looks up.

    python benchmarks/imdb_corpus.py ../shared/data/aclImdb_v1.tar.gz /tmp/imdb_corpus.txt
"""
import re
import sys
import tarfile
import time

from lstmx.tagging import tokenize

_FILE = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg|unsup)/\d+_\d+\.txt$")


def main(archive, out):
    start, n, words = time.perf_counter(), 0, 0
    with tarfile.open(archive, "r:*") as tar, open(out, "w", encoding="utf-8") as f:
        for member in tar:
            if member.isfile() and _FILE.search(member.name):
                text = tar.extractfile(member).read().decode("utf-8", errors="replace")
                tokens = tokenize(text.replace("<br />", " ").lower())
                f.write(" ".join(tokens) + "\n")
                n += 1
                words += len(tokens)
    print(f"{n} reviews, {words} words, written to {out} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(*sys.argv[1:3])
