"""Data sets: ``lstmx.datasets.imdb``."""
from . import imdb

__all__ = ["imdb"]
