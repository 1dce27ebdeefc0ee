"""Word2Vec CBOW with negative sampling or hierarchical softmax: the algorithm of word2vec.c and gensim.

Training streams the corpus twice, to count the words and to encode it as word ids (kept: two
bytes a word for vocabularies under 65,536 words, four above), then each epoch: subsample frequent words (NumPy, in
bulk), cut the ids into jobs of about 10,000 words, and run the CBOW update on each job, with the
learning rate decaying linearly from ``alpha`` to ``min_alpha`` over all epochs. A corpus whose ids
would take more than ``max_corpus_memory`` bytes is not kept: each epoch reads it again and encodes
it job by job, so memory stays bounded by the vocabulary, the matrices and a few jobs. The update runs in
the compiled trainer without the GIL (``workers`` threads), or in the Python reference.
"""
import logging
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._progress import redraws
from . import _model_file
from .errors import TrainingDivergedError
from .keyedvectors import KeyedVectors
from .update import MASK64
from .vocab import Vocabulary

logger = logging.getLogger("lstmx.word2vec")
JOB_WORDS = 10000
MAX_CORPUS_MEMORY = 1 << 30   # bytes of word ids kept in memory; a larger corpus is streamed each epoch
# The compiled trainers hold these in a C int (and count up to negative + 1): larger values would wrap.
INT_MAX = 2 ** 31 - 1
MAX_VECTOR_SIZE = MAX_WINDOW = INT_MAX
MAX_NEGATIVE = INT_MAX - 1


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_settings(vector_size, window, min_count, sample, negative, hs, alpha, min_alpha, epochs, workers, seed,
                   max_vocab_size, backend, progress, max_corpus_memory):
    """Raise ValueError naming the first setting of :class:`Word2Vec` that is out of range (what was
    expected and what came); used by the constructor and by :meth:`Word2Vec.load`."""
    for name, value, top in (("vector_size", vector_size, MAX_VECTOR_SIZE), ("window", window, MAX_WINDOW),
                             ("epochs", epochs, None), ("workers", workers, None), ("min_count", min_count, None)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if top is not None and value > top:
            raise ValueError(f"{name} must be at most {top} (the compiled trainers hold it in a C int), "
                             f"got {value}")
    if not _is_int(negative) or not 0 <= negative <= MAX_NEGATIVE:
        raise ValueError(f"negative must be an integer from 0 to {MAX_NEGATIVE} (the compiled trainers count "
                         f"negative + 1 draws in a C int), got {negative!r}")
    if hs not in (0, 1) or not isinstance(hs, (int, np.integer)):
        raise ValueError(f"hs must be 0 or 1, got {hs!r}")
    if negative == 0 and not hs:
        raise ValueError("negative=0 and hs=0 leave nothing to train: set negative > 0 or hs=1")
    if not isinstance(sample, (int, float, np.number)) or isinstance(sample, bool) or not sample >= 0:
        # negative: every keep probability NaN (sqrt of a negative), nothing trained
        raise ValueError(f"sample must be >= 0 (0 turns subsampling off), got {sample!r}")
    for name, value in (("alpha", alpha), ("min_alpha", min_alpha)):
        if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not 0 < min_alpha <= alpha:
        raise ValueError(f"expected 0 < min_alpha <= alpha, got alpha={alpha}, min_alpha={min_alpha}")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if max_vocab_size is not None and (not _is_int(max_vocab_size) or max_vocab_size < 1):
        raise ValueError(f"max_vocab_size must be None (no limit) or an integer >= 1, got {max_vocab_size!r}")
    if backend not in ("auto", "cython", "numba", "reference"):
        raise ValueError(f"backend must be 'auto', 'cython', 'numba' or 'reference', got {backend!r}")
    if not isinstance(progress, (bool, np.bool_, int)) or progress not in (0, 1):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    if max_corpus_memory is not None and (not _is_int(max_corpus_memory) or max_corpus_memory < 0):
        raise ValueError(f"max_corpus_memory must be None (always keep the corpus) or an integer >= 0 (bytes), "
                         f"got {max_corpus_memory!r}")


class Corpus:
    """Sentences from an iterable of token lists, or a text file of one sentence a line; a sentence
    longer than 10,000 words (JOB_WORDS) is cut into sentences of 10,000 words.

    A file is decoded as UTF-8; a line that is not valid UTF-8 raises ValueError naming the line.
    """

    def __init__(self, sentences=None, corpus_file=None):
        if (sentences is None) == (corpus_file is None):
            raise ValueError("give exactly one of sentences or corpus_file")
        if sentences is not None and iter(sentences) is sentences:
            raise TypeError("sentences must be re-iterable (a list, or an object whose __iter__ restarts); "
                            "got a one-shot iterator or generator")
        self.sentences, self.corpus_file = sentences, corpus_file

    def __iter__(self):
        if self.sentences is not None:
            for s in self.sentences:
                if isinstance(s, str):
                    raise TypeError("each sentence must be a list of tokens, got a string (split it first)")
                if not isinstance(s, (list, tuple)):
                    s = list(s)
                if len(s) <= JOB_WORDS:
                    yield s
                else:   # cut as a file's lines are (and gensim cuts them): a sentence of n words costs
                    for k in range(0, len(s), JOB_WORDS):   # n * min(n, 2 * window) vector additions
                        yield s[k:k + JOB_WORDS]
            return
        with open(self.corpus_file, "rb") as f:
            for line_no, raw in enumerate(f, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValueError(f"{self.corpus_file}, line {line_no}: not valid UTF-8 ({exc.reason} at byte "
                                     f"{exc.start})") from None
                words = line.split()
                for k in range(0, len(words), JOB_WORDS):   # word2vec.c cuts sentences at 10,000 words too
                    yield words[k:k + JOB_WORDS]


class Word2Vec:
    """CBOW word vectors.

    Parameters
    ----------
    sentences : list of lists of str, or None
    corpus_file : path of a UTF-8 text file, one sentence a line, or None
    vector_size : int, N
    window : int, the largest distance between a word and a context word (shrunk at random per word)
    min_count : int, drop words rarer than this
    sample : float, subsampling threshold of frequent words (0 turns it off)
    negative : int, negative samples per word (0: none)
    hs : 0 or 1, hierarchical softmax
    alpha, min_alpha : float, the learning rate, decayed linearly from alpha to min_alpha
    epochs : int
    workers : int, threads running the compiled trainer
    seed : int
    max_vocab_size : int or None, keep only this many most frequent words
    backend : 'auto', 'cython', 'numba' or 'reference' (the Python update rule; tiny corpora only)
    progress : bool, a progress line with words/s and the current alpha on stderr (redrawn in a
        terminal; one line per epoch in a log file or a pipe)
    max_corpus_memory : int or None, the most bytes of encoded corpus kept in memory (default 1 GiB);
        a larger corpus is read again at each epoch instead (0: always; None: never)
    sg, cbow_mean : gensim's switches, accepted at their CBOW values only: ``sg=0`` (CBOW, not
        skip-gram) and ``cbow_mean=1`` (the context vectors averaged, not summed)

    Attributes
    ----------
    wv : KeyedVectors, the input vectors ``W_in``
    W_in : (V, N) float32;  W_out : (V, N) float32 (negative sampling);  W_hs : (V-1, N) float32 (hs)
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, window=5, min_count=5, sample=1e-3,
                 negative=5, hs=0, alpha=0.025, min_alpha=1e-4, epochs=5, workers=1, seed=1, max_vocab_size=None,
                 backend="auto", progress=False, max_corpus_memory=MAX_CORPUS_MEMORY, sg=0, cbow_mean=1):
        if sg != 0:
            raise NotImplementedError(f"sg={sg}: lstmx trains CBOW only (sg=0); skip-gram is not implemented")
        if cbow_mean != 1:
            raise NotImplementedError(f"cbow_mean={cbow_mean}: lstmx averages the context vectors (cbow_mean=1); "
                                      f"their sum is not implemented")
        check_settings(vector_size, window, min_count, sample, negative, hs, alpha, min_alpha, epochs, workers, seed,
                       max_vocab_size, backend, progress, max_corpus_memory)
        self.vector_size, self.window, self.min_count = int(vector_size), int(window), int(min_count)
        self.sample, self.negative, self.hs = float(sample), int(negative), int(hs)
        self.alpha, self.min_alpha = float(alpha), float(min_alpha)
        self.epochs, self.workers, self.seed = int(epochs), int(workers), int(seed)
        self.max_vocab_size = None if max_vocab_size is None else int(max_vocab_size)
        self.backend, self.progress = backend, bool(progress)
        self.max_corpus_memory = None if max_corpus_memory is None else int(max_corpus_memory)
        self.vocab = None
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file)
            self.train()

    # ---- vocabulary and corpus ----
    def build_vocab(self, sentences=None, corpus_file=None):
        """Scan the corpus: count words, keep the vocabulary, encode the corpus as word ids (or, past
        ``max_corpus_memory``, leave it to be streamed at each epoch)."""
        t0 = time.perf_counter()
        self.corpus = Corpus(sentences, corpus_file)
        self.vocab = Vocabulary.scan(self.corpus, self.min_count, self.max_vocab_size)
        self._encode_corpus()
        self._init_weights()
        logger.info("vocabulary: %d words (min_count=%d) from %d raw words; %.1f s",
                    len(self.vocab), self.min_count, self.vocab.raw_words, time.perf_counter() - t0)

    def _id_dtype(self):
        return np.uint16 if len(self.vocab) < 65536 else np.int32   # 2 bytes a word while V < 65536

    def _encode_corpus(self):
        """``self.ids``, ``self.starts``: the corpus as word ids, one array, sentence k at
        ids[starts[k]:starts[k+1]]; both None when the corpus is too large to keep."""
        n_words = int(self.vocab.counts.sum())     # the vocabulary knows how many ids the corpus has
        dtype = self._id_dtype()
        self.ids = self.starts = None
        if self.max_corpus_memory is not None and n_words * np.dtype(dtype).itemsize > self.max_corpus_memory:
            logger.info("corpus of %d words streamed at each epoch (over max_corpus_memory=%d bytes)", n_words,
                        self.max_corpus_memory)
            return
        self.ids = np.empty(n_words, dtype)   # written in place: no list of the whole corpus
        starts, end = [0], 0
        for encoded in self._encoded_sentences():
            self.ids[end:end + len(encoded)] = encoded
            end += len(encoded)
            starts.append(end)
        self.ids = self.ids[:end]
        self.starts = np.asarray(starts, np.int64)

    def _init_weights(self):
        V, N = len(self.vocab), self.vector_size
        rng = np.random.default_rng(self.seed)
        # U(-1/N, 1/N) drawn as gensim 4 draws it (word2vec.c: half that): the same seed gives gensim's start
        self.W_in = rng.random((V, N), dtype=np.float32)
        self.W_in *= 2.0
        self.W_in -= 1.0
        self.W_in /= N
        self.W_out = np.zeros(self._W_out_shape(), np.float32)
        self.W_hs = np.zeros(self._W_hs_shape(), np.float32)
        self._build_tables()

    def _W_out_shape(self):
        return (len(self.vocab) if self.negative else 0, self.vector_size)

    def _W_hs_shape(self):
        return (max(len(self.vocab) - 1, 1) if self.hs else 0, self.vector_size)

    def _build_tables(self):
        """The tables the trainer draws from (alias table, Huffman paths), made from the vocabulary's
        counts, and ``wv`` on ``W_in``."""
        V = len(self.vocab)
        self.alias_prob, self.alias_idx = self.vocab.alias_table()
        self.alias_idx = self.alias_idx.astype(np.int32)
        if self.hs:
            codes, points = self.vocab.huffman()
            L = max(len(c) for c in codes)
            self.codes = np.zeros((V, L), np.uint8)
            self.points = np.zeros((V, L), np.int32)
            self.code_lens = np.array([len(c) for c in codes], np.int32)
            for w, (c, p) in enumerate(zip(codes, points)):
                self.codes[w, :len(c)], self.points[w, :len(p)] = c, p
        else:
            self.codes = np.zeros((V, 1), np.uint8)
            self.points = np.zeros((V, 1), np.int32)
            self.code_lens = np.zeros(V, np.int32)
        self.wv = KeyedVectors(self.vocab.words, self.W_in)
        self.wv.vectors = self.W_in   # the same memory: wv sees training as it happens

    # ---- training ----
    def _trainer(self):
        """The update rule of the chosen backend: cython, numba, or the Python reference ('auto':
        the first that imports, in that order)."""
        order = {"auto": ("cython", "numba", "reference")}.get(self.backend, (self.backend,))
        for name in order:
            try:
                if name == "cython":
                    from .._kernels.word2vec_cython import train_chunk
                elif name == "numba":
                    from .._kernels.word2vec_numba import train_chunk
                else:
                    from .update import train_chunk
                return train_chunk, name
            except ImportError:
                if self.backend != "auto":
                    raise
        raise RuntimeError("no Word2Vec trainer could be imported")

    def _encoded_sentences(self):
        """The corpus's sentences as lists of word ids, out-of-vocabulary words dropped, empty ones skipped."""
        index = self.vocab.index
        for sentence in self.corpus:
            encoded = [index[w] for w in sentence if w in index]
            if encoded:
                yield encoded

    def _raw_jobs(self):
        """Jobs of whole sentences, each the fewest reaching JOB_WORDS words: (ids, sentence starts).
        From the kept ids, or read and encoded from the corpus: the same jobs either way."""
        if self.ids is not None:
            starts, s = self.starts, 0
            while s < len(starts) - 1:
                e = int(np.searchsorted(starts, starts[s] + JOB_WORDS, side="left"))
                e = min(max(e, s + 1), len(starts) - 1)
                yield self.ids[starts[s]:starts[e]], starts[s:e + 1] - starts[s]
                s = e
            return
        dtype = self._id_dtype()
        ids, starts = [], [0]
        for encoded in self._encoded_sentences():
            ids.extend(encoded)
            starts.append(len(ids))
            if len(ids) >= JOB_WORDS:
                yield np.asarray(ids, dtype), np.asarray(starts, np.int64)
                ids, starts = [], [0]
        if ids:
            yield np.asarray(ids, dtype), np.asarray(starts, np.int64)

    def _jobs(self, rng, keep_prob):
        """Subsampled jobs of about JOB_WORDS words: (ids, starts, raw words they came from)."""
        for ids, starts in self._raw_jobs():
            keep = rng.random(len(ids)) < keep_prob[ids]
            sentence_of = np.repeat(np.arange(len(starts) - 1), np.diff(starts))[keep]
            new_starts = np.searchsorted(sentence_of, np.arange(len(starts))).astype(np.int64)
            yield np.ascontiguousarray(ids[keep]), new_starts, len(ids)

    def train(self, epochs=None):
        """Train (again) for ``epochs`` (default: the model's). Returns (effective words, raw words):
        the words trained on after subsampling, and the corpus words read, over all epochs.

        Raises
        ------
        TrainingDivergedError (a FloatingPointError and a ValueError)
            When training makes NaN or infinite numbers (``alpha`` too large), naming the epoch; the
            vectors are then useless.
        """
        if self.vocab is None:
            raise RuntimeError("build_vocab() (or the sentences/corpus_file arguments) must come before train()")
        if self.ids is None and getattr(self, "corpus", None) is None:
            raise RuntimeError("this model streams its corpus (larger than max_corpus_memory), and a saved model "
                               "does not keep it: set model.corpus = lstmx.word2vec.model.Corpus(corpus_file=...) "
                               "before train()")
        epochs = self.epochs if epochs is None else epochs
        if not _is_int(epochs) or epochs < 1:
            raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
        epochs = int(epochs)
        train_chunk, used = self._trainer()
        self.active_backend = used
        keep_prob = self.vocab.keep_probability(self.sample)
        in_vocab_words = int(self.vocab.counts.sum())
        raw_per_epoch = self.vocab.raw_words
        total = epochs * in_vocab_words
        rng = np.random.default_rng(self.seed)
        done, effective, n_jobs = 0, 0, 0
        t0 = time.perf_counter()

        def run(job, alpha, state):
            ids, starts, _ = job
            return train_chunk(self.W_in, self.W_out, self.W_hs, ids, starts, alpha, self.window, self.negative,
                               self.alias_prob, self.alias_idx, self.codes, self.points, self.code_lens, state)

        def finished(result):
            trained, _, nonfinite = result
            if nonfinite:
                self._diverged(epoch, epochs, f"{nonfinite} dot products of vectors came out NaN or infinite")
            return trained

        def progress_line(epoch, alpha):
            rate = done / max(time.perf_counter() - t0, 1e-9)
            return (f"epoch {epoch + 1}/{epochs}  {100 * done / total:5.1f}%  {rate / 1e6:.2f} M words/s  "
                    f"alpha {alpha:.5f}")

        # a terminal redraws one line; a log file or a pipe gets one line per epoch, no carriage returns
        redraw = self.progress and redraws(sys.stderr)
        alpha = self.alpha
        pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
        try:
            for epoch in range(epochs):
                pending = []
                for k, job in enumerate(self._jobs(rng, keep_prob)):
                    alpha = max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * done / total)
                    done += job[2]
                    # each job its own generator state, from the seed and the job's number: no two running
                    # jobs share a stream, and the draws do not depend on which thread runs a job
                    state = (int(self.seed) * 7919 + 1 + n_jobs * 0x9E3779B97F4A7C15) & MASK64
                    n_jobs += 1
                    if pool is None:
                        effective += finished(run(job, alpha, state))
                    else:
                        pending.append(pool.submit(run, job, alpha, state))
                        if len(pending) >= 2 * self.workers:   # bounded: a few jobs in flight
                            effective += finished(pending.pop(0).result())
                    if redraw and k % 50 == 0:
                        sys.stderr.write("\r" + progress_line(epoch, alpha))
                effective += sum(finished(f.result()) for f in pending)
                if self.progress:       # the epoch's last state: redrawn, or its own line in a log
                    sys.stderr.write(("\r" if redraw else "") + progress_line(epoch, alpha)
                                     + ("\n" if not redraw or epoch + 1 == epochs else ""))
                    sys.stderr.flush()
                for name in ("W_in", "W_out", "W_hs"):   # one pass over each: float64 sums of float32 are
                    if not np.isfinite(getattr(self, name).sum(dtype=np.float64)):   # finite iff all are
                        self._diverged(epoch, epochs, f"{name} holds NaN or infinite numbers")
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        seconds = time.perf_counter() - t0
        raw = epochs * raw_per_epoch
        self.train_seconds = seconds
        logger.info("trained %d effective of %d raw words in %.1f s (%.2f M raw words/s, %s)", effective, raw,
                    seconds, raw / max(seconds, 1e-9) / 1e6, used)
        return effective, raw

    def _diverged(self, epoch, epochs, what):
        raise TrainingDivergedError(
            f"training diverged in epoch {epoch + 1} of {epochs}: {what}, with alpha={self.alpha}. The vectors "
            f"are now useless: train a new model with a smaller alpha"
            + (" (the default is 0.025)" if self.alpha > 0.025 else
               f" or window (window={self.window}: each context word takes the whole update)"))

    # ---- saving ----
    def settings(self):
        """The constructor's arguments (other than the corpus) as this model holds them."""
        return {name: getattr(self, name) for name in _model_file.SETTINGS}

    def save(self, path):
        """Write everything needed to continue training to one ``.npz`` file (arrays, and the settings
        as JSON; no pickle), atomically: a failed save leaves any earlier file whole. The corpus is
        kept when the model keeps it (within ``max_corpus_memory``); a streamed corpus is not."""
        _model_file.save(self, path)

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`, checked against its settings before anything large is
        read, and ready to :meth:`train` on.

        Raises
        ------
        ValueError
            Saying what is wrong when the file is not a Word2Vec model written by lstmx, or is
            truncated or altered (lstmx never unpickles: older pickled saves are refused too).
        """
        return _model_file.load(cls, path)
