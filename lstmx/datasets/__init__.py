"""Data sets: ``lstmx.datasets.imdb`` (sentiment), ``lstmx.datasets.ud_pos`` (part-of-speech tagging),
``lstmx.datasets.timeseries`` (series for forecasting), ``lstmx.datasets.shakespeare`` (text for a
character language model)."""
from . import imdb, shakespeare, timeseries, ud_pos

__all__ = ["imdb", "ud_pos", "timeseries", "shakespeare"]
