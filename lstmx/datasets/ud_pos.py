"""Part-of-speech tagging data from Universal Dependencies treebanks (CoNLL-U files).

``load_data(path)`` reads a treebank's ``*-ud-train.conllu``, ``*-ud-dev.conllu`` and
``*-ud-test.conllu`` and returns each split as a list of ``(words, tags)`` pairs, the shape of the
PyTorch tutorial's ``training_data``::

    train, dev, test = ud_pos.load_data("UD_English-EWT")
    train[0]   # (['Al', '-', 'Zaman', ':', ...], ['PROPN', 'PUNCT', 'PROPN', 'PUNCT', ...])

The tags are the UPOS column (17 universal tags) or, with ``tagset="xpos"``, the XPOS column (for
English, the Penn Treebank's tags). ``load_sample()`` gives a small sample of UD English EWT that
ships with lstmx, for tests and demos, with no download.

The reader is a few lines of lstmx's own rather than the ``conllu`` package: a tagger needs three
of the ten columns, and the reader's job is mostly to refuse a broken file with the file name and
the line number (a wrong column count, an ID that is not an integer, a file that does not end with
a blank line), which ``conllu`` does not do (it parses a file without a final blank line, and its
errors do not name the file). It adds no dependency.

What is skipped, as CoNLL-U defines it: comment lines (``#``); multiword-token lines, whose ID is a
range such as ``3-4`` (the surface token "don't" over the words "do" and "n't", which are tagged
on their own lines); and empty nodes, whose ID is a decimal such as ``8.1`` (enhanced-graph nodes
that are not words of the sentence). The words are the syntactic words (integer IDs).

Universal Dependencies English Web Treebank (UD_English-EWT), v2.16: annotations (c) 2013-2021 The
Board of Trustees of The Leland Stanford Junior University, licensed under CC BY-SA 4.0
(https://creativecommons.org/licenses/by-sa/4.0/); the underlying texts come from the LDC English
Web Treebank (LDC2012T13). The shipped sample (``lstmx/datasets/data/ud_ewt_sample/``) carries the
same license and its attribution in ``LICENSE.txt`` and ``README.md`` beside it.

Citation: Natalia Silveira, Timothy Dozat, Marie-Catherine de Marneffe, Samuel Bowman, Miriam
Connor, John Bauer and Christopher D. Manning. A Gold Standard Dependency Corpus for English.
LREC 2014.
"""
import glob
import gzip
import os
from importlib import resources

from ._paths import data_dirs

TAGSETS = {"upos": 3, "xpos": 4}     # the column of each tag set (0-based: ID FORM LEMMA UPOS XPOS ...)
SPLITS = ("train", "dev", "test")
URL = "https://github.com/UniversalDependencies/UD_English-EWT"


class CoNLLUError(ValueError):
    """A CoNLL-U file that cannot be read: the message names the file and the line."""


def _check_tagset(tagset):
    if tagset not in TAGSETS:
        raise ValueError(f"tagset must be 'upos' (universal tags) or 'xpos' (the treebank's own tags), got {tagset!r}")
    return TAGSETS[tagset]


def read_conllu(path, tagset="upos"):
    """The sentences of one CoNLL-U file as a list of ``(words, tags)`` pairs (``.gz`` files too).

    Raises
    ------
    CoNLLUError (a ValueError)
        ``<file>, line <n>: ...`` for a line without 10 tab-separated columns, an ID that is not an
        integer (nor a range ``3-4`` or an empty node ``8.1``), IDs out of order, a word without a tag
        (``_``) in the chosen column, or a file whose last sentence is not followed by a blank line;
        and for a file with no sentence at all.
    """
    column = _check_tagset(tagset)
    name = os.fspath(path)
    opener = gzip.open if name.endswith(".gz") else open
    sentences, words, tags = [], [], []
    last = None      # the line number of the last line of the sentence being read
    with opener(name, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                if last is not None:
                    if not words:
                        raise CoNLLUError(f"{name}, line {n}: the sentence ending here has no word with an "
                                          f"integer ID")
                    sentences.append((words, tags))
                words, tags, last = [], [], None
                continue
            last = n
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise CoNLLUError(f"{name}, line {n}: expected 10 tab-separated columns (ID FORM LEMMA UPOS XPOS "
                                  f"FEATS HEAD DEPREL DEPS MISC), got {len(cols)}: {line[:80]!r}")
            ident = cols[0]
            if ident.isdigit():
                if int(ident) != len(words) + 1:
                    raise CoNLLUError(f"{name}, line {n}: word ID {ident} where {len(words) + 1} was expected "
                                      f"(IDs count 1, 2, 3, ... within a sentence)")
                tag = cols[column]
                if tag == "_":
                    raise CoNLLUError(f"{name}, line {n}: word {cols[1]!r} has no {tagset.upper()} tag ('_'); "
                                      f"this treebank may not annotate {tagset.upper()}")
                words.append(cols[1])
                tags.append(tag)
            elif _is_range(ident) or _is_empty_node(ident):
                continue     # a multiword token (3-4) or an empty node (8.1): not a word to tag
            else:
                raise CoNLLUError(f"{name}, line {n}: the ID {ident!r} is not an integer, a range like 3-4 "
                                  f"(multiword token) or a decimal like 8.1 (empty node)")
    if last is not None:
        raise CoNLLUError(f"{name}, line {last}: the file ends without a blank line after its last sentence "
                          f"(CoNLL-U ends every sentence with one); the file may be truncated")
    if not sentences:
        raise CoNLLUError(f"{name} holds no sentence: is it a CoNLL-U file?")
    return sentences


def _is_range(ident):
    a, sep, b = ident.partition("-")
    return bool(sep) and a.isdigit() and b.isdigit()


def _is_empty_node(ident):
    a, sep, b = ident.partition(".")
    return bool(sep) and a.isdigit() and b.isdigit()


def find(path=None):
    """The folder of a treebank: ``path``, else ``$LSTMX_DATA/ud_english_ewt``, else
    ``~/.lstmx/datasets/ud_english_ewt``."""
    if path is not None:
        if not os.path.isdir(path):
            raise FileNotFoundError(f"no treebank folder at {path}")
        return os.fspath(path)
    dirs = [os.path.join(d, "ud_english_ewt") for d in data_dirs()]
    for d in dirs:
        if os.path.isdir(d):
            return d
    raise FileNotFoundError(f"UD English EWT was not found in {' or '.join(dirs)}. Get the .conllu files from "
                            f"{URL} (or any UD treebank) and pass path=... (the folder holding "
                            f"*-ud-train.conllu, *-ud-dev.conllu, *-ud-test.conllu)")


def split_files(folder):
    """``{"train": file, "dev": file, "test": file}``: the one ``*-ud-<split>.conllu`` (or ``.gz``) each."""
    files = {}
    for split in SPLITS:
        found = sorted(glob.glob(os.path.join(folder, f"*-{split}.conllu")) +
                       glob.glob(os.path.join(folder, f"*-{split}.conllu.gz")))
        if len(found) != 1:
            what = "no file" if not found else f"{len(found)} files ({', '.join(map(os.path.basename, found))})"
            raise FileNotFoundError(f"{folder}: expected one *-{split}.conllu file for the {split} split, found {what}")
        files[split] = found[0]
    return files


def load_data(path=None, tagset="upos"):
    """``(train, dev, test)``, each a list of ``(words, tags)`` pairs of one treebank.

    Parameters
    ----------
    path : str or None
        The folder holding ``*-ud-train.conllu``, ``*-ud-dev.conllu`` and ``*-ud-test.conllu``
        (UD's names, e.g. ``en_ewt-ud-train.conllu``); None looks in ``$LSTMX_DATA/ud_english_ewt``
        then ``~/.lstmx/datasets/ud_english_ewt``.
    tagset : "upos" or "xpos"
        The universal tags (column 4) or the treebank's own (column 5).
    """
    _check_tagset(tagset)
    files = split_files(find(path))
    return tuple(read_conllu(files[split], tagset) for split in SPLITS)


def load_sample(tagset="upos"):
    """``(train, dev, test)`` of the UD English EWT sample shipped with lstmx: the first 1,000
    training sentences and the first 200 of dev and test (CC BY-SA 4.0, see the module's docstring)."""
    _check_tagset(tagset)
    folder = resources.files("lstmx.datasets").joinpath("data/ud_ewt_sample")
    out = []
    for split in SPLITS:
        with resources.as_file(folder.joinpath(f"en_ewt-sample-{split}.conllu.gz")) as file:
            out.append(read_conllu(file, tagset))
    return tuple(out)
