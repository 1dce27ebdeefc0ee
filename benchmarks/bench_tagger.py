"""The BiLSTM part-of-speech tagger in lstmx and the same model in PyTorch, in one run, on a UD treebank.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_tagger.py \
        --data ../shared/data/ud_english_ewt --epochs 10 [--chars]

Each system trains in its own child process (so that each peak resident memory is its own), the two
in turn; the same vocabularies, unknown-word shapes, length-bucketed batches in the same order, word
dropout draws, dropout rate, Adam settings (learning rate, epsilon 1e-7, each parameter's gradient
clipped to norm 5 on its own, Keras's ``clipnorm``: ``clip_grad_norm_`` is called a parameter at a
time) and epochs. PyTorch's model: nn.Embedding(padding_idx=0) -> nn.LSTM(bidirectional, batch_first) over
packed sequences -> nn.Linear, cross-entropy ignoring padded steps; the character variant runs a
bidirectional nn.LSTM over each word's packed characters and joins its final states to the word
embedding, as lstmx's TimeDistributed(Bidirectional(LSTM)). PyTorch's embeddings start N(0, 1)
(nn.Embedding's start); lstmx's as the tagger's default does (``embedding_std="auto"``): N(0, 1)
with characters, Keras's U(-0.05, 0.05) for words only, the better start of each on EWT's dev set.
The LSTM and output weights start as each library starts them (Keras's Glorot and orthogonal in
lstmx, PyTorch's uniform). JSON lines: one per epoch and system (train seconds, dev accuracy), one
final line per system (test accuracy, OOV accuracy, mean epoch seconds, peak RSS), then the ratios.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


def make_tagger(data, chars, seed):
    from lstmx.datasets import ud_pos
    from lstmx.tagging import Tagger
    train, dev, test = ud_pos.load_data(data)
    return Tagger.from_data(train, chars=chars, seed=seed), train, dev, test


def run_lstmx(args):
    tagger, train, dev, test = make_tagger(args.data, args.chars, args.seed)
    for logs in tagger.fit(train, dev, epochs=args.epochs, callback=lambda logs: emit("lstmx", logs)):
        pass
    result = tagger.evaluate(test)
    final("lstmx", args, result["accuracy"], result["oov_accuracy"], [h["epoch_seconds"] for h in tagger.history])


def emit(system, logs):
    print(json.dumps(dict(system=system, **{k: round(v, 4) if isinstance(v, float) else v for k, v in logs.items()})),
          flush=True)


def final(system, args, accuracy, oov_accuracy, seconds):
    print(json.dumps(dict(system=system, final=True, chars=args.chars, epochs=args.epochs, test_accuracy=round(accuracy, 4),
                          oov_accuracy=round(oov_accuracy, 4), epoch_seconds=round(float(np.mean(seconds)), 2),
                          peak_rss_mb=round(peak_rss_mb()))), flush=True)


def run_torch(args):
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(args.seed)
    tagger, train, dev, test = make_tagger(args.data, args.chars, args.seed)   # vocabularies and batching only
    s = tagger.settings

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.words = nn.Embedding(len(tagger.words), s["word_dim"], padding_idx=0)
            width = s["word_dim"]
            if tagger.chars:
                self.chars = nn.Embedding(len(tagger.chars), s["char_dim"], padding_idx=0)
                self.char_lstm = nn.LSTM(s["char_dim"], s["char_units"], batch_first=True, bidirectional=True)
                width += 2 * s["char_units"]
            self.drop = nn.Dropout(s["dropout"])
            self.lstm = nn.LSTM(width, s["units"], batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * s["units"], len(tagger.tags))

        def forward(self, x, c=None):
            lengths = (x != 0).sum(1)
            h = self.words(x)
            if c is not None:
                B, T, C = c.shape
                flat = c.reshape(B * T, C)
                n = (flat != 0).sum(1)
                keep = n > 0
                packed = pack_padded_sequence(self.chars(flat[keep]), n[keep].cpu(), batch_first=True,
                                              enforce_sorted=False)
                _, (hT, _) = self.char_lstm(packed)                      # (2, words, char_units)
                rep = torch.zeros(B * T, 2 * s["char_units"])
                rep[keep] = torch.cat([hT[0], hT[1]], dim=1)
                h = torch.cat([h, rep.reshape(B, T, -1)], dim=2)
            packed = pack_padded_sequence(self.drop(h), lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            return self.out(self.drop(out))

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=s["learning_rate"], eps=1e-7)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)

    def tensors(xs):
        return [torch.from_numpy(a.astype(np.int64)) for a in xs]

    def predict(data):
        model.eval()
        sentences = [w for w, _ in data]
        ids = tagger._word_ids(sentences)
        out = [None] * len(sentences)
        with torch.no_grad():
            for idx in tagger._batches([len(w) for w in sentences], 64):
                xs = tensors(tagger._inputs([sentences[i] for i in idx], [ids[i] for i in idx]))
                scores = model(*xs).argmax(-1).numpy()
                for k, i in enumerate(idx):
                    out[i] = scores[k, :len(sentences[i])]
        return out

    def accuracy(data):
        pred = np.concatenate(predict(data))
        gold = np.array([tagger.tags.stoi.get(t, -1) for _, ts in data for t in ts])
        oov = np.array([w not in tagger.train_words for ws, _ in data for w in ws])
        right = pred == gold
        return float(right.mean()), float(right[oov].mean())

    rng = np.random.default_rng(args.seed)
    sentences, tags = [w for w, _ in train], [t for _, t in train]
    word_ids, dropped = tagger._word_ids(sentences), tagger._dropped_ids(sentences)
    seconds = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        for idx in tagger._batches([len(w) for w in sentences], s["batch_size"], rng):
            ids = [np.where(rng.random(len(word_ids[i])) < s["word_dropout"], dropped[i], word_ids[i]) for i in idx]
            xs = tensors(tagger._inputs([sentences[i] for i in idx], ids))
            y = torch.from_numpy(tagger._tag_ids([tags[i] for i in idx], xs[0].shape[1], unknown=0).astype(np.int64))
            y[xs[0] == 0] = -100
            opt.zero_grad()
            scores = model(*xs)
            loss = loss_fn(scores.reshape(-1, scores.shape[-1]), y.reshape(-1))
            loss.backward()
            for p in model.parameters():            # Keras's clipnorm: each weight's gradient on its own
                nn.utils.clip_grad_norm_([p], s["clipnorm"])
            opt.step()
        seconds.append(time.perf_counter() - start)
        dev_acc, dev_oov = accuracy(dev)
        emit("torch", dict(epoch=epoch, loss=loss.item(), epoch_seconds=seconds[-1], dev_accuracy=dev_acc,
                           dev_oov_accuracy=dev_oov))
    test_acc, test_oov = accuracy(test)
    final("torch", args, test_acc, test_oov, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder with *-ud-{train,dev,test}.conllu")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--chars", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--system", choices=["lstmx", "torch"], help=argparse.SUPPRESS)   # a child process
    args = parser.parse_args()
    if args.system:
        return (run_lstmx if args.system == "lstmx" else run_torch)(args)
    import platform

    import torch

    import lstmx
    from _children import child_rows
    print(json.dumps(dict(machine=platform.processor() or platform.machine(), cpus=os.cpu_count(),
                          lstmx=lstmx.__version__, torch=torch.__version__, torch_threads=torch.get_num_threads(),
                          chars=args.chars, epochs=args.epochs, seed=args.seed)), flush=True)
    finals = {}
    for system in ("lstmx", "torch"):
        cmd = [sys.executable, __file__, "--data", args.data, "--epochs", str(args.epochs), "--seed", str(args.seed),
               "--system", system] + (["--chars"] if args.chars else [])
        for row in child_rows(cmd, system):
            if row.get("final"):
                finals[system] = row
    a, b = finals["lstmx"], finals["torch"]
    print(json.dumps(dict(ratio=True, epoch_seconds_lstmx_over_torch=round(a["epoch_seconds"] / b["epoch_seconds"], 3),
                          accuracy_lstmx_minus_torch=round(a["test_accuracy"] - b["test_accuracy"], 4),
                          peak_rss_lstmx_over_torch=round(a["peak_rss_mb"] / b["peak_rss_mb"], 3))), flush=True)


if __name__ == "__main__":
    main()
