#!/usr/bin/env python3
"""PyTorch on the CPU, measuring what `descent bench --backend cpu` measures, as JSON lines in
descent's format (suite, backend, and the same figures):

  copy    n floats, 8 bytes counted per element (one read, one write), as descent counts it
  update  one optimizer step over n parameters, for every rule descent has, single-tensor and
          foreach implementations both (backend "pytorch" and "pytorch-foreach")
  gemm    n^3 float32 matmul
  step    one training step of a ReLU MLP (index a batch from 8, forward, cross-entropy,
          backward, optimizer step with Adam)
  epoch   one shuffled pass over 60,000 random samples (MNIST's training set size) at each of
          --epoch-batches, the last batch short, as `descent bench --suite epoch` trains it

Usage: cpu_bench.py --threads N [--sizes 16,20,24] [--gemm 256,512,1024,2048,64x784x256,...]
                    [--models 784-256-128-10,...] [--batches 1,64,1024] [--seconds 0.5]
                    [--epoch-models 784-256-128-10] [--epoch-batches 64,1024]
Each figure is the best of three rounds of repeated calls lasting --seconds / 3, after a warm-up,
as descent's bench times it. Like descent's bench, copies and updates cycle through enough
separate buffers (256 MB in all) that the caches cannot flatter the small sizes. Refuses to run when torch's matmul is the reference BLAS (Debian's
torch without libopenblas0-pthread runs about 5 GFLOP/s, which would void every comparison).
"""
import argparse
import json
import sys
import time

import torch

# Bytes each rule must move per parameter, as descent counts them (Workloads.bytesPerParameter).
RULES = [
    ("sgd", 20, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, **FOREACH)),
    ("adam", 28, lambda p: torch.optim.Adam(p, lr=1e-3, **FOREACH)),
    ("adamw", 28, lambda p: torch.optim.AdamW(p, lr=1e-3, **FOREACH)),
    ("adam-amsgrad", 36, lambda p: torch.optim.Adam(p, lr=1e-3, amsgrad=True, **FOREACH)),
    ("adagrad", 20, lambda p: torch.optim.Adagrad(p, lr=0.01, **FOREACH)),
    ("rmsprop", 20, lambda p: torch.optim.RMSprop(p, lr=0.01, **FOREACH)),
    ("adadelta", 28, lambda p: torch.optim.Adadelta(p, lr=1.0, **FOREACH)),
    ("nadam", 28, lambda p: torch.optim.NAdam(p, lr=2e-3, **FOREACH)),
    ("radam", 28, lambda p: torch.optim.RAdam(p, lr=1e-3, **FOREACH)),
]
FOREACH = {}


def timed(fn, seconds):
    """Seconds per call: best of 3 rounds, each repeating until a third of `seconds` has passed."""
    fn()
    reps, best = 1, float("inf")
    for _ in range(3):
        while True:
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds / 3 or reps > 1 << 24:
                best = min(best, elapsed / reps)
                break
            reps *= 2
    return best


ROTATE_BYTES = 256 << 20


def rotation(bytes_per_set):
    """How many separate buffer sets make at least 256 MB."""
    return max(1, -(-ROTATE_BYTES // bytes_per_set))


def cycling(calls):
    """One callable that runs the next of `calls` each time."""
    i = [0]

    def one():
        calls[i[0] % len(calls)]()
        i[0] += 1
    return one


def blas_check():
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    s = timed(lambda: torch.mm(a, b), 0.3)
    gflops = 2 * 512 ** 3 / s / 1e9
    if gflops < 20:
        sys.exit(f"torch.mm runs at {gflops:.1f} GFLOP/s: torch is using the reference BLAS; install an optimized"
                 " one (Debian: apt-get install libopenblas0-pthread) before comparing")
    return gflops


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def step_workload(widths, batch):
    net = mlp(widths)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.rand(8 * batch, widths[0])
    y = torch.randint(0, widths[-1], (8 * batch,))
    loss_fn = torch.nn.CrossEntropyLoss()
    index = [0]

    def one():
        b = index[0] % 8
        index[0] += 1
        opt.zero_grad(set_to_none=False)
        loss_fn(net(x[b * batch:(b + 1) * batch]), y[b * batch:(b + 1) * batch]).backward()
        opt.step()

    flops = sum(6 * batch * widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    return one, flops


EPOCH_ROWS = 60_000


def epoch_workload(widths, batch):
    """One epoch: a new random order, then every batch of it (the last one short)."""
    net = mlp(widths)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.rand(EPOCH_ROWS, widths[0])
    y = torch.randint(0, widths[-1], (EPOCH_ROWS,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def one():
        order = torch.randperm(EPOCH_ROWS)
        for start in range(0, EPOCH_ROWS, batch):
            idx = order[start:start + batch]
            opt.zero_grad(set_to_none=False)
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
    return one


def gemm_shape(spec):
    """N, or MxKxN with an optional :ta / :tb (A or B transposed), as descent bench --gemm reads it."""
    body, _, trans = spec.partition(":")
    dims = [int(v) for v in body.split("x")]
    m, k, n = dims * 3 if len(dims) == 1 else dims
    return m, k, n, trans


def blas_core():
    """The kernel set the OpenBLAS that torch loaded picked for this CPU (openblas_get_corename),
    or None where it is not OpenBLAS. An OpenBLAS older than the CPU falls back to an older set:
    0.3.21 runs its Haswell (AVX2) kernels on Zen 5, so the table must say which ran."""
    try:
        import ctypes
        paths = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line and ".so" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
    except Exception:  # a report without the name beats no report
        return None
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--sizes", default="16,20,24")
    ap.add_argument("--gemm", default="256,512,1024,2048")
    ap.add_argument("--models", default="784-256-128-10,784-4096-4096-10")
    ap.add_argument("--batches", default="1,64,1024")
    ap.add_argument("--epoch-models", default="784-256-128-10")
    ap.add_argument("--epoch-batches", default="64,1024")
    ap.add_argument("--seconds", type=float, default=0.5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(True)
    blas = blas_check()
    print(json.dumps({"suite": "info", "backend": "pytorch", "torch": torch.__version__, "threads": args.threads,
                      "mm512_gflops": blas, "blas_core": blas_core()}), flush=True)
    for log in (int(v) for v in filter(None, args.sizes.split(","))):
        n = 1 << log
        pairs = [(torch.randn(n), torch.zeros(n)) for _ in range(rotation(8 * n))]  # zeros: pages touched before timing
        s = timed(cycling([lambda a=a, b=b: b.copy_(a) for a, b in pairs]), args.seconds)
        copy_gbs = 8 * n / s / 1e9
        print(json.dumps({"suite": "copy", "backend": "pytorch", "n": n, "gbs": copy_gbs}), flush=True)
        for foreach in (False, True):
            FOREACH.clear()
            FOREACH["foreach"] = foreach
            for name, bytes_per_param, make in RULES:
                steps = []
                for _ in range(rotation(bytes_per_param * n)):
                    p = torch.nn.Parameter(torch.randn(n))
                    p.grad = torch.randn(n) * 1e-3
                    steps.append(make([p]).step)
                s = timed(cycling(steps), args.seconds)
                gbs = bytes_per_param * n / s / 1e9
                print(json.dumps({"suite": "update", "backend": "pytorch-foreach" if foreach else "pytorch",
                                  "rule": name, "n": n, "params_per_s": n / s, "gbs": gbs,
                                  "bytes_per_param": bytes_per_param, "copy_fraction": gbs / copy_gbs}), flush=True)
    for spec in filter(None, args.gemm.split(",")):
        m, k, n, trans = gemm_shape(spec)
        # A transposed: stored k x m and read through a transposed view, as BLAS reads it.
        # As descent bench does: several operand sets in turn (as many as make 256 MB, at most 8,
        # Workload.rotation), so neither side finds a product's operands in cache from the call
        # before, and the result written into a preallocated C (out=), as descent's beta = 0.
        mats = []
        for _ in range(max(1, min(8, ROTATE_BYTES // (4 * (m * k + k * n + m * n))))):
            a = torch.randn(k, m).t() if trans == "ta" else torch.randn(m, k)
            b = torch.randn(n, k).t() if trans == "tb" else torch.randn(k, n)
            mats.append((a, b, torch.zeros(m, n)))
        s = timed(cycling([lambda a=a, b=b, c=c: torch.mm(a, b, out=c) for a, b, c in mats]), args.seconds)
        r = {"suite": "gemm", "backend": "pytorch", "n": n, "gflops": 2 * m * k * n / s / 1e9}
        if not spec.isdigit():
            r.update(shape=spec, m=m, k=k)   # squares keep only "n", as descent bench writes them
        print(json.dumps(r), flush=True)
    for model in filter(None, args.models.split(",")):
        widths = [int(w) for w in model.split("-")]
        for batch in (int(v) for v in args.batches.split(",")):
            one, flops = step_workload(widths, batch)
            s = timed(one, args.seconds)
            print(json.dumps({"suite": "step", "backend": "pytorch", "model": model, "batch": batch, "ms": s * 1e3,
                              "samples_per_s": batch / s, "gflops": flops / s / 1e9}), flush=True)
    for model in filter(None, args.epoch_models.split(",")):
        widths = [int(w) for w in model.split("-")]
        for batch in (int(v) for v in args.epoch_batches.split(",")):
            s = timed(epoch_workload(widths, batch), args.seconds)
            print(json.dumps({"suite": "epoch", "backend": "pytorch", "model": model, "batch": batch, "s": s,
                              "samples_per_s": EPOCH_ROWS / s, "rows": EPOCH_ROWS}), flush=True)


if __name__ == "__main__":
    main()
