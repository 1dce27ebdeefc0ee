"""The CBOW trainer in Numba: :func:`lstmx.word2vec.update.train_chunk` compiled, without the GIL.

The same sigmoid table and random generator as the reference and the Cython trainer (64-bit
unsigned arithmetic wraps as in C), so all three make the same draws. Compiled on first use and
cached on disk.
"""
import numpy as np
from numba import njit

from ..word2vec.update import EXP_TABLE, MAX_EXP, TABLE_SCALE

MULTIPLIER, INCREMENT = np.uint64(25214903917), np.uint64(11)


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _axpy(g, x, y):
    """y += g * x, in place (an array expression would allocate a temporary at every update)."""
    for j in range(x.shape[0]):
        y[j] += g * x[j]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _dot(x, y):
    s = np.float32(0.0)
    for j in range(x.shape[0]):
        s += x[j] * y[j]
    return s


# No fastmath here: its "no NaN, no inf" flag would let LLVM drop the comparisons that keep NaN and inf
# out of the sigmoid table's index.
@njit(cache=True, nogil=True, error_model="numpy")
def _train(W_in, W_out, W_hs, ids, starts, alpha, window, negative, alias_prob, alias_idx, codes, points,
           code_lens, state, table):
    N, V = W_in.shape[1], W_in.shape[0]
    neu1 = np.empty(N, np.float32)
    work = np.empty(N, np.float32)
    a = np.float32(alpha)
    trained = 0
    nonfinite = 0
    for s in range(starts.shape[0] - 1):
        begin, n = starts[s], starts[s + 1] - starts[s]
        for i in range(n):
            word = np.int64(ids[begin + i])
            state = state * MULTIPLIER + INCREMENT
            b = np.int64(state % np.uint64(window))
            lo, hi = max(0, i - window + b), min(n, i + window + 1 - b)
            neu1[:] = 0
            work[:] = 0
            count = 0
            for j in range(lo, hi):
                if j != i:
                    _axpy(np.float32(1.0), W_in[ids[begin + j]], neu1)
                    count += 1
            if count == 0:
                continue
            inv = np.float32(1.0 / count)
            for j in range(N):
                neu1[j] *= inv
            if W_hs.shape[0] > 0:
                for d in range(code_lens[word]):
                    node = points[word, d]
                    f = _dot(neu1, W_hs[node])
                    if not np.isfinite(f):   # NaN or inf: training diverged; Word2Vec.train says so
                        nonfinite += 1
                        continue
                    if not (f > -MAX_EXP and f < MAX_EXP):   # compare, then index: NaN skips too
                        continue
                    g = np.float32((1 - codes[word, d] - table[int((f + MAX_EXP) * TABLE_SCALE)]) * a)
                    _axpy(g, W_hs[node], work)
                    _axpy(g, neu1, W_hs[node])
            if negative > 0:
                for d in range(negative + 1):
                    if d == 0:
                        target, label = word, 1
                    else:
                        state = state * MULTIPLIER + INCREMENT
                        k = np.int64((state >> np.uint64(16)) % np.uint64(V))
                        u = np.float64((state >> np.uint64(40)) & np.uint64(0xFFFFFF)) / 16777216.0
                        target = k if u < alias_prob[k] else np.int64(alias_idx[k])
                        label = 0
                        if target == word:
                            continue
                    f = _dot(neu1, W_out[target])
                    if not np.isfinite(f):   # NaN or inf: training diverged; Word2Vec.train says so
                        nonfinite += 1
                        continue
                    if f > -MAX_EXP and f < MAX_EXP:   # compare, then index: NaN never reaches the table
                        sig = table[int((f + MAX_EXP) * TABLE_SCALE)]
                    elif f >= MAX_EXP:
                        sig = np.float32(1.0)
                    else:
                        sig = np.float32(0.0)
                    g = np.float32((label - sig) * a)
                    _axpy(g, W_out[target], work)
                    _axpy(g, neu1, W_out[target])
            for j in range(lo, hi):
                if j != i:
                    _axpy(np.float32(1.0), work, W_in[ids[begin + j]])
            trained += 1
    return trained, state, nonfinite


def train_chunk(W_in, W_out, W_hs, ids, starts, alpha, window, negative, alias_prob, alias_idx, codes, points,
                code_lens, state):
    """Same arguments and results as :func:`lstmx.word2vec.update.train_chunk`."""
    trained, state, nonfinite = _train(W_in, W_out, W_hs, ids, starts, float(alpha), int(window), int(negative),
                                       alias_prob, alias_idx, codes, points, code_lens, np.uint64(state), EXP_TABLE)
    return int(trained), int(state), int(nonfinite)
