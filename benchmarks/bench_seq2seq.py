"""The dates encoder-decoder with attention in lstmx and the same model in PyTorch, in one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE nice -n 10 python benchmarks/bench_seq2seq.py [--epochs 10] \
        [--torch-threads 1]

Both train on the same 12,000 dates (lstmx.seq2seq.generate_dates, seed 0), with the same arrays
(DateTranslator.arrays), batch size 64, the batches in the same order, Adam (learning rate 2e-3,
epsilon 1e-7 as Keras's) and the same number of epochs, and are scored the same way: greedy decoding,
step by step with the state carried, exact match on the 2,000 held-out dates (seed 1). The epochs
alternate, one of lstmx then one of PyTorch, so that both see the same load on a shared machine.

PyTorch's model is lstmx.seq2seq.build_model written with torch.nn: Embedding(padding_idx=0) ->
bidirectional LSTM over packed sequences (the sources are post-padded for it; lstmx masks pre-padded
steps, which gives the same final states), its final states concatenated start an LSTM decoder;
dot-product attention over the encoder's outputs with padded steps masked; Linear over [decoder,
context]; cross-entropy ignoring padded target steps. Initialisations are each library's own.
PyTorch is imported here only; lstmx never imports it.

JSON lines: the machine, one line per epoch and system (seconds, loss), one final line per system
(median and least epoch seconds, greedy exact match), then the ratio lstmx / PyTorch.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _machine import cpu_name  # noqa: E402

from lstmx import seq2seq as s2s  # noqa: E402


def batches(n, batch_size, seed):
    """The same shuffled batches for both systems: index arrays."""
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def post_padded(x):
    """Pre-padded ids (N, T) -> post-padded, and the lengths (N,)."""
    lengths = (x != 0).sum(axis=1)
    out = np.zeros_like(x)
    for i, n in enumerate(lengths):
        out[i, :n] = x[i, x.shape[1] - n:]
    return out, lengths


class LstmxSystem:
    name = "lstmx"

    def __init__(self, train, units, seed):
        self.translator = s2s.DateTranslator(train, embed=32, units=units, seed=seed)

    def epoch(self, x, t_in, y, order):
        # model.fit, as a user trains, over the arrays put in the batches' order (shuffle off): the same
        # batches as PyTorch's (train_on_batch a batch at a time adds its checks to every step)
        perm = np.concatenate(order)
        history = self.translator.model.fit([x[perm], t_in[perm]], [y[perm], None], batch_size=64, epochs=1,
                                            shuffle=False, verbose=0)
        return float(history.history["loss"][0])

    def greedy(self, sources):
        return self.translator.greedy(sources)[0]


class TorchSystem:
    name = "pytorch"

    def __init__(self, translator, units, seed):
        import torch
        from torch import nn
        torch.manual_seed(seed)
        self.torch, self.tr = torch, translator
        V_s, V_t, E, U = len(translator.source_vocab), len(translator.target_vocab), 32, units

        class Seq2Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.source_embedding = nn.Embedding(V_s, E, padding_idx=0)
                self.encoder = nn.LSTM(E, U, batch_first=True, bidirectional=True)
                self.target_embedding = nn.Embedding(V_t, E, padding_idx=0)
                self.decoder = nn.LSTM(E, 2 * U, batch_first=True)
                self.out = nn.Linear(4 * U, V_t)

            def encode(self, x, lengths):              # x (B, Ts) post-padded
                packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(x), lengths, batch_first=True,
                                                           enforce_sorted=False)
                out, (h, c) = self.encoder(packed)     # h, c (2, B, U): forward, backward
                memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
                state = (torch.cat([h[0], h[1]], 1)[None], torch.cat([c[0], c[1]], 1)[None])   # (1, B, 2U)
                return memory, x != 0, state            # (B, Ts, 2U), (B, Ts)

            def decode(self, memory, mask, state, t_in):
                y, state = self.decoder(self.target_embedding(t_in), state)      # (B, Tt, 2U)
                scores = y @ memory.transpose(1, 2)                               # (B, Tt, Ts)
                weights = torch.softmax(scores.masked_fill(~mask[:, None, :], -1e9), dim=-1)
                return self.out(torch.cat([y, weights @ memory], dim=-1)), state  # logits (B, Tt, V)

        self.model = Seq2Seq()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=2e-3, eps=1e-7)
        self.loss = nn.CrossEntropyLoss(ignore_index=0)

    def epoch(self, x, t_in, y, order):
        torch, losses = self.torch, []
        xp, lengths = post_padded(x)
        xp, t_in, y = torch.from_numpy(xp), torch.from_numpy(t_in), torch.from_numpy(y)
        self.model.train()
        for idx in order:
            idx = torch.from_numpy(idx)
            memory, mask, state = self.model.encode(xp[idx], torch.from_numpy(lengths[idx.numpy()]))
            logits, _ = self.model.decode(memory, mask, state, t_in[idx])
            loss = self.loss(logits.reshape(-1, logits.shape[-1]), y[idx].reshape(-1))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def greedy(self, sources):
        torch, tr = self.torch, self.tr
        x = tr.source_vocab.encode(sources, tr.source_length, padding="pre")
        xp, lengths = post_padded(x)
        self.model.eval()
        with torch.no_grad():
            memory, mask, state = self.model.encode(torch.from_numpy(xp), torch.from_numpy(lengths))
            last, outputs = torch.full((len(x), 1), tr.start), []
            for _ in range(tr.target_length):
                logits, state = self.model.decode(memory, mask, state, last)     # one step, the state carried
                logits[:, 0, tr.banned] = -float("inf")
                last = logits.argmax(-1)                                         # (B, 1)
                outputs.append(last[:, 0].numpy())
        return [tr._text(ids) for ids in np.stack(outputs, axis=1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train", type=int, default=12000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads (default: PyTorch's own, one a core); on a busy machine 1 "
                             "spares its threads from waiting for each other at every small operation")
    args = parser.parse_args()
    import torch
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    print(json.dumps(dict(machine=cpu_name(), cores=os.cpu_count(), torch=torch.__version__,
                          torch_threads=torch.get_num_threads(), numpy=np.__version__, epochs=args.epochs,
                          train=args.train, test=args.test, units=args.units, batch_size=64)), flush=True)
    train, test = s2s.generate_dates(args.train, seed=args.seed), s2s.generate_dates(args.test, seed=args.seed + 1)
    sources, answers = [a for a, _ in test], [b for _, b in test]
    lx = LstmxSystem(train, args.units, args.seed)
    systems = [lx, TorchSystem(lx.translator, args.units, args.seed)]
    x, t_in, y = lx.translator.arrays(train)
    seconds = {s.name: [] for s in systems}
    for epoch in range(args.epochs):
        order = batches(len(x), 64, args.seed + epoch)
        for system in systems:                          # alternate: the same load for both
            start = time.perf_counter()
            loss = system.epoch(x, t_in, y, order)
            seconds[system.name].append(time.perf_counter() - start)
            print(json.dumps(dict(system=system.name, epoch=epoch + 1, seconds=round(seconds[system.name][-1], 2),
                                  loss=round(loss, 5))), flush=True)
    for system in systems:
        start = time.perf_counter()
        exact = s2s.exact_match(system.greedy(sources), answers)
        print(json.dumps(dict(system=system.name, final=True, greedy_exact_match=round(exact, 4),
                              epoch_seconds_median=round(float(np.median(seconds[system.name])), 2),
                              epoch_seconds_least=round(min(seconds[system.name]), 2),
                              decode_seconds=round(time.perf_counter() - start, 2))), flush=True)
    ratio = lambda f: round(f(seconds["lstmx"]) / f(seconds["pytorch"]), 3)
    print(json.dumps(dict(ratio_lstmx_over_pytorch_median=ratio(np.median), ratio_least=ratio(min))), flush=True)


if __name__ == "__main__":
    main()
