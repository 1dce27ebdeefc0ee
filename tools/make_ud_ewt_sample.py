"""Build lstmx/datasets/data/ud_ewt_sample/ from UD English EWT v2.16 (CC BY-SA 4.0).

    python tools/make_ud_ewt_sample.py ../shared/data/ud_english_ewt

The sample is the first 1,000 sentences of the training file and the first 200 of the dev and test
files, each sentence copied whole (comments and all ten columns, unchanged), gzipped with a fixed
timestamp so that the files are the same at every build. The license and attribution are written
beside them (LICENSE.txt: the treebank's own license file; README.md: what the sample is).
"""
import gzip
import os
import shutil
import sys

COUNTS = {"train": 1000, "dev": 200, "test": 200}
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "lstmx", "datasets", "data", "ud_ewt_sample")


def first_sentences(path, n):
    out, sentence = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            sentence.append(line)
            if not line.strip():
                out.append("".join(sentence))
                sentence = []
                if len(out) == n:
                    break
    return "".join(out)


def main(src):
    os.makedirs(OUT, exist_ok=True)
    for split, n in COUNTS.items():
        text = first_sentences(os.path.join(src, f"en_ewt-ud-{split}.conllu"), n)
        with open(os.path.join(OUT, f"en_ewt-sample-{split}.conllu.gz"), "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
                f.write(text.encode("utf-8"))
    shutil.copyfile(os.path.join(src, "LICENSE.txt"), os.path.join(OUT, "LICENSE.txt"))


if __name__ == "__main__":
    main(sys.argv[1])
