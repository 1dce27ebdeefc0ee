"""Trained word vectors: look-up, similarity, evaluation, and the word2vec.c file formats."""
import logging
import os
import sys
import time
import warnings
from importlib import resources

import numpy as np

from .._files import atomic_write
from .errors import TruncatedFileError

CHUNK = 1 << 20   # bytes read at a time from a binary word2vec file
logger = logging.getLogger("lstmx.word2vec")


class KeyedVectors:
    """Words and their vectors: ``wv['film']``, ``wv.most_similar('film')``, ``wv.similarity(a, b)``.

    A trained :class:`Word2Vec` holds one as ``model.wv``; :meth:`load_word2vec_format` reads one
    from word2vec.c's text or binary format.

    Parameters
    ----------
    words : sequence of str
        The words, in the order of the rows of ``vectors`` (a word's id is its position).
    vectors : (V, N) array_like
        One row a word; kept as float32.

    Attributes
    ----------
    index_to_key : list of str, words by id (most frequent first for trained models)
    key_to_index : dict str -> int
    vectors : (V, N) float32 array
    """

    def __init__(self, words, vectors):
        self.index_to_key = list(words)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        self.vectors = np.asarray(vectors, np.float32)
        if self.vectors.shape[0] != len(self.index_to_key):
            raise ValueError(f"{len(self.index_to_key)} words but {self.vectors.shape[0]} vectors")
        self._normed = None

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, word):
        return word in self.key_to_index

    @property
    def vector_size(self):
        return self.vectors.shape[1]

    def index(self, word):
        try:
            return self.key_to_index[word]
        except KeyError:
            raise KeyError(f"word {word!r} not in vocabulary") from None

    def __getitem__(self, word):
        return self.vectors[self.index(word)]

    def normed_vectors(self):
        if self._normed is None or self._normed.shape != self.vectors.shape:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._normed = self.vectors / np.maximum(norms, 1e-12)
        return self._normed

    def similarity(self, a, b):
        """Cosine similarity of two words."""
        n = self.normed_vectors()
        return float(n[self.index(a)] @ n[self.index(b)])

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Words closest (cosine) to the mean of the unit vectors of ``positive`` minus ``negative``.

        ``most_similar(positive=['king', 'woman'], negative=['man'])`` is the analogy query (3CosAdd,
        as gensim computes it). The query words themselves are left out. Returns ``[(word, cosine)]``.
        """
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word in positive or negative")
        n = self.normed_vectors()
        query = [(self.index(w), 1.0) for w in positive] + [(self.index(w), -1.0) for w in negative]
        mean = np.mean([weight * n[i] for i, weight in query], axis=0)
        mean /= max(np.linalg.norm(mean), 1e-12)
        limit = len(n) if restrict_vocab is None else min(restrict_vocab, len(n))
        scores = n[:limit] @ mean
        used = {i for i, _ in query}
        best = np.argsort(-scores)[:topn + len(used)]
        return [(self.index_to_key[i], float(scores[i])) for i in best if i not in used][:topn]

    def doesnt_match(self, words):
        """The word furthest from the mean of the others' unit vectors."""
        words = [w for w in words if w in self]
        if not words:
            raise ValueError("doesnt_match needs at least one word of the vocabulary")
        n = self.normed_vectors()[[self.key_to_index[w] for w in words]]
        mean = n.mean(axis=0)
        mean /= max(np.linalg.norm(mean), 1e-12)
        return words[int(np.argmin(n @ mean))]

    def evaluate_word_analogies(self, path=None, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False,
                                similarity_function="most_similar", *, progress=False):
        """Accuracy on analogy questions ``a b c d`` (``a : b = c : d``) in questions-words format.

        The answers are gensim's (``KeyedVectors.evaluate_word_analogies``, the 3CosAdd method): a
        question with a word outside the ``restrict_vocab`` most frequent words is skipped (or, with
        ``dummy4unknown``, counted as wrong); the prediction is the best of gensim's
        ``most_similar([b, c], [a], topn=5, restrict_vocab=restrict_vocab)`` that is not a, b or c (with
        ``case_insensitive``, not a, b or c in upper case). Questions are answered in chunks, one
        matrix product each; a question whose two best candidates are within rounding of each other
        (a tie) is answered as gensim answers it, with gensim's arithmetic and ordering.

        Parameters
        ----------
        path : str, the questions (default: questions-words.txt, shipped with lstmx). A line
            starting with ':' opens a section; blank lines are skipped.
        restrict_vocab : int or None, only the first ``restrict_vocab`` words (the most frequent)
            are asked about and answered with (None: all)
        case_insensitive : bool, compare words in upper case; a word with several case variants
            takes the vector of the first (the most frequent)
        dummy4unknown : bool, count questions with unknown words as wrong instead of skipping them
        similarity_function : 'most_similar' (3CosAdd), gensim's only method
        progress : bool, a line per section on stderr (accuracy, questions, seconds). Sections
            are also logged at INFO level to the ``lstmx.word2vec`` logger, as gensim logs them.

        Returns
        -------
        (accuracy, sections): sections is a list of dicts ``{'section', 'correct', 'incorrect'}``
        (lists of question tuples, upper-cased with ``case_insensitive``), the last one
        ``'Total accuracy'``.

        Raises
        ------
        ValueError
            For a question line that is not 4 words, a question before the first section line, a
            negative ``restrict_vocab`` or another ``similarity_function``.
        """
        if similarity_function != "most_similar":
            raise ValueError(f"similarity_function must be 'most_similar' (3CosAdd, gensim's only method), "
                             f"got {similarity_function!r}")
        if restrict_vocab is not None and (not isinstance(restrict_vocab, (int, np.integer))
                                           or isinstance(restrict_vocab, bool) or restrict_vocab < 0):
            raise ValueError(f"restrict_vocab must be None (every word) or an integer >= 0, got {restrict_vocab!r}")
        if path is None:
            path = resources.files("lstmx.word2vec").joinpath("data/questions-words.txt")
        t0 = time.perf_counter()
        ok_keys = self.index_to_key[:restrict_vocab]
        cmp_keys = [w.upper() for w in ok_keys] if case_insensitive else ok_keys
        ok_vocab = {w: i for i, w in reversed(list(enumerate(cmp_keys)))}   # the first of each upper-case form
        # parse: per section, its questions in file order with the three question words' rows (None: unknown)
        sections, n_questions, n_oov = [], 0, 0
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if line.startswith(":"):
                    sections.append((line.lstrip(": ").strip(), [], []))
                    continue
                parts = line.upper().split() if case_insensitive else line.split()
                if not parts:
                    continue
                if not sections:
                    raise ValueError(f"{path}, line {line_no}: expected a ': section' line first")
                if len(parts) != 4:
                    raise ValueError(f"{path}, line {line_no}: expected 4 words, got {line!r}")
                n_questions += 1
                rows = [ok_vocab.get(p) for p in parts]
                if None in rows:
                    n_oov += 1
                    if not dummy4unknown:
                        continue
                    rows = None
                sections[-1][1].append(tuple(parts))
                sections[-1][2].append(rows)
        R = min(restrict_vocab, len(self)) if restrict_vocab else len(self)   # the candidates: as gensim, all for 0
        solver = _AnalogySolver(self.vectors, R, cmp_keys,
                                np.array([ok_vocab[w] for w in cmp_keys], np.intp))
        out = []
        for k, (name, questions, rows) in enumerate(sections):
            known = [r for r in rows if r is not None]
            predicted = iter(solver.solve(np.array(known, np.intp).reshape(-1, 4)[:, :3]) if known else ())
            section = {"section": name, "correct": [], "incorrect": []}
            for q, r in zip(questions, rows):
                right = r is not None and next(predicted) == q[3]
                section["correct" if right else "incorrect"].append(q)
            out.append(section)
            self._log_analogies(section, progress, f"{k + 1}/{len(sections)} ", t0)
        total = {"section": "Total accuracy",
                 "correct": [q for s in out for q in s["correct"]],
                 "incorrect": [q for s in out for q in s["incorrect"]]}
        out.append(total)
        n = len(total["correct"]) + len(total["incorrect"])
        if n_questions:
            logger.info("questions with words outside the first %d: %.1f%% (%s)", len(ok_keys),
                        100.0 * n_oov / n_questions, "counted as wrong" if dummy4unknown else "skipped")
        self._log_analogies(total, progress, "", t0)
        return (len(total["correct"]) / n if n else 0.0), out

    @staticmethod
    def _log_analogies(section, progress, counter, t0):
        correct = len(section["correct"])
        n = correct + len(section["incorrect"])
        if not n:
            return
        line = f"{section['section']}: {100.0 * correct / n:.1f}% ({correct}/{n})"
        if progress:
            sys.stderr.write(f"analogies {counter}{line}, {time.perf_counter() - t0:.1f} s\n")
            sys.stderr.flush()
        else:
            logger.info("%s", line)

    def evaluate_word_pairs(self, path, delimiter="\t", case_insensitive=True):
        """Correlation of cosine similarities with human ratings (wordsim353 / simlex999 style files).

        Lines ``word1<delimiter>word2<delimiter>score``; lines starting with '#' and a header row
        without a numeric score are skipped.

        Returns
        -------
        ((pearson r, p-value), (spearman rho, p-value), oov_ratio in percent)
        """
        from scipy import stats
        lookup = {w.lower(): w for w in reversed(self.index_to_key)} if case_insensitive else None
        model_sims, human, oov, total = [], [], 0, 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.rstrip("\n").split(delimiter)
                try:
                    a, b, score = parts[0], parts[1], float(parts[2])
                except (IndexError, ValueError):
                    continue   # a header row
                total += 1
                if case_insensitive:
                    a, b = lookup.get(a.lower()), lookup.get(b.lower())
                if a is None or b is None or a not in self or b not in self:
                    oov += 1
                    continue
                model_sims.append(self.similarity(a, b))
                human.append(score)
        if len(human) < 2:
            raise ValueError(f"{path}: fewer than 2 word pairs found in the vocabulary")
        pearson = stats.pearsonr(model_sims, human)
        spearman = stats.spearmanr(model_sims, human)
        return ((float(pearson[0]), float(pearson[1])), (float(spearman[0]), float(spearman[1])),
                100.0 * oov / total)

    # ---- word2vec.c formats ----
    def save_word2vec_format(self, path, binary=False):
        """Write the header ``V N`` then one word a line (text) or ``word <N float32 LE>`` (binary),
        the formats of word2vec.c and gensim.

        Raises
        ------
        ValueError
            Naming the first word that the format cannot hold, before anything is written: an empty
            word, or one with a space or a newline (they separate the fields), or one that is not text
            that UTF-8 can encode.
        """
        encoded = []
        for k, word in enumerate(self.index_to_key):
            if not isinstance(word, str):
                raise ValueError(f"word {k} is {word!r} ({type(word).__name__}): the word2vec format holds str words")
            if not word or " " in word or "\n" in word:
                raise ValueError(f"word {k}, {word!r}, cannot be saved in the word2vec format: a word there is "
                                 f"not empty and holds no space or newline (they separate words and numbers)")
            try:
                encoded.append(word.encode("utf-8"))
            except UnicodeEncodeError as exc:
                raise ValueError(f"word {k}, {word!r}, cannot be saved in the word2vec format: it is not text "
                                 f"that UTF-8 can encode ({exc.reason})") from None
        with atomic_write(path, "the vectors") as f:
            f.write(f"{len(self)} {self.vector_size}\n".encode())
            for word, vec in zip(encoded, self.vectors):
                if binary:
                    f.write(word + b" " + vec.astype("<f4").tobytes() + b"\n")
                else:
                    f.write(word + b" " + " ".join(f"{x:.9g}" for x in vec).encode() + b"\n")

    @classmethod
    def load_word2vec_format(cls, path, binary=False, *, encoding="utf8", unicode_errors="strict", limit=None):
        """Read a file written by word2vec.c, gensim or :meth:`save_word2vec_format`.

        ``encoding``, ``unicode_errors`` and ``limit`` are gensim's: words are decoded with
        ``encoding``, and a word that is not valid in it raises UnicodeDecodeError unless
        ``unicode_errors`` is ``'replace'`` or ``'ignore'`` (as gensim, by default); ``limit`` reads
        only the first ``limit`` words. A word that appears twice keeps its first vector (as in gensim).

        Raises
        ------
        TruncatedFileError (an EOFError, as gensim raises, and a ValueError)
            When the file ends before the words and vectors its header announces.
        ValueError
            Naming the line (or, in binary files, the word's position) where the file is malformed,
            or saying that data follows the last word (the header's sizes are wrong: in a binary file
            a vector size smaller than the data's reads garbage words).
        UnicodeDecodeError (a ValueError)
            For a word not valid in ``encoding``, with ``unicode_errors='strict'``.
        """
        if limit is not None and (not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or limit < 0):
            raise ValueError(f"limit must be None (read every word) or an integer >= 0, got {limit!r}")
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            header = f.readline()
            try:
                V, N = (int(x) for x in header.decode(encoding).split())
            except (ValueError, UnicodeDecodeError):
                raise ValueError(f"{path}, line 1: expected a header 'vocab_size vector_size', "
                                 f"got {header[:80]!r}") from None
            if V < 0 or N < 0:
                raise ValueError(f"{path}, line 1: expected a header of two integers >= 0, got {V} {N}")
            n = V if limit is None else min(V, int(limit))
            # the fewest bytes n records take (a word of one byte or none, its numbers): refused before
            # a forged header allocates anything
            least = n * (4 * N + 1) if binary else n * (2 * N + 1)
            if least > size - len(header):
                raise TruncatedFileError(
                    f"{path}: the header announces {V} words of {N} numbers, at least {least} bytes"
                    f"{'' if n == V else f' for the first {n}'}, but the file has {size - len(header)} after "
                    f"its header (truncated, or a wrong header?)")
            read = _read_binary if binary else _read_text
            words, vectors = read(f, path, n, V, N, encoding, unicode_errors, check_end=limit is None)
        first = {}
        for k, w in enumerate(words):
            first.setdefault(w, k)
        if len(first) != len(words):
            keep = list(first.values())   # in file order
            repeated = list(dict.fromkeys(w for k, w in enumerate(words) if first[w] != k))
            warnings.warn(f"{path}: {len(repeated)} words appear more than once (e.g. "
                          f"{', '.join(map(repr, repeated[:5]))}); the first vector of each is kept, as in gensim")
            words, vectors = [words[k] for k in keep], vectors[keep]
        return cls(words, vectors)


def _decode(raw, encoding, unicode_errors, path, where):
    try:
        return raw.decode(encoding, unicode_errors)
    except UnicodeDecodeError as exc:
        raise UnicodeDecodeError(exc.encoding, exc.object, exc.start, exc.end,
                                 f"{exc.reason}, in {path}, {where} (unicode_errors='replace' or 'ignore' "
                                 f"reads it, as in gensim)") from None


def _read_text(f, path, n, V, N, encoding, unicode_errors, check_end):
    words, vectors = [], np.empty((n, N), np.float32)
    for k in range(n):
        line = f.readline()
        if not line:
            raise TruncatedFileError(f"{path}: file ends at line {k + 2}, expected {V} words (truncated?)")
        if not line.endswith(b"\n"):   # word2vec.c and gensim end every line
            raise TruncatedFileError(f"{path}, line {k + 2}: the file ends inside this line (truncated?)")
        parts = _decode(line, encoding, unicode_errors, path, f"line {k + 2}").rstrip("\n").rstrip().split(" ")
        if len(parts) != N + 1:
            raise ValueError(f"{path}, line {k + 2}: expected a word and {N} numbers, got {len(parts) - 1}")
        try:
            vectors[k] = [float(x) for x in parts[1:]]
        except ValueError:
            raise ValueError(f"{path}, line {k + 2}: a value is not a number") from None
        words.append(parts[0])
    if check_end:
        rest = f.read(CHUNK)
        if rest.strip():
            raise ValueError(f"{path}: line {n + 2} follows the {V} words the header announces ({rest[:40]!r}...); "
                             f"is the header right? (limit={V} reads only the first {V})")
    return words, vectors


def _read_binary(f, path, n, V, N, encoding, unicode_errors, check_end):
    """Records ``word<space><N float32 LE>``, each after an optional newline (word2vec.c writes one
    after each vector, gensim none). Read in chunks."""
    raw_words, vectors = [], np.empty((n, N), np.float32)
    buf, pos, offset = b"", 0, 0   # offset: where buf starts in the file, after the header
    nbytes = 4 * N
    for k in range(n):
        while True:   # the word: up to the next space
            space = buf.find(b" ", pos)
            if space >= 0:
                break
            more = f.read(CHUNK)
            if not more:
                raise TruncatedFileError(f"{path}: file ends inside word {k + 1} of {V} (truncated, or the header's "
                                         f"sizes are larger than the data's?)")
            offset += pos
            buf, pos = buf[pos:] + more, 0
        while len(buf) - (space + 1) < nbytes:
            more = f.read(max(CHUNK, nbytes))
            if not more:
                raise TruncatedFileError(f"{path}: file ends inside the vector of word {k + 1} of {V} (truncated, or "
                                         f"the header's sizes are larger than the data's?)")
            buf += more
        raw = buf[pos:space].lstrip(b"\n")
        if b"\n" in raw:   # no writer puts a newline inside a word: the vectors are not where the header says
            raise ValueError(f"{path}: word {k + 1} of {V} (byte {offset + pos} after the header) holds a newline: "
                             f"{raw[:40]!r}; is the header's vector size {N} that of the data?")
        raw_words.append(raw)
        vectors[k] = np.frombuffer(buf, "<f4", count=N, offset=space + 1)
        pos = space + 1 + nbytes
    if check_end:
        rest = buf[pos:] + f.read(CHUNK)
        if rest.strip(b"\n"):
            raise ValueError(f"{path}: {len(rest) if len(rest) < CHUNK else 'many'} more bytes follow the {V} words of "
                             f"{N} floats the header announces ({rest[:20]!r}...): is the header's vector size {N} that "
                             f"of the data? (limit={V} reads only the first {V} words)")
    # decoded once the layout is known good: a wrong vector size is reported as such, not as a bad word
    words = [_decode(raw, encoding, unicode_errors, path, f"word {k + 1} of {V}") for k, raw in enumerate(raw_words)]
    return words, vectors


class _AnalogySolver:
    """Answers analogy questions as gensim's ``evaluate_word_analogies`` does, many at a time.

    gensim answers ``a : b = c : ?`` with ``most_similar(positive=[b, c], negative=[a], topn=5,
    restrict_vocab=R)``: the unit vector of the mean of the three unit vectors (computed as gensim
    computes it, bit for bit), its dot product with each of the first R vectors divided by that
    vector's norm, the 5 + 3 best by ``np.argpartition`` then ``np.argsort``, the question words'
    rows dropped; the answer is the first of those whose (upper-case) word is not a question word.

    Here the dot products of a chunk of questions are one matrix product, then the same division.
    The sums are added in another order, nothing else: each float32 dot product of length N is
    within N * 2**-24 * |v| |mean| of the exact one, |mean| is 1 and |v| / norm(v) 1 to rounding, so
    after the division each score is within 2 (N + 1) * 2**-24 (under half ``tol``) of gensim's. Where
    the best candidate beats the second by more than ``tol``, it is gensim's best too. A question
    whose two best are closer (a tie, as with repeated vectors), or whose best is a case variant of
    a question word, is answered as gensim answers it: one matrix-vector product with gensim's
    arithmetic and ordering (``_exact``).
    """
    TOPN = 5                 # gensim asks most_similar for 5 candidates
    CHUNK_SCORES = 1 << 22   # scores (float32) in a chunk of questions: 16 MiB

    def __init__(self, vectors, R, cmp_keys, first):
        self.vectors, self.R, self.cmp_keys = vectors, R, cmp_keys
        self.first = first   # the row of the first word of each row's compared form (its own row, mostly)
        self.norms = np.linalg.norm(vectors, axis=1)   # gensim's fill_norms
        self.tol = 5 * (vectors.shape[1] + 2) * 2.0 ** -24

    def means(self, rows):
        """gensim's ``get_mean_vector([b, c, a], [1, 1, -1], pre_normalize=True, post_normalize=True)``
        for each row (a, b, c) of ``rows``, with the same operations in the same order."""
        from scipy.linalg.blas import get_blas_funcs
        nrm2 = get_blas_funcs("nrm2", (np.array([], dtype=float),))   # matutils.unitvec's BLAS function
        weights = np.concatenate((np.ones(2), -1.0 * np.ones(1)))
        mean = np.zeros((len(rows), self.vectors.shape[1]), self.vectors.dtype)
        total_weight = 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for weight, j in zip(weights, (1, 2, 0)):   # positive b, c then negative a
                mean += weight * (self.vectors[rows[:, j]] / self.norms[rows[:, j], None])
                total_weight += abs(weight)
            mean = mean / total_weight
            unit = np.empty(mean.shape, np.float32)
            for k, vec in enumerate(mean):   # matutils.unitvec: BLAS nrm2, then scal (a multiplication)
                veclen = nrm2(vec) if vec.size else 0.0
                unit[k] = (vec * (1.0 / veclen)).astype(vec.dtype) if veclen > 0.0 else vec
        return unit

    def solve(self, rows):
        """The predicted (compared-form) word of each question ``rows[k] = (a, b, c)``, or None."""
        means = self.means(rows)
        predicted = [None] * len(rows)
        exact = []
        if self.R <= self.TOPN + 3:
            exact = range(len(rows))
        else:
            vectors, norms = self.vectors[:self.R], self.norms[:self.R]
            bad = np.flatnonzero(~(np.isfinite(norms) & (norms > 0)))   # NaN scores, which gensim ranks last
            finite = np.isfinite(means).all(axis=1)
            chunk = max(32, self.CHUNK_SCORES // self.R)
            for start in range(0, len(rows), chunk):
                part = rows[start:start + chunk]
                scores = means[start:start + chunk] @ vectors.T
                with np.errstate(divide="ignore", invalid="ignore"):
                    scores /= norms
                r = np.arange(len(part))
                scores[:, bad] = -np.inf
                for j in range(3):
                    scores[r, part[:, j]] = -np.inf
                best = scores.argmax(axis=1)
                first = scores[r, best]
                scores[r, best] = -np.inf
                clear = np.isfinite(first) & (first - scores.max(axis=1) > self.tol) & finite[start:start + chunk]
                # a case variant of a question word ('Paris' for PARIS) is not an answer: gensim takes the next
                clear &= ~(self.first[best][:, None] == part).any(axis=1)
                for k in np.flatnonzero(clear):
                    predicted[start + k] = self.cmp_keys[best[k]]
                exact.extend(start + np.flatnonzero(~clear))
        for k in exact:
            predicted[k] = self._exact(means[k], rows[k])
        return predicted

    def _exact(self, mean, row):
        """gensim's answer to one question: most_similar's scores and ranking, then the first
        candidate that is not a question word (or, when none of the 5 is, the last, as gensim)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            dists = np.dot(self.vectors[:self.R], mean) / self.norms[:self.R]
        excluded = [int(i) for i in row]
        sims = [i for i in _gensim_argsort(dists, self.TOPN + len(excluded)) if i not in excluded][:self.TOPN]
        ignore, predicted = {self.cmp_keys[i] for i in excluded}, None
        for i in sims:
            predicted = self.cmp_keys[i]
            if predicted not in ignore:
                break
        return predicted


def _gensim_argsort(x, topn):
    """The indices of the ``topn`` largest of ``x``, largest first, ordered as gensim's
    ``matutils.argsort(x, topn, reverse=True)`` orders them (ties included)."""
    x = -x
    if topn >= x.size:
        return np.argsort(x)[:topn]
    most_extreme = np.argpartition(x, topn)[:topn]
    return most_extreme.take(np.argsort(x.take(most_extreme)))
