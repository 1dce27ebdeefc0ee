"""The vocabulary of a Word2Vec model and the tables training draws from.

* words sorted by descending count, ties in the order gensim gives them (the word first seen last first);
* ``keep_probability``: frequent-word subsampling, word2vec.c's formula;
* an alias table over ``count ** 0.75`` for O(1) negative draws;
* a Huffman tree (``codes``, ``points``) for the hierarchical softmax, the one gensim builds from the same counts.
"""
import heapq
from collections import Counter

import numpy as np

from .errors import EmptyVocabularyError


class Vocabulary:
    """Words, their counts and ids (id 0 is the most frequent word)."""

    def __init__(self, counts, min_count=5, max_vocab_size=None):
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        if max_vocab_size is not None and (not isinstance(max_vocab_size, (int, np.integer))
                                           or isinstance(max_vocab_size, bool) or max_vocab_size < 1):
            raise ValueError(f"max_vocab_size must be None (no limit) or an integer >= 1, got {max_vocab_size!r}")
        kept = [(w, c) for w, c in counts.items() if c >= min_count]
        # by count, most frequent first; ties with the word first seen last in front, the order gensim
        # gives (a stable sort of the reversed list), so both make the same Huffman tree
        kept = kept[::-1]
        kept.sort(key=lambda wc: -wc[1])
        if max_vocab_size is not None:
            kept = kept[:max_vocab_size]
        if not kept:
            raise EmptyVocabularyError(f"no word occurs at least min_count={min_count} times "
                             f"(the corpus has {len(counts)} distinct words)")
        self.words = [w for w, _ in kept]
        self.counts = np.array([c for _, c in kept], dtype=np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}
        self.raw_words = int(sum(counts.values()))   # every token of the corpus, in or out of the vocabulary

    @classmethod
    def restore(cls, words, counts, raw_words):
        """The vocabulary of a saved model: its words (unique), their counts (>= 1) and raw word count."""
        vocab = cls.__new__(cls)
        vocab.words = list(words)
        vocab.counts = np.asarray(counts, np.int64)
        vocab.index = {w: i for i, w in enumerate(vocab.words)}
        vocab.raw_words = int(raw_words)
        if len(vocab.index) != len(vocab.words) or vocab.counts.shape != (len(vocab.words),):
            raise ValueError(f"expected unique words, one count each; got {len(vocab.words)} words "
                             f"({len(vocab.index)} distinct) and counts of shape {vocab.counts.shape}")
        return vocab

    def __len__(self):
        return len(self.words)

    @classmethod
    def scan(cls, sentences, min_count=5, max_vocab_size=None):
        counts = Counter()
        n = 0
        for sentence in sentences:
            counts.update(sentence)
            n += 1
        if n == 0 or not counts:
            raise EmptyVocabularyError("the corpus is empty: no sentence with a word")
        return cls(counts, min_count, max_vocab_size)

    def keep_probability(self, sample):
        """P(keep) of each word under subsampling (1 everywhere when ``sample`` is 0).

        word2vec.c: ``(sqrt(f / (sample * total)) + 1) * (sample * total) / f`` for count ``f``.
        """
        if not sample:
            return np.ones(len(self), np.float64)
        threshold = sample * self.counts.sum()
        p = (np.sqrt(self.counts / threshold) + 1) * threshold / self.counts
        return np.minimum(p, 1.0)

    def alias_table(self, power=0.75):
        """(probability (V,) float64, alias (V,) int32): Walker's alias method over count**power.

        Draw: ``k = uniform int < V``; keep ``k`` if ``uniform01 < probability[k]``, else ``alias[k]``.
        """
        weights = self.counts.astype(np.float64) ** power
        V = len(weights)
        scaled = weights * V / weights.sum()
        prob = np.ones(V)
        alias = np.arange(V, dtype=np.int32)
        small = [i for i in range(V) if scaled[i] < 1]
        large = [i for i in range(V) if scaled[i] >= 1]
        while small and large:
            s, l = small.pop(), large.pop()
            prob[s], alias[s] = scaled[s], l
            scaled[l] -= 1 - scaled[s]
            (small if scaled[l] < 1 else large).append(l)
        return prob, alias

    def huffman(self):
        """(codes, points): per word, its path from the root of a Huffman tree over the counts.

        ``codes[w]`` is a uint8 array of 0/1 turns, ``points[w]`` the inner nodes (rows of the
        output matrix, ``0 .. V-2``) along it. Frequent words get short codes.
        """
        V = len(self)
        if V == 1:
            return [np.zeros(1, np.uint8)], [np.zeros(1, np.int32)]
        heap = [_HeapNode(int(c), i) for i, c in enumerate(self.counts)]
        heapq.heapify(heap)
        parent = np.zeros(2 * V - 1, np.int64)
        bit = np.zeros(2 * V - 1, np.uint8)
        nxt = V
        while len(heap) > 1:
            smallest, second = heapq.heappop(heap), heapq.heappop(heap)
            parent[smallest.node], parent[second.node] = nxt, nxt
            bit[smallest.node], bit[second.node] = 0, 1
            heapq.heappush(heap, _HeapNode(smallest.count + second.count, nxt))
            nxt += 1
        root = 2 * V - 2
        codes, points = [], []
        for w in range(V):
            code, path, node = [], [], w
            while node != root:
                code.append(bit[node])
                path.append(parent[node] - V)   # inner node k is row k of the output matrix
                node = parent[node]
            codes.append(np.array(code[::-1], np.uint8))
            points.append(np.array(path[::-1], np.int32))
        return codes, points


class _HeapNode:
    """A tree node on the heap, ordered by count alone as gensim orders them: among equal counts the
    heap's own order decides, so the same counts give gensim's tree (not only one as short)."""
    __slots__ = ("count", "node")

    def __init__(self, count, node):
        self.count, self.node = count, node

    def __lt__(self, other):
        return self.count < other.count
