"""The CBOW trainer compiled: :func:`lstmx.word2vec.update.train_chunk` without the GIL.

Short loops over one vector each (dot, axpy) that the compiler vectorises; the sigmoid table and
the random generator of the reference, so both make the same draws. Several threads may run it
at once on different chunks (Hogwild: updates of the shared matrices are not locked, as in
word2vec.c and gensim).
"""
import numpy as np

from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

ctypedef fused word_id:
    unsigned short   # vocabularies under 65,536 words: the corpus takes 2 bytes a word
    int

cdef enum:
    EXP_TABLE_SIZE = 1000
cdef float MAX_EXP = 6.0
cdef float EXP_TABLE[EXP_TABLE_SIZE]
cdef float TABLE_SCALE = EXP_TABLE_SIZE // <int>MAX_EXP // 2   # 83, word2vec.c's integer arithmetic: see update.TABLE_SCALE

cdef int _k
for _k in range(EXP_TABLE_SIZE):
    EXP_TABLE[_k] = <float>(1 / (1 + np.exp(-((_k / <double>EXP_TABLE_SIZE * 2 - 1) * MAX_EXP))))


cdef inline uint64_t next_random(uint64_t state) noexcept nogil:
    return state * <uint64_t>25214903917ULL + 11


cdef inline bint finite(float f) noexcept nogil:
    """False for NaN and +-inf, read from the bits: the kernels are built with -ffast-math, which lets
    gcc assume that no float is NaN or inf, so a float comparison is no guard against them."""
    cdef uint32_t bits
    memcpy(&bits, &f, sizeof(float))
    return (bits & <uint32_t>0x7FFFFFFF) < <uint32_t>0x7F800000


cdef inline float dot(const float* a, const float* b, int n) noexcept nogil:
    cdef int j
    cdef float s = 0
    for j in range(n):
        s += a[j] * b[j]
    return s


cdef inline void axpy(float g, const float* x, float* y, int n) noexcept nogil:
    """y += g * x"""
    cdef int j
    for j in range(n):
        y[j] += g * x[j]


def train_chunk(float[:, ::1] W_in, float[:, ::1] W_out, float[:, ::1] W_hs, const word_id[::1] ids,
                const long[::1] starts, double alpha, int window, int negative, const double[::1] alias_prob,
                const int[::1] alias_idx, const unsigned char[:, ::1] codes, const int[:, ::1] points,
                const int[::1] code_lens, uint64_t state):
    """Same arguments and results as :func:`lstmx.word2vec.update.train_chunk` (float32 matrices)."""
    cdef int N = W_in.shape[1], V = W_in.shape[0]
    cdef bint hs = W_hs.shape[0] > 0
    cdef long trained = 0, nonfinite = 0
    cdef float* neu1 = <float*>malloc(N * sizeof(float))
    cdef float* work = <float*>malloc(N * sizeof(float))
    cdef float a = alpha, f, g, inv
    cdef long s, i, j, n, lo, hi, begin, count
    cdef int word, target, label, d, node, b, k
    cdef double u
    try:
        if neu1 == NULL or work == NULL:
            raise MemoryError(f"cannot allocate two vectors of {N} floats")
        with nogil:
            for s in range(starts.shape[0] - 1):
                begin = starts[s]
                n = starts[s + 1] - begin
                for i in range(n):
                    word = ids[begin + i]
                    state = next_random(state)
                    b = <int>(state % <uint64_t>window)
                    lo = i - window + b
                    if lo < 0:
                        lo = 0
                    hi = i + window + 1 - b
                    if hi > n:
                        hi = n
                    count = 0
                    for j in range(N):
                        neu1[j] = 0
                        work[j] = 0
                    for j in range(lo, hi):
                        if j != i:
                            axpy(1.0, &W_in[ids[begin + j], 0], neu1, N)
                            count += 1
                    if count == 0:
                        continue
                    inv = 1.0 / count
                    for j in range(N):
                        neu1[j] *= inv
                    if hs:
                        for d in range(code_lens[word]):
                            node = points[word, d]
                            f = dot(neu1, &W_hs[node, 0], N)
                            if not finite(f):   # NaN or inf: training diverged; Word2Vec.train says so
                                nonfinite += 1
                                continue
                            # the table is read only for an f inside (-MAX_EXP, MAX_EXP): index 0..996
                            if f <= -MAX_EXP or f >= MAX_EXP:
                                continue
                            g = (1 - codes[word, d] - EXP_TABLE[<int>((f + MAX_EXP) * TABLE_SCALE)]) * a
                            axpy(g, &W_hs[node, 0], work, N)
                            axpy(g, neu1, &W_hs[node, 0], N)
                    if negative > 0:   # the word itself (label 1), then the negative draws
                        for d in range(negative + 1):
                            if d == 0:
                                target = word
                                label = 1
                            else:
                                state = next_random(state)
                                k = <int>((state >> 16) % <uint64_t>V)
                                u = ((state >> 40) & 0xFFFFFF) / <double>(1 << 24)
                                target = k if u < alias_prob[k] else alias_idx[k]
                                label = 0
                                if target == word:
                                    continue
                            f = dot(neu1, &W_out[target, 0], N)
                            if not finite(f):   # NaN or inf: training diverged; Word2Vec.train says so
                                nonfinite += 1
                                continue
                            if f >= MAX_EXP:
                                g = (label - 1) * a
                            elif f <= -MAX_EXP:
                                g = label * a
                            else:
                                g = (label - EXP_TABLE[<int>((f + MAX_EXP) * TABLE_SCALE)]) * a
                            axpy(g, &W_out[target, 0], work, N)
                            axpy(g, neu1, &W_out[target, 0], N)
                    for j in range(lo, hi):
                        if j != i:
                            axpy(1.0, work, &W_in[ids[begin + j], 0], N)
                    trained += 1
    finally:
        free(neu1)
        free(work)
    return trained, state, nonfinite
