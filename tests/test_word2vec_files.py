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
