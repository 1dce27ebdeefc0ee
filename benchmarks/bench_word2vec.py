"""lstmx Word2Vec against gensim on the same corpus, settings and machine, in one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_word2vec.py /tmp/imdb_corpus.txt \
        --eval ../shared/data/word2vec --gensim-script ../shared/bench/gensim_cbow.py

The corpus comes from ``../shared/bench/make_imdb_corpus.py``. Each configuration runs in its own
process (so peak memory is that run's): JSON lines with raw and effective words/s, analogy accuracy,
wordsim353 and simlex999 Spearman, peak resident memory; then the lstmx/gensim ratios.
"""
import argparse
import json
import os
import subprocess
import sys

CONFIGS = [dict(workers=1, epochs=1, hs=0), dict(workers=2, epochs=5, hs=0), dict(workers=2, epochs=5, hs=1)]


def run_lstmx(corpus, workers, epochs, hs, eval_dir):
    import resource
    import time

    import lstmx
    t0 = time.perf_counter()
    model = lstmx.Word2Vec(vector_size=100, window=5, min_count=5, negative=0 if hs else 5, hs=hs, sample=1e-3,
                           workers=workers, epochs=epochs, seed=1)
    model.build_vocab(corpus_file=corpus)
    vocab_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    effective, raw = model.train()
    train_s = time.perf_counter() - t0
    wv = model.wv
    out = dict(system="lstmx", workers=workers, epochs=epochs, hs=hs, vocab=len(wv), vocab_s=round(vocab_s, 2),
               train_s=round(train_s, 2), raw_words_per_s=int(raw / train_s),
               effective_words_per_s=int(effective / train_s),
               analogy=round(wv.evaluate_word_analogies(os.path.join(eval_dir, "questions-words.txt"))[0], 4),
               wordsim353=round(wv.evaluate_word_pairs(os.path.join(eval_dir, "wordsim353.tsv"))[1][0], 4),
               simlex999=round(wv.evaluate_word_pairs(os.path.join(eval_dir, "simlex999.txt"))[1][0], 4),
               peak_rss_gb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3))
    print(json.dumps(out), flush=True)


def run_gensim(script, corpus, workers, epochs, hs):
    """The shared gensim anchor (negative sampling); for hs=1 the same settings with hs=1, negative=0."""
    code = open(script).read()
    if hs:
        code = code.replace("negative=5, hs=0", "negative=0, hs=1")
    code += ("\nimport resource\nprint(json.dumps(dict(peak_rss_gb=round(resource.getrusage("
             "resource.RUSAGE_SELF).ru_maxrss / 1e6, 3))))\n")
    proc = subprocess.run([sys.executable, "-c", code, corpus, str(workers), str(epochs)], capture_output=True,
                          text=True)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if len(lines) != 2:
        raise RuntimeError(proc.stderr[-2000:])
    out = dict(system="gensim", hs=hs, **lines[0], **lines[1])
    print(json.dumps(out), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--eval", required=True, help="folder with questions-words.txt, wordsim353.tsv, simlex999.txt")
    ap.add_argument("--gensim-script")
    ap.add_argument("--one", nargs=3, type=int, metavar=("WORKERS", "EPOCHS", "HS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return run_lstmx(args.corpus, *args.one, args.eval)
    for cfg in CONFIGS:
        proc = subprocess.run([sys.executable, __file__, args.corpus, "--eval", args.eval, "--one",
                               str(cfg["workers"]), str(cfg["epochs"]), str(cfg["hs"])], capture_output=True, text=True)
        ours = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
        if ours is None:
            print(proc.stderr[-2000:], file=sys.stderr)
            continue
        print(json.dumps(ours), flush=True)
        if args.gensim_script:
            theirs = run_gensim(args.gensim_script, args.corpus, cfg["workers"], cfg["epochs"], cfg["hs"])
            print(json.dumps(dict(compare=cfg, raw_words_per_s_ratio=round(ours["raw_words_per_s"] / theirs["raw_words_per_s"], 2),
                                  analogy_diff=round(ours["analogy"] - theirs["analogy"], 4),
                                  wordsim353_diff=round(ours["wordsim353"] - theirs["wordsim353"], 4),
                                  memory_ratio=round(ours["peak_rss_gb"] / theirs["peak_rss_gb"], 2))), flush=True)


if __name__ == "__main__":
    main()
