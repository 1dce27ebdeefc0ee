"""Data sets: ``lstmx.datasets.imdb`` (sentiment), ``lstmx.datasets.ud_pos`` (part-of-speech tagging),
``lstmx.datasets.timeseries`` (series for forecasting), ``lstmx.datasets.shakespeare`` (text for a
character language model), ``lstmx.datasets.tatoeba`` (sentence pairs for translation)."""
from . import imdb, shakespeare, tatoeba, timeseries, ud_pos

__all__ = ["imdb", "ud_pos", "timeseries", "shakespeare", "tatoeba"]
