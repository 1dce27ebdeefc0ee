"""lstmx: recurrent networks with every gate as an explicit matrix, and compiled kernels of the same math.

>>> import lstmx
>>> cell = lstmx.LSTMCell(input_size=3, hidden_size=2, seed=0)
>>> cell.W.shape, cell.W_f.shape          # the pack (4H, I) and the forget gate's block (H, I)
((8, 3), (2, 3))
"""
from .dispatch import backends
from .functional import gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from .gru import GRUCell
from .layers import (GRU, LSTM, Activation, Add, AdditiveAttention, Attention, AttentionPooling, Average, Bidirectional,
                     Concatenate, Dense, Dot, Dropout, Embedding, Flatten, GlobalAveragePooling1D, Input, Layer, Masking, Multiply, RepeatVector, Reshape, SimpleRNN,
                     Softmax, Subtract, TimeDistributed)
from .models import Model, Sequential, load_model
from .optimizers import SGD, Adagrad, Adam, RMSprop
from .word2vec import KeyedVectors, Word2Vec
from .lstm import LSTMCell
from .rnn import RNNCell
from .textgen import generate
from . import workspace   # the kernels' pool of work arrays: lstmx.workspace.clear(), .nbytes(), .set_limit()

__version__ = "0.1.0"

__all__ = [
    "LSTMCell", "GRUCell", "RNNCell", "LSTM", "GRU", "SimpleRNN", "Layer",
    "Input", "Embedding", "Dense", "Dropout", "Bidirectional", "Masking", "GlobalAveragePooling1D",
    "Concatenate", "Add", "Subtract", "Multiply", "Average", "Dot", "TimeDistributed", "RepeatVector", "Reshape",
    "Flatten", "Activation", "Softmax", "Attention", "AdditiveAttention", "AttentionPooling", "Sequential",
    "Model", "load_model",
    "SGD", "Adam", "RMSprop", "Adagrad",
    "Word2Vec", "KeyedVectors",
    "lstm_forward", "lstm_backward", "gru_forward", "gru_backward", "rnn_forward", "rnn_backward",
    "backends", "generate",
]

# imported on first use, as Keras's ``keras.datasets.imdb`` reads after a plain ``import keras``
_SUBMODULES = ("callbacks", "datasets", "experiments", "gradcheck", "initializers", "interop", "losses", "optimizers",
               "plot", "text", "textgen")


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lstmx' has no attribute {name!r}")
