"""Why PyTorch's dates encoder-decoder learnt faster per epoch than lstmx's in bench_seq2seq.py: the embeddings' start.

    python benchmarks/study_seq2seq_embedding_start.py 1.0 6    # embeddings N(0, 1), as nn.Embedding starts
    python benchmarks/study_seq2seq_embedding_start.py 0 6      # Keras's U(-0.05, 0.05), lstmx's default

lstmx's dates model alone (``lstmx.seq2seq.DateTranslator``, embed 32, units 64), trained on
bench_seq2seq.py's 12,000 dates in its batches of 64 (the same order, epoch by epoch), with the
source and target embeddings redrawn N(0, std^2) when std > 0; after each epoch the training loss
and the greedy exact match on the 2,000 held-out dates. Results:
``results/2026-12-05-seq2seq-embedding-start.jsonl``.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import bench_seq2seq as bench  # noqa: E402

from lstmx import seq2seq as s2s  # noqa: E402

std = float(sys.argv[1])
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 6
train, test = s2s.generate_dates(12000, seed=0), s2s.generate_dates(2000, seed=1)
system = bench.LstmxSystem(train, 64, 0)
if std:
    rng = np.random.default_rng(0)
    for name in ("source_embedding", "target_embedding"):
        layer = system.translator.model.get_layer(name)
        layer.embeddings = rng.normal(0, std, layer.embeddings.shape)
x, t_in, y = system.translator.arrays(train)
for epoch in range(epochs):
    loss = system.epoch(x, t_in, y, bench.batches(len(x), 64, epoch))
    exact = s2s.exact_match(system.greedy([a for a, _ in test]), [b for _, b in test])
    print(json.dumps(dict(std=std, epoch=epoch + 1, loss=round(loss, 5), exact=round(exact, 4))), flush=True)
