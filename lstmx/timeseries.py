"""Forecasting with recurrent networks, and the simple forecasts they must beat.

A series becomes supervised data by cutting it into windows: ``X[i]`` holds ``input_width`` steps,
``y[i]`` the ``horizon`` steps that follow. ``X`` is ``(N, input_width, features)``, the
``(batch, time, features)`` a recurrent layer reads, so that a forecaster is an ``LSTM`` followed by
``Dense(horizon)``. The baselines read the same windows:

- naive: every future step is the window's last value;
- seasonal naive: the value one season earlier (12 for monthly data with a yearly cycle);
- linear autoregression: least squares from the window's values to each future step.

The metrics are computed in the original units: MAE, RMSE, sMAPE (in percent) and MASE, the MAE over
the in-sample MAE of the (seasonal) naive one-step forecast, so that MASE < 1 beats it.
"""
import numpy as np


# ---- windows ----
def windows(series, input_width, horizon=1, stride=1, targets=None):
    """Cut a series into ``(X, y)``: ``X[i] = series[i*stride : i*stride + input_width]`` and
    ``y[i] = targets[i*stride + input_width : i*stride + input_width + horizon]``.

    With ``horizon=1`` this is Keras's ``timeseries_dataset_from_array(series[:-w], series[w:],
    sequence_length=w)``: the past ``w`` steps and the one after them.

    Parameters
    ----------
    series : (T,) or (T, features) array
    input_width : int >= 1, the steps a window reads
    horizon : int >= 1, the steps it forecasts
    stride : int >= 1, the steps between two windows' starts
    targets : None (the series itself, or its first column), an int (that column), or a (T,) array

    Returns
    -------
    X : (N, input_width, features) float array;  y : (N, horizon) float array

    Raises
    ------
    ValueError : for sizes below 1, a series shorter than ``input_width + horizon``, or NaN inside a
        window (naming its position: fill the gaps first)
    """
    for name, v in (("input_width", input_width), ("horizon", horizon), ("stride", stride)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    data = np.asarray(series, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise ValueError(f"series must be (T,) or (T, features), got shape {np.shape(series)}")
    T = data.shape[0]
    if targets is None or isinstance(targets, (int, np.integer)):
        target = data[:, 0 if targets is None else int(targets)]
    else:
        target = np.asarray(targets, dtype=np.float64)
        if target.shape != (T,):
            raise ValueError(f"targets must be (T,) = ({T},) like the series, got shape {target.shape}")
    if T < input_width + horizon:
        raise ValueError(f"a series of {T} steps is too short for windows of input_width + horizon = "
                         f"{input_width} + {horizon} = {input_width + horizon} steps")
    starts = np.arange(0, T - input_width - horizon + 1, stride)                # (N,)
    X = data[starts[:, None] + np.arange(input_width)]                          # (N, input_width, F)
    y = target[starts[:, None] + input_width + np.arange(horizon)]              # (N, horizon)
    for what, a, offset in (("input", X, 0), ("target", y, input_width)):
        bad = np.argwhere(np.isnan(a.reshape(len(starts), -1)))
        if bad.size:
            i = int(bad[0, 0])
            step = int(starts[i]) + offset + int(bad[0, 1]) // (a.shape[2] if a.ndim == 3 else 1)
            raise ValueError(f"window {i} has NaN in its {what} at step {step} of the series: fill the gaps "
                             f"first (lstmx.timeseries.fill_gaps) or cut the series")
    return X, y


def chronological_split(n, validation=0.1, test=0.1):
    """Three slices of ``range(n)``, in time order: training, validation, test (fractions of n, or counts
    when ints). Never shuffled: a forecast is judged on the future of what it learnt from."""
    def count(v, what):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            k = int(v)
        elif isinstance(v, float) and 0 <= v < 1:
            k = int(round(v * n))
        else:
            raise ValueError(f"{what} must be a fraction in [0, 1) or a count, got {v!r}")
        return k
    n_val, n_test = count(validation, "validation"), count(test, "test")
    if n_val < 0 or n_test < 0 or n - n_val - n_test < 1:
        raise ValueError(f"{n} samples cannot give {n_val} for validation and {n_test} for test and keep one for "
                         f"training")
    a, b = n - n_val - n_test, n - n_test
    return slice(0, a), slice(a, b), slice(b, n)


class StandardScaler:
    """``(x - mean) / std`` per feature, fitted on the training part only (the test part's future must
    not leak into the scale). ``inverse_transform`` takes forecasts back to the original units."""

    def __init__(self):
        self.mean = self.std = None

    def fit(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.mean = np.nanmean(x, axis=0)
        std = np.nanstd(x, axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def _check(self):
        if self.mean is None:
            raise RuntimeError("the scaler is not fitted yet: call fit(training part) first")

    def transform(self, x):
        self._check()
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def inverse_transform(self, x, column=None):
        """Back to the original units; ``column`` picks one feature's scale (a forecast of one column)."""
        self._check()
        mean, std = (self.mean, self.std) if column is None else (np.atleast_1d(self.mean)[column],
                                                                  np.atleast_1d(self.std)[column])
        return np.asarray(x, dtype=np.float64) * std + mean


def calendar_features(dates, period="year"):
    """sin and cos of the position of each date in its year (day of year, or month for monthly
    dates), ``(T, 2)``: a cycle the network sees without a jump from December to January."""
    dates = np.asarray(dates)
    if period != "year":
        raise ValueError(f"period must be 'year', got {period!r}")
    unit = np.datetime_data(dates.dtype)[0]
    if unit == "M":
        phase = (dates.astype(int) % 12) / 12.0
    else:
        days = dates.astype("datetime64[D]")
        start = days.astype("datetime64[Y]").astype("datetime64[D]")
        phase = (days - start).astype(int) / 365.25
    angle = 2 * np.pi * phase
    return np.stack([np.sin(angle), np.cos(angle)], axis=1)


def gaps(dates, values):
    """What is missing: ``{"nan": positions of NaN values, "dates": dates absent from a regular
    series}`` (the step taken as the most common difference between dates)."""
    dates, values = np.asarray(dates), np.asarray(values, dtype=np.float64)
    nan = np.flatnonzero(np.isnan(values) if values.ndim == 1 else np.isnan(values).any(axis=1))
    steps = np.diff(dates)
    missing = []
    if steps.size:
        kinds, counts = np.unique(steps, return_counts=True)
        step = kinds[np.argmax(counts)]
        for k in np.flatnonzero(steps > step):
            d = dates[k] + step
            while d < dates[k + 1]:
                missing.append(d)
                d = d + step
    return {"nan": nan, "dates": np.array(missing, dtype=dates.dtype)}


def fill_gaps(values):
    """NaN values filled by linear interpolation between their neighbours (the ends take the nearest
    value). Only on request: a forecast evaluated on filled values is evaluated on made-up data."""
    v = np.array(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"fill_gaps takes one series (T,), got shape {v.shape}")
    nan = np.isnan(v)
    if nan.all():
        raise ValueError("the series is all NaN: nothing to interpolate from")
    idx = np.arange(len(v))
    v[nan] = np.interp(idx[nan], idx[~nan], v[~nan])
    return v


# ---- baselines: each maps windows X (N, w, F) to forecasts (N, horizon) of the target ----
def naive_forecast(X, horizon, column=0):
    """Every future step is the window's last value."""
    return np.repeat(np.asarray(X)[:, -1, column][:, None], horizon, axis=1)


def seasonal_naive_forecast(X, horizon, season, column=0):
    """Step ``k`` ahead is the value one season before it: ``x[t + k - season]`` (and for ``k > season``
    the same step of the last season again)."""
    X = np.asarray(X)
    if not 1 <= season <= X.shape[1]:
        raise ValueError(f"season must be between 1 and the window's {X.shape[1]} steps, got {season}")
    last_season = X[:, -season:, column]                                          # (N, season)
    return last_season[:, np.arange(horizon) % season]


class LinearAR:
    """Linear autoregression: least squares from a window's values (all features, and a constant) to
    each of the ``horizon`` future steps, fitted on the training windows."""

    def __init__(self):
        self.coef = None

    @staticmethod
    def _design(X):
        X = np.asarray(X, dtype=np.float64)
        return np.concatenate([X.reshape(len(X), -1), np.ones((len(X), 1))], axis=1)   # (N, w*F + 1)

    def fit(self, X, y):
        self.coef, *_ = np.linalg.lstsq(self._design(X), np.asarray(y, dtype=np.float64), rcond=None)
        return self

    def predict(self, X):
        if self.coef is None:
            raise RuntimeError("LinearAR is not fitted yet: call fit(X_train, y_train) first")
        return self._design(X) @ self.coef                                                  # (N, horizon)


# ---- metrics, in the original units ----
def mae(y, forecast):
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(forecast))))


def rmse(y, forecast):
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(forecast)) ** 2)))


def smape(y, forecast):
    """Symmetric MAPE in percent: ``200 * |y - f| / (|y| + |f|)``, a term counting 0 where both are 0."""
    y, f = np.asarray(y, dtype=np.float64), np.asarray(forecast, dtype=np.float64)
    den = np.abs(y) + np.abs(f)
    return float(np.mean(np.where(den > 0, 200 * np.abs(y - f) / np.where(den > 0, den, 1), 0.0)))


def mase(y, forecast, training_series, season=1):
    """MAE over the in-sample MAE of the one-step (seasonal) naive forecast on the training series."""
    train = np.asarray(training_series, dtype=np.float64)
    if len(train) <= season:
        raise ValueError(f"MASE needs a training series longer than the season ({season}), got {len(train)}")
    scale = np.nanmean(np.abs(train[season:] - train[:-season]))
    return mae(y, forecast) / scale


def metrics(y, forecast, training_series, season=1):
    """``{"mae", "rmse", "mase", "smape"}`` of a forecast."""
    return dict(mae=mae(y, forecast), rmse=rmse(y, forecast), mase=mase(y, forecast, training_series, season),
                smape=smape(y, forecast))


# ---- recurrent forecasters ----
def forecaster(input_width, features=1, horizon=1, units=32, cell="lstm", dropout=0.0, learning_rate=1e-3, seed=0):
    """A compiled ``Sequential``: ``Input((input_width, features))`` -> ``LSTM(units)`` (or ``GRU``) ->
    ``Dropout(dropout)`` -> ``Dense(horizon)``, trained on the mean squared error with Adam.

    ``horizon > 1`` is the direct multi-step forecast (one output a future step); a one-step model
    forecasts further by :func:`recursive_forecast`. With ``dropout > 0``, :func:`mc_dropout_samples`
    draws forecasts with dropout left on, for prediction intervals.
    """
    from .layers import GRU, LSTM, Dense, Dropout
    from .layers.symbolic import Input
    from .models import Sequential
    from .optimizers import Adam
    cells = {"lstm": LSTM, "gru": GRU}
    if cell not in cells:
        raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
    layers = [Input((input_width, features)), cells[cell](units, seed=seed)]
    if dropout:
        layers.append(Dropout(dropout, seed=seed + 1))
    layers.append(Dense(horizon, seed=seed + 2))
    model = Sequential(layers)
    model.compile(loss="mse", optimizer=Adam(learning_rate))
    return model


def encoder_decoder_forecaster(input_width, features=1, horizon=2, units=32, learning_rate=1e-3, seed=0):
    """A compiled graph model for multi-step forecasts: an encoder LSTM reads the window, its final
    states start a decoder LSTM that runs ``horizon`` steps over the encoder's summary repeated
    (``RepeatVector``), and a ``Dense(1)`` at each step gives that step's forecast: ``(N, horizon)``.

    Unlike the direct forecaster's one ``Dense(horizon)``, each future step has a recurrent state of
    its own, which carries what the earlier future steps decided.
    """
    from .layers import LSTM, Dense, RepeatVector, Reshape, TimeDistributed
    from .layers.symbolic import Input
    from .models import Model
    from .optimizers import Adam
    window = Input((input_width, features), name="window")
    summary, h, c = LSTM(units, return_state=True, seed=seed, name="encoder")(window)
    steps = LSTM(units, return_sequences=True, seed=seed + 1, name="decoder")(
        RepeatVector(horizon)(summary), initial_state=[h, c])                    # (N, horizon, units)
    forecast = Reshape((horizon,))(TimeDistributed(Dense(1, seed=seed + 2), name="each_step")(steps))
    model = Model(window, forecast, name="encoder_decoder_forecaster")
    model.compile(loss="mse", optimizer=Adam(learning_rate))
    return model


def recursive_forecast(model, X, horizon, future_features=None, carry_state=True):
    """Forecast ``horizon`` steps with a one-step model, feeding each forecast back as its next input.

    With ``carry_state`` (for a :func:`forecaster`: its recurrent layer, then Dense), the recurrence
    reads the window once and then one step at a time, its state carried from step to step: the
    forecast of step k has read the whole window and the k - 1 forecasts before it, as an LSTM runs
    over a sequence. Without it, any one-step model is applied to a sliding window: the newest
    forecast enters it and the oldest step leaves.

    Parameters
    ----------
    model : a model mapping windows (N, w, F) to one step (N, 1), the target being feature 0
    X : (N, w, F) windows
    horizon : int >= 1
    future_features : None when F == 1, else (N, horizon, F - 1): the other features of the steps
        forecast (calendar features are known in advance)
    carry_state : bool

    Returns
    -------
    (N, horizon) array
    """
    X = np.array(X, dtype=np.float64)
    N, w, F = X.shape
    if F > 1 and (future_features is None or np.shape(future_features) != (N, horizon, F - 1)):
        raise ValueError(f"a window of {F} features needs future_features (N, horizon, F - 1) = "
                         f"{(N, horizon, F - 1)} for the steps it forecasts, got "
                         f"{None if future_features is None else np.shape(future_features)}")
    next_input = lambda k, forecast: (forecast[:, None] if F == 1 else np.c_[forecast, future_features[:, k]])
    out = np.empty((N, horizon))
    if not carry_state:
        for k in range(horizon):
            out[:, k] = np.asarray(model.predict(X, verbose=0)).reshape(N, -1)[:, 0]
            X = np.concatenate([X[:, 1:], next_input(k, out[:, k])[:, None, :]], axis=1)
        return out
    from .layers import GRU, LSTM, Dense, Dropout, SimpleRNN
    layers = [layer for layer in model.layers if not isinstance(layer, Dropout)]
    if len(layers) != 2 or not isinstance(layers[0], (LSTM, GRU, SimpleRNN)) or not isinstance(layers[1], Dense):
        raise ValueError("carry_state=True steps a forecaster (one LSTM, GRU or SimpleRNN, then Dense); for another "
                         "model pass carry_state=False (a sliding window)")
    rnn, dense = layers

    def run(x, state):                         # x (N, T, F) -> the last h, and the state to carry
        _, finals, _ = rnn._forward(x, rnn._initial_states(state), None, None)   # the layer's own recurrence
        return finals[0], finals

    h, state = run(X, None)                                               # the whole window once
    for k in range(horizon):
        out[:, k] = (h @ dense.kernel + dense.bias)[:, 0]                 # Dense (a forecaster's has no activation)
        if k + 1 < horizon:
            h, state = run(next_input(k, out[:, k])[:, None, :], state)   # one step, the state carried
    return out


def mc_dropout_samples(model, X, samples=100, batch_size=256):
    """``samples`` forecasts of each window with dropout on (Monte Carlo dropout; Gal and Ghahramani,
    2016): ``(samples, N, horizon)``. Their spread is the model's uncertainty only; see
    :func:`prediction_interval` for the noise the series adds."""
    from .models.graph import run_forward
    X = np.asarray(X, dtype=np.float32)
    draws = []
    for _ in range(samples):
        parts = [run_forward(model.graph, [X[s:s + batch_size]], training=True)[0][0]
                 for s in range(0, len(X), batch_size)]
        draws.append(np.concatenate(parts))
    return np.stack(draws)


def prediction_interval(samples, level=0.8, residual_std=0.0, seed=0):
    """The central ``level`` interval of forecasts ``samples`` (S, N, ...) as ``(lower, upper)``.

    With ``residual_std`` (the spread of the errors on validation data, in the same units), each
    sample gets Gaussian noise of that spread before the quantiles are taken: the interval of what the
    series will do, not only of what the model might have learnt.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    s = np.asarray(samples, dtype=np.float64)
    if residual_std:
        s = s + np.random.default_rng(seed).normal(0.0, residual_std, s.shape)
    tail = (1 - level) / 2
    return np.quantile(s, tail, axis=0), np.quantile(s, 1 - tail, axis=0)


def coverage(y, lower, upper):
    """The fraction of ``y`` inside ``[lower, upper]``."""
    y = np.asarray(y)
    return float(np.mean((y >= lower) & (y <= upper)))
