"""The lstmx command."""
import subprocess
import sys

import pytest

from lstmx.cli import main


def test_shapes_prints_the_gate_table(capsys):
    assert main(["shapes", "--cell", "lstm", "--input-size", "128", "--hidden-size", "64", "--bidirectional"]) == 0
    out = capsys.readouterr().out
    assert "W_f    (64, 128)" in out and "total parameters: 49,408" in out and "98,816" in out


@pytest.mark.parametrize("args", [["--cell", "lstm", "--input-size", "0", "--hidden-size", "4"],
                                  ["--cell", "lstm", "--input-size", "3", "--hidden-size", "-1"],
                                  ["--cell", "transformer", "--input-size", "3", "--hidden-size", "4"]])
def test_shapes_bad_input_is_a_one_line_error_and_exit_2(args):
    proc = subprocess.run([sys.executable, "-m", "lstmx", "shapes", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("lstmx shapes: error:")


def test_tour_runs_the_gradient_check(capsys):
    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    assert "LSTMCell(input_size=8, hidden_size=4)" in out and "OK (bound 1e-6)" in out


def test_demo_trains_the_seed_model_on_the_sample(tmp_path, capsys):
    plot = tmp_path / "history.png"
    assert main(["demo", "--epochs", "1", "--quiet", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "5000 training and 2000 held-out reviews" in out and "held-out accuracy after 1 epochs" in out
    assert "Total params: 1,378,945" in out and plot.stat().st_size > 10_000


def test_bench_times_each_system_in_rounds_and_keeps_its_best(monkeypatch, capsys):
    import functools
    import json

    from lstmx import bench
    calls = []
    monkeypatch.setattr(bench, "gemm_peak_gflops", lambda: 300.0)        # (not what is tested: seconds)
    monkeypatch.setattr(bench, "median_ms", functools.partial(bench.median_ms, budget_s=0.01, settle_s=0))
    real_time_lstmx = bench.time_lstmx
    monkeypatch.setattr(bench, "time_lstmx", lambda cell, size, be: calls.append(be) or real_time_lstmx(cell, size, be))
    assert main(["bench", "--cells", "rnn", "--sizes", "2,3,4,5", "--backends", "reference", "cython",
                 "--rounds", "2"]) == 0
    assert calls == ["reference", "cython", "reference", "cython"]       # taking turns, round by round
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert lines[0]["rounds"] == 2
    row = lines[1]
    assert (row["cell"], row["B"], row["T"], row["I"], row["H"]) == ("rnn", 2, 3, 4, 5)
    assert row["reference_fwd_ms"] > 0 and row["cython_train_ms"] > 0
    assert row["speedup_fwd"] == pytest.approx(row["reference_fwd_ms"] / row["cython_fwd_ms"], rel=0.01)


def test_bench_refuses_zero_rounds():
    proc = subprocess.run([sys.executable, "-m", "lstmx", "bench", "--rounds", "0"], capture_output=True, text=True)
    assert proc.returncode != 0 and "--rounds must be at least 1, got 0" in proc.stderr
