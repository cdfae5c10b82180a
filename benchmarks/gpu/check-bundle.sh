#!/usr/bin/env bash
# CI's check of the GPU bundle, on a machine without a GPU: make-bundle.sh must build it from a
# fresh clone, it must fit the 64 MiB a device call carries, its own JRE must run descent, and
# run.sh must report "no GPU" with exit status 2 (not pass, not crash) within its time limits, and
# leave in $OUT the two files the device tool brings back.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash benchmarks/gpu/make-bundle.sh >/dev/null
tarball=.bundle/descent-gpu.tar.xz
size=$(stat -c %s "$tarball")
echo "bundle: $tarball, $((size / 1024 / 1024)) MiB"
[ "$size" -lt $((64 * 1024 * 1024)) ] || { echo "bundle is over the 64 MiB a device call carries" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xJf "$tarball"
"$work/descent-gpu/jre/bin/java" -jar "$work/descent-gpu/lib/descent.jar" devices | grep -q '^cpu *available' \
  || { echo "the bundle's JRE cannot run descent.jar devices" >&2; exit 1; }
status=0
BENCH=0 OUT="$work/report" bash "$work/descent-gpu/run.sh" > "$work/run.log" 2>&1 || status=$?
if [ "$status" -ne 2 ]; then
  echo "run.sh without a GPU exited $status, expected 2; its output:" >&2
  tail -20 "$work/run.log" >&2
  exit 1
fi
# The device tool sends back 8 files at most: run.sh leaves two in $OUT, the report and an archive.
files=$(find "$work/report" -type f | wc -l)
[ -f "$work/report/report.md" ] && [ -f "$work/report/results.tar.gz" ] && [ "$files" = 2 ] \
  || { echo "run.sh left $files files in \$OUT, expected report.md and results.tar.gz:" >&2; ls -la "$work/report" >&2; exit 1; }
tar -xzOf "$work/report/results.tar.gz" report/gpu-tests.log | grep -q "cuda (GPU) tests skipped" \
  || { echo "results.tar.gz lacks the CUDA suite's log" >&2; exit 1; }
# summarize.py (the report's comparisons) on real bench output, CPU runs standing in for the GPU's.
if command -v python3 >/dev/null; then
  fixtures="$work/fixtures"
  mkdir -p "$fixtures"
  bench() { java -jar target/descent.jar bench --backend cpu --seconds 0.05 --json "$fixtures/$1.jsonl" "${@:2}" >/dev/null 2>&1; }
  for name in step-direct step-graphs; do bench "$name" --suite step --models 784-256-128-10 --batches 1,64; done
  for name in gemm-cublas gemm-tiled2 gemm-tiled3; do bench "$name" --suite gemm,step --models 784-256-128-10 --batches 64 --gemm 64x784x256,784x64x256:ta; done
  bench updates --suite copy,updates --sizes 16
  python3 "$work/descent-gpu/summarize.py" "$fixtures" > "$work/comparisons.md"
  for line in "Verdict: CUDA Graphs over direct launches wins" "Verdict: variant 3 over variant 2 wins" "| adam | 65536 |"; do
    grep -qF "$line" "$work/comparisons.md" || { echo "summarize.py printed no '$line':" >&2; cat "$work/comparisons.md" >&2; exit 1; }
  done
  summarized="summarize.py OK"
else
  summarized="summarize.py not checked: no python3"
fi
echo "bundle OK: its JRE runs descent; run.sh without a GPU exits 2 ($(grep -m1 -i 'gpu' "$work/run.log" || true)); $summarized"
