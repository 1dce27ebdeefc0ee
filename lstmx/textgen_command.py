"""``lstmx textgen`` trains a character language model; ``lstmx generate`` samples from a saved one.

``lstmx textgen`` trains a stateful 2-layer LSTM on Tiny Shakespeare (shipped with lstmx) or on a
text file, with truncated BPTT, and prints each epoch's validation loss in nats and bits per
character, then a sample. With ``--json``: one JSON line an epoch and a final line with
``val_loss``, ``val_bits_per_char``, ``train_seconds`` and the sample.
"""
import json
import sys


def add_parsers(command, positive):
    """Add ``textgen`` and ``generate`` through the CLI's ``command(name, help, func)`` factory."""
    p = command("textgen", "train a character-level LSTM language model on Tiny Shakespeare (shipped with lstmx) "
                           "or a text file, with stateful batches and truncated backpropagation through time, "
                           "then print a sample", run_textgen)
    p.add_argument("--data", metavar="FILE", help="a UTF-8 text file to train on (default: Tiny Shakespeare)")
    p.add_argument("--epochs", type=positive, default=5, help="passes over the training text")
    p.add_argument("--minutes", type=float, help="stop after the epoch during which this much training time passed")
    p.add_argument("--units", type=positive, default=256, help="LSTM units of each layer")
    p.add_argument("--layers", type=positive, default=2, help="stacked LSTM layers")
    p.add_argument("--embedding-dim", type=positive, default=64, help="width of each character's vector")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout after each LSTM in training")
    p.add_argument("--batch-size", type=positive, default=32, help="rows of text read side by side")
    p.add_argument("--seq-length", type=positive, default=64,
                   help="characters a batch reads (and backpropagation goes back) in each row")
    p.add_argument("--learning-rate", type=float, default=3e-3, help="Adam's learning rate")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights")
    p.add_argument("--save", metavar="FILE.npz", help="save the model, its vocabulary with it")
    p.add_argument("--prompt", default="ROMEO:", help="the text the sample continues")
    p.add_argument("--sample-length", type=int, default=400, help="characters to sample at the end")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature of the final sample")
    p.add_argument("--json", action="store_true", help="one JSON line an epoch, then the final scores")
    g = command("generate", "sample text from a character language model saved by lstmx textgen, one character "
                            "at a time with the LSTM state carried", run_generate)
    g.add_argument("model", metavar="MODEL.npz", help="a model saved by lstmx textgen --save")
    g.add_argument("--prompt", default="ROMEO:", help="the text to continue (its characters must be in the vocabulary)")
    g.add_argument("--length", type=int, default=500, help="characters to generate")
    g.add_argument("--temperature", type=float, default=0.8, help="below 1: safer choices; above 1: more surprise")
    g.add_argument("--top-k", type=int, help="sample among the k most likely characters only")
    g.add_argument("--seed", type=int, help="seed of the sampling (the same seed gives the same text)")


def _usage(exc):
    from .cli import UsageError
    return UsageError(str(exc))


def run_textgen(args):
    from . import textgen
    from .datasets import shakespeare
    try:
        text = shakespeare.load_text(args.data)
    except (FileNotFoundError, ValueError, UnicodeDecodeError) as exc:
        raise _usage(exc) from None
    if args.data is None and not args.json:
        print(f"Tiny Shakespeare (public domain, from char-rnn): {len(text):,} characters, last 10% held out",
              flush=True)
    if not 0 <= args.dropout < 1:
        raise _usage(f"--dropout must be in [0, 1), got {args.dropout}")

    def report(entry):
        entry = {k: round(v, 4) if isinstance(v, float) else v for k, v in entry.items()}
        print(json.dumps(entry) if args.json else
              f"epoch {entry['epoch']}: train loss {entry['loss']:.4f}, validation {entry['val_loss']:.4f} nats/char "
              f"({entry['val_bits_per_char']:.3f} bits), {entry['seconds']:.0f} s", flush=True)
    try:
        model, history = textgen.train_language_model(
            text, units=args.units, layers=args.layers, embedding_dim=args.embedding_dim, dropout=args.dropout,
            batch_size=args.batch_size, seq_length=args.seq_length, epochs=args.epochs,
            learning_rate=args.learning_rate, minutes=args.minutes, seed=args.seed, on_epoch=report)
        sample = textgen.generate(model, args.prompt, args.sample_length, temperature=args.temperature, seed=args.seed)
    except ValueError as exc:
        raise _usage(exc) from None
    if args.save:
        model.save(args.save)
    last = history[-1]
    if args.json:
        print(json.dumps(dict(val_loss=round(last["val_loss"], 4), val_bits_per_char=round(last["val_bits_per_char"], 4),
                              train_seconds=last["seconds"], epochs=last["epoch"], sample=args.prompt + sample)))
    else:
        print(f"\nsample at temperature {args.temperature}:\n{args.prompt}{sample}")
    return 0


def run_generate(args):
    from . import textgen
    from .models import load_model
    try:
        model = load_model(args.model)
    except (FileNotFoundError, ValueError) as exc:
        raise _usage(exc) from None
    try:
        text = textgen.generate(model, args.prompt, args.length, temperature=args.temperature, top_k=args.top_k,
                                seed=args.seed)
    except (TypeError, ValueError) as exc:
        raise _usage(exc) from None
    sys.stdout.write(args.prompt + text + "\n")
    return 0
