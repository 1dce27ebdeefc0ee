"""Layers: objects that own parameters, run forward with ``layer(X)`` and backward with ``layer.backward(dY)``."""
from .base import Layer
from .recurrent import GRU, LSTM, SimpleRNN

__all__ = ["Layer", "LSTM", "GRU", "SimpleRNN"]
