"""Layers: objects that own parameters, run forward with ``layer(X)`` and backward with ``layer.backward(dY)``."""
from .base import Layer
from .bidirectional import Bidirectional
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding, IndexedRows
from .input import Input
from .masking import Masking
from .pooling import GlobalAveragePooling1D
from .recurrent import GRU, LSTM, SimpleRNN

__all__ = ["Layer", "Input", "LSTM", "GRU", "SimpleRNN", "Embedding", "Dense", "Dropout", "Bidirectional", "IndexedRows",
           "Masking", "GlobalAveragePooling1D"]
