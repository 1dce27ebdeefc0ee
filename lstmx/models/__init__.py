"""Models: a graph of layers (:class:`Model`), or a stack (:class:`Sequential`), trained with a loss and
an optimizer, saved and loaded without pickle.

- :mod:`~lstmx.models.graph`: the nodes in running order, and the forward and backward loops;
- :mod:`~lstmx.models.training`: :class:`Model` (compile, fit, evaluate, predict);
- :mod:`~lstmx.models.sequential`: :class:`Sequential`, a Model whose graph is a chain;
- :mod:`~lstmx.models.saving`: ``save`` and :func:`load_model`;
- :mod:`~lstmx.models.summary`: ``summary()``.
"""
from .saving import load_model
from .sequential import Sequential
from .training import History, Model

__all__ = ["Model", "Sequential", "History", "load_model"]
