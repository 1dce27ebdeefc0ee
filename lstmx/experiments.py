"""The seeds' IMDB models, written in lstmx line for line as the Keras code reads, and a baseline."""
import time

import numpy as np

from .layers import LSTM, Bidirectional, Dense, Dropout, Embedding, GlobalAveragePooling1D
from .models import Sequential

MODELS = ("seed", "tf", "stacked", "bag")


def build_model(kind="seed", num_words=10000, mask_zero=True, backend="auto", seed=0):
    """``seed``: Embedding(10000, 128) -> Bidirectional(LSTM(64)) -> Dropout(0.5) -> Dense(1, sigmoid).
    ``tf``: the TensorFlow variant with a Dense(64, relu) before the output.
    ``stacked``: two Bidirectional LSTMs, the first with return_sequences=True.
    ``bag``: the baseline without recurrence, the mean of the word vectors (GlobalAveragePooling1D)."""
    if kind not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {kind!r}")
    layers = [Embedding(num_words, 128, mask_zero=mask_zero, seed=seed)]
    if kind == "bag":
        layers.append(GlobalAveragePooling1D())
    else:
        if kind == "stacked":
            layers.append(Bidirectional(LSTM(64, return_sequences=True, backend=backend, seed=seed + 1)))
        layers.append(Bidirectional(LSTM(64, backend=backend, seed=seed + 3)))
        if kind == "tf":
            layers.append(Dense(64, "relu", seed=seed + 5))
        layers.append(Dropout(0.5, seed=seed + 6))
    layers.append(Dense(1, "sigmoid", seed=seed + 7))
    model = Sequential(layers)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def step_seconds(x, y, backend, batch_size=32, repeats=3):
    """Seconds of one training step (forward, backward, Adam) of the seed model on one batch."""
    model = build_model("seed", backend=backend)
    xb, yb = x[:batch_size], y[:batch_size]
    model.train_on_batch(xb, yb)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.train_on_batch(xb, yb)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
