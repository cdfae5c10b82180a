#!/usr/bin/env bash
# Runs descent's GPU suites and GPU benchmarks from the bundle and writes a report.
#
# A lent GPU machine gives a session about 15 minutes in all and 10 per command, and sends back
# at most 8 files. So the run has a budget (BUDGET seconds, default 480) and works in order of
# what matters most, each step cut to what is left of the budget; steps the budget cannot reach
# are listed as not run. Everything goes to descent-gpu/report/; where $OUT is set (the device
# tool's output folder), $OUT gets two files after every step, report.md and results.tar.gz (the
# logs, JUnit XML and JSON lines), so a run stopped from outside still returns what it did.
#
# Exit status: 0 when every step ran and passed; 1 when a step failed or timed out, or a test
# skipped; 2 when no CUDA GPU could be opened (a run that tested nothing is not a pass); 3 when
# everything that ran passed but the budget left steps out.
# PYTHON picks the interpreter for the PyTorch side (default: python3 on PATH, which must import
# torch). BENCH=0 runs the test suites only. SANITIZE=1 adds compute-sanitizer's memcheck and
# racecheck over descent's own kernels (every op, every optimizer, a short training run), right
# after the suites.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
start=$(date +%s)
deadline=$((start + ${BUDGET:-480}))
report="$here/report"
rm -rf "$report"
mkdir -p "$report"
java="$here/jre/bin/java"
cp="$here/lib/descent.jar:$here/lib/descent-tests.jar"
python="${PYTHON:-python3}"
md="$report/report.md"
summary="$report/summary.txt"
status=0
left_out=0

# cuBLAS: JCublas 12.6 links libcublas.so.12. Where only CUDA 13's libcublas.so.13 exists, the
# jar's own forwarding library (native/cublas12) stands in for it, and needs cuBLAS 13 on the
# loader's path: its directory goes on LD_LIBRARY_PATH, as a user would put it there.
cublas13=$(find /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu /opt /usr/local/lib \
  -name 'libcublas.so.13' 2>/dev/null | head -1)
cublas12=$(ldconfig -p 2>/dev/null | grep -c 'libcublas.so.12 ')
cublas_default=$(timeout 60 "$java" -jar "$here/lib/descent.jar" devices 2>&1 | grep -o 'GEMM: .*' | head -1)
if [ "$cublas12" = 0 ] && [ -n "$cublas13" ]; then
  export LD_LIBRARY_PATH="$(dirname "$cublas13")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cublas_note="libcublas.so.12 absent; $cublas13 put on LD_LIBRARY_PATH (before that, descent chose ${cublas_default:-nothing})"
else
  cublas_note="libcublas.so.12 on the loader path: $cublas12; libcublas.so.13: ${cublas13:-none}"
fi

# OpenCL on the GPU: the CUDA toolkit carries an ICD loader (libOpenCL.so.1) and the driver its
# OpenCL library; where no ICD file names it, OCL_ICD_FILENAMES does.
ocl_loader=$(find /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu -name 'libOpenCL.so.1' 2>/dev/null | head -1)
nv_ocl=$(find /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 -name 'libnvidia-opencl.so.1' 2>/dev/null | head -1)
if [ -n "$ocl_loader" ]; then
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$(dirname "$ocl_loader")"
fi
if [ -n "$nv_ocl" ] && ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
  export OCL_ICD_FILENAMES="$nv_ocl"
fi

{
  echo "# descent GPU report"
  echo
  echo "date: $(date -u +%FT%TZ), budget ${BUDGET:-480} s"
  echo "host: $(uname -srm), $(nproc) CPU threads"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | sed 's/^/gpu: /'
  echo "java: $("$java" -version 2>&1 | head -1)"
  echo "cuBLAS: $cublas_note"
  echo "OpenCL: loader ${ocl_loader:-none}, NVIDIA ICD ${nv_ocl:-none}"
  echo
  echo "## devices"
  echo '```'
  timeout 60 "$java" -jar "$here/lib/descent.jar" devices 2>&1
  echo '```'
} > "$md"
printf '%-22s %5s %6s  %s\n' step exit seconds result > "$summary"

# $OUT gets the report and one archive of everything else (the device tool returns 8 files at most).
publish() {
  [ -n "${OUT:-}" ] || return 0
  mkdir -p "$OUT"
  cp "$md" "$OUT/report.md"
  tar -C "$here" -czf "$OUT/results.tar.gz.part" report && mv "$OUT/results.tar.gz.part" "$OUT/results.tar.gz"
}

# Sets limit, the seconds step NAME may run: its own limit, cut to what is left of the budget less
# a reserve for the report. Fails (and says so in the report) when what is left is under the least
# worth starting.
allow() {  # name, seconds wanted, least seconds worth starting
  local left=$((deadline - $(date +%s) - 10))
  if [ "$left" -lt "$3" ]; then
    left_out=$((left_out + 1))
    printf '%-22s %5s %6s  %s\n' "$1" - - "not run: ${left} s of the budget left" >> "$summary"
    { echo; echo "## $1: not run (${left} s of the budget left, it needs at least $3)"; } >> "$md"
    publish
    return 1
  fi
  limit=$((left < $2 ? left : $2))
}

record() {  # name, exit status, seconds, result
  printf '%-22s %5s %6s  %s\n' "$@" >> "$summary"
  publish
}

# JUnit on the console launcher (it does not scan classes inside a jar given with -cp).
suite() {  # name, seconds, selection (--select-class C or --select-method C#m ...), extra JVM options...
  local name="$1" selection="$3" t0=$(date +%s)
  allow "$name" "$2" 30 || return 0
  shift 3
  # shellcheck disable=SC2086  # the selection is several launcher options on purpose
  timeout "$limit" "$java" "$@" -jar "$here/lib/junit-console.jar" execute -cp "$cp" $selection \
    --details=tree --disable-banner --disable-ansi-colors --reports-dir "$report/junit-$name" > "$report/$name.log" 2>&1
  local rc=$? counts
  # On a GPU host a test that skips (an assumption failed) tested nothing: that is not a pass.
  counts=$(grep -oE "[0-9]+ tests (successful|failed|aborted)" "$report/$name.log" | awk '{printf "%s%s %s", sep, $1, $3; sep=", "}')
  counts="$counts$(grep -m1 -oE "\[parity\] .*: [0-9]+ comparisons" "$report/$name.log" | sed 's/.*: /; /')"
  if [ "$rc" != 0 ] || ! grep -qE "^\[ +0 tests aborted" "$report/$name.log"; then status=1; fi
  {
    echo
    echo "## $name: $(echo $selection | sed 's/--select-[a-z]*=//g') $* (exit $rc$([ "$rc" = 124 ] && echo ", timed out after $limit s"), $(($(date +%s) - t0)) s)"
    echo '```'
    grep -E "\[(gpu|parity|opencl)\]|tests (found|successful|failed|skipped|aborted)|✘|Exception|Error" "$report/$name.log" | head -60
    echo '```'
  } >> "$md"
  record "$name" "$rc" $(($(date +%s) - t0)) "${counts:-no test summary}"
}

bench() {  # name, seconds, descent bench arguments...
  local name="$1" t0=$(date +%s)
  allow "$name" "$2" 20 || return 0
  shift 2
  timeout "$limit" "$java" --add-modules jdk.incubator.vector "${JAVA_OPTS_BENCH[@]}" -jar "$here/lib/descent.jar" bench \
    "$@" --json "$report/$name.jsonl" > "$report/$name.log" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || status=1
  { echo; echo "## bench $name (exit $rc, $(($(date +%s) - t0)) s): ${JAVA_OPTS_BENCH[*]} $*"; echo '```';
    grep -v "^WARNING: Using incubator" "$report/$name.log"; echo '```'; } >> "$md"
  local results
  results=$(grep -c . "$report/$name.jsonl" 2>/dev/null)
  record "$name" "$rc" $(($(date +%s) - t0)) "${results:-0} results"
}

# descent check: the parity harness from the jar alone, as a user runs it on their device.
check() {  # name, seconds, descent check arguments...
  local name="$1" t0=$(date +%s)
  allow "$name" "$2" 20 || return 0
  shift 2
  timeout "$limit" "$java" --add-modules jdk.incubator.vector -jar "$here/lib/descent.jar" check "$@" \
    > "$report/$name.log" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || status=1
  { echo; echo "## check $name (exit $rc, $(($(date +%s) - t0)) s): $*"; echo '```';
    grep -v "^WARNING: Using incubator" "$report/$name.log"; echo '```'; } >> "$md"
  record "$name" "$rc" $(($(date +%s) - t0)) "$(grep -E '^(passed|FAILED)' "$report/$name.log" | cut -c1-100)"
}

finish() {
  [ "$left_out" = 0 ] || [ "$status" != 0 ] || status=3
  # The comparisons the open questions wait on, as tables (graphs or not, SGEMM variants, updates).
  if [ "$status" != 2 ] && "$python" "$here/summarize.py" "$report" > "$report/comparisons.md" 2>&1; then
    { echo; echo "## comparisons"; echo; cat "$report/comparisons.md"; } >> "$md"
    cat "$report/comparisons.md"
    echo
  fi
  { echo; echo "## summary ($(($(date +%s) - start)) s, exit $status)"; echo '```'; cat "$summary"; echo '```'; } >> "$md"
  publish
  cat "$summary"
  echo "total $(($(date +%s) - start)) s, exit $status; report: ${OUT:-$report}/report.md"
  exit "$status"
}

cuda_class=--select-class=dev.descent.cuda.CudaGpuTest
# The parity part of the CUDA suite (every op, every optimizer, a short training run against the
# CPU), for GEMM variants that need their correctness shown before their speed.
cuda_parity="--select-method=dev.descent.cuda.CudaGpuTest#everyOpMatchesTheReference
 --select-method=dev.descent.cuda.CudaGpuTest#everyOptimizerMatchesTheReferenceOverEightSteps
 --select-method=dev.descent.cuda.CudaGpuTest#shortTrainingRunMatchesTheCpuBackend"
# The products of one training step at batch 64: 784-256 and 4096-4096 layers, all three modes.
train_shapes=64x784x256,784x64x256:ta,64x256x784:tb,64x4096x4096,4096x64x4096:ta,64x4096x4096:tb
JAVA_OPTS_BENCH=()

# The same work in PyTorch, eager and as CUDA Graphs (benchmarks/pytorch/bench.py).
pytorch() {
  local t0=$(date +%s)
  allow pytorch 120 30 || return 0
  if timeout 20 "$python" -c "import torch; assert torch.cuda.is_available()" 2>"$report/pytorch.err"; then
    timeout "$limit" "$python" "$here/pytorch/bench.py" > "$report/pytorch.jsonl" 2>> "$report/pytorch.err"
    local rc=$?
    [ "$rc" = 0 ] || status=1
    { echo; echo "## PyTorch $("$python" -c 'import torch; print(torch.__version__)'), same work (exit $rc)"; echo '```';
      cat "$report/pytorch.jsonl"; echo '```'; } >> "$md"
    record pytorch "$rc" $(($(date +%s) - t0)) "$(grep -c . "$report/pytorch.jsonl") results"
  else
    { echo; echo "## PyTorch: not run ($python cannot use torch on CUDA)"; echo '```'; cat "$report/pytorch.err"; echo '```'; } >> "$md"
    record pytorch - $(($(date +%s) - t0)) "not run: no torch on CUDA"
  fi
}

# 1. The CUDA suite with cuBLAS where it loads: the gate (no GPU, exit 2) and the baseline.
suite gpu-tests 150 "$cuda_class"
if grep -q "cuda (GPU) tests skipped" "$report/gpu-tests.log"; then
  echo "no CUDA GPU could be opened: $(grep -m1 "cuda (GPU) tests skipped" "$report/gpu-tests.log")" | tee -a "$md"
  status=2
  finish
fi

# 2. CUDA Graphs (off by default until this passes on a GPU): the contract with graphs on, graph
#    runs bit-identical to direct ones, cuBLAS calls as captured child graphs. Then steps and
#    epochs timed without and with graphs, back to back: graphs become the default if they win.
suite gpu-graphs 120 --select-class=dev.descent.cuda.StepGraphsGpuTest
# What a user runs from the jar: the whole parity harness, its training run as CUDA Graphs.
check check-cuda 60 --backend cuda --cuda-graphs
# SGEMM variant 3 (64 x 64 tiles, split-K) has not run on a GPU: its parity before its speed.
suite parity-tiled3 90 "$cuda_parity" -Ddescent.cuda.gemm=tiled3
if [ "${BENCH:-1}" != 0 ]; then
  bench step-direct 60 --backend cuda --suite step,epoch --batches 1,64,1024
  JAVA_OPTS_BENCH=(-Ddescent.cuda.graphs=true)
  bench step-graphs 60 --backend cuda --suite step,epoch --batches 1,64,1024
  # 3. GEMM on the training shapes and the steps they make: cuBLAS, variant 2 (the own default),
  #    variant 3 (the candidate for small batches).
  for gemm in cublas tiled2 tiled3; do
    JAVA_OPTS_BENCH=(-Ddescent.cuda.gemm=$gemm)
    bench "gemm-$gemm" 60 --backend cuda --suite gemm,step --batches 64,1024 --gemm 1024,4096,$train_shapes
  done
  # 4. Update rules against copy bandwidth (bias corrections now computed once per step on the
  #    device and read per block).
  JAVA_OPTS_BENCH=()
  bench updates 90 --backend cuda --suite copy,updates --sizes 16,20,24
  # 5. The same work in PyTorch, eager and as CUDA Graphs.
  pytorch
fi

# 6. The rest of the correctness suites: the whole CUDA suite on the own SGEMM, OpenCL on the GPU.
suite gpu-tests-tiled 150 "$cuda_class" -Ddescent.cuda.gemm=tiled
suite opencl-tests 120 --select-class=dev.descent.opencl.OpenClParityTest
check check-opencl 60 --backend opencl
sanitize() {  # tool, seconds
  local tool="$1" log="$report/sanitize-$1.log" t0=$(date +%s)
  allow "sanitize-$tool" "$2" 60 || return 0
  # shellcheck disable=SC2086
  timeout "$limit" compute-sanitizer --tool "$tool" --print-limit 20 --error-exitcode 9 "$java" -Ddescent.cuda.gemm=tiled3 \
    -jar "$here/lib/junit-console.jar" execute -cp "$cp" $cuda_parity \
    --details=summary --disable-banner --disable-ansi-colors > "$log" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || status=1
  { echo; echo "## compute-sanitizer --tool $tool, every op, optimizer and a short training run on descent's kernels, SGEMM variant 3 (exit $rc, $(($(date +%s) - t0)) s)"; echo '```';
    grep -E "ERROR SUMMARY|RACECHECK SUMMARY|Invalid|Race|hazard|tests (successful|failed)|\[parity\]" "$log" | head -30; echo '```'; } >> "$md"
  record "sanitize-$tool" "$rc" $(($(date +%s) - t0)) "$(grep -m1 -E "ERROR SUMMARY|RACECHECK SUMMARY" "$log" || echo "no summary")"
}
if [ "${SANITIZE:-0}" = 1 ]; then
  sanitize memcheck 200
  sanitize racecheck 200
fi
[ "${BENCH:-1}" = 0 ] && finish

# 7. Square GEMM, OpenCL, the host CPU for scale, the README's main job.
JAVA_OPTS_BENCH=()
bench gemm-square 90 --backend cuda --suite gemm --gemm 256,512,1024,2048,4096
bench opencl 90 --backend opencl --suite copy,updates,gemm,step --sizes 20,24 --gemm 256,1024,2048 --seconds 0.3
bench cpu 60 --backend cpu --suite gemm,step --gemm 1024 --batches 64,1024 --seconds 0.3
# The main job on the GPU without and with CUDA Graphs (the same figures, plus the graphs' counts), and on the CPU.
for run in cuda cuda-graphs cpu; do
  allow "train-$run" 90 30 || continue
  t0=$(date +%s)
  args=(train --backend "${run%-graphs}" --epochs 10)
  [ "$run" = cuda-graphs ] && args+=(--cuda-graphs)
  timeout "$limit" "$java" --add-modules jdk.incubator.vector -jar "$here/lib/descent.jar" "${args[@]}" \
    > "$report/train-$run.log" 2>&1
  rc=$?
  [ "$rc" = 0 ] || status=1
  { echo; echo "## ${args[*]} (exit $rc)"; echo '```'; grep -v "^WARNING: Using incubator" "$report/train-$run.log"; echo '```'; } >> "$md"
  record "train-$run" "$rc" $(($(date +%s) - t0)) \
    "$(grep -h -e 'test accuracy' -e 'cuda graphs:' "$report/train-$run.log" | tr '\n' ' ' | cut -c1-120)"
done
finish
