"""Which PyTorch lstmx's LSTM forward is measured against: ``nn.LSTM`` with and without oneDNN.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_torch_lstm_paths.py

On a CPU, PyTorch's ``nn.LSTM`` runs oneDNN's fused LSTM primitive when ``torch.backends.mkldnn`` is
enabled (the default in the x86 wheels); without it, its own loop of one GEMM a step. ``lstmx bench
--torch`` times the default. This times, in one process and in turns (the best median of the rounds,
``lstmx.bench.median_ms``), the forward of ``nn.LSTM`` both ways and of lstmx's Cython kernel, at the
six sizes of ``lstmx bench``, with the GFLOP/s of each (``lstmx.bench.matrix_flops`` over its time).
JSON lines: the machine (``lstmx.bench.machine_info``: CPU, BLAS, the OpenBLAS variables set; and its
float32 GEMM rate through NumPy), then one line per size.
"""
import argparse
import json
import os


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds in which the three take turns")
    args = parser.parse_args()
    import torch

    from lstmx import bench
    torch.set_num_threads(2 if (os.cpu_count() or 1) >= 2 else 1)
    print(json.dumps(dict(bench="torch-lstm-paths", **bench.machine_info(), torch=torch.__version__,
                          torch_threads=torch.get_num_threads(), rounds=args.rounds,
                          gemm_peak_gflops=round(bench.gemm_peak_gflops(), 1))), flush=True)
    for size in bench.SIZES:
        B, T, I, H = size
        layer = torch.nn.LSTM(I, H, batch_first=True)
        x = torch.randn(B, T, I)
        X, forward, _ = bench._problem("lstm", *size)

        def torch_forward(onednn):
            def run():
                with torch.no_grad(), torch.backends.mkldnn.flags(enabled=onednn):
                    layer(x)
            return run
        best = {}
        for _ in range(args.rounds):
            for name, fn in (("torch_onednn", torch_forward(True)), ("torch_no_onednn", torch_forward(False)),
                             ("lstmx_cython", lambda: forward("cython"))):
                best[name] = min(best.get(name, float("inf")), bench.median_ms(fn))
        flop = bench.matrix_flops("lstm", B, T, I, H)
        row = dict(B=B, T=T, I=I, H=H, **{f"{k}_fwd_ms": round(v, 3) for k, v in best.items()},
                   **{f"{k}_gflops": round(flop / v / 1e6, 1) for k, v in best.items()},
                   lstmx_over_torch_onednn=round(best["lstmx_cython"] / best["torch_onednn"], 3),
                   lstmx_over_torch_no_onednn=round(best["lstmx_cython"] / best["torch_no_onednn"], 3))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
