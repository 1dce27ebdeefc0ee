"""lstmx forecast: the metric table of the LSTM and every baseline, as text or JSON lines; mistakes
get one line and exit status 2."""
import json

from lstmx.cli import main


def test_forecast_prints_one_json_line_per_model(capsys):
    assert main(["forecast", "--dataset", "nile", "--epochs", "2", "--window", "8", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["model"] for line in lines] == ["naive", "linear AR(8)", "LSTM(32)"]
    assert all(set(line) == {"model", "mae", "rmse", "mase", "smape"} and line["mae"] > 0 for line in lines)


def test_forecast_of_a_csv_with_gaps_says_what_it_filled(tmp_path, capsys):
    path = tmp_path / "s.csv"
    rows = [f"2000-{m:02d},{'' if m == 5 else 10 + m % 3}" for m in range(1, 13)]
    rows += [f"2001-{m:02d},{10 + m % 3}" for m in range(1, 13)] + [f"2002-{m:02d},{10 + m % 3}" for m in range(1, 13)]
    path.write_text("Month,Value\n" + "\n".join(rows) + "\n")
    assert main(["forecast", "--csv", str(path), "--date-column", "Month", "--column", "Value", "--window", "12",
                 "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "36 steps (1 missing, filled by interpolation)" in out and "seasonal naive (12)" in out


def test_forecast_mistakes_get_one_line_and_status_2(tmp_path, capsys):
    for argv, message in ((["forecast"], "give one series"),
                          (["forecast", "--csv", "nope.csv", "--column", "x"], "no such file: nope.csv"),
                          (["forecast", "--csv", "x.csv"], "--csv needs --column"),
                          (["forecast", "--dataset", "nile", "--window", "95", "--horizon", "10"],
                           "too short for windows")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") <= 2, err
