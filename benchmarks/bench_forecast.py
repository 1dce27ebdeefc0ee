"""Forecasting, one step ahead, on every shipped series (and Melbourne's temperatures when given):
the baselines, lstmx's LSTM and GRU, the same LSTM in PyTorch, and statsmodels' exponential smoothing
when statsmodels is installed. One run, JSON lines: test MAE in the series' units, training seconds
per epoch (lstmx and PyTorch take turns, epoch by epoch, on the same batches).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_forecast.py \
        [--melbourne ../shared/data/timeseries/jbrownlee_Datasets/daily-min-temperatures.csv] [--epochs 20]

The last 10% of each series' windows test, the 10% before validate (not used to stop: every model
trains the same number of epochs), the rest train; windows are scaled with the training part's mean
and spread. PyTorch's twin: nn.LSTM(batch_first) -> nn.Linear, Adam(1e-3), MSE, one thread pair as
lstmx's kernels (torch.set_num_threads(2)).
"""
import argparse
import json
import os
import time

import numpy as np

from lstmx import timeseries as ts
from lstmx.datasets import timeseries as data

from _machine import cpu_name

SERIES = {"airline": (12, 12), "sunspots": (22, 11), "nile": (10, 1), "co2": (52, 52)}   # (window, season)


def torch_twin(W, units, seed):
    import torch

    class Twin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(1, units, batch_first=True)
            self.out = torch.nn.Linear(units, 1)

        def forward(self, x):
            return self.out(self.lstm(x)[0][:, -1])
    torch.manual_seed(seed)
    return Twin()


def run(name, values, W, season, epochs, units=32, batch=32):
    values = ts.fill_gaps(values) if np.isnan(values).any() else values
    X, y = ts.windows(values, W, 1)
    train, val, test = ts.chronological_split(len(X), 0.1, 0.1)
    scaler = ts.StandardScaler().fit(values[:train.stop + W])
    Xs, ys = scaler.transform(X), scaler.transform(y)
    truth = y[test][:, 0]
    lines = [dict(model="naive", mae=ts.mae(truth, ts.naive_forecast(X[test], 1)[:, 0])),
             dict(model=f"linear AR({W})", mae=ts.mae(truth, ts.LinearAR().fit(X[train], y[train]).predict(X[test])[:, 0]))]
    if season <= W:
        lines.append(dict(model=f"seasonal naive ({season})",
                          mae=ts.mae(truth, ts.seasonal_naive_forecast(X[test], 1, season)[:, 0])))
    models = {cell: ts.forecaster(W, units=units, cell=cell, seed=0) for cell in ("lstm", "gru")}
    seconds = {"lstm": [], "gru": [], "torch": []}
    try:
        import torch
        torch.set_num_threads(2)
        twin = torch_twin(W, units, 0)
        opt = torch.optim.Adam(twin.parameters(), lr=1e-3)
        Xt, yt = torch.from_numpy(Xs[train].astype(np.float32)), torch.from_numpy(ys[train].astype(np.float32))
    except ImportError:
        twin = None
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        order = rng.permutation(train.stop)
        for cell, model in models.items():
            start = time.perf_counter()
            model.fit(Xs[train][order], ys[train][order], epochs=1, batch_size=batch, shuffle=False, verbose=0)
            seconds[cell].append(time.perf_counter() - start)
        if twin is not None:
            start = time.perf_counter()
            for s in range(0, len(order), batch):
                idx = torch.from_numpy(order[s:s + batch])
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(twin(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
            seconds["torch"].append(time.perf_counter() - start)
    for cell, model in models.items():
        forecast = scaler.inverse_transform(model.predict(Xs[test], verbose=0)[:, 0])
        lines.append(dict(model=f"lstmx {cell.upper()}", mae=ts.mae(truth, forecast),
                          epoch_seconds=float(np.median(seconds[cell]))))
    if twin is not None:
        with torch.no_grad():
            forecast = scaler.inverse_transform(twin(torch.from_numpy(Xs[test].astype(np.float32))).numpy()[:, 0])
        lines.append(dict(model="PyTorch LSTM", mae=ts.mae(truth, forecast), epoch_seconds=float(np.median(seconds["torch"]))))
    try:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
        kind = dict(trend="add", seasonal="add" if 1 < season <= 52 else None,
                    seasonal_periods=season if 1 < season <= 52 else None)
        fitted = ExponentialSmoothing(values[:train.stop + W], **kind).fit()
        # the same smoothing parameters over the whole series: fittedvalues[t] is the one-step
        # forecast of t from the steps before it, as the windows' forecasts are
        whole = ExponentialSmoothing(values, **kind).fit(**{k: fitted.params[k] for k in
                                                            ("smoothing_level", "smoothing_trend", "smoothing_seasonal")
                                                            if fitted.params.get(k) is not None}, optimized=False)
        preds = np.asarray(whole.fittedvalues)[test.start + W:test.stop + W]
        lines.append(dict(model="statsmodels ExponentialSmoothing", mae=ts.mae(truth, preds)))
    except ImportError:
        lines.append(dict(model="statsmodels", skipped="not installed"))
    for line in lines:
        print(json.dumps(dict(bench="forecast", series=name, window=W, n_test=len(truth),
                              **{k: round(v, 4) if isinstance(v, float) else v for k, v in line.items()})), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--melbourne", help="daily-min-temperatures.csv (not shipped with lstmx)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--series", nargs="+", default=list(SERIES))
    args = parser.parse_args()
    print(json.dumps(dict(bench="forecast", machine=cpu_name(), cpus=os.cpu_count(), date=time.strftime("%Y-%m-%d"),
                          epochs=args.epochs)), flush=True)
    for name in args.series:
        W, season = SERIES[name]
        run(name, data.load(name)[1], W, season, args.epochs)
    if args.melbourne:
        run("melbourne", data.load_csv(args.melbourne, "Date", "Temp")[1], 30, 365, args.epochs)


if __name__ == "__main__":
    main()
