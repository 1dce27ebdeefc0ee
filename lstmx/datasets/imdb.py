"""The Large Movie Review Dataset (Maas et al., 2011) as Keras's ``imdb.load_data`` returns it.

Reads the original ``aclImdb_v1.tar.gz`` (or its extracted ``aclImdb`` folder): 25,000 training
and 25,000 test reviews, half positive, half negative. Each review becomes a list of word ids:
``start_char`` (1), then each word's frequency rank in the training set plus ``index_from`` (3);
words whose id would be >= ``num_words`` become ``oov_char`` (2), and test words that no training
review uses are skipped, as in Keras's copy; 0 is left for padding. Labels: 1 positive, 0 negative.

One difference from Keras's preprocessed copy, on purpose: its word index ranks "br" 7th, the HTML
line break ``<br />`` read as a word; lstmx drops the tag before splitting.

Citation: Andrew L. Maas, Raymond E. Daly, Peter T. Pham, Dan Huang, Andrew Y. Ng and Christopher
Potts. Learning Word Vectors for Sentiment Analysis. ACL 2011.
"""
import os
import re
import tarfile
import warnings
from collections import Counter
from importlib import resources

import numpy as np

from .._validation import check_nonnegative_int, check_positive_int
from ._paths import data_dirs

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE = "aclImdb_v1.tar.gz"
_FILE = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/\d+_\d+\.txt$")
_WORD = re.compile(r"[a-z0-9']+")


def tokenize(text):
    """Lower-cased words (letters, digits, apostrophes) of a review, its ``<br />`` tags removed."""
    return _WORD.findall(text.replace("<br />", " ").lower())


def find(path=None):
    """Where the data set is: ``path``, else ``$LSTMX_DATA``, else ``~/.lstmx/datasets``."""
    if path is not None:
        if not os.path.exists(path):
            raise FileNotFoundError(f"no IMDB data at {path}")
        return path
    dirs = data_dirs()
    for d in dirs:
        for name in (ARCHIVE, "aclImdb"):
            candidate = os.path.join(d, name)
            if os.path.exists(candidate):
                return candidate
    raise FileNotFoundError(f"the IMDB data set was not found in {' or '.join(dirs)}. Download {URL} "
                            f"(84 MB) and put {ARCHIVE} (or the extracted aclImdb folder) in one of them, "
                            f"or pass path=...")


def read_reviews(path):
    """``{"train": [(text, label), ...], "test": [...]}`` from the archive or the extracted folder.

    The reviews are UTF-8. A file that is not (a stray Latin-1 byte, say) is read all the same, each
    undecodable byte replaced by U+FFFD, and one UnicodeWarning names every such file.
    """
    data = {"train": [], "test": []}
    undecodable = []
    if os.path.isdir(path):
        root = path if os.path.basename(os.path.normpath(path)) == "aclImdb" else os.path.join(path, "aclImdb")
        for split in data:
            for label, name in ((1, "pos"), (0, "neg")):
                folder = os.path.join(root, split, name)
                if not os.path.isdir(folder):
                    raise ValueError(f"{path} is not the aclImdb layout: {folder} is missing")
                for f in os.listdir(folder):
                    if f.endswith(".txt"):
                        file = os.path.join(folder, f)
                        with open(file, "rb") as fh:
                            text = _decode(fh.read(), file, undecodable)
                        data[split].append((f"{name}/{f}", text, label))
        where = ""
    else:
        _read_archive(path, data, undecodable)
        where = f" in {path}"
    if not data["train"] or not data["test"]:
        raise ValueError(f"{path} holds no aclImdb/train and aclImdb/test reviews: is it the aclImdb_v1 data set?")
    if undecodable:
        n, shown = len(undecodable), sorted(undecodable)[:10]
        more = f" and {n - len(shown)} more" if n > len(shown) else ""
        warnings.warn(f"{n} review{'s are' if n > 1 else ' is'} not valid UTF-8 and {'were' if n > 1 else 'was'} "
                      f"read with each undecodable byte replaced by U+FFFD: {', '.join(shown)}{more}{where}",
                      UnicodeWarning, stacklevel=3)
    for split in data:   # listing order is arbitrary: sort by file name, the same for folder and archive
        data[split] = [(text, label) for _, text, label in sorted(data[split])]
    return data


def _decode(raw, name, undecodable):
    """``raw`` read as UTF-8; if it is not, with replacement characters, and ``name`` noted."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        undecodable.append(name)
        return raw.decode("utf-8", errors="replace")


def _read_archive(path, data, undecodable):
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                m = _FILE.search(member.name)
                if m and member.isfile():
                    text = _decode(tar.extractfile(member).read(), member.name, undecodable)
                    name = f"{m.group(2)}/{os.path.basename(member.name)}"
                    data[m.group(1)].append((name, text, 1 if m.group(2) == "pos" else 0))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ValueError(f"{path} is not a readable aclImdb_v1.tar.gz archive (truncated or another file?): {exc}") from None


def word_index_from(train_texts):
    """``{word: rank}``, rank 1 the most frequent word of the training reviews (ties by first use)."""
    counts = Counter()
    for text in train_texts:
        counts.update(tokenize(text))
    return {w: i for i, (w, _) in enumerate(counts.most_common(), start=1)}


def encode(text, word_index, num_words=None, start_char=1, oov_char=2, index_from=3, skip_top=0):
    """Word ids of one review, as Keras's ``imdb.load_data`` gives them.

    A word of the training reviews gets ``rank + index_from``; one cut by ``num_words`` or
    ``skip_top`` becomes ``oov_char`` (dropped if that is None). A word the training reviews never
    used is skipped: Keras's data set marks only the words it cut as out-of-vocabulary, and its
    documentation says that words seen only in the test set "have simply been skipped".
    """
    ids = [start_char] if start_char is not None else []
    for w in tokenize(text):
        rank = word_index.get(w)
        if rank is None:
            continue
        i = rank + index_from
        if (num_words is not None and i >= num_words) or rank <= skip_top:
            if oov_char is not None:
                ids.append(oov_char)
        else:
            ids.append(i)
    return ids


def load_data(path=None, num_words=10000, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3):
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them (object arrays of id lists).

    Every argument is checked before the data set is read: ValueError (TypeError for a maxlen that
    is not an integer) names the argument, what it takes and what came.

    Parameters
    ----------
    path : str or None
        The archive or extracted folder; None looks in ``$LSTMX_DATA`` then ``~/.lstmx/datasets``.
    num_words : int or None
        Ids >= num_words become ``oov_char``.
    skip_top : int
        The ``skip_top`` most frequent words (>= 0) become ``oov_char`` too.
    maxlen : int or None
        Drop reviews longer than this (>= 1; Keras's semantics), after encoding. A maxlen that keeps
        no review of a split is an error, not an empty data set.
    seed : int or None
        Shuffle of each split (the order is reproducible); None shuffles differently at each call.
    start_char, oov_char : int or None
        The first id of every review, and the id of the words cut (>= 0; None: no start mark, cut
        words dropped).
    index_from : int
        A word's id is its rank plus ``index_from`` (>= 0).
    """
    if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, (int, np.integer))
                                  or num_words < 1):
        raise ValueError(f"num_words must be None (keep every word) or an integer >= 1, got {num_words!r}")
    # checked before the data set is read: a wrong value used to give empty arrays (maxlen <= 0) or
    # negative and colliding ids (a negative index_from, start_char or oov_char), silently
    maxlen = _unless_none(check_positive_int, "maxlen", maxlen, "keep every review")
    skip_top = check_nonnegative_int("skip_top", skip_top)
    index_from = check_nonnegative_int("index_from", index_from)
    start_char = _unless_none(check_nonnegative_int, "start_char", start_char, "mark no start")
    oov_char = _unless_none(check_nonnegative_int, "oov_char", oov_char, "drop the words cut")
    seed = _unless_none(check_nonnegative_int, "seed", seed, "shuffle differently at each call")
    data = read_reviews(find(path))
    word_index = word_index_from(t for t, _ in data["train"])
    rng = np.random.default_rng(seed)
    out = []
    for split in ("train", "test"):
        reviews = data[split]
        order = rng.permutation(len(reviews))
        xs = [encode(reviews[i][0], word_index, num_words, start_char, oov_char, index_from, skip_top) for i in order]
        ys = np.array([reviews[i][1] for i in order], dtype=np.int64)
        if maxlen is not None:
            keep = [k for k, s in enumerate(xs) if len(s) <= maxlen]
            if not keep and xs:
                raise ValueError(f"maxlen={maxlen} keeps no {'training' if split == 'train' else split} review "
                                 f"(the shortest has {min(map(len, xs))} ids): increase maxlen, or pass None "
                                 f"and cut the reviews with lstmx.text.pad_sequences(x, maxlen=...)")
            xs, ys = [xs[k] for k in keep], ys[keep]
        x = np.empty(len(xs), dtype=object)
        x[:] = xs
        out.append((x, ys))
    return tuple(out)


def _unless_none(check, name, value, none_means):
    """``check(name, value)``, or None for None; the error message says what None would do."""
    if value is None:
        return None
    try:
        return check(name, value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{exc} (or None to {none_means})") from None


def load_sample():
    """A balanced sample shipped inside lstmx (no download): ``(x_train, y_train), (x_test, y_test)``.

    5,000 training and 2,000 test reviews drawn from the data set's own splits, encoded as
    :func:`load_data` does with ``num_words=10000`` (word ranks from the full training set) and cut
    to their last 300 ids. Built by ``tools/make_imdb_sample.py``.
    """
    with resources.files("lstmx.datasets").joinpath("data/imdb_sample.npz").open("rb") as f:
        z = np.load(f)
        out = []
        for split in ("train", "test"):
            ids, offsets, labels = z[f"{split}_ids"], z[f"{split}_offsets"], z[f"{split}_labels"]
            x = np.empty(len(labels), dtype=object)
            x[:] = [ids[offsets[k]:offsets[k + 1]].astype(np.int64).tolist() for k in range(len(labels))]
            out.append((x, labels.astype(np.int64)))
    return tuple(out)


def load_sample_word_index():
    """``{word: rank}`` for the words of :func:`load_sample` (ranks 1 .. 9996, ids = rank + 3).

    Read from the sample shipped with lstmx: no download. Pass it to :func:`decode` to read a
    sample review as words.
    """
    with resources.files("lstmx.datasets").joinpath("data/imdb_sample.npz").open("rb") as f:
        words = bytes(np.load(f)["words"]).decode("utf-8").split("\n")
    return {w: i for i, w in enumerate(words, start=1)}


def decode(ids, word_index, index_from=3):
    """Words of an id sequence (start, out-of-vocabulary and padding shown as <s>, <unk>, <pad>).

    Parameters
    ----------
    ids : sequence of int
        One encoded review, as :func:`load_data` or :func:`load_sample` return it (padded or not).
    word_index : dict
        ``{word: rank}``, from :func:`get_word_index` or :func:`load_sample_word_index`.
    index_from : int, default 3
        The ``index_from`` the ids were encoded with: id = rank + index_from.

    Returns
    -------
    list of str, one a id.

    Examples
    --------
    >>> from lstmx.datasets import imdb
    >>> (x, y), _ = imdb.load_sample()
    >>> " ".join(imdb.decode(x[0][:6], imdb.load_sample_word_index()))
    '<s> without being one of my'
    """
    words = {i + index_from: w for w, i in word_index.items()}
    words.update({0: "<pad>", 1: "<s>", 2: "<unk>"})
    return [words.get(int(i), "<unk>") for i in ids]


def get_word_index(path=None):
    """``{word: rank}`` of the training reviews (add ``index_from`` to get the ids of load_data).

    Ranks by frequency in the 25,000 training reviews, from 1 (the most frequent word), as
    Keras's ``imdb.get_word_index``. ``path`` is found as by :func:`load_data`: ``path``, else
    ``$LSTMX_DATA``, else ``~/.lstmx/datasets``.
    """
    return word_index_from(t for t, _ in read_reviews(find(path))["train"])
