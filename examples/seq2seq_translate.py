"""English into Spanish with an encoder-decoder and attention, on Tatoeba's sentence pairs.

    python examples/seq2seq_translate.py [--data DIR] [--epochs 10] [--max-length 6] [--plot alignment.png]

The data: Tatoeba Project sentence pairs (https://tatoeba.org), CC-BY 2.0 France, as prepared by
www.manythings.org/anki (``spa-eng/spa.txt``, ``English<TAB>Spanish``); pass the file or its folder
with ``--data``, or put it in $LSTMX_DATA or ~/.lstmx/datasets. Pairs of at most ``--max-length``
words and punctuation marks on each side; 10% of the English sentences (with all their translations)
are held out. Each epoch prints the greedy BLEU on 300 held-out sentences; at the end, greedy and
beam-search BLEU on all of them (references: every translation of a sentence), a few translations,
and the alignment of one: each Spanish word's attention over the English words.
"""
import argparse
import time

from lstmx import seq2seq as s2s
from lstmx.datasets import tatoeba

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", default=None, help="spa.txt or a folder holding it")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--max-length", type=int, default=6)
parser.add_argument("--plot", default="translation-alignment.png", help="where to draw one alignment ('' for none)")
args = parser.parse_args()

print(tatoeba.ATTRIBUTION)
train, test = tatoeba.load_pairs(args.data, max_length=args.max_length)
sources, references = tatoeba.references(test)
translator = s2s.WordTranslator(train, max_length=args.max_length, embed=64, units=128)
print(f"{len(train)} training pairs, {len(sources)} held-out English sentences; vocabularies "
      f"{len(translator.source_vocab)} English and {len(translator.target_vocab)} Spanish tokens")
start = time.perf_counter()
for epoch in range(args.epochs):
    history = translator.fit(train, epochs=1, batch_size=64, seed=epoch)
    bleu = translator.bleu(sources[:300], references[:300])[0]
    print(f"epoch {epoch + 1}: loss {history.history['loss'][0]:.4f}, greedy BLEU {bleu.score:.2f} on 300 "
          f"held-out sentences ({time.perf_counter() - start:.0f} s)", flush=True)
trained = time.perf_counter() - start
greedy, greedy_text = translator.bleu(sources, references)
beam, beam_text = translator.bleu(sources, references, beam_width=5)
print(f"BLEU greedy {greedy.score:.2f}, beam (5) {beam.score:.2f} on {len(sources)} held-out sentences; "
      f"training {trained:.0f} s")
for source, g, b, refs in list(zip(sources, greedy_text, beam_text, references))[:10]:
    print(f"  {source}\n    greedy {g}\n    beam   {b}\n    ref    {' | '.join(refs)}")
if args.plot:
    from lstmx.plot import plot_attention
    k = next(i for i, s in enumerate(sources) if len(s2s.word_tokens(s)) >= 5)
    texts, alignments = translator.greedy([sources[k]])
    words = s2s.word_tokens(sources[k])
    steps = len(texts[0].split()) + 1
    x_labels = [""] * (translator.source_length - len(words)) + words        # the source is pre-padded
    fig = plot_attention(alignments[0, :steps], x_labels=x_labels, y_labels=texts[0].split() + [s2s.END_WORD],
                         title=f"{sources[k]} -> {texts[0]}")
    fig.savefig(args.plot, dpi=100)
    print("alignment drawn in", args.plot)
