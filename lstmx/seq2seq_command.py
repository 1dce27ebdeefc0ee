"""``lstmx seq2seq dates`` and ``lstmx seq2seq translate``: train an encoder-decoder with attention, then decode.

``dates`` turns human-written dates into ISO dates: each epoch's loss and greedy exact match on a sample
of the held-out dates, then the exact match of greedy decoding and of beam search on all of them, and a
few decoded examples; with ``--json``, one JSON line an epoch and a final line with
``greedy_exact_match``, ``beam_exact_match``, ``train_seconds``.

``translate`` translates short English sentences into Spanish (Tatoeba's pairs, CC-BY 2.0 France): each
epoch's loss and greedy BLEU on a sample of the held-out sentences, then greedy and beam BLEU on all of
them and a few translations; with ``--json``, a final line with ``greedy_bleu``, ``beam_bleu``, ...
"""
import json
import time


def add_parser(command, positive):
    """Add the ``seq2seq`` subcommand through the CLI's ``command(name, help, func)`` factory."""
    p = command("seq2seq", "train an encoder-decoder with attention (human-written dates into ISO dates, or "
                           "English into Spanish), then decode held-out data greedily and with beam search", run)
    p.add_argument("task", choices=["dates", "translate"],
                   help="dates: 17 formats of human-written dates; translate: Tatoeba's English-Spanish pairs")
    p.add_argument("--epochs", type=positive, default=None,
                   help="passes over the training data (dates: 12; translate: 10)")
    p.add_argument("--train", type=positive, default=None,
                   help="training examples (dates: 12000; translate: all the short pairs)")
    p.add_argument("--test", type=positive, default=2000, help="held-out dates (another seed)")
    p.add_argument("--beam-width", type=positive, default=5, help="prefixes beam search keeps")
    p.add_argument("--units", type=positive, default=None, help="LSTM units of the encoder, each direction "
                                                                 "(dates 64, translate 128)")
    p.add_argument("--data", default=None, help="translate: the Tatoeba file spa.txt or a folder holding it "
                                                "(default: $LSTMX_DATA, then ~/.lstmx/datasets)")
    p.add_argument("--max-length", type=positive, default=6, help="translate: sentences of at most this many "
                                                                   "words and punctuation marks")
    p.add_argument("--seed", type=int, default=0, help="seed of the data and the weights")
    p.add_argument("--json", action="store_true", help="one JSON line an epoch, then the final scores")
    return p


def run(args):
    return _dates(args) if args.task == "dates" else _translate(args)


def _train(args, translator, train, epochs, name, score, what):
    """Train ``epochs`` epochs, printing after each the loss and ``score()`` (a held-out sample's
    exact match or BLEU) as one line, or one JSON line; returns the seconds spent."""
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        history = translator.fit(train, epochs=1, batch_size=64, seed=args.seed + epoch - 1)
        loss, value, seconds = history.history["loss"][0], score(), time.perf_counter() - start
        line = {"epoch": epoch, "loss": round(loss, 5), name: round(value, 4), "seconds": round(seconds, 1)}
        print(json.dumps(line) if args.json else
              f"epoch {epoch}: loss {loss:.4f}, {what} {value:.3f} ({seconds:.0f} s)", flush=True)
    return time.perf_counter() - start


def _dates(args):
    from . import seq2seq as s2s
    epochs, units = args.epochs or 12, args.units or 64
    train = s2s.generate_dates(args.train or 12000, seed=args.seed)
    test = s2s.generate_dates(args.test, seed=args.seed + 1)
    sources, answers = [a for a, _ in test], [b for _, b in test]
    sample = min(300, len(test))
    translator = s2s.DateTranslator(train, units=units, seed=args.seed)
    seconds = _train(args, translator, train, epochs, "sample_exact_match",
                     lambda: s2s.exact_match(translator.greedy(sources[:sample])[0], answers[:sample]),
                     f"exact match on {sample} held-out dates")
    greedy = translator.greedy(sources)[0]
    beam = translator.beam_search_batch(sources, beam_width=args.beam_width)[0]
    final = dict(greedy_exact_match=s2s.exact_match(greedy, answers), beam_exact_match=s2s.exact_match(beam, answers),
                 beam_width=args.beam_width, test_dates=len(test), train_seconds=round(seconds, 1))
    if args.json:
        print(json.dumps(final))
        return 0
    print(f"greedy exact match {final['greedy_exact_match']:.4f}, beam search (width {args.beam_width}) "
          f"{final['beam_exact_match']:.4f} on {len(test)} held-out dates; training {seconds:.0f} s")
    for source, g, b, answer in list(zip(sources, greedy, beam, answers))[:6]:
        print(f"  {source!r:38} greedy {g}  beam {b}  {'ok' if g == answer else 'expected ' + answer}")
    return 0


def _translate(args):
    from . import seq2seq as s2s
    from .datasets import tatoeba
    epochs, units = args.epochs or 10, args.units or 128
    train, test = tatoeba.load_pairs(args.data, max_length=args.max_length, seed=args.seed)
    if args.train:
        train = train[:args.train]
    sources, references = tatoeba.references(test)
    if not args.json:
        print(f"{tatoeba.ATTRIBUTION}.\n{len(train)} training pairs, {len(sources)} held-out English sentences "
              f"(at most {args.max_length} tokens)", flush=True)
    translator = s2s.WordTranslator(train, max_length=args.max_length, units=units, seed=args.seed)
    sample = min(300, len(sources))
    seconds = _train(args, translator, train, epochs, "sample_bleu",
                     lambda: translator.bleu(sources[:sample], references[:sample])[0].score,
                     f"greedy BLEU on {sample} held-out sentences")
    greedy, greedy_text = translator.bleu(sources, references)
    beam, beam_text = translator.bleu(sources, references, beam_width=args.beam_width)
    final = dict(greedy_bleu=round(greedy.score, 2), beam_bleu=round(beam.score, 2), beam_width=args.beam_width,
                 train_pairs=len(train), test_sentences=len(sources), train_seconds=round(seconds, 1),
                 attribution=tatoeba.ATTRIBUTION)
    if args.json:
        print(json.dumps(final))
        return 0
    print(f"BLEU greedy {greedy.score:.2f}, beam search (width {args.beam_width}) {beam.score:.2f} on "
          f"{len(sources)} held-out sentences (references: all their translations); training {seconds:.0f} s")
    for source, g, b, refs in list(zip(sources, greedy_text, beam_text, references))[:6]:
        print(f"  {source}\n    greedy: {g}\n    beam:   {b}\n    reference: {refs[0]}")
    return 0
