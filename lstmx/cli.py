"""The ``lstmx`` command: ``lstmx demo``, ``lstmx tour``, ``lstmx imdb``, ``lstmx word2vec``,
``lstmx shapes``, ``lstmx bench``.

An expected mistake (a missing file, data not downloaded, PyTorch not installed) ends with one or
two lines that say what to do, on stderr, and exit status 2; a traceback means a bug in lstmx
(``--debug`` shows the traceback of an expected mistake too).
"""
import argparse
import json
import os
import sys

CELLS = {"lstm": "LSTMCell", "gru": "GRUCell", "rnn": "RNNCell"}


class UsageError(Exception):
    """An expected mistake: its message says what to do; ``main`` prints it and returns 2."""


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _check_writable(path, option):
    """Fail before a long run, not after it, when ``path`` cannot be written: its folder is missing."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{option} {path} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {path}: the folder {folder} does not exist; create it or write elsewhere")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: the folder {folder} is not writable here; write elsewhere")


def cmd_shapes(args):
    import lstmx
    cell = getattr(lstmx, CELLS[args.cell])(args.input_size, args.hidden_size)
    print(cell.shapes_table())
    if args.bidirectional:
        print(f"bidirectional: two such cells, {2 * cell.count_params():,} parameters, "
              f"output width 2H = {2 * args.hidden_size} (merge_mode='concat')")
    return 0


def cmd_tour(args):
    """A tour: the gate-shape tables, then gradient checks of every cell against central differences."""
    import numpy as np

    import lstmx
    from lstmx.gradcheck import check_layer_gradients

    I, H = 8, 4
    print(f"lstmx {lstmx.__version__}: every gate an explicit matrix. Input size I={I}, hidden size H={H}.\n")
    for name in CELLS.values():
        print(getattr(lstmx, name)(I, H).shapes_table(), end="\n\n")
    print("Gradient check (float64, central differences vs backpropagation through time, random mask):")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 6, I))
    mask = rng.random((3, 6)) < 0.8
    worst = 0.0
    for layer_class in (lstmx.LSTM, lstmx.GRU, lstmx.SimpleRNN):
        layer = layer_class(H, return_sequences=True, dtype=np.float64, seed=1, backend="reference")
        errors = check_layer_gradients(layer, X, mask)
        worst = max(worst, *errors.values())
        print(f"  {layer_class.__name__:<9} " + "  ".join(f"d{k}: {v:.1e}" for k, v in errors.items()))
    ok = worst < 1e-6
    print(f"max relative error {worst:.1e}: {'OK' if ok else 'FAILED'} (bound 1e-6)")
    print(f"backends available here: {', '.join(lstmx.backends())}")
    return 0 if ok else 1


def speed_line(x, y, fast, warmup=2):
    """The demo's last line: one training step of the BiLSTM on the reference and on ``fast``, the
    backends taking turns after ``warmup`` untimed steps each, the best step of each (the one a busy
    machine disturbed least) and their medians (how busy it was), and the load when it was high."""
    from .experiments import step_ms
    times = step_ms(x, y, ["reference", fast], warmup=warmup)
    ref, fst = times["reference"], times[fast]
    line = (f"one training step of the BiLSTM (forward, backward and Adam on a batch of 32 reviews x 200 words), "
            f"best of {len(ref)} after {warmup} warm-up steps, the backends taking turns:\n"
            f"  reference {ref[0]:.0f} ms, {fast} {fst[0]:.1f} ms: {fast} {ref[0] / fst[0]:.1f}x faster "
            f"(medians {ref[len(ref) // 2]:.0f} and {fst[len(fst) // 2]:.1f} ms)")
    try:
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
    except (AttributeError, OSError):
        return line
    if load > cores:
        line += (f"\nthe machine was busy (load average {load:.1f} on {cores} cores): every time is inflated, most "
                 f"of all the compiled kernel's, which runs on two threads and waits for the slower; "
                 f"run again when idle")
    return line


def cmd_demo(args):
    """The main job on the embedded sample: train the IMDB BiLSTM and report."""
    from . import dispatch
    from .datasets import imdb
    from .experiments import build_model
    from .text import pad_sequences

    if args.plot:
        _check_writable(args.plot, "--plot")
    (x, y), (x_test, y_test) = imdb.load_sample()
    x, x_test = pad_sequences(x, maxlen=200), pad_sequences(x_test, maxlen=200)
    print(f"IMDB sample: {len(x)} training and {len(x_test)} held-out reviews, padded to 200 word ids")
    model = build_model("bilstm", mask_zero=True)
    model.build(x.shape)
    model.summary()
    history = model.fit(x, y, batch_size=32, epochs=args.epochs, validation_data=(x_test, y_test),
                        verbose=0 if args.quiet else 1)
    loss, accuracy = model.evaluate(x_test, y_test)
    print(f"held-out accuracy after {args.epochs} epoch{'s' if args.epochs > 1 else ''}: {accuracy:.3f} "
          f"(loss {loss:.3f})")
    print(speed_line(x, y, dispatch.resolve("auto")))
    if args.plot:
        from .plot import plot_history
        plot_history(history, args.plot)
        print(f"history plot written to {args.plot}")
    return 0 if accuracy >= 0.75 else 1


def cmd_imdb(args):
    """The full experiment on the real data set."""
    import tarfile
    import time

    from .datasets import imdb
    from .experiments import build_model
    from .text import pad_sequences

    try:
        where = imdb.find(args.data)
    except FileNotFoundError:
        if args.data is not None:
            raise UsageError(f"--data {args.data}: no such file or folder; give the path of "
                             f"{imdb.ARCHIVE} or of the extracted aclImdb folder") from None
        from .datasets._paths import data_dirs
        looked = " or ".join(data_dirs())
        raise UsageError(f"the IMDB data set was not found in {looked}.\nDownload {imdb.URL} (84 MB), then "
                         f"pass --data PATH (the archive or its aclImdb folder) or set $LSTMX_DATA to its folder; "
                         f"`lstmx demo` needs no download") from None
    t0 = time.perf_counter()
    try:
        (x, y), (x_test, y_test) = imdb.load_data(where, num_words=10000)
    except (ValueError, tarfile.TarError) as exc:
        detail = str(exc).splitlines()[0].rstrip(":")           # the archive's reasons take a line each
        raise UsageError(f"{detail}\n{where} is not the aclImdb data set: give {imdb.ARCHIVE} from {imdb.URL} "
                         f"or its extracted aclImdb folder") from None
    x, x_test = pad_sequences(x, maxlen=200), pad_sequences(x_test, maxlen=200)
    print(f"loaded {len(x)} + {len(x_test)} reviews in {time.perf_counter() - t0:.1f} s")
    model = build_model(args.model, mask_zero=not args.no_mask)
    for epoch in range(1, args.epochs + 1):
        t = time.perf_counter()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0 if args.quiet else 1, seed=epoch)
        train_s = time.perf_counter() - t
        t = time.perf_counter()
        loss, accuracy = model.evaluate(x_test, y_test, batch_size=32)
        print(f"epoch {epoch}: train {train_s:.1f} s, scoring {time.perf_counter() - t:.1f} s, "
              f"test accuracy {accuracy:.4f}, loss {loss:.4f}", flush=True)
    return 0


def _size(text):
    try:
        size = tuple(int(v) for v in text.split(","))
    except ValueError:
        size = ()
    if len(size) != 4 or min(size) < 1:
        raise argparse.ArgumentTypeError(f"a size is B,T,I,H with four positive integers, got {text!r}")
    return size


def _require_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        raise UsageError("--torch times PyTorch's layers, and PyTorch is not installed here: "
                         "pip install torch (the CPU build is enough), or leave out --torch") from None


def cmd_bench(args):
    import time

    from . import bench
    from .dispatch import BACKENDS, backends as available
    backends = args.backends or [b for b in BACKENDS if b in available()]
    missing = [b for b in backends if b not in available()]
    if missing:
        raise UsageError(f"--backends {' '.join(missing)}: not available here (available: "
                         f"{', '.join(available())}); `lstmx tour` shows which backends load")
    if args.combine:
        try:
            header, rows = bench.combine([_read_bench_run(path) for path in args.combine])
        except ValueError as exc:
            raise UsageError(f"--combine: {exc}") from None
        backends = [k[:-len("_fwd_ms")] for k in rows[0] if k.endswith("_fwd_ms") and k != "torch_fwd_ms"]
        args.torch = "torch_fwd_ms" in rows[0]
        for line in (header, *rows):
            print(json.dumps(line))
    else:
        if args.rounds < 2:
            raise UsageError(f"--rounds must be at least 2, got {args.rounds}: each system keeps its best round, and "
                             f"a single round on a busy machine once timed a forward slower than forward+backward. "
                             f"For a shorter run, time fewer --sizes or --cells")
        if args.torch:
            _require_torch()
        if args.plot:
            _check_writable(args.plot, "--plot")
        sizes = args.sizes or bench.SIZES
        systems = list(backends) + (["torch"] if args.torch else [])
        minutes = bench.estimate_seconds(args.cells, sizes, systems, args.rounds) / 60
        shorter = [] if args.sizes else ["--sizes 1,100,32,32 (one size)"]
        shorter += ["--cells lstm"] if len(args.cells) > 1 else []
        shorter += [f"--rounds 2 (fewer than {args.rounds})"] if args.rounds > 2 else []
        busy = ""
        try:
            load, cores = os.getloadavg()[0], os.cpu_count() or 1
            if load > cores:      # each system's threads get about cores/load of the time they ask for
                busy = (f"; this machine is busy (load average {load:.1f} on {cores} cores): expect up to "
                        f"{minutes * load / cores:.0f} minutes")
        except (AttributeError, OSError):
            pass
        print(f"timing {len(args.cells)} cells x {len(sizes)} sizes x {len(systems)} systems "
              f"({', '.join(systems)}) in {args.rounds} rounds: about {max(minutes, 0.1):.1f} minutes on an idle "
              f"machine{busy or ', more on a busy one'}" + (f"; shorter with {', '.join(shorter)}" if shorter else ""),
              file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        header, rows = bench.run(args.cells, sizes, backends, torch=args.torch, rounds=args.rounds)
        print(f"timed in {(time.perf_counter() - t0) / 60:.1f} minutes", file=sys.stderr)
    print()
    print(bench.table(rows, backends, args.torch))
    if args.plot:
        bench.plot(rows, args.plot, args.torch)
        print(f"plot written to {args.plot}")
    return 0


def _read_bench_run(path):
    """The JSON lines of one ``lstmx bench`` run (header first), or UsageError saying what is wrong."""
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.startswith("{")]
    except OSError as exc:
        raise UsageError(f"--combine: cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--combine: {path} is not the JSON lines of a benchmark run ({exc.msg})") from None
    if not lines or "gemm_peak_gflops" not in lines[0] or not all("cell" in r for r in lines[1:]) or len(lines) < 2:
        raise UsageError(f"--combine: {path} is not the output of lstmx bench (a header line, then a line a size)")
    return lines


def cmd_word2vec(args):
    """Train CBOW vectors on a corpus file and write them in word2vec.c's format."""
    import logging

    from .word2vec import Word2Vec
    from .word2vec.errors import EmptyVocabularyError
    if not os.path.exists(args.corpus):
        raise UsageError(f"the corpus file {args.corpus} does not exist (a text file, one sentence a line)")
    if os.path.isdir(args.corpus):
        raise UsageError(f"the corpus {args.corpus} is a folder; give a text file, one sentence a line")
    if not os.access(args.corpus, os.R_OK):
        raise UsageError(f"the corpus file {args.corpus} cannot be read (permission denied)")
    _check_writable(args.output, "--output")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        model = Word2Vec(corpus_file=args.corpus, vector_size=args.vector_size, window=args.window,
                         min_count=args.min_count, sample=args.sample, negative=0 if args.hs else args.negative,
                         hs=int(args.hs), epochs=args.epochs, workers=args.workers, seed=args.seed, progress=True,
                         max_corpus_memory=int(args.max_corpus_mb * 2**20))
    except EmptyVocabularyError as exc:
        raise UsageError(f"{args.corpus}: {exc}; lower --min-count or give a larger corpus") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    model.wv.save_word2vec_format(args.output, binary=args.binary)
    print(f"{len(model.wv)} vectors of size {args.vector_size} written to {args.output}")
    return 0


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's help with each option's default, except where there is none to show (a flag, or
    an option whose help says what happens without it)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        if isinstance(action.default, list):
            return f"{action.help} (default: {' '.join(map(str, action.default))})"
        return super()._get_help_string(action)


def build_parser():
    from . import __version__
    from .bench import SIZES
    from .experiments import ALIASES, MODELS
    parser = argparse.ArgumentParser(prog="lstmx", description="Recurrent networks as explicit matrices.",
                                     epilog="`lstmx COMMAND --help` shows a command's options and their defaults.",
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"lstmx {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an expected error too")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an expected error too")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help, func):
        p = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", parents=[common],
                           formatter_class=_HelpFormatter)
        p.set_defaults(func=func)
        return p

    demo = command("demo", "train an IMDB sentiment BiLSTM (Embedding -> Bidirectional(LSTM) -> Dense) on the "
                           "embedded sample of 5,000 reviews, then time a training step on each backend", cmd_demo)
    demo.add_argument("--epochs", type=_positive, default=2, help="passes over the training reviews")
    demo.add_argument("--plot", default="lstmx-demo-history.png",
                      help="where to write the loss/accuracy plot ('' for none)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    command("tour", "the gate-shape tables of LSTM, GRU and RNN cells and their gradient checks", cmd_tour)
    imdb = command("imdb", "train and score an IMDB sentiment model on the full aclImdb data set "
                           "(25,000 + 25,000 reviews; download it first)", cmd_imdb)
    imdb.add_argument("--data", metavar="PATH",
                      help="aclImdb_v1.tar.gz or the extracted aclImdb folder (without it: $LSTMX_DATA, "
                           "then ~/.lstmx/datasets)")
    imdb.add_argument("--epochs", type=_positive, default=3, help="passes over the 25,000 training reviews")
    # (the former names seed, tf and stacked are still accepted, not advertised)
    imdb.add_argument("--model", type=lambda name: ALIASES.get(name, name), choices=MODELS, default="bilstm",
                      help="bilstm: Embedding -> Bidirectional(LSTM(64)) -> Dropout -> Dense(1); "
                           "bilstm-dense: a Dense(64, relu) before the output; stacked-bilstm: two "
                           "Bidirectional LSTMs; bilstm-attention: AttentionPooling over the BiLSTM's steps "
                           "instead of its last states; bag: the mean of the word vectors, no recurrence")
    imdb.add_argument("--no-mask", action="store_true",
                      help="do not skip the padding (mask_zero=False, as PyTorch's script trains)")
    imdb.add_argument("--quiet", action="store_true", help="no progress bar")
    w2v = command("word2vec", "train CBOW word vectors on a text file (one sentence a line) and write them in "
                              "word2vec.c's format", cmd_word2vec)
    w2v.add_argument("corpus", help="a UTF-8 text file, one sentence a line, words separated by spaces")
    w2v.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the vectors")
    w2v.add_argument("--vector-size", type=_positive, default=100, help="numbers per word vector")
    w2v.add_argument("--window", type=_positive, default=5, help="context words on each side")
    w2v.add_argument("--min-count", type=_positive, default=5, help="drop words seen fewer times than this")
    w2v.add_argument("--sample", type=float, default=1e-3,
                     help="subsampling threshold of frequent words (0: keep every word)")
    w2v.add_argument("--negative", type=int, default=5, help="negative samples per word (ignored with --hs)")
    w2v.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    w2v.add_argument("--epochs", type=_positive, default=5, help="passes over the corpus")
    w2v.add_argument("--workers", type=_positive, default=1, help="training threads")
    w2v.add_argument("--seed", type=int, default=1, help="random seed (same seed and workers=1: same vectors)")
    w2v.add_argument("--binary", action="store_true", help="write word2vec.c's binary format instead of text")
    w2v.add_argument("--max-corpus-mb", type=float, default=1024,
                     help="keep the encoded corpus in memory up to this size, else read it again each epoch "
                          "(0: always stream)")
    shapes = command("shapes", "the table of every gate matrix of a cell", cmd_shapes)
    shapes.add_argument("--cell", choices=sorted(CELLS), default="lstm", help="which recurrent cell")
    shapes.add_argument("--input-size", type=_positive, required=True, help="I, the width of each input step")
    shapes.add_argument("--hidden-size", type=_positive, required=True, help="H, the width of the hidden state")
    shapes.add_argument("--bidirectional", action="store_true", help="also the sizes of a Bidirectional pair")
    bench = command("bench", "time every backend (and PyTorch with --torch) on recurrent layers of several sizes: "
                             "JSON lines, then a table in ms", cmd_bench)
    from .bench import estimate_seconds
    lstmx_backends = ["reference", "cython", "numba"]
    bench.epilog = (f"The default run takes about {estimate_seconds(list(CELLS), SIZES, lstmx_backends, 3) / 60:.0f} "
                    f"minutes on an idle machine (it says so when it starts); --cells lstm --sizes 1,100,32,32 "
                    f"--rounds 2 takes about {estimate_seconds(['lstm'], SIZES[:1], lstmx_backends, 2):.0f} s.")
    bench.add_argument("--cells", nargs="+", choices=sorted(CELLS), default=["lstm", "gru", "rnn"],
                       help="the cells to time")
    bench.add_argument("--sizes", nargs="+", type=_size, metavar="B,T,I,H",
                       help="batch, time steps, input and hidden sizes to time (without it: "
                            + " ".join(",".join(map(str, s)) for s in SIZES) + ")")
    bench.add_argument("--backends", nargs="+", choices=["reference", "numba", "cython"],
                       help="lstmx backends to time (without it: every one available here)")
    bench.add_argument("--torch", action="store_true", help="also time PyTorch's layers, in the same process")
    bench.add_argument("--plot", metavar="FILE.png", help="draw the times with matplotlib")
    bench.add_argument("--rounds", type=int, default=3,
                       help="time each size this many times (at least 2), the systems taking turns; each keeps "
                            "its best median")
    bench.add_argument("--combine", nargs="+", metavar="RUN.jsonl",
                       help="time nothing: combine the JSON lines of earlier runs, each system keeping its best time")
    from .tagging import add_parser as add_tag_parser   # lstmx tag: a BiLSTM part-of-speech tagger
    add_tag_parser(command, _positive)
    from .forecast_command import add_parser as add_forecast_parser   # lstmx forecast
    add_forecast_parser(command, _positive)
    from .seq2seq_command import add_parser as add_seq2seq_parser     # lstmx seq2seq dates
    add_seq2seq_parser(command, _positive)
    from .textgen_command import add_parsers as add_textgen_parsers   # lstmx textgen, lstmx generate
    add_textgen_parsers(command, _positive)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        if args.debug:
            raise
        print(f"lstmx {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"lstmx {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.debug or exc.filename is None:     # a file the system refused (disk full, permissions)
            raise
        print(f"lstmx {args.command}: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
