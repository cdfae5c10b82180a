#!/usr/bin/env python3
"""The same GPU work as descent's bench command, in PyTorch, for side-by-side ratios.

Prints JSON lines like descent's --json output:
  copy:    device-to-device copy of n floats (8 bytes per element counted, as descent counts it)
  update:  fused Adam (torch.optim.Adam(fused=True)) over n parameters, 28 bytes per parameter
  gemm:    FP32 matmul n^3 with TF32 disabled (strict FP32, as descent's default)
  step:    one training step of a ReLU MLP (index a batch from 8 on the device, forward, softmax
           cross-entropy, backward, fused Adam), as descent's `bench --suite step`; descent's
           step also computes the global gradient norm and its finite check, PyTorch's does not
  step-graphed: the same step captured once as a CUDA Graph and replayed (torch.cuda.graph)
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


def mlp(dev, widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(dev)


def step_result(suite, model, widths, batch, s):
    flops = sum(6 * batch * widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    return {"suite": suite, "backend": "pytorch", "model": model, "batch": batch, "ms": s * 1e3,
            "samples_per_s": batch / s, "gflops": flops / s / 1e9}


def step(dev, model, widths, batch):
    net = mlp(dev, widths)
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

    return step_result("step", model, widths, batch, timed(one, reps=50))


def graphed_step(dev, model, widths, batch):
    """The same step as one captured CUDA Graph (PyTorch's whole-network capture: warm-up on a
    side stream, capturable fused Adam, static input tensors), against descent's graphs. Copying
    the batch into the static inputs stands for descent's gather."""
    net = mlp(dev, widths)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, fused=True, capturable=True)
    x = torch.rand(8 * batch, widths[0], device=dev)
    y = torch.randint(0, widths[-1], (8 * batch,), device=dev)
    static_x, static_y = x[:batch].clone(), y[:batch].clone()
    loss_fn = torch.nn.CrossEntropyLoss()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            loss_fn(net(static_x), static_y).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        loss_fn(net(static_x), static_y).backward()
        opt.step()
    index = [0]

    def one():
        b = index[0] % 8
        index[0] += 1
        static_x.copy_(x[b * batch:(b + 1) * batch])
        static_y.copy_(y[b * batch:(b + 1) * batch])
        graph.replay()

    return step_result("step-graphed", model, widths, batch, timed(one, reps=50))


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
        for batch in (1, 64, 1024):
            out.append(step(dev, model, widths, batch))
            try:
                out.append(graphed_step(dev, model, widths, batch))
            except Exception as e:  # a capture PyTorch refuses must not cost the other results
                out.append({"suite": "step-graphed", "backend": "pytorch", "model": model, "batch": batch,
                            "error": f"{type(e).__name__}: {e}"[:300]})
    for line in out:
        print(json.dumps(line))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
