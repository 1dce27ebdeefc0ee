"""Tatoeba sentence pairs, English and another language, as ManyThings.org prepares them for Anki.

Each line of ``spa.txt`` (``fra.txt``, ``deu.txt``...) is ``English<TAB>Other``; newer releases add a
third column with the attribution of the two sentences, which is left out here. The sentences are the
Tatoeba Project's, under CC-BY 2.0 France: whatever uses them must say so (:data:`ATTRIBUTION`).

The file is looked for in ``path`` (the file itself or a folder holding it), else in the data folders
(``$LSTMX_DATA``, then ``~/.lstmx/datasets``), each as ``<lang>.txt`` or ``<lang>-eng/<lang>.txt``, there or
in a ``tatoeba`` folder there. Download ``<lang>-eng.zip`` from https://www.manythings.org/anki/.
"""
import os

import numpy as np

from ._paths import data_dirs

ATTRIBUTION = ("Sentence pairs from the Tatoeba Project (https://tatoeba.org), CC-BY 2.0 France "
               "(https://creativecommons.org/licenses/by/2.0/fr/), as prepared by www.manythings.org/anki")
URL = "https://www.manythings.org/anki/"


def _candidates(folder, language):
    name = f"{language}.txt"
    return [os.path.join(folder, name), os.path.join(folder, f"{language}-eng", name),
            os.path.join(folder, "tatoeba", name), os.path.join(folder, "tatoeba", f"{language}-eng", name)]


def find(path=None, language="spa"):
    """The pairs file for ``language``: ``path`` (a file, or a folder searched as the data folders are),
    else the first found in :func:`lstmx.datasets._paths.data_dirs`."""
    if path is not None:
        if os.path.isfile(path):
            return path
        if not os.path.isdir(path):
            raise FileNotFoundError(f"no Tatoeba data at {path}: expected the file {language}.txt or a folder "
                                    f"holding it")
        folders = [path]
    else:
        folders = data_dirs()
    for folder in folders:
        for candidate in _candidates(folder, language):
            if os.path.isfile(candidate):
                return candidate
    looked = [c for folder in folders for c in _candidates(folder, language)]
    raise FileNotFoundError(f"the Tatoeba English-{language} pairs were not found; looked for {', '.join(looked)}. "
                            f"Download {language}-eng.zip from {URL} and unzip {language}.txt into one of them, "
                            f"or pass path=...")


def read_pairs(path):
    """All ``(english, other)`` pairs of a file, in its order (the third column, if any, dropped)."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) < 2 or not fields[0] or not fields[1]:
                raise ValueError(f"{path}, line {number}: expected 'English<TAB>translation', got {line[:80]!r}")
            pairs.append((fields[0], fields[1]))
    return pairs


def load_pairs(path=None, language="spa", max_length=8, test=0.1, limit=None, seed=0, tokenize=None):
    """Short sentence pairs, split into training and held-out pairs.

    Parameters
    ----------
    path : the file or a folder (see :func:`find`), or None to search the data folders
    language : the other language's code as ManyThings names its files ('spa', 'fra', 'deu', ...)
    max_length : keep the pairs whose two sentences have at most this many tokens each
    test : the share of the English sentences held out, in (0, 1)
    limit : keep at most this many pairs (drawn at random after the length filter), or None
    seed : the seed of the shuffle
    tokenize : str -> list of tokens, by which the length is counted (default: word and punctuation
        tokens, :func:`lstmx.seq2seq.word_tokens`)

    Returns
    -------
    ``(train, test)``, lists of ``(english, other)`` pairs. The split is by English sentence: every
    translation of a held-out sentence is held out with it, so no test sentence was seen in training.
    """
    if not 0 < test < 1:
        raise ValueError(f"test must be a share in (0, 1), got {test}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 2):
        raise ValueError(f"limit must be an integer >= 2 or None, got {limit!r}")
    if tokenize is None:
        from ..seq2seq import word_tokens as tokenize
    pairs = [p for p in read_pairs(find(path, language))
             if len(tokenize(p[0])) <= max_length and len(tokenize(p[1])) <= max_length]
    if len(pairs) < 2:
        raise ValueError(f"only {len(pairs)} pairs have at most {max_length} tokens on each side: "
                         f"raise max_length")
    rng = np.random.default_rng(seed)
    if limit is not None and limit < len(pairs):
        pairs = [pairs[i] for i in np.sort(rng.choice(len(pairs), limit, replace=False))]
    english = sorted({e for e, _ in pairs})
    if len(english) < 2:
        raise ValueError(f"a held-out split needs at least 2 different English sentences, got {len(english)}")
    held = set(rng.choice(english, max(1, round(test * len(english))), replace=False).tolist())
    train = [p for p in pairs if p[0] not in held]
    test_pairs = [p for p in pairs if p[0] in held]
    # the file is sorted by length: shuffle both, so that any first few are a fair sample
    return [train[i] for i in rng.permutation(len(train))], [test_pairs[i] for i in rng.permutation(len(test_pairs))]


def references(pairs):
    """Each distinct English sentence of ``pairs`` and all its translations there, in first-seen order:
    ``(sources, [[translation, ...], ...])``, the several references BLEU may count."""
    grouped = {}
    for english, other in pairs:
        grouped.setdefault(english, []).append(other)
    return list(grouped), list(grouped.values())
