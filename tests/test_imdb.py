"""The IMDB loader on small fixtures in the original aclImdb layout (never the real archive)."""
import io
import os
import tarfile

import numpy as np
import pytest

from lstmx.datasets import imdb

REVIEWS = {
    ("train", "pos"): ["A great great film.<br />Great acting!", "Great fun, a joy."],
    ("train", "neg"): ["A bad film. Bad, bad acting.", "Boring and bad."],
    ("test", "pos"): ["Great film!", "A joy of a film, great."],
    ("test", "neg"): ["Bad and boring film.", "Awful; a bad joke."],
}


def make_folder(root):
    for (split, label), texts in REVIEWS.items():
        os.makedirs(root / "aclImdb" / split / label)
        for k, text in enumerate(texts):
            (root / "aclImdb" / split / label / f"{k}_{7 if label == 'pos' else 2}.txt").write_text(text)
    (root / "aclImdb" / "README").write_text("Large Movie Review Dataset v1.0 (fixture)")
    return root / "aclImdb"


def make_archive(path, folder):
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname="aclImdb")
    return path


def test_archive_and_folder_give_the_same_keras_encoding(tmp_path):
    folder = make_folder(tmp_path)
    archive = make_archive(tmp_path / "aclImdb_v1.tar.gz", folder)
    (x, y), (xt, yt) = imdb.load_data(str(archive), num_words=None)
    (x2, y2), (xt2, yt2) = imdb.load_data(str(folder), num_words=None)
    assert [list(s) for s in x] == [list(s) for s in x2] and list(yt) == list(yt2)
    assert len(x) == len(xt) == 4 and sorted(y) == [0, 0, 1, 1]
    word_index = imdb.get_word_index(str(archive))
    assert list(word_index)[:3] == ["bad", "great", "a"]   # training-set counts 4, 4, 3 (ties: first seen, neg/ first)
    seq = [s for s in x if len(s) == 4][0]                  # "boring and bad." -> start, boring, and, bad
    assert seq[0] == 1 and seq[3] == word_index["bad"] + 3


def test_num_words_maps_rare_words_to_oov(tmp_path):
    folder = make_folder(tmp_path)
    (x, _), (xt, _) = imdb.load_data(str(folder), num_words=6)
    ids = np.concatenate([np.array(s) for s in list(x) + list(xt)])
    assert ids.max() < 6 and (ids == 2).any() and (ids == 1).sum() == 8


@pytest.mark.parametrize("num_words", [0, -5, 2.5])
def test_num_words_below_one_or_not_an_integer_is_refused(tmp_path, num_words):
    with pytest.raises(ValueError, match=r"num_words must be None \(keep every word\) or an integer >= 1"):
        imdb.load_data(str(make_folder(tmp_path)), num_words=num_words)


def test_test_words_never_seen_in_training_are_skipped_not_oov(tmp_path):
    # Keras's copy: oov_char marks only the words num_words cut; words of the test reviews that no
    # training review uses "have simply been skipped" (its load_data documentation).
    folder = make_folder(tmp_path)
    word_index = imdb.get_word_index(str(folder))
    assert "awful" not in word_index and "joke" not in word_index
    _, (xt, _) = imdb.load_data(str(folder), num_words=None)
    awful = [1, word_index["a"] + 3, word_index["bad"] + 3]   # "Awful; a bad joke."
    assert awful in [list(s) for s in xt]
    assert imdb.encode("Awful; a bad joke.", word_index, num_words=6) == [1, 2, 4]   # "a" (id 6) is cut


def test_maxlen_drops_long_reviews(tmp_path):
    (x, y), _ = imdb.load_data(str(make_folder(tmp_path)), maxlen=5)
    assert all(len(s) <= 5 for s in x) and len(x) < 4


def test_path_from_environment_and_missing_data(tmp_path, monkeypatch):
    make_archive(tmp_path / "aclImdb_v1.tar.gz", make_folder(tmp_path / "src"))
    monkeypatch.setenv("LSTMX_DATA", str(tmp_path))
    (x, _), _ = imdb.load_data()
    assert len(x) == 4
    monkeypatch.setenv("LSTMX_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError, match=r"https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"):
        imdb.load_data()


def test_truncated_and_foreign_files(tmp_path):
    archive = make_archive(tmp_path / "aclImdb_v1.tar.gz", make_folder(tmp_path / "src"))
    data = archive.read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable aclImdb_v1.tar.gz archive"):
        imdb.load_data(str(tmp_path / "cut.tar.gz"))
    (tmp_path / "notes.txt").write_text("not an archive")
    with pytest.raises(ValueError, match="not a readable"):
        imdb.load_data(str(tmp_path / "notes.txt"))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("other/file.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    (tmp_path / "other.tar.gz").write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="holds no aclImdb/train and aclImdb/test reviews"):
        imdb.load_data(str(tmp_path / "other.tar.gz"))


def test_embedded_sample():
    (x, y), (xt, yt) = imdb.load_sample()
    assert len(x) == 5000 and len(xt) == 2000 and y.mean() == 0.5 and yt.mean() == 0.5
    ids = np.concatenate([np.array(s) for s in x[:200]])
    assert ids.min() >= 1 and ids.max() < 10000 and max(len(s) for s in x) <= 300


@pytest.mark.parametrize("name, value, message", [
    ("maxlen", 0, r"maxlen must be >= 1, got 0 \(or None to keep every review\)"),
    ("maxlen", -3, r"maxlen must be >= 1, got -3"),
    ("index_from", -1, r"index_from must be an integer >= 0, got -1"),
    ("skip_top", -2, r"skip_top must be an integer >= 0, got -2"),
    ("start_char", -1, r"start_char must be an integer >= 0, got -1 \(or None"),
    ("oov_char", -1, r"oov_char must be an integer >= 0, got -1 \(or None"),
])
def test_arguments_out_of_range_are_refused_before_the_data_is_read(tmp_path, name, value, message):
    # maxlen=0 used to return empty arrays, a negative index_from negative word ids, and so on, silently;
    # the path does not exist: the arguments are checked before the (84 MB) data set is read
    with pytest.raises(ValueError, match=message):
        imdb.load_data(str(tmp_path / "missing"), **{name: value})


@pytest.mark.parametrize("name, value", [("maxlen", 2.5), ("maxlen", "200"), ("index_from", 2.5),
                                         ("skip_top", "1"), ("start_char", "a"), ("oov_char", 2.5), ("seed", "x")])
def test_arguments_that_are_not_integers_are_refused(tmp_path, name, value):
    with pytest.raises((TypeError, ValueError), match=f"{name} must be an integer"):
        imdb.load_data(str(tmp_path / "missing"), **{name: value})


def test_none_keeps_its_meaning_for_the_optional_arguments(tmp_path):
    (x, _), _ = imdb.load_data(str(make_folder(tmp_path)), num_words=None, maxlen=None, start_char=None,
                               oov_char=None, seed=None)
    assert len(x) == 4 and all(s[0] != 1 for s in x)


def test_a_maxlen_that_keeps_no_review_is_an_error_not_an_empty_data_set(tmp_path):
    with pytest.raises(ValueError, match=r"maxlen=2 keeps no training review \(the shortest has 4 ids\)"):
        imdb.load_data(str(make_folder(tmp_path)), maxlen=2)


def _add_latin1_reviews(folder):
    """Two reviews with a Latin-1 byte (0xe9, 'é'), which is not UTF-8; the real data set is UTF-8."""
    bad = [folder / "train" / "pos" / "5_9.txt", folder / "test" / "neg" / "5_1.txt"]
    bad[0].write_bytes("Great caf\u00e9 film, great!".encode("latin-1"))
    bad[1].write_bytes("Bad na\u00efve film.".encode("latin-1"))
    return bad


def test_a_review_that_is_not_utf8_is_read_with_replacement_and_one_warning_naming_it(tmp_path):
    # it raised UnicodeDecodeError (folder) or called the archive "not readable (truncated?)"
    folder = make_folder(tmp_path / "src")
    bad = _add_latin1_reviews(folder)
    archive = make_archive(tmp_path / "aclImdb_v1.tar.gz", folder)
    results = []
    for path, names in ((folder, [str(p) for p in bad]),
                        (archive, ["aclImdb/test/neg/5_1.txt", "aclImdb/train/pos/5_9.txt"])):
        with pytest.warns(UnicodeWarning) as record:
            results.append(imdb.load_data(str(path), num_words=None))
        assert len(record) == 1, [str(w.message) for w in record]
        message = str(record[0].message)
        assert "2 reviews are not valid UTF-8" in message and "U+FFFD" in message
        assert all(name in message for name in names), message
        assert record[0].filename == __file__                        # points at the load_data call
    (x, y), (xt, yt) = results[0]
    (x2, y2), (xt2, yt2) = results[1]
    assert [list(s) for s in x] == [list(s) for s in x2] and [list(s) for s in xt] == [list(s) for s in xt2]
    assert len(x) == 5 and len(xt) == 5                             # the two reviews are in, the rest intact
    with pytest.warns(UnicodeWarning, match="5_9.txt"):
        word_index = imdb.get_word_index(str(folder))
    assert "caf" in word_index and "film" in word_index and word_index["great"] == 1


def test_utf8_reviews_load_without_a_warning(tmp_path, recwarn):
    folder = make_folder(tmp_path)
    (folder / "train" / "pos" / "5_9.txt").write_text("Great caf\u00e9 film!", encoding="utf-8")
    imdb.load_data(str(folder))
    assert "caf" in imdb.get_word_index(str(folder))   # lstmx's words are [a-z0-9']+, as before
    assert not [w for w in recwarn if issubclass(w.category, UnicodeWarning)]
