"""Human-written dates to ISO with an encoder-decoder and attention.

    python examples/seq2seq_dates.py [--epochs 12] [--plot alignment.png]

12,000 dates in 17 formats train (a seeded generator), 2,000 others test. Each epoch prints the exact
match of greedy decoding on 300 of the test dates; at the end, greedy and beam search (width 5) on
all 2,000, where they differ and which string the model finds likelier, a few decoded examples, and
the alignment of one date: each output character's attention over the input's characters.
"""
import argparse
import time

import numpy as np

from lstmx import seq2seq as s2s

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=12)
parser.add_argument("--plot", default="dates-alignment.png", help="where to draw one alignment ('' for none)")
args = parser.parse_args()

train, test = s2s.generate_dates(12000, seed=0), s2s.generate_dates(2000, seed=1)
sources, answers = [a for a, _ in test], [b for _, b in test]
translator = s2s.DateTranslator(train, embed=32, units=64, seed=0)
start = time.perf_counter()
for epoch in range(args.epochs):
    history = translator.fit(train, epochs=1, batch_size=64, seed=epoch)
    exact = s2s.exact_match(translator.greedy(sources[:300])[0], answers[:300])
    print(f"epoch {epoch + 1}: loss {history.history['loss'][0]:.4f}, exact match {exact:.3f} "
          f"({time.perf_counter() - start:.0f} s)", flush=True)
trained = time.perf_counter() - start
greedy, alignments = translator.greedy(sources)
beam = translator.beam_search_batch(sources, beam_width=5)[0]
print(f"greedy exact match {s2s.exact_match(greedy, answers):.4f}, beam (5) {s2s.exact_match(beam, answers):.4f} "
      f"on {len(test)} held-out dates; training {trained:.0f} s")
print("beam right where greedy is wrong:", sum(b == a != g for g, b, a in zip(greedy, beam, answers)),
      "; greedy right where beam is wrong:", sum(g == a != b for g, b, a in zip(greedy, beam, answers)))
differ = [i for i, (g, b) in enumerate(zip(greedy, beam)) if g != b]
if differ:     # beam search keeps the likelier string: is it the right one?
    log_p = {name: translator.log_probability([sources[i] for i in differ], [texts[i] for i in differ])
             for name, texts in (("greedy", greedy), ("beam", beam))}
    for j, i in enumerate(differ):
        print(f"  {sources[i]!r}: greedy {greedy[i]} (log p {log_p['greedy'][j]:.3f}), beam {beam[i]} "
              f"(log p {log_p['beam'][j]:.3f}), answer {answers[i]}")
for source, g, answer in list(zip(sources, greedy, answers))[:8]:
    print(f"  {source!r:40} -> {g}   {'ok' if g == answer else 'expected ' + answer}")
if args.plot:
    from lstmx.plot import plot_attention
    k = next(i for i, s in enumerate(sources) if "," in s and len(s) > 20)
    chars = list(sources[k].rjust(translator.source_length))
    steps = len(greedy[k]) + 1
    # 13-point text: the docs show this 16-inch figure scaled into a 9-inch column
    fig = plot_attention(alignments[k, :steps], x_labels=chars, y_labels=list(greedy[k]) + [s2s.END],
                         title=f"{sources[k]} -> {greedy[k]}", fontsize=13)
    fig.savefig(args.plot, dpi=100)
    print("alignment drawn in", args.plot)
