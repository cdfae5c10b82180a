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


def run_descent(jar, seconds, suites, vector_bits, gemm):
    out = ROOT / "target" / "compare-descent.jsonl"
    rows = []
    vectors = [f"-Ddescent.cpu.vectorBits={vector_bits}"] if vector_bits else []
    for group, models in (({"copy", "updates", "gemm", "step"}, MODELS), ({"epoch"}, EPOCH_MODELS)):
        chosen = [s for s in ("copy", "updates", "gemm", "step", "epoch") if s in group and s in suites]
        if not chosen:
            continue
        subprocess.run(["java", *vectors, "--add-modules", "jdk.incubator.vector", "-jar", str(jar), "bench",
                        "--backend", "cpu", "--suite", ",".join(chosen), "--sizes", SIZES, "--gemm", gemm,
                        "--models", models, "--batches", BATCHES, "--epoch-batches", EPOCH_BATCHES,
                        "--seconds", str(seconds), "--json", str(out)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows += [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return rows


def run_torch(threads, seconds, suites, gemm):
    # cpu_bench.py runs every workload it is given: an empty list leaves a suite out.
    pick = lambda suite, value: value if suite in suites else ""
    p = subprocess.run([sys.executable, str(HERE / "cpu_bench.py"), "--threads", str(threads),
                        "--sizes", pick("updates", SIZES) or pick("copy", SIZES), "--gemm", pick("gemm", gemm),
                        "--models", pick("step", MODELS), "--batches", BATCHES,
                        "--epoch-models", pick("epoch", EPOCH_MODELS), "--epoch-batches", EPOCH_BATCHES,
                        "--seconds", str(seconds)],
                       check=True, capture_output=True, text=True)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def cpu_model():
    """The CPU's model name, x86 family and model, and widest vector extension from /proc/cpuinfo.

    Cloud VMs name every AMD part "AMD EPYC"; the family tells Zen 4 (25) from Zen 5 (26), whose
    512-bit FMA throughput differs twice over, so a table must say which it was measured on.
    """
    try:
        text = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    field = lambda name: next((l.split(":", 1)[1].strip() for l in text if l.split(":")[0].strip() == name), "?")
    flags = field("flags").split()
    vectors = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    zen = {"25": "Zen 3/4", "26": "Zen 5"}.get(field("cpu family"), "") if "AMD" in field("vendor_id") else ""
    return f"{field('model name')} (family {field('cpu family')}, model {field('model')}{', ' + zen if zen else ''}; {vectors})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=0.3)
    ap.add_argument("--jar", default=str(ROOT / "target" / "descent.jar"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--suites", default="copy,updates,gemm,step,epoch",
                    help="which of copy, updates, gemm, step, epoch to run (copy and updates run together on the PyTorch side)")
    ap.add_argument("--gemm", default=GEMM, help=f"the GEMM shapes, as descent bench --gemm reads them (default {GEMM})")
    ap.add_argument("--vector-bits", type=int, choices=(128, 256, 512),
                    help="descent's vector width (-Ddescent.cpu.vectorBits): 256 runs its AVX2 code on an AVX-512 machine")
    ap.add_argument("--from", dest="source", help="rebuild the table from a pytorch-cpu.jsonl instead of measuring")
    args = ap.parse_args()
    threads = os.cpu_count()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.source:
        raw = [json.loads(line) for line in Path(args.source).read_text().splitlines() if line.strip()]
        args.rounds = 1 + max(r["round"] for r in raw)
        args.vector_bits = next((r["vector_bits"] for r in raw if "vector_bits" in r), None)
    else:
        raw = []
        for rnd in range(args.rounds):
            suites = set(args.suites.split(","))
            for rows in (run_descent(args.jar, args.seconds, suites, args.vector_bits, args.gemm),
                         run_torch(threads, args.seconds, suites, args.gemm)):
                for r in rows:
                    r["round"] = rnd
                    if args.vector_bits and r.get("backend") == "cpu":
                        r["vector_bits"] = args.vector_bits
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

    cpu = cpu_model()
    lines = [f"# descent and PyTorch on the CPU, {args.rounds} interleaved rounds", "",
             f"Machine: {cpu}, {threads} threads; descent's CPU backend with the Vector API GEMM"
             + (f" at {args.vector_bits} bits (-Ddescent.cpu.vectorBits)" if args.vector_bits else "") + "; "
             f"torch {info['torch']} with its matmul at {info['mm512_gflops']:.0f} GFLOP/s on 512^3 "
             f"(an optimized BLAS; cpu_bench.py refuses the reference one"
             + (f"; OpenBLAS running its {info['blas_core']} kernels" if info.get("blas_core") else "")
             + f"); torch.set_num_threads({threads}).",
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
