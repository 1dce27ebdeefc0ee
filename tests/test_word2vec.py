"""Word2Vec: the textbook reference, the tables, the compiled update against the Python one, training,
KeyedVectors, the word2vec.c formats (and gensim, when installed), and bad input."""
import json
import subprocess
import sys

import numpy as np
import pytest

import lstmx
from lstmx.gradcheck import numeric_gradient, relative_error
from lstmx.word2vec import CBOWReference, KeyedVectors, Word2Vec
from lstmx.word2vec.update import EXP_TABLE, table_sigmoid
from lstmx.word2vec.update import train_chunk as train_chunk_reference
from lstmx.word2vec.vocab import Vocabulary


def topic_corpus(n=400, seed=0):
    """Sentences drawn from one of two topics: words of a topic co-occur, the topics never mix."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(12)], [f"b{i}" for i in range(12)]]
    return [list(rng.choice(topics[k % 2], size=rng.integers(5, 12))) for k in range(n)]


def zipf_corpus(n=600, vocab=300, seed=0):
    """Sentences of words drawn with Zipf-like frequencies: many words share a count (ties)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    return [[f"w{k}" for k in rng.choice(vocab, size=rng.integers(3, 15), p=p / p.sum())] for _ in range(n)]


@pytest.mark.parametrize("context", [[3], [1, 4, 4, 0]])
def test_cbow_reference_gradients(context):
    model = CBOWReference(vocab_size=6, vector_size=4, seed=0)
    model.W_out = np.random.default_rng(1).standard_normal(model.W_out.shape) * 0.5
    loss = lambda: model.forward(context, 2)
    loss()
    dW_in, dW_out = model.backward()
    assert relative_error(dW_in, numeric_gradient(loss, model.W_in)) < 1e-6
    assert relative_error(dW_out, numeric_gradient(loss, model.W_out)) < 1e-6


def test_cbow_reference_learns_a_toy_corpus():
    sentences = [[0, 1, 2, 3], [0, 1, 2, 4], [0, 1, 2, 3]]
    model = CBOWReference(vocab_size=5, vector_size=6, seed=0)
    history = model.train(sentences, window=1, epochs=200, learning_rate=0.3)
    assert history[-1] < 0.5 * history[0]
    assert int(np.argmax(model.predict([0, 2]))) == 1   # "0 _ 2" is always "0 1 2"


def test_vocabulary_counts_subsampling_and_tables():
    vocab = Vocabulary.scan([["a", "b", "a", "c", "a", "b"], ["d"]], min_count=2)
    assert vocab.words == ["a", "b"] and list(vocab.counts) == [3, 2] and vocab.raw_words == 7
    np.testing.assert_allclose(vocab.keep_probability(0.2),
                               np.minimum((np.sqrt(np.array([3, 2]) / 1.0) + 1) * 1.0 / np.array([3, 2]), 1))
    big = Vocabulary.scan([[f"w{i}"] * (i + 1) for i in range(20)], min_count=1)
    prob, alias = big.alias_table()
    V = len(big)
    implied = prob.copy()
    for j in range(V):
        implied[alias[j]] += 1 - prob[j]
    weights = big.counts ** 0.75
    np.testing.assert_allclose(implied / V, weights / weights.sum(), atol=1e-12)
    codes, points = big.huffman()
    lengths = [len(c) for c in codes]
    assert lengths[0] <= lengths[-1] and max(p.max() for p in points) == V - 2
    as_strings = ["".join(map(str, c)) for c in codes]
    assert not any(a != b and b.startswith(a) for a in as_strings for b in as_strings)   # prefix-free


def test_ties_in_the_vocabulary_are_ordered_as_gensim_orders_them():
    """Equal counts: the word first seen last comes first (gensim's order), so the Huffman trees match."""
    vocab = Vocabulary.scan([["c", "a", "b", "a", "d", "d"]], min_count=1)
    assert vocab.words == ["d", "a", "b", "c"]


def test_sigmoid_table_is_read_as_word2vec_c_reads_it():
    """word2vec.c and gensim compute the index scale 1000 / 6 / 2 in integers: 83 entries a unit."""
    assert table_sigmoid(0.0) == EXP_TABLE[498]          # (0 + 6) * 83, not entry 500
    assert table_sigmoid(5.99) == EXP_TABLE[int(11.99 * 83)]


def test_sigmoid_table_lookup_never_indexes_with_nan_inf_or_huge():
    assert np.isnan(table_sigmoid(float("nan")))
    assert table_sigmoid(float("inf")) == table_sigmoid(6.0) == table_sigmoid(1e300) == 1.0
    assert table_sigmoid(float("-inf")) == table_sigmoid(-6.0) == table_sigmoid(-1e300) == 0.0
    assert table_sigmoid(5.9999995) == EXP_TABLE[995] and table_sigmoid(-5.9999995) == EXP_TABLE[0]


def run_python(code, *args):
    """Run ``code`` in a new interpreter: a segfault fails the test instead of killing pytest."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


POISONED_UPDATE = """
import importlib, json, sys
import numpy as np
from lstmx.word2vec import Word2Vec
backend = sys.argv[1]
module = "lstmx.word2vec.update" if backend == "reference" else "lstmx._kernels.word2vec_" + backend
train_chunk = importlib.import_module(module).train_chunk
model = Word2Vec(vector_size=8, window=2, min_count=1, negative=3, hs=1, sample=0)
model.build_vocab([["a", "b", "c", "d", "e"], ["b", "c", "a"]] * 4)
results = []
for value in ("nan", "inf", "-inf", "3e38", "-3e38", "1e10", "-1e10"):   # 3e38: the dot overflows to inf
    W_in = np.ones_like(model.W_in)
    W_out, W_hs = np.full_like(model.W_out, float(value)), np.full_like(model.W_hs, float(value))
    before = [W_in.copy(), W_out.copy(), W_hs.copy()]
    n, state, nonfinite = train_chunk(W_in, W_out, W_hs, model.ids, model.starts, 0.025, 2, 3, model.alias_prob,
                                      model.alias_idx, model.codes, model.points, model.code_lens, 7)
    unchanged = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(before, [W_in, W_out, W_hs]))
    results.append([value, n, state, nonfinite, unchanged])
print(json.dumps(results))
"""


@pytest.mark.parametrize("backend", ["cython", "numba"])
def test_nan_and_inf_dot_products_skip_the_update_and_are_counted(backend):
    """The sigmoid table is indexed only for a finite f inside (-6, 6): NaN, inf, and dot products that
    overflow skip their update and are counted (train() then stops), in every backend alike."""
    pytest.importorskip(f"lstmx._kernels.word2vec_{backend}")
    ran = run_python(POISONED_UPDATE, backend)
    assert ran.returncode == 0, f"exit {ran.returncode}: {ran.stderr[-2000:]}"
    results = json.loads(ran.stdout)
    reference = run_python(POISONED_UPDATE, "reference")
    assert reference.returncode == 0, reference.stderr[-2000:]
    assert results == json.loads(reference.stdout)
    for value, n, state, nonfinite, unchanged in results:
        if value in ("1e10", "-1e10"):   # finite and saturated: the word2vec.c rules, nothing skipped
            assert nonfinite == 0 and not unchanged, value
        else:
            assert nonfinite > 0 and unchanged, value
        assert n == 32


DIVERGING_RUN = """
import sys
import numpy as np
import lstmx
S = [[f"w{i}" for i in np.random.default_rng(0).integers(0, 30, 12)] for _ in range(1000)]
try:
    lstmx.Word2Vec(S, alpha=1.0, min_count=1, vector_size=16, epochs=5, backend=sys.argv[1], workers=int(sys.argv[2]))
except FloatingPointError as exc:
    print(type(exc).__name__, exc, isinstance(exc, ValueError))
"""


@pytest.mark.parametrize("backend,workers", [("cython", 1), ("cython", 2), ("numba", 1)])
def test_a_diverging_run_stops_with_an_error_naming_alpha(backend, workers):
    """alpha=1.0 drives the vectors to overflow: the Cython trainer indexed its sigmoid table with
    (int)NaN and crashed, Numba read outside it silently; now train() stops, naming the epoch and alpha."""
    pytest.importorskip(f"lstmx._kernels.word2vec_{backend}")
    ran = run_python(DIVERGING_RUN, backend, str(workers))
    assert ran.returncode == 0, f"exit {ran.returncode}: {ran.stderr[-2000:]}"
    assert ran.stdout.startswith("TrainingDivergedError training diverged in epoch "), ran.stdout
    assert "alpha=1.0" in ran.stdout and "smaller alpha" in ran.stdout and ran.stdout.strip().endswith("True")


def test_hierarchical_softmax_matches_gensim_update_for_update():
    """With every random choice switched off (window 1, no subsampling, one thread, constant alpha),
    gensim and lstmx make the same vocabulary, Huffman tree, start vectors and updates."""
    gensim_models = pytest.importorskip("gensim.models")
    sentences = zipf_corpus()
    settings = dict(vector_size=16, window=1, min_count=2, sample=0, negative=0, hs=1, alpha=0.025,
                    min_alpha=0.025, seed=5)
    theirs = gensim_models.Word2Vec(sg=0, workers=1, **settings)
    theirs.build_vocab(sentences)
    start = theirs.wv.vectors.copy()
    theirs.train(sentences, total_examples=len(sentences), epochs=2)
    ours = Word2Vec(vector_size=16, window=1, min_count=2, sample=0, negative=0, hs=1, alpha=0.025,
                    min_alpha=0.025, seed=5, workers=1, epochs=2)
    ours.build_vocab(sentences)
    assert ours.vocab.words == theirs.wv.index_to_key
    np.testing.assert_array_equal(ours.W_in, start)
    ours.train()
    V = len(ours.vocab)
    assert np.abs(ours.W_in - start).max() > 0.01                    # it did train
    np.testing.assert_allclose(ours.W_in, theirs.wv.vectors, atol=2e-5)
    np.testing.assert_allclose(ours.W_hs, theirs.syn1[:V - 1], atol=2e-5)


@pytest.mark.parametrize("backend", ["cython", "numba"])
@pytest.mark.parametrize("hs,negative", [(0, 5), (1, 0), (1, 3)])
def test_compiled_update_equals_the_python_update(hs, negative, backend):
    """Same corpus, same random stream: same words trained, same draws, same matrices."""
    train_chunk = pytest.importorskip(f"lstmx._kernels.word2vec_{backend}").train_chunk
    model = Word2Vec(vector_size=8, window=3, min_count=1, negative=negative, hs=hs, sample=0)
    model.build_vocab(topic_corpus(60))
    a = [m.copy() for m in (model.W_in, model.W_out, model.W_hs)]
    b = [m.copy() for m in a]
    args = (model.ids, model.starts, 0.05, 3, negative, model.alias_prob, model.alias_idx, model.codes,
            model.points, model.code_lens, 2024)
    n_ref, state_ref, nonfinite_ref = train_chunk_reference(*a, *args)
    n, state, nonfinite = train_chunk(*b, *args)
    assert (n, state, nonfinite) == (n_ref, state_ref, nonfinite_ref) and nonfinite == 0
    for x, y in zip(a, b):
        np.testing.assert_allclose(y, x, atol=2e-5)
        assert not np.array_equal(x, np.zeros_like(x)) or x.size == 0


@pytest.mark.parametrize("backend,workers,hs,negative", [("auto", 1, 0, 5), ("auto", 2, 0, 5), ("auto", 1, 1, 0),
                                                         ("numba", 2, 1, 3), ("reference", 1, 0, 5)])
def test_training_separates_the_topics(backend, workers, hs, negative):
    corpus = topic_corpus(200 if backend == "reference" else 600)
    model = Word2Vec(corpus, vector_size=16, window=3, min_count=1, sample=0, hs=hs, negative=negative,
                     epochs=5 if backend == "reference" else 10, workers=workers, seed=3, backend=backend,
                     alpha=0.05)
    neighbours = [w for w, _ in model.wv.most_similar("a0", topn=5)]
    assert all(w.startswith("a") for w in neighbours), neighbours
    assert model.wv.similarity("a0", "a1") > model.wv.similarity("a0", "b1")
    effective, raw = model.train(epochs=1)
    assert effective == raw == sum(len(s) for s in corpus)   # no subsampling: every word trained


def test_subsampling_drops_frequent_words():
    corpus = [["the"] * 50 + ["cat", "dog"]] * 20
    effective, raw = Word2Vec(corpus, vector_size=4, min_count=1, sample=1e-2, epochs=1).train(epochs=1)
    assert raw == 52 * 20 and effective < 0.5 * raw


def test_corpus_file_and_bad_utf8(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in topic_corpus(100)) + "\n")
    model = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, epochs=2)
    assert len(model.wv) == 24
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"good line\nbad \xff byte\n")
    with pytest.raises(ValueError, match=r"bad.txt, line 2: not valid UTF-8"):
        Word2Vec(corpus_file=str(bad), min_count=1)


def test_bad_arguments_and_corpora():
    with pytest.raises(ValueError, match="window must be an integer >= 1, got 0"):
        Word2Vec(window=0)
    with pytest.raises(ValueError, match="vector_size must be an integer >= 1"):
        Word2Vec(vector_size=0)
    with pytest.raises(ValueError, match="negative=0 and hs=0 leave nothing to train"):
        Word2Vec(negative=0, hs=0)
    with pytest.raises(ValueError, match=r"sample must be >= 0 \(0 turns subsampling off\), got -0.001"):
        Word2Vec(sample=-1e-3)
    with pytest.raises(ValueError, match="the corpus is empty"):
        Word2Vec([], min_count=1)
    with pytest.raises(ValueError, match="no word occurs at least min_count=5 times"):
        Word2Vec([["a", "b"]], min_count=5)
    with pytest.raises(TypeError, match="re-iterable"):
        Word2Vec((s for s in [["a"]]), min_count=1)
    with pytest.raises(TypeError, match="list of tokens, got a string"):
        Word2Vec(["a sentence as a string"], min_count=1)
    with pytest.raises(NotImplementedError, match="sg=1: lstmx trains CBOW only"):   # gensim's switch, refused
        Word2Vec([["a", "b"]], min_count=1, sg=1)
    with pytest.raises(NotImplementedError, match="cbow_mean=0: lstmx averages the context vectors"):
        Word2Vec([["a", "b"]], min_count=1, cbow_mean=0)
    assert Word2Vec([["a", "b"]] * 5, min_count=1, vector_size=4, sg=0, cbow_mean=1).wv.vectors.shape == (2, 4)


@pytest.mark.parametrize("kwargs,message", [
    (dict(max_vocab_size=0), "max_vocab_size must be None (no limit) or an integer >= 1, got 0"),
    (dict(max_vocab_size=-1), "max_vocab_size must be None (no limit) or an integer >= 1, got -1"),  # dropped a word
    (dict(window=2 ** 31), "window must be at most 2147483647 (the compiled trainers hold it in a C int), got 2147483648"),
    (dict(vector_size=2 ** 31), "vector_size must be at most 2147483647"),
    (dict(negative=2 ** 31 - 1), "negative must be an integer from 0 to 2147483646 (the compiled trainers count "
                                 "negative + 1 draws in a C int), got 2147483647"),
    (dict(negative=2.5), "negative must be an integer from 0 to 2147483646"),
    (dict(negative=-1), "negative must be an integer from 0 to 2147483646"),
    (dict(hs=2), "hs must be 0 or 1, got 2"),
    (dict(alpha=float("inf")), "alpha must be a finite number, got inf"),
    (dict(min_alpha=float("nan")), "min_alpha must be a finite number, got nan"),
    (dict(seed=-1), "seed must be an integer >= 0, got -1"),
    (dict(seed=1.5), "seed must be an integer >= 0, got 1.5"),
    (dict(progress="yes"), "progress must be True or False, got 'yes'"),
    (dict(max_corpus_memory=-1), "max_corpus_memory must be None (always keep the corpus) or an integer >= 0"),
])
def test_arguments_the_trainers_cannot_take_are_refused(kwargs, message):
    """Each names what was expected and what came, before any corpus is read or trained on."""
    with pytest.raises(ValueError) as info:
        Word2Vec(topic_corpus(20), **{**dict(min_count=1, vector_size=4, epochs=1), **kwargs})
    assert message in str(info.value)


def test_train_checks_its_epochs():
    model = Word2Vec(topic_corpus(20), min_count=1, vector_size=4, epochs=1)
    for epochs in (0, -1, 1.5):
        with pytest.raises(ValueError, match=f"epochs must be an integer >= 1, got {epochs}"):
            model.train(epochs=epochs)


def test_an_empty_vocabulary_is_the_error_gensim_raises_too():
    """gensim raises RuntimeError ('you must first build vocabulary'); lstmx's is also a ValueError."""
    for corpus, min_count in (([], 1), ([["a", "b"]], 5)):
        with pytest.raises(RuntimeError) as info:
            Word2Vec(corpus, min_count=min_count)
        assert isinstance(info.value, ValueError) and type(info.value).__name__ == "EmptyVocabularyError"


def test_long_sentences_are_cut_at_10000_words_as_corpus_file_lines_are(tmp_path):
    """A sentence of n words costs n * min(n, 2 * window): a huge window on one long sentence was
    quadratic in the corpus. Sentences given as lists are now cut as the lines of a file are."""
    from lstmx.word2vec.model import Corpus
    sentence = [f"w{i % 7}" for i in range(25000)]
    assert [len(s) for s in Corpus(sentences=[sentence, ["a"]])] == [10000, 10000, 5000, 1]
    path = tmp_path / "c.txt"
    path.write_text(" ".join(sentence) + "\na\n")
    assert [list(s) for s in Corpus(corpus_file=str(path))] == [list(s) for s in Corpus(sentences=[sentence, ["a"]])]
    model = Word2Vec(min_count=1, vector_size=4, window=10 ** 6)
    model.build_vocab([sentence])
    assert list(np.diff(model.starts)) == [10000, 10000, 5000]


def test_keyed_vectors_queries():
    kv = KeyedVectors(["king", "queen", "man", "woman", "apple"],
                      np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0], [1, 0, 1], [0, 0, -5]], np.float32))
    assert kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    assert kv.doesnt_match(["king", "queen", "man", "apple"]) == "apple"
    assert kv.similarity("king", "king") == pytest.approx(1.0)
    with pytest.raises(KeyError, match="word 'emperor' not in vocabulary"):
        kv.most_similar("emperor")


def test_evaluations(tmp_path):
    kv = KeyedVectors(["king", "queen", "man", "woman", "apple"],
                      np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0], [1, 0, 1], [0, 0, -5]], np.float32))
    q = tmp_path / "questions.txt"
    q.write_text(": gender\nman woman king queen\nMAN KING WOMAN QUEEN\nman woman pear apple\n: fruit\nking man apple woman\n")
    accuracy, sections = kv.evaluate_word_analogies(str(q))
    assert [s["section"] for s in sections] == ["gender", "fruit", "Total accuracy"]
    total = sections[-1]
    assert len(total["correct"]) + len(total["incorrect"]) == 3     # the question with 'pear' is skipped
    assert accuracy == len(total["correct"]) / 3 and ("MAN", "WOMAN", "KING", "QUEEN") in total["correct"]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("word1\tword2\tscore\nking\tqueen\t9\nman\twoman\t8\nking\tapple\t1\nman\tpear\t3\n")
    (pearson, _), (spearman, _), oov = kv.evaluate_word_pairs(str(pairs))
    assert oov == pytest.approx(25.0) and spearman > 0.4 and -1 <= pearson <= 1


def test_default_analogy_file_is_shipped():
    kv = KeyedVectors(["athens", "greece"], np.eye(2, dtype=np.float32))
    accuracy, sections = kv.evaluate_word_analogies()
    assert sections[0]["section"] == "capital-common-countries" and accuracy == 0.0


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_round_trip_and_errors(tmp_path, binary):
    kv = KeyedVectors(["x", "héllo", "z"], np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32))
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(str(path), binary=binary)
    back = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    data = path.read_bytes()
    (tmp_path / "cut").write_bytes(data[: len(data) - 7])
    with pytest.raises(ValueError, match="truncated|expected a word and 5 numbers"):
        KeyedVectors.load_word2vec_format(str(tmp_path / "cut"), binary=binary)
    (tmp_path / "junk").write_bytes(b"not a header\n")
    with pytest.raises(ValueError, match="line 1: expected a header"):
        KeyedVectors.load_word2vec_format(str(tmp_path / "junk"), binary=binary)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours_and_we_read_gensims(tmp_path, binary):
    gensim_models = pytest.importorskip("gensim.models")
    model = Word2Vec(topic_corpus(300), vector_size=12, min_count=1, epochs=5, seed=2)
    ours = tmp_path / "ours"
    model.wv.save_word2vec_format(str(ours), binary=binary)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert [w for w, _ in theirs.most_similar("a3", topn=5)] == [w for w, _ in model.wv.most_similar("a3", topn=5)]
    gensim_path = tmp_path / "theirs"
    theirs.save_word2vec_format(str(gensim_path), binary=binary)
    back = KeyedVectors.load_word2vec_format(str(gensim_path), binary=binary)
    np.testing.assert_allclose(back.vectors, model.wv.vectors, rtol=1e-6)


@pytest.mark.parametrize("hs,negative", [(0, 5), (1, 0)])
def test_a_streamed_corpus_trains_exactly_as_a_kept_one(tmp_path, hs, negative):
    """Past max_corpus_memory the corpus is read again each epoch, job by job: the same jobs, the same
    random draws, the same vectors. 3,000 sentences (~24,000 words): several jobs, and a last short one."""
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in topic_corpus(3000, seed=4)) + "\n")
    settings = dict(corpus_file=str(path), vector_size=16, min_count=1, epochs=2, hs=hs, negative=negative, seed=3)
    kept = Word2Vec(**settings, max_corpus_memory=None)
    streamed = Word2Vec(**settings, max_corpus_memory=0)
    assert kept.ids is not None and streamed.ids is None          # nothing of the corpus is kept
    np.testing.assert_array_equal(streamed.W_in, kept.W_in)
    assert streamed.train(epochs=1) == kept.train(epochs=1)


def test_a_saved_streaming_model_needs_its_corpus_again(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in topic_corpus(100)) + "\n")
    model = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, epochs=1, max_corpus_memory=0)
    model.save(str(tmp_path / "w2v.pkl"))
    loaded = Word2Vec.load(str(tmp_path / "w2v.pkl"))
    with pytest.raises(RuntimeError, match="streams its corpus"):
        loaded.train(epochs=1)
    from lstmx.word2vec.model import Corpus
    loaded.corpus = Corpus(corpus_file=str(path))
    before = loaded.wv["a1"].copy()
    loaded.train(epochs=1)
    assert not np.array_equal(before, loaded.wv["a1"])


def test_save_load_and_continue_training(tmp_path):
    model = Word2Vec(topic_corpus(100), vector_size=8, min_count=1, epochs=2)
    path = tmp_path / "w2v.pkl"
    model.save(str(path))
    loaded = Word2Vec.load(str(path))
    np.testing.assert_array_equal(loaded.wv["a1"], model.wv["a1"])
    before = loaded.wv["a1"].copy()
    loaded.train(epochs=1)
    assert not np.array_equal(before, loaded.wv["a1"])
    (tmp_path / "junk").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a Word2Vec model"):
        Word2Vec.load(str(tmp_path / "junk"))


def test_embedding_from_pretrained_word_vectors():
    kv = KeyedVectors(["good", "bad", "film"], np.arange(6, dtype=np.float32).reshape(3, 2))
    word_index = {"film": 4, "good": 5, "unseen": 6}           # e.g. imdb ids (rank + 3)
    layer = lstmx.Embedding.from_pretrained(kv, word_index, trainable=False)
    assert layer.embeddings.shape == (7, 2) and layer.pretrained_rows == 2
    np.testing.assert_array_equal(layer.embeddings[4], kv["film"])
    np.testing.assert_array_equal(layer.embeddings[5], kv["good"])
    assert np.abs(layer.embeddings[6]).max() <= 0.05            # no vector: the usual random start
    model = lstmx.Sequential([layer, lstmx.LSTM(3, seed=0), lstmx.Dense(1, "sigmoid", seed=1)])
    model.compile("binary_crossentropy", "adam")
    before = layer.embeddings.copy()
    model.fit(np.array([[4, 5], [6, 4]]), np.array([1, 0]), epochs=2, verbose=0)
    np.testing.assert_array_equal(layer.embeddings, before)    # trainable=False: frozen
    assert "0/embeddings" not in model.params


def test_word2vec_command(tmp_path, capsys):
    from lstmx.cli import main
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in topic_corpus(150)) + "\n")
    out = tmp_path / "v.txt"
    assert main(["word2vec", str(corpus), "-o", str(out), "--min-count", "1", "--epochs", "2", "--vector-size", "8"]) == 0
    kv = KeyedVectors.load_word2vec_format(str(out))
    assert len(kv) == 24 and kv.vector_size == 8
    streamed = tmp_path / "streamed.txt"
    assert main(["word2vec", str(corpus), "-o", str(streamed), "--min-count", "1", "--epochs", "2",
                 "--vector-size", "8", "--max-corpus-mb", "0"]) == 0
    np.testing.assert_array_equal(KeyedVectors.load_word2vec_format(str(streamed)).vectors, kv.vectors)
