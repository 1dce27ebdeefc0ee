"""The character language model in lstmx and the same model in PyTorch, in one run, on Tiny Shakespeare.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_charlm.py --steps 300

Both systems train the same network from the same initial weights (lstmx's initialisation, copied
into PyTorch): Embedding(66, 64) -> 2 x LSTM(256) -> Linear(66), stateful batches of 32 rows x 64
characters in the same order (truncated BPTT: the state carried, the gradient cut at the batch
boundary; PyTorch detaches it), Adam (learning rate 3e-3) with the joint gradient norm clipped at
5 (``global_clipnorm`` / ``clip_grad_norm_``). Adam's epsilon is 1e-10 in both: lstmx adds it to
sqrt(v) before the bias correction, as Keras does, and PyTorch after it, so with Keras's 1e-7 the
two make different first steps wherever a gradient is small (measured in float64: 6e-5 of loss
apart after one step, up to 0.04 after six); with 1e-10 they agree to 1e-8 after one step. PyTorch's second LSTM bias
(``bias_hh``) is frozen at zero: lstmx has one bias ``b``, and two trained copies would move it
twice as fast. Every ``--eval-every`` steps both read the validation text (the last 10%) from zero
states; the training state is then put back.

Each system runs in its own child process (its own peak resident memory), one after the other.
JSON lines: the machine; per system and evaluation, the step, validation loss (nats per character)
and training seconds so far; per system a final line (median milliseconds per training step, peak
RSS); for lstmx, the cost of a generated character (the state carried after a 10- and a
1,000-character prompt, and a 40-character window re-read for each, as Keras's example does); then
the ratios.
"""
import argparse
import json
import os
import resource
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


def data(args):
    from lstmx import textgen
    from lstmx.datasets import shakespeare
    text = shakespeare.load_text()
    train, val = shakespeare.split_text(text)
    vocab = textgen.char_vocabulary(text)
    X, Y = textgen.stateful_batches(textgen.encode(train, vocab.word_index), args.batch_size, args.seq_length)
    Xv, Yv = textgen.stateful_batches(textgen.encode(val, vocab.word_index), args.batch_size, args.seq_length)
    return len(vocab.word_index) + 1, X, Y, Xv, Yv


def make_lstmx_model(args, V):
    from lstmx import textgen
    return textgen.char_language_model(V, args.units, args.layers, args.embedding_dim, batch_size=args.batch_size,
                                       seed=args.seed)


def emit(**row):
    print(json.dumps({k: round(v, 4) if isinstance(v, float) and abs(v) >= 1e-3 else v for k, v in row.items()}),
          flush=True)     # small settings (Adam's epsilon) are printed as they are, not rounded to 0


def train_loop(system, args, n_batches, step, evaluate):
    """``args.steps`` calls of ``step(k)`` (batch k mod n_batches; states reset at each pass's start
    by ``step``), timed one by one; ``evaluate()`` every ``args.eval_every`` steps, not timed."""
    times = []
    for k in range(args.steps):
        start = time.perf_counter()
        step(k % n_batches)
        times.append(time.perf_counter() - start)
        if (k + 1) % args.eval_every == 0 or k + 1 == args.steps:
            emit(system=system, step=k + 1, val_loss=evaluate(), train_seconds=sum(times))
    emit(system=system, final=True, steps=args.steps, step_ms=1000 * float(np.median(times[2:] or times)),
         mean_step_ms=1000 * float(np.mean(times[2:] or times)), peak_rss_mb=round(peak_rss_mb()))


def run_lstmx(args):
    import lstmx
    from lstmx import textgen
    V, X, Y, Xv, Yv = data(args)
    B = args.batch_size
    model = make_lstmx_model(args, V)
    model.set_weights(list(np.load(args.weights).values()))
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=lstmx.Adam(args.lr, epsilon=args.epsilon, global_clipnorm=args.clip))

    def step(k):
        if k == 0:
            model.reset_states()
        model.train_on_batch(X[k * B:(k + 1) * B], Y[k * B:(k + 1) * B])
    train_loop("lstmx", args, len(X) // B, step, lambda: textgen.evaluate_language_model(model, Xv, Yv, B))
    model.metadata["char_index"] = textgen.char_vocabulary(shakespeare_text()).word_index
    emit(system="lstmx", generation=True, **generation_costs(model))


def shakespeare_text():
    from lstmx.datasets import shakespeare
    return shakespeare.load_text()


def generation_costs(model, n=200):
    """Milliseconds a generated character, the prompt's reading left out: with the state carried
    after a 10- and a 1,000-character prompt, and re-reading a window of 40 characters (Keras's way)."""
    import lstmx
    text = shakespeare_text()
    costs = {}
    for name, prompt, window in (("carried_prompt_10", text[:10], None), ("carried_prompt_1000", text[:1000], None),
                                 ("window_40", text[:40], 40)):
        times = []
        for length in (1, n + 1):
            start = time.perf_counter()
            lstmx.generate(model, prompt, length, temperature=0.8, seed=0, window=window)
            times.append(time.perf_counter() - start)
        costs[f"{name}_ms_per_char"] = 1000 * (times[1] - times[0]) / n
    costs["window_40_over_carried"] = costs["window_40_ms_per_char"] / costs["carried_prompt_1000_ms_per_char"]
    return costs


def run_torch(args):
    import torch
    from torch import nn
    V, X, Y, Xv, Yv = data(args)
    B = args.batch_size
    weights = list(np.load(args.weights).values())     # lstmx's order: embeddings, (W, U, b) per layer, kernel, bias

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, args.embedding_dim)
            self.lstm = nn.LSTM(args.embedding_dim, args.units, num_layers=args.layers, batch_first=True)
            self.out = nn.Linear(args.units, V)

        def forward(self, x, state=None):
            y, state = self.lstm(self.embedding(x), state)
            return self.out(y), state

    model = CharLM()
    with torch.no_grad():
        model.embedding.weight.copy_(torch.from_numpy(weights[0]))
        for k in range(args.layers):
            W, U, b = weights[1 + 3 * k:4 + 3 * k]
            getattr(model.lstm, f"weight_ih_l{k}").copy_(torch.from_numpy(W))
            getattr(model.lstm, f"weight_hh_l{k}").copy_(torch.from_numpy(U))
            getattr(model.lstm, f"bias_ih_l{k}").copy_(torch.from_numpy(b))
            getattr(model.lstm, f"bias_hh_l{k}").zero_()
            getattr(model.lstm, f"bias_hh_l{k}").requires_grad_(False)
        model.out.weight.copy_(torch.from_numpy(weights[-2].T))
        model.out.bias.copy_(torch.from_numpy(weights[-1]))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=args.lr, eps=args.epsilon)
    X, Y, Xv, Yv = (torch.from_numpy(a.astype(np.int64)) for a in (X, Y, Xv, Yv))
    state = [None]

    def step(k):
        if k == 0:
            state[0] = None
        out, s = model(X[k * B:(k + 1) * B], state[0])
        state[0] = tuple(t.detach() for t in s)           # truncated BPTT
        loss = nn.functional.cross_entropy(out.reshape(-1, V), Y[k * B:(k + 1) * B].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()

    def evaluate():
        total, s = 0.0, None
        with torch.no_grad():
            for k in range(len(Xv) // B):
                out, s = model(Xv[k * B:(k + 1) * B], s)
                total += nn.functional.cross_entropy(out.reshape(-1, V), Yv[k * B:(k + 1) * B].reshape(-1)).item()
        return total / (len(Xv) // B)
    train_loop("torch", args, len(X) // B, step, evaluate)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps of each system")
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-length", type=int, default=64)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--epsilon", type=float, default=1e-10, help="Adam's epsilon, in both systems")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--system", choices=["lstmx", "torch"], help=argparse.SUPPRESS)   # a child process
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.system:
        return (run_lstmx if args.system == "lstmx" else run_torch)(args)
    import torch

    import lstmx
    from _children import child_rows
    from _machine import cpu_name
    emit(machine=cpu_name(), cpus=os.cpu_count(), lstmx=lstmx.__version__, torch=torch.__version__,
         torch_threads=torch.get_num_threads(), **{k: v for k, v in vars(args).items() if k not in ("system", "weights")})
    V = data(args)[0]
    model = make_lstmx_model(args, V)
    model.build((args.batch_size, args.seq_length))
    finals, curves = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "initial.npz")
        np.savez(weights, *model.get_weights())
        for system in ("lstmx", "torch"):
            cmd = [sys.executable, __file__, "--system", system, "--weights", weights] + [
                a for k, v in vars(args).items() if k not in ("system", "weights")
                for a in (f"--{k.replace('_', '-')}", str(v))]
            for row in child_rows(cmd, system):
                if row.get("final"):
                    finals[system] = row
                elif "val_loss" in row:
                    curves.setdefault(system, {})[row["step"]] = row["val_loss"]
    a, b = finals["lstmx"], finals["torch"]
    emit(ratio=True, step_time_lstmx_over_torch=a["step_ms"] / b["step_ms"],
         val_loss_lstmx_minus_torch={s: round(curves["lstmx"][s] - curves["torch"][s], 4) for s in curves["lstmx"]},
         peak_rss_lstmx_over_torch=a["peak_rss_mb"] / b["peak_rss_mb"])


if __name__ == "__main__":
    main()
