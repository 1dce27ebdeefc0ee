"""The CBOW update rule, in plain Python and NumPy: the reference of the compiled trainer.

For each word of a chunk (its sentences given by ``starts``), with a window shrunk at random as
word2vec.c does::

    h = mean of W_in[context]                        (N,)
    negative sampling: for the word (label 1) and `negative` draws (label 0),
        g = (label - sigmoid(h . W_out[target])) * alpha
        work += g * W_out[target];  W_out[target] += g * h
    hierarchical softmax: for each inner node on the word's Huffman path (code bit d),
        g = (1 - d - sigmoid(h . W_hs[node])) * alpha
        work += g * W_hs[node];     W_hs[node] += g * h
    W_in[c] += work for every context word c

sigmoid is read from a 1000-entry table over [-6, 6] (outside it the word2vec.c rules apply; a NaN or
infinite ``h . W_out[target]``, which only a diverging run makes, skips the update and is counted), and
random numbers come from word2vec.c's generator, so the Cython kernel
(:mod:`lstmx._kernels.word2vec_cython`) makes the same draws and the same updates. It is slow
(Python loops): the ``"reference"`` backend, for tiny corpora and for tests.
"""
import numpy as np

MAX_EXP = 6.0
EXP_TABLE_SIZE = 1000
EXP_TABLE = (1 / (1 + np.exp(-((np.arange(EXP_TABLE_SIZE) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP)))).astype(np.float32)
# word2vec.c (and gensim's compiled C) index the table with (f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2)
# in integer arithmetic: 1000 / 6 / 2 = 83 entries a unit, not 83.33. The read sigmoid is slightly
# shifted (sigmoid(0) reads 0.4940); hierarchical-softmax vectors are measurably different without it.
TABLE_SCALE = EXP_TABLE_SIZE // int(MAX_EXP) // 2
MASK64 = (1 << 64) - 1


def next_random(state):
    """word2vec.c's linear congruential generator on 64 bits."""
    return (state * 25214903917 + 11) & MASK64


def draw_negative(state, alias_prob, alias_idx):
    """One word from the unigram**0.75 distribution, O(1) by the alias method."""
    V = alias_prob.shape[0]
    k = (state >> 16) % V
    u = ((state >> 40) & 0xFFFFFF) / float(1 << 24)
    return int(k if u < alias_prob[k] else alias_idx[k])


def table_sigmoid(f):
    """sigmoid(f) read from the table as word2vec.c reads it: 1 from MAX_EXP up, 0 from -MAX_EXP down,
    NaN for NaN. The index is computed only for an f strictly inside (-MAX_EXP, MAX_EXP)."""
    if -MAX_EXP < f < MAX_EXP:
        return float(EXP_TABLE[int((f + MAX_EXP) * TABLE_SCALE)])
    if f >= MAX_EXP:
        return 1.0
    if f <= -MAX_EXP:
        return 0.0
    return float("nan")


def train_chunk(W_in, W_out, W_hs, ids, starts, alpha, window, negative, alias_prob, alias_idx,
                codes, points, code_lens, state):
    """Train on one chunk of sentences; returns (words trained, new random state, the number of dot
    products that came out NaN or inf: their updates are skipped, and any means training diverged).

    Parameters
    ----------
    W_in, W_out : (V, N) float32;  W_hs : (V-1, N) float32 or an empty array without hs
    ids : (n,) int32 word ids;  starts : (S+1,) int64, sentence s is ids[starts[s]:starts[s+1]]
    codes, points : (V, L) Huffman paths padded to L, code_lens (V,); unused without hs
    state : int, the generator's state
    """
    N = W_in.shape[1]
    neu1 = np.zeros(N, np.float32)
    work = np.zeros(N, np.float32)
    trained = nonfinite = 0
    alpha = np.float32(alpha)
    for s in range(len(starts) - 1):
        sentence = ids[starts[s]:starts[s + 1]]
        n = len(sentence)
        for i in range(n):
            word = int(sentence[i])
            state = next_random(state)
            b = state % window
            lo, hi = max(0, i - window + b), min(n, i + window + 1 - b)
            context = [int(sentence[j]) for j in range(lo, hi) if j != i]
            if not context:
                continue
            neu1[:] = W_in[context].sum(axis=0) * np.float32(1.0 / len(context))
            work[:] = 0
            if W_hs.size:
                for d in range(code_lens[word]):
                    node = points[word, d]
                    f = float(np.dot(neu1, W_hs[node]))
                    if not np.isfinite(f):   # NaN or inf: training diverged; Word2Vec.train says so
                        nonfinite += 1
                        continue
                    if f <= -MAX_EXP or f >= MAX_EXP:
                        continue
                    g = np.float32((1 - codes[word, d] - table_sigmoid(f)) * alpha)
                    work += g * W_hs[node]
                    W_hs[node] += g * neu1
            if negative > 0:   # the word itself (label 1), then the negative draws
                for d in range(negative + 1):
                    if d == 0:
                        target, label = word, 1
                    else:
                        state = next_random(state)
                        target, label = draw_negative(state, alias_prob, alias_idx), 0
                        if target == word:
                            continue
                    f = float(np.dot(neu1, W_out[target]))
                    if not np.isfinite(f):   # NaN or inf: training diverged; Word2Vec.train says so
                        nonfinite += 1
                        continue
                    sig = table_sigmoid(f)
                    g = np.float32((label - sig) * alpha)
                    work += g * W_out[target]
                    W_out[target] += g * neu1
            for c in context:
                W_in[c] += work
            trained += 1
    return trained, state, nonfinite
