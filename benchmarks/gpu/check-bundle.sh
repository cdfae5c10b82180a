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
echo "bundle OK: its JRE runs descent; run.sh without a GPU exits 2 ($(grep -m1 -i 'gpu' "$work/run.log" || true))"
