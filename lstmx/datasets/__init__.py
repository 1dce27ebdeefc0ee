"""Data sets: ``lstmx.datasets.imdb`` (sentiment), ``lstmx.datasets.ud_pos`` (part-of-speech tagging)."""
from . import imdb, ud_pos

__all__ = ["imdb", "ud_pos"]
