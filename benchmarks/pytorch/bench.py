#!/usr/bin/env python3
"""The same GPU work as descent's bench command, in PyTorch, for side-by-side ratios.

Prints JSON lines like descent's --json output:
  copy:    device-to-device copy of n floats (8 bytes per element counted, as descent counts it)
  update:  fused Adam (torch.optim.Adam(fused=True)) over n parameters, 28 bytes per parameter
  gemm:    FP32 matmul n^3 with TF32 disabled (strict FP32, as descent's default)
  step:    one training step of a ReLU MLP (index a batch from 8 on the device, forward, softmax
           cross-entropy, backward, fused Adam), as descent's `bench --suite step`; descent's
           step also computes the global gradient norm and its finite check, PyTorch's does not
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


def step(dev, model, widths, batch):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, fused=True)
    x = torch.rand(8 * batch, widths[0], device=dev)
    y = torch.randint(0, widths[-1], (8 * batch,), device=dev)
    loss_fn = torch.nn.CrossEntropyLoss()
    index = [0]

    def one():
        b = index[0] % 8
        index[0] += 1
        xb, yb = x[b * batch:(b + 1) * batch], y[b * batch:(b + 1) * batch]
        opt.zero_grad(set_to_none=False)
        loss_fn(net(xb), yb).backward()
        opt.step()

    s = timed(one, reps=50)
    flops = sum(6 * batch * widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    return {"suite": "step", "backend": "pytorch", "model": model, "batch": batch, "ms": s * 1e3,
            "samples_per_s": batch / s, "gflops": flops / s / 1e9}


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
    for model in ("784-256-128-10", "784-4096-4096-10"):
        widths = [int(w) for w in model.split("-")]
        for batch in (64, 1024):
            out.append(step(dev, model, widths, batch))
    for line in out:
        print(json.dumps(line))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
