"""The IMDB sentiment models of the examples and the command line (``lstmx demo``, ``lstmx imdb``),
written in lstmx line for line as the Keras code reads, and a baseline without recurrence."""
import time

import numpy as np

from ._blas_threads import one_blas_thread
from .layers import LSTM, AttentionPooling, Bidirectional, Dense, Dropout, Embedding, GlobalAveragePooling1D
from .models import Sequential

MODELS = ("bilstm", "bilstm-dense", "stacked-bilstm", "bilstm-attention", "bag")
# the names these models had before they were named for what they are, still accepted
ALIASES = {"seed": "bilstm", "tf": "bilstm-dense", "stacked": "stacked-bilstm"}


def build_model(kind="bilstm", num_words=10000, mask_zero=True, backend="auto", seed=0):
    """A compiled IMDB classifier (binary cross-entropy, Adam, accuracy) of one of five kinds:

    ``bilstm``: Embedding(10000, 128) -> Bidirectional(LSTM(64)) -> Dropout(0.5) -> Dense(1, sigmoid).
    ``bilstm-dense``: the same with a Dense(64, relu) before the output (TensorFlow's tutorial).
    ``stacked-bilstm``: two Bidirectional LSTMs, the first with return_sequences=True.
    ``bilstm-attention``: the BiLSTM's outputs at every step read by AttentionPooling(64) instead of
    its last states (``model.layers[2].weights_`` holds each review's weights over its words).
    ``bag``: the baseline without recurrence, the mean of the word vectors (GlobalAveragePooling1D).

    The former names ``seed``, ``tf`` and ``stacked`` are accepted for the first three."""
    kind = ALIASES.get(kind, kind)
    if kind not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {kind!r}")
    layers = [Embedding(num_words, 128, mask_zero=mask_zero, seed=seed)]
    if kind == "bag":
        layers.append(GlobalAveragePooling1D())
    else:
        if kind == "stacked-bilstm":
            layers.append(Bidirectional(LSTM(64, return_sequences=True, backend=backend, seed=seed + 1)))
        if kind == "bilstm-attention":
            layers += [Bidirectional(LSTM(64, return_sequences=True, backend=backend, seed=seed + 3)),
                       AttentionPooling(64, seed=seed + 4)]
        else:
            layers.append(Bidirectional(LSTM(64, backend=backend, seed=seed + 3)))
        if kind == "bilstm-dense":
            layers.append(Dense(64, "relu", seed=seed + 5))
        layers.append(Dropout(0.5, seed=seed + 6))
    layers.append(Dense(1, "sigmoid", seed=seed + 7))
    model = Sequential(layers)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def step_ms(x, y, backends, batch_size=32, min_steps=5, max_steps=30, budget_s=3.0, warmup=2):
    """Milliseconds of one training step (forward, backward and Adam, as ``fit`` runs it: NumPy's BLAS
    at one thread) of the ``bilstm`` model on one batch, for each backend: ``{backend: [ms, ...]}``,
    sorted, so that ``[0]`` is the best step and ``[len // 2]`` the median.

    After ``warmup`` untimed steps each, the backends take turns, one step each, for at least
    ``min_steps`` turns and until ``budget_s`` seconds have passed (at most ``max_steps`` turns): a
    busy stretch on a shared machine then slows every backend alike, not one of them, and the best
    step is one that the machine disturbed least. (A median of three steps once swung the ratio from
    2.2x to 50x between runs on a busy machine.)"""
    xb, yb = x[:batch_size], y[:batch_size]
    models = {be: build_model("bilstm", backend=be) for be in backends}
    times = {be: [] for be in backends}
    with one_blas_thread():
        for model in models.values():
            for _ in range(warmup):
                model.train_on_batch(xb, yb)
        start = time.perf_counter()
        for turn in range(max_steps):
            if turn >= min_steps and time.perf_counter() - start > budget_s:
                break
            for be, model in models.items():
                t0 = time.perf_counter()
                model.train_on_batch(xb, yb)
                times[be].append(1e3 * (time.perf_counter() - t0))
    return {be: sorted(t) for be, t in times.items()}


def step_seconds(x, y, backend, batch_size=32, repeats=5):
    """Seconds of one training step of the ``bilstm`` model on one batch: the best of at least
    ``repeats`` steps after warm-up steps (see :func:`step_ms`)."""
    return step_ms(x, y, [backend], batch_size, min_steps=repeats)[backend][0] / 1e3
