"""Forecasting Melbourne's daily minimum temperature one day ahead: an LSTM against the simple
forecasts it must beat, with a Monte Carlo dropout prediction interval.

    python examples/forecast_melbourne.py [path/to/daily-min-temperatures.csv]

Data: daily minimum temperatures in Melbourne, 1981-1990 (Australian Bureau of Meteorology, via
jbrownlee/Datasets; not shipped with lstmx). Training: 1981-1988 windows, validation 1989 (picks the
epoch), test: every day of 1990. Windows of 30 days of the temperature and the day of the year as
sin/cos, scaled with the training part's mean and spread.
"""
import json
import sys
import time

import numpy as np

from lstmx import timeseries as ts
from lstmx.callbacks import EarlyStopping
from lstmx.datasets.timeseries import load_csv

PATH = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/timeseries/jbrownlee_Datasets/daily-min-temperatures.csv"
W = 30

dates, temp = load_csv(PATH, "Date", "Temp")
series = np.c_[temp, ts.calendar_features(dates)]                # (T, 3): temperature, sin, cos
target_dates = dates[W:]                                        # the day each window forecasts
n_train = int(np.sum(target_dates < np.datetime64("1989-01-01")))
n_val = int(np.sum(target_dates < np.datetime64("1990-01-01"))) - n_train
scaler = ts.StandardScaler().fit(series[:n_train + W])
X, y = ts.windows(scaler.transform(series), W, 1)
train, val, test = slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, len(X))
truth = temp[W:][test]
raw_X, _ = ts.windows(temp, W, 1)

rows = {"naive": ts.naive_forecast(raw_X[test], 1)[:, 0],
        "seasonal naive (365 days)": temp[W + test.start - 365:W + test.start - 365 + len(truth)],
        f"linear AR({W})": ts.LinearAR().fit(raw_X[train], temp[W:][train][:, None]).predict(raw_X[test])[:, 0]}
results = {}
for cell in ("lstm", "gru"):
    model = ts.forecaster(W, features=3, units=32, cell=cell, dropout=0.2, seed=0)
    start = time.perf_counter()
    history = model.fit(X[train], y[train], epochs=25, batch_size=32, validation_data=(X[val], y[val]), verbose=0,
                        callbacks=[EarlyStopping(patience=5, restore_best_weights=True)])
    seconds = time.perf_counter() - start
    rows[cell.upper()] = scaler.inverse_transform(model.predict(X[test], verbose=0)[:, 0], column=0)
    results[cell.upper()] = dict(epochs=len(history.history["loss"]), seconds=round(seconds, 1))
    if cell == "lstm":
        val_forecast = scaler.inverse_transform(model.predict(X[val], verbose=0)[:, 0], column=0)
        residual_std = float(np.std(temp[W:][val] - val_forecast))
        draws = scaler.inverse_transform(ts.mc_dropout_samples(model, X[test], samples=100)[..., 0], column=0)
        only_model = ts.coverage(truth, *ts.prediction_interval(draws, 0.8))
        lower, upper = ts.prediction_interval(draws, 0.8, residual_std=residual_std)
        results["interval"] = dict(coverage_80_mc_dropout_only=round(only_model, 3),
                                   coverage_80_with_residual_noise=round(ts.coverage(truth, lower, upper), 3),
                                   residual_std=round(residual_std, 3))

train_temp = temp[:W + n_train]
print(f"{'model':28s} {'MAE':>6s} {'RMSE':>6s} {'MASE':>6s} {'sMAPE':>6s}")
for name, forecast in rows.items():
    m = ts.metrics(truth, forecast, train_temp)
    print(f"{name:28s} {m['mae']:6.3f} {m['rmse']:6.3f} {m['mase']:6.3f} {m['smape']:6.2f}")
print(json.dumps(results))
