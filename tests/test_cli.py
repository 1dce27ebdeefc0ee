"""The lstmx command."""
import os
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


def test_demo_trains_the_bilstm_on_the_sample_and_logs_one_line_per_epoch(tmp_path):
    """The demo as the README runs it (its default epochs), its output in a pipe as in a log file: exit
    status 0 means held-out accuracy >= 0.75; the progress bar is one line per epoch, no carriage
    return; the speed line says what it timed."""
    plot = tmp_path / "history.png"
    proc = subprocess.run([sys.executable, "-m", "lstmx", "demo", "--plot", str(plot)], capture_output=True)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert b"\r" not in proc.stdout and b"\r" not in proc.stderr
    assert "5000 training and 2000 held-out reviews" in out and "held-out accuracy after 2 epochs" in out
    assert "Total params: 1,378,945" in out and plot.stat().st_size > 10_000
    assert [line for line in out.splitlines() if line.startswith("157/157 [")] != []
    assert len([line for line in out.splitlines() if "/157 [" in line]) == 2      # one line per epoch
    assert "one training step of the BiLSTM (forward, backward and Adam" in out and "warm-up steps" in out
    assert "x faster (medians" in out


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
    out, err = capsys.readouterr()
    assert err.startswith("timing 1 cells x 1 sizes x 2 systems (reference, cython) in 2 rounds: about ")
    assert "minutes on an idle machine" in err
    assert "| reference fwd ms | reference train ms | cython fwd ms |" in out and "Times in ms" in out
    assert "reference/cython: how many times faster cython is than the reference (above 1 = cython faster)" in out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert lines[0]["rounds"] == 2
    row = lines[1]
    assert (row["cell"], row["B"], row["T"], row["I"], row["H"]) == ("rnn", 2, 3, 4, 5)
    assert row["reference_fwd_ms"] > 0 and row["cython_train_ms"] > 0
    assert row["speedup_fwd"] == pytest.approx(row["reference_fwd_ms"] / row["cython_fwd_ms"], rel=0.01)


@pytest.mark.parametrize("rounds", ["0", "1"])
def test_bench_refuses_fewer_than_two_rounds(rounds, capsys):
    """One round has no second chance: on a busy machine it timed a forward slower than forward+backward."""
    assert main(["bench", "--rounds", rounds]) == 2
    err = _short_error(capsys, "lstmx bench: error: --rounds must be at least 2")
    assert "fewer --sizes or --cells" in err


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


def test_bench_combine_refuses_other_files_and_runs_of_other_sizes(tmp_path, capsys):
    keys = ("cython_fwd_ms", "cython_train_ms")
    run1 = _bench_run(tmp_path / "1.jsonl", 300.0, [("lstm", dict(zip(keys, (1.0, 2.0))))])
    run2 = _bench_run(tmp_path / "2.jsonl", 300.0, [("gru", dict(zip(keys, (1.0, 2.0))))])
    (tmp_path / "other.jsonl").write_text('{"epoch": 1}\n')
    for files, message in (([run1, run2], "the runs did not time the same sizes: lstm 1,100,32,32 is in 1 of 2"),
                           ([run1, str(tmp_path / "other.jsonl")], "is not the output of lstmx bench"),
                           ([run1, str(tmp_path / "missing.jsonl")], "cannot read")):
        assert main(["bench", "--combine", *files]) == 2
        assert message in capsys.readouterr().err


# ---- expected mistakes: a short message that says what to do, exit status 2, no traceback ----

def _short_error(capsys, starts):
    """The stderr of a mistake: one or two lines, the first starting ``starts``, no traceback."""
    err = capsys.readouterr().err
    assert err.startswith(starts), err
    assert "Traceback" not in err and 1 <= len(err.strip().splitlines()) <= 2, err
    return err


@pytest.fixture
def no_imdb_data(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMX_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_imdb_without_the_data_says_how_to_give_it(no_imdb_data, capsys):
    assert main(["imdb"]) == 2
    err = _short_error(capsys, "lstmx imdb: error: the IMDB data set was not found in ")
    assert "--data PATH" in err and "$LSTMX_DATA" in err and "aclImdb_v1.tar.gz" in err
    assert "path=" not in err                        # a Python argument means nothing on the command line


def test_imdb_with_a_wrong_data_path(tmp_path, capsys):
    assert main(["imdb", "--data", str(tmp_path / "nope.tar.gz")]) == 2
    assert "nope.tar.gz: no such file or folder" in _short_error(capsys, "lstmx imdb: error: --data ")
    other = tmp_path / "notes.txt"
    other.write_text("not an archive\n")
    assert main(["imdb", "--data", str(other)]) == 2
    assert f"{other} is not the aclImdb data set: give aclImdb_v1.tar.gz" in _short_error(capsys, "lstmx imdb: error: ")


def test_word2vec_names_the_missing_corpus(tmp_path, capsys):
    assert main(["word2vec", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "x.txt")]) == 2
    assert "nope.txt does not exist" in _short_error(capsys, "lstmx word2vec: error: the corpus file ")
    assert main(["word2vec", str(tmp_path), "-o", str(tmp_path / "x.txt")]) == 2
    assert "is a folder" in _short_error(capsys, "lstmx word2vec: error: the corpus ")


def test_word2vec_mistakes_are_caught_before_training(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\n" * 20)
    assert main(["word2vec", str(corpus), "-o", str(tmp_path / "no" / "such" / "folder" / "x.txt")]) == 2
    assert "does not exist; create it" in _short_error(capsys, "lstmx word2vec: error: --output ")
    assert main(["word2vec", str(corpus), "-o", str(tmp_path / "x.txt"), "--min-count", "100"]) == 2
    assert "lower --min-count" in _short_error(capsys, "lstmx word2vec: error: ")
    assert main(["word2vec", str(corpus), "-o", str(tmp_path / "x.txt"), "--sample", "-1"]) == 2
    assert "sample must be >= 0" in _short_error(capsys, "lstmx word2vec: error: ")


def test_bench_torch_without_pytorch_says_pip_install_torch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)            # import torch now raises ImportError
    assert main(["bench", "--torch", "--cells", "rnn", "--sizes", "1,2,3,4"]) == 2
    assert "pip install torch" in _short_error(capsys, "lstmx bench: error: --torch ")


def test_plot_into_a_missing_folder_is_refused_before_the_run(tmp_path, capsys):
    for argv in (["demo", "--plot"], ["bench", "--cells", "rnn", "--sizes", "1,2,3,4", "--plot"]):
        assert main([*argv, str(tmp_path / "missing" / "plot.png")]) == 2
        _short_error(capsys, f"lstmx {argv[0]}: error: --plot ")


def test_a_file_the_system_refuses_is_named_in_one_line(tmp_path, monkeypatch, capsys):
    from lstmx.word2vec import KeyedVectors
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\n" * 20)

    def refuse(self, path, binary=False):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(KeyedVectors, "save_word2vec_format", refuse)
    assert main(["word2vec", str(corpus), "-o", str(tmp_path / "x.txt"), "--min-count", "1"]) == 2
    err = capsys.readouterr().err                   # after the training's progress lines
    assert err.strip().splitlines()[-1] == f"lstmx word2vec: error: {tmp_path / 'x.txt'}: Permission denied"
    assert "Traceback" not in err


def test_debug_shows_the_traceback_of_a_mistake(tmp_path):
    from lstmx.cli import UsageError
    for argv in (["--debug", "word2vec"], ["word2vec", "--debug"]):
        with pytest.raises(UsageError, match="does not exist"):
            main([*argv, str(tmp_path / "nope.txt"), "-o", str(tmp_path / "x.txt")])


@pytest.mark.parametrize("argv, message", [
    (["imdb"], "--data PATH"),
    (["word2vec", "nope.txt", "-o", "x.txt"], "nope.txt does not exist"),
    (["bench", "--rounds", "1"], "--rounds must be at least 2"),
    (["demo", "--epochs", "0"], "expected a positive integer, got 0"),
    (["bench", "--sizes", "1,2,3"], "a size is B,T,I,H"),
    (["imdb", "--model", "seeds"], "invalid choice: 'seeds'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_the_command_answers_mistakes_in_two_lines_with_status_2(tmp_path, argv, message):
    """As a user's shell sees it: no traceback, exit status 2, the message at the end of stderr."""
    env = dict(os.environ, LSTMX_DATA=str(tmp_path), HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "lstmx", *argv], capture_output=True, text=True, cwd=tmp_path,
                          env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and message in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_version():
    import lstmx
    proc = subprocess.run([sys.executable, "-m", "lstmx", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"lstmx {lstmx.__version__}"


def test_every_option_has_help_and_shows_its_default():
    import argparse

    from lstmx.cli import build_parser
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("demo", "tour", "imdb", "word2vec", "shapes", "bench"):
        sub = subparsers.choices[name]
        text = sub.format_help()
        for action in sub._actions:
            assert action.help, f"lstmx {name} {action.option_strings or action.dest} has no help"
            if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
                shown = " ".join(map(str, action.default)) if isinstance(action.default, list) else action.default
                assert f"(default: {shown})" in " ".join(text.split()), (name, action.dest)
    assert "seed" not in " ".join(subparsers.choices["imdb"].format_help().split()).replace("--seed", "")


def test_the_former_model_names_are_still_accepted():
    from lstmx.cli import build_parser
    from lstmx.experiments import build_model
    parse = build_parser().parse_args
    assert [parse(["imdb", "--model", m]).model for m in ("seed", "tf", "stacked", "bag")] == \
        ["bilstm", "bilstm-dense", "stacked-bilstm", "bag"]
    assert [type(layer).__name__ for layer in build_model("seed", num_words=20).layers] == \
        [type(layer).__name__ for layer in build_model("bilstm", num_words=20).layers]


# ---- progress output: redrawn in a terminal or a notebook, one line per epoch in a log ----

def test_word2vec_logs_one_progress_line_per_epoch(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(f"the cat {w} sat on the mat\n" for w in ("big", "small", "old") * 30))
    proc = subprocess.run([sys.executable, "-m", "lstmx", "word2vec", str(corpus), "-o", str(tmp_path / "v.txt"),
                           "--min-count", "1", "--vector-size", "8", "--epochs", "3"], capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"\r" not in proc.stdout + proc.stderr
    epochs = [line for line in proc.stderr.decode().splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"] and "M words/s  alpha" in epochs[0]


class _Terminal:
    """A stream that says it is a terminal, keeping what is written."""

    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass

    def isatty(self):
        return True


def test_the_progress_bar_redraws_in_a_terminal_and_a_notebook_only(monkeypatch, capsys):
    import io

    import numpy as np

    import lstmx
    from lstmx._progress import redraws

    class OutStream(io.StringIO):                  # what stdout is inside a Jupyter kernel
        pass
    OutStream.__module__ = "ipykernel.iostream"
    assert redraws(OutStream()) and redraws(_Terminal()) and not redraws(io.StringIO())

    x, y = np.random.default_rng(0).random((40, 3)), np.arange(40) % 2
    model = lstmx.Sequential([lstmx.Dense(1, "sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam")
    model.fit(x, y, batch_size=1, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and out.count("40/40 [") == 2 and "11/40" not in out
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    model.fit(x, y, batch_size=1, epochs=1, verbose=1)
    assert "\r1/40 [" in terminal.text and "\r11/40 [" in terminal.text and "\r40/40 [" in terminal.text


def test_bench_table_says_units_and_which_way_the_ratios_point():
    from lstmx import bench
    row = dict(cell="lstm", B=1, T=2, I=3, H=4, reference_fwd_ms=2.0, reference_train_ms=5.0, cython_fwd_ms=0.3,
               cython_train_ms=0.2, torch_fwd_ms=1.0, torch_train_ms=3.0)
    bench._derive(row, dict(gemm_peak_gflops=100.0), ["reference", "cython"], True)
    text = bench.table([row], ["reference", "cython"], True)
    assert "| PyTorch fwd ms | PyTorch train ms | reference/cython fwd |" in text
    assert "| lstmx/PyTorch fwd | lstmx/PyTorch train |" in text
    assert "(below 1 = lstmx faster)" in text and "(above 1 = cython faster)" in text
    assert "| 0.3! | 0.2 |" in text and "! a forward timed slower than its forward+backward (lstm 1,2,3,4 cython)" in text


def test_bench_says_how_long_the_default_run_takes():
    from lstmx import bench
    minutes = bench.estimate_seconds(["lstm", "gru", "rnn"], bench.SIZES, ["reference", "cython", "numba"], 3) / 60
    assert 2 < minutes < 6
    assert bench.estimate_seconds(["lstm"], bench.SIZES[:1], ["cython"], 2) < 10
