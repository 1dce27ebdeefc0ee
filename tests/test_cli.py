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
    """The demo as the README runs it (its default epochs): exit status 0 means held-out accuracy >= 0.75."""
    plot = tmp_path / "history.png"
    assert main(["demo", "--quiet", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "5000 training and 2000 held-out reviews" in out and "held-out accuracy after 2 epochs" in out
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


def _bench_run(path, gemm, rows):
    import json
    header = dict(bench="recurrent", gemm_peak_gflops=gemm, rounds=5)
    lines = [header] + [dict(bench="recurrent", cell=cell, B=1, T=100, I=32, H=32, **times) for cell, times in rows]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + "\n| a table |\n")
    return str(path)


def test_bench_combines_runs_keeping_each_systems_best_time(tmp_path, capsys):
    """Three runs of five rounds are fifteen rounds: each system keeps its best time of all the runs,
    and the ratios are those of the best times (not the best of the runs' ratios)."""
    import json
    keys = ("reference_fwd_ms", "reference_train_ms", "cython_fwd_ms", "cython_train_ms", "numba_fwd_ms",
            "numba_train_ms", "torch_fwd_ms", "torch_train_ms")
    run1 = _bench_run(tmp_path / "1.jsonl", 300.0, [("lstm", dict(zip(keys, (2.0, 6.0, 0.05, 0.1, 0.08, 0.2, 0.3, 0.7))))])
    run2 = _bench_run(tmp_path / "2.jsonl", 310.0, [("lstm", dict(zip(keys, (1.9, 6.5, 0.04, 0.12, 0.09, 0.15, 0.4, 0.6))))])
    assert main(["bench", "--combine", run1, run2]) == 0
    header, row = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert header["rounds"] == 10 and header["runs"] == 2 and header["gemm_peak_gflops"] == 310.0
    assert (row["reference_fwd_ms"], row["cython_fwd_ms"], row["cython_train_ms"], row["numba_train_ms"],
            row["torch_fwd_ms"], row["torch_train_ms"]) == (1.9, 0.04, 0.1, 0.15, 0.3, 0.6)
    assert row["speedup_fwd"] == pytest.approx(1.9 / 0.04, rel=0.01)
    assert row["ratio_torch_train"] == pytest.approx(0.1 / 0.6, rel=0.01)
    assert row["numba_over_cython_fwd"] == pytest.approx(0.08 / 0.04, rel=0.01)
    assert row["cython_fwd_fraction_of_gemm_peak"] == pytest.approx(row["cython_fwd_gflops"] / 310.0, rel=0.01)


def test_bench_combine_refuses_other_files_and_runs_of_other_sizes(tmp_path):
    keys = ("cython_fwd_ms", "cython_train_ms")
    run1 = _bench_run(tmp_path / "1.jsonl", 300.0, [("lstm", dict(zip(keys, (1.0, 2.0))))])
    run2 = _bench_run(tmp_path / "2.jsonl", 300.0, [("gru", dict(zip(keys, (1.0, 2.0))))])
    (tmp_path / "other.jsonl").write_text('{"epoch": 1}\n')
    for files, message in (([run1, run2], "the runs did not time the same sizes: lstm 1,100,32,32 is in 1 of 2"),
                           ([run1, str(tmp_path / "other.jsonl")], "is not the output of lstmx bench"),
                           ([run1, str(tmp_path / "missing.jsonl")], "cannot read")):
        with pytest.raises(SystemExit, match=message):
            main(["bench", "--combine", *files])
