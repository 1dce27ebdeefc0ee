"""Trained word vectors: look-up, similarity, evaluation, and the word2vec.c file formats."""
import os
import warnings
from importlib import resources

import numpy as np

from .._files import atomic_write
from .errors import TruncatedFileError

CHUNK = 1 << 20   # bytes read at a time from a binary word2vec file


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

    def evaluate_word_analogies(self, path=None, restrict_vocab=300000, case_insensitive=True):
        """Accuracy on analogy questions ``a b c d`` (``a : b = c : d``) in questions-words format.

        As gensim: questions with a word outside the ``restrict_vocab`` most frequent words are
        skipped; the prediction is the best of ``most_similar([b, c], [a])`` that is not a, b or c.

        Returns
        -------
        (accuracy, sections): sections is a list of dicts ``{'section', 'correct', 'incorrect'}``
        (lists of question tuples), the last one ``'Total accuracy'``.
        """
        if path is None:
            path = resources.files("lstmx.word2vec").joinpath("data/questions-words.txt")
        ok = self.index_to_key[:restrict_vocab]
        ok_vocab = {(w.upper() if case_insensitive else w): w for w in reversed(ok)}
        sections, section = [], None
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if line.startswith(":"):
                    if section:
                        sections.append(section)
                    section = {"section": line[1:].strip(), "correct": [], "incorrect": []}
                    continue
                if section is None:
                    raise ValueError(f"{path}, line {line_no}: expected a ': section' line first")
                parts = line.upper().split() if case_insensitive else line.split()
                if len(parts) != 4:
                    raise ValueError(f"{path}, line {line_no}: expected 4 words, got {line!r}")
                if not all(p in ok_vocab for p in parts):
                    continue
                a, b, c, expected = parts
                sims = self.most_similar(positive=[ok_vocab[b], ok_vocab[c]], negative=[ok_vocab[a]],
                                         topn=5, restrict_vocab=restrict_vocab)
                predicted = None
                for word, _ in sims:
                    w = word.upper() if case_insensitive else word
                    if w in ok_vocab and w not in (a, b, c):
                        predicted = w
                        break
                (section["correct"] if predicted == expected else section["incorrect"]).append(tuple(parts))
        if section:
            sections.append(section)
        total = {"section": "Total accuracy",
                 "correct": [q for s in sections for q in s["correct"]],
                 "incorrect": [q for s in sections for q in s["incorrect"]]}
        sections.append(total)
        n = len(total["correct"]) + len(total["incorrect"])
        return (len(total["correct"]) / n if n else 0.0), sections

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
