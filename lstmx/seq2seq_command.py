"""``lstmx seq2seq dates``: train the dates encoder-decoder with attention, then decode held-out dates.

Prints each epoch's loss and greedy exact match on a sample of the held-out dates, then the exact match
of greedy decoding and of beam search on all of them, and a few decoded examples; with ``--json``, one
JSON line an epoch and a final line with ``greedy_exact_match``, ``beam_exact_match``, ``train_seconds``.
"""
import json
import time


def add_parser(command, positive):
    """Add the ``seq2seq`` subcommand through the CLI's ``command(name, help, func)`` factory."""
    p = command("seq2seq", "train an encoder-decoder with attention that turns human-written dates into ISO "
                           "dates, then decode held-out dates greedily and with beam search", run)
    p.add_argument("task", choices=["dates"], help="the task (dates: 17 formats of human-written dates)")
    p.add_argument("--epochs", type=positive, default=12, help="at most this many passes (stops at a perfect sample)")
    p.add_argument("--train", type=positive, default=12000, help="training dates")
    p.add_argument("--test", type=positive, default=2000, help="held-out dates (another seed)")
    p.add_argument("--beam-width", type=positive, default=5, help="prefixes beam search keeps")
    p.add_argument("--units", type=positive, default=64, help="LSTM units of the encoder, each direction")
    p.add_argument("--seed", type=int, default=0, help="seed of the data and the weights")
    p.add_argument("--json", action="store_true", help="one JSON line an epoch, then the final scores")
    return p


def run(args):
    from . import seq2seq as s2s
    train = s2s.generate_dates(args.train, seed=args.seed)
    test = s2s.generate_dates(args.test, seed=args.seed + 1)
    sources, answers = [a for a, _ in test], [b for _, b in test]
    sample = min(300, len(test))
    translator = s2s.DateTranslator(train, units=args.units, seed=args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        history = translator.fit(train, epochs=1, batch_size=64, seed=args.seed + epoch)
        exact = s2s.exact_match(translator.greedy(sources[:sample])[0], answers[:sample])
        line = dict(epoch=epoch + 1, loss=round(history.history["loss"][0], 5), sample_exact_match=round(exact, 4),
                    seconds=round(time.perf_counter() - start, 1))
        print(json.dumps(line) if args.json else
              f"epoch {line['epoch']}: loss {line['loss']:.4f}, exact match {exact:.3f} on {sample} held-out dates "
              f"({line['seconds']:.0f} s)", flush=True)
        if exact == 1.0:
            break
    seconds = time.perf_counter() - start
    greedy = translator.greedy(sources)[0]
    beam = [translator.beam_search(s, beam_width=args.beam_width)[0] for s in sources]
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
