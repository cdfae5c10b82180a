#!/usr/bin/env python3
"""descent against PyTorch on this machine's CPU, interleaved: each round runs `descent bench
--backend cpu` and then cpu_bench.py with the same workloads and thread count; the table gives
each figure's median over the rounds, its range, and descent's ratio to PyTorch.

Usage (from the repository root, after `mvn -B -DskipTests package`):
  /usr/bin/python3 benchmarks/pytorch/compare_cpu.py [--rounds 3] [--seconds 0.3] [--out benchmarks/results]
Writes OUT/pytorch-cpu.md, OUT/pytorch-cpu.jsonl and, with matplotlib (apt-get install
python3-matplotlib), OUT/pytorch-cpu.png: descent / PyTorch for every workload. Needs Debian's
python3-torch with an optimized BLAS (apt-get install python3-torch libopenblas0-pthread);
cpu_bench.py refuses to report with the reference BLAS.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The squares, then the three GEMMs of training 784-256-128-10's first layer at batch 64: forward
# (X W), weight gradient (X^T dY) and input gradient (dY W^T).
SIZES, GEMM = "16,20,24", "256,512,1024,2048,64x784x256,784x64x256:ta,64x256x784:tb"
MODELS, BATCHES = "784-256-128-10,784-4096-4096-10", "1,64,1024"
# One epoch (60,000 samples) of the small model only: the large one would take minutes per epoch.
EPOCH_MODELS, EPOCH_BATCHES = "784-256-128-10", "64,1024"


def key(r):
    if r["suite"] == "update":
        return ("update", r["rule"], r["n"])
    if r["suite"] in ("step", "epoch"):
        return (r["suite"], r["model"], r["batch"])
    return (r["suite"], r.get("shape", r.get("n")))


def figure(r):
    """The higher-is-better figure each suite reports."""
    return {"copy": "gbs", "update": "params_per_s", "gemm": "gflops", "step": "samples_per_s",
            "epoch": "samples_per_s"}[r["suite"]]


def run_descent(jar, seconds):
    out = ROOT / "target" / "compare-descent.jsonl"
    rows = []
    for suites, models in (("copy,updates,gemm,step", MODELS), ("epoch", EPOCH_MODELS)):
        subprocess.run(["java", "--add-modules", "jdk.incubator.vector", "-jar", str(jar), "bench", "--backend", "cpu",
                        "--suite", suites, "--sizes", SIZES, "--gemm", GEMM, "--models", models,
                        "--batches", BATCHES, "--epoch-batches", EPOCH_BATCHES, "--seconds", str(seconds),
                        "--json", str(out)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows += [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return rows


def run_torch(threads, seconds):
    p = subprocess.run([sys.executable, str(HERE / "cpu_bench.py"), "--threads", str(threads), "--sizes", SIZES,
                        "--gemm", GEMM, "--models", MODELS, "--batches", BATCHES, "--epoch-models", EPOCH_MODELS,
                        "--epoch-batches", EPOCH_BATCHES, "--seconds", str(seconds)],
                       check=True, capture_output=True, text=True)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=0.3)
    ap.add_argument("--jar", default=str(ROOT / "target" / "descent.jar"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--from", dest="source", help="rebuild the table from a pytorch-cpu.jsonl instead of measuring")
    args = ap.parse_args()
    threads = os.cpu_count()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.source:
        raw = [json.loads(line) for line in Path(args.source).read_text().splitlines() if line.strip()]
        args.rounds = 1 + max(r["round"] for r in raw)
    else:
        raw = []
        for rnd in range(args.rounds):
            for rows in (run_descent(args.jar, args.seconds), run_torch(threads, args.seconds)):
                for r in rows:
                    r["round"] = rnd
                    raw.append(r)
            # Saved as it goes, so an interrupted run keeps what it measured.
            (out / "pytorch-cpu.jsonl").write_text("\n".join(json.dumps(r) for r in raw) + "\n")
            print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)
    results = {}   # (backend, key) -> list of figures
    info = None
    for r in raw:
        if r["suite"] == "info":
            info = r
            continue
        results.setdefault((r["backend"], key(r)), []).append(r[figure(r)])

    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    lines = [f"# descent and PyTorch on the CPU, {args.rounds} interleaved rounds", "",
             f"Machine: {cpu}, {threads} threads; descent's CPU backend with the Vector API GEMM; "
             f"torch {info['torch']} with its matmul at {info['mm512_gflops']:.0f} GFLOP/s on 512^3 "
             f"(an optimized BLAS; cpu_bench.py refuses the reference one); torch.set_num_threads({threads}).",
             "", "Produced by `/usr/bin/python3 benchmarks/pytorch/compare_cpu.py`. Figures are medians over the "
             "rounds (range in brackets); higher is better; the ratio is descent / PyTorch's better implementation "
             "(single-tensor or foreach).", "",
             "| suite | workload | figure | descent | PyTorch | PyTorch foreach | descent / PyTorch |",
             "|---|---|---|---|---|---|---|"]

    def cell(vals):
        if not vals:
            return "", None
        m = statistics.median(vals)
        return f"{m:.4g} [{min(vals):.3g}–{max(vals):.3g}]", m

    def order(k):
        suite = ["copy", "update", "gemm", "step", "epoch"].index(k[0])
        return (suite,) + tuple((0, v, "") if isinstance(v, int) else (1, 0, v) for v in k[1:])
    keys = sorted({k for (_, k) in results}, key=order)
    ratios = []   # (workload, descent / PyTorch) for the chart
    units = {"copy": "GB/s", "update": "params/s", "gemm": "GFLOP/s", "step": "samples/s", "epoch": "samples/s"}
    for k in keys:
        d, dm = cell(results.get(("cpu", k), []))
        t, tm = cell(results.get(("pytorch", k), []))
        f, fm = cell(results.get(("pytorch-foreach", k), []))
        best = max(v for v in (tm, fm) if v is not None) if (tm or fm) else None
        ratio = f"{dm / best:.2f}×" if dm and best else ""
        if k[0] == "copy":
            what = f"n=2^{k[1].bit_length() - 1}"
        elif k[0] == "gemm":
            what = f"{k[1]}^3" if isinstance(k[1], int) else k[1]
        elif k[0] == "update":
            what = f"{k[1]}, n=2^{k[2].bit_length() - 1}"
        elif k[0] == "epoch":
            what = f"{k[1]}, batch {k[2]}, 60k samples"
        else:
            what = f"{k[1]}, batch {k[2]}"
        lines.append(f"| {k[0]} | {what} | {units[k[0]]} | {d} | {t} | {f} | {ratio} |")
        if dm and best:
            ratios.append((f"{k[0]}: {what}", dm / best))
    if chart(out / "pytorch-cpu.png", ratios, f"descent / PyTorch on {cpu}, {threads} threads"):
        lines += ["", "![descent / PyTorch for every workload](pytorch-cpu.png)"]
    (out / "pytorch-cpu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def chart(path, ratios, title):
    """A horizontal bar per workload, on a log scale with 1 marked: right of it descent is faster."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("no matplotlib (apt-get install python3-matplotlib): no chart", file=sys.stderr)
        return False
    labels = [w for w, _ in reversed(ratios)]
    values = [r for _, r in reversed(ratios)]
    fig, ax = plt.subplots(figsize=(9, 0.22 * len(values) + 1.2))
    ax.barh(labels, values, color=["tab:green" if v >= 1 else "tab:red" for v in values])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8) if min(values) / 2 <= t <= max(values) * 2]
    ax.set_xticks(ticks, [f"{t:g}×" for t in ticks])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("descent / PyTorch (median over rounds; > 1: descent faster)")
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


if __name__ == "__main__":
    main()
