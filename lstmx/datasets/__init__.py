"""Data sets: ``lstmx.datasets.imdb`` (sentiment), ``lstmx.datasets.ud_pos`` (part-of-speech tagging),
``lstmx.datasets.timeseries`` (series for forecasting)."""
from . import imdb, timeseries, ud_pos

__all__ = ["imdb", "ud_pos", "timeseries"]
