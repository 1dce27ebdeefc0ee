"""Does the embeddings' start matter for translation too? The Tatoeba English-Spanish model of
``lstmx seq2seq translate`` with its embeddings as lstmx (and Keras) start them or redrawn N(0, 1).

    python benchmarks/study_translate_embedding_start.py 1.0 10   # embeddings N(0, 1), as nn.Embedding starts
    python benchmarks/study_translate_embedding_start.py 0 10     # Keras's U(-0.05, 0.05), lstmx's default

Everything else is the command's defaults (seed 0, pairs of at most 6 tokens a side, the same
training order epoch by epoch). After each epoch: the training loss and greedy BLEU on the first 300
held-out sentences (what the command prints); at the end greedy BLEU on all of them. The dates
model learnt much faster from N(0, 1) (``study_seq2seq_embedding_start.py``). Results:
``results/2026-12-05-translate-embedding-start.jsonl``. Needs ``../shared/data/tatoeba`` (or
``--data``'s path as the third argument).
"""
import json
import sys
import time

import numpy as np

from lstmx import seq2seq as s2s
from lstmx.datasets import tatoeba

std = float(sys.argv[1])
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
data = sys.argv[3] if len(sys.argv) > 3 else "../shared/data/tatoeba"
train, test = tatoeba.load_pairs(data, max_length=6, seed=0)
sources, references = tatoeba.references(test)
translator = s2s.WordTranslator(train, max_length=6, units=128, seed=0)
if std:
    rng = np.random.default_rng(0)
    for name in ("source_embedding", "target_embedding"):
        layer = translator.model.get_layer(name)
        layer.embeddings = rng.normal(0, std, layer.embeddings.shape)
start = time.perf_counter()
for epoch in range(1, epochs + 1):
    history = translator.fit(train, epochs=1, batch_size=64, seed=epoch - 1)
    sample_bleu = translator.bleu(sources[:300], references[:300])[0].score
    print(json.dumps(dict(std=std, epoch=epoch, loss=round(history.history["loss"][0], 5),
                          sample_bleu=round(sample_bleu, 2), seconds=round(time.perf_counter() - start, 1))),
          flush=True)
greedy = translator.bleu(sources, references)[0].score
print(json.dumps(dict(std=std, final=True, greedy_bleu=round(greedy, 2), test_sentences=len(sources),
                      train_pairs=len(train))), flush=True)
