"""Word2Vec's own file (Word2Vec.save / load: arrays and JSON, never a pickle) and the word2vec.c
formats of KeyedVectors, against tampered, truncated and foreign files (and gensim, when installed)."""
import json
import os
import pickle

import numpy as np
import pytest

from lstmx.word2vec import KeyedVectors, Word2Vec


def topic_corpus(n=200, seed=0):
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(12)], [f"b{i}" for i in range(12)] + ["héllo", "naïve"]]
    return [list(rng.choice(topics[k % 2], size=rng.integers(5, 12))) for k in range(n)]


class _CreatesMarker:
    """Unpickling this creates the file ``path``: code a crafted model file would run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def rewrite(path, **changes):
    """Write the .npz at ``path`` again with members replaced (or removed, for None)."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    for name, value in changes.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def config_of(path):
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(archive["config"].tobytes())


def as_config(config):
    return np.frombuffer(json.dumps(config).encode(), np.uint8)


@pytest.fixture
def saved(tmp_path):
    model = Word2Vec(topic_corpus(), vector_size=8, min_count=1, epochs=2, hs=1, negative=3, seed=4)
    path = tmp_path / "model.w2v"
    model.save(path)
    return model, path


def test_a_pickle_crafted_to_run_code_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.w2v"
    path.write_bytes(pickle.dumps({"payload": _CreatesMarker(str(marker))}, protocol=4))
    with pytest.raises(ValueError) as info:
        Word2Vec.load(str(path))
    assert not marker.exists(), "loading the file ran its code"
    assert "is not a Word2Vec model file written by lstmx" in str(info.value)
    assert "looks like a pickle" in str(info.value) and "does not unpickle" in str(info.value)


def test_an_object_array_inside_the_archive_is_not_unpickled(saved, tmp_path):
    _, path = saved
    marker = tmp_path / "marker"
    evil = np.empty(1, object)
    evil[0] = _CreatesMarker(str(marker))
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["W_in"] = evil
    with open(path, "wb") as f:
        np.savez(f, **arrays)    # np.savez pickles the object array into W_in.npy
    assert not marker.exists()
    with pytest.raises(ValueError, match=r"'W_in': expected float32 of shape \(26, 8\) \(C order\), got object"):
        Word2Vec.load(path)
    assert not marker.exists()


@pytest.mark.parametrize("hs,negative,max_corpus_memory", [(1, 3, None), (0, 5, None), (1, 0, 0)])
def test_round_trip_reproduces_the_model_and_its_further_training(tmp_path, hs, negative, max_corpus_memory):
    corpus = topic_corpus()
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n", encoding="utf-8")
    model = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, epochs=2, hs=hs, negative=negative, seed=4,
                     max_corpus_memory=max_corpus_memory)
    model.save(tmp_path / "m.w2v")
    assert not (tmp_path / "m.w2v.tmp").exists()
    with open(tmp_path / "m.w2v", "rb") as f:
        assert f.read(2) == b"PK"                              # a zip of .npy files, no pickle
    loaded = Word2Vec.load(tmp_path / "m.w2v")
    assert loaded.settings() == model.settings()
    assert loaded.vocab.words == model.vocab.words and loaded.wv.index_to_key == model.wv.index_to_key
    for name in ("W_in", "W_out", "W_hs", "alias_prob", "alias_idx", "codes", "points", "code_lens", "ids", "starts"):
        a, b = getattr(loaded, name), getattr(model, name)
        assert (a is None and b is None) or (np.array_equal(a, b) and a.dtype == b.dtype), name
    np.testing.assert_array_equal(loaded.vocab.counts, model.vocab.counts)
    assert loaded.vocab.raw_words == model.vocab.raw_words
    assert loaded.wv.vectors is loaded.W_in
    if model.ids is None:   # a streamed corpus is not saved: the model is told where it is again
        from lstmx.word2vec.model import Corpus
        loaded.corpus = Corpus(corpus_file=str(path))
    assert loaded.train(epochs=1) == model.train(epochs=1)
    np.testing.assert_array_equal(loaded.W_in, model.W_in)   # the same further training, update for update
    np.testing.assert_array_equal(loaded.W_out, model.W_out)
    np.testing.assert_array_equal(loaded.W_hs, model.W_hs)


def test_a_model_before_build_vocab_keeps_its_settings(tmp_path):
    model = Word2Vec(vector_size=7, window=3, alpha=0.03, max_vocab_size=100, seed=9)
    model.save(tmp_path / "m")
    loaded = Word2Vec.load(tmp_path / "m")
    assert loaded.vocab is None and loaded.settings() == model.settings()
    loaded.build_vocab(topic_corpus(50))
    loaded.train()


def test_words_that_are_not_text_are_refused_on_save(tmp_path):
    model = Word2Vec([[1, 2, 3]] * 5, vector_size=4, min_count=1, epochs=1)
    with pytest.raises(TypeError, match=r"expected str words, word 0 is 3 \(int\)|expected str words, word 0 is"):
        model.save(tmp_path / "m")
    assert not os.path.exists(tmp_path / "m")


def test_missing_foreign_and_truncated_files(saved, tmp_path):
    _, path = saved
    with pytest.raises(FileNotFoundError, match="no Word2Vec model file at"):
        Word2Vec.load(tmp_path / "nothing")
    (tmp_path / "text").write_text("hello")
    with pytest.raises(ValueError, match="text is not a Word2Vec model file written by lstmx"):
        Word2Vec.load(tmp_path / "text")
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="no 'config' array"):
        Word2Vec.load(tmp_path / "foreign.npz")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 100):
        (tmp_path / "cut").write_bytes(data[:cut])
        with pytest.raises(ValueError):
            Word2Vec.load(tmp_path / "cut")


def test_tampered_config_and_arrays_are_refused_saying_what_is_wrong(saved):
    model, path = saved
    good = path.read_bytes()
    config = config_of(path)
    V = len(model.vocab)

    def refused(match, **changes):
        path.write_bytes(good)
        rewrite(path, **changes)
        with pytest.raises(ValueError, match=match):
            Word2Vec.load(path)

    refused(r"expected a config of format 'lstmx-word2vec-1', got 'other'", config=as_config({**config, "format": "other"}))
    refused("window must be an integer >= 1, got -1",
            config=as_config({**config, "settings": {**config["settings"], "window": -1}}))
    refused("expected the keys vector_size", config=as_config({**config, "settings": {"window": 3}}))
    refused(r"'config': expected at most 1048576 bytes of JSON", config=np.zeros(2 << 20, np.uint8))
    refused(r"'config': expected at most", config=np.zeros((2, 2), np.uint8))
    # a vocabulary claimed a million times larger: refused from the headers, nothing that size allocated
    refused(r"expected int64 of shape \(26000000,\)",
            config=as_config({**config, "vocabulary": {**config["vocabulary"], "size": V * 10 ** 6}}))
    big = as_config({**config, "vocabulary": {**config["vocabulary"], "size": 10 ** 12}})
    path.write_bytes(good)
    rewrite(path, config=big, word_ends=np.zeros(1, np.int64))
    with np.load(path) as archive:   # forge the headers too: the size check still refuses
        arrays = {name: archive[name] for name in archive.files}
    import zipfile
    with zipfile.ZipFile(path, "w") as z:
        for name, array in arrays.items():
            with z.open(name + ".npy", "w") as f:
                if name == "word_ends":
                    np.lib.format.write_array_header_1_0(f, dict(descr="<i8", fortran_order=False, shape=(10 ** 12,)))
                else:
                    np.lib.format.write_array(f, array)
    with pytest.raises(ValueError, match=r"'word_ends' of shape \(1000000000000,\) would take 8000000000000 bytes"):
        Word2Vec.load(path)
    refused(r"'W_in': expected float32 of shape \(26, 8\) \(C order\), got float32 of shape \(25, 8\)",
            W_in=model.W_in[:-1])
    refused(r"the array 'W_hs' \(float32 of shape \(25, 8\)\) is missing", W_hs=None)
    refused(r"'W_out': expected float32 of shape \(26, 8\) \(C order\), got float64", W_out=model.W_out.astype(float))
    refused(r"'W_in': expected float32 of shape \(26, 8\) \(C order\), got float32 of shape \(26, 8\) \(Fortran",
            W_in=np.asfortranarray(model.W_in))
    ids = model.ids.copy()
    ids[5] = V                       # the trainers would read row V of W_in
    refused(r"'ids': expected word ids from 0 to 25, got from 0 to 26", ids=ids)
    starts = model.starts.copy()
    starts[3] = starts[-1] + 5       # a sentence running past the corpus
    refused(r"'starts': expected sentence starts rising from 0 to", starts=starts)
    counts = model.vocab.counts.copy()
    counts[-1] = 0
    refused(r"'counts': expected word counts >= 1", counts=counts)
    ends = np.cumsum([len(w.encode()) for w in model.vocab.words])
    ends[2] = ends[1] - 1
    refused(r"'word_ends': expected offsets rising from 0", word_ends=ends)
    words = bytearray(b"".join(w.encode() for w in model.vocab.words))
    words[ends[0]] = 0xFF
    refused(r"word 1 is not valid UTF-8", words=np.frombuffer(bytes(words), np.uint8))
    refused(r"expected unique words", words=np.frombuffer(b"".join(b"a" * len(w.encode()) for w in model.vocab.words),
                                                            np.uint8))
    path.write_bytes(good)
    assert np.array_equal(Word2Vec.load(path).W_in, model.W_in)


# ---- the word2vec.c formats ----
def binary_file(words, vectors, header=None, newline=True):
    """A binary word2vec file: ``header`` (default: the true sizes) then ``word<space><floats>[\\n]``."""
    vectors = np.asarray(vectors, "<f4")
    head = header if header is not None else f"{len(words)} {vectors.shape[1]}"
    return (head + "\n").encode() + b"".join(w + b" " + v.tobytes() + (b"\n" if newline else b"")
                                             for w, v in zip(words, vectors))


WORDS = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon"]
VECTORS = np.random.default_rng(3).standard_normal((5, 6)).astype(np.float32)


@pytest.mark.parametrize("newline", [True, False])     # word2vec.c ends each vector with a newline, gensim not
@pytest.mark.parametrize("claimed", [5, 4, 3, 1])
def test_a_binary_header_smaller_than_the_vectors_is_detected(tmp_path, newline, claimed):
    """The words after the first then start inside a vector: they loaded as garbage words, silently."""
    path = tmp_path / "v.bin"
    path.write_bytes(binary_file(WORDS, VECTORS, header=f"5 {claimed}", newline=newline))
    for errors in ("strict", "replace"):
        with pytest.raises(ValueError, match=rf"is the header's vector size {claimed} that of the data\?"):
            KeyedVectors.load_word2vec_format(path, binary=True, unicode_errors=errors)
    path.write_bytes(binary_file(WORDS, VECTORS, newline=newline))
    kv = KeyedVectors.load_word2vec_format(path, binary=True)
    assert kv.index_to_key == [w.decode() for w in WORDS]
    np.testing.assert_array_equal(kv.vectors, VECTORS)


def test_a_binary_header_larger_than_the_data_or_forged_is_a_truncated_file(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(binary_file(WORDS, VECTORS, header="5 7"))
    with pytest.raises(EOFError, match="file ends inside .* the header's sizes are larger than the data's"):
        KeyedVectors.load_word2vec_format(path, binary=True)
    path.write_bytes(binary_file(WORDS, VECTORS, header="4000000000 300"))   # would allocate 4.8 TB
    for binary in (True, False):
        with pytest.raises(EOFError, match=r"announces 4000000000 words of 300 numbers, at least \d+ bytes, but the "
                                           r"file has \d+ after its header"):
            KeyedVectors.load_word2vec_format(path, binary=binary)


@pytest.mark.parametrize("binary", [False, True])
def test_data_after_the_words_the_header_announces_is_refused_unless_limited(tmp_path, binary):
    kv = KeyedVectors([w.decode() for w in WORDS], VECTORS)
    path = tmp_path / "v"
    kv.save_word2vec_format(path, binary=binary)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"5 6\n", b"3 6\n", 1))
    with pytest.raises(ValueError, match="follow.* the 3 words .*limit=3 reads only the first 3"):
        KeyedVectors.load_word2vec_format(path, binary=binary)
    assert KeyedVectors.load_word2vec_format(path, binary=binary, limit=3).index_to_key == ["alpha", "beta", "gamma"]
    path.write_bytes(data)
    two = KeyedVectors.load_word2vec_format(path, binary=binary, limit=2)
    assert two.index_to_key == ["alpha", "beta"] and np.array_equal(two.vectors, VECTORS[:2])
    with pytest.raises(ValueError, match="limit must be None .* got -1"):
        KeyedVectors.load_word2vec_format(path, binary=binary, limit=-1)


@pytest.mark.parametrize("binary", [False, True])
def test_a_truncated_file_is_an_eoferror_as_in_gensim_and_a_valueerror(tmp_path, binary):
    kv = KeyedVectors([w.decode() for w in WORDS], VECTORS)
    path = tmp_path / "v"
    kv.save_word2vec_format(path, binary=binary)
    data = path.read_bytes()
    for cut in (len(data) - 2, len(data) - 9, len(data) // 2, len(data.split(b"\n")[0]) + 1):
        path.write_bytes(data[:cut])
        with pytest.raises(EOFError, match="truncated") as info:
            KeyedVectors.load_word2vec_format(path, binary=binary)
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("word", ["two words", "new\nline", "", "\ud800", "tab\tis fine but space is not"])
@pytest.mark.parametrize("binary", [False, True])
def test_a_word_the_format_cannot_hold_is_refused_by_name(tmp_path, binary, word):
    """A space or newline splits the word on reading: the file reloaded silently corrupted."""
    kv = KeyedVectors(["ok", word], VECTORS[:2])
    path = tmp_path / "v"
    with pytest.raises(ValueError, match=r"word 1, .* cannot be saved in the word2vec format"):
        kv.save_word2vec_format(path, binary=binary)
    assert not path.exists()
    tab = KeyedVectors(["ok", "tab\there", "ünï"], VECTORS[:3])
    tab.save_word2vec_format(path, binary=binary)
    assert KeyedVectors.load_word2vec_format(path, binary=binary).index_to_key == ["ok", "tab\there", "ünï"]


def not_utf8_file(binary, words=(b"a\xffb", b"c\xfed", b"ok")):
    if binary:
        return binary_file(list(words), VECTORS[:len(words)])
    return (f"{len(words)} 6\n".encode()
            + b"".join(w + b" " + " ".join(map(str, v)).encode() + b"\n" for w, v in zip(words, VECTORS)))


@pytest.mark.parametrize("binary", [False, True])
def test_words_that_are_not_utf8_follow_gensims_unicode_errors(tmp_path, binary):
    """They all became U+FFFD-words, and then one key: now 'strict' by default, as in gensim."""
    path = tmp_path / "v"
    path.write_bytes(not_utf8_file(binary))
    with pytest.raises(UnicodeDecodeError, match="invalid start byte, in .*v, (word|line) (1 of 3|2) "
                                                 r"\(unicode_errors='replace' or 'ignore' reads it"):
        KeyedVectors.load_word2vec_format(path, binary=binary)
    replaced = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="replace")
    assert replaced.index_to_key == ["a\ufffdb", "c\ufffdd", "ok"]
    ignored = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="ignore")
    assert ignored.index_to_key == ["ab", "cd", "ok"]
    latin = KeyedVectors.load_word2vec_format(path, binary=binary, encoding="latin-1")
    assert latin.index_to_key == ["aÿb", "cþd", "ok"]
    path.write_bytes(not_utf8_file(binary, (b"\xff", b"\xfe", b"ok")))
    with pytest.warns(UserWarning, match="1 words appear more than once \\(e.g. '\ufffd'\\); the first vector"):
        collapsed = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="replace")
    assert collapsed.index_to_key == ["\ufffd", "ok"] and len(collapsed) == 2
    np.testing.assert_allclose(collapsed["\ufffd"], VECTORS[0], rtol=1e-6)


def _cut(data, binary):
    """Binary: 9 bytes off the end; text: the last line off (gensim reads a line cut short as it is)."""
    return data[:-9] if binary else data[:data.rindex(b"\n", 0, len(data) - 1) + 1]


GENSIM_CASES = {
    "good": lambda b: not_utf8_file(b, (b"x", b"y", b"z")),
    "not_utf8": lambda b: not_utf8_file(b),
    "collapsing": lambda b: not_utf8_file(b, (b"\xff", b"\xfe", b"ok")),
    "duplicate": lambda b: not_utf8_file(b, (b"x", b"y", b"x")),
    "truncated": lambda b: _cut(not_utf8_file(b, (b"x", b"y", b"z")), b),
    "empty": lambda b: b"0 6\n",
}


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("case", sorted(GENSIM_CASES))
@pytest.mark.parametrize("errors", ["strict", "replace", "ignore"])
def test_word2vec_files_read_as_gensim_reads_them(tmp_path, binary, case, errors):
    """Same words, same vectors, or an error gensim's users catch (EOFError, UnicodeDecodeError)."""
    gensim_models = pytest.importorskip("gensim.models")
    path = tmp_path / "v"
    path.write_bytes(GENSIM_CASES[case](binary))
    try:
        theirs = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary, unicode_errors=errors)
    except (EOFError, UnicodeDecodeError) as exc:
        with pytest.raises(type(exc)):
            KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors=errors)
        return
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        ours = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors=errors)
    # gensim leaves a None in index_to_key for each repeated word (and a row of zeros): its words are the rest
    assert ours.index_to_key == [w for w in theirs.index_to_key if w is not None]
    for word in ours.index_to_key:
        np.testing.assert_allclose(ours[word], theirs[word], rtol=1e-6)


def test_gensim_read_the_smaller_binary_header_as_garbage_which_lstmx_refuses(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    path = tmp_path / "v.bin"
    path.write_bytes(binary_file(WORDS, VECTORS, header="5 4", newline=False))
    garbage = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=True, unicode_errors="replace")
    assert garbage.index_to_key[1:] != [w.decode() for w in WORDS[1:]]
    with pytest.raises(ValueError, match="is the header's vector size 4 that of the data"):
        KeyedVectors.load_word2vec_format(path, binary=True, unicode_errors="replace")
