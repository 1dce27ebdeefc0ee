"""``lstmx forecast``: an LSTM forecaster against the simple forecasts, on a shipped series or a CSV file.

The last 10% of the windows test, the 10% before them pick the epoch (early stopping), the rest train.
Prints MAE, RMSE, MASE and sMAPE of every model on the test windows, in the series' units; with
``--json``, one line per model.
"""
import json

import numpy as np

from . import timeseries as ts
from .datasets import timeseries as data

SEASONS = {"M": 12, "W": 52, "D": 365}     # a yearly cycle, by the dates' unit


def add_parser(command, positive):
    """Add the ``forecast`` subcommand through the CLI's ``command(name, help, func)`` factory."""
    p = command("forecast", "forecast a time series with an LSTM and print it beside the naive, seasonal naive "
                            "and linear autoregressive forecasts (MAE, RMSE, MASE, sMAPE on the last 10%)", run)
    p.add_argument("--dataset", choices=sorted(data.SERIES), help="a series shipped with lstmx")
    p.add_argument("--csv", metavar="PATH", help="a CSV file with a header row (with --column)")
    p.add_argument("--column", help="the CSV's column of values")
    p.add_argument("--date-column", default="Date", help="the CSV's column of dates")
    p.add_argument("--horizon", type=positive, default=1, help="steps forecast at once (a Dense of that many outputs)")
    p.add_argument("--window", type=positive, default=None,
                   help="steps each forecast reads (default: two seasons, or 24 without a season)")
    p.add_argument("--units", type=positive, default=32, help="the LSTM's units")
    p.add_argument("--epochs", type=positive, default=100, help="at most this many passes (early stopping on the validation part)")
    p.add_argument("--relative", action="store_true",
                   help="feed each window relative to its last value (for a series with a trend, such as airline)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the LSTM")
    p.add_argument("--json", action="store_true", help="one JSON line per model")
    return p


def run(args):
    from .callbacks import EarlyStopping
    from .cli import UsageError
    if (args.dataset is None) == (args.csv is None):
        raise UsageError("give one series: --dataset NAME (" + ", ".join(sorted(data.SERIES)) + ") or --csv PATH --column NAME")
    if args.csv is not None and not args.column:
        raise UsageError("--csv needs --column, the header of the values to forecast")
    try:
        dates, values = data.load(args.dataset) if args.dataset else data.load_csv(args.csv, args.date_column, args.column)
    except FileNotFoundError:
        raise UsageError(f"no such file: {args.csv}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    filled = int(np.isnan(values).sum())
    if filled:
        values = ts.fill_gaps(values)
    season = SEASONS.get(np.datetime_data(dates.dtype)[0])
    W = args.window or (min(2 * season, len(values) // 4) if season else 24)
    H = args.horizon
    try:
        X, y = ts.windows(values, W, H)
        train, val, test = ts.chronological_split(len(X), 0.1, 0.1)
    except ValueError as exc:
        raise UsageError(f"{exc} (a shorter --window or --horizon?)") from None
    truth, history = y[test], values[:train.stop + W]
    rows = {"naive": ts.naive_forecast(X[test], H),
            f"linear AR({W})": ts.LinearAR().fit(X[train], y[train]).predict(X[test])}
    if season and season <= W:
        rows[f"seasonal naive ({season})"] = ts.seasonal_naive_forecast(X[test], H, season)
    if args.relative:
        last = X[:, -1, :]
        Xn, yn = X - last[:, None, :], y - last
        scale = float(Xn[train].std()) or 1.0
        Xn, yn = Xn / scale, yn / scale
        back = lambda f, rows_: f * scale + last[rows_]
    else:
        scaler = ts.StandardScaler().fit(history)
        Xn, yn = scaler.transform(X), scaler.transform(y)
        back = lambda f, rows_: scaler.inverse_transform(f)
    model = ts.forecaster(W, horizon=H, units=args.units, seed=args.seed)
    fit = model.fit(Xn[train], yn[train], epochs=args.epochs, batch_size=32, validation_data=(Xn[val], yn[val]),
                    verbose=0, seed=args.seed, callbacks=[EarlyStopping(patience=10, restore_best_weights=True)])
    rows[f"LSTM({args.units})"] = back(model.predict(Xn[test], verbose=0), test)
    season_for_mase = season if season and season < train.stop + W else 1
    name = args.dataset or args.csv
    if not args.json:
        print(f"{name}: {len(values)} steps{f' ({filled} missing, filled by interpolation)' if filled else ''}, "
              f"windows of {W} forecasting {H}; {len(truth)} test windows; the LSTM trained "
              f"{len(fit.history['loss'])} epochs")
        print(f"{'model':24s} {'MAE':>10s} {'RMSE':>10s} {'MASE':>7s} {'sMAPE':>7s}")
    for model_name, forecast in rows.items():
        m = ts.metrics(truth, forecast, history, season_for_mase)
        if args.json:
            print(json.dumps(dict(model=model_name, **{k: round(v, 6) for k, v in m.items()})))
        else:
            print(f"{model_name:24s} {m['mae']:10.4g} {m['rmse']:10.4g} {m['mase']:7.3f} {m['smape']:7.2f}")
    return 0
