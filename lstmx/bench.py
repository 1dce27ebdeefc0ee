"""``lstmx bench``: time the recurrences on every backend, side by side with PyTorch in one process.

Prints one JSON line per (cell, size, backend) with forward (inference) and train (forward +
backward of ``out.sum()``, input gradients included) milliseconds, then a table of the times, the
speed-ups over the reference and the lstmx/PyTorch ratios. Medians of repeated runs, the best of a
few rounds in which the systems take turns; these machines are noisy, so compare ratios from one
run, not absolute times across runs.
"""
import json
import platform
import statistics
import time

import numpy as np

SIZES = [(1, 100, 32, 32), (1, 200, 128, 128), (16, 100, 64, 64),
         (32, 100, 128, 128), (64, 50, 256, 256), (32, 100, 512, 512)]
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def median_ms(fn, budget_s=0.4, max_reps=50, settle_s=0.3):
    """Median wall time of ``fn()`` in ms, after one warm-up call, over as many runs as fit the budget.

    It first sleeps ``settle_s``: after a BLAS or PyTorch call their worker threads spin for a while
    waiting for more work, and on 2 cores they would take cycles from whatever is timed next (the
    first LSTM size, timed right after the GEMM-peak measurement, read 74 ms instead of 63)."""
    time.sleep(settle_s)
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    reps = int(min(max_reps, max(3, budget_s / max(first, 1e-6))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


# Rough times of one call, to say up front how long a run takes: ms per time step, and GFLOP/s of the
# matrix work, for the forward and for forward+backward (3x the forward's FLOPs); from a run on 2 cores
# (benchmarks/results/2026-11-24-recurrent-session5-b.jsonl), rounded towards slower.
_PACE = {"reference": (0.02, 90, 0.06, 90), "cython": (0.0005, 200, 0.001, 180),
         "numba": (0.0008, 150, 0.0015, 150), "torch": (0.01, 150, 0.03, 120)}


def estimate_seconds(cells, sizes, systems, rounds, budget_s=0.4, settle_s=0.3, max_reps=50):
    """About how long :func:`run` takes on an idle machine: every system times a forward and a
    train in every round of every size, each call of :func:`median_ms` a pause, a warm-up call and
    as many calls as fit its budget (at least 3); plus about 5 s for the GEMM rate and imports."""
    total = 5.0
    for cell in cells:
        for B, T, I, H in sizes:
            flops = matrix_flops(cell, B, T, I, H)
            for system in systems:
                step_f, rate_f, step_t, rate_t = _PACE.get(system, _PACE["reference"])
                for ms in (step_f * T + flops / rate_f / 1e6, step_t * T + 3 * flops / rate_t / 1e6):
                    t = ms / 1e3
                    reps = int(min(max_reps, max(3, budget_s / max(t, 1e-6))))
                    total += rounds * (settle_s + (1 + reps) * t)
    return total


def matrix_flops(cell, B, T, I, H):
    """FLOPs of the forward's matrix work, 2*T*B*G*H*(I+H) (train is 3x that)."""
    return 2 * T * B * GATES[cell] * H * (I + H)


def _problem(cell, B, T, I, H, seed=0):
    from . import functional as F
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    X = rng.standard_normal((B, T, I), dtype=np.float32)
    W = (rng.standard_normal((G * H, I), dtype=np.float32) / np.sqrt(I)).astype(np.float32)
    U = (rng.standard_normal((G * H, H), dtype=np.float32) / np.sqrt(H)).astype(np.float32)
    b = np.zeros(G * H, np.float32)
    dY = np.ones((B, T, H), np.float32)
    if cell == "lstm":
        fwd = lambda be: F.lstm_forward(X, W, U, b, backend=be)
        bwd = lambda cache: F.lstm_backward(dY, None, None, cache)
    elif cell == "gru":
        b_hn = np.zeros(H, np.float32)
        fwd = lambda be: F.gru_forward(X, W, U, b, b_hn, backend=be)
        bwd = lambda cache: F.gru_backward(dY, None, cache)
    else:
        fwd = lambda be: F.rnn_forward(X, W, U, b, backend=be)
        bwd = lambda cache: F.rnn_backward(dY, None, cache)
    return X, fwd, bwd


def time_lstmx(cell, size, backend):
    X, fwd, bwd = _problem(cell, *size)
    forward_ms = median_ms(lambda: fwd(backend))
    train_ms = median_ms(lambda: bwd(fwd(backend)[2]))
    return forward_ms, train_ms


def time_torch(cell, size):
    import torch
    B, T, I, H = size
    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](I, H, batch_first=True)
    x = torch.randn(B, T, I)
    with torch.no_grad():
        forward_ms = median_ms(lambda: layer(x))
    xg = x.clone().requires_grad_(True)

    def train():
        out, _ = layer(xg)
        out.sum().backward()
    return forward_ms, median_ms(train)


def gemm_peak_gflops(n=2048, tries=3):
    """The machine's float32 GEMM rate through NumPy's BLAS (the ceiling the kernels are measured against).

    The best of ``tries`` medians: a ceiling is what the machine reaches, and one second of a noisy
    neighbour once read 219 GFLOP/s where the machine does 315 (a kernel then showed 100.6% of it)."""
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    return max(2 * n ** 3 / median_ms(lambda: a @ b, budget_s=1.0) / 1e6 for _ in range(tries))


def machine_info():
    info = dict(machine=platform.machine(), python=platform.python_version(), numpy=np.__version__)
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [dict(lib=p.get("internal_api"), kernel=p.get("architecture"), threads=p.get("num_threads"),
                             version=p.get("version")) for p in threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    import os
    info["openblas_env"] = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return info


def run(cells=("lstm", "gru", "rnn"), sizes=SIZES, backends=None, torch=False, out=print, rounds=3):
    """Run the benchmark; returns the list of result dicts (also printed as JSON lines).

    Each size is timed in ``rounds`` rounds, every backend (and PyTorch) once a round, and each
    keeps its best median: a neighbour that loads these shared machines for a few seconds then
    spoils one round of one system, not the ratio (a single pass once read PyTorch's LSTM train
    at 1.5x its usual time, and the reference RNN at 1.7x)."""
    from .dispatch import backends as available
    backends = backends or available()
    import lstmx._kernels  # noqa: F401  (BLAS libraries loaded before threadpoolctl looks)
    if "cython" in backends:
        import lstmx._kernels.lstm_cython  # noqa: F401
    header = dict(bench="recurrent", **machine_info(), gemm_peak_gflops=round(gemm_peak_gflops(), 1),
                  rounds=rounds)
    if torch:
        import torch as _torch
        header.update(torch=_torch.__version__, torch_threads=_torch.get_num_threads())
    out(json.dumps(header))
    rows = []
    for cell in cells:
        for size in sizes:
            B, T, I, H = size
            row = dict(cell=cell, B=B, T=T, I=I, H=H)
            systems = list(backends) + (["torch"] if torch else [])
            best = {system: (float("inf"), float("inf")) for system in systems}
            for _ in range(rounds):
                for system in systems:
                    f, t = time_torch(cell, size) if system == "torch" else time_lstmx(cell, size, system)
                    best[system] = (min(best[system][0], f), min(best[system][1], t))
            for system, (f, t) in best.items():
                row[f"{system}_fwd_ms"], row[f"{system}_train_ms"] = round(f, 3), round(t, 3)
            _derive(row, header, backends, torch)
            out(json.dumps(dict(bench="recurrent", **row)))
            rows.append(row)
    return header, rows


def _derive(row, header, backends, torch):
    """Add to a row of times (ms) its rates, the speed-ups over the reference, the ratios to PyTorch
    and to Cython, and the LSTM's fraction of the GEMM rate."""
    B, T, I, H = row["B"], row["T"], row["I"], row["H"]
    flops = matrix_flops(row["cell"], B, T, I, H)
    for system in backends:
        row[f"{system}_fwd_gflops"] = round(flops / row[f"{system}_fwd_ms"] / 1e6, 1)
    fastest = next(b for b in ("cython", "numba") if b in backends) if set(backends) & {"cython", "numba"} else None
    if fastest and "reference" in backends:
        row["speedup_fwd"] = round(row["reference_fwd_ms"] / row[f"{fastest}_fwd_ms"], 2)
        row["speedup_train"] = round(row["reference_train_ms"] / row[f"{fastest}_train_ms"], 2)
    if fastest and torch:
        row["ratio_torch_fwd"] = round(row[f"{fastest}_fwd_ms"] / row["torch_fwd_ms"], 3)
        row["ratio_torch_train"] = round(row[f"{fastest}_train_ms"] / row["torch_train_ms"], 3)
    if "cython" in backends and "numba" in backends:
        row["numba_over_cython_fwd"] = round(row["numba_fwd_ms"] / row["cython_fwd_ms"], 2)
        row["numba_over_cython_train"] = round(row["numba_train_ms"] / row["cython_train_ms"], 2)
    if row["cell"] == "lstm" and "cython" in backends:
        row["cython_fwd_fraction_of_gemm_peak"] = round(row["cython_fwd_gflops"] / header["gemm_peak_gflops"], 3)
    return row


def combine(runs):
    """Several runs of the same benchmark (each a list of its JSON lines' dicts, header first) as one:
    every system keeps its best time over all the runs' rounds, as within a run, and the GEMM rate
    is the highest measured (the stricter ceiling). Returns (header, rows) like :func:`run`.

    Why: on a shared machine a busy stretch of minutes can cover all the rounds of one size in one
    run; three runs of five rounds are fifteen rounds, spread over more time."""
    headers = [r[0] for r in runs]
    systems = [k[:-len("_fwd_ms")] for k in runs[0][1] if k.endswith("_fwd_ms")]
    backends = [s for s in systems if s != "torch"]
    header = dict(headers[0], gemm_peak_gflops=max(h["gemm_peak_gflops"] for h in headers),
                  rounds=sum(h["rounds"] for h in headers), runs=len(runs))
    def key(r):
        return r["cell"], r["B"], r["T"], r["I"], r["H"]

    rows = []
    for k in map(key, runs[0][1:]):
        same = [r for run in runs for r in run[1:] if key(r) == k]
        if len(same) != len(runs):
            raise ValueError("the runs did not time the same sizes: %s %d,%d,%d,%d is in %d of %d"
                             % (*k, len(same), len(runs)))
        row = dict(bench="recurrent", cell=k[0], B=k[1], T=k[2], I=k[3], H=k[4])
        for system in systems:
            for direction in ("fwd", "train"):
                row[f"{system}_{direction}_ms"] = min(r[f"{system}_{direction}_ms"] for r in same)
        rows.append(_derive(row, header, backends, "torch" in systems))
    return header, rows


def table(rows, backends, torch):
    """The results as a Markdown table: times in ms, then the speed-ups over the reference and the
    lstmx/PyTorch ratios, each column saying which way it points; a forward timed slower than its
    forward+backward (impossible, so disturbed: a busy machine) is marked and explained below."""
    names = {"torch": "PyTorch"}
    systems = list(backends) + (["torch"] if torch else [])
    fastest = next((b for b in ("cython", "numba") if b in backends), None)
    cols = [f"{names.get(s, s)} {k} ms" for s in systems for k in ("fwd", "train")]
    extra = {"speedup_fwd": f"reference/{fastest} fwd", "speedup_train": f"reference/{fastest} train",
             "ratio_torch_fwd": "lstmx/PyTorch fwd", "ratio_torch_train": "lstmx/PyTorch train"}
    extra = {k: v for k, v in extra.items() if k in rows[0]}
    lines = ["| cell | B,T,I,H | " + " | ".join(cols + list(extra.values())) + " |",
             "|" + "---|" * (2 + len(cols) + len(extra))]
    disturbed = []
    for r in rows:
        vals = []
        for system in systems:
            f, t = r[f"{system}_fwd_ms"], r[f"{system}_train_ms"]
            mark = "!" if f > t else ""
            if mark:
                disturbed.append(f"{r['cell']} {r['B']},{r['T']},{r['I']},{r['H']} {names.get(system, system)}")
            vals += [f"{f:g}{mark}", f"{t:g}"]
        vals += [f"{r[c]:g}" for c in extra]
        lines.append(f"| {r['cell']} | {r['B']},{r['T']},{r['I']},{r['H']} | " + " | ".join(vals) + " |")
    notes = ["Times in ms (lower is faster): fwd = forward (inference), train = forward + backward; the best "
             "median of the rounds."]
    if "speedup_fwd" in extra:
        notes.append(f"reference/{fastest}: how many times faster {fastest} is than the reference (above 1 = "
                     f"{fastest} faster).")
    if "ratio_torch_fwd" in extra:
        notes.append(f"lstmx/PyTorch: lstmx's time ({fastest}) over PyTorch's (below 1 = lstmx faster).")
    if disturbed:
        notes.append(f"! a forward timed slower than its forward+backward ({', '.join(disturbed)}): the machine "
                     f"was busy while it ran; run again with more --rounds, or combine runs with --combine.")
    return "\n".join(lines + [""] + notes)


def plot(rows, path, torch):
    """Bar chart of train and forward times per size, one panel per cell (matplotlib, imported here)."""
    from .plot import plot_benchmark
    plot_benchmark(rows, torch=torch).savefig(path, dpi=120, bbox_inches="tight")
