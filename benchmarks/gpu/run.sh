#!/usr/bin/env bash
# Runs descent's GPU suite and GPU benchmarks from the bundle and writes a report.
# Report directory: $OUT if set (the device tool's output folder), else ./report.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
report="${OUT:-$here/report}"
mkdir -p "$report"
java="$here/jre/bin/java"
cp="$here/lib/descent.jar:$here/lib/descent-tests.jar"

{
  echo "# descent GPU report"
  echo
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) CPU threads"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu: /'
  echo "java: $("$java" -version 2>&1 | head -1)"
  echo
  echo "## devices"
  echo '```'
  "$java" -jar "$here/lib/descent.jar" devices
  echo '```'
} > "$report/report.md"

# 1. The GPU parity suite (JUnit tag "gpu"): every op, every optimizer over 8 steps, 1000 sessions,
#    and the default training run against the CPU backend.
# Classes are selected by name: the console launcher does not scan classes inside a jar given with -cp.
"$java" -jar "$here/lib/junit-console.jar" execute -cp "$cp" --select-class dev.descent.cuda.CudaGpuTest \
  --details=tree --disable-banner --disable-ansi-colors --reports-dir "$report/junit" > "$report/gpu-tests.log" 2>&1
tests_rc=$?
{
  echo
  echo "## GPU test suite (exit $tests_rc)"
  echo '```'
  grep -E "\[(gpu|parity)\]|tests (found|successful|failed|skipped|aborted)" "$report/gpu-tests.log"
  echo '```'
} >> "$report/report.md"

# 2. Benchmarks: descent on CUDA, then the same work in PyTorch.
"$java" -jar "$here/lib/descent.jar" bench --backend cuda --suite copy,updates,gemm --sizes 16,20,24 \
  --gemm 256,512,1024,2048,4096 --json "$report/descent-cuda.jsonl" > "$report/bench-cuda.log" 2>&1
python3 "$here/pytorch/bench.py" > "$report/pytorch.jsonl" 2> "$report/pytorch.err"
"$java" -jar "$here/lib/descent.jar" bench --backend cpu --suite copy,updates,gemm --sizes 24 \
  --gemm 1024 --json "$report/descent-cpu.jsonl" > "$report/bench-cpu.log" 2>&1
{
  echo
  echo "## descent bench, CUDA"
  echo '```'
  cat "$report/bench-cuda.log"
  echo '```'
  echo
  echo "## PyTorch, same work"
  echo '```'
  cat "$report/pytorch.jsonl" "$report/pytorch.err"
  echo '```'
  echo
  echo "## descent bench, CPU of this host"
  echo '```'
  cat "$report/bench-cpu.log"
  echo '```'
} >> "$report/report.md"
cat "$report/report.md"
exit $tests_rc
