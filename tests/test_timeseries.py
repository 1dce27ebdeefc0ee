"""Time series: the shipped series load, windows are Keras's, baselines and metrics compute what their
definitions say, and bad input is named."""
import numpy as np
import pytest

import lstmx
from lstmx import timeseries as ts
from lstmx.datasets import timeseries as data


def test_the_shipped_series_load_with_their_dates():
    dates, values = data.load("airline")
    assert dates.dtype == np.dtype("datetime64[M]") and len(values) == 144
    assert str(dates[0]) == "1949-01" and str(dates[-1]) == "1960-12" and values[:3].tolist() == [112, 118, 132]
    dates, values = data.load("co2")
    assert dates.dtype == np.dtype("datetime64[D]") and len(values) == 2284 and np.isnan(values).sum() == 59
    assert len(ts.gaps(dates, values)["nan"]) == 59
    assert [len(data.load(n)[1]) for n in ("sunspots", "nile")] == [309, 100]
    with pytest.raises(ValueError, match=r"unknown series 'melbourne': lstmx ships \['airline', 'co2'"):
        data.load("melbourne")


def test_load_csv_names_the_file_and_line_of_what_is_wrong(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Date,Temp,Rain\n1981-01-01,20.7,1\n1981-01-02,,0\n1981-01-05,18.8,2\n")
    dates, values = data.load_csv(path, "Date", "Temp")
    assert np.isnan(values[1]) and values[2] == 18.8
    assert [str(d) for d in ts.gaps(dates, values)["dates"]] == ["1981-01-03", "1981-01-04"]
    both = data.load_csv(path, "Date", ["Temp", "Rain"])[1]
    assert both.shape == (3, 2)
    with pytest.raises(ValueError, match=r"has no column 'Wind'; its columns: \['Date', 'Temp', 'Rain'\]"):
        data.load_csv(path, "Date", "Wind")
    path.write_text("Date,Temp\n1981-01-02,1\n1981-01-01,2\n")
    with pytest.raises(ValueError, match=r"the dates must increase, but date 2 \(1981-01-01\) does not come after"):
        data.load_csv(path, "Date", "Temp")
    path.write_text("Date,Temp\n1981-01-01,1\n81/01/02,2\n")
    with pytest.raises(ValueError, match=r"s.csv, line 3: cannot read the date '81/01/02'"):
        data.load_csv(path, "Date", "Temp")
    path.write_text("Date,Temp\n1981-01-01,warm\n")
    with pytest.raises(ValueError, match=r"line 2: Temp is 'warm', not a number"):
        data.load_csv(path, "Date", "Temp")


def test_windows_are_keras_timeseries_dataset_from_array():
    """Keras's documented temporal regression: ``timeseries_dataset_from_array(data[:-10], data[10:],
    sequence_length=10)`` gives inputs data[i:i+10] and target data[i+10] for i = 0..80."""
    series = np.arange(100.0)
    X, y = ts.windows(series, 10, 1)
    keras_X = np.stack([series[i:i + 10] for i in range(81)])[:, :, None]
    keras_y = series[10:91][:, None]
    np.testing.assert_array_equal(X[:81], keras_X)
    np.testing.assert_array_equal(y[:81], keras_y)
    assert X.shape == (90, 10, 1)             # and the last nine windows, whose inputs Keras's slice drops
    X, y = ts.windows(np.stack([series, -series], axis=1), 4, horizon=3, stride=5, targets=1)
    assert X.shape == (19, 4, 2) and y[1].tolist() == [-9, -10, -11] and X[1, 0].tolist() == [5, -5]


def test_windows_refuse_what_they_cannot_cut():
    with pytest.raises(ValueError, match=r"a series of 5 steps is too short for windows of input_width \+ horizon "
                                         r"= 4 \+ 2 = 6 steps"):
        ts.windows(np.arange(5.0), 4, 2)
    with pytest.raises(ValueError, match="horizon must be an integer >= 1, got 0"):
        ts.windows(np.arange(5.0), 2, 0)
    series = np.arange(20.0)
    series[7] = np.nan
    with pytest.raises(ValueError, match="window 0 has NaN in its input at step 7 of the series"):
        ts.windows(series, 8, 1)
    with pytest.raises(ValueError, match="window 3 has NaN in its target at step 7"):
        ts.windows(series[:8], 4, 1)
    filled = ts.fill_gaps(series)
    assert filled[7] == 7.0 and ts.windows(filled, 8, 1)[0].shape == (12, 8, 1)


def test_split_and_a_scaler_fitted_on_training_only():
    train, val, test = ts.chronological_split(100, validation=0.1, test=12)
    assert (train, val, test) == (slice(0, 78), slice(78, 88), slice(88, 100))
    with pytest.raises(ValueError, match="cannot give 50 for validation and 50 for test"):
        ts.chronological_split(100, validation=50, test=50)
    scaler = ts.StandardScaler()
    with pytest.raises(RuntimeError, match="not fitted yet"):
        scaler.transform([1.0])
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    z = scaler.fit(x).transform(x)
    np.testing.assert_allclose(z, [[-1, -1], [1, 1]])
    np.testing.assert_allclose(scaler.inverse_transform(z), x)
    np.testing.assert_allclose(scaler.inverse_transform(np.array([1.0]), column=1), [30.0])


def test_baselines_and_metrics_compute_their_definitions():
    X = np.arange(24.0).reshape(1, 24, 1) % 12          # two seasons of 0..11
    assert ts.naive_forecast(X, 3).tolist() == [[11, 11, 11]]
    assert ts.seasonal_naive_forecast(X, 14, season=12).tolist() == [list(range(12)) + [0, 1]]
    # an AR(2) process: least squares finds its coefficients, as the normal equations say
    rng = np.random.default_rng(0)
    x = np.zeros(5000)
    for t in range(2, len(x)):
        x[t] = 0.6 * x[t - 1] - 0.3 * x[t - 2] + 0.5 + rng.standard_normal()
    Xw, yw = ts.windows(x, 2, horizon=1)
    model = ts.LinearAR().fit(Xw, yw)
    np.testing.assert_allclose(model.coef[:, 0], [-0.3, 0.6, 0.5], atol=0.05)
    A = np.c_[Xw[:, :, 0], np.ones(len(Xw))]
    np.testing.assert_allclose(model.coef, np.linalg.solve(A.T @ A, A.T @ yw), rtol=1e-9)
    np.testing.assert_allclose(model.predict(Xw[:3]), A[:3] @ model.coef)
    y, f = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])
    assert ts.mae(y, f) == 1.0 and ts.rmse(y, f) == pytest.approx(np.sqrt(5 / 3))
    assert ts.smape(y, f) == pytest.approx((0 + 200 / 5 + 200 * 2 / 6) / 3)
    assert ts.mase(y, f, [0.0, 2.0, 4.0]) == 0.5            # in-sample naive MAE is 2
    assert ts.smape([0.0], [0.0]) == 0.0
    with pytest.raises(RuntimeError, match="not fitted yet"):
        ts.LinearAR().predict(Xw)


def test_calendar_features_put_december_next_to_january():
    months = np.arange("1949-01", "1951-01", dtype="datetime64[M]")
    f = ts.calendar_features(months)
    assert f.shape == (24, 2)
    np.testing.assert_allclose(f[0], [0, 1], atol=1e-12)
    np.testing.assert_allclose(f[12], f[0])
    assert np.linalg.norm(f[11] - f[0]) < np.linalg.norm(f[6] - f[0])
    days = ts.calendar_features(np.arange("1981-01-01", "1981-01-03", dtype="datetime64[D]"))
    assert days.shape == (2, 2) and days[0, 1] == 1.0


def test_a_forecaster_learns_a_sine_and_forecasts_recursively_and_directly():
    t = np.arange(400)
    series = np.sin(2 * np.pi * t / 25)
    X, y = ts.windows(series, 25, horizon=1)
    model = ts.forecaster(25, units=8, seed=0, learning_rate=1e-2)
    model.fit(X[:300], y[:300], epochs=8, batch_size=32, verbose=0)
    one_step = model.predict(X[300:], verbose=0)
    assert ts.mae(y[300:], one_step) < 0.1 < ts.mae(y[300:], ts.naive_forecast(X[300:], 1))
    # recursive, sliding window: each forecast becomes the window's newest step, as by hand
    rec = ts.recursive_forecast(model, X[300:303], 3, carry_state=False)
    window = X[300:303].copy()
    for k in range(3):
        step = model.predict(window, verbose=0)
        np.testing.assert_allclose(rec[:, k], step[:, 0], rtol=1e-6)
        window = np.concatenate([window[:, 1:], step[:, None, :]], axis=1)
    # recursive with the state carried: the window once, then one step at a time from the same state,
    # which is the LSTM run over the window followed by the forecasts
    carried = ts.recursive_forecast(model, X[300:303], 3)
    np.testing.assert_allclose(carried[:, 0], rec[:, 0], rtol=1e-6)
    lstm, dense = model.layers[0], model.layers[-1]
    extended = np.concatenate([X[300:303], carried[:, :2, None]], axis=1)       # window + two forecasts
    whole = lstmx.lstm_forward(extended.astype(np.float32), lstm.cell.W, lstm.cell.U, lstm.cell.b)[1][0]
    np.testing.assert_allclose(carried[:, 2], (whole @ dense.kernel + dense.bias)[:, 0], rtol=1e-5, atol=1e-6)
    assert np.abs(carried[:, 1:] - rec[:, 1:]).max() > 1e-6    # it reads more than the sliding window
    with pytest.raises(ValueError, match="carry_state=True steps a forecaster"):
        ts.recursive_forecast(lstmx.Sequential([lstmx.Input((25, 1)), lstmx.Flatten(), lstmx.Dense(1)]), X[:2], 2)
    # the encoder-decoder: five steps, each from a decoder state of its own
    Xd, yd = ts.windows(series, 25, horizon=5)
    seq = ts.encoder_decoder_forecaster(25, horizon=5, units=8, seed=0, learning_rate=1e-2)
    seq.fit(Xd[:300], yd[:300], epochs=6, batch_size=32, verbose=0)
    assert seq.predict(Xd[300:], verbose=0).shape == (len(Xd) - 300, 5)
    assert ts.mae(yd[300:], seq.predict(Xd[300:], verbose=0)) < ts.mae(yd[300:], ts.naive_forecast(Xd[300:], 5))
    direct = ts.forecaster(25, horizon=5, units=4, seed=1)
    assert direct.predict(Xd[:2], verbose=0).shape == (2, 5)
    with pytest.raises(ValueError, match=r"needs future_features \(N, horizon, F - 1\) = \(2, 3, 2\)"):
        ts.recursive_forecast(ts.forecaster(25, features=3), np.zeros((2, 25, 3)), 3)


def test_monte_carlo_dropout_draws_differ_and_the_interval_covers_as_it_says():
    model = ts.forecaster(10, units=4, dropout=0.5, seed=0)
    X = np.random.default_rng(0).standard_normal((20, 10, 1))
    draws = ts.mc_dropout_samples(model, X, samples=30)
    assert draws.shape == (30, 20, 1) and np.std(draws, axis=0).min() > 0
    np.testing.assert_allclose(np.mean(draws, axis=0), model.predict(X, verbose=0), atol=0.5)
    # with draws that are pure noise of spread 1, the 80% interval covers about 80% of fresh noise
    rng = np.random.default_rng(1)
    lower, upper = ts.prediction_interval(np.zeros((1000, 5000)), 0.8, residual_std=1.0)
    assert 0.77 < ts.coverage(rng.standard_normal(5000), lower, upper) < 0.83
    assert ts.coverage([0.0, 2.0], [-1.0, -1.0], [1.0, 1.0]) == 0.5
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\), got 80"):
        ts.prediction_interval(np.zeros((3, 2)), 80)
