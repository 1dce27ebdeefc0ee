"""KeyedVectors.evaluate_word_analogies: lstmx before the batched version, lstmx now, and gensim, on the
same vectors, in one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_analogies.py

Trains CBOW vectors with lstmx (vector_size 100, window 5, min_count 5, 5 epochs, 2 workers) on the
first ``--words`` words of the aclImdb reviews (tokenised as ``shared/bench/make_imdb_corpus.py``
does, read from the archive in its own order) or on ``--corpus FILE``, writes them in word2vec's
binary format and loads them into lstmx and into gensim. The evaluations (questions-words.txt)
then take turns for ``--rounds`` rounds: the implementation of commit ``--old`` (its
keyedvectors.py, imported from ``git show``), today's, and gensim's ``KeyedVectors``. Prints JSON
lines: the machine and the vectors, then per implementation its best and median seconds and
accuracy, then whether the three gave the same sections, question for question, and the ratios.
"""
import argparse
import datetime
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np

from _machine import cpu_name

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA = os.path.join(REPO, "..", "shared", "data")
OLD = "433662d"   # the last commit with the question-at-a-time evaluation


def machine():
    return dict(machine=cpu_name(), cores=os.cpu_count(), python=platform.python_version(),
                date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                loadavg_1min=round(os.getloadavg()[0], 2))


def imdb_corpus(archive, words, out):
    tok = re.compile(r"[a-z0-9']+")
    n = 0
    with tarfile.open(archive) as tf, open(out, "w") as fo:
        for member in tf:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 4 or parts[1] not in ("train", "test") or \
                    not member.name.endswith(".txt"):
                continue
            found = tok.findall(tf.extractfile(member).read().decode("utf-8").replace("<br />", " ").lower())
            fo.write(" ".join(found) + "\n")
            n += len(found)
            if n >= words:
                break
    return n


def old_keyedvectors(rev, tmp):
    """The KeyedVectors class of commit ``rev``, its package-relative imports made absolute."""
    src = subprocess.run(["git", "-C", REPO, "show", f"{rev}:lstmx/word2vec/keyedvectors.py"], check=True,
                         capture_output=True, text=True).stdout
    src = src.replace("from .._files", "from lstmx._files").replace("from .errors", "from lstmx.word2vec.errors")
    path = os.path.join(tmp, "old_keyedvectors.py")
    with open(path, "w") as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location("old_keyedvectors", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.KeyedVectors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", help="a text file, one sentence a line (default: the first --words of aclImdb)")
    ap.add_argument("--imdb", default=os.path.join(DATA, "aclImdb_v1.tar.gz"))
    ap.add_argument("--words", type=int, default=2_000_000)
    ap.add_argument("--questions", default=os.path.join(DATA, "word2vec", "questions-words.txt"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--old", default=OLD, help="the commit whose evaluation is 'before'")
    args = ap.parse_args()

    import gensim
    from gensim.models import KeyedVectors as GensimKeyedVectors

    import lstmx
    from lstmx.word2vec import KeyedVectors
    with tempfile.TemporaryDirectory() as tmp:
        corpus, words = args.corpus, None
        if corpus is None:
            corpus = os.path.join(tmp, "imdb.txt")
            words = imdb_corpus(args.imdb, args.words, corpus)
        t0 = time.perf_counter()
        model = lstmx.Word2Vec(corpus_file=corpus, vector_size=100, window=5, min_count=5, workers=2, epochs=5,
                               seed=1)
        train_s = time.perf_counter() - t0
        path = os.path.join(tmp, "vectors.bin")
        model.wv.save_word2vec_format(path, binary=True)
        ours = KeyedVectors.load_word2vec_format(path, binary=True)
        theirs = GensimKeyedVectors.load_word2vec_format(path, binary=True)
        before = old_keyedvectors(args.old, tmp)(ours.index_to_key, ours.vectors)
        try:
            from threadpoolctl import threadpool_info
            blas = [(i["internal_api"], i["version"], i["num_threads"], i.get("architecture"))
                    for i in threadpool_info()]
        except ImportError:
            blas = None
        print(json.dumps(dict(**machine(), numpy=np.__version__, gensim=gensim.__version__, lstmx=lstmx.__version__,
                              blas=blas, corpus=args.corpus or f"aclImdb, first {words} words", vocab=len(ours),
                              vector_size=ours.vector_size, train_s=round(train_s, 2))), flush=True)

        impls = {f"lstmx {args.old} (one question at a time)": before.evaluate_word_analogies,
                 "lstmx (batched)": ours.evaluate_word_analogies,
                 f"gensim {gensim.__version__}": theirs.evaluate_word_analogies}
        times, results = {name: [] for name in impls}, {}
        names = list(impls)
        for r in range(args.rounds):
            for name in names[r % 3:] + names[:r % 3]:   # take turns, each first in one round
                t0 = time.perf_counter()
                results[name] = impls[name](args.questions)
                times[name].append(time.perf_counter() - t0)
        for name in names:
            accuracy, sections = results[name]
            total = sections[-1]
            print(json.dumps(dict(impl=name, best_s=round(min(times[name]), 3),
                                  median_s=round(float(np.median(times[name])), 3), runs=len(times[name]),
                                  accuracy=round(accuracy, 5), correct=len(total["correct"]),
                                  questions=len(total["correct"]) + len(total["incorrect"]),
                                  sections=len(sections) - 1)), flush=True)
        old, new, gen = (results[name] for name in names)
        best = {name: min(t) for name, t in times.items()}
        print(json.dumps(dict(same_as_gensim=new == gen, old_same_as_gensim=old == gen,
                              speedup_over_old=round(best[names[0]] / best[names[1]], 1),
                              gensim_over_batched=round(best[names[2]] / best[names[1]], 1),
                              batched_eval_over_training=round(best[names[1]] / train_s, 3),
                              loadavg_1min_end=round(os.getloadavg()[0], 2))), flush=True)


if __name__ == "__main__":
    sys.exit(main())
