"""Errors of lstmx's word vectors that gensim users already catch under another name.

Each is a ValueError, as lstmx's other bad-input errors are, and also the type gensim raises in the
same case, so ``except EOFError`` (or ``except RuntimeError``) written for gensim still works.
"""


class TruncatedFileError(EOFError, ValueError):
    """A word2vec.c file ends before the words and vectors its header announces (gensim: EOFError)."""


class EmptyVocabularyError(RuntimeError, ValueError):
    """The corpus leaves no word to train (gensim: RuntimeError, 'you must first build vocabulary')."""


class TrainingDivergedError(FloatingPointError, ValueError):
    """Training made NaN or infinite numbers: the learning rate ``alpha`` is too large."""
