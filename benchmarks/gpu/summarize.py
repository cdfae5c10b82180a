#!/usr/bin/env python3
"""The comparisons issue 13 waits on, from the JSON lines run.sh leaves in its report folder.

  python3 summarize.py REPORT_DIR    prints markdown tables:
  - steps and epochs without and with CUDA Graphs (step-direct.jsonl, step-graphs.jsonl);
  - GEMM on the training shapes and the steps they make, with cuBLAS and SGEMM variants 2 and 3
    (gemm-cublas.jsonl, gemm-tiled2.jsonl, gemm-tiled3.jsonl);
  - every update rule as a share of device-to-device copy bandwidth (updates.jsonl).
A table whose files are missing (the run's budget did not reach them) is left out, with a line
saying so. Standard library only: the GPU host's python3 is whatever it is.
"""
import json
import os
import sys


def load(folder, name):
    path = os.path.join(folder, name + ".jsonl")
    if not os.path.exists(path):
        return None
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def keyed(rows, suite, key, value):
    """{key(row): row[value]} for the rows of one suite."""
    return {key(r): r[value] for r in rows if r["suite"] == suite}


def model_batch(row):
    """The key of a step or epoch result."""
    return row["model"], row["batch"]


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def verdict(name, pairs):
    """One line over (candidate, baseline) time or rate ratios above 1 = candidate wins."""
    ratios = [r for r in pairs if r and r > 0]
    if not ratios:
        return ""
    mean = 1.0
    for r in ratios:
        mean *= r
    mean **= 1 / len(ratios)
    wins = sum(r > 1 for r in ratios)
    return f"\n\nVerdict: {name} wins {wins} of {len(ratios)} (geometric mean {mean:.2f}x)."


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def graphs(folder):
    direct, graphed = load(folder, "step-direct"), load(folder, "step-graphs")
    if direct is None or graphed is None:
        return "Steps with and without CUDA Graphs: not measured in this run."
    torch = [r for r in load(folder, "pytorch") or [] if "ms" in r]
    parts = []
    for suite, unit in (("step", "ms"), ("epoch", "s")):
        d, g = keyed(direct, suite, model_batch, unit), keyed(graphed, suite, model_batch, unit)
        header = ["model", "batch", "direct", "graphs", "speed-up"]
        rows = [[m, b, f"{d[m, b]:.4g}", f"{g[m, b]:.4g}" if (m, b) in g else "-", ratio(d[m, b], g.get((m, b)))]
                for m, b in sorted(d)]
        if suite == "step" and torch:
            # PyTorch's eager step and its step captured as one graph, the same work (bench.py).
            for name in ("step", "step-graphed"):
                t = keyed(torch, name, model_batch, "ms")
                header.append("PyTorch " + ("graphed" if name == "step-graphed" else "eager"))
                for row in rows:
                    row.append(f"{t[row[0], row[1]]:.4g}" if (row[0], row[1]) in t else "-")
        parts.append(f"{suite} time ({unit}), without and with CUDA Graphs (speed-up over 1 means graphs win):\n\n"
                     + table(header, rows)
                     + verdict("CUDA Graphs over direct launches", [d[k] / g[k] for k in d if k in g]))
    # What the graphs did in the timed run: replayed, or diverged to direct launches after all.
    parts += ["In the run with graphs on, " + r["summary"] + "." for r in graphed if r["suite"] == "graphs"]
    return "\n\n".join(parts)


def gemm_variants(folder):
    names = ["cublas", "tiled2", "tiled3"]
    runs = {n: load(folder, "gemm-" + n) for n in names}
    present = [n for n in names if runs[n] is not None]
    if "tiled3" not in present:
        return "SGEMM variant 3 against variant 2 and cuBLAS: not measured in this run."
    shape = lambda r: r.get("shape") or f"{r['n']}^3"
    gemm = {n: keyed(runs[n], "gemm", shape, "gflops") for n in present}
    shapes = list(gemm["tiled3"])
    rows = [[s] + [f"{gemm[n][s]:,.0f}" if s in gemm[n] else "-" for n in present]
            + [ratio(gemm["tiled3"][s], gemm.get("tiled2", {}).get(s)),
               ratio(gemm["tiled3"][s], gemm.get("cublas", {}).get(s))] for s in shapes]
    v2 = gemm.get("tiled2", {})
    out = ("SGEMM (GFLOP/s) on the training shapes; v3/v2 over 1 means variant 3 wins:\n\n"
           + table(["shape"] + present + ["v3/v2", "v3/cuBLAS"], rows)
           + verdict("variant 3 over variant 2", [gemm["tiled3"][s] / v2[s] for s in shapes if s in v2]))
    step = {n: keyed(runs[n], "step", model_batch, "ms") for n in present}
    rows = [[m, b] + [f"{step[n][m, b]:.4g}" if (m, b) in step[n] else "-" for n in present]
            for m, b in sorted(step["tiled3"])]
    return out + "\n\nTraining step (ms) with each GEMM:\n\n" + table(["model", "batch"] + present, rows)


def updates(folder):
    rows = load(folder, "updates")
    if rows is None:
        return "Update rules against copy bandwidth: not measured in this run."
    copy = keyed(rows, "copy", lambda r: r["n"], "gbs")
    out = [(r["rule"], r["n"], f"{r['gbs']:,.0f}", f"{100 * r['gbs'] / copy[r['n']]:.1f}%" if r["n"] in copy else "-")
           for r in rows if r["suite"] == "update"]
    adam = [r["gbs"] / copy[r["n"]] for r in rows
            if r["suite"] == "update" and r["rule"] == "adam" and r["n"] == 1 << 24 and r["n"] in copy]
    bar = f"\n\nFused Adam at 2^24: {100 * adam[0]:.1f}% of copy (bar: 85%)." if adam else ""
    return ("Update rules (GB/s) as a share of device-to-device copy at the same size (bar for fused Adam"
            " at 2^24: 85%):\n\n" + table(["rule", "n", "GB/s", "of copy"], out) + bar)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "report"
    print("\n\n".join([graphs(folder), gemm_variants(folder), updates(folder)]))


if __name__ == "__main__":
    main()
