#!/usr/bin/env python3
"""The same GPU work as descent's bench command, in PyTorch, for side-by-side ratios.

Prints JSON lines like descent's --json output:
  copy:    device-to-device copy of n floats (8 bytes per element counted, as descent counts it)
  update:  fused Adam (torch.optim.Adam(fused=True)) over n parameters, 28 bytes per parameter
  gemm:    FP32 matmul n^3 with TF32 disabled (strict FP32, as descent's default)
Timing uses CUDA events around repeated calls after a warm-up, best of three rounds.
"""
import json
import sys

import torch


def timed(fn, reps=50):
    fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end) / 1000 / reps)
    return best


def main():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    out = []
    for log in (16, 20, 24):
        n = 1 << log
        src, dst = torch.randn(n, device=dev), torch.empty(n, device=dev)
        s = timed(lambda: dst.copy_(src))
        copy_gbs = 8 * n / s / 1e9
        out.append({"suite": "copy", "backend": "pytorch", "n": n, "gbs": copy_gbs})
        p = torch.nn.Parameter(torch.randn(n, device=dev))
        p.grad = torch.randn(n, device=dev) * 1e-3
        opt = torch.optim.Adam([p], lr=1e-3, fused=True)
        s = timed(opt.step)
        gbs = 28 * n / s / 1e9
        out.append({"suite": "update", "backend": "pytorch", "rule": "adam", "n": n, "params_per_s": n / s,
                    "gbs": gbs, "bytes_per_param": 28, "copy_fraction": gbs / copy_gbs})
    for n in (256, 512, 1024, 2048, 4096):
        a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
        s = timed(lambda: torch.mm(a, b), reps=10 if n >= 2048 else 50)
        out.append({"suite": "gemm", "backend": "pytorch", "n": n, "gflops": 2 * n ** 3 / s / 1e9})
    for line in out:
        print(json.dumps(line))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
