"""The ``lstmx`` command: ``lstmx demo``, ``lstmx shapes``, ``lstmx bench``."""
import argparse
import json
import sys

CELLS = {"lstm": "LSTMCell", "gru": "GRUCell", "rnn": "RNNCell"}


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


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


def cmd_demo(args):
    """The main job on the embedded sample: train the seeds' IMDB model and report."""
    import numpy as np

    from . import dispatch
    from .datasets import imdb
    from .experiments import build_model, step_seconds
    from .text import pad_sequences

    (x, y), (x_test, y_test) = imdb.load_sample()
    x, x_test = pad_sequences(x, maxlen=200), pad_sequences(x_test, maxlen=200)
    print(f"IMDB sample: {len(x)} training and {len(x_test)} held-out reviews, padded to 200 word ids")
    model = build_model("seed", mask_zero=True)
    model.build(x.shape)
    model.summary()
    history = model.fit(x, y, batch_size=32, epochs=args.epochs, validation_data=(x_test, y_test),
                        verbose=0 if args.quiet else 1)
    loss, accuracy = model.evaluate(x_test, y_test)
    print(f"held-out accuracy after {args.epochs} epochs: {accuracy:.3f} (loss {loss:.3f})")
    fast = dispatch.resolve("auto")
    t_ref, t_fast = step_seconds(x, y, "reference"), step_seconds(x, y, fast)
    print(f"one training step (batch 32): reference {1e3 * t_ref:.0f} ms, {fast} {1e3 * t_fast:.0f} ms "
          f"({t_ref / t_fast:.1f}x)")
    if args.plot:
        from .plot import plot_history
        plot_history(history, args.plot)
        print(f"history plot written to {args.plot}")
    return 0 if accuracy >= 0.75 else 1


def cmd_imdb(args):
    """The full experiment on the real data set."""
    import time

    from .datasets import imdb
    from .experiments import build_model
    from .text import pad_sequences

    t0 = time.perf_counter()
    (x, y), (x_test, y_test) = imdb.load_data(args.data, num_words=10000)
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


def cmd_bench(args):
    from . import bench
    from .dispatch import BACKENDS, backends as available
    backends = args.backends or [b for b in BACKENDS if b in available()]
    if args.rounds < 1:
        raise SystemExit(f"--rounds must be at least 1, got {args.rounds}")
    if args.combine:
        try:
            header, rows = bench.combine([_read_bench_run(path) for path in args.combine])
        except ValueError as exc:
            raise SystemExit(f"--combine: {exc}")
        backends = [k[:-len("_fwd_ms")] for k in rows[0] if k.endswith("_fwd_ms") and k != "torch_fwd_ms"]
        args.torch = "torch_fwd_ms" in rows[0]
        for line in (header, *rows):
            print(json.dumps(line))
    else:
        header, rows = bench.run(args.cells, args.sizes or bench.SIZES, backends, torch=args.torch, rounds=args.rounds)
    print()
    print(bench.table(rows, backends, args.torch))
    if args.plot:
        bench.plot(rows, args.plot, args.torch)
        print(f"plot written to {args.plot}")
    return 0


def _read_bench_run(path):
    """The JSON lines of one ``lstmx bench`` run (header first), or SystemExit saying what is wrong."""
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.startswith("{")]
    except OSError as exc:
        raise SystemExit(f"--combine: cannot read {path}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--combine: {path} is not the JSON lines of a benchmark run ({exc.msg})")
    if not lines or "gemm_peak_gflops" not in lines[0] or not all("cell" in r for r in lines[1:]) or len(lines) < 2:
        raise SystemExit(f"--combine: {path} is not the output of lstmx bench (a header line, then a line a size)")
    return lines


def cmd_word2vec(args):
    """Train CBOW vectors on a corpus file and write them in word2vec.c's format."""
    import logging

    from .word2vec import Word2Vec
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = Word2Vec(corpus_file=args.corpus, vector_size=args.vector_size, window=args.window,
                     min_count=args.min_count, sample=args.sample, negative=0 if args.hs else args.negative,
                     hs=int(args.hs), epochs=args.epochs, workers=args.workers, seed=args.seed, progress=True,
                     max_corpus_memory=int(args.max_corpus_mb * 2**20))
    model.wv.save_word2vec_format(args.output, binary=args.binary)
    print(f"{len(model.wv)} vectors of size {args.vector_size} written to {args.output}")
    return 0


def build_parser():
    from .experiments import MODELS
    parser = argparse.ArgumentParser(prog="lstmx", description="Recurrent networks as explicit matrices.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train the seeds' IMDB model on the embedded sample (the main job)")
    demo.add_argument("--epochs", type=_positive, default=2)
    demo.add_argument("--plot", default="lstmx-demo-history.png", help="where to write the loss/accuracy plot ('' for none)")
    demo.add_argument("--quiet", action="store_true")
    demo.set_defaults(func=cmd_demo)
    tour = sub.add_parser("tour", help="the gate-shape tables of LSTM, GRU, RNN and their gradient checks")
    tour.set_defaults(func=cmd_tour)
    imdb = sub.add_parser("imdb", help="train and score a seed model on the full aclImdb data set")
    imdb.add_argument("--data", help="aclImdb_v1.tar.gz or the aclImdb folder (default: $LSTMX_DATA, ~/.lstmx/datasets)")
    imdb.add_argument("--epochs", type=_positive, default=3)
    imdb.add_argument("--model", choices=MODELS, default="seed",
                      help="a seed model, or the bag of embeddings without recurrence")
    imdb.add_argument("--no-mask", action="store_true", help="no mask_zero (the PyTorch script's setting)")
    imdb.add_argument("--quiet", action="store_true")
    imdb.set_defaults(func=cmd_imdb)
    w2v = sub.add_parser("word2vec", help="train CBOW word vectors on a text file (one sentence a line)")
    w2v.add_argument("corpus")
    w2v.add_argument("-o", "--output", required=True)
    w2v.add_argument("--vector-size", type=_positive, default=100)
    w2v.add_argument("--window", type=_positive, default=5)
    w2v.add_argument("--min-count", type=_positive, default=5)
    w2v.add_argument("--sample", type=float, default=1e-3)
    w2v.add_argument("--negative", type=int, default=5)
    w2v.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    w2v.add_argument("--epochs", type=_positive, default=5)
    w2v.add_argument("--workers", type=_positive, default=1)
    w2v.add_argument("--seed", type=int, default=1)
    w2v.add_argument("--binary", action="store_true")
    w2v.add_argument("--max-corpus-mb", type=float, default=1024,
                     help="keep the encoded corpus in memory up to this size, else read it again each epoch "
                          "(0: always stream)")
    w2v.set_defaults(func=cmd_word2vec)
    shapes = sub.add_parser("shapes", help="the table of every gate matrix of a cell")
    shapes.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    shapes.add_argument("--input-size", type=_positive, required=True)
    shapes.add_argument("--hidden-size", type=_positive, required=True)
    shapes.add_argument("--bidirectional", action="store_true")
    shapes.set_defaults(func=cmd_shapes)
    bench = sub.add_parser("bench", help="time every backend (and PyTorch with --torch); JSON lines and a table")
    bench.add_argument("--cells", nargs="+", choices=sorted(CELLS), default=["lstm", "gru", "rnn"])
    bench.add_argument("--sizes", nargs="+", type=_size, metavar="B,T,I,H", help="sizes to time (default: the six of shared/bench)")
    bench.add_argument("--backends", nargs="+", choices=["reference", "numba", "cython"])
    bench.add_argument("--torch", action="store_true", help="time PyTorch's layers in the same process")
    bench.add_argument("--plot", metavar="FILE.png", help="draw the times with matplotlib")
    bench.add_argument("--rounds", type=int, default=3,
                       help="time each size this many times, the systems taking turns; each keeps its best median")
    bench.add_argument("--combine", nargs="+", metavar="RUN.jsonl",
                       help="time nothing: combine the JSON lines of earlier runs, each system keeping its best time")
    bench.set_defaults(func=cmd_bench)
    from .tagging import add_parser as add_tag_parser   # lstmx tag: a BiLSTM part-of-speech tagger
    add_tag_parser(sub, _positive)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
