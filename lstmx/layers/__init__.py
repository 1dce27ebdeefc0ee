"""Layers: objects that own parameters, run forward with ``layer(X)`` and backward with ``layer.backward(dY)``.

Called on symbolic tensors (:class:`Input` and what layers return on it) they record the graph of a
:class:`lstmx.Model` instead.
"""
from .activation import Activation, Softmax
from .attention import AdditiveAttention, Attention, AttentionPooling
from .base import Layer
from .bidirectional import Bidirectional
from .dense import Dense
from .dot import Dot
from .dropout import Dropout
from .embedding import Embedding, IndexedRows
from .masking import Masking
from .merge import Add, Average, Concatenate, Multiply, Subtract
from .pooling import GlobalAveragePooling1D
from .recurrent import GRU, LSTM, SimpleRNN
from .reshape import Flatten, RepeatVector, Reshape
from .symbolic import Input, SymbolicTensor
from .time_distributed import TimeDistributed

__all__ = ["Layer", "Input", "LSTM", "GRU", "SimpleRNN", "Embedding", "Dense", "Dropout", "Bidirectional", "IndexedRows",
           "Masking", "GlobalAveragePooling1D", "Concatenate", "Add", "Subtract", "Multiply", "Average", "Dot",
           "TimeDistributed", "RepeatVector", "Reshape", "Flatten", "Activation", "Softmax", "Attention",
           "AdditiveAttention", "AttentionPooling"]
