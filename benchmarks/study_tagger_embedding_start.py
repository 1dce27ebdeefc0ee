"""How the embeddings' start changes the EWT taggers: Keras's U(-0.05, 0.05) against PyTorch's N(0, 1).

    python benchmarks/study_tagger_embedding_start.py base 10 0      # variant, epochs, seed
    python benchmarks/study_tagger_embedding_start.py bothN 10 0

Variants: ``base`` (both embeddings U(-0.05, 0.05), the tagger's start before 2026-12-05), ``charN``
(the character embedding N(0, 1)), ``wordN`` (the word embedding N(0, 1)), ``bothN`` (both). The
N(0, 1) rows are drawn here from one generator (seed + 100), so the numbers differ from a run of
today's ``Tagger`` (whose own N(0, 1) start draws each embedding from its seed) by the draw alone.
Everything else is the recipe (``lstmx tag --chars``).
Words only (``lstmx tag``): ``words`` (Keras's start) and ``wordsN`` (``Tagger(embedding_std=1.0)``,
N(0, 1) drawn from the seed). The character model gains from N(0, 1) and the word-only model loses,
so ``embedding_std="auto"`` (the default) picks N(0, 1) with characters and Keras's start without.
One JSON line an epoch (dev accuracy), then the test accuracy. Results: ``results/2026-12-05-tagger-embedding-start.jsonl``.
"""
import json
import sys

import numpy as np

from lstmx.datasets import ud_pos
from lstmx.tagging import Tagger

variant = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
data = sys.argv[4] if len(sys.argv) > 4 else "../shared/data/ud_english_ewt"
train, dev, test = ud_pos.load_data(data)
words_only = variant in ("words", "wordsN")
tagger = Tagger.from_data(train, chars=not words_only, seed=seed,
                          embedding_std=1.0 if variant == "wordsN" else None)   # Keras's start, then redrawn
rng = np.random.default_rng(seed + 100)


def normal(name):
    layer = tagger.model.get_layer(name)
    layer.embeddings = rng.normal(0, 1.0, layer.embeddings.shape)


if variant in ("charN", "bothN"):
    normal("char_embedding")
if variant in ("wordN", "bothN"):
    normal("word_embedding")
for logs in tagger.fit(train, dev, epochs=epochs):
    print(json.dumps(dict(variant=variant, seed=seed, chars=not words_only,
                          **{k: round(v, 4) for k, v in logs.items()})), flush=True)
r = tagger.evaluate(test)
print(json.dumps(dict(variant=variant, seed=seed, chars=not words_only, final=True,
                      test_accuracy=round(r["accuracy"], 4), oov_accuracy=round(r["oov_accuracy"], 4))), flush=True)
