"""Word2Vec CBOW: the textbook reference (:class:`CBOWReference`) and a fast trainer (:class:`Word2Vec`)."""
from .errors import EmptyVocabularyError, TrainingDivergedError, TruncatedFileError
from .keyedvectors import KeyedVectors
from .model import Word2Vec
from .reference import CBOWReference

__all__ = ["Word2Vec", "KeyedVectors", "CBOWReference", "EmptyVocabularyError", "TrainingDivergedError",
           "TruncatedFileError"]
