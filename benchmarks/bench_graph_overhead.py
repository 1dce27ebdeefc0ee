"""What the graph engine costs a training step: the IMDB BiLSTM's train_on_batch before and after
``Sequential`` became a ``Model`` whose graph is a chain.

Two trees run side by side, in turns, each in a process of its own:

- ``old``: the commit before the graph engine (``--old``, default 0145136), checked out into
  ``build/bench-graph-old`` with the current tree's kernels copied in (the compiled ``.so`` files
  and ``lstmx/_kernels/``), so that only the Python around the kernels differs;
- ``new``: this tree, as ``Sequential`` and as the same layers written as ``lstmx.Model`` (Input ->
  Embedding -> Bidirectional(LSTM) -> Dropout -> Dense).

Each process builds the model (seed 0), runs 3 warm-up steps, then times ``--steps`` steps of one batch
(``--batch`` reviews of ``--length`` token ids, a fifth of them padded) and prints the median. The
parent prints JSON lines: one per process, then for each variant the ratio of its best median to
old's, and what the engine adds: the median time of a step spent outside the layers' forward and
backward passes and the optimizer (the loop, the loss, masks, routing), minus old's, as a fraction of
old's step. That difference is measured inside each process, so it does not drown in the 10-20%
that whole steps vary between processes on a shared machine.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_graph_overhead.py --rounds 5
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from _machine import cpu_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, sys, time
import numpy as np
import lstmx
from lstmx.experiments import build_model
variant, batch, length, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(0)
x = rng.integers(1, 10000, (batch, length))
x[: batch // 5, : length // 2] = 0                       # some reviews padded at the front
y = rng.integers(0, 2, batch)
model = build_model("bilstm", seed=0)
if variant == "model":                                   # the same layers, written as a graph
    inputs = lstmx.Input((None,), dtype="int32")
    h = inputs
    for layer in model.layers:
        h = layer(h)
    model = lstmx.Model(inputs, h)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
for _ in range(3):
    model.train_on_batch(x, y)
# the time inside the layers' forward and backward passes and the optimizer's update, counted at the
# outermost call only (a graph's backward_node calls backward; the old Sequential's __call__, forward)
inside, depth = [0.0], [0]
def timed(method):
    def wrapper(*args, **kwargs):
        depth[0] += 1
        t0 = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                inside[0] += time.perf_counter() - t0
    return wrapper
for layer in model.layers:
    for name in ("forward", "backward", "backward_node"):
        if hasattr(layer, name):
            setattr(layer, name, timed(getattr(layer, name)))
for cls in {type(layer) for layer in model.layers}:     # the old Sequential calls layer(x), not forward
    cls.__call__ = timed(cls.__call__)
model.optimizer.apply = timed(model.optimizer.apply)
times, outside = [], []
for _ in range(steps):
    inside[0] = 0.0
    t0 = time.perf_counter()
    model.train_on_batch(x, y)
    times.append(time.perf_counter() - t0)
    outside.append(times[-1] - inside[0])
print(json.dumps({"median_ms": 1e3 * float(np.median(times)), "min_ms": 1e3 * float(np.min(times)),
                  "outside_ms": 1e3 * float(np.median(outside)), "lstmx": lstmx.__file__}))
"""


def old_tree(rev):
    """A checkout of ``rev`` with this tree's kernels in it (made once, reused)."""
    path = os.path.join(ROOT, "build", f"bench-graph-old-{rev}")
    if not os.path.isdir(path):
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", path, rev], check=True,
                       stdout=subprocess.DEVNULL)
    kernels = os.path.join(ROOT, "lstmx", "_kernels")
    shutil.rmtree(os.path.join(path, "lstmx", "_kernels"))
    shutil.copytree(kernels, os.path.join(path, "lstmx", "_kernels"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.html"))
    return path


def run(tree, variant, args):
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-P", "-c", CHILD, variant, str(args.batch), str(args.length),
                          str(args.steps)], env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not os.path.realpath(result["lstmx"]).startswith(os.path.realpath(tree) + os.sep):
        raise SystemExit(f"{variant}: lstmx came from {result['lstmx']}, not from {tree}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="0145136", help="the commit before the graph engine")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=200)
    args = parser.parse_args()
    old = old_tree(args.old)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    variants = [("old", old, "sequential"), ("new", ROOT, "sequential"), ("new-model", ROOT, "model")]
    best, outside, medians = {}, {}, {}
    for r in range(args.rounds):
        for name, tree, variant in variants if r % 2 == 0 else variants[::-1]:
            res = run(tree, variant, args)
            best[name] = min(best.get(name, float("inf")), res["median_ms"])
            print(json.dumps({"bench": "graph_overhead", "round": r, "variant": name, "tree": tree,
                              "commit": args.old if name == "old" else commit, "batch": args.batch,
                              "length": args.length, "steps": args.steps, "median_ms": round(res["median_ms"], 3),
                              "min_ms": round(res["min_ms"], 3), "outside_ms": round(res["outside_ms"], 3)}),
                  flush=True)
            outside.setdefault(name, []).append(res["outside_ms"])
            medians.setdefault(name, []).append(res["median_ms"])
    import statistics
    old_step = statistics.median(medians["old"])
    for name in ("new", "new-model"):
        added = statistics.median(outside[name]) - statistics.median(outside["old"])
        print(json.dumps({"bench": "graph_overhead", "ratio": f"{name}/old", "value": round(best[name] / best["old"], 4),
                          "best_median_ms": {k: round(v, 3) for k, v in best.items()},
                          "outside_layers_ms": {k: round(statistics.median(v), 3) for k, v in outside.items()},
                          "added_ms": round(added, 3), "added_fraction_of_step": round(added / old_step, 4),
                          "machine": cpu_name(), "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}),
              flush=True)


if __name__ == "__main__":
    main()
