"""Figures computed by lstmx itself. matplotlib is imported inside each function, never at ``import lstmx``.

One module a kind of figure: ``training`` (a fit's history, the benchmark), ``cells`` (gate matrices,
gate activations, gradient flow), ``diagrams`` (a cell, an unrolled RNN, a bidirectional layer's
output, CBOW, drawn from their real shapes), ``embeddings``, ``model_graph`` (``plot_model``), ``confusion``,
``attention``, ``forecast``, ``textgen`` (stateful batches, temperature, a cell over a passage).
"""
from .attention import plot_attention
from .cells import gradient_flow, plot_gate_activations, plot_gate_bias_flow, plot_gradient_flow, plot_weights
from .confusion import plot_confusion_matrix
from .diagrams import plot_bidirectional_layout, plot_cbow, plot_cell_diagram, plot_unrolled
from .embeddings import plot_embeddings
from .forecast import plot_forecast
from .model_graph import plot_model
from .textgen import plot_stateful_batches, plot_temperature, plot_text_activations
from .training import plot_benchmark, plot_history

__all__ = ["plot_history", "plot_benchmark", "plot_weights", "plot_gate_activations", "gradient_flow",
           "plot_gradient_flow", "plot_embeddings", "plot_model", "plot_confusion_matrix", "plot_attention",
           "plot_forecast", "plot_gate_bias_flow", "plot_cell_diagram", "plot_unrolled", "plot_bidirectional_layout",
           "plot_cbow", "plot_stateful_batches", "plot_temperature", "plot_text_activations"]
